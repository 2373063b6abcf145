/* fuzz-message.c: the message model takes any bytes: parse, inspect, edit, serialise
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-message.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GBytes) raw = g_bytes_new (data, size);
  g_autoptr(MsMessage) message = ms_message_new_from_bytes (raw, NULL);
  g_autofree char *subject = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  g_autoptr(GBytes) out = NULL;

  if (message == NULL)
    return 0;
  subject = ms_message_dup_subject (message);
  parts = ms_message_dup_parts (message);
  hops = ms_message_dup_received_hops (message);
  ms_message_prepend_header (message, "Received", "from fuzz by fuzz; Sat, 28 Nov 2026 00:00:00 +0000");
  ms_message_remove_header (message, "Bcc");
  out = ms_message_to_bytes (message);
  return 0;
}
