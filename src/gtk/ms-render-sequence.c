/* ms-render-sequence.c: the sequence diagram, one row per step, only the rows in view
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "ms-render-private.h"
#include "ms-text-format.h"

#define SEQ_ROW_HEIGHT     30.0
#define SEQ_HEADER_HEIGHT  72.0
#define SEQ_TIME_COLUMN    78.0   /* at least */
#define SEQ_LONG_TIME_MS   1000000 /* from 1000 s on, times read h:mm:ss.mmm */
#define SEQ_TIME_SCAN      64      /* the last steps looked at for the latest time */

char *
ms_sequence_format_time (gint64 t_us)
{
  gint64 ms = (t_us < 0 ? -t_us : t_us) / 1000;
  const char *sign = t_us < 0 ? "-" : "";

  if (ms < SEQ_LONG_TIME_MS)
    return g_strdup_printf ("%s%.3f s", sign, (double) ms / 1000.0);
  return g_strdup_printf ("%s%" G_GINT64_FORMAT ":%02d:%02d.%03d", sign, ms / 3600000,
                          (int) (ms / 60000 % 60), (int) (ms / 1000 % 60), (int) (ms % 1000));
}

/* The time column fits the widest time label (the latest step's; rows are in time order,
 * a capture's may step back a little, hence the maximum). */
static void
measure_time_column (MsPlaybackModel     *model,
                     MsTraceLayout       *layout,
                     const MsRenderStyle *style,
                     PangoLayout         *small)
{
  guint n = ms_playback_model_get_n_steps (model);
  gint64 latest = 0;
  g_autofree char *label = NULL;
  int w, h;

  for (guint r = n > SEQ_TIME_SCAN ? n - SEQ_TIME_SCAN : 0; r < n; r++)
    latest = MAX (latest, ms_playback_model_get_step (model, r)->t_us);
  label = ms_sequence_format_time (latest);
  ms_render_text_size (small, label, &w, &h);
  layout->seq_time_column = MAX (SEQ_TIME_COLUMN * style->scale, w + 16 * style->scale);
}

double
ms_sequence_row_height (const MsRenderStyle *style)
{
  return SEQ_ROW_HEIGHT * style->scale;
}

double
ms_sequence_header_height (const MsRenderStyle *style)
{
  return SEQ_HEADER_HEIGHT * style->scale;
}

double
ms_sequence_content_height (MsPlaybackModel     *model,
                            const MsRenderStyle *style)
{
  return ms_sequence_header_height (style)
         + ms_playback_model_get_n_steps (model) * ms_sequence_row_height (style)
         + ms_sequence_row_height (style);
}

guint
ms_sequence_step_at (MsPlaybackModel     *model,
                     const MsRenderStyle *style,
                     double               y,
                     double               scroll_y)
{
  double row;

  if (y < ms_sequence_header_height (style))
    return G_MAXUINT;
  row = (y + scroll_y - ms_sequence_header_height (style)) / ms_sequence_row_height (style);
  if (row < 0 || row >= ms_playback_model_get_n_steps (model))
    return G_MAXUINT;
  /* "predict the next reply": the rows after the cursor are not there yet */
  if (ms_playback_model_get_hide_future (model) && row >= ms_playback_model_get_cursor (model) + 1)
    return G_MAXUINT;
  return (guint) row;
}

static double
lifeline_x (MsTraceLayout *layout,
            guint          node,
            double         width,
            double         scale)
{
  double left = layout->seq_time_column;
  double n = MAX (layout->lifelines->len, 1);
  guint column = node < layout->nodes->len ? layout->column_of[node] : G_MAXUINT;

  if (column == G_MAXUINT)
    return left;
  return left + (column + 0.5) * (width - left) / n;
}

static void
draw_arrow (cairo_t *cr,
            double   x1,
            double   x2,
            double   y,
            double   head,
            gboolean dashed,
            gboolean with_head)
{
  double dir = x2 >= x1 ? 1.0 : -1.0;
  static const double dash[] = { 6.0, 4.0 };

  if (dashed)
    cairo_set_dash (cr, dash, 2, 0);
  cairo_move_to (cr, x1, y);
  cairo_line_to (cr, x2 - dir * head * 0.6, y);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (!with_head)
    return;
  cairo_move_to (cr, x2, y);
  cairo_line_to (cr, x2 - dir * head, y - head * 0.55);
  cairo_line_to (cr, x2 - dir * head, y + head * 0.55);
  cairo_close_path (cr);
  cairo_fill (cr);
}

/* The server's port under the arrow, at the server's end: which service this is. */
static void
draw_port (cairo_t             *cr,
           PangoLayout         *small,
           const MsRenderStyle *style,
           guint                port,
           double               x_server,
           double               x_other,
           double               y)
{
  char text[16];

  if (port == 0)
    return;
  g_snprintf (text, sizeof text, ":%u", port);
  ms_render_set_color (cr, style, MS_COLOR_DIM);
  ms_render_text (cr, small, text, x_server + (x_other > x_server ? 5 : -5) * style->scale,
                  y + 1.5 * style->scale, -1, x_other > x_server ? 0.0 : 1.0);
}

/* TLS on: both lifelines thick in the TLS colour over this row. */
static void
draw_tls_segment (cairo_t             *cr,
                  const MsRenderStyle *style,
                  double               x1,
                  double               x2,
                  double               top,
                  double               row_h)
{
  ms_render_set_color (cr, style, MS_COLOR_TLS);
  cairo_set_line_width (cr, 5 * style->scale);
  cairo_move_to (cr, x1, top);
  cairo_line_to (cr, x1, top + row_h);
  cairo_move_to (cr, x2, top);
  cairo_line_to (cr, x2, top + row_h);
  cairo_stroke (cr);
}

static void
render_line_row (cairo_t             *cr,
                 MsPlaybackModel     *model,
                 MsTraceLayout       *layout,
                 const MsRenderStyle *style,
                 const MsStep        *step,
                 gboolean             show_port,
                 gboolean             current,
                 double               width,
                 double               top,
                 double               row_h,
                 PangoLayout         *text,
                 PangoLayout         *bold,
                 PangoLayout         *small)
{
  double scale = style->scale;
  double y = top + row_h * 0.62;
  double column = (width - layout->seq_time_column) / MAX (layout->lifelines->len, 1);
  MsTraceLine *line = ms_playback_model_get_step_line (model, step);
  const LayoutSession *ls = &g_array_index (layout->sessions, LayoutSession, step->session_index);
  guint from = line->dir == MS_DIR_CLIENT ? ls->client : ls->server;
  guint to = line->dir == MS_DIR_CLIENT ? ls->server : ls->client;
  double x1 = lifeline_x (layout, from, width, scale);
  double x2 = lifeline_x (layout, to, width, scale);
  double xs = lifeline_x (layout, ls->server, width, scale);
  gboolean tls = step->index >= ls->tls_from;
  g_autofree char *label = ms_text_format_line_text (step->session->protocol, line,
                                                     style->show_secrets);
  double span = fabs (x2 - x1);
  double lock = tls ? 16 * scale : 0;

  if (tls && from != to)
    draw_tls_segment (cr, style, x1, x2, top, row_h);
  ms_render_set_color (cr, style, ms_render_color_for_line (line));
  cairo_set_line_width (cr, ms_render_line_width (style) * (current ? 1.8 : 1.0));
  if (from == to)
    {
      /* both ends on one lifeline: a short loop */
      cairo_move_to (cr, x1, y - 6 * scale);
      cairo_line_to (cr, x1 + 24 * scale, y - 6 * scale);
      cairo_line_to (cr, x1 + 24 * scale, y);
      cairo_stroke (cr);
      draw_arrow (cr, x1 + 24 * scale, x1, y, 8 * scale, FALSE, TRUE);
      x1 = x1 + 28 * scale;
      x2 = x1 + MAX (column - 40 * scale, 120 * scale);
      span = fabs (x2 - x1);
    }
  else
    {
      draw_arrow (cr, x1, x2, y, 9 * scale, line->kind == MS_LINE_DATA, TRUE);
      /* the port where a session begins or comes back after other rows */
      if (show_port)
        draw_port (cr, small, style, ls->port, xs, xs == x1 ? x2 : x1, y);
    }
  if (tls)
    ms_render_lock (cr, style, MIN (x1, x2) + 11 * scale, top + row_h * 0.32, 10 * scale);
  /* the text may run past the arrow to the right edge: a row holds one line */
  ms_render_set_color (cr, style, ms_render_color_for_line (line));
  ms_render_text (cr, current ? bold : text, label, MIN (x1, x2) + 8 * scale + lock,
                  top + 1 * scale, MAX (span, width - MIN (x1, x2)) - 16 * scale - lock, 0);
}

static void
render_event_row (cairo_t             *cr,
                  MsPlaybackModel     *model,
                  MsTraceLayout       *layout,
                  const MsRenderStyle *style,
                  const MsStep        *step,
                  gboolean             current,
                  double               width,
                  double               top,
                  double               row_h,
                  PangoLayout         *text,
                  PangoLayout         *bold,
                  PangoLayout         *small)
{
  double scale = style->scale;
  double y = top + row_h * 0.62;
  double column = (width - layout->seq_time_column) / MAX (layout->lifelines->len, 1);
  MsTraceEvent *event = ms_playback_model_get_step_event (model, step);
  guint at = ms_render_event_node (layout, event);
  guint peer = layout->event_peer[step->index];
  g_autofree char *label = ms_render_event_label (event);

  if (strcmp (event->type, "dns") == 0 && at != G_MAXUINT && peer != G_MAXUINT)
    {
      /* a query from the asking node to the DNS server's lifeline, the answer back */
      gboolean query = g_strcmp0 (json_object_get_string_member_with_default (
                                    event->fields, "direction", NULL), "query") == 0;
      const char *status = json_object_get_string_member_with_default (event->fields,
                                                                       "status", "NOERROR");
      double xa = lifeline_x (layout, at, width, scale);
      double xd = lifeline_x (layout, peer, width, scale);
      double x1 = query ? xa : xd, x2 = query ? xd : xa;
      MsColor color = query ? MS_COLOR_COMMAND
                            : strcmp (status, "NOERROR") == 0 ? MS_COLOR_2XX : MS_COLOR_5XX;

      ms_render_set_color (cr, style, color);
      cairo_set_line_width (cr, ms_render_line_width (style) * (current ? 1.8 : 1.0));
      draw_arrow (cr, x1, x2, y, 9 * scale, FALSE, TRUE);
      draw_port (cr, small, style, 53, xd, xa, y);
      ms_render_set_color (cr, style, color);
      ms_render_text (cr, current ? bold : text, label, MIN (x1, x2) + 8 * scale,
                      top + 1 * scale, MAX (fabs (x2 - x1), width - MIN (x1, x2)) - 16 * scale, 0);
    }
  else if (strcmp (event->type, "blocked") == 0 && at != G_MAXUINT)
    {
      double x2 = lifeline_x (layout, at, width, scale);
      double x1 = peer != G_MAXUINT ? lifeline_x (layout, peer, width, scale) : x2 - column / 2;

      ms_render_set_color (cr, style, MS_COLOR_BLOCK);
      cairo_set_line_width (cr, ms_render_line_width (style) * 1.5);
      draw_arrow (cr, x1, x2, y, 9 * scale, TRUE, FALSE);
      ms_render_cross (cr, style, x2, y, 7 * scale);
      ms_render_set_color (cr, style, MS_COLOR_BLOCK);
      if (width - x2 > column)
        ms_render_text (cr, bold, label, x2 + 12 * scale, top + 2 * scale,
                        width - x2 - 16 * scale, 0);
      else
        ms_render_text (cr, bold, label, MIN (x1, x2) - 8 * scale, top + 2 * scale,
                        MIN (x1, x2) - layout->seq_time_column, 1.0);
    }
  else if (strcmp (event->type, "narration") == 0 || at == G_MAXUINT
           || layout->column_of[at] == G_MAXUINT)
    {
      ms_render_set_color (cr, style, strcmp (event->type, "narration") == 0 ? MS_COLOR_FG
                                                                             : MS_COLOR_DIM);
      ms_render_text (cr, strcmp (event->type, "narration") == 0 ? bold : text, label,
                      layout->seq_time_column + 8 * scale, top + 5 * scale,
                      width - layout->seq_time_column - 16 * scale, 0);
    }
  else
    {
      double x = lifeline_x (layout, at, width, scale);
      gboolean failed = ms_render_event_failed (event);

      ms_render_set_color (cr, style, failed ? MS_COLOR_5XX : MS_COLOR_FG);
      /* a row of its own: the label may take the whole row, kept inside it */
      ms_render_badge (cr, current ? bold : small, style, label, x, top + row_h / 2,
                       width - layout->seq_time_column - 24 * scale,
                       layout->seq_time_column + 4 * scale, width - 4 * scale,
                       failed ? MS_COLOR_5XX : MS_COLOR_2XX);
    }
}

/* The first of @fonts (NULL-terminated) @text fits @max_width in, or NULL. */
static PangoLayout *
fitting_font (PangoLayout **fonts,
              const char   *text,
              double        max_width)
{
  for (guint k = 0; fonts[k] != NULL; k++)
    {
      int w, h;

      ms_render_text_size (fonts[k], text, &w, &h);
      if (w <= max_width)
        return fonts[k];
    }
  return NULL;
}

static void
render_header (cairo_t             *cr,
               MsTraceLayout       *layout,
               const MsRenderStyle *style,
               double               width,
               double               header_h,
               PangoLayout         *bold,
               PangoLayout         *small)
{
  double scale = style->scale;
  double column = (width - layout->seq_time_column) / MAX (layout->lifelines->len, 1);
  double room = column - 8 * scale;
  double line_h = BASE_FONT_SIZE * 0.85 * scale * 96.0 / 72.0 * 1.25;
  double name_h = BASE_FONT_SIZE * 1.05 * scale * 96.0 / 72.0 * 1.3;
  g_autoptr(PangoLayout) tiny = ms_render_new_text (cr, style, BASE_FONT_SIZE * 0.72, FALSE);
  g_autoptr(PangoLayout) wrapped = ms_render_new_text (cr, style, BASE_FONT_SIZE * 0.72, FALSE);
  PangoLayout *name_fonts[] = { small, tiny, NULL };
  PangoLayout *detail_fonts[] = { small, tiny, NULL };
  gboolean names_fit = TRUE;

  /* a name too long for one line wraps onto the role's line: the name is never cut */
  pango_layout_set_ellipsize (wrapped, PANGO_ELLIPSIZE_NONE);
  pango_layout_set_wrap (wrapped, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (wrapped, PANGO_ALIGN_CENTER);

  ms_render_set_color (cr, style, MS_COLOR_ZONE);
  cairo_rectangle (cr, 0, 0, width, header_h);
  cairo_fill (cr);
  ms_render_set_color (cr, style, MS_COLOR_LIFELINE);
  cairo_set_line_width (cr, 1.0);
  cairo_move_to (cr, 0, header_h - 0.5);
  cairo_line_to (cr, width, header_h - 0.5);
  cairo_stroke (cr);
  /* names too long for their columns: all in the smaller font before any is shrunk more */
  for (guint c = 0; c < layout->lifelines->len && names_fit; c++)
    {
      MsLayoutNode *node = g_ptr_array_index (layout->nodes,
                                              g_array_index (layout->lifelines, guint, c));
      int w, h;

      ms_render_text_size (bold, node->name, &w, &h);
      names_fit = w <= room;
    }
  for (guint c = 0; c < layout->lifelines->len; c++)
    {
      guint i = g_array_index (layout->lifelines, guint, c);
      MsLayoutNode *node = g_ptr_array_index (layout->nodes, i);
      double x = lifeline_x (layout, i, width, scale);
      double y = 5 * scale;
      gboolean two_lines = FALSE;
      PangoLayout *font;
      g_autoptr(GString) ports = g_string_new (NULL);

      ms_render_set_color (cr, style, MS_COLOR_FG);
      font = names_fit ? bold : fitting_font (name_fonts, node->name, room);
      if (font != NULL)
        ms_render_text (cr, font, node->name, x, y, room, 0.5);
      else
        {
          int w, h;

          pango_layout_set_text (wrapped, node->name, -1);
          pango_layout_set_width (wrapped, (int) (room * PANGO_SCALE));
          pango_layout_get_pixel_size (wrapped, &w, &h);
          cairo_move_to (cr, x - room / 2, y);
          pango_cairo_show_layout (cr, wrapped);
          two_lines = TRUE;
        }
      y += name_h;
      /* the role, the address and the ports when they fit (in a smaller type if need be):
       * a cut "198.…" tells nothing */
      ms_render_set_color (cr, style, MS_COLOR_COMMAND);
      if (!two_lines && node->role != NULL)
        {
          font = fitting_font (detail_fonts, node->role, room);
          ms_render_text (cr, font ? font : tiny, node->role, x, y, room, 0.5);
        }
      y += line_h;
      ms_render_set_color (cr, style, MS_COLOR_DIM);
      if (node->address != NULL && g_strcmp0 (node->address, node->name) != 0
          && (font = fitting_font (detail_fonts, node->address, room)) != NULL)
        ms_render_text (cr, font, node->address, x, y, room, 0.5);
      y += line_h;
      for (guint k = 0; node->ports != NULL && node->ports[k] != NULL; k++)
        g_string_append_printf (ports, "%s:%.*s", k ? " " : "",
                                (int) strcspn (node->ports[k], "/"), node->ports[k]);
      if (ports->len > 0 && y + line_h <= header_h
          && (font = fitting_font (detail_fonts, ports->str, room)) != NULL)
        ms_render_text (cr, font, ports->str, x, y, room, 0.5);
    }
}

/* The line at @step has a note: its own, or its frame's (on the frame's first line). */
static gboolean
has_note (MsPlaybackModel     *model,
          const MsRenderStyle *style,
          const MsStep        *step)
{
  MsTraceLine *line, *previous;

  if (style->annotations == NULL || step->kind != MS_STEP_LINE)
    return FALSE;
  if (ms_annotations_get_line_note (style->annotations, step->session->id, step->index) != NULL)
    return TRUE;
  line = ms_playback_model_get_step_line (model, step);
  previous = step->index > 0 ? g_ptr_array_index (step->session->lines, step->index - 1) : NULL;
  return line->frame != 0 && (previous == NULL || previous->frame != line->frame)
         && ms_annotations_get_frame_note (style->annotations, line->frame) != NULL;
}

void
ms_sequence_render (cairo_t             *cr,
                    MsPlaybackModel     *model,
                    MsTraceLayout       *layout,
                    const MsRenderStyle *style,
                    double               width,
                    double               height,
                    double               scroll_y)
{
  double row_h = ms_sequence_row_height (style);
  double header_h = ms_sequence_header_height (style);
  double scale = style->scale;
  guint n_steps = ms_playback_model_get_n_steps (model);
  guint cursor = ms_playback_model_get_cursor (model);
  guint first, last;
  g_autoptr(PangoLayout) text = ms_render_new_text (cr, style, BASE_FONT_SIZE, FALSE);
  g_autoptr(PangoLayout) small = ms_render_new_text (cr, style, BASE_FONT_SIZE * 0.85, FALSE);
  g_autoptr(PangoLayout) bold = ms_render_new_text (cr, style, BASE_FONT_SIZE * 1.05, TRUE);

  ms_render_set_color (cr, style, MS_COLOR_BG);
  cairo_paint (cr);
  if (n_steps == 0)
    {
      ms_render_set_color (cr, style, MS_COLOR_DIM);
      ms_render_text (cr, text, _("Nothing to draw: this trace has no protocol lines or events."),
                      width / 2, height / 2, width - 40, 0.5);
      return;
    }

  measure_time_column (model, layout, style, small);

  /* only the rows in view */
  first = (guint) MAX (0.0, floor (scroll_y / row_h));
  last = (guint) MIN ((double) n_steps, ceil ((scroll_y + height) / row_h) + 1);
  /* "predict the next reply": nothing after the cursor may give the reply away */
  if (ms_playback_model_get_hide_future (model))
    last = MIN (last, cursor + 1);

  cairo_save (cr);
  cairo_rectangle (cr, 0, header_h, width, height - header_h);
  cairo_clip (cr);

  /* the current row first, under the lifelines */
  if (cursor >= first && cursor < last)
    {
      double top = header_h + cursor * row_h - scroll_y;

      ms_render_set_color (cr, style, MS_COLOR_CURRENT);
      cairo_rectangle (cr, 0, top, width, row_h);
      cairo_fill (cr);
      ms_render_set_color (cr, style, MS_COLOR_FG);
      cairo_rectangle (cr, 0, top, 5 * scale, row_h);
      cairo_fill (cr);
    }

  ms_render_set_color (cr, style, MS_COLOR_LIFELINE);
  cairo_set_line_width (cr, ms_render_line_width (style));
  for (guint c = 0; c < layout->lifelines->len; c++)
    {
      double x = round (lifeline_x (layout, g_array_index (layout->lifelines, guint, c),
                                    width, scale)) + 0.5;

      cairo_move_to (cr, x, header_h);
      cairo_line_to (cr, x, height);
    }
  cairo_stroke (cr);

  for (guint r = first; r < last; r++)
    {
      const MsStep *step = ms_playback_model_get_step (model, r);
      double top = header_h + r * row_h - scroll_y;
      g_autofree char *time = ms_sequence_format_time (step->t_us);

      ms_render_set_color (cr, style, r == cursor ? MS_COLOR_FG : MS_COLOR_DIM);
      ms_render_text (cr, small, time, layout->seq_time_column - 8 * scale, top + row_h * 0.25,
                      -1, 1.0);
      if (has_note (model, style, step))
        {
          /* the transcript shows the note itself under the line */
          ms_render_set_color (cr, style, MS_COLOR_BLOCK);
          ms_render_text (cr, text, "✎", layout->seq_time_column + 1 * scale, top + 2 * scale,
                          -1, 0);
        }
      if (step->kind == MS_STEP_LINE)
        {
          const MsStep *before = r > first ? ms_playback_model_get_step (model, r - 1) : NULL;
          gboolean show_port = r == first || before->kind != MS_STEP_LINE
                               || before->session_index != step->session_index;

          render_line_row (cr, model, layout, style, step, show_port, r == cursor, width, top,
                           row_h, text, bold, small);
        }
      else
        render_event_row (cr, model, layout, style, step, r == cursor, width, top, row_h,
                          text, bold, small);
    }
  cairo_restore (cr);

  /* the header stays in place while the rows scroll */
  render_header (cr, layout, style, width, header_h, bold, small);
}
