/* ms-agents-util.c: helpers the agents share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-agents-private.h"
#include "ms-address.h"

MsTrace *
_ms_agent_trace (MsNode *node)
{
  return ms_network_get_trace (ms_node_get_network (node));
}

const char *
_ms_agent_domain (const char *address)
{
  const char *at = strrchr (address, '@');

  return at != NULL ? at + 1 : "";
}

gboolean
_ms_agent_strv_has (const char * const *list,
                    const char         *item)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    if (g_ascii_strcasecmp (list[i], item) == 0)
      return TRUE;
  return FALSE;
}

GDateTime *
_ms_agent_now_utc (MsNode *node)
{
  gint64 us = ms_network_unix_clock (ms_node_get_network (node));

  return g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
}

char *
_ms_agent_next_id (MsNode     *node,
                   const char *prefix,
                   guint      *counter)
{
  guint32 seed = ms_network_get_seed (ms_node_get_network (node));

  return g_strdup_printf ("%s%04X%02X%05X", prefix, seed & 0xffff, ms_node_get_id (node) & 0xff,
                          ++*counter);
}

void
_ms_agent_add_addresses (GPtrArray  *out,
                         const char *raw_value)
{
  g_autoptr(GPtrArray) list = NULL;

  if (raw_value == NULL)
    return;
  list = ms_address_list_parse (raw_value);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      MsAddress *a = g_ptr_array_index (list, i);

      if (a->address != NULL)
        g_ptr_array_add (out, g_strdup (a->address));
    }
}
