/* fuzz-explain-format.c: explanations and the transcript must take any lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lines from a capture are untrusted: the explanation parsers (enhanced status codes,
 * response codes, untagged words), the secret mask and the formatter's pairing of replies
 * with commands all read them. One input is one session: the first byte picks the
 * protocol and TLS mode, then each '\n'-separated line starts with a byte that picks its
 * direction and kind.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ms-explain.h"
#include "ms-text-format.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const previous[] = {
    NULL, "", "EHLO", "STARTTLS", "STLS", "RCPT", ".", "IDLE", "CAPA", "LIST", "UIDL",
  };
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(MsTextFormatter) formatter = NULL;
  MsTextFormatOptions options = { .explain = TRUE };
  MsTraceSession *session;
  const uint8_t *p;
  const uint8_t *end = data + size;

  if (size < 1)
    return 0;
  trace = ms_trace_new ("live", "fuzz");
  out = g_string_new (NULL);
  options.color = (data[0] & 0x80) != 0;
  formatter = ms_text_formatter_new (&options);
  session = ms_trace_open_session (trace, (MsProtocol) (data[0] % 4), "a:1", "b:25");
  ms_trace_session_set_tls (session, (MsTlsMode) ((data[0] >> 2) % 3));

  for (p = data + 1; p < end;)
    {
      const uint8_t *nl = memchr (p, '\n', (size_t) (end - p));
      const uint8_t *stop = nl != NULL ? nl : end;
      MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
      g_autofree char *shown = NULL;
      MsTraceLine *line;
      guint n;

      if (stop > p)
        {
          line = ms_trace_session_add_line (session, (*p & 0x40) ? MS_DIR_SERVER : MS_DIR_CLIENT,
                                            (MsLineKind) ((*p >> 3) % 5),
                                            (const char *) p + 1, stop - p - 1);
          n = ms_explain_line_parts (session->protocol, line,
                                     previous[*p % G_N_ELEMENTS (previous)], parts);
          g_assert (n <= MS_EXPLAIN_MAX_PARTS);
          for (guint i = 0; i < n; i++)
            g_assert (parts[i].key != NULL && parts[i].text != NULL);
          (void) ms_explain_line (session->protocol, line);
          (void) ms_explain_reply (session->protocol, line->code, line->status, line->text);
          shown = ms_text_format_line_text (session->protocol, line, FALSE);
          g_assert (g_utf8_validate (shown, -1, NULL));
          ms_text_formatter_line (formatter, out, session, line);
        }
      p = stop + 1;
    }
  ms_text_format_trace (out, trace, &options);
  g_assert (g_utf8_validate (out->str, out->len, NULL));
  return 0;
}
