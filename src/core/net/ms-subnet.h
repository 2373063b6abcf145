/* ms-subnet.h: a named network (a link) of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A subnet is one broadcast domain: "home-pool" 203.0.113.0/24, "isp", "dmz", "lan",
 * "internet". It has one or more prefixes (IPv4 and IPv6) and a one-way latency that every
 * packet crossing it pays.
 */
#pragma once

#include "ms-net-types.h"

G_BEGIN_DECLS

const char *ms_subnet_get_name     (MsSubnet    *self);
guint       ms_subnet_get_id       (MsSubnet    *self);
guint64     ms_subnet_get_latency  (MsSubnet    *self);
void        ms_subnet_set_latency  (MsSubnet    *self,
                                    guint64      latency_us);
/* Another prefix ("2001:db8:1::/64") on the same link. */
gboolean    ms_subnet_add_cidr     (MsSubnet    *self,
                                    const char  *cidr,
                                    GError     **error);
gboolean    ms_subnet_contains     (MsSubnet    *self,
                                    const char  *address);

G_END_DECLS
