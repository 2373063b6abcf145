/* test-capture-window.c: the window with captures, driven as a user would on a private
 * Xvfb: open a corpus capture (off the main thread), the session list, the error band
 * for a truncated and an unreadable file, three notes set through the note popover,
 * close, reopen: the notes are there; the export carries them as pcapng packet comments
 * that tshark reads; live capture on lo (when permitted). Skipped (77) without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>

#include "ms-annotations.h"
#include "ms-capture-bar.h"
#include "ms-live-capture-dialog.h"
#include "ms-note-popover.h"
#include "ms-session-list.h"
#include "ms-transcript-view.h"
#include "ms-window.h"

static int failures;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } G_STMT_END

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
wait_loaded (MsWindow *window)
{
  gint64 until = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (ms_window_is_busy (window) && g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  spin (50);
  return !ms_window_is_busy (window);
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child (root); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_widget (c, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static char *
transcript_text (MsWindow *window)
{
  GtkWidget *view = find_widget (GTK_WIDGET (window), MS_TYPE_TRANSCRIPT_VIEW);
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (find_widget (view, GTK_TYPE_TEXT_VIEW)));
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* Moves the cursor to line @line of session @session_index, so the transcript shows
 * that session, then writes @note in the popover and presses Save. */
static void
note_line (MsWindow   *window,
           guint       session_index,
           guint       line,
           const char *note)
{
  MsPlaybackModel *model = ms_window_get_model (window);
  guint step = ms_playback_model_find_line (model, session_index, line);
  GtkWidget *popover;

  CHECK (step != G_MAXUINT);
  ms_playback_model_set_cursor (model, step);
  popover = ms_window_edit_note (window, line);
  CHECK (MS_IS_NOTE_POPOVER (popover));
  if (popover == NULL)
    return;
  spin (50);
  gtk_text_buffer_set_text (ms_note_popover_get_buffer (MS_NOTE_POPOVER (popover)), note, -1);
  ms_note_popover_save (MS_NOTE_POPOVER (popover));
  spin (50);
}

static MsWindow *
open_window (GtkApplication *app,
             const char     *path)
{
  MsWindow *window = ms_window_new (app);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;

  ms_window_set_still (window, TRUE);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  gtk_window_present (GTK_WINDOW (window));
  CHECK (ms_window_open_file (window, file, &error));
  CHECK (ms_window_is_busy (window));  /* read off the main thread */
  CHECK (wait_loaded (window));
  return window;
}

static const char *notes[] = {
  "The server greets first: 220 means ready.",
  "AUTH LOGIN: the user name is only base64, not encrypted!",
  "ノート：二つ目のセッションの EHLO",
};

static void
test_notes (GtkApplication *app,
            const char     *dir,
            const char     *capture)
{
  g_autofree char *copy = g_build_filename (dir, "smtp.pcap", NULL);
  g_autofree char *sidecar = g_strconcat (copy, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  g_autofree char *exported = g_build_filename (dir, "smtp-annotated.pcapng", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  MsWindow *window;
  MsAnnotations *annotations;
  MsTrace *trace;
  MsTraceSession *s1, *s2;
  guint auth_line = G_MAXUINT, ehlo_line = G_MAXUINT;

  {
    g_autoptr(GFile) from = g_file_new_for_path (capture);
    g_autoptr(GFile) to = g_file_new_for_path (copy);

    CHECK (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL));
  }
  window = open_window (app, copy);
  trace = ms_playback_model_get_trace (ms_window_get_model (window));
  CHECK (trace != NULL && ms_trace_get_n_sessions (trace) == 2);
  CHECK (ms_session_list_get_n_rows (MS_SESSION_LIST (find_widget (GTK_WIDGET (window),
                                                                   MS_TYPE_SESSION_LIST))) == 2);
  CHECK (ms_window_get_bar_text (window) == NULL);
  annotations = ms_window_get_annotations (window);
  CHECK (annotations != NULL);
  if (trace == NULL || ms_trace_get_n_sessions (trace) < 2 || annotations == NULL)
    return;
  s1 = ms_trace_get_session (trace, 0);
  s2 = ms_trace_get_session (trace, 1);
  for (guint i = 0; i < s1->lines->len; i++)
    if (g_strcmp0 (((MsTraceLine *) g_ptr_array_index (s1->lines, i))->command, "AUTH") == 0)
      auth_line = i;
  for (guint i = 0; i < s2->lines->len; i++)
    if (g_strcmp0 (((MsTraceLine *) g_ptr_array_index (s2->lines, i))->command, "EHLO") == 0)
      ehlo_line = i;
  CHECK (auth_line != G_MAXUINT && ehlo_line != G_MAXUINT);
  CHECK (((MsTraceLine *) g_ptr_array_index (s1->lines, 0))->frame > 0);
  {
    MsSessionSummary summary;

    ms_session_summarize (trace, s1, &summary);
    CHECK (summary.status == MS_SESSION_STATUS_COMPLETE);
    CHECK (summary.n_messages == 1);
  }

  note_line (window, 0, 0, notes[0]);
  note_line (window, 0, auth_line, notes[1]);
  note_line (window, 1, ehlo_line, notes[2]);
  text = transcript_text (window);
  CHECK (strstr (text, "✎ ノート") != NULL);   /* session 2 is shown */
  g_clear_pointer (&text, g_free);

  /* autosaved a moment later: a kill now would lose nothing */
  spin (MS_ANNOTATIONS_AUTOSAVE_MS * 3);
  CHECK (g_file_get_contents (sidecar, &contents, &len, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (notes); i++)
    CHECK (contents != NULL && strstr (contents, notes[i]) != NULL);

  /* the export action's code path, then tshark reads the comments */
  CHECK (ms_annotations_export_pcapng (annotations, exported, NULL));
  if (g_find_program_in_path ("tshark") != NULL)
    {
      g_autofree char *out = NULL;
      const char *argv[] = { "tshark", "-r", exported, "-Y", "frame.comment", "-T", "fields",
                             "-e", "frame.comment", NULL };

      CHECK (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                           NULL, NULL, &out, NULL, NULL, NULL));
      for (guint i = 0; i < G_N_ELEMENTS (notes); i++)
        CHECK (out != NULL && strstr (out, notes[i]) != NULL);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);

  /* reopened: the notes are there, in the model and under their lines */
  window = open_window (app, copy);
  annotations = ms_window_get_annotations (window);
  CHECK (annotations != NULL);
  if (annotations != NULL)
    {
      CHECK (g_strcmp0 (ms_annotations_get_line_note (annotations, 1, 0), notes[0]) == 0);
      CHECK (g_strcmp0 (ms_annotations_get_line_note (annotations, 1, auth_line), notes[1]) == 0);
      CHECK (g_strcmp0 (ms_annotations_get_line_note (annotations, 2, ehlo_line), notes[2]) == 0);
    }
  text = transcript_text (window);
  CHECK (strstr (text, notes[0]) != NULL);   /* session 1 is shown at step 1 */
  CHECK (strstr (text, notes[1]) != NULL);
  g_clear_pointer (&text, g_free);

  /* Remove through the popover: empty text */
  {
    GtkWidget *popover = ms_window_edit_note (window, 0);

    CHECK (popover != NULL);
    if (popover != NULL)
      {
        gtk_text_buffer_set_text (ms_note_popover_get_buffer (MS_NOTE_POPOVER (popover)), "", -1);
        ms_note_popover_save (MS_NOTE_POPOVER (popover));
      }
    CHECK (ms_annotations_get_line_note (annotations, 1, 0) == NULL);
    text = transcript_text (window);
    CHECK (strstr (text, notes[0]) == NULL);
    g_clear_pointer (&text, g_free);
  }
  /* only the selected session: the views get that session alone, the list keeps all */
  {
    MsPlaybackModel *model = ms_window_get_model (window);
    MsSessionList *list = MS_SESSION_LIST (find_widget (GTK_WIDGET (window), MS_TYPE_SESSION_LIST));
    GtkListBox *box = GTK_LIST_BOX (find_widget (GTK_WIDGET (list), GTK_TYPE_LIST_BOX));
    MsTrace *full = ms_playback_model_get_trace (model);
    MsTrace *one;
    const MsStep *step;

    ms_playback_model_set_cursor (model, ms_playback_model_find_line (model, 1, ehlo_line));
    ms_session_list_set_only (list, TRUE);
    one = ms_playback_model_get_trace (model);
    CHECK (one != full && ms_session_trace_get_full (one) == full);
    CHECK (ms_trace_get_n_sessions (one) == 1 && ms_trace_get_session (one, 0)->id == 2);
    CHECK (ms_trace_get_n_messages (one) == 1);
    CHECK (ms_session_list_get_n_rows (list) == 2);
    step = ms_playback_model_get_current (model);
    CHECK (step != NULL && step->index == ehlo_line);   /* the same line */
    CHECK (ms_window_get_annotations (window) != NULL);  /* notes still apply */
    text = transcript_text (window);
    CHECK (strstr (text, notes[2]) != NULL);
    g_clear_pointer (&text, g_free);
    /* another row: that session alone, from its first line */
    g_signal_emit_by_name (box, "row-activated", gtk_list_box_get_row_at_index (box, 0));
    one = ms_playback_model_get_trace (model);
    CHECK (ms_trace_get_n_sessions (one) == 1 && ms_trace_get_session (one, 0)->id == 1);
    CHECK (ms_playback_model_get_cursor (model) == 0);
    CHECK (gtk_list_box_get_selected_row (box) == gtk_list_box_get_row_at_index (box, 0));
    ms_playback_model_set_cursor (model, auth_line);
    ms_session_list_set_only (list, FALSE);
    CHECK (ms_playback_model_get_trace (model) == full);
    step = ms_playback_model_get_current (model);
    CHECK (step != NULL && step->session_index == 0 && step->index == auth_line);
  }
  /* Show passwords: the capture is read again with the decoded password in clear, at
   * the same step, with the same notes */
  {
    MsPlaybackModel *model = ms_window_get_model (window);
    guint cursor;

    ms_playback_model_set_cursor (model, 12);
    cursor = ms_playback_model_get_cursor (model);
    text = transcript_text (window);
    CHECK (strstr (text, "punjab@123") == NULL);
    g_clear_pointer (&text, g_free);
    ms_playback_model_set_show_secrets (model, TRUE);
    CHECK (ms_window_is_busy (window));
    CHECK (wait_loaded (window));
    CHECK (ms_playback_model_get_cursor (model) == cursor);
    text = transcript_text (window);
    CHECK (strstr (text, "password \"punjab@123\"") != NULL);
    CHECK (strstr (text, notes[1]) != NULL);
    g_clear_pointer (&text, g_free);
    ms_playback_model_set_show_secrets (model, FALSE);
    CHECK (wait_loaded (window));
  }
  /* a demo trace has no notes */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.demo", NULL);
  CHECK (ms_window_get_annotations (window) == NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* A file dropped on the window, as GtkDropTarget delivers it. */
static void
test_drop (GtkApplication *app,
           const char     *capture)
{
  MsWindow *window = ms_window_new (app);
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));
  GtkDropTarget *target = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (capture);
  GSList files = { file, NULL };
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;
  MsTrace *trace;

  gtk_window_present (GTK_WINDOW (window));
  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (c))
        target = GTK_DROP_TARGET (c);
    }
  CHECK (target != NULL);
  if (target == NULL)
    return;
  CHECK (gdk_content_formats_contain_gtype (gtk_drop_target_get_formats (target),
                                            GDK_TYPE_FILE_LIST));
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (&files));
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  CHECK (accepted);
  CHECK (wait_loaded (window));
  trace = ms_playback_model_get_trace (ms_window_get_model (window));
  CHECK (trace != NULL && ms_trace_get_n_sessions (trace) == 2);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

static void
test_errors (GtkApplication *app,
             const char     *dir,
             const char     *capture)
{
  g_autofree char *cut = g_build_filename (dir, "cut.pcap", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.pcapng", NULL);
  g_autofree char *data = NULL;
  gsize len;
  MsWindow *window;
  const char *text;

  CHECK (g_file_get_contents (capture, &data, &len, NULL));
  CHECK (len > 20000);
  CHECK (g_file_set_contents (cut, data, 20000, NULL));
  CHECK (g_file_set_contents (bad, "not a capture at all", -1, NULL));

  window = open_window (app, cut);
  text = ms_window_get_bar_text (window);
  CHECK (text != NULL && strstr (text, "cut short") != NULL);
  CHECK (text != NULL && strstr (text, "20000") != NULL);  /* where it was cut */
  CHECK (ms_trace_get_n_sessions (ms_playback_model_get_trace (ms_window_get_model (window))) == 1);
  {
    MsTrace *trace = ms_playback_model_get_trace (ms_window_get_model (window));
    MsSessionSummary summary;

    /* cut during DATA: no QUIT, no message */
    ms_session_summarize (trace, ms_trace_get_session (trace, 0), &summary);
    CHECK (summary.status == MS_SESSION_STATUS_CUT);
    CHECK (summary.n_messages == 0);
  }
  gtk_window_destroy (GTK_WINDOW (window));

  window = open_window (app, bad);
  text = ms_window_get_bar_text (window);
  CHECK (text != NULL && strstr (text, "bad.pcapng") != NULL);
  CHECK (ms_playback_model_get_trace (ms_window_get_model (window)) == NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

/* ---- live: a tiny SMTP exchange over lo while the dialog captures ---- */

static gpointer
smtp_server_thread (gpointer data)
{
  GSocketListener *listener = data;
  g_autoptr(GSocketConnection) conn = g_socket_listener_accept (listener, NULL, NULL, NULL);
  g_autoptr(GDataInputStream) in = NULL;
  GOutputStream *out;
  char *line;

  if (conn == NULL)
    return NULL;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_output_stream_write_all (out, "220 test.example ESMTP\r\n", 24, NULL, NULL, NULL);
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL)) != NULL)
    {
      gboolean quit = g_str_has_prefix (line, "QUIT");
      const char *reply = quit ? "221 bye\r\n" : "250 test.example\r\n";

      g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
      g_free (line);
      if (quit)
        break;
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return NULL;
}

static gpointer
smtp_client_thread (gpointer data)
{
  guint16 port = GPOINTER_TO_UINT (data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", port,
                                                                       NULL, NULL);
  g_autoptr(GDataInputStream) in = NULL;
  GOutputStream *out;
  const char *commands[] = { "EHLO client.example\r\n", "QUIT\r\n" };

  if (conn == NULL)
    return NULL;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_free (g_data_input_stream_read_line (in, NULL, NULL, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_output_stream_write_all (out, commands[i], strlen (commands[i]), NULL, NULL, NULL);
      g_free (g_data_input_stream_read_line (in, NULL, NULL, NULL));
    }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  return NULL;
}

static void
test_live (GtkApplication *app,
           const char     *dir)
{
  g_autofree char *saved = g_build_filename (dir, "live.pcapng", NULL);
  MsWindow *window = ms_window_new (app);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *filter = NULL;
  MsLiveCaptureDialog *dialog;
  GThread *server, *client;
  guint16 port;
  MsTrace *trace;
  gint64 until;

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.live-capture", NULL);
  /* the dialog is a toplevel transient for the window */
  dialog = NULL;
  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    if (MS_IS_LIVE_CAPTURE_DIALOG (l->data))
      dialog = l->data;
  CHECK (dialog != NULL);
  if (dialog == NULL)
    return;
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  CHECK (port != 0);
  filter = g_strdup_printf ("tcp port %u", port);
  if (!ms_live_capture_dialog_start (dialog, "lo", filter, &error))
    {
      /* without the capability: the message says how to grant it */
      g_print ("live capture not permitted here: %s\n", error->message);
      CHECK (strstr (error->message, "setcap") != NULL);
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }
  CHECK (ms_window_get_bar_text (window) != NULL
         && strstr (ms_window_get_bar_text (window), "lo") != NULL);
  spin (200);
  server = g_thread_new ("server", smtp_server_thread, listener);
  client = g_thread_new ("client", smtp_client_thread, GUINT_TO_POINTER (port));
  g_thread_join (client);
  g_thread_join (server);
  /* the session appears while capture goes on */
  until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  trace = ms_playback_model_get_trace (ms_window_get_model (window));
  while (g_get_monotonic_time () < until
         && (trace == NULL || ms_trace_get_n_sessions (trace) == 0
             || ms_trace_get_session (trace, 0)->closed_us < 0))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
      trace = ms_playback_model_get_trace (ms_window_get_model (window));
    }
  spin (MS_LIVE_UPDATE_MS * 2);  /* the window is told at most this often */
  CHECK (trace != NULL && ms_trace_get_n_sessions (trace) == 1);
  CHECK (ms_live_capture_dialog_is_running (dialog));
  if (trace != NULL && ms_trace_get_n_sessions (trace) == 1)
    {
      MsTraceSession *s = ms_trace_get_session (trace, 0);

      CHECK (s->protocol == MS_PROTOCOL_SMTP);
      CHECK (s->lines->len >= 5);
      CHECK (ms_playback_model_get_n_steps (ms_window_get_model (window)) >= 5);
    }
  CHECK (ms_session_list_get_n_rows (MS_SESSION_LIST (find_widget (GTK_WIDGET (window),
                                                                   MS_TYPE_SESSION_LIST))) == 1);
  ms_live_capture_dialog_stop (dialog);
  CHECK (!ms_live_capture_dialog_is_running (dialog));
  CHECK (ms_window_get_bar_text (window) == NULL);
  CHECK (ms_window_get_annotations (window) == NULL);  /* nothing to keep notes next to */
  /* saved as pcapng, the capture opens as a file: the same session, and notes possible */
  CHECK (ms_live_capture_dialog_save (dialog, saved, &error));
  CHECK (ms_window_is_busy (window));
  CHECK (wait_loaded (window));
  trace = ms_playback_model_get_trace (ms_window_get_model (window));
  CHECK (trace != NULL && ms_trace_get_n_sessions (trace) == 1);
  CHECK (trace != NULL && g_str_equal (ms_trace_get_source_name (trace), "live.pcapng"));
  CHECK (trace != NULL && ms_trace_get_n_sessions (trace) == 1
         && ms_trace_get_session (trace, 0)->lines->len >= 5);
  CHECK (ms_window_get_annotations (window) != NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  spin (50);
}

int
main (int    argc,
      char **argv)
{
  const char *corpus = g_getenv ("MS_CAPTURE_CORPUS");
  g_autofree char *capture = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GtkApplication) app = NULL;

  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  /* $MS_CAPTURE_CORPUS, else ../shared/corpus/pcap next to the source tree (or a
   * worktree one level further down), as tests/core/capture does */
  if (corpus != NULL && *corpus != '\0')
    capture = g_build_filename (corpus, "zeek", "smtp.pcap", NULL);
  else
    {
      const char *root = g_getenv ("MS_SOURCE_ROOT");

      capture = g_build_filename (root ? root : ".", "..", "shared", "corpus", "pcap", "zeek",
                                  "smtp.pcap", NULL);
      if (!g_file_test (capture, G_FILE_TEST_EXISTS))
        {
          g_free (capture);
          capture = g_build_filename (root ? root : ".", "..", "..", "shared", "corpus", "pcap",
                                      "zeek", "smtp.pcap", NULL);
        }
    }
  if (!g_file_test (capture, G_FILE_TEST_EXISTS))
    {
      g_print ("SKIP: no corpus capture %s\n", capture);
      return 77;
    }
  dir = g_dir_make_tmp ("ms-capture-window-XXXXXX", NULL);
  app = gtk_application_new (APP_ID ".CaptureTest", G_APPLICATION_NON_UNIQUE);
  CHECK (g_application_register (G_APPLICATION (app), NULL, NULL));

  {
    GtkWidget *list = g_object_ref_sink (g_object_new (MS_TYPE_SESSION_LIST, NULL));
    GtkWidget *bar = g_object_ref_sink (g_object_new (MS_TYPE_CAPTURE_BAR, NULL));

    CHECK (ms_session_list_get_n_rows (MS_SESSION_LIST (list)) == 0);
    /* a short list scrolls with the narration; a long one scrolls by itself, under the
     * "only the selected session" check, which stays in view */
    {
      g_autoptr(MsPlaybackModel) model = ms_playback_model_new ();
      GtkWidget *rows = find_widget (list, GTK_TYPE_LIST_BOX);
      GtkWidget *own = gtk_widget_get_ancestor (rows, GTK_TYPE_SCROLLED_WINDOW);
      GtkWidget *check = find_widget (list, GTK_TYPE_CHECK_BUTTON);
      GtkPolicyType policy;

      CHECK (own != NULL && gtk_widget_is_ancestor (own, list));
      CHECK (check != NULL && !gtk_widget_is_ancestor (check, own));
      ms_session_list_set_model (MS_SESSION_LIST (list), model);
      for (guint n = 2; n <= 12; n += 10)
        {
          g_autoptr(MsTrace) trace = ms_trace_new ("test", "many");

          for (guint i = 0; i < n; i++)
            {
              MsTraceSession *session = ms_trace_open_session (trace, MS_PROTOCOL_SMTP,
                                                               "192.0.2.10:40000",
                                                               "198.51.100.25:25");

              ms_trace_session_add_line (session, MS_DIR_SERVER, MS_LINE_REPLY,
                                         "220 mail.example ESMTP", -1);
              ms_trace_close_session (trace, session);
            }
          ms_playback_model_set_trace (model, trace);
          CHECK (ms_session_list_get_n_rows (MS_SESSION_LIST (list)) == n);
          gtk_scrolled_window_get_policy (GTK_SCROLLED_WINDOW (own), NULL, &policy);
          CHECK (policy == (n > 6 ? GTK_POLICY_AUTOMATIC : GTK_POLICY_NEVER));
        }
      ms_session_list_set_model (MS_SESSION_LIST (list), NULL);
    }
    ms_capture_bar_show_error (MS_CAPTURE_BAR (bar), "x");
    CHECK (ms_capture_bar_is_error (MS_CAPTURE_BAR (bar)));
    CHECK (gtk_widget_has_css_class (bar, "error-bar"));
    /* a notice or a warning is not drawn as an error */
    ms_capture_bar_show_notice (MS_CAPTURE_BAR (bar), "notes moved");
    CHECK (!ms_capture_bar_is_error (MS_CAPTURE_BAR (bar)));
    CHECK (gtk_widget_has_css_class (bar, "notice-bar") && !gtk_widget_has_css_class (bar, "error-bar"));
    CHECK (g_strcmp0 (ms_capture_bar_get_text (MS_CAPTURE_BAR (bar)), "notes moved") == 0);
    ms_capture_bar_show_warning (MS_CAPTURE_BAR (bar), "cut short");
    CHECK (gtk_widget_has_css_class (bar, "warning-bar") && !gtk_widget_has_css_class (bar, "notice-bar"));
    ms_capture_bar_show_progress (MS_CAPTURE_BAR (bar), "reading", 0.5);
    CHECK (!gtk_widget_has_css_class (bar, "warning-bar") && !ms_capture_bar_is_error (MS_CAPTURE_BAR (bar)));
    g_object_unref (list);
    g_object_unref (bar);
  }
  test_errors (app, dir, capture);
  test_drop (app, capture);
  test_notes (app, dir, capture);
  test_live (app, dir);

  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (dir);
  }
  if (failures == 0)
    g_print ("ok: capture window\n");
  return failures == 0 ? 0 : 1;
}
