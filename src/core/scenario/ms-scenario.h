/* ms-scenario.h: a teaching scenario, loaded from scenarios/NAME.yaml
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A scenario is metadata (id, titles, summaries, exam and topic tags), a topology
 * (networks, nodes with roles and settings, routers with filter rules), a DNS zone,
 * users, switches (named values that `--set KEY=VALUE` overrides and that settings refer
 * to as ${name}), steps (what the people in the story do, each with narration and an
 * optional quiz) and expectations (what must be seen when the steps have run).
 * docs/scenario-format.md describes the file format. Every error names FILE:LINE:COLUMN
 * and says what was expected.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_SCENARIO_ERROR (ms_scenario_error_quark ())

typedef enum
{
  MS_SCENARIO_ERROR_FAILED,
  MS_SCENARIO_ERROR_SYNTAX,      /* not YAML, or not the shape a scenario has */
  MS_SCENARIO_ERROR_INVALID,     /* a value that does not fit (unknown node, bad address) */
  MS_SCENARIO_ERROR_NOT_FOUND,   /* no scenario of that id */
} MsScenarioError;

/* Where something was written, for messages: 1-based line and column. */
typedef struct
{
  guint line;
  guint column;
} MsScenarioMark;

/* A bilingual text */
typedef struct
{
  char *ja;
  char *en;
} MsScenarioText;

typedef struct
{
  char           *name;
  char           *kind;        /* home-pool, isp, dmz, lan, internet */
  GStrv           cidrs;
  guint64         latency_us;  /* 0: the network's default */
  MsScenarioMark  mark;
} MsScenarioNetwork;

typedef struct
{
  char           *network;
  char           *address;
  MsScenarioMark  mark;
} MsScenarioAddress;

typedef struct
{
  char           *name;
  char           *protocol;   /* tcp, udp, any */
  char           *from;       /* network name or CIDR, or NULL */
  char           *to;
  guint           port;       /* destination port, 0: any */
  GStrv           except;     /* destinations the rule leaves alone */
  char           *action;     /* drop, accept */
  char           *reason;
  char           *enabled;    /* "true"/"false" or ${switch} */
  MsScenarioMark  mark;
} MsScenarioFilter;

/* One transport-table entry of an MTA: mail for @domain ("*": all non-local mail) goes to
 * @next_hop (a node name, a host name or an address) on @port instead of the MX. */
typedef struct
{
  char           *domain;
  char           *next_hop;
  guint           port;       /* 25 unless given */
  MsScenarioMark  mark;
} MsScenarioRoute;

/* Source NAT (masquerade) on a router: from @inside out through its address on @outside */
typedef struct
{
  char           *inside;     /* a network name or a CIDR */
  char           *outside;    /* a network name */
  MsScenarioMark  mark;
} MsScenarioNat;

/* Node roles */
typedef enum
{
  MS_SCENARIO_ROLE_MUA     = 1 << 0,
  MS_SCENARIO_ROLE_MSA     = 1 << 1,
  MS_SCENARIO_ROLE_MTA     = 1 << 2,
  MS_SCENARIO_ROLE_MDA     = 1 << 3,
  MS_SCENARIO_ROLE_MRA     = 1 << 4,
  MS_SCENARIO_ROLE_DNS     = 1 << 5,
  MS_SCENARIO_ROLE_ROUTER  = 1 << 6,
  MS_SCENARIO_ROLE_WEBMAIL = 1 << 7,
} MsScenarioRole;

typedef struct
{
  char           *name;
  char           *hostname;         /* FQDN for HELO/Received; default: the node name */
  GPtrArray      *addresses;        /* of MsScenarioAddress* */
  guint           roles;            /* MsScenarioRole bits */
  GStrv           domains;          /* mail domains the node accepts mail for */
  GStrv           trusted_networks; /* networks or CIDRs allowed to relay */
  char           *submission_auth;  /* "required", "optional", "none" or ${switch} */
  char           *spf;              /* "off", "mark", "reject" or ${switch} */
  char           *dkim;             /* inbound DKIM check: "off", "mark", "reject", ${switch} */
  char           *dkim_selector;    /* sign mail from the node's domains with this selector */
  char           *dkim_key;         /* its private key (PEM); default: Ed25519 derived */
  char           *list_tag;         /* rewrite relayed mail as a mailing list; "" or ${switch} */
  char           *pop_before_smtp;  /* seconds a POP login opens relaying, "0": off */
  char           *fail_first;       /* "451" etc.: temporary failures before accepting */
  char           *fail_count;       /* how many times fail_first is given */
  char           *resolver;         /* the DNS node this node asks */
  char           *mail_server;      /* webmail: the MSA/MRA node it uses */
  GPtrArray      *filters;          /* of MsScenarioFilter*, routers only */
  GPtrArray      *transport;        /* of MsScenarioRoute*, MTAs only */
  GPtrArray      *nat;              /* of MsScenarioNat*, routers only */
  GStrv           smime_keys;       /* MUAs: the users whose S/MIME private keys this
                                     * device holds; NULL: whoever uses it */
  MsScenarioMark  mark;
} MsScenarioNode;

typedef struct
{
  char           *address;
  char           *password;
  char           *mailbox;   /* the node that holds the mailbox */
  MsScenarioMark  mark;
} MsScenarioUser;

typedef struct
{
  char           *name;
  char           *value;     /* the default, as text ("true", "false", "v=spf1 -all") */
  gboolean        is_bool;
  MsScenarioMark  mark;
} MsScenarioSwitch;

typedef struct
{
  char           *filename;
  char           *content_type;
  char           *content;
} MsScenarioAttachment;

typedef enum
{
  MS_SCENARIO_STEP_SEND,
  MS_SCENARIO_STEP_FETCH,
  MS_SCENARIO_STEP_IMAP,
  MS_SCENARIO_STEP_SMTP,      /* a hand-typed SMTP session: raw command lines */
  MS_SCENARIO_STEP_REPLY,
  MS_SCENARIO_STEP_WAIT,
  MS_SCENARIO_STEP_SET,       /* change a switch */
} MsScenarioStepAction;

typedef struct
{
  MsScenarioText  question;
  MsScenarioText *choices;     /* a plain string gives the same text in both languages */
  guint           n_choices;
  guint           answer;      /* 0-based index into choices */
  MsScenarioText  explanation;
} MsScenarioQuiz;

typedef struct
{
  MsScenarioStepAction action;
  MsScenarioText  narration;
  MsScenarioQuiz *quiz;        /* or NULL */
  char           *device;      /* the MUA node that acts */
  char           *user;        /* send/fetch/imap/reply: the user acting */
  char           *from;        /* send: header From (default: user) */
  char           *envelope_from; /* send: MAIL FROM when it differs (spoofing) */
  GStrv           to, cc, bcc;
  char           *subject;
  char           *body;
  char           *charset;     /* send: utf-8 (default) or iso-2022-jp */
  char           *smime;       /* send: sign, encrypt, sign+encrypt (RFC 8551), or NULL */
  GPtrArray      *attachments; /* of MsScenarioAttachment* */
  char           *via;         /* send/smtp: submission, direct */
  char           *server;      /* the node connected to (default: from via/user) */
  guint           port;        /* 0: from via/protocol */
  char           *auth;        /* "true"/"false" or ${switch} */
  char           *protocol;    /* fetch: pop3, imap */
  gboolean        keep;        /* fetch: leave messages on the server */
  char           *misread_as;  /* fetch: also show the subjects as a client that ignores
                                * the charset and assumes this one would (mojibake) */
  GStrv           commands;    /* imap/smtp: the command lines typed */
  char           *message;     /* reply: subject of the received message replied to */
  guint64         seconds;     /* wait */
  char           *switch_name; /* set */
  char           *value;       /* set */
  MsScenarioMark  mark;
} MsScenarioStep;

typedef enum
{
  MS_SCENARIO_EXPECT_REPLY,      /* a reply code seen (in session N, at a node, to a verb) */
  MS_SCENARIO_EXPECT_BLOCKED,    /* a packet dropped by a router */
  MS_SCENARIO_EXPECT_SPF,        /* an SPF verdict at a node */
  MS_SCENARIO_EXPECT_DELIVERED,  /* a message is (or is not) in a mailbox */
  MS_SCENARIO_EXPECT_HEADER,     /* a header of a stored message: present/absent/contains/count */
  MS_SCENARIO_EXPECT_SMIME,      /* what an MUA's S/MIME check of a fetched message said */
  MS_SCENARIO_EXPECT_DKIM,       /* a DKIM verdict at a node */
} MsScenarioExpectKind;

typedef struct
{
  MsScenarioExpectKind kind;
  char           *text;        /* optional description */
  int             code;        /* reply */
  guint           session;     /* reply: session id, 0: any */
  char           *node;        /* reply/blocked/spf: where */
  char           *command;     /* reply: answer to this verb */
  char           *reason;      /* blocked */
  char           *result;      /* spf, dkim; smime: valid, decrypted, tampered, untrusted,
                                * not-recipient */
  char           *mailbox;     /* delivered/header: user address */
  char           *folder;      /* delivered/header: default INBOX */
  char           *subject;     /* delivered/header: which message (substring), or NULL */
  char           *header;      /* header */
  char           *contains;    /* header: the value contains this */
  int             count;       /* header: how many times (-1: not checked) */
  guint           position;    /* header: contains applies to this occurrence, 1 = top; 0: any */
  gboolean        present;     /* delivered/header/reply/blocked: TRUE unless "absent" */
  MsScenarioMark  mark;
} MsScenarioExpectation;

typedef struct
{
  char           *id;
  char           *filename;    /* as given to the loader */
  MsScenarioText  title;
  MsScenarioText  summary;
  GStrv           exams;       /* FE, AP, NW, SC ... */
  GStrv           topics;
  guint32         seed;
  GPtrArray      *networks;    /* of MsScenarioNetwork* */
  GPtrArray      *nodes;       /* of MsScenarioNode* */
  GPtrArray      *dns;         /* of char*: zone lines "name TYPE value", may use ${} */
  GPtrArray      *dns_marks;   /* of MsScenarioMark*, parallel to dns */
  GPtrArray      *users;       /* of MsScenarioUser* */
  GPtrArray      *switches;    /* of MsScenarioSwitch* */
  GPtrArray      *steps;       /* of MsScenarioStep* */
  GPtrArray      *expectations; /* of MsScenarioExpectation* */
} MsScenario;

GQuark              ms_scenario_error_quark    (void);

MsScenario         *ms_scenario_load_file      (const char   *path,
                                                GError      **error);
/* @filename names the data in messages. */
MsScenario         *ms_scenario_load_data      (const char   *data,
                                                gssize        len,
                                                const char   *filename,
                                                GError      **error);
void                ms_scenario_free           (MsScenario   *self);

MsScenarioNode     *ms_scenario_find_node      (MsScenario   *self,
                                                const char   *name);
MsScenarioUser     *ms_scenario_find_user      (MsScenario   *self,
                                                const char   *address);
MsScenarioSwitch   *ms_scenario_find_switch    (MsScenario   *self,
                                                const char   *name);
/* Overrides a switch ("op25b=false"); a boolean switch takes true/false/yes/no/on/off. */
gboolean            ms_scenario_set_switch     (MsScenario   *self,
                                                const char   *name,
                                                const char   *value,
                                                GError      **error);
/* ${name} replaced by the switch's current value; "$$" is a dollar sign. */
char               *ms_scenario_expand         (MsScenario   *self,
                                                const char   *text);
/* An expanded boolean setting: TRUE for true/yes/on/1. */
gboolean            ms_scenario_expand_bool    (MsScenario   *self,
                                                const char   *text,
                                                gboolean      fallback);
const char         *ms_scenario_role_to_string (MsScenarioRole role);
/* The text in @lang ("ja" or "en"; the other one when missing). */
const char         *ms_scenario_text_get       (const MsScenarioText *text,
                                                const char   *lang);
const char         *ms_scenario_step_action_to_string (MsScenarioStepAction action);
/* A one-line description of an expectation, in English, for the trace. */
char               *ms_scenario_expectation_describe  (const MsScenarioExpectation *expectation);

/* The directories searched for scenario ids: the source tree's scenarios/ and the
 * installed data dir, in that order. */
GStrv               ms_scenario_search_dirs    (void);
/* An id ("op25b") or a path ending in .yaml to a file path; NULL and NOT_FOUND otherwise. */
char               *ms_scenario_resolve        (const char   *id_or_path,
                                                GError      **error);
/* Every scenario found in the search dirs, sorted by id (first dir wins on duplicates). */
GPtrArray          *ms_scenario_list_all       (GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsScenario, ms_scenario_free)

G_END_DECLS
