/* fuzz-imap-server.c: any client bytes give tagged/untagged responses, never a crash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "fuzz-engine.h"
#include "ms-imap-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsMailStore) store = fuzz_store_new ();
  g_autoptr(MsTrace) trace = ms_trace_new ("live", "fuzz");
  g_autoptr(MsImapServer) server = NULL;
  MsImapServerConfig config = {
    .hostname = "imap.example.test",
    .tls_available = TRUE,
    .allow_plain_login_without_tls = TRUE,
    .max_literal = 256 * 1024,
  };

  server = ms_imap_server_new (&config, store);
  fuzz_drive_engine (MS_ENGINE (server), trace, MS_PROTOCOL_IMAP, data, size);
  return 0;
}
