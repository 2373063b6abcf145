/* ms-smtp-server.h: the SMTP server engine (RFC 5321 with ESMTP extensions), sans-I/O
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Extensions: SIZE (RFC 1870), 8BITMIME (RFC 6152), PIPELINING (RFC 2920),
 * ENHANCEDSTATUSCODES (RFC 2034/3463), AUTH PLAIN/LOGIN/CRAM-MD5 (RFC 4954, 4616,
 * 2195), STARTTLS (RFC 3207). What the site accepts is asked from an MsSmtpPolicy.
 */
#pragma once

#include "ms-engine.h"
#include "ms-smtp-policy.h"
#include "ms-smtp-reply.h"

G_BEGIN_DECLS

/* Microseconds since the Unix epoch (the simulator passes its virtual clock). */
typedef gint64 (*MsSmtpClockFunc) (gpointer user_data);
/* A new queue id for the Received header and the 250 reply (caller frees). */
typedef char  *(*MsSmtpIdFunc)    (gpointer user_data);

#define MS_SMTP_DEFAULT_MAX_MESSAGE_SIZE (10u * 1024u * 1024u)
#define MS_SMTP_DEFAULT_MAX_RECIPIENTS   100u
#define MS_SMTP_DEFAULT_MAX_ERRORS       10u

typedef struct
{
  const char      *hostname;          /* the name in the greeting and Received; "localhost" */
  gsize            max_message_size;  /* octets, announced as SIZE; 0 means no limit */
  guint            max_recipients;    /* per transaction (452 beyond); 0: the default */
  guint            max_errors;        /* 4xx/5xx replies before 421 and close; 0: default */
  gboolean         submission;        /* RFC 6409 port: AUTH required before MAIL (530) */
  gboolean         tls_available;     /* STARTTLS is offered */
  gboolean         require_tls;       /* MAIL and AUTH only after STARTTLS (530) */
  gboolean         allow_plain_auth_without_tls; /* PLAIN/LOGIN in the clear (else 538) */
  gboolean         reject_ehlo;       /* behave like an RFC 821 server: EHLO gets 502 */
  MsSmtpClockFunc  clock;             /* NULL: wall-clock time */
  gpointer         clock_data;
  MsSmtpIdFunc     id_func;           /* NULL: a per-server counter */
  gpointer         id_data;
} MsSmtpServerConfig;

/* The states of the session; the command table's masks are built from these. */
typedef enum
{
  MS_SMTP_SERVER_STATE_CONNECTED,  /* greeted (or TLS just started): HELO/EHLO expected */
  MS_SMTP_SERVER_STATE_READY,      /* after HELO/EHLO: no transaction */
  MS_SMTP_SERVER_STATE_MAIL,       /* MAIL accepted: RCPT expected */
  MS_SMTP_SERVER_STATE_RCPT,       /* at least one RCPT accepted: more RCPT or DATA */
  MS_SMTP_SERVER_STATE_DATA,       /* reading the message after 354 */
  MS_SMTP_SERVER_STATE_AUTH,       /* in an AUTH dialogue (334 sent) */
  MS_SMTP_SERVER_STATE_TLS,        /* 220 sent for STARTTLS, waiting for the handshake */
  MS_SMTP_SERVER_STATE_CLOSED,     /* after QUIT or 421 */
  MS_SMTP_SERVER_N_STATES
} MsSmtpServerState;

#define MS_TYPE_SMTP_SERVER (ms_smtp_server_get_type ())
G_DECLARE_FINAL_TYPE (MsSmtpServer, ms_smtp_server, MS, SMTP_SERVER, MsEngine)

void               ms_smtp_server_config_init            (MsSmtpServerConfig *config);
MsSmtpServer      *ms_smtp_server_new                    (const MsSmtpServerConfig *config,
                                                          MsSmtpPolicy       *policy);
MsSmtpServerState  ms_smtp_server_get_state              (MsSmtpServer       *self);
const char        *ms_smtp_server_state_to_string        (MsSmtpServerState   state);
const char        *ms_smtp_server_get_hostname           (MsSmtpServer       *self);
const char        *ms_smtp_server_get_authenticated_user (MsSmtpServer       *self);
guint              ms_smtp_server_get_n_accepted         (MsSmtpServer       *self);
/* The verbs legal in the current state (from the command table), for the UI. */
GStrv              ms_smtp_server_dup_allowed_commands   (MsSmtpServer       *self);
/* 421 4.3.2 and close (RFC 5321 §3.8: the server is shutting down). */
void               ms_smtp_server_shutdown               (MsSmtpServer       *self);

G_END_DECLS
