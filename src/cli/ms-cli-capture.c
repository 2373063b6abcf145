/* ms-cli-capture.c: `mailsim capture`, mail sessions on a live interface
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-capture-reader.h"
#include "ms-cli-private.h"
#include "ms-mail-observer.h"
#include "ms-pcapng-writer.h"
#include "ms-text-format.h"

typedef struct
{
  GMainLoop           *loop;
  MsCaptureReader     *reader;
  MsMailObserver      *observer;
  MsTextFormatter     *formatter;
  MsTextFormatOptions  options;
  gboolean             json;
  GError              *error;
  MsPcapngWriter      *writer;     /* --write, or NULL */
  guint64              n_written;
} Capture;

static void
on_session_opened (MsTrace        *trace,
                   MsTraceSession *session,
                   Capture        *capture)
{
  g_autoptr(GString) out = NULL;

  if (capture->json)
    return;
  out = g_string_new (NULL);
  ms_text_format_session_header (out, session, &capture->options);
  fwrite (out->str, 1, out->len, stdout);
  fflush (stdout);
}

static void
on_line_added (MsTrace        *trace,
               MsTraceSession *session,
               MsTraceLine    *line,
               Capture        *capture)
{
  g_autoptr(GString) out = NULL;

  if (capture->json)
    return;
  out = g_string_new (NULL);
  /* sessions interleave: each line says which one it belongs to */
  g_string_append_printf (out, "[%u] ", session->id);
  ms_text_formatter_line (capture->formatter, out, session, line);
  fwrite (out->str, 1, out->len, stdout);
  fflush (stdout);
}

static void
on_session_closed (MsTrace        *trace,
                   MsTraceSession *session,
                   Capture        *capture)
{
  if (capture->json)
    {
      g_autoptr(JsonNode) node = ms_trace_session_to_json (session);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (generator, node);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    {
      ms_text_formatter_forget_session (capture->formatter, session);
      printf (_("[%u] connection closed\n"), session->id);
    }
  fflush (stdout);
}

/* --write: every frame as captured, whatever it carries */
static void
on_frame (const MsCaptureFrame *frame,
          gpointer              user_data)
{
  Capture *capture = user_data;

  if (capture->error != NULL)
    return;
  if (ms_pcapng_writer_write_frame (capture->writer, frame->link_type, frame->t_ns,
                                    frame->data, frame->caplen, frame->wirelen, NULL,
                                    &capture->error))
    capture->n_written++;
  else
    g_main_loop_quit (capture->loop);
}

static gboolean
on_packets (gpointer user_data)
{
  Capture *capture = user_data;

  /* after each batch the file holds every frame so far: a kill loses nothing read */
  if (capture->writer != NULL && capture->error == NULL
      && !ms_pcapng_writer_flush (capture->writer, &capture->error))
    g_main_loop_quit (capture->loop);
  return G_SOURCE_CONTINUE;
}

/* Written in place (not through a temporary file) so that a capture that is killed
 * leaves the frames it had. */
static MsPcapngWriter *
open_writer (const char  *path,
             GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) raw = NULL;
  g_autoptr(GOutputStream) buffered = NULL;

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s",
                   g_strerror (saved));
      return NULL;
    }
  raw = g_file_create (file, G_FILE_CREATE_NONE, NULL, error);
  if (raw == NULL)
    return NULL;
  buffered = g_buffered_output_stream_new_sized (G_OUTPUT_STREAM (raw), 65536);
  return ms_pcapng_writer_new_for_frames (buffered, "MailSim", error);
}

static gboolean
on_stop (gpointer user_data)
{
  Capture *capture = user_data;

  g_main_loop_quit (capture->loop);
  return G_SOURCE_CONTINUE;  /* removed after the loop */
}

int
ms_cli_capture (int    argc,
                char **argv)
{
  g_autofree char *interface = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *write_path = NULL;
  g_autofree char *format = NULL;
  g_autofree char *lang = NULL;
  gboolean show_secrets = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(GSource) source = NULL;
  MsTcpStreamCallbacks callbacks;
  Capture capture = { 0 };
  guint sigint, sigterm;
  int status = MS_CLI_EXIT_OK;
  GOptionEntry entries[] = {
    { "interface", 'i', 0, G_OPTION_ARG_STRING, &interface,
      N_("The network interface to capture on (e.g. eth0, lo)"), N_("IF") },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter,
      N_("A BPF capture filter, e.g. \"tcp port 25\""), N_("BPF") },
    { "write", 'w', 0, G_OPTION_ARG_FILENAME, &write_path,
      N_("Also save the packets to a pcapng file"), N_("OUT.pcapng") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json"),
      N_("FORMAT") },
    { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &show_secrets,
      N_("Show passwords and SASL responses instead of masking them"), NULL },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of messages: ja or en"),
      N_("LANG") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Capture on a network interface and show the "
                                           "SMTP, POP3 and IMAP sessions as they happen. "
                                           "Stop with Ctrl+C."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim capture: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc > 1)
    {
      fprintf (stderr, _("mailsim capture: unexpected argument “%s”\n"), argv[1]);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (interface == NULL)
    {
      fprintf (stderr, "%s\n", _("mailsim capture: --interface is required"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      fprintf (stderr, _("mailsim capture: unknown format “%s” (text or json)\n"), format);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  capture.reader = ms_capture_reader_open_live (interface, filter, &error);
  if (capture.reader == NULL)
    {
      if (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_PERMISSION))
        {
          g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);

          fprintf (stderr, _("mailsim capture: no permission to capture on %s: %s\n"),
                   interface, error->message);
          fprintf (stderr, _("Run it as root, or give the program the capture capabilities "
                             "once:\n  sudo setcap cap_net_raw,cap_net_admin=eip %s\n"),
                   self_path != NULL ? self_path : "mailsim");
        }
      else
        fprintf (stderr, _("mailsim capture: cannot capture on %s: %s\n"), interface,
                 error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  if (write_path != NULL)
    {
      capture.writer = open_writer (write_path, &error);
      if (capture.writer == NULL)
        {
          fprintf (stderr, _("mailsim capture: cannot write %s: %s\n"), write_path,
                   error->message);
          ms_capture_reader_free (capture.reader);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      ms_capture_reader_set_frame_func (capture.reader, on_frame, &capture);
    }

  trace = ms_trace_new ("live", interface);
  ms_capture_reader_set_trace (capture.reader, trace);
  capture.observer = ms_mail_observer_new (trace);
  capture.json = format != NULL && strcmp (format, "json") == 0;
  capture.options.explain = TRUE;
  capture.options.color = ms_text_format_color_wanted (fileno (stdout));
  capture.options.show_secrets = show_secrets;
  capture.formatter = ms_text_formatter_new (&capture.options);
  ms_mail_observer_set_show_secrets (capture.observer, show_secrets);
  /* each session is printed when it closes, then freed: a long capture stays small */
  ms_mail_observer_set_forget_closed (capture.observer, TRUE);
  ms_mail_observer_get_callbacks (capture.observer, &callbacks);
  ms_capture_reader_set_callbacks (capture.reader, &callbacks);

  g_signal_connect (trace, "session-opened", G_CALLBACK (on_session_opened), &capture);
  g_signal_connect (trace, "line-added", G_CALLBACK (on_line_added), &capture);
  g_signal_connect (trace, "session-closed", G_CALLBACK (on_session_closed), &capture);

  if (!capture.json)
    {
      printf (_("Capturing on %s%s%s. Stop with Ctrl+C.\n"), interface,
              filter ? _(", filter: ") : "", filter ? filter : "");
      fflush (stdout);
    }
  capture.loop = g_main_loop_new (NULL, FALSE);
  source = ms_capture_reader_create_source (capture.reader);
  g_source_set_callback (source, on_packets, &capture, NULL);
  g_source_attach (source, NULL);
  sigint = g_unix_signal_add (SIGINT, on_stop, &capture);
  sigterm = g_unix_signal_add (SIGTERM, on_stop, &capture);
  g_main_loop_run (capture.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_source_destroy (source);

  /* the sessions still open are closed and printed */
  ms_capture_reader_finish (capture.reader);
  ms_mail_observer_finish (capture.observer, 0);

  g_signal_handlers_disconnect_by_data (trace, &capture);
  if (capture.writer != NULL)
    {
      gboolean written = capture.error == NULL
                         && ms_pcapng_writer_close (capture.writer, &capture.error);

      ms_pcapng_writer_free (capture.writer);
      if (!written)
        {
          fprintf (stderr, _("mailsim capture: cannot write %s: %s\n"), write_path,
                   capture.error->message);
          g_clear_error (&capture.error);
          status = MS_CLI_EXIT_BAD_INPUT;
        }
      else if (!capture.json)
        printf (_("Saved %llu frames to %s.\n"), (unsigned long long) capture.n_written,
                write_path);
    }
  ms_text_formatter_free (capture.formatter);
  g_clear_object (&capture.observer);
  ms_capture_reader_free (capture.reader);
  g_main_loop_unref (capture.loop);
  return status;
}
