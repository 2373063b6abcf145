/* ms-smtp-commands.c: the SMTP server's command table, checks and actions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One table row per verb: the states it is legal in, flags, its HELP text, and a
 * check_ function (syntax, limits, policy: fills in the refusal) and a proceed_
 * function (does it). A 503 "bad sequence" comes from the table's state mask only.
 */
#define G_LOG_DOMAIN "ms-smtp-server"

#include "config.h"

#include <string.h>

#include "ms-smtp-private.h"

typedef enum
{
  FLAG_NEEDS_TLS        = 1 << 0,  /* config.require_tls: 530 before STARTTLS (RFC 3207 §4) */
  FLAG_NEEDS_AUTH       = 1 << 1,  /* config.submission: 530 before AUTH (RFC 4954 §6) */
  FLAG_NOT_IMPLEMENTED  = 1 << 2,  /* a known verb we do not offer: 502 (RFC 5321 §4.2.4) */
  FLAG_LONG_LINE        = 1 << 3,  /* may exceed 512 octets (AUTH initial response) */
} CommandFlags;

typedef struct
{
  const char    *verb;
  const char    *args;         /* after the verb; "" when none */
  MsSmtpPath     path;         /* MAIL, RCPT */
  gsize          size;         /* MAIL SIZE= */
  gboolean       eight_bit;    /* MAIL BODY=8BITMIME */
  MsSmtpVerdict  verdict;      /* RCPT */
  MsSmtpReply   *policy_reply; /* the policy's own words, if it gave any */
  MsSmtpAuthMech mech;         /* AUTH */
  const char    *initial;      /* AUTH initial response, or NULL */
  MsSmtpReply    refusal;      /* filled by a failing check */
} CommandContext;

typedef gboolean (*CheckFunc)   (MsSmtpServer *self, CommandContext *ctx);
typedef void     (*ProceedFunc) (MsSmtpServer *self, CommandContext *ctx);

typedef struct
{
  const char  *verb;
  guint        allowed;         /* MS_SMTP_IN (state) | ... */
  guint        flags;
  const char  *out_of_sequence; /* the 503 reason outside the allowed states */
  const char  *help;            /* HELP <verb> */
  CheckFunc    check;
  ProceedFunc  proceed;
} CommandSpec;

static const CommandSpec *find_command (const char *verb, gsize len);

/* A refusal from a check: the reply the client gets, with its reason. */
static gboolean G_GNUC_PRINTF (4, 5)
refuse (CommandContext *ctx,
        guint           code,
        const char     *esc,
        const char     *format,
        ...)
{
  va_list args;

  ctx->refusal.code = code;
  ctx->refusal.esc = (char *) esc;
  g_free (ctx->refusal.text);
  va_start (args, format);
  ctx->refusal.text = g_strdup_vprintf (format, args);
  va_end (args);
  return FALSE;
}

static gboolean
check_no_args (MsSmtpServer   *self,
               CommandContext *ctx)
{
  if (*ctx->args != '\0')
    return refuse (ctx, 501, "5.5.4", "Syntax: %s (no parameters)", ctx->verb);
  return TRUE;
}

/* ---- HELO / EHLO (RFC 5321 §4.1.1.1) ------------------------------------------ */

static gboolean
check_helo (MsSmtpServer   *self,
            CommandContext *ctx)
{
  if (*ctx->args == '\0' || strchr (ctx->args, ' ') != NULL)
    return refuse (ctx, 501, "5.5.4", "Syntax: %s hostname", ctx->verb);
  return TRUE;
}

static gboolean
check_ehlo (MsSmtpServer   *self,
            CommandContext *ctx)
{
  /* A teaching switch: an RFC 821 server, so that clients must fall back to HELO. */
  if (self->config.reject_ehlo)
    return refuse (ctx, 502, "5.5.1", "Error: EHLO not implemented (RFC 821 server: use HELO)");
  return check_helo (self, ctx);
}

static void
begin_session (MsSmtpServer   *self,
               CommandContext *ctx,
               gboolean        esmtp)
{
  /* §4.1.4: HELO/EHLO in a transaction resets it, as RSET would. */
  _ms_smtp_server_reset_transaction (self);
  g_free (self->helo);
  self->helo = g_strdup (ctx->args);
  self->esmtp = esmtp;
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
}

static void
proceed_helo (MsSmtpServer   *self,
              CommandContext *ctx)
{
  begin_session (self, ctx, FALSE);
  _ms_smtp_server_reply (self, 250, NULL, "%s", self->hostname);
}

static gboolean
plain_auth_allowed (MsSmtpServer *self)
{
  return ms_engine_is_tls_active (MS_ENGINE (self)) || self->config.allow_plain_auth_without_tls;
}

/* RFC 4954 §3: the mechanisms offered; PLAIN and LOGIN send the password in the clear
 * (base64 is not encryption), so without TLS they are offered only when allowed. */
static void
append_auth_mechanisms (MsSmtpServer *self,
                        GString      *out)
{
  if (self->policy == NULL)
    return;
  if (ms_smtp_policy_can_authenticate (self->policy) && plain_auth_allowed (self))
    g_string_append (out, " PLAIN LOGIN");
  if (ms_smtp_policy_can_get_password (self->policy))
    g_string_append (out, " CRAM-MD5");
}

static void
proceed_ehlo (MsSmtpServer   *self,
              CommandContext *ctx)
{
  g_autoptr(GString) text = g_string_sized_new (256);
  g_autoptr(GString) mechs = g_string_new (NULL);

  begin_session (self, ctx, TRUE);
  /* RFC 5321 §4.1.1.1: greeting line, then one extension keyword a line. */
  g_string_append_printf (text, "%s greets %s\n", self->hostname, self->helo);
  g_string_append (text, "PIPELINING\n");
  if (self->config.max_message_size > 0)
    g_string_append_printf (text, "SIZE %" G_GSIZE_FORMAT "\n", self->config.max_message_size);
  else
    g_string_append (text, "SIZE\n");
  g_string_append (text, "8BITMIME\n");
  if (self->config.tls_available && !ms_engine_is_tls_active (MS_ENGINE (self)))
    g_string_append (text, "STARTTLS\n");
  if (self->user == NULL)
    append_auth_mechanisms (self, mechs);
  if (mechs->len > 0)
    g_string_append_printf (text, "AUTH%s\n", mechs->str);
  g_string_append (text, "ENHANCEDSTATUSCODES");
  _ms_smtp_server_reply (self, 250, NULL, "%s", text->str);
}

/* ---- MAIL (RFC 5321 §4.1.1.2, RFC 1870, RFC 6152, RFC 4954 §5) ---------------- */

static gboolean
parse_size (const char *value,
            gsize      *size)
{
  guint64 n = 0;

  if (*value == '\0' || strlen (value) > 20)
    return FALSE;
  for (const char *p = value; *p; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      if (n > (G_MAXUINT64 - 9) / 10)
        return FALSE;
      n = n * 10 + (guint64) (*p - '0');
    }
  *size = (gsize) MIN (n, (guint64) G_MAXSIZE);
  return TRUE;
}

static gboolean
check_mail_params (MsSmtpServer   *self,
                   CommandContext *ctx,
                   const char     *rest)
{
  g_auto(GStrv) params = g_strsplit (rest, " ", -1);

  for (guint i = 0; params[i] != NULL; i++)
    {
      char *param = params[i];
      char *eq;
      const char *value;

      if (*param == '\0')
        continue;
      /* §4.1.1.11: parameters are an EHLO (ESMTP) feature; with HELO none is known. */
      if (!self->esmtp)
        return refuse (ctx, 555, "5.5.4", "Error: %s parameters need EHLO, not HELO", ctx->verb);
      eq = strchr (param, '=');
      if (eq != NULL)
        *eq = '\0';
      value = eq != NULL ? eq + 1 : NULL;
      if (g_ascii_strcasecmp (param, "SIZE") == 0)
        {
          if (value == NULL || !parse_size (value, &ctx->size))
            return refuse (ctx, 501, "5.5.4", "Bad SIZE parameter syntax");
        }
      else if (g_ascii_strcasecmp (param, "BODY") == 0)
        {
          if (value != NULL && g_ascii_strcasecmp (value, "8BITMIME") == 0)
            ctx->eight_bit = TRUE;
          else if (value != NULL && g_ascii_strcasecmp (value, "7BIT") == 0)
            ctx->eight_bit = FALSE;
          else
            return refuse (ctx, 555, "5.5.4", "Unsupported BODY type %s", value ? value : "");
        }
      else if (g_ascii_strcasecmp (param, "AUTH") == 0 && value != NULL)
        {
          /* RFC 4954 §5: the original submitter; we trust nobody's claim, so ignore it. */
        }
      else
        return refuse (ctx, 555, "5.5.4", "Unsupported option: %s", param);
    }
  return TRUE;
}

static gboolean
check_mail (MsSmtpServer   *self,
            CommandContext *ctx)
{
  const char *rest = NULL;
  const char *reason = NULL;
  MsSmtpSessionInfo info = { 0 };

  if (g_ascii_strncasecmp (ctx->args, "FROM:", 5) != 0)
    return refuse (ctx, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
  if (!ms_smtp_path_parse (ctx->args + 5, MS_SMTP_PATH_REVERSE, &ctx->path, &rest, &reason))
    return refuse (ctx, 553, "5.1.7", "Bad sender address syntax: %s", reason);
  if (!check_mail_params (self, ctx, rest))
    return FALSE;
  /* RFC 1870 §6.2: refuse at once what will not fit. */
  if (self->config.max_message_size > 0 && ctx->size > self->config.max_message_size)
    return refuse (ctx, 552, "5.3.4",
                   "Message size exceeds fixed maximum message size (%" G_GSIZE_FORMAT " octets)",
                   self->config.max_message_size);
  if (self->policy != NULL)
    {
      _ms_smtp_server_fill_info (self, &info);
      if (!ms_smtp_policy_check_sender (self->policy, &info, ctx->path.mailbox,
                                        &ctx->policy_reply))
        {
          if (ctx->policy_reply == NULL)
            ctx->policy_reply = ms_smtp_reply_new (550, "5.7.1", "<%s>: Sender address rejected",
                                                   ctx->path.mailbox);
          return FALSE;
        }
    }
  return TRUE;
}

static void
proceed_mail (MsSmtpServer   *self,
              CommandContext *ctx)
{
  self->reverse_path = g_strdup (ctx->path.mailbox);
  self->declared_size = ctx->size;
  self->eight_bit = ctx->eight_bit;
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_MAIL);
  if (ctx->policy_reply != NULL && ctx->policy_reply->code / 100 == 2)
    _ms_smtp_server_send_reply (self, ctx->policy_reply);
  else
    _ms_smtp_server_reply (self, 250, "2.1.0", "Ok");
}

/* ---- RCPT (RFC 5321 §4.1.1.3) ----------------------------------------------------- */

static gboolean
check_rcpt (MsSmtpServer   *self,
            CommandContext *ctx)
{
  const char *rest = NULL;
  const char *reason = NULL;
  MsSmtpSessionInfo info = { 0 };

  if (g_ascii_strncasecmp (ctx->args, "TO:", 3) != 0)
    return refuse (ctx, 501, "5.5.4", "Syntax: RCPT TO:<address>");
  if (!ms_smtp_path_parse (ctx->args + 3, MS_SMTP_PATH_POSTMASTER, &ctx->path, &rest, &reason))
    return refuse (ctx, 553, "5.1.3", "Bad recipient address syntax: %s", reason);
  while (*rest == ' ')
    rest++;
  if (*rest != '\0')
    {
      if (!self->esmtp)
        return refuse (ctx, 555, "5.5.4", "Error: RCPT parameters need EHLO, not HELO");
      return refuse (ctx, 555, "5.5.4", "Unsupported option: %.*s",
                     (int) strcspn (rest, " ="), rest);
    }
  /* §4.5.3.1.10: too many recipients is a temporary condition (452). */
  if (self->recipients->len >= self->config.max_recipients)
    return refuse (ctx, 452, "4.5.3", "Error: too many recipients (at most %u)",
                   self->config.max_recipients);
  ctx->verdict = MS_SMTP_VERDICT_ACCEPT;
  if (self->policy != NULL)
    {
      _ms_smtp_server_fill_info (self, &info);
      ctx->verdict = ms_smtp_policy_check_recipient (self->policy, &info, ctx->path.mailbox,
                                                     &ctx->policy_reply);
      if (ctx->verdict == MS_SMTP_VERDICT_DENY)
        return FALSE;
    }
  return TRUE;
}

static void
proceed_rcpt (MsSmtpServer   *self,
              CommandContext *ctx)
{
  g_ptr_array_add (self->recipients, g_strdup (ctx->path.mailbox));
  if (ctx->verdict == MS_SMTP_VERDICT_RELAY)
    g_ptr_array_add (self->relayed, g_strdup (ctx->path.mailbox));
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_RCPT);
  /* An accepted recipient is answered 2xx, whatever else the policy said. */
  if (ctx->policy_reply != NULL && ctx->policy_reply->code / 100 == 2)
    _ms_smtp_server_send_reply (self, ctx->policy_reply);
  else
    _ms_smtp_server_reply (self, 250, "2.1.5", "Ok");
}

/* ---- DATA (RFC 5321 §4.1.1.4) ------------------------------------------------------ */

static gboolean
check_data (MsSmtpServer   *self,
            CommandContext *ctx)
{
  if (!check_no_args (self, ctx))
    return FALSE;
  /* §3.3: MAIL was given but every RCPT was refused (so the state is still MAIL). */
  if (self->recipients->len == 0)
    return refuse (ctx, 554, "5.5.1", "No valid recipients");
  return TRUE;
}

static void
proceed_data (MsSmtpServer   *self,
              CommandContext *ctx)
{
  _ms_smtp_server_reply (self, 354, NULL, "End data with <CR><LF>.<CR><LF>");
  _ms_smtp_server_begin_data (self);
}

/* ---- RSET, NOOP, QUIT (RFC 5321 §4.1.1.5, §4.1.1.9, §4.1.1.10) --------------------- */

static void
proceed_rset (MsSmtpServer   *self,
              CommandContext *ctx)
{
  _ms_smtp_server_reset_transaction (self);
  if (self->state == MS_SMTP_SERVER_STATE_MAIL || self->state == MS_SMTP_SERVER_STATE_RCPT)
    _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
  _ms_smtp_server_reply (self, 250, "2.0.0", "Ok");
}

static void
proceed_noop (MsSmtpServer   *self,
              CommandContext *ctx)
{
  /* §4.1.1.9: a parameter string may be given and is ignored. */
  _ms_smtp_server_reply (self, 250, "2.0.0", "Ok");
}

static void
proceed_quit (MsSmtpServer   *self,
              CommandContext *ctx)
{
  _ms_smtp_server_reply (self, 221, "2.0.0", "%s closing connection", self->hostname);
  _ms_smtp_server_reset_transaction (self);
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_CLOSED);
  ms_engine_request_close (MS_ENGINE (self));
}

/* ---- VRFY (RFC 5321 §3.5.1, §4.1.1.6) ----------------------------------------------- */

static gboolean
check_vrfy (MsSmtpServer   *self,
            CommandContext *ctx)
{
  if (*ctx->args == '\0')
    return refuse (ctx, 501, "5.5.4", "Syntax: VRFY address");
  return TRUE;
}

static void
proceed_vrfy (MsSmtpServer   *self,
              CommandContext *ctx)
{
  g_autoptr(MsSmtpReply) reply = NULL;
  MsSmtpSessionInfo info = { 0 };

  if (self->policy != NULL)
    {
      _ms_smtp_server_fill_info (self, &info);
      reply = ms_smtp_policy_vrfy (self->policy, &info, ctx->args);
    }
  if (reply != NULL)
    _ms_smtp_server_send_reply (self, reply);
  else
    /* §3.5.3: 252 when the server cannot or will not verify. */
    _ms_smtp_server_reply (self, 252, "2.0.0",
                           "Cannot VRFY user, but will accept message and attempt delivery");
}

/* ---- HELP (RFC 5321 §4.1.1.8) ------------------------------------------------------- */

static gboolean
check_help (MsSmtpServer   *self,
            CommandContext *ctx)
{
  const CommandSpec *spec;

  if (*ctx->args == '\0')
    return TRUE;
  spec = find_command (ctx->args, strcspn (ctx->args, " "));
  if (spec == NULL || spec->help == NULL)
    return refuse (ctx, 504, "5.5.1", "HELP topic \"%s\" unknown", ctx->args);
  return TRUE;
}

static void
proceed_help (MsSmtpServer   *self,
              CommandContext *ctx)
{
  const CommandSpec *spec;

  if (*ctx->args != '\0')
    {
      spec = find_command (ctx->args, strcspn (ctx->args, " "));
      _ms_smtp_server_reply (self, 214, "2.0.0", "%s", spec->help);
      return;
    }
  _ms_smtp_server_reply (self, 214, "2.0.0",
                         "This is the MailSim SMTP server (RFC 5321)\n"
                         "Commands:\n"
                         "  HELO EHLO MAIL RCPT DATA RSET\n"
                         "  NOOP QUIT HELP VRFY AUTH STARTTLS\n"
                         "For more on a command, use \"HELP <command>\"\n"
                         "End of HELP info");
}

/* ---- AUTH (RFC 4954) ---------------------------------------------------------------- */

static gboolean
check_auth (MsSmtpServer   *self,
            CommandContext *ctx)
{
  g_autofree char *mech = NULL;
  const char *space;
  gboolean offered;

  if (self->user != NULL)
    return refuse (ctx, 503, "5.5.1", "Error: already authenticated");  /* RFC 4954 §4 */
  if (self->policy == NULL
      || (!ms_smtp_policy_can_authenticate (self->policy)
          && !ms_smtp_policy_can_get_password (self->policy)))
    return refuse (ctx, 502, "5.5.1", "Error: authentication not enabled");
  if (*ctx->args == '\0')
    return refuse (ctx, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  space = strchr (ctx->args, ' ');
  mech = space != NULL ? g_strndup (ctx->args, space - ctx->args) : g_strdup (ctx->args);
  ctx->initial = space != NULL ? space + 1 : NULL;
  if (ctx->initial != NULL && (*ctx->initial == '\0' || strchr (ctx->initial, ' ') != NULL))
    return refuse (ctx, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");

  if (g_ascii_strcasecmp (mech, "PLAIN") == 0)
    ctx->mech = MS_SMTP_AUTH_PLAIN;
  else if (g_ascii_strcasecmp (mech, "LOGIN") == 0)
    ctx->mech = MS_SMTP_AUTH_LOGIN;
  else if (g_ascii_strcasecmp (mech, "CRAM-MD5") == 0)
    ctx->mech = MS_SMTP_AUTH_CRAM_MD5;
  else
    return refuse (ctx, 504, "5.5.4", "Unrecognized authentication type %s", mech);

  if (ctx->mech == MS_SMTP_AUTH_CRAM_MD5)
    {
      offered = ms_smtp_policy_can_get_password (self->policy);
      if (offered && ctx->initial != NULL)
        return refuse (ctx, 501, "5.5.4", "CRAM-MD5 takes no initial response (RFC 2195)");
    }
  else
    {
      offered = ms_smtp_policy_can_authenticate (self->policy);
      if (offered && !plain_auth_allowed (self))
        return refuse (ctx, 538, "5.7.11",
                       "Encryption required for requested authentication mechanism");
    }
  if (!offered)
    return refuse (ctx, 504, "5.5.4", "Unrecognized authentication type %s", mech);
  return TRUE;
}

static void auth_step (MsSmtpServer *self, const char *response);

static gint challenge_counter;

static void
proceed_auth (MsSmtpServer   *self,
              CommandContext *ctx)
{
  g_autofree char *b64 = NULL;

  self->auth_mech = ctx->mech;
  self->auth_step = 0;
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_AUTH);
  switch (ctx->mech)
    {
    case MS_SMTP_AUTH_PLAIN:
      if (ctx->initial != NULL)
        auth_step (self, ctx->initial);
      else
        _ms_smtp_server_reply (self, 334, NULL, "%s", "");  /* RFC 4616: empty challenge */
      break;
    case MS_SMTP_AUTH_LOGIN:
      if (ctx->initial != NULL)
        auth_step (self, ctx->initial);
      else
        _ms_smtp_server_reply (self, 334, NULL, "VXNlcm5hbWU6");  /* "Username:" */
      break;
    case MS_SMTP_AUTH_CRAM_MD5:
      /* RFC 2195 §2: a challenge unique to this exchange, in msg-id form: a
       * process-wide counter and the (virtual) clock in microseconds, so that a
       * simulation stays reproducible and no two sessions share one. */
      if (self->config.id_func != NULL)
        {
          /* the site's id generator: reproducible per site, not per process */
          g_autofree char *unique = self->config.id_func (self->config.id_data);

          self->auth_challenge = g_strdup_printf ("<%s.%" G_GINT64_FORMAT "@%s>", unique,
                                                  _ms_smtp_server_now (self), self->hostname);
        }
      else
        self->auth_challenge = g_strdup_printf ("<%u.%" G_GINT64_FORMAT "@%s>",
                                                (guint) g_atomic_int_add (&challenge_counter, 1) + 1,
                                                _ms_smtp_server_now (self), self->hostname);
      b64 = g_base64_encode ((const guchar *) self->auth_challenge,
                             strlen (self->auth_challenge));
      _ms_smtp_server_reply (self, 334, NULL, "%s", b64);
      break;
    case MS_SMTP_AUTH_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
auth_finish (MsSmtpServer *self,
             char         *canonical)
{
  g_clear_pointer (&self->auth_login_user, g_free);
  g_clear_pointer (&self->auth_challenge, g_free);
  self->auth_mech = MS_SMTP_AUTH_NONE;
  /* the user is known before "state-changed" tells observers the exchange is over */
  if (canonical != NULL)
    {
      g_free (self->user);
      self->user = canonical;
    }
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
  if (canonical != NULL)
    {
      _ms_smtp_server_reply (self, 235, "2.7.0", "Authentication successful");
    }
  else
    _ms_smtp_server_reply (self, 535, "5.7.8",
                           "Error: authentication failed: authentication credentials invalid");
}

static void
auth_abort (MsSmtpServer *self,
            guint         code,
            const char   *esc,
            const char   *text)
{
  g_clear_pointer (&self->auth_login_user, g_free);
  g_clear_pointer (&self->auth_challenge, g_free);
  self->auth_mech = MS_SMTP_AUTH_NONE;
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_READY);
  _ms_smtp_server_reply (self, code, esc, "%s", text);
}

/* One client response of the dialogue, still base64. */
static void
auth_step (MsSmtpServer *self,
           const char   *response)
{
  MsSmtpSessionInfo info = { 0 };
  g_autofree char *decoded = NULL;
  gsize len = 0;

  /* RFC 4954 §4: "*" cancels the exchange. */
  if (strcmp (response, "*") == 0)
    {
      auth_abort (self, 501, "5.7.0", "Authentication aborted");
      return;
    }
  /* An initial response of "=" is an empty one. */
  if (self->auth_step == 0 && strcmp (response, "=") == 0)
    decoded = g_strdup ("");
  else
    decoded = _ms_smtp_base64_decode (response, &len);
  if (decoded == NULL)
    {
      auth_abort (self, 501, "5.5.2", "Cannot decode response (invalid base64)");
      return;
    }
  _ms_smtp_server_fill_info (self, &info);

  switch (self->auth_mech)
    {
    case MS_SMTP_AUTH_PLAIN:
      {
        /* RFC 4616 §2: [authzid] NUL authcid NUL passwd */
        const char *authzid = decoded;
        const char *nul1 = memchr (decoded, '\0', len);
        const char *authcid;
        const char *nul2;
        const char *password;

        if (nul1 == NULL || (nul2 = memchr (nul1 + 1, '\0', len - (nul1 + 1 - decoded))) == NULL
            || memchr (nul2 + 1, '\0', len - (nul2 + 1 - decoded)) != NULL)
          {
            auth_abort (self, 501, "5.5.2", "Malformed PLAIN response (RFC 4616)");
            return;
          }
        authcid = nul1 + 1;
        password = nul2 + 1;
        /* We do not act for others: an authzid must name the same user. */
        if (*authzid != '\0' && g_ascii_strcasecmp (authzid, authcid) != 0)
          auth_finish (self, NULL);
        else
          auth_finish (self, ms_smtp_policy_authenticate (self->policy, &info, authcid,
                                                          password));
      }
      break;
    case MS_SMTP_AUTH_LOGIN:
      if (self->auth_step == 0)
        {
          self->auth_login_user = g_steal_pointer (&decoded);
          self->auth_step = 1;
          _ms_smtp_server_reply (self, 334, NULL, "UGFzc3dvcmQ6");  /* "Password:" */
        }
      else
        auth_finish (self, ms_smtp_policy_authenticate (self->policy, &info,
                                                        self->auth_login_user, decoded));
      break;
    case MS_SMTP_AUTH_CRAM_MD5:
      {
        /* RFC 2195 §2: "user SP hex-digest" */
        const char *space = strrchr (decoded, ' ');
        g_autofree char *user = NULL;
        g_autofree char *secret = NULL;
        g_autofree char *expected = NULL;
        char *canonical = NULL;

        if (space == NULL || strlen (space + 1) != 32)
          {
            auth_abort (self, 501, "5.5.2", "Malformed CRAM-MD5 response (RFC 2195)");
            return;
          }
        user = g_strndup (decoded, space - decoded);
        secret = ms_smtp_policy_get_password (self->policy, &info, user, &canonical);
        if (secret != NULL)
          expected = _ms_smtp_cram_md5_digest (secret, self->auth_challenge);
        if (expected != NULL && g_ascii_strcasecmp (expected, space + 1) == 0)
          auth_finish (self, canonical != NULL ? canonical : g_strdup (user));
        else
          {
            g_free (canonical);
            auth_finish (self, NULL);
          }
      }
      break;
    case MS_SMTP_AUTH_NONE:
    default:
      g_assert_not_reached ();
    }
}

void
_ms_smtp_server_auth_response (MsSmtpServer *self,
                               const char   *line,
                               gsize         len)
{
  ms_engine_record_input (MS_ENGINE (self), MS_LINE_AUTH, line, len);
  auth_step (self, line);
}

/* ---- STARTTLS (RFC 3207) ------------------------------------------------------------ */

static gboolean
check_starttls (MsSmtpServer   *self,
                CommandContext *ctx)
{
  if (!check_no_args (self, ctx))
    return FALSE;
  if (ms_engine_is_tls_active (MS_ENGINE (self)))
    return refuse (ctx, 503, "5.5.1", "Error: TLS already active");
  if (!self->config.tls_available)
    return refuse (ctx, 454, "4.7.0", "TLS not available due to temporary reason");
  return TRUE;
}

static void
proceed_starttls (MsSmtpServer   *self,
                  CommandContext *ctx)
{
  _ms_smtp_server_reply (self, 220, "2.0.0", "Ready to start TLS");
  _ms_smtp_server_enter_state (self, MS_SMTP_SERVER_STATE_TLS);
  /* RFC 3207 §5: anything the client pipelined behind STARTTLS is dropped by the base. */
  ms_engine_request_tls (MS_ENGINE (self));
}

/* ---- The table ----------------------------------------------------------------------- */

#define ANY   MS_SMTP_COMMAND_STATES
#define READY MS_SMTP_IN (MS_SMTP_SERVER_STATE_READY)
#define IN_TX (MS_SMTP_IN (MS_SMTP_SERVER_STATE_MAIL) | MS_SMTP_IN (MS_SMTP_SERVER_STATE_RCPT))

static const CommandSpec commands[] = {
  /* Session (RFC 5321 §4.1.1.1) */
  { "EHLO", ANY, 0, NULL,
    "EHLO hostname: start an ESMTP session; the reply lists the extensions",
    check_ehlo, proceed_ehlo },
  { "HELO", ANY, 0, NULL,
    "HELO hostname: start a plain SMTP session (no extensions)",
    check_helo, proceed_helo },
  /* Transaction (§4.1.1.2 - §4.1.1.4) */
  { "MAIL", READY, FLAG_NEEDS_TLS | FLAG_NEEDS_AUTH, "Error: nested MAIL command",
    "MAIL FROM:<sender> [SIZE=n] [BODY=7BIT|8BITMIME]: start a mail transaction",
    check_mail, proceed_mail },
  { "RCPT", IN_TX, 0, "Error: need MAIL command",
    "RCPT TO:<recipient>: add a recipient to the transaction",
    check_rcpt, proceed_rcpt },
  { "DATA", IN_TX, 0, "Error: need RCPT command",
    "DATA: send the message, ending with a line holding a single \".\"",
    check_data, proceed_data },
  /* Anywhere (§4.1.1.5 - §4.1.1.10) */
  { "RSET", ANY, 0, NULL, "RSET: abort the current transaction",
    check_no_args, proceed_rset },
  { "NOOP", ANY, 0, NULL, "NOOP: do nothing, the server answers 250",
    NULL, proceed_noop },
  { "QUIT", ANY, 0, NULL, "QUIT: end the session (221)",
    check_no_args, proceed_quit },
  { "VRFY", ANY, 0, NULL, "VRFY address: ask whether a mailbox exists",
    check_vrfy, proceed_vrfy },
  { "HELP", ANY, 0, NULL, "HELP [command]: this help",
    check_help, proceed_help },
  /* Extensions (RFC 4954, RFC 3207) */
  { "AUTH", READY, FLAG_NEEDS_TLS | FLAG_LONG_LINE,
    "Error: AUTH not allowed during a mail transaction",
    "AUTH mechanism [initial-response]: authenticate (PLAIN, LOGIN, CRAM-MD5)",
    check_auth, proceed_auth },
  { "STARTTLS", READY, 0, "Error: STARTTLS not allowed during a mail transaction",
    "STARTTLS: switch the connection to TLS, then EHLO again",
    check_starttls, proceed_starttls },
  /* Known but not offered (§4.2.4: 502) */
  { "EXPN", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "TURN", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "ETRN", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "ATRN", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "SEND", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "SOML", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "SAML", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "VERB", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
  { "BDAT", ANY, FLAG_NOT_IMPLEMENTED, NULL, NULL, NULL, NULL },
};

static const CommandSpec *
find_command (const char *verb,
              gsize       len)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strlen (commands[i].verb) == len && g_ascii_strncasecmp (commands[i].verb, verb, len) == 0)
      return &commands[i];
  return NULL;
}

GStrv
_ms_smtp_commands_allowed_in (MsSmtpServerState state)
{
  GPtrArray *verbs = g_ptr_array_new ();

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if ((commands[i].allowed & MS_SMTP_IN (state)) != 0
        && (commands[i].flags & FLAG_NOT_IMPLEMENTED) == 0)
      g_ptr_array_add (verbs, g_strdup (commands[i].verb));
  g_ptr_array_add (verbs, NULL);
  return (GStrv) g_ptr_array_free (verbs, FALSE);
}

static const char *
sequence_reason (const CommandSpec *spec,
                 MsSmtpServerState  state)
{
  if (state == MS_SMTP_SERVER_STATE_CONNECTED)
    return "Error: send HELO/EHLO first";
  return spec->out_of_sequence != NULL ? spec->out_of_sequence : "Error: bad sequence of commands";
}

void
_ms_smtp_server_dispatch (MsSmtpServer *self,
                          const char   *line,
                          gsize         len)
{
  const CommandSpec *spec;
  CommandContext ctx = { 0 };
  gsize verb_len;
  g_autofree char *args = NULL;

  ms_engine_record_input (MS_ENGINE (self), MS_LINE_COMMAND, line, len);

  if (len == 0)
    {
      _ms_smtp_server_reply (self, 500, "5.5.2", "Error: bad syntax (empty line)");
      return;
    }
  verb_len = strcspn (line, " ");
  spec = find_command (line, verb_len);

  /* §4.5.3.1.4: 512 octets a command line; AUTH may carry a long initial response. */
  if (len > MS_SMTP_MAX_COMMAND_LINE && (spec == NULL || (spec->flags & FLAG_LONG_LINE) == 0))
    {
      _ms_smtp_server_reply (self, 500, "5.5.2", "Error: line too long");
      return;
    }
  if (spec == NULL)
    {
      _ms_smtp_server_reply (self, 500, "5.5.2", "Error: command not recognized");
      return;
    }
  if ((spec->flags & FLAG_NOT_IMPLEMENTED) != 0)
    {
      _ms_smtp_server_reply (self, 502, "5.5.1", "Error: command not implemented");
      return;
    }
  if ((spec->allowed & MS_SMTP_IN (self->state)) == 0)
    {
      _ms_smtp_server_reply (self, 503, "5.5.1", "%s", sequence_reason (spec, self->state));
      return;
    }
  if ((spec->flags & FLAG_NEEDS_TLS) != 0 && self->config.require_tls
      && !ms_engine_is_tls_active (MS_ENGINE (self)))
    {
      _ms_smtp_server_reply (self, 530, "5.7.0", "Must issue a STARTTLS command first");
      return;
    }
  if ((spec->flags & FLAG_NEEDS_AUTH) != 0 && self->config.submission && self->user == NULL)
    {
      _ms_smtp_server_reply (self, 530, "5.7.0", "Authentication required");
      return;
    }

  ctx.verb = spec->verb;
  args = g_strdup (line + verb_len);
  ctx.args = g_strstrip (args);

  if (spec->check == NULL || spec->check (self, &ctx))
    spec->proceed (self, &ctx);
  else if (ctx.policy_reply != NULL)
    _ms_smtp_server_send_reply (self, ctx.policy_reply);
  else
    _ms_smtp_server_send_reply (self, &ctx.refusal);

  ms_smtp_path_clear (&ctx.path);
  ms_smtp_reply_free (ctx.policy_reply);
  g_free (ctx.refusal.text);
}
