/* ms-application.h: mailsim-gtk's GtkApplication
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The fixed size of --screenshot images. */
#define MS_SCREENSHOT_WIDTH  1600
#define MS_SCREENSHOT_HEIGHT 1000
/* Time for layout and a few frames before a screenshot is taken. */
#define MS_SCREENSHOT_DELAY_MS 1200

#define MS_TYPE_APPLICATION (ms_application_get_type ())
G_DECLARE_FINAL_TYPE (MsApplication, ms_application, MS, APPLICATION, GtkApplication)

MsApplication *ms_application_new        (void);
/* 1 when a --screenshot run could not open its trace or write its image */
int            ms_application_run_status (MsApplication *self);

G_END_DECLS
