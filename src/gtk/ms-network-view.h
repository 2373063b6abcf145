/* ms-network-view.h: zones, nodes and the message travelling between them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define MS_TYPE_NETWORK_VIEW (ms_network_view_get_type ())
G_DECLARE_FINAL_TYPE (MsNetworkView, ms_network_view, MS, NETWORK_VIEW, GtkWidget)

/* The time an envelope takes along its link at speed 1. */
#define MS_NETWORK_VIEW_TRAVEL_US (600 * G_TIME_SPAN_MILLISECOND)

void ms_network_view_set_model   (MsNetworkView       *self,
                                  MsPlaybackModel     *model);
void ms_network_view_set_style   (MsNetworkView       *self,
                                  const MsRenderStyle *style);
void ms_network_view_set_layout  (MsNetworkView       *self,
                                  MsTraceLayout       *layout);
/* FALSE: no animation, the envelope sits halfway (screenshots, exports). */
void ms_network_view_set_animate (MsNetworkView       *self,
                                  gboolean             animate);

G_END_DECLS
