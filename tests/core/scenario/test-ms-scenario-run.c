/* test-ms-scenario-run.c: every scenario of the library runs and its expectations hold;
 * `mailsim run` and `mailsim list` as a user calls them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sys/wait.h>
#include <string.h>

#include "ms-scenario.h"
#include "ms-scenario-runner.h"

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static GPtrArray *
library_paths (void)
{
  g_autofree char *dir = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  cr_assert_not_null (d);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".yaml"))
      g_ptr_array_add (paths, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (paths, compare_strings);
  cr_assert_geq (paths->len, 15, "the library has %u scenarios", paths->len);
  return paths;
}

/* Runs `mailsim ARGS...`; returns the exit status. */
static int
run_mailsim (const char * const *args,
             char              **out,
             char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (char *) g_getenv ("MAILSIM"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out,
                           err, &status, &error), "%s", error ? error->message : "");
  return g_spawn_check_wait_status (status, NULL) ? 0 : WEXITSTATUS (status);
}

Test (scenario_run, every_expectation_holds, .timeout = 120)
{
  g_autoptr(GPtrArray) paths = library_paths ();

  for (guint i = 0; i < paths->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MsScenario) scn = ms_scenario_load_file (paths->pdata[i], &error);
      g_autoptr(MsScenarioRunner) runner = NULL;
      g_auto(GStrv) failures = NULL;
      g_autofree char *joined = NULL;
      MsTrace *trace;

      cr_assert_not_null (scn, "%s", error ? error->message : "");
      runner = ms_scenario_runner_new (scn);
      cr_assert (ms_scenario_runner_run (runner, &error), "%s", error ? error->message : "");
      failures = ms_scenario_runner_dup_failures (runner);
      joined = failures ? g_strjoinv ("\n", failures) : g_strdup ("");
      cr_assert_eq (ms_scenario_runner_get_n_failed (runner), 0, "%s", joined);
      trace = ms_scenario_runner_get_trace (runner);
      cr_assert_eq (ms_trace_get_n_expectations (trace), scn->expectations->len);
      /* every step's narration is in the trace */
      {
        guint n = 0;
        for (guint e = 0; e < ms_trace_get_n_events (trace); e++)
          if (strcmp (ms_trace_get_event (trace, e)->type, "narration") == 0)
            n++;
        cr_assert_eq (n, scn->steps->len, "%s", scn->id);
      }
      cr_assert_gt (ms_trace_get_n_sessions (trace), 0, "%s ran no session", scn->id);
    }
}

/* The same scenario gives byte-identical JSON, in one process and in two. */
Test (scenario_run, deterministic_json, .timeout = 180)
{
  g_autoptr(GPtrArray) paths = library_paths ();

  for (guint i = 0; i < paths->len; i++)
    {
      const char *args[] = { "run", paths->pdata[i], "--format", "json", NULL };
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;
      g_autofree char *in1 = NULL;
      g_autofree char *in2 = NULL;

      cr_assert_eq (run_mailsim (args, &a, NULL), 0, "%s", (char *) paths->pdata[i]);
      cr_assert_eq (run_mailsim (args, &b, NULL), 0);
      cr_assert_str_eq (a, b, "%s: two runs differ", (char *) paths->pdata[i]);
      for (guint k = 0; k < 2; k++)
        {
          g_autoptr(MsScenario) scn = ms_scenario_load_file (paths->pdata[i], NULL);
          g_autoptr(MsScenarioRunner) runner = ms_scenario_runner_new (scn);
          cr_assert (ms_scenario_runner_run (runner, NULL));
          *(k == 0 ? &in1 : &in2) = ms_trace_to_json_string (ms_scenario_runner_get_trace (runner),
                                                             TRUE);
        }
      cr_assert_str_eq (in1, in2, "%s: two runs in one process differ", (char *) paths->pdata[i]);
      cr_assert_str_eq (g_strchomp (a), in1, "%s: CLI and library differ", (char *) paths->pdata[i]);
    }
}

Test (scenario_run, json_passes_the_checker, .timeout = 120)
{
  g_autofree char *checker = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "..", "shared",
                                               "tools", "check-trace-json", NULL);
  g_autoptr(GPtrArray) paths = NULL;

  if (!g_file_test (checker, G_FILE_TEST_IS_REGULAR))
    cr_skip_test ("no %s", checker);
  paths = library_paths ();
  for (guint i = 0; i < paths->len; i++)
    {
      const char *args[] = { "run", paths->pdata[i], "--format", "json", NULL };
      g_autofree char *json = NULL;
      g_autofree char *file = g_strdup_printf ("%s/scenario-check-%u.json",
                                               g_getenv ("MS_BUILD_ROOT"), i);
      const char *check_argv[] = { "python3", checker, file, NULL };
      g_autofree char *out = NULL;
      int status = 0;

      cr_assert_eq (run_mailsim (args, &json, NULL), 0);
      cr_assert (g_file_set_contents (file, json, -1, NULL));
      cr_assert (g_spawn_sync (NULL, (char **) check_argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
                               NULL, &out, NULL, &status, NULL));
      cr_assert (g_spawn_check_wait_status (status, NULL), "%s: %s", (char *) paths->pdata[i], out);
      g_unlink (file);
    }
}

/* One line per SMTP connection: "CLIENT SERVER | commands | reply codes" */
static void
add_connection (GPtrArray  *list,
                const char *key,
                GString    *commands,
                GString    *codes)
{
  g_ptr_array_add (list, g_strdup_printf ("%s |%s |%s", key, commands->str, codes->str));
}

/* What Wireshark's SMTP dissector (4.0, packet-smtp.c) reports as smtp.req.command: the
 * verbs it knows; an unknown verb (the tour's XYZZY) is not reported. */
static const char *const dissected_verbs[] = {
  "HELO", "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
  "AUTH", "STARTTLS", "BDAT", "TURN", "ETRN", "SEND", "SOML", "SAML", NULL
};

static GPtrArray *
connections_from_json (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);
  JsonArray *sessions;

  cr_assert (json_parser_load_from_data (parser, json, -1, NULL));
  sessions = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                           "sessions");
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *s = json_array_get_object_element (sessions, i);
      JsonArray *lines = json_object_get_array_member (s, "lines");
      g_autofree char *key = NULL;
      g_autoptr(GString) commands = g_string_new (NULL);
      g_autoptr(GString) codes = g_string_new (NULL);

      if (strcmp (json_object_get_string_member (s, "protocol"), "smtp") != 0)
        continue;
      /* the client's and the server's view of one connection: count it once */
      key = g_strdup_printf ("%s %s", json_object_get_string_member (s, "client"),
                             json_object_get_string_member (s, "server"));
      if (!g_hash_table_add (seen, g_strdup (key)))
        continue;
      gboolean data_refused = FALSE;
      g_autoptr(GQueue) pending = g_queue_new ();  /* commands awaiting their reply */

      for (guint k = 0; k < json_array_get_length (lines); k++)
        {
          JsonObject *l = json_array_get_object_element (lines, k);
          const char *text = json_object_get_string_member (l, "text");

          /* The dissector switches to message data on DATA itself, not on the 354: after a
           * DATA that was refused (503, or 554 in a pipelined group) it reads every further
           * client line of the connection as message text and shows no more commands. The
           * reply codes it still shows, all of them. */
          if (json_object_has_member (l, "command"))
            {
              const char *verb = json_object_get_string_member (l, "command");

              g_queue_push_tail (pending, (gpointer) verb);
              if (!data_refused && g_strv_contains (dissected_verbs, verb))
                g_string_append_printf (commands, " %s", verb);
            }
          /* one code per reply: the last line of a multi-line reply */
          if (json_object_has_member (l, "code") && strlen (text) >= 3 && text[3] != '-')
            {
              gint64 code = json_object_get_int_member (l, "code");
              const char *answered = g_queue_pop_head (pending);

              g_string_append_printf (codes, " %" G_GINT64_FORMAT, code);
              if (g_strcmp0 (answered, "DATA") == 0 && code != 354)
                data_refused = TRUE;
            }
        }
      add_connection (list, key, commands, codes);
    }
  g_ptr_array_sort (list, compare_strings);
  return list;
}

static GPtrArray *
connections_from_tshark (const char *tsv)
{
  g_auto(GStrv) rows = g_strsplit (tsv, "\n", -1);
  g_autoptr(GHashTable) by_stream = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *list = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (rows[i], "\t", -1);
      GString **entry;

      if (g_strv_length (f) < 7)
        continue;
      /* stream, src, srcport, dst, dstport, commands, codes */
      entry = g_hash_table_lookup (by_stream, f[0]);
      if (entry == NULL)
        {
          gboolean from_client = *f[5] != '\0';
          entry = g_new0 (GString *, 3);
          /* the first SMTP packet is the server's greeting: client is the destination */
          entry[0] = from_client ? g_string_new (NULL) : g_string_new (NULL);
          if (from_client)
            g_string_printf (entry[0], "%s:%s %s:%s", f[1], f[2], f[3], f[4]);
          else
            g_string_printf (entry[0], "%s:%s %s:%s", f[3], f[4], f[1], f[2]);
          entry[1] = g_string_new (NULL);
          entry[2] = g_string_new (NULL);
          g_hash_table_insert (by_stream, g_strdup (f[0]), entry);
          g_ptr_array_add (order, g_strdup (f[0]));
        }
      if (*f[5] != '\0')
        {
          g_auto(GStrv) cmds = g_strsplit (f[5], ",", -1);
          for (guint k = 0; cmds[k] != NULL; k++)
            g_string_append_printf (entry[1], " %s", cmds[k]);
        }
      if (*f[6] != '\0')
        {
          g_auto(GStrv) codes = g_strsplit (f[6], ",", -1);
          for (guint k = 0; codes[k] != NULL; k++)
            g_string_append_printf (entry[2], " %s", codes[k]);
        }
    }
  for (guint i = 0; i < order->len; i++)
    {
      GString **entry = g_hash_table_lookup (by_stream, order->pdata[i]);
      add_connection (list, entry[0]->str, entry[1], entry[2]);
      for (guint k = 0; k < 3; k++)
        g_string_free (entry[k], TRUE);
      g_free (entry);
    }
  g_ptr_array_sort (list, compare_strings);
  return list;
}

static char *
joined (GPtrArray *list)
{
  g_ptr_array_add (list, NULL);
  {
    char *s = g_strjoinv ("\n", (char **) list->pdata);
    g_ptr_array_remove_index (list, list->len - 1);
    return s;
  }
}

Test (scenario_run, pcapng_matches_json_in_tshark, .timeout = 300)
{
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autoptr(GPtrArray) paths = NULL;

  guint n_bad = 0;

  if (tshark == NULL)
    cr_skip_test ("tshark is not installed");
  paths = library_paths ();
  for (guint i = 0; i < paths->len; i++)
    {
      g_autofree char *pcap = g_strdup_printf ("%s/scenario-tshark-%u.pcapng",
                                               g_getenv ("MS_BUILD_ROOT"), i);
      const char *args[] = { "run", paths->pdata[i], "--format", "json", "--pcap", pcap, NULL };
      const char *targv[] = { tshark, "-r", pcap, "-Y", "smtp", "-T", "fields",
                              "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport",
                              "-e", "ip.dst", "-e", "tcp.dstport",
                              "-e", "smtp.req.command", "-e", "smtp.response.code", NULL };
      g_autofree char *json = NULL;
      g_autofree char *tsv = NULL;
      g_autofree char *terr = NULL;
      g_autoptr(GPtrArray) from_json = NULL;
      g_autoptr(GPtrArray) from_tshark = NULL;
      g_autofree char *a = NULL;
      g_autofree char *b = NULL;
      int status = 0;

      cr_assert_eq (run_mailsim (args, &json, NULL), 0, "%s", (char *) paths->pdata[i]);
      cr_assert (g_spawn_sync (NULL, (char **) targv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &tsv,
                               &terr, &status, NULL));
      cr_assert (g_spawn_check_wait_status (status, NULL), "tshark: %s", terr);
      from_json = connections_from_json (json);
      from_tshark = connections_from_tshark (tsv);
      a = joined (from_json);
      b = joined (from_tshark);
      if (strcmp (a, b) != 0)
        {
          g_printerr ("MISMATCH %s\njson:\n%s\ntshark:\n%s\n", (char *) paths->pdata[i], a, b);
          n_bad++;
        }
      g_unlink (pcap);
    }
  cr_assert_eq (n_bad, 0);
}

/* A copy of op25b with one expectation wrong on purpose fails, and says which. */
Test (scenario_run, broken_expectation_fails_clearly)
{
  g_autofree char *src = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios",
                                           "op25b.yaml", NULL);
  g_autofree char *copy = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "op25b-broken.yaml", NULL);
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GString) broken = NULL;
  const char *args[] = { "run", copy, NULL };
  const char *needle = "    count: 2\n";
  char *at;
  guint line = 1;

  cr_assert (g_file_get_contents (src, &text, NULL, NULL));
  at = strstr (text, needle);
  cr_assert_not_null (at);
  for (const char *p = text; p < at; p++)
    if (*p == '\n')
      line++;
  broken = g_string_new (text);
  g_string_replace (broken, needle, "    count: 3\n", 1);
  cr_assert (g_file_set_contents (copy, broken->str, -1, NULL));

  cr_assert_eq (run_mailsim (args, &out, &err), 1);
  {
    /* the expectation starts four lines above its count: */
    g_autofree char *expected = g_strdup_printf (
      "mailsim run: %s:%u:5: expectation failed: Received in bob@example.net/INBOX (message "
      "“Through my provider”) appears 3 times: one Received line per hop (MSA, then the MX) "
      "(but Received appears 2 time(s))\n", copy, line - 4);
    cr_assert_str_eq (err, expected);
  }
  cr_assert_not_null (strstr (out, "✘"), "the transcript marks the failure");
  g_unlink (copy);
}

Test (scenario_run, switch_changes_the_story)
{
  const char *off[] = { "run", "op25b", "--set", "op25b=false", "--lang", "en", NULL };
  const char *bad[] = { "run", "op25b", "--set", "op26b=false", NULL };
  const char *bad_value[] = { "run", "op25b", "--set", "op25b=perhaps", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;

  /* without OP25B the direct delivery goes through: two expectations fail */
  cr_assert_eq (run_mailsim (off, &out, &err), 1);
  cr_assert_not_null (strstr (err, "expectation failed: router blocks a packet (op25b)"), "%s", err);
  cr_assert_not_null (strstr (err, "expectation failed: a message “Direct delivery” is not in "
                                   "bob@example.net/INBOX"), "%s", err);
  cr_assert_eq (run_mailsim (bad, NULL, &err2), 2);
  cr_assert_str_eq (err2, "mailsim run: scenario “op25b” has no switch “op26b”; its switches "
                          "are: op25b, spf_policy, spf_record\n");
  cr_assert_eq (run_mailsim (bad_value, NULL, &err3), 2);
  cr_assert_str_eq (err3, "mailsim run: switch “op25b” is true or false, not “perhaps”\n");
}

Test (scenario_run, spf_policy_switch)
{
  const char *mark[] = { "run", "spf-fail", "--set", "spf_policy=mark", NULL };
  g_autofree char *err = NULL;

  /* marked instead of rejected: the message arrives and the 550 is not seen */
  cr_assert_eq (run_mailsim (mark, NULL, &err), 1);
  cr_assert_not_null (strstr (err, "expectation failed: reply 550 seen from mx"), "%s", err);
  cr_assert_not_null (strstr (err, "expectation failed: a message is not in bob@example.net/INBOX"),
                      "%s", err);
}

Test (scenario_run, bad_input_exit_2)
{
  g_autofree char *path = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "typo.yaml", NULL);
  const char *args[] = { "run", path, NULL };
  const char *none[] = { "run", "no-such-scenario", NULL };
  const char *fmt[] = { "run", "op25b", "--format", "xml", NULL };
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *expected = NULL;

  cr_assert (g_file_set_contents (path, "id: typo\ntitle: {ja: a, en: b}\nsumary: x\n", -1, NULL));
  cr_assert_eq (run_mailsim (args, NULL, &err), 2);
  expected = g_strdup_printf ("mailsim run: %s:3:1: unknown key “sumary” in scenario; expected "
                              "one of: id, title, summary, exams, topics, seed, networks, nodes, "
                              "dns, users, switches, steps, expectations\n", path);
  cr_assert_str_eq (err, expected);
  cr_assert_eq (run_mailsim (none, NULL, &err2), 2);
  cr_assert_str_eq (err2, "mailsim run: no scenario “no-such-scenario”; `mailsim list` shows "
                          "the scenarios there are\n");
  cr_assert_eq (run_mailsim (fmt, NULL, &err3), 2);
  g_unlink (path);
}

Test (scenario_run, transcript_in_both_languages)
{
  const char *ja[] = { "--lang", "ja", "run", "op25b", NULL };
  const char *en[] = { "run", "op25b", "--lang", "en", NULL };
  g_autofree char *out_ja = NULL;
  g_autofree char *out_en = NULL;

  cr_assert_eq (run_mailsim (ja, &out_ja, NULL), 0);
  cr_assert_eq (run_mailsim (en, &out_en, NULL), 0);
  cr_assert_not_null (strstr (out_ja, "== OP25B ― 自宅から直接 25 番ポートへは出られない =="));
  cr_assert_not_null (strstr (out_ja, "»  アリスのメールソフトは"));
  cr_assert_not_null (strstr (out_en, "== OP25B - port 25 from home is blocked =="));
  cr_assert_not_null (strstr (out_en, "»  Alice's mail program looks up the MX"));
  cr_assert_not_null (strstr (out_en, "!! blocked by router: op25b"));
  cr_assert_not_null (strstr (out_en, "== Quiz =="));
}

Test (scenario_run, list_text_and_json)
{
  const char *text[] = { "list", "--lang", "en", NULL };
  const char *json[] = { "list", "--format", "json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *js = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *list;
  gboolean found = FALSE;

  cr_assert_eq (run_mailsim (text, &out, NULL), 0);
  cr_assert_not_null (strstr (out, "op25b"));
  cr_assert_eq (run_mailsim (json, &js, NULL), 0);
  cr_assert (json_parser_load_from_data (parser, js, -1, NULL));
  list = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                       "scenarios");
  cr_assert_geq (json_array_get_length (list), 15);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      if (strcmp (json_object_get_string_member (o, "id"), "op25b") == 0)
        {
          JsonObject *title = json_object_get_object_member (o, "title");
          found = TRUE;
          cr_assert_str_eq (json_object_get_string_member (title, "en"),
                            "OP25B - port 25 from home is blocked");
          cr_assert_gt (json_array_get_length (json_object_get_array_member (o, "exams")), 0);
        }
    }
  cr_assert (found);
}

/* `mailsim list --switches ID` and the switches in list's JSON; every switch of the
 * library is used by some setting. */
Test (scenario_run, list_switches)
{
  const char *text[] = { "list", "--lang", "en", "--switches", "op25b", NULL };
  const char *json[] = { "list", "--format", "json", NULL };
  const char *bad[] = { "list", "--switches", "no-such-scenario", NULL };
  g_autofree char *out = NULL;
  g_autofree char *js = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *list;

  cr_assert_eq (run_mailsim (text, &out, NULL), 0);
  cr_assert_not_null (strstr (out, "Switches of op25b (change one with “mailsim run op25b "
                                   "--set KEY=VALUE”):\n"), "%s", out);
  cr_assert_not_null (strstr (out, "  op25b       = true  (true or false)\n"), "%s", out);
  cr_assert_eq (run_mailsim (bad, &out2, &err), 2);
  cr_assert_eq (run_mailsim (json, &js, NULL), 0);
  cr_assert (json_parser_load_from_data (parser, js, -1, NULL));
  list = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                       "scenarios");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      JsonArray *sw = json_object_get_array_member (o, "switches");

      cr_assert_not_null (sw);
      cr_assert_not_null (json_object_get_object_member (o, "summary"));
      for (guint k = 0; k < json_array_get_length (sw); k++)
        {
          JsonObject *s = json_array_get_object_element (sw, k);

          if (strcmp (json_object_get_string_member (o, "id"), "op25b") == 0
              && strcmp (json_object_get_string_member (s, "name"), "op25b") == 0)
            {
              cr_assert_str_eq (json_object_get_string_member (s, "type"), "boolean");
              cr_assert (json_object_get_boolean_member (s, "default"));
            }
        }
    }
}

/* Webmail in tshark: the laptop's only TCP that gets through is TLS to 443 (application
 * data records both ways, nothing tshark reads as HTTP, SMTP or IMAP); the SMTP and IMAP
 * come from the webmail server's address. */
Test (scenario_run, webmail_pcapng_in_tshark, .timeout = 120)
{
  g_autofree char *tshark = g_find_program_in_path ("tshark");
  g_autofree char *path = g_build_filename (g_getenv ("MS_SOURCE_ROOT"), "scenarios",
                                            "webmail.yaml", NULL);
  g_autofree char *pcap = g_build_filename (g_getenv ("MS_BUILD_ROOT"), "webmail-tshark.pcapng",
                                            NULL);
  const char *args[] = { "run", path, "--format", "json", "--pcap", pcap, NULL };
  const char *targv[] = { "", "-r", pcap, "-Y", "ip.addr == 203.0.113.20 && tcp.len > 0",
                          "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.dstport",
                          "-e", "tls.record.content_type", "-e", "_ws.col.Protocol", NULL };
  const char *mail_argv[] = { "", "-r", pcap, "-Y", "smtp.req || imap.request", "-T", "fields",
                              "-e", "ip.src", NULL };
  g_autofree char *json = NULL;
  g_autofree char *tsv = NULL;
  g_autofree char *mail = NULL;
  g_auto(GStrv) rows = NULL;
  guint n_tls = 0;
  int status = 0;

  if (tshark == NULL)
    cr_skip_test ("tshark is not installed");
  targv[0] = mail_argv[0] = tshark;
  cr_assert_eq (run_mailsim (args, &json, NULL), 0);
  cr_assert (strstr (json, "\"type\" : \"http\"") != NULL || strstr (json, "\"http\"") != NULL);
  cr_assert (g_spawn_sync (NULL, (char **) targv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                           &tsv, NULL, &status, NULL));
  cr_assert (g_spawn_check_wait_status (status, NULL));
  rows = g_strsplit (tsv, "\n", -1);
  for (guint i = 0; rows[i] != NULL; i++)
    {
      g_auto(GStrv) f = g_strsplit (rows[i], "\t", -1);

      if (g_strv_length (f) < 4)
        continue;
      cr_assert (strcmp (f[0], "443") == 0 || strcmp (f[1], "443") == 0, "%s", rows[i]);
      cr_assert_str_eq (f[2], "23", "not TLS application data: %s", rows[i]);
      cr_assert (strstr (f[3], "TLS") != NULL, "%s", rows[i]);
      n_tls++;
    }
  /* GET /inbox and its page, POST /send and its page */
  cr_assert_eq (n_tls, 4, "%s", tsv);
  cr_assert (g_spawn_sync (NULL, (char **) mail_argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                           NULL, &mail, NULL, &status, NULL));
  cr_assert (g_spawn_check_wait_status (status, NULL));
  cr_assert (strstr (mail, "198.51.100.80") != NULL, "%s", mail);
  cr_assert (strstr (mail, "203.0.113.20") == NULL, "%s", mail);
  g_unlink (pcap);
}
