/* ms-spf.h: Sender Policy Framework, RFC 7208 check_host() over an MsDnsZone
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The result of an SPF check is data, never a GError: a permerror is something to show.
 * Besides the result the evaluator keeps the chain of steps (records found, mechanisms
 * tried, DNS queries made) so that a learner can see why.
 */
#pragma once

#include <gio/gio.h>

#include "ms-dns-zone.h"

G_BEGIN_DECLS

typedef enum
{
  MS_SPF_RESULT_NONE,
  MS_SPF_RESULT_NEUTRAL,
  MS_SPF_RESULT_PASS,
  MS_SPF_RESULT_FAIL,
  MS_SPF_RESULT_SOFTFAIL,
  MS_SPF_RESULT_TEMPERROR,
  MS_SPF_RESULT_PERMERROR,
} MsSpfResult;

/* RFC 7208 §4.6.4 */
#define MS_SPF_MAX_DNS_LOOKUPS   10  /* include, a, mx, ptr, exists, redirect */
#define MS_SPF_MAX_VOID_LOOKUPS  2   /* NXDOMAIN or empty answers */
#define MS_SPF_MAX_MX_NAMES      10  /* more MX records is a permerror */
#define MS_SPF_MAX_PTR_NAMES     10  /* further PTR names are ignored */

typedef enum
{
  MS_SPF_STEP_CHECK,      /* check_host() starts on a domain */
  MS_SPF_STEP_DNS,        /* a DNS query and what it answered */
  MS_SPF_STEP_RECORD,     /* the SPF record selected for the domain */
  MS_SPF_STEP_MECHANISM,  /* a mechanism evaluated: matched or not */
  MS_SPF_STEP_MODIFIER,   /* redirect= followed, exp= evaluated */
  MS_SPF_STEP_RESULT,     /* the result of one check_host() level */
  MS_SPF_STEP_ERROR,      /* what made it a temperror/permerror, or a name skipped */
} MsSpfStepKind;

typedef struct
{
  MsSpfStepKind kind;
  guint         depth;    /* 0 for the top check_host(), +1 per include/redirect */
  char         *domain;   /* the <domain> being evaluated */
  char         *text;     /* the term, record, query ("TXT example.com") or reason */
  char         *detail;   /* DNS: rcode and answers; mechanism/modifier: what it did */
  gboolean      matched;  /* MECHANISM: it matched */
  MsSpfResult   result;   /* RESULT, and a matched MECHANISM: the result it gives */
} MsSpfStep;

typedef struct
{
  MsSpfResult  result;
  char        *identity;       /* "mailfrom" or "helo" (RFC 7208 §2.3/§2.4) */
  char        *mail_from;      /* MAIL FROM as given ("" for the null reverse-path) */
  char        *sender;         /* <sender>: with postmaster@ substituted where needed */
  char        *domain;         /* <domain> check_host() started on */
  char        *helo;
  char        *client_ip;
  char        *mechanism;      /* the term that decided, NULL for the default or an error */
  char        *explanation;    /* fail: exp= text or the default; else a short reason */
  gboolean     explanation_from_record;  /* the explanation came from an exp= TXT record */
  char        *problem;        /* temperror/permerror: what went wrong, else NULL */
  guint        n_dns_lookups;  /* terms that counted against MS_SPF_MAX_DNS_LOOKUPS */
  guint        n_void_lookups;
  GPtrArray   *steps;          /* of MsSpfStep*, in order */
} MsSpfResultInfo;

typedef struct
{
  const char *receiver;   /* the checking host, for %{r} and Received-SPF; NULL = unknown */
  gint64      timestamp;  /* %{t}, seconds since the epoch; 0 = now */
} MsSpfOptions;

/* @domain may be NULL: the domain of @sender, or @helo when @sender is empty (the HELO
 * identity, with <sender> postmaster@helo). @sender without local-part gets "postmaster". */
MsSpfResult  ms_spf_check_host           (MsDnsZone          *zone,
                                          GInetAddress       *ip,
                                          const char         *domain,
                                          const char         *sender,
                                          const char         *helo,
                                          MsSpfResultInfo   **result_info);
MsSpfResult  ms_spf_check_host_full      (MsDnsZone          *zone,
                                          GInetAddress       *ip,
                                          const char         *domain,
                                          const char         *sender,
                                          const char         *helo,
                                          const MsSpfOptions *options,
                                          MsSpfResultInfo   **result_info);

void         ms_spf_result_info_free     (MsSpfResultInfo    *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsSpfResultInfo, ms_spf_result_info_free)

const char  *ms_spf_result_to_string     (MsSpfResult         result);
gboolean     ms_spf_result_from_string   (const char         *name,
                                          MsSpfResult        *result);

/* RFC 7208 §4.5-4.6: syntax of one record ("v=spf1 ..."); @problem says what is wrong */
gboolean     ms_spf_record_check_syntax  (const char         *record,
                                          gsize               len,
                                          char              **problem);

/* A "policy" event of @trace (check "spf", result, identity, domain, client_ip, reason,
 * and mechanism when one decided), as the simulator's MTA records its inbound checks */
MsTraceEvent *ms_spf_add_trace_event     (const MsSpfResultInfo *info,
                                          MsTrace            *trace,
                                          const char         *node,
                                          guint               session);

/* RFC 7208 §9.1: the value of a Received-SPF header field (after "Received-SPF: ") */
char        *ms_spf_format_received_spf  (const MsSpfResultInfo *info,
                                          const char         *receiver);
/* RFC 8601 §2.7.2: the "spf=..." resinfo of an Authentication-Results header field */
char        *ms_spf_format_auth_results  (const MsSpfResultInfo *info);

G_END_DECLS
