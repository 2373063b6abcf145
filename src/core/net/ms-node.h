/* ms-node.h: a host or router of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A node has one address per subnet it sits in (an IPv4 and/or an IPv6 one). A node with
 * forwarding on is a router: it carries packets between its subnets and applies its
 * filter rules (ms-router-filter.h) to them.
 */
#pragma once

#include "ms-net-types.h"

G_BEGIN_DECLS

const char *ms_node_get_name        (MsNode      *self);
guint       ms_node_get_id          (MsNode      *self);
MsNetwork  *ms_node_get_network     (MsNode      *self);
/* The address must lie in one of the subnet's prefixes and not be taken. */
gboolean    ms_node_add_address     (MsNode      *self,
                                     const char  *subnet,
                                     const char  *address,
                                     GError     **error);
/* The node's address in @subnet (NULL: its first address) of @family (4, 6, 0: any). */
const char *ms_node_get_address     (MsNode      *self,
                                     const char  *subnet,
                                     guint        family);
gboolean    ms_node_has_address     (MsNode      *self,
                                     const char  *address);
void        ms_node_set_forwarding  (MsNode      *self,
                                     gboolean     forwarding);
gboolean    ms_node_get_forwarding  (MsNode      *self);
/* The ports something listens on, ascending: "25/tcp", "53/udp" (for pictures). */
GStrv       ms_node_dup_services    (MsNode      *self);

G_END_DECLS
