/* test-sequence-click.c: a click on a row of the sequence diagram moves the one cursor
 * (so the transcript, headers and network view follow), scrolled or not; a click on the
 * header does nothing; the tooltip is the full line. Skipped (77) without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>

#include "ms-demo.h"
#include "ms-render.h"
#include "ms-sequence-view.h"

static int failures;

#define CHECK(cond) \
  G_STMT_START { if (!(cond)) { g_printerr ("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); failures++; } } G_STMT_END

static void
settle (void)
{
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
}

static GtkGesture *
click_gesture (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        return GTK_GESTURE (controller);
    }
  return NULL;
}

int
main (void)
{
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsPlaybackModel) model = NULL;
  g_autoptr(MsTraceLayout) layout = NULL;
  MsRenderStyle style = { .scale = 1.0 };
  GtkWidget *window, *scrolled, *view;
  GtkGesture *click;
  GtkAdjustment *vadj;
  double row = ms_sequence_row_height (&style), header = ms_sequence_header_height (&style);

  if (!gtk_init_check ())
    {
      g_print ("SKIP: no display\n");
      return 77;
    }
  trace = ms_demo_trace_new ();
  model = ms_playback_model_new ();
  ms_playback_model_set_trace (model, trace);
  layout = ms_trace_layout_new (model);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 500);
  scrolled = gtk_scrolled_window_new ();
  view = g_object_new (MS_TYPE_SEQUENCE_VIEW, NULL);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  ms_sequence_view_set_model (MS_SEQUENCE_VIEW (view), model);
  ms_sequence_view_set_layout (MS_SEQUENCE_VIEW (view), layout);
  ms_sequence_view_set_style (MS_SEQUENCE_VIEW (view), &style);
  gtk_window_present (GTK_WINDOW (window));
  settle ();

  click = click_gesture (view);
  CHECK (click != NULL);
  if (click == NULL)
    return 1;

  /* the fourth row */
  g_signal_emit_by_name (click, "pressed", 1, 200.0, header + 3.5 * row);
  CHECK (ms_playback_model_get_cursor (model) == 3);

  /* the header: nothing moves */
  g_signal_emit_by_name (click, "pressed", 1, 200.0, header / 2);
  CHECK (ms_playback_model_get_cursor (model) == 3);

  /* scrolled down by ten rows: the row under the pointer is ten further on */
  vadj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  gtk_adjustment_set_value (vadj, 10 * row);
  settle ();
  g_signal_emit_by_name (click, "pressed", 1, 200.0, header + 2.5 * row);
  CHECK (ms_playback_model_get_cursor (model) == 12);

  /* the tooltip of a line is the line as sent */
  {
    g_autofree char *tip = ms_render_step_tooltip (model, 12, FALSE);

    CHECK (tip != NULL && (g_str_has_prefix (tip, "C: ") || g_str_has_prefix (tip, "S: ")
                           || strchr (tip, '\n') != NULL));
  }

  gtk_window_destroy (GTK_WINDOW (window));
  settle ();
  if (failures == 0)
    g_print ("ok: clicks move the cursor\n");
  return failures == 0 ? 0 : 1;
}
