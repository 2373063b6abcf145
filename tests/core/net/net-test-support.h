/* net-test-support.h: a small Internet for the virtual-network tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   pc (home-pool) ─ isp-router ─ (isp: isp-mail, isp-dns) ─ border ─ (internet)
 *     ─ corp-gw ─ (dmz: corp-mx) ─ corp-fw ─ (lan: mail-internal)
 *
 * isp-router drops TCP/25 from home-pool unless it goes to isp-mail (rule "op25b").
 */
#pragma once

#include "ms-network.h"

#define HOME_LATENCY     2000u
#define ISP_LATENCY      1000u
#define INTERNET_LATENCY 5000u
#define DMZ_LATENCY      500u
#define LAN_LATENCY      300u

#define PC_ADDR          "203.0.113.10"
#define PC_ADDR6         "2001:db8:1::10"
#define ISP_MAIL_ADDR    "198.51.100.25"
#define ISP_MAIL_ADDR6   "2001:db8:2::25"
#define ISP_DNS_ADDR     "198.51.100.53"
#define CORP_MX_ADDR     "172.16.1.25"
#define INTERNAL_ADDR    "10.0.0.25"

MsNetwork *net_world_new        (guint32     seed);
/* The text of every packet in the log, one per line (for comparisons and messages). */
char      *net_packets_dump     (MsNetwork  *network);
/* Counts trace events of a type (and node, when not NULL). */
guint      net_count_events     (MsTrace    *trace,
                                 const char *type,
                                 const char *node);
