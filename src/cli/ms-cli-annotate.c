/* ms-cli-annotate.c: `mailsim annotate`, a student's notes on a capture
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notes go to the sidecar CAPTURE.mailsim-notes.json (MsAnnotations); `analyze` shows
 * them under their lines; --export writes a pcapng with them as packet comments.
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-annotations.h"
#include "ms-capture-reader.h"
#include "ms-cli-private.h"
#include "ms-mail-observer.h"
#include "ms-text-format.h"

/* The capture's trace with frame numbers on its lines (as `analyze` builds it). */
static MsTrace *
analyze_capture (const char  *path,
                 guint64     *n_frames,
                 GError     **error)
{
  g_autoptr(MsCaptureReader) reader = NULL;
  g_autoptr(MsMailObserver) observer = NULL;
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(GError) run_error = NULL;
  g_autofree char *basename = g_path_get_basename (path);
  MsTcpStreamCallbacks callbacks;

  reader = ms_capture_reader_open_file (path, error);
  if (reader == NULL)
    return NULL;
  trace = ms_trace_new ("pcap", basename);
  observer = ms_mail_observer_new (trace);
  ms_mail_observer_get_callbacks (observer, &callbacks);
  ms_capture_reader_set_callbacks (reader, &callbacks);
  ms_capture_reader_set_trace (reader, trace);
  /* a truncated capture: the notes go on what could be read */
  if (!ms_capture_reader_run (reader, -1, &run_error))
    fprintf (stderr, "mailsim annotate: %s\n", run_error->message);
  ms_mail_observer_finish (observer, 0);
  *n_frames = ms_capture_reader_get_stats (reader)->packets;
  return g_steal_pointer (&trace);
}

typedef struct
{
  MsAnnotations *notes;
  GHashTable    *frames_shown;  /* frames whose note was shown under a line */
  GHashTable    *sessions_anchored;
} NoteView;

static void
note_view_free (gpointer data)
{
  NoteView *view = data;

  g_object_unref (view->notes);
  g_hash_table_unref (view->frames_shown);
  g_hash_table_unref (view->sessions_anchored);
  g_free (view);
}

#define NOTES_KEY "mailsim-cli-notes"

MsAnnotations *
ms_cli_notes_load (const char *capture,
                   MsTrace    *trace)
{
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (capture);
  g_autoptr(GError) error = NULL;
  NoteView *view;

  if (!ms_annotations_load (notes, &error))
    {
      fprintf (stderr, _("mailsim: the notes are not shown: %s\n"), error->message);
      return NULL;
    }
  if (ms_annotations_get_n_notes (notes) == 0)
    return NULL;
  if (ms_annotations_get_capture_changed (notes))
    fprintf (stderr, _("mailsim: the notes in %s were written for another version of this "
                       "capture; they are shown where their lines are found\n"),
             ms_annotations_get_sidecar_path (notes));
  view = g_new0 (NoteView, 1);
  view->notes = g_object_ref (notes);
  view->frames_shown = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  view->sessions_anchored = g_hash_table_new (NULL, NULL);
  g_object_set_data_full (G_OBJECT (trace), NOTES_KEY, view, note_view_free);
  return g_steal_pointer (&notes);
}

/* Line notes are anchored on their session when it is first shown (sessions may be
 * printed and freed as they close). */
static void
anchor_once (NoteView       *view,
             MsTraceSession *session)
{
  if (g_hash_table_contains (view->sessions_anchored, GUINT_TO_POINTER (session->id)))
    return;
  g_hash_table_add (view->sessions_anchored, GUINT_TO_POINTER (session->id));
  ms_annotations_anchor_session (view->notes, session);
}

/* A frame's note goes under the first line that frame completed. */
static gboolean
first_on_frame (NoteView *view,
                guint64   frame)
{
  gint64 *key;

  if (frame == 0 || ms_annotations_get_frame_note (view->notes, frame) == NULL)
    return FALSE;
  if (g_hash_table_contains (view->frames_shown, &frame))
    return FALSE;
  key = g_new (gint64, 1);
  *key = (gint64) frame;
  g_hash_table_add (view->frames_shown, key);
  return TRUE;
}

char *
ms_cli_notes_for_line (MsTraceSession *session,
                       guint           line_index,
                       MsTraceLine    *line,
                       gpointer        user_data)
{
  NoteView *view = g_object_get_data (G_OBJECT (user_data), NOTES_KEY);
  const char *line_note;
  const char *frame_note = NULL;

  if (view == NULL)
    return NULL;
  anchor_once (view, session);
  line_note = ms_annotations_get_line_note (view->notes, session->id, line_index);
  if (first_on_frame (view, line->frame))
    frame_note = ms_annotations_get_frame_note (view->notes, line->frame);
  if (line_note == NULL && frame_note == NULL)
    return NULL;
  if (frame_note == NULL)
    return g_strdup (line_note);
  if (line_note == NULL)
    return g_strdup_printf (_("(frame %llu) %s"), (unsigned long long) line->frame, frame_note);
  return g_strdup_printf (_("%s\n(frame %llu) %s"), line_note, (unsigned long long) line->frame,
                          frame_note);
}

/* The notes on frames no transcript line came from (a SYN, a TLS record ...). */
void
ms_cli_notes_format_rest (GString *out,
                          MsTrace *trace)
{
  NoteView *view = g_object_get_data (G_OBJECT (trace), NOTES_KEY);
  gboolean header = FALSE;

  for (guint i = 0; view != NULL && i < ms_annotations_get_n_notes (view->notes); i++)
    {
      const MsAnnotation *a = ms_annotations_get_note (view->notes, i);

      if (a->kind != MS_ANNOTATION_FRAME || g_hash_table_contains (view->frames_shown, &a->frame))
        continue;
      if (!header)
        g_string_append_printf (out, "\n%s\n", _("Notes on other frames:"));
      header = TRUE;
      g_string_append_printf (out, _("  frame %llu\n"), (unsigned long long) a->frame);
      g_string_append_printf (out, MS_TEXT_FORMAT_NOTE_PREFIX "%s\n", a->note);
    }
}

/* "note" and "frame_note" (on the first line of that frame) on a session's JSON lines. */
static void
add_notes_to_session (NoteView       *view,
                      JsonObject     *session_json,
                      MsTraceSession *session)
{
  JsonArray *lines = json_object_get_array_member (session_json, "lines");

  anchor_once (view, session);
  for (guint k = 0; lines != NULL && k < json_array_get_length (lines); k++)
    {
      JsonObject *line = json_array_get_object_element (lines, k);
      const char *note = ms_annotations_get_line_note (view->notes, session->id, k);
      gint64 frame = json_object_get_int_member_with_default (line, "frame", 0);

      if (note != NULL)
        json_object_set_string_member (line, "note", note);
      if (first_on_frame (view, (guint64) MAX (frame, 0)))
        json_object_set_string_member (line, "frame_note",
                                       ms_annotations_get_frame_note (view->notes,
                                                                      (guint64) frame));
    }
}

/* The notes of frames no line showed, or NULL. */
static JsonArray *
rest_json (NoteView *view)
{
  JsonArray *rest = NULL;

  for (guint i = 0; i < ms_annotations_get_n_notes (view->notes); i++)
    {
      const MsAnnotation *a = ms_annotations_get_note (view->notes, i);
      JsonObject *o;

      if (a->kind != MS_ANNOTATION_FRAME || g_hash_table_contains (view->frames_shown, &a->frame))
        continue;
      if (rest == NULL)
        rest = json_array_new ();
      o = json_object_new ();
      json_object_set_int_member (o, "frame", (gint64) a->frame);
      json_object_set_string_member (o, "note", a->note);
      json_array_add_object_element (rest, o);
    }
  return rest;
}

/* "note" on the JSON lines of `analyze`, "frame_note" on the first line of its frame,
 * and "frame_notes" for frames without a line. */
void
ms_cli_notes_add_to_json (JsonNode *root,
                          MsTrace  *trace)
{
  NoteView *view = g_object_get_data (G_OBJECT (trace), NOTES_KEY);
  JsonObject *top = json_node_get_object (root);
  JsonArray *sessions = json_object_get_array_member (top, "sessions");
  JsonArray *rest;

  if (view == NULL || sessions == NULL)
    return;
  for (guint s = 0; s < json_array_get_length (sessions); s++)
    {
      JsonObject *session = json_array_get_object_element (sessions, s);
      MsTraceSession *s_trace = ms_trace_find_session (trace,
                                                       (guint) json_object_get_int_member (session,
                                                                                           "id"));

      if (s_trace != NULL)
        add_notes_to_session (view, session, s_trace);
    }
  rest = rest_json (view);
  if (rest != NULL)
    json_object_set_array_member (top, "frame_notes", rest);
}

char *
ms_cli_notes_session_json (MsTrace        *trace,
                           MsTraceSession *session)
{
  NoteView *view = g_object_get_data (G_OBJECT (trace), NOTES_KEY);
  g_autoptr(JsonNode) node = ms_trace_session_to_json (session);

  if (view != NULL)
    add_notes_to_session (view, json_node_get_object (node), session);
  return json_to_string (node, FALSE);
}

char *
ms_cli_notes_rest_json (MsTrace *trace)
{
  NoteView *view = g_object_get_data (G_OBJECT (trace), NOTES_KEY);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *rest;

  if (view == NULL || (rest = rest_json (view)) == NULL)
    return NULL;
  node = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (node, rest);
  return json_to_string (node, FALSE);
}

static void
print_notes (MsAnnotations *notes)
{
  guint n = ms_annotations_get_n_notes (notes);

  if (n == 0)
    {
      printf ("%s\n", _("No notes on this capture."));
      return;
    }
  for (guint i = 0; i < n; i++)
    {
      const MsAnnotation *a = ms_annotations_get_note (notes, i);
      g_auto(GStrv) lines = g_strsplit (a->note, "\n", -1);

      if (a->kind == MS_ANNOTATION_FRAME)
        printf (_("frame %llu\n"), (unsigned long long) a->frame);
      else
        {
          g_autofree char *where = g_strdup_printf (_("session %u, line %u"), a->session,
                                                    a->line + 1);

          if (a->frame != 0)
            printf (_("frame %llu, %s"), (unsigned long long) a->frame, where);
          else
            printf ("%s", where);
          printf (a->line_text != NULL ? ": %s\n" : "\n", a->line_text);
        }
      for (guint k = 0; lines[k] != NULL; k++)
        printf (MS_TEXT_FORMAT_NOTE_PREFIX "%s\n", lines[k]);
    }
}

int
ms_cli_annotate (int    argc,
                 char **argv)
{
  g_autofree char *note = NULL;
  g_autofree char *export_path = NULL;
  g_autofree char *lang = NULL;
  gint session = -1, line = -1;
  gint64 frame = -1;
  gboolean list = FALSE;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsAnnotations) notes = NULL;
  g_autoptr(MsTrace) trace = NULL;
  guint64 n_frames = 0;
  guint actions;
  GOptionEntry entries[] = {
    { "session", 0, 0, G_OPTION_ARG_INT, &session,
      N_("The session of the line to annotate (as numbered by analyze)"), N_("S") },
    { "line", 0, 0, G_OPTION_ARG_INT, &line,
      N_("The line of that session, counted from 1"), N_("L") },
    { "frame", 0, 0, G_OPTION_ARG_INT64, &frame,
      N_("The frame to annotate (numbered from 1, as in Wireshark)"), N_("N") },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note,
      N_("The note (an empty note removes it)"), N_("TEXT") },
    { "list", 0, 0, G_OPTION_ARG_NONE, &list, N_("List the notes"), NULL },
    { "export", 0, 0, G_OPTION_ARG_FILENAME, &export_path,
      N_("Write the capture with the notes as packet comments"), N_("OUT.pcapng") },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of messages: ja or en"),
      N_("LANG") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (_("CAPTURE"));
  g_option_context_set_summary (context, _("Add notes to the lines and frames of a capture, "
                                           "list them, or export the capture with them as "
                                           "pcapng packet comments (Wireshark shows them). "
                                           "The notes are kept in "
                                           "CAPTURE.mailsim-notes.json."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim annotate: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc != 2)
    {
      fprintf (stderr, "%s\n", _("mailsim annotate: give one capture file"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  actions = (note != NULL) + list + (export_path != NULL);
  if (actions != 1)
    {
      fprintf (stderr, "%s\n", _("mailsim annotate: give one of --note, --list or --export"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (note != NULL && !((session >= 0 && line >= 0 && frame < 0)
                        || (session < 0 && line < 0 && frame >= 0)))
    {
      fprintf (stderr, "%s\n", _("mailsim annotate: --note needs --session and --line, "
                                 "or --frame"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (note != NULL && !g_utf8_validate (note, -1, NULL))
    {
      fprintf (stderr, "%s\n", _("mailsim annotate: the note is not UTF-8 text"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (!g_file_test (argv[1], G_FILE_TEST_IS_REGULAR))
    {
      fprintf (stderr, _("mailsim annotate: cannot read %s: no such file\n"), argv[1]);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  notes = ms_annotations_new_for_capture (argv[1]);
  if (!ms_annotations_load (notes, &error))
    {
      fprintf (stderr, "mailsim annotate: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (list)
    {
      print_notes (notes);
      return MS_CLI_EXIT_OK;
    }
  if (export_path != NULL)
    {
      if (!ms_annotations_export_pcapng (notes, export_path, &error))
        {
          fprintf (stderr, "mailsim annotate: %s\n", error->message);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      printf (_("Wrote %s: every frame, %u notes as packet comments.\n"), export_path,
              ms_annotations_get_n_notes (notes));
      return MS_CLI_EXIT_OK;
    }

  trace = analyze_capture (argv[1], &n_frames, &error);
  if (trace == NULL)
    {
      fprintf (stderr, _("mailsim annotate: cannot read %s: %s\n"), argv[1], error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  /* lines the notes were put on may have moved since (a newer analyzer) */
  ms_annotations_anchor (notes, trace);
  if (frame >= 0)
    {
      if (frame == 0 || (guint64) frame > n_frames)
        {
          fprintf (stderr, _("mailsim annotate: no frame %lld (the capture has %llu)\n"),
                   (long long) frame, (unsigned long long) n_frames);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      ms_annotations_set_frame_note (notes, (guint64) frame, note);
    }
  else
    {
      MsTraceSession *s = ms_trace_find_session (trace, (guint) session);
      MsTraceLine *l;
      g_autofree char *text = NULL;

      if (s == NULL)
        {
          fprintf (stderr, _("mailsim annotate: no session %d (the capture has %u)\n"),
                   session, ms_trace_get_n_sessions (trace));
          return MS_CLI_EXIT_BAD_INPUT;
        }
      if (line == 0 || (guint) line > s->lines->len)
        {
          fprintf (stderr, _("mailsim annotate: no line %d in session %d (it has %u)\n"),
                   line, session, s->lines->len);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      l = g_ptr_array_index (s->lines, line - 1);
      text = ms_annotations_line_text (s->protocol, l);
      ms_annotations_set_line_note (notes, s->id, (guint) line - 1, l->frame, text, note);
    }
  if (!ms_annotations_save (notes, &error))
    {
      fprintf (stderr, "mailsim annotate: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (note[0] == '\0')
    printf (_("Note removed; %u notes in %s\n"), ms_annotations_get_n_notes (notes),
            ms_annotations_get_sidecar_path (notes));
  else
    printf (_("Note saved; %u notes in %s\n"), ms_annotations_get_n_notes (notes),
            ms_annotations_get_sidecar_path (notes));
  return MS_CLI_EXIT_OK;
}
