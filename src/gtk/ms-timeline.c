/* ms-timeline.c: every step on one line, errors and blocks marked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Steps are spaced evenly (not by time: a 5 s timeout would hide the lines around it).
 * Click or drag to move the cursor.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include "ms-timeline.h"

#define TIMELINE_MARGIN 12.0

struct _MsTimeline
{
  GtkWidget        parent_instance;

  MsPlaybackModel *model;
  MsRenderStyle    style;
};

G_DEFINE_FINAL_TYPE (MsTimeline, ms_timeline, GTK_TYPE_WIDGET)

static double
step_x (MsTimeline *self,
        guint       step,
        double      width)
{
  guint n = ms_playback_model_get_n_steps (self->model);

  if (n <= 1)
    return TIMELINE_MARGIN;
  return TIMELINE_MARGIN + step * (width - 2 * TIMELINE_MARGIN) / (n - 1);
}

static void
set_rgb (cairo_t    *cr,
         MsTimeline *self,
         MsColor     color)
{
  MsRgb rgb;

  ms_render_color (&self->style, color, &rgb);
  cairo_set_source_rgb (cr, rgb.r, rgb.g, rgb.b);
}

static void
ms_timeline_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  MsTimeline *self = MS_TIMELINE (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  double mid = height / 2, s = self->style.scale;
  guint n, cursor;
  cairo_t *cr;

  if (self->model == NULL || width <= 0)
    return;
  n = ms_playback_model_get_n_steps (self->model);
  cursor = ms_playback_model_get_cursor (self->model);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  set_rgb (cr, self, MS_COLOR_LIFELINE);
  cairo_set_line_width (cr, 3 * s);
  cairo_move_to (cr, TIMELINE_MARGIN, mid);
  cairo_line_to (cr, width - TIMELINE_MARGIN, mid);
  cairo_stroke (cr);
  if (n > 0)
    {
      set_rgb (cr, self, MS_COLOR_COMMAND);
      cairo_move_to (cr, TIMELINE_MARGIN, mid);
      cairo_line_to (cr, step_x (self, cursor, width), mid);
      cairo_stroke (cr);
    }

  /* markers: ▲ for errors, ✕ for blocks, nothing essential in colour alone */
  for (guint i = 0; i < n; i++)
    {
      MsStepMark mark = ms_playback_model_get_mark (self->model, i);
      double x = step_x (self, i, width);
      double m = 6 * s;

      if (mark == MS_STEP_MARK_NONE)
        continue;
      if (mark == MS_STEP_MARK_BLOCKED)
        {
          set_rgb (cr, self, MS_COLOR_BLOCK);
          cairo_set_line_width (cr, 2.5 * s);
          cairo_move_to (cr, x - m, mid - m);
          cairo_line_to (cr, x + m, mid + m);
          cairo_move_to (cr, x + m, mid - m);
          cairo_line_to (cr, x - m, mid + m);
          cairo_stroke (cr);
        }
      else
        {
          set_rgb (cr, self, mark == MS_STEP_MARK_ERROR ? MS_COLOR_5XX : MS_COLOR_4XX);
          cairo_move_to (cr, x, mid - 2 * m);
          cairo_line_to (cr, x + m, mid - 0.4 * m);
          cairo_line_to (cr, x - m, mid - 0.4 * m);
          cairo_close_path (cr);
          cairo_fill (cr);
        }
    }
  if (n > 0)
    {
      double x = step_x (self, cursor, width);

      set_rgb (cr, self, MS_COLOR_FG);
      cairo_arc (cr, x, mid, 7 * s, 0, 2 * G_PI);
      cairo_fill (cr);
    }
  cairo_destroy (cr);
}

static void
ms_timeline_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  MsTimeline *self = MS_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_VERTICAL)
    *minimum = *natural = (int) (32 * self->style.scale);
  else
    *minimum = *natural = 100;
}

static void
move_to (MsTimeline *self,
         double      x)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  guint n;
  double f;

  if (self->model == NULL || (n = ms_playback_model_get_n_steps (self->model)) == 0)
    return;
  f = (x - TIMELINE_MARGIN) / MAX (1.0, width - 2 * TIMELINE_MARGIN);
  ms_playback_model_set_cursor (self->model, (guint) CLAMP (f * (n - 1) + 0.5, 0, n - 1));
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               MsTimeline     *self)
{
  move_to (self, x);
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                MsTimeline     *self)
{
  double x, y;

  gtk_gesture_drag_get_start_point (gesture, &x, &y);
  move_to (self, x + dx);
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsTimeline      *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ms_timeline_dispose (GObject *object)
{
  ms_timeline_set_model (MS_TIMELINE (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_TIMELINE);
  G_OBJECT_CLASS (ms_timeline_parent_class)->dispose (object);
}

static void
ms_timeline_class_init (MsTimelineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_timeline_dispose;
  widget_class->snapshot = ms_timeline_snapshot;
  widget_class->measure = ms_timeline_measure;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-timeline.ui");
  gtk_widget_class_bind_template_callback (widget_class, on_drag_begin);
  gtk_widget_class_bind_template_callback (widget_class, on_drag_update);
  gtk_widget_class_set_css_name (widget_class, "timeline");
}

static void
ms_timeline_init (MsTimeline *self)
{
  self->style.scale = 1.0;
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
ms_timeline_set_model (MsTimeline      *self,
                       MsPlaybackModel *model)
{
  if (self->model == model)
    return;
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  if (model != NULL)
    {
      g_signal_connect (model, "cursor-changed", G_CALLBACK (on_cursor_changed), self);
      g_signal_connect_swapped (model, "trace-changed", G_CALLBACK (gtk_widget_queue_draw), self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_timeline_set_style (MsTimeline          *self,
                       const MsRenderStyle *style)
{
  self->style = *style;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}
