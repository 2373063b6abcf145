/* ms-maildir.c: Maildir++ persistence for the mail store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Maildir (D. J. Bernstein, "Using maildir format"): a message is delivered by writing it
 * under tmp/ and renaming it into new/; a reader moves it to cur/ and records flags in the
 * name after ":2,". Maildir++ (Courier) keeps each folder as a sibling directory whose
 * name starts with '.', hierarchy levels joined by '.'. UIDs are not part of Maildir; like
 * Dovecot's dovecot-uidlist we keep a per-folder list so that UIDs and UIDVALIDITY
 * survive restarts (RFC 3501 §2.3.1.1).
 */
#define G_LOG_DOMAIN "ms-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "ms-maildir.h"

#define UIDLIST_NAME       "mailsim-uidlist"
#define UIDLIST_KEPT_NAME  "mailsim-uidlist.corrupt"
#define KEYWORDS_NAME      "mailsim-keywords"
#define SUBSCRIPTIONS_NAME "subscriptions"
#define UIDVALIDITY_NAME   "mailsim-uidvalidity"
#define UIDLIST_VERSION    3
/* File name letters a..z carry keywords, as in Dovecot. */
#define MAX_KEYWORDS       26
#define STATE_KEY          "ms-maildir"

typedef struct _Maildir Maildir;

typedef struct
{
  char *base;     /* unique part of the file name, without ":2,..." */
  char *subdir;   /* "new" or "cur" */
  char *name;     /* current file name inside subdir */
} Entry;

typedef struct
{
  Maildir    *md;
  char       *address;
  MsMailbox  *mailbox;   /* owned reference */
  char       *dir;
  GHashTable *entries;   /* uid → Entry* */
  GPtrArray  *keywords;  /* index → char* */
  gulong      handlers[3];
} Folder;

struct _Maildir
{
  MsMailStore *store;        /* not owned: we live in its qdata */
  char        *root;
  GHashTable  *folders;      /* MsMailbox* → Folder* */
  GHashTable  *users;        /* lower-case address → GHashTable of subscribed names */
  gboolean     loading;      /* store changes made by loading are not written back */
  guint32      last_uidvalidity;
  guint        counter;
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->base);
  g_free (entry->subdir);
  g_free (entry->name);
  g_free (entry);
}

static void
folder_free (gpointer data)
{
  Folder *folder = data;

  for (guint i = 0; i < G_N_ELEMENTS (folder->handlers); i++)
    g_clear_signal_handler (&folder->handlers[i], folder->mailbox);
  g_clear_object (&folder->mailbox);
  g_free (folder->address);
  g_free (folder->dir);
  g_hash_table_unref (folder->entries);
  g_ptr_array_unref (folder->keywords);
  g_free (folder);
}

static void
maildir_free (gpointer data)
{
  Maildir *md = data;

  g_hash_table_unref (md->folders);
  g_hash_table_unref (md->users);
  g_free (md->root);
  g_free (md);
}

static gboolean
set_io_error (GError     **error,
              int          errsv,
              const char  *what,
              const char  *path)
{
  g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_IO,
               "%s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

/* ---- Names ---- */

static char *
user_root (Maildir    *md,
           const char *address)
{
  g_autofree char *lower = g_ascii_strdown (address, -1);

  return g_build_filename (md->root, lower, "Maildir", NULL);
}

/* Maildir++ uses '.' between levels, so a '.' inside a level (and '%', and anything that is
 * not a plain file-name character) is written %XX. */
static char *
folder_dir (Maildir    *md,
            const char *address,
            const char *name)
{
  g_autofree char *root = user_root (md, address);
  g_autoptr(GString) leaf = NULL;

  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    return g_steal_pointer (&root);
  leaf = g_string_new (".");
  for (const char *p = name; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == MS_MAILBOX_DELIMITER)
        g_string_append_c (leaf, '.');
      else if (c == '.' || c == '%' || c < 0x20 || c == 0x7f)
        g_string_append_printf (leaf, "%%%02X", c);
      else
        g_string_append_c (leaf, (char) c);
    }
  return g_build_filename (root, leaf->str, NULL);
}

/* ".a.b%2Ec" → "a/b.c"; NULL when it is not a folder directory name. */
static char *
folder_name_from_dir (const char *leaf)
{
  GString *name;

  if (leaf[0] != '.' || leaf[1] == '\0' || strcmp (leaf, "..") == 0)
    return NULL;
  name = g_string_new (NULL);
  for (const char *p = leaf + 1; *p != '\0'; p++)
    {
      if (*p == '.')
        g_string_append_c (name, MS_MAILBOX_DELIMITER);
      else if (*p == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))
        {
          g_string_append_c (name, (char) (g_ascii_xdigit_value (p[1]) * 16
                                           + g_ascii_xdigit_value (p[2])));
          p += 2;
        }
      else
        g_string_append_c (name, *p);
    }
  return g_string_free (name, FALSE);
}

/* "time.MusecPpidQn.host" (Maildir: unique per delivery); '/' and ':' in the host name
 * are written \057 and \072 as the spec asks. */
static char *
unique_base (Maildir *md)
{
  gint64 now = g_get_real_time ();
  g_autoptr(GString) host = g_string_new (NULL);

  for (const char *p = g_get_host_name (); *p != '\0'; p++)
    {
      if (*p == '/')
        g_string_append (host, "\\057");
      else if (*p == ':')
        g_string_append (host, "\\072");
      else
        g_string_append_c (host, *p);
    }
  return g_strdup_printf ("%" G_GINT64_FORMAT ".M%06dP%dQ%u.%s", now / G_USEC_PER_SEC,
                          (int) (now % G_USEC_PER_SEC), (int) getpid (), ++md->counter,
                          host->str);
}

/* RFC 3501 §2.3.1.1: a new UIDVALIDITY must be greater than any before it. The clock in
 * seconds (Dovecot's choice) keeps that across restarts. */
static guint32
next_uidvalidity (Maildir *md)
{
  guint32 now = (guint32) (g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *path = g_build_filename (md->root, UIDVALIDITY_NAME, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  md->last_uidvalidity = MAX (now, md->last_uidvalidity + 1);
  /* Remembered store-wide, so that two starts within one second (or a uid list that was
   * lost) still never hand out the same value twice. */
  text = g_strdup_printf ("%u\n", md->last_uidvalidity);
  if (!g_file_set_contents (path, text, -1, &error))
    g_warning ("Maildir: %s", error->message);
  return md->last_uidvalidity;
}

static void
read_last_uidvalidity (Maildir *md)
{
  g_autofree char *path = g_build_filename (md->root, UIDVALIDITY_NAME, NULL);
  g_autofree char *text = NULL;

  if (g_file_get_contents (path, &text, NULL, NULL))
    md->last_uidvalidity = (guint32) MIN (g_ascii_strtoull (text, NULL, 10), G_MAXUINT32 - 1);
}

/* ---- Flags in file names ---- */

static const struct { char letter; MsMessageFlags flag; } flag_letters[] = {
  /* ASCII order, as the Maildir spec asks. P (passed) has no IMAP flag. */
  { 'D', MS_FLAG_DRAFT },
  { 'F', MS_FLAG_FLAGGED },
  { 'R', MS_FLAG_ANSWERED },
  { 'S', MS_FLAG_SEEN },
  { 'T', MS_FLAG_DELETED },
};

static int
keyword_index (Folder     *folder,
               const char *keyword,
               gboolean    add)
{
  for (guint i = 0; i < folder->keywords->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (folder->keywords, i), keyword) == 0)
      return (int) i;
  if (!add || folder->keywords->len >= MAX_KEYWORDS)
    return -1;
  g_ptr_array_add (folder->keywords, g_strdup (keyword));
  return (int) folder->keywords->len - 1;
}

static gboolean
write_keywords (Folder  *folder,
                GError **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = g_build_filename (folder->dir, KEYWORDS_NAME, NULL);

  for (guint i = 0; i < folder->keywords->len; i++)
    g_string_append_printf (text, "%u %s\n", i, (char *) g_ptr_array_index (folder->keywords, i));
  return g_file_set_contents (path, text->str, text->len, error);
}

static void
read_keywords (Folder *folder)
{
  g_autofree char *path = g_build_filename (folder->dir, KEYWORDS_NAME, NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *end = NULL;
      guint64 index = g_ascii_strtoull (lines[i], &end, 10);

      if (end == lines[i] || *end != ' ' || end[1] == '\0' || index != folder->keywords->len
          || index >= MAX_KEYWORDS)
        continue;
      g_ptr_array_add (folder->keywords, g_strdup (end + 1));
    }
}

/* new/ holds what nobody has looked at: only \Recent, no other flag or keyword. */
static gboolean
belongs_in_new (MsStoredMessage *message)
{
  return message->flags == MS_FLAG_RECENT
         && (message->keywords == NULL || message->keywords[0] == NULL);
}

static char *
file_name_for (Folder          *folder,
               const char      *base,
               MsStoredMessage *message,
               gboolean        *keywords_changed)
{
  GString *name = g_string_new (base);
  g_autoptr(GString) letters = g_string_new (NULL);

  if (belongs_in_new (message))
    return g_string_free (name, FALSE);
  g_string_append (name, ":2,");
  for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
    if (message->flags & flag_letters[i].flag)
      g_string_append_c (name, flag_letters[i].letter);
  for (guint i = 0; message->keywords != NULL && message->keywords[i] != NULL; i++)
    {
      guint before = folder->keywords->len;
      int index = keyword_index (folder, message->keywords[i], TRUE);

      if (index < 0)
        {
          g_warning ("%s: more than %d keywords; “%s” is not kept on disk", folder->dir,
                     MAX_KEYWORDS, message->keywords[i]);
          continue;
        }
      if (folder->keywords->len != before && keywords_changed != NULL)
        *keywords_changed = TRUE;
      if (strchr (letters->str, 'a' + index) == NULL)
        g_string_append_c (letters, (char) ('a' + index));
    }
  /* Lower-case letters in ASCII order after the upper-case ones. */
  {
    g_autofree char *sorted = g_strdup (letters->str);

    for (gsize i = 0; sorted[i] != '\0'; i++)
      for (gsize j = i + 1; sorted[j] != '\0'; j++)
        if (sorted[j] < sorted[i])
          {
            char t = sorted[i];
            sorted[i] = sorted[j];
            sorted[j] = t;
          }
    g_string_append (name, sorted);
  }
  return g_string_free (name, FALSE);
}

static void
parse_info (Folder          *folder,
            const char      *info,
            MsMessageFlags  *flags,
            GPtrArray       *keywords)
{
  if (!g_str_has_prefix (info, "2,"))
    return;
  for (const char *p = info + 2; *p != '\0'; p++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (flag_letters); i++)
        if (*p == flag_letters[i].letter)
          *flags |= flag_letters[i].flag;
      if (*p >= 'a' && *p <= 'z' && (guint) (*p - 'a') < folder->keywords->len)
        g_ptr_array_add (keywords, g_strdup (g_ptr_array_index (folder->keywords, *p - 'a')));
    }
}

/* ---- The uid list ---- */

static gboolean
write_uidlist (Folder  *folder,
               GError **error)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *path = g_build_filename (folder->dir, UIDLIST_NAME, NULL);

  g_string_append_printf (text, "%d V%u N%u\n", UIDLIST_VERSION,
                          ms_mailbox_get_uidvalidity (folder->mailbox),
                          ms_mailbox_get_uidnext (folder->mailbox));
  for (guint i = 0; i < ms_mailbox_get_n_messages (folder->mailbox); i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (folder->mailbox, i);
      Entry *entry = g_hash_table_lookup (folder->entries, GUINT_TO_POINTER (m->uid));

      if (entry != NULL)
        g_string_append_printf (text, "%u :%s\n", m->uid, entry->base);
    }
  /* g_file_set_contents writes a temporary file and renames it: never half a list. */
  return g_file_set_contents (path, text->str, text->len, error);
}

/* A delivery only adds a line (as Dovecot does), so the list is not rewritten per message;
 * the header's N may then lag behind, and reading moves it past the last uid. */
static gboolean
append_uidlist (Folder  *folder,
                guint32  uid,
                GError **error)
{
  g_autofree char *path = g_build_filename (folder->dir, UIDLIST_NAME, NULL);
  Entry *entry = g_hash_table_lookup (folder->entries, GUINT_TO_POINTER (uid));
  g_autofree char *line = NULL;
  gsize len;
  gssize n;
  int fd;

  fd = g_open (path, O_WRONLY | O_APPEND | O_CLOEXEC, 0);
  if (fd < 0 || entry == NULL)
    {
      if (fd >= 0)
        close (fd);
      return write_uidlist (folder, error);
    }
  line = g_strdup_printf ("%u :%s\n", uid, entry->base);
  len = strlen (line);
  do
    n = write (fd, line, len);
  while (n < 0 && errno == EINTR);
  if (n != (gssize) len)
    {
      int errsv = n < 0 ? errno : EIO;

      close (fd);
      return set_io_error (error, errsv, "cannot write", path);
    }
  if (close (fd) != 0)
    return set_io_error (error, errno, "cannot write", path);
  return TRUE;
}

typedef enum
{
  UIDLIST_OK,
  UIDLIST_MISSING,
  UIDLIST_CORRUPT,
} UidlistState;

typedef struct
{
  guint32     uidvalidity;
  guint32     uidnext;
  GHashTable *uid_by_base;   /* base → uid */
  char       *problem;
} Uidlist;

static void
uidlist_clear (Uidlist *list)
{
  g_clear_pointer (&list->uid_by_base, g_hash_table_unref);
  g_clear_pointer (&list->problem, g_free);
}

static UidlistState
read_uidlist (const char  *dir,
              Uidlist     *list,
              GError     **error)
{
  g_autofree char *path = g_build_filename (dir, UIDLIST_NAME, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) lines = NULL;
  int version = 0;
  guint32 last_uid = 0;

  list->uid_by_base = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_file_get_contents (path, &text, NULL, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return UIDLIST_MISSING;
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_IO,
                   "cannot read the uid list %s: %s", path, local->message);
      return UIDLIST_CORRUPT;
    }
  lines = g_strsplit (text, "\n", -1);
  if (lines[0] == NULL
      || sscanf (lines[0], "%d V%u N%u", &version, &list->uidvalidity, &list->uidnext) != 3
      || version != UIDLIST_VERSION || list->uidvalidity == 0 || list->uidnext == 0)
    {
      list->problem = g_strdup_printf ("bad first line “%.40s”", lines[0] ? lines[0] : "");
      return UIDLIST_CORRUPT;
    }
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char *end = NULL;
      guint64 uid;

      if (lines[i][0] == '\0')
        continue;
      uid = g_ascii_strtoull (lines[i], &end, 10);
      if (end == lines[i] || uid == 0 || uid > G_MAXUINT32 || uid <= last_uid
          || !g_str_has_prefix (end, " :") || end[2] == '\0'
          || g_hash_table_contains (list->uid_by_base, end + 2))
        {
          list->problem = g_strdup_printf ("bad line %u “%.40s”", i + 1, lines[i]);
          return UIDLIST_CORRUPT;
        }
      last_uid = (guint32) uid;
      g_hash_table_insert (list->uid_by_base, g_strdup (end + 2), GUINT_TO_POINTER (uid));
    }
  if (last_uid >= list->uidnext)
    list->uidnext = last_uid + 1;
  return UIDLIST_OK;
}

/* ---- Files ---- */

typedef struct
{
  char           *base;
  char           *subdir;
  char           *name;
  gint64          mtime;
  guint32         uid;
} DiskFile;

static void
disk_file_free (gpointer data)
{
  DiskFile *file = data;

  g_free (file->base);
  g_free (file->subdir);
  g_free (file->name);
  g_free (file);
}

static int
compare_disk_files (gconstpointer a,
                    gconstpointer b)
{
  const DiskFile *x = *(DiskFile * const *) a;
  const DiskFile *y = *(DiskFile * const *) b;

  /* Known uids first in uid order, then new arrivals by time and name. */
  if ((x->uid != 0) != (y->uid != 0))
    return x->uid != 0 ? -1 : 1;
  if (x->uid != y->uid)
    return x->uid < y->uid ? -1 : 1;
  if (x->mtime != y->mtime)
    return x->mtime < y->mtime ? -1 : 1;
  return strcmp (x->base, y->base);
}

static gboolean
scan_files (const char  *dir,
            GPtrArray   *files,
            GError     **error)
{
  const char *const subdirs[] = { "cur", "new" };

  for (guint s = 0; s < G_N_ELEMENTS (subdirs); s++)
    {
      g_autofree char *path = g_build_filename (dir, subdirs[s], NULL);
      g_autoptr(GDir) d = NULL;
      g_autoptr(GError) local = NULL;
      const char *name;

      d = g_dir_open (path, 0, &local);
      if (d == NULL)
        {
          g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_IO,
                       "cannot list %s: %s", path, local->message);
          return FALSE;
        }
      while ((name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *file_path = g_build_filename (path, name, NULL);
          const char *colon = strchr (name, ':');
          DiskFile *file;
          GStatBuf st;

          if (name[0] == '.' || g_stat (file_path, &st) != 0 || !S_ISREG (st.st_mode))
            continue;
          file = g_new0 (DiskFile, 1);
          file->base = colon ? g_strndup (name, colon - name) : g_strdup (name);
          file->subdir = g_strdup (subdirs[s]);
          file->name = g_strdup (name);
          file->mtime = st.st_mtime;
          g_ptr_array_add (files, file);
        }
    }
  return TRUE;
}

/* We write CRLF, as the store keeps it; files that other tools dropped in usually have
 * bare LF, which POP3 and IMAP must not send (RFC 5322 §2.3). */
static GBytes *
to_crlf (char  *contents,
         gsize  len)
{
  GString *out;
  gboolean bare = FALSE;

  for (gsize i = 0; i < len && !bare; i++)
    bare = contents[i] == '\n' && (i == 0 || contents[i - 1] != '\r');
  if (!bare)
    return g_bytes_new_take (contents, len);
  out = g_string_sized_new (len + len / 32);
  for (gsize i = 0; i < len; i++)
    {
      if (contents[i] == '\n' && (i == 0 || contents[i - 1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, contents[i]);
    }
  g_free (contents);
  return g_string_free_to_bytes (out);
}

static gboolean
make_dirs (const char  *dir,
           gboolean     is_folder,
           GError     **error)
{
  const char *const subdirs[] = { "cur", "new", "tmp" };

  for (guint i = 0; i < G_N_ELEMENTS (subdirs); i++)
    {
      g_autofree char *path = g_build_filename (dir, subdirs[i], NULL);

      if (g_mkdir_with_parents (path, 0700) != 0)
        return set_io_error (error, errno, "cannot create", path);
    }
  if (is_folder)
    {
      /* Maildir++ marks folder directories with an empty "maildirfolder" file. */
      g_autofree char *marker = g_build_filename (dir, "maildirfolder", NULL);

      if (!g_file_test (marker, G_FILE_TEST_EXISTS)
          && !g_file_set_contents (marker, "", 0, error))
        return FALSE;
    }
  return TRUE;
}

/* Maildir delivery: write under tmp/, then rename into new/ or cur/ (atomic on one
 * file system), so a reader never sees half a message. */
static gboolean
write_message (Folder          *folder,
               MsStoredMessage *message,
               GError         **error)
{
  g_autofree char *base = unique_base (folder->md);
  gboolean keywords_changed = FALSE;
  g_autofree char *name = file_name_for (folder, base, message, &keywords_changed);
  const char *subdir = belongs_in_new (message) ? "new" : "cur";
  g_autofree char *tmp_path = g_build_filename (folder->dir, "tmp", base, NULL);
  g_autofree char *final_path = g_build_filename (folder->dir, subdir, name, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (message->raw, &len);
  int fd;
  gsize done = 0;
  struct timeval times[2];
  Entry *entry;

  fd = g_open (tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_io_error (error, errno, "cannot create", tmp_path);
  while (done < len)
    {
      gssize n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          close (fd);
          g_unlink (tmp_path);
          return set_io_error (error, errsv, "cannot write", tmp_path);
        }
      done += (gsize) n;
    }
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int errsv = errno;

      g_unlink (tmp_path);
      return set_io_error (error, errsv, "cannot write", tmp_path);
    }
  /* The internal date (RFC 3501 §2.3.3) is the file's mtime. */
  times[0].tv_sec = times[1].tv_sec = (time_t) message->internal_date;
  times[0].tv_usec = times[1].tv_usec = 0;
  utimes (tmp_path, times);
  if (g_rename (tmp_path, final_path) != 0)
    {
      int errsv = errno;

      g_unlink (tmp_path);
      return set_io_error (error, errsv, "cannot move into place", final_path);
    }

  entry = g_new0 (Entry, 1);
  entry->base = g_strdup (base);
  entry->subdir = g_strdup (subdir);
  entry->name = g_steal_pointer (&name);
  g_hash_table_replace (folder->entries, GUINT_TO_POINTER (message->uid), entry);
  g_free (message->file_name);
  message->file_name = g_steal_pointer (&base);
  if (keywords_changed && !write_keywords (folder, error))
    return FALSE;
  return TRUE;
}

/* ---- Following the store ---- */

static void
on_message_added (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  Folder          *folder)
{
  g_autoptr(GError) error = NULL;

  if (folder->md->loading)
    return;
  if (!write_message (folder, message, &error) || !append_uidlist (folder, message->uid, &error))
    g_warning ("Maildir: message %u of %s not saved: %s", message->uid, folder->dir,
               error->message);
}

static void
on_message_expunged (MsMailbox *mailbox,
                     guint      uid,
                     Folder    *folder)
{
  Entry *entry = g_hash_table_lookup (folder->entries, GUINT_TO_POINTER (uid));
  g_autoptr(GError) error = NULL;

  if (folder->md->loading || entry == NULL)
    return;
  {
    g_autofree char *path = g_build_filename (folder->dir, entry->subdir, entry->name, NULL);

    if (g_unlink (path) != 0 && errno != ENOENT)
      g_warning ("Maildir: cannot remove %s: %s", path, g_strerror (errno));
  }
  g_hash_table_remove (folder->entries, GUINT_TO_POINTER (uid));
  if (!write_uidlist (folder, &error))
    g_warning ("Maildir: %s", error->message);
}

/* Flags live in the name: a change is a rename (new/ → cur/ once anything is set). */
static void
on_flags_changed (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  Folder          *folder)
{
  Entry *entry = g_hash_table_lookup (folder->entries, GUINT_TO_POINTER (message->uid));
  gboolean keywords_changed = FALSE;
  g_autofree char *name = NULL;
  const char *subdir;
  g_autoptr(GError) error = NULL;

  if (folder->md->loading || entry == NULL)
    return;
  name = file_name_for (folder, entry->base, message, &keywords_changed);
  subdir = belongs_in_new (message) ? "new" : "cur";
  if (keywords_changed && !write_keywords (folder, &error))
    g_warning ("Maildir: %s", error->message);
  if (strcmp (name, entry->name) == 0 && strcmp (subdir, entry->subdir) == 0)
    return;
  {
    g_autofree char *from = g_build_filename (folder->dir, entry->subdir, entry->name, NULL);
    g_autofree char *to = g_build_filename (folder->dir, subdir, name, NULL);

    if (g_rename (from, to) != 0)
      {
        g_warning ("Maildir: cannot rename %s: %s", from, g_strerror (errno));
        return;
      }
  }
  g_free (entry->name);
  entry->name = g_steal_pointer (&name);
  g_free (entry->subdir);
  entry->subdir = g_strdup (subdir);
}

static GHashTable *
user_subscriptions (Maildir    *md,
                    const char *address)
{
  g_autofree char *key = g_ascii_strdown (address, -1);
  GHashTable *subs = g_hash_table_lookup (md->users, key);

  if (subs == NULL)
    {
      subs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_insert (md->users, g_steal_pointer (&key), subs);
    }
  return subs;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
write_subscriptions (Maildir     *md,
                     const char  *address,
                     GError     **error)
{
  GHashTable *subs = user_subscriptions (md, address);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *root = user_root (md, address);
  g_autofree char *path = g_build_filename (root, SUBSCRIPTIONS_NAME, NULL);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, subs);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, key);
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (text, "%s\n", (char *) g_ptr_array_index (names, i));
  return g_file_set_contents (path, text->str, text->len, error);
}

static Folder *
find_folder (Maildir    *md,
             const char *address,
             const char *name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, md->folders);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Folder *folder = value;

      if (g_ascii_strcasecmp (folder->address, address) == 0
          && strcmp (ms_mailbox_get_name (folder->mailbox), name) == 0)
        return folder;
    }
  return NULL;
}

/* Puts one folder on disk, or takes it from disk: directories, messages, uid list. */
static gboolean
attach_folder (Maildir    *md,
               const char *address,
               MsMailbox  *mailbox,
               GError    **error)
{
  const char *name = ms_mailbox_get_name (mailbox);
  gboolean is_inbox = g_ascii_strcasecmp (name, "INBOX") == 0;
  Folder *folder;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (disk_file_free);
  Uidlist list = { 0 };
  UidlistState state;
  g_autoptr(GError) local = NULL;
  gboolean ok = FALSE;

  if (g_hash_table_contains (md->folders, mailbox))
    return TRUE;

  folder = g_new0 (Folder, 1);
  folder->md = md;
  folder->address = g_strdup (address);
  folder->mailbox = g_object_ref (mailbox);
  folder->dir = folder_dir (md, address, name);
  folder->entries = g_hash_table_new_full (NULL, NULL, NULL, entry_free);
  folder->keywords = g_ptr_array_new_with_free_func (g_free);

  if (!make_dirs (folder->dir, !is_inbox, error))
    goto out;
  read_keywords (folder);
  state = read_uidlist (folder->dir, &list, &local);
  if (local != NULL)
    {
      /* Unreadable (not merely wrong): stop rather than renumber what may be fine. */
      g_propagate_error (error, g_steal_pointer (&local));
      goto out;
    }
  if (!scan_files (folder->dir, files, error))
    goto out;

  if (ms_mailbox_get_n_messages (mailbox) > 0)
    {
      /* Messages put in before attaching (seeded demo mail) go to an empty folder. */
      if (files->len > 0)
        {
          g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS,
                       "%s already holds messages and so does %s on disk; not merging",
                       name, folder->dir);
          goto out;
        }
      ms_mailbox_set_uidvalidity (mailbox, next_uidvalidity (md));
      for (guint i = 0; i < ms_mailbox_get_n_messages (mailbox); i++)
        if (!write_message (folder, ms_mailbox_get_message (mailbox, i), error))
          goto out;
    }
  else
    {
      guint32 uidnext = 1;

      if (state == UIDLIST_OK)
        {
          md->last_uidvalidity = MAX (md->last_uidvalidity, list.uidvalidity);
          ms_mailbox_set_uidvalidity (mailbox, list.uidvalidity);
          uidnext = list.uidnext;
          for (guint i = 0; i < files->len; i++)
            {
              DiskFile *file = g_ptr_array_index (files, i);

              file->uid = GPOINTER_TO_UINT (g_hash_table_lookup (list.uid_by_base, file->base));
            }
        }
      else
        {
          if (state == UIDLIST_CORRUPT)
            {
              /* Safe rebuild: keep the bad list for inspection; every message gets a new
               * uid under a new UIDVALIDITY so that clients resynchronise. */
              g_autofree char *bad = g_build_filename (folder->dir, UIDLIST_NAME, NULL);
              g_autofree char *kept = g_build_filename (folder->dir, UIDLIST_KEPT_NAME, NULL);

              g_warning ("Maildir: %s is corrupt (%s); rebuilding it with a new UIDVALIDITY",
                         bad, list.problem ? list.problem : "?");
              g_rename (bad, kept);
              if (list.uidvalidity > md->last_uidvalidity)
                md->last_uidvalidity = list.uidvalidity;
            }
          ms_mailbox_set_uidvalidity (mailbox, next_uidvalidity (md));
        }

      /* The same base twice (a copy left in new/ and cur/, say) would share a uid:
       * give the later one a fresh name; it is a message of its own. */
      {
        g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

        for (guint i = 0; i < files->len; i++)
          {
            DiskFile *file = g_ptr_array_index (files, i);
            const char *colon = strchr (file->name, ':');
            g_autofree char *base = NULL;
            g_autofree char *fresh = NULL;
            g_autofree char *from = NULL;
            g_autofree char *to = NULL;

            if (g_hash_table_add (seen, file->base))
              continue;
            base = unique_base (md);
            fresh = g_strconcat (base, colon ? colon : "", NULL);
            from = g_build_filename (folder->dir, file->subdir, file->name, NULL);
            to = g_build_filename (folder->dir, file->subdir, fresh, NULL);
            if (g_rename (from, to) != 0)
              {
                set_io_error (error, errno, "cannot rename", from);
                goto out;
              }
            g_free (file->base);
            file->base = g_steal_pointer (&base);
            g_free (file->name);
            file->name = g_steal_pointer (&fresh);
            file->uid = 0;
            g_hash_table_add (seen, file->base);
          }
      }
      g_ptr_array_sort (files, compare_disk_files);
      md->loading = TRUE;
      for (guint i = 0; i < files->len; i++)
        {
          DiskFile *file = g_ptr_array_index (files, i);
          g_autofree char *path = g_build_filename (folder->dir, file->subdir, file->name, NULL);
          g_autofree char *contents = NULL;
          gsize len;
          g_autoptr(GBytes) raw = NULL;
          g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func (g_free);
          MsMessageFlags flags = 0;
          const char *colon = strchr (file->name, ':');
          MsStoredMessage *message;
          Entry *entry;

          if (!g_file_get_contents (path, &contents, &len, &local))
            {
              md->loading = FALSE;
              g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_IO,
                           "cannot read %s: %s", path, local->message);
              goto out;
            }
          raw = to_crlf (g_steal_pointer (&contents), len);
          if (colon != NULL)
            parse_info (folder, colon + 1, &flags, keywords);
          if (strcmp (file->subdir, "new") == 0)
            flags |= MS_FLAG_RECENT;
          g_ptr_array_add (keywords, NULL);
          if (file->uid == 0)
            file->uid = uidnext;
          message = ms_mailbox_append_with_uid (mailbox, file->uid, raw, flags,
                                                (const char * const *) keywords->pdata,
                                                file->mtime);
          uidnext = MAX (uidnext, file->uid + 1);
          message->file_name = g_strdup (file->base);
          entry = g_new0 (Entry, 1);
          entry->base = g_strdup (file->base);
          entry->subdir = g_strdup (file->subdir);
          entry->name = g_strdup (file->name);
          g_hash_table_insert (folder->entries, GUINT_TO_POINTER (file->uid), entry);
        }
      md->loading = FALSE;
      ms_mailbox_set_uidnext (mailbox, uidnext);
    }
  if (!write_uidlist (folder, error))
    goto out;

  folder->handlers[0] = g_signal_connect (mailbox, "message-added",
                                          G_CALLBACK (on_message_added), folder);
  folder->handlers[1] = g_signal_connect (mailbox, "message-expunged",
                                          G_CALLBACK (on_message_expunged), folder);
  folder->handlers[2] = g_signal_connect (mailbox, "flags-changed",
                                          G_CALLBACK (on_flags_changed), folder);
  g_hash_table_insert (md->folders, mailbox, g_steal_pointer (&folder));
  ok = TRUE;

out:
  uidlist_clear (&list);
  if (folder != NULL)
    folder_free (folder);
  return ok;
}

static gboolean
remove_tree (const char  *path,
             GError     **error)
{
  g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL)
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          {
            if (!remove_tree (child, error))
              return FALSE;
          }
        else if (g_unlink (child) != 0)
          return set_io_error (error, errno, "cannot remove", child);
      }
  if (g_rmdir (path) != 0 && errno != ENOENT)
    return set_io_error (error, errno, "cannot remove", path);
  return TRUE;
}

static gboolean load_user (Maildir *md, const char *address, GError **error);

static void
on_mailbox_created (MsMailStore *store,
                    const char  *address,
                    MsMailbox   *mailbox,
                    Maildir     *md)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = g_ascii_strdown (address, -1);

  if (!g_hash_table_contains (md->users, key))
    {
      /* A user added after attaching: their INBOX comes first; load what disk has. */
      if (!load_user (md, address, &error))
        g_warning ("Maildir: %s", error->message);
      return;
    }
  if (!md->loading && ms_mailbox_get_n_messages (mailbox) == 0)
    ms_mailbox_set_uidvalidity (mailbox, next_uidvalidity (md));
  if (!attach_folder (md, address, mailbox, &error))
    g_warning ("Maildir: %s", error->message);
}

static void
on_mailbox_deleted (MsMailStore *store,
                    const char  *address,
                    const char  *name,
                    Maildir     *md)
{
  Folder *folder = find_folder (md, address, name);
  g_autoptr(GError) error = NULL;
  GHashTable *subs = user_subscriptions (md, address);

  if (folder != NULL)
    {
      if (!remove_tree (folder->dir, &error))
        g_warning ("Maildir: %s", error->message);
      g_hash_table_remove (md->folders, folder->mailbox);
    }
  if (g_hash_table_remove (subs, name) && !write_subscriptions (md, address, &error))
    g_warning ("Maildir: %s", error->message);
}

static void
on_mailbox_renamed (MsMailStore *store,
                    const char  *address,
                    const char  *old_name,
                    MsMailbox   *mailbox,
                    Maildir     *md)
{
  Folder *folder = g_hash_table_lookup (md->folders, mailbox);
  g_autoptr(GError) error = NULL;
  GHashTable *subs = user_subscriptions (md, address);

  if (folder != NULL)
    {
      g_autofree char *to = folder_dir (md, address, ms_mailbox_get_name (mailbox));

      /* Maildir++ is flat: sub-folders get their own rename signal and directory. */
      if (g_rename (folder->dir, to) != 0)
        g_warning ("Maildir: cannot rename %s to %s: %s", folder->dir, to, g_strerror (errno));
      else
        {
          g_free (folder->dir);
          folder->dir = g_steal_pointer (&to);
        }
    }
  if (g_hash_table_remove (subs, old_name))
    {
      g_hash_table_add (subs, g_strdup (ms_mailbox_get_name (mailbox)));
      if (!write_subscriptions (md, address, &error))
        g_warning ("Maildir: %s", error->message);
    }
}

static void
on_subscription_changed (MsMailStore *store,
                         const char  *address,
                         const char  *name,
                         gboolean     subscribed,
                         Maildir     *md)
{
  GHashTable *subs = user_subscriptions (md, address);
  g_autoptr(GError) error = NULL;

  if (md->loading)
    return;
  if (subscribed)
    g_hash_table_add (subs, g_strdup (name));
  else
    g_hash_table_remove (subs, name);
  if (!write_subscriptions (md, address, &error))
    g_warning ("Maildir: %s", error->message);
}

static gboolean
load_user (Maildir     *md,
           const char  *address,
           GError     **error)
{
  g_autofree char *root = user_root (md, address);
  g_autofree char *subs_path = g_build_filename (root, SUBSCRIPTIONS_NAME, NULL);
  g_autofree char *subs_text = NULL;
  g_autoptr(GDir) d = NULL;
  g_autoptr(GPtrArray) mailboxes = NULL;
  GHashTable *subs;
  const char *leaf;

  subs = user_subscriptions (md, address);   /* marks the user as known */
  if (!make_dirs (root, FALSE, error))
    return FALSE;

  /* Folders on disk become folders of the store (their parents too, RFC 3501 §6.3.3);
   * mailbox-created then attaches each one. */
  d = g_dir_open (root, 0, NULL);
  while (d != NULL && (leaf = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *name = folder_name_from_dir (leaf);
      g_autofree char *path = g_build_filename (root, leaf, "cur", NULL);
      g_autoptr(GError) local = NULL;

      if (name == NULL || !g_file_test (path, G_FILE_TEST_IS_DIR)
          || ms_mail_store_get_mailbox (md->store, address, name) != NULL)
        continue;
      if (ms_mail_store_create_mailbox (md->store, address, name, &local) == NULL)
        g_warning ("Maildir: ignoring %s/%s: %s", root, leaf, local->message);
    }

  mailboxes = ms_mail_store_list_mailboxes (md->store, address);
  for (guint i = 0; i < mailboxes->len; i++)
    if (!attach_folder (md, address, g_ptr_array_index (mailboxes, i), error))
      return FALSE;

  /* Subscriptions: the file when there is one, else what the store has now. */
  if (g_file_get_contents (subs_path, &subs_text, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (subs_text, "\n", -1);

      md->loading = TRUE;
      for (guint i = 0; i < mailboxes->len; i++)
        ms_mail_store_set_subscribed (md->store, address,
                                      ms_mailbox_get_name (g_ptr_array_index (mailboxes, i)),
                                      FALSE);
      for (guint i = 0; lines[i] != NULL; i++)
        if (lines[i][0] != '\0')
          {
            ms_mail_store_set_subscribed (md->store, address, lines[i], TRUE);
            g_hash_table_add (subs, g_strdup (lines[i]));
          }
      md->loading = FALSE;
    }
  else
    {
      /* The store subscribes INBOX when it adds a user, without a signal. */
      g_hash_table_add (subs, g_strdup ("INBOX"));
      for (guint i = 0; i < mailboxes->len; i++)
        {
          const char *name = ms_mailbox_get_name (g_ptr_array_index (mailboxes, i));

          if (ms_mail_store_is_subscribed (md->store, address, name))
            g_hash_table_add (subs, g_strdup (name));
        }
      if (!write_subscriptions (md, address, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
ms_mail_store_attach_directory (MsMailStore  *self,
                                const char   *path,
                                GError      **error)
{
  Maildir *md;
  g_auto(GStrv) users = NULL;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (ms_mail_store_get_directory (self) != NULL)
    {
      g_set_error (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS,
                   "the store is already attached to %s", ms_mail_store_get_directory (self));
      return FALSE;
    }
  if (g_mkdir_with_parents (path, 0700) != 0)
    return set_io_error (error, errno, "cannot create", path);

  md = g_new0 (Maildir, 1);
  md->store = self;
  md->root = g_canonicalize_filename (path, NULL);
  md->folders = g_hash_table_new_full (NULL, NULL, NULL, folder_free);
  md->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_hash_table_unref);
  g_object_set_data_full (G_OBJECT (self), STATE_KEY, md, maildir_free);
  read_last_uidvalidity (md);

  g_signal_connect (self, "mailbox-created", G_CALLBACK (on_mailbox_created), md);
  g_signal_connect (self, "mailbox-deleted", G_CALLBACK (on_mailbox_deleted), md);
  g_signal_connect (self, "mailbox-renamed", G_CALLBACK (on_mailbox_renamed), md);
  g_signal_connect (self, "subscription-changed", G_CALLBACK (on_subscription_changed), md);

  users = ms_mail_store_dup_users (self);
  for (guint i = 0; users[i] != NULL; i++)
    if (!load_user (md, users[i], error))
      {
        /* Stop following the store; what was loaded stays in memory. */
        g_signal_handlers_disconnect_by_data (self, md);
        g_object_set_data (G_OBJECT (self), STATE_KEY, NULL);
        return FALSE;
      }
  return TRUE;
}

const char *
ms_mail_store_get_directory (MsMailStore *self)
{
  Maildir *md;

  g_return_val_if_fail (MS_IS_MAIL_STORE (self), NULL);

  md = g_object_get_data (G_OBJECT (self), STATE_KEY);
  return md ? md->root : NULL;
}
