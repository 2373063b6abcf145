/* ms-trace.h: the trace, the one data model every view reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A trace is an ordered, timestamped record of what happened: sessions with their
 * protocol lines, events (policy decisions, blocked packets, deliveries, narration),
 * message snapshots and scenario expectations. Simulator, live lab and pcap analyzer
 * all produce one; the CLI, the window and the exporters only read it.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "ms-json-writer.h"

G_BEGIN_DECLS

typedef enum
{
  MS_PROTOCOL_UNKNOWN,
  MS_PROTOCOL_SMTP,
  MS_PROTOCOL_POP3,
  MS_PROTOCOL_IMAP,
  MS_PROTOCOL_DNS,
  MS_PROTOCOL_HTTP,
} MsProtocol;

typedef enum
{
  MS_TLS_NONE,
  MS_TLS_STARTTLS,  /* switched to TLS after a STARTTLS/STLS command */
  MS_TLS_IMPLICIT,  /* TLS from the first byte (465, 995, 993) */
} MsTlsMode;

typedef enum
{
  MS_DIR_CLIENT = 'C',  /* sent by the client */
  MS_DIR_SERVER = 'S',  /* sent by the server */
} MsDirection;

typedef enum
{
  MS_LINE_COMMAND,  /* a client command: verb (and IMAP tag) are parsed out */
  MS_LINE_REPLY,    /* a server reply or response: code/status parsed out */
  MS_LINE_AUTH,     /* a client's SASL response line (base64, may carry a password) */
  MS_LINE_DATA,     /* a summary of message content (DATA, RETR, TOP, a literal) */
  MS_LINE_NOTE,     /* something the engine says about the stream, not on the wire */
} MsLineKind;

typedef struct _MsTraceLine MsTraceLine;
typedef struct _MsTraceSession MsTraceSession;
typedef struct _MsTraceEvent MsTraceEvent;
typedef struct _MsTraceMessage MsTraceMessage;

struct _MsTraceLine
{
  gint64       t_us;      /* microseconds since the trace started */
  MsDirection  dir;
  MsLineKind   kind;
  char        *text;      /* the line without CRLF, as sent (may be non-UTF-8) */
  char        *command;   /* upper-case verb for commands ("MAIL", "UID FETCH"), or NULL */
  char        *tag;       /* IMAP tag, or NULL */
  int          code;      /* SMTP reply code, or 0 */
  const char  *status;    /* "+OK" "-ERR" "OK" "NO" "BAD" "PREAUTH" "BYE", or NULL */
  gsize        wire_len;  /* bytes on the wire for this line, CRLF included */
  gboolean     secret;    /* carries credentials (AUTH, PASS, LOGIN) */
  guint64      frame;     /* capture frame (1-based) that completed the line; 0: none (simulated) */
};

struct _MsTraceSession
{
  guint        id;
  MsProtocol   protocol;
  char        *client;       /* "ADDR:PORT", IPv6 as "[ADDR]:PORT" */
  char        *server;
  char        *client_node;  /* a node name in a simulated network, or NULL */
  char        *server_node;
  MsTlsMode    tls;
  gint64       opened_us;
  gint64       closed_us;    /* -1 while open */
  GPtrArray   *lines;        /* of MsTraceLine*, owned */
  /* private */
  gpointer     trace;        /* the MsTrace that owns this session (not a reference) */
};

struct _MsTraceEvent
{
  gint64      t_us;
  char       *type;     /* "blocked", "policy", "delivered", "narration", "dns", ... */
  char       *node;     /* the node that decided or acted, or NULL */
  guint       session;  /* session id, or 0 */
  JsonObject *fields;   /* further members, in insertion order: "reason", "check", "result" ... */
};

struct _MsTraceMessage
{
  guint     session;
  gint64    t_us;
  char     *node;        /* where this snapshot was taken, or NULL */
  char     *mail_from;   /* envelope sender ("" for the null reverse-path) */
  GStrv     rcpt_to;     /* envelope recipients */
  char     *subject;     /* decoded to UTF-8, or NULL */
  char     *message_id;
  GPtrArray *headers;    /* of GStrv {name, raw value}, in order */
  GBytes   *raw;         /* the whole message as transferred, for --export-messages */
};

#define MS_TYPE_TRACE (ms_trace_get_type ())
G_DECLARE_FINAL_TYPE (MsTrace, ms_trace, MS, TRACE, GObject)

typedef gint64 (*MsTraceClockFunc) (gpointer user_data);

MsTrace        *ms_trace_new                 (const char       *source_kind,
                                              const char       *source_name);
const char     *ms_trace_get_source_kind     (MsTrace          *self);
const char     *ms_trace_get_source_name     (MsTrace          *self);
void            ms_trace_set_clock           (MsTrace          *self,
                                              MsTraceClockFunc  func,
                                              gpointer          user_data);
gint64          ms_trace_now                 (MsTrace          *self);
/* Capture traces: the frame being handled now (1-based, 0: none); every line added
 * until the next call gets it as MsTraceLine.frame. */
void            ms_trace_set_current_frame   (MsTrace          *self,
                                              guint64           frame);

MsTraceSession *ms_trace_open_session        (MsTrace          *self,
                                              MsProtocol        protocol,
                                              const char       *client,
                                              const char       *server);
void            ms_trace_close_session       (MsTrace          *self,
                                              MsTraceSession   *session);
/* Frees a closed session and its messages (streaming readers, after "session-closed"). */
void            ms_trace_forget_session      (MsTrace          *self,
                                              MsTraceSession   *session);
guint           ms_trace_get_n_sessions      (MsTrace          *self);
MsTraceSession *ms_trace_get_session         (MsTrace          *self,
                                              guint             index);
MsTraceSession *ms_trace_find_session        (MsTrace          *self,
                                              guint             id);

MsTraceEvent   *ms_trace_add_event           (MsTrace          *self,
                                              const char       *type,
                                              const char       *node,
                                              guint             session,
                                              const char       *first_key,
                                              ...) G_GNUC_NULL_TERMINATED;
guint           ms_trace_get_n_events        (MsTrace          *self);
MsTraceEvent   *ms_trace_get_event           (MsTrace          *self,
                                              guint             index);

MsTraceMessage *ms_trace_add_message         (MsTrace          *self,
                                              guint             session,
                                              const char       *node,
                                              const char       *mail_from,
                                              const char * const *rcpt_to,
                                              GBytes           *raw);
guint           ms_trace_get_n_messages      (MsTrace          *self);
MsTraceMessage *ms_trace_get_message         (MsTrace          *self,
                                              guint             index);

void            ms_trace_add_expectation     (MsTrace          *self,
                                              const char       *text,
                                              gboolean          ok);
guint           ms_trace_get_n_expectations  (MsTrace          *self);
const char     *ms_trace_get_expectation     (MsTrace          *self,
                                              guint             index,
                                              gboolean         *ok);

/* The simulated network (networks, nodes, roles, ports), or NULL */
void            ms_trace_set_topology        (MsTrace          *self,
                                              JsonObject       *topology);
JsonObject     *ms_trace_get_topology        (MsTrace          *self);

/* Sessions */
MsTraceLine    *ms_trace_session_add_line    (MsTraceSession   *session,
                                              MsDirection       dir,
                                              MsLineKind        kind,
                                              const char       *text,
                                              gssize            len);
void            ms_trace_session_set_tls     (MsTraceSession   *session,
                                              MsTlsMode         tls);
void            ms_trace_session_set_nodes   (MsTraceSession   *session,
                                              const char       *client_node,
                                              const char       *server_node);
guint           ms_trace_session_get_n_lines (MsTraceSession   *session);
MsTraceLine    *ms_trace_session_get_line    (MsTraceSession   *session,
                                              guint             index);

/* Names as they appear in JSON */
const char     *ms_protocol_to_string        (MsProtocol        protocol);
MsProtocol      ms_protocol_from_string      (const char       *name);
const char     *ms_tls_mode_to_string        (MsTlsMode         tls);
char           *ms_format_endpoint           (const char       *address,
                                              guint16           port);

/* RFC 2047 decoding of a raw header value, to UTF-8 (never NULL for non-NULL input). */
char           *ms_trace_decode_header_text  (const char       *raw);

/* Classify one line of a protocol: fills command/tag/code/status/secret. */
void            ms_trace_line_classify       (MsTraceLine      *line,
                                              MsProtocol        protocol);

/* JSON as in CLI.md */
JsonNode       *ms_trace_to_json             (MsTrace          *self);
char           *ms_trace_to_json_string      (MsTrace          *self,
                                              gboolean          pretty);
JsonNode       *ms_trace_session_to_json     (MsTraceSession   *session);
JsonNode       *ms_trace_event_to_json       (MsTraceEvent     *event);
JsonNode       *ms_trace_message_to_json     (MsTraceMessage   *message);

/* The same objects written as they go (ms-json-writer.h): `analyze` streams with these.
 * A message's members are written without the braces so that callers can add more. */
void            ms_trace_line_write_json     (MsJsonWriter     *w,
                                              MsTraceLine      *line);
void            ms_trace_session_write_json  (MsJsonWriter     *w,
                                              MsTraceSession   *session);
void            ms_trace_message_write_json_members (MsJsonWriter   *w,
                                                     MsTraceMessage *message);
void            ms_trace_event_write_json    (MsJsonWriter     *w,
                                              MsTraceEvent     *event);

/* Reading back that JSON (ms-trace-json-load.c): one document (`run`, `analyze`) or one
 * object a line (`serve --trace`, `capture`). */
#define MS_TRACE_JSON_ERROR (ms_trace_json_error_quark ())
typedef enum
{
  MS_TRACE_JSON_ERROR_INVALID,  /* not JSON, or not a trace */
} MsTraceJsonError;

GQuark          ms_trace_json_error_quark    (void);
MsTrace        *ms_trace_new_from_json       (const char       *data,
                                              gssize            len,
                                              GError          **error);
MsTrace        *ms_trace_new_from_json_file  (const char       *path,
                                              GError          **error);

G_END_DECLS
