/* ms-transcript-view.c: the current session's lines, C:/S:, with explanations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-annotations.h"
#include "ms-explain.h"
#include "ms-explain-event.h"
#include "ms-text-format.h"
#include "ms-transcript-view.h"

struct _MsTranscriptView
{
  GtkBox           parent_instance;

  GtkTextView     *text;
  GtkLabel        *title;
  GtkLabel        *explanation;
  GtkCheckButton  *show_secrets;

  MsPlaybackModel *model;
  MsRenderStyle    style;
  MsTraceSession  *shown;     /* the session in the buffer */
  gboolean         shown_secrets;
  GArray          *offsets;   /* line start offsets in the buffer */
  MsAnnotations   *annotations;  /* the capture's notes, shown under their lines, or NULL */
};

G_DEFINE_FINAL_TYPE (MsTranscriptView, ms_transcript_view, GTK_TYPE_BOX)

static const char *class_tags[] = {
  [MS_COLOR_FG] = "fg", [MS_COLOR_DIM] = "dim", [MS_COLOR_COMMAND] = "command",
  [MS_COLOR_2XX] = "2xx", [MS_COLOR_3XX] = "3xx", [MS_COLOR_4XX] = "4xx", [MS_COLOR_5XX] = "5xx",
};

static void
ensure_tags (MsTranscriptView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  GtkTextTagTable *table = gtk_text_buffer_get_tag_table (buffer);

  for (guint i = 0; i < G_N_ELEMENTS (class_tags); i++)
    {
      GtkTextTag *tag;
      MsRgb rgb;
      GdkRGBA rgba;

      if (class_tags[i] == NULL)
        continue;
      tag = gtk_text_tag_table_lookup (table, class_tags[i]);
      if (tag == NULL)
        tag = gtk_text_buffer_create_tag (buffer, class_tags[i], NULL);
      ms_render_color (&self->style, i, &rgb);
      rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
      g_object_set (tag, "foreground-rgba", &rgba,
                    "weight", i >= MS_COLOR_2XX && i <= MS_COLOR_5XX ? 700 : 400, NULL);
    }
  if (gtk_text_tag_table_lookup (table, "gutter-c") == NULL)
    {
      gtk_text_buffer_create_tag (buffer, "gutter-c", "weight", 700, NULL);
      gtk_text_buffer_create_tag (buffer, "gutter-s", "weight", 700, NULL);
      gtk_text_buffer_create_tag (buffer, "server", "left-margin", 28, NULL);
      gtk_text_buffer_create_tag (buffer, "current", NULL);
      /* lines not sent yet, while the learner predicts */
      gtk_text_buffer_create_tag (buffer, "future", "invisible", TRUE, NULL);
    }
  {
    MsRgb rgb;
    GdkRGBA rgba;

    ms_render_color (&self->style, MS_COLOR_CURRENT, &rgb);
    rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
    g_object_set (gtk_text_tag_table_lookup (table, "current"),
                  "paragraph-background-rgba", &rgba, NULL);
    ms_render_color (&self->style, MS_COLOR_TLS, &rgb);
    rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
    g_object_set (gtk_text_tag_table_lookup (table, "gutter-c"), "foreground-rgba", &rgba, NULL);
    ms_render_color (&self->style, MS_COLOR_DIM, &rgb);
    rgba = (GdkRGBA) { rgb.r, rgb.g, rgb.b, 1.0 };
    g_object_set (gtk_text_tag_table_lookup (table, "gutter-s"), "foreground-rgba", &rgba, NULL);
  }
}

/* ---- notes (MsAnnotations): "✎ note" under a line; right-click asks for one ---- */

enum { SIGNAL_NOTE_REQUESTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
insert_notes (MsTranscriptView *self,
              MsTraceSession   *session,
              guint             index,
              GtkTextIter      *end)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  MsTraceLine *line = g_ptr_array_index (session->lines, index);
  MsTraceLine *previous = index > 0 ? g_ptr_array_index (session->lines, index - 1) : NULL;
  const char *note;

  if (self->annotations == NULL)
    return;
  if (gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), "note") == NULL)
    gtk_text_buffer_create_tag (buffer, "note", "left-margin", 48, "style", PANGO_STYLE_ITALIC,
                                "foreground", "#c64600", "wrap-mode", GTK_WRAP_WORD_CHAR, NULL);
  note = ms_annotations_get_line_note (self->annotations, session->id, index);
  if (note != NULL)
    {
      g_autofree char *text = g_strdup_printf ("✎ %s\n", note);

      gtk_text_buffer_insert_with_tags_by_name (buffer, end, text, -1, "note", NULL);
    }
  /* a packet comment (Wireshark's, or our export's): under the first line of its frame */
  if (line->frame != 0 && (previous == NULL || previous->frame != line->frame)
      && (note = ms_annotations_get_frame_note (self->annotations, line->frame)) != NULL)
    {
      /* TRANSLATORS: a packet comment shown in the transcript: "✎ frame 12: text" */
      g_autofree char *text = g_strdup_printf (_("✎ frame %lu: %s\n"), (gulong) line->frame,
                                               note);

      gtk_text_buffer_insert_with_tags_by_name (buffer, end, text, -1, "note", NULL);
    }
}

/* The line at buffer offset @offset (a note belongs to the line above it). */
static guint
line_at_offset (MsTranscriptView *self,
                int               offset)
{
  guint index = 0;

  while (index + 1 < self->offsets->len && g_array_index (self->offsets, int, index + 1) <= offset)
    index++;
  return index;
}

gboolean
ms_transcript_view_get_line_rect (MsTranscriptView *self,
                                  guint             index,
                                  GdkRectangle     *rect)
{
  GtkTextIter iter;
  GdkRectangle r;
  int x, y;
  graphene_point_t p;

  if (index >= self->offsets->len)
    return FALSE;
  gtk_text_buffer_get_iter_at_offset (gtk_text_view_get_buffer (self->text), &iter,
                                      g_array_index (self->offsets, int, index));
  gtk_text_view_get_iter_location (self->text, &iter, &r);
  gtk_text_view_buffer_to_window_coords (self->text, GTK_TEXT_WINDOW_WIDGET, r.x, r.y, &x, &y);
  if (!gtk_widget_compute_point (GTK_WIDGET (self->text), GTK_WIDGET (self),
                                 &GRAPHENE_POINT_INIT (x, y), &p))
    return FALSE;
  *rect = (GdkRectangle) { (int) p.x, (int) p.y, MAX (r.width, 40), r.height };
  return TRUE;
}

static void
on_secondary_click (GtkGestureClick  *gesture,
                    int               n_press,
                    double            x,
                    double            y,
                    MsTranscriptView *self)
{
  GtkTextIter iter;
  int bx, by;
  guint index;
  GdkRectangle rect;

  if (self->shown == NULL || self->offsets->len == 0)
    return;
  gtk_text_view_window_to_buffer_coords (self->text, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y,
                                         &bx, &by);
  gtk_text_view_get_iter_at_location (self->text, &iter, bx, by);
  index = line_at_offset (self, gtk_text_iter_get_offset (&iter));
  if (!ms_transcript_view_get_line_rect (self, index, &rect))
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  g_signal_emit (self, signals[SIGNAL_NOTE_REQUESTED], 0, index, &rect);
}

static void fill_buffer (MsTranscriptView *self,
                         MsTraceSession   *session);
static void update (MsTranscriptView *self);

static void
on_notes_changed (MsAnnotations    *annotations,
                  MsTranscriptView *self)
{
  fill_buffer (self, self->shown);
  update (self);
}

void
ms_transcript_view_set_annotations (MsTranscriptView *self,
                                    MsAnnotations    *annotations)
{
  if (self->annotations != NULL)
    g_signal_handlers_disconnect_by_data (self->annotations, self);
  g_set_object (&self->annotations, annotations);
  if (annotations != NULL)
    g_signal_connect (annotations, "changed", G_CALLBACK (on_notes_changed), self);
  if (self->model != NULL)
    on_notes_changed (annotations, self);
}

MsTraceSession *
ms_transcript_view_get_session (MsTranscriptView *self)
{
  return self->shown;
}

static void
notes_class_init (GtkWidgetClass *widget_class)
{
  signals[SIGNAL_NOTE_REQUESTED] =
    g_signal_new ("note-requested", G_TYPE_FROM_CLASS (widget_class), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_POINTER);
}

static void
notes_init (MsTranscriptView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text), GTK_EVENT_CONTROLLER (click));
}

static void
fill_buffer (MsTranscriptView *self,
             MsTraceSession   *session)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  gboolean secrets = ms_playback_model_get_show_secrets (self->model);
  GtkTextIter end;

  ensure_tags (self);
  gtk_text_buffer_set_text (buffer, "", 0);
  g_array_set_size (self->offsets, 0);
  self->shown = session;
  self->shown_secrets = secrets;
  if (session == NULL)
    return;
  for (guint i = 0; i < session->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, i);
      g_autofree char *text = ms_text_format_line_text (session->protocol, line, secrets);
      gboolean client = line->dir == MS_DIR_CLIENT;
      int offset;

      gtk_text_buffer_get_end_iter (buffer, &end);
      offset = gtk_text_iter_get_offset (&end);
      g_array_append_val (self->offsets, offset);
      gtk_text_buffer_insert_with_tags_by_name (buffer, &end, client ? "C: " : "S: ", -1,
                                                client ? "gutter-c" : "gutter-s",
                                                client ? NULL : "server", NULL);
      gtk_text_buffer_insert_with_tags_by_name (buffer, &end, text, -1,
                                                class_tags[ms_render_color_for_line (line)],
                                                client ? NULL : "server", NULL);
      gtk_text_buffer_insert (buffer, &end, "\n", 1);
      insert_notes (self, session, i, &end);
    }
}

static char *
session_title (MsTraceSession *session)
{
  const char *tls = session->tls == MS_TLS_NONE ? "" : session->tls == MS_TLS_STARTTLS
                    ? " · STARTTLS" : " · TLS";

  return g_strdup_printf ("%s  %s → %s%s", ms_protocol_to_string (session->protocol),
                          session->client_node ? session->client_node : session->client,
                          session->server_node ? session->server_node : session->server, tls);
}

/* An event's fields as Pango markup: one "Label: value" a line, or, @inline, all on
 * one small line (beside a session's transcript, under the explanation). */
static void
append_event_fields (GString      *out,
                     MsTraceEvent *event,
                     gboolean      inline_)
{
  g_autoptr(GList) members = event->fields ? json_object_get_members (event->fields) : NULL;
  g_autofree char *node = g_markup_escape_text (event->node ? event->node : "—", -1);
  const char *sep = inline_ ? " · " : "\n";

  if (g_strcmp0 (event->type, "narration") == 0)
    return;
  g_string_append_printf (out, "%s%s: %s", inline_ ? "<small>" : "",
                          ms_explain_event_field_label ("node"), node);
  for (GList *l = members; l != NULL; l = l->next)
    {
      g_autofree char *value = NULL;
      g_autofree char *label = NULL;
      g_autofree char *escaped = NULL;

      if (ms_explain_event_field_is_internal (l->data))
        continue;
      value = ms_explain_event_field_text (event, l->data);
      if (value == NULL || *value == '\0')
        continue;
      label = g_markup_escape_text (ms_explain_event_field_label (l->data), -1);
      escaped = g_markup_escape_text (value, -1);
      g_string_append_printf (out, "%s%s: %s", sep, label, escaped);
    }
  g_string_append (out, inline_ ? "</small>" : "\n");
}

/* "Title" (when asked) and the event's one-sentence summary, as Pango markup. */
static void
append_event_summary (GString      *out,
                      MsTraceEvent *event,
                      gboolean      with_title)
{
  g_autofree char *title = ms_explain_event_title (event);
  g_autofree char *summary = ms_explain_event_summary (event);
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *text = g_markup_escape_text (summary, -1);

  if (with_title)
    g_string_append_printf (out, "<b>%s</b>: ", t);
  g_string_append_printf (out, "%s\n", text);
}

/* An event outside any session: its summary and fields fill the transcript area. */
static void
show_event (MsTranscriptView *self,
            MsTraceEvent     *event)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  g_autoptr(GString) markup = g_string_new (NULL);
  GtkTextIter end;

  append_event_summary (markup, event, FALSE);
  g_string_append_c (markup, '\n');
  append_event_fields (markup, event, FALSE);
  gtk_text_buffer_set_text (buffer, "", 0);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert_markup (buffer, &end, markup->str, -1);
}

static void
explain (MsTranscriptView *self,
         const MsStep     *step)
{
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  GString *out = g_string_new (NULL);
  MsTraceEvent *fields_of = NULL;
  guint n = 0;

  if (step == NULL)
    g_string_append (out, _("Nothing selected yet. Step forward (→) or click a line."));
  else if (step->kind == MS_STEP_LINE)
    {
      MsTraceLine *line = ms_playback_model_get_step_line (self->model, step);
      const char *previous = NULL;

      /* the command this reply answers: the last client command before it */
      for (guint i = step->index; i-- > 0;)
        {
          MsTraceLine *before = g_ptr_array_index (step->session->lines, i);

          if (before->dir == MS_DIR_CLIENT && before->command != NULL)
            {
              previous = before->command;
              break;
            }
        }
      n = ms_explain_line_parts (step->session->protocol, line, previous, parts);
    }
  else
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (self->model, step);

      /* a session's event: its summary, explanation and fields here, the lines above */
      if (step->session != NULL)
        append_event_summary (out, event, TRUE);
      n = ms_explain_event_parts (event, parts);
      /* no decision to explain: what this kind of event is */
      if (n == 0 && ms_explain_event_type (event->type) != NULL)
        {
          parts[0].key = event->type;
          parts[0].text = ms_explain_event_type (event->type);
          n = 1;
        }
      if (step->session != NULL)
        fields_of = event;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_markup_escape_text (parts[i].key, -1);
      g_autofree char *text = g_markup_escape_text (parts[i].text, -1);

      g_string_append_printf (out, "%s<b>%s</b>  %s", i ? "\n" : "", key, text);
    }
  if (step != NULL && n == 0)
    g_string_append (out, _("No explanation for this line in the catalogue."));
  if (fields_of != NULL)
    {
      g_string_append_c (out, '\n');
      append_event_fields (out, fields_of, TRUE);
    }
  gtk_label_set_markup (self->explanation, out->str);
  g_string_free (out, TRUE);
}

static void
update (MsTranscriptView *self)
{
  const MsStep *step = ms_playback_model_get_current (self->model);
  MsTraceSession *session = step ? step->session : NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  GtkTextIter start, end;

  ensure_tags (self);
  if (session != self->shown || ms_playback_model_get_show_secrets (self->model) != self->shown_secrets)
    fill_buffer (self, session);
  if (session == NULL && step != NULL && step->kind == MS_STEP_EVENT)
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (self->model, step);
      g_autofree char *title = ms_explain_event_title (event);

      gtk_label_set_text (self->title, title);
      show_event (self, event);
      self->shown = NULL;
    }
  else if (session == NULL)
    {
      gtk_label_set_text (self->title, _("No session at this step"));
      gtk_text_buffer_set_text (buffer,
                                _("This step is not part of a protocol session (a narration "
                                  "or a network event); its explanation is below."), -1);
      self->shown = NULL;
    }
  else
    {
      g_autofree char *title = session_title (session);

      gtk_label_set_text (self->title, title);
    }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "current", &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "future", &start, &end);
  if (session != NULL && ms_playback_model_get_hide_future (self->model))
    {
      guint shown = 0;

      /* the session's lines up to this step */
      if (step->kind == MS_STEP_LINE)
        shown = step->index + 1;
      else
        while (shown < session->lines->len
               && ((MsTraceLine *) g_ptr_array_index (session->lines, shown))->t_us <= step->t_us)
          shown++;
      if (shown < self->offsets->len)
        {
          GtkTextIter from;

          gtk_text_buffer_get_iter_at_offset (buffer, &from,
                                              g_array_index (self->offsets, int, shown));
          gtk_text_buffer_apply_tag_by_name (buffer, "future", &from, &end);
        }
    }
  if (step != NULL && step->kind == MS_STEP_LINE && step->index < self->offsets->len)
    {
      GtkTextMark *mark;

      gtk_text_buffer_get_iter_at_offset (buffer, &start,
                                          g_array_index (self->offsets, int, step->index));
      end = start;
      gtk_text_iter_forward_line (&end);
      gtk_text_buffer_apply_tag_by_name (buffer, "current", &start, &end);
      mark = gtk_text_buffer_get_mark (buffer, "current-line");
      if (mark == NULL)
        mark = gtk_text_buffer_create_mark (buffer, "current-line", &start, TRUE);
      else
        gtk_text_buffer_move_mark (buffer, mark, &start);
      gtk_text_view_scroll_to_mark (self->text, mark, 0.1, FALSE, 0, 0);
    }
  explain (self, step);
}

static void
on_cursor_changed (MsPlaybackModel  *model,
                   guint             cursor,
                   MsTranscriptView *self)
{
  update (self);
}

static void
on_trace_changed (MsPlaybackModel  *model,
                  MsTranscriptView *self)
{
  fill_buffer (self, NULL);
}

static void
ms_transcript_view_dispose (GObject *object)
{
  MsTranscriptView *self = MS_TRANSCRIPT_VIEW (object);

  ms_transcript_view_set_model (self, NULL);
  ms_transcript_view_set_annotations (self, NULL);
  g_clear_pointer (&self->offsets, g_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_TRANSCRIPT_VIEW);
  G_OBJECT_CLASS (ms_transcript_view_parent_class)->dispose (object);
}

static void
ms_transcript_view_class_init (MsTranscriptViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_transcript_view_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-transcript-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsTranscriptView, text);
  gtk_widget_class_bind_template_child (widget_class, MsTranscriptView, title);
  gtk_widget_class_bind_template_child (widget_class, MsTranscriptView, explanation);
  gtk_widget_class_bind_template_child (widget_class, MsTranscriptView, show_secrets);
  notes_class_init (widget_class);
}

static void
ms_transcript_view_init (MsTranscriptView *self)
{
  self->style.scale = 1.0;
  self->offsets = g_array_new (FALSE, FALSE, sizeof (int));
  gtk_widget_init_template (GTK_WIDGET (self));
  notes_init (self);
}

void
ms_transcript_view_set_model (MsTranscriptView *self,
                              MsPlaybackModel  *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed),
                                      G_CALLBACK (on_trace_changed)))
    return;
  self->shown = NULL;
  if (model == NULL)
    return;
  g_object_bind_property (model, "show-secrets", self->show_secrets, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  update (self);
}

void
ms_transcript_view_set_style (MsTranscriptView    *self,
                              const MsRenderStyle *style)
{
  self->style = *style;
  if (self->model != NULL)
    {
      fill_buffer (self, self->shown);
      update (self);
    }
}
