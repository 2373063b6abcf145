/* test-ms-spf-suite.c: the RFC 7208 test suite (openspf.org, release 2014.04)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reads tests/data/spf/rfc7208-tests.yml with libyaml, builds one MsDnsZone per scenario
 * from its zonedata and runs every test through ms_spf_check_host().
 *
 * Zone rules of the suite's drivers (see the file's header comment): an SPF (type 99) entry
 * is also served as TXT unless the name has TXT entries of its own; "TXT: NONE" only stops
 * that duplication; TIMEOUT makes queries for types without records time out.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "ms-dns-zone.h"
#include "ms-spf.h"

static char *
suite_path (void)
{
  const char *root = g_getenv ("MS_SOURCE_ROOT");
  char *path;

  if (root == NULL)
    root = SOURCE_ROOT;
  path = g_build_filename (root, "tests", "data", "spf", "rfc7208-tests.yml", NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return path;
  g_free (path);
  return g_build_filename (root, "..", "shared", "corpus", "spf", "rfc7208-tests.yml", NULL);
}

static yaml_node_t *
map_get (yaml_document_t *doc,
         yaml_node_t     *map,
         const char      *key)
{
  if (map == NULL || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
       pair < map->data.mapping.pairs.top; pair++)
    {
      yaml_node_t *k = yaml_document_get_node (doc, pair->key);

      if (k->type == YAML_SCALAR_NODE && strcmp ((char *) k->data.scalar.value, key) == 0)
        return yaml_document_get_node (doc, pair->value);
    }
  return NULL;
}

static const char *
scalar (yaml_node_t *node)
{
  return node != NULL && node->type == YAML_SCALAR_NODE ? (const char *) node->data.scalar.value
                                                         : NULL;
}

static GBytes *
scalar_bytes (yaml_node_t *node)
{
  return g_bytes_new (node->data.scalar.value, node->data.scalar.length);
}

static void
add_strings (MsDnsZone       *zone,
             const char      *name,
             MsDnsType        type,
             yaml_document_t *doc,
             yaml_node_t     *value)
{
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  if (value->type == YAML_SCALAR_NODE)
    g_ptr_array_add (strings, scalar_bytes (value));
  else if (value->type == YAML_SEQUENCE_NODE)
    for (yaml_node_item_t *item = value->data.sequence.items.start;
         item < value->data.sequence.items.top; item++)
      g_ptr_array_add (strings, scalar_bytes (yaml_document_get_node (doc, *item)));
  ms_dns_zone_add_txt_bytes (zone, name, type, strings);
}

static MsDnsZone *
build_zone (yaml_document_t *doc,
            yaml_node_t     *zonedata)
{
  MsDnsZone *zone = ms_dns_zone_new ();

  if (zonedata == NULL || zonedata->type != YAML_MAPPING_NODE)
    return zone;
  for (yaml_node_pair_t *pair = zonedata->data.mapping.pairs.start;
       pair < zonedata->data.mapping.pairs.top; pair++)
    {
      const char *name = scalar (yaml_document_get_node (doc, pair->key));
      yaml_node_t *entries = yaml_document_get_node (doc, pair->value);
      gboolean has_txt = FALSE;

      cr_assert_not_null (name);
      cr_assert_eq (entries->type, YAML_SEQUENCE_NODE, "zonedata of %s is not a list", name);
      for (yaml_node_item_t *item = entries->data.sequence.items.start;
           item < entries->data.sequence.items.top; item++)
        if (map_get (doc, yaml_document_get_node (doc, *item), "TXT") != NULL)
          has_txt = TRUE;

      for (yaml_node_item_t *item = entries->data.sequence.items.start;
           item < entries->data.sequence.items.top; item++)
        {
          yaml_node_t *entry = yaml_document_get_node (doc, *item);
          yaml_node_pair_t *rr;
          const char *type;
          yaml_node_t *value;

          if (entry->type == YAML_SCALAR_NODE)
            {
              cr_assert_str_eq (scalar (entry), "TIMEOUT");
              ms_dns_zone_add_timeout (zone, name);
              continue;
            }
          cr_assert_eq (entry->type, YAML_MAPPING_NODE);
          rr = entry->data.mapping.pairs.start;
          type = scalar (yaml_document_get_node (doc, rr->key));
          value = yaml_document_get_node (doc, rr->value);

          if (strcmp (type, "TIMEOUT") == 0)
            ms_dns_zone_add_timeout (zone, name);
          else if (strcmp (type, "A") == 0 || strcmp (type, "AAAA") == 0)
            {
              g_autoptr(GError) error = NULL;

              cr_assert (ms_dns_zone_add_address (zone, name, scalar (value), &error),
                         "%s: %s", name, error->message);
            }
          else if (strcmp (type, "MX") == 0)
            {
              yaml_node_t *pref, *host;

              cr_assert_eq (value->type, YAML_SEQUENCE_NODE);
              pref = yaml_document_get_node (doc, value->data.sequence.items.start[0]);
              host = yaml_document_get_node (doc, value->data.sequence.items.start[1]);
              ms_dns_zone_add_mx (zone, name, (guint16) atoi (scalar (pref)), scalar (host));
            }
          else if (strcmp (type, "PTR") == 0)
            ms_dns_zone_add_ptr (zone, name, scalar (value));
          else if (strcmp (type, "CNAME") == 0)
            ms_dns_zone_add_cname (zone, name, scalar (value));
          else if (strcmp (type, "TXT") == 0)
            {
              if (g_strcmp0 (scalar (value), "NONE") != 0)
                add_strings (zone, name, MS_DNS_TYPE_TXT, doc, value);
            }
          else if (strcmp (type, "SPF") == 0)
            {
              add_strings (zone, name, MS_DNS_TYPE_SPF, doc, value);
              if (!has_txt)
                add_strings (zone, name, MS_DNS_TYPE_TXT, doc, value);
            }
          else
            cr_assert_fail ("unknown record type %s for %s", type, name);
        }
    }
  return zone;
}

static gboolean
result_accepted (yaml_document_t *doc,
                 yaml_node_t     *expected,
                 MsSpfResult      result,
                 GString         *wanted)
{
  const char *got = ms_spf_result_to_string (result);
  gboolean ok = FALSE;

  if (expected->type == YAML_SCALAR_NODE)
    {
      g_string_append (wanted, scalar (expected));
      return strcmp (scalar (expected), got) == 0;
    }
  for (yaml_node_item_t *item = expected->data.sequence.items.start;
       item < expected->data.sequence.items.top; item++)
    {
      const char *one = scalar (yaml_document_get_node (doc, *item));

      g_string_append_printf (wanted, "%s%s", wanted->len ? "|" : "", one);
      ok = ok || strcmp (one, got) == 0;
    }
  return ok;
}

Test (spf_suite, rfc7208_test_suite_passes)
{
  g_autofree char *path = suite_path ();
  g_autofree char *contents = NULL;
  gsize len;
  yaml_parser_t parser;
  guint total = 0, passed = 0, scenarios = 0;
  g_autoptr(GString) failures = g_string_new (NULL);

  cr_assert (g_file_get_contents (path, &contents, &len, NULL), "cannot read %s", path);
  cr_assert (yaml_parser_initialize (&parser));
  yaml_parser_set_input_string (&parser, (const unsigned char *) contents, len);

  for (;;)
    {
      yaml_document_t doc;
      yaml_node_t *root, *tests;
      g_autoptr(MsDnsZone) zone = NULL;

      cr_assert (yaml_parser_load (&parser, &doc), "YAML error in %s: %s (line %zu)", path,
                 parser.problem, parser.problem_mark.line + 1);
      root = yaml_document_get_root_node (&doc);
      if (root == NULL)
        {
          yaml_document_delete (&doc);
          break;
        }
      scenarios++;
      zone = build_zone (&doc, map_get (&doc, root, "zonedata"));
      tests = map_get (&doc, root, "tests");
      cr_assert_not_null (tests);

      for (yaml_node_pair_t *pair = tests->data.mapping.pairs.start;
           pair < tests->data.mapping.pairs.top; pair++)
        {
          const char *name = scalar (yaml_document_get_node (&doc, pair->key));
          yaml_node_t *test = yaml_document_get_node (&doc, pair->value);
          const char *host = scalar (map_get (&doc, test, "host"));
          const char *explanation = scalar (map_get (&doc, test, "explanation"));
          g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (host);
          g_autoptr(MsSpfResultInfo) info = NULL;
          g_autoptr(GString) wanted = g_string_new (NULL);
          gboolean ok;

          total++;
          cr_assert_not_null (ip, "%s: bad host %s", name, host);
          ms_spf_check_host (zone, ip, NULL, scalar (map_get (&doc, test, "mailfrom")),
                             scalar (map_get (&doc, test, "helo")), &info);
          ok = result_accepted (&doc, map_get (&doc, test, "result"), info->result, wanted);
          if (ok && explanation != NULL)
            {
              if (strcmp (explanation, "DEFAULT") == 0)
                ok = !info->explanation_from_record;
              else
                ok = info->explanation_from_record
                     && strcmp (info->explanation, explanation) == 0;
            }
          if (ok)
            passed++;
          else
            g_string_append_printf (failures, "  %s: got %s (%s), expected %s%s%s\n", name,
                                    ms_spf_result_to_string (info->result),
                                    info->explanation, wanted->str,
                                    explanation ? ", explanation: " : "",
                                    explanation ? explanation : "");
        }
      yaml_document_delete (&doc);
    }
  yaml_parser_delete (&parser);

  printf ("rfc7208-tests: passed %u of %u tests in %u scenarios\n", passed, total, scenarios);
  if (failures->len > 0)
    printf ("failures:\n%s", failures->str);
  cr_expect_eq (scenarios, 16);
  cr_expect_geq (total, 200);
  cr_assert_eq (passed, total, "passed %u of %u:\n%s", passed, total, failures->str);
}
