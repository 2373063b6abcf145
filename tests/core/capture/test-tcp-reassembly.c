/* test-tcp-reassembly.c: TCP reassembly step tests in the style of Suricata's
 * stream-tcp-reassemble overlap tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each case inserts client segments at sequence numbers relative to the first data
 * byte, then compares the whole reassembled client stream, missing bytes drawn as
 * '_'. Every case runs with three initial sequence numbers: an ordinary one, one
 * just below 2^32 (the stream wraps to 0) and one just below 2^31 (where a signed
 * comparison would flip).
 */
#include <string.h>
#include <criterion/criterion.h>

#include "capture-test-sink.h"

#define CLIENT_PORT 40000
#define SERVER_PORT 25

static const guint32 test_isns[] = { 1000u, 0xfffffffau, 0x7ffffffcu };

typedef struct
{
  guint32     rel;     /* sequence number relative to the first data byte */
  const char *data;
} Step;

typedef struct
{
  MsTcpReassembler     *r;
  MsTcpStreamCallbacks  cb;
  TestSink              sink;
  guint32               isn_c;
  guint32               isn_s;
  gint64                t_us;
  guint64               frame;
} Flow;

static void
segment (Flow *f, gboolean from_client, guint32 seq, guint32 ack, guint8 flags,
         const char *data, gsize len)
{
  MsTcpSegment s;
  static const guint8 caddr[4] = { 192, 0, 2, 10 }, saddr[4] = { 198, 51, 100, 25 };

  memset (&s, 0, sizeof s);
  s.family = 4;
  memcpy (s.src, from_client ? caddr : saddr, 4);
  memcpy (s.dst, from_client ? saddr : caddr, 4);
  s.src_port = from_client ? CLIENT_PORT : SERVER_PORT;
  s.dst_port = from_client ? SERVER_PORT : CLIENT_PORT;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.payload = (const guint8 *) data;
  s.payload_len = len;
  f->t_us += 1000;
  s.t_us = f->t_us;
  s.frame_number = ++f->frame;
  ms_tcp_reassembler_add (f->r, &s);
}

static void
flow_start (Flow *f, guint32 isn)
{
  memset (f, 0, sizeof *f);
  test_sink_init (&f->sink, &f->cb);
  f->r = ms_tcp_reassembler_new (&f->cb);
  f->isn_c = isn;
  f->isn_s = isn ^ 0x5a5a5a5au;
  f->t_us = G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC;
  segment (f, TRUE, f->isn_c, 0, MS_TCP_SYN, NULL, 0);
  segment (f, FALSE, f->isn_s, f->isn_c + 1, MS_TCP_SYN | MS_TCP_ACK, NULL, 0);
  segment (f, TRUE, f->isn_c + 1, f->isn_s + 1, MS_TCP_ACK, NULL, 0);
}

static void
client_data (Flow *f, guint32 rel, const char *data)
{
  segment (f, TRUE, f->isn_c + 1 + rel, f->isn_s + 1, MS_TCP_ACK | MS_TCP_PSH,
           data, strlen (data));
}

static void
flow_end (Flow *f)
{
  ms_tcp_reassembler_finish (f->r, f->t_us);
  ms_tcp_reassembler_free (f->r);
  test_sink_clear (&f->sink);
}

static void
check_case (const char *name, const Step *steps, gsize n, const char *expected)
{
  gsize k, i;

  for (k = 0; k < G_N_ELEMENTS (test_isns); k++)
    {
      Flow f;

      flow_start (&f, test_isns[k]);
      for (i = 0; i < n; i++)
        client_data (&f, steps[i].rel, steps[i].data);
      ms_tcp_reassembler_finish (f.r, f.t_us);
      cr_expect_str_eq (f.sink.out[0]->str, expected, "%s with ISN %u", name, test_isns[k]);
      cr_expect_eq (f.sink.closed, 1);
      cr_expect_eq (f.sink.last_reason, MS_TCP_CLOSE_END_OF_CAPTURE);
      flow_end (&f);
    }
}

#define STEP(rel, data) { (rel), (data) }
#define OVERLAP_CASE(name, expected, ...)                                \
  Test (tcp_overlap, name)                                               \
  {                                                                      \
    static const Step steps[] = { __VA_ARGS__ };                         \
    check_case (#name, steps, G_N_ELEMENTS (steps), (expected));         \
  }

OVERLAP_CASE (in_order, "AAAABBBBCCCC",
              STEP (0, "AAAA"), STEP (4, "BBBB"), STEP (8, "CCCC"))
OVERLAP_CASE (reverse_order, "AAAABBBBCCCC",
              STEP (8, "CCCC"), STEP (4, "BBBB"), STEP (0, "AAAA"))
OVERLAP_CASE (out_of_order_middle_last, "AAAABBBBCCCC",
              STEP (0, "AAAA"), STEP (8, "CCCC"), STEP (4, "BBBB"))
OVERLAP_CASE (duplicates, "AAAABBBB",
              STEP (0, "AAAA"), STEP (0, "AAAA"), STEP (4, "BBBB"), STEP (4, "BBBB"),
              STEP (0, "AAAA"))
OVERLAP_CASE (duplicate_out_of_order, "AAAABBBBCCCC",
              STEP (8, "CCCC"), STEP (8, "CCCC"), STEP (4, "BBBB"), STEP (8, "CCCC"),
              STEP (0, "AAAA"))
OVERLAP_CASE (retransmission_different_bytes, "AAAABBBB",
              STEP (0, "AAAA"), STEP (0, "XXXX"), STEP (4, "BBBB"), STEP (2, "YYYY"))
OVERLAP_CASE (retransmission_different_bytes_buffered, "AAAABBBB",
              STEP (4, "BBBB"), STEP (4, "YYYY"), STEP (0, "AAAA"))
OVERLAP_CASE (overlap_before, "AAxxBBBB",
              STEP (4, "BBBB"), STEP (2, "xxxxxx"), STEP (0, "AA"))
OVERLAP_CASE (overlap_after, "AAAABBBByyyy",
              STEP (4, "BBBB"), STEP (6, "yyyyyy"), STEP (0, "AAAA"))
OVERLAP_CASE (overlap_inside, "AABBBBBBBB",
              STEP (2, "BBBBBBBB"), STEP (4, "zz"), STEP (0, "AA"))
OVERLAP_CASE (overlap_covering, "AAxxBBBBxx",
              STEP (4, "BBBB"), STEP (2, "xxxxxxxx"), STEP (0, "AA"))
OVERLAP_CASE (overlap_spanning_several, "xxBBxxDDxxFFxx",
              STEP (2, "BB"), STEP (6, "DD"), STEP (10, "FF"), STEP (0, "xxxxxxxxxxxxxx"))
OVERLAP_CASE (overlap_spanning_several_buffered, "AABBxxDDxxFFxx",
              STEP (2, "BB"), STEP (6, "DD"), STEP (10, "FF"), STEP (2, "xxxxxxxxxxxx"),
              STEP (0, "AA"))
OVERLAP_CASE (overlap_delivered, "AAAAqqqq",
              STEP (0, "AAAA"), STEP (2, "qqqqqq"))
OVERLAP_CASE (overlap_exact_ends, "AAAABBBBCCCC",
              STEP (4, "BBBB"), STEP (0, "AAAABBBBCCCC"))
OVERLAP_CASE (missing_middle, "AAAA____CCCC",
              STEP (0, "AAAA"), STEP (8, "CCCC"))
OVERLAP_CASE (missing_several, "AA__BB__CC",
              STEP (8, "CC"), STEP (0, "AA"), STEP (4, "BB"))
OVERLAP_CASE (missing_then_filled, "AAAABBBBCCCC",
              STEP (0, "AAAA"), STEP (8, "CCCC"), STEP (6, "BB"), STEP (4, "BBBB"))

/* The receiver ACKs past bytes the capture never saw: a gap at once, and a late
 * retransmission of them is not taken in after the gap was drawn. */
Test (tcp_gap, ack_past_missing_data)
{
  gsize k;

  for (k = 0; k < G_N_ELEMENTS (test_isns); k++)
    {
      Flow f;

      flow_start (&f, test_isns[k]);
      client_data (&f, 0, "AAAA");
      segment (&f, FALSE, f.isn_s + 1, f.isn_c + 1 + 8, MS_TCP_ACK, NULL, 0);
      cr_expect_str_eq (f.sink.out[0]->str, "AAAA____");
      client_data (&f, 4, "BBBB");
      client_data (&f, 8, "CCCC");
      cr_expect_str_eq (f.sink.out[0]->str, "AAAA____CCCC");
      flow_end (&f);
    }
}

/* ACKed past a hole in front of buffered data: the gap, then the buffered bytes. */
Test (tcp_gap, ack_releases_buffered)
{
  Flow f;

  flow_start (&f, 0xfffffff0u);
  client_data (&f, 0, "AA");
  client_data (&f, 4, "CC");
  client_data (&f, 8, "EE");
  segment (&f, FALSE, f.isn_s + 1, f.isn_c + 1 + 10, MS_TCP_ACK, NULL, 0);
  cr_expect_str_eq (f.sink.out[0]->str, "AA__CC__EE");
  flow_end (&f);
}

/* The out-of-order buffer is bounded: past the cap the oldest hole becomes a gap. */
Test (tcp_gap, out_of_order_cap)
{
  Flow f;

  flow_start (&f, 0xfffffffcu);
  ms_tcp_reassembler_set_limits (f.r, 0, 8, 0);
  client_data (&f, 0, "AA");
  client_data (&f, 4, "BBBB");
  cr_expect_str_eq (f.sink.out[0]->str, "AA");
  client_data (&f, 10, "CCCCCC");   /* 10 bytes held > 8 */
  cr_expect_str_eq (f.sink.out[0]->str, "AA__BBBB");
  ms_tcp_reassembler_finish (f.r, f.t_us);
  cr_expect_str_eq (f.sink.out[0]->str, "AA__BBBB__CCCCCC");
  flow_end (&f);
}

/* Both FINs close the connection; missing data before a FIN that the peer ACKs
 * is a gap. */
Test (tcp_close, fin_both_sides)
{
  Flow f;

  flow_start (&f, 4000);
  client_data (&f, 0, "HELO x\r\n");
  segment (&f, FALSE, f.isn_s + 1, f.isn_c + 9, MS_TCP_ACK | MS_TCP_PSH, "250 ok\r\n", 8);
  segment (&f, TRUE, f.isn_c + 9, f.isn_s + 9, MS_TCP_ACK | MS_TCP_FIN, NULL, 0);
  cr_expect_eq (f.sink.closed, 0);
  segment (&f, FALSE, f.isn_s + 9, f.isn_c + 10, MS_TCP_ACK | MS_TCP_FIN, NULL, 0);
  cr_expect_eq (f.sink.closed, 1);
  cr_expect_eq (f.sink.last_reason, MS_TCP_CLOSE_FIN);
  cr_expect_str_eq (f.sink.out[0]->str, "HELO x\r\n");
  cr_expect_str_eq (f.sink.out[1]->str, "250 ok\r\n");
  /* The last ACK and a retransmitted FIN are late, not a new connection. */
  segment (&f, TRUE, f.isn_c + 10, f.isn_s + 10, MS_TCP_ACK, NULL, 0);
  segment (&f, FALSE, f.isn_s + 9, f.isn_c + 10, MS_TCP_ACK | MS_TCP_FIN, NULL, 0);
  cr_expect_eq (f.sink.opened, 1);
  cr_expect_eq (ms_tcp_reassembler_get_stats (f.r)->open_connections, 0);
  flow_end (&f);
}

Test (tcp_close, fin_after_missing_data)
{
  Flow f;

  flow_start (&f, 0xfffffffeu);
  client_data (&f, 0, "AAAA");
  segment (&f, TRUE, f.isn_c + 1 + 8, f.isn_s + 1, MS_TCP_ACK | MS_TCP_FIN, "CCCC", 4);
  cr_expect_str_eq (f.sink.out[0]->str, "AAAA");
  segment (&f, FALSE, f.isn_s + 1, f.isn_c + 1 + 13, MS_TCP_ACK | MS_TCP_FIN, NULL, 0);
  cr_expect_str_eq (f.sink.out[0]->str, "AAAA____CCCC");
  cr_expect_eq (f.sink.closed, 1);
  cr_expect_eq (f.sink.last_reason, MS_TCP_CLOSE_FIN);
  flow_end (&f);
}

Test (tcp_close, rst_flushes_and_closes)
{
  Flow f;

  flow_start (&f, 77);
  client_data (&f, 0, "AA");
  client_data (&f, 4, "CC");
  segment (&f, FALSE, f.isn_s + 1, 0, MS_TCP_RST, NULL, 0);
  cr_expect_eq (f.sink.closed, 1);
  cr_expect_eq (f.sink.last_reason, MS_TCP_CLOSE_RST);
  cr_expect_str_eq (f.sink.out[0]->str, "AA__CC");
  flow_end (&f);
}

/* RFC 9293 §3.6.1: a new SYN after the close reuses the 4-tuple as a new connection. */
Test (tcp_close, new_syn_after_fin_is_new_connection)
{
  Flow f;

  flow_start (&f, 100);
  client_data (&f, 0, "one");
  segment (&f, FALSE, f.isn_s + 1, 0, MS_TCP_RST, NULL, 0);
  cr_expect_eq (f.sink.closed, 1);
  segment (&f, TRUE, 100, 0, MS_TCP_SYN, NULL, 0);   /* late copy of the old SYN */
  cr_expect_eq (f.sink.opened, 1);
  segment (&f, TRUE, 5000, 0, MS_TCP_SYN, NULL, 0);
  cr_expect_eq (f.sink.opened, 2);
  cr_expect_eq (f.sink.last_id, 2);
  segment (&f, TRUE, 5001, 0, MS_TCP_ACK, "two", 3);
  cr_expect_str_eq (f.sink.out[0]->str, "onetwo");
  flow_end (&f);
}

/* Picked up mid-stream: no SYN; the mail port decides the server, data starts at
 * the first byte seen. */
Test (tcp_midstream, server_by_port)
{
  Flow f;

  memset (&f, 0, sizeof f);
  test_sink_init (&f.sink, &f.cb);
  f.r = ms_tcp_reassembler_new (&f.cb);
  f.t_us = 1;
  segment (&f, FALSE, 0xfffffffe, 9, MS_TCP_ACK, "250 OK\r\n", 8);
  cr_expect_eq (f.sink.opened, 1);
  cr_expect_not (f.sink.saw_handshake);
  cr_expect_eq (f.sink.server_port, SERVER_PORT);
  cr_expect_eq (f.sink.client_port, CLIENT_PORT);
  cr_expect_str_eq (f.sink.client_address, "192.0.2.10");
  segment (&f, TRUE, 9, 0xfffffffe + 8, MS_TCP_ACK, "QUIT\r\n", 6);
  segment (&f, FALSE, 6, 15, MS_TCP_ACK, "221 bye\r\n", 9);
  cr_expect_str_eq (f.sink.out[1]->str, "250 OK\r\n221 bye\r\n");
  cr_expect_str_eq (f.sink.out[0]->str, "QUIT\r\n");
  flow_end (&f);
}

Test (tcp_limits, idle_timeout_and_eviction)
{
  Flow f;
  MsTcpSegment s;
  guint i;

  flow_start (&f, 1);
  ms_tcp_reassembler_set_limits (f.r, 3, 0, 10 * G_USEC_PER_SEC);
  client_data (&f, 0, "x");
  ms_tcp_reassembler_expire (f.r, f.t_us + 11 * G_USEC_PER_SEC);
  cr_expect_eq (f.sink.closed, 1);
  cr_expect_eq (f.sink.last_reason, MS_TCP_CLOSE_TIMEOUT);

  /* Ten connections through a table of three: never more than three open. */
  memset (&s, 0, sizeof s);
  s.family = 6;
  s.src[15] = 1;
  s.dst[15] = 2;
  s.dst_port = 143;
  s.flags = MS_TCP_SYN;
  for (i = 0; i < 10; i++)
    {
      s.src_port = (guint16) (50000 + i);
      s.t_us = f.t_us + i;
      ms_tcp_reassembler_add (f.r, &s);
      cr_assert_leq (ms_tcp_reassembler_get_stats (f.r)->open_connections, 3);
    }
  cr_expect_eq (ms_tcp_reassembler_get_stats (f.r)->evictions, 7);
  cr_expect_str_eq (f.sink.server_address, "::2");
  flow_end (&f);
}

/* The same stream, cut into random packets, shuffled, with duplicates and
 * overlapping retransmissions of the same bytes, always comes out whole. */
Test (tcp_splits, same_stream_any_split)
{
  char stream[4096];
  GRand *rand = g_rand_new_with_seed (20261128);
  gsize i;
  guint round;

  for (i = 0; i < sizeof stream; i++)
    stream[i] = "abcdefghijklmnopqrstuvwxyz0123456789\r\n"[g_rand_int_range (rand, 0, 38)];

  for (round = 0; round < 60; round++)
    {
      Flow f;
      GPtrArray *pieces = g_ptr_array_new_with_free_func (g_free);
      gsize pos = 0;
      guint32 isn = round % 3 == 0 ? 0xffffff00u + round : g_rand_int (rand);
      guint max = round % 4 == 0 ? 1 : (guint) g_rand_int_range (rand, 2, 1500);

      while (pos < sizeof stream)
        {
          gsize want = (gsize) g_rand_int_range (rand, 1, (gint32) max + 1);
          gsize n = MIN (want, sizeof stream - pos);
          gsize *p = g_new (gsize, 2);

          p[0] = pos;
          p[1] = n;
          g_ptr_array_add (pieces, p);
          /* Sometimes a retransmission that straddles the next piece. */
          if (g_rand_int_range (rand, 0, 5) == 0)
            {
              gsize *q = g_new (gsize, 2);
              gsize extra = (gsize) g_rand_int_range (rand, 1, 300);   /* MIN evaluates twice */

              q[0] = pos;
              q[1] = MIN (n + extra, sizeof stream - pos);
              g_ptr_array_add (pieces, q);
            }
          pos += n;
        }
      /* Shuffle within a window, as a network reorders. */
      if (round % 2 == 1)
        for (i = 0; i + 1 < pieces->len; i++)
          {
            guint window = MIN (8, pieces->len - i);
            gsize j = i + (gsize) g_rand_int_range (rand, 0, (gint32) window);
            gpointer t = pieces->pdata[i];

            pieces->pdata[i] = pieces->pdata[j];
            pieces->pdata[j] = t;
          }
      flow_start (&f, isn);
      for (i = 0; i < pieces->len; i++)
        {
          gsize *p = pieces->pdata[i];

          segment (&f, TRUE, f.isn_c + 1 + (guint32) p[0], f.isn_s + 1,
                   MS_TCP_ACK, stream + p[0], p[1]);
        }
      ms_tcp_reassembler_finish (f.r, f.t_us);
      cr_assert_eq (f.sink.out[0]->len, sizeof stream, "round %u: %zu bytes", round,
                    f.sink.out[0]->len);
      cr_assert (memcmp (f.sink.out[0]->str, stream, sizeof stream) == 0, "round %u", round);
      flow_end (&f);
      g_ptr_array_unref (pieces);
    }
  g_rand_free (rand);
}
