/* ms-sequence-view.h: the sequence diagram widget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define MS_TYPE_SEQUENCE_VIEW (ms_sequence_view_get_type ())
G_DECLARE_FINAL_TYPE (MsSequenceView, ms_sequence_view, MS, SEQUENCE_VIEW, GtkWidget)

void ms_sequence_view_set_model  (MsSequenceView      *self,
                                  MsPlaybackModel     *model);
void ms_sequence_view_set_style  (MsSequenceView      *self,
                                  const MsRenderStyle *style);
void ms_sequence_view_set_layout (MsSequenceView      *self,
                                  MsTraceLayout       *layout);

/* A capture's notes: a "✎" on the rows of the lines that have one (NULL: none). */
void ms_sequence_view_set_annotations (MsSequenceView *self,
                                       MsAnnotations  *annotations);

G_END_DECLS
