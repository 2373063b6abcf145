/* ms-mail-store.h: users and their folders, shared by SMTP delivery, POP3 and IMAP
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * In memory, optionally mirrored to a directory in Maildir layout so that
 * `mailsim serve` keeps mail across restarts. Passwords are kept in clear: CRAM-MD5
 * and APOP need the shared secret, and this is a teaching lab (docs/live-lab.md).
 */
#pragma once

#include <glib-object.h>

#include "ms-mailbox.h"

G_BEGIN_DECLS

#define MS_MAIL_STORE_ERROR (ms_mail_store_error_quark ())

typedef enum
{
  MS_MAIL_STORE_ERROR_FAILED,
  MS_MAIL_STORE_ERROR_NO_SUCH_USER,
  MS_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
  MS_MAIL_STORE_ERROR_EXISTS,
  MS_MAIL_STORE_ERROR_INVALID_NAME,
  MS_MAIL_STORE_ERROR_IO,
} MsMailStoreError;

GQuark ms_mail_store_error_quark (void);

/* The hierarchy separator of folder names, as LIST reports it. */
#define MS_MAILBOX_DELIMITER '/'

#define MS_TYPE_MAIL_STORE (ms_mail_store_get_type ())
G_DECLARE_FINAL_TYPE (MsMailStore, ms_mail_store, MS, MAIL_STORE, GObject)

MsMailStore *ms_mail_store_new                 (void);

/* Users: addresses are matched case-insensitively. */
gboolean     ms_mail_store_add_user            (MsMailStore  *self,
                                                const char   *address,
                                                const char   *password,
                                                GError      **error);
/* "alice@example.com", or "alice" when only one user has that local part. */
const char  *ms_mail_store_lookup_user         (MsMailStore  *self,
                                                const char   *login);
const char  *ms_mail_store_get_password        (MsMailStore  *self,
                                                const char   *address);
/* Returns the canonical address when login and password match, else NULL. */
const char  *ms_mail_store_check_password      (MsMailStore  *self,
                                                const char   *login,
                                                const char   *password);
gboolean     ms_mail_store_is_local_domain     (MsMailStore  *self,
                                                const char   *domain);
GStrv        ms_mail_store_dup_users           (MsMailStore  *self);
GStrv        ms_mail_store_dup_domains         (MsMailStore  *self);

/* Folders: "INBOX" is case-insensitive and always exists. */
MsMailbox   *ms_mail_store_get_mailbox         (MsMailStore  *self,
                                                const char   *address,
                                                const char   *name);
MsMailbox   *ms_mail_store_create_mailbox      (MsMailStore  *self,
                                                const char   *address,
                                                const char   *name,
                                                GError      **error);
gboolean     ms_mail_store_delete_mailbox      (MsMailStore  *self,
                                                const char   *address,
                                                const char   *name,
                                                GError      **error);
gboolean     ms_mail_store_rename_mailbox      (MsMailStore  *self,
                                                const char   *address,
                                                const char   *old_name,
                                                const char   *new_name,
                                                GError      **error);
/* The user's folders sorted by name, INBOX first. */
GPtrArray   *ms_mail_store_list_mailboxes      (MsMailStore  *self,
                                                const char   *address);
void         ms_mail_store_set_subscribed      (MsMailStore  *self,
                                                const char   *address,
                                                const char   *name,
                                                gboolean      subscribed);
gboolean     ms_mail_store_is_subscribed       (MsMailStore  *self,
                                                const char   *address,
                                                const char   *name);
/* The user's subscribed names, sorted; they need not exist (RFC 3501 §6.3.6). */
GStrv        ms_mail_store_dup_subscriptions   (MsMailStore  *self,
                                                const char   *address);

/* Local delivery into a user's INBOX (the MDA's last step). */
MsStoredMessage *ms_mail_store_deliver         (MsMailStore  *self,
                                                const char   *address,
                                                GBytes       *raw,
                                                GError      **error);

G_END_DECLS
