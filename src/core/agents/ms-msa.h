/* ms-msa.h: the message submission agent (RFC 6409)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsSmtpServer in submission mode on port 587 (and 465, implicit TLS, RFC 8314):
 * AUTH is required before MAIL ("530 5.7.0 Authentication required"), then any
 * recipient is taken. At the end of DATA it completes the message as RFC 6409 §8
 * allows (Message-ID and Date where missing; a Bcc field is removed) and hands it to
 * its MTA's queue.
 */
#pragma once

#include <glib-object.h>

#include "ms-mail-store.h"
#include "ms-mta.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_MSA_SUBMISSION_PORT  587
#define MS_MSA_SUBMISSIONS_PORT 465

typedef struct
{
  const char  *hostname;
  MsMailStore *users;          /* who may log in */
  MsMta       *mta;            /* where submitted mail goes */
  gboolean     starttls;       /* offer STARTTLS on 587 */
  gboolean     require_tls;    /* AUTH and MAIL only inside TLS */
  gboolean     implicit_tls;   /* also listen on 465 */
} MsMsaConfig;

#define MS_TYPE_MSA (ms_msa_get_type ())
G_DECLARE_FINAL_TYPE (MsMsa, ms_msa, MS, MSA, GObject)

MsMsa  *ms_msa_new              (MsNode             *node,
                                 const MsMsaConfig  *config,
                                 GError            **error);
MsNode *ms_msa_get_node         (MsMsa              *self);
guint   ms_msa_get_n_submitted  (MsMsa              *self);

G_END_DECLS
