/* ms-smime-generate: writes signed.eml, encrypted.eml and signed-encrypted.eml into a
 * directory, for check-smime-with-python-email.py.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include "ms-smime.h"

static const char plain[] =
  "From: alice@example.jp\n"
  "To: bob@example.net\n"
  "Subject: Quarterly figures\n"
  "Date: Sat, 28 Nov 2026 09:00:00 +0900\n"
  "Message-ID: <smime-1@example.jp>\n"
  "MIME-Version: 1.0\n"
  "Content-Type: text/plain; charset=UTF-8\n"
  "Content-Transfer-Encoding: 8bit\n"
  "\n"
  "\xe5\xa3\xb2\xe4\xb8\x8a\xe3\x81\xaf 42 \xe5\x84\x84\xe5\x86\x86\xe3\x81\xa7\xe3\x81\x99\xe3\x80\x82\n";

static void
write_or_die (const char *dir, const char *name, GBytes *bytes)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!g_file_set_contents (path, data, len, &error))
    g_error ("%s", error->message);
}

int
main (int argc, char **argv)
{
  g_autoptr (MsSmimeCa) ca = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) message = g_bytes_new_static (plain, strlen (plain));
  g_autoptr (GBytes) sig = NULL;
  g_autoptr (GBytes) enc = NULL;
  g_autoptr (GBytes) both = NULL;
  const char *bob[] = { "bob@example.net", NULL };

  if (argc != 2)
    {
      g_printerr ("usage: %s DIR\n", argv[0]);
      return 2;
    }
  ca = ms_smime_ca_new ("MailSim Test CA", &error);
  if (ca == NULL || !ms_smime_ca_issue (ca, "alice@example.jp", &error)
      || !ms_smime_ca_issue (ca, "bob@example.net", &error)
      || (sig = ms_smime_sign (ca, "alice@example.jp", message, &error)) == NULL
      || (enc = ms_smime_encrypt (ca, bob, message, &error)) == NULL
      || (both = ms_smime_sign_encrypt (ca, "alice@example.jp", bob, message, &error)) == NULL)
    g_error ("%s", error->message);
  write_or_die (argv[1], "signed.eml", sig);
  write_or_die (argv[1], "encrypted.eml", enc);
  write_or_die (argv[1], "signed-encrypted.eml", both);
  return 0;
}
