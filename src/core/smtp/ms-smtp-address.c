/* ms-smtp-address.c: RFC 5321 §4.1.2 Reverse-path / Forward-path parsing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   Path         = "<" [ A-d-l ":" ] Mailbox ">"
 *   A-d-l        = At-domain *( "," At-domain )      ; source route, ignored (§4.1.1.3)
 *   Mailbox      = Local-part "@" ( Domain / address-literal )
 *   Local-part   = Dot-string / Quoted-string
 *   Domain       = sub-domain *("." sub-domain)     ; sub-domain = Let-dig [Ldh-str]
 *
 * Deviation, as Postfix (strict_rfc821_envelopes = no): a mailbox without the angle
 * brackets ("MAIL FROM:alice@example.com") is tolerated and flagged.
 */
#define G_LOG_DOMAIN "ms-smtp"

#include "config.h"

#include <string.h>

#include "ms-smtp-address.h"

/* RFC 5322 §3.2.3 atext */
static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static const char *
scan_dot_string (const char *p)
{
  for (;;)
    {
      const char *start = p;

      while (is_atext (*p))
        p++;
      if (p == start)
        return NULL;  /* empty atom: leading, trailing or double dot */
      if (*p != '.')
        return p;
      p++;
    }
}

/* Quoted-string with qtextSMTP (%d32-33 / %d35-91 / %d93-126) and quoted-pairSMTP. */
static const char *
scan_quoted_string (const char *p)
{
  g_assert (*p == '"');
  p++;
  for (;;)
    {
      if (*p == '"')
        return p + 1;
      if (*p == '\\')
        {
          if (p[1] < 32 || p[1] > 126)
            return NULL;
          p += 2;
          continue;
        }
      if (*p < 32 || *p > 126)
        return NULL;
      p++;
    }
}

static const char *
scan_domain (const char *p)
{
  for (;;)
    {
      const char *start = p;

      if (!g_ascii_isalnum (*p))
        return NULL;
      while (g_ascii_isalnum (*p) || *p == '-')
        p++;
      if (p[-1] == '-')
        return NULL;  /* Ldh-str ends in Let-dig */
      if (p - start > 63)
        return NULL;
      if (*p != '.' || !g_ascii_isalnum (p[1]))
        return p;
      p++;
    }
}

/* address-literal: "[" IPv4 / "IPv6:" IPv6 / General-address-literal "]" */
static const char *
scan_address_literal (const char *p)
{
  const char *end;
  g_autofree char *inner = NULL;

  g_assert (*p == '[');
  end = strchr (p, ']');
  if (end == NULL || end == p + 1)
    return NULL;
  inner = g_strndup (p + 1, end - p - 1);
  if (g_ascii_strncasecmp (inner, "IPv6:", 5) == 0)
    {
      for (const char *q = inner + 5; *q; q++)
        if (!g_ascii_isxdigit (*q) && *q != ':' && *q != '.')
          return NULL;
      return end + 1;
    }
  {
    guint dots = 0;
    guint digits = 0;
    guint value = 0;

    for (const char *q = inner; *q; q++)
      {
        if (g_ascii_isdigit (*q))
          {
            value = value * 10 + (guint) (*q - '0');
            if (++digits > 3 || value > 255)
              return NULL;
          }
        else if (*q == '.' && digits > 0)
          {
            dots++;
            digits = 0;
            value = 0;
          }
        else
          return NULL;
      }
    if (dots != 3 || digits == 0)
      return NULL;
  }
  return end + 1;
}

static const char *
scan_at_domain_list (const char *p)
{
  /* "@a.example,@b.example:" */
  for (;;)
    {
      if (*p != '@')
        return NULL;
      p = scan_domain (p + 1);
      if (p == NULL)
        return NULL;
      if (*p == ':')
        return p + 1;
      if (*p != ',')
        return NULL;
      p++;
    }
}

void
ms_smtp_path_clear (MsSmtpPath *path)
{
  if (path == NULL)
    return;
  g_clear_pointer (&path->mailbox, g_free);
  g_clear_pointer (&path->local_part, g_free);
  g_clear_pointer (&path->domain, g_free);
  path->is_null = FALSE;
  path->had_brackets = FALSE;
  path->had_route = FALSE;
}

gboolean
ms_smtp_path_parse (const char       *text,
                    MsSmtpPathFlags   flags,
                    MsSmtpPath       *path,
                    const char      **rest,
                    const char      **reason)
{
  const char *p;
  const char *local_start;
  const char *local_end;
  const char *domain_start = NULL;
  const char *domain_end = NULL;
  const char *path_start;
  gboolean brackets;
  const char *why = NULL;

  g_return_val_if_fail (text != NULL && path != NULL, FALSE);

  memset (path, 0, sizeof *path);
  p = text;
  while (*p == ' ')
    p++;
  path_start = p;
  brackets = *p == '<';
  if (brackets)
    p++;

  if (brackets && *p == '>')
    {
      if ((flags & MS_SMTP_PATH_REVERSE) == 0)
        {
          why = "the null path <> is only allowed in MAIL FROM";
          goto fail;
        }
      path->is_null = TRUE;
      path->had_brackets = TRUE;
      path->mailbox = g_strdup ("");
      p++;
      goto done;
    }

  if (brackets && *p == '@')
    {
      p = scan_at_domain_list (p);
      if (p == NULL)
        {
          why = "malformed source route";
          goto fail;
        }
      path->had_route = TRUE;
    }

  local_start = p;
  if (*p == '"')
    local_end = scan_quoted_string (p);
  else
    local_end = scan_dot_string (p);
  if (local_end == NULL)
    {
      why = *p == '\0' || *p == '>' || *p == ' ' ? "empty address" : "malformed local part";
      goto fail;
    }
  if (local_end - local_start > MS_SMTP_MAX_LOCAL_PART)
    {
      why = "local part longer than 64 octets (RFC 5321 §4.5.3.1.1)";
      goto fail;
    }
  p = local_end;
  if (*p == '@')
    {
      p++;
      domain_start = p;
      domain_end = *p == '[' ? scan_address_literal (p) : scan_domain (p);
      if (domain_end == NULL)
        {
          why = "malformed domain";
          goto fail;
        }
      if (domain_end - domain_start > MS_SMTP_MAX_DOMAIN)
        {
          why = "domain longer than 255 octets (RFC 5321 §4.5.3.1.2)";
          goto fail;
        }
      p = domain_end;
    }
  else if ((flags & MS_SMTP_PATH_POSTMASTER) != 0 && brackets
           && local_end - local_start == 10
           && g_ascii_strncasecmp (local_start, "postmaster", 10) == 0)
    {
      /* RFC 5321 §4.1.1.3: "RCPT TO:<Postmaster>" must be accepted without a domain. */
    }
  else
    {
      why = "the address has no domain part";
      goto fail;
    }

  if (brackets)
    {
      if (*p != '>')
        {
          why = "missing closing '>'";
          goto fail;
        }
      p++;
    }
  else if (*p != '\0' && *p != ' ')
    {
      why = "unexpected characters after the address";
      goto fail;
    }

  if ((gsize) (p - path_start) > MS_SMTP_MAX_PATH)
    {
      why = "path longer than 256 octets (RFC 5321 §4.5.3.1.3)";
      goto fail;
    }

  path->had_brackets = brackets;
  path->local_part = g_strndup (local_start, local_end - local_start);
  if (domain_start != NULL)
    {
      path->domain = g_strndup (domain_start, domain_end - domain_start);
      path->mailbox = g_strndup (local_start, domain_end - local_start);
    }
  else
    path->mailbox = g_strdup (path->local_part);

done:
  if (*p != '\0' && *p != ' ')
    {
      ms_smtp_path_clear (path);
      why = "unexpected characters after the address";
      goto fail;
    }
  if (rest != NULL)
    *rest = p;
  if (reason != NULL)
    *reason = NULL;
  return TRUE;

fail:
  if (reason != NULL)
    *reason = why;
  if (rest != NULL)
    *rest = NULL;
  return FALSE;
}
