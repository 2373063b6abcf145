/* ms-scenario-runner.h: plays a scenario on the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Builds the MsNetwork, the DNS zone, the mail stores and the agents (MUA, MSA, MTA, MDA,
 * MRA) a scenario describes, runs its steps one after the other on the virtual clock
 * (each step runs until the network is idle, retries and bounces included), records the
 * narration as "narration" trace events and packet comments, and checks the expectations
 * against the trace and the mail stores (ms_trace_add_expectation).
 */
#pragma once

#include "ms-network.h"
#include "ms-scenario.h"
#include "ms-trace.h"

G_BEGIN_DECLS

typedef struct _MsScenarioRunner MsScenarioRunner;

/* The runner borrows @scenario (switches already set); it must outlive the runner. */
MsScenarioRunner *ms_scenario_runner_new            (MsScenario        *scenario);
void              ms_scenario_runner_free           (MsScenarioRunner  *self);
/* Builds and runs everything and checks the expectations. FALSE with @error only when the
 * scenario cannot be played at all (bad setting, no route ...); failed expectations are
 * not errors: see ms_scenario_runner_get_n_failed. */
gboolean          ms_scenario_runner_run            (MsScenarioRunner  *self,
                                                     GError           **error);
MsTrace          *ms_scenario_runner_get_trace      (MsScenarioRunner  *self);
MsNetwork        *ms_scenario_runner_get_network    (MsScenarioRunner  *self);
guint             ms_scenario_runner_get_n_failed   (MsScenarioRunner  *self);
/* "FILE:LINE:COLUMN: description" of each failed expectation, or NULL when none. */
GStrv             ms_scenario_runner_dup_failures   (MsScenarioRunner  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsScenarioRunner, ms_scenario_runner_free)

G_END_DECLS
