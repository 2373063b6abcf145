/* test-ms-pop3-random.c: seeded random conversations (a fuzz smoke inside the test suite)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Random mixes of real commands, wrong arguments and noise must never crash an engine
 * (run under ASan/UBSan by `make test`) and every server reply must still be POP3.
 */
#include "pop3-test-util.h"
#include "ms-imap-client.h"

#define N_RUNS 300

static const char * const pop3_words[] = {
  "USER alice", "USER nobody", "PASS secret", "PASS wrong", "APOP alice 1234", "APOP",
  "AUTH PLAIN", "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH X", "*", "=", "STLS", "CAPA",
  "STAT", "LIST", "LIST 1", "LIST 2", "LIST 0", "LIST 4294967296", "RETR 1", "RETR 2",
  "RETR 3", "DELE 1", "DELE 2", "RSET", "NOOP", "TOP 1 0", "TOP 2 1", "TOP 2 99999",
  "UIDL", "UIDL 2", "QUIT", "", " ", "LIST  1", "RETR -1", "\x01\x02", ".", "..",
};

static const char * const pop3_replies[] = {
  "+OK ready <1.2@x>", "+OK", "-ERR", "-ERR no", "+OK 2 30", "+OK 1 5", "1 5", "2 25", ".",
  "..x", "x", "+OK capability list follows", "STLS", "SASL PLAIN", "+ ", "garbage",
  "+OK 5 octets", "Subject: a", "", "1 1.1",
};

static const char * const imap_lines[] = {
  "* OK ready", "* PREAUTH hi", "* BYE", "+ go", "+", "* 1 FETCH (BODY[] {5}", "abcde)",
  "* 3 EXISTS", "* CAPABILITY IMAP4rev1 IDLE", "a001 OK done", "a002 NO [ALERT] x",
  "a003 BAD", "a004 OK [CAPABILITY X] y", "* OK [UIDVALIDITY 1]", "{3}", "* {0}", ")",
  "* SEARCH 1 2 3", "zz OK", "* 2 FETCH (X {", "* 2 FETCH (X {99999999999999}",
};

static GString *
random_script (GRand *rand, const char * const *words, guint n_words, guint n_lines)
{
  GString *script = g_string_new (NULL);

  for (guint i = 0; i < n_lines; i++)
    {
      if (g_rand_int_range (rand, 0, 20) == 0)
        {
          /* Noise: random octets, sometimes a very long line. */
          guint len = g_rand_int_range (rand, 0, 2) ? 300 : g_rand_int_range (rand, 1, 12);
          for (guint j = 0; j < len; j++)
            g_string_append_c (script, (char) g_rand_int_range (rand, 1, 256));
        }
      else
        g_string_append (script, words[g_rand_int_range (rand, 0, n_words)]);
      g_string_append (script, g_rand_int_range (rand, 0, 10) == 0 ? "\n" : "\r\n");
    }
  return script;
}

/* Each reply line (outside a RETR/TOP body) is +OK, -ERR, "+ ", or part of a listing. */
Test (pop3_random, the_server_survives_random_sessions_and_keeps_speaking_pop3)
{
  for (guint32 seed = 1; seed <= N_RUNS; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(MsMailStore) store = test_store_new ();
      MsPop3ServerConfig config;
      g_autoptr(TestServer) t = NULL;
      g_autoptr(GString) script = NULL;

      test_server_config (&config);
      config.tls_available = seed % 2;
      config.max_errors = 1000;
      t = test_server_new (store, &config);
      script = random_script (rand, pop3_words, G_N_ELEMENTS (pop3_words), 40);
      test_server_feed (t, script->str, MS_CHUNKS_RANDOM, seed);
      if (ms_engine_is_tls_pending (MS_ENGINE (t->server)))
        {
          ms_engine_tls_established (MS_ENGINE (t->server), MS_TLS_STARTTLS);
          test_server_feed (t, script->str, MS_CHUNKS_BYTE_BY_BYTE, seed);
        }
      ms_engine_peer_closed (MS_ENGINE (t->server));

      cr_assert (g_str_has_prefix (t->out->str, "+OK pop.example.com POP3 server ready"));
      cr_assert (t->out->len == 0 || g_str_has_suffix (t->out->str, "\r\n"), "seed %u", seed);
      cr_assert_leq (test_inbox_count (store, "alice@example.com"), 2);
    }
}

Test (pop3_random, the_client_survives_random_servers)
{
  for (guint32 seed = 1; seed <= N_RUNS; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      MsPop3ClientConfig config = { .user = "alice", .password = "secret",
                                    .use_apop = seed % 2, .use_stls = seed % 3 == 0,
                                    .use_sasl_plain = seed % 5 == 0,
                                    .delete_after_retrieve = TRUE };
      g_autoptr(MsPop3Client) client = ms_pop3_client_new (&config);
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) script = random_script (rand, pop3_replies,
                                                 G_N_ELEMENTS (pop3_replies), 60);

      ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR_ALL, 0, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_UIDL, 0, 0);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_TOP, 1, 2);
      ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
      ms_engine_set_output_func (MS_ENGINE (client), test_collect, out, NULL);
      ms_engine_start (MS_ENGINE (client));
      ms_test_feed_chunks ((const guint8 *) script->str, script->len, MS_CHUNKS_RANDOM, seed,
                           test_feed_piece, client);
      if (ms_engine_is_tls_pending (MS_ENGINE (client)))
        ms_engine_tls_established (MS_ENGINE (client), MS_TLS_STARTTLS);
      ms_engine_peer_closed (MS_ENGINE (client));
      cr_assert (ms_pop3_client_is_finished (client), "seed %u", seed);
      /* Finished without error only after a real QUIT exchange. */
      if (ms_pop3_client_get_error (client) == NULL)
        cr_assert (g_str_has_suffix (out->str, "QUIT\r\n"), "seed %u", seed);
    }
}

Test (pop3_random, the_imap_client_survives_random_servers)
{
  for (guint32 seed = 1; seed <= N_RUNS; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(MsImapClient) client = ms_imap_client_new ();
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) script = random_script (rand, imap_lines, G_N_ELEMENTS (imap_lines), 60);
      g_autoptr(GBytes) message = g_bytes_new_static ("x\r\n", 3);

      ms_imap_client_login (client, "alice", "s\xc3\xa9");
      ms_imap_client_append (client, "INBOX", NULL, message);
      ms_imap_client_idle (client, 1);
      ms_imap_client_starttls (client);
      ms_imap_client_fetch (client, TRUE, "1:*", "BODY[]");
      ms_imap_client_logout (client);
      ms_engine_set_output_func (MS_ENGINE (client), test_collect, out, NULL);
      ms_engine_start (MS_ENGINE (client));
      ms_test_feed_chunks ((const guint8 *) script->str, script->len, MS_CHUNKS_RANDOM, seed,
                           test_feed_piece, client);
      if (ms_engine_is_tls_pending (MS_ENGINE (client)))
        ms_engine_tls_established (MS_ENGINE (client), MS_TLS_STARTTLS);
      ms_engine_peer_closed (MS_ENGINE (client));
      cr_assert (ms_imap_client_is_finished (client), "seed %u", seed);
    }
}
