/* test-observer-outline.c: the one-pass MIME outline gives what MsMessage gives
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `analyze` lists parts and Received hops from ms-observer-mime.c's one-pass reader and
 * leaves anything unusual to MsMessage (GMime). Here both are run on every message of
 * the capture corpus and on crafted ones: whenever the fast reader answers, its answer
 * must be MsMessage's.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "ms-capture-reader.h"
#include "ms-mail-observer.h"
#include "ms-message.h"

static guint n_fast;
static guint n_total;

static void
compare (GBytes     *raw,
         const char *where)
{
  g_autoptr(GPtrArray) fparts = NULL;
  g_autoptr(GPtrArray) fhops = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (raw, &len);
  gboolean full;

  n_total++;
  if (!ms_observer_message_outline_fast (data, len, &fparts, &fhops))
    return;
  n_fast++;
  full = ms_observer_message_outline (raw, FALSE, &parts, &hops);
  cr_assert (full, "%s: MsMessage refuses what the fast reader took", where);
  cr_expect_eq (fparts->len, parts->len, "%s: %u parts, MsMessage %u", where, fparts->len,
                parts->len);
  for (guint i = 0; i < MIN (fparts->len, parts->len); i++)
    {
      MsMimePart *a = g_ptr_array_index (fparts, i);
      MsMimePart *b = g_ptr_array_index (parts, i);

      cr_expect_str_eq (a->part_number, b->part_number, "%s part %u", where, i);
      cr_expect_eq (a->depth, b->depth, "%s part %u depth", where, i);
      cr_expect_str_eq (a->content_type, b->content_type, "%s part %u", where, i);
      cr_expect_eq (a->is_container, b->is_container, "%s part %u container", where, i);
      cr_expect_eq (a->size, b->size, "%s part %u (%s) size %zu, MsMessage %zu", where, i,
                    b->content_type, a->size, b->size);
      cr_expect (g_strcmp0 (a->filename, b->filename) == 0, "%s part %u filename %s / %s",
                 where, i, a->filename, b->filename);
    }
  cr_expect_eq (fhops->len, hops->len, "%s: hops", where);
  for (guint i = 0; i < MIN (fhops->len, hops->len); i++)
    {
      MsReceivedHop *a = g_ptr_array_index (fhops, i);
      MsReceivedHop *b = g_ptr_array_index (hops, i);

      cr_expect (g_strcmp0 (a->from, b->from) == 0 && g_strcmp0 (a->by, b->by) == 0
                 && g_strcmp0 (a->with, b->with) == 0, "%s hop %u", where, i);
      cr_expect ((a->date == NULL) == (b->date == NULL)
                 && (a->date == NULL || g_date_time_equal (a->date, b->date)),
                 "%s hop %u date", where, i);
    }
}

static void
on_message (MsTrace        *trace,
            MsTraceMessage *m,
            const char     *where)
{
  if (m->raw != NULL)
    compare (m->raw, where);
}

static void
walk (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr(MsCaptureReader) reader = NULL;
      g_autoptr(MsTrace) trace = NULL;
      g_autoptr(MsMailObserver) observer = NULL;
      MsTcpStreamCallbacks callbacks;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          walk (path);
          continue;
        }
      if (!g_str_has_suffix (name, ".pcap") && !g_str_has_suffix (name, ".pcapng"))
        continue;
      reader = ms_capture_reader_open_file (path, NULL);
      if (reader == NULL)
        continue;
      trace = ms_trace_new ("pcap", name);
      observer = ms_mail_observer_new (trace);
      ms_mail_observer_set_forget_closed (observer, TRUE);
      ms_mail_observer_get_callbacks (observer, &callbacks);
      ms_capture_reader_set_callbacks (reader, &callbacks);
      g_signal_connect (trace, "message-added", G_CALLBACK (on_message), path);
      ms_capture_reader_run (reader, -1, NULL);
      ms_mail_observer_finish (observer, 0);
      cr_expect_eq (ms_trace_get_n_sessions (trace), 0, "%s: closed sessions forgotten", path);
      cr_expect_eq (ms_trace_get_n_messages (trace), 0, "%s: their messages too", path);
    }
}

Test (outline, every_corpus_message_as_msmessage_reads_it, .timeout = 120)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_autofree char *dir = g_strdup (g_getenv ("MS_CAPTURE_CORPUS"));

  /* $MS_CAPTURE_CORPUS, else shared/ next to the checkout or next to its worktree */
  for (guint up = 1; dir == NULL && root != NULL && up <= 2; up++)
    {
      g_autofree char *d = g_build_filename (root, up == 1 ? ".." : "../..", "shared",
                                             "corpus", "pcap", NULL);

      if (g_file_test (d, G_FILE_TEST_IS_DIR))
        dir = g_steal_pointer (&d);
    }
  if (dir == NULL || !g_file_test (dir, G_FILE_TEST_IS_DIR))
    cr_skip_test ("no capture corpus next to the source tree");
  n_fast = n_total = 0;
  walk (dir);
  /* more captures (e.g. bench/out/pcap, the generator's) when asked */
  if (g_getenv ("MS_OUTLINE_CAPTURES") != NULL)
    walk (g_getenv ("MS_OUTLINE_CAPTURES"));
  cr_log_info ("%u of %u corpus messages outlined in one pass", n_fast, n_total);
  cr_expect_gt (n_fast, 0);
}

static const char *const crafted[] = {
  /* a single text part; no Content-Type */
  "From: a@example.com\r\nSubject: hi\r\n\r\nHello\r\n",
  "From: a@example.com\r\nSubject: hi\r\n\r\nno final newline",
  "From: a@example.com\r\n\r\n",
  "Content-Type: TEXT/Plain; charset=\"utf-8\"\r\n\r\nx\r\n",
  "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
  "Content-Disposition: attachment; filename=\"r.pdf\"\r\n\r\nJVBERi0=\r\n",
  /* multipart with preamble, epilogue, attachment */
  "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"XX\"\r\n\r\n"
  "preamble\r\n--XX\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
  "--XX\r\nContent-Type: image/png; name=a.png\r\nContent-Disposition: attachment\r\n\r\n"
  "iVBORw0KGgo=\r\n--XX--\r\nepilogue\r\n",
  /* nested multipart */
  "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n"
  "Content-Type: multipart/alternative; boundary=inner\r\n\r\n--inner\r\n\r\nplain\r\n"
  "--inner\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--inner--\r\n\r\n--outer\r\n"
  "Content-Type: text/plain\r\n\r\nlast\r\n--outer--\r\n",
  /* preambles and epilogues of several lines, at both levels */
  "Content-Type: multipart/mixed; boundary=o\r\n\r\nThis is MIME.\r\n\r\n--o\r\n"
  "Content-Type: multipart/related; boundary=i\r\n\r\npre\r\namble\r\n--i\r\n\r\na\r\n"
  "--i--\r\nep\r\nilogue\r\n\r\n--o--\r\n\r\n\r\n",
  /* an empty part and no CRLF after the close delimiter (left to MsMessage) */
  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n\r\n--b\r\n\r\nx\r\n--b--",
  /* Received chain */
  "Received: from a.example (a.example [192.0.2.1])\r\n\tby b.example with ESMTP id 1;\r\n"
  "\tMon, 1 Jan 2024 10:00:00 +0000\r\nReceived: by c.example; Tue, 2 Jan 2024 10:00:00 "
  "+0900\r\nSubject: x\r\n\r\nbody\r\n",
  /* what the fast reader must leave alone (answered by MsMessage either way) */
  "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nx\r\n",
  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n",
  "Content-Type: text/plain; name*=utf-8''%E2%82%AC.txt\r\n\r\nx\r\n",
  "Content-Type: text/plain; name=\"=?utf-8?q?a?=\"\r\n\r\nx\r\n",
  "Subject: bare\nlf\n\nbody\n",
};

Test (outline, crafted_messages_as_msmessage_reads_them)
{
  n_fast = n_total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (crafted); i++)
    {
      g_autoptr(GBytes) raw = g_bytes_new_static (crafted[i], strlen (crafted[i]));
      g_autofree char *where = g_strdup_printf ("crafted[%u]", i);

      compare (raw, where);
    }
  /* the first ten but the one whose close delimiter has no CRLF */
  cr_expect_eq (n_fast, 9, "only %u crafted messages outlined in one pass", n_fast);
}
