/* fuzz-pop3-client.c: the POP3 client must take any server bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * First byte: config bits (APOP, STLS, require TLS, SASL PLAIN, delete after RETR);
 * the rest: what the server sends.
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-pop3-client.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
discard (MsEngine *engine, const guint8 *bytes, gsize len, gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsPop3Client) client = NULL;
  MsPop3ClientConfig config = { .user = "alice", .password = "secret" };

  if (size < 1)
    return 0;
  config.use_apop = data[0] & 1;
  config.use_stls = (data[0] & 2) != 0;
  config.require_tls = (data[0] & 4) != 0;
  config.use_sasl_plain = (data[0] & 8) != 0;
  config.delete_after_retrieve = (data[0] & 16) != 0;
  client = ms_pop3_client_new (&config);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_STAT, 0, 0);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_UIDL, 0, 0);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_RETR_ALL, 0, 0);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_TOP, 1, 3);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_LIST, 2, 0);
  ms_pop3_client_add_action (client, MS_POP3_ACTION_RSET, 0, 0);
  ms_engine_set_output_func (MS_ENGINE (client), discard, NULL, NULL);
  ms_engine_start (MS_ENGINE (client));
  ms_engine_feed (MS_ENGINE (client), data + 1, size - 1);
  if (ms_engine_is_tls_pending (MS_ENGINE (client)))
    {
      ms_engine_tls_established (MS_ENGINE (client), MS_TLS_STARTTLS);
      ms_engine_feed (MS_ENGINE (client), data + 1, size - 1);
    }
  ms_engine_peer_closed (MS_ENGINE (client));
  g_assert (ms_pop3_client_is_finished (client));
  return 0;
}
