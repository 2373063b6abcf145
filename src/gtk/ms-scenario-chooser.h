/* ms-scenario-chooser.h: the scenario library, searchable and filtered by exam
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define MS_TYPE_SCENARIO_CHOOSER (ms_scenario_chooser_get_type ())
G_DECLARE_FINAL_TYPE (MsScenarioChooser, ms_scenario_chooser, MS, SCENARIO_CHOOSER, GtkBox)

/* Signals: "scenario-activated" (const char *id_or_path): a row was clicked (its id) or a
 * file was picked with "Open a Scenario File…" (its path). */

/* Marks the row of @id (or none for NULL) as the one being shown. */
void   ms_scenario_chooser_set_current (MsScenarioChooser *self,
                                        const char        *id);
/* What the search entry holds; the rows shown are those matching it and the exam filter. */
void   ms_scenario_chooser_set_search  (MsScenarioChooser *self,
                                        const char        *text);
guint  ms_scenario_chooser_get_n_shown (MsScenarioChooser *self);
guint  ms_scenario_chooser_get_n_rows  (MsScenarioChooser *self);
/* The exam filter: an exam tag ("FE", "AP", "NW", "SC") or NULL for all. */
void   ms_scenario_chooser_set_exam    (MsScenarioChooser *self,
                                        const char        *exam);
/* The exam tag as shown in the current language ("FE" → 基本情報 in Japanese). */
const char *ms_scenario_chooser_exam_label (const char *exam);

G_END_DECLS
