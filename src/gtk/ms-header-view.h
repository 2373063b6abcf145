/* ms-header-view.h: the message as it stands at this hop, envelope beside headers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define MS_TYPE_HEADER_VIEW (ms_header_view_get_type ())
G_DECLARE_FINAL_TYPE (MsHeaderView, ms_header_view, MS, HEADER_VIEW, GtkBox)

void ms_header_view_set_model (MsHeaderView        *self,
                               MsPlaybackModel     *model);
void ms_header_view_set_style (MsHeaderView        *self,
                               const MsRenderStyle *style);

/* The snapshot shown at a time: the last one taken at or before t_us, or -1. */
int  ms_header_view_pick_message   (MsTrace *trace,
                                    gint64   t_us);
/* The earlier snapshot of the same message (same Message-ID), at another node when there
 * is one, or -1. */
int  ms_header_view_previous_snapshot (MsTrace *trace,
                                       guint    index);

G_END_DECLS
