/* test-gtk-templates.c: every widget builds from its template, the window opens a trace
 * and its actions move the one cursor. Skipped (77) without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>

#include "ms-demo.h"
#include "ms-header-view.h"
#include "ms-network-view.h"
#include "ms-sequence-view.h"
#include "ms-timeline.h"
#include "ms-transcript-view.h"
#include "ms-window.h"

static int failures;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } G_STMT_END

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
on_css_error (GtkCssProvider *provider, GtkCssSection *section, const GError *error,
              gpointer user_data)
{
  guint *n_errors = user_data;
  g_autofree char *where = gtk_css_section_to_string (section);

  g_printerr ("FAIL style.css: %s: %s\n", where, error->message);
  (*n_errors)++;
}

int
main (void)
{
  GType types[] = {
    MS_TYPE_SEQUENCE_VIEW, MS_TYPE_NETWORK_VIEW, MS_TYPE_TRANSCRIPT_VIEW,
    MS_TYPE_HEADER_VIEW, MS_TYPE_TIMELINE,
  };
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(MsTrace) trace = NULL;
  MsWindow *window;
  MsPlaybackModel *model;

  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      GtkWidget *widget = g_object_ref_sink (g_object_new (types[i], NULL));

      CHECK (GTK_IS_WIDGET (widget));
      g_object_unref (widget);
    }

  /* the style sheet parses without an error or a warning (a lost brace drops every rule
   * after it) */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();
    guint n_errors = 0;

    g_signal_connect (css, "parsing-error", G_CALLBACK (on_css_error), &n_errors);
    gtk_css_provider_load_from_resource (css, "/io/github/mailsim/MailSim/style.css");
    CHECK (n_errors == 0);
  }

  app = gtk_application_new (APP_ID ".Test", G_APPLICATION_NON_UNIQUE);
  CHECK (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = ms_window_new (app);
  CHECK (MS_IS_WINDOW (window));
  gtk_window_present (GTK_WINDOW (window));
  model = ms_window_get_model (window);
  CHECK (ms_playback_model_get_trace (model) == NULL);

  trace = ms_demo_trace_new ();
  ms_window_set_trace (window, trace);
  CHECK (ms_playback_model_get_n_steps (model) > 10);
  CHECK (ms_playback_model_get_cursor (model) == 0);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
  CHECK (ms_playback_model_get_cursor (model) == 2);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step-back", NULL);
  CHECK (ms_playback_model_get_cursor (model) == 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.end", NULL);
  CHECK (ms_playback_model_get_cursor (model) == ms_playback_model_get_n_steps (model) - 1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.home", NULL);
  CHECK (ms_playback_model_get_cursor (model) == 0);
  g_action_group_activate_action (G_ACTION_GROUP (window), "play", NULL);
  CHECK (ms_playback_model_get_playing (model));
  g_action_group_activate_action (G_ACTION_GROUP (window), "play", NULL);
  CHECK (!ms_playback_model_get_playing (model));
  g_action_group_change_action_state (G_ACTION_GROUP (window), "presentation",
                                      g_variant_new_boolean (TRUE));
  CHECK (gtk_widget_has_css_class (GTK_WIDGET (window), "presentation"));
  /* the network view gets a good part of the height in presentation mode */
  {
    GtkWidget *network = find_widget (GTK_WIDGET (window), MS_TYPE_NETWORK_VIEW);
    GtkWidget *paned = network ? gtk_widget_get_ancestor (network, GTK_TYPE_PANED) : NULL;
    int width, height;

    gtk_window_get_default_size (GTK_WINDOW (window), &width, &height);
    CHECK (paned != NULL
           && gtk_orientable_get_orientation (GTK_ORIENTABLE (paned)) == GTK_ORIENTATION_VERTICAL);
    if (paned != NULL)
      CHECK (gtk_paned_get_position (GTK_PANED (paned)) >= height * 2 / 5);
  }
  ms_window_set_still (window, TRUE);
  g_action_group_change_action_state (G_ACTION_GROUP (window), "presentation",
                                      g_variant_new_boolean (FALSE));
  CHECK (!gtk_widget_has_css_class (GTK_WIDGET (window), "presentation"));

  while (g_main_context_iteration (NULL, FALSE))
    ;
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (failures == 0)
    g_print ("ok: %u widget templates and the window\n", (guint) G_N_ELEMENTS (types));
  return failures ? 1 : 0;
}
