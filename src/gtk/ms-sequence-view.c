/* ms-sequence-view.c: the sequence diagram widget
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkScrollable: the scrolled window gives us the vertical adjustment and we draw only
 * the rows it shows, so a trace of 100 000 lines scrolls as fast as one of ten.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include "ms-sequence-view.h"

struct _MsSequenceView
{
  GtkWidget        parent_instance;

  MsPlaybackModel *model;
  MsTraceLayout   *layout;   /* not owned: the window's */
  MsRenderStyle    style;
  GtkAdjustment   *hadjustment;
  GtkAdjustment   *vadjustment;
  guint            hscroll_policy : 1;
  guint            vscroll_policy : 1;
  guint            scroll_pending : 1;  /* the cursor moved before we had a size */
};

enum
{
  PROP_0,
  PROP_HADJUSTMENT,
  PROP_VADJUSTMENT,
  PROP_HSCROLL_POLICY,
  PROP_VSCROLL_POLICY,
};

G_DEFINE_FINAL_TYPE_WITH_CODE (MsSequenceView, ms_sequence_view, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_SCROLLABLE, NULL))

static void
update_adjustment (MsSequenceView *self)
{
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  double content;

  if (self->vadjustment == NULL)
    return;
  content = self->model ? ms_sequence_content_height (self->model, &self->style) : height;
  gtk_adjustment_configure (self->vadjustment,
                            CLAMP (gtk_adjustment_get_value (self->vadjustment), 0,
                                   MAX (0, content - height)),
                            0, MAX (content, height), ms_sequence_row_height (&self->style),
                            height * 0.9, height);
  if (self->hadjustment != NULL)
    gtk_adjustment_configure (self->hadjustment, 0, 0, 0, 0, 0, 0);
}

/* Keeps the current step in view (a third from the top when it has to move). */
static void
scroll_to_cursor (MsSequenceView *self)
{
  double row_h = ms_sequence_row_height (&self->style);
  double header = ms_sequence_header_height (&self->style);
  double height = gtk_widget_get_height (GTK_WIDGET (self)) - header;
  double top, value;

  if (self->vadjustment == NULL || self->model == NULL || height <= 0)
    {
      self->scroll_pending = TRUE;
      return;
    }
  self->scroll_pending = FALSE;
  top = ms_playback_model_get_cursor (self->model) * row_h;
  value = gtk_adjustment_get_value (self->vadjustment);
  if (top < value || top + row_h > value + height)
    gtk_adjustment_set_value (self->vadjustment, MAX (0, top - height / 3));
}

static void
on_cursor_changed (MsPlaybackModel *model,
                   guint            cursor,
                   MsSequenceView  *self)
{
  scroll_to_cursor (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_trace_changed (MsPlaybackModel *model,
                  MsSequenceView  *self)
{
  update_adjustment (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_adjustment_changed (GtkAdjustment  *adjustment,
                       MsSequenceView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_adjustment (MsSequenceView  *self,
                GtkAdjustment  **slot,
                GtkAdjustment   *adjustment)
{
  if (*slot == adjustment)
    return;
  if (*slot != NULL)
    {
      g_signal_handlers_disconnect_by_func (*slot, on_adjustment_changed, self);
      g_clear_object (slot);
    }
  if (adjustment == NULL)
    adjustment = gtk_adjustment_new (0, 0, 0, 0, 0, 0);
  *slot = g_object_ref_sink (adjustment);
  g_signal_connect (adjustment, "value-changed", G_CALLBACK (on_adjustment_changed), self);
  update_adjustment (self);
}

static void
ms_sequence_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->model == NULL || self->layout == NULL || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  ms_sequence_render (cr, self->model, self->layout, &self->style, width, height,
                      self->vadjustment ? gtk_adjustment_get_value (self->vadjustment) : 0);
  cairo_destroy (cr);
}

static void
ms_sequence_view_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (widget);

  update_adjustment (self);
  if (self->scroll_pending)
    scroll_to_cursor (self);
}

static void
on_pressed (GtkGestureClick *gesture,
            int              n_press,
            double           x,
            double           y,
            MsSequenceView  *self)
{
  guint step;

  if (self->model == NULL)
    return;
  step = ms_sequence_step_at (self->model, &self->style, y,
                              gtk_adjustment_get_value (self->vadjustment));
  if (step != G_MAXUINT)
    ms_playback_model_set_cursor (self->model, step);
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* The full line or every field of the event under the pointer: the rows show a short
 * label only. */
static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (widget);
  guint step;
  g_autofree char *text = NULL;

  if (self->model == NULL || self->vadjustment == NULL)
    return FALSE;
  step = keyboard ? ms_playback_model_get_cursor (self->model)
                  : ms_sequence_step_at (self->model, &self->style, y,
                                         gtk_adjustment_get_value (self->vadjustment));
  text = step != G_MAXUINT ? ms_render_step_tooltip (self->model, step,
                                                     self->style.show_secrets) : NULL;
  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
ms_sequence_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      g_value_set_object (value, self->hadjustment);
      break;
    case PROP_VADJUSTMENT:
      g_value_set_object (value, self->vadjustment);
      break;
    case PROP_HSCROLL_POLICY:
      g_value_set_enum (value, self->hscroll_policy);
      break;
    case PROP_VSCROLL_POLICY:
      g_value_set_enum (value, self->vscroll_policy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_sequence_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (object);

  switch (prop_id)
    {
    case PROP_HADJUSTMENT:
      set_adjustment (self, &self->hadjustment, g_value_get_object (value));
      break;
    case PROP_VADJUSTMENT:
      set_adjustment (self, &self->vadjustment, g_value_get_object (value));
      break;
    case PROP_HSCROLL_POLICY:
      self->hscroll_policy = g_value_get_enum (value);
      break;
    case PROP_VSCROLL_POLICY:
      self->vscroll_policy = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_sequence_view_dispose (GObject *object)
{
  MsSequenceView *self = MS_SEQUENCE_VIEW (object);

  ms_sequence_view_set_model (self, NULL);
  ms_sequence_view_set_annotations (self, NULL);
  if (self->hadjustment)
    g_signal_handlers_disconnect_by_func (self->hadjustment, on_adjustment_changed, self);
  if (self->vadjustment)
    g_signal_handlers_disconnect_by_func (self->vadjustment, on_adjustment_changed, self);
  g_clear_object (&self->hadjustment);
  g_clear_object (&self->vadjustment);
  gtk_widget_dispose_template (GTK_WIDGET (object), MS_TYPE_SEQUENCE_VIEW);
  G_OBJECT_CLASS (ms_sequence_view_parent_class)->dispose (object);
}

static void
ms_sequence_view_class_init (MsSequenceViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ms_sequence_view_dispose;
  object_class->get_property = ms_sequence_view_get_property;
  object_class->set_property = ms_sequence_view_set_property;
  widget_class->snapshot = ms_sequence_view_snapshot;
  widget_class->size_allocate = ms_sequence_view_size_allocate;

  g_object_class_override_property (object_class, PROP_HADJUSTMENT, "hadjustment");
  g_object_class_override_property (object_class, PROP_VADJUSTMENT, "vadjustment");
  g_object_class_override_property (object_class, PROP_HSCROLL_POLICY, "hscroll-policy");
  g_object_class_override_property (object_class, PROP_VSCROLL_POLICY, "vscroll-policy");

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/mailsim/MailSim/ms-sequence-view.ui");
  gtk_widget_class_set_css_name (widget_class, "sequenceview");
  gtk_widget_class_bind_template_callback (widget_class, on_pressed);
}

static void
ms_sequence_view_init (MsSequenceView *self)
{
  self->style.scale = 1.0;
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (self, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
}

void
ms_sequence_view_set_model (MsSequenceView  *self,
                            MsPlaybackModel *model)
{
  if (!ms_playback_model_attach_view (&self->model, model, self,
                                      G_CALLBACK (on_cursor_changed),
                                      G_CALLBACK (on_trace_changed)))
    return;
  update_adjustment (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_sequence_view_set_style (MsSequenceView      *self,
                            const MsRenderStyle *style)
{
  MsAnnotations *annotations = self->style.annotations;

  self->style = *style;
  self->style.annotations = annotations;
  update_adjustment (self);
  scroll_to_cursor (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_notes_changed (MsAnnotations  *annotations,
                  MsSequenceView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_sequence_view_set_annotations (MsSequenceView *self,
                                  MsAnnotations  *annotations)
{
  if (self->style.annotations == annotations)
    return;
  if (self->style.annotations != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->style.annotations, self);
      g_object_unref (self->style.annotations);
    }
  self->style.annotations = annotations != NULL ? g_object_ref (annotations) : NULL;
  if (annotations != NULL)
    g_signal_connect (annotations, "changed", G_CALLBACK (on_notes_changed), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ms_sequence_view_set_layout (MsSequenceView *self,
                             MsTraceLayout  *layout)
{
  self->layout = layout;
  update_adjustment (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
