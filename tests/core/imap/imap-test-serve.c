/* imap-test-serve.c: MsImapServer on a real localhost socket, for client interop tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints the port it listens on, then serves until stdin closes. The store holds
 * alice@example.com / "secret" with one message in INBOX.
 */
#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "ms-imap-server.h"

typedef struct
{
  GSocketConnection *connection;
  MsImapServer      *server;
  guint8             buf[4096];
} Conn;

static MsMailStore *store;

static void
conn_free (Conn *conn)
{
  g_io_stream_close (G_IO_STREAM (conn->connection), NULL, NULL);
  g_object_unref (conn->connection);
  g_object_unref (conn->server);
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
      ms_engine_peer_closed (MS_ENGINE (conn->server));
      conn_free (conn);
      return;
    }
  ms_engine_feed (MS_ENGINE (conn->server), conn->buf, (gsize) n);
  if (ms_engine_is_closed (MS_ENGINE (conn->server)))
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
  const MsImapServerConfig config = {
    .hostname = "localhost", .allow_plain_login_without_tls = TRUE,
  };
  Conn *conn = g_new0 (Conn, 1);

  conn->connection = g_object_ref (connection);
  conn->server = ms_imap_server_new (&config, store);
  ms_engine_set_output_func (MS_ENGINE (conn->server), write_out, conn, NULL);
  ms_engine_start (MS_ENGINE (conn->server));
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
main (void)
{
  static const char message[] =
    "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: hello\r\n"
    "Date: Tue, 05 Mar 2024 19:00:00 +0900\r\n\r\nHi Alice!\r\n";
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GBytes) raw = g_bytes_new_static (message, sizeof message - 1);
  GIOChannel *channel;
  guint16 port;

  store = ms_mail_store_new ();
  ms_mail_store_add_user (store, "alice@example.com", "secret", NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, NULL);
  g_signal_connect (service, "incoming", G_CALLBACK (on_incoming), NULL);
  printf ("%u\n", port);
  fflush (stdout);
  channel = g_io_channel_unix_new (0);
  g_io_add_watch (channel, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, loop);
  g_main_loop_run (loop);
  g_io_channel_unref (channel);
  g_object_unref (store);
  return 0;
}
