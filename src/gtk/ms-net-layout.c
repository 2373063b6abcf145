/* ms-net-layout.c: zone order, routes and label placement for the network view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <math.h>

#include "ms-net-layout.h"

/* Candidate positions per segment and side: a label may slide this far along it. */
#define LABEL_STEPS 7

gboolean
ms_rect_intersects (const MsRect *a,
                    const MsRect *b)
{
  return a->x < b->x + b->w && b->x < a->x + a->w
         && a->y < b->y + b->h && b->y < a->y + a->h;
}

static double
overlap_area (const MsRect *a,
              const MsRect *b)
{
  double w = MIN (a->x + a->w, b->x + b->w) - MAX (a->x, b->x);
  double h = MIN (a->y + a->h, b->y + b->h) - MAX (a->y, b->y);

  return w > 0 && h > 0 ? w * h : 0;
}

static guint
degree (guint        zone,
        const guint *edges,
        guint        n_edges)
{
  guint d = 0;

  for (guint k = 0; k < n_edges; k++)
    d += (edges[2 * k] == zone) + (edges[2 * k + 1] == zone);
  return d;
}

static void
walk (guint        zone,
      guint        n_zones,
      const guint *edges,
      guint        n_edges,
      gboolean    *seen,
      guint       *order,
      guint       *n)
{
  seen[zone] = TRUE;
  order[(*n)++] = zone;
  /* neighbours in index order: the scenario's own order breaks ties */
  for (guint z = 0; z < n_zones; z++)
    {
      if (seen[z])
        continue;
      for (guint k = 0; k < n_edges; k++)
        if ((edges[2 * k] == zone && edges[2 * k + 1] == z)
            || (edges[2 * k + 1] == zone && edges[2 * k] == z))
          {
            walk (z, n_zones, edges, n_edges, seen, order, n);
            break;
          }
    }
}

void
ms_net_order_zones (guint        n_zones,
                    const guint *edges,
                    guint        n_edges,
                    guint       *order)
{
  g_autofree gboolean *seen = g_new0 (gboolean, MAX (n_zones, 1));
  guint n = 0;

  while (n < n_zones)
    {
      guint start = G_MAXUINT;

      /* the first zone not placed yet that ends a chain, else the first not placed */
      for (guint z = 0; z < n_zones && start == G_MAXUINT; z++)
        if (!seen[z] && degree (z, edges, n_edges) == 1)
          start = z;
      for (guint z = 0; z < n_zones && start == G_MAXUINT; z++)
        if (!seen[z])
          start = z;
      walk (start, n_zones, edges, n_edges, seen, order, &n);
    }
}

gboolean
ms_net_route (guint        n_zones,
              const guint *edges,
              const guint *edge_router,
              guint        n_edges,
              guint        from,
              guint        to,
              GArray      *path)
{
  g_autofree guint *via = NULL;   /* edge index + 1 by which a zone was reached */
  g_autofree guint *queue = NULL;
  guint head = 0, tail = 0;
  g_autoptr(GArray) back = NULL;

  if (from >= n_zones || to >= n_zones)
    return FALSE;
  if (from == to)
    return TRUE;
  via = g_new0 (guint, n_zones);
  queue = g_new (guint, n_zones);
  queue[tail++] = from;
  via[from] = G_MAXUINT;
  while (head < tail && via[to] == 0)
    {
      guint z = queue[head++];

      for (guint k = 0; k < n_edges; k++)
        {
          guint other = edges[2 * k] == z ? edges[2 * k + 1]
                        : edges[2 * k + 1] == z ? edges[2 * k] : G_MAXUINT;

          if (other < n_zones && via[other] == 0)
            {
              via[other] = k + 1;
              queue[tail++] = other;
            }
        }
    }
  if (via[to] == 0)
    return FALSE;
  back = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint z = to; z != from;)
    {
      guint k = via[z] - 1;

      g_array_append_val (back, edge_router[k]);
      z = edges[2 * k] == z ? edges[2 * k + 1] : edges[2 * k];
    }
  for (guint i = back->len; i-- > 0;)
    {
      guint router = g_array_index (back, guint, i);

      /* one router may join both zones of two hops: once on the path */
      if (path->len == 0 || g_array_index (path, guint, path->len - 1) != router)
        g_array_append_val (path, router);
    }
  return TRUE;
}

guint
ms_net_place_labels (const MsRect   *obstacles,
                     guint           n_obstacles,
                     const MsRect   *bounds,
                     MsLabelRequest *labels,
                     guint           n_labels)
{
  guint n_clear = 0;

  for (guint i = 0; i < n_labels; i++)
    {
      MsLabelRequest *label = &labels[i];
      double best_cover = G_MAXDOUBLE;

      label->clear = FALSE;
      label->placed = (MsRect) { 0, 0, label->w, label->h };
      for (guint c = 0; c < label->n_candidates; c++)
        {
          MsRect r = { label->candidates[2 * c] - label->w / 2,
                       label->candidates[2 * c + 1] - label->h / 2, label->w, label->h };
          double cover = 0;

          /* outside the picture counts as covered, by how much sticks out */
          if (bounds != NULL
              && (r.x < bounds->x || r.y < bounds->y || r.x + r.w > bounds->x + bounds->w
                  || r.y + r.h > bounds->y + bounds->h))
            cover += MAX (r.w * r.h - overlap_area (&r, bounds), 1e-3);
          for (guint o = 0; o < n_obstacles; o++)
            cover += overlap_area (&r, &obstacles[o]);
          for (guint p = 0; p < i; p++)
            cover += overlap_area (&r, &labels[p].placed);
          if (cover < best_cover)
            {
              best_cover = cover;
              label->placed = r;
            }
          if (cover <= 0)
            {
              label->clear = TRUE;
              break;
            }
        }
      n_clear += label->clear;
    }
  return n_clear;
}

double *
ms_net_label_candidates (const double *points,
                         guint         n_points,
                         double        w,
                         double        h,
                         double        gap,
                         guint        *n_out)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (double));
  /* middle first, then outwards: 0.5, 0.35, 0.65, 0.2, 0.8, ... */
  static const double along[LABEL_STEPS] = { 0.5, 0.36, 0.64, 0.22, 0.78, 0.1, 0.9 };

  for (guint ring = 0; ring < 2; ring++)
  for (guint step = 0; step < LABEL_STEPS; step++)
    for (guint side = 0; side < 2; side++)
      for (guint s = 0; s + 1 < n_points; s++)
        {
          double x0 = points[2 * s], y0 = points[2 * s + 1];
          double x1 = points[2 * s + 2], y1 = points[2 * s + 3];
          double mx = x0 + along[step] * (x1 - x0), my = y0 + along[step] * (y1 - y0);
          double dx = x1 - x0, dy = y1 - y0;
          double len = hypot (dx, dy);
          double cx, cy;

          if (len < 1e-6)
            continue;
          if (fabs (dy) <= fabs (dx))
            {
              /* flat: above or below; the label's half height plus the gap, more when the
               * segment climbs under the label's half width */
              double rise = fabs (dy / dx) * w / 2;
              double off = h / 2 + gap + rise + ring * h * 1.2;

              cx = mx;
              cy = my + (side == 0 ? -off : off);
            }
          else
            {
              double run = fabs (dx / dy) * h / 2;
              double off = w / 2 + gap + run + ring * h * 1.2;

              cx = mx + (side == 0 ? off : -off);
              cy = my;
            }
          g_array_append_val (out, cx);
          g_array_append_val (out, cy);
        }
  *n_out = out->len / 2;
  return (double *) (gpointer) g_array_free (out, FALSE);
}
