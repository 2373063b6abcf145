/* ms-pop3-server.c: the POP3 server engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 1939 (the protocol and its three states), RFC 2449 (CAPA, RESP-CODES, the 255-octet
 * line), RFC 2595 §4 (STLS), RFC 3206 (AUTH and SYS response codes), RFC 5034 (AUTH with
 * SASL PLAIN). Dispatch is table-driven: each verb has a mask of the states it is legal
 * in and an argument shape, so the "wrong state" refusals come from the table.
 */
#define G_LOG_DOMAIN "ms-pop3-server"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "ms-pop3-server.h"

#define POP3_IN(state) (1u << (state))
#define POP3_AUTH POP3_IN (MS_POP3_SERVER_STATE_AUTHORIZATION)
#define POP3_TRANS POP3_IN (MS_POP3_SERVER_STATE_TRANSACTION)

/* How much client text (a verb, a number, an identity) is echoed back in a refusal. */
#define POP3_ECHO_MAX 32

#define POP3_LOCKS_KEY "ms-pop3-maildrop-locks"

typedef struct
{
  MsStoredMessage *message;
  gboolean         deleted;
} MaildropEntry;

struct _MsPop3Server
{
  MsEngine            parent_instance;

  MsPop3ServerConfig  config;
  char               *hostname;
  MsMailStore        *store;
  MsPop3ServerState   state;
  char               *timestamp;
  char               *pending_user;   /* from USER, waiting for PASS */
  char               *user;           /* canonical address once logged in */
  char               *lock_key;       /* the maildrop lock we hold, or NULL */
  MsMailbox          *inbox;
  GArray             *maildrop;       /* of MaildropEntry, message number - 1 */
  guint               n_errors;
  gboolean            sasl_pending;   /* AUTH PLAIN sent "+ ", the response comes next */
};

enum {
  STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsPop3Server, ms_pop3_server, MS_TYPE_ENGINE)

static const char * const state_names[] = {
  "AUTHORIZATION",
  "TRANSACTION",
  "UPDATE",
  "CLOSED",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MS_POP3_SERVER_N_STATES);

const char *
ms_pop3_server_state_to_string (MsPop3ServerState state)
{
  g_return_val_if_fail (state < MS_POP3_SERVER_N_STATES, "?");
  return state_names[state];
}

void
ms_pop3_server_config_init (MsPop3ServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  /* The lab's default: passwords cross in clear, and the trace shows it. */
  config->allow_plain_login_without_tls = TRUE;
  config->max_errors = MS_POP3_DEFAULT_MAX_ERRORS;
}

char *
ms_pop3_apop_digest (const char *timestamp,
                     const char *secret)
{
  g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);

  g_return_val_if_fail (timestamp != NULL, NULL);
  g_return_val_if_fail (secret != NULL, NULL);

  g_checksum_update (md5, (const guchar *) timestamp, strlen (timestamp));
  g_checksum_update (md5, (const guchar *) secret, strlen (secret));
  return g_strdup (g_checksum_get_string (md5));
}

/* Client text echoed in a reply: printable ASCII only, bounded, so a reply can never
 * carry a forged line or control characters. */
static char *
echo_text (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p && out->len < POP3_ECHO_MAX; p++)
    g_string_append_c (out, g_ascii_isprint (*p) ? *p : '?');
  return g_string_free (out, FALSE);
}

/* Maildrop locks (RFC 1939 §8: the server acquires an exclusive lock on the maildrop),
 * shared by every POP3 session over the same store. */
static GHashTable *
store_locks (MsMailStore *store)
{
  GHashTable *locks = g_object_get_data (G_OBJECT (store), POP3_LOCKS_KEY);

  if (locks == NULL)
    {
      locks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_data_full (G_OBJECT (store), POP3_LOCKS_KEY, locks,
                              (GDestroyNotify) g_hash_table_unref);
    }
  return locks;
}

static void
release_lock (MsPop3Server *self)
{
  if (self->lock_key == NULL)
    return;
  g_hash_table_remove (store_locks (self->store), self->lock_key);
  g_clear_pointer (&self->lock_key, g_free);
}

static void
enter_state (MsPop3Server      *self,
             MsPop3ServerState  state)
{
  MsPop3ServerState old = self->state;

  if (old == state)
    return;
  self->state = state;
  g_signal_emit (self, signals[STATE_CHANGED], 0, (int) old, (int) state);
}

static void
close_session (MsPop3Server *self)
{
  release_lock (self);
  enter_state (self, MS_POP3_SERVER_STATE_CLOSED);
  ms_engine_request_close (MS_ENGINE (self));
}

/* The one reply choke point: "+OK text" or "-ERR text"; too many -ERR end the session. */
static void reply (MsPop3Server *self, gboolean ok, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
reply (MsPop3Server *self,
       gboolean      ok,
       const char   *format,
       ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  if (*text == '\0')
    ms_engine_send_text (MS_ENGINE (self), MS_LINE_REPLY, ok ? "+OK" : "-ERR", -1);
  else
    ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, "%s %s", ok ? "+OK" : "-ERR", text);

  if (!ok && ++self->n_errors >= self->config.max_errors
      && self->state != MS_POP3_SERVER_STATE_CLOSED)
    {
      ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY,
                           "-ERR too many errors, closing connection");
      close_session (self);
    }
}

/* A line of a multi-line response, dot-stuffed (RFC 1939 §3). */
static void
send_multiline (MsPop3Server *self,
                const char   *line)
{
  if (line[0] == '.')
    ms_engine_send_line (MS_ENGINE (self), MS_LINE_REPLY, ".%s", line);
  else
    ms_engine_send_text (MS_ENGINE (self), MS_LINE_REPLY, line, -1);
}

static void
end_multiline (MsPop3Server *self)
{
  ms_engine_send_text (MS_ENGINE (self), MS_LINE_REPLY, ".", 1);
}

/* Maildrop */

static void
maildrop_entry_clear (gpointer data)
{
  MaildropEntry *entry = data;

  g_clear_pointer (&entry->message, ms_stored_message_unref);
}

static MaildropEntry *
entry_at (MsPop3Server *self,
          guint         number)
{
  return &g_array_index (self->maildrop, MaildropEntry, number - 1);
}

static void
maildrop_totals (MsPop3Server *self,
                 guint        *count,
                 guint64      *octets)
{
  *count = 0;
  *octets = 0;
  for (guint i = 0; i < self->maildrop->len; i++)
    {
      MaildropEntry *entry = &g_array_index (self->maildrop, MaildropEntry, i);

      if (entry->deleted)
        continue;
      (*count)++;
      *octets += ms_stored_message_get_size (entry->message);
    }
}

/* Login succeeded: lock the maildrop and take the snapshot (RFC 1939 §4, §8). */
static gboolean
open_maildrop (MsPop3Server *self,
               const char   *address)
{
  GHashTable *locks = store_locks (self->store);
  g_autofree char *key = g_ascii_strdown (address, -1);
  guint count;
  guint64 octets;

  if (g_hash_table_contains (locks, key))
    {
      reply (self, FALSE, "[IN-USE] maildrop already locked by another session");
      return FALSE;
    }
  g_hash_table_add (locks, g_strdup (key));
  self->lock_key = g_steal_pointer (&key);

  g_free (self->user);
  self->user = g_strdup (address);
  g_clear_object (&self->inbox);
  self->inbox = g_object_ref (ms_mail_store_get_mailbox (self->store, address, "INBOX"));
  g_array_set_size (self->maildrop, 0);
  for (guint i = 0; i < ms_mailbox_get_n_messages (self->inbox); i++)
    {
      MaildropEntry entry = { ms_stored_message_ref (ms_mailbox_get_message (self->inbox, i)),
                              FALSE };
      g_array_append_val (self->maildrop, entry);
    }
  g_clear_pointer (&self->pending_user, g_free);
  enter_state (self, MS_POP3_SERVER_STATE_TRANSACTION);
  maildrop_totals (self, &count, &octets);
  reply (self, TRUE, "%s's maildrop has %u message%s (%" G_GUINT64_FORMAT " octets)",
         address, count, count == 1 ? "" : "s", octets);
  return TRUE;
}

/* Builds the dot-stuffed text of a message: everything for RETR, or the header, the
 * blank line and at most body_lines lines of the body for TOP (RFC 1939 §7). */
static GString *
stuff_message (GBytes *raw,
               guint   body_lines,
               guint  *n_lines)
{
  gsize len;
  const char *data = g_bytes_get_data (raw, &len);
  GString *out = g_string_sized_new (len + len / 64 + 8);
  gboolean in_body = FALSE;
  guint sent_body = 0;
  gsize pos = 0;

  *n_lines = 0;
  while (pos < len)
    {
      const char *lf = memchr (data + pos, '\n', len - pos);
      gsize end = lf != NULL ? (gsize) (lf - data) + 1 : len;
      gsize line_len = end - pos;

      if (in_body)
        {
          if (sent_body >= body_lines)
            break;
          sent_body++;
        }
      else if ((line_len == 2 && data[pos] == '\r') || (line_len == 1 && data[pos] == '\n'))
        in_body = TRUE;

      if (data[pos] == '.')
        g_string_append_c (out, '.');
      g_string_append_len (out, data + pos, line_len);
      (*n_lines)++;
      pos = end;
    }
  /* The terminating "." must start a line of its own. */
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append (out, "\r\n");
  return out;
}

static void
send_message (MsPop3Server *self,
              guint         number,
              guint         body_lines,
              gboolean      top)
{
  MsStoredMessage *message = entry_at (self, number)->message;
  g_autoptr(GString) body = NULL;
  g_autofree char *summary = NULL;
  guint n_lines;

  body = stuff_message (message->raw, top ? body_lines : G_MAXUINT, &n_lines);
  if (top)
    {
      reply (self, TRUE, "top of message %u follows", number);
      summary = g_strdup_printf ("(message %u: header and %u body line%s, %zu octets)",
                                 number, body_lines, body_lines == 1 ? "" : "s", body->len);
    }
  else
    {
      reply (self, TRUE, "%zu octets", ms_stored_message_get_size (message));
      summary = g_strdup_printf ("(message %u: %zu octets, %u lines)",
                                 number, ms_stored_message_get_size (message), n_lines);
    }
  ms_engine_send_raw (MS_ENGINE (self), (const guint8 *) body->str, body->len);
  ms_engine_record_output (MS_ENGINE (self), MS_LINE_DATA, summary, -1);
  end_multiline (self);
}

/* Commands */

typedef enum
{
  ARGS_NONE,      /* no argument */
  ARGS_OPT_MSG,   /* [msg] */
  ARGS_MSG,       /* msg */
  ARGS_MSG_LINES, /* msg n */
  ARGS_TEXT,      /* the rest of the line, required (may hold spaces: a password) */
  ARGS_OPT_TEXT,  /* the rest of the line, optional */
} ArgShape;

typedef struct
{
  const char *verb;
  const char *text;       /* ARGS_TEXT / ARGS_OPT_TEXT: the rest of the line, or NULL */
  gboolean    has_msg;
  guint       msg;
  guint       lines;
} Pop3Args;

typedef gboolean (*Pop3CheckFunc)   (MsPop3Server *self, const Pop3Args *args);
typedef void     (*Pop3ProceedFunc) (MsPop3Server *self, const Pop3Args *args);

typedef struct
{
  const char      *verb;
  guint            allowed;   /* mask of POP3_IN (state) */
  ArgShape         shape;
  Pop3CheckFunc    check;     /* policy and syntax beyond the shape; replies on refusal */
  Pop3ProceedFunc  proceed;
} Pop3CommandSpec;

static gboolean
plaintext_allowed (MsPop3Server *self)
{
  return self->config.allow_plain_login_without_tls || !self->config.tls_available
         || ms_engine_is_tls_active (MS_ENGINE (self));
}

static gboolean
check_plaintext (MsPop3Server   *self,
                 const Pop3Args *args)
{
  if (plaintext_allowed (self))
    return TRUE;
  reply (self, FALSE, "[AUTH] plaintext authentication disallowed before STLS");
  return FALSE;
}

/* RFC 1939 §7 USER */
static void
proceed_user (MsPop3Server   *self,
              const Pop3Args *args)
{
  g_free (self->pending_user);
  self->pending_user = g_strdup (args->text);
  /* Same answer for every name: a -ERR here would tell who has a mailbox. */
  reply (self, TRUE, "send PASS");
}

static gboolean
check_pass (MsPop3Server   *self,
            const Pop3Args *args)
{
  if (!check_plaintext (self, args))
    return FALSE;
  if (self->pending_user == NULL)
    {
      reply (self, FALSE, "send USER first");
      return FALSE;
    }
  return TRUE;
}

/* RFC 1939 §7 PASS */
static void
proceed_pass (MsPop3Server   *self,
              const Pop3Args *args)
{
  g_autofree char *login = g_steal_pointer (&self->pending_user);
  const char *address = ms_mail_store_check_password (self->store, login, args->text);

  /* RFC 1939 suggests a delay after a failed PASS; a sans-I/O engine cannot sleep,
   * so the error counter limits guessing instead. */
  if (address == NULL)
    {
      reply (self, FALSE, "[AUTH] invalid user name or password");
      return;
    }
  open_maildrop (self, address);
}

/* RFC 1939 §7 APOP name digest */
static void
proceed_apop (MsPop3Server   *self,
              const Pop3Args *args)
{
  const char *space = strrchr (args->text, ' ');
  g_autofree char *name = NULL;
  g_autofree char *expected = NULL;
  const char *address;
  const char *secret;

  if (space == NULL || space == args->text || space[1] == '\0')
    {
      reply (self, FALSE, "APOP needs a name and a digest");
      return;
    }
  name = g_strndup (args->text, space - args->text);
  g_strchomp (name);
  address = ms_mail_store_lookup_user (self->store, name);
  secret = address != NULL ? ms_mail_store_get_password (self->store, address) : NULL;
  if (secret != NULL)
    expected = ms_pop3_apop_digest (self->timestamp, secret);
  if (expected == NULL || g_ascii_strcasecmp (expected, space + 1) != 0)
    {
      reply (self, FALSE, "[AUTH] invalid user name or digest");
      return;
    }
  g_clear_pointer (&self->pending_user, g_free);
  open_maildrop (self, address);
}

/* RFC 4616 PLAIN: [authzid] NUL authcid NUL passwd, base64 (RFC 5034 §4). */
static void
finish_sasl_plain (MsPop3Server *self,
                   const char   *b64)
{
  g_autofree guchar *decoded = NULL;
  gsize len = 0;
  const char *authzid;
  const char *authcid;
  const char *passwd;
  const char *nul1;
  const char *nul2;
  const char *address;
  const char *as_user;

  if (strcmp (b64, "*") == 0)
    {
      reply (self, FALSE, "authentication cancelled");
      return;
    }
  for (const char *p = b64; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      {
        reply (self, FALSE, "invalid base64 in authentication response");
        return;
      }
  if (strcmp (b64, "=") != 0)
    decoded = g_base64_decode (b64, &len);
  nul1 = decoded != NULL ? memchr (decoded, '\0', len) : NULL;
  nul2 = nul1 != NULL ? memchr (nul1 + 1, '\0', len - (nul1 + 1 - (const char *) decoded)) : NULL;
  if (nul2 == NULL || memchr (nul2 + 1, '\0', len - (nul2 + 1 - (const char *) decoded)) != NULL)
    {
      reply (self, FALSE, "malformed PLAIN response (authzid NUL authcid NUL password)");
      return;
    }
  {
    /* Make the password a C string: copy out of the decoded buffer. */
    g_autofree char *pass_copy = g_strndup (nul2 + 1, len - (nul2 + 1 - (const char *) decoded));

    authzid = (const char *) decoded;
    authcid = nul1 + 1;
    passwd = pass_copy;
    address = ms_mail_store_check_password (self->store, authcid, passwd);
    if (address == NULL)
      {
        reply (self, FALSE, "[AUTH] invalid user name or password");
        return;
      }
    as_user = authzid[0] != '\0' ? ms_mail_store_lookup_user (self->store, authzid) : address;
    if (as_user == NULL || g_ascii_strcasecmp (as_user, address) != 0)
      {
        g_autofree char *shown = echo_text (authzid);
        reply (self, FALSE, "[AUTH] not authorized to act as %s", shown);
        return;
      }
    open_maildrop (self, address);
  }
}

/* RFC 5034 §4 AUTH mechanism [initial-response] */
static void
proceed_auth (MsPop3Server   *self,
              const Pop3Args *args)
{
  g_auto(GStrv) words = NULL;

  if (args->text == NULL)
    {
      reply (self, FALSE, "AUTH needs a mechanism (see SASL in CAPA)");
      return;
    }
  words = g_strsplit (args->text, " ", 0);
  if (g_ascii_strcasecmp (words[0], "PLAIN") != 0)
    {
      g_autofree char *shown = echo_text (words[0]);
      reply (self, FALSE, "unsupported authentication mechanism %s", shown);
      return;
    }
  if (words[1] != NULL && words[2] != NULL)
    {
      reply (self, FALSE, "too many arguments for AUTH");
      return;
    }
  if (words[1] != NULL)
    {
      finish_sasl_plain (self, words[1]);
      return;
    }
  /* An empty challenge: "+ " (RFC 5034 §4). */
  self->sasl_pending = TRUE;
  ms_engine_set_max_line (MS_ENGINE (self), MS_POP3_MAX_SASL_LINE);
  ms_engine_send_text (MS_ENGINE (self), MS_LINE_REPLY, "+ ", 2);
}

/* RFC 1939 §5 STAT */
static void
proceed_stat (MsPop3Server   *self,
              const Pop3Args *args)
{
  guint count;
  guint64 octets;

  maildrop_totals (self, &count, &octets);
  reply (self, TRUE, "%u %" G_GUINT64_FORMAT, count, octets);
}

/* RFC 1939 §5 LIST [msg] */
static void
proceed_list (MsPop3Server   *self,
              const Pop3Args *args)
{
  guint count;
  guint64 octets;

  if (args->has_msg)
    {
      reply (self, TRUE, "%u %zu", args->msg,
             ms_stored_message_get_size (entry_at (self, args->msg)->message));
      return;
    }
  maildrop_totals (self, &count, &octets);
  reply (self, TRUE, "%u message%s (%" G_GUINT64_FORMAT " octets)",
         count, count == 1 ? "" : "s", octets);
  for (guint i = 1; i <= self->maildrop->len; i++)
    {
      g_autofree char *line = NULL;

      if (entry_at (self, i)->deleted)
        continue;
      line = g_strdup_printf ("%u %zu", i,
                              ms_stored_message_get_size (entry_at (self, i)->message));
      send_multiline (self, line);
    }
  end_multiline (self);
}

/* RFC 1939 §5 RETR msg: also sets \Seen, which IMAP then shows. */
static void
proceed_retr (MsPop3Server   *self,
              const Pop3Args *args)
{
  MsStoredMessage *message = entry_at (self, args->msg)->message;

  send_message (self, args->msg, 0, FALSE);
  if (ms_mailbox_find_uid (self->inbox, message->uid) >= 0 && !(message->flags & MS_FLAG_SEEN))
    ms_mailbox_set_flags (self->inbox, message, message->flags | MS_FLAG_SEEN, NULL);
}

/* RFC 1939 §5 DELE msg: only marks; UPDATE removes. */
static void
proceed_dele (MsPop3Server   *self,
              const Pop3Args *args)
{
  entry_at (self, args->msg)->deleted = TRUE;
  reply (self, TRUE, "message %u deleted", args->msg);
}

/* RFC 1939 §5 NOOP */
static void
proceed_noop (MsPop3Server   *self,
              const Pop3Args *args)
{
  reply (self, TRUE, "%s", "");
}

/* RFC 1939 §5 RSET */
static void
proceed_rset (MsPop3Server   *self,
              const Pop3Args *args)
{
  guint count;
  guint64 octets;

  for (guint i = 1; i <= self->maildrop->len; i++)
    entry_at (self, i)->deleted = FALSE;
  maildrop_totals (self, &count, &octets);
  reply (self, TRUE, "maildrop has %u message%s (%" G_GUINT64_FORMAT " octets)",
         count, count == 1 ? "" : "s", octets);
}

/* RFC 1939 §6 the UPDATE state: the marked messages leave the INBOX now. */
static void
proceed_quit (MsPop3Server   *self,
              const Pop3Args *args)
{
  if (self->state == MS_POP3_SERVER_STATE_TRANSACTION)
    {
      guint left;

      enter_state (self, MS_POP3_SERVER_STATE_UPDATE);
      for (guint i = 1; i <= self->maildrop->len; i++)
        if (entry_at (self, i)->deleted)
          ms_mailbox_expunge_uid (self->inbox, entry_at (self, i)->message->uid);
      left = ms_mailbox_get_n_messages (self->inbox);
      if (left == 0)
        reply (self, TRUE, "%s POP3 server signing off (maildrop empty)", self->hostname);
      else
        reply (self, TRUE, "%s POP3 server signing off (%u message%s left)",
               self->hostname, left, left == 1 ? "" : "s");
    }
  else
    reply (self, TRUE, "%s POP3 server signing off", self->hostname);
  close_session (self);
}

/* RFC 1939 §7 TOP msg n */
static void
proceed_top (MsPop3Server   *self,
             const Pop3Args *args)
{
  send_message (self, args->msg, args->lines, TRUE);
}

/* RFC 1939 §7 UIDL [msg]: "<uidvalidity>.<uid>" stays the same across sessions. */
static void
proceed_uidl (MsPop3Server   *self,
              const Pop3Args *args)
{
  guint32 uidvalidity = ms_mailbox_get_uidvalidity (self->inbox);

  if (args->has_msg)
    {
      reply (self, TRUE, "%u %u.%u", args->msg, uidvalidity,
             entry_at (self, args->msg)->message->uid);
      return;
    }
  reply (self, TRUE, "unique-id listing follows");
  for (guint i = 1; i <= self->maildrop->len; i++)
    {
      g_autofree char *line = NULL;

      if (entry_at (self, i)->deleted)
        continue;
      line = g_strdup_printf ("%u %u.%u", i, uidvalidity, entry_at (self, i)->message->uid);
      send_multiline (self, line);
    }
  end_multiline (self);
}

/* RFC 2449 §5 CAPA: only what this server really does, in this state. */
static void
proceed_capa (MsPop3Server   *self,
              const Pop3Args *args)
{
  gboolean authorization = self->state == MS_POP3_SERVER_STATE_AUTHORIZATION;

  reply (self, TRUE, "capability list follows");
  send_multiline (self, "TOP");
  if (authorization && plaintext_allowed (self))
    {
      send_multiline (self, "USER");
      send_multiline (self, "SASL PLAIN");
    }
  send_multiline (self, "UIDL");
  send_multiline (self, "RESP-CODES");
  send_multiline (self, "AUTH-RESP-CODE");
  send_multiline (self, "PIPELINING");
  send_multiline (self, "EXPIRE NEVER");
  if (authorization && self->config.tls_available && !ms_engine_is_tls_active (MS_ENGINE (self)))
    send_multiline (self, "STLS");
  send_multiline (self, "IMPLEMENTATION MailSim");
  end_multiline (self);
}

static gboolean
check_stls (MsPop3Server   *self,
            const Pop3Args *args)
{
  if (!self->config.tls_available)
    {
      reply (self, FALSE, "TLS is not available on this server");
      return FALSE;
    }
  if (ms_engine_is_tls_active (MS_ENGINE (self)))
    {
      reply (self, FALSE, "TLS is already active");
      return FALSE;
    }
  return TRUE;
}

/* RFC 2595 §4 STLS */
static void
proceed_stls (MsPop3Server   *self,
              const Pop3Args *args)
{
  reply (self, TRUE, "begin TLS negotiation");
  ms_engine_request_tls (MS_ENGINE (self));
}

static const Pop3CommandSpec pop3_commands[] = {
  /* AUTHORIZATION */
  { "USER", POP3_AUTH,  ARGS_TEXT,      check_plaintext, proceed_user },
  { "PASS", POP3_AUTH,  ARGS_TEXT,      check_pass,      proceed_pass },
  { "APOP", POP3_AUTH,  ARGS_TEXT,      NULL,            proceed_apop },
  { "AUTH", POP3_AUTH,  ARGS_OPT_TEXT,  check_plaintext, proceed_auth },
  { "STLS", POP3_AUTH,  ARGS_NONE,      check_stls,      proceed_stls },
  /* TRANSACTION */
  { "STAT", POP3_TRANS, ARGS_NONE,      NULL,            proceed_stat },
  { "LIST", POP3_TRANS, ARGS_OPT_MSG,   NULL,            proceed_list },
  { "RETR", POP3_TRANS, ARGS_MSG,       NULL,            proceed_retr },
  { "DELE", POP3_TRANS, ARGS_MSG,       NULL,            proceed_dele },
  { "NOOP", POP3_TRANS, ARGS_NONE,      NULL,            proceed_noop },
  { "RSET", POP3_TRANS, ARGS_NONE,      NULL,            proceed_rset },
  { "TOP",  POP3_TRANS, ARGS_MSG_LINES, NULL,            proceed_top },
  { "UIDL", POP3_TRANS, ARGS_OPT_MSG,   NULL,            proceed_uidl },
  /* ANY */
  { "QUIT", POP3_AUTH | POP3_TRANS, ARGS_NONE, NULL,     proceed_quit },
  { "CAPA", POP3_AUTH | POP3_TRANS, ARGS_NONE, NULL,     proceed_capa },
};

static gboolean
parse_number (const char *word,
              guint      *value)
{
  guint64 v = 0;

  if (word == NULL || *word == '\0')
    return FALSE;
  for (const char *p = word; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v = v * 10 + (guint64) (*p - '0');
      if (v > G_MAXUINT)
        return FALSE;
    }
  *value = (guint) v;
  return TRUE;
}

/* Shape and message-number checks shared by every command. */
static gboolean
parse_args (MsPop3Server          *self,
            const Pop3CommandSpec *spec,
            const char            *rest,
            Pop3Args              *args)
{
  g_auto(GStrv) words = NULL;
  guint n_words;
  guint max_words = 0;
  guint min_words = 0;

  switch (spec->shape)
    {
    case ARGS_TEXT:
      if (*rest == '\0')
        {
          reply (self, FALSE, "%s needs an argument", spec->verb);
          return FALSE;
        }
      args->text = rest;
      return TRUE;
    case ARGS_OPT_TEXT:
      args->text = *rest != '\0' ? rest : NULL;
      return TRUE;
    case ARGS_NONE:
      break;
    case ARGS_OPT_MSG:
      max_words = 1;
      break;
    case ARGS_MSG:
      min_words = max_words = 1;
      break;
    case ARGS_MSG_LINES:
      min_words = max_words = 2;
      break;
    default:
      g_assert_not_reached ();
    }

  words = g_strsplit_set (rest, " ", 0);
  n_words = 0;
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      words[n_words++] = words[i];
    else
      g_free (words[i]);
  words[n_words] = NULL;

  if (n_words > max_words)
    {
      reply (self, FALSE, "too many arguments for %s", spec->verb);
      return FALSE;
    }
  if (n_words < min_words)
    {
      reply (self, FALSE, "%s needs %s", spec->verb,
             min_words == 2 ? "a message number and a line count" : "a message number");
      return FALSE;
    }
  if (n_words == 0)
    return TRUE;

  if (!parse_number (words[0], &args->msg))
    {
      g_autofree char *shown = echo_text (words[0]);
      reply (self, FALSE, "invalid message number: %s", shown);
      return FALSE;
    }
  if (n_words == 2 && !parse_number (words[1], &args->lines))
    {
      g_autofree char *shown = echo_text (words[1]);
      reply (self, FALSE, "invalid line count: %s", shown);
      return FALSE;
    }
  if (args->msg == 0 || args->msg > self->maildrop->len)
    {
      reply (self, FALSE, "no such message");
      return FALSE;
    }
  if (entry_at (self, args->msg)->deleted)
    {
      reply (self, FALSE, "message %u already deleted", args->msg);
      return FALSE;
    }
  args->has_msg = TRUE;
  return TRUE;
}

static const Pop3CommandSpec *
find_command (const char *verb)
{
  for (guint i = 0; i < G_N_ELEMENTS (pop3_commands); i++)
    if (g_ascii_strcasecmp (pop3_commands[i].verb, verb) == 0)
      return &pop3_commands[i];
  return NULL;
}


static void
dispatch (MsPop3Server *self,
          const char   *line)
{
  const char *space = strchr (line, ' ');
  g_autofree char *verb = space != NULL ? g_strndup (line, space - line) : g_strdup (line);
  const char *rest = space != NULL ? space + 1 : "";
  const Pop3CommandSpec *spec;
  Pop3Args args = { 0 };

  if (*verb == '\0')
    {
      reply (self, FALSE, "empty command");
      return;
    }
  spec = find_command (verb);
  if (spec == NULL)
    {
      g_autofree char *shown = echo_text (verb);
      reply (self, FALSE, "unknown command \"%s\"", shown);
      return;
    }
  /* Sequence first (the state mask), then policy and syntax. */
  if (!(spec->allowed & POP3_IN (self->state)))
    {
      reply (self, FALSE, "%s is not allowed in the %s state%s", spec->verb,
             state_names[self->state],
             self->state == MS_POP3_SERVER_STATE_AUTHORIZATION ? " (log in first)" : "");
      return;
    }
  args.verb = spec->verb;
  if (!parse_args (self, spec, rest, &args))
    return;
  if (spec->check != NULL && !spec->check (self, &args))
    return;
  spec->proceed (self, &args);
}

static void
ms_pop3_server_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsPop3Server *self = MS_POP3_SERVER (engine);

  if (self->state >= MS_POP3_SERVER_STATE_UPDATE)
    return;

  if (self->sasl_pending)
    {
      self->sasl_pending = FALSE;
      ms_engine_set_max_line (engine, MS_POP3_MAX_COMMAND_LINE - 2);
      ms_engine_record_input (engine, MS_LINE_AUTH, line, len);
      finish_sasl_plain (self, line);
      return;
    }

  ms_engine_record_input (engine, MS_LINE_COMMAND, line, len);
  if (strlen (line) != len)
    {
      reply (self, FALSE, "NUL octet in command line");
      return;
    }
  dispatch (self, line);
}

/* RFC 2449 §4: 255 octets with CRLF; the session goes on. */
static void
ms_pop3_server_handle_overflow (MsEngine *engine,
                                gsize     discarded)
{
  MsPop3Server *self = MS_POP3_SERVER (engine);
  g_autofree char *note = NULL;

  if (self->state >= MS_POP3_SERVER_STATE_UPDATE)
    return;
  note = g_strdup_printf ("(over-long line of %zu octets discarded)", discarded);
  ms_engine_record_input (engine, MS_LINE_NOTE, note, -1);
  self->sasl_pending = FALSE;
  ms_engine_set_max_line (engine, MS_POP3_MAX_COMMAND_LINE - 2);
  reply (self, FALSE, "line too long (at most %d octets with CRLF, RFC 2449)",
         MS_POP3_MAX_COMMAND_LINE);
}

static void
ms_pop3_server_start (MsEngine *engine)
{
  MsPop3Server *self = MS_POP3_SERVER (engine);

  /* RFC 1939 §4 greeting, with the APOP timestamp (§7). */
  reply (self, TRUE, "%s POP3 server ready %s", self->hostname, self->timestamp);
}

/* RFC 2595 §4: after TLS the client starts over in AUTHORIZATION. */
static void
ms_pop3_server_tls_started (MsEngine *engine)
{
  MsPop3Server *self = MS_POP3_SERVER (engine);

  g_clear_pointer (&self->pending_user, g_free);
  self->sasl_pending = FALSE;
  ms_engine_set_max_line (engine, MS_POP3_MAX_COMMAND_LINE - 2);
  enter_state (self, MS_POP3_SERVER_STATE_AUTHORIZATION);
}

/* RFC 1939 §6: a session that ends without QUIT never enters UPDATE; nothing is removed. */
static void
ms_pop3_server_peer_closed (MsEngine *engine)
{
  MsPop3Server *self = MS_POP3_SERVER (engine);

  release_lock (self);
  enter_state (self, MS_POP3_SERVER_STATE_CLOSED);
}

static void
ms_pop3_server_dispose (GObject *object)
{
  MsPop3Server *self = MS_POP3_SERVER (object);

  if (self->store != NULL)
    release_lock (self);
  g_clear_object (&self->inbox);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (ms_pop3_server_parent_class)->dispose (object);
}

static void
ms_pop3_server_finalize (GObject *object)
{
  MsPop3Server *self = MS_POP3_SERVER (object);

  g_free (self->hostname);
  g_free (self->timestamp);
  g_free (self->pending_user);
  g_free (self->user);
  g_array_unref (self->maildrop);

  G_OBJECT_CLASS (ms_pop3_server_parent_class)->finalize (object);
}

static void
ms_pop3_server_class_init (MsPop3ServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->dispose = ms_pop3_server_dispose;
  object_class->finalize = ms_pop3_server_finalize;
  engine_class->start = ms_pop3_server_start;
  engine_class->handle_line = ms_pop3_server_handle_line;
  engine_class->handle_overflow = ms_pop3_server_handle_overflow;
  engine_class->tls_started = ms_pop3_server_tls_started;
  engine_class->peer_closed = ms_pop3_server_peer_closed;

  /* (old state, new state) as MsPop3ServerState */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
ms_pop3_server_init (MsPop3Server *self)
{
  self->maildrop = g_array_new (FALSE, TRUE, sizeof (MaildropEntry));
  g_array_set_clear_func (self->maildrop, maildrop_entry_clear);
  ms_engine_set_max_line (MS_ENGINE (self), MS_POP3_MAX_COMMAND_LINE - 2);
}

/**
 * ms_pop3_server_new:
 * @config: hostname, TLS and policy settings (copied)
 * @store: the mail store whose INBOXes are the maildrops
 *
 * Returns: (transfer full): a server engine for one connection
 */
MsPop3Server *
ms_pop3_server_new (const MsPop3ServerConfig *config,
                    MsMailStore              *store)
{
  static gint counter;
  MsPop3Server *self;
  guint32 pid;
  guint64 clock;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (MS_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MS_TYPE_POP3_SERVER, "role", MS_ENGINE_ROLE_SERVER, NULL);
  self->config = *config;
  self->hostname = g_strdup (config->hostname != NULL ? config->hostname : "localhost");
  self->config.hostname = self->hostname;
  if (self->config.max_errors == 0)
    self->config.max_errors = MS_POP3_DEFAULT_MAX_ERRORS;
  self->store = g_object_ref (store);

  /* Unique per connection in the live lab; fixed by the scenario in the simulator. */
  pid = config->apop_pid != 0 ? config->apop_pid : (guint32) getpid ();
  clock = config->apop_clock != 0
          ? config->apop_clock
          : (guint64) g_get_real_time () + (guint64) g_atomic_int_add (&counter, 1);
  self->timestamp = g_strdup_printf ("<%u.%" G_GUINT64_FORMAT "@%s>", pid, clock, self->hostname);
  return self;
}

MsPop3ServerState
ms_pop3_server_get_state (MsPop3Server *self)
{
  g_return_val_if_fail (MS_IS_POP3_SERVER (self), MS_POP3_SERVER_STATE_CLOSED);
  return self->state;
}

const char *
ms_pop3_server_get_timestamp (MsPop3Server *self)
{
  g_return_val_if_fail (MS_IS_POP3_SERVER (self), NULL);
  return self->timestamp;
}

const char *
ms_pop3_server_get_user (MsPop3Server *self)
{
  g_return_val_if_fail (MS_IS_POP3_SERVER (self), NULL);
  return self->state == MS_POP3_SERVER_STATE_AUTHORIZATION ? NULL : self->user;
}
