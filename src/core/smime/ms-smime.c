/* ms-smime.c: S/MIME (RFC 8551) with OpenSSL 3 CMS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-smime.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

G_DEFINE_QUARK (ms-smime-error-quark, ms_smime_error)

typedef struct
{
  EVP_PKEY *key;
  X509     *cert;
} Identity;

struct _MsSmimeCa
{
  char       *name;
  EVP_PKEY   *key;
  X509       *cert;
  long        next_serial;
  GHashTable *identities;      /* lower-case address -> Identity */
};

static void
identity_free (gpointer data)
{
  Identity *id = data;

  EVP_PKEY_free (id->key);
  X509_free (id->cert);
  g_free (id);
}

/* The first OpenSSL error queued, as text; clears the queue. */
static char *
openssl_error_text (void)
{
  unsigned long code = ERR_peek_error ();
  char buf[256];

  if (code == 0)
    return g_strdup ("unknown OpenSSL error");
  ERR_error_string_n (code, buf, sizeof buf);
  ERR_clear_error ();
  return g_strdup (buf);
}

static void
set_openssl_error (GError **error, int code, const char *what)
{
  g_autofree char *detail = openssl_error_text ();

  g_set_error (error, MS_SMIME_ERROR, code, "%s: %s", what, detail);
}

static gboolean
add_ext (X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid (NULL, ctx, nid, value);
  int ok;

  if (ext == NULL)
    return FALSE;
  ok = X509_add_ext (cert, ext, -1);
  X509_EXTENSION_free (ext);
  return ok == 1;
}

/* The certificate as a verifier sees it: read back from its DER encoding. */
static X509 *
reparse (X509 *cert)
{
  unsigned char *der = NULL;
  const unsigned char *p;
  int len = i2d_X509 (cert, &der);
  X509 *copy;

  p = der;
  copy = len > 0 ? d2i_X509 (NULL, &p, len) : NULL;
  OPENSSL_free (der);
  X509_free (cert);
  return copy;
}

/* A certificate for @key: the CA's own when @issuer is NULL (self-signed), else an
 * end-entity certificate for S/MIME (RFC 8550 §4.4: emailProtection, rfc822Name). */
static X509 *
make_cert (EVP_PKEY *key, const char *cn, const char *email, X509 *issuer, EVP_PKEY *issuer_key,
           long serial, GError **error)
{
  X509 *cert = X509_new ();
  X509_NAME *name = X509_NAME_new ();
  X509V3_CTX ctx;
  g_autofree char *san = NULL;
  gboolean ok = TRUE;

  X509_set_version (cert, X509_VERSION_3);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), serial);
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), 86400L * MS_SMIME_CERT_DAYS);
  X509_set_pubkey (cert, key);
  X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8, (const unsigned char *) "MailSim", -1, -1, 0);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) cn, -1, -1, 0);
  X509_set_subject_name (cert, name);
  X509_set_issuer_name (cert, issuer != NULL ? X509_get_subject_name (issuer) : name);
  X509_NAME_free (name);

  X509V3_set_ctx (&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
  if (issuer == NULL)
    {
      ok = ok && add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
      ok = ok && add_ext (cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
      ok = ok && add_ext (cert, &ctx, NID_subject_key_identifier, "hash");
    }
  else
    {
      san = g_strdup_printf ("email:%s", email);
      ok = ok && add_ext (cert, &ctx, NID_basic_constraints, "critical,CA:FALSE");
      ok = ok && add_ext (cert, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment");
      ok = ok && add_ext (cert, &ctx, NID_ext_key_usage, "emailProtection");
      ok = ok && add_ext (cert, &ctx, NID_subject_key_identifier, "hash");
      ok = ok && add_ext (cert, &ctx, NID_authority_key_identifier, "keyid:always");
      ok = ok && add_ext (cert, &ctx, NID_subject_alt_name, san);
    }
  if (!ok || X509_sign (cert, issuer_key != NULL ? issuer_key : key, EVP_sha256 ()) <= 0)
    {
      set_openssl_error (error, MS_SMIME_ERROR_FAILED, "cannot make a certificate");
      X509_free (cert);
      return NULL;
    }
  return reparse (cert);
}

MsSmimeCa *
ms_smime_ca_new (const char *name, GError **error)
{
  g_autoptr (MsSmimeCa) ca = g_new0 (MsSmimeCa, 1);

  g_return_val_if_fail (name != NULL, NULL);

  ca->name = g_strdup (name);
  ca->next_serial = 1;
  ca->identities = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, identity_free);
  ca->key = EVP_RSA_gen (MS_SMIME_KEY_BITS);
  if (ca->key == NULL)
    {
      set_openssl_error (error, MS_SMIME_ERROR_FAILED, "cannot generate the CA key");
      return NULL;
    }
  ca->cert = make_cert (ca->key, name, NULL, NULL, NULL, ca->next_serial++, error);
  if (ca->cert == NULL)
    return NULL;
  return g_steal_pointer (&ca);
}

void
ms_smime_ca_free (MsSmimeCa *ca)
{
  if (ca == NULL)
    return;
  g_free (ca->name);
  EVP_PKEY_free (ca->key);
  X509_free (ca->cert);
  g_hash_table_unref (ca->identities);
  g_free (ca);
}

const char *
ms_smime_ca_get_name (MsSmimeCa *ca)
{
  return ca->name;
}

static Identity *
lookup (MsSmimeCa *ca, const char *address)
{
  g_autofree char *lower = NULL;

  if (address == NULL)
    return NULL;
  lower = g_ascii_strdown (address, -1);
  return g_hash_table_lookup (ca->identities, lower);
}

static Identity *
lookup_or_error (MsSmimeCa *ca, const char *address, GError **error)
{
  Identity *id = lookup (ca, address);

  if (id == NULL)
    g_set_error (error, MS_SMIME_ERROR, MS_SMIME_ERROR_NO_IDENTITY,
                 "%s has no certificate from %s", address != NULL ? address : "(nobody)",
                 ca->name);
  return id;
}

gboolean
ms_smime_ca_issue (MsSmimeCa *ca, const char *address, GError **error)
{
  Identity *id;

  g_return_val_if_fail (ca != NULL && address != NULL, FALSE);

  id = g_new0 (Identity, 1);
  id->key = EVP_RSA_gen (MS_SMIME_KEY_BITS);
  if (id->key == NULL)
    {
      set_openssl_error (error, MS_SMIME_ERROR_FAILED, "cannot generate a key");
      identity_free (id);
      return FALSE;
    }
  id->cert = make_cert (id->key, address, address, ca->cert, ca->key, ca->next_serial++, error);
  if (id->cert == NULL)
    {
      identity_free (id);
      return FALSE;
    }
  g_hash_table_replace (ca->identities, g_ascii_strdown (address, -1), id);
  return TRUE;
}

gboolean
ms_smime_ca_has (MsSmimeCa *ca, const char *address)
{
  return lookup (ca, address) != NULL;
}

static char *
bio_to_string (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_strndup (data, len);
}

char *
ms_smime_ca_get_cert_pem (MsSmimeCa *ca, const char *address)
{
  X509 *cert = ca->cert;
  BIO *bio;
  char *pem;

  if (address != NULL)
    {
      Identity *id = lookup (ca, address);

      if (id == NULL)
        return NULL;
      cert = id->cert;
    }
  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_X509 (bio, cert);
  pem = bio_to_string (bio);
  BIO_free (bio);
  return pem;
}

char *
ms_smime_ca_get_key_pem (MsSmimeCa *ca, const char *address)
{
  EVP_PKEY *key = ca->key;
  BIO *bio;
  char *pem;

  if (address != NULL)
    {
      Identity *id = lookup (ca, address);

      if (id == NULL)
        return NULL;
      key = id->key;
    }
  bio = BIO_new (BIO_s_mem ());
  PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL);
  pem = bio_to_string (bio);
  BIO_free (bio);
  return pem;
}

/* --- MIME plumbing ------------------------------------------------------------ */

/* The message with every line ending CRLF (RFC 8551 §3.1.1 canonical form). */
static GString *
to_crlf (const char *data, gsize len)
{
  GString *out = g_string_sized_new (len + len / 32 + 2);
  gsize i;

  for (i = 0; i < len; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_string_append_c (out, '\r');
      g_string_append_c (out, data[i]);
    }
  return out;
}

/* Splits @msg (CRLF) into its header fields (each unfolded-free, with its CRLFs) and
 * the body offset. */
static GPtrArray *
split_fields (const char *msg, gsize len, gsize *body_start)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  gsize pos = 0;

  while (pos < len)
    {
      gsize start = pos;
      const char *eol;

      if (len - pos >= 2 && msg[pos] == '\r' && msg[pos + 1] == '\n')
        {
          pos += 2;
          break;
        }
      /* one field: its first line and every continuation line (RFC 5322 §2.2.3) */
      do
        {
          eol = g_strstr_len (msg + pos, len - pos, "\r\n");
          pos = eol != NULL ? (gsize) (eol - msg) + 2 : len;
        }
      while (pos < len && (msg[pos] == ' ' || msg[pos] == '\t'));
      g_ptr_array_add (fields, g_strndup (msg + start, pos - start));
    }
  *body_start = MIN (pos, len);
  return fields;
}

static gboolean
field_is (const char *field, const char *name)
{
  gsize n = strlen (name);

  return g_ascii_strncasecmp (field, name, n) == 0 && field[n] == ':';
}

static gboolean
is_mime_field (const char *field)
{
  return g_ascii_strncasecmp (field, "Content-", 8) == 0 || field_is (field, "MIME-Version");
}

/* The lower-case value of the top-level Content-Type, unfolded; NULL when none. */
static char *
content_type_of (const char *msg, gsize len)
{
  g_autoptr (GPtrArray) fields = NULL;
  gsize body;
  guint i;

  fields = split_fields (msg, len, &body);
  for (i = 0; i < fields->len; i++)
    {
      const char *f = g_ptr_array_index (fields, i);

      if (field_is (f, "Content-Type"))
        {
          g_autofree char *value = g_strdup (f + strlen ("Content-Type:"));
          g_autofree char *lower = NULL;
          char *p;

          for (p = value; *p != '\0'; p++)
            if (*p == '\r' || *p == '\n' || *p == '\t')
              *p = ' ';
          lower = g_ascii_strdown (g_strstrip (value), -1);
          return g_steal_pointer (&lower);
        }
    }
  return NULL;
}

static gboolean
has_8bit (const char *data, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    if ((guchar) data[i] >= 0x80)
      return TRUE;
  return FALSE;
}

/* Splits @message into the outer header fields (kept in clear) and the inner MIME
 * entity that is signed or encrypted: its Content-* fields and body. An 8-bit body is
 * given base64 so that the signed entity is 7-bit (RFC 8551 §3.1.2). */
static void
split_message (GBytes *message, GString **outer, GString **inner)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autoptr (GString) crlf = to_crlf (data, len);
  g_autoptr (GPtrArray) fields = NULL;
  gsize body_start;
  const char *body;
  gsize body_len;
  gboolean reencode;
  gboolean has_type = FALSE;
  guint i;

  fields = split_fields (crlf->str, crlf->len, &body_start);
  body = crlf->str + body_start;
  body_len = crlf->len - body_start;
  reencode = has_8bit (body, body_len);
  *outer = g_string_new (NULL);
  *inner = g_string_new (NULL);
  for (i = 0; i < fields->len; i++)
    {
      const char *f = g_ptr_array_index (fields, i);

      if (!is_mime_field (f))
        g_string_append (*outer, f);
      else if (field_is (f, "MIME-Version"))
        continue;  /* the S/MIME entity brings its own */
      else if (reencode && field_is (f, "Content-Transfer-Encoding"))
        continue;
      else
        {
          has_type = has_type || field_is (f, "Content-Type");
          g_string_append (*inner, f);
        }
    }
  if (!has_type)
    g_string_append (*inner, reencode ? "Content-Type: text/plain; charset=UTF-8\r\n"
                                      : "Content-Type: text/plain; charset=us-ascii\r\n");
  if (reencode)
    {
      g_autofree char *b64 = g_base64_encode ((const guchar *) body, body_len);
      gsize n = strlen (b64);
      gsize at;

      g_string_append (*inner, "Content-Transfer-Encoding: base64\r\n\r\n");
      for (at = 0; at < n; at += 76)
        {
          g_string_append_len (*inner, b64 + at, MIN (76, n - at));
          g_string_append (*inner, "\r\n");
        }
    }
  else
    {
      g_string_append (*inner, "\r\n");
      g_string_append_len (*inner, body, body_len);
    }
}

static BIO *
bio_from (const GString *s)
{
  return BIO_new_mem_buf (s->str, (int) s->len);
}

/* OpenSSL picks a random boundary; ours is derived from the signed entity, so that the
 * same message gives the same structure on every run (scenario traces compare equal). */
static void
stable_boundary (GString *entity, const GString *inner)
{
  g_autofree char *digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                         (const guchar *) inner->str,
                                                         inner->len);
  g_autofree char *fresh = g_strdup_printf ("----=_smime_%.24s", digest);
  g_autofree char *old = NULL;
  const char *start = strstr (entity->str, "boundary=\"");
  const char *end;
  gsize at = 0;
  char *hit;

  if (start == NULL || (end = strchr (start + 10, '"')) == NULL)
    return;
  old = g_strndup (start + 10, end - (start + 10));
  if (strlen (old) != strlen (fresh) || strstr (inner->str, fresh) != NULL)
    return;  /* same length: replaced in place */
  while ((hit = strstr (entity->str + at, old)) != NULL)
    {
      at = hit - entity->str;
      memcpy (hit, fresh, strlen (fresh));
      at += strlen (fresh);
    }
}

/* RFC 8551 §3.5.3: multipart/signed; protocol="application/pkcs7-signature";
 * micalg=sha-256; the signature is detached, over the canonical first part. */
static GString *
sign_entity (Identity *id, const GString *inner, GError **error)
{
  BIO *data = bio_from (inner);
  BIO *out = BIO_new (BIO_s_mem ());
  CMS_ContentInfo *cms;
  const int flags = CMS_DETACHED | CMS_BINARY;
  GString *entity = NULL;

  /* streaming: the signature is computed while the first part is written out */
  cms = CMS_sign (NULL, NULL, NULL, NULL, flags | CMS_PARTIAL | CMS_STREAM);
  if (cms == NULL || CMS_add1_signer (cms, id->cert, id->key, EVP_sha256 (), flags) == NULL
      || !SMIME_write_CMS (out, cms, data, flags | CMS_STREAM | SMIME_CRLFEOL))
    set_openssl_error (error, MS_SMIME_ERROR_FAILED, "cannot sign");
  else
    {
      char *p = NULL;
      long n = BIO_get_mem_data (out, &p);

      entity = to_crlf (p, n);
      stable_boundary (entity, inner);
    }
  CMS_ContentInfo_free (cms);
  BIO_free (data);
  BIO_free (out);
  return entity;
}

/* RFC 8551 §3.3: application/pkcs7-mime; smime-type=enveloped-data, AES-256-CBC
 * (§2.7: every S/MIME 3.x agent decrypts it; OpenSSL's smime command too). */
static GString *
encrypt_entity (MsSmimeCa *ca, const char * const *recipients, const GString *inner,
                GError **error)
{
  STACK_OF (X509) *certs = sk_X509_new_null ();
  BIO *in = bio_from (inner);
  BIO *out = BIO_new (BIO_s_mem ());
  CMS_ContentInfo *cms = NULL;
  GString *entity = NULL;
  guint i;

  for (i = 0; recipients != NULL && recipients[i] != NULL; i++)
    {
      Identity *id = lookup_or_error (ca, recipients[i], error);

      if (id == NULL)
        goto out;
      sk_X509_push (certs, id->cert);
    }
  if (sk_X509_num (certs) == 0)
    {
      g_set_error (error, MS_SMIME_ERROR, MS_SMIME_ERROR_NO_IDENTITY, "no recipients");
      goto out;
    }
  cms = CMS_encrypt (certs, in, EVP_aes_256_cbc (), CMS_BINARY);
  if (cms == NULL || !SMIME_write_CMS (out, cms, NULL, CMS_BINARY | SMIME_CRLFEOL))
    set_openssl_error (error, MS_SMIME_ERROR_FAILED, "cannot encrypt");
  else
    {
      char *p = NULL;
      long n = BIO_get_mem_data (out, &p);

      entity = to_crlf (p, n);
    }
out:
  CMS_ContentInfo_free (cms);
  sk_X509_free (certs);
  BIO_free (in);
  BIO_free (out);
  return entity;
}

/* Without its own MIME-Version line: the entity is nested or gets the outer one back. */
static GString *
drop_mime_version (GString *entity)
{
  if (g_ascii_strncasecmp (entity->str, "MIME-Version:", 13) == 0)
    {
      const char *eol = strstr (entity->str, "\r\n");

      if (eol != NULL)
        g_string_erase (entity, 0, eol + 2 - entity->str);
    }
  return entity;
}

GBytes *
ms_smime_sign (MsSmimeCa *ca, const char *signer, GBytes *message, GError **error)
{
  g_autoptr (GString) outer = NULL;
  g_autoptr (GString) inner = NULL;
  g_autoptr (GString) entity = NULL;
  Identity *id;

  g_return_val_if_fail (ca != NULL && message != NULL, NULL);

  if ((id = lookup_or_error (ca, signer, error)) == NULL)
    return NULL;
  split_message (message, &outer, &inner);
  if ((entity = sign_entity (id, inner, error)) == NULL)
    return NULL;
  g_string_prepend (entity, outer->str);
  return g_string_free_to_bytes (g_steal_pointer (&entity));
}

GBytes *
ms_smime_encrypt (MsSmimeCa *ca, const char * const *recipients, GBytes *message,
                  GError **error)
{
  g_autoptr (GString) outer = NULL;
  g_autoptr (GString) inner = NULL;
  g_autoptr (GString) entity = NULL;

  g_return_val_if_fail (ca != NULL && message != NULL, NULL);

  split_message (message, &outer, &inner);
  if ((entity = encrypt_entity (ca, recipients, inner, error)) == NULL)
    return NULL;
  g_string_prepend (entity, outer->str);
  return g_string_free_to_bytes (g_steal_pointer (&entity));
}

GBytes *
ms_smime_sign_encrypt (MsSmimeCa *ca, const char *signer, const char * const *recipients,
                       GBytes *message, GError **error)
{
  g_autoptr (GString) outer = NULL;
  g_autoptr (GString) inner = NULL;
  g_autoptr (GString) signed_entity = NULL;
  g_autoptr (GString) entity = NULL;
  Identity *id;

  g_return_val_if_fail (ca != NULL && message != NULL, NULL);

  if ((id = lookup_or_error (ca, signer, error)) == NULL)
    return NULL;
  split_message (message, &outer, &inner);
  if ((signed_entity = sign_entity (id, inner, error)) == NULL)
    return NULL;
  drop_mime_version (signed_entity);
  if ((entity = encrypt_entity (ca, recipients, signed_entity, error)) == NULL)
    return NULL;
  g_string_prepend (entity, outer->str);
  return g_string_free_to_bytes (g_steal_pointer (&entity));
}

static gboolean
type_is_smime (const char *type)
{
  return type != NULL
    && (g_str_has_prefix (type, "multipart/signed")
        || g_str_has_prefix (type, "application/pkcs7-mime")
        || g_str_has_prefix (type, "application/x-pkcs7-mime"));
}

gboolean
ms_smime_is_smime (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autoptr (GString) crlf = to_crlf (data, len);
  g_autofree char *type = content_type_of (crlf->str, crlf->len);

  return type_is_smime (type);
}

void
ms_smime_result_free (MsSmimeResult *result)
{
  if (result == NULL)
    return;
  g_free (result->signer);
  g_free (result->signer_subject);
  g_clear_error (&result->problem);
  g_clear_pointer (&result->content, g_bytes_unref);
  g_free (result);
}

static GBytes *
bio_to_bytes (BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  return g_bytes_new (data, len);
}

/* The certificate of the (first) signer, found among the certificates the message
 * carries; NULL when it carries none that matches. */
static X509 *
find_signer_cert (CMS_ContentInfo *cms)
{
  STACK_OF (CMS_SignerInfo) *infos = CMS_get0_SignerInfos (cms);
  STACK_OF (X509) *certs = CMS_get1_certs (cms);
  X509 *found = NULL;
  int i;

  if (infos != NULL && sk_CMS_SignerInfo_num (infos) > 0 && certs != NULL)
    {
      CMS_SignerInfo *si = sk_CMS_SignerInfo_value (infos, 0);

      for (i = 0; i < sk_X509_num (certs) && found == NULL; i++)
        if (CMS_SignerInfo_cert_cmp (si, sk_X509_value (certs, i)) == 0)
          {
            found = sk_X509_value (certs, i);
            X509_up_ref (found);
          }
    }
  sk_X509_pop_free (certs, X509_free);
  return found;
}

static void
note_signer (MsSmimeResult *result, X509 *cert)
{
  STACK_OF (OPENSSL_STRING) *emails = X509_get1_email (cert);
  char buf[256];

  if (emails != NULL && sk_OPENSSL_STRING_num (emails) > 0)
    result->signer = g_strdup (sk_OPENSSL_STRING_value (emails, 0));
  X509_email_free (emails);
  X509_NAME_oneline (X509_get_subject_name (cert), buf, sizeof buf);
  result->signer_subject = g_strdup (buf);
}

/* RFC 8551 §3.5: the content digest and signature first (a change in transit shows as
 * tampered), then the signer's certificate path to the trusted CA. */
static void
verify (MsSmimeCa *trust, CMS_ContentInfo *cms, BIO *detached, MsSmimeResult *result)
{
  BIO *out = BIO_new (BIO_s_mem ());
  X509 *signer = find_signer_cert (cms);
  X509_STORE *store = NULL;
  X509_STORE_CTX *ctx = NULL;

  result->signed_ = TRUE;
  if (signer != NULL)
    note_signer (result, signer);
  if (CMS_verify (cms, NULL, NULL, detached, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    {
      g_autofree char *detail = openssl_error_text ();

      g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_TAMPERED,
                   "the signature does not match the content (altered after signing): %s",
                   detail);
      goto out;
    }
  g_clear_pointer (&result->content, g_bytes_unref);
  result->content = bio_to_bytes (out);
  if (signer == NULL)
    {
      g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_UNTRUSTED,
                   "the message carries no signer certificate");
      goto out;
    }
  store = X509_STORE_new ();
  X509_STORE_add_cert (store, trust->cert);
  ctx = X509_STORE_CTX_new ();
  X509_STORE_CTX_init (ctx, store, signer, CMS_get1_certs (cms) /* freed below */);
  X509_STORE_CTX_set_purpose (ctx, X509_PURPOSE_SMIME_SIGN);
  if (X509_verify_cert (ctx) != 1)
    g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_UNTRUSTED,
                 "the signer's certificate is not trusted (CA \"%s\"): %s", trust->name,
                 X509_verify_cert_error_string (X509_STORE_CTX_get_error (ctx)));
  else
    result->signature_valid = TRUE;
  sk_X509_pop_free (X509_STORE_CTX_get0_untrusted (ctx), X509_free);
  ERR_clear_error ();
out:
  X509_STORE_CTX_free (ctx);
  X509_STORE_free (store);
  X509_free (signer);
  BIO_free (out);
}

static gboolean open_entity (MsSmimeCa *trust, const char *reader, const char *data, gsize len,
                             MsSmimeResult *result, int depth, GError **error);

static gboolean
open_entity (MsSmimeCa *trust, const char *reader, const char *data, gsize len,
             MsSmimeResult *result, int depth, GError **error)
{
  g_autoptr (GString) crlf = to_crlf (data, len);
  g_autofree char *type = content_type_of (crlf->str, crlf->len);
  BIO *in;
  BIO *content = NULL;
  CMS_ContentInfo *cms;
  int nid;

  if (!type_is_smime (type))
    {
      if (depth == 0)
        {
          g_set_error (error, MS_SMIME_ERROR, MS_SMIME_ERROR_PARSE,
                       "not an S/MIME message (Content-Type: %s)", type != NULL ? type : "none");
          return FALSE;
        }
      return TRUE;
    }
  if (depth > 2)
    return TRUE;  /* triple wrapping at most (RFC 8551 §3.7) */

  in = BIO_new_mem_buf (crlf->str, (int) crlf->len);
  cms = SMIME_read_CMS (in, &content);
  BIO_free (in);
  if (cms == NULL)
    {
      g_autofree char *detail = openssl_error_text ();

      if (depth == 0)
        {
          g_set_error (error, MS_SMIME_ERROR, MS_SMIME_ERROR_PARSE,
                       "cannot read the S/MIME structure: %s", detail);
          return FALSE;
        }
      g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_PARSE,
                   "cannot read the inner S/MIME structure: %s", detail);
      return TRUE;
    }

  nid = OBJ_obj2nid (CMS_get0_type (cms));
  if (nid == NID_pkcs7_enveloped || nid == NID_id_smime_ct_authEnvelopedData)
    {
      Identity *id = lookup (trust, reader);
      BIO *out = BIO_new (BIO_s_mem ());
      g_autoptr (GBytes) inner = NULL;

      result->encrypted = TRUE;
      if (id == NULL)
        g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_NOT_RECIPIENT,
                     "%s has no private key to decrypt with", reader != NULL ? reader : "nobody");
      else if (CMS_decrypt (cms, id->key, id->cert, NULL, out, CMS_BINARY) != 1)
        g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_NOT_RECIPIENT,
                     "%s is not a recipient: no RecipientInfo in the envelope names its "
                     "certificate, so its private key cannot recover the content key", reader);
      else
        {
          gsize n;
          const char *p;

          result->decrypted = TRUE;
          g_clear_pointer (&result->content, g_bytes_unref);
          result->content = bio_to_bytes (out);
          inner = g_bytes_ref (result->content);
          p = g_bytes_get_data (inner, &n);
          open_entity (trust, reader, p, n, result, depth + 1, NULL);
        }
      BIO_free (out);
    }
  else if (nid == NID_pkcs7_signed)
    verify (trust, cms, content, result);  /* content: multipart/signed's first part */
  else
    g_set_error (&result->problem, MS_SMIME_ERROR, MS_SMIME_ERROR_PARSE,
                 "unsupported CMS content type %s", OBJ_nid2sn (nid));
  BIO_free (content);
  CMS_ContentInfo_free (cms);
  ERR_clear_error ();
  return TRUE;
}

MsSmimeResult *
ms_smime_open (MsSmimeCa *trust, const char *reader, GBytes *message, GError **error)
{
  MsSmimeResult *result = g_new0 (MsSmimeResult, 1);
  gsize len;
  const char *data;

  g_return_val_if_fail (trust != NULL && message != NULL, NULL);

  data = g_bytes_get_data (message, &len);
  if (!open_entity (trust, reader, data, len, result, 0, error))
    {
      ms_smime_result_free (result);
      return NULL;
    }
  return result;
}
