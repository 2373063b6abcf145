/* ms-sim-tcp.c: simulated TCP over the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 9293 as far as a lossless, in-order network needs it: the three-way handshake
 * (§3.5), sequence and acknowledgment numbers counting SYN and FIN, segments cut at the
 * MSS, a pure ACK when there is nothing to piggyback on, FIN in both directions (§3.6),
 * RST for a SYN to a closed port (§3.5.2), SYN retransmission with a doubling timeout
 * (RFC 6298 §5). What an endpoint writes at one instant goes out together, so a
 * multi-line reply is one segment, as a real stack would usually send it.
 */
#define G_LOG_DOMAIN "ms-sim-tcp"

#include "config.h"

#include <string.h>

#include "ms-net-private.h"

typedef enum
{
  EP_CLOSED,
  EP_LISTEN,        /* the server end before the SYN arrives */
  EP_SYN_SENT,
  EP_SYN_RECEIVED,
  EP_ESTABLISHED,
} EpState;

typedef struct _Connection Connection;

struct _MsSimTcpEndpoint
{
  Connection          *conn;
  guint                index;          /* 0: client, 1: server */
  MsNode              *node;
  MsNetAddr            local;
  MsNetAddr            remote;
  char                *local_text;
  char                *remote_text;
  guint16              local_port;
  guint16              remote_port;
  EpState              state;
  guint32              isn;
  guint32              snd_nxt;
  guint32              rcv_nxt;
  gboolean             fin_sent;
  gboolean             fin_acked;
  gboolean             fin_received;
  gboolean             close_requested;
  gboolean             tls_requested;
  gboolean             encrypted;
  gboolean             need_ack;
  guint                batching;       /* >0 inside a handler: flush at its end */
  guint                flush_id;
  GByteArray          *pending;
  MsEngine            *engine;
  gboolean             engine_started;
  gulong               tls_handler;
  gulong               close_handler;
  MsProtocol           protocol;
  MsTraceSession      *session;
  MsSimTcpReceiveFunc  receive;
  MsSimTcpClosedFunc   closed;
  gpointer             user_data;
  MsSimTcpAcceptFunc   accept;
  gpointer             accept_data;
};

struct _Connection
{
  guint                ref;
  MsNetwork           *network;
  MsSimTcpEndpoint     ends[2];
  guint                timer_id;
  guint64              started_us;
  guint64              rto_us;
  guint                syn_attempts;
  MsSimTcpConnectFunc  connect_cb;
  gpointer             connect_data;
  gboolean             abort_scheduled;
  gboolean             done;
};

typedef struct
{
  Connection *conn;
  guint       index;
} EndRef;

static void request_flush (MsSimTcpEndpoint *ep);
static void schedule_abort (Connection *conn);
static void flush_now (MsSimTcpEndpoint *ep);
static void finish (Connection *conn);

static Connection *
conn_ref (Connection *conn)
{
  conn->ref++;
  return conn;
}

static void
detach_engine (MsSimTcpEndpoint *ep)
{
  if (ep->engine == NULL)
    return;
  g_clear_signal_handler (&ep->tls_handler, ep->engine);
  g_clear_signal_handler (&ep->close_handler, ep->engine);
  ms_engine_set_output_func (ep->engine, NULL, NULL, NULL);
  g_clear_object (&ep->engine);
}

static void
conn_unref (Connection *conn)
{
  g_assert (conn->ref > 0);
  if (--conn->ref > 0)
    return;
  for (guint i = 0; i < 2; i++)
    {
      MsSimTcpEndpoint *ep = &conn->ends[i];

      detach_engine (ep);
      g_free (ep->local_text);
      g_free (ep->remote_text);
      g_byte_array_unref (ep->pending);
    }
  g_free (conn);
}

static EndRef *
end_ref_new (MsSimTcpEndpoint *ep)
{
  EndRef *ref = g_new (EndRef, 1);

  ref->conn = conn_ref (ep->conn);
  ref->index = ep->index;
  return ref;
}

static void
end_ref_free (gpointer data)
{
  EndRef *ref = data;

  conn_unref (ref->conn);
  g_free (ref);
}

static inline MsSimTcpEndpoint *
peer_of (MsSimTcpEndpoint *ep)
{
  return &ep->conn->ends[1 - ep->index];
}

MsProtocol
ms_protocol_from_port (guint16 port)
{
  switch (port)
    {
    case 25: case 465: case 587:
      return MS_PROTOCOL_SMTP;
    case 110: case 995:
      return MS_PROTOCOL_POP3;
    case 143: case 993:
      return MS_PROTOCOL_IMAP;
    case 53:
      return MS_PROTOCOL_DNS;
    case 80: case 443:
      return MS_PROTOCOL_HTTP;
    default:
      return MS_PROTOCOL_UNKNOWN;
    }
}

/* SMTPS (RFC 8314), IMAPS and POP3S (RFC 8314 §7.3) */
gboolean
ms_sim_tcp_port_is_implicit_tls (guint16 port)
{
  return port == 465 || port == 993 || port == 995;
}

/* Segments */

static void deliver_segment (MsNetwork *network,
                             MsPacket  *packet,
                             MsNode    *destination,
                             gpointer   user_data);

static gboolean
send_segment (MsSimTcpEndpoint *ep,
              guint8            flags,
              GBytes           *payload)
{
  Connection *conn = ep->conn;
  MsNetwork *network = conn->network;
  MsPacket packet = { 0 };
  const MsRoute *route;
  MsNode *destination = NULL;
  gsize len = payload != NULL ? g_bytes_get_size (payload) : 0;

  route = _ms_network_route (network, ep->node, &ep->remote, &destination, NULL);
  if (route == NULL)
    {
      /* the topology changed under an open connection */
      g_clear_pointer (&payload, g_bytes_unref);
      return FALSE;
    }
  packet.family = ep->local.family;
  packet.protocol = MS_IP_PROTO_TCP;
  memcpy (packet.src_addr, ep->local.bytes, 16);
  memcpy (packet.dst_addr, ep->remote.bytes, 16);
  packet.src_port = ep->local_port;
  packet.dst_port = ep->remote_port;
  packet.tcp_flags = flags;
  packet.seq = ep->snd_nxt;
  packet.ack = (flags & MS_TCP_ACK) ? ep->rcv_nxt : 0;
  packet.window = (flags & MS_TCP_RST) ? 0 : MS_SIM_TCP_WINDOW;
  packet.mss = (flags & MS_TCP_SYN) ? ms_network_get_mss (network) : 0;
  packet.encrypted = ep->encrypted && len > 0;
  packet.session = ep->session != NULL ? ep->session->id : 0;
  packet.payload = len > 0 ? payload : NULL;
  if (len == 0)
    g_clear_pointer (&payload, g_bytes_unref);

  /* SYN and FIN each take one sequence number (RFC 9293 §3.4) */
  ep->snd_nxt += (guint32) len + ((flags & MS_TCP_SYN) ? 1 : 0) + ((flags & MS_TCP_FIN) ? 1 : 0);
  if (flags & MS_TCP_ACK)
    ep->need_ack = FALSE;

  if (!_ms_network_transmit (network, &packet, ep->node, route, destination,
                             deliver_segment, end_ref_new (peer_of (ep)), end_ref_free))
    {
      /* Only SYNs are retransmitted: a connection that loses anything else gives up. */
      if (!(flags & MS_TCP_SYN))
        schedule_abort (conn);
      return FALSE;
    }
  return TRUE;
}

static void
trace_event (MsSimTcpEndpoint *ep,
             const char       *type,
             const char       *first_key,
             const char       *first_value,
             const char       *second_key,
             const char       *second_value)
{
  MsTrace *trace = ms_network_get_trace (ep->conn->network);

  if (trace == NULL)
    return;
  ms_trace_add_event (trace, type, ep->node->name, ep->session != NULL ? ep->session->id : 0,
                      first_key, first_value, second_key, second_value, NULL);
}

/* Engines */

static void
engine_output (MsEngine     *engine,
               const guint8 *data,
               gsize         len,
               gpointer      user_data)
{
  MsSimTcpEndpoint *ep = user_data;

  g_byte_array_append (ep->pending, data, (guint) len);
  request_flush (ep);
}

static void
run_flush (MsScheduler *scheduler,
           gpointer     user_data)
{
  EndRef *ref = user_data;
  MsSimTcpEndpoint *ep = &ref->conn->ends[ref->index];

  ep->flush_id = 0;
  if (!ref->conn->done && ep->batching == 0)
    flush_now (ep);
}

static void
begin_batch (MsSimTcpEndpoint *ep)
{
  ep->batching++;
}

static void
end_batch (MsSimTcpEndpoint *ep)
{
  g_assert (ep->batching > 0);
  if (--ep->batching == 0 && !ep->conn->done)
    request_flush (ep);
}

static void
run_tls_established (MsScheduler *scheduler,
                     gpointer     user_data)
{
  EndRef *ref = user_data;
  MsSimTcpEndpoint *ep = &ref->conn->ends[ref->index];

  if (ref->conn->done || ep->engine == NULL)
    return;
  begin_batch (ep);
  ep->encrypted = TRUE;
  trace_event (ep, "tls", "mode", "starttls", "note", "simulated TLS handshake");
  ms_engine_tls_established (ep->engine, MS_TLS_STARTTLS);
  end_batch (ep);
}

static void
on_tls_requested (MsEngine *engine,
                  gpointer  user_data)
{
  MsSimTcpEndpoint *ep = user_data;

  ep->tls_requested = TRUE;
  request_flush (ep);
}

static void
on_close_requested (MsEngine *engine,
                    gpointer  user_data)
{
  MsSimTcpEndpoint *ep = user_data;

  ep->close_requested = TRUE;
  request_flush (ep);
}

static void
start_engine (MsSimTcpEndpoint *ep)
{
  MsTrace *trace = ms_network_get_trace (ep->conn->network);
  MsSimTcpEndpoint *client = &ep->conn->ends[0];
  MsSimTcpEndpoint *server = &ep->conn->ends[1];
  MsProtocol protocol = ep->protocol;

  if (ep->engine == NULL || ep->engine_started || ep->state != EP_ESTABLISHED)
    return;
  ep->engine_started = TRUE;
  if (protocol == MS_PROTOCOL_UNKNOWN)
    protocol = ms_protocol_from_port (server->local_port);
  if (trace != NULL && ep->session == NULL)
    {
      /* One connection is one trace session, recorded by one side only: both engines
       * see the same lines, and a learner must see them once. The server's engine
       * records when there is one; a client talking to a bare listener records. */
      MsSimTcpEndpoint *other = ep == client ? server : client;

      if (other->session != NULL)
        ep->session = other->session;
      else
        {
          /* the client as the server sees it: after NAT, the router's address and port */
          g_autofree char *c = ms_format_endpoint (server->remote_text, server->remote_port);
          g_autofree char *s = ms_format_endpoint (server->local_text, server->local_port);

          ep->session = ms_trace_open_session (trace, protocol, c, s);
          ms_trace_session_set_nodes (ep->session, client->node->name,
                                      server->node != NULL ? server->node->name : NULL);
        }
      if (ep == server || server->engine == NULL)
        {
          ms_engine_set_session (ep->engine, ep->session);
          if (ep == server && client->engine != NULL)
            ms_engine_set_session (client->engine, NULL);
        }
    }
  if (ep == server)
    ms_engine_set_endpoints (ep->engine, server->remote_text, server->remote_port,
                             server->local_text, server->local_port);
  else
    ms_engine_set_endpoints (ep->engine, client->local_text, client->local_port,
                             server->local_text, server->local_port);
  if (ms_sim_tcp_port_is_implicit_tls (server->local_port))
    {
      /* RFC 8314 §3: TLS from the first byte; the engine itself never sees it */
      ep->encrypted = TRUE;
      if (ep->session != NULL)
        ms_trace_session_set_tls (ep->session, MS_TLS_IMPLICIT);
    }
  begin_batch (ep);
  ms_engine_start (ep->engine);
  end_batch (ep);
}

/**
 * ms_sim_tcp_attach_engine:
 * @protocol: for the trace session; MS_PROTOCOL_UNKNOWN: from the server port
 *
 * Binds @engine to the endpoint for the rest of the connection; the engine starts when
 * the connection is established (at once if it already is).
 */
void
ms_sim_tcp_attach_engine (MsSimTcpEndpoint *ep,
                          MsEngine         *engine,
                          MsProtocol        protocol)
{
  g_return_if_fail (ep != NULL);
  g_return_if_fail (MS_IS_ENGINE (engine));
  g_return_if_fail (ep->engine == NULL);

  ep->engine = g_object_ref (engine);
  ep->protocol = protocol;
  ms_engine_set_output_func (engine, engine_output, ep, NULL);
  ep->tls_handler = g_signal_connect (engine, "tls-requested",
                                      G_CALLBACK (on_tls_requested), ep);
  ep->close_handler = g_signal_connect (engine, "close-requested",
                                        G_CALLBACK (on_close_requested), ep);
  start_engine (ep);
}

MsEngine *
ms_sim_tcp_endpoint_get_engine (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, NULL);
  return ep->engine;
}

MsTraceSession *
ms_sim_tcp_endpoint_get_session (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, NULL);
  return ep->session;
}

/* Sending */

/* Sending waits for the end of the current instant: the flush is an event at delay 0,
 * queued behind every segment already due now. So whatever an endpoint writes at one
 * instant goes out together (a multi-line reply is one segment), and segments arriving
 * together are acknowledged once, or by the reply they provoke (the effect of delayed
 * ACKs, RFC 9293 §3.8.6.3, without the timer). */
static void
request_flush (MsSimTcpEndpoint *ep)
{
  if (ep->conn->done || ep->state != EP_ESTABLISHED || ep->batching > 0 || ep->flush_id != 0)
    return;
  ep->flush_id = ms_scheduler_schedule (ms_network_get_scheduler (ep->conn->network), 0,
                                        "tcp-flush", run_flush, end_ref_new (ep),
                                        end_ref_free);
}

/* Sends what is pending, then a TLS hand-over or a FIN when asked, and a pure ACK when
 * something needs acknowledging and nothing else carried it. */
static void
flush_now (MsSimTcpEndpoint *ep)
{
  Connection *conn = ep->conn;
  MsNetwork *network = conn->network;

  if (conn->done || ep->state != EP_ESTABLISHED)
    return;
  if (ep->pending->len > 0 && !ep->fin_sent)
    {
      guint mss = ms_network_get_mss (network);
      g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (ep->pending);
      gsize len = g_bytes_get_size (bytes);

      ep->pending = g_byte_array_new ();
      for (gsize off = 0; off < len; off += mss)
        {
          gsize n = MIN (mss, len - off);
          guint8 flags = MS_TCP_ACK | (off + n == len ? MS_TCP_PSH : 0);

          send_segment (ep, flags, g_bytes_new_from_bytes (bytes, off, n));
          if (conn->done)
            return;
        }
    }
  if (ep->tls_requested)
    {
      ep->tls_requested = FALSE;
      ms_scheduler_schedule (ms_network_get_scheduler (network),
                             _ms_network_get_tls_delay (network), "tls-handshake",
                             run_tls_established, end_ref_new (ep), end_ref_free);
    }
  if (ep->close_requested && !ep->fin_sent)
    {
      ep->fin_sent = TRUE;
      send_segment (ep, MS_TCP_FIN | MS_TCP_ACK, NULL);
    }
  else if (ep->need_ack)
    send_segment (ep, MS_TCP_ACK, NULL);
}

void
ms_sim_tcp_endpoint_set_callbacks (MsSimTcpEndpoint    *ep,
                                   MsSimTcpReceiveFunc  receive,
                                   MsSimTcpClosedFunc   closed,
                                   gpointer             user_data)
{
  g_return_if_fail (ep != NULL);
  ep->receive = receive;
  ep->closed = closed;
  ep->user_data = user_data;
}

void
ms_sim_tcp_endpoint_send (MsSimTcpEndpoint *ep,
                          GBytes           *data)
{
  gsize len;
  gconstpointer bytes;

  g_return_if_fail (ep != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (!ep->fin_sent && !ep->close_requested);

  bytes = g_bytes_get_data (data, &len);
  g_byte_array_append (ep->pending, bytes, (guint) len);
  request_flush (ep);
}

void
ms_sim_tcp_endpoint_close (MsSimTcpEndpoint *ep)
{
  g_return_if_fail (ep != NULL);
  ep->close_requested = TRUE;
  request_flush (ep);
}

/* Receiving */

static void
deliver_data (MsSimTcpEndpoint *ep,
              GBytes           *data)
{
  if (ep->engine != NULL)
    {
      gsize len;
      const guint8 *bytes = g_bytes_get_data (data, &len);

      if (ep->engine_started && !ms_engine_is_closed (ep->engine))
        ms_engine_feed (ep->engine, bytes, len);
    }
  else if (ep->receive != NULL)
    ep->receive (ep, data, ep->user_data);
}

static void
deliver_eof (MsSimTcpEndpoint *ep)
{
  if (ep->engine != NULL)
    {
      if (ep->engine_started && !ms_engine_is_closed (ep->engine))
        ms_engine_peer_closed (ep->engine);
      /* like a server reading EOF: close our side too */
      ep->close_requested = TRUE;
    }
  else if (ep->receive != NULL)
    ep->receive (ep, NULL, ep->user_data);
}

static void
connect_failed (Connection *conn,
                GIOErrorEnum code,
                const char  *message)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, code, message);
  MsSimTcpEndpoint *client = &conn->ends[0];

  conn_ref (conn);
  trace_event (client, "connect-failed", "error", message, NULL, NULL);
  if (conn->connect_cb != NULL)
    conn->connect_cb (NULL, error, conn->connect_data);
  conn->connect_cb = NULL;
  finish (conn);
  conn_unref (conn);
}

static void
handle_established (MsSimTcpEndpoint *ep,
                    const MsPacket   *packet)
{
  gsize len = ms_packet_get_payload_size (packet);

  if (len > 0 && packet->seq == ep->rcv_nxt && !ep->fin_received)
    {
      ep->rcv_nxt += (guint32) len;
      ep->need_ack = TRUE;
      deliver_data (ep, packet->payload);
      if (ep->conn->done)
        return;
    }
  if ((packet->tcp_flags & MS_TCP_FIN) && packet->seq + len == ep->rcv_nxt
      && !ep->fin_received)
    {
      ep->rcv_nxt += 1;
      ep->fin_received = TRUE;
      ep->need_ack = TRUE;
      deliver_eof (ep);
      if (ep->conn->done)
        return;
    }
  if ((packet->tcp_flags & MS_TCP_ACK) && ep->fin_sent && packet->ack == ep->snd_nxt)
    ep->fin_acked = TRUE;
}

static void
handle_segment (MsSimTcpEndpoint *ep,
                const MsPacket   *packet,
                MsNode           *destination)
{
  Connection *conn = ep->conn;
  guint8 flags = packet->tcp_flags;
  MsTcpListener *listener;

  if (flags & MS_TCP_RST)
    {
      if (ep->state == EP_SYN_SENT)
        connect_failed (conn, G_IO_ERROR_CONNECTION_REFUSED, "Connection refused");
      else
        {
          if (ep->engine != NULL && ep->engine_started && !ms_engine_is_closed (ep->engine))
            ms_engine_peer_closed (ep->engine);
          finish (conn);
        }
      return;
    }

  switch (ep->state)
    {
    case EP_LISTEN:
      if (!(flags & MS_TCP_SYN))
        return;
      ep->rcv_nxt = packet->seq + 1;
      listener = g_hash_table_lookup (destination->tcp_listeners,
                                      GUINT_TO_POINTER (ep->local_port));
      if (listener == NULL)
        {
          /* RFC 9293 §3.10.7.1: a SYN to a closed port gets RST, ACK */
          ep->snd_nxt = 0;
          send_segment (ep, MS_TCP_RST | MS_TCP_ACK, NULL);
          return;
        }
      ep->accept = listener->accept;
      ep->accept_data = listener->user_data;
      ep->isn = g_rand_int (_ms_network_get_rand (conn->network));
      ep->snd_nxt = ep->isn;
      ep->state = EP_SYN_RECEIVED;
      send_segment (ep, MS_TCP_SYN | MS_TCP_ACK, NULL);
      return;

    case EP_SYN_RECEIVED:
      if (flags & MS_TCP_SYN)
        {
          /* a retransmitted SYN: our SYN, ACK was lost */
          ep->snd_nxt = ep->isn;
          send_segment (ep, MS_TCP_SYN | MS_TCP_ACK, NULL);
          return;
        }
      if (!(flags & MS_TCP_ACK) || packet->ack != ep->isn + 1)
        return;
      ep->state = EP_ESTABLISHED;
      begin_batch (ep);
      if (ep->accept != NULL)
        ep->accept (ep, ep->accept_data);
      if (!conn->done)
        handle_established (ep, packet);
      end_batch (ep);
      return;

    case EP_SYN_SENT:
      if ((flags & (MS_TCP_SYN | MS_TCP_ACK)) != (MS_TCP_SYN | MS_TCP_ACK)
          || packet->ack != ep->isn + 1)
        return;
      ep->rcv_nxt = packet->seq + 1;
      ep->state = EP_ESTABLISHED;
      if (conn->timer_id != 0)
        ms_scheduler_cancel (ms_network_get_scheduler (conn->network), conn->timer_id);
      conn->timer_id = 0;
      send_segment (ep, MS_TCP_ACK, NULL);
      begin_batch (ep);
      if (conn->connect_cb != NULL)
        {
          MsSimTcpConnectFunc cb = conn->connect_cb;

          conn->connect_cb = NULL;
          cb (ep, NULL, conn->connect_data);
        }
      if (!conn->done)
        start_engine (ep);
      end_batch (ep);
      return;

    case EP_ESTABLISHED:
      begin_batch (ep);
      handle_established (ep, packet);
      if (!conn->done)
        end_batch (ep);
      if (!conn->done && ep->fin_sent && ep->fin_acked && ep->fin_received
          && peer_of (ep)->fin_sent && peer_of (ep)->fin_acked)
        finish (conn);
      return;

    case EP_CLOSED:
    default:
      return;
    }
}

static void
deliver_segment (MsNetwork *network,
                 MsPacket  *packet,
                 MsNode    *destination,
                 gpointer   user_data)
{
  EndRef *ref = user_data;

  if (ref->conn->done)
    return;
  handle_segment (&ref->conn->ends[ref->index], packet, destination);
}

/* Setup and teardown */

static void
finish (Connection *conn)
{
  MsTrace *trace = ms_network_get_trace (conn->network);

  if (conn->done)
    return;
  conn->done = TRUE;
  if (conn->timer_id != 0)
    ms_scheduler_cancel (ms_network_get_scheduler (conn->network), conn->timer_id);
  conn->timer_id = 0;
  for (guint i = 0; i < 2; i++)
    {
      MsSimTcpEndpoint *ep = &conn->ends[i];

      ep->state = EP_CLOSED;
      if (ep->session != NULL && trace != NULL)
        ms_trace_close_session (trace, ep->session);
    }
  for (guint i = 0; i < 2; i++)
    {
      MsSimTcpEndpoint *ep = &conn->ends[i];

      if (ep->closed != NULL)
        ep->closed (ep, ep->user_data);
      detach_engine (ep);
    }
  _ms_network_connection_closed (conn->network, conn);
  conn_unref (conn);  /* the reference of the live connection */
}

static void
run_abort (MsScheduler *scheduler,
           gpointer     user_data)
{
  Connection *conn = user_data;

  if (conn->done)
    return;
  for (guint i = 0; i < 2; i++)
    {
      MsSimTcpEndpoint *ep = &conn->ends[i];

      if (ep->engine != NULL && ep->engine_started)
        trace_event (ep, "connection-aborted", "reason",
                     "a segment was dropped and never retransmitted", NULL, NULL);
      if (ep->engine != NULL && ep->engine_started && !ms_engine_is_closed (ep->engine))
        ms_engine_peer_closed (ep->engine);
      if (conn->done)
        return;
    }
  finish (conn);
}

/* What a real stack would do after its retransmissions ran out, one timeout later. */
static void
schedule_abort (Connection *conn)
{
  if (conn->abort_scheduled || conn->done)
    return;
  conn->abort_scheduled = TRUE;
  ms_scheduler_schedule (ms_network_get_scheduler (conn->network),
                         _ms_network_get_connect_timeout (conn->network), "tcp-abort",
                         run_abort, conn_ref (conn), (GDestroyNotify) conn_unref);
}

static void
abandon (gpointer data)
{
  Connection *conn = data;

  conn->done = TRUE;
  detach_engine (&conn->ends[0]);
  detach_engine (&conn->ends[1]);
  conn_unref (conn);
}

static void
send_syn (Connection *conn)
{
  MsSimTcpEndpoint *client = &conn->ends[0];

  client->snd_nxt = client->isn;
  conn->syn_attempts++;
  send_segment (client, MS_TCP_SYN, NULL);
}

static void
run_syn_timer (MsScheduler *scheduler,
               gpointer     user_data)
{
  Connection *conn = user_data;
  guint64 now = ms_scheduler_get_now (scheduler);
  guint64 deadline = conn->started_us + _ms_network_get_connect_timeout (conn->network);

  conn->timer_id = 0;
  if (conn->done || conn->ends[0].state != EP_SYN_SENT)
    return;
  if (now >= deadline)
    {
      g_autofree char *message =
        g_strdup_printf ("Connection timed out (%u SYN sent, no answer)", conn->syn_attempts);

      connect_failed (conn, G_IO_ERROR_TIMED_OUT, message);
      return;
    }
  send_syn (conn);
  conn->rto_us *= 2;
  conn->timer_id = ms_scheduler_schedule (scheduler, MIN (conn->rto_us, deadline - now),
                                          "tcp-syn-timer", run_syn_timer, conn_ref (conn),
                                          (GDestroyNotify) conn_unref);
}

static void
endpoint_init (MsSimTcpEndpoint *ep,
               Connection       *conn,
               guint             index,
               MsNode           *node,
               const MsNetAddr  *local,
               guint16           local_port,
               const MsNetAddr  *remote,
               guint16           remote_port)
{
  ep->conn = conn;
  ep->index = index;
  ep->node = node;
  ep->local = *local;
  ep->remote = *remote;
  ep->local_text = _ms_net_addr_to_string (local);
  ep->remote_text = _ms_net_addr_to_string (remote);
  ep->local_port = local_port;
  ep->remote_port = remote_port;
  ep->pending = g_byte_array_new ();
}

/**
 * ms_network_connect:
 * @callback: (nullable): told once whether the connection came up
 *
 * Sends a SYN now. Returns: (transfer none): the client endpoint, valid until its
 * connection is over
 */
MsSimTcpEndpoint *
ms_network_connect (MsNetwork            *network,
                    MsNode               *client,
                    const char           *server_address,
                    guint16               port,
                    MsSimTcpConnectFunc   callback,
                    gpointer              user_data,
                    GError              **error)
{
  MsNetAddr dst;
  const MsRoute *route;
  MsNode *server = NULL;
  Connection *conn;
  MsScheduler *scheduler;
  guint64 timeout;
  MsNetAddr seen_addr;
  guint16 seen_port;

  g_return_val_if_fail (MS_IS_NETWORK (network), NULL);
  g_return_val_if_fail (client != NULL, NULL);
  g_return_val_if_fail (port != 0, NULL);

  if (!_ms_net_addr_parse (server_address, &dst))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", server_address);
      return NULL;
    }
  route = _ms_network_route (network, client, &dst, &server, error);
  if (route == NULL)
    return NULL;

  scheduler = ms_network_get_scheduler (network);
  conn = g_new0 (Connection, 1);
  conn->ref = 1;  /* the live connection's own reference */
  conn->network = network;
  conn->connect_cb = callback;
  conn->connect_data = user_data;
  conn->started_us = ms_scheduler_get_now (scheduler);
  conn->rto_us = MS_SIM_TCP_INITIAL_RTO;
  endpoint_init (&conn->ends[0], conn, 0, client, &route->src_addr, ms_node_next_port (client),
                 &dst, port);
  /* Source NAT on the way: the server sees (and answers) the last router's address and
   * port, not the client's (RFC 3022 §2.2) */
  seen_addr = route->src_addr;
  seen_port = conn->ends[0].local_port;
  for (guint i = 0; i < route->routers->len; i++)
    {
      MsNode *router = g_ptr_array_index (route->routers, i);
      MsNetAddr public_addr;
      guint16 public_port;

      if (_ms_router_nat_map (router, MS_IP_PROTO_TCP, &seen_addr, seen_port,
                              g_ptr_array_index (route->subnets, i + 1), &public_addr,
                              &public_port))
        {
          MsTrace *trace = ms_network_get_trace (network);
          g_autofree char *in_addr = _ms_net_addr_to_string (&seen_addr);
          g_autofree char *out_addr = _ms_net_addr_to_string (&public_addr);
          g_autofree char *in_ep = ms_format_endpoint (in_addr, seen_port);
          g_autofree char *out_ep = ms_format_endpoint (out_addr, public_port);
          g_autofree char *to_ep = ms_format_endpoint (server_address, port);

          g_autofree char *note = g_strdup_printf ("NAT at %s: %s -> %s (the inside leg, "
                                                   "from %s, is not captured)",
                                                   ms_node_get_name (router), in_ep, out_ep,
                                                   ms_node_get_name (client));

          /* the SYN, captured on the outside link, says where it came from */
          ms_network_add_packet_comment (network, note);
          if (trace != NULL)
            ms_trace_add_event (trace, "nat", ms_node_get_name (router), 0,
                                "inside", in_ep, "outside", out_ep, "server", to_ep,
                                "client_node", ms_node_get_name (client), NULL);
          seen_addr = public_addr;
          seen_port = public_port;
        }
    }
  endpoint_init (&conn->ends[1], conn, 1, server, &dst, port, &seen_addr, seen_port);
  conn->ends[0].state = EP_SYN_SENT;
  conn->ends[0].isn = g_rand_int (_ms_network_get_rand (network));
  conn->ends[1].state = EP_LISTEN;
  _ms_network_connection_opened (network, conn, abandon);

  send_syn (conn);
  timeout = _ms_network_get_connect_timeout (network);
  conn->timer_id = ms_scheduler_schedule (scheduler, MIN (conn->rto_us, timeout),
                                          "tcp-syn-timer", run_syn_timer, conn_ref (conn),
                                          (GDestroyNotify) conn_unref);
  return &conn->ends[0];
}

gboolean
ms_node_listen (MsNode             *node,
                guint16             port,
                MsSimTcpAcceptFunc  accept,
                gpointer            user_data,
                GDestroyNotify      destroy)
{
  MsTcpListener *listener;

  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (port != 0, FALSE);
  g_return_val_if_fail (accept != NULL, FALSE);

  if (g_hash_table_contains (node->tcp_listeners, GUINT_TO_POINTER (port)))
    return FALSE;
  listener = g_new0 (MsTcpListener, 1);
  listener->accept = accept;
  listener->user_data = user_data;
  listener->destroy = destroy;
  g_hash_table_insert (node->tcp_listeners, GUINT_TO_POINTER (port), listener);
  return TRUE;
}

gboolean
ms_node_unlisten (MsNode  *node,
                  guint16  port)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return g_hash_table_remove (node->tcp_listeners, GUINT_TO_POINTER (port));
}

/* Accessors */

MsNode *
ms_sim_tcp_endpoint_get_node (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, NULL);
  return ep->node;
}

const char *
ms_sim_tcp_endpoint_get_local_address (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, NULL);
  return ep->local_text;
}

guint16
ms_sim_tcp_endpoint_get_local_port (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, 0);
  return ep->local_port;
}

const char *
ms_sim_tcp_endpoint_get_remote_address (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, NULL);
  return ep->remote_text;
}

guint16
ms_sim_tcp_endpoint_get_remote_port (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, 0);
  return ep->remote_port;
}

gboolean
ms_sim_tcp_endpoint_is_client (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, FALSE);
  return ep->index == 0;
}

gboolean
ms_sim_tcp_endpoint_is_established (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, FALSE);
  return ep->state == EP_ESTABLISHED;
}

gboolean
ms_sim_tcp_endpoint_is_encrypted (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, FALSE);
  return ep->encrypted;
}

/* For endpoints driven by hand on an implicit-TLS port (HTTPS on 443): what this side
 * sends from now on is inside (simulated) TLS. */
void
ms_sim_tcp_endpoint_set_encrypted (MsSimTcpEndpoint *ep)
{
  g_return_if_fail (ep != NULL);
  ep->encrypted = TRUE;
}

guint32
ms_sim_tcp_endpoint_get_isn (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, 0);
  return ep->isn;
}

guint32
ms_sim_tcp_endpoint_get_snd_nxt (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, 0);
  return ep->snd_nxt;
}

guint32
ms_sim_tcp_endpoint_get_rcv_nxt (MsSimTcpEndpoint *ep)
{
  g_return_val_if_fail (ep != NULL, 0);
  return ep->rcv_nxt;
}
