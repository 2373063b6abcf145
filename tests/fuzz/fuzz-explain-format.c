/* fuzz-explain-format.c: explanations and the transcript must take any line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lines from a capture are untrusted: the explanation parsers (enhanced status codes,
 * response codes, untagged words), the secret mask and the formatter's reply pairing all
 * read them.
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-explain.h"
#include "ms-text-format.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define LINES_PER_SESSION 64

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static MsTrace *trace;
  static MsTraceSession *session;
  static const char * const previous[] = {
    NULL, "EHLO", "STARTTLS", "STLS", "RCPT", ".", "IDLE", "AUTH", "LOGIN",
  };
  MsTraceLine *line;
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  MsTextFormatOptions options = { .explain = TRUE, .color = (size & 1) != 0 };
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *shown = NULL;
  guint n;

  if (size < 2)
    return 0;
  if (trace == NULL)
    trace = ms_trace_new ("live", "fuzz");
  /* first byte: protocol and TLS; second: direction, kind and the previous command */
  if (session == NULL || ms_trace_session_get_n_lines (session) >= LINES_PER_SESSION
      || session->protocol != (MsProtocol) (data[0] % 4))
    {
      session = ms_trace_open_session (trace, (MsProtocol) (data[0] % 4), "a:1", "b:25");
      ms_trace_session_set_tls (session, (MsTlsMode) ((data[0] >> 2) % 3));
    }
  line = ms_trace_session_add_line (session, (data[1] & 0x40) ? MS_DIR_SERVER : MS_DIR_CLIENT,
                                    (MsLineKind) ((data[1] >> 3) % 5),
                                    (const char *) data + 2, (gssize) size - 2);

  n = ms_explain_line_parts (session->protocol, line,
                             previous[data[1] % G_N_ELEMENTS (previous)], parts);
  g_assert (n <= MS_EXPLAIN_MAX_PARTS);
  for (guint i = 0; i < n; i++)
    g_assert (parts[i].key != NULL && parts[i].text != NULL);
  (void) ms_explain_line (session->protocol, line);
  (void) ms_explain_reply (session->protocol, line->code, line->status, line->text);
  shown = ms_text_format_line_text (session->protocol, line, FALSE);
  g_assert (g_utf8_validate (shown, -1, NULL));
  ms_text_format_line (out, session, line, &options);
  g_assert (g_utf8_validate (out->str, out->len, NULL));

  /* keep memory flat across millions of runs */
  if (ms_trace_get_n_sessions (trace) > 200)
    {
      g_clear_object (&trace);
      session = NULL;
    }
  return 0;
}
