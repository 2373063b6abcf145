/* ms-agents-private.h: what the agents share (not installed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-dkim.h"
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

/* DKIM (ms-mta-dkim.c): sign for one of @domains (the From domain), verify (a "policy"
 * event), rewrite as a mailing list does; each returns a new reference / result. */
GBytes     *_ms_agent_dkim_sign     (MsNode       *node,
                                     guint         session,
                                     const char * const *domains,
                                     const char   *selector,
                                     const char   *key_pem,
                                     gint64        now,
                                     GBytes       *message);
MsDkimResultInfo *_ms_agent_dkim_verify (MsNode    *node,
                                         guint      session,
                                         MsDnsZone *zone,
                                         gint64     now,
                                         GBytes    *message);
GBytes     *_ms_agent_list_rewrite  (MsNode       *node,
                                     guint         session,
                                     const char   *tag,
                                     GBytes       *message);
/* The MTA's signing of a message its MSA took (RFC 6376 §2.1: the signer is the
 * submitting domain's server); the message itself when it does not sign. */
GBytes     *_ms_mta_dkim_sign       (MsMta        *self,
                                     guint         session,
                                     GBytes       *message);

/* A local domain's recipient the MTA's MDA has a mailbox for. */
gboolean    _ms_mta_knows_local_recipient (MsMta      *self,
                                           const char *recipient);

G_END_DECLS
