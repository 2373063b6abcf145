/* test-gtk-model.c: the trace JSON loader, the playback model, the drawing and exports
 * (no display needed)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ms-annotations.h"
#include "ms-demo.h"
#include "ms-dns-view.h"
#include "ms-export.h"
#include "ms-header-view.h"
#include "ms-mailbox-view.h"
#include "ms-predict.h"
#include "ms-playback-model.h"
#include "ms-render.h"

TestSuite (gtk_model);

Test (gtk_model, json_round_trip_of_the_demo)
{
  g_autoptr(MsTrace) demo = ms_demo_trace_new ();
  g_autofree char *json = ms_trace_to_json_string (demo, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(MsTrace) loaded = ms_trace_new_from_json (json, -1, &error);
  g_autofree char *again = NULL;

  cr_assert_not_null (loaded, "%s", error ? error->message : "");
  again = ms_trace_to_json_string (loaded, TRUE);
  /* the same but for the message size: bodies are not in the JSON (CLI.md) */
  {
    g_autoptr(GRegex) size = g_regex_new ("\n *\"size\" : [0-9]+,", 0, 0, NULL);
    g_autofree char *without = g_regex_replace_literal (size, json, -1, 0, "", 0, NULL);

    cr_expect_str_eq (again, without);
    cr_expect_str_neq (without, json);
  }
  cr_expect_eq (ms_trace_get_n_sessions (loaded), 3);
  cr_expect_gt (ms_trace_get_n_messages (loaded), 0);
}

Test (gtk_model, the_demo_comes_from_the_engines)
{
  g_autoptr(MsTrace) demo = ms_demo_trace_new ();
  MsTraceSession *submit = ms_trace_get_session (demo, 0);
  MsTraceSession *relay = ms_trace_get_session (demo, 1);
  MsTraceSession *pop3 = ms_trace_get_session (demo, 2);
  gboolean refused = FALSE, retrieved = FALSE;

  cr_expect_eq (submit->tls, MS_TLS_STARTTLS);
  cr_expect_eq (((MsTraceLine *) g_ptr_array_index (submit->lines, 0))->code, 220);
  for (guint i = 0; i < relay->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (relay->lines, i);

      /* RFC 5321 §3.9: relaying refused with a 5xx at RCPT */
      if (line->dir == MS_DIR_SERVER && line->code >= 500)
        refused = TRUE;
    }
  for (guint i = 0; i < pop3->lines->len; i++)
    if (g_strcmp0 (((MsTraceLine *) g_ptr_array_index (pop3->lines, i))->command, "RETR") == 0)
      retrieved = TRUE;
  cr_expect (refused);
  cr_expect (retrieved);
  cr_expect_eq (pop3->protocol, MS_PROTOCOL_POP3);
}

Test (gtk_model, json_lines_as_serve_writes_them)
{
  g_autoptr(MsTrace) demo = ms_demo_trace_new ();
  g_autoptr(GString) lines = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MsTrace) loaded = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  for (guint i = 0; i < ms_trace_get_n_sessions (demo); i++)
    {
      g_autoptr(JsonNode) node = ms_trace_session_to_json (ms_trace_get_session (demo, i));
      g_autofree char *text = NULL;

      json_generator_set_root (gen, node);
      text = json_generator_to_data (gen, NULL);
      g_string_append_printf (lines, "%s\n", text);
    }
  for (guint i = 0; i < ms_trace_get_n_events (demo); i++)
    {
      g_autoptr(JsonNode) node = ms_trace_event_to_json (ms_trace_get_event (demo, i));
      g_autofree char *text = NULL;

      json_generator_set_root (gen, node);
      text = json_generator_to_data (gen, NULL);
      g_string_append_printf (lines, "%s\n", text);
    }
  loaded = ms_trace_new_from_json (lines->str, (gssize) lines->len, &error);
  cr_assert_not_null (loaded, "%s", error ? error->message : "");
  cr_expect_eq (ms_trace_get_n_sessions (loaded), ms_trace_get_n_sessions (demo));
  cr_expect_eq (ms_trace_get_n_events (loaded), ms_trace_get_n_events (demo));
  cr_expect_eq (ms_trace_get_session (loaded, 1)->lines->len,
                ms_trace_get_session (demo, 1)->lines->len);
}

Test (gtk_model, bad_json_is_an_error)
{
  static const char *bad[] = {
    "", "not json", "[1,2]", "{\"source\": {}}", "{\"sessions\": 3}",
    "{\"sessions\": [{\"id\": 1, \"lines\": [{\"dir\": \"X\", \"text\": \"a\"}]}]}",
    "{\"events\": [{\"t\": 1}]}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MsTrace) trace = ms_trace_new_from_json (bad[i], -1, &error);

      cr_expect_null (trace, "accepted: %s", bad[i]);
      cr_expect (g_error_matches (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID),
                 "%s", bad[i]);
    }
}

static MsPlaybackModel *
demo_model (void)
{
  g_autoptr(MsTrace) demo = ms_demo_trace_new ();
  MsPlaybackModel *model = ms_playback_model_new ();

  ms_playback_model_set_trace (model, demo);
  return model;
}

Test (gtk_model, steps_are_every_line_and_event_in_time_order)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  MsTrace *trace = ms_playback_model_get_trace (model);
  guint expected = ms_trace_get_n_events (trace);
  guint errors = 0;

  for (guint s = 0; s < ms_trace_get_n_sessions (trace); s++)
    expected += ms_trace_get_session (trace, s)->lines->len;
  cr_assert_eq (ms_playback_model_get_n_steps (model), expected);
  for (guint i = 1; i < expected; i++)
    cr_expect_leq (ms_playback_model_get_step (model, i - 1)->t_us,
                  ms_playback_model_get_step (model, i)->t_us);
  for (guint i = 0; i < expected; i++)
    errors += ms_playback_model_get_mark (model, i) == MS_STEP_MARK_ERROR;
  cr_expect_geq (errors, 1, "the refused relay is marked");
}

static guint cursor_signals;

static void
count_cursor (MsPlaybackModel *model, guint cursor, gpointer data)
{
  cursor_signals++;
}

Test (gtk_model, stepping_moves_the_cursor_and_clamps)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  guint n = ms_playback_model_get_n_steps (model);

  cursor_signals = 0;
  g_signal_connect (model, "cursor-changed", G_CALLBACK (count_cursor), NULL);
  ms_playback_model_step (model, -1);
  cr_expect_eq (ms_playback_model_get_cursor (model), 0);
  cr_expect_eq (cursor_signals, 0);
  ms_playback_model_step (model, 3);
  cr_expect_eq (ms_playback_model_get_cursor (model), 3);
  ms_playback_model_step (model, -1);
  cr_expect_eq (ms_playback_model_get_cursor (model), 2);
  ms_playback_model_set_cursor (model, G_MAXUINT);
  cr_expect_eq (ms_playback_model_get_cursor (model), n - 1);
  cr_expect_eq (cursor_signals, 3);
  /* playing from the end starts over */
  ms_playback_model_set_playing (model, TRUE);
  cr_expect_eq (ms_playback_model_get_cursor (model), 0);
  ms_playback_model_set_playing (model, FALSE);
}

static guint32
pixel_at (cairo_surface_t *surface, int x, int y)
{
  unsigned char *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);

  return *(guint32 *) (data + y * stride + x * 4) & 0xffffff;
}

/* The pixel is the colour (Cairo may round a channel by one). */
static gboolean
is_color (guint32 pixel, const MsRenderStyle *style, MsColor color)
{
  MsRgb rgb;
  int want[3], got[3] = { (pixel >> 16) & 0xff, (pixel >> 8) & 0xff, pixel & 0xff };

  ms_render_color (style, color, &rgb);
  want[0] = (int) (rgb.r * 255 + 0.5);
  want[1] = (int) (rgb.g * 255 + 0.5);
  want[2] = (int) (rgb.b * 255 + 0.5);
  for (int i = 0; i < 3; i++)
    if (ABS (want[i] - got[i]) > 2)
      return FALSE;
  return TRUE;
}

Test (gtk_model, the_current_row_is_highlighted_where_it_scrolled_to)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  MsRenderStyle style = { .scale = 1.0 };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 800, 600);
  cairo_t *cr = cairo_create (surface);
  double row = ms_sequence_row_height (&style), header = ms_sequence_header_height (&style);
  int y;

  ms_playback_model_set_cursor (model, 40);
  /* rows 30.. in view: the cursor's row is the tenth */
  ms_sequence_render (cr, model, layout, &style, 800, 600, 30 * row);
  cairo_surface_flush (surface);
  y = (int) (header + 10 * row + 3);
  cr_expect (is_color (pixel_at (surface, 2, y), &style, MS_COLOR_FG), "the bar: %06x",
             pixel_at (surface, 2, y));
  cr_expect (is_color (pixel_at (surface, 30, y), &style, MS_COLOR_CURRENT), "the row: %06x",
             pixel_at (surface, 30, y));
  cr_expect (is_color (pixel_at (surface, 30, (int) (header + 12 * row + 3)), &style,
                       MS_COLOR_BG), "another row");
  cr_expect_eq (ms_sequence_step_at (model, &style, y, 30 * row), 40);
  cr_expect_eq (ms_sequence_step_at (model, &style, header - 1, 30 * row), G_MAXUINT);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  /* lifelines: the three clients and the server, clients first */
  cr_expect_eq (ms_trace_layout_get_n_nodes (layout), 4);
  cr_expect_str_eq (ms_trace_layout_get_node (layout, 0)->name, "alice-pc");
  cr_expect_str_eq (ms_trace_layout_get_node (layout, 0)->role, "MUA");
  cr_expect (strstr (ms_trace_layout_get_node (layout, 1)->role, "MSA") != NULL);
  cr_expect (strstr (ms_trace_layout_get_node (layout, 1)->role, "MRA") != NULL);
}

Test (gtk_model, the_headers_of_a_step)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  MsTrace *trace = ms_playback_model_get_trace (model);
  MsTraceMessage *message = ms_trace_get_message (trace, 0);

  cr_expect_eq (ms_header_view_pick_message (trace, 0), -1, "nothing before DATA");
  cr_expect_eq (ms_header_view_pick_message (trace, message->t_us), 0);
  cr_expect_eq (ms_header_view_previous_snapshot (trace, 0), -1);
  /* the envelope has dave, the header does not: a Bcc */
  cr_expect (g_strv_contains ((const char * const *) message->rcpt_to, "dave@example.com"));
}

Test (gtk_model, exports_in_three_formats)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  MsRenderStyle style = { .scale = 1.0 };
  g_autofree char *dir = g_dir_make_tmp ("ms-export-XXXXXX", NULL);
  static const struct { const char *name; const char *magic; } files[] = {
    { "seq.png", "\x89PNG" }, { "seq.svg", "<?xml" }, { "seq.pdf", "%PDF" },
    { "net.png", "\x89PNG" }, { "net.svg", "<?xml" }, { "net.pdf", "%PDF" },
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].name, NULL);
      g_autofree char *data = NULL;
      gboolean ok = files[i].name[0] == 's'
                    ? ms_export_sequence (model, layout, &style, path, &error)
                    : ms_export_network (model, layout, &style, path, &error);

      cr_assert (ok, "%s", error ? error->message : "");
      cr_assert (g_file_get_contents (path, &data, NULL, NULL));
      cr_expect (g_str_has_prefix (data, files[i].magic), "%s", files[i].name);
      g_unlink (path);
    }
  {
    g_autofree char *path = g_build_filename (dir, "t.txt", NULL);
    g_autofree char *data = NULL;

    cr_assert (ms_export_transcript (ms_playback_model_get_trace (model), FALSE, path, NULL));
    cr_assert (g_file_get_contents (path, &data, NULL, NULL));
    cr_expect (strstr (data, "MAIL FROM:<alice@example.com>") != NULL);
    cr_expect (strstr (data, "alice-secret") == NULL, "passwords masked");
    g_unlink (path);
  }
  cr_expect (!ms_export_network (model, layout, &style, "x.gif", &error));
  g_rmdir (dir);
}

/* ---- panes: the gate of "predict the next reply", events before a step, DNS ---- */

static gboolean
hold_server_replies (MsPlaybackModel *model,
                     guint            target,
                     gpointer         data)
{
  const MsStep *step = ms_playback_model_get_step (model, target);
  MsTraceLine *line = ms_playback_model_get_step_line (model, step);
  const char *command;

  if (line == NULL)
    return TRUE;
  command = ms_predict_command_for (step->session, step->index);
  if (!ms_predict_applies (step->session->protocol, line, command))
    return TRUE;
  (*(guint *) data)++;
  return FALSE;
}

/* Every scanline from @y0 down is the same (only the lifelines' vertical lines). */
static gboolean
blank_below (cairo_surface_t *surface, int y0)
{
  unsigned char *data = cairo_image_surface_get_data (surface);
  int stride = cairo_image_surface_get_stride (surface);
  int height = cairo_image_surface_get_height (surface);

  for (int y = y0; y < height - 1; y++)
    if (memcmp (data + y * stride, data + (height - 1) * stride, stride) != 0)
      return FALSE;
  return TRUE;
}

Test (gtk_model, predicting_hides_the_rows_after_the_cursor)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  MsRenderStyle style = { .scale = 1.0 };
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 800, 600);
  cairo_t *cr = cairo_create (surface);
  double row = ms_sequence_row_height (&style), header = ms_sequence_header_height (&style);
  int below = (int) (header + 11.5 * row);  /* from the middle of the row after the cursor */

  ms_playback_model_set_cursor (model, 40);
  ms_sequence_render (cr, model, layout, &style, 800, 600, 30 * row);
  cairo_surface_flush (surface);
  cr_expect_not (blank_below (surface, below), "all the rows are drawn");
  cr_expect_eq (ms_sequence_step_at (model, &style, header + 11 * row + 3, 30 * row), 41);

  ms_playback_model_set_hide_future (model, TRUE);
  ms_sequence_render (cr, model, layout, &style, 800, 600, 30 * row);
  cairo_surface_flush (surface);
  cr_expect (blank_below (surface, below), "nothing after the cursor");
  cr_expect (is_color (pixel_at (surface, 30, (int) (header + 10 * row + 3)), &style,
                       MS_COLOR_CURRENT), "the cursor's row is there");
  cr_expect_eq (ms_sequence_step_at (model, &style, header + 10 * row + 3, 30 * row), 40);
  cr_expect_eq (ms_sequence_step_at (model, &style, header + 11 * row + 3, 30 * row), G_MAXUINT);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

/* How many pixels of the rectangle differ between two renders. */
static guint
n_changed (cairo_surface_t *a, cairo_surface_t *b, int x0, int y0, int w, int h)
{
  guint n = 0;

  for (int y = y0; y < y0 + h; y++)
    for (int x = x0; x < x0 + w; x++)
      n += pixel_at (a, x, y) != pixel_at (b, x, y);
  return n;
}

Test (gtk_model, a_noted_line_has_a_pencil_on_its_row)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  g_autoptr(MsTraceLayout) layout = ms_trace_layout_new (model);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture ("/nonexistent/demo.pcapng");
  MsRenderStyle style = { .scale = 1.0 };
  cairo_surface_t *plain = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 800, 600);
  cairo_surface_t *noted = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 800, 600);
  cairo_t *cr;
  double row = ms_sequence_row_height (&style), header = ms_sequence_header_height (&style);
  const MsStep *step = NULL;
  guint r;

  for (r = 5; r < ms_playback_model_get_n_steps (model); r++)
    if ((step = ms_playback_model_get_step (model, r))->kind == MS_STEP_LINE)
      break;
  cr_assert (step != NULL && step->kind == MS_STEP_LINE);
  ms_playback_model_set_cursor (model, 0);
  cr = cairo_create (plain);
  ms_sequence_render (cr, model, layout, &style, 800, 600, 0);
  cairo_destroy (cr);
  ms_annotations_set_line_note (notes, step->session->id, step->index, 0, NULL, "look here");
  style.annotations = notes;
  cr = cairo_create (noted);
  ms_sequence_render (cr, model, layout, &style, 800, 600, 0);
  cairo_destroy (cr);
  cairo_surface_flush (plain);
  cairo_surface_flush (noted);
  /* just right of the time column, on the noted row only */
  cr_expect_gt (n_changed (plain, noted, 78, (int) (header + r * row), 16, (int) row), 10);
  cr_expect_eq (n_changed (plain, noted, 0, (int) header, 800, (int) (r * row)), 0,
                "the rows above");
  cr_expect_eq (n_changed (plain, noted, 0, (int) (header + (r + 1) * row), 800,
                           600 - (int) (header + (r + 1) * row)), 0, "the rows below");
  cairo_surface_destroy (plain);
  cairo_surface_destroy (noted);
}

Test (gtk_model, long_times_read_as_hours)
{
  g_autofree char *short_time = ms_sequence_format_time (105044000);
  g_autofree char *zero = ms_sequence_format_time (0);
  g_autofree char *just_under = ms_sequence_format_time (999999000);
  g_autofree char *long_time = ms_sequence_format_time (G_GINT64_CONSTANT (9020338000));
  g_autofree char *day = ms_sequence_format_time (G_GINT64_CONSTANT (90061001000));

  cr_expect_str_eq (short_time, "105.044 s");
  cr_expect_str_eq (zero, "0.000 s");
  cr_expect_str_eq (just_under, "999.999 s");
  cr_expect_str_eq (long_time, "2:30:20.338");
  cr_expect_str_eq (day, "25:01:01.001");
}

Test (gtk_model, a_gate_holds_the_step_onto_a_reply)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  guint held = 0;
  guint cursor;

  ms_playback_model_set_gate (model, hold_server_replies, &held);
  /* the demo starts with a server greeting: held before it, at step 0 ... */
  for (guint i = 0; i < 20 && held == 0; i++)
    ms_playback_model_step (model, 1);
  cr_assert_eq (held, 1);
  cursor = ms_playback_model_get_cursor (model);
  ms_playback_model_step (model, 1);
  cr_expect_eq (ms_playback_model_get_cursor (model), cursor, "held again");
  /* ... playing stops there too, going back and jumping are never held */
  ms_playback_model_set_playing (model, TRUE);
  ms_playback_model_step (model, 1);
  cr_expect_not (ms_playback_model_get_playing (model));
  ms_playback_model_set_cursor (model, cursor + 1);
  cr_expect_eq (ms_playback_model_get_cursor (model), cursor + 1);
  ms_playback_model_step (model, -1);
  cr_expect_eq (ms_playback_model_get_cursor (model), cursor);
  ms_playback_model_set_gate (model, NULL, NULL);
  ms_playback_model_step (model, 1);
  cr_expect_eq (ms_playback_model_get_cursor (model), cursor + 1);
}

Test (gtk_model, events_before_a_step)
{
  g_autoptr(MsPlaybackModel) model = demo_model ();
  guint n = ms_playback_model_get_n_steps (model);
  guint seen = 0;

  for (guint i = 0; i < n; i++)
    {
      if (ms_playback_model_get_step (model, i)->kind == MS_STEP_EVENT)
        seen++;
      cr_expect_eq (ms_playback_events_before (model, i), seen, "step %u", i);
    }
  cr_expect_eq (seen, ms_trace_get_n_events (ms_playback_model_get_trace (model)));
}

Test (gtk_model, dns_records_match_their_answers)
{
  g_autoptr(MsDnsViewRecord) mx = ms_dns_view_record_parse ("example.net MX 10 mx.example.net");
  g_autoptr(MsDnsViewRecord) txt = NULL;
  g_autoptr(MsDnsViewRecord) answer = ms_dns_view_record_parse ("mx.example.net. A 192.0.2.25");
  g_autoptr(GHashTable) values = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *line = NULL;

  cr_assert_not_null (mx);
  cr_expect_str_eq (mx->type, "MX");
  cr_expect_str_eq (mx->value, "10 mx.example.net");
  cr_expect (ms_dns_view_record_matches (mx, "example.net.", "MX", "10 mx.example.net."));
  cr_expect (ms_dns_view_record_matches (mx, "EXAMPLE.net", "mx", NULL));
  cr_expect_not (ms_dns_view_record_matches (mx, "example.net", "MX", "20 mx2.example.net."));
  cr_expect_not (ms_dns_view_record_matches (mx, "example.net", "A", NULL));
  cr_expect_str_eq (answer->value, "192.0.2.25");
  cr_expect_null (ms_dns_view_record_parse ("example.net MX"));

  /* the SPF record follows the switch in force */
  g_hash_table_insert (values, "spf_record", "v=spf1 ip4:198.51.100.0/24 -all");
  line = ms_dns_view_expand ("isp.example TXT \"${spf_record}\" $$5", values);
  cr_expect_str_eq (line, "isp.example TXT \"v=spf1 ip4:198.51.100.0/24 -all\" $5");
  txt = ms_dns_view_record_parse (line);
  cr_expect (ms_dns_view_record_matches (txt, "isp.example", "TXT",
                                         "v=spf1 ip4:198.51.100.0/24 -all $5"));
}
