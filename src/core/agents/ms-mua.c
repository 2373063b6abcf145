/* ms-mua.c: the mail user agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mua.h"

#include <stdlib.h>
#include <string.h>

#include "ms-agents-private.h"
#include "ms-imap-client.h"
#include "ms-pop3-client.h"
#include "ms-smtp-client.h"

typedef enum
{
  OP_SEND,
  OP_POP3,
  OP_IMAP,
} OpKind;

/* One send or fetch in progress. */
typedef struct
{
  MsMua        *mua;          /* not a reference */
  OpKind        kind;
  guint         index;
  /* the request, copied */
  char         *server;
  guint16       port;
  char         *user;
  char         *password;
  char         *mechanism;
  gboolean      starttls;
  gboolean      delete;
  gboolean      apop;
  char         *mailbox;
  char         *search;
  gboolean      peek;
  char         *store;
  MsEngine     *engine;       /* the client engine */
  char         *search_tag;   /* IMAP (the client's tag strings die with the command) */
  char         *fetch_tag;
  gboolean      logout_sent;
} Op;

struct _MsMua
{
  GObject     parent_instance;
  MsNetwork  *network;
  MsNode     *node;
  char       *helo_name;
  GPtrArray  *sends;    /* of MsMuaSendResult* */
  GPtrArray  *fetches;  /* of MsMuaFetchResult* */
  GPtrArray  *ops;      /* of Op*: kept until the end, callbacks name them */
};

G_DEFINE_TYPE (MsMua, ms_mua, G_TYPE_OBJECT)

static void
send_result_free (MsMuaSendResult *r)
{
  g_free (r->from);
  g_strfreev (r->recipients);
  g_free (r->codes);
  g_strfreev (r->replies);
  g_free (r->reply);
  g_clear_error (&r->error);
  g_clear_pointer (&r->message, g_bytes_unref);
  g_free (r);
}

static void
fetch_result_free (MsMuaFetchResult *r)
{
  g_free (r->user);
  g_clear_error (&r->error);
  g_ptr_array_unref (r->messages);
  g_array_unref (r->numbers);
  g_free (r);
}

static void op_release (Op *op);

static void
op_free (Op *op)
{
  op_release (op);
  g_free (op->server);
  g_free (op->user);
  g_free (op->password);
  g_free (op->mechanism);
  g_free (op->mailbox);
  g_free (op->search);
  g_free (op->store);
  g_free (op->search_tag);
  g_free (op->fetch_tag);
  g_free (op);
}

static void
ms_mua_finalize (GObject *object)
{
  MsMua *self = MS_MUA (object);

  g_ptr_array_unref (self->ops);
  g_ptr_array_unref (self->sends);
  g_ptr_array_unref (self->fetches);
  g_free (self->helo_name);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_mua_parent_class)->finalize (object);
}

static void
ms_mua_class_init (MsMuaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_mua_finalize;
}

static void
ms_mua_init (MsMua *self)
{
  self->sends = g_ptr_array_new_with_free_func ((GDestroyNotify) send_result_free);
  self->fetches = g_ptr_array_new_with_free_func ((GDestroyNotify) fetch_result_free);
  self->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
}

MsMua *
ms_mua_new (MsNode     *node,
            const char *helo_name)
{
  MsMua *self;

  g_return_val_if_fail (node != NULL, NULL);

  self = g_object_new (MS_TYPE_MUA, NULL);
  self->node = node;
  self->network = g_object_ref (ms_node_get_network (node));
  self->helo_name = g_strdup (helo_name != NULL ? helo_name : ms_node_get_name (node));
  return self;
}

MsNode *
ms_mua_get_node (MsMua *self)
{
  g_return_val_if_fail (MS_IS_MUA (self), NULL);
  return self->node;
}

static void
event (MsMua      *self,
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

static guint
engine_session (MsEngine *engine)
{
  MsTraceSession *s = engine != NULL ? ms_engine_get_session (engine) : NULL;

  return s != NULL ? s->id : 0;
}

/* Composing */

MsMessage *
ms_mua_compose (MsMua                *self,
                const MsMessageSpec  *spec,
                GError              **error)
{
  g_return_val_if_fail (MS_IS_MUA (self), NULL);
  return ms_message_new (spec, error);
}

MsMessage *
ms_mua_compose_reply (MsMua                *self,
                      MsMessage            *original,
                      const MsMessageSpec  *spec,
                      GError              **error)
{
  MsMessageSpec copy = *spec;
  g_autoptr(GPtrArray) to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *original_subject = NULL;
  g_autofree char *references = NULL;
  const char *id, *refs;
  MsMessage *reply;

  g_return_val_if_fail (MS_IS_MUA (self), NULL);
  g_return_val_if_fail (MS_IS_MESSAGE (original), NULL);

  if (copy.to == NULL || copy.to->len == 0)
    {
      /* RFC 5322 §3.6.2: replies go to Reply-To when present, else From */
      to = ms_message_dup_addresses (original, "Reply-To");
      if (to == NULL || to->len == 0)
        {
          g_clear_pointer (&to, g_ptr_array_unref);
          to = ms_message_dup_addresses (original, "From");
        }
      copy.to = to;
    }
  if (copy.subject == NULL)
    {
      original_subject = ms_message_dup_subject (original);
      if (original_subject == NULL)
        original_subject = g_strdup ("");
      /* one "Re: ", not a growing chain (RFC 5322 §3.6.5) */
      subject = g_ascii_strncasecmp (original_subject, "Re:", 3) == 0
        ? g_strdup (original_subject) : g_strdup_printf ("Re: %s", original_subject);
      copy.subject = subject;
    }
  reply = ms_message_new (&copy, error);
  if (reply == NULL)
    return NULL;

  /* RFC 5322 §3.6.4 */
  id = ms_message_get_header (original, "Message-ID");
  if (id != NULL)
    {
      g_autofree char *msgid = g_strstrip (g_strdup (id));

      refs = ms_message_get_header (original, "References");
      if (refs == NULL)
        refs = ms_message_get_header (original, "In-Reply-To");
      if (refs != NULL)
        {
          g_autofree char *r = g_strstrip (g_strdup (refs));

          references = g_strdup_printf (" %s %s", r, msgid);
        }
      else
        references = g_strdup_printf (" %s", msgid);
      {
        g_autofree char *irt = g_strdup_printf (" %s", msgid);

        ms_message_append_header (reply, "In-Reply-To", irt);
      }
      ms_message_append_header (reply, "References", references);
    }
  return reply;
}

GStrv
ms_mua_envelope_recipients (MsMessage *message)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *out = g_ptr_array_new ();
  const char *fields[] = { "To", "Cc", "Bcc" };

  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      /* every occurrence of the field counts */
      g_autoptr(GPtrArray) headers = ms_message_dup_header_list (message);

      for (guint i = 0; i < headers->len; i++)
        {
          MsHeader *h = g_ptr_array_index (headers, i);

          if (g_ascii_strcasecmp (h->name, fields[f]) == 0)
            _ms_agent_add_addresses (all, h->raw_value);
        }
    }
  for (guint i = 0; i < all->len; i++)
    {
      const char *a = g_ptr_array_index (all, i);
      gboolean seen = FALSE;

      for (guint k = 0; k < out->len && !seen; k++)
        seen = g_ascii_strcasecmp (g_ptr_array_index (out, k), a) == 0;
      if (!seen)
        g_ptr_array_add (out, g_strdup (a));
    }
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (out, FALSE);
}

/* The operation is over: the engine (and its buffers) can go; the connection holds its
 * own reference until it has closed. */
static void
op_release (Op *op)
{
  if (op->engine == NULL)
    return;
  g_signal_handlers_disconnect_by_data (op->engine, op);
  g_clear_object (&op->engine);
}

/* Sending */

static void
on_send_finished (MsSmtpClient *client,
                  const GError *error,
                  gpointer      user_data)
{
  Op *op = user_data;
  MsMua *self = op->mua;
  MsMuaSendResult *r = g_ptr_array_index (self->sends, op->index);
  const MsSmtpClientResult *res = ms_smtp_client_get_result (client, 0);
  g_autoptr(GString) codes = g_string_new (NULL);

  if (r->finished)
    return;
  r->finished = TRUE;
  if (error != NULL)
    r->error = g_error_copy (error);
  for (guint i = 0; res != NULL && i < res->n_recipients; i++)
    {
      r->codes[i] = res->recipients[i].code;
      g_free (r->replies[i]);
      r->replies[i] = res->recipients[i].reply != NULL
        ? g_strdup_printf ("%u %s", r->codes[i], res->recipients[i].reply) : g_strdup ("");
      g_string_append_printf (codes, "%s%s=%u", i > 0 ? " " : "", r->recipients[i], r->codes[i]);
    }
  if (res != NULL)
    {
      r->delivered = res->delivered;
      r->code = res->code;
      r->reply = res->reply != NULL ? g_strdup_printf ("%u %s", res->code, res->reply) : NULL;
    }
  event (self, "submitted", engine_session (op->engine), "result",
         r->delivered ? "accepted" : "refused", "recipients", codes->str,
         "reply", r->reply, "reason", r->error != NULL ? r->error->message : NULL, NULL);
  op_release (op);
}

static void fetch_event (Op *op, MsMuaFetchResult *r);

/* No connection at all (refused, timed out: a router may have dropped the SYN). The
 * network records "connect-failed"; the MUA records what it meant for the user. */
static void
on_connected (MsSimTcpEndpoint *ep,
              const GError     *error,
              gpointer          user_data)
{
  Op *op = user_data;
  MsMua *self = op->mua;
  g_autofree char *where = NULL;

  if (error == NULL)
    return;
  where = g_strdup_printf ("%s:%u", op->server, op->port);
  if (op->kind == OP_SEND)
    {
      MsMuaSendResult *r = g_ptr_array_index (self->sends, op->index);

      r->finished = TRUE;
      r->error = g_error_copy (error);
      event (self, "submitted", 0, "result", "failed", "server", where,
             "reason", error->message, NULL);
    }
  else
    {
      MsMuaFetchResult *r = g_ptr_array_index (self->fetches, op->index);

      r->finished = TRUE;
      r->error = g_error_copy (error);
      fetch_event (op, r);
    }
  op_release (op);
}

static void
op_connect (Op *op)
{
  MsMua *self = op->mua;
  g_autoptr(GError) error = NULL;
  MsSimTcpEndpoint *ep;

  ep = ms_network_connect (self->network, self->node, op->server, op->port, on_connected, op,
                           &error);
  if (ep == NULL)
    {
      on_connected (NULL, error, op);
      return;
    }
  ms_sim_tcp_attach_engine (ep, op->engine, MS_PROTOCOL_UNKNOWN);
}

static void
on_delayed_start (MsScheduler *scheduler,
                  gpointer     user_data)
{
  op_connect (user_data);
}

static void
op_unref_mua (gpointer data)
{
  g_object_unref (((Op *) data)->mua);
}

static void
op_start (Op      *op,
          guint64  delay_us)
{
  if (delay_us == 0)
    {
      op_connect (op);
      return;
    }
  /* the MUA (which owns the op) stays until the start has run */
  g_object_ref (op->mua);
  ms_scheduler_schedule (ms_network_get_scheduler (op->mua->network), delay_us, "mua-start",
                         on_delayed_start, op, op_unref_mua);
}

static Op *
op_new (MsMua      *self,
        OpKind      kind,
        const char *server,
        guint16     port)
{
  Op *op = g_new0 (Op, 1);

  op->mua = self;
  op->kind = kind;
  op->server = g_strdup (server);
  op->port = port;
  g_ptr_array_add (self->ops, op);
  return op;
}

guint
ms_mua_send (MsMua             *self,
             MsMessage         *message,
             const MsMuaSubmit *how)
{
  MsMuaSendResult *r;
  MsSmtpClientConfig config = { 0 };
  g_autoptr(MsMessage) copy = NULL;
  g_autoptr(GPtrArray) from = NULL;
  g_autoptr(GBytes) original = NULL;
  g_autofree char *rcpt_text = NULL;
  Op *op;

  g_return_val_if_fail (MS_IS_MUA (self), 0);
  g_return_val_if_fail (MS_IS_MESSAGE (message), 0);
  g_return_val_if_fail (how != NULL && how->server != NULL, 0);

  r = g_new0 (MsMuaSendResult, 1);
  g_ptr_array_add (self->sends, r);
  op = op_new (self, OP_SEND, how->server, how->port);
  op->index = self->sends->len - 1;

  /* The envelope comes from To/Cc/Bcc; then the Bcc field goes (RFC 5322 §3.6.3). */
  original = ms_message_to_bytes (message);
  copy = ms_message_new_from_bytes (original, NULL);
  r->recipients = ms_mua_envelope_recipients (copy);
  ms_message_remove_header (copy, "Bcc");
  r->message = ms_message_to_bytes (copy);
  if (how->envelope_from != NULL)
    r->from = g_strdup (how->envelope_from);
  else
    {
      from = ms_message_dup_addresses (copy, "From");
      r->from = g_strdup (from != NULL && from->len > 0
                          ? ((MsAddress *) g_ptr_array_index (from, 0))->address : "");
    }
  r->codes = g_new0 (guint, g_strv_length (r->recipients) + 1);
  r->replies = g_new0 (char *, g_strv_length (r->recipients) + 1);
  for (guint i = 0; r->recipients[i] != NULL; i++)
    r->replies[i] = g_strdup ("");

  config.helo_name = self->helo_name;
  config.username = how->user;
  config.password = how->password;
  config.mechanism = how->mechanism;
  config.tls = how->starttls ? MS_SMTP_CLIENT_TLS_REQUIRE : MS_SMTP_CLIENT_TLS_NEVER;
  op->engine = MS_ENGINE (ms_smtp_client_new (&config));
  ms_smtp_client_add_message (MS_SMTP_CLIENT (op->engine), r->from,
                              (const char * const *) r->recipients, r->message);
  g_signal_connect (op->engine, "finished", G_CALLBACK (on_send_finished), op);

  rcpt_text = g_strjoinv (" ", r->recipients);
  {
    g_autofree char *where = g_strdup_printf ("%s:%u", how->server, how->port);

    event (self, "compose", 0, "from", r->from, "recipients", rcpt_text, "server", where,
           "reason", ms_message_get_header (message, "Bcc") != NULL
           ? "To, Cc and Bcc become RCPT TO; the Bcc field is removed"
           : "To and Cc become RCPT TO", NULL);
  }
  op_start (op, how->delay_us);
  return op->index;
}

/* Fetching */

static MsMuaFetchResult *
fetch_result_new (MsMua            *self,
                  gboolean          imap,
                  const MsMuaFetch *how)
{
  MsMuaFetchResult *r = g_new0 (MsMuaFetchResult, 1);

  r->imap = imap;
  r->user = g_strdup (how->user);
  r->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  r->numbers = g_array_new (FALSE, FALSE, sizeof (guint));
  g_ptr_array_add (self->fetches, r);
  return r;
}

static void
fetch_event (Op               *op,
             MsMuaFetchResult *r)
{
  g_autofree char *n = g_strdup_printf ("%u", r->messages->len);

  event (op->mua, "fetched", engine_session (op->engine), "protocol", r->imap ? "imap" : "pop3",
         "user", r->user, "messages", n, "result", r->error == NULL ? "ok" : "failed",
         "reason", r->error != NULL ? r->error->message : NULL, NULL);
}

static void
on_pop3_finished (MsPop3Client *client,
                  const GError *error,
                  gpointer      user_data)
{
  Op *op = user_data;
  MsMuaFetchResult *r = g_ptr_array_index (op->mua->fetches, op->index);
  GPtrArray *got = ms_pop3_client_get_retrieved (client);

  if (r->finished)
    return;
  r->finished = TRUE;
  if (error != NULL)
    r->error = g_error_copy (error);
  for (guint i = 0; i < got->len; i++)
    {
      MsPop3Retrieved *m = g_ptr_array_index (got, i);

      if (m->partial)
        continue;
      g_ptr_array_add (r->messages, g_bytes_ref (m->data));
      g_array_append_val (r->numbers, m->number);
    }
  fetch_event (op, r);
  op_release (op);
}

guint
ms_mua_fetch_pop3 (MsMua            *self,
                   const MsMuaFetch *how)
{
  MsPop3ClientConfig config = { 0 };
  Op *op;

  g_return_val_if_fail (MS_IS_MUA (self), 0);
  g_return_val_if_fail (how != NULL && how->server != NULL, 0);

  fetch_result_new (self, FALSE, how);
  op = op_new (self, OP_POP3, how->server, how->port ? how->port : 110);
  op->index = self->fetches->len - 1;
  config.user = how->user;
  config.password = how->password;
  config.use_apop = how->apop;
  config.use_stls = how->starttls;
  config.require_tls = how->starttls;
  config.delete_after_retrieve = how->delete;
  op->engine = MS_ENGINE (ms_pop3_client_new (&config));
  ms_pop3_client_add_action (MS_POP3_CLIENT (op->engine), MS_POP3_ACTION_RETR_ALL, 0, 0);
  g_signal_connect (op->engine, "finished", G_CALLBACK (on_pop3_finished), op);
  op_start (op, how->delay_us);
  return op->index;
}

static void
imap_logout (Op *op)
{
  if (op->logout_sent)
    return;
  op->logout_sent = TRUE;
  ms_imap_client_logout (MS_IMAP_CLIENT (op->engine));
}

/* "* SEARCH 2 3 5" -> "2,3,5" */
static char *
search_set (MsImapCommandResult *result)
{
  MsImapResponse *resp = ms_imap_command_result_find (result, "SEARCH");
  g_auto(GStrv) words = NULL;
  GString *set = g_string_new (NULL);

  if (resp != NULL)
    {
      words = g_strsplit (resp->raw, " ", -1);
      for (guint i = 2; words[i] != NULL; i++)
        if (g_ascii_isdigit (words[i][0]))
          g_string_append_printf (set, "%s%s", set->len > 0 ? "," : "", g_strstrip (words[i]));
    }
  return g_string_free (set, set->len == 0);
}

static void
on_imap_done (MsImapClient        *client,
              MsImapCommandResult *result,
              gpointer             user_data)
{
  Op *op = user_data;
  MsMuaFetchResult *r = g_ptr_array_index (op->mua->fetches, op->index);

  if (g_strcmp0 (result->verb, "LOGOUT") == 0)
    return;
  if (result->status != MS_IMAP_STATUS_OK)
    {
      if (r->error == NULL)
        r->error = g_error_new (MS_IMAP_CLIENT_ERROR, MS_IMAP_CLIENT_ERROR_FAILED,
                                "%s: %s %s", result->verb,
                                result->status == MS_IMAP_STATUS_NO ? "NO" : "BAD",
                                result->text != NULL ? result->text : "");
      imap_logout (op);
      return;
    }
  if (op->search_tag != NULL && g_strcmp0 (result->tag, op->search_tag) == 0)
    {
      g_autofree char *set = search_set (result);

      if (set == NULL)
        {
          imap_logout (op);
          return;
        }
      /* RFC 3501 §6.4.5: BODY[] sets \Seen, BODY.PEEK[] does not */
      op->fetch_tag = g_strdup (ms_imap_client_fetch (client, FALSE, set,
                                                      op->peek ? "(BODY.PEEK[])" : "(BODY[])"));
      if (op->store != NULL)
        ms_imap_client_store (client, FALSE, set, op->store);
      imap_logout (op);
      return;
    }
  if (op->fetch_tag != NULL && g_strcmp0 (result->tag, op->fetch_tag) == 0)
    for (guint i = 0; i < result->untagged->len; i++)
      {
        MsImapResponse *resp = g_ptr_array_index (result->untagged, i);

        if (g_strcmp0 (resp->keyword, "FETCH") == 0 && resp->literals->len > 0)
          {
            g_ptr_array_add (r->messages, g_bytes_ref (g_ptr_array_index (resp->literals, 0)));
            g_array_append_val (r->numbers, resp->number);
          }
      }
}

static void
on_imap_finished (MsImapClient *client,
                  const GError *error,
                  gpointer      user_data)
{
  Op *op = user_data;
  MsMuaFetchResult *r = g_ptr_array_index (op->mua->fetches, op->index);

  if (r->finished)
    return;
  r->finished = TRUE;
  if (error != NULL && r->error == NULL)
    r->error = g_error_copy (error);
  fetch_event (op, r);
  op_release (op);
}

guint
ms_mua_fetch_imap (MsMua            *self,
                   const MsMuaFetch *how)
{
  MsImapClient *client;
  Op *op;

  g_return_val_if_fail (MS_IS_MUA (self), 0);
  g_return_val_if_fail (how != NULL && how->server != NULL, 0);

  fetch_result_new (self, TRUE, how);
  op = op_new (self, OP_IMAP, how->server, how->port ? how->port : 143);
  op->index = self->fetches->len - 1;
  op->peek = how->peek;
  op->store = g_strdup (how->store);
  client = ms_imap_client_new ();
  op->engine = MS_ENGINE (client);
  g_signal_connect (client, "command-done", G_CALLBACK (on_imap_done), op);
  g_signal_connect (client, "finished", G_CALLBACK (on_imap_finished), op);
  if (how->starttls)
    ms_imap_client_starttls (client);
  ms_imap_client_login (client, how->user, how->password);
  ms_imap_client_select (client, how->mailbox != NULL ? how->mailbox : "INBOX");
  op->search_tag = g_strdup (ms_imap_client_search (client, FALSE,
                                                    how->search != NULL ? how->search : "ALL"));
  op_start (op, how->delay_us);
  return op->index;
}

guint
ms_mua_get_n_sends (MsMua *self)
{
  g_return_val_if_fail (MS_IS_MUA (self), 0);
  return self->sends->len;
}

const MsMuaSendResult *
ms_mua_get_send (MsMua *self,
                 guint  index)
{
  g_return_val_if_fail (MS_IS_MUA (self), NULL);
  g_return_val_if_fail (index < self->sends->len, NULL);
  return g_ptr_array_index (self->sends, index);
}

guint
ms_mua_get_n_fetches (MsMua *self)
{
  g_return_val_if_fail (MS_IS_MUA (self), 0);
  return self->fetches->len;
}

const MsMuaFetchResult *
ms_mua_get_fetch (MsMua *self,
                  guint  index)
{
  g_return_val_if_fail (MS_IS_MUA (self), NULL);
  g_return_val_if_fail (index < self->fetches->len, NULL);
  return g_ptr_array_index (self->fetches, index);
}
