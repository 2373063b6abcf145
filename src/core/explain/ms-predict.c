/* ms-predict.c: plausible replies for "predict the next reply"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Distractors are real replies (RFC 5321 §4.2, RFC 3463, RFC 4954, RFC 3207; RFC 1939,
 * RFC 2449, RFC 2595; RFC 9051 §7.1) that a server could have sent to that command in
 * another situation, plus, for POP3, the SMTP reply a learner may confuse it with.
 */
#define G_LOG_DOMAIN "ms-explain"

#include "config.h"

#include <string.h>

#include "ms-predict.h"

typedef struct
{
  MsProtocol  protocol;
  const char *command;  /* "" greeting, "." end of DATA, "*" any other */
  const char *text;
} Candidate;

static const Candidate candidates[] = {
  /* SMTP */
  { MS_PROTOCOL_SMTP, "", "220 mail.example.net ESMTP ready" },
  { MS_PROTOCOL_SMTP, "", "554 5.3.2 No SMTP service here" },
  { MS_PROTOCOL_SMTP, "", "421 4.3.2 Service not available, closing transmission channel" },
  { MS_PROTOCOL_SMTP, "EHLO", "250 mail.example.net Hello" },
  { MS_PROTOCOL_SMTP, "EHLO", "501 5.5.4 Syntax: EHLO hostname" },
  { MS_PROTOCOL_SMTP, "EHLO", "502 5.5.1 Command not implemented" },
  { MS_PROTOCOL_SMTP, "EHLO", "220 mail.example.net ESMTP ready" },
  { MS_PROTOCOL_SMTP, "HELO", "250 mail.example.net" },
  { MS_PROTOCOL_SMTP, "HELO", "501 5.5.4 Syntax: HELO hostname" },
  { MS_PROTOCOL_SMTP, "HELO", "220 mail.example.net ESMTP ready" },
  { MS_PROTOCOL_SMTP, "MAIL", "250 2.1.0 Ok" },
  { MS_PROTOCOL_SMTP, "MAIL", "530 5.7.0 Authentication required" },
  { MS_PROTOCOL_SMTP, "MAIL", "553 5.7.1 Sender address rejected: not owned by user" },
  { MS_PROTOCOL_SMTP, "MAIL", "451 4.3.0 Temporary failure, please try again later" },
  { MS_PROTOCOL_SMTP, "MAIL", "503 5.5.1 Bad sequence of commands" },
  { MS_PROTOCOL_SMTP, "RCPT", "250 2.1.5 Ok" },
  { MS_PROTOCOL_SMTP, "RCPT", "550 5.1.1 User unknown in local recipient table" },
  { MS_PROTOCOL_SMTP, "RCPT", "554 5.7.1 Relay access denied" },
  { MS_PROTOCOL_SMTP, "RCPT", "451 4.3.0 Temporary failure, please try again later" },
  { MS_PROTOCOL_SMTP, "RCPT", "452 4.5.3 Too many recipients" },
  { MS_PROTOCOL_SMTP, "DATA", "354 End data with <CR><LF>.<CR><LF>" },
  { MS_PROTOCOL_SMTP, "DATA", "250 2.0.0 Ok" },
  { MS_PROTOCOL_SMTP, "DATA", "554 5.5.1 Error: no valid recipients" },
  { MS_PROTOCOL_SMTP, "DATA", "503 5.5.1 Bad sequence of commands" },
  { MS_PROTOCOL_SMTP, ".", "250 2.0.0 Ok: queued" },
  { MS_PROTOCOL_SMTP, ".", "354 End data with <CR><LF>.<CR><LF>" },
  { MS_PROTOCOL_SMTP, ".", "550 5.7.1 Message rejected: SPF fail" },
  { MS_PROTOCOL_SMTP, ".", "552 5.3.4 Message size exceeds fixed limit" },
  { MS_PROTOCOL_SMTP, ".", "451 4.3.0 Temporary failure, please try again later" },
  { MS_PROTOCOL_SMTP, "AUTH", "235 2.7.0 Authentication successful" },
  { MS_PROTOCOL_SMTP, "AUTH", "334 VXNlcm5hbWU6" },
  { MS_PROTOCOL_SMTP, "AUTH", "535 5.7.8 Authentication credentials invalid" },
  { MS_PROTOCOL_SMTP, "AUTH", "538 5.7.11 Encryption required for requested authentication mechanism" },
  { MS_PROTOCOL_SMTP, "AUTH", "504 5.5.4 Unrecognized authentication type" },
  { MS_PROTOCOL_SMTP, "STARTTLS", "220 2.0.0 Ready to start TLS" },
  { MS_PROTOCOL_SMTP, "STARTTLS", "454 4.7.0 TLS not available due to temporary reason" },
  { MS_PROTOCOL_SMTP, "STARTTLS", "502 5.5.1 Command not implemented" },
  { MS_PROTOCOL_SMTP, "STARTTLS", "250 2.0.0 Ok" },
  { MS_PROTOCOL_SMTP, "QUIT", "221 2.0.0 Bye" },
  { MS_PROTOCOL_SMTP, "QUIT", "250 2.0.0 Ok" },
  { MS_PROTOCOL_SMTP, "QUIT", "421 4.4.2 Timeout exceeded" },
  { MS_PROTOCOL_SMTP, "VRFY", "252 2.0.0 Cannot VRFY user, but will accept message" },
  { MS_PROTOCOL_SMTP, "VRFY", "250 2.0.0 <bob@example.net>" },
  { MS_PROTOCOL_SMTP, "VRFY", "550 5.1.1 User unknown" },
  { MS_PROTOCOL_SMTP, "VRFY", "502 5.5.1 VRFY command is disabled" },
  { MS_PROTOCOL_SMTP, "*", "250 2.0.0 Ok" },
  { MS_PROTOCOL_SMTP, "*", "500 5.5.2 Syntax error, command unrecognized" },
  { MS_PROTOCOL_SMTP, "*", "502 5.5.1 Command not implemented" },
  { MS_PROTOCOL_SMTP, "*", "503 5.5.1 Bad sequence of commands" },
  /* POP3: +OK or -ERR; an SMTP reply is the classic confusion */
  { MS_PROTOCOL_POP3, "", "+OK POP3 server ready" },
  { MS_PROTOCOL_POP3, "", "-ERR service not available" },
  { MS_PROTOCOL_POP3, "", "220 mail.example.net ESMTP ready" },
  { MS_PROTOCOL_POP3, "USER", "+OK" },
  { MS_PROTOCOL_POP3, "USER", "-ERR [AUTH] Plaintext authentication disallowed" },
  { MS_PROTOCOL_POP3, "USER", "334 UGFzc3dvcmQ6" },
  { MS_PROTOCOL_POP3, "PASS", "+OK Logged in" },
  { MS_PROTOCOL_POP3, "PASS", "-ERR [AUTH] Authentication failed" },
  { MS_PROTOCOL_POP3, "PASS", "235 2.7.0 Authentication successful" },
  { MS_PROTOCOL_POP3, "APOP", "+OK Logged in" },
  { MS_PROTOCOL_POP3, "APOP", "-ERR [AUTH] Authentication failed" },
  { MS_PROTOCOL_POP3, "APOP", "235 2.7.0 Authentication successful" },
  { MS_PROTOCOL_POP3, "STAT", "+OK 2 1024" },
  { MS_PROTOCOL_POP3, "STAT", "-ERR Unknown command" },
  { MS_PROTOCOL_POP3, "STAT", "250 2 1024" },
  { MS_PROTOCOL_POP3, "RETR", "+OK 512 octets" },
  { MS_PROTOCOL_POP3, "RETR", "-ERR No such message" },
  { MS_PROTOCOL_POP3, "RETR", "354 Start mail input" },
  { MS_PROTOCOL_POP3, "TOP", "+OK" },
  { MS_PROTOCOL_POP3, "TOP", "-ERR No such message" },
  { MS_PROTOCOL_POP3, "TOP", "354 Start mail input" },
  { MS_PROTOCOL_POP3, "DELE", "+OK Marked to be deleted" },
  { MS_PROTOCOL_POP3, "DELE", "-ERR Message is already deleted" },
  { MS_PROTOCOL_POP3, "DELE", "250 2.0.0 Ok" },
  { MS_PROTOCOL_POP3, "QUIT", "+OK Logging out" },
  { MS_PROTOCOL_POP3, "QUIT", "-ERR Some deleted messages not removed" },
  { MS_PROTOCOL_POP3, "QUIT", "221 2.0.0 Bye" },
  { MS_PROTOCOL_POP3, "STLS", "+OK Begin TLS negotiation now" },
  { MS_PROTOCOL_POP3, "STLS", "-ERR Command not permitted when TLS active" },
  { MS_PROTOCOL_POP3, "STLS", "220 2.0.0 Ready to start TLS" },
  { MS_PROTOCOL_POP3, "*", "+OK" },
  { MS_PROTOCOL_POP3, "*", "-ERR Unknown command" },
  { MS_PROTOCOL_POP3, "*", "250 2.0.0 Ok" },
  /* IMAP: "TAG" is replaced by the command's tag, "CMD" by its verb */
  { MS_PROTOCOL_IMAP, "", "* OK IMAP4rev1 server ready" },
  { MS_PROTOCOL_IMAP, "", "* PREAUTH IMAP4rev1 server logged in as bob" },
  { MS_PROTOCOL_IMAP, "", "* BYE Too many connections" },
  { MS_PROTOCOL_IMAP, "LOGIN", "TAG OK [CAPABILITY IMAP4rev1] Logged in" },
  { MS_PROTOCOL_IMAP, "LOGIN", "TAG NO [AUTHENTICATIONFAILED] Authentication failed" },
  { MS_PROTOCOL_IMAP, "LOGIN", "TAG BAD Missing password" },
  { MS_PROTOCOL_IMAP, "SELECT", "TAG OK [READ-WRITE] SELECT completed" },
  { MS_PROTOCOL_IMAP, "SELECT", "TAG NO [NONEXISTENT] Mailbox does not exist" },
  { MS_PROTOCOL_IMAP, "SELECT", "TAG BAD Missing mailbox name" },
  { MS_PROTOCOL_IMAP, "*", "TAG OK CMD completed" },
  { MS_PROTOCOL_IMAP, "*", "TAG NO CMD failed" },
  { MS_PROTOCOL_IMAP, "*", "TAG BAD Command syntax error" },
};

void
ms_predict_choice_free (MsPredictChoice *choice)
{
  if (choice == NULL)
    return;
  g_free (choice->text);
  g_free (choice);
}

const char *
ms_predict_command_for (MsTraceSession *session,
                        guint           index)
{
  MsTraceLine *line;

  g_return_val_if_fail (session != NULL, NULL);
  if (index >= session->lines->len)
    return NULL;
  line = g_ptr_array_index (session->lines, index);
  if (line->dir != MS_DIR_SERVER)
    return NULL;
  for (guint i = index; i-- > 0;)
    {
      MsTraceLine *before = g_ptr_array_index (session->lines, i);

      if (before->dir != MS_DIR_CLIENT)
        continue;
      if (before->text != NULL && strcmp (before->text, ".") == 0)
        return ".";
      if (before->kind == MS_LINE_AUTH)
        return "AUTH";
      if (before->command != NULL)
        return before->command;
    }
  return "";
}

gboolean
ms_predict_applies (MsProtocol         protocol,
                    const MsTraceLine *line,
                    const char        *command)
{
  g_return_val_if_fail (line != NULL, FALSE);

  if (line->dir != MS_DIR_SERVER || line->kind != MS_LINE_REPLY || command == NULL)
    return FALSE;
  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      return line->code >= 200 && line->code < 600;
    case MS_PROTOCOL_POP3:
      return line->status != NULL
             && (strcmp (line->status, "+OK") == 0 || strcmp (line->status, "-ERR") == 0);
    case MS_PROTOCOL_IMAP:
      if (*command == '\0')
        return line->status != NULL;
      /* the tagged completion of a command */
      return line->tag != NULL && strcmp (line->tag, "*") != 0 && strcmp (line->tag, "+") != 0
             && line->status != NULL;
    default:
      return FALSE;
    }
}

/* What must differ between the true reply and a distractor: the code, or the status. */
static char *
reply_class (MsProtocol  protocol,
             const char *text)
{
  const char *p = text;

  if (protocol == MS_PROTOCOL_IMAP)
    {
      /* skip the tag */
      p = strchr (text, ' ');
      p = p != NULL ? p + 1 : text;
    }
  return g_strndup (p, strcspn (p, " -"));
}

static char *
fill (const char *text,
      const char *tag,
      const char *command)
{
  GString *s = g_string_new (NULL);

  for (const char *p = text; *p != '\0';)
    {
      if (strncmp (p, "TAG", 3) == 0 && tag != NULL)
        {
          g_string_append (s, tag);
          p += 3;
        }
      else if (strncmp (p, "CMD", 3) == 0)
        {
          g_string_append (s, command);
          p += 3;
        }
      else
        g_string_append_c (s, *p++);
    }
  return g_string_free (s, FALSE);
}

/* Adds the table's candidates for @command, in order, that differ from every class we
 * have; TRUE once the list is full. */
static gboolean
add_candidates (GPtrArray   *out,
                GPtrArray   *classes,
                MsProtocol   protocol,
                const char  *command,
                const char  *key,
                const char  *tag)
{
  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *cls = NULL;
      gboolean taken = FALSE;
      MsPredictChoice *choice;

      if (out->len >= MS_PREDICT_MAX_CHOICES - 1)
        return TRUE;
      if (candidates[i].protocol != protocol || strcmp (candidates[i].command, key) != 0)
        continue;
      text = fill (candidates[i].text, tag, command);
      cls = reply_class (protocol, text);
      for (guint k = 0; k < classes->len; k++)
        taken = taken || g_ascii_strcasecmp (g_ptr_array_index (classes, k), cls) == 0;
      if (taken)
        continue;
      g_ptr_array_add (classes, g_steal_pointer (&cls));
      choice = g_new0 (MsPredictChoice, 1);
      choice->text = g_steal_pointer (&text);
      g_ptr_array_add (out, choice);
    }
  return out->len >= MS_PREDICT_MAX_CHOICES - 1;
}

/**
 * ms_predict_choices:
 * @protocol: the session's protocol
 * @command: the verb the reply answers ("" for the greeting, "." for the end of DATA)
 * @reply: the true reply line
 * @seed: decides the position of the true reply (the step index, say)
 *
 * Returns: (transfer full): of MsPredictChoice*, 3 or 4 of them, one correct
 */
GPtrArray *
ms_predict_choices (MsProtocol         protocol,
                    const char        *command,
                    const MsTraceLine *reply,
                    guint              seed)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_predict_choice_free);
  g_autoptr(GPtrArray) classes = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *upper = g_ascii_strup (command != NULL ? command : "", -1);
  MsPredictChoice *truth;
  const char *tag;

  g_return_val_if_fail (reply != NULL, out);
  tag = reply->tag;

  g_ptr_array_add (classes, reply_class (protocol, reply->text != NULL ? reply->text : ""));
  /* "UID FETCH" is a FETCH */
  if (g_str_has_prefix (upper, "UID "))
    memmove (upper, upper + 4, strlen (upper + 4) + 1);
  if (!add_candidates (out, classes, protocol, upper, upper, tag) && *upper != '\0')
    add_candidates (out, classes, protocol, upper, "*", tag);

  truth = g_new0 (MsPredictChoice, 1);
  truth->text = g_strdup (reply->text != NULL ? reply->text : "");
  /* a multi-line SMTP reply's first line "250-host" reads as "250 host" on its own */
  if (protocol == MS_PROTOCOL_SMTP && strlen (truth->text) > 3 && truth->text[3] == '-')
    truth->text[3] = ' ';
  truth->correct = TRUE;
  g_ptr_array_insert (out, (gint) (seed % (out->len + 1)), truth);
  return out;
}
