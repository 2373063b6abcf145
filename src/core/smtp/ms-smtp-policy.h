/* ms-smtp-policy.h: what an SMTP server asks its site (accept? relay? deliver?)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server engine knows the protocol; a policy knows the site: who may log in, which
 * domains are local, who may relay, where mail goes. Refusals carry the reply to send,
 * whose text says the reason ("554 5.7.1 <x@y>: Relay access denied"): in a teaching
 * tool the reason is the lesson. Every method is optional; a missing one accepts.
 */
#pragma once

#include <glib-object.h>

#include "ms-smtp-reply.h"
#include "ms-trace.h"

G_BEGIN_DECLS

/* What the policy may know about the session asking. All borrowed. */
typedef struct
{
  const char     *hostname;        /* the server's own name */
  const char     *client_address;  /* "203.0.113.7", "2001:db8::1" */
  guint16         client_port;
  const char     *helo;            /* the HELO/EHLO argument, or NULL before it */
  gboolean        esmtp;           /* EHLO (not HELO) was used */
  const char     *user;            /* authenticated user, or NULL */
  gboolean        tls;             /* TLS is active (STARTTLS or implicit) */
  gboolean        submission;      /* this is a submission port (RFC 6409) */
  MsTraceSession *session;         /* where the session is recorded, or NULL */
} MsSmtpSessionInfo;

/* The envelope of one transaction, handed over at the end of DATA. All borrowed. */
typedef struct
{
  const char         *reverse_path;  /* "" for the null reverse-path <> */
  const char * const *recipients;    /* accepted forward-paths, NULL-terminated */
  guint               n_recipients;
  const char * const *relayed;       /* the subset given a RELAY verdict, NULL-terminated */
  gboolean            eight_bit;     /* BODY=8BITMIME was declared (RFC 6152) */
  gsize               declared_size; /* SIZE= (RFC 1870), or 0 */
  const char         *queue_id;      /* the id in the Received header */
} MsSmtpEnvelope;

typedef enum
{
  MS_SMTP_VERDICT_ACCEPT,  /* a local recipient */
  MS_SMTP_VERDICT_RELAY,   /* accepted for relaying elsewhere */
  MS_SMTP_VERDICT_DENY,    /* refused: the reply says why (4xx or 5xx) */
} MsSmtpVerdict;

#define MS_TYPE_SMTP_POLICY (ms_smtp_policy_get_type ())
G_DECLARE_INTERFACE (MsSmtpPolicy, ms_smtp_policy, MS, SMTP_POLICY, GObject)

struct _MsSmtpPolicyInterface
{
  GTypeInterface parent_iface;

  /* RFC 4954: user and password checked; returns the canonical user, or NULL. */
  char         *(*authenticate)    (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const char              *user,
                                    const char              *password);
  /* CRAM-MD5 needs the shared secret; NULL when the user is unknown. *canonical gets
   * the canonical user name. Without this method CRAM-MD5 is not offered. */
  char         *(*get_password)    (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const char              *user,
                                    char                   **canonical);
  /* MAIL FROM: TRUE to accept; on FALSE *reply says why (optional on TRUE). */
  gboolean      (*check_sender)    (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const char              *sender,
                                    MsSmtpReply            **reply);
  /* RCPT TO: a verdict; *reply is required for DENY, optional otherwise (251 ...). */
  MsSmtpVerdict (*check_recipient) (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const char              *recipient,
                                    MsSmtpReply            **reply);
  /* End of DATA: the message (CRLF lines, Received header on top). Returns the reply
   * (2xx accepted, 4xx/5xx refused), or NULL for the default 250. */
  MsSmtpReply  *(*deliver)         (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const MsSmtpEnvelope    *envelope,
                                    GBytes                  *message);
  /* VRFY (RFC 5321 §3.5): a reply (250/550/553 ...), or NULL for "cannot verify" (252). */
  MsSmtpReply  *(*vrfy)            (MsSmtpPolicy            *self,
                                    const MsSmtpSessionInfo *info,
                                    const char              *argument);
};

gboolean      ms_smtp_policy_can_authenticate  (MsSmtpPolicy            *self);
gboolean      ms_smtp_policy_can_get_password  (MsSmtpPolicy            *self);
char         *ms_smtp_policy_authenticate      (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const char              *user,
                                                const char              *password);
char         *ms_smtp_policy_get_password      (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const char              *user,
                                                char                   **canonical);
gboolean      ms_smtp_policy_check_sender      (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const char              *sender,
                                                MsSmtpReply            **reply);
MsSmtpVerdict ms_smtp_policy_check_recipient   (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const char              *recipient,
                                                MsSmtpReply            **reply);
MsSmtpReply  *ms_smtp_policy_deliver           (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const MsSmtpEnvelope    *envelope,
                                                GBytes                  *message);
MsSmtpReply  *ms_smtp_policy_vrfy              (MsSmtpPolicy            *self,
                                                const MsSmtpSessionInfo *info,
                                                const char              *argument);

G_END_DECLS
