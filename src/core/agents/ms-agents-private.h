/* ms-agents-private.h: what the agents share (not installed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-mta.h"
#include "ms-network.h"
#include "ms-trace.h"

G_BEGIN_DECLS

/* The network's trace, or NULL when nobody records. */
MsTrace    *_ms_agent_trace        (MsNode        *node);
/* The domain part of an address ("" when there is none); points into @address. */
const char *_ms_agent_domain       (const char    *address);
gboolean    _ms_agent_strv_has     (const char * const *list,
                                    const char    *item);
/* The virtual clock as a UTC date (for Date: headers). */
GDateTime  *_ms_agent_now_utc      (MsNode        *node);
/* A queue / message id unique in the network and the same on every run:
 * "<prefix><seed hex><counter hex>". */
char       *_ms_agent_next_id      (MsNode        *node,
                                    const char    *prefix,
                                    guint         *counter);
/* The address of an address list header value, each a newly allocated addr-spec. */
void        _ms_agent_add_addresses (GPtrArray    *out,
                                     const char   *raw_value);

/* ms_mta_enqueue, with or without a message snapshot of the MTA's node (the SMTP
 * server engine already records one of what it received). */
char       *_ms_mta_enqueue_full    (MsMta        *self,
                                     guint         session,
                                     const char   *sender,
                                     const char * const *recipients,
                                     GBytes       *message,
                                     gboolean      snapshot,
                                     const char   *reason);

/* A local domain's recipient the MTA's MDA has a mailbox for. */
gboolean    _ms_mta_knows_local_recipient (MsMta      *self,
                                           const char *recipient);

G_END_DECLS
