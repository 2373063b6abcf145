/* ms-tcp-stream.h: TCP reassembly of captured segments into ordered byte streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The consumer (the mail observers) sees each TCP connection as two ordered byte
 * streams, one per direction, through MsTcpStreamCallbacks: opened, data (in order,
 * each byte once), gap (bytes that were never captured), closed. Overlapping data
 * follows the "first data wins" policy (Suricata's BSD/first); see docs/capture.md.
 *
 * Memory is bounded by the open connections (MS_TCP_MAX_CONNECTIONS) and by the
 * out-of-order buffer of each direction (MS_TCP_MAX_OOO_BYTES); a closed connection
 * is handed on through `closed` and freed right after.
 */
#pragma once

#include <glib.h>
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_TCP_MAX_CONNECTIONS    65536            /* oldest idle one closed beyond this */
#define MS_TCP_MAX_OOO_BYTES      (1024 * 1024)    /* per direction, before a gap is declared */
#define MS_TCP_MAX_OOO_SEGMENTS   2048             /* per direction */
#define MS_TCP_IDLE_TIMEOUT_US    (G_GINT64_CONSTANT (600) * G_USEC_PER_SEC)
#define MS_TCP_CLOSED_LINGER_US   (G_GINT64_CONSTANT (5) * G_USEC_PER_SEC)

typedef enum
{
  MS_TCP_CLOSE_FIN,             /* both sides sent FIN (or one FIN, then nothing more) */
  MS_TCP_CLOSE_RST,
  MS_TCP_CLOSE_TIMEOUT,         /* idle longer than MS_TCP_IDLE_TIMEOUT_US, or evicted */
  MS_TCP_CLOSE_END_OF_CAPTURE,  /* still open when the capture ended */
} MsTcpCloseReason;

const char *ms_tcp_close_reason_to_string (MsTcpCloseReason reason);

typedef struct
{
  guint     id;                 /* 1, 2, ... in order of first packet */
  char     *client_address;     /* "192.0.2.1" or "2001:db8::1" */
  guint16   client_port;
  char     *server_address;
  guint16   server_port;
  gboolean  saw_handshake;      /* the SYN was captured (else: picked up mid-stream) */
  gint64    first_us;           /* capture time of the first packet, µs since the epoch */
  gpointer  conn_data;          /* free for the consumer: set it in `opened`, free it in `closed` */
} MsTcpConnInfo;

/* The client is the SYN sender; for a connection seen mid-stream, the side on a known
 * mail port (25, 465, 587, 2525, 110, 995, 143, 993), else on the lower port below
 * 1024, else the lower port, is the server. All callbacks are optional. `bytes` is only
 * valid during the call. `first_frame_number` is the capture frame (1-based) that
 * carried the first of these bytes. */
typedef struct
{
  void (*opened) (MsTcpConnInfo *info, gpointer user_data);
  void (*data)   (MsTcpConnInfo *info, MsDirection dir, gint64 t_us,
                  const guint8 *bytes, gsize len, guint64 first_frame_number,
                  gpointer user_data);
  void (*gap)    (MsTcpConnInfo *info, MsDirection dir, gint64 t_us,
                  gsize missing_bytes, gpointer user_data);
  void (*closed) (MsTcpConnInfo *info, gint64 t_us, MsTcpCloseReason reason,
                  gpointer user_data);
  gpointer user_data;
} MsTcpStreamCallbacks;

/* TCP flag bits as on the wire. */
#define MS_TCP_FIN 0x01
#define MS_TCP_SYN 0x02
#define MS_TCP_RST 0x04
#define MS_TCP_PSH 0x08
#define MS_TCP_ACK 0x10

/* One decoded TCP segment, as the capture reader hands it to the reassembler (tests
 * build these by hand). Addresses are in network order: 4 bytes (family 4) or 16. */
typedef struct
{
  guint8        family;         /* 4 or 6 */
  guint8        src[16];
  guint8        dst[16];
  guint16       src_port;
  guint16       dst_port;
  guint32       seq;
  guint32       ack;
  guint8        flags;          /* MS_TCP_* */
  const guint8 *payload;
  gsize         payload_len;
  gint64        t_us;
  guint64       frame_number;
} MsTcpSegment;

typedef struct
{
  guint64 connections;          /* opened so far */
  guint64 open_connections;     /* open now */
  guint64 segments;
  guint64 bytes_delivered;      /* both directions */
  guint64 bytes_missing;        /* reported as gaps */
  guint64 duplicate_bytes;      /* retransmitted or overlapping bytes dropped */
  guint64 evictions;            /* connections closed because the table was full */
} MsTcpReassemblerStats;

typedef struct _MsTcpReassembler MsTcpReassembler;

MsTcpReassembler *ms_tcp_reassembler_new        (const MsTcpStreamCallbacks *callbacks);
void              ms_tcp_reassembler_free       (MsTcpReassembler *self);
void              ms_tcp_reassembler_set_callbacks (MsTcpReassembler           *self,
                                                    const MsTcpStreamCallbacks *callbacks);
/* Limits (0 keeps the default); for tests and for the command line. */
void              ms_tcp_reassembler_set_limits (MsTcpReassembler *self,
                                                 guint             max_connections,
                                                 gsize             max_ooo_bytes,
                                                 gint64            idle_timeout_us);
void              ms_tcp_reassembler_add        (MsTcpReassembler   *self,
                                                 const MsTcpSegment *segment);
/* Closes connections idle since before now_us - timeout (called by the reader as
 * capture time advances). */
void              ms_tcp_reassembler_expire     (MsTcpReassembler *self,
                                                 gint64            now_us);
/* End of capture: flushes buffered data (declaring gaps) and closes everything. */
void              ms_tcp_reassembler_finish     (MsTcpReassembler *self,
                                                 gint64            t_us);
const MsTcpReassemblerStats *ms_tcp_reassembler_get_stats (MsTcpReassembler *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTcpReassembler, ms_tcp_reassembler_free)

G_END_DECLS
