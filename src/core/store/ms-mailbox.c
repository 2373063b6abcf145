/* ms-mailbox.c: one mail folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sessions (POP3 maildrops, IMAP selections) keep their own view of sequence numbers and
 * follow the folder through its signals, as a real server's sessions follow the index.
 */
#define G_LOG_DOMAIN "ms-store"

#include "config.h"

#include "ms-mailbox.h"

struct _MsMailbox
{
  GObject    parent_instance;
  char      *name;
  guint32    uidvalidity;
  guint32    uidnext;
  GPtrArray *messages;  /* MsStoredMessage*, ascending uid */
};

enum {
  MESSAGE_ADDED,
  MESSAGE_EXPUNGED,
  FLAGS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsMailbox, ms_mailbox, G_TYPE_OBJECT)

MsStoredMessage *
ms_stored_message_ref (MsStoredMessage *message)
{
  return g_atomic_rc_box_acquire (message);
}

static void
stored_message_clear (gpointer data)
{
  MsStoredMessage *message = data;

  g_strfreev (message->keywords);
  g_clear_pointer (&message->raw, g_bytes_unref);
  g_free (message->file_name);
}

void
ms_stored_message_unref (MsStoredMessage *message)
{
  g_atomic_rc_box_release_full (message, stored_message_clear);
}

gsize
ms_stored_message_get_size (MsStoredMessage *message)
{
  return message->raw ? g_bytes_get_size (message->raw) : 0;
}

static void
ms_mailbox_finalize (GObject *object)
{
  MsMailbox *self = MS_MAILBOX (object);

  g_free (self->name);
  g_ptr_array_unref (self->messages);

  G_OBJECT_CLASS (ms_mailbox_parent_class)->finalize (object);
}

static void
ms_mailbox_class_init (MsMailboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ms_mailbox_finalize;

  signals[MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* Emitted after removal, with the uid that went. */
  signals[MESSAGE_EXPUNGED] =
    g_signal_new ("message-expunged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[FLAGS_CHANGED] =
    g_signal_new ("flags-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ms_mailbox_init (MsMailbox *self)
{
  self->uidnext = 1;
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_stored_message_unref);
}

MsMailbox *
ms_mailbox_new (const char *name,
                guint32     uidvalidity)
{
  MsMailbox *self = g_object_new (MS_TYPE_MAILBOX, NULL);

  self->name = g_strdup (name);
  self->uidvalidity = uidvalidity ? uidvalidity : 1;
  return self;
}

const char *
ms_mailbox_get_name (MsMailbox *self)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), NULL);
  return self->name;
}

void
ms_mailbox_set_name (MsMailbox  *self,
                     const char *name)
{
  g_return_if_fail (MS_IS_MAILBOX (self));
  g_free (self->name);
  self->name = g_strdup (name);
}

guint32
ms_mailbox_get_uidvalidity (MsMailbox *self)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), 0);
  return self->uidvalidity;
}

void
ms_mailbox_set_uidvalidity (MsMailbox *self,
                            guint32    uidvalidity)
{
  g_return_if_fail (MS_IS_MAILBOX (self));
  g_return_if_fail (uidvalidity > 0);
  self->uidvalidity = uidvalidity;
}

guint32
ms_mailbox_get_uidnext (MsMailbox *self)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), 0);
  return self->uidnext;
}

void
ms_mailbox_set_uidnext (MsMailbox *self,
                        guint32    uidnext)
{
  g_return_if_fail (MS_IS_MAILBOX (self));
  /* UIDs never go backwards (RFC 3501 §2.3.1.1). */
  if (uidnext > self->uidnext)
    self->uidnext = uidnext;
}

guint
ms_mailbox_get_n_messages (MsMailbox *self)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), 0);
  return self->messages->len;
}

MsStoredMessage *
ms_mailbox_get_message (MsMailbox *self,
                        guint      index)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), NULL);
  g_return_val_if_fail (index < self->messages->len, NULL);
  return g_ptr_array_index (self->messages, index);
}

/* Binary search: uids ascend with the index. */
int
ms_mailbox_find_uid (MsMailbox *self,
                     guint32    uid)
{
  guint lo = 0;
  guint hi;

  g_return_val_if_fail (MS_IS_MAILBOX (self), -1);

  hi = self->messages->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      MsStoredMessage *m = g_ptr_array_index (self->messages, mid);

      if (m->uid == uid)
        return (int) mid;
      if (m->uid < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

guint
ms_mailbox_count_flag (MsMailbox      *self,
                       MsMessageFlags  flag,
                       gboolean        set)
{
  guint n = 0;

  g_return_val_if_fail (MS_IS_MAILBOX (self), 0);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MsStoredMessage *m = g_ptr_array_index (self->messages, i);
      if (((m->flags & flag) != 0) == (set != FALSE))
        n++;
    }
  return n;
}

MsStoredMessage *
ms_mailbox_append_with_uid (MsMailbox          *self,
                            guint32             uid,
                            GBytes             *raw,
                            MsMessageFlags      flags,
                            const char * const *keywords,
                            gint64              internal_date)
{
  MsStoredMessage *message;
  guint index;

  g_return_val_if_fail (MS_IS_MAILBOX (self), NULL);
  g_return_val_if_fail (raw != NULL, NULL);
  g_return_val_if_fail (uid > 0, NULL);
  g_return_val_if_fail (ms_mailbox_find_uid (self, uid) < 0, NULL);

  message = g_atomic_rc_box_new0 (MsStoredMessage);
  message->uid = uid;
  message->flags = flags;
  message->keywords = keywords ? g_strdupv ((char **) keywords) : g_new0 (char *, 1);
  message->internal_date = internal_date ? internal_date : g_get_real_time () / G_USEC_PER_SEC;
  message->raw = g_bytes_ref (raw);

  /* Keep uids ascending even when loading out of order. */
  index = self->messages->len;
  while (index > 0 && ((MsStoredMessage *) g_ptr_array_index (self->messages, index - 1))->uid > uid)
    index--;
  g_ptr_array_insert (self->messages, index, message);
  if (uid >= self->uidnext)
    self->uidnext = uid + 1;
  g_signal_emit (self, signals[MESSAGE_ADDED], 0, message);
  return message;
}

MsStoredMessage *
ms_mailbox_append (MsMailbox          *self,
                   GBytes             *raw,
                   MsMessageFlags      flags,
                   const char * const *keywords,
                   gint64              internal_date)
{
  g_return_val_if_fail (MS_IS_MAILBOX (self), NULL);
  return ms_mailbox_append_with_uid (self, self->uidnext, raw, flags, keywords, internal_date);
}

void
ms_mailbox_set_flags (MsMailbox          *self,
                      MsStoredMessage    *message,
                      MsMessageFlags      flags,
                      const char * const *keywords)
{
  g_return_if_fail (MS_IS_MAILBOX (self));
  g_return_if_fail (message != NULL);

  message->flags = flags;
  if (keywords != NULL)
    {
      g_strfreev (message->keywords);
      message->keywords = g_strdupv ((char **) keywords);
    }
  g_signal_emit (self, signals[FLAGS_CHANGED], 0, message);
}

gboolean
ms_mailbox_expunge_uid (MsMailbox *self,
                        guint32    uid)
{
  int index;

  g_return_val_if_fail (MS_IS_MAILBOX (self), FALSE);

  index = ms_mailbox_find_uid (self, uid);
  if (index < 0)
    return FALSE;
  g_ptr_array_remove_index (self->messages, index);
  g_signal_emit (self, signals[MESSAGE_EXPUNGED], 0, uid);
  return TRUE;
}

GArray *
ms_mailbox_expunge_deleted (MsMailbox *self)
{
  GArray *uids = g_array_new (FALSE, FALSE, sizeof (guint32));

  g_return_val_if_fail (MS_IS_MAILBOX (self), uids);

  for (guint i = 0; i < self->messages->len; i++)
    {
      MsStoredMessage *m = g_ptr_array_index (self->messages, i);
      if (m->flags & MS_FLAG_DELETED)
        g_array_append_val (uids, m->uid);
    }
  for (guint i = 0; i < uids->len; i++)
    ms_mailbox_expunge_uid (self, g_array_index (uids, guint32, i));
  return uids;
}
