/* ms-smime.h: S/MIME (RFC 8551) signing, encryption, decryption and verification
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsSmimeCa is a small in-memory certification authority for a scenario: its own
 * RSA key and self-signed certificate, and the key pairs and certificates it issued to
 * the scenario's users (subjectAltName rfc822Name, extendedKeyUsage emailProtection).
 * Messages are whole RFC 5322 messages: signing and encrypting keep the outer header
 * fields (From, To, Subject ... are never encrypted) and replace the body with
 * multipart/signed (protocol="application/pkcs7-signature"; micalg=sha-256) or
 * application/pkcs7-mime; smime-type=enveloped-data (AES-256-CBC, RSA key transport).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_SMIME_ERROR (ms_smime_error_quark ())

typedef enum
{
  MS_SMIME_ERROR_FAILED,
  MS_SMIME_ERROR_PARSE,          /* not a message, or not S/MIME */
  MS_SMIME_ERROR_NO_IDENTITY,    /* the CA issued nothing to that address */
  MS_SMIME_ERROR_NOT_RECIPIENT,  /* cannot decrypt: the key is not among the recipients */
  MS_SMIME_ERROR_TAMPERED,       /* the signed content changed after signing */
  MS_SMIME_ERROR_UNTRUSTED,      /* the signer's certificate is not from a trusted CA */
} MsSmimeError;

/* RSA modulus of the CA and users' keys */
#define MS_SMIME_KEY_BITS 2048
/* certificates are valid this long from one hour before their creation */
#define MS_SMIME_CERT_DAYS 365

typedef struct _MsSmimeCa MsSmimeCa;

typedef struct
{
  gboolean  encrypted;         /* the message was application/pkcs7-mime enveloped-data */
  gboolean  decrypted;         /* and the reader's key opened it */
  gboolean  signed_;           /* a signature was found (outside or inside the envelope) */
  gboolean  signature_valid;   /* it verified against the trusted CA */
  char     *signer;            /* the signer certificate's e-mail address, or NULL */
  char     *signer_subject;    /* its subject name (one line) */
  GError   *problem;           /* MS_SMIME_ERROR_NOT_RECIPIENT / TAMPERED / UNTRUSTED, or NULL */
  GBytes   *content;           /* the innermost MIME entity (headers + body), when reached */
} MsSmimeResult;

GQuark          ms_smime_error_quark       (void);

MsSmimeCa      *ms_smime_ca_new            (const char     *name,
                                            GError        **error);
void            ms_smime_ca_free           (MsSmimeCa      *ca);
const char     *ms_smime_ca_get_name       (MsSmimeCa      *ca);
/* Creates a key pair and a certificate for @address (again: replaces it). */
gboolean        ms_smime_ca_issue          (MsSmimeCa      *ca,
                                            const char     *address,
                                            GError        **error);
gboolean        ms_smime_ca_has            (MsSmimeCa      *ca,
                                            const char     *address);
/* PEM text; @address NULL is the CA's own certificate. NULL when not issued. */
char           *ms_smime_ca_get_cert_pem   (MsSmimeCa      *ca,
                                            const char     *address);
char           *ms_smime_ca_get_key_pem    (MsSmimeCa      *ca,
                                            const char     *address);

/* @message: an RFC 5322 message (LF or CRLF). Returns the signed message (CRLF). */
GBytes         *ms_smime_sign              (MsSmimeCa      *ca,
                                            const char     *signer,
                                            GBytes         *message,
                                            GError        **error);
/* @recipients: addresses the CA issued certificates to. */
GBytes         *ms_smime_encrypt           (MsSmimeCa      *ca,
                                            const char * const *recipients,
                                            GBytes         *message,
                                            GError        **error);
/* Signs with @signer's key, then encrypts the signed entity to @recipients. */
GBytes         *ms_smime_sign_encrypt      (MsSmimeCa      *ca,
                                            const char     *signer,
                                            const char * const *recipients,
                                            GBytes         *message,
                                            GError        **error);

/* TRUE when the top-level Content-Type is multipart/signed or application/(x-)pkcs7-mime. */
gboolean        ms_smime_is_smime          (GBytes         *message);

/* Decrypts with @reader's key (when encrypted) and verifies any signature against
 * @trust's CA certificate. NULL with @error only when @message is not S/MIME at all;
 * otherwise a result whose problem says what failed. */
MsSmimeResult  *ms_smime_open              (MsSmimeCa      *trust,
                                            const char     *reader,
                                            GBytes         *message,
                                            GError        **error);
void            ms_smime_result_free       (MsSmimeResult  *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSmimeCa, ms_smime_ca_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSmimeResult, ms_smime_result_free)

G_END_DECLS
