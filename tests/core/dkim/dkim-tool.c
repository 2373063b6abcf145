/* dkim-tool.c: our DKIM signer and verifier for the dkimpy interoperability test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   dkim-tool sign KEY.pem DOMAIN SELECTOR simple|relaxed/simple|relaxed < msg > signed
 *   dkim-tool verify NAME RECORD < msg   (the key record published at NAME as TXT)
 * verify prints "result: reason" and exits 0 for pass, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "ms-dkim.h"

static GBytes *
read_stdin (void)
{
  GByteArray *buf = g_byte_array_new ();
  guint8 chunk[4096];
  size_t n;

  while ((n = fread (chunk, 1, sizeof chunk, stdin)) > 0)
    g_byte_array_append (buf, chunk, (guint) n);
  return g_byte_array_free_to_bytes (buf);
}

int
main (int argc, char **argv)
{
  g_autoptr(GBytes) msg = read_stdin ();
  gsize len;
  const char *data = g_bytes_get_data (msg, &len);
  g_autoptr(GError) error = NULL;

  if (argc == 6 && strcmp (argv[1], "sign") == 0)
    {
      g_autofree char *pem = NULL;
      g_auto(GStrv) canon = g_strsplit (argv[5], "/", 2);
      MsDkimSignOptions options = { 0 };
      g_autofree char *field = NULL;

      if (!g_file_get_contents (argv[2], &pem, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 2;
        }
      options.domain = argv[3];
      options.selector = argv[4];
      options.private_key_pem = pem;
      options.header_canon = strcmp (canon[0], "relaxed") == 0 ? MS_DKIM_CANON_RELAXED : MS_DKIM_CANON_SIMPLE;
      options.body_canon = canon[1] != NULL && strcmp (canon[1], "relaxed") == 0 ? MS_DKIM_CANON_RELAXED : MS_DKIM_CANON_SIMPLE;
      field = ms_dkim_sign (data, len, &options, &error);
      if (field == NULL)
        {
          g_printerr ("sign: %s\n", error->message);
          return 2;
        }
      fwrite (field, 1, strlen (field), stdout);
      fwrite (data, 1, len, stdout);
      return 0;
    }
  if (argc == 4 && strcmp (argv[1], "verify") == 0)
    {
      g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
      g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(MsDkimResultInfo) info = NULL;
      gsize i, n = strlen (argv[3]);
      MsDkimResult result;

      /* character-strings of at most 255 octets (RFC 1035 §3.3) */
      for (i = 0; i < n; i += 255)
        g_ptr_array_add (strings, g_strndup (argv[3] + i, 255));
      g_ptr_array_add (strings, NULL);
      ms_dns_zone_add_txt (zone, argv[2], (const char * const *) strings->pdata);
      result = ms_dkim_verify (zone, data, len, 0, &info);
      printf ("%s: %s\n", ms_dkim_result_to_string (result), info->reason);
      return result == MS_DKIM_RESULT_PASS ? 0 : 1;
    }
  g_printerr ("usage: dkim-tool sign KEY DOMAIN SELECTOR CANON | verify NAME RECORD\n");
  return 2;
}
