/* ms-mta.c: the mail transfer agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mta.h"

#include <string.h>

#include "ms-agents-private.h"
#include "ms-message.h"
#include "ms-smtp-client.h"
#include "ms-smtp-server.h"
#include "ms-spf.h"

typedef enum
{
  RCPT_PENDING,
  RCPT_DONE,
  RCPT_DEFERRED,
  RCPT_FAILED,    /* to be reported in a DSN */
  RCPT_BOUNCED,   /* reported */
} RcptState;

typedef struct
{
  char      *address;
  RcptState  state;
  char      *status;      /* enhanced status of the last failure */
  char      *diagnostic;  /* the remote reply, or our own reason */
  char      *remote_mta;
} Rcpt;

typedef struct
{
  gint        ref_count;
  MsMta      *mta;
  char       *id;
  char       *sender;
  GPtrArray  *rcpts;      /* of Rcpt* */
  GBytes     *message;
  guint       session;
  gint64      arrival_s;
  guint       attempts;
  guint       in_flight;  /* deliveries of this attempt still running */
  gboolean    queued;     /* in mta->queue */
  GPtrArray  *deliveries; /* of Delivery*, owned: callbacks may name them until the end */
  gboolean    snapshot;   /* record the message at the first attempt */
} Entry;

/* One attempt at the recipients of one domain. */
typedef struct
{
  Entry            *entry;     /* not a reference: the entry owns the delivery */
  char             *domain;
  GPtrArray        *rcpts;     /* of Rcpt*, borrowed from the entry */
  GPtrArray        *hosts;     /* MX targets by preference (or the route's host) */
  guint16           port;      /* 25, or the route's port */
  guint             host_index;
  char             *host_address;
  gboolean          asked_aaaa;  /* the current host had no A record: AAAA asked */
  MsSmtpClient     *client;
  gboolean          done;
} Delivery;

typedef struct
{
  char   *user;
  guint64 until_us;
} RelayWindow;

struct _MsMta
{
  GObject         parent_instance;
  MsNetwork      *network;
  MsNode         *node;
  char           *hostname;
  GStrv           domains;
  GStrv           networks;
  GPtrArray      *network_masks;  /* of GInetAddressMask* */
  char           *dns_server;
  MsMda          *mda;
  MsMailStore    *users;
  MsMtaSpfPolicy  spf;
  MsDnsZone      *spf_zone;
  MsMtaDkimPolicy dkim;
  char           *dkim_selector;
  char           *dkim_key_pem;
  char           *list_tag;
  guint64         retry_base_us;
  guint64         retry_max_us;
  guint           max_attempts;
  gboolean        starttls;
  guint64         pop_window_us;
  GArray         *routes;         /* of MsMtaRoute, strings owned */
  guint           tempfail;
  GPtrArray      *queue;          /* of Entry* */
  GHashTable     *windows;        /* address -> RelayWindow* */
  guint           id_counter;
  guint           n_relayed;
  guint           n_bounced;
};

G_DEFINE_TYPE (MsMta, ms_mta, G_TYPE_OBJECT)

static void attempt (Entry *entry);

/* The per-connection SMTP policy of the MTA */

#define MS_TYPE_MTA_POLICY (ms_mta_policy_get_type ())
G_DECLARE_FINAL_TYPE (MsMtaPolicy, ms_mta_policy, MS, MTA_POLICY, GObject)

struct _MsMtaPolicy
{
  GObject  parent_instance;
  MsMta   *mta;           /* not a reference: the MTA outlives the run */
  char    *received_spf;  /* for the message of this transaction, or NULL */
  char    *auth_results;
  char    *cram_user;     /* a CRAM-MD5 exchange under way (the engine checks the digest) */
};

static void ms_mta_policy_iface_init (MsSmtpPolicyInterface *iface);

G_DEFINE_TYPE_WITH_CODE (MsMtaPolicy, ms_mta_policy, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (MS_TYPE_SMTP_POLICY, ms_mta_policy_iface_init))

static void
ms_mta_policy_finalize (GObject *object)
{
  MsMtaPolicy *self = MS_MTA_POLICY (object);

  g_free (self->received_spf);
  g_free (self->auth_results);
  g_free (self->cram_user);
  G_OBJECT_CLASS (ms_mta_policy_parent_class)->finalize (object);
}

static void
ms_mta_policy_class_init (MsMtaPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_mta_policy_finalize;
}

static void
ms_mta_policy_init (MsMtaPolicy *self)
{
}

static guint
session_id (const MsSmtpSessionInfo *info)
{
  return info->session != NULL ? info->session->id : 0;
}

static void
event (MsMta      *self,
       const char *type,
       guint       session,
       const char *first_key,
       ...)
{
  MsTrace *trace = _ms_agent_trace (self->node);
  MsTraceEvent *ev;
  va_list args;
  const char *key;

  if (trace == NULL)
    return;
  ev = ms_trace_add_event (trace, type, ms_node_get_name (self->node), session, NULL, NULL);
  va_start (args, first_key);
  for (key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (ev->fields, key, value);
    }
  va_end (args);
}

static char *
mta_authenticate (MsSmtpPolicy            *policy,
                  const MsSmtpSessionInfo *info,
                  const char              *user,
                  const char              *password)
{
  MsMta *self = MS_MTA_POLICY (policy)->mta;
  const char *canonical = NULL;

  if (self->users != NULL)
    canonical = ms_mail_store_check_password (self->users, user, password);
  event (self, "policy", session_id (info), "check", "auth", "user", user,
         "result", canonical != NULL ? "ok" : "failed",
         "reason", canonical != NULL ? "password matches" : "wrong user or password", NULL);
  return g_strdup (canonical);
}

static char *
mta_get_password (MsSmtpPolicy            *policy,
                  const MsSmtpSessionInfo *info,
                  const char              *user,
                  char                   **canonical)
{
  MsMta *self = MS_MTA_POLICY (policy)->mta;
  const char *name;

  if (self->users == NULL || (name = ms_mail_store_lookup_user (self->users, user)) == NULL)
    return NULL;
  *canonical = g_strdup (name);
  g_free (MS_MTA_POLICY (policy)->cram_user);
  MS_MTA_POLICY (policy)->cram_user = g_strdup (name);
  return g_strdup (ms_mail_store_get_password (self->users, name));
}

static gboolean
is_own_network (MsMta      *self,
                const char *address)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (address);

  if (addr == NULL)
    return FALSE;
  for (guint i = 0; i < self->network_masks->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (self->network_masks, i), addr))
      return TRUE;
  return FALSE;
}

/* RFC 7208 §2.4: check MAIL FROM's domain against the connecting address. */
static gboolean
mta_check_sender (MsSmtpPolicy            *policy,
                  const MsSmtpSessionInfo *info,
                  const char              *sender,
                  MsSmtpReply            **reply)
{
  MsMtaPolicy *pol = MS_MTA_POLICY (policy);
  MsMta *self = pol->mta;
  g_autoptr(MsSpfResultInfo) result = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  MsSpfOptions options = { 0 };
  MsTrace *trace = _ms_agent_trace (self->node);

  g_clear_pointer (&pol->received_spf, g_free);
  g_clear_pointer (&pol->auth_results, g_free);
  /* Our own users and networks are not checked: SPF is about mail from outside. */
  if (self->spf == MS_MTA_SPF_OFF || self->spf_zone == NULL || info->user != NULL
      || is_own_network (self, info->client_address))
    return TRUE;
  ip = g_inet_address_new_from_string (info->client_address);
  if (ip == NULL)
    return TRUE;

  options.receiver = self->hostname;
  options.timestamp = ms_network_unix_clock (self->network) / G_USEC_PER_SEC;
  ms_spf_check_host_full (self->spf_zone, ip, NULL, sender, info->helo, &options, &result);
  if (trace != NULL)
    ms_spf_add_trace_event (result, trace, ms_node_get_name (self->node), session_id (info));

  if (result->result == MS_SPF_RESULT_FAIL && self->spf == MS_MTA_SPF_REJECT)
    {
      /* RFC 7372 §3.2: 5.7.23 SPF validation failed */
      *reply = ms_smtp_reply_new (550, "5.7.23", "<%s>: Sender address rejected: %s",
                                  sender, result->explanation != NULL
                                  ? result->explanation : "SPF validation failed");
      event (self, "policy", session_id (info), "check", "spf-action", "result", "rejected",
             "reason", "SPF fail and the policy rejects", NULL);
      return FALSE;
    }
  {
    g_autofree char *resinfo = ms_spf_format_auth_results (result);

    pol->received_spf = ms_spf_format_received_spf (result, self->hostname);
    pol->auth_results = g_strdup_printf ("%s;\r\n\t%s", self->hostname, resinfo);
  }
  event (self, "policy", session_id (info), "check", "spf-action", "result", "marked",
         "spf", ms_spf_result_to_string (result->result),
         "reason", "Received-SPF and Authentication-Results added", NULL);
  return TRUE;
}

/* RFC 5321 §3.6.2, §7.1: the relay rules. */
static MsSmtpVerdict
mta_check_recipient (MsSmtpPolicy            *policy,
                     const MsSmtpSessionInfo *info,
                     const char              *recipient,
                     MsSmtpReply            **reply)
{
  MsMta *self = MS_MTA_POLICY (policy)->mta;
  const char *domain = _ms_agent_domain (recipient);
  guint session = session_id (info);
  const MsMtaRoute *route;

  if (self->tempfail > 0)
    {
      /* Greylisting (RFC 6647 §2.1): a temporary refusal that a real MTA retries. */
      self->tempfail--;
      *reply = ms_smtp_reply_new (451, "4.3.0", "<%s>: Temporary failure, please try again "
                                  "later", recipient);
      event (self, "policy", session, "check", "tempfail", "recipient", recipient,
             "result", "deferred", "reason", "greylisting: the first attempt is refused", NULL);
      return MS_SMTP_VERDICT_DENY;
    }
  if (ms_mta_is_local_domain (self, domain))
    {
      if (self->mda == NULL || ms_mda_lookup (self->mda, recipient) == NULL)
        {
          *reply = ms_smtp_reply_new (550, "5.1.1", "<%s>: Recipient address rejected: "
                                      "User unknown in local recipient table", recipient);
          event (self, "policy", session, "check", "recipient", "recipient", recipient,
                 "result", "rejected", "reason", "unknown user", NULL);
          return MS_SMTP_VERDICT_DENY;
        }
      event (self, "policy", session, "check", "recipient", "recipient", recipient,
             "result", "accepted", "reason", "local domain", NULL);
      return MS_SMTP_VERDICT_ACCEPT;
    }
  route = ms_mta_find_route (self, domain);
  if (route != NULL && strcmp (route->domain, "*") != 0)
    {
      /* Postfix relay_domains: a domain this server forwards to a fixed next hop */
      event (self, "policy", session, "check", "relay", "recipient", recipient,
             "result", "allowed", "reason", "relay domain: forwarded by the transport table",
             "next_hop", route->host, NULL);
      return MS_SMTP_VERDICT_RELAY;
    }
  if (info->user != NULL)
    {
      event (self, "policy", session, "check", "relay", "recipient", recipient,
             "result", "allowed", "reason", "authenticated user", "user", info->user, NULL);
      return MS_SMTP_VERDICT_RELAY;
    }
  if (is_own_network (self, info->client_address))
    {
      event (self, "policy", session, "check", "relay", "recipient", recipient,
             "result", "allowed", "reason", "client in own networks", NULL);
      return MS_SMTP_VERDICT_RELAY;
    }
  if (ms_mta_is_relay_window_open (self, info->client_address))
    {
      event (self, "policy", session, "check", "relay", "recipient", recipient,
             "result", "allowed", "reason", "pop-before-smtp", NULL);
      return MS_SMTP_VERDICT_RELAY;
    }
  *reply = ms_smtp_reply_new (554, "5.7.1", "<%s>: Relay access denied", recipient);
  event (self, "policy", session, "check", "relay", "recipient", recipient,
         "result", "denied", "reason", "not a local domain, client neither authenticated "
         "nor in own networks", NULL);
  return MS_SMTP_VERDICT_DENY;
}

static GBytes *
prepend_headers (GBytes     *message,
                 const char *text)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  GByteArray *out = g_byte_array_sized_new (strlen (text) + len);

  g_byte_array_append (out, (const guint8 *) text, strlen (text));
  g_byte_array_append (out, data, len);
  return g_byte_array_free_to_bytes (out);
}

static MsSmtpReply *
mta_deliver (MsSmtpPolicy            *policy,
             const MsSmtpSessionInfo *info,
             const MsSmtpEnvelope    *envelope,
             GBytes                  *message)
{
  MsMtaPolicy *pol = MS_MTA_POLICY (policy);
  MsMta *self = pol->mta;
  g_autoptr(GBytes) marked = NULL;
  g_autoptr(GBytes) changed = NULL;
  g_autofree char *id = NULL;
  gboolean ours = info->user != NULL || is_own_network (self, info->client_address);

  if (self->list_tag != NULL)
    message = changed = _ms_agent_list_rewrite (self->node, session_id (info), self->list_tag,
                                                message);
  else if (ours && self->dkim_key_pem != NULL)
    {
      /* our own users' mail, sent on port 25: signed on the way out */
      changed = _ms_mta_dkim_sign (self, session_id (info), message);
      message = changed;
    }
  else if (self->dkim != MS_MTA_DKIM_OFF && self->spf_zone != NULL && !ours)
    {
      /* RFC 6376 §6: verify; RFC 8601: the result joins SPF's Authentication-Results */
      g_autoptr(MsDkimResultInfo) dkim = NULL;
      g_autofree char *resinfo = NULL;
      char *ar;

      dkim = _ms_agent_dkim_verify (self->node, session_id (info), self->spf_zone,
                                    ms_network_unix_clock (self->network) / G_USEC_PER_SEC,
                                    message);
      if (dkim->result == MS_DKIM_RESULT_FAIL && self->dkim == MS_MTA_DKIM_REJECT)
        {
          event (self, "policy", session_id (info), "check", "dkim-action", "result", "rejected",
                 "reason", "DKIM fail and the policy rejects", NULL);
          /* RFC 7372 §3.1: 5.7.20 No passing DKIM signature found */
          return ms_smtp_reply_new (550, "5.7.20", "No passing DKIM signature found: %s",
                                    dkim->reason);
        }
      resinfo = ms_dkim_format_auth_results (dkim);
      ar = pol->auth_results != NULL
           ? g_strdup_printf ("%s;\r\n\t%s", pol->auth_results, resinfo)
           : g_strdup_printf ("%s;\r\n\t%s", self->hostname, resinfo);
      g_free (pol->auth_results);
      pol->auth_results = ar;
      event (self, "policy", session_id (info), "check", "dkim-action", "result", "marked",
             "dkim", ms_dkim_result_to_string (dkim->result),
             "reason", "dkim= added to Authentication-Results", NULL);
    }

  if (pol->received_spf == NULL && pol->auth_results != NULL)
    {
      g_autofree char *top = g_strdup_printf ("Authentication-Results: %s\r\n",
                                              pol->auth_results);

      marked = prepend_headers (message, top);
      message = marked;
    }
  else if (pol->received_spf != NULL)
    {
      /* RFC 7208 §9.1 and RFC 8601: on top, above our Received field */
      g_autofree char *top = g_strdup_printf ("Received-SPF: %s\r\n"
                                              "Authentication-Results: %s\r\n",
                                              pol->received_spf, pol->auth_results);

      marked = prepend_headers (message, top);
      message = marked;
    }
  /* the server engine records the message as received; a snapshot here only when the
   * SPF fields changed it */
  id = _ms_mta_enqueue_full (self, session_id (info), envelope->reverse_path,
                             envelope->recipients, message, marked != NULL || changed != NULL,
                             NULL);
  return ms_smtp_reply_new (250, "2.0.0", "Ok: queued as %s", id);
}

static void
ms_mta_policy_iface_init (MsSmtpPolicyInterface *iface)
{
  iface->check_sender = mta_check_sender;
  iface->check_recipient = mta_check_recipient;
  iface->deliver = mta_deliver;
}

/* The same policy with SMTP AUTH: only an MTA that has users announces AUTH. */
GType ms_mta_auth_policy_get_type (void);

typedef struct
{
  MsMtaPolicy parent_instance;
} MsMtaAuthPolicy;

typedef struct
{
  MsMtaPolicyClass parent_class;
} MsMtaAuthPolicyClass;

static void ms_mta_auth_policy_iface_init (MsSmtpPolicyInterface *iface);

G_DEFINE_TYPE_WITH_CODE (MsMtaAuthPolicy, ms_mta_auth_policy, MS_TYPE_MTA_POLICY,
                         G_IMPLEMENT_INTERFACE (MS_TYPE_SMTP_POLICY,
                                                ms_mta_auth_policy_iface_init))

static void
ms_mta_auth_policy_iface_init (MsSmtpPolicyInterface *iface)
{
  ms_mta_policy_iface_init (iface);
  iface->authenticate = mta_authenticate;
  iface->get_password = mta_get_password;
}

static void
ms_mta_auth_policy_class_init (MsMtaAuthPolicyClass *klass)
{
}

static void
ms_mta_auth_policy_init (MsMtaAuthPolicy *self)
{
}

/* A CRAM-MD5 exchange is over (AUTH state left): the engine compared the digest. */
static void
on_server_state (MsSmtpServer *server,
                 int           old_state,
                 int           new_state,
                 gpointer      user_data)
{
  MsMtaPolicy *policy = user_data;
  const char *user = ms_smtp_server_get_authenticated_user (server);
  MsTraceSession *session = ms_engine_get_session (MS_ENGINE (server));

  if (old_state != MS_SMTP_SERVER_STATE_AUTH || policy->cram_user == NULL)
    return;
  event (policy->mta, "policy", session != NULL ? session->id : 0, "check", "auth",
         "user", policy->cram_user, "mechanism", "CRAM-MD5",
         "result", user != NULL ? "ok" : "failed",
         "reason", user != NULL ? "digest matches" : "wrong digest", NULL);
  g_clear_pointer (&policy->cram_user, g_free);
}

/* MsMta */

static char *
mta_next_id (gpointer user_data)
{
  MsMta *self = user_data;

  return _ms_agent_next_id (self->node, "", &self->id_counter);
}

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  MsMta *self = user_data;
  MsSmtpServerConfig config;
  g_autoptr(MsMtaPolicy) policy = g_object_new (self->users != NULL
                                                ? ms_mta_auth_policy_get_type ()
                                                : MS_TYPE_MTA_POLICY, NULL);
  g_autoptr(MsSmtpServer) server = NULL;

  policy->mta = self;
  ms_smtp_server_config_init (&config);
  config.hostname = self->hostname;
  config.clock = ms_network_unix_clock;
  config.clock_data = self->network;
  config.id_func = mta_next_id;
  config.id_data = self;
  config.tls_available = self->starttls;
  config.allow_plain_auth_without_tls = TRUE;
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  g_signal_connect (server, "state-changed", G_CALLBACK (on_server_state), policy);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_SMTP);
}

static void
rcpt_free (Rcpt *r)
{
  g_free (r->address);
  g_free (r->status);
  g_free (r->diagnostic);
  g_free (r->remote_mta);
  g_free (r);
}

static Entry *
entry_ref (Entry *e)
{
  e->ref_count++;
  return e;
}

static void
entry_unref (Entry *e)
{
  if (--e->ref_count > 0)
    return;
  g_ptr_array_unref (e->deliveries);
  g_free (e->id);
  g_free (e->sender);
  g_ptr_array_unref (e->rcpts);
  g_bytes_unref (e->message);
  g_object_unref (e->mta);
  g_free (e);
}

static void
ms_mta_dispose (GObject *object)
{
  MsMta *self = MS_MTA (object);

  if (self->network != NULL)
    ms_node_unlisten (self->node, MS_MTA_SMTP_PORT);
  G_OBJECT_CLASS (ms_mta_parent_class)->dispose (object);
}

static void
ms_mta_finalize (GObject *object)
{
  MsMta *self = MS_MTA (object);

  g_ptr_array_unref (self->queue);
  g_hash_table_unref (self->windows);
  g_ptr_array_unref (self->network_masks);
  for (guint i = 0; i < self->routes->len; i++)
    {
      g_free ((char *) g_array_index (self->routes, MsMtaRoute, i).domain);
      g_free ((char *) g_array_index (self->routes, MsMtaRoute, i).host);
    }
  g_array_unref (self->routes);
  g_free (self->hostname);
  g_strfreev (self->domains);
  g_strfreev (self->networks);
  g_free (self->dns_server);
  g_clear_object (&self->mda);
  g_clear_object (&self->users);
  g_clear_object (&self->spf_zone);
  g_free (self->dkim_selector);
  g_free (self->dkim_key_pem);
  g_free (self->list_tag);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_mta_parent_class)->finalize (object);
}

static void
ms_mta_class_init (MsMtaClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ms_mta_dispose;
  G_OBJECT_CLASS (klass)->finalize = ms_mta_finalize;
}

static void
relay_window_free (RelayWindow *w)
{
  g_free (w->user);
  g_free (w);
}

static void
ms_mta_init (MsMta *self)
{
  self->queue = g_ptr_array_new ();
  self->windows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) relay_window_free);
  self->network_masks = g_ptr_array_new_with_free_func (g_object_unref);
  self->routes = g_array_new (FALSE, TRUE, sizeof (MsMtaRoute));
}

MsMta *
ms_mta_new (MsNode             *node,
            const MsMtaConfig  *config,
            GError            **error)
{
  g_autoptr(MsMta) self = NULL;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (config != NULL && config->hostname != NULL, NULL);

  self = g_object_new (MS_TYPE_MTA, NULL);
  self->node = node;
  self->hostname = g_strdup (config->hostname);
  self->domains = g_strdupv ((GStrv) config->domains);
  self->networks = g_strdupv ((GStrv) config->networks);
  for (guint i = 0; self->networks != NULL && self->networks[i] != NULL; i++)
    {
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (self->networks[i], error);

      if (mask == NULL)
        return NULL;
      g_ptr_array_add (self->network_masks, mask);
    }
  self->dns_server = g_strdup (config->dns_server);
  self->mda = config->mda != NULL ? g_object_ref (config->mda) : NULL;
  self->users = config->users != NULL ? g_object_ref (config->users) : NULL;
  self->spf = config->spf;
  self->spf_zone = config->spf_zone != NULL ? g_object_ref (config->spf_zone) : NULL;
  self->dkim = config->dkim;
  self->dkim_selector = g_strdup (config->dkim_selector);
  self->dkim_key_pem = g_strdup (config->dkim_key_pem);
  self->list_tag = config->list_tag != NULL && *config->list_tag != '\0'
                   ? g_strdup (config->list_tag) : NULL;
  self->retry_base_us = config->retry_base_us ? config->retry_base_us : MS_MTA_DEFAULT_RETRY_BASE;
  self->retry_max_us = config->retry_max_us ? config->retry_max_us : MS_MTA_DEFAULT_RETRY_MAX;
  self->max_attempts = config->max_attempts ? config->max_attempts : MS_MTA_DEFAULT_MAX_ATTEMPTS;
  self->starttls = config->starttls;
  self->pop_window_us = config->pop_before_smtp_us;
  for (guint i = 0; i < config->n_routes; i++)
    {
      MsMtaRoute r = {
        g_ascii_strdown (config->routes[i].domain, -1),
        g_strdup (config->routes[i].host),
        config->routes[i].port ? config->routes[i].port : MS_MTA_SMTP_PORT,
      };

      g_array_append_val (self->routes, r);
    }
  if (!ms_node_listen (node, MS_MTA_SMTP_PORT, on_accept, self, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "%s: port %u is already taken", ms_node_get_name (node), MS_MTA_SMTP_PORT);
      return NULL;
    }
  self->network = g_object_ref (ms_node_get_network (node));
  return g_steal_pointer (&self);
}

MsNode *
ms_mta_get_node (MsMta *self)
{
  g_return_val_if_fail (MS_IS_MTA (self), NULL);
  return self->node;
}

const char *
ms_mta_get_hostname (MsMta *self)
{
  g_return_val_if_fail (MS_IS_MTA (self), NULL);
  return self->hostname;
}

const MsMtaRoute *
ms_mta_find_route (MsMta      *self,
                   const char *domain)
{
  const MsMtaRoute *any = NULL;

  g_return_val_if_fail (MS_IS_MTA (self), NULL);
  if (domain == NULL || ms_mta_is_local_domain (self, domain))
    return NULL;
  for (guint i = 0; i < self->routes->len; i++)
    {
      const MsMtaRoute *r = &g_array_index (self->routes, MsMtaRoute, i);

      if (strcmp (r->domain, "*") == 0)
        {
          if (any == NULL)
            any = r;
        }
      else if (g_ascii_strcasecmp (r->domain, domain) == 0
               || (r->domain[0] == '.' && strlen (domain) > strlen (r->domain)
                   && g_str_has_suffix (domain, r->domain)))
        return r;
    }
  return any;
}

gboolean
ms_mta_is_local_domain (MsMta      *self,
                        const char *domain)
{
  g_return_val_if_fail (MS_IS_MTA (self), FALSE);
  return _ms_agent_strv_has ((const char * const *) self->domains, domain);
}

void
ms_mta_set_tempfail (MsMta *self,
                     guint  n)
{
  g_return_if_fail (MS_IS_MTA (self));
  self->tempfail = n;
}

void
ms_mta_set_spf_policy (MsMta          *self,
                       MsMtaSpfPolicy  policy)
{
  g_return_if_fail (MS_IS_MTA (self));
  self->spf = policy;
}

void
ms_mta_set_dkim_policy (MsMta           *self,
                        MsMtaDkimPolicy  policy)
{
  g_return_if_fail (MS_IS_MTA (self));
  self->dkim = policy;
}

void
ms_mta_set_list_tag (MsMta      *self,
                     const char *tag)
{
  g_return_if_fail (MS_IS_MTA (self));
  g_free (self->list_tag);
  self->list_tag = tag != NULL && *tag != '\0' ? g_strdup (tag) : NULL;
}

GBytes *
_ms_mta_dkim_sign (MsMta  *self,
                   guint   session,
                   GBytes *message)
{
  return _ms_agent_dkim_sign (self->node, session, (const char * const *) self->domains,
                              self->dkim_selector, self->dkim_key_pem,
                              ms_network_unix_clock (self->network) / G_USEC_PER_SEC, message);
}

gboolean
_ms_mta_knows_local_recipient (MsMta      *self,
                               const char *recipient)
{
  return self->mda != NULL && ms_mda_lookup (self->mda, recipient) != NULL;
}

guint
ms_mta_get_n_queued (MsMta *self)
{
  g_return_val_if_fail (MS_IS_MTA (self), 0);
  return self->queue->len;
}

guint
ms_mta_get_n_relayed (MsMta *self)
{
  g_return_val_if_fail (MS_IS_MTA (self), 0);
  return self->n_relayed;
}

guint
ms_mta_get_n_bounced (MsMta *self)
{
  g_return_val_if_fail (MS_IS_MTA (self), 0);
  return self->n_bounced;
}

/* POP before SMTP */

typedef struct
{
  MsMta *mta;
  char  *address;
} WindowClose;

static void
window_close_free (gpointer data)
{
  WindowClose *wc = data;

  g_object_unref (wc->mta);
  g_free (wc->address);
  g_free (wc);
}

static void
on_window_expired (MsScheduler *scheduler,
                   gpointer     user_data)
{
  WindowClose *wc = user_data;
  MsMta *self = wc->mta;
  RelayWindow *w = g_hash_table_lookup (self->windows, wc->address);

  /* A later login may have moved the end. */
  if (w == NULL || w->until_us > ms_scheduler_get_now (scheduler))
    return;
  event (self, "policy", 0, "check", "pop-before-smtp", "address", wc->address,
         "user", w->user, "result", "closed", "reason", "the relay window is over", NULL);
  g_hash_table_remove (self->windows, wc->address);
}

void
ms_mta_open_relay_window (MsMta      *self,
                          const char *address,
                          const char *user)
{
  MsScheduler *scheduler;
  RelayWindow *w;
  WindowClose *wc;
  g_autofree char *seconds = NULL;

  g_return_if_fail (MS_IS_MTA (self));
  if (self->pop_window_us == 0)
    return;
  scheduler = ms_network_get_scheduler (self->network);
  w = g_new0 (RelayWindow, 1);
  w->user = g_strdup (user);
  w->until_us = ms_scheduler_get_now (scheduler) + self->pop_window_us;
  g_hash_table_replace (self->windows, g_strdup (address), w);
  seconds = g_strdup_printf ("%" G_GUINT64_FORMAT, self->pop_window_us / G_USEC_PER_SEC);
  event (self, "policy", 0, "check", "pop-before-smtp", "address", address, "user", user,
         "result", "opened", "seconds", seconds,
         "reason", "a POP3 login from this address opens relaying", NULL);
  wc = g_new0 (WindowClose, 1);
  wc->mta = g_object_ref (self);
  wc->address = g_strdup (address);
  ms_scheduler_schedule (scheduler, self->pop_window_us, "pop-before-smtp-expiry",
                         on_window_expired, wc, window_close_free);
}

gboolean
ms_mta_is_relay_window_open (MsMta      *self,
                             const char *address)
{
  RelayWindow *w;

  g_return_val_if_fail (MS_IS_MTA (self), FALSE);
  w = g_hash_table_lookup (self->windows, address);
  return w != NULL && ms_network_get_now (self->network) < w->until_us;
}

/* The queue */

static void
set_failure (Rcpt       *r,
             RcptState   state,
             const char *status,
             const char *diagnostic,
             const char *remote_mta)
{
  r->state = state;
  g_free (r->status);
  r->status = g_strdup (status);
  g_free (r->diagnostic);
  r->diagnostic = g_strdup (diagnostic);
  g_free (r->remote_mta);
  r->remote_mta = g_strdup (remote_mta);
}

static void
send_bounce (Entry     *entry,
             GPtrArray *failed)
{
  MsMta *self = entry->mta;
  g_autofree MsDsnRecipient *list = g_new0 (MsDsnRecipient, failed->len);
  g_autoptr(GDateTime) now = _ms_agent_now_utc (self->node);
  g_autoptr(GDateTime) arrival = g_date_time_new_from_unix_utc (entry->arrival_s);
  g_autoptr(GBytes) dsn = NULL;
  g_autofree char *dsn_id = NULL;
  g_autofree char *id = NULL;
  const char *rcpts[] = { entry->sender, NULL };

  for (guint i = 0; i < failed->len; i++)
    {
      Rcpt *r = g_ptr_array_index (failed, i);

      list[i].recipient = r->address;
      list[i].status = r->status;
      list[i].diagnostic = r->diagnostic;
      list[i].remote_mta = r->remote_mta;
      event (self, "bounced", entry->session, "queue_id", entry->id, "recipient", r->address,
             "status", r->status, "reason", r->diagnostic, NULL);
    }
  self->n_bounced++;
  /* RFC 5321 §6.1/§4.5.5: never bounce a bounce (null reverse-path) */
  if (entry->sender[0] == '\0')
    {
      event (self, "policy", entry->session, "check", "bounce", "queue_id", entry->id,
             "result", "discarded", "reason", "the message was itself a bounce (MAIL FROM:<>)",
             NULL);
      return;
    }
  dsn_id = _ms_agent_next_id (self->node, "dsn.", &self->id_counter);
  dsn = ms_dsn_build (self->hostname, entry->sender, dsn_id, now, arrival,
                      list, failed->len, entry->message);
  id = _ms_mta_enqueue_full (self, entry->session, "", rcpts, dsn, TRUE,
                             "a delivery status notification to the Return-Path");
}

static void
entry_dequeue (Entry *entry)
{
  if (entry->queued)
    {
      entry->queued = FALSE;
      g_ptr_array_remove (entry->mta->queue, entry);
      entry_unref (entry);
    }
}

static void
on_retry (MsScheduler *scheduler,
          gpointer     user_data)
{
  attempt (user_data);
}

/* All deliveries of an attempt are over: bounce what failed, retry what was deferred. */
static void
attempt_done (Entry *entry)
{
  MsMta *self = entry->mta;
  g_autoptr(GPtrArray) failed = g_ptr_array_new ();
  guint n_deferred = 0;

  for (guint i = 0; i < entry->rcpts->len; i++)
    {
      Rcpt *r = g_ptr_array_index (entry->rcpts, i);

      if (r->state == RCPT_DEFERRED && entry->attempts >= self->max_attempts)
        {
          /* RFC 5321 §4.5.4.1: give up; the DSN keeps the last 4.x.x status */
          g_autofree char *diag = g_strdup_printf ("%s (gave up after %u attempts)",
                                                   r->diagnostic, entry->attempts);

          g_free (r->diagnostic);
          r->diagnostic = g_steal_pointer (&diag);
          r->state = RCPT_FAILED;
        }
      if (r->state == RCPT_FAILED)
        g_ptr_array_add (failed, r);
      else if (r->state == RCPT_DEFERRED)
        n_deferred++;
    }
  if (failed->len > 0)
    {
      send_bounce (entry, failed);
      for (guint i = 0; i < failed->len; i++)
        ((Rcpt *) g_ptr_array_index (failed, i))->state = RCPT_BOUNCED;
    }
  if (n_deferred > 0)
    {
      guint64 delay = self->retry_base_us;
      g_autofree char *retry = NULL;
      g_autofree char *attempts = NULL;

      /* 1, 2, 4 ... times the base, capped */
      for (guint i = 1; i < entry->attempts && delay < self->retry_max_us; i++)
        delay *= 2;
      delay = MIN (delay, self->retry_max_us);
      retry = g_strdup_printf ("%" G_GUINT64_FORMAT, delay / G_USEC_PER_SEC);
      attempts = g_strdup_printf ("%u", entry->attempts);
      for (guint i = 0; i < entry->rcpts->len; i++)
        {
          Rcpt *r = g_ptr_array_index (entry->rcpts, i);

          if (r->state == RCPT_DEFERRED)
            event (self, "deferred", entry->session, "queue_id", entry->id,
                   "recipient", r->address, "status", r->status, "attempt", attempts,
                   "retry_in_s", retry, "reason", r->diagnostic, NULL);
        }
      ms_scheduler_schedule (ms_network_get_scheduler (self->network), delay, "mta-retry",
                             on_retry, entry_ref (entry), (GDestroyNotify) entry_unref);
      return;
    }
  entry_dequeue (entry);
}

static void
delivery_free (Delivery *d)
{
  if (d->client != NULL)
    g_signal_handlers_disconnect_by_data (d->client, d);
  g_clear_object (&d->client);
  g_free (d->domain);
  g_ptr_array_unref (d->rcpts);
  g_clear_pointer (&d->hosts, g_ptr_array_unref);
  g_free (d->host_address);
  g_free (d);
}

static void
delivery_finish (Delivery *d)
{
  Entry *entry = d->entry;

  if (d->done)
    return;
  d->done = TRUE;
  entry_ref (entry);
  if (--entry->in_flight == 0)
    attempt_done (entry);
  entry_unref (entry);
}

static void
delivery_defer_all (Delivery   *d,
                    const char *status,
                    const char *diagnostic)
{
  for (guint i = 0; i < d->rcpts->len; i++)
    set_failure (g_ptr_array_index (d->rcpts, i), RCPT_DEFERRED, status, diagnostic,
                 d->hosts != NULL && d->host_index < d->hosts->len
                 ? g_ptr_array_index (d->hosts, d->host_index) : NULL);
}

static void
delivery_fail_all (Delivery   *d,
                   const char *status,
                   const char *diagnostic)
{
  for (guint i = 0; i < d->rcpts->len; i++)
    set_failure (g_ptr_array_index (d->rcpts, i), RCPT_FAILED, status, diagnostic, NULL);
}

/* "550 5.1.1 <x>: ..." -> "5.1.1", or "5.0.0"/"4.0.0" from the code */
static char *
status_of_reply (guint       code,
                 const char *reply)
{
  const char *p = reply != NULL ? reply : "";

  if (g_ascii_isdigit (p[0]) && p[1] == '.')
    {
      gsize n = strcspn (p, " \r\n");

      return g_strndup (p, n);
    }
  return g_strdup_printf ("%u.0.0", code / 100);
}

static void
on_client_finished (MsSmtpClient *client,
                    const GError *error,
                    gpointer      user_data)
{
  Delivery *d = user_data;
  MsMta *self = d->entry->mta;
  const MsSmtpClientResult *result = ms_smtp_client_get_result (client, 0);
  const char *host = g_ptr_array_index (d->hosts, d->host_index);
  g_autofree char *final_reply = g_strdup_printf ("%u %s", result->code,
                                                  result->reply != NULL ? result->reply : "");

  for (guint i = 0; i < d->rcpts->len; i++)
    {
      Rcpt *r = g_ptr_array_index (d->rcpts, i);
      const MsSmtpClientRecipient *cr = &result->recipients[i];
      guint code = cr->code;
      const char *reply = cr->reply;
      g_autofree char *status = NULL;

      if (code >= 200 && code < 300)
        {
          if (result->delivered)
            {
              r->state = RCPT_DONE;
              self->n_relayed++;
              event (self, "relayed", d->entry->session, "queue_id", d->entry->id,
                     "recipient", r->address, "relay", host, "address", d->host_address,
                     "reply", final_reply, "reason", "the next MTA accepted the message",
                     NULL);
              continue;
            }
          code = result->code;
          reply = result->reply;
        }
      if ((code == 0 && result->code != 0)
          || (result->error != NULL && result->failed_step == MS_SMTP_CLIENT_STEP_MAIL
              && result->code >= 400))
        {
          /* MAIL FROM refused: that reply counts for every recipient (with PIPELINING
           * the RCPTs themselves got "503 need MAIL command") */
          code = result->code;
          reply = result->reply;
        }
      if (code == 0)
        {
          /* no answer for this recipient: the session broke off */
          set_failure (r, RCPT_DEFERRED, "4.4.2",
                       error != NULL ? error->message : "lost connection", host);
          continue;
        }
      status = status_of_reply (code, reply);
      {
        /* the Diagnostic-Code is the reply as the server gave it, code included */
        g_autofree char *diag = g_strdup_printf ("%u %s", code, reply != NULL ? reply : "");

        set_failure (r, code >= 500 ? RCPT_FAILED : RCPT_DEFERRED, status, diag, host);
      }
    }
  delivery_finish (d);
}

static void
on_connected (MsSimTcpEndpoint *ep,
              const GError     *error,
              gpointer          user_data)
{
  Delivery *d = user_data;
  g_autofree char *diag = NULL;

  if (error == NULL)
    return;
  diag = g_strdup_printf ("connect to %s[%s]:25: %s",
                          (const char *) g_ptr_array_index (d->hosts, d->host_index),
                          d->host_address, error->message);
  delivery_defer_all (d, "4.4.1", diag);
  delivery_finish (d);
}

static void
connect_host (Delivery   *d,
              const char *address)
{
  MsMta *self = d->entry->mta;
  MsSmtpClientConfig config = { 0 };
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  MsSimTcpEndpoint *ep;

  g_free (d->host_address);
  d->host_address = g_strdup (address);
  config.helo_name = self->hostname;
  config.tls = self->starttls ? MS_SMTP_CLIENT_TLS_IF_OFFERED : MS_SMTP_CLIENT_TLS_NEVER;
  config.pipelining = TRUE;
  d->client = ms_smtp_client_new (&config);
  for (guint i = 0; i < d->rcpts->len; i++)
    g_ptr_array_add (rcpts, ((Rcpt *) g_ptr_array_index (d->rcpts, i))->address);
  g_ptr_array_add (rcpts, NULL);
  ms_smtp_client_add_message (d->client, d->entry->sender, (const char * const *) rcpts->pdata,
                              d->entry->message);
  g_signal_connect (d->client, "finished", G_CALLBACK (on_client_finished), d);
  ep = ms_network_connect (self->network, self->node, address, d->port,
                           on_connected, d, &error);
  if (ep == NULL)
    {
      g_autofree char *diag = g_strdup_printf ("connect to %s: %s", address, error->message);

      delivery_defer_all (d, "4.4.1", diag);
      delivery_finish (d);
      return;
    }
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (d->client), MS_PROTOCOL_SMTP);
}

static void resolve_host (Delivery *d);

static void
on_host_address (MsNode      *node,
                 const char  *name,
                 MsDnsType    qtype,
                 MsDnsStatus  status,
                 GPtrArray   *records,
                 gpointer     user_data)
{
  Delivery *d = user_data;

  if (status == MS_DNS_STATUS_NOERROR)
    for (guint i = 0; i < records->len; i++)
      {
        MsDnsRecord *rec = g_ptr_array_index (records, i);

        if ((rec->type == MS_DNS_TYPE_A || rec->type == MS_DNS_TYPE_AAAA) && rec->address != NULL)
          {
            g_autofree char *address = g_inet_address_to_string (rec->address);

            connect_host (d, address);
            return;
          }
      }
  if (!d->asked_aaaa && status != MS_DNS_STATUS_TIMEOUT && status != MS_DNS_STATUS_SERVFAIL)
    {
      /* no IPv4 address: an IPv6-only exchange is fine too (RFC 5321 §5.1) */
      d->asked_aaaa = TRUE;
      ms_node_resolve (d->entry->mta->node, d->entry->mta->dns_server,
                       g_ptr_array_index (d->hosts, d->host_index), MS_DNS_TYPE_AAAA,
                       on_host_address, d);
      return;
    }
  if (d->host_index + 1 < d->hosts->len)
    {
      d->host_index++;
      d->asked_aaaa = FALSE;
      resolve_host (d);
      return;
    }
  {
    g_autofree char *diag = g_strdup_printf ("Host or domain name not found. Name service "
                                             "error for name=%s type=%s: %s", name,
                                             ms_dns_type_to_string (qtype),
                                             ms_dns_status_to_string (status));

    if (status == MS_DNS_STATUS_NXDOMAIN || status == MS_DNS_STATUS_NODATA)
      delivery_fail_all (d, "5.4.4", diag);
    else
      delivery_defer_all (d, "4.4.3", diag);
  }
  delivery_finish (d);
}

static void
resolve_host (Delivery *d)
{
  MsMta *self = d->entry->mta;

  ms_node_resolve (self->node, self->dns_server, g_ptr_array_index (d->hosts, d->host_index),
                   MS_DNS_TYPE_A, on_host_address, d);
}

static gint
compare_mx (gconstpointer a,
            gconstpointer b)
{
  const MsDnsRecord *ra = *(MsDnsRecord * const *) a;
  const MsDnsRecord *rb = *(MsDnsRecord * const *) b;

  if (ra->preference != rb->preference)
    return ra->preference < rb->preference ? -1 : 1;
  return g_strcmp0 (ra->target, rb->target);
}

/* RFC 5321 §5.1: the MX records by preference; none at all: the domain itself. */
static void
on_mx (MsNode      *node,
       const char  *name,
       MsDnsType    qtype,
       MsDnsStatus  status,
       GPtrArray   *records,
       gpointer     user_data)
{
  Delivery *d = user_data;

  d->hosts = g_ptr_array_new_with_free_func (g_free);
  if (status == MS_DNS_STATUS_NOERROR)
    {
      g_autoptr(GPtrArray) mx = g_ptr_array_new ();

      for (guint i = 0; i < records->len; i++)
        if (((MsDnsRecord *) g_ptr_array_index (records, i))->type == MS_DNS_TYPE_MX)
          g_ptr_array_add (mx, g_ptr_array_index (records, i));
      g_ptr_array_sort (mx, compare_mx);
      for (guint i = 0; i < mx->len; i++)
        g_ptr_array_add (d->hosts, g_strdup (((MsDnsRecord *) g_ptr_array_index (mx, i))->target));
    }
  if (status == MS_DNS_STATUS_NODATA || (status == MS_DNS_STATUS_NOERROR && d->hosts->len == 0))
    g_ptr_array_add (d->hosts, g_strdup (d->domain));
  if (d->hosts->len == 0)
    {
      g_autofree char *diag = g_strdup_printf ("Host or domain name not found. Name service "
                                               "error for name=%s type=MX: %s", d->domain,
                                               ms_dns_status_to_string (status));

      if (status == MS_DNS_STATUS_NXDOMAIN)
        delivery_fail_all (d, "5.1.2", diag);
      else
        delivery_defer_all (d, "4.4.3", diag);
      delivery_finish (d);
      return;
    }
  event (d->entry->mta, "policy", d->entry->session, "check", "mx", "domain", d->domain,
         "result", g_ptr_array_index (d->hosts, 0),
         "reason", status == MS_DNS_STATUS_NOERROR ? "MX lookup" : "no MX: the A record "
         "of the domain (RFC 5321 5.1)", NULL);
  resolve_host (d);
}

static void
attempt (Entry *entry)
{
  MsMta *self = entry->mta;
  g_autoptr(GPtrArray) deliveries = g_ptr_array_new ();
  const MsMtaRoute *route;

  if (entry->attempts == 0 && entry->snapshot)
    {
      MsTrace *trace = _ms_agent_trace (self->node);
      g_autoptr(GPtrArray) rcpts = g_ptr_array_new ();

      for (guint i = 0; i < entry->rcpts->len; i++)
        g_ptr_array_add (rcpts, ((Rcpt *) g_ptr_array_index (entry->rcpts, i))->address);
      g_ptr_array_add (rcpts, NULL);
      if (trace != NULL)
        ms_trace_add_message (trace, entry->session, ms_node_get_name (self->node),
                              entry->sender, (const char * const *) rcpts->pdata,
                              entry->message);
    }
  entry->attempts++;
  entry->in_flight = 1;  /* held until every delivery has started */
  for (guint i = 0; i < entry->rcpts->len; i++)
    {
      Rcpt *r = g_ptr_array_index (entry->rcpts, i);
      const char *domain = _ms_agent_domain (r->address);
      Delivery *d = NULL;

      if (r->state != RCPT_PENDING && r->state != RCPT_DEFERRED)
        continue;
      if (ms_mta_is_local_domain (self, domain))
        {
          g_autoptr(GError) error = NULL;

          if (self->mda != NULL
              && ms_mda_deliver (self->mda, entry->session, entry->sender, r->address,
                                 entry->message, &error))
            r->state = RCPT_DONE;
          else
            {
              /* RFC 3463: 5.4.6 routing loop detected, 5.1.1 bad destination mailbox */
              gboolean loop = g_error_matches (error, MS_MDA_ERROR, MS_MDA_ERROR_LOOP);
              const char *status = loop ? "5.4.6" : "5.1.1";
              g_autofree char *diag = g_strdup_printf ("550 %s <%s>: %s", status, r->address,
                                                       error != NULL ? error->message
                                                                     : "no local delivery");

              set_failure (r, RCPT_FAILED, status, diag, NULL);
            }
          continue;
        }
      for (guint k = 0; k < deliveries->len; k++)
        if (g_ascii_strcasecmp (((Delivery *) g_ptr_array_index (deliveries, k))->domain,
                                domain) == 0)
          d = g_ptr_array_index (deliveries, k);
      if (d == NULL)
        {
          d = g_new0 (Delivery, 1);
          d->entry = entry;
          d->domain = g_ascii_strdown (domain, -1);
          d->rcpts = g_ptr_array_new ();
          g_ptr_array_add (deliveries, d);
        }
      r->state = RCPT_PENDING;
      g_ptr_array_add (d->rcpts, r);
    }
  entry->in_flight += deliveries->len;
  entry_ref (entry);
  for (guint k = 0; k < deliveries->len; k++)
    {
      Delivery *d = g_ptr_array_index (deliveries, k);

      g_ptr_array_add (entry->deliveries, d);
      d->port = MS_MTA_SMTP_PORT;
      if ((route = ms_mta_find_route (self, d->domain)) != NULL)
        {
          /* the transport table: a fixed next hop instead of the MX (no MX lookup) */
          g_autofree char *port = g_strdup_printf ("%u", route->port);
          g_autoptr(GInetAddress) literal = g_inet_address_new_from_string (route->host);

          d->port = route->port;
          d->hosts = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (d->hosts, g_strdup (route->host));
          event (self, "policy", entry->session, "check", "transport", "domain", d->domain,
                 "result", route->host, "port", port,
                 "reason", strcmp (route->domain, "*") == 0
                           ? "smarthost: all non-local mail goes to one next hop"
                           : "transport table: this domain goes to a fixed next hop, not the MX",
                 NULL);
          if (literal != NULL)
            connect_host (d, route->host);
          else
            resolve_host (d);
        }
      else
        ms_node_resolve (self->node, self->dns_server, d->domain, MS_DNS_TYPE_MX, on_mx, d);
    }
  if (--entry->in_flight == 0)
    attempt_done (entry);
  entry_unref (entry);
}

char *
ms_mta_enqueue (MsMta              *self,
                guint               session,
                const char         *sender,
                const char * const *recipients,
                GBytes             *message)
{
  return _ms_mta_enqueue_full (self, session, sender, recipients, message, TRUE, NULL);
}

char *
_ms_mta_enqueue_full (MsMta              *self,
                      guint               session,
                      const char         *sender,
                      const char * const *recipients,
                      GBytes             *message,
                      gboolean            snapshot,
                      const char         *reason)
{
  Entry *entry;
  MsTrace *trace;
  char *id;

  g_return_val_if_fail (MS_IS_MTA (self), NULL);

  entry = g_new0 (Entry, 1);
  entry->ref_count = 1;
  entry->mta = g_object_ref (self);
  entry->id = _ms_agent_next_id (self->node, "", &self->id_counter);
  entry->sender = g_strdup (sender != NULL ? sender : "");
  entry->rcpts = g_ptr_array_new_with_free_func ((GDestroyNotify) rcpt_free);
  entry->deliveries = g_ptr_array_new_with_free_func ((GDestroyNotify) delivery_free);
  for (guint i = 0; recipients[i] != NULL; i++)
    {
      Rcpt *r = g_new0 (Rcpt, 1);

      r->address = g_strdup (recipients[i]);
      g_ptr_array_add (entry->rcpts, r);
    }
  entry->message = g_bytes_ref (message);
  entry->session = session;
  entry->arrival_s = ms_network_unix_clock (self->network) / G_USEC_PER_SEC;
  entry->queued = TRUE;
  g_ptr_array_add (self->queue, entry);

  trace = _ms_agent_trace (self->node);
  if (trace != NULL)
    {
      g_autofree char *rcpt_text = g_strjoinv (" ", (char **) recipients);

      event (self, "queued", session, "queue_id", entry->id, "from", entry->sender,
             "recipients", rcpt_text,
             "reason", reason != NULL ? reason : "accepted into the queue", NULL);
    }
  entry->snapshot = snapshot;
  id = g_strdup (entry->id);
  /* the queue manager picks it up after the 250 has gone out */
  ms_scheduler_schedule (ms_network_get_scheduler (self->network), 0, "mta-queue",
                         on_retry, entry_ref (entry), (GDestroyNotify) entry_unref);
  return id;
}
