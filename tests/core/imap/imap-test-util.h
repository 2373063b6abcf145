/* imap-test-util.h: driving MsImapServer in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-imap-server.h"
#include "ms-test-chunks.h"

typedef struct
{
  MsMailStore    *store;
  MsImapServer   *server;
  MsTrace        *trace;
  GString        *out;
  gboolean        closed;
  gboolean        tls_requested;
} ImapHarness;

/* A store with alice@example.com / "secret" and bob@example.com / "hunter2". */
MsMailStore  *imap_test_store_new     (void);
ImapHarness  *imap_harness_new        (MsMailStore *store, const MsImapServerConfig *config);
void          imap_harness_free       (ImapHarness *h);
void          imap_harness_feed       (ImapHarness *h, const char *text,
                                       MsChunking chunking, guint32 seed);
/* Returns and forgets what the server said so far. */
char         *imap_harness_take       (ImapHarness *h);
/* Adds a message with a fixed internal date to the user's folder. */
MsStoredMessage *imap_test_add        (MsMailStore *store, const char *user, const char *folder,
                                       const char *raw, MsMessageFlags flags);

/* Runs input (after the greeting) against a fresh store prepared by setup, whole,
 * byte by byte and in random splits, checks all give the same output and returns it
 * (without the greeting). */
typedef void (*ImapSetupFunc) (MsMailStore *store);
char         *imap_converse           (ImapSetupFunc setup, const char *input);
char         *imap_converse_config    (ImapSetupFunc setup, const MsImapServerConfig *config,
                                       const char *input);

extern const MsImapServerConfig imap_test_config;
extern const MsChunking imap_all_chunkings[3];

/* Lines of text with CRLF; helps writing expectations. */
#define L(s) s "\r\n"
