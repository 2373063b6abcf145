/* ms-webmail.c: a webmail server and the browsers that use it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-webmail.h"

#include <stdlib.h>
#include <string.h>

#include "ms-address.h"
#include "ms-agents-private.h"
#include "ms-message.h"
#include "ms-mua.h"
#include "ms-sim-tcp.h"

#define WEBMAIL_PORT_SUBMISSION 587
#define WEBMAIL_PORT_IMAP       143
/* Largest request or response held (header and body) */
#define WEBMAIL_MAX_HTTP        (1024 * 1024)
/* How often (virtual time) the server looks whether its mail client is done */
#define WEBMAIL_POLL_US         (5 * 1000)

typedef struct _ServerConn ServerConn;

/* A browser's request in progress. */
typedef struct
{
  MsWebmail        *webmail;   /* not a reference */
  guint             index;
  char             *request;   /* the bytes sent */
  GString          *response;
  MsSimTcpEndpoint *endpoint;
} Browser;

/* A connection accepted on 443. */
struct _ServerConn
{
  MsWebmail        *webmail;   /* not a reference */
  MsSimTcpEndpoint *endpoint;
  GString          *input;
  gboolean          handled;   /* a request was taken (one per connection) */
  gboolean          closed;
  char             *method;
  char             *path;
  char             *browser;   /* the browser's node name */
  guint             mua_index; /* the send or fetch of the webmail's mail client */
  gboolean          fetch;
};

struct _MsWebmail
{
  GObject     parent_instance;
  MsNetwork  *network;
  MsNode     *node;
  char       *hostname;
  char       *address;    /* where browsers connect */
  char       *smtp_server;
  guint16     smtp_port;
  char       *imap_server;
  guint16     imap_port;
  MsMua      *mua;        /* the webmail application's own mail client */
  GPtrArray  *results;    /* of MsWebmailResult* */
  GPtrArray  *browsers;   /* of Browser* */
  GPtrArray  *conns;      /* of ServerConn*: kept until the end, endpoints name them */
};

G_DEFINE_TYPE (MsWebmail, ms_webmail, G_TYPE_OBJECT)

static void
result_free (MsWebmailResult *r)
{
  g_free (r->reason_phrase);
  g_free (r->page);
  g_clear_error (&r->error);
  g_free (r);
}

static void
browser_free (Browser *b)
{
  g_free (b->request);
  g_string_free (b->response, TRUE);
  g_free (b);
}

static void
conn_free (ServerConn *c)
{
  g_string_free (c->input, TRUE);
  g_free (c->method);
  g_free (c->path);
  g_free (c->browser);
  g_free (c);
}

static void
ms_webmail_finalize (GObject *object)
{
  MsWebmail *self = MS_WEBMAIL (object);

  g_ptr_array_unref (self->conns);
  g_ptr_array_unref (self->browsers);
  g_ptr_array_unref (self->results);
  g_clear_object (&self->mua);
  g_free (self->hostname);
  g_free (self->address);
  g_free (self->smtp_server);
  g_free (self->imap_server);
  g_clear_object (&self->network);
  G_OBJECT_CLASS (ms_webmail_parent_class)->finalize (object);
}

static void
ms_webmail_class_init (MsWebmailClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_webmail_finalize;
}

static void
ms_webmail_init (MsWebmail *self)
{
  self->results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  self->browsers = g_ptr_array_new_with_free_func ((GDestroyNotify) browser_free);
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
}

/* An "http" event of the webmail node; NULL values are left out. */
static void
http_event (MsWebmail  *self,
            const char *first_key,
            ...)
{
  MsTrace *trace = _ms_agent_trace (self->node);
  MsTraceEvent *ev;
  va_list args;
  const char *key;

  if (trace == NULL)
    return;
  ev = ms_trace_add_event (trace, "http", ms_node_get_name (self->node), 0, NULL, NULL);
  json_object_set_string_member (ev->fields, "tls", "https");
  json_object_set_string_member (ev->fields, "port", "443");
  va_start (args, first_key);
  for (key = first_key; key != NULL; key = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (ev->fields, key, value);
    }
  va_end (args);
}

/* ---- the server side --------------------------------------------------------------- */

static const char *
status_phrase (guint status)
{
  switch (status)
    {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 502: return "Bad Gateway";
    default: return "Error";
    }
}

/* RFC 9112 §4: status line, fields, the page; then the connection closes. */
static void
respond (ServerConn *c,
         guint       status,
         const char *page,
         const char *summary,
         const char *messages)
{
  MsWebmail *self = c->webmail;
  g_autofree char *text = NULL;
  g_autofree char *code = g_strdup_printf ("%u", status);
  g_autofree char *line = g_strdup_printf ("%u %s", status, status_phrase (status));
  g_autofree char *what = g_strdup_printf ("%s %s → %s", c->method != NULL ? c->method : "?",
                                           c->path != NULL ? c->path : "?", line);
  gsize len;

  http_event (self, "direction", "response", "browser", c->browser, "method", c->method,
              "path", c->path, "status", code, "summary", what, "reason", summary,
              "messages", messages, NULL);
  if (c->closed)
    return;
  text = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                          "Content-Type: text/html; charset=utf-8\r\n"
                          "Content-Length: %zu\r\n"
                          "Connection: close\r\n"
                          "\r\n%s", status, status_phrase (status), strlen (page), page);
  len = strlen (text);
  ms_sim_tcp_endpoint_send (c->endpoint, g_bytes_new_take (g_steal_pointer (&text), len));
  ms_sim_tcp_endpoint_close (c->endpoint);
}

static char *
html_escape (const char *text)
{
  return g_markup_escape_text (text != NULL ? text : "", -1);
}

static void
finish_send (ServerConn *c)
{
  const MsMuaSendResult *r = ms_mua_get_send (c->webmail->mua, c->mua_index);
  g_autofree char *reply = html_escape (r->reply != NULL ? r->reply
                                        : r->error != NULL ? r->error->message : "");
  g_autofree char *page = NULL;

  if (r->delivered)
    {
      page = g_strdup_printf ("<p>Sent.</p><p>%s</p>\n", reply);
      respond (c, 200, page, r->reply, NULL);
    }
  else
    {
      /* the mail server said no: the browser learns it as a gateway error */
      page = g_strdup_printf ("<p>The mail server refused the message.</p><p>%s</p>\n", reply);
      respond (c, 502, page, r->error != NULL ? r->error->message : r->reply, NULL);
    }
}

static void
finish_inbox (ServerConn *c)
{
  const MsMuaFetchResult *r = ms_mua_get_fetch (c->webmail->mua, c->mua_index);
  g_autoptr(GString) page = g_string_new ("<ul>\n");
  g_autofree char *count = NULL;

  if (r->error != NULL)
    {
      g_autofree char *why = html_escape (r->error->message);
      g_autofree char *p = g_strdup_printf ("<p>The mail server refused.</p><p>%s</p>\n", why);

      respond (c, 502, p, r->error->message, NULL);
      return;
    }
  for (guint i = 0; i < r->messages->len; i++)
    {
      g_autoptr(MsMessage) msg = ms_message_new_from_bytes (r->messages->pdata[i], NULL);
      g_autofree char *subject = msg != NULL ? ms_message_dup_header_decoded (msg, "Subject") : NULL;
      g_autofree char *from = msg != NULL ? ms_message_dup_header_decoded (msg, "From") : NULL;
      g_autofree char *s = html_escape (subject);
      g_autofree char *f = html_escape (from);

      g_string_append_printf (page, "<li>%s — %s</li>\n", f, s);
    }
  g_string_append (page, "</ul>\n");
  count = g_strdup_printf ("%u", r->messages->len);
  respond (c, 200, page->str, NULL, count);
}

static void
poll_unref (gpointer data)
{
  g_object_unref (((ServerConn *) data)->webmail);
}

static void poll_mail_client (MsScheduler *scheduler, gpointer user_data);

static void
schedule_poll (ServerConn *c)
{
  g_object_ref (c->webmail);
  ms_scheduler_schedule (ms_network_get_scheduler (c->webmail->network), WEBMAIL_POLL_US,
                         "webmail-wait", poll_mail_client, c, poll_unref);
}

/* The HTTP response waits for the mail client's session to end. */
static void
poll_mail_client (MsScheduler *scheduler,
                  gpointer     user_data)
{
  ServerConn *c = user_data;
  MsMua *mua = c->webmail->mua;
  gboolean done = c->fetch ? ms_mua_get_fetch (mua, c->mua_index)->finished
                           : ms_mua_get_send (mua, c->mua_index)->finished;

  if (!done)
    schedule_poll (c);
  else if (c->fetch)
    finish_inbox (c);
  else
    finish_send (c);
}

static GPtrArray *
address_list (const char *text)
{
  g_auto(GStrv) parts = NULL;
  GPtrArray *out;

  if (text == NULL || *text == '\0')
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  parts = g_strsplit (text, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] != '\0')
        g_ptr_array_add (out, ms_address_new (NULL, parts[i]));
    }
  return out;
}

/* POST /send: the form becomes a message, submitted with the user's own login */
static void
handle_send (ServerConn *c,
             const char *body)
{
  MsWebmail *self = c->webmail;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) from = NULL, to = NULL, cc = NULL, bcc = NULL;
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(MsMessage) message = NULL;
  MsMessageSpec spec = { 0 };
  MsMuaSubmit how = { 0 };
  const char *user;

  form = g_uri_parse_params (body, -1, "&", G_URI_PARAMS_WWW_FORM, &error);
  user = form != NULL ? g_hash_table_lookup (form, "user") : NULL;
  if (form == NULL || user == NULL || g_hash_table_lookup (form, "password") == NULL)
    {
      respond (c, 400, "<p>The form is incomplete.</p>\n",
               error != NULL ? error->message : "no user or password in the form", NULL);
      return;
    }
  from = address_list (user);
  to = address_list (g_hash_table_lookup (form, "to"));
  cc = address_list (g_hash_table_lookup (form, "cc"));
  bcc = address_list (g_hash_table_lookup (form, "bcc"));
  date = _ms_agent_now_utc (self->node);
  spec.from = from;
  spec.to = to;
  spec.cc = cc;
  spec.bcc = bcc;
  spec.subject = g_hash_table_lookup (form, "subject");
  spec.text = g_hash_table_lookup (form, "body");
  spec.date = date;
  if (to == NULL && cc == NULL && bcc == NULL)
    message = NULL;
  else
    message = ms_mua_compose (self->mua, &spec, &error);
  if (message == NULL)
    {
      respond (c, 400, "<p>The message cannot be composed.</p>\n",
               error != NULL ? error->message : "no recipient", NULL);
      return;
    }
  /* the webmail logs in to the MSA as the user (RFC 6409, RFC 4954) */
  how.server = self->smtp_server;
  how.port = self->smtp_port;
  how.user = user;
  how.password = g_hash_table_lookup (form, "password");
  c->fetch = FALSE;
  c->mua_index = ms_mua_send (self->mua, message, &how);
  schedule_poll (c);
}

/* GET /inbox with Basic credentials (RFC 7617): listed over IMAP */
static void
handle_inbox (ServerConn *c,
              const char *authorization)
{
  MsWebmail *self = c->webmail;
  g_autofree guchar *decoded = NULL;
  g_autofree char *credentials = NULL;
  gsize len = 0;
  char *colon;
  MsMuaFetch how = { 0 };

  if (authorization == NULL || g_ascii_strncasecmp (authorization, "Basic ", 6) != 0)
    {
      respond (c, 401, "<p>Please log in.</p>\n", "no Basic credentials", NULL);
      return;
    }
  decoded = g_base64_decode (authorization + 6, &len);
  credentials = g_strndup ((const char *) decoded, len);
  colon = strchr (credentials, ':');
  if (colon == NULL)
    {
      respond (c, 401, "<p>Please log in.</p>\n", "malformed Basic credentials", NULL);
      return;
    }
  *colon = '\0';
  how.server = self->imap_server;
  how.port = self->imap_port;
  how.user = credentials;
  how.password = colon + 1;
  how.peek = TRUE;   /* a listing is not a reading: \Seen stays as it was */
  c->fetch = TRUE;
  c->mua_index = ms_mua_fetch_imap (self->mua, &how);
  schedule_poll (c);
}

static const char *
header_value (GStrv lines,
              const char *name)
{
  gsize n = strlen (name);

  for (guint i = 1; lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, n) == 0 && lines[i][n] == ':')
      return g_strchug (lines[i] + n + 1);
  return NULL;
}

/* One complete request is in c->input (RFC 9112 §3, §6.2) */
static void
handle_request (ServerConn *c,
                gsize       header_len,
                gsize       body_len)
{
  g_autofree char *head = g_strndup (c->input->str, header_len);
  g_autofree char *body = g_strndup (c->input->str + header_len + 4, body_len);
  g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);
  g_auto(GStrv) words = g_strsplit (lines[0], " ", 3);
  g_autofree char *what = NULL;

  c->handled = TRUE;
  if (g_strv_length (words) != 3 || !g_str_has_prefix (words[2], "HTTP/1."))
    {
      respond (c, 400, "<p>Bad request.</p>\n", "not an HTTP/1.x request line", NULL);
      return;
    }
  c->method = g_strdup (words[0]);
  c->path = g_strdup (words[1]);
  what = g_strdup_printf ("%s %s", c->method, c->path);
  http_event (c->webmail, "direction", "request", "browser", c->browser, "method", c->method,
              "path", c->path, "host", header_value (lines, "Host"), "summary", what, NULL);
  if (strcmp (c->path, "/send") == 0)
    {
      if (strcmp (c->method, "POST") != 0)
        respond (c, 405, "<p>Use POST.</p>\n", "the send form is posted", NULL);
      else
        handle_send (c, body);
    }
  else if (strcmp (c->path, "/inbox") == 0)
    {
      if (strcmp (c->method, "GET") != 0)
        respond (c, 405, "<p>Use GET.</p>\n", "the inbox is read with GET", NULL);
      else
        handle_inbox (c, header_value (lines, "Authorization"));
    }
  else
    respond (c, 404, "<p>Not found.</p>\n", "no such page", NULL);
}

static void
server_receive (MsSimTcpEndpoint *ep,
                GBytes           *data,
                gpointer          user_data)
{
  ServerConn *c = user_data;
  const char *end;
  const char *length;
  gsize header_len, body_len = 0;
  gsize len;
  const char *bytes;

  if (data == NULL)
    {
      /* the browser hung up: so do we, once answered */
      if (!c->handled)
        ms_sim_tcp_endpoint_close (ep);
      return;
    }
  if (c->handled)
    return;
  bytes = g_bytes_get_data (data, &len);
  g_string_append_len (c->input, bytes, len);
  if (c->input->len > WEBMAIL_MAX_HTTP)
    {
      c->handled = TRUE;
      respond (c, 400, "<p>Too large.</p>\n", "request too large", NULL);
      return;
    }
  end = strstr (c->input->str, "\r\n\r\n");
  if (end == NULL)
    return;
  header_len = end - c->input->str;
  /* field names are case-insensitive (RFC 9110 §5.1) */
  {
    g_autofree char *lower = g_ascii_strdown (c->input->str, header_len);

    length = strstr (lower, "\r\ncontent-length:");
    if (length != NULL)
      body_len = strtoul (length + strlen ("\r\ncontent-length:"), NULL, 10);
  }
  if (c->input->len < header_len + 4 + body_len)
    return;
  handle_request (c, header_len, body_len);
}

static void
server_closed (MsSimTcpEndpoint *ep,
               gpointer          user_data)
{
  ((ServerConn *) user_data)->closed = TRUE;
}

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  MsWebmail *self = user_data;
  ServerConn *c = g_new0 (ServerConn, 1);
  MsNode *peer = ms_network_find_node_by_address (self->network,
                                                  ms_sim_tcp_endpoint_get_remote_address (ep));

  c->webmail = self;
  c->endpoint = ep;
  c->input = g_string_new (NULL);
  c->browser = g_strdup (peer != NULL ? ms_node_get_name (peer)
                         : ms_sim_tcp_endpoint_get_remote_address (ep));
  g_ptr_array_add (self->conns, c);
  /* HTTPS (RFC 2818): TLS from the first byte on 443 */
  ms_sim_tcp_endpoint_set_encrypted (ep);
  ms_sim_tcp_endpoint_set_callbacks (ep, server_receive, server_closed, c);
}

MsWebmail *
ms_webmail_new (MsNode                *node,
                const MsWebmailConfig *config,
                GError               **error)
{
  g_autoptr(MsWebmail) self = NULL;

  g_return_val_if_fail (node != NULL && config != NULL, NULL);

  self = g_object_new (MS_TYPE_WEBMAIL, NULL);
  self->node = node;
  self->network = g_object_ref (ms_node_get_network (node));
  self->hostname = g_strdup (config->hostname != NULL ? config->hostname : ms_node_get_name (node));
  self->address = g_strdup (config->address != NULL ? config->address
                            : ms_node_get_address (node, NULL, 0));
  self->smtp_server = g_strdup (config->smtp_server);
  self->smtp_port = config->smtp_port != 0 ? config->smtp_port : WEBMAIL_PORT_SUBMISSION;
  self->imap_server = g_strdup (config->imap_server);
  self->imap_port = config->imap_port != 0 ? config->imap_port : WEBMAIL_PORT_IMAP;
  self->mua = ms_mua_new (node, self->hostname);
  if (!ms_node_listen (node, MS_WEBMAIL_PORT_HTTPS, on_accept, self, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "port %u of %s is already taken", MS_WEBMAIL_PORT_HTTPS,
                   ms_node_get_name (node));
      return NULL;
    }
  return g_steal_pointer (&self);
}

MsNode *
ms_webmail_get_node (MsWebmail *self)
{
  g_return_val_if_fail (MS_IS_WEBMAIL (self), NULL);
  return self->node;
}

/* ---- the browser side -------------------------------------------------------------- */

static void
browser_done (Browser *b)
{
  MsWebmailResult *r = g_ptr_array_index (b->webmail->results, b->index);
  g_auto(GStrv) words = NULL;
  const char *end;

  if (r->finished)
    return;
  r->finished = TRUE;
  end = strstr (b->response->str, "\r\n\r\n");
  if (end == NULL)
    return;
  /* RFC 9112 §4: HTTP-version SP status-code SP [reason-phrase] CRLF */
  {
    g_autofree char *line = g_strndup (b->response->str, strcspn (b->response->str, "\r"));

    words = g_strsplit (line, " ", 3);
  }
  if (g_strv_length (words) >= 2 && g_str_has_prefix (words[0], "HTTP/1."))
    {
      r->status = (guint) strtoul (words[1], NULL, 10);
      r->reason_phrase = g_strdup (words[2] != NULL ? words[2] : "");
    }
  r->page = g_strdup (end + 4);
}

static void
browser_receive (MsSimTcpEndpoint *ep,
                 GBytes           *data,
                 gpointer          user_data)
{
  Browser *b = user_data;
  gsize len;
  const char *bytes;

  if (data == NULL)
    {
      /* Connection: close: the response ends with the server's FIN */
      browser_done (b);
      ms_sim_tcp_endpoint_close (ep);
      return;
    }
  bytes = g_bytes_get_data (data, &len);
  if (b->response->len + len <= WEBMAIL_MAX_HTTP)
    g_string_append_len (b->response, bytes, len);
}

static void
browser_closed (MsSimTcpEndpoint *ep,
                gpointer          user_data)
{
  browser_done (user_data);
}

static void
browser_connected (MsSimTcpEndpoint *ep,
                   const GError     *error,
                   gpointer          user_data)
{
  Browser *b = user_data;
  MsWebmailResult *r = g_ptr_array_index (b->webmail->results, b->index);

  if (ep == NULL)
    {
      r->finished = TRUE;
      r->error = g_error_copy (error);
      return;
    }
  ms_sim_tcp_endpoint_set_encrypted (ep);
  ms_sim_tcp_endpoint_set_callbacks (ep, browser_receive, browser_closed, b);
  ms_sim_tcp_endpoint_send (ep, g_bytes_new (b->request, strlen (b->request)));
}

static guint
browse (MsWebmail  *self,
        MsNode     *browser,
        char       *request)
{
  Browser *b = g_new0 (Browser, 1);
  MsWebmailResult *r = g_new0 (MsWebmailResult, 1);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (self->results, r);
  b->webmail = self;
  b->index = self->results->len - 1;
  b->request = request;
  b->response = g_string_new (NULL);
  g_ptr_array_add (self->browsers, b);
  b->endpoint = ms_network_connect (self->network, browser, self->address, MS_WEBMAIL_PORT_HTTPS,
                                    browser_connected, b, &error);
  if (b->endpoint == NULL)
    {
      r->finished = TRUE;
      r->error = g_steal_pointer (&error);
    }
  return b->index;
}

static void
form_add (GString    *form,
          const char *name,
          const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL)
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (form, "%s%s=%s", form->len > 0 ? "&" : "", name, escaped);
}

static void
form_add_list (GString *form,
               const char *name,
               GStrv       list)
{
  g_autofree char *joined = NULL;

  if (list == NULL)
    return;
  joined = g_strjoinv (",", list);
  form_add (form, name, joined);
}

guint
ms_webmail_browse_send (MsWebmail           *self,
                        MsNode              *browser,
                        const MsWebmailForm *f)
{
  g_autoptr(GString) form = g_string_new (NULL);

  g_return_val_if_fail (MS_IS_WEBMAIL (self), 0);
  g_return_val_if_fail (browser != NULL && f != NULL, 0);

  form_add (form, "user", f->user);
  form_add (form, "password", f->password);
  form_add_list (form, "to", f->to);
  form_add_list (form, "cc", f->cc);
  form_add_list (form, "bcc", f->bcc);
  form_add (form, "subject", f->subject);
  form_add (form, "body", f->body);
  return browse (self, browser,
                 g_strdup_printf ("POST /send HTTP/1.1\r\n"
                                  "Host: %s\r\n"
                                  "Content-Type: application/x-www-form-urlencoded\r\n"
                                  "Content-Length: %zu\r\n"
                                  "Connection: close\r\n"
                                  "\r\n%s", self->hostname, form->len, form->str));
}

guint
ms_webmail_browse_inbox (MsWebmail  *self,
                         MsNode     *browser,
                         const char *user,
                         const char *password)
{
  g_autofree char *pair = NULL;
  g_autofree char *basic = NULL;

  g_return_val_if_fail (MS_IS_WEBMAIL (self), 0);
  g_return_val_if_fail (browser != NULL && user != NULL && password != NULL, 0);

  pair = g_strdup_printf ("%s:%s", user, password);
  basic = g_base64_encode ((const guchar *) pair, strlen (pair));
  return browse (self, browser,
                 g_strdup_printf ("GET /inbox HTTP/1.1\r\n"
                                  "Host: %s\r\n"
                                  "Authorization: Basic %s\r\n"
                                  "Connection: close\r\n"
                                  "\r\n", self->hostname, basic));
}

const MsWebmailResult *
ms_webmail_get_result (MsWebmail *self,
                       guint      index)
{
  g_return_val_if_fail (MS_IS_WEBMAIL (self), NULL);
  g_return_val_if_fail (index < self->results->len, NULL);
  return g_ptr_array_index (self->results, index);
}
