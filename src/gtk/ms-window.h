/* ms-window.h: the main window, one trace and one cursor for every view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-annotations.h"
#include "ms-playback-model.h"

G_BEGIN_DECLS

#define MS_TYPE_WINDOW (ms_window_get_type ())
G_DECLARE_FINAL_TYPE (MsWindow, ms_window, MS, WINDOW, GtkApplicationWindow)

MsWindow        *ms_window_new            (GtkApplication *application);
MsPlaybackModel *ms_window_get_model      (MsWindow       *self);
void             ms_window_set_trace      (MsWindow       *self,
                                           MsTrace        *trace);
gboolean         ms_window_open_file      (MsWindow       *self,
                                           GFile          *file,
                                           GError        **error);
gboolean         ms_window_open_scenario  (MsWindow       *self,
                                           const char     *id_or_path,
                                           GError        **error);
void             ms_window_show_error     (MsWindow       *self,
                                           const char     *message);
void             ms_window_set_presentation (MsWindow     *self,
                                             gboolean      presentation);
/* The side panel's page: "transcript" or "headers". */
void             ms_window_show_page      (MsWindow       *self,
                                           const char     *name);
/* Screenshots: no animation, no fullscreen (the size stays fixed). */
void             ms_window_set_still      (MsWindow       *self,
                                           gboolean        still);

/* Captures (ms-capture-loader.c): read off the main thread, with progress in the bar. */
void             ms_window_open_capture   (MsWindow       *self,
                                           GFile          *file);
/* A capture is being read (screenshots wait for it). */
gboolean         ms_window_is_busy        (MsWindow       *self);
/* The capture bar's text (progress or error), or NULL when it is hidden. */
const char      *ms_window_get_bar_text   (MsWindow       *self);
/* The capture's notes (NULL for other traces); the note popover on line @line of the
 * session in the transcript, as a right-click opens it (NULL without notes). */
MsAnnotations   *ms_window_get_annotations (MsWindow      *self);
GtkWidget       *ms_window_edit_note      (MsWindow       *self,
                                           guint           line);

G_END_DECLS
