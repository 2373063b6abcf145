/* ms-smtp-policy.c: the MsSmtpPolicy interface and its default answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-smtp-policy"

#include "config.h"

#include "ms-smtp-policy.h"

G_DEFINE_INTERFACE (MsSmtpPolicy, ms_smtp_policy, G_TYPE_OBJECT)

static void
ms_smtp_policy_default_init (MsSmtpPolicyInterface *iface)
{
}

gboolean
ms_smtp_policy_can_authenticate (MsSmtpPolicy *self)
{
  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), FALSE);
  return MS_SMTP_POLICY_GET_IFACE (self)->authenticate != NULL;
}

gboolean
ms_smtp_policy_can_get_password (MsSmtpPolicy *self)
{
  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), FALSE);
  return MS_SMTP_POLICY_GET_IFACE (self)->get_password != NULL;
}

char *
ms_smtp_policy_authenticate (MsSmtpPolicy            *self,
                             const MsSmtpSessionInfo *info,
                             const char              *user,
                             const char              *password)
{
  MsSmtpPolicyInterface *iface;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), NULL);

  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->authenticate == NULL)
    return NULL;
  return iface->authenticate (self, info, user, password);
}

char *
ms_smtp_policy_get_password (MsSmtpPolicy            *self,
                             const MsSmtpSessionInfo *info,
                             const char              *user,
                             char                   **canonical)
{
  MsSmtpPolicyInterface *iface;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), NULL);

  if (canonical != NULL)
    *canonical = NULL;
  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->get_password == NULL)
    return NULL;
  return iface->get_password (self, info, user, canonical);
}

gboolean
ms_smtp_policy_check_sender (MsSmtpPolicy            *self,
                             const MsSmtpSessionInfo *info,
                             const char              *sender,
                             MsSmtpReply            **reply)
{
  MsSmtpPolicyInterface *iface;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), FALSE);
  g_return_val_if_fail (reply != NULL && *reply == NULL, FALSE);

  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->check_sender == NULL)
    return TRUE;
  return iface->check_sender (self, info, sender, reply);
}

MsSmtpVerdict
ms_smtp_policy_check_recipient (MsSmtpPolicy            *self,
                                const MsSmtpSessionInfo *info,
                                const char              *recipient,
                                MsSmtpReply            **reply)
{
  MsSmtpPolicyInterface *iface;
  MsSmtpVerdict verdict;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), MS_SMTP_VERDICT_DENY);
  g_return_val_if_fail (reply != NULL && *reply == NULL, MS_SMTP_VERDICT_DENY);

  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->check_recipient == NULL)
    return MS_SMTP_VERDICT_ACCEPT;
  verdict = iface->check_recipient (self, info, recipient, reply);
  if (verdict == MS_SMTP_VERDICT_DENY && *reply == NULL)
    {
      /* A policy bug, but the client still deserves a truthful answer. */
      g_warning ("policy denied %s without a reply", recipient);
      *reply = ms_smtp_reply_new (550, "5.7.1", "<%s>: Recipient address rejected", recipient);
    }
  return verdict;
}

MsSmtpReply *
ms_smtp_policy_deliver (MsSmtpPolicy            *self,
                        const MsSmtpSessionInfo *info,
                        const MsSmtpEnvelope    *envelope,
                        GBytes                  *message)
{
  MsSmtpPolicyInterface *iface;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), NULL);

  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->deliver == NULL)
    return NULL;
  return iface->deliver (self, info, envelope, message);
}

MsSmtpReply *
ms_smtp_policy_vrfy (MsSmtpPolicy            *self,
                     const MsSmtpSessionInfo *info,
                     const char              *argument)
{
  MsSmtpPolicyInterface *iface;

  g_return_val_if_fail (MS_IS_SMTP_POLICY (self), NULL);

  iface = MS_SMTP_POLICY_GET_IFACE (self);
  if (iface->vrfy == NULL)
    return NULL;
  return iface->vrfy (self, info, argument);
}
