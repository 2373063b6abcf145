/* ms-timeline.h: every step on one line, errors and blocks marked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define MS_TYPE_TIMELINE (ms_timeline_get_type ())
G_DECLARE_FINAL_TYPE (MsTimeline, ms_timeline, MS, TIMELINE, GtkWidget)

void ms_timeline_set_model (MsTimeline          *self,
                            MsPlaybackModel     *model);
void ms_timeline_set_style (MsTimeline          *self,
                            const MsRenderStyle *style);

G_END_DECLS
