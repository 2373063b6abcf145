/* ms-packet.h: one simulated packet, as the packet log keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The log is taken at the sender's interface: a packet a router drops is still there,
 * with dropped_by saying who dropped it and why. The window's packet list and the
 * pcapng export read it.
 */
#pragma once

#include "ms-net-types.h"

G_BEGIN_DECLS

typedef enum
{
  MS_TCP_FIN = 0x01,
  MS_TCP_SYN = 0x02,
  MS_TCP_RST = 0x04,
  MS_TCP_PSH = 0x08,
  MS_TCP_ACK = 0x10,
} MsTcpFlags;

struct _MsPacket
{
  guint64   t_us;            /* virtual time it left the sender */
  guint8    family;          /* 4 or 6 */
  guint8    protocol;        /* MS_IP_PROTO_TCP or _UDP */
  guint8    tcp_flags;       /* MsTcpFlags */
  gboolean  encrypted;       /* sent inside (simulated) TLS: the payload is shown in clear */
  guint8    src_addr[16];    /* network order; 4 bytes used for IPv4 */
  guint8    dst_addr[16];
  guint16   src_port;
  guint16   dst_port;
  guint32   seq;             /* TCP only */
  guint32   ack;
  guint16   window;
  guint16   mss;             /* the MSS option of a SYN, or 0 */
  guint     src_node;        /* node ids: the sender and the next hop (for MAC addresses) */
  guint     next_hop_node;
  guint     session;         /* the trace session of the sending side, or 0 */
  GBytes   *payload;         /* NULL when empty */
  char     *comment;         /* narration attached to the packet, or NULL */
  char     *dropped_by;      /* "router: reason" when a filter dropped it, or NULL */
};

gsize  ms_packet_get_payload_size (const MsPacket *packet);
/* "203.0.113.10" / "2001:db8::1" */
char  *ms_packet_dup_src_address  (const MsPacket *packet);
char  *ms_packet_dup_dst_address  (const MsPacket *packet);
/* "SYN, ACK" style flag names, like Wireshark's info column */
char  *ms_packet_dup_flags_string (const MsPacket *packet);

G_END_DECLS
