/* ms-mailbox.h: one mail folder: messages with UIDs, flags and internal dates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  MS_FLAG_SEEN     = 1 << 0,
  MS_FLAG_ANSWERED = 1 << 1,
  MS_FLAG_FLAGGED  = 1 << 2,
  MS_FLAG_DELETED  = 1 << 3,
  MS_FLAG_DRAFT    = 1 << 4,
  MS_FLAG_RECENT   = 1 << 5,  /* session-ish in IMAP; kept per message here for simplicity */
} MsMessageFlags;

typedef struct _MsStoredMessage MsStoredMessage;

/* Refcounted; raw bytes and uid never change, flags do (through the mailbox). */
struct _MsStoredMessage
{
  guint32         uid;
  MsMessageFlags  flags;
  GStrv           keywords;       /* IMAP keywords (non-system flags), NULL-terminated */
  gint64          internal_date;  /* seconds since the epoch, UTC */
  GBytes         *raw;            /* the message, CRLF line ends */
  char           *file_name;      /* Maildir base name when persisted, or NULL */
};

MsStoredMessage *ms_stored_message_ref    (MsStoredMessage *message);
void             ms_stored_message_unref  (MsStoredMessage *message);
gsize            ms_stored_message_get_size (MsStoredMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsStoredMessage, ms_stored_message_unref)

#define MS_TYPE_MAILBOX (ms_mailbox_get_type ())
G_DECLARE_FINAL_TYPE (MsMailbox, ms_mailbox, MS, MAILBOX, GObject)

MsMailbox       *ms_mailbox_new              (const char      *name,
                                              guint32          uidvalidity);
const char      *ms_mailbox_get_name         (MsMailbox       *self);
void             ms_mailbox_set_name         (MsMailbox       *self,
                                              const char      *name);
guint32          ms_mailbox_get_uidvalidity  (MsMailbox       *self);
guint32          ms_mailbox_get_uidnext      (MsMailbox       *self);
/* Restores a persisted UIDVALIDITY (Maildir loading), before any session sees the folder. */
void             ms_mailbox_set_uidvalidity  (MsMailbox       *self,
                                              guint32          uidvalidity);
void             ms_mailbox_set_uidnext      (MsMailbox       *self,
                                              guint32          uidnext);
guint            ms_mailbox_get_n_messages   (MsMailbox       *self);
MsStoredMessage *ms_mailbox_get_message      (MsMailbox       *self,
                                              guint            index);
int              ms_mailbox_find_uid         (MsMailbox       *self,
                                              guint32          uid);
guint            ms_mailbox_count_flag       (MsMailbox       *self,
                                              MsMessageFlags   flag,
                                              gboolean         set);
MsStoredMessage *ms_mailbox_append           (MsMailbox       *self,
                                              GBytes          *raw,
                                              MsMessageFlags   flags,
                                              const char * const *keywords,
                                              gint64           internal_date);
/* Appends keeping a known uid (loading from disk); uidnext moves past it. */
MsStoredMessage *ms_mailbox_append_with_uid  (MsMailbox       *self,
                                              guint32          uid,
                                              GBytes          *raw,
                                              MsMessageFlags   flags,
                                              const char * const *keywords,
                                              gint64           internal_date);
void             ms_mailbox_set_flags        (MsMailbox       *self,
                                              MsStoredMessage *message,
                                              MsMessageFlags   flags,
                                              const char * const *keywords);
gboolean         ms_mailbox_expunge_uid      (MsMailbox       *self,
                                              guint32          uid);
/* Removes every \Deleted message; returns their uids in ascending order. */
GArray          *ms_mailbox_expunge_deleted  (MsMailbox       *self);

G_END_DECLS
