/* test-gtk-window.c: the window's scenario features on a display: the library's search and
 * exam filter, switches that replay the scenario, reload of a changed scenario file (and
 * a parse error in a banner), the exports (PNG/SVG/PDF, transcript and headers as text),
 * zoom and high contrast. Skipped (77) without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "ms-export.h"
#include "ms-quiz-view.h"
#include "ms-window.h"

static int failures;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } G_STMT_END

static guint
count_events (MsTrace    *trace,
              const char *type)
{
  guint n = 0;

  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    if (g_strcmp0 (ms_trace_get_event (trace, i)->type, type) == 0)
      n++;
  return n;
}

/* Runs the main loop until @done says so or @seconds pass. */
static gboolean
wait_for (gboolean (*done) (gpointer), gpointer data, double seconds)
{
  gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (!done (data) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  return done (data);
}

typedef struct { MsWindow *window; MsTrace *old; } TraceWait;

static gboolean
trace_replaced (gpointer data)
{
  TraceWait *w = data;

  return ms_playback_model_get_trace (ms_window_get_model (w->window)) != w->old;
}

static gboolean
banner_shown (gpointer data)
{
  return ms_window_get_banner (data) != NULL;
}

static gboolean
file_starts_with (const char *path,
                  const char *magic,
                  gsize       skip_max)
{
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  for (gsize i = 0; i <= skip_max && i + strlen (magic) <= len; i++)
    if (memcmp (data + i, magic, strlen (magic)) == 0)
      return TRUE;
  return FALSE;
}

static void
test_chooser (MsWindow *window)
{
  MsScenarioChooser *chooser = ms_window_get_chooser (window);
  guint all = ms_scenario_chooser_get_n_rows (chooser);

  CHECK (all >= 10);
  CHECK (ms_scenario_chooser_get_n_shown (chooser) == all);
  ms_scenario_chooser_set_search (chooser, "op25b");
  CHECK (ms_scenario_chooser_get_n_shown (chooser) >= 1);
  CHECK (ms_scenario_chooser_get_n_shown (chooser) < all);
  ms_scenario_chooser_set_search (chooser, "SPF");
  CHECK (ms_scenario_chooser_get_n_shown (chooser) >= 3);
  ms_scenario_chooser_set_search (chooser, "spf fail");
  CHECK (ms_scenario_chooser_get_n_shown (chooser) >= 1);
  ms_scenario_chooser_set_search (chooser, "no such thing anywhere");
  CHECK (ms_scenario_chooser_get_n_shown (chooser) == 0);
  ms_scenario_chooser_set_search (chooser, NULL);
  ms_scenario_chooser_set_exam (chooser, "SC");
  CHECK (ms_scenario_chooser_get_n_shown (chooser) > 0);
  CHECK (ms_scenario_chooser_get_n_shown (chooser) < all);
  ms_scenario_chooser_set_exam (chooser, NULL);
  CHECK (ms_scenario_chooser_get_n_shown (chooser) == all);

  /* the library is open on the first screen; picking a scenario runs it and closes it */
  {
    g_autoptr(GVariant) before = g_action_group_get_action_state (G_ACTION_GROUP (window),
                                                                  "show-chooser");
    g_autoptr(GVariant) after = NULL;

    CHECK (g_variant_get_boolean (before));
    g_signal_emit_by_name (chooser, "scenario-activated", "bcc");
    CHECK (ms_playback_model_get_trace (ms_window_get_model (window)) != NULL);
    after = g_action_group_get_action_state (G_ACTION_GROUP (window), "show-chooser");
    CHECK (!g_variant_get_boolean (after));
    /* a name that is no scenario: an error, nothing replaced */
    g_signal_emit_by_name (chooser, "scenario-activated", "no-such-scenario");
    CHECK (ms_playback_model_get_trace (ms_window_get_model (window)) != NULL);
  }
}

static void
test_switches (MsWindow *window)
{
  MsPlaybackModel *model = ms_window_get_model (window);
  g_autoptr(GError) error = NULL;
  MsTrace *trace;
  guint cursor, narrations = 0, n;

  CHECK (ms_window_open_scenario (window, "op25b", &error));
  g_assert_no_error (error);
  trace = ms_playback_model_get_trace (model);
  CHECK (count_events (trace, "blocked") > 0);
  CHECK (ms_switches_pane_get_n_switches (ms_window_get_switches (window)) == 3);

  /* a step inside the third part of the story */
  n = ms_playback_model_get_n_steps (model);
  for (cursor = 0; cursor < n; cursor++)
    {
      MsTraceEvent *e = ms_playback_model_get_step_event (model,
                                                          ms_playback_model_get_step (model, cursor));

      if (e != NULL && g_strcmp0 (e->type, "narration") == 0 && ++narrations == 2)
        break;
    }
  CHECK (cursor < n);
  ms_playback_model_set_cursor (model, cursor + 2);

  CHECK (ms_window_set_switch (window, "op25b", "false", &error));
  g_assert_no_error (error);
  trace = ms_playback_model_get_trace (model);
  CHECK (count_events (trace, "blocked") == 0);
  CHECK (ms_window_get_banner (window) != NULL
         && strstr (ms_window_get_banner (window), "op25b = false") != NULL);
  /* the same place in the story: two steps after its second narration */
  {
    guint c = ms_playback_model_get_cursor (model);
    guint seen = 0, last = 0;

    for (guint i = 0; i <= c; i++)
      {
        MsTraceEvent *e = ms_playback_model_get_step_event (model,
                                                            ms_playback_model_get_step (model, i));

        if (e != NULL && g_strcmp0 (e->type, "narration") == 0)
          seen++, last = i;
      }
    CHECK (seen == 2);
    CHECK (c - last == 2);
  }
  /* another switch keeps the first one */
  CHECK (ms_window_set_switch (window, "spf_policy", "reject", &error));
  CHECK (count_events (ms_playback_model_get_trace (model), "blocked") == 0);
  /* a value the switch does not take: an error, and the trace stays */
  trace = ms_playback_model_get_trace (model);
  CHECK (!ms_window_set_switch (window, "op25b", "perhaps", &error));
  CHECK (error != NULL);
  g_clear_error (&error);
  CHECK (ms_playback_model_get_trace (model) == trace);
  /* back on: the blocks come back */
  CHECK (ms_window_set_switch (window, "op25b", "true", &error));
  CHECK (count_events (ms_playback_model_get_trace (model), "blocked") > 0);
  /* a new scenario starts from its own defaults */
  CHECK (ms_window_open_scenario (window, "spf-fail", &error));
  CHECK (ms_playback_model_get_cursor (model) == 0);
  CHECK (ms_window_get_banner (window) == NULL);
}

static void
test_reload (MsWindow *window)
{
  MsPlaybackModel *model = ms_window_get_model (window);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ms-window-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "op25b.yaml", NULL);
  g_autofree char *source = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios",
                                              "op25b.yaml", NULL);
  g_autofree char *text = NULL;
  g_autofree char *changed = NULL;
  TraceWait w = { window, NULL };
  MsTrace *good;

  CHECK (g_file_get_contents (source, &text, NULL, NULL));
  CHECK (g_file_set_contents (path, text, -1, NULL));
  CHECK (ms_window_open_scenario (window, path, &error));
  g_assert_no_error (error);
  ms_playback_model_set_cursor (model, 20);

  /* an edit: the file is replayed, the cursor stays */
  changed = g_strconcat (text, "\n# edited while presenting\n", NULL);
  w.old = ms_playback_model_get_trace (model);
  CHECK (g_file_set_contents (path, changed, -1, NULL));
  CHECK (wait_for (trace_replaced, &w, 10));
  CHECK (ms_playback_model_get_cursor (model) == 20);
  CHECK (ms_window_get_banner (window) != NULL);

  /* a broken edit: the banner names FILE:LINE:COLUMN and the trace stays */
  good = ms_playback_model_get_trace (model);
  CHECK (ms_window_reload_scenario (window, NULL));  /* still fine */
  good = ms_playback_model_get_trace (model);
  CHECK (g_file_set_contents (path, "id: op25b\ntitle: [unclosed\n", -1, NULL));
  {
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (g_get_monotonic_time () < end
           && (ms_window_get_banner (window) == NULL
               || strstr (ms_window_get_banner (window), "op25b.yaml:") == NULL))
      g_main_context_iteration (NULL, FALSE), g_usleep (10000);
  }
  CHECK (ms_window_get_banner (window) != NULL);
  if (ms_window_get_banner (window) != NULL)
    {
      g_autoptr(GRegex) re = g_regex_new ("op25b\\.yaml:[0-9]+:[0-9]+", 0, 0, NULL);

      CHECK (g_regex_match (re, ms_window_get_banner (window), 0, NULL));
    }
  CHECK (ms_playback_model_get_trace (model) == good);
  CHECK (ms_playback_model_get_cursor (model) == 20);

  /* fixed again: replayed, and the error goes away */
  w.old = good;
  CHECK (g_file_set_contents (path, text, -1, NULL));
  CHECK (wait_for (trace_replaced, &w, 10));
  CHECK (wait_for (banner_shown, window, 1));
  CHECK (strstr (ms_window_get_banner (window), "op25b.yaml:") == NULL);

  g_unlink (path);
  g_rmdir (dir);
}

static void
test_export (MsWindow *window)
{
  MsPlaybackModel *model = ms_window_get_model (window);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("ms-export-XXXXXX", NULL);
  static const struct { const char *name; const char *magic; gsize skip; } files[] = {
    { "sequence.png", "\x89PNG\r\n\x1a\n", 0 },
    { "sequence.svg", "<svg", 200 },
    { "sequence.pdf", "%PDF-", 0 },
    { "network.png", "\x89PNG\r\n\x1a\n", 0 },
    { "network.svg", "<svg", 200 },
    { "network.pdf", "%PDF-", 0 },
  };
  MsRenderStyle style = { .scale = 1.0 };
  g_autofree char *transcript = g_build_filename (dir, "transcript.txt", NULL);
  g_autofree char *headers = g_build_filename (dir, "headers.txt", NULL);
  g_autofree char *bad = g_build_filename (dir, "sequence.gif", NULL);
  g_autofree char *text = NULL;
  MsTraceLayout *layout;

  CHECK (ms_window_open_scenario (window, "bcc", &error));
  g_assert_no_error (error);
  layout = ms_trace_layout_new (model);
  ms_playback_model_set_cursor (model, G_MAXUINT);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i].name, NULL);
      gboolean ok = g_str_has_prefix (files[i].name, "sequence")
                    ? ms_export_sequence (model, layout, &style, path, &error)
                    : ms_export_network (model, layout, &style, path, &error);

      CHECK (ok);
      g_clear_error (&error);
      if (!file_starts_with (path, files[i].magic, files[i].skip))
        {
          g_printerr ("FAIL: %s is not what its name says\n", files[i].name);
          failures++;
        }
      g_unlink (path);
    }
  CHECK (!ms_export_sequence (model, layout, &style, bad, &error));
  CHECK (g_error_matches (error, MS_EXPORT_ERROR, MS_EXPORT_ERROR_FORMAT));
  g_clear_error (&error);

  CHECK (ms_export_transcript (ms_playback_model_get_trace (model), FALSE, transcript, &error));
  CHECK (g_file_get_contents (transcript, &text, NULL, NULL));
  CHECK (text != NULL && strstr (text, "RCPT TO:<") != NULL);
  CHECK (text != NULL && strstr (text, "354") != NULL);
  g_clear_pointer (&text, g_free);

  /* the last message: at a receiving hop, Bcc gone, envelope recipients listed */
  CHECK (ms_export_headers (model, headers, &error));
  g_assert_no_error (error);
  CHECK (g_file_get_contents (headers, &text, NULL, NULL));
  CHECK (text != NULL && strstr (text, "MAIL FROM:<") != NULL);
  CHECK (text != NULL && strstr (text, "RCPT TO:<") != NULL);
  CHECK (text != NULL && strstr (text, "Subject:") != NULL);
  /* no message before the first DATA */
  ms_playback_model_set_cursor (model, 0);
  CHECK (ms_export_headers_text (model) == NULL);
  CHECK (!ms_export_headers (model, headers, &error));
  g_clear_error (&error);

  ms_trace_layout_free (layout);
  g_unlink (transcript);
  g_unlink (headers);
  g_rmdir (dir);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
test_style (MsWindow *window)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  g_settings_set_double (settings, "zoom", 1.0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-in", NULL);
  CHECK (G_APPROX_VALUE (g_settings_get_double (settings, "zoom"), 1.1, 1e-9));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.zoom-reset", NULL);
  CHECK (G_APPROX_VALUE (g_settings_get_double (settings, "zoom"), 1.0, 1e-9));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "high-contrast",
                                      g_variant_new_boolean (TRUE));
  CHECK (g_settings_get_boolean (settings, "high-contrast"));
  CHECK (gtk_widget_has_css_class (GTK_WIDGET (window), "high-contrast"));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "high-contrast",
                                      g_variant_new_boolean (FALSE));
  CHECK (!gtk_widget_has_css_class (GTK_WIDGET (window), "high-contrast"));

  /* "predict the next reply" is kept: the setting turns the mode on (the model hides the
   * future), the check box writes the setting */
  {
    MsQuizView *quiz = MS_QUIZ_VIEW (find_widget (GTK_WIDGET (window), MS_TYPE_QUIZ_VIEW));
    MsPlaybackModel *model = ms_window_get_model (window);

    g_settings_set_boolean (settings, "predict-replies", TRUE);
    CHECK (ms_quiz_view_get_predict (quiz));
    CHECK (ms_playback_model_get_hide_future (model));
    ms_quiz_view_set_predict (quiz, FALSE);
    CHECK (!g_settings_get_boolean (settings, "predict-replies"));
    CHECK (!ms_playback_model_get_hide_future (model));
  }
}

int
main (void)
{
  g_autoptr(GtkApplication) app = NULL;
  MsWindow *window;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  app = gtk_application_new (APP_ID ".WindowTest", G_APPLICATION_NON_UNIQUE);
  CHECK (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = ms_window_new (app);
  ms_window_set_still (window, TRUE);
  gtk_window_present (GTK_WINDOW (window));

  test_chooser (window);
  test_switches (window);
  test_reload (window);
  test_export (window);
  test_style (window);

  gtk_window_destroy (GTK_WINDOW (window));
  if (failures > 0)
    g_printerr ("%d check(s) failed\n", failures);
  else
    g_print ("ok: chooser, switches, reload, export, style\n");
  return failures > 0 ? 1 : 0;
}
