/* ms-sim-dns.h: DNS over simulated UDP (RFC 1035 wire format)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A DNS node answers from an MsDnsZone on UDP port 53; any node resolves through a server
 * address. Queries and answers are real DNS messages (header, question, answer RRs for A,
 * AAAA, MX, TXT, SPF, PTR, CNAME), appear in the packet log, and as "dns" trace events.
 */
#pragma once

#include "ms-dns-zone.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_DNS_PORT                53
#define MS_DNS_DEFAULT_TIMEOUT     (5u * G_USEC_PER_SEC)
/* RFC 1035 §2.3.4: UDP messages are at most 512 octets (longer ones set TC) */
#define MS_DNS_MAX_UDP_MESSAGE     512
#define MS_DNS_TTL                 3600

/* @records: MsDnsRecord* decoded from the answer section (CNAMEs first) for NOERROR,
 * else NULL; borrowed for the call. */
typedef void (*MsDnsResolveFunc) (MsNode      *node,
                                  const char  *name,
                                  MsDnsType    qtype,
                                  MsDnsStatus  status,
                                  GPtrArray   *records,
                                  gpointer     user_data);

gboolean ms_node_serve_dns      (MsNode            *node,
                                 MsDnsZone         *zone,
                                 GError           **error);
/* Sends one query; the callback runs exactly once (TIMEOUT after the network's DNS
 * timeout, ERROR when the server address has no route). */
void     ms_node_resolve        (MsNode            *node,
                                 const char        *server_address,
                                 const char        *name,
                                 MsDnsType          qtype,
                                 MsDnsResolveFunc   callback,
                                 gpointer           user_data);

/* The wire format, exposed for tests and the pcap analyzer. */
GBytes  *ms_dns_message_build_query    (guint16            id,
                                        const char        *name,
                                        MsDnsType          qtype,
                                        GError           **error);
/* Answers a query message from @zone; NULL when the query is not answerable (not a
 * query, malformed) or the zone says TIMEOUT. */
GBytes  *ms_dns_message_answer         (MsDnsZone         *zone,
                                        GBytes            *query);
/* Decodes a response: rcode, and the answer records (owned by the caller). */
gboolean ms_dns_message_parse_response (GBytes            *message,
                                        guint16           *id,
                                        MsDnsStatus       *status,
                                        GPtrArray        **records,
                                        GError           **error);
void     ms_dns_record_free            (MsDnsRecord       *record);

G_END_DECLS
