/* test-ms-cli-help.c: `mailsim --help` and --lang, run as a program
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>
#include <sys/wait.h>

/* Runs $MAILSIM with @args under a plain "C" environment; returns the exit status. */
static int
run_mailsim (const char * const *args,
             char              **out,
             char              **err)
{
  const char *mailsim = g_getenv ("MAILSIM");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) env = g_get_environ ();
  g_autoptr(GError) error = NULL;
  int status = -1;

  if (mailsim == NULL)
    cr_skip_test ("MAILSIM is not set (run through meson test)");
  g_ptr_array_add (argv, (char *) mailsim);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  env = g_environ_unsetenv (env, "LANGUAGE");
  env = g_environ_unsetenv (env, "LANG");
  env = g_environ_setenv (env, "LC_ALL", "C", TRUE);
  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, env, 0, NULL, NULL, out, err, &status,
                           &error), "%s", error != NULL ? error->message : "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

Test (cli_help, help_lists_the_commands_and_global_options)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--help", NULL };

  cr_expect_eq (run_mailsim (args, &out, &err), 0);
  cr_expect (g_str_has_prefix (out, "Usage: mailsim [--lang ja|en] COMMAND"), "%s", out);
  cr_expect (strstr (out, "  serve ") != NULL);
  cr_expect (strstr (out, "--lang LANG") != NULL);
  cr_expect (strstr (out, "--version") != NULL);
}

Test (cli_help, lang_ja_translates_the_help_even_in_the_c_locale)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--lang", "ja", "--help", NULL };

  cr_expect_eq (run_mailsim (args, &out, &err), 0);
  cr_expect (g_str_has_prefix (out, "使い方: mailsim [--lang ja|en] コマンド"), "%s", out);
  cr_expect (strstr (out, "ライブラボ") != NULL, "%s", out);
}

Test (cli_help, no_command_and_unknown_commands_are_bad_input)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *out2 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *out3 = NULL;
  g_autofree char *err3 = NULL;
  const char *none[] = { NULL };
  const char *unknown[] = { "--lang=ja", "frobnicate", NULL };
  const char *bad_lang[] = { "--lang", NULL };

  cr_expect_eq (run_mailsim (none, &out, &err), 2);
  cr_expect (strstr (err, "Usage:") != NULL);
  cr_expect_eq (run_mailsim (unknown, &out2, &err2), 2);
  cr_expect (strstr (err2, "不明なコマンド「frobnicate」") != NULL, "%s", err2);
  cr_expect_eq (run_mailsim (bad_lang, &out3, &err3), 2);
}

Test (cli_help, version)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *args[] = { "--version", NULL };

  cr_expect_eq (run_mailsim (args, &out, &err), 0);
  cr_expect_str_eq (out, "mailsim " PACKAGE_VERSION "\n");
}
