/* ms-scenario.c: loading scenarios/NAME.yaml into an MsScenario
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libyaml builds the document; we walk it with a table of allowed keys per kind of
 * mapping, so that a typo gets "unknown key “ruoter” in node; expected one of: ..." with
 * the line and column libyaml recorded for it.
 */
#define G_LOG_DOMAIN "ms-scenario"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "ms-scenario.h"
#include "ms-scenario-config.h"
#include "ms-dns-zone.h"

G_DEFINE_QUARK (ms-scenario-error-quark, ms_scenario_error)

/* Limits: a scenario is a teaching story, not a data set. */
#define MS_SCENARIO_MAX_FILE_SIZE   (1024 * 1024)
#define MS_SCENARIO_MAX_WAIT_S      (7 * 24 * 3600)
#define MS_SCENARIO_MAX_EXPAND_SIZE (64 * 1024)

typedef struct
{
  const char      *file;
  yaml_document_t *doc;
  MsScenario      *scenario;
} Ctx;

static const char *const top_keys[] = {
  "id", "title", "summary", "exams", "topics", "seed", "networks", "nodes", "dns",
  "users", "switches", "steps", "expectations", NULL
};
static const char *const text_keys[] = { "ja", "en", NULL };
static const char *const network_keys[] = { "name", "kind", "cidr", "latency_ms", NULL };
static const char *const network_kinds[] = { "home-pool", "isp", "dmz", "lan", "internet", NULL };
static const char *const node_keys[] = {
  "name", "hostname", "addresses", "roles", "domains", "trusted_networks", "submission_auth",
  "spf", "pop_before_smtp", "fail_first", "fail_count", "resolver", "filters", "transport", "nat",
  "mail_server", "smime_keys", "dkim", "dkim_selector", "dkim_key", "list_tag", NULL
};
static const char *const role_names[] = {
  "mua", "msa", "mta", "mda", "mra", "dns", "router", "webmail", NULL
};
static const char *const filter_keys[] = {
  "name", "protocol", "from", "to", "port", "except", "action", "reason", "enabled", NULL
};
static const char *const user_keys[] = { "address", "password", "mailbox", NULL };
static const char *const step_keys[] = {
  "action", "narration", "quiz", "device", "user", "from", "envelope_from", "to", "cc", "bcc",
  "subject", "body", "charset", "attachments", "via", "server", "port", "auth", "protocol",
  "keep", "misread_as", "commands", "message", "seconds", "switch", "value", "smime", NULL
};
static const char *const step_actions[] = {
  "send", "fetch", "imap", "smtp", "reply", "wait", "set", NULL
};
static const char *const quiz_keys[] = { "question", "choices", "answer", "explanation", NULL };
static const char *const attachment_keys[] = { "filename", "content_type", "content", NULL };
static const char *const expect_keys[] = {
  "expect", "text", "code", "session", "node", "command", "reason", "result", "mailbox",
  "folder", "subject", "header", "contains", "count", "position", "present", NULL
};
static const char *const expect_kinds[] = {
  "reply", "blocked", "spf", "delivered", "header", "smime", "dkim", NULL
};
static const char *const smime_results[] = {
  "valid", "decrypted", "tampered", "untrusted", "not-recipient", NULL
};
static const char *const spf_results[] = {
  "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", NULL
};

/* ---- freeing ---------------------------------------------------------------------- */

static void
text_clear (MsScenarioText *text)
{
  g_clear_pointer (&text->ja, g_free);
  g_clear_pointer (&text->en, g_free);
}

static void
network_free (gpointer data)
{
  MsScenarioNetwork *net = data;

  g_free (net->name);
  g_free (net->kind);
  g_strfreev (net->cidrs);
  g_free (net);
}

static void
address_free (gpointer data)
{
  MsScenarioAddress *addr = data;

  g_free (addr->network);
  g_free (addr->address);
  g_free (addr);
}

static void
filter_free (gpointer data)
{
  MsScenarioFilter *filter = data;

  g_free (filter->name);
  g_free (filter->protocol);
  g_free (filter->from);
  g_free (filter->to);
  g_strfreev (filter->except);
  g_free (filter->action);
  g_free (filter->reason);
  g_free (filter->enabled);
  g_free (filter);
}

static void
route_free (gpointer data)
{
  MsScenarioRoute *route = data;

  g_free (route->domain);
  g_free (route->next_hop);
  g_free (route);
}

static void
nat_free (gpointer data)
{
  MsScenarioNat *nat = data;

  g_free (nat->inside);
  g_free (nat->outside);
  g_free (nat);
}

static void
node_free (gpointer data)
{
  MsScenarioNode *node = data;

  g_free (node->name);
  g_free (node->hostname);
  g_clear_pointer (&node->addresses, g_ptr_array_unref);
  g_strfreev (node->domains);
  g_strfreev (node->trusted_networks);
  g_free (node->submission_auth);
  g_free (node->spf);
  g_free (node->dkim);
  g_free (node->dkim_selector);
  g_free (node->dkim_key);
  g_free (node->list_tag);
  g_free (node->pop_before_smtp);
  g_free (node->fail_first);
  g_free (node->fail_count);
  g_free (node->resolver);
  g_free (node->mail_server);
  g_clear_pointer (&node->filters, g_ptr_array_unref);
  g_clear_pointer (&node->transport, g_ptr_array_unref);
  g_clear_pointer (&node->nat, g_ptr_array_unref);
  g_strfreev (node->smime_keys);
  g_free (node);
}

static void
user_free (gpointer data)
{
  MsScenarioUser *user = data;

  g_free (user->address);
  g_free (user->password);
  g_free (user->mailbox);
  g_free (user);
}

static void
switch_free (gpointer data)
{
  MsScenarioSwitch *sw = data;

  g_free (sw->name);
  g_free (sw->value);
  g_free (sw);
}

static void
attachment_free (gpointer data)
{
  MsScenarioAttachment *att = data;

  g_free (att->filename);
  g_free (att->content_type);
  g_free (att->content);
  g_free (att);
}

static void
quiz_free (MsScenarioQuiz *quiz)
{
  if (quiz == NULL)
    return;
  text_clear (&quiz->question);
  text_clear (&quiz->explanation);
  for (guint i = 0; i < quiz->n_choices; i++)
    text_clear (&quiz->choices[i]);
  g_free (quiz->choices);
  g_free (quiz);
}

static void
step_free (gpointer data)
{
  MsScenarioStep *step = data;

  text_clear (&step->narration);
  quiz_free (step->quiz);
  g_free (step->device);
  g_free (step->user);
  g_free (step->from);
  g_free (step->envelope_from);
  g_strfreev (step->to);
  g_strfreev (step->cc);
  g_strfreev (step->bcc);
  g_free (step->subject);
  g_free (step->body);
  g_free (step->charset);
  g_free (step->smime);
  g_clear_pointer (&step->attachments, g_ptr_array_unref);
  g_free (step->via);
  g_free (step->server);
  g_free (step->auth);
  g_free (step->protocol);
  g_free (step->misread_as);
  g_strfreev (step->commands);
  g_free (step->message);
  g_free (step->switch_name);
  g_free (step->value);
  g_free (step);
}

static void
expectation_free (gpointer data)
{
  MsScenarioExpectation *exp = data;

  g_free (exp->text);
  g_free (exp->node);
  g_free (exp->command);
  g_free (exp->reason);
  g_free (exp->result);
  g_free (exp->mailbox);
  g_free (exp->folder);
  g_free (exp->subject);
  g_free (exp->header);
  g_free (exp->contains);
  g_free (exp);
}

void
ms_scenario_free (MsScenario *self)
{
  if (self == NULL)
    return;
  g_free (self->id);
  g_free (self->filename);
  text_clear (&self->title);
  text_clear (&self->summary);
  g_strfreev (self->exams);
  g_strfreev (self->topics);
  g_clear_pointer (&self->networks, g_ptr_array_unref);
  g_clear_pointer (&self->nodes, g_ptr_array_unref);
  g_clear_pointer (&self->dns, g_ptr_array_unref);
  g_clear_pointer (&self->dns_marks, g_ptr_array_unref);
  g_clear_pointer (&self->users, g_ptr_array_unref);
  g_clear_pointer (&self->switches, g_ptr_array_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_clear_pointer (&self->expectations, g_ptr_array_unref);
  g_free (self);
}

/* ---- walking the document ---------------------------------------------------------- */

static MsScenarioMark
mark_of (yaml_node_t *node)
{
  MsScenarioMark mark = { (guint) node->start_mark.line + 1, (guint) node->start_mark.column + 1 };

  return mark;
}

static gboolean
fail_at (Ctx          *ctx,
         yaml_node_t  *node,
         GError      **error,
         int           code,
         const char   *format,
         ...) G_GNUC_PRINTF (5, 6);

static gboolean
fail_at (Ctx          *ctx,
         yaml_node_t  *node,
         GError      **error,
         int           code,
         const char   *format,
         ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, MS_SCENARIO_ERROR, code, "%s:%zu:%zu: %s", ctx->file,
               node->start_mark.line + 1, node->start_mark.column + 1, msg);
  return FALSE;
}

static yaml_node_t *
node_at (Ctx *ctx,
         int  index)
{
  return yaml_document_get_node (ctx->doc, index);
}

static gboolean
in_list (const char        *word,
         const char *const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (word, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static char *
join_list (const char *const *list)
{
  return g_strjoinv (", ", (char **) list);
}

static gboolean
expect_mapping (Ctx          *ctx,
                yaml_node_t  *node,
                const char   *what,
                GError      **error)
{
  if (node->type != YAML_MAPPING_NODE)
    return fail_at (ctx, node, error, MS_SCENARIO_ERROR_SYNTAX,
                    "expected a mapping (key: value lines) for %s", what);
  return TRUE;
}

static gboolean
expect_sequence (Ctx          *ctx,
                 yaml_node_t  *node,
                 const char   *what,
                 GError      **error)
{
  if (node->type != YAML_SEQUENCE_NODE)
    return fail_at (ctx, node, error, MS_SCENARIO_ERROR_SYNTAX,
                    "expected a list (“- ” items) for %s", what);
  return TRUE;
}

/* Every key of @map is a scalar from @allowed, none twice. */
static gboolean
check_keys (Ctx               *ctx,
            yaml_node_t       *map,
            const char        *what,
            const char *const *allowed,
            GError           **error)
{
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *key = node_at (ctx, p->key);
      const char *name;

      if (key->type != YAML_SCALAR_NODE)
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a plain key in %s", what);
      name = (const char *) key->data.scalar.value;
      if (!in_list (name, allowed))
        {
          g_autofree char *keys = join_list (allowed);
          return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                          "unknown key “%s” in %s; expected one of: %s", name, what, keys);
        }
      for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++)
        {
          yaml_node_t *other = node_at (ctx, q->key);
          if (other->type == YAML_SCALAR_NODE
              && strcmp ((const char *) other->data.scalar.value, name) == 0)
            return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                            "key “%s” given twice in %s", name, what);
        }
    }
  return TRUE;
}

static yaml_node_t *
lookup (Ctx         *ctx,
        yaml_node_t *map,
        const char  *key)
{
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *k = node_at (ctx, p->key);
      if (k->type == YAML_SCALAR_NODE && strcmp ((const char *) k->data.scalar.value, key) == 0)
        return node_at (ctx, p->value);
    }
  return NULL;
}

static gboolean
require (Ctx          *ctx,
         yaml_node_t  *map,
         const char   *key,
         const char   *what,
         yaml_node_t **out,
         GError      **error)
{
  *out = lookup (ctx, map, key);
  if (*out == NULL)
    return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX, "%s has no “%s”", what, key);
  return TRUE;
}

/* A scalar value as a new string; @out untouched when the key is absent. */
static gboolean
get_string (Ctx          *ctx,
            yaml_node_t  *map,
            const char   *key,
            const char   *what,
            gboolean      required,
            char        **out,
            GError      **error)
{
  yaml_node_t *value = lookup (ctx, map, key);

  if (value == NULL)
    {
      if (required)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX, "%s has no “%s”", what, key);
      return TRUE;
    }
  if (value->type != YAML_SCALAR_NODE)
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_SYNTAX,
                    "expected a single value (text or number) for “%s” in %s", key, what);
  g_free (*out);
  *out = g_strndup ((const char *) value->data.scalar.value, value->data.scalar.length);
  return TRUE;
}

static gboolean
parse_uint (Ctx          *ctx,
            yaml_node_t  *value,
            const char   *key,
            guint64       max,
            guint64      *out,
            GError      **error)
{
  const char *text;
  char *end = NULL;
  guint64 n;

  if (value->type != YAML_SCALAR_NODE)
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_SYNTAX,
                    "expected a number for “%s”", key);
  text = (const char *) value->data.scalar.value;
  errno = 0;
  n = g_ascii_strtoull (text, &end, 10);
  if (*text == '\0' || !g_ascii_isdigit (*text) || *end != '\0' || errno != 0 || n > max)
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                    "expected a whole number from 0 to %" G_GUINT64_FORMAT " for “%s”, not “%s”",
                    max, key, text);
  *out = n;
  return TRUE;
}

static gboolean
get_uint (Ctx          *ctx,
          yaml_node_t  *map,
          const char   *key,
          guint64       max,
          guint64      *out,
          GError      **error)
{
  yaml_node_t *value = lookup (ctx, map, key);

  if (value == NULL)
    return TRUE;
  return parse_uint (ctx, value, key, max, out, error);
}

static gboolean
parse_bool_word (const char *text,
                 gboolean   *out)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };

  for (guint i = 0; yes[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, yes[i]) == 0)
      {
        *out = TRUE;
        return TRUE;
      }
  for (guint i = 0; no[i] != NULL; i++)
    if (g_ascii_strcasecmp (text, no[i]) == 0)
      {
        *out = FALSE;
        return TRUE;
      }
  return FALSE;
}

static gboolean
get_bool (Ctx          *ctx,
          yaml_node_t  *map,
          const char   *key,
          gboolean     *out,
          GError      **error)
{
  yaml_node_t *value = lookup (ctx, map, key);

  if (value == NULL)
    return TRUE;
  if (value->type != YAML_SCALAR_NODE
      || !parse_bool_word ((const char *) value->data.scalar.value, out))
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                    "expected true or false for “%s”", key);
  return TRUE;
}

/* A setting that is a boolean or a ${switch}: kept as text, checked now when literal. */
static gboolean
get_bool_setting (Ctx          *ctx,
                  yaml_node_t  *map,
                  const char   *key,
                  char        **out,
                  GError      **error)
{
  yaml_node_t *value = lookup (ctx, map, key);
  gboolean b;

  if (value == NULL)
    return TRUE;
  if (!get_string (ctx, map, key, key, FALSE, out, error))
    return FALSE;
  if (strstr (*out, "${") == NULL && !parse_bool_word (*out, &b))
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                    "expected true, false or a ${switch} for “%s”, not “%s”", key, *out);
  return TRUE;
}

/* A setting with a fixed set of words, or a ${switch}. */
static gboolean
get_word_setting (Ctx               *ctx,
                  yaml_node_t       *map,
                  const char        *key,
                  const char *const *words,
                  char             **out,
                  GError           **error)
{
  yaml_node_t *value = lookup (ctx, map, key);

  if (value == NULL)
    return TRUE;
  if (!get_string (ctx, map, key, key, FALSE, out, error))
    return FALSE;
  if (strstr (*out, "${") == NULL && !in_list (*out, words))
    {
      g_autofree char *list = join_list (words);
      return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                      "unknown value “%s” for “%s”; expected one of: %s", *out, key, list);
    }
  return TRUE;
}

/* One string or a list of strings. */
static gboolean
get_strv (Ctx          *ctx,
          yaml_node_t  *map,
          const char   *key,
          GStrv        *out,
          GError      **error)
{
  yaml_node_t *value = lookup (ctx, map, key);
  g_autoptr(GStrvBuilder) builder = NULL;

  if (value == NULL)
    return TRUE;
  builder = g_strv_builder_new ();
  if (value->type == YAML_SCALAR_NODE)
    g_strv_builder_add (builder, (const char *) value->data.scalar.value);
  else if (value->type == YAML_SEQUENCE_NODE)
    {
      for (yaml_node_item_t *i = value->data.sequence.items.start;
           i < value->data.sequence.items.top; i++)
        {
          yaml_node_t *item = node_at (ctx, *i);
          if (item->type != YAML_SCALAR_NODE)
            return fail_at (ctx, item, error, MS_SCENARIO_ERROR_SYNTAX,
                            "expected a single value in the list “%s”", key);
          g_strv_builder_add (builder, (const char *) item->data.scalar.value);
        }
    }
  else
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_SYNTAX,
                    "expected a value or a list of values for “%s”", key);
  g_strfreev (*out);
  *out = g_strv_builder_end (builder);
  return TRUE;
}

/* {ja: ..., en: ...}, both required */
static gboolean
get_text (Ctx             *ctx,
          yaml_node_t     *map,
          const char      *key,
          const char      *what,
          gboolean         required,
          MsScenarioText  *out,
          GError         **error)
{
  yaml_node_t *value = lookup (ctx, map, key);
  g_autofree char *where = g_strdup_printf ("“%s” of %s", key, what);

  if (value == NULL)
    {
      if (required)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "%s has no “%s” (a mapping with ja: and en:)", what, key);
      return TRUE;
    }
  if (!expect_mapping (ctx, value, where, error)
      || !check_keys (ctx, value, where, text_keys, error)
      || !get_string (ctx, value, "ja", where, TRUE, &out->ja, error)
      || !get_string (ctx, value, "en", where, TRUE, &out->en, error))
    return FALSE;
  return TRUE;
}

/* ---- the parts ------------------------------------------------------------------ */

static gboolean
is_identifier (const char *text)
{
  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
parse_networks (Ctx          *ctx,
                yaml_node_t  *seq,
                GError      **error)
{
  if (!expect_sequence (ctx, seq, "networks", error))
    return FALSE;
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
    {
      yaml_node_t *map = node_at (ctx, *i);
      MsScenarioNetwork *net;
      guint64 latency_ms = 0;
      yaml_node_t *value;

      if (!expect_mapping (ctx, map, "a network", error)
          || !check_keys (ctx, map, "network", network_keys, error))
        return FALSE;
      net = g_new0 (MsScenarioNetwork, 1);
      net->mark = mark_of (map);
      g_ptr_array_add (ctx->scenario->networks, net);
      if (!get_string (ctx, map, "name", "a network", TRUE, &net->name, error)
          || !get_word_setting (ctx, map, "kind", network_kinds, &net->kind, error)
          || !get_strv (ctx, map, "cidr", &net->cidrs, error)
          || !get_uint (ctx, map, "latency_ms", 10000, &latency_ms, error))
        return FALSE;
      net->latency_us = latency_ms * 1000;
      if (!is_identifier (net->name))
        return fail_at (ctx, lookup (ctx, map, "name"), error, MS_SCENARIO_ERROR_INVALID,
                        "a network name is letters, digits, “-”, “_” and “.”, not “%s”",
                        net->name);
      if (net->kind == NULL)
        {
          g_autofree char *list = join_list (network_kinds);
          return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                          "network “%s” has no “kind”; expected one of: %s", net->name, list);
        }
      if (net->cidrs == NULL || net->cidrs[0] == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "network “%s” has no “cidr” (e.g. 192.0.2.0/24)", net->name);
      value = lookup (ctx, map, "cidr");
      for (guint k = 0; net->cidrs[k] != NULL; k++)
        {
          g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string (net->cidrs[k], NULL);
          if (mask == NULL || strchr (net->cidrs[k], '/') == NULL)
            return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                            "“%s” is not a network in CIDR form (e.g. 192.0.2.0/24)",
                            net->cidrs[k]);
        }
      for (guint k = 0; k + 1 < ctx->scenario->networks->len; k++)
        if (strcmp (((MsScenarioNetwork *) ctx->scenario->networks->pdata[k])->name, net->name) == 0)
          return fail_at (ctx, map, error, MS_SCENARIO_ERROR_INVALID,
                          "network “%s” is defined twice", net->name);
    }
  return TRUE;
}

static MsScenarioNetwork *
find_network (MsScenario *self,
              const char *name)
{
  for (guint i = 0; i < self->networks->len; i++)
    {
      MsScenarioNetwork *net = self->networks->pdata[i];
      if (strcmp (net->name, name) == 0)
        return net;
    }
  return NULL;
}

static gboolean
network_contains (MsScenarioNetwork *net,
                  const char        *address)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (address);

  if (addr == NULL)
    return FALSE;
  for (guint k = 0; net->cidrs[k] != NULL; k++)
    {
      g_autoptr(GInetAddressMask) mask = g_inet_address_mask_new_from_string (net->cidrs[k], NULL);
      if (mask != NULL && g_inet_address_mask_matches (mask, addr))
        return TRUE;
    }
  return FALSE;
}

static gboolean
parse_filters (Ctx            *ctx,
               MsScenarioNode *node,
               yaml_node_t    *seq,
               GError        **error)
{
  static const char *const protocols[] = { "tcp", "udp", "any", NULL };
  static const char *const actions[] = { "drop", "accept", NULL };

  if (!expect_sequence (ctx, seq, "filters", error))
    return FALSE;
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
    {
      yaml_node_t *map = node_at (ctx, *i);
      MsScenarioFilter *filter;
      guint64 port = 0;

      if (!expect_mapping (ctx, map, "a filter rule", error)
          || !check_keys (ctx, map, "filter rule", filter_keys, error))
        return FALSE;
      filter = g_new0 (MsScenarioFilter, 1);
      filter->mark = mark_of (map);
      g_ptr_array_add (node->filters, filter);
      if (!get_string (ctx, map, "name", "a filter rule", FALSE, &filter->name, error)
          || !get_word_setting (ctx, map, "protocol", protocols, &filter->protocol, error)
          || !get_string (ctx, map, "from", "a filter rule", FALSE, &filter->from, error)
          || !get_string (ctx, map, "to", "a filter rule", FALSE, &filter->to, error)
          || !get_uint (ctx, map, "port", 65535, &port, error)
          || !get_strv (ctx, map, "except", &filter->except, error)
          || !get_word_setting (ctx, map, "action", actions, &filter->action, error)
          || !get_string (ctx, map, "reason", "a filter rule", FALSE, &filter->reason, error)
          || !get_bool_setting (ctx, map, "enabled", &filter->enabled, error))
        return FALSE;
      filter->port = (guint) port;
      if (filter->action == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "filter rule has no “action”; expected drop or accept");
      if (filter->protocol == NULL)
        filter->protocol = g_strdup ("any");
      if (filter->enabled == NULL)
        filter->enabled = g_strdup ("true");
    }
  return TRUE;
}

static const char *const nat_keys[] = { "inside", "outside", NULL };

/* nat: {inside: NETWORK-OR-CIDR, outside: NETWORK}, or a list of them */
static gboolean
parse_nat (Ctx            *ctx,
           MsScenarioNode *node,
           yaml_node_t    *value,
           GError        **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  if (value->type == YAML_SEQUENCE_NODE)
    for (yaml_node_item_t *i = value->data.sequence.items.start; i < value->data.sequence.items.top; i++)
      g_ptr_array_add (items, node_at (ctx, *i));
  else
    g_ptr_array_add (items, value);
  for (guint k = 0; k < items->len; k++)
    {
      yaml_node_t *map = items->pdata[k];
      MsScenarioNat *nat;

      if (!expect_mapping (ctx, map, "nat (inside: network or CIDR, outside: network)", error)
          || !check_keys (ctx, map, "nat", nat_keys, error))
        return FALSE;
      nat = g_new0 (MsScenarioNat, 1);
      nat->mark = mark_of (map);
      g_ptr_array_add (node->nat, nat);
      if (!get_string (ctx, map, "inside", "nat", TRUE, &nat->inside, error)
          || !get_string (ctx, map, "outside", "nat", TRUE, &nat->outside, error))
        return FALSE;
      if (find_network (ctx->scenario, nat->outside) == NULL)
        return fail_at (ctx, lookup (ctx, map, "outside"), error, MS_SCENARIO_ERROR_INVALID,
                        "nat of “%s”: “%s” is not a network", node->name, nat->outside);
    }
  return TRUE;
}

/* transport: {DOMAIN: NEXT_HOP} with NEXT_HOP "host", "host:port" or "[address]:port"
 * (Postfix transport(5) and relayhost syntax); DOMAIN "*" for all non-local mail. */
static gboolean
parse_transport (Ctx            *ctx,
                 MsScenarioNode *node,
                 yaml_node_t    *value,
                 GError        **error)
{
  if (!expect_mapping (ctx, value, "transport", error))
    return FALSE;
  for (yaml_node_pair_t *p = value->data.mapping.pairs.start; p < value->data.mapping.pairs.top; p++)
    {
      yaml_node_t *key = node_at (ctx, p->key);
      yaml_node_t *val = node_at (ctx, p->value);
      const char *text, *colon = NULL;
      g_autofree char *host = NULL;
      guint64 port = 25;
      MsScenarioRoute *route;

      if (key->type != YAML_SCALAR_NODE || val->type != YAML_SCALAR_NODE)
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected “domain: next-hop” in transport (the next hop a node "
                        "name, a host name or an address, optionally with “:port”)");
      text = (const char *) val->data.scalar.value;
      if (text[0] == '[')
        {
          const char *end = strchr (text, ']');

          if (end == NULL || (end[1] != '\0' && end[1] != ':'))
            return fail_at (ctx, val, error, MS_SCENARIO_ERROR_SYNTAX,
                            "expected “[address]” or “[address]:port”, not “%s”", text);
          host = g_strndup (text + 1, (gsize) (end - text - 1));
          colon = end[1] == ':' ? end + 1 : NULL;
        }
      else
        {
          colon = strchr (text, ':');
          if (colon != NULL && strchr (colon + 1, ':') != NULL)
            colon = NULL;  /* a bare IPv6 address */
          host = colon != NULL ? g_strndup (text, (gsize) (colon - text)) : g_strdup (text);
        }
      if (colon != NULL
          && (!g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL)))
        return fail_at (ctx, val, error, MS_SCENARIO_ERROR_INVALID,
                        "“%s” is not a port number (1-65535) in transport", colon + 1);
      if (host[0] == '\0')
        return fail_at (ctx, val, error, MS_SCENARIO_ERROR_INVALID,
                        "transport for “%s” names no next hop", (const char *) key->data.scalar.value);
      route = g_new0 (MsScenarioRoute, 1);
      route->domain = g_strdup ((const char *) key->data.scalar.value);
      route->next_hop = g_steal_pointer (&host);
      route->port = (guint) port;
      route->mark = mark_of (val);
      g_ptr_array_add (node->transport, route);
    }
  return TRUE;
}

static gboolean
parse_node (Ctx          *ctx,
            yaml_node_t  *map,
            GError      **error)
{
  static const char *const auth_words[] = { "required", "optional", "none", NULL };
  static const char *const spf_words[] = { "off", "mark", "reject", NULL };
  MsScenarioNode *node;
  yaml_node_t *value;
  g_auto(GStrv) roles = NULL;

  if (!expect_mapping (ctx, map, "a node", error)
      || !check_keys (ctx, map, "node", node_keys, error))
    return FALSE;
  node = g_new0 (MsScenarioNode, 1);
  node->mark = mark_of (map);
  node->addresses = g_ptr_array_new_with_free_func (address_free);
  node->filters = g_ptr_array_new_with_free_func (filter_free);
  node->transport = g_ptr_array_new_with_free_func (route_free);
  node->nat = g_ptr_array_new_with_free_func (nat_free);
  g_ptr_array_add (ctx->scenario->nodes, node);

  if (!get_string (ctx, map, "name", "a node", TRUE, &node->name, error)
      || !get_string (ctx, map, "hostname", "a node", FALSE, &node->hostname, error)
      || !get_strv (ctx, map, "roles", &roles, error)
      || !get_strv (ctx, map, "domains", &node->domains, error)
      || !get_strv (ctx, map, "trusted_networks", &node->trusted_networks, error)
      || !get_word_setting (ctx, map, "submission_auth", auth_words, &node->submission_auth, error)
      || !get_word_setting (ctx, map, "spf", spf_words, &node->spf, error)
      || !get_word_setting (ctx, map, "dkim", spf_words, &node->dkim, error)
      || !get_string (ctx, map, "dkim_selector", "a node", FALSE, &node->dkim_selector, error)
      || !get_string (ctx, map, "dkim_key", "a node", FALSE, &node->dkim_key, error)
      || !get_string (ctx, map, "list_tag", "a node", FALSE, &node->list_tag, error)
      || !get_string (ctx, map, "pop_before_smtp", "a node", FALSE, &node->pop_before_smtp, error)
      || !get_string (ctx, map, "fail_first", "a node", FALSE, &node->fail_first, error)
      || !get_string (ctx, map, "fail_count", "a node", FALSE, &node->fail_count, error)
      || !get_string (ctx, map, "resolver", "a node", FALSE, &node->resolver, error)
      || !get_string (ctx, map, "mail_server", "a node", FALSE, &node->mail_server, error)
      || !get_strv (ctx, map, "smime_keys", &node->smime_keys, error))
    return FALSE;
  if (!is_identifier (node->name))
    return fail_at (ctx, lookup (ctx, map, "name"), error, MS_SCENARIO_ERROR_INVALID,
                    "a node name is letters, digits, “-”, “_” and “.”, not “%s”", node->name);
  for (guint k = 0; k + 1 < ctx->scenario->nodes->len; k++)
    if (strcmp (((MsScenarioNode *) ctx->scenario->nodes->pdata[k])->name, node->name) == 0)
      return fail_at (ctx, map, error, MS_SCENARIO_ERROR_INVALID,
                      "node “%s” is defined twice", node->name);

  value = lookup (ctx, map, "roles");
  if (roles == NULL || roles[0] == NULL)
    {
      g_autofree char *list = join_list (role_names);
      return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                      "node “%s” has no “roles”; expected some of: %s", node->name, list);
    }
  for (guint k = 0; roles[k] != NULL; k++)
    {
      guint bit = 0;
      for (guint r = 0; role_names[r] != NULL; r++)
        if (strcmp (roles[k], role_names[r]) == 0)
          bit = 1u << r;
      if (bit == 0)
        {
          g_autofree char *list = join_list (role_names);
          return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                          "unknown role “%s” for node “%s”; expected one of: %s",
                          roles[k], node->name, list);
        }
      node->roles |= bit;
    }

  /* addresses: {network: address or [addresses]} */
  value = lookup (ctx, map, "addresses");
  if (value == NULL)
    return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                    "node “%s” has no “addresses” (network: address)", node->name);
  if (!expect_mapping (ctx, value, "addresses", error))
    return FALSE;
  for (yaml_node_pair_t *p = value->data.mapping.pairs.start; p < value->data.mapping.pairs.top; p++)
    {
      yaml_node_t *key = node_at (ctx, p->key);
      yaml_node_t *val = node_at (ctx, p->value);
      const char *net_name;
      MsScenarioNetwork *net;
      g_autoptr(GPtrArray) items = g_ptr_array_new ();

      if (key->type != YAML_SCALAR_NODE)
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a network name as the key in addresses");
      net_name = (const char *) key->data.scalar.value;
      net = find_network (ctx->scenario, net_name);
      if (net == NULL)
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_INVALID,
                        "node “%s” is in network “%s”, which “networks” does not define",
                        node->name, net_name);
      if (val->type == YAML_SCALAR_NODE)
        g_ptr_array_add (items, val);
      else if (val->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *i = val->data.sequence.items.start; i < val->data.sequence.items.top; i++)
          g_ptr_array_add (items, node_at (ctx, *i));
      else
        return fail_at (ctx, val, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected an address or a list of addresses for network “%s”", net_name);
      for (guint k = 0; k < items->len; k++)
        {
          yaml_node_t *item = items->pdata[k];
          MsScenarioAddress *addr;
          const char *text;

          if (item->type != YAML_SCALAR_NODE)
            return fail_at (ctx, item, error, MS_SCENARIO_ERROR_SYNTAX, "expected an address");
          text = (const char *) item->data.scalar.value;
          if (!g_hostname_is_ip_address (text) || strchr (text, '/') != NULL)
            return fail_at (ctx, item, error, MS_SCENARIO_ERROR_INVALID,
                            "“%s” is not an IPv4 or IPv6 address", text);
          if (!network_contains (net, text))
            return fail_at (ctx, item, error, MS_SCENARIO_ERROR_INVALID,
                            "address %s is outside network “%s” (%s)", text, net_name,
                            net->cidrs[0]);
          addr = g_new0 (MsScenarioAddress, 1);
          addr->network = g_strdup (net_name);
          addr->address = g_strdup (text);
          addr->mark = mark_of (item);
          g_ptr_array_add (node->addresses, addr);
        }
    }

  value = lookup (ctx, map, "filters");
  if (value != NULL)
    {
      if ((node->roles & MS_SCENARIO_ROLE_ROUTER) == 0)
        return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                        "node “%s” has “filters” but not the role router", node->name);
      if (!parse_filters (ctx, node, value, error))
        return FALSE;
    }
  value = lookup (ctx, map, "nat");
  if (value != NULL)
    {
      if ((node->roles & MS_SCENARIO_ROLE_ROUTER) == 0)
        return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                        "node “%s” has “nat” but not the role router", node->name);
      if (!parse_nat (ctx, node, value, error))
        return FALSE;
    }
  value = lookup (ctx, map, "transport");
  if (value != NULL)
    {
      if ((node->roles & MS_SCENARIO_ROLE_MTA) == 0)
        return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                        "node “%s” has “transport” but not the role mta", node->name);
      if (!parse_transport (ctx, node, value, error))
        return FALSE;
    }
  if (node->hostname == NULL)
    node->hostname = g_strdup (node->name);
  return TRUE;
}

static gboolean
parse_users (Ctx          *ctx,
             yaml_node_t  *seq,
             GError      **error)
{
  if (!expect_sequence (ctx, seq, "users", error))
    return FALSE;
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
    {
      yaml_node_t *map = node_at (ctx, *i);
      MsScenarioUser *user;

      if (!expect_mapping (ctx, map, "a user", error)
          || !check_keys (ctx, map, "user", user_keys, error))
        return FALSE;
      user = g_new0 (MsScenarioUser, 1);
      user->mark = mark_of (map);
      g_ptr_array_add (ctx->scenario->users, user);
      if (!get_string (ctx, map, "address", "a user", TRUE, &user->address, error)
          || !get_string (ctx, map, "password", "a user", TRUE, &user->password, error)
          || !get_string (ctx, map, "mailbox", "a user", TRUE, &user->mailbox, error))
        return FALSE;
      if (strchr (user->address, '@') == NULL)
        return fail_at (ctx, lookup (ctx, map, "address"), error, MS_SCENARIO_ERROR_INVALID,
                        "a user address is local@domain, not “%s”", user->address);
      if (ms_scenario_find_node (ctx->scenario, user->mailbox) == NULL)
        return fail_at (ctx, lookup (ctx, map, "mailbox"), error, MS_SCENARIO_ERROR_INVALID,
                        "user %s has the mailbox host “%s”, which is not a node",
                        user->address, user->mailbox);
    }
  return TRUE;
}

static gboolean
parse_switches (Ctx          *ctx,
                yaml_node_t  *map,
                GError      **error)
{
  if (!expect_mapping (ctx, map, "switches", error))
    return FALSE;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      yaml_node_t *key = node_at (ctx, p->key);
      yaml_node_t *val = node_at (ctx, p->value);
      MsScenarioSwitch *sw;
      gboolean b;

      if (key->type != YAML_SCALAR_NODE || !is_identifier ((const char *) key->data.scalar.value))
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a switch name (letters, digits, “-”, “_”)");
      if (val->type != YAML_SCALAR_NODE)
        return fail_at (ctx, val, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a default value (true, false or text) for switch “%s”",
                        key->data.scalar.value);
      if (ms_scenario_find_switch (ctx->scenario, (const char *) key->data.scalar.value) != NULL)
        return fail_at (ctx, key, error, MS_SCENARIO_ERROR_SYNTAX,
                        "switch “%s” given twice", key->data.scalar.value);
      sw = g_new0 (MsScenarioSwitch, 1);
      sw->mark = mark_of (key);
      sw->name = g_strdup ((const char *) key->data.scalar.value);
      sw->value = g_strdup ((const char *) val->data.scalar.value);
      /* only plain true/false are booleans: a quoted "true" is text */
      sw->is_bool = val->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
                    && parse_bool_word (sw->value, &b) && !g_ascii_isdigit (sw->value[0]);
      if (sw->is_bool)
        {
          g_free (sw->value);
          sw->value = g_strdup (b ? "true" : "false");
        }
      g_ptr_array_add (ctx->scenario->switches, sw);
    }
  return TRUE;
}

static gboolean
parse_dns (Ctx          *ctx,
           yaml_node_t  *seq,
           GError      **error)
{
  if (!expect_sequence (ctx, seq, "dns", error))
    return FALSE;
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
    {
      yaml_node_t *item = node_at (ctx, *i);
      MsScenarioMark *mark;
      g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
      g_autoptr(GError) local = NULL;
      g_autofree char *line = NULL;

      if (item->type != YAML_SCALAR_NODE)
        return fail_at (ctx, item, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a DNS record as text: “name TYPE value”");
      /* checked now with the switches' defaults, again at run time with their values */
      line = ms_scenario_expand (ctx->scenario, (const char *) item->data.scalar.value);
      if (!ms_dns_zone_load_data (zone, line, -1, "", &local))
        {
          /* the zone reports ":1:COL: what"; keep the what, point at the YAML value */
          const char *what = local->message;
          for (guint colons = 0; *what && colons < 3; what++)
            if (*what == ':')
              colons++;
          while (*what == ' ')
            what++;
          return fail_at (ctx, item, error, MS_SCENARIO_ERROR_INVALID,
                          "bad DNS record “%s”: %s", line, what);
        }
      if (ms_dns_zone_get_n_records (zone) == 0)
        return fail_at (ctx, item, error, MS_SCENARIO_ERROR_INVALID,
                        "expected a DNS record “name TYPE value”, not an empty line");
      g_ptr_array_add (ctx->scenario->dns, g_strdup ((const char *) item->data.scalar.value));
      mark = g_new (MsScenarioMark, 1);
      *mark = mark_of (item);
      g_ptr_array_add (ctx->scenario->dns_marks, mark);
    }
  return TRUE;
}

static gboolean
parse_quiz (Ctx             *ctx,
            yaml_node_t     *map,
            MsScenarioQuiz **out,
            GError         **error)
{
  MsScenarioQuiz *quiz;
  yaml_node_t *value;
  yaml_node_t *choices;
  guint64 answer = 0;

  if (!expect_mapping (ctx, map, "quiz", error)
      || !check_keys (ctx, map, "quiz", quiz_keys, error))
    return FALSE;
  quiz = g_new0 (MsScenarioQuiz, 1);
  *out = quiz;
  if (!get_text (ctx, map, "question", "quiz", TRUE, &quiz->question, error)
      || !require (ctx, map, "answer", "quiz", &value, error)
      || !parse_uint (ctx, value, "answer", G_MAXUINT, &answer, error)
      || !get_text (ctx, map, "explanation", "quiz", TRUE, &quiz->explanation, error))
    return FALSE;
  choices = lookup (ctx, map, "choices");
  if (choices == NULL || choices->type != YAML_SEQUENCE_NODE
      || choices->data.sequence.items.top - choices->data.sequence.items.start < 2)
    return fail_at (ctx, choices != NULL ? choices : map, error, MS_SCENARIO_ERROR_SYNTAX,
                    "quiz needs “choices”, a list of at least two answers");
  quiz->n_choices = (guint) (choices->data.sequence.items.top - choices->data.sequence.items.start);
  quiz->choices = g_new0 (MsScenarioText, quiz->n_choices);
  for (guint i = 0; i < quiz->n_choices; i++)
    {
      yaml_node_t *item = node_at (ctx, choices->data.sequence.items.start[i]);

      if (item->type == YAML_SCALAR_NODE)
        {
          quiz->choices[i].ja = g_strdup ((const char *) item->data.scalar.value);
          quiz->choices[i].en = g_strdup ((const char *) item->data.scalar.value);
        }
      else if (item->type == YAML_MAPPING_NODE)
        {
          if (!check_keys (ctx, item, "a quiz choice", text_keys, error)
              || !get_string (ctx, item, "ja", "a quiz choice", TRUE, &quiz->choices[i].ja, error)
              || !get_string (ctx, item, "en", "a quiz choice", TRUE, &quiz->choices[i].en, error))
            return FALSE;
        }
      else
        return fail_at (ctx, item, error, MS_SCENARIO_ERROR_SYNTAX,
                        "expected a choice as text or as {ja: ..., en: ...}");
    }
  if (answer >= quiz->n_choices)
    return fail_at (ctx, value, error, MS_SCENARIO_ERROR_INVALID,
                    "quiz answer %" G_GUINT64_FORMAT " is not a choice; expected 0 to %u "
                    "(counted from 0)", answer, quiz->n_choices - 1);
  quiz->answer = (guint) answer;
  return TRUE;
}

static gboolean
check_user_ref (Ctx          *ctx,
                yaml_node_t  *map,
                const char   *key,
                const char   *address,
                GError      **error)
{
  if (address != NULL && ms_scenario_find_user (ctx->scenario, address) == NULL)
    return fail_at (ctx, lookup (ctx, map, key), error, MS_SCENARIO_ERROR_INVALID,
                    "“%s” is not one of the scenario's users", address);
  return TRUE;
}

static gboolean
check_node_ref (Ctx          *ctx,
                yaml_node_t  *map,
                const char   *key,
                const char   *name,
                GError      **error)
{
  if (name != NULL && ms_scenario_find_node (ctx->scenario, name) == NULL)
    return fail_at (ctx, lookup (ctx, map, key), error, MS_SCENARIO_ERROR_INVALID,
                    "“%s” is not one of the scenario's nodes", name);
  return TRUE;
}

/* via: webmail: a browser on the device, a node with the webmail role in between (the
 * one named by server, or the scenario's first); its form takes plain UTF-8 text. */
static gboolean
check_webmail_step (Ctx             *ctx,
                    yaml_node_t     *map,
                    MsScenarioStep  *step,
                    GError         **error)
{
  MsScenarioNode *server = step->server != NULL
    ? ms_scenario_find_node (ctx->scenario, step->server) : NULL;
  gboolean any = FALSE;

  for (guint i = 0; i < ctx->scenario->nodes->len; i++)
    any |= (((MsScenarioNode *) ctx->scenario->nodes->pdata[i])->roles
            & MS_SCENARIO_ROLE_WEBMAIL) != 0;
  if (!any)
    return fail_at (ctx, lookup (ctx, map, "via"), error, MS_SCENARIO_ERROR_INVALID,
                    "via webmail needs a node with the role webmail");
  if (server != NULL && (server->roles & MS_SCENARIO_ROLE_WEBMAIL) == 0)
    return fail_at (ctx, lookup (ctx, map, "server"), error, MS_SCENARIO_ERROR_INVALID,
                    "with via webmail, server names the webmail node; “%s” has no webmail role",
                    step->server);
  if (step->action != MS_SCENARIO_STEP_SEND && step->action != MS_SCENARIO_STEP_FETCH)
    return fail_at (ctx, lookup (ctx, map, "via"), error, MS_SCENARIO_ERROR_INVALID,
                    "via webmail applies to send and fetch steps only");
  if (step->protocol != NULL && strcmp (step->protocol, "imap") != 0)
    return fail_at (ctx, lookup (ctx, map, "protocol"), error, MS_SCENARIO_ERROR_INVALID,
                    "the webmail server reads the mailbox with imap, not “%s”", step->protocol);
  if (step->attachments != NULL || step->charset != NULL || step->envelope_from != NULL
      || step->from != NULL || step->port != 0 || step->keep || step->misread_as != NULL
      || step->auth != NULL)
    return fail_at (ctx, map, error, MS_SCENARIO_ERROR_INVALID,
                    "via webmail takes user, to, cc, bcc, subject and body only (no from, "
                    "envelope_from, charset, attachments, port, auth, keep, misread_as)");
  return TRUE;
}

/* Which keys each action takes besides action/narration/quiz */
static const char *const *
action_keys (MsScenarioStepAction action)
{
  static const char *const send[] = {
    "device", "user", "from", "envelope_from", "to", "cc", "bcc", "subject", "body", "charset",
    "attachments", "via", "server", "port", "auth", "smime", NULL
  };
  static const char *const fetch[] = {
    "device", "user", "protocol", "server", "port", "keep", "misread_as", "via", NULL
  };
  static const char *const imap[] = { "device", "user", "server", "port", "commands", NULL };
  static const char *const smtp[] = { "device", "user", "server", "port", "commands", NULL };
  static const char *const reply[] = { "device", "user", "message", "body", "via", "server", "port", "auth", NULL };
  static const char *const wait[] = { "seconds", NULL };
  static const char *const set[] = { "switch", "value", NULL };

  switch (action)
    {
    case MS_SCENARIO_STEP_SEND: return send;
    case MS_SCENARIO_STEP_FETCH: return fetch;
    case MS_SCENARIO_STEP_IMAP: return imap;
    case MS_SCENARIO_STEP_SMTP: return smtp;
    case MS_SCENARIO_STEP_REPLY: return reply;
    case MS_SCENARIO_STEP_WAIT: return wait;
    case MS_SCENARIO_STEP_SET: return set;
    default: g_assert_not_reached ();
    }
}

static gboolean
parse_step (Ctx          *ctx,
            yaml_node_t  *map,
            GError      **error)
{
  static const char *const via_words[] = { "submission", "direct", "webmail", NULL };
  static const char *const protocol_words[] = { "pop3", "imap", NULL };
  static const char *const charset_words[] = { "utf-8", "iso-2022-jp", NULL };
  static const char *const smime_words[] = { "sign", "encrypt", "sign+encrypt", NULL };
  static const char *const misread_words[] = {
    "iso-8859-1", "windows-1252", "shift_jis", "euc-jp", "utf-8", "us-ascii", NULL
  };
  static const char *const common[] = { "action", "narration", "quiz", NULL };
  MsScenarioStep *step;
  g_autofree char *action = NULL;
  const char *const *keys;
  yaml_node_t *value;
  guint64 n = 0;

  if (!expect_mapping (ctx, map, "a step", error)
      || !check_keys (ctx, map, "step", step_keys, error)
      || !get_string (ctx, map, "action", "a step", TRUE, &action, error))
    return FALSE;
  if (!in_list (action, step_actions))
    {
      g_autofree char *list = join_list (step_actions);
      return fail_at (ctx, lookup (ctx, map, "action"), error, MS_SCENARIO_ERROR_INVALID,
                      "unknown action “%s”; expected one of: %s", action, list);
    }
  step = g_new0 (MsScenarioStep, 1);
  step->mark = mark_of (map);
  g_ptr_array_add (ctx->scenario->steps, step);
  for (guint k = 0; step_actions[k] != NULL; k++)
    if (strcmp (action, step_actions[k]) == 0)
      step->action = (MsScenarioStepAction) k;

  /* a key that belongs to another action is a mistake worth naming */
  keys = action_keys (step->action);
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
    {
      const char *name = (const char *) node_at (ctx, p->key)->data.scalar.value;
      if (!in_list (name, common) && !in_list (name, keys))
        {
          g_autofree char *list = join_list (keys);
          return fail_at (ctx, node_at (ctx, p->key), error, MS_SCENARIO_ERROR_SYNTAX,
                          "key “%s” does not apply to a %s step; expected one of: "
                          "action, narration, quiz, %s", name, action, list);
        }
    }

  if (!get_text (ctx, map, "narration", "step", TRUE, &step->narration, error))
    return FALSE;
  value = lookup (ctx, map, "quiz");
  if (value != NULL && !parse_quiz (ctx, value, &step->quiz, error))
    return FALSE;

  if (!get_string (ctx, map, "device", "a step", FALSE, &step->device, error)
      || !get_string (ctx, map, "user", "a step", FALSE, &step->user, error)
      || !get_string (ctx, map, "from", "a step", FALSE, &step->from, error)
      || !get_string (ctx, map, "envelope_from", "a step", FALSE, &step->envelope_from, error)
      || !get_strv (ctx, map, "to", &step->to, error)
      || !get_strv (ctx, map, "cc", &step->cc, error)
      || !get_strv (ctx, map, "bcc", &step->bcc, error)
      || !get_string (ctx, map, "subject", "a step", FALSE, &step->subject, error)
      || !get_string (ctx, map, "body", "a step", FALSE, &step->body, error)
      || !get_word_setting (ctx, map, "charset", charset_words, &step->charset, error)
      || !get_word_setting (ctx, map, "smime", smime_words, &step->smime, error)
      || !get_word_setting (ctx, map, "via", via_words, &step->via, error)
      || !get_string (ctx, map, "server", "a step", FALSE, &step->server, error)
      || !get_uint (ctx, map, "port", 65535, &n, error)
      || !get_bool_setting (ctx, map, "auth", &step->auth, error)
      || !get_word_setting (ctx, map, "protocol", protocol_words, &step->protocol, error)
      || !get_bool (ctx, map, "keep", &step->keep, error)
      || !get_word_setting (ctx, map, "misread_as", misread_words, &step->misread_as, error)
      || !get_strv (ctx, map, "commands", &step->commands, error)
      || !get_string (ctx, map, "message", "a step", FALSE, &step->message, error)
      || !get_string (ctx, map, "switch", "a step", FALSE, &step->switch_name, error)
      || !get_string (ctx, map, "value", "a step", FALSE, &step->value, error))
    return FALSE;
  step->port = (guint) n;
  n = 0;
  if (!get_uint (ctx, map, "seconds", MS_SCENARIO_MAX_WAIT_S, &n, error))
    return FALSE;
  step->seconds = n;

  if (!check_node_ref (ctx, map, "device", step->device, error)
      || !check_node_ref (ctx, map, "server", step->server, error)
      || !check_user_ref (ctx, map, "user", step->user, error))
    return FALSE;
  if (step->device != NULL
      && (ms_scenario_find_node (ctx->scenario, step->device)->roles & MS_SCENARIO_ROLE_MUA) == 0)
    return fail_at (ctx, lookup (ctx, map, "device"), error, MS_SCENARIO_ERROR_INVALID,
                    "device “%s” is not a node with the role mua", step->device);

  value = lookup (ctx, map, "attachments");
  if (value != NULL)
    {
      if (!expect_sequence (ctx, value, "attachments", error))
        return FALSE;
      step->attachments = g_ptr_array_new_with_free_func (attachment_free);
      for (yaml_node_item_t *i = value->data.sequence.items.start; i < value->data.sequence.items.top; i++)
        {
          yaml_node_t *att_map = node_at (ctx, *i);
          MsScenarioAttachment *att;

          if (!expect_mapping (ctx, att_map, "an attachment", error)
              || !check_keys (ctx, att_map, "attachment", attachment_keys, error))
            return FALSE;
          att = g_new0 (MsScenarioAttachment, 1);
          g_ptr_array_add (step->attachments, att);
          if (!get_string (ctx, att_map, "filename", "an attachment", TRUE, &att->filename, error)
              || !get_string (ctx, att_map, "content_type", "an attachment", TRUE,
                              &att->content_type, error)
              || !get_string (ctx, att_map, "content", "an attachment", TRUE, &att->content, error))
            return FALSE;
        }
    }

  if (g_strcmp0 (step->via, "webmail") == 0 && !check_webmail_step (ctx, map, step, error))
    return FALSE;

  switch (step->action)
    {
    case MS_SCENARIO_STEP_SEND:
      if (step->user == NULL || step->device == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a send step needs “user” (the sender) and “device” (the MUA node)");
      if (step->to == NULL && step->cc == NULL && step->bcc == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a send step needs at least one of “to”, “cc”, “bcc”");
      break;
    case MS_SCENARIO_STEP_FETCH:
      /* through webmail the browser speaks HTTPS; the webmail server uses IMAP */
      if (step->protocol == NULL && g_strcmp0 (step->via, "webmail") == 0)
        step->protocol = g_strdup ("imap");
      if (step->user == NULL || step->device == NULL || step->protocol == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a fetch step needs “user”, “device” and “protocol” (pop3 or imap)");
      break;
    case MS_SCENARIO_STEP_IMAP:
    case MS_SCENARIO_STEP_SMTP:
      if (step->device == NULL || step->commands == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a %s step needs “device” and “commands” (the lines typed)", action);
      if (step->action == MS_SCENARIO_STEP_IMAP && step->user == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "an imap step needs “user” (who logs in)");
      if (step->action == MS_SCENARIO_STEP_SMTP && step->server == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "an smtp step needs “server” (the node connected to)");
      break;
    case MS_SCENARIO_STEP_REPLY:
      if (step->user == NULL || step->device == NULL || step->message == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a reply step needs “user”, “device” and “message” (the subject "
                        "of the message replied to)");
      break;
    case MS_SCENARIO_STEP_WAIT:
      if (lookup (ctx, map, "seconds") == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX, "a wait step needs “seconds”");
      break;
    case MS_SCENARIO_STEP_SET:
      {
        MsScenarioSwitch *sw;

        if (step->switch_name == NULL || step->value == NULL)
          return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                          "a set step needs “switch” and “value”");
        sw = ms_scenario_find_switch (ctx->scenario, step->switch_name);
        if (sw == NULL)
          return fail_at (ctx, lookup (ctx, map, "switch"), error, MS_SCENARIO_ERROR_INVALID,
                          "“%s” is not one of the scenario's switches", step->switch_name);
        if (sw->is_bool)
          {
            gboolean b;
            if (!parse_bool_word (step->value, &b))
              return fail_at (ctx, lookup (ctx, map, "value"), error, MS_SCENARIO_ERROR_INVALID,
                              "switch “%s” is true or false, not “%s”", sw->name, step->value);
          }
      }
      break;
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

static gboolean
parse_expectation (Ctx          *ctx,
                   yaml_node_t  *map,
                   GError      **error)
{
  MsScenarioExpectation *exp;
  g_autofree char *kind = NULL;
  guint64 n;

  if (!expect_mapping (ctx, map, "an expectation", error)
      || !check_keys (ctx, map, "expectation", expect_keys, error)
      || !get_string (ctx, map, "expect", "an expectation", TRUE, &kind, error))
    return FALSE;
  if (!in_list (kind, expect_kinds))
    {
      g_autofree char *list = join_list (expect_kinds);
      return fail_at (ctx, lookup (ctx, map, "expect"), error, MS_SCENARIO_ERROR_INVALID,
                      "unknown expectation “%s”; expected one of: %s", kind, list);
    }
  exp = g_new0 (MsScenarioExpectation, 1);
  exp->mark = mark_of (map);
  exp->count = -1;
  exp->present = TRUE;
  g_ptr_array_add (ctx->scenario->expectations, exp);
  for (guint k = 0; expect_kinds[k] != NULL; k++)
    if (strcmp (kind, expect_kinds[k]) == 0)
      exp->kind = (MsScenarioExpectKind) k;

  if (!get_string (ctx, map, "text", "an expectation", FALSE, &exp->text, error)
      || !get_string (ctx, map, "node", "an expectation", FALSE, &exp->node, error)
      || !get_string (ctx, map, "command", "an expectation", FALSE, &exp->command, error)
      || !get_string (ctx, map, "reason", "an expectation", FALSE, &exp->reason, error)
      || !get_word_setting (ctx, map, "result",
                            exp->kind == MS_SCENARIO_EXPECT_SMIME ? smime_results : spf_results,
                            &exp->result, error)
      || !get_string (ctx, map, "mailbox", "an expectation", FALSE, &exp->mailbox, error)
      || !get_string (ctx, map, "folder", "an expectation", FALSE, &exp->folder, error)
      || !get_string (ctx, map, "subject", "an expectation", FALSE, &exp->subject, error)
      || !get_string (ctx, map, "header", "an expectation", FALSE, &exp->header, error)
      || !get_string (ctx, map, "contains", "an expectation", FALSE, &exp->contains, error)
      || !get_bool (ctx, map, "present", &exp->present, error))
    return FALSE;
  n = 0;
  if (!get_uint (ctx, map, "code", 599, &n, error))
    return FALSE;
  exp->code = (int) n;
  n = 0;
  if (!get_uint (ctx, map, "session", G_MAXUINT, &n, error))
    return FALSE;
  exp->session = (guint) n;
  if (lookup (ctx, map, "count") != NULL)
    {
      if (!get_uint (ctx, map, "count", 1000, &n, error))
        return FALSE;
      exp->count = (int) n;
    }
  n = 0;
  if (!get_uint (ctx, map, "position", 1000, &n, error))
    return FALSE;
  exp->position = (guint) n;
  if (exp->position > 0 && exp->contains == NULL)
    return fail_at (ctx, lookup (ctx, map, "position"), error, MS_SCENARIO_ERROR_INVALID,
                    "“position” says which occurrence “contains” is about; “contains” is missing");
  if (exp->command != NULL)
    {
      char *up = g_ascii_strup (exp->command, -1);
      g_free (exp->command);
      exp->command = up;
    }
  if (!check_node_ref (ctx, map, "node", exp->node, error)
      || !check_user_ref (ctx, map, "mailbox", exp->mailbox, error))
    return FALSE;

  switch (exp->kind)
    {
    case MS_SCENARIO_EXPECT_REPLY:
      if (exp->code < 200)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a reply expectation needs “code” (an SMTP reply code, 200 to 599)");
      break;
    case MS_SCENARIO_EXPECT_BLOCKED:
      if (exp->node == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a blocked expectation needs “node” (the router)");
      break;
    case MS_SCENARIO_EXPECT_SPF:
      if (exp->node == NULL || exp->result == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "an spf expectation needs “node” and “result”");
      break;
    case MS_SCENARIO_EXPECT_SMIME:
      if (exp->node == NULL || exp->result == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "an smime expectation needs “node” (the receiving device) and “result”");
      break;
    case MS_SCENARIO_EXPECT_DKIM:
      if (exp->node == NULL || exp->result == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a dkim expectation needs “node” and “result”");
      break;
    case MS_SCENARIO_EXPECT_DELIVERED:
      if (exp->mailbox == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a delivered expectation needs “mailbox” (a user address)");
      break;
    case MS_SCENARIO_EXPECT_HEADER:
      if (exp->mailbox == NULL || exp->header == NULL)
        return fail_at (ctx, map, error, MS_SCENARIO_ERROR_SYNTAX,
                        "a header expectation needs “mailbox” and “header”");
      break;
    default:
      g_assert_not_reached ();
    }
  if (exp->folder == NULL)
    exp->folder = g_strdup ("INBOX");
  return TRUE;
}

static gboolean
parse_each (Ctx          *ctx,
            yaml_node_t  *seq,
            const char   *what,
            gboolean    (*parse) (Ctx *, yaml_node_t *, GError **),
            GError      **error)
{
  if (!expect_sequence (ctx, seq, what, error))
    return FALSE;
  for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top; i++)
    if (!parse (ctx, node_at (ctx, *i), error))
      return FALSE;
  return TRUE;
}

/* References between parts, checked once everything is read. */
static gboolean
check_references (Ctx          *ctx,
                  yaml_node_t  *root,
                  GError      **error)
{
  MsScenario *self = ctx->scenario;

  for (guint i = 0; i < self->nodes->len; i++)
    {
      MsScenarioNode *node = self->nodes->pdata[i];
      const char *refs[] = { node->resolver, node->mail_server };
      const char *names[] = { "resolver", "mail_server" };

      for (guint k = 0; k < G_N_ELEMENTS (refs); k++)
        if (refs[k] != NULL && strstr (refs[k], "${") == NULL
            && ms_scenario_find_node (self, refs[k]) == NULL)
          {
            g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                         "%s:%u:%u: node “%s” has %s “%s”, which is not a node", ctx->file,
                         node->mark.line, node->mark.column, node->name, names[k], refs[k]);
            return FALSE;
          }
      if (node->trusted_networks != NULL)
        for (guint k = 0; node->trusted_networks[k] != NULL; k++)
          {
            const char *t = node->trusted_networks[k];
            g_autoptr(GInetAddressMask) mask = NULL;

            if (find_network (self, t) != NULL)
              continue;
            mask = g_inet_address_mask_new_from_string (t, NULL);
            if (mask == NULL)
              {
                g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                             "%s:%u:%u: node “%s” trusts “%s”, which is neither a network "
                             "name nor a CIDR", ctx->file, node->mark.line, node->mark.column,
                             node->name, t);
                return FALSE;
              }
          }
    }
  for (guint i = 0; i < self->steps->len; i++)
    {
      MsScenarioStep *step = self->steps->pdata[i];
      GStrv lists[] = { step->to, step->cc, step->bcc };

      for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
        for (guint j = 0; lists[k] != NULL && lists[k][j] != NULL; j++)
          if (strchr (lists[k][j], '@') == NULL)
            {
              g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                           "%s:%u:%u: recipient “%s” is not an address local@domain",
                           ctx->file, step->mark.line, step->mark.column, lists[k][j]);
              return FALSE;
            }
    }
  if (self->steps->len == 0)
    return fail_at (ctx, root, error, MS_SCENARIO_ERROR_SYNTAX, "the scenario has no “steps”");
  if (self->expectations->len == 0)
    return fail_at (ctx, root, error, MS_SCENARIO_ERROR_SYNTAX,
                    "the scenario has no “expectations”: say what must be seen");
  return TRUE;
}

static gboolean
parse_root (Ctx          *ctx,
            yaml_node_t  *root,
            GError      **error)
{
  MsScenario *self = ctx->scenario;
  yaml_node_t *value;
  guint64 seed = 1;

  if (!expect_mapping (ctx, root, "the scenario", error)
      || !check_keys (ctx, root, "scenario", top_keys, error)
      || !get_string (ctx, root, "id", "the scenario", TRUE, &self->id, error)
      || !get_text (ctx, root, "title", "the scenario", TRUE, &self->title, error)
      || !get_text (ctx, root, "summary", "the scenario", TRUE, &self->summary, error)
      || !get_strv (ctx, root, "exams", &self->exams, error)
      || !get_strv (ctx, root, "topics", &self->topics, error)
      || !get_uint (ctx, root, "seed", G_MAXUINT32, &seed, error))
    return FALSE;
  self->seed = (guint32) seed;
  if (!is_identifier (self->id))
    return fail_at (ctx, lookup (ctx, root, "id"), error, MS_SCENARIO_ERROR_INVALID,
                    "an id is letters, digits, “-”, “_” and “.”, not “%s”", self->id);
  if (self->exams == NULL)
    self->exams = g_new0 (char *, 1);
  if (self->topics == NULL)
    self->topics = g_new0 (char *, 1);

  /* switches first: DNS records are checked with their defaults */
  value = lookup (ctx, root, "switches");
  if (value != NULL && !parse_switches (ctx, value, error))
    return FALSE;
  if (!require (ctx, root, "networks", "the scenario", &value, error)
      || !parse_networks (ctx, value, error)
      || !require (ctx, root, "nodes", "the scenario", &value, error)
      || !parse_each (ctx, value, "nodes", parse_node, error))
    return FALSE;
  value = lookup (ctx, root, "dns");
  if (value != NULL && !parse_dns (ctx, value, error))
    return FALSE;
  value = lookup (ctx, root, "users");
  if (value != NULL && !parse_users (ctx, value, error))
    return FALSE;
  if (!require (ctx, root, "steps", "the scenario", &value, error)
      || !parse_each (ctx, value, "steps", parse_step, error)
      || !require (ctx, root, "expectations", "the scenario", &value, error)
      || !parse_each (ctx, value, "expectations", parse_expectation, error))
    return FALSE;
  return check_references (ctx, root, error);
}

MsScenario *
ms_scenario_load_data (const char  *data,
                       gssize       len,
                       const char  *filename,
                       GError     **error)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  g_autoptr(MsScenario) self = NULL;
  Ctx ctx = { 0 };
  gboolean ok;
  yaml_node_t *root;

  g_return_val_if_fail (data != NULL, NULL);
  if (filename == NULL)
    filename = "<scenario>";
  if (len < 0)
    len = (gssize) strlen (data);
  if (!g_utf8_validate (data, len, NULL))
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_SYNTAX,
                   "%s:1:1: the file is not UTF-8 text", filename);
      return NULL;
    }

  yaml_parser_initialize (&parser);
  yaml_parser_set_input_string (&parser, (const unsigned char *) data, (size_t) len);
  if (!yaml_parser_load (&parser, &doc))
    {
      yaml_mark_t mark = parser.problem != NULL ? parser.problem_mark : parser.context_mark;
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_SYNTAX,
                   "%s:%zu:%zu: not valid YAML: %s%s%s", filename, mark.line + 1,
                   mark.column + 1, parser.problem ? parser.problem : "error",
                   parser.context ? " " : "", parser.context ? parser.context : "");
      yaml_parser_delete (&parser);
      return NULL;
    }
  yaml_parser_delete (&parser);

  self = g_new0 (MsScenario, 1);
  self->filename = g_strdup (filename);
  self->networks = g_ptr_array_new_with_free_func (network_free);
  self->nodes = g_ptr_array_new_with_free_func (node_free);
  self->dns = g_ptr_array_new_with_free_func (g_free);
  self->dns_marks = g_ptr_array_new_with_free_func (g_free);
  self->users = g_ptr_array_new_with_free_func (user_free);
  self->switches = g_ptr_array_new_with_free_func (switch_free);
  self->steps = g_ptr_array_new_with_free_func (step_free);
  self->expectations = g_ptr_array_new_with_free_func (expectation_free);

  ctx.file = filename;
  ctx.doc = &doc;
  ctx.scenario = self;
  root = yaml_document_get_root_node (&doc);
  if (root == NULL)
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_SYNTAX,
                   "%s:1:1: the file is empty; expected a scenario (id:, title:, ...)", filename);
      ok = FALSE;
    }
  else
    ok = parse_root (&ctx, root, error);
  yaml_document_delete (&doc);
  if (!ok)
    return NULL;
  return g_steal_pointer (&self);
}

MsScenario *
ms_scenario_load_file (const char  *path,
                       GError     **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_NOT_FOUND, "%s", local->message);
      return NULL;
    }
  if (len > MS_SCENARIO_MAX_FILE_SIZE)
    {
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                   "%s: larger than %d bytes; a scenario is a short story", path,
                   MS_SCENARIO_MAX_FILE_SIZE);
      return NULL;
    }
  return ms_scenario_load_data (data, (gssize) len, path, error);
}

/* ---- lookups and switches -------------------------------------------------------- */

MsScenarioNode *
ms_scenario_find_node (MsScenario *self,
                       const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  for (guint i = 0; name != NULL && i < self->nodes->len; i++)
    {
      MsScenarioNode *node = self->nodes->pdata[i];
      if (strcmp (node->name, name) == 0)
        return node;
    }
  return NULL;
}

MsScenarioUser *
ms_scenario_find_user (MsScenario *self,
                       const char *address)
{
  g_return_val_if_fail (self != NULL, NULL);
  for (guint i = 0; address != NULL && i < self->users->len; i++)
    {
      MsScenarioUser *user = self->users->pdata[i];
      if (g_ascii_strcasecmp (user->address, address) == 0)
        return user;
    }
  return NULL;
}

MsScenarioSwitch *
ms_scenario_find_switch (MsScenario *self,
                         const char *name)
{
  g_return_val_if_fail (self != NULL, NULL);
  for (guint i = 0; name != NULL && i < self->switches->len; i++)
    {
      MsScenarioSwitch *sw = self->switches->pdata[i];
      if (strcmp (sw->name, name) == 0)
        return sw;
    }
  return NULL;
}

gboolean
ms_scenario_set_switch (MsScenario  *self,
                        const char  *name,
                        const char  *value,
                        GError     **error)
{
  MsScenarioSwitch *sw;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL && value != NULL, FALSE);
  sw = ms_scenario_find_switch (self, name);
  if (sw == NULL)
    {
      g_autoptr(GString) names = g_string_new (NULL);
      for (guint i = 0; i < self->switches->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                ((MsScenarioSwitch *) self->switches->pdata[i])->name);
      g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                   "scenario “%s” has no switch “%s”; its switches are: %s", self->id, name,
                   names->len ? names->str : "(none)");
      return FALSE;
    }
  if (sw->is_bool)
    {
      gboolean b;
      if (!parse_bool_word (value, &b))
        {
          g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_INVALID,
                       "switch “%s” is true or false, not “%s”", name, value);
          return FALSE;
        }
      value = b ? "true" : "false";
    }
  g_free (sw->value);
  sw->value = g_strdup (value);
  return TRUE;
}

char *
ms_scenario_expand (MsScenario *self,
                    const char *text)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);
  if (text == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (const char *p = text; *p; )
    {
      if (p[0] == '$' && p[1] == '$')
        {
          g_string_append_c (out, '$');
          p += 2;
        }
      else if (p[0] == '$' && p[1] == '{' && strchr (p, '}') != NULL)
        {
          const char *end = strchr (p, '}');
          g_autofree char *name = g_strndup (p + 2, end - p - 2);
          MsScenarioSwitch *sw = ms_scenario_find_switch (self, name);

          if (sw != NULL && out->len + strlen (sw->value) < MS_SCENARIO_MAX_EXPAND_SIZE)
            g_string_append (out, sw->value);
          else
            g_string_append_len (out, p, end - p + 1);  /* left as written: visible */
          p = end + 1;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

gboolean
ms_scenario_expand_bool (MsScenario *self,
                         const char *text,
                         gboolean    fallback)
{
  g_autofree char *value = NULL;
  gboolean b;

  if (text == NULL)
    return fallback;
  value = ms_scenario_expand (self, text);
  return parse_bool_word (value, &b) ? b : fallback;
}

const char *
ms_scenario_role_to_string (MsScenarioRole role)
{
  for (guint r = 0; role_names[r] != NULL; r++)
    if (role == (MsScenarioRole) (1u << r))
      return role_names[r];
  return NULL;
}

const char *
ms_scenario_step_action_to_string (MsScenarioStepAction action)
{
  if ((guint) action < G_N_ELEMENTS (step_actions) - 1)
    return step_actions[action];
  return NULL;
}

const char *
ms_scenario_text_get (const MsScenarioText *text,
                      const char           *lang)
{
  g_return_val_if_fail (text != NULL, NULL);
  if (lang != NULL && g_str_has_prefix (lang, "ja"))
    return text->ja != NULL ? text->ja : text->en;
  return text->en != NULL ? text->en : text->ja;
}

char *
ms_scenario_expectation_describe (const MsScenarioExpectation *exp)
{
  GString *s;

  g_return_val_if_fail (exp != NULL, NULL);
  s = g_string_new (NULL);
  switch (exp->kind)
    {
    case MS_SCENARIO_EXPECT_REPLY:
      g_string_append_printf (s, "reply %d %s", exp->code, exp->present ? "seen" : "not seen");
      if (exp->command != NULL)
        g_string_append_printf (s, " to %s", exp->command);
      if (exp->session != 0)
        g_string_append_printf (s, " in session %u", exp->session);
      if (exp->node != NULL)
        g_string_append_printf (s, " from %s", exp->node);
      break;
    case MS_SCENARIO_EXPECT_BLOCKED:
      g_string_append_printf (s, "%s %s a packet", exp->node,
                              exp->present ? "blocks" : "does not block");
      if (exp->reason != NULL)
        g_string_append_printf (s, " (%s)", exp->reason);
      break;
    case MS_SCENARIO_EXPECT_SPF:
      g_string_append_printf (s, "SPF at %s is %s", exp->node, exp->result);
      break;
    case MS_SCENARIO_EXPECT_SMIME:
      g_string_append_printf (s, "S/MIME at %s is %s%s", exp->node, exp->present ? "" : "not ",
                              exp->result);
      if (exp->subject != NULL)
        g_string_append_printf (s, " (message “%s”)", exp->subject);
      break;
    case MS_SCENARIO_EXPECT_DKIM:
      g_string_append_printf (s, "DKIM at %s is %s", exp->node, exp->result);
      break;
    case MS_SCENARIO_EXPECT_DELIVERED:
      g_string_append_printf (s, "a message%s%s%s %s %s/%s",
                              exp->subject ? " “" : "", exp->subject ? exp->subject : "",
                              exp->subject ? "”" : "",
                              exp->present ? "is in" : "is not in", exp->mailbox, exp->folder);
      break;
    case MS_SCENARIO_EXPECT_HEADER:
      g_string_append_printf (s, "%s in %s/%s", exp->header, exp->mailbox, exp->folder);
      if (exp->subject != NULL)
        g_string_append_printf (s, " (message “%s”)", exp->subject);
      if (exp->count >= 0)
        g_string_append_printf (s, " appears %d time%s", exp->count, exp->count == 1 ? "" : "s");
      else if (exp->position == 0)
        g_string_append (s, exp->present ? " is present" : " is absent");
      if (exp->contains != NULL && exp->position > 0)
        g_string_append_printf (s, ", the %u%s from the top contains “%s”", exp->position,
                                exp->position % 10 == 1 && exp->position % 100 != 11 ? "st"
                                : exp->position % 10 == 2 && exp->position % 100 != 12 ? "nd"
                                : exp->position % 10 == 3 && exp->position % 100 != 13 ? "rd"
                                : "th", exp->contains);
      else if (exp->contains != NULL)
        g_string_append_printf (s, " and contains “%s”", exp->contains);
      break;
    default:
      g_assert_not_reached ();
    }
  if (exp->text != NULL)
    g_string_append_printf (s, ": %s", exp->text);
  return g_string_free (s, FALSE);
}

/* ---- finding scenarios -------------------------------------------------------------- */

GStrv
ms_scenario_search_dirs (void)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *env = g_getenv ("MS_SCENARIO_PATH");
  g_autofree char *source_dir = g_build_filename (SOURCE_ROOT, "scenarios", NULL);

  if (env != NULL && *env != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (guint i = 0; parts[i] != NULL; i++)
        if (*parts[i] != '\0')
          g_strv_builder_add (b, parts[i]);
    }
  g_strv_builder_add (b, source_dir);
  g_strv_builder_add (b, MS_SCENARIO_DATADIR);
  return g_strv_builder_end (b);
}

char *
ms_scenario_resolve (const char  *id_or_path,
                     GError     **error)
{
  g_auto(GStrv) dirs = NULL;

  g_return_val_if_fail (id_or_path != NULL, NULL);
  if (g_str_has_suffix (id_or_path, ".yaml") || g_str_has_suffix (id_or_path, ".yml")
      || strchr (id_or_path, G_DIR_SEPARATOR) != NULL)
    {
      if (!g_file_test (id_or_path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_NOT_FOUND,
                       "%s: no such scenario file", id_or_path);
          return NULL;
        }
      return g_strdup (id_or_path);
    }
  dirs = ms_scenario_search_dirs ();
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *base = g_strconcat (id_or_path, ".yaml", NULL);
      g_autofree char *path = g_build_filename (dirs[i], base, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  g_set_error (error, MS_SCENARIO_ERROR, MS_SCENARIO_ERROR_NOT_FOUND,
               "no scenario “%s”; `mailsim list` shows the scenarios there are", id_or_path);
  return NULL;
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  const MsScenario *sa = *(MsScenario *const *) a;
  const MsScenario *sb = *(MsScenario *const *) b;

  return strcmp (sa->id, sb->id);
}

GPtrArray *
ms_scenario_list_all (GError **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_scenario_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) dirs = ms_scenario_search_dirs ();

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (dirs[i], 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        continue;
      while ((name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".yaml"))
          g_ptr_array_add (names, g_strdup (name));
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint k = 0; k < names->len; k++)
        {
          g_autofree char *path = g_build_filename (dirs[i], names->pdata[k], NULL);
          MsScenario *scn = ms_scenario_load_file (path, error);

          if (scn == NULL)
            return NULL;
          if (g_hash_table_contains (seen, scn->id))
            {
              ms_scenario_free (scn);
              continue;
            }
          g_hash_table_add (seen, g_strdup (scn->id));
          g_ptr_array_add (all, scn);
        }
    }
  g_ptr_array_sort (all, compare_ids);
  return g_steal_pointer (&all);
}
