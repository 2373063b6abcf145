/* ms-mail-store.c: users and folders in memory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-store"

#include "config.h"

#include <string.h>

#include "ms-mail-store.h"

typedef struct
{
  char       *address;
  char       *password;
  GHashTable *mailboxes;      /* folded name -> MsMailbox* */
  GHashTable *subscriptions;  /* name -> NULL */
} StoreUser;

struct _MsMailStore
{
  GObject     parent_instance;
  GHashTable *users;          /* lower-case address -> StoreUser* */
  GHashTable *domains;        /* lower-case domain -> NULL */
  guint32     next_uidvalidity;
};

enum {
  USER_ADDED,
  MAILBOX_CREATED,
  MAILBOX_DELETED,
  MAILBOX_RENAMED,
  SUBSCRIPTION_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsMailStore, ms_mail_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-mail-store-error-quark, ms_mail_store_error)

static void
store_user_free (gpointer data)
{
  StoreUser *user = data;

  g_free (user->address);
  g_free (user->password);
  g_hash_table_unref (user->mailboxes);
  g_hash_table_unref (user->subscriptions);
  g_free (user);
}

static void
ms_mail_store_finalize (GObject *object)
{
  MsMailStore *self = MS_MAIL_STORE (object);

  g_hash_table_unref (self->users);
  g_hash_table_unref (self->domains);

  G_OBJECT_CLASS (ms_mail_store_parent_class)->finalize (object);
}

static void
ms_mail_store_class_init (MsMailStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ms_mail_store_finalize;

  /* (address) */
  signals[USER_ADDED] =
    g_signal_new ("user-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* (address, MsMailbox) */
  signals[MAILBOX_CREATED] =
    g_signal_new ("mailbox-created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, MS_TYPE_MAILBOX);
  /* (address, name) */
  signals[MAILBOX_DELETED] =
    g_signal_new ("mailbox-deleted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* (address, old name, MsMailbox with its new name) */
  signals[MAILBOX_RENAMED] =
    g_signal_new ("mailbox-renamed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                  MS_TYPE_MAILBOX);
  /* (address, name, subscribed) */
  signals[SUBSCRIPTION_CHANGED] =
    g_signal_new ("subscription-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_BOOLEAN);
}

static void
ms_mail_store_init (MsMailStore *self)
{
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, store_user_free);
  self->domains = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->next_uidvalidity = 1;
}

MsMailStore *
ms_mail_store_new (void)
{
  return g_object_new (MS_TYPE_MAIL_STORE, NULL);
}

/* INBOX is case-insensitive (RFC 3501 §5.1); other names are kept as given. */
static char *
fold_name (const char *name)
{
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    return g_strdup ("INBOX");
  return g_strdup (name);
}

static StoreUser *
find_user (MsMailStore *self,
           const char  *address)
{
  g_autofree char *key = NULL;

  if (address == NULL)
    return NULL;
  key = g_ascii_strdown (address, -1);
  return g_hash_table_lookup (self->users, key);
}

static MsMailbox *
add_mailbox (MsMailStore *self,
             StoreUser   *user,
             const char  *name)
{
  MsMailbox *mailbox = ms_mailbox_new (name, self->next_uidvalidity++);

  g_hash_table_insert (user->mailboxes, fold_name (name), mailbox);
  g_signal_emit (self, signals[MAILBOX_CREATED], 0, user->address, mailbox);
  return mailbox;
}

gboolean
ms_mail_store_add_user (MsMailStore  *self,
                        const char   *address,
                        const char   *password,
                        GError      **error)
{
  const char *at;
  StoreUser *user;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  at = strrchr (address, '@');
  if (at == NULL || at == address || at[1] == '\0' || strpbrk (address, " \t<>\r\n") != NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_INVALID_NAME,
                   "“%s” is not an address of the form user@domain", address);
      return FALSE;
    }
  if (find_user (self, address) != NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS,
                   "user %s is listed twice", address);
      return FALSE;
    }

  user = g_new0 (StoreUser, 1);
  user->address = g_strdup (address);
  user->password = g_strdup (password ? password : "");
  user->mailboxes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  user->subscriptions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert (self->users, g_ascii_strdown (address, -1), user);
  g_hash_table_add (self->domains, g_ascii_strdown (at + 1, -1));
  g_signal_emit (self, signals[USER_ADDED], 0, user->address);
  add_mailbox (self, user, "INBOX");
  g_hash_table_add (user->subscriptions, g_strdup ("INBOX"));
  return TRUE;
}

const char *
ms_mail_store_lookup_user (MsMailStore *self,
                           const char  *login)
{
  StoreUser *user;
  StoreUser *match = NULL;
  GHashTableIter iter;
  gsize login_len;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  if (login == NULL || *login == '\0')
    return NULL;
  if ((user = find_user (self, login)) != NULL)
    return user->address;
  if (strchr (login, '@') != NULL)
    return NULL;

  /* A bare local part names a user when it is unambiguous. */
  login_len = strlen (login);
  g_hash_table_iter_init (&iter, self->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &user))
    {
      if (g_ascii_strncasecmp (user->address, login, login_len) == 0
          && user->address[login_len] == '@')
        {
          if (match != NULL)
            return NULL;
          match = user;
        }
    }
  return match ? match->address : NULL;
}

const char *
ms_mail_store_get_password (MsMailStore *self,
                            const char  *address)
{
  StoreUser *user;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  user = find_user (self, ms_mail_store_lookup_user (self, address));
  return user ? user->password : NULL;
}

const char *
ms_mail_store_check_password (MsMailStore *self,
                              const char  *login,
                              const char  *password)
{
  const char *address;
  const char *expected;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  address = ms_mail_store_lookup_user (self, login);
  if (address == NULL || password == NULL)
    return NULL;
  expected = ms_mail_store_get_password (self, address);
  if (expected == NULL || strcmp (expected, password) != 0)
    return NULL;
  return address;
}

gboolean
ms_mail_store_is_local_domain (MsMailStore *self,
                               const char  *domain)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);

  if (domain == NULL)
    return FALSE;
  key = g_ascii_strdown (domain, -1);
  return g_hash_table_contains (self->domains, key);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static GStrv
sorted_keys (GHashTable *table,
             gboolean    use_user_address)
{
  GPtrArray *names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (names, g_strdup (use_user_address ? ((StoreUser *) value)->address : key));
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (names, FALSE);
}

GStrv
ms_mail_store_dup_users (MsMailStore *self)
{
  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);
  return sorted_keys (self->users, TRUE);
}

GStrv
ms_mail_store_dup_domains (MsMailStore *self)
{
  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);
  return sorted_keys (self->domains, FALSE);
}

MsMailbox *
ms_mail_store_get_mailbox (MsMailStore *self,
                           const char  *address,
                           const char  *name)
{
  StoreUser *user;
  g_autofree char *key = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  user = find_user (self, address);
  if (user == NULL || name == NULL)
    return NULL;
  key = fold_name (name);
  return g_hash_table_lookup (user->mailboxes, key);
}

static gboolean
valid_mailbox_name (const char  *name,
                    GError     **error)
{
  gsize len;

  if (name == NULL || *name == '\0')
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_INVALID_NAME,
                   "empty mailbox name");
      return FALSE;
    }
  len = strlen (name);
  /* No empty hierarchy levels, no path tricks once mirrored to disk. */
  if (name[0] == MS_MAILBOX_DELIMITER || name[len - 1] == MS_MAILBOX_DELIMITER
      || strstr (name, "//") != NULL || strstr (name, "..") != NULL
      || strpbrk (name, "*%\r\n\\") != NULL || g_str_has_prefix (name, ".")
      || !g_utf8_validate (name, len, NULL) || len > 255)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_INVALID_NAME,
                   "invalid mailbox name “%s”", name);
      return FALSE;
    }
  return TRUE;
}

MsMailbox *
ms_mail_store_create_mailbox (MsMailStore  *self,
                              const char   *address,
                              const char   *name,
                              GError      **error)
{
  StoreUser *user;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) path = NULL;
  MsMailbox *mailbox = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  user = find_user (self, address);
  if (user == NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_USER,
                   "no such user %s", address ? address : "(null)");
      return NULL;
    }
  if (!valid_mailbox_name (name, error))
    return NULL;
  if (ms_mail_store_get_mailbox (self, address, name) != NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS,
                   "mailbox “%s” already exists", name);
      return NULL;
    }

  /* Creating a/b/c creates a and a/b too (RFC 3501 §6.3.3). */
  parts = g_strsplit (name, (char[]) { MS_MAILBOX_DELIMITER, 0 }, -1);
  path = g_string_new (NULL);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (path, MS_MAILBOX_DELIMITER);
      g_string_append (path, parts[i]);
      mailbox = ms_mail_store_get_mailbox (self, address, path->str);
      if (mailbox == NULL)
        mailbox = add_mailbox (self, user, path->str);
    }
  return mailbox;
}

gboolean
ms_mail_store_delete_mailbox (MsMailStore  *self,
                              const char   *address,
                              const char   *name,
                              GError      **error)
{
  StoreUser *user;
  g_autofree char *key = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);

  user = find_user (self, address);
  if (user == NULL || name == NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_USER,
                   "no such user");
      return FALSE;
    }
  key = fold_name (name);
  if (strcmp (key, "INBOX") == 0)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_INVALID_NAME,
                   "INBOX cannot be deleted");
      return FALSE;
    }
  if (!g_hash_table_contains (user->mailboxes, key))
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
                   "no mailbox “%s”", name);
      return FALSE;
    }
  g_hash_table_remove (user->mailboxes, key);
  g_hash_table_remove (user->subscriptions, key);
  g_signal_emit (self, signals[MAILBOX_DELETED], 0, user->address, key);
  return TRUE;
}

gboolean
ms_mail_store_rename_mailbox (MsMailStore  *self,
                              const char   *address,
                              const char   *old_name,
                              const char   *new_name,
                              GError      **error)
{
  StoreUser *user;
  g_autofree char *old_key = NULL;
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) moving = NULL;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);

  user = find_user (self, address);
  if (user == NULL || old_name == NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_USER,
                   "no such user");
      return FALSE;
    }
  if (!valid_mailbox_name (new_name, error))
    return FALSE;
  old_key = fold_name (old_name);
  if (!g_hash_table_contains (user->mailboxes, old_key))
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_MAILBOX,
                   "no mailbox “%s”", old_name);
      return FALSE;
    }
  if (ms_mail_store_get_mailbox (self, address, new_name) != NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS,
                   "mailbox “%s” already exists", new_name);
      return FALSE;
    }

  if (strcmp (old_key, "INBOX") == 0)
    {
      /* RFC 3501 §6.3.5: renaming INBOX moves its messages and leaves INBOX empty. */
      MsMailbox *inbox = g_hash_table_lookup (user->mailboxes, "INBOX");
      MsMailbox *target = ms_mail_store_create_mailbox (self, address, new_name, error);

      if (target == NULL)
        return FALSE;
      while (ms_mailbox_get_n_messages (inbox) > 0)
        {
          MsStoredMessage *m = ms_stored_message_ref (ms_mailbox_get_message (inbox, 0));

          ms_mailbox_append (target, m->raw, m->flags, (const char * const *) m->keywords,
                             m->internal_date);
          ms_mailbox_expunge_uid (inbox, m->uid);
          ms_stored_message_unref (m);
        }
      return TRUE;
    }

  /* The folder and everything below it move together. */
  prefix = g_strdup_printf ("%s%c", old_key, MS_MAILBOX_DELIMITER);
  moving = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, user->mailboxes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (strcmp (key, old_key) == 0 || g_str_has_prefix (key, prefix))
      g_ptr_array_add (moving, g_strdup (key));

  for (guint i = 0; i < moving->len; i++)
    {
      const char *from = g_ptr_array_index (moving, i);
      g_autofree char *to = g_strconcat (new_name, from + strlen (old_key), NULL);
      MsMailbox *mailbox = NULL;
      gpointer stolen_key = NULL;

      g_hash_table_steal_extended (user->mailboxes, from, &stolen_key, (gpointer *) &mailbox);
      g_free (stolen_key);
      ms_mailbox_set_name (mailbox, to);
      g_hash_table_insert (user->mailboxes, fold_name (to), mailbox);
      if (g_hash_table_remove (user->subscriptions, from))
        g_hash_table_add (user->subscriptions, g_strdup (to));
      g_signal_emit (self, signals[MAILBOX_RENAMED], 0, user->address, from, mailbox);
    }
  return TRUE;
}

static int
compare_mailboxes (gconstpointer a,
                   gconstpointer b)
{
  const char *na = ms_mailbox_get_name (*(MsMailbox * const *) a);
  const char *nb = ms_mailbox_get_name (*(MsMailbox * const *) b);
  gboolean ia = strcmp (na, "INBOX") == 0;
  gboolean ib = strcmp (nb, "INBOX") == 0;

  if (ia != ib)
    return ia ? -1 : 1;
  return strcmp (na, nb);
}

GPtrArray *
ms_mail_store_list_mailboxes (MsMailStore *self,
                              const char  *address)
{
  GPtrArray *list = g_ptr_array_new_with_free_func (g_object_unref);
  StoreUser *user;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), list);

  user = find_user (self, address);
  if (user == NULL)
    return list;
  g_hash_table_iter_init (&iter, user->mailboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (list, g_object_ref (value));
  g_ptr_array_sort (list, compare_mailboxes);
  return list;
}

void
ms_mail_store_set_subscribed (MsMailStore *self,
                              const char  *address,
                              const char  *name,
                              gboolean     subscribed)
{
  StoreUser *user;

  g_return_if_fail (MS_IS_MAIL_STORE (self));

  user = find_user (self, address);
  if (user == NULL || name == NULL)
    return;
  if (subscribed)
    g_hash_table_add (user->subscriptions, fold_name (name));
  else
    {
      g_autofree char *key = fold_name (name);
      g_hash_table_remove (user->subscriptions, key);
    }
  {
    g_autofree char *key = fold_name (name);
    g_signal_emit (self, signals[SUBSCRIPTION_CHANGED], 0, user->address, key, subscribed);
  }
}

gboolean
ms_mail_store_is_subscribed (MsMailStore *self,
                             const char  *address,
                             const char  *name)
{
  StoreUser *user;
  g_autofree char *key = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);

  user = find_user (self, address);
  if (user == NULL || name == NULL)
    return FALSE;
  key = fold_name (name);
  return g_hash_table_contains (user->subscriptions, key);
}

GStrv
ms_mail_store_dup_subscriptions (MsMailStore *self,
                                 const char  *address)
{
  StoreUser *user;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  user = find_user (self, address);
  if (user == NULL)
    return g_new0 (char *, 1);
  return sorted_keys (user->subscriptions, FALSE);
}

MsStoredMessage *
ms_mail_store_deliver (MsMailStore  *self,
                       const char   *address,
                       GBytes       *raw,
                       GError      **error)
{
  MsMailbox *inbox;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);
  g_return_val_if_fail (raw != NULL, NULL);

  inbox = ms_mail_store_get_mailbox (self, ms_mail_store_lookup_user (self, address), "INBOX");
  if (inbox == NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_USER,
                   "no mailbox for %s", address ? address : "(null)");
      return NULL;
    }
  return ms_mailbox_append (inbox, raw, MS_FLAG_RECENT, NULL, 0);
}
