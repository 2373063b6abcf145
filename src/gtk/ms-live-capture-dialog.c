/* ms-live-capture-dialog.c: capture from an interface, sessions appearing as they happen
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The reader's GSource runs on the main loop (libpcap's fd is non-blocking); every
 * packet goes through the same observer as `mailsim capture`. The window is told at
 * most every MS_LIVE_UPDATE_MS, and only when the trace grew.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "ms-capture-devices.h"
#include "ms-capture-reader.h"
#include "ms-live-capture-dialog.h"
#include "ms-mail-observer.h"
#include "ms-pcapng-writer.h"

struct _MsLiveCaptureDialog
{
  GtkWindow        parent_instance;

  GtkStringList   *interfaces;
  GtkDropDown     *interface;
  GtkEntry        *filter;
  GtkLabel        *status;
  GtkLabel        *error;
  GtkButton       *start_button;
  GtkButton       *stop_button;
  GtkButton       *save_button;

  char            *capturing_on;
  MsCaptureReader *reader;
  MsMailObserver  *observer;
  MsTrace         *trace;
  GSource         *source;
  guint            update_id;
  guint64          shown_size;   /* sessions + lines when the window was last told */
  /* every captured frame, kept to save the capture (and annotate it) after Stop */
  char            *frames_path;
  MsPcapngWriter  *frames;
  guint64          n_frames;
};

G_DEFINE_FINAL_TYPE (MsLiveCaptureDialog, ms_live_capture_dialog, GTK_TYPE_WINDOW)

enum { SIGNAL_TRACE_STARTED, SIGNAL_TRACE_UPDATED, SIGNAL_STOPPED, SIGNAL_SAVED, N_SIGNALS };
static guint signals[N_SIGNALS];

static guint64
trace_size (MsTrace *trace)
{
  guint n = ms_trace_get_n_sessions (trace);
  guint64 size = n;

  for (guint i = 0; i < n; i++)
    size += ms_trace_get_session (trace, i)->lines->len;
  return size;
}

char *
ms_live_capture_dialog_describe (MsLiveCaptureDialog *self)
{
  guint64 packets = self->reader ? ms_capture_reader_get_stats (self->reader)->packets : 0;
  guint sessions = self->trace ? ms_trace_get_n_sessions (self->trace) : 0;
  g_autofree char *p = g_strdup_printf (ngettext ("%lu packet", "%lu packets", (gulong) packets),
                                        (gulong) packets);
  g_autofree char *s = g_strdup_printf (ngettext ("%u session", "%u sessions", sessions),
                                        sessions);

  if (self->source == NULL)
    /* TRANSLATORS: "Captured on lo: 42 packets, 2 sessions" */
    return g_strdup_printf (_("Captured on %s: %s, %s"), self->capturing_on ? self->capturing_on
                            : "—", p, s);
  /* TRANSLATORS: "Capturing on lo: 42 packets, 2 sessions" */
  return g_strdup_printf (_("Capturing on %s: %s, %s"), self->capturing_on, p, s);
}

static void
show_status (MsLiveCaptureDialog *self)
{
  g_autofree char *text = ms_live_capture_dialog_describe (self);

  gtk_label_set_text (self->status, text);
}

static void stop (MsLiveCaptureDialog *self,
                  const char          *error);
static void finish_frames (MsLiveCaptureDialog *self);

static gboolean
on_update (gpointer user_data)
{
  MsLiveCaptureDialog *self = user_data;
  guint64 size;

  if (g_source_is_destroyed (self->source))
    {
      /* the reader's source gave up on a read error (it logged the reason) */
      self->update_id = 0;
      stop (self, _("The capture stopped on a read error."));
      return G_SOURCE_REMOVE;
    }
  size = trace_size (self->trace);
  show_status (self);
  if (size != self->shown_size)
    {
      self->shown_size = size;
      g_signal_emit (self, signals[SIGNAL_TRACE_UPDATED], 0);
    }
  return G_SOURCE_CONTINUE;
}

static void
show_error (MsLiveCaptureDialog *self,
            const GError        *error)
{
  g_autofree char *text = NULL;

  if (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_PERMISSION))
    {
      g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

      /* the reader's hint names the CLI; the window needs the same for itself */
      text = g_strdup_printf (_("%s\n\nFor this window: run it as root, or once: "
                                "sudo setcap cap_net_raw,cap_net_admin=eip %s"),
                              error->message, exe ? exe : "mailsim-gtk");
    }
  else
    text = g_strdup (error->message);
  gtk_label_set_text (self->error, text);
  gtk_widget_set_visible (GTK_WIDGET (self->error), TRUE);
}

static void
set_running (MsLiveCaptureDialog *self,
             gboolean             running)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->stop_button), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->interface), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->filter), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            !running && self->frames_path != NULL && self->n_frames > 0);
}

static void
stop (MsLiveCaptureDialog *self,
      const char          *error)
{
  if (self->source == NULL)
    return;
  g_source_destroy (self->source);
  g_clear_pointer (&self->source, g_source_unref);
  g_clear_handle_id (&self->update_id, g_source_remove);
  /* every open connection is closed and handed on: the sessions end */
  ms_capture_reader_finish (self->reader);
  ms_mail_observer_finish (self->observer, 0);
  finish_frames (self);
  show_status (self);
  set_running (self, FALSE);
  self->shown_size = trace_size (self->trace);
  g_signal_emit (self, signals[SIGNAL_TRACE_UPDATED], 0);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0, error);
  g_clear_object (&self->observer);
  g_clear_pointer (&self->reader, ms_capture_reader_free);
}

static gboolean
on_packets (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

static void
on_frame (const MsCaptureFrame *frame,
          gpointer              user_data)
{
  MsLiveCaptureDialog *self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->frames == NULL)
    return;
  if (!ms_pcapng_writer_write_frame (self->frames, frame->link_type, frame->t_ns, frame->data,
                                     frame->caplen, frame->wirelen, NULL, &error))
    {
      /* the capture goes on; only saving it is lost */
      g_warning ("cannot keep the captured frames: %s", error->message);
      g_clear_pointer (&self->frames, ms_pcapng_writer_free);
      return;
    }
  self->n_frames++;
}

static void
drop_frames (MsLiveCaptureDialog *self)
{
  g_clear_pointer (&self->frames, ms_pcapng_writer_free);
  if (self->frames_path != NULL)
    g_unlink (self->frames_path);
  g_clear_pointer (&self->frames_path, g_free);
  self->n_frames = 0;
}

static void
finish_frames (MsLiveCaptureDialog *self)
{
  g_autoptr(GError) error = NULL;

  if (self->frames == NULL)
    return;
  if (!ms_pcapng_writer_close (self->frames, &error))
    {
      g_warning ("cannot keep the captured frames: %s", error->message);
      drop_frames (self);
      return;
    }
  g_clear_pointer (&self->frames, ms_pcapng_writer_free);
}

/* A temporary pcapng for this capture's frames; NULL (and the capture still runs) when
 * it cannot be made. */
static void
keep_frames (MsLiveCaptureDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  int fd;

  drop_frames (self);
  fd = g_file_open_tmp ("mailsim-live-XXXXXX.pcapng", &self->frames_path, &error);
  if (fd < 0)
    return;
  close (fd);
  file = g_file_new_for_path (self->frames_path);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, &error);
  if (out != NULL)
    self->frames = ms_pcapng_writer_new_for_frames (G_OUTPUT_STREAM (out), "mailsim-gtk", &error);
  if (self->frames == NULL)
    {
      g_warning ("cannot keep the captured frames: %s", error->message);
      drop_frames (self);
    }
}

gboolean
ms_live_capture_dialog_save (MsLiveCaptureDialog *self,
                             const char          *path,
                             GError             **error)
{
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = NULL;

  if (self->frames_path == NULL || self->source != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Nothing captured to save."));
      return FALSE;
    }
  from = g_file_new_for_path (self->frames_path);
  to = g_file_new_for_path (path);
  if (!g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error))
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, path);
  return TRUE;
}

static void
on_save_response (GtkNativeDialog     *chooser,
                  int                  response,
                  MsLiveCaptureDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (path == NULL || !ms_live_capture_dialog_save (self, path, &error))
        {
          gtk_label_set_text (self->error, error ? error->message : _("Only local files can be saved"));
          gtk_widget_set_visible (GTK_WIDGET (self->error), TRUE);
        }
    }
  g_object_unref (chooser);
}

static void
on_save_clicked (GtkButton           *button,
                 MsLiveCaptureDialog *self)
{
  GtkFileChooserNative *chooser;
  g_autofree char *name = g_strdup_printf ("capture-%s.pcapng", self->capturing_on);

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  chooser = gtk_file_chooser_native_new (_("Save the Capture"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (chooser, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

gboolean
ms_live_capture_dialog_start (MsLiveCaptureDialog *self,
                              const char          *interface,
                              const char          *filter,
                              GError             **error)
{
  g_autoptr(GError) local = NULL;
  MsTcpStreamCallbacks callbacks;
  MsCaptureReader *reader;

  g_return_val_if_fail (self->source == NULL, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->error), FALSE);
  reader = ms_capture_reader_open_live (interface, filter, &local);
  if (reader == NULL)
    {
      show_error (self, local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  g_clear_pointer (&self->reader, ms_capture_reader_free);
  g_clear_object (&self->trace);
  self->reader = reader;
  self->trace = ms_trace_new ("capture", interface);
  self->observer = ms_mail_observer_new (self->trace);
  g_free (self->capturing_on);
  self->capturing_on = g_strdup (interface);
  ms_mail_observer_get_callbacks (self->observer, &callbacks);
  ms_capture_reader_set_callbacks (self->reader, &callbacks);
  ms_capture_reader_set_trace (self->reader, self->trace);
  keep_frames (self);
  ms_capture_reader_set_frame_func (self->reader, on_frame, self);
  self->source = ms_capture_reader_create_source (self->reader);
  g_source_set_callback (self->source, on_packets, self, NULL);
  g_source_attach (self->source, NULL);
  self->shown_size = 0;
  self->update_id = g_timeout_add (MS_LIVE_UPDATE_MS, on_update, self);
  set_running (self, TRUE);
  show_status (self);
  g_signal_emit (self, signals[SIGNAL_TRACE_STARTED], 0, self->trace);
  return TRUE;
}

void
ms_live_capture_dialog_stop (MsLiveCaptureDialog *self)
{
  stop (self, NULL);
}

gboolean
ms_live_capture_dialog_is_running (MsLiveCaptureDialog *self)
{
  return self->source != NULL;
}

MsTrace *
ms_live_capture_dialog_get_trace (MsLiveCaptureDialog *self)
{
  return self->trace;
}

static void
on_start_clicked (GtkButton           *button,
                  MsLiveCaptureDialog *self)
{
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->interface);
  const char *filter = gtk_editable_get_text (GTK_EDITABLE (self->filter));

  if (item == NULL)
    return;
  ms_live_capture_dialog_start (self, gtk_string_object_get_string (item), filter, NULL);
}

static void
on_stop_clicked (GtkButton           *button,
                 MsLiveCaptureDialog *self)
{
  stop (self, NULL);
}

static void
fill_interfaces (MsLiveCaptureDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = ms_capture_list_devices (&error);

  if (devices == NULL)
    {
      show_error (self, error);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      MsCaptureDevice *device = g_ptr_array_index (devices, i);

      gtk_string_list_append (self->interfaces, device->name);
    }
  if (devices->len == 0)
    {
      gtk_label_set_text (self->error, _("No interface to capture from. Without the "
                                         "CAP_NET_RAW capability libpcap lists none: run as "
                                         "root or grant it with setcap."));
      gtk_widget_set_visible (GTK_WIDGET (self->error), TRUE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->start_button), FALSE);
    }
}

static void
ms_live_capture_dialog_dispose (GObject *object)
{
  MsLiveCaptureDialog *self = MS_LIVE_CAPTURE_DIALOG (object);

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  g_clear_handle_id (&self->update_id, g_source_remove);
  g_clear_object (&self->observer);
  g_clear_pointer (&self->reader, ms_capture_reader_free);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->capturing_on, g_free);
  drop_frames (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_LIVE_CAPTURE_DIALOG);
  G_OBJECT_CLASS (ms_live_capture_dialog_parent_class)->dispose (object);
}

static void
ms_live_capture_dialog_class_init (MsLiveCaptureDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_live_capture_dialog_dispose;
  signals[SIGNAL_TRACE_STARTED] =
    g_signal_new ("trace-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 1, MS_TYPE_TRACE);
  signals[SIGNAL_TRACE_UPDATED] =
    g_signal_new ("trace-updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STOPPED] =
    g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-live-capture-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, interfaces);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, interface);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, filter);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, status);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, error);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, stop_button);
  gtk_widget_class_bind_template_child (widget_class, MsLiveCaptureDialog, save_button);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  signals[SIGNAL_SAVED] =
    g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_clicked);
}

static void
ms_live_capture_dialog_init (MsLiveCaptureDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_editable_set_text (GTK_EDITABLE (self->filter), MS_LIVE_DEFAULT_FILTER);
  fill_interfaces (self);
  gtk_label_set_text (self->status, _("Not capturing."));
}

MsLiveCaptureDialog *
ms_live_capture_dialog_new (GtkWindow *parent)
{
  return g_object_new (MS_TYPE_LIVE_CAPTURE_DIALOG, "transient-for", parent, NULL);
}
