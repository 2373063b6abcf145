/* ms-imap-server.h: the IMAP4rev1 server engine (RFC 3501), sans-I/O
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One instance serves one connection over an MsMailStore. Several instances over the
 * same store see each other's changes to a selected mailbox (EXISTS / EXPUNGE / FETCH
 * FLAGS at the next command, or at once while idling, RFC 2177). The signal
 * "state-changed" (old, new MsImapServerState as guint) follows RFC 3501 §3.
 */
#pragma once

#include "ms-engine.h"
#include "ms-mail-store.h"

G_BEGIN_DECLS

/* RFC 7888 §4 recommends 8 KiB at least; commands with many UIDs can be long. */
#define MS_IMAP_DEFAULT_MAX_COMMAND  (64 * 1024)
#define MS_IMAP_DEFAULT_MAX_LITERAL  (50 * 1024 * 1024)
/* Consecutive BAD responses before "* BYE" and close. */
#define MS_IMAP_MAX_BAD_COMMANDS     10

typedef struct
{
  const char *hostname;                       /* in the greeting; NULL: "localhost" */
  gboolean    tls_available;                  /* advertise and accept STARTTLS */
  gboolean    allow_plain_login_without_tls;  /* else LOGINDISABLED until TLS */
  gsize       max_literal;                    /* 0: MS_IMAP_DEFAULT_MAX_LITERAL */
  gsize       max_command;                    /* 0: MS_IMAP_DEFAULT_MAX_COMMAND */
} MsImapServerConfig;

typedef enum
{
  MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED,
  MS_IMAP_SERVER_STATE_AUTHENTICATED,
  MS_IMAP_SERVER_STATE_SELECTED,
  MS_IMAP_SERVER_STATE_LOGOUT,
  MS_IMAP_SERVER_N_STATES
} MsImapServerState;

#define MS_TYPE_IMAP_SERVER (ms_imap_server_get_type ())
G_DECLARE_FINAL_TYPE (MsImapServer, ms_imap_server, MS, IMAP_SERVER, MsEngine)

/* Fills in the defaults (localhost, no TLS, plaintext login refused without TLS). */
void               ms_imap_server_config_init    (MsImapServerConfig       *config);
MsImapServer      *ms_imap_server_new            (const MsImapServerConfig *config,
                                                  MsMailStore              *store);
MsImapServerState  ms_imap_server_get_state      (MsImapServer             *self);
const char        *ms_imap_server_state_to_string (MsImapServerState       state);
/* The canonical address of the logged-in user, or NULL. */
const char        *ms_imap_server_get_user       (MsImapServer             *self);
/* The selected mailbox's name, or NULL. */
const char        *ms_imap_server_get_selected   (MsImapServer             *self);

G_END_DECLS
