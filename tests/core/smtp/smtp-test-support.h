/* smtp-test-support.h: a scriptable policy, a fixed clock and wiring for SMTP tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ms-smtp-client.h"
#include "ms-smtp-server.h"
#include "ms-test-chunks.h"

/* 2023-11-14 22:13:20 UTC, a Tuesday */
#define TEST_CLOCK_US (G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC)

/* ---- TestPolicy: users alice/bob@example.com, local domain example.com --------- */

#define TEST_TYPE_POLICY (test_policy_get_type ())
G_DECLARE_FINAL_TYPE (TestPolicy, test_policy, TEST, POLICY, GObject)

struct _TestPolicy
{
  GObject      parent_instance;
  GHashTable  *passwords;        /* user -> password */
  GPtrArray   *messages;         /* GBytes* delivered */
  GPtrArray   *senders;          /* char* reverse paths delivered */
  GPtrArray   *envelopes;        /* char* "from|rcpt,rcpt|relayed" */
  MsSmtpReply *deliver_reply;    /* NULL: default 250 */
  gboolean     no_auth;          /* pretend authenticate/get_password are missing */
};

TestPolicy *test_policy_new (void);

/* ---- Running a scripted conversation against a server ------------------------------ */

typedef struct
{
  MsSmtpServer   *server;
  MsTrace        *trace;
  MsTraceSession *session;
  GString        *out;
  guint           tls_requests;
  guint           close_requests;
} ServerRun;

gint64      test_clock        (gpointer user_data);
void        test_server_config (MsSmtpServerConfig *config);
ServerRun  *server_run_new    (const MsSmtpServerConfig *config,
                               MsSmtpPolicy             *policy);
void        server_run_feed   (ServerRun                *run,
                               const char               *input,
                               MsChunking                chunking,
                               guint32                   seed);
void        server_run_free   (ServerRun                *run);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ServerRun, server_run_free)

/* The final lines' "code" or "code esc" of each reply, space separated:
 * "220 250 250 354 250 221". */
char       *reply_codes       (const char               *output);
/* Keeps a string alive to the end of the test (for use inside assertions). */
const char *keep              (char                     *text);
/* Only the output after the first n bytes. */
const char *output_tail       (ServerRun                *run,
                               gsize                     from);

/* ---- Wiring a client to a server in memory -------------------------------------------- */

typedef struct
{
  MsSmtpServer   *server;
  MsSmtpClient   *client;
  MsTrace        *trace;
  MsTraceSession *server_session;
  MsTraceSession *client_session;
  GByteArray     *to_server;
  GByteArray     *to_client;
  gboolean        server_tls;     /* asked for TLS, handshake not yet done */
  gboolean        client_tls;
  gboolean        server_closed;
  gboolean        client_closed;
  guint           finished;
  MsChunking      chunking;
  GRand          *rand;
} Wire;

Wire       *wire_new          (MsSmtpServer *server,
                               MsSmtpClient *client,
                               MsChunking    chunking,
                               guint32       seed);
/* Runs until nothing moves; returns when the client finished or both went quiet. */
void        wire_run          (Wire         *wire);
void        wire_free         (Wire         *wire);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Wire, wire_free)

#define FOR_EACH_CHUNKING(c, seed) \
  for (guint c##_i = 0; c##_i < 3; c##_i++) \
    for (guint32 seed = 1; seed <= (c##_i == 2 ? 6u : 1u); seed++) \
      for (MsChunking c = (MsChunking) c##_i, c##_once = 1; c##_once; c##_once = 0)
