/* ms-router-filter.h: the packet filter of a router
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An ordered rule list; the first rule that matches a forwarded packet decides; a packet
 * no rule matches is accepted. OP25B (Outbound Port 25 Blocking) is one rule:
 *
 *   { .name = "op25b", .protocol = MS_IP_PROTO_TCP, .source = "home-pool",
 *     .destination_port = 25, .except_destinations = (const char *[]) { "198.51.100.25", NULL },
 *     .action = MS_FILTER_DROP, .reason = "op25b" }
 */
#pragma once

#include "ms-net-types.h"

G_BEGIN_DECLS

typedef enum
{
  MS_FILTER_ACCEPT,
  MS_FILTER_DROP,
} MsFilterAction;

typedef struct
{
  const char         *name;                 /* to switch the rule on and off; may be NULL */
  guint8              protocol;             /* MS_IP_PROTO_TCP, _UDP or _ANY */
  const char         *source;               /* a subnet name or a CIDR; NULL: any */
  const char         *destination;          /* a subnet name or a CIDR; NULL: any */
  guint16             destination_port;     /* 0: any */
  const char * const *except_destinations;  /* CIDRs or addresses the rule does not apply to */
  MsFilterAction      action;
  const char         *reason;               /* why, for the trace: "op25b" */
} MsFilterRuleSpec;

gboolean ms_node_add_filter_rule         (MsNode                 *router,
                                          const MsFilterRuleSpec *spec,
                                          GError                **error);
/* FALSE when the node has no rule of that name. */
gboolean ms_node_set_filter_rule_enabled (MsNode                 *router,
                                          const char             *name,
                                          gboolean                enabled);
guint    ms_node_get_n_filter_rules      (MsNode                 *router);

/* Source NAT, "masquerade" (RFC 3022 NAPT): a TCP connection from @inside (a subnet name or
 * a CIDR) that leaves @router onto the subnet @outside gets the router's address there as
 * its source, and a port of the router's (from MS_NAT_PORT_FIRST up, one per connection);
 * the server sees and answers that address and port. The router must have an address on
 * @outside. UDP is not translated. */
#define MS_NAT_PORT_FIRST 40000
gboolean ms_node_add_nat                 (MsNode                 *router,
                                          const char             *inside,
                                          const char             *outside,
                                          GError                **error);
guint    ms_node_get_n_nat_mappings      (MsNode                 *router);

G_END_DECLS
