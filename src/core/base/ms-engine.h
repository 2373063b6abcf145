/* ms-engine.h: the sans-I/O base of every protocol engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An engine takes bytes in (ms_engine_feed) and gives bytes out (the output function),
 * and never touches a socket. The same engine runs over simulated TCP, on real sockets
 * (`mailsim serve`) and in tests. The base class does what all of SMTP, POP3 and IMAP
 * share: CRLF framing with a line limit, literal (counted byte) mode for IMAP, recording
 * every line into the trace, the STARTTLS/STLS hand-over and close requests.
 *
 * Transport contract:
 *   - call ms_engine_start() once connected (servers greet; clients wait);
 *   - write whatever the output function receives, in order;
 *   - on "tls-requested": flush pending output, run the TLS handshake, then call
 *     ms_engine_tls_established() (or ms_engine_peer_closed() if it failed);
 *   - on "close-requested": flush pending output, then close;
 *   - call ms_engine_peer_closed() when the peer goes away.
 */
#pragma once

#include <glib-object.h>

#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_TYPE_ENGINE (ms_engine_get_type ())
G_DECLARE_DERIVABLE_TYPE (MsEngine, ms_engine, MS, ENGINE, GObject)

typedef enum
{
  MS_ENGINE_ROLE_SERVER,
  MS_ENGINE_ROLE_CLIENT,
} MsEngineRole;

typedef void (*MsEngineOutputFunc) (MsEngine     *engine,
                                    const guint8 *data,
                                    gsize         len,
                                    gpointer      user_data);

struct _MsEngineClass
{
  GObjectClass parent_class;

  /* Connected: a server sends its greeting here. */
  void (*start)           (MsEngine     *self);
  /* One complete input line, CRLF (or bare LF) removed. */
  void (*handle_line)     (MsEngine     *self,
                           const char   *line,
                           gsize         len);
  /* The bytes asked for by ms_engine_expect_literal(). */
  void (*handle_literal)  (MsEngine     *self,
                           GBytes       *bytes);
  /* An input line went over the limit; its bytes were discarded up to the next LF. */
  void (*handle_overflow) (MsEngine     *self,
                           gsize         discarded);
  /* TLS is up (after STARTTLS/STLS): forget what the session knew (RFC 3207 §4.2). */
  void (*tls_started)     (MsEngine     *self);
  /* The peer closed the connection. */
  void (*peer_closed)     (MsEngine     *self);

  gpointer padding[8];
};

#define MS_ENGINE_DEFAULT_MAX_LINE 8192

MsEngineRole    ms_engine_get_role           (MsEngine           *self);
void            ms_engine_set_output_func    (MsEngine           *self,
                                              MsEngineOutputFunc  func,
                                              gpointer            user_data,
                                              GDestroyNotify      destroy);
void            ms_engine_set_session        (MsEngine           *self,
                                              MsTraceSession     *session);
MsTraceSession *ms_engine_get_session        (MsEngine           *self);
void            ms_engine_set_endpoints      (MsEngine           *self,
                                              const char         *client_address,
                                              guint16             client_port,
                                              const char         *server_address,
                                              guint16             server_port);
const char     *ms_engine_get_client_address (MsEngine           *self);
guint16         ms_engine_get_client_port    (MsEngine           *self);
const char     *ms_engine_get_server_address (MsEngine           *self);
guint16         ms_engine_get_server_port    (MsEngine           *self);
void            ms_engine_set_max_line       (MsEngine           *self,
                                              gsize               max_line);
gsize           ms_engine_get_max_line       (MsEngine           *self);

/* Transport side */
void            ms_engine_start              (MsEngine           *self);
void            ms_engine_feed               (MsEngine           *self,
                                              const guint8       *data,
                                              gsize               len);
void            ms_engine_tls_established    (MsEngine           *self,
                                              MsTlsMode           mode);
void            ms_engine_peer_closed        (MsEngine           *self);
gboolean        ms_engine_is_closed          (MsEngine           *self);
gboolean        ms_engine_is_tls_pending     (MsEngine           *self);
gboolean        ms_engine_is_tls_active      (MsEngine           *self);

/* Subclass side */
void            ms_engine_send_line          (MsEngine           *self,
                                              MsLineKind          kind,
                                              const char         *format,
                                              ...) G_GNUC_PRINTF (3, 4);
void            ms_engine_send_text          (MsEngine           *self,
                                              MsLineKind          kind,
                                              const char         *text,
                                              gssize              len);
void            ms_engine_send_raw           (MsEngine           *self,
                                              const guint8       *data,
                                              gsize               len);
MsTraceLine    *ms_engine_record_input       (MsEngine           *self,
                                              MsLineKind          kind,
                                              const char         *text,
                                              gssize              len);
MsTraceLine    *ms_engine_record_output      (MsEngine           *self,
                                              MsLineKind          kind,
                                              const char         *text,
                                              gssize              len);
void            ms_engine_expect_literal     (MsEngine           *self,
                                              gsize               len);
void            ms_engine_request_tls        (MsEngine           *self);
void            ms_engine_request_close      (MsEngine           *self);

G_END_DECLS
