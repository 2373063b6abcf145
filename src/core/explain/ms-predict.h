/* ms-predict.h: "predict the next reply": the true reply and plausible wrong ones
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Before a server reply is shown, the learner picks from 3 or 4 replies: the one the
 * server really sent and distractors taken from real replies of that protocol to that
 * command (RCPT TO: 250, 550 5.1.1, 554 5.7.1, 451 4.3.0 ...), never one of the same
 * code or status as the true reply. The choice is deterministic: the distractors come in
 * table order and @seed only decides where the true reply goes.
 */
#pragma once

#include <glib.h>

#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_PREDICT_MAX_CHOICES 4

typedef struct
{
  char     *text;      /* the reply line as shown */
  gboolean  correct;
} MsPredictChoice;

/* Whether @line is a reply worth predicting: the first line a server sends after a
 * client command (or the greeting, @command ""), for IMAP the tagged completion.
 * @command is the verb it answers ("RCPT", "." for the end of DATA, "" for the
 * greeting). */
gboolean   ms_predict_applies  (MsProtocol         protocol,
                                const MsTraceLine *line,
                                const char        *command);
/* The choices (of MsPredictChoice*, exactly one correct) in the order to show them. */
GPtrArray *ms_predict_choices  (MsProtocol         protocol,
                                const char        *command,
                                const MsTraceLine *reply,
                                guint              seed);
void       ms_predict_choice_free (MsPredictChoice *choice);

/* The reply line a server session sends in answer to line @index's command: the verb
 * of the last client line before @index ("" when none), for ms_predict_applies. NULL
 * when @index is not a server line. */
const char *ms_predict_command_for (MsTraceSession *session,
                                    guint           index);

G_END_DECLS
