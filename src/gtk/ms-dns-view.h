/* ms-dns-view.h: the scenario's DNS zone, the query at this step and the record that
 * answered it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ms-playback-model.h"
#include "ms-scenario.h"

G_BEGIN_DECLS

#define MS_TYPE_DNS_VIEW (ms_dns_view_get_type ())
G_DECLARE_FINAL_TYPE (MsDnsView, ms_dns_view, MS, DNS_VIEW, GtkBox)

void ms_dns_view_set_model    (MsDnsView       *self,
                               MsPlaybackModel *model);
/* The zone of the scenario whose trace comes next (call it before running the scenario:
 * the runner changes switches as its steps go). Any other trace shows the records its
 * DNS answers name. */
void ms_dns_view_set_scenario (MsDnsView       *self,
                               MsScenario      *scenario);

/* One zone record; a DNS event's answer matches it (tests use these). */
typedef struct
{
  char *name;
  char *type;
  char *value;
} MsDnsViewRecord;

/* "mx.example.net A 192.0.2.25" → a record; NULL for a line that is not one. */
MsDnsViewRecord *ms_dns_view_record_parse   (const char            *line);
void             ms_dns_view_record_free    (MsDnsViewRecord       *record);
/* Whether @record answers a query for @name/@qtype: same name and type, and, when
 * @answer is given, the same data ("10 mx.example.net." matches "10 mx.example.net"). */
gboolean         ms_dns_view_record_matches (const MsDnsViewRecord *record,
                                             const char            *name,
                                             const char            *qtype,
                                             const char            *answer);
/* ${name} in @text replaced from @values (name → value); "$$" is "$". */
char            *ms_dns_view_expand         (const char            *text,
                                             GHashTable            *values);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDnsViewRecord, ms_dns_view_record_free)

G_END_DECLS
