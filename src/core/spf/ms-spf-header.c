/* ms-spf-header.c: SPF results as header fields (RFC 7208 §9.1, RFC 8601 §2.7.2)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-spf"

#include "config.h"

#include <string.h>

#include "ms-spf.h"

/* RFC 5322 §3.2.3 atext */
static gboolean
is_atext (char c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static gboolean
is_dot_atom (const char *text)
{
  gboolean after_dot = TRUE;

  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '.')
        {
          if (after_dot)
            return FALSE;
          after_dot = TRUE;
        }
      else if (!is_atext (*p))
        return FALSE;
      else
        after_dot = FALSE;
    }
  return !after_dot;
}

/* Header fields are ASCII (RFC 5322 §2.2): other octets become '?', controls go */
static void
append_ascii (GString *out,
              char     c)
{
  if ((guchar) c > 0x7e)
    g_string_append_c (out, '?');
  else if ((guchar) c >= 0x20)
    g_string_append_c (out, c);
}

/* RFC 5322 §3.2.4 quoted-string; control characters cannot be quoted, so they go */
static void
append_quoted (GString    *out,
               const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      append_ascii (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_value (GString    *out,
              const char *text)
{
  if (is_dot_atom (text))
    g_string_append (out, text);
  else
    append_quoted (out, text);
}

/* comments: escape parentheses and backslashes (RFC 5322 §3.2.2 ctext) */
static void
append_comment_text (GString    *out,
                     const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '(' || *p == ')' || *p == '\\')
        g_string_append_c (out, '\\');
      append_ascii (out, *p);
    }
}

static void
append_pair (GString    *out,
             const char *key,
             const char *value)
{
  g_string_append_printf (out, " %s=", key);
  append_value (out, value);
  g_string_append_c (out, ';');
}

/**
 * ms_spf_format_received_spf:
 * @receiver: (nullable): the host that checked, named in the comment and receiver=
 *
 * Returns: the value of a Received-SPF header field, unfolded, for example
 *   `fail (mx.example.org: domain of a@example.com does not designate 192.0.2.1 as
 *   permitted sender) receiver=mx.example.org; client-ip=192.0.2.1;
 *   envelope-from="a@example.com"; helo=pc.example.com; identity=mailfrom;`
 */
char *
ms_spf_format_received_spf (const MsSpfResultInfo *info,
                            const char            *receiver)
{
  GString *out;
  g_autofree char *comment = NULL;
  const char *who = info != NULL && strcmp (info->identity, "helo") == 0 ? info->helo
                    : info != NULL ? info->sender : NULL;

  g_return_val_if_fail (info != NULL, NULL);

  switch (info->result)
    {
    case MS_SPF_RESULT_PASS:
      comment = g_strdup_printf ("domain of %s designates %s as permitted sender", who,
                                 info->client_ip);
      break;
    case MS_SPF_RESULT_FAIL:
      comment = g_strdup_printf ("domain of %s does not designate %s as permitted sender",
                                 who, info->client_ip);
      break;
    case MS_SPF_RESULT_SOFTFAIL:
      comment = g_strdup_printf ("domain of transitioning %s does not designate %s as "
                                 "permitted sender", who, info->client_ip);
      break;
    case MS_SPF_RESULT_NEUTRAL:
      comment = g_strdup_printf ("%s is neither permitted nor denied by domain of %s",
                                 info->client_ip, who);
      break;
    case MS_SPF_RESULT_NONE:
      comment = g_strdup_printf ("domain of %s does not provide an SPF record", who);
      break;
    case MS_SPF_RESULT_TEMPERROR:
      comment = g_strdup_printf ("error in processing during lookup of %s: %s", who,
                                 info->problem ? info->problem : "DNS error");
      break;
    case MS_SPF_RESULT_PERMERROR:
    default:
      comment = g_strdup_printf ("domain of %s uses an invalid SPF record: %s", who,
                                 info->problem ? info->problem : "error");
      break;
    }

  out = g_string_new (ms_spf_result_to_string (info->result));
  g_string_append (out, " (");
  if (receiver != NULL && *receiver != '\0')
    {
      append_comment_text (out, receiver);
      g_string_append (out, ": ");
    }
  append_comment_text (out, comment);
  g_string_append_c (out, ')');

  if (receiver != NULL && *receiver != '\0')
    append_pair (out, "receiver", receiver);
  append_pair (out, "client-ip", info->client_ip);
  if (info->mail_from[0] != '\0')
    append_pair (out, "envelope-from", info->mail_from);
  if (info->helo[0] != '\0')
    append_pair (out, "helo", info->helo);
  if (info->problem != NULL && (info->result == MS_SPF_RESULT_PERMERROR
                                || info->result == MS_SPF_RESULT_TEMPERROR))
    append_pair (out, "problem", info->problem);
  if (info->mechanism != NULL)
    append_pair (out, "mechanism", info->mechanism);
  append_pair (out, "identity", info->identity);
  return g_string_free (out, FALSE);
}

/**
 * ms_spf_format_auth_results:
 *
 * Returns: the SPF resinfo for Authentication-Results (RFC 8601 §2.7.2 and §2.3), e.g.
 *   `spf=pass smtp.mailfrom=a@example.com` or `spf=none smtp.helo=pc.example.com`.
 */
char *
ms_spf_format_auth_results (const MsSpfResultInfo *info)
{
  GString *out;

  g_return_val_if_fail (info != NULL, NULL);

  out = g_string_new ("spf=");
  g_string_append (out, ms_spf_result_to_string (info->result));
  if (info->problem != NULL && (info->result == MS_SPF_RESULT_PERMERROR
                                || info->result == MS_SPF_RESULT_TEMPERROR))
    {
      g_string_append (out, " reason=");
      append_quoted (out, info->problem);
    }
  if (strcmp (info->identity, "helo") == 0)
    {
      g_string_append (out, " smtp.helo=");
      append_value (out, info->helo);
    }
  else
    {
      const char *at = strrchr (info->mail_from, '@');
      g_autofree char *local = at != NULL ? g_strndup (info->mail_from,
                                                       (gsize) (at - info->mail_from))
                                          : NULL;

      /* pvalue = [ [ local-part ] "@" ] domain-name: quote an unusual local-part only */
      g_string_append (out, " smtp.mailfrom=");
      if (local != NULL && *local != '\0')
        {
          append_value (out, local);
          g_string_append_c (out, '@');
          g_string_append (out, at + 1);
        }
      else
        append_value (out, info->domain);
    }
  return g_string_free (out, FALSE);
}

MsTraceEvent *
ms_spf_add_trace_event (const MsSpfResultInfo *info,
                        MsTrace               *trace,
                        const char            *node,
                        guint                  session)
{
  MsTraceEvent *event;

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (MS_IS_TRACE (trace), NULL);

  event = ms_trace_add_event (trace, "policy", node, session,
                              "check", "spf",
                              "result", ms_spf_result_to_string (info->result),
                              "identity", info->identity,
                              "domain", info->domain,
                              "client_ip", info->client_ip,
                              "reason", info->explanation,
                              NULL);
  if (info->mechanism != NULL)
    json_object_set_string_member (event->fields, "mechanism", info->mechanism);
  return event;
}
