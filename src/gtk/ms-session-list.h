/* ms-session-list.h: the sessions of the trace, one row each; a click jumps to one
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"

G_BEGIN_DECLS

/* What a session's row says about how it went (several may hold). */
typedef enum
{
  MS_SESSION_STATUS_COMPLETE = 0,
  MS_SESSION_STATUS_OPEN     = 1 << 0,  /* not closed (yet) */
  MS_SESSION_STATUS_TLS      = 1 << 1,  /* encrypted after STARTTLS, or from the start */
  MS_SESSION_STATUS_GAP      = 1 << 2,  /* bytes missing from the capture */
  MS_SESSION_STATUS_ERROR    = 1 << 3,  /* a 4xx/5xx, -ERR, NO or BAD reply */
  MS_SESSION_STATUS_CUT      = 1 << 4,  /* closed without QUIT/LOGOUT (reset, cut short) */
} MsSessionStatus;

typedef struct
{
  MsSessionStatus  status;
  guint            n_messages;
  guint            n_lines;      /* commands and replies (notes left out) */
  const char      *tls_note;     /* the observer's "(TLS: n records, …)" line, or NULL */
} MsSessionSummary;

void ms_session_summarize (MsTrace          *trace,
                           MsTraceSession   *session,
                           MsSessionSummary *summary);

/* A trace with only the session at @index of @full (same session id, lines, frames,
 * times), its messages and its events: the views then show that session alone. The
 * new trace keeps a reference to @full (ms_session_trace_get_full). */
MsTrace *ms_session_trace_new      (MsTrace *full,
                                    guint    index);
/* The whole trace a one-session trace was made from, or @trace itself. */
MsTrace *ms_session_trace_get_full (MsTrace *trace);

#define MS_TYPE_SESSION_LIST (ms_session_list_get_type ())
G_DECLARE_FINAL_TYPE (MsSessionList, ms_session_list, MS, SESSION_LIST, GtkBox)

void  ms_session_list_set_model (MsSessionList   *self,
                                 MsPlaybackModel *model);
/* Rebuilds the rows (the trace grew: live capture). */
void  ms_session_list_refresh   (MsSessionList   *self);
guint ms_session_list_get_n_rows (MsSessionList  *self);
/* "Only this session": the signal "show-session" (int: a session index of the whole
 * trace, or -1 for all) asks the window to show one session alone, or all again. */
void  ms_session_list_set_only  (MsSessionList   *self,
                                 gboolean         only);

G_END_DECLS
