/* fuzz-imap-server.c: MsImapServer must take any bytes in any state (libFuzzer target)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The first byte picks the state to start from (greeting, logged in, a mailbox selected,
 * idling, inside AUTHENTICATE) and how the rest is split into reads: a deeper-state
 * companion of fuzz-imap-server.c, with seeds in corpus/imap-states/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ms-imap-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char message[] =
  "From: Bob <bob@example.com>\r\nTo: alice@example.com, Team: a@b, c@d;\r\n"
  "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n"
  "Content-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\n\r\nhello\r\n--X\r\n"
  "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody\r\n--X--\r\n";

static void
discard (MsEngine *engine, const guint8 *bytes, gsize len, gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char *const prefixes[] = {
    "",
    "a LOGIN alice secret\r\n",
    "a LOGIN alice secret\r\nb SELECT INBOX\r\n",
    "a LOGIN alice secret\r\nb SELECT INBOX\r\nc IDLE\r\n",
    "a AUTHENTICATE PLAIN\r\n",
  };
  const MsImapServerConfig config = {
    .hostname = "fuzz", .allow_plain_login_without_tls = TRUE, .max_literal = 4096,
    .max_command = 4096,
  };
  g_autoptr(MsMailStore) store = NULL;
  g_autoptr(MsImapServer) server = NULL;
  g_autoptr(GBytes) raw = NULL;
  gsize step;

  if (size < 1)
    return 0;
  store = ms_mail_store_new ();
  ms_mail_store_add_user (store, "alice@example.com", "secret", NULL);
  raw = g_bytes_new_static (message, sizeof message - 1);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  server = ms_imap_server_new (&config, store);
  ms_engine_set_output_func (MS_ENGINE (server), discard, NULL, NULL);
  ms_engine_start (MS_ENGINE (server));
  {
    const char *prefix = prefixes[data[0] % G_N_ELEMENTS (prefixes)];
    ms_engine_feed (MS_ENGINE (server), (const guint8 *) prefix, strlen (prefix));
  }
  step = (data[0] >> 4) == 0 ? size : (data[0] >> 4);
  for (size_t pos = 1; pos < size; pos += step)
    ms_engine_feed (MS_ENGINE (server), data + pos, MIN (step, size - pos));
  /* a delivery while whatever state the input left */
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  ms_engine_peer_closed (MS_ENGINE (server));
  return 0;
}
