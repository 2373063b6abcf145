/* ms-smtp-private.h: internals shared by the files of the SMTP server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-smtp-address.h"
#include "ms-smtp-server.h"

G_BEGIN_DECLS

/* RFC 5321 §4.5.3.1.4: 512 octets with CRLF; §4.5.3.1.6: text lines 1000 with CRLF. */
#define MS_SMTP_MAX_COMMAND_LINE 510
#define MS_SMTP_MAX_TEXT_LINE    998
/* RFC 4954 §4: an AUTH command or SASL response line may reach 12288 octets. */
#define MS_SMTP_MAX_AUTH_LINE    12288
/* RFC 5321 §4.5.3.1.5: 512 octets for a reply line including the code and CRLF. */
#define MS_SMTP_MAX_REPLY_LINE   510

#define MS_SMTP_IN(state) (1u << (state))
#define MS_SMTP_COMMAND_STATES (MS_SMTP_IN (MS_SMTP_SERVER_STATE_CONNECTED) \
                                | MS_SMTP_IN (MS_SMTP_SERVER_STATE_READY) \
                                | MS_SMTP_IN (MS_SMTP_SERVER_STATE_MAIL) \
                                | MS_SMTP_IN (MS_SMTP_SERVER_STATE_RCPT))
#define MS_SMTP_SESSION_STATES (MS_SMTP_IN (MS_SMTP_SERVER_STATE_READY) \
                                | MS_SMTP_IN (MS_SMTP_SERVER_STATE_MAIL) \
                                | MS_SMTP_IN (MS_SMTP_SERVER_STATE_RCPT))

typedef enum
{
  MS_SMTP_AUTH_NONE,
  MS_SMTP_AUTH_PLAIN,     /* RFC 4616 */
  MS_SMTP_AUTH_LOGIN,     /* draft-murchison-sasl-login */
  MS_SMTP_AUTH_CRAM_MD5,  /* RFC 2195 */
} MsSmtpAuthMech;

struct _MsSmtpServer
{
  MsEngine            parent_instance;

  /* permanent */
  MsSmtpServerConfig  config;        /* hostname points at our copy */
  char               *hostname;
  MsSmtpPolicy       *policy;        /* may be NULL: accept everything, keep nothing */
  GString            *scratch;       /* reply lines on the wire, reused */
  GString            *text_scratch;  /* reply text before framing, reused */
  guint               id_counter;
  guint               n_accepted;
  guint               errors;        /* 4xx/5xx replies so far (RFC 5321 §4.3.2 junk) */

  MsSmtpServerState   state;

  /* session: reset by STARTTLS (RFC 3207 §4.2) */
  char               *helo;
  gboolean            esmtp;
  char               *user;          /* authenticated user */

  /* transaction: reset by RSET, HELO/EHLO and the end of DATA */
  char               *reverse_path;
  GPtrArray          *recipients;    /* char*, accepted forward-paths */
  GPtrArray          *relayed;       /* char*, those with a RELAY verdict */
  gboolean            eight_bit;
  gsize               declared_size;

  /* DATA */
  GByteArray         *body;          /* Received header, then the unstuffed message */
  gsize               header_len;    /* the Received header's length within body */
  gsize               body_size;     /* message octets seen, kept or not */
  guint               body_lines;
  gboolean            too_big;
  gboolean            line_too_long;
  char               *queue_id;

  /* AUTH dialogue */
  MsSmtpAuthMech      auth_mech;
  guint               auth_step;
  char               *auth_login_user;
  char               *auth_challenge;
};

/* ms-smtp-reply.c is for values; these are the server's one reply function. */
void     _ms_smtp_server_reply             (MsSmtpServer       *self,
                                            guint               code,
                                            const char         *esc,
                                            const char         *format,
                                            ...) G_GNUC_PRINTF (4, 5);
void     _ms_smtp_server_send_reply        (MsSmtpServer       *self,
                                            const MsSmtpReply  *reply);
void     _ms_smtp_server_enter_state       (MsSmtpServer       *self,
                                            MsSmtpServerState   state);
void     _ms_smtp_server_reset_transaction (MsSmtpServer       *self);
void     _ms_smtp_server_fill_info         (MsSmtpServer       *self,
                                            MsSmtpSessionInfo  *info);
gint64   _ms_smtp_server_now               (MsSmtpServer       *self);
void     _ms_smtp_server_begin_data        (MsSmtpServer       *self);

/* ms-smtp-commands.c */
void     _ms_smtp_server_dispatch          (MsSmtpServer       *self,
                                            const char         *line,
                                            gsize               len);
void     _ms_smtp_server_auth_response     (MsSmtpServer       *self,
                                            const char         *line,
                                            gsize               len);
GStrv    _ms_smtp_commands_allowed_in      (MsSmtpServerState   state);

/* ms-smtp-sasl.c: shared by server and client */
char    *_ms_smtp_base64_decode            (const char         *text,
                                            gsize              *out_len);
char    *_ms_smtp_cram_md5_digest          (const char         *secret,
                                            const char         *challenge);
char    *_ms_smtp_format_date              (gint64              unix_us);

G_END_DECLS
