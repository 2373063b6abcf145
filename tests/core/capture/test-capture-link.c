/* test-capture-link.c: link-layer, IPv4 and IPv6 decoding of hand-made frames
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <pcap/pcap.h>
#include <criterion/criterion.h>

#include "capture-test-sink.h"

static const guint8 v4_client[4] = { 10, 0, 0, 1 }, v4_server[4] = { 10, 0, 0, 2 };
static const guint8 v6_client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const guint8 v6_server[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void
put16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { (guint8) (v >> 8), (guint8) v };

  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a, guint32 v)
{
  put16 (a, (guint16) (v >> 16));
  put16 (a, (guint16) v);
}

static void
put8 (GByteArray *a, guint8 v)
{
  g_byte_array_append (a, &v, 1);
}

/* A TCP header (20 bytes, or 32 with options) and payload. */
static GByteArray *
tcp_segment (gboolean from_client, guint32 seq, guint8 flags, const char *payload,
             gboolean options)
{
  GByteArray *a = g_byte_array_new ();

  put16 (a, from_client ? 40001 : 110);
  put16 (a, from_client ? 110 : 40001);
  put32 (a, seq);
  put32 (a, 0);
  put8 (a, options ? 0x80 : 0x50);
  put8 (a, flags);
  put16 (a, 65535);
  put32 (a, 0);              /* checksum, urgent */
  if (options)
    {
      put32 (a, 0x01010101);  /* NOPs */
      put32 (a, 0x01010101);
      put32 (a, 0x01010101);
    }
  if (payload != NULL)
    g_byte_array_append (a, (const guint8 *) payload, strlen (payload));
  return a;
}

static GByteArray *
ipv4_packet (gboolean from_client, guint16 id, guint16 frag, const guint8 *data, gsize len,
             guint8 proto)
{
  GByteArray *a = g_byte_array_new ();

  put8 (a, 0x45);
  put8 (a, 0);
  put16 (a, (guint16) (20 + len));
  put16 (a, id);
  put16 (a, frag);
  put8 (a, 64);
  put8 (a, proto);
  put16 (a, 0);
  g_byte_array_append (a, from_client ? v4_client : v4_server, 4);
  g_byte_array_append (a, from_client ? v4_server : v4_client, 4);
  g_byte_array_append (a, data, (guint) len);
  return a;
}

/* IPv6 header, then `ext` (already-built extension headers), then the data. */
static GByteArray *
ipv6_packet (gboolean from_client, guint8 next, const guint8 *ext, gsize ext_len,
             const guint8 *data, gsize len)
{
  GByteArray *a = g_byte_array_new ();

  put32 (a, 0x60000000);
  put16 (a, (guint16) (ext_len + len));
  put8 (a, next);
  put8 (a, 64);
  g_byte_array_append (a, from_client ? v6_client : v6_server, 16);
  g_byte_array_append (a, from_client ? v6_server : v6_client, 16);
  if (ext_len > 0)
    g_byte_array_append (a, ext, (guint) ext_len);
  g_byte_array_append (a, data, (guint) len);
  return a;
}

static GByteArray *
tcp_in_ipv4 (gboolean from_client, guint32 seq, guint8 flags, const char *payload)
{
  g_autoptr (GByteArray) t = tcp_segment (from_client, seq, flags, payload, from_client);

  return ipv4_packet (from_client, 1, 0x4000, t->data, t->len, 6);
}

typedef GByteArray *(*Wrap) (GByteArray *ip, gboolean v6);

static GByteArray *
wrap_ethernet (GByteArray *ip, gboolean v6, guint n_tags)
{
  GByteArray *a = g_byte_array_new ();
  static const guint8 macs[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
  guint i;

  g_byte_array_append (a, macs, 12);
  for (i = 0; i < n_tags; i++)
    {
      put16 (a, i == 0 && n_tags > 1 ? 0x88a8 : 0x8100);
      put16 (a, (guint16) (100 + i));
    }
  put16 (a, v6 ? 0x86dd : 0x0800);
  g_byte_array_append (a, ip->data, ip->len);
  /* Ethernet padding the IP total length must trim away. */
  put32 (a, 0xdeadbeef);
  return a;
}

static GByteArray *wrap_eth (GByteArray *ip, gboolean v6) { return wrap_ethernet (ip, v6, 0); }
static GByteArray *wrap_vlan (GByteArray *ip, gboolean v6) { return wrap_ethernet (ip, v6, 1); }
static GByteArray *wrap_qinq (GByteArray *ip, gboolean v6) { return wrap_ethernet (ip, v6, 2); }

static GByteArray *
wrap_sll (GByteArray *ip, gboolean v6)
{
  GByteArray *a = g_byte_array_new ();

  put16 (a, 0);          /* packet type: to us */
  put16 (a, 1);          /* ARPHRD_ETHER */
  put16 (a, 6);
  put32 (a, 0x00010203);
  put32 (a, 0x04050000);
  put16 (a, v6 ? 0x86dd : 0x0800);
  g_byte_array_append (a, ip->data, ip->len);
  return a;
}

static GByteArray *
wrap_sll2 (GByteArray *ip, gboolean v6)
{
  GByteArray *a = g_byte_array_new ();

  put16 (a, v6 ? 0x86dd : 0x0800);
  put16 (a, 0);
  put32 (a, 2);          /* ifindex */
  put16 (a, 1);
  put8 (a, 4);           /* outgoing */
  put8 (a, 6);
  put32 (a, 0x00010203);
  put32 (a, 0x04050000);
  g_byte_array_append (a, ip->data, ip->len);
  return a;
}

static GByteArray *
wrap_raw (GByteArray *ip, gboolean v6)
{
  return g_byte_array_append (g_byte_array_new (), ip->data, ip->len);
}

static GByteArray *
wrap_null_family (GByteArray *ip, guint32 fam, gboolean big_endian)
{
  GByteArray *a = g_byte_array_new ();
  guint8 b[4];

  if (big_endian)
    {
      b[0] = (guint8) (fam >> 24); b[1] = (guint8) (fam >> 16);
      b[2] = (guint8) (fam >> 8); b[3] = (guint8) fam;
    }
  else
    {
      b[3] = (guint8) (fam >> 24); b[2] = (guint8) (fam >> 16);
      b[1] = (guint8) (fam >> 8); b[0] = (guint8) fam;
    }
  g_byte_array_append (a, b, 4);
  g_byte_array_append (a, ip->data, ip->len);
  return a;
}

static GByteArray *wrap_null_le (GByteArray *ip, gboolean v6) { return wrap_null_family (ip, v6 ? 30 : 2, FALSE); }
static GByteArray *wrap_null_be (GByteArray *ip, gboolean v6) { return wrap_null_family (ip, v6 ? 24 : 2, TRUE); }
static GByteArray *wrap_loop (GByteArray *ip, gboolean v6) { return wrap_null_family (ip, v6 ? 28 : 2, TRUE); }

typedef struct
{
  const char *name;
  int         dlt;
  Wrap        wrap;
  gboolean    v4;
  gboolean    v6;
} LinkCase;

static const LinkCase link_cases[] = {
  { "ethernet", DLT_EN10MB, wrap_eth, TRUE, TRUE },
  { "802.1Q", DLT_EN10MB, wrap_vlan, TRUE, TRUE },
  { "QinQ", DLT_EN10MB, wrap_qinq, TRUE, TRUE },
  { "sll", DLT_LINUX_SLL, wrap_sll, TRUE, TRUE },
  { "sll2", DLT_LINUX_SLL2, wrap_sll2, TRUE, TRUE },
  { "raw", DLT_RAW, wrap_raw, TRUE, TRUE },
  { "linktype-raw-101", 101, wrap_raw, TRUE, TRUE },
  { "ipv4", DLT_IPV4, wrap_raw, TRUE, FALSE },
  { "ipv6", DLT_IPV6, wrap_raw, FALSE, TRUE },
  { "null-little-endian", DLT_NULL, wrap_null_le, TRUE, TRUE },
  { "null-big-endian", DLT_NULL, wrap_null_be, TRUE, TRUE },
  { "loop", 108, wrap_loop, TRUE, TRUE },
};

static void
feed (MsCaptureReader *r, int dlt, Wrap wrap, GByteArray *ip, gboolean v6)
{
  g_autoptr (GByteArray) frame = wrap (ip, v6);

  ms_capture_reader_feed_frame (r, dlt, 1700000000000000, frame->data, frame->len, frame->len);
  g_byte_array_unref (ip);
}

static GByteArray *
tcp_in_ipv6 (gboolean from_client, guint32 seq, guint8 flags, const char *payload,
             gboolean with_ext)
{
  g_autoptr (GByteArray) t = tcp_segment (from_client, seq, flags, payload, FALSE);
  /* hop-by-hop (8 bytes, next: destination options), destination options (16 bytes,
   * next: TCP) */
  static const guint8 ext[24] = { 60, 0, 1, 4, 0, 0, 0, 0,
                                  6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

  if (with_ext)
    return ipv6_packet (from_client, 0, ext, sizeof ext, t->data, t->len);
  return ipv6_packet (from_client, 6, NULL, 0, t->data, t->len);
}

Test (capture_link, every_link_type)
{
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (link_cases); i++)
    {
      const LinkCase *lc = &link_cases[i];
      int fam;

      for (fam = 4; fam <= 6; fam += 2)
        {
          g_autoptr (MsCaptureReader) r = ms_capture_reader_new_detached ();
          MsTcpStreamCallbacks cb;
          TestSink sink;
          gboolean v6 = fam == 6;

          if ((v6 && !lc->v6) || (!v6 && !lc->v4))
            continue;
          test_sink_init (&sink, &cb);
          ms_capture_reader_set_callbacks (r, &cb);
          if (v6)
            {
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv6 (TRUE, 100, MS_TCP_SYN, NULL, FALSE), TRUE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv6 (FALSE, 900, MS_TCP_SYN | MS_TCP_ACK, NULL, TRUE), TRUE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv6 (FALSE, 901, MS_TCP_ACK, "+OK ready\r\n", TRUE), TRUE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv6 (TRUE, 101, MS_TCP_ACK, "CAPA\r\n", FALSE), TRUE);
            }
          else
            {
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv4 (TRUE, 100, MS_TCP_SYN, NULL), FALSE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv4 (FALSE, 900, MS_TCP_SYN | MS_TCP_ACK, NULL), FALSE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv4 (FALSE, 901, MS_TCP_ACK, "+OK ready\r\n"), FALSE);
              feed (r, lc->dlt, lc->wrap, tcp_in_ipv4 (TRUE, 101, MS_TCP_ACK, "CAPA\r\n"), FALSE);
            }
          ms_capture_reader_finish (r);
          cr_expect_str_eq (sink.out[1]->str, "+OK ready\r\n", "%s IPv%d", lc->name, fam);
          cr_expect_str_eq (sink.out[0]->str, "CAPA\r\n", "%s IPv%d", lc->name, fam);
          cr_expect_eq (sink.opened, 1, "%s IPv%d", lc->name, fam);
          cr_expect (sink.saw_handshake, "%s IPv%d", lc->name, fam);
          cr_expect_str_eq (sink.client_address, v6 ? "2001:db8::1" : "10.0.0.1", "%s", lc->name);
          cr_expect_str_eq (sink.server_address, v6 ? "2001:db8::2" : "10.0.0.2", "%s", lc->name);
          cr_expect_eq (sink.server_port, 110);
          cr_expect_eq (sink.first_frame, 3, "%s: the first data was in frame 3", lc->name);
          cr_expect_eq (ms_capture_reader_get_stats (r)->tcp_segments, 4, "%s", lc->name);
          test_sink_clear (&sink);
        }
    }
}

/* IPv4 fragments arriving last-first, one of them twice with other bytes. */
Test (capture_link, ipv4_fragments_out_of_order)
{
  g_autoptr (MsCaptureReader) r = ms_capture_reader_new_detached ();
  g_autoptr (GByteArray) seg = tcp_segment (TRUE, 5000, MS_TCP_ACK,
                                            "USER alice\r\nPASS secret-password\r\n", FALSE);
  g_autoptr (GByteArray) bad = NULL;
  MsTcpStreamCallbacks cb;
  TestSink sink;
  const guint8 *d = seg->data;
  gsize n = seg->len;   /* 20 + 33 = 53: fragments of 24, 24 and 5 bytes */

  test_sink_init (&sink, &cb);
  ms_capture_reader_set_callbacks (r, &cb);
  feed (r, DLT_EN10MB, wrap_eth, ipv4_packet (TRUE, 77, 6, d + 48, n - 48, 6), FALSE);
  feed (r, DLT_EN10MB, wrap_eth, ipv4_packet (TRUE, 77, 0x2000 | 3, d + 24, 24, 6), FALSE);
  bad = g_byte_array_sized_new (24);
  g_byte_array_append (bad, (const guint8 *) "XXXXXXXXXXXXXXXXXXXXXXXX", 24);
  feed (r, DLT_EN10MB, wrap_eth, ipv4_packet (TRUE, 77, 0x2000 | 3, bad->data, 24, 6), FALSE);
  cr_expect_eq (sink.out[0]->len, 0);
  feed (r, DLT_EN10MB, wrap_eth, ipv4_packet (TRUE, 77, 0x2000, d, 24, 6), FALSE);
  ms_capture_reader_finish (r);
  cr_expect_str_eq (sink.out[0]->str, "USER alice\r\nPASS secret-password\r\n");
  cr_expect_eq (ms_capture_reader_get_stats (r)->fragments, 4);
  cr_expect_eq (ms_capture_reader_get_stats (r)->reassembled_datagrams, 1);
  test_sink_clear (&sink);
}

/* IPv6 fragment headers (RFC 8200 §4.5), second fragment first. */
Test (capture_link, ipv6_fragments_out_of_order)
{
  g_autoptr (MsCaptureReader) r = ms_capture_reader_new_detached ();
  g_autoptr (GByteArray) seg = tcp_segment (FALSE, 1, MS_TCP_ACK,
                                            "* OK IMAP4rev1 ready\r\n", FALSE);
  MsTcpStreamCallbacks cb;
  TestSink sink;
  guint8 fh1[8] = { 6, 0, 0x00, 0x01, 0, 0, 0x12, 0x34 };          /* offset 0, M */
  guint8 fh2[8] = { 6, 0, 0x00, 0x02 * 8 >> 0, 0, 0, 0x12, 0x34 };   /* offset 16 */

  fh2[2] = 0;
  fh2[3] = (guint8) (2 << 3);   /* offset 2 units of 8 bytes = 16, M = 0 */
  test_sink_init (&sink, &cb);
  ms_capture_reader_set_callbacks (r, &cb);
  feed (r, DLT_RAW, wrap_raw, ipv6_packet (FALSE, 44, fh2, 8, seg->data + 16, seg->len - 16), TRUE);
  cr_expect_eq (sink.opened, 0);
  feed (r, DLT_RAW, wrap_raw, ipv6_packet (FALSE, 44, fh1, 8, seg->data, 16), TRUE);
  ms_capture_reader_finish (r);
  cr_expect_str_eq (sink.out[1]->str, "* OK IMAP4rev1 ready\r\n");
  cr_expect_str_eq (sink.server_address, "2001:db8::2");
  cr_expect_eq (sink.server_port, 110);
  test_sink_clear (&sink);
}

/* Short and hostile frames are counted, never read past their end. */
Test (capture_link, truncated_frames_are_decode_errors)
{
  g_autoptr (MsCaptureReader) r = ms_capture_reader_new_detached ();
  g_autoptr (GByteArray) ip = tcp_in_ipv4 (TRUE, 1, MS_TCP_ACK, "hello");
  g_autoptr (GByteArray) frame = wrap_eth (ip, FALSE);
  const MsCaptureStats *st;
  guint k;

  /* Every prefix of a valid frame. */
  for (k = 0; k < frame->len; k++)
    {
      guint8 *copy = g_memdup2 (frame->data, k);

      ms_capture_reader_feed_frame (r, DLT_EN10MB, 1, copy, k, k);
      g_free (copy);
    }
  st = ms_capture_reader_get_stats (r);
  cr_expect_gt (st->decode_errors[MS_CAPTURE_DECODE_LINK], 0);
  cr_expect_gt (st->decode_errors[MS_CAPTURE_DECODE_IPV4], 0);
  cr_expect_eq (st->decode_errors[MS_CAPTURE_DECODE_TCP], 0);
  /* A TCP data offset below 5 words (RFC 9293 §3.1). */
  {
    g_autoptr (GByteArray) t = tcp_segment (TRUE, 1, MS_TCP_ACK, "x", FALSE);
    g_autoptr (GByteArray) bad_ip = NULL;
    g_autoptr (GByteArray) bad_frame = NULL;

    t->data[12] = 0x20;
    bad_ip = ipv4_packet (TRUE, 2, 0, t->data, t->len, 6);
    bad_frame = wrap_eth (bad_ip, FALSE);
    ms_capture_reader_feed_frame (r, DLT_EN10MB, 1, bad_frame->data, bad_frame->len,
                                  bad_frame->len);
    cr_expect_eq (st->decode_errors[MS_CAPTURE_DECODE_TCP], 1);
  }
  /* A frame cut by the snap length: what was captured is kept, the rest a gap. */
  ms_capture_reader_feed_frame (r, DLT_EN10MB, 2, frame->data, frame->len - 6, frame->len);
  cr_expect_eq (st->decode_errors[MS_CAPTURE_DECODE_SNAPLEN], 1);
}

/* An ARP frame and a UDP datagram are skipped and counted. */
Test (capture_link, non_tcp_skipped)
{
  g_autoptr (MsCaptureReader) r = ms_capture_reader_new_detached ();
  static const guint8 udp[8] = { 0, 53, 0, 53, 0, 8, 0, 0 };
  g_autoptr (GByteArray) ip = ipv4_packet (TRUE, 1, 0, udp, 8, 17);
  g_autoptr (GByteArray) frame = wrap_eth (ip, FALSE);
  guint8 arp[42] = { 0 };

  arp[12] = 0x08;
  arp[13] = 0x06;
  ms_capture_reader_feed_frame (r, DLT_EN10MB, 1, frame->data, frame->len, frame->len);
  ms_capture_reader_feed_frame (r, DLT_EN10MB, 1, arp, sizeof arp, sizeof arp);
  cr_expect_eq (ms_capture_reader_get_stats (r)->non_tcp_skipped, 2);
  cr_expect_eq (ms_capture_reader_get_stats (r)->tcp_segments, 0);
}
