/* ms-net-private.h: what the files of the virtual network share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-network.h"

G_BEGIN_DECLS

typedef struct
{
  guint8 family;      /* 4 or 6 */
  guint8 bytes[16];   /* network order */
} MsNetAddr;

typedef struct
{
  MsNetAddr addr;
  guint     prefix_len;
} MsNetCidr;

struct _MsSubnet
{
  MsNetwork *network;
  guint      id;
  char      *name;
  GArray    *prefixes;    /* of MsNetCidr */
  guint64    latency_us;
  GPtrArray *nodes;       /* of MsNode*, borrowed: the nodes with an address here */
};

typedef struct
{
  MsSubnet  *subnet;
  MsNetAddr  addr;
  char      *text;
} MsNodeAddress;

typedef struct
{
  char           *name;
  guint8          protocol;
  gboolean        enabled;
  char           *source_subnet;   /* resolved at match time */
  GArray         *source_cidrs;    /* of MsNetCidr, or NULL */
  char           *dest_subnet;
  GArray         *dest_cidrs;
  guint16         dest_port;
  GArray         *except;          /* of MsNetCidr */
  MsFilterAction  action;
  char           *reason;
} MsFilterRule;

/* Source NAT (masquerade) on a router: connections from @inside that leave through the
 * router's address on @outside get that address and a port of the router's own. */
typedef struct
{
  char      *inside_subnet;
  GArray    *inside_cidrs;    /* of MsNetCidr, or NULL */
  MsSubnet  *outside;
  MsNetAddr  outside_addr[2]; /* the router's IPv4 and IPv6 address there (family 0: none) */
} MsNatRule;

typedef struct
{
  MsNetAddr addr;             /* the public side */
  guint16   port;
} MsNatMapping;

typedef struct
{
  MsSimTcpAcceptFunc accept;
  gpointer           user_data;
  GDestroyNotify     destroy;
} MsTcpListener;

typedef struct
{
  MsSimUdpReceiveFunc receive;
  gpointer            user_data;
  GDestroyNotify      destroy;
} MsUdpBinding;

struct _MsNode
{
  MsNetwork  *network;
  guint       id;
  char       *name;
  GArray     *addresses;      /* of MsNodeAddress */
  gboolean    forwarding;
  GPtrArray  *filter_rules;   /* of MsFilterRule* */
  GHashTable *tcp_listeners;  /* port -> MsTcpListener* */
  GHashTable *udp_bindings;   /* port -> MsUdpBinding* */
  guint16     next_port;
  MsDnsZone  *dns_zone;
  GPtrArray  *nat_rules;      /* of MsNatRule* */
  GHashTable *nat_map;        /* "proto private-address port" -> MsNatMapping* */
  guint16     next_nat_port;
};

/* The path from a node to a subnet: routers crossed and the subnets in between. */
typedef struct
{
  MsSubnet  *first;          /* the subnet the sender sends on */
  GPtrArray *routers;        /* of MsNode*, borrowed, in order */
  GPtrArray *subnets;        /* of MsSubnet*: first, then the one after each router */
  guint64    latency_us;
  MsNetAddr  src_addr;       /* the sender's address on @first, same family */
} MsRoute;

typedef void (*MsDeliverFunc) (MsNetwork *network,
                               MsPacket  *packet,
                               MsNode    *destination,
                               gpointer   user_data);

/* addresses */
gboolean       _ms_net_addr_parse      (const char       *text,
                                        MsNetAddr        *addr);
void           _ms_net_addr_format     (const MsNetAddr  *addr,
                                        char             *buf,
                                        gsize             size);
char          *_ms_net_addr_to_string  (const MsNetAddr  *addr);
gboolean       _ms_net_addr_equal      (const MsNetAddr  *a,
                                        const MsNetAddr  *b);
gboolean       _ms_net_cidr_parse      (const char       *text,
                                        MsNetCidr        *cidr,
                                        GError          **error);
gboolean       _ms_net_cidr_contains   (const MsNetCidr  *cidr,
                                        const MsNetAddr  *addr);
gboolean       _ms_subnet_contains_addr (MsSubnet        *subnet,
                                        const MsNetAddr  *addr);

/* ms-subnet.c, ms-node.c */
MsSubnet      *_ms_subnet_new          (MsNetwork        *network,
                                        guint             id,
                                        const char       *name,
                                        guint64           latency_us);
void           _ms_subnet_free         (MsSubnet         *subnet);
MsNode        *_ms_node_new            (MsNetwork        *network,
                                        guint             id,
                                        const char       *name);
void           _ms_node_free           (MsNode           *node);
const MsNodeAddress *_ms_node_find_address (MsNode       *node,
                                        MsSubnet         *subnet,
                                        guint             family);
MsNode        *_ms_subnet_find_node    (MsSubnet         *subnet,
                                        const MsNetAddr  *addr);
void           _ms_filter_rule_free    (MsFilterRule     *rule);
/* NULL: accept; else the rule that drops it */
MsFilterRule  *_ms_router_check        (MsNode           *router,
                                        const MsPacket   *packet,
                                        const MsNetAddr  *src,
                                        const MsNetAddr  *dst);

void           _ms_nat_rule_free       (MsNatRule        *rule);
/* A connection from @src:@sport leaving @router onto @next: TRUE and the public side when
 * a NAT rule applies (a new mapping is made the first time). */
gboolean       _ms_router_nat_map      (MsNode           *router,
                                        guint8            protocol,
                                        const MsNetAddr  *src,
                                        guint16           sport,
                                        MsSubnet         *next,
                                        MsNetAddr        *public_addr,
                                        guint16          *public_port);
/* An existing mapping only */
gboolean       _ms_router_nat_lookup   (MsNode           *router,
                                        guint8            protocol,
                                        const MsNetAddr  *src,
                                        guint16           sport,
                                        MsNetAddr        *public_addr,
                                        guint16          *public_port);

/* ms-network.c */
MsSubnet      *_ms_network_subnet_for  (MsNetwork        *network,
                                        const MsNetAddr  *addr);
const MsRoute *_ms_network_route       (MsNetwork        *network,
                                        MsNode           *from,
                                        const MsNetAddr  *dst,
                                        MsNode          **destination,
                                        GError          **error);
/* Fills packet->src/dst nodes, checks the filters, logs, schedules delivery.
 * Takes the payload reference in @packet. FALSE when dropped. */
gboolean       _ms_network_transmit    (MsNetwork        *network,
                                        MsPacket         *packet,
                                        MsNode           *sender,
                                        const MsRoute    *route,
                                        MsNode           *destination,
                                        MsDeliverFunc     deliver,
                                        gpointer          user_data,
                                        GDestroyNotify    destroy);
void           _ms_network_topology_changed (MsNetwork *network);
GRand         *_ms_network_get_rand    (MsNetwork        *network);
guint64        _ms_network_get_connect_timeout (MsNetwork *network);
guint64        _ms_network_get_dns_timeout     (MsNetwork *network);
guint64        _ms_network_get_tls_delay       (MsNetwork *network);
/* Live connections: @abandon releases one that is still open when the network goes. */
void           _ms_network_connection_opened   (MsNetwork *network,
                                                gpointer   connection,
                                                GDestroyNotify abandon);
void           _ms_network_connection_closed   (MsNetwork *network,
                                                gpointer   connection);
void           _ms_packet_clear        (MsPacket         *packet);


G_END_DECLS
