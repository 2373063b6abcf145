/* ms-msa.c: the message submission agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-msa.h"

#include "ms-agents-private.h"
#include "ms-message.h"
#include "ms-smtp-server.h"

struct _MsMsa
{
  GObject      parent_instance;
  MsNetwork   *network;
  MsNode      *node;
  char        *hostname;
  MsMailStore *users;
  MsMta       *mta;
  gboolean     starttls;
  gboolean     require_tls;
  gboolean     implicit_tls;
  guint        id_counter;
  guint        n_submitted;
};

G_DEFINE_TYPE (MsMsa, ms_msa, G_TYPE_OBJECT)

/* The per-connection policy */

#define MS_TYPE_MSA_POLICY (ms_msa_policy_get_type ())
G_DECLARE_FINAL_TYPE (MsMsaPolicy, ms_msa_policy, MS, MSA_POLICY, GObject)

struct _MsMsaPolicy
{
  GObject  parent_instance;
  MsMsa   *msa;        /* not a reference */
  char    *cram_user;  /* a CRAM-MD5 exchange under way (the engine checks the digest) */
};

static void ms_msa_policy_iface_init (MsSmtpPolicyInterface *iface);

G_DEFINE_TYPE_WITH_CODE (MsMsaPolicy, ms_msa_policy, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (MS_TYPE_SMTP_POLICY, ms_msa_policy_iface_init))

static void
ms_msa_policy_finalize (GObject *object)
{
  g_free (MS_MSA_POLICY (object)->cram_user);
  G_OBJECT_CLASS (ms_msa_policy_parent_class)->finalize (object);
}

static void
ms_msa_policy_class_init (MsMsaPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_msa_policy_finalize;
}

static void
ms_msa_policy_init (MsMsaPolicy *self)
{
}

static guint
session_id (const MsSmtpSessionInfo *info)
{
  return info->session != NULL ? info->session->id : 0;
}

static MsTrace *
msa_trace (MsMsa *self)
{
  return _ms_agent_trace (self->node);
}

/* RFC 4954 §4 */
static char *
msa_authenticate (MsSmtpPolicy            *policy,
                  const MsSmtpSessionInfo *info,
                  const char              *user,
                  const char              *password)
{
  MsMsa *self = MS_MSA_POLICY (policy)->msa;
  const char *canonical = ms_mail_store_check_password (self->users, user, password);
  MsTrace *trace = msa_trace (self);

  if (trace != NULL)
    ms_trace_add_event (trace, "policy", ms_node_get_name (self->node), session_id (info),
                        "check", "auth", "user", user,
                        "result", canonical != NULL ? "ok" : "failed",
                        "reason", canonical != NULL ? "password matches"
                                                    : "wrong user or password", NULL);
  return g_strdup (canonical);
}

static char *
msa_get_password (MsSmtpPolicy            *policy,
                  const MsSmtpSessionInfo *info,
                  const char              *user,
                  char                   **canonical)
{
  MsMsa *self = MS_MSA_POLICY (policy)->msa;
  const char *name = ms_mail_store_lookup_user (self->users, user);

  if (name == NULL)
    return NULL;
  *canonical = g_strdup (name);
  g_free (MS_MSA_POLICY (policy)->cram_user);
  MS_MSA_POLICY (policy)->cram_user = g_strdup (name);
  return g_strdup (ms_mail_store_get_password (self->users, name));
}

/* RFC 6409 §4.3: an authenticated submitter may send anywhere. */
static MsSmtpVerdict
msa_check_recipient (MsSmtpPolicy            *policy,
                     const MsSmtpSessionInfo *info,
                     const char              *recipient,
                     MsSmtpReply            **reply)
{
  MsMsa *self = MS_MSA_POLICY (policy)->msa;
  MsTrace *trace = msa_trace (self);

  if (info->user == NULL)
    {
      /* the engine refuses MAIL before AUTH; this is a second line of defence */
      *reply = ms_smtp_reply_new (530, "5.7.0", "Authentication required");
      return MS_SMTP_VERDICT_DENY;
    }
  if (ms_mta_is_local_domain (self->mta, _ms_agent_domain (recipient)))
    {
      /* our own domain: refuse an unknown mailbox now, rather than bounce it later */
      if (!_ms_mta_knows_local_recipient (self->mta, recipient))
        {
          *reply = ms_smtp_reply_new (550, "5.1.1", "<%s>: Recipient address rejected: "
                                      "User unknown in local recipient table", recipient);
          if (trace != NULL)
            ms_trace_add_event (trace, "policy", ms_node_get_name (self->node),
                                session_id (info), "check", "recipient", "recipient", recipient,
                                "result", "rejected", "reason", "unknown user", NULL);
          return MS_SMTP_VERDICT_DENY;
        }
      if (trace != NULL)
        ms_trace_add_event (trace, "policy", ms_node_get_name (self->node), session_id (info),
                            "check", "recipient", "recipient", recipient, "result", "accepted",
                            "reason", "local domain", NULL);
      return MS_SMTP_VERDICT_ACCEPT;
    }
  if (trace != NULL)
    ms_trace_add_event (trace, "policy", ms_node_get_name (self->node), session_id (info),
                        "check", "relay", "recipient", recipient, "result", "allowed",
                        "reason", "authenticated submission", "user", info->user, NULL);
  return MS_SMTP_VERDICT_RELAY;
}

/* Message-IDs "<seed><node><counter>.<n>@domain": unique, and the same on every run. */
static char *
msa_message_id (const char *domain,
                gpointer    user_data)
{
  MsMsa *self = user_data;
  g_autofree char *left = _ms_agent_next_id (self->node, "", &self->id_counter);

  return g_strdup_printf ("%s.msa@%s", left, domain);
}

/* RFC 6409 §8: the MSA may complete a message. */
static MsSmtpReply *
msa_deliver (MsSmtpPolicy            *policy,
             const MsSmtpSessionInfo *info,
             const MsSmtpEnvelope    *envelope,
             GBytes                  *message)
{
  MsMsa *self = MS_MSA_POLICY (policy)->msa;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsMessage) msg = ms_message_new_from_bytes (message, &error);
  g_autoptr(GBytes) completed = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *id = NULL;
  MsTrace *trace = msa_trace (self);
  const char *node = ms_node_get_name (self->node);
  gboolean added_id, added_date;
  guint removed_bcc;

  if (msg == NULL)
    return ms_smtp_reply_new (554, "5.6.0", "Message is not RFC 5322: %s", error->message);

  now = _ms_agent_now_utc (self->node);
  /* §8.3 Message-ID, §8.2 Date; the id generator is global, so it is set around the call */
  ms_message_set_id_generator (msa_message_id, self);
  added_id = ms_message_ensure_message_id (msg, self->hostname);
  ms_message_set_id_generator (NULL, NULL);
  added_date = ms_message_ensure_date (msg, now);
  /* RFC 5322 §3.6.3: the Bcc field must not reach the recipients */
  removed_bcc = ms_message_remove_header (msg, "Bcc");
  completed = (added_id || added_date || removed_bcc > 0) ? ms_message_to_bytes (msg)
                                                          : g_bytes_ref (message);
  if (trace != NULL)
    {
      if (added_id)
        ms_trace_add_event (trace, "policy", node, session_id (info), "check", "message-id",
                            "result", "added", "value", ms_message_get_header (msg, "Message-ID"),
                            "reason", "missing: the MSA adds it (RFC 6409 8.3)", NULL);
      if (added_date)
        ms_trace_add_event (trace, "policy", node, session_id (info), "check", "date",
                            "result", "added", "value", ms_message_get_header (msg, "Date"),
                            "reason", "missing: the MSA adds it (RFC 6409 8.2)", NULL);
      if (removed_bcc > 0)
        ms_trace_add_event (trace, "policy", node, session_id (info), "check", "bcc",
                            "result", "removed", "reason", "a Bcc field must not be passed "
                            "on (RFC 5322 3.6.3)", NULL);
    }
  self->n_submitted++;
  {
    /* RFC 6376: the submitting domain's server signs what its users send */
    GBytes *signed_msg = _ms_mta_dkim_sign (self->mta, session_id (info), completed);

    if (signed_msg != completed)
      {
        g_bytes_unref (completed);
        completed = signed_msg;
      }
    else
      g_bytes_unref (signed_msg);
  }
  id = _ms_mta_enqueue_full (self->mta, session_id (info), envelope->reverse_path,
                             envelope->recipients, completed, completed != message,
                             "submitted: handed from the MSA to the MTA");
  return ms_smtp_reply_new (250, "2.0.0", "Ok: queued as %s", id);
}

static void
ms_msa_policy_iface_init (MsSmtpPolicyInterface *iface)
{
  iface->authenticate = msa_authenticate;
  iface->get_password = msa_get_password;
  iface->check_recipient = msa_check_recipient;
  iface->deliver = msa_deliver;
}

/* A CRAM-MD5 exchange is over (AUTH state left): the engine compared the digest. */
static void
on_server_state (MsSmtpServer *server,
                 int           old_state,
                 int           new_state,
                 gpointer      user_data)
{
  MsMsaPolicy *policy = user_data;
  MsTrace *trace = msa_trace (policy->msa);
  const char *user = ms_smtp_server_get_authenticated_user (server);
  MsTraceSession *session = ms_engine_get_session (MS_ENGINE (server));

  if (old_state != MS_SMTP_SERVER_STATE_AUTH || policy->cram_user == NULL)
    return;
  if (trace != NULL)
    ms_trace_add_event (trace, "policy", ms_node_get_name (policy->msa->node),
                        session != NULL ? session->id : 0, "check", "auth",
                        "user", policy->cram_user, "mechanism", "CRAM-MD5",
                        "result", user != NULL ? "ok" : "failed",
                        "reason", user != NULL ? "digest matches" : "wrong digest", NULL);
  g_clear_pointer (&policy->cram_user, g_free);
}

/* MsMsa */

static char *
msa_next_id (gpointer user_data)
{
  MsMsa *self = user_data;

  return _ms_agent_next_id (self->node, "", &self->id_counter);
}

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  MsMsa *self = user_data;
  MsSmtpServerConfig config;
  g_autoptr(MsMsaPolicy) policy = g_object_new (MS_TYPE_MSA_POLICY, NULL);
  g_autoptr(MsSmtpServer) server = NULL;
  gboolean implicit = ms_sim_tcp_endpoint_get_local_port (ep) == MS_MSA_SUBMISSIONS_PORT;

  policy->msa = self;
  ms_smtp_server_config_init (&config);
  config.hostname = self->hostname;
  config.submission = TRUE;
  config.clock = ms_network_unix_clock;
  config.clock_data = self->network;
  config.id_func = msa_next_id;
  config.id_data = self;
  config.tls_available = self->starttls && !implicit;
  config.require_tls = self->require_tls && !implicit;
  /* a lab without TLS must still be able to log in */
  config.allow_plain_auth_without_tls = !self->require_tls;
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  g_signal_connect (server, "state-changed", G_CALLBACK (on_server_state), policy);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_SMTP);
}

static void
ms_msa_dispose (GObject *object)
{
  MsMsa *self = MS_MSA (object);

  if (self->network != NULL)
    {
      ms_node_unlisten (self->node, MS_MSA_SUBMISSION_PORT);
      if (self->implicit_tls)
        ms_node_unlisten (self->node, MS_MSA_SUBMISSIONS_PORT);
    }
  G_OBJECT_CLASS (ms_msa_parent_class)->dispose (object);
}

static void
ms_msa_finalize (GObject *object)
{
  MsMsa *self = MS_MSA (object);

  g_free (self->hostname);
  g_clear_object (&self->users);
  g_clear_object (&self->mta);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_msa_parent_class)->finalize (object);
}

static void
ms_msa_class_init (MsMsaClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ms_msa_dispose;
  G_OBJECT_CLASS (klass)->finalize = ms_msa_finalize;
}

static void
ms_msa_init (MsMsa *self)
{
}

MsMsa *
ms_msa_new (MsNode             *node,
            const MsMsaConfig  *config,
            GError            **error)
{
  g_autoptr(MsMsa) self = NULL;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (config != NULL && config->hostname != NULL, NULL);
  g_return_val_if_fail (MS_IS_MAIL_STORE (config->users), NULL);
  g_return_val_if_fail (MS_IS_MTA (config->mta), NULL);

  self = g_object_new (MS_TYPE_MSA, NULL);
  self->node = node;
  self->hostname = g_strdup (config->hostname);
  self->users = g_object_ref (config->users);
  self->mta = g_object_ref (config->mta);
  self->starttls = config->starttls;
  self->require_tls = config->require_tls;
  if (!ms_node_listen (node, MS_MSA_SUBMISSION_PORT, on_accept, self, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE, "%s: port %u is already taken",
                   ms_node_get_name (node), MS_MSA_SUBMISSION_PORT);
      return NULL;
    }
  self->network = g_object_ref (ms_node_get_network (node));
  if (config->implicit_tls)
    {
      if (!ms_node_listen (node, MS_MSA_SUBMISSIONS_PORT, on_accept, self, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                       "%s: port %u is already taken", ms_node_get_name (node),
                       MS_MSA_SUBMISSIONS_PORT);
          return NULL;
        }
      self->implicit_tls = TRUE;
    }
  return g_steal_pointer (&self);
}

MsNode *
ms_msa_get_node (MsMsa *self)
{
  g_return_val_if_fail (MS_IS_MSA (self), NULL);
  return self->node;
}

guint
ms_msa_get_n_submitted (MsMsa *self)
{
  g_return_val_if_fail (MS_IS_MSA (self), 0);
  return self->n_submitted;
}
