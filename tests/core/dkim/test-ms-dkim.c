/* test-ms-dkim.c: DKIM tag-lists, key records, canonicalization, sign and verify
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ms-dkim.h"

static const char message[] =
  "From: Alice <alice@example.org>\r\n"
  "To: bob@example.net\r\n"
  "Subject: Lunch\r\n"
  "Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n"
  "\r\n"
  "Hello Bob,\r\n"
  "noon?\r\n";

static char *
rsa_pem (void)
{
  static char *pem;

  if (pem == NULL)
    {
      EVP_PKEY *pkey = EVP_RSA_gen (2048);
      BIO *bio = BIO_new (BIO_s_mem ());
      char *data;
      long n;

      PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL);
      n = BIO_get_mem_data (bio, &data);
      pem = g_strndup (data, n);
      BIO_free (bio);
      EVP_PKEY_free (pkey);
    }
  return pem;
}

static MsDnsZone *
zone_with_key (const char *pem)
{
  MsDnsZone *zone = ms_dns_zone_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *record = ms_dkim_key_record_for (pem, &error);
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  gsize i, n;

  cr_assert_not_null (record, "%s", error ? error->message : "");
  n = strlen (record);
  for (i = 0; i < n; i += 255)
    g_ptr_array_add (strings, g_strndup (record + i, 255));
  g_ptr_array_add (strings, NULL);
  ms_dns_zone_add_txt (zone, "sel._domainkey.example.org", (const char * const *) strings->pdata);
  return zone;
}

static char *
sign (const char *pem, const char *msg, MsDkimCanon hc, MsDkimCanon bc)
{
  MsDkimSignOptions options = { "example.org", "sel", pem, hc, bc, NULL, 1700000000 };
  g_autoptr(GError) error = NULL;
  g_autofree char *field = ms_dkim_sign (msg, strlen (msg), &options, &error);

  cr_assert_not_null (field, "%s", error ? error->message : "");
  return g_strconcat (field, msg, NULL);
}

static char *
replace (const char *s, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit (s, from, 2);

  cr_assert_not_null (parts[1], "“%s” not found", from);
  return g_strjoinv (to, parts);
}

Test (dkim_tags, parses_tag_list_with_fws)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tags = ms_dkim_tag_list_parse (" v = 1 ;\r\n\ta=rsa-sha256; b=ab\r\n cd ;", 36, &error);

  cr_assert_not_null (tags, "%s", error ? error->message : "");
  cr_assert_eq (tags->len, 3);
  cr_assert_str_eq (((MsDkimTag *) tags->pdata[0])->name, "v");
  cr_assert_str_eq (((MsDkimTag *) tags->pdata[0])->value, "1");
  cr_assert_str_eq (((MsDkimTag *) tags->pdata[2])->value, "ab\r\n cd");
}

Test (dkim_tags, rejects_duplicates_and_bad_names)
{
  g_autoptr(GError) error = NULL;

  cr_assert_null (ms_dkim_tag_list_parse ("a=1; a=2", 8, &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_SYNTAX));
  cr_assert (strstr (error->message, "twice") != NULL, "%s", error->message);
  g_clear_error (&error);
  cr_assert_null (ms_dkim_tag_list_parse ("1a=2", 4, &error));
  g_clear_error (&error);
  cr_assert_null (ms_dkim_tag_list_parse ("a 2", 3, &error));
}

Test (dkim_signature, required_tags_and_values)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsDkimSignature) sig =
    ms_dkim_signature_parse ("v=1; a=rsa-sha256; d=Example.ORG; s=sel; c=relaxed;"
                             " h=From : Subject; bh=AAAA; b=AA\r\n\t==; x=5; t=4", &error);

  cr_assert_not_null (sig, "%s", error ? error->message : "");
  cr_assert_str_eq (sig->domain, "example.org");
  cr_assert_eq (sig->header_canon, MS_DKIM_CANON_RELAXED);
  cr_assert_eq (sig->body_canon, MS_DKIM_CANON_SIMPLE);
  cr_assert_str_eq (sig->headers[1], "subject");
  cr_assert_str_eq (sig->identity, "@example.org");
  cr_assert_eq (g_bytes_get_size (sig->signature), 1);
  cr_assert_eq (sig->length, -1);

  cr_assert_null (ms_dkim_signature_parse ("v=1; a=rsa-sha256; d=example.org; s=sel; h=to; bh=AAAA; b=AAAA", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG));
  g_clear_error (&error);
  cr_assert_null (ms_dkim_signature_parse ("v=1; a=rsa-sha256; d=example.org; h=from; bh=AAAA; b=AAAA", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_MISSING_TAG));
  cr_assert (strstr (error->message, "s=") != NULL, "%s", error->message);
  g_clear_error (&error);
  cr_assert_null (ms_dkim_signature_parse ("v=1; a=rsa-sha1; d=example.org; s=s; h=from; bh=AAAA; b=AAAA", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED));
  g_clear_error (&error);
  cr_assert_null (ms_dkim_signature_parse ("v=1; a=rsa-sha256; d=example.org; s=s; h=from; bh=AAAA; b=AAAA; i=x@evil.example", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_BAD_TAG));
}

Test (dkim_key, records)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsDkimKey) key = ms_dkim_key_parse ("v=DKIM1; k=ed25519; t=y:s; p=AAAA", &error);

  cr_assert_not_null (key, "%s", error ? error->message : "");
  cr_assert_eq (key->key_type, MS_DKIM_ALG_ED25519_SHA256);
  cr_assert (key->testing && key->strict);
  cr_assert_null (ms_dkim_key_parse ("k=rsa; v=DKIM1; p=AAAA", &error));
  g_clear_error (&error);
  cr_assert_null (ms_dkim_key_parse ("v=DKIM1; k=rsa", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_MISSING_TAG));
  g_clear_error (&error);
  cr_assert_null (ms_dkim_key_parse ("v=DKIM1; k=dsa; p=AAAA", &error));
  cr_assert (g_error_matches (error, MS_DKIM_ERROR, MS_DKIM_ERROR_UNSUPPORTED));
}

/* RFC 6376 §3.4.6 example */
Test (dkim_canon, rfc_example)
{
  g_autofree char *a = ms_dkim_canon_header ("A: X", MS_DKIM_CANON_RELAXED);
  g_autofree char *b = ms_dkim_canon_header ("B : Y\t\r\n\tZ  ", MS_DKIM_CANON_RELAXED);
  const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
  g_autoptr(GBytes) relaxed = ms_dkim_canon_body (body, strlen (body), MS_DKIM_CANON_RELAXED);
  g_autoptr(GBytes) simple = ms_dkim_canon_body (body, strlen (body), MS_DKIM_CANON_SIMPLE);
  g_autoptr(GBytes) empty_s = ms_dkim_canon_body ("", 0, MS_DKIM_CANON_SIMPLE);
  g_autoptr(GBytes) empty_r = ms_dkim_canon_body ("\r\n\r\n", 4, MS_DKIM_CANON_RELAXED);
  g_autoptr(GBytes) lf = ms_dkim_canon_body ("x\ny", 3, MS_DKIM_CANON_SIMPLE);

  cr_assert_str_eq (a, "a:X");
  cr_assert_str_eq (b, "b:Y Z");
  cr_assert_eq (g_bytes_get_size (relaxed), 9);
  cr_assert (memcmp (g_bytes_get_data (relaxed, NULL), " C\r\nD E\r\n", 9) == 0);
  cr_assert_eq (g_bytes_get_size (simple), 12);
  cr_assert (memcmp (g_bytes_get_data (simple, NULL), " C \r\nD \t E\r\n", 12) == 0);
  cr_assert_eq (g_bytes_get_size (empty_s), 2);
  cr_assert_eq (g_bytes_get_size (empty_r), 0);
  cr_assert (memcmp (g_bytes_get_data (lf, NULL), "x\r\ny\r\n", 6) == 0);
}

static void
round_trip (const char *pem, MsDkimCanon hc, MsDkimCanon bc)
{
  g_autoptr(MsDnsZone) zone = zone_with_key (pem);
  g_autofree char *signed_msg = sign (pem, message, hc, bc);
  g_autofree char *body = replace (signed_msg, "noon", "one");
  g_autofree char *subject = replace (signed_msg, "Subject: Lunch", "Subject: [list] Lunch");
  g_autoptr(MsDkimResultInfo) info = NULL;
  g_autoptr(MsDkimResultInfo) info2 = NULL;
  g_autoptr(MsDkimResultInfo) info3 = NULL;

  cr_assert_eq (ms_dkim_verify (zone, signed_msg, strlen (signed_msg), 0, &info), MS_DKIM_RESULT_PASS,
                "%s\n%s", info->reason, signed_msg);
  cr_assert_str_eq (info->domain, "example.org");
  cr_assert_str_eq (info->headers, "from:subject:date:to");
  cr_assert (strstr (signed_msg, "l=") == NULL);
  cr_assert_eq (ms_dkim_verify (zone, body, strlen (body), 0, &info2), MS_DKIM_RESULT_FAIL);
  cr_assert_str_eq (info2->reason, "body hash did not verify");
  cr_assert_eq (ms_dkim_verify (zone, subject, strlen (subject), 0, &info3), MS_DKIM_RESULT_FAIL);
  cr_assert (strstr (info3->reason, "signature did not verify") != NULL, "%s", info3->reason);
}

Test (dkim_verify, rsa_all_canonicalizations)
{
  round_trip (rsa_pem (), MS_DKIM_CANON_SIMPLE, MS_DKIM_CANON_SIMPLE);
  round_trip (rsa_pem (), MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_RELAXED);
  round_trip (rsa_pem (), MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_SIMPLE);
}

Test (dkim_verify, ed25519_deterministic)
{
  g_autofree char *pem = ms_dkim_derive_ed25519_key ("example.org/sel");
  g_autofree char *again = ms_dkim_derive_ed25519_key ("example.org/sel");
  g_autofree char *other = ms_dkim_derive_ed25519_key ("example.net/sel");

  cr_assert_str_eq (pem, again);
  cr_assert_str_neq (pem, other);
  round_trip (pem, MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_RELAXED);
}

Test (dkim_verify, relaxed_survives_whitespace_changes)
{
  g_autoptr(MsDnsZone) zone = zone_with_key (rsa_pem ());
  g_autofree char *signed_msg = sign (rsa_pem (), message, MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_RELAXED);
  g_autofree char *refolded = replace (signed_msg, "Subject: Lunch", "subject:   Lunch  ");
  g_autofree char *trailing = replace (refolded, "noon?", "noon?   ");

  cr_assert_eq (ms_dkim_verify (zone, trailing, strlen (trailing), 0, NULL), MS_DKIM_RESULT_PASS);
}

Test (dkim_verify, none_and_errors)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autofree char *signed_msg = sign (rsa_pem (), message, MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_SIMPLE);
  g_autoptr(MsDkimResultInfo) none = NULL;
  g_autoptr(MsDkimResultInfo) nokey = NULL;
  g_autoptr(MsDkimResultInfo) timeout = NULL;
  g_autoptr(MsDkimResultInfo) bad = NULL;
  g_autofree char *ar = NULL;

  cr_assert_eq (ms_dkim_verify (zone, message, strlen (message), 0, &none), MS_DKIM_RESULT_NONE);
  cr_assert_eq (ms_dkim_verify (zone, signed_msg, strlen (signed_msg), 0, &nokey), MS_DKIM_RESULT_PERMERROR);
  cr_assert (strstr (nokey->reason, "no key for signature") != NULL, "%s", nokey->reason);
  ar = ms_dkim_format_auth_results (nokey);
  cr_assert (g_str_has_prefix (ar, "dkim=permerror reason=\"no key for signature"), "%s", ar);
  cr_assert (strstr (ar, "header.d=example.org header.s=sel header.a=rsa-sha256") != NULL, "%s", ar);

  ms_dns_zone_add_timeout (zone, "sel._domainkey.example.org");
  cr_assert_eq (ms_dkim_verify (zone, signed_msg, strlen (signed_msg), 0, &timeout), MS_DKIM_RESULT_TEMPERROR);

  {
    g_autoptr(MsDnsZone) z2 = ms_dns_zone_new ();
    const char *rec[] = { "v=DKIM1; k=rsa; p=not base64!", NULL };

    ms_dns_zone_add_txt (z2, "sel._domainkey.example.org", rec);
    cr_assert_eq (ms_dkim_verify (z2, signed_msg, strlen (signed_msg), 0, &bad), MS_DKIM_RESULT_PERMERROR);
    cr_assert (strstr (bad->reason, "bad key record") != NULL, "%s", bad->reason);
  }
}

Test (dkim_verify, auth_results_pass)
{
  g_autoptr(MsDnsZone) zone = zone_with_key (rsa_pem ());
  g_autofree char *signed_msg = sign (rsa_pem (), message, MS_DKIM_CANON_RELAXED, MS_DKIM_CANON_RELAXED);
  g_autoptr(MsDkimResultInfo) info = NULL;
  g_autofree char *ar = NULL;

  ms_dkim_verify (zone, signed_msg, strlen (signed_msg), 0, &info);
  ar = ms_dkim_format_auth_results (info);
  cr_assert_str_eq (ar, "dkim=pass header.d=example.org header.s=sel header.a=rsa-sha256");
}
