/* ms-capture-bar.h: the band above the views while a capture is read or captured, or
 * when reading it failed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MS_TYPE_CAPTURE_BAR (ms_capture_bar_get_type ())
G_DECLARE_FINAL_TYPE (MsCaptureBar, ms_capture_bar, MS, CAPTURE_BAR, GtkBox)

/* Reading a file: text, a progress bar (fraction < 0: unknown) and Cancel. */
void        ms_capture_bar_show_progress (MsCaptureBar *self,
                                          const char   *text,
                                          double        fraction);
/* Capturing live: text and Stop. */
void        ms_capture_bar_show_live     (MsCaptureBar *self,
                                          const char   *text);
/* An error (selectable text) with Close. */
void        ms_capture_bar_show_error    (MsCaptureBar *self,
                                          const char   *text);
/* A warning (what is shown is not all there is: a capture cut short) or a notice (nothing
 * went wrong: notes moved to their lines), with Close; not in an error's red. */
void        ms_capture_bar_show_warning  (MsCaptureBar *self,
                                          const char   *text);
void        ms_capture_bar_show_notice   (MsCaptureBar *self,
                                          const char   *text);
void        ms_capture_bar_hide          (MsCaptureBar *self);
const char *ms_capture_bar_get_text      (MsCaptureBar *self);
gboolean    ms_capture_bar_is_error      (MsCaptureBar *self);

G_END_DECLS
