/* fuzz-annotations.c: any bytes as a notes sidecar and as a pcapng's packet comments
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The input is a 2-byte big-endian length N, N bytes of sidecar, and the rest as the
 * capture (walked for pcapng packet comments, merged into the notes). What loads must
 * save to a sidecar that loads again to the same notes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ms-annotations.h"
#include "ms-pcapng-comments.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
touch_comment (guint64 frame, const char *comment, gpointer user_data)
{
  g_assert (g_utf8_validate (comment, -1, NULL));
  g_assert (frame > 0);
  (*(guint *) user_data)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(MsAnnotations) notes = NULL;
  g_autoptr(MsAnnotations) again = NULL;
  g_autofree char *text = NULL;
  const char *sidecar = NULL;
  const guint8 *capture;
  gsize sidecar_len = 0, capture_len;
  guint n_comments = 0;

  if (size < 2)
    return 0;
  sidecar_len = MIN ((gsize) ((data[0] << 8) | data[1]), size - 2);
  if (sidecar_len > 0)
    sidecar = (const char *) data + 2;
  capture = data + 2 + sidecar_len;
  capture_len = size - 2 - sidecar_len;

  ms_pcapng_read_comments (capture, capture_len, touch_comment, &n_comments, NULL);

  notes = ms_annotations_new_for_capture ("/nonexistent/fuzz.pcapng");
  if (!ms_annotations_load_from_data (notes, sidecar, sidecar_len, capture, capture_len, NULL))
    return 0;
  for (guint i = 0; i < ms_annotations_get_n_notes (notes); i++)
    {
      const MsAnnotation *a = ms_annotations_get_note (notes, i);

      g_assert (a->note != NULL && a->note[0] != '\0');
      if (a->kind == MS_ANNOTATION_FRAME)
        g_assert (ms_annotations_get_frame_note (notes, a->frame) == a->note);
      else
        g_assert (ms_annotations_get_line_note (notes, a->session, a->line) == a->note);
    }
  text = ms_annotations_to_data (notes);
  again = ms_annotations_new_for_capture ("/nonexistent/fuzz.pcapng");
  g_assert (ms_annotations_load_from_data (again, text, strlen (text), NULL, 0, NULL));
  g_assert_cmpuint (ms_annotations_get_n_notes (again), ==, ms_annotations_get_n_notes (notes));
  for (guint i = 0; i < ms_annotations_get_n_notes (notes); i++)
    g_assert_cmpstr (ms_annotations_get_note (again, i)->note, ==,
                     ms_annotations_get_note (notes, i)->note);
  return 0;
}
