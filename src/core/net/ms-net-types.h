/* ms-net-types.h: the types of the virtual network, declared once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MsNetwork        MsNetwork;
typedef struct _MsSubnet         MsSubnet;
typedef struct _MsNode           MsNode;
typedef struct _MsSimTcpEndpoint MsSimTcpEndpoint;
typedef struct _MsPacket         MsPacket;

/* IP protocol numbers (IANA) */
#define MS_IP_PROTO_ANY 0
#define MS_IP_PROTO_TCP 6
#define MS_IP_PROTO_UDP 17

G_END_DECLS
