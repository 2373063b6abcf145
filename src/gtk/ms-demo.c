/* ms-demo.c: a small built-in trace, produced by running the real engines in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here is canned: an MsSmtpClient talks to an MsSmtpServer with the store policy,
 * an MsPop3Client to an MsPop3Server, byte streams wired in memory; the trace is whatever
 * the server engines recorded. Time is virtual (1 ms a recorded item) so that every run
 * gives the same trace.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <string.h>

#include "ms-demo.h"
#include "ms-engine.h"
#include "ms-mail-store.h"
#include "ms-pop3-client.h"
#include "ms-pop3-server.h"
#include "ms-smtp-client.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"

#define DEMO_EPOCH_UNIX_US (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define DEMO_TICK_US       1000
#define DEMO_MAX_ROUNDS    100000

typedef struct
{
  gint64 now;
} DemoClock;

static gint64
trace_clock (gpointer user_data)
{
  DemoClock *clock = user_data;

  clock->now += DEMO_TICK_US;
  return clock->now;
}

static gint64
unix_clock (gpointer user_data)
{
  return DEMO_EPOCH_UNIX_US + ((DemoClock *) user_data)->now;
}

typedef struct
{
  MsEngine   *server;
  MsEngine   *client;
  GByteArray *to_server;
  GByteArray *to_client;
  gboolean    server_tls, client_tls;
  gboolean    server_closed, client_closed;
} Wire;

static void
to_server (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Wire *) user_data)->to_server, data, len);
}

static void
to_client (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Wire *) user_data)->to_client, data, len);
}

static void on_server_tls (MsEngine *e, Wire *w) { w->server_tls = TRUE; }
static void on_client_tls (MsEngine *e, Wire *w) { w->client_tls = TRUE; }
static void on_server_close (MsEngine *e, Wire *w) { w->server_closed = TRUE; }
static void on_client_close (MsEngine *e, Wire *w) { w->client_closed = TRUE; }

static gboolean
move (GByteArray *buffer,
      MsEngine   *engine)
{
  g_autofree guint8 *copy = NULL;
  gsize n = buffer->len;

  if (n == 0)
    return FALSE;
  copy = g_memdup2 (buffer->data, n);
  g_byte_array_remove_range (buffer, 0, n);
  ms_engine_feed (engine, copy, n);
  return TRUE;
}

/* One connection: the server's session goes into trace, the client's into scratch (the
 * same lines seen from the other end). */
static void
run_connection (MsTrace    *trace,
                MsTrace    *scratch,
                MsEngine   *server,
                MsEngine   *client,
                MsProtocol  protocol,
                const char *client_node,
                const char *client_addr,
                guint16     client_port,
                const char *server_node,
                const char *server_addr,
                guint16     server_port)
{
  Wire wire = { server, client, g_byte_array_new (), g_byte_array_new () };
  g_autofree char *cep = ms_format_endpoint (client_addr, client_port);
  g_autofree char *sep = ms_format_endpoint (server_addr, server_port);
  MsTraceSession *session = ms_trace_open_session (trace, protocol, cep, sep);
  MsTraceSession *other = ms_trace_open_session (scratch, protocol, cep, sep);

  ms_trace_session_set_nodes (session, client_node, server_node);
  ms_engine_set_session (server, session);
  ms_engine_set_session (client, other);
  ms_engine_set_endpoints (server, client_addr, client_port, server_addr, server_port);
  ms_engine_set_endpoints (client, client_addr, client_port, server_addr, server_port);
  ms_engine_set_output_func (server, to_client, &wire, NULL);
  ms_engine_set_output_func (client, to_server, &wire, NULL);
  g_signal_connect (server, "tls-requested", G_CALLBACK (on_server_tls), &wire);
  g_signal_connect (client, "tls-requested", G_CALLBACK (on_client_tls), &wire);
  g_signal_connect (server, "close-requested", G_CALLBACK (on_server_close), &wire);
  g_signal_connect (client, "close-requested", G_CALLBACK (on_client_close), &wire);

  ms_engine_start (server);
  ms_engine_start (client);
  for (guint rounds = 0; rounds < DEMO_MAX_ROUNDS; rounds++)
    {
      gboolean moved = move (wire.to_client, client);

      moved |= move (wire.to_server, server);
      /* the TLS handshake, once both sides asked and the plaintext is through */
      if (wire.server_tls && wire.client_tls && wire.to_client->len == 0
          && wire.to_server->len == 0)
        {
          wire.server_tls = wire.client_tls = FALSE;
          ms_engine_tls_established (server, MS_TLS_STARTTLS);
          ms_engine_tls_established (client, MS_TLS_STARTTLS);
          moved = TRUE;
        }
      if (moved)
        continue;
      if (wire.server_closed && !ms_engine_is_closed (client))
        ms_engine_peer_closed (client);
      else if (wire.client_closed && !ms_engine_is_closed (server))
        ms_engine_peer_closed (server);
      else
        break;
    }
  ms_trace_close_session (trace, session);
  ms_engine_set_output_func (server, NULL, NULL, NULL);
  ms_engine_set_output_func (client, NULL, NULL, NULL);
  g_signal_handlers_disconnect_by_data (server, &wire);
  g_signal_handlers_disconnect_by_data (client, &wire);
  g_byte_array_unref (wire.to_server);
  g_byte_array_unref (wire.to_client);
}

static GBytes *
demo_message (void)
{
  /* The MUA leaves Bcc out of what it sends (RFC 5322 §3.6.3): dave is only in RCPT TO. */
  static const char text[] =
    "From: Alice <alice@example.com>\r\n"
    "To: Bob <bob@example.com>\r\n"
    "Subject: =?UTF-8?B?5LyR6K2w44Gu6K2w5LqL6Yyy?=\r\n"
    "Date: Thu, 01 Jan 2026 09:00:00 +0900\r\n"
    "Message-ID: <demo-1@pc.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Bob,\r\n"
    "the minutes of today's meeting are below.\r\n"
    ".hidden line that needs dot-stuffing\r\n"
    "Alice\r\n";

  return g_bytes_new_static (text, strlen (text));
}

MsTrace *
ms_demo_trace_new (void)
{
  DemoClock clock = { 0 };
  MsTrace *trace = ms_trace_new ("demo", "submission-relay-pop3");
  g_autoptr(MsTrace) scratch = ms_trace_new ("demo", "client side");
  g_autoptr(MsMailStore) store = ms_mail_store_new ();
  g_autoptr(MsSmtpStorePolicy) policy = NULL;
  g_autoptr(GBytes) message = demo_message ();
  MsSmtpServerConfig server_config;
  MsSmtpClientConfig client_config = { 0 };
  MsPop3ServerConfig pop3_config;
  MsPop3ClientConfig pop3_client = { 0 };
  static const char * const to_bob_and_dave[] = { "bob@example.com", "dave@example.com", NULL };
  static const char * const to_elsewhere[] = { "victim@elsewhere.example", NULL };

  ms_trace_set_clock (trace, trace_clock, &clock);
  ms_trace_set_clock (scratch, trace_clock, &clock);
  ms_mail_store_add_user (store, "alice@example.com", "alice-secret", NULL);
  ms_mail_store_add_user (store, "bob@example.com", "bob-secret", NULL);
  ms_mail_store_add_user (store, "dave@example.com", "dave-secret", NULL);
  policy = ms_smtp_store_policy_new (store, "mail.example.com");

  /* 1. submission: port 587, STARTTLS, then AUTH (RFC 6409, RFC 3207, RFC 4954) */
  {
    g_autoptr(MsSmtpServer) server = NULL;
    g_autoptr(MsSmtpClient) client = NULL;

    ms_smtp_server_config_init (&server_config);
    server_config.hostname = "mail.example.com";
    server_config.submission = TRUE;
    server_config.tls_available = TRUE;
    server_config.clock = unix_clock;
    server_config.clock_data = &clock;
    server = ms_smtp_server_new (&server_config, MS_SMTP_POLICY (policy));
    client_config.helo_name = "pc.example.com";
    client_config.username = "alice@example.com";
    client_config.password = "alice-secret";
    client_config.mechanism = "PLAIN";
    client_config.tls = MS_SMTP_CLIENT_TLS_REQUIRE;
    client = ms_smtp_client_new (&client_config);
    ms_smtp_client_add_message (client, "alice@example.com", to_bob_and_dave, message);
    run_connection (trace, scratch, MS_ENGINE (server), MS_ENGINE (client), MS_PROTOCOL_SMTP,
                    "alice-pc", "192.0.2.10", 50123, "mail.example.com", "198.51.100.25", 587);
  }

  /* 2. a stranger on port 25 tries to relay to another domain: refused (RFC 5321 §3.9) */
  {
    g_autoptr(MsSmtpServer) server = NULL;
    g_autoptr(MsSmtpClient) client = NULL;
    MsSmtpClientConfig relay = { 0 };

    ms_smtp_server_config_init (&server_config);
    server_config.hostname = "mail.example.com";
    server_config.clock = unix_clock;
    server_config.clock_data = &clock;
    server = ms_smtp_server_new (&server_config, MS_SMTP_POLICY (policy));
    relay.helo_name = "spam.invalid";
    client = ms_smtp_client_new (&relay);
    ms_smtp_client_add_message (client, "someone@spam.invalid", to_elsewhere, message);
    run_connection (trace, scratch, MS_ENGINE (server), MS_ENGINE (client), MS_PROTOCOL_SMTP,
                    "stranger", "203.0.113.66", 41000, "mail.example.com", "198.51.100.25", 25);
  }

  /* 3. bob fetches his mail (RFC 1939) */
  {
    g_autoptr(MsPop3Server) server = NULL;
    g_autoptr(MsPop3Client) client = NULL;

    ms_pop3_server_config_init (&pop3_config);
    pop3_config.hostname = "mail.example.com";
    pop3_config.apop_pid = 4242;
    pop3_config.apop_clock = (guint64) (DEMO_EPOCH_UNIX_US / G_USEC_PER_SEC);
    server = ms_pop3_server_new (&pop3_config, store);
    pop3_client.user = "bob@example.com";
    pop3_client.password = "bob-secret";
    client = ms_pop3_client_new (&pop3_client);
    ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
    ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR_ALL, 0, 0);
    run_connection (trace, scratch, MS_ENGINE (server), MS_ENGINE (client), MS_PROTOCOL_POP3,
                    "bob-pc", "192.0.2.20", 50200, "mail.example.com", "198.51.100.25", 110);
  }

  /* later additions to the trace (none) run on the default clock again */
  ms_trace_set_clock (trace, NULL, NULL);
  return trace;
}
