/* ms-capture-reader.c: pcap/pcapng and live capture → link → IP → TCP segments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libpcap reads the files (pcap and pcapng, timestamps in µs) and the interfaces;
 * everything after the record header is decoded here, through MsByteReader only.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <pcap/pcap.h>

#include "ms-byte-reader.h"
#include "ms-capture-reader.h"

#define MS_CAPTURE_LIVE_SNAPLEN     262144
#define MS_CAPTURE_LIVE_TIMEOUT_MS  100
#define MS_CAPTURE_MAX_VLAN_TAGS    4        /* QinQ and a little more */
#define MS_IP_FRAG_MAX_DATAGRAMS    1024     /* datagrams being reassembled at once */
#define MS_IP_FRAG_MAX_FRAGMENTS    128      /* per datagram */
#define MS_IP_FRAG_TIMEOUT_US       (G_GINT64_CONSTANT (30) * G_USEC_PER_SEC)
#define MS_IPV6_MAX_EXT_HEADERS     16
#define MS_EXPIRE_INTERVAL_US       G_USEC_PER_SEC
#define MS_CAPTURE_MAX_TIME_S       G_GINT64_CONSTANT (9000000000)   /* year 2255 */

#define ETHERTYPE_IPV4   0x0800
#define ETHERTYPE_IPV6   0x86DD
#define ETHERTYPE_VLAN   0x8100
#define ETHERTYPE_QINQ   0x88A8
#define ETHERTYPE_QINQ2  0x9100
#define IPPROTO_TCP_NUM  6

typedef struct
{
  guint16  offset;
  guint16  len;
  guint8  *data;
} Fragment;

typedef struct
{
  guint8     family;
  guint8     src[16];
  guint8     dst[16];
  guint32    id;
  guint8     proto;     /* IPv4 protocol; IPv6: next header after the fragment header */
} FragKey;

typedef struct
{
  FragKey    key;
  GPtrArray *frags;     /* of Fragment*, in arrival order */
  gint64     first_us;
  gboolean   have_last;
  guint32    total;     /* payload length, known once the last fragment arrived */
  GList      link;
} FragEntry;

struct _MsCaptureReader
{
  pcap_t           *pcap;
  gboolean          live;
  gboolean          at_end;
  int               link_type;
  MsTcpReassembler *tcp;
  MsCaptureStats    stats;
  gint64            last_us;
  gint64            last_expire_us;
  guint64           frame_number;
  MsCaptureFrameFunc frame_func;  /* raw-frame hook, or NULL */
  gpointer          frame_data;
  MsTrace          *trace;       /* frame numbers stamped on its lines, or NULL */
  GHashTable       *frags;       /* FragKey* → FragEntry* */
  GQueue            frag_fifo;   /* oldest first */
};

G_DEFINE_QUARK (ms-capture-error-quark, ms_capture_error)

const char *
ms_capture_decode_error_to_string (MsCaptureDecodeError kind)
{
  switch (kind)
    {
    case MS_CAPTURE_DECODE_LINK: return "link";
    case MS_CAPTURE_DECODE_IPV4: return "ipv4";
    case MS_CAPTURE_DECODE_IPV6: return "ipv6";
    case MS_CAPTURE_DECODE_TCP: return "tcp";
    case MS_CAPTURE_DECODE_SNAPLEN: return "snaplen";
    case MS_CAPTURE_DECODE_FRAGMENT: return "fragment";
    default: return "unknown";
    }
}

static guint
frag_key_hash (gconstpointer p)
{
  const guint8 *b = p;
  guint32 h = 2166136261u;
  gsize i;

  for (i = 0; i < sizeof (FragKey); i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

static gboolean
frag_key_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, sizeof (FragKey)) == 0;
}

static void
fragment_free (gpointer p)
{
  Fragment *f = p;

  g_free (f->data);
  g_free (f);
}

static void
frag_entry_drop (MsCaptureReader *self, FragEntry *e)
{
  g_queue_unlink (&self->frag_fifo, &e->link);
  g_hash_table_remove (self->frags, &e->key);
  g_ptr_array_unref (e->frags);
  g_free (e);
}

static MsCaptureReader *
reader_new (void)
{
  MsCaptureReader *self = g_new0 (MsCaptureReader, 1);

  self->tcp = ms_tcp_reassembler_new (NULL);
  self->frags = g_hash_table_new (frag_key_hash, frag_key_equal);
  g_queue_init (&self->frag_fifo);
  return self;
}

MsCaptureReader *
ms_capture_reader_new_detached (void)
{
  return reader_new ();
}

static gboolean
link_type_supported (int dlt)
{
  switch (dlt)
    {
    case DLT_NULL:
    case DLT_EN10MB:
    case DLT_RAW:
    case 14:            /* DLT_RAW on OpenBSD */
    case 101:           /* LINKTYPE_RAW */
    case 108:           /* DLT_LOOP */
    case DLT_LINUX_SLL:
    case DLT_LINUX_SLL2:
    case DLT_IPV4:
    case DLT_IPV6:
      return TRUE;
    default:
      return FALSE;
    }
}

static gboolean
check_link_type (MsCaptureReader *self, const char *what, GError **error)
{
  self->link_type = pcap_datalink (self->pcap);
  if (!link_type_supported (self->link_type))
    {
      const char *name = pcap_datalink_val_to_name (self->link_type);
      const char *desc = pcap_datalink_val_to_description (self->link_type);

      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_UNSUPPORTED_LINKTYPE,
                   "%s: link type %d (%s, %s) is not supported; supported: Ethernet "
                   "(with VLAN tags), Linux cooked (SLL, SLL2), raw IP, BSD loopback",
                   what, self->link_type, name != NULL ? name : "unknown",
                   desc != NULL ? desc : "no description");
      return FALSE;
    }
  return TRUE;
}

MsCaptureReader *
ms_capture_reader_open_file (const char *path,
                             GError    **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  g_autoptr (MsCaptureReader) self = NULL;
  pcap_t *p;

  g_return_val_if_fail (path != NULL, NULL);
  errno = 0;
  p = pcap_open_offline_with_tstamp_precision (path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == NULL)
    {
      int code = errno == EACCES || errno == EPERM ? MS_CAPTURE_ERROR_PERMISSION
                                                  : MS_CAPTURE_ERROR_OPEN;

      g_set_error (error, MS_CAPTURE_ERROR, code, "cannot read capture %s: %s", path, errbuf);
      return NULL;
    }
  self = reader_new ();
  self->pcap = p;
  if (!check_link_type (self, path, error))
    return NULL;
  return g_steal_pointer (&self);
}

MsCaptureReader *
ms_capture_reader_open_stream (FILE    *fp,
                               GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  g_autoptr (MsCaptureReader) self = NULL;
  pcap_t *p;

  g_return_val_if_fail (fp != NULL, NULL);
  p = pcap_fopen_offline_with_tstamp_precision (fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (p == NULL)
    {
      fclose (fp);
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN,
                   "cannot read capture: %s", errbuf);
      return NULL;
    }
  self = reader_new ();
  self->pcap = p;
  if (!check_link_type (self, "capture", error))
    return NULL;
  return g_steal_pointer (&self);
}

static const char permission_hint[] =
  "live capture needs the CAP_NET_RAW and CAP_NET_ADMIN capabilities: run as root, or "
  "grant them once with `sudo setcap cap_net_raw,cap_net_admin=eip $(command -v mailsim)`";

MsCaptureReader *
ms_capture_reader_open_live (const char *interface,
                             const char *bpf_filter,
                             GError    **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  g_autoptr (MsCaptureReader) self = NULL;
  pcap_t *p;
  int rc;

  g_return_val_if_fail (interface != NULL, NULL);
  p = pcap_create (interface, errbuf);
  if (p == NULL)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN,
                   "cannot capture on %s: %s", interface, errbuf);
      return NULL;
    }
  self = reader_new ();
  self->pcap = p;
  self->live = TRUE;
  pcap_set_snaplen (p, MS_CAPTURE_LIVE_SNAPLEN);
  pcap_set_promisc (p, 1);
  pcap_set_timeout (p, MS_CAPTURE_LIVE_TIMEOUT_MS);
  pcap_set_immediate_mode (p, 1);
  pcap_set_tstamp_precision (p, PCAP_TSTAMP_PRECISION_MICRO);
  rc = pcap_activate (p);
  if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_PERMISSION,
                   "cannot capture on %s: %s; %s", interface, pcap_geterr (p),
                   permission_hint);
      return NULL;
    }
  if (rc < 0)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN,
                   "cannot capture on %s: %s (%s)", interface, pcap_statustostr (rc),
                   pcap_geterr (p));
      return NULL;
    }
  if (!check_link_type (self, interface, error))
    return NULL;
  if (bpf_filter != NULL && *bpf_filter != '\0')
    {
      struct bpf_program prog;

      if (pcap_compile (p, &prog, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
        {
          g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_FAILED,
                       "bad capture filter \"%s\": %s", bpf_filter, pcap_geterr (p));
          return NULL;
        }
      rc = pcap_setfilter (p, &prog);
      pcap_freecode (&prog);
      if (rc < 0)
        {
          g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_FAILED,
                       "cannot set capture filter \"%s\": %s", bpf_filter, pcap_geterr (p));
          return NULL;
        }
    }
  if (pcap_setnonblock (p, 1, errbuf) < 0)
    {
      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_FAILED,
                   "cannot capture on %s: %s", interface, errbuf);
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
ms_capture_reader_free (MsCaptureReader *self)
{
  FragEntry *e;

  if (self == NULL)
    return;
  while ((e = g_queue_peek_head (&self->frag_fifo)) != NULL)
    frag_entry_drop (self, e);
  g_hash_table_destroy (self->frags);
  ms_tcp_reassembler_free (self->tcp);
  if (self->pcap != NULL)
    pcap_close (self->pcap);
  g_free (self);
}

void
ms_capture_reader_set_callbacks (MsCaptureReader            *self,
                                 const MsTcpStreamCallbacks *callbacks)
{
  ms_tcp_reassembler_set_callbacks (self->tcp, callbacks);
}

void
ms_capture_reader_set_frame_func (MsCaptureReader   *self,
                                  MsCaptureFrameFunc func,
                                  gpointer           user_data)
{
  self->frame_func = func;
  self->frame_data = func != NULL ? user_data : NULL;
}

void
ms_capture_reader_set_trace (MsCaptureReader *self,
                             MsTrace         *trace)
{
  self->trace = trace;
}

const MsCaptureStats *
ms_capture_reader_get_stats (MsCaptureReader *self)
{
  return &self->stats;
}

const MsTcpReassemblerStats *
ms_capture_reader_get_tcp_stats (MsCaptureReader *self)
{
  return ms_tcp_reassembler_get_stats (self->tcp);
}

int
ms_capture_reader_get_link_type (MsCaptureReader *self)
{
  return self->link_type;
}

gboolean
ms_capture_reader_at_end (MsCaptureReader *self)
{
  return self->at_end;
}

static void
decode_error (MsCaptureReader *self, MsCaptureDecodeError kind)
{
  self->stats.decode_errors[kind]++;
}

/* --- TCP --- */

static void
decode_tcp (MsCaptureReader *self, guint8 family, const guint8 *src, const guint8 *dst,
            MsByteReader *r, gboolean cut)
{
  MsTcpSegment seg;
  guint8 off_byte, flags;
  gsize hlen;

  memset (&seg, 0, sizeof seg);
  seg.family = family;
  memcpy (seg.src, src, family == 6 ? 16 : 4);
  memcpy (seg.dst, dst, family == 6 ? 16 : 4);
  if (!ms_byte_reader_get_u16_be (r, &seg.src_port)
      || !ms_byte_reader_get_u16_be (r, &seg.dst_port)
      || !ms_byte_reader_get_u32_be (r, &seg.seq)
      || !ms_byte_reader_get_u32_be (r, &seg.ack)
      || !ms_byte_reader_get_u8 (r, &off_byte)
      || !ms_byte_reader_get_u8 (r, &flags))
    {
      decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_TCP);
      return;
    }
  /* RFC 9293 §3.1: data offset in 32-bit words, at least 5. */
  hlen = (gsize) (off_byte >> 4) * 4;
  if (hlen < 20 || !ms_byte_reader_skip (r, hlen - 14))
    {
      decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_TCP);
      return;
    }
  if (cut)
    decode_error (self, MS_CAPTURE_DECODE_SNAPLEN);   /* the missing tail becomes a gap */
  seg.flags = flags;
  seg.payload = ms_byte_reader_rest (r, &seg.payload_len);
  seg.t_us = self->last_us;
  seg.frame_number = self->frame_number;
  self->stats.tcp_segments++;
  ms_tcp_reassembler_add (self->tcp, &seg);
}

/* --- IP fragments (RFC 791 §3.2, RFC 8200 §4.5): first data wins on overlap --- */

static void
frag_expire (MsCaptureReader *self)
{
  FragEntry *e;

  while ((e = g_queue_peek_head (&self->frag_fifo)) != NULL
         && (self->last_us - e->first_us > MS_IP_FRAG_TIMEOUT_US
             || self->frag_fifo.length > MS_IP_FRAG_MAX_DATAGRAMS))
    {
      self->stats.decode_errors[MS_CAPTURE_DECODE_FRAGMENT] += e->frags->len;
      frag_entry_drop (self, e);
    }
}

/* Adds a fragment; returns the whole payload (to free) once complete. */
static guint8 *
frag_add (MsCaptureReader *self, const FragKey *key, guint32 offset, gboolean more,
          MsByteReader *payload, gsize *out_len)
{
  FragEntry *e;
  Fragment *f;
  gsize len = ms_byte_reader_remaining (payload);
  guint32 covered;
  guint8 *whole;
  guint i;
  g_autoptr (GPtrArray) sorted = NULL;

  self->stats.fragments++;
  if (offset + len > 65535 || (more && len % 8 != 0))
    {
      decode_error (self, MS_CAPTURE_DECODE_FRAGMENT);
      return NULL;
    }
  e = g_hash_table_lookup (self->frags, key);
  if (e == NULL)
    {
      e = g_new0 (FragEntry, 1);
      e->key = *key;
      e->frags = g_ptr_array_new_with_free_func (fragment_free);
      e->first_us = self->last_us;
      e->link.data = e;
      g_hash_table_insert (self->frags, &e->key, e);
      g_queue_push_tail_link (&self->frag_fifo, &e->link);
      frag_expire (self);
      if (g_hash_table_lookup (self->frags, key) != e)
        return NULL;
    }
  if (e->frags->len >= MS_IP_FRAG_MAX_FRAGMENTS)
    {
      decode_error (self, MS_CAPTURE_DECODE_FRAGMENT);
      return NULL;
    }
  if (!more)
    {
      if (e->have_last && e->total != offset + len)
        {
          decode_error (self, MS_CAPTURE_DECODE_FRAGMENT);
          return NULL;
        }
      e->have_last = TRUE;
      e->total = offset + (guint32) len;
    }
  f = g_new0 (Fragment, 1);
  f->offset = (guint16) offset;
  f->len = (guint16) len;
  f->data = g_malloc (len > 0 ? len : 1);
  ms_byte_reader_copy (payload, f->data, len);
  g_ptr_array_add (e->frags, f);
  if (!e->have_last)
    return NULL;

  /* Complete when the fragments cover [0, total) without a hole. */
  sorted = g_ptr_array_new ();
  for (i = 0; i < e->frags->len; i++)
    g_ptr_array_add (sorted, e->frags->pdata[i]);
  for (i = 1; i < sorted->len; i++)
    {
      guint j = i;

      while (j > 0 && ((Fragment *) sorted->pdata[j - 1])->offset
                      > ((Fragment *) sorted->pdata[j])->offset)
        {
          gpointer t = sorted->pdata[j];

          sorted->pdata[j] = sorted->pdata[j - 1];
          sorted->pdata[j - 1] = t;
          j--;
        }
    }
  covered = 0;
  for (i = 0; i < sorted->len; i++)
    {
      Fragment *s = sorted->pdata[i];

      if (s->offset > covered)
        return NULL;
      covered = MAX (covered, (guint32) s->offset + s->len);
    }
  if (covered < e->total)
    return NULL;

  /* Written newest first, so the first fragment to arrive has the last word. */
  whole = g_malloc (e->total > 0 ? e->total : 1);
  for (i = e->frags->len; i > 0; i--)
    {
      Fragment *s = e->frags->pdata[i - 1];
      guint32 n = s->offset >= e->total ? 0 : MIN ((guint32) s->len, e->total - s->offset);

      if (n > 0)
        memcpy (whole + s->offset, s->data, n);
    }
  *out_len = e->total;
  self->stats.reassembled_datagrams++;
  frag_entry_drop (self, e);
  return whole;
}

/* --- IPv4 (RFC 791) --- */

static void
decode_ipv4 (MsCaptureReader *self, MsByteReader *r, gboolean cut)
{
  guint8 vihl, tos, ttl, proto;
  guint16 total, id, frag;
  guint16 csum;
  guint8 src[4], dst[4];
  gsize hlen, avail;
  MsByteReader payload;

  if (!ms_byte_reader_get_u8 (r, &vihl) || !ms_byte_reader_get_u8 (r, &tos)
      || !ms_byte_reader_get_u16_be (r, &total) || !ms_byte_reader_get_u16_be (r, &id)
      || !ms_byte_reader_get_u16_be (r, &frag) || !ms_byte_reader_get_u8 (r, &ttl)
      || !ms_byte_reader_get_u8 (r, &proto) || !ms_byte_reader_get_u16_be (r, &csum)
      || !ms_byte_reader_copy (r, src, 4) || !ms_byte_reader_copy (r, dst, 4))
    {
      decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV4);
      return;
    }
  hlen = (gsize) (vihl & 0x0f) * 4;
  if ((vihl >> 4) != 4 || hlen < 20 || total < hlen || !ms_byte_reader_skip (r, hlen - 20))
    {
      decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV4);
      return;
    }
  /* The total length trims Ethernet padding; a shorter capture means snaplen. */
  avail = ms_byte_reader_remaining (r);
  if (avail < (gsize) total - hlen)
    {
      if (!cut)
        {
          decode_error (self, MS_CAPTURE_DECODE_IPV4);
          return;
        }
      ms_byte_reader_sub (r, avail, &payload);
    }
  else
    {
      ms_byte_reader_sub (r, (gsize) total - hlen, &payload);
      cut = FALSE;
    }

  if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0)
    {
      FragKey key;
      g_autofree guint8 *whole = NULL;
      gsize whole_len = 0;

      if (cut)
        {
          decode_error (self, MS_CAPTURE_DECODE_SNAPLEN);
          return;
        }
      memset (&key, 0, sizeof key);
      key.family = 4;
      memcpy (key.src, src, 4);
      memcpy (key.dst, dst, 4);
      key.id = id;
      key.proto = proto;
      whole = frag_add (self, &key, (guint32) (frag & 0x1fff) * 8, (frag & 0x2000) != 0,
                        &payload, &whole_len);
      if (whole == NULL)
        return;
      if (proto != IPPROTO_TCP_NUM)
        {
          self->stats.non_tcp_skipped++;
          return;
        }
      ms_byte_reader_init (&payload, whole, whole_len);
      decode_tcp (self, 4, src, dst, &payload, FALSE);
      return;
    }
  if (proto != IPPROTO_TCP_NUM)
    {
      self->stats.non_tcp_skipped++;
      return;
    }
  decode_tcp (self, 4, src, dst, &payload, cut);
}

/* --- IPv6 (RFC 8200) --- */

static void
decode_ipv6 (MsCaptureReader *self, MsByteReader *r, gboolean cut)
{
  guint32 vtf;
  guint16 plen;
  guint8 nh, hop;
  guint8 src[16], dst[16];
  gsize avail;
  MsByteReader payload;
  guint n_ext = 0;

  if (!ms_byte_reader_get_u32_be (r, &vtf) || !ms_byte_reader_get_u16_be (r, &plen)
      || !ms_byte_reader_get_u8 (r, &nh) || !ms_byte_reader_get_u8 (r, &hop)
      || !ms_byte_reader_copy (r, src, 16) || !ms_byte_reader_copy (r, dst, 16))
    {
      decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV6);
      return;
    }
  if ((vtf >> 28) != 6 || plen == 0)   /* jumbograms (RFC 2675) are not supported */
    {
      decode_error (self, MS_CAPTURE_DECODE_IPV6);
      return;
    }
  avail = ms_byte_reader_remaining (r);
  if (avail < plen)
    {
      if (!cut)
        {
          decode_error (self, MS_CAPTURE_DECODE_IPV6);
          return;
        }
      ms_byte_reader_sub (r, avail, &payload);
    }
  else
    {
      ms_byte_reader_sub (r, plen, &payload);
      cut = FALSE;
    }

  /* §4: walk the extension headers up to the upper-layer header. */
  for (;;)
    {
      guint8 next, ext_len;

      if (nh == IPPROTO_TCP_NUM)
        {
          decode_tcp (self, 6, src, dst, &payload, cut);
          return;
        }
      if (++n_ext > MS_IPV6_MAX_EXT_HEADERS)
        {
          decode_error (self, MS_CAPTURE_DECODE_IPV6);
          return;
        }
      switch (nh)
        {
        case 0:     /* hop-by-hop options */
        case 43:    /* routing */
        case 60:    /* destination options */
        case 135:   /* mobility */
          if (!ms_byte_reader_get_u8 (&payload, &next)
              || !ms_byte_reader_get_u8 (&payload, &ext_len)
              || !ms_byte_reader_skip (&payload, (gsize) ext_len * 8 + 6))
            {
              decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV6);
              return;
            }
          nh = next;
          break;
        case 51:    /* authentication header (RFC 4302 §2.2): length in 4-byte units */
          if (!ms_byte_reader_get_u8 (&payload, &next)
              || !ms_byte_reader_get_u8 (&payload, &ext_len)
              || !ms_byte_reader_skip (&payload, ((gsize) ext_len + 2) * 4 - 2))
            {
              decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV6);
              return;
            }
          nh = next;
          break;
        case 44:    /* fragment (§4.5) */
          {
            guint8 reserved;
            guint16 offm;
            guint32 id;
            FragKey key;
            g_autofree guint8 *whole = NULL;
            gsize whole_len = 0;

            if (!ms_byte_reader_get_u8 (&payload, &next)
                || !ms_byte_reader_get_u8 (&payload, &reserved)
                || !ms_byte_reader_get_u16_be (&payload, &offm)
                || !ms_byte_reader_get_u32_be (&payload, &id) || cut)
              {
                decode_error (self, cut ? MS_CAPTURE_DECODE_SNAPLEN : MS_CAPTURE_DECODE_IPV6);
                return;
              }
            if ((offm & 0xfff8) == 0 && (offm & 1) == 0)
              {
                nh = next;   /* an atomic fragment (RFC 6946) */
                break;
              }
            memset (&key, 0, sizeof key);
            key.family = 6;
            memcpy (key.src, src, 16);
            memcpy (key.dst, dst, 16);
            key.id = id;
            /* The next-header value only counts in the first fragment (§4.5). */
            key.proto = 0;
            whole = frag_add (self, &key, (guint32) (offm >> 3) * 8, (offm & 1) != 0,
                              &payload, &whole_len);
            if (whole == NULL)
              return;
            ms_byte_reader_init (&payload, whole, whole_len);
            nh = next;
            if (nh == IPPROTO_TCP_NUM)
              {
                decode_tcp (self, 6, src, dst, &payload, FALSE);
                return;
              }
            self->stats.non_tcp_skipped++;
            return;
          }
        default:    /* 59 no next header, UDP, ICMPv6, ESP, ... */
          self->stats.non_tcp_skipped++;
          return;
        }
    }
}

static void
decode_ethertype (MsCaptureReader *self, guint16 type, MsByteReader *r, gboolean cut)
{
  guint vlan = 0;

  /* IEEE 802.1Q and 802.1ad (QinQ) tags: 2 bytes TCI, then the inner type. */
  while (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ || type == ETHERTYPE_QINQ2)
    {
      if (++vlan > MS_CAPTURE_MAX_VLAN_TAGS || !ms_byte_reader_skip (r, 2)
          || !ms_byte_reader_get_u16_be (r, &type))
        {
          decode_error (self, MS_CAPTURE_DECODE_LINK);
          return;
        }
    }
  if (type == ETHERTYPE_IPV4)
    decode_ipv4 (self, r, cut);
  else if (type == ETHERTYPE_IPV6)
    decode_ipv6 (self, r, cut);
  else
    self->stats.non_tcp_skipped++;
}

static void
decode_raw_ip (MsCaptureReader *self, MsByteReader *r, gboolean cut)
{
  guint8 v;

  if (!ms_byte_reader_peek_u8 (r, &v))
    {
      decode_error (self, MS_CAPTURE_DECODE_LINK);
      return;
    }
  if ((v >> 4) == 4)
    decode_ipv4 (self, r, cut);
  else if ((v >> 4) == 6)
    decode_ipv6 (self, r, cut);
  else
    decode_error (self, MS_CAPTURE_DECODE_LINK);
}

/* BSD AF_ values for IPv4 (2) and IPv6 (Linux 10, BSDs 24, FreeBSD 28, macOS 30). */
static void
decode_null (MsCaptureReader *self, MsByteReader *r, gboolean cut, gboolean network_order)
{
  guint32 fam_le, fam;
  MsByteReader peek = *r;

  if (!ms_byte_reader_get_u32_le (r, &fam_le))
    {
      decode_error (self, MS_CAPTURE_DECODE_LINK);
      return;
    }
  /* The family is in the capturing host's order (DLT_NULL) or network order
   * (DLT_LOOP); either way one of the two readings is small. */
  fam = fam_le;
  if (network_order || fam_le > 0xffff)
    {
      ms_byte_reader_get_u32_be (&peek, &fam);
      if (fam > 0xffff)
        fam = fam_le;
    }
  switch (fam)
    {
    case 2:
      decode_ipv4 (self, r, cut);
      break;
    case 10: case 24: case 28: case 30:
      decode_ipv6 (self, r, cut);
      break;
    default:
      self->stats.non_tcp_skipped++;
    }
}

void
ms_capture_reader_feed_frame (MsCaptureReader *self,
                              int              link_type,
                              gint64           t_us,
                              const guint8    *frame,
                              gsize            caplen,
                              gsize            wirelen)
{
  MsByteReader r;
  gboolean cut = caplen < wirelen;
  guint16 type;

  self->frame_number++;
  if (G_UNLIKELY (self->frame_func != NULL))
    {
      MsCaptureFrame raw = {
        self->frame_number, t_us * 1000, link_type, frame,
        (guint32) MIN (caplen, G_MAXUINT32), (guint32) MIN (wirelen, G_MAXUINT32),
      };

      self->frame_func (&raw, self->frame_data);
    }
  if (self->trace != NULL)
    ms_trace_set_current_frame (self->trace, self->frame_number);
  self->stats.packets++;
  self->stats.bytes += caplen;
  if (t_us > self->last_us)
    self->last_us = t_us;
  if (self->last_us - self->last_expire_us >= MS_EXPIRE_INTERVAL_US)
    {
      ms_tcp_reassembler_expire (self->tcp, self->last_us);
      frag_expire (self);
      self->last_expire_us = self->last_us;
    }
  ms_byte_reader_init (&r, frame, caplen);

  switch (link_type)
    {
    case DLT_EN10MB:
      if (!ms_byte_reader_skip (&r, 12) || !ms_byte_reader_get_u16_be (&r, &type))
        {
          decode_error (self, MS_CAPTURE_DECODE_LINK);
          return;
        }
      if (type < 0x0600)   /* an 802.3 length: LLC, not IP */
        {
          self->stats.non_tcp_skipped++;
          return;
        }
      decode_ethertype (self, type, &r, cut);
      break;
    case DLT_LINUX_SLL:
      /* packet type, ARPHRD, address length, 8 address bytes, protocol */
      if (!ms_byte_reader_skip (&r, 14) || !ms_byte_reader_get_u16_be (&r, &type))
        {
          decode_error (self, MS_CAPTURE_DECODE_LINK);
          return;
        }
      decode_ethertype (self, type, &r, cut);
      break;
    case DLT_LINUX_SLL2:
      /* protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 bytes */
      if (!ms_byte_reader_get_u16_be (&r, &type) || !ms_byte_reader_skip (&r, 18))
        {
          decode_error (self, MS_CAPTURE_DECODE_LINK);
          return;
        }
      decode_ethertype (self, type, &r, cut);
      break;
    case DLT_RAW:
    case 14:
    case 101:
      decode_raw_ip (self, &r, cut);
      break;
    case DLT_IPV4:
      decode_ipv4 (self, &r, cut);
      break;
    case DLT_IPV6:
      decode_ipv6 (self, &r, cut);
      break;
    case DLT_NULL:
      decode_null (self, &r, cut, FALSE);
      break;
    case 108:
      decode_null (self, &r, cut, TRUE);
      break;
    default:
      decode_error (self, MS_CAPTURE_DECODE_LINK);
    }
}

static void
handle_packet (MsCaptureReader *self, const struct pcap_pkthdr *h, const guint8 *bytes)
{
  /* pcapng timestamps are 64-bit: anything outside 1970..~2262 is clamped so the
   * time arithmetic of timeouts cannot overflow. */
  gint64 sec = CLAMP ((gint64) h->ts.tv_sec, 0, MS_CAPTURE_MAX_TIME_S);
  gint64 t_us = sec * G_USEC_PER_SEC + CLAMP ((gint64) h->ts.tv_usec, 0, G_USEC_PER_SEC - 1);

  ms_capture_reader_feed_frame (self, self->link_type, t_us, bytes, h->caplen, h->len);
}

static void
live_handler (u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
  handle_packet ((MsCaptureReader *) (void *) user, h, bytes);
}

static gboolean
read_failed (MsCaptureReader *self, GError **error)
{
  const char *msg = pcap_geterr (self->pcap);
  long offset = -1;
  FILE *fp = self->live ? NULL : pcap_file (self->pcap);

  if (fp != NULL)
    offset = ftell (fp);
  if (!self->live && strstr (msg, "truncated") != NULL)
    {
      g_autofree char *where = offset >= 0 ? g_strdup_printf (", at byte %ld of the file", offset)
                                           : g_strdup ("");

      g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_TRUNCATED,
                   "the capture is truncated (%s): read %" G_GUINT64_FORMAT " packets "
                   "(%" G_GUINT64_FORMAT " bytes of packet data) before the cut%s",
                   msg, self->stats.packets, self->stats.bytes, where);
    }
  else
    g_set_error (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_FAILED,
                 "error reading the capture after %" G_GUINT64_FORMAT " packets: %s",
                 self->stats.packets, msg);
  /* What was read before the cut is still handed on. */
  ms_capture_reader_finish (self);
  return FALSE;
}

gboolean
ms_capture_reader_run (MsCaptureReader *self,
                       gint64           max_packets,
                       GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  if (self->pcap == NULL || self->at_end)
    return TRUE;

  if (self->live)
    {
      int n = pcap_dispatch (self->pcap, max_packets < 0 ? -1 : (int) MIN (max_packets, G_MAXINT),
                             live_handler, (u_char *) self);

      if (n == PCAP_ERROR)
        return read_failed (self, error);
      return TRUE;
    }

  while (max_packets < 0 || max_packets-- > 0)
    {
      struct pcap_pkthdr *h;
      const u_char *bytes;
      int rc = pcap_next_ex (self->pcap, &h, &bytes);

      if (rc == 1)
        handle_packet (self, h, bytes);
      else if (rc == PCAP_ERROR_BREAK)
        {
          ms_capture_reader_finish (self);
          return TRUE;
        }
      else if (rc == 0)
        continue;
      else
        return read_failed (self, error);
    }
  return TRUE;
}

void
ms_capture_reader_finish (MsCaptureReader *self)
{
  if (self->at_end)
    return;
  self->at_end = TRUE;
  ms_tcp_reassembler_finish (self->tcp, self->last_us);
}

int
ms_capture_reader_get_fd (MsCaptureReader *self)
{
  if (!self->live || self->pcap == NULL)
    return -1;
  return pcap_get_selectable_fd (self->pcap);
}

typedef struct
{
  GSource          source;
  MsCaptureReader *reader;
  gpointer         fd_tag;
} CaptureSource;

static gboolean
capture_source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  CaptureSource *cs = (CaptureSource *) source;
  g_autoptr (GError) error = NULL;

  if (!ms_capture_reader_run (cs->reader, -1, &error))
    {
      g_warning ("%s", error->message);
      return G_SOURCE_REMOVE;
    }
  if (callback != NULL)
    return callback (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs capture_source_funcs = {
  NULL, NULL, capture_source_dispatch, NULL, NULL, NULL,
};

GSource *
ms_capture_reader_create_source (MsCaptureReader *self)
{
  CaptureSource *cs;
  int fd = ms_capture_reader_get_fd (self);

  g_return_val_if_fail (fd >= 0, NULL);
  cs = (CaptureSource *) g_source_new (&capture_source_funcs, sizeof (CaptureSource));
  cs->reader = self;
  cs->fd_tag = g_source_add_unix_fd (&cs->source, fd, G_IO_IN | G_IO_ERR | G_IO_HUP);
  g_source_set_name (&cs->source, "MsCaptureReader");
  return &cs->source;
}
