/* ms-mua.h: the mail user agent (a mail client on a PC)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Composes messages with MsMessage (replies with In-Reply-To and References), sends
 * them with an MsSmtpClient (submission on 587 with SMTP-AUTH, 465 with implicit TLS,
 * or straight to port 25 of a server, where OP25B may drop it) and fetches mail with
 * an MsPop3Client or MsImapClient, all over simulated TCP from its node. The envelope
 * recipients are To, Cc and Bcc; the Bcc field itself is removed before sending (RFC
 * 5322 §3.6.3). Outcomes are kept per operation and recorded as trace events.
 */
#pragma once

#include <glib-object.h>

#include "ms-message.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

typedef struct
{
  const char *server;          /* the server's address */
  guint16     port;            /* 587 (submission), 465 (implicit TLS) or 25 */
  const char *user;            /* SMTP AUTH (RFC 4954); NULL: none */
  const char *password;
  const char *mechanism;       /* NULL: the best offered */
  gboolean    starttls;        /* STARTTLS, required */
  const char *envelope_from;   /* MAIL FROM; NULL: the From address */
  guint64     delay_us;        /* start this much later on the virtual clock */
} MsMuaSubmit;

typedef struct
{
  const char *server;
  guint16     port;            /* 110 / 995 for POP3, 143 / 993 for IMAP */
  const char *user;
  const char *password;
  gboolean    delete;          /* POP3: DELE after RETR */
  gboolean    apop;            /* POP3: APOP when offered */
  gboolean    starttls;        /* STLS / STARTTLS */
  const char *mailbox;         /* IMAP: NULL is INBOX */
  const char *search;          /* IMAP SEARCH criteria; NULL is ALL */
  gboolean    peek;            /* IMAP: BODY.PEEK[] (leave \Seen unset) */
  const char *store;           /* IMAP: a STORE action on what was found, "+FLAGS (\\Flagged)" */
  guint64     delay_us;
} MsMuaFetch;

typedef struct
{
  char      *from;             /* the envelope sender */
  GStrv      recipients;       /* the envelope recipients (To, Cc, Bcc) */
  guint     *codes;            /* the RCPT reply code of each (0: never asked) */
  GStrv      replies;          /* and its text ("" when none) */
  gboolean   finished;
  gboolean   delivered;        /* the end of DATA was answered 2xx */
  guint      code;             /* that final reply code, or 0 */
  char      *reply;
  GError    *error;            /* the session's failure (connection, AUTH, 5xx ...), or NULL */
  GBytes    *message;          /* what was sent (no Bcc field) */
} MsMuaSendResult;

typedef struct
{
  gboolean   imap;
  char      *user;
  gboolean   finished;
  GError    *error;
  GPtrArray *messages;         /* of GBytes, in mailbox order */
  GArray    *numbers;          /* guint: message sequence numbers, same order */
} MsMuaFetchResult;

#define MS_TYPE_MUA (ms_mua_get_type ())
G_DECLARE_FINAL_TYPE (MsMua, ms_mua, MS, MUA, GObject)

/* @helo_name: the client's name in EHLO (the PC's host name). */
MsMua                  *ms_mua_new                (MsNode             *node,
                                                   const char         *helo_name);
MsNode                 *ms_mua_get_node           (MsMua              *self);

MsMessage              *ms_mua_compose            (MsMua              *self,
                                                   const MsMessageSpec *spec,
                                                   GError            **error);
/* RFC 5322 §3.6.4: In-Reply-To is the original's Message-ID, References its References
 * (or In-Reply-To) followed by its Message-ID; Subject "Re: ..." and To the original's
 * Reply-To or From, unless @spec gives them. */
MsMessage              *ms_mua_compose_reply      (MsMua              *self,
                                                   MsMessage          *original,
                                                   const MsMessageSpec *spec,
                                                   GError            **error);

/* Starts a send; returns the index of its result. */
guint                   ms_mua_send               (MsMua              *self,
                                                   MsMessage          *message,
                                                   const MsMuaSubmit  *how);
guint                   ms_mua_fetch_pop3         (MsMua              *self,
                                                   const MsMuaFetch   *how);
guint                   ms_mua_fetch_imap         (MsMua              *self,
                                                   const MsMuaFetch   *how);

guint                   ms_mua_get_n_sends        (MsMua              *self);
const MsMuaSendResult  *ms_mua_get_send           (MsMua              *self,
                                                   guint               index);
guint                   ms_mua_get_n_fetches      (MsMua              *self);
const MsMuaFetchResult *ms_mua_get_fetch          (MsMua              *self,
                                                   guint               index);

/* The envelope recipients of a message: To, Cc and Bcc addresses, each once. */
GStrv                   ms_mua_envelope_recipients (MsMessage         *message);

G_END_DECLS
