/* ms-render-private.h: what ms-render*.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <pango/pangocairo.h>

#include "ms-net-layout.h"
#include "ms-render.h"

G_BEGIN_DECLS

#define BASE_FONT_SIZE 10.0   /* points at scale 1 */

typedef struct
{
  guint client;     /* node index */
  guint server;
  guint port;       /* the server's port, 0 when unknown */
  guint tls_from;   /* first line index sent under TLS, or G_MAXUINT */
  guint router;     /* the router that dropped it, or G_MAXUINT */
  guint link;       /* index into links, or G_MAXUINT (the mirror of another session) */
} LayoutSession;

/* A client/server pair and service, drawn once in the network view */
typedef struct
{
  guint       from;      /* node indices */
  guint       to;
  MsProtocol  protocol;
  guint       port;
  gboolean    tls;
  GArray     *path;      /* of guint node indices: from, routers..., to */
} LayoutLink;

struct _MsTraceLayout
{
  GPtrArray  *nodes;       /* of MsLayoutNode* */
  GHashTable *by_name;     /* name -> index + 1 */
  GHashTable *by_address;  /* address -> index + 1 */
  GArray     *sessions;    /* of LayoutSession, by session index */
  GHashTable *by_id;       /* session id -> session index + 1 */
  GPtrArray  *zones;       /* of MsLayoutZone*, left to right */
  GArray     *zone_edges;  /* guint pairs: zones a router joins */
  GArray     *edge_router; /* guint: that router's node index */
  GArray     *lifelines;   /* guint node indices in the sequence diagram, left to right */
  guint      *column_of;   /* node index -> lifeline column, or G_MAXUINT */
  GArray     *links;       /* of LayoutLink */
  GHashTable *link_by_key;
  guint      *event_peer;  /* event index -> the other node (a DNS query's server), or G_MAXUINT */
  guint      *event_link;  /* event index -> link (DNS), or G_MAXUINT */
  gboolean    has_topology;
  gboolean   *node_shown;  /* in the network view: takes part, or is on a way */
  gboolean   *zone_shown;  /* has a node shown */

  gpointer        net_cache;  /* ms-render-network.c's geometry */
  GDestroyNotify  net_cache_free;

  /* ms-render-sequence.c: the time column's width, wide enough for the latest step's time */
  double      seq_time_column;
};

/* ms-render.c */
void         ms_render_set_color      (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       MsColor              color);
double       ms_render_line_width     (const MsRenderStyle *style);
PangoLayout *ms_render_new_text       (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       double               size,
                                       gboolean             bold);
double       ms_render_text           (cairo_t             *cr,
                                       PangoLayout         *layout,
                                       const char          *text,
                                       double               x,
                                       double               y,
                                       double               max_width,
                                       double               align);
void         ms_render_text_size      (PangoLayout         *layout,
                                       const char          *text,
                                       int                 *w,
                                       int                 *h);
void         ms_render_rounded_rect   (cairo_t             *cr,
                                       double               x,
                                       double               y,
                                       double               w,
                                       double               h,
                                       double               r);
void         ms_render_lock           (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       double               x,
                                       double               y,
                                       double               size);
void         ms_render_cross          (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       double               x,
                                       double               y,
                                       double               size);
void         ms_render_envelope       (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       double               x,
                                       double               y,
                                       double               size);
void         ms_render_badge          (cairo_t             *cr,
                                       PangoLayout         *text,
                                       const MsRenderStyle *style,
                                       const char          *label,
                                       double               x,
                                       double               y,
                                       double               max_width,
                                       double               min_left,
                                       double               max_right,
                                       MsColor              color);
guint        ms_render_node_index     (MsTraceLayout       *layout,
                                       const char          *name);
guint        ms_render_node_by_address (MsTraceLayout      *layout,
                                        const char         *endpoint);
const LayoutSession *ms_render_session_by_id (MsTraceLayout *layout,
                                              guint          id);
char        *ms_render_endpoint_address (const char        *endpoint,
                                         guint             *port);
/* The node an event happened at: its "node", else its session's server. */
guint        ms_render_event_node     (MsTraceLayout       *layout,
                                       MsTraceEvent        *event);
/* A short label in the current language ("SPF fail", "DNS: MX? example.net"). */
char        *ms_render_event_label    (MsTraceEvent        *event);
/* For a badge on the node that decided: the label, or NULL when the event is no decision
 * worth a badge; *bad when it failed. */
char        *ms_render_badge_label    (MsTraceEvent        *event,
                                       gboolean            *bad);
gboolean     ms_render_event_failed   (MsTraceEvent        *event);
const char  *ms_render_event_text_for_language (MsTraceEvent *event);

/* ms-render-icons.c */
typedef enum
{
  MS_ICON_PC,
  MS_ICON_SERVER,
  MS_ICON_ROUTER,
  MS_ICON_DNS,
  MS_ICON_WEBMAIL,
} MsIcon;

MsIcon       ms_render_icon_for_node  (const MsLayoutNode  *node);
void         ms_render_icon           (cairo_t             *cr,
                                       const MsRenderStyle *style,
                                       MsIcon               icon,
                                       double               cx,
                                       double               cy,
                                       double               size,
                                       gboolean             active);

G_END_DECLS
