/* fuzz-message.c: MsMessage takes any bytes: parse, round trip, every view of it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ms-message.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Bare LF counts as a line end; the serialised form has CRLF everywhere. */
static gsize
crlf_size (const uint8_t *data,
           size_t         size)
{
  gsize n = size;

  for (size_t i = 0; i < size; i++)
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
      n++;
  return n;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) raw = g_bytes_new (data, size);
  g_autoptr(MsMessage) message = ms_message_new_from_bytes (raw, NULL);
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  g_autoptr(GPtrArray) to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *naive = NULL;
  gsize expected;

  if (message == NULL)
    return 0;
  again = ms_message_to_bytes (message);
  expected = crlf_size (data, size);
  /* Only a header block without its final line end may grow, by that CRLF. */
  if (g_bytes_get_size (again) != expected && g_bytes_get_size (again) != expected + 2)
    abort ();
  subject = ms_message_dup_subject (message);
  if (subject != NULL && !g_utf8_validate (subject, -1, NULL))
    abort ();
  naive = ms_message_decode_header_naively (message, "Subject", "SHIFT_JIS");
  to = ms_message_dup_addresses (message, "To");
  hops = ms_message_dup_received_hops (message);
  parts = ms_message_dup_parts (message);
  for (guint i = 0; i < parts->len && i < 16; i++)
    {
      const char *number = ((MsMimePart *) g_ptr_array_index (parts, i))->part_number;
      g_autoptr(GBytes) content = ms_message_dup_part_content (message, number, NULL);
      g_autoptr(GBytes) body = ms_message_dup_part_raw (message, number, NULL);
      g_autoptr(GBytes) mime = ms_message_dup_part_mime_header (message, number, NULL);
      g_autofree char *text = ms_message_dup_part_text (message, number, NULL);

      /* Every part the walk lists can be fetched. */
      if (content == NULL || body == NULL || mime == NULL || text == NULL)
        abort ();
    }
  ms_message_prepend_header (message, "Received",
                             "from fuzz by fuzz; Sat, 28 Nov 2026 05:00:00 +0000");
  if (ms_message_remove_header (message, "Received") < 1)
    abort ();
  return 0;
}
