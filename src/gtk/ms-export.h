/* ms-export.h: the diagrams as PNG, SVG or PDF, the transcript as text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-playback-model.h"
#include "ms-render.h"

G_BEGIN_DECLS

/* A sequence diagram export holds at most this many rows (around the cursor). */
#define MS_EXPORT_MAX_ROWS 2000
#define MS_EXPORT_WIDTH    1600
#define MS_EXPORT_NETWORK_HEIGHT 700

#define MS_EXPORT_ERROR (ms_export_error_quark ())
typedef enum
{
  MS_EXPORT_ERROR_FORMAT,  /* not .png, .svg or .pdf */
  MS_EXPORT_ERROR_CAIRO,   /* Cairo could not write it */
} MsExportError;

GQuark   ms_export_error_quark (void);
gboolean ms_export_sequence    (MsPlaybackModel     *model,
                                MsTraceLayout       *layout,
                                const MsRenderStyle *style,
                                const char          *path,
                                GError             **error);
gboolean ms_export_network     (MsPlaybackModel     *model,
                                MsTraceLayout       *layout,
                                const MsRenderStyle *style,
                                const char          *path,
                                GError             **error);
gboolean ms_export_transcript  (MsTrace             *trace,
                                gboolean             show_secrets,
                                const char          *path,
                                GError             **error);

G_END_DECLS
