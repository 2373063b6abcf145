/* fuzz-pop3-server.c: the POP3 server must take any client bytes, in any split
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * First byte: config (bit 0 TLS available, bit 1 plaintext allowed) and where the input
 * is split; the rest: what the client sends. A TLS request is granted and the input
 * after the split point is fed again over "TLS".
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-pop3-server.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char message[] =
  "From: bob@example.net\r\nSubject: x\r\n\r\n.dot\r\n..two\r\n.\r\nend\r\n";

static void
discard (MsEngine *engine, const guint8 *bytes, gsize len, gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsMailStore) store = NULL;
  g_autoptr(MsPop3Server) server = NULL;
  g_autoptr(GBytes) raw = NULL;
  MsPop3ServerConfig config;
  size_t split;

  if (size < 1)
    return 0;
  store = ms_mail_store_new ();
  raw = g_bytes_new_static (message, sizeof message - 1);
  ms_mail_store_add_user (store, "alice@example.com", "secret", NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);
  ms_mail_store_deliver (store, "alice@example.com", raw, NULL);

  ms_pop3_server_config_init (&config);
  config.tls_available = data[0] & 1;
  config.allow_plain_login_without_tls = (data[0] & 2) != 0;
  config.apop_pid = 1;
  config.apop_clock = 2;
  config.max_errors = 50;
  server = ms_pop3_server_new (&config, store);
  ms_engine_set_output_func (MS_ENGINE (server), discard, NULL, NULL);
  ms_engine_start (MS_ENGINE (server));

  data++;
  size--;
  split = size > 0 ? (size_t) (data[0] * 7u) % size : 0;
  ms_engine_feed (MS_ENGINE (server), data, split);
  ms_engine_feed (MS_ENGINE (server), data + split, size - split);
  if (ms_engine_is_tls_pending (MS_ENGINE (server)))
    {
      ms_engine_tls_established (MS_ENGINE (server), MS_TLS_STARTTLS);
      ms_engine_feed (MS_ENGINE (server), data + split, size - split);
    }
  ms_engine_peer_closed (MS_ENGINE (server));
  return 0;
}
