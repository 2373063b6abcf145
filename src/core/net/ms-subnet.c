/* ms-subnet.c: a named network (a link) of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-subnet"

#include "config.h"

#include "ms-net-private.h"

MsSubnet *
_ms_subnet_new (MsNetwork  *network,
                guint       id,
                const char *name,
                guint64     latency_us)
{
  MsSubnet *subnet = g_new0 (MsSubnet, 1);

  subnet->network = network;
  subnet->id = id;
  subnet->name = g_strdup (name);
  subnet->prefixes = g_array_new (FALSE, FALSE, sizeof (MsNetCidr));
  subnet->latency_us = latency_us;
  subnet->nodes = g_ptr_array_new ();
  return subnet;
}

void
_ms_subnet_free (MsSubnet *subnet)
{
  g_free (subnet->name);
  g_array_unref (subnet->prefixes);
  g_ptr_array_unref (subnet->nodes);
  g_free (subnet);
}

const char *
ms_subnet_get_name (MsSubnet *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

guint
ms_subnet_get_id (MsSubnet *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->id;
}

guint64
ms_subnet_get_latency (MsSubnet *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->latency_us;
}

void
ms_subnet_set_latency (MsSubnet *self,
                       guint64   latency_us)
{
  g_return_if_fail (self != NULL);
  self->latency_us = latency_us;
  _ms_network_topology_changed (self->network);
}

gboolean
ms_subnet_add_cidr (MsSubnet    *self,
                    const char  *cidr,
                    GError     **error)
{
  MsNetCidr parsed;

  g_return_val_if_fail (self != NULL, FALSE);

  if (!_ms_net_cidr_parse (cidr, &parsed, error))
    return FALSE;
  g_array_append_val (self->prefixes, parsed);
  _ms_network_topology_changed (self->network);
  return TRUE;
}

gboolean
_ms_subnet_contains_addr (MsSubnet        *self,
                          const MsNetAddr *addr)
{
  for (guint i = 0; i < self->prefixes->len; i++)
    if (_ms_net_cidr_contains (&g_array_index (self->prefixes, MsNetCidr, i), addr))
      return TRUE;
  return FALSE;
}

gboolean
ms_subnet_contains (MsSubnet   *self,
                    const char *address)
{
  MsNetAddr addr;

  g_return_val_if_fail (self != NULL, FALSE);

  return _ms_net_addr_parse (address, &addr) && _ms_subnet_contains_addr (self, &addr);
}

MsNode *
_ms_subnet_find_node (MsSubnet        *self,
                      const MsNetAddr *addr)
{
  for (guint i = 0; i < self->nodes->len; i++)
    {
      MsNode *node = g_ptr_array_index (self->nodes, i);

      for (guint j = 0; j < node->addresses->len; j++)
        {
          MsNodeAddress *a = &g_array_index (node->addresses, MsNodeAddress, j);

          if (a->subnet == self && _ms_net_addr_equal (&a->addr, addr))
            return node;
        }
    }
  return NULL;
}
