/* ms-pop3-server.h: the POP3 server engine (RFC 1939, 2449, 2595, 3206, 5034)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One engine per connection. The maildrop is the user's INBOX as it was at login,
 * numbered oldest first; mail that arrives later shows up at the next login. DELE only
 * marks; the marked messages leave the INBOX when QUIT moves the session to UPDATE.
 */
#pragma once

#include "ms-engine.h"
#include "ms-mail-store.h"

G_BEGIN_DECLS

typedef enum
{
  MS_POP3_SERVER_STATE_AUTHORIZATION,
  MS_POP3_SERVER_STATE_TRANSACTION,
  MS_POP3_SERVER_STATE_UPDATE,
  MS_POP3_SERVER_STATE_CLOSED,
  MS_POP3_SERVER_N_STATES
} MsPop3ServerState;

typedef struct
{
  const char *hostname;                        /* greeting, APOP timestamp; NULL: "localhost" */
  gboolean    tls_available;                   /* offer STLS (RFC 2595) */
  /* USER/PASS and AUTH PLAIN before TLS. Only matters when tls_available: a server that
   * cannot do TLS has no safer way to offer. ms_pop3_server_config_init() sets it. */
  gboolean    allow_plain_login_without_tls;
  /* The APOP timestamp is <pid.clock@hostname> (RFC 1939 §7). Set both for a reproducible
   * run (the simulator); when 0, the process id and a per-process counter are used. */
  guint32     apop_pid;
  guint64     apop_clock;
  guint       max_errors;                      /* -ERR replies before closing; 0: default */
} MsPop3ServerConfig;

/* RFC 2449 §4: a command line is at most 255 octets including CRLF. */
#define MS_POP3_MAX_COMMAND_LINE 255
/* A SASL response after "+ " is not a command line; it may be longer. */
#define MS_POP3_MAX_SASL_LINE 8192
#define MS_POP3_DEFAULT_MAX_ERRORS 10

#define MS_TYPE_POP3_SERVER (ms_pop3_server_get_type ())
G_DECLARE_FINAL_TYPE (MsPop3Server, ms_pop3_server, MS, POP3_SERVER, MsEngine)

void               ms_pop3_server_config_init      (MsPop3ServerConfig       *config);
MsPop3Server      *ms_pop3_server_new              (const MsPop3ServerConfig *config,
                                                    MsMailStore              *store);
MsPop3ServerState  ms_pop3_server_get_state        (MsPop3Server             *self);
const char        *ms_pop3_server_state_to_string  (MsPop3ServerState         state);
/* The "<pid.clock@host>" of the greeting. */
const char        *ms_pop3_server_get_timestamp    (MsPop3Server             *self);
/* The canonical address once logged in, else NULL. */
const char        *ms_pop3_server_get_user         (MsPop3Server             *self);

/* RFC 1939 §7: lower-case hex MD5 of timestamp followed by the shared secret. */
char              *ms_pop3_apop_digest             (const char               *timestamp,
                                                    const char               *secret);

G_END_DECLS
