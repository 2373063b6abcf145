/* fuzz-capture.c: any bytes as a capture file, through the reader and TCP reassembly
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An input that starts with a pcap or pcapng magic number is the file itself. Any
 * other input is turned into a well-formed pcap, so the fuzzer reaches the decoders
 * instead of libpcap's header check: the first byte picks the link type, then each
 * packet is a 2-byte length and that many bytes (the last one takes the rest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ms-capture-reader.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const guint32 link_types[] = { 0, 1, 12, 101, 108, 113, 276, 228, 229, 14 };

static void
on_data (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, const guint8 *bytes,
         gsize len, guint64 frame, gpointer user_data)
{
  volatile guint8 sink = 0;
  gsize i;

  /* Touch every byte handed on, so ASan sees a bad pointer or length. */
  for (i = 0; i < len; i++)
    sink ^= bytes[i];
  (void) sink;
}

static void
on_closed (MsTcpConnInfo *info, gint64 t_us, MsTcpCloseReason reason, gpointer user_data)
{
  g_assert (info->client_address != NULL && info->server_address != NULL);
}

static void
put32le (GByteArray *a, guint32 v)
{
  guint8 b[4] = { (guint8) v, (guint8) (v >> 8), (guint8) (v >> 16), (guint8) (v >> 24) };

  g_byte_array_append (a, b, 4);
}

static GByteArray *
synthesize (const uint8_t *data, size_t size)
{
  GByteArray *a = g_byte_array_new ();
  size_t pos = 1;
  guint32 t = 1700000000;

  put32le (a, 0xa1b2c3d4);
  put32le (a, 0x00040002);   /* version 2.4 */
  put32le (a, 0);
  put32le (a, 0);
  put32le (a, 65535);
  put32le (a, link_types[data[0] % G_N_ELEMENTS (link_types)]);
  while (pos < size)
    {
      size_t n = size - pos;

      if (n > 2)
        {
          size_t want = ((size_t) data[pos] << 8 | data[pos + 1]) & 0x3fff;

          pos += 2;
          n = MIN (want, size - pos);
        }
      put32le (a, t);
      put32le (a, (guint32) (pos * 7919 % 1000000));
      put32le (a, (guint32) n);
      put32le (a, (guint32) n + (data[0] & 0x80 ? 3 : 0));   /* sometimes cut by snaplen */
      g_byte_array_append (a, data + pos, (guint) n);
      pos += n;
      t += data[0] & 0x40 ? 700 : 0;   /* sometimes long pauses: timeouts */
    }
  return a;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  MsTcpStreamCallbacks cb = { NULL, on_data, NULL, on_closed, NULL };
  g_autoptr (GByteArray) file = NULL;
  g_autoptr (MsCaptureReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  FILE *fp;
  guint32 magic = 0;

  if (size < 1)
    return 0;
  if (size >= 4)
    magic = (guint32) data[0] | (guint32) data[1] << 8 | (guint32) data[2] << 16
            | (guint32) data[3] << 24;
  if (magic == 0xa1b2c3d4 || magic == 0xd4c3b2a1 || magic == 0xa1b23c4d
      || magic == 0x4d3cb2a1 || magic == 0x0a0d0d0a)
    file = g_byte_array_append (g_byte_array_new (), data, (guint) size);
  else
    file = synthesize (data, size);

  fp = fmemopen (file->data, file->len, "rb");
  if (fp == NULL)
    return 0;
  reader = ms_capture_reader_open_stream (fp, &error);
  if (reader == NULL)
    return 0;
  ms_capture_reader_set_callbacks (reader, &cb);
  ms_capture_reader_run (reader, -1, NULL);
  return 0;
}
