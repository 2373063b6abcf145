/* pop3-test-util.h: a store with mail, a server driven by a script, an engine pair
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <criterion/criterion.h>
#include <string.h>

#include "ms-engine.h"
#include "ms-mail-store.h"
#include "ms-pop3-client.h"
#include "ms-pop3-server.h"
#include "ms-test-chunks.h"

static const MsChunking all_chunkings[] = {
  MS_CHUNKS_WHOLE, MS_CHUNKS_BYTE_BY_BYTE, MS_CHUNKS_RANDOM
};
#define N_RANDOM_SEEDS 12u

/* Every (chunking, seed) pair a conversation is fed in. */
#define FOR_EACH_CHUNKING(c, seed)                                                     \
  for (guint c##_i = 0; c##_i < G_N_ELEMENTS (all_chunkings); c##_i++)                 \
    for (guint32 seed = 1, c = all_chunkings[c##_i];                                   \
         seed <= (all_chunkings[c##_i] == MS_CHUNKS_RANDOM ? N_RANDOM_SEEDS : 1u); seed++)

#define MSG1 "From: bob@example.net\r\nTo: alice@example.com\r\nSubject: one\r\n\r\nfirst\r\n"
#define MSG2 "From: carol@example.net\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n" \
             ".leading dot\r\n..two dots\r\n.\r\nend\r\n"

static inline MsMailStore *
test_store_new (void)
{
  MsMailStore *store = ms_mail_store_new ();
  g_autoptr(GBytes) m1 = g_bytes_new_static (MSG1, sizeof MSG1 - 1);
  g_autoptr(GBytes) m2 = g_bytes_new_static (MSG2, sizeof MSG2 - 1);

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "secret", NULL));
  cr_assert (ms_mail_store_add_user (store, "mrose@dbc.mtview.ca.us", "tanstaaf", NULL));
  cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", m1, NULL));
  cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", m2, NULL));
  return store;
}

static inline void
test_server_config (MsPop3ServerConfig *config)
{
  ms_pop3_server_config_init (config);
  config->hostname = "pop.example.com";
  config->apop_pid = 1896;
  config->apop_clock = 697170952;
}

static inline void
test_collect (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (user_data, (const char *) data, len);
}

static inline void
test_feed_piece (const guint8 *data, gsize len, gpointer user_data)
{
  ms_engine_feed (user_data, data, len);
}

/* A server over the store, with its output collected and its lines recorded. */
typedef struct
{
  MsTrace        *trace;
  MsTraceSession *session;
  MsPop3Server   *server;
  GString        *out;
} TestServer;

static inline TestServer *
test_server_new (MsMailStore *store, const MsPop3ServerConfig *config)
{
  TestServer *t = g_new0 (TestServer, 1);
  MsPop3ServerConfig defaults;

  if (config == NULL)
    {
      test_server_config (&defaults);
      config = &defaults;
    }
  t->trace = ms_trace_new ("test", "pop3");
  t->session = ms_trace_open_session (t->trace, MS_PROTOCOL_POP3, "192.0.2.1:40000",
                                      "192.0.2.2:110");
  t->server = ms_pop3_server_new (config, store);
  t->out = g_string_new (NULL);
  ms_engine_set_session (MS_ENGINE (t->server), t->session);
  ms_engine_set_output_func (MS_ENGINE (t->server), test_collect, t->out, NULL);
  ms_engine_start (MS_ENGINE (t->server));
  return t;
}

static inline void
test_server_free (TestServer *t)
{
  g_object_unref (t->server);
  g_object_unref (t->trace);
  g_string_free (t->out, TRUE);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestServer, test_server_free)

static inline void
test_server_feed (TestServer *t, const char *input, MsChunking chunking, guint32 seed)
{
  ms_test_feed_chunks ((const guint8 *) input, strlen (input), chunking, seed,
                       test_feed_piece, t->server);
}

/* The whole server output for a client script, as one string (caller frees). */
static inline char *
test_converse (MsMailStore *store, const MsPop3ServerConfig *config, const char *input,
               MsChunking chunking, guint32 seed)
{
  g_autoptr(TestServer) t = test_server_new (store, config);

  test_server_feed (t, input, chunking, seed);
  return g_strdup (t->out->str);
}

/* Two engines joined by buffers; TLS "happens" when both sides asked for it. */
typedef struct
{
  MsEngine   *server;
  MsEngine   *client;
  GString    *to_client;
  GString    *to_server;
  MsChunking  chunking;
  guint32     seed;
  guint       tls_handshakes;
} TestPair;

static inline void
test_pair_run (TestPair *pair)
{
  gboolean progress = TRUE;

  pair->to_client = g_string_new (NULL);
  pair->to_server = g_string_new (NULL);
  ms_engine_set_output_func (pair->server, test_collect, pair->to_client, NULL);
  ms_engine_set_output_func (pair->client, test_collect, pair->to_server, NULL);
  ms_engine_start (pair->client);
  ms_engine_start (pair->server);

  while (progress)
    {
      progress = FALSE;
      if (pair->to_client->len > 0)
        {
          g_autofree char *bytes = g_strndup (pair->to_client->str, pair->to_client->len);
          gsize len = pair->to_client->len;

          g_string_truncate (pair->to_client, 0);
          ms_test_feed_chunks ((const guint8 *) bytes, len, pair->chunking, pair->seed,
                               test_feed_piece, pair->client);
          progress = TRUE;
        }
      if (pair->to_server->len > 0)
        {
          g_autofree char *bytes = g_strndup (pair->to_server->str, pair->to_server->len);
          gsize len = pair->to_server->len;

          g_string_truncate (pair->to_server, 0);
          ms_test_feed_chunks ((const guint8 *) bytes, len, pair->chunking, pair->seed,
                               test_feed_piece, pair->server);
          progress = TRUE;
        }
      if (ms_engine_is_tls_pending (pair->server) && ms_engine_is_tls_pending (pair->client)
          && pair->to_client->len == 0 && pair->to_server->len == 0)
        {
          pair->tls_handshakes++;
          ms_engine_tls_established (pair->server, MS_TLS_STARTTLS);
          ms_engine_tls_established (pair->client, MS_TLS_STARTTLS);
          progress = TRUE;
        }
    }
  /* Whoever closed, the other side sees the connection go. */
  if (ms_engine_is_closed (pair->server) || ms_engine_is_closed (pair->client))
    {
      ms_engine_peer_closed (pair->server);
      ms_engine_peer_closed (pair->client);
    }
  g_string_free (pair->to_client, TRUE);
  g_string_free (pair->to_server, TRUE);
}

static inline guint
test_inbox_count (MsMailStore *store, const char *address)
{
  return ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, address, "INBOX"));
}

/* Runs a client script in every chunking, each over a fresh test store, checks that the
 * server said the same bytes every time, and returns that output. The whole-input run
 * uses *store when it is set (else a new store it leaves in *store) so that the caller
 * can look at the mail afterwards. */
static inline char *
test_converse_all (const MsPop3ServerConfig *config, const char *input, MsMailStore **store)
{
  char *first = NULL;

  FOR_EACH_CHUNKING (chunking, seed)
    {
      MsMailStore *run_store;
      char *out;

      if (first == NULL && *store != NULL)
        run_store = g_object_ref (*store);
      else
        run_store = test_store_new ();
      out = test_converse (run_store, config, input, chunking, seed);
      if (first == NULL)
        {
          first = out;
          if (*store == NULL)
            *store = g_object_ref (run_store);
        }
      else
        {
          cr_expect_str_eq (out, first, "%s seed %u differs from the whole-input run",
                            ms_test_chunking_name (chunking), seed);
          g_free (out);
        }
      g_object_unref (run_store);
    }
  return first;
}
