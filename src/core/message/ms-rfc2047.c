/* ms-rfc2047.c: encoded words (RFC 2047), parameter values (RFC 2231), folding, dates
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-message"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "ms-message-private.h"
#include "ms-rfc2047.h"

/* RFC 2047 §5 (3): the characters a Q word may carry as themselves in any position. */
static gboolean
q_safe (guchar c)
{
  return g_ascii_isalnum (c) || strchr ("!*+-/", c) != NULL;
}

static gboolean
is_utf8_charset (const char *charset)
{
  return g_ascii_strcasecmp (charset, "UTF-8") == 0 || g_ascii_strcasecmp (charset, "UTF8") == 0;
}

static gboolean
word_needs_encoding (const char *word,
                     gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) word[i];

      if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f)
        return TRUE;
      /* Text that a decoder would take for an encoded word must be encoded itself. */
      if (c == '=' && i + 1 < len && word[i + 1] == '?'
          && g_strstr_len (word + i + 2, len - i - 2, "?=") != NULL)
        return TRUE;
    }
  return FALSE;
}

/* Converts a UTF-8 chunk to the target charset. For stateful charsets (ISO-2022-JP)
 * g_convert flushes the converter, so every chunk ends back in ASCII as RFC 2047 §3
 * requires of each encoded word. */
static GBytes *
to_charset (const char  *utf8,
            gsize        len,
            const char  *charset,
            GError     **error)
{
  g_autoptr(GError) local = NULL;
  gsize written = 0;
  char *out;

  if (is_utf8_charset (charset))
    return g_bytes_new (utf8, len);
  out = g_convert (utf8, (gssize) len, charset, "UTF-8", NULL, &written, &local);
  if (out == NULL)
    {
      g_autofree char *text = g_strndup (utf8, len);

      g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_FAILED,
                   "“%s” cannot be written in %s: %s", text, charset, local->message);
      return NULL;
    }
  return g_bytes_new_take (out, written);
}

static void
append_encoded_word (GString          *out,
                     GBytes           *bytes,
                     const char       *charset,
                     MsHeaderEncoding  encoding)
{
  gsize len;
  const guchar *data = g_bytes_get_data (bytes, &len);

  g_string_append_printf (out, "=?%s?%c?", charset, encoding == MS_HEADER_ENCODING_Q ? 'Q' : 'B');
  if (encoding == MS_HEADER_ENCODING_Q)
    {
      for (gsize i = 0; i < len; i++)
        {
          if (data[i] == ' ')
            g_string_append_c (out, '_');
          else if (q_safe (data[i]))
            g_string_append_c (out, (char) data[i]);
          else
            g_string_append_printf (out, "=%02X", data[i]);
        }
    }
  else
    {
      g_autofree char *b64 = g_base64_encode (data, len);
      g_string_append (out, b64);
    }
  g_string_append (out, "?=");
}

static gsize
encoded_word_length (GBytes           *bytes,
                     const char       *charset,
                     MsHeaderEncoding  encoding)
{
  g_autoptr(GString) tmp = g_string_new (NULL);

  append_encoded_word (tmp, bytes, charset, encoding);
  return tmp->len;
}

/* Cuts the span into the longest chunks (whole characters) whose encoded words fit. */
static gboolean
encode_span (GString          *out,
             const char       *span,
             gsize             span_len,
             const char       *charset,
             MsHeaderEncoding  encoding,
             gsize             max_word,
             GError          **error)
{
  const char *start = span;
  const char *end = span + span_len;
  g_autoptr(GBytes) good = NULL;
  const char *good_end = start;
  const char *p = start;

  while (p < end)
    {
      const char *next = g_utf8_next_char (p);
      g_autoptr(GBytes) candidate = to_charset (start, next - start, charset, error);

      if (candidate == NULL)
        return FALSE;
      if (encoded_word_length (candidate, charset, encoding) > max_word
          && good != NULL)
        {
          if (out->len > 0 && out->str[out->len - 1] != ' ')
            g_string_append_c (out, ' ');
          append_encoded_word (out, good, charset, encoding);
          g_clear_pointer (&good, g_bytes_unref);
          start = good_end;
          continue;   /* retry this character at the start of a new word */
        }
      g_clear_pointer (&good, g_bytes_unref);
      good = g_steal_pointer (&candidate);
      good_end = next;
      p = next;
    }
  if (good != NULL)
    {
      if (out->len > 0 && out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
      append_encoded_word (out, good, charset, encoding);
    }
  return TRUE;
}

static char *
encode_text (const char        *utf8,
             const char        *charset,
             MsHeaderEncoding   encoding,
             gboolean           whole,
             gsize              max_word,
             GError           **error)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GString) out = NULL;
  int first = -1;
  int last = -1;
  g_autoptr(GString) span = NULL;

  g_return_val_if_fail (utf8 != NULL, NULL);

  if (charset == NULL)
    charset = "UTF-8";
  if (!g_utf8_validate (utf8, -1, NULL))
    {
      g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_SYNTAX, "text is not valid UTF-8");
      return NULL;
    }

  words = g_strsplit (utf8, " ", -1);
  for (int i = 0; words[i] != NULL; i++)
    if (word_needs_encoding (words[i], strlen (words[i])))
      {
        if (first < 0)
          first = i;
        last = i;
      }
  if (first < 0)
    return g_strdup (utf8);
  if (whole)
    {
      first = 0;
      last = (int) g_strv_length (words) - 1;
    }

  /* White space between encoded words is dropped by decoders (RFC 2047 §6.2), so the
   * spaces inside the span travel inside the encoded text. */
  out = g_string_new (NULL);
  span = g_string_new (NULL);
  for (int i = 0; words[i] != NULL; i++)
    {
      if (i < first || i > last)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          g_string_append (out, words[i]);
          continue;
        }
      if (i > first)
        g_string_append_c (span, ' ');
      g_string_append (span, words[i]);
      if (i == last)
        {
          if (i > 0 && first > 0)
            g_string_append_c (out, ' ');
          if (!encode_span (out, span->str, span->len, charset, encoding, max_word, error))
            return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
ms_rfc2047_encode (const char        *utf8,
                   const char        *charset,
                   MsHeaderEncoding   encoding,
                   GError           **error)
{
  return encode_text (utf8, charset, encoding, FALSE, MS_RFC2047_MAX_WORD, error);
}

char *
ms_rfc2047_encode_phrase (const char        *utf8,
                          const char        *charset,
                          MsHeaderEncoding   encoding,
                          GError           **error)
{
  return encode_text (utf8, charset, encoding, TRUE, MS_RFC2047_MAX_WORD, error);
}

char *
_ms_rfc2047_encode_phrase_limited (const char        *utf8,
                                   const char        *charset,
                                   MsHeaderEncoding   encoding,
                                   gsize              max_word,
                                   GError           **error)
{
  return encode_text (utf8, charset ? charset : "UTF-8", encoding, TRUE, max_word, error);
}

char *
ms_rfc2047_decode (const char *raw)
{
  char *decoded;

  g_return_val_if_fail (raw != NULL, NULL);

  _ms_message_init_gmime ();
  decoded = g_mime_utils_header_decode_text (NULL, raw);
  /* GMime passes some raw 8-bit runs through unconverted; callers are promised UTF-8
   * (found by fuzz-message). */
  if (decoded != NULL && !g_utf8_validate (decoded, -1, NULL))
    {
      char *valid = g_utf8_make_valid (decoded, -1);

      g_free (decoded);
      decoded = valid;
    }
  return decoded;
}

char *
_ms_convert_lossy (const char *data,
                   gsize       len,
                   const char *from_charset)
{
  GIConv cd;
  g_autoptr(GString) out = g_string_new (NULL);
  char *in = (char *) data;
  gsize in_left = len;

  cd = g_iconv_open ("UTF-8", from_charset);
  if (cd == (GIConv) -1)
    {
      /* Unknown charset: keep ASCII, mark the rest. */
      for (gsize i = 0; i < len; i++)
        {
          if ((guchar) data[i] < 0x80)
            g_string_append_c (out, data[i]);
          else
            g_string_append (out, "\xEF\xBF\xBD");
        }
      return g_string_free (g_steal_pointer (&out), FALSE);
    }
  while (in_left > 0)
    {
      char buf[256];
      char *outp = buf;
      gsize out_left = sizeof buf;
      gsize r = g_iconv (cd, &in, &in_left, &outp, &out_left);

      g_string_append_len (out, buf, outp - buf);
      if (r == (gsize) -1)
        {
          if (errno == E2BIG)
            continue;
          /* EILSEQ or a truncated sequence at the end: one replacement, skip a byte. */
          g_string_append (out, "\xEF\xBF\xBD");
          in++;
          in_left--;
          g_iconv (cd, NULL, NULL, NULL, NULL);
        }
    }
  {
    char buf[64];
    char *outp = buf;
    gsize out_left = sizeof buf;

    g_iconv (cd, NULL, NULL, &outp, &out_left);
    g_string_append_len (out, buf, outp - buf);
  }
  g_iconv_close (cd);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Parses "=?charset?X?text?=" at p; on success appends the payload bytes and returns
 * the position after the word, else NULL. */
static const char *
take_encoded_word (const char *p,
                   GByteArray *bytes)
{
  const char *q1;
  const char *q2;
  const char *endw;
  char enc;

  if (p[0] != '=' || p[1] != '?')
    return NULL;
  q1 = strchr (p + 2, '?');
  if (q1 == NULL || q1 == p + 2 || q1[1] == '\0' || q1[2] != '?')
    return NULL;
  enc = g_ascii_toupper (q1[1]);
  if (enc != 'B' && enc != 'Q')
    return NULL;
  q2 = q1 + 3;
  endw = strstr (q2, "?=");
  if (endw == NULL)
    return NULL;
  for (const char *c = q2; c < endw; c++)
    if (*c == ' ' || *c == '\t')
      return NULL;

  if (enc == 'B')
    {
      g_autofree char *text = g_strndup (q2, endw - q2);
      gsize n = 0;
      guchar *decoded = g_base64_decode (text, &n);

      g_byte_array_append (bytes, decoded, n);
      g_free (decoded);
    }
  else
    {
      for (const char *c = q2; c < endw; c++)
        {
          guchar b = (guchar) *c;

          if (*c == '_')
            b = ' ';
          else if (*c == '=' && c + 2 < endw && hex_value (c[1]) >= 0
                   && hex_value (c[2]) >= 0)
            {
              b = (guchar) (hex_value (c[1]) * 16 + hex_value (c[2]));
              c += 2;
            }
          g_byte_array_append (bytes, &b, 1);
        }
    }
  return endw + 2;
}

char *
ms_rfc2047_decode_naively (const char *raw,
                           const char *assumed_charset)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autofree char *text = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  const char *p = raw;
  gboolean after_word = FALSE;

  g_return_val_if_fail (raw != NULL, NULL);

  if (assumed_charset == NULL)
    assumed_charset = "WINDOWS-1252";

  while (*p != '\0')
    {
      const char *next = take_encoded_word (p, bytes);

      if (next != NULL)
        {
          p = next;
          after_word = TRUE;
          continue;
        }
      if (after_word && (*p == ' ' || *p == '\t'))
        {
          /* Space between two encoded words is dropped, as any decoder does. */
          const char *q = p;

          while (*q == ' ' || *q == '\t')
            q++;
          if (take_encoded_word (q, bytes) != NULL)
            {
              p = q;
              continue;
            }
        }
      after_word = FALSE;
      g_byte_array_append (bytes, (const guint8 *) p, 1);
      p++;
    }

  text = _ms_convert_lossy ((const char *) bytes->data, bytes->len, assumed_charset);
  /* Control characters (ESC of ISO-2022-JP above all) in caret notation. */
  for (const char *c = text; *c != '\0'; c++)
    {
      guchar b = (guchar) *c;

      if ((b < 0x20 && b != '\t') || b == 0x7f)
        g_string_append_printf (shown, "^%c", b == 0x7f ? '?' : b + '@');
      else
        g_string_append_c (shown, *c);
    }
  return g_string_free (g_steal_pointer (&shown), FALSE);
}

/* RFC 2231 §7: attribute-char, less the characters that need quoting. */
static gboolean
attr_char (guchar c)
{
  return g_ascii_isalnum (c) || strchr ("!#$&+-.^_`|~", c) != NULL;
}

#define RFC2231_SEGMENT 60

char *
ms_rfc2231_encode_param (const char  *name,
                         const char  *utf8_value,
                         const char  *charset,
                         GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GString) encoded = NULL;
  g_autoptr(GString) out = NULL;
  g_autoptr(GPtrArray) segments = NULL;
  const guchar *data;
  gsize len;

  g_return_val_if_fail (name != NULL && utf8_value != NULL, NULL);

  if (charset == NULL)
    charset = "UTF-8";
  out = g_string_new (NULL);
  if (!word_needs_encoding (utf8_value, strlen (utf8_value)))
    {
      /* Plain ASCII: a quoted-string (RFC 2045 §5.1). */
      g_string_append_printf (out, "; %s=\"", name);
      for (const char *c = utf8_value; *c != '\0'; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *c);
        }
      g_string_append_c (out, '"');
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  /* Segments hold whole characters, each converted on its own, so that every one decodes
   * alone (Python's email package decodes them one by one; a stateful charset must be
   * back in ASCII at the end of each). */
  segments = g_ptr_array_new_with_free_func (g_free);
  {
    const char *start = utf8_value;
    const char *p = utf8_value;
    g_autofree char *good = NULL;
    const char *good_end = start;

    while (*p != '\0')
      {
        const char *next = g_utf8_next_char (p);
        gsize budget = MS_HEADER_FOLD_WIDTH - strlen (name) - 8
                       - (segments->len == 0 ? strlen (charset) + 2 : 0);
        g_autofree char *candidate = NULL;

        bytes = to_charset (start, next - start, charset, error);
        if (bytes == NULL)
          return NULL;
        data = g_bytes_get_data (bytes, &len);
        encoded = g_string_new (NULL);
        for (gsize i = 0; i < len; i++)
          {
            if (attr_char (data[i]))
              g_string_append_c (encoded, (char) data[i]);
            else
              g_string_append_printf (encoded, "%%%02X", data[i]);
          }
        g_clear_pointer (&bytes, g_bytes_unref);
        candidate = g_string_free (g_steal_pointer (&encoded), FALSE);
        if (strlen (candidate) > MIN (budget, RFC2231_SEGMENT) && good != NULL)
          {
            g_ptr_array_add (segments, g_steal_pointer (&good));
            start = good_end;
            continue;
          }
        g_free (good);
        good = g_steal_pointer (&candidate);
        good_end = next;
        p = next;
      }
    if (good != NULL)
      g_ptr_array_add (segments, g_steal_pointer (&good));
  }

  if (segments->len == 1)
    g_string_append_printf (out, ";\r\n %s*=%s''%s", name, charset,
                            (char *) g_ptr_array_index (segments, 0));
  else
    for (guint i = 0; i < segments->len; i++)
      {
        g_string_append_printf (out, ";\r\n %s*%u*=", name, i);
        if (i == 0)
          g_string_append_printf (out, "%s''", charset);
        g_string_append (out, g_ptr_array_index (segments, i));
      }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
ms_header_fold (const char *name,
                const char *value)
{
  g_autoptr(GString) out = NULL;
  g_auto(GStrv) words = NULL;
  gsize line_len;

  g_return_val_if_fail (name != NULL && value != NULL, NULL);

  while (*value == ' ' || *value == '\t')
    value++;
  out = g_string_new (NULL);
  if (strchr (value, '\n') != NULL)
    {
      g_string_append_c (out, ' ');
      g_string_append (out, value);
      return g_string_free (g_steal_pointer (&out), FALSE);
    }

  line_len = strlen (name) + 1;
  words = g_strsplit (value, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize wlen = strlen (words[i]);

      if (i > 0 && wlen > 0 && line_len + 1 + wlen > MS_HEADER_FOLD_WIDTH)
        {
          g_string_append (out, "\r\n ");
          line_len = 1;
        }
      else
        {
          g_string_append_c (out, ' ');
          line_len++;
        }
      g_string_append (out, words[i]);
      line_len += wlen;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
ms_header_unfold (const char *raw_value)
{
  GString *out;
  const char *p;

  g_return_val_if_fail (raw_value != NULL, NULL);

  p = raw_value;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  out = g_string_new (NULL);
  for (; *p != '\0'; p++)
    {
      if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t'))
        {
          p++;
          continue;
        }
      if (p[0] == '\n' && (p[1] == ' ' || p[1] == '\t'))
        continue;
      g_string_append_c (out, *p);
    }
  while (out->len > 0 && strchr (" \t\r\n", out->str[out->len - 1]) != NULL)
    g_string_truncate (out, out->len - 1);
  return g_string_free (out, FALSE);
}

char *
ms_header_format_date (GDateTime *date)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  gint64 offset_min;
  char sign;

  g_return_val_if_fail (date != NULL, NULL);

  offset_min = g_date_time_get_utc_offset (date) / G_TIME_SPAN_MINUTE;
  sign = offset_min < 0 ? '-' : '+';
  if (offset_min < 0)
    offset_min = -offset_min;
  return g_strdup_printf ("%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d",
                          days[g_date_time_get_day_of_week (date) - 1],
                          g_date_time_get_day_of_month (date),
                          months[g_date_time_get_month (date) - 1],
                          g_date_time_get_year (date),
                          g_date_time_get_hour (date),
                          g_date_time_get_minute (date),
                          g_date_time_get_second (date),
                          sign, (int) (offset_min / 60), (int) (offset_min % 60));
}
