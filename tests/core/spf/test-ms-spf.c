/* test-ms-spf.c: macros (RFC 7208 §7.4 examples), evaluation details, header fields
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "ms-dns-zone.h"
#include "ms-spf.h"
#include "ms-spf-macro.h"

typedef struct
{
  char macro[64];
  char expected[80];
} MacroCase;

/* RFC 7208 §7.4: sender strong-bad@email.example.com, IP 192.0.2.3 */
static MacroCase rfc_examples[] = {
  { "%{s}", "strong-bad@email.example.com" },
  { "%{o}", "email.example.com" },
  { "%{d}", "email.example.com" },
  { "%{d4}", "email.example.com" },
  { "%{d3}", "email.example.com" },
  { "%{d2}", "example.com" },
  { "%{d1}", "com" },
  { "%{dr}", "com.example.email" },
  { "%{d2r}", "example.email" },
  { "%{l}", "strong-bad" },
  { "%{l-}", "strong.bad" },
  { "%{lr}", "strong-bad" },
  { "%{lr-}", "bad.strong" },
  { "%{l1r-}", "strong" },
  { "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com" },
  { "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com" },
  { "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
  { "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com" },
  { "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net" },
  { "%%%_%-", "% %20" },
  { "%{L}", "strong-bad" },
  { "%{S}", "strong-bad%40email.example.com" },
  { "%{h}", "mail.example.org" },
  { "%{l+-}", "strong.bad" },
};

static MsSpfMacroContext
example_context (GInetAddress *ip)
{
  MsSpfMacroContext ctx = {
    .sender = "strong-bad@email.example.com",
    .local_part = "strong-bad",
    .sender_domain = "email.example.com",
    .domain = "email.example.com",
    .ip = ip,
    .helo = "mail.example.org",
    .receiver = "mx.example.net",
    .timestamp = 1700000000,
  };
  return ctx;
}

ParameterizedTestParameters (spf_macro, rfc7208_examples_expand)
{
  return cr_make_param_array (MacroCase, rfc_examples, G_N_ELEMENTS (rfc_examples));
}

ParameterizedTest (MacroCase *c, spf_macro, rfc7208_examples_expand)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("192.0.2.3");
  MsSpfMacroContext ctx = example_context (ip);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  cr_assert (ms_spf_macro_expand (c->macro, strlen (c->macro), FALSE, &ctx, &out, &error),
             "%s: %s", c->macro, error ? error->message : "");
  cr_expect_str_eq (out, c->expected, "%s gave %s", c->macro, out);
}

Test (spf_macro, ipv6_i_macro_is_32_nibbles)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("2001:db8::cb01");
  MsSpfMacroContext ctx = example_context (ip);
  g_autofree char *out = NULL;
  const char *macro = "%{ir}.%{v}._spf.%{d2}";

  cr_assert (ms_spf_macro_expand (macro, strlen (macro), FALSE, &ctx, &out, NULL));
  cr_expect_str_eq (out, "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2"
                    ".ip6._spf.example.com");
}

Test (spf_macro, explanation_letters_only_in_explanations)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("192.0.2.3");
  MsSpfMacroContext ctx = example_context (ip);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *text = "%{c} via %{r} at %{t}";

  cr_expect_not (ms_spf_macro_expand ("%{c}", 4, FALSE, &ctx, NULL, &error));
  cr_expect (g_error_matches (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_LETTER));
  cr_assert (ms_spf_macro_expand (text, strlen (text), TRUE, &ctx, &out, NULL));
  cr_expect_str_eq (out, "192.0.2.3 via mx.example.net at 1700000000");
}

static const char *bad_macros[] = { "%", "%a", "%{x}", "%{d0}", "%{d", "%{dr", "%{d2r?}", "%(ir)" };

Test (spf_macro, syntax_errors_are_reported)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_macros); i++)
    {
      g_autoptr(GError) error = NULL;

      cr_expect_not (ms_spf_macro_expand (bad_macros[i], strlen (bad_macros[i]), FALSE, NULL,
                                          NULL, &error), "%s was accepted", bad_macros[i]);
      cr_expect (error != NULL && error->domain == MS_SPF_MACRO_ERROR);
    }
}

/* Evaluation against a zone file */

static const char zone_text[] =
  "example.com        TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.partner.example \" \"-all\"\n"
  "example.com        TXT \"an unrelated TXT record\"\n"
  "_spf.partner.example TXT \"v=spf1 a:out.partner.example ~all\"\n"
  "out.partner.example A 198.51.100.7\n"
  "helo.example.com   TXT \"v=spf1 a -all exp=why.example.com\"\n"
  "helo.example.com   A 203.0.113.5\n"
  "why.example.com    TXT \"%{h} may not send for %{d} from %{i}\"\n"
  "slow.example       TIMEOUT\n"
  "broken.example     TXT \"v=spf1 ip4:192.0.2.300 -all\"\n";

static MsDnsZone *
example_zone (void)
{
  g_autoptr(GError) error = NULL;
  MsDnsZone *zone = ms_dns_zone_new ();

  cr_assert (ms_dns_zone_load_data (zone, zone_text, -1, "example.zone", &error), "%s",
             error ? error->message : "");
  return zone;
}

static MsSpfResultInfo *
check (MsDnsZone  *zone,
       const char *ip_text,
       const char *sender,
       const char *helo)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (ip_text);
  MsSpfResultInfo *info = NULL;

  ms_spf_check_host (zone, ip, NULL, sender, helo, &info);
  cr_assert_not_null (info);
  return info;
}

Test (spf, include_pass_is_recorded_as_the_deciding_mechanism)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "198.51.100.7", "alice@example.com", "pc");
  gboolean saw_nested_match = FALSE;

  cr_expect_eq (info->result, MS_SPF_RESULT_PASS);
  cr_expect_str_eq (info->mechanism, "include:_spf.partner.example");
  cr_expect_str_eq (info->identity, "mailfrom");
  cr_expect_eq (info->n_dns_lookups, 2);  /* include and a */
  for (guint i = 0; i < info->steps->len; i++)
    {
      MsSpfStep *step = g_ptr_array_index (info->steps, i);

      if (step->kind == MS_SPF_STEP_MECHANISM && step->matched && step->depth == 1)
        saw_nested_match = strcmp (step->text, "a:out.partner.example") == 0;
    }
  cr_expect (saw_nested_match);
}

Test (spf, unmatched_ip_fails_with_the_default_explanation)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "203.0.113.9", "alice@example.com", "pc");

  cr_expect_eq (info->result, MS_SPF_RESULT_FAIL);
  cr_expect_str_eq (info->mechanism, "-all");
  cr_expect_not (info->explanation_from_record);
  cr_expect (strstr (info->explanation, "does not designate 203.0.113.9") != NULL);
}

Test (spf, empty_mail_from_checks_the_helo_identity_with_its_exp)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "192.0.2.77", "", "helo.example.com");

  cr_expect_eq (info->result, MS_SPF_RESULT_FAIL);
  cr_expect_str_eq (info->identity, "helo");
  cr_expect_str_eq (info->sender, "postmaster@helo.example.com");
  cr_expect (info->explanation_from_record);
  cr_expect_str_eq (info->explanation,
                    "helo.example.com may not send for helo.example.com from 192.0.2.77");
}

Test (spf, timeout_is_temperror_and_bad_record_is_permerror)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) slow = check (zone, "192.0.2.1", "a@slow.example", "pc");
  g_autoptr(MsSpfResultInfo) broken = check (zone, "192.0.2.1", "a@broken.example", "pc");
  g_autoptr(MsSpfResultInfo) nothing = check (zone, "192.0.2.1", "a@nothing.example", "pc");

  cr_expect_eq (slow->result, MS_SPF_RESULT_TEMPERROR);
  cr_expect (strstr (slow->problem, "TIMEOUT") != NULL, "%s", slow->problem);
  cr_expect_eq (broken->result, MS_SPF_RESULT_PERMERROR);
  cr_expect (strstr (broken->problem, "192.0.2.300") != NULL, "%s", broken->problem);
  cr_expect_eq (nothing->result, MS_SPF_RESULT_NONE);
}

Test (spf, dns_lookups_show_in_the_trace)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "spf");
  g_autoptr(MsSpfResultInfo) info = NULL;

  ms_dns_zone_set_trace (zone, trace, "dns");
  info = check (zone, "198.51.100.7", "alice@example.com", "pc");
  /* TXT example.com, TXT _spf.partner.example, A out.partner.example */
  cr_expect_eq (ms_trace_get_n_events (trace), 3);
}

Test (spf, record_syntax_check_explains_the_problem)
{
  g_autofree char *problem = NULL;
  const char *good = "v=spf1 a/24//64 mx:%{d2} ip6:2001:db8::/32 exists:%{ir}.x.example ~all";
  const char *bad = "v=spf1 a:example.com:8080 -all";

  cr_expect (ms_spf_record_check_syntax (good, strlen (good), NULL));
  cr_expect_not (ms_spf_record_check_syntax (bad, strlen (bad), &problem));
  cr_expect (strstr (problem, "a:example.com:8080") != NULL, "%s", problem);
}

Test (spf, ipv4_mapped_client_is_treated_as_ipv4)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "::ffff:192.0.2.10", "alice@example.com",
                                           "pc");

  cr_expect_eq (info->result, MS_SPF_RESULT_PASS);
  cr_expect_str_eq (info->client_ip, "192.0.2.10");
}

/* Header fields */

Test (spf_header, received_spf_follows_rfc7208_section_9_1)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "192.0.2.1", "myname@example.com",
                                           "foo.example.com");
  g_autofree char *value = ms_spf_format_received_spf (info, "mybox.example.org");

  cr_expect_str_eq (value, "pass (mybox.example.org: domain of myname@example.com designates "
                    "192.0.2.1 as permitted sender) receiver=mybox.example.org; "
                    "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; "
                    "helo=foo.example.com; mechanism=\"ip4:192.0.2.0/24\"; identity=mailfrom;");
}

Test (spf_header, received_spf_quotes_ipv6_and_escapes_comment)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) info = check (zone, "2001:db8::1", "", "helo.example.com");
  g_autofree char *value = ms_spf_format_received_spf (info, NULL);

  cr_expect (g_str_has_prefix (value, "fail (domain of helo.example.com does not designate "
                               "2001:db8::1 as permitted sender) client-ip=\"2001:db8::1\";"),
             "%s", value);
  cr_expect (strstr (value, "identity=helo;") != NULL, "%s", value);
  cr_expect (strstr (value, "envelope-from") == NULL, "%s", value);
}

Test (spf_header, authentication_results_clause)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) pass = check (zone, "192.0.2.1", "alice@example.com", "pc");
  g_autoptr(MsSpfResultInfo) helo = check (zone, "192.0.2.1", "", "helo.example.com");
  g_autoptr(MsSpfResultInfo) perm = check (zone, "192.0.2.1", "a@broken.example", "pc");
  g_autofree char *a = ms_spf_format_auth_results (pass);
  g_autofree char *b = ms_spf_format_auth_results (helo);
  g_autofree char *c = ms_spf_format_auth_results (perm);

  cr_expect_str_eq (a, "spf=pass smtp.mailfrom=alice@example.com");
  cr_expect_str_eq (b, "spf=fail smtp.helo=helo.example.com");
  cr_expect (g_str_has_prefix (c, "spf=permerror reason=\"syntax error"), "%s", c);
  cr_expect (g_str_has_suffix (c, " smtp.mailfrom=a@broken.example"), "%s", c);
}

/* found by fuzz-spf-record: strchr() finds the terminating NUL of its set */
Test (spf_macro, nul_macro_letter_is_a_syntax_error)
{
  static const char macro[] = { '%', '{', '\0', '}' };
  g_autoptr(GError) error = NULL;

  cr_expect_not (ms_spf_macro_expand (macro, sizeof macro, FALSE, NULL, NULL, &error));
  cr_expect (g_error_matches (error, MS_SPF_MACRO_ERROR, MS_SPF_MACRO_ERROR_LETTER));
}

static gboolean
is_ascii (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if ((guchar) *p < 0x20 || (guchar) *p > 0x7e)
      return FALSE;
  return TRUE;
}

Test (spf_header, header_fields_stay_ascii)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsSpfResultInfo) perm = check (zone, "192.0.2.1", "a@broken.example", "pc");
  g_autoptr(MsSpfResultInfo) utf8 = check (zone, "192.0.2.1", "δοκιμή@example.com", "pc");
  g_autofree char *a = ms_spf_format_received_spf (perm, "mx.example.net");
  g_autofree char *b = ms_spf_format_auth_results (perm);
  g_autofree char *c = ms_spf_format_received_spf (utf8, "mx.example.net");
  g_autofree char *d = ms_spf_format_auth_results (utf8);

  cr_expect (is_ascii (a), "%s", a);
  cr_expect (is_ascii (b), "%s", b);
  cr_expect (is_ascii (c), "%s", c);
  cr_expect (is_ascii (d), "%s", d);
  cr_expect_eq (utf8->result, MS_SPF_RESULT_PASS);
}

Test (spf, result_becomes_a_policy_event)
{
  g_autoptr(MsDnsZone) zone = example_zone ();
  g_autoptr(MsTrace) trace = ms_trace_new ("scenario", "spf");
  g_autoptr(MsSpfResultInfo) info = check (zone, "203.0.113.9", "alice@example.com", "pc");
  MsTraceEvent *event = ms_spf_add_trace_event (info, trace, "mx.b.example", 3);

  cr_assert_not_null (event);
  cr_expect_str_eq (event->type, "policy");
  cr_expect_str_eq (event->node, "mx.b.example");
  cr_expect_eq (event->session, 3);
  cr_expect_str_eq (json_object_get_string_member (event->fields, "check"), "spf");
  cr_expect_str_eq (json_object_get_string_member (event->fields, "result"), "fail");
  cr_expect_str_eq (json_object_get_string_member (event->fields, "mechanism"), "-all");
}
