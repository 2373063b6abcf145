/* ms-render-bench.c: time per frame of the sequence diagram and the network view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   ms-render-bench [LINES] [FRAMES]     (defaults: 100000 lines, 200 frames)
 *
 * Builds a trace of LINES protocol lines in code (SMTP sessions between 12 clients and 12
 * servers in two networks joined by a router, a DNS server, with policy, DNS and blocked
 * events and the topology a scenario records), then draws each view offscreen into a 1600x1000 Cairo image
 * surface, FRAMES times at scroll positions and cursors spread over the whole trace, and
 * prints the mean, 95th percentile and worst milliseconds per frame.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ms-playback-model.h"
#include "ms-render.h"

#define BENCH_WIDTH          1600
#define BENCH_HEIGHT         1000
#define BENCH_LINES_PER_SESSION 100
#define BENCH_NODES          12

static gint64 virtual_now;

static gint64
bench_clock (gpointer user_data)
{
  return virtual_now += 250;
}

/* The networks a scenario would record: hosts in one, servers and the DNS in another. */
static void
add_topology (MsTrace *trace)
{
  g_autoptr(GString) json = g_string_new (
    "{\"networks\": [{\"name\": \"home\", \"kind\": \"home-pool\", \"cidr\": [\"192.0.2.0/24\"]},"
    " {\"name\": \"isp\", \"kind\": \"isp\", \"cidr\": [\"198.51.100.0/24\"]}], \"nodes\": [");
  g_autoptr(JsonParser) parser = json_parser_new ();

  for (guint i = 0; i < BENCH_NODES; i++)
    g_string_append_printf (json,
                            "{\"name\": \"host-%u\", \"roles\": [\"mua\"], \"addresses\": {\"home\": \"192.0.2.%u\"}},"
                            "{\"name\": \"mx-%u\", \"roles\": [\"mta\", \"mda\"], \"ports\": [\"25/tcp\"],"
                            " \"addresses\": {\"isp\": \"198.51.100.%u\"}},", i, i, i, i);
  g_string_append (json, "{\"name\": \"router\", \"roles\": [\"router\"], \"addresses\":"
                         " {\"home\": \"192.0.2.254\", \"isp\": \"198.51.100.254\"}},"
                         "{\"name\": \"dns\", \"roles\": [\"dns\"], \"ports\": [\"53/udp\"],"
                         " \"addresses\": {\"isp\": \"198.51.100.53\"}}]}");
  if (!json_parser_load_from_data (parser, json->str, -1, NULL))
    g_error ("bench topology");
  ms_trace_set_topology (trace, json_node_get_object (json_parser_get_root (parser)));
}

static MsTrace *
build_trace (guint n_lines)
{
  static const char * const lines[][2] = {
    { "S", "220 mx%u.example ESMTP" }, { "C", "EHLO client%u.example" },
    { "S", "250-mx%u.example" }, { "S", "250 PIPELINING" },
    { "C", "MAIL FROM:<user%u@example.org>" }, { "S", "250 2.1.0 Ok" },
    { "C", "RCPT TO:<bob%u@example.net>" }, { "S", "554 5.7.1 Relay access denied (%u)" },
    { "C", "RCPT TO:<carol%u@example.net>" }, { "S", "250 2.1.5 Ok" },
  };
  MsTrace *trace = ms_trace_new ("bench", "render");
  guint made = 0;

  ms_trace_set_clock (trace, bench_clock, NULL);
  for (guint s = 0; made < n_lines; s++)
    {
      g_autofree char *client = g_strdup_printf ("192.0.2.%u:%u", s % BENCH_NODES, 40000 + s % 20000);
      g_autofree char *server = g_strdup_printf ("198.51.100.%u:25", (s + 1) % BENCH_NODES);
      g_autofree char *cnode = g_strdup_printf ("host-%u", s % BENCH_NODES);
      g_autofree char *snode = g_strdup_printf ("mx-%u", (s + 1) % BENCH_NODES);
      MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, client, server);

      ms_trace_session_set_nodes (session, cnode, snode);
      ms_trace_add_event (trace, "dns", cnode, 0, "direction", "query", "name", "example.net",
                          "qtype", "MX", "server", "198.51.100.53", NULL);
      for (guint i = 0; i < BENCH_LINES_PER_SESSION && made < n_lines; i++, made++)
        {
          const char * const *l = lines[i % G_N_ELEMENTS (lines)];
          g_auto(GStrv) parts = g_strsplit (l[1], "%u", -1);
          g_autofree char *number = g_strdup_printf ("%u", s);
          g_autofree char *text = g_strjoinv (number, parts);

          ms_trace_session_add_line (session, (MsDirection) l[0][0],
                                     l[0][0] == 'C' ? MS_LINE_COMMAND : MS_LINE_REPLY, text, -1);
        }
      ms_trace_add_event (trace, "policy", snode, session->id, "check", "relay",
                          "result", "deny", NULL);
      if (s % 10 == 0)
        ms_trace_add_event (trace, "blocked", "router", 0, "reason", "op25b",
                            "src", client, "dst", server, NULL);
      ms_trace_close_session (trace, session);
    }
  ms_trace_set_clock (trace, NULL, NULL);
  add_topology (trace);
  return trace;
}

/* CPU time of this thread in ms: steadier than wall time on a shared machine */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double *cpu;

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what, double *ms, guint n)
{
  double sum = 0, cpu_sum = 0;
  guint p95 = (guint) (n * 0.95) < n ? (guint) (n * 0.95) : n - 1;

  for (guint i = 0; i < n; i++)
    {
      sum += ms[i];
      cpu_sum += cpu[i];
    }
  qsort (ms, n, sizeof (double), compare_double);
  qsort (cpu, n, sizeof (double), compare_double);
  printf ("%-31s %4u frames  wall: mean %6.2f p95 %6.2f worst %6.2f ms   "
          "cpu: mean %6.2f p95 %6.2f ms\n", what, n, sum / n, ms[p95], ms[n - 1],
          cpu_sum / n, cpu[p95]);
}

int
main (int argc, char *argv[])
{
  guint n_lines = argc > 1 ? (guint) strtoul (argv[1], NULL, 10) : 100000;
  guint frames = argc > 2 ? (guint) strtoul (argv[2], NULL, 10) : 200;
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsPlaybackModel) model = ms_playback_model_new ();
  g_autoptr(MsTraceLayout) layout = NULL;
  g_autofree double *ms = g_new0 (double, MAX (frames, 1));
  g_autofree double *cpu_frames = g_new0 (double, MAX (frames, 1));
  MsRenderStyle styles[2] = { { .scale = 1.0 }, { .scale = 1.6, .high_contrast = TRUE } };
  const char *names[2] = { "normal", "presentation" };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, BENCH_WIDTH,
                                                         BENCH_HEIGHT);
  cairo_t *cr = cairo_create (surface);
  gint64 t0;
  double c0;
  guint n_steps;

  cpu = cpu_frames;
  t0 = g_get_monotonic_time ();
  trace = build_trace (n_lines);
  printf ("trace: %u lines in %u sessions, %u events (built in %.1f ms)\n", n_lines,
          ms_trace_get_n_sessions (trace), ms_trace_get_n_events (trace),
          (g_get_monotonic_time () - t0) / 1000.0);
  t0 = g_get_monotonic_time ();
  ms_playback_model_set_trace (model, trace);
  layout = ms_trace_layout_new (model);
  n_steps = ms_playback_model_get_n_steps (model);
  printf ("model + layout: %u steps, %u nodes, %.1f ms (once per trace)\n", n_steps,
          ms_trace_layout_get_n_nodes (layout), (g_get_monotonic_time () - t0) / 1000.0);

  for (guint k = 0; k < 2; k++)
    {
      const MsRenderStyle *style = &styles[k];
      double max_scroll = ms_sequence_content_height (model, style) - BENCH_HEIGHT;
      char label[64];

      /* one frame to warm the font caches */
      ms_sequence_render (cr, model, layout, style, BENCH_WIDTH, BENCH_HEIGHT, 0);
      for (guint f = 0; f < frames; f++)
        {
          double scroll = max_scroll * f / MAX (frames - 1, 1);

          ms_playback_model_set_cursor (model, (guint) (n_steps * (double) f / frames));
          t0 = g_get_monotonic_time ();
          c0 = cpu_ms ();
          ms_sequence_render (cr, model, layout, style, BENCH_WIDTH, BENCH_HEIGHT, scroll);
          cairo_surface_flush (surface);
          ms[f] = (g_get_monotonic_time () - t0) / 1000.0;
          cpu[f] = cpu_ms () - c0;
        }
      g_snprintf (label, sizeof label, "sequence (%s)", names[k]);
      report (label, ms, frames);

      ms_network_render (cr, model, layout, style, BENCH_WIDTH, BENCH_HEIGHT, 0.5);
      for (guint f = 0; f < frames; f++)
        {
          ms_playback_model_set_cursor (model, (guint) (n_steps * (double) f / frames));
          t0 = g_get_monotonic_time ();
          c0 = cpu_ms ();
          ms_network_render (cr, model, layout, style, BENCH_WIDTH, BENCH_HEIGHT,
                             (double) (f % 10) / 10);
          cairo_surface_flush (surface);
          ms[f] = (g_get_monotonic_time () - t0) / 1000.0;
          cpu[f] = cpu_ms () - c0;
        }
      g_snprintf (label, sizeof label, "network (%s)", names[k]);
      report (label, ms, frames);

      /* a new size every frame: the layout and label placement each time (resizing) */
      for (guint f = 0; f < frames; f++)
        {
          ms_playback_model_set_cursor (model, (guint) (n_steps * (double) f / frames));
          t0 = g_get_monotonic_time ();
          c0 = cpu_ms ();
          ms_network_render (cr, model, layout, style, BENCH_WIDTH - (f % 50), BENCH_HEIGHT,
                             (double) (f % 10) / 10);
          cairo_surface_flush (surface);
          ms[f] = (g_get_monotonic_time () - t0) / 1000.0;
          cpu[f] = cpu_ms () - c0;
        }
      g_snprintf (label, sizeof label, "network resized (%s)", names[k]);
      report (label, ms, frames);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return 0;
}
