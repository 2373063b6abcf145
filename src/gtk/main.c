/* main.c: mailsim-gtk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "ms-application.h"
#include "ms-i18n.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MsApplication) app = NULL;
  const char *language = g_getenv ("LANGUAGE");
  int status;

  setlocale (LC_ALL, "");
  ms_i18n_init ();
  /* LANGUAGE=ja works even under the C locale (the tests, a bare Xvfb) */
  if (language != NULL && *language != '\0')
    ms_i18n_set_language (language);
  textdomain (GETTEXT_PACKAGE);

  app = ms_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  return status != 0 ? status : ms_application_run_status (app);
}
