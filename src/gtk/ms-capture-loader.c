/* ms-capture-loader.c: a pcap/pcapng file analysed into a trace, off the main thread
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ms-capture-loader.h"
#include "ms-capture-reader.h"
#include "ms-mail-observer.h"

/* Bytes of a pcap record header: the file offset is about captured bytes plus these. */
#define PCAP_RECORD_HEADER 16

gboolean
ms_capture_file_is_capture (GFile *file)
{
  static const guint8 magics[][4] = {
    { 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },  /* pcap µs */
    { 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },  /* pcap ns */
    { 0x0a, 0x0d, 0x0d, 0x0a },                              /* pcapng section header */
  };
  g_autofree char *base = g_file_get_basename (file);
  g_autoptr(GFileInputStream) in = NULL;
  guint8 head[4];
  gsize n = 0;

  if (base != NULL && (g_str_has_suffix (base, ".pcap") || g_str_has_suffix (base, ".pcapng")
                       || g_str_has_suffix (base, ".cap")))
    return TRUE;
  in = g_file_read (file, NULL, NULL);
  if (in == NULL
      || !g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &n, NULL, NULL)
      || n < sizeof head)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (magics); i++)
    if (memcmp (head, magics[i], sizeof head) == 0)
      return TRUE;
  return FALSE;
}

MsTrace *
ms_capture_load (const char            *path,
                 MsCaptureLoadFlags     flags,
                 GCancellable          *cancellable,
                 MsCaptureProgressFunc  progress,
                 gpointer               progress_data,
                 GError               **read_error,
                 GError               **error)
{
  g_autoptr(MsCaptureReader) reader = NULL;
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsMailObserver) observer = NULL;
  g_autofree char *basename = NULL;
  GStatBuf st;
  double size;
  MsTcpStreamCallbacks callbacks;

  reader = ms_capture_reader_open_file (path, error);
  if (reader == NULL)
    return NULL;
  size = g_stat (path, &st) == 0 && st.st_size > 0 ? (double) st.st_size : 1.0;
  basename = g_path_get_basename (path);
  trace = ms_trace_new ("pcap", basename);
  observer = ms_mail_observer_new (trace);
  ms_mail_observer_set_show_secrets (observer, (flags & MS_CAPTURE_LOAD_SHOW_SECRETS) != 0);
  ms_mail_observer_get_callbacks (observer, &callbacks);
  ms_capture_reader_set_callbacks (reader, &callbacks);
  /* lines carry the number of the frame that completed them (notes are anchored on it) */
  ms_capture_reader_set_trace (reader, trace);
  while (!ms_capture_reader_at_end (reader))
    {
      const MsCaptureStats *stats;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!ms_capture_reader_run (reader, MS_CAPTURE_LOAD_BATCH, read_error))
        break;  /* truncated: what was read is delivered, every connection closed */
      stats = ms_capture_reader_get_stats (reader);
      if (progress != NULL)
        progress (MIN (1.0, (stats->bytes + stats->packets * PCAP_RECORD_HEADER) / size),
                  progress_data);
    }
  ms_mail_observer_finish (observer, 0);
  return g_steal_pointer (&trace);
}

/* ---- async ---- */

typedef struct
{
  char                  *path;
  MsCaptureLoadFlags     flags;
  MsCaptureProgressFunc  progress;
  gpointer               progress_data;
  GMainContext          *context;
  GCancellable          *cancellable;
  int                    last_percent;
  GError                *read_error;
} LoadData;

typedef struct
{
  double    fraction;
  GCancellable *cancellable;
  MsCaptureProgressFunc progress;
  gpointer  progress_data;
} ProgressReport;

static void
load_data_free (LoadData *data)
{
  g_free (data->path);
  g_main_context_unref (data->context);
  g_clear_object (&data->cancellable);
  g_clear_error (&data->read_error);
  g_free (data);
}

static gboolean
report_progress (gpointer user_data)
{
  ProgressReport *report = user_data;

  /* a cancelled load's owner may be gone */
  if (!g_cancellable_is_cancelled (report->cancellable))
    report->progress (report->fraction, report->progress_data);
  return G_SOURCE_REMOVE;
}

static void
report_free (gpointer user_data)
{
  ProgressReport *report = user_data;

  g_object_unref (report->cancellable);
  g_free (report);
}

static void
on_worker_progress (double   fraction,
                    gpointer user_data)
{
  LoadData *data = user_data;
  int percent = (int) (fraction * 100);
  ProgressReport *report;

  if (data->progress == NULL || percent == data->last_percent)
    return;
  data->last_percent = percent;
  report = g_new0 (ProgressReport, 1);
  report->fraction = fraction;
  report->cancellable = g_object_ref (data->cancellable);
  report->progress = data->progress;
  report->progress_data = data->progress_data;
  g_main_context_invoke_full (data->context, G_PRIORITY_DEFAULT, report_progress, report,
                              report_free);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  LoadData *data = task_data;
  GError *error = NULL;
  MsTrace *trace = ms_capture_load (data->path, data->flags, cancellable, on_worker_progress, data,
                                    &data->read_error, &error);

  if (trace == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, trace, g_object_unref);
}

void
ms_capture_load_async (const char            *path,
                       MsCaptureLoadFlags     flags,
                       GCancellable          *cancellable,
                       MsCaptureProgressFunc  progress,
                       gpointer               progress_data,
                       GAsyncReadyCallback    callback,
                       gpointer               user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  LoadData *data = g_new0 (LoadData, 1);

  data->path = g_strdup (path);
  data->flags = flags;
  data->progress = progress;
  data->progress_data = progress_data;
  data->context = g_main_context_ref_thread_default ();
  data->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  data->last_percent = -1;
  g_task_set_source_tag (task, ms_capture_load_async);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, load_thread);
}

MsTrace *
ms_capture_load_finish (GAsyncResult  *result,
                        GError       **read_error,
                        GError       **error)
{
  GTask *task = G_TASK (result);
  LoadData *data = g_task_get_task_data (task);
  MsTrace *trace;

  g_return_val_if_fail (g_task_get_source_tag (task) == ms_capture_load_async, NULL);
  trace = g_task_propagate_pointer (task, error);
  if (trace != NULL && data->read_error != NULL)
    g_propagate_error (read_error, g_steal_pointer (&data->read_error));
  return trace;
}
