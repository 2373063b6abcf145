/* fuzz-pop3-server.c: any client bytes give +OK/-ERR, never a crash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-engine.h"
#include "ms-pop3-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsMailStore) store = fuzz_store_new ();
  g_autoptr(MsTrace) trace = ms_trace_new ("live", "fuzz");
  g_autoptr(MsPop3Server) server = NULL;
  MsPop3ServerConfig config;

  ms_pop3_server_config_init (&config);
  config.hostname = "pop.example.test";
  config.tls_available = TRUE;
  server = ms_pop3_server_new (&config, store);
  fuzz_drive_engine (MS_ENGINE (server), trace, MS_PROTOCOL_POP3, data, size);
  return 0;
}
