/* ms-sim-tcp.h: simulated TCP over the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connections have a three-way handshake with seeded random initial sequence numbers,
 * data segments cut at the MSS with true seq/ack numbers, ACKs, FIN teardown in both
 * directions, RST for a closed port, and SYN retransmissions up to a connect timeout
 * when something drops the SYN. Segments are never lost otherwise and arrive in order.
 *
 * An endpoint either carries an MsEngine (ms_sim_tcp_attach_engine: the usual case) or
 * is driven by hand (ms_sim_tcp_endpoint_send / _close with a receive callback).
 * An endpoint stays valid until its "closed" callback has returned.
 */
#pragma once

#include "ms-engine.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

/* Called once: with the client endpoint when the handshake completed, or with NULL and
 * a G_IO_ERROR (CONNECTION_REFUSED, TIMED_OUT, HOST_UNREACHABLE, CONNECTION_CLOSED). */
typedef void (*MsSimTcpConnectFunc) (MsSimTcpEndpoint *endpoint,
                                     const GError     *error,
                                     gpointer          user_data);
/* A server endpoint whose handshake completed. */
typedef void (*MsSimTcpAcceptFunc)  (MsSimTcpEndpoint *endpoint,
                                     gpointer          user_data);
typedef void (*MsSimTcpReceiveFunc) (MsSimTcpEndpoint *endpoint,
                                     GBytes           *data,
                                     gpointer          user_data);
/* The connection is over (both FINs acknowledged, or a reset). */
typedef void (*MsSimTcpClosedFunc)  (MsSimTcpEndpoint *endpoint,
                                     gpointer          user_data);

#define MS_SIM_TCP_DEFAULT_MSS             1460u
#define MS_SIM_TCP_DEFAULT_CONNECT_TIMEOUT (15u * G_USEC_PER_SEC)
#define MS_SIM_TCP_INITIAL_RTO             (1u * G_USEC_PER_SEC)  /* RFC 6298 §2.1 */
#define MS_SIM_TCP_WINDOW                  65535u

gboolean          ms_node_listen                    (MsNode              *node,
                                                     guint16              port,
                                                     MsSimTcpAcceptFunc   accept,
                                                     gpointer             user_data,
                                                     GDestroyNotify       destroy);
gboolean          ms_node_unlisten                  (MsNode              *node,
                                                     guint16              port);

/* Opens a connection from @client to @server_address:@port. Returns the client endpoint
 * (not connected yet; an engine may be attached at once) or NULL with @error when there
 * is no route at all. */
MsSimTcpEndpoint *ms_network_connect                (MsNetwork           *network,
                                                     MsNode              *client,
                                                     const char          *server_address,
                                                     guint16              port,
                                                     MsSimTcpConnectFunc  callback,
                                                     gpointer             user_data,
                                                     GError             **error);

/* The engine's output goes over the connection, received bytes into ms_engine_feed,
 * "close-requested" becomes a FIN after the pending data, "tls-requested" a simulated
 * TLS handshake (a short delay, then ms_engine_tls_established); on 465/993/995 the
 * whole session counts as TLS. A trace session (@protocol, or from the port when
 * UNKNOWN) opens when the connection is up and closes with it. An engine on a
 * connection that never comes up is never started: its owner learns it from the
 * connect callback. */
void              ms_sim_tcp_attach_engine          (MsSimTcpEndpoint    *endpoint,
                                                     MsEngine            *engine,
                                                     MsProtocol           protocol);
MsEngine         *ms_sim_tcp_endpoint_get_engine    (MsSimTcpEndpoint    *endpoint);
MsTraceSession   *ms_sim_tcp_endpoint_get_session   (MsSimTcpEndpoint    *endpoint);

void              ms_sim_tcp_endpoint_set_callbacks (MsSimTcpEndpoint    *endpoint,
                                                     MsSimTcpReceiveFunc  receive,
                                                     MsSimTcpClosedFunc   closed,
                                                     gpointer             user_data);
void              ms_sim_tcp_endpoint_send          (MsSimTcpEndpoint    *endpoint,
                                                     GBytes              *data);
/* FIN after the pending data. */
void              ms_sim_tcp_endpoint_close         (MsSimTcpEndpoint    *endpoint);

MsNode           *ms_sim_tcp_endpoint_get_node      (MsSimTcpEndpoint    *endpoint);
const char       *ms_sim_tcp_endpoint_get_local_address  (MsSimTcpEndpoint *endpoint);
guint16           ms_sim_tcp_endpoint_get_local_port     (MsSimTcpEndpoint *endpoint);
const char       *ms_sim_tcp_endpoint_get_remote_address (MsSimTcpEndpoint *endpoint);
guint16           ms_sim_tcp_endpoint_get_remote_port    (MsSimTcpEndpoint *endpoint);
gboolean          ms_sim_tcp_endpoint_is_client     (MsSimTcpEndpoint    *endpoint);
gboolean          ms_sim_tcp_endpoint_is_established (MsSimTcpEndpoint   *endpoint);
gboolean          ms_sim_tcp_endpoint_is_encrypted  (MsSimTcpEndpoint    *endpoint);
/* Hand-driven endpoints (HTTPS): this side's bytes from now on are inside simulated TLS. */
void              ms_sim_tcp_endpoint_set_encrypted (MsSimTcpEndpoint    *endpoint);
/* The initial sequence number and the next one to send / expect. */
guint32           ms_sim_tcp_endpoint_get_isn       (MsSimTcpEndpoint    *endpoint);
guint32           ms_sim_tcp_endpoint_get_snd_nxt   (MsSimTcpEndpoint    *endpoint);
guint32           ms_sim_tcp_endpoint_get_rcv_nxt   (MsSimTcpEndpoint    *endpoint);

MsProtocol        ms_protocol_from_port             (guint16              port);
/* 465, 993, 995: an engine on such a port talks inside TLS from the start */
gboolean          ms_sim_tcp_port_is_implicit_tls   (guint16              port);

G_END_DECLS
