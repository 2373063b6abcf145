/* ms-webmail.h: a webmail server (a web application that is a mail client)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A browser on another node talks HTTPS to the webmail node (port 443, over simulated
 * TCP; the segments are marked as TLS, so the packet log and the pcapng show TLS
 * application data on 443 and nothing of SMTP or IMAP). The webmail server then acts as
 * a mail client with the real engines (an MsMua of its own, on its own node): SMTP
 * submission on 587 with SMTP AUTH to send, IMAP to list the INBOX. Each HTTP request
 * and response is a trace event of type "http" recorded by the webmail node.
 *
 * One request per connection (Connection: close):
 *   POST /send   form (application/x-www-form-urlencoded): user, password, to, cc, bcc,
 *                subject, body; the webmail composes the message (RFC 5322, UTF-8)
 *   GET  /inbox  Authorization: Basic (RFC 7617); the INBOX is listed over IMAP with
 *                BODY.PEEK[] (listing leaves \Seen alone)
 * Answers: 200 OK; 400 Bad Request (unparsable); 404 Not Found; 502 Bad Gateway when the
 * mail server refused or failed (the reason is in the event and the page).
 */
#pragma once

#include <glib-object.h>

#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_WEBMAIL_PORT_HTTPS 443

typedef struct
{
  const char *hostname;      /* Host: and the EHLO name of its SMTP client */
  const char *address;       /* where browsers connect; NULL: the node's first address */
  const char *smtp_server;   /* the MSA's address */
  guint16     smtp_port;     /* 0: 587 */
  const char *imap_server;   /* the MRA's address */
  guint16     imap_port;     /* 0: 143 */
} MsWebmailConfig;

typedef struct
{
  char      *user;
  char      *password;
  GStrv      to, cc, bcc;
  char      *subject;
  char      *body;
} MsWebmailForm;

typedef struct
{
  gboolean   finished;       /* the browser has the whole response (or gave up) */
  guint      status;         /* HTTP status; 0: no response */
  char      *reason_phrase;
  char      *page;           /* the response body */
  GError    *error;          /* the connection failed */
} MsWebmailResult;

#define MS_TYPE_WEBMAIL (ms_webmail_get_type ())
G_DECLARE_FINAL_TYPE (MsWebmail, ms_webmail, MS, WEBMAIL, GObject)

/* Listens on 443 of @node. */
MsWebmail             *ms_webmail_new          (MsNode                *node,
                                                const MsWebmailConfig *config,
                                                GError               **error);
MsNode                *ms_webmail_get_node     (MsWebmail             *self);

/* A browser on @browser posts the send form. Returns the index of the result. */
guint                  ms_webmail_browse_send  (MsWebmail             *self,
                                                MsNode                *browser,
                                                const MsWebmailForm   *form);
/* A browser on @browser opens the inbox page. */
guint                  ms_webmail_browse_inbox (MsWebmail             *self,
                                                MsNode                *browser,
                                                const char            *user,
                                                const char            *password);
const MsWebmailResult *ms_webmail_get_result   (MsWebmail             *self,
                                                guint                  index);

G_END_DECLS
