/* ms-capture-reader.h: reads pcap/pcapng files and live interfaces into TCP streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Decodes the link layer (Ethernet with 802.1Q/QinQ, Linux SLL/SLL2, raw IP, BSD
 * null/loopback), IPv4 (fragments reassembled) and IPv6 (extension headers, fragments),
 * and feeds TCP segments to an MsTcpReassembler whose MsTcpStreamCallbacks the caller
 * sets. Everything else is counted and skipped. See docs/capture.md.
 */
#pragma once

#include <stdio.h>
#include <glib.h>
#include "ms-tcp-stream.h"
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_CAPTURE_ERROR (ms_capture_error_quark ())

typedef enum
{
  MS_CAPTURE_ERROR_OPEN,                  /* missing, unreadable or not a capture file */
  MS_CAPTURE_ERROR_UNSUPPORTED_LINKTYPE,
  MS_CAPTURE_ERROR_TRUNCATED,             /* the file ends inside a packet */
  MS_CAPTURE_ERROR_PERMISSION,            /* live capture without the capability */
  MS_CAPTURE_ERROR_FAILED,
} MsCaptureError;

GQuark ms_capture_error_quark (void);

/* Why a packet could not be decoded (counted, never fatal). */
typedef enum
{
  MS_CAPTURE_DECODE_LINK,          /* link header shorter than needed / unknown ethertype */
  MS_CAPTURE_DECODE_IPV4,          /* bad IPv4 header */
  MS_CAPTURE_DECODE_IPV6,          /* bad IPv6 header or extension chain */
  MS_CAPTURE_DECODE_TCP,           /* bad TCP header */
  MS_CAPTURE_DECODE_SNAPLEN,       /* payload cut by the capture's snap length */
  MS_CAPTURE_DECODE_FRAGMENT,      /* fragment dropped (table full, timeout, overlap) */
  MS_CAPTURE_DECODE_N_KINDS,
} MsCaptureDecodeError;

const char *ms_capture_decode_error_to_string (MsCaptureDecodeError kind);

typedef struct
{
  guint64 packets;
  guint64 bytes;                   /* captured bytes read */
  guint64 tcp_segments;
  guint64 non_tcp_skipped;         /* UDP, ICMP, ARP, ... */
  guint64 fragments;               /* IP fragments seen */
  guint64 reassembled_datagrams;
  guint64 decode_errors[MS_CAPTURE_DECODE_N_KINDS];
} MsCaptureStats;

typedef struct _MsCaptureReader MsCaptureReader;

MsCaptureReader *ms_capture_reader_open_file (const char *path,
                                              GError    **error);
/* Takes ownership of fp (closed by ms_capture_reader_free); for in-memory input. */
MsCaptureReader *ms_capture_reader_open_stream (FILE    *fp,
                                                GError **error);
/* bpf_filter may be NULL. */
MsCaptureReader *ms_capture_reader_open_live (const char *interface,
                                              const char *bpf_filter,
                                              GError    **error);
void             ms_capture_reader_free      (MsCaptureReader *self);

void             ms_capture_reader_set_callbacks (MsCaptureReader            *self,
                                                  const MsTcpStreamCallbacks *callbacks);
/* Offline: reads up to max_packets (-1: to the end of the file); at the end of the
 * file it closes every connection (MS_TCP_CLOSE_END_OF_CAPTURE). Live: dispatches the
 * packets available now (non-blocking). FALSE with error on a read error; for a
 * truncated file the packets before the cut have been delivered. */
gboolean         ms_capture_reader_run       (MsCaptureReader *self,
                                              gint64           max_packets,
                                              GError         **error);
gboolean         ms_capture_reader_at_end    (MsCaptureReader *self);
/* Live capture: closes open connections (END_OF_CAPTURE) when the user stops. */
void             ms_capture_reader_finish    (MsCaptureReader *self);
int              ms_capture_reader_get_link_type (MsCaptureReader *self);
/* Live: a selectable fd (-1 offline); the source calls ms_capture_reader_run when
 * it is readable, and the callback (a GSourceFunc, user_data) after each batch. */
int              ms_capture_reader_get_fd    (MsCaptureReader *self);
GSource         *ms_capture_reader_create_source (MsCaptureReader *self);

const MsCaptureStats        *ms_capture_reader_get_stats     (MsCaptureReader *self);
const MsTcpReassemblerStats *ms_capture_reader_get_tcp_stats (MsCaptureReader *self);

/* Decodes one frame of the given DLT link type and feeds its TCP segment, if any, to
 * the reader's reassembler (tests use this with hand-made frames). */
void             ms_capture_reader_feed_frame (MsCaptureReader *self,
                                               int              link_type,
                                               gint64           t_us,
                                               const guint8    *frame,
                                               gsize            caplen,
                                               gsize            wirelen);
/* Raw frames, for saving or annotating them: the hook sees every frame read (or fed),
 * decodable or not, before it is decoded. `data` is valid during the call only. */
typedef struct
{
  guint64       number;     /* 1-based, as Wireshark numbers frames */
  gint64        t_ns;       /* nanoseconds since the Unix epoch */
  int           link_type;  /* DLT_* */
  const guint8 *data;
  guint32       caplen;
  guint32       wirelen;
} MsCaptureFrame;

typedef void (*MsCaptureFrameFunc) (const MsCaptureFrame *frame,
                                    gpointer              user_data);

/* One hook (NULL removes it). */
void             ms_capture_reader_set_frame_func (MsCaptureReader   *self,
                                                   MsCaptureFrameFunc func,
                                                   gpointer           user_data);
/* Stamps the number of the frame being decoded on the lines added to @trace meanwhile
 * (MsTraceLine.frame); @trace is not referenced, NULL stops. */
void             ms_capture_reader_set_trace      (MsCaptureReader   *self,
                                                   MsTrace           *trace);

/* A reader without a capture handle, for ms_capture_reader_feed_frame. */
MsCaptureReader *ms_capture_reader_new_detached (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsCaptureReader, ms_capture_reader_free)

G_END_DECLS
