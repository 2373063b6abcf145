/* ms-network-pcapng.c: the packet log of a virtual network as a pcapng file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-network-pcapng"

#include "config.h"

#include "ms-net-private.h"
#include "ms-pcapng-writer.h"

/* RFC 8446 §5.1: content type application_data, legacy version TLS 1.2, length */
#define TLS_RECORD_HEADER 5
#define TLS_APPLICATION_DATA 23

/* What wrapping payloads in TLS records added to one direction of a flow: for each
 * wrapped segment, where it ended in the simulation's numbering and the total added. */
typedef struct
{
  guint32 end_seq;
  guint32 added;
} Shift;

static GArray *
flow_shifts (GHashTable     *flows,
             const MsPacket *p,
             gboolean        reverse)
{
  g_autofree char *src = reverse ? ms_packet_dup_dst_address (p) : ms_packet_dup_src_address (p);
  g_autofree char *dst = reverse ? ms_packet_dup_src_address (p) : ms_packet_dup_dst_address (p);
  char *key = g_strdup_printf ("%s %u %s %u", src, reverse ? p->dst_port : p->src_port,
                               dst, reverse ? p->src_port : p->dst_port);
  GArray *shifts = g_hash_table_lookup (flows, key);

  if (shifts == NULL)
    {
      shifts = g_array_new (FALSE, FALSE, sizeof (Shift));
      g_hash_table_insert (flows, key, shifts);
    }
  else
    g_free (key);
  return shifts;
}

/* Bytes added before sequence number @seq of the simulation */
static guint32
added_before (GArray  *shifts,
              guint32  seq)
{
  for (guint i = shifts->len; i > 0; i--)
    {
      const Shift *shift = &g_array_index (shifts, Shift, i - 1);

      if ((gint32) (shift->end_seq - seq) <= 0)
        return shift->added;
    }
  return 0;
}

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
 * their sender), with their comments; drop reasons become comments too. What a session
 * sent after STARTTLS goes out as TLS application-data records (RFC 8446 §5.1), as a
 * real capture would show it: Wireshark then sees TLS, not SMTP. The record bodies are
 * the simulated plaintext (the simulation does not encrypt), and the sequence and
 * acknowledgment numbers are shifted by the record headers so the stream stays whole.
 */
gboolean
ms_network_write_pcapng (MsNetwork   *self,
                         const char  *path,
                         GError     **error)
{
  g_autoptr(MsPcapngWriter) writer = NULL;
  g_autoptr(GHashTable) flows = NULL;
  g_autoptr(GByteArray) record = g_byte_array_new ();
  const MsPacket *packets;
  guint n_packets;

  g_return_val_if_fail (MS_IS_NETWORK (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  writer = ms_pcapng_writer_new_for_path (path, "MailSim virtual network", error);
  if (writer == NULL)
    return FALSE;
  flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                 (GDestroyNotify) g_array_unref);
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
            g_string_append_printf (comment, "%sTLS (simulated): the record carries the "
                                    "plaintext", comment->len > 0 ? "\n" : "");
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
      if (p->protocol == MS_IP_PROTO_TCP && !(p->tcp_flags & MS_TCP_SYN))
        {
          GArray *mine = flow_shifts (flows, p, FALSE);
          GArray *theirs = flow_shifts (flows, p, TRUE);
          guint32 added = added_before (mine, p->seq);

          out.seq = p->seq + added;
          if (p->tcp_flags & MS_TCP_ACK)
            out.ack = p->ack + added_before (theirs, p->ack);
          if (p->encrypted && len > 0)
            {
              guint8 header[TLS_RECORD_HEADER] = { TLS_APPLICATION_DATA, 3, 3, len >> 8,
                                                   len & 0xff };
              Shift shift = { p->seq + (guint32) len, added + TLS_RECORD_HEADER };

              g_byte_array_set_size (record, 0);
              g_byte_array_append (record, header, sizeof header);
              g_byte_array_append (record, out.payload, (guint) len);
              out.payload = record->data;
              out.payload_len = record->len;
              g_array_append_val (mine, shift);
            }
        }
      out.comment = comment != NULL ? comment->str : NULL;
      if (!ms_pcapng_writer_write (writer, &out, error))
        return FALSE;
    }
  return ms_pcapng_writer_close (writer, error);
}
