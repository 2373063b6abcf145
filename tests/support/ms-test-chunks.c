/* ms-test-chunks.c: chunked feeding for parser tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-test-chunks.h"

void
ms_test_feed_chunks (const guint8 *data,
                     gsize         len,
                     MsChunking    chunking,
                     guint32       seed,
                     MsChunkFunc   func,
                     gpointer      user_data)
{
  GRand *rand = g_rand_new_with_seed (seed);
  gsize pos = 0;

  while (pos < len)
    {
      gsize n;

      switch (chunking)
        {
        case MS_CHUNKS_BYTE_BY_BYTE:
          n = 1;
          break;
        case MS_CHUNKS_RANDOM:
          n = (gsize) g_rand_int_range (rand, 1, 18);
          break;
        case MS_CHUNKS_WHOLE:
        default:
          n = len;
          break;
        }
      n = MIN (n, len - pos);
      func (data + pos, n, user_data);
      pos += n;
    }
  g_rand_free (rand);
}

const char *
ms_test_chunking_name (MsChunking chunking)
{
  switch (chunking)
    {
    case MS_CHUNKS_BYTE_BY_BYTE: return "byte-by-byte";
    case MS_CHUNKS_RANDOM: return "random splits";
    case MS_CHUNKS_WHOLE:
    default: return "whole";
    }
}
