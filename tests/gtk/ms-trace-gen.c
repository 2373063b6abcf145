/* ms-trace-gen.c: traces for the window's tests, made by running the real engines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   ms-trace-gen op25b OUT.json   the virtual network of tests/core/net: Alice's PC tries
 *                                 port 25 directly (dropped by the ISP router, OP25B), then
 *                                 submits on 587 with AUTH; the ISP's MTA relays to corp-mx
 *   ms-trace-gen demo OUT.json    the window's built-in demo
 *
 * The narration is the test's script (as a scenario file would give it); every protocol
 * line, event and message snapshot comes from the engines and the network.
 */
#include "config.h"

#include <string.h>

#include "ms-demo.h"
#include "ms-mail-store.h"
#include "ms-smtp-client.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"
#include "net-test-support.h"

typedef struct
{
  MsNetwork         *net;
  MsTrace           *trace;
  MsMailStore       *isp_store;
  MsMailStore       *corp_store;
  MsSmtpStorePolicy *isp_policy;
  MsSmtpStorePolicy *corp_policy;
  MsSmtpClient      *direct;
  MsSmtpClient      *submit;
  MsSmtpClient      *relay;
} World;

static const char message_text[] =
  "From: Alice <alice@isp.example>\r\n"
  "To: Bob <bob@corp.example>\r\n"
  "Subject: =?UTF-8?B?5piO5pel44Gu5omT44Gh5ZCI44KP44Gb?=\r\n"
  "Date: Thu, 01 Jan 2026 09:00:00 +0900\r\n"
  "Message-ID: <op25b-1@pc.home.example>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=UTF-8\r\n"
  "\r\n"
  "Bob, see you at ten.\r\n";

static void
narrate (World      *w,
         const char *ja,
         const char *en)
{
  ms_trace_add_event (w->trace, "narration", NULL, 0, "ja", ja, "en", en, NULL);
}

static void
accept_smtp (MsSimTcpEndpoint  *ep,
             World             *w,
             const char        *hostname,
             MsSmtpStorePolicy *policy,
             gboolean           submission)
{
  MsSmtpServerConfig config;
  g_autoptr(MsSmtpServer) server = NULL;

  ms_smtp_server_config_init (&config);
  config.hostname = hostname;
  config.clock = ms_network_unix_clock;
  config.clock_data = w->net;
  config.submission = submission;
  config.allow_plain_auth_without_tls = TRUE;
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_UNKNOWN);
}

static void
on_accept_corp (MsSimTcpEndpoint *ep, gpointer user_data)
{
  World *w = user_data;

  accept_smtp (ep, w, "mx.corp.example", w->corp_policy, FALSE);
}

static void
on_accept_isp (MsSimTcpEndpoint *ep, gpointer user_data)
{
  World *w = user_data;

  accept_smtp (ep, w, "mail.isp.example", w->isp_policy, TRUE);
}

static void
on_connected (MsSimTcpEndpoint *ep, const GError *error, gpointer user_data)
{
}

static void
on_relay_ready (World *w)
{
  g_autoptr(MsSmtpQueuedMessage) queued = ms_smtp_store_policy_pop_queued (w->isp_policy);
  MsSmtpClientConfig config = { .helo_name = "mail.isp.example" };
  MsSimTcpEndpoint *ep;

  if (queued == NULL)
    g_error ("the ISP did not queue the message");
  narrate (w, "ISPのメール転送エージェント(MTA)が、宛先ドメインのMX (mx.corp.example) へポート25で中継します。ISPの中からの25番は遮断されません。",
           "The ISP's mail transfer agent (MTA) relays the message to the recipient's MX (mx.corp.example) on port 25. Port 25 from inside the ISP is not blocked.");
  w->relay = ms_smtp_client_new (&config);
  ms_smtp_client_add_message (w->relay, queued->sender,
                              (const char * const *) queued->recipients, queued->message);
  ep = ms_network_connect (w->net, ms_network_get_node (w->net, "isp-mail"), CORP_MX_ADDR, 25,
                           on_connected, w, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (w->relay), MS_PROTOCOL_SMTP);
}

static void
on_submit_finished (MsSmtpClient *client, gpointer unused, World *w)
{
  on_relay_ready (w);
}

static void
on_direct_connected (MsSimTcpEndpoint *ep, const GError *error, gpointer user_data)
{
  World *w = user_data;
  MsSmtpClientConfig config = {
    .helo_name = "pc.home.example",
    .username = "alice@isp.example",
    .password = "alice-secret",
    .mechanism = "PLAIN",
  };
  const char *rcpt[] = { "bob@corp.example", NULL };
  g_autoptr(GBytes) message = g_bytes_new_static (message_text, sizeof message_text - 1);
  MsSimTcpEndpoint *submit;

  if (error == NULL)
    g_error ("port 25 from the home pool was not blocked");
  narrate (w, "自宅のプロバイダは外向きの25番ポートを遮断しています (OP25B)。そこでメールソフト (MUA) はサブミッションポート587番でISPのメール送信サーバ (MSA) に接続し、SMTP認証を行います。",
           "The home ISP blocks outgoing port 25 (OP25B). So the mail client (MUA) connects to the ISP's submission server (MSA) on the submission port 587 and authenticates (SMTP AUTH).");
  w->submit = ms_smtp_client_new (&config);
  ms_smtp_client_add_message (w->submit, "alice@isp.example", rcpt, message);
  g_signal_connect (w->submit, "finished", G_CALLBACK (on_submit_finished), w);
  submit = ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), ISP_MAIL_ADDR, 587,
                               on_connected, w, NULL);
  ms_sim_tcp_attach_engine (submit, MS_ENGINE (w->submit), MS_PROTOCOL_SMTP);
}

static MsTrace *
op25b_trace (void)
{
  World w = { 0 };
  MsSmtpClientConfig direct = { .helo_name = "pc.home.example" };
  const char *rcpt[] = { "bob@corp.example", NULL };
  g_autoptr(GBytes) message = g_bytes_new_static (message_text, sizeof message_text - 1);
  g_autoptr(GError) error = NULL;
  MsSimTcpEndpoint *ep;

  w.net = net_world_new (7);
  w.trace = ms_trace_new ("test", "op25b");
  ms_network_set_trace (w.net, w.trace);
  ms_network_set_connect_timeout (w.net, 3 * G_USEC_PER_SEC);
  w.isp_store = ms_mail_store_new ();
  ms_mail_store_add_user (w.isp_store, "alice@isp.example", "alice-secret", NULL);
  w.corp_store = ms_mail_store_new ();
  ms_mail_store_add_user (w.corp_store, "bob@corp.example", "bob-secret", NULL);
  w.isp_policy = ms_smtp_store_policy_new (w.isp_store, "mail.isp.example");
  w.corp_policy = ms_smtp_store_policy_new (w.corp_store, "mx.corp.example");
  ms_node_listen (ms_network_get_node (w.net, "isp-mail"), 587, on_accept_isp, &w, NULL);
  ms_node_listen (ms_network_get_node (w.net, "corp-mx"), 25, on_accept_corp, &w, NULL);

  narrate (&w, "アリスのPCは、宛先 mx.corp.example の25番ポートへ直接SMTPで接続しようとします。",
           "Alice's PC tries to talk SMTP directly to mx.corp.example on port 25.");
  w.direct = ms_smtp_client_new (&direct);
  ms_smtp_client_add_message (w.direct, "alice@isp.example", rcpt, message);
  ep = ms_network_connect (w.net, ms_network_get_node (w.net, "pc"), CORP_MX_ADDR, 25,
                           on_direct_connected, &w, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (w.direct), MS_PROTOCOL_SMTP);
  if (!ms_network_run (w.net, &error))
    g_error ("%s", error->message);

  g_clear_object (&w.direct);
  g_clear_object (&w.submit);
  g_clear_object (&w.relay);
  g_clear_object (&w.isp_policy);
  g_clear_object (&w.corp_policy);
  g_clear_object (&w.isp_store);
  g_clear_object (&w.corp_store);
  g_clear_object (&w.net);
  return w.trace;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MsTrace) trace = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;

  if (argc != 3)
    {
      g_printerr ("usage: %s op25b|demo|IN.json OUT.json\n", argv[0]);
      return 2;
    }
  if (strcmp (argv[1], "op25b") == 0)
    trace = op25b_trace ();
  else if (strcmp (argv[1], "demo") == 0)
    trace = ms_demo_trace_new ();
  else if (g_str_has_suffix (argv[1], ".json"))
    {
      /* read back and write again: the loader's round trip */
      trace = ms_trace_new_from_json_file (argv[1], &error);
      if (trace == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  else
    {
      g_printerr ("%s: unknown trace %s\n", argv[0], argv[1]);
      return 2;
    }
  json = ms_trace_to_json_string (trace, TRUE);
  if (!g_file_set_contents (argv[2], json, -1, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}
