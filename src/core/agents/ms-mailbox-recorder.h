/* ms-mailbox-recorder.h: every change of a node's mailboxes as a "mailbox" trace event
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The MDA and the MRA share one MsMailStore per node. The recorder listens to its signals
 * and records, at the node, what a learner needs to see the mailboxes as they stand at
 * any step: {"type": "mailbox", "action": "added" | "flags" | "expunged" | "created" |
 * "deleted" | "renamed", "user", "folder", "uid", "flags" ("\\Seen \\Deleted"),
 * "subject", "from", "old_folder"}. Deliveries are recorded by the MDA's "delivered"
 * event instead (it carries uid, subject and from). A change made by a POP3 or IMAP
 * session names that session.
 */
#pragma once

#include "ms-engine.h"
#include "ms-mail-store.h"
#include "ms-mailbox.h"
#include "ms-node.h"

G_BEGIN_DECLS

/* Starts recording @store's changes at @node; a second call for the store does nothing. */
void  _ms_mailbox_recorder_attach          (MsNode       *node,
                                            MsMailStore  *store);
/* @engine's session (a POP3 or IMAP server on @store) may be making the next changes. */
void  _ms_mailbox_recorder_add_engine      (MsMailStore  *store,
                                            MsEngine     *engine);
/* While TRUE, added messages are not recorded: the MDA's "delivered" event says it. */
void  _ms_mailbox_recorder_set_delivering  (MsMailStore  *store,
                                            gboolean      delivering);
/* "\\Seen \\Deleted" and keywords, "" for none; \Recent is left out. */
char *_ms_mailbox_flags_to_string          (MsMessageFlags flags,
                                            const char * const *keywords);
/* The decoded Subject and From of a raw message (NULL when absent). */
void  _ms_mailbox_describe_message         (GBytes       *raw,
                                            char        **subject,
                                            char        **from);

G_END_DECLS
