/* ms-mta-dkim.c: the MTA's DKIM duties: sign for its own domains, verify what arrives,
 * and (as a mailing list would) rewrite the Subject and body of what it forwards
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-agents-private.h"
#include "ms-dkim.h"
#include "ms-message.h"

#include <string.h>

/* The domain of the first address of the From field, lower case, or NULL */
static char *
from_domain (GBytes *message)
{
  g_autoptr(MsMessage) msg = ms_message_new_from_bytes (message, NULL);
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  const char *from, *at;

  if (msg == NULL || (from = ms_message_get_header (msg, "From")) == NULL)
    return NULL;
  _ms_agent_add_addresses (addresses, from);
  if (addresses->len == 0 || (at = strrchr (addresses->pdata[0], '@')) == NULL)
    return NULL;
  return g_ascii_strdown (at + 1, -1);
}

GBytes *
_ms_agent_dkim_sign (MsNode             *node,
                     guint               session,
                     const char * const *domains,
                     const char         *selector,
                     const char         *key_pem,
                     gint64              now,
                     GBytes             *message)
{
  MsTrace *trace = _ms_agent_trace (node);
  g_autofree char *domain = NULL;
  g_autofree char *field = NULL;
  g_autoptr(GError) error = NULL;
  MsDkimSignOptions options = { 0 };
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  GByteArray *out;

  if (selector == NULL || key_pem == NULL || domains == NULL)
    return g_bytes_ref (message);
  /* RFC 6376 §1.1: a domain signs the mail it is responsible for: its own From domain */
  domain = from_domain (message);
  if (domain == NULL || !g_strv_contains (domains, domain))
    {
      if (trace != NULL)
        ms_trace_add_event (trace, "policy", ms_node_get_name (node), session,
                            "check", "dkim-sign", "result", "skipped",
                            "reason", "the From domain is not one this server signs for", NULL);
      return g_bytes_ref (message);
    }
  options.domain = domain;
  options.selector = selector;
  options.private_key_pem = key_pem;
  options.header_canon = MS_DKIM_CANON_RELAXED;
  options.body_canon = MS_DKIM_CANON_RELAXED;
  options.timestamp = now;
  field = ms_dkim_sign (data, len, &options, &error);
  if (field == NULL)
    {
      if (trace != NULL)
        ms_trace_add_event (trace, "policy", ms_node_get_name (node), session,
                            "check", "dkim-sign", "result", "error",
                            "reason", error->message, NULL);
      return g_bytes_ref (message);
    }
  if (trace != NULL)
    {
      g_autofree char *s = g_strdup_printf ("DKIM-Signature added (d=%s, s=%s); the public "
                                            "key is the TXT record %s._domainkey.%s",
                                            domain, selector, selector, domain);

      ms_trace_add_event (trace, "policy", ms_node_get_name (node), session,
                          "check", "dkim-sign", "result", "signed", "domain", domain,
                          "selector", selector, "reason", s, NULL);
    }
  /* RFC 6376 §5.6: the field goes on top */
  out = g_byte_array_sized_new (strlen (field) + len);
  g_byte_array_append (out, (const guint8 *) field, strlen (field));
  g_byte_array_append (out, (const guint8 *) data, len);
  return g_byte_array_free_to_bytes (out);
}

MsDkimResultInfo *
_ms_agent_dkim_verify (MsNode    *node,
                       guint      session,
                       MsDnsZone *zone,
                       gint64     now,
                       GBytes    *message)
{
  MsTrace *trace = _ms_agent_trace (node);
  MsDkimResultInfo *info = NULL;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);

  ms_dkim_verify (zone, data, len, now, &info);
  if (trace != NULL)
    ms_dkim_add_trace_event (info, trace, ms_node_get_name (node), session);
  return info;
}

/* What a mailing list does to a message it passes on: a tag in front of the Subject and
 * a footer under the body. Both are changes a DKIM signature notices. */
GBytes *
_ms_agent_list_rewrite (MsNode     *node,
                        guint       session,
                        const char *tag,
                        GBytes     *message)
{
  MsTrace *trace = _ms_agent_trace (node);
  gsize len, i;
  const char *data = g_bytes_get_data (message, &len);
  GString *out = g_string_sized_new (len + 64);
  gboolean in_header = TRUE, tagged = FALSE;

  for (i = 0; i < len;)
    {
      const char *eol = memchr (data + i, '\n', len - i);
      gsize end = eol != NULL ? (gsize) (eol - data) + 1 : len;

      if (in_header && (data[i] == '\r' || data[i] == '\n'))
        in_header = FALSE;
      if (in_header && !tagged && g_ascii_strncasecmp (data + i, "Subject:", 8) == 0)
        {
          const char *v = data + i + 8;

          while (*v == ' ' || *v == '\t')
            v++;
          g_string_append_printf (out, "Subject: [%s] ", tag);
          g_string_append_len (out, v, (gssize) (data + end - v));
          tagged = TRUE;
        }
      else
        g_string_append_len (out, data + i, (gssize) (end - i));
      i = end;
    }
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append (out, "\r\n");
  g_string_append_printf (out, "-- \r\nYou receive this through the %s list.\r\n", tag);
  if (trace != NULL)
    ms_trace_add_event (trace, "policy", ms_node_get_name (node), session,
                        "check", "list-rewrite", "result", "rewritten", "tag", tag,
                        "reason", "the list tags the Subject and adds a footer to the body",
                        NULL);
  return g_string_free_to_bytes (out);
}
