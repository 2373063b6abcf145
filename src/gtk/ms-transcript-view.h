/* ms-transcript-view.h: the current session's lines, C:/S:, with explanations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-annotations.h"
#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define MS_TYPE_TRANSCRIPT_VIEW (ms_transcript_view_get_type ())
G_DECLARE_FINAL_TYPE (MsTranscriptView, ms_transcript_view, MS, TRANSCRIPT_VIEW, GtkBox)

void ms_transcript_view_set_model (MsTranscriptView    *self,
                                   MsPlaybackModel     *model);
void ms_transcript_view_set_style (MsTranscriptView    *self,
                                   const MsRenderStyle *style);

/* Notes: shown under their lines (✎); a right-click on a line emits
 * "note-requested" (guint line index in the shown session, GdkRectangle *line area in
 * the view's coordinates). */
void ms_transcript_view_set_annotations (MsTranscriptView *self,
                                         MsAnnotations    *annotations);
MsTraceSession *ms_transcript_view_get_session (MsTranscriptView *self);
gboolean ms_transcript_view_get_line_rect (MsTranscriptView *self,
                                           guint             index,
                                           GdkRectangle     *rect);

G_END_DECLS
