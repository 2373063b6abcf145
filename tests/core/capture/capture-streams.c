/* capture-streams: reads a capture through MsCaptureReader and prints, per TCP
 * connection, the reassembled bytes and gaps per direction (used by the tests and by
 * bench/pcap/run as "reader + reassembly" with a trivial consumer).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   capture-streams FILE            one line per connection, then totals
 *   capture-streams --totals FILE   totals only
 */
#include <stdio.h>
#include <string.h>

#include "ms-capture-reader.h"

typedef struct
{
  guint64 bytes[2];
  guint64 gaps[2];
} Counts;

typedef struct
{
  gboolean totals_only;
  guint64  conns;
  guint64  bytes[2];
  guint64  gaps[2];
} Run;

static void
on_opened (MsTcpConnInfo *info, gpointer user_data)
{
  info->conn_data = g_new0 (Counts, 1);
}

static void
on_data (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, const guint8 *bytes,
         gsize len, guint64 frame, gpointer user_data)
{
  Counts *c = info->conn_data;

  c->bytes[dir == MS_DIR_CLIENT ? 0 : 1] += len;
}

static void
on_gap (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, gsize missing, gpointer user_data)
{
  Counts *c = info->conn_data;

  c->gaps[dir == MS_DIR_CLIENT ? 0 : 1] += missing;
}

static void
on_closed (MsTcpConnInfo *info, gint64 t_us, MsTcpCloseReason reason, gpointer user_data)
{
  Run *run = user_data;
  Counts *c = info->conn_data;

  run->conns++;
  run->bytes[0] += c->bytes[0];
  run->bytes[1] += c->bytes[1];
  run->gaps[0] += c->gaps[0];
  run->gaps[1] += c->gaps[1];
  if (!run->totals_only)
    printf ("conn %u %s:%u %s:%u client=%" G_GUINT64_FORMAT " server=%" G_GUINT64_FORMAT
            " gap_client=%" G_GUINT64_FORMAT " gap_server=%" G_GUINT64_FORMAT
            " handshake=%d close=%s\n",
            info->id, info->client_address, info->client_port, info->server_address,
            info->server_port, c->bytes[0], c->bytes[1], c->gaps[0], c->gaps[1],
            info->saw_handshake, ms_tcp_close_reason_to_string (reason));
  g_free (c);
}

int
main (int argc, char **argv)
{
  Run run = { 0 };
  MsTcpStreamCallbacks cb = { on_opened, on_data, on_gap, on_closed, &run };
  g_autoptr (GError) error = NULL;
  g_autoptr (MsCaptureReader) reader = NULL;
  const MsCaptureStats *st;
  const char *path;
  int i;

  if (argc == 3 && strcmp (argv[1], "--totals") == 0)
    {
      run.totals_only = TRUE;
      path = argv[2];
    }
  else if (argc == 2)
    path = argv[1];
  else
    {
      fprintf (stderr, "usage: capture-streams [--totals] FILE\n");
      return 2;
    }
  reader = ms_capture_reader_open_file (path, &error);
  if (reader == NULL)
    {
      fprintf (stderr, "capture-streams: %s\n", error->message);
      return 1;
    }
  ms_capture_reader_set_callbacks (reader, &cb);
  if (!ms_capture_reader_run (reader, -1, &error))
    {
      fprintf (stderr, "capture-streams: %s\n", error->message);
      return 1;
    }
  st = ms_capture_reader_get_stats (reader);
  printf ("connections=%" G_GUINT64_FORMAT " client_bytes=%" G_GUINT64_FORMAT
          " server_bytes=%" G_GUINT64_FORMAT " gap_bytes=%" G_GUINT64_FORMAT
          " packets=%" G_GUINT64_FORMAT " tcp=%" G_GUINT64_FORMAT " non_tcp=%" G_GUINT64_FORMAT,
          run.conns, run.bytes[0], run.bytes[1], run.gaps[0] + run.gaps[1], st->packets,
          st->tcp_segments, st->non_tcp_skipped);
  for (i = 0; i < MS_CAPTURE_DECODE_N_KINDS; i++)
    printf (" err_%s=%" G_GUINT64_FORMAT, ms_capture_decode_error_to_string (i),
            st->decode_errors[i]);
  printf ("\n");
  return 0;
}
