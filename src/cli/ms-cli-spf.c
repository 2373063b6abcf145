/* ms-cli-spf.c: `mailsim spf`, an RFC 7208 check against a zone file
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "mailsim"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "ms-cli-private.h"
#include "ms-dns-zone.h"
#include "ms-spf.h"

static const char *
step_kind_name (MsSpfStepKind kind)
{
  switch (kind)
    {
    case MS_SPF_STEP_CHECK:     return "check";
    case MS_SPF_STEP_DNS:       return "dns";
    case MS_SPF_STEP_RECORD:    return "record";
    case MS_SPF_STEP_MECHANISM: return "mechanism";
    case MS_SPF_STEP_MODIFIER:  return "modifier";
    case MS_SPF_STEP_RESULT:    return "result";
    case MS_SPF_STEP_ERROR:     return "note";
    default:                    return "unknown";
    }
}

static void
print_text (const MsSpfResultInfo *info,
            const char            *receiver)
{
  g_autofree char *received = ms_spf_format_received_spf (info, receiver);
  g_autofree char *auth = ms_spf_format_auth_results (info);

  printf (_("SPF result: %s\n"), ms_spf_result_to_string (info->result));
  printf (_("Client IP %s, identity %s, sender %s, domain %s\n"), info->client_ip,
          strcmp (info->identity, "helo") == 0 ? _("HELO") : _("MAIL FROM"),
          info->sender, info->domain);
  printf ("\n%s\n", _("How it was evaluated:"));
  for (guint i = 0; i < info->steps->len; i++)
    {
      const MsSpfStep *step = g_ptr_array_index (info->steps, i);
      g_autofree char *indent = g_strnfill (2 + step->depth * 4, ' ');

      switch (step->kind)
        {
        case MS_SPF_STEP_CHECK:
          printf (_("%scheck_host() for %s\n"), indent, step->text);
          break;
        case MS_SPF_STEP_DNS:
          printf (_("%s  DNS query %s → %s\n"), indent, step->text, step->detail);
          break;
        case MS_SPF_STEP_RECORD:
          printf (_("%s  SPF record: %s\n"), indent, step->text);
          break;
        case MS_SPF_STEP_MECHANISM:
          if (step->matched)
            printf (_("%s  mechanism %s: matches → %s\n"), indent, step->text,
                    ms_spf_result_to_string (step->result));
          else
            printf (_("%s  mechanism %s: %s\n"), indent, step->text,
                    step->detail != NULL && strcmp (step->detail, "no match") != 0
                    ? step->detail : _("no match"));
          break;
        case MS_SPF_STEP_MODIFIER:
          printf (_("%s  modifier %s: %s\n"), indent, step->text, step->detail);
          break;
        case MS_SPF_STEP_RESULT:
          printf (_("%s→ %s\n"), indent, step->text);
          break;
        case MS_SPF_STEP_ERROR:
        default:
          printf (_("%s  note: %s\n"), indent, step->text);
          break;
        }
    }
  printf ("\n");
  if (info->mechanism != NULL)
    printf (_("Deciding mechanism: %s\n"), info->mechanism);
  printf (_("DNS-querying terms: %u of %d allowed; void lookups: %u of %d allowed\n"),
          info->n_dns_lookups, MS_SPF_MAX_DNS_LOOKUPS, info->n_void_lookups,
          MS_SPF_MAX_VOID_LOOKUPS);
  printf (info->explanation_from_record ? _("Explanation (from the exp= record): %s\n")
                                        : _("Explanation: %s\n"), info->explanation);
  printf ("Received-SPF: %s\n", received);
  printf ("Authentication-Results: %s; %s\n", receiver != NULL ? receiver : "localhost", auth);
}

static void
print_json (const MsSpfResultInfo *info,
            const char            *receiver)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *received = ms_spf_format_received_spf (info, receiver);
  g_autofree char *auth = ms_spf_format_auth_results (info);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "result");
  json_builder_add_string_value (builder, ms_spf_result_to_string (info->result));
  json_builder_set_member_name (builder, "explanation");
  json_builder_add_string_value (builder, info->explanation);
  json_builder_set_member_name (builder, "explanation_from_record");
  json_builder_add_boolean_value (builder, info->explanation_from_record);
  json_builder_set_member_name (builder, "identity");
  json_builder_add_string_value (builder, info->identity);
  json_builder_set_member_name (builder, "client_ip");
  json_builder_add_string_value (builder, info->client_ip);
  json_builder_set_member_name (builder, "sender");
  json_builder_add_string_value (builder, info->sender);
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, info->domain);
  json_builder_set_member_name (builder, "helo");
  json_builder_add_string_value (builder, info->helo);
  json_builder_set_member_name (builder, "mechanism");
  if (info->mechanism != NULL)
    json_builder_add_string_value (builder, info->mechanism);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "problem");
  if (info->problem != NULL)
    json_builder_add_string_value (builder, info->problem);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "dns_lookups");
  json_builder_add_int_value (builder, info->n_dns_lookups);
  json_builder_set_member_name (builder, "void_lookups");
  json_builder_add_int_value (builder, info->n_void_lookups);
  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < info->steps->len; i++)
    {
      const MsSpfStep *step = g_ptr_array_index (info->steps, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, step_kind_name (step->kind));
      json_builder_set_member_name (builder, "depth");
      json_builder_add_int_value (builder, step->depth);
      json_builder_set_member_name (builder, "domain");
      json_builder_add_string_value (builder, step->domain);
      json_builder_set_member_name (builder, "text");
      json_builder_add_string_value (builder, step->text);
      if (step->detail != NULL)
        {
          json_builder_set_member_name (builder, "detail");
          json_builder_add_string_value (builder, step->detail);
        }
      if (step->kind == MS_SPF_STEP_MECHANISM)
        {
          json_builder_set_member_name (builder, "matched");
          json_builder_add_boolean_value (builder, step->matched);
        }
      if (step->kind == MS_SPF_STEP_RESULT || step->matched)
        {
          json_builder_set_member_name (builder, "result");
          json_builder_add_string_value (builder, ms_spf_result_to_string (step->result));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "received_spf");
  json_builder_add_string_value (builder, received);
  json_builder_set_member_name (builder, "authentication_results");
  json_builder_add_string_value (builder, auth);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  printf ("%s\n", text);
}

int
ms_cli_spf (int    argc,
            char **argv)
{
  g_autofree char *ip_text = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *helo = NULL;
  g_autofree char *zone_path = NULL;
  g_autofree char *format = NULL;
  g_autofree char *receiver = NULL;
  g_autofree char *lang = NULL;
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(MsDnsZone) zone = NULL;
  g_autoptr(MsSpfResultInfo) info = NULL;
  MsSpfOptions options = { 0 };
  GOptionEntry entries[] = {
    { "ip", 0, 0, G_OPTION_ARG_STRING, &ip_text,
      N_("The SMTP client's IP address (IPv4 or IPv6)"), N_("IP") },
    { "sender", 0, 0, G_OPTION_ARG_STRING, &sender,
      N_("The MAIL FROM address (\"\" for the null reverse-path: the HELO name is checked)"),
      N_("ADDR") },
    { "helo", 0, 0, G_OPTION_ARG_STRING, &helo, N_("The HELO/EHLO name"), N_("NAME") },
    { "zone", 0, 0, G_OPTION_ARG_FILENAME, &zone_path,
      N_("The zone file to answer DNS queries from"), N_("ZONE") },
    { "receiver", 0, 0, G_OPTION_ARG_STRING, &receiver,
      N_("The checking host's name, for %{r} and the header fields"), N_("NAME") },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json"),
      N_("FORMAT") },
    { "lang", 0, 0, G_OPTION_ARG_STRING, &lang, N_("Language of the messages: ja or en"),
      N_("LANG") },
    { NULL }
  };

  ms_cli_set_language_from_args (argc, argv);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("Evaluate SPF (RFC 7208) for a client IP and "
                                           "sender against a zone file, and show the chain "
                                           "of mechanisms that led to the result."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "mailsim spf: %s\n", error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (argc > 1)
    {
      fprintf (stderr, _("mailsim spf: unexpected argument “%s”\n"), argv[1]);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (ip_text == NULL || sender == NULL || zone_path == NULL)
    {
      fprintf (stderr, "%s\n", _("mailsim spf: --ip, --sender and --zone are required"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (format != NULL && strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    {
      fprintf (stderr, _("mailsim spf: unknown format “%s” (text or json)\n"), format);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (strchr (ip_text, '%') == NULL)
    ip = g_inet_address_new_from_string (ip_text);
  if (ip == NULL)
    {
      fprintf (stderr, _("mailsim spf: “%s” is not an IPv4 or IPv6 address\n"), ip_text);
      return MS_CLI_EXIT_BAD_INPUT;
    }
  if (*sender == '\0' && (helo == NULL || *helo == '\0'))
    {
      fprintf (stderr, "%s\n", _("mailsim spf: an empty --sender needs --helo (the HELO "
                                 "identity is checked then)"));
      return MS_CLI_EXIT_BAD_INPUT;
    }
  /* the angle brackets of MAIL FROM:<a@b> are not part of the address */
  if (sender[0] == '<' && sender[strlen (sender) - 1] == '>' && strlen (sender) >= 2)
    {
      char *inner = g_strndup (sender + 1, strlen (sender) - 2);

      g_free (sender);
      sender = inner;
    }

  zone = ms_dns_zone_new_from_file (zone_path, &error);
  if (zone == NULL)
    {
      fprintf (stderr, _("mailsim spf: cannot use the zone: %s\n"), error->message);
      return MS_CLI_EXIT_BAD_INPUT;
    }

  options.receiver = receiver;
  ms_spf_check_host_full (zone, ip, NULL, sender, helo, &options, &info);
  if (format != NULL && strcmp (format, "json") == 0)
    print_json (info, receiver);
  else
    print_text (info, receiver);
  return MS_CLI_EXIT_OK;
}
