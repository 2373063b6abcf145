/* capture-test-sink.c: see capture-test-sink.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>

#include "capture-test-sink.h"

static void
on_opened (MsTcpConnInfo *info, gpointer user_data)
{
  TestSink *s = user_data;

  s->opened++;
  s->last_id = info->id;
  g_free (s->client_address);
  g_free (s->server_address);
  s->client_address = g_strdup (info->client_address);
  s->server_address = g_strdup (info->server_address);
  s->client_port = info->client_port;
  s->server_port = info->server_port;
  s->saw_handshake = info->saw_handshake;
}

static void
on_data (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, const guint8 *bytes,
         gsize len, guint64 frame, gpointer user_data)
{
  TestSink *s = user_data;

  if (s->first_frame == 0)
    s->first_frame = frame;
  g_string_append_len (s->out[dir == MS_DIR_CLIENT ? 0 : 1], (const char *) bytes, len);
}

static void
on_gap (MsTcpConnInfo *info, MsDirection dir, gint64 t_us, gsize missing, gpointer user_data)
{
  TestSink *s = user_data;
  GString *o = s->out[dir == MS_DIR_CLIENT ? 0 : 1];

  g_assert (missing < 1024 * 1024);
  while (missing-- > 0)
    g_string_append_c (o, '_');
}

static void
on_closed (MsTcpConnInfo *info, gint64 t_us, MsTcpCloseReason reason, gpointer user_data)
{
  TestSink *s = user_data;

  s->closed++;
  s->last_reason = reason;
}

void
test_sink_init (TestSink *sink, MsTcpStreamCallbacks *cb)
{
  memset (sink, 0, sizeof *sink);
  sink->out[0] = g_string_new (NULL);
  sink->out[1] = g_string_new (NULL);
  cb->opened = on_opened;
  cb->data = on_data;
  cb->gap = on_gap;
  cb->closed = on_closed;
  cb->user_data = sink;
}

void
test_sink_clear (TestSink *sink)
{
  g_string_free (sink->out[0], TRUE);
  g_string_free (sink->out[1], TRUE);
  g_free (sink->client_address);
  g_free (sink->server_address);
}
