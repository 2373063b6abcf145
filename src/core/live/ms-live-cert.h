/* ms-live-cert.h: the live lab's self-signed TLS certificate
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * On first start `mailsim serve` makes an EC P-256 key and a self-signed certificate
 * (CN and DNS name = the server's hostname, plus localhost, 127.0.0.1 and ::1; valid for
 * a year) with OpenSSL and keeps both in its state directory, so clients that were told
 * to trust it once keep trusting it. Errors are in MS_LIVE_SERVER_ERROR.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MS_LIVE_CERT_FILE_NAME  "tls-cert.pem"
#define MS_LIVE_KEY_FILE_NAME   "tls-key.pem"
#define MS_LIVE_CERT_DAYS       365
/* A certificate this close to expiry is replaced at start. */
#define MS_LIVE_CERT_RENEW_SECONDS (24 * 60 * 60)

/* Writes a new key (mode 0600) and certificate (0644) in PEM. */
gboolean         ms_live_cert_generate        (const char  *cert_path,
                                               const char  *key_path,
                                               const char  *hostname,
                                               GError     **error);
/* TRUE when CERT_PATH exists, names HOSTNAME and is valid for a while yet. */
gboolean         ms_live_cert_is_usable       (const char  *cert_path,
                                               const char  *key_path,
                                               const char  *hostname);
/* STATE_DIR/tls-cert.pem and tls-key.pem, made (or remade) when not usable.
 * *generated (optional) tells whether a new one was made. */
GTlsCertificate *ms_live_cert_load_or_create  (const char  *state_dir,
                                               const char  *hostname,
                                               gboolean    *generated,
                                               GError     **error);
GTlsCertificate *ms_live_cert_load            (const char  *cert_path,
                                               const char  *key_path,
                                               GError     **error);
/* "AB:CD:…" (32 bytes in hex): the SHA-256 of the certificate's DER form. */
char            *ms_live_cert_dup_fingerprint (GTlsCertificate *certificate);

G_END_DECLS
