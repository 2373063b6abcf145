/* test-webmail.c: the webmail agent in the agents' small world
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "agents-world.h"
#include "ms-mailbox.h"
#include "ms-packet.h"
#include "ms-sim-tcp.h"
#include "ms-webmail.h"

#define ALICE        "alice@isp-a.example"
#define BOB          "bob@isp-b.example"
#define WEBMAIL_ADDR "198.51.100.80"

static MsWebmail *
add_webmail (World *w)
{
  g_autoptr(GError) error = NULL;
  MsNode *node = ms_network_add_node (w->net, "webmail", &error);
  MsWebmailConfig config = { .hostname = "webmail.isp-a.example", .smtp_server = MAIL_A_ADDR,
                             .imap_server = MAIL_A_ADDR };
  MsWebmail *webmail;

  cr_assert_not_null (node);
  cr_assert (ms_node_add_address (node, "isp-a", WEBMAIL_ADDR, &error));
  webmail = ms_webmail_new (node, &config, &error);
  cr_assert_not_null (webmail, "%s", error != NULL ? error->message : "");
  ms_network_set_record_packets (w->net, TRUE);
  return webmail;
}

static guint
send_form (World      *w,
           MsWebmail  *webmail,
           const char *password,
           const char *subject)
{
  char *to[] = { BOB, NULL };
  MsWebmailForm form = { .user = ALICE, .password = (char *) password, .to = to,
                         .subject = (char *) subject, .body = "Sent from a browser.\n" };

  return ms_webmail_browse_send (webmail, ms_network_get_node (w->net, "pc"), &form);
}

static MsTraceEvent *
http_event (World      *w,
            const char *direction,
            const char *path)
{
  for (guint i = 0; i < ms_trace_get_n_events (w->trace); i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (w->trace, i);

      if (strcmp (ev->type, "http") == 0
          && g_strcmp0 (json_object_get_string_member_with_default (ev->fields, "direction", ""),
                        direction) == 0
          && g_strcmp0 (json_object_get_string_member_with_default (ev->fields, "path", ""),
                        path) == 0)
        return ev;
    }
  return NULL;
}

static const char *
member (MsTraceEvent *ev,
        const char   *name)
{
  return json_object_get_string_member_with_default (ev->fields, name, NULL);
}

Test (webmail, the_form_is_submitted_with_auth_and_delivered)
{
  g_autoptr(World) w = world_new (41);
  g_autoptr(MsWebmail) webmail = add_webmail (w);
  const MsWebmailResult *r;
  g_autofree char *text = NULL;
  MsTraceEvent *ev;
  guint index = send_form (w, webmail, "alice-pw", "Sent from the web");

  world_run (w);
  r = ms_webmail_get_result (webmail, index);
  cr_assert (r->finished);
  cr_assert_null (r->error);
  cr_assert_eq (r->status, 200, "status %u", r->status);
  cr_assert_str_eq (r->reason_phrase, "OK");
  cr_assert (g_str_has_prefix (r->page, "<p>Sent.</p>"), "%s", r->page);
  cr_assert (strstr (r->page, "250 2.0.0 Ok: queued as") != NULL, "%s", r->page);
  /* the message went MSA → MX, submitted by the webmail server */
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
  text = world_mailbox_text (w->store_b, BOB, 0);
  cr_assert (strstr (text, "Subject: Sent from the web") != NULL);
  cr_assert (strstr (text, "from webmail.isp-a.example") != NULL, "%s", text);
  cr_assert (strstr (text, "[" WEBMAIL_ADDR "]") != NULL, "%s", text);
  ev = world_find_event (w, "policy", "check", "auth");
  cr_assert_not_null (ev);
  cr_assert_str_eq (member (ev, "result"), "ok");
  cr_assert_str_eq (ev->node, "mail-a");
  ev = http_event (w, "request", "/send");
  cr_assert_not_null (ev);
  cr_assert_str_eq (member (ev, "method"), "POST");
  cr_assert_str_eq (member (ev, "browser"), "pc");
  cr_assert_str_eq (ev->node, "webmail");
  ev = http_event (w, "response", "/send");
  cr_assert_not_null (ev);
  cr_assert_str_eq (member (ev, "status"), "200");
  cr_assert_eq (world_count_events (w, "submitted", "result", "accepted"), 1);
}

Test (webmail, the_browser_only_speaks_https_on_443)
{
  g_autoptr(World) w = world_new (42);
  g_autoptr(MsWebmail) webmail = add_webmail (w);
  g_autoptr(GInetAddress) pc = g_inet_address_new_from_string (PC_ADDR);
  g_autoptr(GInetAddress) web = g_inet_address_new_from_string (WEBMAIL_ADDR);
  const MsPacket *packets;
  guint n = 0, to_443 = 0, encrypted_payload = 0, submission_from_webmail = 0;

  send_form (w, webmail, "alice-pw", "Ports");
  world_run (w);
  packets = ms_network_get_packets (w->net, &n);
  cr_assert_gt (n, 0);
  for (guint i = 0; i < n; i++)
    {
      const MsPacket *p = &packets[i];
      gboolean from_pc = memcmp (p->src_addr, g_inet_address_to_bytes (pc), 4) == 0;
      gboolean from_web = memcmp (p->src_addr, g_inet_address_to_bytes (web), 4) == 0;

      if (from_pc)
        {
          /* everything the PC sends goes to 443, and its data is inside TLS */
          cr_assert_eq (p->dst_port, 443, "PC sent to port %u", p->dst_port);
          to_443++;
          if (p->payload != NULL && g_bytes_get_size (p->payload) > 0)
            {
              cr_assert (p->encrypted);
              encrypted_payload++;
            }
        }
      if (from_web && p->dst_port == 587)
        submission_from_webmail++;
    }
  cr_assert_gt (to_443, 2);
  cr_assert_eq (encrypted_payload, 1);
  cr_assert_gt (submission_from_webmail, 0);
}

Test (webmail, the_inbox_is_listed_over_imap_without_setting_seen)
{
  g_autoptr(World) w = world_new (43);
  g_autoptr(MsWebmail) webmail = add_webmail (w);
  g_autoptr(MsMessage) m = world_message (ALICE, ALICE, NULL, "Note to self", "Milk.\n");
  MsMuaSubmit how = { .server = MAIL_A_ADDR, .port = 587, .user = ALICE, .password = "alice-pw" };
  const MsWebmailResult *r;
  MsStoredMessage *stored;
  MsTraceEvent *ev;
  guint index;

  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_eq (world_mailbox_count (w->store_a, ALICE), 1);
  index = ms_webmail_browse_inbox (webmail, ms_network_get_node (w->net, "pc"), ALICE, "alice-pw");
  world_run (w);
  r = ms_webmail_get_result (webmail, index);
  cr_assert (r->finished);
  cr_assert_eq (r->status, 200);
  cr_assert (strstr (r->page, "Note to self") != NULL, "%s", r->page);
  cr_assert (strstr (r->page, ALICE) != NULL, "%s", r->page);
  stored = ms_mailbox_get_message (ms_mail_store_get_mailbox (w->store_a, ALICE, "INBOX"), 0);
  cr_assert_eq (stored->flags & MS_FLAG_SEEN, 0, "listing must not set \\Seen");
  cr_assert_eq (world_count_events (w, "fetched", "protocol", "imap"), 1);
  ev = world_find_event (w, "fetched", "protocol", "imap");
  cr_assert_str_eq (ev->node, "webmail");
  ev = http_event (w, "response", "/inbox");
  cr_assert_not_null (ev);
  cr_assert_str_eq (member (ev, "status"), "200");
  cr_assert_str_eq (member (ev, "messages"), "1");
}

Test (webmail, a_wrong_password_is_a_gateway_error)
{
  g_autoptr(World) w = world_new (44);
  g_autoptr(MsWebmail) webmail = add_webmail (w);
  guint send, inbox;

  send = send_form (w, webmail, "guess", "Never");
  world_run (w);
  inbox = ms_webmail_browse_inbox (webmail, ms_network_get_node (w->net, "pc"), ALICE, "guess");
  world_run (w);
  cr_assert_eq (ms_webmail_get_result (webmail, send)->status, 502);
  cr_assert_eq (ms_webmail_get_result (webmail, inbox)->status, 502);
  cr_assert_str_eq (ms_webmail_get_result (webmail, inbox)->reason_phrase, "Bad Gateway");
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
  cr_assert_not_null (world_find_event (w, "policy", "result", "failed"));
}

/* A request typed by hand, in two segments: unknown pages are 404, GET on /send 405. */
typedef struct
{
  const char *request;
  GString    *response;
  gboolean    closed;
} Raw;

static void
raw_receive (MsSimTcpEndpoint *ep,
             GBytes           *data,
             gpointer          user_data)
{
  Raw *raw = user_data;

  if (data == NULL)
    {
      ms_sim_tcp_endpoint_close (ep);
      return;
    }
  g_string_append_len (raw->response, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
}

static void
raw_closed (MsSimTcpEndpoint *ep,
            gpointer          user_data)
{
  ((Raw *) user_data)->closed = TRUE;
}

static void
raw_connected (MsSimTcpEndpoint *ep,
               const GError     *error,
               gpointer          user_data)
{
  Raw *raw = user_data;
  gsize half = strlen (raw->request) / 2;

  cr_assert_not_null (ep);
  ms_sim_tcp_endpoint_set_callbacks (ep, raw_receive, raw_closed, raw);
  ms_sim_tcp_endpoint_send (ep, g_bytes_new (raw->request, half));
  ms_sim_tcp_endpoint_send (ep, g_bytes_new (raw->request + half, strlen (raw->request) - half));
}

static char *
raw_request (World      *w,
             const char *request)
{
  Raw raw = { request, g_string_new (NULL), FALSE };

  cr_assert_not_null (ms_network_connect (w->net, ms_network_get_node (w->net, "pc"),
                                          WEBMAIL_ADDR, 443, raw_connected, &raw, NULL));
  world_run (w);
  cr_assert (raw.closed);
  return g_string_free (raw.response, FALSE);
}

Test (webmail, unknown_pages_and_wrong_methods)
{
  g_autoptr(World) w = world_new (45);
  g_autoptr(MsWebmail) webmail = add_webmail (w);
  g_autofree char *missing = raw_request (w, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autofree char *wrong = raw_request (w, "GET /send HTTP/1.1\r\nHost: x\r\n\r\n");
  /* a lower-case content-length still delimits the body: the form lacks a password */
  g_autofree char *form = raw_request (w, "POST /send HTTP/1.1\r\ncontent-length: 15\r\n\r\n"
                                          "user=a%40b.test");
  g_autofree char *anonymous = raw_request (w, "GET /inbox HTTP/1.1\r\nHost: x\r\n\r\n");
  g_autofree char *garbage = raw_request (w, "HELO there\r\n\r\n");

  cr_assert (g_str_has_prefix (missing, "HTTP/1.1 404 Not Found\r\n"), "%s", missing);
  cr_assert (g_str_has_prefix (wrong, "HTTP/1.1 405 Method Not Allowed\r\n"), "%s", wrong);
  cr_assert (g_str_has_prefix (anonymous, "HTTP/1.1 401 Unauthorized\r\n"), "%s", anonymous);
  cr_assert (g_str_has_prefix (garbage, "HTTP/1.1 400 Bad Request\r\n"), "%s", garbage);
  cr_assert (g_str_has_prefix (form, "HTTP/1.1 400 Bad Request\r\n"), "%s", form);
  cr_assert (strstr (form, "Content-Length: 31\r\nConnection: close\r\n\r\n"
                          "<p>The form is incomplete.</p>\n") != NULL,
             "%s", form);
  cr_assert_eq (world_count_events (w, "http", "direction", "response"), 5);
}
