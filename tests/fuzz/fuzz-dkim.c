/* fuzz-dkim.c: the DKIM-Signature tag parser, the key record parser, canonicalization and
 * a whole verification of a message taken from the input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ms-dkim.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(MsDkimSignature) sig = NULL;
  g_autoptr(MsDkimKey) key = NULL;
  g_autoptr(GBytes) simple = NULL;
  g_autoptr(GBytes) relaxed = NULL;
  g_autofree char *header = NULL;
  g_autoptr(MsDnsZone) zone = NULL;
  g_autoptr(MsDkimResultInfo) info = NULL;
  g_autofree char *ar = NULL;

  if (size < 1)
    return 0;
  /* the parsers take NUL-terminated text; the tag-list parser also raw bytes */
  text = g_strndup ((const char *) data + 1, size - 1);
  tags = ms_dkim_tag_list_parse ((const char *) data + 1, size - 1, NULL);
  sig = ms_dkim_signature_parse (text, NULL);
  key = ms_dkim_key_parse (text, NULL);
  simple = ms_dkim_canon_body ((const char *) data + 1, size - 1, MS_DKIM_CANON_SIMPLE);
  relaxed = ms_dkim_canon_body ((const char *) data + 1, size - 1, MS_DKIM_CANON_RELAXED);
  header = ms_dkim_canon_header (text, MS_DKIM_CANON_RELAXED);

  /* the input as a message; the first byte picks the key record published for s=sel */
  zone = ms_dns_zone_new ();
  if (data[0] & 1)
    {
      const char *record[] = {
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", NULL
      };
      ms_dns_zone_add_txt (zone, "sel._domainkey.example.org", record);
    }
  if (data[0] & 2)
    ms_dns_zone_add_timeout (zone, "sel._domainkey.example.com");
  ms_dkim_verify (zone, (const char *) data + 1, size - 1, 1, &info);
  g_assert (info != NULL && info->reason != NULL);
  ar = ms_dkim_format_auth_results (info);
  g_assert (ar != NULL);
  return 0;
}
