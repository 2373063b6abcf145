/* ms-mail-observer.h: SMTP, POP3 and IMAP sessions rebuilt from captured TCP streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The observer consumes the byte streams of MsTcpStreamCallbacks (one per direction of
 * each TCP connection), recognises the mail protocol by port and by content, and fills
 * an MsTrace with the sessions, their annotated lines and the messages transferred.
 * It only watches: it never answers and never judges the peers.
 */
#pragma once

#include <glib-object.h>

#include "ms-trace.h"
#include "ms-tcp-stream.h"

G_BEGIN_DECLS

/* A line longer than this is cut and recorded; the rest up to the next LF is skipped. */
#define MS_OBSERVER_MAX_LINE       (64 * 1024)
/* Bytes seen on a connection without recognising a mail protocol before giving up. */
#define MS_OBSERVER_MAX_UNKNOWN    4096
/* A message (or literal) kept for extraction at most this large; larger ones are
 * counted but not extracted. */
#define MS_OBSERVER_MAX_MESSAGE    (64 * 1024 * 1024)

#define MS_TYPE_MAIL_OBSERVER (ms_mail_observer_get_type ())
G_DECLARE_FINAL_TYPE (MsMailObserver, ms_mail_observer, MS, MAIL_OBSERVER, GObject)

MsMailObserver *ms_mail_observer_new           (MsTrace                *trace);
MsTrace        *ms_mail_observer_get_trace     (MsMailObserver         *self);
/* Decoded SASL passwords are shown in notes instead of a mask. */
void            ms_mail_observer_set_show_secrets (MsMailObserver      *self,
                                                   gboolean             show);
/* Streaming: each session, with the messages it carried, is dropped from the trace
 * right after the trace's "session-closed" signal (whose handlers write it out), so
 * memory is bounded by the open connections; a message's raw bytes are released as
 * soon as "message-added" has been emitted. Off by default: the window keeps all. */
void            ms_mail_observer_set_forget_closed (MsMailObserver     *self,
                                                    gboolean            forget);
/* Fills callbacks (user_data = self) for ms_capture_reader_set_callbacks. */
void            ms_mail_observer_get_callbacks (MsMailObserver         *self,
                                                MsTcpStreamCallbacks   *callbacks);

/* The callbacks themselves (tests and the fuzzer drive them directly). */
void            ms_mail_observer_opened        (MsMailObserver         *self,
                                                MsTcpConnInfo          *info);
void            ms_mail_observer_data          (MsMailObserver         *self,
                                                MsTcpConnInfo          *info,
                                                MsDirection             dir,
                                                gint64                  t_us,
                                                const guint8           *bytes,
                                                gsize                   len);
void            ms_mail_observer_gap           (MsMailObserver         *self,
                                                MsTcpConnInfo          *info,
                                                MsDirection             dir,
                                                gint64                  t_us,
                                                gsize                   missing);
void            ms_mail_observer_closed        (MsMailObserver         *self,
                                                MsTcpConnInfo          *info,
                                                gint64                  t_us);
/* Closes every connection still open (the live capture stops). */
void            ms_mail_observer_finish        (MsMailObserver         *self,
                                                gint64                  t_us);

/* "1,460": digits grouped by three, as the notes show byte counts. */
char           *ms_observer_format_count       (guint64                 n);

/* Extensions of a message's JSON object: "parts" (type, filename) and "hops" (from, by,
 * date) from the MIME structure and the Received chain of @raw. */
void            ms_observer_add_message_details (JsonObject            *message,
                                                 GBytes                *raw);
/* The same "parts" and "hops" members through a streaming writer. */
void            ms_observer_write_message_details (MsJsonWriter        *w,
                                                   GBytes              *raw);
/* The MIME parts (MsMimePart) and Received hops (MsReceivedHop) of a message, as
 * MsMessage gives them; with @allow_fast a well-formed message is read in one pass
 * without GMime (ms-observer-mime.c). FALSE when MsMessage refuses the message. */
gboolean        ms_observer_message_outline     (GBytes               *raw,
                                                 gboolean              allow_fast,
                                                 GPtrArray           **parts,
                                                 GPtrArray           **hops);
/* The one-pass reader alone: FALSE when it leaves the message to MsMessage (tests). */
gboolean        ms_observer_message_outline_fast (const guint8        *data,
                                                  gsize                len,
                                                  GPtrArray          **parts,
                                                  GPtrArray          **hops);

G_END_DECLS
