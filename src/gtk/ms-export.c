/* ms-export.c: the diagrams as PNG, SVG or PDF, the transcript as text
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same drawing code as on screen, on a Cairo surface of the file's kind.
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <glib/gi18n.h>
#include <string.h>

#include "ms-export.h"
#include "ms-header-view.h"
#include "ms-text-format.h"

G_DEFINE_QUARK (ms-export-error-quark, ms_export_error)

typedef enum { FORMAT_PNG, FORMAT_SVG, FORMAT_PDF, FORMAT_NONE } Format;

static Format
format_for_path (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);

  if (g_str_has_suffix (lower, ".png"))
    return FORMAT_PNG;
  if (g_str_has_suffix (lower, ".svg"))
    return FORMAT_SVG;
  if (g_str_has_suffix (lower, ".pdf"))
    return FORMAT_PDF;
  return FORMAT_NONE;
}

static cairo_surface_t *
create_surface (Format      format,
                const char *path,
                double      width,
                double      height)
{
  switch (format)
    {
    case FORMAT_PNG:
      return cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) width, (int) height);
    case FORMAT_SVG:
      return cairo_svg_surface_create (path, width, height);
    case FORMAT_PDF:
      return cairo_pdf_surface_create (path, width, height);
    case FORMAT_NONE:
    default:
      return NULL;
    }
}

static gboolean
finish_surface (cairo_surface_t *surface,
                Format           format,
                const char      *path,
                GError         **error)
{
  cairo_status_t status;

  cairo_surface_flush (surface);
  if (format == FORMAT_PNG)
    status = cairo_surface_write_to_png (surface, path);
  else
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, MS_EXPORT_ERROR, MS_EXPORT_ERROR_CAIRO, _("Could not write %s: %s"),
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_format (const char  *path,
              Format      *format,
              GError     **error)
{
  *format = format_for_path (path);
  if (*format == FORMAT_NONE)
    {
      g_set_error (error, MS_EXPORT_ERROR, MS_EXPORT_ERROR_FORMAT,
                   _("Unknown image format for %s: use a name ending in .png, .svg or .pdf"),
                   path);
      return FALSE;
    }
  return TRUE;
}

gboolean
ms_export_sequence (MsPlaybackModel     *model,
                    MsTraceLayout       *layout,
                    const MsRenderStyle *style,
                    const char          *path,
                    GError             **error)
{
  guint n = ms_playback_model_get_n_steps (model);
  guint cursor = ms_playback_model_get_cursor (model);
  guint first = 0, rows = MAX (n, 1);
  double row_h = ms_sequence_row_height (style);
  double height, width = MS_EXPORT_WIDTH * style->scale;
  cairo_surface_t *surface;
  cairo_t *cr;
  Format format;

  if (!check_format (path, &format, error))
    return FALSE;
  if (n > MS_EXPORT_MAX_ROWS)
    {
      first = cursor > MS_EXPORT_MAX_ROWS / 2 ? cursor - MS_EXPORT_MAX_ROWS / 2 : 0;
      first = MIN (first, n - MS_EXPORT_MAX_ROWS);
      rows = MS_EXPORT_MAX_ROWS;
    }
  height = ms_sequence_header_height (style) + (rows + 1) * row_h;
  surface = create_surface (format, path, width, height);
  cr = cairo_create (surface);
  ms_sequence_render (cr, model, layout, style, width, height, first * row_h);
  cairo_destroy (cr);
  return finish_surface (surface, format, path, error);
}

gboolean
ms_export_network (MsPlaybackModel     *model,
                   MsTraceLayout       *layout,
                   const MsRenderStyle *style,
                   const char          *path,
                   GError             **error)
{
  double width = MS_EXPORT_WIDTH * style->scale;
  double height = MS_EXPORT_NETWORK_HEIGHT * style->scale;
  cairo_surface_t *surface;
  cairo_t *cr;
  Format format;

  if (!check_format (path, &format, error))
    return FALSE;
  surface = create_surface (format, path, width, height);
  cr = cairo_create (surface);
  ms_network_render (cr, model, layout, style, width, height, 0.5);
  cairo_destroy (cr);
  return finish_surface (surface, format, path, error);
}

gboolean
ms_export_transcript (MsTrace     *trace,
                      gboolean     show_secrets,
                      const char  *path,
                      GError     **error)
{
  MsTextFormatOptions options = { TRUE, FALSE, show_secrets };
  g_autoptr(GString) out = g_string_new (NULL);

  ms_text_format_trace (out, trace, &options);
  return g_file_set_contents (path, out->str, (gssize) out->len, error);
}

static gboolean
has_header (MsTraceMessage *message,
            char          **pair)
{
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **other = g_ptr_array_index (message->headers, i);

      if (g_ascii_strcasecmp (other[0], pair[0]) == 0 && strcmp (other[1], pair[1]) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
append_header (GString    *out,
               const char *mark,
               char      **pair)
{
  g_autofree char *decoded = ms_trace_decode_header_text (pair[1]);

  g_string_append_printf (out, "%s %s: %s\n", mark, pair[0], decoded);
  if (strcmp (decoded, pair[1]) != 0)
    /* TRANSLATORS: the header as sent, when it has encoded words (=?UTF-8?B?...?=) */
    g_string_append_printf (out, "    %s %s\n", _("raw:"), pair[1]);
}

char *
ms_export_headers_text (MsPlaybackModel *model)
{
  MsTrace *trace = ms_playback_model_get_trace (model);
  const MsStep *step = ms_playback_model_get_current (model);
  g_autoptr(GString) out = g_string_new (NULL);
  MsTraceMessage *message, *previous = NULL;
  int index, prev;

  if (trace == NULL || step == NULL)
    return NULL;
  index = ms_header_view_pick_message (trace, step->t_us);
  if (index < 0)
    return NULL;
  message = ms_trace_get_message (trace, (guint) index);
  prev = ms_header_view_previous_snapshot (trace, (guint) index);
  if (prev >= 0)
    previous = ms_trace_get_message (trace, (guint) prev);

  g_string_append_printf (out, _("Message %d of %u, as received by %s"), index + 1,
                          ms_trace_get_n_messages (trace),
                          message->node ? message->node : _("the server"));
  g_string_append (out, "\n\n");
  g_string_append_printf (out, "%s\n", _("Envelope (SMTP):"));
  g_string_append_printf (out, "  MAIL FROM:<%s>\n", message->mail_from);
  for (guint i = 0; message->rcpt_to[i] != NULL; i++)
    g_string_append_printf (out, "  RCPT TO:<%s>\n", message->rcpt_to[i]);
  g_string_append_printf (out, "\n%s\n",
                          previous != NULL
                          ? _("Headers (+ added at this hop, - removed since the previous one):")
                          : _("Headers:"));
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **pair = g_ptr_array_index (message->headers, i);

      append_header (out, previous != NULL && !has_header (previous, pair) ? "+" : " ", pair);
    }
  if (previous != NULL)
    for (guint i = 0; i < previous->headers->len; i++)
      {
        char **pair = g_ptr_array_index (previous->headers, i);

        if (!has_header (message, pair))
          append_header (out, "-", pair);
      }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
ms_export_headers (MsPlaybackModel  *model,
                   const char       *path,
                   GError          **error)
{
  g_autofree char *text = ms_export_headers_text (model);

  if (text == NULL)
    {
      g_set_error (error, MS_EXPORT_ERROR, MS_EXPORT_ERROR_NO_MESSAGE,
                   _("No message has been transferred up to this step: step forward past DATA"));
      return FALSE;
    }
  return g_file_set_contents (path, text, -1, error);
}
