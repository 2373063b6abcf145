/* ms-cli.c: `mailsim`, the command-line entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ms-cli-private.h"
#include "ms-i18n.h"

static const MsCliCommand commands[] = {
  { "list", ms_cli_list, N_("List the scenarios") },
  { "run", ms_cli_run, N_("Play a scenario on the virtual network and check its expectations") },
  { "serve", ms_cli_serve, N_("Run the live lab: SMTP, POP3 and IMAP servers on real sockets") },
  { "spf", ms_cli_spf, N_("Evaluate SPF (RFC 7208) against a zone file") },
  { "analyze", ms_cli_analyze, N_("Show the SMTP, POP3 and IMAP sessions of a pcap/pcapng file") },
  { "capture", ms_cli_capture, N_("Capture on an interface and show mail sessions as they happen") },
  { "annotate", ms_cli_annotate, N_("Add notes to a capture's lines and frames, list or export them") },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: mailsim [--lang ja|en] COMMAND [OPTION…]"));
  fprintf (out, "%s\n\n",
           _("MailSim shows how mail moves: every SMTP, POP3 and IMAP command and reply, "
             "explained."));
  fprintf (out, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Options:"));
  fprintf (out, "  %-14s %s\n", "-h, --help", _("Show this help and exit"));
  fprintf (out, "  %-14s %s\n", "--version", _("Show the version and exit"));
  fprintf (out, "  %-14s %s\n", "--lang LANG",
           _("Language of messages and explanations: ja or en"));
  fprintf (out, "\n%s\n", _("Run “mailsim COMMAND --help” for the options of a command."));
  fprintf (out, "%s\n", _("See mailsim(1) and docs/cli.md for the whole interface."));
}

void
ms_cli_set_language (const char *lang)
{
  ms_i18n_set_language (lang);
}

void
ms_cli_set_language_from_args (int    argc,
                               char **argv)
{
  for (int i = 1; i < argc; i++)
    if (g_str_has_prefix (argv[i], "--lang="))
      ms_cli_set_language (argv[i] + strlen ("--lang="));
    else if (strcmp (argv[i], "--lang") == 0 && i + 1 < argc)
      ms_cli_set_language (argv[i + 1]);
}

/* "ja", "ja_JP.UTF-8", "en" ... : a language we can name; anything else is a typo. */
static gboolean
language_is_valid (const char *lang)
{
  if (lang == NULL || *lang == '\0')
    return FALSE;
  for (const char *p = lang; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-' && *p != '@')
      return FALSE;
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  ms_i18n_init ();
  textdomain (GETTEXT_PACKAGE);

  /* A global --lang before the command: `mailsim --lang ja serve`. */
  while (argc >= 2 && (strcmp (argv[1], "--lang") == 0 || g_str_has_prefix (argv[1], "--lang=")))
    {
      const char *lang = NULL;
      int used = 1;

      if (argv[1][6] == '=')
        lang = argv[1] + 7;
      else if (argc >= 3)
        {
          lang = argv[2];
          used = 2;
        }
      if (!language_is_valid (lang))
        {
          fprintf (stderr, "%s\n", _("mailsim: --lang needs a language such as ja or en"));
          return MS_CLI_EXIT_BAD_INPUT;
        }
      ms_cli_set_language (lang);
      argv[used] = argv[0];
      argv += used;
      argc -= used;
    }

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || (strcmp (argv[1], "help") == 0 && argc == 2))
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? MS_CLI_EXIT_BAD_INPUT : MS_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("mailsim %s\n", PACKAGE_VERSION);
      return MS_CLI_EXIT_OK;
    }

  /* `mailsim help COMMAND` is `mailsim COMMAND --help` */
  if (strcmp (argv[1], "help") == 0)
    {
      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        if (strcmp (argv[2], commands[i].name) == 0)
          {
            char *help_argv[] = { argv[2], (char *) "--help", NULL };
            return commands[i].run (2, help_argv);
          }
      fprintf (stderr, _("mailsim: unknown command “%s”\n"), argv[2]);
      print_usage (stderr);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, _("mailsim: unknown command “%s”\n"), argv[1]);
  print_usage (stderr);
  return MS_CLI_EXIT_BAD_INPUT;
}
