/* ms-mailbox-view.h: each user's mailboxes as they stand at the current step
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-scenario.h"

G_BEGIN_DECLS

#define MS_TYPE_MAILBOX_VIEW (ms_mailbox_view_get_type ())
G_DECLARE_FINAL_TYPE (MsMailboxView, ms_mailbox_view, MS, MAILBOX_VIEW, GtkBox)

void  ms_mailbox_view_set_model       (MsMailboxView   *self,
                                       MsPlaybackModel *model);

/* The users of the scenario whose trace comes next, listed even before (or without)
 * any mail. */
void  ms_mailbox_view_set_scenario    (MsMailboxView   *self,
                                       MsScenario      *scenario);

/* How many of the trace's events have happened at step @cursor (events are steps in
 * trace order): the n_events of ms_mailbox_replay_state. */
guint ms_playback_events_before       (MsPlaybackModel *model,
                                       guint            cursor);

G_END_DECLS
