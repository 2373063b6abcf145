/* ms-test-chunks.h: feed bytes whole, byte by byte, or in seeded random splits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every framing and parser test runs in all three ways: an engine that only works when
 * a line arrives in one read is wrong (Dovecot's CRLF test, syslog-ng's stream tests).
 */
#pragma once

#include <glib.h>

typedef enum
{
  MS_CHUNKS_WHOLE,
  MS_CHUNKS_BYTE_BY_BYTE,
  MS_CHUNKS_RANDOM,
} MsChunking;

typedef void (*MsChunkFunc) (const guint8 *data, gsize len, gpointer user_data);

/* Calls func on consecutive pieces of data; RANDOM pieces are 1..17 bytes from seed. */
void ms_test_feed_chunks (const guint8 *data,
                          gsize         len,
                          MsChunking    chunking,
                          guint32       seed,
                          MsChunkFunc   func,
                          gpointer      user_data);

const char *ms_test_chunking_name (MsChunking chunking);
