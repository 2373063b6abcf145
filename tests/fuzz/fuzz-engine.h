/* fuzz-engine.h: drive a server engine with arbitrary client bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the SMTP, POP3 and IMAP server targets: a store with two users and a few
 * messages, a trace, TLS hand-overs accepted at once, the input fed in pieces whose size
 * depends on the input so that framing across reads gets exercised too.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ms-engine.h"
#include "ms-mail-store.h"

static const char fuzz_message[] =
  "From: Alice <alice@example.test>\r\n"
  "To: bob@example.test\r\n"
  "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n"
  "Message-ID: <1@example.test>\r\n"
  "MIME-Version: 1.0\r\n"
  "Content-Type: multipart/mixed; boundary=\"b\"\r\n"
  "\r\n"
  "--b\r\n"
  "Content-Type: text/plain; charset=us-ascii\r\n"
  "\r\n"
  "hello\r\n"
  ".dot line\r\n"
  "--b\r\n"
  "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
  "Content-Transfer-Encoding: base64\r\n"
  "\r\n"
  "AAEC\r\n"
  "--b--\r\n";

static MsMailStore *
fuzz_store_new (void)
{
  MsMailStore *store = ms_mail_store_new ();
  GBytes *raw = g_bytes_new_static (fuzz_message, sizeof fuzz_message - 1);

  ms_mail_store_add_user (store, "alice@example.test", "wonderland", NULL);
  ms_mail_store_add_user (store, "bob@example.test", "builder", NULL);
  ms_mail_store_create_mailbox (store, "bob@example.test", "Archive/2026", NULL);
  for (int i = 0; i < 3; i++)
    ms_mail_store_deliver (store, "bob@example.test", raw, NULL);
  g_bytes_unref (raw);
  return store;
}

static void
fuzz_discard_output (MsEngine     *engine,
                     const guint8 *data,
                     gsize         len,
                     gpointer      user_data)
{
  /* touch every byte so that ASan sees reads past the end */
  volatile guint8 sink = 0;

  for (gsize i = 0; i < len; i++)
    sink ^= data[i];
  (void) sink;
}

static void
fuzz_accept_tls (MsEngine *engine,
                 gpointer  user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
fuzz_drive_engine (MsEngine      *engine,
                   MsTrace       *trace,
                   MsProtocol     protocol,
                   const uint8_t *data,
                   size_t         size)
{
  MsTraceSession *session = ms_trace_open_session (trace, protocol, "192.0.2.7:40000",
                                                   "192.0.2.1:25");
  gboolean tls_requested = FALSE;
  size_t chunk = 1 + size % 13;
  size_t pos = 0;

  ms_engine_set_session (engine, session);
  ms_engine_set_endpoints (engine, "192.0.2.7", 40000, "192.0.2.1", 25);
  ms_engine_set_output_func (engine, fuzz_discard_output, NULL, NULL);
  g_signal_connect (engine, "tls-requested", G_CALLBACK (fuzz_accept_tls), &tls_requested);
  ms_engine_start (engine);
  while (pos < size && !ms_engine_is_closed (engine))
    {
      size_t n = MIN (chunk, size - pos);

      ms_engine_feed (engine, data + pos, n);
      pos += n;
      if (tls_requested)
        {
          tls_requested = FALSE;
          ms_engine_tls_established (engine, MS_TLS_STARTTLS);
        }
    }
  ms_engine_peer_closed (engine);
  ms_trace_close_session (trace, session);
}
