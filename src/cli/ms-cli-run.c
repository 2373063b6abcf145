/* ms-cli-run.c: `mailsim run SCENARIO`, a scenario played and explained
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ms-cli-private.h"
#include "ms-scenario.h"
#include "ms-scenario-runner.h"
#include "ms-text-format.h"

static gboolean
want_japanese (void)
{
  const char * const *languages = g_get_language_names ();

  return languages[0] != NULL && g_str_has_prefix (languages[0], "ja");
}

static void
print_header (MsScenario *scn)
{
  gboolean ja = want_japanese ();
  g_autofree char *exams = g_strjoinv (", ", scn->exams);

  printf ("== %s ==\n", ja ? scn->title.ja : scn->title.en);
  printf ("%s\n", ja ? scn->summary.ja : scn->summary.en);
  if (*exams != '\0')
    printf ("[%s]\n", exams);
  printf ("\n");
}

static void
print_quizzes (MsScenario *scn)
{
  gboolean ja = want_japanese ();
  guint n = 0;

  for (guint i = 0; i < scn->steps->len; i++)
    {
      MsScenarioStep *step = scn->steps->pdata[i];
      MsScenarioQuiz *quiz = step->quiz;

      if (quiz == NULL)
        continue;
      if (n++ == 0)
        printf ("\n%s\n", ja ? "== 確認問題 ==" : "== Quiz ==");
      printf ("\nQ%u. %s\n", n, ms_scenario_text_get (&quiz->question, ja ? "ja" : "en"));
      for (guint k = 0; k < quiz->n_choices; k++)
        printf ("  %c) %s\n", 'a' + (int) k,
                ms_scenario_text_get (&quiz->choices[k], ja ? "ja" : "en"));
      printf ("  %s %c) %s\n", ja ? "答え:" : "Answer:", 'a' + (int) quiz->answer,
              ms_scenario_text_get (&quiz->explanation, ja ? "ja" : "en"));
    }
}

int
ms_cli_run (int    argc,
            char **argv)
{
  g_autofree char *format = NULL;
  g_autofree char *lang = NULL;
  g_autofree char *pcap = NULL;
  g_auto(GStrv) sets = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(MsScenario) scn = NULL;
  g_autoptr(MsScenarioRunner) runner = NULL;
  g_auto(GStrv) failures = NULL;
  gboolean json;
  GOptionEntry entries[] = {
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of narration and explanations: "
                                                   "ja or en"), N_("LANG") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json"),
      N_("FORMAT") },
    { "pcap", 0, 0, G_OPTION_ARG_FILENAME, &pcap, N_("Also write the packets as pcapng"),
      N_("OUT.pcapng") },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets,
      N_("Change a switch of the scenario (e.g. op25b=false); may be repeated"),
      N_("KEY=VALUE") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (_("SCENARIO"));
  g_option_context_set_summary (context, _("Play a scenario (an id from “mailsim list” or a "
                                           ".yaml file) on the virtual network, print the "
                                           "transcript with explanations and check its "
                                           "expectations. Exit status: 0 all hold, 1 one "
                                           "failed, 2 bad input."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim run: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc != 2)
    {
      fprintf (stderr, "%s\n", argc < 2 ? _("mailsim run: which scenario? (see “mailsim list”)")
                                        : _("mailsim run: give one scenario"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (lang != NULL && !g_str_has_prefix (lang, "ja") && !g_str_has_prefix (lang, "en"))
    {
      fprintf (stderr, _("mailsim run: unknown language “%s” (ja or en)\n"), lang);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      fprintf (stderr, _("mailsim run: unknown format “%s” (text or json)\n"), format);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  json = format != NULL && strcmp (format, "json") == 0;

  path = ms_scenario_resolve (argv[1], &error);
  if (path == NULL)
    {
      fprintf (stderr, "mailsim run: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  scn = ms_scenario_load_file (path, &error);
  if (scn == NULL)
    {
      fprintf (stderr, "mailsim run: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  for (guint i = 0; sets != NULL && sets[i] != NULL; i++)
    {
      const char *eq = strchr (sets[i], '=');
      g_autofree char *key = NULL;

      if (eq == NULL || eq == sets[i])
        {
          fprintf (stderr, _("mailsim run: --set takes KEY=VALUE, not “%s”\n"), sets[i]);
          return MS_CLI_EXIT_BAD_INPUT;
        }
      key = g_strndup (sets[i], eq - sets[i]);
      if (!ms_scenario_set_switch (scn, key, eq + 1, &error))
        {
          fprintf (stderr, "mailsim run: %s\n", error->message);
          return MS_CLI_EXIT_BAD_INPUT;
        }
    }

  runner = ms_scenario_runner_new (scn);
  if (!ms_scenario_runner_run (runner, &error))
    {
      fprintf (stderr, "mailsim run: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (pcap != NULL
      && !ms_network_write_pcapng (ms_scenario_runner_get_network (runner), pcap, &error))
    {
      fprintf (stderr, "mailsim run: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  if (json)
    {
      g_autofree char *text = ms_trace_to_json_string (ms_scenario_runner_get_trace (runner), TRUE);
      printf ("%s\n", text);
    }
  else
    {
      g_autoptr(GString) out = g_string_new (NULL);
      MsTextFormatOptions options = { 0 };

      options.explain = TRUE;
      options.color = ms_text_format_color_wanted (STDOUT_FILENO);
      print_header (scn);
      ms_text_format_trace (out, ms_scenario_runner_get_trace (runner), &options);
      fputs (out->str, stdout);
      print_quizzes (scn);
    }

  failures = ms_scenario_runner_dup_failures (runner);
  for (guint i = 0; failures != NULL && failures[i] != NULL; i++)
    fprintf (stderr, "mailsim run: %s\n", failures[i]);
  return failures != NULL ? MS_CLI_EXIT_FAILED : MS_CLI_EXIT_OK;
}
