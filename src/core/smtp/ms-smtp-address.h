/* ms-smtp-address.h: RFC 5321 §4.1.2 path syntax for MAIL FROM and RCPT TO
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* RFC 5321 §4.5.3.1.1-3 */
#define MS_SMTP_MAX_LOCAL_PART 64
#define MS_SMTP_MAX_DOMAIN     255
#define MS_SMTP_MAX_PATH       256

typedef enum
{
  MS_SMTP_PATH_REVERSE    = 1 << 0,  /* MAIL FROM: "<>" (the null reverse-path) is allowed */
  MS_SMTP_PATH_POSTMASTER = 1 << 1,  /* RCPT TO: "<Postmaster>" without a domain is allowed */
} MsSmtpPathFlags;

typedef struct
{
  char     *mailbox;        /* "local@domain" as written (quoted local parts keep quotes);
                               "" for the null path, "Postmaster" for the bare form */
  char     *local_part;
  char     *domain;         /* NULL for the null path and the bare Postmaster */
  gboolean  is_null;
  gboolean  had_brackets;   /* FALSE: "MAIL FROM:a@b" tolerated as Postfix does */
  gboolean  had_route;      /* a source route "@a,@b:" was given and ignored (§4.1.1.3) */
} MsSmtpPath;

/* Parses a path at the start of text (leading spaces skipped). On success fills path
 * and sets *rest to what follows (parameters); on failure sets *reason to why. */
gboolean ms_smtp_path_parse (const char       *text,
                             MsSmtpPathFlags   flags,
                             MsSmtpPath       *path,
                             const char      **rest,
                             const char      **reason);
void     ms_smtp_path_clear (MsSmtpPath       *path);

G_END_DECLS
