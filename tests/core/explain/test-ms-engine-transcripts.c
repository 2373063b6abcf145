/* test-ms-engine-transcripts.c: the real servers' traces, formatted and explained
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The formatter reads lines as the engines record them (a "." after a content summary,
 * SASL responses as their own kind, literal summaries after the response line), so these
 * tests drive the SMTP, POP3 and IMAP servers themselves and read the transcript.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ms-i18n.h"
#include "ms-imap-server.h"
#include "ms-mail-store.h"
#include "ms-pop3-server.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"
#include "ms-text-format.h"

static void
setup_en (void)
{
  ms_i18n_init ();
  ms_i18n_set_language ("en");
}

static void
discard_output (MsEngine     *engine,
                const guint8 *data,
                gsize         len,
                gpointer      user_data)
{
}

static MsMailStore *
new_store (void)
{
  MsMailStore *store = ms_mail_store_new ();
  g_autoptr(GError) error = NULL;

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "wonderland", &error));
  cr_assert (ms_mail_store_add_user (store, "bob@example.com", "builder", &error));
  return store;
}

/* Runs @engine over @input in one session and returns the explained transcript. */
static char *
run_and_format (MsEngine   *engine,
                MsProtocol  protocol,
                guint16     port,
                const char *input)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("test", "transcript");
  g_autofree char *server = g_strdup_printf ("192.0.2.1:%u", port);
  MsTraceSession *session = ms_trace_open_session (trace, protocol, "192.0.2.10:50000",
                                                   server);
  MsTextFormatOptions options = { .explain = TRUE };
  GString *out = g_string_new (NULL);

  ms_engine_set_session (engine, session);
  ms_engine_set_endpoints (engine, "192.0.2.10", 50000, "192.0.2.1", port);
  ms_engine_set_output_func (engine, discard_output, NULL, NULL);
  ms_engine_start (engine);
  ms_engine_feed (engine, (const guint8 *) input, strlen (input));
  ms_text_format_trace (out, trace, &options);
  if (g_getenv ("MS_SHOW_TRANSCRIPTS") != NULL)
    fprintf (stderr, "%s\n", out->str);
  return g_string_free (out, FALSE);
}

/* The line of @transcript that starts with @prefix, or NULL. */
static char *
line_starting (const char *transcript,
               const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (transcript, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      {
        /* with the "↳" lines under it */
        GString *s = g_string_new (lines[i]);
        for (guint j = i + 1; lines[j] != NULL && g_str_has_prefix (lines[j], "    ↳"); j++)
          g_string_append_printf (s, "\n%s", lines[j]);
        return g_string_free (s, FALSE);
      }
  return NULL;
}

#define EXPECT_LINE(transcript, prefix, needle)                                        \
  G_STMT_START {                                                                        \
    g_autofree char *found_ = line_starting ((transcript), (prefix));                   \
    cr_expect_not_null (found_, "no line %s in\n%s", (prefix), (transcript));           \
    if (found_ != NULL)                                                                 \
      cr_expect (strstr (found_, (needle)) != NULL, "“%s” not in “%s”", (needle), found_); \
  } G_STMT_END

TestSuite (engine_transcripts, .init = setup_en);

Test (engine_transcripts, smtp_submission_with_auth_and_data)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  MsSmtpServerConfig config;
  g_autoptr(MsSmtpServer) server = NULL;
  g_autofree char *out = NULL;

  ms_smtp_server_config_init (&config);
  config.hostname = "mx.example.com";
  config.submission = TRUE;
  config.allow_plain_auth_without_tls = TRUE;
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  out = run_and_format (MS_ENGINE (server), MS_PROTOCOL_SMTP, 587,
                        "EHLO pc.example\r\n"
                        "AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdvbmRlcmxhbmQ=\r\n"
                        "MAIL FROM:<alice@example.com>\r\n"
                        "RCPT TO:<bob@example.com>\r\n"
                        "DATA\r\n"
                        "Subject: hi\r\n\r\nHello Bob\r\n..dot-stuffed\r\n.\r\n"
                        "QUIT\r\n");

  EXPECT_LINE (out, "=== session 1 · SMTP", "↳ 587: Port 587 (submission)");
  EXPECT_LINE (out, "<-  220 ", "# Service ready");
  EXPECT_LINE (out, "<-  250-PIPELINING", "# The client may send several commands");
  EXPECT_LINE (out, "<-  250-AUTH", "SMTP-AUTH is offered");
  EXPECT_LINE (out, " -> AUTH PLAIN ********", "base64");
  cr_expect (strstr (out, "AGFsaWNl") == NULL, "the password is masked");
  EXPECT_LINE (out, "<-  235 ", "Authentication succeeded");
  EXPECT_LINE (out, "<-  354 ", "Start mail input");
  EXPECT_LINE (out, " => (message", "dot-stuffing");
  EXPECT_LINE (out, " => .", "the end of the message");
  EXPECT_LINE (out, "<-  250 2.0.0 Ok: queued", "responsible");
  EXPECT_LINE (out, "<-  221 ", "goodbye after QUIT");
}

Test (engine_transcripts, smtp_relay_denied_without_auth)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  MsSmtpServerConfig config;
  g_autoptr(MsSmtpServer) server = NULL;
  g_autofree char *out = NULL;

  ms_smtp_server_config_init (&config);
  config.hostname = "mx.example.com";
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  out = run_and_format (MS_ENGINE (server), MS_PROTOCOL_SMTP, 25,
                        "HELO spammer.example\r\n"
                        "MAIL FROM:<x@spammer.example>\r\n"
                        "RCPT TO:<victim@far.example>\r\n"
                        "RCPT TO:<nobody@example.com>\r\n"
                        "QUIT\r\n");

  EXPECT_LINE (out, "=== session 1 · SMTP", "OP25B");
  EXPECT_LINE (out, " -> RCPT TO:<victim@far.example>", "envelope recipient");
  EXPECT_LINE (out, "<-  554 5.7.1", "relay: Relaying denied");
  EXPECT_LINE (out, "<-  550 5.1.1", "5.1.1: Bad destination mailbox address");
}

Test (engine_transcripts, pop3_login_and_retrieval)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: hi\r\n\r\nHello Bob\r\n", 27);
  MsPop3ServerConfig config;
  g_autoptr(MsPop3Server) server = NULL;
  g_autofree char *out = NULL;

  cr_assert_not_null (ms_mail_store_deliver (store, "bob@example.com", message, NULL));
  ms_pop3_server_config_init (&config);
  config.hostname = "pop.example.com";
  server = ms_pop3_server_new (&config, store);
  out = run_and_format (MS_ENGINE (server), MS_PROTOCOL_POP3, 110,
                        "CAPA\r\nUSER bob@example.com\r\nPASS builder\r\nSTAT\r\nLIST\r\n"
                        "UIDL\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n");

  EXPECT_LINE (out, "=== session 1 · POP3", "clear text");
  EXPECT_LINE (out, " -> PASS ********", "clear text");
  cr_expect (strstr (out, "builder") == NULL, "the password is masked");
  EXPECT_LINE (out, "<-  TOP", "The TOP command is available");
  EXPECT_LINE (out, "<-  UIDL", "The UIDL command is available");
  EXPECT_LINE (out, "<-  +OK pop.example.com POP3 server ready", "APOP");
  EXPECT_LINE (out, " -> STAT", "number of messages");
  EXPECT_LINE (out, "<-  1 27", "its size in octets");
  EXPECT_LINE (out, "<=  (message 1", "as stored on the server");
  EXPECT_LINE (out, "<-  .", "ends the multi-line response");
  EXPECT_LINE (out, " -> DELE 1", "QUIT");
  EXPECT_LINE (out, "<-  +OK send PASS", "The command succeeded");
}

Test (engine_transcripts, imap_login_select_fetch_logout)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: hi\r\n\r\nHello Bob\r\n", 27);
  MsImapServerConfig config = { .hostname = "imap.example.com",
                                .allow_plain_login_without_tls = TRUE };
  g_autoptr(MsImapServer) server = NULL;
  g_autofree char *out = NULL;

  cr_assert_not_null (ms_mail_store_deliver (store, "bob@example.com", message, NULL));
  server = ms_imap_server_new (&config, store);
  out = run_and_format (MS_ENGINE (server), MS_PROTOCOL_IMAP, 143,
                        "a1 LOGIN bob@example.com builder\r\n"
                        "a2 SELECT INBOX\r\n"
                        "a3 FETCH 1 BODY[]\r\n"
                        "a4 STORE 1 +FLAGS (\\Deleted)\r\n"
                        "a5 EXPUNGE\r\n"
                        "a6 LOGOUT\r\n");

  EXPECT_LINE (out, " -> a1 LOGIN bob@example.com ********", "clear text");
  cr_expect (strstr (out, "builder") == NULL, "the password is masked");
  EXPECT_LINE (out, "<-  * 1 EXISTS", "number of messages");
  EXPECT_LINE (out, "<-  * OK [UIDVALIDITY", "UIDVALIDITY: Identifies");
  EXPECT_LINE (out, "<-  a2 OK [READ-WRITE]", "completed successfully");
  EXPECT_LINE (out, "<-  * 1 FETCH", "Data of one message");
  EXPECT_LINE (out, "<=  (", "A literal");
  EXPECT_LINE (out, " -> a4 STORE", "\\Deleted");
  EXPECT_LINE (out, "<-  * 1 EXPUNGE", "was removed");
  EXPECT_LINE (out, "<-  * BYE", "closing the connection");
  EXPECT_LINE (out, "<-  a6 OK", "completed successfully");
}
