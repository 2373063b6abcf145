/* ms-render-network.c: the network view: zones, nodes with icons, links, the message
 * travelling, dropped packets and policy badges
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The picture is laid out at its natural size (text measured at the style's scale), then
 * laid out again at the scale that fills the widget, and cached until the size, the style
 * or the trace changes: a frame of the animation only draws.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ms-render-private.h"
#include "ms-text-format.h"

#define NET_ICON        34.0   /* icon size at scale 1 */
#define NET_PAD         10.0
#define NET_MIN_FIT     0.55   /* never smaller than this share of the style's scale */
#define NET_MAX_FIT     2.2    /* nor larger */
#define NET_MAX_ROWS    4      /* nodes of a zone under one another, at most */
#define NET_GOOD_FIT    0.8    /* smaller than this: fewer lines of text per node */

typedef struct
{
  double  x, y;    /* icon centre */
  MsRect  block;   /* icon and its labels */
  double  text_top;
} NodeGeom;

typedef struct
{
  /* key */
  double     width, height, scale;
  gboolean   high_contrast;
  /* natural units times fit: device pixels */
  double     s;            /* the scale everything below was laid out at */
  double     w, h;
  double     caption_y;
  MsRect    *zone_rects;
  MsRect    *zone_titles;
  NodeGeom  *nodes;
  MsRect    *link_labels;
  char     **link_texts;
  MsRect    *obstacles;    /* node blocks, zone titles, link labels */
  guint      n_obstacles;
  gboolean   dark;
  guint      detail;       /* how many lines of text (node_lines) */
  cairo_surface_t *picture;  /* draw_static's image, made on first use */
} NetGeom;

static void
net_geom_free (gpointer data)
{
  NetGeom *g = data;

  if (g == NULL)
    return;
  g_free (g->zone_rects);
  g_free (g->zone_titles);
  g_free (g->nodes);
  g_free (g->link_labels);
  g_strfreev (g->link_texts);
  g_free (g->obstacles);
  g_clear_pointer (&g->picture, cairo_surface_destroy);
  g_free (g);
}

typedef struct
{
  PangoLayout *bold;
  PangoLayout *small;
  PangoLayout *title;
  PangoLayout *title_wrap;  /* a long zone title on two lines */
  double       lh_small;
  double       lh_bold;
} Texts;

static void
texts_init (Texts               *t,
            cairo_t             *cr,
            const MsRenderStyle *style)
{
  int w, h;

  t->bold = ms_render_new_text (cr, style, BASE_FONT_SIZE, TRUE);
  t->small = ms_render_new_text (cr, style, BASE_FONT_SIZE * 0.88, FALSE);
  t->title = ms_render_new_text (cr, style, BASE_FONT_SIZE * 1.1, TRUE);
  t->title_wrap = ms_render_new_text (cr, style, BASE_FONT_SIZE * 1.1, TRUE);
  pango_layout_set_ellipsize (t->title_wrap, PANGO_ELLIPSIZE_NONE);
  pango_layout_set_single_paragraph_mode (t->title_wrap, FALSE);
  pango_layout_set_wrap (t->title_wrap, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (t->title_wrap, PANGO_ALIGN_CENTER);
  ms_render_text_size (t->small, "Ag", &w, &h);
  t->lh_small = h;
  ms_render_text_size (t->bold, "Ag", &w, &h);
  t->lh_bold = h;
}

static void
texts_clear (Texts *t)
{
  g_clear_object (&t->bold);
  g_clear_object (&t->small);
  g_clear_object (&t->title);
  g_clear_object (&t->title_wrap);
}

static double
width_of (PangoLayout *layout,
          const char  *text)
{
  int w, h;

  ms_render_text_size (layout, text, &w, &h);
  return w;
}

/* ":25 :110 :587 :53/udp" */
static char *
ports_text (const MsLayoutNode *node)
{
  GString *out = g_string_new (NULL);

  for (guint k = 0; node->ports != NULL && node->ports[k] != NULL; k++)
    {
      const char *slash = strchr (node->ports[k], '/');
      gboolean tcp = slash == NULL || strcmp (slash, "/tcp") == 0;

      g_string_append_printf (out, "%s:%.*s%s", k ? " " : "",
                              (int) (slash ? slash - node->ports[k] : (int) strlen (node->ports[k])),
                              node->ports[k], tcp ? "" : slash);
    }
  return g_string_free (out, FALSE);
}

/* The text lines under a node's icon: role, name, address(es), ports; fewer at a lower
 * @detail (2: all, 1: no ports and no router addresses, 0: role and name). */
static GPtrArray *
node_lines (const MsLayoutNode *node,
            guint               detail,
            guint              *n_bold)
{
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (lines, g_strdup (node->role ? node->role : ""));
  *n_bold = 1;
  /* a node called "router" that is a router: once */
  if (g_ascii_strcasecmp (node->name, node->role ? node->role : "") != 0)
    {
      g_ptr_array_add (lines, g_strdup (node->name));
      *n_bold = 2;
    }
  if (detail == 0)
    return lines;
  if (node->is_router && node->addresses != NULL && node->addresses[0] != NULL)
    {
      for (guint k = 0; detail > 1 && node->addresses[k] != NULL && k < 3; k++)
        g_ptr_array_add (lines, g_strdup (node->addresses[k]));
    }
  else if (node->address != NULL && g_strcmp0 (node->address, node->name) != 0)
    g_ptr_array_add (lines, g_strdup (node->address));
  if (detail > 1 && node->ports != NULL && node->ports[0] != NULL)
    g_ptr_array_add (lines, ports_text (node));
  return lines;
}

static char *
zone_subtitle (const MsLayoutZone *zone,
               guint               detail,
               guint               line)
{
  if (detail == 0 || (detail == 1 && line > 0))
    return NULL;
  /* no topology: the prefix is the title */
  if (zone->kind == NULL)
    return NULL;
  if (line == 0)
    {
      if (ms_render_zone_kind_label (zone->kind) == NULL)
        return zone->cidrs && zone->cidrs[0] ? g_strdup (zone->cidrs[0]) : NULL;
      if (g_strcmp0 (zone->name, zone->kind) == 0)
        return zone->cidrs && zone->cidrs[0] ? g_strdup (zone->cidrs[0]) : NULL;
      return zone->cidrs && zone->cidrs[0] ? g_strdup_printf ("%s · %s", zone->name, zone->cidrs[0])
                                           : g_strdup (zone->name);
    }
  if (zone->cidrs == NULL)
    return NULL;
  for (guint k = 0; zone->cidrs[k] != NULL; k++)
    if (k == line)
      return g_strdup (zone->cidrs[k]);
  return NULL;
}

static const char *
zone_title (const MsLayoutZone *zone)
{
  const char *label = ms_render_zone_kind_label (zone->kind);

  if (label != NULL)
    return label;
  if (zone->kind != NULL)
    return zone->kind;
  /* no topology: zones are address prefixes */
  return zone->cidrs != NULL && zone->cidrs[0] != NULL ? zone->cidrs[0] : _("Network");
}

static char *
link_text (const LayoutLink *link)
{
  g_autofree char *name = g_ascii_strup (ms_protocol_to_string (link->protocol), -1);

  if (link->protocol == MS_PROTOCOL_UNKNOWN)
    return NULL;  /* a dropped packet's way: the cross and the reason say it */
  return g_strdup_printf ("%s :%u%s", name, link->port, link->tls ? " TLS" : "");
}

/* Lays everything out at text scale style->scale; returns the natural size. */
static NetGeom *
net_layout (cairo_t             *cr,
            MsTraceLayout       *layout,
            const MsRenderStyle *style,
            guint                max_rows,
            guint                detail)
{
  NetGeom *g = g_new0 (NetGeom, 1);
  guint n_zones = layout->zones->len, n_nodes = layout->nodes->len;
  double s = style->scale;
  double pad = NET_PAD * s, icon = NET_ICON * s;
  g_autofree double *zone_w = g_new0 (double, MAX (n_zones, 1));
  g_autofree double *title_h = g_new0 (double, MAX (n_zones, 1));
  g_autofree double *cell_w = g_new0 (double, MAX (n_zones, 1));
  g_autofree double *cell_h = g_new0 (double, MAX (n_zones, 1));
  g_autofree guint *rows = g_new0 (guint, MAX (n_zones, 1));
  g_autofree guint *cols = g_new0 (guint, MAX (n_zones, 1));
  g_autofree guint *count = g_new0 (guint, MAX (n_zones, 1));
  g_autofree double *gap_w = g_new0 (double, MAX (n_zones, 1));    /* after zone p */
  g_autofree double *block_w = g_new0 (double, MAX (n_nodes, 1));
  g_autofree double *block_h = g_new0 (double, MAX (n_nodes, 1));
  g_autofree guint *slot = g_new0 (guint, MAX (n_nodes, 1));
  g_autoptr(GArray) obstacles = g_array_new (FALSE, FALSE, sizeof (MsRect));
  g_autofree MsLabelRequest *requests = NULL;
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (g_free);
  double x, body_top, body_h = 0, top = pad;
  Texts t;
  MsRect bounds;

  texts_init (&t, cr, style);
  g->s = s;
  g->detail = detail;
  g->zone_rects = g_new0 (MsRect, MAX (n_zones, 1));
  g->zone_titles = g_new0 (MsRect, MAX (n_zones, 1));
  g->nodes = g_new0 (NodeGeom, MAX (n_nodes, 1));
  g->link_labels = g_new0 (MsRect, MAX (layout->links->len, 1));
  g->link_texts = g_new0 (char *, layout->links->len + 1);

  /* node blocks */
  for (guint i = 0; i < n_nodes; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
      guint n_bold;
      g_autoptr(GPtrArray) lines = NULL;
      double w = icon;

      if (!layout->node_shown[i])
        continue;
      lines = node_lines (node, detail, &n_bold);

      for (guint k = 0; k < lines->len; k++)
        w = MAX (w, width_of (k < n_bold ? t.bold : t.small, lines->pdata[k]));
      block_w[i] = w + 4 * s;
      block_h[i] = icon + 3 * s + n_bold * t.lh_bold + (lines->len - n_bold) * t.lh_small;
      if (node->zone_right != G_MAXUINT)
        gap_w[node->zone_index] = MAX (gap_w[node->zone_index], block_w[i] + 2 * pad);
      else if (node->zone_index < n_zones)
        {
          guint z = node->zone_index;

          slot[i] = count[z]++;
          cell_w[z] = MAX (cell_w[z], block_w[i]);
          cell_h[z] = MAX (cell_h[z], block_h[i]);
        }
    }

  /* zones: a title, then their nodes in a grid (one column for up to three) */
  for (guint z = 0; z < n_zones; z++)
    {
      MsLayoutZone *zone = g_ptr_array_index (layout->zones, z);
      double title_w = width_of (t.title, zone_title (zone)), tw = 0, cells, limit;
      int wrapped_w, wrapped_h;

      if (!layout->zone_shown[z])
        continue;
      title_h[z] = 0;
      for (guint line = 0;; line++)
        {
          g_autofree char *sub = zone_subtitle (zone, g->detail, line);

          if (sub == NULL)
            break;
          tw = MAX (tw, width_of (t.small, sub));
          title_h[z] += t.lh_small;
        }
      rows[z] = MIN (count[z], max_rows);
      cols[z] = rows[z] == 0 ? 0 : (count[z] + rows[z] - 1) / rows[z];
      /* room under each node for a badge or two */
      cell_h[z] += 1.3 * t.lh_small + pad;
      cell_w[z] += pad * 1.5;
      cells = cols[z] * cell_w[z] * (cols[z] == 1 && count[z] > 1 ? 1.6 : 1.0);
      /* a title much wider than the rest goes on two lines */
      limit = MAX (MAX (tw, cells), zone->kind != NULL ? title_w * 0.6 : title_w);
      pango_layout_set_text (t.title_wrap, zone_title (zone), -1);
      pango_layout_set_width (t.title_wrap, (int) (MIN (limit, title_w + 1) * PANGO_SCALE));
      pango_layout_get_pixel_size (t.title_wrap, &wrapped_w, &wrapped_h);
      title_h[z] += wrapped_h + 0.15 * t.lh_bold + pad * 0.6;
      tw = MAX (tw, MIN (limit, title_w + 1));
      zone_w[z] = MAX (tw, cells) + 2 * pad;
      body_h = MAX (body_h, title_h[z] + rows[z] * cell_h[z]
                            * (rows[z] == 1 && count[z] > 1 ? 1.3 : 1.0));
    }
  /* routers not on a border (no topology) sit in their zone's grid already */
  for (guint z = 0; z < n_zones; z++)
    if (gap_w[z] == 0)
      gap_w[z] = pad;
  /* routers on a border stacked in the middle of the body */
  {
    g_autofree guint *in_gap = g_new0 (guint, MAX (n_zones, 1));
    g_autofree guint *gap_count = g_new0 (guint, MAX (n_zones, 1));
    double router_h = 0;

    for (guint i = 0; i < n_nodes; i++)
      {
        MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

        if (node->zone_right != G_MAXUINT)
          {
            slot[i] = gap_count[node->zone_index]++;
            router_h = MAX (router_h, block_h[i] + 1.3 * t.lh_small + pad);
          }
      }
    for (guint z = 0; z < n_zones; z++)
      body_h = MAX (body_h, gap_count[z] * router_h + pad);
    body_top = top;
    g->caption_y = body_top + body_h + pad * 1.5;
    g->h = g->caption_y + t.lh_bold * 1.6 + pad;

    x = pad;
    for (guint z = 0, last = G_MAXUINT; z < n_zones; z++)
      {
        if (!layout->zone_shown[z])
          continue;
        /* the gap after the zone shown before this one */
        if (last != G_MAXUINT)
          x += gap_w[last];
        g->zone_rects[z] = (MsRect) { x, body_top, zone_w[z], body_h };
        g->zone_titles[z] = (MsRect) { x, body_top, zone_w[z], title_h[z] };
        x += zone_w[z];
        last = z;
      }
    g->w = x + pad;

    for (guint i = 0; i < n_nodes; i++)
      {
        MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
        NodeGeom *ng = &g->nodes[i];
        guint z = MIN (node->zone_index, n_zones ? n_zones - 1 : 0);

        if (!layout->node_shown[i])
          continue;
        if (n_zones == 0)
          {
            ng->x = pad + block_w[i] / 2 + i * (block_w[i] + pad);
            ng->y = body_top + icon / 2;
          }
        else if (node->zone_right != G_MAXUINT)
          continue;  /* routers on borders: below, once the others are placed */
        else
          {
            MsRect *zr = &g->zone_rects[z];
            guint row = slot[i] % MAX (rows[z], 1), col = slot[i] / MAX (rows[z], 1);
            double grid_w = cols[z] * cell_w[z];
            double free_h = body_h - title_h[z] - rows[z] * cell_h[z];

            if (rows[z] == 1 && count[z] > 1)
              free_h = MAX (0, free_h - 0.3 * cell_h[z]) + 0.3 * cell_h[z];

            ng->x = zr->x + (zr->w - grid_w) / 2 + (col + 0.5) * cell_w[z];
            /* one column: zig-zag, so that a link between two of them runs beside the
             * labels rather than through them */
            if (cols[z] == 1 && count[z] > 1)
              ng->x += (row % 2 == 0 ? -0.3 : 0.3) * cell_w[z];
            ng->y = body_top + title_h[z] + free_h / 2 + row * cell_h[z] + icon / 2 + pad * 0.4;
            /* one row: the same, up and down */
            if (rows[z] == 1 && count[z] > 1)
              ng->y += (col % 2 == 0 ? -0.15 : 0.15) * cell_h[z];
          }
        ng->text_top = ng->y + icon / 2 + 3 * s;
        ng->block = (MsRect) { ng->x - block_w[i] / 2, ng->y - icon / 2, block_w[i], block_h[i] };
        g_array_append_val (obstacles, ng->block);
      }

    /* routers on the borders, all at one height: the one where the lines between them
     * cross the fewest icons of the zones they pass, nearest the middle */
    {
      double lo = body_top + icon / 2 + pad / 2;
      double hi = body_top + body_h - router_h + icon / 2 + pad / 2;
      double middle = body_top + (body_h - router_h) / 2 + icon / 2 + pad / 2;
      double best_y = middle, best_score = G_MAXDOUBLE;

      for (double y = lo; y <= hi + 0.01; y += icon / 4)
        {
          double score = fabs (y - middle) / (body_h + 1);

          for (guint i = 0; i < n_nodes; i++)
            {
              MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

              MsRect *b = &g->nodes[i].block;

              if (!layout->node_shown[i] || node->zone_right != G_MAXUINT)
                continue;
              /* through an icon: bad; through its labels or a title: less so */
              if (fabs (g->nodes[i].y - y) < icon * 0.8)
                score += 1;
              else if (y > b->y - icon * 0.2 && y < b->y + b->h + icon * 0.2)
                score += 0.4;
            }
          for (guint z = 0; z < n_zones; z++)
            if (layout->zone_shown[z] && y < g->zone_titles[z].y + g->zone_titles[z].h + icon * 0.2)
              score += 0.6;
          if (score < best_score)
            {
              best_score = score;
              best_y = y;
            }
        }
      for (guint i = 0; i < n_nodes; i++)
        {
          MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
          NodeGeom *ng = &g->nodes[i];
          guint z = node->zone_index;

          if (!layout->node_shown[i] || node->zone_right == G_MAXUINT || z >= n_zones)
            continue;
          in_gap[z]++;
          ng->x = g->zone_rects[z].x + g->zone_rects[z].w + gap_w[z] / 2;
          ng->y = best_y + (slot[i] - (gap_count[z] - 1) / 2.0) * router_h;
          ng->text_top = ng->y + icon / 2 + 3 * s;
          ng->block = (MsRect) { ng->x - block_w[i] / 2, ng->y - icon / 2, block_w[i],
                                 block_h[i] };
          g_array_append_val (obstacles, ng->block);
        }
    }
  }
  for (guint z = 0; z < n_zones; z++)
    if (layout->zone_shown[z])
      g_array_append_val (obstacles, g->zone_titles[z]);

  /* link labels: beside their way, clear of every node, title and other label */
  requests = g_new0 (MsLabelRequest, MAX (layout->links->len, 1));
  for (guint l = 0; l < layout->links->len; l++)
    {
      LayoutLink *link = &g_array_index (layout->links, LayoutLink, l);
      g_autofree double *points = g_new (double, 2 * link->path->len);
      double *cands;
      guint n;
      int w, h;

      g->link_texts[l] = link_text (link);
      if (g->link_texts[l] == NULL)
        continue;
      for (guint k = 0; k < link->path->len; k++)
        {
          NodeGeom *ng = &g->nodes[g_array_index (link->path, guint, k)];

          points[2 * k] = ng->x;
          points[2 * k + 1] = ng->y;
        }
      ms_render_text_size (t.small, g->link_texts[l], &w, &h);
      requests[l].w = w + 6 * s;
      requests[l].h = h + 2 * s;
      cands = ms_net_label_candidates (points, link->path->len, requests[l].w, requests[l].h,
                                       2 * s, &n);
      g_ptr_array_add (candidates, cands);
      requests[l].candidates = cands;
      requests[l].n_candidates = n;
    }
  bounds = (MsRect) { 0, 0, g->w, g->caption_y };
  ms_net_place_labels ((MsRect *) (gpointer) obstacles->data, obstacles->len, &bounds, requests,
                       layout->links->len);
  for (guint l = 0; l < layout->links->len; l++)
    if (g->link_texts[l] != NULL)
      {
        g->link_labels[l] = requests[l].placed;
        g_array_append_val (obstacles, requests[l].placed);
      }
  g->n_obstacles = obstacles->len;
  g->obstacles = (MsRect *) (gpointer) g_array_free (g_steal_pointer (&obstacles), FALSE);
  texts_clear (&t);
  return g;
}

static NetGeom *
net_geometry (cairo_t             *cr,
              MsTraceLayout       *layout,
              const MsRenderStyle *style,
              double               width,
              double               height)
{
  NetGeom *g = layout->net_cache;
  MsRenderStyle fitted = *style;
  double fit;
  guint best_rows = 1, detail;

  if (g != NULL && g->width == width && g->height == height && g->scale == style->scale
      && g->high_contrast == style->high_contrast && g->dark == style->dark)
    return g;
  if (layout->net_cache_free != NULL)
    layout->net_cache_free (layout->net_cache);
  layout->net_cache = NULL;
  /* nodes of a zone under one another, or side by side: whichever fills more; all the
   * text when it can be read at NET_GOOD_FIT of the style's size, else less */
  for (detail = 2;; detail--)
    {
      fit = 0;
      for (guint rows = 1; rows <= MIN (NET_MAX_ROWS, layout->nodes->len); rows++)
        {
          NetGeom *tried = net_layout (cr, layout, style, rows, detail);
          double f = MIN (width / tried->w, height / tried->h);

          if (f > fit * 1.03)
            {
              fit = f;
              best_rows = rows;
            }
          net_geom_free (tried);
        }
      if (fit >= NET_GOOD_FIT || detail == 0)
        break;
    }
  fitted.scale = style->scale * CLAMP (fit, NET_MIN_FIT, NET_MAX_FIT);
  g = net_layout (cr, layout, &fitted, best_rows, detail);
  g->width = width;
  g->height = height;
  g->scale = style->scale;
  g->high_contrast = style->high_contrast;
  g->dark = style->dark;
  layout->net_cache = g;
  layout->net_cache_free = net_geom_free;
  return g;
}

static void
path_points (NetGeom          *g,
             const LayoutLink *link,
             double           *points)
{
  for (guint k = 0; k < link->path->len; k++)
    {
      NodeGeom *ng = &g->nodes[g_array_index (link->path, guint, k)];

      points[2 * k] = ng->x;
      points[2 * k + 1] = ng->y;
    }
}

/* The point at @phase (0..1) of the way along the polyline; reversed when @back. */
static void
point_along (const double *points,
             guint         n,
             double        phase,
             gboolean      back,
             double       *x,
             double       *y)
{
  double total = 0, want, walked = 0;

  if (back)
    phase = 1.0 - phase;
  for (guint i = 0; i + 1 < n; i++)
    total += hypot (points[2 * i + 2] - points[2 * i], points[2 * i + 3] - points[2 * i + 1]);
  want = CLAMP (phase, 0.0, 1.0) * total;
  for (guint i = 0; i + 1 < n; i++)
    {
      double seg = hypot (points[2 * i + 2] - points[2 * i], points[2 * i + 3] - points[2 * i + 1]);

      if (walked + seg >= want && seg > 0)
        {
          double f = (want - walked) / seg;

          *x = points[2 * i] + f * (points[2 * i + 2] - points[2 * i]);
          *y = points[2 * i + 1] + f * (points[2 * i + 3] - points[2 * i + 1]);
          return;
        }
      walked += seg;
    }
  *x = points[2 * (n - 1)];
  *y = points[2 * (n - 1) + 1];
}

static void
stroke_path (cairo_t      *cr,
             const double *points,
             guint         n)
{
  cairo_move_to (cr, points[0], points[1]);
  for (guint k = 1; k < n; k++)
    cairo_line_to (cr, points[2 * k], points[2 * k + 1]);
  cairo_stroke (cr);
}

/* The link the current step travels on, or G_MAXUINT. */
static guint
current_link (MsPlaybackModel *model,
              MsTraceLayout   *layout,
              const MsStep    *current)
{
  if (current == NULL)
    return G_MAXUINT;
  if (current->kind == MS_STEP_EVENT)
    return layout->event_link[current->index];
  if (current->session_index < layout->sessions->len)
    {
      const LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession,
                                                current->session_index);

      if (ls->link != G_MAXUINT)
        return ls->link;
      /* the mirror of a connection: the other side's link */
      for (guint l = 0; l < layout->links->len; l++)
        {
          LayoutLink *link = &g_array_index (layout->links, LayoutLink, l);

          if (link->from == ls->client && link->to == ls->server && link->port == ls->port)
            return l;
        }
    }
  return G_MAXUINT;
}

typedef struct
{
  char    *label;
  guint    node;
  gboolean bad;
  char    *check;   /* one badge per check and node: the latest wins */
} Badge;

static void
badge_clear (gpointer data)
{
  Badge *b = data;

  g_free (b->label);
  g_free (b->check);
}

/* Decisions since the story's step began (the last narration), latest per check and
 * node; walked back from the cursor, at most NET_MAX_BADGE_EVENTS events. */
#define NET_MAX_BADGE_EVENTS 256

static GArray *
collect_badges (MsPlaybackModel *model,
                MsTraceLayout   *layout)
{
  GArray *badges = g_array_new (FALSE, TRUE, sizeof (Badge));
  guint n_event_steps, cursor = ms_playback_model_get_cursor (model), end = 0, walked = 0;
  const guint *event_steps = ms_playback_model_get_event_steps (model, &n_event_steps);

  g_array_set_clear_func (badges, badge_clear);
  while (end < n_event_steps && event_steps[end] <= cursor)
    end++;
  for (guint k = end; k-- > 0 && walked < NET_MAX_BADGE_EVENTS; walked++)
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (
        model, ms_playback_model_get_step (model, event_steps[k]));
      Badge badge = { 0 };
      gboolean seen = FALSE;

      if (event == NULL)
        continue;
      if (strcmp (event->type, "narration") == 0)
        break;
      badge.node = ms_render_event_node (layout, event);
      if (badge.node == G_MAXUINT)
        continue;
      badge.check = g_strdup (json_object_get_string_member_with_default (event->fields, "check",
                                                                          event->type));
      for (guint b = 0; b < badges->len && !seen; b++)
        {
          Badge *later = &g_array_index (badges, Badge, b);

          seen = later->node == badge.node && strcmp (later->check, badge.check) == 0;
        }
      if (!seen)
        badge.label = ms_render_badge_label (event, &badge.bad);
      if (badge.label == NULL)
        {
          g_free (badge.check);
          continue;
        }
      g_array_prepend_val (badges, badge);
    }
  return badges;
}

static void
draw_node (cairo_t             *cr,
           const MsRenderStyle *style,
           guint                detail,
           const MsLayoutNode  *node,
           const NodeGeom      *ng,
           double               icon,
           gboolean             active,
           Texts               *t)
{
  guint n_bold;
  g_autoptr(GPtrArray) lines = node_lines (node, detail, &n_bold);
  double y = ng->text_top, w = ng->block.w + 2 * style->scale;

  if (active)
    {
      ms_render_set_color (cr, style, MS_COLOR_CURRENT);
      cairo_arc (cr, ng->x, ng->y, icon * 0.72, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  ms_render_icon (cr, style, ms_render_icon_for_node (node), ng->x, ng->y, icon, active);
  /* a plate under the text: links that pass behind do not cross it */
  ms_render_set_color (cr, style, MS_COLOR_ZONE);
  ms_render_rounded_rect (cr, ng->block.x, ng->text_top - 1 * style->scale, ng->block.w,
                          ng->block.y + ng->block.h - ng->text_top + 2 * style->scale,
                          3 * style->scale);
  cairo_fill (cr);
  for (guint k = 0; k < lines->len; k++)
    {
      ms_render_set_color (cr, style, k == 0 ? MS_COLOR_COMMAND : k < n_bold ? MS_COLOR_FG
                                                                              : MS_COLOR_DIM);
      ms_render_text (cr, k < n_bold ? t->bold : t->small, lines->pdata[k], ng->x, y, w, 0.5);
      y += k < n_bold ? t->lh_bold : t->lh_small;
    }
}

/* What does not change from step to step: zones, links, their labels, nodes. */
static void
draw_static (cairo_t             *cr,
             MsTraceLayout       *layout,
             NetGeom             *g,
             const MsRenderStyle *style,
             Texts               *t)
{
  double s = g->s;

  /* zones */
  for (guint z = 0; z < layout->zones->len; z++)
    {
      MsLayoutZone *zone = g_ptr_array_index (layout->zones, z);
      MsRect *r = &g->zone_rects[z];
      double y = r->y + 4 * s;

      if (!layout->zone_shown[z])
        continue;
      ms_render_set_color (cr, style, MS_COLOR_ZONE);
      ms_render_rounded_rect (cr, r->x, r->y, r->w, r->h, 10 * s);
      cairo_fill_preserve (cr);
      ms_render_set_color (cr, style, MS_COLOR_LIFELINE);
      cairo_set_line_width (cr, ms_render_line_width (style) * 0.8);
      cairo_stroke (cr);
      ms_render_set_color (cr, style, MS_COLOR_FG);
      {
        int tw, th;

        pango_layout_set_text (t->title_wrap, zone_title (zone), -1);
        pango_layout_set_width (t->title_wrap, (int) ((r->w - 2 * NET_PAD * s + 2) * PANGO_SCALE));
        pango_layout_get_pixel_size (t->title_wrap, &tw, &th);
        cairo_move_to (cr, r->x + NET_PAD * s - 1, y);
        pango_cairo_show_layout (cr, t->title_wrap);
        y += th + 0.15 * t->lh_bold;
      }
      ms_render_set_color (cr, style, MS_COLOR_DIM);
      for (guint line = 0;; line++)
        {
          g_autofree char *sub = zone_subtitle (zone, g->detail, line);

          if (sub == NULL)
            break;
          ms_render_text (cr, t->small, sub, r->x + r->w / 2, y, r->w - 8 * s, 0.5);
          y += t->lh_small;
        }
    }

  /* links */
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint l = 0; l < layout->links->len; l++)
    {
      LayoutLink *link = &g_array_index (layout->links, LayoutLink, l);
      g_autofree double *points = g_new (double, 2 * link->path->len);

      if (link->protocol == MS_PROTOCOL_UNKNOWN)
        continue;
      path_points (g, link, points);
      ms_render_set_color (cr, style, MS_COLOR_LIFELINE);
      cairo_set_line_width (cr, ms_render_line_width (style));
      stroke_path (cr, points, link->path->len);
    }

  /* link labels where the layout found room */
  for (guint l = 0; l < layout->links->len; l++)
    {
      MsRect *r = &g->link_labels[l];

      if (g->link_texts[l] == NULL)
        continue;
      ms_render_set_color (cr, style, MS_COLOR_BG);
      ms_render_rounded_rect (cr, r->x, r->y, r->w, r->h, 3 * s);
      cairo_fill (cr);
      ms_render_set_color (cr, style, MS_COLOR_DIM);
      ms_render_text (cr, t->small, g->link_texts[l], r->x + r->w / 2, r->y + 1 * s, -1, 0.5);
    }

  /* nodes */
  for (guint i = 0; i < layout->nodes->len; i++)
    if (layout->node_shown[i])
      draw_node (cr, style, g->detail, g_ptr_array_index (layout->nodes, i), &g->nodes[i], NET_ICON * s,
                 FALSE, t);
}

/* A way between icons: each leg stops at the icons' edges (@r from their centres). */
static void
stroke_between_icons (cairo_t      *cr,
                      const double *points,
                      guint         n,
                      double        r)
{
  for (guint k = 0; k + 1 < n; k++)
    {
      double x0 = points[2 * k], y0 = points[2 * k + 1];
      double x1 = points[2 * k + 2], y1 = points[2 * k + 3];
      double len = hypot (x1 - x0, y1 - y0);

      if (len <= 2 * r)
        continue;
      cairo_move_to (cr, x0 + (x1 - x0) * r / len, y0 + (y1 - y0) * r / len);
      cairo_line_to (cr, x1 - (x1 - x0) * r / len, y1 - (y1 - y0) * r / len);
    }
  cairo_stroke (cr);
}

void
ms_network_render (cairo_t             *cr,
                   MsPlaybackModel     *model,
                   MsTraceLayout       *layout,
                   const MsRenderStyle *style,
                   double               width,
                   double               height,
                   double               phase)
{
  guint n_nodes = layout->nodes->len;
  const MsStep *current = ms_playback_model_get_current (model);
  guint cursor = ms_playback_model_get_cursor (model);
  guint n_event_steps;
  const guint *event_steps = ms_playback_model_get_event_steps (model, &n_event_steps);
  g_autoptr(GHashTable) blocked = g_hash_table_new (NULL, NULL);
  gboolean tagged_at_router = FALSE;  /* the current drop's reason is drawn at its router */
  g_autoptr(GArray) badges = NULL;
  g_autofree gboolean *active = NULL;
  MsRenderStyle fitted = *style;
  NetGeom *g;
  Texts t;
  double s, icon, ox, oy, residual;
  guint cur_link;
  gboolean use_picture;

  if (n_nodes == 0)
    {
      g_autoptr(PangoLayout) text = ms_render_new_text (cr, style, BASE_FONT_SIZE, FALSE);

      ms_render_set_color (cr, style, MS_COLOR_BG);
      cairo_paint (cr);
      ms_render_set_color (cr, style, MS_COLOR_DIM);
      ms_render_text (cr, text, _("No network yet: the trace has no sessions."), width / 2,
                      height / 2, width - 40, 0.5);
      return;
    }
  g = net_geometry (cr, layout, style, width, height);
  s = g->s;
  icon = NET_ICON * s;
  fitted.scale = s;
  residual = MIN (1.0, MIN (width / g->w, height / g->h));
  ox = MAX (0, (width - g->w * residual) / 2);
  oy = MAX (0, (height - g->h * residual) / 2);
  /* the picture that stays (zones, links, nodes): cached as an image of the whole view
   * for the screen, in the target's format and resolution; drawn each time for exports */
  use_picture = cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_IMAGE;
  if (use_picture)
    {
      double sx = 1, sy = 1;
      cairo_format_t format = cairo_image_surface_get_format (cairo_get_target (cr));

      cairo_surface_get_device_scale (cairo_get_target (cr), &sx, &sy);
      if (g->picture == NULL)
        {
          cairo_t *pc;
          Texts pt;

          g->picture = cairo_image_surface_create (format == CAIRO_FORMAT_INVALID
                                                   ? CAIRO_FORMAT_ARGB32 : format,
                                                   (int) ceil (width * sx),
                                                   (int) ceil (height * sy));
          cairo_surface_set_device_scale (g->picture, sx, sy);
          pc = cairo_create (g->picture);
          ms_render_set_color (pc, style, MS_COLOR_BG);
          cairo_paint (pc);
          cairo_translate (pc, ox, oy);
          if (residual < 1.0)
            cairo_scale (pc, residual, residual);
          texts_init (&pt, pc, &fitted);
          draw_static (pc, layout, g, &fitted, &pt);
          texts_clear (&pt);
          cairo_destroy (pc);
        }
      cairo_save (cr);
      cairo_set_operator (cr, CAIRO_OPERATOR_SOURCE);
      cairo_set_source_surface (cr, g->picture, 0, 0);
      cairo_paint (cr);
      cairo_restore (cr);
    }
  else
    {
      ms_render_set_color (cr, style, MS_COLOR_BG);
      cairo_paint (cr);
    }
  cairo_save (cr);
  cairo_translate (cr, ox, oy);
  if (residual < 1.0)
    cairo_scale (cr, residual, residual);
  style = &fitted;
  texts_init (&t, cr, style);
  active = g_new0 (gboolean, n_nodes);
  cur_link = current_link (model, layout, current);

  if (!use_picture)
    draw_static (cr, layout, g, style, &t);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* packets a router dropped, up to the cursor: their way, dashed */
  for (guint k = 0; k < n_event_steps && event_steps[k] <= cursor; k++)
    {
      const MsStep *step = ms_playback_model_get_step (model, event_steps[k]);
      guint l = layout->event_link[step->index];
      MsTraceEvent *event = ms_playback_model_get_step_event (model, step);
      static const double dash[] = { 7.0, 5.0 };
      LayoutLink *link;
      g_autofree double *points = NULL;

      if (l == G_MAXUINT || strcmp (event->type, "blocked") != 0
          || !g_hash_table_add (blocked, GUINT_TO_POINTER (l + 1)))
        continue;
      link = &g_array_index (layout->links, LayoutLink, l);
      points = g_new (double, 2 * link->path->len);
      path_points (g, link, points);
      ms_render_set_color (cr, style, MS_COLOR_BLOCK);
      cairo_set_line_width (cr, ms_render_line_width (style) * 1.5);
      cairo_set_dash (cr, dash, 2, 0);
      stroke_between_icons (cr, points, link->path->len, icon * 0.62);
      cairo_set_dash (cr, NULL, 0, 0);
    }

  /* the current step's way, thick */
  if (cur_link != G_MAXUINT)
    {
      LayoutLink *link = &g_array_index (layout->links, LayoutLink, cur_link);
      g_autofree double *points = g_new (double, 2 * link->path->len);

      path_points (g, link, points);
      ms_render_set_color (cr, style, link->protocol == MS_PROTOCOL_UNKNOWN ? MS_COLOR_BLOCK
                                                                            : MS_COLOR_COMMAND);
      cairo_set_line_width (cr, ms_render_line_width (style) * 2.4);
      stroke_between_icons (cr, points, link->path->len, icon * 0.62);
      active[link->from] = active[link->to] = TRUE;
    }

  /* a ring round the two ends of the current step */
  for (guint i = 0; i < n_nodes; i++)
    if (active[i] && layout->node_shown[i])
      {
        ms_render_set_color (cr, style, MS_COLOR_CURRENT);
        cairo_set_line_width (cr, 4 * s);
        cairo_arc (cr, g->nodes[i].x, g->nodes[i].y, icon * 0.66, 0, 2 * G_PI);
        cairo_stroke (cr);
      }

  /* the current link's label over the thick line */
  if (cur_link != G_MAXUINT && g->link_texts[cur_link] != NULL)
    {
      MsRect *r = &g->link_labels[cur_link];

      ms_render_set_color (cr, style, MS_COLOR_CURRENT);
      ms_render_rounded_rect (cr, r->x, r->y, r->w, r->h, 3 * s);
      cairo_fill (cr);
      ms_render_set_color (cr, style, MS_COLOR_FG);
      ms_render_text (cr, t.small, g->link_texts[cur_link], r->x + r->w / 2, r->y + 1 * s, -1, 0.5);
    }

  /* badges: the decisions of this part of the story, on the node that made them */
  badges = collect_badges (model, layout);
  if (badges->len > 0)
    {
      g_autofree MsLabelRequest *requests = g_new0 (MsLabelRequest, badges->len);
      g_autoptr(GPtrArray) cands = g_ptr_array_new_with_free_func (g_free);
      g_autofree guint *per_node = g_new0 (guint, n_nodes);
      MsRect bounds = { 0, 0, g->w, g->caption_y };

      for (guint b = 0; b < badges->len; b++)
        {
          Badge *badge = &g_array_index (badges, Badge, b);
          NodeGeom *ng = &g->nodes[badge->node];
          guint k = per_node[badge->node]++;
          double *c = g_new (double, 16);
          int w, h;
          double bh, bottom = ng->block.y + ng->block.h;

          ms_render_text_size (t.small, badge->label, &w, &h);
          requests[b].w = w + 12 * s;
          requests[b].h = h + 6 * s;
          bh = requests[b].h + 2 * s;
          /* under the labels, over the icon, beside the icon, stacked by how many */
          c[0] = ng->x; c[1] = bottom + bh * (k + 0.5);
          c[2] = ng->x; c[3] = ng->block.y - bh * (k + 0.5);
          c[4] = ng->x + icon / 2 + requests[b].w / 2 + 4 * s; c[5] = ng->y - icon * 0.3 + bh * k;
          c[6] = ng->x - icon / 2 - requests[b].w / 2 - 4 * s; c[7] = ng->y - icon * 0.3 + bh * k;
          c[8] = ng->x; c[9] = bottom + bh * (k + 1.5);
          c[10] = ng->x + ng->block.w / 2 + requests[b].w / 2; c[11] = bottom - bh * 0.5;
          c[12] = ng->x - ng->block.w / 2 - requests[b].w / 2; c[13] = bottom - bh * 0.5;
          c[14] = ng->x; c[15] = ng->block.y - bh * (k + 1.5);
          requests[b].candidates = c;
          requests[b].n_candidates = 8;
          g_ptr_array_add (cands, c);
        }
      ms_net_place_labels (g->obstacles, g->n_obstacles, &bounds, requests, badges->len);
      for (guint b = 0; b < badges->len; b++)
        {
          Badge *badge = &g_array_index (badges, Badge, b);
          MsRect *r = &requests[b].placed;

          /* no room: a failure is still shown (over something), a success is left to the
           * sequence diagram */
          if (!requests[b].clear && !badge->bad)
            continue;

          ms_render_badge (cr, t.small, style, badge->label, r->x + r->w / 2, r->y + r->h / 2,
                           r->w, 0, g->w, badge->bad ? MS_COLOR_5XX : MS_COLOR_2XX);
        }
    }

  /* the current step: an envelope on its way, or stopped with a cross at the router */
  if (cur_link != G_MAXUINT)
    {
      LayoutLink *link = &g_array_index (layout->links, LayoutLink, cur_link);
      g_autofree double *points = g_new (double, 2 * link->path->len);
      MsTraceLine *line = ms_playback_model_get_step_line (model, current);
      MsTraceEvent *event = ms_playback_model_get_step_event (model, current);
      gboolean back = line != NULL ? line->dir == MS_DIR_SERVER
                      : event != NULL && g_strcmp0 (json_object_get_string_member_with_default (
                                                      event->fields, "direction", NULL), "answer") == 0;
      double ex, ey;

      path_points (g, link, points);
      if (link->protocol == MS_PROTOCOL_UNKNOWN && event != NULL)
        {
          /* dropped: the envelope stops short of the router, crossed out */
          guint n = link->path->len;
          NodeGeom *router = &g->nodes[g_array_index (link->path, guint, n - 1)];
          double dx = points[2 * (n - 2)] - router->x, dy = points[2 * (n - 2) + 1] - router->y;
          double len = MAX (hypot (dx, dy), 1.0), stop = MIN (icon * 1.1, len / 2);
          g_autofree char *reason = ms_render_event_label (event);
          MsLabelRequest request = { 0 };
          double c[2 * 14];
          guint n_c = 0;
          int w, h;

          point_along (points, n, phase, FALSE, &ex, &ey);
          if (hypot (ex - router->x, ey - router->y) < stop)
            {
              ex = router->x + dx / len * stop;
              ey = router->y + dy / len * stop;
            }
          ms_render_envelope (cr, style, ex, ey, 30 * s);
          ms_render_cross (cr, style, router->x + dx / len * stop * 0.45,
                           router->y + dy / len * stop * 0.45, 9 * s);
          ms_render_text_size (t.bold, reason, &w, &h);
          request.w = w + 14 * s;
          request.h = h + 8 * s;
          /* above or below the router, straight or shifted to a side, then beside it and
           * around the envelope */
          for (int side = 0; side < 3; side++)
            {
              double x = router->x + (side == 0 ? 0 : side == 1 ? -1 : 1) * request.w / 2;

              c[n_c++] = x; c[n_c++] = router->block.y - request.h / 2 - 2 * s;
              c[n_c++] = x; c[n_c++] = router->block.y + router->block.h + request.h / 2;
              c[n_c++] = x; c[n_c++] = router->block.y + router->block.h + request.h * 1.6;
            }
          c[n_c++] = ex; c[n_c++] = ey - 18 * s - request.h / 2;
          c[n_c++] = ex; c[n_c++] = ey + 18 * s + request.h / 2;
          c[n_c++] = router->x + icon / 2 + request.w / 2 + 4 * s; c[n_c++] = router->y - icon / 2;
          c[n_c++] = router->x - icon / 2 - request.w / 2 - 4 * s; c[n_c++] = router->y - icon / 2;
          g_assert (n_c <= G_N_ELEMENTS (c));
          request.candidates = c;
          request.n_candidates = n_c / 2;
          /* at the router, in the least covered place; the caption under the map does not
           * say it a second time */
          ms_net_place_labels (g->obstacles, g->n_obstacles,
                               &(MsRect) { 0, 0, g->w, g->caption_y }, &request, 1);
          ms_render_badge (cr, t.bold, style, reason, request.placed.x + request.placed.w / 2,
                           request.placed.y + request.placed.h / 2, request.placed.w, 0, g->w,
                           MS_COLOR_BLOCK);
          tagged_at_router = TRUE;
        }
      else
        {
          point_along (points, link->path->len, phase, back, &ex, &ey);
          ms_render_envelope (cr, style, ex, ey, 30 * s);
          if (link->tls && line != NULL && current->session_index < layout->sessions->len
              && current->index >= g_array_index (layout->sessions, LayoutSession,
                                                  current->session_index).tls_from)
            ms_render_lock (cr, style, ex + 17 * s, ey - 10 * s, 12 * s);
        }
    }

  /* the current line or event as a caption under the map */
  if (current != NULL)
    {
      MsTraceLine *line = ms_playback_model_get_step_line (model, current);
      MsTraceEvent *event = ms_playback_model_get_step_event (model, current);
      g_autofree char *caption = NULL;
      MsColor color = MS_COLOR_FG;

      if (line != NULL)
        {
          g_autofree char *text = ms_text_format_line_text (current->session->protocol, line,
                                                            style->show_secrets);

          caption = g_strdup_printf ("%s %s", line->dir == MS_DIR_CLIENT ? "C:" : "S:", text);
          color = ms_render_color_for_line (line);
        }
      else if (event != NULL && strcmp (event->type, "narration") != 0 && !tagged_at_router)
        {
          caption = ms_render_event_label (event);
          color = ms_render_event_failed (event) ? MS_COLOR_5XX : MS_COLOR_FG;
        }
      if (caption != NULL)
        ms_render_badge (cr, t.bold, style, caption, g->w / 2, g->caption_y + t.lh_bold * 0.7,
                         g->w - 40 * s, 4 * s, g->w - 4 * s, color);
    }
  texts_clear (&t);
  cairo_restore (cr);
}
