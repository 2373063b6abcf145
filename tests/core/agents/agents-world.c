/* agents-world.c: a small mail world for the agent tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "agents-world.h"

#include <string.h>

#include "ms-mailbox.h"

static void
must (gboolean  ok,
      GError   *error)
{
  if (!ok)
    g_error ("world_new: %s", error != NULL ? error->message : "failed");
}

static MsNode *
host (MsNetwork  *net,
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
link_to (MsNode     *node,
         const char *subnet,
         const char *address)
{
  GError *error = NULL;

  must (ms_node_add_address (node, subnet, address, &error), error);
}

static void
add_txt (MsDnsZone  *zone,
         const char *name,
         const char *text)
{
  const char *strings[] = { text, NULL };

  ms_dns_zone_add_txt (zone, name, strings);
}

World *
world_new (guint32 seed)
{
  World *w = g_new0 (World, 1);
  GError *error = NULL;
  MsNode *router, *mail_a, *mx_b;
  MsSubnet *subnet;
  const char *except[] = { MAIL_A_ADDR, NULL };
  MsFilterRuleSpec op25b = {
    .name = "op25b", .protocol = MS_IP_PROTO_TCP, .source = "home-pool",
    .destination_port = 25, .except_destinations = except, .action = MS_FILTER_DROP,
    .reason = "op25b",
  };
  const char *domains_a[] = { "isp-a.example", NULL };
  const char *domains_b[] = { "isp-b.example", "old-isp-b.example", "v6.isp-b.example", NULL };
  const char *networks_a[] = { "198.51.100.0/24", NULL };
  MsMtaConfig mta = { 0 };
  MsMsaConfig msa = { 0 };
  MsMraConfig mra = { 0 };

  w->net = ms_network_new (seed);
  w->trace = ms_trace_new ("simulation", "agents");
  ms_network_set_trace (w->net, w->trace);
  must (ms_network_add_subnet (w->net, "home-pool", "203.0.113.0/24", 2000, &error) != NULL, error);
  subnet = ms_network_add_subnet (w->net, "isp-a", "198.51.100.0/24", 1000, &error);
  must (subnet != NULL && ms_subnet_add_cidr (subnet, "2001:db8:a::/64", &error), error);
  subnet = ms_network_add_subnet (w->net, "internet", "192.0.2.0/24", 5000, &error);
  must (subnet != NULL && ms_subnet_add_cidr (subnet, "2001:db8:f::/64", &error), error);
  subnet = ms_network_add_subnet (w->net, "isp-b", "100.64.1.0/24", 1000, &error);
  must (subnet != NULL && ms_subnet_add_cidr (subnet, "2001:db8:b::/64", &error), error);

  host (w->net, "pc", "home-pool", PC_ADDR);
  router = host (w->net, "router-a", "home-pool", "203.0.113.1");
  link_to (router, "isp-a", "198.51.100.1");
  ms_node_set_forwarding (router, TRUE);
  must (ms_node_add_filter_rule (router, &op25b, &error), error);
  mail_a = host (w->net, "mail-a", "isp-a", MAIL_A_ADDR);
  link_to (mail_a, "isp-a", MAIL_A_ADDR6);
  host (w->net, "dns", "isp-a", DNS_ADDR);
  router = host (w->net, "border-a", "isp-a", "198.51.100.254");
  link_to (router, "internet", "192.0.2.1");
  link_to (router, "isp-a", "2001:db8:a::fe");
  link_to (router, "internet", "2001:db8:f::1");
  ms_node_set_forwarding (router, TRUE);
  host (w->net, "spammer", "internet", SPAMMER_ADDR);
  router = host (w->net, "border-b", "internet", "192.0.2.2");
  link_to (router, "isp-b", "100.64.1.1");
  link_to (router, "internet", "2001:db8:f::2");
  link_to (router, "isp-b", "2001:db8:b::1");
  ms_node_set_forwarding (router, TRUE);
  mx_b = host (w->net, "mx-b", "isp-b", MX_B_ADDR);
  link_to (mx_b, "isp-b", MX_B_ADDR6);

  w->zone = ms_dns_zone_new ();
  ms_dns_zone_add_mx (w->zone, "isp-a.example", 10, "mail.isp-a.example");
  must (ms_dns_zone_add_address (w->zone, "mail.isp-a.example", MAIL_A_ADDR, &error), error);
  add_txt (w->zone, "isp-a.example", "v=spf1 ip4:" MAIL_A_ADDR " ip6:" MAIL_A_ADDR6 " -all");
  ms_dns_zone_add_mx (w->zone, "isp-b.example", 10, "mx.isp-b.example");
  must (ms_dns_zone_add_address (w->zone, "mx.isp-b.example", MX_B_ADDR, &error), error);
  add_txt (w->zone, "isp-b.example", "v=spf1 mx -all");
  must (ms_dns_zone_add_address (w->zone, "old-isp-b.example", MX_B_ADDR, &error), error);
  ms_dns_zone_add_mx (w->zone, "v6.isp-b.example", 10, "mx6.isp-b.example");
  must (ms_dns_zone_add_address (w->zone, "mx6.isp-b.example", MX_B_ADDR6, &error), error);
  add_txt (w->zone, "soft.example", "v=spf1 ip4:198.51.100.0/24 ~all");
  must (ms_node_serve_dns (ms_network_get_node (w->net, "dns"), w->zone, &error), error);

  w->store_a = ms_mail_store_new ();
  must (ms_mail_store_add_user (w->store_a, "alice@isp-a.example", "alice-pw", &error), error);
  w->store_b = ms_mail_store_new ();
  must (ms_mail_store_add_user (w->store_b, "bob@isp-b.example", "bob-pw", &error), error);
  must (ms_mail_store_add_user (w->store_b, "carol@isp-b.example", "carol-pw", &error), error);
  w->mda_a = ms_mda_new (mail_a, w->store_a);
  w->mda_b = ms_mda_new (mx_b, w->store_b);

  mta.hostname = "mail.isp-a.example";
  mta.domains = domains_a;
  mta.networks = networks_a;
  mta.dns_server = DNS_ADDR;
  mta.mda = w->mda_a;
  mta.spf = MS_MTA_SPF_OFF;
  mta.pop_before_smtp_us = POP_WINDOW;
  mta.users = w->store_a;  /* SMTP AUTH on 25 too */
  w->mta_a = ms_mta_new (mail_a, &mta, &error);
  must (w->mta_a != NULL, error);

  memset (&mta, 0, sizeof mta);
  mta.hostname = "mx.isp-b.example";
  mta.domains = domains_b;
  mta.dns_server = DNS_ADDR;
  mta.mda = w->mda_b;
  mta.spf = MS_MTA_SPF_REJECT;
  mta.spf_zone = w->zone;
  w->mta_b = ms_mta_new (mx_b, &mta, &error);
  must (w->mta_b != NULL, error);

  msa.hostname = "mail.isp-a.example";
  msa.users = w->store_a;
  msa.mta = w->mta_a;
  w->msa_a = ms_msa_new (mail_a, &msa, &error);
  must (w->msa_a != NULL, error);

  mra.hostname = "mail.isp-a.example";
  mra.store = w->store_a;
  mra.pop3 = TRUE;
  mra.imap = TRUE;
  mra.pop_before_smtp = w->mta_a;
  w->mra_a = ms_mra_new (mail_a, &mra, &error);
  must (w->mra_a != NULL, error);
  memset (&mra, 0, sizeof mra);
  mra.hostname = "mx.isp-b.example";
  mra.store = w->store_b;
  mra.pop3 = TRUE;
  mra.imap = TRUE;
  w->mra_b = ms_mra_new (mx_b, &mra, &error);
  must (w->mra_b != NULL, error);

  w->alice = ms_mua_new (ms_network_get_node (w->net, "pc"), "alice-pc.home.example");
  w->bob = ms_mua_new (ms_network_get_node (w->net, "pc"), "bob-pc.home.example");
  w->spammer = ms_mua_new (ms_network_get_node (w->net, "spammer"), "spam.example");
  return w;
}

void
world_free (World *w)
{
  g_object_unref (w->alice);
  g_object_unref (w->bob);
  g_object_unref (w->spammer);
  g_object_unref (w->mra_a);
  g_object_unref (w->mra_b);
  g_object_unref (w->msa_a);
  g_object_unref (w->mta_a);
  g_object_unref (w->mta_b);
  g_object_unref (w->mda_a);
  g_object_unref (w->mda_b);
  g_object_unref (w->store_a);
  g_object_unref (w->store_b);
  g_object_unref (w->zone);
  g_object_unref (w->net);
  g_object_unref (w->trace);
  g_free (w);
}

void
world_run (World *w)
{
  GError *error = NULL;

  must (ms_network_run (w->net, &error), error);
}

static GPtrArray *
one_address (const char *address)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);

  g_ptr_array_add (list, ms_address_new (NULL, address));
  return list;
}

MsMessage *
world_message (const char *from,
               const char *to,
               const char *bcc,
               const char *subject,
               const char *text)
{
  g_autoptr(GPtrArray) f = one_address (from);
  g_autoptr(GPtrArray) t = one_address (to);
  g_autoptr(GPtrArray) b = bcc != NULL ? one_address (bcc) : NULL;
  MsMessageSpec spec = { 0 };
  GError *error = NULL;
  MsMessage *m;

  spec.from = f;
  spec.to = t;
  spec.bcc = b;
  spec.subject = subject;
  spec.text = text;
  m = ms_message_new (&spec, &error);
  must (m != NULL, error);
  return m;
}

MsTraceEvent *
world_find_event (World      *w,
                  const char *type,
                  const char *field,
                  const char *value)
{
  for (guint i = 0; i < ms_trace_get_n_events (w->trace); i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (w->trace, i);

      if (g_strcmp0 (ev->type, type) != 0)
        continue;
      if (field == NULL
          || (json_object_has_member (ev->fields, field)
              && g_strcmp0 (json_object_get_string_member (ev->fields, field), value) == 0))
        return ev;
    }
  return NULL;
}

guint
world_count_events (World      *w,
                    const char *type,
                    const char *field,
                    const char *value)
{
  guint n = 0;

  for (guint i = 0; i < ms_trace_get_n_events (w->trace); i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (w->trace, i);

      if (g_strcmp0 (ev->type, type) != 0)
        continue;
      if (field == NULL
          || (json_object_has_member (ev->fields, field)
              && g_strcmp0 (json_object_get_string_member (ev->fields, field), value) == 0))
        n++;
    }
  return n;
}

guint
world_mailbox_count (MsMailStore *store,
                     const char  *user)
{
  MsMailbox *box = ms_mail_store_get_mailbox (store, user, "INBOX");

  return box != NULL ? ms_mailbox_get_n_messages (box) : 0;
}

char *
world_mailbox_text (MsMailStore *store,
                    const char  *user,
                    guint        index)
{
  MsMailbox *box = ms_mail_store_get_mailbox (store, user, "INBOX");
  MsStoredMessage *m = box != NULL ? ms_mailbox_get_message (box, index) : NULL;
  gsize len;
  const char *data;

  if (m == NULL)
    return NULL;
  data = g_bytes_get_data (m->raw, &len);
  return g_strndup (data, len);
}

guint
count_occurrences (const char *haystack,
                   const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}
