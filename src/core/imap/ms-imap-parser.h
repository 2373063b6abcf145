/* ms-imap-parser.h: IMAP command tokenizer (RFC 3501 §9 / RFC 9051 §9 grammar)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The engine base frames lines and counted literals; the parser collects them into one
 * command. ms_imap_parser_push_line() says whether the line ended in a literal
 * announcement ({n} or {n+}, RFC 7888) so the server can send "+" and ask the base for
 * the bytes, which come back through ms_imap_parser_push_literal(). When a line ends
 * without a literal the command is complete and ms_imap_parser_take() turns it into a
 * typed argument tree. Like Dovecot's imap-parser, it never does I/O.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_IMAP_MAX_LIST_DEPTH 32
#define MS_IMAP_MAX_ARGS       10000

typedef enum
{
  MS_IMAP_ARG_ATOM,     /* includes flags (\Seen), sequence sets and BODY[...]<n.m> */
  MS_IMAP_ARG_QUOTED,
  MS_IMAP_ARG_LITERAL,
  MS_IMAP_ARG_LIST,
} MsImapArgType;

typedef struct _MsImapArg MsImapArg;

struct _MsImapArg
{
  MsImapArgType  type;
  char          *str;   /* atom / string value, NUL-terminated (a literal may hold NULs) */
  gsize          len;
  GPtrArray     *list;  /* of MsImapArg, for MS_IMAP_ARG_LIST */
};

typedef struct
{
  char      *tag;
  char      *name;   /* upper-cased; "UID FETCH" for UID commands */
  gboolean   uid;
  GPtrArray *args;   /* of MsImapArg */
} MsImapCommand;

typedef enum
{
  MS_IMAP_PUSH_COMPLETE,      /* the command is whole: call ms_imap_parser_take() */
  MS_IMAP_PUSH_NEED_LITERAL,  /* the line announced a literal of *literal_size bytes */
  MS_IMAP_PUSH_TOO_LARGE,     /* literals over the cap: refuse, do not send "+" */
  MS_IMAP_PUSH_TOO_LONG,      /* the command text went over the line cap */
} MsImapPushResult;

typedef struct _MsImapParser MsImapParser;

MsImapParser     *ms_imap_parser_new          (gsize          max_command,
                                               gsize          max_literal);
void              ms_imap_parser_free         (MsImapParser  *self);
void              ms_imap_parser_reset        (MsImapParser  *self);
gboolean          ms_imap_parser_is_empty     (MsImapParser  *self);
MsImapPushResult  ms_imap_parser_push_line    (MsImapParser  *self,
                                               const char    *line,
                                               gsize          len,
                                               guint64       *literal_size,
                                               gboolean      *synchronizing);
void              ms_imap_parser_push_literal (MsImapParser  *self,
                                               const guint8  *data,
                                               gsize          len);
/* The tag as far as it can be read (for "tag BAD ..." when parsing failed), or NULL. */
char             *ms_imap_parser_peek_tag     (MsImapParser  *self);
/* Parses the collected command and resets the parser. On a syntax error returns NULL,
 * sets *error_text (the reason, English wire text) and *tag when one was readable. */
MsImapCommand    *ms_imap_parser_take         (MsImapParser  *self,
                                               char         **tag,
                                               char         **error_text);

void              ms_imap_command_free        (MsImapCommand *command);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsImapCommand, ms_imap_command_free)

/* Parses one complete command (lines joined by CRLF, literals inline after their {n}). */
MsImapCommand    *ms_imap_parse_command       (const guint8  *data,
                                               gsize          len,
                                               char         **tag,
                                               char         **error_text);

/* Argument helpers. */
void              ms_imap_arg_free            (MsImapArg     *arg);
gboolean          ms_imap_arg_is_string       (const MsImapArg *arg);   /* quoted or literal */
gboolean          ms_imap_arg_is_astring      (const MsImapArg *arg);   /* atom or string */
gboolean          ms_imap_arg_is_atom         (const MsImapArg *arg,
                                               const char    *word);    /* case-insensitive */
gboolean          ms_imap_atom_is_valid       (const char    *atom);    /* RFC 3501 ATOM-CHAR */

/* Sequence sets (RFC 3501 §9 sequence-set): ranges of guint32, '*' as G_MAXUINT32 until
 * resolved. */
typedef struct
{
  guint32 lo;
  guint32 hi;
} MsImapRange;

GArray           *ms_imap_sequence_set_parse  (const char    *text);
/* Replaces '*' by star (the largest number in use) and orders each range. */
void              ms_imap_sequence_set_resolve (GArray       *set,
                                                guint32       star);
gboolean          ms_imap_sequence_set_contains (GArray      *set,
                                                 guint32      n);

/* Quotes s as an IMAP string: "..." when it can be, else a literal {n}\r\n... */
void              ms_imap_append_string       (GString       *out,
                                               const char    *s,
                                               gsize          len);
void              ms_imap_append_nstring      (GString       *out,
                                               const char    *s);

/* Mailbox names on the wire are modified UTF-7 (RFC 3501 §5.1.3); the store keeps UTF-8.
 * decode returns NULL for a name that is not valid modified UTF-7. */
char             *ms_imap_mutf7_decode        (const char    *name);
char             *ms_imap_mutf7_encode        (const char    *name);

G_END_DECLS
