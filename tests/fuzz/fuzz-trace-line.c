/* fuzz-trace-line.c: the line classifier must take any bytes for any protocol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-trace.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static MsTrace *trace;
  MsTraceSession *session;

  if (size < 1)
    return 0;
  if (trace == NULL)
    trace = ms_trace_new ("live", "fuzz");
  /* first byte: protocol, direction and kind; the rest: the line */
  session = ms_trace_open_session (trace, (MsProtocol) (data[0] % 6), NULL, NULL);
  ms_trace_session_add_line (session, (data[0] & 0x40) ? MS_DIR_SERVER : MS_DIR_CLIENT,
                             (MsLineKind) ((data[0] >> 3) % 5),
                             (const char *) data + 1, (gssize) size - 1);
  /* keep memory flat across millions of runs */
  if (ms_trace_get_n_sessions (trace) > 1000)
    g_clear_object (&trace);
  return 0;
}
