/* ms-network.h: the virtual network, a whole mail system in one process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Named subnets with prefixes and latencies, nodes with addresses in them, routers with
 * filters between them, simulated TCP and UDP (DNS) over a discrete-event scheduler.
 * Everything that happens is deterministic for a given seed: the seed drives the TCP
 * initial sequence numbers and DNS query ids, nothing else is random, and there is no
 * wall clock. Every packet goes into a packet log (ms_network_get_packets) that the
 * pcapng export writes out.
 */
#pragma once

#include <glib-object.h>

#include "ms-net-types.h"
#include "ms-node.h"
#include "ms-packet.h"
#include "ms-router-filter.h"
#include "ms-scheduler.h"
#include "ms-sim-dns.h"
#include "ms-sim-tcp.h"
#include "ms-sim-udp.h"
#include "ms-subnet.h"
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_NETWORK_ERROR (ms_network_error_quark ())

typedef enum
{
  MS_NETWORK_ERROR_FAILED,
  MS_NETWORK_ERROR_INVALID_ADDRESS,  /* not an address / CIDR, or outside the subnet */
  MS_NETWORK_ERROR_EXISTS,           /* a name, address or port already taken */
  MS_NETWORK_ERROR_NOT_FOUND,        /* no such subnet or node */
} MsNetworkError;

/* Virtual time 0 is 2026-01-01T00:00:00Z for dates in headers and pcapng timestamps. */
#define MS_NETWORK_EPOCH_UNIX_US     (G_GINT64_CONSTANT (1767225600) * G_USEC_PER_SEC)
#define MS_NETWORK_DEFAULT_LATENCY   (1000u)        /* 1 ms per subnet crossed */
#define MS_NETWORK_DEFAULT_TLS_DELAY (2000u)        /* the simulated TLS handshake */

#define MS_TYPE_NETWORK (ms_network_get_type ())
G_DECLARE_FINAL_TYPE (MsNetwork, ms_network, MS, NETWORK, GObject)

GQuark        ms_network_error_quark            (void);

MsNetwork    *ms_network_new                    (guint32       seed);
guint32       ms_network_get_seed               (MsNetwork    *self);
MsScheduler  *ms_network_get_scheduler          (MsNetwork    *self);
guint64       ms_network_get_now                (MsNetwork    *self);
/* Runs the scheduler until nothing is left to do. */
gboolean      ms_network_run                    (MsNetwork    *self,
                                                 GError      **error);

/* The trace gets the virtual clock; sessions, "blocked", "dns" and "tls" events go there. */
void          ms_network_set_trace              (MsNetwork    *self,
                                                 MsTrace      *trace);
MsTrace      *ms_network_get_trace              (MsNetwork    *self);
/* Microseconds since the Unix epoch on the virtual clock: an MsSmtpClockFunc. */
gint64        ms_network_unix_clock             (gpointer      network);

MsSubnet     *ms_network_add_subnet             (MsNetwork    *self,
                                                 const char   *name,
                                                 const char   *cidr,
                                                 guint64       latency_us,
                                                 GError      **error);
MsSubnet     *ms_network_get_subnet             (MsNetwork    *self,
                                                 const char   *name);
guint         ms_network_get_n_subnets          (MsNetwork    *self);
MsNode       *ms_network_add_node               (MsNetwork    *self,
                                                 const char   *name,
                                                 GError      **error);
MsNode       *ms_network_get_node               (MsNetwork    *self,
                                                 const char   *name);
MsNode       *ms_network_find_node_by_address   (MsNetwork    *self,
                                                 const char   *address);
guint         ms_network_get_n_nodes            (MsNetwork    *self);
MsNode       *ms_network_get_nth_node           (MsNetwork    *self,
                                                 guint         index);

/* The packet log (on by default; off for benchmarks). */
void          ms_network_set_record_packets     (MsNetwork    *self,
                                                 gboolean      record);
const MsPacket *ms_network_get_packets          (MsNetwork    *self,
                                                 guint        *n_packets);
void          ms_network_clear_packets          (MsNetwork    *self);
/* Narration: the text becomes the comment of the next packet logged. */
void          ms_network_add_packet_comment     (MsNetwork    *self,
                                                 const char   *comment);

void          ms_network_set_mss                (MsNetwork    *self,
                                                 guint         mss);
guint         ms_network_get_mss                (MsNetwork    *self);
void          ms_network_set_connect_timeout    (MsNetwork    *self,
                                                 guint64       timeout_us);
void          ms_network_set_dns_timeout        (MsNetwork    *self,
                                                 guint64       timeout_us);
void          ms_network_set_tls_delay          (MsNetwork    *self,
                                                 guint64       delay_us);
guint         ms_network_get_n_open_connections (MsNetwork    *self);

/* pcapng with Ethernet/IP/TCP/UDP headers and the comments (ms-network-pcapng.c). */
gboolean      ms_network_write_pcapng           (MsNetwork    *self,
                                                 const char   *path,
                                                 GError      **error);

G_END_DECLS
