/* sim-stress.c: N messages through the whole simulated path, timed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   pc (home-pool) ─ router-a [OP25B] ─ (isp-a: mail-a, dns) ─ border-a ─ (internet)
 *     ─ border-b ─ (isp-b: mx-b, pc-b)
 *
 * Each message goes MUA (pc) → 587 with AUTH → MSA (mail-a) → MTA (mail-a), which looks
 * up the MX over simulated DNS and relays on 25 → MTA (mx-b) → MDA (mx-b) stores it →
 * the recipient's MUA (pc-b) fetches it with POP3 (USER/PASS, STAT, LIST, RETR, DELE,
 * QUIT), all through the real engines over simulated TCP. The work goes in rounds: K
 * senders each submit one message at once (K SMTP sessions in flight), the network runs
 * until quiet, then K recipients each fetch and delete theirs (K POP3 sessions in
 * flight). Every message carries a serial number in its Subject; the program checks that
 * each serial arrives exactly once, in the right mailbox, with the MX's Received line and
 * the Return-Path, and exits 1 when any is missing.
 *
 *   sim-stress [--messages N] [--senders K] [--trace on|off|round] [--packets on|off]
 *              [--size BYTES] [--seed S] [--quiet]
 *
 * --trace on keeps the whole trace (every line, every message snapshot) to the end, as
 * `mailsim run` does; --trace round gives each round a fresh trace, so the recording work
 * is the same but memory stays flat; --packets on records the packet log (cleared every
 * round, as a pcap export of each round would).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>

#include "ms-mail-store.h"
#include "ms-mailbox.h"
#include "ms-mda.h"
#include "ms-message.h"
#include "ms-mra.h"
#include "ms-msa.h"
#include "ms-mta.h"
#include "ms-mua.h"
#include "ms-network.h"

#define MAIL_A_ADDR "198.51.100.25"
#define DNS_ADDR    "198.51.100.53"
#define MX_B_ADDR   "100.64.1.25"
#define PC_ADDR     "203.0.113.10"
#define PC_B_ADDR   "100.64.1.10"

typedef enum { TRACE_OFF, TRACE_ON, TRACE_ROUND } TraceMode;

typedef struct
{
  MsNetwork   *net;
  MsTrace     *trace;
  MsDnsZone   *zone;
  MsMailStore *store_a;
  MsMailStore *store_b;
  MsMda       *mda_a;
  MsMda       *mda_b;
  MsMta       *mta_a;
  MsMta       *mta_b;
  MsMsa       *msa_a;
  MsMra       *mra_b;
  MsNode      *pc;
  MsNode      *pc_b;
} World;

static void
must (gboolean    ok,
      GError     *error,
      const char *what)
{
  if (ok)
    return;
  fprintf (stderr, "sim-stress: %s: %s\n", what, error != NULL ? error->message : "failed");
  exit (2);
}

static MsNode *
host (MsNetwork  *net,
      const char *name,
      const char *subnet,
      const char *address)
{
  GError *error = NULL;
  MsNode *node = ms_network_add_node (net, name, &error);

  must (node != NULL, error, name);
  must (ms_node_add_address (node, subnet, address, &error), error, address);
  return node;
}

static void
link_to (MsNode     *node,
         const char *subnet,
         const char *address)
{
  GError *error = NULL;

  must (ms_node_add_address (node, subnet, address, &error), error, address);
}

static World *
world_new (guint32 seed,
           guint   senders)
{
  World *w = g_new0 (World, 1);
  GError *error = NULL;
  MsNode *router, *mail_a, *mx_b;
  const char *except[] = { MAIL_A_ADDR, NULL };
  MsFilterRuleSpec op25b = {
    .name = "op25b", .protocol = MS_IP_PROTO_TCP, .source = "home-pool",
    .destination_port = 25, .except_destinations = except, .action = MS_FILTER_DROP,
    .reason = "op25b",
  };
  const char *domains_a[] = { "isp-a.example", NULL };
  const char *domains_b[] = { "isp-b.example", NULL };
  const char *networks_a[] = { "198.51.100.0/24", NULL };
  MsMtaConfig mta = { 0 };
  MsMsaConfig msa = { 0 };
  MsMraConfig mra = { 0 };

  w->net = ms_network_new (seed);
  must (ms_network_add_subnet (w->net, "home-pool", "203.0.113.0/24", 2000, &error) != NULL,
        error, "home-pool");
  must (ms_network_add_subnet (w->net, "isp-a", "198.51.100.0/24", 1000, &error) != NULL,
        error, "isp-a");
  must (ms_network_add_subnet (w->net, "internet", "192.0.2.0/24", 5000, &error) != NULL,
        error, "internet");
  must (ms_network_add_subnet (w->net, "isp-b", "100.64.1.0/24", 1000, &error) != NULL,
        error, "isp-b");

  w->pc = host (w->net, "pc", "home-pool", PC_ADDR);
  router = host (w->net, "router-a", "home-pool", "203.0.113.1");
  link_to (router, "isp-a", "198.51.100.1");
  ms_node_set_forwarding (router, TRUE);
  must (ms_node_add_filter_rule (router, &op25b, &error), error, "op25b");
  mail_a = host (w->net, "mail-a", "isp-a", MAIL_A_ADDR);
  host (w->net, "dns", "isp-a", DNS_ADDR);
  router = host (w->net, "border-a", "isp-a", "198.51.100.254");
  link_to (router, "internet", "192.0.2.1");
  ms_node_set_forwarding (router, TRUE);
  router = host (w->net, "border-b", "internet", "192.0.2.2");
  link_to (router, "isp-b", "100.64.1.1");
  ms_node_set_forwarding (router, TRUE);
  mx_b = host (w->net, "mx-b", "isp-b", MX_B_ADDR);
  w->pc_b = host (w->net, "pc-b", "isp-b", PC_B_ADDR);

  w->zone = ms_dns_zone_new ();
  ms_dns_zone_add_mx (w->zone, "isp-a.example", 10, "mail.isp-a.example");
  must (ms_dns_zone_add_address (w->zone, "mail.isp-a.example", MAIL_A_ADDR, &error), error,
        "A mail");
  ms_dns_zone_add_mx (w->zone, "isp-b.example", 10, "mx.isp-b.example");
  must (ms_dns_zone_add_address (w->zone, "mx.isp-b.example", MX_B_ADDR, &error), error,
        "A mx");
  must (ms_node_serve_dns (ms_network_get_node (w->net, "dns"), w->zone, &error), error, "dns");

  w->store_a = ms_mail_store_new ();
  w->store_b = ms_mail_store_new ();
  for (guint i = 0; i < senders; i++)
    {
      g_autofree char *a = g_strdup_printf ("user%u@isp-a.example", i);
      g_autofree char *b = g_strdup_printf ("user%u@isp-b.example", i);
      g_autofree char *pa = g_strdup_printf ("pw-a-%u", i);
      g_autofree char *pb = g_strdup_printf ("pw-b-%u", i);

      must (ms_mail_store_add_user (w->store_a, a, pa, &error), error, a);
      must (ms_mail_store_add_user (w->store_b, b, pb, &error), error, b);
    }
  w->mda_a = ms_mda_new (mail_a, w->store_a);
  w->mda_b = ms_mda_new (mx_b, w->store_b);

  mta.hostname = "mail.isp-a.example";
  mta.domains = domains_a;
  mta.networks = networks_a;
  mta.dns_server = DNS_ADDR;
  mta.mda = w->mda_a;
  w->mta_a = ms_mta_new (mail_a, &mta, &error);
  must (w->mta_a != NULL, error, "mta-a");

  memset (&mta, 0, sizeof mta);
  mta.hostname = "mx.isp-b.example";
  mta.domains = domains_b;
  mta.dns_server = DNS_ADDR;
  mta.mda = w->mda_b;
  w->mta_b = ms_mta_new (mx_b, &mta, &error);
  must (w->mta_b != NULL, error, "mta-b");

  msa.hostname = "mail.isp-a.example";
  msa.users = w->store_a;
  msa.mta = w->mta_a;
  w->msa_a = ms_msa_new (mail_a, &msa, &error);
  must (w->msa_a != NULL, error, "msa");

  mra.hostname = "mx.isp-b.example";
  mra.store = w->store_b;
  mra.pop3 = TRUE;
  mra.imap = TRUE;
  w->mra_b = ms_mra_new (mx_b, &mra, &error);
  must (w->mra_b != NULL, error, "mra");
  return w;
}

static void
world_free (World *w)
{
  g_object_unref (w->mra_b);
  g_object_unref (w->msa_a);
  g_object_unref (w->mta_a);
  g_object_unref (w->mta_b);
  g_object_unref (w->mda_a);
  g_object_unref (w->mda_b);
  g_object_unref (w->store_a);
  g_object_unref (w->store_b);
  g_object_unref (w->zone);
  g_object_unref (w->net);
  g_clear_object (&w->trace);
  g_free (w);
}

static GPtrArray *
one_address (const char *address)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);

  g_ptr_array_add (list, ms_address_new (NULL, address));
  return list;
}

/* A plain-text message of about @size bytes of body, serial @serial in its Subject. The
 * MSA adds Message-ID and Date (RFC 6409 §8). */
static MsMessage *
bench_message (guint        sender,
               guint64      serial,
               const char  *body)
{
  g_autofree char *from_addr = g_strdup_printf ("user%u@isp-a.example", sender);
  g_autofree char *to_addr = g_strdup_printf ("user%u@isp-b.example", sender);
  g_autofree char *subject = g_strdup_printf ("bench #%" G_GUINT64_FORMAT, serial);
  g_autoptr(GPtrArray) from = one_address (from_addr);
  g_autoptr(GPtrArray) to = one_address (to_addr);
  MsMessageSpec spec = { 0 };
  GError *error = NULL;
  MsMessage *m;

  spec.from = from;
  spec.to = to;
  spec.subject = subject;
  spec.text = body;
  m = ms_message_new (&spec, &error);
  must (m != NULL, error, "message");
  return m;
}

static void
run_network (World *w)
{
  GError *error = NULL;

  must (ms_network_run (w->net, &error), error, "network");
}

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static gint64
peak_rss_kb (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* The serial from "Subject: bench #123" in the header; -1 when absent. */
static gint64
message_serial (GBytes *message,
                gboolean *has_trace_fields)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *end = g_strstr_len (data, len, "\r\n\r\n");
  const char *s;
  gsize hlen = end != NULL ? (gsize) (end - data) : len;
  g_autofree char *header = g_strndup (data, hlen);

  /* delivery adds Return-Path on top, the MX its Received line (RFC 5321 §4.4) */
  *has_trace_fields = g_str_has_prefix (header, "Return-Path: <user")
                      && strstr (header, "by mx.isp-b.example") != NULL
                      && strstr (header, "by mail.isp-a.example") != NULL;
  s = strstr (header, "\r\nSubject: bench #");
  if (s == NULL)
    return -1;
  return g_ascii_strtoll (s + strlen ("\r\nSubject: bench #"), NULL, 10);
}

static guint64
count_lines (MsTrace *trace)
{
  guint64 n = 0;

  if (trace == NULL)
    return 0;
  for (guint i = 0; i < ms_trace_get_n_sessions (trace); i++)
    n += ms_trace_session_get_n_lines (ms_trace_get_session (trace, i));
  return n;
}

int
main (int    argc,
      char **argv)
{
  gint64 messages = 100000, senders = 8, size = 1024, seed = 1;
  g_autofree char *trace_arg = NULL, *packets_arg = NULL, *json_path = NULL;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    { "messages", 'n', 0, G_OPTION_ARG_INT64, &messages, "Messages to send (100000)", "N" },
    { "senders", 'k', 0, G_OPTION_ARG_INT64, &senders, "Concurrent senders / recipients (8)", "K" },
    { "size", 's', 0, G_OPTION_ARG_INT64, &size, "Body bytes per message (1024)", "BYTES" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Network seed (1)", "S" },
    { "trace", 0, 0, G_OPTION_ARG_STRING, &trace_arg, "on, off or round (off)", "MODE" },
    { "packets", 0, 0, G_OPTION_ARG_STRING, &packets_arg, "on or off (off)", "on|off" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path,
      "With --trace on: write the trace as JSON here (to check the exchanges)", "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Only the result line", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- mail through the simulated path");
  GError *error = NULL;
  TraceMode trace_mode = TRACE_OFF;
  gboolean packets = FALSE;
  World *w;
  g_autofree guint8 *seen = NULL;
  g_autofree char *body = NULL;
  GString *text;
  guint64 sent = 0, accepted = 0, delivered_mda = 0, fetched = 0, bad = 0, lines = 0;
  guint64 rounds = 0, packets_logged = 0;
  gint64 t0, t1, rss_start, rss_end;
  guint64 vt;
  double wall, cpu0, cpu;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "sim-stress: %s\n", error->message);
      return 2;
    }
  if (trace_arg == NULL || strcmp (trace_arg, "off") == 0)
    trace_mode = TRACE_OFF;
  else if (strcmp (trace_arg, "on") == 0)
    trace_mode = TRACE_ON;
  else if (strcmp (trace_arg, "round") == 0)
    trace_mode = TRACE_ROUND;
  else
    {
      fprintf (stderr, "sim-stress: --trace is on, off or round\n");
      return 2;
    }
  if (packets_arg != NULL && strcmp (packets_arg, "on") == 0)
    packets = TRUE;
  else if (packets_arg != NULL && strcmp (packets_arg, "off") != 0)
    {
      fprintf (stderr, "sim-stress: --packets is on or off\n");
      return 2;
    }
  if (messages < 1 || senders < 1 || senders > 10000 || size < 0 || size > 10 * 1024 * 1024)
    {
      fprintf (stderr, "sim-stress: bad --messages, --senders or --size\n");
      return 2;
    }

  /* a body of plain lines of 72 characters */
  text = g_string_sized_new (size + 80);
  while ((gint64) text->len < size)
    {
      for (guint c = 0; c < 72; c++)
        g_string_append_c (text, "abcdefghijklmnopqrstuvwxyz0123456789"[(text->len + c) % 36]);
      g_string_append_c (text, '\n');
    }
  body = g_string_free (text, FALSE);
  seen = g_new0 (guint8, messages);

  rss_start = peak_rss_kb ();
  w = world_new ((guint32) seed, (guint) senders);
  ms_network_set_record_packets (w->net, packets);
  if (trace_mode != TRACE_OFF)
    {
      w->trace = ms_trace_new ("simulation", "sim-stress");
      ms_network_set_trace (w->net, w->trace);
    }

  t0 = g_get_monotonic_time ();
  cpu0 = cpu_seconds ();
  while (sent < (guint64) messages)
    {
      guint k = (guint) MIN ((guint64) senders, (guint64) messages - sent);
      g_autoptr(GPtrArray) muas = g_ptr_array_new_with_free_func (g_object_unref);
      guint delivered_before = ms_mda_get_n_delivered (w->mda_b);

      if (trace_mode == TRACE_ROUND)
        {
          lines += count_lines (w->trace);
          g_clear_object (&w->trace);
          w->trace = ms_trace_new ("simulation", "sim-stress");
          ms_network_set_trace (w->net, w->trace);
        }

      /* K submissions in flight: 587, AUTH, MAIL, RCPT, DATA, QUIT */
      for (guint i = 0; i < k; i++)
        {
          g_autofree char *helo = g_strdup_printf ("pc%u.home.example", i);
          g_autofree char *user = g_strdup_printf ("user%u@isp-a.example", i);
          g_autofree char *pw = g_strdup_printf ("pw-a-%u", i);
          g_autoptr(MsMessage) m = bench_message (i, sent + i, body);
          MsMua *mua = ms_mua_new (w->pc, helo);
          MsMuaSubmit how = { 0 };

          how.server = MAIL_A_ADDR;
          how.port = MS_MSA_SUBMISSION_PORT;
          how.user = user;
          how.password = pw;
          ms_mua_send (mua, m, &how);
          g_ptr_array_add (muas, mua);
        }
      run_network (w);
      for (guint i = 0; i < k; i++)
        {
          const MsMuaSendResult *r = ms_mua_get_send (g_ptr_array_index (muas, i), 0);

          if (r->finished && r->delivered && r->error == NULL)
            accepted++;
          else
            fprintf (stderr, "sim-stress: message %" G_GUINT64_FORMAT " not accepted: %s\n",
                     sent + i, r->error != NULL ? r->error->message
                     : r->reply != NULL ? r->reply : "no reply");
        }
      delivered_mda += ms_mda_get_n_delivered (w->mda_b) - delivered_before;
      g_ptr_array_set_size (muas, 0);

      /* K POP3 sessions: USER, PASS, STAT, LIST, RETR, DELE, QUIT */
      for (guint i = 0; i < k; i++)
        {
          g_autofree char *helo = g_strdup_printf ("pc-b%u.home.example", i);
          g_autofree char *user = g_strdup_printf ("user%u@isp-b.example", i);
          g_autofree char *pw = g_strdup_printf ("pw-b-%u", i);
          MsMua *mua = ms_mua_new (w->pc_b, helo);
          MsMuaFetch how = { 0 };

          how.server = MX_B_ADDR;
          how.port = MS_MRA_POP3_PORT;
          how.user = user;
          how.password = pw;
          how.delete = TRUE;
          ms_mua_fetch_pop3 (mua, &how);
          g_ptr_array_add (muas, mua);
        }
      run_network (w);
      for (guint i = 0; i < k; i++)
        {
          const MsMuaFetchResult *r = ms_mua_get_fetch (g_ptr_array_index (muas, i), 0);

          if (!r->finished || r->error != NULL)
            {
              fprintf (stderr, "sim-stress: fetch %u failed: %s\n", i,
                       r->error != NULL ? r->error->message : "unfinished");
              bad++;
              continue;
            }
          for (guint j = 0; j < r->messages->len; j++)
            {
              gboolean traced;
              gint64 serial = message_serial (g_ptr_array_index (r->messages, j), &traced);

              /* recipient i gets exactly the serial sender i sent this round */
              if (serial < 0 || serial >= messages || seen[serial] || !traced
                  || (guint64) serial < sent || (guint64) serial >= sent + k
                  || (guint64) serial - sent != i)
                {
                  fprintf (stderr, "sim-stress: user%u got a wrong message (serial %"
                           G_GINT64_FORMAT ", trace fields %s)\n", i, serial,
                           traced ? "ok" : "missing");
                  bad++;
                  continue;
                }
              seen[serial] = 1;
              fetched++;
            }
        }
      if (packets)
        {
          guint n;

          ms_network_get_packets (w->net, &n);
          packets_logged += n;
          ms_network_clear_packets (w->net);
        }
      sent += k;
      rounds++;
      if (!quiet && rounds % 1000 == 0)
        fprintf (stderr, "  %" G_GUINT64_FORMAT " messages, peak RSS %" G_GINT64_FORMAT " kB\n",
                 sent, peak_rss_kb ());
    }
  t1 = g_get_monotonic_time ();
  cpu = cpu_seconds () - cpu0;
  lines += count_lines (w->trace);
  vt = ms_network_get_now (w->net);
  rss_end = peak_rss_kb ();
  wall = (t1 - t0) / 1e6;

  for (guint i = 0; i < senders; i++)
    {
      g_autofree char *b = g_strdup_printf ("user%u@isp-b.example", i);
      MsMailbox *box = ms_mail_store_get_mailbox (w->store_b, b, "INBOX");

      if (box != NULL && ms_mailbox_get_n_messages (box) != 0)
        {
          fprintf (stderr, "sim-stress: %s still holds %u messages after DELE\n", b,
                   ms_mailbox_get_n_messages (box));
          bad++;
        }
    }

  printf ("messages=%" G_GINT64_FORMAT " senders=%" G_GINT64_FORMAT " size=%" G_GINT64_FORMAT
          " trace=%s packets=%s accepted=%" G_GUINT64_FORMAT " relayed=%u delivered=%"
          G_GUINT64_FORMAT " fetched=%" G_GUINT64_FORMAT " bad=%" G_GUINT64_FORMAT
          " rounds=%" G_GUINT64_FORMAT "\n",
          messages, senders, size, trace_mode == TRACE_OFF ? "off"
          : trace_mode == TRACE_ON ? "on" : "round", packets ? "on" : "off",
          accepted, ms_mta_get_n_relayed (w->mta_a), delivered_mda, fetched, bad, rounds);
  /* on a shared machine the CPU figure is the steadier one */
  printf ("virtual_s=%.3f wall_s=%.3f msgs_per_s=%.1f cpu_s=%.3f msgs_per_cpu_s=%.1f",
          vt / 1e6, wall, messages / wall, cpu, messages / cpu);
  if (trace_mode != TRACE_OFF)
    printf (" trace_lines=%" G_GUINT64_FORMAT " lines_per_cpu_s=%.0f lines_per_msg=%.1f",
            lines, lines / cpu, (double) lines / messages);
  if (packets)
    printf (" packets=%" G_GUINT64_FORMAT " packets_per_msg=%.1f", packets_logged,
            (double) packets_logged / messages);
  printf (" peak_rss_kb=%" G_GINT64_FORMAT " rss_per_msg_b=%.1f\n", rss_end,
          (rss_end - rss_start) * 1024.0 / messages);

  if (json_path != NULL && trace_mode == TRACE_ON)
    {
      g_autofree char *json = ms_trace_to_json_string (w->trace, TRUE);

      must (g_file_set_contents (json_path, json, -1, &error), error, json_path);
    }
  world_free (w);
  if (accepted != (guint64) messages || delivered_mda != (guint64) messages
      || fetched != (guint64) messages || bad != 0)
    {
      fprintf (stderr, "sim-stress: FAILED: %" G_GINT64_FORMAT " sent, %" G_GUINT64_FORMAT
               " accepted, %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT " fetched\n",
               messages, accepted, delivered_mda, fetched);
      return 1;
    }
  return 0;
}
