/* ms-mra.c: the mail retrieval agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mra.h"

#include "ms-agents-private.h"
#include "ms-mailbox-recorder.h"
#include "ms-imap-server.h"
#include "ms-pop3-server.h"

struct _MsMra
{
  GObject      parent_instance;
  MsNetwork   *network;
  MsNode      *node;
  char        *hostname;
  MsMailStore *store;
  MsMta       *mta;
  gboolean     starttls;
  GArray      *ports;     /* guint16 we listen on */
  guint        n_logins;
};

G_DEFINE_TYPE (MsMra, ms_mra, G_TYPE_OBJECT)

static void
login_event (MsMra      *self,
             MsEngine   *engine,
             const char *protocol,
             const char *user)
{
  MsTrace *trace = _ms_agent_trace (self->node);
  MsTraceSession *session = ms_engine_get_session (engine);

  self->n_logins++;
  if (trace != NULL)
    ms_trace_add_event (trace, "policy", ms_node_get_name (self->node),
                        session != NULL ? session->id : 0, "check", "auth",
                        "protocol", protocol, "user", user, "result", "ok",
                        "reason", "password matches", NULL);
}

/* The POP3 server went from AUTHORIZATION to TRANSACTION: a login (RFC 1939 §4). */
static void
on_pop3_state (MsPop3Server *server,
               int           old_state,
               int           new_state,
               gpointer      user_data)
{
  MsMra *self = user_data;
  const char *user;

  if (new_state != MS_POP3_SERVER_STATE_TRANSACTION)
    return;
  user = ms_pop3_server_get_user (server);
  login_event (self, MS_ENGINE (server), "pop3", user);
  if (self->mta != NULL)
    ms_mta_open_relay_window (self->mta, ms_engine_get_client_address (MS_ENGINE (server)), user);
}

static void
on_imap_state (MsImapServer *server,
               int           old_state,
               int           new_state,
               gpointer      user_data)
{
  if (old_state == MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED
      && new_state == MS_IMAP_SERVER_STATE_AUTHENTICATED)
    login_event (user_data, MS_ENGINE (server), "imap", ms_imap_server_get_user (server));
}

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  MsMra *self = user_data;
  guint16 port = ms_sim_tcp_endpoint_get_local_port (ep);
  gboolean implicit = ms_sim_tcp_port_is_implicit_tls (port);

  if (port == MS_MRA_POP3_PORT || port == MS_MRA_POP3S_PORT)
    {
      MsPop3ServerConfig config;
      g_autoptr(MsPop3Server) server = NULL;

      ms_pop3_server_config_init (&config);
      config.hostname = self->hostname;
      config.tls_available = self->starttls && !implicit;
      config.allow_plain_login_without_tls = TRUE;
      /* a reproducible APOP timestamp: node id and the virtual clock */
      config.apop_pid = 1000 + ms_node_get_id (self->node);
      config.apop_clock = (guint64) ms_network_unix_clock (self->network) / G_USEC_PER_SEC;
      server = ms_pop3_server_new (&config, self->store);
      g_signal_connect_object (server, "state-changed", G_CALLBACK (on_pop3_state), self, 0);
      ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_POP3);
      _ms_mailbox_recorder_add_engine (self->store, MS_ENGINE (server));
    }
  else
    {
      MsImapServerConfig config;
      g_autoptr(MsImapServer) server = NULL;

      ms_imap_server_config_init (&config);
      config.hostname = self->hostname;
      config.tls_available = self->starttls && !implicit;
      config.allow_plain_login_without_tls = TRUE;
      server = ms_imap_server_new (&config, self->store);
      g_signal_connect_object (server, "state-changed", G_CALLBACK (on_imap_state), self, 0);
      ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_IMAP);
      _ms_mailbox_recorder_add_engine (self->store, MS_ENGINE (server));
    }
}

static void
ms_mra_dispose (GObject *object)
{
  MsMra *self = MS_MRA (object);

  for (guint i = 0; self->network != NULL && i < self->ports->len; i++)
    ms_node_unlisten (self->node, g_array_index (self->ports, guint16, i));
  g_array_set_size (self->ports, 0);
  G_OBJECT_CLASS (ms_mra_parent_class)->dispose (object);
}

static void
ms_mra_finalize (GObject *object)
{
  MsMra *self = MS_MRA (object);

  g_array_unref (self->ports);
  g_free (self->hostname);
  g_clear_object (&self->store);
  g_clear_object (&self->mta);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_mra_parent_class)->finalize (object);
}

static void
ms_mra_class_init (MsMraClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ms_mra_dispose;
  G_OBJECT_CLASS (klass)->finalize = ms_mra_finalize;
}

static void
ms_mra_init (MsMra *self)
{
  self->ports = g_array_new (FALSE, FALSE, sizeof (guint16));
}

static gboolean
listen_port (MsMra    *self,
             guint16   port,
             GError  **error)
{
  if (!ms_node_listen (self->node, port, on_accept, self, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "%s: port %u is already taken",
                   ms_node_get_name (self->node), port);
      return FALSE;
    }
  g_array_append_val (self->ports, port);
  return TRUE;
}

MsMra *
ms_mra_new (MsNode             *node,
            const MsMraConfig  *config,
            GError            **error)
{
  g_autoptr(MsMra) self = NULL;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (config != NULL && MS_IS_MAIL_STORE (config->store), NULL);

  self = g_object_new (MS_TYPE_MRA, NULL);
  self->node = node;
  self->network = g_object_ref (ms_node_get_network (node));
  self->hostname = g_strdup (config->hostname);
  self->store = g_object_ref (config->store);
  _ms_mailbox_recorder_attach (node, self->store);
  self->mta = config->pop_before_smtp != NULL ? g_object_ref (config->pop_before_smtp) : NULL;
  self->starttls = config->starttls;
  if (config->pop3 && !listen_port (self, MS_MRA_POP3_PORT, error))
    return NULL;
  if (config->pop3 && config->implicit_tls && !listen_port (self, MS_MRA_POP3S_PORT, error))
    return NULL;
  if (config->imap && !listen_port (self, MS_MRA_IMAP_PORT, error))
    return NULL;
  if (config->imap && config->implicit_tls && !listen_port (self, MS_MRA_IMAPS_PORT, error))
    return NULL;
  return g_steal_pointer (&self);
}

MsNode *
ms_mra_get_node (MsMra *self)
{
  g_return_val_if_fail (MS_IS_MRA (self), NULL);
  return self->node;
}

guint
ms_mra_get_n_logins (MsMra *self)
{
  g_return_val_if_fail (MS_IS_MRA (self), 0);
  return self->n_logins;
}
