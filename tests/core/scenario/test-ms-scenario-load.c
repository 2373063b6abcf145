/* test-ms-scenario-load.c: the scenario loader, good files and broken ones
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "ms-scenario.h"

/* A minimal valid scenario; each broken case changes one line of it. */
static const char *const minimal[] = {
  "id: tiny",                                            /* 1 */
  "title: {ja: 小さな例, en: A tiny example}",            /* 2 */
  "summary: {ja: 説明, en: Summary}",                     /* 3 */
  "exams: [FE]",                                         /* 4 */
  "switches:",                                           /* 5 */
  "  op25b: true",                                       /* 6 */
  "networks:",                                           /* 7 */
  "  - name: lan",                                       /* 8 */
  "    kind: lan",                                       /* 9 */
  "    cidr: 192.0.2.0/24",                              /* 10 */
  "nodes:",                                              /* 11 */
  "  - name: pc",                                        /* 12 */
  "    roles: [mua]",                                    /* 13 */
  "    addresses: {lan: 192.0.2.7}",                     /* 14 */
  "  - name: mail",                                      /* 15 */
  "    roles: [msa, mta, mda, mra]",                     /* 16 */
  "    addresses: {lan: 192.0.2.25}",                    /* 17 */
  "    domains: [example.test]",                         /* 18 */
  "dns:",                                                /* 19 */
  "  - example.test MX 10 mail.example.test",            /* 20 */
  "users:",                                              /* 21 */
  "  - {address: a@example.test, password: pw, mailbox: mail}", /* 22 */
  "steps:",                                              /* 23 */
  "  - action: send",                                    /* 24 */
  "    device: pc",                                      /* 25 */
  "    user: a@example.test",                            /* 26 */
  "    to: a@example.test",                              /* 27 */
  "    via: submission",                                 /* 28 */
  "    narration: {ja: 送ります, en: Sending}",           /* 29 */
  "expectations:",                                       /* 30 */
  "  - expect: delivered",                               /* 31 */
  "    mailbox: a@example.test",                         /* 32 */
  NULL
};

/* The minimal file with line @line (1-based) replaced by @text (NULL: removed). */
static char *
variant (guint       line,
         const char *text)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; minimal[i] != NULL; i++)
    {
      if (i + 1 == line)
        {
          if (text != NULL)
            g_string_append_printf (s, "%s\n", text);
        }
      else
        g_string_append_printf (s, "%s\n", minimal[i]);
    }
  return g_string_free (s, FALSE);
}

static void
assert_error (guint       line,
              const char *text,
              const char *expected)
{
  g_autofree char *data = variant (line, text);
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = ms_scenario_load_data (data, -1, "scenarios/tiny.yaml", &error);

  cr_assert_null (scn, "line %u “%s” loaded", line, text);
  cr_assert_not_null (error);
  cr_assert (error->domain == MS_SCENARIO_ERROR);
  cr_assert_str_eq (error->message, expected);
}

Test (scenario_load, minimal)
{
  g_autofree char *data = variant (0, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = ms_scenario_load_data (data, -1, "tiny.yaml", &error);
  MsScenarioNode *mail;
  MsScenarioStep *step;
  MsScenarioExpectation *exp;

  cr_assert_not_null (scn, "%s", error ? error->message : "");
  cr_assert_str_eq (scn->id, "tiny");
  cr_assert_str_eq (scn->title.ja, "小さな例");
  cr_assert_str_eq (ms_scenario_text_get (&scn->title, "en"), "A tiny example");
  cr_assert_eq (g_strv_length (scn->exams), 1);
  cr_assert_eq (scn->networks->len, 1);
  cr_assert_eq (scn->nodes->len, 2);
  mail = ms_scenario_find_node (scn, "mail");
  cr_assert_not_null (mail);
  cr_assert_eq (mail->roles, MS_SCENARIO_ROLE_MSA | MS_SCENARIO_ROLE_MTA | MS_SCENARIO_ROLE_MDA
                             | MS_SCENARIO_ROLE_MRA);
  cr_assert_str_eq (mail->hostname, "mail");
  cr_assert_str_eq (mail->domains[0], "example.test");
  cr_assert_eq (scn->steps->len, 1);
  step = scn->steps->pdata[0];
  cr_assert_eq (step->action, MS_SCENARIO_STEP_SEND);
  cr_assert_str_eq (step->to[0], "a@example.test");
  cr_assert_eq (step->mark.line, 24);
  cr_assert_eq (step->mark.column, 5);
  exp = scn->expectations->pdata[0];
  cr_assert_eq (exp->kind, MS_SCENARIO_EXPECT_DELIVERED);
  cr_assert (exp->present);
  cr_assert_str_eq (exp->folder, "INBOX");
}

Test (scenario_load, switches_expand_and_set)
{
  g_autofree char *data = variant (6, "  op25b: true\n  rec: \"v=spf1 ${op25b} -all\"");
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = ms_scenario_load_data (data, -1, "tiny.yaml", &error);
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  cr_assert_not_null (scn, "%s", error ? error->message : "");
  cr_assert (ms_scenario_find_switch (scn, "op25b")->is_bool);
  cr_assert_not (ms_scenario_find_switch (scn, "rec")->is_bool);
  a = ms_scenario_expand (scn, "x ${op25b} $$ ${nope}");
  cr_assert_str_eq (a, "x true $ ${nope}");
  cr_assert (ms_scenario_expand_bool (scn, "${op25b}", FALSE));
  cr_assert (ms_scenario_set_switch (scn, "op25b", "off", &error));
  cr_assert_not (ms_scenario_expand_bool (scn, "${op25b}", TRUE));
  b = ms_scenario_expand (scn, "${rec}");
  cr_assert_str_eq (b, "v=spf1 ${op25b} -all");  /* one level: no recursion */
  cr_assert_not (ms_scenario_set_switch (scn, "op25b", "maybe", &error));
  cr_assert_str_eq (error->message, "switch “op25b” is true or false, not “maybe”");
  g_clear_error (&error);
  cr_assert_not (ms_scenario_set_switch (scn, "op26b", "true", &error));
  cr_assert_str_eq (error->message,
                    "scenario “tiny” has no switch “op26b”; its switches are: op25b, rec");
}

Test (scenario_load, broken_files)
{
  assert_error (13, "    ruoter: [mua]",
                "scenarios/tiny.yaml:13:5: unknown key “ruoter” in node; expected one of: name, "
                "hostname, addresses, roles, domains, trusted_networks, submission_auth, spf, "
                "pop_before_smtp, fail_first, fail_count, resolver, filters, transport, nat, "
                "mail_server, smime_keys, dkim, dkim_selector, dkim_key, list_tag");
  assert_error (13, "    roles: [mua, postman]",
                "scenarios/tiny.yaml:13:12: unknown role “postman” for node “pc”; expected one "
                "of: mua, msa, mta, mda, mra, dns, router, webmail");
  assert_error (14, "    addresses: {lan: 198.51.100.7}",
                "scenarios/tiny.yaml:14:22: address 198.51.100.7 is outside network “lan” "
                "(192.0.2.0/24)");
  assert_error (14, "    addresses: {wan: 192.0.2.7}",
                "scenarios/tiny.yaml:14:17: node “pc” is in network “wan”, which “networks” "
                "does not define");
  assert_error (10, "    cidr: 192.0.2.0",
                "scenarios/tiny.yaml:10:11: “192.0.2.0” is not a network in CIDR form "
                "(e.g. 192.0.2.0/24)");
  assert_error (9, "    kind: office",
                "scenarios/tiny.yaml:9:11: unknown value “office” for “kind”; expected one of: "
                "home-pool, isp, dmz, lan, internet");
  assert_error (24, "  - action: telegraph",
                "scenarios/tiny.yaml:24:13: unknown action “telegraph”; expected one of: send, "
                "fetch, imap, smtp, reply, wait, set");
  assert_error (27, "    seconds: 5",
                "scenarios/tiny.yaml:27:5: key “seconds” does not apply to a send step; "
                "expected one of: action, narration, quiz, device, user, from, envelope_from, "
                "to, cc, bcc, subject, body, charset, attachments, via, server, port, auth, smime");
  assert_error (29, "    narration: {ja: 送ります}",
                "scenarios/tiny.yaml:29:16: “narration” of step has no “en”");
  assert_error (26, "    user: z@example.test",
                "scenarios/tiny.yaml:26:11: “z@example.test” is not one of the scenario's users");
  assert_error (25, "    device: mail",
                "scenarios/tiny.yaml:25:13: device “mail” is not a node with the role mua");
  assert_error (31, "  - expect: delivred",
                "scenarios/tiny.yaml:31:13: unknown expectation “delivred”; expected one of: "
                "reply, blocked, spf, delivered, header, smime, dkim");
  assert_error (20, "  - example.test MX ten mail.example.test",
                "scenarios/tiny.yaml:20:5: bad DNS record “example.test MX ten "
                "mail.example.test”: expected an MX preference from 0 to 65535");
  assert_error (28, "    via: pigeon",
                "scenarios/tiny.yaml:28:10: unknown value “pigeon” for “via”; expected one of: "
                "submission, direct, webmail");
  assert_error (22, "  - {address: a@example.test, password: pw, mailbox: mial}",
                "scenarios/tiny.yaml:22:54: user a@example.test has the mailbox host “mial”, "
                "which is not a node");
  assert_error (12, "  - name: pc\n  - name: pc",
                "scenarios/tiny.yaml:12:5: node “pc” has no “roles”; expected some of: mua, "
                "msa, mta, mda, mra, dns, router, webmail");
  assert_error (3, "summary: {ja: 説明, en: [Summary}",
                "scenarios/tiny.yaml:3:31: not valid YAML: did not find expected ',' or ']' "
                "while parsing a flow sequence");
  assert_error (32, NULL, "scenarios/tiny.yaml:31:5: a delivered expectation needs “mailbox” "
                          "(a user address)");
  assert_error (29, "    narration: {ja: 送ります, en: Sending}\n    quiz: {question: {ja: 問, en: Q}, "
                    "choices: [a, b], answer: 2, explanation: {ja: 説明, en: E}}",
                "scenarios/tiny.yaml:30:63: quiz answer 2 is not a choice; expected 0 to 1 "
                "(counted from 0)");
  assert_error (29, "    narration: {ja: 送ります, en: Sending}\n    quiz: {question: {ja: 問, en: Q}, "
                    "choices: [a, {ja: い}], answer: 0, explanation: {ja: 説明, en: E}}",
                "scenarios/tiny.yaml:30:51: a quiz choice has no “en”");
  assert_error (6, "  op25b: [true]",
                "scenarios/tiny.yaml:6:10: expected a default value (true, false or text) "
                "for switch “op25b”");
}

Test (scenario_load, bilingual_choices)
{
  g_autofree char *data = variant (29, "    narration: {ja: 送ります, en: Sending}\n"
                                       "    quiz:\n"
                                       "      question: {ja: 問, en: Question}\n"
                                       "      choices: [\"587\", {ja: はい, en: yes}]\n"
                                       "      answer: 1\n"
                                       "      explanation: {ja: 説明, en: Why}");
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = ms_scenario_load_data (data, -1, "tiny.yaml", &error);
  MsScenarioQuiz *quiz;

  cr_assert_not_null (scn, "%s", error ? error->message : "");
  quiz = ((MsScenarioStep *) scn->steps->pdata[0])->quiz;
  cr_assert_not_null (quiz);
  cr_assert_eq (quiz->n_choices, 2);
  cr_assert_str_eq (quiz->choices[0].ja, "587");
  cr_assert_str_eq (quiz->choices[0].en, "587");
  cr_assert_str_eq (ms_scenario_text_get (&quiz->choices[1], "ja"), "はい");
  cr_assert_str_eq (ms_scenario_text_get (&quiz->choices[1], "en"), "yes");
  cr_assert_eq (quiz->answer, 1);
}

Test (scenario_load, empty_and_not_utf8)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) a = ms_scenario_load_data ("", 0, "e.yaml", &error);

  cr_assert_null (a);
  cr_assert_str_eq (error->message, "e.yaml:1:1: the file is empty; expected a scenario (id:, title:, ...)");
  g_clear_error (&error);
  g_autoptr(MsScenario) b = ms_scenario_load_data ("id: \xff\n", -1, "b.yaml", &error);
  cr_assert_null (b);
  cr_assert_str_eq (error->message, "b.yaml:1:1: the file is not UTF-8 text");
  g_clear_error (&error);
  g_autoptr(MsScenario) c = ms_scenario_load_data ("- 1\n- 2\n", -1, "c.yaml", &error);
  cr_assert_null (c);
  cr_assert_str_eq (error->message, "c.yaml:1:1: expected a mapping (key: value lines) for the scenario");
}

/* Every file of the library loads, and its metadata is complete. */
Test (scenario_load, library)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  cr_assert_not_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(MsScenario) scn = NULL;
      g_autofree char *id = NULL;

      if (!g_str_has_suffix (name, ".yaml"))
        continue;
      path = g_build_filename (dir, name, NULL);
      scn = ms_scenario_load_file (path, &error);
      cr_assert_not_null (scn, "%s", error ? error->message : "");
      id = g_strndup (name, strlen (name) - 5);
      cr_assert_str_eq (scn->id, id, "%s: the id is the file name", path);
      cr_assert_gt (g_strv_length (scn->exams), 0, "%s has no exam tags", path);
      cr_assert_gt (scn->expectations->len, 0);
      for (guint i = 0; i < scn->steps->len; i++)
        {
          MsScenarioStep *step = scn->steps->pdata[i];
          cr_assert (step->narration.ja != NULL && step->narration.en != NULL);
        }
      n++;
    }
  cr_assert_geq (n, 2);
}

Test (scenario_load, resolve_ids)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ms_scenario_resolve ("op25b", &error);
  g_autofree char *none = NULL;

  cr_assert_not_null (path, "%s", error ? error->message : "");
  cr_assert (g_str_has_suffix (path, "scenarios/op25b.yaml"));
  none = ms_scenario_resolve ("no-such-scenario", &error);
  cr_assert_null (none);
  cr_assert_str_eq (error->message,
                    "no scenario “no-such-scenario”; `mailsim list` shows the scenarios there are");
}

/* transport (MTAs), nat (routers) and header positions: good and broken */
Test (scenario_load, transport_nat_and_position)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *good = variant (18, "    domains: [example.test]\n"
                                       "    transport: {example.net: \"[192.0.2.99]:2525\", "
                                       "\"*\": smart.example.test}");
  g_autoptr(MsScenario) scn = ms_scenario_load_data (good, -1, "scenarios/tiny.yaml", &error);
  MsScenarioNode *mail;
  MsScenarioRoute *r;

  cr_assert_not_null (scn, "%s", error != NULL ? error->message : "");
  mail = ms_scenario_find_node (scn, "mail");
  cr_assert_eq (mail->transport->len, 2);
  r = mail->transport->pdata[0];
  cr_assert_str_eq (r->domain, "example.net");
  cr_assert_str_eq (r->next_hop, "192.0.2.99");
  cr_assert_eq (r->port, 2525);
  r = mail->transport->pdata[1];
  cr_assert_str_eq (r->domain, "*");
  cr_assert_str_eq (r->next_hop, "smart.example.test");
  cr_assert_eq (r->port, 25);

  assert_error (14, "    addresses: {lan: 192.0.2.7}\n    transport: {\"*\": mail}",
                "scenarios/tiny.yaml:15:16: node “pc” has “transport” but not the role mta");
  assert_error (18, "    domains: [example.test]\n    transport: {example.net: \"mx:99999\"}",
                "scenarios/tiny.yaml:19:30: “99999” is not a port number (1-65535) in transport");
  assert_error (14, "    addresses: {lan: 192.0.2.7}\n    nat: {inside: lan, outside: lan}",
                "scenarios/tiny.yaml:15:10: node “pc” has “nat” but not the role router");
  assert_error (32, "    mailbox: a@example.test\n  - expect: header\n    mailbox: a@example.test\n"
                    "    header: Received\n    position: 1",
                "scenarios/tiny.yaml:36:15: “position” says which occurrence “contains” is "
                "about; “contains” is missing");
}

/* via: webmail: a webmail node must exist; the browser's form is plain text; IMAP only */
Test (scenario_load, via_webmail)
{
  const char *webmail_node = "  - name: web\n    roles: [webmail]\n"
                             "    addresses: {lan: 192.0.2.80}\n    mail_server: mail\n"
                             "  - name: mail";
  g_autofree char *good = NULL;
  g_autofree char *fetch = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MsScenario) scn = NULL;
  g_autoptr(MsScenario) scn2 = NULL;
  MsScenarioStep *step;

  assert_error (28, "    via: webmail",
                "scenarios/tiny.yaml:28:10: via webmail needs a node with the role webmail");
  good = variant (15, webmail_node);
  {
    /* line 28 moves down by 4 in this variant */
    g_auto(GStrv) lines = g_strsplit (good, "\n", -1);
    g_autofree char *joined = NULL;

    g_free (lines[31]);
    lines[31] = g_strdup ("    via: webmail");
    joined = g_strjoinv ("\n", lines);
    scn = ms_scenario_load_data (joined, -1, "scenarios/tiny.yaml", &error);
    cr_assert_not_null (scn, "%s", error != NULL ? error->message : "");
    cr_assert_str_eq (ms_scenario_find_node (scn, "web")->mail_server, "mail");
    step = scn->steps->pdata[0];
    cr_assert_str_eq (step->via, "webmail");

    g_free (lines[31]);
    lines[31] = g_strdup ("    via: webmail\n    charset: iso-2022-jp");
    g_free (joined);
    joined = g_strjoinv ("\n", lines);
    g_clear_error (&error);
    cr_assert_null (ms_scenario_load_data (joined, -1, "scenarios/tiny.yaml", &error));
    cr_assert_str_eq (error->message,
                      "scenarios/tiny.yaml:28:5: via webmail takes user, to, cc, bcc, subject "
                      "and body only (no from, envelope_from, charset, attachments, port, auth, "
                      "keep, misread_as)");

    g_free (lines[31]);
    lines[31] = g_strdup ("    via: webmail\n    server: mail");
    g_free (joined);
    joined = g_strjoinv ("\n", lines);
    g_clear_error (&error);
    cr_assert_null (ms_scenario_load_data (joined, -1, "scenarios/tiny.yaml", &error));
    cr_assert_str_eq (error->message,
                      "scenarios/tiny.yaml:33:13: with via webmail, server names the webmail "
                      "node; “mail” has no webmail role");

    /* a fetch through webmail: protocol may be left out (IMAP), pop3 is an error */
    g_free (lines[27]);
    lines[27] = g_strdup ("  - action: fetch");
    g_free (lines[30]);
    lines[30] = g_strdup ("    protocol: pop3");
    g_free (lines[31]);
    lines[31] = g_strdup ("    via: webmail");
    g_free (joined);
    joined = g_strjoinv ("\n", lines);
    g_clear_error (&error);
    cr_assert_null (ms_scenario_load_data (joined, -1, "scenarios/tiny.yaml", &error));
    cr_assert_str_eq (error->message, "scenarios/tiny.yaml:31:15: the webmail server reads the "
                      "mailbox with imap, not “pop3”");
    g_free (lines[30]);
    lines[30] = g_strdup ("    user: a@example.test");
    g_free (lines[29]);
    lines[29] = g_strdup ("    device: pc");
    g_free (lines[28]);
    lines[28] = g_strdup ("    # the browser");
    fetch = g_strjoinv ("\n", lines);
  }
  g_clear_error (&error);
  scn2 = ms_scenario_load_data (fetch, -1, "scenarios/tiny.yaml", &error);
  cr_assert_not_null (scn2, "%s", error != NULL ? error->message : "");
  step = scn2->steps->pdata[0];
  cr_assert_eq (step->action, MS_SCENARIO_STEP_FETCH);
  cr_assert_str_eq (step->protocol, "imap");
}
