/* ms-mda.c: the mail delivery agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mda.h"

#include <string.h>

#include "ms-agents-private.h"
#include "ms-mailbox-recorder.h"

struct _MsMda
{
  GObject      parent_instance;
  MsNetwork   *network;  /* keeps the node alive */
  MsNode      *node;
  MsMailStore *store;
  guint        n_delivered;
};

G_DEFINE_TYPE (MsMda, ms_mda, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-mda-error-quark, ms_mda_error)

static void
ms_mda_finalize (GObject *object)
{
  MsMda *self = MS_MDA (object);

  g_clear_object (&self->store);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_mda_parent_class)->finalize (object);
}

static void
ms_mda_class_init (MsMdaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_mda_finalize;
}

static void
ms_mda_init (MsMda *self)
{
}

MsMda *
ms_mda_new (MsNode      *node,
            MsMailStore *store)
{
  MsMda *self;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (MS_IS_MAIL_STORE (store), NULL);

  self = g_object_new (MS_TYPE_MDA, NULL);
  self->network = g_object_ref (ms_node_get_network (node));
  self->node = node;
  self->store = g_object_ref (store);
  _ms_mailbox_recorder_attach (node, store);
  return self;
}

MsNode *
ms_mda_get_node (MsMda *self)
{
  g_return_val_if_fail (MS_IS_MDA (self), NULL);
  return self->node;
}

MsMailStore *
ms_mda_get_store (MsMda *self)
{
  g_return_val_if_fail (MS_IS_MDA (self), NULL);
  return self->store;
}

const char *
ms_mda_lookup (MsMda      *self,
               const char *recipient)
{
  g_return_val_if_fail (MS_IS_MDA (self), NULL);
  return ms_mail_store_lookup_user (self->store, recipient);
}

guint
ms_mda_get_n_delivered (MsMda *self)
{
  g_return_val_if_fail (MS_IS_MDA (self), 0);
  return self->n_delivered;
}

/* A Delivered-To naming this mailbox already: the message came back (a loop). */
static gboolean
has_delivered_to (GBytes     *message,
                  const char *user)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *end = data + len;
  gsize ulen = strlen (user);
  const char *p = data;

  while (p < end && !(p[0] == '\r' && p + 1 < end && p[1] == '\n'))
    {
      const char *eol = memchr (p, '\n', end - p);

      if (eol == NULL)
        break;
      if (eol - p > 13 && g_ascii_strncasecmp (p, "Delivered-To:", 13) == 0)
        {
          const char *v = p + 13;

          while (v < eol && *v == ' ')
            v++;
          if ((gsize) (eol - v) >= ulen && g_ascii_strncasecmp (v, user, ulen) == 0)
            return TRUE;
        }
      p = eol + 1;
    }
  return FALSE;
}

/* RFC 5321 §4.4: the final delivery adds Return-Path; Delivered-To as Postfix does. */
gboolean
ms_mda_deliver (MsMda       *self,
                guint        session,
                const char  *reverse_path,
                const char  *recipient,
                GBytes      *message,
                GError     **error)
{
  const char *user;
  g_autofree char *top = NULL;
  g_autoptr(GByteArray) copy = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const guint8 *data;
  MsTrace *trace = _ms_agent_trace (self->node);
  const char *rcpts[] = { recipient, NULL };
  MsStoredMessage *stored;

  g_return_val_if_fail (MS_IS_MDA (self), FALSE);

  user = ms_mail_store_lookup_user (self->store, recipient);
  if (user == NULL)
    {
      g_set_error (error, MS_MDA_ERROR, MS_MDA_ERROR_UNKNOWN_USER,
                   "%s: no such mailbox", recipient);
      if (trace != NULL)
        ms_trace_add_event (trace, "bounced", ms_node_get_name (self->node), session,
                            "recipient", recipient, "reason", "unknown user", NULL);
      return FALSE;
    }
  if (has_delivered_to (message, user))
    {
      g_set_error (error, MS_MDA_ERROR, MS_MDA_ERROR_LOOP,
                   "mail forwarding loop for %s", user);
      if (trace != NULL)
        ms_trace_add_event (trace, "bounced", ms_node_get_name (self->node), session,
                            "recipient", user, "reason", "mail forwarding loop", NULL);
      return FALSE;
    }

  data = g_bytes_get_data (message, &len);
  top = g_strdup_printf ("Return-Path: <%s>\r\nDelivered-To: %s\r\n",
                         reverse_path != NULL ? reverse_path : "", user);
  copy = g_byte_array_sized_new (strlen (top) + len);
  g_byte_array_append (copy, (const guint8 *) top, strlen (top));
  g_byte_array_append (copy, data, len);
  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&copy));
  _ms_mailbox_recorder_set_delivering (self->store, TRUE);
  stored = ms_mail_store_deliver (self->store, user, bytes, error);
  _ms_mailbox_recorder_set_delivering (self->store, FALSE);
  if (stored == NULL)
    return FALSE;

  self->n_delivered++;
  if (trace != NULL)
    {
      g_autofree char *uid = g_strdup_printf ("%u", stored->uid);
      g_autofree char *subject = NULL;
      g_autofree char *from = NULL;

      /* uid, subject and from: what the window's mailbox pane lists */
      _ms_mailbox_describe_message (bytes, &subject, &from);
      ms_trace_add_event (trace, "delivered", ms_node_get_name (self->node), session,
                          "recipient", user, "mailbox", "INBOX",
                          "reason", "stored with Return-Path and Delivered-To",
                          "uid", uid, "subject", subject ? subject : "",
                          "from", from ? from : "", NULL);
      ms_trace_add_message (trace, session, ms_node_get_name (self->node),
                            reverse_path != NULL ? reverse_path : "", rcpts, bytes);
    }
  return TRUE;
}
