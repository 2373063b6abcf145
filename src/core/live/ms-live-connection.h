/* ms-live-connection.h: one accepted socket driving one engine
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Created by MsLiveServer for each accepted connection. It opens a trace session, feeds
 * what it reads to the engine, writes what the engine says in order, runs the TLS
 * handshake (at once for implicit TLS, after the engine's "tls-requested" for STARTTLS)
 * and closes on "close-requested" after flushing. It emits "finished" exactly once,
 * after which the trace session is closed and the socket released.
 */
#pragma once

#include <gio/gio.h>

#include "ms-engine.h"
#include "ms-live-server.h"

G_BEGIN_DECLS

#define MS_TYPE_LIVE_CONNECTION (ms_live_connection_get_type ())
G_DECLARE_FINAL_TYPE (MsLiveConnection, ms_live_connection, MS, LIVE_CONNECTION, GObject)

/* ENGINE NULL: the server is busy; the connection says so and closes. */
MsLiveConnection *ms_live_connection_new               (MsLiveServer             *server,
                                                        const MsLiveListenerInfo *listener,
                                                        GSocketConnection        *connection,
                                                        MsEngine                 *engine);
void              ms_live_connection_start             (MsLiveConnection         *self);
MsEngine         *ms_live_connection_get_engine        (MsLiveConnection         *self);
MsTraceSession   *ms_live_connection_get_session       (MsLiveConnection         *self);
gboolean          ms_live_connection_is_finished       (MsLiveConnection         *self);

/* Called once a second by the server: enforces the idle and handshake timeouts. */
void              ms_live_connection_check_timeouts    (MsLiveConnection         *self,
                                                        gint64                    now_us);
/* Says goodbye where the protocol has a word for it, flushes and closes. */
void              ms_live_connection_shutdown          (MsLiveConnection         *self);
/* Closes the socket now, without flushing. */
void              ms_live_connection_abort             (MsLiveConnection         *self,
                                                        const char               *reason);

G_END_DECLS
