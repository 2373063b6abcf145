/* ms-session-list.c: the sessions of the trace, one row each; a click jumps to one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each row: number and protocol, how it went (complete, TLS with the observer's byte
 * counts, a gap, an error reply, closed without QUIT/LOGOUT, still open), client → server, the time span and the
 * messages transferred. Activating a row moves the cursor to the session's first line.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-session-list.h"

struct _MsSessionList
{
  GtkBox           parent_instance;

  GtkLabel        *heading;
  GtkCheckButton  *only;
  GtkListBox      *list;
  GtkScrolledWindow *scroller;

  MsTrace         *full;      /* the rows' trace (the whole one when one session is shown) */
  MsPlaybackModel *model;
  gboolean         syncing;   /* selecting the row of the cursor, not the user */
  guint            scroll_id;
  guint            scroll_tries;
};

/* Waiting for new rows to be laid out before scrolling to the selected one. */
#define MS_SESSION_LIST_SCROLL_DELAY_MS 30
#define MS_SESSION_LIST_SCROLL_TRIES    50
/* From this many sessions on, the list scrolls in a pane of its own this high (px) */
#define MS_SESSION_LIST_OWN_SCROLL_ROWS 7
#define MS_SESSION_LIST_OWN_HEIGHT      420

G_DEFINE_FINAL_TYPE (MsSessionList, ms_session_list, GTK_TYPE_BOX)

enum { SIGNAL_SHOW_SESSION, N_SIGNALS };
static guint signals[N_SIGNALS];

void
ms_session_summarize (MsTrace          *trace,
                      MsTraceSession   *session,
                      MsSessionSummary *summary)
{
  gboolean said_goodbye = FALSE;

  *summary = (MsSessionSummary) { 0 };
  if (session->closed_us < 0)
    summary->status |= MS_SESSION_STATUS_OPEN;
  if (session->tls != MS_TLS_NONE)
    summary->status |= MS_SESSION_STATUS_TLS;
  for (guint i = 0; i < session->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, i);

      if (line->kind == MS_LINE_NOTE)
        {
          if (g_str_has_prefix (line->text, "[missing "))
            summary->status |= MS_SESSION_STATUS_GAP;
          else if (g_str_has_prefix (line->text, "(TLS: "))
            summary->tls_note = line->text;
          continue;
        }
      summary->n_lines++;
      /* RFC 5321 §4.1.1.10, RFC 1939 §6, RFC 3501 §6.1.3 */
      if (line->dir == MS_DIR_CLIENT && line->command != NULL
          && (g_str_equal (line->command, "QUIT") || g_str_equal (line->command, "LOGOUT")))
        said_goodbye = TRUE;
      if (ms_step_mark_for_line (session->protocol, line) == MS_STEP_MARK_ERROR)
        summary->status |= MS_SESSION_STATUS_ERROR;
    }
  /* under TLS the goodbye cannot be seen */
  if (session->closed_us >= 0 && !said_goodbye && session->tls == MS_TLS_NONE)
    summary->status |= MS_SESSION_STATUS_CUT;
  for (guint i = 0; i < ms_trace_get_n_messages (trace); i++)
    if (ms_trace_get_message (trace, i)->session == session->id)
      summary->n_messages++;
}

/* Seconds for the first minute, then h:mm:ss, then days: captures can span years. */
static char *
format_offset (gint64 us)
{
  gint64 s = us / G_USEC_PER_SEC;

  if (us < 60 * G_USEC_PER_SEC)
    return g_strdup_printf ("%.3f s", us / 1e6);
  if (s < 86400)
    return g_strdup_printf ("%d:%02d:%02d", (int) (s / 3600), (int) (s / 60 % 60), (int) (s % 60));
  /* TRANSLATORS: days and h:mm:ss since the start of the capture: "2119 d 04:17:00" */
  return g_strdup_printf (_("%d d %02d:%02d:%02d"), (int) (s / 86400), (int) (s / 3600 % 24),
                          (int) (s / 60 % 60), (int) (s % 60));
}

/* ---- one session alone ---- */

static gint64
copy_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

MsTrace *
ms_session_trace_new (MsTrace *full,
                      guint    index)
{
  MsTraceSession *from = ms_trace_get_session (full, index);
  MsTrace *trace;
  MsTraceSession *to;
  gint64 now = 0;

  g_return_val_if_fail (from != NULL, NULL);
  trace = ms_trace_new (ms_trace_get_source_kind (full), ms_trace_get_source_name (full));
  g_object_set_data_full (G_OBJECT (trace), "ms-full-trace", g_object_ref (full), g_object_unref);
  ms_trace_set_clock (trace, copy_clock, &now);
  now = from->opened_us;
  to = ms_trace_open_session (trace, from->protocol, from->client, from->server);
  to->id = from->id;  /* notes and messages refer to it */
  ms_trace_session_set_nodes (to, from->client_node, from->server_node);
  ms_trace_session_set_tls (to, from->tls);
  for (guint i = 0; i < from->lines->len; i++)
    {
      MsTraceLine *a = g_ptr_array_index (from->lines, i);
      MsTraceLine *b;

      now = a->t_us;
      ms_trace_set_current_frame (trace, a->frame);
      b = ms_trace_session_add_line (to, a->dir, a->kind, a->text, -1);
      b->wire_len = a->wire_len;
      b->secret = a->secret;
    }
  if (from->closed_us >= 0)
    {
      now = from->closed_us;
      ms_trace_close_session (trace, to);
    }
  for (guint i = 0; i < ms_trace_get_n_events (full); i++)
    {
      MsTraceEvent *a = ms_trace_get_event (full, i);
      MsTraceEvent *b;
      g_autoptr(GList) members = NULL;

      if (a->session != from->id)
        continue;
      now = a->t_us;
      b = ms_trace_add_event (trace, a->type, a->node, a->session, NULL, NULL);
      members = json_object_get_members (a->fields);
      for (GList *m = members; m != NULL; m = m->next)
        json_object_set_member (b->fields, m->data,
                                json_node_copy (json_object_get_member (a->fields, m->data)));
    }
  for (guint i = 0; i < ms_trace_get_n_messages (full); i++)
    {
      MsTraceMessage *a = ms_trace_get_message (full, i);
      MsTraceMessage *b;

      if (a->session != from->id)
        continue;
      now = a->t_us;
      b = ms_trace_add_message (trace, a->session, a->node, a->mail_from,
                                (const char * const *) a->rcpt_to, a->raw);
      if (a->raw == NULL)
        {
          /* a trace read from JSON keeps the headers, not the bytes */
          for (guint k = 0; k < a->headers->len; k++)
            g_ptr_array_add (b->headers, g_strdupv (g_ptr_array_index (a->headers, k)));
          b->subject = g_strdup (a->subject);
          b->message_id = g_strdup (a->message_id);
        }
    }
  ms_trace_set_clock (trace, NULL, NULL);
  ms_trace_set_current_frame (trace, 0);
  return trace;
}

MsTrace *
ms_session_trace_get_full (MsTrace *trace)
{
  MsTrace *full = trace ? g_object_get_data (G_OBJECT (trace), "ms-full-trace") : NULL;

  return full != NULL ? full : trace;
}

static GtkWidget *
badge (const char *text,
       const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "session-badge");
  gtk_widget_add_css_class (label, css_class);
  return label;
}

static GtkWidget *
small_label (const char *text,
             gboolean    dim)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (dim)
    gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  return label;
}

static GtkWidget *
make_row (MsTrace        *trace,
          MsTraceSession *session,
          guint           index)
{
  MsSessionSummary summary;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *badges = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  g_autofree char *protocol = g_ascii_strup (ms_protocol_to_string (session->protocol), -1);
  g_autofree char *name = g_strdup_printf ("%u  %s", session->id, protocol);
  g_autofree char *opened = format_offset (session->opened_us);
  g_autofree char *endpoints = NULL;
  g_autofree char *times = NULL;
  g_autofree char *counts = NULL;
  GtkWidget *title = gtk_label_new (name);

  ms_session_summarize (trace, session, &summary);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (top), title);
  gtk_widget_set_hexpand (badges, TRUE);
  gtk_widget_set_halign (badges, GTK_ALIGN_END);
  gtk_widget_set_valign (badges, GTK_ALIGN_CENTER);
  if (summary.status & MS_SESSION_STATUS_OPEN)
    gtk_box_append (GTK_BOX (badges), badge (_("open"), "open"));
  if (summary.status & MS_SESSION_STATUS_TLS)
    gtk_box_append (GTK_BOX (badges),
                         badge (session->tls == MS_TLS_STARTTLS ? "STARTTLS" : "TLS", "tls"));
  if (summary.status & MS_SESSION_STATUS_GAP)
    gtk_box_append (GTK_BOX (badges), badge (_("gap"), "gap"));
  if (summary.status & MS_SESSION_STATUS_CUT)
    gtk_box_append (GTK_BOX (badges), badge (_("no QUIT"), "gap"));
  if (summary.status & MS_SESSION_STATUS_ERROR)
    gtk_box_append (GTK_BOX (badges), badge (_("error reply"), "error-reply"));
  if (summary.status == MS_SESSION_STATUS_COMPLETE)
    gtk_box_append (GTK_BOX (badges), badge (_("complete"), "complete"));
  gtk_box_append (GTK_BOX (top), badges);
  gtk_box_append (GTK_BOX (box), top);

  endpoints = g_strdup_printf ("%s → %s",
                               session->client_node ? session->client_node : session->client,
                               session->server_node ? session->server_node : session->server);
  gtk_box_append (GTK_BOX (box), small_label (endpoints, FALSE));

  if (session->closed_us >= 0)
    {
      g_autofree char *length = format_offset (session->closed_us - session->opened_us);

      /* TRANSLATORS: when a session started (from the start of the capture) and how long
       * it lasted: "at 0.691 s · 6.886 s long" */
      times = g_strdup_printf (_("at %s · %s long"), opened, length);
    }
  else
    /* TRANSLATORS: a session not closed (yet): "at 0.691 s · open" */
    times = g_strdup_printf (_("at %s · open"), opened);
  /* TRANSLATORS: "28 lines · 1 message(s)" in the session list */
  counts = g_strdup_printf (ngettext ("%u lines · %u message", "%u lines · %u messages",
                                      summary.n_messages),
                            summary.n_lines, summary.n_messages);
  gtk_box_append (GTK_BOX (box), small_label (times, TRUE));
  gtk_box_append (GTK_BOX (box), small_label (counts, TRUE));
  if (summary.tls_note != NULL)
    gtk_box_append (GTK_BOX (box), small_label (summary.tls_note, TRUE));

  gtk_widget_add_css_class (box, "session-row");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  g_object_set_data (G_OBJECT (row), "session-index", GUINT_TO_POINTER (index));
  return row;
}

static gboolean
own_scroll (MsSessionList *self)
{
  GtkPolicyType policy;

  gtk_scrolled_window_get_policy (self->scroller, NULL, &policy);
  return policy != GTK_POLICY_NEVER;
}

/* Keeps the selected row in view in the list's own scrolled window (many rows) or the
 * pane the list sits in; FALSE while the
 * rows are not laid out yet. */
static gboolean
scroll_to_row (MsSessionList *self,
               GtkListBoxRow *row)
{
  GtkWidget *scrolled = GTK_WIDGET (self->scroller);
  GtkWidget *child;
  GtkAdjustment *adj;
  graphene_rect_t bounds;
  double top, page;

  /* a short list does not scroll by itself: the pane it sits in does */
  if (!own_scroll (self))
    scrolled = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled == NULL || (child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled))) == NULL)
    return TRUE;
  /* content coordinates: the viewport's child, not the viewport (the visible part) */
  if (GTK_IS_VIEWPORT (child))
    child = gtk_viewport_get_child (GTK_VIEWPORT (child));
  if (child == NULL || !gtk_widget_compute_bounds (GTK_WIDGET (row), child, &bounds)
      || bounds.origin.y < 0)
    return FALSE;
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  top = gtk_adjustment_get_value (adj);
  page = gtk_adjustment_get_page_size (adj);
  if (page <= 0)
    return FALSE;
  /* out of view: bring it to a third of the height, with the rows around it */
  if (bounds.origin.y < top || bounds.origin.y + bounds.size.height > top + page)
    {
      gtk_adjustment_set_value (adj, bounds.origin.y - page / 3);
      /* the viewport does not always lay out again by itself for a jump this far */
      gtk_widget_queue_allocate (scrolled);
    }
  top = gtk_adjustment_get_value (adj);
  /* the adjustment may not know the new rows' height yet: then try again */
  return bounds.origin.y >= top && bounds.origin.y + bounds.size.height <= top + page;
}

/* After the rows are laid out (new rows are not, right after a trace change). */
static gboolean
scroll_later (gpointer user_data)
{
  MsSessionList *self = user_data;
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);

  if (row != NULL && !scroll_to_row (self, row) && ++self->scroll_tries < MS_SESSION_LIST_SCROLL_TRIES)
    return G_SOURCE_CONTINUE;
  self->scroll_id = 0;
  return G_SOURCE_REMOVE;
}

static void
select_current (MsSessionList *self)
{
  const MsStep *step = ms_playback_model_get_current (self->model);
  GtkListBoxRow *row = NULL;

  if (step != NULL && step->session != NULL && self->full != NULL)
    {
      guint index = step->session_index;

      /* one session alone: its index in the whole trace */
      if (ms_playback_model_get_trace (self->model) != self->full)
        for (index = 0; index < ms_trace_get_n_sessions (self->full); index++)
          if (ms_trace_get_session (self->full, index)->id == step->session->id)
            break;
      row = gtk_list_box_get_row_at_index (self->list, (int) index);
    }
  self->syncing = TRUE;
  if (row != NULL)
    {
      gtk_list_box_select_row (self->list, row);
      self->scroll_tries = 0;
      if (self->scroll_id == 0)
        self->scroll_id = g_timeout_add (MS_SESSION_LIST_SCROLL_DELAY_MS, scroll_later, self);
    }
  else
    gtk_list_box_unselect_all (self->list);
  self->syncing = FALSE;
}

void
ms_session_list_refresh (MsSessionList *self)
{
  MsTrace *trace = self->model ? ms_session_trace_get_full (ms_playback_model_get_trace (self->model))
                               : NULL;
  guint n = trace ? ms_trace_get_n_sessions (trace) : 0;
  GtkWidget *child;
  g_autofree char *heading = NULL;

  g_set_object (&self->full, trace);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->list, make_row (trace, ms_trace_get_session (trace, i), i));
  /* many rows: a scrolling list of its own under the check, which stays in view */
  gtk_scrolled_window_set_policy (self->scroller, GTK_POLICY_NEVER,
                                  n >= MS_SESSION_LIST_OWN_SCROLL_ROWS ? GTK_POLICY_AUTOMATIC
                                                                       : GTK_POLICY_NEVER);
  gtk_scrolled_window_set_min_content_height (self->scroller,
                                              n >= MS_SESSION_LIST_OWN_SCROLL_ROWS
                                              ? MS_SESSION_LIST_OWN_HEIGHT : -1);
  /* TRANSLATORS: the heading of the session list */
  heading = g_strdup_printf (ngettext ("%u Session", "%u Sessions", n), n);
  gtk_label_set_text (self->heading, heading);
  if (self->model != NULL)
    select_current (self);
}

guint
ms_session_list_get_n_rows (MsSessionList *self)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (self->list, (int) n) != NULL)
    n++;
  return n;
}

static void
on_row_activated (GtkListBox    *list,
                  GtkListBoxRow *row,
                  MsSessionList *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "session-index"));
  guint step;

  if (self->model == NULL || self->syncing)
    return;
  if (gtk_check_button_get_active (self->only))
    {
      g_signal_emit (self, signals[SIGNAL_SHOW_SESSION], 0, (int) index);
      return;
    }
  step = ms_playback_model_find_line (self->model, index, 0);
  if (step != G_MAXUINT)
    {
      ms_playback_model_set_playing (self->model, FALSE);
      ms_playback_model_set_cursor (self->model, step);
    }
}

static void
on_trace_changed (MsPlaybackModel *model,
                  MsSessionList   *self)
{
  MsTrace *trace = ms_playback_model_get_trace (model);

  if (trace == self->full && gtk_check_button_get_active (self->only))
    {
      /* the whole trace again (a live update, another file): all sessions shown */
      self->syncing = TRUE;
      gtk_check_button_set_active (self->only, FALSE);
      self->syncing = FALSE;
    }
  /* one session of the same trace: the rows stay */
  if (trace == NULL || ms_session_trace_get_full (trace) != self->full || trace == self->full)
    ms_session_list_refresh (self);
}

static void
on_only_toggled (GtkCheckButton *button,
                 MsSessionList  *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->list);
  int index = -1;

  if (self->syncing)
    return;
  if (gtk_check_button_get_active (button))
    {
      if (row == NULL)
        row = gtk_list_box_get_row_at_index (self->list, 0);
      if (row == NULL)
        return;
      index = (int) GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (row), "session-index"));
    }
  g_signal_emit (self, signals[SIGNAL_SHOW_SESSION], 0, index);
}

void
ms_session_list_set_only (MsSessionList *self,
                          gboolean       only)
{
  gtk_check_button_set_active (self->only, only);
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsSessionList   *self)
{
  select_current (self);
}

void
ms_session_list_set_model (MsSessionList   *self,
                           MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed),
                                      G_CALLBACK (on_trace_changed)))
    return;
  ms_session_list_refresh (self);
}

static void
ms_session_list_dispose (GObject *object)
{
  MsSessionList *self = MS_SESSION_LIST (object);

  ms_session_list_set_model (self, NULL);
  g_clear_object (&self->full);
  g_clear_handle_id (&self->scroll_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_SESSION_LIST);
  G_OBJECT_CLASS (ms_session_list_parent_class)->dispose (object);
}

static void
ms_session_list_class_init (MsSessionListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_session_list_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-session-list.ui");
  gtk_widget_class_bind_template_child (widget_class, MsSessionList, heading);
  gtk_widget_class_bind_template_child (widget_class, MsSessionList, list);
  gtk_widget_class_bind_template_child (widget_class, MsSessionList, scroller);
  gtk_widget_class_bind_template_child (widget_class, MsSessionList, only);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_only_toggled);
  signals[SIGNAL_SHOW_SESSION] =
    g_signal_new ("show-session", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
ms_session_list_init (MsSessionList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
