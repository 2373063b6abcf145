/* test-annotations.c: notes on a capture (sidecar, atomic save, anchoring, pcapng
 * comments in and out) and the reader's raw-frame hook
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ms-annotations.h"
#include "ms-capture-reader.h"
#include "ms-mail-observer.h"
#include "ms-pcapng-comments.h"
#include "ms-pcapng-writer.h"

#define CORPUS_FILE "suricata-verify/smtp-pipelining.pcap"

static char *
corpus_path (const char *name)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  char *p = g_build_filename (root ? root : ".", "..", "shared", "corpus", "pcap", name, NULL);

  if (!g_file_test (p, G_FILE_TEST_EXISTS))
    {
      g_free (p);
      p = g_build_filename (root ? root : ".", "..", "..", "shared", "corpus", "pcap", name, NULL);
    }
  return p;
}

/* A copy of a corpus capture in a fresh directory (the sidecar goes next to it). */
static char *
copy_capture (const char *name, char **dir_out)
{
  g_autofree char *src = corpus_path (name);
  g_autofree char *data = NULL;
  gsize len;
  char *dir = g_dir_make_tmp ("ms-annot-XXXXXX", NULL);
  g_autofree char *base = g_path_get_basename (name);
  char *dst = g_build_filename (dir, base, NULL);

  if (!g_file_get_contents (src, &data, &len, NULL))
    cr_skip_test ("corpus capture %s missing", src);
  cr_assert (g_file_set_contents (dst, data, (gssize) len, NULL));
  *dir_out = dir;
  return dst;
}

static MsTrace *
analyze (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsCaptureReader) reader = ms_capture_reader_open_file (path, &error);
  MsTrace *trace = ms_trace_new ("pcap", "test");
  g_autoptr(MsMailObserver) observer = ms_mail_observer_new (trace);
  MsTcpStreamCallbacks callbacks;

  cr_assert_not_null (reader, "%s", error ? error->message : "");
  ms_mail_observer_get_callbacks (observer, &callbacks);
  ms_capture_reader_set_callbacks (reader, &callbacks);
  ms_capture_reader_set_trace (reader, trace);
  cr_assert (ms_capture_reader_run (reader, -1, &error));
  ms_mail_observer_finish (observer, 0);
  return trace;
}

typedef struct
{
  guint64   frame;
  GString  *text;
} Comments;

static void
collect_comment (guint64 frame, const char *comment, gpointer user_data)
{
  GString *out = user_data;

  g_string_append_printf (out, "%" G_GUINT64_FORMAT "\t%s\n", frame, comment);
}

static char *
file_comments (const char *path)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  cr_assert (ms_pcapng_read_file_comments (path, collect_comment, out, &error), "%s",
             error ? error->message : "");
  return g_string_free (out, FALSE);
}

/* Three notes on the pipelining capture: a frame, and two lines. */
static void
set_three (MsAnnotations *notes, MsTrace *trace)
{
  MsTraceSession *s = ms_trace_find_session (trace, 1);
  MsTraceLine *l4, *l12;
  g_autofree char *t4 = NULL, *t12 = NULL;

  cr_assert_not_null (s);
  cr_assert_gt (s->lines->len, 12);
  l4 = g_ptr_array_index (s->lines, 4);
  l12 = g_ptr_array_index (s->lines, 12);
  t4 = ms_annotations_line_text (s->protocol, l4);
  t12 = ms_annotations_line_text (s->protocol, l12);
  ms_annotations_set_frame_note (notes, 1, "the client's SYN");
  ms_annotations_set_line_note (notes, 1, 4, l4->frame, t4, "SIZE: the largest message");
  ms_annotations_set_line_note (notes, 1, 12, l12->frame, t12, "one RCPT per recipient");
}

Test (annotations, line_frames_match_the_capture)
{
  g_autofree char *path = corpus_path (CORPUS_FILE);
  g_autoptr(MsTrace) trace = NULL;
  MsTraceSession *s;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    cr_skip_test ("no corpus");
  trace = analyze (path);
  s = ms_trace_find_session (trace, 1);
  /* tshark: 220 in frame 5, EHLO 7, the EHLO reply 9, MAIL..DATA 11 */
  cr_assert_eq (((MsTraceLine *) g_ptr_array_index (s->lines, 0))->frame, 5);
  cr_assert_eq (((MsTraceLine *) g_ptr_array_index (s->lines, 1))->frame, 7);
  cr_assert_eq (((MsTraceLine *) g_ptr_array_index (s->lines, 2))->frame, 9);
  cr_assert_eq (((MsTraceLine *) g_ptr_array_index (s->lines, 11))->frame, 11);
  for (guint i = 0; i < s->lines->len; i++)
    cr_assert_gt (((MsTraceLine *) g_ptr_array_index (s->lines, i))->frame, 0);
}

Test (annotations, simulated_lines_have_no_frame)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "x");
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "1.2.3.4:1", "1.2.3.5:25");
  g_autofree char *json = NULL;

  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "220 hi", -1);
  cr_assert_eq (((MsTraceLine *) g_ptr_array_index (s->lines, 0))->frame, 0);
  json = ms_trace_to_json_string (trace, FALSE);
  cr_assert_null (strstr (json, "\"frame\""));
}

static void
count_change (guint *changes)
{
  (*changes)++;
}

Test (annotations, save_and_reopen)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autoptr(MsTrace) trace = analyze (path);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) again = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;
  guint changes = 0;

  cr_assert (ms_annotations_load (notes, &error));  /* no sidecar: empty */
  cr_assert_eq (ms_annotations_get_n_notes (notes), 0);
  g_signal_connect_swapped (notes, "changed", G_CALLBACK (count_change), &changes);
  set_three (notes, trace);
  cr_assert_eq (changes, 3);
  cr_assert (ms_annotations_get_dirty (notes));
  cr_assert (ms_annotations_save (notes, &error), "%s", error ? error->message : "");
  cr_assert_not (ms_annotations_get_dirty (notes));

  cr_assert (ms_annotations_load (again, &error));
  cr_assert_eq (ms_annotations_get_n_notes (again), 3);
  cr_assert_str_eq (ms_annotations_get_frame_note (again, 1), "the client's SYN");
  cr_assert_str_eq (ms_annotations_get_line_note (again, 1, 4), "SIZE: the largest message");
  cr_assert_str_eq (ms_annotations_get_line_note (again, 1, 12), "one RCPT per recipient");
  for (guint i = 0; i < 3; i++)
    {
      const MsAnnotation *a = ms_annotations_get_note (notes, i);
      const MsAnnotation *b = ms_annotations_get_note (again, i);

      cr_assert_eq (a->kind, b->kind);
      cr_assert_eq (a->frame, b->frame);
      cr_assert_eq (a->session, b->session);
      cr_assert_eq (a->line, b->line);
      cr_assert_str_eq (a->note, b->note);
      cr_assert_eq (g_strcmp0 (a->line_text, b->line_text), 0);
    }
  /* ordered by frame: SYN (1), the EHLO reply (9), RCPT (11) */
  cr_assert_eq (ms_annotations_get_note (again, 0)->frame, 1);
  cr_assert_eq (ms_annotations_get_note (again, 1)->frame, 9);
  cr_assert_eq (ms_annotations_get_note (again, 2)->frame, 11);
  cr_assert_str_eq (ms_annotations_get_note (again, 2)->line_text,
                    "RCPT TO:<john.doe@example.com>");
  cr_assert_eq (ms_annotations_anchor (again, trace), 0);

  /* removing: NULL or "" */
  ms_annotations_set_line_note (again, 1, 4, 0, NULL, "");
  ms_annotations_set_frame_note (again, 1, NULL);
  cr_assert_eq (ms_annotations_get_n_notes (again), 1);
  cr_assert_null (ms_annotations_get_line_note (again, 1, 4));
}

Test (annotations, export_has_every_frame_and_the_comments)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autofree char *out = g_build_filename (dir, "out.pcapng", NULL);
  g_autoptr(MsTrace) trace = analyze (path);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *comments = NULL;
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *a, *b;
  guint n = 0;

  cr_assert (ms_annotations_load (notes, &error));
  set_three (notes, trace);
  cr_assert (ms_annotations_export_pcapng (notes, out, &error), "%s",
             error ? error->message : "");
  comments = file_comments (out);
  cr_assert_str_eq (comments, "1\tthe client's SYN\n"
                              "9\t[session 1, line 5] SIZE: the largest message\n"
                              "11\t[session 1, line 13] one RCPT per recipient\n");

  /* every frame, same bytes, lengths, link type and nanosecond times */
  a = pcap_open_offline_with_tstamp_precision (path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  b = pcap_open_offline_with_tstamp_precision (out, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  cr_assert (a != NULL && b != NULL);
  cr_assert_eq (pcap_datalink (a), pcap_datalink (b));
  for (;;)
    {
      struct pcap_pkthdr *ha, *hb;
      const u_char *da, *db;
      int ra = pcap_next_ex (a, &ha, &da);
      int rb = pcap_next_ex (b, &hb, &db);

      cr_assert_eq (ra, rb);
      if (ra != 1)
        break;
      n++;
      cr_assert_eq (ha->caplen, hb->caplen);
      cr_assert_eq (ha->len, hb->len);
      cr_assert_eq (ha->ts.tv_sec, hb->ts.tv_sec);
      cr_assert_eq (ha->ts.tv_usec, hb->ts.tv_usec);
      cr_assert_eq (memcmp (da, db, ha->caplen), 0);
    }
  cr_assert_eq (n, 18);
  pcap_close (a);
  pcap_close (b);

  /* a file that cannot be written: an error, nothing left behind */
  {
    g_autofree char *bad = g_build_filename (dir, "missing-dir", "x.pcapng", NULL);

    cr_assert_not (ms_annotations_export_pcapng (notes, bad, &error));
    cr_assert (g_error_matches (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO));
    g_clear_error (&error);
  }
  /* nothing but the capture, the export and no .part */
  {
    g_autofree char *part = g_strconcat (out, ".part", NULL);

    cr_assert_not (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  /* never over the capture itself */
  cr_assert_not (ms_annotations_export_pcapng (notes, path, &error));
  cr_assert (g_error_matches (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO));
}

Test (annotations, exported_comments_read_back_as_notes)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autofree char *out = g_build_filename (dir, "out.pcapng", NULL);
  g_autofree char *out_sidecar = NULL;
  g_autoptr(MsTrace) trace = analyze (path);
  g_autoptr(MsTrace) trace2 = NULL;
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) back = NULL;
  g_autoptr(MsAnnotations) again = NULL;
  g_autoptr(GError) error = NULL;

  cr_assert (ms_annotations_load (notes, &error));
  set_three (notes, trace);
  cr_assert (ms_annotations_export_pcapng (notes, out, &error));

  back = ms_annotations_new_for_capture (out);
  cr_assert (ms_annotations_load (back, &error), "%s", error ? error->message : "");
  cr_assert_eq (ms_annotations_get_n_notes (back), 3);
  cr_assert_str_eq (ms_annotations_get_frame_note (back, 1), "the client's SYN");
  cr_assert_str_eq (ms_annotations_get_line_note (back, 1, 4), "SIZE: the largest message");
  cr_assert_str_eq (ms_annotations_get_line_note (back, 1, 12), "one RCPT per recipient");
  cr_assert (ms_annotations_get_note (back, 0)->from_capture);
  /* anchoring fills in the line text where the frame agrees */
  trace2 = analyze (out);
  ms_annotations_anchor (back, trace2);
  cr_assert_str_eq (ms_annotations_get_note (back, 2)->line_text,
                    "RCPT TO:<john.doe@example.com>");

  /* a capture comment the student removes stays removed */
  ms_annotations_set_frame_note (back, 1, NULL);
  cr_assert (ms_annotations_save (back, &error));
  again = ms_annotations_new_for_capture (out);
  cr_assert (ms_annotations_load (again, &error));
  cr_assert_eq (ms_annotations_get_n_notes (again), 2);
  cr_assert_null (ms_annotations_get_frame_note (again, 1));
  out_sidecar = g_strconcat (out, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  cr_assert (g_file_test (out_sidecar, G_FILE_TEST_EXISTS));
}

Test (annotations, anchor_moves_a_note_to_its_text)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autoptr(MsTrace) trace = analyze (path);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;

  cr_assert (ms_annotations_load (notes, &error));
  /* as if an older analyzer had one line fewer before RCPT */
  ms_annotations_set_line_note (notes, 1, 11, 11, "RCPT TO:<john.doe@example.com>", "rcpt");
  ms_annotations_set_line_note (notes, 1, 3, 9, "no such line", "stays");
  cr_assert_eq (ms_annotations_anchor (notes, trace), 1);
  cr_assert_null (ms_annotations_get_line_note (notes, 1, 11));
  cr_assert_str_eq (ms_annotations_get_line_note (notes, 1, 12), "rcpt");
  cr_assert_str_eq (ms_annotations_get_line_note (notes, 1, 3), "stays");
}

Test (annotations, secret_lines_are_kept_masked)
{
  MsTraceLine line = { 0 };
  g_autofree char *text = NULL;

  line.text = (char *) "PASS hunter2";
  line.dir = MS_DIR_CLIENT;
  line.kind = MS_LINE_COMMAND;
  ms_trace_line_classify (&line, MS_PROTOCOL_POP3);
  cr_assert (line.secret);
  text = ms_annotations_line_text (MS_PROTOCOL_POP3, &line);
  cr_assert_null (strstr (text, "hunter2"));
  g_free (line.command);
}

Test (annotations, corrupt_sidecar_is_kept_aside)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autofree char *sidecar = g_strconcat (path, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  g_autofree char *aside = g_strconcat (sidecar, ".corrupt-1", NULL);
  g_autofree char *kept = NULL;
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) again = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;
  const char *garbage = "{\"format\": \"mailsim-notes\", \"version\": 1, \"notes\": [ {\"kind\"";

  cr_assert (g_file_set_contents (sidecar, garbage, -1, NULL));
  cr_assert_not (ms_annotations_load (notes, &error));
  cr_assert (g_error_matches (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_CORRUPT));
  cr_assert_not_null (strstr (error->message, sidecar));
  g_clear_error (&error);
  cr_assert_eq (ms_annotations_get_n_notes (notes), 0);
  /* still there, untouched, until a save */
  cr_assert (g_file_get_contents (sidecar, &kept, NULL, NULL));
  cr_assert_str_eq (kept, garbage);
  g_clear_pointer (&kept, g_free);

  ms_annotations_set_frame_note (notes, 2, "fresh");
  cr_assert (ms_annotations_save (notes, &error), "%s", error ? error->message : "");
  cr_assert (g_file_get_contents (aside, &kept, NULL, NULL));
  cr_assert_str_eq (kept, garbage);
  cr_assert (ms_annotations_load (again, &error));
  cr_assert_str_eq (ms_annotations_get_frame_note (again, 2), "fresh");
}

Test (annotations, other_bad_sidecars)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autofree char *sidecar = g_strconcat (path, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  const char *cases[] = {
    "", "[]", "{\"format\": \"other\", \"version\": 1, \"notes\": []}",
    "{\"format\": \"mailsim-notes\", \"notes\": []}",
    "{\"format\": \"mailsim-notes\", \"version\": 1, \"notes\": [{\"kind\": \"frame\", "
    "\"note\": \"x\"}]}",
    "{\"format\": \"mailsim-notes\", \"version\": 1, \"notes\": [{\"kind\": \"line\", "
    "\"session\": -1, \"line\": 0, \"note\": \"x\"}]}",
    "\xff\xfe",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
      g_autoptr(GError) error = NULL;

      cr_assert (g_file_set_contents (sidecar, cases[i], -1, NULL));
      cr_assert_not (ms_annotations_load (notes, &error), "case %u", i);
      cr_assert (g_error_matches (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_CORRUPT),
                 "case %u", i);
    }
  {
    g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
    g_autoptr(GError) error = NULL;

    cr_assert (g_file_set_contents (sidecar, "{\"format\": \"mailsim-notes\", \"version\": 9, "
                                    "\"notes\": []}", -1, NULL));
    cr_assert_not (ms_annotations_load (notes, &error));
    cr_assert (g_error_matches (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_VERSION));
  }
  {
    /* not loaded: an existing sidecar is never replaced */
    g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
    g_autoptr(GError) error = NULL;

    ms_annotations_set_frame_note (notes, 1, "x");
    cr_assert_not (ms_annotations_save (notes, &error));
  }
}

static gboolean
quit_later (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

Test (annotations, autosave_is_debounced)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) again = ms_annotations_new_for_capture (path);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;

  cr_assert (ms_annotations_load (notes, &error));
  ms_annotations_set_autosave (notes, TRUE);
  for (guint i = 1; i <= 50; i++)
    {
      g_autofree char *text = g_strdup_printf ("note %u", i);

      ms_annotations_set_frame_note (notes, i, text);
    }
  /* not yet: one save for the burst, a moment later */
  cr_assert_not (g_file_test (ms_annotations_get_sidecar_path (notes), G_FILE_TEST_EXISTS));
  g_timeout_add (MS_ANNOTATIONS_AUTOSAVE_MS + 200, quit_later, loop);
  g_main_loop_run (loop);
  cr_assert_not (ms_annotations_get_dirty (notes));
  cr_assert (ms_annotations_load (again, &error));
  cr_assert_eq (ms_annotations_get_n_notes (again), 50);

  /* a change pending when the object goes is saved */
  ms_annotations_set_frame_note (notes, 60, "last");
  g_clear_object (&notes);
  g_clear_object (&again);
  again = ms_annotations_new_for_capture (path);
  cr_assert (ms_annotations_load (again, &error));
  cr_assert_str_eq (ms_annotations_get_frame_note (again, 60), "last");
}

/* A child saves in a loop; killed at random moments, the sidecar is always whole. */
Test (annotations, killed_mid_save_leaves_a_valid_sidecar, .timeout = 120)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autofree char *sidecar = g_strconcat (path, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  GRand *rand = g_rand_new_with_seed (5);
  guint kills = 0;

  for (guint round = 0; round < 25; round++)
    {
      pid_t pid = fork ();
      int status;

      cr_assert_neq (pid, -1);
      if (pid == 0)
        {
          MsAnnotations *notes = ms_annotations_new_for_capture (path);
          GMainContext *ctx = g_main_context_default ();
          g_autofree char *big = g_strnfill (20000, 'x');

          if (!ms_annotations_load (notes, NULL))
            _exit (3);
          ms_annotations_set_autosave (notes, TRUE);
          for (guint64 i = 1;; i++)
            {
              g_autofree char *text = g_strdup_printf ("note %" G_GUINT64_FORMAT " %s", i, big);

              ms_annotations_set_frame_note (notes, 1 + i % 40, text);
              /* the autosave runs from the main loop */
              if (i % 8 == 0)
                {
                  g_usleep (1000);
                  while (g_main_context_iteration (ctx, FALSE))
                    ;
                  if (i % 64 == 0)
                    ms_annotations_save (notes, NULL);
                }
            }
        }
      g_usleep (g_rand_int_range (rand, 100000, 600000));
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      cr_assert (WIFSIGNALED (status), "the child stopped by itself (%d)", status);
      kills++;
      if (g_file_test (sidecar, G_FILE_TEST_EXISTS))
        {
          g_autoptr(MsAnnotations) check = ms_annotations_new_for_capture (path);
          g_autoptr(GError) error = NULL;

          cr_assert (ms_annotations_load (check, &error), "round %u: %s", round,
                     error ? error->message : "");
          cr_assert_gt (ms_annotations_get_n_notes (check), 0);
        }
    }
  cr_assert (g_file_test (sidecar, G_FILE_TEST_EXISTS));
  cr_assert_eq (kills, 25);
  g_rand_free (rand);
}

/* pcapng files of the other byte order, several comments, other block types, damage */
static void
put32 (GByteArray *b, guint32 v, gboolean be)
{
  guint32 x = be ? GUINT32_TO_BE (v) : GUINT32_TO_LE (v);

  g_byte_array_append (b, (guint8 *) &x, 4);
}

static void
put16 (GByteArray *b, guint16 v, gboolean be)
{
  guint16 x = be ? GUINT16_TO_BE (v) : GUINT16_TO_LE (v);

  g_byte_array_append (b, (guint8 *) &x, 2);
}

static void
put_comment (GByteArray *b, const char *text, gboolean be)
{
  gsize len = strlen (text);
  static const guint8 zeros[4];

  put16 (b, 1, be);
  put16 (b, (guint16) len, be);
  g_byte_array_append (b, (const guint8 *) text, len);
  g_byte_array_append (b, zeros, (4 - len % 4) % 4);
}

static void
handmade_pcapng (GByteArray *b, gboolean be)
{
  static const guint8 frame[5] = { 1, 2, 3, 4, 5 };
  static const guint8 zeros[4];
  guint start;

  /* SHB */
  put32 (b, 0x0A0D0D0A, be); put32 (b, 28, be); put32 (b, 0x1A2B3C4D, be);
  put16 (b, 1, be); put16 (b, 0, be); put32 (b, 0xffffffff, be); put32 (b, 0xffffffff, be);
  put32 (b, 28, be);
  /* IDB */
  put32 (b, 1, be); put32 (b, 20, be); put16 (b, 1, be); put16 (b, 0, be); put32 (b, 0, be);
  put32 (b, 20, be);
  /* EPB 1: two comments */
  start = b->len;
  put32 (b, 6, be); put32 (b, 0, be);
  put32 (b, 0, be); put32 (b, 0, be); put32 (b, 0, be); put32 (b, 5, be); put32 (b, 5, be);
  g_byte_array_append (b, frame, 5); g_byte_array_append (b, zeros, 3);
  put_comment (b, "first", be);
  put_comment (b, "second comment", be);
  put16 (b, 0, be); put16 (b, 0, be);
  put32 (b, b->len - start + 4, be);
  *(guint32 *) (b->data + start + 4) = be ? GUINT32_TO_BE (b->len - start)
                                          : GUINT32_TO_LE (b->len - start);
  /* SPB: frame 2, no options */
  put32 (b, 3, be); put32 (b, 24, be); put32 (b, 5, be);
  g_byte_array_append (b, frame, 5); g_byte_array_append (b, zeros, 3);
  put32 (b, 24, be);
  /* an unknown block (skipped), then EPB 3 with a comment */
  put32 (b, 0x0BAD, be); put32 (b, 16, be); put32 (b, 7, be); put32 (b, 16, be);
  start = b->len;
  put32 (b, 6, be); put32 (b, 0, be);
  put32 (b, 0, be); put32 (b, 0, be); put32 (b, 0, be); put32 (b, 0, be); put32 (b, 0, be);
  put_comment (b, "third: ✎ UTF-8", be);
  put32 (b, b->len - start + 4, be);
  *(guint32 *) (b->data + start + 4) = be ? GUINT32_TO_BE (b->len - start)
                                          : GUINT32_TO_LE (b->len - start);
}

Test (annotations, pcapng_comments_either_byte_order)
{
  for (int be = 0; be <= 1; be++)
    {
      g_autoptr(GByteArray) b = g_byte_array_new ();
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(GString) cut = g_string_new (NULL);
      g_autoptr(GError) error = NULL;

      handmade_pcapng (b, be);
      cr_assert (ms_pcapng_read_comments (b->data, b->len, collect_comment, out, &error),
                 "%s", error ? error->message : "");
      cr_assert_str_eq (out->str, "1\tfirst\n1\tsecond comment\n3\tthird: ✎ UTF-8\n");
      /* cut inside the last block: the comments before it, and an error */
      cr_assert_not (ms_pcapng_read_comments (b->data, b->len - 6, collect_comment, cut,
                                              &error));
      cr_assert (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_TRUNCATED));
      cr_assert_str_eq (cut->str, "1\tfirst\n1\tsecond comment\n");
    }
}

Test (annotations, several_comments_on_a_frame_are_one_note)
{
  g_autofree char *dir = g_dir_make_tmp ("ms-annot-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "hand.pcapng", NULL);
  g_autoptr(GByteArray) b = g_byte_array_new ();
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;

  handmade_pcapng (b, TRUE);
  cr_assert (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
  cr_assert (ms_annotations_load (notes, &error));
  cr_assert_eq (ms_annotations_get_n_notes (notes), 2);
  cr_assert_str_eq (ms_annotations_get_frame_note (notes, 1), "first\nsecond comment");
  cr_assert_str_eq (ms_annotations_get_frame_note (notes, 3), "third: ✎ UTF-8");
}

/* The raw-frame hook, as `capture --write` uses it, on a file: the copy is the capture. */
typedef struct
{
  MsPcapngWriter *writer;
  guint64         expected;
  GError         *error;
} HookCopy;

static void
copy_frame (const MsCaptureFrame *f, gpointer user_data)
{
  HookCopy *copy = user_data;

  cr_assert_eq (f->number, ++copy->expected);
  cr_assert (ms_pcapng_writer_write_frame (copy->writer, f->link_type, f->t_ns, f->data,
                                           f->caplen, f->wirelen, NULL, &copy->error));
}

Test (annotations, frame_hook_copies_the_capture)
{
  g_autofree char *src = corpus_path ("suricata-verify/smtp-startssl.pcap");
  g_autofree char *dir = g_dir_make_tmp ("ms-annot-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "copy.pcapng", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MsCaptureReader) reader = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (out);
  g_autoptr(GFileOutputStream) stream = NULL;
  HookCopy copy = { 0 };
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t *a, *b;
  guint n = 0;

  if (!g_file_test (src, G_FILE_TEST_EXISTS))
    cr_skip_test ("no corpus");
  reader = ms_capture_reader_open_file (src, &error);
  cr_assert_not_null (reader);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error);
  copy.writer = ms_pcapng_writer_new_for_frames (G_OUTPUT_STREAM (stream), "test", &error);
  ms_capture_reader_set_frame_func (reader, copy_frame, &copy);
  cr_assert (ms_capture_reader_run (reader, -1, &error));
  cr_assert (ms_pcapng_writer_close (copy.writer, &error));
  ms_pcapng_writer_free (copy.writer);
  cr_assert_gt (copy.expected, 10);
  cr_assert_eq (copy.expected, ms_capture_reader_get_stats (reader)->packets);

  a = pcap_open_offline (src, errbuf);
  b = pcap_open_offline (out, errbuf);
  cr_assert (a != NULL && b != NULL, "%s", errbuf);
  cr_assert_eq (pcap_datalink (a), pcap_datalink (b));
  for (;;)
    {
      struct pcap_pkthdr *ha, *hb;
      const u_char *da, *db;
      int ra = pcap_next_ex (a, &ha, &da);
      int rb = pcap_next_ex (b, &hb, &db);

      cr_assert_eq (ra, rb);
      if (ra != 1)
        break;
      n++;
      cr_assert_eq (ha->caplen, hb->caplen);
      cr_assert_eq (ha->len, hb->len);
      cr_assert_eq (ha->ts.tv_sec, hb->ts.tv_sec);
      cr_assert_eq (ha->ts.tv_usec, hb->ts.tv_usec);
      cr_assert_eq (memcmp (da, db, ha->caplen), 0);
    }
  cr_assert_eq (n, copy.expected);
  pcap_close (a);
  pcap_close (b);
}

Test (annotations, a_changed_capture_is_noticed)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) same = ms_annotations_new_for_capture (path);
  g_autoptr(MsAnnotations) grown = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len;

  cr_assert (ms_annotations_load (notes, &error));
  ms_annotations_set_frame_note (notes, 3, "x");
  cr_assert (ms_annotations_save (notes, &error));
  cr_assert (ms_annotations_load (same, &error));
  cr_assert_not (ms_annotations_get_capture_changed (same));
  /* another tool rewrote the capture: notes kept, the change reported */
  cr_assert (g_file_get_contents (path, &data, &len, NULL));
  cr_assert (g_file_set_contents (path, data, (gssize) len - 10, NULL));
  cr_assert (ms_annotations_load (grown, &error));
  cr_assert (ms_annotations_get_capture_changed (grown));
  cr_assert_str_eq (ms_annotations_get_frame_note (grown, 3), "x");
}

Test (annotations, anchor_one_session)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = copy_capture (CORPUS_FILE, &dir);
  g_autoptr(MsTrace) trace = analyze (path);
  g_autoptr(MsAnnotations) notes = ms_annotations_new_for_capture (path);
  g_autoptr(GError) error = NULL;

  cr_assert (ms_annotations_load (notes, &error));
  ms_annotations_set_line_note (notes, 1, 0, 5, "EHLO ehlo.fr", "moved");
  ms_annotations_set_line_note (notes, 2, 0, 5, "EHLO ehlo.fr", "no session 2");
  cr_assert_eq (ms_annotations_anchor_session (notes, ms_trace_find_session (trace, 1)), 1);
  cr_assert_str_eq (ms_annotations_get_line_note (notes, 1, 1), "moved");
  cr_assert_eq (ms_annotations_get_note (notes, 1)->frame, 7);
  /* the whole trace: the note of a session that is not there finds its line by frame
   * and text only if they agree (frame 5 is the greeting, not EHLO): it stays */
  cr_assert_eq (ms_annotations_anchor (notes, trace), 0);
  cr_assert_str_eq (ms_annotations_get_line_note (notes, 2, 0), "no session 2");
}
