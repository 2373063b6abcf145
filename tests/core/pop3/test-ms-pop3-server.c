/* test-ms-pop3-server.c: every command and state path of the POP3 server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pop3-test-util.h"

#define GREETING "+OK pop.example.com POP3 server ready <1896.697170952@pop.example.com>\r\n"
#define LOGIN "USER alice\r\nPASS secret\r\n"
#define LOGIN_REPLIES(n, octets) \
  "+OK send PASS\r\n+OK alice@example.com's maildrop has " n " messages (" octets " octets)\r\n"

#define MSG2_STUFFED "From: carol@example.net\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n" \
                     "..leading dot\r\n...two dots\r\n..\r\nend\r\n"

/* "{1}" = size of MSG1, "{2}" = MSG2, "{3}" = both. */
static char *
sizes_filled (const char *text)
{
  g_autofree char *s1 = g_strdup_printf ("%zu", sizeof MSG1 - 1);
  g_autofree char *s2 = g_strdup_printf ("%zu", sizeof MSG2 - 1);
  g_autofree char *s3 = g_strdup_printf ("%zu", sizeof MSG1 + sizeof MSG2 - 2);
  g_auto(GStrv) p1 = g_strsplit (text, "{1}", -1);
  g_autofree char *j1 = g_strjoinv (s1, p1);
  g_auto(GStrv) p2 = g_strsplit (j1, "{2}", -1);
  g_autofree char *j2 = g_strjoinv (s2, p2);
  g_auto(GStrv) p3 = g_strsplit (j2, "{3}", -1);

  return g_strjoinv (s3, p3);
}

TestSuite (pop3_server);

Test (pop3_server, apop_digest_matches_the_rfc_1939_example)
{
  g_autofree char *digest = ms_pop3_apop_digest ("<1896.697170952@dbc.mtview.ca.us>", "tanstaaf");

  cr_expect_str_eq (digest, "c4c9334bac560ecc979e58001b3e22fb");
}

Test (pop3_server, a_full_session_reads_lists_retrieves_and_deletes_in_every_split)
{
  g_autofree char *expected = NULL;
  static const char input[] =
    LOGIN "STAT\r\nLIST\r\nRETR 2\r\nDELE 1\r\nLIST 1\r\nUIDL\r\nQUIT\r\n";

  {
    g_autofree char *s1 = g_strdup_printf ("%zu", sizeof MSG1 - 1);
    g_autofree char *s2 = g_strdup_printf ("%zu", sizeof MSG2 - 1);
    g_autofree char *both = g_strdup_printf ("%zu", sizeof MSG1 + sizeof MSG2 - 2);

    expected = g_strconcat (GREETING,
                            "+OK send PASS\r\n+OK alice@example.com's maildrop has 2 messages (",
                            both, " octets)\r\n",
                            "+OK 2 ", both, "\r\n",
                            "+OK 2 messages (", both, " octets)\r\n",
                            "1 ", s1, "\r\n2 ", s2, "\r\n.\r\n",
                            "+OK ", s2, " octets\r\n", MSG2_STUFFED, ".\r\n",
                            "+OK message 1 deleted\r\n",
                            "-ERR message 1 already deleted\r\n",
                            "+OK unique-id listing follows\r\n2 1.2\r\n.\r\n",
                            "+OK pop.example.com POP3 server signing off (1 message left)\r\n",
                            NULL);
  }

  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autofree char *out = test_converse (store, NULL, input, chunking, seed);

      cr_expect_str_eq (out, expected, "%s seed %u", ms_test_chunking_name (chunking), seed);
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 1);
    }
}

Test (pop3_server, apop_logs_in_with_the_digest_of_the_greeting_timestamp)
{
  MsPop3ServerConfig config;

  test_server_config (&config);
  config.hostname = "dbc.mtview.ca.us";
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, &config);

      cr_assert_str_eq (ms_pop3_server_get_timestamp (t->server),
                        "<1896.697170952@dbc.mtview.ca.us>");
      test_server_feed (t, "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\nSTAT\r\n",
                        chunking, seed);
      cr_expect_str_eq (t->out->str,
                        "+OK dbc.mtview.ca.us POP3 server ready "
                        "<1896.697170952@dbc.mtview.ca.us>\r\n"
                        "+OK mrose@dbc.mtview.ca.us's maildrop has 0 messages (0 octets)\r\n"
                        "+OK 0 0\r\n");
      cr_expect_eq (ms_pop3_server_get_state (t->server), MS_POP3_SERVER_STATE_TRANSACTION);
    }
}

Test (pop3_server, a_wrong_apop_digest_or_password_is_refused_with_the_auth_code)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);

      test_server_feed (t, "APOP alice 00000000000000000000000000000000\r\n"
                        "USER alice\r\nPASS wrong\r\nPASS secret\r\nAPOP nobody 1\r\n",
                        chunking, seed);
      cr_expect_str_eq (t->out->str, GREETING
                        "-ERR [AUTH] invalid user name or digest\r\n"
                        "+OK send PASS\r\n"
                        "-ERR [AUTH] invalid user name or password\r\n"
                        "-ERR send USER first\r\n"
                        "-ERR [AUTH] invalid user name or digest\r\n");
      cr_expect_eq (ms_pop3_server_get_state (t->server), MS_POP3_SERVER_STATE_AUTHORIZATION);
      cr_expect_null (ms_pop3_server_get_user (t->server));
    }
}

Test (pop3_server, transaction_commands_before_login_are_refused_by_state)
{
  static const char * const verbs[] = {
    "STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 0", "UIDL"
  };

  for (guint i = 0; i < G_N_ELEMENTS (verbs); i++)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autofree char *input = g_strdup_printf ("%s\r\n", verbs[i]);
      g_autofree char *out = test_converse_all (NULL, input, &store);
      g_autofree char *verb = g_strndup (verbs[i], 4);
      g_autofree char *expected = g_strdup_printf (
        GREETING "-ERR %s is not allowed in the AUTHORIZATION state (log in first)\r\n",
        g_strstrip (verb));

      cr_expect_str_eq (out, expected);
    }
}

Test (pop3_server, authorization_commands_after_login_are_refused_by_state)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = test_converse_all (NULL,
                                            LOGIN "USER bob\r\nPASS x\r\nAPOP a b\r\nSTLS\r\n"
                                            "AUTH PLAIN\r\nNOOP\r\n", &store);

  g_autofree char *expected = sizes_filled (
    GREETING LOGIN_REPLIES ("2", "{3}")
    "-ERR USER is not allowed in the TRANSACTION state\r\n"
    "-ERR PASS is not allowed in the TRANSACTION state\r\n"
    "-ERR APOP is not allowed in the TRANSACTION state\r\n"
    "-ERR STLS is not allowed in the TRANSACTION state\r\n"
    "-ERR AUTH is not allowed in the TRANSACTION state\r\n"
    "+OK\r\n");

  cr_expect_str_eq (out, expected);
}

Test (pop3_server, message_numbers_are_checked_before_any_command_runs)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = test_converse_all (NULL,
                                            LOGIN "RETR 3\r\nRETR 0\r\nLIST x\r\nTOP 1\r\n"
                                            "TOP 1 -1\r\n"
                                            "DELE\r\nSTAT 1\r\nLIST 1 2\r\nRETR 99999999999999\r\n"
                                            "DELE 2\r\nUIDL 2\r\nTOP 2 0\r\nLIST 2\r\n", &store);

  g_autofree char *expected = sizes_filled (
    GREETING LOGIN_REPLIES ("2", "{3}")
    "-ERR no such message\r\n"
    "-ERR no such message\r\n"
    "-ERR invalid message number: x\r\n"
    "-ERR TOP needs a message number and a line count\r\n"
    "-ERR invalid line count: -1\r\n"
    "-ERR DELE needs a message number\r\n"
    "-ERR too many arguments for STAT\r\n"
    "-ERR too many arguments for LIST\r\n"
    "-ERR invalid message number: 99999999999999\r\n"
    "+OK message 2 deleted\r\n"
    "-ERR message 2 already deleted\r\n"
    "-ERR too many errors, closing connection\r\n");

  /* The tenth -ERR ends the session; the last two commands are never answered. */
  cr_expect_str_eq (out, expected);
}

Test (pop3_server, verbs_are_case_insensitive_and_unknown_ones_get_err)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = test_converse_all (NULL,
                                            "user alice\r\npAsS secret\r\nstat\r\nLAST\r\n\r\n"
                                            "X\x01Y\r\nnoop\r\n", &store);

  g_autofree char *expected = sizes_filled (
    GREETING LOGIN_REPLIES ("2", "{3}")
    "+OK 2 {3}\r\n"
    "-ERR unknown command \"LAST\"\r\n"
    "-ERR empty command\r\n"
    "-ERR unknown command \"X?Y\"\r\n"
    "+OK\r\n");

  cr_expect_str_eq (out, expected);
}

Test (pop3_server, dele_then_quit_removes_the_message_from_the_inbox)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autofree char *out = test_converse (store, NULL, LOGIN "DELE 1\r\nDELE 2\r\nQUIT\r\n",
                                            chunking, seed);

      cr_expect (g_str_has_suffix (out, "+OK pop.example.com POP3 server signing off "
                                   "(maildrop empty)\r\n"), "%s", out);
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 0);
    }
}

Test (pop3_server, dele_then_rset_keeps_every_message)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = test_converse_all (NULL,
                                            LOGIN "DELE 1\r\nSTAT\r\nRSET\r\nSTAT\r\nQUIT\r\n",
                                            &store);

  g_autofree char *expected = sizes_filled (
    GREETING LOGIN_REPLIES ("2", "{3}")
    "+OK message 1 deleted\r\n"
    "+OK 1 {2}\r\n"
    "+OK maildrop has 2 messages ({3} octets)\r\n"
    "+OK 2 {3}\r\n"
    "+OK pop.example.com POP3 server signing off (2 messages left)\r\n");

  cr_expect_str_eq (out, expected);
  cr_expect_eq (test_inbox_count (store, "alice@example.com"), 2);
}

Test (pop3_server, a_connection_dropped_without_quit_removes_nothing)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);

      test_server_feed (t, LOGIN "DELE 1\r\nDELE 2\r\n", chunking, seed);
      ms_engine_peer_closed (MS_ENGINE (t->server));
      cr_expect_eq (ms_pop3_server_get_state (t->server), MS_POP3_SERVER_STATE_CLOSED);
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 2);

      /* ...and the maildrop lock went with the connection. */
      {
        g_autofree char *out = test_converse (store, NULL, LOGIN, chunking, seed);
        cr_expect (strstr (out, "+OK alice@example.com's maildrop has 2 messages") != NULL,
                   "%s", out);
      }
    }
}

Test (pop3_server, a_second_session_finds_the_maildrop_locked)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) first = test_server_new (store, NULL);
      g_autoptr(TestServer) second = test_server_new (store, NULL);

      test_server_feed (first, LOGIN, chunking, seed);
      test_server_feed (second, LOGIN, chunking, seed);
      cr_expect (g_str_has_suffix (second->out->str,
                                   "-ERR [IN-USE] maildrop already locked by another session\r\n"));
      cr_expect_eq (ms_pop3_server_get_state (second->server), MS_POP3_SERVER_STATE_AUTHORIZATION);
      test_server_feed (first, "QUIT\r\n", chunking, seed);
      test_server_feed (second, LOGIN, chunking, seed);
      cr_expect_eq (ms_pop3_server_get_state (second->server), MS_POP3_SERVER_STATE_TRANSACTION);
    }
}

Test (pop3_server, top_sends_the_header_and_the_asked_number_of_body_lines)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autofree char *out = test_converse (store, NULL, LOGIN "TOP 2 2\r\nTOP 2 0\r\nTOP 1 99\r\n",
                                            chunking, seed);
      g_autofree char *expected = sizes_filled (
        GREETING LOGIN_REPLIES ("2", "{3}")
        "+OK top of message 2 follows\r\n"
        "From: carol@example.net\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n"
        "..leading dot\r\n...two dots\r\n.\r\n"
        "+OK top of message 2 follows\r\n"
        "From: carol@example.net\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n.\r\n"
        "+OK top of message 1 follows\r\n" MSG1 ".\r\n");

      cr_expect_str_eq (out, expected);
    }
}

Test (pop3_server, retr_marks_the_message_seen_and_top_does_not)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  MsMailbox *inbox = ms_mail_store_get_mailbox (store, "alice@example.com", "INBOX");
  g_autofree char *out = test_converse_all (NULL, LOGIN "TOP 1 1\r\nRETR 2\r\nQUIT\r\n", &store);

  cr_expect_eq (ms_mailbox_get_message (inbox, 0)->flags & MS_FLAG_SEEN, 0);
  cr_expect_neq (ms_mailbox_get_message (inbox, 1)->flags & MS_FLAG_SEEN, 0);
}

Test (pop3_server, uidl_is_stable_across_sessions_and_deletions)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsMailbox *inbox = ms_mail_store_get_mailbox (store, "alice@example.com", "INBOX");
      guint32 v = ms_mailbox_get_uidvalidity (inbox);
      g_autofree char *first = test_converse (store, NULL, LOGIN "UIDL\r\nDELE 1\r\nQUIT\r\n",
                                              chunking, seed);
      g_autofree char *second = test_converse (store, NULL, LOGIN "UIDL\r\nUIDL 1\r\n",
                                               chunking, seed);
      g_autofree char *list1 = g_strdup_printf ("+OK unique-id listing follows\r\n"
                                                "1 %u.1\r\n2 %u.2\r\n.\r\n",
                                                v, v);
      g_autofree char *list2 = g_strdup_printf ("+OK unique-id listing follows\r\n1 %u.2\r\n.\r\n"
                                                "+OK 1 %u.2\r\n", v, v);

      cr_expect (strstr (first, list1) != NULL, "%s", first);
      cr_expect (g_str_has_suffix (second, list2), "%s", second);
    }
}

Test (pop3_server, the_maildrop_is_a_snapshot_taken_at_login)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);
      g_autoptr(GBytes) late = g_bytes_new_static ("Subject: late\r\n\r\nx\r\n", 21);

      test_server_feed (t, LOGIN, chunking, seed);
      cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", late, NULL));
      g_string_truncate (t->out, 0);
      test_server_feed (t, "STAT\r\nRETR 3\r\nDELE 1\r\nQUIT\r\n", chunking, seed);
      cr_expect_str_eq (t->out->str, sizes_filled (
        "+OK 2 {3}\r\n"
        "-ERR no such message\r\n"
        "+OK message 1 deleted\r\n"
        "+OK pop.example.com POP3 server signing off (2 messages left)\r\n"));
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 2);
    }
}

Test (pop3_server, capa_lists_only_what_is_true_in_each_state)
{
  MsPop3ServerConfig config;
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = NULL;

  test_server_config (&config);
  config.tls_available = TRUE;
  out = test_converse_all (&config, "CAPA\r\n" LOGIN "CAPA\r\n", &store);
  cr_expect_str_eq (out, sizes_filled (
    GREETING
    "+OK capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\nRESP-CODES\r\n"
    "AUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\nSTLS\r\nIMPLEMENTATION MailSim\r\n.\r\n"
    LOGIN_REPLIES ("2", "{3}")
    "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
    "AUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\nIMPLEMENTATION MailSim\r\n.\r\n"));
}

Test (pop3_server, stls_drops_commands_injected_behind_it_and_restarts_authorization)
{
  MsPop3ServerConfig config;

  test_server_config (&config);
  config.tls_available = TRUE;
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, &config);

      /* The attacker's USER/PASS ride in the same packet as STLS (RFC 2595 §4, RFC 3207 §5). */
      test_server_feed (t, "USER alice\r\nSTLS\r\nUSER mallory\r\nPASS secret\r\n",
                        chunking, seed);
      cr_expect_str_eq (t->out->str, GREETING "+OK send PASS\r\n+OK begin TLS negotiation\r\n");
      cr_assert (ms_engine_is_tls_pending (MS_ENGINE (t->server)));
      ms_engine_tls_established (MS_ENGINE (t->server), MS_TLS_STARTTLS);
      g_string_truncate (t->out, 0);
      /* The USER before STLS is forgotten too. */
      test_server_feed (t, "PASS secret\r\nSTLS\r\nCAPA\r\n", chunking, seed);
      cr_expect_str_eq (t->out->str,
                        "-ERR send USER first\r\n"
                        "-ERR TLS is already active\r\n"
                        "+OK capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN\r\nUIDL\r\n"
                        "RESP-CODES\r\nAUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\n"
                        "IMPLEMENTATION MailSim\r\n.\r\n");
      cr_expect_eq (t->session->tls, MS_TLS_STARTTLS);
    }
}

Test (pop3_server, stls_is_refused_when_tls_is_not_available)
{
  g_autoptr(MsMailStore) store = test_store_new ();
  g_autofree char *out = test_converse_all (NULL, "STLS\r\nSTLS now\r\n", &store);

  cr_expect_str_eq (out, GREETING "-ERR TLS is not available on this server\r\n"
                    "-ERR too many arguments for STLS\r\n");
}

Test (pop3_server, plaintext_login_can_be_required_to_wait_for_tls)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      MsPop3ServerConfig config;
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = NULL;

      test_server_config (&config);
      config.tls_available = TRUE;
      config.allow_plain_login_without_tls = FALSE;
      t = test_server_new (store, &config);
      test_server_feed (t, "USER alice\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nCAPA\r\n",
                        chunking, seed);
      cr_expect_str_eq (t->out->str, GREETING
                        "-ERR [AUTH] plaintext authentication disallowed before STLS\r\n"
                        "-ERR [AUTH] plaintext authentication disallowed before STLS\r\n"
                        "+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n"
                        "AUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\nSTLS\r\n"
                        "IMPLEMENTATION MailSim\r\n.\r\n");
      g_string_truncate (t->out, 0);
      test_server_feed (t, "STLS\r\n", chunking, seed);
      ms_engine_tls_established (MS_ENGINE (t->server), MS_TLS_STARTTLS);
      test_server_feed (t, LOGIN, chunking, seed);
      cr_expect_eq (ms_pop3_server_get_state (t->server), MS_POP3_SERVER_STATE_TRANSACTION);
    }
}

Test (pop3_server, auth_plain_works_with_an_initial_response_and_after_a_challenge)
{
  /* base64 ("\0alice\0secret") */
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);

      test_server_feed (t, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nQUIT\r\n", chunking, seed);
      cr_expect_str_eq (t->out->str, sizes_filled (
        GREETING "+OK alice@example.com's maildrop has 2 messages ({3} octets)\r\n"
        "+OK pop.example.com POP3 server signing off (2 messages left)\r\n"));
    }
  {
    g_autoptr(MsMailStore) store = test_store_new ();
    g_autofree char *out = test_converse_all (NULL,
                                              "AUTH CRAM-MD5\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n"
                                              "AGFsaWNlAHdyb25n\r\nAUTH PLAIN\r\nbad!\r\n"
                                              "AUTH PLAIN\r\nYWxpY2U=\r\n"
                                              "AUTH plain\r\nYm9iAGFsaWNlAHNlY3JldA==\r\n"
                                              "AUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n", &store);

    cr_expect_str_eq (out, sizes_filled (
      GREETING
      "-ERR unsupported authentication mechanism CRAM-MD5\r\n"
      "+ \r\n-ERR authentication cancelled\r\n"
      "+ \r\n-ERR [AUTH] invalid user name or password\r\n"
      "+ \r\n-ERR invalid base64 in authentication response\r\n"
      "+ \r\n-ERR malformed PLAIN response (authzid NUL authcid NUL password)\r\n"
      "+ \r\n-ERR [AUTH] not authorized to act as bob\r\n"
      "+ \r\n+OK alice@example.com's maildrop has 2 messages ({3} octets)\r\n"));
  }
}

Test (pop3_server, an_overlong_command_line_gets_err_and_the_session_continues)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(GString) input = g_string_new ("USER ");
      g_autofree char *out = NULL;

      /* 254 octets + CRLF = 256: one over RFC 2449's 255. */
      for (guint i = 0; i < 249; i++)
        g_string_append_c (input, 'a');
      g_string_append (input, "\r\nUSER alice\r\nPASS secret\r\n");
      out = test_converse (store, NULL, input->str, chunking, seed);
      cr_expect_str_eq (out, sizes_filled (
        GREETING "-ERR line too long (at most 255 octets with CRLF, RFC 2449)\r\n"
        LOGIN_REPLIES ("2", "{3}")), "%s seed %u", ms_test_chunking_name (chunking), seed);
    }
  {
    /* Exactly 255 with CRLF is fine. */
    g_autoptr(MsMailStore) store = test_store_new ();
    g_autoptr(GString) input = g_string_new ("USER ");
    g_autofree char *out = NULL;

    for (guint i = 0; i < 248; i++)
      g_string_append_c (input, 'a');
    g_string_append (input, "\r\n");
    out = test_converse_all (NULL, input->str, &store);
    cr_expect_str_eq (out, GREETING "+OK send PASS\r\n");
  }
}

Test (pop3_server, quit_in_authorization_closes_without_touching_the_maildrop)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);

      test_server_feed (t, "QUIT\r\nUSER alice\r\n", chunking, seed);
      cr_expect_str_eq (t->out->str, GREETING "+OK pop.example.com POP3 server signing off\r\n");
      cr_expect (ms_engine_is_closed (MS_ENGINE (t->server)));
    }
}

Test (pop3_server, the_trace_records_commands_one_data_summary_and_hides_passwords)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);
      guint n_data = 0;
      gboolean pass_secret = FALSE;

      test_server_feed (t, LOGIN "RETR 2\r\nQUIT\r\n", chunking, seed);
      for (guint i = 0; i < ms_trace_session_get_n_lines (t->session); i++)
        {
          MsTraceLine *line = ms_trace_session_get_line (t->session, i);

          if (line->kind == MS_LINE_DATA)
            {
              n_data++;
              cr_expect_eq (line->dir, MS_DIR_SERVER);
              cr_expect_str_eq (line->text, sizes_filled ("(message 2: {2} octets, 8 lines)"));
            }
          if (line->command != NULL && strcmp (line->command, "PASS") == 0)
            pass_secret = line->secret;
        }
      cr_expect_eq (n_data, 1);
      cr_expect (pass_secret);
      /* greeting, USER, +OK, PASS, +OK, RETR, +OK, data, ".", QUIT, +OK */
      cr_expect_eq (ms_trace_session_get_n_lines (t->session), 11);
      cr_expect_str_eq (ms_trace_session_get_line (t->session, 6)->status, "+OK");
    }
}

Test (pop3_server, a_message_without_a_final_crlf_is_still_terminated_on_its_own_line)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = ms_mail_store_new ();
      g_autoptr(GBytes) raw = g_bytes_new_static ("Subject: x\r\n\r\nno newline", 24);
      g_autofree char *out = NULL;

      cr_assert (ms_mail_store_add_user (store, "alice@example.com", "secret", NULL));
      cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", raw, NULL));
      out = test_converse (store, NULL, LOGIN "RETR 1\r\n", chunking, seed);
      cr_expect (g_str_has_suffix (out, "+OK 24 octets\r\nSubject: x\r\n\r\nno newline\r\n.\r\n"),
                 "%s", out);
    }
}

Test (pop3_server, auth_lines_with_credentials_are_secret_in_the_trace)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      g_autoptr(TestServer) t = test_server_new (store, NULL);

      test_server_feed (t, "AUTH PLAIN\r\nAGFsaWNlAHdyb25n\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n",
                        chunking, seed);
      /* greeting, AUTH, "+ ", response, -ERR, AUTH with initial response, +OK */
      cr_assert_eq (ms_trace_session_get_n_lines (t->session), 7);
      cr_expect_not (ms_trace_session_get_line (t->session, 1)->secret);
      cr_expect_eq (ms_trace_session_get_line (t->session, 3)->kind, MS_LINE_AUTH);
      cr_expect (ms_trace_session_get_line (t->session, 3)->secret);
      cr_expect (ms_trace_session_get_line (t->session, 5)->secret);
      cr_expect_str_eq (ms_trace_session_get_line (t->session, 5)->command, "AUTH");
    }
}

Test (pop3_server, a_sasl_response_may_be_longer_than_a_command_line)
{
  g_autoptr(GString) input = g_string_new ("AUTH PLAIN\r\n");
  g_autoptr(GString) expected = g_string_new (GREETING "+ \r\n");
  g_autoptr(MsMailStore) store = NULL;
  g_autofree char *out = NULL;

  /* authzid of 300 octets: the response is ~400 octets of base64, then a normal line. */
  {
    g_autoptr(GString) plain = g_string_new (NULL);
    g_autofree char *b64 = NULL;

    for (guint i = 0; i < 300; i++)
      g_string_append_c (plain, 'z');
    g_string_append_len (plain, "\0alice\0secret", 13);
    b64 = g_base64_encode ((const guchar *) plain->str, plain->len);
    g_string_append_printf (input, "%s\r\n", b64);
  }
  g_string_append (input, "USER ");
  for (guint i = 0; i < 260; i++)
    g_string_append_c (input, 'a');
  g_string_append (input, "\r\n");
  /* The identity is echoed bounded: 32 printable octets. */
  g_string_append (expected, "-ERR [AUTH] not authorized to act as ");
  for (guint i = 0; i < 32; i++)
    g_string_append_c (expected, 'z');
  g_string_append (expected, "\r\n-ERR line too long (at most 255 octets with CRLF, RFC 2449)\r\n");
  out = test_converse_all (NULL, input->str, &store);
  cr_expect_str_eq (out, expected->str);
}

Test (pop3_server, client_text_echoed_in_replies_is_bounded_and_printable)
{
  /* base64 ("a\r\n+OK forged\0alice\0secret") */
  g_autofree char *b64 = g_base64_encode ((const guchar *) "a\r\n+OK forged\0alice\0secret", 26);
  g_autofree char *input = g_strdup_printf ("AUTH PLAIN %s\r\nAUTH X\tY\r\n"
                                            LOGIN "RETR 1\x7f" "2\r\n", b64);
  g_autoptr(MsMailStore) store = NULL;
  g_autofree char *out = test_converse_all (NULL, input, &store);

  cr_expect_str_eq (out, sizes_filled (
    GREETING
    "-ERR [AUTH] not authorized to act as a??+OK forged\r\n"
    "-ERR unsupported authentication mechanism X?Y\r\n"
    LOGIN_REPLIES ("2", "{3}")
    "-ERR invalid message number: 1?2\r\n"));
}
