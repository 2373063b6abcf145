/* ms-mailbox-view.c: each user's mailboxes as they stand at the current step
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The state is replayed from the trace's "delivered" and "mailbox" events up to the
 * cursor (ms-mailbox-replay.c): a few dozen events at most, so stepping back costs the
 * same as stepping forward. Unread messages are bold, \Deleted ones struck through, and
 * what the current step changed is highlighted.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-mailbox-replay.h"
#include "ms-mailbox-view.h"

struct _MsMailboxView
{
  GtkBox           parent_instance;

  GtkLabel        *title;
  GtkLabel        *note;
  GtkBox          *list;
  GtkLabel        *legend;

  MsPlaybackModel *model;
  MsMailboxReplay *replay;
  GPtrArray       *users;       /* address, node pairs of the next scenario, or NULL */
};

G_DEFINE_FINAL_TYPE (MsMailboxView, ms_mailbox_view, GTK_TYPE_BOX)

guint
ms_playback_events_before (MsPlaybackModel *model,
                           guint            cursor)
{
  guint n = 0;
  const guint *steps = ms_playback_model_get_event_steps (model, &n);
  guint lo = 0, hi = n;

  if (ms_playback_model_get_n_steps (model) == 0)
    return 0;
  /* the first event step after the cursor */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (steps[mid] <= cursor)
        lo = mid + 1;
      else
        hi = mid;
    }
  /* the events that are steps come in trace order: the index of the lo-th is lo */
  if (lo == 0)
    return 0;
  return ms_playback_model_get_step (model, steps[lo - 1])->index + 1;
}

static GtkWidget *
label_new (const char *markup,
           const char *css)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (label), markup);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (css != NULL)
    gtk_widget_add_css_class (label, css);
  return label;
}

static GtkWidget *
message_row (MsReplayMessage *m,
             guint            now)
{
  gboolean seen = ms_replay_flags_have (m->flags, "\\Seen");
  gboolean deleted = ms_replay_flags_have (m->flags, "\\Deleted");
  g_autofree char *subject = g_markup_escape_text (m->subject && *m->subject ? m->subject
                                                   : _("(no subject)"), -1);
  g_autofree char *from = g_markup_escape_text (m->from ? m->from : "", -1);
  g_autofree char *flags = g_markup_escape_text (m->flags && *m->flags ? m->flags
                                                 : _("no flags"), -1);
  g_autofree char *uid = m->uid ? g_strdup_printf ("UID %u", m->uid) : g_strdup ("UID —");
  g_autofree char *markup = NULL;
  GtkWidget *row;

  /* TRANSLATORS: a message in a mailbox: UID, subject, sender, flags */
  markup = g_strdup_printf (_("<tt>%s</tt>  %s%s%s%s%s\n<small>from %s · %s</small>"), uid,
                            deleted ? "<s>" : "", seen ? "" : "<b>", subject,
                            seen ? "" : "</b>", deleted ? "</s>" : "", from, flags);
  row = label_new (markup, "mail-row");
  if (!seen)
    gtk_widget_add_css_class (row, "unseen");
  if (now != G_MAXUINT && m->changed_at == now)
    gtk_widget_add_css_class (row, "changed");
  return row;
}

static void
clear_list (MsMailboxView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_box_remove (self->list, child);
}

static void
update (MsMailboxView *self)
{
  guint cursor, n_events, now = G_MAXUINT;
  const MsStep *step;
  g_autoptr(GPtrArray) users = NULL;

  clear_list (self);
  if (self->replay == NULL || !ms_mailbox_replay_has_data (self->replay))
    {
      gtk_label_set_text (self->note,
                          self->model != NULL && ms_playback_model_get_trace (self->model)
                          ? _("This trace does not record any mailbox: a capture shows only "
                              "what crossed the wire, and no mail was delivered here.")
                          : "");
      gtk_widget_set_visible (GTK_WIDGET (self->legend), FALSE);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->legend), TRUE);
  cursor = ms_playback_model_get_cursor (self->model);
  step = ms_playback_model_get_current (self->model);
  n_events = ms_playback_events_before (self->model, cursor);
  if (step != NULL && step->kind == MS_STEP_EVENT)
    now = step->index;
  users = ms_mailbox_replay_state (self->replay, n_events);
  gtk_label_set_text (self->note, _("Rebuilt from the deliveries and mailbox changes recorded "
                                    "up to this step."));
  for (guint i = 0; i < users->len; i++)
    {
      MsReplayUser *u = g_ptr_array_index (users, i);
      g_autofree char *who = g_markup_escape_text (u->address, -1);
      g_autofree char *where = g_markup_escape_text (u->node ? u->node : "—", -1);
      g_autofree char *head = NULL;

      /* TRANSLATORS: a user's mailbox and the server that holds it */
      head = g_strdup_printf (_("<b>%s</b>  <small>on %s</small>"), who, where);
      gtk_box_append (self->list, label_new (head, "mailbox-user"));
      for (guint k = 0; k < u->folders->len; k++)
        {
          MsReplayFolder *f = g_ptr_array_index (u->folders, k);
          guint unseen = 0;
          g_autofree char *name = g_markup_escape_text (f->name, -1);
          g_autofree char *line = NULL;
          GtkWidget *folder;

          for (guint m = 0; m < f->messages->len; m++)
            if (!ms_replay_flags_have (((MsReplayMessage *) g_ptr_array_index (f->messages, m))
                                       ->flags, "\\Seen"))
              unseen++;
          /* TRANSLATORS: a folder: its name, how many messages, how many unread */
          line = g_strdup_printf (_("<b>%s</b> — messages: %u, unread: %u"), name,
                                  f->messages->len, unseen);
          folder = label_new (line, "mail-folder");
          if (now != G_MAXUINT && f->changed_at == now)
            gtk_widget_add_css_class (folder, "changed");
          gtk_box_append (self->list, folder);
          for (guint m = 0; m < f->messages->len; m++)
            gtk_box_append (self->list, message_row (g_ptr_array_index (f->messages, m), now));
        }
    }
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsMailboxView   *self)
{
  update (self);
}

static void
on_trace_changed (MsPlaybackModel *model,
                  MsMailboxView   *self)
{
  MsTrace *trace = ms_playback_model_get_trace (model);

  g_clear_pointer (&self->replay, ms_mailbox_replay_free);
  if (trace != NULL)
    self->replay = ms_mailbox_replay_new (trace);
  /* the scenario's users belong to its own trace only */
  for (guint i = 0; self->replay != NULL && self->users != NULL && i + 1 < self->users->len;
       i += 2)
    ms_mailbox_replay_add_user (self->replay, g_ptr_array_index (self->users, i),
                                g_ptr_array_index (self->users, i + 1));
  g_clear_pointer (&self->users, g_ptr_array_unref);
  update (self);
}

void
ms_mailbox_view_set_scenario (MsMailboxView *self,
                              MsScenario    *scenario)
{
  g_return_if_fail (MS_IS_MAILBOX_VIEW (self));

  g_clear_pointer (&self->users, g_ptr_array_unref);
  if (scenario == NULL || scenario->users == NULL)
    return;
  self->users = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < scenario->users->len; i++)
    {
      MsScenarioUser *u = g_ptr_array_index (scenario->users, i);

      g_ptr_array_add (self->users, g_strdup (u->address));
      g_ptr_array_add (self->users, g_strdup (u->mailbox));
    }
}

static void
ms_mailbox_view_dispose (GObject *object)
{
  MsMailboxView *self = MS_MAILBOX_VIEW (object);

  ms_mailbox_view_set_model (self, NULL);
  g_clear_pointer (&self->replay, ms_mailbox_replay_free);
  g_clear_pointer (&self->users, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_MAILBOX_VIEW);
  G_OBJECT_CLASS (ms_mailbox_view_parent_class)->dispose (object);
}

static void
ms_mailbox_view_class_init (MsMailboxViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_mailbox_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-mailbox-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsMailboxView, title);
  gtk_widget_class_bind_template_child (widget_class, MsMailboxView, note);
  gtk_widget_class_bind_template_child (widget_class, MsMailboxView, list);
  gtk_widget_class_bind_template_child (widget_class, MsMailboxView, legend);
}

static void
ms_mailbox_view_init (MsMailboxView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ms_mailbox_view_set_model (MsMailboxView   *self,
                           MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed),
                                      G_CALLBACK (on_trace_changed))
      || model == NULL)
    return;
  on_trace_changed (model, self);
}
