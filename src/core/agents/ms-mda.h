/* ms-mda.h: the mail delivery agent (local delivery into the store)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The last step of a message's journey (RFC 5321 §4.4): the MDA puts Return-Path (the
 * envelope sender) and Delivered-To (the mailbox, a loop guard as Postfix's local(8))
 * on top and stores the message into the user's INBOX. Every delivery is a "delivered"
 * trace event and a message snapshot of the node.
 */
#pragma once

#include <glib-object.h>

#include "ms-mail-store.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_MDA_ERROR (ms_mda_error_quark ())

typedef enum
{
  MS_MDA_ERROR_UNKNOWN_USER,  /* no such mailbox */
  MS_MDA_ERROR_LOOP,          /* Delivered-To already names the mailbox */
  MS_MDA_ERROR_FAILED,
} MsMdaError;

GQuark ms_mda_error_quark (void);

#define MS_TYPE_MDA (ms_mda_get_type ())
G_DECLARE_FINAL_TYPE (MsMda, ms_mda, MS, MDA, GObject)

MsMda       *ms_mda_new             (MsNode       *node,
                                     MsMailStore  *store);
MsNode      *ms_mda_get_node        (MsMda        *self);
MsMailStore *ms_mda_get_store       (MsMda        *self);
/* The canonical mailbox for @recipient, or NULL when there is none. */
const char  *ms_mda_lookup          (MsMda        *self,
                                     const char   *recipient);
/* Delivers one copy; @session is the trace session it arrived in (0: none). */
gboolean     ms_mda_deliver         (MsMda        *self,
                                     guint         session,
                                     const char   *reverse_path,
                                     const char   *recipient,
                                     GBytes       *message,
                                     GError      **error);
guint        ms_mda_get_n_delivered (MsMda        *self);

G_END_DECLS
