/* test-ms-cli-spf.c: `mailsim spf` as a user runs it (exit statuses, text and JSON)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <json-glib/json-glib.h>
#include <string.h>

static char *
example_zone (void)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");

  return g_build_filename (root != NULL ? root : SOURCE_ROOT, "tests", "data", "spf",
                           "example.zone", NULL);
}

/* Runs mailsim with the arguments (NULL-terminated); returns the exit status. */
static int
run_mailsim (char **out,
             char **err,
             ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *mailsim = g_getenv ("MAILSIM");
  int status = -1;
  va_list args;

  cr_assert_not_null (mailsim, "MAILSIM is not set (run through meson test)");
  g_ptr_array_add (argv, (gpointer) mailsim);
  va_start (args, err);
  for (const char *arg = va_arg (args, const char *); arg != NULL;
       arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  cr_assert (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                           out, err, &status, &error), "%s", error ? error->message : "");
  cr_assert (WIFEXITED (status));
  return WEXITSTATUS (status);
}

Test (cli_spf, pass_through_include_shows_the_chain)
{
  g_autofree char *zone = example_zone ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  cr_assert_eq (run_mailsim (&out, &err, "spf", "--ip", "198.51.100.7", "--sender",
                             "alice@example.com", "--helo", "pc.home.example", "--zone", zone,
                             "--lang", "en", NULL), 0, "%s", err);
  cr_expect (strstr (out, "SPF result: pass") != NULL, "%s", out);
  cr_expect (strstr (out, "mechanism a:out.partner.example: matches → pass") != NULL, "%s", out);
  cr_expect (strstr (out, "mechanism include:_spf.partner.example: matches → pass") != NULL);
  cr_expect (strstr (out, "Received-SPF: pass") != NULL);
}

Test (cli_spf, json_has_result_explanation_and_steps)
{
  g_autofree char *zone = example_zone ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  cr_assert_eq (run_mailsim (&out, &err, "spf", "--ip", "203.0.113.9", "--sender",
                             "bob@strict.example", "--zone", zone, "--format", "json", NULL),
                0, "%s", err);
  cr_assert (json_parser_load_from_data (parser, out, -1, NULL), "%s", out);
  object = json_node_get_object (json_parser_get_root (parser));
  cr_expect_str_eq (json_object_get_string_member (object, "result"), "fail");
  cr_expect_str_eq (json_object_get_string_member (object, "explanation"),
                    "203.0.113.9 is not one of strict.example's mail servers, see "
                    "https://strict.example/spf");
  cr_expect_gt (json_array_get_length (json_object_get_array_member (object, "steps")), 3);
}

Test (cli_spf, temperror_is_still_an_evaluation)
{
  g_autofree char *zone = example_zone ();
  g_autofree char *out = NULL;

  cr_expect_eq (run_mailsim (&out, NULL, "spf", "--ip", "192.0.2.1", "--sender",
                             "x@slow.example", "--zone", zone, "--format", "json", NULL), 0);
  cr_expect (strstr (out, "\"temperror\"") != NULL, "%s", out);
}

Test (cli_spf, bad_input_exits_with_2_and_says_why)
{
  g_autofree char *zone = example_zone ();
  g_autofree char *bad_zone = g_build_filename (g_get_tmp_dir (), "ms-cli-spf-bad.zone", NULL);
  g_autofree char *err1 = NULL;
  g_autofree char *err2 = NULL;
  g_autofree char *err3 = NULL;
  g_autofree char *err4 = NULL;
  g_autofree char *expected = NULL;

  cr_expect_eq (run_mailsim (NULL, &err1, "spf", "--ip", "192.0.2.300", "--sender", "a@b.example",
                             "--zone", zone, "--lang", "en", NULL), 2);
  cr_expect (strstr (err1, "192.0.2.300") != NULL, "%s", err1);

  cr_expect_eq (run_mailsim (NULL, &err2, "spf", "--ip", "192.0.2.1", "--sender", "a@b.example",
                             "--zone", "/nonexistent/zone", NULL), 2);

  cr_assert (g_file_set_contents (bad_zone, "a.example TXT \"v=spf1 -all\"\n"
                                  "b.example  A  192.0.2\n", -1, NULL));
  cr_expect_eq (run_mailsim (NULL, &err3, "spf", "--ip", "192.0.2.1", "--sender", "a@b.example",
                             "--zone", bad_zone, "--lang", "en", NULL), 2);
  expected = g_strdup_printf ("%s:2:15: expected an IPv4 address", bad_zone);
  cr_expect (strstr (err3, expected) != NULL, "%s", err3);
  g_unlink (bad_zone);

  cr_expect_eq (run_mailsim (NULL, &err4, "spf", "--ip", "192.0.2.1", "--zone", zone, NULL), 2);
}
