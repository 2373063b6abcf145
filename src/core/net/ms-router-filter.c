/* ms-router-filter.c: the packet filter of a router
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-router-filter"

#include "config.h"

#include "ms-net-private.h"

void
_ms_filter_rule_free (MsFilterRule *rule)
{
  g_free (rule->name);
  g_free (rule->source_subnet);
  g_clear_pointer (&rule->source_cidrs, g_array_unref);
  g_free (rule->dest_subnet);
  g_clear_pointer (&rule->dest_cidrs, g_array_unref);
  g_clear_pointer (&rule->except, g_array_unref);
  g_free (rule->reason);
  g_free (rule);
}

/* A subnet name, or a CIDR / single address. */
static gboolean
parse_selector (MsNetwork   *network,
                const char  *text,
                char       **subnet,
                GArray     **cidrs,
                GError     **error)
{
  MsNetCidr cidr;

  if (text == NULL)
    return TRUE;
  if (ms_network_get_subnet (network, text) != NULL)
    {
      *subnet = g_strdup (text);
      return TRUE;
    }
  if (!_ms_net_cidr_parse (text, &cidr, NULL))
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                   "“%s” is neither a network name nor an address or CIDR", text);
      return FALSE;
    }
  *cidrs = g_array_new (FALSE, FALSE, sizeof (MsNetCidr));
  g_array_append_val (*cidrs, cidr);
  return TRUE;
}

/**
 * ms_node_add_filter_rule:
 * @router: a node with forwarding on (or to be turned on)
 *
 * Appends a rule; rules are checked in the order they were added.
 */
gboolean
ms_node_add_filter_rule (MsNode                 *router,
                         const MsFilterRuleSpec *spec,
                         GError                **error)
{
  g_autoptr(GError) local = NULL;
  MsFilterRule *rule;

  g_return_val_if_fail (router != NULL, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);
  g_return_val_if_fail (spec->protocol == MS_IP_PROTO_ANY || spec->protocol == MS_IP_PROTO_TCP
                        || spec->protocol == MS_IP_PROTO_UDP, FALSE);

  rule = g_new0 (MsFilterRule, 1);
  rule->name = g_strdup (spec->name);
  rule->protocol = spec->protocol;
  rule->enabled = TRUE;
  rule->dest_port = spec->destination_port;
  rule->action = spec->action;
  rule->reason = g_strdup (spec->reason != NULL ? spec->reason
                           : spec->action == MS_FILTER_DROP ? "filtered" : "accepted");
  if (!parse_selector (router->network, spec->source, &rule->source_subnet,
                       &rule->source_cidrs, &local)
      || !parse_selector (router->network, spec->destination, &rule->dest_subnet,
                          &rule->dest_cidrs, &local))
    goto fail;
  if (spec->except_destinations != NULL)
    {
      rule->except = g_array_new (FALSE, FALSE, sizeof (MsNetCidr));
      for (guint i = 0; spec->except_destinations[i] != NULL; i++)
        {
          MsNetCidr cidr;

          if (!_ms_net_cidr_parse (spec->except_destinations[i], &cidr, &local))
            goto fail;
          g_array_append_val (rule->except, cidr);
        }
    }
  g_ptr_array_add (router->filter_rules, rule);
  return TRUE;

fail:
  g_propagate_prefixed_error (error, g_steal_pointer (&local), "%s: filter rule%s%s: ",
                              router->name, spec->name != NULL ? " " : "",
                              spec->name != NULL ? spec->name : "");
  _ms_filter_rule_free (rule);
  return FALSE;
}

gboolean
ms_node_set_filter_rule_enabled (MsNode     *router,
                                 const char *name,
                                 gboolean    enabled)
{
  gboolean found = FALSE;

  g_return_val_if_fail (router != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < router->filter_rules->len; i++)
    {
      MsFilterRule *rule = g_ptr_array_index (router->filter_rules, i);

      if (g_strcmp0 (rule->name, name) == 0)
        {
          rule->enabled = !!enabled;
          found = TRUE;
        }
    }
  return found;
}

guint
ms_node_get_n_filter_rules (MsNode *router)
{
  g_return_val_if_fail (router != NULL, 0);
  return router->filter_rules->len;
}

static gboolean
cidrs_contain (GArray          *cidrs,
               const MsNetAddr *addr)
{
  for (guint i = 0; i < cidrs->len; i++)
    if (_ms_net_cidr_contains (&g_array_index (cidrs, MsNetCidr, i), addr))
      return TRUE;
  return FALSE;
}

static gboolean
selector_matches (MsNetwork       *network,
                  const char      *subnet_name,
                  GArray          *cidrs,
                  const MsNetAddr *addr)
{
  if (subnet_name != NULL)
    {
      MsSubnet *subnet = ms_network_get_subnet (network, subnet_name);

      return subnet != NULL && _ms_subnet_contains_addr (subnet, addr);
    }
  if (cidrs != NULL)
    return cidrs_contain (cidrs, addr);
  return TRUE;
}

MsFilterRule *
_ms_router_check (MsNode          *router,
                  const MsPacket  *packet,
                  const MsNetAddr *src,
                  const MsNetAddr *dst)
{
  for (guint i = 0; i < router->filter_rules->len; i++)
    {
      MsFilterRule *rule = g_ptr_array_index (router->filter_rules, i);

      if (!rule->enabled)
        continue;
      if (rule->protocol != MS_IP_PROTO_ANY && rule->protocol != packet->protocol)
        continue;
      if (rule->dest_port != 0 && rule->dest_port != packet->dst_port)
        continue;
      if (!selector_matches (router->network, rule->source_subnet, rule->source_cidrs, src))
        continue;
      if (!selector_matches (router->network, rule->dest_subnet, rule->dest_cidrs, dst))
        continue;
      if (rule->except != NULL && cidrs_contain (rule->except, dst))
        continue;
      /* first match decides */
      return rule->action == MS_FILTER_DROP ? rule : NULL;
    }
  return NULL;
}

/* NAT */

void
_ms_nat_rule_free (MsNatRule *rule)
{
  g_free (rule->inside_subnet);
  g_clear_pointer (&rule->inside_cidrs, g_array_unref);
  g_free (rule);
}

gboolean
ms_node_add_nat (MsNode      *router,
                 const char  *inside,
                 const char  *outside,
                 GError     **error)
{
  MsSubnet *out;
  MsNatRule *rule;
  gboolean found = FALSE;

  g_return_val_if_fail (router != NULL, FALSE);
  g_return_val_if_fail (inside != NULL && outside != NULL, FALSE);

  out = ms_network_get_subnet (router->network, outside);
  if (out == NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_NOT_FOUND,
                   "NAT on %s: no network “%s”", router->name, outside);
      return FALSE;
    }
  rule = g_new0 (MsNatRule, 1);
  rule->outside = out;
  for (guint i = 0; i < router->addresses->len; i++)
    {
      const MsNodeAddress *a = &g_array_index (router->addresses, MsNodeAddress, i);

      if (a->subnet == out && rule->outside_addr[a->addr.family == 6].family == 0)
        {
          rule->outside_addr[a->addr.family == 6] = a->addr;
          found = TRUE;
        }
    }
  if (!found)
    {
      _ms_nat_rule_free (rule);
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                   "NAT on %s: the router has no address on “%s”", router->name, outside);
      return FALSE;
    }
  if (!parse_selector (router->network, inside, &rule->inside_subnet, &rule->inside_cidrs,
                       error))
    {
      _ms_nat_rule_free (rule);
      return FALSE;
    }
  g_ptr_array_add (router->nat_rules, rule);
  return TRUE;
}

guint
ms_node_get_n_nat_mappings (MsNode *router)
{
  g_return_val_if_fail (router != NULL, 0);
  return g_hash_table_size (router->nat_map);
}

static char *
nat_key (guint8           protocol,
         const MsNetAddr *src,
         guint16          sport)
{
  char buf[64];

  _ms_net_addr_format (src, buf, sizeof buf);
  return g_strdup_printf ("%u %s %u", protocol, buf, sport);
}

gboolean
_ms_router_nat_lookup (MsNode          *router,
                       guint8           protocol,
                       const MsNetAddr *src,
                       guint16          sport,
                       MsNetAddr       *public_addr,
                       guint16         *public_port)
{
  g_autofree char *key = NULL;
  MsNatMapping *m;

  if (router->nat_rules->len == 0)
    return FALSE;
  key = nat_key (protocol, src, sport);
  m = g_hash_table_lookup (router->nat_map, key);
  if (m == NULL)
    return FALSE;
  *public_addr = m->addr;
  *public_port = m->port;
  return TRUE;
}

gboolean
_ms_router_nat_map (MsNode          *router,
                    guint8           protocol,
                    const MsNetAddr *src,
                    guint16          sport,
                    MsSubnet        *next,
                    MsNetAddr       *public_addr,
                    guint16         *public_port)
{
  MsNatMapping *m;

  if (protocol != MS_IP_PROTO_TCP)
    return FALSE;
  if (_ms_router_nat_lookup (router, protocol, src, sport, public_addr, public_port))
    return TRUE;
  for (guint i = 0; i < router->nat_rules->len; i++)
    {
      MsNatRule *rule = g_ptr_array_index (router->nat_rules, i);
      const MsNetAddr *outside = &rule->outside_addr[src->family == 6];

      if (rule->outside != next || outside->family == 0
          || !selector_matches (router->network, rule->inside_subnet, rule->inside_cidrs, src)
          || _ms_subnet_contains_addr (rule->outside, src))
        continue;
      m = g_new0 (MsNatMapping, 1);
      m->addr = *outside;
      m->port = router->next_nat_port;
      router->next_nat_port = router->next_nat_port == G_MAXUINT16 ? MS_NAT_PORT_FIRST
                                                                    : router->next_nat_port + 1;
      g_hash_table_insert (router->nat_map, nat_key (protocol, src, sport), m);
      *public_addr = m->addr;
      *public_port = m->port;
      return TRUE;
    }
  return FALSE;
}
