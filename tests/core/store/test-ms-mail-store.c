/* test-ms-mail-store.c: users, folders, uids and flags
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>

#include "ms-mail-store.h"

static MsMailStore *
new_store (void)
{
  MsMailStore *store = ms_mail_store_new ();

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "wonderland", NULL));
  cr_assert (ms_mail_store_add_user (store, "bob@example.com", "builder", NULL));
  cr_assert (ms_mail_store_add_user (store, "alice@other.example", "x", NULL));
  return store;
}

Test (mail_store, logins_resolve_by_address_or_unambiguous_local_part)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GError) error = NULL;

  cr_expect_str_eq (ms_mail_store_lookup_user (store, "ALICE@example.com"), "alice@example.com");
  cr_expect_str_eq (ms_mail_store_lookup_user (store, "bob"), "bob@example.com");
  cr_expect_null (ms_mail_store_lookup_user (store, "alice"), "two users have that local part");
  cr_expect_str_eq (ms_mail_store_check_password (store, "bob", "builder"), "bob@example.com");
  cr_expect_null (ms_mail_store_check_password (store, "bob", "Builder"));
  cr_expect (ms_mail_store_is_local_domain (store, "EXAMPLE.com"));
  cr_expect_not (ms_mail_store_is_local_domain (store, "example.net"));
  cr_expect_not (ms_mail_store_add_user (store, "bob@example.com", "again", &error));
  cr_expect_eq (error->code, MS_MAIL_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  cr_expect_not (ms_mail_store_add_user (store, "no-at-sign", "x", &error));
}

Test (mail_store, delivery_appends_with_ascending_uids)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GBytes) raw = g_bytes_new_static ("Subject: hi\r\n\r\nbody\r\n", 21);
  MsMailbox *inbox;

  cr_assert_not_null (ms_mail_store_deliver (store, "bob", raw, NULL));
  cr_assert_not_null (ms_mail_store_deliver (store, "bob@example.com", raw, NULL));
  cr_expect_null (ms_mail_store_deliver (store, "nobody@example.com", raw, NULL));
  inbox = ms_mail_store_get_mailbox (store, "bob@example.com", "inbox");
  cr_assert_not_null (inbox);
  cr_expect_eq (ms_mailbox_get_n_messages (inbox), 2);
  cr_expect_eq (ms_mailbox_get_message (inbox, 0)->uid, 1);
  cr_expect_eq (ms_mailbox_get_message (inbox, 1)->uid, 2);
  cr_expect_eq (ms_mailbox_get_uidnext (inbox), 3);
  cr_expect_eq (ms_mailbox_find_uid (inbox, 2), 1);

  ms_mailbox_set_flags (inbox, ms_mailbox_get_message (inbox, 0), MS_FLAG_DELETED, NULL);
  {
    g_autoptr(GArray) gone = ms_mailbox_expunge_deleted (inbox);
    cr_expect_eq (gone->len, 1);
    cr_expect_eq (g_array_index (gone, guint32, 0), 1);
  }
  cr_expect_eq (ms_mailbox_get_n_messages (inbox), 1);
  cr_assert_not_null (ms_mail_store_deliver (store, "bob", raw, NULL));
  cr_expect_eq (ms_mailbox_get_message (inbox, 1)->uid, 3, "uids are never reused");
}

Test (mail_store, folders_create_rename_and_delete_with_their_children)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;

  cr_assert_not_null (ms_mail_store_create_mailbox (store, "bob@example.com", "Work/2026", &error));
  cr_expect_not_null (ms_mail_store_get_mailbox (store, "bob@example.com", "Work"), "parents are created");
  cr_expect_null (ms_mail_store_create_mailbox (store, "bob@example.com", "Work", &error));
  g_clear_error (&error);
  cr_expect_null (ms_mail_store_create_mailbox (store, "bob@example.com", "../etc", &error));
  g_clear_error (&error);
  cr_assert (ms_mail_store_rename_mailbox (store, "bob@example.com", "Work", "Job", &error));
  cr_expect_not_null (ms_mail_store_get_mailbox (store, "bob@example.com", "Job/2026"));
  cr_expect_null (ms_mail_store_get_mailbox (store, "bob@example.com", "Work/2026"));
  list = ms_mail_store_list_mailboxes (store, "bob@example.com");
  cr_expect_eq (list->len, 3);
  cr_expect_str_eq (ms_mailbox_get_name (g_ptr_array_index (list, 0)), "INBOX");
  cr_expect_not (ms_mail_store_delete_mailbox (store, "bob@example.com", "INBOX", &error));
  g_clear_error (&error);
  cr_expect (ms_mail_store_delete_mailbox (store, "bob@example.com", "Job/2026", &error));
}

Test (mail_store, renaming_inbox_moves_its_messages)
{
  g_autoptr(MsMailStore) store = new_store ();
  g_autoptr(GBytes) raw = g_bytes_new_static ("Subject: hi\r\n\r\nbody\r\n", 21);
  MsMailbox *old;

  ms_mail_store_deliver (store, "bob", raw, NULL);
  cr_assert (ms_mail_store_rename_mailbox (store, "bob@example.com", "INBOX", "Old", NULL));
  old = ms_mail_store_get_mailbox (store, "bob@example.com", "Old");
  cr_expect_eq (ms_mailbox_get_n_messages (old), 1);
  cr_expect_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, "bob@example.com", "INBOX")), 0);
}
