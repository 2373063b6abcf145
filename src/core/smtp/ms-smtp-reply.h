/* ms-smtp-reply.h: SMTP replies, the reply-code table and enhanced status codes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A reply is data, not a failure (a 5xx is a lesson to show): policies hand replies to the
 * server, the server sends them through its one reply function, and the client parses
 * them back. Codes come from RFC 5321 §4.2 (plus RFC 4954 and RFC 3207 additions);
 * enhanced status codes from RFC 3463 (and RFC 4954, RFC 5248 registry).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct
{
  guint  code;  /* 2xx..5xx */
  char  *esc;   /* enhanced status code "5.7.1", or NULL */
  char  *text;  /* reply text; '\n' separates the lines of a multi-line reply */
} MsSmtpReply;

#define MS_TYPE_SMTP_REPLY (ms_smtp_reply_get_type ())

GType        ms_smtp_reply_get_type            (void) G_GNUC_CONST;
MsSmtpReply *ms_smtp_reply_new                 (guint              code,
                                                const char        *esc,
                                                const char        *format,
                                                ...) G_GNUC_PRINTF (3, 4);
MsSmtpReply *ms_smtp_reply_copy                (const MsSmtpReply *reply);
void         ms_smtp_reply_free                (MsSmtpReply       *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSmtpReply, ms_smtp_reply_free)

/* Known reply codes (RFC 5321 §4.2.2/§4.2.3, RFC 4954 §6, RFC 3207 §4) with their
 * meaning; NULL for a code nobody defined. */
const char  *ms_smtp_reply_code_describe       (guint              code);
gboolean     ms_smtp_reply_code_is_known       (guint              code);
/* "5.7.1" -> "Delivery not authorized, message refused" (RFC 3463 §3), or NULL. */
const char  *ms_smtp_enhanced_status_describe  (const char        *esc);
/* class.subject.detail, class 2/4/5 and numbers of at most 3 digits. */
gboolean     ms_smtp_enhanced_status_is_valid  (const char        *esc);

G_END_DECLS
