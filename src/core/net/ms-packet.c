/* ms-packet.c: one simulated packet
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-packet"

#include "config.h"

#include <string.h>

#include "ms-net-private.h"

gsize
ms_packet_get_payload_size (const MsPacket *packet)
{
  g_return_val_if_fail (packet != NULL, 0);
  return packet->payload != NULL ? g_bytes_get_size (packet->payload) : 0;
}

static char *
dup_address (guint8        family,
             const guint8 *bytes)
{
  MsNetAddr addr = { .family = family };

  memcpy (addr.bytes, bytes, 16);
  return _ms_net_addr_to_string (&addr);
}

char *
ms_packet_dup_src_address (const MsPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  return dup_address (packet->family, packet->src_addr);
}

char *
ms_packet_dup_dst_address (const MsPacket *packet)
{
  g_return_val_if_fail (packet != NULL, NULL);
  return dup_address (packet->family, packet->dst_addr);
}

char *
ms_packet_dup_flags_string (const MsPacket *packet)
{
  static const struct { guint8 flag; const char *name; } names[] = {
    { MS_TCP_FIN, "FIN" }, { MS_TCP_SYN, "SYN" }, { MS_TCP_RST, "RST" },
    { MS_TCP_PSH, "PSH" }, { MS_TCP_ACK, "ACK" },
  };
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (packet != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (packet->tcp_flags & names[i].flag)
      {
        if (text->len > 0)
          g_string_append (text, ", ");
        g_string_append (text, names[i].name);
      }
  return g_string_free (text, FALSE);
}
