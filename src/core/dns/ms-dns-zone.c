/* ms-dns-zone.c: a small authoritative DNS zone, answered in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-dns-zone"

#include "config.h"

#include <string.h>

#include "ms-dns-zone.h"

typedef struct
{
  GPtrArray *records;  /* of MsDnsRecord*, owned, in insertion order */
  gboolean   timeout;  /* TIMEOUT: queries for types without records time out */
} ZoneNode;

struct _MsDnsZone
{
  GObject     parent_instance;

  GHashTable *nodes;      /* normalized name -> ZoneNode* */
  guint       n_records;
  MsTrace    *trace;
  char       *trace_node;
};

G_DEFINE_FINAL_TYPE (MsDnsZone, ms_dns_zone, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-dns-zone-error-quark, ms_dns_zone_error)

static const struct
{
  MsDnsType   type;
  const char *name;
} type_names[] = {
  { MS_DNS_TYPE_A, "A" },
  { MS_DNS_TYPE_CNAME, "CNAME" },
  { MS_DNS_TYPE_PTR, "PTR" },
  { MS_DNS_TYPE_MX, "MX" },
  { MS_DNS_TYPE_TXT, "TXT" },
  { MS_DNS_TYPE_AAAA, "AAAA" },
  { MS_DNS_TYPE_SPF, "SPF" },
};

static void
record_free (gpointer data)
{
  MsDnsRecord *record = data;

  g_free (record->name);
  g_clear_object (&record->address);
  g_free (record->target);
  g_clear_pointer (&record->strings, g_ptr_array_unref);
  g_free (record);
}

static void
zone_node_free (gpointer data)
{
  ZoneNode *node = data;

  g_ptr_array_unref (node->records);
  g_free (node);
}

static void
ms_dns_zone_finalize (GObject *object)
{
  MsDnsZone *self = MS_DNS_ZONE (object);

  g_clear_pointer (&self->nodes, g_hash_table_unref);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->trace_node, g_free);
  G_OBJECT_CLASS (ms_dns_zone_parent_class)->finalize (object);
}

static void
ms_dns_zone_class_init (MsDnsZoneClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_dns_zone_finalize;
}

static void
ms_dns_zone_init (MsDnsZone *self)
{
  self->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, zone_node_free);
}

MsDnsZone *
ms_dns_zone_new (void)
{
  return g_object_new (MS_TYPE_DNS_ZONE, NULL);
}

const char *
ms_dns_type_to_string (MsDnsType type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (type_names[i].type == type)
      return type_names[i].name;
  return "UNKNOWN";
}

gboolean
ms_dns_type_from_string (const char *name,
                         MsDnsType  *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (type_names); i++)
    if (g_ascii_strcasecmp (type_names[i].name, name) == 0)
      {
        *type = type_names[i].type;
        return TRUE;
      }
  return FALSE;
}

const char *
ms_dns_status_to_string (MsDnsStatus status)
{
  switch (status)
    {
    case MS_DNS_STATUS_NOERROR:  return "NOERROR";
    case MS_DNS_STATUS_NODATA:   return "NODATA";
    case MS_DNS_STATUS_NXDOMAIN: return "NXDOMAIN";
    case MS_DNS_STATUS_SERVFAIL: return "SERVFAIL";
    case MS_DNS_STATUS_TIMEOUT:  return "TIMEOUT";
    case MS_DNS_STATUS_ERROR:    return "FORMERR";
    default:                     return "UNKNOWN";
    }
}

char *
ms_dns_normalize_name (const char *name)
{
  gsize len;

  g_return_val_if_fail (name != NULL, NULL);
  len = strlen (name);
  /* "." is the root; "example.com." is "example.com" */
  if (len > 0 && name[len - 1] == '.')
    len--;
  return g_ascii_strdown (name, (gssize) len);
}

gboolean
ms_dns_name_is_valid (const char *name)
{
  gsize len, label = 0;

  g_return_val_if_fail (name != NULL, FALSE);
  len = strlen (name);
  if (len > 0 && name[len - 1] == '.')
    len--;
  if (len == 0 || len > MS_DNS_MAX_NAME)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (name[i] == '.')
        {
          if (label == 0)
            return FALSE;
          label = 0;
        }
      else if (++label > MS_DNS_MAX_LABEL)
        return FALSE;
    }
  return label > 0;
}

char *
ms_dns_reverse_name (GInetAddress *address)
{
  const guint8 *bytes;
  GString *out;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), NULL);
  bytes = g_inet_address_to_bytes (address);
  out = g_string_new (NULL);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    {
      g_string_printf (out, "%u.%u.%u.%u.in-addr.arpa", bytes[3], bytes[2], bytes[1], bytes[0]);
      return g_string_free (out, FALSE);
    }
  /* RFC 3596 §2.5: nibbles, least significant first */
  for (int i = 15; i >= 0; i--)
    g_string_append_printf (out, "%x.%x.", bytes[i] & 0xf, bytes[i] >> 4);
  g_string_append (out, "ip6.arpa");
  return g_string_free (out, FALSE);
}

static ZoneNode *
ensure_node (MsDnsZone  *self,
             const char *name)
{
  g_autofree char *key = ms_dns_normalize_name (name);
  ZoneNode *node = g_hash_table_lookup (self->nodes, key);

  if (node == NULL)
    {
      node = g_new0 (ZoneNode, 1);
      node->records = g_ptr_array_new_with_free_func (record_free);
      g_hash_table_insert (self->nodes, g_steal_pointer (&key), node);
    }
  return node;
}

static MsDnsRecord *
add_record (MsDnsZone  *self,
            const char *name,
            MsDnsType   type)
{
  ZoneNode *node = ensure_node (self, name);
  MsDnsRecord *record = g_new0 (MsDnsRecord, 1);

  record->name = ms_dns_normalize_name (name);
  record->type = type;
  g_ptr_array_add (node->records, record);
  self->n_records++;
  return record;
}

void
ms_dns_zone_add_inet_address (MsDnsZone    *self,
                              const char   *name,
                              GInetAddress *address)
{
  MsDnsRecord *record;

  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL);
  g_return_if_fail (G_IS_INET_ADDRESS (address));

  record = add_record (self, name,
                       g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4
                       ? MS_DNS_TYPE_A : MS_DNS_TYPE_AAAA);
  record->address = g_object_ref (address);
}

gboolean
ms_dns_zone_add_address (MsDnsZone   *self,
                         const char  *name,
                         const char  *address,
                         GError     **error)
{
  g_autoptr(GInetAddress) inet = NULL;

  g_return_val_if_fail (MS_IS_DNS_ZONE (self), FALSE);
  g_return_val_if_fail (name != NULL && address != NULL, FALSE);

  if (strchr (address, '%') == NULL)
    inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_SYNTAX,
                   "“%s” is not an IPv4 or IPv6 address", address);
      return FALSE;
    }
  ms_dns_zone_add_inet_address (self, name, inet);
  return TRUE;
}

void
ms_dns_zone_add_mx (MsDnsZone  *self,
                    const char *name,
                    guint16     preference,
                    const char *exchange)
{
  MsDnsRecord *record;

  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL && exchange != NULL);

  record = add_record (self, name, MS_DNS_TYPE_MX);
  record->preference = preference;
  record->target = ms_dns_normalize_name (exchange);
}

void
ms_dns_zone_add_txt_bytes (MsDnsZone  *self,
                           const char *name,
                           MsDnsType   type,
                           GPtrArray  *strings)
{
  MsDnsRecord *record;

  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL && strings != NULL);
  g_return_if_fail (type == MS_DNS_TYPE_TXT || type == MS_DNS_TYPE_SPF);

  record = add_record (self, name, type);
  record->strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < strings->len; i++)
    g_ptr_array_add (record->strings, g_bytes_ref (g_ptr_array_index (strings, i)));
}

static void
add_strings (MsDnsZone          *self,
             const char         *name,
             MsDnsType           type,
             const char * const *strings)
{
  g_autoptr(GPtrArray) array = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; strings != NULL && strings[i] != NULL; i++)
    g_ptr_array_add (array, g_bytes_new (strings[i], strlen (strings[i])));
  ms_dns_zone_add_txt_bytes (self, name, type, array);
}

void
ms_dns_zone_add_txt (MsDnsZone          *self,
                     const char         *name,
                     const char * const *strings)
{
  add_strings (self, name, MS_DNS_TYPE_TXT, strings);
}

void
ms_dns_zone_add_spf (MsDnsZone          *self,
                     const char         *name,
                     const char * const *strings)
{
  add_strings (self, name, MS_DNS_TYPE_SPF, strings);
}

void
ms_dns_zone_add_ptr (MsDnsZone  *self,
                     const char *name,
                     const char *target)
{
  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL && target != NULL);
  add_record (self, name, MS_DNS_TYPE_PTR)->target = ms_dns_normalize_name (target);
}

void
ms_dns_zone_add_cname (MsDnsZone  *self,
                       const char *name,
                       const char *target)
{
  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL && target != NULL);
  add_record (self, name, MS_DNS_TYPE_CNAME)->target = ms_dns_normalize_name (target);
}

void
ms_dns_zone_add_timeout (MsDnsZone  *self,
                         const char *name)
{
  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (name != NULL);
  ensure_node (self, name)->timeout = TRUE;
}

guint
ms_dns_zone_get_n_records (MsDnsZone *self)
{
  g_return_val_if_fail (MS_IS_DNS_ZONE (self), 0);
  return self->n_records;
}

void
ms_dns_zone_set_trace (MsDnsZone  *self,
                       MsTrace    *trace,
                       const char *node)
{
  g_return_if_fail (MS_IS_DNS_ZONE (self));
  g_return_if_fail (trace == NULL || MS_IS_TRACE (trace));

  g_set_object (&self->trace, trace);
  g_free (self->trace_node);
  self->trace_node = g_strdup (node);
}

char *
ms_dns_record_join_strings (const MsDnsRecord *record,
                            gsize             *len)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (record != NULL, NULL);
  for (guint i = 0; record->strings != NULL && i < record->strings->len; i++)
    {
      gsize n;
      const char *data = g_bytes_get_data (g_ptr_array_index (record->strings, i), &n);

      g_string_append_len (out, data, (gssize) n);
    }
  if (len != NULL)
    *len = out->len;
  return g_string_free (out, FALSE);
}

static void
append_quoted_string (GString *out,
                      GBytes  *bytes)
{
  gsize n;
  const guint8 *data = g_bytes_get_data (bytes, &n);

  g_string_append_c (out, '"');
  for (gsize i = 0; i < n; i++)
    {
      if (data[i] == '"' || data[i] == '\\')
        g_string_append_printf (out, "\\%c", data[i]);
      else if (data[i] < 0x20 || data[i] > 0x7e)
        g_string_append_printf (out, "\\%03u", data[i]);  /* RFC 1035 §5.1 \DDD */
      else
        g_string_append_c (out, (char) data[i]);
    }
  g_string_append_c (out, '"');
}

char *
ms_dns_record_format_data (const MsDnsRecord *record)
{
  GString *out;

  g_return_val_if_fail (record != NULL, NULL);
  switch (record->type)
    {
    case MS_DNS_TYPE_A:
    case MS_DNS_TYPE_AAAA:
      return g_inet_address_to_string (record->address);
    case MS_DNS_TYPE_MX:
      return g_strdup_printf ("%u %s.", record->preference, record->target);
    case MS_DNS_TYPE_PTR:
    case MS_DNS_TYPE_CNAME:
      return g_strdup_printf ("%s.", record->target);
    case MS_DNS_TYPE_TXT:
    case MS_DNS_TYPE_SPF:
      out = g_string_new (NULL);
      for (guint i = 0; i < record->strings->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          append_quoted_string (out, g_ptr_array_index (record->strings, i));
        }
      return g_string_free (out, FALSE);
    default:
      return g_strdup ("");
    }
}

static void
trace_query (MsDnsZone   *self,
             const char  *name,
             MsDnsType    type,
             MsDnsStatus  status,
             GPtrArray   *answers)
{
  MsTraceEvent *event;
  g_autoptr(JsonArray) array = NULL;

  if (self->trace == NULL)
    return;
  event = ms_trace_add_event (self->trace, "dns", self->trace_node, 0,
                              "query", name,
                              "qtype", ms_dns_type_to_string (type),
                              "rcode", status == MS_DNS_STATUS_NODATA
                                       ? "NOERROR" : ms_dns_status_to_string (status),
                              NULL);
  if (answers == NULL)
    return;
  array = json_array_new ();
  for (guint i = 0; i < answers->len; i++)
    {
      const MsDnsRecord *record = g_ptr_array_index (answers, i);
      g_autofree char *data = ms_dns_record_format_data (record);
      g_autofree char *text = g_strdup_printf ("%s. %s %s", record->name,
                                               ms_dns_type_to_string (record->type), data);

      json_array_add_string_element (array, text);
    }
  json_object_set_array_member (event->fields, "answer", g_steal_pointer (&array));
}

static MsDnsStatus
query_internal (MsDnsZone  *self,
                const char *name,
                MsDnsType   type,
                GPtrArray  *answers)
{
  g_autofree char *key = ms_dns_normalize_name (name);

  /* RFC 1034 §3.6.2: follow CNAMEs, but a loop is an error */
  for (guint hops = 0; hops <= MS_DNS_MAX_CNAME_CHAIN; hops++)
    {
      ZoneNode *node = g_hash_table_lookup (self->nodes, key);
      const MsDnsRecord *cname = NULL;
      guint before = answers->len;

      if (node == NULL)
        return MS_DNS_STATUS_NXDOMAIN;
      for (guint i = 0; i < node->records->len; i++)
        {
          MsDnsRecord *record = g_ptr_array_index (node->records, i);

          if (record->type == type)
            g_ptr_array_add (answers, record);
          else if (record->type == MS_DNS_TYPE_CNAME && cname == NULL)
            cname = record;
        }
      if (answers->len > before)
        return MS_DNS_STATUS_NOERROR;
      if (cname != NULL)
        {
          g_ptr_array_add (answers, (gpointer) cname);
          g_free (key);
          key = g_strdup (cname->target);
          continue;
        }
      if (node->timeout)
        return MS_DNS_STATUS_TIMEOUT;
      return MS_DNS_STATUS_NODATA;
    }
  return MS_DNS_STATUS_SERVFAIL;
}

/**
 * ms_dns_zone_query:
 * @self: the zone
 * @name: the query name, any case, trailing dot optional
 * @type: the RR type asked for
 * @answers: (out) (optional) (transfer container): for NOERROR, the records (owned by the
 *   zone; CNAMEs followed come first); NULL otherwise
 * @error: set only for MS_DNS_STATUS_ERROR (a name no query can be made for)
 *
 * Answers like an authoritative server would: NOERROR, NODATA, NXDOMAIN, SERVFAIL for a
 * CNAME loop, or TIMEOUT for a name marked TIMEOUT without records of @type. The query is
 * recorded as a "dns" event when a trace is set.
 */
MsDnsStatus
ms_dns_zone_query (MsDnsZone  *self,
                   const char *name,
                   MsDnsType   type,
                   GPtrArray **answers,
                   GError    **error)
{
  g_autoptr(GPtrArray) found = NULL;
  MsDnsStatus status;

  g_return_val_if_fail (MS_IS_DNS_ZONE (self), MS_DNS_STATUS_ERROR);
  g_return_val_if_fail (name != NULL, MS_DNS_STATUS_ERROR);

  if (answers != NULL)
    *answers = NULL;
  if (!ms_dns_name_is_valid (name))
    {
      g_set_error (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_INVALID_NAME,
                   "“%s” is not a valid domain name (labels of 1 to %d octets, "
                   "at most %d octets in all)", name, MS_DNS_MAX_LABEL, MS_DNS_MAX_NAME);
      return MS_DNS_STATUS_ERROR;
    }

  found = g_ptr_array_new ();
  status = query_internal (self, name, type, found);
  /* an answer of only CNAMEs that lead nowhere carries no data of the type */
  if (status != MS_DNS_STATUS_NOERROR)
    g_ptr_array_set_size (found, 0);
  /* NODATA shows as NOERROR with an empty answer, as on the wire */
  trace_query (self, name, type, status,
               status == MS_DNS_STATUS_NOERROR || status == MS_DNS_STATUS_NODATA ? found : NULL);
  if (status == MS_DNS_STATUS_NOERROR && answers != NULL)
    *answers = g_steal_pointer (&found);
  return status;
}
