/* ms-note-popover.c: a student's note on one transcript line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Save stores the note through MsAnnotations, which autosaves it next to the capture;
 * the transcript shows it under its line (✎) as soon as "changed" is emitted.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-note-popover.h"
#include "ms-text-format.h"

struct _MsNotePopover
{
  GtkPopover      parent_instance;

  GtkLabel       *heading;
  GtkLabel       *line;
  GtkTextView    *text;
  GtkButton      *remove_button;

  MsAnnotations  *annotations;
  MsTraceSession *session;   /* owned by the trace the window keeps while we are open */
  guint           line_index;
};

G_DEFINE_FINAL_TYPE (MsNotePopover, ms_note_popover, GTK_TYPE_POPOVER)

void
ms_note_set_for_line (MsAnnotations  *annotations,
                      MsTraceSession *session,
                      guint           line,
                      const char     *note)
{
  MsTraceLine *l;
  g_autofree char *text = NULL;
  g_autofree char *trimmed = note != NULL ? g_strstrip (g_strdup (note)) : NULL;

  g_return_if_fail (line < session->lines->len);
  l = g_ptr_array_index (session->lines, line);
  /* masked like the transcript: a note must not keep a password */
  text = ms_annotations_line_text (session->protocol, l);
  ms_annotations_set_line_note (annotations, session->id, line, l->frame, text, trimmed);
}

GtkTextBuffer *
ms_note_popover_get_buffer (MsNotePopover *self)
{
  return gtk_text_view_get_buffer (self->text);
}

void
ms_note_popover_save (MsNotePopover *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->text);
  GtkTextIter start, end;
  g_autofree char *note = NULL;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  note = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  ms_note_set_for_line (self->annotations, self->session, self->line_index, note);
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
on_save_clicked (GtkButton     *button,
                 MsNotePopover *self)
{
  ms_note_popover_save (self);
}

static void
on_remove_clicked (GtkButton     *button,
                   MsNotePopover *self)
{
  ms_note_set_for_line (self->annotations, self->session, self->line_index, NULL);
  gtk_popover_popdown (GTK_POPOVER (self));
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                MsNotePopover         *self)
{
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter)
      && (state & GDK_CONTROL_MASK) != 0)
    {
      ms_note_popover_save (self);
      return TRUE;
    }
  return FALSE;
}

static void
ms_note_popover_dispose (GObject *object)
{
  MsNotePopover *self = MS_NOTE_POPOVER (object);

  g_clear_object (&self->annotations);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_NOTE_POPOVER);
  G_OBJECT_CLASS (ms_note_popover_parent_class)->dispose (object);
}

static void
ms_note_popover_class_init (MsNotePopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_note_popover_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-note-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, MsNotePopover, heading);
  gtk_widget_class_bind_template_child (widget_class, MsNotePopover, line);
  gtk_widget_class_bind_template_child (widget_class, MsNotePopover, text);
  gtk_widget_class_bind_template_child (widget_class, MsNotePopover, remove_button);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);
}

static void
ms_note_popover_init (MsNotePopover *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  g_signal_connect_swapped (self, "map", G_CALLBACK (gtk_widget_grab_focus), self->text);
  gtk_widget_add_controller (GTK_WIDGET (self->text), keys);
}

MsNotePopover *
ms_note_popover_new (MsAnnotations  *annotations,
                     MsTraceSession *session,
                     guint           line)
{
  MsNotePopover *self = g_object_new (MS_TYPE_NOTE_POPOVER, NULL);
  MsTraceLine *l = g_ptr_array_index (session->lines, line);
  const char *note = ms_annotations_get_line_note (annotations, session->id, line);
  g_autofree char *heading = NULL;
  g_autofree char *text = ms_text_format_line_text (session->protocol, l, FALSE);

  self->annotations = g_object_ref (annotations);
  self->session = session;
  self->line_index = line;
  if (l->frame != 0)
    /* TRANSLATORS: "Note on session 1, line 12 (frame 34)" */
    heading = g_strdup_printf (_("Note on session %u, line %u (frame %lu)"),
                               session->id, line + 1, (gulong) l->frame);
  else
    /* TRANSLATORS: "Note on session 1, line 12" */
    heading = g_strdup_printf (_("Note on session %u, line %u"), session->id, line + 1);
  gtk_label_set_text (self->heading, heading);
  gtk_label_set_text (self->line, text);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text), note ? note : "", -1);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button), note != NULL);
  gtk_popover_set_default_widget (GTK_POPOVER (self), NULL);
  return self;
}
