/* ms-dsn.c: delivery status notifications (RFC 3464, RFC 3462/6522 multipart/report)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mta.h"

#include <string.h>

/* RFC 5322 §3.3 date-time */
static char *
format_date (GDateTime *date)
{
  return g_date_time_format (date, "%a, %d %b %Y %H:%M:%S +0000");
}

/* The header block of the original (RFC 6522 §4 allows text/rfc822-headers). */
static void
append_headers (GString *out,
                GBytes  *original)
{
  gsize len;
  const char *data = g_bytes_get_data (original, &len);
  const char *end = data + len;
  const char *p = data;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      gsize n = eol != NULL ? (gsize) (eol - p + 1) : (gsize) (end - p);

      if (n <= 2 && (p[0] == '\r' || p[0] == '\n'))
        break;
      g_string_append_len (out, p, n);
      if (eol == NULL)
        g_string_append (out, "\r\n");
      p += n;
    }
}

GBytes *
ms_dsn_build (const char           *reporting_mta,
              const char           *original_sender,
              const char           *message_id,
              GDateTime            *date,
              GDateTime            *arrival,
              const MsDsnRecipient *recipients,
              guint                 n_recipients,
              GBytes               *original)
{
  GString *out = g_string_new (NULL);
  g_autofree char *date_text = format_date (date);
  g_autofree char *arrival_text = format_date (arrival != NULL ? arrival : date);
  g_autofree char *boundary = g_strdup_printf ("%s/%s", message_id, reporting_mta);
  gboolean delayed_only = TRUE;

  for (guint i = 0; i < n_recipients; i++)
    if (!recipients[i].delayed)
      delayed_only = FALSE;

  /* RFC 3464 §2: From the postmaster of the reporting MTA; RFC 3834 Auto-Submitted. */
  g_string_append_printf (out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", reporting_mta);
  g_string_append_printf (out, "To: <%s>\r\n", original_sender);
  g_string_append_printf (out, "Subject: %s\r\n", delayed_only
                          ? "Delayed Mail (still being retried)"
                          : "Undelivered Mail Returned to Sender");
  g_string_append_printf (out, "Date: %s\r\n", date_text);
  g_string_append_printf (out, "Message-ID: <%s@%s>\r\n", message_id, reporting_mta);
  g_string_append (out, "Auto-Submitted: auto-replied\r\n");
  g_string_append (out, "MIME-Version: 1.0\r\n");
  g_string_append_printf (out, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
                          "\tboundary=\"%s\"\r\n", boundary);
  g_string_append (out, "\r\nThis is a MIME-encapsulated message.\r\n\r\n");

  /* 1: for people */
  g_string_append_printf (out, "--%s\r\n", boundary);
  g_string_append (out, "Content-Description: Notification\r\n"
                   "Content-Type: text/plain; charset=us-ascii\r\n\r\n");
  g_string_append_printf (out, "This is the mail system at host %s.\r\n\r\n", reporting_mta);
  if (delayed_only)
    g_string_append (out, "Your message could not be delivered yet. The mail system will\r\n"
                     "keep trying.\r\n\r\n");
  else
    g_string_append (out, "I'm sorry to have to inform you that your message could not\r\n"
                     "be delivered to one or more recipients. It's attached below.\r\n\r\n");
  for (guint i = 0; i < n_recipients; i++)
    g_string_append_printf (out, "<%s>: %s\r\n", recipients[i].recipient,
                            recipients[i].diagnostic != NULL ? recipients[i].diagnostic
                                                             : recipients[i].status);
  g_string_append (out, "\r\n");

  /* 2: RFC 3464 §2.2 per-message fields, §2.3 per-recipient fields */
  g_string_append_printf (out, "--%s\r\n", boundary);
  g_string_append (out, "Content-Description: Delivery report\r\n"
                   "Content-Type: message/delivery-status\r\n\r\n");
  g_string_append_printf (out, "Reporting-MTA: dns; %s\r\n", reporting_mta);
  g_string_append_printf (out, "Arrival-Date: %s\r\n", arrival_text);
  for (guint i = 0; i < n_recipients; i++)
    {
      const MsDsnRecipient *r = &recipients[i];

      g_string_append (out, "\r\n");
      g_string_append_printf (out, "Final-Recipient: rfc822; %s\r\n", r->recipient);
      g_string_append_printf (out, "Action: %s\r\n", r->delayed ? "delayed" : "failed");
      g_string_append_printf (out, "Status: %s\r\n", r->status);
      if (r->remote_mta != NULL)
        g_string_append_printf (out, "Remote-MTA: dns; %s\r\n", r->remote_mta);
      if (r->diagnostic != NULL)
        g_string_append_printf (out, "Diagnostic-Code: smtp; %s\r\n", r->diagnostic);
    }
  g_string_append (out, "\r\n");

  /* 3: the original's header (RFC 6522 §3: text/rfc822-headers) */
  g_string_append_printf (out, "--%s\r\n", boundary);
  g_string_append (out, "Content-Description: Undelivered Message Headers\r\n"
                   "Content-Type: text/rfc822-headers\r\n\r\n");
  if (original != NULL)
    append_headers (out, original);
  g_string_append_printf (out, "\r\n--%s--\r\n", boundary);
  return g_string_free_to_bytes (out);
}
