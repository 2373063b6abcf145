/* fuzz-smtp-server.c: any client bytes give replies, never a crash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-engine.h"
#include "ms-smtp-server.h"
#include "ms-smtp-store-policy.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsMailStore) store = fuzz_store_new ();
  g_autoptr(MsSmtpStorePolicy) policy = ms_smtp_store_policy_new (store, "mx.example.test");
  g_autoptr(MsTrace) trace = ms_trace_new ("live", "fuzz");
  g_autoptr(MsSmtpServer) server = NULL;
  MsSmtpServerConfig config;

  ms_smtp_server_config_init (&config);
  config.hostname = "mx.example.test";
  config.tls_available = TRUE;
  config.allow_plain_auth_without_tls = TRUE;
  config.max_message_size = 64 * 1024;
  config.submission = size > 0 && (data[0] & 1);
  server = ms_smtp_server_new (&config, MS_SMTP_POLICY (policy));
  fuzz_drive_engine (MS_ENGINE (server), trace, MS_PROTOCOL_SMTP, data, size);
  return 0;
}
