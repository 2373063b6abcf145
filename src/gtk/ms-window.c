/* ms-window.c: the main window, one trace and one cursor for every view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-capture-bar.h"
#include "ms-capture-loader.h"
#include "ms-demo.h"
#include "ms-dns-view.h"
#include "ms-explain-event.h"
#include "ms-export.h"
#include "ms-header-view.h"
#include "ms-live-capture-dialog.h"
#include "ms-mailbox-view.h"
#include "ms-network-view.h"
#include "ms-note-popover.h"
#include "ms-quiz-view.h"
#include "ms-render.h"
#include "ms-scenario-runner.h"
#include "ms-scenario.h"
#include "ms-scenario-chooser.h"
#include "ms-sequence-view.h"
#include "ms-session-list.h"
#include "ms-switches-pane.h"
#include "ms-timeline.h"
#include "ms-transcript-view.h"
#include "ms-window.h"

#define MS_ZOOM_MIN  0.6
#define MS_ZOOM_MAX  2.5
#define MS_ZOOM_STEP 0.1
#define MS_PRESENTATION_SCALE 1.6
/* The width of the diagrams beside the transcript (ui/ms-window.ui's views_paned). */
#define MS_VIEWS_WIDTH 760
/* The network view's height above the sequence diagram (ui/ms-window.ui's diagram_paned). */
#define MS_NETWORK_HEIGHT 300
/* Presentation mode: the diagrams' share of the width the narration leaves, the network
 * view's share of the window's height. */
#define MS_PRESENTATION_VIEWS_SHARE 0.72
#define MS_PRESENTATION_NETWORK_SHARE 0.45
/* Presentation mode text: readable from the back of a classroom. */
#define MS_PRESENTATION_FONT_PX 20.0

struct _MsWindow
{
  GtkApplicationWindow parent_instance;

  GtkStack          *stack;
  GtkStack          *side_stack;
  GtkLabel          *title;
  GtkLabel          *welcome_error;
  GtkLabel          *step_label;
  GtkLabel          *step_detail;
  GtkLabel          *narration;
  GtkLabel          *position;
  GtkButton         *play_button;
  GtkDropDown       *speed;
  MsNetworkView     *network_view;
  MsSequenceView    *sequence_view;
  MsTranscriptView  *transcript_view;
  MsHeaderView      *header_view;
  MsTimeline        *timeline;
  GtkPaned          *main_paned;
  GtkPaned          *views_paned;
  GtkPaned          *diagram_paned;
  int                panes_height;  /* the window's height the panes were placed for */
  /* panes: mailboxes, DNS, quiz */
  MsMailboxView     *mailbox_view;
  MsDnsView         *dns_view;
  MsQuizView        *quiz_view;
  /* captures */
  MsCaptureBar      *capture_bar;
  MsSessionList     *session_list;
  GCancellable      *load_cancellable;
  char              *load_name;
  MsLiveCaptureDialog *live_dialog;
  char              *load_path;
  MsAnnotations     *annotations;
  MsTrace           *notes_trace;  /* the trace the notes belong to (not a reference) */
  guint              reload_cursor;  /* after re-reading for "Show passwords", or G_MAXUINT */

  GSettings         *settings;
  MsPlaybackModel   *model;
  MsTraceLayout     *layout;
  double             zoom;
  gboolean           presentation;
  gboolean           still;
  gboolean           high_contrast;
  GtkCssProvider    *zoom_css;

  /* scenarios: the library, switches, reload on change */
  GtkRevealer       *sidebar;
  MsScenarioChooser *chooser;
  MsSwitchesPane    *switches;
  GtkWidget         *story_box;
  GtkLabel          *story;
  GtkRevealer       *banner;
  GtkBox            *banner_box;
  GtkLabel          *banner_label;
  char              *banner_message;
  guint              banner_timeout;
  char              *scenario_path;
  GHashTable        *overrides;      /* switch name → value, for this scenario */
  GFileMonitor      *monitor;
  guint              reload_source;
};

G_DEFINE_FINAL_TYPE (MsWindow, ms_window, GTK_TYPE_APPLICATION_WINDOW)

static void set_notes (MsWindow      *self,
                       MsAnnotations *annotations,
                       MsTrace       *trace);

static const double speeds[] = { 0.5, 1.0, 2.0, 4.0 };

static gboolean
prefers_dark (void)
{
  gboolean dark = FALSE;

  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  return dark;
}

static void forget_scenario (MsWindow *self);
static void banner_hide     (MsWindow *self);

static MsRenderStyle
current_style (MsWindow *self)
{
  MsRenderStyle style = { 0 };

  style.scale = self->zoom * (self->presentation ? MS_PRESENTATION_SCALE : 1.0);
  style.dark = prefers_dark ();
  style.high_contrast = self->presentation || self->high_contrast;
  style.show_secrets = ms_playback_model_get_show_secrets (self->model);
  return style;
}

/* The text of the panes follows the zoom too (the diagrams take it from the style). */
static void
update_zoom_css (MsWindow *self)
{
  g_autofree char *css = NULL;
  char percent[G_ASCII_DTOSTR_BUF_SIZE], pixels[G_ASCII_DTOSTR_BUF_SIZE];

  if (self->zoom_css == NULL)
    {
      self->zoom_css = gtk_css_provider_new ();
      gtk_style_context_add_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                                  GTK_STYLE_PROVIDER (self->zoom_css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
    }
  g_ascii_formatd (percent, sizeof percent, "%.0f", self->zoom * 100);
  g_ascii_formatd (pixels, sizeof pixels, "%.1f", self->zoom * MS_PRESENTATION_FONT_PX);
  css = g_strdup_printf ("window.ms-main { font-size: %s%%; }\n"
                         "window.ms-main.presentation, window.ms-main.presentation textview "
                         "{ font-size: %spx; }\n", percent, pixels);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_css_provider_load_from_data (self->zoom_css, css, -1);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
update_style (MsWindow *self)
{
  MsRenderStyle style = current_style (self);

  ms_sequence_view_set_style (self->sequence_view, &style);
  ms_network_view_set_style (self->network_view, &style);
  ms_transcript_view_set_style (self->transcript_view, &style);
  ms_header_view_set_style (self->header_view, &style);
  ms_timeline_set_style (self->timeline, &style);
  if (style.high_contrast)
    gtk_widget_add_css_class (GTK_WIDGET (self), "high-contrast");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "high-contrast");
  update_zoom_css (self);
}

/* The narration for this step: the last narration event at or before it. */
static const char *
narration_for (MsWindow *self,
               guint     cursor)
{
  const char * const *langs = g_get_language_names ();
  gboolean ja = langs[0] != NULL && g_str_has_prefix (langs[0], "ja");

  for (guint i = cursor + 1; i-- > 0;)
    {
      const MsStep *step = ms_playback_model_get_step (self->model, i);
      MsTraceEvent *event = ms_playback_model_get_step_event (self->model, step);

      if (event == NULL || g_strcmp0 (event->type, "narration") != 0)
        continue;
      if (ja && json_object_has_member (event->fields, "ja"))
        return json_object_get_string_member (event->fields, "ja");
      if (json_object_has_member (event->fields, "en"))
        return json_object_get_string_member (event->fields, "en");
      return json_object_get_string_member_with_default (event->fields, "text", NULL);
    }
  return NULL;
}

static char *
describe_step (MsWindow     *self,
               const MsStep *step)
{
  MsTraceLine *line = ms_playback_model_get_step_line (self->model, step);
  MsTraceEvent *event = ms_playback_model_get_step_event (self->model, step);

  if (line != NULL)
    {
      MsTraceSession *s = step->session;
      const char *from = line->dir == MS_DIR_CLIENT
                         ? (s->client_node ? s->client_node : s->client)
                         : (s->server_node ? s->server_node : s->server);
      const char *to = line->dir == MS_DIR_CLIENT
                       ? (s->server_node ? s->server_node : s->server)
                       : (s->client_node ? s->client_node : s->client);

      /* TRANSLATORS: "SMTP: alice-pc → mail.example.com" */
      return g_strdup_printf (_("%s: %s → %s"), ms_protocol_to_string (s->protocol), from, to);
    }
  if (event != NULL)
    {
      g_autofree char *title = ms_explain_event_title (event);
      const char *number = json_object_get_string_member_with_default (event->fields, "step",
                                                                        NULL);

      if (g_strcmp0 (event->type, "narration") == 0 && number != NULL)
        /* TRANSLATORS: a narration step's detail line: "Scenario step 2 begins" */
        return g_strdup_printf (_("Scenario step %s begins"), number);
      if (event->node == NULL)
        return g_steal_pointer (&title);
      /* TRANSLATORS: a trace event at a node: "Packet dropped at router" */
      return g_strdup_printf (_("%s at %s"), title, event->node);
    }
  return g_strdup ("");
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsWindow        *self)
{
  guint n = ms_playback_model_get_n_steps (model);
  const MsStep *step = ms_playback_model_get_current (model);
  g_autofree char *label = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *position = NULL;
  g_autofree char *time = NULL;
  const char *narration;

  if (step == NULL)
    {
      gtk_label_set_text (self->step_label, _("This trace is empty."));
      gtk_label_set_text (self->step_detail, "");
      gtk_label_set_text (self->narration, "");
      gtk_label_set_text (self->position, "0 / 0");
      return;
    }
  label = g_strdup_printf (_("Step %u of %u"), cursor + 1, n);
  gtk_label_set_text (self->step_label, label);
  detail = describe_step (self, step);
  gtk_label_set_text (self->step_detail, detail);
  narration = narration_for (self, cursor);
  gtk_label_set_text (self->narration,
                      narration ? narration
                                : _("This trace has no narration. Follow the arrows: each "
                                    "step is one line on the wire or one event in the network; "
                                    "the transcript on the right explains it."));
  time = ms_sequence_format_time (step->t_us);
  position = g_strdup_printf ("%u / %u · %s", cursor + 1, n, time);
  gtk_label_set_text (self->position, position);
}

static void
on_playing_changed (MsPlaybackModel *model,
                    GParamSpec      *pspec,
                    MsWindow        *self)
{
  gboolean playing = ms_playback_model_get_playing (model);
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "play");

  gtk_button_set_icon_name (self->play_button,
                            playing ? "media-playback-pause-symbolic"
                                    : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->play_button),
                               playing ? _("Pause (Space)") : _("Play (Space)"));
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (playing));
}

void
ms_window_set_trace (MsWindow *self,
                     MsTrace  *trace)
{
  const char *name = ms_trace_get_source_name (trace);
  g_autofree char *title = NULL;

  if (ms_session_trace_get_full (trace) != self->notes_trace)
    set_notes (self, NULL, NULL);
  ms_playback_model_set_trace (self->model, trace);
  g_clear_pointer (&self->layout, ms_trace_layout_free);
  self->layout = ms_trace_layout_new (self->model);
  ms_sequence_view_set_layout (self->sequence_view, self->layout);
  ms_network_view_set_layout (self->network_view, self->layout);
  /* TRANSLATORS: the window title: the kind of source and its name, "demo: submission" */
  title = g_strdup_printf (_("%s: %s"), ms_trace_get_source_kind (trace),
                           name ? name : _("unnamed"));
  gtk_label_set_text (self->title, title);
  /* leaving the start page: the diagrams need the room the library took */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "welcome") == 0)
    ms_window_show_chooser (self, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "player");
  on_cursor_changed (self->model, ms_playback_model_get_cursor (self->model), self);
}

gboolean
ms_window_open_file (MsWindow  *self,
                     GFile     *file,
                     GError   **error)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(MsTrace) trace = NULL;

  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Only local files can be opened"));
      return FALSE;
    }
  if (ms_capture_file_is_capture (file))
    {
      ms_window_open_capture (self, file);
      return TRUE;
    }
  trace = ms_trace_new_from_json_file (path, error);
  if (trace == NULL)
    return FALSE;
  forget_scenario (self);
  banner_hide (self);
  ms_window_set_trace (self, trace);
  return TRUE;
}

static const char *
current_language (void)
{
  const char * const *langs = g_get_language_names ();

  return langs[0] != NULL && g_str_has_prefix (langs[0], "ja") ? "ja" : "en";
}

/* ---- scenarios: the library, switches, reload on change ---- */

/* Editors save in bursts (truncate, write, rename): reload once they are done. */
#define MS_RELOAD_DELAY_MS 300
/* An information banner (not an error) hides itself after this long. */
#define MS_BANNER_INFO_MS 8000

static void
banner_hide (MsWindow *self)
{
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  gtk_revealer_set_reveal_child (self->banner, FALSE);
  g_clear_pointer (&self->banner_message, g_free);
}

static gboolean
banner_timeout_cb (gpointer user_data)
{
  MsWindow *self = user_data;

  self->banner_timeout = 0;
  banner_hide (self);
  return G_SOURCE_REMOVE;
}

/* A banner above the views: an error (a scenario that no longer loads) stays until it is
 * closed or fixed; information (what a switch changed) goes away by itself. */
static void
banner_show (MsWindow   *self,
             const char *message,
             gboolean    is_error)
{
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  g_free (self->banner_message);
  self->banner_message = g_strdup (message);
  gtk_label_set_text (self->banner_label, message);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_label), message);
  if (is_error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->banner_box), "error-banner");
      gtk_widget_remove_css_class (GTK_WIDGET (self->banner_box), "info-banner");
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->banner_box), "info-banner");
      gtk_widget_remove_css_class (GTK_WIDGET (self->banner_box), "error-banner");
      if (!self->still)
        self->banner_timeout = g_timeout_add (MS_BANNER_INFO_MS, banner_timeout_cb, self);
    }
  gtk_revealer_set_reveal_child (self->banner, TRUE);
}

static void
on_banner_close (GtkButton *button,
                 MsWindow  *self)
{
  banner_hide (self);
}

const char *
ms_window_get_banner (MsWindow *self)
{
  return gtk_revealer_get_reveal_child (self->banner) ? self->banner_message : NULL;
}

/* Where step @cursor stands in the story: after the @nth narration, @offset steps on. */
static void
story_position (MsPlaybackModel *model,
                guint            cursor,
                guint           *nth,
                guint           *offset)
{
  guint last = 0;

  *nth = 0;
  for (guint i = 0; i <= cursor && i < ms_playback_model_get_n_steps (model); i++)
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (model,
                                                              ms_playback_model_get_step (model, i));

      if (event != NULL && g_strcmp0 (event->type, "narration") == 0)
        {
          (*nth)++;
          last = i;
        }
    }
  *offset = cursor - last;
}

/* The step of the new trace comparable to (@nth, @offset): as far into the same scenario
 * step, but not past its end (another switch value may make it shorter). */
static guint
story_cursor (MsPlaybackModel *model,
              guint            nth,
              guint            offset)
{
  guint n = ms_playback_model_get_n_steps (model);
  guint seen = 0, start = 0, end = n > 0 ? n - 1 : 0;

  if (nth == 0)
    return MIN (offset, end);
  for (guint i = 0; i < n; i++)
    {
      MsTraceEvent *event = ms_playback_model_get_step_event (model,
                                                              ms_playback_model_get_step (model, i));

      if (event == NULL || g_strcmp0 (event->type, "narration") != 0)
        continue;
      seen++;
      if (seen == nth)
        start = i;
      else if (seen == nth + 1)
        {
          end = i - 1;
          break;
        }
    }
  if (seen < nth)
    return n > 0 ? n - 1 : 0;
  return MIN (start + offset, end);
}

typedef enum
{
  KEEP_CURSOR_NONE,    /* a new scenario: from the start */
  KEEP_CURSOR_INDEX,   /* the file changed: the same step number, clamped */
  KEEP_CURSOR_STORY,   /* a switch changed: the same place in the story */
} KeepCursor;

static void on_scenario_file_changed (GFileMonitor      *monitor,
                                      GFile             *file,
                                      GFile             *other,
                                      GFileMonitorEvent  event,
                                      MsWindow          *self);

static void
watch_scenario_file (MsWindow   *self,
                     const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, NULL);
  if (self->monitor != NULL)
    g_signal_connect (self->monitor, "changed", G_CALLBACK (on_scenario_file_changed), self);
}

/* Loads @path with the window's switch overrides, runs it and shows the trace. On any
 * error the current trace stays. */
static gboolean
run_scenario (MsWindow    *self,
              const char  *path,
              KeepCursor   keep,
              GError     **error)
{
  g_autoptr(MsScenario) scenario = ms_scenario_load_file (path, error);
  g_autoptr(MsScenarioRunner) runner = NULL;
  g_autoptr(GPtrArray) initial = NULL;
  g_autofree char *title = NULL;
  guint cursor = ms_playback_model_get_cursor (self->model);
  guint nth = 0, offset = 0;
  GHashTableIter iter;
  gpointer name, value;

  if (scenario == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, self->overrides);
  while (g_hash_table_iter_next (&iter, &name, &value))
    if (ms_scenario_find_switch (scenario, name) != NULL
        && !ms_scenario_set_switch (scenario, name, value, error))
      return FALSE;
  /* the switches as the story starts: a "set" step changes them while it runs */
  initial = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < scenario->switches->len; i++)
    g_ptr_array_add (initial, g_strdup (((MsScenarioSwitch *) scenario->switches->pdata[i])->value));
  /* panes: the zone and the users as the scenario starts (the run changes its switches) */
  ms_dns_view_set_scenario (self->dns_view, scenario);
  ms_mailbox_view_set_scenario (self->mailbox_view, scenario);
  runner = ms_scenario_runner_new (scenario);
  if (!ms_scenario_runner_run (runner, error))
    return FALSE;

  if (keep == KEEP_CURSOR_STORY)
    story_position (self->model, cursor, &nth, &offset);
  ms_window_set_trace (self, ms_scenario_runner_get_trace (runner));
  if (keep == KEEP_CURSOR_STORY)
    ms_playback_model_set_cursor (self->model, story_cursor (self->model, nth, offset));
  else if (keep == KEEP_CURSOR_INDEX)
    ms_playback_model_set_cursor (self->model,
                                  MIN (cursor, ms_playback_model_get_n_steps (self->model) - 1));

  title = g_strdup_printf ("%s — %s", scenario->id,
                           ms_scenario_text_get (&scenario->title, current_language ()));
  gtk_label_set_text (self->title, title);
  gtk_label_set_text (self->story, ms_scenario_text_get (&scenario->summary, current_language ()));
  gtk_widget_set_visible (self->story_box, TRUE);
  for (guint i = 0; i < scenario->switches->len; i++)
    {
      MsScenarioSwitch *sw = scenario->switches->pdata[i];

      g_free (sw->value);
      sw->value = g_strdup (initial->pdata[i]);
    }
  ms_switches_pane_set_scenario (self->switches, scenario);
  gtk_widget_set_visible (GTK_WIDGET (self->switches), TRUE);
  ms_scenario_chooser_set_current (self->chooser, scenario->id);
  if (g_strcmp0 (self->scenario_path, path) != 0)
    {
      g_free (self->scenario_path);
      self->scenario_path = g_strdup (path);
      watch_scenario_file (self, path);
    }
  return TRUE;
}

/* A trace not made from a scenario file: no switches, nothing to watch. */
static void
forget_scenario (MsWindow *self)
{
  g_clear_handle_id (&self->reload_source, g_source_remove);
  if (self->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->monitor, self);
      g_file_monitor_cancel (self->monitor);
      g_clear_object (&self->monitor);
    }
  g_clear_pointer (&self->scenario_path, g_free);
  if (self->overrides != NULL)
    g_hash_table_remove_all (self->overrides);
  if (self->switches != NULL)
    {
      ms_switches_pane_set_scenario (self->switches, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->switches), FALSE);
      gtk_widget_set_visible (self->story_box, FALSE);
      ms_scenario_chooser_set_current (self->chooser, NULL);
    }
}

/* A scenario (an id such as "op25b", or a .yaml file) run now by the simulator. */
gboolean
ms_window_open_scenario (MsWindow    *self,
                         const char  *id_or_path,
                         GError     **error)
{
  g_autofree char *path = ms_scenario_resolve (id_or_path, error);

  if (path == NULL)
    return FALSE;
  if (g_strcmp0 (path, self->scenario_path) != 0)
    g_hash_table_remove_all (self->overrides);
  if (!run_scenario (self, path, KEEP_CURSOR_NONE, error))
    return FALSE;
  banner_hide (self);
  return TRUE;
}

gboolean
ms_window_reload_scenario (MsWindow  *self,
                           GError   **error)
{
  g_autoptr(GError) local = NULL;

  if (self->scenario_path == NULL)
    return TRUE;
  if (!run_scenario (self, self->scenario_path, KEEP_CURSOR_INDEX, &local))
    {
      /* the loader's message names FILE:LINE:COLUMN */
      g_autofree char *message = g_strdup_printf (_("The scenario file has an error; still "
                                                    "showing the last good version.\n%s"),
                                                  local->message);

      banner_show (self, message, TRUE);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  banner_show (self, _("The scenario file changed on disk: replayed it."), FALSE);
  return TRUE;
}

static gboolean
reload_timeout_cb (gpointer user_data)
{
  MsWindow *self = user_data;

  self->reload_source = 0;
  ms_window_reload_scenario (self, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_scenario_file_changed (GFileMonitor      *monitor,
                          GFile             *file,
                          GFile             *other,
                          GFileMonitorEvent  event,
                          MsWindow          *self)
{
  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      g_clear_handle_id (&self->reload_source, g_source_remove);
      self->reload_source = g_timeout_add (MS_RELOAD_DELAY_MS, reload_timeout_cb, self);
      break;
    default:
      break;
    }
}

gboolean
ms_window_set_switch (MsWindow    *self,
                      const char  *name,
                      const char  *value,
                      GError     **error)
{
  g_autofree char *old = g_strdup (g_hash_table_lookup (self->overrides, name));
  g_autofree char *message = NULL;

  if (self->scenario_path == NULL)
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_FAILED,
                   _("Switches belong to scenarios; this window shows a trace"));
      return FALSE;
    }
  g_hash_table_insert (self->overrides, g_strdup (name), g_strdup (value));
  if (!run_scenario (self, self->scenario_path, KEEP_CURSOR_STORY, error))
    {
      if (old != NULL)
        g_hash_table_insert (self->overrides, g_strdup (name), g_steal_pointer (&old));
      else
        g_hash_table_remove (self->overrides, name);
      return FALSE;
    }
  /* TRANSLATORS: a switch was flipped: "op25b = false: the scenario was replayed ..." */
  message = g_strdup_printf (_("%s = %s: the scenario was replayed with this value; the "
                               "timeline’s marks show what changed."), name, value);
  banner_show (self, message, FALSE);
  return TRUE;
}

static void
on_switch_changed (MsSwitchesPane *pane,
                   const char     *name,
                   const char     *value,
                   MsWindow       *self)
{
  g_autoptr(GError) error = NULL;

  if (!ms_window_set_switch (self, name, value, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not replay with %s = %s: %s"),
                                                  name, value, error->message);
      g_autoptr(MsScenario) scenario = ms_scenario_load_file (self->scenario_path, NULL);
      GHashTableIter iter;
      gpointer key, current;

      banner_show (self, message, TRUE);
      /* the controls go back to the values the trace shown was made with */
      if (scenario != NULL)
        {
          g_hash_table_iter_init (&iter, self->overrides);
          while (g_hash_table_iter_next (&iter, &key, &current))
            ms_scenario_set_switch (scenario, key, current, NULL);
          ms_switches_pane_set_scenario (self->switches, scenario);
        }
    }
}

static void
on_chooser_activated (MsScenarioChooser *chooser,
                      const char        *id_or_path,
                      MsWindow          *self)
{
  g_autoptr(GError) error = NULL;

  if (!ms_window_open_scenario (self, id_or_path, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not run the scenario %s: %s"),
                                                  id_or_path, error->message);

      ms_window_show_error (self, message);
      return;
    }
  /* give the diagrams the room once a scenario runs */
  ms_window_show_chooser (self, FALSE);
}

static void
on_sidebar_revealed (GtkRevealer *sidebar,
                     GParamSpec  *pspec,
                     MsWindow    *self)
{
  if (!gtk_revealer_get_child_revealed (sidebar) && !gtk_revealer_get_reveal_child (sidebar))
    gtk_widget_set_visible (GTK_WIDGET (sidebar), FALSE);
}

void
ms_window_show_chooser (MsWindow *self,
                        gboolean  show)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "show-chooser");

  /* an unrevealed revealer still asks for its child's width: hide it once it is closed */
  if (show)
    gtk_widget_set_visible (GTK_WIDGET (self->sidebar), TRUE);
  gtk_revealer_set_reveal_child (self->sidebar, show);
  if (!show && gtk_revealer_get_transition_duration (self->sidebar) == 0)
    gtk_widget_set_visible (GTK_WIDGET (self->sidebar), FALSE);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (show));
}

static void
show_chooser_changed (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  ms_window_show_chooser (MS_WINDOW (user_data), g_variant_get_boolean (state));
}

MsScenarioChooser *
ms_window_get_chooser (MsWindow *self)
{
  return self->chooser;
}

MsSwitchesPane *
ms_window_get_switches (MsWindow *self)
{
  return self->switches;
}

void
ms_window_show_error (MsWindow   *self,
                      const char *message)
{
  gtk_label_set_text (self->welcome_error, message);
  gtk_widget_set_visible (GTK_WIDGET (self->welcome_error), TRUE);
  if (ms_playback_model_get_trace (self->model) == NULL)
    gtk_stack_set_visible_child_name (self->stack, "welcome");
  else
    {
      GtkWidget *dialog;

      /* GtkAlertDialog is GTK 4.10; Debian 12 has 4.8 */
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      dialog = gtk_message_dialog_new (GTK_WINDOW (self), GTK_DIALOG_MODAL,
                                       GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", message);
      g_signal_connect (dialog, "response", G_CALLBACK (gtk_window_destroy), NULL);
      gtk_window_present (GTK_WINDOW (dialog));
      G_GNUC_END_IGNORE_DEPRECATIONS
    }
}

/* ---- notes on a capture (MsAnnotations): the popover, autosave, export ---- */

static void
on_notes_save_failed (MsAnnotations *annotations,
                      const GError  *error,
                      MsWindow      *self)
{
  g_autofree char *message = g_strdup_printf (_("Your notes could not be saved: %s"),
                                              error->message);

  ms_capture_bar_show_error (self->capture_bar, message);
}

static void
set_notes (MsWindow      *self,
           MsAnnotations *annotations,
           MsTrace       *trace)
{
  if (self->annotations != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->annotations, self);
      /* whatever is pending is written now */
      ms_annotations_set_autosave (self->annotations, FALSE);
    }
  g_set_object (&self->annotations, annotations);
  self->notes_trace = annotations != NULL ? trace : NULL;
  if (annotations != NULL)
    g_signal_connect (annotations, "save-failed", G_CALLBACK (on_notes_save_failed), self);
  ms_transcript_view_set_annotations (self->transcript_view, annotations);
  ms_sequence_view_set_annotations (self->sequence_view, annotations);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-note", annotations != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-annotated", annotations != NULL);
}

/* The sidecar next to the capture: loaded, re-anchored on this trace, autosaved. */
static void
open_notes (MsWindow   *self,
            const char *path,
            MsTrace    *trace)
{
  g_autoptr(MsAnnotations) annotations = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;

  if (!ms_annotations_load (annotations, &error))
    {
      g_autofree char *message =
        g_strdup_printf (_("Your notes in %s could not be read: %s. The file is kept; new "
                           "notes start a fresh one."),
                         ms_annotations_get_sidecar_path (annotations), error->message);

      ms_capture_bar_show_error (self->capture_bar, message);
    }
  else if (ms_annotations_get_capture_changed (annotations))
    {
      guint moved = ms_annotations_anchor (annotations, trace);
      g_autofree char *message =
        g_strdup_printf (ngettext ("Your notes were written for another version of this capture; "
                                   "%u note was moved to its line by the line's text.",
                                   "Your notes were written for another version of this capture; "
                                   "%u notes were moved to their lines by the lines' text.", moved),
                         moved);

      ms_capture_bar_show_notice (self->capture_bar, message);
    }
  ms_annotations_anchor (annotations, trace);
  ms_annotations_set_autosave (annotations, TRUE);
  set_notes (self, annotations, trace);
}

MsAnnotations *
ms_window_get_annotations (MsWindow *self)
{
  return self->annotations;
}

static void
on_note_popover_closed (GtkPopover *popover,
                        gpointer    user_data)
{
  gtk_widget_unparent (GTK_WIDGET (popover));
}

GtkWidget *
ms_window_edit_note (MsWindow *self,
                     guint     line)
{
  MsTraceSession *session = ms_transcript_view_get_session (self->transcript_view);
  MsTrace *trace = ms_playback_model_get_trace (self->model);
  MsNotePopover *popover;
  GdkRectangle rect;

  if (self->annotations == NULL || session == NULL || line >= session->lines->len)
    return NULL;
  /* the cursor goes to the line being annotated */
  for (guint i = 0; i < ms_trace_get_n_sessions (trace); i++)
    if (ms_trace_get_session (trace, i) == session)
      {
        guint step = ms_playback_model_find_line (self->model, i, line);

        if (step != G_MAXUINT && step != ms_playback_model_get_cursor (self->model))
          ms_playback_model_set_cursor (self->model, step);
      }
  popover = ms_note_popover_new (self->annotations, session, line);
  gtk_widget_set_parent (GTK_WIDGET (popover), GTK_WIDGET (self->transcript_view));
  if (ms_transcript_view_get_line_rect (self->transcript_view, line, &rect))
    gtk_popover_set_pointing_to (GTK_POPOVER (popover), &rect);
  gtk_popover_set_position (GTK_POPOVER (popover), GTK_POS_BOTTOM);
  g_signal_connect (popover, "closed", G_CALLBACK (on_note_popover_closed), NULL);
  gtk_popover_popup (GTK_POPOVER (popover));
  return GTK_WIDGET (popover);
}

static void
on_note_requested (MsTranscriptView *view,
                   guint             line,
                   GdkRectangle     *rect,
                   MsWindow         *self)
{
  ms_window_edit_note (self, line);
}

static void
add_note_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);
  const MsStep *step = ms_playback_model_get_current (self->model);

  if (step != NULL && step->kind == MS_STEP_LINE)
    {
      ms_playback_model_set_playing (self->model, FALSE);
      ms_window_edit_note (self, step->index);
    }
}

static void
on_export_annotated_response (GtkNativeDialog *dialog,
                              int              response,
                              MsWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->annotations != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!ms_annotations_export_pcapng (self->annotations, path, &error))
        ms_capture_bar_show_error (self->capture_bar, error->message);
    }
  g_object_unref (dialog);
}

static void
export_annotated_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);
  g_autofree char *base = NULL;
  g_autofree char *name = NULL;
  GtkFileChooserNative *dialog;
  char *dot;

  if (self->annotations == NULL)
    return;
  base = g_path_get_basename (ms_annotations_get_capture_path (self->annotations));
  if ((dot = strrchr (base, '.')) != NULL)
    *dot = '\0';
  name = g_strdup_printf ("%s-annotated.pcapng", base);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (_("Export the Capture with Your Notes"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_annotated_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- captures: reading a pcap/pcapng file, live capture, drag and drop ---- */

static void
on_load_progress (double   fraction,
                  gpointer user_data)
{
  MsWindow *self = user_data;
  /* TRANSLATORS: reading a capture file: "Reading smtp.pcap… 45 %" */
  g_autofree char *text = g_strdup_printf (_("Reading %s… %d %%"), self->load_name,
                                           (int) (fraction * 100));

  ms_capture_bar_show_progress (self->capture_bar, text, fraction);
}

static void
on_capture_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(MsWindow) self = user_data;
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsTrace) trace = ms_capture_load_finish (result, &read_error, &error);
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* another file or a live capture took its place */
  g_clear_object (&self->load_cancellable);
  if (trace == NULL)
    {
      message = g_strdup_printf (_("Could not read %s: %s"), self->load_name, error->message);
      g_printerr ("mailsim-gtk: %s\n", message);
      ms_capture_bar_show_error (self->capture_bar, message);
      return;
    }
  ms_window_set_trace (self, trace);
  ms_capture_bar_hide (self->capture_bar);
  open_notes (self, self->load_path, trace);
  if (self->reload_cursor != G_MAXUINT)
    ms_playback_model_set_cursor (self->model, self->reload_cursor);
  self->reload_cursor = G_MAXUINT;
  if (read_error != NULL)
    {
      /* the reader says what was read up to where */
      message = g_strdup_printf (_("%s is cut short; the sessions up to the cut are shown. %s"),
                                 self->load_name, read_error->message);
      g_printerr ("mailsim-gtk: %s\n", message);
      ms_capture_bar_show_warning (self->capture_bar, message);
    }
  else if (ms_trace_get_n_sessions (trace) == 0)
    ms_capture_bar_show_notice (self->capture_bar,
                               _("No SMTP, POP3 or IMAP session in this capture."));
}

static void
cancel_load (MsWindow *self)
{
  if (self->load_cancellable != NULL)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
}

static void
load_capture (MsWindow   *self,
              const char *path)
{
  MsCaptureLoadFlags flags = ms_playback_model_get_show_secrets (self->model)
                             ? MS_CAPTURE_LOAD_SHOW_SECRETS : MS_CAPTURE_LOAD_DEFAULT;

  self->load_cancellable = g_cancellable_new ();
  on_load_progress (0, self);
  ms_capture_load_async (path, flags, self->load_cancellable, on_load_progress, self,
                         on_capture_loaded, g_object_ref (self));
}

/* The observer masks decoded passwords in its notes: "Show passwords" on a capture reads
 * it again with them in clear, at the same step. */
static void
on_capture_show_secrets (MsPlaybackModel *model,
                         GParamSpec      *pspec,
                         MsWindow        *self)
{
  MsTrace *trace = ms_playback_model_get_trace (model);

  if (self->load_path == NULL || trace == NULL
      || ms_session_trace_get_full (trace) != self->notes_trace || self->load_cancellable != NULL)
    return;
  if (trace != self->notes_trace)
    {
      /* back to the whole capture first: the cursor is kept on it */
      ms_session_list_set_only (self->session_list, FALSE);
      trace = ms_playback_model_get_trace (model);
    }
  self->reload_cursor = ms_playback_model_get_cursor (model);
  load_capture (self, self->load_path);
}

void
ms_window_open_capture (MsWindow *self,
                        GFile    *file)
{
  g_autofree char *path = g_file_get_path (file);

  cancel_load (self);
  if (self->live_dialog != NULL)
    ms_live_capture_dialog_stop (self->live_dialog);
  g_free (self->load_name);
  self->load_name = g_file_get_basename (file);
  g_free (self->load_path);
  self->load_path = g_strdup (path);
  self->reload_cursor = G_MAXUINT;
  load_capture (self, path);
}

gboolean
ms_window_is_busy (MsWindow *self)
{
  return self->load_cancellable != NULL;
}

const char *
ms_window_get_bar_text (MsWindow *self)
{
  return ms_capture_bar_get_text (self->capture_bar);
}

static void
on_bar_cancel (MsCaptureBar *bar,
               MsWindow     *self)
{
  cancel_load (self);
  if (self->live_dialog != NULL)
    ms_live_capture_dialog_stop (self->live_dialog);
  ms_capture_bar_hide (bar);
}

/* A scenario file, a trace or a capture, from the Open dialog or dropped on the window. */
static void
open_any (MsWindow *self,
          GFile    *file)
{
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (path != NULL && (g_str_has_suffix (base, ".yaml") || g_str_has_suffix (base, ".yml")))
    ok = ms_window_open_scenario (self, path, &error);
  else
    ok = ms_window_open_file (self, file, &error);
  if (!ok)
    {
      g_autofree char *message = g_strdup_printf (_("Could not open %s: %s"), base,
                                                  error->message);

      ms_window_show_error (self, message);
    }
}

static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         MsWindow      *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  if (files == NULL)
    return FALSE;
  open_any (self, files->data);
  g_slist_free (files);
  return TRUE;
}

static void
on_live_trace_started (MsLiveCaptureDialog *dialog,
                       MsTrace             *trace,
                       MsWindow            *self)
{
  g_autofree char *text = ms_live_capture_dialog_describe (dialog);

  cancel_load (self);
  ms_window_set_trace (self, trace);
  ms_capture_bar_show_live (self->capture_bar, text);
}

static void
on_live_trace_updated (MsLiveCaptureDialog *dialog,
                       MsWindow            *self)
{
  guint n = ms_playback_model_get_n_steps (self->model);
  guint cursor = ms_playback_model_get_cursor (self->model);
  /* a cursor on the last step follows the new lines; elsewhere it stays */
  gboolean follow = n == 0 || cursor + 1 >= n;
  g_autofree char *text = ms_live_capture_dialog_describe (dialog);

  if (ms_live_capture_dialog_is_running (dialog))
    ms_capture_bar_show_live (self->capture_bar, text);
  /* another trace opened meanwhile: the capture goes on without taking it over */
  if (ms_session_trace_get_full (ms_playback_model_get_trace (self->model))
      != ms_live_capture_dialog_get_trace (dialog))
    return;
  ms_window_set_trace (self, ms_live_capture_dialog_get_trace (dialog));
  ms_playback_model_set_cursor (self->model, follow ? G_MAXUINT : cursor);
}

static void
on_live_stopped (MsLiveCaptureDialog *dialog,
                 const char          *error,
                 MsWindow            *self)
{
  if (error != NULL)
    ms_capture_bar_show_error (self->capture_bar, error);
  else
    ms_capture_bar_hide (self->capture_bar);
}

/* The live capture saved as pcapng: opened as a file, so notes can be added. */
static void
on_live_saved (MsLiveCaptureDialog *dialog,
               const char          *path,
               MsWindow            *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  ms_window_open_capture (self, file);
}

static void
live_capture_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);

  if (self->live_dialog == NULL)
    {
      self->live_dialog = ms_live_capture_dialog_new (GTK_WINDOW (self));
      g_signal_connect (self->live_dialog, "trace-started",
                        G_CALLBACK (on_live_trace_started), self);
      g_signal_connect (self->live_dialog, "trace-updated",
                        G_CALLBACK (on_live_trace_updated), self);
      g_signal_connect (self->live_dialog, "stopped", G_CALLBACK (on_live_stopped), self);
      g_signal_connect (self->live_dialog, "saved", G_CALLBACK (on_live_saved), self);
    }
  gtk_window_present (GTK_WINDOW (self->live_dialog));
}

/* The session list's "only the selected session": the views get a trace with that
 * session alone (same ids, lines and frames: the notes still apply), or the whole one
 * again, at the same line. */
static void
on_show_session (MsSessionList *list,
                 int            index,
                 MsWindow      *self)
{
  MsTrace *shown = ms_playback_model_get_trace (self->model);
  MsTrace *full = ms_session_trace_get_full (shown);
  const MsStep *step = ms_playback_model_get_current (self->model);
  guint session_id = step != NULL && step->session != NULL ? step->session->id : 0;
  guint line = step != NULL && step->kind == MS_STEP_LINE ? step->index : 0;
  guint cursor = 0;

  if (full == NULL)
    return;
  if (index < 0)
    {
      ms_window_set_trace (self, full);
      for (guint i = 0; i < ms_trace_get_n_sessions (full); i++)
        if (ms_trace_get_session (full, i)->id == session_id)
          cursor = ms_playback_model_find_line (self->model, i, line);
    }
  else
    {
      g_autoptr(MsTrace) one = ms_session_trace_new (full, (guint) index);

      if (one == NULL)
        return;
      /* the same line when that session was already the current one */
      if (ms_trace_get_session (one, 0)->id != session_id)
        line = 0;
      ms_window_set_trace (self, one);
      cursor = ms_playback_model_find_line (self->model, 0, line);
    }
  if (cursor != G_MAXUINT)
    ms_playback_model_set_cursor (self->model, cursor);
}

static void
captures_dispose (MsWindow *self)
{
  cancel_load (self);
  g_clear_pointer (&self->load_name, g_free);
  g_clear_pointer (&self->load_path, g_free);
  set_notes (self, NULL, NULL);
  if (self->live_dialog != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->live_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->live_dialog));
      self->live_dialog = NULL;
    }
}

static void
captures_init (MsWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  g_signal_connect (self->capture_bar, "cancel", G_CALLBACK (on_bar_cancel), self);
  g_signal_connect (self->transcript_view, "note-requested", G_CALLBACK (on_note_requested),
                    self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-note", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.export-annotated", FALSE);
  ms_session_list_set_model (self->session_list, self->model);
  g_signal_connect (self->session_list, "show-session", G_CALLBACK (on_show_session), self);
  self->reload_cursor = G_MAXUINT;
  g_signal_connect (self->model, "notify::show-secrets", G_CALLBACK (on_capture_show_secrets),
                    self);
}

/* ---- actions ---- */

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  MsWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      open_any (self, file);
    }
  g_object_unref (dialog);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);
  GtkFileChooserNative *dialog;
  /* name, patterns (the first filter takes them all) */
  static const struct { const char *name; const char *patterns[4]; } filters[] = {
    { N_("Scenarios, traces and captures"), { NULL } },
    { N_("Captures (pcap, pcapng)"), { "*.pcap", "*.pcapng", "*.cap", NULL } },
    { N_("MailSim traces (JSON)"), { "*.json", "*.jsonl", NULL } },
    { N_("Scenarios (YAML)"), { "*.yaml", "*.yml", NULL } },
  };
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (_("Open a Capture, Trace or Scenario"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (all, _(filters[0].name));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  for (guint i = 1; i < G_N_ELEMENTS (filters); i++)
    {
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _(filters[i].name));
      for (guint k = 0; filters[i].patterns[k] != NULL; k++)
        {
          gtk_file_filter_add_pattern (filter, filters[i].patterns[k]);
          gtk_file_filter_add_pattern (all, filters[i].patterns[k]);
        }
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
    }
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
demo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  g_autoptr(MsTrace) trace = ms_demo_trace_new ();

  forget_scenario (MS_WINDOW (widget));
  banner_hide (MS_WINDOW (widget));
  ms_window_set_trace (MS_WINDOW (widget), trace);
}

static void
step_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);

  ms_playback_model_set_playing (self->model, FALSE);
  if (g_str_equal (action_name, "win.step-forward"))
    ms_playback_model_step (self->model, 1);
  else if (g_str_equal (action_name, "win.step-back"))
    ms_playback_model_step (self->model, -1);
  else if (g_str_equal (action_name, "win.home"))
    ms_playback_model_set_cursor (self->model, 0);
  else if (g_str_equal (action_name, "win.end"))
    ms_playback_model_set_cursor (self->model, G_MAXUINT);
}

static void
play_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  MsWindow *self = user_data;

  ms_playback_model_set_playing (self->model, !ms_playback_model_get_playing (self->model));
}

/* Large text makes the diagrams need the room: give them most of what the narration
 * leaves (the transcript keeps the rest), and the network picture a good part of the
 * height so that it reads from the back of a classroom. Again when the window's size
 * changes in presentation mode (going fullscreen), not otherwise: a divider the user
 * moved stays. */
static void
place_panes (MsWindow *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));

  if (width <= 0 || height <= 0)
    gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  if (height == self->panes_height)
    return;
  self->panes_height = height;
  width -= gtk_paned_get_position (self->main_paned);
  gtk_paned_set_position (self->views_paned,
                          self->presentation
                          ? MAX (MS_VIEWS_WIDTH, width * MS_PRESENTATION_VIEWS_SHARE)
                          : MS_VIEWS_WIDTH);
  gtk_paned_set_position (self->diagram_paned,
                          self->presentation ? (int) (height * MS_PRESENTATION_NETWORK_SHARE)
                                             : MS_NETWORK_HEIGHT);
}

static void
on_diagram_paned_resized (GObject    *paned,
                          GParamSpec *pspec,
                          MsWindow   *self)
{
  if (self->presentation)
    place_panes (self);
}

void
ms_window_set_presentation (MsWindow *self,
                            gboolean  presentation)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "presentation");

  self->presentation = presentation;
  if (presentation)
    gtk_widget_add_css_class (GTK_WIDGET (self), "presentation");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "presentation");
  if (!self->still)
    {
      if (presentation)
        gtk_window_fullscreen (GTK_WINDOW (self));
      else
        gtk_window_unfullscreen (GTK_WINDOW (self));
    }
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (presentation));
  update_style (self);
  self->panes_height = 0;
  place_panes (self);
}

static void
presentation_changed (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  ms_window_set_presentation (MS_WINDOW (user_data), g_variant_get_boolean (state));
}

static void
dark_changed (GSimpleAction *action,
              GVariant      *state,
              gpointer       user_data)
{
  g_settings_set_boolean (MS_WINDOW (user_data)->settings, "dark-style",
                          g_variant_get_boolean (state));
}

static void
on_dark_setting (GSettings  *settings,
                 const char *key,
                 MsWindow   *self)
{
  gboolean dark = g_settings_get_boolean (settings, "dark-style");
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "dark");

  g_object_set (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", dark, NULL);
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (dark));
  update_style (self);
}

static void
high_contrast_changed (GSimpleAction *action,
                       GVariant      *state,
                       gpointer       user_data)
{
  g_settings_set_boolean (MS_WINDOW (user_data)->settings, "high-contrast",
                          g_variant_get_boolean (state));
}

static void
on_high_contrast_setting (GSettings  *settings,
                          const char *key,
                          MsWindow   *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), "high-contrast");

  self->high_contrast = g_settings_get_boolean (settings, "high-contrast");
  g_simple_action_set_state (G_SIMPLE_ACTION (action), g_variant_new_boolean (self->high_contrast));
  update_style (self);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);
  double zoom = self->zoom;

  if (g_str_equal (action_name, "win.zoom-in"))
    zoom += MS_ZOOM_STEP;
  else if (g_str_equal (action_name, "win.zoom-out"))
    zoom -= MS_ZOOM_STEP;
  else
    zoom = 1.0;
  g_settings_set_double (self->settings, "zoom", CLAMP (zoom, MS_ZOOM_MIN, MS_ZOOM_MAX));
}

static void
on_zoom_setting (GSettings  *settings,
                 const char *key,
                 MsWindow   *self)
{
  self->zoom = CLAMP (g_settings_get_double (settings, "zoom"), MS_ZOOM_MIN, MS_ZOOM_MAX);
  update_style (self);
}

typedef enum { EXPORT_SEQUENCE, EXPORT_NETWORK, EXPORT_TRANSCRIPT, EXPORT_HEADERS } ExportKind;

static void
on_export_response (GtkNativeDialog *dialog,
                    int              response,
                    MsWindow        *self)
{
  ExportKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "kind"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;
      MsRenderStyle style = current_style (self);
      gboolean ok = FALSE;

      if (kind == EXPORT_SEQUENCE)
        ok = ms_export_sequence (self->model, self->layout, &style, path, &error);
      else if (kind == EXPORT_NETWORK)
        ok = ms_export_network (self->model, self->layout, &style, path, &error);
      else if (kind == EXPORT_TRANSCRIPT)
        ok = ms_export_transcript (ms_playback_model_get_trace (self->model),
                                   style.show_secrets, path, &error);
      else
        ok = ms_export_headers (self->model, path, &error);
      if (!ok)
        ms_window_show_error (self, error->message);
    }
  g_object_unref (dialog);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  MsWindow *self = MS_WINDOW (widget);
  ExportKind kind = g_str_equal (action_name, "win.export-sequence") ? EXPORT_SEQUENCE
                    : g_str_equal (action_name, "win.export-network") ? EXPORT_NETWORK
                    : g_str_equal (action_name, "win.export-headers") ? EXPORT_HEADERS
                    : EXPORT_TRANSCRIPT;
  GtkFileChooserNative *dialog;

  if (ms_playback_model_get_trace (self->model) == NULL)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (kind == EXPORT_TRANSCRIPT ? _("Export the Transcript")
                                        : kind == EXPORT_HEADERS ? _("Export the Headers")
                                        : _("Export as PNG, SVG or PDF"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     kind == EXPORT_SEQUENCE ? "sequence.svg"
                                     : kind == EXPORT_NETWORK ? "network.svg"
                                     : kind == EXPORT_HEADERS ? "headers.txt"
                                     : "transcript.txt");
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_object_set_data (G_OBJECT (dialog), "kind", GINT_TO_POINTER (kind));
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_speed_selected (GtkDropDown *dropdown,
                   GParamSpec  *pspec,
                   MsWindow    *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected < G_N_ELEMENTS (speeds))
    ms_playback_model_set_speed (self->model, speeds[selected]);
}

static void
on_show_secrets (MsPlaybackModel *model,
                 GParamSpec      *pspec,
                 MsWindow        *self)
{
  update_style (self);
}

void
ms_window_set_still (MsWindow *self,
                     gboolean  still)
{
  self->still = still;
  /* a screenshot must not catch the sidebar half way */
  gtk_revealer_set_transition_duration (self->sidebar, still ? 0 : 250);
  gtk_revealer_set_transition_duration (self->banner, still ? 0 : 250);
  ms_network_view_set_animate (self->network_view, !still);
}

void
ms_window_show_page (MsWindow   *self,
                     const char *name)
{
  if (gtk_stack_get_child_by_name (self->side_stack, name) != NULL)
    gtk_stack_set_visible_child_name (self->side_stack, name);
}

MsPlaybackModel *
ms_window_get_model (MsWindow *self)
{
  return self->model;
}

static void
ms_window_dispose (GObject *object)
{
  MsWindow *self = MS_WINDOW (object);

  if (self->model != NULL)
    {
      ms_playback_model_set_playing (self->model, FALSE);
      g_signal_handlers_disconnect_by_data (self->model, self);
    }
  if (self->settings != NULL)
    {
      int width, height;

      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
      if (!self->still && width > 0 && height > 0)
        {
          g_settings_set (self->settings, "window-size", "(ii)", width, height);
          g_settings_set_boolean (self->settings, "window-maximized",
                                  gtk_window_is_maximized (GTK_WINDOW (self)));
        }
      g_signal_handlers_disconnect_by_data (self->settings, self);
    }
  captures_dispose (self);
  g_clear_object (&self->settings);
  forget_scenario (self);
  g_clear_handle_id (&self->banner_timeout, g_source_remove);
  g_clear_pointer (&self->banner_message, g_free);
  g_clear_pointer (&self->overrides, g_hash_table_unref);
  if (self->zoom_css != NULL)
    gtk_style_context_remove_provider_for_display (gtk_widget_get_display (GTK_WIDGET (self)),
                                                   GTK_STYLE_PROVIDER (self->zoom_css));
  g_clear_object (&self->zoom_css);
  g_clear_pointer (&self->layout, ms_trace_layout_free);
  g_clear_object (&self->model);
  G_OBJECT_CLASS (ms_window_parent_class)->dispose (object);
}

static void
ms_window_class_init (MsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_window_dispose;

  g_type_ensure (MS_TYPE_NETWORK_VIEW);
  g_type_ensure (MS_TYPE_SEQUENCE_VIEW);
  g_type_ensure (MS_TYPE_TRANSCRIPT_VIEW);
  g_type_ensure (MS_TYPE_HEADER_VIEW);
  g_type_ensure (MS_TYPE_TIMELINE);
  g_type_ensure (MS_TYPE_SCENARIO_CHOOSER);
  g_type_ensure (MS_TYPE_SWITCHES_PANE);
  g_type_ensure (MS_TYPE_MAILBOX_VIEW);
  g_type_ensure (MS_TYPE_DNS_VIEW);
  g_type_ensure (MS_TYPE_QUIZ_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, title);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, welcome_error);
  /* scenarios: the library, switches, reload on change */
  gtk_widget_class_bind_template_child (widget_class, MsWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, chooser);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, switches);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, story_box);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, story);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, banner_box);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, banner_label);
  gtk_widget_class_bind_template_callback (widget_class, on_chooser_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_switch_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_close);
  gtk_widget_class_bind_template_callback (widget_class, on_sidebar_revealed);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, step_label);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, step_detail);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, narration);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, position);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, play_button);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, speed);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, network_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, sequence_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, transcript_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, header_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, main_paned);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, views_paned);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, diagram_paned);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, mailbox_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, dns_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, quiz_view);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_selected);
  g_type_ensure (MS_TYPE_CAPTURE_BAR);
  g_type_ensure (MS_TYPE_SESSION_LIST);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, capture_bar);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, session_list);
  gtk_widget_class_install_action (widget_class, "win.live-capture", NULL, live_capture_action);
  gtk_widget_class_install_action (widget_class, "win.add-note", NULL, add_note_action);
  gtk_widget_class_install_action (widget_class, "win.export-annotated", NULL,
                                   export_annotated_action);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.demo", NULL, demo_action);
  gtk_widget_class_install_action (widget_class, "win.step-forward", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.step-back", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.home", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.end", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.zoom-reset", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "win.export-sequence", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-network", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-transcript", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-headers", NULL, export_action);
}

static void
ms_window_init (MsWindow *self)
{
  static const GActionEntry entries[] = {
    { "play", play_activated, NULL, "false", NULL },
    { "presentation", NULL, NULL, "false", presentation_changed },
    { "dark", NULL, NULL, "false", dark_changed },
    { "high-contrast", NULL, NULL, "false", high_contrast_changed },
    { "show-chooser", NULL, NULL, "false", show_chooser_changed },
  };
  int width = 0, height = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);

  self->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->model = ms_playback_model_new ();
  ms_sequence_view_set_model (self->sequence_view, self->model);
  ms_network_view_set_model (self->network_view, self->model);
  ms_transcript_view_set_model (self->transcript_view, self->model);
  ms_header_view_set_model (self->header_view, self->model);
  ms_timeline_set_model (self->timeline, self->model);
  ms_mailbox_view_set_model (self->mailbox_view, self->model);
  ms_dns_view_set_model (self->dns_view, self->model);
  ms_quiz_view_set_model (self->quiz_view, self->model);
  g_signal_connect (self->model, "cursor-changed", G_CALLBACK (on_cursor_changed), self);
  g_signal_connect (self->model, "notify::playing", G_CALLBACK (on_playing_changed), self);
  g_signal_connect (self->model, "notify::show-secrets", G_CALLBACK (on_show_secrets), self);
  captures_init (self);

  g_signal_connect (self->diagram_paned, "notify::max-position",
                    G_CALLBACK (on_diagram_paned_resized), self);
  self->settings = g_settings_new (APP_ID);
  g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_signal_connect (self->settings, "changed::dark-style", G_CALLBACK (on_dark_setting), self);
  g_signal_connect (self->settings, "changed::zoom", G_CALLBACK (on_zoom_setting), self);
  g_signal_connect (self->settings, "changed::high-contrast",
                    G_CALLBACK (on_high_contrast_setting), self);
  g_settings_bind (self->settings, "speed", self->model, "speed", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "predict-replies", self->quiz_view, "predict",
                   G_SETTINGS_BIND_DEFAULT);
  for (guint i = 0; i < G_N_ELEMENTS (speeds); i++)
    if (speeds[i] == ms_playback_model_get_speed (self->model))
      gtk_drop_down_set_selected (self->speed, i);
  self->zoom = 1.0;
  on_zoom_setting (self->settings, "zoom", self);
  on_dark_setting (self->settings, "dark-style", self);
  on_high_contrast_setting (self->settings, "high-contrast", self);
  /* nothing to show yet: the library is the first thing to see */
  ms_window_show_chooser (self, TRUE);
}

MsWindow *
ms_window_new (GtkApplication *application)
{
  return g_object_new (MS_TYPE_WINDOW, "application", application, NULL);
}
