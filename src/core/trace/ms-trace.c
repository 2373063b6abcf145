/* ms-trace.c: the trace model
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-trace"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <gmime/gmime.h>

#include "ms-trace.h"

struct _MsTrace
{
  GObject           parent_instance;
  char             *source_kind;
  char             *source_name;
  MsTraceClockFunc  clock;
  gpointer          clock_data;
  gint64            started_us;
  guint             next_session_id;
  GPtrArray        *sessions;      /* MsTraceSession* */
  GPtrArray        *events;        /* MsTraceEvent* */
  GPtrArray        *messages;      /* MsTraceMessage* */
  GPtrArray        *expect_texts;  /* char* */
  GArray           *expect_ok;     /* gboolean */
  JsonObject       *topology;      /* the simulated network, or NULL */
  guint64           current_frame; /* stamped on new lines (captures) */
};

enum {
  SESSION_OPENED,
  SESSION_CLOSED,
  LINE_ADDED,
  EVENT_ADDED,
  MESSAGE_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (MsTrace, ms_trace, G_TYPE_OBJECT)

static void
trace_line_free (gpointer data)
{
  MsTraceLine *line = data;

  g_free (line->text);
  g_free (line->command);
  g_free (line->tag);
  g_free (line);
}

static void
trace_session_free (gpointer data)
{
  MsTraceSession *session = data;

  g_free (session->client);
  g_free (session->server);
  g_free (session->client_node);
  g_free (session->server_node);
  g_ptr_array_unref (session->lines);
  g_free (session);
}

static void
trace_event_free (gpointer data)
{
  MsTraceEvent *event = data;

  g_free (event->type);
  g_free (event->node);
  g_clear_pointer (&event->fields, json_object_unref);
  g_free (event);
}

static void
trace_message_free (gpointer data)
{
  MsTraceMessage *message = data;

  g_free (message->node);
  g_free (message->mail_from);
  g_strfreev (message->rcpt_to);
  g_free (message->subject);
  g_free (message->message_id);
  g_ptr_array_unref (message->headers);
  g_clear_pointer (&message->raw, g_bytes_unref);
  g_free (message);
}

static void
ms_trace_finalize (GObject *object)
{
  MsTrace *self = MS_TRACE (object);

  g_free (self->source_kind);
  g_free (self->source_name);
  g_ptr_array_unref (self->sessions);
  g_ptr_array_unref (self->events);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->expect_texts);
  g_array_unref (self->expect_ok);
  g_clear_pointer (&self->topology, json_object_unref);

  G_OBJECT_CLASS (ms_trace_parent_class)->finalize (object);
}

static void
ms_trace_class_init (MsTraceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ms_trace_finalize;

  /* Live views (serve, capture, the window) follow a trace as it grows. */
  signals[SESSION_OPENED] =
    g_signal_new ("session-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SESSION_CLOSED] =
    g_signal_new ("session-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[LINE_ADDED] =
    g_signal_new ("line-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_POINTER, G_TYPE_POINTER);
  signals[EVENT_ADDED] =
    g_signal_new ("event-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[MESSAGE_ADDED] =
    g_signal_new ("message-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static gint64
monotonic_clock (gpointer user_data)
{
  MsTrace *self = user_data;

  return g_get_monotonic_time () - self->started_us;
}

static void
ms_trace_init (MsTrace *self)
{
  self->clock = monotonic_clock;
  self->clock_data = self;
  self->started_us = g_get_monotonic_time ();
  self->next_session_id = 1;
  self->sessions = g_ptr_array_new_with_free_func (trace_session_free);
  self->events = g_ptr_array_new_with_free_func (trace_event_free);
  self->messages = g_ptr_array_new_with_free_func (trace_message_free);
  self->expect_texts = g_ptr_array_new_with_free_func (g_free);
  self->expect_ok = g_array_new (FALSE, FALSE, sizeof (gboolean));
}

MsTrace *
ms_trace_new (const char *source_kind,
              const char *source_name)
{
  MsTrace *self = g_object_new (MS_TYPE_TRACE, NULL);

  self->source_kind = g_strdup (source_kind ? source_kind : "live");
  self->source_name = g_strdup (source_name ? source_name : "");
  return self;
}

const char *
ms_trace_get_source_kind (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  return self->source_kind;
}

const char *
ms_trace_get_source_name (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  return self->source_name;
}

/* The simulator runs on a virtual clock, a capture on capture time, the live lab on
 * wall time: whoever owns the trace says what "now" is. */
void
ms_trace_set_clock (MsTrace          *self,
                    MsTraceClockFunc  func,
                    gpointer          user_data)
{
  g_return_if_fail (MS_IS_TRACE (self));

  if (func == NULL)
    {
      self->clock = monotonic_clock;
      self->clock_data = self;
      self->started_us = g_get_monotonic_time ();
      return;
    }
  self->clock = func;
  self->clock_data = user_data;
}

gint64
ms_trace_now (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), 0);
  return self->clock (self->clock_data);
}

MsTraceSession *
ms_trace_open_session (MsTrace    *self,
                       MsProtocol  protocol,
                       const char *client,
                       const char *server)
{
  MsTraceSession *session;

  g_return_val_if_fail (MS_IS_TRACE (self), NULL);

  session = g_new0 (MsTraceSession, 1);
  session->id = self->next_session_id++;
  session->protocol = protocol;
  session->client = g_strdup (client ? client : "0.0.0.0:0");
  session->server = g_strdup (server ? server : "0.0.0.0:0");
  session->tls = MS_TLS_NONE;
  session->opened_us = ms_trace_now (self);
  session->closed_us = -1;
  session->lines = g_ptr_array_new_with_free_func (trace_line_free);
  session->trace = self;
  g_ptr_array_add (self->sessions, session);
  g_signal_emit (self, signals[SESSION_OPENED], 0, session);
  return session;
}

void
ms_trace_close_session (MsTrace        *self,
                        MsTraceSession *session)
{
  g_return_if_fail (MS_IS_TRACE (self));
  g_return_if_fail (session != NULL);

  if (session->closed_us >= 0)
    return;
  session->closed_us = ms_trace_now (self);
  g_signal_emit (self, signals[SESSION_CLOSED], 0, session);
}

/* A streaming reader has written @session and its messages out: both are freed, so
 * memory is bounded by the open sessions. Session ids are never reused. */
void
ms_trace_forget_session (MsTrace        *self,
                         MsTraceSession *session)
{
  guint id;

  g_return_if_fail (MS_IS_TRACE (self));
  g_return_if_fail (session != NULL);

  id = session->id;
  for (guint i = self->messages->len; i > 0; i--)
    {
      MsTraceMessage *message = g_ptr_array_index (self->messages, i - 1);

      if (message->session == id)
        g_ptr_array_remove_index (self->messages, i - 1);
    }
  g_ptr_array_remove (self->sessions, session);
}

guint
ms_trace_get_n_sessions (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), 0);
  return self->sessions->len;
}

MsTraceSession *
ms_trace_get_session (MsTrace *self,
                      guint    index)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  g_return_val_if_fail (index < self->sessions->len, NULL);
  return g_ptr_array_index (self->sessions, index);
}

MsTraceSession *
ms_trace_find_session (MsTrace *self,
                       guint    id)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);

  /* Ids are handed out in order, so the session is usually at id - 1. */
  if (id >= 1 && id <= self->sessions->len)
    {
      MsTraceSession *s = g_ptr_array_index (self->sessions, id - 1);
      if (s->id == id)
        return s;
    }
  for (guint i = 0; i < self->sessions->len; i++)
    {
      MsTraceSession *s = g_ptr_array_index (self->sessions, i);
      if (s->id == id)
        return s;
    }
  return NULL;
}

static void
set_field_from_string (JsonObject *fields,
                       const char *key,
                       const char *value)
{
  if (value != NULL)
    json_object_set_string_member (fields, key, value);
  else
    json_object_set_null_member (fields, key);
}

MsTraceEvent *
ms_trace_add_event (MsTrace    *self,
                    const char *type,
                    const char *node,
                    guint       session,
                    const char *first_key,
                    ...)
{
  MsTraceEvent *event;
  va_list args;

  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  g_return_val_if_fail (type != NULL, NULL);

  event = g_new0 (MsTraceEvent, 1);
  event->t_us = ms_trace_now (self);
  event->type = g_strdup (type);
  event->node = g_strdup (node);
  event->session = session;
  event->fields = json_object_new ();

  /* key, string value pairs */
  va_start (args, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (args, const char *))
    set_field_from_string (event->fields, key, va_arg (args, const char *));
  va_end (args);

  g_ptr_array_add (self->events, event);
  g_signal_emit (self, signals[EVENT_ADDED], 0, event);
  return event;
}

guint
ms_trace_get_n_events (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), 0);
  return self->events->len;
}

MsTraceEvent *
ms_trace_get_event (MsTrace *self,
                    guint    index)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  g_return_val_if_fail (index < self->events->len, NULL);
  return g_ptr_array_index (self->events, index);
}

/* Header names and raw values of the message's header block, up to the first
 * empty line; folded lines are unfolded only by joining, whitespace is kept. */
static void
collect_headers (GPtrArray    *headers,
                 const guint8 *data,
                 gsize         len)
{
  gsize pos = 0;
  GString *name = NULL;
  GString *value = NULL;

  while (pos < len)
    {
      gsize end = pos;
      gsize line_len;

      while (end < len && data[end] != '\n')
        end++;
      line_len = end - pos;
      if (line_len > 0 && data[pos + line_len - 1] == '\r')
        line_len--;
      if (line_len == 0)
        break;
      if ((data[pos] == ' ' || data[pos] == '\t') && value != NULL)
        {
          g_string_append (value, "\r\n");
          g_string_append_len (value, (const char *) data + pos, line_len);
        }
      else
        {
          const guint8 *colon = memchr (data + pos, ':', line_len);

          if (name != NULL)
            {
              char **pair = g_new0 (char *, 3);
              pair[0] = g_string_free (name, FALSE);
              pair[1] = g_string_free (value, FALSE);
              g_ptr_array_add (headers, pair);
              name = value = NULL;
            }
          if (colon == NULL)
            break;  /* not a header line: the body starts without a separator */
          name = g_string_new_len ((const char *) data + pos, colon - (data + pos));
          {
            const char *v = (const char *) colon + 1;
            const char *line_end = (const char *) data + pos + line_len;
            while (v < line_end && (*v == ' ' || *v == '\t'))
              v++;
            value = g_string_new_len (v, line_end - v);
          }
        }
      pos = end + 1;
    }
  if (name != NULL)
    {
      char **pair = g_new0 (char *, 3);
      pair[0] = g_string_free (name, FALSE);
      pair[1] = g_string_free (value, FALSE);
      g_ptr_array_add (headers, pair);
    }
}

/* RFC 2047 encoded words (UTF-8, ISO-2022-JP, ...) to UTF-8 for display. */
/* The length of the RFC 2047 encoded word at @p ("=?charset?B|Q?text?="), or 0. */
static gsize
encoded_word_length (const char  *p,
                     const char **text,
                     gsize       *text_len,
                     char        *encoding)
{
  const char *q = p + 2;
  const char *t;

  if (p[0] != '=' || p[1] != '?')
    return 0;
  while (*q > ' ' && *q < 127 && *q != '?')
    q++;
  if (q == p + 2 || q[0] != '?' || strchr ("BbQq", q[1]) == NULL || q[1] == '\0'
      || q[2] != '?')
    return 0;
  *encoding = g_ascii_toupper (q[1]);
  t = q + 3;
  q = t;
  while (*q > ' ' && *q < 127 && *q != '?')
    q++;
  if (q[0] != '?' || q[1] != '=')
    return 0;
  *text = t;
  *text_len = (gsize) (q - t);
  return (gsize) (q + 2 - p);
}

/* GMime 3.2 joins adjacent B words of one charset before decoding them, so a word with
 * "=" padding ends the text ("=?l1?B?Qw==?= =?l1?B?YW4=?=" gives "C"), and it does not
 * see words written without a space between them ("?==?", against RFC 2047 §5 but
 * common; Python and Thunderbird read them). Each B word is rewritten as the Q word of
 * the same bytes, and adjacent words are separated by a space, which RFC 2047 §6.2
 * says to ignore: what GMime then decodes is what the sender meant. */
static char *
separate_encoded_words (const char *value)
{
  GString *out = g_string_sized_new (strlen (value) + 16);
  const char *p = value;

  while (*p != '\0')
    {
      const char *text;
      gsize text_len;
      char encoding;
      gsize n = encoded_word_length (p, &text, &text_len, &encoding);

      if (n == 0)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      if (encoding == 'Q')
        g_string_append_len (out, p, (gssize) n);
      else
        {
          g_autofree char *b64 = g_strndup (text, text_len);
          gsize len = 0;
          g_autofree guchar *bytes = text_len > 0 ? g_base64_decode (b64, &len) : NULL;

          /* "=?charset?" then "Q?" and the bytes, "=XX" but for letters and digits */
          g_string_append_len (out, p, (gssize) (text - 2 - p));
          g_string_append (out, "Q?");
          for (gsize i = 0; i < len; i++)
            if (g_ascii_isalnum (bytes[i]))
              g_string_append_c (out, (char) bytes[i]);
            else
              g_string_append_printf (out, "=%02X", bytes[i]);
          g_string_append (out, "?=");
        }
      p += n;
      if (p[0] == '=' && p[1] == '?')
        g_string_append_c (out, ' ');
    }
  return g_string_free (out, FALSE);
}

char *
ms_trace_decode_header_text (const char *raw)
{
  g_autofree char *unfolded = NULL;
  char *decoded;

  g_autofree char *words = NULL;

  if (raw == NULL)
    return NULL;
  g_mime_init ();
  unfolded = g_mime_utils_header_unfold (raw);
  words = separate_encoded_words (unfolded);
  decoded = g_mime_utils_header_decode_text (NULL, words);
  if (decoded == NULL || !g_utf8_validate (decoded, -1, NULL))
    {
      char *valid = g_utf8_make_valid (decoded ? decoded : unfolded, -1);
      g_free (decoded);
      decoded = valid;
    }
  return decoded;
}

MsTraceMessage *
ms_trace_add_message (MsTrace            *self,
                      guint               session,
                      const char         *node,
                      const char         *mail_from,
                      const char * const *rcpt_to,
                      GBytes             *raw)
{
  MsTraceMessage *message;

  g_return_val_if_fail (MS_IS_TRACE (self), NULL);

  message = g_new0 (MsTraceMessage, 1);
  message->session = session;
  message->t_us = ms_trace_now (self);
  message->node = g_strdup (node);
  message->mail_from = g_strdup (mail_from);
  message->rcpt_to = g_strdupv ((char **) rcpt_to);
  if (message->rcpt_to == NULL)
    message->rcpt_to = g_new0 (char *, 1);
  message->headers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  if (raw != NULL)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (raw, &len);

      message->raw = g_bytes_ref (raw);
      collect_headers (message->headers, data, len);
      for (guint i = 0; i < message->headers->len; i++)
        {
          char **pair = g_ptr_array_index (message->headers, i);

          if (message->message_id == NULL && g_ascii_strcasecmp (pair[0], "Message-ID") == 0)
            message->message_id = g_strstrip (g_strdup (pair[1]));
          else if (message->subject == NULL && g_ascii_strcasecmp (pair[0], "Subject") == 0)
            message->subject = ms_trace_decode_header_text (pair[1]);
        }
    }
  g_ptr_array_add (self->messages, message);
  g_signal_emit (self, signals[MESSAGE_ADDED], 0, message);
  return message;
}

guint
ms_trace_get_n_messages (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), 0);
  return self->messages->len;
}

MsTraceMessage *
ms_trace_get_message (MsTrace *self,
                      guint    index)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  g_return_val_if_fail (index < self->messages->len, NULL);
  return g_ptr_array_index (self->messages, index);
}

void
ms_trace_add_expectation (MsTrace    *self,
                          const char *text,
                          gboolean    ok)
{
  g_return_if_fail (MS_IS_TRACE (self));

  g_ptr_array_add (self->expect_texts, g_strdup (text));
  g_array_append_val (self->expect_ok, ok);
}

guint
ms_trace_get_n_expectations (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), 0);
  return self->expect_texts->len;
}

const char *
ms_trace_get_expectation (MsTrace  *self,
                          guint     index,
                          gboolean *ok)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  g_return_val_if_fail (index < self->expect_texts->len, NULL);

  if (ok != NULL)
    *ok = g_array_index (self->expect_ok, gboolean, index);
  return g_ptr_array_index (self->expect_texts, index);
}

void
ms_trace_set_current_frame (MsTrace *self,
                            guint64  frame)
{
  /* once a packet: no type check */
  g_return_if_fail (self != NULL);
  self->current_frame = frame;
}

MsTraceLine *
ms_trace_session_add_line (MsTraceSession *session,
                           MsDirection     dir,
                           MsLineKind      kind,
                           const char     *text,
                           gssize          len)
{
  MsTraceLine *line;

  g_return_val_if_fail (session != NULL, NULL);

  if (len < 0)
    len = text ? strlen (text) : 0;

  line = g_new0 (MsTraceLine, 1);
  line->t_us = ms_trace_now (session->trace);
  line->dir = dir;
  line->kind = kind;
  line->text = g_strndup (text ? text : "", len);
  line->wire_len = kind == MS_LINE_NOTE ? 0 : (gsize) len + 2;
  line->frame = ((MsTrace *) session->trace)->current_frame;
  ms_trace_line_classify (line, session->protocol);
  g_ptr_array_add (session->lines, line);
  /* Lines are the hot path (100,000-message runs): skip signal marshalling when nobody
   * follows the trace live. */
  if (g_signal_has_handler_pending (session->trace, signals[LINE_ADDED], 0, TRUE))
    g_signal_emit (session->trace, signals[LINE_ADDED], 0, session, line);
  return line;
}

void
ms_trace_session_set_tls (MsTraceSession *session,
                          MsTlsMode       tls)
{
  g_return_if_fail (session != NULL);
  session->tls = tls;
}

void
ms_trace_session_set_nodes (MsTraceSession *session,
                            const char     *client_node,
                            const char     *server_node)
{
  g_return_if_fail (session != NULL);

  g_free (session->client_node);
  g_free (session->server_node);
  session->client_node = g_strdup (client_node);
  session->server_node = g_strdup (server_node);
}

guint
ms_trace_session_get_n_lines (MsTraceSession *session)
{
  g_return_val_if_fail (session != NULL, 0);
  return session->lines->len;
}

MsTraceLine *
ms_trace_session_get_line (MsTraceSession *session,
                           guint           index)
{
  g_return_val_if_fail (session != NULL, NULL);
  g_return_val_if_fail (index < session->lines->len, NULL);
  return g_ptr_array_index (session->lines, index);
}

static const char * const protocol_names[] = {
  [MS_PROTOCOL_UNKNOWN] = "unknown",
  [MS_PROTOCOL_SMTP] = "smtp",
  [MS_PROTOCOL_POP3] = "pop3",
  [MS_PROTOCOL_IMAP] = "imap",
  [MS_PROTOCOL_DNS] = "dns",
  [MS_PROTOCOL_HTTP] = "http",
};

const char *
ms_protocol_to_string (MsProtocol protocol)
{
  if ((guint) protocol >= G_N_ELEMENTS (protocol_names))
    return "unknown";
  return protocol_names[protocol];
}

MsProtocol
ms_protocol_from_string (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (protocol_names); i++)
    if (g_ascii_strcasecmp (name, protocol_names[i]) == 0)
      return (MsProtocol) i;
  return MS_PROTOCOL_UNKNOWN;
}

const char *
ms_tls_mode_to_string (MsTlsMode tls)
{
  switch (tls)
    {
    case MS_TLS_STARTTLS: return "starttls";
    case MS_TLS_IMPLICIT: return "implicit";
    case MS_TLS_NONE:
    default: return "none";
    }
}

char *
ms_format_endpoint (const char *address,
                    guint16     port)
{
  if (address != NULL && strchr (address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", address, port);
  return g_strdup_printf ("%s:%u", address ? address : "0.0.0.0", port);
}

/* The simulated network the trace was recorded on (docs/cli.md "topology"): networks with
 * their kind and CIDRs, nodes with roles, addresses and listening ports. Takes a
 * reference; NULL clears it. Captures and the live lab have none. */
void
ms_trace_set_topology (MsTrace    *self,
                       JsonObject *topology)
{
  g_return_if_fail (MS_IS_TRACE (self));
  if (topology != NULL)
    json_object_ref (topology);
  g_clear_pointer (&self->topology, json_object_unref);
  self->topology = topology;
}

JsonObject *
ms_trace_get_topology (MsTrace *self)
{
  g_return_val_if_fail (MS_IS_TRACE (self), NULL);
  return self->topology;
}
