/* ms-switches-pane.h: the scenario's switches as toggles, choices and entries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-scenario.h"

G_BEGIN_DECLS

#define MS_TYPE_SWITCHES_PANE (ms_switches_pane_get_type ())
G_DECLARE_FINAL_TYPE (MsSwitchesPane, ms_switches_pane, MS, SWITCHES_PANE, GtkBox)

/* Signal "switch-changed" (const char *name, const char *value): the user flipped one. */

/* Rebuilds the rows from @scenario's switches and their current values (NULL: none).
 * The scenario is only read during the call. */
void                ms_switches_pane_set_scenario (MsSwitchesPane *self,
                                                   MsScenario     *scenario);
guint               ms_switches_pane_get_n_switches (MsSwitchesPane *self);
/* The values a switch may take when a setting constrains them (a switch used as a node's
 * "spf:" takes off/mark/reject), or NULL for free text. */
const char * const *ms_switches_choices          (MsScenario     *scenario,
                                                  const char     *name);
/* What the switch is for, in the current language, or NULL when unknown. */
const char         *ms_switches_describe         (const char     *name);

G_END_DECLS
