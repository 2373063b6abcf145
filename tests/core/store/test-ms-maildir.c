/* test-ms-maildir.c: the store mirrored to Maildir++, across restarts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "ms-maildir.h"

#define ALICE "alice@example.com"
#define BOB   "bob@example.com"

static char *
make_tmpdir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ms-maildir-XXXXXX", &error);

  cr_assert_not_null (dir, "%s", error ? error->message : "");
  return dir;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* A fresh store (as after a restart) with the same users, attached to dir. */
static MsMailStore *
open_store (const char *dir)
{
  MsMailStore *store = ms_mail_store_new ();
  g_autoptr(GError) error = NULL;

  cr_assert (ms_mail_store_add_user (store, ALICE, "wonderland", NULL));
  cr_assert (ms_mail_store_add_user (store, BOB, "builder", NULL));
  cr_assert (ms_mail_store_attach_directory (store, dir, &error), "%s",
             error ? error->message : "");
  return store;
}

static GBytes *
sample (const char *subject)
{
  g_autofree char *text = g_strdup_printf ("From: a@example.org\r\nSubject: %s\r\n\r\nbody\r\n",
                                           subject);
  return g_bytes_new (text, strlen (text));
}

static guint
count_files (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static char *
only_file (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name = d ? g_dir_read_name (d) : NULL;

  cr_assert_not_null (name, "no file in %s", dir);
  cr_assert_null (g_dir_read_name (d), "more than one file in %s", dir);
  return g_strdup (name);
}

typedef struct
{
  guint32 uid;
  MsMessageFlags flags;
  gint64 internal_date;
  char *raw;
} Snapshot;

static void
snapshot_clear (gpointer data)
{
  g_free (((Snapshot *) data)->raw);
}

static GArray *
snapshot (MsMailbox *mailbox)
{
  GArray *out = g_array_new (FALSE, TRUE, sizeof (Snapshot));

  g_array_set_clear_func (out, snapshot_clear);

  for (guint i = 0; i < ms_mailbox_get_n_messages (mailbox); i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (mailbox, i);
      Snapshot s = { m->uid, m->flags, m->internal_date,
                     g_strndup (g_bytes_get_data (m->raw, NULL), g_bytes_get_size (m->raw)) };
      g_array_append_val (out, s);
    }
  return out;
}

static void
expect_same (GArray     *before,
             MsMailbox  *mailbox,
             const char *what)
{
  g_autoptr(GArray) after = snapshot (mailbox);

  cr_assert_eq (after->len, before->len, "%s: %u messages, expected %u", what, after->len,
                before->len);
  for (guint i = 0; i < before->len; i++)
    {
      Snapshot *x = &g_array_index (before, Snapshot, i);
      Snapshot *y = &g_array_index (after, Snapshot, i);

      cr_expect_eq (y->uid, x->uid, "%s #%u uid", what, i);
      /* \Recent is not kept across a restart except for files still in new/. */
      cr_expect_eq (y->flags & ~MS_FLAG_RECENT, x->flags & ~MS_FLAG_RECENT, "%s #%u flags", what, i);
      cr_expect_eq (y->internal_date, x->internal_date, "%s #%u date", what, i);
      cr_expect_str_eq (y->raw, x->raw, "%s #%u bytes", what, i);
    }
}

Test (maildir, messages_uids_flags_and_folders_survive_a_restart)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *inbox_dir = g_build_filename (dir, ALICE, "Maildir", NULL);
  g_autofree char *projects_dir = g_build_filename (inbox_dir, ".Work.Projects", NULL);
  g_autoptr(GArray) inbox_before = NULL;
  g_autoptr(GArray) projects_before = NULL;
  guint32 inbox_validity, projects_validity, inbox_next;

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    g_autoptr(GError) error = NULL;
    MsMailbox *inbox = ms_mail_store_get_mailbox (store, ALICE, "INBOX");
    MsMailbox *projects;
    const char *keywords[] = { "$Label1", "Important", NULL };

    cr_expect_str_eq (ms_mail_store_get_directory (store), dir);
    for (guint i = 0; i < 4; i++)
      {
        g_autoptr(GBytes) raw = sample ("hello");
        cr_assert_not_null (ms_mail_store_deliver (store, ALICE, raw, NULL));
      }
    projects = ms_mail_store_create_mailbox (store, ALICE, "Work/Projects", &error);
    cr_assert_not_null (projects);
    {
      g_autoptr(GBytes) raw = sample ("filed");
      ms_mailbox_append (projects, raw, MS_FLAG_SEEN | MS_FLAG_FLAGGED, keywords, 1700000000);
    }
    ms_mailbox_set_flags (inbox, ms_mailbox_get_message (inbox, 1),
                          MS_FLAG_SEEN | MS_FLAG_ANSWERED, NULL);
    ms_mailbox_set_flags (inbox, ms_mailbox_get_message (inbox, 2), MS_FLAG_DELETED, NULL);
    g_array_unref (ms_mailbox_expunge_deleted (inbox));
    cr_assert (ms_mailbox_expunge_uid (inbox, 1));
    ms_mail_store_set_subscribed (store, ALICE, "Work/Projects", TRUE);

    /* On disk now: uid 2 in cur/ with :2,RS, uid 4 still new. */
    {
      g_autofree char *cur = g_build_filename (inbox_dir, "cur", NULL);
      g_autofree char *new_dir = g_build_filename (inbox_dir, "new", NULL);
      g_autofree char *name = only_file (cur);
      g_autofree char *marker = g_build_filename (projects_dir, "maildirfolder", NULL);
      g_autofree char *pcur = g_build_filename (projects_dir, "cur", NULL);
      g_autofree char *pname = only_file (pcur);
      g_autofree char *list = NULL;
      g_autofree char *list_path = g_build_filename (inbox_dir, "mailsim-uidlist", NULL);
      g_autofree char *expected_head = NULL;

      cr_expect (g_str_has_suffix (name, ":2,RS"), "%s", name);
      cr_expect_eq (count_files (new_dir), 1);
      cr_expect (g_file_test (marker, G_FILE_TEST_IS_REGULAR));
      cr_expect (g_str_has_suffix (pname, ":2,FSab"), "%s", pname);
      cr_assert (g_file_get_contents (list_path, &list, NULL, NULL));
      expected_head = g_strdup_printf ("3 V%u N5\n2 :", ms_mailbox_get_uidvalidity (inbox));
      cr_expect (g_str_has_prefix (list, expected_head), "%s", list);
    }

    inbox_before = snapshot (inbox);
    projects_before = snapshot (projects);
    inbox_validity = ms_mailbox_get_uidvalidity (inbox);
    inbox_next = ms_mailbox_get_uidnext (inbox);
    projects_validity = ms_mailbox_get_uidvalidity (projects);
    cr_expect_neq (inbox_validity, projects_validity);
  }

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *inbox = ms_mail_store_get_mailbox (store, ALICE, "INBOX");
    MsMailbox *projects = ms_mail_store_get_mailbox (store, ALICE, "Work/Projects");
    g_autoptr(GPtrArray) folders = ms_mail_store_list_mailboxes (store, ALICE);
    MsStoredMessage *filed;

    cr_assert_not_null (projects);
    cr_assert_eq (folders->len, 3);
    cr_expect_str_eq (ms_mailbox_get_name (g_ptr_array_index (folders, 1)), "Work");
    expect_same (inbox_before, inbox, "INBOX");
    expect_same (projects_before, projects, "Work/Projects");
    cr_expect_eq (ms_mailbox_get_uidvalidity (inbox), inbox_validity);
    cr_expect_eq (ms_mailbox_get_uidnext (inbox), inbox_next, "expunged uids are not reused");
    cr_expect_eq (ms_mailbox_get_uidvalidity (projects), projects_validity);
    cr_expect (ms_mailbox_get_message (inbox, 1)->flags & MS_FLAG_RECENT, "still in new/");
    filed = ms_mailbox_get_message (projects, 0);
    cr_expect_eq (filed->internal_date, 1700000000);
    cr_assert_eq (g_strv_length (filed->keywords), 2);
    cr_expect_str_eq (filed->keywords[0], "$Label1");
    cr_expect_str_eq (filed->keywords[1], "Important");
    cr_expect (ms_mail_store_is_subscribed (store, ALICE, "Work/Projects"));
    cr_expect (ms_mail_store_is_subscribed (store, ALICE, "INBOX"));
    cr_expect_not (ms_mail_store_is_subscribed (store, ALICE, "Work"));

    /* New mail after the restart continues the uid sequence. */
    {
      g_autoptr(GBytes) raw = sample ("after restart");
      MsStoredMessage *m = ms_mail_store_deliver (store, ALICE, raw, NULL);
      cr_expect_eq (m->uid, inbox_next);
    }
  }
  remove_tree (dir);
}

Test (maildir, folder_rename_and_delete_are_directory_operations)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *root = g_build_filename (dir, BOB, "Maildir", NULL);
  g_autofree char *work = g_build_filename (root, ".Work", NULL);
  g_autofree char *archive = g_build_filename (root, ".Archive", NULL);
  g_autofree char *archive_sub = g_build_filename (root, ".Archive.2026", NULL);
  g_autofree char *dotted = g_build_filename (root, ".v1%2E2", NULL);
  guint32 validity;

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *sub;

    cr_assert_not_null (ms_mail_store_create_mailbox (store, BOB, "Work/2026", NULL));
    cr_assert_not_null (ms_mail_store_create_mailbox (store, BOB, "v1.2", NULL));
    sub = ms_mail_store_get_mailbox (store, BOB, "Work/2026");
    {
      g_autoptr(GBytes) raw = sample ("kept");
      ms_mailbox_append (sub, raw, MS_FLAG_SEEN, NULL, 1600000000);
    }
    validity = ms_mailbox_get_uidvalidity (sub);
    ms_mail_store_set_subscribed (store, BOB, "Work", TRUE);
    cr_assert (g_file_test (work, G_FILE_TEST_IS_DIR));
    cr_assert (g_file_test (dotted, G_FILE_TEST_IS_DIR), "a '.' inside a name is escaped");
    cr_assert (ms_mail_store_rename_mailbox (store, BOB, "Work", "Archive", NULL));
    cr_expect_not (g_file_test (work, G_FILE_TEST_EXISTS));
    cr_expect (g_file_test (archive, G_FILE_TEST_IS_DIR));
    cr_expect (g_file_test (archive_sub, G_FILE_TEST_IS_DIR));
    cr_assert (ms_mail_store_delete_mailbox (store, BOB, "Archive", NULL));
    cr_expect_not (g_file_test (archive, G_FILE_TEST_EXISTS));
  }
  {
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *sub = ms_mail_store_get_mailbox (store, BOB, "Archive/2026");
    g_autoptr(GPtrArray) folders = ms_mail_store_list_mailboxes (store, BOB);

    cr_assert_not_null (sub);
    cr_expect_not_null (ms_mail_store_get_mailbox (store, BOB, "v1.2"));
    cr_expect_eq (ms_mailbox_get_uidvalidity (sub), validity);
    cr_expect_eq (ms_mailbox_get_n_messages (sub), 1);
    /* Archive itself was deleted; loading recreates it as the parent of Archive/2026. */
    cr_expect_eq (folders->len, 4);
    cr_expect_not (ms_mail_store_is_subscribed (store, BOB, "Work"));
    cr_expect_not (ms_mail_store_is_subscribed (store, BOB, "Archive"));
  }
  remove_tree (dir);
}

Test (maildir, renaming_inbox_moves_its_files)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *new_dir = g_build_filename (dir, ALICE, "Maildir", "new", NULL);

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    g_autoptr(GBytes) raw = sample ("old inbox mail");

    ms_mail_store_deliver (store, ALICE, raw, NULL);
    ms_mail_store_deliver (store, ALICE, raw, NULL);
    cr_assert (ms_mail_store_rename_mailbox (store, ALICE, "INBOX", "Old", NULL));
    cr_expect_eq (count_files (new_dir), 0);
  }
  {
    g_autoptr(MsMailStore) store = open_store (dir);

    cr_expect_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, ALICE, "INBOX")), 0);
    cr_expect_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, ALICE, "Old")), 2);
  }
  remove_tree (dir);
}

Test (maildir, corrupt_uid_list_is_rebuilt_without_losing_mail)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *inbox_dir = g_build_filename (dir, ALICE, "Maildir", NULL);
  g_autofree char *list = g_build_filename (inbox_dir, "mailsim-uidlist", NULL);
  g_autofree char *kept = g_build_filename (inbox_dir, "mailsim-uidlist.corrupt", NULL);
  guint32 old_validity;

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    g_autoptr(GBytes) raw = sample ("precious");

    for (guint i = 0; i < 3; i++)
      ms_mail_store_deliver (store, ALICE, raw, NULL);
    old_validity = ms_mailbox_get_uidvalidity (ms_mail_store_get_mailbox (store, ALICE, "INBOX"));
  }
  cr_assert (g_file_set_contents (list, "3 V12 N7\n1 :x\n1 :duplicate uid\n\xff", -1, NULL));
  {
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *inbox = ms_mail_store_get_mailbox (store, ALICE, "INBOX");
    g_autofree char *fresh = NULL;

    cr_expect_eq (ms_mailbox_get_n_messages (inbox), 3, "no message is lost");
    cr_expect_gt (ms_mailbox_get_uidvalidity (inbox), old_validity,
                  "renumbered uids need a new UIDVALIDITY");
    cr_expect (g_file_test (kept, G_FILE_TEST_IS_REGULAR), "the bad list is kept");
    cr_assert (g_file_get_contents (list, &fresh, NULL, NULL));
    cr_expect (g_str_has_prefix (fresh, "3 V"), "%s", fresh);
  }
  /* Total garbage, and an empty file, are rebuilt the same way. */
  cr_assert (g_file_set_contents (list, "", 0, NULL));
  {
    g_autoptr(MsMailStore) store = open_store (dir);
    cr_expect_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, ALICE, "INBOX")), 3);
  }
  remove_tree (dir);
}

Test (maildir, unreadable_uid_list_is_a_clear_error_and_touches_nothing)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *inbox_dir = g_build_filename (dir, ALICE, "Maildir", NULL);
  g_autofree char *list = g_build_filename (inbox_dir, "mailsim-uidlist", NULL);
  g_autofree char *new_dir = g_build_filename (inbox_dir, "new", NULL);

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    g_autoptr(GBytes) raw = sample ("x");

    ms_mail_store_deliver (store, ALICE, raw, NULL);
  }
  /* A directory where the list should be: reading it fails (even for root). */
  cr_assert_eq (g_unlink (list), 0);
  cr_assert_eq (g_mkdir (list, 0700), 0);
  {
    g_autoptr(MsMailStore) store = ms_mail_store_new ();
    g_autoptr(GError) error = NULL;

    ms_mail_store_add_user (store, ALICE, "x", NULL);
    cr_expect_not (ms_mail_store_attach_directory (store, dir, &error));
    cr_assert_not_null (error);
    cr_expect_eq (error->code, MS_MAIL_STORE_ERROR_IO);
    cr_expect_not_null (strstr (error->message, "mailsim-uidlist"), "%s", error->message);
    cr_expect_null (ms_mail_store_get_directory (store));
  }
  cr_expect_eq (count_files (new_dir), 1);
  cr_expect (g_file_test (list, G_FILE_TEST_IS_DIR));
  g_rmdir (list);
  remove_tree (dir);
}

Test (maildir, files_dropped_in_by_other_tools_get_new_uids)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *inbox_dir = g_build_filename (dir, ALICE, "Maildir", NULL);
  g_autofree char *dropped = g_build_filename (inbox_dir, "new", "1.procmail.host", NULL);
  g_autofree char *seen = g_build_filename (inbox_dir, "cur", "2.other.host:2,S", NULL);

  {
    g_autoptr(MsMailStore) store = open_store (dir);
    g_autoptr(GBytes) raw = sample ("ours");

    ms_mail_store_deliver (store, ALICE, raw, NULL);
  }
  cr_assert (g_file_set_contents (dropped, "Subject: lf only\n\nbody\n", -1, NULL));
  cr_assert (g_file_set_contents (seen, "Subject: seen\r\n\r\n", -1, NULL));
  {
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *inbox = ms_mail_store_get_mailbox (store, ALICE, "INBOX");
    MsStoredMessage *m;

    cr_assert_eq (ms_mailbox_get_n_messages (inbox), 3);
    cr_expect_eq (ms_mailbox_get_message (inbox, 0)->uid, 1);
    m = ms_mailbox_get_message (inbox, 1);
    cr_expect_eq (m->uid, 2);
    cr_expect_eq (m->flags, MS_FLAG_RECENT);
    cr_expect_str_eq (m->file_name, "1.procmail.host");
    cr_expect_eq (g_bytes_get_size (m->raw), strlen ("Subject: lf only\r\n\r\nbody\r\n"));
    m = ms_mailbox_get_message (inbox, 2);
    cr_expect_eq (m->uid, 3);
    cr_expect_eq (m->flags, MS_FLAG_SEEN);
  }
  {
    /* The new uids were recorded: a third start sees the same. */
    g_autoptr(MsMailStore) store = open_store (dir);
    MsMailbox *inbox = ms_mail_store_get_mailbox (store, ALICE, "INBOX");

    cr_expect_str_eq (ms_mailbox_get_message (inbox, 1)->file_name, "1.procmail.host");
    cr_expect_eq (ms_mailbox_get_uidnext (inbox), 4);
  }
  remove_tree (dir);
}

Test (maildir, seeded_mail_is_written_out_and_later_users_get_directories)
{
  g_autofree char *dir = make_tmpdir ();
  g_autofree char *carol_cur = g_build_filename (dir, "carol@example.com", "Maildir", "cur", NULL);

  {
    g_autoptr(MsMailStore) store = ms_mail_store_new ();
    g_autoptr(GBytes) raw = sample ("seeded");
    g_autoptr(GError) error = NULL;

    ms_mail_store_add_user (store, ALICE, "x", NULL);
    ms_mail_store_add_user (store, BOB, "x", NULL);
    ms_mail_store_deliver (store, BOB, raw, NULL);
    cr_assert (ms_mail_store_attach_directory (store, dir, &error), "%s",
               error ? error->message : "");
    cr_expect_not (ms_mail_store_attach_directory (store, dir, &error));
    ms_mail_store_add_user (store, "carol@example.com", "x", NULL);
    cr_expect (g_file_test (carol_cur, G_FILE_TEST_IS_DIR));
    ms_mail_store_deliver (store, "carol@example.com", raw, NULL);
  }
  {
    g_autoptr(MsMailStore) store = open_store (dir);
    cr_expect_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, BOB, "INBOX")), 1);
  }
  {
    g_autoptr(MsMailStore) store = ms_mail_store_new ();

    ms_mail_store_add_user (store, "carol@example.com", "x", NULL);
    cr_assert (ms_mail_store_attach_directory (store, dir, NULL));
    cr_expect_eq (ms_mailbox_get_n_messages (
                    ms_mail_store_get_mailbox (store, "carol@example.com", "INBOX")), 1);
    cr_expect (ms_mail_store_is_subscribed (store, "carol@example.com", "INBOX"));
  }
  remove_tree (dir);
}
