/* test-ms-live-server.c: the live transport on real loopback sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server runs on the test's main context; each client is a blocking GIO client in
 * a thread, so the two sides really talk over TCP (and TLS). The engine is a small
 * line protocol of the test's own, so these tests only judge the transport.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "ms-live-cert.h"
#include "ms-live-connection.h"
#include "ms-live-server.h"
#include "ms-test-chunks.h"

/* ---- the test engine: "220 test ready", echoes "250 LINE", STARTTLS, QUIT, BIG n ---- */

#define TEST_TYPE_ENGINE (test_engine_get_type ())
G_DECLARE_FINAL_TYPE (TestEngine, test_engine, TEST, ENGINE, MsEngine)

struct _TestEngine
{
  MsEngine   parent_instance;
  GPtrArray *events;
};

G_DEFINE_FINAL_TYPE (TestEngine, test_engine, MS_TYPE_ENGINE)

static void
test_engine_start (MsEngine *engine)
{
  ms_engine_send_line (engine, MS_LINE_REPLY, "220 test ready%s",
                       ms_engine_is_tls_active (engine) ? " (tls)" : "");
}

static void
test_engine_handle_line (MsEngine *engine, const char *line, gsize len)
{
  TestEngine *self = TEST_ENGINE (engine);

  g_ptr_array_add (self->events, g_strdup_printf ("line:%s", line));
  ms_engine_record_input (engine, MS_LINE_COMMAND, line, len);
  if (strcmp (line, "STARTTLS") == 0)
    {
      ms_engine_send_line (engine, MS_LINE_REPLY, "220 go ahead");
      ms_engine_request_tls (engine);
    }
  else if (strcmp (line, "QUIT") == 0)
    {
      ms_engine_send_line (engine, MS_LINE_REPLY, "221 bye");
      ms_engine_request_close (engine);
    }
  else if (g_str_has_prefix (line, "BIG "))
    {
      gsize n = g_ascii_strtoull (line + 4, NULL, 10);
      g_autofree guint8 *data = g_malloc (n);

      for (gsize i = 0; i < n; i++)
        data[i] = 'a' + i % 26;
      ms_engine_send_raw (engine, data, n);
      ms_engine_send_line (engine, MS_LINE_REPLY, "250 done");
    }
  else
    ms_engine_send_line (engine, MS_LINE_REPLY, "250 %s", line);
}

static void
test_engine_tls_started (MsEngine *engine)
{
  g_ptr_array_add (TEST_ENGINE (engine)->events, g_strdup ("tls"));
}

static void
test_engine_peer_closed (MsEngine *engine)
{
  g_ptr_array_add (TEST_ENGINE (engine)->events, g_strdup ("peer-closed"));
}

static void
test_engine_finalize (GObject *object)
{
  g_ptr_array_unref (TEST_ENGINE (object)->events);
  G_OBJECT_CLASS (test_engine_parent_class)->finalize (object);
}

static void
test_engine_class_init (TestEngineClass *klass)
{
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_engine_finalize;
  engine_class->start = test_engine_start;
  engine_class->handle_line = test_engine_handle_line;
  engine_class->tls_started = test_engine_tls_started;
  engine_class->peer_closed = test_engine_peer_closed;
}

static void
test_engine_init (TestEngine *self)
{
  self->events = g_ptr_array_new_with_free_func (g_free);
}

static char *
joined_events (TestEngine *engine)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < engine->events->len; i++)
    g_string_append_printf (s, "%s%s", i ? "|" : "", (char *) engine->events->pdata[i]);
  return g_string_free (s, FALSE);
}

/* ---- fixture ---- */

static MsTrace *trace;
static MsMailStore *store;
static MsLiveServer *server;
static GPtrArray *engines;      /* every engine the factory made */
static char *state_dir;
static GTlsCertificate *certificate;

static MsEngine *
make_engine (MsLiveServer *srv, const MsLiveListenerInfo *listener, gpointer user_data)
{
  MsEngine *engine = g_object_new (TEST_TYPE_ENGINE, NULL);

  g_ptr_array_add (engines, g_object_ref (engine));
  return engine;
}

static void
setup (void)
{
  g_autoptr(GError) error = NULL;

  trace = ms_trace_new ("live", "test");
  store = ms_mail_store_new ();
  server = ms_live_server_new (store, trace, "mx.test.example");
  engines = g_ptr_array_new_with_free_func (g_object_unref);
  state_dir = g_dir_make_tmp ("ms-live-XXXXXX", &error);
  cr_assert_not_null (state_dir, "%s", error ? error->message : "");
  certificate = ms_live_cert_load_or_create (state_dir, "mx.test.example", NULL, &error);
  cr_assert_not_null (certificate, "certificate: %s", error ? error->message : "");
  ms_live_server_set_certificate (server, certificate);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
teardown (void)
{
  g_clear_object (&server);
  g_clear_pointer (&engines, g_ptr_array_unref);
  g_clear_object (&certificate);
  g_clear_object (&store);
  g_clear_object (&trace);
  if (state_dir != NULL)
    remove_tree (state_dir);
  g_clear_pointer (&state_dir, g_free);
}

TestSuite (live_server, .init = setup, .fini = teardown, .timeout = 30);

static guint16
listen_on (const char *name, MsLiveMode mode)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;

  cr_assert (ms_live_server_add_listener (server, name, MS_PROTOCOL_SMTP, mode, "127.0.0.1", 0,
                                          make_engine, NULL, NULL, &port, &error),
             "%s", error ? error->message : "");
  cr_assert_gt (port, 0);
  return port;
}

/* Runs FUNC in a thread while the main context serves; returns what FUNC returned. */
typedef struct
{
  GThreadFunc func;
  gpointer    data;
  gpointer    result;
  gint        done;
} ClientRun;

static gpointer
client_thread (gpointer user_data)
{
  ClientRun *run = user_data;

  run->result = run->func (run->data);
  g_atomic_int_set (&run->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gpointer
run_client (GThreadFunc func, gpointer data)
{
  ClientRun run = { func, data, NULL, 0 };
  GThread *thread = g_thread_new ("client", client_thread, &run);

  while (!g_atomic_int_get (&run.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  return run.result;
}

static void
wait_until_idle (void)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (ms_live_server_get_n_connections (server) > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  cr_assert_eq (ms_live_server_get_n_connections (server), 0, "connections left open");
}

/* ---- blocking client helpers (client thread) ---- */

typedef struct
{
  GIOStream        *stream;   /* the socket connection, or TLS over it */
  GSocketConnection *base;
  GDataInputStream *in;
} Client;

static void
client_free (Client *c)
{
  g_clear_object (&c->in);
  if (c->stream != NULL)
    g_io_stream_close (c->stream, NULL, NULL);
  g_clear_object (&c->stream);
  g_clear_object (&c->base);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static Client *
client_connect (const char *host, guint16 port)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  Client *c = g_new0 (Client, 1);

  c->base = g_socket_client_connect_to_host (sc, host, port, NULL, &error);
  if (c->base == NULL)
    {
      g_free (c);
      return NULL;
    }
  c->stream = g_object_ref (G_IO_STREAM (c->base));
  c->in = g_data_input_stream_new (g_io_stream_get_input_stream (c->stream));
  g_data_input_stream_set_newline_type (c->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  /* dropping the reader at the TLS switch must not close the socket under it */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (c->in), FALSE);
  return c;
}

/* NULL at EOF or on error */
static char *
client_read_line (Client *c)
{
  return g_data_input_stream_read_line (c->in, NULL, NULL, NULL);
}

static gboolean
client_write (Client *c, const char *text, gssize len)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream (c->stream), text,
                                    len < 0 ? strlen (text) : (gsize) len, NULL, NULL, NULL);
}

static gboolean
accept_any_certificate (GTlsConnection *conn, GTlsCertificate *peer,
                        GTlsCertificateFlags errors, gpointer user_data)
{
  /* self-signed: accepted when it is the one the server was given */
  return g_tls_certificate_is_same (peer, certificate);
}

static gboolean
client_start_tls (Client *c)
{
  g_autoptr(GError) error = NULL;
  GIOStream *tls = g_tls_client_connection_new (G_IO_STREAM (c->base), NULL, &error);

  if (tls == NULL)
    return FALSE;
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  if (!g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error))
    {
      g_object_unref (tls);
      return FALSE;
    }
  g_clear_object (&c->in);
  g_clear_object (&c->stream);
  c->stream = tls;
  c->in = g_data_input_stream_new (g_io_stream_get_input_stream (c->stream));
  g_data_input_stream_set_newline_type (c->in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  return TRUE;
}

/* ---- tests ---- */

typedef struct
{
  guint16    port;
  MsChunking chunking;
  guint32    seed;
} ChunkJob;

static void
write_piece (const guint8 *data, gsize len, gpointer user_data)
{
  client_write (user_data, (const char *) data, len);
}

static gpointer
chunked_dialogue (gpointer user_data)
{
  ChunkJob *job = user_data;
  static const char input[] = "HELO one\r\nsecond line\r\nbare lf\nQUIT\r\n";
  g_autoptr(Client) c = client_connect ("127.0.0.1", job->port);
  GString *got = g_string_new (NULL);
  char *line;

  if (c == NULL)
    return g_string_free (got, FALSE);
  ms_test_feed_chunks ((const guint8 *) input, sizeof input - 1, job->chunking, job->seed,
                       write_piece, c);
  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (got, "%s\n", line);
      g_free (line);
    }
  return g_string_free (got, FALSE);
}

Test (live_server, lines_cross_the_socket_in_order_however_the_client_splits_them)
{
  static const MsChunking chunkings[] = { MS_CHUNKS_WHOLE, MS_CHUNKS_BYTE_BY_BYTE, MS_CHUNKS_RANDOM };
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_STARTTLS);

  for (guint i = 0; i < G_N_ELEMENTS (chunkings); i++)
    {
      ChunkJob job = { port, chunkings[i], 11 + i };
      g_autofree char *got = run_client (chunked_dialogue, &job);

      cr_expect_str_eq (got, "220 test ready\n250 HELO one\n250 second line\n250 bare lf\n221 bye\n",
                        "%s", ms_test_chunking_name (chunkings[i]));
    }
  wait_until_idle ();
  cr_assert_eq (ms_trace_get_n_sessions (trace), 3);
  for (guint i = 0; i < 3; i++)
    {
      MsTraceSession *s = ms_trace_get_session (trace, i);
      cr_expect_geq (s->closed_us, 0, "session %u closed", s->id);
      cr_expect_eq (ms_trace_session_get_n_lines (s), 9);
      cr_expect_eq (s->protocol, MS_PROTOCOL_SMTP);
    }
}

typedef struct
{
  guint16 port;
  char   *client_endpoint;
  char   *greeting;
} EndpointJob;

static gpointer
endpoint_dialogue (gpointer user_data)
{
  EndpointJob *job = user_data;
  g_autoptr(Client) c = client_connect ("127.0.0.1", job->port);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (c->base, NULL);
  g_autofree char *host = g_inet_address_to_string (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  job->greeting = client_read_line (c);
  job->client_endpoint = ms_format_endpoint (host,
    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  client_write (c, "QUIT\r\n", -1);
  g_free (client_read_line (c));
  return NULL;
}

Test (live_server, the_session_names_both_real_endpoints)
{
  EndpointJob job = { listen_on ("smtp", MS_LIVE_MODE_PLAIN), NULL, NULL };
  g_autofree char *server_ep = ms_format_endpoint ("127.0.0.1", job.port);
  MsTraceSession *s;

  run_client (endpoint_dialogue, &job);
  wait_until_idle ();
  cr_expect_str_eq (job.greeting, "220 test ready");
  s = ms_trace_get_session (trace, 0);
  cr_expect_str_eq (s->client, job.client_endpoint);
  cr_expect_str_eq (s->server, server_ep);
  cr_expect_str_eq (ms_engine_get_client_address (g_ptr_array_index (engines, 0)), "127.0.0.1");
  cr_expect_eq (ms_engine_get_server_port (g_ptr_array_index (engines, 0)), job.port);
  cr_expect_eq (s->tls, MS_TLS_NONE);
  g_free (job.client_endpoint);
  g_free (job.greeting);
}

static gpointer
ipv6_dialogue (gpointer user_data)
{
  g_autoptr(Client) c = client_connect ("::1", GPOINTER_TO_UINT (user_data));
  g_autofree char *l1 = NULL;

  if (c == NULL)
    return NULL;
  l1 = client_read_line (c);
  client_write (c, "QUIT\r\n", -1);
  g_free (client_read_line (c));
  return g_steal_pointer (&l1);
}

Test (live_server, ipv6_endpoints_are_bracketed)
{
  g_autoptr(GError) error = NULL;
  guint16 port = 0;

  if (!ms_live_server_add_listener (server, "smtp", MS_PROTOCOL_SMTP, MS_LIVE_MODE_PLAIN, "::1", 0,
                                    make_engine, NULL, NULL, &port, &error))
    cr_skip_test ("no IPv6 loopback here: %s", error->message);
  {
    g_autofree char *greeting = run_client (ipv6_dialogue, GUINT_TO_POINTER (port));
    g_autofree char *expected = g_strdup_printf ("[::1]:%u", port);

    cr_assert_str_eq (greeting, "220 test ready");
    wait_until_idle ();
    cr_expect_str_eq (ms_trace_get_session (trace, 0)->server, expected);
    cr_expect (g_str_has_prefix (ms_trace_get_session (trace, 0)->client, "[::1]:"));
  }
}

typedef struct
{
  guint16  port;
  gboolean inject;
  GString *got;
} TlsJob;

static gpointer
starttls_dialogue (gpointer user_data)
{
  TlsJob *job = user_data;
  g_autoptr(Client) c = client_connect ("127.0.0.1", job->port);
  char *line;

  line = client_read_line (c);
  g_string_append_printf (job->got, "%s\n", line);
  g_free (line);
  /* the injection attack: a command pipelined behind STARTTLS in the same packet */
  client_write (c, job->inject ? "STARTTLS\r\nINJECTED\r\n" : "STARTTLS\r\n", -1);
  line = client_read_line (c);
  g_string_append_printf (job->got, "%s\n", line);
  g_free (line);
  if (!client_start_tls (c))
    {
      g_string_append (job->got, "handshake failed\n");
      return NULL;
    }
  client_write (c, "AFTER\r\nQUIT\r\n", -1);
  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (job->got, "%s\n", line);
      g_free (line);
    }
  return NULL;
}

Test (live_server, starttls_switches_the_same_connection_to_tls)
{
  TlsJob job = { listen_on ("smtp", MS_LIVE_MODE_STARTTLS), FALSE, g_string_new (NULL) };
  g_autofree char *events = NULL;
  MsTraceSession *s;

  run_client (starttls_dialogue, &job);
  cr_expect_str_eq (job.got->str, "220 test ready\n220 go ahead\n250 AFTER\n221 bye\n");
  wait_until_idle ();
  events = joined_events (g_ptr_array_index (engines, 0));
  cr_expect_str_eq (events, "line:STARTTLS|tls|line:AFTER|line:QUIT");
  s = ms_trace_get_session (trace, 0);
  cr_expect_eq (s->tls, MS_TLS_STARTTLS);
  /* a note tells the reader where the wire turned opaque */
  {
    gboolean noted = FALSE;
    for (guint i = 0; i < ms_trace_session_get_n_lines (s); i++)
      noted |= ms_trace_session_get_line (s, i)->kind == MS_LINE_NOTE
               && strstr (ms_trace_session_get_line (s, i)->text, "established") != NULL;
    cr_expect (noted);
  }
  g_string_free (job.got, TRUE);
}

Test (live_server, a_command_pipelined_behind_starttls_is_never_acted_on)
{
  TlsJob job = { listen_on ("smtp", MS_LIVE_MODE_STARTTLS), TRUE, g_string_new (NULL) };
  g_autofree char *events = NULL;

  run_client (starttls_dialogue, &job);
  wait_until_idle ();
  events = joined_events (g_ptr_array_index (engines, 0));
  cr_expect_null (strstr (events, "INJECTED"), "%s", events);
  cr_expect_null (strstr (job.got->str, "250 INJECTED"), "%s", job.got->str);
  g_string_free (job.got, TRUE);
}

static gpointer
implicit_dialogue (gpointer user_data)
{
  TlsJob *job = user_data;
  g_autoptr(Client) c = client_connect ("127.0.0.1", job->port);
  char *line;

  if (!client_start_tls (c))
    {
      g_string_append (job->got, "handshake failed\n");
      return NULL;
    }
  client_write (c, "NOOP\r\nQUIT\r\n", -1);
  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (job->got, "%s\n", line);
      g_free (line);
    }
  return NULL;
}

Test (live_server, implicit_tls_handshakes_before_the_greeting)
{
  TlsJob job = { listen_on ("smtps", MS_LIVE_MODE_IMPLICIT), FALSE, g_string_new (NULL) };
  g_autofree char *events = NULL;

  run_client (implicit_dialogue, &job);
  wait_until_idle ();
  cr_expect_str_eq (job.got->str, "220 test ready (tls)\n250 NOOP\n221 bye\n");
  cr_expect_eq (ms_trace_get_session (trace, 0)->tls, MS_TLS_IMPLICIT);
  events = joined_events (g_ptr_array_index (engines, 0));
  cr_expect_str_eq (events, "line:NOOP|line:QUIT", "tls_started is only for STARTTLS: %s", events);
  g_string_free (job.got, TRUE);
}

static gpointer
plaintext_to_tls_port (gpointer user_data)
{
  g_autoptr(Client) c = client_connect ("127.0.0.1", GPOINTER_TO_UINT (user_data));
  char *line;

  client_write (c, "EHLO i.forgot.tls\r\n", -1);
  line = client_read_line (c);  /* the server gives up on the handshake and closes */
  return line;
}

Test (live_server, a_failed_handshake_closes_only_that_connection)
{
  guint16 port = listen_on ("smtps", MS_LIVE_MODE_IMPLICIT);
  TlsJob job = { port, FALSE, g_string_new (NULL) };
  g_autofree char *line = run_client (plaintext_to_tls_port, GUINT_TO_POINTER (port));
  MsTraceSession *s;

  /* whatever comes back (a TLS alert, or nothing), never a plaintext greeting */
  cr_expect (line == NULL || strstr (line, "220 test ready") == NULL);

  wait_until_idle ();
  s = ms_trace_get_session (trace, 0);
  cr_expect_geq (s->closed_us, 0);
  cr_assert_geq (ms_trace_session_get_n_lines (s), 1);
  cr_expect (strstr (ms_trace_session_get_line (s, 0)->text, "TLS handshake failed") != NULL,
             "%s", ms_trace_session_get_line (s, 0)->text);
  /* the server still serves */
  run_client (implicit_dialogue, &job);
  cr_expect_str_eq (job.got->str, "220 test ready (tls)\n250 NOOP\n221 bye\n");
  g_string_free (job.got, TRUE);
}

Test (live_server, implicit_tls_without_a_certificate_is_refused_at_bind_time)
{
  g_autoptr(GError) error = NULL;

  ms_live_server_set_certificate (server, NULL);
  cr_expect_not (ms_live_server_add_listener (server, "imaps", MS_PROTOCOL_IMAP,
                                              MS_LIVE_MODE_IMPLICIT, "127.0.0.1", 0,
                                              make_engine, NULL, NULL, NULL, &error));
  cr_expect (g_error_matches (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_NO_CERTIFICATE));
}

Test (live_server, a_bad_listen_address_is_an_error)
{
  g_autoptr(GError) error = NULL;

  cr_expect_not (ms_live_server_add_listener (server, "smtp", MS_PROTOCOL_SMTP, MS_LIVE_MODE_PLAIN,
                                              "not-an-ip", 0, make_engine, NULL, NULL, NULL,
                                              &error));
  cr_expect (g_error_matches (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_BAD_ADDRESS));
}

typedef struct
{
  guint16 port;
  char   *first_greeting;
  char   *second_reply;
  char   *second_next;
} BusyJob;

static gpointer
busy_dialogue (gpointer user_data)
{
  BusyJob *job = user_data;
  g_autoptr(Client) first = client_connect ("127.0.0.1", job->port);
  g_autoptr(Client) second = NULL;

  job->first_greeting = client_read_line (first);
  second = client_connect ("127.0.0.1", job->port);
  job->second_reply = client_read_line (second);
  job->second_next = client_read_line (second);
  client_write (first, "QUIT\r\n", -1);
  g_free (client_read_line (first));
  return NULL;
}

Test (live_server, over_the_connection_limit_the_client_gets_a_421)
{
  BusyJob job = { listen_on ("smtp", MS_LIVE_MODE_PLAIN) };

  ms_live_server_set_max_connections (server, 1);
  run_client (busy_dialogue, &job);
  cr_expect_str_eq (job.first_greeting, "220 test ready");
  cr_expect_str_eq (job.second_reply,
                    "421 4.3.2 mx.test.example Too many connections, try again later");
  cr_expect_null (job.second_next, "then the server closes");
  wait_until_idle ();
  cr_expect_eq (engines->len, 1, "no engine for the refused connection");
  cr_assert_eq (ms_trace_get_n_events (trace), 1);
  cr_expect_str_eq (ms_trace_get_event (trace, 0)->type, "policy");
  g_free (job.first_greeting);
  g_free (job.second_reply);
}

static gpointer
abrupt_dialogue (gpointer user_data)
{
  g_autoptr(Client) c = client_connect ("127.0.0.1", GPOINTER_TO_UINT (user_data));

  g_free (client_read_line (c));
  client_write (c, "HALF A LI", -1);
  return NULL;  /* closes without QUIT */
}

Test (live_server, a_client_that_vanishes_ends_its_session)
{
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_PLAIN);
  g_autofree char *events = NULL;

  run_client (abrupt_dialogue, GUINT_TO_POINTER (port));
  wait_until_idle ();
  events = joined_events (g_ptr_array_index (engines, 0));
  cr_expect_str_eq (events, "peer-closed");
  cr_expect_geq (ms_trace_get_session (trace, 0)->closed_us, 0);
}

#define BIG_SIZE 3000000

static gpointer
big_dialogue (gpointer user_data)
{
  g_autoptr(Client) c = client_connect ("127.0.0.1", GPOINTER_TO_UINT (user_data));
  g_autofree guint8 *buf = g_malloc (BIG_SIZE);
  gsize got = 0;
  gboolean ok = TRUE;
  char *line;
  GString *rest = g_string_new (NULL);

  g_free (client_read_line (c));
  client_write (c, "BIG 3000000\r\nAFTER\r\nQUIT\r\n", -1);
  if (!g_input_stream_read_all (G_INPUT_STREAM (c->in), buf, BIG_SIZE, &got, NULL, NULL)
      || got != BIG_SIZE)
    ok = FALSE;
  for (gsize i = 0; ok && i < got; i++)
    ok = buf[i] == 'a' + i % 26;
  g_string_append (rest, ok ? "intact\n" : "corrupt\n");
  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (rest, "%s\n", line);
      g_free (line);
    }
  return g_string_free (rest, FALSE);
}

Test (live_server, a_large_output_arrives_whole_and_before_later_replies)
{
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_PLAIN);
  g_autofree char *got = run_client (big_dialogue, GUINT_TO_POINTER (port));

  cr_expect_str_eq (got, "intact\n250 done\n250 AFTER\n221 bye\n");
}

static gpointer
idle_dialogue (gpointer user_data)
{
  g_autoptr(Client) c = client_connect ("127.0.0.1", GPOINTER_TO_UINT (user_data));
  GString *got = g_string_new (NULL);
  char *line;

  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (got, "%s\n", line);
      g_free (line);
    }
  return g_string_free (got, FALSE);
}

Test (live_server, an_idle_smtp_client_gets_421_and_is_closed)
{
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_PLAIN);
  g_autofree char *got = NULL;

  ms_live_server_set_idle_timeout (server, MS_PROTOCOL_SMTP, 1);
  got = run_client (idle_dialogue, GUINT_TO_POINTER (port));
  cr_expect_str_eq (got, "220 test ready\n421 4.4.2 mx.test.example Idle timeout, closing connection\n");
  wait_until_idle ();
}

typedef struct
{
  guint16 port;
  gint    greeted;
  char   *got;
  gboolean refused_after;
} ShutdownJob;

static gpointer
shutdown_dialogue (gpointer user_data)
{
  ShutdownJob *job = user_data;
  g_autoptr(Client) c = client_connect ("127.0.0.1", job->port);
  GString *got = g_string_new (NULL);
  char *line;

  line = client_read_line (c);
  g_string_append_printf (got, "%s\n", line);
  g_free (line);
  g_atomic_int_set (&job->greeted, 1);
  while ((line = client_read_line (c)) != NULL)
    {
      g_string_append_printf (got, "%s\n", line);
      g_free (line);
    }
  job->got = g_string_free (got, FALSE);
  {
    Client *again = client_connect ("127.0.0.1", job->port);
    job->refused_after = again == NULL;
    if (again != NULL)
      client_free (again);
  }
  return NULL;
}

static void
shutdown_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(gboolean *) user_data = ms_live_server_shutdown_finish (MS_LIVE_SERVER (source), result, NULL);
}

Test (live_server, shutdown_says_421_closes_everything_and_stops_listening)
{
  ShutdownJob job = { listen_on ("smtp", MS_LIVE_MODE_PLAIN) };
  GThread *thread;
  ClientRun run = { shutdown_dialogue, &job, NULL, 0 };
  gboolean finished = FALSE;

  thread = g_thread_new ("client", client_thread, &run);
  while (!g_atomic_int_get (&job.greeted))
    g_main_context_iteration (NULL, FALSE);
  ms_live_server_shutdown_async (server, NULL, shutdown_done, &finished);
  while (!finished || !g_atomic_int_get (&run.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  cr_expect_str_eq (job.got, "220 test ready\n421 4.3.2 mx.test.example Service shutting down\n");
  cr_expect (job.refused_after, "no longer listening");
  cr_expect_eq (ms_live_server_get_n_connections (server), 0);
  cr_expect_geq (ms_trace_get_session (trace, 0)->closed_us, 0);
  g_free (job.got);
}

#define N_CONCURRENT 40

static gpointer
many_dialogue (gpointer user_data)
{
  guint16 port = GPOINTER_TO_UINT (user_data);
  Client *clients[N_CONCURRENT];
  guint ok = 0;

  for (guint i = 0; i < N_CONCURRENT; i++)
    clients[i] = client_connect ("127.0.0.1", port);
  for (guint i = 0; i < N_CONCURRENT; i++)
    {
      g_autofree char *cmd = g_strdup_printf ("N%u\r\n", i);
      client_write (clients[i], cmd, -1);
    }
  for (guint i = N_CONCURRENT; i-- > 0;)
    {
      g_autofree char *greeting = client_read_line (clients[i]);
      g_autofree char *reply = client_read_line (clients[i]);
      g_autofree char *expected = g_strdup_printf ("250 N%u", i);

      if (g_strcmp0 (greeting, "220 test ready") == 0 && g_strcmp0 (reply, expected) == 0)
        ok++;
      client_free (clients[i]);
    }
  return GUINT_TO_POINTER (ok);
}

Test (live_server, many_concurrent_connections_are_served_independently)
{
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_PLAIN);
  guint ok = GPOINTER_TO_UINT (run_client (many_dialogue, GUINT_TO_POINTER (port)));

  cr_expect_eq (ok, N_CONCURRENT);
  wait_until_idle ();
  cr_expect_eq (ms_trace_get_n_sessions (trace), N_CONCURRENT);
}

/* ---- the certificate ---- */

Test (live_server, the_certificate_is_made_once_and_reused)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert_path = g_build_filename (state_dir, MS_LIVE_CERT_FILE_NAME, NULL);
  g_autofree char *key_path = g_build_filename (state_dir, MS_LIVE_KEY_FILE_NAME, NULL);
  g_autofree char *fp1 = ms_live_cert_dup_fingerprint (certificate);
  gboolean generated = TRUE;
  g_autoptr(GTlsCertificate) again = ms_live_cert_load_or_create (state_dir, "mx.test.example",
                                                                  &generated, &error);
  g_autofree char *fp2 = NULL;
  GStatBuf st;

  cr_assert_not_null (again, "%s", error ? error->message : "");
  fp2 = ms_live_cert_dup_fingerprint (again);
  cr_expect_not (generated);
  cr_expect_str_eq (fp1, fp2);
  cr_expect_eq (strlen (fp1), 32 * 3 - 1);
  cr_assert_eq (g_stat (key_path, &st), 0);
  cr_expect_eq (st.st_mode & 0777, 0600, "the key is private");
  cr_expect (ms_live_cert_is_usable (cert_path, key_path, "localhost"));
  cr_expect (ms_live_cert_is_usable (cert_path, key_path, "mx.test.example"));
  cr_expect_not (ms_live_cert_is_usable (cert_path, key_path, "other.example"));
}

Test (live_server, a_new_hostname_makes_a_new_certificate)
{
  g_autoptr(GError) error = NULL;
  gboolean generated = FALSE;
  g_autoptr(GTlsCertificate) other = ms_live_cert_load_or_create (state_dir, "other.example",
                                                                  &generated, &error);

  cr_assert_not_null (other, "%s", error ? error->message : "");
  cr_expect (generated);
  cr_expect_not (g_tls_certificate_is_same (other, certificate));
}

Test (live_server, a_hostname_that_is_no_dns_name_is_refused)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert_path = g_build_filename (state_dir, "x.pem", NULL);
  g_autofree char *key_path = g_build_filename (state_dir, "y.pem", NULL);

  cr_expect_not (ms_live_cert_generate (cert_path, key_path, "evil,DNS:bank.example", &error));
  cr_expect (g_error_matches (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_CERTIFICATE));
}

static gpointer
stalled_and_lively (gpointer user_data)
{
  guint16 port = GPOINTER_TO_UINT (user_data);
  g_autoptr(Client) stalled = client_connect ("127.0.0.1", port);
  g_autoptr(Client) lively = NULL;
  GString *got = g_string_new (NULL);
  char *line;

  /* asks for megabytes and never reads them */
  g_free (client_read_line (stalled));
  for (int i = 0; i < 4; i++)
    client_write (stalled, "BIG 3000000\r\n", -1);
  lively = client_connect ("127.0.0.1", port);
  client_write (lively, "PING\r\nQUIT\r\n", -1);
  while ((line = client_read_line (lively)) != NULL)
    {
      g_string_append_printf (got, "%s\n", line);
      g_free (line);
    }
  return g_string_free (got, FALSE);
}

Test (live_server, a_client_that_never_reads_does_not_hold_up_the_others)
{
  guint16 port = listen_on ("smtp", MS_LIVE_MODE_PLAIN);
  g_autofree char *got = run_client (stalled_and_lively, GUINT_TO_POINTER (port));

  cr_expect_str_eq (got, "220 test ready\n250 PING\n221 bye\n");
  wait_until_idle ();
}
