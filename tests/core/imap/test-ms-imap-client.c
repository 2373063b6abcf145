/* test-ms-imap-client.c: the IMAP client against scripted server transcripts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-imap-client.h"
#include "ms-test-chunks.h"

static const MsChunking all_chunkings[] = {
  MS_CHUNKS_WHOLE, MS_CHUNKS_BYTE_BY_BYTE, MS_CHUNKS_RANDOM
};

#define FOR_EACH_CHUNKING(c, seed)                                                     \
  for (guint c##_i = 0; c##_i < G_N_ELEMENTS (all_chunkings); c##_i++)                 \
    for (guint32 seed = 1, c = all_chunkings[c##_i];                                   \
         seed <= (all_chunkings[c##_i] == MS_CHUNKS_RANDOM ? 12u : 1u); seed++)

static void
collect (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (user_data, (const char *) data, len);
}

static void
feed_piece (const guint8 *data, gsize len, gpointer user_data)
{
  ms_engine_feed (user_data, data, len);
}

static void
feed (MsImapClient *client, const char *text, gsize len, MsChunking chunking, guint32 seed)
{
  ms_test_feed_chunks ((const guint8 *) text, len, chunking, seed, feed_piece, client);
}

static gboolean
bytes_equal_str (GBytes *bytes, const char *expected)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return len == strlen (expected) && memcmp (data, expected, len) == 0;
}

#define BODY1 "Subject: one\r\n\r\nhello\r\n"
/* A body that looks like the end of the response and a tagged OK: only the count matters. */
#define BODY2 "Subject: tricky\r\n\r\n)\r\n* 3 EXISTS\r\na005 OK fake\r\n"
#define APPENDED "Subject: appended\r\n\r\nhi\r\n"

static char *
server_script (void)
{
  return g_strdup_printf (
    "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] imap.example.com ready\r\n"
    "* CAPABILITY IMAP4rev1 STARTTLS IDLE\r\n"
    "a001 OK CAPABILITY completed\r\n"
    "a002 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] logged in\r\n"
    "* 2 EXISTS\r\n"
    "* 0 RECENT\r\n"
    "* OK [UIDVALIDITY 7] UIDs valid\r\n"
    "* FLAGS (\\Seen \\Deleted)\r\n"
    "a003 OK [READ-WRITE] SELECT completed\r\n"
    "* SEARCH 2\r\n"
    "a004 OK SEARCH completed\r\n"
    "* 1 FETCH (UID 5 BODY[] {%zu}\r\n" BODY1 ")\r\n"
    "* 2 FETCH (UID 6 BODY[] {%zu}\r\n" BODY2 " FLAGS (\\Seen))\r\n"
    "a005 OK FETCH completed\r\n"
    "* 2 FETCH (FLAGS (\\Seen))\r\n"
    "a006 OK STORE completed\r\n"
    "+ Ready for literal data\r\n"
    "a007 OK [APPENDUID 7 7] APPEND completed\r\n"
    "+ idling\r\n"
    "* 3 EXISTS\r\n"
    "a008 OK IDLE terminated\r\n"
    "a009 BAD unknown command\r\n"
    "* BYE logging out\r\n"
    "a010 OK LOGOUT completed\r\n",
    strlen (BODY1), strlen (BODY2));
}

static char *
expected_client (void)
{
  return g_strdup_printf (
    "a001 CAPABILITY\r\n"
    "a002 LOGIN \"alice\" \"p\\\"w\\\\\"\r\n"
    "a003 SELECT \"INBOX\"\r\n"
    "a004 SEARCH UNSEEN\r\n"
    "a005 UID FETCH 1:* (UID BODY[])\r\n"
    "a006 STORE 2 +FLAGS (\\Seen)\r\n"
    "a007 APPEND \"INBOX\" (\\Seen) {%zu}\r\n" APPENDED "\r\n"
    "a008 IDLE\r\n"
    "DONE\r\n"
    "a009 BOGUS x\r\n"
    "a010 LOGOUT\r\n",
    strlen (APPENDED));
}

static void
queue_session (MsImapClient *client)
{
  g_autoptr(GBytes) message = g_bytes_new_static (APPENDED, strlen (APPENDED));

  cr_expect_str_eq (ms_imap_client_capability (client), "a001");
  ms_imap_client_login (client, "alice", "p\"w\\");
  ms_imap_client_select (client, "INBOX");
  ms_imap_client_search (client, FALSE, "UNSEEN");
  ms_imap_client_fetch (client, TRUE, "1:*", "(UID BODY[])");
  ms_imap_client_store (client, FALSE, "2", "+FLAGS (\\Seen)");
  ms_imap_client_append (client, "INBOX", "(\\Seen)", message);
  ms_imap_client_idle (client, 1);
  ms_imap_client_command (client, "bogus x");
  cr_expect_str_eq (ms_imap_client_logout (client), "a010");
}

static void
on_done (MsImapClient *client, MsImapCommandResult *result, gpointer user_data)
{
  g_string_append_printf (user_data, "%s:%d ", result->tag, result->status);
}

TestSuite (imap_client);

Test (imap_client, runs_a_whole_session_against_a_script_in_every_split)
{
  g_autofree char *script = server_script ();
  g_autofree char *expected = expected_client ();

  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsImapClient) client = ms_imap_client_new ();
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) done = g_string_new (NULL);
      MsImapCommandResult *r;
      MsImapResponse *fetch2;

      ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
      g_signal_connect (client, "command-done", G_CALLBACK (on_done), done);
      queue_session (client);
      ms_engine_start (MS_ENGINE (client));
      cr_expect_eq (out->len, 0, "nothing may be sent before the greeting");
      feed (client, script, strlen (script), chunking, seed);

      cr_expect_str_eq (out->str, expected, "%s seed %u", ms_test_chunking_name (chunking), seed);
      cr_expect_str_eq (done->str, "a001:0 a002:0 a003:0 a004:0 a005:0 a006:0 a007:0 a008:0 "
                        "a009:2 a010:0 ");
      cr_expect (ms_imap_client_is_finished (client));
      cr_expect_null (ms_imap_client_get_error (client));
      cr_expect (ms_engine_is_closed (MS_ENGINE (client)));
      cr_expect_str_eq (ms_imap_client_get_greeting (client)->keyword, "OK");
      /* The LOGIN response code replaced the greeting's capabilities. */
      cr_expect (ms_imap_client_has_capability (client, "UIDPLUS"));
      cr_expect_not (ms_imap_client_has_capability (client, "STARTTLS"));

      r = ms_imap_client_find_result (client, "a003");
      cr_assert_not_null (r);
      cr_expect_str_eq (r->verb, "SELECT");
      cr_expect_str_eq (r->code, "READ-WRITE");
      cr_expect_str_eq (r->text, "SELECT completed");
      cr_assert_eq (r->untagged->len, 4);
      cr_expect_eq (ms_imap_command_result_find (r, "EXISTS")->number, 2);
      cr_expect_str_eq (ms_imap_command_result_find (r, "OK")->code, "UIDVALIDITY 7");

      r = ms_imap_client_find_result (client, "a004");
      cr_expect_str_eq (ms_imap_command_result_find (r, "SEARCH")->raw, "* SEARCH 2");

      r = ms_imap_client_find_result (client, "a005");
      cr_expect_str_eq (r->verb, "UID FETCH");
      cr_assert_eq (r->untagged->len, 2);
      fetch2 = g_ptr_array_index (r->untagged, 1);
      cr_expect_eq (fetch2->number, 2);
      cr_expect_str_eq (fetch2->keyword, "FETCH");
      cr_assert_eq (fetch2->literals->len, 1);
      cr_expect (bytes_equal_str (g_ptr_array_index (fetch2->literals, 0), BODY2));
      cr_expect (g_str_has_suffix (fetch2->raw, BODY2 " FLAGS (\\Seen))"));
      cr_expect (bytes_equal_str (g_ptr_array_index (((MsImapResponse *) g_ptr_array_index (
                                    r->untagged, 0))->literals, 0), BODY1));

      cr_expect_str_eq (ms_imap_client_find_result (client, "a007")->code, "APPENDUID 7 7");
      cr_expect_eq (ms_imap_client_find_result (client, "a008")->untagged->len, 1);
      cr_expect_str_eq (ms_imap_client_find_result (client, "a009")->verb, "BOGUS");
      r = ms_imap_client_find_result (client, "a010");
      cr_assert_eq (r->untagged->len, 1);
      cr_expect_str_eq (((MsImapResponse *) g_ptr_array_index (r->untagged, 0))->keyword, "BYE");
    }
}

Test (imap_client, append_waits_for_the_continuation_before_sending_the_literal)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) message = g_bytes_new_static (APPENDED, strlen (APPENDED));
  static const char greeting[] = "* OK ready\r\n";

  ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
  ms_engine_start (MS_ENGINE (client));
  feed (client, greeting, strlen (greeting), MS_CHUNKS_WHOLE, 0);
  ms_imap_client_append (client, "Sent Items", NULL, message);
  ms_imap_client_noop (client);
  cr_expect_str_eq (out->str, "a001 APPEND \"Sent Items\" {25}\r\n");
  feed (client, "+ go ahead\r\n", 12, MS_CHUNKS_BYTE_BY_BYTE, 0);
  cr_expect_str_eq (out->str, "a001 APPEND \"Sent Items\" {25}\r\n" APPENDED "\r\n");
  feed (client, "a001 NO [TRYCREATE] no such mailbox\r\n", 37, MS_CHUNKS_WHOLE, 0);
  cr_expect (g_str_has_suffix (out->str, "a002 NOOP\r\n"));
  cr_expect_eq (ms_imap_client_find_result (client, "a001")->status, MS_IMAP_STATUS_NO);
  cr_expect_str_eq (ms_imap_client_find_result (client, "a001")->code, "TRYCREATE");
}

Test (imap_client, a_refused_literal_completes_the_command_without_sending_it)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  static const char script[] = "* OK ready\r\na001 NO [ALERT] too big\r\n";

  ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_login (client, "bob", "p\xc3\xa4sswd");
  feed (client, script, strlen (script), MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (out->str, "a001 LOGIN \"bob\" {7}\r\n");
  cr_expect_eq (ms_imap_client_find_result (client, "a001")->status, MS_IMAP_STATUS_NO);
}

Test (imap_client, an_8bit_password_goes_as_a_literal)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsImapClient) client = ms_imap_client_new ();
      g_autoptr(GString) out = g_string_new (NULL);
      static const char script[] = "* OK ready\r\n+ \r\na001 OK done\r\n";

      ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
      ms_engine_start (MS_ENGINE (client));
      ms_imap_client_login (client, "bob", "p\xc3\xa4sswd");
      feed (client, script, strlen (script), chunking, seed);
      cr_expect_str_eq (out->str, "a001 LOGIN \"bob\" {7}\r\np\xc3\xa4sswd\r\n");
      cr_expect_eq (ms_imap_client_find_result (client, "a001")->status, MS_IMAP_STATUS_OK);
    }
}

Test (imap_client, idle_ends_with_done_when_asked)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GString) out = g_string_new (NULL);

  ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_idle (client, 0);
  feed (client, "* OK hi\r\n+ idling\r\n* 4 EXISTS\r\n* 1 EXPUNGE\r\n", 44, MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (out->str, "a001 IDLE\r\n");
  ms_imap_client_done (client);
  cr_expect_str_eq (out->str, "a001 IDLE\r\nDONE\r\n");
  ms_imap_client_done (client);
  cr_expect_str_eq (out->str, "a001 IDLE\r\nDONE\r\n", "DONE is said once");
  feed (client, "a001 OK IDLE terminated\r\n", 25, MS_CHUNKS_WHOLE, 0);
  cr_expect_eq (ms_imap_client_find_result (client, "a001")->untagged->len, 2);
}

Test (imap_client, starttls_drops_server_bytes_behind_the_ok_and_resumes_after_tls)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GString) out = g_string_new (NULL);
  static const char script[] =
    "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n"
    "a001 OK Begin TLS negotiation now\r\n"
    "* CAPABILITY IMAP4rev1 INJECTED\r\n";

  ms_engine_set_output_func (MS_ENGINE (client), collect, out, NULL);
  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_starttls (client);
  ms_imap_client_capability (client);
  feed (client, script, strlen (script), MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (out->str, "a001 STARTTLS\r\n");
  cr_expect (ms_engine_is_tls_pending (MS_ENGINE (client)));
  cr_expect_not (ms_imap_client_has_capability (client, "INJECTED"));
  cr_expect_not (ms_imap_client_has_capability (client, "STARTTLS"), "forgotten after STARTTLS");
  ms_engine_tls_established (MS_ENGINE (client), MS_TLS_STARTTLS);
  cr_expect_str_eq (out->str, "a001 STARTTLS\r\na002 CAPABILITY\r\n");
}

Test (imap_client, a_bye_greeting_is_a_rejected_error)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();

  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_capability (client);
  feed (client, "* BYE too busy\r\n", 16, MS_CHUNKS_BYTE_BY_BYTE, 0);
  cr_assert_not_null (ms_imap_client_get_error (client));
  cr_expect (g_error_matches (ms_imap_client_get_error (client), MS_IMAP_CLIENT_ERROR,
                              MS_IMAP_CLIENT_ERROR_REJECTED));
}

Test (imap_client, a_non_imap_server_or_an_unknown_tag_is_a_protocol_error)
{
  {
    g_autoptr(MsImapClient) client = ms_imap_client_new ();

    ms_engine_start (MS_ENGINE (client));
    feed (client, "220 smtp.example.com ESMTP\r\n", 28, MS_CHUNKS_WHOLE, 0);
    cr_expect (g_error_matches (ms_imap_client_get_error (client), MS_IMAP_CLIENT_ERROR,
                                MS_IMAP_CLIENT_ERROR_PROTOCOL));
  }
  {
    g_autoptr(MsImapClient) client = ms_imap_client_new ();

    ms_engine_start (MS_ENGINE (client));
    ms_imap_client_noop (client);
    feed (client, "* OK hi\r\nzz9 OK what\r\n", 22, MS_CHUNKS_WHOLE, 0);
    cr_expect (g_error_matches (ms_imap_client_get_error (client), MS_IMAP_CLIENT_ERROR,
                                MS_IMAP_CLIENT_ERROR_PROTOCOL));
  }
}

Test (imap_client, a_connection_lost_inside_a_literal_is_a_connection_error)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  static const char script[] = "* OK hi\r\n* 1 FETCH (BODY[] {100}\r\nonly part";

  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_fetch (client, FALSE, "1", "BODY[]");
  feed (client, script, strlen (script), MS_CHUNKS_RANDOM, 5);
  cr_expect_not (ms_imap_client_is_finished (client));
  ms_engine_peer_closed (MS_ENGINE (client));
  cr_expect (g_error_matches (ms_imap_client_get_error (client), MS_IMAP_CLIENT_ERROR,
                              MS_IMAP_CLIENT_ERROR_CONNECTION));
  cr_expect_eq (ms_imap_client_get_results (client)->len, 0);
}

Test (imap_client, the_trace_records_lines_and_one_summary_per_literal)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(MsTrace) trace = ms_trace_new ("test", "imap");
  MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, NULL, NULL);
  static const char script[] = "* OK hi\r\n* 1 FETCH (BODY[] {7}\r\nab\r\ncd\r\n)\r\na001 OK\r\n";
  guint n_data = 0;

  ms_engine_set_session (MS_ENGINE (client), session);
  ms_engine_start (MS_ENGINE (client));
  ms_imap_client_fetch (client, FALSE, "1", "BODY[]");
  feed (client, script, strlen (script), MS_CHUNKS_WHOLE, 0);
  for (guint i = 0; i < ms_trace_session_get_n_lines (session); i++)
    n_data += ms_trace_session_get_line (session, i)->kind == MS_LINE_DATA;
  cr_expect_eq (n_data, 1);
  /* greeting, FETCH, "* 1 FETCH ... {7}", literal summary, ")", "a001 OK" */
  cr_expect_eq (ms_trace_session_get_n_lines (session), 6);
  cr_expect_str_eq (ms_trace_session_get_line (session, 1)->tag, "a001");
  cr_expect_eq (ms_trace_session_get_line (session, 1)->dir, MS_DIR_CLIENT);
}

/* Against the real MsImapServer, in memory: two engines joined by buffers. */

#include "ms-imap-server.h"
#include "ms-mail-store.h"

#define STORED1 "From: bob@example.net\r\nSubject: one\r\n\r\nhello\r\n"
#define STORED2 "From: carol@example.net\r\nSubject: two\r\n\r\n)\r\n* 9 EXISTS\r\na003 OK no\r\n"

typedef struct
{
  MsEngine   *server;
  MsEngine   *client;
  GString    *to_client;
  GString    *to_server;
  MsChunking  chunking;
  guint32     seed;
  guint       handshakes;
} Pair;

static void
pair_start (Pair *pair)
{
  pair->to_client = g_string_new (NULL);
  pair->to_server = g_string_new (NULL);
  ms_engine_set_output_func (pair->server, collect, pair->to_client, NULL);
  ms_engine_set_output_func (pair->client, collect, pair->to_server, NULL);
  ms_engine_start (pair->client);
  ms_engine_start (pair->server);
}

static void
pair_pump (Pair *pair)
{
  gboolean progress = TRUE;

  while (progress)
    {
      progress = FALSE;
      if (pair->to_client->len > 0)
        {
          g_autoptr(GString) bytes = g_string_new_len (pair->to_client->str, pair->to_client->len);

          g_string_truncate (pair->to_client, 0);
          ms_test_feed_chunks ((const guint8 *) bytes->str, bytes->len, pair->chunking,
                               pair->seed, feed_piece, pair->client);
          progress = TRUE;
        }
      if (pair->to_server->len > 0)
        {
          g_autoptr(GString) bytes = g_string_new_len (pair->to_server->str, pair->to_server->len);

          g_string_truncate (pair->to_server, 0);
          ms_test_feed_chunks ((const guint8 *) bytes->str, bytes->len, pair->chunking,
                               pair->seed, feed_piece, pair->server);
          progress = TRUE;
        }
      if (ms_engine_is_tls_pending (pair->server) && ms_engine_is_tls_pending (pair->client))
        {
          pair->handshakes++;
          ms_engine_tls_established (pair->server, MS_TLS_STARTTLS);
          ms_engine_tls_established (pair->client, MS_TLS_STARTTLS);
          progress = TRUE;
        }
    }
}

static void
pair_end (Pair *pair)
{
  ms_engine_peer_closed (pair->server);
  ms_engine_peer_closed (pair->client);
  g_string_free (pair->to_client, TRUE);
  g_string_free (pair->to_server, TRUE);
}

static MsMailStore *
store_with_mail (void)
{
  MsMailStore *store = ms_mail_store_new ();
  g_autoptr(GBytes) m1 = g_bytes_new_static (STORED1, strlen (STORED1));
  g_autoptr(GBytes) m2 = g_bytes_new_static (STORED2, strlen (STORED2));

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "secret", NULL));
  cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", m1, NULL));
  cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", m2, NULL));
  return store;
}

Test (imap_client, works_against_the_real_imap_server_in_every_split)
{
  FOR_EACH_CHUNKING (chunking, seed)
    {
      g_autoptr(MsMailStore) store = store_with_mail ();
      MsMailbox *inbox = ms_mail_store_get_mailbox (store, "alice@example.com", "INBOX");
      MsImapServerConfig sconfig = { .hostname = "imap.example.com",
                                     .allow_plain_login_without_tls = TRUE };
      g_autoptr(MsImapServer) server = ms_imap_server_new (&sconfig, store);
      g_autoptr(MsImapClient) client = ms_imap_client_new ();
      g_autoptr(GBytes) appended = g_bytes_new_static (APPENDED, strlen (APPENDED));
      g_autoptr(GBytes) late = g_bytes_new_static ("Subject: late\r\n\r\nx\r\n", 20);
      Pair pair = { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, chunking, seed, 0 };
      MsImapCommandResult *r;
      GPtrArray *results;

      ms_imap_client_capability (client);
      ms_imap_client_login (client, "alice@example.com", "secret");
      ms_imap_client_select (client, "INBOX");
      ms_imap_client_fetch (client, TRUE, "1:*", "(UID BODY.PEEK[])");
      ms_imap_client_store (client, FALSE, "1", "+FLAGS (\\Seen)");
      ms_imap_client_search (client, FALSE, "UNSEEN");
      ms_imap_client_append (client, "INBOX", "(\\Flagged)", appended);
      ms_imap_client_idle (client, 1);
      pair_start (&pair);
      pair_pump (&pair);

      /* Idling now: mail arrives, the server says EXISTS, the client says DONE. */
      cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", late, NULL));
      pair_pump (&pair);
      ms_imap_client_logout (client);
      pair_pump (&pair);
      pair_end (&pair);

      cr_expect_null (ms_imap_client_get_error (client), "%s seed %u: %s",
                      ms_test_chunking_name (chunking), seed,
                      ms_imap_client_get_error (client) ? ms_imap_client_get_error (client)->message
                                                        : "");
      results = ms_imap_client_get_results (client);
      cr_assert_eq (results->len, 9, "%s seed %u", ms_test_chunking_name (chunking), seed);
      for (guint i = 0; i < results->len; i++)
        {
          r = g_ptr_array_index (results, i);
          cr_expect_eq (r->status, MS_IMAP_STATUS_OK, "%s %s: %s", r->tag, r->verb, r->text);
        }
      cr_expect (ms_imap_client_has_capability (client, "IMAP4REV1"));

      r = ms_imap_client_find_result (client, "a003");
      cr_expect_eq (ms_imap_command_result_find (r, "EXISTS")->number, 2);

      r = ms_imap_client_find_result (client, "a004");
      cr_assert_eq (r->untagged->len, 2);
      for (guint i = 0; i < 2; i++)
        {
          MsImapResponse *fetch = g_ptr_array_index (r->untagged, i);

          cr_expect_str_eq (fetch->keyword, "FETCH");
          cr_assert_eq (fetch->literals->len, 1, "%s", fetch->raw);
          cr_expect (bytes_equal_str (g_ptr_array_index (fetch->literals, 0),
                                      i == 0 ? STORED1 : STORED2), "%s", fetch->raw);
        }

      r = ms_imap_client_find_result (client, "a006");
      cr_expect_str_eq (ms_imap_command_result_find (r, "SEARCH")->raw, "* SEARCH 2");

      r = ms_imap_client_find_result (client, "a008");
      cr_expect_str_eq (r->verb, "IDLE");
      cr_expect_eq (ms_imap_command_result_find (r, "EXISTS")->number, 4);

      cr_expect (ms_imap_client_is_finished (client));
      cr_expect_eq (ms_imap_server_get_state (server), MS_IMAP_SERVER_STATE_LOGOUT);
      cr_assert_eq (ms_mailbox_get_n_messages (inbox), 4);
      cr_expect_neq (ms_mailbox_get_message (inbox, 0)->flags & MS_FLAG_SEEN, 0);
      cr_expect_neq (ms_mailbox_get_message (inbox, 2)->flags & MS_FLAG_FLAGGED, 0);
      cr_expect (bytes_equal_str (ms_mailbox_get_message (inbox, 2)->raw, APPENDED));
    }
}

Test (imap_client, starttls_then_login_against_the_real_imap_server)
{
  g_autoptr(MsMailStore) store = store_with_mail ();
  MsImapServerConfig sconfig = { .hostname = "imap.example.com", .tls_available = TRUE };
  g_autoptr(MsImapServer) server = ms_imap_server_new (&sconfig, store);
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  Pair pair = { MS_ENGINE (server), MS_ENGINE (client), NULL, NULL, MS_CHUNKS_RANDOM, 9, 0 };

  pair_start (&pair);
  pair_pump (&pair);
  cr_expect (ms_imap_client_has_capability (client, "LOGINDISABLED"));
  cr_expect (ms_imap_client_has_capability (client, "STARTTLS"));
  ms_imap_client_starttls (client);
  ms_imap_client_capability (client);
  ms_imap_client_login (client, "alice", "secret");
  ms_imap_client_logout (client);
  pair_pump (&pair);
  pair_end (&pair);

  cr_expect_eq (pair.handshakes, 1);
  cr_expect_null (ms_imap_client_get_error (client));
  cr_expect_not (ms_imap_client_has_capability (client, "LOGINDISABLED"));
  cr_expect_eq (ms_imap_client_find_result (client, "a003")->status, MS_IMAP_STATUS_OK,
                "%s", ms_imap_client_find_result (client, "a003")->text);
}
