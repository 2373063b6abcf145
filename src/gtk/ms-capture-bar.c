/* ms-capture-bar.c: the band above the views while a capture is read or captured, or
 * when reading it failed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Its button emits "cancel" (Cancel while reading, Stop while capturing) or, for an
 * error, hides the bar.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>

#include "ms-capture-bar.h"

typedef enum
{
  MS_BAR_NONE = -1,   /* reading or capturing */
  MS_BAR_NOTICE,
  MS_BAR_WARNING,
  MS_BAR_ERROR,
} MsBarLevel;

struct _MsCaptureBar
{
  GtkBox          parent_instance;

  GtkSpinner     *spinner;
  GtkImage       *icon;
  GtkLabel       *text;
  GtkProgressBar *progress;
  GtkButton      *button;

  gboolean        error;     /* an error, a warning or a notice: Close hides the bar */
  MsBarLevel      level;
};

G_DEFINE_FINAL_TYPE (MsCaptureBar, ms_capture_bar, GTK_TYPE_BOX)

static const struct
{
  const char *css;
  const char *icon;
} levels[] = {
  [MS_BAR_NOTICE]  = { "notice-bar", "dialog-information-symbolic" },
  [MS_BAR_WARNING] = { "warning-bar", "dialog-warning-symbolic" },
  [MS_BAR_ERROR]   = { "error-bar", "dialog-error-symbolic" },
};

enum { SIGNAL_CANCEL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
set_mode (MsCaptureBar *self,
          MsBarLevel    level,
          const char   *text,
          const char   *button)
{
  gboolean closable = level != MS_BAR_NONE;

  self->error = closable;
  self->level = level;
  gtk_label_set_text (self->text, text);
  gtk_button_set_label (self->button, button);
  gtk_button_set_use_underline (self->button, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->icon), closable);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), !closable);
  gtk_spinner_set_spinning (self->spinner, !closable);
  for (guint k = 0; k < G_N_ELEMENTS (levels); k++)
    if ((int) k == (int) level)
      gtk_widget_add_css_class (GTK_WIDGET (self), levels[k].css);
    else
      gtk_widget_remove_css_class (GTK_WIDGET (self), levels[k].css);
  if (closable)
    gtk_image_set_from_icon_name (self->icon, levels[level].icon);
  gtk_widget_set_visible (GTK_WIDGET (self), TRUE);
}

void
ms_capture_bar_show_progress (MsCaptureBar *self,
                              const char   *text,
                              double        fraction)
{
  set_mode (self, MS_BAR_NONE, text, _("_Cancel"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), TRUE);
  if (fraction < 0)
    gtk_progress_bar_pulse (self->progress);
  else
    gtk_progress_bar_set_fraction (self->progress, fraction);
}

void
ms_capture_bar_show_live (MsCaptureBar *self,
                          const char   *text)
{
  set_mode (self, MS_BAR_NONE, text, _("_Stop"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
}

void
ms_capture_bar_show_error (MsCaptureBar *self,
                           const char   *text)
{
  set_mode (self, MS_BAR_ERROR, text, _("_Close"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
}

void
ms_capture_bar_show_warning (MsCaptureBar *self,
                             const char   *text)
{
  set_mode (self, MS_BAR_WARNING, text, _("_Close"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
}

void
ms_capture_bar_show_notice (MsCaptureBar *self,
                            const char   *text)
{
  set_mode (self, MS_BAR_NOTICE, text, _("_Close"));
  gtk_widget_set_visible (GTK_WIDGET (self->progress), FALSE);
}

void
ms_capture_bar_hide (MsCaptureBar *self)
{
  self->error = FALSE;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

const char *
ms_capture_bar_get_text (MsCaptureBar *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self)) ? gtk_label_get_text (self->text) : NULL;
}

gboolean
ms_capture_bar_is_error (MsCaptureBar *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self)) && self->error
         && self->level == MS_BAR_ERROR;
}

static void
on_button_clicked (GtkButton    *button,
                   MsCaptureBar *self)
{
  if (self->error)
    ms_capture_bar_hide (self);
  else
    g_signal_emit (self, signals[SIGNAL_CANCEL], 0);
}

static void
ms_capture_bar_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_CAPTURE_BAR);
  G_OBJECT_CLASS (ms_capture_bar_parent_class)->dispose (object);
}

static void
ms_capture_bar_class_init (MsCaptureBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_capture_bar_dispose;
  signals[SIGNAL_CANCEL] =
    g_signal_new ("cancel", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-capture-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, MsCaptureBar, spinner);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureBar, icon);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureBar, text);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureBar, progress);
  gtk_widget_class_bind_template_child (widget_class, MsCaptureBar, button);
  gtk_widget_class_bind_template_callback (widget_class, on_button_clicked);
}

static void
ms_capture_bar_init (MsCaptureBar *self)
{
  self->level = MS_BAR_NONE;
  gtk_widget_init_template (GTK_WIDGET (self));
}
