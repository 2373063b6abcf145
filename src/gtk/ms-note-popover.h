/* ms-note-popover.h: a student's note on one transcript line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-annotations.h"
#include "ms-trace.h"

G_BEGIN_DECLS

/* What Save does (and the tests): the note on line @line of @session, stored with the
 * frame that completed the line and its text (masked if secret) for re-anchoring.
 * NULL or "" removes the note. */
void ms_note_set_for_line (MsAnnotations  *annotations,
                           MsTraceSession *session,
                           guint           line,
                           const char     *note);

#define MS_TYPE_NOTE_POPOVER (ms_note_popover_get_type ())
G_DECLARE_FINAL_TYPE (MsNotePopover, ms_note_popover, MS, NOTE_POPOVER, GtkPopover)

MsNotePopover *ms_note_popover_new      (MsAnnotations  *annotations,
                                         MsTraceSession *session,
                                         guint           line);
/* The note being edited (the text view's buffer). */
GtkTextBuffer *ms_note_popover_get_buffer (MsNotePopover *self);
/* Save (or remove, when empty) and close, as the Save button does. */
void           ms_note_popover_save     (MsNotePopover  *self);

G_END_DECLS
