/* ms-render.c: the sequence diagram and the network view, drawn with Cairo
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#include "ms-render.h"
#include "ms-text-format.h"

#define SEQ_ROW_HEIGHT     30.0
#define SEQ_HEADER_HEIGHT  56.0
#define SEQ_TIME_COLUMN    78.0
#define NET_NODE_WIDTH     170.0
#define NET_NODE_HEIGHT    58.0
#define BASE_FONT_SIZE     10.0   /* points at scale 1 */

typedef struct
{
  guint client;     /* node index */
  guint server;
  guint tls_from;   /* first line index sent under TLS, or G_MAXUINT */
  guint router;     /* the router that dropped it, or G_MAXUINT */
} LayoutSession;

struct _MsTraceLayout
{
  GPtrArray  *nodes;      /* of MsLayoutNode* */
  GHashTable *by_name;    /* name -> index + 1 */
  GHashTable *by_address; /* address -> index + 1 */
  GArray     *sessions;   /* of LayoutSession, by session index */
  GHashTable *by_id;      /* session id -> session index + 1 */
  GPtrArray  *zones;      /* of char*, in order of appearance ("" for routers) */
};

static void
layout_node_free (gpointer data)
{
  MsLayoutNode *node = data;

  g_free (node->name);
  g_free (node->address);
  g_free (node->role);
  g_free (node->zone);
  g_free (node);
}

/* "ADDR:PORT" or "[ADDR]:PORT" to ADDR; the port to *port. */
static char *
endpoint_address (const char *endpoint,
                  guint      *port)
{
  const char *colon;

  *port = 0;
  if (endpoint == NULL)
    return NULL;
  if (endpoint[0] == '[')
    {
      const char *end = strchr (endpoint, ']');

      if (end == NULL)
        return g_strdup (endpoint);
      if (end[1] == ':')
        *port = (guint) g_ascii_strtoull (end + 2, NULL, 10);
      return g_strndup (endpoint + 1, end - endpoint - 1);
    }
  colon = strrchr (endpoint, ':');
  if (colon == NULL)
    return g_strdup (endpoint);
  *port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  return g_strndup (endpoint, colon - endpoint);
}

/* Addresses grouped by network: /24 for IPv4, /64 for IPv6. */
static char *
zone_for_address (const char *address)
{
  if (address == NULL)
    return g_strdup ("");
  if (strchr (address, ':') != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (address, ":", 5);
      GString *zone = g_string_new (NULL);

      for (guint i = 0; parts[i] != NULL && i < 4 && parts[i][0] != '\0'; i++)
        g_string_append_printf (zone, "%s:", parts[i]);
      g_string_append (zone, ":/64");
      return g_string_free (zone, FALSE);
    }
  else
    {
      const char *dot = strrchr (address, '.');

      if (dot == NULL)
        return g_strdup (address);
      return g_strdup_printf ("%.*s.0/24", (int) (dot - address), address);
    }
}

static void
add_role (MsLayoutNode *node,
          const char   *role)
{
  g_autofree char *old = node->role;
  g_auto(GStrv) roles = NULL;

  if (role == NULL)
    return;
  if (old == NULL)
    {
      old = NULL;
      node->role = g_strdup (role);
      return;
    }
  roles = g_strsplit (old, "/", -1);
  if (g_strv_contains ((const char * const *) roles, role))
    {
      node->role = g_steal_pointer (&old);
      return;
    }
  node->role = g_strdup_printf ("%s/%s", old, role);
}

static guint
layout_add_node (MsTraceLayout *layout,
                 const char    *name,
                 const char    *address)
{
  gpointer found = g_hash_table_lookup (layout->by_name, name);
  MsLayoutNode *node;

  if (found != NULL)
    {
      node = g_ptr_array_index (layout->nodes, GPOINTER_TO_UINT (found) - 1);
      if (node->address == NULL && address != NULL)
        {
          node->address = g_strdup (address);
          g_free (node->zone);
          node->zone = zone_for_address (address);
        }
      return GPOINTER_TO_UINT (found) - 1;
    }
  node = g_new0 (MsLayoutNode, 1);
  node->name = g_strdup (name);
  node->address = g_strdup (address);
  node->zone = zone_for_address (address);
  g_ptr_array_add (layout->nodes, node);
  g_hash_table_insert (layout->by_name, node->name, GUINT_TO_POINTER (layout->nodes->len));
  if (address != NULL && !g_hash_table_contains (layout->by_address, address))
    g_hash_table_insert (layout->by_address, node->address, GUINT_TO_POINTER (layout->nodes->len));
  return layout->nodes->len - 1;
}

static const char *
server_role (MsProtocol protocol,
             guint      port)
{
  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      return (port == 587 || port == 465) ? "MSA" : "MTA";
    case MS_PROTOCOL_POP3:
    case MS_PROTOCOL_IMAP:
      return "MRA";
    case MS_PROTOCOL_DNS:
      return "DNS";
    case MS_PROTOCOL_HTTP:
      return "Web";
    case MS_PROTOCOL_UNKNOWN:
    default:
      return NULL;
    }
}

/* The node a dropped packet came from: its "src" address (a blocked event names the
 * router, the packet carries the rest). */
static guint
blocked_source (MsTraceLayout *layout,
                MsTraceEvent  *event)
{
  const char *src = json_object_get_string_member_with_default (event->fields, "src", NULL);
  guint port;
  g_autofree char *address = endpoint_address (src, &port);
  gpointer found = address ? g_hash_table_lookup (layout->by_address, address) : NULL;

  return found ? GPOINTER_TO_UINT (found) - 1 : G_MAXUINT;
}

static guint
remap (const guint *map,
       guint        index)
{
  return index == G_MAXUINT ? G_MAXUINT : map[index];
}

/* Routers go right after the node whose packets they dropped: between the PC and the
 * Internet, as on the wire. */
static void
place_routers (MsTraceLayout *layout,
               const guint   *router_source)
{
  guint n = layout->nodes->len;
  g_autofree guint *map = g_new0 (guint, MAX (n, 1));
  g_autoptr(GPtrArray) ordered = g_ptr_array_new_full (n, layout_node_free);
  g_autoptr(GPtrArray) old = NULL;

  for (guint i = 0; i < n; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

      if (node->is_router)
        continue;
      map[i] = ordered->len;
      g_ptr_array_add (ordered, node);
      for (guint r = 0; r < n; r++)
        {
          MsLayoutNode *router = g_ptr_array_index (layout->nodes, r);

          if (router->is_router && (router_source[r] == i
                                    || (router_source[r] == G_MAXUINT && i == 0)))
            {
              map[r] = ordered->len;
              g_ptr_array_add (ordered, router);
            }
        }
    }
  for (guint r = 0; r < n; r++)
    if (((MsLayoutNode *) g_ptr_array_index (layout->nodes, r))->is_router
        && router_source[r] != G_MAXUINT && router_source[r] >= n)
      {
        map[r] = ordered->len;
        g_ptr_array_add (ordered, g_ptr_array_index (layout->nodes, r));
      }
  if (ordered->len != n)
    {
      /* every node placed exactly once, or leave the order alone */
      g_ptr_array_set_free_func (ordered, NULL);
      return;
    }
  g_ptr_array_set_free_func (layout->nodes, NULL);
  old = layout->nodes;
  layout->nodes = g_steal_pointer (&ordered);
  g_ptr_array_set_free_func (layout->nodes, layout_node_free);
  g_hash_table_remove_all (layout->by_name);
  g_hash_table_remove_all (layout->by_address);
  for (guint i = 0; i < n; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

      g_hash_table_insert (layout->by_name, node->name, GUINT_TO_POINTER (i + 1));
      if (node->address != NULL && !g_hash_table_contains (layout->by_address, node->address))
        g_hash_table_insert (layout->by_address, node->address, GUINT_TO_POINTER (i + 1));
    }
  for (guint s = 0; s < layout->sessions->len; s++)
    {
      LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession, s);

      ls->client = remap (map, ls->client);
      ls->server = remap (map, ls->server);
      ls->router = remap (map, ls->router);
    }
}

MsTraceLayout *
ms_trace_layout_new (MsPlaybackModel *model)
{
  MsTraceLayout *layout = g_new0 (MsTraceLayout, 1);
  MsTrace *trace = ms_playback_model_get_trace (model);
  guint n_sessions = trace ? ms_trace_get_n_sessions (trace) : 0;
  guint n_events = trace ? ms_trace_get_n_events (trace) : 0;
  g_autoptr(GHashTable) zones = g_hash_table_new (g_str_hash, g_str_equal);
  GArray *router_source;

  layout->nodes = g_ptr_array_new_with_free_func (layout_node_free);
  layout->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  layout->by_address = g_hash_table_new (g_str_hash, g_str_equal);
  layout->sessions = g_array_new (FALSE, TRUE, sizeof (LayoutSession));
  layout->by_id = g_hash_table_new (NULL, NULL);
  layout->zones = g_ptr_array_new_with_free_func (g_free);

  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (trace, s);
      LayoutSession ls = { 0, 0, G_MAXUINT, G_MAXUINT };
      guint cport, sport;
      g_autofree char *caddr = endpoint_address (session->client, &cport);
      g_autofree char *saddr = endpoint_address (session->server, &sport);
      const char *cname = session->client_node ? session->client_node : caddr;
      const char *sname = session->server_node ? session->server_node : saddr;

      /* a lab on one machine: both ends on 127.0.0.1, the server known by its port */
      if (session->client_node == NULL && session->server_node == NULL
          && g_strcmp0 (caddr, saddr) == 0)
        sname = session->server;
      /* clients on the left: the message travels left to right */
      ls.client = layout_add_node (layout, cname ? cname : "?", caddr);
      ls.server = layout_add_node (layout, sname ? sname : "?", saddr);
      add_role (g_ptr_array_index (layout->nodes, ls.server),
                server_role (session->protocol, sport));

      if (session->tls == MS_TLS_IMPLICIT)
        ls.tls_from = 0;
      else if (session->tls == MS_TLS_STARTTLS)
        {
          /* RFC 3207 §4 / RFC 2595 §4: TLS begins after the reply to STARTTLS/STLS */
          for (guint i = 0; i + 1 < session->lines->len; i++)
            {
              MsTraceLine *line = g_ptr_array_index (session->lines, i);

              if (line->dir == MS_DIR_CLIENT
                  && (g_strcmp0 (line->command, "STARTTLS") == 0
                      || g_strcmp0 (line->command, "STLS") == 0))
                {
                  for (guint k = i + 1; k < session->lines->len; k++)
                    {
                      MsTraceLine *reply = g_ptr_array_index (session->lines, k);

                      if (reply->dir == MS_DIR_SERVER)
                        {
                          ls.tls_from = k + 1;
                          break;
                        }
                    }
                  break;
                }
            }
        }
      g_array_append_val (layout->sessions, ls);
      g_hash_table_insert (layout->by_id, GUINT_TO_POINTER (session->id),
                           GUINT_TO_POINTER (s + 1));
    }

  /* clients: MUA, or MTA when they are a mail server themselves */
  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (trace, s);
      LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession, s);
      MsLayoutNode *client = g_ptr_array_index (layout->nodes, ls->client);

      if (session->protocol == MS_PROTOCOL_SMTP && client->role != NULL
          && (strstr (client->role, "MTA") || strstr (client->role, "MSA")))
        add_role (client, "MTA");
      else if (client->role == NULL && session->protocol != MS_PROTOCOL_DNS
               && session->protocol != MS_PROTOCOL_UNKNOWN)
        add_role (client, "MUA");
    }

  /* routers that dropped something */
  router_source = g_array_new (FALSE, TRUE, sizeof (guint));
  for (guint e = 0; e < n_events; e++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, e);
      gpointer s;

      if (g_strcmp0 (event->type, "blocked") != 0 || event->node == NULL)
        continue;
      if (g_hash_table_lookup (layout->by_name, event->node) == NULL)
        {
          guint r = layout_add_node (layout, event->node, NULL);
          MsLayoutNode *router = g_ptr_array_index (layout->nodes, r);
          guint source = blocked_source (layout, event);

          router->is_router = TRUE;
          add_role (router, "router");
          /* index + 1 of the source node, 0 when unknown */
          g_array_set_size (router_source, layout->nodes->len);
          g_array_index (router_source, guint, r) = source == G_MAXUINT ? 0 : source + 1;
        }
      s = g_hash_table_lookup (layout->by_id, GUINT_TO_POINTER (event->session));
      if (s != NULL)
        g_array_index (layout->sessions, LayoutSession, GPOINTER_TO_UINT (s) - 1).router =
          GPOINTER_TO_UINT (g_hash_table_lookup (layout->by_name, event->node)) - 1;
    }

  {
    g_autofree guint *sources = g_new (guint, MAX (layout->nodes->len, 1));

    for (guint i = 0; i < layout->nodes->len; i++)
      sources[i] = i < router_source->len && g_array_index (router_source, guint, i) != 0
                   ? g_array_index (router_source, guint, i) - 1 : G_MAXUINT;
    g_array_unref (router_source);
    place_routers (layout, sources);
  }

  for (guint i = 0; i < layout->nodes->len; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

      if (!g_hash_table_contains (zones, node->zone))
        {
          g_hash_table_add (zones, node->zone);
          g_ptr_array_add (layout->zones, g_strdup (node->zone));
        }
    }
  return layout;
}

void
ms_trace_layout_free (MsTraceLayout *layout)
{
  if (layout == NULL)
    return;
  g_ptr_array_unref (layout->nodes);
  g_hash_table_unref (layout->by_name);
  g_hash_table_unref (layout->by_address);
  g_array_unref (layout->sessions);
  g_hash_table_unref (layout->by_id);
  g_ptr_array_unref (layout->zones);
  g_free (layout);
}

guint
ms_trace_layout_get_n_nodes (MsTraceLayout *layout)
{
  return layout->nodes->len;
}

const MsLayoutNode *
ms_trace_layout_get_node (MsTraceLayout *layout,
                          guint          index)
{
  return g_ptr_array_index (layout->nodes, index);
}

static guint
node_index (MsTraceLayout *layout,
            const char    *name)
{
  gpointer found = name ? g_hash_table_lookup (layout->by_name, name) : NULL;

  return found ? GPOINTER_TO_UINT (found) - 1 : G_MAXUINT;
}

static const LayoutSession *
layout_session_by_id (MsTraceLayout *layout,
                      guint          id)
{
  gpointer found = g_hash_table_lookup (layout->by_id, GUINT_TO_POINTER (id));

  return found ? &g_array_index (layout->sessions, LayoutSession,
                                 GPOINTER_TO_UINT (found) - 1) : NULL;
}

/* Colours: readable on white and on near-black; high contrast saturates and darkens. */
void
ms_render_color (const MsRenderStyle *style,
                 MsColor              color,
                 MsRgb               *rgb)
{
  static const MsRgb light[MS_N_COLORS] = {
    { 1.00, 1.00, 1.00 }, { 0.12, 0.12, 0.13 }, { 0.38, 0.38, 0.40 }, { 0.62, 0.63, 0.66 },
    { 0.15, 0.22, 0.36 }, { 0.06, 0.47, 0.18 }, { 0.05, 0.36, 0.75 }, { 0.62, 0.40, 0.00 },
    { 0.75, 0.09, 0.13 }, { 1.00, 0.95, 0.70 }, { 0.95, 0.96, 0.98 }, { 0.90, 0.93, 0.97 },
    { 0.80, 0.05, 0.10 }, { 0.00, 0.45, 0.47 },
  };
  static const MsRgb dark[MS_N_COLORS] = {
    { 0.12, 0.12, 0.14 }, { 0.93, 0.93, 0.93 }, { 0.68, 0.68, 0.70 }, { 0.45, 0.46, 0.50 },
    { 0.72, 0.80, 0.95 }, { 0.42, 0.86, 0.49 }, { 0.50, 0.72, 1.00 }, { 0.96, 0.74, 0.25 },
    { 1.00, 0.50, 0.47 }, { 0.30, 0.28, 0.12 }, { 0.17, 0.18, 0.21 }, { 0.21, 0.24, 0.30 },
    { 1.00, 0.40, 0.40 }, { 0.35, 0.85, 0.85 },
  };
  static const MsRgb contrast[MS_N_COLORS] = {
    { 1.00, 1.00, 1.00 }, { 0.00, 0.00, 0.00 }, { 0.20, 0.20, 0.20 }, { 0.35, 0.35, 0.35 },
    { 0.00, 0.00, 0.00 }, { 0.00, 0.40, 0.10 }, { 0.00, 0.25, 0.70 }, { 0.55, 0.30, 0.00 },
    { 0.70, 0.00, 0.00 }, { 1.00, 0.90, 0.35 }, { 0.93, 0.93, 0.93 }, { 0.85, 0.90, 1.00 },
    { 0.75, 0.00, 0.00 }, { 0.00, 0.35, 0.35 },
  };

  if (style->dark)
    *rgb = dark[color];
  else if (style->high_contrast)
    *rgb = contrast[color];
  else
    *rgb = light[color];
}

MsColor
ms_render_color_for_line (const MsTraceLine *line)
{
  if (line->dir == MS_DIR_CLIENT)
    return MS_COLOR_COMMAND;
  if (line->code >= 200 && line->code < 600)
    return MS_COLOR_2XX + (line->code / 100 - 2);
  if (line->status != NULL)
    {
      if (strcmp (line->status, "-ERR") == 0 || strcmp (line->status, "BAD") == 0)
        return MS_COLOR_5XX;
      if (strcmp (line->status, "NO") == 0)
        return MS_COLOR_4XX;
      if (strcmp (line->status, "BYE") == 0)
        return MS_COLOR_DIM;
      return MS_COLOR_2XX;
    }
  if (line->kind == MS_LINE_DATA || line->kind == MS_LINE_NOTE)
    return MS_COLOR_DIM;
  /* continuation "+ " (IMAP), "334" is a code; untagged data */
  return MS_COLOR_FG;
}

static void
set_color (cairo_t             *cr,
           const MsRenderStyle *style,
           MsColor              color)
{
  MsRgb rgb;

  ms_render_color (style, color, &rgb);
  cairo_set_source_rgb (cr, rgb.r, rgb.g, rgb.b);
}

static double
line_width (const MsRenderStyle *style)
{
  return (style->high_contrast ? 2.5 : 1.4) * style->scale;
}

static PangoLayout *
new_text (cairo_t             *cr,
          const MsRenderStyle *style,
          double               size,
          gboolean             bold)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  g_autoptr(PangoFontDescription) font =
    pango_font_description_from_string (style->font ? style->font : "Sans");

  pango_font_description_set_absolute_size (font, size * style->scale * PANGO_SCALE * 96.0 / 72.0);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode (layout, TRUE);
  return layout;
}

/* Draws text with its top-left (align 0), centre (0.5) or right (1) at x. */
static double
draw_text (cairo_t     *cr,
           PangoLayout *layout,
           const char  *text,
           double       x,
           double       y,
           double       max_width,
           double       align)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, max_width > 0 ? (int) (max_width * PANGO_SCALE) : -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align * w, y);
  pango_cairo_show_layout (cr, layout);
  return w;
}

static void
text_size (PangoLayout *layout,
           const char  *text,
           int         *w,
           int         *h)
{
  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, -1);
  pango_layout_get_pixel_size (layout, w, h);
}

static void
rounded_rect (cairo_t *cr,
              double   x,
              double   y,
              double   w,
              double   h,
              double   r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - r, y + r, r, -G_PI / 2, 0);
  cairo_arc (cr, x + w - r, y + h - r, r, 0, G_PI / 2);
  cairo_arc (cr, x + r, y + h - r, r, G_PI / 2, G_PI);
  cairo_arc (cr, x + r, y + r, r, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

/* A padlock: the line went over TLS. */
static void
draw_lock (cairo_t             *cr,
           const MsRenderStyle *style,
           double               x,
           double               y)
{
  double s = 5.0 * style->scale;

  set_color (cr, style, MS_COLOR_TLS);
  cairo_set_line_width (cr, 1.6 * style->scale);
  cairo_new_path (cr);
  cairo_arc (cr, x, y - s * 0.3, s * 0.65, G_PI, 2 * G_PI);
  cairo_stroke (cr);
  cairo_rectangle (cr, x - s, y - s * 0.3, 2 * s, 1.5 * s);
  cairo_fill (cr);
}

static void
draw_cross (cairo_t             *cr,
            const MsRenderStyle *style,
            double               x,
            double               y,
            double               size)
{
  set_color (cr, style, MS_COLOR_BLOCK);
  cairo_set_line_width (cr, 3.0 * style->scale);
  cairo_move_to (cr, x - size, y - size);
  cairo_line_to (cr, x + size, y + size);
  cairo_move_to (cr, x + size, y - size);
  cairo_line_to (cr, x - size, y + size);
  cairo_stroke (cr);
}

static void
draw_arrow (cairo_t *cr,
            double   x1,
            double   x2,
            double   y,
            double   head,
            gboolean dashed,
            gboolean with_head)
{
  double dir = x2 >= x1 ? 1.0 : -1.0;
  static const double dash[] = { 6.0, 4.0 };

  if (dashed)
    cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, x1, y);
  cairo_line_to (cr, x2 - dir * head * 0.6, y);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (!with_head)
    return;
  cairo_move_to (cr, x2, y);
  cairo_line_to (cr, x2 - dir * head, y - head * 0.55);
  cairo_line_to (cr, x2 - dir * head, y + head * 0.55);
  cairo_close_path (cr);
  cairo_fill (cr);
}

/* The narration in the language of the messages (LANGUAGE=ja → "ja"). */
static const char *
event_text_for_language (MsTraceEvent *event)
{
  const char * const *langs = g_get_language_names ();
  const char *ja = json_object_get_string_member_with_default (event->fields, "ja", NULL);
  const char *en = json_object_get_string_member_with_default (event->fields, "en", NULL);
  const char *text = json_object_get_string_member_with_default (event->fields, "text", NULL);

  if (langs[0] != NULL && g_str_has_prefix (langs[0], "ja") && ja != NULL)
    return ja;
  return en ? en : text ? text : ja;
}

/* A short description of an event for a badge: "spf=fail", "blocked: op25b". */
static char *
event_summary (MsTraceEvent *event)
{
  g_autoptr(GList) members = json_object_get_members (event->fields);
  GString *out;

  if (g_strcmp0 (event->type, "narration") == 0)
    return g_strdup (event_text_for_language (event));
  if (g_strcmp0 (event->type, "blocked") == 0)
    {
      const char *reason = json_object_get_string_member_with_default (event->fields,
                                                                       "reason", "?");
      /* TRANSLATORS: a packet dropped by a router, with the rule's name (op25b) */
      return g_strdup_printf (_("✕ blocked: %s"), reason);
    }
  if (g_strcmp0 (event->type, "policy") == 0 && json_object_has_member (event->fields, "check"))
    return g_strdup_printf ("%s: %s",
                            json_object_get_string_member_with_default (event->fields,
                                                                        "check", ""),
                            json_object_get_string_member_with_default (event->fields,
                                                                        "result", ""));
  out = g_string_new (event->type);
  for (GList *l = members; l != NULL && out->len < 80; l = l->next)
    {
      JsonNode *value = json_object_get_member (event->fields, l->data);

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        g_string_append_printf (out, " %s=%s", (char *) l->data, json_node_get_string (value));
      else if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64)
        g_string_append_printf (out, " %s=%" G_GINT64_FORMAT, (char *) l->data,
                                json_node_get_int (value));
    }
  return g_string_free (out, FALSE);
}

static gboolean
event_failed (MsTraceEvent *event)
{
  return ms_step_mark_for_event (event) != MS_STEP_MARK_NONE;
}

double
ms_sequence_row_height (const MsRenderStyle *style)
{
  return SEQ_ROW_HEIGHT * style->scale;
}

double
ms_sequence_header_height (const MsRenderStyle *style)
{
  return SEQ_HEADER_HEIGHT * style->scale;
}

double
ms_sequence_content_height (MsPlaybackModel     *model,
                            const MsRenderStyle *style)
{
  return ms_sequence_header_height (style)
         + ms_playback_model_get_n_steps (model) * ms_sequence_row_height (style)
         + ms_sequence_row_height (style);
}

guint
ms_sequence_step_at (MsPlaybackModel     *model,
                     const MsRenderStyle *style,
                     double               y,
                     double               scroll_y)
{
  double row;

  if (y < ms_sequence_header_height (style))
    return G_MAXUINT;
  row = (y + scroll_y - ms_sequence_header_height (style)) / ms_sequence_row_height (style);
  if (row < 0 || row >= ms_playback_model_get_n_steps (model))
    return G_MAXUINT;
  return (guint) row;
}

static double
lifeline_x (MsTraceLayout *layout,
            guint          index,
            double         width,
            double         scale)
{
  double left = SEQ_TIME_COLUMN * scale;
  double n = MAX (layout->nodes->len, 1);

  return left + (index + 0.5) * (width - left) / n;
}

static void
render_badge (cairo_t             *cr,
              PangoLayout         *text,
              const MsRenderStyle *style,
              const char          *label,
              double               x,
              double               y,
              double               max_width,
              double               min_left,
              double               max_right,
              MsColor              color)
{
  int w, h;
  double pad = 5 * style->scale;
  MsRgb rgb;

  text_size (text, label, &w, &h);
  w = MIN (w, (int) max_width);
  /* keep the whole badge inside [min_left, ...) */
  if (max_right > 0 && x + w / 2.0 + pad > max_right)
    x = max_right - w / 2.0 - pad;
  if (x - w / 2.0 - pad < min_left)
    x = min_left + w / 2.0 + pad;
  ms_render_color (style, color, &rgb);
  set_color (cr, style, MS_COLOR_BG);
  rounded_rect (cr, x - w / 2.0 - pad, y - h / 2.0 - pad / 2, w + 2 * pad, h + pad, 4 * style->scale);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, rgb.r, rgb.g, rgb.b);
  cairo_set_line_width (cr, line_width (style));
  cairo_stroke (cr);
  draw_text (cr, text, label, x - w / 2.0, y - h / 2.0, max_width, 0);
}

void
ms_sequence_render (cairo_t             *cr,
                    MsPlaybackModel     *model,
                    MsTraceLayout       *layout,
                    const MsRenderStyle *style,
                    double               width,
                    double               height,
                    double               scroll_y)
{
  double row_h = ms_sequence_row_height (style);
  double header_h = ms_sequence_header_height (style);
  double scale = style->scale;
  guint n_steps = ms_playback_model_get_n_steps (model);
  guint cursor = ms_playback_model_get_cursor (model);
  guint first, last;
  g_autoptr(PangoLayout) text = new_text (cr, style, BASE_FONT_SIZE, FALSE);
  g_autoptr(PangoLayout) small = new_text (cr, style, BASE_FONT_SIZE * 0.85, FALSE);
  g_autoptr(PangoLayout) bold = new_text (cr, style, BASE_FONT_SIZE * 1.05, TRUE);
  MsTrace *trace = ms_playback_model_get_trace (model);
  double column = (width - SEQ_TIME_COLUMN * scale) / MAX (layout->nodes->len, 1);

  set_color (cr, style, MS_COLOR_BG);
  cairo_paint (cr);
  if (n_steps == 0)
    {
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, text, _("Nothing to draw: this trace has no protocol lines or events."),
                 width / 2, height / 2, width - 40, 0.5);
      return;
    }

  /* only the rows in view */
  first = (guint) MAX (0.0, floor (scroll_y / row_h));
  last = (guint) MIN ((double) n_steps, ceil ((scroll_y + height) / row_h) + 1);

  cairo_save (cr);
  cairo_rectangle (cr, 0, header_h, width, height - header_h);
  cairo_clip (cr);

  /* lifelines */
  set_color (cr, style, MS_COLOR_LIFELINE);
  cairo_set_line_width (cr, line_width (style));
  for (guint i = 0; i < layout->nodes->len; i++)
    {
      double x = round (lifeline_x (layout, i, width, scale)) + 0.5;

      cairo_move_to (cr, x, header_h);
      cairo_line_to (cr, x, height);
    }
  cairo_stroke (cr);

  for (guint r = first; r < last; r++)
    {
      const MsStep *step = ms_playback_model_get_step (model, r);
      double top = header_h + r * row_h - scroll_y;
      double y = top + row_h * 0.62;
      char time[32];

      if (r == cursor)
        {
          set_color (cr, style, MS_COLOR_CURRENT);
          cairo_rectangle (cr, 0, top, width, row_h);
          cairo_fill (cr);
          set_color (cr, style, MS_COLOR_FG);
          cairo_rectangle (cr, 0, top, 4 * scale, row_h);
          cairo_fill (cr);
        }
      g_snprintf (time, sizeof time, "%.3f s", step->t_us / 1e6);
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, small, time, SEQ_TIME_COLUMN * scale - 8 * scale, top + row_h * 0.25,
                 -1, 1.0);

      if (step->kind == MS_STEP_LINE)
        {
          MsTraceLine *line = ms_playback_model_get_step_line (model, step);
          const LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession,
                                                    step->session_index);
          guint from = line->dir == MS_DIR_CLIENT ? ls->client : ls->server;
          guint to = line->dir == MS_DIR_CLIENT ? ls->server : ls->client;
          double x1 = lifeline_x (layout, from, width, scale);
          double x2 = lifeline_x (layout, to, width, scale);
          gboolean tls = step->index >= ls->tls_from;
          g_autofree char *label = ms_text_format_line_text (step->session->protocol, line,
                                                             style->show_secrets);
          double span = fabs (x2 - x1);

          set_color (cr, style, ms_render_color_for_line (line));
          cairo_set_line_width (cr, line_width (style) * (r == cursor ? 1.8 : 1.0));
          if (from == to)
            {
              /* both ends on one lifeline: a short loop */
              cairo_move_to (cr, x1, y - 6 * scale);
              cairo_line_to (cr, x1 + 24 * scale, y - 6 * scale);
              cairo_line_to (cr, x1 + 24 * scale, y);
              cairo_stroke (cr);
              draw_arrow (cr, x1 + 24 * scale, x1, y, 8 * scale, FALSE, TRUE);
              x1 = x1 + 28 * scale;
              x2 = x1 + MAX (column - 40 * scale, 120 * scale);
              span = fabs (x2 - x1);
            }
          else
            draw_arrow (cr, x1, x2, y, 9 * scale, line->kind == MS_LINE_DATA, TRUE);
          if (tls)
            draw_lock (cr, style, MIN (x1, x2) + 10 * scale, y - 9 * scale);
          /* the text may run past the arrow to the right edge: a row holds one line */
          set_color (cr, style, ms_render_color_for_line (line));
          draw_text (cr, r == cursor ? bold : text, label,
                     MIN (x1, x2) + (tls ? 20 : 8) * scale, top + 1 * scale,
                     MAX (span, width - MIN (x1, x2)) - (tls ? 28 : 16) * scale, 0);
        }
      else
        {
          MsTraceEvent *event = ms_playback_model_get_step_event (model, step);
          const LayoutSession *ls = layout_session_by_id (layout, event->session);
          guint at = node_index (layout, event->node);
          g_autofree char *summary = event_summary (event);

          if (at == G_MAXUINT && ls != NULL)
            at = ls->server;
          if (g_strcmp0 (event->type, "blocked") == 0 && at != G_MAXUINT)
            {
              guint from = ls ? ls->client : blocked_source (layout, event);
              double x2 = lifeline_x (layout, at, width, scale);
              double x1 = from != G_MAXUINT ? lifeline_x (layout, from, width, scale)
                                            : x2 - column / 2;

              set_color (cr, style, MS_COLOR_BLOCK);
              cairo_set_line_width (cr, line_width (style) * 1.5);
              draw_arrow (cr, x1, x2, y, 9 * scale, TRUE, FALSE);
              draw_cross (cr, style, x2, y, 7 * scale);
              set_color (cr, style, MS_COLOR_BLOCK);
              if (width - x2 > column)
                draw_text (cr, bold, summary, x2 + 12 * scale, top + 2 * scale,
                           width - x2 - 16 * scale, 0);
              else
                draw_text (cr, bold, summary, MIN (x1, x2) - 8 * scale, top + 2 * scale,
                           MIN (x1, x2) - SEQ_TIME_COLUMN * scale, 1.0);
            }
          else if (g_strcmp0 (event->type, "narration") == 0 || at == G_MAXUINT)
            {
              set_color (cr, style, MS_COLOR_DIM);
              pango_layout_set_attributes (text, NULL);
              draw_text (cr, text, summary, SEQ_TIME_COLUMN * scale + 8 * scale,
                         top + 4 * scale, width - SEQ_TIME_COLUMN * scale - 16 * scale, 0);
            }
          else
            {
              double x = lifeline_x (layout, at, width, scale);

              set_color (cr, style, event_failed (event) ? MS_COLOR_5XX : MS_COLOR_FG);
              render_badge (cr, small, style, summary, x, top + row_h / 2, column * 1.6,
                            SEQ_TIME_COLUMN * scale + 4 * scale, width - 4 * scale,
                            event_failed (event) ? MS_COLOR_5XX : MS_COLOR_2XX);
            }
        }
    }
  cairo_restore (cr);

  /* the header stays in place while the rows scroll */
  set_color (cr, style, MS_COLOR_ZONE);
  cairo_rectangle (cr, 0, 0, width, header_h);
  cairo_fill (cr);
  set_color (cr, style, MS_COLOR_LIFELINE);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, 0, header_h - 0.5);
  cairo_line_to (cr, width, header_h - 0.5);
  cairo_stroke (cr);
  for (guint i = 0; i < layout->nodes->len; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
      double x = lifeline_x (layout, i, width, scale);
      g_autofree char *sub = NULL;

      set_color (cr, style, MS_COLOR_FG);
      draw_text (cr, bold, node->name, x, 6 * scale, column - 8 * scale, 0.5);
      if (node->role != NULL && node->address != NULL && g_strcmp0 (node->address, node->name) != 0)
        sub = g_strdup_printf ("%s · %s", node->role, node->address);
      else
        sub = g_strdup (node->role ? node->role : node->address ? node->address : "");
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, small, sub, x, 6 * scale + BASE_FONT_SIZE * 1.9 * scale, column - 8 * scale, 0.5);
    }
  (void) trace;
}

/* ---- network view ---- */

typedef struct
{
  double x, y;  /* centre */
} Point;

/* Zones side by side; inside a zone, nodes in as many rows as fit under one another
 * (node_h plus room for a badge), then in more columns. Returns the width of the
 * narrowest cell, which bounds the node boxes. */
static double
place_nodes (MsTraceLayout *layout,
             double         width,
             double         height,
             double         scale,
             double         node_h,
             Point         *points,
             double        *zone_x,
             double        *zone_w)
{
  guint n_zones = MAX (layout->zones->len, 1);
  double margin = 16 * scale;
  double col_w = (width - 2 * margin) / n_zones;
  double top = 36 * scale, avail = height - 96 * scale;
  guint rows_fit = (guint) MAX (1.0, floor (avail / (node_h + 30 * scale)));
  double narrowest = col_w;

  for (guint z = 0; z < layout->zones->len; z++)
    {
      const char *zone = g_ptr_array_index (layout->zones, z);
      guint n_in = 0, k = 0, rows, cols;

      zone_x[z] = margin + z * col_w;
      zone_w[z] = col_w;
      for (guint i = 0; i < layout->nodes->len; i++)
        n_in += strcmp (((MsLayoutNode *) g_ptr_array_index (layout->nodes, i))->zone, zone) == 0;
      rows = MIN (MAX (n_in, 1), rows_fit);
      cols = (MAX (n_in, 1) + rows - 1) / rows;
      narrowest = MIN (narrowest, col_w / cols);
      for (guint i = 0; i < layout->nodes->len; i++)
        {
          MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
          guint row = k % rows, col = k / rows;

          if (strcmp (node->zone, zone) != 0)
            continue;
          points[i].x = zone_x[z] + (col + 0.5) * col_w / cols;
          points[i].y = top + (row + 0.5) * avail / rows;
          k++;
        }
    }
  return narrowest;
}

static void
draw_envelope (cairo_t             *cr,
               const MsRenderStyle *style,
               double               x,
               double               y)
{
  double w = 26 * style->scale, h = 18 * style->scale;

  cairo_set_line_width (cr, 1.8 * style->scale);
  set_color (cr, style, MS_COLOR_CURRENT);
  cairo_rectangle (cr, x - w / 2, y - h / 2, w, h);
  cairo_fill_preserve (cr);
  set_color (cr, style, MS_COLOR_FG);
  cairo_stroke (cr);
  cairo_move_to (cr, x - w / 2, y - h / 2);
  cairo_line_to (cr, x, y + h * 0.1);
  cairo_line_to (cr, x + w / 2, y - h / 2);
  cairo_stroke (cr);
}

/* The path of a session: client → (router →) server. */
static guint
session_path (const LayoutSession *ls,
              const Point         *points,
              Point               *path)
{
  guint n = 0;

  path[n++] = points[ls->client];
  if (ls->router != G_MAXUINT)
    path[n++] = points[ls->router];
  path[n++] = points[ls->server];
  return n;
}

static Point
point_along (const Point *path,
             guint        n,
             double       phase)
{
  double total = 0, want, walked = 0;
  Point p = path[0];

  for (guint i = 0; i + 1 < n; i++)
    total += hypot (path[i + 1].x - path[i].x, path[i + 1].y - path[i].y);
  want = CLAMP (phase, 0.0, 1.0) * total;
  for (guint i = 0; i + 1 < n; i++)
    {
      double seg = hypot (path[i + 1].x - path[i].x, path[i + 1].y - path[i].y);

      if (walked + seg >= want && seg > 0)
        {
          double f = (want - walked) / seg;

          p.x = path[i].x + f * (path[i + 1].x - path[i].x);
          p.y = path[i].y + f * (path[i + 1].y - path[i].y);
          return p;
        }
      walked += seg;
    }
  return path[n - 1];
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
  double scale = style->scale;
  guint n_nodes = layout->nodes->len;
  g_autofree Point *points = g_new0 (Point, MAX (n_nodes, 1));
  g_autofree double *zone_x = g_new0 (double, MAX (layout->zones->len, 1));
  g_autofree double *zone_w = g_new0 (double, MAX (layout->zones->len, 1));
  g_autofree char **badges = g_new0 (char *, MAX (n_nodes, 1));
  g_autofree gboolean *badge_bad = g_new0 (gboolean, MAX (n_nodes, 1));
  g_autoptr(GHashTable) drawn = g_hash_table_new (NULL, NULL);
  g_autoptr(GHashTable) blocked_paths = g_hash_table_new (NULL, NULL);
  g_autoptr(PangoLayout) text = new_text (cr, style, BASE_FONT_SIZE, FALSE);
  g_autoptr(PangoLayout) small = new_text (cr, style, BASE_FONT_SIZE * 0.85, FALSE);
  g_autoptr(PangoLayout) bold = new_text (cr, style, BASE_FONT_SIZE * 1.05, TRUE);
  const MsStep *current = ms_playback_model_get_current (model);
  MsTrace *trace = ms_playback_model_get_trace (model);
  guint cursor = ms_playback_model_get_cursor (model);
  double node_w = NET_NODE_WIDTH * scale, node_h = NET_NODE_HEIGHT * scale;
  guint n_event_steps;
  const guint *event_steps = ms_playback_model_get_event_steps (model, &n_event_steps);

  set_color (cr, style, MS_COLOR_BG);
  cairo_paint (cr);
  if (n_nodes == 0)
    {
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, text, _("No network yet: the trace has no sessions."), width / 2,
                 height / 2, width - 40, 0.5);
      return;
    }
  {
    double cell = place_nodes (layout, width, height, scale, node_h, points, zone_x, zone_w);

    /* room between the boxes for the links and their labels */
    node_w = MIN (node_w, cell * 0.8);
  }

  /* zones */
  for (guint z = 0; z < layout->zones->len; z++)
    {
      const char *zone = g_ptr_array_index (layout->zones, z);

      if (zone[0] == '\0')
        continue;
      set_color (cr, style, MS_COLOR_ZONE);
      rounded_rect (cr, zone_x[z] + 4 * scale, 6 * scale, zone_w[z] - 8 * scale,
                    height - 12 * scale, 10 * scale);
      cairo_fill_preserve (cr);
      set_color (cr, style, MS_COLOR_LIFELINE);
      cairo_set_line_width (cr, 1.0 * scale);
      cairo_stroke (cr);
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, small, zone, zone_x[z] + zone_w[z] / 2, 10 * scale,
                 zone_w[z] - 16 * scale, 0.5);
    }

  /* links, one per client/server pair (the hash keys on the pair) */
  for (guint s = 0; s < layout->sessions->len; s++)
    {
      const LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession, s);
      MsTraceSession *session = ms_trace_get_session (trace, s);
      guint key = ls->client * 65521u + ls->server * 31u + (ls->router != G_MAXUINT);
      Point path[3];
      guint n, port;
      g_autofree char *addr = endpoint_address (session->server, &port);
      g_autofree char *label = NULL;
      gboolean is_current = current != NULL && current->session == session;

      if (ms_playback_model_is_mirror (model, s)
          || (g_hash_table_contains (drawn, GUINT_TO_POINTER (key)) && !is_current))
        continue;
      g_hash_table_add (drawn, GUINT_TO_POINTER (key));
      n = session_path (ls, points, path);
      set_color (cr, style, is_current ? MS_COLOR_COMMAND : MS_COLOR_LIFELINE);
      cairo_set_line_width (cr, line_width (style) * (is_current ? 2.2 : 1.0));
      cairo_move_to (cr, path[0].x, path[0].y);
      for (guint i = 1; i < n; i++)
        cairo_line_to (cr, path[i].x, path[i].y);
      cairo_stroke (cr);
      label = g_strdup_printf ("%s :%u%s", ms_protocol_to_string (session->protocol), port,
                               session->tls != MS_TLS_NONE ? " TLS" : "");
      {
        Point mid = point_along (path, n, 0.5);

        set_color (cr, style, is_current ? MS_COLOR_FG : MS_COLOR_DIM);
        draw_text (cr, small, label, mid.x, mid.y + 8 * scale, -1, 0.5);
      }
    }

  /* packets a router dropped: the attempted path, dashed, up to the cursor */
  for (guint k = 0; k < n_event_steps && event_steps[k] <= cursor; k++)
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (
        model, ms_playback_model_get_step (model, event_steps[k]));
      guint from, at;
      static const double dash[] = { 7.0, 5.0 };

      if (event == NULL || g_strcmp0 (event->type, "blocked") != 0)
        continue;
      from = blocked_source (layout, event);
      at = node_index (layout, event->node);
      /* each attempted path once, however many packets were dropped on it */
      if (from == G_MAXUINT || at == G_MAXUINT
          || !g_hash_table_add (blocked_paths, GUINT_TO_POINTER (from * 65521u + at + 1)))
        continue;
      set_color (cr, style, MS_COLOR_BLOCK);
      cairo_set_line_width (cr, line_width (style) * 1.5);
      cairo_set_dash (cr, dash, 2, 0);
      cairo_move_to (cr, points[from].x, points[from].y);
      cairo_line_to (cr, points[at].x, points[at].y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
    }

  /* policy results up to the cursor, as badges on the node that decided */
  for (guint k = 0; k < n_event_steps && event_steps[k] <= cursor; k++)
    {
      const MsStep *step = ms_playback_model_get_step (model, event_steps[k]);
      MsTraceEvent *event = ms_playback_model_get_step_event (model, step);
      guint at;

      if (event == NULL || g_strcmp0 (event->type, "policy") != 0)
        continue;
      at = node_index (layout, event->node);
      if (at == G_MAXUINT)
        {
          const LayoutSession *ls = layout_session_by_id (layout, event->session);

          if (ls == NULL)
            continue;
          at = ls->server;
        }
      g_free (badges[at]);
      badges[at] = event_summary (event);
      badge_bad[at] = event_failed (event);
    }

  /* nodes */
  for (guint i = 0; i < n_nodes; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
      double x = points[i].x - node_w / 2, y = points[i].y - node_h / 2;

      set_color (cr, style, MS_COLOR_NODE);
      if (node->is_router)
        {
          cairo_move_to (cr, points[i].x, y - 6 * scale);
          cairo_line_to (cr, x + node_w, points[i].y);
          cairo_line_to (cr, points[i].x, y + node_h + 6 * scale);
          cairo_line_to (cr, x, points[i].y);
          cairo_close_path (cr);
        }
      else
        rounded_rect (cr, x, y, node_w, node_h, 8 * scale);
      cairo_fill_preserve (cr);
      set_color (cr, style, MS_COLOR_FG);
      cairo_set_line_width (cr, line_width (style));
      cairo_stroke (cr);
      draw_text (cr, bold, node->name, points[i].x, y + 5 * scale, node_w - 8 * scale, 0.5);
      set_color (cr, style, MS_COLOR_DIM);
      draw_text (cr, small, node->role ? node->role : "", points[i].x,
                 y + 5 * scale + BASE_FONT_SIZE * 1.7 * scale, node_w - 12 * scale, 0.5);
      if (node->address != NULL && g_strcmp0 (node->address, node->name) != 0)
        draw_text (cr, small, node->address, points[i].x,
                   y + 5 * scale + BASE_FONT_SIZE * 3.1 * scale, node_w - 12 * scale, 0.5);
      if (badges[i] != NULL)
        render_badge (cr, small, style, badges[i], points[i].x, y + node_h + 14 * scale,
                      node_w * 1.2, 0, width, badge_bad[i] ? MS_COLOR_5XX : MS_COLOR_2XX);
    }

  /* a packet dropped at this step: stopped at the router, with the reason */
  {
    MsTraceEvent *event = ms_playback_model_get_step_event (model, current);
    guint at = event ? node_index (layout, event->node) : G_MAXUINT;

    if (event != NULL && g_strcmp0 (event->type, "blocked") == 0 && at != G_MAXUINT)
      {
        g_autofree char *summary = event_summary (event);
        Point p = points[at];
        double ex = p.x - node_w / 2 - 18 * scale;

        draw_envelope (cr, style, ex, p.y);
        draw_cross (cr, style, ex, p.y, 11 * scale);
        set_color (cr, style, MS_COLOR_BLOCK);
        draw_text (cr, bold, summary, p.x, p.y + node_h / 2 + 12 * scale,
                   zone_w[0] * 1.6, 0.5);
      }
  }

  /* the current step on its link */
  if (current != NULL && current->session != NULL)
    {
      const LayoutSession *ls = layout_session_by_id (layout, current->session->id);
      MsTraceEvent *event = ms_playback_model_get_step_event (model, current);
      MsTraceLine *line = ms_playback_model_get_step_line (model, current);
      Point path[3];
      guint n;

      if (ls != NULL)
        {
          n = session_path (ls, points, path);
          if (event != NULL && g_strcmp0 (event->type, "blocked") == 0 && ls->router != G_MAXUINT)
            {
              /* stopped at the router, with the reason */
              Point at = points[ls->router];
              g_autofree char *summary = event_summary (event);

              draw_envelope (cr, style, at.x - 30 * scale, at.y - node_h / 2 - 18 * scale);
              draw_cross (cr, style, at.x - 30 * scale, at.y - node_h / 2 - 18 * scale,
                          11 * scale);
              set_color (cr, style, MS_COLOR_BLOCK);
              draw_text (cr, bold, summary, at.x, at.y + node_h / 2 + 10 * scale,
                         zone_w[0] * 1.5, 0.5);
            }
          else if (line != NULL)
            {
              Point p;
              g_autofree char *label = ms_text_format_line_text (current->session->protocol,
                                                                 line, style->show_secrets);

              if (line->dir == MS_DIR_SERVER)
                {
                  Point reversed[3];

                  for (guint i = 0; i < n; i++)
                    reversed[i] = path[n - 1 - i];
                  p = point_along (reversed, n, phase);
                }
              else
                p = point_along (path, n, phase);
              draw_envelope (cr, style, p.x, p.y);
              set_color (cr, style, ms_render_color_for_line (line));
              /* the line itself as a caption under the map: it would hide a node */
              render_badge (cr, text, style, label, width / 2, height - 24 * scale,
                            width - 40 * scale, 4 * scale, width - 4 * scale,
                            ms_render_color_for_line (line));
            }
        }
    }
}
