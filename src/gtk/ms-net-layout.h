/* ms-net-layout.h: the geometry of the network view, without drawing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pure functions the network view uses and the tests check: the order of the zones (one
 * per network, neighbours side by side so that each router sits between the two networks
 * it joins), the routers a message crosses, and where labels go so that they cover no
 * node and no other label.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  double x, y, w, h;
} MsRect;

gboolean ms_rect_intersects (const MsRect *a,
                             const MsRect *b);

/* Zones joined by routers: @edges holds n_edges pairs (a, b) of zone indices. Fills
 * @order (n_zones entries) with a left-to-right order in which joined zones are
 * neighbours where the graph allows: a walk from a zone at the end of a chain (the first
 * such zone in index order), then any zone not reached, in index order. */
void     ms_net_order_zones   (guint        n_zones,
                               const guint *edges,
                               guint        n_edges,
                               guint       *order);

/* The routers between zone @from and zone @to (shortest walk over @edges; @edge_router[k]
 * is the node that joins edges[2k] and edges[2k+1]). Appends node indices to @path; FALSE
 * when @to cannot be reached. */
gboolean ms_net_route         (guint        n_zones,
                               const guint *edges,
                               const guint *edge_router,
                               guint        n_edges,
                               guint        from,
                               guint        to,
                               GArray      *path);

/* One label to place: its size and the points it may be centred on, best first. */
typedef struct
{
  double        w, h;
  const double *candidates;  /* x0, y0, x1, y1, ... */
  guint         n_candidates;
  /* out */
  MsRect        placed;
  gboolean      clear;       /* placed without covering anything */
} MsLabelRequest;

/* Places the labels in order: each on its first candidate that stays inside @bounds and
 * covers none of @obstacles nor a label placed before; when none is free, on the one
 * that covers the least area. Returns how many labels found a free place. */
guint    ms_net_place_labels  (const MsRect   *obstacles,
                               guint           n_obstacles,
                               const MsRect   *bounds,
                               MsLabelRequest *labels,
                               guint           n_labels);

/* Candidate centres for a label of w×h along a polyline (n points), beside each segment
 * (above, below, or left/right of steep segments), spread from the middle outwards.
 * Returns a new array of x, y pairs; *n_out gets the number of points. */
double  *ms_net_label_candidates (const double *points,
                                  guint         n_points,
                                  double        w,
                                  double        h,
                                  double        gap,
                                  guint        *n_out);

G_END_DECLS
