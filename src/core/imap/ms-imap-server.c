/* ms-imap-server.c: IMAP4rev1 server engine: input modes, responses, mailbox view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-imap-server"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gmime/gmime.h>

#include "ms-imap-private.h"

G_DEFINE_FINAL_TYPE (MsImapServer, ms_imap_server, MS_TYPE_ENGINE)

enum {
  STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const state_names[] = {
  "not-authenticated",
  "authenticated",
  "selected",
  "logout",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MS_IMAP_SERVER_N_STATES);

const char *
ms_imap_server_state_to_string (MsImapServerState state)
{
  g_return_val_if_fail (state < MS_IMAP_SERVER_N_STATES, "invalid");
  return state_names[state];
}

/* ------------------------------------------------------------------------------------- */
/* Responses                                                                              */

static void
count_bad (MsImapServer *self)
{
  if (++self->bad_count >= MS_IMAP_MAX_BAD_COMMANDS && self->state != MS_IMAP_SERVER_STATE_LOGOUT)
    {
      _ms_imap_server_untagged (self, "BYE Too many invalid commands");
      _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_LOGOUT);
      ms_engine_request_close (MS_ENGINE (self));
    }
}

void
_ms_imap_server_untagged (MsImapServer *self,
                          const char   *format,
                          ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, "* %s", text);
}

void
_ms_imap_server_tagged (MsImapServer *self,
                        const char   *tag,
                        const char   *status,
                        const char   *format,
                        ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, "%s %s %s",
                       tag != NULL ? tag : "*", status, text);
  if (strcmp (status, "BAD") == 0)
    count_bad (self);
  else
    self->bad_count = 0;
}

static const MsImapCommandSpec *
spec_for (MsImapCommand *cmd)
{
  return cmd != NULL ? _ms_imap_find_command (cmd->name) : NULL;
}

void
_ms_imap_server_complete (MsImapServer  *self,
                          MsImapCommand *cmd,
                          const char    *status,
                          const char    *format,
                          ...)
{
  g_autofree char *text = NULL;
  const MsImapCommandSpec *spec = spec_for (cmd);
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (self->state == MS_IMAP_SERVER_STATE_SELECTED)
    {
      gboolean allow_expunge = TRUE;

      /* RFC 3501 §7.4.1: no EXPUNGE while answering FETCH, STORE or SEARCH (the UID
       * forms may), or the client's sequence numbers would shift under it. */
      if (spec != NULL && (spec->flags & MS_IMAP_CMD_FLAG_NO_EXPUNGE) && !cmd->uid)
        allow_expunge = FALSE;
      _ms_imap_server_flush_updates (self, allow_expunge);
    }
  _ms_imap_server_tagged (self, cmd->tag, status, "%s", text);
}

void
_ms_imap_server_bad (MsImapServer  *self,
                     MsImapCommand *cmd,
                     const char    *format,
                     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  _ms_imap_server_tagged (self, cmd != NULL ? cmd->tag : NULL, "BAD", "%s", text);
}

void
_ms_imap_server_send_data (MsImapServer *self,
                           GString      *wire,
                           GString      *trace,
                           gsize         literal_bytes)
{
  MsEngine *engine = MS_ENGINE (self);

  if (literal_bytes == 0 && strchr (wire->str, '\n') == NULL)
    {
      ms_engine_send_text (engine, MS_LINE_REPLY, wire->str, wire->len);
      return;
    }
  /* The response line as the trace shows it, then one summary of the literal bytes;
   * the bytes themselves go out unrecorded. */
  ms_engine_record_output (engine, MS_LINE_REPLY, trace->str, trace->len);
  if (literal_bytes > 0)
    {
      g_autofree char *summary =
        g_strdup_printf ("(%" G_GSIZE_FORMAT " octets of literal data)", literal_bytes);
      ms_engine_record_output (engine, MS_LINE_DATA, summary, -1);
    }
  g_string_append (wire, "\r\n");
  ms_engine_send_raw (engine, (const guint8 *) wire->str, wire->len);
}

void
_ms_imap_server_continue (MsImapServer *self,
                          const char   *text)
{
  ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, "+ %s", text);
}

void
_ms_imap_server_enter_state (MsImapServer      *self,
                             MsImapServerState  state)
{
  MsImapServerState old = self->state;

  if (old == state)
    return;
  g_debug ("%s -> %s", state_names[old], state_names[state]);
  self->state = state;
  g_signal_emit (self, signals[STATE_CHANGED], 0, (guint) old, (guint) state);
}

char *
_ms_imap_server_dup_capability (MsImapServer *self)
{
  GString *caps = g_string_new ("IMAP4rev1");
  gboolean tls = ms_engine_is_tls_active (MS_ENGINE (self));
  gboolean plain_ok = tls || self->allow_plain_login_without_tls;

  if (self->tls_available && !tls && self->state == MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED)
    g_string_append (caps, " STARTTLS");
  if (self->state == MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED)
    {
      /* RFC 3501 §6.2.3 / RFC 9051 §11.1: no cleartext passwords before TLS. */
      if (plain_ok)
        g_string_append (caps, " AUTH=PLAIN SASL-IR");
      else
        g_string_append (caps, " LOGINDISABLED");
    }
  g_string_append (caps, " LITERAL+ IDLE MOVE UIDPLUS UNSELECT NAMESPACE"
                         " ID ENABLE CHILDREN");
  return g_string_free (caps, FALSE);
}

void
_ms_imap_server_send_capability (MsImapServer *self)
{
  g_autofree char *caps = _ms_imap_server_dup_capability (self);
  _ms_imap_server_untagged (self, "CAPABILITY %s", caps);
}

/* ------------------------------------------------------------------------------------- */
/* The selected mailbox and this session's view of it                                     */

static int
compare_uid (gconstpointer a,
             gconstpointer b)
{
  guint32 x = *(const guint32 *) a;
  guint32 y = *(const guint32 *) b;
  return x < y ? -1 : x > y;
}

guint
_ms_imap_server_seq_of_uid (MsImapServer *self,
                            guint32       uid)
{
  guint lo = 0;
  guint hi = self->view->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      guint32 v = g_array_index (self->view, guint32, mid);

      if (v == uid)
        return mid + 1;
      if (v < uid)
        lo = mid + 1;
      else
        hi = mid;
    }
  return 0;
}

MsStoredMessage *
_ms_imap_server_message_at (MsImapServer *self,
                            guint         seq)
{
  int index;

  if (self->selected == NULL || seq == 0 || seq > self->view->len)
    return NULL;
  index = ms_mailbox_find_uid (self->selected, g_array_index (self->view, guint32, seq - 1));
  return index < 0 ? NULL : ms_mailbox_get_message (self->selected, index);
}

gboolean
_ms_imap_server_is_recent (MsImapServer    *self,
                           MsStoredMessage *message)
{
  if (g_hash_table_contains (self->recent, GUINT_TO_POINTER (message->uid)))
    return TRUE;
  return self->read_only && (message->flags & MS_FLAG_RECENT) != 0;
}

void
_ms_imap_append_flags (MsImapServer    *self,
                       GString         *out,
                       MsStoredMessage *message)
{
  static const struct { MsMessageFlags flag; const char *name; } names[] = {
    { MS_FLAG_SEEN, "\\Seen" },
    { MS_FLAG_ANSWERED, "\\Answered" },
    { MS_FLAG_FLAGGED, "\\Flagged" },
    { MS_FLAG_DELETED, "\\Deleted" },
    { MS_FLAG_DRAFT, "\\Draft" },
  };
  gboolean first = TRUE;

  g_string_append_c (out, '(');
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (message->flags & names[i].flag)
      {
        g_string_append_printf (out, "%s%s", first ? "" : " ", names[i].name);
        first = FALSE;
      }
  if (_ms_imap_server_is_recent (self, message))
    {
      g_string_append_printf (out, "%s\\Recent", first ? "" : " ");
      first = FALSE;
    }
  for (guint i = 0; message->keywords != NULL && message->keywords[i] != NULL; i++)
    {
      g_string_append_printf (out, "%s%s", first ? "" : " ", message->keywords[i]);
      first = FALSE;
    }
  g_string_append_c (out, ')');
}

/* \Recent belongs to exactly one session (RFC 3501 §2.3.2): the first read-write one to
 * see the message claims it. The store's flag only means "not claimed yet", so it is
 * cleared directly, without a flags-changed notification to other sessions. */
static void
claim_recent (MsImapServer    *self,
              MsStoredMessage *message)
{
  if (self->read_only || !(message->flags & MS_FLAG_RECENT))
    return;
  message->flags &= ~MS_FLAG_RECENT;
  g_hash_table_add (self->recent, GUINT_TO_POINTER (message->uid));
}

static void
on_message_added (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  MsImapServer    *self)
{
  if (self->mode == MS_IMAP_MODE_IDLE)
    _ms_imap_server_flush_updates (self, TRUE);
}

static void
on_message_expunged (MsMailbox    *mailbox,
                     guint         uid,
                     MsImapServer *self)
{
  g_hash_table_remove (self->changed, GUINT_TO_POINTER (uid));
  if (self->mode == MS_IMAP_MODE_IDLE)
    _ms_imap_server_flush_updates (self, TRUE);
}

static void
on_flags_changed (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  MsImapServer    *self)
{
  if (self->own_change > 0)
    return;
  g_hash_table_add (self->changed, GUINT_TO_POINTER (message->uid));
  if (self->mode == MS_IMAP_MODE_IDLE)
    _ms_imap_server_flush_updates (self, TRUE);
}

void
_ms_imap_server_flush_updates (MsImapServer *self,
                               gboolean      allow_expunge)
{
  MsMailbox *mailbox = self->selected;
  guint old_len;
  guint32 last_uid;
  guint n;
  guint n_recent_before;

  if (mailbox == NULL)
    return;

  if (allow_expunge)
    {
      /* Each EXPUNGE renumbers the messages after it at once (RFC 3501 §7.4.1), so
       * walking forwards and not advancing after a removal sends the right numbers. */
      guint i = 0;

      while (i < self->view->len)
        {
          guint32 uid = g_array_index (self->view, guint32, i);

          if (ms_mailbox_find_uid (mailbox, uid) < 0)
            {
              g_array_remove_index (self->view, i);
              g_hash_table_remove (self->recent, GUINT_TO_POINTER (uid));
              g_hash_table_remove (self->changed, GUINT_TO_POINTER (uid));
              _ms_imap_server_untagged (self, "%u EXPUNGE", i + 1);
            }
          else
            i++;
        }
    }

  old_len = self->view->len;
  n_recent_before = g_hash_table_size (self->recent);
  last_uid = old_len > 0 ? g_array_index (self->view, guint32, old_len - 1) : 0;
  n = ms_mailbox_get_n_messages (mailbox);
  for (guint i = 0; i < n; i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (mailbox, i);

      if (m->uid > last_uid)
        {
          g_array_append_val (self->view, m->uid);
          claim_recent (self, m);
        }
    }
  if (self->view->len != old_len)
    {
      guint recent = 0;

      _ms_imap_server_untagged (self, "%u EXISTS", self->view->len);
      if (self->read_only)
        recent = ms_mailbox_count_flag (mailbox, MS_FLAG_RECENT, TRUE);
      else
        recent = g_hash_table_size (self->recent);
      if (recent != n_recent_before || self->read_only)
        _ms_imap_server_untagged (self, "%u RECENT", recent);
    }

  if (g_hash_table_size (self->changed) > 0)
    {
      g_autoptr(GArray) uids = g_array_new (FALSE, FALSE, sizeof (guint32));
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, self->changed);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          guint32 uid = GPOINTER_TO_UINT (key);
          g_array_append_val (uids, uid);
        }
      g_hash_table_remove_all (self->changed);
      g_array_sort (uids, compare_uid);
      for (guint i = 0; i < uids->len; i++)
        {
          guint32 uid = g_array_index (uids, guint32, i);
          guint seq = _ms_imap_server_seq_of_uid (self, uid);
          MsStoredMessage *m = _ms_imap_server_message_at (self, seq);
          g_autoptr(GString) line = NULL;

          if (m == NULL)
            continue;
          line = g_string_new (NULL);
          g_string_append_printf (line, "%u FETCH (FLAGS ", seq);
          _ms_imap_append_flags (self, line, m);
          g_string_append_c (line, ')');
          _ms_imap_server_untagged (self, "%s", line->str);
        }
    }
}

void
_ms_imap_server_unselect (MsImapServer *self)
{
  if (self->selected == NULL)
    return;
  g_clear_signal_handler (&self->added_handler, self->selected);
  g_clear_signal_handler (&self->expunged_handler, self->selected);
  g_clear_signal_handler (&self->flags_handler, self->selected);
  g_clear_object (&self->selected);
  g_array_set_size (self->view, 0);
  g_hash_table_remove_all (self->recent);
  g_hash_table_remove_all (self->changed);
  self->read_only = FALSE;
  if (self->state == MS_IMAP_SERVER_STATE_SELECTED)
    _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_AUTHENTICATED);
}

gboolean
_ms_imap_server_select (MsImapServer *self,
                        MsMailbox    *mailbox,
                        gboolean      read_only)
{
  guint n;

  _ms_imap_server_unselect (self);
  self->selected = g_object_ref (mailbox);
  self->read_only = read_only;
  n = ms_mailbox_get_n_messages (mailbox);
  for (guint i = 0; i < n; i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (mailbox, i);
      g_array_append_val (self->view, m->uid);
      claim_recent (self, m);
    }
  self->added_handler = g_signal_connect (mailbox, "message-added",
                                          G_CALLBACK (on_message_added), self);
  self->expunged_handler = g_signal_connect (mailbox, "message-expunged",
                                             G_CALLBACK (on_message_expunged), self);
  self->flags_handler = g_signal_connect (mailbox, "flags-changed",
                                          G_CALLBACK (on_flags_changed), self);
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_SELECTED);
  return TRUE;
}

GArray *
_ms_imap_server_resolve_set (MsImapServer *self,
                             const char   *set_text,
                             gboolean      uid)
{
  g_autoptr(GArray) set = ms_imap_sequence_set_parse (set_text);
  GArray *seqs;
  guint n = self->view->len;

  if (set == NULL)
    return NULL;
  seqs = g_array_new (FALSE, FALSE, sizeof (guint));
  if (uid)
    {
      /* "*" is the largest UID in use; an empty mailbox matches nothing. */
      ms_imap_sequence_set_resolve (set, n > 0 ? g_array_index (self->view, guint32, n - 1) : 0);
      for (guint i = 0; i < n; i++)
        if (ms_imap_sequence_set_contains (set, g_array_index (self->view, guint32, i)))
          {
            guint seq = i + 1;
            g_array_append_val (seqs, seq);
          }
    }
  else
    {
      ms_imap_sequence_set_resolve (set, n);
      for (guint i = 0; i < set->len; i++)
        {
          MsImapRange *r = &g_array_index (set, MsImapRange, i);
          /* RFC 3501 §9: a sequence number outside the mailbox is an error. */
          if (r->lo == 0 || r->hi > n)
            {
              g_array_unref (seqs);
              return NULL;
            }
        }
      for (guint seq = 1; seq <= n; seq++)
        if (ms_imap_sequence_set_contains (set, seq))
          g_array_append_val (seqs, seq);
    }
  return seqs;
}

gboolean
_ms_imap_parse_flags (const MsImapArg *arg,
                      MsMessageFlags  *flags,
                      GPtrArray       *keywords,
                      const char     **error)
{
  static const struct { const char *name; MsMessageFlags flag; } system[] = {
    { "\\Seen", MS_FLAG_SEEN },
    { "\\Answered", MS_FLAG_ANSWERED },
    { "\\Flagged", MS_FLAG_FLAGGED },
    { "\\Deleted", MS_FLAG_DELETED },
    { "\\Draft", MS_FLAG_DRAFT },
  };
  GPtrArray *items;
  GPtrArray single = { 0 };
  gpointer one[1];

  *flags = 0;
  if (arg->type == MS_IMAP_ARG_LIST)
    items = arg->list;
  else
    {
      one[0] = (gpointer) arg;
      single.pdata = one;
      single.len = 1;
      items = &single;
    }
  for (guint i = 0; i < items->len; i++)
    {
      const MsImapArg *f = g_ptr_array_index (items, i);
      gboolean known = FALSE;

      if (f->type != MS_IMAP_ARG_ATOM)
        {
          *error = "Flags must be atoms";
          return FALSE;
        }
      if (f->str[0] == '\\')
        {
          for (guint j = 0; j < G_N_ELEMENTS (system); j++)
            if (g_ascii_strcasecmp (f->str, system[j].name) == 0)
              {
                *flags |= system[j].flag;
                known = TRUE;
              }
          /* \Recent is the server's to set (RFC 3501 §2.3.2); ignore it. */
          if (!known && g_ascii_strcasecmp (f->str, "\\Recent") != 0)
            {
              *error = "Invalid system flag";
              return FALSE;
            }
          continue;
        }
      if (!ms_imap_atom_is_valid (f->str))
        {
          *error = "Invalid keyword";
          return FALSE;
        }
      if (keywords != NULL)
        {
          gboolean dup = FALSE;
          for (guint j = 0; j < keywords->len; j++)
            if (g_ascii_strcasecmp (g_ptr_array_index (keywords, j), f->str) == 0)
              dup = TRUE;
          if (!dup)
            g_ptr_array_add (keywords, g_strdup (f->str));
        }
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------- */
/* Input                                                                                  */

static void
dispatch (MsImapServer  *self,
          MsImapCommand *cmd)
{
  const MsImapCommandSpec *spec = _ms_imap_find_command (cmd->name);

  if (spec == NULL || (cmd->uid && !(spec->flags & MS_IMAP_CMD_FLAG_UID)))
    {
      _ms_imap_server_bad (self, cmd, "Unknown command %s", cmd->name);
      return;
    }
  /* Sequence errors come from the table's state mask (RFC 3501 §3). */
  if (!(spec->allowed & MS_IMAP_IN (self->state)))
    {
      _ms_imap_server_bad (self, cmd, "Command not allowed in this state (%s)",
                           state_names[self->state]);
      return;
    }
  if (spec->signature != NULL)
    {
      const char *sig = spec->signature;
      guint i = 0;

      for (; *sig != '\0' && *sig != '*'; sig++, i++)
        {
          const MsImapArg *arg = i < cmd->args->len ? g_ptr_array_index (cmd->args, i) : NULL;
          gboolean ok = FALSE;

          if (arg == NULL)
            {
              _ms_imap_server_bad (self, cmd, "Missing arguments for %s", cmd->name);
              return;
            }
          switch (*sig)
            {
            case 'a':
            case 'm':
              ok = ms_imap_arg_is_astring (arg);
              break;
            case 'l':
              ok = arg->type == MS_IMAP_ARG_LIST;
              break;
            case 's':
              ok = arg->type == MS_IMAP_ARG_ATOM;
              if (ok)
                {
                  g_autoptr(GArray) set = ms_imap_sequence_set_parse (arg->str);
                  ok = set != NULL;
                  if (!ok)
                    {
                      _ms_imap_server_bad (self, cmd, "Invalid sequence set");
                      return;
                    }
                }
              break;
            case 't':
              ok = arg->type == MS_IMAP_ARG_ATOM;
              break;
            case 'x':  /* astring or a list-mailbox with wildcards */
              ok = ms_imap_arg_is_string (arg) || arg->type == MS_IMAP_ARG_ATOM;
              break;
            default:
              g_assert_not_reached ();
            }
          if (!ok)
            {
              _ms_imap_server_bad (self, cmd, "Invalid argument %u for %s", i + 1, cmd->name);
              return;
            }
          if (*sig == 'm' || *sig == 'x')
            {
              /* Names travel as modified UTF-7; the store speaks UTF-8. */
              MsImapArg *name = (MsImapArg *) arg;
              char *decoded = strlen (name->str) == name->len
                              ? ms_imap_mutf7_decode (name->str) : NULL;

              if (decoded == NULL)
                {
                  g_free (decoded);
                  _ms_imap_server_complete (self, cmd, "NO", "[CANNOT] Mailbox name is not valid "
                                            "modified UTF-7");
                  return;
                }
              g_free (name->str);
              name->str = decoded;
              name->len = strlen (decoded);
            }
        }
      if (*sig != '*' && cmd->args->len > i)
        {
          _ms_imap_server_bad (self, cmd, "Too many arguments for %s", cmd->name);
          return;
        }
    }
  if (spec->check != NULL && !spec->check (self, cmd))
    return;
  spec->proceed (self, cmd);
}

static void
run_command (MsImapServer *self)
{
  g_autofree char *tag = NULL;
  g_autofree char *error = NULL;
  g_autoptr(MsImapCommand) cmd = ms_imap_parser_take (self->parser, &tag, &error);

  self->in_literal_command = FALSE;
  if (cmd == NULL)
    {
      /* RFC 3501 §7.1.3: BAD, tagged when the tag could be read. */
      _ms_imap_server_tagged (self, tag, "BAD", "%s", error);
      return;
    }
  dispatch (self, cmd);
}

static void
handle_auth_response (MsImapServer *self,
                      const char   *line,
                      gsize         len);

static void
handle_idle_line (MsImapServer *self,
                  const char   *line,
                  gsize         len)
{
  g_autofree char *tag = g_steal_pointer (&self->mode_tag);

  ms_engine_record_input (MS_ENGINE (self), MS_LINE_COMMAND, line, len);
  self->mode = MS_IMAP_MODE_COMMAND;
  /* RFC 2177: the client ends IDLE with "DONE". */
  if (g_ascii_strcasecmp (line, "DONE") == 0)
    {
      MsImapCommand cmd = { tag, (char *) "IDLE", FALSE, NULL };
      _ms_imap_server_complete (self, &cmd, "OK", "IDLE terminated");
    }
  else
    _ms_imap_server_tagged (self, tag, "BAD", "Expected DONE");
}

static void
ms_imap_server_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);
  guint64 literal_size = 0;
  gboolean sync = TRUE;

  if (self->state == MS_IMAP_SERVER_STATE_LOGOUT)
    return;

  switch (self->mode)
    {
    case MS_IMAP_MODE_AUTHENTICATE:
      handle_auth_response (self, line, len);
      return;
    case MS_IMAP_MODE_IDLE:
      handle_idle_line (self, line, len);
      return;
    case MS_IMAP_MODE_COMMAND:
    default:
      break;
    }

  /* The rest of a command after a literal is data continuing that command; when the
   * command carries a password (LOGIN) so may the rest. */
  {
    MsTraceLine *recorded = ms_engine_record_input (engine, self->in_literal_command
                                                            ? MS_LINE_DATA : MS_LINE_COMMAND,
                                                    line, len);
    if (!self->in_literal_command)
      self->command_secret = recorded != NULL && recorded->secret;
    else if (recorded != NULL && self->command_secret)
      recorded->secret = TRUE;
  }
  if (len == 0 && !self->in_literal_command)
    {
      _ms_imap_server_tagged (self, NULL, "BAD", "Empty command line");
      return;
    }
  switch (ms_imap_parser_push_line (self->parser, line, len, &literal_size, &sync))
    {
    case MS_IMAP_PUSH_COMPLETE:
      run_command (self);
      break;
    case MS_IMAP_PUSH_NEED_LITERAL:
      self->in_literal_command = TRUE;
      /* RFC 3501 §7.5: a synchronizing literal waits for "+"; {n+} does not (RFC 7888). */
      if (sync)
        _ms_imap_server_continue (self, "Ready for literal data");
      ms_engine_expect_literal (engine, (gsize) literal_size);
      break;
    case MS_IMAP_PUSH_TOO_LARGE:
      {
        g_autofree char *tag = ms_imap_parser_peek_tag (self->parser);

        ms_imap_parser_reset (self->parser);
        self->in_literal_command = FALSE;
        /* No "+": the client must not send the bytes. A non-synchronizing literal is
         * already on its way, and its bytes would be read as commands, so close. */
        _ms_imap_server_tagged (self, tag, "BAD", "Literal too large (maximum %" G_GSIZE_FORMAT
                                " octets)", self->max_literal);
        if (!sync && self->state != MS_IMAP_SERVER_STATE_LOGOUT)
          {
            _ms_imap_server_untagged (self, "BYE Literal too large");
            _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_LOGOUT);
            ms_engine_request_close (engine);
          }
      }
      break;
    case MS_IMAP_PUSH_TOO_LONG:
    default:
      {
        g_autofree char *tag = ms_imap_parser_peek_tag (self->parser);

        ms_imap_parser_reset (self->parser);
        self->in_literal_command = FALSE;
        _ms_imap_server_tagged (self, tag, "BAD", "Command line too long");
      }
      break;
    }
}

static void
ms_imap_server_handle_literal (MsEngine *engine,
                               GBytes   *bytes)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);
  g_autofree char *summary = g_strdup_printf ("(%" G_GSIZE_FORMAT " octets of literal data)", len);

  ms_engine_record_input (engine, MS_LINE_DATA, summary, -1);
  ms_imap_parser_push_literal (self->parser, data, len);
}

static void
ms_imap_server_handle_overflow (MsEngine *engine,
                                gsize     discarded)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);
  g_autofree char *tag = ms_imap_parser_peek_tag (self->parser);

  ms_imap_parser_reset (self->parser);
  self->in_literal_command = FALSE;
  ms_engine_record_input (engine, MS_LINE_NOTE, "(over-long line discarded)", -1);
  if (self->mode != MS_IMAP_MODE_COMMAND)
    {
      g_clear_pointer (&tag, g_free);
      tag = g_steal_pointer (&self->mode_tag);
      self->mode = MS_IMAP_MODE_COMMAND;
    }
  _ms_imap_server_tagged (self, tag, "BAD", "Command line too long");
}

/* ------------------------------------------------------------------------------------- */
/* AUTHENTICATE PLAIN (RFC 3501 §6.2.2, RFC 4616), with SASL-IR (RFC 4959)                */

static void
finish_plain (MsImapServer *self,
              const char   *tag,
              const char   *b64)
{
  g_autofree guchar *raw = NULL;
  gsize raw_len = 0;
  const char *authzid;
  const char *authcid = NULL;
  const char *password = NULL;
  const char *user;
  MsImapCommand cmd = { (char *) tag, (char *) "AUTHENTICATE", FALSE, NULL };

  if (strcmp (b64, "=") != 0)
    {
      for (const char *p = b64; *p != '\0'; p++)
        if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
          {
            _ms_imap_server_tagged (self, tag, "BAD", "Invalid base64 data");
            return;
          }
      raw = g_base64_decode (b64, &raw_len);
    }
  /* message = [authzid] NUL authcid NUL passwd */
  if (raw != NULL && raw_len > 0)
    {
      const char *base = (const char *) raw;
      const char *nul1 = memchr (base, '\0', raw_len);
      const char *nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', raw_len - (nul1 + 1 - base)) : NULL;

      if (nul2 != NULL && memchr (nul2 + 1, '\0', raw_len - (nul2 + 1 - base)) == NULL)
        {
          gsize authcid_at = (gsize) (nul1 - base) + 1;
          gsize password_at = (gsize) (nul2 - base) + 1;

          raw = g_realloc (raw, raw_len + 1);
          raw[raw_len] = '\0';
          authcid = (const char *) raw + authcid_at;
          password = (const char *) raw + password_at;
        }
    }
  if (authcid == NULL)
    {
      _ms_imap_server_tagged (self, tag, "BAD", "Invalid SASL PLAIN message");
      return;
    }
  user = ms_mail_store_check_password (self->store, authcid, password);
  authzid = (const char *) raw;
  if (user != NULL && *authzid != '\0' && g_ascii_strcasecmp (authzid, authcid) != 0
      && g_ascii_strcasecmp (authzid, user) != 0)
    {
      _ms_imap_server_tagged (self, tag, "NO", "[AUTHORIZATIONFAILED] Not allowed to act as %s",
                              authzid);
      return;
    }
  if (user == NULL)
    {
      _ms_imap_server_tagged (self, tag, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
      return;
    }
  g_free (self->user);
  self->user = g_strdup (user);
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_AUTHENTICATED);
  {
    g_autofree char *caps = _ms_imap_server_dup_capability (self);
    _ms_imap_server_complete (self, &cmd, "OK", "[CAPABILITY %s] Logged in", caps);
  }
}

void
_ms_imap_server_begin_authenticate (MsImapServer *self,
                                    const char   *tag,
                                    const char   *initial)
{
  if (initial != NULL)
    {
      finish_plain (self, tag, initial);
      return;
    }
  g_free (self->mode_tag);
  self->mode_tag = g_strdup (tag);
  self->mode = MS_IMAP_MODE_AUTHENTICATE;
  /* An empty challenge: "+" SP with nothing after it. */
  ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, "+ ");
}

static void
handle_auth_response (MsImapServer *self,
                      const char   *line,
                      gsize         len)
{
  g_autofree char *tag = g_steal_pointer (&self->mode_tag);

  ms_engine_record_input (MS_ENGINE (self), MS_LINE_AUTH, line, len);
  self->mode = MS_IMAP_MODE_COMMAND;
  if (strcmp (line, "*") == 0)
    {
      _ms_imap_server_tagged (self, tag, "BAD", "AUTHENTICATE cancelled");
      return;
    }
  finish_plain (self, tag, line);
}

/* RFC 2177 IDLE */
void
_ms_imap_server_begin_idle (MsImapServer *self,
                            const char   *tag)
{
  g_free (self->mode_tag);
  self->mode_tag = g_strdup (tag);
  _ms_imap_server_continue (self, "idling");
  self->mode = MS_IMAP_MODE_IDLE;
  _ms_imap_server_flush_updates (self, TRUE);
}

/* ------------------------------------------------------------------------------------- */
/* Engine                                                                                 */

static void
ms_imap_server_start (MsEngine *engine)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);
  g_autofree char *caps = _ms_imap_server_dup_capability (self);

  /* RFC 3501 §7.1.1 greeting, with the capabilities up front (§7.2.1 / RFC 9051). */
  _ms_imap_server_untagged (self, "OK [CAPABILITY %s] %s IMAP4rev1 MailSim ready",
                            caps, self->hostname);
}

static void
ms_imap_server_tls_started (MsEngine *engine)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);

  /* RFC 3501 §6.2.1: nothing learned before TLS is kept. */
  _ms_imap_server_unselect (self);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->mode_tag, g_free);
  ms_imap_parser_reset (self->parser);
  self->in_literal_command = FALSE;
  self->mode = MS_IMAP_MODE_COMMAND;
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
}

static void
ms_imap_server_peer_closed (MsEngine *engine)
{
  MsImapServer *self = MS_IMAP_SERVER (engine);

  _ms_imap_server_unselect (self);
  _ms_imap_server_enter_state (self, MS_IMAP_SERVER_STATE_LOGOUT);
}

static void
ms_imap_server_dispose (GObject *object)
{
  MsImapServer *self = MS_IMAP_SERVER (object);

  _ms_imap_server_unselect (self);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (ms_imap_server_parent_class)->dispose (object);
}

static void
ms_imap_server_finalize (GObject *object)
{
  MsImapServer *self = MS_IMAP_SERVER (object);

  g_free (self->hostname);
  g_free (self->user);
  g_free (self->mode_tag);
  ms_imap_parser_free (self->parser);
  g_array_unref (self->view);
  g_hash_table_unref (self->recent);
  g_hash_table_unref (self->changed);
  G_OBJECT_CLASS (ms_imap_server_parent_class)->finalize (object);
}

static void
ms_imap_server_class_init (MsImapServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->dispose = ms_imap_server_dispose;
  object_class->finalize = ms_imap_server_finalize;
  engine_class->start = ms_imap_server_start;
  engine_class->handle_line = ms_imap_server_handle_line;
  engine_class->handle_literal = ms_imap_server_handle_literal;
  engine_class->handle_overflow = ms_imap_server_handle_overflow;
  engine_class->tls_started = ms_imap_server_tls_started;
  engine_class->peer_closed = ms_imap_server_peer_closed;

  /* Old and new MsImapServerState, on every transition. */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_UINT);

  /* SEARCH uses GMime's RFC 2047, transfer-encoding and date decoders. */
  g_mime_init ();
}

static void
ms_imap_server_init (MsImapServer *self)
{
  self->view = g_array_new (FALSE, FALSE, sizeof (guint32));
  self->recent = g_hash_table_new (NULL, NULL);
  self->changed = g_hash_table_new (NULL, NULL);
  self->state = MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED;
}

void
ms_imap_server_config_init (MsImapServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->max_literal = MS_IMAP_DEFAULT_MAX_LITERAL;
  config->max_command = MS_IMAP_DEFAULT_MAX_COMMAND;
}

/**
 * ms_imap_server_new:
 * @config: hostname, TLS availability and limits (copied)
 * @store: the mail store to serve
 *
 * Returns: (transfer full): a server engine for one connection; call ms_engine_start()
 *   to send the greeting.
 */
MsImapServer *
ms_imap_server_new (const MsImapServerConfig *config,
                    MsMailStore              *store)
{
  MsImapServer *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (MS_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MS_TYPE_IMAP_SERVER, "role", MS_ENGINE_ROLE_SERVER, NULL);
  self->hostname = g_strdup (config->hostname != NULL ? config->hostname : "localhost");
  self->tls_available = config->tls_available;
  self->allow_plain_login_without_tls = config->allow_plain_login_without_tls;
  self->max_literal = config->max_literal > 0 ? config->max_literal : MS_IMAP_DEFAULT_MAX_LITERAL;
  self->max_command = config->max_command > 0 ? config->max_command : MS_IMAP_DEFAULT_MAX_COMMAND;
  self->store = g_object_ref (store);
  self->parser = ms_imap_parser_new (self->max_command, self->max_literal);
  ms_engine_set_max_line (MS_ENGINE (self), self->max_command);
  return self;
}

MsImapServerState
ms_imap_server_get_state (MsImapServer *self)
{
  g_return_val_if_fail (MS_IS_IMAP_SERVER (self), MS_IMAP_SERVER_STATE_LOGOUT);
  return self->state;
}

const char *
ms_imap_server_get_user (MsImapServer *self)
{
  g_return_val_if_fail (MS_IS_IMAP_SERVER (self), NULL);
  return self->user;
}

const char *
ms_imap_server_get_selected (MsImapServer *self)
{
  g_return_val_if_fail (MS_IS_IMAP_SERVER (self), NULL);
  return self->selected != NULL ? ms_mailbox_get_name (self->selected) : NULL;
}
