/* net-test-support.c: a small Internet for the virtual-network tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "net-test-support.h"

static void
must (gboolean  ok,
      GError   *error)
{
  if (!ok)
    g_error ("net_world_new: %s", error != NULL ? error->message : "failed");
}

static MsNode *
add_host (MsNetwork  *net,
          const char *name,
          const char *subnet,
          const char *address)
{
  GError *error = NULL;
  MsNode *node = ms_network_add_node (net, name, &error);

  must (node != NULL, error);
  must (ms_node_add_address (node, subnet, address, &error), error);
  return node;
}

static void
add_link (MsNode     *node,
          const char *subnet,
          const char *address)
{
  GError *error = NULL;

  must (ms_node_add_address (node, subnet, address, &error), error);
}

MsNetwork *
net_world_new (guint32 seed)
{
  MsNetwork *net = ms_network_new (seed);
  GError *error = NULL;
  MsSubnet *subnet;
  MsNode *router;
  const char *except[] = { ISP_MAIL_ADDR, ISP_MAIL_ADDR6, NULL };
  MsFilterRuleSpec op25b = {
    .name = "op25b",
    .protocol = MS_IP_PROTO_TCP,
    .source = "home-pool",
    .destination_port = 25,
    .except_destinations = except,
    .action = MS_FILTER_DROP,
    .reason = "op25b",
  };

  subnet = ms_network_add_subnet (net, "home-pool", "203.0.113.0/24", HOME_LATENCY, &error);
  must (subnet != NULL, error);
  must (ms_subnet_add_cidr (subnet, "2001:db8:1::/64", &error), error);
  subnet = ms_network_add_subnet (net, "isp", "198.51.100.0/24", ISP_LATENCY, &error);
  must (subnet != NULL, error);
  must (ms_subnet_add_cidr (subnet, "2001:db8:2::/64", &error), error);
  must (ms_network_add_subnet (net, "internet", "192.0.2.0/24", INTERNET_LATENCY, &error)
        != NULL, error);
  must (ms_network_add_subnet (net, "dmz", "172.16.1.0/24", DMZ_LATENCY, &error) != NULL,
        error);
  must (ms_network_add_subnet (net, "lan", "10.0.0.0/24", LAN_LATENCY, &error) != NULL,
        error);

  add_host (net, "pc", "home-pool", PC_ADDR);
  add_link (ms_network_get_node (net, "pc"), "home-pool", PC_ADDR6);
  router = add_host (net, "isp-router", "home-pool", "203.0.113.1");
  add_link (router, "home-pool", "2001:db8:1::1");
  add_link (router, "isp", "198.51.100.1");
  add_link (router, "isp", "2001:db8:2::1");
  ms_node_set_forwarding (router, TRUE);
  must (ms_node_add_filter_rule (router, &op25b, &error), error);

  add_host (net, "isp-mail", "isp", ISP_MAIL_ADDR);
  add_link (ms_network_get_node (net, "isp-mail"), "isp", ISP_MAIL_ADDR6);
  add_host (net, "isp-dns", "isp", ISP_DNS_ADDR);

  router = add_host (net, "border", "isp", "198.51.100.254");
  add_link (router, "internet", "192.0.2.1");
  ms_node_set_forwarding (router, TRUE);
  router = add_host (net, "corp-gw", "internet", "192.0.2.2");
  add_link (router, "dmz", "172.16.1.1");
  ms_node_set_forwarding (router, TRUE);
  add_host (net, "corp-mx", "dmz", CORP_MX_ADDR);
  router = add_host (net, "corp-fw", "dmz", "172.16.1.254");
  add_link (router, "lan", "10.0.0.1");
  ms_node_set_forwarding (router, TRUE);
  add_host (net, "mail-internal", "lan", INTERNAL_ADDR);
  return net;
}

char *
net_packets_dump (MsNetwork *network)
{
  GString *out = g_string_new (NULL);
  guint n;
  const MsPacket *packets = ms_network_get_packets (network, &n);

  for (guint i = 0; i < n; i++)
    {
      const MsPacket *p = &packets[i];
      g_autofree char *src = ms_packet_dup_src_address (p);
      g_autofree char *dst = ms_packet_dup_dst_address (p);
      g_autofree char *flags = ms_packet_dup_flags_string (p);

      g_string_append_printf (out, "%" G_GUINT64_FORMAT " %s %s:%u > %s:%u [%s] seq=%u "
                              "ack=%u len=%zu%s%s\n",
                              p->t_us, p->protocol == MS_IP_PROTO_TCP ? "TCP" : "UDP",
                              src, p->src_port, dst, p->dst_port, flags, p->seq, p->ack,
                              ms_packet_get_payload_size (p),
                              p->dropped_by != NULL ? " dropped-by " : "",
                              p->dropped_by != NULL ? p->dropped_by : "");
    }
  return g_string_free (out, FALSE);
}

guint
net_count_events (MsTrace    *trace,
                  const char *type,
                  const char *node)
{
  guint n = 0;

  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, i);

      if (g_strcmp0 (event->type, type) == 0 && (node == NULL || g_strcmp0 (event->node, node) == 0))
        n++;
    }
  return n;
}
