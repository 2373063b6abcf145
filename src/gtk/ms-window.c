/* ms-window.c: the main window, one trace and one cursor for every view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-demo.h"
#include "ms-dns-view.h"
#include "ms-explain-event.h"
#include "ms-export.h"
#include "ms-header-view.h"
#include "ms-mailbox-view.h"
#include "ms-network-view.h"
#include "ms-quiz-view.h"
#include "ms-render.h"
#include "ms-scenario-runner.h"
#include "ms-scenario.h"
#include "ms-sequence-view.h"
#include "ms-timeline.h"
#include "ms-transcript-view.h"
#include "ms-window.h"

#define MS_ZOOM_MIN  0.6
#define MS_ZOOM_MAX  2.5
#define MS_ZOOM_STEP 0.1
#define MS_PRESENTATION_SCALE 1.6

struct _MsWindow
{
  GtkApplicationWindow parent_instance;

  GtkStack          *stack;
  GtkStack          *side_stack;
  GtkLabel          *title;
  GtkLabel          *welcome_error;
  GtkListBox        *scenario_list;
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
  /* panes: mailboxes, DNS, quiz */
  MsMailboxView     *mailbox_view;
  MsDnsView         *dns_view;
  MsQuizView        *quiz_view;

  GSettings         *settings;
  MsPlaybackModel   *model;
  MsTraceLayout     *layout;
  double             zoom;
  gboolean           presentation;
  gboolean           still;
};

G_DEFINE_FINAL_TYPE (MsWindow, ms_window, GTK_TYPE_APPLICATION_WINDOW)

static void on_scenario_activated (GtkListBox    *list,
                                   GtkListBoxRow *row,
                                   MsWindow      *self);

static const double speeds[] = { 0.5, 1.0, 2.0, 4.0 };

static gboolean
prefers_dark (void)
{
  gboolean dark = FALSE;

  g_object_get (gtk_settings_get_default (), "gtk-application-prefer-dark-theme", &dark, NULL);
  return dark;
}

static void
update_style (MsWindow *self)
{
  MsRenderStyle style = { 0 };

  style.scale = self->zoom * (self->presentation ? MS_PRESENTATION_SCALE : 1.0);
  style.dark = prefers_dark ();
  style.high_contrast = self->presentation;
  style.show_secrets = ms_playback_model_get_show_secrets (self->model);
  ms_sequence_view_set_style (self->sequence_view, &style);
  ms_network_view_set_style (self->network_view, &style);
  ms_transcript_view_set_style (self->transcript_view, &style);
  ms_header_view_set_style (self->header_view, &style);
  ms_timeline_set_style (self->timeline, &style);
}

static MsRenderStyle
current_style (MsWindow *self)
{
  MsRenderStyle style = { 0 };

  style.scale = self->zoom * (self->presentation ? MS_PRESENTATION_SCALE : 1.0);
  style.dark = prefers_dark ();
  style.high_contrast = self->presentation;
  style.show_secrets = ms_playback_model_get_show_secrets (self->model);
  return style;
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
  position = g_strdup_printf ("%u / %u · %.3f s", cursor + 1, n, step->t_us / 1e6);
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

  ms_playback_model_set_trace (self->model, trace);
  g_clear_pointer (&self->layout, ms_trace_layout_free);
  self->layout = ms_trace_layout_new (self->model);
  ms_sequence_view_set_layout (self->sequence_view, self->layout);
  ms_network_view_set_layout (self->network_view, self->layout);
  /* TRANSLATORS: the window title: the kind of source and its name, "demo: submission" */
  title = g_strdup_printf (_("%s: %s"), ms_trace_get_source_kind (trace),
                           name ? name : _("unnamed"));
  gtk_label_set_text (self->title, title);
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
  trace = ms_trace_new_from_json_file (path, error);
  if (trace == NULL)
    return FALSE;
  ms_window_set_trace (self, trace);
  return TRUE;
}

static const char *
current_language (void)
{
  const char * const *langs = g_get_language_names ();

  return langs[0] != NULL && g_str_has_prefix (langs[0], "ja") ? "ja" : "en";
}

/* A scenario (an id such as "op25b", or a .yaml file) run now by the simulator. */
gboolean
ms_window_open_scenario (MsWindow    *self,
                         const char  *id_or_path,
                         GError     **error)
{
  g_autofree char *path = ms_scenario_resolve (id_or_path, error);
  g_autoptr(MsScenario) scenario = NULL;
  g_autoptr(MsScenarioRunner) runner = NULL;
  g_autofree char *title = NULL;

  if (path == NULL)
    return FALSE;
  scenario = ms_scenario_load_file (path, error);
  if (scenario == NULL)
    return FALSE;
  /* the zone as the scenario starts: the run changes its switches */
  ms_dns_view_set_scenario (self->dns_view, scenario);
  ms_mailbox_view_set_scenario (self->mailbox_view, scenario);
  runner = ms_scenario_runner_new (scenario);
  if (!ms_scenario_runner_run (runner, error))
    return FALSE;
  ms_window_set_trace (self, ms_scenario_runner_get_trace (runner));
  title = g_strdup_printf ("%s — %s", scenario->id,
                           ms_scenario_text_get (&scenario->title, current_language ()));
  gtk_label_set_text (self->title, title);
  return TRUE;
}

static void
on_scenario_activated (GtkListBox    *list,
                       GtkListBoxRow *row,
                       MsWindow      *self)
{
  const char *id = g_object_get_data (G_OBJECT (row), "scenario-id");
  g_autoptr(GError) error = NULL;

  if (id != NULL && !ms_window_open_scenario (self, id, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not run the scenario %s: %s"), id,
                                                  error->message);

      ms_window_show_error (self, message);
    }
}

/* The scenario library on the welcome page: title, summary and exam tags. */
static void
fill_scenario_list (MsWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = ms_scenario_list_all (&error);
  const char *lang = current_language ();

  if (all == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->scenario_list), FALSE);
      return;
    }
  for (guint i = 0; i < all->len; i++)
    {
      MsScenario *scenario = g_ptr_array_index (all, i);
      GtkWidget *row = gtk_list_box_row_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *title = gtk_label_new (ms_scenario_text_get (&scenario->title, lang));
      GtkWidget *summary = gtk_label_new (ms_scenario_text_get (&scenario->summary, lang));
      g_autofree char *exams = scenario->exams ? g_strjoinv (" · ", scenario->exams) : NULL;
      g_autofree char *tags = g_strdup_printf ("%s%s%s", scenario->id, exams ? "   " : "",
                                               exams ? exams : "");
      GtkWidget *tag = gtk_label_new (tags);

      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_widget_add_css_class (title, "heading");
      gtk_label_set_xalign (GTK_LABEL (summary), 0);
      gtk_label_set_wrap (GTK_LABEL (summary), TRUE);
      gtk_label_set_xalign (GTK_LABEL (tag), 0);
      gtk_widget_add_css_class (tag, "dim-label");
      gtk_widget_add_css_class (tag, "caption");
      gtk_box_append (GTK_BOX (box), title);
      gtk_box_append (GTK_BOX (box), summary);
      gtk_box_append (GTK_BOX (box), tag);
      gtk_widget_add_css_class (box, "scenario-row");
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      g_object_set_data_full (G_OBJECT (row), "scenario-id", g_strdup (scenario->id), g_free);
      gtk_list_box_append (self->scenario_list, row);
    }
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

/* ---- actions ---- */

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  MsWindow        *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GError) error = NULL;

      if (!ms_window_open_file (self, file, &error))
        {
          g_autofree char *message = g_strdup_printf (_("Could not open this trace: %s"),
                                                      error->message);

          ms_window_show_error (self, message);
        }
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
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (_("Open a Trace"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("MailSim traces (JSON)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
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

typedef enum { EXPORT_SEQUENCE, EXPORT_NETWORK, EXPORT_TRANSCRIPT } ExportKind;

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
      else
        ok = ms_export_transcript (ms_playback_model_get_trace (self->model),
                                   style.show_secrets, path, &error);
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
                    : EXPORT_TRANSCRIPT;
  GtkFileChooserNative *dialog;

  if (ms_playback_model_get_trace (self->model) == NULL)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  dialog = gtk_file_chooser_native_new (kind == EXPORT_TRANSCRIPT ? _("Export the Transcript")
                                        : _("Export as PNG, SVG or PDF"),
                                        GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     kind == EXPORT_SEQUENCE ? "sequence.svg"
                                     : kind == EXPORT_NETWORK ? "network.svg"
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
  g_clear_object (&self->settings);
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
  g_type_ensure (MS_TYPE_MAILBOX_VIEW);
  g_type_ensure (MS_TYPE_DNS_VIEW);
  g_type_ensure (MS_TYPE_QUIZ_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-window.ui");
  gtk_widget_class_bind_template_child (widget_class, MsWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, title);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, welcome_error);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, scenario_list);
  gtk_widget_class_bind_template_callback (widget_class, on_scenario_activated);
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
  gtk_widget_class_bind_template_child (widget_class, MsWindow, mailbox_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, dns_view);
  gtk_widget_class_bind_template_child (widget_class, MsWindow, quiz_view);
  gtk_widget_class_bind_template_callback (widget_class, on_speed_selected);

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
}

static void
ms_window_init (MsWindow *self)
{
  static const GActionEntry entries[] = {
    { "play", play_activated, NULL, "false", NULL },
    { "presentation", NULL, NULL, "false", presentation_changed },
    { "dark", NULL, NULL, "false", dark_changed },
  };
  int width = 0, height = 0;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);

  fill_scenario_list (self);
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

  self->settings = g_settings_new (APP_ID);
  g_settings_get (self->settings, "window-size", "(ii)", &width, &height);
  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  g_signal_connect (self->settings, "changed::dark-style", G_CALLBACK (on_dark_setting), self);
  g_signal_connect (self->settings, "changed::zoom", G_CALLBACK (on_zoom_setting), self);
  g_settings_bind (self->settings, "speed", self->model, "speed", G_SETTINGS_BIND_DEFAULT);
  for (guint i = 0; i < G_N_ELEMENTS (speeds); i++)
    if (speeds[i] == ms_playback_model_get_speed (self->model))
      gtk_drop_down_set_selected (self->speed, i);
  self->zoom = 1.0;
  on_zoom_setting (self->settings, "zoom", self);
  on_dark_setting (self->settings, "dark-style", self);
}

MsWindow *
ms_window_new (GtkApplication *application)
{
  return g_object_new (MS_TYPE_WINDOW, "application", application, NULL);
}
