/* ms-explain-event.h: trace events in words: what each type means, a one-line summary
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every event type the simulator, the agents and the scenario runner record (blocked,
 * policy, dns, compose, submitted, queued, relayed, delivered, mailbox ...) has an
 * explanation and a summary template with {field} placeholders; both are gettext msgids
 * (domain "mailsim"). Fixed field values written by the agents ("To and Cc become RCPT
 * TO", "local domain", "allowed") translate too; names, addresses and wire text do not.
 */
#pragma once

#include <glib.h>

#include "ms-explain.h"
#include "ms-trace.h"

G_BEGIN_DECLS

/* What an event of @type is, translated; NULL for a type we do not know. */
const char *ms_explain_event_type        (const char         *type);
/* The most precise explanation of @event: a policy decision ("relay=denied"), a kind of
 * block ("op25b"), a mailbox change ("mailbox:expunged"), else its type. @key (out,
 * optional) names the row used. NULL when there is nothing to say. */
const char *ms_explain_event_detail      (const MsTraceEvent *event,
                                          const char        **key);
/* A field value as shown: a fixed agent text translated, anything else as is. */
const char *ms_explain_event_value       (const char         *value);
/* A field's name for people ("recipients" → "Recipients"), translated. */
const char *ms_explain_event_field_label (const char         *key);
const char *ms_explain_content_type      (const char         *type);
/* The field @key of @event as text (arrays joined with ", ", fixed values translated),
 * or NULL when the event has no such field. */
char       *ms_explain_event_field_text  (const MsTraceEvent *event,
                                          const char         *key);
/* One translated sentence saying what happened: "router dropped a tcp packet from
 * 203.0.113.7:49154 to 192.0.2.25:25 (rule op25b)". Narration gives its own text. */
char       *ms_explain_event_summary     (const MsTraceEvent *event);
/* A short translated title: "Packet dropped", "DNS answer", "Policy: relay". */
char       *ms_explain_event_title       (const MsTraceEvent *event);
/* The narration text of a "narration" event in the current language, or NULL. */
const char *ms_explain_event_narration   (const MsTraceEvent *event);
/* Whether @key is shown in the summary or title already, or is internal (t, session). */
gboolean    ms_explain_event_field_is_internal (const char   *key);

/* Every msgid of these tables, for the translation test. */
void        ms_explain_event_foreach     (MsExplainForeachFunc func,
                                          gpointer             user_data);

G_END_DECLS
