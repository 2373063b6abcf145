/* ms-mra.h: the mail retrieval agent (POP3 and IMAP over one store)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsPop3Server on 110 (995 with implicit TLS) and an MsImapServer on 143 (993) of
 * its node, both over the same MsMailStore the MDA delivers into. A successful POP3
 * login can open a POP-before-SMTP relay window on an MTA for the client's address.
 */
#pragma once

#include <glib-object.h>

#include "ms-mail-store.h"
#include "ms-mta.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_MRA_POP3_PORT  110
#define MS_MRA_POP3S_PORT 995
#define MS_MRA_IMAP_PORT  143
#define MS_MRA_IMAPS_PORT 993

typedef struct
{
  const char  *hostname;
  MsMailStore *store;
  gboolean     pop3;              /* listen on 110 */
  gboolean     imap;              /* listen on 143 */
  gboolean     implicit_tls;      /* also 995 / 993 for those enabled */
  gboolean     starttls;          /* offer STLS / STARTTLS */
  MsMta       *pop_before_smtp;   /* tell this MTA about POP3 logins, or NULL */
} MsMraConfig;

#define MS_TYPE_MRA (ms_mra_get_type ())
G_DECLARE_FINAL_TYPE (MsMra, ms_mra, MS, MRA, GObject)

MsMra  *ms_mra_new           (MsNode             *node,
                              const MsMraConfig  *config,
                              GError            **error);
MsNode *ms_mra_get_node      (MsMra              *self);
guint   ms_mra_get_n_logins  (MsMra              *self);

G_END_DECLS
