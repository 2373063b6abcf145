/* ms-cli-private.h: what the subcommands of `mailsim` share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ms-annotations.h"
#include "ms-trace.h"

G_BEGIN_DECLS

/* Exit statuses of docs/cli.md */
#define MS_CLI_EXIT_OK          0
#define MS_CLI_EXIT_FAILED      1  /* an expectation did not hold */
#define MS_CLI_EXIT_BAD_INPUT   2

/* Each subcommand parses its own options; argv[0] is the subcommand name. */
typedef int (*MsCliCommandFunc) (int argc, char **argv);

typedef struct
{
  const char       *name;
  MsCliCommandFunc  run;
  const char       *summary;  /* translatable, marked with N_() */
} MsCliCommand;

int ms_cli_list (int argc, char **argv);
int ms_cli_run (int argc, char **argv);
int ms_cli_serve (int argc, char **argv);
int ms_cli_spf (int argc, char **argv);
int ms_cli_analyze (int argc, char **argv);
int ms_cli_capture (int argc, char **argv);
int ms_cli_annotate (int argc, char **argv);

/* The trace as JSON, messages extended with "parts" and "hops" (analyze). */
char *ms_cli_analyze_json (MsTrace *trace, gboolean pretty);

/* Notes of a capture for `analyze` (ms-cli-annotate.c): loaded from the sidecar (and
 * the capture's packet comments) and kept with @trace, each session's line notes
 * anchored when it is first shown; NULL when there are none (or they cannot be read:
 * said on stderr). Call before reading the capture or after. */
MsAnnotations *ms_cli_notes_load (const char *capture, MsTrace *trace);
/* A MsTextFormatOptions.line_note function; user_data is the trace. */
char *ms_cli_notes_for_line (MsTraceSession *session, guint line_index, MsTraceLine *line,
                             gpointer user_data);
void  ms_cli_notes_format_rest (GString *out, MsTrace *trace);
void  ms_cli_notes_add_to_json (JsonNode *root, MsTrace *trace);
/* For output written session by session: the session's JSON with "note"/"frame_note"
 * on its lines, and at the end the "frame_notes" array (NULL when empty). */
char *ms_cli_notes_session_json (MsTrace *trace, MsTraceSession *session);
char *ms_cli_notes_rest_json (MsTrace *trace);

/* --lang ja|en: switches the language of explanations and messages. */
void ms_cli_set_language (const char *lang);
/* A command's --lang, looked at before its options are parsed, so that --help and
 * option errors come in that language. */
void ms_cli_set_language_from_args (int argc, char **argv);

G_END_DECLS
