/* ms-application.c: mailsim-gtk's GtkApplication
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `mailsim-gtk [FILE]` opens a capture (.pcap/.pcapng, analysed off the main thread), a
 * trace (JSON from `mailsim run/analyze --format json` or `mailsim serve --trace`); without one, the welcome page says what to do. Hidden options
 * for the tests: --screenshot OUT.png [--step K] [--presentation] [--demo].
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-application.h"
#include "ms-demo.h"
#include "ms-window.h"

struct _MsApplication
{
  GtkApplication  parent_instance;

  char           *screenshot;
  char           *page;
  int             step;
  gboolean        presentation;
  gboolean        demo;
  gboolean        dark;
  gboolean        predict;    /* "predict the next reply" on (screenshots) */
  gboolean        chooser;
  char           *search;     /* the library's search text (screenshots) */
  char          **sets;       /* --set NAME=VALUE, applied to the scenario opened */
  int             status;
};

G_DEFINE_FINAL_TYPE (MsApplication, ms_application, GTK_TYPE_APPLICATION)

static gboolean
take_screenshot (gpointer user_data)
{
  MsWindow *window = user_data;
  MsApplication *self = MS_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
  int width = gtk_widget_get_width (GTK_WIDGET (window));
  int height = gtk_widget_get_height (GTK_WIDGET (window));
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (window));
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  /* a capture is read off the main thread: wait for it, then go to the step */
  if (ms_window_is_busy (window))
    return G_SOURCE_CONTINUE;
  {
    MsPlaybackModel *model = ms_window_get_model (window);
    guint n = ms_playback_model_get_n_steps (model);

    if (n > 0 && ms_playback_model_get_cursor (model) != MIN ((guint) MAX (self->step, 0), n - 1))
      {
        ms_playback_model_set_cursor (model, (guint) MAX (self->step, 0));
        return G_SOURCE_CONTINUE;
      }
  }
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL || renderer == NULL)
    {
      g_printerr ("mailsim-gtk: nothing to take a screenshot of\n");
      self->status = 1;
    }
  else
    {
      texture = gsk_renderer_render_texture (renderer, node,
                                             &GRAPHENE_RECT_INIT (0, 0, width, height));
      if (!gdk_texture_save_to_png (texture, self->screenshot))
        {
          g_printerr ("mailsim-gtk: could not write %s\n", self->screenshot);
          self->status = 1;
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return G_SOURCE_REMOVE;
}

static MsWindow *
new_window (MsApplication *self)
{
  MsWindow *window = ms_window_new (GTK_APPLICATION (self));

  if (self->screenshot != NULL)
    {
      ms_window_set_still (window, TRUE);
      gtk_window_set_default_size (GTK_WINDOW (window), MS_SCREENSHOT_WIDTH, MS_SCREENSHOT_HEIGHT);
      gtk_window_unmaximize (GTK_WINDOW (window));
      gtk_window_set_resizable (GTK_WINDOW (window), FALSE);
    }
  if (self->presentation)
    ms_window_set_presentation (window, TRUE);
  if (self->page != NULL)
    ms_window_show_page (window, self->page);
  return window;
}

static void
show_window (MsApplication *self,
             MsWindow      *window)
{
  if (self->chooser)
    ms_window_show_chooser (window, TRUE);
  if (self->search != NULL)
    ms_scenario_chooser_set_search (ms_window_get_chooser (window), self->search);
  if (self->screenshot != NULL)
    {
      ms_playback_model_set_cursor (ms_window_get_model (window), (guint) MAX (self->step, 0));
      g_timeout_add (MS_SCREENSHOT_DELAY_MS, take_screenshot, window);
    }
  gtk_window_present (GTK_WINDOW (window));
}

static void
ms_application_activate (GApplication *app)
{
  MsApplication *self = MS_APPLICATION (app);
  MsWindow *window = new_window (self);

  if (self->demo)
    {
      g_autoptr(MsTrace) trace = ms_demo_trace_new ();

      ms_window_set_trace (window, trace);
    }
  show_window (self, window);
}

static void
ms_application_open (GApplication  *app,
                     GFile        **files,
                     int            n_files,
                     const char    *hint)
{
  MsApplication *self = MS_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      MsWindow *window = new_window (self);
      g_autoptr(GError) error = NULL;

      g_autofree char *base = g_file_get_basename (files[i]);
      gboolean ok;

      /* a trace (.json), a scenario file (.yaml) or a scenario id ("op25b") */
      if (g_str_has_suffix (base, ".yaml") || g_str_has_suffix (base, ".yml"))
        {
          g_autofree char *path = g_file_get_path (files[i]);

          ok = ms_window_open_scenario (window, path, &error);
        }
      else if (!g_file_query_exists (files[i], NULL) && strchr (base, '.') == NULL)
        ok = ms_window_open_scenario (window, base, &error);
      else
        ok = ms_window_open_file (window, files[i], &error);
      for (guint k = 0; ok && self->sets != NULL && self->sets[k] != NULL; k++)
        {
          g_auto(GStrv) pair = g_strsplit (self->sets[k], "=", 2);

          if (pair[1] == NULL)
            {
              g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--set takes NAME=VALUE, not “%s”"), self->sets[k]);
              ok = FALSE;
            }
          else
            ok = ms_window_set_switch (window, pair[0], pair[1], &error);
        }
      if (!ok)
        {
          g_autofree char *name = g_file_get_parse_name (files[i]);
          g_autofree char *message = g_strdup_printf (_("Could not open %s: %s"), name,
                                                      error->message);

          g_printerr ("mailsim-gtk: %s\n", message);
          ms_window_show_error (window, message);
          if (self->screenshot != NULL)
            self->status = 1;
        }
      show_window (self, window);
    }
}

static int
ms_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  MsApplication *self = MS_APPLICATION (app);

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("mailsim-gtk %s\n", PACKAGE_VERSION);
      return 0;
    }
  g_variant_dict_lookup (options, "screenshot", "^ay", &self->screenshot);
  g_variant_dict_lookup (options, "step", "i", &self->step);
  g_variant_dict_lookup (options, "page", "s", &self->page);
  g_variant_dict_lookup (options, "presentation", "b", &self->presentation);
  g_variant_dict_lookup (options, "demo", "b", &self->demo);
  g_variant_dict_lookup (options, "dark", "b", &self->dark);
  g_variant_dict_lookup (options, "predict", "b", &self->predict);
  g_variant_dict_lookup (options, "chooser", "b", &self->chooser);
  g_variant_dict_lookup (options, "search", "s", &self->search);
  g_variant_dict_lookup (options, "set", "^as", &self->sets);
  if (self->screenshot != NULL)
    {
      /* never change the user's settings (--dark) from a test */
      g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
      /* a screenshot run is its own instance, whatever else is running */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  return -1;
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  GtkApplication *app = user_data;
  static const char *authors[] = { "MailSim contributors", NULL };

  gtk_show_about_dialog (gtk_application_get_active_window (app),
                         "program-name", "MailSim",
                         "logo-icon-name", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("A mail protocol teaching simulator and packet visualizer"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         NULL);
}

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
ms_application_startup (GApplication *app)
{
  MsApplication *self = MS_APPLICATION (app);
  static const GActionEntry entries[] = {
    { "about", about_activated, NULL, NULL, NULL },
    { "quit", quit_activated, NULL, NULL, NULL },
  };
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "win.play", { "space", NULL } },
    { "win.step-forward", { "Right", NULL } },
    { "win.step-back", { "Left", NULL } },
    { "win.home", { "Home", NULL } },
    { "win.end", { "End", NULL } },
    { "win.open", { "<Control>o", NULL } },
    { "win.add-note", { "<Control>m", NULL } },
    { "win.presentation", { "F11", NULL } },
    { "win.show-chooser", { "F9", NULL } },
    { "win.zoom-in", { "<Control>plus", "<Control>equal", NULL } },
    { "win.zoom-out", { "<Control>minus", NULL } },
    { "win.zoom-reset", { "<Control>0", NULL } },
    { "app.quit", { "<Control>q", NULL } },
  };
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  G_APPLICATION_CLASS (ms_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
  gtk_css_provider_load_from_resource (css, "/io/github/mailsim/MailSim/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/mailsim/MailSim/icons");
  if (self->dark)
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);

      g_settings_set_boolean (settings, "dark-style", TRUE);
    }
  if (self->predict)
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);

      g_settings_set_boolean (settings, "predict-replies", TRUE);
    }
}

static void
ms_application_finalize (GObject *object)
{
  MsApplication *self = MS_APPLICATION (object);

  g_free (self->screenshot);
  g_free (self->page);
  g_strfreev (self->sets);
  g_free (self->search);
  G_OBJECT_CLASS (ms_application_parent_class)->finalize (object);
}

static void
ms_application_class_init (MsApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = ms_application_finalize;
  app_class->activate = ms_application_activate;
  app_class->open = ms_application_open;
  app_class->startup = ms_application_startup;
  app_class->handle_local_options = ms_application_handle_local_options;
}

static void
ms_application_init (MsApplication *self)
{
  static const GOptionEntry options[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
    { "demo", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Open the built-in demo trace"), NULL },
    { "presentation", 0, 0, G_OPTION_ARG_NONE, NULL,
      N_("Start in presentation mode (large text, thick lines)"), NULL },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
      N_("Change a switch of the scenario, as in “mailsim run”"), N_("NAME=VALUE") },
    { "dark", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    { "predict", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    { "chooser", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL, NULL, NULL },
    { "search", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, NULL, NULL, NULL },
    { "screenshot", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, NULL, NULL, NULL },
    { "step", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, NULL, NULL, NULL },
    { "page", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, NULL, NULL, NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[CAPTURE.pcapng | TRACE.json | SCENARIO]"));
}

int
ms_application_run_status (MsApplication *self)
{
  return self->status;
}

MsApplication *
ms_application_new (void)
{
  return g_object_new (MS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/mailsim/MailSim",
                       NULL);
}
