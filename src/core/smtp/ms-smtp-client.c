/* ms-smtp-client.c: the SMTP client engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * By default one command at a time, each waiting for its reply (RFC 5321 §4.3), so that a
 * transcript reads as a dialogue; with config.pipelining and a server offering PIPELINING,
 * MAIL, RCPT and DATA are sent as one batch (RFC 2920 §3.1) and the replies are matched in
 * order by the same step machine. Replies are parsed as RFC 5321 §4.2 says:
 * "xyz-text" continues, "xyz text" ends, the code must be [2-5][0-9][0-9].
 */
#define G_LOG_DOMAIN "ms-smtp-client"

#include "config.h"

#include <string.h>

#include "ms-smtp-client.h"
#include "ms-smtp-private.h"

typedef struct
{
  MsSmtpClientResult  result;
  GBytes             *wire;        /* dot-stuffed, ".\r\n" at the end */
  guint               n_lines;
  gsize               n_bytes;     /* the message as the server will count it */
  gboolean            eight_bit;
} ClientMessage;

struct _MsSmtpClient
{
  MsEngine           parent_instance;

  char              *helo_name;
  char              *username;
  char              *password;
  char              *mechanism;
  MsSmtpClientTlsMode tls;
  gboolean           pipelining;

  MsSmtpClientStep   step;
  gboolean           batch;        /* the current message's commands were pipelined */
  GError            *batch_error;  /* the first refusal inside a batch */
  MsSmtpClientStep   batch_step;
  guint              batch_code;   /* and its reply */
  char              *batch_reply;
  GPtrArray         *messages;     /* ClientMessage* */
  guint              current;      /* index of the message in progress */
  guint              rcpt_index;

  /* the reply being read */
  guint              reply_code;
  GString           *reply_text;   /* lines joined with '\n' */
  GPtrArray         *reply_lines;  /* texts after the code, for EHLO */

  /* what the server told us */
  GHashTable        *extensions;   /* upper-case keyword -> parameters (may be "") */
  gboolean           used_helo;
  gboolean           authenticated;
  gboolean           tls_tried;
  MsSmtpAuthMech     auth_mech;
  guint              auth_step;

  GError            *error;
  MsSmtpClientStep   failed_step;
  gboolean           finished;
};

enum {
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const step_names[] = {
  "greeting", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "message",
  "RSET", "QUIT", "done",
};
G_STATIC_ASSERT (G_N_ELEMENTS (step_names) == MS_SMTP_CLIENT_N_STEPS);

G_DEFINE_FINAL_TYPE (MsSmtpClient, ms_smtp_client, MS_TYPE_ENGINE)
G_DEFINE_QUARK (ms-smtp-client-error-quark, ms_smtp_client_error)

const char *
ms_smtp_client_step_to_string (MsSmtpClientStep step)
{
  g_return_val_if_fail (step < MS_SMTP_CLIENT_N_STEPS, NULL);
  return step_names[step];
}

static void
client_message_free (gpointer data)
{
  ClientMessage *message = data;

  g_free (message->result.from);
  for (guint i = 0; i < message->result.n_recipients; i++)
    {
      g_free (message->result.recipients[i].address);
      g_free (message->result.recipients[i].reply);
    }
  g_free (message->result.recipients);
  g_free (message->result.reply);
  g_clear_error (&message->result.error);
  g_bytes_unref (message->wire);
  g_free (message);
}

/* ---- Dot-stuffing (RFC 5321 §4.5.2) --------------------------------------------------- */

/**
 * ms_smtp_dot_stuff:
 * @data: the message
 * @len: its length
 * @n_lines: (out) (optional): its number of lines
 * @n_bytes: (out) (optional): its length with CRLF line ends, before stuffing
 *
 * Every line starting with "." gets one more; bare LF line ends become CRLF; a last
 * line without a line end gets one; ".\r\n" ends the data.
 *
 * Returns: (transfer full): the bytes to send after 354
 */
GBytes *
ms_smtp_dot_stuff (const guint8 *data,
                   gsize         len,
                   guint        *n_lines,
                   gsize        *n_bytes)
{
  GByteArray *out = g_byte_array_sized_new (len + len / 32 + 8);
  gsize pos = 0;
  guint lines = 0;
  gsize bytes = 0;

  while (pos < len)
    {
      const guint8 *lf = memchr (data + pos, '\n', len - pos);
      gsize end = lf != NULL ? (gsize) (lf - data) : len;
      gsize line_len = end - pos;

      if (line_len > 0 && data[end - 1] == '\r')
        line_len--;
      if (line_len > 0 && data[pos] == '.')
        g_byte_array_append (out, (const guint8 *) ".", 1);
      g_byte_array_append (out, data + pos, line_len);
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      lines++;
      bytes += line_len + 2;
      pos = lf != NULL ? end + 1 : len;
    }
  g_byte_array_append (out, (const guint8 *) ".\r\n", 3);
  if (n_lines != NULL)
    *n_lines = lines;
  if (n_bytes != NULL)
    *n_bytes = bytes;
  return g_byte_array_free_to_bytes (out);
}

/* RFC 6152: does the message need BODY=8BITMIME? (a word at a time) */
static gboolean
has_eight_bit (const guint8 *data,
               gsize         len)
{
  gsize i = 0;

  for (; i + sizeof (guint64) <= len; i += sizeof (guint64))
    {
      guint64 word;

      memcpy (&word, data + i, sizeof word);
      if ((word & G_GUINT64_CONSTANT (0x8080808080808080)) != 0)
        return TRUE;
    }
  for (; i < len; i++)
    if (data[i] >= 0x80)
      return TRUE;
  return FALSE;
}

/* ---- Sending ------------------------------------------------------------------------ */

static void
send_command (MsSmtpClient     *self,
              MsSmtpClientStep  step,
              MsLineKind        kind,
              const char       *format,
              ...) G_GNUC_PRINTF (4, 5);

static void
send_command (MsSmtpClient     *self,
              MsSmtpClientStep  step,
              MsLineKind        kind,
              const char       *format,
              ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  self->step = step;
  ms_engine_send_text (MS_ENGINE (self), kind, text, -1);
}

static ClientMessage *
current_message (MsSmtpClient *self)
{
  if (self->current >= self->messages->len)
    return NULL;
  return g_ptr_array_index (self->messages, self->current);
}

static void
finish (MsSmtpClient *self)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  self->step = MS_SMTP_CLIENT_STEP_DONE;
  /* The session's error is the first message's failure when the session itself went
   * well: one failed message makes the whole run not a success. */
  if (self->error == NULL)
    for (guint i = 0; i < self->messages->len; i++)
      {
        ClientMessage *message = g_ptr_array_index (self->messages, i);

        if (message->result.error != NULL)
          {
            self->error = g_error_copy (message->result.error);
            self->failed_step = message->result.failed_step;
            break;
          }
      }
  g_signal_emit (self, signals[FINISHED], 0, self->error);
  ms_engine_request_close (MS_ENGINE (self));
}

static GError *
reply_error (MsSmtpClient     *self,
             MsSmtpClientStep  step,
             gint              domain_code)
{
  g_autofree char *flat = g_strdup (self->reply_text->str);

  g_strdelimit (flat, "\n", ' ');
  if (domain_code < 0)
    domain_code = self->reply_code >= 500 ? MS_SMTP_CLIENT_ERROR_PERMFAIL
                                          : MS_SMTP_CLIENT_ERROR_TEMPFAIL;
  return g_error_new (MS_SMTP_CLIENT_ERROR, domain_code, "%s: %u %s",
                      step_names[step], self->reply_code, flat);
}

/* The session cannot go on: every message not yet done fails with the same error. */
static void
fail_session (MsSmtpClient     *self,
              MsSmtpClientStep  step,
              GError           *error,
              gboolean          say_quit)
{
  for (guint i = self->current; i < self->messages->len; i++)
    {
      ClientMessage *message = g_ptr_array_index (self->messages, i);

      if (message->result.error == NULL && !message->result.delivered)
        {
          message->result.error = g_error_copy (error);
          message->result.failed_step = step;
        }
    }
  self->current = self->messages->len;
  if (self->error == NULL)
    {
      self->error = error;
      self->failed_step = step;
    }
  else
    g_error_free (error);
  if (say_quit && !ms_engine_is_closed (MS_ENGINE (self)))
    send_command (self, MS_SMTP_CLIENT_STEP_QUIT, MS_LINE_COMMAND, "QUIT");
  else
    finish (self);
}

static void start_message (MsSmtpClient *self);

/* This message failed; go on with the next one (RSET when a transaction is open). */
static void
fail_message (MsSmtpClient     *self,
              MsSmtpClientStep  step,
              GError           *error,
              gboolean          need_rset)
{
  ClientMessage *message = current_message (self);

  message->result.error = error;
  message->result.failed_step = step;
  message->result.code = self->reply_code;
  g_free (message->result.reply);
  message->result.reply = g_strdup (self->reply_text->str);
  self->current++;
  if (need_rset && current_message (self) != NULL)
    send_command (self, MS_SMTP_CLIENT_STEP_RSET, MS_LINE_COMMAND, "RSET");
  else
    start_message (self);
}

/* A pipelined transaction refused at MAIL or RCPT: the reply kept is that refusal. */
static void
fail_batch (MsSmtpClient *self,
            GError       *error)
{
  ClientMessage *message = current_message (self);

  message->result.error = error;
  message->result.failed_step = self->batch_step;
  self->current++;
  if (current_message (self) != NULL)
    send_command (self, MS_SMTP_CLIENT_STEP_RSET, MS_LINE_COMMAND, "RSET");
  else
    start_message (self);
}

static void
start_message (MsSmtpClient *self)
{
  ClientMessage *message;
  g_autoptr(GString) line = NULL;

  /* Messages refused before sending (no recipients) are skipped. */
  while ((message = current_message (self)) != NULL && message->result.error != NULL)
    self->current++;
  if (message == NULL)
    {
      send_command (self, MS_SMTP_CLIENT_STEP_QUIT, MS_LINE_COMMAND, "QUIT");
      return;
    }
  /* RFC 5321 §4.1.1.2; SIZE (RFC 1870 §6) and BODY (RFC 6152 §3) only when offered. */
  line = g_string_new (NULL);
  g_string_append_printf (line, "MAIL FROM:<%s>", message->result.from);
  if (ms_smtp_client_has_extension (self, "SIZE"))
    g_string_append_printf (line, " SIZE=%" G_GSIZE_FORMAT, message->n_bytes);
  if (message->eight_bit && ms_smtp_client_has_extension (self, "8BITMIME"))
    g_string_append (line, " BODY=8BITMIME");
  self->rcpt_index = 0;
  g_clear_error (&self->batch_error);
  self->batch = self->pipelining && ms_smtp_client_has_extension (self, "PIPELINING");
  send_command (self, MS_SMTP_CLIENT_STEP_MAIL, MS_LINE_COMMAND, "%s", line->str);
  if (self->batch)
    {
      /* RFC 2920 §3.1: DATA may end a batch; the replies say what became of each. */
      for (guint i = 0; i < message->result.n_recipients; i++)
        ms_engine_send_line (MS_ENGINE (self), MS_LINE_COMMAND, "RCPT TO:<%s>",
                             message->result.recipients[i].address);
      ms_engine_send_text (MS_ENGINE (self), MS_LINE_COMMAND, "DATA", 4);
      self->step = MS_SMTP_CLIENT_STEP_MAIL;
    }
}

static void
batch_refusal (MsSmtpClient     *self,
               MsSmtpClientStep  step)
{
  if (self->batch_error == NULL)
    {
      self->batch_error = reply_error (self, step, -1);
      self->batch_step = step;
      self->batch_code = self->reply_code;
      g_free (self->batch_reply);
      self->batch_reply = g_strdup (self->reply_text->str);
    }
}

static void
send_rcpt (MsSmtpClient *self)
{
  ClientMessage *message = current_message (self);

  send_command (self, MS_SMTP_CLIENT_STEP_RCPT, MS_LINE_COMMAND, "RCPT TO:<%s>",
                message->result.recipients[self->rcpt_index].address);
}

static void
send_body (MsSmtpClient *self)
{
  ClientMessage *message = current_message (self);
  MsEngine *engine = MS_ENGINE (self);
  char summary[96];
  gsize len;
  const guint8 *data = g_bytes_get_data (message->wire, &len);

  g_snprintf (summary, sizeof summary, "(message: %u lines, %" G_GSIZE_FORMAT " bytes)",
              message->n_lines, message->n_bytes);
  ms_engine_record_output (engine, MS_LINE_DATA, summary, -1);
  ms_engine_record_output (engine, MS_LINE_DATA, ".", 1);
  self->step = MS_SMTP_CLIENT_STEP_MESSAGE;
  ms_engine_send_raw (engine, data, len);
}

/* ---- AUTH (RFC 4954) -------------------------------------------------------------- */

static gboolean
auth_offers (MsSmtpClient *self,
             const char   *mech)
{
  const char *mechs = g_hash_table_lookup (self->extensions, "AUTH");
  g_auto(GStrv) list = NULL;

  if (mechs == NULL)
    return FALSE;
  list = g_strsplit (mechs, " ", -1);
  for (guint i = 0; list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], mech) == 0)
      return TRUE;
  return FALSE;
}

static void
start_auth (MsSmtpClient *self)
{
  static const char * const preference[] = { "CRAM-MD5", "PLAIN", "LOGIN" };
  const char *mech = NULL;

  if (!ms_smtp_client_has_extension (self, "AUTH"))
    {
      fail_session (self, MS_SMTP_CLIENT_STEP_AUTH,
                    g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_AUTH,
                                 "AUTH: the server offers no authentication%s",
                                 ms_engine_is_tls_active (MS_ENGINE (self))
                                 ? "" : " (perhaps only after STARTTLS)"),
                    TRUE);
      return;
    }
  if (self->mechanism != NULL)
    mech = auth_offers (self, self->mechanism) ? self->mechanism : NULL;
  else
    for (guint i = 0; i < G_N_ELEMENTS (preference) && mech == NULL; i++)
      if (auth_offers (self, preference[i]))
        mech = preference[i];
  if (mech == NULL)
    {
      fail_session (self, MS_SMTP_CLIENT_STEP_AUTH,
                    g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_AUTH,
                                 "AUTH: no usable mechanism (server offers %s)",
                                 (const char *) g_hash_table_lookup (self->extensions, "AUTH")),
                    TRUE);
      return;
    }

  self->auth_step = 0;
  if (g_ascii_strcasecmp (mech, "PLAIN") == 0)
    {
      /* RFC 4616: NUL user NUL password, sent as an initial response (RFC 4954 §4). */
      gsize ulen = strlen (self->username);
      gsize plen = strlen (self->password);
      g_autofree guint8 *raw = g_malloc (ulen + plen + 2);
      g_autofree char *b64 = NULL;

      raw[0] = '\0';
      memcpy (raw + 1, self->username, ulen);
      raw[ulen + 1] = '\0';
      memcpy (raw + ulen + 2, self->password, plen);
      b64 = g_base64_encode (raw, ulen + plen + 2);
      self->auth_mech = MS_SMTP_AUTH_PLAIN;
      send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_COMMAND, "AUTH PLAIN %s", b64);
    }
  else if (g_ascii_strcasecmp (mech, "LOGIN") == 0)
    {
      self->auth_mech = MS_SMTP_AUTH_LOGIN;
      send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_COMMAND, "AUTH LOGIN");
    }
  else
    {
      self->auth_mech = MS_SMTP_AUTH_CRAM_MD5;
      send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_COMMAND, "AUTH CRAM-MD5");
    }
}

static void
auth_reply (MsSmtpClient *self)
{
  g_autofree char *b64 = NULL;

  if (self->reply_code == 235)
    {
      self->authenticated = TRUE;
      start_message (self);
      return;
    }
  if (self->reply_code != 334)
    {
      fail_session (self, MS_SMTP_CLIENT_STEP_AUTH,
                    reply_error (self, MS_SMTP_CLIENT_STEP_AUTH, MS_SMTP_CLIENT_ERROR_AUTH),
                    TRUE);
      return;
    }
  switch (self->auth_mech)
    {
    case MS_SMTP_AUTH_LOGIN:
      {
        const char *answer = self->auth_step == 0 ? self->username : self->password;

        b64 = g_base64_encode ((const guchar *) answer, strlen (answer));
        self->auth_step++;
      }
      break;
    case MS_SMTP_AUTH_CRAM_MD5:
      {
        gsize len;
        g_autofree char *challenge = _ms_smtp_base64_decode (self->reply_text->str, &len);
        g_autofree char *digest = NULL;
        g_autofree char *answer = NULL;

        if (challenge == NULL || self->auth_step > 0)
          {
            send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_AUTH, "*");
            return;
          }
        digest = _ms_smtp_cram_md5_digest (self->password, challenge);
        answer = g_strdup_printf ("%s %s", self->username, digest);
        b64 = g_base64_encode ((const guchar *) answer, strlen (answer));
        self->auth_step++;
      }
      break;
    case MS_SMTP_AUTH_PLAIN:
    case MS_SMTP_AUTH_NONE:
    default:
      /* We sent PLAIN's response up front; a further challenge means give up (§4). */
      send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_AUTH, "*");
      return;
    }
  send_command (self, MS_SMTP_CLIENT_STEP_AUTH, MS_LINE_AUTH, "%s", b64);
}

/* ---- After HELO/EHLO ---------------------------------------------------------------- */

static void
after_hello (MsSmtpClient *self)
{
  gboolean tls = ms_engine_is_tls_active (MS_ENGINE (self));

  if (!tls && self->tls != MS_SMTP_CLIENT_TLS_NEVER && !self->tls_tried
      && ms_smtp_client_has_extension (self, "STARTTLS"))
    {
      self->tls_tried = TRUE;
      send_command (self, MS_SMTP_CLIENT_STEP_STARTTLS, MS_LINE_COMMAND, "STARTTLS");
      return;
    }
  if (!tls && self->tls == MS_SMTP_CLIENT_TLS_REQUIRE)
    {
      fail_session (self, MS_SMTP_CLIENT_STEP_STARTTLS,
                    g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_TLS,
                                 "STARTTLS: required, but the server does not offer it"),
                    TRUE);
      return;
    }
  if (self->username != NULL && !self->authenticated)
    {
      start_auth (self);
      return;
    }
  start_message (self);
}

static void
parse_extensions (MsSmtpClient *self)
{
  g_hash_table_remove_all (self->extensions);
  /* The first line greets; each further line is "KEYWORD [params]" (§4.1.1.1). */
  for (guint i = 1; i < self->reply_lines->len; i++)
    {
      const char *text = g_ptr_array_index (self->reply_lines, i);
      gsize kw_len = strcspn (text, " =");
      const char *params = text[kw_len] != '\0' ? text + kw_len + 1 : "";

      if (kw_len == 0)
        continue;
      g_hash_table_insert (self->extensions, g_ascii_strup (text, kw_len), g_strdup (params));
    }
}

/* ---- Replies ------------------------------------------------------------------------- */

static void
handle_reply (MsSmtpClient *self)
{
  guint code = self->reply_code;
  gboolean ok = code / 100 == 2;
  ClientMessage *message = current_message (self);

  /* §3.8: 421 may come at any time; the server closes, so no QUIT. */
  if (code == 421 && self->step != MS_SMTP_CLIENT_STEP_QUIT)
    {
      fail_session (self, self->step,
                    reply_error (self, self->step, MS_SMTP_CLIENT_ERROR_TEMPFAIL), FALSE);
      return;
    }

  switch (self->step)
    {
    case MS_SMTP_CLIENT_STEP_GREETING:
      if (ok)
        send_command (self, MS_SMTP_CLIENT_STEP_EHLO, MS_LINE_COMMAND, "EHLO %s",
                      self->helo_name);
      else  /* §3.1: a 554 greeting; the client should still say QUIT */
        fail_session (self, MS_SMTP_CLIENT_STEP_GREETING,
                      reply_error (self, MS_SMTP_CLIENT_STEP_GREETING, -1), TRUE);
      break;

    case MS_SMTP_CLIENT_STEP_EHLO:
      if (ok)
        {
          parse_extensions (self);
          after_hello (self);
        }
      else if (code == 500 || code == 502)
        {
          /* §3.2: an old server that does not know EHLO; fall back to HELO. */
          self->used_helo = TRUE;
          g_hash_table_remove_all (self->extensions);
          send_command (self, MS_SMTP_CLIENT_STEP_HELO, MS_LINE_COMMAND, "HELO %s",
                        self->helo_name);
        }
      else
        fail_session (self, MS_SMTP_CLIENT_STEP_EHLO,
                      reply_error (self, MS_SMTP_CLIENT_STEP_EHLO, -1), TRUE);
      break;

    case MS_SMTP_CLIENT_STEP_HELO:
      if (ok)
        after_hello (self);
      else
        fail_session (self, MS_SMTP_CLIENT_STEP_HELO,
                      reply_error (self, MS_SMTP_CLIENT_STEP_HELO, -1), TRUE);
      break;

    case MS_SMTP_CLIENT_STEP_STARTTLS:
      if (code == 220)
        ms_engine_request_tls (MS_ENGINE (self));  /* tls_started sends EHLO again */
      else if (self->tls == MS_SMTP_CLIENT_TLS_REQUIRE)
        fail_session (self, MS_SMTP_CLIENT_STEP_STARTTLS,
                      reply_error (self, MS_SMTP_CLIENT_STEP_STARTTLS, MS_SMTP_CLIENT_ERROR_TLS),
                      TRUE);
      else
        after_hello (self);  /* opportunistic: carry on in the clear */
      break;

    case MS_SMTP_CLIENT_STEP_AUTH:
      auth_reply (self);
      break;

    case MS_SMTP_CLIENT_STEP_MAIL:
      if (self->batch)
        {
          if (!ok)
            batch_refusal (self, MS_SMTP_CLIENT_STEP_MAIL);
          self->step = MS_SMTP_CLIENT_STEP_RCPT;
        }
      else if (ok)
        send_rcpt (self);
      else
        fail_message (self, MS_SMTP_CLIENT_STEP_MAIL,
                      reply_error (self, MS_SMTP_CLIENT_STEP_MAIL, -1), FALSE);
      break;

    case MS_SMTP_CLIENT_STEP_RCPT:
      {
        MsSmtpClientRecipient *rcpt = &message->result.recipients[self->rcpt_index];

        rcpt->code = code;
        g_free (rcpt->reply);
        rcpt->reply = g_strdup (self->reply_text->str);
        if (ok)
          message->result.n_accepted++;
        self->rcpt_index++;
        if (self->batch)
          {
            if (self->rcpt_index == message->result.n_recipients)
              {
                if (message->result.n_accepted == 0)
                  batch_refusal (self, MS_SMTP_CLIENT_STEP_RCPT);
                self->step = MS_SMTP_CLIENT_STEP_DATA;
              }
          }
        else if (self->rcpt_index < message->result.n_recipients)
          send_rcpt (self);
        else if (message->result.n_accepted > 0)
          send_command (self, MS_SMTP_CLIENT_STEP_DATA, MS_LINE_COMMAND, "DATA");
        else
          fail_message (self, MS_SMTP_CLIENT_STEP_RCPT,
                        reply_error (self, MS_SMTP_CLIENT_STEP_RCPT, -1), TRUE);
      }
      break;

    case MS_SMTP_CLIENT_STEP_DATA:
      if (self->batch && self->batch_error != NULL)
        {
          /* MAIL or every RCPT was refused. Should DATA still get 354, RFC 2920 §3.1
           * says to end the (empty) message at once with a lone dot. */
          GError *error = g_steal_pointer (&self->batch_error);

          message->result.code = self->batch_code;
          g_free (message->result.reply);
          message->result.reply = g_steal_pointer (&self->batch_reply);
          if (code == 354)
            {
              ms_engine_record_output (MS_ENGINE (self), MS_LINE_DATA, ".", 1);
              ms_engine_send_raw (MS_ENGINE (self), (const guint8 *) ".\r\n", 3);
              message->result.error = error;
              message->result.failed_step = self->batch_step;
              self->step = MS_SMTP_CLIENT_STEP_MESSAGE;
              break;
            }
          fail_batch (self, error);
        }
      else if (code == 354)
        send_body (self);
      else
        fail_message (self, MS_SMTP_CLIENT_STEP_DATA,
                      reply_error (self, MS_SMTP_CLIENT_STEP_DATA, -1), TRUE);
      break;

    case MS_SMTP_CLIENT_STEP_MESSAGE:
      if (message->result.error != NULL)
        {
          /* the lone dot of an aborted batch: whatever the reply, this one failed */
          self->current++;
          if (current_message (self) != NULL)
            send_command (self, MS_SMTP_CLIENT_STEP_RSET, MS_LINE_COMMAND, "RSET");
          else
            start_message (self);
        }
      else if (ok)
        {
          message->result.delivered = TRUE;
          message->result.code = code;
          g_free (message->result.reply);
          message->result.reply = g_strdup (self->reply_text->str);
          self->current++;
          start_message (self);
        }
      else
        fail_message (self, MS_SMTP_CLIENT_STEP_MESSAGE,
                      reply_error (self, MS_SMTP_CLIENT_STEP_MESSAGE, -1), FALSE);
      break;

    case MS_SMTP_CLIENT_STEP_RSET:
      start_message (self);
      break;

    case MS_SMTP_CLIENT_STEP_QUIT:
      finish (self);
      break;

    case MS_SMTP_CLIENT_STEP_DONE:
    case MS_SMTP_CLIENT_N_STEPS:
    default:
      break;
    }
}

static void
ms_smtp_client_handle_line (MsEngine   *engine,
                            const char *line,
                            gsize       len)
{
  MsSmtpClient *self = MS_SMTP_CLIENT (engine);
  guint code;
  gboolean last;

  ms_engine_record_input (engine, MS_LINE_REPLY, line, len);
  if (self->finished)
    return;

  /* §4.2: Reply-code [SP / "-"] text, code [2-5][0-9][0-9] (OpenSMTPD's check). */
  if (len < 3 || line[0] < '2' || line[0] > '5' || !g_ascii_isdigit (line[1])
      || !g_ascii_isdigit (line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-'))
    {
      fail_session (self, self->step,
                    g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PROTOCOL,
                                 "%s: not an SMTP reply: %.*s", step_names[self->step],
                                 (int) MIN (len, 80), line),
                    FALSE);
      return;
    }
  code = (guint) ((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  last = len <= 3 || line[3] == ' ';
  if (self->reply_lines->len > 0 && code != self->reply_code)
    {
      fail_session (self, self->step,
                    g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_PROTOCOL,
                                 "%s: multi-line reply changes its code (%u, then %u)",
                                 step_names[self->step], self->reply_code, code),
                    FALSE);
      return;
    }
  self->reply_code = code;
  if (self->reply_lines->len > 0)
    g_string_append_c (self->reply_text, '\n');
  g_string_append (self->reply_text, len > 4 ? line + 4 : "");
  g_ptr_array_add (self->reply_lines, g_strdup (len > 4 ? line + 4 : ""));
  if (!last)
    return;

  handle_reply (self);
  g_string_truncate (self->reply_text, 0);
  g_ptr_array_set_size (self->reply_lines, 0);
}

static void
ms_smtp_client_tls_started (MsEngine *engine)
{
  MsSmtpClient *self = MS_SMTP_CLIENT (engine);

  /* RFC 3207 §4.2: forget what the server said in the clear and ask again. */
  g_hash_table_remove_all (self->extensions);
  g_string_truncate (self->reply_text, 0);
  g_ptr_array_set_size (self->reply_lines, 0);
  send_command (self, MS_SMTP_CLIENT_STEP_EHLO, MS_LINE_COMMAND, "EHLO %s", self->helo_name);
}

static void
ms_smtp_client_peer_closed (MsEngine *engine)
{
  MsSmtpClient *self = MS_SMTP_CLIENT (engine);

  if (self->finished)
    return;
  if (self->step == MS_SMTP_CLIENT_STEP_QUIT)
    {
      finish (self);
      return;
    }
  fail_session (self, self->step,
                g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_CONNECTION,
                             "%s: the server closed the connection", step_names[self->step]),
                FALSE);
}

static void
ms_smtp_client_finalize (GObject *object)
{
  MsSmtpClient *self = MS_SMTP_CLIENT (object);

  g_free (self->helo_name);
  g_free (self->username);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_free (self->mechanism);
  g_ptr_array_unref (self->messages);
  g_string_free (self->reply_text, TRUE);
  g_ptr_array_unref (self->reply_lines);
  g_hash_table_unref (self->extensions);
  g_clear_error (&self->error);
  g_clear_error (&self->batch_error);
  g_free (self->batch_reply);

  G_OBJECT_CLASS (ms_smtp_client_parent_class)->finalize (object);
}

static void
ms_smtp_client_class_init (MsSmtpClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MsEngineClass *engine_class = MS_ENGINE_CLASS (klass);

  object_class->finalize = ms_smtp_client_finalize;
  engine_class->handle_line = ms_smtp_client_handle_line;
  engine_class->tls_started = ms_smtp_client_tls_started;
  engine_class->peer_closed = ms_smtp_client_peer_closed;

  /* (const GError *error): NULL when every message was delivered */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ms_smtp_client_init (MsSmtpClient *self)
{
  self->messages = g_ptr_array_new_with_free_func (client_message_free);
  self->reply_text = g_string_sized_new (256);
  self->reply_lines = g_ptr_array_new_with_free_func (g_free);
  self->extensions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->step = MS_SMTP_CLIENT_STEP_GREETING;
}

/**
 * ms_smtp_client_new:
 * @config: (nullable): settings, copied
 *
 * Returns: (transfer full): a client engine; add messages, set the output function and
 *   call ms_engine_start(); it waits for the server's greeting.
 */
MsSmtpClient *
ms_smtp_client_new (const MsSmtpClientConfig *config)
{
  MsSmtpClient *self = g_object_new (MS_TYPE_SMTP_CLIENT, "role", MS_ENGINE_ROLE_CLIENT, NULL);

  self->helo_name = g_strdup (config != NULL && config->helo_name != NULL
                              ? config->helo_name : "localhost");
  if (config != NULL)
    {
      self->username = g_strdup (config->username);
      self->password = g_strdup (config->password != NULL ? config->password : "");
      self->mechanism = g_strdup (config->mechanism);
      self->tls = config->tls;
      self->pipelining = config->pipelining;
    }
  return self;
}

guint
ms_smtp_client_add_message (MsSmtpClient       *self,
                            const char         *from,
                            const char * const *recipients,
                            GBytes             *message)
{
  ClientMessage *entry;
  gsize len;
  const guint8 *data;
  guint n = 0;

  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), 0);
  g_return_val_if_fail (message != NULL, 0);

  data = g_bytes_get_data (message, &len);
  while (recipients != NULL && recipients[n] != NULL)
    n++;
  entry = g_new0 (ClientMessage, 1);
  entry->result.from = g_strdup (from != NULL ? from : "");
  entry->result.n_recipients = n;
  entry->result.recipients = g_new0 (MsSmtpClientRecipient, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    entry->result.recipients[i].address = g_strdup (recipients[i]);
  entry->wire = ms_smtp_dot_stuff (data, len, &entry->n_lines, &entry->n_bytes);
  entry->eight_bit = has_eight_bit (data, len);
  g_ptr_array_add (self->messages, entry);
  if (n == 0)
    {
      entry->result.error = g_error_new (MS_SMTP_CLIENT_ERROR, MS_SMTP_CLIENT_ERROR_FAILED,
                                         "no recipients given");
      entry->result.failed_step = MS_SMTP_CLIENT_STEP_RCPT;
    }
  return self->messages->len - 1;
}

gboolean
ms_smtp_client_is_finished (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), FALSE);
  return self->finished;
}

const GError *
ms_smtp_client_get_error (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), NULL);
  return self->error;
}

MsSmtpClientStep
ms_smtp_client_get_failed_step (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), MS_SMTP_CLIENT_STEP_DONE);
  return self->error != NULL ? self->failed_step : MS_SMTP_CLIENT_STEP_DONE;
}

guint
ms_smtp_client_get_n_messages (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), 0);
  return self->messages->len;
}

const MsSmtpClientResult *
ms_smtp_client_get_result (MsSmtpClient *self,
                           guint         index)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), NULL);
  g_return_val_if_fail (index < self->messages->len, NULL);
  return &((ClientMessage *) g_ptr_array_index (self->messages, index))->result;
}

gboolean
ms_smtp_client_has_extension (MsSmtpClient *self,
                              const char   *keyword)
{
  char key[64];
  gsize i;

  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), FALSE);
  g_return_val_if_fail (keyword != NULL, FALSE);

  for (i = 0; keyword[i] != '\0' && i < sizeof key - 1; i++)
    key[i] = g_ascii_toupper (keyword[i]);
  key[i] = '\0';
  return g_hash_table_contains (self->extensions, key);
}

gboolean
ms_smtp_client_used_helo (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), FALSE);
  return self->used_helo;
}

gboolean
ms_smtp_client_is_authenticated (MsSmtpClient *self)
{
  g_return_val_if_fail (MS_IS_SMTP_CLIENT (self), FALSE);
  return self->authenticated;
}
