/* ms-smtp-server.c: the SMTP server engine: session, replies, DATA and delivery
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Commands are dispatched from the table in ms-smtp-commands.c; this file holds what
 * surrounds them: the one reply function, state changes, the message body (RFC 5321
 * §4.1.1.4, §4.5.2) and the hand-over to the policy with a Received header (§4.4).
 */
#define G_LOG_DOMAIN "ms-smtp-server"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "ms-smtp-private.h"

enum {
  STATE_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const state_names[] = {
  "connected", "ready", "mail", "rcpt", "data", "auth", "tls", "closed",
};
G_STATIC_ASSERT (G_N_ELEMENTS (state_names) == MS_SMTP_SERVER_N_STATES);

G_DEFINE_FINAL_TYPE (MsSmtpServer, ms_smtp_server, MS_TYPE_ENGINE)

static gint64
wall_clock (gpointer user_data)
{
  return g_get_real_time ();
}

const char *
ms_smtp_server_state_to_string (MsSmtpServerState state)
{
  g_return_val_if_fail (state < MS_SMTP_SERVER_N_STATES, NULL);
  return state_names[state];
}

gint64
_ms_smtp_server_now (MsSmtpServer *self)
{
  return self->config.clock (self->config.clock_data);
}

static void
clear_auth_dialogue (MsSmtpServer *self)
{
  self->auth_mech = MS_SMTP_AUTH_NONE;
  self->auth_step = 0;
  g_clear_pointer (&self->auth_login_user, g_free);
  g_clear_pointer (&self->auth_challenge, g_free);
}

void
_ms_smtp_server_reset_transaction (MsSmtpServer *self)
{
  g_clear_pointer (&self->reverse_path, g_free);
  g_ptr_array_set_size (self->recipients, 0);
  g_ptr_array_set_size (self->relayed, 0);
  self->eight_bit = FALSE;
  self->declared_size = 0;
  g_clear_pointer (&self->body, g_byte_array_unref);
  self->header_len = 0;
  self->body_size = 0;
  self->body_lines = 0;
  self->too_big = FALSE;
  self->line_too_long = FALSE;
  g_clear_pointer (&self->queue_id, g_free);
}

static void
reset_session (MsSmtpServer *self)
{
  g_clear_pointer (&self->helo, g_free);
  g_clear_pointer (&self->user, g_free);
  self->esmtp = FALSE;
  clear_auth_dialogue (self);
  _ms_smtp_server_reset_transaction (self);
}

/* The line limit follows the state: DATA has text lines (§4.5.3.1.6); commands get
 * room for an AUTH initial response (RFC 4954 §4) and are held to 512 in dispatch. */
void
_ms_smtp_server_enter_state (MsSmtpServer      *self,
                             MsSmtpServerState  state)
{
  MsSmtpServerState old = self->state;

  if (old == state)
    return;
  self->state = state;
  if (state == MS_SMTP_SERVER_STATE_DATA)
    ms_engine_set_max_line (MS_ENGINE (self), MS_SMTP_MAX_TEXT_LINE);
  else if (old == MS_SMTP_SERVER_STATE_DATA)
    ms_engine_set_max_line (MS_ENGINE (self), MS_SMTP_MAX_AUTH_LINE);
  g_signal_emit (self, signals[STATE_CHANGED], 0, old, state);
}

void
_ms_smtp_server_fill_info (MsSmtpServer      *self,
                           MsSmtpSessionInfo *info)
{
  MsEngine *engine = MS_ENGINE (self);

  info->hostname = self->hostname;
  info->client_address = ms_engine_get_client_address (engine);
  info->client_port = ms_engine_get_client_port (engine);
  info->helo = self->helo;
  info->esmtp = self->esmtp;
  info->user = self->user;
  info->tls = ms_engine_is_tls_active (engine);
  info->submission = self->config.submission;
  info->session = ms_engine_get_session (engine);
}

/* The one place replies leave the server (RFC 5321 §4.2): every line of a multi-line
 * reply carries the code ("250-" until the last "250 ") and, when given, the enhanced
 * status code (RFC 2034 §3). Lines are recorded one by one, written in one piece. */
static void
send_reply_text (MsSmtpServer *self,
                 guint         code,
                 const char   *esc,
                 const char   *text)
{
  MsEngine *engine = MS_ENGINE (self);
  GString *out = self->scratch;
  const char *p = text;

  g_return_if_fail (code >= 200 && code <= 599);
  if (!ms_smtp_reply_code_is_known (code))
    g_warning ("sending reply code %u, which no RFC defines", code);

  g_string_truncate (out, 0);
  for (;;)
    {
      const char *nl = strchr (p, '\n');
      gsize start = out->len;
      gsize text_len = nl != NULL ? (gsize) (nl - p) : strlen (p);

      g_string_append_printf (out, "%u%c", code, nl != NULL ? '-' : ' ');
      if (esc != NULL)
        {
          g_string_append (out, esc);
          if (text_len > 0)
            g_string_append_c (out, ' ');
        }
      g_string_append_len (out, p, text_len);
      if (out->len - start > MS_SMTP_MAX_REPLY_LINE)
        g_string_truncate (out, start + MS_SMTP_MAX_REPLY_LINE);
      ms_engine_record_output (engine, MS_LINE_REPLY, out->str + start, out->len - start);
      g_string_append (out, "\r\n");
      if (nl == NULL)
        break;
      p = nl + 1;
    }
  ms_engine_send_raw (engine, (const guint8 *) out->str, out->len);

  /* Failed commands count toward the junk limit (§4.3.2 lets servers end abusive
   * sessions; Postfix's smtpd_hard_error_limit does the same). */
  if (code >= 400 && code != 421)
    self->errors++;
}

void
_ms_smtp_server_reply (MsSmtpServer *self,
                       guint         code,
                       const char   *esc,
                       const char   *format,
                       ...)
{
  va_list args;

  /* Formatted into a reused buffer: replies are the hot path of a benchmark. */
  va_start (args, format);
  g_string_vprintf (self->text_scratch, format, args);
  va_end (args);
  send_reply_text (self, code, esc, self->text_scratch->str);
}

void
_ms_smtp_server_send_reply (MsSmtpServer      *self,
                            const MsSmtpReply *reply)
{
  send_reply_text (self, reply->code, reply->esc, reply->text != NULL ? reply->text : "");
}

static void
close_with_421 (MsSmtpServer *self,
                const char   *esc,
                const char   *reason)
{
  _ms_smtp_server_reply (self, 421, esc, "%s %s", self->hostname, reason);
  _ms_smtp_server_reset_transaction (self);
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_CLOSED);
  ms_engine_request_close (MS_ENGINE (self));
}

/* RFC 5321 §3.8 */
void
ms_smtp_server_shutdown (MsSmtpServer *self)
{
  g_return_if_fail (MS_IS_SMTP_SERVER (self));

  if (self->state == MS_SMTP_SERVER_STATE_CLOSED || ms_engine_is_closed (MS_ENGINE (self)))
    return;
  close_with_421 (self, "4.3.2", "Service shutting down, closing transmission channel");
}

static char *
new_queue_id (MsSmtpServer *self)
{
  MsTraceSession *session;

  if (self->config.id_func != NULL)
    return self->config.id_func (self->config.id_data);
  /* Deterministic: the trace session and a per-server counter. */
  session = ms_engine_get_session (MS_ENGINE (self));
  return g_strdup_printf ("%04X%05X", session != NULL ? session->id & 0xffff : 0,
                          ++self->id_counter & 0xfffff);
}

/* RFC 3848 with-protocol names */
static const char *
with_protocol (MsSmtpServer *self)
{
  gboolean tls = ms_engine_is_tls_active (MS_ENGINE (self));
  gboolean auth = self->user != NULL;

  if (!self->esmtp && !tls && !auth)
    return "SMTP";
  if (tls && auth)
    return "ESMTPSA";
  if (tls)
    return "ESMTPS";
  if (auth)
    return "ESMTPA";
  return "ESMTP";
}

/* RFC 5321 §4.4 time stamp line: "from" Extended-Domain with the TCP-info address
 * literal, "by", "with", "id", "for" (only with a single recipient, as Postfix does,
 * so that a Bcc recipient is not shown to the others) and the date (RFC 5322). */
static void
append_received (MsSmtpServer *self,
                 GByteArray   *out)
{
  const char *address = ms_engine_get_client_address (MS_ENGINE (self));
  g_autofree char *date = _ms_smtp_format_date (_ms_smtp_server_now (self));
  g_autoptr(GString) line = g_string_sized_new (256);

  g_string_append_printf (line, "Received: from %s (%s%s%s%s)\r\n",
                          self->helo != NULL ? self->helo : "unknown",
                          "[", strchr (address, ':') != NULL ? "IPv6:" : "", address, "]");
  g_string_append_printf (line, "\tby %s (MailSim) with %s id %s",
                          self->hostname, with_protocol (self), self->queue_id);
  if (self->recipients->len == 1)
    g_string_append_printf (line, "\r\n\tfor <%s>; %s\r\n",
                            (const char *) g_ptr_array_index (self->recipients, 0), date);
  else
    g_string_append_printf (line, ";\r\n\t%s\r\n", date);
  g_byte_array_append (out, (const guint8 *) line->str, line->len);
}

/* Called by proceed_data: the Received header goes first, then the body. */
void
_ms_smtp_server_begin_data (MsSmtpServer *self)
{
  gsize expect = self->declared_size;

  if (self->config.max_message_size > 0)
    expect = MIN (expect, self->config.max_message_size);
  expect = MIN (expect, 64u * 1024u * 1024u);
  g_clear_pointer (&self->body, g_byte_array_unref);
  self->body = g_byte_array_sized_new (512 + MAX (expect, 4096u));
  self->queue_id = new_queue_id (self);
  append_received (self, self->body);
  self->header_len = self->body->len;
  self->body_size = 0;
  self->body_lines = 0;
  self->too_big = FALSE;
  self->line_too_long = FALSE;
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_DATA);
}

static void
note_body_line (MsSmtpServer *self,
                gsize         len)
{
  self->body_lines++;
  self->body_size += len + 2;
  if (!self->too_big && self->config.max_message_size > 0
      && self->body_size > self->config.max_message_size)
    {
      /* Keep reading to the end of data, but stop keeping bytes (RFC 1870 §6.3). */
      self->too_big = TRUE;
      g_byte_array_set_size (self->body, self->header_len);
    }
}

static void
deliver (MsSmtpServer *self)
{
  MsSmtpSessionInfo info = { 0 };
  MsSmtpEnvelope envelope = { 0 };
  g_autoptr(GBytes) message = NULL;
  g_autoptr(MsSmtpReply) reply = NULL;
  MsTraceSession *session = ms_engine_get_session (MS_ENGINE (self));

  g_ptr_array_add (self->recipients, NULL);
  g_ptr_array_add (self->relayed, NULL);
  envelope.reverse_path = self->reverse_path;
  envelope.recipients = (const char * const *) self->recipients->pdata;
  envelope.n_recipients = self->recipients->len - 1;
  envelope.relayed = (const char * const *) self->relayed->pdata;
  envelope.eight_bit = self->eight_bit;
  envelope.declared_size = self->declared_size;
  envelope.queue_id = self->queue_id;
  /* An exact-size copy: the receive buffer was sized for the declared SIZE and rounded
   * up by GLib, and the queue, the store and the trace keep what we hand on. */
  message = g_bytes_new (self->body->data, self->body->len);
  g_clear_pointer (&self->body, g_byte_array_unref);

  _ms_smtp_server_fill_info (self, &info);
  if (self->policy != NULL)
    reply = ms_smtp_policy_deliver (self->policy, &info, &envelope, message);

  if (reply == NULL || reply->code / 100 == 2)
    {
      self->n_accepted++;
      if (session != NULL && session->trace != NULL)
        ms_trace_add_message (session->trace, session->id, self->hostname,
                              envelope.reverse_path, envelope.recipients, message);
    }
  if (reply != NULL)
    _ms_smtp_server_send_reply (self, reply);
  else
    _ms_smtp_server_reply (self, 250, "2.0.0", "Ok: queued as %s", self->queue_id);
  g_ptr_array_set_size (self->recipients, self->recipients->len - 1);
  g_ptr_array_set_size (self->relayed, self->relayed->len - 1);
}

/* RFC 5321 §4.1.1.4: the end of mail data is a line with a single period. */
static void
end_of_data (MsSmtpServer *self)
{
  MsEngine *engine = MS_ENGINE (self);
  char summary[96];

  g_snprintf (summary, sizeof summary, "(message: %u lines, %" G_GSIZE_FORMAT " bytes)",
              self->body_lines, self->body_size);
  ms_engine_record_input (engine, MS_LINE_DATA, summary, -1);
  ms_engine_record_input (engine, MS_LINE_DATA, ".", 1);

  if (self->too_big)
    _ms_smtp_server_reply (self, 552, "5.3.4",
                           "Message size exceeds fixed maximum message size (%" G_GSIZE_FORMAT
                           " octets)", self->config.max_message_size);
  else if (self->line_too_long)
    _ms_smtp_server_reply (self, 500, "5.5.2",
                           "Message rejected: a line was longer than %u octets "
                           "(RFC 5321 4.5.3.1.6)", MS_SMTP_MAX_TEXT_LINE);
  else
    deliver (self);

  _ms_smtp_server_reset_transaction (self);
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
}

/* RFC 5321 §4.5.2: a leading period was doubled by the sender; drop one. */
static void
data_line (MsSmtpServer *self,
           const char   *line,
           gsize         len)
{
  if (len == 1 && line[0] == '.')
    {
      end_of_data (self);
      return;
    }
  if (len > 0 && line[0] == '.')
    {
      line++;
      len--;
    }
  note_body_line (self, len);
  if (!self->too_big)
    {
      g_byte_array_append (self->body, (const guint8 *) line, len);
      g_byte_array_append (self->body, (const guint8 *) "\r\n", 2);
    }
}

static void
check_junk_limit (MsSmtpServer *self)
{
  if (self->errors >= self->config.max_errors
      && self->state != MS_SMTP_SERVER_STATE_CLOSED
      && self->state != MS_SMTP_SERVER_STATE_DATA
      && !ms_engine_is_closed (MS_ENGINE (self)))
    close_with_421 (self, "4.7.0", "Error: too many errors");
}

static void
ms_smtp_server_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsSmtpServer *self = MS_SMTP_SERVER (engine);

  switch (self->state)
    {
    case MS_SMTP_SERVER_STATE_DATA:
      data_line (self, line, len);
      break;
    case MS_SMTP_SERVER_STATE_AUTH:
      _ms_smtp_server_auth_response (self, line, len);
      break;
    case MS_SMTP_SERVER_STATE_TLS:
    case MS_SMTP_SERVER_STATE_CLOSED:
      break;  /* the base stops feeding us; nothing to do */
    case MS_SMTP_SERVER_STATE_CONNECTED:
    case MS_SMTP_SERVER_STATE_READY:
    case MS_SMTP_SERVER_STATE_MAIL:
    case MS_SMTP_SERVER_STATE_RCPT:
    case MS_SMTP_SERVER_N_STATES:
    default:
      _ms_smtp_server_dispatch (self, line, len);
      break;
    }
  check_junk_limit (self);
}

static void
ms_smtp_server_handle_overflow (MsEngine *engine,
                                gsize     discarded)
{
  MsSmtpServer *self = MS_SMTP_SERVER (engine);
  char note[96];

  switch (self->state)
    {
    case MS_SMTP_SERVER_STATE_DATA:
      /* Remember and answer at the end of data: replying now would desynchronise. */
      self->line_too_long = TRUE;
      note_body_line (self, discarded);
      break;
    case MS_SMTP_SERVER_STATE_AUTH:
      g_snprintf (note, sizeof note, "(%" G_GSIZE_FORMAT " octets discarded)", discarded);
      ms_engine_record_input (engine, MS_LINE_AUTH, note, -1);
      clear_auth_dialogue (self);
      _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
      _ms_smtp_server_reply (self, 500, "5.5.6", "Authentication Exchange line is too long");
      break;
    case MS_SMTP_SERVER_STATE_TLS:
    case MS_SMTP_SERVER_STATE_CLOSED:
      break;
    case MS_SMTP_SERVER_STATE_CONNECTED:
    case MS_SMTP_SERVER_STATE_READY:
    case MS_SMTP_SERVER_STATE_MAIL:
    case MS_SMTP_SERVER_STATE_RCPT:
    case MS_SMTP_SERVER_N_STATES:
    default:
      g_snprintf (note, sizeof note, "(over-long line, %" G_GSIZE_FORMAT " octets discarded)",
                  discarded);
      ms_engine_record_input (engine, MS_LINE_NOTE, note, -1);
      _ms_smtp_server_reply (self, 500, "5.5.2", "Error: line too long");
      break;
    }
  check_junk_limit (self);
}

/* RFC 5321 §4.2, §3.1: the opening greeting. */
static void
ms_smtp_server_start (MsEngine *engine)
{
  MsSmtpServer *self = MS_SMTP_SERVER (engine);

  if (self->config.reject_ehlo)
    _ms_smtp_server_reply (self, 220, NULL, "%s Simple Mail Transfer Service ready",
                           self->hostname);
  else
    _ms_smtp_server_reply (self, 220, NULL, "%s ESMTP MailSim", self->hostname);
}

/* RFC 3207 §4.2: after the handshake the server discards what it knew from the client
 * (HELO name, AUTH, the transaction); the client starts again with EHLO, no greeting. */
static void
ms_smtp_server_tls_started (MsEngine *engine)
{
  MsSmtpServer *self = MS_SMTP_SERVER (engine);

  reset_session (self);
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_CONNECTED);
}

static void
ms_smtp_server_peer_closed (MsEngine *engine)
{
  MsSmtpServer *self = MS_SMTP_SERVER (engine);

  reset_session (self);
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_CLOSED);
}

static void
ms_smtp_server_finalize (GObject *object)
{
  MsSmtpServer *self = MS_SMTP_SERVER (object);

  reset_session (self);
  g_ptr_array_unref (self->recipients);
  g_ptr_array_unref (self->relayed);
  g_string_free (self->scratch, TRUE);
  g_string_free (self->text_scratch, TRUE);
  g_free (self->hostname);
  g_clear_object (&self->policy);

  G_OBJECT_CLASS (ms_smtp_server_parent_class)->finalize (object);
}

static void
ms_smtp_server_class_init (MsSmtpServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->finalize = ms_smtp_server_finalize;
  engine_class->start = ms_smtp_server_start;
  engine_class->handle_line = ms_smtp_server_handle_line;
  engine_class->handle_overflow = ms_smtp_server_handle_overflow;
  engine_class->tls_started = ms_smtp_server_tls_started;
  engine_class->peer_closed = ms_smtp_server_peer_closed;

  /* (old state, new state) as MsSmtpServerState */
  signals[STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
}

static void
ms_smtp_server_init (MsSmtpServer *self)
{
  self->recipients = g_ptr_array_new_with_free_func (g_free);
  self->relayed = g_ptr_array_new_with_free_func (g_free);
  self->scratch = g_string_sized_new (512);
  self->text_scratch = g_string_sized_new (512);
  self->state = MS_SMTP_SERVER_STATE_CONNECTED;
  ms_engine_set_max_line (MS_ENGINE (self), MS_SMTP_MAX_AUTH_LINE);
}

/**
 * ms_smtp_server_config_init:
 * @config: a config to fill
 *
 * Fills @config with the defaults: hostname "localhost", 10 MiB messages, 100
 * recipients, 10 errors, no submission, no TLS, wall-clock time.
 */
void
ms_smtp_server_config_init (MsSmtpServerConfig *config)
{
  g_return_if_fail (config != NULL);

  memset (config, 0, sizeof *config);
  config->hostname = "localhost";
  config->max_message_size = MS_SMTP_DEFAULT_MAX_MESSAGE_SIZE;
  config->max_recipients = MS_SMTP_DEFAULT_MAX_RECIPIENTS;
  config->max_errors = MS_SMTP_DEFAULT_MAX_ERRORS;
}

/**
 * ms_smtp_server_new:
 * @config: (nullable): settings, copied; NULL for ms_smtp_server_config_init()'s
 * @policy: (nullable): the site's policy; NULL accepts everything and keeps nothing
 *
 * Returns: (transfer full): a server engine; set its output function and endpoints,
 *   then call ms_engine_start().
 */
MsSmtpServer *
ms_smtp_server_new (const MsSmtpServerConfig *config,
                    MsSmtpPolicy             *policy)
{
  MsSmtpServer *self;

  g_return_val_if_fail (policy == NULL || MS_IS_SMTP_POLICY (policy), NULL);

  self = g_object_new (MS_TYPE_SMTP_SERVER, "role", MS_ENGINE_ROLE_SERVER, NULL);
  if (config != NULL)
    self->config = *config;
  else
    ms_smtp_server_config_init (&self->config);
  self->hostname = g_strdup (self->config.hostname != NULL && *self->config.hostname != '\0'
                             ? self->config.hostname : "localhost");
  self->config.hostname = self->hostname;
  if (self->config.max_recipients == 0)
    self->config.max_recipients = MS_SMTP_DEFAULT_MAX_RECIPIENTS;
  if (self->config.max_errors == 0)
    self->config.max_errors = MS_SMTP_DEFAULT_MAX_ERRORS;
  if (self->config.clock == NULL)
    self->config.clock = wall_clock;
  if (policy != NULL)
    self->policy = g_object_ref (policy);
  return self;
}

MsSmtpServerState
ms_smtp_server_get_state (MsSmtpServer *self)
{
  g_return_val_if_fail (MS_IS_SMTP_SERVER (self), MS_SMTP_SERVER_STATE_CLOSED);
  return self->state;
}

const char *
ms_smtp_server_get_hostname (MsSmtpServer *self)
{
  g_return_val_if_fail (MS_IS_SMTP_SERVER (self), NULL);
  return self->hostname;
}

const char *
ms_smtp_server_get_authenticated_user (MsSmtpServer *self)
{
  g_return_val_if_fail (MS_IS_SMTP_SERVER (self), NULL);
  return self->user;
}

guint
ms_smtp_server_get_n_accepted (MsSmtpServer *self)
{
  g_return_val_if_fail (MS_IS_SMTP_SERVER (self), 0);
  return self->n_accepted;
}

GStrv
ms_smtp_server_dup_allowed_commands (MsSmtpServer *self)
{
  g_return_val_if_fail (MS_IS_SMTP_SERVER (self), NULL);
  return _ms_smtp_commands_allowed_in (self->state);
}
