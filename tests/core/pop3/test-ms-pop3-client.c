/* test-ms-pop3-client.c: the POP3 client against scripts and against the real server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "pop3-test-util.h"

static void
on_finished (MsPop3Client *client, const GError *error, gpointer user_data)
{
  guint *count = user_data;

  (*count)++;
}

static MsPop3Client *
client_new (const char *user, const char *password)
{
  MsPop3ClientConfig config = { .user = user, .password = password };

  return ms_pop3_client_new (&config);
}

static gboolean
bytes_equal_str (GBytes *bytes, const char *expected)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return len == strlen (expected) && memcmp (data, expected, len) == 0;
}

Test (pop3_client, fetches_every_message_byte_exact_and_deletes_them_in_every_split)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      MsPop3ClientConfig cconfig = { .user = "alice", .password = "secret",
                                     .delete_after_retrieve = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&cconfig);
      TestPair pair = { 0 };
      guint finished = 0;
      guint count = 0;
      guint64 octets = 0;
      GPtrArray *got;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      g_signal_connect (client, "finished", G_CALLBACK (on_finished), &finished);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_UIDL, 0, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR_ALL, 0, 0);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);

      cr_assert_eq (finished, 1, "%s seed %u", ms_test_chunking_name (chunking), seed);
      cr_expect_null (ms_pop3_client_get_error (client));
      cr_expect_str_eq (ms_pop3_client_get_auth_method (client), "USER");
      cr_expect (ms_pop3_client_get_stat (client, &count, &octets));
      cr_expect_eq (count, 2);
      cr_expect_eq (octets, sizeof MSG1 + sizeof MSG2 - 2);
      got = ms_pop3_client_get_retrieved (client);
      cr_assert_eq (got->len, 2);
      cr_expect (bytes_equal_str (((MsPop3Retrieved *) got->pdata[0])->data, MSG1));
      cr_expect (bytes_equal_str (((MsPop3Retrieved *) got->pdata[1])->data, MSG2),
                 "dot-stuffed body did not round-trip");
      cr_expect_eq (((MsPop3Retrieved *) got->pdata[1])->number, 2);
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 0);
      cr_expect_eq (ms_pop3_client_get_n_refused (client), 0);
    }
}

Test (pop3_client, keeps_the_uidl_listing_by_message_number)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsMailbox *inbox = ms_mail_store_get_mailbox (store, "alice@example.com", "INBOX");
      g_autoptr(MsPop3Server) server = NULL;
      g_autoptr(MsPop3Client) client = client_new ("alice@example.com", "secret");
      MsPop3ServerConfig sconfig;
      TestPair pair;
      g_autofree char *u2 = g_strdup_printf ("%u.2", ms_mailbox_get_uidvalidity (inbox));
      GPtrArray *listing;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_LIST, 0, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_UIDL, 2, 0);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);

      listing = ms_pop3_client_get_listing (client);
      cr_assert_eq (listing->len, 2);
      cr_expect_eq (((MsPop3ListEntry *) listing->pdata[0])->size, sizeof MSG1 - 1);
      cr_expect_null (((MsPop3ListEntry *) listing->pdata[0])->uidl);
      cr_expect_str_eq (ms_pop3_client_get_uidl (client, 2), u2);
      /* Nothing deleted: no DELE was asked for. */
      cr_expect_eq (test_inbox_count (store, "alice@example.com"), 2);
    }
}

Test (pop3_client, uses_apop_when_the_greeting_offers_a_timestamp)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      MsPop3ClientConfig cconfig = { .user = "alice", .password = "secret", .use_apop = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&cconfig);
      g_autoptr(MsTrace) trace = ms_trace_new ("test", "apop");
      MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_POP3, NULL, NULL);
      TestPair pair;
      gboolean saw_apop = FALSE;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      ms_engine_set_session (MS_ENGINE (client), session);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_TOP, 1, 0);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);

      cr_expect_null (ms_pop3_client_get_error (client));
      cr_expect_str_eq (ms_pop3_client_get_auth_method (client), "APOP");
      for (guint i = 0; i < ms_trace_session_get_n_lines (session); i++)
        {
          MsTraceLine *line = ms_trace_session_get_line (session, i);

          cr_expect (line->command == NULL || strcmp (line->command, "PASS") != 0);
          if (line->command != NULL && strcmp (line->command, "APOP") == 0)
            {
              saw_apop = TRUE;
              cr_expect_eq (line->dir, MS_DIR_CLIENT);
              cr_expect (line->secret);
            }
        }
      cr_expect (saw_apop);
      cr_assert_eq (ms_pop3_client_get_retrieved (client)->len, 1);
      cr_expect (((MsPop3Retrieved *) ms_pop3_client_get_retrieved (client)->pdata[0])->partial);
      {
        MsPop3Retrieved *top = ms_pop3_client_get_retrieved (client)->pdata[0];

        cr_expect (bytes_equal_str (top->data, "From: bob@example.net\r\nTo: alice@example.com\r\n"
                                               "Subject: one\r\n\r\n"));
      }
    }
}

Test (pop3_client, uses_auth_plain_when_asked_and_offered)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      MsPop3ClientConfig cconfig = { .user = "alice", .password = "secret",
                                     .use_sasl_plain = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&cconfig);
      TestPair pair;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);
      cr_expect_null (ms_pop3_client_get_error (client));
      cr_expect_str_eq (ms_pop3_client_get_auth_method (client), "PLAIN");
      cr_expect (ms_pop3_client_has_capability (client, "SASL PLAIN"));
      cr_expect_not (ms_pop3_client_has_capability (client, "SASL LOGIN"));
    }
}

Test (pop3_client, upgrades_with_stls_and_asks_capa_again)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      MsPop3ClientConfig cconfig = { .user = "alice", .password = "secret", .use_stls = TRUE,
                                     .require_tls = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&cconfig);
      TestPair pair;

      test_server_config (&sconfig);
      sconfig.tls_available = TRUE;
      sconfig.allow_plain_login_without_tls = FALSE;
      server = ms_pop3_server_new (&sconfig, store);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);

      cr_expect_eq (pair.tls_handshakes, 1);
      cr_expect_null (ms_pop3_client_get_error (client), "%s",
                      ms_pop3_client_get_error (client)
                      ? ms_pop3_client_get_error (client)->message : "");
      cr_expect_not (ms_pop3_client_has_capability (client, "STLS"));
      cr_expect (ms_pop3_client_has_capability (client, "USER"));
      cr_expect (ms_pop3_client_get_stat (client, NULL, NULL));
    }
}

Test (pop3_client, refuses_to_log_in_in_clear_when_tls_is_required_but_missing)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      MsPop3ClientConfig cconfig = { .user = "alice", .password = "secret", .use_stls = TRUE,
                                     .require_tls = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&cconfig);
      g_autoptr(MsTrace) trace = ms_trace_new ("test", "tls");
      MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_POP3, NULL, NULL);
      TestPair pair;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      ms_engine_set_session (MS_ENGINE (client), session);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);
      cr_assert_not_null (ms_pop3_client_get_error (client));
      cr_expect (g_error_matches (ms_pop3_client_get_error (client), MS_POP3_CLIENT_ERROR,
                                  MS_POP3_CLIENT_ERROR_UNSUPPORTED));
      for (guint i = 0; i < ms_trace_session_get_n_lines (session); i++)
        cr_expect_not (ms_trace_session_get_line (session, i)->secret, "a secret was sent");
    }
}

Test (pop3_client, a_wrong_password_is_a_rejected_error_after_a_clean_quit)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig sconfig;
      g_autoptr(MsPop3Server) server = NULL;
      g_autoptr(MsPop3Client) client = client_new ("alice", "wrong");
      TestPair pair;
      guint finished = 0;

      test_server_config (&sconfig);
      server = ms_pop3_server_new (&sconfig, store);
      g_signal_connect (client, "finished", G_CALLBACK (on_finished), &finished);
      pair = (TestPair) { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      test_pair_run (&pair);
      cr_expect_eq (finished, 1);
      cr_assert_not_null (ms_pop3_client_get_error (client));
      cr_expect (g_error_matches (ms_pop3_client_get_error (client), MS_POP3_CLIENT_ERROR,
                                  MS_POP3_CLIENT_ERROR_REJECTED));
      cr_expect (strstr (ms_pop3_client_get_error (client)->message, "[AUTH]") != NULL);
      cr_expect_eq (ms_pop3_server_get_state (server), MS_POP3_SERVER_STATE_CLOSED);
    }
}

/* A scripted RFC 1939-only server: no CAPA, odd stuffing, an -ERR to an action. */
Test (pop3_client, follows_a_scripted_server_and_unstuffs_byte_exact)
{
  static const char * const script[] = {
    "+OK old server ready\r\n",
    "-ERR unknown command\r\n",
    "+OK\r\n",
    "+OK maildrop locked and ready\r\n",
    "+OK 1 35\r\n",
    "+OK 35 octets\r\nSubject: s\r\n\r\n..\r\n...\r\n.x\r\n\r\n.\r\n",
    "-ERR no such message\r\n",
    "+OK bye\r\n",
  };
  static const char * const expected_commands[] = {
    "CAPA\r\n", "USER bob\r\n", "PASS pw\r\n", "LIST 1\r\n", "RETR 1\r\n", "RETR 7\r\n", "QUIT\r\n",
  };

  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsPop3Client) client = client_new ("bob", "pw");
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) expected = g_string_new (NULL);
      GPtrArray *got;

      ms_pop3_client_add_action (client, MS_POP3_ACTION_LIST, 1, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR, 1, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR, 7, 0);
      ms_engine_set_output_func (MS_ENGINE (client), test_collect, out, NULL);
      ms_engine_start (MS_ENGINE (client));
      for (guint i = 0; i < G_N_ELEMENTS (script); i++)
        ms_test_feed_chunks ((const guint8 *) script[i], strlen (script[i]), chunking, seed,
                             test_feed_piece, client);
      for (guint i = 0; i < G_N_ELEMENTS (expected_commands); i++)
        g_string_append (expected, expected_commands[i]);

      cr_expect_str_eq (out->str, expected->str);
      cr_expect (ms_pop3_client_is_finished (MS_POP3_CLIENT (client)));
      cr_expect_null (ms_pop3_client_get_error (client));
      cr_expect_eq (ms_pop3_client_get_capabilities (client)[0], NULL);
      got = ms_pop3_client_get_retrieved (client);
      cr_assert_eq (got->len, 1);
      cr_expect (bytes_equal_str (((MsPop3Retrieved *) got->pdata[0])->data,
                                  "Subject: s\r\n\r\n.\r\n..\r\nx\r\n\r\n"));
      cr_expect_eq (ms_pop3_client_get_n_refused (client), 1);
      cr_expect_str_eq (ms_pop3_client_get_last_refusal (client), "no such message");
      cr_expect_eq (((MsPop3ListEntry *) ms_pop3_client_get_listing (client)->pdata[0])->size, 35);
    }
}

Test (pop3_client, a_server_that_is_not_pop3_is_a_protocol_error)
{
  g_autoptr(MsPop3Client) client = client_new ("bob", "pw");

  ms_engine_start (MS_ENGINE (client));
  ms_engine_feed (MS_ENGINE (client), (const guint8 *) "220 smtp.example.com ESMTP\r\n", 28);
  cr_assert_not_null (ms_pop3_client_get_error (client));
  cr_expect (g_error_matches (ms_pop3_client_get_error (client), MS_POP3_CLIENT_ERROR,
                              MS_POP3_CLIENT_ERROR_PROTOCOL));
  cr_expect (ms_engine_is_closed (MS_ENGINE (client)));
}

Test (pop3_client, a_connection_lost_mid_message_is_a_connection_error)
{
  g_autoptr(MsPop3Client) client = client_new ("bob", "pw");
  static const char script[] = "+OK hi\r\n-ERR\r\n+OK\r\n+OK\r\n+OK 10 octets\r\nhalf";

  ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR, 1, 0);
  ms_engine_start (MS_ENGINE (client));
  ms_engine_feed (MS_ENGINE (client), (const guint8 *) script, sizeof script - 1);
  cr_expect_not (ms_pop3_client_is_finished (client));
  ms_engine_peer_closed (MS_ENGINE (client));
  cr_assert_not_null (ms_pop3_client_get_error (client));
  cr_expect (g_error_matches (ms_pop3_client_get_error (client), MS_POP3_CLIENT_ERROR,
                              MS_POP3_CLIENT_ERROR_CONNECTION));
  cr_expect_eq (ms_pop3_client_get_retrieved (client)->len, 0);
}

Test (pop3_client, unstuffing_a_line_removes_exactly_one_dot)
{
  gboolean end;

  cr_expect_str_eq (ms_pop3_unstuff_line ("..", &end), ".");
  cr_expect_not (end);
  cr_expect_str_eq (ms_pop3_unstuff_line (".", &end), "");
  cr_expect (end);
  cr_expect_str_eq (ms_pop3_unstuff_line ("a.b", &end), "a.b");
  cr_expect_not (end);
}
