/* ms-pop3-client.c: the POP3 client engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One command at a time: each sent command knows whether its answer is a single line or a
 * multi-line response (RFC 1939 §3), so the reader needs no guessing. Multi-line bodies
 * are dot-unstuffed and kept byte-exact (CRLF line ends restored).
 */
#define G_LOG_DOMAIN "ms-pop3-client"

#include "config.h"

#include <string.h>

#include "ms-pop3-client.h"
#include "ms-pop3-server.h"

typedef enum
{
  PHASE_GREETING,
  PHASE_CAPA,
  PHASE_STLS,
  PHASE_TLS_WAIT,
  PHASE_USER,
  PHASE_PASS,
  PHASE_APOP,
  PHASE_AUTH_PLAIN,
  PHASE_ACTION,
  PHASE_QUIT,
  PHASE_DONE,
} Phase;

typedef struct
{
  MsPop3Action action;
  guint        msg;
  guint        lines;
} QueuedAction;

struct _MsPop3Client
{
  MsEngine            parent_instance;

  char               *user;
  char               *password;
  MsPop3ClientConfig  config;
  Phase               phase;
  GQueue              actions;        /* of QueuedAction* */
  QueuedAction       *current;        /* the action whose answer is awaited */
  gboolean            in_multiline;   /* after +OK of a multi-line response */
  GByteArray         *body;           /* RETR/TOP content being collected */
  GPtrArray          *body_lines;     /* CAPA/LIST/UIDL lines being collected */
  char               *timestamp;      /* APOP timestamp from the greeting, or NULL */
  GPtrArray          *capabilities;   /* of char*, NULL-terminated */
  const char         *auth_method;
  gboolean            have_stat;
  guint               stat_count;
  guint64             stat_octets;
  gboolean            listing_complete;
  GPtrArray          *retrieved;      /* of MsPop3Retrieved* */
  GTree              *listing;        /* number -> MsPop3ListEntry* */
  GPtrArray          *listing_array;  /* a snapshot for get_listing */
  guint               n_refused;
  char               *last_refusal;
  GError             *failure;        /* decided; reported when the session ends */
  gboolean            finished;
};

enum {
  MESSAGE_RETRIEVED,
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsPop3Client, ms_pop3_client, MS_TYPE_ENGINE)
G_DEFINE_QUARK (ms-pop3-client-error-quark, ms_pop3_client_error)

static void
retrieved_free (gpointer data)
{
  MsPop3Retrieved *r = data;

  g_bytes_unref (r->data);
  g_free (r);
}

static void
list_entry_free (gpointer data)
{
  MsPop3ListEntry *e = data;

  g_free (e->uidl);
  g_free (e);
}

static int
compare_numbers (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  guint x = GPOINTER_TO_UINT (a);
  guint y = GPOINTER_TO_UINT (b);

  return x < y ? -1 : x > y;
}

const char *
ms_pop3_unstuff_line (const char *line,
                      gboolean   *is_end)
{
  *is_end = strcmp (line, ".") == 0;
  return line[0] == '.' ? line + 1 : line;
}

static void
finish (MsPop3Client *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  self->phase = PHASE_DONE;
  g_signal_emit (self, signals[FINISHED], 0, self->failure);
}

static void send_command (MsPop3Client *self, Phase phase, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

static void
send_command (MsPop3Client *self,
              Phase         phase,
              const char   *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  self->phase = phase;
  self->in_multiline = FALSE;
  ms_engine_send_text (MS_ENGINE (self), MS_LINE_COMMAND, text, -1);
}

/* Something went wrong but the server still talks: say QUIT, then report. */
static void
fail_and_quit (MsPop3Client *self,
               gint          code,
               const char   *format,
               ...) G_GNUC_PRINTF (3, 4);

static void
fail_and_quit (MsPop3Client *self,
               gint          code,
               const char   *format,
               ...)
{
  va_list args;

  if (self->failure == NULL)
    {
      va_start (args, format);
      self->failure = g_error_new_valist (MS_POP3_CLIENT_ERROR, code, format, args);
      va_end (args);
    }
  send_command (self, PHASE_QUIT, "QUIT");
}

/* The server is not speaking POP3: stop at once. */
static void
fail_now (MsPop3Client *self,
          gint          code,
          const char   *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
fail_now (MsPop3Client *self,
          gint          code,
          const char   *format,
          ...)
{
  va_list args;

  if (self->failure == NULL)
    {
      va_start (args, format);
      self->failure = g_error_new_valist (MS_POP3_CLIENT_ERROR, code, format, args);
      va_end (args);
    }
  finish (self);
  ms_engine_request_close (MS_ENGINE (self));
}

static MsPop3ListEntry *
listing_entry (MsPop3Client *self,
               guint         number)
{
  MsPop3ListEntry *entry = g_tree_lookup (self->listing, GUINT_TO_POINTER (number));

  if (entry == NULL)
    {
      entry = g_new0 (MsPop3ListEntry, 1);
      entry->number = number;
      g_tree_insert (self->listing, GUINT_TO_POINTER (number), entry);
    }
  return entry;
}

static gboolean
parse_uint (const char  *text,
            const char **end,
            guint64     *value)
{
  guint64 v = 0;
  const char *p = text;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  while (g_ascii_isdigit (*p))
    {
      v = v * 10 + (guint64) (*p - '0');
      if (v > G_MAXUINT32 * (guint64) 1024)
        return FALSE;
      p++;
    }
  *value = v;
  if (end != NULL)
    *end = p;
  return TRUE;
}

/* "n size" of LIST; "n uid" of UIDL. */
static gboolean
parse_scan_line (MsPop3Client *self,
                 const char   *line,
                 gboolean      uidl)
{
  guint64 number;
  guint64 size;
  const char *p;

  if (!parse_uint (line, &p, &number) || number == 0 || number > G_MAXUINT || *p != ' ')
    return FALSE;
  while (*p == ' ')
    p++;
  if (uidl)
    {
      MsPop3ListEntry *entry;

      if (*p == '\0')
        return FALSE;
      entry = listing_entry (self, (guint) number);
      g_free (entry->uidl);
      entry->uidl = g_strdup (p);
      return TRUE;
    }
  if (!parse_uint (p, NULL, &size))
    return FALSE;
  listing_entry (self, (guint) number)->size = size;
  return TRUE;
}

static void start_login (MsPop3Client *self);
static void next_action (MsPop3Client *self);

/* After CAPA (or its -ERR on an old server). */
static void
after_capa (MsPop3Client *self)
{
  gboolean tls = ms_engine_is_tls_active (MS_ENGINE (self));

  if (!tls && self->config.use_stls && ms_pop3_client_has_capability (self, "STLS"))
    {
      send_command (self, PHASE_STLS, "STLS");
      return;
    }
  if (!tls && self->config.require_tls)
    {
      fail_and_quit (self, MS_POP3_CLIENT_ERROR_UNSUPPORTED,
                     "the server does not offer STLS and TLS is required");
      return;
    }
  start_login (self);
}

static void
start_login (MsPop3Client *self)
{
  if (self->config.use_apop && self->timestamp != NULL)
    {
      g_autofree char *digest = ms_pop3_apop_digest (self->timestamp, self->password);

      send_command (self, PHASE_APOP, "APOP %s %s", self->user, digest);
      return;
    }
  if (self->config.use_sasl_plain && ms_pop3_client_has_capability (self, "SASL PLAIN"))
    {
      gsize ulen = strlen (self->user);
      gsize plen = strlen (self->password);
      g_autofree guchar *raw = g_malloc (ulen + plen + 2);
      g_autofree char *b64 = NULL;

      raw[0] = '\0';
      memcpy (raw + 1, self->user, ulen);
      raw[ulen + 1] = '\0';
      memcpy (raw + ulen + 2, self->password, plen);
      b64 = g_base64_encode (raw, ulen + plen + 2);
      send_command (self, PHASE_AUTH_PLAIN, "AUTH PLAIN %s", b64);
      return;
    }
  send_command (self, PHASE_USER, "USER %s", self->user);
}

static void
logged_in (MsPop3Client *self,
           const char   *method)
{
  self->auth_method = method;
  next_action (self);
}

static gboolean
action_is_multiline (const QueuedAction *action)
{
  switch (action->action)
    {
    case MS_POP3_ACTION_LIST:
    case MS_POP3_ACTION_UIDL:
      return action->msg == 0;
    case MS_POP3_ACTION_RETR:
    case MS_POP3_ACTION_TOP:
      return TRUE;
    case MS_POP3_ACTION_STAT:
    case MS_POP3_ACTION_RETR_ALL:
    case MS_POP3_ACTION_DELE:
    case MS_POP3_ACTION_NOOP:
    case MS_POP3_ACTION_RSET:
    case MS_POP3_ACTION_QUIT:
    default:
      return FALSE;
    }
}

static void
push_front (MsPop3Client *self,
            MsPop3Action  action,
            guint         msg,
            guint         lines)
{
  QueuedAction *queued = g_new0 (QueuedAction, 1);

  queued->action = action;
  queued->msg = msg;
  queued->lines = lines;
  g_queue_push_head (&self->actions, queued);
}

static void
next_action (MsPop3Client *self)
{
  QueuedAction *action;

  g_clear_pointer (&self->current, g_free);
  action = g_queue_pop_head (&self->actions);
  if (action == NULL || action->action == MS_POP3_ACTION_QUIT)
    {
      g_free (action);
      send_command (self, PHASE_QUIT, "QUIT");
      return;
    }

  if (action->action == MS_POP3_ACTION_RETR_ALL)
    {
      if (!self->listing_complete)
        {
          /* Learn the message numbers first, then come back here. */
          g_queue_push_head (&self->actions, action);
          push_front (self, MS_POP3_ACTION_LIST, 0, 0);
        }
      else
        {
          g_autoptr(GPtrArray) entries = g_ptr_array_ref (ms_pop3_client_get_listing (self));

          for (guint i = entries->len; i > 0; i--)
            push_front (self, MS_POP3_ACTION_RETR,
                        ((MsPop3ListEntry *) g_ptr_array_index (entries, i - 1))->number, 0);
          g_free (action);
        }
      next_action (self);
      return;
    }

  self->current = action;
  switch (action->action)
    {
    case MS_POP3_ACTION_STAT:
      send_command (self, PHASE_ACTION, "STAT");
      break;
    case MS_POP3_ACTION_LIST:
      if (action->msg == 0)
        send_command (self, PHASE_ACTION, "LIST");
      else
        send_command (self, PHASE_ACTION, "LIST %u", action->msg);
      break;
    case MS_POP3_ACTION_UIDL:
      if (action->msg == 0)
        send_command (self, PHASE_ACTION, "UIDL");
      else
        send_command (self, PHASE_ACTION, "UIDL %u", action->msg);
      break;
    case MS_POP3_ACTION_RETR:
      send_command (self, PHASE_ACTION, "RETR %u", action->msg);
      break;
    case MS_POP3_ACTION_TOP:
      send_command (self, PHASE_ACTION, "TOP %u %u", action->msg, action->lines);
      break;
    case MS_POP3_ACTION_DELE:
      send_command (self, PHASE_ACTION, "DELE %u", action->msg);
      break;
    case MS_POP3_ACTION_NOOP:
      send_command (self, PHASE_ACTION, "NOOP");
      break;
    case MS_POP3_ACTION_RSET:
      send_command (self, PHASE_ACTION, "RSET");
      break;
    case MS_POP3_ACTION_RETR_ALL:
    case MS_POP3_ACTION_QUIT:
    default:
      g_assert_not_reached ();
    }
}

/* A single-line answer to an action, or the first line of a multi-line one. */
static void
action_status (MsPop3Client *self,
               gboolean      ok,
               const char   *text)
{
  QueuedAction *action = self->current;

  if (!ok)
    {
      self->n_refused++;
      g_free (self->last_refusal);
      self->last_refusal = g_strdup (text);
      next_action (self);
      return;
    }
  if (action_is_multiline (action))
    {
      self->in_multiline = TRUE;
      g_byte_array_set_size (self->body, 0);
      g_ptr_array_set_size (self->body_lines, 0);
      return;
    }
  switch (action->action)
    {
    case MS_POP3_ACTION_STAT:
      {
        guint64 count;
        guint64 octets;
        const char *p;

        if (!parse_uint (text, &p, &count) || *p != ' ' || !parse_uint (p + 1, NULL, &octets)
            || count > G_MAXUINT)
          {
            fail_now (self, MS_POP3_CLIENT_ERROR_PROTOCOL, "malformed STAT answer: %s", text);
            return;
          }
        self->have_stat = TRUE;
        self->stat_count = (guint) count;
        self->stat_octets = octets;
      }
      break;
    case MS_POP3_ACTION_LIST:
    case MS_POP3_ACTION_UIDL:
      if (!parse_scan_line (self, text, action->action == MS_POP3_ACTION_UIDL))
        {
          fail_now (self, MS_POP3_CLIENT_ERROR_PROTOCOL, "malformed %s answer: %s",
                    action->action == MS_POP3_ACTION_UIDL ? "UIDL" : "LIST", text);
          return;
        }
      break;
    case MS_POP3_ACTION_DELE:
      {
        MsPop3ListEntry *entry = g_tree_lookup (self->listing, GUINT_TO_POINTER (action->msg));

        /* RFC 1939: a deleted message is gone from later listings. */
        if (entry != NULL)
          g_tree_remove (self->listing, GUINT_TO_POINTER (action->msg));
      }
      break;
    case MS_POP3_ACTION_RSET:
      self->listing_complete = FALSE;
      break;
    case MS_POP3_ACTION_NOOP:
    default:
      break;
    }
  next_action (self);
}

static void
multiline_done (MsPop3Client *self)
{
  QueuedAction *action = self->current;

  self->in_multiline = FALSE;
  switch (action->action)
    {
    case MS_POP3_ACTION_RETR:
    case MS_POP3_ACTION_TOP:
      {
        MsPop3Retrieved *r = g_new0 (MsPop3Retrieved, 1);
        g_autofree char *summary = NULL;

        r->number = action->msg;
        r->partial = action->action == MS_POP3_ACTION_TOP;
        r->data = g_bytes_new (self->body->data, self->body->len);
        summary = g_strdup_printf ("(message %u: %u octets received)", r->number, self->body->len);
        ms_engine_record_input (MS_ENGINE (self), MS_LINE_DATA, summary, -1);
        g_ptr_array_add (self->retrieved, r);
        g_signal_emit (self, signals[MESSAGE_RETRIEVED], 0, r->number, r->partial, r->data);
        if (!r->partial && self->config.delete_after_retrieve)
          push_front (self, MS_POP3_ACTION_DELE, r->number, 0);
      }
      break;
    case MS_POP3_ACTION_LIST:
    case MS_POP3_ACTION_UIDL:
      {
        gboolean uidl = action->action == MS_POP3_ACTION_UIDL;

        for (guint i = 0; i < self->body_lines->len; i++)
          if (!parse_scan_line (self, g_ptr_array_index (self->body_lines, i), uidl))
            {
              fail_now (self, MS_POP3_CLIENT_ERROR_PROTOCOL, "malformed %s line: %s",
                        uidl ? "UIDL" : "LIST", (char *) g_ptr_array_index (self->body_lines, i));
              return;
            }
        if (!uidl)
          self->listing_complete = TRUE;
      }
      break;
    default:
      break;
    }
  next_action (self);
}

static void
handle_multiline_line (MsPop3Client *self,
                       const char   *line,
                       gsize         len)
{
  gboolean is_end;
  const char *content = ms_pop3_unstuff_line (line, &is_end);
  gboolean is_message = self->phase == PHASE_ACTION
                        && (self->current->action == MS_POP3_ACTION_RETR
                            || self->current->action == MS_POP3_ACTION_TOP);

  /* Message lines are summarised once at the end; list lines are recorded one by one. */
  if (!is_message || is_end)
    ms_engine_record_input (MS_ENGINE (self), MS_LINE_REPLY, line, len);
  if (is_end)
    {
      if (self->phase == PHASE_CAPA)
        {
          self->in_multiline = FALSE;
          g_ptr_array_add (self->capabilities, NULL);
          after_capa (self);
        }
      else
        multiline_done (self);
      return;
    }
  if (is_message)
    {
      g_byte_array_append (self->body, (const guint8 *) content, len - (content - line));
      g_byte_array_append (self->body, (const guint8 *) "\r\n", 2);
    }
  else if (self->phase == PHASE_CAPA)
    {
      /* Keywords are case-insensitive (RFC 2449 §6); keep them upper-case. */
      g_autofree char *upper = g_ascii_strup (content, -1);
      g_ptr_array_add (self->capabilities, g_steal_pointer (&upper));
    }
  else
    g_ptr_array_add (self->body_lines, g_strdup (content));
}

/* "<...>" in the greeting: the APOP timestamp (RFC 1939 §7). */
static char *
find_timestamp (const char *greeting)
{
  const char *open = strchr (greeting, '<');
  const char *close = open != NULL ? strchr (open, '>') : NULL;

  if (close == NULL || memchr (open, '@', close - open) == NULL)
    return NULL;
  return g_strndup (open, close - open + 1);
}

static void
ms_pop3_client_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsPop3Client *self = MS_POP3_CLIENT (engine);
  gboolean ok;
  const char *text;

  if (self->phase == PHASE_DONE)
    return;
  if (self->in_multiline)
    {
      handle_multiline_line (self, line, len);
      return;
    }

  ms_engine_record_input (engine, MS_LINE_REPLY, line, len);
  if (g_str_has_prefix (line, "+OK") && (line[3] == '\0' || line[3] == ' '))
    {
      ok = TRUE;
      text = line[3] == ' ' ? line + 4 : "";
    }
  else if (g_str_has_prefix (line, "-ERR") && (line[4] == '\0' || line[4] == ' '))
    {
      ok = FALSE;
      text = line[4] == ' ' ? line + 5 : "";
    }
  else
    {
      fail_now (self, MS_POP3_CLIENT_ERROR_PROTOCOL, "not a POP3 status line: %.64s", line);
      return;
    }

  switch (self->phase)
    {
    case PHASE_GREETING:
      if (!ok)
        {
          fail_now (self, MS_POP3_CLIENT_ERROR_REJECTED, "the server refused the session: %s",
                    text);
          return;
        }
      self->timestamp = find_timestamp (text);
      send_command (self, PHASE_CAPA, "CAPA");
      break;

    case PHASE_CAPA:
      g_ptr_array_set_size (self->capabilities, 0);
      if (ok)
        self->in_multiline = TRUE;
      else
        {
          /* An RFC 1939-only server: no capabilities known. */
          g_ptr_array_add (self->capabilities, NULL);
          after_capa (self);
        }
      break;

    case PHASE_STLS:
      if (!ok)
        {
          fail_and_quit (self, MS_POP3_CLIENT_ERROR_REJECTED, "STLS refused: %s", text);
          return;
        }
      self->phase = PHASE_TLS_WAIT;
      ms_engine_request_tls (engine);
      break;

    case PHASE_USER:
      if (!ok)
        fail_and_quit (self, MS_POP3_CLIENT_ERROR_REJECTED, "USER refused: %s", text);
      else
        send_command (self, PHASE_PASS, "PASS %s", self->password);
      break;

    case PHASE_PASS:
    case PHASE_APOP:
    case PHASE_AUTH_PLAIN:
      if (!ok)
        fail_and_quit (self, MS_POP3_CLIENT_ERROR_REJECTED, "login failed: %s", text);
      else
        logged_in (self, self->phase == PHASE_PASS ? "USER"
                         : self->phase == PHASE_APOP ? "APOP" : "PLAIN");
      break;

    case PHASE_ACTION:
      action_status (self, ok, text);
      break;

    case PHASE_QUIT:
      /* RFC 1939 §6: -ERR here means some deleted messages were not removed. */
      if (!ok && self->failure == NULL)
        self->failure = g_error_new (MS_POP3_CLIENT_ERROR, MS_POP3_CLIENT_ERROR_REJECTED,
                                     "QUIT failed: %s", text);
      finish (self);
      ms_engine_request_close (engine);
      break;

    case PHASE_TLS_WAIT:
    case PHASE_DONE:
    default:
      fail_now (self, MS_POP3_CLIENT_ERROR_PROTOCOL, "unexpected line: %.64s", line);
      break;
    }
}

static void
ms_pop3_client_handle_overflow (MsEngine *engine,
                                gsize     discarded)
{
  fail_now (MS_POP3_CLIENT (engine), MS_POP3_CLIENT_ERROR_PROTOCOL,
            "a line of %zu octets is longer than this client accepts", discarded);
}

/* RFC 2595 §4: forget the capabilities and ask again over TLS. */
static void
ms_pop3_client_tls_started (MsEngine *engine)
{
  MsPop3Client *self = MS_POP3_CLIENT (engine);

  g_ptr_array_set_size (self->capabilities, 0);
  g_ptr_array_add (self->capabilities, NULL);
  send_command (self, PHASE_CAPA, "CAPA");
}

static void
ms_pop3_client_peer_closed (MsEngine *engine)
{
  MsPop3Client *self = MS_POP3_CLIENT (engine);

  if (self->finished)
    return;
  if (self->failure == NULL)
    self->failure = g_error_new (MS_POP3_CLIENT_ERROR, MS_POP3_CLIENT_ERROR_CONNECTION,
                                 "the server closed the connection before QUIT completed");
  finish (self);
}

static void
ms_pop3_client_finalize (GObject *object)
{
  MsPop3Client *self = MS_POP3_CLIENT (object);

  g_free (self->user);
  g_free (self->password);
  g_queue_clear_full (&self->actions, g_free);
  g_free (self->current);
  g_byte_array_unref (self->body);
  g_ptr_array_unref (self->body_lines);
  g_free (self->timestamp);
  g_ptr_array_unref (self->capabilities);
  g_ptr_array_unref (self->retrieved);
  g_tree_unref (self->listing);
  g_clear_pointer (&self->listing_array, g_ptr_array_unref);
  g_free (self->last_refusal);
  g_clear_error (&self->failure);

  G_OBJECT_CLASS (ms_pop3_client_parent_class)->finalize (object);
}

static void
ms_pop3_client_class_init (MsPop3ClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->finalize = ms_pop3_client_finalize;
  engine_class->handle_line = ms_pop3_client_handle_line;
  engine_class->handle_overflow = ms_pop3_client_handle_overflow;
  engine_class->tls_started = ms_pop3_client_tls_started;
  engine_class->peer_closed = ms_pop3_client_peer_closed;

  /* (number, partial, GBytes) */
  signals[MESSAGE_RETRIEVED] =
    g_signal_new ("message-retrieved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_BOOLEAN, G_TYPE_BYTES);
  /* (GError or NULL) */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ms_pop3_client_init (MsPop3Client *self)
{
  g_queue_init (&self->actions);
  self->body = g_byte_array_new ();
  self->body_lines = g_ptr_array_new_with_free_func (g_free);
  self->capabilities = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->capabilities, NULL);
  self->retrieved = g_ptr_array_new_with_free_func (retrieved_free);
  self->listing = g_tree_new_full (compare_numbers, NULL, NULL, list_entry_free);
  ms_engine_set_max_line (MS_ENGINE (self), MS_POP3_CLIENT_MAX_LINE);
}

/**
 * ms_pop3_client_new:
 * @config: user, password and choices (copied)
 *
 * Returns: (transfer full): a client engine; queue actions, then connect it
 */
MsPop3Client *
ms_pop3_client_new (const MsPop3ClientConfig *config)
{
  MsPop3Client *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->user != NULL && config->password != NULL, NULL);

  self = g_object_new (MS_TYPE_POP3_CLIENT, "role", MS_ENGINE_ROLE_CLIENT, NULL);
  self->config = *config;
  self->user = g_strdup (config->user);
  self->password = g_strdup (config->password);
  self->config.user = self->user;
  self->config.password = self->password;
  return self;
}

void
ms_pop3_client_add_action (MsPop3Client *self,
                           MsPop3Action  action,
                           guint         msg,
                           guint         lines)
{
  QueuedAction *queued;

  g_return_if_fail (MS_IS_POP3_CLIENT (self));
  g_return_if_fail (action <= MS_POP3_ACTION_QUIT);

  queued = g_new0 (QueuedAction, 1);
  queued->action = action;
  queued->msg = msg;
  queued->lines = lines;
  g_queue_push_tail (&self->actions, queued);
}

gboolean
ms_pop3_client_is_finished (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), FALSE);
  return self->finished;
}

const GError *
ms_pop3_client_get_error (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);
  return self->failure;
}

const char *
ms_pop3_client_get_auth_method (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);
  return self->auth_method;
}

const char * const *
ms_pop3_client_get_capabilities (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);
  return (const char * const *) self->capabilities->pdata;
}

/* Matches a whole capability line ("STLS") or its first words ("SASL PLAIN" within
 * "SASL PLAIN LOGIN" matches only as a keyword followed by its listed argument). */
gboolean
ms_pop3_client_has_capability (MsPop3Client *self,
                               const char   *keyword)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), FALSE);

  for (guint i = 0; i < self->capabilities->len; i++)
    {
      const char *cap = g_ptr_array_index (self->capabilities, i);
      const char *space = keyword != NULL ? strchr (keyword, ' ') : NULL;

      if (cap == NULL)
        continue;
      if (g_ascii_strcasecmp (cap, keyword) == 0)
        return TRUE;
      /* "SASL PLAIN": the keyword SASL with PLAIN among its arguments. */
      if (space != NULL && g_ascii_strncasecmp (cap, keyword, space - keyword + 1) == 0)
        {
          g_auto(GStrv) args = g_strsplit (cap + (space - keyword) + 1, " ", 0);

          for (guint j = 0; args[j] != NULL; j++)
            if (g_ascii_strcasecmp (args[j], space + 1) == 0)
              return TRUE;
        }
    }
  return FALSE;
}

gboolean
ms_pop3_client_get_stat (MsPop3Client *self,
                         guint        *count,
                         guint64      *octets)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), FALSE);

  if (count != NULL)
    *count = self->stat_count;
  if (octets != NULL)
    *octets = self->stat_octets;
  return self->have_stat;
}

GPtrArray *
ms_pop3_client_get_retrieved (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);
  return self->retrieved;
}

static gboolean
collect_entry (gpointer key,
               gpointer value,
               gpointer data)
{
  g_ptr_array_add (data, value);
  return FALSE;
}

GPtrArray *
ms_pop3_client_get_listing (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);

  g_clear_pointer (&self->listing_array, g_ptr_array_unref);
  self->listing_array = g_ptr_array_new ();
  g_tree_foreach (self->listing, collect_entry, self->listing_array);
  return self->listing_array;
}

const char *
ms_pop3_client_get_uidl (MsPop3Client *self,
                         guint         number)
{
  MsPop3ListEntry *entry;

  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);

  entry = g_tree_lookup (self->listing, GUINT_TO_POINTER (number));
  return entry != NULL ? entry->uidl : NULL;
}

guint
ms_pop3_client_get_n_refused (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), 0);
  return self->n_refused;
}

const char *
ms_pop3_client_get_last_refusal (MsPop3Client *self)
{
  g_return_val_if_fail (MS_IS_POP3_CLIENT (self), NULL);
  return self->last_refusal;
}
