/* ms-scenario-runner.c: a scenario played on the virtual network by the real agents
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Nothing here answers for an agent: every reply, header and verdict comes from the
 * agents (src/core/agents) over simulated TCP. The runner only builds the world, does
 * what the people of the story do (send, fetch, type commands), waits, and afterwards
 * looks at the trace and the mail stores to check the expectations.
 */
#define G_LOG_DOMAIN "ms-scenario"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ms-scenario-runner.h"
#include "ms-address.h"
#include "ms-dkim.h"
#include "ms-dns-zone.h"
#include "ms-mail-store.h"
#include "ms-mailbox.h"
#include "ms-message.h"
#include "ms-mda.h"
#include "ms-mra.h"
#include "ms-msa.h"
#include "ms-mta.h"
#include "ms-mua.h"
#include "ms-webmail.h"
#include "ms-smime.h"

/* Ports (RFC 6409, RFC 5321, RFC 1939, RFC 3501) */
#define RUNNER_PORT_SMTP        25
#define RUNNER_PORT_SUBMISSION  587
#define RUNNER_PORT_POP3        110
#define RUNNER_PORT_IMAP        143
/* After a step's own exchange is over, the world runs on this long (virtual time) before
 * the next step: relaying, delivery and bounces happen then. Timers further out (a retry
 * in ten minutes, the end of a POP-before-SMTP window) wait for a "wait" step. */
#define RUNNER_STEP_SETTLE_US   (30 * G_USEC_PER_SEC)
/* Longest line a typed session collects before giving up on the server */
#define RUNNER_MAX_REPLY_BUFFER (256 * 1024)

typedef struct
{
  MsScenarioNode *spec;
  MsNode         *node;
  MsMailStore    *store;
  MsMda          *mda;
  MsMta          *mta;
  MsMsa          *msa;
  MsMra          *mra;
  MsMua          *mua;
  MsWebmail      *webmail;
} RunnerNode;

struct _MsScenarioRunner
{
  MsScenario   *scenario;
  MsNetwork    *network;
  MsTrace      *trace;
  MsDnsZone    *zone;
  GHashTable   *nodes;      /* name -> RunnerNode* */
  GPtrArray    *failures;   /* char* */
  guint         n_failed;
  guint         step_index; /* 1-based, while running */
  MsSmimeCa    *smime_ca;   /* the scenario's CA, made when a step first uses S/MIME */
};

static void
runner_node_free (gpointer data)
{
  RunnerNode *rn = data;

  g_clear_object (&rn->mua);
  g_clear_object (&rn->webmail);
  g_clear_object (&rn->mra);
  g_clear_object (&rn->msa);
  g_clear_object (&rn->mta);
  g_clear_object (&rn->mda);
  g_clear_object (&rn->store);
  g_free (rn);
}

MsScenarioRunner *
ms_scenario_runner_new (MsScenario *scenario)
{
  MsScenarioRunner *self;
  g_autofree char *name = NULL;

  g_return_val_if_fail (scenario != NULL, NULL);
  self = g_new0 (MsScenarioRunner, 1);
  self->scenario = scenario;
  self->network = ms_network_new (scenario->seed);
  self->trace = ms_trace_new ("scenario", scenario->id);
  ms_network_set_trace (self->network, self->trace);
  self->nodes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, runner_node_free);
  self->failures = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
ms_scenario_runner_free (MsScenarioRunner *self)
{
  if (self == NULL)
    return;
  /* agents first: they hold listeners on the network's nodes */
  g_clear_pointer (&self->nodes, g_hash_table_unref);
  g_clear_object (&self->zone);
  g_clear_object (&self->network);
  g_clear_object (&self->trace);
  g_clear_pointer (&self->failures, g_ptr_array_unref);
  g_clear_pointer (&self->smime_ca, ms_smime_ca_free);
  g_free (self);
}

MsTrace *
ms_scenario_runner_get_trace (MsScenarioRunner *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->trace;
}

MsNetwork *
ms_scenario_runner_get_network (MsScenarioRunner *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->network;
}

guint
ms_scenario_runner_get_n_failed (MsScenarioRunner *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_failed;
}

GStrv
ms_scenario_runner_dup_failures (MsScenarioRunner *self)
{
  g_autoptr(GStrvBuilder) b = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->failures->len == 0)
    return NULL;
  b = g_strv_builder_new ();
  for (guint i = 0; i < self->failures->len; i++)
    g_strv_builder_add (b, self->failures->pdata[i]);
  return g_strv_builder_end (b);
}

/* ---- errors ---------------------------------------------------------------------- */

static gboolean
fail_at (MsScenarioRunner     *self,
         const MsScenarioMark *mark,
         GError              **error,
         const char           *format,
         ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail_at (MsScenarioRunner     *self,
         const MsScenarioMark *mark,
         GError              **error,
         const char           *format,
         ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID, "%s:%u:%u: %s",
               self->scenario->filename, mark->line, mark->column, msg);
  return FALSE;
}

/* ---- building the world --------------------------------------------------------- */

static RunnerNode *
get_node (MsScenarioRunner *self,
          const char       *name)
{
  return name != NULL ? g_hash_table_lookup (self->nodes, name) : NULL;
}

static const char *
node_address (RunnerNode *rn)
{
  return ms_node_get_address (rn->node, NULL, 4) != NULL ? ms_node_get_address (rn->node, NULL, 4)
                                                         : ms_node_get_address (rn->node, NULL, 0);
}

static gboolean
build_networks (MsScenarioRunner  *self,
                GError           **error)
{
  for (guint i = 0; i < self->scenario->networks->len; i++)
    {
      MsScenarioNetwork *net = self->scenario->networks->pdata[i];
      MsSubnet *subnet;
      g_autoptr(GError) local = NULL;

      subnet = ms_network_add_subnet (self->network, net->name, net->cidrs[0],
                                      net->latency_us != 0 ? net->latency_us
                                                           : MS_NETWORK_DEFAULT_LATENCY,
                                      &local);
      if (subnet == NULL)
        return fail_at (self, &net->mark, error, "network “%s”: %s", net->name, local->message);
      for (guint k = 1; net->cidrs[k] != NULL; k++)
        if (!ms_subnet_add_cidr (subnet, net->cidrs[k], &local))
          return fail_at (self, &net->mark, error, "network “%s”: %s", net->name, local->message);
    }
  return TRUE;
}

static gboolean
apply_filters (MsScenarioRunner  *self,
               RunnerNode        *rn,
               gboolean           create,
               GError           **error)
{
  for (guint k = 0; k < rn->spec->filters->len; k++)
    {
      MsScenarioFilter *f = rn->spec->filters->pdata[k];
      g_autofree char *name = f->name != NULL ? g_strdup (f->name)
                                              : g_strdup_printf ("rule-%u", k + 1);
      gboolean enabled = ms_scenario_expand_bool (self->scenario, f->enabled, TRUE);

      if (create)
        {
          g_autofree char *from = ms_scenario_expand (self->scenario, f->from);
          g_autofree char *to = ms_scenario_expand (self->scenario, f->to);
          g_autofree char *protocol = ms_scenario_expand (self->scenario, f->protocol);
          g_autofree char *action = ms_scenario_expand (self->scenario, f->action);
          g_autoptr(GError) local = NULL;
          MsFilterRuleSpec spec = { 0 };

          spec.name = name;
          spec.protocol = strcmp (protocol, "tcp") == 0   ? MS_IP_PROTO_TCP
                          : strcmp (protocol, "udp") == 0 ? MS_IP_PROTO_UDP
                                                          : MS_IP_PROTO_ANY;
          spec.source = from;
          spec.destination = to;
          spec.destination_port = (guint16) f->port;
          spec.except_destinations = (const char * const *) f->except;
          spec.action = strcmp (action, "accept") == 0 ? MS_FILTER_ACCEPT : MS_FILTER_DROP;
          spec.reason = f->reason != NULL ? f->reason : name;
          if (!ms_node_add_filter_rule (rn->node, &spec, &local))
            return fail_at (self, &f->mark, error, "filter rule of “%s”: %s", rn->spec->name,
                            local->message);
        }
      ms_node_set_filter_rule_enabled (rn->node, name, enabled);
    }
  return TRUE;
}

static gboolean
build_nodes (MsScenarioRunner  *self,
             GError           **error)
{
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = g_new0 (RunnerNode, 1);
      g_autoptr(GError) local = NULL;

      rn->spec = spec;
      g_hash_table_insert (self->nodes, spec->name, rn);
      rn->node = ms_network_add_node (self->network, spec->name, &local);
      if (rn->node == NULL)
        return fail_at (self, &spec->mark, error, "node “%s”: %s", spec->name, local->message);
      for (guint k = 0; k < spec->addresses->len; k++)
        {
          MsScenarioAddress *addr = spec->addresses->pdata[k];
          if (!ms_node_add_address (rn->node, addr->network, addr->address, &local))
            return fail_at (self, &addr->mark, error, "node “%s”: %s", spec->name,
                            local->message);
        }
      if (spec->roles & MS_SCENARIO_ROLE_ROUTER)
        {
          ms_node_set_forwarding (rn->node, TRUE);
          for (guint k = 0; k < spec->nat->len; k++)
            {
              MsScenarioNat *nat = spec->nat->pdata[k];
              g_autoptr(GError) nat_error = NULL;

              if (!ms_node_add_nat (rn->node, nat->inside, nat->outside, &nat_error))
                return fail_at (self, &nat->mark, error, "%s", nat_error->message);
            }
          if (!apply_filters (self, rn, TRUE, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean publish_dkim_keys (MsScenarioRunner *self, GError **error);

static gboolean
build_zone (MsScenarioRunner  *self,
            GError           **error)
{
  self->zone = ms_dns_zone_new ();
  for (guint i = 0; i < self->scenario->dns->len; i++)
    {
      g_autofree char *line = ms_scenario_expand (self->scenario, self->scenario->dns->pdata[i]);
      MsScenarioMark *mark = self->scenario->dns_marks->pdata[i];
      g_autoptr(GError) local = NULL;

      if (!ms_dns_zone_load_data (self->zone, line, -1, self->scenario->filename, &local))
        return fail_at (self, mark, error, "DNS record “%s” (after the switches): %s", line,
                        local->message);
    }
  if (!publish_dkim_keys (self, error))
    return FALSE;
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = get_node (self, spec->name);
      g_autoptr(GError) local = NULL;

      if ((spec->roles & MS_SCENARIO_ROLE_DNS) && !ms_node_serve_dns (rn->node, self->zone, &local))
        return fail_at (self, &spec->mark, error, "DNS server “%s”: %s", spec->name,
                        local->message);
    }
  return TRUE;
}

/* The resolver a node asks: its own setting, else the scenario's only DNS node. */
static const char *
resolver_address (MsScenarioRunner *self,
                  MsScenarioNode   *spec)
{
  RunnerNode *dns = get_node (self, spec->resolver);

  if (dns == NULL)
    for (guint i = 0; i < self->scenario->nodes->len; i++)
      {
        MsScenarioNode *other = self->scenario->nodes->pdata[i];
        if (other->roles & MS_SCENARIO_ROLE_DNS)
          {
            dns = get_node (self, other->name);
            break;
          }
      }
  return dns != NULL ? node_address (dns) : NULL;
}

/* spf: and dkim: settings share their words: off, mark, reject (in this order the values
 * of MsMtaSpfPolicy and MsMtaDkimPolicy). */
static gboolean
parse_check_policy (MsScenarioRunner  *self,
                    MsScenarioNode    *spec,
                    const char        *key,
                    const char        *setting,
                    guint             *out,
                    GError           **error)
{
  static const char *const words[] = { "off", "mark", "reject" };
  g_autofree char *value = ms_scenario_expand (self->scenario, setting);

  G_STATIC_ASSERT (MS_MTA_SPF_MARK == 1 && MS_MTA_SPF_REJECT == 2);
  G_STATIC_ASSERT (MS_MTA_DKIM_MARK == 1 && MS_MTA_DKIM_REJECT == 2);
  *out = 0;
  if (value == NULL)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strcmp (value, words[i]) == 0)
      {
        *out = i;
        return TRUE;
      }
  return fail_at (self, &spec->mark, error,
                  "node “%s”: %s is “%s”; expected off, mark or reject", spec->name, key, value);
}

static gboolean
parse_spf_policy (MsScenarioRunner  *self,
                  MsScenarioNode    *spec,
                  MsMtaSpfPolicy    *out,
                  GError           **error)
{
  guint level;

  if (!parse_check_policy (self, spec, "spf", spec->spf, &level, error))
    return FALSE;
  *out = (MsMtaSpfPolicy) level;
  return TRUE;
}

static gboolean
parse_dkim_policy (MsScenarioRunner  *self,
                   MsScenarioNode    *spec,
                   MsMtaDkimPolicy   *out,
                   GError           **error)
{
  guint level;

  if (!parse_check_policy (self, spec, "dkim", spec->dkim, &level, error))
    return FALSE;
  *out = (MsMtaDkimPolicy) level;
  return TRUE;
}

/* The node's DKIM private key: dkim_key, or an Ed25519 key derived from the hostname and
 * selector (the same on every run) */
static char *
dkim_key_of (MsScenarioRunner *self,
             MsScenarioNode   *spec)
{
  g_autofree char *seed = NULL;

  if (spec->dkim_selector == NULL)
    return NULL;
  if (spec->dkim_key != NULL)
    return g_strdup (spec->dkim_key);
  seed = g_strdup_printf ("%s/%s", spec->hostname != NULL ? spec->hostname : spec->name,
                          spec->dkim_selector);
  return ms_dkim_derive_ed25519_key (seed);
}

/* RFC 6376 §3.6.2.1: each signing domain publishes selector._domainkey.domain TXT */
static gboolean
publish_dkim_keys (MsScenarioRunner  *self,
                   GError           **error)
{
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      g_autofree char *pem = dkim_key_of (self, spec);
      g_autofree char *record = NULL;
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) strings = NULL;
      gsize len;

      if (pem == NULL || spec->domains == NULL)
        continue;
      record = ms_dkim_key_record_for (pem, &local);
      if (record == NULL)
        return fail_at (self, &spec->mark, error, "node “%s”: dkim_key: %s", spec->name,
                        local->message);
      /* RFC 1035 §3.3: character-strings of at most 255 octets */
      strings = g_ptr_array_new_with_free_func (g_free);
      len = strlen (record);
      for (gsize k = 0; k < len; k += MS_DNS_MAX_STRING)
        g_ptr_array_add (strings, g_strndup (record + k, MS_DNS_MAX_STRING));
      g_ptr_array_add (strings, NULL);
      for (guint d = 0; spec->domains[d] != NULL; d++)
        {
          g_autofree char *name = g_strdup_printf ("%s._domainkey.%s", spec->dkim_selector,
                                                   spec->domains[d]);

          ms_dns_zone_add_txt (self->zone, name, (const char * const *) strings->pdata);
        }
    }
  return TRUE;
}

/* trusted_networks: network names become their CIDRs */
static GStrv
trusted_cidrs (MsScenarioRunner *self,
               MsScenarioNode   *spec)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (guint k = 0; spec->trusted_networks != NULL && spec->trusted_networks[k] != NULL; k++)
    {
      const char *t = spec->trusted_networks[k];
      gboolean found = FALSE;

      for (guint i = 0; i < self->scenario->networks->len; i++)
        {
          MsScenarioNetwork *net = self->scenario->networks->pdata[i];
          if (strcmp (net->name, t) == 0)
            {
              g_strv_builder_addv (b, (const char **) net->cidrs);
              found = TRUE;
            }
        }
      if (!found)
        g_strv_builder_add (b, t);
    }
  return g_strv_builder_end (b);
}

static gboolean
parse_count (MsScenarioRunner  *self,
             MsScenarioNode    *spec,
             const char        *text,
             const char        *what,
             guint64           *out,
             GError           **error)
{
  g_autofree char *value = ms_scenario_expand (self->scenario, text);
  guint64 n = 0;

  *out = 0;
  if (value == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &n, NULL))
    return fail_at (self, &spec->mark, error, "node “%s”: %s is “%s”; expected a whole number",
                    spec->name, what, value);
  *out = n;
  return TRUE;
}

/* transport: a node name becomes that node's address (one in a network this node shares,
 * else its first); host names and addresses are left to the MTA. */
static const char *
next_hop_address (MsScenarioRunner *self,
                  MsScenarioNode   *spec,
                  const char       *next_hop)
{
  MsScenarioNode *hop = ms_scenario_find_node (self->scenario, next_hop);

  if (hop == NULL || hop->addresses->len == 0)
    return next_hop;
  for (guint i = 0; i < hop->addresses->len; i++)
    {
      MsScenarioAddress *a = hop->addresses->pdata[i];

      for (guint k = 0; k < spec->addresses->len; k++)
        if (strcmp (((MsScenarioAddress *) spec->addresses->pdata[k])->network, a->network) == 0)
          return a->address;
    }
  return ((MsScenarioAddress *) hop->addresses->pdata[0])->address;
}

/* The webmail application: HTTPS on 443 for browsers, a mail client of @mail_server
 * (default: the first node with the mra role) for SMTP submission and IMAP. */
static gboolean
build_webmail (MsScenarioRunner  *self,
               RunnerNode        *rn,
               GError           **error)
{
  MsScenarioNode *spec = rn->spec;
  RunnerNode *mail = get_node (self, spec->mail_server);
  MsWebmailConfig config = { 0 };
  g_autoptr(GError) local = NULL;

  for (guint i = 0; mail == NULL && i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *other = self->scenario->nodes->pdata[i];

      if (other->roles & MS_SCENARIO_ROLE_MRA)
        mail = get_node (self, other->name);
    }
  if (mail == NULL || (mail->spec->roles & (MS_SCENARIO_ROLE_MSA | MS_SCENARIO_ROLE_MRA))
                      != (MS_SCENARIO_ROLE_MSA | MS_SCENARIO_ROLE_MRA))
    return fail_at (self, &spec->mark, error,
                    "node “%s”: the webmail needs a mail_server with the roles msa and mra",
                    spec->name);
  config.hostname = spec->hostname;
  config.address = node_address (rn);
  config.smtp_server = node_address (mail);
  config.smtp_port = RUNNER_PORT_SUBMISSION;
  config.imap_server = node_address (mail);
  config.imap_port = RUNNER_PORT_IMAP;
  rn->webmail = ms_webmail_new (rn->node, &config, &local);
  if (rn->webmail == NULL)
    return fail_at (self, &spec->mark, error, "webmail “%s”: %s", spec->name, local->message);
  return TRUE;
}

static gboolean
build_agents (MsScenarioRunner  *self,
              GError           **error)
{
  /* stores and users first: every mail role of a node shares the node's store */
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = get_node (self, spec->name);

      if (spec->roles & (MS_SCENARIO_ROLE_MDA | MS_SCENARIO_ROLE_MRA | MS_SCENARIO_ROLE_MSA
                         | MS_SCENARIO_ROLE_MTA))
        rn->store = ms_mail_store_new ();
    }
  for (guint i = 0; i < self->scenario->users->len; i++)
    {
      MsScenarioUser *user = self->scenario->users->pdata[i];
      RunnerNode *rn = get_node (self, user->mailbox);
      g_autoptr(GError) local = NULL;

      if (rn->store == NULL || (rn->spec->roles & MS_SCENARIO_ROLE_MDA) == 0)
        return fail_at (self, &user->mark, error,
                        "user %s has the mailbox host “%s”, which has no mda role",
                        user->address, user->mailbox);
      if (!ms_mail_store_add_user (rn->store, user->address, user->password, &local))
        return fail_at (self, &user->mark, error, "user %s: %s", user->address, local->message);
    }

  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = get_node (self, spec->name);
      g_autoptr(GError) local = NULL;

      if ((spec->roles & MS_SCENARIO_ROLE_WEBMAIL) && !build_webmail (self, rn, error))
        return FALSE;
      if (spec->roles & MS_SCENARIO_ROLE_MDA)
        rn->mda = ms_mda_new (rn->node, rn->store);
      if (spec->roles & MS_SCENARIO_ROLE_MTA)
        {
          MsMtaConfig config = { 0 };
          g_auto(GStrv) networks = trusted_cidrs (self, spec);
          guint64 pop_window_s = 0;
          guint64 fail_count = 0;
          g_autoptr(GArray) routes = NULL;
          g_autofree char *dkim_key = dkim_key_of (self, spec);
          g_autofree char *list_tag = ms_scenario_expand (self->scenario, spec->list_tag);

          if (!parse_spf_policy (self, spec, &config.spf, error)
              || !parse_dkim_policy (self, spec, &config.dkim, error)
              || !parse_count (self, spec, spec->pop_before_smtp, "pop_before_smtp",
                               &pop_window_s, error)
              || !parse_count (self, spec, spec->fail_count, "fail_count", &fail_count, error))
            return FALSE;
          if (spec->fail_first != NULL)
            {
              g_autofree char *code = ms_scenario_expand (self->scenario, spec->fail_first);
              /* the MTA agent's temporary failure is 451 4.3.0 (RFC 5321 §4.2.3) */
              if (strcmp (code, "451") != 0)
                return fail_at (self, &spec->mark, error,
                                "node “%s”: fail_first is “%s”; the MTA agent gives 451",
                                spec->name, code);
            }
          config.hostname = spec->hostname;
          config.domains = (const char * const *) spec->domains;
          config.networks = (const char * const *) networks;
          config.dns_server = resolver_address (self, spec);
          config.mda = rn->mda;
          /* SMTP AUTH on port 25 only for a node that takes submissions there (no MSA) */
          config.users = (spec->roles & MS_SCENARIO_ROLE_MSA) == 0 && spec->submission_auth != NULL
                         ? rn->store : NULL;
          config.spf_zone = self->zone;
          config.dkim_selector = spec->dkim_selector;
          config.dkim_key_pem = dkim_key;
          config.list_tag = list_tag;
          config.pop_before_smtp_us = pop_window_s * G_USEC_PER_SEC;
          routes = g_array_new (FALSE, TRUE, sizeof (MsMtaRoute));
          for (guint k = 0; k < spec->transport->len; k++)
            {
              MsScenarioRoute *r = spec->transport->pdata[k];
              MsMtaRoute route = { r->domain, next_hop_address (self, spec, r->next_hop),
                                   (guint16) r->port };

              g_array_append_val (routes, route);
            }
          config.routes = (const MsMtaRoute *) (gpointer) routes->data;
          config.n_routes = routes->len;
          rn->mta = ms_mta_new (rn->node, &config, &local);
          if (rn->mta == NULL)
            return fail_at (self, &spec->mark, error, "MTA “%s”: %s", spec->name, local->message);
          if (fail_count > 0)
            ms_mta_set_tempfail (rn->mta, (guint) fail_count);
        }
      if (spec->roles & MS_SCENARIO_ROLE_MSA)
        {
          MsMsaConfig config = { 0 };
          g_autofree char *auth = ms_scenario_expand (self->scenario, spec->submission_auth);

          if (rn->mta == NULL)
            return fail_at (self, &spec->mark, error,
                            "node “%s” has the role msa but not mta: submitted mail needs an "
                            "MTA to go on", spec->name);
          /* RFC 6409 §4.3: the MSA agent always requires authentication */
          if (auth != NULL && strcmp (auth, "required") != 0)
            return fail_at (self, &spec->mark, error,
                            "node “%s”: submission_auth is “%s”; the MSA agent always requires "
                            "AUTH (RFC 6409 §4.3)", spec->name, auth);
          config.hostname = spec->hostname;
          config.users = rn->store;
          config.mta = rn->mta;
          rn->msa = ms_msa_new (rn->node, &config, &local);
          if (rn->msa == NULL)
            return fail_at (self, &spec->mark, error, "MSA “%s”: %s", spec->name, local->message);
        }
      if (spec->roles & MS_SCENARIO_ROLE_MRA)
        {
          MsMraConfig config = { 0 };

          config.hostname = spec->hostname;
          config.store = rn->store;
          config.pop3 = TRUE;
          config.imap = TRUE;
          if (spec->pop_before_smtp != NULL && rn->mta != NULL)
            config.pop_before_smtp = rn->mta;
          rn->mra = ms_mra_new (rn->node, &config, &local);
          if (rn->mra == NULL)
            return fail_at (self, &spec->mark, error, "MRA “%s”: %s", spec->name, local->message);
        }
      if (spec->roles & MS_SCENARIO_ROLE_MUA)
        rn->mua = ms_mua_new (rn->node, spec->hostname);
    }
  return TRUE;
}

/* ---- running ---------------------------------------------------------------------- */

typedef gboolean (*DoneFunc) (gpointer data);

/* Runs events until @done says the step's exchange is over (or nothing is left), then
 * lets the world settle for RUNNER_STEP_SETTLE_US. */
static gboolean
run_until_done (MsScenarioRunner  *self,
                DoneFunc           done,
                gpointer           data,
                GError           **error)
{
  MsScheduler *scheduler = ms_network_get_scheduler (self->network);
  guint64 steps = 0;

  while ((done == NULL || !done (data)) && ms_scheduler_step (scheduler))
    if (++steps > MS_SCHEDULER_DEFAULT_MAX_EVENTS)
      {
        g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_FAILED,
                     "%s: step %u does not end (%" G_GUINT64_FORMAT " events)",
                     self->scenario->filename, self->step_index, steps);
        return FALSE;
      }
  ms_scheduler_run_until (scheduler, ms_scheduler_get_now (scheduler) + RUNNER_STEP_SETTLE_US);
  return TRUE;
}

typedef struct
{
  MsMua   *mua;
  guint    index;
  gboolean fetch;
} MuaOp;

static gboolean
mua_op_done (gpointer data)
{
  MuaOp *op = data;

  if (op->fetch)
    return ms_mua_get_fetch (op->mua, op->index)->finished;
  return ms_mua_get_send (op->mua, op->index)->finished;
}

static GPtrArray *
address_list (GStrv list)
{
  GPtrArray *out;

  if (list == NULL)
    return NULL;
  out = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);
  for (guint i = 0; list[i] != NULL; i++)
    g_ptr_array_add (out, ms_address_new (NULL, list[i]));
  return out;
}

static GDateTime *
virtual_date (MsScenarioRunner *self)
{
  gint64 us = ms_network_unix_clock (self->network);

  return g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
}

typedef struct
{
  MsDnsStatus status;
  char       *target;
  guint       preference;
  gboolean    done;
} Lookup;

static void
lookup_done (MsNode      *node,
             const char  *name,
             MsDnsType    qtype,
             MsDnsStatus  status,
             GPtrArray   *records,
             gpointer     user_data)
{
  Lookup *lookup = user_data;

  lookup->status = status;
  lookup->done = TRUE;
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      MsDnsRecord *r = records->pdata[i];
      if (r->type != qtype)
        continue;
      if (qtype == MS_DNS_TYPE_MX)
        {
          /* RFC 5321 §5.1: the lowest preference first */
          if (lookup->target == NULL || r->preference < lookup->preference)
            {
              g_free (lookup->target);
              lookup->target = g_strdup (r->target);
              lookup->preference = r->preference;
            }
        }
      else if (lookup->target == NULL && r->address != NULL)
        lookup->target = g_inet_address_to_string (r->address);
    }
}

static gboolean
lookup_is_done (gpointer data)
{
  return ((Lookup *) data)->done;
}

/* A DNS query from @from over the simulated network, waited for. */
static char *
resolve (MsScenarioRunner  *self,
         RunnerNode        *from,
         const char        *name,
         MsDnsType          type,
         GError           **error)
{
  const char *server = resolver_address (self, from->spec);
  Lookup lookup = { 0 };

  if (server == NULL)
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                   "%s: node “%s” has no DNS server to ask for %s", self->scenario->filename,
                   from->spec->name, name);
      return NULL;
    }
  ms_node_resolve (from->node, server, name, type, lookup_done, &lookup);
  if (!run_until_done (self, lookup_is_done, &lookup, error))
    {
      g_free (lookup.target);
      return NULL;
    }
  if (!lookup.done || lookup.target == NULL)
    {
      g_free (lookup.target);
      return g_strdup ("");  /* the failure is in the trace ("dns" event) */
    }
  return lookup.target;
}

static RunnerNode *
mailbox_node (MsScenarioRunner *self,
              const char       *address)
{
  MsScenarioUser *user = ms_scenario_find_user (self->scenario, address);

  return user != NULL ? get_node (self, user->mailbox) : NULL;
}

/* Where a send goes: the submission server, or by MX for direct delivery. */
static char *
send_target (MsScenarioRunner  *self,
             MsScenarioStep    *step,
             RunnerNode        *device,
             gboolean           direct,
             GError           **error)
{
  RunnerNode *server = get_node (self, step->server);
  const char *rcpt;
  const char *domain;
  g_autofree char *mx = NULL;

  if (server != NULL)
    return g_strdup (node_address (server));
  if (!direct)
    {
      server = mailbox_node (self, step->user);
      return g_strdup (node_address (server));
    }
  rcpt = step->to != NULL ? step->to[0] : step->cc != NULL ? step->cc[0] : step->bcc[0];
  domain = strrchr (rcpt, '@') + 1;
  /* RFC 5321 §5.1: the MX, then its address */
  mx = resolve (self, device, domain, MS_DNS_TYPE_MX, error);
  if (mx == NULL)
    return NULL;
  if (*mx == '\0')
    return g_steal_pointer (&mx);
  return resolve (self, device, mx, MS_DNS_TYPE_A, error);
}

static gboolean
submit (MsScenarioRunner  *self,
        MsScenarioStep    *step,
        RunnerNode        *device,
        MsMessage         *message,
        GError           **error)
{
  g_autofree char *via = ms_scenario_expand (self->scenario, step->via);
  gboolean direct = via != NULL && strcmp (via, "direct") == 0;
  gboolean auth = ms_scenario_expand_bool (self->scenario, step->auth, !direct);
  MsScenarioUser *user = ms_scenario_find_user (self->scenario, step->user);
  g_autofree char *server = send_target (self, step, device, direct, error);
  MsMuaSubmit how = { 0 };
  MuaOp op = { 0 };

  if (server == NULL)
    return FALSE;
  if (*server == '\0')
    {
      /* nowhere to send: the DNS said so, and the trace shows it */
      ms_trace_add_event (self->trace, "note", device->spec->name, 0,
                          "text", "no address found for the recipient's domain", NULL);
      return TRUE;
    }
  how.server = server;
  how.port = step->port != 0 ? step->port : direct ? RUNNER_PORT_SMTP : RUNNER_PORT_SUBMISSION;
  if (auth)
    {
      how.user = user->address;
      how.password = user->password;
    }
  how.envelope_from = step->envelope_from;
  op.mua = device->mua;
  op.index = ms_mua_send (device->mua, message, &how);
  return run_until_done (self, mua_op_done, &op, error);
}

typedef struct
{
  MsWebmail *webmail;
  guint      index;
} WebmailOp;

static gboolean
webmail_op_done (gpointer data)
{
  WebmailOp *op = data;

  return ms_webmail_get_result (op->webmail, op->index)->finished;
}

static gboolean
is_via_webmail (MsScenarioRunner *self,
                MsScenarioStep   *step)
{
  g_autofree char *via = ms_scenario_expand (self->scenario, step->via);

  return g_strcmp0 (via, "webmail") == 0;
}

/* send/fetch via webmail: the device's browser talks HTTPS to the webmail node, which
 * submits over SMTP or lists the INBOX over IMAP as the user. */
static gboolean
step_webmail (MsScenarioRunner  *self,
              MsScenarioStep    *step,
              GError           **error)
{
  RunnerNode *device = get_node (self, step->device);
  RunnerNode *web = get_node (self, step->server);
  MsScenarioUser *user = ms_scenario_find_user (self->scenario, step->user);
  const MsWebmailResult *result;
  WebmailOp op = { 0 };

  for (guint i = 0; web == NULL && i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];

      if (spec->roles & MS_SCENARIO_ROLE_WEBMAIL)
        web = get_node (self, spec->name);
    }
  if (web == NULL || web->webmail == NULL)
    return fail_at (self, &step->mark, error, "via webmail needs a node with the role webmail");
  op.webmail = web->webmail;
  if (step->action == MS_SCENARIO_STEP_SEND)
    {
      MsWebmailForm form = { 0 };

      form.user = user->address;
      form.password = user->password;
      form.to = step->to;
      form.cc = step->cc;
      form.bcc = step->bcc;
      form.subject = step->subject;
      form.body = step->body;
      op.index = ms_webmail_browse_send (web->webmail, device->node, &form);
    }
  else
    op.index = ms_webmail_browse_inbox (web->webmail, device->node, user->address,
                                        user->password);
  if (!run_until_done (self, webmail_op_done, &op, error))
    return FALSE;
  result = ms_webmail_get_result (web->webmail, op.index);
  if (result->error != NULL)
    /* refused or dropped: part of the story, visible in the packets and the trace */
    ms_trace_add_event (self->trace, "note", device->spec->name, 0,
                        "text", result->error->message, NULL);
  return TRUE;
}

/* ---- S/MIME (RFC 8551) ------------------------------------------------------------------ */

/* One CA for the scenario, with a key pair and certificate for each of its users. Keys
 * are new every run; nothing compared by the tests depends on their bits. */
static MsSmimeCa *
smime_ca (MsScenarioRunner  *self,
          GError           **error)
{
  g_autoptr(MsSmimeCa) ca = NULL;

  if (self->smime_ca != NULL)
    return self->smime_ca;
  ca = ms_smime_ca_new ("MailSim Scenario CA", error);
  if (ca == NULL)
    return NULL;
  for (guint i = 0; i < self->scenario->users->len; i++)
    {
      MsScenarioUser *user = self->scenario->users->pdata[i];

      if (!ms_smime_ca_issue (ca, user->address, error))
        return NULL;
    }
  self->smime_ca = g_steal_pointer (&ca);
  return self->smime_ca;
}

/* Does @device hold @address's private key? By default a device holds the key of whoever
 * uses it; `smime_keys` on the node lists the only ones it has. */
static gboolean
device_has_key (RunnerNode *device,
                const char *address)
{
  if (device->spec->smime_keys == NULL)
    return TRUE;
  for (guint i = 0; device->spec->smime_keys[i] != NULL; i++)
    if (g_ascii_strcasecmp (device->spec->smime_keys[i], address) == 0)
      return TRUE;
  return FALSE;
}

static void
add_recipients (GPtrArray *out, GStrv list)
{
  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) parsed = address_list ((char *[]) { list[i], NULL });

      for (guint k = 0; parsed != NULL && k < parsed->len; k++)
        g_ptr_array_add (out, g_strdup (((MsAddress *) parsed->pdata[k])->address));
    }
}

/* The sending MUA signs with the sender's private key and/or encrypts with each
 * recipient's public key (their certificates from the CA). The header fields stay in
 * clear: every MTA on the way still reads From, To and Subject. */
static gboolean
smime_protect (MsScenarioRunner  *self,
               MsScenarioStep    *step,
               RunnerNode        *device,
               MsMessage        **message,
               GError           **error)
{
  g_autofree char *mode = ms_scenario_expand (self->scenario, step->smime);
  const char *signer = step->from != NULL ? step->from : step->user;
  g_autoptr(GPtrArray) rcpts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) done = NULL;
  g_autoptr(GError) local = NULL;
  MsSmimeCa *ca;
  MsMessage *protected;
  gboolean sign = strstr (mode, "sign") != NULL;
  gboolean encrypt = strstr (mode, "encrypt") != NULL;

  if ((ca = smime_ca (self, &local)) == NULL)
    return fail_at (self, &step->mark, error, "S/MIME: %s", local->message);
  if (sign && !device_has_key (device, signer))
    return fail_at (self, &step->mark, error, "S/MIME: node “%s” does not hold %s's private key",
                    device->spec->name, signer);
  add_recipients (rcpts, step->to);
  add_recipients (rcpts, step->cc);
  add_recipients (rcpts, step->bcc);
  g_ptr_array_add (rcpts, NULL);
  plain = ms_message_to_bytes (*message);
  if (sign && encrypt)
    done = ms_smime_sign_encrypt (ca, signer, (const char * const *) rcpts->pdata, plain, &local);
  else if (sign)
    done = ms_smime_sign (ca, signer, plain, &local);
  else
    done = ms_smime_encrypt (ca, (const char * const *) rcpts->pdata, plain, &local);
  if (done == NULL)
    return fail_at (self, &step->mark, error, "S/MIME %s: %s", mode, local->message);
  protected = ms_message_new_from_bytes (done, &local);
  if (protected == NULL)
    return fail_at (self, &step->mark, error, "S/MIME %s: %s", mode, local->message);
  ms_trace_add_event (self->trace, "note", device->spec->name, 0,
                      "text", sign && encrypt ? "S/MIME: signed with the sender's private key, "
                                                "then encrypted with the recipients' public keys"
                              : sign ? "S/MIME: signed with the sender's private key"
                              : "S/MIME: encrypted with the recipients' public keys", NULL);
  g_object_unref (*message);
  *message = protected;
  return TRUE;
}

static const char *
smime_result_word (const MsSmimeResult *r)
{
  if (r->problem == NULL)
    return r->signed_ ? "valid" : "decrypted";
  switch (r->problem->code)
    {
    case MS_SMIME_ERROR_TAMPERED: return "tampered";
    case MS_SMIME_ERROR_UNTRUSTED: return "untrusted";
    case MS_SMIME_ERROR_NOT_RECIPIENT:
    case MS_SMIME_ERROR_NO_IDENTITY: return "not-recipient";
    default: return "error";
    }
}

/* The receiving MUA opens each fetched S/MIME message: decrypts with the private key the
 * device holds (the fetching user's, if it has it) and verifies the signature against the
 * CA. One "smime" event per message. */
static void
smime_check_fetched (MsScenarioRunner       *self,
                     RunnerNode             *device,
                     const char             *user,
                     const MsMuaFetchResult *result)
{
  const char *reader = NULL;
  MsSmimeCa *ca;

  if (result == NULL || result->messages == NULL)
    return;
  if (device_has_key (device, user))
    reader = user;
  else if (device->spec->smime_keys != NULL)
    reader = device->spec->smime_keys[0];
  for (guint i = 0; i < result->messages->len; i++)
    {
      GBytes *raw = result->messages->pdata[i];
      g_autoptr(MsSmimeResult) r = NULL;
      g_autoptr(MsMessage) msg = NULL;
      g_autofree char *subject = NULL;
      g_autoptr(GError) local = NULL;
      const char *reason;

      if (!ms_smime_is_smime (raw) || (ca = smime_ca (self, &local)) == NULL)
        continue;
      r = ms_smime_open (ca, reader, raw, &local);
      if (r == NULL)
        continue;
      msg = ms_message_new_from_bytes (raw, NULL);
      subject = msg != NULL ? ms_message_dup_subject (msg) : NULL;
      reason = r->problem != NULL ? r->problem->message
               : r->signed_ ? "the signature matches the content and the certificate chains "
                              "to the trusted CA"
               : "decrypted with the recipient's private key";
      ms_trace_add_event (self->trace, "smime", device->spec->name, 0,
                          "result", smime_result_word (r),
                          "user", user,
                          "key", reader != NULL ? reader : "",
                          "subject", subject != NULL ? subject : "",
                          "encrypted", r->encrypted ? "yes" : "no",
                          "decrypted", r->decrypted ? "yes" : "no",
                          "signed", r->signed_ ? "yes" : "no",
                          "signer", r->signer != NULL ? r->signer : "",
                          "content_type", msg != NULL && ms_message_get_header (msg, "Content-Type")
                                          ? ms_message_get_header (msg, "Content-Type") : "",
                          "reason", reason, NULL);
    }
}

static gboolean
step_send (MsScenarioRunner  *self,
           MsScenarioStep    *step,
           GError           **error)
{
  RunnerNode *device = get_node (self, step->device);
  g_autoptr(GPtrArray) from = address_list ((char *[]) { step->from ? step->from : step->user, NULL });
  g_autoptr(GPtrArray) to = address_list (step->to);
  g_autoptr(GPtrArray) cc = address_list (step->cc);
  g_autoptr(GPtrArray) bcc = address_list (step->bcc);
  g_autoptr(GDateTime) date = virtual_date (self);
  g_autoptr(GArray) atts = g_array_new (FALSE, TRUE, sizeof (MsAttachmentSpec));
  g_autoptr(MsMessage) message = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) datas = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *charset = ms_scenario_expand (self->scenario, step->charset);
  gboolean jis = charset != NULL && strcmp (charset, "iso-2022-jp") == 0;
  MsMessageSpec spec = { 0 };

  for (guint i = 0; step->attachments != NULL && i < step->attachments->len; i++)
    {
      MsScenarioAttachment *att = step->attachments->pdata[i];
      MsAttachmentSpec a = { 0 };
      GBytes *data = g_bytes_new (att->content, strlen (att->content));

      g_ptr_array_add (datas, data);
      a.filename = att->filename;
      a.content_type = att->content_type;
      a.data = data;
      g_array_append_val (atts, a);
    }
  spec.from = from;
  spec.to = to;
  spec.cc = cc;
  spec.bcc = bcc;
  spec.subject = step->subject;
  spec.header_charset = jis ? "ISO-2022-JP" : NULL;
  spec.text_charset = jis ? "ISO-2022-JP" : NULL;
  spec.date = date;
  spec.text = step->body;
  spec.attachments = atts->len > 0 ? (const MsAttachmentSpec *) atts->data : NULL;
  spec.n_attachments = atts->len;
  message = ms_mua_compose (device->mua, &spec, &local);
  if (message == NULL)
    return fail_at (self, &step->mark, error, "composing the message: %s", local->message);
  if (step->smime != NULL && !smime_protect (self, step, device, &message, error))
    return FALSE;
  return submit (self, step, device, message, error);
}

/* What a client that ignores the charset of the encoded words would show: the bytes of
 * each fetched Subject read as @misread_as, next to the right decoding. */
static void
show_mojibake (MsScenarioRunner       *self,
               MsScenarioStep         *step,
               RunnerNode             *device,
               const MsMuaFetchResult *result)
{
  g_autofree char *assumed = ms_scenario_expand (self->scenario, step->misread_as);

  for (guint i = 0; result->messages != NULL && i < result->messages->len; i++)
    {
      g_autoptr(MsMessage) msg = ms_message_new_from_bytes (result->messages->pdata[i], NULL);
      g_autofree char *correct = NULL;
      g_autofree char *shown = NULL;

      if (msg == NULL || ms_message_get_header (msg, "Subject") == NULL)
        continue;
      correct = ms_message_dup_header_decoded (msg, "Subject");
      shown = ms_message_decode_header_naively (msg, "Subject", assumed);
      ms_trace_add_event (self->trace, "mojibake", device->spec->name, 0,
                          "header", "Subject",
                          "raw", ms_message_get_header (msg, "Subject"),
                          "assumed_charset", assumed,
                          "shown", shown,
                          "correct", correct,
                          NULL);
    }
}

static gboolean
step_fetch (MsScenarioRunner  *self,
            MsScenarioStep    *step,
            GError           **error)
{
  RunnerNode *device = get_node (self, step->device);
  RunnerNode *server = get_node (self, step->server);
  MsScenarioUser *user = ms_scenario_find_user (self->scenario, step->user);
  g_autofree char *protocol = ms_scenario_expand (self->scenario, step->protocol);
  gboolean imap = strcmp (protocol, "imap") == 0;
  MsMuaFetch how = { 0 };
  MuaOp op = { 0 };

  if (server == NULL)
    server = mailbox_node (self, step->user);
  if (server->mra == NULL)
    return fail_at (self, &step->mark, error, "node “%s” has no mra role to fetch from",
                    server->spec->name);
  how.server = node_address (server);
  how.port = step->port != 0 ? step->port : imap ? RUNNER_PORT_IMAP : RUNNER_PORT_POP3;
  how.user = user->address;
  how.password = user->password;
  how.delete = !step->keep;
  how.peek = FALSE;
  op.mua = device->mua;
  op.fetch = TRUE;
  op.index = imap ? ms_mua_fetch_imap (device->mua, &how) : ms_mua_fetch_pop3 (device->mua, &how);
  if (!run_until_done (self, mua_op_done, &op, error))
    return FALSE;
  if (step->misread_as != NULL)
    show_mojibake (self, step, device, ms_mua_get_fetch (device->mua, op.index));
  smime_check_fetched (self, device, user->address, ms_mua_get_fetch (device->mua, op.index));
  return TRUE;
}

/* A person typing commands at a terminal (telnet, openssl s_client): one line, wait for
 * the complete answer, the next line. The server's engine records the session. */
typedef struct
{
  MsScenarioRunner *runner;
  MsSimTcpEndpoint *endpoint;
  gboolean          imap;
  GStrv             lines;
  guint             next;
  GString          *buffer;
  char             *tag;       /* IMAP: the tag awaited */
  gboolean          greeted;
  gboolean          closed;
  gboolean          sent_data; /* SMTP: DATA was the last command */
  GError           *error;
} Typist;

static void
typist_send_line (Typist     *t,
                  const char *line)
{
  g_autofree char *wire = g_strconcat (line, "\r\n", NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (wire, strlen (wire));

  ms_sim_tcp_endpoint_send (t->endpoint, bytes);
}

/* Types the next line (or the whole message after a 354), or hangs up when done. */
static void
typist_next (Typist *t,
             int     last_code)
{
  const char *line;

  if (t->lines[t->next] == NULL)
    {
      ms_sim_tcp_endpoint_close (t->endpoint);
      return;
    }
  if (!t->imap && t->sent_data && last_code != 354)
    {
      /* DATA refused: nobody types the message then; skip it up to the lone "." */
      for (guint k = t->next; t->lines[k] != NULL; k++)
        if (strcmp (t->lines[k], ".") == 0)
          {
            t->next = k + 1;
            break;
          }
      t->sent_data = FALSE;
      typist_next (t, 0);
      return;
    }
  if (!t->imap && t->sent_data && last_code == 354)
    {
      /* RFC 5321 §4.1.1.4: the content up to <CRLF>.<CRLF>, then one reply */
      while (t->lines[t->next] != NULL)
        {
          line = t->lines[t->next++];
          typist_send_line (t, line);
          if (strcmp (line, ".") == 0)
            break;
        }
      t->sent_data = FALSE;
      return;
    }
  line = t->lines[t->next++];
  if (t->imap)
    {
      g_free (t->tag);
      t->tag = g_strndup (line, strcspn (line, " "));
    }
  else
    t->sent_data = g_ascii_strcasecmp (line, "DATA") == 0;
  typist_send_line (t, line);
}

static void
typist_receive (MsSimTcpEndpoint *endpoint,
                GBytes           *data,
                gpointer          user_data)
{
  Typist *t = user_data;
  gsize len;
  const char *bytes;
  char *eol;

  if (data == NULL)
    {
      /* the server hung up: so do we */
      ms_sim_tcp_endpoint_close (endpoint);
      return;
    }
  bytes = g_bytes_get_data (data, &len);
  g_string_append_len (t->buffer, bytes, len);
  if (t->buffer->len > RUNNER_MAX_REPLY_BUFFER)
    {
      ms_sim_tcp_endpoint_close (endpoint);
      return;
    }
  while ((eol = strstr (t->buffer->str, "\r\n")) != NULL)
    {
      g_autofree char *line = g_strndup (t->buffer->str, eol - t->buffer->str);
      gboolean complete = FALSE;
      int code = 0;

      g_string_erase (t->buffer, 0, eol - t->buffer->str + 2);
      if (t->imap)
        {
          if (!t->greeted)
            complete = g_str_has_prefix (line, "* ");
          else
            complete = t->tag != NULL && g_str_has_prefix (line, t->tag)
                       && line[strlen (t->tag)] == ' ';
        }
      else if (strlen (line) >= 4 && g_ascii_isdigit (line[0]) && line[3] == ' ')
        {
          complete = TRUE;
          code = atoi (line);
        }
      else if (strlen (line) == 3 && g_ascii_isdigit (line[0]))
        {
          complete = TRUE;
          code = atoi (line);
        }
      if (!complete)
        continue;
      t->greeted = TRUE;
      typist_next (t, code);
    }
}

static void
typist_closed (MsSimTcpEndpoint *endpoint,
               gpointer          user_data)
{
  Typist *t = user_data;

  t->closed = TRUE;
}

static void
typist_connected (MsSimTcpEndpoint *endpoint,
                  const GError     *error,
                  gpointer          user_data)
{
  Typist *t = user_data;

  if (endpoint == NULL)
    {
      t->closed = TRUE;
      t->error = g_error_copy (error);
      return;
    }
  ms_sim_tcp_endpoint_set_callbacks (endpoint, typist_receive, typist_closed, t);
}

static gboolean
typist_is_done (gpointer data)
{
  return ((Typist *) data)->closed;
}

static gboolean
step_typed (MsScenarioRunner  *self,
            MsScenarioStep    *step,
            GError           **error)
{
  RunnerNode *device = get_node (self, step->device);
  RunnerNode *server = get_node (self, step->server);
  gboolean imap = step->action == MS_SCENARIO_STEP_IMAP;
  g_autoptr(GError) local = NULL;
  Typist t = { 0 };
  gboolean ok;

  if (server == NULL)
    server = mailbox_node (self, step->user);
  t.runner = self;
  t.imap = imap;
  t.lines = step->commands;
  t.buffer = g_string_new (NULL);
  t.endpoint = ms_network_connect (self->network, device->node, node_address (server),
                                   (guint16) (step->port != 0 ? step->port
                                              : imap ? RUNNER_PORT_IMAP : RUNNER_PORT_SMTP),
                                   typist_connected, &t, &local);
  if (t.endpoint == NULL)
    {
      g_string_free (t.buffer, TRUE);
      return fail_at (self, &step->mark, error, "connecting from %s to %s: %s",
                      device->spec->name, server->spec->name, local->message);
    }
  ok = run_until_done (self, typist_is_done, &t, error);
  if (t.error != NULL)
    {
      /* refused or dropped: part of the story, visible in the packets and the trace */
      ms_trace_add_event (self->trace, "note", device->spec->name, 0,
                          "text", t.error->message, NULL);
      g_error_free (t.error);
    }
  g_free (t.tag);
  g_string_free (t.buffer, TRUE);
  return ok;
}

static MsStoredMessage *
find_message (MsMailStore *store,
              const char  *user,
              const char  *folder,
              const char  *subject,
              guint        skip)
{
  MsMailbox *box = ms_mail_store_get_mailbox (store, user, folder);

  for (guint i = 0; box != NULL && i < ms_mailbox_get_n_messages (box); i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (box, i);
      g_autoptr(MsMessage) msg = ms_message_new_from_bytes (m->raw, NULL);
      g_autofree char *s = msg != NULL ? ms_message_dup_header_decoded (msg, "Subject") : NULL;

      if (subject == NULL || (s != NULL && strstr (s, subject) != NULL))
        {
          if (skip == 0)
            return m;
          skip--;
        }
    }
  return NULL;
}

static gboolean
step_reply (MsScenarioRunner  *self,
            MsScenarioStep    *step,
            GError           **error)
{
  RunnerNode *device = get_node (self, step->device);
  RunnerNode *home = mailbox_node (self, step->user);
  MsStoredMessage *stored = find_message (home->store, step->user, "INBOX", step->message, 0);
  g_autoptr(MsMessage) original = NULL;
  g_autoptr(MsMessage) reply = NULL;
  g_autoptr(GPtrArray) from = address_list ((char *[]) { step->user, NULL });
  g_autoptr(GDateTime) date = virtual_date (self);
  g_autoptr(GError) local = NULL;
  MsMessageSpec spec = { 0 };

  if (stored == NULL)
    return fail_at (self, &step->mark, error,
                    "%s has no message “%s” in INBOX to reply to (did an earlier step fail?)",
                    step->user, step->message);
  original = ms_message_new_from_bytes (stored->raw, &local);
  if (original == NULL)
    return fail_at (self, &step->mark, error, "the message replied to: %s", local->message);
  spec.from = from;
  spec.date = date;
  spec.text = step->body;
  reply = ms_mua_compose_reply (device->mua, original, &spec, &local);
  if (reply == NULL)
    return fail_at (self, &step->mark, error, "composing the reply: %s", local->message);
  return submit (self, step, device, reply, error);
}

static gboolean
step_wait (MsScenarioRunner  *self,
           MsScenarioStep    *step,
           GError           **error)
{
  MsScheduler *scheduler = ms_network_get_scheduler (self->network);

  ms_scheduler_run_until (scheduler, ms_scheduler_get_now (scheduler)
                                     + step->seconds * G_USEC_PER_SEC);
  return TRUE;
}

static gboolean
apply_switches (MsScenarioRunner  *self,
                GError           **error)
{
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = get_node (self, spec->name);

      if ((spec->roles & MS_SCENARIO_ROLE_ROUTER) && !apply_filters (self, rn, FALSE, error))
        return FALSE;
      if (rn->mta != NULL)
        {
          MsMtaSpfPolicy policy;
          if (!parse_spf_policy (self, spec, &policy, error))
            return FALSE;
          ms_mta_set_spf_policy (rn->mta, policy);
          {
            MsMtaDkimPolicy dkim;
            g_autofree char *tag = ms_scenario_expand (self->scenario, spec->list_tag);

            if (!parse_dkim_policy (self, spec, &dkim, error))
              return FALSE;
            ms_mta_set_dkim_policy (rn->mta, dkim);
            ms_mta_set_list_tag (rn->mta, tag);
          }
        }
    }
  return TRUE;
}

static gboolean
step_set (MsScenarioRunner  *self,
          MsScenarioStep    *step,
          GError           **error)
{
  g_autoptr(GError) local = NULL;

  if (!ms_scenario_set_switch (self->scenario, step->switch_name, step->value, &local))
    return fail_at (self, &step->mark, error, "%s", local->message);
  ms_trace_add_event (self->trace, "switch", NULL, 0, "name", step->switch_name,
                      "value", step->value, NULL);
  return apply_switches (self, error);
}

static void
add_text (JsonBuilder          *b,
          const char           *name,
          const MsScenarioText *text)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ja");
  json_builder_add_string_value (b, ms_scenario_text_get (text, "ja"));
  json_builder_set_member_name (b, "en");
  json_builder_add_string_value (b, ms_scenario_text_get (text, "en"));
  json_builder_end_object (b);
}

/* {"question": {"ja", "en"}, "choices": [{"ja", "en"} ...], "answer": N,
 *  "explanation": {"ja", "en"}} */
static JsonNode *
quiz_to_json (const MsScenarioQuiz *quiz)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_text (b, "question", &quiz->question);
  json_builder_set_member_name (b, "choices");
  json_builder_begin_array (b);
  for (guint i = 0; i < quiz->n_choices; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "ja");
      json_builder_add_string_value (b, ms_scenario_text_get (&quiz->choices[i], "ja"));
      json_builder_set_member_name (b, "en");
      json_builder_add_string_value (b, ms_scenario_text_get (&quiz->choices[i], "en"));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "answer");
  json_builder_add_int_value (b, quiz->answer);
  add_text (b, "explanation", &quiz->explanation);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
run_step (MsScenarioRunner  *self,
          MsScenarioStep    *step,
          GError           **error)
{
  g_autofree char *number = g_strdup_printf ("%u", self->step_index);
  g_autofree char *comment = NULL;
  MsTraceEvent *event;

  event = ms_trace_add_event (self->trace, "narration", NULL, 0,
                              "step", number,
                              "action", ms_scenario_step_action_to_string (step->action),
                              "ja", step->narration.ja,
                              "en", step->narration.en,
                              NULL);
  /* the step's quiz travels with its narration, for the window and JSON readers */
  if (step->quiz != NULL)
    json_object_set_member (event->fields, "quiz", quiz_to_json (step->quiz));
  comment = g_strdup_printf ("step %u (%s): %s", self->step_index,
                             ms_scenario_step_action_to_string (step->action), step->narration.en);
  ms_network_add_packet_comment (self->network, comment);

  switch (step->action)
    {
    case MS_SCENARIO_STEP_SEND:
      if (is_via_webmail (self, step))
        return step_webmail (self, step, error);
      return step_send (self, step, error);
    case MS_SCENARIO_STEP_FETCH:
      if (is_via_webmail (self, step))
        return step_webmail (self, step, error);
      return step_fetch (self, step, error);
    case MS_SCENARIO_STEP_IMAP:
    case MS_SCENARIO_STEP_SMTP:
      return step_typed (self, step, error);
    case MS_SCENARIO_STEP_REPLY:
      return step_reply (self, step, error);
    case MS_SCENARIO_STEP_WAIT:
      return step_wait (self, step, error);
    case MS_SCENARIO_STEP_SET:
      return step_set (self, step, error);
    default:
      g_assert_not_reached ();
    }
}

/* ---- expectations ------------------------------------------------------------------ */

static gboolean
node_matches (MsScenarioRunner *self,
              const char       *wanted,
              const char       *actual)
{
  MsScenarioNode *spec;

  if (wanted == NULL)
    return TRUE;
  if (actual == NULL)
    return FALSE;
  if (strcmp (wanted, actual) == 0)
    return TRUE;
  spec = ms_scenario_find_node (self->scenario, wanted);
  return spec != NULL && g_ascii_strcasecmp (spec->hostname, actual) == 0;
}

static gboolean
check_reply (MsScenarioRunner            *self,
             const MsScenarioExpectation *exp,
             GString                     *why)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  gboolean found = FALSE;

  for (guint s = 0; s < ms_trace_get_n_sessions (self->trace) && !found; s++)
    {
      MsTraceSession *session = ms_trace_get_session (self->trace, s);
      g_autoptr(GQueue) pending = NULL;

      if (session->protocol != MS_PROTOCOL_SMTP)
        continue;
      if (exp->session != 0 && session->id != exp->session)
        continue;
      if (!node_matches (self, exp->node, session->server_node))
        continue;
      /* Which command a reply answers: replies come in the order of the commands, also
       * when the client pipelines them (RFC 2920 §3.1); a 334 or a 354 keeps its command
       * waiting for the final reply of the AUTH exchange or of the message. */
      pending = g_queue_new ();
      for (guint i = 0; i < session->lines->len; i++)
        {
          MsTraceLine *line = session->lines->pdata[i];
          const char *answered;

          if (line->kind == MS_LINE_COMMAND && line->command != NULL)
            g_queue_push_tail (pending, line->command);
          if (line->kind != MS_LINE_REPLY || line->code == 0)
            continue;
          /* the last line of a multi-line reply ("250 ...", not "250-...") */
          if (strlen (line->text) > 3 && line->text[3] == '-')
            continue;
          answered = g_queue_pop_head (pending);
          if (answered != NULL && (line->code == 334 || line->code == 354))
            g_queue_push_head (pending, (gpointer) answered);
          if (seen->len < 200)
            g_string_append_printf (seen, "%s%d%s%s", seen->len ? " " : "", line->code,
                                    answered ? "/" : "", answered ? answered : "");
          if (line->code == exp->code
              && (exp->command == NULL || g_strcmp0 (answered, exp->command) == 0))
            {
              found = TRUE;
              break;
            }
        }
    }
  if (found != exp->present)
    g_string_append_printf (why, "replies seen: %s", seen->len ? seen->str : "none");
  return found == exp->present;
}

static const char *
event_field (MsTraceEvent *event,
             const char   *name)
{
  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  return json_object_get_string_member_with_default (event->fields, name, NULL);
}

static gboolean
check_blocked (MsScenarioRunner            *self,
               const MsScenarioExpectation *exp,
               GString                     *why)
{
  gboolean found = FALSE;
  guint n_blocked = 0;

  for (guint i = 0; i < ms_trace_get_n_events (self->trace) && !found; i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (self->trace, i);

      if (strcmp (ev->type, "blocked") != 0)
        continue;
      n_blocked++;
      if (node_matches (self, exp->node, ev->node)
          && (exp->reason == NULL || g_strcmp0 (event_field (ev, "reason"), exp->reason) == 0))
        found = TRUE;
    }
  if (found != exp->present)
    g_string_append_printf (why, "%u blocked packet event(s) in all", n_blocked);
  return found == exp->present;
}

static gboolean
check_policy_result (MsScenarioRunner            *self,
                     const MsScenarioExpectation *exp,
                     const char                  *check,
                     GString                     *why)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  gboolean found = FALSE;

  for (guint i = 0; i < ms_trace_get_n_events (self->trace); i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (self->trace, i);
      const char *result;

      if (strcmp (ev->type, "policy") != 0 || g_strcmp0 (event_field (ev, "check"), check) != 0
          || !node_matches (self, exp->node, ev->node))
        continue;
      result = event_field (ev, "result");
      g_string_append_printf (seen, "%s%s", seen->len ? " " : "", result ? result : "?");
      if (g_strcmp0 (result, exp->result) == 0)
        found = TRUE;
    }
  if (found != exp->present)
    g_string_append_printf (why, "%s results at %s: %s", strcmp (check, "spf") == 0 ? "SPF" : "DKIM",
                            exp->node, seen->len ? seen->str : "none");
  return found == exp->present;
}

static gboolean
check_spf (MsScenarioRunner            *self,
           const MsScenarioExpectation *exp,
           GString                     *why)
{
  return check_policy_result (self, exp, "spf", why);
}

static gboolean
check_dkim (MsScenarioRunner            *self,
            const MsScenarioExpectation *exp,
            GString                     *why)
{
  return check_policy_result (self, exp, "dkim", why);
}

static gboolean
check_smime (MsScenarioRunner            *self,
             const MsScenarioExpectation *exp,
             GString                     *why)
{
  g_autoptr(GString) seen = g_string_new (NULL);
  gboolean found = FALSE;

  for (guint i = 0; i < ms_trace_get_n_events (self->trace); i++)
    {
      MsTraceEvent *ev = ms_trace_get_event (self->trace, i);
      const char *result;

      if (strcmp (ev->type, "smime") != 0 || !node_matches (self, exp->node, ev->node)
          || (exp->subject != NULL
              && strstr (event_field (ev, "subject") ? event_field (ev, "subject") : "",
                         exp->subject) == NULL))
        continue;
      result = event_field (ev, "result");
      g_string_append_printf (seen, "%s%s", seen->len ? " " : "", result ? result : "?");
      if (g_strcmp0 (result, exp->result) == 0)
        found = TRUE;
    }
  if (found != exp->present)
    g_string_append_printf (why, "S/MIME results at %s: %s", exp->node,
                            seen->len ? seen->str : "none");
  return found == exp->present;
}

static gboolean
check_delivered (MsScenarioRunner            *self,
                 const MsScenarioExpectation *exp,
                 GString                     *why)
{
  RunnerNode *home = mailbox_node (self, exp->mailbox);
  MsMailbox *box = ms_mail_store_get_mailbox (home->store, exp->mailbox, exp->folder);
  gboolean found = find_message (home->store, exp->mailbox, exp->folder, exp->subject, 0) != NULL;

  if (found != exp->present)
    g_string_append_printf (why, "%s/%s holds %u message(s)", exp->mailbox, exp->folder,
                            box != NULL ? ms_mailbox_get_n_messages (box) : 0);
  return found == exp->present;
}

/* RFC 5322 §2.2.3 unfolding, and any run of white space as one space, so that a
 * scenario's "contains" can span a folded line */
static char *
unfold_value (const char *value)
{
  GString *out = g_string_new (NULL);

  for (const char *p = value; *p != '\0'; p++)
    if (*p == '\r' || *p == '\n' || *p == '\t' || *p == ' ')
      {
        if (out->len == 0 || out->str[out->len - 1] != ' ')
          g_string_append_c (out, ' ');
      }
    else
      g_string_append_c (out, *p);
  return g_strstrip (g_string_free (out, FALSE));
}

static gboolean
check_header (MsScenarioRunner            *self,
              const MsScenarioExpectation *exp,
              GString                     *why)
{
  RunnerNode *home = mailbox_node (self, exp->mailbox);
  MsStoredMessage *stored = find_message (home->store, exp->mailbox, exp->folder, exp->subject, 0);
  g_autoptr(MsMessage) msg = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  gboolean contains_ok;
  int count = 0;

  if (stored == NULL)
    {
      g_string_append_printf (why, "no such message in %s/%s", exp->mailbox, exp->folder);
      return FALSE;
    }
  msg = ms_message_new_from_bytes (stored->raw, NULL);
  if (msg == NULL)
    {
      g_string_append (why, "the stored message does not parse");
      return FALSE;
    }
  headers = ms_message_dup_header_list (msg);
  contains_ok = exp->contains == NULL;
  for (guint i = 0; i < headers->len; i++)
    {
      MsHeader *h = headers->pdata[i];
      if (g_ascii_strcasecmp (h->name, exp->header) != 0)
        continue;
      count++;
      if (exp->contains != NULL && (exp->position == 0 || exp->position == (guint) count))
        {
          g_autofree char *unfolded = unfold_value (h->raw_value);

          if (strstr (h->raw_value, exp->contains) != NULL
              || strstr (unfolded, exp->contains) != NULL)
            contains_ok = TRUE;
        }
    }
  if (exp->count >= 0 && count != exp->count)
    {
      g_string_append_printf (why, "%s appears %d time(s)", exp->header, count);
      return FALSE;
    }
  if (exp->count < 0 && (count > 0) != exp->present)
    {
      g_string_append_printf (why, "%s is %s", exp->header, count > 0 ? "present" : "absent");
      return FALSE;
    }
  if (!contains_ok && exp->position > 0)
    {
      int seen = 0;

      for (guint i = 0; i < headers->len; i++)
        {
          MsHeader *h = headers->pdata[i];

          if (g_ascii_strcasecmp (h->name, exp->header) == 0 && (guint) ++seen == exp->position)
            {
              g_autofree char *unfolded = unfold_value (h->raw_value);

              g_string_append_printf (why, "%s number %u is “%s”", exp->header, exp->position,
                                      unfolded);
              return FALSE;
            }
        }
      g_string_append_printf (why, "there are only %d %s header(s)", count, exp->header);
      return FALSE;
    }
  if (!contains_ok)
    {
      const char *first = ms_message_get_header (msg, exp->header);
      g_string_append_printf (why, "%s is “%s”", exp->header, first ? first : "");
      return FALSE;
    }
  return TRUE;
}

static void
check_expectations (MsScenarioRunner *self)
{
  for (guint i = 0; i < self->scenario->expectations->len; i++)
    {
      MsScenarioExpectation *exp = self->scenario->expectations->pdata[i];
      g_autofree char *text = ms_scenario_expectation_describe (exp);
      g_autoptr(GString) why = g_string_new (NULL);
      gboolean ok;

      switch (exp->kind)
        {
        case MS_SCENARIO_EXPECT_REPLY:
          ok = check_reply (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_BLOCKED:
          ok = check_blocked (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_SPF:
          ok = check_spf (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_SMIME:
          ok = check_smime (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_DKIM:
          ok = check_dkim (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_DELIVERED:
          ok = check_delivered (self, exp, why);
          break;
        case MS_SCENARIO_EXPECT_HEADER:
          ok = check_header (self, exp, why);
          break;
        default:
          g_assert_not_reached ();
        }
      if (ok)
        ms_trace_add_expectation (self->trace, text, TRUE);
      else
        {
          g_autofree char *full = g_strdup_printf ("%s (but %s)", text, why->str);
          ms_trace_add_expectation (self->trace, full, FALSE);
          g_ptr_array_add (self->failures,
                           g_strdup_printf ("%s:%u:%u: expectation failed: %s",
                                            self->scenario->filename, exp->mark.line,
                                            exp->mark.column, full));
          self->n_failed++;
        }
    }
}

/* The network as built, into the trace for the pictures (docs/cli.md "topology"):
 * networks with their kind, nodes with their roles, addresses and listening ports. */
static void
record_topology (MsScenarioRunner *self)
{
  static const char * const role_names[] = {
    "mua", "msa", "mta", "mda", "mra", "dns", "router", "webmail",
  };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "networks");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->scenario->networks->len; i++)
    {
      MsScenarioNetwork *net = self->scenario->networks->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, net->name);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, net->kind != NULL ? net->kind : "");
      json_builder_set_member_name (b, "cidr");
      json_builder_begin_array (b);
      for (guint k = 0; net->cidrs != NULL && net->cidrs[k] != NULL; k++)
        json_builder_add_string_value (b, net->cidrs[k]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "nodes");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->scenario->nodes->len; i++)
    {
      MsScenarioNode *spec = self->scenario->nodes->pdata[i];
      RunnerNode *rn = get_node (self, spec->name);
      g_auto(GStrv) services = rn != NULL ? ms_node_dup_services (rn->node) : NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, spec->name);
      json_builder_set_member_name (b, "hostname");
      json_builder_add_string_value (b, spec->hostname != NULL ? spec->hostname : spec->name);
      json_builder_set_member_name (b, "roles");
      json_builder_begin_array (b);
      for (guint k = 0; k < G_N_ELEMENTS (role_names); k++)
        if (spec->roles & (1u << k))
          json_builder_add_string_value (b, role_names[k]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "addresses");
      json_builder_begin_object (b);
      for (guint k = 0; k < spec->addresses->len; k++)
        {
          MsScenarioAddress *addr = spec->addresses->pdata[k];

          json_builder_set_member_name (b, addr->network);
          json_builder_add_string_value (b, addr->address);
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "ports");
      json_builder_begin_array (b);
      for (guint k = 0; services != NULL && services[k] != NULL; k++)
        json_builder_add_string_value (b, services[k]);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  ms_trace_set_topology (self->trace, json_node_get_object (root));
}

gboolean
ms_scenario_runner_run (MsScenarioRunner  *self,
                        GError           **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!build_networks (self, error) || !build_nodes (self, error) || !build_zone (self, error)
      || !build_agents (self, error))
    return FALSE;
  record_topology (self);
  for (guint i = 0; i < self->scenario->steps->len; i++)
    {
      self->step_index = i + 1;
      if (!run_step (self, self->scenario->steps->pdata[i], error))
        return FALSE;
    }
  check_expectations (self);
  return TRUE;
}
