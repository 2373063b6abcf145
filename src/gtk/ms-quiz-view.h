/* ms-quiz-view.h: the scenario's quiz at its step, and "predict the next reply"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"

G_BEGIN_DECLS

#define MS_TYPE_QUIZ_VIEW (ms_quiz_view_get_type ())
G_DECLARE_FINAL_TYPE (MsQuizView, ms_quiz_view, MS, QUIZ_VIEW, GtkBox)

void     ms_quiz_view_set_model   (MsQuizView      *self,
                                   MsPlaybackModel *model);
/* Predict mode: stepping onto a server reply first asks which reply comes. */
void     ms_quiz_view_set_predict (MsQuizView      *self,
                                   gboolean         predict);
gboolean ms_quiz_view_get_predict (MsQuizView      *self);
/* The step whose reply is being asked for, or G_MAXUINT. */
guint    ms_quiz_view_get_pending (MsQuizView      *self);
/* Answers the pending prediction (or the quiz at the cursor when none is pending) with
 * choice @index, as a click would; FALSE when there is nothing to answer. */
gboolean ms_quiz_view_answer      (MsQuizView      *self,
                                   guint            index);

G_END_DECLS
