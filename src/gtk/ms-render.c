/* ms-render.c: what the sequence diagram and the network view share: the layout of a
 * trace (nodes, zones, lifelines, links), colours, text and event labels
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ms-render-sequence.c draws the sequence diagram, ms-render-network.c the network view,
 * ms-render-icons.c the node icons; ms-net-layout.c holds the pure geometry.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ms-render-private.h"
#include "ms-text-format.h"

static void
layout_node_free (gpointer data)
{
  MsLayoutNode *node = data;

  g_free (node->name);
  g_free (node->address);
  g_free (node->role);
  g_free (node->zone);
  g_free (node->hostname);
  g_strfreev (node->ports);
  g_strfreev (node->addresses);
  g_free (node);
}

static void
layout_zone_free (gpointer data)
{
  MsLayoutZone *zone = data;

  g_free (zone->name);
  g_free (zone->kind);
  g_strfreev (zone->cidrs);
  g_free (zone);
}

static void
layout_link_clear (gpointer data)
{
  LayoutLink *link = data;

  g_clear_pointer (&link->path, g_array_unref);
}

/* "ADDR:PORT" or "[ADDR]:PORT" to ADDR; the port to *port. */
char *
ms_render_endpoint_address (const char *endpoint,
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
  if (colon == NULL || strchr (endpoint, ':') != colon)
    return g_strdup (endpoint);  /* no port, or a bare IPv6 address */
  *port = (guint) g_ascii_strtoull (colon + 1, NULL, 10);
  return g_strndup (endpoint, colon - endpoint);
}

/* Without a topology (a capture, the live lab): addresses grouped by /24 or /64. */
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
zone_index_by_name (MsTraceLayout *layout,
                    const char    *name)
{
  for (guint z = 0; z < layout->zones->len; z++)
    if (g_strcmp0 (((MsLayoutZone *) layout->zones->pdata[z])->name, name) == 0)
      return z;
  return G_MAXUINT;
}

/* A zone for a guessed prefix (no topology), created on first use. */
static guint
guessed_zone (MsTraceLayout *layout,
              const char    *address)
{
  g_autofree char *prefix = zone_for_address (address);
  guint z = zone_index_by_name (layout, prefix);
  MsLayoutZone *zone;

  if (z != G_MAXUINT)
    return z;
  zone = g_new0 (MsLayoutZone, 1);
  zone->name = g_strdup (prefix);
  if (prefix[0] != '\0')
    {
      char *cidrs[] = { prefix, NULL };

      zone->cidrs = g_strdupv (cidrs);
    }
  g_ptr_array_add (layout->zones, zone);
  return layout->zones->len - 1;
}

static void
index_address (MsTraceLayout *layout,
               const char    *address,
               guint          index)
{
  if (address != NULL && !g_hash_table_contains (layout->by_address, address))
    g_hash_table_insert (layout->by_address, g_strdup (address), GUINT_TO_POINTER (index + 1));
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
          if (!layout->has_topology)
            {
              node->zone_index = guessed_zone (layout, address);
              g_free (node->zone);
              node->zone = g_strdup (((MsLayoutZone *) layout->zones->pdata[node->zone_index])->name);
            }
          index_address (layout, address, GPOINTER_TO_UINT (found) - 1);
        }
      return GPOINTER_TO_UINT (found) - 1;
    }
  node = g_new0 (MsLayoutNode, 1);
  node->name = g_strdup (name);
  node->address = g_strdup (address);
  node->zone_right = G_MAXUINT;
  node->zone_index = guessed_zone (layout, address);
  node->zone = g_strdup (((MsLayoutZone *) layout->zones->pdata[node->zone_index])->name);
  g_ptr_array_add (layout->nodes, node);
  g_hash_table_insert (layout->by_name, node->name, GUINT_TO_POINTER (layout->nodes->len));
  index_address (layout, address, layout->nodes->len - 1);
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
      return "webmail";
    case MS_PROTOCOL_UNKNOWN:
    default:
      return NULL;
    }
}

static const char *
json_string (JsonObject *object,
             const char *name)
{
  return object != NULL ? json_object_get_string_member_with_default (object, name, NULL) : NULL;
}

static GStrv
json_strv (JsonObject *object,
           const char *name)
{
  JsonNode *member = object ? json_object_get_member (object, name) : NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (member != NULL && JSON_NODE_HOLDS_VALUE (member)
      && json_node_get_value_type (member) == G_TYPE_STRING)
    g_strv_builder_add (builder, json_node_get_string (member));
  else if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *array = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element)
              && json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

/* The trace's topology (a scenario's networks and nodes): zones, every node with its
 * roles, addresses and ports, and the routers between zones. */
static void
load_topology (MsTraceLayout *layout,
               JsonObject    *topology)
{
  JsonArray *networks = json_object_get_array_member (topology, "networks");
  JsonArray *nodes = json_object_get_array_member (topology, "nodes");

  layout->has_topology = TRUE;
  for (guint i = 0; networks != NULL && i < json_array_get_length (networks); i++)
    {
      JsonObject *net = json_array_get_object_element (networks, i);
      MsLayoutZone *zone;

      if (net == NULL || json_string (net, "name") == NULL)
        continue;
      zone = g_new0 (MsLayoutZone, 1);
      zone->name = g_strdup (json_string (net, "name"));
      zone->kind = json_string (net, "kind") && json_string (net, "kind")[0]
                   ? g_strdup (json_string (net, "kind")) : NULL;
      zone->cidrs = json_strv (net, "cidr");
      g_ptr_array_add (layout->zones, zone);
    }
  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
    {
      JsonObject *spec = json_array_get_object_element (nodes, i);
      JsonObject *addresses = spec ? json_object_get_object_member (spec, "addresses") : NULL;
      g_autoptr(GList) nets = addresses ? json_object_get_members (addresses) : NULL;
      g_auto(GStrv) roles = json_strv (spec, "roles");
      g_autoptr(GStrvBuilder) all = g_strv_builder_new ();
      g_autoptr(GArray) zones = g_array_new (FALSE, FALSE, sizeof (guint));
      MsLayoutNode *node;
      guint index;

      if (spec == NULL || json_string (spec, "name") == NULL
          || g_hash_table_contains (layout->by_name, json_string (spec, "name")))
        continue;
      node = g_new0 (MsLayoutNode, 1);
      node->name = g_strdup (json_string (spec, "name"));
      node->hostname = g_strdup (json_string (spec, "hostname"));
      node->ports = json_strv (spec, "ports");
      node->zone_index = G_MAXUINT;
      node->zone_right = G_MAXUINT;
      for (guint k = 0; roles[k] != NULL; k++)
        {
          g_autofree char *upper = g_ascii_strup (roles[k], -1);
          gboolean lower = strcmp (roles[k], "router") == 0 || strcmp (roles[k], "webmail") == 0;

          node->is_router |= strcmp (roles[k], "router") == 0;
          add_role (node, lower ? roles[k] : upper);
        }
      for (GList *l = nets; l != NULL; l = l->next)
        {
          const char *address = json_object_get_string_member_with_default (addresses,
                                                                           l->data, NULL);
          guint z = zone_index_by_name (layout, l->data);

          if (address == NULL)
            continue;
          g_strv_builder_add (all, address);
          if (node->address == NULL)
            node->address = g_strdup (address);
          if (z != G_MAXUINT)
            g_array_append_val (zones, z);
        }
      node->addresses = g_strv_builder_end (g_steal_pointer (&all));
      all = g_strv_builder_new ();
      if (zones->len > 0)
        node->zone_index = g_array_index (zones, guint, 0);
      else
        node->zone_index = guessed_zone (layout, node->address);
      node->zone = g_strdup (((MsLayoutZone *) layout->zones->pdata[node->zone_index])->name);
      g_ptr_array_add (layout->nodes, node);
      index = layout->nodes->len - 1;
      g_hash_table_insert (layout->by_name, node->name, GUINT_TO_POINTER (index + 1));
      for (guint k = 0; node->addresses[k] != NULL; k++)
        index_address (layout, node->addresses[k], index);
      /* a router joins each pair of its networks */
      if (node->is_router)
        for (guint a = 0; a < zones->len; a++)
          for (guint b = a + 1; b < zones->len; b++)
            {
              g_array_append_val (layout->zone_edges, g_array_index (zones, guint, a));
              g_array_append_val (layout->zone_edges, g_array_index (zones, guint, b));
              g_array_append_val (layout->edge_router, index);
            }
    }
}

/* The routers on the way from node @from to node @to, over the topology. */
static GArray *
node_path (MsTraceLayout *layout,
           guint          from,
           guint          to)
{
  GArray *path = g_array_new (FALSE, FALSE, sizeof (guint));
  MsLayoutNode *a = g_ptr_array_index (layout->nodes, from);
  MsLayoutNode *b = g_ptr_array_index (layout->nodes, to);

  g_array_append_val (path, from);
  if (layout->has_topology && from != to)
    {
      g_autoptr(GArray) routers = g_array_new (FALSE, FALSE, sizeof (guint));
      /* a router starts or ends the walk in whichever of its zones is nearer */
      guint za[2] = { a->zone_index, a->zone_right }, zb[2] = { b->zone_index, b->zone_right };
      guint best = G_MAXUINT;

      for (guint i = 0; i < 2; i++)
        for (guint j = 0; j < 2; j++)
          {
            g_autoptr(GArray) tried = g_array_new (FALSE, FALSE, sizeof (guint));

            if (za[i] == G_MAXUINT || zb[j] == G_MAXUINT
                || !ms_net_route (layout->zones->len, (guint *) (gpointer) layout->zone_edges->data,
                                  (guint *) (gpointer) layout->edge_router->data,
                                  layout->edge_router->len, za[i], zb[j], tried)
                || tried->len >= best)
              continue;
            best = tried->len;
            g_array_set_size (routers, 0);
            g_array_append_vals (routers, tried->data, tried->len);
          }
      for (guint i = 0; i < routers->len; i++)
        {
          guint r = g_array_index (routers, guint, i);

          if (r != from && r != to)
            g_array_append_val (path, r);
        }
    }
  if (to != from)
    g_array_append_val (path, to);
  return path;
}

static guint
add_link (MsTraceLayout *layout,
          guint          from,
          guint          to,
          MsProtocol     protocol,
          guint          port,
          gboolean       tls,
          guint          router)
{
  g_autofree char *key = g_strdup_printf ("%u>%u:%d:%u:%u", from, to, protocol, port, router);
  gpointer found = g_hash_table_lookup (layout->link_by_key, key);
  LayoutLink link = { from, to, protocol, port, tls, NULL };

  if (found != NULL)
    {
      LayoutLink *old = &g_array_index (layout->links, LayoutLink, GPOINTER_TO_UINT (found) - 1);

      old->tls |= tls;
      return GPOINTER_TO_UINT (found) - 1;
    }
  if (router != G_MAXUINT)
    {
      /* a dropped packet's way: up to the router that dropped it */
      g_autoptr(GArray) full = node_path (layout, from, to);

      link.path = g_array_new (FALSE, FALSE, sizeof (guint));
      for (guint i = 0; i < full->len; i++)
        {
          guint n = g_array_index (full, guint, i);

          if (i + 1 == full->len && n != router)
            break;
          g_array_append_val (link.path, n);
          if (n == router)
            break;
        }
      if (g_array_index (link.path, guint, link.path->len - 1) != router)
        g_array_append_val (link.path, router);
    }
  else
    link.path = node_path (layout, from, to);
  g_array_append_val (layout->links, link);
  g_hash_table_insert (layout->link_by_key, g_steal_pointer (&key),
                       GUINT_TO_POINTER (layout->links->len));
  return layout->links->len - 1;
}

/* Zones left to right so that a router sits between the two networks it joins. */
static void
order_zones (MsTraceLayout *layout)
{
  guint n = layout->zones->len;
  g_autofree guint *order = g_new0 (guint, MAX (n, 1));
  g_autofree guint *position = g_new0 (guint, MAX (n, 1));
  g_autoptr(GPtrArray) zones = g_ptr_array_new_with_free_func (layout_zone_free);
  guint *edges = (guint *) (gpointer) layout->zone_edges->data;

  ms_net_order_zones (n, edges, layout->edge_router->len, order);
  for (guint p = 0; p < n; p++)
    {
      position[order[p]] = p;
      g_ptr_array_add (zones, layout->zones->pdata[order[p]]);
    }
  g_ptr_array_set_free_func (layout->zones, NULL);
  g_ptr_array_unref (layout->zones);
  layout->zones = g_steal_pointer (&zones);
  for (guint k = 0; k < layout->zone_edges->len; k++)
    edges[k] = position[edges[k]];
  for (guint i = 0; i < layout->nodes->len; i++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

      if (node->zone_index < n)
        node->zone_index = position[node->zone_index];
    }
  /* a router between two zones side by side: drawn on their border */
  for (guint k = 0; k < layout->edge_router->len; k++)
    {
      MsLayoutNode *router = g_ptr_array_index (layout->nodes,
                                                g_array_index (layout->edge_router, guint, k));
      guint a = MIN (edges[2 * k], edges[2 * k + 1]), b = MAX (edges[2 * k], edges[2 * k + 1]);

      if (b == a + 1 && router->zone_right == G_MAXUINT)
        {
          router->zone_index = a;
          router->zone_right = b;
        }
    }
}

static void
add_participant (GArray *participants,
                 guint   index)
{
  for (guint i = 0; i < participants->len; i++)
    if (g_array_index (participants, guint, i) == index)
      return;
  g_array_append_val (participants, index);
}

static MsTraceLayout *layout_for_sort;

/* Lifelines in the order the network view shows them: by zone, routers on the border. */
static gint
compare_lifelines (gconstpointer a,
                   gconstpointer b)
{
  guint ia = *(const guint *) a, ib = *(const guint *) b;
  MsLayoutNode *na = g_ptr_array_index (layout_for_sort->nodes, ia);
  MsLayoutNode *nb = g_ptr_array_index (layout_for_sort->nodes, ib);
  guint ra = na->zone_right != G_MAXUINT ? 2 * na->zone_index + 2 : 2 * na->zone_index + 1;
  guint rb = nb->zone_right != G_MAXUINT ? 2 * nb->zone_index + 2 : 2 * nb->zone_index + 1;

  if (ra != rb)
    return ra < rb ? -1 : 1;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

static guint
find_tls_start (MsTraceSession *session)
{
  if (session->tls == MS_TLS_IMPLICIT)
    return 0;
  if (session->tls != MS_TLS_STARTTLS)
    return G_MAXUINT;
  /* RFC 3207 §4 / RFC 2595 §4: TLS begins after the reply to STARTTLS/STLS */
  for (guint i = 0; i + 1 < session->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, i);

      if (line->dir == MS_DIR_CLIENT
          && (g_strcmp0 (line->command, "STARTTLS") == 0 || g_strcmp0 (line->command, "STLS") == 0))
        for (guint k = i + 1; k < session->lines->len; k++)
          if (((MsTraceLine *) g_ptr_array_index (session->lines, k))->dir == MS_DIR_SERVER)
            return k + 1;
    }
  return G_MAXUINT;
}

MsTraceLayout *
ms_trace_layout_new (MsPlaybackModel *model)
{
  MsTraceLayout *layout = g_new0 (MsTraceLayout, 1);
  MsTrace *trace = ms_playback_model_get_trace (model);
  guint n_sessions = trace ? ms_trace_get_n_sessions (trace) : 0;
  guint n_events = trace ? ms_trace_get_n_events (trace) : 0;
  g_autoptr(GArray) participants = g_array_new (FALSE, FALSE, sizeof (guint));

  layout->nodes = g_ptr_array_new_with_free_func (layout_node_free);
  layout->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  layout->by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  layout->sessions = g_array_new (FALSE, TRUE, sizeof (LayoutSession));
  layout->by_id = g_hash_table_new (NULL, NULL);
  layout->zones = g_ptr_array_new_with_free_func (layout_zone_free);
  layout->zone_edges = g_array_new (FALSE, FALSE, sizeof (guint));
  layout->edge_router = g_array_new (FALSE, FALSE, sizeof (guint));
  layout->lifelines = g_array_new (FALSE, FALSE, sizeof (guint));
  layout->links = g_array_new (FALSE, TRUE, sizeof (LayoutLink));
  g_array_set_clear_func (layout->links, layout_link_clear);
  layout->link_by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  layout->event_peer = g_new (guint, MAX (n_events, 1));
  layout->event_link = g_new (guint, MAX (n_events, 1));
  for (guint e = 0; e < n_events; e++)
    layout->event_peer[e] = layout->event_link[e] = G_MAXUINT;

  if (trace != NULL && ms_trace_get_topology (trace) != NULL)
    load_topology (layout, ms_trace_get_topology (trace));

  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (trace, s);
      LayoutSession ls = { 0, 0, 0, G_MAXUINT, G_MAXUINT, G_MAXUINT };
      guint cport;
      g_autofree char *caddr = ms_render_endpoint_address (session->client, &cport);
      g_autofree char *saddr = ms_render_endpoint_address (session->server, &ls.port);
      const char *cname = session->client_node ? session->client_node : caddr;
      const char *sname = session->server_node ? session->server_node : saddr;
      guint known;

      /* a lab on one machine: both ends on 127.0.0.1, the server known by its port */
      if (session->client_node == NULL && session->server_node == NULL
          && g_strcmp0 (caddr, saddr) == 0)
        sname = session->server;
      /* a capture of a scenario's network: the node that has the address */
      if (session->client_node == NULL && (known = ms_render_node_by_address (layout, caddr)) != G_MAXUINT)
        cname = ((MsLayoutNode *) layout->nodes->pdata[known])->name;
      if (session->server_node == NULL && sname == saddr
          && (known = ms_render_node_by_address (layout, saddr)) != G_MAXUINT)
        sname = ((MsLayoutNode *) layout->nodes->pdata[known])->name;
      ls.client = layout_add_node (layout, cname ? cname : "?", caddr);
      ls.server = layout_add_node (layout, sname ? sname : "?", saddr);
      if (!layout->has_topology)
        add_role (g_ptr_array_index (layout->nodes, ls.server),
                  server_role (session->protocol, ls.port));
      ls.tls_from = find_tls_start (session);
      g_array_append_val (layout->sessions, ls);
      g_hash_table_insert (layout->by_id, GUINT_TO_POINTER (session->id),
                           GUINT_TO_POINTER (s + 1));
    }

  /* without a topology, clients are MUAs, or MTAs when they are mail servers themselves */
  for (guint s = 0; s < n_sessions && !layout->has_topology; s++)
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

  /* routers that dropped something, and the DNS servers asked */
  for (guint e = 0; e < n_events; e++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, e);
      gpointer s;

      if (g_strcmp0 (event->type, "blocked") == 0 && event->node != NULL)
        {
          guint r = ms_render_node_index (layout, event->node);
          guint source = ms_render_node_by_address (
            layout, json_object_get_string_member_with_default (event->fields, "src", NULL));
          MsLayoutNode *router;

          if (r == G_MAXUINT)
            {
              r = layout_add_node (layout, event->node, NULL);
              router = g_ptr_array_index (layout->nodes, r);
              router->is_router = TRUE;
              add_role (router, "router");
              /* drawn beside the node whose packets it dropped */
              if (source != G_MAXUINT)
                {
                  router->zone_index = ((MsLayoutNode *) layout->nodes->pdata[source])->zone_index;
                  g_free (router->zone);
                  router->zone = g_strdup (((MsLayoutNode *) layout->nodes->pdata[source])->zone);
                }
            }
          layout->event_peer[e] = source;
          s = g_hash_table_lookup (layout->by_id, GUINT_TO_POINTER (event->session));
          if (s != NULL)
            g_array_index (layout->sessions, LayoutSession, GPOINTER_TO_UINT (s) - 1).router = r;
        }
      else if (g_strcmp0 (event->type, "dns") == 0 && event->node != NULL)
        {
          const char *server = json_object_get_string_member_with_default (event->fields,
                                                                           "server", NULL);
          guint at = ms_render_node_by_address (layout, server);

          if (ms_render_node_index (layout, event->node) == G_MAXUINT)
            layout_add_node (layout, event->node, NULL);
          if (at == G_MAXUINT && server != NULL)
            {
              guint port;
              g_autofree char *address = ms_render_endpoint_address (server, &port);

              at = layout_add_node (layout, address, address);
              add_role (g_ptr_array_index (layout->nodes, at), "DNS");
            }
          layout->event_peer[e] = at;
        }
    }

  if (layout->has_topology)
    order_zones (layout);

  /* links (after the zones are ordered: the paths walk them) */
  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (trace, s);
      LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession, s);

      add_participant (participants, ls->client);
      add_participant (participants, ls->server);
      if (ms_playback_model_is_mirror (model, s))
        continue;
      ls->link = add_link (layout, ls->client, ls->server, session->protocol, ls->port,
                           session->tls != MS_TLS_NONE,
                           layout->has_topology ? G_MAXUINT : ls->router);
    }
  for (guint e = 0; e < n_events; e++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, e);
      guint at = ms_render_node_index (layout, event->node);
      guint peer = layout->event_peer[e];

      if (at == G_MAXUINT || peer == G_MAXUINT)
        continue;
      if (g_strcmp0 (event->type, "dns") == 0)
        {
          add_participant (participants, at);
          add_participant (participants, peer);
          layout->event_link[e] = add_link (layout, at, peer, MS_PROTOCOL_DNS, 53, FALSE,
                                            G_MAXUINT);
        }
      else if (g_strcmp0 (event->type, "blocked") == 0)
        {
          guint port;
          g_autofree char *dst = ms_render_endpoint_address (
            json_object_get_string_member_with_default (event->fields, "dst", NULL), &port);
          guint to = ms_render_node_by_address (layout, dst);

          add_participant (participants, peer);
          add_participant (participants, at);
          layout->event_link[e] = add_link (layout, peer, to != G_MAXUINT ? to : at,
                                            MS_PROTOCOL_UNKNOWN, port, FALSE, at);
        }
    }

  /* lifelines: the nodes that take part, by zone */
  g_array_append_vals (layout->lifelines, participants->data, participants->len);
  layout_for_sort = layout;
  g_array_sort (layout->lifelines, compare_lifelines);
  layout_for_sort = NULL;
  layout->column_of = g_new (guint, MAX (layout->nodes->len, 1));
  for (guint i = 0; i < layout->nodes->len; i++)
    layout->column_of[i] = G_MAXUINT;
  for (guint c = 0; c < layout->lifelines->len; c++)
    layout->column_of[g_array_index (layout->lifelines, guint, c)] = c;

  /* the network view shows the nodes that take part and the routers on their ways (a
   * scenario's idle hosts would only make the picture smaller), and their zones */
  layout->node_shown = g_new0 (gboolean, MAX (layout->nodes->len, 1));
  layout->zone_shown = g_new0 (gboolean, MAX (layout->zones->len, 1));
  {
    gboolean any = FALSE;

    for (guint l = 0; l < layout->links->len; l++)
      {
        GArray *path = g_array_index (layout->links, LayoutLink, l).path;

        for (guint k = 0; k < path->len; k++)
          layout->node_shown[g_array_index (path, guint, k)] = TRUE;
      }
    for (guint i = 0; i < layout->nodes->len; i++)
      {
        layout->node_shown[i] |= layout->column_of[i] != G_MAXUINT;
        any |= layout->node_shown[i];
      }
    for (guint i = 0; i < layout->nodes->len; i++)
      {
        MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);

        if (!any)
          layout->node_shown[i] = TRUE;
        if (!layout->node_shown[i])
          continue;
        if (node->zone_index < layout->zones->len)
          layout->zone_shown[node->zone_index] = TRUE;
        if (node->zone_right < layout->zones->len)
          layout->zone_shown[node->zone_right] = TRUE;
      }
  }
  return layout;
}

void
ms_trace_layout_free (MsTraceLayout *layout)
{
  if (layout == NULL)
    return;
  if (layout->net_cache != NULL && layout->net_cache_free != NULL)
    layout->net_cache_free (layout->net_cache);
  g_ptr_array_unref (layout->nodes);
  g_hash_table_unref (layout->by_name);
  g_hash_table_unref (layout->by_address);
  g_array_unref (layout->sessions);
  g_hash_table_unref (layout->by_id);
  g_ptr_array_unref (layout->zones);
  g_array_unref (layout->zone_edges);
  g_array_unref (layout->edge_router);
  g_array_unref (layout->lifelines);
  g_array_unref (layout->links);
  g_hash_table_unref (layout->link_by_key);
  g_free (layout->column_of);
  g_free (layout->node_shown);
  g_free (layout->zone_shown);
  g_free (layout->event_peer);
  g_free (layout->event_link);
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

guint
ms_trace_layout_get_n_zones (MsTraceLayout *layout)
{
  return layout->zones->len;
}

const MsLayoutZone *
ms_trace_layout_get_zone (MsTraceLayout *layout,
                          guint          index)
{
  return g_ptr_array_index (layout->zones, index);
}

gboolean
ms_trace_layout_is_shown (MsTraceLayout *layout,
                          guint          node)
{
  return node < layout->nodes->len && layout->node_shown[node];
}

guint
ms_trace_layout_get_n_lifelines (MsTraceLayout *layout)
{
  return layout->lifelines->len;
}

guint
ms_trace_layout_get_lifeline (MsTraceLayout *layout,
                              guint          column)
{
  return g_array_index (layout->lifelines, guint, column);
}

guint
ms_render_node_index (MsTraceLayout *layout,
                      const char    *name)
{
  gpointer found = name ? g_hash_table_lookup (layout->by_name, name) : NULL;

  return found ? GPOINTER_TO_UINT (found) - 1 : G_MAXUINT;
}

/* The node with this address ("ADDR" or "ADDR:PORT"), or G_MAXUINT. */
guint
ms_render_node_by_address (MsTraceLayout *layout,
                           const char    *endpoint)
{
  guint port;
  g_autofree char *address = ms_render_endpoint_address (endpoint, &port);
  gpointer found = address ? g_hash_table_lookup (layout->by_address, address) : NULL;

  return found ? GPOINTER_TO_UINT (found) - 1 : G_MAXUINT;
}

const LayoutSession *
ms_render_session_by_id (MsTraceLayout *layout,
                         guint          id)
{
  gpointer found = g_hash_table_lookup (layout->by_id, GUINT_TO_POINTER (id));

  return found ? &g_array_index (layout->sessions, LayoutSession,
                                 GPOINTER_TO_UINT (found) - 1) : NULL;
}

guint
ms_render_event_node (MsTraceLayout *layout,
                      MsTraceEvent  *event)
{
  guint at = ms_render_node_index (layout, event->node);

  if (at == G_MAXUINT)
    {
      const LayoutSession *ls = ms_render_session_by_id (layout, event->session);

      if (ls != NULL)
        at = ls->server;
    }
  return at;
}

const char *
ms_render_zone_kind_label (const char *kind)
{
  if (kind == NULL)
    return NULL;
  if (strcmp (kind, "home-pool") == 0)
    /* TRANSLATORS: a network zone: home lines in an ISP's dynamic address pool */
    return _("Home ISP pool");
  if (strcmp (kind, "isp") == 0)
    /* TRANSLATORS: a network zone: the Internet service provider's own servers */
    return _("ISP");
  if (strcmp (kind, "internet") == 0)
    return _("Internet");
  if (strcmp (kind, "dmz") == 0)
    /* TRANSLATORS: a network zone between two firewalls */
    return _("DMZ");
  if (strcmp (kind, "lan") == 0)
    return _("Internal LAN");
  return NULL;
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

  static const MsRgb dark_contrast[MS_N_COLORS] = {
    { 0.00, 0.00, 0.00 }, { 1.00, 1.00, 1.00 }, { 0.82, 0.82, 0.84 }, { 0.62, 0.63, 0.68 },
    { 0.80, 0.88, 1.00 }, { 0.45, 0.95, 0.50 }, { 0.55, 0.78, 1.00 }, { 1.00, 0.80, 0.30 },
    { 1.00, 0.48, 0.45 }, { 0.42, 0.38, 0.06 }, { 0.13, 0.14, 0.17 }, { 0.24, 0.28, 0.36 },
    { 1.00, 0.35, 0.35 }, { 0.30, 0.95, 0.95 },
  };

  if (style->dark && style->high_contrast)
    *rgb = dark_contrast[color];
  else if (style->dark)
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


void
ms_render_set_color (cairo_t             *cr,
                     const MsRenderStyle *style,
                     MsColor              color)
{
  MsRgb rgb;

  ms_render_color (style, color, &rgb);
  cairo_set_source_rgb (cr, rgb.r, rgb.g, rgb.b);
}

double
ms_render_line_width (const MsRenderStyle *style)
{
  return (style->high_contrast ? 2.5 : 1.4) * style->scale;
}

PangoLayout *
ms_render_new_text (cairo_t             *cr,
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
double
ms_render_text (cairo_t     *cr,
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

void
ms_render_text_size (PangoLayout *layout,
                     const char  *text,
                     int         *w,
                     int         *h)
{
  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, -1);
  pango_layout_get_pixel_size (layout, w, h);
}

void
ms_render_rounded_rect (cairo_t *cr,
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

/* A padlock: TLS is on. */
void
ms_render_lock (cairo_t             *cr,
                const MsRenderStyle *style,
                double               x,
                double               y,
                double               size)
{
  double s = size / 2;

  ms_render_set_color (cr, style, MS_COLOR_TLS);
  cairo_set_line_width (cr, MAX (1.5, s * 0.32));
  cairo_new_path (cr);
  cairo_arc (cr, x, y - s * 0.3, s * 0.62, G_PI, 2 * G_PI);
  cairo_stroke (cr);
  ms_render_rounded_rect (cr, x - s, y - s * 0.3, 2 * s, 1.5 * s, s * 0.2);
  cairo_fill (cr);
}

void
ms_render_cross (cairo_t             *cr,
                 const MsRenderStyle *style,
                 double               x,
                 double               y,
                 double               size)
{
  ms_render_set_color (cr, style, MS_COLOR_BLOCK);
  cairo_set_line_width (cr, MAX (3.0 * style->scale, size * 0.3));
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to (cr, x - size, y - size);
  cairo_line_to (cr, x + size, y + size);
  cairo_move_to (cr, x + size, y - size);
  cairo_line_to (cr, x - size, y + size);
  cairo_stroke (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
}

/* An envelope @size wide centred on x, y. */
void
ms_render_envelope (cairo_t             *cr,
                    const MsRenderStyle *style,
                    double               x,
                    double               y,
                    double               size)
{
  double w = size, h = size * 0.68;

  cairo_set_line_width (cr, MAX (1.5, size * 0.07));
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  ms_render_set_color (cr, style, MS_COLOR_CURRENT);
  ms_render_rounded_rect (cr, x - w / 2, y - h / 2, w, h, size * 0.06);
  cairo_fill_preserve (cr);
  ms_render_set_color (cr, style, MS_COLOR_FG);
  cairo_stroke (cr);
  cairo_move_to (cr, x - w / 2 + size * 0.04, y - h / 2 + size * 0.04);
  cairo_line_to (cr, x, y + h * 0.12);
  cairo_line_to (cr, x + w / 2 - size * 0.04, y - h / 2 + size * 0.04);
  cairo_stroke (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_MITER);
}

void
ms_render_badge (cairo_t             *cr,
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

  ms_render_text_size (text, label, &w, &h);
  w = MIN (w, (int) max_width);
  /* keep the whole badge inside [min_left, max_right] */
  if (max_right > 0 && x + w / 2.0 + pad > max_right)
    x = max_right - w / 2.0 - pad;
  if (x - w / 2.0 - pad < min_left)
    x = min_left + w / 2.0 + pad;
  ms_render_color (style, color, &rgb);
  ms_render_set_color (cr, style, MS_COLOR_BG);
  ms_render_rounded_rect (cr, x - w / 2.0 - pad, y - h / 2.0 - pad / 2, w + 2 * pad, h + pad,
                          4 * style->scale);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, rgb.r, rgb.g, rgb.b);
  cairo_set_line_width (cr, ms_render_line_width (style));
  cairo_stroke (cr);
  ms_render_text (cr, text, label, x - w / 2.0, y - h / 2.0, max_width, 0);
}

/* The narration in the language of the messages (LANGUAGE=ja → "ja"). */
const char *
ms_render_event_text_for_language (MsTraceEvent *event)
{
  const char * const *langs = g_get_language_names ();
  const char *ja = json_object_get_string_member_with_default (event->fields, "ja", NULL);
  const char *en = json_object_get_string_member_with_default (event->fields, "en", NULL);
  const char *text = json_object_get_string_member_with_default (event->fields, "text", NULL);

  if (langs[0] != NULL && g_str_has_prefix (langs[0], "ja") && ja != NULL)
    return ja;
  return en ? en : text ? text : ja ? ja : "";
}

static const char *
field (MsTraceEvent *event,
       const char   *name)
{
  return json_object_get_string_member_with_default (event->fields, name, NULL);
}

static const char *
or_default (const char *value,
            const char *fallback)
{
  return value != NULL ? value : fallback;
}

static gboolean
field_is (MsTraceEvent *event,
          const char   *name,
          const char   *value)
{
  return g_strcmp0 (field (event, name), value) == 0;
}

/* A policy decision in a few words. */
static char *
policy_label (MsTraceEvent *event)
{
  const char *check = field (event, "check");
  const char *result = field (event, "result");

  if (check == NULL || result == NULL)
    return NULL;
  if (strcmp (check, "auth") == 0)
    return g_strdup (strcmp (result, "ok") == 0 ? _("AUTH ok") : _("AUTH failed"));
  if (strcmp (check, "relay") == 0)
    return g_strdup (strcmp (result, "allowed") == 0 ? _("relay allowed") : _("relay denied"));
  if (strcmp (check, "spf") == 0)
    /* TRANSLATORS: %s is the SPF result as RFC 7208 names it (pass, fail, softfail...) */
    return g_strdup_printf (_("SPF %s"), result);
  if (strcmp (check, "spf-action") == 0)
    return g_strdup (strcmp (result, "rejected") == 0 ? _("SPF: rejected")
                                                      : _("SPF: marked in the header"));
  if (strcmp (check, "message-id") == 0)
    return g_strdup (_("Message-ID added"));
  if (strcmp (check, "mx") == 0)
    return g_strdup_printf (_("MX: %s"), result);
  if (strcmp (check, "recipient") == 0)
    return g_strdup_printf (strcmp (result, "accepted") == 0 ? _("recipient %s accepted")
                                                             : _("recipient %s rejected"),
                            field (event, "recipient") ? field (event, "recipient") : "");
  if (strcmp (check, "transport") == 0)
    return g_strdup_printf (_("transport → %s"), result);
  if (strcmp (check, "tempfail") == 0)
    return g_strdup (_("greylisted: 451, try later"));
  if (strcmp (check, "pop-before-smtp") == 0)
    return g_strdup (_("POP before SMTP: relaying opened"));
  return g_strdup_printf ("%s: %s", check, result);
}

static char *
dns_label (MsTraceEvent *event)
{
  const char *name = field (event, "name") ? field (event, "name") : "?";
  const char *qtype = field (event, "qtype") ? field (event, "qtype") : "";
  JsonNode *answers = json_object_get_member (event->fields, "answers");

  if (field_is (event, "direction", "query"))
    /* TRANSLATORS: a DNS question: the type (MX, A, TXT) and the name asked about */
    return g_strdup_printf (_("DNS query: %s %s?"), qtype, name);
  if (answers != NULL && JSON_NODE_HOLDS_ARRAY (answers)
      && json_array_get_length (json_node_get_array (answers)) > 0)
    {
      JsonArray *array = json_node_get_array (answers);
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array) && i < 3; i++)
        g_string_append_printf (list, "%s%s", i ? ", " : "",
                                json_array_get_string_element (array, i));
      if (json_array_get_length (array) > 3)
        g_string_append (list, ", …");
      /* TRANSLATORS: a DNS answer: the type asked for, then the records */
      return g_strdup_printf (_("DNS answer: %s %s"), qtype, list->str);
    }
  return g_strdup_printf (_("DNS answer: %s %s"), qtype,
                          field (event, "status") ? field (event, "status") : "?");
}

char *
ms_render_event_label (MsTraceEvent *event)
{
  const char *type = event->type;

  if (strcmp (type, "narration") == 0)
    return g_strdup (ms_render_event_text_for_language (event));
  if (strcmp (type, "blocked") == 0)
    /* TRANSLATORS: a packet dropped by a router, with the rule's name (op25b) */
    return g_strdup_printf (_("✕ blocked: %s"), field (event, "reason") ? field (event, "reason")
                                                                         : "?");
  if (strcmp (type, "policy") == 0 && field (event, "check") != NULL)
    return policy_label (event);
  if (strcmp (type, "dns") == 0)
    return dns_label (event);
  if (strcmp (type, "compose") == 0)
    /* TRANSLATORS: a mail program writes a message: sender → recipients */
    return g_strdup_printf (_("new message: %s → %s"), or_default (field (event, "from"), ""),
                            or_default (field (event, "recipients"), ""));
  if (strcmp (type, "queued") == 0)
    return g_strdup_printf (_("queued as %s"), or_default (field (event, "queue_id"), "?"));
  if (strcmp (type, "relayed") == 0)
    return g_strdup_printf (_("relayed to %s"), or_default (field (event, "relay"), or_default (field (event, "address"), "?")));
  if (strcmp (type, "delivered") == 0)
    return g_strdup_printf (_("delivered to %s"), or_default (field (event, "recipient"), "?"));
  if (strcmp (type, "submitted") == 0)
    return g_strdup (field_is (event, "result", "accepted") ? _("submission accepted")
                                                           : _("submission failed"));
  if (strcmp (type, "connect-failed") == 0)
    return g_strdup (_("connection failed: no answer"));
  if (strcmp (type, "fetched") == 0)
    return g_strdup_printf (_("messages fetched: %s"), or_default (field (event, "messages"), "0"));
  if (strcmp (type, "bounced") == 0)
    return g_strdup_printf (_("bounced: %s"), or_default (field (event, "recipient"), "?"));
  if (strcmp (type, "deferred") == 0)
    return g_strdup_printf (_("deferred, retry in %s s"), or_default (field (event, "retry_in_s"), "?"));
  if (strcmp (type, "nat") == 0)
    return g_strdup_printf (_("NAT: %s → %s"), or_default (field (event, "inside"), "?"),
                            or_default (field (event, "outside"), "?"));
  if (strcmp (type, "switch") == 0)
    return g_strdup_printf (_("switch: %s = %s"), or_default (field (event, "name"), "?"),
                            or_default (field (event, "value"), "?"));
  if (strcmp (type, "mojibake") == 0)
    return g_strdup_printf (_("garbled %s header"), or_default (field (event, "header"), ""));
  if (strcmp (type, "smime") == 0)
    /* TRANSLATORS: the result of an S/MIME check: valid, tampered, not-recipient ... */
    return g_strdup_printf (_("S/MIME: %s"), or_default (field (event, "result"), "?"));
  return g_strdup (type);
}

gboolean
ms_render_event_failed (MsTraceEvent *event)
{
  return ms_step_mark_for_event (event) != MS_STEP_MARK_NONE;
}

char *
ms_render_badge_label (MsTraceEvent *event,
                       gboolean     *bad)
{
  const char *check = field (event, "check");

  *bad = ms_render_event_failed (event);
  if (strcmp (event->type, "policy") == 0 && check != NULL
      && (strcmp (check, "auth") == 0 || strcmp (check, "relay") == 0
          || strcmp (check, "spf") == 0 || strcmp (check, "tempfail") == 0
          || strcmp (check, "pop-before-smtp") == 0
          || (strcmp (check, "recipient") == 0 && !field_is (event, "result", "accepted"))
          || (strcmp (check, "spf-action") == 0 && field_is (event, "result", "rejected"))))
    {
      if (strcmp (check, "spf") == 0)
        *bad = !field_is (event, "result", "pass");
      return policy_label (event);
    }
  if (strcmp (event->type, "delivered") == 0 || strcmp (event->type, "bounced") == 0
      || strcmp (event->type, "deferred") == 0)
    {
      *bad = strcmp (event->type, "delivered") != 0;
      return ms_render_event_label (event);
    }
  return NULL;
}

char *
ms_render_step_tooltip (MsPlaybackModel *model,
                        guint            index,
                        gboolean         show_secrets)
{
  const MsStep *step;
  GString *out;

  if (index >= ms_playback_model_get_n_steps (model))
    return NULL;
  step = ms_playback_model_get_step (model, index);
  if (step->kind == MS_STEP_LINE)
    {
      MsTraceLine *line = ms_playback_model_get_step_line (model, step);
      g_autofree char *text = ms_text_format_line_text (step->session->protocol, line,
                                                        show_secrets);

      return g_strdup_printf ("%s %s → %s\n%s",
                              line->dir == MS_DIR_CLIENT ? "C:" : "S:",
                              line->dir == MS_DIR_CLIENT ? step->session->client
                                                         : step->session->server,
                              line->dir == MS_DIR_CLIENT ? step->session->server
                                                         : step->session->client,
                              text);
    }
  else
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (model, step);
      g_autofree char *label = ms_render_event_label (event);
      g_autoptr(GList) members = json_object_get_members (event->fields);

      out = g_string_new (label);
      if (strcmp (event->type, "narration") == 0)
        return g_string_free (out, FALSE);
      g_string_append_printf (out, "\n%s%s%s", event->type, event->node ? " @ " : "",
                              event->node ? event->node : "");
      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (event->fields, l->data);

          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            g_string_append_printf (out, "\n%s: %s", (char *) l->data, json_node_get_string (value));
          else if (JSON_NODE_HOLDS_VALUE (value))
            g_string_append_printf (out, "\n%s: %" G_GINT64_FORMAT, (char *) l->data,
                                    json_node_get_int (value));
          else if (JSON_NODE_HOLDS_ARRAY (value))
            {
              JsonArray *array = json_node_get_array (value);

              g_string_append_printf (out, "\n%s:", (char *) l->data);
              for (guint i = 0; i < json_array_get_length (array); i++)
                {
                  JsonNode *element = json_array_get_element (array, i);

                  if (JSON_NODE_HOLDS_VALUE (element)
                      && json_node_get_value_type (element) == G_TYPE_STRING)
                    g_string_append_printf (out, " %s", json_node_get_string (element));
                }
            }
        }
      return g_string_free (out, FALSE);
    }
}
