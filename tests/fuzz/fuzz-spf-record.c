/* fuzz-spf-record.c: SPF record parsing, macro expansion and a whole check_host() over a
 * record taken from the input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ms-spf.h"
#include "ms-spf-macro.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);


/* a fresh zone per input: state kept across runs would defeat libFuzzer's leak check */
static MsDnsZone *
build_zone (void)
{
  MsDnsZone *zone;
  static const char text[] =
    "example.com       A     192.0.2.1\n"
    "example.com       MX    10 mx.example.com\n"
    "mx.example.com    A     192.0.2.25\n"
    "mx.example.com    AAAA  2001:db8::25\n"
    "1.2.0.192.in-addr.arpa PTR example.com\n"
    "inc.example.com   TXT   \"v=spf1 a -all\"\n"
    "loop.example.com  TXT   \"v=spf1 include:loop.example.com\"\n"
    "exp.example.com   TXT   \"%{i} %{c} %{r} %{t} %{p} not allowed for %{l}@%{o}\"\n"
    "slow.example.com  TIMEOUT\n";

  zone = ms_dns_zone_new ();
  g_assert (ms_dns_zone_load_data (zone, text, -1, "fuzz", NULL));
  return zone;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsDnsZone) zone = NULL;
  g_autoptr(GInetAddress) ip = NULL;
  g_autoptr(MsSpfResultInfo) info = NULL;
  g_autofree char *record = NULL;
  g_autofree char *problem = NULL;
  g_autofree char *expanded = NULL;
  g_autoptr(GPtrArray) strings = NULL;
  MsSpfMacroContext ctx = { 0 };
  const guint8 v4[4] = { 192, 0, 2, 1 };
  const guint8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x25 };

  if (size < 1)
    return 0;
  zone = build_zone ();

  /* the record parser on raw bytes */
  ms_spf_record_check_syntax ((const char *) data + 1, size - 1, &problem);

  /* the macro expander, as domain-spec and as explanation text */
  ip = g_inet_address_new_from_bytes ((data[0] & 1) ? v6 : v4,
                                      (data[0] & 1) ? G_SOCKET_FAMILY_IPV6
                                                    : G_SOCKET_FAMILY_IPV4);
  ctx.sender = "strong-bad@email.example.com";
  ctx.local_part = "strong-bad";
  ctx.sender_domain = "email.example.com";
  ctx.domain = "email.example.com";
  ctx.ip = ip;
  ctx.helo = "mail.example.org";
  ctx.timestamp = 1;
  ms_spf_macro_expand ((const char *) data + 1, size - 1, (data[0] & 2) != 0, &ctx, &expanded,
                       NULL);

  /* a whole evaluation with the input as the TXT record of a fresh name */
  record = g_strdup ("fuzz.example.com");
  strings = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_ptr_array_add (strings, g_bytes_new (data + 1, size - 1));
  ms_dns_zone_add_txt_bytes (zone, record, MS_DNS_TYPE_TXT, strings);
  ms_spf_check_host (zone, ip, NULL, (data[0] & 4) ? "" : "user@fuzz.example.com",
                     "fuzz.example.com", &info);
  g_assert (info->explanation != NULL);
  {
    g_autofree char *received = ms_spf_format_received_spf (info, "mx.example.net");
    g_autofree char *auth = ms_spf_format_auth_results (info);

    g_assert (received != NULL && auth != NULL);
  }
  return 0;
}
