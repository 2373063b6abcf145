/* test-capture-corpus.c: every capture in ../shared/corpus/pcap/ read without error,
 * its TCP connections and per-direction payload bytes compared with tshark's; file
 * errors (missing, not a capture, truncated, unsupported link type)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "capture-test-sink.h"

#define MAX_CORPUS_FILES 512

typedef struct
{
  char path[1024];
} CorpusFile;

/* $MS_CAPTURE_CORPUS, else $MS_SOURCE_ROOT/../shared/corpus/pcap (a checkout next to
 * shared/), else one level further up (a git worktree in wt/). */
static char *
corpus_dir (void)
{
  const char *env = g_getenv ("MS_CAPTURE_CORPUS");
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  char *dir;

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  dir = g_build_filename (root != NULL ? root : ".", "..", "shared", "corpus", "pcap", NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_free (dir);
      dir = g_build_filename (root != NULL ? root : ".", "..", "..", "shared", "corpus", "pcap",
                              NULL);
    }
  return dir;
}

static void
collect (const char *dir, GPtrArray *out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);

      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        collect (p, out);
      else if (g_str_has_suffix (name, ".pcap") || g_str_has_suffix (name, ".pcapng")
               || g_str_has_suffix (name, ".cap"))
        g_ptr_array_add (out, g_steal_pointer (&p));
    }
}

static void
free_params (struct criterion_test_params *p)
{
  cr_free (p->params);
}

ParameterizedTestParameters (capture_corpus, matches_tshark)
{
  g_autofree char *dir = corpus_dir ();
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  CorpusFile *params;
  guint i, n;

  collect (dir, files);
  n = MIN (files->len, MAX_CORPUS_FILES);
  if (n == 0)
    {
      /* One parameter that reports the skip. */
      params = cr_calloc (1, sizeof (CorpusFile));
      return cr_make_param_array (CorpusFile, params, 1, free_params);
    }
  params = cr_calloc (n, sizeof (CorpusFile));
  for (i = 0; i < n; i++)
    g_strlcpy (params[i].path, files->pdata[i], sizeof params[i].path);
  return cr_make_param_array (CorpusFile, params, n, free_params);
}

typedef struct
{
  char    *client;      /* "addr:port", IPv6 as "[addr]:port" as tshark writes it */
  char    *server;
  guint64  bytes[2];
} ConnBytes;

typedef struct
{
  GPtrArray *done;      /* of char*: one canonical line per connection */
} Collect;

static char *
endpoint (const char *addr, guint16 port)
{
  if (strchr (addr, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", addr, port);
  return g_strdup_printf ("%s:%u", addr, port);
}

/* "lower-endpoint higher-endpoint bytes-from-lower bytes-from-higher" */
static char *
canonical (const char *a, guint64 from_a, const char *b, guint64 from_b)
{
  if (strcmp (a, b) <= 0)
    return g_strdup_printf ("%s %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, a, b, from_a, from_b);
  return g_strdup_printf ("%s %s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, b, a, from_b, from_a);
}

static void
c_opened (MsTcpConnInfo *info, gpointer user_data)
{
  ConnBytes *cb = g_new0 (ConnBytes, 1);

  cb->client = endpoint (info->client_address, info->client_port);
  cb->server = endpoint (info->server_address, info->server_port);
  info->conn_data = cb;
}

static void
c_data (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, const guint8 *bytes, gsize len,
        guint64 frame, gpointer user_data)
{
  ConnBytes *cb = info->conn_data;

  cb->bytes[dir == MS_DIR_CLIENT ? 0 : 1] += len;
}

static void
c_closed (MsTcpConnInfo *info, gint64 t_us, MsTcpCloseReason reason, gpointer user_data)
{
  Collect *col = user_data;
  ConnBytes *cb = info->conn_data;

  g_ptr_array_add (col->done, canonical (cb->client, cb->bytes[0], cb->server, cb->bytes[1]));
  g_free (cb->client);
  g_free (cb->server);
  g_free (cb);
}

static gint
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static char *
join_sorted (GPtrArray *lines)
{
  GString *s = g_string_new (NULL);
  guint i;

  g_ptr_array_sort (lines, cmp_str);
  for (i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s\n", (char *) lines->pdata[i]);
  return g_string_free (s, FALSE);
}

/* tshark's view: the number of conversations and, per stream, what "follow,tcp,raw"
 * reassembles from each node. */
static gboolean
tshark_view (const char *path, guint n_streams, guint *n_conv, GPtrArray *lines)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = NULL;
  g_auto (GStrv) rows = NULL;
  g_autofree char *node[2] = { NULL, NULL };
  guint64 bytes[2] = { 0, 0 };
  gboolean in_stream = FALSE;
  int status = 0;
  guint i;

  g_ptr_array_add (argv, g_strdup ("tshark"));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup (path));
  g_ptr_array_add (argv, g_strdup ("-q"));
  g_ptr_array_add (argv, g_strdup ("-z"));
  g_ptr_array_add (argv, g_strdup ("conv,tcp"));
  for (i = 0; i < n_streams; i++)
    {
      g_ptr_array_add (argv, g_strdup ("-z"));
      g_ptr_array_add (argv, g_strdup_printf ("follow,tcp,raw,%u", i));
    }
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                     &out, NULL, &status, NULL) || !g_spawn_check_wait_status (status, NULL))
    return FALSE;

  *n_conv = 0;
  rows = g_strsplit (out, "\n", -1);
  for (i = 0; rows[i] != NULL; i++)
    {
      const char *l = rows[i];

      if (strstr (l, "<->") != NULL)
        (*n_conv)++;
      else if (g_str_has_prefix (l, "Node 0: ") || g_str_has_prefix (l, "Node 1: "))
        {
          int k = l[5] - '0';

          g_free (node[k]);
          node[k] = g_strdup (l + 8);
          in_stream = TRUE;
        }
      else if (g_str_has_prefix (l, "=====") && in_stream)
        {
          if (node[0] != NULL && node[1] != NULL && strcmp (node[0], ":0") != 0)
            g_ptr_array_add (lines, canonical (node[0], bytes[0], node[1], bytes[1]));
          g_clear_pointer (&node[0], g_free);
          g_clear_pointer (&node[1], g_free);
          bytes[0] = bytes[1] = 0;
          in_stream = FALSE;
        }
      else if (in_stream && l[0] != '\0')
        {
          int k = l[0] == '\t' ? 1 : 0;

          bytes[k] += strlen (g_strstrip (rows[i])) / 2;
        }
    }
  return TRUE;
}

ParameterizedTest (CorpusFile *file, capture_corpus, matches_tshark, .timeout = 120)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCaptureReader) r = NULL;
  g_autoptr (GPtrArray) ours = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) theirs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *a = NULL, *b = NULL;
  Collect col = { ours };
  MsTcpStreamCallbacks cb = { c_opened, c_data, NULL, c_closed, &col };
  guint n_conv = 0;

  if (file->path[0] == '\0')
    cr_skip_test ("no capture corpus at ../shared/corpus/pcap/ (MS_SOURCE_ROOT/..); skipped");

  r = ms_capture_reader_open_file (file->path, &error);
  cr_assert_not_null (r, "%s: %s", file->path, error != NULL ? error->message : "");
  ms_capture_reader_set_callbacks (r, &cb);
  cr_assert (ms_capture_reader_run (r, -1, &error), "%s: %s", file->path,
             error != NULL ? error->message : "");
  cr_assert (ms_capture_reader_at_end (r));

  if (tshark == NULL)
    cr_skip_test ("tshark not installed; %s read without error, not compared", file->path);
  cr_assert (tshark_view (file->path, ours->len + 4, &n_conv, theirs), "tshark failed on %s",
             file->path);
  cr_expect_eq (ours->len, n_conv, "%s: %u connections, tshark %u", file->path, ours->len,
                n_conv);
  a = join_sorted (ours);
  b = join_sorted (theirs);
  cr_expect_str_eq (a, b, "%s: per-connection payload bytes differ from tshark's", file->path);
}

/* A small pcap written here: three TCP packets in raw IPv4. */
static char *
write_small_pcap (const char *dir)
{
  char *path = g_build_filename (dir, "small.pcap", NULL);
  pcap_t *dead = pcap_open_dead (DLT_RAW, 65535);
  pcap_dumper_t *d = pcap_dump_open (dead, path);
  guint i;

  cr_assert_not_null (d);
  for (i = 0; i < 3; i++)
    {
      guint8 pkt[60] = { 0x45, 0, 0, 60, 0, 1, 0x40, 0, 64, 6, 0, 0,
                         10, 0, 0, 1, 10, 0, 0, 2,
                         0x9c, 0x40, 0, 25 };
      struct pcap_pkthdr h = { { 1700000000 + i, 0 }, sizeof pkt, sizeof pkt };

      pkt[24 + 3] = (guint8) (1 + i * 20);    /* seq */
      pkt[32] = 0x50;
      pkt[33] = MS_TCP_ACK;
      memset (pkt + 40, 'a' + i, 20);
      pcap_dump ((u_char *) d, &h, pkt);
    }
  pcap_dump_close (d);
  pcap_close (dead);
  return path;
}

static void
check_truncated (const char *path, gsize keep)
{
  g_autofree char *data = NULL;
  g_autofree char *cut = g_strdup_printf ("%s.cut", path);
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCaptureReader) r = NULL;
  gsize len;
  MsTcpStreamCallbacks cb;
  TestSink sink;

  cr_assert (g_file_get_contents (path, &data, &len, NULL));
  cr_assert_lt (keep, len);
  cr_assert (g_file_set_contents (cut, data, (gssize) keep, NULL));
  r = ms_capture_reader_open_file (cut, &error);
  cr_assert_not_null (r, "%s", error != NULL ? error->message : "");
  test_sink_init (&sink, &cb);
  ms_capture_reader_set_callbacks (r, &cb);
  cr_expect_not (ms_capture_reader_run (r, -1, &error));
  cr_assert_not_null (error);
  cr_expect (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_TRUNCATED), "%s",
             error->message);
  cr_expect (strstr (error->message, "before the cut") != NULL, "%s", error->message);
  /* What was read before the cut was handed on and closed. */
  cr_expect (ms_capture_reader_at_end (r));
  cr_expect_eq (sink.closed, sink.opened);
  g_unlink (cut);
  test_sink_clear (&sink);
}

Test (capture_file, truncated_file_says_how_much_was_read)
{
  g_autofree char *dir = g_dir_make_tmp ("ms-capture-XXXXXX", NULL);
  g_autofree char *path = write_small_pcap (dir);
  g_autoptr (GError) error = NULL;
  g_autofree char *cut = g_strdup_printf ("%s.cut", path);
  g_autoptr (MsCaptureReader) r = NULL;
  g_autofree char *data = NULL;
  gsize len;
  MsTcpStreamCallbacks cb;
  TestSink sink;

  /* 24-byte file header, then 3 × (16 + 60): cut inside the third packet's data. */
  cr_assert (g_file_get_contents (path, &data, &len, NULL));
  cr_assert_eq (len, 24 + 3 * 76);
  cr_assert (g_file_set_contents (cut, data, 24 + 2 * 76 + 16 + 30, NULL));
  r = ms_capture_reader_open_file (cut, &error);
  cr_assert_not_null (r);
  test_sink_init (&sink, &cb);
  ms_capture_reader_set_callbacks (r, &cb);
  cr_assert_not (ms_capture_reader_run (r, -1, &error));
  cr_expect (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_TRUNCATED));
  cr_expect (strstr (error->message, "read 2 packets (120 bytes of packet data) before the cut")
             != NULL, "%s", error->message);
  cr_expect_str_eq (sink.out[0]->str, "aaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb");
  cr_expect_eq (sink.closed, 1);
  test_sink_clear (&sink);
  /* And cut inside a record header. */
  check_truncated (path, 24 + 76 + 5);
  g_unlink (cut);
  g_unlink (path);
  g_rmdir (dir);
}

Test (capture_file, truncated_corpus_file)
{
  g_autofree char *dir = corpus_dir ();
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *tmp = g_dir_make_tmp ("ms-capture-XXXXXX", NULL);
  g_autofree char *copy = g_build_filename (tmp, "copy.pcap", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  guint i;

  collect (dir, files);
  /* The largest corpus file, cut in the middle. */
  for (i = 0; i < files->len; i++)
    {
      g_autofree char *d = NULL;
      gsize l;

      if (g_file_get_contents (files->pdata[i], &d, &l, NULL) && l > len)
        {
          g_free (data);
          data = g_steal_pointer (&d);
          len = l;
        }
    }
  if (data == NULL)
    cr_skip_test ("no capture corpus at %s; skipped", dir);
  cr_assert (g_file_set_contents (copy, data, (gssize) len, NULL));
  check_truncated (copy, len / 2 + 3);
  g_unlink (copy);
  g_rmdir (tmp);
}

Test (capture_file, open_errors)
{
  g_autofree char *dir = g_dir_make_tmp ("ms-capture-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *wifi = g_build_filename (dir, "wifi.pcap", NULL);
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL;
  pcap_t *dead;
  pcap_dumper_t *d;

  cr_expect_null (ms_capture_reader_open_file ("/nonexistent/x.pcap", &e1));
  cr_expect (g_error_matches (e1, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN));
  cr_expect (strstr (e1->message, "/nonexistent/x.pcap") != NULL);

  cr_assert (g_file_set_contents (text, "This is not a capture file at all.\n", -1, NULL));
  cr_expect_null (ms_capture_reader_open_file (text, &e2));
  cr_expect (g_error_matches (e2, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN), "%s", e2->message);

  dead = pcap_open_dead (DLT_IEEE802_11_RADIO, 65535);
  d = pcap_dump_open (dead, wifi);
  pcap_dump_close (d);
  pcap_close (dead);
  cr_expect_null (ms_capture_reader_open_file (wifi, &e3));
  cr_expect (g_error_matches (e3, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_UNSUPPORTED_LINKTYPE));
  cr_expect (strstr (e3->message, "IEEE802_11_RADIO") != NULL, "%s", e3->message);
  g_unlink (text);
  g_unlink (wifi);
  g_rmdir (dir);
}

/* Without the capability, live capture says how to grant it (as an unprivileged
 * user only: root may capture). */
Test (capture_live, permission_message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCaptureReader) r = NULL;

  r = ms_capture_reader_open_live ("no-such-interface0", NULL, &error);
  cr_expect_null (r);
  cr_assert_not_null (error);
  if (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_PERMISSION))
    cr_expect (strstr (error->message, "setcap cap_net_raw,cap_net_admin=eip") != NULL);
  else
    cr_expect (g_error_matches (error, MS_CAPTURE_ERROR, MS_CAPTURE_ERROR_OPEN), "%s",
               error->message);
}
