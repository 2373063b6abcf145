/* ms-live-cert.c: the live lab's self-signed TLS certificate, made with OpenSSL 3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-live"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ms-live-cert.h"
#include "ms-live-server.h"

#define SERIAL_BITS 127

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)

static gboolean
set_openssl_error (GError    **error,
                   const char *what)
{
  unsigned long code = ERR_get_error ();
  char text[256] = "unknown OpenSSL error";

  if (code != 0)
    ERR_error_string_n (code, text, sizeof text);
  ERR_clear_error ();
  g_set_error (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_CERTIFICATE,
               "%s: %s", what, text);
  return FALSE;
}

/* Letters, digits, '-' and '.': anything else has no place in a DNS name (and would
 * change the meaning of the subjectAltName configuration string). */
static gboolean
hostname_is_valid (const char *hostname)
{
  if (hostname == NULL || *hostname == '\0' || strlen (hostname) > 253)
    return FALSE;
  for (const char *p = hostname; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
add_extension (X509       *cert,
               X509V3_CTX *ctx,
               int         nid,
               const char *value,
               GError    **error)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, ctx, nid, value);

  if (ext == NULL)
    return set_openssl_error (error, "certificate extension");
  X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return TRUE;
}

static gboolean
write_pem (const char *path,
           BIO        *bio,
           int         mode,
           GError    **error)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

gboolean
ms_live_cert_generate (const char  *cert_path,
                       const char  *key_path,
                       const char  *hostname,
                       GError     **error)
{
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(BIGNUM) serial = NULL;
  g_autoptr(BIO) cert_bio = NULL;
  g_autoptr(BIO) key_bio = NULL;
  g_autofree char *san = NULL;
  X509_NAME *name;
  X509V3_CTX ctx;

  g_return_val_if_fail (cert_path != NULL && key_path != NULL, FALSE);

  if (!hostname_is_valid (hostname))
    {
      g_set_error (error, MS_LIVE_SERVER_ERROR, MS_LIVE_SERVER_ERROR_CERTIFICATE,
                   "“%s” is not a host name for a certificate", hostname ? hostname : "");
      return FALSE;
    }

  key = EVP_EC_gen ("P-256");
  if (key == NULL)
    return set_openssl_error (error, "key generation");

  cert = X509_new ();
  serial = BN_new ();
  if (cert == NULL || serial == NULL
      || !X509_set_version (cert, X509_VERSION_3)
      || !BN_rand (serial, SERIAL_BITS, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY)
      || BN_to_ASN1_INTEGER (serial, X509_get_serialNumber (cert)) == NULL
      /* an hour back, for clients whose clocks run a little behind */
      || X509_gmtime_adj (X509_getm_notBefore (cert), -60 * 60) == NULL
      || X509_time_adj_ex (X509_getm_notAfter (cert), MS_LIVE_CERT_DAYS, 0, NULL) == NULL
      || !X509_set_pubkey (cert, key))
    return set_openssl_error (error, "certificate");

  name = X509_get_subject_name (cert);
  if (!X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                   (const unsigned char *) "MailSim live lab", -1, -1, 0)
      || !X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                      (const unsigned char *) hostname, -1, -1, 0)
      || !X509_set_issuer_name (cert, name))
    return set_openssl_error (error, "certificate name");

  /* Self-signed: it is its own issuer, so clients can trust it as a CA (Python's strict
   * verification wants CA:TRUE, keyCertSign and key identifiers on a trust anchor). */
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  if (g_ascii_strcasecmp (hostname, "localhost") == 0)
    san = g_strdup ("DNS:localhost,IP:127.0.0.1,IP:::1");
  else
    san = g_strdup_printf ("DNS:localhost,DNS:%s,IP:127.0.0.1,IP:::1", hostname);
  if (!add_extension (cert, &ctx, NID_basic_constraints, "critical,CA:TRUE", error)
      || !add_extension (cert, &ctx, NID_key_usage,
                         "critical,digitalSignature,keyCertSign", error)
      || !add_extension (cert, &ctx, NID_ext_key_usage, "serverAuth", error)
      || !add_extension (cert, &ctx, NID_subject_key_identifier, "hash", error)
      || !add_extension (cert, &ctx, NID_authority_key_identifier, "keyid:always", error)
      || !add_extension (cert, &ctx, NID_subject_alt_name, san, error))
    return FALSE;

  if (X509_sign (cert, key, EVP_sha256 ()) == 0)
    return set_openssl_error (error, "signing the certificate");

  cert_bio = BIO_new (BIO_s_mem ());
  key_bio = BIO_new (BIO_s_mem ());
  /* PKCS#8 "PRIVATE KEY": what GIO's PEM parser reads for every key type */
  if (cert_bio == NULL || key_bio == NULL
      || !PEM_write_bio_X509 (cert_bio, cert)
      || !PEM_write_bio_PrivateKey (key_bio, key, NULL, NULL, 0, NULL, NULL))
    return set_openssl_error (error, "writing PEM");

  if (!write_pem (key_path, key_bio, 0600, error)
      || !write_pem (cert_path, cert_bio, 0644, error))
    return FALSE;
  return TRUE;
}

gboolean
ms_live_cert_is_usable (const char *cert_path,
                        const char *key_path,
                        const char *hostname)
{
  g_autoptr(BIO) bio = NULL;
  g_autoptr(X509) cert = NULL;
  time_t soon = time (NULL) + MS_LIVE_CERT_RENEW_SECONDS;
  gboolean usable;

  if (!g_file_test (key_path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  bio = BIO_new_file (cert_path, "r");
  if (bio == NULL)
    {
      ERR_clear_error ();
      return FALSE;
    }
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  if (cert == NULL)
    {
      ERR_clear_error ();
      return FALSE;
    }
  usable = X509_cmp_time (X509_get0_notAfter (cert), &soon) > 0
           && X509_check_host (cert, hostname, 0, 0, NULL) == 1;
  ERR_clear_error ();
  return usable;
}

GTlsCertificate *
ms_live_cert_load (const char  *cert_path,
                   const char  *key_path,
                   GError     **error)
{
  GTlsCertificate *certificate;

  g_return_val_if_fail (cert_path != NULL, NULL);

  certificate = g_tls_certificate_new_from_files (cert_path, key_path, error);
  if (certificate == NULL)
    g_prefix_error (error, "%s: ", cert_path);
  return certificate;
}

GTlsCertificate *
ms_live_cert_load_or_create (const char  *state_dir,
                             const char  *hostname,
                             gboolean    *generated,
                             GError     **error)
{
  g_autofree char *cert_path = NULL;
  g_autofree char *key_path = NULL;
  gboolean made = FALSE;

  g_return_val_if_fail (state_dir != NULL, NULL);

  if (g_mkdir_with_parents (state_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "%s: %s", state_dir, g_strerror (saved));
      return NULL;
    }
  cert_path = g_build_filename (state_dir, MS_LIVE_CERT_FILE_NAME, NULL);
  key_path = g_build_filename (state_dir, MS_LIVE_KEY_FILE_NAME, NULL);
  if (!ms_live_cert_is_usable (cert_path, key_path, hostname))
    {
      if (!ms_live_cert_generate (cert_path, key_path, hostname, error))
        return NULL;
      made = TRUE;
    }
  if (generated != NULL)
    *generated = made;
  return ms_live_cert_load (cert_path, key_path, error);
}

char *
ms_live_cert_dup_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) sum = NULL;
  guint8 digest[32];
  gsize len = sizeof digest;
  GString *out;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  if (der == NULL)
    return NULL;
  sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, der->data, der->len);
  g_checksum_get_digest (sum, digest, &len);
  out = g_string_sized_new (len * 3);
  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (out, FALSE);
}
