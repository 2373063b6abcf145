/* ms-cli-analyze.c: `mailsim analyze`, the mail sessions of a pcap/pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-capture-reader.h"
#include "ms-cli-private.h"
#include "ms-mail-observer.h"
#include "ms-message.h"
#include "ms-text-format.h"

/* The trace's JSON with the message objects extended by "parts" and "hops". */
char *
ms_cli_analyze_json (MsTrace  *trace,
                     gboolean  pretty)
{
  g_autoptr(JsonNode) root = ms_trace_to_json (trace);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonArray *messages = json_object_get_array_member (json_node_get_object (root), "messages");

  for (guint i = 0; messages != NULL && i < json_array_get_length (messages); i++)
    {
      MsTraceMessage *message = ms_trace_get_message (trace, i);

      ms_observer_add_message_details (json_array_get_object_element (messages, i),
                                       message->raw);
    }
  ms_cli_notes_add_to_json (root, trace);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, pretty);
  return json_generator_to_data (generator, NULL);
}

/* One entry of the "Messages transferred" list. */
static void
format_message (GString        *out,
                guint           number,
                MsTraceMessage *m)
{
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *size = ms_observer_format_count (m->raw ? g_bytes_get_size (m->raw) : 0);

  subject = m->subject != NULL ? g_utf8_make_valid (m->subject, -1) : NULL;
  g_string_append_printf (out, _("  #%u (session %u, %s bytes): %s\n"), number, m->session, size,
                          subject != NULL ? subject : _("(no subject)"));
  if (m->mail_from != NULL && m->rcpt_to != NULL && m->rcpt_to[0] != NULL)
    {
      g_autofree char *rcpt = g_strjoinv (", ", m->rcpt_to);

      g_string_append_printf (out, _("     envelope: from <%s> to %s\n"), m->mail_from, rcpt);
    }
  if (m->raw == NULL || !ms_observer_message_outline (m->raw, TRUE, &parts, &hops))
    return;
  for (guint k = 0; parts != NULL && k < parts->len; k++)
    {
      MsMimePart *part = g_ptr_array_index (parts, k);
      g_autofree char *indent = g_strnfill (part->depth * 2, ' ');

      g_string_append_printf (out, "     %s%s %s%s%s\n", indent,
                              *part->part_number ? part->part_number : "-",
                              part->content_type,
                              part->filename ? "  " : "",
                              part->filename ? part->filename : "");
    }
  if (hops != NULL && hops->len > 0)
    {
      g_string_append_printf (out, "     %s\n", _("path (origin first):"));
      for (guint k = hops->len; k > 0; k--)
        {
          MsReceivedHop *hop = g_ptr_array_index (hops, k - 1);
          g_autofree char *date = hop->date ? g_date_time_format (hop->date, "%F %T %z")
                                            : NULL;

          g_string_append_printf (out, "       %s \u2192 %s%s%s\n",
                                  hop->from ? hop->from : "?", hop->by ? hop->by : "?",
                                  date ? "  " : "", date ? date : "");
        }
    }
}

/* Output is written as the capture is read: each session when it closes (so sessions
 * come in the order they closed), each message when it is extracted into a spool file
 * that follows the sessions. Memory is bounded by the connections open at a time. */
#define ANALYZE_FLUSH_BYTES (64 * 1024)

typedef struct
{
  MsTrace             *trace;
  gboolean             json;
  MsTextFormatOptions  options;
  GString             *out;       /* to stdout */
  MsJsonWriter         w;
  FILE                *spool;     /* the messages list, appended at the end */
  GString             *spool_buf;
  MsJsonWriter         sw;
  const char          *export_dir;
  guint                n_sessions;
  guint                n_messages;
  GError              *error;     /* the first export failure */
  gboolean             notes;     /* the capture has notes (ms_cli_notes_load) */
} Analyze;

static void
flush_out (Analyze  *a,
           gboolean  force)
{
  if (a->out->len > 0 && (force || a->out->len >= ANALYZE_FLUSH_BYTES))
    {
      fwrite (a->out->str, 1, a->out->len, stdout);
      g_string_truncate (a->out, 0);
    }
  /* without a spool file the list waits in memory for the end */
  if (a->spool_buf->len > 0
      && (force || (a->spool != NULL && a->spool_buf->len >= ANALYZE_FLUSH_BYTES)))
    {
      if (a->spool != NULL)
        fwrite (a->spool_buf->str, 1, a->spool_buf->len, a->spool);
      else
        fwrite (a->spool_buf->str, 1, a->spool_buf->len, stdout);
      g_string_truncate (a->spool_buf, 0);
    }
}

static void
on_session_closed (MsTrace        *trace,
                   MsTraceSession *session,
                   Analyze        *a)
{
  if (a->json && a->notes)
    {
      g_autofree char *json = ms_cli_notes_session_json (trace, session);

      ms_json_writer_raw (&a->w, json);
    }
  else if (a->json)
    ms_trace_session_write_json (&a->w, session);
  else
    {
      if (a->n_sessions > 0)
        g_string_append_c (a->out, '\n');
      ms_text_format_session (a->out, trace, session, &a->options);
    }
  a->n_sessions++;
  flush_out (a, FALSE);
}

static gboolean
export_message (const char      *dir,
                guint            number,
                MsTraceMessage  *m,
                GError         **error)
{
  g_autofree char *name = g_strdup_printf ("%03u-session-%u.eml", number, m->session);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gsize len = 0;
  const char *data = m->raw != NULL ? g_bytes_get_data (m->raw, &len) : NULL;

  return g_file_set_contents (path, data ? data : "", (gssize) len, error);
}

static void
on_message_added (MsTrace        *trace,
                  MsTraceMessage *m,
                  Analyze        *a)
{
  a->n_messages++;
  if (a->export_dir != NULL && a->error == NULL)
    export_message (a->export_dir, a->n_messages, m, &a->error);
  if (a->json)
    {
      ms_json_writer_begin_object (&a->sw);
      ms_trace_message_write_json_members (&a->sw, m);
      ms_observer_write_message_details (&a->sw, m->raw);
      ms_json_writer_end_object (&a->sw);
    }
  else
    format_message (a->spool_buf, a->n_messages, m);
  flush_out (a, FALSE);
}

static gboolean
make_export_dir (const char  *dir,
                 GError     **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("cannot create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/* The spooled message list after the sessions. */
static void
copy_spool (Analyze *a)
{
  char buf[64 * 1024];
  size_t n;

  flush_out (a, TRUE);
  if (a->spool == NULL)
    return;
  fflush (a->spool);
  rewind (a->spool);
  while ((n = fread (buf, 1, sizeof buf, a->spool)) > 0)
    fwrite (buf, 1, n, stdout);
}

static void
analyze_begin (Analyze *a)
{
  if (!a->json)
    return;
  ms_json_writer_begin_object (&a->w);
  ms_json_writer_key (&a->w, "source");
  ms_json_writer_begin_object (&a->w);
  ms_json_writer_member_string (&a->w, "kind", ms_trace_get_source_kind (a->trace));
  ms_json_writer_member_string (&a->w, "name", ms_trace_get_source_name (a->trace));
  ms_json_writer_end_object (&a->w);
  ms_json_writer_key (&a->w, "sessions");
  ms_json_writer_begin_array (&a->w);
  /* the messages are written one level deeper, inside "messages": [ ] */
  ms_json_writer_init (&a->sw, a->spool_buf, TRUE, a->w.depth);
}

static void
analyze_end (Analyze *a)
{
  if (!a->json)
    {
      ms_cli_notes_format_rest (a->out, a->trace);
      if (a->n_sessions == 0)
        g_string_append_printf (a->out, "%s\n",
                                _("No SMTP, POP3 or IMAP session in this capture."));
      for (guint i = 0; i < ms_trace_get_n_events (a->trace); i++)
        ms_text_format_event (a->out, ms_trace_get_event (a->trace, i), &a->options);
      if (a->n_messages > 0)
        g_string_append_printf (a->out, "\n%s\n", _("Messages transferred:"));
      copy_spool (a);
      return;
    }
  ms_json_writer_end_array (&a->w);
  ms_json_writer_key (&a->w, "messages");
  ms_json_writer_begin_array (&a->w);
  copy_spool (a);
  a->w.has_items[a->w.depth - 1] = a->n_messages > 0;
  ms_json_writer_end_array (&a->w);
  ms_json_writer_key (&a->w, "events");
  ms_json_writer_begin_array (&a->w);
  for (guint i = 0; i < ms_trace_get_n_events (a->trace); i++)
    ms_trace_event_write_json (&a->w, ms_trace_get_event (a->trace, i));
  ms_json_writer_end_array (&a->w);
  ms_json_writer_key (&a->w, "expectations");
  ms_json_writer_begin_array (&a->w);
  ms_json_writer_end_array (&a->w);
  if (a->notes)
    {
      g_autofree char *rest = ms_cli_notes_rest_json (a->trace);

      if (rest != NULL)
        {
          ms_json_writer_key (&a->w, "frame_notes");
          ms_json_writer_raw (&a->w, rest);
        }
    }
  ms_json_writer_end_object (&a->w);
  g_string_append_c (a->out, '\n');
  flush_out (a, TRUE);
}

int
ms_cli_analyze (int    argc,
                char **argv)
{
  g_autofree char *format = NULL;
  g_autofree char *export_dir = NULL;
  g_autofree char *lang = NULL;
  gboolean show_secrets = FALSE;
  gboolean no_explain = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) run_error = NULL;
  g_autoptr(MsCaptureReader) reader = NULL;
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsMailObserver) observer = NULL;
  g_autoptr(MsAnnotations) notes = NULL;
  g_autofree char *basename = NULL;
  MsTcpStreamCallbacks callbacks;
  gboolean ok;
  Analyze a = { 0 };
  g_autoptr(GString) out = NULL;
  g_autoptr(GString) spool_buf = NULL;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json"),
      N_("FORMAT") },
    { "export-messages", 0, 0, G_OPTION_ARG_FILENAME, &export_dir,
      N_("Write each transferred message as DIR/NNN-session-S.eml"), N_("DIR") },
    { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &show_secrets,
      N_("Show passwords and SASL responses instead of masking them"), NULL },
    { "no-explain", 0, 0, G_OPTION_ARG_NONE, &no_explain,
      N_("Do not add explanations to the transcript"), NULL },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of messages: ja or en"),
      N_("LANG") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (_("CAPTURE"));
  g_option_context_set_summary (context, _("Read a pcap or pcapng file, reassemble TCP and "
                                           "show every SMTP, POP3 and IMAP session in it, "
                                           "annotated, with the messages transferred."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim analyze: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc != 2)
    {
      fprintf (stderr, "%s\n", _("mailsim analyze: give one capture file"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      fprintf (stderr, _("mailsim analyze: unknown format “%s” (text or json)\n"), format);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  reader = ms_capture_reader_open_file (argv[1], &error);
  if (reader == NULL)
    {
      fprintf (stderr, _("mailsim analyze: cannot read %s: %s\n"), argv[1], error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  basename = g_path_get_basename (argv[1]);
  trace = ms_trace_new ("pcap", basename);
  observer = ms_mail_observer_new (trace);
  ms_mail_observer_set_show_secrets (observer, show_secrets);
  ms_mail_observer_set_forget_closed (observer, TRUE);
  ms_mail_observer_get_callbacks (observer, &callbacks);
  ms_capture_reader_set_callbacks (reader, &callbacks);
  ms_capture_reader_set_trace (reader, trace);
  /* a student's notes (mailsim annotate, the window), shown under their lines */
  notes = ms_cli_notes_load (argv[1], trace);

  a.trace = trace;
  a.notes = notes != NULL;
  a.options.line_note = notes != NULL ? ms_cli_notes_for_line : NULL;
  a.options.line_note_data = trace;
  a.json = format != NULL && strcmp (format, "json") == 0;
  a.options.explain = !no_explain;
  a.options.color = ms_text_format_color_wanted (fileno (stdout));
  a.options.show_secrets = show_secrets;
  a.out = out = g_string_sized_new (2 * ANALYZE_FLUSH_BYTES);
  a.spool_buf = spool_buf = g_string_sized_new (2 * ANALYZE_FLUSH_BYTES);
  a.spool = tmpfile ();  /* NULL: the list is kept in memory instead */
  a.export_dir = export_dir;
  ms_json_writer_init (&a.w, out, TRUE, 0);
  if (export_dir != NULL && !make_export_dir (export_dir, &error))
    {
      fprintf (stderr, _("mailsim analyze: cannot export the messages: %s\n"), error->message);
      g_clear_pointer (&a.spool, fclose);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  g_signal_connect (trace, "session-closed", G_CALLBACK (on_session_closed), &a);
  g_signal_connect (trace, "message-added", G_CALLBACK (on_message_added), &a);

  analyze_begin (&a);
  ok = ms_capture_reader_run (reader, -1, &run_error);
  /* a truncated file: what was read is still shown, every connection closed */
  ms_mail_observer_finish (observer, 0);
  analyze_end (&a);
  fflush (stdout);
  g_signal_handlers_disconnect_by_data (trace, &a);
  g_clear_pointer (&a.spool, fclose);

  if (a.error != NULL)
    {
      fprintf (stderr, _("mailsim analyze: cannot export the messages: %s\n"),
               a.error->message);
      g_clear_error (&a.error);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (!ok)
    {
      /* the reader's message says what was read up to where */
      fprintf (stderr, _("mailsim analyze: cannot read %s: %s\n"), argv[1], run_error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  return MS_CLI_EXIT_OK;
}
