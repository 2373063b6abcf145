/* ms-header-view.c: the message as it stands at this hop, envelope beside headers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The lesson is the difference: header lines this hop added are highlighted, lines it
 * removed (Bcc) are struck through, and the envelope (MAIL FROM / RCPT TO) sits beside
 * From / To / Cc so a recipient that only the envelope knows stands out.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-header-view.h"

struct _MsHeaderView
{
  GtkBox           parent_instance;

  GtkLabel        *title;
  GtkLabel        *envelope_from;
  GtkLabel        *envelope_rcpt;
  GtkLabel        *header_from;
  GtkLabel        *header_to;
  GtkLabel        *hidden_note;
  GtkTextView     *text;
  GtkToggleButton *raw;

  MsPlaybackModel *model;
  MsRenderStyle    style;
};

G_DEFINE_FINAL_TYPE (MsHeaderView, ms_header_view, GTK_TYPE_BOX)

/* Headers a hop adds in front (RFC 5321 §4.4, RFC 7208 §9.1, RFC 8601; a signer
 * prepends DKIM-Signature, RFC 6376 §5.6). */
static const char * const trace_headers[] = {
  "Received", "Return-Path", "Received-SPF", "Authentication-Results", "DKIM-Signature", NULL
};

int
ms_header_view_pick_message (MsTrace *trace,
                             gint64   t_us)
{
  int found = -1;

  for (guint i = 0; i < ms_trace_get_n_messages (trace); i++)
    if (ms_trace_get_message (trace, i)->t_us <= t_us)
      found = (int) i;
  return found;
}

int
ms_header_view_previous_snapshot (MsTrace *trace,
                                  guint    index)
{
  MsTraceMessage *message = ms_trace_get_message (trace, index);

  int same_node = -1;

  if (message->message_id == NULL)
    return -1;
  /* the previous hop: an earlier snapshot at another node; copies of one delivery at the
   * same node (one per recipient) only when there is no other */
  for (guint i = index; i-- > 0;)
    {
      MsTraceMessage *other = ms_trace_get_message (trace, i);

      if (g_strcmp0 (other->message_id, message->message_id) != 0)
        continue;
      if (g_strcmp0 (other->node, message->node) != 0)
        return (int) i;
      if (same_node < 0)
        same_node = (int) i;
    }
  return same_node;
}

static gboolean
has_header (MsTraceMessage *message,
            char          **pair)
{
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **other = g_ptr_array_index (message->headers, i);

      if (g_ascii_strcasecmp (other[0], pair[0]) == 0 && strcmp (other[1], pair[1]) == 0)
        return TRUE;
    }
  return FALSE;
}

static const char *
header_value (MsTraceMessage *message,
              const char     *name)
{
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **pair = g_ptr_array_index (message->headers, i);

      if (g_ascii_strcasecmp (pair[0], name) == 0)
        return pair[1];
    }
  return NULL;
}

static void
ensure_tags (MsHeaderView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);
  MsRgb rgb;
  GdkRGBA rgba;

  if (gtk_text_tag_table_lookup (table, "added") == NULL)
    {
      gtk_text_buffer_create_tag (buffer, "name", "weight", 700, NULL);
      gtk_text_buffer_create_tag (buffer, "added", NULL);
      gtk_text_buffer_create_tag (buffer, "removed", "strikethrough", TRUE, NULL);
      gtk_text_buffer_create_tag (buffer, "mark", "weight", 700, NULL);
    }
  ms_render_color (&self->style, MS_COLOR_CURRENT, &rgb);
  rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
  g_object_set (gtk_text_tag_table_lookup (table, "added"), "paragraph-background-rgba", &rgba,
                NULL);
  ms_render_color (&self->style, MS_COLOR_5XX, &rgb);
  rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
  g_object_set (gtk_text_tag_table_lookup (table, "removed"), "foreground-rgba", &rgba, NULL);
}

/* The decoded view reads like prose: the tabs and space runs that folding left behind
 * (RFC 5322 §2.2.3 unfolding keeps them) become one space; the raw view keeps them. */
static void
collapse_folding_space (char *text)
{
  char *out = text;
  gboolean in_space = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      gboolean space = *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';

      if (space && in_space)
        continue;
      *out++ = space ? ' ' : *p;
      in_space = space;
    }
  *out = '\0';
}

static void
insert_header (MsHeaderView *self,
               char        **pair,
               const char   *state,
               gboolean      raw)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  g_autofree char *decoded = raw ? NULL : ms_trace_decode_header_text (pair[1]);
  const char *marker = state == NULL ? "  " : strcmp (state, "added") == 0 ? "+ " : "− ";
  GtkTextIter end;

  if (decoded != NULL)
    collapse_folding_space (decoded);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, marker, -1, "mark", state, NULL);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, pair[0], -1, "name", state, NULL);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, ": ", -1, state, NULL);
  gtk_text_buffer_insert_with_tags_by_name (buffer, &end, raw ? pair[1] : decoded, -1,
                                            state, NULL);
  gtk_text_buffer_insert (buffer, &end, "\n", 1);
}

static void
set_label (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_text (label, text && *text ? text : "—");
}

static void
update (MsHeaderView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  const MsStep *step = self->model ? ms_playback_model_get_current (self->model) : NULL;
  MsTrace *trace = self->model ? ms_playback_model_get_trace (self->model) : NULL;
  gboolean raw = gtk_toggle_button_get_active (self->raw);
  MsTraceMessage *message, *previous = NULL;
  g_autofree char *rcpts = NULL;
  g_autofree char *title = NULL;
  g_autoptr(GString) hidden = g_string_new (NULL);
  const char *to, *cc;
  int index, prev;
  gboolean leading = TRUE;

  ensure_tags (self);
  gtk_text_buffer_set_text (buffer, "", 0);
  index = (trace && step) ? ms_header_view_pick_message (trace, step->t_us) : -1;
  if (index < 0)
    {
      gtk_label_set_text (self->title,
                          trace && ms_trace_get_n_messages (trace) > 0
                          ? _("No message yet: nothing has been transferred up to this step. "
                              "Step forward to the end of DATA.")
                          : _("No message in this trace: its sessions transfer no message "
                              "content (or it came from a capture without one)."));
      set_label (self->envelope_from, NULL);
      set_label (self->envelope_rcpt, NULL);
      set_label (self->header_from, NULL);
      set_label (self->header_to, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->hidden_note), FALSE);
      return;
    }
  message = ms_trace_get_message (trace, (guint) index);
  prev = ms_header_view_previous_snapshot (trace, (guint) index);
  if (prev >= 0)
    previous = ms_trace_get_message (trace, (guint) prev);

  title = g_strdup_printf (_("Message %d of %u, as received by %s"), index + 1,
                           ms_trace_get_n_messages (trace),
                           message->node ? message->node : _("the server"));
  gtk_label_set_text (self->title, title);

  /* envelope beside headers */
  set_label (self->envelope_from, message->mail_from[0] ? message->mail_from : "<>");
  rcpts = g_strjoinv ("\n", message->rcpt_to);
  set_label (self->envelope_rcpt, rcpts);
  set_label (self->header_from, header_value (message, "From"));
  to = header_value (message, "To");
  cc = header_value (message, "Cc");
  {
    g_autofree char *both = g_strdup_printf ("%s%s%s", to ? to : "", cc ? "\nCc: " : "",
                                             cc ? cc : "");

    set_label (self->header_to, both);
  }
  for (guint i = 0; message->rcpt_to[i] != NULL; i++)
    {
      const char *r = message->rcpt_to[i];

      if ((to == NULL || strstr (to, r) == NULL) && (cc == NULL || strstr (cc, r) == NULL))
        g_string_append_printf (hidden, "%s%s", hidden->len ? ", " : "", r);
    }
  if (hidden->len > 0)
    {
      g_autofree char *note = g_strdup_printf (_("Only in the envelope (Bcc or forwarding): %s"),
                                               hidden->str);

      gtk_label_set_text (self->hidden_note, note);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->hidden_note), hidden->len > 0);

  for (guint i = 0; i < message->headers->len; i++)
    {
      char **pair = g_ptr_array_index (message->headers, i);
      const char *state = NULL;

      if (previous != NULL)
        state = has_header (previous, pair) ? NULL : "added";
      else if (leading && g_strv_contains (trace_headers, pair[0]))
        state = "added";  /* the first hop: its trace headers in front */
      if (!g_strv_contains (trace_headers, pair[0]))
        leading = FALSE;
      insert_header (self, pair, state, raw);
    }
  if (previous != NULL)
    for (guint i = 0; i < previous->headers->len; i++)
      {
        char **pair = g_ptr_array_index (previous->headers, i);

        if (!has_header (message, pair))
          insert_header (self, pair, "removed", raw);
      }
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsHeaderView    *self)
{
  update (self);
}

static void
on_raw_toggled (GtkToggleButton *button,
                MsHeaderView    *self)
{
  update (self);
}

static void
ms_header_view_dispose (GObject *object)
{
  MsHeaderView *self = MS_HEADER_VIEW (object);

  ms_header_view_set_model (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_HEADER_VIEW);
  G_OBJECT_CLASS (ms_header_view_parent_class)->dispose (object);
}

static void
ms_header_view_class_init (MsHeaderViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_header_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-header-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, title);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, envelope_from);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, envelope_rcpt);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, header_from);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, header_to);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, hidden_note);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, text);
  gtk_widget_class_bind_template_child (widget_class, MsHeaderView, raw);
  gtk_widget_class_bind_template_callback (widget_class, on_raw_toggled);
}

static void
ms_header_view_init (MsHeaderView *self)
{
  self->style.scale = 1.0;
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ms_header_view_set_model (MsHeaderView    *self,
                          MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed), NULL)
      || model == NULL)
    return;
  update (self);
}

void
ms_header_view_set_style (MsHeaderView        *self,
                          const MsRenderStyle *style)
{
  self->style = *style;
  update (self);
}
