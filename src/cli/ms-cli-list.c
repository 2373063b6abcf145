/* ms-cli-list.c: `mailsim list`, the scenarios there are
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-cli-private.h"
#include "ms-scenario.h"
#include "ms-text-format.h"

static gboolean
want_japanese (void)
{
  const char * const *languages = g_get_language_names ();

  return languages[0] != NULL && g_str_has_prefix (languages[0], "ja");
}

/* How many settings of the file refer to the switch as ${name} */
static guint
count_references (const char *text,
                  const char *name)
{
  g_autofree char *needle = g_strdup_printf ("${%s}", name);
  guint n = 0;

  for (const char *p = text != NULL ? strstr (text, needle) : NULL; p != NULL;
       p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
add_switches_json (JsonBuilder *b,
                   MsScenario  *scn)
{
  g_autofree char *text = NULL;

  g_file_get_contents (scn->filename, &text, NULL, NULL);
  json_builder_set_member_name (b, "switches");
  json_builder_begin_array (b);
  for (guint k = 0; k < scn->switches->len; k++)
    {
      MsScenarioSwitch *sw = scn->switches->pdata[k];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, sw->name);
      json_builder_set_member_name (b, "default");
      if (sw->is_bool)
        json_builder_add_boolean_value (b, ms_scenario_expand_bool (scn, sw->value, FALSE));
      else
        json_builder_add_string_value (b, sw->value);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, sw->is_bool ? "boolean" : "string");
      json_builder_set_member_name (b, "references");
      json_builder_add_int_value (b, count_references (text, sw->name));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_json (GPtrArray *all)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "scenarios");
  json_builder_begin_array (b);
  for (guint i = 0; i < all->len; i++)
    {
      MsScenario *scn = all->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, scn->id);
      json_builder_set_member_name (b, "title");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ja");
      json_builder_add_string_value (b, scn->title.ja);
      json_builder_set_member_name (b, "en");
      json_builder_add_string_value (b, scn->title.en);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "exams");
      json_builder_begin_array (b);
      for (guint k = 0; scn->exams[k] != NULL; k++)
        json_builder_add_string_value (b, scn->exams[k]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "topics");
      json_builder_begin_array (b);
      for (guint k = 0; scn->topics[k] != NULL; k++)
        json_builder_add_string_value (b, scn->topics[k]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "summary");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ja");
      json_builder_add_string_value (b, scn->summary.ja);
      json_builder_set_member_name (b, "en");
      json_builder_add_string_value (b, scn->summary.en);
      json_builder_end_object (b);
      add_switches_json (b, scn);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, scn->filename);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

static void
print_text (GPtrArray *all)
{
  gboolean ja = want_japanese ();
  gsize width = 0;

  for (guint i = 0; i < all->len; i++)
    width = MAX (width, strlen (((MsScenario *) all->pdata[i])->id));
  for (guint i = 0; i < all->len; i++)
    {
      MsScenario *scn = all->pdata[i];
      g_autofree char *exams = g_strjoinv (",", scn->exams);

      printf ("%-*s  %-12s  %s\n", (int) width, scn->id, exams,
              ja ? scn->title.ja : scn->title.en);
    }
  printf ("\n%s\n", _("Run one with “mailsim run ID” (--lang ja|en, --format json, --pcap FILE)."));
  printf ("%s\n", _("Its switches for --set: “mailsim list --switches ID”."));
}

/* `mailsim list --switches ID`: what `mailsim run ID --set KEY=VALUE` can change */
static int
print_switches (const char *id,
                gboolean    json)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = ms_scenario_resolve (id, &error);
  g_autoptr(MsScenario) scn = NULL;
  g_autofree char *text = NULL;
  gsize width = 0;

  if (path == NULL || (scn = ms_scenario_load_file (path, &error)) == NULL)
    {
      fprintf (stderr, "mailsim list: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *out = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, scn->id);
      add_switches_json (b, scn);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      out = json_generator_to_data (gen, NULL);
      printf ("%s\n", out);
      return MS_CLI_EXIT_OK;
    }
  g_file_get_contents (scn->filename, &text, NULL, NULL);
  if (scn->switches->len == 0)
    {
      printf (_("%s has no switches.\n"), scn->id);
      return MS_CLI_EXIT_OK;
    }
  /* TRANSLATORS: %s is a scenario id */
  printf (_("Switches of %s (change one with “mailsim run %s --set KEY=VALUE”):\n"), scn->id,
          scn->id);
  for (guint k = 0; k < scn->switches->len; k++)
    width = MAX (width, strlen (((MsScenarioSwitch *) scn->switches->pdata[k])->name));
  for (guint k = 0; k < scn->switches->len; k++)
    {
      MsScenarioSwitch *sw = scn->switches->pdata[k];
      guint refs = count_references (text, sw->name);

      printf ("  %-*s  = %s", (int) width, sw->name, sw->value);
      if (sw->is_bool)
        printf ("  (%s)", _("true or false"));
      if (refs == 0)
        printf ("  (%s)", _("no setting uses it"));
      printf ("\n");
    }
  return MS_CLI_EXIT_OK;
}

int
ms_cli_list (int    argc,
             char **argv)
{
  g_autofree char *format = NULL;
  g_autofree char *lang = NULL;
  g_autofree char *switches = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json"),
      N_("FORMAT") },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of the titles: ja or en"),
      N_("LANG") },
    { "switches", 0, 0, G_OPTION_ARG_STRING, &switches,
      N_("List the switches of one scenario (for “mailsim run ID --set KEY=VALUE”)"),
      N_("ID") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("List the scenarios: id, exam tags and title; "
                                           "with --switches ID, the switches of one "
                                           "scenario and their defaults."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim list: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc > 1)
    {
      fprintf (stderr, _("mailsim list: unexpected argument “%s”\n"), argv[1]);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      fprintf (stderr, _("mailsim list: unknown format “%s” (text or json)\n"), format);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (switches != NULL)
    return print_switches (switches, format != NULL && strcmp (format, "json") == 0);
  all = ms_scenario_list_all (&error);
  if (all == NULL)
    {
      fprintf (stderr, "mailsim list: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "json") == 0)
    print_json (all);
  else
    print_text (all);
  return MS_CLI_EXIT_OK;
}
