/* test-smtp-store-policy.c: local delivery, relay rules, VRFY and AUTH over a mail store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-smtp-store-policy.h"
#include "smtp-test-support.h"

TestSuite (smtp_store_policy);

static MsMailStore *
demo_store (void)
{
  MsMailStore *store = ms_mail_store_new ();

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "wonderland", NULL));
  cr_assert (ms_mail_store_add_user (store, "bob@example.com", "builder", NULL));
  cr_assert (ms_mail_store_add_user (store, "postmaster@example.com", "pm", NULL));
  cr_assert (ms_mail_store_add_user (store, "carol@other.example", "c", NULL));
  return store;
}

static char *
inbox_message (MsMailStore *store, const char *user, guint index)
{
  MsMailbox *inbox = ms_mail_store_get_mailbox (store, user, "INBOX");
  MsStoredMessage *message;
  gsize len;
  const char *data;

  cr_assert_not_null (inbox);
  if (index >= ms_mailbox_get_n_messages (inbox))
    return NULL;
  message = ms_mailbox_get_message (inbox, index);
  data = g_bytes_get_data (message->raw, &len);
  return g_strndup (data, len);
}

static guint
inbox_count (MsMailStore *store, const char *user)
{
  return ms_mailbox_get_n_messages (ms_mail_store_get_mailbox (store, user, "INBOX"));
}

static gboolean
has_event (MsTrace *trace, const char *type, const char *check, const char *result)
{
  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, i);

      if (g_strcmp0 (event->type, type) != 0)
        continue;
      if (check != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (event->fields, "check", ""),
                        check) != 0)
        continue;
      if (result != NULL
          && g_strcmp0 (json_object_get_string_member_with_default (event->fields, "result", ""),
                        result) != 0)
        continue;
      return TRUE;
    }
  return FALSE;
}

#define EHLO "EHLO client.example\r\n"

Test (smtp_store_policy, local_mail_lands_in_inbox_with_return_path_and_delivered_to)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(MsMailStore) store = demo_store ();
      g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      g_autofree char *codes = NULL;
      g_autofree char *got = NULL;

      server_run_feed (run, EHLO "MAIL FROM:<dave@far.example>\r\n"
                       "RCPT TO:<Alice@Example.com>\r\nRCPT TO:<bob@example.com>\r\n"
                       "RCPT TO:<alice@example.com>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\n",
                       c, seed);
      codes = reply_codes (run->out->str);
      cr_expect_str_eq (codes, "220 250 250 250 250 250 354 250", "%s", run->out->str);
      cr_expect_eq (inbox_count (store, "alice@example.com"), 1, "one copy per mailbox");
      cr_expect_eq (inbox_count (store, "bob@example.com"), 1);
      got = inbox_message (store, "alice@example.com", 0);
      cr_expect (g_str_has_prefix (got, "Return-Path: <dave@far.example>\r\n"
                                   "Delivered-To: alice@example.com\r\n"
                                   "Received: from client.example ([192.0.2.10])\r\n"), "%s", got);
      cr_expect (g_str_has_suffix (got, "+0000\r\nSubject: hi\r\n\r\nhello\r\n"), "%s", got);
      cr_expect (has_event (run->trace, "delivered", NULL, NULL));
      cr_expect (has_event (run->trace, "policy", "recipient", "accept"));
      cr_expect_eq (ms_smtp_store_policy_get_n_queued (policy), 0);
    }
}

Test (smtp_store_policy, a_bounce_gets_an_empty_return_path)
{
  g_autoptr(MsMailStore) store = demo_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
  g_autofree char *got = NULL;

  server_run_feed (run, EHLO "MAIL FROM:<>\r\nRCPT TO:<Postmaster>\r\nDATA\r\nbounce\r\n.\r\n",
                   MS_CHUNKS_WHOLE, 0);
  got = inbox_message (store, "postmaster@example.com", 0);
  cr_assert_not_null (got, "%s", run->out->str);
  cr_expect (g_str_has_prefix (got, "Return-Path: <>\r\nDelivered-To: postmaster@example.com\r\n"));
}

Test (smtp_store_policy, an_unknown_local_user_is_550_5_1_1)
{
  g_autoptr(MsMailStore) store = demo_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));

  server_run_feed (run, EHLO "MAIL FROM:<a@far.example>\r\nRCPT TO:<zed@example.com>\r\n",
                   MS_CHUNKS_WHOLE, 0);
  cr_expect (strstr (run->out->str, "550 5.1.1 <zed@example.com>: Recipient address rejected: "
                     "User unknown in local recipient table\r\n") != NULL, "%s", run->out->str);
  cr_expect (has_event (run->trace, "policy", "recipient", "reject"));
}

Test (smtp_store_policy, relaying_is_denied_to_strangers_with_the_reason)
{
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(MsMailStore) store = demo_store ();
      g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
      g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));
      MsTraceEvent *event = NULL;

      server_run_feed (run, EHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<x@gmail.example>\r\n",
                       c, seed);
      cr_expect (strstr (run->out->str, "554 5.7.1 <x@gmail.example>: Relay access denied\r\n")
                 != NULL, "%s", run->out->str);
      for (guint i = 0; i < ms_trace_get_n_events (run->trace); i++)
        event = ms_trace_get_event (run->trace, i);
      cr_assert_not_null (event);
      cr_expect_str_eq (event->type, "policy");
      cr_expect_str_eq (json_object_get_string_member (event->fields, "check"), "relay");
      cr_expect_str_eq (json_object_get_string_member (event->fields, "result"), "deny");
      cr_expect (strstr (json_object_get_string_member (event->fields, "reason"),
                         "not authenticated") != NULL);
      cr_expect_eq (event->session, run->session->id);
    }
}

static void
on_queued (MsSmtpStorePolicy *policy, const MsSmtpQueuedMessage *queued, gpointer user_data)
{
  (*(guint *) user_data)++;
  cr_expect_str_eq (queued->recipients[0], "x@gmail.example");
}

Test (smtp_store_policy, authenticated_users_relay_into_the_outbound_queue)
{
  MsSmtpServerConfig config;
  g_autoptr(MsMailStore) store = demo_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  g_autoptr(ServerRun) run = NULL;
  guint signals = 0;
  const MsSmtpQueuedMessage *queued;
  g_autoptr(MsSmtpQueuedMessage) popped = NULL;

  test_server_config (&config);
  config.submission = TRUE;
  config.allow_plain_auth_without_tls = TRUE;
  g_signal_connect (policy, "relay-queued", G_CALLBACK (on_queued), &signals);
  run = server_run_new (&config, MS_SMTP_POLICY (policy));
  /* "\0alice\0wonderland": a bare local part names the user when unambiguous */
  server_run_feed (run, EHLO "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"
                   "MAIL FROM:<alice@example.com>\r\nRCPT TO:<x@gmail.example>\r\n"
                   "RCPT TO:<bob@example.com>\r\nDATA\r\nSubject: out\r\n\r\nx\r\n.\r\n",
                   MS_CHUNKS_RANDOM, 9);
  cr_expect_str_eq (ms_smtp_server_get_authenticated_user (run->server), "alice@example.com");
  cr_expect_eq (signals, 1, "%s", run->out->str);
  cr_assert_eq (ms_smtp_store_policy_get_n_queued (policy), 1);
  queued = ms_smtp_store_policy_get_queued (policy, 0);
  cr_expect_str_eq (queued->sender, "alice@example.com");
  cr_expect_eq (g_strv_length (queued->recipients), 1);
  cr_expect_eq (inbox_count (store, "bob@example.com"), 1, "the local one is delivered");
  cr_expect (has_event (run->trace, "policy", "auth", "pass"));
  cr_expect (has_event (run->trace, "policy", "relay", "allow"));
  cr_expect (has_event (run->trace, "relay-queued", NULL, NULL));
  popped = ms_smtp_store_policy_pop_queued (policy);
  cr_expect_not_null (popped);
  cr_expect_eq (ms_smtp_store_policy_get_n_queued (policy), 0);
  cr_expect (strstr (g_bytes_get_data (popped->message, NULL), "with ESMTPA") != NULL);
}

Test (smtp_store_policy, trusted_networks_relay_without_auth)
{
  g_autoptr(MsMailStore) store = demo_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  g_autoptr(GError) error = NULL;
  static const char * const nets[] = { "10.0.0.0/8", "192.0.2.0/24", NULL };
  static const char * const bad[] = { "not-a-network", NULL };
  g_autoptr(ServerRun) run = NULL;

  cr_expect (!ms_smtp_store_policy_is_trusted_client (policy, "192.0.2.10"), "none by default");
  cr_expect (!ms_smtp_store_policy_set_trusted_networks (policy, bad, &error));
  cr_expect_not_null (error);
  cr_assert (ms_smtp_store_policy_set_trusted_networks (policy, nets, NULL));
  cr_expect (ms_smtp_store_policy_is_trusted_client (policy, "10.1.2.3"));
  cr_expect (ms_smtp_store_policy_is_trusted_client (policy, "::ffff:10.1.2.3"));
  cr_expect (!ms_smtp_store_policy_is_trusted_client (policy, "203.0.113.9"));
  cr_expect (!ms_smtp_store_policy_is_trusted_client (policy, "2001:db8::1"));
  run = server_run_new (NULL, MS_SMTP_POLICY (policy));
  server_run_feed (run, EHLO "MAIL FROM:<a@example.com>\r\nRCPT TO:<x@gmail.example>\r\n"
                   "DATA\r\nx\r\n.\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect_eq (ms_smtp_store_policy_get_n_queued (policy), 1, "%s", run->out->str);
}

Test (smtp_store_policy, vrfy_answers_from_the_store)
{
  g_autoptr(MsMailStore) store = demo_store ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
  g_autoptr(ServerRun) run = server_run_new (NULL, MS_SMTP_POLICY (policy));

  server_run_feed (run, "VRFY bob\r\nVRFY <alice@example.com>\r\nVRFY zed@example.com\r\n"
                   "VRFY someone@far.example\r\nVRFY a\"b\r\n", MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (run->out->str,
                    "220 mx.example.com ESMTP MailSim\r\n"
                    "250 2.1.5 <bob@example.com>\r\n"
                    "250 2.1.5 <alice@example.com>\r\n"
                    "550 5.1.1 <zed@example.com>: Recipient address rejected: User unknown in "
                    "local recipient table\r\n"
                    "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
                    "553 5.1.3 <a\"b>: Bad address syntax\r\n");
}

Test (smtp_store_policy, cram_md5_and_wrong_passwords_against_the_store)
{
  MsSmtpServerConfig config;

  test_server_config (&config);
  config.submission = TRUE;
  FOR_EACH_CHUNKING (c, seed)
    {
      g_autoptr(MsMailStore) store = demo_store ();
      g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.com");
      g_autoptr(MsSmtpServer) server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
      MsSmtpClientConfig good = { .username = "bob@example.com", .password = "builder" };
      MsSmtpClientConfig bad = { .username = "bob@example.com", .password = "nope" };
      g_autoptr(MsSmtpClient) client = ms_smtp_client_new (c == MS_CHUNKS_RANDOM ? &bad : &good);
      g_autoptr(Wire) wire = wire_new (server, client, c, seed);
      static const char * const rcpt[] = { "alice@example.com", NULL };
      g_autoptr(GBytes) body = g_bytes_new_static ("x\r\n", 3);

      ms_smtp_client_add_message (client, "bob@example.com", rcpt, body);
      wire_run (wire);
      if (c == MS_CHUNKS_RANDOM)
        {
          cr_expect (g_error_matches (ms_smtp_client_get_error (client), MS_SMTP_CLIENT_ERROR,
                                      MS_SMTP_CLIENT_ERROR_AUTH));
          cr_expect_eq (inbox_count (store, "alice@example.com"), 0);
        }
      else
        {
          cr_expect_null (ms_smtp_client_get_error (client));
          cr_expect_eq (inbox_count (store, "alice@example.com"), 1);
        }
    }
}
