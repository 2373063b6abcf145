/* ms-i18n.h: the gettext set-up shared by the CLI, the window and the tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Binds the "mailsim" text domain to the installed catalogues, or to the build tree's
 * when the program runs uninstalled. Safe to call more than once. */
void        ms_i18n_init         (void);

/* Where the domain is bound (after ms_i18n_init). */
const char *ms_i18n_get_localedir (void);

/* Switches the language of messages and explanations ("ja", "en"); NULL or "" keeps the
 * environment's choice. */
void        ms_i18n_set_language (const char *lang);

G_END_DECLS
