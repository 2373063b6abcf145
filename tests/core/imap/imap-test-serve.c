/* imap-test-serve.c: MsImapServer on a real localhost socket, for client interop tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints the port it listens on, then serves until stdin closes. The store holds
 * alice@example.com / "secret" with one message in INBOX.
 */
#include "ms-imap-server.h"
#include "ms-test-serve.h"

static MsEngine *
new_server (gpointer store)
{
  const MsImapServerConfig config = {
    .hostname = "localhost", .allow_plain_login_without_tls = TRUE,
  };

  return MS_ENGINE (ms_imap_server_new (&config, store));
}

int
main (void)
{
  static const char message[] =
    "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: hello\r\n"
    "Date: Tue, 05 Mar 2024 19:00:00 +0900\r\n\r\nHi Alice!\r\n";
  g_autoptr(MsMailStore) store = ms_mail_store_new ();
  g_autoptr(GBytes) raw = g_bytes_new_static (message, sizeof message - 1);

  ms_mail_store_add_user (store, "alice@example.com", "secret", NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  return ms_test_serve (new_server, store);
}
