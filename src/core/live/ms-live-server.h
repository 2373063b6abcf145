/* ms-live-server.h: the protocol engines on real sockets (`mailsim serve`)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An MsLiveServer owns a set of listening sockets, one per protocol and TLS mode. Each
 * accepted connection gets a fresh engine from the listener's factory and an
 * MsLiveConnection that moves bytes between the socket and the engine (the transport
 * contract of ms-engine.h), switches to TLS on request and records a trace session.
 * Everything runs on the thread-default main context of the caller; no threads.
 */
#pragma once

#include <gio/gio.h>

#include "ms-engine.h"
#include "ms-mail-store.h"
#include "ms-trace.h"

G_BEGIN_DECLS

#define MS_LIVE_SERVER_ERROR (ms_live_server_error_quark ())

typedef enum
{
  MS_LIVE_SERVER_ERROR_FAILED,
  MS_LIVE_SERVER_ERROR_NO_CERTIFICATE,  /* implicit TLS asked for without a certificate */
  MS_LIVE_SERVER_ERROR_BAD_ADDRESS,
  MS_LIVE_SERVER_ERROR_CERTIFICATE,     /* could not make, read or write a certificate */
} MsLiveServerError;

GQuark ms_live_server_error_quark (void);

typedef enum
{
  MS_LIVE_MODE_PLAIN,     /* cleartext, STARTTLS not offered */
  MS_LIVE_MODE_STARTTLS,  /* cleartext, STARTTLS/STLS offered when a certificate is set */
  MS_LIVE_MODE_IMPLICIT,  /* TLS from the first byte (465, 995, 993) */
} MsLiveMode;

/* What an engine factory knows about the port a client connected to. */
typedef struct
{
  const char *name;           /* "smtp", "submission", "pop3s", ... */
  MsProtocol  protocol;
  MsLiveMode  mode;
  gboolean    tls_available;  /* STARTTLS may be offered (mode STARTTLS and a certificate) */
  guint16     port;           /* the bound port */
} MsLiveListenerInfo;

typedef struct _MsLiveServer MsLiveServer;

/* Returns a new server engine (full reference) for one accepted connection. */
typedef MsEngine *(*MsLiveEngineFactory) (MsLiveServer             *server,
                                          const MsLiveListenerInfo *listener,
                                          gpointer                  user_data);

/* Limits; each can be changed per server. */
#define MS_LIVE_DEFAULT_MAX_CONNECTIONS  200
#define MS_LIVE_SMTP_IDLE_TIMEOUT        300   /* RFC 5321 §4.5.3.2.7: at least 5 minutes */
#define MS_LIVE_POP3_IDLE_TIMEOUT        600   /* RFC 1939 §3: at least 10 minutes */
#define MS_LIVE_IMAP_IDLE_TIMEOUT       1800   /* RFC 9051 §5.4: at least 30 minutes */
#define MS_LIVE_TLS_HANDSHAKE_TIMEOUT     30
#define MS_LIVE_SHUTDOWN_GRACE_MS       2000

#define MS_TYPE_LIVE_SERVER (ms_live_server_get_type ())
G_DECLARE_FINAL_TYPE (MsLiveServer, ms_live_server, MS, LIVE_SERVER, GObject)

MsLiveServer    *ms_live_server_new                (MsMailStore          *store,
                                                    MsTrace              *trace,
                                                    const char           *hostname);
MsMailStore     *ms_live_server_get_store          (MsLiveServer         *self);
MsTrace         *ms_live_server_get_trace          (MsLiveServer         *self);
const char      *ms_live_server_get_hostname       (MsLiveServer         *self);
void             ms_live_server_set_certificate    (MsLiveServer         *self,
                                                    GTlsCertificate      *certificate);
GTlsCertificate *ms_live_server_get_certificate    (MsLiveServer         *self);
void             ms_live_server_set_max_connections (MsLiveServer        *self,
                                                    guint                 max_connections);
void             ms_live_server_set_idle_timeout   (MsLiveServer         *self,
                                                    MsProtocol            protocol,
                                                    guint                 seconds);
guint            ms_live_server_get_idle_timeout   (MsLiveServer         *self,
                                                    MsProtocol            protocol);

/* Binds ADDRESS:PORT (PORT 0 picks a free port, returned in *bound_port) and starts
 * accepting on it. */
gboolean         ms_live_server_add_listener       (MsLiveServer         *self,
                                                    const char           *name,
                                                    MsProtocol            protocol,
                                                    MsLiveMode            mode,
                                                    const char           *address,
                                                    guint16               port,
                                                    MsLiveEngineFactory   factory,
                                                    gpointer              user_data,
                                                    GDestroyNotify        destroy,
                                                    guint16              *bound_port,
                                                    GError              **error);
guint            ms_live_server_get_n_connections  (MsLiveServer         *self);

/* Stops accepting, says goodbye where the protocol has a word for it (SMTP 421, IMAP BYE),
 * flushes and closes every connection (forcibly after MS_LIVE_SHUTDOWN_GRACE_MS), closing
 * their trace sessions. */
void             ms_live_server_shutdown_async     (MsLiveServer         *self,
                                                    GCancellable         *cancellable,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gboolean         ms_live_server_shutdown_finish    (MsLiveServer         *self,
                                                    GAsyncResult         *result,
                                                    GError              **error);

/* Named protocol lines the transport itself says (busy, idle timeout, shutdown). */
char            *ms_live_busy_reply                (MsProtocol            protocol,
                                                    const char           *hostname);

G_END_DECLS
