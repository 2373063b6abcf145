/* ms-imap-private.h: internals shared by the IMAP server's files
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-imap-parser.h"
#include "ms-imap-server.h"

G_BEGIN_DECLS

typedef enum
{
  MS_IMAP_MODE_COMMAND,       /* reading commands (and their literals) */
  MS_IMAP_MODE_AUTHENTICATE,  /* waiting for a SASL response line (RFC 3501 §6.2.2) */
  MS_IMAP_MODE_IDLE,          /* between "+ idling" and DONE (RFC 2177) */
} MsImapMode;

struct _MsImapServer
{
  MsEngine           parent_instance;

  /* configuration */
  char              *hostname;
  gboolean           tls_available;
  gboolean           allow_plain_login_without_tls;
  gsize              max_literal;
  gsize              max_command;

  MsMailStore       *store;
  MsImapServerState  state;
  MsImapMode         mode;
  MsImapParser      *parser;
  gboolean           in_literal_command;  /* the current command spans a literal */
  gboolean           command_secret;      /* ... and carries credentials (LOGIN) */
  char              *user;
  char              *mode_tag;            /* the tag of AUTHENTICATE / IDLE */
  guint              bad_count;

  /* the selected mailbox and this session's view of it (RFC 3501 §2.3.1.2) */
  MsMailbox         *selected;
  gboolean           read_only;
  GArray            *view;            /* guint32 uids: sequence number - 1 -> uid */
  GHashTable        *recent;          /* uids that are \Recent for this session */
  GHashTable        *changed;         /* uids whose flags others changed */
  guint              own_change;      /* > 0 while this session changes flags itself */
  gulong             added_handler;
  gulong             expunged_handler;
  gulong             flags_handler;
};

typedef enum
{
  MS_IMAP_CMD_FLAG_NONE        = 0,
  MS_IMAP_CMD_FLAG_NO_EXPUNGE  = 1 << 0,  /* RFC 3501 §7.4.1: FETCH, STORE, SEARCH */
  MS_IMAP_CMD_FLAG_UID         = 1 << 1,  /* also allowed as "UID <name>" */
} MsImapCommandFlags;

typedef struct _MsImapCommandSpec MsImapCommandSpec;

/* check: syntax and policy; on refusal it sends the BAD/NO itself and returns FALSE. */
typedef gboolean (*MsImapCheckFunc)   (MsImapServer *self, MsImapCommand *cmd);
typedef void     (*MsImapProceedFunc) (MsImapServer *self, MsImapCommand *cmd);

struct _MsImapCommandSpec
{
  const char         *name;
  guint               allowed;    /* MS_IMAP_IN (state) | ... */
  MsImapCommandFlags  flags;
  /* Argument shape, one letter per argument: a = astring, m = mailbox (astring),
   * l = list, s = sequence set, t = atom, * = anything from here on; NULL: check decides */
  const char         *signature;
  MsImapCheckFunc     check;
  MsImapProceedFunc   proceed;
};

#define MS_IMAP_IN(state) (1u << (state))

const MsImapCommandSpec *_ms_imap_find_command (const char *name);

/* Responses: every line leaves through these. */
void     _ms_imap_server_untagged   (MsImapServer  *self,
                                     const char    *format,
                                     ...) G_GNUC_PRINTF (2, 3);
void     _ms_imap_server_tagged     (MsImapServer  *self,
                                     const char    *tag,
                                     const char    *status,
                                     const char    *format,
                                     ...) G_GNUC_PRINTF (4, 5);
/* Flushes pending mailbox updates then sends the tagged OK/NO. */
void     _ms_imap_server_complete   (MsImapServer  *self,
                                     MsImapCommand *cmd,
                                     const char    *status,
                                     const char    *format,
                                     ...) G_GNUC_PRINTF (4, 5);
void     _ms_imap_server_bad        (MsImapServer  *self,
                                     MsImapCommand *cmd,
                                     const char    *format,
                                     ...) G_GNUC_PRINTF (3, 4);
/* An untagged response that may hold literals: wire has them inline, trace shows
 * "{n}" only; literal_bytes counts them for the MS_LINE_DATA summary. */
void     _ms_imap_server_send_data  (MsImapServer  *self,
                                     GString       *wire,
                                     GString       *trace,
                                     gsize          literal_bytes);
void     _ms_imap_server_continue   (MsImapServer  *self,
                                     const char    *text);
void     _ms_imap_server_enter_state (MsImapServer      *self,
                                      MsImapServerState  state);
void     _ms_imap_server_send_capability (MsImapServer *self);
char    *_ms_imap_server_dup_capability  (MsImapServer *self);
void     _ms_imap_server_begin_authenticate (MsImapServer *self,
                                             const char   *tag,
                                             const char   *initial);
void     _ms_imap_server_begin_idle (MsImapServer  *self,
                                     const char    *tag);

/* The selected mailbox */
gboolean _ms_imap_server_select     (MsImapServer  *self,
                                     MsMailbox     *mailbox,
                                     gboolean       read_only);
void     _ms_imap_server_unselect   (MsImapServer  *self);
/* Reports what changed since the last report: EXPUNGE (when allowed), EXISTS/RECENT,
 * FETCH FLAGS. */
void     _ms_imap_server_flush_updates (MsImapServer *self,
                                        gboolean      allow_expunge);
/* The message at a sequence number of this session's view, or NULL when it is gone. */
MsStoredMessage *_ms_imap_server_message_at (MsImapServer *self,
                                             guint         seq);
guint    _ms_imap_server_seq_of_uid (MsImapServer  *self,
                                     guint32        uid);
gboolean _ms_imap_server_is_recent  (MsImapServer  *self,
                                     MsStoredMessage *message);
void     _ms_imap_append_flags      (MsImapServer  *self,
                                     GString       *out,
                                     MsStoredMessage *message);
/* Sequence numbers (1-based) of the view matched by a set, in ascending order. */
GArray  *_ms_imap_server_resolve_set (MsImapServer *self,
                                      const char   *set_text,
                                      gboolean      uid);
/* Parses a flag list or single flag into system flags and keywords. */
gboolean _ms_imap_parse_flags       (const MsImapArg *arg,
                                     MsMessageFlags  *flags,
                                     GPtrArray       *keywords,
                                     const char     **error);

/* ms-imap-mime.c: the structure of a stored message, with byte offsets */
typedef struct _MsImapPart MsImapPart;

struct _MsImapPart
{
  gsize        hdr_start;
  gsize        hdr_end;     /* after the blank line */
  gsize        body_end;    /* body is [hdr_end, body_end) */
  char        *type;        /* lower case */
  char        *subtype;
  GPtrArray   *params;      /* name, value, name, value ... as written */
  GPtrArray   *children;    /* of MsImapPart, for multipart */
  MsImapPart  *message;     /* the encapsulated message of message/rfc822 */
};

MsImapPart *_ms_imap_part_parse      (const char  *data,
                                      gsize        len);
void        _ms_imap_part_free       (MsImapPart  *part);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsImapPart, _ms_imap_part_free)
/* The unfolded value of the first header field called name in [start, end), or NULL. */
char       *_ms_imap_header_get      (const char  *data,
                                      gsize        start,
                                      gsize        end,
                                      const char  *name);
/* "; name=value" parameters as written (RFC 2045 §5.1): name, value, name, value ... */
GPtrArray  *_ms_imap_parse_params    (const char  *p);
const char *_ms_imap_part_get_param  (MsImapPart  *part,
                                      const char  *name);

/* ms-imap-fetch.c */
gboolean _ms_imap_check_fetch       (MsImapServer  *self,
                                     MsImapCommand *cmd);
void     _ms_imap_proceed_fetch     (MsImapServer  *self,
                                     MsImapCommand *cmd);
void     _ms_imap_append_envelope   (GString       *out,
                                     const char    *data,
                                     MsImapPart    *root);
void     _ms_imap_append_bodystructure (GString    *out,
                                        const char *data,
                                        MsImapPart *part,
                                        gboolean    extended);

/* ms-imap-search.c */
gboolean _ms_imap_check_search     (MsImapServer  *self,
                                    MsImapCommand *cmd);
void     _ms_imap_proceed_search   (MsImapServer  *self,
                                    MsImapCommand *cmd);
/* "1-Feb-1994" -> days since the epoch; FALSE when malformed. */
gboolean _ms_imap_parse_date       (const char    *text,
                                    gint64        *days);

G_END_DECLS
