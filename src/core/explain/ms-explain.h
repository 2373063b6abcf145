/* ms-explain.h: what each command, reply and response code means, for exam candidates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The catalogue is table-driven: English texts are gettext msgids (domain "mailsim"),
 * translated in po/ja.po. Every lookup returns a translated string that lives as long as
 * the program (never free it), or NULL when there is nothing to say.
 */
#pragma once

#include <glib.h>

#include "ms-trace.h"

G_BEGIN_DECLS

/* What one part of an explanation is about: the key shown before the text
 * ("250", "5.7.1", "EHLO", "PIPELINING", "+OK", "UIDVALIDITY", "EXISTS"). */
typedef struct
{
  const char *key;   /* untranslated, never NULL */
  const char *text;  /* translated */
} MsExplanation;

#define MS_EXPLAIN_MAX_PARTS 4

typedef enum
{
  MS_EXPLAIN_KIND_COMMAND,        /* a client command verb */
  MS_EXPLAIN_KIND_REPLY,          /* an SMTP reply code, a POP3/IMAP status */
  MS_EXPLAIN_KIND_REPLY_CLASS,    /* SMTP 2xx/3xx/4xx/5xx */
  MS_EXPLAIN_KIND_ENHANCED,       /* SMTP enhanced status code X.Y.Z (RFC 3463) */
  MS_EXPLAIN_KIND_KEYWORD,        /* an EHLO keyword */
  MS_EXPLAIN_KIND_RESPONSE_CODE,  /* POP3 [IN-USE], IMAP [UIDVALIDITY] */
  MS_EXPLAIN_KIND_UNTAGGED,       /* IMAP untagged data: EXISTS, FETCH ... */
  MS_EXPLAIN_KIND_CONTEXT,        /* a reply read together with the command it answers */
  MS_EXPLAIN_KIND_OTHER,          /* message content, end of data, continuation */
  MS_EXPLAIN_KIND_PORT,           /* a well-known port */
  MS_EXPLAIN_KIND_EVENT,          /* a trace event: OP25B, relay denial, SPF ... */
} MsExplainKind;

typedef void (*MsExplainForeachFunc) (MsProtocol     protocol,
                                      MsExplainKind  kind,
                                      const char    *key,
                                      const char    *msgid,
                                      gpointer       user_data);

const char *ms_explain_command      (MsProtocol         protocol,
                                     const char        *verb);
const char *ms_explain_reply        (MsProtocol         protocol,
                                     int                code,
                                     const char        *status,
                                     const char        *text);
const char *ms_explain_line         (MsProtocol         protocol,
                                     const MsTraceLine *line);

/* The parts of a line's explanation, in display order; @previous_command is the
 * verb of the client command this line answers, "." for the end of SMTP DATA, "" for
 * the server's greeting (no command yet), or NULL when unknown. It lets a reply be read
 * in context (220 after STARTTLS, 250 after the end of DATA, the lines after CAPA).
 * Returns the number of parts filled (0 .. MS_EXPLAIN_MAX_PARTS). */
guint       ms_explain_line_parts   (MsProtocol         protocol,
                                     const MsTraceLine *line,
                                     const char        *previous_command,
                                     MsExplanation     *parts);

const char *ms_explain_ehlo_keyword (const char        *keyword);
const char *ms_explain_enhanced     (const char        *code);
const char *ms_explain_port         (guint              port);
guint       ms_explain_event_parts  (const MsTraceEvent *event,
                                     MsExplanation      *parts);

/* Every msgid of the catalogue, for the translation test and the docs. */
void        ms_explain_foreach      (MsExplainForeachFunc func,
                                     gpointer             user_data);

G_END_DECLS
