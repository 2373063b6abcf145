/* fuzz-dns-zone.c: the zone text parser must take any bytes, and every zone it accepts
 * must answer queries
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-dns-zone.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const MsDnsType types[] = {
  MS_DNS_TYPE_A, MS_DNS_TYPE_AAAA, MS_DNS_TYPE_MX, MS_DNS_TYPE_TXT,
  MS_DNS_TYPE_PTR, MS_DNS_TYPE_CNAME, MS_DNS_TYPE_SPF,
};

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GError) error = NULL;

  if (!ms_dns_zone_load_data (zone, (const char *) data, (gssize) size, "fuzz.zone", &error))
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }
  /* query the owner names of the first lines, every type */
  for (size_t start = 0, i = 0; i <= size && start < size; i++)
    {
      if (i == size || data[i] == '\n' || data[i] == ' ' || data[i] == '\t')
        {
          if (i > start && i - start < 300)
            {
              g_autofree char *name = g_strndup ((const char *) data + start, i - start);

              for (guint t = 0; t < G_N_ELEMENTS (types); t++)
                {
                  g_autoptr(GPtrArray) answers = NULL;
                  g_autoptr(GError) query_error = NULL;

                  if (ms_dns_zone_query (zone, name, types[t], &answers, &query_error)
                      == MS_DNS_STATUS_NOERROR)
                    for (guint a = 0; a < answers->len; a++)
                      g_free (ms_dns_record_format_data (g_ptr_array_index (answers, a)));
                }
            }
          /* skip to the next line */
          while (i < size && data[i] != '\n')
            i++;
          start = i + 1;
        }
    }
  return 0;
}
