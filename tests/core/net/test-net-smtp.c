/* test-net-smtp.c: a whole SMTP transaction over the virtual network, and its pcapng
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Alice's PC in the ISP's dynamic pool looks up the MX of isp.example, connects through
 * the ISP router and hands a message to the ISP's server, which stores it for Bob.
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>

#include "ms-mail-store.h"
#include "ms-imap-client.h"
#include "ms-imap-server.h"
#include "ms-mailbox.h"
#include "ms-pop3-client.h"
#include "ms-pop3-server.h"
#include "ms-smtp-client.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"
#include "net-test-support.h"

#define NARRATION "Alice's PC hands the message to her ISP's mail server"

static const char message_text[] =
  "From: Alice <alice@home.example>\r\n"
  "To: Bob <bob@isp.example>\r\n"
  "Subject: Lunch\r\n"
  "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
  "Message-ID: <lunch.1@home.example>\r\n"
  "\r\n"
  "Noon at the usual place?\r\n";

typedef struct
{
  MsNetwork         *net;
  MsTrace           *trace;
  MsMailStore       *store;
  MsSmtpStorePolicy *policy;
  MsSmtpClient      *client;
  gboolean           starttls;
  char              *mx_host;
  GError            *connect_error;
} World;

static void
on_accept (MsSimTcpEndpoint *ep,
           gpointer          user_data)
{
  World *w = user_data;
  MsSmtpServerConfig config;
  g_autoptr(MsSmtpServer) server = NULL;

  ms_smtp_server_config_init (&config);
  config.hostname = "mail.isp.example";
  config.clock = ms_network_unix_clock;
  config.clock_data = w->net;
  config.tls_available = w->starttls;
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (w->policy));
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_UNKNOWN);
}

static void
on_connected (MsSimTcpEndpoint *ep,
              const GError     *error,
              gpointer          user_data)
{
  World *w = user_data;

  if (error != NULL)
    w->connect_error = g_error_copy (error);
}

static void
on_address (MsNode      *node,
            const char  *name,
            MsDnsType    qtype,
            MsDnsStatus  status,
            GPtrArray   *records,
            gpointer     user_data)
{
  World *w = user_data;
  g_autofree char *address = NULL;
  MsSimTcpEndpoint *ep;

  cr_assert_eq (status, MS_DNS_STATUS_NOERROR);
  address = g_inet_address_to_string (((MsDnsRecord *) g_ptr_array_index (records, 0))->address);
  ms_network_add_packet_comment (w->net, NARRATION);
  ep = ms_network_connect (w->net, node, address, 25, on_connected, w, NULL);
  cr_assert_not_null (ep);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (w->client), MS_PROTOCOL_SMTP);
}

static void
on_mx (MsNode      *node,
       const char  *name,
       MsDnsType    qtype,
       MsDnsStatus  status,
       GPtrArray   *records,
       gpointer     user_data)
{
  World *w = user_data;

  cr_assert_eq (status, MS_DNS_STATUS_NOERROR);
  w->mx_host = g_strdup (((MsDnsRecord *) g_ptr_array_index (records, 0))->target);
  ms_node_resolve (node, ISP_DNS_ADDR, w->mx_host, MS_DNS_TYPE_A, on_address, w);
}

static World *
world_run (guint32  seed,
           gboolean starttls)
{
  World *w = g_new0 (World, 1);
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GBytes) message = g_bytes_new_static (message_text, sizeof message_text - 1);
  MsSmtpClientConfig client_config = { .helo_name = "pc.home.example" };
  const char *rcpt[] = { "bob@isp.example", NULL };
  g_autoptr(GError) error = NULL;

  w->starttls = starttls;
  w->net = net_world_new (seed);
  w->trace = ms_trace_new ("simulation", "net-smtp");
  ms_network_set_trace (w->net, w->trace);

  ms_dns_zone_add_mx (zone, "isp.example", 10, "mail.isp.example");
  cr_assert (ms_dns_zone_add_address (zone, "mail.isp.example", ISP_MAIL_ADDR, NULL));
  cr_assert (ms_node_serve_dns (ms_network_get_node (w->net, "isp-dns"), zone, NULL));

  w->store = ms_mail_store_new ();
  cr_assert (ms_mail_store_add_user (w->store, "bob@isp.example", "secret", NULL));
  w->policy = ms_smtp_store_policy_new (w->store, "mail.isp.example");
  cr_assert (ms_node_listen (ms_network_get_node (w->net, "isp-mail"), 25, on_accept, w, NULL));

  client_config.tls = starttls ? MS_SMTP_CLIENT_TLS_REQUIRE : MS_SMTP_CLIENT_TLS_NEVER;
  w->client = ms_smtp_client_new (&client_config);
  ms_smtp_client_add_message (w->client, "alice@home.example", rcpt, message);

  ms_node_resolve (ms_network_get_node (w->net, "pc"), ISP_DNS_ADDR, "isp.example",
                   MS_DNS_TYPE_MX, on_mx, w);
  cr_assert (ms_network_run (w->net, &error), "%s", error ? error->message : "");
  return w;
}

static void
world_free (World *w)
{
  g_object_unref (w->client);
  g_object_unref (w->net);
  g_object_unref (w->trace);
  g_object_unref (w->policy);
  g_object_unref (w->store);
  g_free (w->mx_host);
  g_clear_error (&w->connect_error);
  g_free (w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (World, world_free)

static MsTraceSession *
find_session (MsTrace    *trace,
              const char *server_node,
              gboolean    client_side)
{
  /* one connection is one session, whichever side is asked for: both engines see the
   * same lines and only one records them */
  for (guint i = 0; i < ms_trace_get_n_sessions (trace); i++)
    {
      MsTraceSession *s = ms_trace_get_session (trace, i);

      if (g_strcmp0 (s->server_node, server_node) == 0)
        return s;
    }
  return NULL;
}

/* "EHLO MAIL RCPT DATA QUIT" and "220 250 250 ..." from a session */
static void
session_summary (MsTraceSession *s,
                 GString        *commands,
                 GString        *codes)
{
  for (guint i = 0; i < ms_trace_session_get_n_lines (s); i++)
    {
      MsTraceLine *line = ms_trace_session_get_line (s, i);

      if (line->kind == MS_LINE_COMMAND && line->command != NULL)
        g_string_append_printf (commands, "%s ", line->command);
      else if (line->kind == MS_LINE_REPLY && line->code != 0
               && !(strlen (line->text) > 3 && line->text[3] == '-'))
        g_string_append_printf (codes, "%d ", line->code);  /* the last line of a reply */
    }
}

Test (net_smtp, message_crosses_the_router_into_the_store)
{
  g_autoptr(World) w = world_run (2026, FALSE);
  const MsSmtpClientResult *result;
  MsMailbox *inbox;
  MsTraceSession *client, *server;
  g_autoptr(GString) c_cmds = g_string_new (NULL);
  g_autoptr(GString) c_codes = g_string_new (NULL);
  g_autoptr(GString) s_cmds = g_string_new (NULL);
  g_autoptr(GString) s_codes = g_string_new (NULL);
  gint64 last = -1;

  cr_assert_null (w->connect_error);
  cr_assert_str_eq (w->mx_host, "mail.isp.example");
  cr_assert (ms_smtp_client_is_finished (w->client));
  cr_assert_null (ms_smtp_client_get_error (w->client),
                  "%s", ms_smtp_client_get_error (w->client)->message);
  result = ms_smtp_client_get_result (w->client, 0);
  cr_assert (result->delivered);
  cr_assert_eq (result->code, 250);

  inbox = ms_mail_store_get_mailbox (w->store, "bob@isp.example", "INBOX");
  cr_assert_not_null (inbox);
  cr_assert_eq (ms_mailbox_get_n_messages (inbox), 1);

  /* the conversation is recorded once, on the virtual clock */
  cr_assert_eq (ms_trace_get_n_sessions (w->trace), 1);
  client = find_session (w->trace, "isp-mail", TRUE);
  server = find_session (w->trace, "isp-mail", FALSE);
  cr_assert_not_null (client);
  cr_assert_not_null (server);
  cr_assert_str_eq (client->client_node, "pc");
  cr_assert_str_eq (server->client, PC_ADDR ":49154");  /* 49152, 49153: the DNS queries */
  cr_assert_str_eq (server->server, ISP_MAIL_ADDR ":25");
  cr_assert_eq (server->protocol, MS_PROTOCOL_SMTP);
  session_summary (client, c_cmds, c_codes);
  session_summary (server, s_cmds, s_codes);
  cr_assert_str_eq (c_cmds->str, "EHLO MAIL RCPT DATA QUIT ");
  cr_assert_str_eq (s_cmds->str, c_cmds->str);
  cr_assert_str_eq (s_codes->str, c_codes->str);
  cr_assert_str_eq (c_codes->str, "220 250 250 250 354 250 221 ");
  for (guint i = 0; i < ms_trace_session_get_n_lines (server); i++)
    {
      MsTraceLine *line = ms_trace_session_get_line (server, i);

      cr_assert_geq (line->t_us, last);
      last = line->t_us;
    }
  /* the greeting leaves when the handshake completes: DNS (2 round trips) + 1.5 RTT */
  cr_assert_eq (ms_trace_session_get_line (server, 0)->t_us, 7 * (HOME_LATENCY + ISP_LATENCY));
  /* the server hears EHLO one round trip after its greeting left: the greeting crosses
   * the path, the client answers at once, EHLO crosses back */
  cr_assert_eq (ms_trace_session_get_line (server, 1)->t_us,
                ms_trace_session_get_line (server, 0)->t_us + 2 * (HOME_LATENCY + ISP_LATENCY));
  cr_assert_geq (server->closed_us, last);
  cr_assert_eq (ms_network_get_n_open_connections (w->net), 0);
}

Test (net_smtp, same_seed_gives_byte_identical_json)
{
  g_autoptr(World) a = world_run (5, FALSE);
  g_autoptr(World) b = world_run (5, FALSE);
  g_autofree char *ja = ms_trace_to_json_string (a->trace, TRUE);
  g_autofree char *jb = ms_trace_to_json_string (b->trace, TRUE);
  g_autofree char *pa = net_packets_dump (a->net);
  g_autofree char *pb = net_packets_dump (b->net);
  MsStoredMessage *ma, *mb;

  cr_assert_gt (strlen (ja), 1000);
  cr_assert_str_eq (ja, jb);
  cr_assert_str_eq (pa, pb);
  ma = ms_mailbox_get_message (ms_mail_store_get_mailbox (a->store, "bob@isp.example", "INBOX"), 0);
  mb = ms_mailbox_get_message (ms_mail_store_get_mailbox (b->store, "bob@isp.example", "INBOX"), 0);
  cr_assert_not_null (ma);
  cr_assert_not_null (mb);
}

Test (net_smtp, starttls_marks_the_rest_encrypted)
{
  g_autoptr(World) w = world_run (77, TRUE);
  MsTraceSession *client, *server;
  g_autoptr(GString) cmds = g_string_new (NULL);
  g_autoptr(GString) codes = g_string_new (NULL);
  const MsPacket *p;
  guint n, encrypted = 0, clear = 0;

  cr_assert_null (ms_smtp_client_get_error (w->client));
  cr_assert (ms_smtp_client_get_result (w->client, 0)->delivered);
  client = find_session (w->trace, "isp-mail", TRUE);
  server = find_session (w->trace, "isp-mail", FALSE);
  cr_assert_eq (client->tls, MS_TLS_STARTTLS);
  cr_assert_eq (server->tls, MS_TLS_STARTTLS);
  session_summary (client, cmds, codes);
  cr_assert_str_eq (cmds->str, "EHLO STARTTLS EHLO MAIL RCPT DATA QUIT ");
  cr_assert_eq (net_count_events (w->trace, "tls", NULL), 2);
  p = ms_network_get_packets (w->net, &n);
  for (guint i = 0; i < n; i++)
    if (ms_packet_get_payload_size (&p[i]) > 0 && p[i].protocol == MS_IP_PROTO_TCP)
      {
        if (p[i].encrypted)
          encrypted++;
        else
          {
            cr_assert_eq (encrypted, 0, "clear text after TLS began");
            clear++;
          }
      }
  /* 220, EHLO, 250, STARTTLS, 220 in the clear; the rest inside TLS */
  cr_assert_eq (clear, 5);
  cr_assert_geq (encrypted, 8);
}

/* tshark */

static char *
run_tshark (const char *path,
            const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "tshark");
  g_ptr_array_add (argv, (gpointer) "-n");
  g_ptr_array_add (argv, (gpointer) "-r");
  g_ptr_array_add (argv, (gpointer) path);
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) "tcp.check_checksum:TRUE");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) "ip.check_checksum:TRUE");
  g_ptr_array_add (argv, (gpointer) "-o");
  g_ptr_array_add (argv, (gpointer) "udp.check_checksum:TRUE");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                           &out, &err, &status, &error), "%s", error ? error->message : "");
  cr_assert (g_spawn_check_wait_status (status, NULL), "tshark failed: %s", err);
  return g_steal_pointer (&out);
}

/* "EHLO\t\n\t220\n" → commands "EHLO " and codes "220 " */
static void
tshark_summary (const char *fields,
                GString    *commands,
                GString    *codes)
{
  g_auto(GStrv) lines = g_strsplit (fields, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) cols = g_strsplit (lines[i], "\t", 2);
      GString *outs[2] = { commands, codes };

      for (guint c = 0; c < 2 && cols[0] != NULL && cols[c] != NULL; c++)
        {
          g_auto(GStrv) items = g_strsplit (cols[c], ",", -1);

          for (guint k = 0; items[k] != NULL; k++)
            if (items[k][0] != '\0')
              g_string_append_printf (outs[c], "%s ", items[k]);
        }
    }
}

static char *
write_capture (World *w,
               char **dir)
{
  g_autoptr(GError) error = NULL;
  char *path;

  *dir = g_dir_make_tmp ("ms-net-XXXXXX", &error);
  cr_assert_not_null (*dir, "%s", error ? error->message : "");
  path = g_build_filename (*dir, "run.pcapng", NULL);
  cr_assert (ms_network_write_pcapng (w->net, path, &error), "%s",
             error ? error->message : "");
  return path;
}

static void
remove_capture (char *dir,
                char *path)
{
  g_unlink (path);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

Test (net_smtp, pcapng_dissects_like_the_trace)
{
  g_autoptr(World) w = NULL;
  g_autoptr(GString) t_cmds = g_string_new (NULL);
  g_autoptr(GString) t_codes = g_string_new (NULL);
  g_autoptr(GString) s_cmds = g_string_new (NULL);
  g_autoptr(GString) s_codes = g_string_new (NULL);
  g_autofree char *smtp = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *comments = NULL;
  g_autofree char *expert = NULL;
  g_autofree char *frames = NULL;
  g_auto(GStrv) frame_lines = NULL;
  char *dir, *path;
  guint n_packets;
  const char *smtp_args[] = { "-Y", "smtp", "-T", "fields", "-e", "smtp.req.command",
                              "-e", "smtp.response.code", NULL };
  const char *dns_args[] = { "-Y", "dns", "-T", "fields", "-e", "dns.flags.response",
                             "-e", "dns.qry.name", "-e", "dns.qry.type", "-e", "dns.a",
                             "-e", "dns.mx.mail_exchange", NULL };
  const char *comment_args[] = { "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment",
                                 NULL };
  const char *expert_args[] = { "-q", "-z", "expert", NULL };
  const char *frame_args[] = { "-T", "fields", "-e", "frame.number", NULL };

  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    cr_skip_test ("tshark is not installed: the pcapng is not checked (apt install tshark)");

  w = world_run (2026, FALSE);
  path = write_capture (w, &dir);

  smtp = run_tshark (path, smtp_args);
  tshark_summary (smtp, t_cmds, t_codes);
  session_summary (find_session (w->trace, "isp-mail", TRUE), s_cmds, s_codes);
  cr_assert_str_eq (t_cmds->str, s_cmds->str, "tshark saw:\n%s", smtp);
  cr_assert_str_eq (t_codes->str, s_codes->str, "tshark saw:\n%s", smtp);

  dns = run_tshark (path, dns_args);
  cr_assert_str_eq (dns,
                    "0\tisp.example\t15\t\t\n"
                    "1\tisp.example\t15\t\tmail.isp.example\n"
                    "0\tmail.isp.example\t1\t\t\n"
                    "1\tmail.isp.example\t1\t" ISP_MAIL_ADDR "\t\n");

  comments = run_tshark (path, comment_args);
  cr_assert (strstr (comments, NARRATION) != NULL, "%s", comments);

  expert = run_tshark (path, expert_args);
  cr_assert (strstr (expert, "Malformed") == NULL, "%s", expert);
  cr_assert (strstr (expert, "Bad checksum") == NULL, "%s", expert);
  cr_assert (strstr (expert, "Errors (") == NULL, "%s", expert);

  frames = run_tshark (path, frame_args);
  ms_network_get_packets (w->net, &n_packets);
  frame_lines = g_strsplit (frames, "\n", -1);
  cr_assert_eq (g_strv_length (frame_lines), n_packets + 1);
  remove_capture (dir, path);
}

Test (net_smtp, pcapng_after_starttls_shows_tls_records)
{
  g_autoptr(World) w = NULL;
  g_autoptr(GString) t_cmds = g_string_new (NULL);
  g_autoptr(GString) t_codes = g_string_new (NULL);
  g_autofree char *smtp = NULL;
  g_autofree char *tls = NULL;
  g_autofree char *expert = NULL;
  g_autofree char *tcp = NULL;
  g_auto(GStrv) records = NULL;
  char *dir, *path;
  const MsPacket *p;
  guint n, n_encrypted = 0;
  const char *smtp_args[] = { "-Y", "smtp", "-T", "fields", "-e", "smtp.req.command",
                              "-e", "smtp.response.code", NULL };
  const char *tls_args[] = { "-Y", "tls.record.content_type == 23", "-T", "fields",
                             "-e", "tls.record.length", NULL };
  const char *expert_args[] = { "-q", "-z", "expert", NULL };
  const char *tcp_args[] = { "-Y", "tcp.analysis.flags", NULL };

  g_autofree char *tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    cr_skip_test ("tshark is not installed: the pcapng is not checked (apt install tshark)");

  w = world_run (31, TRUE);
  path = write_capture (w, &dir);
  p = ms_network_get_packets (w->net, &n);
  for (guint i = 0; i < n; i++)
    if (p[i].encrypted)
      n_encrypted++;

  /* what a real capture shows: SMTP up to STARTTLS, then TLS records */
  smtp = run_tshark (path, smtp_args);
  tshark_summary (smtp, t_cmds, t_codes);
  /* Wireshark's smtp.req.command holds the first four letters of a verb ("STAR") */
  cr_assert_str_eq (t_cmds->str, "EHLO STAR ", "%s", smtp);
  cr_assert_str_eq (t_codes->str, "220 250 220 ", "%s", smtp);
  tls = run_tshark (path, tls_args);
  records = g_strsplit (g_strstrip (tls), "\n", -1);
  cr_assert_eq (g_strv_length (records), n_encrypted, "%s", tls);
  /* the record headers shift the stream, but TCP analysis finds nothing odd */
  tcp = run_tshark (path, tcp_args);
  cr_assert_str_eq (tcp, "", "%s", tcp);
  expert = run_tshark (path, expert_args);
  cr_assert (strstr (expert, "Malformed") == NULL, "%s", expert);
  cr_assert (strstr (expert, "Errors (") == NULL, "%s", expert);
  cr_assert (strstr (expert, "Warnings (") == NULL, "%s", expert);
  remove_capture (dir, path);
}

/* POP3: Bob fetches the message from the same store, over the same network */

static void
on_pop3_accept (MsSimTcpEndpoint *ep,
                gpointer          user_data)
{
  World *w = user_data;
  MsPop3ServerConfig config;
  g_autoptr(MsPop3Server) server = NULL;

  ms_pop3_server_config_init (&config);
  config.hostname = "mail.isp.example";
  config.apop_pid = 4242;
  config.apop_clock = (guint64) ms_network_unix_clock (w->net) / G_USEC_PER_SEC;
  server = ms_pop3_server_new (&config, w->store);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_UNKNOWN);
}

Test (net_smtp, pop3_fetch_over_the_network)
{
  g_autoptr(World) w = world_run (12, FALSE);
  MsPop3ClientConfig config = { .user = "bob@isp.example", .password = "secret" };
  g_autoptr(MsPop3Client) client = ms_pop3_client_new (&config);
  g_autoptr(GString) t_cmds = g_string_new (NULL);
  g_autoptr(GString) s_cmds = g_string_new (NULL);
  g_autoptr(GString) unused = g_string_new (NULL);
  g_autofree char *pop = NULL;
  MsSimTcpEndpoint *ep;
  MsTraceSession *session;
  GPtrArray *retrieved;
  g_autofree char *tshark = NULL;
  char *dir, *path;
  const char *pop_args[] = { "-Y", "pop.request", "-T", "fields", "-e", "pop.request.command",
                             NULL };

  cr_assert (ms_node_listen (ms_network_get_node (w->net, "isp-mail"), 110, on_pop3_accept, w,
                             NULL));
  ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR_ALL, 0, 0);
  ep = ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), ISP_MAIL_ADDR, 110,
                           NULL, NULL, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (client), MS_PROTOCOL_UNKNOWN);
  cr_assert (ms_network_run (w->net, NULL));
  cr_assert (ms_pop3_client_is_finished (client));
  cr_assert_null (ms_pop3_client_get_error (client));
  retrieved = ms_pop3_client_get_retrieved (client);
  cr_assert_eq (retrieved->len, 1);
  {
    gsize len;
    const char *data = g_bytes_get_data (((MsPop3Retrieved *) g_ptr_array_index (retrieved, 0))->data,
                                         &len);
    g_autofree char *text = g_strndup (data, len);

    cr_assert (strstr (text, "Subject: Lunch\r\n") != NULL, "%s", text);
    cr_assert (strstr (text, "Received: from pc.home.example") != NULL, "%s", text);
  }
  session = find_session (w->trace, "isp-mail", TRUE);
  cr_assert_eq (session->protocol, MS_PROTOCOL_SMTP);
  session = ms_trace_get_session (w->trace, 1);
  cr_assert_eq (session->protocol, MS_PROTOCOL_POP3);
  cr_assert_str_eq (session->client_node, "pc");

  tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    return;  /* the fetch itself was checked; the capture needs tshark */
  path = write_capture (w, &dir);
  pop = run_tshark (path, pop_args);
  tshark_summary (pop, t_cmds, unused);
  session_summary (session, s_cmds, unused);
  cr_assert_gt (s_cmds->len, 0);
  cr_assert_str_eq (t_cmds->str, s_cmds->str, "tshark saw:\n%s", pop);
  remove_capture (dir, path);
}

Test (net_smtp, pop3s_is_tls_from_the_first_byte)
{
  g_autoptr(World) w = world_run (13, FALSE);
  MsPop3ClientConfig config = { .user = "bob@isp.example", .password = "secret" };
  g_autoptr(MsPop3Client) client = ms_pop3_client_new (&config);
  MsSimTcpEndpoint *ep;
  MsTraceSession *session;
  const MsPacket *p;
  guint n, n_data = 0;

  ms_network_clear_packets (w->net);
  cr_assert (ms_node_listen (ms_network_get_node (w->net, "isp-mail"), 995, on_pop3_accept, w,
                             NULL));
  ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
  ep = ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), ISP_MAIL_ADDR, 995,
                           NULL, NULL, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (client), MS_PROTOCOL_UNKNOWN);
  cr_assert (ms_network_run (w->net, NULL));
  cr_assert_null (ms_pop3_client_get_error (client));
  session = ms_trace_get_session (w->trace, 1);
  cr_assert_eq (session->protocol, MS_PROTOCOL_POP3);
  cr_assert_eq (session->tls, MS_TLS_IMPLICIT);
  p = ms_network_get_packets (w->net, &n);
  for (guint i = 0; i < n; i++)
    if (ms_packet_get_payload_size (&p[i]) > 0)
      {
        cr_assert (p[i].encrypted);
        n_data++;
      }
  cr_assert_geq (n_data, 4);
}

/* IMAP: Bob reads the message on another device */

static void
on_imap_accept (MsSimTcpEndpoint *ep,
                gpointer          user_data)
{
  World *w = user_data;
  MsImapServerConfig config;
  g_autoptr(MsImapServer) server = NULL;

  ms_imap_server_config_init (&config);
  config.hostname = "mail.isp.example";
  config.allow_plain_login_without_tls = TRUE;  /* a lab without TLS */
  server = ms_imap_server_new (&config, w->store);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (server), MS_PROTOCOL_UNKNOWN);
}

Test (net_smtp, imap_fetch_over_the_network)
{
  g_autoptr(World) w = world_run (14, FALSE);
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GString) t_cmds = g_string_new (NULL);
  g_autoptr(GString) s_cmds = g_string_new (NULL);
  g_autoptr(GString) unused = g_string_new (NULL);
  g_autofree char *imap = NULL;
  g_autofree char *tshark = NULL;
  MsSimTcpEndpoint *ep;
  MsImapCommandResult *fetch;
  MsImapResponse *response;
  MsTraceSession *session;
  g_autofree char *fetch_tag = NULL;
  char *dir, *path;
  const char *imap_args[] = { "-Y", "imap.request", "-T", "fields", "-e", "imap.request.command",
                              NULL };

  cr_assert (ms_node_listen (ms_network_get_node (w->net, "isp-mail"), 143, on_imap_accept, w,
                             NULL));
  ms_imap_client_login (client, "bob@isp.example", "secret");
  ms_imap_client_select (client, "INBOX");
  fetch_tag = g_strdup (ms_imap_client_fetch (client, FALSE, "1",
                                              "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])"));
  ms_imap_client_logout (client);
  ep = ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), ISP_MAIL_ADDR, 143,
                           NULL, NULL, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (client), MS_PROTOCOL_UNKNOWN);
  cr_assert (ms_network_run (w->net, NULL));
  cr_assert (ms_imap_client_is_finished (client));
  cr_assert_null (ms_imap_client_get_error (client));
  fetch = ms_imap_client_find_result (client, fetch_tag);
  cr_assert_not_null (fetch);
  cr_assert_eq (fetch->status, MS_IMAP_STATUS_OK, "%s", fetch->text);
  response = ms_imap_command_result_find (fetch, "FETCH");
  cr_assert_not_null (response);
  cr_assert (memmem (response->raw, response->raw_len, "Subject: Lunch", 14) != NULL,
             "%s", response->raw);
  session = ms_trace_get_session (w->trace, 1);
  cr_assert_eq (session->protocol, MS_PROTOCOL_IMAP);

  tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    return;  /* the fetch itself was checked; the capture needs tshark */
  path = write_capture (w, &dir);
  imap = run_tshark (path, imap_args);
  tshark_summary (imap, t_cmds, unused);
  session_summary (session, s_cmds, unused);
  cr_assert_str_eq (t_cmds->str, "LOGIN SELECT FETCH LOGOUT ", "tshark saw:\n%s", imap);
  cr_assert_str_eq (s_cmds->str, t_cmds->str);
  remove_capture (dir, path);
}

/* The same capture holds IPv6 traffic and a blocked attempt with its comment. */
Test (net_smtp, pcapng_with_ipv6_and_a_blocked_attempt)
{
  g_autoptr(World) w = world_run (15, FALSE);
  MsSmtpClientConfig client_config = { .helo_name = "pc.home.example" };
  g_autoptr(MsSmtpClient) v6 = ms_smtp_client_new (&client_config);
  g_autoptr(GBytes) message = g_bytes_new_static (message_text, sizeof message_text - 1);
  const char *rcpt[] = { "bob@isp.example", NULL };
  g_autoptr(GString) t_cmds = g_string_new (NULL);
  g_autoptr(GString) t_codes = g_string_new (NULL);
  g_autofree char *tshark = NULL;
  g_autofree char *smtp = NULL;
  g_autofree char *comments = NULL;
  g_autofree char *ipv6 = NULL;
  g_autofree char *expert = NULL;
  MsSimTcpEndpoint *ep;
  char *dir, *path;
  const char *smtp_args[] = { "-Y", "smtp", "-T", "fields", "-e", "smtp.req.command",
                              "-e", "smtp.response.code", NULL };
  const char *comment_args[] = { "-Y", "frame.comment", "-T", "fields", "-e", "frame.comment",
                                 NULL };
  const char *ipv6_args[] = { "-Y", "ipv6 && smtp", "-T", "fields", "-e", "ipv6.src", NULL };
  const char *expert_args[] = { "-q", "-z", "expert", NULL };

  ms_smtp_client_add_message (v6, "alice@home.example", rcpt, message);
  ep = ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), ISP_MAIL_ADDR6, 25,
                           NULL, NULL, NULL);
  ms_sim_tcp_attach_engine (ep, MS_ENGINE (v6), MS_PROTOCOL_SMTP);
  ms_network_set_connect_timeout (w->net, 2 * G_USEC_PER_SEC);
  ms_network_add_packet_comment (w->net, "Port 25 to the outside: OP25B");
  ms_network_connect (w->net, ms_network_get_node (w->net, "pc"), CORP_MX_ADDR, 25, NULL, NULL,
                      NULL);
  cr_assert (ms_network_run (w->net, NULL));
  cr_assert (ms_smtp_client_get_result (v6, 0)->delivered);
  cr_assert_eq (ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (w->store, "bob@isp.example",
                                                                      "INBOX")), 2);

  tshark = g_find_program_in_path ("tshark");
  if (tshark == NULL)
    cr_skip_test ("tshark is not installed: the pcapng is not checked (apt install tshark)");
  path = write_capture (w, &dir);
  smtp = run_tshark (path, smtp_args);
  tshark_summary (smtp, t_cmds, t_codes);
  cr_assert_str_eq (t_cmds->str, "EHLO MAIL RCPT DATA QUIT EHLO MAIL RCPT DATA QUIT ");
  cr_assert_str_eq (t_codes->str, "220 250 250 250 354 250 221 220 250 250 250 354 250 221 ");
  ipv6 = run_tshark (path, ipv6_args);
  cr_assert (strstr (ipv6, PC_ADDR6) != NULL, "%s", ipv6);
  comments = run_tshark (path, comment_args);
  cr_assert (strstr (comments, "Port 25 to the outside: OP25B") != NULL, "%s", comments);
  cr_assert (strstr (comments, "Dropped by isp-router: op25b") != NULL, "%s", comments);
  expert = run_tshark (path, expert_args);
  cr_assert (strstr (expert, "Malformed") == NULL, "%s", expert);
  cr_assert (strstr (expert, "Errors (") == NULL, "%s", expert);
  /* the SYN retransmissions are what Wireshark calls them */
  cr_assert (strstr (expert, "retransmission") != NULL, "%s", expert);
  remove_capture (dir, path);
}
