/* test-ms-dns-zone.c: the zone text format and the query answers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "ms-dns-zone.h"

static const char zone_text[] =
  "# the example zone\n"
  "example.com      MX    10 mx.example.com.\n"
  "example.com      MX    20 MX2.Example.com\n"
  "Example.COM.     TXT   \"v=spf1 \" \"mx -all\"   # two strings, joined\n"
  "example.com      TXT   \"say \\\"hi\\\" \\\\ bye\"\n"
  "mx.example.com   A     192.0.2.25\n"
  "mx.example.com   AAAA  2001:db8::25\n"
  "\n"
  "   \t# an indented comment\n"
  "25.2.0.192.in-addr.arpa PTR mx.example.com\n"
  "www.example.com  CNAME mx.example.com.\r\n"
  "old.example.com  SPF   \"v=spf1 -all\"\n"
  "slow.example.com TIMEOUT\n"
  "null.example.com MX 0 .\n"
  "loop.example.com CNAME loop2.example.com\n"
  "loop2.example.com CNAME loop.example.com\n";

static MsDnsZone *
load (const char *text)
{
  g_autoptr(GError) error = NULL;
  MsDnsZone *zone = ms_dns_zone_new ();

  cr_assert (ms_dns_zone_load_data (zone, text, -1, "test.zone", &error), "%s",
             error ? error->message : "");
  return zone;
}

static MsDnsStatus
query (MsDnsZone   *zone,
       const char  *name,
       MsDnsType    type,
       GPtrArray  **answers)
{
  g_autoptr(GError) error = NULL;
  MsDnsStatus status = ms_dns_zone_query (zone, name, type, answers, &error);

  cr_assert_null (error);
  return status;
}

Test (dns_zone, zone_text_with_every_type_loads)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);

  cr_expect_eq (ms_dns_zone_get_n_records (zone), 12);
}

Test (dns_zone, txt_strings_are_joined_without_separator_and_unescaped)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(GPtrArray) answers = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *shown = NULL;

  cr_assert_eq (query (zone, "EXAMPLE.com.", MS_DNS_TYPE_TXT, &answers), MS_DNS_STATUS_NOERROR);
  cr_assert_eq (answers->len, 2);
  first = ms_dns_record_join_strings (g_ptr_array_index (answers, 0), NULL);
  second = ms_dns_record_join_strings (g_ptr_array_index (answers, 1), NULL);
  cr_expect_str_eq (first, "v=spf1 mx -all");
  cr_expect_str_eq (second, "say \"hi\" \\ bye");
  shown = ms_dns_record_format_data (g_ptr_array_index (answers, 0));
  cr_expect_str_eq (shown, "\"v=spf1 \" \"mx -all\"");
}

Test (dns_zone, mx_answers_keep_preference_and_lower_case_host)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(GPtrArray) answers = NULL;
  const MsDnsRecord *second;

  cr_assert_eq (query (zone, "example.com", MS_DNS_TYPE_MX, &answers), MS_DNS_STATUS_NOERROR);
  cr_assert_eq (answers->len, 2);
  second = g_ptr_array_index (answers, 1);
  cr_expect_eq (second->preference, 20);
  cr_expect_str_eq (second->target, "mx2.example.com");
}

Test (dns_zone, nodata_nxdomain_and_timeout_are_distinguished)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(GPtrArray) answers = NULL;

  cr_expect_eq (query (zone, "mx.example.com", MS_DNS_TYPE_TXT, &answers), MS_DNS_STATUS_NODATA);
  cr_expect_null (answers);
  cr_expect_eq (query (zone, "nowhere.example.com", MS_DNS_TYPE_A, NULL), MS_DNS_STATUS_NXDOMAIN);
  cr_expect_eq (query (zone, "slow.example.com", MS_DNS_TYPE_TXT, NULL), MS_DNS_STATUS_TIMEOUT);
  cr_expect_eq (query (zone, "slow.example.com", MS_DNS_TYPE_A, NULL), MS_DNS_STATUS_TIMEOUT);
}

Test (dns_zone, timeout_only_hits_types_without_records)
{
  g_autoptr(MsDnsZone) zone = load ("t.example.com TXT \"v=spf1 -all\"\n"
                                    "t.example.com TIMEOUT\n");

  cr_expect_eq (query (zone, "t.example.com", MS_DNS_TYPE_TXT, NULL), MS_DNS_STATUS_NOERROR);
  cr_expect_eq (query (zone, "t.example.com", MS_DNS_TYPE_SPF, NULL), MS_DNS_STATUS_TIMEOUT);
}

Test (dns_zone, spf_type_records_are_not_txt_records)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);

  cr_expect_eq (query (zone, "old.example.com", MS_DNS_TYPE_TXT, NULL), MS_DNS_STATUS_NODATA);
  cr_expect_eq (query (zone, "old.example.com", MS_DNS_TYPE_SPF, NULL), MS_DNS_STATUS_NOERROR);
}

Test (dns_zone, cname_is_chased_and_its_loop_is_servfail)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(GPtrArray) answers = NULL;
  const MsDnsRecord *last;

  cr_assert_eq (query (zone, "www.example.com", MS_DNS_TYPE_A, &answers), MS_DNS_STATUS_NOERROR);
  cr_assert_eq (answers->len, 2);
  cr_expect_eq (((MsDnsRecord *) g_ptr_array_index (answers, 0))->type, MS_DNS_TYPE_CNAME);
  last = g_ptr_array_index (answers, 1);
  cr_expect_eq (last->type, MS_DNS_TYPE_A);
  cr_expect_eq (query (zone, "www.example.com", MS_DNS_TYPE_CNAME, NULL), MS_DNS_STATUS_NOERROR);
  cr_expect_eq (query (zone, "loop.example.com", MS_DNS_TYPE_A, NULL), MS_DNS_STATUS_SERVFAIL);
  cr_expect_eq (query (zone, "www.example.com", MS_DNS_TYPE_MX, NULL), MS_DNS_STATUS_NODATA);
}

Test (dns_zone, null_mx_and_reverse_names)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(GPtrArray) answers = NULL;
  g_autoptr(GInetAddress) v4 = g_inet_address_new_from_string ("192.0.2.25");
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string ("2001:db8::cb01");
  g_autofree char *r4 = ms_dns_reverse_name (v4);
  g_autofree char *r6 = ms_dns_reverse_name (v6);

  cr_assert_eq (query (zone, "null.example.com", MS_DNS_TYPE_MX, &answers), MS_DNS_STATUS_NOERROR);
  cr_expect_str_eq (((MsDnsRecord *) g_ptr_array_index (answers, 0))->target, "");
  cr_expect_str_eq (r4, "25.2.0.192.in-addr.arpa");
  cr_expect_str_eq (r6, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  cr_expect_eq (query (zone, r4, MS_DNS_TYPE_PTR, NULL), MS_DNS_STATUS_NOERROR);
}

Test (dns_zone, invalid_query_names_are_errors)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *name = g_strconcat (long_label, ".example.com", NULL);

  cr_expect_eq (ms_dns_zone_query (zone, "a..example.com", MS_DNS_TYPE_A, NULL, &error),
                MS_DNS_STATUS_ERROR);
  cr_expect (g_error_matches (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_INVALID_NAME));
  g_clear_error (&error);
  cr_expect_eq (ms_dns_zone_query (zone, name, MS_DNS_TYPE_A, NULL, &error), MS_DNS_STATUS_ERROR);
  cr_expect_not (ms_dns_name_is_valid (""));
  cr_expect (ms_dns_name_is_valid ("example.com."));
}

Test (dns_zone, queries_are_recorded_as_trace_events)
{
  g_autoptr(MsDnsZone) zone = load (zone_text);
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "dns");
  MsTraceEvent *event;
  JsonArray *answer;

  ms_dns_zone_set_trace (zone, trace, "dns.example");
  query (zone, "mx.example.com", MS_DNS_TYPE_A, NULL);
  query (zone, "nowhere.example.com", MS_DNS_TYPE_A, NULL);
  cr_assert_eq (ms_trace_get_n_events (trace), 2);

  event = ms_trace_get_event (trace, 0);
  cr_expect_str_eq (event->type, "dns");
  cr_expect_str_eq (event->node, "dns.example");
  cr_expect_str_eq (json_object_get_string_member (event->fields, "query"), "mx.example.com");
  cr_expect_str_eq (json_object_get_string_member (event->fields, "qtype"), "A");
  cr_expect_str_eq (json_object_get_string_member (event->fields, "rcode"), "NOERROR");
  answer = json_object_get_array_member (event->fields, "answer");
  cr_assert_not_null (answer);
  cr_expect_str_eq (json_array_get_string_element (answer, 0), "mx.example.com. A 192.0.2.25");

  event = ms_trace_get_event (trace, 1);
  cr_expect_str_eq (json_object_get_string_member (event->fields, "rcode"), "NXDOMAIN");
  cr_expect_not (json_object_has_member (event->fields, "answer"));

  query (zone, "mx.example.com", MS_DNS_TYPE_MX, NULL);
  event = ms_trace_get_event (trace, 2);
  cr_expect_str_eq (json_object_get_string_member (event->fields, "rcode"), "NOERROR");
  answer = json_object_get_array_member (event->fields, "answer");
  cr_assert_not_null (answer, "NODATA shows an empty answer");
  cr_expect_eq (json_array_get_length (answer), 0);
}

/* Syntax errors: file:line:column and what was expected */
typedef struct
{
  char text[120];
  char message[160];
} BadZone;

static BadZone bad_zones[] = {
  { "a.example A 192.0.2.1\nb.example B 1\n", "bad.zone:2:11: expected a record type" },
  { "a.example A 300.1.1.1\n", "bad.zone:1:13: expected an IPv4 address" },
  { "a.example AAAA 192.0.2.1\n", "bad.zone:1:16: expected an IPv6 address" },
  { "a.example MX ten mx.example\n", "bad.zone:1:14: expected an MX preference" },
  { "a.example MX 10\n", "bad.zone:1:16: expected the mail exchanger host name" },
  { "a.example TXT v=spf1\n", "bad.zone:1:15: expected a double-quoted string" },
  { "a.example TXT \"v=spf1 -all\n", "bad.zone:1:15: expected a closing double quote" },
  { "a.example TXT\n", "bad.zone:1:14: expected one or more double-quoted strings" },
  { "a.example TXT \"a\"\"b\"\n", "bad.zone:1:18: expected a space between strings" },
  { "a.example A 192.0.2.1 extra\n", "bad.zone:1:23: expected the end of the line" },
  { "a..example A 192.0.2.1\n", "bad.zone:1:1: expected a domain name" },
  { "a.example TIMEOUT now\n", "bad.zone:1:19: expected the end of the line" },
  { "\n\n   a.example PTR\n", "bad.zone:3:17: expected a host name" },
};

ParameterizedTestParameters (dns_zone, syntax_errors_name_line_and_column)
{
  return cr_make_param_array (BadZone, bad_zones, G_N_ELEMENTS (bad_zones));
}

ParameterizedTest (BadZone *bad, dns_zone, syntax_errors_name_line_and_column)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GError) error = NULL;

  cr_assert_not (ms_dns_zone_load_data (zone, bad->text, -1, "bad.zone", &error));
  cr_assert (g_error_matches (error, MS_DNS_ZONE_ERROR, MS_DNS_ZONE_ERROR_SYNTAX));
  cr_expect (g_str_has_prefix (error->message, bad->message), "got “%s”, expected “%s…”",
             error->message, bad->message);
}

Test (dns_zone, over_long_character_string_is_refused)
{
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_string = g_strnfill (256, 'x');
  g_autofree char *text = g_strdup_printf ("a.example TXT \"%s\"\n", long_string);

  cr_assert_not (ms_dns_zone_load_data (zone, text, -1, "long.zone", &error));
  cr_expect (strstr (error->message, "at most 255 octets") != NULL, "%s", error->message);
}

Test (dns_zone, missing_file_is_an_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MsDnsZone) zone = ms_dns_zone_new_from_file ("/nonexistent/zone", &error);

  cr_expect_null (zone);
  cr_expect (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT));
}
