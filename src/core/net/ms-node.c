/* ms-node.c: a host or router of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-node"

#include "config.h"

#include "ms-net-private.h"

/* RFC 6335 §6: the dynamic (ephemeral) port range */
#define EPHEMERAL_PORT_FIRST 49152u

static void
node_address_clear (gpointer data)
{
  MsNodeAddress *a = data;

  g_free (a->text);
}

static void
tcp_listener_free (gpointer data)
{
  MsTcpListener *listener = data;

  if (listener->destroy != NULL)
    listener->destroy (listener->user_data);
  g_free (listener);
}

static void
udp_binding_free (gpointer data)
{
  MsUdpBinding *binding = data;

  if (binding->destroy != NULL)
    binding->destroy (binding->user_data);
  g_free (binding);
}

MsNode *
_ms_node_new (MsNetwork  *network,
              guint       id,
              const char *name)
{
  MsNode *node = g_new0 (MsNode, 1);

  node->network = network;
  node->id = id;
  node->name = g_strdup (name);
  node->addresses = g_array_new (FALSE, FALSE, sizeof (MsNodeAddress));
  g_array_set_clear_func (node->addresses, node_address_clear);
  node->filter_rules = g_ptr_array_new_with_free_func ((GDestroyNotify) _ms_filter_rule_free);
  node->tcp_listeners = g_hash_table_new_full (NULL, NULL, NULL, tcp_listener_free);
  node->udp_bindings = g_hash_table_new_full (NULL, NULL, NULL, udp_binding_free);
  node->next_port = EPHEMERAL_PORT_FIRST;
  node->nat_rules = g_ptr_array_new_with_free_func ((GDestroyNotify) _ms_nat_rule_free);
  node->nat_map = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  node->next_nat_port = MS_NAT_PORT_FIRST;
  return node;
}

void
_ms_node_free (MsNode *node)
{
  g_free (node->name);
  g_array_unref (node->addresses);
  g_ptr_array_unref (node->filter_rules);
  g_ptr_array_unref (node->nat_rules);
  g_hash_table_unref (node->nat_map);
  g_hash_table_unref (node->tcp_listeners);
  g_hash_table_unref (node->udp_bindings);
  g_clear_object (&node->dns_zone);
  g_free (node);
}

const char *
ms_node_get_name (MsNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

guint
ms_node_get_id (MsNode *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->id;
}

MsNetwork *
ms_node_get_network (MsNode *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->network;
}

/**
 * ms_node_add_address:
 * @subnet: the name of a subnet of the node's network
 * @address: an IPv4 or IPv6 address inside one of its prefixes
 */
gboolean
ms_node_add_address (MsNode      *self,
                     const char  *subnet_name,
                     const char  *address,
                     GError     **error)
{
  MsSubnet *subnet;
  MsNodeAddress a = { 0 };
  MsNode *owner;

  g_return_val_if_fail (self != NULL, FALSE);

  subnet = ms_network_get_subnet (self->network, subnet_name);
  if (subnet == NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_NOT_FOUND,
                   "%s: no network named “%s”", self->name, subnet_name);
      return FALSE;
    }
  if (!_ms_net_addr_parse (address, &a.addr))
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                   "%s: “%s” is not an IPv4 or IPv6 address", self->name, address);
      return FALSE;
    }
  if (!_ms_subnet_contains_addr (subnet, &a.addr))
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_INVALID_ADDRESS,
                   "%s: %s is not inside network “%s”", self->name, address, subnet_name);
      return FALSE;
    }
  owner = _ms_subnet_find_node (subnet, &a.addr);
  if (owner != NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS,
                   "%s: address %s is already used by %s", self->name, address, owner->name);
      return FALSE;
    }
  if (_ms_node_find_address (self, subnet, a.addr.family) != NULL)
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS,
                   "%s: already has an IPv%u address in “%s”", self->name, a.addr.family,
                   subnet_name);
      return FALSE;
    }
  a.subnet = subnet;
  a.text = _ms_net_addr_to_string (&a.addr);
  g_array_append_val (self->addresses, a);
  if (!g_ptr_array_find (subnet->nodes, self, NULL))
    g_ptr_array_add (subnet->nodes, self);
  _ms_network_topology_changed (self->network);
  return TRUE;
}

const MsNodeAddress *
_ms_node_find_address (MsNode   *self,
                       MsSubnet *subnet,
                       guint     family)
{
  for (guint i = 0; i < self->addresses->len; i++)
    {
      const MsNodeAddress *a = &g_array_index (self->addresses, MsNodeAddress, i);

      if ((subnet == NULL || a->subnet == subnet)
          && (family == 0 || a->addr.family == family))
        return a;
    }
  return NULL;
}

const char *
ms_node_get_address (MsNode     *self,
                     const char *subnet_name,
                     guint       family)
{
  MsSubnet *subnet = NULL;
  const MsNodeAddress *a;

  g_return_val_if_fail (self != NULL, NULL);

  if (subnet_name != NULL)
    {
      subnet = ms_network_get_subnet (self->network, subnet_name);
      if (subnet == NULL)
        return NULL;
    }
  a = _ms_node_find_address (self, subnet, family);
  return a != NULL ? a->text : NULL;
}

gboolean
ms_node_has_address (MsNode     *self,
                     const char *address)
{
  MsNetAddr addr;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!_ms_net_addr_parse (address, &addr))
    return FALSE;
  for (guint i = 0; i < self->addresses->len; i++)
    if (_ms_net_addr_equal (&g_array_index (self->addresses, MsNodeAddress, i).addr, &addr))
      return TRUE;
  return FALSE;
}

void
ms_node_set_forwarding (MsNode   *self,
                        gboolean  forwarding)
{
  g_return_if_fail (self != NULL);
  self->forwarding = !!forwarding;
  _ms_network_topology_changed (self->network);
}

gboolean
ms_node_get_forwarding (MsNode *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->forwarding;
}

guint16
ms_node_next_port (MsNode *self)
{
  g_return_val_if_fail (self != NULL, 0);

  /* Taken in order, never random: the same run uses the same ports. */
  for (guint tries = 0; tries < 65536 - EPHEMERAL_PORT_FIRST; tries++)
    {
      guint16 port = self->next_port;

      self->next_port = port == 65535 ? (guint16) EPHEMERAL_PORT_FIRST : (guint16) (port + 1);
      if (!g_hash_table_contains (self->udp_bindings, GUINT_TO_POINTER (port))
          && !g_hash_table_contains (self->tcp_listeners, GUINT_TO_POINTER (port)))
        return port;
    }
  g_return_val_if_reached (0);
}

static gint
compare_port (gconstpointer a,
              gconstpointer b)
{
  return (gint) GPOINTER_TO_UINT (*(gpointer *) a) - (gint) GPOINTER_TO_UINT (*(gpointer *) b);
}

static void
append_ports (GStrvBuilder *builder,
              GHashTable   *table,
              const char   *protocol)
{
  g_autoptr(GPtrArray) ports = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  if (table == NULL)
    return;
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ports, key);
  g_ptr_array_sort (ports, compare_port);
  for (guint i = 0; i < ports->len; i++)
    {
      g_autofree char *service = g_strdup_printf ("%u/%s", GPOINTER_TO_UINT (ports->pdata[i]),
                                                  protocol);

      g_strv_builder_add (builder, service);
    }
}

GStrv
ms_node_dup_services (MsNode *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);
  append_ports (builder, self->tcp_listeners, "tcp");
  append_ports (builder, self->udp_bindings, "udp");
  return g_strv_builder_end (builder);
}
