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
#include <string.h>

#include "ms-mail-observer.h"
#include "ms-message.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Streaming: each session written as `analyze` writes it. */
static void
on_session_closed (MsTrace        *trace,
                   MsTraceSession *session,
                   GString        *out)
{
  MsJsonWriter w;

  ms_json_writer_init (&w, out, TRUE, 1);
  ms_trace_session_write_json (&w, session);
}

/* The one-pass MIME outline, when it answers, must be MsMessage's. */
static void
on_message_added (MsTrace        *trace,
                  MsTraceMessage *m,
                  GString        *out)
{
  g_autoptr(GPtrArray) fparts = NULL;
  g_autoptr(GPtrArray) fhops = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  gsize len;
  const guint8 *bytes;
  MsJsonWriter w;

  ms_json_writer_init (&w, out, FALSE, 1);
  ms_json_writer_begin_object (&w);
  ms_trace_message_write_json_members (&w, m);
  ms_observer_write_message_details (&w, m->raw);
  ms_json_writer_end_object (&w);
  if (m->raw == NULL)
    return;
  bytes = g_bytes_get_data (m->raw, &len);
  if (!ms_observer_message_outline_fast (bytes, len, &fparts, &fhops))
    return;
  if (!ms_observer_message_outline (m->raw, FALSE, &parts, &hops)
      || parts->len != fparts->len || hops->len != fhops->len)
    __builtin_trap ();
  for (guint i = 0; i < parts->len; i++)
    {
      MsMimePart *a = g_ptr_array_index (fparts, i);
      MsMimePart *b = g_ptr_array_index (parts, i);

      if (strcmp (a->part_number, b->part_number) != 0 || a->size != b->size
          || strcmp (a->content_type, b->content_type) != 0
          || g_strcmp0 (a->filename, b->filename) != 0)
        __builtin_trap ();
    }
}

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
  g_autoptr(GString) out = g_string_new (NULL);

  if (size < 1)
    return 0;
  info.server_port = ports[data[0] % G_N_ELEMENTS (ports)];
  trace = ms_trace_new ("pcap", "fuzz");
  observer = ms_mail_observer_new (trace);
  ms_mail_observer_set_show_secrets (observer, data[0] & 0x80);
  /* half the inputs stream, as `analyze` does */
  if (data[0] & 0x40)
    {
      ms_mail_observer_set_forget_closed (observer, TRUE);
      g_signal_connect (trace, "session-closed", G_CALLBACK (on_session_closed), out);
    }
  g_signal_connect (trace, "message-added", G_CALLBACK (on_message_added), out);
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
