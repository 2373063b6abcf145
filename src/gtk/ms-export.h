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
  MS_EXPORT_ERROR_NO_MESSAGE, /* headers: nothing transferred yet at this step */
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
/* The message as it stands at the cursor's step: the envelope, then each header with "+"
 * for the lines this hop added and "-" for those it removed (Bcc), decoded and raw. */
gboolean ms_export_headers     (MsPlaybackModel     *model,
                                const char          *path,
                                GError             **error);
/* The same text, for the tests. NULL when no message has been transferred yet. */
char    *ms_export_headers_text (MsPlaybackModel    *model);

G_END_DECLS
