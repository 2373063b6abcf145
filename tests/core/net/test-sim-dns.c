/* test-sim-dns.c: DNS over simulated UDP, answered from an MsDnsZone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>

#include "net-test-support.h"

typedef struct
{
  gboolean     done;
  MsDnsStatus  status;
  GPtrArray   *records;  /* of char*: "TYPE data" */
  guint64      t_us;
} Answer;

static void
on_answer (MsNode      *node,
           const char  *name,
           MsDnsType    qtype,
           MsDnsStatus  status,
           GPtrArray   *records,
           gpointer     user_data)
{
  Answer *answer = user_data;

  cr_assert_not (answer->done, "callback called twice");
  answer->done = TRUE;
  answer->status = status;
  answer->t_us = ms_network_get_now (ms_node_get_network (node));
  answer->records = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      const MsDnsRecord *r = g_ptr_array_index (records, i);
      g_autofree char *data = ms_dns_record_format_data (r);

      g_ptr_array_add (answer->records, g_strdup_printf ("%s %s %s", r->name,
                                                         ms_dns_type_to_string (r->type), data));
    }
}

static MsDnsZone *
test_zone (void)
{
  MsDnsZone *zone = ms_dns_zone_new ();
  const char *spf[] = { "v=spf1 ip4:198.51.100.0/24 ", "-all", NULL };

  ms_dns_zone_add_mx (zone, "isp.example", 10, "mail.isp.example");
  ms_dns_zone_add_mx (zone, "isp.example", 20, "backup.isp.example");
  cr_assert (ms_dns_zone_add_address (zone, "mail.isp.example", ISP_MAIL_ADDR, NULL));
  cr_assert (ms_dns_zone_add_address (zone, "mail.isp.example", ISP_MAIL_ADDR6, NULL));
  ms_dns_zone_add_txt (zone, "isp.example", spf);
  ms_dns_zone_add_cname (zone, "smtp.isp.example", "mail.isp.example");
  ms_dns_zone_add_ptr (zone, "25.100.51.198.in-addr.arpa", "mail.isp.example");
  ms_dns_zone_add_timeout (zone, "slow.isp.example");
  return zone;
}

static void
answer_clear (Answer *a)
{
  g_clear_pointer (&a->records, g_ptr_array_unref);
}

static MsNetwork *
dns_world (MsTrace **trace)
{
  MsNetwork *net = net_world_new (21);
  g_autoptr(MsDnsZone) zone = test_zone ();

  cr_assert (ms_node_serve_dns (ms_network_get_node (net, "isp-dns"), zone, NULL));
  *trace = ms_trace_new ("simulation", "dns");
  ms_network_set_trace (net, *trace);
  return net;
}

Test (sim_dns, mx_a_aaaa_txt_ptr_cname)
{
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsNetwork) net = dns_world (&trace);
  MsNode *pc = ms_network_get_node (net, "pc");
  struct { const char *name; MsDnsType type; const char *expect; } cases[] = {
    { "isp.example", MS_DNS_TYPE_MX,
      "isp.example MX 10 mail.isp.example.|isp.example MX 20 backup.isp.example." },
    { "MAIL.isp.example.", MS_DNS_TYPE_A, "mail.isp.example A " ISP_MAIL_ADDR },
    { "mail.isp.example", MS_DNS_TYPE_AAAA, "mail.isp.example AAAA " ISP_MAIL_ADDR6 },
    { "isp.example", MS_DNS_TYPE_TXT, "isp.example TXT \"v=spf1 ip4:198.51.100.0/24 \" \"-all\"" },
    { "25.100.51.198.in-addr.arpa", MS_DNS_TYPE_PTR,
      "25.100.51.198.in-addr.arpa PTR mail.isp.example." },
    { "smtp.isp.example", MS_DNS_TYPE_A,
      "smtp.isp.example CNAME mail.isp.example.|mail.isp.example A " ISP_MAIL_ADDR },
  };
  Answer answers[G_N_ELEMENTS (cases)] = { 0 };
  const MsPacket *p;
  guint n;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    ms_node_resolve (pc, ISP_DNS_ADDR, cases[i].name, cases[i].type, on_answer, &answers[i]);
  cr_assert (ms_network_run (net, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *joined = NULL;

      cr_assert (answers[i].done);
      cr_assert_eq (answers[i].status, MS_DNS_STATUS_NOERROR, "%s", cases[i].name);
      g_ptr_array_add (answers[i].records, NULL);
      joined = g_strjoinv ("|", (char **) answers[i].records->pdata);
      cr_assert_str_eq (joined, cases[i].expect);
      /* one round trip: pc → isp-dns and back */
      cr_assert_eq (answers[i].t_us, 2 * (HOME_LATENCY + ISP_LATENCY));
      answer_clear (&answers[i]);
    }
  /* a query and an answer per lookup, as UDP/53 packets and as "dns" events */
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (n, 2 * G_N_ELEMENTS (cases));
  for (guint i = 0; i < n; i++)
    {
      cr_assert_eq (p[i].protocol, MS_IP_PROTO_UDP);
      cr_assert (p[i].dst_port == 53 || p[i].src_port == 53);
    }
  cr_assert_eq (net_count_events (trace, "dns", "pc"), 2 * G_N_ELEMENTS (cases));
}

Test (sim_dns, nxdomain_nodata_and_timeout)
{
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsNetwork) net = dns_world (&trace);
  MsNode *pc = ms_network_get_node (net, "pc");
  Answer nx = { 0 }, nodata = { 0 }, slow = { 0 }, nobody = { 0 };
  MsTraceEvent *event;
  guint n;

  ms_network_set_dns_timeout (net, 2 * G_USEC_PER_SEC);
  ms_node_resolve (pc, ISP_DNS_ADDR, "nope.isp.example", MS_DNS_TYPE_A, on_answer, &nx);
  ms_node_resolve (pc, ISP_DNS_ADDR, "mail.isp.example", MS_DNS_TYPE_MX, on_answer, &nodata);
  ms_node_resolve (pc, ISP_DNS_ADDR, "slow.isp.example", MS_DNS_TYPE_A, on_answer, &slow);
  /* a server address with no DNS server behind it */
  ms_node_resolve (pc, ISP_MAIL_ADDR, "isp.example", MS_DNS_TYPE_MX, on_answer, &nobody);
  cr_assert (ms_network_run (net, NULL));
  cr_assert_eq (nx.status, MS_DNS_STATUS_NXDOMAIN);
  cr_assert_eq (nodata.status, MS_DNS_STATUS_NODATA);
  cr_assert_eq (slow.status, MS_DNS_STATUS_TIMEOUT);
  cr_assert_eq (slow.t_us, 2 * G_USEC_PER_SEC);
  cr_assert_eq (nobody.status, MS_DNS_STATUS_TIMEOUT);
  /* queries: 4, answers on the wire: 2 (the timeouts get none) */
  ms_network_get_packets (net, &n);
  cr_assert_eq (n, 6);
  event = ms_trace_get_event (trace, ms_trace_get_n_events (trace) - 1);
  cr_assert_str_eq (event->type, "dns");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "direction"), "answer");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "status"), "TIMEOUT");
  answer_clear (&nx);
  answer_clear (&nodata);
  answer_clear (&slow);
  answer_clear (&nobody);
}

Test (sim_dns, wire_format_round_trip_and_bad_input)
{
  g_autoptr(MsDnsZone) zone = test_zone ();
  g_autoptr(GBytes) query = ms_dns_message_build_query (0x1234, "isp.example", MS_DNS_TYPE_MX,
                                                        NULL);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *q;
  gsize len;
  guint16 id = 0;
  MsDnsStatus status;
  /* a response whose answer name points at itself */
  static const guint8 loop[] = {
    0x00, 0x01, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0,
    0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4,
  };
  static const guint8 short_query[] = { 0x00, 0x01, 0x01 };
  g_autoptr(GBytes) loop_bytes = g_bytes_new_static (loop, sizeof loop);
  g_autoptr(GBytes) short_bytes = g_bytes_new_static (short_query, sizeof short_query);

  q = g_bytes_get_data (query, &len);
  /* header: id, RD, one question; then 3isp7example0, type 15, class 1 */
  cr_assert_eq (len, 12 + 13 + 4);
  cr_assert_eq (q[0], 0x12);
  cr_assert_eq (q[2], 0x01);
  cr_assert_eq (q[5], 1);
  cr_assert_eq (memcmp (q + 12, "\x03isp\x07" "example\x00", 13), 0);
  cr_assert_eq (q[26], 15);

  answer = ms_dns_message_answer (zone, query);
  cr_assert_not_null (answer);
  cr_assert (ms_dns_message_parse_response (answer, &id, &status, &records, &error));
  cr_assert_eq (id, 0x1234);
  cr_assert_eq (status, MS_DNS_STATUS_NOERROR);
  cr_assert_eq (records->len, 2);
  /* QR, AA, RD echoed */
  q = g_bytes_get_data (answer, NULL);
  cr_assert_eq (q[2], 0x85);

  cr_assert_null (ms_dns_message_answer (zone, short_bytes));
  cr_assert_null (ms_dns_message_answer (zone, answer), "never answer a response");
  cr_assert_not (ms_dns_message_parse_response (loop_bytes, NULL, &status, NULL, &error));
  cr_assert_not_null (error);
}

Test (sim_dns, long_answers_are_cut_with_tc)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GBytes) query = ms_dns_message_build_query (7, "big.example", MS_DNS_TYPE_TXT, NULL);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *filler = g_strnfill (60, 'x');
  const char *strings[] = { filler, NULL };
  const guint8 *data;
  gsize len;
  MsDnsStatus status;

  for (guint i = 0; i < 20; i++)
    ms_dns_zone_add_txt (zone, "big.example", strings);
  answer = ms_dns_message_answer (zone, query);
  data = g_bytes_get_data (answer, &len);
  cr_assert_leq (len, MS_DNS_MAX_UDP_MESSAGE);
  cr_assert (data[2] & 0x02, "TC must be set");
  cr_assert (ms_dns_message_parse_response (answer, NULL, &status, &records, NULL));
  cr_assert_eq (status, MS_DNS_STATUS_NOERROR);
  cr_assert_gt (records->len, 0);
  cr_assert_lt (records->len, 20);
  cr_assert_eq ((guint) ((data[6] << 8) | data[7]), records->len);
}

static void
never_called (MsNode      *node,
              const char  *name,
              MsDnsType    qtype,
              MsDnsStatus  status,
              GPtrArray   *records,
              gpointer     user_data)
{
  cr_assert_fail ("a lookup of a freed network must not report");
}

Test (sim_dns, freeing_the_network_mid_lookup)
{
  MsTrace *trace = NULL;
  MsNetwork *net = dns_world (&trace);

  ms_node_resolve (ms_network_get_node (net, "pc"), ISP_DNS_ADDR, "isp.example",
                   MS_DNS_TYPE_MX, never_called, NULL);
  ms_scheduler_run_until (ms_network_get_scheduler (net), 1);
  g_object_unref (net);
  g_object_unref (trace);
}
