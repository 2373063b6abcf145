/* ms-pcapng-writer.h: writes pcapng files (Ethernet, IPv4/IPv6, TCP/UDP)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One section, one Ethernet interface with microsecond timestamps, and an Enhanced
 * Packet Block per packet, whose Ethernet, IP and TCP/UDP headers are built here with
 * correct lengths and checksums. Packet comments (opt_comment) carry narration and drop
 * reasons; Wireshark shows them as frame.comment.
 *
 * ms_pcapng_writer_write_frame copies captured frames as they are, of any link type
 * (one interface per link type, nanosecond timestamps), with any number of comments:
 * `capture --write` and the annotations' export use it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MS_PCAPNG_LINKTYPE_ETHERNET 1
#define MS_PCAPNG_SNAPLEN           262144
#define MS_PCAPNG_TTL               64

typedef struct
{
  gint64        timestamp_us;   /* microseconds since the Unix epoch */
  guint8        src_mac[6];
  guint8        dst_mac[6];
  guint8        family;         /* 4 or 6 */
  const guint8 *src_addr;       /* 4 or 16 bytes, network order */
  const guint8 *dst_addr;
  guint8        protocol;       /* 6 TCP, 17 UDP */
  guint16       src_port;
  guint16       dst_port;
  guint32       seq;            /* TCP */
  guint32       ack;
  guint8        tcp_flags;
  guint16       window;
  guint16       mss;            /* an MSS option (SYN), or 0 */
  const guint8 *payload;
  gsize         payload_len;
  const char   *comment;        /* UTF-8, or NULL */
} MsPcapngPacket;

typedef struct _MsPcapngWriter MsPcapngWriter;

MsPcapngWriter *ms_pcapng_writer_new          (GOutputStream        *stream,
                                               const char           *application,
                                               GError              **error);
MsPcapngWriter *ms_pcapng_writer_new_for_path (const char           *path,
                                               const char           *application,
                                               GError              **error);
gboolean        ms_pcapng_writer_write        (MsPcapngWriter       *self,
                                               const MsPcapngPacket *packet,
                                               GError              **error);
/* A writer with no interface yet, for ms_pcapng_writer_write_frame only. */
MsPcapngWriter *ms_pcapng_writer_new_for_frames (GOutputStream      *stream,
                                                 const char         *application,
                                                 GError            **error);
/* One captured frame as it is: the interface for @link_type is declared on first use.
 * @comments: NULL-terminated UTF-8 strings (one opt_comment each), or NULL. */
gboolean        ms_pcapng_writer_write_frame  (MsPcapngWriter       *self,
                                               int                   link_type,
                                               gint64                t_ns,
                                               const guint8         *data,
                                               guint32               caplen,
                                               guint32               wirelen,
                                               const char * const   *comments,
                                               GError              **error);
gboolean        ms_pcapng_writer_flush        (MsPcapngWriter       *self,
                                               GError              **error);
gboolean        ms_pcapng_writer_close        (MsPcapngWriter       *self,
                                               GError              **error);
void            ms_pcapng_writer_free         (MsPcapngWriter       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsPcapngWriter, ms_pcapng_writer_free)

/* The Internet checksum (RFC 1071) over @data, continuing from @sum (0 to start). */
guint32         ms_inet_checksum_add          (guint32               sum,
                                               const guint8         *data,
                                               gsize                 len);
guint16         ms_inet_checksum_finish       (guint32               sum);

G_END_DECLS
