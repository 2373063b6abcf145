/* ms-smtp-store-policy.h: the SMTP policy of `mailsim serve`, over an MsMailStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Local domains are the domains of the store's users; mail for them is delivered into
 * INBOX by the MDA step (Return-Path and Delivered-To added on top). Anything else is
 * relaying, allowed only for authenticated sessions or clients in a trusted network
 * (none by default, so the lab shows "554 5.7.1 Relay access denied"). Relayed mail
 * waits in an outbound queue (the lab has no Internet) and is announced by the
 * "relay-queued" signal.
 */
#pragma once

#include "ms-mail-store.h"
#include "ms-smtp-policy.h"

G_BEGIN_DECLS

/* A message waiting for relay. */
typedef struct
{
  char   *queue_id;
  char   *sender;      /* "" for the null reverse-path */
  GStrv   recipients;  /* the non-local recipients */
  GBytes *message;     /* as received, with our Received header */
} MsSmtpQueuedMessage;

#define MS_TYPE_SMTP_STORE_POLICY (ms_smtp_store_policy_get_type ())
G_DECLARE_FINAL_TYPE (MsSmtpStorePolicy, ms_smtp_store_policy, MS, SMTP_STORE_POLICY, GObject)

MsSmtpStorePolicy   *ms_smtp_store_policy_new                  (MsMailStore        *store,
                                                                const char         *hostname);
MsMailStore         *ms_smtp_store_policy_get_store            (MsSmtpStorePolicy  *self);
/* CIDRs ("192.0.2.0/24", "2001:db8::/32", or a single address) whose clients may relay
 * without AUTH (Postfix's mynetworks). NULL or empty: none. */
gboolean             ms_smtp_store_policy_set_trusted_networks (MsSmtpStorePolicy  *self,
                                                                const char * const *cidrs,
                                                                GError            **error);
gboolean             ms_smtp_store_policy_is_trusted_client    (MsSmtpStorePolicy  *self,
                                                                const char         *address);
guint                ms_smtp_store_policy_get_n_queued         (MsSmtpStorePolicy  *self);
const MsSmtpQueuedMessage *ms_smtp_store_policy_get_queued     (MsSmtpStorePolicy  *self,
                                                                guint               index);
/* Removes and returns the oldest queued message (free with ms_smtp_queued_message_free). */
MsSmtpQueuedMessage *ms_smtp_store_policy_pop_queued           (MsSmtpStorePolicy  *self);
void                 ms_smtp_queued_message_free               (MsSmtpQueuedMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSmtpQueuedMessage, ms_smtp_queued_message_free)

G_END_DECLS
