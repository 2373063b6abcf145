/* ms-test-serve.c: one engine per connection on a real localhost socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>
#include <stdio.h>

#include "ms-test-serve.h"

typedef struct
{
  GSocketConnection *connection;
  MsEngine          *engine;
  guint8             buf[4096];
} Conn;

typedef struct
{
  MsTestEngineFactory factory;
  gpointer            user_data;
} Factory;

static void
conn_free (Conn *conn)
{
  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_object_unref (conn->connection);
  g_object_unref (conn->engine);
  g_free (conn);
}

static void
write_out (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  Conn *conn = user_data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn->connection));

  g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

static void read_more (Conn *conn);

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Conn *conn = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      ms_engine_peer_closed (conn->engine);
      conn_free (conn);
      return;
    }
  ms_engine_feed (conn->engine, conn->buf, (gsize) n);
  if (ms_engine_is_closed (conn->engine))
    {
      conn_free (conn);
      return;
    }
  read_more (conn);
}

static void
read_more (Conn *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn->connection));

  g_input_stream_read_async (in, conn->buf, sizeof conn->buf, G_PRIORITY_DEFAULT, NULL,
                             on_read, conn);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source,
             gpointer user_data)
{
  Factory *factory = user_data;
  Conn *conn = g_new0 (Conn, 1);

  conn->connection = g_object_ref (connection);
  conn->engine = factory->factory (factory->user_data);
  ms_engine_set_output_func (conn->engine, write_out, conn, NULL);
  ms_engine_start (conn->engine);
  read_more (conn);
  return TRUE;
}

static gboolean
on_stdin (GIOChannel *channel, GIOCondition condition, gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
ms_test_serve (MsTestEngineFactory factory_func,
               gpointer            user_data)
{
  Factory factory = { factory_func, user_data };
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  GIOChannel *channel;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &bound, &error))
    {
      g_printerr ("cannot listen on 127.0.0.1: %s\n", error->message);
      return 1;
    }
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), &factory);
  printf ("%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fflush (stdout);
  channel = g_io_channel_unix_new (0);
  g_io_add_watch (channel, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);
  g_io_channel_unref (channel);
  return 0;
}
