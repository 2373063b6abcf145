/* test-ms-trace.c: the trace model and its JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <json-glib/json-glib.h>

#include "ms-trace.h"

static gint64 fake_now;

static gint64
fake_clock (gpointer user_data)
{
  return fake_now;
}

static MsTrace *
new_trace (void)
{
  MsTrace *trace = ms_trace_new ("scenario", "unit");

  fake_now = 0;
  ms_trace_set_clock (trace, fake_clock, NULL);
  return trace;
}

Test (trace_line, smtp_commands_are_named_by_their_first_word)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "192.0.2.1:5000", "192.0.2.2:25");
  MsTraceLine *l;

  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "mail FROM:<a@b.example>", -1);
  cr_expect_str_eq (l->command, "MAIL");
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "RCPT TO:<c@d.example>", -1);
  cr_expect_str_eq (l->command, "RCPT");
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", -1);
  cr_expect_str_eq (l->command, "AUTH");
  cr_expect (l->secret, "an initial response carries the password");
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "AUTH LOGIN", -1);
  cr_expect_not (l->secret);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "250-PIPELINING", -1);
  cr_expect_eq (l->code, 250);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "354", -1);
  cr_expect_eq (l->code, 354);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "25x nonsense", -1);
  cr_expect_eq (l->code, 0);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "<garbage>", -1);
  cr_expect_null (l->command);
}

Test (trace_line, pop3_status_and_secrets)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "192.0.2.1:5000", "192.0.2.2:110");
  MsTraceLine *l;

  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "pass wonderland", -1);
  cr_expect_str_eq (l->command, "PASS");
  cr_expect (l->secret);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "+OK 2 messages", -1);
  cr_expect_str_eq (l->status, "+OK");
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "-ERR no such message", -1);
  cr_expect_str_eq (l->status, "-ERR");
}

Test (trace_line, imap_tags_uid_commands_and_statuses)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "192.0.2.1:5000", "192.0.2.2:143");
  MsTraceLine *l;

  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "a1 uid fetch 1:* (FLAGS)", -1);
  cr_expect_str_eq (l->command, "UID FETCH");
  cr_expect_str_eq (l->tag, "a1");
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "a2 LOGIN alice secret", -1);
  cr_expect (l->secret);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "DONE", -1);
  cr_expect_str_eq (l->command, "DONE");
  cr_expect_null (l->tag);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "* OK [UIDVALIDITY 3] UIDs valid", -1);
  cr_expect_str_eq (l->status, "OK");
  cr_expect_null (l->tag);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "a1 NO [TRYCREATE] no such mailbox", -1);
  cr_expect_str_eq (l->status, "NO");
  cr_expect_str_eq (l->tag, "a1");
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "* 3 EXISTS", -1);
  cr_expect_null (l->status);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "+ Ready for literal data", -1);
  cr_expect_null (l->status);
}

Test (trace_json, matches_the_documented_shape)
{
  g_autoptr(MsTrace) trace = new_trace ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  static const char text[] =
    "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nMessage-ID: <1@a.example>\r\n\r\nbody\r\n";
  g_autoptr(GBytes) raw = g_bytes_new_static (text, sizeof text - 1);
  const char *rcpts[] = { "bob@b.example", NULL };
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "203.0.113.7:50123",
                                             "[2001:db8::25]:587");
  JsonObject *root;
  JsonObject *session;
  JsonObject *line;
  JsonObject *message;

  fake_now = 12000;
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "220 mx ESMTP", -1);
  fake_now = 13000;
  ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "EHLO pc", -1);
  ms_trace_add_message (trace, s->id, "mx", "alice@a.example", rcpts, raw);
  ms_trace_add_event (trace, "blocked", "router", s->id, "reason", "op25b", NULL);
  ms_trace_add_expectation (trace, "dropped", TRUE);

  json = ms_trace_to_json_string (trace, FALSE);
  cr_assert (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  cr_expect_str_eq (json_object_get_string_member (json_object_get_object_member (root, "source"), "kind"), "scenario");
  session = json_array_get_object_element (json_object_get_array_member (root, "sessions"), 0);
  cr_expect_str_eq (json_object_get_string_member (session, "server"), "[2001:db8::25]:587");
  cr_expect_str_eq (json_object_get_string_member (session, "tls"), "none");
  line = json_array_get_object_element (json_object_get_array_member (session, "lines"), 0);
  cr_expect_eq (json_object_get_int_member (line, "code"), 220);
  cr_expect_float_eq (json_object_get_double_member (line, "t"), 0.012, 1e-9);
  line = json_array_get_object_element (json_object_get_array_member (session, "lines"), 1);
  cr_expect_str_eq (json_object_get_string_member (line, "command"), "EHLO");
  message = json_array_get_object_element (json_object_get_array_member (root, "messages"), 0);
  cr_expect_str_eq (json_object_get_string_member (message, "subject"), "こんにちは");
  cr_expect_str_eq (json_object_get_string_member (message, "message_id"), "<1@a.example>");
  cr_expect_str_eq (json_object_get_string_member (
    json_array_get_object_element (json_object_get_array_member (root, "events"), 0), "reason"), "op25b");
  cr_expect (json_object_get_boolean_member (
    json_array_get_object_element (json_object_get_array_member (root, "expectations"), 0), "ok"));
}
