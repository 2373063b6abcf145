/* ms-live-capture-dialog.h: capture from an interface, sessions appearing as they happen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The dialog owns the live reader, the observer and the growing trace. Signals:
 * "trace-started" (MsTrace*) when capture begins, "trace-updated" at most every
 * MS_LIVE_UPDATE_MS while lines arrive, "stopped" (const char *error, or NULL) at the end,
 * "saved" (const char *path) when the captured frames were saved as pcapng after Stop.
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_LIVE_UPDATE_MS 300
#define MS_LIVE_DEFAULT_FILTER \
  "tcp port 25 or port 587 or port 465 or port 110 or port 995 or port 143 or port 993"

#define MS_TYPE_LIVE_CAPTURE_DIALOG (ms_live_capture_dialog_get_type ())
G_DECLARE_FINAL_TYPE (MsLiveCaptureDialog, ms_live_capture_dialog, MS, LIVE_CAPTURE_DIALOG,
                      GtkWindow)

MsLiveCaptureDialog *ms_live_capture_dialog_new       (GtkWindow           *parent);
/* FALSE with error (shown in the dialog too) when capture cannot start. */
gboolean             ms_live_capture_dialog_start     (MsLiveCaptureDialog *self,
                                                       const char          *interface,
                                                       const char          *filter,
                                                       GError             **error);
void                 ms_live_capture_dialog_stop      (MsLiveCaptureDialog *self);
gboolean             ms_live_capture_dialog_is_running (MsLiveCaptureDialog *self);
MsTrace             *ms_live_capture_dialog_get_trace (MsLiveCaptureDialog *self);
/* After Stop: every captured frame as pcapng at @path (then "saved"). */
gboolean             ms_live_capture_dialog_save      (MsLiveCaptureDialog *self,
                                                       const char          *path,
                                                       GError             **error);
/* "Capturing on lo: 42 packets, 2 sessions" */
char                *ms_live_capture_dialog_describe  (MsLiveCaptureDialog *self);

G_END_DECLS
