/* ms-live-connection.c: one accepted socket driving one engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection is a small state machine around three asynchronous operations (a read,
 * a write, a TLS handshake or a close), decided in one place, pump(). Rules:
 *   - output is written in the order the engine produced it (one write in flight; what
 *     arrives meanwhile is appended to the next batch);
 *   - a TLS switch or a close waits until every queued byte is written, and no read may
 *     be in flight on the plaintext stream when the handshake starts;
 *   - no new read is started while a lot of output is waiting (a client that pipelines
 *     RETR without reading cannot make us buffer without bound).
 */
#define G_LOG_DOMAIN "ms-live"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "ms-live-connection.h"

#define READ_BUFFER_SIZE        (16 * 1024)
#define MAX_PENDING_OUTPUT      (1024 * 1024)  /* stop reading above this much unsent output */
#define CLOSE_GRACE_US          (5 * G_USEC_PER_SEC)

struct _MsLiveConnection
{
  GObject             parent_instance;

  MsLiveListenerInfo  listener;         /* name points into listener_name */
  char               *listener_name;
  char               *hostname;
  GTlsCertificate    *certificate;
  guint               idle_timeout;     /* seconds */

  GSocketConnection  *base;
  GIOStream          *stream;           /* base, or the GTlsServerConnection over it */
  MsEngine           *engine;           /* NULL: refused as busy */
  MsTrace            *trace;
  MsTraceSession     *session;
  GCancellable       *cancellable;      /* cancelled by abort () */
  GCancellable       *read_cancellable; /* cancelled to stop a read before TLS or close */
  guint8             *read_buffer;
  GByteArray         *outbuf;           /* produced, not yet handed to a write */
  GBytes             *inflight;         /* being written */
  gint64              last_activity_us;
  gint64              handshake_started_us;
  gint64              close_wanted_us;
  gulong              tls_handler;
  gulong              close_handler;

  guint               started : 1;
  guint               stream_ready : 1; /* FALSE during a handshake */
  guint               reading : 1;
  guint               want_tls : 1;
  guint               want_close : 1;
  guint               handshaking : 1;
  guint               closing : 1;
  guint               finished : 1;
  guint               timed_out : 1;
  guint               feeding : 1;      /* inside ms_engine_feed: batch the output */
};

enum {
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsLiveConnection, ms_live_connection, G_TYPE_OBJECT)

static void pump (MsLiveConnection *self);

static void
note (MsLiveConnection *self,
      const char       *format,
      ...) G_GNUC_PRINTF (2, 3);

/* Transport remarks (TLS up, handshake failed, timeout) go into the session as notes. */
static void
note (MsLiveConnection *self,
      const char       *format,
      ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (self->session == NULL || self->session->closed_us >= 0)
    return;
  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  ms_trace_session_add_line (self->session, MS_DIR_SERVER, MS_LINE_NOTE, text, -1);
}

static void
ms_live_connection_dispose (GObject *object)
{
  MsLiveConnection *self = MS_LIVE_CONNECTION (object);

  if (self->engine != NULL)
    {
      g_clear_signal_handler (&self->tls_handler, self->engine);
      g_clear_signal_handler (&self->close_handler, self->engine);
      ms_engine_set_output_func (self->engine, NULL, NULL, NULL);
    }
  g_clear_object (&self->engine);
  g_clear_object (&self->stream);
  g_clear_object (&self->base);
  g_clear_object (&self->certificate);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->read_cancellable);

  G_OBJECT_CLASS (ms_live_connection_parent_class)->dispose (object);
}

static void
ms_live_connection_finalize (GObject *object)
{
  MsLiveConnection *self = MS_LIVE_CONNECTION (object);

  /* The session belongs to the trace; close it if nobody did. */
  if (self->session != NULL && self->trace != NULL)
    ms_trace_close_session (self->trace, self->session);
  g_clear_object (&self->trace);
  g_free (self->listener_name);
  g_free (self->hostname);
  g_free (self->read_buffer);
  g_byte_array_unref (self->outbuf);
  g_clear_pointer (&self->inflight, g_bytes_unref);

  G_OBJECT_CLASS (ms_live_connection_parent_class)->finalize (object);
}

static void
ms_live_connection_class_init (MsLiveConnectionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_live_connection_dispose;
  object_class->finalize = ms_live_connection_finalize;

  /* The socket is released and the trace session closed. */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ms_live_connection_init (MsLiveConnection *self)
{
  self->cancellable = g_cancellable_new ();
  self->read_buffer = g_malloc (READ_BUFFER_SIZE);
  self->outbuf = g_byte_array_new ();
  self->last_activity_us = g_get_monotonic_time ();
}

/* "::ffff:127.0.0.1" (a v4 client on a dual-stack socket) reads better as "127.0.0.1". */
static char *
address_to_string (GInetAddress *address)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *b = g_inet_address_to_bytes (address);

      if (memcmp (b, v4_mapped, sizeof v4_mapped) == 0)
        return g_strdup_printf ("%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
    }
  return g_inet_address_to_string (address);
}

static gboolean
endpoint_of (GSocketAddress  *address,
             char           **host,
             guint16         *port)
{
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  *host = address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
  return TRUE;
}

/* Everything ends here, exactly once. */
static void
finish (MsLiveConnection *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_object_ref (self);
  if (self->engine != NULL)
    {
      g_clear_signal_handler (&self->tls_handler, self->engine);
      g_clear_signal_handler (&self->close_handler, self->engine);
      if (!ms_engine_is_closed (self->engine))
        ms_engine_peer_closed (self->engine);
      ms_engine_set_output_func (self->engine, NULL, NULL, NULL);
    }
  if (self->session != NULL)
    ms_trace_close_session (self->trace, self->session);
  g_signal_emit (self, signals[FINISHED], 0);
  g_object_unref (self);
}

void
ms_live_connection_abort (MsLiveConnection *self,
                          const char       *reason)
{
  g_return_if_fail (MS_IS_LIVE_CONNECTION (self));

  if (self->finished)
    return;
  if (reason != NULL)
    note (self, "%s", reason);
  g_cancellable_cancel (self->cancellable);
  if (self->base != NULL)
    g_socket_close (g_socket_connection_get_socket (self->base), NULL);
  finish (self);
}

static void
close_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MsLiveConnection) self = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  /* A TLS close_notify may fail on a half-gone peer: the socket goes regardless. */
  if (self->base != NULL)
    g_socket_close (g_socket_connection_get_socket (self->base), NULL);
  finish (self);
}

static void
begin_close (MsLiveConnection *self)
{
  self->closing = TRUE;
  g_io_stream_close_async (self->stream, G_PRIORITY_DEFAULT, self->cancellable, close_cb,
                           g_object_ref (self));
}

static void
write_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(MsLiveConnection) self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->inflight, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!self->finished)
        ms_live_connection_abort (self, NULL);
      return;
    }
  pump (self);
}

static void
start_write (MsLiveConnection *self)
{
  GOutputStream *out = g_io_stream_get_output_stream (self->stream);
  gsize len;
  gconstpointer data;

  g_assert (self->inflight == NULL);
  self->inflight = g_byte_array_free_to_bytes (self->outbuf);
  self->outbuf = g_byte_array_new ();
  data = g_bytes_get_data (self->inflight, &len);
  g_output_stream_write_all_async (out, data, len, G_PRIORITY_DEFAULT, self->cancellable,
                                   write_cb, g_object_ref (self));
}

static void
on_engine_output (MsEngine     *engine,
                  const guint8 *data,
                  gsize         len,
                  gpointer      user_data)
{
  MsLiveConnection *self = user_data;

  if (self->finished || self->closing)
    return;
  g_byte_array_append (self->outbuf, data, len);
  /* Replies produced while handling one read go out in one write (pump() starts it);
   * output the engine makes on its own (IMAP IDLE updates) goes out at once. */
  if (self->stream_ready && self->inflight == NULL && !self->feeding)
    start_write (self);
}

static void
read_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(MsLiveConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  self->reading = FALSE;
  g_clear_object (&self->read_cancellable);
  if (self->finished)
    return;
  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* stopped on purpose before a TLS switch or a close */
      pump (self);
      return;
    }
  if (n <= 0)
    {
      if (n < 0)
        note (self, "connection lost: %s", error->message);
      /* The peer is gone: the engine learns it, what it still said is flushed, then close. */
      if (self->engine != NULL && !ms_engine_is_closed (self->engine))
        ms_engine_peer_closed (self->engine);
      if (n < 0)
        {
          ms_live_connection_abort (self, NULL);
          return;
        }
      self->want_close = TRUE;
      if (self->close_wanted_us == 0)
        self->close_wanted_us = g_get_monotonic_time ();
      pump (self);
      return;
    }
  self->last_activity_us = g_get_monotonic_time ();
  if (self->engine != NULL)
    {
      self->feeding = TRUE;
      ms_engine_feed (self->engine, self->read_buffer, (gsize) n);
      self->feeding = FALSE;
    }
  pump (self);
}

static void
start_read (MsLiveConnection *self)
{
  GInputStream *in = g_io_stream_get_input_stream (self->stream);

  self->reading = TRUE;
  self->read_cancellable = g_cancellable_new ();
  /* Cancelling the connection cancels the read too. */
  if (g_cancellable_is_cancelled (self->cancellable))
    g_cancellable_cancel (self->read_cancellable);
  g_input_stream_read_async (in, self->read_buffer, READ_BUFFER_SIZE, G_PRIORITY_DEFAULT,
                             self->read_cancellable, read_cb, g_object_ref (self));
}

static void
say_busy_and_close (MsLiveConnection *self)
{
  g_autofree char *reply = ms_live_busy_reply (self->listener.protocol, self->hostname);

  if (self->session != NULL)
    ms_trace_session_add_line (self->session, MS_DIR_SERVER, MS_LINE_REPLY, reply, -1);
  g_byte_array_append (self->outbuf, (const guint8 *) reply, strlen (reply));
  g_byte_array_append (self->outbuf, (const guint8 *) "\r\n", 2);
  self->want_close = TRUE;
  self->close_wanted_us = g_get_monotonic_time ();
}

static void
handshake_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(MsLiveConnection) self = user_data;
  g_autoptr(GError) error = NULL;
  GTlsConnection *tls = G_TLS_CONNECTION (source);
  gboolean implicit = self->listener.mode == MS_LIVE_MODE_IMPLICIT;

  self->handshaking = FALSE;
  if (!g_tls_connection_handshake_finish (tls, result, &error))
    {
      if (self->finished)
        return;
      note (self, "TLS handshake failed: %s", error->message);
      ms_live_connection_abort (self, NULL);
      return;
    }
  if (self->finished)
    return;

  g_set_object (&self->stream, G_IO_STREAM (tls));
  self->stream_ready = TRUE;
  self->last_activity_us = g_get_monotonic_time ();
  {
    g_autofree char *cipher = g_tls_connection_get_ciphersuite_name (tls);
    const char *version;

    switch (g_tls_connection_get_protocol_version (tls))
      {
      case G_TLS_PROTOCOL_VERSION_TLS_1_0: version = "TLS 1.0"; break;
      case G_TLS_PROTOCOL_VERSION_TLS_1_1: version = "TLS 1.1"; break;
      case G_TLS_PROTOCOL_VERSION_TLS_1_2: version = "TLS 1.2"; break;
      case G_TLS_PROTOCOL_VERSION_TLS_1_3: version = "TLS 1.3"; break;
      default: version = "TLS"; break;
      }
    note (self, "%s established (%s); what follows is encrypted on the wire",
          version, cipher != NULL ? cipher : "unknown cipher suite");
  }

  if (self->engine == NULL)
    say_busy_and_close (self);
  else if (implicit)
    {
      ms_engine_tls_established (self->engine, MS_TLS_IMPLICIT);
      ms_engine_start (self->engine);
    }
  else
    ms_engine_tls_established (self->engine, MS_TLS_STARTTLS);
  pump (self);
}

static void
begin_tls (MsLiveConnection *self)
{
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  self->want_tls = FALSE;
  if (self->certificate == NULL)
    {
      ms_live_connection_abort (self, "TLS requested but the server has no certificate");
      return;
    }
  tls = g_tls_server_connection_new (G_IO_STREAM (self->base), self->certificate, &error);
  if (tls == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("TLS unavailable: %s", error->message);
      ms_live_connection_abort (self, reason);
      return;
    }
  /* Many clients just drop the TCP connection; that is an EOF, not an attack. */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  g_set_object (&self->stream, tls);
  g_object_unref (tls);
  self->stream_ready = FALSE;
  self->handshaking = TRUE;
  self->handshake_started_us = g_get_monotonic_time ();
  g_tls_connection_handshake_async (G_TLS_CONNECTION (self->stream), G_PRIORITY_DEFAULT,
                                    self->cancellable, handshake_cb, g_object_ref (self));
}

/* The one place that decides what to do next. */
static void
pump (MsLiveConnection *self)
{
  if (self->finished || self->closing || !self->stream_ready)
    return;

  if (self->inflight == NULL && self->outbuf->len > 0)
    start_write (self);

  if (self->want_close || self->want_tls)
    {
      if (self->reading)
        {
          g_cancellable_cancel (self->read_cancellable);
          return;  /* read_cb comes back here */
        }
      if (self->inflight != NULL)
        return;    /* write_cb comes back here */
      if (self->want_close)
        begin_close (self);
      else
        begin_tls (self);
      return;
    }

  if (!self->reading && self->outbuf->len + (self->inflight ? g_bytes_get_size (self->inflight) : 0)
      < MAX_PENDING_OUTPUT)
    start_read (self);
}

static void
on_tls_requested (MsEngine *engine,
                  gpointer  user_data)
{
  MsLiveConnection *self = user_data;

  self->want_tls = TRUE;
  pump (self);
}

static void
on_close_requested (MsEngine *engine,
                    gpointer  user_data)
{
  MsLiveConnection *self = user_data;

  self->want_close = TRUE;
  if (self->close_wanted_us == 0)
    self->close_wanted_us = g_get_monotonic_time ();
  pump (self);
}

MsLiveConnection *
ms_live_connection_new (MsLiveServer             *server,
                        const MsLiveListenerInfo *listener,
                        GSocketConnection        *connection,
                        MsEngine                 *engine)
{
  MsLiveConnection *self;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autofree char *client_host = NULL;
  g_autofree char *server_host = NULL;
  g_autofree char *client = NULL;
  g_autofree char *server_ep = NULL;
  guint16 client_port = 0;
  guint16 server_port = 0;

  g_return_val_if_fail (MS_IS_LIVE_SERVER (server), NULL);
  g_return_val_if_fail (listener != NULL, NULL);
  g_return_val_if_fail (G_IS_SOCKET_CONNECTION (connection), NULL);
  g_return_val_if_fail (engine == NULL || MS_IS_ENGINE (engine), NULL);

  self = g_object_new (MS_TYPE_LIVE_CONNECTION, NULL);
  self->listener = *listener;
  self->listener_name = g_strdup (listener->name);
  self->listener.name = self->listener_name;
  self->hostname = g_strdup (ms_live_server_get_hostname (server));
  if (ms_live_server_get_certificate (server) != NULL)
    self->certificate = g_object_ref (ms_live_server_get_certificate (server));
  self->idle_timeout = ms_live_server_get_idle_timeout (server, listener->protocol);
  self->base = g_object_ref (connection);
  /* Lines are small and lock-step: do not let Nagle hold them back for the peer's ACK. */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       1, NULL);
  self->stream = g_object_ref (G_IO_STREAM (connection));
  self->trace = g_object_ref (ms_live_server_get_trace (server));

  remote = g_socket_connection_get_remote_address (connection, NULL);
  local = g_socket_connection_get_local_address (connection, NULL);
  if (remote == NULL || !endpoint_of (remote, &client_host, &client_port))
    client_host = g_strdup ("0.0.0.0");
  if (local == NULL || !endpoint_of (local, &server_host, &server_port))
    server_host = g_strdup ("0.0.0.0");
  client = ms_format_endpoint (client_host, client_port);
  server_ep = ms_format_endpoint (server_host, server_port);
  self->session = ms_trace_open_session (self->trace, listener->protocol, client, server_ep);

  if (engine != NULL)
    {
      self->engine = g_object_ref (engine);
      ms_engine_set_session (engine, self->session);
      ms_engine_set_endpoints (engine, client_host, client_port, server_host, server_port);
      ms_engine_set_output_func (engine, on_engine_output, self, NULL);
      self->tls_handler = g_signal_connect (engine, "tls-requested",
                                            G_CALLBACK (on_tls_requested), self);
      self->close_handler = g_signal_connect (engine, "close-requested",
                                              G_CALLBACK (on_close_requested), self);
    }
  return self;
}

void
ms_live_connection_start (MsLiveConnection *self)
{
  g_return_if_fail (MS_IS_LIVE_CONNECTION (self));

  if (self->started)
    return;
  self->started = TRUE;
  g_object_ref (self);
  if (self->listener.mode == MS_LIVE_MODE_IMPLICIT)
    begin_tls (self);  /* the engine starts when the handshake is done */
  else
    {
      self->stream_ready = TRUE;
      if (self->engine == NULL)
        say_busy_and_close (self);
      else
        ms_engine_start (self->engine);
      pump (self);
    }
  g_object_unref (self);
}

MsEngine *
ms_live_connection_get_engine (MsLiveConnection *self)
{
  g_return_val_if_fail (MS_IS_LIVE_CONNECTION (self), NULL);
  return self->engine;
}

MsTraceSession *
ms_live_connection_get_session (MsLiveConnection *self)
{
  g_return_val_if_fail (MS_IS_LIVE_CONNECTION (self), NULL);
  return self->session;
}

gboolean
ms_live_connection_is_finished (MsLiveConnection *self)
{
  g_return_val_if_fail (MS_IS_LIVE_CONNECTION (self), TRUE);
  return self->finished;
}

/* The line a protocol sends when the server itself ends the session, or NULL. */
static char *
goodbye_line (MsProtocol  protocol,
              const char *hostname,
              gboolean    idle)
{
  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      /* RFC 5321 §3.8 and §4.5.3.2: 421 may be sent at any time before closing */
      return idle ? g_strdup_printf ("421 4.4.2 %s Idle timeout, closing connection", hostname)
                  : g_strdup_printf ("421 4.3.2 %s Service shutting down", hostname);
    case MS_PROTOCOL_IMAP:
      /* RFC 9051 §7.1.5 BYE */
      return g_strdup (idle ? "* BYE Autologout; idle for too long"
                            : "* BYE Server shutting down");
    case MS_PROTOCOL_POP3:
      /* RFC 1939 §3: on the autologout timer the server closes without a response */
    default:
      return NULL;
    }
}

static void
say_goodbye_and_close (MsLiveConnection *self,
                       gboolean          idle)
{
  g_autofree char *line = NULL;

  if (self->want_close)
    return;
  if (self->engine != NULL && !ms_engine_is_closed (self->engine) && self->stream_ready)
    {
      line = goodbye_line (self->listener.protocol, self->hostname, idle);
      if (line != NULL)
        ms_engine_send_text (self->engine, MS_LINE_REPLY, line, -1);
      /* The engine must not act on anything more. */
      g_clear_signal_handler (&self->close_handler, self->engine);
      ms_engine_request_close (self->engine);
    }
  self->want_close = TRUE;
  self->close_wanted_us = g_get_monotonic_time ();
  pump (self);
}

void
ms_live_connection_check_timeouts (MsLiveConnection *self,
                                   gint64            now_us)
{
  g_return_if_fail (MS_IS_LIVE_CONNECTION (self));

  if (self->finished)
    return;
  g_object_ref (self);
  if (self->handshaking
      && now_us - self->handshake_started_us > MS_LIVE_TLS_HANDSHAKE_TIMEOUT * G_USEC_PER_SEC)
    ms_live_connection_abort (self, "TLS handshake timed out");
  else if (self->want_close && self->close_wanted_us != 0
           && now_us - self->close_wanted_us > CLOSE_GRACE_US)
    ms_live_connection_abort (self, "the client did not take the last reply: closed");
  else if (!self->timed_out && !self->want_close && self->idle_timeout > 0
           && now_us - self->last_activity_us > (gint64) self->idle_timeout * G_USEC_PER_SEC)
    {
      self->timed_out = TRUE;
      note (self, "idle for more than %u s: closing", self->idle_timeout);
      say_goodbye_and_close (self, TRUE);
    }
  g_object_unref (self);
}

void
ms_live_connection_shutdown (MsLiveConnection *self)
{
  g_return_if_fail (MS_IS_LIVE_CONNECTION (self));

  if (self->finished)
    return;
  g_object_ref (self);
  if (self->handshaking || !self->started)
    ms_live_connection_abort (self, "server shutting down");
  else
    {
      note (self, "server shutting down");
      say_goodbye_and_close (self, FALSE);
    }
  g_object_unref (self);
}
