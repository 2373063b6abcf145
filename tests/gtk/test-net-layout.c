/* test-net-layout.c: the network view's geometry: zone order, routes through routers,
 * label placement, and zones/nodes/lifelines from a scenario's topology (no display)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-net-layout.h"
#include "ms-playback-model.h"
#include "ms-render.h"
#include "ms-scenario-runner.h"
#include "ms-scenario.h"

TestSuite (net_layout);

Test (net_layout, zones_joined_by_a_router_are_neighbours)
{
  /* pop-before-smtp: cafe-lan(0) - internet(2) - isp(1), written in another order */
  guint edges[] = { 0, 2, 1, 2 };
  guint order[4];

  ms_net_order_zones (3, edges, 2, order);
  cr_expect_eq (order[0], 0);
  cr_expect_eq (order[1], 2);
  cr_expect_eq (order[2], 1);

  /* a chain given backwards, and a zone no router reaches: last */
  {
    guint chain[] = { 3, 2, 2, 1 };

    ms_net_order_zones (4, chain, 2, order);
    cr_expect_eq (order[0], 1);
    cr_expect_eq (order[1], 2);
    cr_expect_eq (order[2], 3);
    cr_expect_eq (order[3], 0);
  }
}

Test (net_layout, the_routers_on_the_way)
{
  /* relay-hops: home(0) -r10- isp(1) -r11- internet(2) -r12- dmz(3) -r13- lan(4) */
  guint edges[] = { 0, 1, 1, 2, 2, 3, 3, 4 };
  guint routers[] = { 10, 11, 12, 13 };
  g_autoptr(GArray) path = g_array_new (FALSE, FALSE, sizeof (guint));

  cr_assert (ms_net_route (5, edges, routers, 4, 0, 4, path));
  cr_assert_eq (path->len, 4);
  for (guint i = 0; i < 4; i++)
    cr_expect_eq (g_array_index (path, guint, i), 10 + i);
  g_array_set_size (path, 0);
  cr_assert (ms_net_route (5, edges, routers, 4, 3, 1, path));
  cr_assert_eq (path->len, 2);
  cr_expect_eq (g_array_index (path, guint, 0), 12);
  cr_expect_eq (g_array_index (path, guint, 1), 11);
  g_array_set_size (path, 0);
  cr_expect (ms_net_route (5, edges, routers, 4, 2, 2, path));
  cr_expect_eq (path->len, 0);
  cr_expect (!ms_net_route (6, edges, routers, 4, 0, 5, path), "zone 5 is not joined");
}

Test (net_layout, a_label_moves_off_a_node_in_its_way)
{
  /* a link from (0,100) to (400,100); a node sits on its middle, above and below */
  double line[] = { 0, 100, 400, 100 };
  MsRect nodes[] = { { 170, 40, 60, 120 } };
  MsRect bounds = { 0, 0, 400, 200 };
  guint n;
  g_autofree double *cands = ms_net_label_candidates (line, 2, 50, 14, 2, &n);
  MsLabelRequest label = { 50, 14, cands, n };

  cr_assert_gt (n, 4);
  /* the first choice is the middle, which the node covers */
  cr_expect_float_eq (cands[0], 200, 1e-9);
  cr_expect_eq (ms_net_place_labels (nodes, 1, &bounds, &label, 1), 1);
  cr_expect (label.clear);
  cr_expect (!ms_rect_intersects (&label.placed, &nodes[0]));
  cr_expect (label.placed.x >= 0 && label.placed.x + label.placed.w <= 400);
  /* beside the line, not on it */
  cr_expect (label.placed.y + label.placed.h <= 100 || label.placed.y >= 100);
}

Test (net_layout, inside_the_bounds_at_any_fraction)
{
  /* rounding of the covered area must not make a free place look taken */
  double at[] = { 214.37, 151.913 };
  MsRect bounds = { 0, 0, 759.93, 207.41 };
  MsLabelRequest label = { 61.77, 20.31, at, 1 };

  cr_expect_eq (ms_net_place_labels (NULL, 0, &bounds, &label, 1), 1);
  cr_expect (label.clear);
  /* and outside is outside */
  at[1] = 200;
  cr_expect_eq (ms_net_place_labels (NULL, 0, &bounds, &label, 1), 0);
}

/* Random pictures: nodes on a grid, links between them. Every label said to be clear
 * covers no node and no other label; nearly all find a clear place. */
Test (net_layout, placed_labels_never_overlap_nodes_or_each_other)
{
  GRand *rand = g_rand_new_with_seed (4242);
  guint total = 0, clear = 0;

  for (int round = 0; round < 200; round++)
    {
      guint n_nodes = g_rand_int_range (rand, 2, 9), n_links = g_rand_int_range (rand, 1, 8);
      MsRect nodes[9];
      double centres[18];
      MsRect bounds = { 0, 0, 900, 500 };
      MsLabelRequest labels[8];
      GPtrArray *cands = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < n_nodes; i++)
        {
          /* a 4 × 3 grid of cells 220 × 160, nodes 90 × 70 somewhere in their cell */
          guint cell = (i * 5 + round) % 12;

          centres[2 * i] = 110 + (cell % 4) * 220 + g_rand_double_range (rand, -30, 30);
          centres[2 * i + 1] = 80 + (cell / 4) * 160 + g_rand_double_range (rand, -20, 20);
          nodes[i] = (MsRect) { centres[2 * i] - 45, centres[2 * i + 1] - 35, 90, 70 };
        }
      for (guint l = 0; l < n_links; l++)
        {
          guint a = g_rand_int_range (rand, 0, n_nodes), b = (a + 1 + l % (n_nodes - 1)) % n_nodes;
          double pts[4] = { centres[2 * a], centres[2 * a + 1], centres[2 * b], centres[2 * b + 1] };
          guint n;
          double *c = ms_net_label_candidates (pts, 2, 64, 16, 2, &n);

          g_ptr_array_add (cands, c);
          labels[l] = (MsLabelRequest) { 64, 16, c, n };
        }
      clear += ms_net_place_labels (nodes, n_nodes, &bounds, labels, n_links);
      total += n_links;
      for (guint l = 0; l < n_links; l++)
        {
          if (!labels[l].clear)
            continue;
          for (guint i = 0; i < n_nodes; i++)
            cr_assert (!ms_rect_intersects (&labels[l].placed, &nodes[i]),
                       "round %d: label %u covers node %u", round, l, i);
          for (guint k = 0; k < l; k++)
            cr_assert (!ms_rect_intersects (&labels[l].placed, &labels[k].placed),
                       "round %d: labels %u and %u overlap", round, l, k);
        }
      g_ptr_array_unref (cands);
    }
  cr_expect_geq (clear, total * 95 / 100, "%u of %u clear", clear, total);
  g_rand_free (rand);
}

static MsPlaybackModel *
scenario_model (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ms_scenario_resolve (id, &error);
  MsScenario *scenario;
  MsScenarioRunner *runner;
  MsPlaybackModel *model = ms_playback_model_new ();
  g_autofree char *json = NULL;
  g_autoptr(MsTrace) loaded = NULL;

  cr_assert_not_null (path, "%s", error ? error->message : "");
  scenario = ms_scenario_load_file (path, &error);
  cr_assert_not_null (scenario, "%s", error ? error->message : "");
  runner = ms_scenario_runner_new (scenario);
  cr_assert (ms_scenario_runner_run (runner, &error), "%s", error ? error->message : "");
  /* through the JSON, as the window gets a trace file */
  json = ms_trace_to_json_string (ms_scenario_runner_get_trace (runner), FALSE);
  loaded = ms_trace_new_from_json (json, -1, &error);
  cr_assert_not_null (loaded, "%s", error ? error->message : "");
  cr_assert_not_null (ms_trace_get_topology (loaded), "the topology survives the JSON");
  ms_playback_model_set_trace (model, loaded);
  ms_scenario_runner_free (runner);
  ms_scenario_free (scenario);
  return model;
}

static guint
node_named (MsTraceLayout *layout,
            const char    *name)
{
  for (guint i = 0; i < ms_trace_layout_get_n_nodes (layout); i++)
    if (strcmp (ms_trace_layout_get_node (layout, i)->name, name) == 0)
      return i;
  return G_MAXUINT;
}

Test (net_layout, zones_and_nodes_of_the_op25b_scenario)
{
  g_autoptr(MsPlaybackModel) model = scenario_model ("op25b");
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  const MsLayoutNode *router, *border, *dns, *pc;
  gboolean dns_has_lifeline = FALSE;

  cr_assert_eq (ms_trace_layout_get_n_zones (layout), 3);
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 0)->kind, "home-pool");
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 1)->kind, "isp");
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 2)->kind, "internet");
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 0)->cidrs[0], "203.0.113.0/24");
  cr_expect_not_null (ms_render_zone_kind_label ("home-pool"));
  cr_expect_null (ms_render_zone_kind_label ("no-such-kind"));

  /* every node of the topology, the DNS server and both routers included */
  cr_assert_eq (ms_trace_layout_get_n_nodes (layout), 7);
  router = ms_trace_layout_get_node (layout, node_named (layout, "router"));
  border = ms_trace_layout_get_node (layout, node_named (layout, "border"));
  dns = ms_trace_layout_get_node (layout, node_named (layout, "dns"));
  pc = ms_trace_layout_get_node (layout, node_named (layout, "pc"));
  cr_expect (router->is_router);
  cr_expect_eq (router->zone_index, 0, "on the border of the home pool...");
  cr_expect_eq (router->zone_right, 1, "...and the ISP");
  cr_expect_eq (border->zone_index, 1);
  cr_expect_eq (border->zone_right, 2);
  cr_expect_eq (pc->zone_index, 0);
  cr_expect_eq (pc->zone_right, G_MAXUINT);
  cr_expect_str_eq (pc->role, "MUA");
  cr_expect_str_eq (dns->role, "DNS");
  cr_expect_eq (dns->zone_index, 1);
  cr_expect_str_eq (dns->ports[0], "53/udp");
  cr_expect (g_strv_contains ((const char * const *) router->addresses, "198.51.100.1"));

  /* the DNS server has a lifeline (it was asked); the border router, which did nothing
   * to see, has none; the order follows the zones */
  for (guint c = 0; c < ms_trace_layout_get_n_lifelines (layout); c++)
    {
      guint node = ms_trace_layout_get_lifeline (layout, c);

      dns_has_lifeline |= node == node_named (layout, "dns");
      cr_expect_neq (node, node_named (layout, "border"));
    }
  cr_expect (dns_has_lifeline);
  cr_expect_eq (ms_trace_layout_get_lifeline (layout, 0), node_named (layout, "pc"));
  cr_expect_eq (ms_trace_layout_get_lifeline (layout, 1), node_named (layout, "router"),
                "the router that dropped the SYNs, between the PC and the ISP");
}

Test (net_layout, short_labels_and_full_tooltips)
{
  g_autoptr(MsPlaybackModel) model = NULL;

  g_setenv ("LANGUAGE", "C", TRUE);  /* the English labels, whatever the tester's locale */
  model = scenario_model ("op25b");
  guint n = ms_playback_model_get_n_steps (model);
  gboolean saw_dns = FALSE, saw_line = FALSE;

  for (guint i = 0; i < n && !(saw_dns && saw_line); i++)
    {
      const MsStep *step = ms_playback_model_get_step (model, i);
      g_autofree char *tip = ms_render_step_tooltip (model, i, FALSE);

      cr_assert_not_null (tip);
      if (step->kind == MS_STEP_EVENT
          && strcmp (ms_playback_model_get_step_event (model, step)->type, "dns") == 0
          && !saw_dns)
        {
          /* the label says what was asked; the tooltip has every field */
          cr_expect (g_str_has_prefix (tip, "DNS query: MX example.net?"), "%s", tip);
          cr_expect (strstr (tip, "server: 198.51.100.53") != NULL, "%s", tip);
          saw_dns = TRUE;
        }
      if (step->kind == MS_STEP_LINE && !saw_line)
        {
          cr_expect (g_str_has_prefix (tip, "S: 198.51.100.25:587 → 203.0.113.7:"), "%s", tip);
          cr_expect (strstr (tip, "220 mail.isp.example") != NULL, "%s", tip);
          saw_line = TRUE;
        }
    }
  cr_expect (saw_dns && saw_line);
  cr_expect_null (ms_render_step_tooltip (model, n, FALSE));
}

Test (net_layout, a_router_between_zones_listed_apart)
{
  /* cafe-lan, isp, internet in the file; cafe-nat joins cafe-lan and internet */
  g_autoptr(MsPlaybackModel) model = scenario_model ("pop-before-smtp");
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  const MsLayoutNode *nat;

  cr_assert_eq (ms_trace_layout_get_n_zones (layout), 3);
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 0)->name, "cafe-lan");
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 1)->name, "internet");
  cr_expect_str_eq (ms_trace_layout_get_zone (layout, 2)->name, "isp");
  nat = ms_trace_layout_get_node (layout, node_named (layout, "cafe-nat"));
  cr_expect_eq (nat->zone_index, 0);
  cr_expect_eq (nat->zone_right, 1);
}

Test (net_layout, idle_hosts_are_left_out_of_the_picture)
{
  /* spf-fail: a stranger on the Internet talks to the MX; nobody at home or at the ISP
   * takes part */
  g_autoptr(MsPlaybackModel) model = scenario_model ("spf-fail");
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  g_autoptr(MsPlaybackModel) op25b = scenario_model ("op25b");
  g_autoptr(MsTraceLayout) all = ms_trace_layout_new (op25b);

  cr_expect (ms_trace_layout_is_shown (layout, node_named (layout, "stranger")));
  cr_expect (ms_trace_layout_is_shown (layout, node_named (layout, "mx")));
  cr_expect (!ms_trace_layout_is_shown (layout, node_named (layout, "pc")));
  cr_expect (!ms_trace_layout_is_shown (layout, node_named (layout, "router")),
             "the home router carries nothing here");
  /* op25b: the border router is on the way from the ISP's server to the MX */
  cr_expect (ms_trace_layout_is_shown (all, node_named (all, "border")));
  cr_expect (ms_trace_layout_is_shown (all, node_named (all, "dns")));
}

/* Drawing every step of a scenario in both views, at sizes from a phone to a projector,
 * in every style: no crash, no critical (G_DEBUG=fatal-criticals). */
Test (net_layout, every_step_draws)
{
  g_autoptr(MsPlaybackModel) model = scenario_model ("relay-hops");
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  static const double sizes[][2] = { { 320, 200 }, { 760, 290 }, { 1920, 1080 } };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1920, 1080);
  cairo_t *cr = cairo_create (surface);

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++)
    for (guint step = 0; step < ms_playback_model_get_n_steps (model); step += 3)
      {
        MsRenderStyle style = { .scale = k == 2 ? 1.6 : 1.0, .high_contrast = k == 2,
                                .dark = step % 2 };

        ms_playback_model_set_cursor (model, step);
        ms_network_render (cr, model, layout, &style, sizes[k][0], sizes[k][1], step % 5 / 4.0);
        ms_sequence_render (cr, model, layout, &style, sizes[k][0], sizes[k][1], 0);
        cr_assert_eq (cairo_status (cr), CAIRO_STATUS_SUCCESS);
      }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}
