/* Tests for S/MIME: our own round trips and interop with the openssl command.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ms-smime.h"

#define ALICE "alice@example.jp"
#define BOB   "bob@example.net"
#define EVE   "eve@example.org"

static const char plain[] =
  "From: alice@example.jp\r\n"
  "To: bob@example.net\r\n"
  "Subject: Meeting at ten\r\n"
  "Message-ID: <m1@example.jp>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: text/plain; charset=us-ascii\r\n"
  "\r\n"
  "The launch code is 1234.\r\n";

static MsSmimeCa *ca;
static MsSmimeCa *rogue;

static void
setup (void)
{
  g_autoptr (GError) error = NULL;

  ca = ms_smime_ca_new ("MailSim Test CA", &error);
  cr_assert_not_null (ca);
  cr_assert (ms_smime_ca_issue (ca, ALICE, &error));
  cr_assert (ms_smime_ca_issue (ca, BOB, &error));
  cr_assert (ms_smime_ca_issue (ca, EVE, &error));
  rogue = ms_smime_ca_new ("Rogue CA", &error);
  cr_assert_not_null (rogue);
  cr_assert (ms_smime_ca_issue (rogue, ALICE, &error));
}

static void
teardown (void)
{
  g_clear_pointer (&ca, ms_smime_ca_free);
  g_clear_pointer (&rogue, ms_smime_ca_free);
}

TestSuite (smime, .init = setup, .fini = teardown, .timeout = 60);

static GBytes *
message (void)
{
  return g_bytes_new_static (plain, strlen (plain));
}

static gboolean
contains (GBytes *bytes, const char *needle)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_strstr_len (data, len, needle) != NULL;
}

static GBytes *
replace_once (GBytes *bytes, const char *from, const char *to)
{
  g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  char *at = strstr (text, from);
  GString *out;

  cr_assert_not_null (at, "\"%s\" not found", from);
  out = g_string_new_len (text, at - text);
  g_string_append (out, to);
  g_string_append (out, at + strlen (from));
  return g_string_free_to_bytes (out);
}

Test (smime, sign_then_verify_names_the_signer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  g_autoptr (GBytes) sig = ms_smime_sign (ca, ALICE, in, &error);
  g_autoptr (MsSmimeResult) r = NULL;

  cr_assert_not_null (sig, "%s", error ? error->message : "");
  cr_assert (contains (sig, "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=\"sha-256\""));
  cr_assert (contains (sig, "Subject: Meeting at ten\r\n"));
  cr_assert (contains (sig, "Content-Type: application/pkcs7-signature; name=\"smime.p7s\""));
  cr_assert (ms_smime_is_smime (sig));
  cr_assert_not (ms_smime_is_smime (in));
  r = ms_smime_open (ca, BOB, sig, &error);
  cr_assert_not_null (r);
  cr_assert_null (r->problem, "%s", r->problem ? r->problem->message : "");
  cr_assert (r->signed_ && r->signature_valid);
  cr_assert_not (r->encrypted);
  cr_assert_str_eq (r->signer, ALICE);
  cr_assert (contains (r->content, "The launch code is 1234."));
}

Test (smime, altered_body_is_tampered)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  g_autoptr (GBytes) sig = ms_smime_sign (ca, ALICE, in, &error);
  g_autoptr (GBytes) bad = replace_once (sig, "code is 1234", "code is 9999");
  g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, bad, &error);

  cr_assert_not_null (r);
  cr_assert (r->signed_);
  cr_assert_not (r->signature_valid);
  cr_assert (g_error_matches (r->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_TAMPERED));
  cr_assert_str_eq (r->signer, ALICE);
}

Test (smime, outer_subject_is_not_protected)
{
  /* header fields outside the signed part may change without breaking the signature */
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  g_autoptr (GBytes) sig = ms_smime_sign (ca, ALICE, in, &error);
  g_autoptr (GBytes) changed = replace_once (sig, "Meeting at ten", "Meeting at noon");
  g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, changed, &error);

  cr_assert_null (r->problem);
  cr_assert (r->signature_valid);
}

Test (smime, rogue_ca_is_untrusted)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  g_autoptr (GBytes) sig = ms_smime_sign (rogue, ALICE, in, &error);
  g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, sig, &error);

  cr_assert_not_null (r);
  cr_assert (g_error_matches (r->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_UNTRUSTED),
             "%s", r->problem ? r->problem->message : "none");
  cr_assert (strstr (r->problem->message, "local issuer") != NULL, "%s", r->problem->message);
  cr_assert_str_eq (r->signer, ALICE);
}

Test (smime, encrypt_opens_for_the_recipient_only)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  const char *to[] = { BOB, NULL };
  g_autoptr (GBytes) enc = ms_smime_encrypt (ca, to, in, &error);
  g_autoptr (MsSmimeResult) rb = NULL;
  g_autoptr (MsSmimeResult) re = NULL;

  cr_assert_not_null (enc, "%s", error ? error->message : "");
  cr_assert (contains (enc, "application/pkcs7-mime; smime-type=enveloped-data"));
  cr_assert (contains (enc, "Subject: Meeting at ten\r\n"), "headers stay in clear");
  cr_assert_not (contains (enc, "launch code"));
  rb = ms_smime_open (ca, BOB, enc, &error);
  cr_assert_null (rb->problem, "%s", rb->problem ? rb->problem->message : "");
  cr_assert (rb->encrypted && rb->decrypted);
  cr_assert_not (rb->signed_);
  cr_assert (contains (rb->content, "The launch code is 1234."));
  re = ms_smime_open (ca, EVE, enc, &error);
  cr_assert (re->encrypted);
  cr_assert_not (re->decrypted);
  cr_assert (g_error_matches (re->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_NOT_RECIPIENT));
  cr_assert_null (re->content);
}

Test (smime, sign_encrypt_round_trip_and_unknown_recipient)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  const char *to[] = { BOB, NULL };
  const char *nobody[] = { "carol@example.com", NULL };
  g_autoptr (GBytes) both = ms_smime_sign_encrypt (ca, ALICE, to, in, &error);
  g_autoptr (MsSmimeResult) r = NULL;

  cr_assert_not_null (both);
  r = ms_smime_open (ca, BOB, both, &error);
  cr_assert_null (r->problem, "%s", r->problem ? r->problem->message : "");
  cr_assert (r->encrypted && r->decrypted && r->signed_ && r->signature_valid);
  cr_assert_str_eq (r->signer, ALICE);
  cr_assert (contains (r->content, "The launch code is 1234."));
  cr_assert_null (ms_smime_encrypt (ca, nobody, in, &error));
  cr_assert (g_error_matches (error, MS_SMIME_ERROR, MS_SMIME_ERROR_NO_IDENTITY));
}

Test (smime, plain_message_is_a_parse_error)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();

  cr_assert_null (ms_smime_open (ca, BOB, in, &error));
  cr_assert (g_error_matches (error, MS_SMIME_ERROR, MS_SMIME_ERROR_PARSE));
}

Test (smime, eight_bit_body_is_signed_as_base64)
{
  static const char jp[] = "From: alice@example.jp\nTo: bob@example.net\nSubject: x\n"
                           "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
                           "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = g_bytes_new_static (jp, strlen (jp));
  g_autoptr (GBytes) sig = ms_smime_sign (ca, ALICE, in, &error);
  g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, sig, &error);

  cr_assert (contains (sig, "Content-Transfer-Encoding: base64\r\n"));
  cr_assert_not (contains (sig, "8bit"));
  cr_assert (r->signature_valid);
}

/* --- interop with the openssl command ------------------------------------------- */

static char *
write_tmp (const char *dir, const char *name, const char *data, gsize len)
{
  char *path = g_build_filename (dir, name, NULL);

  cr_assert (g_file_set_contents (path, data, len, NULL));
  return path;
}

static char *
write_pem (const char *dir, const char *name, char *pem)
{
  char *path = write_tmp (dir, name, pem, strlen (pem));

  g_free (pem);
  return path;
}

/* Runs @argv; returns the exit status, and stdout in @out. */
static int
run (const char * const *argv, char **out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  cr_assert (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out,
                           &err, &status, &error), "%s", error ? error->message : "");
  if (!g_spawn_check_wait_status (status, NULL))
    cr_log_info ("%s: %s", argv[1], err);
  return g_spawn_check_wait_status (status, NULL) ? 0 : 1;
}

typedef struct
{
  char *dir, *ca, *alice, *alice_key, *bob, *bob_key, *eve, *eve_key;
} Files;

static void
files_init (Files *f)
{
  f->dir = g_dir_make_tmp ("ms-smime-XXXXXX", NULL);
  f->ca = write_pem (f->dir, "ca.pem", ms_smime_ca_get_cert_pem (ca, NULL));
  f->alice = write_pem (f->dir, "alice.pem", ms_smime_ca_get_cert_pem (ca, ALICE));
  f->alice_key = write_pem (f->dir, "alice.key", ms_smime_ca_get_key_pem (ca, ALICE));
  f->bob = write_pem (f->dir, "bob.pem", ms_smime_ca_get_cert_pem (ca, BOB));
  f->bob_key = write_pem (f->dir, "bob.key", ms_smime_ca_get_key_pem (ca, BOB));
  f->eve = write_pem (f->dir, "eve.pem", ms_smime_ca_get_cert_pem (ca, EVE));
  f->eve_key = write_pem (f->dir, "eve.key", ms_smime_ca_get_key_pem (ca, EVE));
}

static void
files_clear (Files *f)
{
  g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f->dir);

  cr_assert_eq (system (cmd), 0);
  g_free (f->dir); g_free (f->ca); g_free (f->alice); g_free (f->alice_key);
  g_free (f->bob); g_free (f->bob_key); g_free (f->eve); g_free (f->eve_key);
}

static char *
write_bytes (const char *dir, const char *name, GBytes *b)
{
  return write_tmp (dir, name, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

Test (smime, openssl_verifies_and_decrypts_ours)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) in = message ();
  const char *to[] = { BOB, NULL };
  g_autoptr (GBytes) sig = ms_smime_sign (ca, ALICE, in, &error);
  g_autoptr (GBytes) bad = replace_once (sig, "code is 1234", "code is 9999");
  g_autoptr (GBytes) enc = ms_smime_encrypt (ca, to, in, &error);
  g_autoptr (GBytes) both = ms_smime_sign_encrypt (ca, ALICE, to, in, &error);
  Files f;
  g_autofree char *sig_path = NULL, *bad_path = NULL, *enc_path = NULL, *both_path = NULL;
  g_autofree char *inner_path = NULL;
  g_autofree char *out1 = NULL, *out2 = NULL, *out3 = NULL, *out4 = NULL, *out5 = NULL;

  files_init (&f);
  sig_path = write_bytes (f.dir, "signed.eml", sig);
  bad_path = write_bytes (f.dir, "bad.eml", bad);
  enc_path = write_bytes (f.dir, "enc.eml", enc);
  both_path = write_bytes (f.dir, "both.eml", both);
  inner_path = g_build_filename (f.dir, "inner.eml", NULL);
  {
    const char *a[] = { "openssl", "cms", "-verify", "-CAfile", f.ca, "-in", sig_path, NULL };
    cr_assert_eq (run (a, &out1), 0, "openssl cms -verify rejected our signature");
    cr_assert (strstr (out1, "The launch code is 1234.") != NULL);
  }
  {
    const char *a[] = { "openssl", "smime", "-verify", "-CAfile", f.ca, "-in", sig_path, NULL };
    cr_assert_eq (run (a, &out2), 0, "openssl smime -verify rejected our signature");
  }
  {
    const char *a[] = { "openssl", "cms", "-verify", "-CAfile", f.ca, "-in", bad_path, NULL };
    g_autofree char *o = NULL;
    cr_assert_neq (run (a, &o), 0, "openssl accepted a tampered message");
  }
  {
    const char *a[] = { "openssl", "cms", "-decrypt", "-recip", f.bob, "-inkey", f.bob_key,
                        "-in", enc_path, NULL };
    cr_assert_eq (run (a, &out3), 0, "openssl cms -decrypt failed");
    cr_assert (strstr (out3, "The launch code is 1234.") != NULL);
  }
  {
    const char *a[] = { "openssl", "smime", "-decrypt", "-recip", f.bob, "-inkey", f.bob_key,
                        "-in", enc_path, NULL };
    cr_assert_eq (run (a, &out4), 0, "openssl smime -decrypt failed");
  }
  {
    const char *a[] = { "openssl", "cms", "-decrypt", "-recip", f.eve, "-inkey", f.eve_key,
                        "-in", enc_path, NULL };
    g_autofree char *o = NULL;
    cr_assert_neq (run (a, &o), 0, "openssl decrypted for a non-recipient");
  }
  {
    const char *a[] = { "openssl", "cms", "-decrypt", "-recip", f.bob, "-inkey", f.bob_key,
                        "-in", both_path, "-out", inner_path, NULL };
    g_autofree char *o = NULL;
    const char *v[] = { "openssl", "cms", "-verify", "-CAfile", f.ca, "-in", inner_path, NULL };
    cr_assert_eq (run (a, &o), 0);
    cr_assert_eq (run (v, &out5), 0, "openssl rejected the signature inside the envelope");
    cr_assert (strstr (out5, "The launch code is 1234.") != NULL);
  }
  files_clear (&f);
}

Test (smime, we_verify_and_decrypt_openssls)
{
  static const char body[] = "Content-Type: text/plain\r\n\r\nSigned by the openssl command.\r\n";
  Files f;
  g_autofree char *body_path = NULL, *sig_path = NULL, *enc_path = NULL, *both_path = NULL;
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
  g_autofree char *sig_text = NULL, *enc_text = NULL, *both_text = NULL;
  g_autofree char *sig_in_path = NULL;
  gsize n;

  files_init (&f);
  body_path = write_tmp (f.dir, "body.txt", body, strlen (body));
  sig_path = g_build_filename (f.dir, "sig.eml", NULL);
  enc_path = g_build_filename (f.dir, "enc.eml", NULL);
  both_path = g_build_filename (f.dir, "both.eml", NULL);
  {
    const char *a[] = { "openssl", "smime", "-sign", "-signer", f.alice, "-inkey", f.alice_key,
                        "-from", ALICE, "-to", BOB, "-subject", "From openssl",
                        "-in", body_path, "-out", sig_path, NULL };
    cr_assert_eq (run (a, &o1), 0);
  }
  {
    const char *a[] = { "openssl", "smime", "-encrypt", "-aes256", "-from", ALICE, "-to", BOB,
                        "-subject", "Secret", "-in", body_path, "-out", enc_path, f.bob, NULL };
    cr_assert_eq (run (a, &o2), 0);
  }
  {
    /* sign (a MIME entity, no headers) then encrypt the result */
    const char *a[] = { "openssl", "cms", "-sign", "-signer", f.alice, "-inkey", f.alice_key,
                        "-in", body_path, "-out", (sig_in_path = g_build_filename (f.dir, "s.eml", NULL)), NULL };
    const char *b[] = { "openssl", "cms", "-encrypt", "-aes-256-cbc", "-to", BOB, "-subject", "Both",
                        "-in", sig_in_path, "-out", both_path, f.bob, NULL };
    cr_assert_eq (run (a, &o3), 0);
    cr_assert_eq (run (b, &o4), 0);
  }
  cr_assert (g_file_get_contents (sig_path, &sig_text, &n, NULL));
  {
    g_autoptr (GBytes) b = g_bytes_new (sig_text, n);
    g_autoptr (GError) error = NULL;
    g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, b, &error);

    cr_assert_not_null (r, "%s", error ? error->message : "");
    cr_assert_null (r->problem, "%s", r->problem ? r->problem->message : "");
    cr_assert (r->signature_valid);
    cr_assert_str_eq (r->signer, ALICE);
    cr_assert (contains (r->content, "Signed by the openssl command."));
  }
  cr_assert (g_file_get_contents (enc_path, &enc_text, &n, NULL));
  {
    g_autoptr (GBytes) b = g_bytes_new (enc_text, n);
    g_autoptr (GError) error = NULL;
    g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, b, &error);
    g_autoptr (MsSmimeResult) re = ms_smime_open (ca, EVE, b, &error);

    cr_assert_null (r->problem, "%s", r->problem ? r->problem->message : "");
    cr_assert (r->decrypted);
    cr_assert (contains (r->content, "Signed by the openssl command."));
    cr_assert (g_error_matches (re->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_NOT_RECIPIENT));
  }
  cr_assert (g_file_get_contents (both_path, &both_text, &n, NULL));
  {
    g_autoptr (GBytes) b = g_bytes_new (both_text, n);
    g_autoptr (GError) error = NULL;
    g_autoptr (MsSmimeResult) r = ms_smime_open (ca, BOB, b, &error);

    cr_assert_null (r->problem, "%s", r->problem ? r->problem->message : "");
    cr_assert (r->decrypted && r->signature_valid);
    cr_assert_str_eq (r->signer, ALICE);
  }
  files_clear (&f);
}
