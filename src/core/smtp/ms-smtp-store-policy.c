/* ms-smtp-store-policy.c: local delivery and relay rules over an MsMailStore
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-smtp-store-policy"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "ms-smtp-store-policy.h"

struct _MsSmtpStorePolicy
{
  GObject      parent_instance;
  MsMailStore *store;
  char        *hostname;
  GPtrArray   *trusted;  /* GInetAddressMask* */
  GQueue       queue;    /* MsSmtpQueuedMessage* */
};

enum {
  RELAY_QUEUED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void ms_smtp_store_policy_iface_init (MsSmtpPolicyInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MsSmtpStorePolicy, ms_smtp_store_policy, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MS_TYPE_SMTP_POLICY,
                                                      ms_smtp_store_policy_iface_init))

void
ms_smtp_queued_message_free (MsSmtpQueuedMessage *message)
{
  if (message == NULL)
    return;
  g_free (message->queue_id);
  g_free (message->sender);
  g_strfreev (message->recipients);
  g_clear_pointer (&message->message, g_bytes_unref);
  g_free (message);
}

/* A "policy" event in the session's trace: the decision and why (ARCHITECTURE.md). */
static void
policy_event (MsSmtpStorePolicy       *self,
              const MsSmtpSessionInfo *info,
              const char              *check,
              const char              *result,
              const char              *address,
              const char              *reason)
{
  MsTraceSession *session = info != NULL ? info->session : NULL;

  if (session == NULL || session->trace == NULL)
    return;
  if (address != NULL)
    ms_trace_add_event (session->trace, "policy", self->hostname, session->id,
                        "check", check, "result", result, "address", address,
                        "reason", reason, NULL);
  else
    ms_trace_add_event (session->trace, "policy", self->hostname, session->id,
                        "check", check, "result", result, "reason", reason, NULL);
}

static const char *
domain_of (const char *mailbox)
{
  const char *at = strrchr (mailbox, '@');

  return at != NULL ? at + 1 : NULL;
}

/* The store's user for a recipient: "alice@example.com", or the bare "Postmaster"
 * (RFC 5321 §4.1.1.3) when a postmaster user exists. */
static const char *
local_user (MsSmtpStorePolicy *self,
            const char        *mailbox)
{
  if (domain_of (mailbox) == NULL)
    return ms_mail_store_lookup_user (self->store, "postmaster");
  return ms_mail_store_lookup_user (self->store, mailbox);
}

static gboolean
is_local (MsSmtpStorePolicy *self,
          const char        *mailbox)
{
  const char *domain = domain_of (mailbox);

  return domain == NULL || ms_mail_store_is_local_domain (self->store, domain);
}

static char *
store_authenticate (MsSmtpPolicy            *policy,
                    const MsSmtpSessionInfo *info,
                    const char              *user,
                    const char              *password)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (policy);
  const char *canonical = ms_mail_store_check_password (self->store, user, password);

  if (canonical != NULL)
    policy_event (self, info, "auth", "pass", canonical, "password matches");
  else if (ms_mail_store_lookup_user (self->store, user) == NULL)
    policy_event (self, info, "auth", "fail", user, "no such user");
  else
    policy_event (self, info, "auth", "fail", user, "wrong password");
  return g_strdup (canonical);
}

static char *
store_get_password (MsSmtpPolicy            *policy,
                    const MsSmtpSessionInfo *info,
                    const char              *user,
                    char                   **canonical)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (policy);
  const char *address = ms_mail_store_lookup_user (self->store, user);

  if (address == NULL)
    {
      policy_event (self, info, "auth", "fail", user, "no such user");
      return NULL;
    }
  /* The CRAM-MD5 digest is compared by the server; record who asked. */
  policy_event (self, info, "auth", "lookup", address, "shared secret looked up for CRAM-MD5");
  *canonical = g_strdup (address);
  return g_strdup (ms_mail_store_get_password (self->store, address));
}

static MsSmtpVerdict
store_check_recipient (MsSmtpPolicy            *policy,
                       const MsSmtpSessionInfo *info,
                       const char              *recipient,
                       MsSmtpReply            **reply)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (policy);
  g_autofree char *why = NULL;

  if (is_local (self, recipient))
    {
      if (local_user (self, recipient) != NULL)
        {
          policy_event (self, info, "recipient", "accept", recipient, "local mailbox");
          return MS_SMTP_VERDICT_ACCEPT;
        }
      policy_event (self, info, "recipient", "reject", recipient,
                    "local domain, but no such user");
      *reply = ms_smtp_reply_new (550, "5.1.1",
                                  "<%s>: Recipient address rejected: "
                                  "User unknown in local recipient table", recipient);
      return MS_SMTP_VERDICT_DENY;
    }

  /* Not ours: relaying (RFC 5321 §3.6, §7.1: no open relays). */
  if (info->user != NULL)
    {
      why = g_strdup_printf ("authenticated as %s", info->user);
      policy_event (self, info, "relay", "allow", recipient, why);
      return MS_SMTP_VERDICT_RELAY;
    }
  if (ms_smtp_store_policy_is_trusted_client (self, info->client_address))
    {
      why = g_strdup_printf ("client %s is in a trusted network", info->client_address);
      policy_event (self, info, "relay", "allow", recipient, why);
      return MS_SMTP_VERDICT_RELAY;
    }
  why = g_strdup_printf ("%s is not a local domain; client %s is not authenticated "
                         "and not in a trusted network", domain_of (recipient),
                         info->client_address);
  policy_event (self, info, "relay", "deny", recipient, why);
  *reply = ms_smtp_reply_new (554, "5.7.1", "<%s>: Relay access denied", recipient);
  return MS_SMTP_VERDICT_DENY;
}

static gboolean
array_has (GPtrArray  *array,
           const char *item)
{
  for (guint i = 0; i < array->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (array, i), item) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
in_list (const char * const *list,
         const char         *item)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], item) == 0)
      return TRUE;
  return FALSE;
}

static MsSmtpReply *
store_deliver (MsSmtpPolicy            *policy,
               const MsSmtpSessionInfo *info,
               const MsSmtpEnvelope    *envelope,
               GBytes                  *message)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (policy);
  g_autoptr(GPtrArray) done = g_ptr_array_new ();
  g_autoptr(GPtrArray) relay = g_ptr_array_new_with_free_func (g_free);
  MsTraceSession *session = info->session;
  gsize message_len;
  const guint8 *message_data = g_bytes_get_data (message, &message_len);

  for (guint i = 0; i < envelope->n_recipients; i++)
    {
      const char *rcpt = envelope->recipients[i];
      const char *user;
      g_autoptr(GByteArray) copy = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *top = NULL;

      if (in_list (envelope->relayed, rcpt))
        {
          if (!array_has (relay, rcpt))
            g_ptr_array_add (relay, g_strdup (rcpt));
          continue;
        }
      user = local_user (self, rcpt);
      /* Gone since RCPT, or named twice: one copy per mailbox. */
      if (user == NULL || array_has (done, user))
        continue;
      g_ptr_array_add (done, (gpointer) user);

      /* The MDA step (RFC 5321 §4.4): Return-Path from the envelope sender, and
       * Delivered-To naming the mailbox (a loop guard, as Postfix's local(8)). */
      top = g_strdup_printf ("Return-Path: <%s>\r\nDelivered-To: %s\r\n",
                             envelope->reverse_path, user);
      copy = g_byte_array_sized_new (strlen (top) + message_len);
      g_byte_array_append (copy, (const guint8 *) top, strlen (top));
      g_byte_array_append (copy, message_data, message_len);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&copy));
      if (ms_mail_store_deliver (self->store, user, bytes, &error) == NULL)
        return ms_smtp_reply_new (451, "4.3.0", "Error: local delivery to <%s> failed: %s",
                                  user, error->message);
      if (session != NULL && session->trace != NULL)
        ms_trace_add_event (session->trace, "delivered", self->hostname, session->id,
                            "recipient", user, "mailbox", "INBOX",
                            "queue_id", envelope->queue_id, NULL);
    }

  if (relay->len > 0)
    {
      MsSmtpQueuedMessage *queued = g_new0 (MsSmtpQueuedMessage, 1);

      queued->queue_id = g_strdup (envelope->queue_id);
      queued->sender = g_strdup (envelope->reverse_path);
      g_ptr_array_add (relay, NULL);
      queued->recipients = (GStrv) g_ptr_array_steal (relay, NULL);
      queued->message = g_bytes_ref (message);
      g_queue_push_tail (&self->queue, queued);
      if (session != NULL && session->trace != NULL)
        {
          g_autofree char *joined = g_strjoinv (", ", queued->recipients);
          ms_trace_add_event (session->trace, "relay-queued", self->hostname, session->id,
                              "recipients", joined, "queue_id", envelope->queue_id,
                              "reason", "held in the outbound queue: the lab has no Internet",
                              NULL);
        }
      g_signal_emit (self, signals[RELAY_QUEUED], 0, queued);
    }
  return NULL;
}

/* VRFY (RFC 5321 §3.5): honest answers, since the lab is for learning what they mean. */
static MsSmtpReply *
store_vrfy (MsSmtpPolicy            *policy,
            const MsSmtpSessionInfo *info,
            const char              *argument)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (policy);
  g_autofree char *name = g_strdup (argument);
  const char *user;
  gsize len = strlen (name);

  if (len >= 2 && name[0] == '<' && name[len - 1] == '>')
    {
      name[len - 1] = '\0';
      memmove (name, name + 1, len - 1);
    }
  for (const char *p = name; *p; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 127 || strchr ("<>()[],;:\\\"", *p) != NULL)
      return ms_smtp_reply_new (553, "5.1.3", "<%s>: Bad address syntax", name);
  if (*name == '\0')
    return ms_smtp_reply_new (553, "5.1.3", "Bad address syntax");

  if (strchr (name, '@') != NULL && !is_local (self, name))
    return NULL;  /* not ours to verify: 252 */
  user = ms_mail_store_lookup_user (self->store, name);
  if (user == NULL)
    return ms_smtp_reply_new (550, "5.1.1", "<%s>: Recipient address rejected: "
                              "User unknown in local recipient table", name);
  return ms_smtp_reply_new (250, "2.1.5", "<%s>", user);
}

static void
ms_smtp_store_policy_iface_init (MsSmtpPolicyInterface *iface)
{
  iface->authenticate = store_authenticate;
  iface->get_password = store_get_password;
  iface->check_recipient = store_check_recipient;
  iface->deliver = store_deliver;
  iface->vrfy = store_vrfy;
}

static void
ms_smtp_store_policy_finalize (GObject *object)
{
  MsSmtpStorePolicy *self = MS_SMTP_STORE_POLICY (object);

  g_clear_object (&self->store);
  g_free (self->hostname);
  g_ptr_array_unref (self->trusted);
  g_queue_clear_full (&self->queue, (GDestroyNotify) ms_smtp_queued_message_free);

  G_OBJECT_CLASS (ms_smtp_store_policy_parent_class)->finalize (object);
}

static void
ms_smtp_store_policy_class_init (MsSmtpStorePolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_smtp_store_policy_finalize;

  /* (const MsSmtpQueuedMessage *) owned by the queue */
  signals[RELAY_QUEUED] =
    g_signal_new ("relay-queued", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ms_smtp_store_policy_init (MsSmtpStorePolicy *self)
{
  self->trusted = g_ptr_array_new_with_free_func (g_object_unref);
  g_queue_init (&self->queue);
}

MsSmtpStorePolicy *
ms_smtp_store_policy_new (MsMailStore *store,
                          const char  *hostname)
{
  MsSmtpStorePolicy *self;

  g_return_val_if_fail (MS_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MS_TYPE_SMTP_STORE_POLICY, NULL);
  self->store = g_object_ref (store);
  self->hostname = g_strdup (hostname != NULL ? hostname : "localhost");
  return self;
}

MsMailStore *
ms_smtp_store_policy_get_store (MsSmtpStorePolicy *self)
{
  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), NULL);
  return self->store;
}

gboolean
ms_smtp_store_policy_set_trusted_networks (MsSmtpStorePolicy  *self,
                                           const char * const *cidrs,
                                           GError            **error)
{
  g_autoptr(GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), FALSE);

  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      GInetAddressMask *mask = g_inet_address_mask_new_from_string (cidrs[i], error);

      if (mask == NULL)
        return FALSE;
      g_ptr_array_add (masks, mask);
    }
  g_ptr_array_unref (self->trusted);
  self->trusted = g_steal_pointer (&masks);
  return TRUE;
}

gboolean
ms_smtp_store_policy_is_trusted_client (MsSmtpStorePolicy *self,
                                        const char        *address)
{
  g_autoptr(GInetAddress) inet = NULL;

  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), FALSE);

  if (address == NULL || self->trusted->len == 0)
    return FALSE;
  /* An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d. */
  if (g_str_has_prefix (address, "::ffff:") && strchr (address, '.') != NULL)
    address += 7;
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    return FALSE;
  for (guint i = 0; i < self->trusted->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (self->trusted, i), inet))
      return TRUE;
  return FALSE;
}

guint
ms_smtp_store_policy_get_n_queued (MsSmtpStorePolicy *self)
{
  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), 0);
  return self->queue.length;
}

const MsSmtpQueuedMessage *
ms_smtp_store_policy_get_queued (MsSmtpStorePolicy *self,
                                 guint              index)
{
  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), NULL);
  return g_queue_peek_nth (&self->queue, index);
}

MsSmtpQueuedMessage *
ms_smtp_store_policy_pop_queued (MsSmtpStorePolicy *self)
{
  g_return_val_if_fail (MS_IS_SMTP_STORE_POLICY (self), NULL);
  return g_queue_pop_head (&self->queue);
}
