/* ms-spf-macro.c: RFC 7208 §7 macro expansion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-spf"

#include "config.h"

#include <string.h>

#include "ms-spf-macro.h"

G_DEFINE_QUARK (ms-spf-macro-error-quark, ms_spf_macro_error)

/* RFC 7208 §7.1: delimiter = "." / "-" / "+" / "," / "/" / "_" / "=" */
static gboolean
is_delimiter (char c)
{
  return c != '\0' && strchr (".-+,/_=", c) != NULL;
}

char *
ms_spf_macro_format_ip (GInetAddress *ip)
{
  const guint8 *bytes;
  GString *out;

  g_return_val_if_fail (G_IS_INET_ADDRESS (ip), NULL);
  if (g_inet_address_get_family (ip) == G_SOCKET_FAMILY_IPV4)
    return g_inet_address_to_string (ip);
  /* RFC 7208 §7.3: "dot-format": every nibble, most significant first. The test suite
   * and Mail::SPF write the hex digits in upper case; DNS does not care. */
  bytes = g_inet_address_to_bytes (ip);
  out = g_string_new (NULL);
  for (int i = 0; i < 16; i++)
    g_string_append_printf (out, "%s%X.%X", i > 0 ? "." : "", bytes[i] >> 4, bytes[i] & 0xf);
  return g_string_free (out, FALSE);
}

/* RFC 7208 §7.3: URL-escape everything outside the unreserved set of RFC 3986 */
static void
append_escaped (GString    *out,
                const char *value)
{
  for (const guint8 *p = (const guint8 *) value; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~')
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

static char *
letter_value (char                     letter,
              const MsSpfMacroContext *ctx)
{
  switch (g_ascii_tolower (letter))
    {
    case 's': return g_strdup (ctx->sender ? ctx->sender : "");
    case 'l': return g_strdup (ctx->local_part ? ctx->local_part : "");
    case 'o': return g_strdup (ctx->sender_domain ? ctx->sender_domain : "");
    case 'd': return g_strdup (ctx->domain ? ctx->domain : "");
    case 'h': return g_strdup (ctx->helo ? ctx->helo : "");
    case 'i': return ms_spf_macro_format_ip (ctx->ip);
    case 'c': return g_inet_address_to_string (ctx->ip);
    case 'v':
      return g_strdup (g_inet_address_get_family (ctx->ip) == G_SOCKET_FAMILY_IPV4
                       ? "in-addr" : "ip6");
    case 'r': return g_strdup (ctx->receiver ? ctx->receiver : "unknown");
    case 't':
      return g_strdup_printf ("%" G_GINT64_FORMAT,
                              ctx->timestamp > 0 ? ctx->timestamp
                                                 : g_get_real_time () / G_USEC_PER_SEC);
    case 'p':
      {
        char *p = ctx->validated ? ctx->validated (ctx->validated_data) : NULL;

        return p != NULL ? p : g_strdup ("unknown");
      }
    default:
      g_assert_not_reached ();
    }
}

/* RFC 7208 §7.3: split on the delimiters, optionally reverse, keep the rightmost N parts,
 * join with "." */
static char *
transform (const char *value,
           guint       digits,
           gboolean    reverse,
           const char *delimiters)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);
  const char *start = value;
  guint first;

  for (const char *p = value;; p++)
    {
      if (*p == '\0' || strchr (delimiters, *p) != NULL)
        {
          g_ptr_array_add (parts, g_strndup (start, (gsize) (p - start)));
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }
  if (reverse)
    for (guint i = 0; i < parts->len / 2; i++)
      {
        gpointer tmp = parts->pdata[i];

        parts->pdata[i] = parts->pdata[parts->len - 1 - i];
        parts->pdata[parts->len - 1 - i] = tmp;
      }
  first = digits > 0 && digits < parts->len ? parts->len - digits : 0;
  for (guint i = first; i < parts->len; i++)
    {
      if (i > first)
        g_string_append_c (out, '.');
      g_string_append (out, g_ptr_array_index (parts, i));
    }
  return g_string_free (out, FALSE);
}

gboolean
ms_spf_macro_expand (const char               *macro_string,
                     gsize                     len,
                     gboolean                  explanation,
                     const MsSpfMacroContext  *ctx,
                     char                    **out,
                     GError                  **error)
{
  g_autoptr(GString) result = g_string_new (NULL);
  const char *p = macro_string;
  const char *end = macro_string + len;

  g_return_val_if_fail (macro_string != NULL || len == 0, FALSE);

  while (p < end)
    {
      char letter;
      guint digits = 0;
      gboolean reverse = FALSE;
      char delimiters[8] = "";
      gsize n_delim = 0;
      const char *open;

      if (*p != '%')
        {
          g_string_append_c (result, *p++);
          continue;
        }
      open = p;
      p++;
      if (p >= end)
        {
          g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_SYNTAX,
                       "a '%%' at the end of '%.*s' (write %%%% for a percent sign)",
                       (int) len, macro_string);
          return FALSE;
        }
      /* RFC 7208 §7.1: "%%" / "%_" / "%-" */
      if (*p == '%' || *p == '_' || *p == '-')
        {
          g_string_append (result, *p == '%' ? "%" : *p == '_' ? " " : "%20");
          p++;
          continue;
        }
      if (*p != '{')
        {
          g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_SYNTAX,
                       "'%%%c' is not a macro: a '%%' must be followed by '{', '%%', '_' or '-'",
                       *p);
          return FALSE;
        }
      p++;
      if (p >= end)
        goto unclosed;
      letter = *p++;
      if (letter == '\0'
          || (strchr ("slodiphv", g_ascii_tolower (letter)) == NULL
              && !(explanation && strchr ("crt", g_ascii_tolower (letter)) != NULL)))
        {
          g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_LETTER,
                       letter != '\0' && strchr ("crtCRT", letter) != NULL
                       ? "macro letter '%c' is only allowed in explanation text"
                       : "'%c' is not a macro letter (s l o d i p h v; c r t in explanations)",
                       letter);
          return FALSE;
        }
      /* transformers = *DIGIT [ "r" ] */
      if (p < end && g_ascii_isdigit (*p))
        {
          gboolean any = FALSE;

          while (p < end && g_ascii_isdigit (*p))
            {
              digits = MIN (digits * 10 + (guint) (*p - '0'), 100000u);
              any = any || *p != '0';
              p++;
            }
          if (!any)
            {
              g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_TRANSFORM,
                           "the number of parts in '%.*s' must not be zero",
                           (int) (p - open + 1), open);
              return FALSE;
            }
        }
      if (p < end && (*p == 'r' || *p == 'R'))
        {
          reverse = TRUE;
          p++;
        }
      while (p < end && is_delimiter (*p))
        {
          if (strchr (delimiters, *p) == NULL && n_delim < sizeof delimiters - 1)
            delimiters[n_delim++] = *p;
          p++;
        }
      if (p >= end || *p != '}')
        goto unclosed;
      p++;

      if (ctx != NULL)
        {
          g_autofree char *value = letter_value (letter, ctx);
          g_autofree char *done = NULL;

          done = transform (value, digits, reverse, n_delim > 0 ? delimiters : ".");
          if (g_ascii_isupper (letter))
            append_escaped (result, done);
          else
            g_string_append (result, done);
        }
      if (result->len > MS_SPF_MACRO_MAX_OUTPUT)
        {
          g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_FAILED,
                       "macro expansion longer than %d octets", MS_SPF_MACRO_MAX_OUTPUT);
          return FALSE;
        }
      continue;

    unclosed:
      g_set_error (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_SYNTAX,
                   "'%.*s' is not a complete macro: expected %%{letter [digits] [r] "
                   "[delimiters]}", (int) (MIN (p, end) - open), open);
      return FALSE;
    }
  if (out != NULL && ctx != NULL)
    *out = g_strdup (result->str);
  return TRUE;
}
