/* fuzz-observe.c: the mail observer must take any bytes in either direction
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: a first byte choosing the server port (SMTP, POP3, IMAP, other), then records
 * of [control byte][payload]: bit 7 the direction, bit 6 a gap instead of data, the low
 * six bits the payload length (gaps: the length is the number of missing bytes).
 */
#include <stddef.h>
#include <stdint.h>

#include "ms-mail-observer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const guint16 ports[] = { 25, 110, 143, 8080 };
  g_autoptr(MsTrace) trace = NULL;
  g_autoptr(MsMailObserver) observer = NULL;
  MsTcpConnInfo info = {
    .id = 1, .client_address = (char *) "2001:db8::1", .client_port = 50000,
    .server_address = (char *) "192.0.2.1", .saw_handshake = TRUE, .first_us = 1000,
  };
  gint64 t = 1000;
  size_t pos = 1;

  if (size < 1)
    return 0;
  info.server_port = ports[data[0] % G_N_ELEMENTS (ports)];
  trace = ms_trace_new ("pcap", "fuzz");
  observer = ms_mail_observer_new (trace);
  ms_mail_observer_set_show_secrets (observer, data[0] & 0x80);
  ms_mail_observer_opened (observer, &info);
  while (pos < size)
    {
      guint8 control = data[pos++];
      MsDirection dir = (control & 0x80) ? MS_DIR_SERVER : MS_DIR_CLIENT;
      size_t len = control & 0x3f;

      t += 10;
      if (control & 0x40)
        {
          ms_mail_observer_gap (observer, &info, dir, t, len + 1);
          continue;
        }
      if (len > size - pos)
        len = size - pos;
      ms_mail_observer_data (observer, &info, dir, t, data + pos, len);
      pos += len;
    }
  ms_mail_observer_closed (observer, &info, t + 10);
  /* the JSON of whatever came out must be producible */
  g_free (ms_trace_to_json_string (trace, FALSE));
  return 0;
}
