/* pop3-test-serve.c: MsPop3Server on a real localhost socket, for client interop tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Prints the port it listens on, then serves until stdin closes. The store holds
 * alice@example.com / "secret" with two messages in INBOX (the second one has lines that
 * start with dots).
 */
#include "ms-pop3-server.h"
#include "ms-test-serve.h"

static MsEngine *
new_server (gpointer store)
{
  MsPop3ServerConfig config;

  ms_pop3_server_config_init (&config);
  config.hostname = "pop.example.com";
  return MS_ENGINE (ms_pop3_server_new (&config, store));
}

int
main (void)
{
  static const char first[] =
    "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: hello\r\n\r\nHi Alice!\r\n";
  static const char second[] =
    "From: Carol <carol@example.com>\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n"
    ".leading dot\r\n..two dots\r\n.\r\nend\r\n";
  g_autoptr(MsMailStore) store = ms_mail_store_new ();
  g_autoptr(GBytes) raw1 = g_bytes_new_static (first, sizeof first - 1);
  g_autoptr(GBytes) raw2 = g_bytes_new_static (second, sizeof second - 1);

  ms_mail_store_add_user (store, "alice@example.com", "secret", NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw1, NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw2, NULL);
  return ms_test_serve (new_server, store);
}
