/* agents-world.h: a small mail world for the agent tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   pc (home-pool) ─ router-a [OP25B] ─ (isp-a: mail-a, dns) ─ border-a ─ (internet: spammer)
 *     ─ border-b ─ (isp-b: mx-b)
 *
 * mail-a: MSA (587), MTA (25), MDA and MRA (110/143) for isp-a.example (alice)
 * mx-b:   MTA (25, SPF reject), MDA and MRA (110/143) for isp-b.example (bob, carol)
 */
#pragma once

#include "ms-mda.h"
#include "ms-message.h"
#include "ms-mra.h"
#include "ms-msa.h"
#include "ms-mta.h"
#include "ms-mua.h"
#include "ms-network.h"

#define PC_ADDR       "203.0.113.10"
#define MAIL_A_ADDR   "198.51.100.25"
#define DNS_ADDR      "198.51.100.53"
#define SPAMMER_ADDR  "192.0.2.66"
#define MX_B_ADDR     "100.64.1.25"
#define MAIL_A_ADDR6  "2001:db8:a::25"
#define MX_B_ADDR6    "2001:db8:b::25"
#define POP_WINDOW    (600u * G_USEC_PER_SEC)

typedef struct
{
  MsNetwork   *net;
  MsTrace     *trace;
  MsDnsZone   *zone;
  MsMailStore *store_a;
  MsMailStore *store_b;
  MsMda       *mda_a;
  MsMda       *mda_b;
  MsMta       *mta_a;
  MsMta       *mta_b;
  MsMsa       *msa_a;
  MsMra       *mra_a;
  MsMra       *mra_b;
  MsMua       *alice;    /* on pc */
  MsMua       *bob;      /* on pc too: a family PC */
  MsMua       *spammer;  /* on the Internet */
} World;

World     *world_new        (guint32      seed);
void       world_free       (World       *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (World, world_free)
void       world_run        (World       *w);

/* A message from @from to @to (and @bcc), without Message-ID and Date (the MSA adds them). */
MsMessage *world_message    (const char  *from,
                             const char  *to,
                             const char  *bcc,
                             const char  *subject,
                             const char  *text);
guint      world_count_events (World     *w,
                               const char *type,
                               const char *field,
                               const char *value);
MsTraceEvent *world_find_event (World    *w,
                                const char *type,
                                const char *field,
                                const char *value);
/* The text of message @index in a user's INBOX. */
char      *world_mailbox_text (MsMailStore *store,
                               const char  *user,
                               guint        index);
guint      world_mailbox_count (MsMailStore *store,
                                const char  *user);
guint      count_occurrences  (const char  *haystack,
                               const char  *needle);
