/* ms-smtp-sasl.c: base64, CRAM-MD5 and RFC 5322 dates for the SMTP engines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-smtp"

#include "config.h"

#include <string.h>

#include "ms-smtp-private.h"

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* Strict RFC 4648 base64 (what RFC 4954 §4 asks for): NULL when malformed. The result
 * is NUL-terminated after out_len bytes (it may contain NULs itself: SASL PLAIN). */
char *
_ms_smtp_base64_decode (const char *text,
                        gsize      *out_len)
{
  gsize len = strlen (text);
  gsize pad = 0;
  guchar *raw;
  gsize raw_len;
  char *out;

  if (len % 4 != 0)
    return NULL;
  if (len > 0 && text[len - 1] == '=')
    pad++;
  if (len > 1 && text[len - 2] == '=')
    pad++;
  for (gsize i = 0; i < len - pad; i++)
    if (!is_base64_char (text[i]))
      return NULL;
  if (len == 0)
    {
      *out_len = 0;
      return g_strdup ("");
    }
  raw = g_base64_decode (text, &raw_len);
  out = g_malloc (raw_len + 1);
  memcpy (out, raw, raw_len);
  out[raw_len] = '\0';
  g_free (raw);
  *out_len = raw_len;
  return out;
}

/* RFC 2195: the hex HMAC-MD5 (RFC 2104) of the challenge keyed with the secret. */
char *
_ms_smtp_cram_md5_digest (const char *secret,
                          const char *challenge)
{
  return g_compute_hmac_for_string (G_CHECKSUM_MD5, (const guchar *) secret, strlen (secret),
                                    challenge, -1);
}

/* RFC 5322 §3.3 date-time in UTC, English names whatever the locale. */
char *
_ms_smtp_format_date (gint64 unix_us)
{
  static const char * const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_us / G_USEC_PER_SEC);

  if (dt == NULL)
    dt = g_date_time_new_from_unix_utc (0);
  return g_strdup_printf ("%s, %d %s %04d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (dt) - 1],
                          g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt),
                          g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt),
                          g_date_time_get_second (dt));
}
