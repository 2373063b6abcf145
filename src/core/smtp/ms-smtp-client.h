/* ms-smtp-client.h: the SMTP client engine (an MUA or MTA sending), sans-I/O
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Given envelopes and messages it drives the whole session: greeting, EHLO (HELO when
 * the server answers 500/502), STARTTLS, AUTH, then MAIL/RCPT/DATA per message and
 * QUIT. With PIPELINING (RFC 2920) asked for and offered, MAIL, the RCPTs and DATA go out
 * as one batch. Results are kept per message and per recipient; "finished" is emitted once.
 */
#pragma once

#include "ms-engine.h"

G_BEGIN_DECLS

#define MS_SMTP_CLIENT_ERROR (ms_smtp_client_error_quark ())

/* OpenSMTPD's failure classes, with 4xx and 5xx apart. */
typedef enum
{
  MS_SMTP_CLIENT_ERROR_FAILED,
  MS_SMTP_CLIENT_ERROR_CONNECTION,  /* closed by the peer before the end */
  MS_SMTP_CLIENT_ERROR_PROTOCOL,    /* a reply that is not SMTP */
  MS_SMTP_CLIENT_ERROR_TEMPFAIL,    /* a 4xx reply: try again later */
  MS_SMTP_CLIENT_ERROR_PERMFAIL,    /* a 5xx reply: do not retry */
  MS_SMTP_CLIENT_ERROR_AUTH,        /* AUTH not offered or refused */
  MS_SMTP_CLIENT_ERROR_TLS,         /* STARTTLS required but not offered or refused */
} MsSmtpClientError;

GQuark ms_smtp_client_error_quark (void);

typedef enum
{
  MS_SMTP_CLIENT_TLS_NEVER,
  MS_SMTP_CLIENT_TLS_IF_OFFERED,    /* STARTTLS when the server lists it */
  MS_SMTP_CLIENT_TLS_REQUIRE,       /* fail (TLS) when it does not */
} MsSmtpClientTlsMode;

typedef enum
{
  MS_SMTP_CLIENT_STEP_GREETING,
  MS_SMTP_CLIENT_STEP_EHLO,
  MS_SMTP_CLIENT_STEP_HELO,
  MS_SMTP_CLIENT_STEP_STARTTLS,
  MS_SMTP_CLIENT_STEP_AUTH,
  MS_SMTP_CLIENT_STEP_MAIL,
  MS_SMTP_CLIENT_STEP_RCPT,
  MS_SMTP_CLIENT_STEP_DATA,         /* the DATA command (354 expected) */
  MS_SMTP_CLIENT_STEP_MESSAGE,      /* the message sent, final reply expected */
  MS_SMTP_CLIENT_STEP_RSET,
  MS_SMTP_CLIENT_STEP_QUIT,
  MS_SMTP_CLIENT_STEP_DONE,
  MS_SMTP_CLIENT_N_STEPS
} MsSmtpClientStep;

typedef struct
{
  const char          *helo_name;   /* NULL: "localhost" */
  const char          *username;    /* NULL: no AUTH */
  const char          *password;
  const char          *mechanism;   /* "PLAIN", "LOGIN", "CRAM-MD5"; NULL: the best offered */
  MsSmtpClientTlsMode  tls;
  gboolean             pipelining;  /* send MAIL, RCPTs and DATA together when offered */
} MsSmtpClientConfig;

typedef struct
{
  char  *address;
  guint  code;    /* the RCPT reply code, 0 when never asked */
  char  *reply;   /* the whole reply line(s) */
} MsSmtpClientRecipient;

typedef struct
{
  char                  *from;
  guint                  n_recipients;
  MsSmtpClientRecipient *recipients;
  guint                  n_accepted;    /* recipients the server took (2xx) */
  gboolean               delivered;     /* the end of DATA got a 2xx */
  guint                  code;          /* the final reply code for this message, or 0 */
  char                  *reply;         /* and its text */
  GError                *error;         /* why it was not delivered, or NULL */
  MsSmtpClientStep       failed_step;   /* where, when error is set */
} MsSmtpClientResult;

#define MS_TYPE_SMTP_CLIENT (ms_smtp_client_get_type ())
G_DECLARE_FINAL_TYPE (MsSmtpClient, ms_smtp_client, MS, SMTP_CLIENT, MsEngine)

MsSmtpClient             *ms_smtp_client_new              (const MsSmtpClientConfig *config);
/* Queue one message (before or during the session); returns its index. */
guint                     ms_smtp_client_add_message      (MsSmtpClient       *self,
                                                           const char         *from,
                                                           const char * const *recipients,
                                                           GBytes             *message);
gboolean                  ms_smtp_client_is_finished      (MsSmtpClient       *self);
/* The session's outcome: NULL when every message was delivered (some recipients may
 * still have been refused: see the results). */
const GError             *ms_smtp_client_get_error        (MsSmtpClient       *self);
MsSmtpClientStep          ms_smtp_client_get_failed_step  (MsSmtpClient       *self);
guint                     ms_smtp_client_get_n_messages   (MsSmtpClient       *self);
const MsSmtpClientResult *ms_smtp_client_get_result       (MsSmtpClient       *self,
                                                           guint               index);
/* What EHLO told us: "SIZE", "AUTH", "STARTTLS" ... (case-insensitive). */
gboolean                  ms_smtp_client_has_extension    (MsSmtpClient       *self,
                                                           const char         *keyword);
gboolean                  ms_smtp_client_used_helo        (MsSmtpClient       *self);
gboolean                  ms_smtp_client_is_authenticated (MsSmtpClient       *self);
const char               *ms_smtp_client_step_to_string   (MsSmtpClientStep    step);

/* Dot-stuffs a message for DATA (RFC 5321 §4.5.2), CRLF line ends, ".\r\n" appended. */
GBytes                   *ms_smtp_dot_stuff               (const guint8       *data,
                                                           gsize               len,
                                                           guint              *n_lines,
                                                           gsize              *n_bytes);

G_END_DECLS
