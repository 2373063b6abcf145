/* test-network.c: topology, routing, router filters and simulated TCP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>

#include "net-test-support.h"

/* One side of a hand-driven connection */
typedef struct
{
  GByteArray        *received;
  gboolean           eof;
  gboolean           closed;
  gboolean           close_on_eof;
  MsSimTcpEndpoint  *endpoint;
  guint32            isn;
  char               remote[64];
} Side;

typedef struct
{
  Side      client;
  Side      server;
  GError   *error;
  gboolean  connected;
  GBytes   *to_send;
} Run;

static void
side_receive (MsSimTcpEndpoint *ep,
              GBytes           *data,
              gpointer          user_data)
{
  Side *side = user_data;

  if (data == NULL)
    {
      side->eof = TRUE;
      if (side->close_on_eof)
        ms_sim_tcp_endpoint_close (ep);
      return;
    }
  g_byte_array_append (side->received, g_bytes_get_data (data, NULL),
                       (guint) g_bytes_get_size (data));
}

static void
side_closed (MsSimTcpEndpoint *ep,
             gpointer          user_data)
{
  Side *side = user_data;

  side->closed = TRUE;
  side->isn = ms_sim_tcp_endpoint_get_isn (ep);
}

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  Run *run = user_data;

  run->server.endpoint = ep;
  g_strlcpy (run->server.remote, ms_sim_tcp_endpoint_get_remote_address (ep),
             sizeof run->server.remote);
  cr_assert_not (ms_sim_tcp_endpoint_is_client (ep));
  ms_sim_tcp_endpoint_set_callbacks (ep, side_receive, side_closed, &run->server);
}

static void
on_connected (MsSimTcpEndpoint *ep,
              const GError     *error,
              gpointer          user_data)
{
  Run *run = user_data;

  if (error != NULL)
    {
      run->error = g_error_copy (error);
      return;
    }
  run->connected = TRUE;
  cr_assert (ms_sim_tcp_endpoint_is_established (ep));
  ms_sim_tcp_endpoint_set_callbacks (ep, side_receive, side_closed, &run->client);
  if (run->to_send != NULL)
    ms_sim_tcp_endpoint_send (ep, run->to_send);
  ms_sim_tcp_endpoint_close (ep);
}

static void
run_init (Run *run)
{
  memset (run, 0, sizeof *run);
  run->client.received = g_byte_array_new ();
  run->server.received = g_byte_array_new ();
  run->server.close_on_eof = TRUE;
}

static void
run_clear (Run *run)
{
  g_byte_array_unref (run->client.received);
  g_byte_array_unref (run->server.received);
  g_clear_error (&run->error);
  g_clear_pointer (&run->to_send, g_bytes_unref);
}

Test (network, addresses_must_fit_their_subnet)
{
  g_autoptr(MsNetwork) net = net_world_new (1);
  g_autoptr(GError) error = NULL;
  MsNode *pc = ms_network_get_node (net, "pc");

  cr_assert_not (ms_node_add_address (pc, "isp", "10.9.9.9", &error));
  cr_assert (g_error_matches (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS));
  g_clear_error (&error);
  cr_assert_not (ms_node_add_address (pc, "isp", ISP_MAIL_ADDR, &error));
  cr_assert (g_error_matches (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS));
  g_clear_error (&error);
  cr_assert_not (ms_node_add_address (pc, "nowhere", "10.0.0.1", &error));
  cr_assert (g_error_matches (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_NOT_FOUND));
  g_clear_error (&error);
  cr_assert_null (ms_network_add_subnet (net, "lan", "10.1.0.0/16", 1, &error));
  g_clear_error (&error);
  cr_assert_null (ms_network_add_subnet (net, "bad", "10.1.0.0/33", 1, &error));
  cr_assert (g_error_matches (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS));
  g_clear_error (&error);
  cr_assert_str_eq (ms_node_get_address (pc, NULL, 4), PC_ADDR);
  cr_assert_str_eq (ms_node_get_address (pc, "home-pool", 6), PC_ADDR6);
  cr_assert_eq (ms_network_find_node_by_address (net, "10.0.0.25"),
                ms_network_get_node (net, "mail-internal"));
  cr_assert_null (ms_network_find_node_by_address (net, "10.0.0.99"));
}

Test (network, handshake_segments_and_fin_numbers)
{
  g_autoptr(MsNetwork) net = net_world_new (7);
  g_autoptr(GError) error = NULL;
  MsNode *pc = ms_network_get_node (net, "pc");
  MsNode *server = ms_network_get_node (net, "isp-mail");
  guint8 data[3000];
  const MsPacket *p;
  guint n;
  guint32 c, s;
  guint64 one_way = HOME_LATENCY + ISP_LATENCY;
  Run run;

  run_init (&run);
  for (guint i = 0; i < sizeof data; i++)
    data[i] = (guint8) (i * 7);
  run.to_send = g_bytes_new (data, sizeof data);
  cr_assert (ms_node_listen (server, 2525, on_accept, &run, NULL));
  cr_assert_not (ms_node_listen (server, 2525, on_accept, &run, NULL));
  cr_assert_not_null (ms_network_connect (net, pc, ISP_MAIL_ADDR, 2525, on_connected, &run,
                                          &error));
  cr_assert_eq (ms_network_get_n_open_connections (net), 1);
  cr_assert (ms_network_run (net, &error));
  cr_assert (run.connected);
  cr_assert_null (run.error);
  cr_assert_eq (run.server.received->len, sizeof data);
  cr_assert_eq (memcmp (run.server.received->data, data, sizeof data), 0);
  cr_assert (run.server.eof && run.client.eof);
  cr_assert (run.client.closed && run.server.closed);
  cr_assert_eq (ms_network_get_n_open_connections (net), 0);

  p = ms_network_get_packets (net, &n);
  {
    g_autofree char *dump = net_packets_dump (net);
    /* SYN, SYN/ACK, ACK, 3 data + FIN sent together, the server's FIN/ACK acknowledging
     * all of them at once (it closes on EOF), the last ACK */
    cr_assert_eq (n, 9, "%s", dump);
  }
  c = run.client.isn;
  s = run.server.isn;
  cr_assert_eq (p[0].tcp_flags, MS_TCP_SYN);
  cr_assert_eq (p[0].seq, c);
  cr_assert_eq (p[0].mss, MS_SIM_TCP_DEFAULT_MSS);
  cr_assert_eq (p[0].src_port, 49152);
  cr_assert_eq (p[0].t_us, 0);
  cr_assert_eq (p[1].tcp_flags, MS_TCP_SYN | MS_TCP_ACK);
  cr_assert_eq (p[1].seq, s);
  cr_assert_eq (p[1].ack, c + 1);
  cr_assert_eq (p[1].t_us, one_way);
  cr_assert_eq (p[2].tcp_flags, MS_TCP_ACK);
  cr_assert_eq (p[2].seq, c + 1);
  cr_assert_eq (p[2].ack, s + 1);
  cr_assert_eq (p[2].t_us, 2 * one_way);
  /* data cut at the MSS */
  cr_assert_eq (ms_packet_get_payload_size (&p[3]), 1460);
  cr_assert_eq (ms_packet_get_payload_size (&p[4]), 1460);
  cr_assert_eq (ms_packet_get_payload_size (&p[5]), 80);
  cr_assert_eq (p[3].seq, c + 1);
  cr_assert_eq (p[4].seq, c + 1 + 1460);
  cr_assert_eq (p[5].seq, c + 1 + 2920);
  cr_assert_eq (p[3].tcp_flags, MS_TCP_ACK);
  cr_assert_eq (p[5].tcp_flags, MS_TCP_ACK | MS_TCP_PSH);
  cr_assert_eq (p[5].ack, s + 1);
  cr_assert_eq (p[5].t_us, 2 * one_way);
  /* FIN takes one sequence number */
  cr_assert_eq (p[6].tcp_flags, MS_TCP_FIN | MS_TCP_ACK);
  cr_assert_eq (p[6].seq, c + 1 + 3000);
  cr_assert_eq (p[7].tcp_flags, MS_TCP_FIN | MS_TCP_ACK);
  cr_assert_eq (p[7].src_port, 2525);
  cr_assert_eq (p[7].seq, s + 1);
  cr_assert_eq (p[7].ack, c + 1 + 3000 + 1);
  cr_assert_eq (p[7].t_us, 3 * one_way);
  cr_assert_eq (p[8].tcp_flags, MS_TCP_ACK);
  cr_assert_eq (p[8].seq, c + 3002);
  cr_assert_eq (p[8].ack, s + 2);
  cr_assert_eq (p[8].t_us, 4 * one_way);
  run_clear (&run);
}

Test (network, same_seed_same_sequence_numbers)
{
  g_autoptr(MsNetwork) a = net_world_new (99);
  g_autoptr(MsNetwork) b = net_world_new (99);
  g_autoptr(MsNetwork) c = net_world_new (100);
  MsNetwork *nets[] = { a, b, c };
  char *dumps[3] = { NULL };

  for (guint i = 0; i < 3; i++)
    {
      Run run;

      run_init (&run);
      run.to_send = g_bytes_new_static ("hello\r\n", 7);
      ms_node_listen (ms_network_get_node (nets[i], "corp-mx"), 587, on_accept, &run, NULL);
      ms_network_connect (nets[i], ms_network_get_node (nets[i], "pc"), CORP_MX_ADDR, 587,
                          on_connected, &run, NULL);
      cr_assert (ms_network_run (nets[i], NULL));
      cr_assert (run.connected);
      dumps[i] = net_packets_dump (nets[i]);
      run_clear (&run);
    }
  cr_assert_str_eq (dumps[0], dumps[1]);
  cr_assert_str_neq (dumps[0], dumps[2]);
  for (guint i = 0; i < 3; i++)
    g_free (dumps[i]);
}

Test (network, closed_port_answers_rst)
{
  g_autoptr(MsNetwork) net = net_world_new (3);
  const MsPacket *p;
  guint n;
  Run run;

  run_init (&run);
  ms_network_connect (net, ms_network_get_node (net, "pc"), ISP_MAIL_ADDR, 9999, on_connected,
                      &run, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (g_error_matches (run.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED));
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (n, 2);
  cr_assert_eq (p[1].tcp_flags, MS_TCP_RST | MS_TCP_ACK);
  cr_assert_eq (p[1].ack, p[0].seq + 1);
  cr_assert_eq (p[1].t_us, HOME_LATENCY + ISP_LATENCY);
  cr_assert_eq (ms_network_get_n_open_connections (net), 0);
  run_clear (&run);
}

Test (network, no_route_is_host_unreachable)
{
  g_autoptr(MsNetwork) net = net_world_new (3);
  g_autoptr(GError) error = NULL;

  cr_assert_null (ms_network_connect (net, ms_network_get_node (net, "pc"), "8.8.8.8", 25,
                                      NULL, NULL, &error));
  cr_assert (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE));
}

Test (network, route_latency_sums_the_subnets_crossed)
{
  g_autoptr(MsNetwork) net = net_world_new (5);
  const MsPacket *p;
  guint n;
  Run run;

  run_init (&run);
  ms_node_listen (ms_network_get_node (net, "mail-internal"), 143, on_accept, &run, NULL);
  ms_network_connect (net, ms_network_get_node (net, "pc"), INTERNAL_ADDR, 143, on_connected,
                      &run, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (run.connected);
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (p[1].t_us, HOME_LATENCY + ISP_LATENCY + INTERNET_LATENCY + DMZ_LATENCY
                + LAN_LATENCY);
  /* the first hop of the pc is the ISP router: its MAC is the frame's destination */
  cr_assert_eq (p[0].next_hop_node, ms_node_get_id (ms_network_get_node (net, "isp-router")));
  cr_assert_eq (p[1].next_hop_node, ms_node_get_id (ms_network_get_node (net, "corp-fw")));
  run_clear (&run);
}

static void
accept_only (MsSimTcpEndpoint *ep,
             gpointer          user_data)
{
  Run *run = user_data;

  run->server.endpoint = ep;
  ms_sim_tcp_endpoint_set_callbacks (ep, side_receive, side_closed, &run->server);
}

/* OP25B: from the dynamic pool, TCP/25 only to the ISP's own server. */
Test (network, op25b_drops_port_25_from_the_pool)
{
  g_autoptr(MsNetwork) net = net_world_new (11);
  g_autoptr(MsTrace) trace = ms_trace_new ("simulation", "op25b");
  MsNode *pc = ms_network_get_node (net, "pc");
  const MsPacket *p;
  guint n, blocked = 0;
  MsTraceEvent *event;
  Run direct, isp, submission;

  ms_network_set_trace (net, trace);
  run_init (&direct);
  run_init (&isp);
  run_init (&submission);
  ms_node_listen (ms_network_get_node (net, "corp-mx"), 25, accept_only, &direct, NULL);
  ms_node_listen (ms_network_get_node (net, "corp-mx"), 587, accept_only, &submission, NULL);
  ms_node_listen (ms_network_get_node (net, "isp-mail"), 25, accept_only, &isp, NULL);

  ms_network_connect (net, pc, CORP_MX_ADDR, 25, on_connected, &direct, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (g_error_matches (direct.error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  cr_assert_null (direct.server.endpoint);
  /* SYN at 0 s, retransmitted at 1, 3 and 7 s (RTO doubling), given up at 15 s */
  cr_assert_eq (ms_network_get_now (net), MS_SIM_TCP_DEFAULT_CONNECT_TIMEOUT);
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (n, 4);
  for (guint i = 0; i < n; i++)
    {
      static const guint64 at[] = { 0, 1000000, 3000000, 7000000 };

      cr_assert_eq (p[i].tcp_flags, MS_TCP_SYN);
      cr_assert_eq (p[i].seq, p[0].seq);
      cr_assert_eq (p[i].t_us, at[i]);
      cr_assert_str_eq (p[i].dropped_by, "isp-router: op25b");
    }
  blocked = net_count_events (trace, "blocked", "isp-router");
  cr_assert_eq (blocked, 4);
  event = ms_trace_get_event (trace, 0);
  cr_assert_str_eq (event->type, "blocked");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "reason"), "op25b");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "src"), PC_ADDR ":49152");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "dst"), CORP_MX_ADDR ":25");
  cr_assert_str_eq (json_object_get_string_member (event->fields, "flags"), "SYN");

  /* the ISP's own server on 25, and submission on 587, go through */
  ms_network_clear_packets (net);
  ms_network_connect (net, pc, ISP_MAIL_ADDR, 25, on_connected, &isp, NULL);
  ms_network_connect (net, pc, CORP_MX_ADDR, 587, on_connected, &submission, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (isp.connected && submission.connected);
  cr_assert (isp.server.closed && submission.server.closed);
  p = ms_network_get_packets (net, &n);
  for (guint i = 0; i < n; i++)
    cr_assert_null (p[i].dropped_by);
  cr_assert_eq (net_count_events (trace, "blocked", NULL), 4);

  /* switched off (mailsim run --set), port 25 to the outside works */
  cr_assert (ms_node_set_filter_rule_enabled (ms_network_get_node (net, "isp-router"), "op25b",
                                              FALSE));
  run_clear (&direct);
  run_init (&direct);
  ms_network_connect (net, pc, CORP_MX_ADDR, 25, on_connected, &direct, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (direct.connected);
  cr_assert_null (direct.error);
  run_clear (&direct);
  run_clear (&isp);
  run_clear (&submission);
}

Test (network, a_filter_rule_on_udp_and_cidrs)
{
  g_autoptr(MsNetwork) net = net_world_new (1);
  g_autoptr(GError) error = NULL;
  MsNode *border = ms_network_get_node (net, "border");
  const char *except[] = { "192.0.2.0/25", NULL };
  MsFilterRuleSpec spec = {
    .name = "no-udp-out", .protocol = MS_IP_PROTO_UDP, .source = "198.51.100.0/24",
    .destination = "internet", .except_destinations = except, .action = MS_FILTER_DROP,
    .reason = "egress",
  };
  MsFilterRuleSpec bad = { .source = "not a network", .action = MS_FILTER_DROP };
  const MsPacket *p;
  guint n;

  cr_assert (ms_node_add_filter_rule (border, &spec, &error));
  cr_assert_not (ms_node_add_filter_rule (border, &bad, &error));
  cr_assert (g_error_matches (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS));
  cr_assert_eq (ms_node_get_n_filter_rules (border), 1);
  /* 192.0.2.2 is in the exception, 192.0.2.200 is not (and has no host: it just vanishes) */
  cr_assert (ms_node_udp_send (ms_network_get_node (net, "isp-dns"), 5000, "192.0.2.2", 9,
                               NULL, NULL));
  cr_assert (ms_node_udp_send (ms_network_get_node (net, "isp-dns"), 5000, "192.0.2.200", 9,
                               NULL, NULL));
  cr_assert (ms_network_run (net, NULL));
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (n, 2);
  cr_assert_null (p[0].dropped_by);
  cr_assert_str_eq (p[1].dropped_by, "border: egress");
}

Test (network, ipv6_connection)
{
  g_autoptr(MsNetwork) net = net_world_new (8);
  const MsPacket *p;
  guint n;
  Run run;

  run_init (&run);
  run.to_send = g_bytes_new_static ("EHLO v6\r\n", 9);
  ms_node_listen (ms_network_get_node (net, "isp-mail"), 587, on_accept, &run, NULL);
  cr_assert_not_null (ms_network_connect (net, ms_network_get_node (net, "pc"), ISP_MAIL_ADDR6,
                                          587, on_connected, &run, NULL));
  cr_assert (ms_network_run (net, NULL));
  cr_assert (run.connected);
  cr_assert_eq (run.server.received->len, 9);
  p = ms_network_get_packets (net, &n);
  cr_assert_eq (p[0].family, 6);
  {
    g_autofree char *src = ms_packet_dup_src_address (&p[0]);

    cr_assert_str_eq (src, PC_ADDR6);
  }
  cr_assert_str_eq (run.server.remote, PC_ADDR6);
  run_clear (&run);
}

/* A filter that starts dropping in the middle of a connection: no retransmission of data,
 * so both sides give up one connect timeout later. */
static void
on_connected_then_block (MsSimTcpEndpoint *ep,
                         const GError     *error,
                         gpointer          user_data)
{
  Run *run = user_data;
  MsNetwork *net = ms_node_get_network (ms_sim_tcp_endpoint_get_node (ep));
  MsFilterRuleSpec spec = { .name = "late", .protocol = MS_IP_PROTO_TCP,
                            .destination = ISP_MAIL_ADDR, .action = MS_FILTER_DROP,
                            .reason = "late-block" };

  cr_assert_null (error);
  run->connected = TRUE;
  cr_assert (ms_node_add_filter_rule (ms_network_get_node (net, "isp-router"), &spec, NULL));
  ms_sim_tcp_endpoint_set_callbacks (ep, side_receive, side_closed, &run->client);
  ms_sim_tcp_endpoint_send (ep, run->to_send);
}

Test (network, dropped_data_aborts_the_connection)
{
  g_autoptr(MsNetwork) net = net_world_new (4);
  g_autoptr(MsTrace) trace = ms_trace_new ("simulation", "abort");
  guint64 established = 2 * (HOME_LATENCY + ISP_LATENCY);
  const MsPacket *p;
  guint n;
  Run run;

  ms_network_set_trace (net, trace);
  run_init (&run);
  run.to_send = g_bytes_new_static ("NOOP\r\n", 6);
  ms_node_listen (ms_network_get_node (net, "isp-mail"), 2525, on_accept, &run, NULL);
  ms_network_connect (net, ms_network_get_node (net, "pc"), ISP_MAIL_ADDR, 2525,
                      on_connected_then_block, &run, NULL);
  cr_assert (ms_network_run (net, NULL));
  cr_assert (run.connected);
  cr_assert_eq (run.server.received->len, 0);
  cr_assert (run.client.closed && run.server.closed);
  cr_assert_eq (ms_network_get_n_open_connections (net), 0);
  cr_assert_eq (ms_network_get_now (net), established + MS_SIM_TCP_DEFAULT_CONNECT_TIMEOUT);
  p = ms_network_get_packets (net, &n);
  cr_assert_str_eq (p[n - 1].dropped_by, "isp-router: late-block");
  cr_assert_eq (net_count_events (trace, "blocked", "isp-router"), 1);
  run_clear (&run);
}

Test (network, trace_keeps_the_last_virtual_time)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("simulation", "clock");
  MsNetwork *net = net_world_new (2);
  MsTraceEvent *event;

  ms_network_set_trace (net, trace);
  ms_scheduler_run_until (ms_network_get_scheduler (net), 1234567);
  event = ms_trace_add_event (trace, "narration", NULL, 0, "text", "during", NULL);
  cr_assert_eq (event->t_us, 1234567);
  g_object_unref (net);
  event = ms_trace_add_event (trace, "narration", NULL, 0, "text", "after", NULL);
  cr_assert_eq (event->t_us, 1234567);
}

Test (network, freeing_the_network_mid_connection)
{
  MsNetwork *net = net_world_new (6);
  Run run;

  run_init (&run);
  run.to_send = g_bytes_new_static ("hello\r\n", 7);
  ms_node_listen (ms_network_get_node (net, "isp-mail"), 2525, on_accept, &run, NULL);
  ms_network_connect (net, ms_network_get_node (net, "pc"), ISP_MAIL_ADDR, 2525, on_connected,
                      &run, NULL);
  /* established, data in flight */
  ms_scheduler_run_until (ms_network_get_scheduler (net), 2 * (HOME_LATENCY + ISP_LATENCY) + 1);
  cr_assert (run.connected);
  cr_assert_eq (ms_network_get_n_open_connections (net), 1);
  g_object_unref (net);
  cr_assert_not (run.server.closed);
  run_clear (&run);
}
