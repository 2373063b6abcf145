/* ms-network-view.c: zones, nodes and the message travelling between them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include "ms-network-view.h"

struct _MsNetworkView
{
  GtkWidget        parent_instance;

  MsPlaybackModel *model;
  MsTraceLayout   *layout;   /* not owned */
  MsRenderStyle    style;
  gboolean         animate;
  double           phase;    /* 0..1 along the current link */
  gint64           started;  /* frame time when the step began */
  guint            tick_id;
};

G_DEFINE_FINAL_TYPE (MsNetworkView, ms_network_view, GTK_TYPE_WIDGET)

static gboolean
on_tick (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  MsNetworkView *self = MS_NETWORK_VIEW (widget);
  gint64 now = gdk_frame_clock_get_frame_time (clock);
  double speed = self->model ? ms_playback_model_get_speed (self->model) : 1.0;

  if (self->started == 0)
    self->started = now;
  self->phase = (now - self->started) * speed / (double) MS_NETWORK_VIEW_TRAVEL_US;
  gtk_widget_queue_draw (widget);
  if (self->phase >= 1.0)
    {
      self->phase = 1.0;
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsNetworkView   *self)
{
  if (self->animate)
    {
      self->phase = 0;
      self->started = 0;
      if (self->tick_id == 0)
        self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), on_tick, NULL, NULL);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ms_network_view_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  MsNetworkView *self = MS_NETWORK_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->model == NULL || self->layout == NULL || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  ms_network_render (cr, self->model, self->layout, &self->style, width, height,
                     self->animate ? self->phase : 0.5);
  cairo_destroy (cr);
}

static void
ms_network_view_dispose (GObject *object)
{
  MsNetworkView *self = MS_NETWORK_VIEW (object);

  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  ms_network_view_set_model (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_NETWORK_VIEW);
  G_OBJECT_CLASS (ms_network_view_parent_class)->dispose (object);
}

static void
ms_network_view_class_init (MsNetworkViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_network_view_dispose;
  widget_class->snapshot = ms_network_view_snapshot;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-network-view.ui");
  gtk_widget_class_set_css_name (widget_class, "networkview");
}

static void
ms_network_view_init (MsNetworkView *self)
{
  self->style.scale = 1.0;
  self->animate = TRUE;
  self->phase = 1.0;
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ms_network_view_set_model (MsNetworkView   *self,
                           MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed), NULL))
    return;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_network_view_set_style (MsNetworkView       *self,
                           const MsRenderStyle *style)
{
  self->style = *style;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_network_view_set_layout (MsNetworkView *self,
                            MsTraceLayout *layout)
{
  self->layout = layout;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_network_view_set_animate (MsNetworkView *self,
                             gboolean       animate)
{
  self->animate = animate;
  if (!animate && self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
