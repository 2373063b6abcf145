/* ms-pcapng-writer.c: writes pcapng files (Ethernet, IPv4/IPv6, TCP/UDP)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Block layouts from the pcapng specification (draft-ietf-opsawg-pcapng): SHB §4.1,
 * IDB §4.2, EPB §4.3, options §3.5. Written in host byte order, which the byte-order
 * magic announces.
 */
#define G_LOG_DOMAIN "ms-pcapng-writer"

#include "config.h"

#include <string.h>

#include "ms-pcapng-writer.h"

#define BLOCK_SHB 0x0A0D0D0Au
#define BLOCK_IDB 0x00000001u
#define BLOCK_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_TSRESOL 9
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETH_HEADER 14
#define IPV4_HEADER 20
#define IPV6_HEADER 40
#define TCP_HEADER 20
#define TCP_OPT_MSS_LEN 4
#define UDP_HEADER 8
/* Largest comment written: longer ones are cut (an option length is 16 bits) */
#define MAX_COMMENT 60000

struct _MsPcapngWriter
{
  GOutputStream *stream;
  GByteArray    *block;      /* reused for every block */
  GByteArray    *frame;      /* reused for every frame */
  guint16        ip_id;
  gboolean       closed;
  GArray        *frame_links;  /* int link type of each frame interface, by order */
  guint32        first_frame_if; /* interface id of frame_links[0] */
};

static void
put_u16_host (GByteArray *b,
              guint16     v)
{
  g_byte_array_append (b, (const guint8 *) &v, 2);
}

static void
put_u32_host (GByteArray *b,
              guint32     v)
{
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_u16_be (GByteArray *b,
            guint16     v)
{
  guint8 x[2] = { v >> 8, v & 0xff };

  g_byte_array_append (b, x, 2);
}

static void
put_u32_be (GByteArray *b,
            guint32     v)
{
  guint8 x[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };

  g_byte_array_append (b, x, 4);
}

static void
pad4 (GByteArray *b)
{
  static const guint8 zeros[4] = { 0 };

  if (b->len % 4 != 0)
    g_byte_array_append (b, zeros, 4 - b->len % 4);
}

static void
put_comment (GByteArray *b,
             const char *comment)
{
  gsize len = strlen (comment);

  if (len > MAX_COMMENT)
    {
      const char *end = comment + MAX_COMMENT;

      /* cut on a character boundary */
      g_utf8_validate (comment, MAX_COMMENT, &end);
      len = end - comment;
    }
  put_u16_host (b, OPT_COMMENT);
  put_u16_host (b, (guint16) len);
  g_byte_array_append (b, (const guint8 *) comment, (guint) len);
  pad4 (b);
}

static void
put_option (GByteArray   *b,
            guint16       code,
            const guint8 *value,
            gsize         len)
{
  put_u16_host (b, code);
  put_u16_host (b, (guint16) len);
  g_byte_array_append (b, value, (guint) len);
  pad4 (b);
}

/* Starts a block: type and a placeholder total length */
static void
block_begin (MsPcapngWriter *self,
             guint32         type)
{
  g_byte_array_set_size (self->block, 0);
  put_u32_host (self->block, type);
  put_u32_host (self->block, 0);
}

static gboolean
block_end (MsPcapngWriter  *self,
           GError         **error)
{
  guint32 total;

  pad4 (self->block);
  total = self->block->len + 4;
  put_u32_host (self->block, total);
  memcpy (self->block->data + 4, &total, 4);
  return g_output_stream_write_all (self->stream, self->block->data, self->block->len, NULL,
                                    NULL, error);
}

guint32
ms_inet_checksum_add (guint32       sum,
                      const guint8 *data,
                      gsize         len)
{
  gsize i;

  for (i = 0; i + 1 < len; i += 2)
    sum += (guint32) ((data[i] << 8) | data[i + 1]);
  if (i < len)
    sum += (guint32) (data[i] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

guint16
ms_inet_checksum_finish (guint32 sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (guint16) ~sum;
}

/* The writer and its Section Header Block */
static MsPcapngWriter *
writer_begin (GOutputStream  *stream,
              const char     *application,
              GError        **error)
{
  MsPcapngWriter *self;

  self = g_new0 (MsPcapngWriter, 1);
  self->stream = g_object_ref (stream);
  self->block = g_byte_array_sized_new (2048);
  self->frame = g_byte_array_sized_new (2048);
  self->frame_links = g_array_new (FALSE, FALSE, sizeof (int));
  self->ip_id = 1;

  block_begin (self, BLOCK_SHB);
  put_u32_host (self->block, BYTE_ORDER_MAGIC);
  put_u16_host (self->block, 1);
  put_u16_host (self->block, 0);
  put_u32_host (self->block, 0xffffffffu);  /* section length unknown */
  put_u32_host (self->block, 0xffffffffu);
  if (application != NULL)
    put_option (self->block, SHB_USERAPPL, (const guint8 *) application, strlen (application));
  put_u32_host (self->block, OPT_ENDOFOPT);
  if (!block_end (self, error))
    {
      ms_pcapng_writer_free (self);
      return NULL;
    }
  return self;
}

MsPcapngWriter *
ms_pcapng_writer_new_for_frames (GOutputStream  *stream,
                                 const char     *application,
                                 GError        **error)
{
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);
  return writer_begin (stream, application, error);
}

/* The interface id for @link_type, declaring it (IDB, nanoseconds) on first use. */
static gboolean
frame_interface (MsPcapngWriter  *self,
                 int              link_type,
                 guint32         *if_id,
                 GError         **error)
{
  static const guint8 tsresol = 9;  /* 10^-9 s */
  g_autofree char *if_name = NULL;

  for (guint i = 0; i < self->frame_links->len; i++)
    if (g_array_index (self->frame_links, int, i) == link_type)
      {
        *if_id = self->first_frame_if + i;
        return TRUE;
      }
  if_name = g_strdup_printf ("linktype%d", link_type);
  block_begin (self, BLOCK_IDB);
  put_u16_host (self->block, (guint16) link_type);
  put_u16_host (self->block, 0);
  put_u32_host (self->block, 0);  /* SnapLen 0: no limit (§4.2) */
  put_option (self->block, IF_NAME, (const guint8 *) if_name, strlen (if_name));
  put_option (self->block, IF_TSRESOL, &tsresol, 1);
  put_u32_host (self->block, OPT_ENDOFOPT);
  if (!block_end (self, error))
    return FALSE;
  g_array_append_val (self->frame_links, link_type);
  *if_id = self->first_frame_if + self->frame_links->len - 1;
  return TRUE;
}

gboolean
ms_pcapng_writer_write_frame (MsPcapngWriter      *self,
                              int                  link_type,
                              gint64               t_ns,
                              const guint8        *data,
                              guint32              caplen,
                              guint32              wirelen,
                              const char * const  *comments,
                              GError             **error)
{
  guint32 if_id;
  guint64 ts = (guint64) MAX (t_ns, 0);
  gboolean any_comment = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || caplen == 0, FALSE);
  g_return_val_if_fail (link_type >= 0 && link_type <= G_MAXUINT16, FALSE);

  if (!frame_interface (self, link_type, &if_id, error))
    return FALSE;
  block_begin (self, BLOCK_EPB);
  put_u32_host (self->block, if_id);
  put_u32_host (self->block, (guint32) (ts >> 32));
  put_u32_host (self->block, (guint32) (ts & 0xffffffffu));
  put_u32_host (self->block, caplen);
  put_u32_host (self->block, MAX (wirelen, caplen));
  if (caplen > 0)
    g_byte_array_append (self->block, data, caplen);
  pad4 (self->block);
  for (gsize i = 0; comments != NULL && comments[i] != NULL; i++)
    if (comments[i][0] != '\0')
      {
        put_comment (self->block, comments[i]);
        any_comment = TRUE;
      }
  if (any_comment)
    put_u32_host (self->block, OPT_ENDOFOPT);
  return block_end (self, error);
}

gboolean
ms_pcapng_writer_flush (MsPcapngWriter  *self,
                        GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return g_output_stream_flush (self->stream, NULL, error);
}

MsPcapngWriter *
ms_pcapng_writer_new (GOutputStream  *stream,
                      const char     *application,
                      GError        **error)
{
  MsPcapngWriter *self;
  static const guint8 tsresol = 6;  /* 10^-6 s */
  static const char if_name[] = "mailsim0";

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), NULL);

  self = writer_begin (stream, application, error);
  if (self == NULL)
    return NULL;
  self->first_frame_if = 1;

  /* Interface Description Block */
  block_begin (self, BLOCK_IDB);
  put_u16_host (self->block, MS_PCAPNG_LINKTYPE_ETHERNET);
  put_u16_host (self->block, 0);
  put_u32_host (self->block, MS_PCAPNG_SNAPLEN);
  put_option (self->block, IF_NAME, (const guint8 *) if_name, strlen (if_name));
  put_option (self->block, IF_TSRESOL, &tsresol, 1);
  put_u32_host (self->block, OPT_ENDOFOPT);
  if (!block_end (self, error))
    goto fail;
  return self;

fail:
  ms_pcapng_writer_free (self);
  return NULL;
}

MsPcapngWriter *
ms_pcapng_writer_new_for_path (const char  *path,
                               const char  *application,
                               GError     **error)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_file_new_for_path (path);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (stream == NULL)
    return NULL;
  return ms_pcapng_writer_new (G_OUTPUT_STREAM (stream), application, error);
}

/* Ethernet + IP + TCP/UDP + payload into self->frame */
static void
build_frame (MsPcapngWriter       *self,
             const MsPcapngPacket *p)
{
  GByteArray *f = self->frame;
  gsize addr_len = p->family == 6 ? 16 : 4;
  guint l4_header = p->protocol == 6 ? TCP_HEADER + (p->mss != 0 ? TCP_OPT_MSS_LEN : 0)
                                     : UDP_HEADER;
  gsize l4_len = l4_header + p->payload_len;
  guint l4_at, ip_at;
  guint32 sum;
  guint16 csum;
  guint8 pseudo[4];

  g_byte_array_set_size (f, 0);
  g_byte_array_append (f, p->dst_mac, 6);
  g_byte_array_append (f, p->src_mac, 6);
  put_u16_be (f, p->family == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);

  ip_at = f->len;
  if (p->family == 6)
    {
      put_u32_be (f, 0x60000000u);  /* version 6, no traffic class or flow label */
      put_u16_be (f, (guint16) l4_len);
      g_byte_array_append (f, &p->protocol, 1);
      g_byte_array_append (f, (const guint8 *) "\x40", 1);  /* hop limit 64 */
      g_byte_array_append (f, p->src_addr, 16);
      g_byte_array_append (f, p->dst_addr, 16);
    }
  else
    {
      static const guint8 ttl = MS_PCAPNG_TTL;

      put_u16_be (f, 0x4500);                        /* version 4, IHL 5, TOS 0 */
      put_u16_be (f, (guint16) (IPV4_HEADER + l4_len));
      put_u16_be (f, self->ip_id++);
      put_u16_be (f, 0x4000);                        /* DF */
      g_byte_array_append (f, &ttl, 1);
      g_byte_array_append (f, &p->protocol, 1);
      put_u16_be (f, 0);                             /* checksum, below */
      g_byte_array_append (f, p->src_addr, 4);
      g_byte_array_append (f, p->dst_addr, 4);
      csum = ms_inet_checksum_finish (ms_inet_checksum_add (0, f->data + ip_at, IPV4_HEADER));
      f->data[ip_at + 10] = csum >> 8;
      f->data[ip_at + 11] = csum & 0xff;
    }

  l4_at = f->len;
  put_u16_be (f, p->src_port);
  put_u16_be (f, p->dst_port);
  if (p->protocol == 6)
    {
      put_u32_be (f, p->seq);
      put_u32_be (f, p->ack);
      put_u16_be (f, (guint16) (((l4_header / 4) << 12) | p->tcp_flags));
      put_u16_be (f, p->window);
      put_u16_be (f, 0);  /* checksum, below */
      put_u16_be (f, 0);  /* urgent pointer */
      if (p->mss != 0)
        {
          put_u16_be (f, 0x0204);  /* RFC 9293 §3.2: kind 2, length 4 */
          put_u16_be (f, p->mss);
        }
    }
  else
    {
      put_u16_be (f, (guint16) l4_len);
      put_u16_be (f, 0);
    }
  if (p->payload_len > 0)
    g_byte_array_append (f, p->payload, (guint) p->payload_len);

  /* RFC 793 §3.1, RFC 768, RFC 8200 §8.1: the pseudo-header */
  sum = ms_inet_checksum_add (0, p->src_addr, addr_len);
  sum = ms_inet_checksum_add (sum, p->dst_addr, addr_len);
  pseudo[0] = 0;
  pseudo[1] = p->protocol;
  if (p->family == 6)
    {
      guint8 len32[4] = { 0, 0, (l4_len >> 8) & 0xff, l4_len & 0xff };

      sum = ms_inet_checksum_add (sum, len32, 4);
      pseudo[2] = 0;
      pseudo[3] = p->protocol;
      sum = ms_inet_checksum_add (sum, pseudo + 2, 2);
    }
  else
    {
      pseudo[2] = (l4_len >> 8) & 0xff;
      pseudo[3] = l4_len & 0xff;
      sum = ms_inet_checksum_add (sum, pseudo, 4);
    }
  sum = ms_inet_checksum_add (sum, f->data + l4_at, l4_len);
  csum = ms_inet_checksum_finish (sum);
  if (p->protocol == 17 && csum == 0)
    csum = 0xffff;  /* RFC 768: 0 means "no checksum" */
  f->data[l4_at + (p->protocol == 6 ? 16 : 6)] = csum >> 8;
  f->data[l4_at + (p->protocol == 6 ? 17 : 7)] = csum & 0xff;
}

gboolean
ms_pcapng_writer_write (MsPcapngWriter        *self,
                        const MsPcapngPacket  *packet,
                        GError               **error)
{
  guint64 ts;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (packet != NULL, FALSE);
  g_return_val_if_fail (packet->family == 4 || packet->family == 6, FALSE);
  g_return_val_if_fail (packet->protocol == 6 || packet->protocol == 17, FALSE);
  g_return_val_if_fail (packet->payload_len <= 65000, FALSE);

  build_frame (self, packet);
  ts = (guint64) MAX (packet->timestamp_us, 0);

  block_begin (self, BLOCK_EPB);
  put_u32_host (self->block, 0);                      /* interface id */
  put_u32_host (self->block, (guint32) (ts >> 32));
  put_u32_host (self->block, (guint32) (ts & 0xffffffffu));
  put_u32_host (self->block, self->frame->len);       /* captured */
  put_u32_host (self->block, self->frame->len);       /* original */
  g_byte_array_append (self->block, self->frame->data, self->frame->len);
  pad4 (self->block);
  if (packet->comment != NULL && packet->comment[0] != '\0')
    {
      put_comment (self->block, packet->comment);
      put_u32_host (self->block, OPT_ENDOFOPT);
    }
  return block_end (self, error);
}

gboolean
ms_pcapng_writer_close (MsPcapngWriter  *self,
                        GError         **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->closed)
    return TRUE;
  self->closed = TRUE;
  return g_output_stream_close (self->stream, NULL, error);
}

void
ms_pcapng_writer_free (MsPcapngWriter *self)
{
  if (self == NULL)
    return;
  if (!self->closed)
    g_output_stream_close (self->stream, NULL, NULL);
  g_object_unref (self->stream);
  g_byte_array_unref (self->block);
  g_byte_array_unref (self->frame);
  g_array_unref (self->frame_links);
  g_free (self);
}
