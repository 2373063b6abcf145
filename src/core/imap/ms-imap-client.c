/* ms-imap-client.c: the IMAP4rev1 client engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RFC 3501 §2.2 (commands and tagged/untagged responses), §4.3 (literals: a client
 * waits for "+" before sending each synchronising literal; the server's {n} is followed
 * by exactly n octets), §6.2.1 (STARTTLS), RFC 2177 (IDLE/DONE). One command is in flight
 * at a time; every untagged response that arrives while it runs is attached to its result.
 */
#define G_LOG_DOMAIN "ms-imap-client"

#include "config.h"

#include <string.h>

#include "ms-imap-client.h"

typedef struct
{
  GString *text;     /* command text, or NULL for a literal */
  GBytes  *literal;
} Part;

typedef enum
{
  KIND_PLAIN,
  KIND_STARTTLS,
  KIND_IDLE,
  KIND_LOGOUT,
} CommandKind;

typedef struct
{
  char        *tag;
  char        *verb;
  CommandKind  kind;
  GPtrArray   *parts;          /* of Part*; the first text starts with the tag */
  guint        next_part;
  gboolean     awaiting_plus;  /* a literal (or IDLE) waits for the continuation */
  guint        idle_max;       /* IDLE: DONE after this many untagged responses; 0: on done() */
  guint        idle_seen;
  gboolean     idling;
  gboolean     done_sent;
} Command;

struct _MsImapClient
{
  MsEngine        parent_instance;

  guint           next_tag;
  GQueue          queue;           /* of Command*, not yet sent */
  Command        *current;         /* sent, waiting for its tagged response */
  gboolean        done_requested;  /* ms_imap_client_done() before the "+ idling" came */
  GString        *response;        /* the response being read, across literals */
  GPtrArray      *literals;        /* of GBytes, for the response being read */
  gboolean        in_response;
  GPtrArray      *pending;         /* of MsImapResponse*, untagged for the current command */
  MsImapResponse *greeting;
  GPtrArray      *results;         /* of MsImapCommandResult* */
  GPtrArray      *capabilities;    /* of char*, upper-case */
  char           *bye;             /* text of an untagged BYE */
  GError         *failure;
  gboolean        finished;
};

enum {
  UNTAGGED,
  COMMAND_DONE,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsImapClient, ms_imap_client, MS_TYPE_ENGINE)
G_DEFINE_QUARK (ms-imap-client-error-quark, ms_imap_client_error)

static void
part_free (gpointer data)
{
  Part *part = data;

  if (part->text != NULL)
    g_string_free (part->text, TRUE);
  g_clear_pointer (&part->literal, g_bytes_unref);
  g_free (part);
}

static void
command_free (gpointer data)
{
  Command *cmd = data;

  if (cmd == NULL)
    return;
  g_free (cmd->tag);
  g_free (cmd->verb);
  g_ptr_array_unref (cmd->parts);
  g_free (cmd);
}

static void
response_free (gpointer data)
{
  MsImapResponse *r = data;

  g_free (r->raw);
  g_free (r->keyword);
  g_free (r->code);
  g_ptr_array_unref (r->literals);
  g_free (r);
}

static void
result_free (gpointer data)
{
  MsImapCommandResult *r = data;

  g_free (r->tag);
  g_free (r->verb);
  g_free (r->code);
  g_free (r->text);
  g_ptr_array_unref (r->untagged);
  g_free (r);
}

static void
finish (MsImapClient *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_signal_emit (self, signals[FINISHED], 0, self->failure);
}

static void fail_now (MsImapClient *self, gint code, const char *format, ...) G_GNUC_PRINTF (3, 4);

static void
fail_now (MsImapClient *self,
          gint          code,
          const char   *format,
          ...)
{
  va_list args;

  if (self->failure == NULL)
    {
      va_start (args, format);
      self->failure = g_error_new_valist (MS_IMAP_CLIENT_ERROR, code, format, args);
      va_end (args);
    }
  finish (self);
  ms_engine_request_close (MS_ENGINE (self));
}

/* Building commands */

static Part *
last_text (Command *cmd)
{
  Part *part = cmd->parts->len > 0 ? g_ptr_array_index (cmd->parts, cmd->parts->len - 1) : NULL;

  if (part == NULL || part->text == NULL)
    {
      part = g_new0 (Part, 1);
      part->text = g_string_new (NULL);
      g_ptr_array_add (cmd->parts, part);
    }
  return part;
}

static void
cmd_text (Command    *cmd,
          const char *text)
{
  g_string_append (last_text (cmd)->text, text);
}

static void
cmd_literal (Command *cmd,
             GBytes  *bytes)
{
  Part *part = g_new0 (Part, 1);

  part->literal = g_bytes_ref (bytes);
  g_ptr_array_add (cmd->parts, part);
}

/* RFC 3501 §4.3/§4.5: a quoted string when it is 7-bit without CR/LF, else a literal. */
static void
cmd_string (Command    *cmd,
            const char *value)
{
  GString *quoted;

  for (const char *p = value; *p; p++)
    if ((guchar) *p >= 0x80 || *p == '\r' || *p == '\n')
      {
        g_autoptr(GBytes) bytes = g_bytes_new (value, strlen (value));
        cmd_literal (cmd, bytes);
        return;
      }
  quoted = g_string_new ("\"");
  for (const char *p = value; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  cmd_text (cmd, quoted->str);
  g_string_free (quoted, TRUE);
}

static Command *
cmd_new (MsImapClient *self,
         const char   *verb,
         CommandKind   kind)
{
  Command *cmd = g_new0 (Command, 1);

  cmd->tag = g_strdup_printf ("a%03u", ++self->next_tag);
  cmd->verb = g_strdup (verb);
  cmd->kind = kind;
  cmd->parts = g_ptr_array_new_with_free_func (part_free);
  cmd_text (cmd, cmd->tag);
  cmd_text (cmd, " ");
  cmd_text (cmd, verb);
  return cmd;
}

/* Sending */

static void
send_next_parts (MsImapClient *self)
{
  Command *cmd = self->current;
  g_autoptr(GString) line = g_string_new (NULL);
  gboolean after_literal = cmd->next_part > 0;

  while (cmd->next_part < cmd->parts->len)
    {
      Part *part = g_ptr_array_index (cmd->parts, cmd->next_part);

      if (part->text != NULL)
        {
          g_string_append_len (line, part->text->str, part->text->len);
          cmd->next_part++;
          continue;
        }
      /* A synchronising literal: announce it, then wait for "+" (RFC 3501 §4.3). */
      g_string_append_printf (line, "{%zu}", g_bytes_get_size (part->literal));
      ms_engine_send_text (MS_ENGINE (self), MS_LINE_COMMAND, line->str, line->len);
      cmd->awaiting_plus = TRUE;
      return;
    }
  if (line->len > 0 || !after_literal)
    ms_engine_send_text (MS_ENGINE (self), MS_LINE_COMMAND, line->str, line->len);
  else
    ms_engine_send_raw (MS_ENGINE (self), (const guint8 *) "\r\n", 2);
  /* IDLE waits for "+ idling" before it may say DONE (RFC 2177 §3). */
  cmd->awaiting_plus = cmd->kind == KIND_IDLE;
}

static void
send_literal (MsImapClient *self)
{
  Command *cmd = self->current;
  Part *part = g_ptr_array_index (cmd->parts, cmd->next_part);
  gsize len;
  const guint8 *data = g_bytes_get_data (part->literal, &len);
  g_autofree char *summary = g_strdup_printf ("(literal: %zu octets)", len);

  cmd->next_part++;
  cmd->awaiting_plus = FALSE;
  ms_engine_send_raw (MS_ENGINE (self), data, len);
  ms_engine_record_output (MS_ENGINE (self), MS_LINE_DATA, summary, -1);
  send_next_parts (self);
}

static void
send_done (MsImapClient *self)
{
  self->current->done_sent = TRUE;
  self->done_requested = FALSE;
  ms_engine_send_text (MS_ENGINE (self), MS_LINE_COMMAND, "DONE", 4);
}

/* Sends the next queued command when the line is free. */
static void
pump (MsImapClient *self)
{
  MsEngine *engine = MS_ENGINE (self);

  if (self->current != NULL || self->greeting == NULL || self->finished
      || ms_engine_is_closed (engine) || ms_engine_is_tls_pending (engine))
    return;
  self->current = g_queue_pop_head (&self->queue);
  if (self->current == NULL)
    return;
  send_next_parts (self);
}

static const char *
enqueue (MsImapClient *self,
         Command      *cmd)
{
  g_queue_push_tail (&self->queue, cmd);
  pump (self);
  return cmd->tag;
}

/* Reading responses */

static gboolean
is_status_word (const char *word)
{
  return g_strcmp0 (word, "OK") == 0 || g_strcmp0 (word, "NO") == 0 || g_strcmp0 (word, "BAD") == 0
         || g_strcmp0 (word, "BYE") == 0 || g_strcmp0 (word, "PREAUTH") == 0;
}

/* Splits off the next space-delimited word; *rest points after it and its space. */
static char *
next_word (const char  *text,
           const char **rest)
{
  const char *end = strchr (text, ' ');

  if (end == NULL)
    {
      *rest = text + strlen (text);
      return g_strdup (text);
    }
  *rest = end + 1;
  return g_strndup (text, end - text);
}

/* "[CODE args] text" -> code, text */
static void
split_code (const char  *text,
            char       **code,
            const char **rest)
{
  *code = NULL;
  *rest = text;
  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');

      if (close != NULL)
        {
          *code = g_strndup (text + 1, close - text - 1);
          *rest = close[1] == ' ' ? close + 2 : close + 1;
        }
    }
}

static void
set_capabilities (MsImapClient *self,
                  const char   *list)
{
  g_auto(GStrv) words = g_strsplit (list, " ", 0);

  g_ptr_array_set_size (self->capabilities, 0);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_ptr_array_add (self->capabilities, g_ascii_strup (words[i], -1));
}

static void
note_code (MsImapClient *self,
           const char   *code)
{
  if (code != NULL && g_ascii_strncasecmp (code, "CAPABILITY ", 11) == 0)
    set_capabilities (self, code + 11);
}

static MsImapResponse *
parse_untagged (MsImapClient *self,
                const char   *raw,
                gsize         raw_len)
{
  MsImapResponse *r = g_new0 (MsImapResponse, 1);
  const char *rest;
  g_autofree char *first = NULL;

  r->raw = g_strndup (raw, raw_len);
  r->raw_len = raw_len;
  r->literals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < self->literals->len; i++)
    g_ptr_array_add (r->literals, g_bytes_ref (g_ptr_array_index (self->literals, i)));
  first = next_word (raw + 2, &rest);
  if (first[0] != '\0' && strspn (first, "0123456789") == strlen (first) && strlen (first) < 10)
    {
      g_autofree char *second = NULL;

      r->number = (guint) g_ascii_strtoull (first, NULL, 10);
      second = next_word (rest, &rest);
      r->keyword = g_ascii_strup (second, -1);
    }
  else
    r->keyword = g_ascii_strup (first, -1);

  if (is_status_word (r->keyword))
    {
      const char *text;

      split_code (rest, &r->code, &text);
      note_code (self, r->code);
    }
  else if (strcmp (r->keyword, "CAPABILITY") == 0)
    set_capabilities (self, rest);
  return r;
}

static void
handle_untagged (MsImapClient *self,
                 const char   *raw,
                 gsize         raw_len)
{
  MsImapResponse *r = parse_untagged (self, raw, raw_len);

  if (self->greeting == NULL)
    {
      /* RFC 3501 §7.1: the greeting is OK, PREAUTH or BYE. */
      self->greeting = r;
      if (strcmp (r->keyword, "BYE") == 0)
        {
          fail_now (self, MS_IMAP_CLIENT_ERROR_REJECTED, "the server refused the session: %s",
                    raw);
          return;
        }
      if (strcmp (r->keyword, "OK") != 0 && strcmp (r->keyword, "PREAUTH") != 0)
        {
          fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "not an IMAP greeting: %.64s", raw);
          return;
        }
      pump (self);
      return;
    }

  if (strcmp (r->keyword, "BYE") == 0)
    {
      g_free (self->bye);
      self->bye = g_strdup (raw);
    }
  g_ptr_array_add (self->pending, r);
  g_signal_emit (self, signals[UNTAGGED], 0, r);

  if (self->current != NULL && self->current->kind == KIND_IDLE && self->current->idling)
    {
      self->current->idle_seen++;
      if (!self->current->done_sent && self->current->idle_max > 0
          && self->current->idle_seen >= self->current->idle_max)
        send_done (self);
    }
}

/* "+ text": go ahead with a literal, or IDLE has started. */
static void
handle_continuation (MsImapClient *self,
                     const char   *raw)
{
  Command *cmd = self->current;

  if (cmd == NULL || !cmd->awaiting_plus)
    {
      fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "unexpected continuation: %.64s", raw);
      return;
    }
  if (cmd->kind == KIND_IDLE && cmd->next_part >= cmd->parts->len)
    {
      cmd->awaiting_plus = FALSE;
      cmd->idling = TRUE;
      if (self->done_requested)
        send_done (self);
      return;
    }
  send_literal (self);
}

static void
handle_tagged (MsImapClient *self,
               const char   *raw)
{
  MsImapCommandResult *result;
  Command *cmd = self->current;
  const char *rest;
  const char *text;
  g_autofree char *tag = next_word (raw, &rest);
  g_autofree char *status = next_word (rest, &rest);
  g_autofree char *upper = g_ascii_strup (status, -1);

  if (cmd == NULL || strcmp (tag, cmd->tag) != 0)
    {
      fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "response for an unknown tag: %.64s", raw);
      return;
    }
  result = g_new0 (MsImapCommandResult, 1);
  if (strcmp (upper, "OK") == 0)
    result->status = MS_IMAP_STATUS_OK;
  else if (strcmp (upper, "NO") == 0)
    result->status = MS_IMAP_STATUS_NO;
  else if (strcmp (upper, "BAD") == 0)
    result->status = MS_IMAP_STATUS_BAD;
  else
    {
      g_free (result);
      fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "not a tagged status: %.64s", raw);
      return;
    }
  result->tag = g_strdup (cmd->tag);
  result->verb = g_strdup (cmd->verb);
  split_code (rest, &result->code, &text);
  result->text = g_strdup (text);
  result->untagged = g_steal_pointer (&self->pending);
  self->pending = g_ptr_array_new_with_free_func (response_free);
  note_code (self, result->code);
  g_ptr_array_add (self->results, result);

  self->current = NULL;
  g_signal_emit (self, signals[COMMAND_DONE], 0, result);

  if (cmd->kind == KIND_STARTTLS && result->status == MS_IMAP_STATUS_OK)
    {
      /* RFC 3501 §6.2.1: forget the capabilities; the next command goes over TLS. */
      g_ptr_array_set_size (self->capabilities, 0);
      ms_engine_request_tls (MS_ENGINE (self));
    }
  else if (cmd->kind == KIND_LOGOUT && result->status == MS_IMAP_STATUS_OK)
    {
      finish (self);
      ms_engine_request_close (MS_ENGINE (self));
    }
  else
    pump (self);
  command_free (cmd);
}

static void
complete_response (MsImapClient *self)
{
  g_autoptr(GString) response = g_steal_pointer (&self->response);

  self->in_response = FALSE;
  if (g_str_has_prefix (response->str, "* "))
    handle_untagged (self, response->str, response->len);
  else if (response->str[0] == '+')
    handle_continuation (self, response->str);
  else
    handle_tagged (self, response->str);
  g_ptr_array_set_size (self->literals, 0);
}

/* "... {n}" or "... {n+}" at the end of a line announces a literal. */
static gboolean
ends_with_literal (const char *line,
                   gsize       len,
                   guint64    *size)
{
  gsize i;

  if (len < 3 || line[len - 1] != '}')
    return FALSE;
  i = len - 2;
  if (line[i] == '+')
    i--;
  if (!g_ascii_isdigit (line[i]))
    return FALSE;
  while (i > 0 && g_ascii_isdigit (line[i]))
    i--;
  if (line[i] != '{')
    return FALSE;
  *size = g_ascii_strtoull (line + i + 1, NULL, 10);
  return TRUE;
}

/* Status responses and continuations carry text, never literals. */
static gboolean
first_line_may_have_literals (const char *line)
{
  const char *rest;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  if (line[0] == '+')
    return FALSE;
  first = next_word (line, &rest);
  second = next_word (rest, &rest);
  if (strcmp (first, "*") != 0)
    return FALSE;  /* tagged: a status line */
  {
    g_autofree char *upper = g_ascii_strup (second, -1);
    return !is_status_word (upper);
  }
}

static void
ms_imap_client_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsImapClient *self = MS_IMAP_CLIENT (engine);
  guint64 size;

  if (self->finished)
    return;
  ms_engine_record_input (engine, MS_LINE_REPLY, line, len);
  if (!self->in_response)
    {
      if (strlen (line) != len)
        {
          fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "NUL octet in a response line");
          return;
        }
      self->in_response = TRUE;
      self->response = g_string_new_len (line, len);
      if (!first_line_may_have_literals (line))
        {
          complete_response (self);
          return;
        }
    }
  else
    g_string_append_len (self->response, line, len);

  if (ends_with_literal (line, len, &size))
    {
      if (size > MS_IMAP_CLIENT_MAX_LITERAL)
        {
          fail_now (self, MS_IMAP_CLIENT_ERROR_PROTOCOL, "a literal of %" G_GUINT64_FORMAT
                    " octets is larger than this client accepts", size);
          return;
        }
      g_string_append (self->response, "\r\n");
      ms_engine_expect_literal (engine, (gsize) size);
      return;
    }
  complete_response (self);
}

static void
ms_imap_client_handle_literal (MsEngine *engine,
                               GBytes   *bytes)
{
  MsImapClient *self = MS_IMAP_CLIENT (engine);
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  g_autofree char *summary = g_strdup_printf ("(literal: %zu octets)", len);

  if (self->finished || self->response == NULL)
    return;
  ms_engine_record_input (engine, MS_LINE_DATA, summary, -1);
  g_string_append_len (self->response, data, len);
  g_ptr_array_add (self->literals, g_bytes_ref (bytes));
  /* The response goes on with the next line (at least ")" or CRLF). */
}

static void
ms_imap_client_handle_overflow (MsEngine *engine,
                                gsize     discarded)
{
  fail_now (MS_IMAP_CLIENT (engine), MS_IMAP_CLIENT_ERROR_PROTOCOL,
            "a response line of %zu octets is longer than this client accepts", discarded);
}

static void
ms_imap_client_tls_started (MsEngine *engine)
{
  pump (MS_IMAP_CLIENT (engine));
}

static void
ms_imap_client_peer_closed (MsEngine *engine)
{
  MsImapClient *self = MS_IMAP_CLIENT (engine);

  if (self->finished)
    return;
  if (self->failure == NULL)
    self->failure = g_error_new (MS_IMAP_CLIENT_ERROR, MS_IMAP_CLIENT_ERROR_CONNECTION,
                                 "the server closed the connection%s%s",
                                 self->bye != NULL ? ": " : "", self->bye != NULL ? self->bye : "");
  finish (self);
}

static void
ms_imap_client_finalize (GObject *object)
{
  MsImapClient *self = MS_IMAP_CLIENT (object);

  g_queue_clear_full (&self->queue, command_free);
  command_free (self->current);
  if (self->response != NULL)
    g_string_free (self->response, TRUE);
  g_ptr_array_unref (self->literals);
  g_ptr_array_unref (self->pending);
  g_clear_pointer (&self->greeting, response_free);
  g_ptr_array_unref (self->results);
  g_ptr_array_unref (self->capabilities);
  g_free (self->bye);
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (ms_imap_client_parent_class)->finalize (object);
}

static void
ms_imap_client_class_init (MsImapClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->finalize = ms_imap_client_finalize;
  engine_class->handle_line = ms_imap_client_handle_line;
  engine_class->handle_literal = ms_imap_client_handle_literal;
  engine_class->handle_overflow = ms_imap_client_handle_overflow;
  engine_class->tls_started = ms_imap_client_tls_started;
  engine_class->peer_closed = ms_imap_client_peer_closed;

  /* (MsImapResponse *) */
  signals[UNTAGGED] =
    g_signal_new ("untagged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* (MsImapCommandResult *) */
  signals[COMMAND_DONE] =
    g_signal_new ("command-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  /* (GError or NULL) */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ms_imap_client_init (MsImapClient *self)
{
  g_queue_init (&self->queue);
  self->literals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->pending = g_ptr_array_new_with_free_func (response_free);
  self->results = g_ptr_array_new_with_free_func (result_free);
  self->capabilities = g_ptr_array_new_with_free_func (g_free);
  ms_engine_set_max_line (MS_ENGINE (self), MS_IMAP_CLIENT_MAX_LINE);
}

MsImapClient *
ms_imap_client_new (void)
{
  return g_object_new (MS_TYPE_IMAP_CLIENT, "role", MS_ENGINE_ROLE_CLIENT, NULL);
}

/* Commands */

const char *
ms_imap_client_capability (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "CAPABILITY", KIND_PLAIN));
}

const char *
ms_imap_client_noop (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "NOOP", KIND_PLAIN));
}

const char *
ms_imap_client_starttls (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "STARTTLS", KIND_STARTTLS));
}

/* RFC 3501 §6.2.3 LOGIN userid password */
const char *
ms_imap_client_login (MsImapClient *self,
                      const char   *user,
                      const char   *password)
{
  Command *cmd;

  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (user != NULL && password != NULL, NULL);

  cmd = cmd_new (self, "LOGIN", KIND_PLAIN);
  cmd_text (cmd, " ");
  cmd_string (cmd, user);
  cmd_text (cmd, " ");
  cmd_string (cmd, password);
  return enqueue (self, cmd);
}

static const char *
mailbox_command (MsImapClient *self,
                 const char   *verb,
                 const char   *mailbox)
{
  Command *cmd = cmd_new (self, verb, KIND_PLAIN);

  cmd_text (cmd, " ");
  cmd_string (cmd, mailbox);
  return enqueue (self, cmd);
}

const char *
ms_imap_client_select (MsImapClient *self,
                       const char   *mailbox)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (mailbox != NULL, NULL);
  return mailbox_command (self, "SELECT", mailbox);
}

const char *
ms_imap_client_examine (MsImapClient *self,
                        const char   *mailbox)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (mailbox != NULL, NULL);
  return mailbox_command (self, "EXAMINE", mailbox);
}

static const char *
args_command (MsImapClient *self,
              gboolean      uid,
              const char   *verb,
              const char   *arg1,
              const char   *arg2)
{
  g_autofree char *full = g_strconcat (uid ? "UID " : "", verb, NULL);
  Command *cmd = cmd_new (self, full, KIND_PLAIN);

  if (arg1 != NULL)
    {
      cmd_text (cmd, " ");
      cmd_text (cmd, arg1);
    }
  if (arg2 != NULL)
    {
      cmd_text (cmd, " ");
      cmd_text (cmd, arg2);
    }
  return enqueue (self, cmd);
}

const char *
ms_imap_client_search (MsImapClient *self,
                       gboolean      uid,
                       const char   *criteria)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (criteria != NULL, NULL);
  return args_command (self, uid, "SEARCH", criteria, NULL);
}

const char *
ms_imap_client_fetch (MsImapClient *self,
                      gboolean      uid,
                      const char   *set,
                      const char   *items)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (set != NULL && items != NULL, NULL);
  return args_command (self, uid, "FETCH", set, items);
}

const char *
ms_imap_client_store (MsImapClient *self,
                      gboolean      uid,
                      const char   *set,
                      const char   *action)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (set != NULL && action != NULL, NULL);
  return args_command (self, uid, "STORE", set, action);
}

const char *
ms_imap_client_expunge (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "EXPUNGE", KIND_PLAIN));
}

const char *
ms_imap_client_close (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "CLOSE", KIND_PLAIN));
}

/* RFC 3501 §6.3.11 APPEND mailbox [flags] literal */
const char *
ms_imap_client_append (MsImapClient *self,
                       const char   *mailbox,
                       const char   *flags,
                       GBytes       *message)
{
  Command *cmd;

  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (mailbox != NULL && message != NULL, NULL);

  cmd = cmd_new (self, "APPEND", KIND_PLAIN);
  cmd_text (cmd, " ");
  cmd_string (cmd, mailbox);
  cmd_text (cmd, " ");
  if (flags != NULL)
    {
      cmd_text (cmd, flags);
      cmd_text (cmd, " ");
    }
  cmd_literal (cmd, message);
  return enqueue (self, cmd);
}

/* RFC 2177 IDLE */
const char *
ms_imap_client_idle (MsImapClient *self,
                     guint         max_responses)
{
  Command *cmd;

  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);

  cmd = cmd_new (self, "IDLE", KIND_IDLE);
  cmd->idle_max = max_responses;
  return enqueue (self, cmd);
}

void
ms_imap_client_done (MsImapClient *self)
{
  g_return_if_fail (MS_IS_IMAP_CLIENT (self));

  if (self->current != NULL && self->current->kind == KIND_IDLE && self->current->idling)
    {
      if (!self->current->done_sent)
        send_done (self);
      return;
    }
  self->done_requested = TRUE;
}

const char *
ms_imap_client_logout (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return enqueue (self, cmd_new (self, "LOGOUT", KIND_LOGOUT));
}

const char *
ms_imap_client_command (MsImapClient *self,
                        const char   *text)
{
  const char *space;
  g_autofree char *verb = NULL;
  Command *cmd;

  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (text != NULL && strpbrk (text, "\r\n") == NULL, NULL);

  space = strchr (text, ' ');
  verb = space != NULL ? g_ascii_strup (text, space - text) : g_ascii_strup (text, -1);
  cmd = cmd_new (self, verb, KIND_PLAIN);
  if (space != NULL)
    cmd_text (cmd, space);
  return enqueue (self, cmd);
}

/* Results */

gboolean
ms_imap_client_is_finished (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), FALSE);
  return self->finished;
}

const GError *
ms_imap_client_get_error (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return self->failure;
}

MsImapResponse *
ms_imap_client_get_greeting (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return self->greeting;
}

GPtrArray *
ms_imap_client_get_results (MsImapClient *self)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  return self->results;
}

MsImapCommandResult *
ms_imap_client_find_result (MsImapClient *self,
                            const char   *tag)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), NULL);
  g_return_val_if_fail (tag != NULL, NULL);

  for (guint i = 0; i < self->results->len; i++)
    {
      MsImapCommandResult *r = g_ptr_array_index (self->results, i);
      if (strcmp (r->tag, tag) == 0)
        return r;
    }
  return NULL;
}

gboolean
ms_imap_client_has_capability (MsImapClient *self,
                               const char   *capability)
{
  g_return_val_if_fail (MS_IS_IMAP_CLIENT (self), FALSE);

  for (guint i = 0; i < self->capabilities->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->capabilities, i), capability) == 0)
      return TRUE;
  return FALSE;
}

MsImapResponse *
ms_imap_command_result_find (MsImapCommandResult *result,
                             const char          *keyword)
{
  g_return_val_if_fail (result != NULL, NULL);

  for (guint i = 0; i < result->untagged->len; i++)
    {
      MsImapResponse *r = g_ptr_array_index (result->untagged, i);
      if (g_ascii_strcasecmp (r->keyword, keyword) == 0)
        return r;
    }
  return NULL;
}
