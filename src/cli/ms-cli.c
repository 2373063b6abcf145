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

extern int _nl_msg_cat_cntr;

static const MsCliCommand commands[] = {
  { "serve", ms_cli_serve, N_("Run the live lab: SMTP, POP3 and IMAP servers on real sockets") },
  { "spf", ms_cli_spf, N_("Evaluate SPF (RFC 7208) against a zone file") },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: mailsim COMMAND [OPTION…]"));
  fprintf (out, "%s\n", _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Run “mailsim COMMAND --help” for the options of a command."));
}

/* Use the build tree's catalogue when running uninstalled. */
static void
bind_text_domain (void)
{
  const char *dir = LOCALEDIR;

  if (!g_file_test (LOCALEDIR "/ja/LC_MESSAGES/" GETTEXT_PACKAGE ".mo", G_FILE_TEST_EXISTS))
    dir = BUILD_LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

void
ms_cli_set_language (const char *lang)
{
  if (lang == NULL || *lang == '\0')
    return;
  /* LANGUAGE wins over LC_MESSAGES in GNU gettext, but only when the locale is not "C". */
  g_setenv ("LANGUAGE", lang, TRUE);
  if (setlocale (LC_MESSAGES, NULL) == NULL || strcmp (setlocale (LC_MESSAGES, NULL), "C") == 0)
    {
      if (setlocale (LC_ALL, "C.UTF-8") == NULL)
        setlocale (LC_ALL, "");
    }
  /* glibc caches translations: tell it the catalogue choice changed. */
  ++_nl_msg_cat_cntr;
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bind_text_domain ();

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? MS_CLI_EXIT_BAD_INPUT : MS_CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("mailsim %s\n", PACKAGE_VERSION);
      return MS_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);

  fprintf (stderr, _("mailsim: unknown command “%s”\n"), argv[1]);
  print_usage (stderr);
  return MS_CLI_EXIT_BAD_INPUT;
}
