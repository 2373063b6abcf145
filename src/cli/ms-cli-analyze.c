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

static void
format_messages (GString *out,
                 MsTrace *trace)
{
  guint n = ms_trace_get_n_messages (trace);

  if (n == 0)
    return;
  g_string_append_printf (out, "\n%s\n", _("Messages transferred:"));
  for (guint i = 0; i < n; i++)
    {
      MsTraceMessage *m = ms_trace_get_message (trace, i);
      g_autoptr(MsMessage) message = NULL;
      g_autoptr(GPtrArray) parts = NULL;
      g_autoptr(GPtrArray) hops = NULL;
      g_autofree char *subject = NULL;
      g_autofree char *size = ms_observer_format_count (m->raw ? g_bytes_get_size (m->raw) : 0);

      subject = m->subject != NULL ? g_utf8_make_valid (m->subject, -1) : NULL;
      g_string_append_printf (out, _("  #%u (session %u, %s bytes): %s\n"), i + 1, m->session, size,
                              subject != NULL ? subject : _("(no subject)"));
      if (m->mail_from != NULL && m->rcpt_to != NULL && m->rcpt_to[0] != NULL)
        {
          g_autofree char *rcpt = g_strjoinv (", ", m->rcpt_to);

          g_string_append_printf (out, _("     envelope: from <%s> to %s\n"), m->mail_from, rcpt);
        }
      message = ms_message_new_from_bytes (m->raw, NULL);
      if (message == NULL)
        continue;
      parts = ms_message_dup_parts (message);
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
      hops = ms_message_dup_received_hops (message);
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
}

static gboolean
export_messages (MsTrace     *trace,
                 const char  *dir,
                 GError     **error)
{
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("cannot create %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  for (guint i = 0; i < ms_trace_get_n_messages (trace); i++)
    {
      MsTraceMessage *m = ms_trace_get_message (trace, i);
      g_autofree char *name = g_strdup_printf ("%03u-session-%u.eml", i + 1, m->session);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      gsize len;
      const char *data = g_bytes_get_data (m->raw, &len);

      if (!g_file_set_contents (path, data ? data : "", (gssize) len, error))
        return FALSE;
    }
  return TRUE;
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

  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], "--lang="))
      ms_cli_set_language (argv[i] + strlen ("--lang="));
    else if (strcmp (argv[i], "--lang") == 0 && i + 1 < argc)
      ms_cli_set_language (argv[i + 1]);

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
  ms_mail_observer_get_callbacks (observer, &callbacks);
  ms_capture_reader_set_callbacks (reader, &callbacks);
  ms_capture_reader_set_trace (reader, trace);
  /* a student's notes (mailsim annotate, the window), shown under their lines */
  notes = ms_cli_notes_load (argv[1], trace);
  ok = ms_capture_reader_run (reader, -1, &run_error);
  /* a truncated file: what was read is still shown, every connection closed */
  ms_mail_observer_finish (observer, 0);

  if (format != NULL && strcmp (format, "json") == 0)
    {
      g_autofree char *json = ms_cli_analyze_json (trace, TRUE);

      printf ("%s\n", json);
    }
  else
    {
      g_autoptr(GString) out = g_string_new (NULL);
      MsTextFormatOptions options = {
        .explain = !no_explain,
        .color = ms_text_format_color_wanted (fileno (stdout)),
        .show_secrets = show_secrets,
        .line_note = notes != NULL ? ms_cli_notes_for_line : NULL,
        .line_note_data = trace,
      };

      ms_text_format_trace (out, trace, &options);
      ms_cli_notes_format_rest (out, trace);
      if (ms_trace_get_n_sessions (trace) == 0)
        g_string_append_printf (out, "%s\n", _("No SMTP, POP3 or IMAP session in this capture."));
      format_messages (out, trace);
      fwrite (out->str, 1, out->len, stdout);
    }
  fflush (stdout);

  if (export_dir != NULL && !export_messages (trace, export_dir, &error))
    {
      fprintf (stderr, _("mailsim analyze: cannot export the messages: %s\n"), error->message);
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
