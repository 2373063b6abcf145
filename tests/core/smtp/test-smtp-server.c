/* test-smtp-server.c: every command and reply path of the SMTP server engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each conversation is fed whole, byte by byte and in random splits.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-smtp-address.h"
#include "smtp-test-support.h"

TestSuite (smtp_server);

/* Runs input against a fresh server and TestPolicy (or none) in every chunking and
 * checks that the reply codes are always the expected ones. */
static void
expect_codes_full (const MsSmtpServerConfig *config,
                   gboolean                  with_policy,
                   const char               *input,
                   const char               *expected,
                   const char               *why)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = with_policy ? test_policy_new () : NULL;
      g_autoptr(ServerRun) run = server_run_new (config, policy ? MS_SMTP_POLICY (policy) : NULL);
      g_autofree char *codes = NULL;

      server_run_feed (run, input, c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, expected, "%s (%s, seed %u):\n%s", why,
                        ms_test_chunking_name (c), seed, run->out->str);
    }
}

#define expect_codes(input, expected, why) expect_codes_full (NULL, TRUE, input, expected, why)

/* Runs once per chunking and checks that output contains a line. */
static void
expect_line (const MsSmtpServerConfig *config,
             const char               *input,
             const char               *line)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (config, MS_SMTP_POLICY (policy));
      g_autofree char *needle = g_strdup_printf ("%s\r\n", line);

      server_run_feed (run, input, c, seed);
      cr_expect (strstr (run->out->str, needle) != NULL, "expected \"%s\" (%s, seed %u) in:\n%s",
                 line, ms_test_chunking_name (c), seed, run->out->str);
    }
}

#define EHLO "EHLO client.example\r\n"
#define MAIL "MAIL FROM:<carol@sender.example>\r\n"
#define RCPT "RCPT TO:<alice@example.com>\r\n"

/* ---- Greeting, EHLO, HELO ----------------------------------------------------------- */

Test (smtp_server, greets_with_220_and_its_hostname)
{
  g_autoptr(ServerRun) run = server_run_new (NULL, NULL);

  cr_expect_str_eq (run->out->str, "220 mx.example.com ESMTP MailSim\r\n");
  cr_expect_eq (ms_smtp_server_get_state (run->server), MS_SMTP_SERVER_STATE_CONNECTED);
}

Test (smtp_server, ehlo_lists_the_extensions_as_a_multi_line_250)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (&config, MS_SMTP_POLICY (policy));
      gsize start = run->out->len;

      server_run_feed (run, EHLO, c, seed);
      cr_expect_str_eq (output_tail (run, start),
                        "250-mx.example.com greets client.example\r\n"
                        "250-PIPELINING\r\n"
                        "250-SIZE 10485760\r\n"
                        "250-8BITMIME\r\n"
                        "250-AUTH CRAM-MD5\r\n"
                        "250 ENHANCEDSTATUSCODES\r\n", "%s", ms_test_chunking_name (c));
    }
}

Test (smtp_server, ehlo_offers_starttls_and_plain_auth_only_when_configured)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.tls_available = TRUE;
  config.allow_plain_auth_without_tls = TRUE;
  config.max_message_size = 0;
  expect_line (&config, EHLO, "250-STARTTLS");
  expect_line (&config, EHLO, "250-AUTH PLAIN LOGIN CRAM-MD5");
  expect_line (&config, EHLO, "250-SIZE");
}

Test (smtp_server, ehlo_without_a_policy_offers_no_auth)
{
  g_autoptr(ServerRun) run = server_run_new (NULL, NULL);

  server_run_feed (run, EHLO, MS_CHUNKS_WHOLE, 0);
  cr_expect (strstr (run->out->str, "AUTH") == NULL, "%s", run->out->str);
}

Test (smtp_server, helo_and_ehlo_need_a_hostname)
{
  expect_codes ("HELO\r\nEHLO\r\nHELO a b\r\nHELO client.example\r\n", "220 501 501 501 250",
                "HELO/EHLO without argument");
  expect_line (NULL, "EHLO\r\n", "501 5.5.4 Syntax: EHLO hostname");
}

Test (smtp_server, helo_answers_a_single_250)
{
  expect_line (NULL, "HELO client.example\r\n", "250 mx.example.com");
}

Test (smtp_server, reject_ehlo_makes_an_rfc821_server)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.reject_ehlo = TRUE;
  expect_codes_full (&config, TRUE, EHLO "HELO client.example\r\n" MAIL RCPT,
                     "220 502 250 250 250", "EHLO refused, HELO works");
  expect_line (&config, "", "220 mx.example.com Simple Mail Transfer Service ready");
}

/* ---- A whole transaction -------------------------------------------------------------- */

Test (smtp_server, a_whole_transaction_is_accepted_and_delivered_with_a_received_header)
{
  static const char input[] =
    EHLO MAIL RCPT "DATA\r\n"
    "Subject: hi\r\n"
    "\r\n"
    "Hello Alice.\r\n"
    ".\r\n"
    "QUIT\r\n";

  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;
      gsize len;
      const char *data;

      server_run_feed (run, input, c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 250 250 354 250 221", "%s", ms_test_chunking_name (c));
      cr_expect (strstr (run->out->str, "354 End data with <CR><LF>.<CR><LF>\r\n") != NULL);
      cr_expect (strstr (run->out->str, "250 2.0.0 Ok: queued as 000100001\r\n") != NULL,
                 "%s", run->out->str);
      cr_expect (strstr (run->out->str, "221 2.0.0 mx.example.com closing connection\r\n") != NULL);
      cr_expect_eq (run->close_requests, 1);
      cr_expect_eq (ms_smtp_server_get_state (run->server), MS_SMTP_SERVER_STATE_CLOSED);
      cr_expect_eq (ms_smtp_server_get_n_accepted (run->server), 1);
      cr_assert_eq (policy->messages->len, 1);
      data = g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
      cr_expect_str_eq (keep (g_strndup (data, len)),
                        "Received: from client.example ([192.0.2.10])\r\n"
                        "\tby mx.example.com (MailSim) with ESMTP id 000100001\r\n"
                        "\tfor <alice@example.com>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
                        "Subject: hi\r\n"
                        "\r\n"
                        "Hello Alice.\r\n");
      cr_expect_str_eq (g_ptr_array_index (policy->envelopes, 0),
                        "carol@sender.example|alice@example.com|");
    }
}

Test (smtp_server, received_says_smtp_after_helo_and_omits_for_with_several_recipients)
{
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
  gsize len;
  const char *data;

  ms_engine_set_endpoints (MS_ENGINE (run->server), "2001:db8::7", 50000, "2001:db8::1", 25);
  server_run_feed (run, "HELO pc.example\r\n" MAIL RCPT "RCPT TO:<bob@example.com>\r\n"
                   "DATA\r\nx\r\n.\r\n", MS_CHUNKS_WHOLE, 0);
  cr_assert_eq (policy->messages->len, 1, "%s", run->out->str);
  data = g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
  cr_expect (g_str_has_prefix (data,
                               "Received: from pc.example ([IPv6:2001:db8::7])\r\n"
                               "\tby mx.example.com (MailSim) with SMTP id 000100001;\r\n"
                               "\tTue, 14 Nov 2023 22:13:20 +0000\r\nx\r\n"),
             "%.*s", (int) len, data);
}

Test (smtp_server, a_queue_id_generator_and_the_trace_get_the_message)
{
  MsSmtpServerConfig config;
  g_autoptr(ServerRun) run = NULL;
  MsTraceMessage *message;

  test_server_config (&config);
  config.id_func = (MsSmtpIdFunc) g_strdup;
  config.id_data = (gpointer) "QID42";
  run = server_run_new (&config, NULL);
  server_run_feed (run, EHLO MAIL RCPT "DATA\r\nSubject: trace me\r\n\r\nbody\r\n.\r\n",
                   MS_CHUNKS_WHOLE, 0);
  cr_expect (strstr (run->out->str, "250 2.0.0 Ok: queued as QID42\r\n") != NULL, "%s",
             run->out->str);
  cr_assert_eq (ms_trace_get_n_messages (run->trace), 1);
  message = ms_trace_get_message (run->trace, 0);
  cr_expect_str_eq (message->mail_from, "carol@sender.example");
  cr_expect_str_eq (message->rcpt_to[0], "alice@example.com");
  cr_expect_str_eq (message->subject, "trace me");
}

Test (smtp_server, the_body_is_recorded_as_one_data_summary_line)
{
  g_autoptr(ServerRun) run = server_run_new (NULL, NULL);
  guint data_lines = 0;
  MsTraceLine *summary = NULL;

  server_run_feed (run, EHLO MAIL RCPT "DATA\r\none\r\ntwo\r\n..three\r\n.\r\n",
                   MS_CHUNKS_BYTE_BY_BYTE, 0);
  for (guint i = 0; i < ms_trace_session_get_n_lines (run->session); i++)
    {
      MsTraceLine *line = ms_trace_session_get_line (run->session, i);

      if (line->kind == MS_LINE_DATA)
        {
          if (data_lines++ == 0)
            summary = line;
        }
    }
  cr_expect_eq (data_lines, 2, "a summary and the final dot");
  cr_assert_not_null (summary);
  cr_expect_str_eq (summary->text, "(message: 3 lines, 18 bytes)");
  cr_expect_eq (summary->dir, MS_DIR_CLIENT);
}

Test (smtp_server, a_null_reverse_path_is_accepted_for_bounces)
{
  expect_codes (EHLO "MAIL FROM:<>\r\n" RCPT "DATA\r\nx\r\n.\r\n",
                "220 250 250 250 354 250", "MAIL FROM:<>");
}

Test (smtp_server, dot_stuffed_lines_are_unstuffed)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      gsize len;
      const char *data;
      const char *body;

      server_run_feed (run, EHLO MAIL RCPT "DATA\r\n..\r\n...x\r\n.y\r\n\r\n.\r\n", c, seed);
      cr_assert_eq (policy->messages->len, 1);
      data = g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
      body = strstr (data, "+0000\r\n") + 7;
      cr_expect_str_eq (keep (g_strndup (body, len - (body - data))), ".\r\n..x\r\ny\r\n\r\n");
    }
}

/* ---- Sequence (503 from the state table) ----------------------------------------------- */

Test (smtp_server, commands_out_of_order_get_503_from_the_state_table)
{
  expect_codes (MAIL RCPT "DATA\r\n", "220 503 503 503", "before HELO");
  expect_line (NULL, MAIL, "503 5.5.1 Error: send HELO/EHLO first");
  expect_codes (EHLO RCPT "DATA\r\n", "220 250 503 503", "before MAIL");
  expect_line (NULL, EHLO RCPT, "503 5.5.1 Error: need MAIL command");
  expect_line (NULL, EHLO "DATA\r\n", "503 5.5.1 Error: need RCPT command");
  expect_codes (EHLO MAIL MAIL, "220 250 250 503", "nested MAIL");
  expect_line (NULL, EHLO MAIL MAIL, "503 5.5.1 Error: nested MAIL command");
  expect_codes (EHLO MAIL "AUTH PLAIN\r\nSTARTTLS\r\n", "220 250 250 503 503", "in a transaction");
}

Test (smtp_server, the_allowed_commands_follow_the_state)
{
  g_autoptr(ServerRun) run = server_run_new (NULL, NULL);
  g_auto(GStrv) before = ms_smtp_server_dup_allowed_commands (run->server);
  g_auto(GStrv) after = NULL;

  cr_expect (!g_strv_contains ((const char * const *) before, "MAIL"));
  cr_expect (g_strv_contains ((const char * const *) before, "EHLO"));
  server_run_feed (run, EHLO MAIL, MS_CHUNKS_WHOLE, 0);
  after = ms_smtp_server_dup_allowed_commands (run->server);
  cr_expect (g_strv_contains ((const char * const *) after, "RCPT"));
  cr_expect (g_strv_contains ((const char * const *) after, "DATA"));
  cr_expect (!g_strv_contains ((const char * const *) after, "MAIL"));
  cr_expect (!g_strv_contains ((const char * const *) after, "EXPN"));
}

Test (smtp_server, data_when_every_recipient_was_refused_is_554)
{
  expect_codes (EHLO MAIL "RCPT TO:<nobody@example.com>\r\nDATA\r\n", "220 250 250 550 554",
                "no valid recipients");
  expect_line (NULL, EHLO MAIL "RCPT TO:<nobody@example.com>\r\nDATA\r\n",
               "554 5.5.1 No valid recipients");
}

Test (smtp_server, rset_ends_the_transaction)
{
  expect_codes (EHLO MAIL RCPT "RSET\r\nRCPT TO:<bob@example.com>\r\n" MAIL RCPT,
                "220 250 250 250 250 503 250 250", "RSET");
  expect_codes (EHLO "RSET now\r\n", "220 250 501", "RSET takes no argument");
  expect_codes ("RSET\r\nMAIL FROM:<a@b.example>\r\n", "220 250 503", "RSET before HELO");
}

Test (smtp_server, a_second_ehlo_resets_the_transaction)
{
  expect_codes (EHLO MAIL RCPT EHLO "DATA\r\n" MAIL, "220 250 250 250 250 503 250", "EHLO again");
}

/* ---- Arguments: 501 / 553 / 555 / 552 ------------------------------------------------- */

Test (smtp_server, malformed_mail_and_rcpt_are_501_or_553)
{
  expect_codes (EHLO "MAIL\r\nMAIL TO:<a@b.example>\r\nMAIL FROM:<bad\r\n"
                "MAIL FROM:<a@@b>\r\nMAIL FROM:<a@b.example>\r\n"
                "RCPT\r\nRCPT TO:<>\r\nRCPT TO:<x y@example.com>\r\nRCPT TO:<a@-bad.example>\r\n",
                "220 250 501 501 553 553 250 501 553 553 553", "syntax");
  expect_line (NULL, EHLO "MAIL\r\n", "501 5.5.4 Syntax: MAIL FROM:<address>");
  expect_line (NULL, EHLO "MAIL FROM:<bad\r\n",
               "553 5.1.7 Bad sender address syntax: the address has no domain part");
  expect_line (NULL, EHLO "MAIL FROM:<bad@example.com\r\n",
               "553 5.1.7 Bad sender address syntax: missing closing '>'");
  expect_line (NULL, EHLO MAIL "RCPT TO:<>\r\n",
               "553 5.1.3 Bad recipient address syntax: the null path <> is only allowed in MAIL FROM");
}

Test (smtp_server, mail_parameters_size_body_and_unknown_ones)
{
  expect_codes (EHLO "MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME\r\n", "220 250 250", "ok");
  expect_codes (EHLO "MAIL FROM:<a@b.example> BODY=7BIT AUTH=<>\r\n", "220 250 250", "ok");
  expect_codes (EHLO "MAIL FROM:<a@b.example> FOO=1\r\n", "220 250 555", "unknown");
  expect_line (NULL, EHLO "MAIL FROM:<a@b.example> FOO=1\r\n",
               "555 5.5.4 Unsupported option: FOO");
  expect_codes (EHLO "MAIL FROM:<a@b.example> SIZE=abc\r\n", "220 250 501", "bad SIZE");
  expect_codes (EHLO "MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n", "220 250 555", "BODY");
  expect_codes (EHLO "MAIL FROM:<a@b.example> SIZE=99999999999\r\n", "220 250 552", "too big");
  expect_line (NULL, EHLO "MAIL FROM:<a@b.example> SIZE=99999999999\r\n",
               "552 5.3.4 Message size exceeds fixed maximum message size (10485760 octets)");
  expect_codes ("HELO x\r\nMAIL FROM:<a@b.example> SIZE=10\r\n", "220 250 555", "after HELO");
  expect_codes (EHLO MAIL "RCPT TO:<alice@example.com> NOTIFY=NEVER\r\n", "220 250 250 555",
                "RCPT params");
}

Test (smtp_server, eight_bit_mime_is_passed_to_the_policy)
{
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));

  server_run_feed (run, EHLO "MAIL FROM:<a@b.example> BODY=8BITMIME\r\n" RCPT
                   "DATA\r\n\xe3\x81\x82\r\n.\r\n", MS_CHUNKS_WHOLE, 0);
  cr_assert_eq (policy->envelopes->len, 1);
  cr_expect_str_eq (g_ptr_array_index (policy->envelopes, 0), "a@b.example|alice@example.com||8bit");
}

Test (smtp_server, addresses_postfix_style_tolerance_and_postmaster)
{
  expect_codes (EHLO "MAIL FROM:a@b.example\r\nRCPT TO: <alice@example.com>\r\n"
                "RCPT TO:<Postmaster>\r\nRCPT TO:<@relay.example,@x.example:bob@example.com>\r\n"
                "RCPT TO:<\"alice\"@example.com>\r\n",
                "220 250 250 250 250 250 550", "tolerated forms");
}

/* ---- Policy refusals say why ---------------------------------------------------------- */

Test (smtp_server, policy_refusals_carry_their_reason)
{
  expect_line (NULL, EHLO "MAIL FROM:<spammer@bad.example>\r\n",
               "550 5.7.1 <spammer@bad.example>: Sender address rejected: listed spammer");
  expect_line (NULL, EHLO MAIL "RCPT TO:<x@elsewhere.example>\r\n",
               "554 5.7.1 <x@elsewhere.example>: Relay access denied");
  expect_line (NULL, EHLO MAIL "RCPT TO:<y@example.com>\r\n",
               "550 5.1.1 <y@example.com>: Recipient address rejected: User unknown");
  expect_line (NULL, EHLO MAIL "RCPT TO:<z@busy.example>\r\n",
               "450 4.2.1 <z@busy.example>: Mailbox busy, try later");
}

Test (smtp_server, a_refusal_at_the_end_of_data_is_sent_as_given)
{
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = NULL;

  policy->deliver_reply = ms_smtp_reply_new (554, "5.7.1", "Message rejected: spam score 15");
  run = server_run_new (NULL, MS_SMTP_POLICY (policy));
  server_run_feed (run, EHLO MAIL RCPT "DATA\r\nbuy now\r\n.\r\nNOOP\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect (strstr (run->out->str, "554 5.7.1 Message rejected: spam score 15\r\n250 2.0.0 Ok\r\n")
             != NULL, "%s", run->out->str);
  cr_expect_eq (ms_smtp_server_get_n_accepted (run->server), 0);
}

Test (smtp_server, too_many_recipients_is_452)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.max_recipients = 2;
  expect_codes_full (&config, TRUE, EHLO MAIL RCPT RCPT RCPT "DATA\r\nx\r\n.\r\n",
                     "220 250 250 250 250 452 354 250", "third recipient");
  expect_line (&config, EHLO MAIL RCPT RCPT RCPT, "452 4.5.3 Error: too many recipients (at most 2)");
}

/* ---- Simple commands ------------------------------------------------------------------ */

Test (smtp_server, noop_vrfy_help_and_not_implemented_commands)
{
  expect_codes ("NOOP\r\nNOOP anything\r\n", "220 250 250", "NOOP");
  expect_codes ("VRFY\r\n", "220 501", "VRFY without argument");
  expect_line (NULL, "VRFY someone@elsewhere.example\r\n",
               "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
  expect_line (NULL, "VRFY alice@example.com\r\n", "250 2.1.5 <alice@example.com>");
  expect_line (NULL, "VRFY zed@example.com\r\n", "550 5.1.1 <zed@example.com>: User unknown");
  expect_line (NULL, "VRFY a b\r\n", "553 5.1.3 <a b>: Bad address syntax");
  expect_codes ("EXPN staff\r\nTURN\r\nETRN example.com\r\nBDAT 10\r\n", "220 502 502 502 502",
                "not implemented");
  expect_line (NULL, "EXPN staff\r\n", "502 5.5.1 Error: command not implemented");
  expect_codes ("FROB\r\n\r\nmail from:<a@b.example>\r\n", "220 500 500 503", "unknown, empty");
  expect_line (NULL, "FROB\r\n", "500 5.5.2 Error: command not recognized");
  expect_line (NULL, "\r\n", "500 5.5.2 Error: bad syntax (empty line)");
  expect_codes ("QUIT now\r\nQUIT\r\n", "220 501 221", "QUIT with argument");
}

Test (smtp_server, help_is_multi_line_and_per_command)
{
  expect_line (NULL, "HELP\r\n", "214-2.0.0 This is the MailSim SMTP server (RFC 5321)");
  expect_line (NULL, "HELP\r\n", "214 2.0.0 End of HELP info");
  expect_line (NULL, "HELP mail\r\n",
               "214 2.0.0 MAIL FROM:<sender> [SIZE=n] [BODY=7BIT|8BITMIME]: start a mail transaction");
  expect_codes ("HELP FROB\r\nHELP EXPN\r\n", "220 504 504", "unknown topics");
}

Test (smtp_server, verbs_are_case_insensitive)
{
  expect_codes ("ehlo client.example\r\nmail from:<a@b.example>\r\nrcpt to:<alice@example.com>\r\n"
                "data\r\nx\r\n.\r\nquit\r\n", "220 250 250 250 354 250 221", "lower case");
}

/* ---- Limits -------------------------------------------------------------------------- */

Test (smtp_server, a_command_line_over_512_octets_is_refused_and_the_session_goes_on)
{
  g_autoptr(GString) input = g_string_new (EHLO);

  g_string_append (input, "NOOP ");
  for (int i = 0; i < 520; i++)
    g_string_append_c (input, 'x');
  g_string_append (input, "\r\nMAIL FROM:<");
  for (int i = 0; i < 20000; i++)
    g_string_append_c (input, 'y');
  g_string_append (input, "@b.example>\r\n" MAIL);
  expect_codes (input->str, "220 250 500 500 250", "long lines");
  expect_line (NULL, input->str, "500 5.5.2 Error: line too long");
}

Test (smtp_server, a_text_line_over_998_octets_is_refused_at_the_end_of_data)
{
  g_autoptr(GString) input = g_string_new (EHLO MAIL RCPT "DATA\r\nshort\r\n");

  for (int i = 0; i < 1200; i++)
    g_string_append_c (input, 'z');
  g_string_append (input, "\r\n.not the end\r\n.\r\n" MAIL);
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;

      server_run_feed (run, input->str, c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 250 250 354 500 250", "%s", ms_test_chunking_name (c));
      cr_expect (strstr (run->out->str, "500 5.5.2 Message rejected: a line was longer than 998 "
                         "octets") != NULL, "%s", run->out->str);
      cr_expect_eq (policy->messages->len, 0);
    }
}

Test (smtp_server, a_message_over_the_size_limit_is_read_to_the_end_and_refused_with_552)
{
  MsSmtpServerConfig config;
  g_autoptr(GString) input = g_string_new (EHLO MAIL RCPT "DATA\r\n");

  test_server_config (&config);
  config.max_message_size = 1000;
  for (int i = 0; i < 100; i++)
    g_string_append (input, "0123456789012345678901234567890123456789\r\n");
  g_string_append (input, ".\r\n" MAIL RCPT "DATA\r\nsmall\r\n.\r\n");
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (&config, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;

      server_run_feed (run, input->str, c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 250 250 354 552 250 250 354 250", "%s",
                        ms_test_chunking_name (c));
      cr_expect (strstr (run->out->str, "552 5.3.4 Message size exceeds fixed maximum message "
                         "size (1000 octets)") != NULL);
      cr_expect_eq (policy->messages->len, 1);
    }
}

Test (smtp_server, a_huge_message_goes_through_intact)
{
  g_autoptr(GString) input = g_string_new (EHLO MAIL RCPT "DATA\r\n");
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
  gsize len;

  for (int i = 0; i < 100000; i++)
    g_string_append_printf (input, "line %06d of a long message, padding padding\r\n", i);
  g_string_append (input, ".\r\n");
  server_run_feed (run, input->str, MS_CHUNKS_RANDOM, 3);
  cr_assert_eq (policy->messages->len, 1, "%s", run->out->str);
  g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
  cr_expect_gt (len, 100000u * 48u);
  cr_expect (strstr (run->out->str, "(message") == NULL);
}

Test (smtp_server, too_many_errors_end_the_session_with_421)
{
  g_autoptr(GString) input = g_string_new (NULL);
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.max_errors = 3;
  g_string_append (input, "FROB\r\nFROB\r\nFROB\r\nNOOP\r\n");
  expect_codes_full (&config, TRUE, input->str, "220 500 500 500 421", "junk");
  expect_line (&config, input->str, "421 4.7.0 mx.example.com Error: too many errors");
}

Test (smtp_server, shutdown_sends_421_and_closes)
{
  g_autoptr(ServerRun) run = server_run_new (NULL, NULL);

  server_run_feed (run, EHLO MAIL, MS_CHUNKS_WHOLE, 0);
  ms_smtp_server_shutdown (run->server);
  cr_expect (g_str_has_suffix (run->out->str,
                               "421 4.3.2 mx.example.com Service shutting down, closing "
                               "transmission channel\r\n"));
  cr_expect_eq (run->close_requests, 1);
  cr_expect (ms_engine_is_closed (MS_ENGINE (run->server)));
}

Test (smtp_server, pipelined_commands_are_answered_in_order)
{
  /* RFC 2920: the whole batch arrives in one read. */
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;

      server_run_feed (run, EHLO "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
                       "RCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                       "x\r\n.\r\nMAIL FROM:<c@d.example>\r\nRCPT TO:<bob@example.com>\r\n"
                       "DATA\r\ny\r\n.\r\nQUIT\r\n", c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 250 250 550 250 354 250 250 250 354 250 221");
      cr_expect_eq (policy->messages->len, 2);
      cr_expect_str_eq (g_ptr_array_index (policy->envelopes, 0),
                        "a@b.example|alice@example.com,bob@example.com|");
    }
}

/* ---- Submission, AUTH ---------------------------------------------------------------- */

static MsSmtpServerConfig *
submission_config (MsSmtpServerConfig *config)
{
  test_server_config (config);
  config->submission = TRUE;
  config->allow_plain_auth_without_tls = TRUE;
  return config;
}

/* "\0alice@example.com\0wonderland" */
#define PLAIN_ALICE "AGFsaWNlQGV4YW1wbGUuY29tAHdvbmRlcmxhbmQ="
/* "\0alice@example.com\0wrong" */
#define PLAIN_WRONG "AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n"

Test (smtp_server, submission_needs_auth_before_mail)
{
  MsSmtpServerConfig config;

  submission_config (&config);
  expect_codes_full (&config, TRUE, EHLO MAIL "AUTH PLAIN " PLAIN_ALICE "\r\n" MAIL,
                     "220 250 530 235 250", "530 then AUTH");
  expect_line (&config, EHLO MAIL, "530 5.7.0 Authentication required");
  expect_line (&config, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\n", "235 2.7.0 Authentication successful");
}

Test (smtp_server, auth_plain_with_and_without_initial_response)
{
  MsSmtpServerConfig config;

  submission_config (&config);
  expect_codes_full (&config, TRUE, EHLO "AUTH PLAIN\r\n" PLAIN_ALICE "\r\n" MAIL,
                     "220 250 334 235 250", "PLAIN after 334");
  expect_line (&config, EHLO "AUTH PLAIN\r\n", "334 ");
  expect_codes_full (&config, TRUE, EHLO "AUTH PLAIN " PLAIN_WRONG "\r\n" MAIL,
                     "220 250 535 530", "wrong password");
  expect_line (&config, EHLO "AUTH PLAIN " PLAIN_WRONG "\r\n",
               "535 5.7.8 Error: authentication failed: authentication credentials invalid");
  /* authzid for somebody else: "bob@example.com\0alice@example.com\0wonderland" */
  expect_codes_full (&config, TRUE,
                     EHLO "AUTH PLAIN Ym9iQGV4YW1wbGUuY29tAGFsaWNlQGV4YW1wbGUuY29tAHdvbmRlcmxhbmQ=\r\n",
                     "220 250 535", "authzid");
}

Test (smtp_server, auth_login_asks_username_then_password)
{
  MsSmtpServerConfig config;

  submission_config (&config);
  /* YWxpY2VAZXhhbXBsZS5jb20= "alice@example.com", d29uZGVybGFuZA== "wonderland" */
  expect_codes_full (&config, TRUE, EHLO "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\n"
                     "d29uZGVybGFuZA==\r\n" MAIL, "220 250 334 334 235 250", "LOGIN");
  expect_line (&config, EHLO "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6");
  expect_line (&config, EHLO "AUTH LOGIN YWxpY2VAZXhhbXBsZS5jb20=\r\n", "334 UGFzc3dvcmQ6");
  expect_codes_full (&config, TRUE, EHLO "AUTH LOGIN YWxpY2VAZXhhbXBsZS5jb20=\r\nd3Jvbmc=\r\n",
                     "220 250 334 535", "LOGIN wrong");
}

Test (smtp_server, auth_cram_md5_checks_the_hmac_of_its_challenge)
{
  MsSmtpServerConfig config;

  submission_config (&config);
  FOR_EACH_CHUNKING (c, seed)
    {
      for (int good = 0; good < 2; good++)
        {
          g_autoptr(TestPolicy) policy = test_policy_new ();
          g_autoptr(ServerRun) run = server_run_new (&config, MS_SMTP_POLICY (policy));
          const char *challenge_line;
          g_autofree guchar *challenge = NULL;
          gsize challenge_len;
          g_autofree char *challenge_str = NULL;
          g_autofree char *digest = NULL;
          g_autofree char *answer = NULL;
          g_autofree char *b64 = NULL;
          g_autofree char *input = NULL;
          gsize start;

          server_run_feed (run, EHLO "AUTH CRAM-MD5\r\n", c, seed);
          challenge_line = strstr (run->out->str, "334 ");
          cr_assert_not_null (challenge_line, "%s", run->out->str);
          challenge_str = g_strndup (challenge_line + 4, strcspn (challenge_line + 4, "\r"));
          challenge = g_base64_decode (challenge_str, &challenge_len);
          cr_expect (challenge_len > 3 && challenge[0] == '<'
                     && g_str_has_suffix (keep (g_strndup ((char *) challenge, challenge_len)),
                                          "@mx.example.com>"));
          digest = g_compute_hmac_for_data (G_CHECKSUM_MD5,
                                            (const guchar *) (good ? "wonderland" : "wrong"),
                                            good ? 10 : 5, challenge, challenge_len);
          answer = g_strdup_printf ("alice@example.com %s", digest);
          b64 = g_base64_encode ((guchar *) answer, strlen (answer));
          input = g_strdup_printf ("%s\r\n" MAIL, b64);
          start = run->out->len;
          server_run_feed (run, input, c, seed);
          cr_expect_str_eq (output_tail (run, start),
                            good ? "235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n"
                                 : "535 5.7.8 Error: authentication failed: authentication "
                                   "credentials invalid\r\n530 5.7.0 Authentication required\r\n");
          if (good)
            cr_expect_str_eq (ms_smtp_server_get_authenticated_user (run->server),
                              "alice@example.com");
        }
    }
}

Test (smtp_server, auth_errors_cancel_garbage_twice_unknown_and_no_tls)
{
  MsSmtpServerConfig config;
  MsSmtpServerConfig clear;

  submission_config (&config);
  expect_codes_full (&config, TRUE, EHLO "AUTH LOGIN\r\n*\r\n", "220 250 334 501", "cancel");
  expect_line (&config, EHLO "AUTH LOGIN\r\n*\r\n", "501 5.7.0 Authentication aborted");
  expect_codes_full (&config, TRUE, EHLO "AUTH PLAIN\r\n!!!notbase64\r\n", "220 250 334 501",
                     "garbage");
  expect_codes_full (&config, TRUE, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nAUTH PLAIN " PLAIN_ALICE
                     "\r\n", "220 250 235 503", "twice");
  expect_line (&config, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nAUTH PLAIN\r\n",
               "503 5.5.1 Error: already authenticated");
  expect_codes_full (&config, TRUE, EHLO "AUTH KERBEROS_V4\r\nAUTH\r\n", "220 250 504 501",
                     "unknown mechanism");
  expect_codes_full (&config, TRUE, "AUTH PLAIN\r\n", "220 503", "before EHLO");
  expect_codes_full (&config, FALSE, EHLO "AUTH PLAIN\r\n", "220 250 502", "no policy");
  expect_codes_full (&config, TRUE, EHLO "AUTH CRAM-MD5 abc=\r\n", "220 250 501", "CRAM initial");

  test_server_config (&clear);
  expect_codes_full (&clear, TRUE, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\nAUTH LOGIN\r\n",
                     "220 250 538 538", "PLAIN without TLS");
  expect_line (&clear, EHLO "AUTH PLAIN\r\n",
               "538 5.7.11 Encryption required for requested authentication mechanism");
}

Test (smtp_server, auth_lines_are_recorded_as_secret)
{
  MsSmtpServerConfig config;
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = NULL;
  guint secrets = 0;

  submission_config (&config);
  run = server_run_new (&config, MS_SMTP_POLICY (policy));
  server_run_feed (run, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\n"
                   "AUTH LOGIN\r\n", MS_CHUNKS_WHOLE, 0);
  for (guint i = 0; i < ms_trace_session_get_n_lines (run->session); i++)
    secrets += ms_trace_session_get_line (run->session, i)->secret;
  cr_expect_eq (secrets, 1);
  g_clear_pointer (&run, server_run_free);
  run = server_run_new (&config, MS_SMTP_POLICY (policy));
  server_run_feed (run, EHLO "AUTH LOGIN\r\nYWxpY2VAZXhhbXBsZS5jb20=\r\nd29uZGVybGFuZA==\r\n",
                   MS_CHUNKS_WHOLE, 0);
  secrets = 0;
  for (guint i = 0; i < ms_trace_session_get_n_lines (run->session); i++)
    {
      MsTraceLine *line = ms_trace_session_get_line (run->session, i);
      if (line->secret)
        {
          secrets++;
          cr_expect_eq (line->kind, MS_LINE_AUTH);
        }
    }
  cr_expect_eq (secrets, 2);
}

/* ---- STARTTLS -------------------------------------------------------------------------- */

Test (smtp_server, starttls_unavailable_is_454)
{
  expect_codes (EHLO "STARTTLS\r\n", "220 250 454", "no TLS");
  expect_line (NULL, EHLO "STARTTLS\r\n", "454 4.7.0 TLS not available due to temporary reason");
}

Test (smtp_server, starttls_drops_injected_commands_and_resets_the_session)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.tls_available = TRUE;
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(TestPolicy) policy = test_policy_new ();
      g_autoptr(ServerRun) run = server_run_new (&config, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;
      gsize start;
      gsize len;
      const char *data;

      /* RFC 3207 §5: the MAIL pipelined behind STARTTLS must not be acted on. */
      server_run_feed (run, EHLO "STARTTLS\r\n" MAIL RCPT, c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 220", "%s", ms_test_chunking_name (c));
      cr_expect (strstr (run->out->str, "220 2.0.0 Ready to start TLS\r\n") != NULL);
      cr_expect_eq (run->tls_requests, 1);
      cr_expect_eq (ms_smtp_server_get_state (run->server), MS_SMTP_SERVER_STATE_TLS);

      ms_engine_tls_established (MS_ENGINE (run->server), MS_TLS_STARTTLS);
      g_clear_pointer (&codes, g_free);
      start = run->out->len;
      cr_expect_eq (start, strlen (run->out->str), "no greeting after the handshake");
      server_run_feed (run, MAIL EHLO "STARTTLS\r\n" MAIL RCPT "DATA\r\nx\r\n.\r\n", c, seed);
      codes = reply_codes (output_tail (run, start));
      cr_expect_str_eq (codes, "503 250 503 250 250 354 250", "%s", ms_test_chunking_name (c));
      cr_expect (strstr (output_tail (run, start), "STARTTLS") == NULL,
                 "not offered once active");
      cr_expect (strstr (output_tail (run, start), "503 5.5.1 Error: TLS already active") != NULL);
      cr_expect_eq (run->session->tls, MS_TLS_STARTTLS);
      cr_assert_eq (policy->messages->len, 1);
      data = g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
      cr_expect (strstr (data, "with ESMTPS id") != NULL);
    }
}

Test (smtp_server, require_tls_refuses_mail_and_auth_before_starttls)
{
  MsSmtpServerConfig config;

  submission_config (&config);
  config.tls_available = TRUE;
  config.require_tls = TRUE;
  expect_codes_full (&config, TRUE, EHLO MAIL "AUTH PLAIN " PLAIN_ALICE "\r\n", "220 250 530 530",
                     "before STARTTLS");
  expect_line (&config, EHLO MAIL, "530 5.7.0 Must issue a STARTTLS command first");
}

Test (smtp_server, tls_and_auth_make_esmtpsa)
{
  MsSmtpServerConfig config;
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = NULL;
  const char *data;
  gsize len;

  test_server_config (&config);
  config.tls_available = TRUE;
  run = server_run_new (&config, MS_SMTP_POLICY (policy));
  server_run_feed (run, EHLO "STARTTLS\r\n", MS_CHUNKS_WHOLE, 0);
  ms_engine_tls_established (MS_ENGINE (run->server), MS_TLS_STARTTLS);
  server_run_feed (run, EHLO "AUTH PLAIN " PLAIN_ALICE "\r\n" MAIL
                   "RCPT TO:<dave@far.example>\r\nDATA\r\nx\r\n.\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect (strstr (run->out->str, "250-AUTH PLAIN LOGIN CRAM-MD5\r\n") != NULL, "%s",
             run->out->str);
  cr_assert_eq (policy->messages->len, 1, "%s", run->out->str);
  data = g_bytes_get_data (g_ptr_array_index (policy->messages, 0), &len);
  cr_expect (strstr (data, "with ESMTPSA id") != NULL);
  cr_expect_str_eq (g_ptr_array_index (policy->envelopes, 0),
                    "carol@sender.example|dave@far.example|dave@far.example");
}

/* ---- Addresses ----------------------------------------------------------------------- */

typedef struct
{
  const char     *input;
  MsSmtpPathFlags flags;
  const char     *mailbox;  /* NULL: must fail */
  const char     *domain;
  const char     *rest;
} PathCase;

Test (smtp_server, path_syntax_follows_rfc5321)
{
  static const PathCase cases[] = {
    /* valid */
    { "<alice@example.com>", 0, "alice@example.com", "example.com", "" },
    { "<>", MS_SMTP_PATH_REVERSE, "", NULL, "" },
    { "<> SIZE=10", MS_SMTP_PATH_REVERSE, "", NULL, " SIZE=10" },
    { " <a.b-c+d@sub.example.org> BODY=7BIT", 0, "a.b-c+d@sub.example.org", "sub.example.org", " BODY=7BIT" },
    { "<\"john doe\"@example.com>", 0, "\"john doe\"@example.com", "example.com", "" },
    { "<\"a\\\"b\"@example.com>", 0, "\"a\\\"b\"@example.com", "example.com", "" },
    { "<@hop1.example,@hop2.example:bob@example.com>", 0, "bob@example.com", "example.com", "" },
    { "<user@[192.0.2.1]>", 0, "user@[192.0.2.1]", "[192.0.2.1]", "" },
    { "<user@[IPv6:2001:db8::1]>", 0, "user@[IPv6:2001:db8::1]", "[IPv6:2001:db8::1]", "" },
    { "alice@example.com", 0, "alice@example.com", "example.com", "" },
    { "<Postmaster>", MS_SMTP_PATH_POSTMASTER, "Postmaster", NULL, "" },
    /* invalid */
    { "<>", 0, NULL, NULL, NULL },
    { "<alice@example.com", 0, NULL, NULL, NULL },
    { "<alice>", 0, NULL, NULL, NULL },
    { "<Postmaster>", 0, NULL, NULL, NULL },
    { "<.alice@example.com>", 0, NULL, NULL, NULL },
    { "<alice.@example.com>", 0, NULL, NULL, NULL },
    { "<al..ice@example.com>", 0, NULL, NULL, NULL },
    { "<alice@example..com>", 0, NULL, NULL, NULL },
    { "<alice@-example.com>", 0, NULL, NULL, NULL },
    { "<alice@example-.com>", 0, NULL, NULL, NULL },
    { "<alice@[300.1.1.1]>", 0, NULL, NULL, NULL },
    { "<a b@example.com>", 0, NULL, NULL, NULL },
    { "<alice@example.com>x", 0, NULL, NULL, NULL },
    { "<\"unterminated@example.com>", 0, NULL, NULL, NULL },
    { "<@hop1.example bob@example.com>", 0, NULL, NULL, NULL },
    { "", 0, NULL, NULL, NULL },
    { "<\xe3\x81\x82@example.com>", 0, NULL, NULL, NULL },
    { "<xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx@example.com>", 0,
      NULL, NULL, NULL },  /* 65-octet local part */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MsSmtpPath path;
      const char *rest = NULL;
      const char *reason = NULL;
      gboolean ok = ms_smtp_path_parse (cases[i].input, cases[i].flags, &path, &rest, &reason);

      if (cases[i].mailbox == NULL)
        {
          cr_expect (!ok, "\"%s\" should fail", cases[i].input);
          cr_expect_not_null (reason, "\"%s\" needs a reason", cases[i].input);
        }
      else
        {
          cr_expect (ok, "\"%s\" should parse (%s)", cases[i].input, reason);
          if (ok)
            {
              cr_expect_str_eq (path.mailbox, cases[i].mailbox, "%s", cases[i].input);
              cr_expect_eq (g_strcmp0 (path.domain, cases[i].domain), 0, "%s: domain %s",
                            cases[i].input, path.domain);
              cr_expect_str_eq (rest, cases[i].rest, "%s", cases[i].input);
            }
        }
      ms_smtp_path_clear (&path);
    }
}

Test (smtp_server, reply_and_enhanced_code_tables)
{
  cr_expect_not_null (ms_smtp_reply_code_describe (354));
  cr_expect_not_null (ms_smtp_reply_code_describe (538));
  cr_expect_null (ms_smtp_reply_code_describe (299));
  cr_expect_str_eq (ms_smtp_enhanced_status_describe ("5.7.1"),
                    "Delivery not authorized, message refused");
  cr_expect_not_null (ms_smtp_enhanced_status_describe ("5.7.11"));
  cr_expect (ms_smtp_enhanced_status_is_valid ("4.5.3"));
  cr_expect (!ms_smtp_enhanced_status_is_valid ("3.1.1"));
  cr_expect (!ms_smtp_enhanced_status_is_valid ("5.1"));
  cr_expect (!ms_smtp_enhanced_status_is_valid ("5.1.1234"));
}

/* ---- Remaining paths ------------------------------------------------------------------- */

Test (smtp_server, a_251_from_the_policy_is_passed_on)
{
  expect_line (NULL, EHLO MAIL "RCPT TO:<moved@example.com>\r\n",
               "251 2.1.5 User not local; will forward to <moved@elsewhere.example>");
  expect_codes (EHLO MAIL "RCPT TO:<moved@example.com>\r\nDATA\r\nx\r\n.\r\n",
                "220 250 250 251 354 250", "251 counts as accepted");
}

Test (smtp_server, rcpt_parameters_after_helo_are_555)
{
  expect_line (NULL, "HELO x\r\n" MAIL "RCPT TO:<alice@example.com> NOTIFY=NEVER\r\n",
               "555 5.5.4 Error: RCPT parameters need EHLO, not HELO");
}

Test (smtp_server, malformed_sasl_responses_are_501)
{
  MsSmtpServerConfig config;
  g_autoptr(GString) long_line = g_string_new (EHLO "AUTH PLAIN\r\n");

  submission_config (&config);
  /* "alice" has no NULs; an empty initial response "=" is no PLAIN message either */
  expect_codes_full (&config, TRUE, EHLO "AUTH PLAIN YWxpY2U=\r\nAUTH PLAIN =\r\n"
                     "AUTH CRAM-MD5\r\nbm9kaWdlc3Q=\r\n" MAIL, "220 250 501 501 334 501 530",
                     "malformed");
  expect_line (&config, EHLO "AUTH PLAIN YWxpY2U=\r\n", "501 5.5.2 Malformed PLAIN response (RFC 4616)");
  for (int i = 0; i < 13000; i++)
    g_string_append_c (long_line, 'A');
  g_string_append (long_line, "\r\nNOOP\r\n");
  expect_codes_full (&config, TRUE, long_line->str, "220 250 334 500 250", "SASL line too long");
  expect_line (&config, long_line->str, "500 5.5.6 Authentication Exchange line is too long");
}

Test (smtp_server, the_peer_closing_mid_data_drops_the_transaction)
{
  g_autoptr(TestPolicy) policy = test_policy_new ();
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));

  server_run_feed (run, EHLO MAIL RCPT "DATA\r\nhalf a mess", MS_CHUNKS_WHOLE, 0);
  ms_engine_peer_closed (MS_ENGINE (run->server));
  cr_expect_eq (ms_smtp_server_get_state (run->server), MS_SMTP_SERVER_STATE_CLOSED);
  cr_expect_str_eq (ms_smtp_server_state_to_string (MS_SMTP_SERVER_STATE_CLOSED), "closed");
  cr_expect_eq (policy->messages->len, 0);
}

Test (smtp_server, wall_clock_and_default_config)
{
  static const char input[] = EHLO MAIL RCPT "DATA\r\nx\r\n.\r\n";
  g_autoptr(MsSmtpServer) server = ms_smtp_server_new (NULL, NULL);

  cr_expect_str_eq (ms_smtp_server_get_hostname (server), "localhost");
  ms_engine_start (MS_ENGINE (server));
  ms_engine_feed (MS_ENGINE (server), (const guint8 *) input, sizeof input - 1);
  cr_expect_eq (ms_smtp_server_get_n_accepted (server), 1);
}
