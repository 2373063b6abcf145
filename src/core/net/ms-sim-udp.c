/* ms-sim-udp.c: simulated UDP over the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-sim-udp"

#include "config.h"

#include <string.h>

#include "ms-net-private.h"

gboolean
ms_node_udp_bind (MsNode              *node,
                  guint16              port,
                  MsSimUdpReceiveFunc  receive,
                  gpointer             user_data,
                  GDestroyNotify       destroy)
{
  MsUdpBinding *binding;

  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (port != 0, FALSE);
  g_return_val_if_fail (receive != NULL, FALSE);

  if (g_hash_table_contains (node->udp_bindings, GUINT_TO_POINTER (port)))
    return FALSE;
  binding = g_new0 (MsUdpBinding, 1);
  binding->receive = receive;
  binding->user_data = user_data;
  binding->destroy = destroy;
  g_hash_table_insert (node->udp_bindings, GUINT_TO_POINTER (port), binding);
  return TRUE;
}

gboolean
ms_node_udp_unbind (MsNode  *node,
                    guint16  port)
{
  g_return_val_if_fail (node != NULL, FALSE);
  return g_hash_table_remove (node->udp_bindings, GUINT_TO_POINTER (port));
}

static void
deliver_datagram (MsNetwork *network,
                  MsPacket  *packet,
                  MsNode    *destination,
                  gpointer   user_data)
{
  MsUdpBinding *binding;
  g_autofree char *src = NULL;
  g_autofree char *dst = NULL;
  g_autoptr(GBytes) payload = NULL;

  binding = g_hash_table_lookup (destination->udp_bindings,
                                 GUINT_TO_POINTER (packet->dst_port));
  if (binding == NULL)
    return;  /* a real host would answer ICMP port unreachable; we stay silent */
  src = ms_packet_dup_src_address (packet);
  dst = ms_packet_dup_dst_address (packet);
  payload = packet->payload != NULL ? g_bytes_ref (packet->payload) : g_bytes_new (NULL, 0);
  binding->receive (destination, src, packet->src_port, dst, packet->dst_port, payload,
                    binding->user_data);
}

gboolean
ms_node_udp_send (MsNode      *node,
                  guint16      src_port,
                  const char  *dst_address,
                  guint16      dst_port,
                  GBytes      *payload,
                  GError     **error)
{
  MsNetAddr dst;
  const MsRoute *route;
  MsNode *destination = NULL;
  MsPacket packet = { 0 };

  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (dst_address != NULL, FALSE);

  if (!_ms_net_addr_parse (dst_address, &dst))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", dst_address);
      return FALSE;
    }
  route = _ms_network_route (node->network, node, &dst, &destination, error);
  if (route == NULL)
    return FALSE;
  packet.family = dst.family;
  packet.protocol = MS_IP_PROTO_UDP;
  memcpy (packet.src_addr, route->src_addr.bytes, 16);
  memcpy (packet.dst_addr, dst.bytes, 16);
  packet.src_port = src_port;
  packet.dst_port = dst_port;
  if (payload != NULL && g_bytes_get_size (payload) > 0)
    packet.payload = g_bytes_ref (payload);
  _ms_network_transmit (node->network, &packet, node, route, destination, deliver_datagram,
                        NULL, NULL);
  return TRUE;
}
