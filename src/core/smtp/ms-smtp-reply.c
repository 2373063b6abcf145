/* ms-smtp-reply.c: reply values, the reply-code table and RFC 3463 status codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-smtp-reply"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "ms-smtp-reply.h"

G_DEFINE_BOXED_TYPE (MsSmtpReply, ms_smtp_reply, ms_smtp_reply_copy, ms_smtp_reply_free)

typedef struct
{
  guint       code;
  const char *meaning;
} ReplyCode;

/* RFC 5321 §4.2.2 and §4.2.3, in numeric order, plus the codes later RFCs added. */
static const ReplyCode reply_codes[] = {
  { 211, "System status, or system help reply" },
  { 214, "Help message" },
  { 220, "Service ready" },
  { 221, "Service closing transmission channel" },
  { 235, "Authentication succeeded (RFC 4954)" },
  { 250, "Requested mail action okay, completed" },
  { 251, "User not local; will forward" },
  { 252, "Cannot VRFY user, but will accept message and attempt delivery" },
  { 334, "Server challenge for authentication (RFC 4954)" },
  { 354, "Start mail input; end with <CRLF>.<CRLF>" },
  { 421, "Service not available, closing transmission channel" },
  { 432, "A password transition is needed (RFC 4954)" },
  { 450, "Requested mail action not taken: mailbox unavailable" },
  { 451, "Requested action aborted: local error in processing" },
  { 452, "Requested action not taken: insufficient system storage" },
  { 454, "Temporary authentication failure, or TLS not available (RFC 4954, RFC 3207)" },
  { 455, "Server unable to accommodate parameters" },
  { 500, "Syntax error, command unrecognized" },
  { 501, "Syntax error in parameters or arguments" },
  { 502, "Command not implemented" },
  { 503, "Bad sequence of commands" },
  { 504, "Command parameter not implemented" },
  { 530, "Authentication required (RFC 4954), or must issue STARTTLS first (RFC 3207)" },
  { 534, "Authentication mechanism is too weak (RFC 4954)" },
  { 535, "Authentication credentials invalid (RFC 4954)" },
  { 538, "Encryption required for requested authentication mechanism (RFC 4954)" },
  { 550, "Requested action not taken: mailbox unavailable" },
  { 551, "User not local; please try <forward-path>" },
  { 552, "Requested mail action aborted: exceeded storage allocation" },
  { 553, "Requested action not taken: mailbox name not allowed" },
  { 554, "Transaction failed (or no SMTP service here)" },
  { 555, "MAIL FROM/RCPT TO parameters not recognized or not implemented" },
};

typedef struct
{
  const char *esc;  /* without the class digit: "7.1" */
  const char *meaning;
} EnhancedCode;

/* RFC 3463 §3 (subject.detail; the class digit says success/persistent/permanent), with
 * the additions of RFC 4954 §6 and RFC 3207/RFC 7504 that SMTP servers commonly use. */
static const EnhancedCode enhanced_codes[] = {
  { "0.0", "Other undefined status" },
  { "1.0", "Other address status" },
  { "1.1", "Bad destination mailbox address" },
  { "1.2", "Bad destination system address" },
  { "1.3", "Bad destination mailbox address syntax" },
  { "1.4", "Destination mailbox address ambiguous" },
  { "1.5", "Destination address valid" },
  { "1.6", "Destination mailbox has moved, no forwarding address" },
  { "1.7", "Bad sender's mailbox address syntax" },
  { "1.8", "Bad sender's system address" },
  { "2.0", "Other or undefined mailbox status" },
  { "2.1", "Mailbox disabled, not accepting messages" },
  { "2.2", "Mailbox full" },
  { "2.3", "Message length exceeds administrative limit" },
  { "2.4", "Mailing list expansion problem" },
  { "3.0", "Other or undefined mail system status" },
  { "3.1", "Mail system full" },
  { "3.2", "System not accepting network messages" },
  { "3.3", "System not capable of selected features" },
  { "3.4", "Message too big for system" },
  { "3.5", "System incorrectly configured" },
  { "4.0", "Other or undefined network or routing status" },
  { "4.1", "No answer from host" },
  { "4.2", "Bad connection" },
  { "4.3", "Directory server failure" },
  { "4.4", "Unable to route" },
  { "4.5", "Mail system congestion" },
  { "4.6", "Routing loop detected" },
  { "4.7", "Delivery time expired" },
  { "5.0", "Other or undefined protocol status" },
  { "5.1", "Invalid command" },
  { "5.2", "Syntax error" },
  { "5.3", "Too many recipients" },
  { "5.4", "Invalid command arguments" },
  { "5.5", "Wrong protocol version" },
  { "5.6", "Authentication Exchange line is too long (RFC 4954)" },
  { "6.0", "Other or undefined media error" },
  { "6.1", "Media not supported" },
  { "6.2", "Conversion required and prohibited" },
  { "6.3", "Conversion required but not supported" },
  { "6.4", "Conversion with loss performed" },
  { "6.5", "Conversion failed" },
  { "7.0", "Other or undefined security status" },
  { "7.1", "Delivery not authorized, message refused" },
  { "7.2", "Mailing list expansion prohibited" },
  { "7.3", "Security conversion required but not possible" },
  { "7.4", "Security features not supported" },
  { "7.5", "Cryptographic failure" },
  { "7.6", "Cryptographic algorithm not supported" },
  { "7.7", "Message integrity failure" },
  { "7.8", "Authentication credentials invalid (RFC 4954)" },
  { "7.9", "Authentication mechanism is too weak (RFC 4954)" },
  { "7.10", "Encryption needed (RFC 5248)" },
  { "7.11", "Encryption required for requested authentication mechanism (RFC 4954)" },
  { "7.12", "A password transition is needed (RFC 4954)" },
};

MsSmtpReply *
ms_smtp_reply_new (guint       code,
                   const char *esc,
                   const char *format,
                   ...)
{
  MsSmtpReply *reply;
  va_list args;

  g_return_val_if_fail (code >= 200 && code <= 599, NULL);
  g_return_val_if_fail (esc == NULL || ms_smtp_enhanced_status_is_valid (esc), NULL);

  reply = g_new0 (MsSmtpReply, 1);
  reply->code = code;
  reply->esc = g_strdup (esc);
  va_start (args, format);
  reply->text = g_strdup_vprintf (format, args);
  va_end (args);
  return reply;
}

MsSmtpReply *
ms_smtp_reply_copy (const MsSmtpReply *reply)
{
  MsSmtpReply *copy;

  g_return_val_if_fail (reply != NULL, NULL);

  copy = g_new0 (MsSmtpReply, 1);
  copy->code = reply->code;
  copy->esc = g_strdup (reply->esc);
  copy->text = g_strdup (reply->text);
  return copy;
}

void
ms_smtp_reply_free (MsSmtpReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->esc);
  g_free (reply->text);
  g_free (reply);
}

const char *
ms_smtp_reply_code_describe (guint code)
{
  gsize lo = 0;
  gsize hi = G_N_ELEMENTS (reply_codes);

  while (lo < hi)
    {
      gsize mid = (lo + hi) / 2;

      if (reply_codes[mid].code == code)
        return reply_codes[mid].meaning;
      if (reply_codes[mid].code < code)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

gboolean
ms_smtp_reply_code_is_known (guint code)
{
  return ms_smtp_reply_code_describe (code) != NULL;
}

gboolean
ms_smtp_enhanced_status_is_valid (const char *esc)
{
  const char *p;
  guint parts = 0;

  if (esc == NULL || (esc[0] != '2' && esc[0] != '4' && esc[0] != '5') || esc[1] != '.')
    return FALSE;
  p = esc + 2;
  /* RFC 3463 §2: subject and detail are 1 to 3 digits each. */
  while (parts < 2)
    {
      guint digits = 0;

      while (g_ascii_isdigit (*p) && digits < 4)
        {
          p++;
          digits++;
        }
      if (digits == 0 || digits > 3)
        return FALSE;
      parts++;
      if (parts == 1)
        {
          if (*p != '.')
            return FALSE;
          p++;
        }
    }
  return *p == '\0';
}

const char *
ms_smtp_enhanced_status_describe (const char *esc)
{
  if (!ms_smtp_enhanced_status_is_valid (esc))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (enhanced_codes); i++)
    if (strcmp (esc + 2, enhanced_codes[i].esc) == 0)
      return enhanced_codes[i].meaning;
  return NULL;
}
