/* ms-maildir.h: mirrors an MsMailStore to a directory in Maildir++ layout
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * PATH/<user address>/Maildir/{cur,new,tmp}             INBOX
 * PATH/<user address>/Maildir/.<a.b>/{cur,new,tmp}      folder "a/b" (Maildir++)
 * <folder>/mailsim-uidlist      "3 V<uidvalidity> N<uidnext>", then "<uid> :<base name>"
 * <folder>/mailsim-keywords     "<index> <keyword>" (file letters a..z)
 * Maildir/subscriptions         one folder name per line
 * PATH/mailsim-uidvalidity      the last UIDVALIDITY handed out (they only grow)
 * Flags are the file name suffix ":2,DFRST" plus keyword letters; the internal date is
 * the file's mtime. See docs/message-model.md.
 */
#pragma once

#include "ms-mail-store.h"

G_BEGIN_DECLS

/* Loads what is on disk into the store (its users must already be added; folders and
 * messages are created from disk), then writes every change through. A corrupt uid list
 * is rebuilt safely (new UIDVALIDITY, every message kept, the old file kept beside it as
 * mailsim-uidlist.corrupt); an unreadable one fails with MS_MAIL_STORE_ERROR_IO. */
gboolean    ms_mail_store_attach_directory (MsMailStore  *self,
                                            const char   *path,
                                            GError      **error);
/* The attached directory, or NULL. */
const char *ms_mail_store_get_directory    (MsMailStore  *self);

G_END_DECLS
