/* ms-sim-dns.c: DNS over simulated UDP (RFC 1035 wire format)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-sim-dns"

#include "config.h"

#include <string.h>

#include "ms-net-private.h"

/* RFC 1035 §4.1.1 header bits */
#define DNS_FLAG_QR      0x8000
#define DNS_FLAG_AA      0x0400
#define DNS_FLAG_TC      0x0200
#define DNS_FLAG_RD      0x0100
#define DNS_OPCODE_MASK  0x7800
#define DNS_RCODE_MASK   0x000f
#define DNS_RCODE_FORMERR  1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP   4
#define DNS_CLASS_IN     1
#define DNS_HEADER_SIZE  12
/* Compression pointers followed before a name is called malformed */
#define DNS_MAX_POINTERS 16
/* Answer records decoded from one response */
#define DNS_MAX_ANSWERS  64

/* Reading: every getter checks the bounds */

typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
} Reader;

static gboolean
read_u16 (Reader  *r,
          guint16 *value)
{
  if (r->len - r->pos < 2 || r->pos > r->len)
    return FALSE;
  *value = (guint16) ((r->data[r->pos] << 8) | r->data[r->pos + 1]);
  r->pos += 2;
  return TRUE;
}

static gboolean
read_u32 (Reader  *r,
          guint32 *value)
{
  guint16 hi, lo;

  if (!read_u16 (r, &hi) || !read_u16 (r, &lo))
    return FALSE;
  *value = ((guint32) hi << 16) | lo;
  return TRUE;
}

/* RFC 1035 §4.1.4: labels, with compression pointers; lower case, no trailing dot */
static gboolean
read_name (Reader  *r,
           char   **name)
{
  GString *out = g_string_new (NULL);
  gsize pos = r->pos;
  gboolean jumped = FALSE;
  guint n_pointers = 0;

  for (;;)
    {
      guint8 len;

      if (pos >= r->len)
        goto fail;
      len = r->data[pos];
      if ((len & 0xc0) == 0xc0)
        {
          if (pos + 1 >= r->len || ++n_pointers > DNS_MAX_POINTERS)
            goto fail;
          if (!jumped)
            r->pos = pos + 2;
          jumped = TRUE;
          pos = ((gsize) (len & 0x3f) << 8) | r->data[pos + 1];
          continue;
        }
      if ((len & 0xc0) != 0)
        goto fail;
      if (len == 0)
        {
          if (!jumped)
            r->pos = pos + 1;
          break;
        }
      if (pos + 1 + len > r->len || out->len + len + 1 > MS_DNS_MAX_NAME + 1)
        goto fail;
      if (out->len > 0)
        g_string_append_c (out, '.');
      for (guint i = 0; i < len; i++)
        g_string_append_c (out, g_ascii_tolower (r->data[pos + 1 + i]));
      pos += 1 + len;
    }
  *name = g_string_free (out, FALSE);
  return TRUE;

fail:
  g_string_free (out, TRUE);
  return FALSE;
}

/* Writing */

static void
put_u16 (GByteArray *out,
         guint16     value)
{
  guint8 b[2] = { value >> 8, value & 0xff };

  g_byte_array_append (out, b, 2);
}

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  put_u16 (out, value >> 16);
  put_u16 (out, value & 0xffff);
}

static gboolean
put_name (GByteArray  *out,
          const char  *name,
          GError     **error)
{
  g_auto(GStrv) labels = NULL;

  if (name[0] != '\0' && !ms_dns_name_is_valid (name))
    {
      g_set_error (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_INVALID_NAME,
                   "“%s” is not a valid domain name", name);
      return FALSE;
    }
  labels = g_strsplit (name, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      guint8 len = (guint8) strlen (labels[i]);

      if (len == 0)
        continue;
      g_byte_array_append (out, &len, 1);
      g_byte_array_append (out, (const guint8 *) labels[i], len);
    }
  g_byte_array_append (out, (const guint8 *) "", 1);
  return TRUE;
}

GBytes *
ms_dns_message_build_query (guint16      id,
                            const char  *name,
                            MsDnsType    qtype,
                            GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new (64);
  g_autofree char *normal = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  normal = ms_dns_normalize_name (name);
  put_u16 (out, id);
  put_u16 (out, DNS_FLAG_RD);
  put_u16 (out, 1);   /* QDCOUNT */
  put_u16 (out, 0);
  put_u16 (out, 0);
  put_u16 (out, 0);
  if (!put_name (out, normal, error))
    return NULL;
  put_u16 (out, qtype);
  put_u16 (out, DNS_CLASS_IN);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* RFC 1035 §3.3, RFC 3596 §2.2: the RDATA of one record */
static void
put_rdata (GByteArray        *out,
           const MsDnsRecord *record)
{
  guint len_at = out->len;
  gsize size;

  put_u16 (out, 0);
  switch (record->type)
    {
    case MS_DNS_TYPE_A:
    case MS_DNS_TYPE_AAAA:
      size = g_inet_address_get_native_size (record->address);
      g_byte_array_append (out, g_inet_address_to_bytes (record->address), (guint) size);
      break;
    case MS_DNS_TYPE_MX:
      put_u16 (out, record->preference);
      put_name (out, record->target, NULL);
      break;
    case MS_DNS_TYPE_CNAME:
    case MS_DNS_TYPE_PTR:
      put_name (out, record->target, NULL);
      break;
    case MS_DNS_TYPE_TXT:
    case MS_DNS_TYPE_SPF:
      for (guint i = 0; i < record->strings->len; i++)
        {
          gsize n;
          const guint8 *s = g_bytes_get_data (g_ptr_array_index (record->strings, i), &n);
          guint8 len = (guint8) MIN (n, MS_DNS_MAX_STRING);

          g_byte_array_append (out, &len, 1);
          g_byte_array_append (out, s, len);
        }
      break;
    default:
      break;
    }
  size = out->len - len_at - 2;
  out->data[len_at] = (guint8) (size >> 8);
  out->data[len_at + 1] = (guint8) (size & 0xff);
}

GBytes *
ms_dns_message_answer (MsDnsZone *zone,
                       GBytes    *query)
{
  g_autoptr(GByteArray) out = NULL;
  g_autoptr(GPtrArray) answers = NULL;
  g_autofree char *qname = NULL;
  Reader r = { 0 };
  guint16 id, flags, qdcount, qtype, qclass, skip;
  guint16 rcode = 0, ancount = 0;
  gsize question_end;
  MsDnsStatus status;

  g_return_val_if_fail (MS_IS_DNS_ZONE (zone), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  r.data = g_bytes_get_data (query, &r.len);
  if (!read_u16 (&r, &id) || !read_u16 (&r, &flags) || !read_u16 (&r, &qdcount)
      || !read_u16 (&r, &skip) || !read_u16 (&r, &skip) || !read_u16 (&r, &skip))
    return NULL;  /* too short to answer even with FORMERR */
  if (flags & DNS_FLAG_QR)
    return NULL;  /* a response: never answer those */

  out = g_byte_array_sized_new (128);
  if (qdcount != 1 || !read_name (&r, &qname) || !read_u16 (&r, &qtype)
      || !read_u16 (&r, &qclass))
    {
      /* RFC 1035 §4.1.1: FORMERR, without the question */
      put_u16 (out, id);
      put_u16 (out, DNS_FLAG_QR | (flags & (DNS_OPCODE_MASK | DNS_FLAG_RD)) | DNS_RCODE_FORMERR);
      for (guint i = 0; i < 4; i++)
        put_u16 (out, 0);
      return g_byte_array_free_to_bytes (g_steal_pointer (&out));
    }
  question_end = r.pos;

  if ((flags & DNS_OPCODE_MASK) != 0 || qclass != DNS_CLASS_IN)
    rcode = DNS_RCODE_NOTIMP;
  else
    {
      status = ms_dns_zone_query (zone, qname, (MsDnsType) qtype, &answers, NULL);
      switch (status)
        {
        case MS_DNS_STATUS_TIMEOUT:
          return NULL;  /* the server stays silent */
        case MS_DNS_STATUS_NXDOMAIN:
          rcode = DNS_RCODE_NXDOMAIN;
          break;
        case MS_DNS_STATUS_SERVFAIL:
          rcode = DNS_RCODE_SERVFAIL;
          break;
        case MS_DNS_STATUS_ERROR:
          rcode = DNS_RCODE_FORMERR;
          break;
        case MS_DNS_STATUS_NOERROR:
        case MS_DNS_STATUS_NODATA:
        default:
          break;
        }
    }

  put_u16 (out, id);
  put_u16 (out, 0);  /* flags, set below */
  put_u16 (out, 1);
  put_u16 (out, 0);  /* ANCOUNT, set below */
  put_u16 (out, 0);
  put_u16 (out, 0);
  /* the question, as asked */
  g_byte_array_append (out, r.data + DNS_HEADER_SIZE, (guint) (question_end - DNS_HEADER_SIZE));

  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      const MsDnsRecord *record = g_ptr_array_index (answers, i);
      guint before = out->len;

      put_name (out, record->name, NULL);
      put_u16 (out, record->type);
      put_u16 (out, DNS_CLASS_IN);
      put_u32 (out, MS_DNS_TTL);
      put_rdata (out, record);
      if (out->len > MS_DNS_MAX_UDP_MESSAGE)
        {
          /* RFC 1035 §4.2.1: cut, and set TC */
          g_byte_array_set_size (out, before);
          flags |= DNS_FLAG_TC;
          break;
        }
      ancount++;
    }
  flags = DNS_FLAG_QR | DNS_FLAG_AA | (flags & (DNS_OPCODE_MASK | DNS_FLAG_RD | DNS_FLAG_TC))
          | rcode;
  out->data[2] = flags >> 8;
  out->data[3] = flags & 0xff;
  out->data[6] = ancount >> 8;
  out->data[7] = ancount & 0xff;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

void
ms_dns_record_free (MsDnsRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_clear_object (&record->address);
  g_free (record->target);
  g_clear_pointer (&record->strings, g_ptr_array_unref);
  g_free (record);
}

static MsDnsRecord *
read_record (Reader  *r,
             GError **error)
{
  g_autofree char *name = NULL;
  guint16 type, klass, rdlength;
  guint32 ttl;
  gsize end;
  MsDnsRecord *record;

  if (!read_name (r, &name) || !read_u16 (r, &type) || !read_u16 (r, &klass)
      || !read_u32 (r, &ttl) || !read_u16 (r, &rdlength) || rdlength > r->len - r->pos)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Truncated resource record");
      return NULL;
    }
  end = r->pos + rdlength;
  record = g_new0 (MsDnsRecord, 1);
  record->name = g_steal_pointer (&name);
  record->type = type;
  switch (type)
    {
    case MS_DNS_TYPE_A:
    case MS_DNS_TYPE_AAAA:
      if (rdlength != (type == MS_DNS_TYPE_A ? 4 : 16))
        goto bad;
      record->address = g_inet_address_new_from_bytes (r->data + r->pos,
                                                       type == MS_DNS_TYPE_A
                                                       ? G_SOCKET_FAMILY_IPV4
                                                       : G_SOCKET_FAMILY_IPV6);
      break;
    case MS_DNS_TYPE_MX:
      if (!read_u16 (r, &record->preference) || !read_name (r, &record->target))
        goto bad;
      break;
    case MS_DNS_TYPE_CNAME:
    case MS_DNS_TYPE_PTR:
      if (!read_name (r, &record->target))
        goto bad;
      break;
    case MS_DNS_TYPE_TXT:
    case MS_DNS_TYPE_SPF:
      record->strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      while (r->pos < end)
        {
          guint8 len = r->data[r->pos];

          if (r->pos + 1 + len > end)
            goto bad;
          g_ptr_array_add (record->strings, g_bytes_new (r->data + r->pos + 1, len));
          r->pos += 1 + len;
        }
      break;
    default:
      break;
    }
  if (r->pos > end)
    goto bad;
  r->pos = end;
  return record;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Malformed %s record for %s", ms_dns_type_to_string (type), record->name);
  ms_dns_record_free (record);
  return NULL;
}

gboolean
ms_dns_message_parse_response (GBytes       *message,
                               guint16      *id,
                               MsDnsStatus  *status,
                               GPtrArray   **records,
                               GError      **error)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_dns_record_free);
  Reader r = { 0 };
  guint16 msg_id, flags, qdcount, ancount, skip;

  g_return_val_if_fail (message != NULL, FALSE);

  r.data = g_bytes_get_data (message, &r.len);
  if (!read_u16 (&r, &msg_id) || !read_u16 (&r, &flags) || !read_u16 (&r, &qdcount)
      || !read_u16 (&r, &ancount) || !read_u16 (&r, &skip) || !read_u16 (&r, &skip))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "DNS message too short");
      return FALSE;
    }
  if (!(flags & DNS_FLAG_QR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a DNS response");
      return FALSE;
    }
  for (guint i = 0; i < qdcount; i++)
    {
      g_autofree char *qname = NULL;

      if (!read_name (&r, &qname) || !read_u16 (&r, &skip) || !read_u16 (&r, &skip))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Truncated question");
          return FALSE;
        }
    }
  for (guint i = 0; i < ancount && i < DNS_MAX_ANSWERS; i++)
    {
      MsDnsRecord *record = read_record (&r, error);

      if (record == NULL)
        return FALSE;
      g_ptr_array_add (found, record);
    }
  if (id != NULL)
    *id = msg_id;
  if (status != NULL)
    switch (flags & DNS_RCODE_MASK)
      {
      case 0:
        *status = found->len > 0 ? MS_DNS_STATUS_NOERROR : MS_DNS_STATUS_NODATA;
        break;
      case DNS_RCODE_NXDOMAIN:
        *status = MS_DNS_STATUS_NXDOMAIN;
        break;
      case DNS_RCODE_FORMERR:
        *status = MS_DNS_STATUS_ERROR;
        break;
      default:
        *status = MS_DNS_STATUS_SERVFAIL;
        break;
      }
  if (records != NULL)
    *records = g_steal_pointer (&found);
  return TRUE;
}

/* The server */

static void
serve_query (MsNode     *node,
             const char *src_address,
             guint16     src_port,
             const char *dst_address,
             guint16     dst_port,
             GBytes     *payload,
             gpointer    user_data)
{
  g_autoptr(GBytes) answer = ms_dns_message_answer (node->dns_zone, payload);

  if (answer != NULL)
    ms_node_udp_send (node, dst_port, src_address, src_port, answer, NULL);
}

/**
 * ms_node_serve_dns:
 *
 * Makes @node an authoritative DNS server for @zone on UDP port 53.
 */
gboolean
ms_node_serve_dns (MsNode     *node,
                   MsDnsZone  *zone,
                   GError    **error)
{
  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (MS_IS_DNS_ZONE (zone), FALSE);

  if (!ms_node_udp_bind (node, MS_DNS_PORT, serve_query, NULL, NULL))
    {
      g_set_error (error, MS_NETWORK_ERROR, MS_NETWORK_ERROR_EXISTS,
                   "%s: UDP port 53 is already in use", node->name);
      return FALSE;
    }
  g_set_object (&node->dns_zone, zone);
  return TRUE;
}

/* The resolver */

typedef struct
{
  guint             ref;      /* the UDP binding's and the timer's */
  gboolean          done;
  MsNode           *node;
  char             *server;
  MsNetAddr         server_addr;
  char             *name;
  MsDnsType         qtype;
  guint16           id;
  guint16           port;
  guint             timer_id;
  MsDnsResolveFunc  callback;
  gpointer          user_data;
} Query;

static void
query_unref (gpointer data)
{
  Query *q = data;

  g_assert (q->ref > 0);
  if (--q->ref > 0)
    return;
  g_free (q->server);
  g_free (q->name);
  g_free (q);
}

static void
trace_answer (Query       *q,
              MsDnsStatus  status,
              GPtrArray   *records)
{
  MsTrace *trace = ms_network_get_trace (q->node->network);
  MsTraceEvent *event;
  JsonArray *list;

  if (trace == NULL)
    return;
  event = ms_trace_add_event (trace, "dns", q->node->name, 0,
                              "direction", "answer",
                              "name", q->name,
                              "qtype", ms_dns_type_to_string (q->qtype),
                              "server", q->server,
                              "status", ms_dns_status_to_string (status),
                              NULL);
  list = json_array_new ();
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      const MsDnsRecord *record = g_ptr_array_index (records, i);
      g_autofree char *data = ms_dns_record_format_data (record);

      json_array_add_string_element (list, data);
    }
  json_object_set_array_member (event->fields, "answers", list);
}

/* Reports once, then lets go of the timer and the port (which may free @q). */
static void
query_finish (Query       *q,
              MsDnsStatus  status,
              GPtrArray   *records)
{
  guint timer_id = q->timer_id;
  guint16 port = q->port;
  MsNode *node = q->node;

  if (q->done)
    return;
  q->done = TRUE;
  trace_answer (q, status, records);
  if (q->callback != NULL)
    q->callback (q->node, q->name, q->qtype, status, records, q->user_data);
  q->timer_id = 0;
  q->port = 0;
  if (timer_id != 0)
    ms_scheduler_cancel (ms_network_get_scheduler (node->network), timer_id);
  if (port != 0)
    ms_node_udp_unbind (node, port);
}

static void
receive_answer (MsNode     *node,
                const char *src_address,
                guint16     src_port,
                const char *dst_address,
                guint16     dst_port,
                GBytes     *payload,
                gpointer    user_data)
{
  Query *q = user_data;
  g_autoptr(GPtrArray) records = NULL;
  MsNetAddr src;
  MsDnsStatus status;
  guint16 id;

  /* RFC 5452 §9.1: accept only the answer from where we asked, with our id */
  if (src_port != MS_DNS_PORT || !_ms_net_addr_parse (src_address, &src)
      || !_ms_net_addr_equal (&src, &q->server_addr))
    return;
  if (!ms_dns_message_parse_response (payload, &id, &status, &records, NULL) || id != q->id)
    return;
  query_finish (q, status, status == MS_DNS_STATUS_NOERROR ? records : NULL);
}

static void
run_query_timeout (MsScheduler *scheduler,
                   gpointer     user_data)
{
  Query *q = user_data;

  q->timer_id = 0;  /* running: the scheduler drops its reference afterwards */
  query_finish (q, MS_DNS_STATUS_TIMEOUT, NULL);
}

void
ms_node_resolve (MsNode           *node,
                 const char       *server_address,
                 const char       *name,
                 MsDnsType         qtype,
                 MsDnsResolveFunc  callback,
                 gpointer          user_data)
{
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GError) error = NULL;
  MsNetwork *network;
  MsTrace *trace;
  Query *q;
  char id_text[8];

  g_return_if_fail (node != NULL);
  g_return_if_fail (server_address != NULL);
  g_return_if_fail (name != NULL);

  network = node->network;
  q = g_new0 (Query, 1);
  q->ref = 1;
  q->node = node;
  q->server = g_strdup (server_address);
  q->name = ms_dns_normalize_name (name);
  q->qtype = qtype;
  q->callback = callback;
  q->user_data = user_data;
  q->id = (guint16) g_rand_int_range (_ms_network_get_rand (network), 0, 65536);
  g_snprintf (id_text, sizeof id_text, "%u", q->id);

  trace = ms_network_get_trace (network);
  if (trace != NULL)
    ms_trace_add_event (trace, "dns", node->name, 0,
                        "direction", "query",
                        "name", q->name,
                        "qtype", ms_dns_type_to_string (qtype),
                        "server", server_address,
                        "id", id_text,
                        NULL);

  message = ms_dns_message_build_query (q->id, q->name, qtype, &error);
  if (message == NULL || !_ms_net_addr_parse (server_address, &q->server_addr))
    {
      query_finish (q, MS_DNS_STATUS_ERROR, NULL);
      query_unref (q);
      return;
    }
  /* the binding takes our reference */
  q->port = ms_node_next_port (node);
  ms_node_udp_bind (node, q->port, receive_answer, q, query_unref);
  if (!ms_node_udp_send (node, q->port, server_address, MS_DNS_PORT, message, &error))
    {
      query_finish (q, MS_DNS_STATUS_ERROR, NULL);
      return;
    }
  q->ref++;
  q->timer_id = ms_scheduler_schedule (ms_network_get_scheduler (network),
                                       _ms_network_get_dns_timeout (network), "dns-timeout",
                                       run_query_timeout, q, query_unref);
}
