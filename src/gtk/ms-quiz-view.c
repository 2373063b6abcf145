/* ms-quiz-view.c: the scenario's quiz at its step, and "predict the next reply"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A quiz travels in its step's narration event ("quiz": question, choices, answer,
 * explanation); it shows while the cursor is in that scenario step. Predicting holds
 * the cursor before a server reply (a gate on the playback model): every view still
 * shows the command, none the reply, until the learner picks one of the choices
 * ms_predict_choices gives; then the cursor moves onto the reply and the pick is marked
 * right or wrong.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ms-explain.h"
#include "ms-mailbox-view.h"
#include "ms-predict.h"
#include "ms-quiz-view.h"
#include "ms-text-format.h"

struct _MsQuizView
{
  GtkBox           parent_instance;

  GtkBox          *quiz_box;
  GtkLabel        *question;
  GtkBox          *choices;
  GtkLabel        *result;
  GtkCheckButton  *predict_toggle;
  GtkBox          *predict_box;
  GtkLabel        *predict_question;
  GtkBox          *predict_choices;
  GtkLabel        *predict_result;
  GtkLabel        *score;

  MsPlaybackModel *model;
  guint            quiz_event;   /* event index of the quiz shown, or G_MAXUINT */
  GHashTable      *answers;      /* quiz event index → picked choice + 1 */
  guint            pending;      /* step whose reply is asked for, or G_MAXUINT */
  GPtrArray       *offered;      /* of MsPredictChoice*, for the pending step */
  guint            revealed;     /* step whose reply was just revealed, or G_MAXUINT */
  int              picked;       /* the learner's pick for @revealed */
  guint            n_right;
  guint            n_asked;
};

G_DEFINE_FINAL_TYPE (MsQuizView, ms_quiz_view, GTK_TYPE_BOX)

enum { PROP_0, PROP_PREDICT, N_PROPS };
static GParamSpec *properties[N_PROPS];

static const char *
language (void)
{
  const char * const *langs = g_get_language_names ();

  return langs[0] != NULL && g_str_has_prefix (langs[0], "ja") ? "ja" : "en";
}

/* {"ja": ..., "en": ...} or a plain string, in the current language. */
static const char *
text_of (JsonNode *node)
{
  JsonObject *o;

  if (node == NULL)
    return "";
  if (JSON_NODE_HOLDS_VALUE (node))
    return json_node_get_string (node) ? json_node_get_string (node) : "";
  if (!JSON_NODE_HOLDS_OBJECT (node))
    return "";
  o = json_node_get_object (node);
  if (json_object_has_member (o, language ()))
    return json_object_get_string_member_with_default (o, language (), "");
  return json_object_get_string_member_with_default (o, "en", "");
}

static void
clear_box (GtkBox *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);
}

static GtkWidget *
choice_button (const char *text,
               guint       index)
{
  GtkWidget *label = gtk_label_new (text);
  GtkWidget *button = gtk_button_new ();

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_button_set_child (GTK_BUTTON (button), label);
  g_object_set_data (G_OBJECT (button), "choice", GUINT_TO_POINTER (index));
  gtk_widget_add_css_class (button, "quiz-choice");
  return button;
}

/* ---- the scenario's quiz ---- */

static JsonObject *
quiz_at (MsQuizView *self,
         guint      *event_index)
{
  MsTrace *trace = ms_playback_model_get_trace (self->model);
  guint n = ms_playback_events_before (self->model, ms_playback_model_get_cursor (self->model));

  for (guint i = n; trace != NULL && i-- > 0;)
    {
      MsTraceEvent *e = ms_trace_get_event (trace, i);
      JsonNode *quiz;

      if (strcmp (e->type, "narration") != 0)
        continue;
      quiz = json_object_has_member (e->fields, "quiz")
             ? json_object_get_member (e->fields, "quiz") : NULL;
      if (quiz == NULL || !JSON_NODE_HOLDS_OBJECT (quiz))
        return NULL;
      *event_index = i;
      return json_node_get_object (quiz);
    }
  return NULL;
}

static void on_quiz_clicked (GtkButton *button, MsQuizView *self);

static void
show_quiz (MsQuizView *self)
{
  guint index = G_MAXUINT;
  JsonObject *quiz = self->model ? quiz_at (self, &index) : NULL;
  JsonArray *choices;
  guint picked, answer;

  self->quiz_event = index;
  gtk_widget_set_visible (GTK_WIDGET (self->quiz_box), quiz != NULL);
  if (quiz == NULL)
    return;
  picked = GPOINTER_TO_UINT (g_hash_table_lookup (self->answers, GUINT_TO_POINTER (index)));
  answer = (guint) json_object_get_int_member_with_default (quiz, "answer", 0);
  gtk_label_set_text (self->question, text_of (json_object_get_member (quiz, "question")));
  clear_box (self->choices);
  choices = json_object_has_member (quiz, "choices")
            ? json_object_get_array_member (quiz, "choices") : NULL;
  for (guint i = 0; choices != NULL && i < json_array_get_length (choices); i++)
    {
      const char *text = text_of (json_array_get_element (choices, i));
      g_autofree char *marked = g_strdup_printf ("%s %s", i == answer ? "✔" : "✘", text);
      GtkWidget *button = choice_button (picked > 0 && (i == answer || i + 1 == picked)
                                         ? marked : text, i);

      if (picked > 0)
        {
          gtk_widget_set_sensitive (button, FALSE);
          if (i == answer)
            gtk_widget_add_css_class (button, "quiz-right");
          else if (i + 1 == picked)
            gtk_widget_add_css_class (button, "quiz-wrong");
        }
      else
        g_signal_connect (button, "clicked", G_CALLBACK (on_quiz_clicked), self);
      gtk_box_append (self->choices, button);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->result), picked > 0);
  if (picked > 0)
    {
      g_autofree char *verdict = g_markup_escape_text (picked == answer + 1 ? _("Right.")
                                                       : _("Not quite."), -1);
      g_autofree char *why = g_markup_escape_text (text_of (json_object_get_member (quiz,
                                                   "explanation")), -1);
      g_autofree char *markup = g_strdup_printf ("<b>%s</b> %s", verdict, why);

      gtk_label_set_markup (self->result, markup);
    }
}

static void
on_quiz_clicked (GtkButton  *button,
                 MsQuizView *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "choice"));

  g_hash_table_insert (self->answers, GUINT_TO_POINTER (self->quiz_event),
                       GUINT_TO_POINTER (index + 1));
  show_quiz (self);
}

/* ---- predict the next reply ---- */

static void on_predict_clicked (GtkButton *button, MsQuizView *self);

static const MsStep *
reply_step (MsQuizView   *self,
            guint         index,
            const char  **command)
{
  const MsStep *step = ms_playback_model_get_step (self->model, index);
  MsTraceLine *line;

  if (step == NULL || step->kind != MS_STEP_LINE)
    return NULL;
  line = ms_playback_model_get_step_line (self->model, step);
  *command = ms_predict_command_for (step->session, step->index);
  if (!ms_predict_applies (step->session->protocol, line, *command))
    return NULL;
  return step;
}

/* The client line the reply answers, as shown (secrets masked). */
static char *
asked_line (MsQuizView   *self,
            const MsStep *step)
{
  for (guint i = step->index; i-- > 0;)
    {
      MsTraceLine *before = g_ptr_array_index (step->session->lines, i);

      if (before->dir == MS_DIR_CLIENT)
        return ms_text_format_line_text (step->session->protocol, before,
                                         ms_playback_model_get_show_secrets (self->model));
    }
  return NULL;
}

static void
update_score (MsQuizView *self)
{
  g_autofree char *text = NULL;

  /* TRANSLATORS: how many predicted replies were right, of how many */
  text = g_strdup_printf (_("Predicted right: %u of %u"), self->n_right, self->n_asked);
  gtk_label_set_text (self->score, text);
}

static void
show_prediction (MsQuizView *self)
{
  gboolean asking = self->pending != G_MAXUINT && self->offered != NULL;
  guint cursor = self->model ? ms_playback_model_get_cursor (self->model) : 0;
  gboolean revealed = self->revealed != G_MAXUINT && self->revealed == cursor;

  gtk_widget_set_visible (GTK_WIDGET (self->predict_box),
                          ms_quiz_view_get_predict (self) && (asking || revealed));
  update_score (self);
  clear_box (self->predict_choices);
  gtk_label_set_text (self->predict_result, "");
  if (asking)
    {
      const MsStep *step = ms_playback_model_get_step (self->model, self->pending);
      g_autofree char *asked = asked_line (self, step);
      g_autofree char *question = NULL;

      if (asked != NULL)
        /* TRANSLATORS: the client's line, e.g. "RCPT TO:<bob@example.net>" */
        question = g_strdup_printf (_("What will the server answer to “%s”?"), asked);
      else
        question = g_strdup (_("What will the server say when the connection opens?"));
      gtk_label_set_text (self->predict_question, question);
      for (guint i = 0; i < self->offered->len; i++)
        {
          MsPredictChoice *c = g_ptr_array_index (self->offered, i);
          GtkWidget *button = choice_button (c->text, i);

          g_signal_connect (button, "clicked", G_CALLBACK (on_predict_clicked), self);
          gtk_box_append (self->predict_choices, button);
        }
      return;
    }
  if (revealed && self->offered != NULL)
    {
      const MsStep *step = ms_playback_model_get_step (self->model, self->revealed);
      MsTraceLine *line = ms_playback_model_get_step_line (self->model, step);
      MsPredictChoice *pick = g_ptr_array_index (self->offered, self->picked);
      const char *why = ms_explain_line (step->session->protocol, line);
      g_autofree char *verdict = NULL;
      g_autofree char *markup = NULL;
      g_autofree char *why_escaped = g_markup_escape_text (why ? why : "", -1);

      gtk_label_set_text (self->predict_question, _("The server's reply is now shown."));
      for (guint i = 0; i < self->offered->len; i++)
        {
          MsPredictChoice *c = g_ptr_array_index (self->offered, i);
          g_autofree char *marked = g_strdup_printf ("%s %s", c->correct ? "✔" : "✘", c->text);
          GtkWidget *button = choice_button (c->correct || (int) i == self->picked ? marked
                                             : c->text, i);

          gtk_widget_set_sensitive (button, FALSE);
          if (c->correct)
            gtk_widget_add_css_class (button, "quiz-right");
          else if ((int) i == self->picked)
            gtk_widget_add_css_class (button, "quiz-wrong");
          gtk_box_append (self->predict_choices, button);
        }
      verdict = g_markup_escape_text (pick->correct ? _("Right.")
                                      : _("Not this time: the highlighted reply is what the "
                                          "server sent."), -1);
      markup = g_strdup_printf ("<b>%s</b>\n%s", verdict, why_escaped);
      gtk_label_set_markup (self->predict_result, markup);
    }
}

static gboolean
gate (MsPlaybackModel *model,
      guint            target,
      gpointer         user_data)
{
  MsQuizView *self = user_data;
  const char *command = NULL;
  const MsStep *step;

  if (target == self->revealed || target == self->pending)
    return target == self->revealed;
  step = reply_step (self, target, &command);
  if (step == NULL)
    return TRUE;
  self->pending = target;
  g_clear_pointer (&self->offered, g_ptr_array_unref);
  self->offered = ms_predict_choices (step->session->protocol, command,
                                      ms_playback_model_get_step_line (model, step), target);
  show_prediction (self);
  return FALSE;
}

gboolean
ms_quiz_view_answer (MsQuizView *self,
                     guint       index)
{
  guint target = self->pending;

  if (target == G_MAXUINT || self->offered == NULL)
    {
      GtkWidget *button;
      guint i = 0;

      if (!gtk_widget_get_visible (GTK_WIDGET (self->quiz_box)))
        return FALSE;
      for (button = gtk_widget_get_first_child (GTK_WIDGET (self->choices)); button != NULL;
           button = gtk_widget_get_next_sibling (button), i++)
        if (i == index && gtk_widget_get_sensitive (button))
          {
            on_quiz_clicked (GTK_BUTTON (button), self);
            return TRUE;
          }
      return FALSE;
    }
  if (index >= self->offered->len)
    return FALSE;
  self->picked = (int) index;
  self->n_asked++;
  if (((MsPredictChoice *) g_ptr_array_index (self->offered, index))->correct)
    self->n_right++;
  self->pending = G_MAXUINT;
  self->revealed = target;
  ms_playback_model_set_cursor (self->model, target);
  show_prediction (self);
  return TRUE;
}

static void
on_predict_clicked (GtkButton  *button,
                    MsQuizView *self)
{
  ms_quiz_view_answer (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button),
                                                                  "choice")));
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsQuizView      *self)
{
  /* leaving the question (back, a jump) drops it; it is asked again next time */
  if (self->pending != G_MAXUINT && cursor + 1 != self->pending)
    self->pending = G_MAXUINT;
  show_quiz (self);
  show_prediction (self);
}

static void
on_trace_changed (MsPlaybackModel *model,
                  MsQuizView      *self)
{
  g_hash_table_remove_all (self->answers);
  self->pending = self->revealed = G_MAXUINT;
  self->n_right = self->n_asked = 0;
  g_clear_pointer (&self->offered, g_ptr_array_unref);
  show_quiz (self);
  show_prediction (self);
}

void
ms_quiz_view_set_predict (MsQuizView *self,
                          gboolean    predict)
{
  gtk_check_button_set_active (self->predict_toggle, predict);
}

gboolean
ms_quiz_view_get_predict (MsQuizView *self)
{
  return gtk_check_button_get_active (self->predict_toggle);
}

guint
ms_quiz_view_get_pending (MsQuizView *self)
{
  return self->pending;
}

static void
on_predict_toggled (GtkCheckButton *button,
                    MsQuizView     *self)
{
  gboolean on = gtk_check_button_get_active (button);

  if (self->model != NULL)
    {
      ms_playback_model_set_gate (self->model, on ? gate : NULL, on ? self : NULL);
      ms_playback_model_set_hide_future (self->model, on);
    }
  self->pending = self->revealed = G_MAXUINT;
  show_prediction (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PREDICT]);
}

static void
ms_quiz_view_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  MsQuizView *self = MS_QUIZ_VIEW (object);

  switch (prop_id)
    {
    case PROP_PREDICT:
      g_value_set_boolean (value, ms_quiz_view_get_predict (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_quiz_view_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  MsQuizView *self = MS_QUIZ_VIEW (object);

  switch (prop_id)
    {
    case PROP_PREDICT:
      ms_quiz_view_set_predict (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_quiz_view_dispose (GObject *object)
{
  MsQuizView *self = MS_QUIZ_VIEW (object);

  ms_quiz_view_set_model (self, NULL);
  g_clear_pointer (&self->answers, g_hash_table_unref);
  g_clear_pointer (&self->offered, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_QUIZ_VIEW);
  G_OBJECT_CLASS (ms_quiz_view_parent_class)->dispose (object);
}

static void
ms_quiz_view_class_init (MsQuizViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_quiz_view_dispose;
  object_class->get_property = ms_quiz_view_get_property;
  object_class->set_property = ms_quiz_view_set_property;
  /* "predict the next reply" is on (the window keeps it in GSettings) */
  properties[PROP_PREDICT] =
    g_param_spec_boolean ("predict", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-quiz-view.ui");
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, quiz_box);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, question);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, choices);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, result);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, predict_toggle);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, predict_box);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, predict_question);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, predict_choices);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, predict_result);
  gtk_widget_class_bind_template_child (widget_class, MsQuizView, score);
}

static void
ms_quiz_view_init (MsQuizView *self)
{
  self->answers = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->quiz_event = self->pending = self->revealed = G_MAXUINT;
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->predict_toggle, "toggled", G_CALLBACK (on_predict_toggled), self);
}

void
ms_quiz_view_set_model (MsQuizView      *self,
                        MsPlaybackModel *model)
{
  if (self->model == model)
    return;
  if (self->model != NULL)
    {
      ms_playback_model_set_gate (self->model, NULL, NULL);
      ms_playback_model_set_hide_future (self->model, FALSE);
      g_signal_handlers_disconnect_by_data (self->model, self);
    }
  g_set_object (&self->model, model);
  if (model == NULL)
    return;
  g_signal_connect (model, "cursor-changed", G_CALLBACK (on_cursor_changed), self);
  g_signal_connect (model, "trace-changed", G_CALLBACK (on_trace_changed), self);
  on_predict_toggled (self->predict_toggle, self);
  on_trace_changed (model, self);
}
