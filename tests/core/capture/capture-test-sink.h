/* capture-test-sink.h: collects reassembled streams for the capture tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each direction's output is its bytes with every missing byte drawn as '_', so a
 * test compares the whole stream at once: "AAAA____CCCC".
 */
#pragma once

#include "ms-capture-reader.h"

typedef struct
{
  GString          *out[2];       /* client, server */
  guint             opened;
  guint             closed;
  MsTcpCloseReason  last_reason;
  guint             last_id;
  char             *client_address;
  guint16           client_port;
  char             *server_address;
  guint16           server_port;
  gboolean          saw_handshake;
  guint64           first_frame;  /* of the first data callback */
} TestSink;

void test_sink_init   (TestSink *sink, MsTcpStreamCallbacks *cb);
void test_sink_clear  (TestSink *sink);
