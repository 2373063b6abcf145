/* ms-dns-zone-file.c: the zone text format of `mailsim spf --zone` (docs/spf.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One record a line: `name TYPE value`, `#` starts a comment. TXT and SPF take one or more
 * double-quoted character-strings (`\"` and `\\` escapes, at most 255 octets each), MX a
 * preference and a host (`.` for the null MX of RFC 7505), A/AAAA an address, PTR and CNAME
 * a host, TIMEOUT nothing. Errors name file:line:column and say what was expected.
 */
#define G_LOG_DOMAIN "ms-dns-zone"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "ms-dns-zone.h"

#define ZONE_FILE_MAX_BYTES (4 * 1024 * 1024)

typedef struct
{
  const char *filename;
  const char *line;     /* start of the current line */
  const char *end;      /* end of the current line (exclusive) */
  const char *pos;
  guint       lineno;
} Cursor;

static gboolean G_GNUC_PRINTF (3, 4)
fail_at (Cursor      *cur,
         GError     **error,
         const char  *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_SYNTAX, "%s:%u:%u: %s",
               cur->filename, cur->lineno, (guint) (cur->pos - cur->line) + 1, message);
  return FALSE;
}

static void
skip_blanks (Cursor *cur)
{
  while (cur->pos < cur->end && (*cur->pos == ' ' || *cur->pos == '\t'))
    cur->pos++;
}

static gboolean
at_end (Cursor *cur)
{
  skip_blanks (cur);
  return cur->pos >= cur->end || *cur->pos == '#';
}

/* a run of visible characters, stopping at blanks and comments */
static char *
read_token (Cursor *cur)
{
  const char *start;

  skip_blanks (cur);
  start = cur->pos;
  while (cur->pos < cur->end && *cur->pos != ' ' && *cur->pos != '\t' && *cur->pos != '#')
    cur->pos++;
  if (cur->pos == start)
    return NULL;
  return g_strndup (start, (gsize) (cur->pos - start));
}

/* "..." with \" and \\ (and RFC 1035 \DDD); the quote at cur->pos */
static GBytes *
read_quoted (Cursor  *cur,
             GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const char *open = cur->pos;

  cur->pos++;
  for (;;)
    {
      guint8 c;

      if (cur->pos >= cur->end)
        {
          cur->pos = open;
          fail_at (cur, error, "expected a closing double quote for this string");
          return NULL;
        }
      c = (guint8) *cur->pos;
      if (c == '"')
        break;
      if (c == '\\')
        {
          cur->pos++;
          if (cur->pos >= cur->end)
            continue;
          c = (guint8) *cur->pos;
          if (g_ascii_isdigit (c))
            {
              guint value = 0;

              for (int i = 0; i < 3; i++, cur->pos++)
                {
                  if (cur->pos >= cur->end || !g_ascii_isdigit (*cur->pos))
                    {
                      fail_at (cur, error, "expected three decimal digits after “\\”");
                      return NULL;
                    }
                  value = value * 10 + (guint) (*cur->pos - '0');
                }
              if (value > 255)
                {
                  cur->pos -= 3;
                  fail_at (cur, error, "expected an octet value of at most 255");
                  return NULL;
                }
              c = (guint8) value;
              g_byte_array_append (out, &c, 1);
              continue;
            }
        }
      g_byte_array_append (out, &c, 1);
      cur->pos++;
    }
  if (out->len > MS_DNS_MAX_STRING)
    {
      cur->pos = open;
      fail_at (cur, error, "expected at most %d octets in one string (split it into "
               "several quoted strings)", MS_DNS_MAX_STRING);
      return NULL;
    }
  cur->pos++;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static char *
read_name (Cursor      *cur,
           const char  *what,
           GError     **error)
{
  const char *start;
  g_autofree char *name = NULL;

  skip_blanks (cur);
  start = cur->pos;
  if (cur->pos < cur->end && *cur->pos == '"')
    {
      g_autoptr(GBytes) bytes = read_quoted (cur, error);
      gsize n;
      const char *data;

      if (bytes == NULL)
        return NULL;
      data = g_bytes_get_data (bytes, &n);
      if (memchr (data, '\0', n) != NULL)
        {
          cur->pos = start;
          fail_at (cur, error, "expected %s without NUL octets", what);
          return NULL;
        }
      name = g_strndup (data, n);
    }
  else
    name = read_token (cur);
  if (name == NULL)
    {
      fail_at (cur, error, "expected %s", what);
      return NULL;
    }
  if (strcmp (name, ".") != 0 && !ms_dns_name_is_valid (name))
    {
      cur->pos = start;
      fail_at (cur, error, "expected %s (labels of 1 to %d octets, at most %d in all), "
               "not “%s”", what, MS_DNS_MAX_LABEL, MS_DNS_MAX_NAME, name);
      return NULL;
    }
  return g_steal_pointer (&name);
}

static gboolean
parse_line (MsDnsZone  *zone,
            Cursor     *cur,
            GError    **error)
{
  g_autofree char *owner = NULL;
  g_autofree char *type_name = NULL;
  const char *type_at;
  MsDnsType type;

  if (at_end (cur))
    return TRUE;
  if (!(owner = read_name (cur, "a domain name", error)))
    return FALSE;
  skip_blanks (cur);
  type_at = cur->pos;
  type_name = read_token (cur);
  if (type_name == NULL)
    return fail_at (cur, error,
                    "expected a record type (A, AAAA, MX, TXT, PTR, CNAME, SPF or TIMEOUT)");

  if (g_ascii_strcasecmp (type_name, "TIMEOUT") == 0)
    ms_dns_zone_add_timeout (zone, owner);
  else if (!ms_dns_type_from_string (type_name, &type))
    {
      cur->pos = type_at;
      return fail_at (cur, error, "expected a record type (A, AAAA, MX, TXT, PTR, CNAME, SPF "
                      "or TIMEOUT), not “%s”", type_name);
    }
  else if (type == MS_DNS_TYPE_A || type == MS_DNS_TYPE_AAAA)
    {
      g_autofree char *text = NULL;
      g_autoptr(GInetAddress) address = NULL;
      const char *at;

      skip_blanks (cur);
      at = cur->pos;
      text = read_token (cur);
      if (text != NULL && strchr (text, '%') == NULL)
        address = g_inet_address_new_from_string (text);
      if (address == NULL
          || (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
             != (type == MS_DNS_TYPE_A))
        {
          cur->pos = at;
          return fail_at (cur, error, type == MS_DNS_TYPE_A
                          ? "expected an IPv4 address (192.0.2.1)"
                          : "expected an IPv6 address (2001:db8::1)");
        }
      ms_dns_zone_add_inet_address (zone, owner, address);
    }
  else if (type == MS_DNS_TYPE_MX)
    {
      g_autofree char *pref = NULL;
      g_autofree char *host = NULL;
      guint64 value = 0;
      const char *at;

      skip_blanks (cur);
      at = cur->pos;
      pref = read_token (cur);
      if (pref == NULL || !g_ascii_string_to_unsigned (pref, 10, 0, G_MAXUINT16, &value, NULL))
        {
          cur->pos = at;
          return fail_at (cur, error, "expected an MX preference from 0 to 65535");
        }
      if (!(host = read_name (cur, "the mail exchanger host name", error)))
        return FALSE;
      ms_dns_zone_add_mx (zone, owner, (guint16) value, host);
    }
  else if (type == MS_DNS_TYPE_PTR || type == MS_DNS_TYPE_CNAME)
    {
      g_autofree char *host = read_name (cur, "a host name", error);

      if (host == NULL)
        return FALSE;
      if (type == MS_DNS_TYPE_PTR)
        ms_dns_zone_add_ptr (zone, owner, host);
      else
        ms_dns_zone_add_cname (zone, owner, host);
    }
  else
    {
      g_autoptr(GPtrArray) strings = NULL;

      strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      /* RFC 7208 §3.3: several strings, joined without separator */
      while (!at_end (cur))
        {
          GBytes *bytes;

          if (*cur->pos != '"')
            return fail_at (cur, error, "expected a double-quoted string");
          if (!(bytes = read_quoted (cur, error)))
            return FALSE;
          g_ptr_array_add (strings, bytes);
          if (cur->pos < cur->end && *cur->pos != ' ' && *cur->pos != '\t' && *cur->pos != '#')
            return fail_at (cur, error, "expected a space between strings");
        }
      if (strings->len == 0)
        return fail_at (cur, error, "expected one or more double-quoted strings");
      ms_dns_zone_add_txt_bytes (zone, owner, type, strings);
    }

  if (!at_end (cur))
    return fail_at (cur, error, "expected the end of the line (or a # comment)");
  return TRUE;
}

/**
 * ms_dns_zone_load_data:
 * @filename: named in error messages
 *
 * Adds the records of a zone text to @self. On a syntax error, @self keeps the records of
 * the lines before it and @error says file:line:column and what was expected.
 */
gboolean
ms_dns_zone_load_data (MsDnsZone   *self,
                       const char  *data,
                       gssize       len,
                       const char  *filename,
                       GError     **error)
{
  const char *p, *end;
  Cursor cur = { 0 };

  g_return_val_if_fail (MS_IS_DNS_ZONE (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (len < 0)
    len = (gssize) strlen (data);
  cur.filename = filename != NULL ? filename : "<zone>";
  p = data;
  end = data + len;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = nl != NULL ? nl : end;

      cur.lineno++;
      cur.line = p;
      cur.pos = p;
      cur.end = line_end;
      if (cur.end > cur.line && cur.end[-1] == '\r')
        cur.end--;
      for (const char *q = cur.line; q < cur.end; q++)
        if (*q == '\0')
          {
            cur.pos = q;
            return fail_at (&cur, error, "expected text, not a NUL octet");
          }
      if (!parse_line (self, &cur, error))
        return FALSE;
      p = nl != NULL ? nl + 1 : end;
    }
  return TRUE;
}

MsDnsZone *
ms_dns_zone_new_from_file (const char  *path,
                           GError     **error)
{
  g_autoptr(MsDnsZone) zone = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len > ZONE_FILE_MAX_BYTES)
    {
      g_set_error (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_FAILED,
                   "%s: zone file larger than %d bytes", path, ZONE_FILE_MAX_BYTES);
      return NULL;
    }
  zone = ms_dns_zone_new ();
  if (!ms_dns_zone_load_data (zone, contents, (gssize) len, path, error))
    return NULL;
  return g_steal_pointer (&zone);
}
