/* ms-json-writer.c: JSON written as it goes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-trace"

#include "config.h"

#include <string.h>

#include "ms-json-writer.h"

void
ms_json_writer_init (MsJsonWriter *w,
                     GString      *out,
                     gboolean      pretty,
                     guint         depth)
{
  g_return_if_fail (depth < MS_JSON_WRITER_MAX_DEPTH);

  memset (w, 0, sizeof *w);
  w->out = out;
  w->pretty = pretty;
  w->depth = depth;
}

/* g_string_append_len without its checks (not inline in GLib 2.74): the writer appends
 * many short pieces. */
static inline void
put (GString    *out,
     const char *s,
     gsize       n)
{
  if (G_UNLIKELY (out->len + n >= out->allocated_len))
    {
      gsize len = out->len;

      g_string_set_size (out, len + n);  /* grows the buffer */
      out->len = len;
    }
  memcpy (out->str + out->len, s, n);
  out->len += n;
  out->str[out->len] = '\0';
}

static inline void
put_c (GString *out,
       char     c)
{
  put (out, &c, 1);
}

static void
indent (MsJsonWriter *w,
        guint         depth)
{
  static const char spaces[] = "                                                                ";

  put_c (w->out, '\n');
  for (guint n = depth * 2; n > 0;)
    {
      guint k = MIN (n, (guint) (sizeof spaces - 1));

      put (w->out, spaces, k);
      n -= k;
    }
}

/* Before any value or member: the comma and the line break. */
static void
item (MsJsonWriter *w)
{
  if (w->after_key)
    {
      w->after_key = FALSE;
      return;
    }
  if (w->depth == 0)
    return;
  if (w->has_items[w->depth - 1])
    put_c (w->out, ',');
  w->has_items[w->depth - 1] = TRUE;
  if (w->pretty)
    indent (w, w->depth);
}

static void
writer_open (MsJsonWriter *w,
      char          c)
{
  item (w);
  put_c (w->out, c);
  g_return_if_fail (w->depth + 1 < MS_JSON_WRITER_MAX_DEPTH);
  w->has_items[w->depth++] = FALSE;
}

static void
writer_close (MsJsonWriter *w,
       char          c)
{
  g_return_if_fail (w->depth > 0);
  if (w->has_items[--w->depth] && w->pretty)
    indent (w, w->depth);
  put_c (w->out, c);
}

void
ms_json_writer_begin_object (MsJsonWriter *w)
{
  writer_open (w, '{');
}

void
ms_json_writer_end_object (MsJsonWriter *w)
{
  writer_close (w, '}');
}

void
ms_json_writer_begin_array (MsJsonWriter *w)
{
  writer_open (w, '[');
}

void
ms_json_writer_end_array (MsJsonWriter *w)
{
  writer_close (w, ']');
}

/* RFC 8259 §7: quotation mark, reverse solidus and control characters escaped. */
static void
append_escaped (GString    *out,
                const char *text,
                gsize       len)
{
  static const char hex[] = "0123456789abcdef";
  gsize run = 0;

  put_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) text[i];
      const char *esc;
      char u[7];

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      put (out, text + run, (i - run));
      run = i + 1;
      switch (c)
        {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
          u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
          u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = 0;
          esc = u;
          break;
        }
      put (out, esc, strlen (esc));
    }
  put (out, text + run, (len - run));
  put_c (out, '"');
}

static gboolean
is_ascii (const char *text,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] >= 0x80)
      return FALSE;
  return TRUE;
}

void
ms_json_writer_string_len (MsJsonWriter *w,
                           const char   *text,
                           gsize         len)
{
  item (w);
  if (is_ascii (text, len) || g_utf8_validate_len (text, len, NULL))
    append_escaped (w->out, text, len);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (text, (gssize) len);

      append_escaped (w->out, valid, strlen (valid));
    }
}

void
ms_json_writer_string (MsJsonWriter *w,
                       const char   *text)
{
  if (text == NULL)
    ms_json_writer_null (w);
  else
    ms_json_writer_string_len (w, text, strlen (text));
}

static void
append_uint (GString *out,
             guint64  v)
{
  char buf[24];
  int n = (int) sizeof buf;

  do
    {
      buf[--n] = (char) ('0' + v % 10);
      v /= 10;
    }
  while (v > 0);
  put (out, buf + n, sizeof buf - n);
}

void
ms_json_writer_int (MsJsonWriter *w,
                    gint64        value)
{
  item (w);
  if (value < 0)
    {
      put_c (w->out, '-');
      append_uint (w->out, -(guint64) value);
    }
  else
    append_uint (w->out, (guint64) value);
}

void
ms_json_writer_seconds (MsJsonWriter *w,
                        gint64        t_us)
{
  guint64 v;
  char frac[7];
  guint64 us;

  item (w);
  if (t_us < 0)
    put_c (w->out, '-');
  v = t_us < 0 ? -(guint64) t_us : (guint64) t_us;
  append_uint (w->out, v / 1000000);
  us = v % 1000000;
  for (int i = 5; i >= 0; i--)
    {
      frac[i] = (char) ('0' + us % 10);
      us /= 10;
    }
  frac[6] = 0;
  put_c (w->out, '.');
  put (w->out, frac, 6);
}

void
ms_json_writer_bool (MsJsonWriter *w,
                     gboolean      value)
{
  item (w);
  put (w->out, value ? "true" : "false", value ? 4 : 5);
}

void
ms_json_writer_null (MsJsonWriter *w)
{
  item (w);
  put (w->out, "null", 4);
}

void
ms_json_writer_raw (MsJsonWriter *w,
                    const char   *json)
{
  item (w);
  put (w->out, json, strlen (json));
}

void
ms_json_writer_key (MsJsonWriter *w,
                    const char   *key)
{
  item (w);
  append_escaped (w->out, key, strlen (key));
  if (w->pretty)
    put (w->out, " : ", 3);
  else
    put_c (w->out, ':');
  w->after_key = TRUE;
}

void
ms_json_writer_member_string (MsJsonWriter *w,
                              const char   *key,
                              const char   *text)
{
  ms_json_writer_key (w, key);
  ms_json_writer_string (w, text);
}

void
ms_json_writer_member_int (MsJsonWriter *w,
                           const char   *key,
                           gint64        value)
{
  ms_json_writer_key (w, key);
  ms_json_writer_int (w, value);
}
