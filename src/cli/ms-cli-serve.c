/* ms-cli-serve.c: `mailsim serve`, the live lab
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The SMTP, POP3 and IMAP engines on real sockets, over one in-memory mail store, for
 * real clients (Thunderbird, curl, Python, openssl s_client). Prints one
 * `listening PROTOCOL ADDR:PORT` line per bound port before anything else (tests read
 * them), then every session as it happens; --trace saves sessions and events as JSON,
 * one object a line, as they complete.
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ms-cli-private.h"
#include "ms-imap-server.h"
#include "ms-live-cert.h"
#include "ms-live-server.h"
#include "ms-mail-store.h"
#include "ms-maildir.h"
#include "ms-pop3-server.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"
#include "ms-text-format.h"
#include "ms-trace.h"

#define DEFAULT_LISTEN   "127.0.0.1"
#define DEFAULT_DOMAIN   "mail.example.test"
#define USERS_LINE_MAX   4096
/* ms_text_format_line() reads a line in the context of the session's earlier lines,
 * from the first: past this many, a long session is formatted over a window of its
 * latest lines instead, so that printing stays linear (a window starts at a command). */
#define FORMAT_WINDOW_MAX 512
#define FORMAT_WINDOW_MIN 128

/* The ports, in the order they are printed. Defaults are the well-known ports plus
 * 2000 or so, all above 1024 so that no root is needed. */
typedef struct
{
  const char *name;
  MsProtocol  protocol;
  MsLiveMode  mode;
  int         default_port;
  gboolean    submission;   /* SMTP: AUTH required before MAIL (RFC 6409, RFC 8314) */
} ServePort;

static const ServePort serve_ports[] = {
  { "smtp",       MS_PROTOCOL_SMTP, MS_LIVE_MODE_STARTTLS, 2525, FALSE },
  { "submission", MS_PROTOCOL_SMTP, MS_LIVE_MODE_STARTTLS, 2587, TRUE  },
  { "pop3",       MS_PROTOCOL_POP3, MS_LIVE_MODE_STARTTLS, 2110, FALSE },
  { "imap",       MS_PROTOCOL_IMAP, MS_LIVE_MODE_STARTTLS, 2143, FALSE },
  { "smtps",      MS_PROTOCOL_SMTP, MS_LIVE_MODE_IMPLICIT, 2465, TRUE  },
  { "pop3s",      MS_PROTOCOL_POP3, MS_LIVE_MODE_IMPLICIT, 2995, FALSE },
  { "imaps",      MS_PROTOCOL_IMAP, MS_LIVE_MODE_IMPLICIT, 2993, FALSE },
};

#define N_SERVE_PORTS G_N_ELEMENTS (serve_ports)

/* The documented demo set (docs/live-lab.md), used without --users. */
static const struct { const char *address; const char *password; } demo_users[] = {
  { "alice@example.test", "wonderland" },
  { "bob@example.test",   "builder"    },
  { "carol@example.test", "carol123"   },
};

/* Where the transcript of one open session stands. */
typedef struct
{
  guint window_start;   /* first line of the formatting window */
  guint last_command;   /* index of the latest client command */
  guint tls_from;       /* first line recorded once TLS was up, or G_MAXUINT */
} SessionView;

typedef struct
{
  GHashTable          *views;      /* session id → SessionView */
  MsMailStore         *store;
  MsTrace             *trace;
  MsLiveServer        *server;
  MsSmtpPolicy        *smtp_policy;
  char                *hostname;
  GMainLoop           *loop;
  FILE                *trace_file;
  char                *trace_path;
  gboolean             quiet;
  MsTextFormatOptions  format;
  guint                n_signals;
  int                  exit_status;
} Serve;

/* ---- engines ---- */

static MsEngine *
make_engine (MsLiveServer             *server,
             const MsLiveListenerInfo *listener,
             gpointer                  user_data)
{
  Serve *serve = user_data;
  gboolean submission = FALSE;

  for (guint i = 0; i < N_SERVE_PORTS; i++)
    if (strcmp (serve_ports[i].name, listener->name) == 0)
      submission = serve_ports[i].submission;

  switch (listener->protocol)
    {
    case MS_PROTOCOL_SMTP:
      {
        MsSmtpServerConfig config;

        ms_smtp_server_config_init (&config);
        config.hostname = serve->hostname;
        config.submission = submission;
        config.tls_available = listener->tls_available;
        return MS_ENGINE (ms_smtp_server_new (&config, serve->smtp_policy));
      }
    case MS_PROTOCOL_POP3:
      {
        MsPop3ServerConfig config;

        ms_pop3_server_config_init (&config);
        config.hostname = serve->hostname;
        config.tls_available = listener->tls_available;
        return MS_ENGINE (ms_pop3_server_new (&config, serve->store));
      }
    case MS_PROTOCOL_IMAP:
      {
        MsImapServerConfig config = { 0 };

        config.hostname = serve->hostname;
        config.tls_available = listener->tls_available;
        /* a lab: LOGIN works in the clear too, as the exam questions show it */
        config.allow_plain_login_without_tls = TRUE;
        return MS_ENGINE (ms_imap_server_new (&config, serve->store));
      }
    default:
      return NULL;
    }
}

/* ---- options ---- */

/* "2525", "0" (any free port), "-1" or "off" (disabled). */
static gboolean
parse_port (const char  *text,
            const char  *option,
            int         *port,
            GError     **error)
{
  gint64 value;
  char *end = NULL;

  if (g_ascii_strcasecmp (text, "off") == 0 || g_ascii_strcasecmp (text, "no") == 0)
    {
      *port = -1;
      return TRUE;
    }
  errno = 0;
  value = g_ascii_strtoll (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value > 65535)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--%s: “%s” is not a port (0-65535, 0 for any free port, “off” to disable)"),
                   option, text);
      return FALSE;
    }
  *port = value < 0 ? -1 : (int) value;
  return TRUE;
}

static gboolean
valid_address (const char *address)
{
  const char *at = strchr (address, '@');

  return at != NULL && at != address && at[1] != '\0' && strchr (at + 1, '@') == NULL;
}

/* CLI.md: `ADDRESS PASSWORD` a line, white space between, `#` starts a comment. */
static gboolean
load_users (MsMailStore  *store,
            const char   *path,
            guint        *n_users,
            GError      **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      char *hash = strchr (line, '#');
      g_auto(GStrv) fields = NULL;
      g_autoptr(GPtrArray) words = g_ptr_array_new ();
      g_autoptr(GError) local = NULL;

      if (hash != NULL)
        *hash = '\0';
      g_strstrip (line);
      if (*line == '\0')
        continue;
      fields = g_strsplit_set (line, " \t\r", -1);
      for (guint j = 0; fields[j] != NULL; j++)
        if (*fields[j] != '\0')
          g_ptr_array_add (words, fields[j]);
      if (words->len != 2)
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       _("%s:%u: expected “ADDRESS PASSWORD”"), path, i + 1);
          return FALSE;
        }
      if (!valid_address (words->pdata[0]))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                       _("%s:%u: “%s” is not a mail address (user@domain)"),
                       path, i + 1, (char *) words->pdata[0]);
          return FALSE;
        }
      if (!ms_mail_store_add_user (store, words->pdata[0], words->pdata[1], &local))
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s:%u: %s",
                       path, i + 1, local->message);
          return FALSE;
        }
      n++;
    }
  if (n == 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, _("%s: no users in the file"), path);
      return FALSE;
    }
  *n_users = n;
  return TRUE;
}

/* ---- output ---- */

static void
write_json_line (Serve    *serve,
                 JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  if (serve->trace_file == NULL)
    return;
  json_generator_set_root (generator, node);
  text = json_generator_to_data (generator, NULL);
  fprintf (serve->trace_file, "%s\n", text);
  fflush (serve->trace_file);
}

static void
print_text (Serve   *serve,
            GString *text)
{
  if (serve->quiet || text->len == 0)
    return;
  fputs (text->str, stdout);
  if (text->str[text->len - 1] != '\n')
    fputc ('\n', stdout);
  fflush (stdout);
}

static SessionView *
session_view (Serve          *serve,
              MsTraceSession *session)
{
  SessionView *view = g_hash_table_lookup (serve->views, GUINT_TO_POINTER (session->id));

  if (view == NULL)
    {
      view = g_new0 (SessionView, 1);
      view->tls_from = G_MAXUINT;
      g_hash_table_insert (serve->views, GUINT_TO_POINTER (session->id), view);
    }
  return view;
}

static void
format_line (Serve          *serve,
             MsTraceSession *session,
             MsTraceLine    *line,
             GString        *out)
{
  SessionView *view = session_view (serve, session);
  guint index = session->lines->len - 1;
  MsTraceSession window;
  g_autoptr(GPtrArray) lines = NULL;

  g_assert (g_ptr_array_index (session->lines, index) == line);
  if (view->tls_from == G_MAXUINT && session->tls != MS_TLS_NONE)
    view->tls_from = index;
  if (line->dir == MS_DIR_CLIENT && line->kind == MS_LINE_COMMAND)
    view->last_command = index;

  if (index - view->window_start > FORMAT_WINDOW_MAX)
    {
      if (view->last_command > view->window_start
          && index - view->last_command <= FORMAT_WINDOW_MAX)
        view->window_start = view->last_command;
      else
        view->window_start = index - FORMAT_WINDOW_MIN;
    }
  if (view->window_start == 0)
    {
      ms_text_format_line (out, session, line, &serve->format);
      return;
    }

  /* A borrowed view of the latest lines; lines inside TLS stay marked as such. */
  window = *session;
  lines = g_ptr_array_sized_new (index - view->window_start + 1);
  for (guint i = view->window_start; i <= index; i++)
    g_ptr_array_add (lines, g_ptr_array_index (session->lines, i));
  window.lines = lines;
  if (view->window_start >= view->tls_from)
    window.tls = MS_TLS_IMPLICIT;
  ms_text_format_line (out, &window, line, &serve->format);
}

static void
on_session_opened (MsTrace        *trace,
                   MsTraceSession *session,
                   Serve          *serve)
{
  g_autoptr(GString) out = NULL;

  if (serve->quiet)
    return;
  out = g_string_new (NULL);

  ms_text_format_session_header (out, session, &serve->format);
  print_text (serve, out);
}

static void
on_line_added (MsTrace        *trace,
               MsTraceSession *session,
               MsTraceLine    *line,
               Serve          *serve)
{
  g_autoptr(GString) out = NULL;

  if (serve->quiet)
    return;
  out = g_string_new (NULL);

  /* Sessions interleave: each line says which one it belongs to. */
  g_string_append_printf (out, "[%u] ", session->id);
  format_line (serve, session, line, out);
  print_text (serve, out);
}

static void
on_session_closed (MsTrace        *trace,
                   MsTraceSession *session,
                   Serve          *serve)
{
  g_autoptr(JsonNode) node = NULL;

  g_hash_table_remove (serve->views, GUINT_TO_POINTER (session->id));
  if (serve->trace_file != NULL)
    {
      node = ms_trace_session_to_json (session);
      write_json_line (serve, node);
    }
  if (!serve->quiet)
    {
      printf (_("[%u] connection closed (%.1f s)\n"), session->id,
              (double) (session->closed_us - session->opened_us) / G_USEC_PER_SEC);
      fflush (stdout);
    }
}

static void
on_event_added (MsTrace      *trace,
                MsTraceEvent *event,
                Serve        *serve)
{
  if (serve->trace_file != NULL)
    {
      g_autoptr(JsonNode) node = ms_trace_event_to_json (event);
      write_json_line (serve, node);
    }
  if (!serve->quiet)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      if (event->session != 0)
        g_string_append_printf (out, "[%u] ", event->session);
      ms_text_format_event (out, event, &serve->format);
      print_text (serve, out);
    }
}

static void
print_hint (Serve       *serve,
            const char  *listen,
            const int   *bound,
            const char  *cert_path,
            const char  *fingerprint,
            gboolean     demo)
{
  g_autofree char *host = NULL;
  g_auto(GStrv) users = ms_mail_store_dup_users (serve->store);

  /* Listening on every interface: the examples connect over loopback. */
  if (strcmp (listen, "0.0.0.0") == 0)
    listen = "127.0.0.1";
  else if (strcmp (listen, "::") == 0)
    listen = "::1";
  host = strchr (listen, ':') != NULL ? g_strdup_printf ("[%s]", listen) : g_strdup (listen);

  printf (_("MailSim live lab “%s” is running; press Ctrl+C to stop.\n"), serve->hostname);
  printf ("%s\n", _("The default ports are above 1024, so no root is needed; "
                    "0 picks a free port, “off” disables one."));
  if (fingerprint != NULL)
    {
      printf (_("TLS certificate (self-signed): %s\n"), cert_path);
      printf (_("  SHA-256 fingerprint: %s\n"), fingerprint);
    }
  if (ms_mail_store_get_directory (serve->store) != NULL)
    printf (_("Mail is kept in %s (Maildir++).\n"), ms_mail_store_get_directory (serve->store));
  else
    printf ("%s\n", _("Mail is kept in memory only: it is gone when the lab stops."));
  printf ("%s\n", demo ? _("Demo users (address, password):") : _("Users:"));
  if (demo)
    for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
      printf ("  %-22s %s\n", demo_users[i].address, demo_users[i].password);
  else
    for (guint i = 0; users[i] != NULL; i++)
      printf ("  %s\n", users[i]);

  printf ("%s\n", _("Try it:"));
  if (bound[0] >= 0)
    printf ("  printf 'Subject: hi\\r\\n\\r\\nHello Bob\\r\\n' | curl -s smtp://%s:%d "
            "--mail-from alice@example.test --mail-rcpt bob@example.test -T -\n", host, bound[0]);
  if (bound[2] >= 0)
    printf ("  curl -s -u bob@example.test:builder pop3://%s:%d/1\n", host, bound[2]);
  if (bound[3] >= 0)
    printf ("  curl -s -u bob@example.test:builder 'imap://%s:%d/INBOX;UID=1'\n", host, bound[3]);
  if (bound[1] >= 0 && cert_path != NULL)
    printf ("  openssl s_client -connect %s:%d -starttls smtp -CAfile %s\n", host, bound[1], cert_path);
  if (bound[6] >= 0 && cert_path != NULL)
    printf ("  openssl s_client -connect %s:%d -CAfile %s\n", host, bound[6], cert_path);
  if (bound[3] >= 0)
    printf ("  python3 -c \"import imaplib; m = imaplib.IMAP4('%s', %d); "
            "m.login('bob@example.test', 'builder'); print(m.select('INBOX'))\"\n",
            listen, bound[3]);
  printf ("\n");
  fflush (stdout);
}

/* ---- life cycle ---- */

static void
shutdown_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Serve *serve = user_data;

  ms_live_server_shutdown_finish (MS_LIVE_SERVER (source), result, NULL);
  g_main_loop_quit (serve->loop);
}

static gboolean
on_signal (gpointer user_data)
{
  Serve *serve = user_data;

  if (serve->n_signals++ > 0)
    {
      /* a second Ctrl+C: do not wait for slow clients */
      g_main_loop_quit (serve->loop);
      return G_SOURCE_CONTINUE;
    }
  if (!serve->quiet)
    {
      printf ("%s\n", _("Stopping…"));
      fflush (stdout);
    }
  ms_live_server_shutdown_async (serve->server, NULL, shutdown_done, serve);
  return G_SOURCE_CONTINUE;
}

static void
serve_clear (Serve *serve)
{
  /* connections still open are closed here, and their sessions still written */
  g_clear_object (&serve->server);
  if (serve->trace != NULL)
    g_signal_handlers_disconnect_by_data (serve->trace, serve);
  g_clear_object (&serve->smtp_policy);
  g_clear_object (&serve->store);
  g_clear_object (&serve->trace);
  g_clear_pointer (&serve->loop, g_main_loop_unref);
  g_clear_pointer (&serve->views, g_hash_table_unref);
  if (serve->trace_file != NULL)
    fclose (serve->trace_file);
  serve->trace_file = NULL;
  g_clear_pointer (&serve->hostname, g_free);
  g_clear_pointer (&serve->trace_path, g_free);
}

static int serve_main (int argc, char **argv, char **port_text);

int
ms_cli_serve (int    argc,
              char **argv)
{
  char *port_text[N_SERVE_PORTS] = { NULL };
  int status = serve_main (argc, argv, port_text);

  for (guint i = 0; i < N_SERVE_PORTS; i++)
    g_free (port_text[i]);
  return status;
}

static int
serve_main (int    argc,
            char **argv,
            char **port_text)
{
  g_autofree char *listen = NULL;
  g_autofree char *users_path = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *trace_path = NULL;
  g_autofree char *cert_opt = NULL;
  g_autofree char *key_opt = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *lang = NULL;
  g_autofree char *maildir = NULL;
  g_autofree char *cert_path = NULL;
  g_autofree char *fingerprint = NULL;
  gboolean quiet = FALSE;
  gboolean no_explain = FALSE;
  gboolean demo = FALSE;
  int ports[N_SERVE_PORTS];
  int bound[N_SERVE_PORTS];
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  Serve serve = { 0 };
  guint n_users = 0;
  guint n_bound = 0;
  guint sigint;
  guint sigterm;
  GOptionEntry entries[] = {
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen,
      N_("IP address to listen on (default 127.0.0.1; 0.0.0.0 or :: for every interface)"),
      N_("ADDR") },
    { "smtp", 0, 0, G_OPTION_ARG_STRING, &port_text[0],
      N_("SMTP port, STARTTLS offered (default 2525)"), N_("PORT") },
    { "submission", 0, 0, G_OPTION_ARG_STRING, &port_text[1],
      N_("submission port, AUTH required before MAIL (default 2587)"), N_("PORT") },
    { "pop3", 0, 0, G_OPTION_ARG_STRING, &port_text[2],
      N_("POP3 port, STLS offered (default 2110)"), N_("PORT") },
    { "imap", 0, 0, G_OPTION_ARG_STRING, &port_text[3],
      N_("IMAP port, STARTTLS offered (default 2143)"), N_("PORT") },
    { "smtps", 0, 0, G_OPTION_ARG_STRING, &port_text[4],
      N_("submission over implicit TLS (default 2465)"), N_("PORT") },
    { "pop3s", 0, 0, G_OPTION_ARG_STRING, &port_text[5],
      N_("POP3 over implicit TLS (default 2995)"), N_("PORT") },
    { "imaps", 0, 0, G_OPTION_ARG_STRING, &port_text[6],
      N_("IMAP over implicit TLS (default 2993)"), N_("PORT") },
    { "users", 0, 0, G_OPTION_ARG_FILENAME, &users_path,
      N_("users, one “ADDRESS PASSWORD” a line (default: the demo users)"), N_("FILE") },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain,
      N_("the server's host name in greetings and the certificate (default mail.example.test)"),
      N_("NAME") },
    { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace_path,
      N_("write each session and event as a line of JSON (.json; .pcapng is not supported yet)"), N_("OUT") },
    { "maildir", 0, 0, G_OPTION_ARG_FILENAME, &maildir,
      N_("keep the mail in DIR (Maildir++ per user) across restarts, instead of only in memory"),
      N_("DIR") },
    { "cert", 0, 0, G_OPTION_ARG_FILENAME, &cert_opt,
      N_("TLS certificate (PEM) instead of the generated one"), N_("FILE") },
    { "key", 0, 0, G_OPTION_ARG_FILENAME, &key_opt,
      N_("private key (PEM) of --cert"), N_("FILE") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
      N_("where the generated certificate is kept (default $XDG_STATE_HOME/mailsim)"),
      N_("DIR") },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("language of messages: ja or en"),
      N_("LANG") },
    { "no-explain", 0, 0, G_OPTION_ARG_NONE, &no_explain,
      N_("print the transcript without explanations"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet,
      N_("print only the listening lines and errors"), NULL },
    { NULL }
  };

  /* --lang first, so that --help and errors come in that language */
  ms_cli_set_language_from_args (argc, argv);

  g_set_prgname ("mailsim serve");
  context = g_option_context_new (NULL);
  g_option_context_set_summary (context,
    _("Runs SMTP, POP3 and IMAP servers on real sockets for real mail clients, and prints\n"
      "every session as it happens. Mail is kept in memory, or with --maildir in a directory."));
  g_option_context_set_description (context,
    _("The default ports echo the standard ones (2525 for 25, 2587 for 587, 2110 for 110,\n"
      "2143 for 143, 2465 for 465, 2995 for 995, 2993 for 993) and are above 1024, so no\n"
      "root is needed. A port of 0 picks a free one; “off” or a negative number disables it.\n"
      "The first lines on standard output are “listening PROTOCOL ADDR:PORT”, one per\n"
      "port. Without --users the demo users are created and printed (docs/live-lab.md).\n"
      "Stop with Ctrl+C (SIGINT) or SIGTERM."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim serve: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc > 1)
    {
      fprintf (stderr, _("mailsim serve: unexpected argument “%s”\n"), argv[1]);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  for (guint i = 0; i < N_SERVE_PORTS; i++)
    {
      ports[i] = serve_ports[i].default_port;
      bound[i] = -1;
      if (port_text[i] != NULL && !parse_port (port_text[i], serve_ports[i].name, &ports[i], &error))
        {
          fprintf (stderr, "mailsim serve: %s\n", error->message);
          return MS_CLI_EXIT_BAD_INPUT;
        }
    }
  if ((cert_opt == NULL) != (key_opt == NULL))
    {
      fprintf (stderr, "%s\n", _("mailsim serve: --cert and --key go together"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (trace_path != NULL && g_str_has_suffix (trace_path, ".pcapng"))
    {
      fprintf (stderr, "%s\n",
               _("mailsim serve: --trace OUT.pcapng is not supported yet; use OUT.json"));
      return MS_CLI_EXIT_BAD_INPUT;
    }

  /* "[::1]" and "::1" alike */
  if (listen != NULL && listen[0] == '[')
    {
      char *inner = g_strndup (listen + 1, strcspn (listen + 1, "]"));
      g_free (listen);
      listen = inner;
    }
  if (listen == NULL)
    listen = g_strdup (DEFAULT_LISTEN);

  serve.hostname = g_strdup (domain != NULL ? domain : DEFAULT_DOMAIN);
  serve.quiet = quiet;
  serve.format.explain = !no_explain;
  serve.format.color = isatty (STDOUT_FILENO);
  serve.format.show_secrets = FALSE;
  serve.exit_status = MS_CLI_EXIT_OK;
  serve.views = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  serve.store = ms_mail_store_new ();
  serve.trace = ms_trace_new ("live", serve.hostname);

  if (users_path != NULL)
    {
      if (!load_users (serve.store, users_path, &n_users, &error))
        {
          fprintf (stderr, "mailsim serve: %s\n", error->message);
          serve_clear (&serve);
          return MS_CLI_EXIT_BAD_INPUT;
        }
    }
  else
    {
      demo = TRUE;
      for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
        ms_mail_store_add_user (serve.store, demo_users[i].address, demo_users[i].password, NULL);
    }

  /* Users first: the directory holds one Maildir per known user. */
  if (maildir != NULL && !ms_mail_store_attach_directory (serve.store, maildir, &error))
    {
      fprintf (stderr, "mailsim serve: --maildir %s: %s\n", maildir, error->message);
      serve_clear (&serve);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  /* TLS: --cert/--key, or the generated certificate in the state directory */
  if (cert_opt != NULL)
    {
      certificate = ms_live_cert_load (cert_opt, key_opt, &error);
      cert_path = g_strdup (cert_opt);
    }
  else
    {
      if (state_dir == NULL)
        state_dir = g_build_filename (g_get_user_state_dir (), "mailsim", NULL);
      certificate = ms_live_cert_load_or_create (state_dir, serve.hostname, NULL, &error);
      cert_path = g_build_filename (state_dir, MS_LIVE_CERT_FILE_NAME, NULL);
    }
  if (certificate == NULL)
    {
      fprintf (stderr, _("mailsim serve: TLS certificate: %s\n"), error->message);
      serve_clear (&serve);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  fingerprint = ms_live_cert_dup_fingerprint (certificate);

  if (trace_path != NULL)
    {
      serve.trace_file = fopen (trace_path, "w");
      if (serve.trace_file == NULL)
        {
          int saved = errno;
          fprintf (stderr, "mailsim serve: %s: %s\n", trace_path, g_strerror (saved));
          serve_clear (&serve);
          return MS_CLI_EXIT_BAD_INPUT;
        }
    }

  serve.smtp_policy = MS_SMTP_POLICY (ms_smtp_store_policy_new (serve.store, serve.hostname));
  serve.server = ms_live_server_new (serve.store, serve.trace, serve.hostname);
  ms_live_server_set_certificate (serve.server, certificate);

  for (guint i = 0; i < N_SERVE_PORTS; i++)
    {
      guint16 port = 0;

      if (ports[i] < 0)
        continue;
      if (!ms_live_server_add_listener (serve.server, serve_ports[i].name,
                                        serve_ports[i].protocol, serve_ports[i].mode,
                                        listen,
                                        (guint16) ports[i], make_engine, &serve, NULL,
                                        &port, &error))
        {
          fprintf (stderr, "mailsim serve: %s\n", error->message);
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            fprintf (stderr, "%s\n",
                     _("  Another program uses that port: choose another with the option "
                       "of that protocol, or 0 for any free port."));
          serve_clear (&serve);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      bound[i] = port;
      n_bound++;
    }
  if (n_bound == 0)
    {
      fprintf (stderr, "%s\n", _("mailsim serve: every port is off: nothing to serve"));
      serve_clear (&serve);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  /* Handlers before the first line: whoever read it may stop us at once. */
  serve.loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, on_signal, &serve);
  sigterm = g_unix_signal_add (SIGTERM, on_signal, &serve);

  /* The contract with tests and scripts: these lines first, then anything else. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (guint i = 0; i < N_SERVE_PORTS; i++)
    if (bound[i] >= 0)
      {
        g_autofree char *endpoint = ms_format_endpoint (listen, (guint16) bound[i]);

        printf ("listening %s %s\n", serve_ports[i].name, endpoint);
      }
  fflush (stdout);
  if (!quiet)
    print_hint (&serve, listen, bound, cert_path, fingerprint, demo);

  g_signal_connect (serve.trace, "session-opened", G_CALLBACK (on_session_opened), &serve);
  g_signal_connect (serve.trace, "line-added", G_CALLBACK (on_line_added), &serve);
  g_signal_connect (serve.trace, "session-closed", G_CALLBACK (on_session_closed), &serve);
  g_signal_connect (serve.trace, "event-added", G_CALLBACK (on_event_added), &serve);

  g_main_loop_run (serve.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  serve_clear (&serve);
  return MS_CLI_EXIT_OK;
}
