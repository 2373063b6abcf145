/* ms-sim-udp.h: simulated UDP over the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-net-types.h"

G_BEGIN_DECLS

typedef void (*MsSimUdpReceiveFunc) (MsNode     *node,
                                     const char *src_address,
                                     guint16     src_port,
                                     const char *dst_address,
                                     guint16     dst_port,
                                     GBytes     *payload,
                                     gpointer    user_data);

gboolean ms_node_udp_bind     (MsNode              *node,
                               guint16              port,
                               MsSimUdpReceiveFunc  receive,
                               gpointer             user_data,
                               GDestroyNotify       destroy);
gboolean ms_node_udp_unbind   (MsNode              *node,
                               guint16              port);
/* An unused port from the node's ephemeral range (49152..65535), taken in order. */
guint16  ms_node_next_port    (MsNode              *node);
/* FALSE with G_IO_ERROR_HOST_UNREACHABLE when there is no route; a datagram that a
 * filter drops or that nobody listens for just disappears (TRUE). */
gboolean ms_node_udp_send     (MsNode              *node,
                               guint16              src_port,
                               const char          *dst_address,
                               guint16              dst_port,
                               GBytes              *payload,
                               GError             **error);

G_END_DECLS
