/* ms-spf-macro.h: RFC 7208 §7 macro expansion
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define MS_SPF_MACRO_ERROR (ms_spf_macro_error_quark ())

typedef enum
{
  MS_SPF_MACRO_ERROR_FAILED,
  MS_SPF_MACRO_ERROR_SYNTAX,     /* a '%' not followed by {, %, _ or -; an unclosed %{ */
  MS_SPF_MACRO_ERROR_LETTER,     /* an unknown macro letter, or c/r/t outside exp text */
  MS_SPF_MACRO_ERROR_TRANSFORM,  /* a zero digit transformer */
} MsSpfMacroError;

/* RFC 7208 §7.3: "at least 128" parts must be supported */
#define MS_SPF_MACRO_MAX_PARTS 128
/* expansions longer than this are refused (the record itself is at most a few KB) */
#define MS_SPF_MACRO_MAX_OUTPUT 8192

typedef char *(*MsSpfValidatedDomainFunc) (gpointer user_data);

typedef struct
{
  const char              *sender;          /* s: <sender> */
  const char              *local_part;      /* l */
  const char              *sender_domain;   /* o */
  const char              *domain;          /* d: the current <domain> */
  GInetAddress            *ip;              /* i, c, v (IPv4-mapped already unwrapped) */
  const char              *helo;            /* h */
  const char              *receiver;        /* r (exp only); "unknown" when NULL */
  gint64                   timestamp;       /* t (exp only): seconds since the epoch */
  MsSpfValidatedDomainFunc validated;       /* p: computed on demand (DNS lookups) */
  gpointer                 validated_data;
} MsSpfMacroContext;

GQuark   ms_spf_macro_error_quark (void);

/* @explanation: TRUE for the text of an exp= TXT record (allows c, r, t). With @ctx NULL
 * only the syntax is checked and @out is not set. */
gboolean ms_spf_macro_expand      (const char              *macro_string,
                                   gsize                    len,
                                   gboolean                 explanation,
                                   const MsSpfMacroContext *ctx,
                                   char                   **out,
                                   GError                 **error);

/* "i" of RFC 7208 §7.3: dotted quad, or 32 dot-separated nibbles for IPv6 */
char    *ms_spf_macro_format_ip   (GInetAddress            *ip);

G_END_DECLS
