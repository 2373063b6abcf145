/* ms-rfc2047.h: encoded words (RFC 2047), parameter values (RFC 2231), header folding
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Encoding is ours, so the simulator shows exactly what a Japanese mail client sends
 * (=?ISO-2022-JP?B?...?= words, each ending back in ASCII); decoding is GMime's, which
 * accepts any charset iconv knows.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  MS_HEADER_ENCODING_B,  /* base64 */
  MS_HEADER_ENCODING_Q,  /* quoted-printable-like */
} MsHeaderEncoding;

/* RFC 2047 §2: an encoded word is at most 75 characters. */
#define MS_RFC2047_MAX_WORD 75
/* RFC 5322 §2.1.1: lines SHOULD stay within 78 characters. */
#define MS_HEADER_FOLD_WIDTH 78

/* Encodes UTF-8 text for an unstructured header (Subject) or a phrase (display name).
 * ASCII-only text comes back unchanged; otherwise the span from the first to the last
 * word that needs it becomes encoded words separated by single spaces (not folded).
 * charset: "UTF-8" (NULL means this) or "ISO-2022-JP" or any iconv name. */
char    *ms_rfc2047_encode           (const char        *utf8,
                                      const char        *charset,
                                      MsHeaderEncoding   encoding,
                                      GError           **error);
/* Encodes the whole phrase (display name) as encoded words when any of it needs it. */
char    *ms_rfc2047_encode_phrase    (const char        *utf8,
                                      const char        *charset,
                                      MsHeaderEncoding   encoding,
                                      GError           **error);
/* Decodes encoded words in an (unfolded) unstructured value to UTF-8. 8-bit text outside
 * encoded words is taken as UTF-8 when valid, else converted by GMime's fallbacks. */
char    *ms_rfc2047_decode           (const char        *raw);
/* What a client that ignores charsets shows: the encoded words' bytes and any raw 8-bit
 * bytes read as assumed_charset (NULL: "ISO-8859-1"); control characters appear as ^X. */
char    *ms_rfc2047_decode_naively   (const char        *raw,
                                      const char        *assumed_charset);

/* RFC 2231 §3-4: name*0*=charset''%XX...; name*1*=... as one string of parameters
 * (starting with "; "), folded with CRLF SP between segments. */
char    *ms_rfc2231_encode_param     (const char        *name,
                                      const char        *utf8_value,
                                      const char        *charset,
                                      GError           **error);

/* Folds a header value at spaces so that "Name: value" lines stay within
 * MS_HEADER_FOLD_WIDTH where possible (RFC 5322 §2.2.3). Existing CRLFs are kept. */
char    *ms_header_fold              (const char        *name,
                                      const char        *value);
/* Removes CRLF before WSP and trims surrounding white space (RFC 5322 §2.2.3). */
char    *ms_header_unfold            (const char        *raw_value);

/* RFC 5322 §3.3 date-time in English whatever the locale: "Sat, 28 Nov 2026 05:04:30 +0900". */
char    *ms_header_format_date       (GDateTime         *date);

G_END_DECLS
