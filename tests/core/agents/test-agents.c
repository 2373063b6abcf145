/* test-agents.c: MUA → MSA → MTA → MTA → MDA → MRA → MUA, end to end in one process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "agents-world.h"
#include "ms-mailbox.h"

#define ALICE "alice@isp-a.example"
#define BOB   "bob@isp-b.example"
#define CAROL "carol@isp-b.example"

static MsMuaSubmit
submission (void)
{
  MsMuaSubmit how = { .server = MAIL_A_ADDR, .port = 587, .user = ALICE,
                      .password = "alice-pw" };

  return how;
}

/* Alice submits on 587 with AUTH; Bob gets it; Carol (Bcc) too, without a Bcc field. */
static World *
send_basic (guint32 seed)
{
  World *w = world_new (seed);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, CAROL, "Lunch", "Noon?\n");
  MsMuaSubmit how = submission ();

  ms_mua_send (w->alice, m, &how);
  world_run (w);
  return w;
}

Test (agents, submission_reaches_the_mailbox_hop_by_hop)
{
  g_autoptr(World) w = send_basic (1);
  const MsMuaSendResult *r = ms_mua_get_send (w->alice, 0);
  g_autofree char *bob = NULL;
  g_autofree char *carol = NULL;
  g_autofree char *rcpts = NULL;

  cr_assert (r->finished);
  cr_assert_null (r->error, "%s", r->error->message);
  cr_assert (r->delivered);
  cr_assert_eq (r->code, 250);
  rcpts = g_strjoinv (" ", r->recipients);
  cr_assert_str_eq (rcpts, BOB " " CAROL);   /* To and Bcc both in the envelope */
  cr_assert_eq (r->codes[0], 250);
  cr_assert_eq (r->codes[1], 250);

  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
  cr_assert_eq (world_mailbox_count (w->store_b, CAROL), 1);
  bob = world_mailbox_text (w->store_b, BOB, 0);
  carol = world_mailbox_text (w->store_b, CAROL, 0);
  cr_assert (g_str_has_prefix (bob, "Return-Path: <" ALICE ">\r\nDelivered-To: " BOB "\r\n"),
             "%s", bob);
  cr_assert (g_str_has_prefix (carol, "Return-Path: <" ALICE ">\r\nDelivered-To: " CAROL "\r\n"));
  /* one Received per SMTP hop: the MSA and the MX */
  cr_assert_eq (count_occurrences (bob, "\r\nReceived: "), 2, "%s", bob);
  cr_assert (strstr (bob, "by mail.isp-a.example (MailSim) with ESMTPA") != NULL, "%s", bob);
  cr_assert (strstr (bob, "by mx.isp-b.example (MailSim) with ESMTP id") != NULL, "%s", bob);
  cr_assert (strstr (bob, "\r\nBcc:") == NULL && strstr (carol, "\r\nBcc:") == NULL);
  /* the MSA completed the message (RFC 6409 §8) */
  cr_assert (strstr (bob, "\r\nMessage-ID: <") != NULL, "%s", bob);
  cr_assert (strstr (bob, ".msa@mail.isp-a.example>") != NULL, "%s", bob);
  cr_assert (strstr (bob, "\r\nDate: Thu, 01 Jan 2026 00:00:") != NULL, "%s", bob);
  /* the MX checked SPF: mail-a is allowed for isp-a.example */
  cr_assert (strstr (bob, "Received-SPF: pass") != NULL, "%s", bob);
  cr_assert (strstr (bob, "Authentication-Results: mx.isp-b.example;") != NULL, "%s", bob);
  cr_assert_not_null (world_find_event (w, "policy", "check", "spf"));
  cr_assert_not_null (world_find_event (w, "policy", "result", "pass"));
  cr_assert_not_null (world_find_event (w, "policy", "reason", "authenticated submission"));
  cr_assert_not_null (world_find_event (w, "policy", "mechanism", "CRAM-MD5"));
  cr_assert_not_null (world_find_event (w, "policy", "reason", "digest matches"));
  cr_assert_eq (world_count_events (w, "delivered", NULL, NULL), 2);
  cr_assert_eq (world_count_events (w, "relayed", NULL, NULL), 2);

  /* snapshots: the header grows hop by hop, each node adding its part */
  {
    const char *nodes[] = { "mail.isp-a.example", "mail-a", "mx.isp-b.example", "mx-b",
                            "mx-b", "mx-b" };
    guint received[] = { 1, 1, 2, 2, 2, 2 };

    cr_assert_eq (ms_trace_get_n_messages (w->trace), G_N_ELEMENTS (nodes));
    for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
      {
        MsTraceMessage *m = ms_trace_get_message (w->trace, i);
        gsize len;
        const char *data = g_bytes_get_data (m->raw, &len);
        g_autofree char *text = g_strndup (data, len);

        cr_assert_str_eq (m->node, nodes[i]);
        cr_assert_eq (count_occurrences (text, "Received: "), received[i], "%u: %s", i, text);
        cr_assert_eq (strstr (text, "Message-ID:") != NULL, i > 0);  /* the MSA added it */
        cr_assert_eq (strstr (text, "Received-SPF:") != NULL, i >= 3);  /* the MX's mark */
        cr_assert_eq (g_str_has_prefix (text, "Return-Path:"), i >= 4);
      }
  }
  cr_assert_eq (ms_network_get_n_open_connections (w->net), 0);
  cr_assert_eq (ms_mta_get_n_queued (w->mta_a), 0);
}

Test (agents, submission_without_auth_is_refused)
{
  g_autoptr(World) w = world_new (2);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "Hi", "x\n");
  MsMuaSubmit how = { .server = MAIL_A_ADDR, .port = 587 };
  MsMuaSubmit wrong = submission ();
  MsMuaSubmit wrong_cram = submission ();
  const MsMuaSendResult *r;

  wrong.password = "guess";
  wrong.mechanism = "PLAIN";  /* the policy checks it (CRAM-MD5 is checked by the engine) */
  ms_mua_send (w->alice, m, &how);
  ms_mua_send (w->alice, m, &wrong);
  wrong_cram.password = "guess";
  ms_mua_send (w->alice, m, &wrong_cram);
  world_run (w);
  cr_assert_not (ms_mua_get_send (w->alice, 2)->delivered);
  cr_assert_not_null (world_find_event (w, "policy", "reason", "wrong digest"));
  r = ms_mua_get_send (w->alice, 0);
  cr_assert_not (r->delivered);
  cr_assert_eq (r->code, 530, "%u %s", r->code, r->reply);
  r = ms_mua_get_send (w->alice, 1);
  cr_assert_not (r->delivered);
  cr_assert_not_null (r->error);
  cr_assert_not_null (world_find_event (w, "policy", "result", "failed"));
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
}

Test (agents, op25b_drops_direct_port_25)
{
  g_autoptr(World) w = world_new (3);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "Direct", "x\n");
  MsMuaSubmit how = { .server = MX_B_ADDR, .port = 25 };
  const MsMuaSendResult *r;
  MsTraceEvent *ev;

  ms_mua_send (w->alice, m, &how);
  world_run (w);
  r = ms_mua_get_send (w->alice, 0);
  cr_assert (r->finished);
  cr_assert_not (r->delivered);
  cr_assert (g_error_matches (r->error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT),
             "%s", r->error ? r->error->message : "no error");
  ev = world_find_event (w, "blocked", "reason", "op25b");
  cr_assert_not_null (ev);
  cr_assert_str_eq (ev->node, "router-a");
  cr_assert_not_null (world_find_event (w, "connect-failed", NULL, NULL));  /* the network's */
  cr_assert_not_null (world_find_event (w, "submitted", "result", "failed"));
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
  cr_assert_eq (world_count_events (w, "delivered", NULL, NULL), 0);
}

Test (agents, open_relay_is_refused)
{
  g_autoptr(World) w = world_new (4);
  g_autoptr(MsMessage) m = world_message ("spam@spam.example", "victim@isp-a.example", NULL,
                                          "Offer", "x\n");
  MsMuaSubmit how = { .server = MX_B_ADDR, .port = 25 };
  const MsMuaSendResult *r;

  ms_mua_send (w->spammer, m, &how);
  world_run (w);
  r = ms_mua_get_send (w->spammer, 0);
  cr_assert_not (r->delivered);
  cr_assert_eq (r->codes[0], 554);
  cr_assert (strstr (r->replies[0], "554 5.7.1 <victim@isp-a.example>: Relay access denied")
             != NULL, "%s", r->replies[0]);
  cr_assert_not_null (world_find_event (w, "policy", "result", "denied"));
  cr_assert_eq (ms_mta_get_n_queued (w->mta_b), 0);
  cr_assert_eq (world_count_events (w, "relayed", NULL, NULL), 0);
}

static World *
spoof (guint32         seed,
       MsMtaSpfPolicy  policy,
       const char     *sender)
{
  World *w = world_new (seed);
  g_autoptr(MsMessage) m = world_message (sender, BOB, NULL, "Invoice", "pay\n");
  MsMuaSubmit how = { .server = MX_B_ADDR, .port = 25 };

  ms_mta_set_spf_policy (w->mta_b, policy);
  ms_mua_send (w->spammer, m, &how);
  world_run (w);
  return w;
}

Test (agents, spf_fail_is_rejected_by_policy)
{
  g_autoptr(World) w = spoof (5, MS_MTA_SPF_REJECT, ALICE);
  const MsMuaSendResult *r = ms_mua_get_send (w->spammer, 0);
  MsTraceEvent *ev = world_find_event (w, "policy", "check", "spf");

  cr_assert_not (r->delivered);
  cr_assert_eq (r->code, 550, "%u %s", r->code, r->reply);
  cr_assert (strstr (r->reply, "5.7.23") != NULL, "%s", r->reply);
  cr_assert_not_null (ev);
  cr_assert_str_eq (json_object_get_string_member (ev->fields, "result"), "fail");
  cr_assert_str_eq (ev->node, "mx-b");
  cr_assert_not_null (world_find_event (w, "policy", "result", "rejected"));
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
}

Test (agents, spf_fail_is_marked_by_policy)
{
  g_autoptr(World) w = spoof (6, MS_MTA_SPF_MARK, ALICE);
  g_autofree char *bob = NULL;

  cr_assert (ms_mua_get_send (w->spammer, 0)->delivered);
  bob = world_mailbox_text (w->store_b, BOB, 0);
  cr_assert_not_null (bob);
  cr_assert (strstr (bob, "\r\nReceived-SPF: fail") != NULL, "%s", bob);
  cr_assert (strstr (bob, "spf=fail") != NULL, "%s", bob);
  cr_assert_not_null (world_find_event (w, "policy", "result", "marked"));
}

Test (agents, spf_softfail_is_marked_even_when_fail_rejects)
{
  g_autoptr(World) w = spoof (7, MS_MTA_SPF_REJECT, "news@soft.example");
  g_autofree char *bob = NULL;

  cr_assert (ms_mua_get_send (w->spammer, 0)->delivered);
  bob = world_mailbox_text (w->store_b, BOB, 0);
  cr_assert (strstr (bob, "\r\nReceived-SPF: softfail") != NULL, "%s", bob);
  cr_assert_not_null (world_find_event (w, "policy", "spf", "softfail"));
}

Test (agents, unknown_user_bounces_a_dsn_to_the_sender)
{
  g_autoptr(World) w = world_new (8);
  g_autoptr(MsMessage) m = world_message (ALICE, "nobody@isp-b.example", NULL, "Hello?", "x\n");
  MsMuaSubmit how = submission ();
  g_autofree char *dsn = NULL;

  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (w->alice, 0)->delivered);  /* the MSA took it */
  cr_assert_eq (world_mailbox_count (w->store_a, ALICE), 1);
  dsn = world_mailbox_text (w->store_a, ALICE, 0);
  cr_assert (g_str_has_prefix (dsn, "Return-Path: <>\r\nDelivered-To: " ALICE "\r\n"), "%s", dsn);
  cr_assert (strstr (dsn, "From: Mail Delivery System <MAILER-DAEMON@mail.isp-a.example>")
             != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Content-Type: multipart/report; report-type=delivery-status;")
             != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Final-Recipient: rfc822; nobody@isp-b.example\r\n") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Action: failed\r\nStatus: 5.1.1\r\n") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Remote-MTA: dns; mx.isp-b.example\r\n") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Diagnostic-Code: smtp; 550 5.1.1 <nobody@isp-b.example>") != NULL,
             "%s", dsn);
  cr_assert (strstr (dsn, "Subject: Hello?\r\n") != NULL, "%s", dsn);  /* original headers */
  cr_assert_not_null (world_find_event (w, "bounced", "status", "5.1.1"));
  cr_assert_eq (ms_mta_get_n_bounced (w->mta_a), 1);
  /* the DSN parses as a report (GMime) */
  {
    g_autoptr(GBytes) raw = g_bytes_new (dsn, strlen (dsn));
    g_autoptr(MsMessage) parsed = ms_message_new_from_bytes (raw, NULL);
    g_autoptr(GPtrArray) parts = ms_message_dup_parts (parsed);

    cr_assert_eq (parts->len, 4);
    cr_assert_str_eq (((MsMimePart *) g_ptr_array_index (parts, 2))->content_type,
                      "message/delivery-status");
  }
}

Test (agents, temporary_failure_is_retried_with_back_off)
{
  g_autoptr(World) w = world_new (9);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "Later", "x\n");
  MsMuaSubmit how = submission ();
  MsTraceEvent *deferred, *delivered, *tempfail;

  ms_mta_set_tempfail (w->mta_b, 2);
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
  cr_assert_eq (world_count_events (w, "deferred", NULL, NULL), 2);
  tempfail = world_find_event (w, "policy", "check", "tempfail");
  cr_assert_not_null (tempfail);
  deferred = world_find_event (w, "deferred", "attempt", "1");
  cr_assert_not_null (deferred);
  cr_assert_str_eq (json_object_get_string_member (deferred->fields, "status"), "4.3.0");
  cr_assert_str_eq (json_object_get_string_member (deferred->fields, "retry_in_s"), "60");
  cr_assert_str_eq (json_object_get_string_member (
                      world_find_event (w, "deferred", "attempt", "2")->fields, "retry_in_s"),
                    "120");
  delivered = world_find_event (w, "delivered", NULL, NULL);
  cr_assert_not_null (delivered);
  /* 60 s, then 120 s on the virtual clock */
  cr_assert_geq (delivered->t_us - deferred->t_us, 180 * G_USEC_PER_SEC);
  cr_assert_lt (delivered->t_us - deferred->t_us, 181 * G_USEC_PER_SEC);
}

Test (agents, retries_give_up_into_a_bounce)
{
  g_autoptr(World) w = world_new (10);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "Never", "x\n");
  MsMuaSubmit how = submission ();
  g_autofree char *dsn = NULL;

  ms_mta_set_tempfail (w->mta_b, 100);
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_eq (world_count_events (w, "deferred", NULL, NULL), MS_MTA_DEFAULT_MAX_ATTEMPTS - 1);
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
  dsn = world_mailbox_text (w->store_a, ALICE, 0);
  cr_assert_not_null (dsn);
  cr_assert (strstr (dsn, "Status: 4.3.0") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "gave up after 5 attempts") != NULL, "%s", dsn);
}

Test (agents, pop_before_smtp_opens_a_window)
{
  g_autoptr(World) w = world_new (11);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "Via POP", "x\n");
  MsMuaSubmit direct = { .server = MAIL_A_ADDR, .port = 25 };
  MsMuaFetch pop = { .server = MAIL_A_ADDR, .port = 110, .user = ALICE, .password = "alice-pw",
                     .delay_us = 1 * G_USEC_PER_SEC };

  ms_mua_send (w->alice, m, &direct);                      /* before: denied */
  ms_mua_fetch_pop3 (w->alice, &pop);                      /* login opens the window */
  direct.delay_us = 5 * G_USEC_PER_SEC;
  ms_mua_send (w->alice, m, &direct);                      /* inside: relayed */
  direct.delay_us = POP_WINDOW + 10 * G_USEC_PER_SEC;
  ms_mua_send (w->alice, m, &direct);                      /* after: denied again */
  world_run (w);

  cr_assert_eq (ms_mua_get_send (w->alice, 0)->codes[0], 554);
  cr_assert_null (ms_mua_get_fetch (w->alice, 0)->error);
  cr_assert (ms_mua_get_send (w->alice, 1)->delivered);
  cr_assert_eq (ms_mua_get_send (w->alice, 1)->codes[0], 250);
  cr_assert_eq (ms_mua_get_send (w->alice, 2)->codes[0], 554);
  cr_assert_not_null (world_find_event (w, "policy", "result", "opened"));
  cr_assert_not_null (world_find_event (w, "policy", "result", "closed"));
  cr_assert_not_null (world_find_event (w, "policy", "reason", "pop-before-smtp"));
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
}

Test (agents, pop3_and_imap_fetch_the_same_bytes)
{
  g_autoptr(World) w = send_basic (12);
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 110, .user = BOB, .password = "bob-pw" };
  MsMuaFetch imap = { .server = MX_B_ADDR, .port = 143, .user = BOB, .password = "bob-pw",
                      .delay_us = 1 * G_USEC_PER_SEC };
  const MsMuaFetchResult *p, *i;
  MsStoredMessage *stored;

  ms_mua_fetch_pop3 (w->bob, &pop);
  ms_mua_fetch_imap (w->bob, &imap);
  world_run (w);
  p = ms_mua_get_fetch (w->bob, 0);
  i = ms_mua_get_fetch (w->bob, 1);
  cr_assert (p->finished && i->finished);
  cr_assert_null (p->error, "%s", p->error->message);
  cr_assert_null (i->error, "%s", i->error->message);
  cr_assert_eq (p->messages->len, 1);
  cr_assert_eq (i->messages->len, 1);
  cr_assert (g_bytes_equal (g_ptr_array_index (p->messages, 0), g_ptr_array_index (i->messages, 0)));
  stored = ms_mailbox_get_message (ms_mail_store_get_mailbox (w->store_b, BOB, "INBOX"), 0);
  cr_assert (g_bytes_equal (stored->raw, g_ptr_array_index (p->messages, 0)));
  /* IMAP BODY[] set \Seen; POP3 without DELE left the message there */
  cr_assert (stored->flags & MS_FLAG_SEEN);
  cr_assert_eq (world_count_events (w, "fetched", NULL, NULL), 2);
  cr_assert_eq (ms_mra_get_n_logins (w->mra_b), 2);
}

Test (agents, pop3_delete_empties_the_mailbox)
{
  g_autoptr(World) w = send_basic (13);
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 110, .user = BOB, .password = "bob-pw",
                     .delete = TRUE };

  ms_mua_fetch_pop3 (w->bob, &pop);
  world_run (w);
  cr_assert_eq (ms_mua_get_fetch (w->bob, 0)->messages->len, 1);
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 0);
}

Test (agents, reply_threads_with_in_reply_to_and_references)
{
  g_autoptr(World) w = send_basic (14);
  g_autofree char *text = world_mailbox_text (w->store_b, BOB, 0);
  g_autoptr(GBytes) raw = g_bytes_new (text, strlen (text));
  g_autoptr(MsMessage) original = ms_message_new_from_bytes (raw, NULL);
  g_autoptr(GPtrArray) from = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  MsMessageSpec spec = { 0 };
  g_autoptr(MsMessage) reply = NULL;
  g_autoptr(MsMessage) reply2 = NULL;
  g_autofree char *id = g_strstrip (g_strdup (ms_message_get_header (original, "Message-ID")));
  g_autofree char *subject = NULL;
  MsMuaSubmit how = { .server = MX_B_ADDR, .port = 587 };

  g_ptr_array_add (from, ms_address_new ("Bob", BOB));
  spec.from = from;
  spec.text = "Yes.\n";
  reply = ms_mua_compose_reply (w->bob, original, &spec, NULL);
  cr_assert_not_null (reply);
  subject = ms_message_dup_subject (reply);
  cr_assert_str_eq (subject, "Re: Lunch");
  cr_assert (strstr (ms_message_get_header (reply, "In-Reply-To"), id) != NULL);
  cr_assert (strstr (ms_message_get_header (reply, "References"), id) != NULL);
  cr_assert (strstr (ms_message_get_header (reply, "To"), ALICE) != NULL);
  reply2 = ms_mua_compose_reply (w->alice, reply, &spec, NULL);
  g_free (subject);
  subject = ms_message_dup_subject (reply2);
  cr_assert_str_eq (subject, "Re: Lunch");
  (void) how;
}

Test (agents, japanese_subject_survives_the_trip)
{
  g_autoptr(World) w = world_new (15);
  g_autoptr(GPtrArray) f = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  g_autoptr(GPtrArray) t = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  MsMessageSpec spec = { 0 };
  g_autoptr(MsMessage) m = NULL;
  MsMuaSubmit how = submission ();
  g_autofree char *text = NULL;
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(MsMessage) got = NULL;
  g_autofree char *subject = NULL;

  g_ptr_array_add (f, ms_address_new ("アリス", ALICE));
  g_ptr_array_add (t, ms_address_new (NULL, BOB));
  spec.from = f;
  spec.to = t;
  spec.subject = "会議の件";
  spec.header_charset = "ISO-2022-JP";
  spec.text = "明日の会議は十時からです。\n";
  spec.text_charset = "ISO-2022-JP";
  m = ms_mua_compose (w->alice, &spec, NULL);
  cr_assert_not_null (m);
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  text = world_mailbox_text (w->store_b, BOB, 0);
  cr_assert_not_null (text);
  cr_assert (strstr (text, "=?ISO-2022-JP?B?") != NULL || strstr (text, "=?iso-2022-jp?b?") != NULL,
             "%s", text);
  raw = g_bytes_new (text, strlen (text));
  got = ms_message_new_from_bytes (raw, NULL);
  subject = ms_message_dup_subject (got);
  cr_assert_str_eq (subject, "会議の件");
}

static char *
full_run_json (guint32 seed)
{
  g_autoptr(World) w = send_basic (seed);
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 110, .user = BOB, .password = "bob-pw" };
  MsMuaFetch imap = { .server = MX_B_ADDR, .port = 143, .user = BOB, .password = "bob-pw" };
  g_autoptr(MsMessage) m = world_message (ALICE, "nobody@isp-b.example", NULL, "x", "y\n");
  MsMuaSubmit how = submission ();

  ms_mta_set_tempfail (w->mta_b, 1);
  ms_mua_send (w->alice, m, &how);
  ms_mua_fetch_pop3 (w->bob, &pop);
  ms_mua_fetch_imap (w->bob, &imap);
  world_run (w);
  return ms_trace_to_json_string (w->trace, TRUE);
}

Test (agents, the_same_run_gives_byte_identical_json)
{
  g_autofree char *a = full_run_json (77);
  g_autofree char *b = full_run_json (77);

  cr_assert_gt (strlen (a), 10000);
  if (strcmp (a, b) != 0)
    {
      g_file_set_contents ("/tmp/agents-a.json", a, -1, NULL);
      g_file_set_contents ("/tmp/agents-b.json", b, -1, NULL);
    }
  cr_assert (strcmp (a, b) == 0, "the two runs differ (/tmp/agents-[ab].json)");
  cr_assert (strstr (a, "\"deferred\"") != NULL);
  cr_assert (strstr (a, "\"bounced\"") != NULL);
}

static MsTraceSession *
server_session (World      *w,
                const char *server_node,
                MsProtocol  protocol)
{
  /* the server's session opens after the client's; the last one of its kind */
  MsTraceSession *found = NULL;

  for (guint i = 0; i < ms_trace_get_n_sessions (w->trace); i++)
    {
      MsTraceSession *s = ms_trace_get_session (w->trace, i);

      if (g_strcmp0 (s->server_node, server_node) == 0 && s->protocol == protocol)
        found = s;
    }
  return found;
}

Test (agents, submission_with_starttls_and_on_465)
{
  g_autoptr(World) w = world_new (16);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "TLS", "x\n");
  MsMuaSubmit how = submission ();
  MsNode *node = ms_network_get_node (w->net, "mail-a");
  g_autoptr(GError) error = NULL;
  g_autoptr(MsMsa) tls_msa = NULL;
  MsMsaConfig config = { .hostname = "smtp.isp-a.example", .users = w->store_a, .mta = w->mta_a,
                         .starttls = TRUE, .require_tls = TRUE, .implicit_tls = TRUE };
  MsTraceSession *s;

  /* a second, TLS-only MSA in place of the plain one */
  g_clear_object (&w->msa_a);
  tls_msa = ms_msa_new (node, &config, &error);
  cr_assert_not_null (tls_msa, "%s", error ? error->message : "");
  w->msa_a = g_object_ref (tls_msa);

  how.starttls = TRUE;
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (w->alice, 0)->delivered);
  s = server_session (w, "mail-a", MS_PROTOCOL_SMTP);
  cr_assert_eq (s->tls, MS_TLS_STARTTLS);

  how.starttls = FALSE;
  how.port = 465;
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (w->alice, 1)->delivered,
             "%s", ms_mua_get_send (w->alice, 1)->reply);
  s = server_session (w, "mail-a", MS_PROTOCOL_SMTP);
  cr_assert_eq (s->tls, MS_TLS_IMPLICIT);

  /* without TLS the TLS-only MSA refuses AUTH */
  how.port = 587;
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_not (ms_mua_get_send (w->alice, 2)->delivered);
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 2);
  {
    g_autofree char *first = world_mailbox_text (w->store_b, BOB, 0);

    /* RFC 3848: ESMTP + STARTTLS + AUTH */
    cr_assert (strstr (first, "by smtp.isp-a.example (MailSim) with ESMTPSA") != NULL, "%s", first);
  }
}

Test (agents, mx_less_domain_falls_back_to_the_a_record)
{
  g_autoptr(World) w = world_new (17);
  g_autoptr(MsMessage) m = world_message (ALICE, "dave@old-isp-b.example", NULL, "A", "x\n");
  g_autoptr(MsMessage) lost = world_message (ALICE, "eve@nowhere.example", NULL, "NX", "x\n");
  MsMuaSubmit how = submission ();
  g_autofree char *dsn = NULL;

  /* old-isp-b.example has no MX, only an A record pointing at mx-b (RFC 5321 §5.1) */
  cr_assert (ms_mail_store_add_user (w->store_b, "dave@old-isp-b.example", "d", NULL));
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_eq (world_mailbox_count (w->store_b, "dave@old-isp-b.example"), 1);
  cr_assert_not_null (world_find_event (w, "policy", "result", "old-isp-b.example"));

  ms_mua_send (w->alice, lost, &how);
  world_run (w);
  dsn = world_mailbox_text (w->store_a, ALICE, 0);
  cr_assert_not_null (dsn);
  cr_assert (strstr (dsn, "Status: 5.1.2") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "type=MX: NXDOMAIN") != NULL || strstr (dsn, "type=MX") != NULL, "%s", dsn);
}

Test (agents, own_networks_may_relay_without_auth)
{
  g_autoptr(World) w = world_new (18);
  g_autoptr(MsMessage) m = world_message ("cron@isp-a.example", BOB, NULL, "Report", "x\n");
  MsMuaSubmit how = { .server = MAIL_A_ADDR, .port = 25 };
  g_autoptr(MsMua) server_side = ms_mua_new (ms_network_get_node (w->net, "dns"), "dns.isp-a.example");

  ms_mua_send (server_side, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (server_side, 0)->delivered);
  cr_assert_not_null (world_find_event (w, "policy", "reason", "client in own networks"));
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
}

Test (agents, pop3s_and_imaps_on_implicit_tls_ports)
{
  g_autoptr(World) w = send_basic (19);
  MsMraConfig config = { .hostname = "mail2.isp-b.example", .store = w->store_b, .pop3 = TRUE,
                         .imap = TRUE, .implicit_tls = TRUE };
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 995, .user = BOB, .password = "bob-pw" };
  MsMuaFetch imap = { .server = MX_B_ADDR, .port = 993, .user = BOB, .password = "bob-pw",
                      .peek = TRUE, .delay_us = G_USEC_PER_SEC };
  g_autoptr(MsMra) mra = NULL;

  g_clear_object (&w->mra_b);
  mra = ms_mra_new (ms_network_get_node (w->net, "mx-b"), &config, NULL);
  cr_assert_not_null (mra);
  w->mra_b = g_object_ref (mra);
  ms_mua_fetch_pop3 (w->bob, &pop);
  ms_mua_fetch_imap (w->bob, &imap);
  world_run (w);
  cr_assert_eq (ms_mua_get_fetch (w->bob, 0)->messages->len, 1);
  cr_assert_eq (ms_mua_get_fetch (w->bob, 1)->messages->len, 1);
  cr_assert_eq (server_session (w, "mx-b", MS_PROTOCOL_POP3)->tls, MS_TLS_IMPLICIT);
  cr_assert_eq (server_session (w, "mx-b", MS_PROTOCOL_IMAP)->tls, MS_TLS_IMPLICIT);
  {
    MsTraceSession *s = server_session (w, "mx-b", MS_PROTOCOL_IMAP);
    gboolean peeked = FALSE;

    for (guint i = 0; i < ms_trace_session_get_n_lines (s); i++)
      if (strstr (ms_trace_session_get_line (s, i)->text, "FETCH 1 (BODY.PEEK[])") != NULL)
        peeked = TRUE;
    cr_assert (peeked);
  }
}

Test (agents, a_refused_mail_from_bounces_to_the_return_path)
{
  g_autoptr(World) w = world_new (20);
  g_autoptr(MsMessage) m = world_message (ALICE, CAROL, NULL, "On behalf", "x\n");
  MsMuaSubmit how = submission ();
  g_autofree char *dsn = NULL;

  /* Alice sends with Bob's address as the envelope sender: the MX's SPF check for
   * isp-b.example fails for mail-a, MAIL FROM gets 550 5.7.23, and the bounce goes to
   * the Return-Path (Bob), not to the From (Alice). */
  how.envelope_from = BOB;
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (w->alice, 0)->delivered);
  cr_assert_eq (world_mailbox_count (w->store_b, CAROL), 0);
  cr_assert_eq (world_mailbox_count (w->store_a, ALICE), 0);
  cr_assert_eq (world_mailbox_count (w->store_b, BOB), 1);
  dsn = world_mailbox_text (w->store_b, BOB, 0);
  cr_assert (g_str_has_prefix (dsn, "Return-Path: <>\r\n"), "%s", dsn);
  cr_assert (strstr (dsn, "Status: 5.7.23\r\n") != NULL, "%s", dsn);
  cr_assert (strstr (dsn, "Diagnostic-Code: smtp; 550 5.7.23") != NULL, "%s", dsn);
  /* the bounce itself had the null sender: SPF checked the HELO identity */
  cr_assert_not_null (world_find_event (w, "policy", "identity", "helo"));
}

static gboolean
session_has_line (MsTraceSession *s,
                  const char     *text)
{
  for (guint i = 0; i < ms_trace_session_get_n_lines (s); i++)
    if (strstr (ms_trace_session_get_line (s, i)->text, text) != NULL)
      return TRUE;
  return FALSE;
}

Test (agents, auth_on_port_25_only_where_there_are_users)
{
  g_autoptr(World) w = world_new (21);
  g_autoptr(MsMessage) m = world_message (ALICE, BOB, NULL, "25 with AUTH", "x\n");
  MsMuaSubmit how = submission ();
  MsMuaSubmit probe = { .server = MX_B_ADDR, .port = 25 };
  g_autoptr(MsMessage) local = world_message ("someone@example.net", BOB, NULL, "Hi", "x\n");

  how.port = 25;  /* OP25B lets the pool reach its own ISP's server */
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert (ms_mua_get_send (w->alice, 0)->delivered);
  cr_assert_not_null (world_find_event (w, "policy", "reason", "authenticated user"));
  cr_assert (session_has_line (server_session (w, "mail-a", MS_PROTOCOL_SMTP), "250-AUTH"));

  ms_mua_send (w->spammer, local, &probe);
  world_run (w);
  cr_assert (ms_mua_get_send (w->spammer, 0)->delivered);  /* a local recipient */
  cr_assert_not (session_has_line (server_session (w, "mx-b", MS_PROTOCOL_SMTP), "AUTH"));
}

/* The capture of a whole run: tshark sees the commands the trace has, nothing malformed. */

static char *
run_tshark (const char         *path,
            const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "tshark");
  g_ptr_array_add (argv, (gpointer) "-n");
  g_ptr_array_add (argv, (gpointer) "-r");
  g_ptr_array_add (argv, (gpointer) path);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                           &out, &err, &status, NULL));
  cr_assert (g_spawn_check_wait_status (status, NULL), "tshark failed: %s", err);
  return out;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
sorted_words (GPtrArray *words)
{
  g_ptr_array_sort (words, compare_strings);
  g_ptr_array_add (words, NULL);
  return g_strjoinv (" ", (char **) words->pdata);
}

Test (agents, the_capture_dissects_like_the_trace)
{
  g_autoptr(World) w = send_basic (22);
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 110, .user = BOB, .password = "bob-pw" };
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *smtp = NULL;
  g_autofree char *expert = NULL;
  g_autofree char *from_trace = NULL;
  g_autofree char *from_tshark = NULL;
  g_autoptr(GPtrArray) trace_words = g_ptr_array_new ();
  g_autoptr(GPtrArray) tshark_words = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = NULL;
  const char *smtp_args[] = { "-Y", "smtp.req", "-T", "fields", "-e", "smtp.req.command", NULL };
  const char *expert_args[] = { "-q", "-z", "expert", NULL };

  if (tshark == NULL)
    cr_skip_test ("tshark is not installed");
  ms_mua_fetch_pop3 (w->bob, &pop);
  world_run (w);
  dir = g_dir_make_tmp ("ms-agents-XXXXXX", NULL);
  path = g_build_filename (dir, "run.pcapng", NULL);
  cr_assert (ms_network_write_pcapng (w->net, path, NULL));

  /* the client side of every SMTP session, as the trace has it */
  for (guint i = 0; i < ms_trace_get_n_sessions (w->trace); i++)
    {
      MsTraceSession *s = ms_trace_get_session (w->trace, i);

      if (s->protocol != MS_PROTOCOL_SMTP)
        continue;
      /* client and server both record a session: take the first of each pair (the client's) */
      {
        gboolean seen = FALSE;

        for (guint k = 0; k < i; k++)
          {
            MsTraceSession *o = ms_trace_get_session (w->trace, k);

            if (g_strcmp0 (o->client, s->client) == 0 && g_strcmp0 (o->server, s->server) == 0)
              seen = TRUE;
          }
        if (seen)
          continue;
      }
      for (guint k = 0; k < ms_trace_session_get_n_lines (s); k++)
        {
          MsTraceLine *line = ms_trace_session_get_line (s, k);

          if (line->kind == MS_LINE_COMMAND && line->command != NULL)
            g_ptr_array_add (trace_words, line->command);
        }
    }
  smtp = run_tshark (path, smtp_args);
  lines = g_strsplit (smtp, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) items = g_strsplit (lines[i], ",", -1);

      for (guint k = 0; items[k] != NULL; k++)
        if (items[k][0] != '\0')
          g_ptr_array_add (tshark_words, g_strdup (items[k]));
    }
  from_trace = sorted_words (trace_words);
  from_tshark = sorted_words (tshark_words);
  /* PC → MSA, then MSA's MTA → MX; two recipients each */
  cr_assert_str_eq (from_trace, "AUTH DATA DATA EHLO EHLO MAIL MAIL QUIT QUIT RCPT RCPT RCPT RCPT");
  cr_assert_str_eq (from_tshark, from_trace);
  expert = run_tshark (path, expert_args);
  cr_assert (strstr (expert, "Malformed") == NULL, "%s", expert);
  g_unlink (path);
  g_rmdir (dir);
}

Test (agents, the_msa_refuses_an_unknown_local_user_at_once)
{
  g_autoptr(World) w = world_new (23);
  g_autoptr(MsMessage) m = world_message (ALICE, "nobody@isp-a.example", NULL, "x", "y\n");
  g_autoptr(MsMessage) self_mail = world_message (ALICE, ALICE, NULL, "note", "y\n");
  MsMuaSubmit how = submission ();

  ms_mua_send (w->alice, m, &how);
  ms_mua_send (w->alice, self_mail, &how);
  world_run (w);
  cr_assert_eq (ms_mua_get_send (w->alice, 0)->codes[0], 550);
  cr_assert (ms_mua_get_send (w->alice, 1)->delivered);
  cr_assert_eq (world_mailbox_count (w->store_a, ALICE), 1);  /* the note, no DSN */
  cr_assert_eq (ms_mta_get_n_bounced (w->mta_a), 0);
}

Test (agents, an_ipv6_only_exchange_is_reached_over_ipv6)
{
  g_autoptr(World) w = world_new (24);
  g_autoptr(MsMessage) m = world_message (ALICE, "erin@v6.isp-b.example", NULL, "v6", "x\n");
  MsMuaSubmit how = submission ();
  MsTraceSession *s;
  g_autofree char *text = NULL;

  cr_assert (ms_mail_store_add_user (w->store_b, "erin@v6.isp-b.example", "e", NULL));
  ms_mua_send (w->alice, m, &how);
  world_run (w);
  cr_assert_eq (world_mailbox_count (w->store_b, "erin@v6.isp-b.example"), 1);
  s = server_session (w, "mx-b", MS_PROTOCOL_SMTP);
  cr_assert_str_eq (s->server, "[" MX_B_ADDR6 "]:25");
  text = world_mailbox_text (w->store_b, "erin@v6.isp-b.example", 0);
  cr_assert (strstr (text, "[" MAIL_A_ADDR6 "]") != NULL || strstr (text, "IPv6:") != NULL,
             "%s", text);
}

Test (agents, pop3_stls_and_imap_starttls)
{
  g_autoptr(World) w = send_basic (25);
  MsMraConfig config = { .hostname = "mx.isp-b.example", .store = w->store_b, .pop3 = TRUE,
                         .imap = TRUE, .starttls = TRUE };
  MsMuaFetch pop = { .server = MX_B_ADDR, .port = 110, .user = BOB, .password = "bob-pw",
                     .starttls = TRUE };
  MsMuaFetch imap = { .server = MX_B_ADDR, .port = 143, .user = BOB, .password = "bob-pw",
                      .starttls = TRUE, .delay_us = G_USEC_PER_SEC };
  g_autoptr(MsMra) mra = NULL;

  g_clear_object (&w->mra_b);
  mra = ms_mra_new (ms_network_get_node (w->net, "mx-b"), &config, NULL);
  w->mra_b = g_object_ref (mra);
  ms_mua_fetch_pop3 (w->bob, &pop);
  ms_mua_fetch_imap (w->bob, &imap);
  world_run (w);
  cr_assert_null (ms_mua_get_fetch (w->bob, 0)->error, "%s", ms_mua_get_fetch (w->bob, 0)->error->message);
  cr_assert_null (ms_mua_get_fetch (w->bob, 1)->error, "%s", ms_mua_get_fetch (w->bob, 1)->error->message);
  cr_assert_eq (ms_mua_get_fetch (w->bob, 0)->messages->len, 1);
  cr_assert_eq (ms_mua_get_fetch (w->bob, 1)->messages->len, 1);
  cr_assert_eq (server_session (w, "mx-b", MS_PROTOCOL_POP3)->tls, MS_TLS_STARTTLS);
  cr_assert_eq (server_session (w, "mx-b", MS_PROTOCOL_IMAP)->tls, MS_TLS_STARTTLS);
}
