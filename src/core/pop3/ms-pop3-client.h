/* ms-pop3-client.h: the POP3 client engine (an MUA fetching mail)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads the greeting, asks CAPA, switches to TLS with STLS when asked to and offered,
 * logs in (APOP when the greeting carries a timestamp and the config allows it, else
 * AUTH PLAIN when asked to and offered, else USER/PASS), runs the queued actions one at a
 * time, then QUITs. "finished" reports the outcome; a -ERR to an action is a result
 * (counted, kept as the last error), not a failure.
 */
#pragma once

#include "ms-engine.h"

G_BEGIN_DECLS

#define MS_POP3_CLIENT_ERROR (ms_pop3_client_error_quark ())

typedef enum
{
  MS_POP3_CLIENT_ERROR_FAILED,
  MS_POP3_CLIENT_ERROR_INTERNAL,     /* our own fault */
  MS_POP3_CLIENT_ERROR_CONNECTION,   /* the connection went away */
  MS_POP3_CLIENT_ERROR_PROTOCOL,     /* the server said something that is not POP3 */
  MS_POP3_CLIENT_ERROR_UNSUPPORTED,  /* a required extension (STLS) is missing */
  MS_POP3_CLIENT_ERROR_REJECTED,     /* the server refused (login, STLS, UPDATE) */
} MsPop3ClientError;

GQuark ms_pop3_client_error_quark (void);

typedef struct
{
  const char *user;
  const char *password;
  gboolean    use_apop;               /* APOP when the greeting offers a timestamp */
  gboolean    use_stls;               /* STLS when CAPA lists it */
  gboolean    require_tls;            /* fail rather than log in without TLS */
  gboolean    use_sasl_plain;         /* AUTH PLAIN when CAPA lists SASL PLAIN (RFC 5034) */
  gboolean    delete_after_retrieve;  /* DELE each message after its RETR succeeded */
} MsPop3ClientConfig;

typedef enum
{
  MS_POP3_ACTION_STAT,
  MS_POP3_ACTION_LIST,      /* msg 0: the whole listing */
  MS_POP3_ACTION_UIDL,      /* msg 0: the whole listing */
  MS_POP3_ACTION_RETR,      /* msg */
  MS_POP3_ACTION_RETR_ALL,  /* LIST when needed, then RETR each message */
  MS_POP3_ACTION_TOP,       /* msg, lines */
  MS_POP3_ACTION_DELE,      /* msg */
  MS_POP3_ACTION_NOOP,
  MS_POP3_ACTION_RSET,
  MS_POP3_ACTION_QUIT,      /* ends the queue early; QUIT is sent at the end anyway */
} MsPop3Action;

typedef struct
{
  guint     number;
  gboolean  partial;  /* from TOP */
  GBytes   *data;     /* dot-unstuffed, CRLF line ends, as the server stores it */
} MsPop3Retrieved;

typedef struct
{
  guint    number;
  guint64  size;      /* from LIST, or 0 */
  char    *uidl;      /* from UIDL, or NULL */
} MsPop3ListEntry;

/* Lines longer than this inside a message are a protocol error. */
#define MS_POP3_CLIENT_MAX_LINE (1024 * 1024)

#define MS_TYPE_POP3_CLIENT (ms_pop3_client_get_type ())
G_DECLARE_FINAL_TYPE (MsPop3Client, ms_pop3_client, MS, POP3_CLIENT, MsEngine)

MsPop3Client *ms_pop3_client_new             (const MsPop3ClientConfig *config);
void          ms_pop3_client_add_action      (MsPop3Client             *self,
                                              MsPop3Action              action,
                                              guint                     msg,
                                              guint                     lines);
gboolean      ms_pop3_client_is_finished     (MsPop3Client             *self);
/* The failure "finished" reported, or NULL. */
const GError *ms_pop3_client_get_error       (MsPop3Client             *self);
/* "APOP", "PLAIN" or "USER" once logged in, else NULL. */
const char   *ms_pop3_client_get_auth_method (MsPop3Client             *self);
/* The capabilities of the last CAPA (upper-case keyword lines), NULL-terminated. */
const char * const *ms_pop3_client_get_capabilities (MsPop3Client      *self);
gboolean      ms_pop3_client_has_capability  (MsPop3Client             *self,
                                              const char               *keyword);
gboolean      ms_pop3_client_get_stat        (MsPop3Client             *self,
                                              guint                    *count,
                                              guint64                  *octets);
/* Of MsPop3Retrieved*, in the order received. */
GPtrArray    *ms_pop3_client_get_retrieved   (MsPop3Client             *self);
/* Of MsPop3ListEntry*, by message number; merged from LIST and UIDL. */
GPtrArray    *ms_pop3_client_get_listing     (MsPop3Client             *self);
const char   *ms_pop3_client_get_uidl        (MsPop3Client             *self,
                                              guint                     number);
/* -ERR answers to actions: how many, and the text of the last one. */
guint         ms_pop3_client_get_n_refused   (MsPop3Client             *self);
const char   *ms_pop3_client_get_last_refusal (MsPop3Client            *self);

/* RFC 1939 §3: removes the byte-stuffing of one line of a multi-line response. */
const char   *ms_pop3_unstuff_line           (const char               *line,
                                              gboolean                 *is_end);

G_END_DECLS
