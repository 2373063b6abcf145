/* ms-message.h: an Internet message (RFC 5322 + MIME) over GMime 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The header block is kept as we received it: every field with its raw value (folding
 * included) in its original order, so an unmodified message serialises back byte for byte
 * (with CRLF line ends). Header operations work on that list; MIME structure, encoded words
 * and addresses are read through GMime.
 */
#pragma once

#include <glib-object.h>

#include "ms-address.h"
#include "ms-rfc2047.h"

G_BEGIN_DECLS

#define MS_MESSAGE_ERROR (ms_message_error_quark ())

typedef enum
{
  MS_MESSAGE_ERROR_SYNTAX,
  MS_MESSAGE_ERROR_TOO_LONG,
  MS_MESSAGE_ERROR_FAILED,
} MsMessageError;

GQuark ms_message_error_quark (void);

/* The header block may not exceed this (Postfix's header_size_limit is 100 KiB; we are
 * more generous, a lab shows oddities). The body has no limit here: SMTP enforces SIZE. */
#define MS_MESSAGE_MAX_HEADER_BYTES (1024 * 1024)
#define MS_MESSAGE_MAX_HEADER_FIELDS 10000

/* One header field as on the wire: raw_value is everything after the colon up to the
 * final CRLF, folding CRLFs included (usually starts with a space). */
typedef struct
{
  char *name;
  char *raw_value;
} MsHeader;

#define MS_TYPE_HEADER (ms_header_get_type ())
GType     ms_header_get_type (void) G_GNUC_CONST;
MsHeader *ms_header_new      (const char     *name,
                              const char     *raw_value);
MsHeader *ms_header_copy     (const MsHeader *self);
void      ms_header_free     (MsHeader       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsHeader, ms_header_free)

typedef enum
{
  MS_TRANSFER_ENCODING_DEFAULT,  /* 7bit when the text allows it, else base64 */
  MS_TRANSFER_ENCODING_7BIT,
  MS_TRANSFER_ENCODING_8BIT,
  MS_TRANSFER_ENCODING_QUOTED_PRINTABLE,
  MS_TRANSFER_ENCODING_BASE64,
} MsTransferEncoding;

typedef struct
{
  const char *filename;      /* UTF-8; Japanese names go out as RFC 2231 (and RFC 2047 in name=) */
  const char *content_type;  /* "application/pdf"; NULL: application/octet-stream */
  GBytes     *data;
} MsAttachmentSpec;

/* What a mail client composes. Zero-initialise, then fill in. */
typedef struct
{
  GPtrArray              *from;             /* MsAddress*; NULL or empty: no header */
  GPtrArray              *to;
  GPtrArray              *cc;
  GPtrArray              *bcc;              /* kept as a header; submission removes it */
  const char             *subject;          /* UTF-8 */
  const char             *header_charset;   /* "UTF-8" (NULL) or "ISO-2022-JP" */
  MsHeaderEncoding        header_encoding;  /* B (default) or Q */
  GDateTime              *date;             /* NULL: no Date header */
  const char             *message_id;       /* "id@host" or "<id@host>"; NULL: none */
  const char             *text;             /* UTF-8 body text; NULL: empty */
  const char             *text_charset;     /* NULL: "UTF-8" */
  MsTransferEncoding      text_encoding;
  const MsAttachmentSpec *attachments;
  guint                   n_attachments;
} MsMessageSpec;

/* A part of the MIME tree, numbered as IMAP numbers them (RFC 3501 §6.4.5). */
typedef struct
{
  char     *part_number;        /* "1", "1.2"; "" for a top-level multipart */
  guint     depth;              /* 0 for the top level */
  gboolean  is_container;       /* multipart/... or message/rfc822 */
  char     *content_type;       /* lower case "type/subtype" */
  char     *charset;            /* or NULL */
  char     *transfer_encoding;  /* lower case, NULL when absent (7bit) */
  char     *disposition;        /* "inline", "attachment" or NULL */
  char     *filename;           /* decoded UTF-8 (RFC 2231 / RFC 2047) or NULL */
  gsize     size;               /* octets of the body as transferred (encoded) */
  /* What IMAP's BODYSTRUCTURE also reports (RFC 3501 §7.4.2): */
  guint     lines;              /* text lines of the body as transferred */
  char    **type_params;        /* Content-Type parameters: name, value, name, value..., NULL
                                 * (values decoded, RFC 2231 continuations joined) */
  char    **disposition_params; /* likewise for Content-Disposition, or NULL */
  char     *content_id;         /* unfolded header values, or NULL */
  char     *description;
  char     *md5;
  char     *language;
  char     *location;
} MsMimePart;

#define MS_TYPE_MIME_PART (ms_mime_part_get_type ())
GType       ms_mime_part_get_type (void) G_GNUC_CONST;
MsMimePart *ms_mime_part_copy     (const MsMimePart *self);
void        ms_mime_part_free     (MsMimePart       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMimePart, ms_mime_part_free)

/* One Received field (RFC 5321 §4.4): "from X (info) by Y with ESMTP id Z for <a>; date". */
typedef struct
{
  char      *from;          /* the client's name as it announced itself (HELO/EHLO) */
  char      *from_comment;  /* usually the verified name and [address] */
  char      *by;            /* the receiving host */
  char      *by_comment;
  char      *via;
  char      *with;          /* SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP... (RFC 3848) */
  char      *id;
  char      *for_address;   /* without the angle brackets */
  GDateTime *date;          /* NULL when absent or unparsable */
  char      *raw;           /* the unfolded value */
} MsReceivedHop;

#define MS_TYPE_RECEIVED_HOP (ms_received_hop_get_type ())
GType          ms_received_hop_get_type (void) G_GNUC_CONST;
MsReceivedHop *ms_received_hop_parse    (const char          *raw_value);
MsReceivedHop *ms_received_hop_copy     (const MsReceivedHop *self);
void           ms_received_hop_free     (MsReceivedHop       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsReceivedHop, ms_received_hop_free)

/* Makes a Message-ID's "left@right" part; the simulator installs one that counts, so runs
 * are reproducible. Returns a newly allocated string without angle brackets. */
typedef char *(*MsMessageIdGenerator) (const char *domain,
                                       gpointer    user_data);

#define MS_TYPE_MESSAGE (ms_message_get_type ())
G_DECLARE_FINAL_TYPE (MsMessage, ms_message, MS, MESSAGE, GObject)

MsMessage   *ms_message_new_from_bytes         (GBytes              *raw,
                                                GError             **error);
MsMessage   *ms_message_new                    (const MsMessageSpec *spec,
                                                GError             **error);
/* The whole message with CRLF line ends. */
GBytes      *ms_message_to_bytes               (MsMessage           *self);
/* Everything after the blank line (CRLF line ends). */
GBytes      *ms_message_get_body               (MsMessage           *self);
/* FALSE when the input had no blank line after its header fields (or no fields at all). */
gboolean     ms_message_has_header_separator   (MsMessage           *self);

/* Header fields. Names match case-insensitively. */
const char  *ms_message_get_header             (MsMessage           *self,
                                                const char          *name);
char        *ms_message_dup_header_decoded     (MsMessage           *self,
                                                const char          *name);
char        *ms_message_decode_header_naively  (MsMessage           *self,
                                                const char          *name,
                                                const char          *assumed_charset);
guint        ms_message_count_header           (MsMessage           *self,
                                                const char          *name);
GPtrArray   *ms_message_dup_header_list        (MsMessage           *self);
void         ms_message_prepend_header         (MsMessage           *self,
                                                const char          *name,
                                                const char          *value);
void         ms_message_append_header          (MsMessage           *self,
                                                const char          *name,
                                                const char          *value);
guint        ms_message_remove_header          (MsMessage           *self,
                                                const char          *name);
void         ms_message_add_return_path        (MsMessage           *self,
                                                const char          *reverse_path);
gboolean     ms_message_ensure_message_id      (MsMessage           *self,
                                                const char          *domain);
void         ms_message_set_id_generator       (MsMessageIdGenerator generator,
                                                gpointer             user_data);
gboolean     ms_message_ensure_date            (MsMessage           *self,
                                                GDateTime           *now);
char        *ms_message_dup_subject            (MsMessage           *self);
GPtrArray   *ms_message_dup_addresses          (MsMessage           *self,
                                                const char          *name);

/* MIME structure. */
GPtrArray   *ms_message_dup_parts              (MsMessage           *self);
GBytes      *ms_message_dup_part_content       (MsMessage           *self,
                                                const char          *part_number,
                                                GError             **error);
char        *ms_message_dup_part_text          (MsMessage           *self,
                                                const char          *part_number,
                                                GError             **error);
/* The part's body as transferred (IMAP BODY[n]); exact for leaf parts, re-serialised by
 * GMime (CRLF) for multiparts and message/rfc822. */
GBytes      *ms_message_dup_part_raw           (MsMessage           *self,
                                                const char          *part_number,
                                                GError             **error);
/* The part's MIME header block with its blank line (IMAP BODY[n.MIME]). */
GBytes      *ms_message_dup_part_mime_header   (MsMessage           *self,
                                                const char          *part_number,
                                                GError             **error);

/* Trace. Index 0 is the newest hop (the topmost field); the origin is last. */
GPtrArray   *ms_message_dup_received_hops      (MsMessage           *self);

G_END_DECLS
