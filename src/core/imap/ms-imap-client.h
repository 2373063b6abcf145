/* ms-imap-client.h: the IMAP4rev1 client engine (RFC 3501, RFC 2177 IDLE)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The caller queues commands; the engine tags them ("a001", "a002", ...), sends them one
 * at a time, waits for "+" before each synchronising literal (APPEND, non-ASCII strings),
 * reads untagged and tagged responses including server literals {n}, and reports each
 * completed command with "command-done". NO and BAD are results, not failures; "finished"
 * carries a GError only when the session itself failed (refused greeting, lost
 * connection, a server that does not speak IMAP).
 */
#pragma once

#include "ms-engine.h"

G_BEGIN_DECLS

#define MS_IMAP_CLIENT_ERROR (ms_imap_client_error_quark ())

typedef enum
{
  MS_IMAP_CLIENT_ERROR_FAILED,
  MS_IMAP_CLIENT_ERROR_INTERNAL,
  MS_IMAP_CLIENT_ERROR_CONNECTION,   /* the connection went away (or BYE) before LOGOUT completed */
  MS_IMAP_CLIENT_ERROR_PROTOCOL,     /* the server said something that is not IMAP */
  MS_IMAP_CLIENT_ERROR_UNSUPPORTED,
  MS_IMAP_CLIENT_ERROR_REJECTED,     /* the greeting was BYE */
} MsImapClientError;

GQuark ms_imap_client_error_quark (void);

typedef enum
{
  MS_IMAP_STATUS_OK,
  MS_IMAP_STATUS_NO,
  MS_IMAP_STATUS_BAD,
} MsImapStatus;

/* One untagged response ("* ..."), literals included. */
typedef struct
{
  char       *raw;        /* as received: lines joined by CRLF, literal bytes inline */
  gsize       raw_len;
  guint       number;     /* "* 3 EXISTS" -> 3; 0 when there is none */
  char       *keyword;    /* upper-case: "OK", "CAPABILITY", "EXISTS", "FETCH", "SEARCH"... */
  char       *code;       /* for OK/NO/BAD/BYE/PREAUTH: the [response code] without brackets */
  GPtrArray  *literals;   /* of GBytes, in order */
} MsImapResponse;

typedef struct
{
  char          *tag;
  char          *verb;      /* upper-case command name: "SELECT", "UID FETCH", "APPEND" */
  MsImapStatus   status;
  char          *code;      /* "READ-WRITE", "UIDVALIDITY 3", "APPENDUID 1 5"; or NULL */
  char          *text;      /* the human-readable rest of the tagged line */
  GPtrArray     *untagged;  /* of MsImapResponse*, those that arrived while it ran */
} MsImapCommandResult;

#define MS_IMAP_CLIENT_MAX_LINE    (1024 * 1024)
#define MS_IMAP_CLIENT_MAX_LITERAL (64 * 1024 * 1024)

#define MS_TYPE_IMAP_CLIENT (ms_imap_client_get_type ())
G_DECLARE_FINAL_TYPE (MsImapClient, ms_imap_client, MS, IMAP_CLIENT, MsEngine)

MsImapClient   *ms_imap_client_new               (void);

/* Queueing commands: each returns the tag the command will carry. Strings are sent as
 * quoted strings, or as literals when they hold 8-bit or special characters. */
const char     *ms_imap_client_capability        (MsImapClient *self);
const char     *ms_imap_client_noop              (MsImapClient *self);
const char     *ms_imap_client_starttls          (MsImapClient *self);
const char     *ms_imap_client_login             (MsImapClient *self,
                                                  const char   *user,
                                                  const char   *password);
const char     *ms_imap_client_select            (MsImapClient *self,
                                                  const char   *mailbox);
const char     *ms_imap_client_examine           (MsImapClient *self,
                                                  const char   *mailbox);
/* criteria/items/flags are IMAP syntax as-is: "UNSEEN", "1:* (UID FLAGS)", "+FLAGS (\\Seen)" */
const char     *ms_imap_client_search            (MsImapClient *self,
                                                  gboolean      uid,
                                                  const char   *criteria);
const char     *ms_imap_client_fetch             (MsImapClient *self,
                                                  gboolean      uid,
                                                  const char   *set,
                                                  const char   *items);
const char     *ms_imap_client_store             (MsImapClient *self,
                                                  gboolean      uid,
                                                  const char   *set,
                                                  const char   *action);
const char     *ms_imap_client_expunge           (MsImapClient *self);
const char     *ms_imap_client_close             (MsImapClient *self);
/* flags: "(\\Seen)" or NULL */
const char     *ms_imap_client_append            (MsImapClient *self,
                                                  const char   *mailbox,
                                                  const char   *flags,
                                                  GBytes       *message);
/* RFC 2177: DONE is sent after max_responses untagged responses (0: only when
 * ms_imap_client_done() is called). */
const char     *ms_imap_client_idle              (MsImapClient *self,
                                                  guint         max_responses);
void            ms_imap_client_done              (MsImapClient *self);
const char     *ms_imap_client_logout            (MsImapClient *self);
/* Any other command, arguments already in IMAP syntax (no literals). */
const char     *ms_imap_client_command           (MsImapClient *self,
                                                  const char   *text);

gboolean        ms_imap_client_is_finished       (MsImapClient *self);
const GError   *ms_imap_client_get_error         (MsImapClient *self);
/* The greeting ("OK", "PREAUTH" or "BYE"), or NULL before it came. */
MsImapResponse *ms_imap_client_get_greeting      (MsImapClient *self);
/* Of MsImapCommandResult*, in completion order. */
GPtrArray      *ms_imap_client_get_results       (MsImapClient *self);
MsImapCommandResult *ms_imap_client_find_result  (MsImapClient *self,
                                                  const char   *tag);
/* From the last CAPABILITY response or [CAPABILITY ...] code; upper-case. */
gboolean        ms_imap_client_has_capability    (MsImapClient *self,
                                                  const char   *capability);

/* The first untagged response of a result with this keyword, or NULL. */
MsImapResponse *ms_imap_command_result_find      (MsImapCommandResult *result,
                                                  const char          *keyword);

G_END_DECLS
