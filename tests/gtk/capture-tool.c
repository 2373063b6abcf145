/* capture-tool.c: helpers for tests/gtk/capture-screenshots.sh
 *
 *   capture-tool notes CAPTURE SESSION:LINE:NOTE...   notes set as the popover's Save does
 *   capture-tool popover CAPTURE SESSION_INDEX LINE NOTE OUT.png
 *   capture-tool only CAPTURE SESSION_INDEX OUT.png
 *   capture-tool live OUT.png
 *   capture-tool live-run INTERFACE FILTER SECONDS OUT.png
 *
 * The last two open the window (and the note popover or the live capture dialog, which
 * are surfaces of their own) and grab the whole X screen with ImageMagick's `import`.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>
#include <locale.h>
#include <stdlib.h>

#include "ms-annotations.h"
#include "ms-application.h"
#include "ms-capture-loader.h"
#include "ms-i18n.h"
#include "ms-live-capture-dialog.h"
#include "ms-note-popover.h"
#include "ms-session-list.h"
#include "ms-window.h"

static void
spin (guint ms)
{
  gint64 until = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
}

static int
set_notes (const char *capture,
           int         argc,
           char      **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsTrace) trace = ms_capture_load (capture, MS_CAPTURE_LOAD_DEFAULT, NULL, NULL, NULL, NULL, &error);
  g_autoptr(MsAnnotations) annotations = ms_annotations_new_for_capture (capture);

  if (trace == NULL || !ms_annotations_load (annotations, &error))
    {
      g_printerr ("capture-tool: %s\n", error->message);
      return 1;
    }
  for (int i = 0; i < argc; i++)
    {
      g_auto(GStrv) parts = g_strsplit (argv[i], ":", 3);
      MsTraceSession *session;
      guint line;

      if (g_strv_length (parts) != 3
          || (session = ms_trace_find_session (trace, atoi (parts[0]))) == NULL
          || (line = atoi (parts[1])) >= session->lines->len)
        {
          g_printerr ("capture-tool: bad note %s\n", argv[i]);
          return 1;
        }
      ms_note_set_for_line (annotations, session, line, parts[2]);
    }
  if (!ms_annotations_save (annotations, &error))
    {
      g_printerr ("capture-tool: %s\n", error->message);
      return 1;
    }
  return 0;
}

static int
grab (const char *out)
{
  const char *argv[] = { "import", "-window", "root", out, NULL };
  int status = 1;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, NULL) || status != 0)
    {
      g_printerr ("capture-tool: import failed\n");
      return 1;
    }
  return 0;
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static MsWindow *
new_window (GtkApplication *app)
{
  MsWindow *window = ms_window_new (app);

  ms_window_set_still (window, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), MS_SCREENSHOT_WIDTH, MS_SCREENSHOT_HEIGHT);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

int
main (int   argc,
      char *argv[])
{
  const char *language = g_getenv ("LANGUAGE");
  g_autoptr(GtkApplication) app = NULL;
  MsWindow *window;

  setlocale (LC_ALL, "");
  ms_i18n_init ();
  if (language != NULL && *language != '\0')
    ms_i18n_set_language (language);
  textdomain (GETTEXT_PACKAGE);

  if (argc >= 3 && g_str_equal (argv[1], "notes"))
    return set_notes (argv[2], argc - 3, argv + 3);
  if (!gtk_init_check ())
    return 77;
  app = gtk_application_new (APP_ID ".CaptureTool", G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/io/github/mailsim/MailSim/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                      "/io/github/mailsim/MailSim/icons");
  }
  if (argc == 7 && g_str_equal (argv[1], "popover"))
    {
      g_autoptr(GFile) file = g_file_new_for_path (argv[2]);
      MsPlaybackModel *model;
      GtkWidget *popover;
      gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

      window = new_window (app);
      model = ms_window_get_model (window);
      ms_window_open_capture (window, file);
      while (ms_window_is_busy (window) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, TRUE);
      ms_playback_model_set_cursor (model, ms_playback_model_find_line (model, atoi (argv[3]),
                                                                        atoi (argv[4])));
      spin (800);
      popover = ms_window_edit_note (window, atoi (argv[4]));
      if (popover == NULL)
        return 1;
      gtk_text_buffer_set_text (ms_note_popover_get_buffer (MS_NOTE_POPOVER (popover)), argv[5], -1);
      spin (1200);
      return grab (argv[6]);
    }
  if (argc == 5 && g_str_equal (argv[1], "only"))
    {
      /* capture-tool only CAPTURE SESSION_INDEX OUT.png: one session alone */
      g_autoptr(GFile) file = g_file_new_for_path (argv[2]);
      MsPlaybackModel *model;
      GtkWidget *list;
      gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

      window = new_window (app);
      model = ms_window_get_model (window);
      ms_window_open_capture (window, file);
      while (ms_window_is_busy (window) && g_get_monotonic_time () < until)
        g_main_context_iteration (NULL, TRUE);
      ms_playback_model_set_cursor (model, ms_playback_model_find_line (model, atoi (argv[3]), 4));
      spin (300);
      list = find_widget (GTK_WIDGET (window), MS_TYPE_SESSION_LIST);
      if (list == NULL)
        return 1;
      ms_session_list_set_only (MS_SESSION_LIST (list), TRUE);
      spin (1200);
      return grab (argv[4]);
    }
  if (argc == 3 && g_str_equal (argv[1], "live"))
    {
      window = new_window (app);
      spin (500);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.live-capture", NULL);
      spin (1200);
      return grab (argv[2]);
    }
  if (argc == 6 && g_str_equal (argv[1], "live-run"))
    {
      /* capture-tool live-run INTERFACE FILTER SECONDS OUT.png: capture while something
       * else talks, then grab the window with the sessions that appeared */
      MsLiveCaptureDialog *dialog = NULL;
      g_autoptr(GError) error = NULL;

      window = new_window (app);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.live-capture", NULL);
      for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
        if (MS_IS_LIVE_CAPTURE_DIALOG (l->data))
          dialog = l->data;
      if (dialog == NULL || !ms_live_capture_dialog_start (dialog, argv[2], argv[3], &error))
        {
          g_printerr ("capture-tool: %s\n", error ? error->message : "no dialog");
          /* the dialog shows the error: grab it, then fail */
          spin (1200);
          grab (argv[5]);
          return 1;
        }
      gtk_window_close (GTK_WINDOW (dialog));
      g_print ("capturing\n");
      spin (atoi (argv[4]) * 1000);
      return grab (argv[5]);
    }
  g_printerr ("usage: capture-tool notes CAPTURE S:L:NOTE... | popover CAPTURE SESSION_INDEX "
              "LINE NOTE OUT.png | live OUT.png\n");
  return 2;
}
