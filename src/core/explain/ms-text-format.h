/* ms-text-format.h: a trace as a swaks-like annotated transcript
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ms-trace.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean explain;       /* add the catalogue's explanations */
  gboolean color;         /* ANSI colours (reply classes, events, expectations) */
  gboolean show_secrets;  /* print passwords and SASL responses instead of a mask */
  /* ms_text_format_trace: a note shown under a line (a student's annotation), newly
   * allocated, or NULL; line_index counts from 0 in the session. NULL: none. */
  char    *(*line_note) (MsTraceSession *session, guint line_index, MsTraceLine *line,
                         gpointer user_data);
  gpointer line_note_data;
} MsTextFormatOptions;

/* What starts each line of a note under a transcript line. */
#define MS_TEXT_FORMAT_NOTE_PREFIX "    \u270E "

/* The column where explanations start when the line is short enough. */
#define MS_TEXT_FORMAT_EXPLAIN_COLUMN 44
/* What a masked secret is replaced with: it shows that something was sent. */
#define MS_TEXT_FORMAT_MASK "********"

void   ms_text_format_session_header (GString                   *out,
                                      MsTraceSession            *session,
                                      const MsTextFormatOptions *options);
void   ms_text_format_line           (GString                   *out,
                                      MsTraceSession            *session,
                                      MsTraceLine               *line,
                                      const MsTextFormatOptions *options);
void   ms_text_format_event          (GString                   *out,
                                      MsTraceEvent              *event,
                                      const MsTextFormatOptions *options);
void   ms_text_format_expectation    (GString                   *out,
                                      const char                *text,
                                      gboolean                   ok,
                                      const MsTextFormatOptions *options);
void   ms_text_format_session        (GString                   *out,
                                      MsTrace                   *trace,
                                      MsTraceSession            *session,
                                      const MsTextFormatOptions *options);
void   ms_text_format_trace          (GString                   *out,
                                      MsTrace                   *trace,
                                      const MsTextFormatOptions *options);

/* Formats lines as they arrive, remembering each session's state. */
typedef struct _MsTextFormatter MsTextFormatter;

MsTextFormatter *ms_text_formatter_new            (const MsTextFormatOptions *options);
void             ms_text_formatter_free           (MsTextFormatter           *self);
void             ms_text_formatter_line           (MsTextFormatter           *self,
                                                   GString                   *out,
                                                   MsTraceSession            *session,
                                                   MsTraceLine               *line);
void             ms_text_formatter_forget_session (MsTextFormatter           *self,
                                                   MsTraceSession            *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTextFormatter, ms_text_formatter_free)

/* The text of @line as it may be shown: secrets masked unless @show_secrets, invalid
 * UTF-8 and control characters replaced. */
char  *ms_text_format_line_text      (MsProtocol                 protocol,
                                      const MsTraceLine         *line,
                                      gboolean                   show_secrets);

/* Whether output to @fd should be coloured: a terminal, NO_COLOR unset, TERM not "dumb"
 * (https://no-color.org). */
gboolean ms_text_format_color_wanted (int fd);

/* Columns @text takes on a terminal: wide (CJK) characters count two. */
gsize  ms_text_format_display_width  (const char                *text);

G_END_DECLS
