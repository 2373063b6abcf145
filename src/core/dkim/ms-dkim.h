/* ms-dkim.h: DomainKeys Identified Mail, RFC 6376 signing and verification
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * rsa-sha256 (RFC 6376 §3.3.1) and ed25519-sha256 (RFC 8463), simple and relaxed
 * canonicalization (§3.4). The public key is the TXT record at selector._domainkey.domain
 * (§3.6.2) of an MsDnsZone. A verification result is data (MsDkimResultInfo), as with SPF;
 * a GError of MS_DKIM_ERROR says why a signature or key record cannot be used.
 */
#pragma once

#include <gio/gio.h>

#include "ms-dns-zone.h"
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_DKIM_ERROR (ms_dkim_error_quark ())

typedef enum
{
  MS_DKIM_ERROR_FAILED,
  MS_DKIM_ERROR_SYNTAX,       /* a tag-list that does not parse (RFC 6376 §3.2) */
  MS_DKIM_ERROR_MISSING_TAG,  /* a required tag is absent */
  MS_DKIM_ERROR_BAD_TAG,      /* a tag's value is not valid */
  MS_DKIM_ERROR_UNSUPPORTED,  /* an algorithm, version or key type we do not know */
  MS_DKIM_ERROR_KEY,          /* the key cannot be decoded or used */
} MsDkimError;

typedef enum
{
  MS_DKIM_RESULT_NONE,       /* RFC 8601 §2.7.1: the message was not signed */
  MS_DKIM_RESULT_PASS,
  MS_DKIM_RESULT_FAIL,       /* body hash or signature did not verify, or expired */
  MS_DKIM_RESULT_NEUTRAL,    /* signed, but the signature could not be processed */
  MS_DKIM_RESULT_TEMPERROR,  /* the key could not be fetched now (DNS timeout) */
  MS_DKIM_RESULT_PERMERROR,  /* no key, a bad key record, a required header missing */
} MsDkimResult;

typedef enum
{
  MS_DKIM_CANON_SIMPLE,
  MS_DKIM_CANON_RELAXED,
} MsDkimCanon;

typedef enum
{
  MS_DKIM_ALG_RSA_SHA256,
  MS_DKIM_ALG_ED25519_SHA256,
} MsDkimAlgorithm;

/* Limits on what we accept */
#define MS_DKIM_MAX_TAGS        64     /* tags in one tag-list */
#define MS_DKIM_MAX_SIGNATURES  8      /* DKIM-Signature fields evaluated per message */
#define MS_DKIM_MIN_RSA_BITS    1024   /* RFC 8301 §3.2 */

typedef struct
{
  char *name;
  char *value;  /* surrounding whitespace removed; inner FWS kept */
} MsDkimTag;

/* RFC 6376 §3.5: one DKIM-Signature field, parsed */
typedef struct
{
  MsDkimAlgorithm  algorithm;
  MsDkimCanon      header_canon;
  MsDkimCanon      body_canon;
  GBytes          *signature;   /* b= decoded */
  GBytes          *body_hash;   /* bh= decoded */
  char            *domain;      /* d= */
  char            *selector;    /* s= */
  char           **headers;     /* h=, lower case names in order */
  char            *identity;    /* i=, or "@d" */
  gint64           length;      /* l=, -1 when absent */
  gint64           timestamp;   /* t=, -1 when absent */
  gint64           expiration;  /* x=, -1 when absent */
} MsDkimSignature;

/* RFC 6376 §3.6.1: a key record "v=DKIM1; k=rsa; p=..." */
typedef struct
{
  MsDkimAlgorithm  key_type;    /* k= (rsa by default) */
  GBytes          *public_key;  /* p= decoded; empty = revoked */
  gboolean         testing;     /* t=y */
  gboolean         strict;      /* t=s: i= must be exactly d= */
} MsDkimKey;

typedef struct
{
  MsDkimResult  result;
  char         *domain;     /* d=, NULL when there was no usable signature */
  char         *selector;   /* s= */
  char         *algorithm;  /* "rsa-sha256" */
  char         *identity;   /* i= */
  char         *headers;    /* h= as signed, "from:to:subject" */
  char         *reason;     /* why: "signature verified", "body hash did not verify" ... */
  guint         n_signatures;
} MsDkimResultInfo;

typedef struct
{
  const char   *domain;          /* d= */
  const char   *selector;        /* s= */
  const char   *private_key_pem; /* RSA or Ed25519, PEM (PKCS#8 or traditional) */
  MsDkimCanon   header_canon;
  MsDkimCanon   body_canon;
  const char  **headers;         /* names to sign; NULL = ms_dkim_default_headers present */
  gint64        timestamp;       /* t=; 0 = now, -1 = omit */
} MsDkimSignOptions;

GQuark        ms_dkim_error_quark          (void);

/* RFC 6376 §3.2: a tag-list into an array of MsDkimTag*; duplicates are an error */
GPtrArray    *ms_dkim_tag_list_parse       (const char          *text,
                                            gsize                len,
                                            GError             **error);

MsDkimSignature *ms_dkim_signature_parse   (const char          *value,
                                            GError             **error);
void          ms_dkim_signature_free       (MsDkimSignature     *sig);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDkimSignature, ms_dkim_signature_free)

MsDkimKey    *ms_dkim_key_parse            (const char          *record,
                                            GError             **error);
void          ms_dkim_key_free             (MsDkimKey           *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDkimKey, ms_dkim_key_free)

/* The header names signed by default (those present in the message are used) */
const char * const *ms_dkim_default_headers (void);

/* RFC 6376 §3.4: canonical forms; @message/@body may use CRLF or bare LF */
GBytes       *ms_dkim_canon_body           (const char          *body,
                                            gsize                len,
                                            MsDkimCanon          canon);
char         *ms_dkim_canon_header         (const char          *field,
                                            MsDkimCanon          canon);

/* Signs @message; returns the whole field "DKIM-Signature: ...\r\n" to prepend */
char         *ms_dkim_sign                 (const char          *message,
                                            gsize                len,
                                            const MsDkimSignOptions *options,
                                            GError             **error);

/* Verifies the DKIM-Signature fields of @message against keys in @zone; @now = 0: now */
MsDkimResult  ms_dkim_verify               (MsDnsZone           *zone,
                                            const char          *message,
                                            gsize                len,
                                            gint64               now,
                                            MsDkimResultInfo   **result_info);
void          ms_dkim_result_info_free     (MsDkimResultInfo    *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsDkimResultInfo, ms_dkim_result_info_free)

const char   *ms_dkim_result_to_string     (MsDkimResult         result);
gboolean      ms_dkim_result_from_string   (const char          *name,
                                            MsDkimResult        *result);

/* The "v=DKIM1; k=rsa; p=..." record for the public half of @private_key_pem */
char         *ms_dkim_key_record_for       (const char          *private_key_pem,
                                            GError             **error);
/* A PEM Ed25519 private key derived from @seed_text (deterministic, for scenarios) */
char         *ms_dkim_derive_ed25519_key   (const char          *seed_text);

/* RFC 8601 §2.7.1: "dkim=pass header.d=example.com header.s=sel" */
char         *ms_dkim_format_auth_results  (const MsDkimResultInfo *info);
/* A "policy" event (check "dkim", result, domain, selector, reason) */
MsTraceEvent *ms_dkim_add_trace_event      (const MsDkimResultInfo *info,
                                            MsTrace             *trace,
                                            const char          *node,
                                            guint                session);

G_END_DECLS
