/* ms-network-pcapng.c: the packet log of a virtual network as a pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-network-pcapng"

#include "config.h"

#include "ms-net-private.h"
#include "ms-pcapng-writer.h"

/* Locally administered unicast MACs: 02:4d:53 ("MS") and the node id */
static void
node_mac (guint   node_id,
          guint8 *mac)
{
  mac[0] = 0x02;
  mac[1] = 0x4d;
  mac[2] = 0x53;
  mac[3] = (node_id >> 16) & 0xff;
  mac[4] = (node_id >> 8) & 0xff;
  mac[5] = node_id & 0xff;
}

/**
 * ms_network_write_pcapng:
 *
 * Writes every logged packet, dropped ones included (the log is taken where they left
 * their sender), with their comments; drop reasons and simulated TLS become comments.
 */
gboolean
ms_network_write_pcapng (MsNetwork   *self,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(MsPcapngWriter) writer = NULL;
  const MsPacket *packets;
  guint n_packets;

  g_return_val_if_fail (MS_IS_NETWORK (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  writer = ms_pcapng_writer_new_for_path (path, "MailSim virtual network", error);
  if (writer == NULL)
    return FALSE;
  packets = ms_network_get_packets (self, &n_packets);
  for (guint i = 0; i < n_packets; i++)
    {
      const MsPacket *p = &packets[i];
      g_autoptr(GString) comment = NULL;
      MsPcapngPacket out = { 0 };
      gsize len = 0;

      if (p->comment != NULL || p->dropped_by != NULL || p->encrypted)
        {
          comment = g_string_new (p->comment);
          if (p->dropped_by != NULL)
            g_string_append_printf (comment, "%sDropped by %s", comment->len > 0 ? "\n" : "",
                                    p->dropped_by);
          if (p->encrypted)
            g_string_append_printf (comment, "%sInside TLS (simulated): shown in clear",
                                    comment->len > 0 ? "\n" : "");
        }
      out.timestamp_us = MS_NETWORK_EPOCH_UNIX_US + (gint64) p->t_us;
      node_mac (p->src_node, out.src_mac);
      node_mac (p->next_hop_node, out.dst_mac);
      out.family = p->family;
      out.src_addr = p->src_addr;
      out.dst_addr = p->dst_addr;
      out.protocol = p->protocol;
      out.src_port = p->src_port;
      out.dst_port = p->dst_port;
      out.seq = p->seq;
      out.ack = p->ack;
      out.tcp_flags = p->tcp_flags;
      out.window = p->window;
      out.mss = p->mss;
      out.payload = p->payload != NULL ? g_bytes_get_data (p->payload, &len) : NULL;
      out.payload_len = len;
      out.comment = comment != NULL ? comment->str : NULL;
      if (!ms_pcapng_writer_write (writer, &out, error))
        return FALSE;
    }
  return ms_pcapng_writer_close (writer, error);
}
