/* ms-imap-commands.c: the IMAP command table and the handlers of non-message commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-imap-commands"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ms-imap-private.h"

#define ARG(cmd, i) ((MsImapArg *) g_ptr_array_index ((cmd)->args, (i)))

#define ANY_STATE (MS_IMAP_IN (MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED) \
                   | MS_IMAP_IN (MS_IMAP_SERVER_STATE_AUTHENTICATED) \
                   | MS_IMAP_IN (MS_IMAP_SERVER_STATE_SELECTED))
#define NOT_AUTH  MS_IMAP_IN (MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED)
#define AUTHED    (MS_IMAP_IN (MS_IMAP_SERVER_STATE_AUTHENTICATED) \
                   | MS_IMAP_IN (MS_IMAP_SERVER_STATE_SELECTED))
#define SELECTED  MS_IMAP_IN (MS_IMAP_SERVER_STATE_SELECTED)

static gboolean
plaintext_allowed (MsImapServer *self)
{
  return self->allow_plain_login_without_tls || ms_engine_is_tls_active (MS_ENGINE (self));
}

/* A mailbox name for output: modified UTF-7, then an atom when it can be, else quoted. */
static void
append_mailbox_name (GString    *out,
                     const char *name)
{
  g_autofree char *s = ms_imap_mutf7_encode (name);

  if (ms_imap_atom_is_valid (s) && g_ascii_strcasecmp (s, "NIL") != 0)
    g_string_append (out, s);
  else
    ms_imap_append_string (out, s, strlen (s));
}

/* Ascending numbers as a compact set: 1:3,7,9:10 (RFC 4315 uid-set). */
static char *
format_set (GArray *numbers)
{
  GString *out = g_string_new (NULL);
  guint i = 0;

  while (i < numbers->len)
    {
      guint32 lo = g_array_index (numbers, guint32, i);
      guint32 hi = lo;

      while (i + 1 < numbers->len && g_array_index (numbers, guint32, i + 1) == hi + 1)
        hi = g_array_index (numbers, guint32, ++i);
      if (out->len > 0)
        g_string_append_c (out, ',');
      if (hi == lo)
        g_string_append_printf (out, "%u", lo);
      else
        g_string_append_printf (out, "%u:%u", lo, hi);
      i++;
    }
  return g_string_free (out, FALSE);
}

static void
refuse_store_error (MsImapServer  *self,
                    MsImapCommand *cmd,
                    GError        *error)
{
  if (g_error_matches (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_NO_SUCH_MAILBOX))
    _ms_imap_server_complete (self, cmd, "NO", "[NONEXISTENT] %s", error->message);
  else if (g_error_matches (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_EXISTS))
    _ms_imap_server_complete (self, cmd, "NO", "[ALREADYEXISTS] %s", error->message);
  else if (g_error_matches (error, MS_MAIL_STORE_ERROR, MS_MAIL_STORE_ERROR_INVALID_NAME))
    _ms_imap_server_complete (self, cmd, "NO", "[CANNOT] %s", error->message);
  else
    _ms_imap_server_complete (self, cmd, "NO", "%s", error->message);
}

/* ------------------------------------------------------------------------------------- */
/* Any state (RFC 3501 §6.1)                                                               */

/* RFC 3501 §6.1.1 CAPABILITY */
static void
proceed_capability (MsImapServer  *self,
                    MsImapCommand *cmd)
{
  _ms_imap_server_send_capability (self);
  _ms_imap_server_complete (self, cmd, "OK", "CAPABILITY completed");
}

/* RFC 3501 §6.1.2 NOOP: also the polite way to ask for mailbox updates */
static void
proceed_noop (MsImapServer  *self,
              MsImapCommand *cmd)
{
  _ms_imap_server_complete (self, cmd, "OK", "NOOP completed");
}

/* RFC 3501 §6.1.3 LOGOUT */
static void
proceed_logout (MsImapServer  *self,
                MsImapCommand *cmd)
{
  _ms_imap_server_untagged (self, "BYE %s IMAP4rev1 server logging out", self->hostname);
  _ms_imap_server_unselect (self);
  _ms_imap_server_tagged (self, cmd->tag, "OK", "LOGOUT completed");
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_LOGOUT);
  ms_engine_request_close (MS_ENGINE (self));
}

/* RFC 2971 ID */
static gboolean
check_id (MsImapServer  *self,
          MsImapCommand *cmd)
{
  if (cmd->args->len != 1 || (ARG (cmd, 0)->type != MS_IMAP_ARG_LIST
                              && !ms_imap_arg_is_atom (ARG (cmd, 0), "NIL")))
    {
      _ms_imap_server_bad (self, cmd, "ID expects a list or NIL");
      return FALSE;
    }
  return TRUE;
}

static void
proceed_id (MsImapServer  *self,
            MsImapCommand *cmd)
{
  _ms_imap_server_untagged (self, "ID (\"name\" \"MailSim\" \"version\" \"%s\")", PACKAGE_VERSION);
  _ms_imap_server_complete (self, cmd, "OK", "ID completed");
}

/* ------------------------------------------------------------------------------------- */
/* Not authenticated (RFC 3501 §6.2)                                                       */

/* RFC 3501 §6.2.1 STARTTLS */
static gboolean
check_starttls (MsImapServer  *self,
                MsImapCommand *cmd)
{
  if (ms_engine_is_tls_active (MS_ENGINE (self)))
    {
      _ms_imap_server_bad (self, cmd, "TLS is already active");
      return FALSE;
    }
  if (!self->tls_available)
    {
      _ms_imap_server_complete (self, cmd, "NO", "TLS is not available on this server");
      return FALSE;
    }
  return TRUE;
}

static void
proceed_starttls (MsImapServer  *self,
                  MsImapCommand *cmd)
{
  _ms_imap_server_tagged (self, cmd->tag, "OK", "Begin TLS negotiation now");
  ms_imap_parser_reset (self->parser);
  ms_engine_request_tls (MS_ENGINE (self));
}

/* RFC 3501 §6.2.3 LOGIN */
static gboolean
check_login (MsImapServer  *self,
             MsImapCommand *cmd)
{
  if (!plaintext_allowed (self))
    {
      _ms_imap_server_complete (self, cmd, "NO",
                                "[PRIVACYREQUIRED] Plaintext login is disabled until STARTTLS");
      return FALSE;
    }
  return TRUE;
}

static void
proceed_login (MsImapServer  *self,
               MsImapCommand *cmd)
{
  const char *user = ms_mail_store_check_password (self->store, ARG (cmd, 0)->str,
                                                   ARG (cmd, 1)->str);

  if (user == NULL)
    {
      /* RFC 5530: say it was the credentials, and not which half. */
      _ms_imap_server_complete (self, cmd, "NO",
                                "[AUTHENTICATIONFAILED] Authentication failed");
      return;
    }
  g_free (self->user);
  self->user = g_strdup (user);
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_AUTHENTICATED);
  {
    g_autofree char *caps = _ms_imap_server_dup_capability (self);
    _ms_imap_server_complete (self, cmd, "OK", "[CAPABILITY %s] Logged in", caps);
  }
}

/* RFC 3501 §6.2.2 AUTHENTICATE */
static gboolean
check_authenticate (MsImapServer  *self,
                    MsImapCommand *cmd)
{
  if (cmd->args->len > 2)
    {
      _ms_imap_server_bad (self, cmd, "Too many arguments for AUTHENTICATE");
      return FALSE;
    }
  if (cmd->args->len == 2 && ARG (cmd, 1)->type != MS_IMAP_ARG_ATOM)
    {
      _ms_imap_server_bad (self, cmd, "Invalid initial response");
      return FALSE;
    }
  if (g_ascii_strcasecmp (ARG (cmd, 0)->str, "PLAIN") != 0)
    {
      _ms_imap_server_complete (self, cmd, "NO", "Unsupported authentication mechanism");
      return FALSE;
    }
  if (!plaintext_allowed (self))
    {
      _ms_imap_server_complete (self, cmd, "NO",
                                "[PRIVACYREQUIRED] Plaintext authentication is disabled until "
                                "STARTTLS");
      return FALSE;
    }
  return TRUE;
}

static void
proceed_authenticate (MsImapServer  *self,
                      MsImapCommand *cmd)
{
  _ms_imap_server_begin_authenticate (self, cmd->tag,
                                      cmd->args->len == 2 ? ARG (cmd, 1)->str : NULL);
}

/* ------------------------------------------------------------------------------------- */
/* Authenticated (RFC 3501 §6.3)                                                           */

/* RFC 5161 ENABLE: nothing here changes behaviour, so nothing is enabled. */
static void
proceed_enable (MsImapServer  *self,
                MsImapCommand *cmd)
{
  _ms_imap_server_untagged (self, "ENABLED");
  _ms_imap_server_complete (self, cmd, "OK", "ENABLE completed");
}

/* RFC 2342 NAMESPACE: one personal namespace, no others */
static void
proceed_namespace (MsImapServer  *self,
                   MsImapCommand *cmd)
{
  _ms_imap_server_untagged (self, "NAMESPACE ((\"\" \"%c\")) NIL NIL", MS_MAILBOX_DELIMITER);
  _ms_imap_server_complete (self, cmd, "OK", "NAMESPACE completed");
}

static void
append_mailbox_flags (MsImapServer *self,
                      GString      *out,
                      MsMailbox    *mailbox)
{
  g_autoptr(GPtrArray) keywords = g_ptr_array_new ();
  guint n = ms_mailbox_get_n_messages (mailbox);

  g_string_append (out, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
  for (guint i = 0; i < n; i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (mailbox, i);

      for (guint k = 0; m->keywords != NULL && m->keywords[k] != NULL; k++)
        {
          gboolean seen = FALSE;
          for (guint j = 0; j < keywords->len && !seen; j++)
            seen = g_ascii_strcasecmp (g_ptr_array_index (keywords, j), m->keywords[k]) == 0;
          if (!seen)
            g_ptr_array_add (keywords, m->keywords[k]);
        }
    }
  for (guint j = 0; j < keywords->len; j++)
    g_string_append_printf (out, " %s", (const char *) g_ptr_array_index (keywords, j));
  g_string_append_c (out, ')');
}

/* RFC 3501 §6.3.1 SELECT and §6.3.2 EXAMINE */
static void
select_mailbox (MsImapServer  *self,
                MsImapCommand *cmd,
                gboolean       read_only)
{
  MsMailbox *mailbox = ms_mail_store_get_mailbox (self->store, self->user, ARG (cmd, 0)->str);
  g_autoptr(GString) flags = g_string_new (NULL);
  guint first_unseen = 0;
  guint recent;

  if (self->selected != NULL)
    {
      /* RFC 9051 §7.1: the old mailbox is closed (without expunge) first. */
      _ms_imap_server_unselect (self);
      _ms_imap_server_untagged (self, "OK [CLOSED] Previous mailbox closed");
    }
  if (mailbox == NULL)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[NONEXISTENT] Mailbox does not exist");
      return;
    }
  _ms_imap_server_select (self, mailbox, read_only);

  append_mailbox_flags (self, flags, mailbox);
  for (guint i = 0; i < self->view->len && first_unseen == 0; i++)
    {
      MsStoredMessage *m = _ms_imap_server_message_at (self, i + 1);
      if (m != NULL && !(m->flags & MS_FLAG_SEEN))
        first_unseen = i + 1;
    }
  recent = read_only ? ms_mailbox_count_flag (mailbox, MS_FLAG_RECENT, TRUE)
                     : g_hash_table_size (self->recent);

  _ms_imap_server_untagged (self, "FLAGS %s", flags->str);
  _ms_imap_server_untagged (self, "%u EXISTS", self->view->len);
  _ms_imap_server_untagged (self, "%u RECENT", recent);
  if (first_unseen > 0)
    _ms_imap_server_untagged (self, "OK [UNSEEN %u] Message %u is first unseen",
                              first_unseen, first_unseen);
  _ms_imap_server_untagged (self, "OK [UIDVALIDITY %u] UIDs valid",
                            ms_mailbox_get_uidvalidity (mailbox));
  _ms_imap_server_untagged (self, "OK [UIDNEXT %u] Predicted next UID",
                            ms_mailbox_get_uidnext (mailbox));
  if (read_only)
    _ms_imap_server_untagged (self, "OK [PERMANENTFLAGS ()] No permanent flags permitted");
  else
    {
      /* The same list plus \* : clients may create keywords too. */
      g_autoptr(GString) permanent = g_string_new (flags->str);

      g_string_insert (permanent, permanent->len - 1, " \\*");
      _ms_imap_server_untagged (self, "OK [PERMANENTFLAGS %s] Flags permitted", permanent->str);
    }
  _ms_imap_server_complete (self, cmd, "OK", "%s %s completed",
                            read_only ? "[READ-ONLY]" : "[READ-WRITE]",
                            read_only ? "EXAMINE" : "SELECT");
}

static void
proceed_select (MsImapServer  *self,
                MsImapCommand *cmd)
{
  select_mailbox (self, cmd, FALSE);
}

static void
proceed_examine (MsImapServer  *self,
                 MsImapCommand *cmd)
{
  select_mailbox (self, cmd, TRUE);
}

/* RFC 3501 §6.3.3 CREATE */
static void
proceed_create (MsImapServer  *self,
                MsImapCommand *cmd)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup (ARG (cmd, 0)->str);
  gsize len = strlen (name);

  /* A trailing delimiter only says the client means to create children. */
  if (len > 1 && name[len - 1] == MS_MAILBOX_DELIMITER)
    name[len - 1] = '\0';
  if (g_ascii_strcasecmp (name, "INBOX") == 0)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[ALREADYEXISTS] INBOX always exists");
      return;
    }
  if (ms_mail_store_create_mailbox (self->store, self->user, name, &error) == NULL)
    {
      refuse_store_error (self, cmd, error);
      return;
    }
  _ms_imap_server_complete (self, cmd, "OK", "CREATE completed");
}

/* RFC 3501 §6.3.4 DELETE */
static void
proceed_delete (MsImapServer  *self,
                MsImapCommand *cmd)
{
  g_autoptr(GError) error = NULL;

  if (self->selected != NULL
      && g_ascii_strcasecmp (ms_mailbox_get_name (self->selected), ARG (cmd, 0)->str) == 0)
    {
      /* Leaving a session on a deleted mailbox helps nobody: close it first. */
      _ms_imap_server_unselect (self);
      _ms_imap_server_untagged (self, "OK [CLOSED] Mailbox closed");
    }
  if (!ms_mail_store_delete_mailbox (self->store, self->user, ARG (cmd, 0)->str, &error))
    {
      refuse_store_error (self, cmd, error);
      return;
    }
  _ms_imap_server_complete (self, cmd, "OK", "DELETE completed");
}

/* RFC 3501 §6.3.5 RENAME */
static void
proceed_rename (MsImapServer  *self,
                MsImapCommand *cmd)
{
  g_autoptr(GError) error = NULL;

  if (!ms_mail_store_rename_mailbox (self->store, self->user, ARG (cmd, 0)->str,
                                     ARG (cmd, 1)->str, &error))
    {
      refuse_store_error (self, cmd, error);
      return;
    }
  _ms_imap_server_complete (self, cmd, "OK", "RENAME completed");
}

/* RFC 3501 §6.3.6 SUBSCRIBE and §6.3.7 UNSUBSCRIBE */
static void
proceed_subscribe (MsImapServer  *self,
                   MsImapCommand *cmd)
{
  if (ms_mail_store_get_mailbox (self->store, self->user, ARG (cmd, 0)->str) == NULL)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[NONEXISTENT] Mailbox does not exist");
      return;
    }
  ms_mail_store_set_subscribed (self->store, self->user, ARG (cmd, 0)->str, TRUE);
  _ms_imap_server_complete (self, cmd, "OK", "SUBSCRIBE completed");
}

static void
proceed_unsubscribe (MsImapServer  *self,
                     MsImapCommand *cmd)
{
  if (!ms_mail_store_is_subscribed (self->store, self->user, ARG (cmd, 0)->str))
    {
      _ms_imap_server_complete (self, cmd, "NO", "[NONEXISTENT] Not subscribed");
      return;
    }
  ms_mail_store_set_subscribed (self->store, self->user, ARG (cmd, 0)->str, FALSE);
  _ms_imap_server_complete (self, cmd, "OK", "UNSUBSCRIBE completed");
}

/* RFC 3501 §6.3.8: "*" matches anything, "%" anything but the hierarchy delimiter.
 * Dynamic programming over (pattern position, name position): backtracking would take
 * exponential time on patterns such as "*a*a*a*a*b". */
static gboolean
wildcard_match (const char *pattern,
                const char *name)
{
  gsize n = strlen (name);
  g_autofree gboolean *row = g_new0 (gboolean, n + 1);
  g_autofree gboolean *next = g_new0 (gboolean, n + 1);

  row[0] = TRUE;  /* the empty pattern matches the empty name */
  for (const char *p = pattern; *p != '\0'; p++)
    {
      gboolean any = FALSE;

      for (gsize j = 0; j <= n; j++)
        {
          if (*p == '*')
            next[j] = (any |= row[j]);
          else if (*p == '%')
            next[j] = row[j] || (j > 0 && next[j - 1] && name[j - 1] != MS_MAILBOX_DELIMITER);
          else
            next[j] = j > 0 && row[j - 1] && name[j - 1] == *p;
          any |= next[j];
        }
      if (!any)
        return FALSE;
      {
        gboolean *t = row;
        row = next;
        next = t;
      }
    }
  return row[n];
}

static gboolean
name_matches (const char *pattern,
              const char *name)
{
  /* INBOX is case-insensitive: match it in the pattern's spelling. */
  if (g_ascii_strncasecmp (name, "INBOX", 5) == 0
      && (name[5] == '\0' || name[5] == MS_MAILBOX_DELIMITER))
    {
      g_autofree char *p = g_strdup (pattern);
      if (g_ascii_strncasecmp (p, "INBOX", 5) == 0)
        memcpy (p, "INBOX", 5);
      return wildcard_match (p, name);
    }
  return wildcard_match (pattern, name);
}

typedef struct
{
  char     *name;
  gboolean  exists;
  gboolean  children;
} ListEntry;

static void
list_entry_free (gpointer data)
{
  ListEntry *e = data;
  g_free (e->name);
  g_free (e);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const ListEntry *x = *(ListEntry * const *) a;
  const ListEntry *y = *(ListEntry * const *) b;
  gboolean xi = strcmp (x->name, "INBOX") == 0;
  gboolean yi = strcmp (y->name, "INBOX") == 0;

  if (xi != yi)
    return xi ? -1 : 1;
  return strcmp (x->name, y->name);
}

/* Names plus every parent level, so "%" can show a \Noselect parent. */
static GPtrArray *
collect_entries (GStrv names)
{
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *entries = g_ptr_array_new_with_free_func (list_entry_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      ListEntry *e = g_hash_table_lookup (seen, names[i]);

      if (e == NULL)
        {
          e = g_new0 (ListEntry, 1);
          e->name = g_strdup (names[i]);
          g_ptr_array_add (entries, e);
          g_hash_table_insert (seen, e->name, e);
        }
      e->exists = TRUE;
      for (char *slash = strrchr (names[i], MS_MAILBOX_DELIMITER); slash != NULL;
           slash = g_strrstr_len (names[i], slash - names[i], (char[]) { MS_MAILBOX_DELIMITER, 0 }))
        {
          g_autofree char *parent = g_strndup (names[i], slash - names[i]);
          ListEntry *p = g_hash_table_lookup (seen, parent);

          if (p == NULL)
            {
              p = g_new0 (ListEntry, 1);
              p->name = g_steal_pointer (&parent);
              g_ptr_array_add (entries, p);
              g_hash_table_insert (seen, p->name, p);
            }
          p->children = TRUE;
        }
    }
  g_hash_table_unref (seen);
  g_ptr_array_sort (entries, compare_entries);
  return entries;
}

/* RFC 3501 §6.3.8 LIST and §6.3.9 LSUB */
static void
list_or_lsub (MsImapServer  *self,
              MsImapCommand *cmd,
              gboolean       lsub)
{
  const char *reference = ARG (cmd, 0)->str;
  const char *pattern = ARG (cmd, 1)->str;
  g_autofree char *full = NULL;
  g_auto(GStrv) names = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  const char *verb = lsub ? "LSUB" : "LIST";

  if (!lsub && *pattern == '\0')
    {
      /* The delimiter and the root of the reference. */
      _ms_imap_server_untagged (self, "LIST (\\Noselect) \"%c\" \"\"", MS_MAILBOX_DELIMITER);
      _ms_imap_server_complete (self, cmd, "OK", "LIST completed");
      return;
    }
  full = g_strconcat (reference, pattern, NULL);

  if (lsub)
    names = ms_mail_store_dup_subscriptions (self->store, self->user);
  else
    {
      g_autoptr(GPtrArray) mailboxes = ms_mail_store_list_mailboxes (self->store, self->user);
      GPtrArray *n = g_ptr_array_new ();

      for (guint i = 0; i < mailboxes->len; i++)
        g_ptr_array_add (n, g_strdup (ms_mailbox_get_name (g_ptr_array_index (mailboxes, i))));
      g_ptr_array_add (n, NULL);
      names = (GStrv) g_ptr_array_free (n, FALSE);
    }
  entries = collect_entries (names);
  for (guint i = 0; i < entries->len; i++)
    {
      ListEntry *e = g_ptr_array_index (entries, i);
      g_autoptr(GString) line = NULL;

      if (!name_matches (full, e->name))
        continue;
      /* A level that is only a parent shows (as \Noselect) when "%" stops there;
       * "*" goes on to the real names below it. */
      if (!e->exists && strchr (full, '*') != NULL)
        continue;
      line = g_string_new (verb);
      g_string_append (line, " (");
      if (!e->exists)
        g_string_append (line, "\\Noselect");
      if (!lsub)
        g_string_append_printf (line, "%s%s", e->exists ? "" : " ",
                                e->children ? "\\HasChildren" : "\\HasNoChildren");
      g_string_append_printf (line, ") \"%c\" ", MS_MAILBOX_DELIMITER);
      append_mailbox_name (line, e->name);
      _ms_imap_server_untagged (self, "%s", line->str);
    }
  _ms_imap_server_complete (self, cmd, "OK", "%s completed", verb);
}

static void
proceed_list (MsImapServer  *self,
              MsImapCommand *cmd)
{
  list_or_lsub (self, cmd, FALSE);
}

static void
proceed_lsub (MsImapServer  *self,
              MsImapCommand *cmd)
{
  list_or_lsub (self, cmd, TRUE);
}

/* RFC 3501 §6.3.10 STATUS */
static gboolean
check_status (MsImapServer  *self,
              MsImapCommand *cmd)
{
  static const char * const items[] = { "MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN" };
  GPtrArray *list = ARG (cmd, 1)->list;

  if (list->len == 0)
    {
      _ms_imap_server_bad (self, cmd, "STATUS needs at least one item");
      return FALSE;
    }
  for (guint i = 0; i < list->len; i++)
    {
      MsImapArg *item = g_ptr_array_index (list, i);
      gboolean known = FALSE;

      for (guint j = 0; j < G_N_ELEMENTS (items); j++)
        known |= ms_imap_arg_is_atom (item, items[j]);
      if (!known)
        {
          _ms_imap_server_bad (self, cmd, "Unknown STATUS item %s",
                               item->type == MS_IMAP_ARG_ATOM ? item->str : "(list)");
          return FALSE;
        }
    }
  return TRUE;
}

static void
proceed_status (MsImapServer  *self,
                MsImapCommand *cmd)
{
  MsMailbox *mailbox = ms_mail_store_get_mailbox (self->store, self->user, ARG (cmd, 0)->str);
  GPtrArray *list = ARG (cmd, 1)->list;
  g_autoptr(GString) line = NULL;

  if (mailbox == NULL)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[NONEXISTENT] Mailbox does not exist");
      return;
    }
  line = g_string_new ("STATUS ");
  append_mailbox_name (line, ms_mailbox_get_name (mailbox));
  g_string_append (line, " (");
  for (guint i = 0; i < list->len; i++)
    {
      MsImapArg *item = g_ptr_array_index (list, i);
      g_autofree char *name = g_ascii_strup (item->str, -1);
      guint value = 0;

      if (strcmp (name, "MESSAGES") == 0)
        value = ms_mailbox_get_n_messages (mailbox);
      else if (strcmp (name, "RECENT") == 0)
        {
          value = ms_mailbox_count_flag (mailbox, MS_FLAG_RECENT, TRUE);
          if (mailbox == self->selected)
            value += g_hash_table_size (self->recent);
        }
      else if (strcmp (name, "UIDNEXT") == 0)
        value = ms_mailbox_get_uidnext (mailbox);
      else if (strcmp (name, "UIDVALIDITY") == 0)
        value = ms_mailbox_get_uidvalidity (mailbox);
      else
        value = ms_mailbox_count_flag (mailbox, MS_FLAG_SEEN, FALSE);
      g_string_append_printf (line, "%s%s %u", i > 0 ? " " : "", name, value);
    }
  g_string_append_c (line, ')');
  _ms_imap_server_untagged (self, "%s", line->str);
  _ms_imap_server_complete (self, cmd, "OK", "STATUS completed");
}

/* RFC 3501 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded). */
static gboolean
parse_date_time (const char *text,
                 gint64     *out)
{
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  int day, year, hh, mm, ss, zone;
  char mon[4] = { 0 };
  char sign;
  int month = -1;
  g_autoptr(GDateTime) dt = NULL;
  const char *p = text;

  if (*p == ' ')
    p++;
  if (sscanf (p, "%2d-%3c-%4d %2d:%2d:%2d %c%4d", &day, mon, &year, &hh, &mm, &ss, &sign,
              &zone) != 8 || (sign != '+' && sign != '-') || strlen (p) != (p[1] == '-' ? 25 : 26))
    return FALSE;
  for (int i = 0; i < 12; i++)
    if (g_ascii_strcasecmp (mon, months[i]) == 0)
      month = i + 1;
  if (month < 0 || zone % 100 >= 60)
    return FALSE;
  dt = g_date_time_new_utc (year, month, day, hh, mm, ss);
  if (dt == NULL)
    return FALSE;
  *out = g_date_time_to_unix (dt)
         - (sign == '+' ? 1 : -1) * ((zone / 100) * 3600 + (zone % 100) * 60);
  return TRUE;
}

/* RFC 3501 §6.3.11 APPEND: mailbox [flag-list] [date-time] literal */
static gboolean
check_append (MsImapServer  *self,
              MsImapCommand *cmd)
{
  guint n = cmd->args->len;
  guint i = 1;
  MsMessageFlags flags;
  const char *error = NULL;
  gint64 date;

  if (n < 2 || !ms_imap_arg_is_astring (ARG (cmd, 0)))
    {
      _ms_imap_server_bad (self, cmd, "APPEND needs a mailbox and a message");
      return FALSE;
    }
  if (i < n - 1 && ARG (cmd, i)->type == MS_IMAP_ARG_LIST)
    {
      if (!_ms_imap_parse_flags (ARG (cmd, i), &flags, NULL, &error))
        {
          _ms_imap_server_bad (self, cmd, "%s", error);
          return FALSE;
        }
      i++;
    }
  if (i < n - 1)
    {
      if (ARG (cmd, i)->type != MS_IMAP_ARG_QUOTED || !parse_date_time (ARG (cmd, i)->str, &date))
        {
          _ms_imap_server_bad (self, cmd, "Invalid date-time (expected \"dd-Mon-yyyy hh:mm:ss "
                               "+zzzz\")");
          return FALSE;
        }
      i++;
    }
  if (i != n - 1 || !ms_imap_arg_is_string (ARG (cmd, i)))
    {
      _ms_imap_server_bad (self, cmd, "APPEND expects the message as a literal");
      return FALSE;
    }
  return TRUE;
}

static void
proceed_append (MsImapServer  *self,
                MsImapCommand *cmd)
{
  MsMailbox *mailbox = ms_mail_store_get_mailbox (self->store, self->user, ARG (cmd, 0)->str);
  guint n = cmd->args->len;
  MsImapArg *message = ARG (cmd, n - 1);
  MsMessageFlags flags = 0;
  g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func (g_free);
  gint64 date = 0;
  guint i = 1;
  const char *error = NULL;
  g_autoptr(GBytes) raw = NULL;
  MsStoredMessage *stored;

  if (mailbox == NULL)
    {
      /* RFC 3501 §6.3.11: tell the client that CREATE would help. */
      _ms_imap_server_complete (self, cmd, "NO", "[TRYCREATE] Mailbox does not exist");
      return;
    }
  if (message->len == 0)
    {
      _ms_imap_server_complete (self, cmd, "NO", "Cannot append an empty message");
      return;
    }
  if (ARG (cmd, i)->type == MS_IMAP_ARG_LIST)
    _ms_imap_parse_flags (ARG (cmd, i++), &flags, keywords, &error);
  if (i < n - 1)
    parse_date_time (ARG (cmd, i)->str, &date);
  g_ptr_array_add (keywords, NULL);
  raw = g_bytes_new (message->str, message->len);
  /* \Recent goes with every new message (RFC 3501 §2.3.2). */
  stored = ms_mailbox_append (mailbox, raw, flags | MS_FLAG_RECENT,
                              (const char * const *) keywords->pdata, date);
  /* RFC 4315 APPENDUID */
  _ms_imap_server_complete (self, cmd, "OK", "[APPENDUID %u %u] APPEND completed",
                            ms_mailbox_get_uidvalidity (mailbox), stored->uid);
}

/* RFC 2177 IDLE */
static void
proceed_idle (MsImapServer  *self,
              MsImapCommand *cmd)
{
  _ms_imap_server_begin_idle (self, cmd->tag);
}

/* ------------------------------------------------------------------------------------- */
/* Selected (RFC 3501 §6.4)                                                                */

/* RFC 3501 §6.4.1 CHECK */
static void
proceed_check (MsImapServer  *self,
               MsImapCommand *cmd)
{
  _ms_imap_server_complete (self, cmd, "OK", "CHECK completed");
}

/* RFC 3501 §6.4.2 CLOSE: expunge silently, then leave */
static void
proceed_close (MsImapServer  *self,
               MsImapCommand *cmd)
{
  if (!self->read_only)
    {
      g_autoptr(GArray) gone = ms_mailbox_expunge_deleted (self->selected);
      (void) gone;
    }
  _ms_imap_server_unselect (self);
  _ms_imap_server_complete (self, cmd, "OK", "CLOSE completed");
}

/* RFC 3691 UNSELECT: leave without expunging */
static void
proceed_unselect (MsImapServer  *self,
                  MsImapCommand *cmd)
{
  _ms_imap_server_unselect (self);
  _ms_imap_server_complete (self, cmd, "OK", "UNSELECT completed");
}

static gboolean
check_writable (MsImapServer  *self,
                MsImapCommand *cmd)
{
  if (self->read_only)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[READ-ONLY] Mailbox is read-only");
      return FALSE;
    }
  return TRUE;
}

/* RFC 3501 §6.4.3 EXPUNGE, RFC 4315 UID EXPUNGE */
static void
proceed_expunge (MsImapServer  *self,
                 MsImapCommand *cmd)
{
  if (cmd->uid)
    {
      g_autoptr(GArray) seqs = _ms_imap_server_resolve_set (self, ARG (cmd, 0)->str, TRUE);
      g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));

      for (guint i = 0; seqs != NULL && i < seqs->len; i++)
        {
          MsStoredMessage *m = _ms_imap_server_message_at (self, g_array_index (seqs, guint, i));
          if (m != NULL && (m->flags & MS_FLAG_DELETED))
            g_array_append_val (uids, m->uid);
        }
      for (guint i = 0; i < uids->len; i++)
        ms_mailbox_expunge_uid (self->selected, g_array_index (uids, guint32, i));
    }
  else
    {
      g_autoptr(GArray) gone = ms_mailbox_expunge_deleted (self->selected);
      (void) gone;
    }
  /* The EXPUNGE responses come from the update flush, in the right order. */
  _ms_imap_server_complete (self, cmd, "OK", "EXPUNGE completed");
}

/* RFC 3501 §6.4.6 STORE */
static gboolean
check_store (MsImapServer  *self,
             MsImapCommand *cmd)
{
  const char *item = ARG (cmd, 1)->str;
  const char *base = item[0] == '+' || item[0] == '-' ? item + 1 : item;
  MsMessageFlags flags;
  const char *error = NULL;

  if (g_ascii_strcasecmp (base, "FLAGS") != 0 && g_ascii_strcasecmp (base, "FLAGS.SILENT") != 0)
    {
      _ms_imap_server_bad (self, cmd, "Invalid STORE item %s (expected [+-]FLAGS[.SILENT])",
                           item);
      return FALSE;
    }
  if (cmd->args->len < 3)
    {
      _ms_imap_server_bad (self, cmd, "STORE needs a flag list");
      return FALSE;
    }
  if (cmd->args->len == 3 && ARG (cmd, 2)->type == MS_IMAP_ARG_LIST)
    {
      if (!_ms_imap_parse_flags (ARG (cmd, 2), &flags, NULL, &error))
        {
          _ms_imap_server_bad (self, cmd, "%s", error);
          return FALSE;
        }
    }
  else
    for (guint i = 2; i < cmd->args->len; i++)
      if (!_ms_imap_parse_flags (ARG (cmd, i), &flags, NULL, &error))
        {
          _ms_imap_server_bad (self, cmd, "%s", error);
          return FALSE;
        }
  return check_writable (self, cmd);
}

static gboolean
has_keyword (GPtrArray  *keywords,
             const char *word)
{
  for (guint i = 0; i < keywords->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (keywords, i), word) == 0)
      return TRUE;
  return FALSE;
}

static void
proceed_store (MsImapServer  *self,
               MsImapCommand *cmd)
{
  const char *item = ARG (cmd, 1)->str;
  char op = item[0] == '+' || item[0] == '-' ? item[0] : '=';
  gboolean silent = strchr (item, '.') != NULL;  /* check_store allowed only .SILENT */
  MsMessageFlags flags = 0;
  g_autoptr(GPtrArray) keywords = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) seqs = _ms_imap_server_resolve_set (self, ARG (cmd, 0)->str, cmd->uid);
  const char *error = NULL;
  gboolean gone = FALSE;

  if (seqs == NULL)
    {
      _ms_imap_server_bad (self, cmd, "Invalid sequence number (the mailbox has %u messages)",
                           self->view->len);
      return;
    }
  for (guint i = 2; i < cmd->args->len; i++)
    {
      MsMessageFlags f = 0;
      _ms_imap_parse_flags (ARG (cmd, i), &f, keywords, &error);
      flags |= f;
    }

  for (guint i = 0; i < seqs->len; i++)
    {
      guint seq = g_array_index (seqs, guint, i);
      MsStoredMessage *m = _ms_imap_server_message_at (self, seq);
      MsMessageFlags new_flags;
      g_autoptr(GPtrArray) new_keywords = g_ptr_array_new_with_free_func (g_free);

      if (m == NULL)
        {
          gone = TRUE;
          continue;
        }
      if (op == '=')
        {
          new_flags = flags | (m->flags & MS_FLAG_RECENT);
          for (guint k = 0; k < keywords->len; k++)
            g_ptr_array_add (new_keywords, g_strdup (g_ptr_array_index (keywords, k)));
        }
      else
        {
          new_flags = op == '+' ? (m->flags | flags) : (m->flags & ~flags);
          for (guint k = 0; m->keywords != NULL && m->keywords[k] != NULL; k++)
            if (op == '+' || !has_keyword (keywords, m->keywords[k]))
              g_ptr_array_add (new_keywords, g_strdup (m->keywords[k]));
          if (op == '+')
            for (guint k = 0; k < keywords->len; k++)
              if (!has_keyword (new_keywords, g_ptr_array_index (keywords, k)))
                g_ptr_array_add (new_keywords, g_strdup (g_ptr_array_index (keywords, k)));
        }
      g_ptr_array_add (new_keywords, NULL);
      self->own_change++;
      ms_mailbox_set_flags (self->selected, m, new_flags,
                            (const char * const *) new_keywords->pdata);
      self->own_change--;
      g_hash_table_remove (self->changed, GUINT_TO_POINTER (m->uid));
      if (!silent)
        {
          g_autoptr(GString) line = g_string_new (NULL);

          /* RFC 3501 §6.4.8: UID STORE answers with the UID too. */
          g_string_append_printf (line, "%u FETCH (", seq);
          if (cmd->uid)
            g_string_append_printf (line, "UID %u ", m->uid);
          g_string_append (line, "FLAGS ");
          _ms_imap_append_flags (self, line, m);
          g_string_append_c (line, ')');
          _ms_imap_server_untagged (self, "%s", line->str);
        }
    }
  if (gone)
    _ms_imap_server_complete (self, cmd, "NO",
                              "[EXPUNGEISSUED] Some of the messages were expunged");
  else
    _ms_imap_server_complete (self, cmd, "OK", "STORE completed");
}

/* RFC 3501 §6.4.7 COPY and RFC 6851 MOVE */
static void
copy_or_move (MsImapServer  *self,
              MsImapCommand *cmd,
              gboolean       move)
{
  g_autoptr(GArray) seqs = _ms_imap_server_resolve_set (self, ARG (cmd, 0)->str, cmd->uid);
  MsMailbox *target = ms_mail_store_get_mailbox (self->store, self->user, ARG (cmd, 1)->str);
  g_autoptr(GArray) src_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) dst_uids = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GPtrArray) messages = g_ptr_array_new_with_free_func (
                                    (GDestroyNotify) ms_stored_message_unref);
  g_autofree char *src_set = NULL;
  g_autofree char *dst_set = NULL;
  g_autofree char *code = NULL;
  const char *verb = move ? "MOVE" : "COPY";

  if (seqs == NULL)
    {
      _ms_imap_server_bad (self, cmd, "Invalid sequence number (the mailbox has %u messages)",
                           self->view->len);
      return;
    }
  if (target == NULL)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[TRYCREATE] Mailbox does not exist");
      return;
    }
  for (guint i = 0; i < seqs->len; i++)
    {
      MsStoredMessage *m = _ms_imap_server_message_at (self, g_array_index (seqs, guint, i));
      if (m != NULL)
        g_ptr_array_add (messages, ms_stored_message_ref (m));
    }
  /* Copy first: appending to the selected mailbox itself must not see its own copies. */
  for (guint i = 0; i < messages->len; i++)
    {
      MsStoredMessage *m = g_ptr_array_index (messages, i);
      MsStoredMessage *copy;

      copy = ms_mailbox_append (target, m->raw, (m->flags & ~MS_FLAG_RECENT) | MS_FLAG_RECENT,
                                (const char * const *) m->keywords, m->internal_date);
      g_array_append_val (src_uids, m->uid);
      g_array_append_val (dst_uids, copy->uid);
    }
  if (src_uids->len > 0)
    {
      src_set = format_set (src_uids);
      dst_set = format_set (dst_uids);
      code = g_strdup_printf ("[COPYUID %u %s %s] ", ms_mailbox_get_uidvalidity (target),
                              src_set, dst_set);
    }
  if (move)
    {
      /* RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs. */
      if (code != NULL)
        _ms_imap_server_untagged (self, "OK %sMoved", code);
      for (guint i = 0; i < src_uids->len; i++)
        ms_mailbox_expunge_uid (self->selected, g_array_index (src_uids, guint32, i));
      _ms_imap_server_complete (self, cmd, "OK", "MOVE completed");
      return;
    }
  _ms_imap_server_complete (self, cmd, "OK", "%s%s completed", code ? code : "", verb);
}

static void
proceed_copy (MsImapServer  *self,
              MsImapCommand *cmd)
{
  copy_or_move (self, cmd, FALSE);
}

static void
proceed_move (MsImapServer  *self,
              MsImapCommand *cmd)
{
  copy_or_move (self, cmd, TRUE);
}

static gboolean
check_expunge (MsImapServer  *self,
               MsImapCommand *cmd)
{
  if (cmd->uid)
    {
      g_autoptr(GArray) set = NULL;

      if (cmd->args->len != 1 || ARG (cmd, 0)->type != MS_IMAP_ARG_ATOM
          || (set = ms_imap_sequence_set_parse (ARG (cmd, 0)->str)) == NULL)
        {
          _ms_imap_server_bad (self, cmd, "UID EXPUNGE needs a UID set");
          return FALSE;
        }
    }
  else if (cmd->args->len != 0)
    {
      _ms_imap_server_bad (self, cmd, "Too many arguments for EXPUNGE");
      return FALSE;
    }
  return check_writable (self, cmd);
}

/* ------------------------------------------------------------------------------------- */

static const MsImapCommandSpec commands[] = {
  /* RFC 3501 §6.1: any state */
  { "CAPABILITY",   ANY_STATE, 0, "", NULL, proceed_capability },
  { "NOOP",         ANY_STATE, 0, "", NULL, proceed_noop },
  { "LOGOUT",       ANY_STATE, 0, "", NULL, proceed_logout },
  { "ID",           ANY_STATE, 0, NULL, check_id, proceed_id },
  /* RFC 3501 §6.2: not authenticated */
  { "STARTTLS",     NOT_AUTH, 0, "", check_starttls, proceed_starttls },
  { "AUTHENTICATE", NOT_AUTH, 0, "t*", check_authenticate, proceed_authenticate },
  { "LOGIN",        NOT_AUTH, 0, "aa", check_login, proceed_login },
  /* RFC 3501 §6.3: authenticated (and selected) */
  { "ENABLE",       AUTHED, 0, "t*", NULL, proceed_enable },
  { "NAMESPACE",    AUTHED, 0, "", NULL, proceed_namespace },
  { "SELECT",       AUTHED, 0, "m", NULL, proceed_select },
  { "EXAMINE",      AUTHED, 0, "m", NULL, proceed_examine },
  { "CREATE",       AUTHED, 0, "m", NULL, proceed_create },
  { "DELETE",       AUTHED, 0, "m", NULL, proceed_delete },
  { "RENAME",       AUTHED, 0, "mm", NULL, proceed_rename },
  { "SUBSCRIBE",    AUTHED, 0, "m", NULL, proceed_subscribe },
  { "UNSUBSCRIBE",  AUTHED, 0, "m", NULL, proceed_unsubscribe },
  { "LIST",         AUTHED, 0, "xx", NULL, proceed_list },
  { "LSUB",         AUTHED, 0, "xx", NULL, proceed_lsub },
  { "STATUS",       AUTHED, 0, "ml", check_status, proceed_status },
  { "APPEND",       AUTHED, 0, "m*", check_append, proceed_append },
  { "IDLE",         AUTHED, 0, "", NULL, proceed_idle },
  /* RFC 3501 §6.4: selected */
  { "CHECK",        SELECTED, 0, "", NULL, proceed_check },
  { "CLOSE",        SELECTED, 0, "", NULL, proceed_close },
  { "UNSELECT",     SELECTED, 0, "", NULL, proceed_unselect },
  { "EXPUNGE",      SELECTED, MS_IMAP_CMD_FLAG_UID, NULL, check_expunge, proceed_expunge },
  { "SEARCH",       SELECTED, MS_IMAP_CMD_FLAG_UID | MS_IMAP_CMD_FLAG_NO_EXPUNGE, NULL,
    _ms_imap_check_search, _ms_imap_proceed_search },
  { "FETCH",        SELECTED, MS_IMAP_CMD_FLAG_UID | MS_IMAP_CMD_FLAG_NO_EXPUNGE, "s*",
    _ms_imap_check_fetch, _ms_imap_proceed_fetch },
  { "STORE",        SELECTED, MS_IMAP_CMD_FLAG_UID | MS_IMAP_CMD_FLAG_NO_EXPUNGE, "st*",
    check_store, proceed_store },
  { "COPY",         SELECTED, MS_IMAP_CMD_FLAG_UID, "sm", NULL, proceed_copy },
  { "MOVE",         SELECTED, MS_IMAP_CMD_FLAG_UID, "sm", check_writable, proceed_move },
};

const MsImapCommandSpec *
_ms_imap_find_command (const char *name)
{
  const char *bare = g_str_has_prefix (name, "UID ") ? name + 4 : name;

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_ascii_strcasecmp (commands[i].name, bare) == 0)
      return &commands[i];
  return NULL;
}
