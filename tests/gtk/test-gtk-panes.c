/* test-gtk-panes.c: the Mailboxes, DNS and quiz panes of the window on real scenarios:
 * the mailbox at a step, the record that answered, a quiz answered, and "predict the
 * next reply" holding the cursor before a reply until a choice is made. Saves
 * screenshots of the panes in MS_SCREENSHOT_DIR when set. Skipped (77) without a
 * display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "ms-dns-view.h"
#include "ms-mailbox-view.h"
#include "ms-predict.h"
#include "ms-quiz-view.h"
#include "ms-transcript-view.h"
#include "ms-window.h"

static int failures;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } G_STMT_END

static GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_type (c, type);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The labels under @root whose text contains @text (and, if given, that carry @css). */
static guint
count_labels (GtkWidget  *root,
              const char *text,
              const char *css)
{
  guint n = 0;

  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root)
      && (text == NULL || strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
      && (css == NULL || gtk_widget_has_css_class (root, css)))
    n++;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    n += count_labels (c, text, css);
  return n;
}

static void
settle (void)
{
  for (int i = 0; i < 50; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
}

static void
screenshot (GtkWidget  *window,
            const char *name)
{
  const char *dir = g_getenv ("MS_SCREENSHOT_DIR");
  int width = gtk_widget_get_width (window);
  int height = gtk_widget_get_height (window);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  if (dir == NULL || renderer == NULL || width <= 0)
    return;
  g_mkdir_with_parents (dir, 0755);
  settle ();
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  CHECK (gdk_texture_save_to_png (texture, path));
}

static guint
find_step (MsPlaybackModel *model,
           const char      *type,
           const char      *action)
{
  for (guint i = 0; i < ms_playback_model_get_n_steps (model); i++)
    {
      MsTraceEvent *e = ms_playback_model_get_step_event (model,
                                                          ms_playback_model_get_step (model, i));

      if (e != NULL && strcmp (e->type, type) == 0
          && (action == NULL
              || g_strcmp0 (json_object_get_string_member_with_default (e->fields, "direction",
                                                                        NULL), action) == 0))
        return i;
    }
  return G_MAXUINT;
}

int
main (void)
{
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  MsWindow *window;
  MsPlaybackModel *model;
  GtkWidget *mailboxes, *dns, *quiz;
  guint step, held, n;

  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    /* as the application does: the panes' highlights are in style.css */
    gtk_css_provider_load_from_resource (css, "/io/github/mailsim/MailSim/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  app = gtk_application_new (APP_ID ".PanesTest", G_APPLICATION_NON_UNIQUE);
  CHECK (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = ms_window_new (app);
  ms_window_set_still (window, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1600, 1000);
  gtk_window_present (GTK_WINDOW (window));
  model = ms_window_get_model (window);
  mailboxes = find_type (GTK_WIDGET (window), MS_TYPE_MAILBOX_VIEW);
  dns = find_type (GTK_WIDGET (window), MS_TYPE_DNS_VIEW);
  quiz = find_type (GTK_WIDGET (window), MS_TYPE_QUIZ_VIEW);
  CHECK (mailboxes != NULL && dns != NULL && quiz != NULL);

  CHECK (ms_window_open_scenario (window, "op25b", &error));
  if (error != NULL)
    g_printerr ("%s\n", error->message);
  settle ();

  /* the quiz of the first scenario step, answered */
  CHECK (count_labels (quiz, "router drop", NULL) == 1);
  CHECK (ms_quiz_view_answer (MS_QUIZ_VIEW (quiz), 0));
  CHECK (count_labels (quiz, "Right.", NULL) == 1);

  /* DNS: the first query asks for example.net MX, its answer is that record */
  ms_window_show_page (window, "dns");
  step = find_step (model, "dns", "query");
  CHECK (step != G_MAXUINT);
  ms_playback_model_set_cursor (model, step);
  CHECK (count_labels (dns, "example.net  MX", "dns-asked") == 1);
  ms_playback_model_set_cursor (model, step + 1);
  CHECK (count_labels (dns, "example.net  MX  10 mx.example.net", "dns-answer") == 1);
  CHECK (count_labels (dns, NULL, "dns-asked") == 0);
  screenshot (GTK_WIDGET (window), "panes-op25b-dns-en.png");

  /* Mailboxes: empty before the delivery, the message at it, \Seen after POP3 */
  ms_window_show_page (window, "mailboxes");
  step = find_step (model, "delivered", NULL);
  CHECK (step != G_MAXUINT);
  ms_playback_model_set_cursor (model, step - 1);
  CHECK (count_labels (mailboxes, "Through my provider", NULL) == 0);
  ms_playback_model_set_cursor (model, step);
  CHECK (count_labels (mailboxes, "Through my provider", "changed") == 1);
  CHECK (count_labels (mailboxes, "Through my provider", "unseen") == 1);
  screenshot (GTK_WIDGET (window), "panes-op25b-mailbox-en.png");
  ms_playback_model_set_cursor (model, find_step (model, "mailbox", NULL));
  CHECK (count_labels (mailboxes, "· \\Seen", NULL) == 1);
  CHECK (count_labels (mailboxes, "Through my provider", "unseen") == 0);
  /* back is instant and truthful */
  ms_playback_model_set_cursor (model, 0);
  CHECK (count_labels (mailboxes, "Through my provider", NULL) == 0);

  /* Predict: stepping forward stops before the first server reply and asks */
  ms_window_show_page (window, "transcript");
  ms_quiz_view_set_predict (MS_QUIZ_VIEW (quiz), TRUE);
  held = G_MAXUINT;
  for (n = 0; n < 200 && held == G_MAXUINT; n++)
    {
      guint before = ms_playback_model_get_cursor (model);

      gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
      if (ms_playback_model_get_cursor (model) == before)
        held = ms_quiz_view_get_pending (MS_QUIZ_VIEW (quiz));
    }
  CHECK (held != G_MAXUINT);
  if (held != G_MAXUINT)
    {
      const MsStep *reply = ms_playback_model_get_step (model, held);
      MsTraceLine *line = ms_playback_model_get_step_line (model, reply);
      const char *command = ms_predict_command_for (reply->session, reply->index);
      g_autoptr(GPtrArray) choices = ms_predict_choices (reply->session->protocol, command,
                                                         line, held);
      guint wrong = 0;

      CHECK (line != NULL && line->dir == MS_DIR_SERVER);
      CHECK (ms_playback_model_get_cursor (model) + 1 == held);
      /* held again on a second try, and while playing */
      gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
      CHECK (ms_playback_model_get_cursor (model) + 1 == held);
      CHECK (count_labels (quiz, "What will the server", NULL) == 1);
      screenshot (GTK_WIDGET (window), "panes-op25b-predict-ask-en.png");
      while (wrong < choices->len && ((MsPredictChoice *) choices->pdata[wrong])->correct)
        wrong++;
      CHECK (ms_quiz_view_answer (MS_QUIZ_VIEW (quiz), wrong));
      CHECK (ms_playback_model_get_cursor (model) == held);
      CHECK (count_labels (quiz, "Not this time", NULL) == 1);
      CHECK (count_labels (quiz, "Predicted right: 0 of 1", NULL) == 1);
      screenshot (GTK_WIDGET (window), "panes-op25b-predict-reveal-en.png");

      /* the next question: the transcript shows the command, not the reply to come */
      held = G_MAXUINT;
      for (n = 0; n < 50 && held == G_MAXUINT; n++)
        {
          guint before = ms_playback_model_get_cursor (model);

          gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
          if (ms_playback_model_get_cursor (model) == before)
            held = ms_quiz_view_get_pending (MS_QUIZ_VIEW (quiz));
        }
      CHECK (held != G_MAXUINT);
      if (held != G_MAXUINT)
        {
          GtkWidget *text = find_type (find_type (GTK_WIDGET (window),
                                                  MS_TYPE_TRANSCRIPT_VIEW), GTK_TYPE_TEXT_VIEW);
          GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (text));
          const MsStep *next = ms_playback_model_get_step (model, held);
          MsTraceLine *reply_line = ms_playback_model_get_step_line (model, next);
          GtkTextIter a, b;
          g_autofree char *visible = NULL;
          g_autofree char *all = NULL;

          gtk_text_buffer_get_bounds (buffer, &a, &b);
          visible = gtk_text_buffer_get_text (buffer, &a, &b, FALSE);
          all = gtk_text_buffer_get_text (buffer, &a, &b, TRUE);
          CHECK (strstr (all, reply_line->text) != NULL);
          CHECK (strstr (visible, reply_line->text) == NULL);
          screenshot (GTK_WIDGET (window), "panes-op25b-predict-ask2-en.png");
          CHECK (ms_quiz_view_answer (MS_QUIZ_VIEW (quiz), 0));
          gtk_text_buffer_get_bounds (buffer, &a, &b);
          g_free (visible);
          visible = gtk_text_buffer_get_text (buffer, &a, &b, FALSE);
          CHECK (strstr (visible, reply_line->text) != NULL);
        }
    }
  ms_quiz_view_set_predict (MS_QUIZ_VIEW (quiz), FALSE);
  step = ms_playback_model_get_cursor (model);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.step-forward", NULL);
  CHECK (ms_playback_model_get_cursor (model) == step + 1);

  /* an event outside sessions reads as a sentence in the transcript pane */
  ms_playback_model_set_cursor (model, find_step (model, "blocked", NULL));
  screenshot (GTK_WIDGET (window), "panes-op25b-blocked-en.png");

  settle ();
  gtk_window_destroy (GTK_WINDOW (window));
  settle ();
  if (failures == 0)
    g_print ("ok: mailboxes, DNS, quiz and prediction panes\n");
  return failures ? 1 : 0;
}
