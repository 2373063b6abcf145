/* ms-dns-zone.h: a small authoritative DNS zone, answered in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The zone holds the records of a scenario (or of a zone file given to `mailsim spf`):
 * A, AAAA, MX, TXT, PTR, CNAME, SPF (type 99) and the pseudo-type TIMEOUT, which makes
 * queries for a name time out. Queries distinguish NOERROR with answers, NODATA, NXDOMAIN,
 * TIMEOUT and SERVFAIL (a CNAME loop), and may be recorded into an MsTrace as "dns" events.
 */
#pragma once

#include <gio/gio.h>

#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_DNS_ZONE_ERROR (ms_dns_zone_error_quark ())

typedef enum
{
  MS_DNS_ZONE_ERROR_FAILED,
  MS_DNS_ZONE_ERROR_SYNTAX,        /* zone text: file:line:column and what was expected */
  MS_DNS_ZONE_ERROR_INVALID_NAME,  /* a name that cannot be queried (empty or long label) */
} MsDnsZoneError;

/* RR type numbers (RFC 1035, RFC 3596, RFC 4408) */
typedef enum
{
  MS_DNS_TYPE_A     = 1,
  MS_DNS_TYPE_CNAME = 5,
  MS_DNS_TYPE_PTR   = 12,
  MS_DNS_TYPE_MX    = 15,
  MS_DNS_TYPE_TXT   = 16,
  MS_DNS_TYPE_AAAA  = 28,
  MS_DNS_TYPE_SPF   = 99,
} MsDnsType;

typedef enum
{
  MS_DNS_STATUS_NOERROR,   /* RCODE 0 with at least one answer */
  MS_DNS_STATUS_NODATA,    /* RCODE 0, the name exists but has no record of that type */
  MS_DNS_STATUS_NXDOMAIN,  /* RCODE 3 */
  MS_DNS_STATUS_SERVFAIL,  /* RCODE 2: here, a CNAME chain that loops or is too long */
  MS_DNS_STATUS_TIMEOUT,   /* no answer at all */
  MS_DNS_STATUS_ERROR,     /* the query name is not a valid domain name; error is set */
} MsDnsStatus;

/* Longest CNAME chain followed before answering SERVFAIL */
#define MS_DNS_MAX_CNAME_CHAIN 8
/* RFC 1035 §2.3.4 */
#define MS_DNS_MAX_LABEL       63
#define MS_DNS_MAX_NAME        253
#define MS_DNS_MAX_STRING      255

typedef struct _MsDnsRecord MsDnsRecord;

struct _MsDnsRecord
{
  char         *name;        /* owner name, lower case, without the trailing dot */
  MsDnsType     type;
  GInetAddress *address;     /* A, AAAA */
  guint16       preference;  /* MX */
  char         *target;      /* MX exchange, PTR, CNAME: lower case, no trailing dot ("" = root) */
  GPtrArray    *strings;     /* TXT, SPF: GBytes character-strings, may contain any octet */
};

#define MS_TYPE_DNS_ZONE (ms_dns_zone_get_type ())
G_DECLARE_FINAL_TYPE (MsDnsZone, ms_dns_zone, MS, DNS_ZONE, GObject)

GQuark       ms_dns_zone_error_quark      (void);

MsDnsZone   *ms_dns_zone_new              (void);
MsDnsZone   *ms_dns_zone_new_from_file    (const char    *path,
                                           GError       **error);
gboolean     ms_dns_zone_load_data        (MsDnsZone     *self,
                                           const char    *data,
                                           gssize         len,
                                           const char    *filename,
                                           GError       **error);

/* Building programmatically (scenarios); names are case-insensitive, trailing dot optional */
gboolean     ms_dns_zone_add_address      (MsDnsZone     *self,
                                           const char    *name,
                                           const char    *address,
                                           GError       **error);
void         ms_dns_zone_add_inet_address (MsDnsZone     *self,
                                           const char    *name,
                                           GInetAddress  *address);
void         ms_dns_zone_add_mx           (MsDnsZone     *self,
                                           const char    *name,
                                           guint16        preference,
                                           const char    *exchange);
void         ms_dns_zone_add_txt          (MsDnsZone     *self,
                                           const char    *name,
                                           const char * const *strings);
void         ms_dns_zone_add_txt_bytes    (MsDnsZone     *self,
                                           const char    *name,
                                           MsDnsType      type,
                                           GPtrArray     *strings);
void         ms_dns_zone_add_spf          (MsDnsZone     *self,
                                           const char    *name,
                                           const char * const *strings);
void         ms_dns_zone_add_ptr          (MsDnsZone     *self,
                                           const char    *name,
                                           const char    *target);
void         ms_dns_zone_add_cname        (MsDnsZone     *self,
                                           const char    *name,
                                           const char    *target);
void         ms_dns_zone_add_timeout      (MsDnsZone     *self,
                                           const char    *name);

guint        ms_dns_zone_get_n_records    (MsDnsZone     *self);

/* Each answered query becomes a "dns" event of @trace, attributed to @node. */
void         ms_dns_zone_set_trace        (MsDnsZone     *self,
                                           MsTrace       *trace,
                                           const char    *node);

/* @answers (out, optional): a new array of records owned by the zone, for NOERROR;
 * CNAME records met on the way come first. NULL otherwise. */
MsDnsStatus  ms_dns_zone_query            (MsDnsZone     *self,
                                           const char    *name,
                                           MsDnsType      type,
                                           GPtrArray    **answers,
                                           GError       **error);

/* The reverse-lookup name of an address: 4.3.2.1.in-addr.arpa, or the ip6.arpa nibbles */
char        *ms_dns_reverse_name          (GInetAddress  *address);
/* "example.com" from "Example.COM.": lower case, no trailing dot */
char        *ms_dns_normalize_name        (const char    *name);
/* TRUE when every label is 1..63 octets and the whole at most 253 */
gboolean     ms_dns_name_is_valid         (const char    *name);

const char  *ms_dns_type_to_string        (MsDnsType      type);
gboolean     ms_dns_type_from_string      (const char    *name,
                                           MsDnsType     *type);
const char  *ms_dns_status_to_string      (MsDnsStatus    status);
/* presentation form of the record data: "10 mx.example.com", "\"v=spf1\" \"-all\"" */
char        *ms_dns_record_format_data    (const MsDnsRecord *record);
/* TXT/SPF strings joined as RFC 7208 §3.3 says (no separator); *len excludes the NUL */
char        *ms_dns_record_join_strings   (const MsDnsRecord *record,
                                           gsize             *len);

G_END_DECLS
