/* fuzz-imap-client.c: the IMAP client must take any server bytes, literals included
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-imap-client.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
discard (MsEngine *engine, const guint8 *bytes, gsize len, gpointer user_data)
{
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(MsImapClient) client = ms_imap_client_new ();
  g_autoptr(GBytes) message = g_bytes_new_static ("Subject: x\r\n\r\ny\r\n", 17);

  ms_imap_client_capability (client);
  ms_imap_client_login (client, "alice", "s\xc3\xa9");
  ms_imap_client_select (client, "INBOX");
  ms_imap_client_append (client, "INBOX", "(\\Seen)", message);
  ms_imap_client_idle (client, 1);
  ms_imap_client_starttls (client);
  ms_imap_client_fetch (client, TRUE, "1:*", "(UID BODY.PEEK[])");
  ms_imap_client_logout (client);
  ms_engine_set_output_func (MS_ENGINE (client), discard, NULL, NULL);
  ms_engine_start (MS_ENGINE (client));
  ms_engine_feed (MS_ENGINE (client), data, size);
  if (ms_engine_is_tls_pending (MS_ENGINE (client)))
    {
      ms_engine_tls_established (MS_ENGINE (client), MS_TLS_STARTTLS);
      ms_engine_feed (MS_ENGINE (client), data, size);
    }
  ms_engine_peer_closed (MS_ENGINE (client));
  g_assert (ms_imap_client_is_finished (client));
  return 0;
}
