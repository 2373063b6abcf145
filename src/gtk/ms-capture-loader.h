/* ms-capture-loader.h: a pcap/pcapng file analysed into a trace, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same pipeline as `mailsim analyze` (MsCaptureReader → MsMailObserver → MsTrace),
 * read in batches so that the window can show progress and cancel. A truncated file
 * still gives the trace of what was read, with the reader's message (what was read up
 * to where) in read_error.
 */
#pragma once

#include <gio/gio.h>

#include "ms-trace.h"

G_BEGIN_DECLS

/* Packets read between two progress reports and cancellation checks. */
#define MS_CAPTURE_LOAD_BATCH 2000

typedef enum
{
  MS_CAPTURE_LOAD_DEFAULT      = 0,
  MS_CAPTURE_LOAD_SHOW_SECRETS = 1 << 0,  /* decoded SASL passwords in clear in the notes */
} MsCaptureLoadFlags;

/* fraction: 0..1 of the file read */
typedef void (*MsCaptureProgressFunc) (double   fraction,
                                       gpointer user_data);

/* A .pcap/.pcapng/.cap name, or a file that starts with a pcap or pcapng magic. */
gboolean ms_capture_file_is_capture (GFile                 *file);

/* NULL with error when the file cannot be opened (or on cancel); otherwise the trace,
 * and read_error set when reading stopped early (a truncated file). */
MsTrace *ms_capture_load            (const char            *path,
                                     MsCaptureLoadFlags     flags,
                                     GCancellable          *cancellable,
                                     MsCaptureProgressFunc  progress,
                                     gpointer               progress_data,
                                     GError               **read_error,
                                     GError               **error);

/* progress is called in the caller's main context. */
void     ms_capture_load_async      (const char            *path,
                                     MsCaptureLoadFlags     flags,
                                     GCancellable          *cancellable,
                                     MsCaptureProgressFunc  progress,
                                     gpointer               progress_data,
                                     GAsyncReadyCallback    callback,
                                     gpointer               user_data);
MsTrace *ms_capture_load_finish     (GAsyncResult          *result,
                                     GError               **read_error,
                                     GError               **error);

G_END_DECLS
