/* test-smtp-client.c: the client engine against the server engine, wired in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "smtp-test-support.h"

TestSuite (smtp_client);

static const char * const alice[] = { "alice@example.com", NULL };

static GBytes *
bytes (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

/* The delivered message without the server's Received header (3 lines). */
static char *
without_received (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *end = g_strstr_len (data, len, "+0000\r\n");

  cr_assert_not_null (end);
  end += 7;
  return g_strndup (end, len - (end - data));
}

/* Runs one client against one server (with a TestPolicy) in the given chunking. */
typedef struct
{
  TestPolicy   *policy;
  MsSmtpServer *server;
  MsSmtpClient *client;
  Wire         *wire;
} Pair;

static Pair *
pair_new (const MsSmtpServerConfig *server_config,
          const MsSmtpClientConfig *client_config,
          MsChunking                chunking,
          guint32                   seed)
{
  Pair *pair = g_new0 (Pair, 1);
  MsSmtpServerConfig defaults;

  if (server_config == NULL)
    {
      test_server_config (&defaults);
      server_config = &defaults;
    }
  pair->policy = test_policy_new ();
  pair->server = ms_smtp_server_new (server_config, MS_SMTP_POLICY (pair->policy));
  pair->client = ms_smtp_client_new (client_config);
  pair->wire = wire_new (pair->server, pair->client, chunking, seed);
  return pair;
}

static void
pair_free (Pair *pair)
{
  wire_free (pair->wire);
  g_object_unref (pair->client);
  g_object_unref (pair->server);
  g_object_unref (pair->policy);
  g_free (pair);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pair, pair_free)

static char *
session_text (MsTraceSession *session)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < ms_trace_session_get_n_lines (session); i++)
    {
      MsTraceLine *line = ms_trace_session_get_line (session, i);
      g_string_append_printf (text, "%c: %s\n", line->dir, line->text);
    }
  return g_string_free (text, FALSE);
}

Test (smtp_client, delivers_a_message_byte_exact_with_dot_stuffing_round_trip)
{
  static const char message[] =
    "From: carol@sender.example\r\n"
    "To: alice@example.com\r\n"
    "Subject: dots\r\n"
    "\r\n"
    ".\r\n"
    "..\r\n"
    ".leading dot\r\n"
    "middle . dot\r\n"
    "\r\n"
    ". \r\n"
    "last\r\n";

  FOR_EACH_CHUNKING (c, seed)
    {
      MsSmtpClientConfig config = { .helo_name = "pc.sender.example" };
      g_autoptr(Pair) pair = pair_new (NULL, &config, c, seed);
      g_autoptr(GBytes) body = bytes (message);
      const MsSmtpClientResult *result;
      g_autofree char *got = NULL;

      ms_smtp_client_add_message (pair->client, "carol@sender.example", alice, body);
      wire_run (pair->wire);
      cr_assert (ms_smtp_client_is_finished (pair->client), "%s", ms_test_chunking_name (c));
      cr_expect_eq (pair->wire->finished, 1);
      cr_expect_null (ms_smtp_client_get_error (pair->client), "%s",
                      ms_smtp_client_get_error (pair->client)->message);
      result = ms_smtp_client_get_result (pair->client, 0);
      cr_expect (result->delivered);
      cr_expect_eq (result->code, 250);
      cr_expect_eq (result->recipients[0].code, 250);
      cr_expect (!ms_smtp_client_used_helo (pair->client));
      cr_expect (ms_smtp_client_has_extension (pair->client, "PIPELINING"));
      cr_assert_eq (pair->policy->messages->len, 1);
      got = without_received (g_ptr_array_index (pair->policy->messages, 0));
      cr_expect_str_eq (got, message, "%s seed %u", ms_test_chunking_name (c), seed);
      cr_expect (ms_engine_is_closed (MS_ENGINE (pair->server)));
      cr_expect (ms_engine_is_closed (MS_ENGINE (pair->client)));
    }
}

Test (smtp_client, the_transcript_reads_as_a_dialogue_with_one_data_summary)
{
  MsSmtpClientConfig config = { .helo_name = "pc.sender.example" };
  g_autoptr(Pair) pair = pair_new (NULL, &config, MS_CHUNKS_WHOLE, 0);
  g_autoptr(GBytes) body = bytes ("Subject: x\r\n\r\nhello\n.dot\nno newline at end");
  g_autofree char *client_text = NULL;
  g_autofree char *server_text = NULL;

  ms_smtp_client_add_message (pair->client, "carol@sender.example", alice, body);
  wire_run (pair->wire);
  client_text = session_text (pair->wire->client_session);
  server_text = session_text (pair->wire->server_session);
  cr_expect_str_eq (client_text, server_text, "both engines record the same dialogue");
  cr_expect_str_eq (client_text,
                    "S: 220 mx.example.com ESMTP MailSim\n"
                    "C: EHLO pc.sender.example\n"
                    "S: 250-mx.example.com greets pc.sender.example\n"
                    "S: 250-PIPELINING\n"
                    "S: 250-SIZE 10485760\n"
                    "S: 250-8BITMIME\n"
                    "S: 250-AUTH CRAM-MD5\n"
                    "S: 250 ENHANCEDSTATUSCODES\n"
                    "C: MAIL FROM:<carol@sender.example> SIZE=46\n"
                    "S: 250 2.1.0 Ok\n"
                    "C: RCPT TO:<alice@example.com>\n"
                    "S: 250 2.1.5 Ok\n"
                    "C: DATA\n"
                    "S: 354 End data with <CR><LF>.<CR><LF>\n"
                    "C: (message: 5 lines, 46 bytes)\n"
                    "C: .\n"
                    "S: 250 2.0.0 Ok: queued as 000100001\n"
                    "C: QUIT\n"
                    "S: 221 2.0.0 mx.example.com closing connection\n");
}

Test (smtp_client, falls_back_to_helo_when_the_server_refuses_ehlo)
{
  MsSmtpServerConfig server_config;

  test_server_config (&server_config);
  server_config.reject_ehlo = TRUE;
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(Pair) pair = pair_new (&server_config, NULL, c, seed);
      g_autoptr(GBytes) body = bytes ("Subject: old\r\n\r\nold school\r\n");
      g_autofree char *text = NULL;

      ms_smtp_client_add_message (pair->client, "carol@sender.example", alice, body);
      wire_run (pair->wire);
      cr_expect_null (ms_smtp_client_get_error (pair->client));
      cr_expect (ms_smtp_client_used_helo (pair->client));
      cr_expect_eq (pair->policy->messages->len, 1);
      text = session_text (pair->wire->client_session);
      cr_expect (strstr (text, "S: 502 5.5.1 Error: EHLO not implemented") != NULL, "%s", text);
      cr_expect (strstr (text, "C: HELO localhost\n") != NULL, "%s", text);
      /* no SIZE= without EHLO */
      cr_expect (strstr (text, "C: MAIL FROM:<carol@sender.example>\n") != NULL, "%s", text);
    }
}

static void
auth_round_trip (const char *mechanism,
                 const char *password,
                 gboolean    expect_ok)
{
  MsSmtpServerConfig server_config;

  test_server_config (&server_config);
  server_config.submission = TRUE;
  server_config.allow_plain_auth_without_tls = TRUE;
  FOR_EACH_CHUNKING (c, seed)
    {
      MsSmtpClientConfig config = {
        .helo_name = "pc.example", .username = "alice@example.com", .password = password,
        .mechanism = mechanism,
      };
      g_autoptr(Pair) pair = pair_new (&server_config, &config, c, seed);
      g_autoptr(GBytes) body = bytes ("Subject: auth\r\n\r\nx\r\n");
      const GError *error;
      g_autofree char *text = NULL;

      ms_smtp_client_add_message (pair->client, "alice@example.com", alice, body);
      wire_run (pair->wire);
      error = ms_smtp_client_get_error (pair->client);
      text = session_text (pair->wire->client_session);
      if (expect_ok)
        {
          cr_expect_null (error, "%s: %s", mechanism, error ? error->message : "");
          cr_expect (ms_smtp_client_is_authenticated (pair->client));
          cr_expect_eq (pair->policy->messages->len, 1);
        }
      else
        {
          cr_assert_not_null (error, "%s", mechanism);
          cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_AUTH),
                     "%s", error->message);
          cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_AUTH);
          cr_expect (strstr (error->message, "535") != NULL, "%s", error->message);
          cr_expect_eq (pair->policy->messages->len, 0);
          cr_expect (g_str_has_suffix (text, "C: QUIT\nS: 221 2.0.0 mx.example.com closing "
                                       "connection\n"), "%s", text);
        }
      if (mechanism != NULL)
        {
          g_autofree char *cmd = g_strdup_printf ("C: AUTH %s", mechanism);
          cr_expect (strstr (text, cmd) != NULL, "%s", text);
        }
    }
}

Test (smtp_client, authenticates_with_plain_login_and_cram_md5)
{
  auth_round_trip ("PLAIN", "wonderland", TRUE);
  auth_round_trip ("LOGIN", "wonderland", TRUE);
  auth_round_trip ("CRAM-MD5", "wonderland", TRUE);
  auth_round_trip (NULL, "wonderland", TRUE);
}

Test (smtp_client, a_wrong_password_is_an_auth_error)
{
  auth_round_trip ("PLAIN", "guess", FALSE);
  auth_round_trip ("LOGIN", "guess", FALSE);
  auth_round_trip ("CRAM-MD5", "guess", FALSE);
}

Test (smtp_client, auth_without_offer_fails_with_auth_class)
{
  MsSmtpServerConfig server_config;
  MsSmtpClientConfig config = { .username = "alice@example.com", .password = "wonderland",
                                .mechanism = "PLAIN" };
  g_autoptr(Pair) pair = NULL;
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;

  test_server_config (&server_config);  /* PLAIN only after TLS */
  pair = pair_new (&server_config, &config, MS_CHUNKS_WHOLE, 0);
  ms_smtp_client_add_message (pair->client, "alice@example.com", alice, body);
  wire_run (pair->wire);
  error = ms_smtp_client_get_error (pair->client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_AUTH));
  cr_expect (strstr (error->message, "no usable mechanism") != NULL, "%s", error->message);
}

Test (smtp_client, starttls_then_ehlo_again_then_auth)
{
  MsSmtpServerConfig server_config;

  test_server_config (&server_config);
  server_config.submission = TRUE;
  server_config.tls_available = TRUE;
  FOR_EACH_CHUNKING (c, seed)
    {
      MsSmtpClientConfig config = {
        .helo_name = "pc.example", .username = "alice@example.com", .password = "wonderland",
        .mechanism = "PLAIN", .tls = MS_SMTP_CLIENT_TLS_REQUIRE,
      };
      g_autoptr(Pair) pair = pair_new (&server_config, &config, c, seed);
      g_autoptr(GBytes) body = bytes ("Subject: secret\r\n\r\nx\r\n");
      g_autofree char *text = NULL;
      const char *data;
      gsize len;

      ms_smtp_client_add_message (pair->client, "alice@example.com", alice, body);
      wire_run (pair->wire);
      cr_expect_null (ms_smtp_client_get_error (pair->client), "%s",
                      ms_smtp_client_get_error (pair->client)
                      ? ms_smtp_client_get_error (pair->client)->message : "");
      cr_expect (ms_engine_is_tls_active (MS_ENGINE (pair->client)));
      cr_expect (ms_engine_is_tls_active (MS_ENGINE (pair->server)));
      cr_expect_eq (pair->wire->server_session->tls, MS_TLS_STARTTLS);
      text = session_text (pair->wire->client_session);
      cr_expect (strstr (text, "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\nC: EHLO pc.example\n")
                 != NULL, "%s", text);
      cr_assert_eq (pair->policy->messages->len, 1, "%s", text);
      data = g_bytes_get_data (g_ptr_array_index (pair->policy->messages, 0), &len);
      cr_expect (strstr (data, "with ESMTPSA id") != NULL);
    }
}

Test (smtp_client, required_tls_without_offer_fails_with_tls_class)
{
  MsSmtpClientConfig config = { .tls = MS_SMTP_CLIENT_TLS_REQUIRE };
  g_autoptr(Pair) pair = pair_new (NULL, &config, MS_CHUNKS_WHOLE, 0);
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;

  ms_smtp_client_add_message (pair->client, "a@b.example", alice, body);
  wire_run (pair->wire);
  error = ms_smtp_client_get_error (pair->client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_TLS));
  cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_STARTTLS);
  cr_expect_eq (pair->policy->messages->len, 0);
}

Test (smtp_client, opportunistic_tls_is_skipped_when_not_offered)
{
  MsSmtpClientConfig config = { .tls = MS_SMTP_CLIENT_TLS_IF_OFFERED };
  g_autoptr(Pair) pair = pair_new (NULL, &config, MS_CHUNKS_WHOLE, 0);
  g_autoptr(GBytes) body = bytes ("x\r\n");

  ms_smtp_client_add_message (pair->client, "a@b.example", alice, body);
  wire_run (pair->wire);
  cr_expect_null (ms_smtp_client_get_error (pair->client));
  cr_expect (!ms_engine_is_tls_active (MS_ENGINE (pair->client)));
}

Test (smtp_client, partial_recipient_failure_is_success_with_per_recipient_status)
{
  static const char * const rcpts[] = {
    "alice@example.com", "nobody@example.com", "x@busy.example", "bob@example.com", NULL
  };

  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(Pair) pair = pair_new (NULL, NULL, c, seed);
      g_autoptr(GBytes) body = bytes ("x\r\n");
      const MsSmtpClientResult *result;

      ms_smtp_client_add_message (pair->client, "carol@sender.example", rcpts, body);
      wire_run (pair->wire);
      cr_expect_null (ms_smtp_client_get_error (pair->client));
      result = ms_smtp_client_get_result (pair->client, 0);
      cr_expect (result->delivered);
      cr_expect_eq (result->n_accepted, 2);
      cr_expect_eq (result->recipients[0].code, 250);
      cr_expect_eq (result->recipients[1].code, 550);
      cr_expect_eq (result->recipients[2].code, 450);
      cr_expect_eq (result->recipients[3].code, 250);
      cr_expect_str_eq (result->recipients[1].reply,
                        "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown");
      cr_expect_str_eq (g_ptr_array_index (pair->policy->envelopes, 0),
                        "carol@sender.example|alice@example.com,bob@example.com|");
    }
}

Test (smtp_client, every_recipient_refused_is_a_permanent_failure_at_rcpt)
{
  static const char * const rcpts[] = { "x@elsewhere.example", "nobody@example.com", NULL };
  g_autoptr(Pair) pair = pair_new (NULL, NULL, MS_CHUNKS_BYTE_BY_BYTE, 0);
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;
  g_autofree char *text = NULL;

  ms_smtp_client_add_message (pair->client, "carol@sender.example", rcpts, body);
  wire_run (pair->wire);
  error = ms_smtp_client_get_error (pair->client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PERMFAIL));
  cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_RCPT);
  cr_expect_str_eq (ms_smtp_client_get_result (pair->client, 0)->recipients[0].reply,
                    "5.7.1 <x@elsewhere.example>: Relay access denied");
  text = session_text (pair->wire->client_session);
  cr_expect (strstr (text, "C: DATA") == NULL, "%s", text);
  cr_expect (g_str_has_suffix (text, "C: QUIT\nS: 221 2.0.0 mx.example.com closing connection\n"),
             "%s", text);
}

Test (smtp_client, a_too_big_message_is_refused_at_mail_thanks_to_size)
{
  MsSmtpServerConfig server_config;
  g_autoptr(Pair) pair = NULL;
  g_autoptr(GString) big = g_string_new (NULL);
  g_autoptr(GBytes) body = NULL;
  const GError *error;

  test_server_config (&server_config);
  server_config.max_message_size = 100;
  pair = pair_new (&server_config, NULL, MS_CHUNKS_WHOLE, 0);
  for (int i = 0; i < 10; i++)
    g_string_append (big, "0123456789012345678901234567890123456789\r\n");
  body = g_bytes_new (big->str, big->len);
  ms_smtp_client_add_message (pair->client, "carol@sender.example", alice, body);
  wire_run (pair->wire);
  error = ms_smtp_client_get_error (pair->client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PERMFAIL));
  cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_MAIL);
  cr_expect (strstr (error->message, "552 5.3.4") != NULL, "%s", error->message);
}

Test (smtp_client, a_4xx_at_the_end_of_data_is_a_temporary_failure)
{
  g_autoptr(Pair) pair = pair_new (NULL, NULL, MS_CHUNKS_WHOLE, 0);
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;

  pair->policy->deliver_reply = ms_smtp_reply_new (451, "4.3.0", "Error: queue file write error");
  ms_smtp_client_add_message (pair->client, "carol@sender.example", alice, body);
  wire_run (pair->wire);
  error = ms_smtp_client_get_error (pair->client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_TEMPFAIL));
  cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_MESSAGE);
  cr_expect_str_eq (error->message, "message: 451 4.3.0 Error: queue file write error");
}

Test (smtp_client, several_messages_share_one_session_and_a_failure_does_not_stop_the_rest)
{
  static const char * const nobody[] = { "nobody@example.com", NULL };
  static const char * const bob[] = { "bob@example.com", NULL };

  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(Pair) pair = pair_new (NULL, NULL, c, seed);
      g_autoptr(GBytes) one = bytes ("Subject: 1\r\n\r\none\r\n");
      g_autoptr(GBytes) two = bytes ("Subject: 2\r\n\r\ntwo\r\n");
      g_autoptr(GBytes) three = bytes ("Subject: 3\r\n\r\nthree\r\n");

      ms_smtp_client_add_message (pair->client, "a@x.example", alice, one);
      ms_smtp_client_add_message (pair->client, "a@x.example", nobody, two);
      ms_smtp_client_add_message (pair->client, "spammer@x.example", bob, three);
      ms_smtp_client_add_message (pair->client, "a@x.example", bob, three);
      wire_run (pair->wire);
      cr_expect_eq (pair->policy->messages->len, 2);
      cr_expect (ms_smtp_client_get_result (pair->client, 0)->delivered);
      cr_expect (!ms_smtp_client_get_result (pair->client, 1)->delivered);
      cr_expect_eq (ms_smtp_client_get_result (pair->client, 2)->failed_step,
                    MS_SMTP_CLIENT_STEP_MAIL);
      cr_expect (ms_smtp_client_get_result (pair->client, 3)->delivered);
      cr_assert_not_null (ms_smtp_client_get_error (pair->client));
      cr_expect_eq (ms_smtp_client_get_failed_step (pair->client), MS_SMTP_CLIENT_STEP_RCPT);
      cr_expect_eq (pair->wire->finished, 1);
    }
}

/* A scripted server: the client is fed replies directly. */
typedef struct
{
  MsSmtpClient *client;
  GString      *out;
  guint         closes;
} Scripted;

static void
scripted_collect (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (user_data, (const char *) data, len);
}

static void
scripted_feed (MsSmtpClient *client, const char *text, MsChunking c, guint32 seed)
{
  for (gsize i = 0; text[i] != '\0';)
    {
      gsize n = c == MS_CHUNKS_WHOLE ? strlen (text) : c == MS_CHUNKS_BYTE_BY_BYTE ? 1
              : (gsize) (seed % 7 + 1);
      n = MIN (n, strlen (text + i));
      ms_engine_feed (MS_ENGINE (client), (const guint8 *) text + i, n);
      i += n;
    }
}

Test (smtp_client, multi_line_replies_are_joined_and_garbage_is_a_protocol_error)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(MsSmtpClient) client = ms_smtp_client_new (NULL);
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GBytes) body = bytes ("x\r\n");
      const GError *error;

      ms_engine_set_output_func (MS_ENGINE (client), scripted_collect, out, NULL);
      ms_smtp_client_add_message (client, "a@b.example", alice, body);
      ms_engine_start (MS_ENGINE (client));
      scripted_feed (client, "220-first line\r\n220-second\r\n220 ready\r\n", c, seed);
      cr_expect_str_eq (out->str, "EHLO localhost\r\n");
      scripted_feed (client, "250-mx greets you\r\n250-SIZE 1000\r\n250-8bitmime\r\n"
                     "250 STARTTLS\r\n", c, seed);
      cr_expect (ms_smtp_client_has_extension (client, "8BITMIME"));
      cr_expect (ms_smtp_client_has_extension (client, "size"));
      cr_expect_str_eq (out->str, "EHLO localhost\r\nMAIL FROM:<a@b.example> SIZE=3\r\n");
      scripted_feed (client, "hello there\r\n", c, seed);
      error = ms_smtp_client_get_error (client);
      cr_assert_not_null (error);
      cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PROTOCOL),
                 "%s", error->message);
      cr_expect_eq (ms_smtp_client_get_failed_step (client), MS_SMTP_CLIENT_STEP_MAIL);
      cr_expect (ms_smtp_client_is_finished (client));
    }
}

Test (smtp_client, a_closed_connection_and_a_421_are_reported)
{
  g_autoptr(MsSmtpClient) client = ms_smtp_client_new (NULL);
  g_autoptr(MsSmtpClient) client2 = ms_smtp_client_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;

  ms_engine_set_output_func (MS_ENGINE (client), scripted_collect, out, NULL);
  ms_smtp_client_add_message (client, "a@b.example", alice, body);
  ms_engine_start (MS_ENGINE (client));
  scripted_feed (client, "220 hi\r\n", MS_CHUNKS_WHOLE, 0);
  ms_engine_peer_closed (MS_ENGINE (client));
  error = ms_smtp_client_get_error (client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_CONNECTION));
  cr_expect_eq (ms_smtp_client_get_failed_step (client), MS_SMTP_CLIENT_STEP_EHLO);

  ms_engine_set_output_func (MS_ENGINE (client2), scripted_collect, out, NULL);
  ms_smtp_client_add_message (client2, "a@b.example", alice, body);
  ms_engine_start (MS_ENGINE (client2));
  scripted_feed (client2, "421 4.3.2 going down\r\n", MS_CHUNKS_WHOLE, 0);
  error = ms_smtp_client_get_error (client2);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_TEMPFAIL));
  cr_expect (ms_smtp_client_is_finished (client2));
}

Test (smtp_client, a_554_greeting_is_a_permanent_failure_and_the_client_says_quit)
{
  g_autoptr(MsSmtpClient) client = ms_smtp_client_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) body = bytes ("x\r\n");
  const GError *error;

  ms_engine_set_output_func (MS_ENGINE (client), scripted_collect, out, NULL);
  ms_smtp_client_add_message (client, "a@b.example", alice, body);
  ms_engine_start (MS_ENGINE (client));
  scripted_feed (client, "554 5.7.1 no SMTP service for you\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (out->str, "QUIT\r\n");
  scripted_feed (client, "221 bye\r\n", MS_CHUNKS_WHOLE, 0);
  error = ms_smtp_client_get_error (client);
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PERMFAIL));
  cr_expect_eq (ms_smtp_client_get_failed_step (client), MS_SMTP_CLIENT_STEP_GREETING);
}

Test (smtp_client, dot_stuffing_function)
{
  guint lines;
  gsize n;
  g_autoptr(GBytes) out = ms_smtp_dot_stuff ((const guint8 *) ".a\n..b\r\nc", 9, &lines, &n);
  gsize len;
  const char *data = g_bytes_get_data (out, &len);

  cr_expect_str_eq (keep (g_strndup (data, len)), "..a\r\n...b\r\nc\r\n.\r\n");
  cr_expect_eq (lines, 3);
  cr_expect_eq (n, 12);
  g_bytes_unref (out);
  out = ms_smtp_dot_stuff ((const guint8 *) "", 0, &lines, &n);
  data = g_bytes_get_data (out, &len);
  cr_expect_str_eq (keep (g_strndup (data, len)), ".\r\n");
  cr_expect_eq (lines, 0);
}

Test (smtp_client, eight_bit_messages_declare_body_8bitmime)
{
  g_autoptr(Pair) pair = pair_new (NULL, NULL, MS_CHUNKS_RANDOM, 5);
  g_autoptr(GBytes) body = bytes ("Subject: =?UTF-8?B?5pel5pys?=\r\n\r\n\xe6\x97\xa5\xe6\x9c\xac\r\n");

  ms_smtp_client_add_message (pair->client, "a@x.example", alice, body);
  wire_run (pair->wire);
  cr_expect_null (ms_smtp_client_get_error (pair->client));
  cr_assert_eq (pair->policy->envelopes->len, 1);
  cr_expect_str_eq (g_ptr_array_index (pair->policy->envelopes, 0), "a@x.example|alice@example.com||8bit");
}

Test (smtp_client, refused_starttls_data_and_inconsistent_replies)
{
  static const struct
  {
    MsSmtpClientTlsMode tls;
    const char         *script;
    const char         *expected_out;
    MsSmtpClientError   code;
    MsSmtpClientStep    step;
  } cases[] = {
    { MS_SMTP_CLIENT_TLS_REQUIRE,
      "220 hi\r\n250-x\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n221 bye\r\n",
      "EHLO localhost\r\nSTARTTLS\r\nQUIT\r\n", MS_SMTP_CLIENT_ERROR_TLS,
      MS_SMTP_CLIENT_STEP_STARTTLS },
    { MS_SMTP_CLIENT_TLS_IF_OFFERED,
      "220 hi\r\n250-x\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n250 ok\r\n250 ok\r\n"
      "554 5.5.1 No valid recipients\r\n221 bye\r\n",
      "EHLO localhost\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
      "DATA\r\nQUIT\r\n", MS_SMTP_CLIENT_ERROR_PERMFAIL, MS_SMTP_CLIENT_STEP_DATA },
    { MS_SMTP_CLIENT_TLS_NEVER,
      "220 hi\r\n250-x\r\n251 y\r\n", "EHLO localhost\r\n", MS_SMTP_CLIENT_ERROR_PROTOCOL,
      MS_SMTP_CLIENT_STEP_EHLO },
    { MS_SMTP_CLIENT_TLS_NEVER,
      "220 hi\r\n451 4.3.0 try later\r\n221 bye\r\n", "EHLO localhost\r\nQUIT\r\n",
      MS_SMTP_CLIENT_ERROR_TEMPFAIL, MS_SMTP_CLIENT_STEP_EHLO },
    { MS_SMTP_CLIENT_TLS_NEVER,
      "220 hi\r\n502 no\r\n550 not even HELO\r\n221 bye\r\n",
      "EHLO localhost\r\nHELO localhost\r\nQUIT\r\n", MS_SMTP_CLIENT_ERROR_PERMFAIL,
      MS_SMTP_CLIENT_STEP_HELO },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    FOR_EACH_CHUNKING (c, seed)
      {
        MsSmtpClientConfig config = { .tls = cases[i].tls };
        g_autoptr(MsSmtpClient) client = ms_smtp_client_new (&config);
        g_autoptr(GString) out = g_string_new (NULL);
        g_autoptr(GBytes) body = bytes ("x\r\n");
        const GError *error;

        ms_engine_set_output_func (MS_ENGINE (client), scripted_collect, out, NULL);
        ms_smtp_client_add_message (client, "a@b.example", alice, body);
        ms_engine_start (MS_ENGINE (client));
        scripted_feed (client, cases[i].script, c, seed);
        cr_expect_str_eq (out->str, cases[i].expected_out, "case %u", i);
        error = ms_smtp_client_get_error (client);
        cr_assert_not_null (error, "case %u", i);
        cr_expect (g_error_matches (error, MS_SMTP_CLIENT_ERROR, cases[i].code), "case %u: %s",
                   i, error->message);
        cr_expect_eq (ms_smtp_client_get_failed_step (client), cases[i].step, "case %u: %s", i,
                      ms_smtp_client_step_to_string (ms_smtp_client_get_failed_step (client)));
        cr_expect (ms_smtp_client_is_finished (client));
      }
}

/* ---- PIPELINING (RFC 2920) ------------------------------------------------------------ */

Test (smtp_client, pipelining_sends_mail_rcpt_and_data_as_one_batch)
{
  static const char * const rcpts[] = { "alice@example.com", "nobody@example.com",
                                        "bob@example.com", NULL };
  static const char * const refused[] = { "nobody@example.com", "x@far.example", NULL };

  FOR_EACH_CHUNKING (c, seed)
    {
      MsSmtpClientConfig config = { .helo_name = "pc.example", .pipelining = TRUE };
      g_autoptr(Pair) pair = pair_new (NULL, &config, c, seed);
      g_autoptr(GBytes) one = bytes ("Subject: 1\r\n\r\n.one\r\n");
      g_autoptr(GBytes) two = bytes ("Subject: 2\r\n\r\ntwo\r\n");
      g_autoptr(GBytes) three = bytes ("Subject: 3\r\n\r\nthree\r\n");
      g_autofree char *text = NULL;
      g_autofree char *got = NULL;
      const MsSmtpClientResult *result;

      ms_smtp_client_add_message (pair->client, "a@x.example", rcpts, one);
      ms_smtp_client_add_message (pair->client, "a@x.example", refused, two);
      ms_smtp_client_add_message (pair->client, "spammer@x.example", rcpts, three);
      ms_smtp_client_add_message (pair->client, "a@x.example", alice, three);
      wire_run (pair->wire);
      text = session_text (pair->wire->client_session);
      cr_expect (strstr (text,
                         "C: MAIL FROM:<a@x.example> SIZE=20\n"
                         "C: RCPT TO:<alice@example.com>\n"
                         "C: RCPT TO:<nobody@example.com>\n"
                         "C: RCPT TO:<bob@example.com>\n"
                         "C: DATA\n"
                         "S: 250 2.1.0 Ok\n"
                         "S: 250 2.1.5 Ok\n"
                         "S: 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown\n"
                         "S: 250 2.1.5 Ok\n"
                         "S: 354 End data with <CR><LF>.<CR><LF>\n") != NULL, "%s", text);
      cr_expect (strstr (text, "S: 554 5.5.1 No valid recipients\nC: RSET\n") != NULL, "%s", text);
      cr_expect (strstr (text, "S: 503 5.5.1 Error: need MAIL command\n") != NULL, "%s", text);

      result = ms_smtp_client_get_result (pair->client, 0);
      cr_expect (result->delivered);
      cr_expect_eq (result->n_accepted, 2);
      cr_expect_eq (result->recipients[1].code, 550);
      result = ms_smtp_client_get_result (pair->client, 1);
      cr_expect (!result->delivered);
      cr_expect_eq (result->failed_step, MS_SMTP_CLIENT_STEP_RCPT);
      cr_expect (g_error_matches (result->error, MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PERMFAIL));
      result = ms_smtp_client_get_result (pair->client, 2);
      cr_expect_eq (result->failed_step, MS_SMTP_CLIENT_STEP_MAIL);
      cr_expect (strstr (result->error->message, "listed spammer") != NULL, "%s",
                 result->error->message);
      cr_expect_eq (result->recipients[0].code, 503);
      cr_expect_eq (result->code, 550, "the MAIL refusal is the message's reply");
      cr_expect_str_eq (result->reply, "5.7.1 <spammer@x.example>: Sender address rejected: "
                        "listed spammer");
      cr_expect (ms_smtp_client_get_result (pair->client, 3)->delivered);

      cr_assert_eq (pair->policy->messages->len, 2);
      got = without_received (g_ptr_array_index (pair->policy->messages, 0));
      cr_expect_str_eq (got, "Subject: 1\r\n\r\n.one\r\n");
      cr_expect_eq (pair->wire->finished, 1);
    }
}

Test (smtp_client, a_354_after_a_refused_batch_gets_a_lone_dot)
{
  MsSmtpClientConfig config = { .pipelining = TRUE };
  g_autoptr(MsSmtpClient) client = ms_smtp_client_new (&config);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) body = bytes ("secret\r\n");
  const GError *error;

  ms_engine_set_output_func (MS_ENGINE (client), scripted_collect, out, NULL);
  ms_smtp_client_add_message (client, "a@b.example", alice, body);
  ms_engine_start (MS_ENGINE (client));
  scripted_feed (client, "220 hi\r\n250-x\r\n250 PIPELINING\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (out->str, "EHLO localhost\r\nMAIL FROM:<a@b.example>\r\n"
                    "RCPT TO:<alice@example.com>\r\nDATA\r\n");
  g_string_truncate (out, 0);
  scripted_feed (client, "250 ok\r\n550 no\r\n354 go on\r\n", MS_CHUNKS_BYTE_BY_BYTE, 0);
  cr_expect_str_eq (out->str, ".\r\n", "RFC 2920 §3.1: no message content");
  scripted_feed (client, "250 queued anyway\r\n221 bye\r\n", MS_CHUNKS_WHOLE, 0);
  error = ms_smtp_client_get_error (client);
  cr_assert_not_null (error);
  cr_expect_eq (ms_smtp_client_get_failed_step (client), MS_SMTP_CLIENT_STEP_RCPT);
  cr_expect (!ms_smtp_client_get_result (client, 0)->delivered);
}
