/* ms-render-icons.c: node icons drawn with Cairo (PC, server, router, DNS, webmail)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Plain shapes that read at any size and in both styles: a fill in the node colour,
 * an outline in the text colour, thicker when the node takes part in the current step.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ms-render-private.h"

static gboolean
has_role (const MsLayoutNode *node,
          const char         *role)
{
  g_auto(GStrv) roles = NULL;

  if (node->role == NULL)
    return FALSE;
  roles = g_strsplit (node->role, "/", -1);
  return g_strv_contains ((const char * const *) roles, role);
}

MsIcon
ms_render_icon_for_node (const MsLayoutNode *node)
{
  if (node->is_router || has_role (node, "router"))
    return MS_ICON_ROUTER;
  if (has_role (node, "webmail"))
    return MS_ICON_WEBMAIL;
  if (has_role (node, "MTA") || has_role (node, "MSA") || has_role (node, "MRA")
      || has_role (node, "MDA"))
    return MS_ICON_SERVER;
  if (has_role (node, "DNS"))
    return MS_ICON_DNS;
  if (has_role (node, "MUA"))
    return MS_ICON_PC;
  return node->ports != NULL && node->ports[0] != NULL ? MS_ICON_SERVER : MS_ICON_PC;
}

static void
fill_and_outline (cairo_t             *cr,
                  const MsRenderStyle *style,
                  double               width)
{
  ms_render_set_color (cr, style, MS_COLOR_NODE);
  cairo_fill_preserve (cr);
  ms_render_set_color (cr, style, MS_COLOR_FG);
  cairo_set_line_width (cr, width);
  cairo_stroke (cr);
}

static void
icon_pc (cairo_t             *cr,
         const MsRenderStyle *style,
         double               cx,
         double               cy,
         double               s,
         double               lw)
{
  /* a monitor on a stand */
  ms_render_rounded_rect (cr, cx - s * 0.5, cy - s * 0.42, s, s * 0.62, s * 0.05);
  fill_and_outline (cr, style, lw);
  ms_render_set_color (cr, style, MS_COLOR_ZONE);
  cairo_rectangle (cr, cx - s * 0.4, cy - s * 0.33, s * 0.8, s * 0.44);
  cairo_fill (cr);
  ms_render_set_color (cr, style, MS_COLOR_FG);
  cairo_move_to (cr, cx, cy + s * 0.2);
  cairo_line_to (cr, cx, cy + s * 0.36);
  cairo_move_to (cr, cx - s * 0.25, cy + s * 0.4);
  cairo_line_to (cr, cx + s * 0.25, cy + s * 0.4);
  cairo_stroke (cr);
}

static void
icon_server (cairo_t             *cr,
             const MsRenderStyle *style,
             double               cx,
             double               cy,
             double               s,
             double               lw)
{
  /* a rack of three units with their lights */
  double w = s * 0.62, h = s * 0.84;

  ms_render_rounded_rect (cr, cx - w / 2, cy - h / 2, w, h, s * 0.05);
  fill_and_outline (cr, style, lw);
  for (int i = 1; i < 3; i++)
    {
      cairo_move_to (cr, cx - w / 2, cy - h / 2 + i * h / 3);
      cairo_line_to (cr, cx + w / 2, cy - h / 2 + i * h / 3);
    }
  cairo_stroke (cr);
  ms_render_set_color (cr, style, MS_COLOR_2XX);
  for (int i = 0; i < 3; i++)
    {
      cairo_arc (cr, cx + w * 0.3, cy - h / 2 + (i + 0.5) * h / 3, s * 0.045, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  ms_render_set_color (cr, style, MS_COLOR_FG);
  for (int i = 0; i < 3; i++)
    {
      cairo_move_to (cr, cx - w * 0.33, cy - h / 2 + (i + 0.5) * h / 3);
      cairo_line_to (cr, cx + w * 0.1, cy - h / 2 + (i + 0.5) * h / 3);
    }
  cairo_stroke (cr);
}

static void
icon_router (cairo_t             *cr,
             const MsRenderStyle *style,
             double               cx,
             double               cy,
             double               s,
             double               lw)
{
  /* the usual router symbol: a disc with four arrows */
  double r = s * 0.46, a = s * 0.3, head = s * 0.1;

  cairo_arc (cr, cx, cy, r, 0, 2 * G_PI);
  fill_and_outline (cr, style, lw);
  ms_render_set_color (cr, style, MS_COLOR_FG);
  cairo_set_line_width (cr, lw);
  for (int k = 0; k < 4; k++)
    {
      double dx = k == 0 ? 1 : k == 1 ? -1 : 0, dy = k == 2 ? 1 : k == 3 ? -1 : 0;
      /* arrows out on the diagonal-free axes: in on one side, out on the other */
      double x0 = cx + dx * s * 0.06, y0 = cy + dy * s * 0.06;
      double x1 = cx + dx * a, y1 = cy + dy * a;

      cairo_move_to (cr, x0, y0);
      cairo_line_to (cr, x1, y1);
      cairo_stroke (cr);
      cairo_move_to (cr, x1 + dx * head, y1 + dy * head);
      cairo_line_to (cr, x1 - dy * head - dx * 0.2 * head, y1 + dx * head - dy * 0.2 * head);
      cairo_line_to (cr, x1 + dy * head - dx * 0.2 * head, y1 - dx * head - dy * 0.2 * head);
      cairo_close_path (cr);
      cairo_fill (cr);
    }
}

static void
icon_dns (cairo_t             *cr,
          const MsRenderStyle *style,
          double               cx,
          double               cy,
          double               s,
          double               lw)
{
  /* a globe: the name system of the whole Internet */
  double r = s * 0.44;

  cairo_arc (cr, cx, cy, r, 0, 2 * G_PI);
  fill_and_outline (cr, style, lw);
  cairo_set_line_width (cr, lw * 0.8);
  cairo_save (cr);
  cairo_translate (cr, cx, cy);
  cairo_scale (cr, 0.45, 1.0);
  cairo_arc (cr, 0, 0, r, 0, 2 * G_PI);
  cairo_restore (cr);
  cairo_stroke (cr);
  cairo_move_to (cr, cx - r, cy);
  cairo_line_to (cr, cx + r, cy);
  cairo_move_to (cr, cx - r * 0.86, cy - r * 0.5);
  cairo_line_to (cr, cx + r * 0.86, cy - r * 0.5);
  cairo_move_to (cr, cx - r * 0.86, cy + r * 0.5);
  cairo_line_to (cr, cx + r * 0.86, cy + r * 0.5);
  cairo_move_to (cr, cx, cy - r);
  cairo_line_to (cr, cx, cy + r);
  cairo_stroke (cr);
}

static void
icon_webmail (cairo_t             *cr,
              const MsRenderStyle *style,
              double               cx,
              double               cy,
              double               s,
              double               lw)
{
  /* a browser window with an envelope in it */
  double w = s * 0.9, h = s * 0.7;

  ms_render_rounded_rect (cr, cx - w / 2, cy - h / 2, w, h, s * 0.05);
  fill_and_outline (cr, style, lw);
  cairo_move_to (cr, cx - w / 2, cy - h / 2 + s * 0.14);
  cairo_line_to (cr, cx + w / 2, cy - h / 2 + s * 0.14);
  cairo_stroke (cr);
  cairo_rectangle (cr, cx - s * 0.22, cy - s * 0.04, s * 0.44, s * 0.27);
  cairo_move_to (cr, cx - s * 0.22, cy - s * 0.04);
  cairo_line_to (cr, cx, cy + s * 0.1);
  cairo_line_to (cr, cx + s * 0.22, cy - s * 0.04);
  cairo_stroke (cr);
}

void
ms_render_icon (cairo_t             *cr,
                const MsRenderStyle *style,
                MsIcon               icon,
                double               cx,
                double               cy,
                double               size,
                gboolean             active)
{
  double lw = MAX (1.2, size * (active ? 0.085 : 0.05));

  cairo_save (cr);
  cairo_new_path (cr);
  switch (icon)
    {
    case MS_ICON_PC:
      icon_pc (cr, style, cx, cy, size, lw);
      break;
    case MS_ICON_ROUTER:
      icon_router (cr, style, cx, cy, size, lw);
      break;
    case MS_ICON_DNS:
      icon_dns (cr, style, cx, cy, size, lw);
      break;
    case MS_ICON_WEBMAIL:
      icon_webmail (cr, style, cx, cy, size, lw);
      break;
    case MS_ICON_SERVER:
    default:
      icon_server (cr, style, cx, cy, size, lw);
      break;
    }
  cairo_restore (cr);
}
