/* ms-live-server.c: listening sockets, the connection table and its limits
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-live"

#include "config.h"

#include <string.h>

#include "ms-live-connection.h"
#include "ms-live-server.h"

/* Connections refused as busy still get their one-line reply; beyond this many more,
 * new connections are dropped without a word (a flood must not cost us memory). */
#define MAX_BUSY_CONNECTIONS 32

typedef struct
{
  MsLiveServer        *server;     /* not a reference: the server owns the listener */
  GSocketService      *service;
  MsLiveListenerInfo   info;
  char                *name;
  MsLiveEngineFactory  factory;
  gpointer             factory_data;
  GDestroyNotify       factory_destroy;
} MsLiveListener;

struct _MsLiveServer
{
  GObject           parent_instance;

  MsMailStore      *store;
  MsTrace          *trace;
  char             *hostname;
  GTlsCertificate  *certificate;
  guint             max_connections;
  guint             idle_timeout[MS_PROTOCOL_HTTP + 1];
  GPtrArray        *listeners;       /* of MsLiveListener*, owned */
  GHashTable       *connections;     /* set of MsLiveConnection*, owned */
  guint             tick_id;
  GTask            *shutdown_task;
  guint             shutdown_timeout_id;
  gboolean          shutting_down;
};

G_DEFINE_FINAL_TYPE (MsLiveServer, ms_live_server, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-live-server-error-quark, ms_live_server_error)

static void
listener_free (gpointer data)
{
  MsLiveListener *listener = data;

  if (listener->service != NULL)
    {
      g_signal_handlers_disconnect_by_data (listener->service, listener);
      g_socket_service_stop (listener->service);
      g_socket_listener_close (G_SOCKET_LISTENER (listener->service));
      g_object_unref (listener->service);
    }
  if (listener->factory_destroy != NULL)
    listener->factory_destroy (listener->factory_data);
  g_free (listener->name);
  g_free (listener);
}

/* A strong snapshot: connections leave the table while we walk over them. */
static GPtrArray *
snapshot_connections (MsLiveServer *self)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (all, g_object_ref (key));
  return all;
}

static void
abort_all (MsLiveServer *self,
           const char   *reason)
{
  g_autoptr(GPtrArray) all = snapshot_connections (self);

  for (guint i = 0; i < all->len; i++)
    ms_live_connection_abort (g_ptr_array_index (all, i), reason);
}

static void
ms_live_server_dispose (GObject *object)
{
  MsLiveServer *self = MS_LIVE_SERVER (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  if (self->listeners != NULL)
    g_ptr_array_set_size (self->listeners, 0);
  if (self->connections != NULL)
    {
      abort_all (self, "server stopped");
      g_hash_table_remove_all (self->connections);
    }
  g_clear_object (&self->shutdown_task);
  g_clear_object (&self->certificate);
  g_clear_object (&self->store);
  g_clear_object (&self->trace);

  G_OBJECT_CLASS (ms_live_server_parent_class)->dispose (object);
}

static void
ms_live_server_finalize (GObject *object)
{
  MsLiveServer *self = MS_LIVE_SERVER (object);

  g_ptr_array_unref (self->listeners);
  g_hash_table_unref (self->connections);
  g_free (self->hostname);

  G_OBJECT_CLASS (ms_live_server_parent_class)->finalize (object);
}

static void
ms_live_server_class_init (MsLiveServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_live_server_dispose;
  object_class->finalize = ms_live_server_finalize;
}

static void
ms_live_server_init (MsLiveServer *self)
{
  self->max_connections = MS_LIVE_DEFAULT_MAX_CONNECTIONS;
  self->idle_timeout[MS_PROTOCOL_SMTP] = MS_LIVE_SMTP_IDLE_TIMEOUT;
  self->idle_timeout[MS_PROTOCOL_POP3] = MS_LIVE_POP3_IDLE_TIMEOUT;
  self->idle_timeout[MS_PROTOCOL_IMAP] = MS_LIVE_IMAP_IDLE_TIMEOUT;
  self->idle_timeout[MS_PROTOCOL_UNKNOWN] = MS_LIVE_SMTP_IDLE_TIMEOUT;
  self->listeners = g_ptr_array_new_with_free_func (listener_free);
  self->connections = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
}

/**
 * ms_live_server_new:
 * @store: the mailboxes the engines work on
 * @trace: where every connection's session is recorded (source kind "live")
 * @hostname: the name the server gives itself in greetings and transport replies
 *
 * Returns: (transfer full): a server with no listeners yet
 */
MsLiveServer *
ms_live_server_new (MsMailStore *store,
                    MsTrace     *trace,
                    const char  *hostname)
{
  MsLiveServer *self;

  g_return_val_if_fail (MS_IS_MAIL_STORE (store), NULL);
  g_return_val_if_fail (MS_IS_TRACE (trace), NULL);

  self = g_object_new (MS_TYPE_LIVE_SERVER, NULL);
  self->store = g_object_ref (store);
  self->trace = g_object_ref (trace);
  self->hostname = g_strdup (hostname != NULL ? hostname : "localhost");
  return self;
}

MsMailStore *
ms_live_server_get_store (MsLiveServer *self)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), NULL);
  return self->store;
}

MsTrace *
ms_live_server_get_trace (MsLiveServer *self)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), NULL);
  return self->trace;
}

const char *
ms_live_server_get_hostname (MsLiveServer *self)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), NULL);
  return self->hostname;
}

void
ms_live_server_set_certificate (MsLiveServer    *self,
                                GTlsCertificate *certificate)
{
  g_return_if_fail (MS_IS_LIVE_SERVER (self));
  g_return_if_fail (certificate == NULL || G_IS_TLS_CERTIFICATE (certificate));

  g_set_object (&self->certificate, certificate);
}

GTlsCertificate *
ms_live_server_get_certificate (MsLiveServer *self)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), NULL);
  return self->certificate;
}

void
ms_live_server_set_max_connections (MsLiveServer *self,
                                    guint         max_connections)
{
  g_return_if_fail (MS_IS_LIVE_SERVER (self));
  self->max_connections = max_connections;
}

void
ms_live_server_set_idle_timeout (MsLiveServer *self,
                                 MsProtocol    protocol,
                                 guint         seconds)
{
  g_return_if_fail (MS_IS_LIVE_SERVER (self));
  g_return_if_fail ((guint) protocol < G_N_ELEMENTS (self->idle_timeout));
  self->idle_timeout[protocol] = seconds;
}

guint
ms_live_server_get_idle_timeout (MsLiveServer *self,
                                 MsProtocol    protocol)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), 0);
  if ((guint) protocol >= G_N_ELEMENTS (self->idle_timeout))
    return MS_LIVE_SMTP_IDLE_TIMEOUT;
  return self->idle_timeout[protocol];
}

guint
ms_live_server_get_n_connections (MsLiveServer *self)
{
  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), 0);
  return g_hash_table_size (self->connections);
}

char *
ms_live_busy_reply (MsProtocol  protocol,
                    const char *hostname)
{
  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      /* RFC 5321 §3.1: a server may refuse a session with 421; 4.3.2 = system not accepting */
      return g_strdup_printf ("421 4.3.2 %s Too many connections, try again later", hostname);
    case MS_PROTOCOL_POP3:
      /* RFC 3206 §4: SYS/TEMP, a temporary system problem */
      return g_strdup ("-ERR [SYS/TEMP] Too many connections, try again later");
    case MS_PROTOCOL_IMAP:
      /* RFC 9051 §7.1.5 BYE; RFC 5530 §3 UNAVAILABLE */
      return g_strdup ("* BYE [UNAVAILABLE] Too many connections, try again later");
    default:
      return g_strdup ("Too many connections, try again later");
    }
}

static void
maybe_finish_shutdown (MsLiveServer *self)
{
  if (self->shutdown_task == NULL || g_hash_table_size (self->connections) > 0)
    return;
  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  {
    g_autoptr(GTask) task = g_steal_pointer (&self->shutdown_task);
    g_task_return_boolean (task, TRUE);
  }
}

static void
on_connection_finished (MsLiveConnection *connection,
                        gpointer          user_data)
{
  MsLiveServer *self = user_data;

  g_signal_handlers_disconnect_by_data (connection, self);
  g_hash_table_remove (self->connections, connection);
  maybe_finish_shutdown (self);
}

static gboolean
tick_cb (gpointer user_data)
{
  MsLiveServer *self = user_data;
  g_autoptr(GPtrArray) all = snapshot_connections (self);
  gint64 now = g_get_monotonic_time ();

  for (guint i = 0; i < all->len; i++)
    ms_live_connection_check_timeouts (g_ptr_array_index (all, i), now);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *socket_connection,
             GObject           *source_object,
             gpointer           user_data)
{
  MsLiveListener *listener = user_data;
  MsLiveServer *self = listener->server;
  g_autoptr(MsEngine) engine = NULL;
  g_autoptr(MsLiveConnection) connection = NULL;
  guint n = g_hash_table_size (self->connections);

  if (self->shutting_down)
    return TRUE;  /* dropping the last reference closes it */
  if (n >= self->max_connections + MAX_BUSY_CONNECTIONS)
    {
      g_io_stream_close (G_IO_STREAM (socket_connection), NULL, NULL);
      return TRUE;
    }
  if (n < self->max_connections)
    {
      engine = listener->factory (self, &listener->info, listener->factory_data);
      if (engine == NULL)
        {
          g_io_stream_close (G_IO_STREAM (socket_connection), NULL, NULL);
          return TRUE;
        }
    }
  connection = ms_live_connection_new (self, &listener->info, socket_connection, engine);
  if (engine == NULL)
    {
      MsTraceSession *session = ms_live_connection_get_session (connection);
      g_autofree char *limit = g_strdup_printf ("%u", self->max_connections);

      ms_trace_add_event (self->trace, "policy", self->hostname, session->id,
                          "check", "connection-limit", "result", "refused",
                          "limit", limit, NULL);
    }
  g_hash_table_add (self->connections, g_object_ref (connection));
  g_signal_connect (connection, "finished", G_CALLBACK (on_connection_finished), self);
  ms_live_connection_start (connection);
  return TRUE;
}

static GInetAddress *
parse_address (const char  *address,
               GError     **error)
{
  GInetAddress *inet;

  if (address == NULL || g_ascii_strcasecmp (address, "localhost") == 0)
    return g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  /* "[::1]" as well as "::1" */
  if (address[0] == '[')
    {
      g_autofree char *inner = g_strndup (address + 1, strcspn (address + 1, "]"));
      inet = g_inet_address_new_from_string (inner);
    }
  else
    inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    g_set_error (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_BAD_ADDRESS,
                 "“%s” is not an IP address (for example 127.0.0.1, ::1 or 0.0.0.0)", address);
  return inet;
}

/**
 * ms_live_server_add_listener:
 * @name: the port's name in reports ("smtp", "submission", "imaps", ...)
 * @protocol: which engine family answers
 * @mode: plain, STARTTLS-capable or implicit TLS
 * @address: an IP address literal; "localhost" means 127.0.0.1
 * @port: the TCP port, 0 for any free port
 * @factory: makes one engine per accepted connection
 * @bound_port: (out) (optional): the port actually bound
 *
 * Binds and starts accepting at once (connections are served when the thread-default
 * main context runs).
 */
gboolean
ms_live_server_add_listener (MsLiveServer         *self,
                             const char           *name,
                             MsProtocol            protocol,
                             MsLiveMode            mode,
                             const char           *address,
                             guint16               port,
                             MsLiveEngineFactory   factory,
                             gpointer              user_data,
                             GDestroyNotify        destroy,
                             guint16              *bound_port,
                             GError              **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) wanted = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  MsLiveListener *listener;

  g_return_val_if_fail (MS_IS_LIVE_SERVER (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (factory != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (mode == MS_LIVE_MODE_IMPLICIT && self->certificate == NULL)
    {
      g_set_error (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_NO_CERTIFICATE,
                   "%s: implicit TLS needs a certificate", name);
      return FALSE;
    }
  inet = parse_address (address, error);
  if (inet == NULL)
    return FALSE;
  wanted = g_inet_socket_address_new (inet, port);

  listener = g_new0 (MsLiveListener, 1);
  listener->server = self;
  listener->service = g_socket_service_new ();
  listener->name = g_strdup (name);
  listener->info.name = listener->name;
  listener->info.protocol = protocol;
  listener->info.mode = mode;
  listener->info.tls_available = mode == MS_LIVE_MODE_STARTTLS && self->certificate != NULL;
  listener->factory = factory;
  listener->factory_data = user_data;
  listener->factory_destroy = destroy;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (listener->service), wanted,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                      NULL, &effective, error))
    {
      g_prefix_error (error, "%s: ", name);
      listener->factory_destroy = NULL;  /* the caller keeps its data on failure */
      listener_free (listener);
      return FALSE;
    }
  listener->info.port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (listener->service, "incoming", G_CALLBACK (on_incoming), listener);
  g_socket_service_start (listener->service);
  g_ptr_array_add (self->listeners, listener);
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick_cb, self);
  if (bound_port != NULL)
    *bound_port = listener->info.port;
  return TRUE;
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  MsLiveServer *self = user_data;

  self->shutdown_timeout_id = 0;
  abort_all (self, "shutdown grace time over: closed");
  maybe_finish_shutdown (self);
  return G_SOURCE_REMOVE;
}

void
ms_live_server_shutdown_async (MsLiveServer        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) all = NULL;

  g_return_if_fail (MS_IS_LIVE_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, ms_live_server_shutdown_async);
  if (self->shutdown_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "the server is already shutting down");
      return;
    }
  self->shutting_down = TRUE;
  for (guint i = 0; i < self->listeners->len; i++)
    {
      MsLiveListener *listener = g_ptr_array_index (self->listeners, i);

      g_socket_service_stop (listener->service);
      g_socket_listener_close (G_SOCKET_LISTENER (listener->service));
    }
  self->shutdown_task = g_steal_pointer (&task);
  self->shutdown_timeout_id = g_timeout_add (MS_LIVE_SHUTDOWN_GRACE_MS, shutdown_timeout_cb, self);

  all = snapshot_connections (self);
  for (guint i = 0; i < all->len; i++)
    ms_live_connection_shutdown (g_ptr_array_index (all, i));
  maybe_finish_shutdown (self);
}

gboolean
ms_live_server_shutdown_finish (MsLiveServer  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
