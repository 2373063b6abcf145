/* test-ms-explain.c: the explanation catalogue and its Japanese translation
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ms-explain.h"
#include "ms-i18n.h"

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

static MsTrace *
new_trace (void)
{
  MsTrace *trace = ms_trace_new ("scenario", "unit");

  fake_now = 0;
  ms_trace_set_clock (trace, fake_clock, NULL);
  return trace;
}

static gboolean
has_japanese (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      /* hiragana, katakana, CJK ideographs */
      if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x4e00 && c <= 0x9fff))
        return TRUE;
    }
  return FALSE;
}

/* Everything the brief lists must be in the catalogue. */
static const char * const smtp_commands[] = {
  "HELO", "EHLO", "MAIL", "RCPT", "DATA", "QUIT", "RSET", "VRFY", "EXPN", "NOOP", "HELP",
  "AUTH", "STARTTLS",
};
static const char * const pop3_commands[] = {
  "USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "RSET", "NOOP", "QUIT", "TOP",
  "UIDL", "CAPA", "STLS", "AUTH",
};
static const char * const imap_commands[] = {
  "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "LOGIN", "AUTHENTICATE", "SELECT", "EXAMINE",
  "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "STATUS",
  "APPEND", "CHECK", "CLOSE", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE",
  "UID FETCH", "UID STORE", "UID COPY", "UID SEARCH", "UID MOVE", "UID EXPUNGE", "IDLE",
  "DONE", "NAMESPACE", "ENABLE",
};
static const int smtp_codes[] = {
  211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 450, 451, 452, 454, 455, 500, 501,
  502, 503, 504, 521, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555,
};
static const char * const ehlo_keywords[] = {
  "PIPELINING", "SIZE", "8BITMIME", "ENHANCEDSTATUSCODES", "AUTH", "STARTTLS", "HELP", "DSN",
  "SMTPUTF8",
};
static const char * const imap_untagged[] = {
  "* 3 EXISTS", "* 0 RECENT", "* 2 EXPUNGE", "* 1 FETCH (FLAGS (\\Seen))",
  "* FLAGS (\\Seen \\Deleted)", "* LIST () \"/\" INBOX", "* SEARCH 1 2",
  "* STATUS INBOX (MESSAGES 1)", "* CAPABILITY IMAP4rev1 IDLE",
};
static const char * const imap_codes[] = {
  "UIDVALIDITY 1", "UIDNEXT 4", "PERMANENTFLAGS (\\Seen)", "TRYCREATE", "READ-WRITE",
  "READ-ONLY", "UNSEEN 2", "ALERT", "AUTHENTICATIONFAILED",
};

TestSuite (explain, .init = setup_en);

Test (explain, every_listed_command_has_an_explanation)
{
  for (gsize i = 0; i < G_N_ELEMENTS (smtp_commands); i++)
    cr_expect_not_null (ms_explain_command (MS_PROTOCOL_SMTP, smtp_commands[i]), "SMTP %s",
                        smtp_commands[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (pop3_commands); i++)
    cr_expect_not_null (ms_explain_command (MS_PROTOCOL_POP3, pop3_commands[i]), "POP3 %s",
                        pop3_commands[i]);
  for (gsize i = 0; i < G_N_ELEMENTS (imap_commands); i++)
    cr_expect_not_null (ms_explain_command (MS_PROTOCOL_IMAP, imap_commands[i]), "IMAP %s",
                        imap_commands[i]);
  cr_expect_null (ms_explain_command (MS_PROTOCOL_SMTP, "XYZZY"));
  cr_expect_null (ms_explain_command (MS_PROTOCOL_POP3, "EHLO"), "verbs are per protocol");
  cr_expect_str_eq (ms_explain_command (MS_PROTOCOL_IMAP, "uid fetch"),
                    ms_explain_command (MS_PROTOCOL_IMAP, "UID FETCH"));
}

Test (explain, auth_explanations_say_plain_is_only_base64)
{
  cr_expect (strstr (ms_explain_command (MS_PROTOCOL_SMTP, "AUTH"), "base64") != NULL);
  cr_expect (strstr (ms_explain_command (MS_PROTOCOL_SMTP, "AUTH"), "CRAM-MD5") != NULL);
  cr_expect (strstr (ms_explain_command (MS_PROTOCOL_IMAP, "AUTHENTICATE"), "base64") != NULL);
  cr_expect (strstr (ms_explain_command (MS_PROTOCOL_POP3, "AUTH"), "CRAM-MD5") != NULL);
}

Test (explain, every_listed_smtp_code_has_its_own_row_not_just_its_class)
{
  for (gsize i = 0; i < G_N_ELEMENTS (smtp_codes); i++)
    {
      int code = smtp_codes[i];
      const char *exact = ms_explain_reply (MS_PROTOCOL_SMTP, code, NULL, NULL);
      const char *klass = ms_explain_reply (MS_PROTOCOL_SMTP, code / 100 * 100 + 99, NULL, NULL);

      cr_expect_not_null (exact, "%d", code);
      cr_expect_not_null (klass, "%dxx", code / 100);
      cr_expect_str_neq (exact, klass, "%d has only its class meaning", code);
    }
}

Test (explain, unknown_smtp_codes_fall_back_to_their_class)
{
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_SMTP, 299, NULL, NULL), "succeeded") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_SMTP, 399, NULL, NULL), "waits") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_SMTP, 479, NULL, NULL), "later") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_SMTP, 599, NULL, NULL), "Permanent") != NULL);
  cr_expect_null (ms_explain_reply (MS_PROTOCOL_SMTP, 999, NULL, NULL));
  cr_expect_null (ms_explain_reply (MS_PROTOCOL_SMTP, 0, NULL, NULL));
}

Test (explain, enhanced_status_codes_are_read_from_the_text)
{
  const char *text = ms_explain_reply (MS_PROTOCOL_SMTP, 554, NULL,
                                       "554 5.7.1 <bob@far.example>: Relay access denied");

  cr_assert_not_null (text);
  cr_expect (g_str_has_prefix (text, ms_explain_reply (MS_PROTOCOL_SMTP, 554, NULL, NULL)));
  cr_expect (strstr (text, "5.7.1: Delivery not authorized") != NULL, "%s", text);

  cr_expect_str_eq (ms_explain_enhanced ("5.1.1"), ms_explain_enhanced ("4.1.1"));
  cr_expect (strstr (ms_explain_enhanced ("5.1.1"), "no such user") != NULL);
  cr_expect_null (ms_explain_enhanced ("5.99.99"));
  /* the class digit must match the reply code (RFC 3463 §2) */
  text = ms_explain_reply (MS_PROTOCOL_SMTP, 550, NULL, "550 4.1.1 odd");
  cr_expect_str_eq (text, ms_explain_reply (MS_PROTOCOL_SMTP, 550, NULL, NULL));
  /* a version number is not an enhanced code */
  text = ms_explain_reply (MS_PROTOCOL_SMTP, 550, NULL, "550 5.1.1.1 odd");
  cr_expect_str_eq (text, ms_explain_reply (MS_PROTOCOL_SMTP, 550, NULL, NULL));
}

Test (explain, ehlo_keywords_in_250_lines)
{
  for (gsize i = 0; i < G_N_ELEMENTS (ehlo_keywords); i++)
    {
      g_autofree char *line = g_strdup_printf ("250-%s", ehlo_keywords[i]);
      const char *text = ms_explain_reply (MS_PROTOCOL_SMTP, 250, NULL, line);

      cr_expect_not_null (ms_explain_ehlo_keyword (ehlo_keywords[i]), "%s", ehlo_keywords[i]);
      cr_expect_str_eq (text, ms_explain_ehlo_keyword (ehlo_keywords[i]), "%s", line);
    }
  cr_expect_str_eq (ms_explain_reply (MS_PROTOCOL_SMTP, 250, NULL, "250-AUTH=PLAIN LOGIN"),
                    ms_explain_ehlo_keyword ("AUTH"));
  cr_expect_str_eq (ms_explain_reply (MS_PROTOCOL_SMTP, 250, NULL, "250-mx.example Hello"),
                    ms_explain_reply (MS_PROTOCOL_SMTP, 250, NULL, NULL));
}

Test (explain, pop3_statuses_and_response_codes)
{
  const char *ok = ms_explain_reply (MS_PROTOCOL_POP3, 0, "+OK", "+OK 2 messages");
  const char *err = ms_explain_reply (MS_PROTOCOL_POP3, 0, "-ERR", "-ERR [IN-USE] locked");

  cr_assert_not_null (ok);
  cr_assert_not_null (err);
  cr_expect (g_str_has_prefix (ok, "The command succeeded"), "%s", ok);
  cr_expect (strstr (err, "IN-USE: The mailbox is locked") != NULL, "%s", err);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_POP3, 0, "-ERR", "-ERR [AUTH] bad"),
                     "credentials") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_POP3, 0, "-ERR", "-ERR [SYS/TEMP] x"),
                     "temporary") != NULL);
}

Test (explain, imap_untagged_data_statuses_and_response_codes)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "192.0.2.1:5000",
                                             "192.0.2.2:143");

  for (gsize i = 0; i < G_N_ELEMENTS (imap_untagged); i++)
    {
      MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                                  imap_untagged[i], -1);
      cr_expect_not_null (ms_explain_line (MS_PROTOCOL_IMAP, l), "%s", imap_untagged[i]);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (imap_codes); i++)
    {
      g_autofree char *text = g_strdup_printf ("* OK [%s] text", imap_codes[i]);
      MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, text, -1);
      MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
      guint n = ms_explain_line_parts (MS_PROTOCOL_IMAP, l, NULL, parts);
      g_autofree char *word = g_strndup (imap_codes[i], strcspn (imap_codes[i], " "));

      cr_expect_eq (n, 2, "%s", text);
      if (n == 2)
        cr_expect_str_eq (parts[1].key, word);
    }

  {
    MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                                "a1 NO [AUTHENTICATIONFAILED] Invalid", -1);
    MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
    guint n = ms_explain_line_parts (MS_PROTOCOL_IMAP, l, "LOGIN", parts);

    cr_assert_eq (n, 2);
    cr_expect_str_eq (parts[0].key, "NO");
    cr_expect (strstr (parts[0].text, "tag") != NULL);
    cr_expect_str_eq (parts[1].key, "AUTHENTICATIONFAILED");
  }
  {
    MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                                "+ Ready for literal data", -1);
    cr_expect (strstr (ms_explain_line (MS_PROTOCOL_IMAP, l), "Continuation") != NULL);
  }
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_IMAP, 0, "BYE", NULL), "closing") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_IMAP, 0, "PREAUTH", NULL), "LOGIN") != NULL);
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_IMAP, 0, "BAD", NULL), "tag") != NULL);
  cr_expect_null (ms_explain_reply (MS_PROTOCOL_IMAP, 0, NULL, "* 3 WHATEVER"));
}

Test (explain, replies_read_in_the_context_of_their_command)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "192.0.2.1:5000",
                                             "192.0.2.2:587");
  MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                              "220 2.0.0 Ready to start TLS", -1);
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];

  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_SMTP, l, "STARTTLS", parts), 1);
  cr_expect (strstr (parts[0].text, "implicit TLS") != NULL, "%s", parts[0].text);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_SMTP, l, NULL, parts), 1);
  cr_expect (strstr (parts[0].text, "greeting") != NULL);

  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "250 2.0.0 Ok: queued", -1);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_SMTP, l, ".", parts), 1);
  cr_expect (strstr (parts[0].text, "responsible") != NULL);

  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                 "554 5.7.1 <b@far.example>: Relay access denied", -1);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_SMTP, l, "RCPT", parts), 3);
  cr_expect_str_eq (parts[0].key, "554");
  cr_expect_str_eq (parts[1].key, "5.7.1");
  cr_expect_str_eq (parts[2].key, "relay");
  cr_expect (strstr (parts[2].text, "open relay") != NULL);
}

Test (explain, client_lines_data_and_sasl_responses)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "192.0.2.1:5000",
                                             "192.0.2.2:25");
  MsTraceLine *l;

  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "mail FROM:<a@b.example>", -1);
  cr_expect_str_eq (ms_explain_line (MS_PROTOCOL_SMTP, l),
                    ms_explain_command (MS_PROTOCOL_SMTP, "MAIL"));
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, ".", -1);
  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_SMTP, l), "end of the message") != NULL);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_DATA, "(message: 10 octets)", -1);
  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_SMTP, l), "dot-stuffing") != NULL);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_AUTH, "dXNlcg==", -1);
  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_SMTP, l), "base64") != NULL);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_AUTH, "*", -1);
  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_SMTP, l), "cancels") != NULL);
  l = ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_NOTE, "connection closed", -1);
  cr_expect_null (ms_explain_line (MS_PROTOCOL_SMTP, l));
}

Test (explain, ports_and_events)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceEvent *e;
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  const guint ports[] = { 25, 587, 465, 110, 995, 143, 993 };

  for (gsize i = 0; i < G_N_ELEMENTS (ports); i++)
    cr_expect_not_null (ms_explain_port (ports[i]), "port %u", ports[i]);
  cr_expect_null (ms_explain_port (2525));
  cr_expect (strstr (ms_explain_port (465), "implicit TLS") != NULL);

  e = ms_trace_add_event (trace, "blocked", "router-isp", 0, "reason", "op25b", NULL);
  cr_assert_eq (ms_explain_event_parts (e, parts), 1);
  cr_expect_str_eq (parts[0].key, "op25b");
  cr_expect (strstr (parts[0].text, "587") != NULL);
  e = ms_trace_add_event (trace, "policy", "mx.b.example", 0, "check", "spf", "result", "fail",
                          NULL);
  cr_assert_eq (ms_explain_event_parts (e, parts), 1);
  cr_expect_str_eq (parts[0].key, "spf=fail");
  e = ms_trace_add_event (trace, "policy", "mx", 0, "check", "relay", "result", "deny",
                          "reason", "not authenticated", NULL);
  cr_assert_eq (ms_explain_event_parts (e, parts), 1, "a decision wins over its reason");
  cr_expect_str_eq (parts[0].key, "relay=deny");
  e = ms_trace_add_event (trace, "delivered", "mx.b.example", 0, "mailbox", "bob", NULL);
  cr_assert_eq (ms_explain_event_parts (e, parts), 1);
  cr_expect_str_eq (parts[0].key, "delivered");
  /* decisions of ms-explain-event.c too; the general sense of a type is not repeated at
   * every event of a transcript (ms_explain_event_type has it) */
  e = ms_trace_add_event (trace, "dns", "ns", 0, "query", "MX b.example", NULL);
  cr_expect_eq (ms_explain_event_parts (e, parts), 0);
  e = ms_trace_add_event (trace, "policy", "mx", 0, "check", "auth", "result", "ok", NULL);
  cr_assert_eq (ms_explain_event_parts (e, parts), 1);
  cr_expect_str_eq (parts[0].key, "auth=ok");
  e = ms_trace_add_event (trace, "no-such-type", "ns", 0, NULL, NULL);
  cr_expect_eq (ms_explain_event_parts (e, parts), 0);
}

/* Translation */

static void
count_untranslated (MsProtocol     protocol,
                    MsExplainKind  kind,
                    const char    *key,
                    const char    *msgid,
                    gpointer       user_data)
{
  guint *missing = user_data;
  const char *ja = g_dgettext (GETTEXT_PACKAGE, msgid);

  if (ja == msgid || strcmp (ja, msgid) == 0 || !has_japanese (ja))
    {
      cr_log_error ("no Japanese for %s %s: %s", ms_protocol_to_string (protocol), key, msgid);
      (*missing)++;
    }
}

static void
count_rows (MsProtocol     protocol,
            MsExplainKind  kind,
            const char    *key,
            const char    *msgid,
            gpointer       user_data)
{
  (*(guint *) user_data)++;
}

Test (explain_ja, every_catalogue_msgid_has_a_japanese_translation, .init = setup_ja)
{
  guint missing = 0;
  guint rows = 0;

  ms_explain_foreach (count_rows, &rows);
  cr_assert_gt (rows, 200, "the catalogue has %u rows", rows);
  ms_explain_foreach (count_untranslated, &missing);
  cr_expect_eq (missing, 0, "%u catalogue texts lack a Japanese translation (run "
                "`ninja -C build mailsim-update-po` and translate po/ja.po)", missing);
}

Test (explain_ja, ja_po_is_complete_and_valid_for_msgfmt, .init = setup_ja)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_autofree char *po = g_build_filename (root != NULL ? root : SOURCE_ROOT, "po", "ja.po",
                                          NULL);
  const char *argv[] = { "msgfmt", "--check", "--statistics", "-o", "/dev/null", po, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_auto(GStrv) env = g_get_environ ();

  /* msgfmt's own messages in English, whatever the test's language */
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_setenv (env, "LC_ALL", "C", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error))
    cr_skip_test ("msgfmt is not available: %s", error->message);
  cr_expect (g_spawn_check_wait_status (status, NULL), "msgfmt --check failed: %s", err);
  cr_expect (strstr (err, "translated messages") != NULL, "%s", err);
  cr_expect (strstr (err, "untranslated") == NULL, "%s", err);
  cr_expect (strstr (err, "fuzzy") == NULL, "%s", err);
}

Test (explain_ja, lookups_return_japanese_under_language_ja, .init = setup_ja)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "192.0.2.1:5000",
                                             "192.0.2.2:25");
  MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY,
                                              "220 mx.example ESMTP", -1);

  cr_expect_str_eq (ms_explain_line (MS_PROTOCOL_SMTP, l),
                    "サービス準備完了。接続が確立したときのサーバーのあいさつ。");
  cr_expect (has_japanese (ms_explain_command (MS_PROTOCOL_POP3, "RETR")));
  cr_expect (has_japanese (ms_explain_command (MS_PROTOCOL_IMAP, "UID FETCH")));
  cr_expect (has_japanese (ms_explain_reply (MS_PROTOCOL_SMTP, 554, NULL,
                                             "554 5.7.1 Relay access denied")));
  cr_expect (strstr (ms_explain_reply (MS_PROTOCOL_SMTP, 250, NULL, NULL), "正常に") != NULL);
  cr_expect (strstr (ms_explain_port (587), "サブミッションポート") != NULL);
}

Test (explain_ja, switching_back_to_english, .init = setup_ja)
{
  cr_expect (has_japanese (ms_explain_command (MS_PROTOCOL_SMTP, "QUIT")));
  ms_i18n_set_language ("en");
  cr_expect_str_eq (ms_explain_command (MS_PROTOCOL_SMTP, "QUIT"),
                    "Ends the session; the server answers 221 and closes the connection.");
}

/* docs/explanations.md is the catalogue printed: a test keeps it in step.
 * MS_UPDATE_DOCS=1 meson test -C build core-explain rewrites it. */

typedef struct
{
  GString       *md;
  MsProtocol     protocol;
  MsExplainKind  kind;
  gboolean       started;
} DocState;

static const char *
kind_title (MsProtocol    protocol,
            MsExplainKind kind)
{
  if (protocol == MS_PROTOCOL_POP3 && kind == MS_EXPLAIN_KIND_KEYWORD)
    return "CAPA capabilities";
  switch (kind)
    {
    case MS_EXPLAIN_KIND_COMMAND: return "commands";
    case MS_EXPLAIN_KIND_REPLY: return "replies";
    case MS_EXPLAIN_KIND_REPLY_CLASS: return "reply classes";
    case MS_EXPLAIN_KIND_ENHANCED: return "enhanced status codes (RFC 3463; X is the class 2, 4 or 5)";
    case MS_EXPLAIN_KIND_KEYWORD: return "EHLO keywords";
    case MS_EXPLAIN_KIND_RESPONSE_CODE: return "response codes";
    case MS_EXPLAIN_KIND_UNTAGGED: return "untagged responses";
    case MS_EXPLAIN_KIND_CONTEXT: return "replies read after their command";
    case MS_EXPLAIN_KIND_OTHER: return "message content and other lines";
    case MS_EXPLAIN_KIND_PORT: return "ports";
    case MS_EXPLAIN_KIND_EVENT: return "events";
    default: return "other";
    }
}

static void
append_cell (GString    *md,
             const char *text)
{
  g_string_append (md, " ");
  for (const char *p = text; *p; p++)
    {
      if (*p == '|' || *p == '\\' || *p == '*' || *p == '<' || *p == '_')
        g_string_append_c (md, '\\');
      g_string_append_c (md, *p);
    }
  g_string_append (md, " |");
}

static void
append_doc_row (MsProtocol     protocol,
                MsExplainKind  kind,
                const char    *key,
                const char    *msgid,
                gpointer       user_data)
{
  DocState *st = user_data;
  g_autofree char *proto = g_ascii_strup (ms_protocol_to_string (protocol), -1);

  if (!st->started || st->protocol != protocol || st->kind != kind)
    {
      if (kind == MS_EXPLAIN_KIND_EVENT || kind == MS_EXPLAIN_KIND_PORT)
        {
          if (!st->started || st->kind != kind)
            g_string_append_printf (st->md, "\n## %c%s\n\n| key | English | 日本語 |\n|---|---|---|\n",
                                    g_ascii_toupper (kind_title (protocol, kind)[0]),
                                    kind_title (protocol, kind) + 1);
        }
      else
        g_string_append_printf (st->md, "\n## %s %s\n\n| key | English | 日本語 |\n|---|---|---|\n",
                                proto, kind_title (protocol, kind));
      st->started = TRUE;
      st->protocol = protocol;
      st->kind = kind;
    }
  g_string_append (st->md, "|");
  append_cell (st->md, key);
  append_cell (st->md, msgid);
  append_cell (st->md, g_dgettext (GETTEXT_PACKAGE, msgid));
  g_string_append_c (st->md, '\n');
}

Test (explain_ja, docs_explanations_md_lists_the_catalogue, .init = setup_ja)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  g_autofree char *path = g_build_filename (root != NULL ? root : SOURCE_ROOT, "docs",
                                            "explanations.md", NULL);
  g_autoptr(GString) md = g_string_new (
    "# The explanation catalogue\n"
    "\n"
    "Every explanation MailSim prints next to a protocol line, in English (the gettext msgid, "
    "in `src/core/explain/ms-explain.c`) and Japanese (`po/ja.po`). This page is generated "
    "from the catalogue and checked by the test suite: after changing the catalogue, run "
    "`MS_UPDATE_DOCS=1 meson test -C build core-explain` to rewrite it.\n"
    "\n"
    "How a line is explained (see `ms_explain_line_parts()`): a client command by its verb; "
    "an SMTP reply by its exact code, else by its class, plus the enhanced status code of a "
    "4xx/5xx reply; a `250` line of an EHLO reply by its keyword; a POP3 or IMAP status with "
    "its `[response code]`; an IMAP untagged response by the word after `*` (and the number); "
    "a reply read after its command where that changes its meaning.\n");
  DocState st = { .md = md };
  g_autofree char *current = NULL;

  ms_explain_foreach (append_doc_row, &st);

  if (g_getenv ("MS_UPDATE_DOCS") != NULL)
    {
      g_autoptr(GError) error = NULL;
      cr_assert (g_file_set_contents (path, md->str, md->len, &error), "%s",
                 error != NULL ? error->message : "");
    }
  cr_assert (g_file_get_contents (path, &current, NULL, NULL), "cannot read %s", path);
  cr_expect (strcmp (current, md->str) == 0,
             "%s is out of date: run MS_UPDATE_DOCS=1 meson test -C build core-explain", path);
}

Test (explain, pop3_lines_read_after_their_command)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "192.0.2.1:5000",
                                             "192.0.2.2:110");
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  MsTraceLine *l;

  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "+OK ready <1.2@pop>", -1);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, "", parts), 1);
  cr_expect (strstr (parts[0].text, "APOP") != NULL, "the greeting: %s", parts[0].text);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, NULL, parts), 1);
  cr_expect (strstr (parts[0].text, "succeeded") != NULL, "without context: %s", parts[0].text);

  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "SASL PLAIN CRAM-MD5", -1);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, "CAPA", parts), 1);
  cr_expect_str_eq (parts[0].key, "SASL");
  cr_expect_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, NULL, parts), 0);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "2 1340", -1);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, "LIST", parts), 1);
  cr_expect (strstr (parts[0].text, "size") != NULL);
  cr_assert_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, "UIDL", parts), 1);
  cr_expect (strstr (parts[0].text, "unique id") != NULL);
  cr_expect_eq (ms_explain_line_parts (MS_PROTOCOL_POP3, l, "RETR", parts), 0,
                "message content lines are not explained one by one");
}

Test (explain, pop3_sasl_continuation)
{
  g_autoptr(MsTrace) trace = new_trace ();
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "192.0.2.1:5000",
                                             "192.0.2.2:110");
  MsTraceLine *l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "+ ", -1);

  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_POP3, l), "challenge") != NULL);
  l = ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "+OK", -1);
  cr_expect (strstr (ms_explain_line (MS_PROTOCOL_POP3, l), "challenge") == NULL);
}
