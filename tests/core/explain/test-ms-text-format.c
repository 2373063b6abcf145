/* test-ms-text-format.c: the annotated transcript
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

#include "ms-i18n.h"
#include "ms-text-format.h"

static gint64 fake_now;

static gint64
fake_clock (gpointer user_data)
{
  return fake_now;
}

static void
setup_en (void)
{
  ms_i18n_init ();
  ms_i18n_set_language ("en");
}

static void
setup_ja (void)
{
  ms_i18n_init ();
  ms_i18n_set_language ("ja");
}

/* One row of a scripted session: 'C' command, 'S' reply, 'A' SASL response, 'D' client
 * data summary, 'N' note, 'T' the TLS switch (no text). */
typedef struct
{
  char        what;
  const char *text;
} Row;

static MsTraceSession *
add_session (MsTrace    *trace,
             MsProtocol  protocol,
             const char *client,
             const char *server,
             const Row  *rows,
             gsize       n_rows)
{
  MsTraceSession *s = ms_trace_open_session (trace, protocol, client, server);

  for (gsize i = 0; i < n_rows; i++)
    {
      fake_now += 1000;
      switch (rows[i].what)
        {
        case 'C':
          ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, rows[i].text, -1);
          break;
        case 'S':
          ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, rows[i].text, -1);
          break;
        case 'A':
          ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_AUTH, rows[i].text, -1);
          break;
        case 'D':
          ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_DATA, rows[i].text, -1);
          break;
        case 'N':
          ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_NOTE, rows[i].text, -1);
          break;
        case 'T':
          ms_trace_session_set_tls (s, MS_TLS_STARTTLS);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return s;
}

static const Row submission[] = {
  { 'S', "220 mx.example ESMTP" },
  { 'C', "EHLO pc.example" },
  { 'S', "250-mx.example" },
  { 'S', "250 STARTTLS" },
  { 'C', "STARTTLS" },
  { 'S', "220 2.0.0 Ready" },
  { 'T', NULL },
  { 'C', "EHLO pc.example" },
  { 'S', "250 AUTH LOGIN" },
  { 'C', "AUTH LOGIN" },
  { 'S', "334 VXNlcm5hbWU6" },
  { 'A', "YWxpY2U=" },
  { 'S', "334 UGFzc3dvcmQ6" },
  { 'A', "d29uZGVybGFuZA==" },
  { 'S', "235 2.7.0 OK" },
  { 'C', "MAIL FROM:<alice@example>" },
  { 'S', "250 2.1.0 Ok" },
  { 'C', "RCPT TO:<bob@far.example>" },
  { 'S', "554 5.7.1 <bob@far.example>: Relay access denied" },
  { 'C', "QUIT" },
  { 'S', "221 2.0.0 Bye" },
};

static MsTrace *
submission_trace (void)
{
  MsTrace *trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s;

  fake_now = 0;
  ms_trace_set_clock (trace, fake_clock, NULL);
  s = add_session (trace, MS_PROTOCOL_SMTP, "127.0.0.1:51234", "127.0.0.1:587", submission,
                   G_N_ELEMENTS (submission));
  ms_trace_close_session (trace, s);
  fake_now += 1000;
  ms_trace_add_event (trace, "blocked", "router-isp", 0, "reason", "op25b", NULL);
  ms_trace_add_expectation (trace, "relaying is denied", TRUE);
  ms_trace_add_expectation (trace, "bob gets the mail", FALSE);
  return trace;
}

static char *
format_trace (MsTrace                   *trace,
              const MsTextFormatOptions *options)
{
  GString *out = g_string_new (NULL);

  ms_text_format_trace (out, trace, options);
  return g_string_free (out, FALSE);
}



/* A golden transcript from tests/core/explain/data/. */
static char *
read_golden (const char *name)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_autofree char *path = g_build_filename (root != NULL ? root : SOURCE_ROOT, "tests", "core",
                                            "explain", "data", name, NULL);
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  cr_assert (g_file_get_contents (path, &text, NULL, &error), "%s", error->message);
  return text;
}

TestSuite (text_format, .init = setup_en);

Test (text_format, transcript_with_explanations_in_english)
{
  g_autoptr(MsTrace) trace = submission_trace ();
  MsTextFormatOptions options = { .explain = TRUE };
  g_autofree char *out = format_trace (trace, &options);

  g_autofree char *expected = read_golden ("submission.en.txt");

  cr_expect_str_eq (out, expected);
}

Test (text_format, transcript_with_explanations_in_japanese, .init = setup_ja)
{
  g_autoptr(MsTrace) trace = submission_trace ();
  MsTextFormatOptions options = { .explain = TRUE };
  g_autofree char *out = format_trace (trace, &options);

  g_autofree char *expected = read_golden ("submission.ja.txt");

  cr_expect_str_eq (out, expected);
}

Test (text_format, without_explanations_only_the_wire_is_shown)
{
  g_autoptr(MsTrace) trace = submission_trace ();
  MsTextFormatOptions options = { 0 };
  g_autofree char *out = format_trace (trace, &options);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  cr_expect_str_eq (lines[0], "=== session 1 · SMTP · 127.0.0.1:51234 → 127.0.0.1:587 (STARTTLS)");
  cr_expect_str_eq (lines[1], "<-  220 mx.example ESMTP");
  cr_expect (strstr (out, "#") == NULL);
  cr_expect (strstr (out, "↳") == NULL);
  cr_expect (strstr (out, "YWxpY2U=") == NULL, "secrets are masked");
  cr_expect (strstr (out, " ~> " MS_TEXT_FORMAT_MASK "\n") != NULL);
}

Test (text_format, show_secrets_prints_them)
{
  g_autoptr(MsTrace) trace = submission_trace ();
  MsTextFormatOptions options = { .show_secrets = TRUE };
  g_autofree char *out = format_trace (trace, &options);

  cr_expect (strstr (out, " ~> YWxpY2U=\n") != NULL);
  cr_expect (strstr (out, " ~> d29uZGVybGFuZA==\n") != NULL);
  cr_expect (strstr (out, MS_TEXT_FORMAT_MASK) == NULL);
}

Test (text_format, colours_follow_the_reply_class)
{
  g_autoptr(MsTrace) trace = submission_trace ();
  MsTextFormatOptions options = { .color = TRUE };
  g_autofree char *out = format_trace (trace, &options);
  MsTextFormatOptions plain = { 0 };
  g_autofree char *uncoloured = format_trace (trace, &plain);

  cr_expect (strstr (out, "\033[32m<-  220 mx.example ESMTP\033[0m\n") != NULL, "2xx green");
  cr_expect (strstr (out, "\033[36m<~  334 VXNlcm5hbWU6\033[0m\n") != NULL, "3xx cyan");
  cr_expect (strstr (out, "\033[31m<~  554 5.7.1") != NULL, "5xx red");
  cr_expect (strstr (out, "\033[31m!! blocked by router-isp: op25b\033[0m") != NULL);
  cr_expect (strstr (out, "\033[32m✔ relaying is denied\033[0m") != NULL);
  cr_expect (strstr (out, "\033[31m✘ bob gets the mail\033[0m") != NULL);
  cr_expect (strstr (out, " -> EHLO pc.example\n") != NULL, "client lines stay plain");
  cr_expect (strchr (uncoloured, '\033') == NULL, "no colour unless asked");
}

Test (text_format, a_4xx_reply_is_yellow_and_a_pop3_err_red)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *smtp = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "a:1", "b:25");
  MsTraceSession *pop3 = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "a:2", "b:110");
  MsTraceLine *l1 = ms_trace_session_add_line (smtp, MS_DIR_SERVER, MS_LINE_REPLY,
                                               "451 4.3.0 try later", -1);
  MsTraceLine *l2 = ms_trace_session_add_line (pop3, MS_DIR_SERVER, MS_LINE_REPLY,
                                               "-ERR no", -1);
  MsTextFormatOptions options = { .color = TRUE };
  g_autoptr(GString) out = g_string_new (NULL);

  ms_text_format_line (out, smtp, l1, &options);
  ms_text_format_line (out, pop3, l2, &options);
  cr_expect_str_eq (out->str, "\033[33m<-  451 4.3.0 try later\033[0m\n"
                              "\033[31m<-  -ERR no\033[0m\n");
}

Test (text_format, secrets_are_masked_per_protocol)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *pop3 = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "a:1", "b:110");
  MsTraceSession *imap = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "a:2", "b:143");
  MsTraceSession *smtp = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "a:3", "b:587");
  struct
  {
    MsTraceSession *session;
    MsLineKind      kind;
    const char     *text;
    const char     *shown;
  } cases[] = {
    { pop3, MS_LINE_COMMAND, "PASS wonderland", "PASS ********" },
    { pop3, MS_LINE_COMMAND, "PASS", "PASS" },  /* nothing was sent: nothing to hide */
    { pop3, MS_LINE_COMMAND, "APOP alice c4c9334bac560ecc979e58001b3e22fb",
      "APOP alice ********" },
    { pop3, MS_LINE_COMMAND, "USER alice", "USER alice" },
    { imap, MS_LINE_COMMAND, "a1 LOGIN alice wonderland", "a1 LOGIN alice ********" },
    { imap, MS_LINE_COMMAND, "a1 LOGIN \"al ice\" \"won der\"", "a1 LOGIN \"al ice\" ********" },
    { imap, MS_LINE_COMMAND, "a2 AUTHENTICATE PLAIN AGFsaWNlAHc=",
      "a2 AUTHENTICATE PLAIN ********" },
    { imap, MS_LINE_COMMAND, "a2 AUTHENTICATE PLAIN", "a2 AUTHENTICATE PLAIN" },
    { smtp, MS_LINE_COMMAND, "AUTH PLAIN AGFsaWNlAHc=", "AUTH PLAIN ********" },
    { smtp, MS_LINE_AUTH, "AGFsaWNlAHc=", "********" },
    { smtp, MS_LINE_AUTH, "*", "*" },
    { smtp, MS_LINE_COMMAND, "MAIL FROM:<a\001b@x>", "MAIL FROM:<a?b@x>" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      MsTraceLine *l = ms_trace_session_add_line (cases[i].session, MS_DIR_CLIENT,
                                                  cases[i].kind, cases[i].text, -1);
      g_autofree char *shown = ms_text_format_line_text (cases[i].session->protocol, l, FALSE);
      g_autofree char *secret = ms_text_format_line_text (cases[i].session->protocol, l, TRUE);

      cr_expect_str_eq (shown, cases[i].shown, "case %zu", i);
      if (strchr (cases[i].text, '\001') == NULL)
        cr_expect_str_eq (secret, cases[i].text, "case %zu", i);
    }
}

Test (text_format, invalid_utf8_is_replaced_not_copied)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "a:1", "b:25");
  MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                              "250 caf\xe9", -1);
  g_autofree char *text = ms_text_format_line_text (MS_PROTOCOL_SMTP, l, FALSE);

  cr_expect (g_utf8_validate (text, -1, NULL));
  cr_expect_str_eq (text, "250 caf\xef\xbf\xbd");
}

Test (text_format, display_width_counts_wide_characters_twice)
{
  cr_expect_eq (ms_text_format_display_width ("abc"), 3);
  cr_expect_eq (ms_text_format_display_width ("件名"), 4);
  cr_expect_eq (ms_text_format_display_width ("a → b"), 5);
  cr_expect_eq (ms_text_format_display_width ("e\xcc\x81"), 1, "combining accent");
}

Test (text_format, japanese_line_text_still_aligns_the_explanation_column)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "a:1", "b:143");
  MsTraceLine *l1 = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND,
                                               "a1 SELECT 受信箱", -1);
  MsTraceLine *l2 = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND,
                                               "a2 SELECT INBOX", -1);
  MsTextFormatOptions options = { .explain = TRUE };
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  const char *hash1;
  const char *hash2;
  g_autofree char *before1 = NULL;
  g_autofree char *before2 = NULL;

  ms_text_format_line (out, s, l1, &options);
  ms_text_format_line (out, s, l2, &options);
  lines = g_strsplit (out->str, "\n", -1);
  hash1 = strstr (lines[0], "# ");
  hash2 = strstr (lines[1], "# ");
  cr_assert_not_null (hash1);
  cr_assert_not_null (hash2);
  before1 = g_strndup (lines[0], hash1 - lines[0]);
  before2 = g_strndup (lines[1], hash2 - lines[1]);
  cr_expect_eq (ms_text_format_display_width (before1), MS_TEXT_FORMAT_EXPLAIN_COLUMN);
  cr_expect_eq (ms_text_format_display_width (before2), MS_TEXT_FORMAT_EXPLAIN_COLUMN);
}

static const Row imap_rows[] = {
  { 'S', "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready" },
  { 'C', "a1 STARTTLS" },
  { 'S', "a1 OK Begin TLS negotiation now" },
  { 'T', NULL },
  { 'C', "a2 LOGIN alice wonderland" },
  { 'S', "a2 OK [CAPABILITY IMAP4rev1 IDLE] Logged in" },
  { 'C', "a3 LIST \"\" *" },
  { 'S', "* LIST (\\HasNoChildren) \"/\" INBOX" },
  { 'S', "* LIST (\\HasNoChildren) \"/\" Sent" },
  { 'S', "a3 OK LIST completed" },
  { 'C', "a4 SELECT INBOX" },
  { 'S', "* 2 EXISTS" },
  { 'S', "* OK [UIDVALIDITY 1700000000] UIDs valid" },
  { 'S', "a4 OK [READ-WRITE] SELECT completed" },
  { 'C', "a5 IDLE" },
  { 'S', "+ idling" },
  { 'S', "* 3 EXISTS" },
  { 'C', "DONE" },
  { 'S', "a5 OK IDLE terminated" },
};


Test (text_format, imap_session_pairs_tagged_replies_and_says_repeated_lines_once)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { .explain = TRUE };
  g_autofree char *out = NULL;

  fake_now = 0;
  ms_trace_set_clock (trace, fake_clock, NULL);
  add_session (trace, MS_PROTOCOL_IMAP, "192.0.2.1:50000", "192.0.2.2:143", imap_rows,
               G_N_ELEMENTS (imap_rows));
  out = format_trace (trace, &options);
  g_autofree char *expected = read_golden ("imap.en.txt");

  cr_expect_str_eq (out, expected);
}

Test (text_format, format_line_alone_finds_the_tls_switch_and_the_command_answered)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s;
  MsTextFormatOptions options = { .explain = TRUE };
  g_autoptr(GString) out = g_string_new (NULL);
  static const Row rows[] = {
    { 'S', "+OK POP3 ready" },
    { 'C', "STLS" },
    { 'S', "+OK Begin TLS" },
    { 'T', NULL },
    { 'C', "USER alice" },
    { 'S', "+OK" },
    { 'C', "PASS wonderland" },
    { 'S', "-ERR [AUTH] invalid" },
  };

  s = add_session (trace, MS_PROTOCOL_POP3, "a:1", "b:110", rows, G_N_ELEMENTS (rows));
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 2), &options);
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 5), &options);
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 6), &options);
  cr_expect_str_eq (out->str,
    "<-  +OK Begin TLS                           # The server agrees to TLS: the handshake follows, and the login after it is encrypted. STLS upgrades port 110; POP3S on 995 uses TLS from the first byte (implicit TLS).\n"
    " ~> PASS ********                           # Sends the password in clear text: anyone watching the connection can read it unless TLS (STLS, or POP3S on port 995) protects it.\n"
    "<~  -ERR [AUTH] invalid                     # The command failed (e.g. wrong password, no such message).\n"
    "                                            # AUTH: The failure is about the credentials (wrong user name or password), not a server problem.\n");
}

Test (text_format, pipelined_smtp_replies_pair_with_their_commands)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { .explain = TRUE };
  g_autoptr(GString) out = g_string_new (NULL);
  MsTraceSession *s;
  static const Row rows[] = {
    { 'C', "MAIL FROM:<a@x.example>" },
    { 'C', "RCPT TO:<b@far.example>" },
    { 'C', "DATA" },
    { 'S', "250 2.1.0 Ok" },
    { 'S', "550 5.7.1 Relaying denied" },
    { 'S', "554 5.5.1 No valid recipients" },
    { 'D', "(message: 10 octets)" },
    { 'S', "250 2.0.0 Ok: queued" },
  };

  s = add_session (trace, MS_PROTOCOL_SMTP, "a:1", "b:25", rows, G_N_ELEMENTS (rows));
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 4), &options);
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 5), &options);
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 7), &options);
  /* 550 answers RCPT (relay), 554 answers DATA (no relay row), 250 the end of data */
  cr_expect (strstr (out->str, "relay: Relaying denied") != NULL, "%s", out->str);
  cr_expect_eq (strstr (strstr (out->str, "554 5.5.1"), "relay:"), NULL, "%s", out->str);
  cr_expect (strstr (out->str, "responsible") != NULL, "%s", out->str);
}

Test (text_format, events_of_all_kinds)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { 0 };
  g_autoptr(GString) out = g_string_new (NULL);

  ms_text_format_event (out, ms_trace_add_event (trace, "policy", "mx.b.example", 0, "check",
                                                 "spf", "result", "fail", NULL), &options);
  ms_text_format_event (out, ms_trace_add_event (trace, "narration", NULL, 0, "en",
                                                 "Alice writes to Bob.", "ja",
                                                 "アリスがボブに書く。", NULL), &options);
  ms_text_format_event (out, ms_trace_add_event (trace, "delivered", "mx.b.example", 0,
                                                 "mailbox", "bob", "folder", "INBOX", NULL),
                        &options);
  ms_text_format_event (out, ms_trace_add_event (trace, "blocked", NULL, 0, "reason", "op25b",
                                                 NULL), &options);
  cr_expect_str_eq (out->str,
                    "** policy spf=fail at mx.b.example\n"
                    "»  Alice writes to Bob.\n"
                    "** delivered @ mx.b.example: mailbox=bob, folder=INBOX\n"
                    "!! blocked: op25b\n");
}

Test (text_format, narration_follows_the_language, .init = setup_ja)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { 0 };
  g_autoptr(GString) out = g_string_new (NULL);

  ms_text_format_event (out, ms_trace_add_event (trace, "narration", NULL, 0, "en",
                                                 "Alice writes to Bob.", "ja",
                                                 "アリスがボブに書く。", NULL), &options);
  ms_text_format_event (out, ms_trace_add_event (trace, "policy", "mx.b.example", 0, "check",
                                                 "spf", "result", "fail", NULL), &options);
  cr_expect_str_eq (out->str, "»  アリスがボブに書く。\n** ポリシー spf=fail(mx.b.example)\n");
}

Test (text_format, session_events_sit_between_the_lines_where_they_happened)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s;
  MsTextFormatOptions options = { 0 };
  g_autofree char *out = NULL;

  fake_now = 0;
  ms_trace_set_clock (trace, fake_clock, NULL);
  ms_trace_add_event (trace, "narration", NULL, 0, "text", "before", NULL);
  fake_now = 10;
  s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "a:1", "b:2525");
  fake_now = 20;
  ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "RCPT TO:<x@y>", -1);
  fake_now = 30;
  ms_trace_add_event (trace, "policy", "mx", s->id, "check", "relay", "result", "deny", NULL);
  fake_now = 40;
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "554 5.7.1 denied", -1);
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_NOTE, "connection closed", -1);
  fake_now = 50;
  ms_trace_add_event (trace, "narration", NULL, 0, "text", "after", NULL);

  out = format_trace (trace, &options);
  cr_expect_str_eq (out,
                    "»  before\n"
                    "\n"
                    "=== session 1 · SMTP · a:1 → b:2525\n"
                    " -> RCPT TO:<x@y>\n"
                    "** policy relay=deny at mx\n"
                    "<-  554 5.7.1 denied\n"
                    "--  connection closed\n"
                    "»  after\n");
}

Test (text_format, header_names_nodes_and_implicit_tls, .init = setup_ja)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "203.0.113.7:50123",
                                             "[2001:db8::25]:993");
  MsTextFormatOptions options = { .explain = TRUE };
  g_autoptr(GString) out = g_string_new (NULL);

  ms_trace_session_set_nodes (s, "pc", "mra");
  ms_trace_session_set_tls (s, MS_TLS_IMPLICIT);
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "* OK ready", -1);
  ms_text_format_session_header (out, s, &options);
  ms_text_format_line (out, s, ms_trace_session_get_line (s, 0), &options);
  cr_expect_str_eq (out->str,
                    "=== セッション 1 · IMAP · pc (203.0.113.7:50123) → mra ([2001:db8::25]:993) "
                    "(暗黙的 TLS)\n"
                    "    ↳ 993: ポート 993(IMAPS): 暗黙的 TLS を使う IMAP。\n"
                    "<~  * OK ready                              # どのコマンドへの応答でもない、サーバーからの情報(あいさつや、角かっこ内のステータスなど)。\n");
}

Test (text_format, formatter_prints_lines_as_they_arrive_like_the_whole_trace)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { .explain = TRUE };
  g_autoptr(MsTextFormatter) formatter = ms_text_formatter_new (&options);
  g_autoptr(GString) out = g_string_new (NULL);
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "192.0.2.1:50000",
                                             "192.0.2.2:143");
  g_autofree char *expected = read_golden ("imap.en.txt");
  const char *body;

  ms_text_format_session_header (out, s, &options);
  for (gsize i = 0; i < G_N_ELEMENTS (imap_rows); i++)
    {
      MsTraceLine *l;

      if (imap_rows[i].what == 'T')
        {
          ms_trace_session_set_tls (s, MS_TLS_STARTTLS);
          continue;
        }
      l = ms_trace_session_add_line (s, imap_rows[i].what == 'C' ? MS_DIR_CLIENT : MS_DIR_SERVER,
                                     imap_rows[i].what == 'C' ? MS_LINE_COMMAND : MS_LINE_REPLY,
                                     imap_rows[i].text, -1);
      ms_text_formatter_line (formatter, out, s, l);
    }
  /* The switch to TLS is recorded only after the handshake: the header printed before
   * says no STARTTLS yet, and the lines are the same. */
  body = strstr (expected, "<-  * OK [CAPABILITY");
  cr_assert_not_null (body);
  cr_expect (g_str_has_suffix (out->str, body), "%s", out->str);

  /* going back restarts the session's state and gives the same text */
  {
    g_autoptr(GString) again = g_string_new (NULL);
    g_autoptr(GString) once = g_string_new (NULL);

    ms_text_formatter_line (formatter, again, s, ms_trace_session_get_line (s, 7));
    ms_text_format_line (once, s, ms_trace_session_get_line (s, 7), &options);
    cr_expect_str_eq (again->str, once->str);
    cr_expect_str_eq (again->str, "<~  * LIST (\\HasNoChildren) \"/\" Sent\n");
  }
}

Test (text_format, a_refused_starttls_leaves_the_session_in_clear_text)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { 0 };
  g_autofree char *out = NULL;
  static const Row rows[] = {
    { 'C', "STARTTLS" },
    { 'S', "454 4.7.0 TLS not available" },
    { 'C', "AUTH PLAIN AGFsaWNlAHc=" },
    { 'S', "538 5.7.11 Encryption required" },
  };

  add_session (trace, MS_PROTOCOL_SMTP, "a:1", "b:587", rows, G_N_ELEMENTS (rows));
  out = format_trace (trace, &options);
  cr_expect_str_eq (out,
                    "=== session 1 · SMTP · a:1 → b:587\n"
                    " -> STARTTLS\n"
                    "<-  454 4.7.0 TLS not available\n"
                    " -> AUTH PLAIN ********\n"
                    "<-  538 5.7.11 Encryption required\n");
}

Test (text_format, colour_is_wanted_only_on_a_terminal_without_no_color)
{
  int fds[2];

  cr_assert_eq (pipe (fds), 0);
  cr_expect_not (ms_text_format_color_wanted (fds[1]), "a pipe is not a terminal");
  close (fds[0]);
  close (fds[1]);
  g_setenv ("NO_COLOR", "1", TRUE);
  cr_expect_not (ms_text_format_color_wanted (STDOUT_FILENO));
}

Test (text_format, server_challenges_are_decoded_but_client_responses_never)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTextFormatOptions options = { .explain = TRUE, .show_secrets = TRUE };
  g_autofree char *out = NULL;
  static const Row rows[] = {
    { 'C', "AUTH CRAM-MD5" },
    /* RFC 2195 §2: the challenge is a msg-id-like string, base64-encoded */
    { 'S', "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+" },
    { 'A', "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw" },
    { 'S', "+ AAEC/w==" },
    { 'S', "+OK" },
  };

  add_session (trace, MS_PROTOCOL_POP3, "a:1", "b:110", rows, G_N_ELEMENTS (rows));
  out = format_trace (trace, &options);
  cr_expect (strstr (out, "base64: decodes to “<1896.697170952@postoffice.reston.mci.net>”")
             != NULL, "%s", out);
  cr_expect (strstr (out, "tim b913a602c7eda7a495b4e6e7334d3890") == NULL,
             "a client's response is not decoded: %s", out);
  cr_expect (strstr (out, "\"AAEC/w==\"") == NULL && strstr (out, "decodes to “\001") == NULL,
             "binary is not shown");
  {
    g_auto(GStrv) pieces = g_strsplit (out, "base64:", -1);
    cr_expect_eq (g_strv_length (pieces), 2, "exactly one decoded hint: %s", out);
  }
}
