/* ms-render.h: the sequence diagram and the network view, drawn with Cairo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same code draws on screen (gtk_snapshot_append_cairo), into PNG/SVG/PDF exports and
 * in bench/render. Only the rows in view are drawn, so a trace of any length costs the same
 * per frame.
 */
#pragma once

#include <cairo.h>
#include <pango/pango.h>

#include "ms-annotations.h"
#include "ms-playback-model.h"

G_BEGIN_DECLS

typedef struct
{
  double   scale;          /* 1.0; presentation mode uses more */
  gboolean dark;
  gboolean high_contrast;  /* thick lines, saturated colours (presentation) */
  gboolean show_secrets;
  const char *font;        /* a Pango family list, or NULL */
  MsAnnotations *annotations;  /* a capture's notes: "✎" on their rows; not owned, or NULL */
} MsRenderStyle;

typedef struct
{
  double r, g, b;
} MsRgb;

typedef enum
{
  MS_COLOR_BG,
  MS_COLOR_FG,
  MS_COLOR_DIM,
  MS_COLOR_LIFELINE,
  MS_COLOR_COMMAND,
  MS_COLOR_2XX,
  MS_COLOR_3XX,
  MS_COLOR_4XX,
  MS_COLOR_5XX,
  MS_COLOR_CURRENT,
  MS_COLOR_ZONE,
  MS_COLOR_NODE,
  MS_COLOR_BLOCK,
  MS_COLOR_TLS,
  MS_N_COLORS
} MsColor;

/* Everything the two views need from the trace, computed once per trace. */
typedef struct _MsTraceLayout MsTraceLayout;

typedef struct
{
  char       *name;      /* node name, or the address */
  char       *address;   /* without the port, or NULL */
  char       *role;      /* "MUA" "MSA" "MTA" "MRA" "router" ..., or NULL */
  char       *zone;      /* the name of the zone it is drawn in */
  gboolean    is_router; /* a router of the topology, or named by a "blocked" event */
  char       *hostname;  /* from the topology, or NULL */
  GStrv       ports;     /* listening ports ("25/tcp"), or NULL */
  GStrv       addresses; /* every address (a router has one per network), or NULL */
  guint       zone_index;  /* index into the zones */
  guint       zone_right;  /* a router between two zones side by side: the right one,
                            * else G_MAXUINT */
} MsLayoutNode;

/* A network drawn as a zone */
typedef struct
{
  char       *name;      /* the scenario's network name, or the guessed prefix */
  char       *kind;      /* home-pool, isp, internet, dmz, lan ..., or NULL */
  GStrv       cidrs;
} MsLayoutZone;

MsTraceLayout *ms_trace_layout_new            (MsPlaybackModel *model);
void           ms_trace_layout_free           (MsTraceLayout   *layout);
guint          ms_trace_layout_get_n_nodes    (MsTraceLayout   *layout);
const MsLayoutNode *ms_trace_layout_get_node  (MsTraceLayout   *layout,
                                               guint            index);
guint          ms_trace_layout_get_n_zones    (MsTraceLayout   *layout);
const MsLayoutZone *ms_trace_layout_get_zone  (MsTraceLayout   *layout,
                                               guint            index);
/* Drawn in the network view: the node takes part in the trace or is on a way between two
 * that do. */
gboolean       ms_trace_layout_is_shown       (MsTraceLayout   *layout,
                                               guint            node);
/* The lifelines of the sequence diagram, left to right, as node indices. */
guint          ms_trace_layout_get_n_lifelines (MsTraceLayout  *layout);
guint          ms_trace_layout_get_lifeline   (MsTraceLayout   *layout,
                                               guint            column);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsTraceLayout, ms_trace_layout_free)

/* "Internet" / "インターネット" for a network kind; NULL for an unknown kind. */
const char    *ms_render_zone_kind_label      (const char      *kind);
/* The full text of a step for a tooltip (the line as sent, or every field of an event). */
char          *ms_render_step_tooltip         (MsPlaybackModel *model,
                                               guint            index,
                                               gboolean         show_secrets);

void     ms_render_color               (const MsRenderStyle *style,
                                        MsColor              color,
                                        MsRgb               *rgb);
MsColor  ms_render_color_for_line      (const MsTraceLine   *line);

/* Sequence diagram: a header with the lifeline names, then one row per step. */
/* A step's time in the sequence diagram: "105.044 s", from 1000 s on "2:30:20.338". */
char    *ms_sequence_format_time       (gint64               t_us);
double   ms_sequence_row_height        (const MsRenderStyle *style);
double   ms_sequence_header_height     (const MsRenderStyle *style);
double   ms_sequence_content_height    (MsPlaybackModel     *model,
                                        const MsRenderStyle *style);
/* The step drawn at y (widget coordinates with scroll_y applied), or G_MAXUINT. */
guint    ms_sequence_step_at           (MsPlaybackModel     *model,
                                        const MsRenderStyle *style,
                                        double               y,
                                        double               scroll_y);
void     ms_sequence_render            (cairo_t             *cr,
                                        MsPlaybackModel     *model,
                                        MsTraceLayout       *layout,
                                        const MsRenderStyle *style,
                                        double               width,
                                        double               height,
                                        double               scroll_y);

/* Network view: zones, nodes, links; the current step's message on its link at phase
 * 0..1 (an envelope), stopped at the router when the step was blocked. The picture is
 * scaled to fill width × height. */
void     ms_network_render             (cairo_t             *cr,
                                        MsPlaybackModel     *model,
                                        MsTraceLayout       *layout,
                                        const MsRenderStyle *style,
                                        double               width,
                                        double               height,
                                        double               phase);

G_END_DECLS
