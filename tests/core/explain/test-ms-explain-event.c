/* test-ms-explain-event.c: events in words, mailboxes replayed from a trace, and the
 * choices of "predict the next reply"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "ms-explain-event.h"
#include "ms-i18n.h"
#include "ms-mailbox-replay.h"
#include "ms-predict.h"
#include "ms-scenario-runner.h"
#include "ms-scenario.h"

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

static char *
scenario_path (const char *id)
{
  g_autofree char *name = g_strconcat (id, ".yaml", NULL);

  return g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios", name, NULL);
}

/* Runs scenario @id, with @from replaced by @to in its text when given. */
static MsTrace *
run_scenario (const char *id,
              const char *from,
              const char *to)
{
  g_autofree char *path = scenario_path (id);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = NULL;
  g_autoptr(MsScenarioRunner) runner = NULL;

  cr_assert (g_file_get_contents (path, &text, NULL, &error), "%s", error ? error->message : "");
  if (from != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (text, from, -1);

      cr_assert_gt (g_strv_length (parts), 1, "%s not in %s", from, id);
      g_free (text);
      text = g_strjoinv (to, parts);
    }
  scn = ms_scenario_load_data (text, -1, path, &error);
  cr_assert_not_null (scn, "%s", error ? error->message : "");
  runner = ms_scenario_runner_new (scn);
  cr_assert (ms_scenario_runner_run (runner, &error), "%s", error ? error->message : "");
  return g_object_ref (ms_scenario_runner_get_trace (runner));
}

static const char *const library[] = {
  "basic-pop3", "bcc", "bounce", "imap-folders", "mime-japanese", "op25b",
  "pop-before-smtp", "relay-hops", "relay-rules", "reply-thread", "smtp-commands",
  "spf-fail", "spf-pass", "spf-softfail", "tempfail-retry", "smime", "dkim",
};

/* Every event any scenario records has an explanation, a title and a summary with every
 * placeholder filled. */
Test (explain_event, every_event_of_the_library_is_explained, .init = setup_en, .timeout = 120)
{
  g_autoptr(GHashTable) types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize s = 0; s < G_N_ELEMENTS (library); s++)
    {
      g_autoptr(MsTrace) trace = run_scenario (library[s], NULL, NULL);

      for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
        {
          MsTraceEvent *e = ms_trace_get_event (trace, i);
          g_autofree char *summary = ms_explain_event_summary (e);
          g_autofree char *title = ms_explain_event_title (e);

          g_hash_table_add (types, g_strdup (e->type));
          cr_expect_not_null (ms_explain_event_type (e->type), "%s: type %s", library[s],
                              e->type);
          cr_expect_not_null (ms_explain_event_detail (e, NULL), "%s: %s", library[s], e->type);
          cr_expect (strchr (summary, '{') == NULL, "%s: %s", library[s], summary);
          cr_expect (strstr (summary, " at ") == NULL || strcmp (e->type, "narration") == 0
                     || g_str_has_prefix (summary, e->node ? e->node : ""),
                     "%s: %s has no sentence: %s", library[s], e->type, summary);
          cr_expect_gt (strlen (title), 0);
        }
    }
  /* the types the brief names */
  for (const char *const *t = (const char *const[]) { "blocked", "policy", "dns", "delivered",
                                                      "compose", "connect-failed", "submitted",
                                                      "narration", "mailbox", NULL };
       *t != NULL; t++)
    cr_expect (g_hash_table_contains (types, *t), "no scenario records %s", *t);
}

Test (explain_event, summaries_name_the_fields, .init = setup_en)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceEvent *e;
  g_autofree char *s1 = NULL;
  g_autofree char *s2 = NULL;
  g_autofree char *s3 = NULL;
  g_autofree char *answers = NULL;
  const char *key = NULL;

  e = ms_trace_add_event (trace, "blocked", "router", 0, "reason", "op25b", "rule", "op25b",
                          "protocol", "tcp", "src", "203.0.113.7:49154", "dst", "192.0.2.25:25",
                          NULL);
  s1 = ms_explain_event_summary (e);
  cr_expect_str_eq (s1, "router dropped a tcp packet from 203.0.113.7:49154 to 192.0.2.25:25 "
                    "(rule op25b)");
  e = ms_trace_add_event (trace, "policy", "mx", 2, "check", "relay", "recipient", "x@y.example",
                          "result", "denied", NULL);
  s2 = ms_explain_event_summary (e);
  cr_expect_str_eq (s2, "mx: relaying for x@y.example: denied");
  cr_expect_not_null (ms_explain_event_detail (e, &key));
  cr_expect_str_eq (key, "relay=denied");
  e = ms_trace_add_event (trace, "dns", "pc", 0, "direction", "answer", "name", "example.net",
                          "qtype", "MX", "status", "NOERROR", NULL);
  json_object_set_array_member (e->fields, "answers", json_array_new ());
  json_array_add_string_element (json_object_get_array_member (e->fields, "answers"),
                                 "10 mx.example.net.");
  json_array_add_string_element (json_object_get_array_member (e->fields, "answers"),
                                 "20 mx2.example.net.");
  answers = ms_explain_event_field_text (e, "answers");
  cr_expect_str_eq (answers, "10 mx.example.net., 20 mx2.example.net.");
  s3 = ms_explain_event_summary (e);
  cr_expect (strstr (s3, "example.net MX → 10 mx.example.net.") != NULL, "%s", s3);
  e = ms_trace_add_event (trace, "mailbox", "mx", 3, "action", "expunged", "user", "bob@x",
                          "folder", "INBOX", "uid", "4", NULL);
  cr_expect_not_null (ms_explain_event_detail (e, &key));
  cr_expect_str_eq (key, "mailbox:expunged");
  cr_expect (strstr (ms_explain_event_detail (e, NULL), "QUIT") != NULL);
  /* a field that is missing shows as a dash, never as {name} */
  e = ms_trace_add_event (trace, "connect-failed", "pc", 0, NULL, NULL);
  {
    g_autofree char *s = ms_explain_event_summary (e);
    cr_expect_str_eq (s, "pc could not connect: —");
  }
  cr_expect_str_eq (ms_explain_event_value ("something else"), "something else");
}

Test (explain_event_ja, fixed_values_and_templates_are_japanese, .init = setup_ja)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceEvent *e;
  g_autofree char *summary = NULL;
  g_autofree char *reason = NULL;

  cr_expect_str_neq (ms_explain_event_value ("To and Cc become RCPT TO"),
                     "To and Cc become RCPT TO");
  cr_expect (strstr (ms_explain_event_value ("To and Cc become RCPT TO"), "RCPT TO") != NULL);
  e = ms_trace_add_event (trace, "compose", "pc", 0, "from", "alice@isp.example",
                          "recipients", "bob@example.net", "server", "198.51.100.25:587",
                          "reason", "To and Cc become RCPT TO", NULL);
  summary = ms_explain_event_summary (e);
  cr_expect (strstr (summary, "alice@isp.example") != NULL, "%s", summary);
  cr_expect (g_utf8_strchr (summary, -1, 0x30E1) != NULL || g_utf8_strchr (summary, -1, 0x3059)
             != NULL, "not Japanese: %s", summary);
  reason = ms_explain_event_field_text (e, "reason");
  cr_expect_str_eq (reason, ms_explain_event_value ("To and Cc become RCPT TO"));
}

static void
count_untranslated (MsProtocol     protocol,
                    MsExplainKind  kind,
                    const char    *key,
                    const char    *msgid,
                    gpointer       user_data)
{
  guint *missing = user_data;
  const char *ja = g_dgettext (GETTEXT_PACKAGE, msgid);

  g_autoptr(GRegex) placeholders = g_regex_new ("\\{[a-z_]+\\}", 0, 0, NULL);
  g_autofree char *words = g_regex_replace_literal (placeholders, msgid, -1, 0, "", 0, NULL);
  gboolean sentence = strchr (msgid, ' ') != NULL && g_regex_match_simple ("[a-zA-Z]", words,
                                                                          0, 0);

  /* a label may stay the same word ("UID"), "{node}: {text}" has none; a sentence may not */
  if ((ja == msgid || strcmp (ja, msgid) == 0) && sentence)
    {
      cr_log_error ("no Japanese for %s: %s", key, msgid);
      (*missing)++;
    }
}

Test (explain_event_ja, every_msgid_is_translated, .init = setup_ja)
{
  guint missing = 0;

  ms_explain_event_foreach (count_untranslated, &missing);
  cr_expect_eq (missing, 0, "%u event texts lack Japanese", missing);
}

/* ---- mailboxes ---- */

static MsReplayFolder *
folder_of (GPtrArray  *users,
           const char *address,
           const char *folder)
{
  for (guint i = 0; i < users->len; i++)
    {
      MsReplayUser *u = g_ptr_array_index (users, i);

      if (strcmp (u->address, address) != 0)
        continue;
      for (guint k = 0; k < u->folders->len; k++)
        {
          MsReplayFolder *f = g_ptr_array_index (u->folders, k);
          if (strcmp (f->name, folder) == 0)
            return f;
        }
    }
  return NULL;
}

static guint
first_event (MsTrace    *trace,
             const char *type,
             const char *action)
{
  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    {
      MsTraceEvent *e = ms_trace_get_event (trace, i);

      if (strcmp (e->type, type) == 0
          && (action == NULL
              || g_strcmp0 (json_object_get_string_member_with_default (e->fields, "action",
                                                                        NULL), action) == 0))
        return i;
    }
  return G_MAXUINT;
}

/* POP3 without "leave a copy": RETR sets \Seen, DELE \Deleted, and only QUIT removes. */
Test (mailbox_replay, pop3_dele_takes_effect_at_quit, .init = setup_en, .timeout = 60)
{
  g_autoptr(MsTrace) trace = run_scenario ("op25b", "keep: true", "keep: false");
  g_autoptr(MsMailboxReplay) replay = ms_mailbox_replay_new (trace);
  guint delivered = first_event (trace, "delivered", NULL);
  guint expunged = first_event (trace, "mailbox", "expunged");
  MsReplayFolder *inbox;
  MsReplayMessage *m;
  MsTraceEvent *e;

  cr_assert (ms_mailbox_replay_has_data (replay));
  cr_assert_neq (delivered, G_MAXUINT);
  cr_assert_neq (expunged, G_MAXUINT, "no expunge recorded for POP3 DELE + QUIT");
  cr_assert_lt (delivered, expunged);

  {
    g_autoptr(GPtrArray) before = ms_mailbox_replay_state (replay, delivered);
    inbox = folder_of (before, "bob@example.net", "INBOX");
    cr_assert_not_null (inbox, "bob's INBOX is listed before his first message");
    cr_expect_eq (inbox->messages->len, 0);
  }
  {
    g_autoptr(GPtrArray) after = ms_mailbox_replay_state (replay, delivered + 1);
    inbox = folder_of (after, "bob@example.net", "INBOX");
    cr_assert_eq (inbox->messages->len, 1);
    m = g_ptr_array_index (inbox->messages, 0);
    cr_expect_eq (m->uid, 1);
    cr_expect_str_eq (m->subject, "Through my provider");
    cr_expect_str_eq (m->from, "alice@isp.example");
    cr_expect_str_eq (m->flags, "");
    cr_expect_eq (m->added_at, delivered);
  }
  {
    /* just before QUIT's expunge, after DELE: read (RETR sets \\Seen) and still there;
     * the POP3 server keeps DELE's mark in the session (RFC 1939 §6) */
    g_autoptr(GPtrArray) marked = ms_mailbox_replay_state (replay, expunged);
    inbox = folder_of (marked, "bob@example.net", "INBOX");
    cr_assert_eq (inbox->messages->len, 1);
    m = g_ptr_array_index (inbox->messages, 0);
    cr_expect (ms_replay_flags_have (m->flags, "\\Seen"), "%s", m->flags);
  }
  {
    g_autoptr(GPtrArray) gone = ms_mailbox_replay_state (replay, expunged + 1);
    inbox = folder_of (gone, "bob@example.net", "INBOX");
    cr_expect_eq (inbox->messages->len, 0);
  }
  /* the expunge names the POP3 session whose QUIT made it */
  e = ms_trace_get_event (trace, expunged);
  cr_assert_neq (e->session, 0);
  {
    MsTraceSession *s = ms_trace_find_session (trace, e->session);
    gboolean quit = FALSE;

    cr_assert_not_null (s);
    cr_expect_eq (s->protocol, MS_PROTOCOL_POP3);
    for (guint i = 0; i < s->lines->len; i++)
      {
        MsTraceLine *l = g_ptr_array_index (s->lines, i);
        if (l->t_us <= e->t_us && g_strcmp0 (l->command, "QUIT") == 0)
          quit = TRUE;
        if (g_strcmp0 (l->command, "DELE") == 0)
          cr_expect_leq (l->t_us, e->t_us);
      }
    cr_expect (quit, "the expunge comes after QUIT");
  }
}

/* IMAP CREATE, STORE and COPY, as the imap-folders scenario types them. */
Test (mailbox_replay, imap_folders_flags_and_copies, .init = setup_en, .timeout = 60)
{
  g_autoptr(MsTrace) trace = run_scenario ("imap-folders", NULL, NULL);
  g_autoptr(MsMailboxReplay) replay = ms_mailbox_replay_new (trace);
  g_autoptr(GPtrArray) end = ms_mailbox_replay_state (replay, ms_trace_get_n_events (trace));
  g_autoptr(GPtrArray) start = ms_mailbox_replay_state (replay, 0);
  MsReplayFolder *inbox = folder_of (end, "bob@example.net", "INBOX");
  MsReplayFolder *work = folder_of (end, "bob@example.net", "Work");
  MsReplayMessage *m;

  cr_assert_not_null (inbox);
  cr_assert_not_null (work, "CREATE Work is replayed");
  cr_assert_null (folder_of (start, "bob@example.net", "Work"), "Work does not exist yet");
  cr_assert_eq (inbox->messages->len, 2);
  m = g_ptr_array_index (inbox->messages, 0);
  cr_expect (ms_replay_flags_have (m->flags, "\\Flagged"), "%s", m->flags);
  cr_expect (ms_replay_flags_have (m->flags, "\\Seen"), "%s", m->flags);
  cr_assert_eq (work->messages->len, 1);
  m = g_ptr_array_index (work->messages, 0);
  cr_expect_str_eq (m->subject, "Project plan");
  cr_expect_eq (m->uid, 1);
}

Test (mailbox_replay, a_capture_has_no_mailboxes)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("pcap", "x.pcap");
  g_autoptr(MsMailboxReplay) replay = NULL;

  ms_trace_add_event (trace, "dns", NULL, 0, "name", "example.net", NULL);
  replay = ms_mailbox_replay_new (trace);
  cr_expect_not (ms_mailbox_replay_has_data (replay));
}

/* ---- predict the next reply ---- */

static MsTraceSession *
smtp_session (MsTrace *trace)
{
  MsTraceSession *s = ms_trace_open_session (trace, MS_PROTOCOL_SMTP, "203.0.113.7:49154",
                                             "192.0.2.25:25");

  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "220 mx ESMTP", -1);
  ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "EHLO pc", -1);
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "250-mx greets pc", -1);
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "250 PIPELINING", -1);
  ms_trace_session_add_line (s, MS_DIR_CLIENT, MS_LINE_COMMAND, "RCPT TO:<bob@example.net>",
                             -1);
  ms_trace_session_add_line (s, MS_DIR_SERVER, MS_LINE_REPLY, "250 2.1.5 Ok", -1);
  return s;
}

Test (predict, rcpt_choices_are_real_codes_one_correct)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s = smtp_session (trace);
  MsTraceLine *reply = g_ptr_array_index (s->lines, 5);
  const char *command = ms_predict_command_for (s, 5);

  cr_assert_str_eq (command, "RCPT");
  cr_assert (ms_predict_applies (MS_PROTOCOL_SMTP, reply, command));
  for (guint seed = 0; seed < 8; seed++)
    {
      g_autoptr(GPtrArray) choices = ms_predict_choices (MS_PROTOCOL_SMTP, command, reply, seed);
      guint correct = 0;

      cr_assert_eq (choices->len, 4);
      for (guint i = 0; i < choices->len; i++)
        {
          MsPredictChoice *c = g_ptr_array_index (choices, i);

          if (c->correct)
            {
              correct++;
              cr_expect_str_eq (c->text, "250 2.1.5 Ok");
              cr_expect_eq (i, seed % 4, "the seed places the true reply");
            }
          else
            cr_expect_not (g_str_has_prefix (c->text, "250"), "a second 250: %s", c->text);
        }
      cr_expect_eq (correct, 1);
      /* the distractors, in table order, are the same whatever the seed */
      {
        GString *wrong = g_string_new (NULL);
        for (guint i = 0; i < choices->len; i++)
          if (!((MsPredictChoice *) g_ptr_array_index (choices, i))->correct)
            g_string_append_printf (wrong, "%.3s ",
                                    ((MsPredictChoice *) g_ptr_array_index (choices, i))->text);
        cr_expect_str_eq (wrong->str, "550 554 451 ");
        g_string_free (wrong, TRUE);
      }
    }
}

Test (predict, which_lines_are_predicted)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *s = smtp_session (trace);
  g_autoptr(GPtrArray) greeting = NULL;

  /* the greeting (no command yet), the first line of a multi-line reply, not the rest */
  cr_expect_str_eq (ms_predict_command_for (s, 0), "");
  cr_expect (ms_predict_applies (MS_PROTOCOL_SMTP, g_ptr_array_index (s->lines, 0), ""));
  cr_expect_null (ms_predict_command_for (s, 1), "a client line is not predicted");
  cr_expect_str_eq (ms_predict_command_for (s, 2), "EHLO");
  greeting = ms_predict_choices (MS_PROTOCOL_SMTP, "EHLO", g_ptr_array_index (s->lines, 2), 0);
  cr_expect_str_eq (((MsPredictChoice *) g_ptr_array_index (greeting, 0))->text,
                    "250 mx greets pc", "the first line of 250- reads as a reply");
}

Test (predict, pop3_and_imap)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceSession *pop = ms_trace_open_session (trace, MS_PROTOCOL_POP3, "a:1", "b:110");
  MsTraceSession *imap = ms_trace_open_session (trace, MS_PROTOCOL_IMAP, "a:2", "b:143");
  MsTraceLine *ok, *done, *untagged;
  g_autoptr(GPtrArray) pc = NULL;
  g_autoptr(GPtrArray) ic = NULL;
  guint n_ok = 0;

  ms_trace_session_add_line (pop, MS_DIR_CLIENT, MS_LINE_COMMAND, "DELE 1", -1);
  ok = ms_trace_session_add_line (pop, MS_DIR_SERVER, MS_LINE_REPLY, "+OK message 1 deleted", -1);
  cr_assert (ms_predict_applies (MS_PROTOCOL_POP3, ok, "DELE"));
  pc = ms_predict_choices (MS_PROTOCOL_POP3, "DELE", ok, 1);
  cr_assert_eq (pc->len, 3);
  for (guint i = 0; i < pc->len; i++)
    if (g_str_has_prefix (((MsPredictChoice *) g_ptr_array_index (pc, i))->text, "+OK"))
      n_ok++;
  cr_expect_eq (n_ok, 1, "one +OK: the true one");

  ms_trace_session_add_line (imap, MS_DIR_CLIENT, MS_LINE_COMMAND, "a3 SELECT INBOX", -1);
  untagged = ms_trace_session_add_line (imap, MS_DIR_SERVER, MS_LINE_REPLY, "* 2 EXISTS", -1);
  done = ms_trace_session_add_line (imap, MS_DIR_SERVER, MS_LINE_REPLY,
                                    "a3 OK [READ-WRITE] SELECT completed", -1);
  cr_expect_not (ms_predict_applies (MS_PROTOCOL_IMAP, untagged, "SELECT"));
  cr_assert (ms_predict_applies (MS_PROTOCOL_IMAP, done, "SELECT"));
  ic = ms_predict_choices (MS_PROTOCOL_IMAP, "SELECT", done, 2);
  cr_assert_eq (ic->len, 3);
  cr_expect_str_eq (((MsPredictChoice *) g_ptr_array_index (ic, 2))->text,
                    "a3 OK [READ-WRITE] SELECT completed");
  cr_expect (g_str_has_prefix (((MsPredictChoice *) g_ptr_array_index (ic, 0))->text, "a3 NO"));
  cr_expect (g_str_has_prefix (((MsPredictChoice *) g_ptr_array_index (ic, 1))->text, "a3 BAD"));
}

Test (explain_event, smime_results_and_content_types, .init = setup_en)
{
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "unit");
  MsTraceEvent *e;
  const char *key = NULL;

  e = ms_trace_add_event (trace, "smime", "bob-pc", 0, "result", "valid", "signer", "alice@x",
                          "subject", "Hi", NULL);
  {
    g_autofree char *s = ms_explain_event_summary (e);
    cr_expect_str_eq (s, "bob-pc: S/MIME signature by alice@x is valid (“Hi”)");
  }
  cr_expect_not_null (ms_explain_event_detail (e, &key));
  cr_expect_str_eq (key, "smime:valid");
  e = ms_trace_add_event (trace, "smime", "eve-pc", 0, "result", "not-recipient",
                          "key", "eve@x", "subject", "Hi", NULL);
  cr_expect_not_null (ms_explain_event_detail (e, &key));
  cr_expect_str_eq (key, "smime:not-recipient");
  cr_expect (strstr (ms_explain_content_type ("Multipart/Signed; protocol=\"application/pkcs7-signature\""),
                     "micalg") != NULL);
  cr_expect (strstr (ms_explain_content_type ("application/x-pkcs7-mime; smime-type=enveloped-data"),
                     "enveloped-data") != NULL);
  cr_expect_not_null (ms_explain_content_type ("application/pkcs7-signature"));
  cr_expect_null (ms_explain_content_type ("text/plain"));
}
