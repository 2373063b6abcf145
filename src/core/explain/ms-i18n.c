/* ms-i18n.c: binding the text domain, switching the language
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-i18n"

#include "config.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include "ms-i18n.h"

/* glibc's counter of catalogue changes: bumping it drops cached translations. */
extern int _nl_msg_cat_cntr;

static const char *bound_dir;

/* The installed catalogue wins; an uninstalled build finds meson's output in build/po. */
static const char *
pick_localedir (void)
{
  if (g_file_test (LOCALEDIR "/ja/LC_MESSAGES/" GETTEXT_PACKAGE ".mo", G_FILE_TEST_EXISTS))
    return LOCALEDIR;
  return BUILD_LOCALEDIR;
}

void
ms_i18n_init (void)
{
  bound_dir = pick_localedir ();
  bindtextdomain (GETTEXT_PACKAGE, bound_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

const char *
ms_i18n_get_localedir (void)
{
  return bound_dir;
}

void
ms_i18n_set_language (const char *lang)
{
  const char *current;

  if (lang == NULL || *lang == '\0')
    return;
  /* LANGUAGE wins over LC_MESSAGES in GNU gettext, but only when the locale is not "C";
   * C.UTF-8 also keeps multibyte output working. */
  g_setenv ("LANGUAGE", lang, TRUE);
  current = setlocale (LC_MESSAGES, NULL);
  if (current == NULL || strcmp (current, "C") == 0 || strcmp (current, "POSIX") == 0)
    {
      if (setlocale (LC_ALL, "C.UTF-8") == NULL)
        setlocale (LC_ALL, "");
    }
  ++_nl_msg_cat_cntr;
}
