/* ms-mta.h: the mail transfer agent (SMTP relay with a queue)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsSmtpServer on port 25 of its node with Postfix-like relay rules: mail for its own
 * domains is accepted and handed to the MDA; mail for elsewhere is relayed only for its
 * own networks (mynetworks), authenticated users, or an address a POP3 login opened
 * (POP before SMTP); anything else gets "554 5.7.1 Relay access denied". Relayed mail
 * waits in a queue; each attempt looks up the MX through the simulated DNS (the A record
 * when there is no MX, RFC 5321 §5.1) and hands the message over with an MsSmtpClient.
 * A 4xx answer (or no answer) defers with back-off on the virtual clock; a 5xx answer, or
 * too many attempts, bounces: a DSN (RFC 3464) from MAILER-DAEMON with the null sender
 * goes to the Return-Path. Inbound SPF (RFC 7208) can mark or refuse.
 */
#pragma once

#include <glib-object.h>

#include "ms-dns-zone.h"
#include "ms-mda.h"
#include "ms-net-types.h"

G_BEGIN_DECLS

#define MS_MTA_SMTP_PORT 25

/* RFC 5321 §4.5.4.1: retry at least 30 minutes apart, give up after 4-5 days; a
 * teaching run wants minutes, so the defaults are short, doubling, and capped. */
#define MS_MTA_DEFAULT_RETRY_BASE   (60u * G_USEC_PER_SEC)
#define MS_MTA_DEFAULT_RETRY_MAX    (60u * 60u * G_USEC_PER_SEC)
#define MS_MTA_DEFAULT_MAX_ATTEMPTS 5u
#define MS_MTA_DEFAULT_POP_WINDOW   (10u * 60u * G_USEC_PER_SEC)

typedef enum
{
  MS_MTA_SPF_OFF,     /* no check */
  MS_MTA_SPF_MARK,    /* record Received-SPF / Authentication-Results, accept */
  MS_MTA_SPF_REJECT,  /* fail: 550 5.7.23 (RFC 7372); anything else marked */
} MsMtaSpfPolicy;

typedef enum
{
  MS_MTA_DKIM_OFF,     /* no check */
  MS_MTA_DKIM_MARK,    /* record dkim= in Authentication-Results, accept */
  MS_MTA_DKIM_REJECT,  /* fail: 550 5.7.20 (RFC 7372); anything else marked */
} MsMtaDkimPolicy;

/* A transport-table entry (Postfix transport(5) "smtp:[host]:port", relayhost): mail for
 * @domain goes to @host instead of the domain's MX. @domain "*" matches every non-local
 * domain (a smarthost); a domain that starts with "." matches its subdomains. An entry
 * for a named domain also makes the MTA accept mail for that domain from anyone (Postfix
 * relay_domains), as a DMZ server does for the internal server behind it. @host is an
 * address or a host name (its A/AAAA record, no MX lookup). */
typedef struct
{
  const char *domain;
  const char *host;
  guint16     port;     /* 0: 25 */
} MsMtaRoute;

typedef struct
{
  const char         *hostname;        /* greeting, Received, Reporting-MTA, HELO */
  const char * const *domains;         /* mail for these is delivered locally (mydestination) */
  const char * const *networks;        /* CIDRs whose clients may relay (mynetworks) */
  const char         *dns_server;      /* the resolver's address (MX and A lookups) */
  MsMda              *mda;             /* local delivery; NULL: no local domains */
  MsMailStore        *users;           /* SMTP AUTH on port 25 (relay for users); or NULL */
  MsMtaSpfPolicy      spf;
  MsDnsZone          *spf_zone;        /* the DNS data SPF evaluates (the zone the DNS serves) */
  guint64             retry_base_us;   /* 0: MS_MTA_DEFAULT_RETRY_BASE */
  guint64             retry_max_us;    /* 0: MS_MTA_DEFAULT_RETRY_MAX */
  guint               max_attempts;    /* 0: MS_MTA_DEFAULT_MAX_ATTEMPTS */
  gboolean            starttls;        /* offer STARTTLS, and use it when relaying */
  guint64             pop_before_smtp_us; /* relay window after a POP3 login; 0: off */
  const MsMtaRoute   *routes;          /* the transport table, first match wins; or NULL */
  guint               n_routes;
  MsMtaDkimPolicy     dkim;            /* inbound DKIM verification (keys from spf_zone) */
  const char         *dkim_selector;   /* sign mail from our domains with this selector; */
  const char         *dkim_key_pem;    /*   and this private key (NULL: do not sign) */
  const char         *list_tag;        /* rewrite relayed mail as list "tag" does; NULL: no */
} MsMtaConfig;

typedef struct
{
  char  *id;
  char  *sender;       /* "" for a bounce */
  GStrv  recipients;   /* still to deliver */
  guint  attempts;
} MsMtaQueueInfo;

#define MS_TYPE_MTA (ms_mta_get_type ())
G_DECLARE_FINAL_TYPE (MsMta, ms_mta, MS, MTA, GObject)

/* Listens on port 25 of @node. */
MsMta       *ms_mta_new                 (MsNode             *node,
                                         const MsMtaConfig  *config,
                                         GError            **error);
MsNode      *ms_mta_get_node            (MsMta              *self);
const char  *ms_mta_get_hostname       (MsMta              *self);
gboolean     ms_mta_is_local_domain     (MsMta              *self,
                                         const char         *domain);
/* Takes a message into the queue (the MSA's hand-over, or a bounce). Local recipients
 * are delivered at once, the others are tried at once. Returns the queue id. */
char        *ms_mta_enqueue             (MsMta              *self,
                                         guint               session,
                                         const char         *sender,
                                         const char * const *recipients,
                                         GBytes             *message);
/* Greylisting-like switch: answer the next @n RCPT commands "451 4.3.0" (then accept
 * again), so that a scenario shows the sending MTA deferring and retrying. */
void         ms_mta_set_tempfail        (MsMta              *self,
                                         guint               n);
void         ms_mta_set_spf_policy      (MsMta              *self,
                                         MsMtaSpfPolicy      policy);
void         ms_mta_set_dkim_policy     (MsMta              *self,
                                         MsMtaDkimPolicy     policy);
void         ms_mta_set_list_tag        (MsMta              *self,
                                         const char         *tag);
/* POP before SMTP: @address may relay until the window (config) is over. */
void         ms_mta_open_relay_window   (MsMta              *self,
                                         const char         *address,
                                         const char         *user);
gboolean     ms_mta_is_relay_window_open (MsMta             *self,
                                         const char         *address);
/* The transport-table entry for @domain (a named entry before "*"), or NULL: the MX. */
const MsMtaRoute *ms_mta_find_route    (MsMta              *self,
                                         const char         *domain);
guint        ms_mta_get_n_queued        (MsMta              *self);
/* Messages sent on, bounces sent, and local deliveries done so far. */
guint        ms_mta_get_n_relayed       (MsMta              *self);
guint        ms_mta_get_n_bounced       (MsMta              *self);

/* RFC 3464: the DSN for one or more failed recipients (for tests and the UI). */
typedef struct
{
  const char *recipient;
  const char *status;       /* "5.1.1" */
  const char *remote_mta;   /* or NULL */
  const char *diagnostic;   /* the SMTP reply, or NULL */
  gboolean    delayed;      /* Action: delayed rather than failed */
} MsDsnRecipient;

GBytes      *ms_dsn_build               (const char         *reporting_mta,
                                         const char         *original_sender,
                                         const char         *message_id,
                                         GDateTime          *date,
                                         GDateTime          *arrival,
                                         const MsDsnRecipient *recipients,
                                         guint               n_recipients,
                                         GBytes             *original);

G_END_DECLS
