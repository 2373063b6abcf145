/* smtp-test-support.c: helpers for the SMTP tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "smtp-test-support.h"

static void test_policy_iface_init (MsSmtpPolicyInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPolicy, test_policy, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MS_TYPE_SMTP_POLICY, test_policy_iface_init))

static char *
tp_authenticate (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info,
                 const char *user, const char *password)
{
  TestPolicy *self = TEST_POLICY (policy);
  const char *expected = g_hash_table_lookup (self->passwords, user);

  if (expected != NULL && g_strcmp0 (expected, password) == 0)
    return g_strdup (user);
  return NULL;
}

static char *
tp_get_password (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info,
                 const char *user, char **canonical)
{
  TestPolicy *self = TEST_POLICY (policy);
  const char *expected = g_hash_table_lookup (self->passwords, user);

  if (expected == NULL)
    return NULL;
  *canonical = g_strdup (user);
  return g_strdup (expected);
}

static gboolean
tp_check_sender (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info,
                 const char *sender, MsSmtpReply **reply)
{
  if (strstr (sender, "spammer") != NULL)
    {
      *reply = ms_smtp_reply_new (550, "5.7.1", "<%s>: Sender address rejected: listed spammer",
                                  sender);
      return FALSE;
    }
  return TRUE;
}

static MsSmtpVerdict
tp_check_recipient (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info,
                    const char *rcpt, MsSmtpReply **reply)
{
  TestPolicy *self = TEST_POLICY (policy);
  const char *at = strrchr (rcpt, '@');

  if (g_ascii_strcasecmp (rcpt, "moved@example.com") == 0)
    {
      /* RFC 5321 §3.4: accepted, and the sender learns the new address */
      *reply = ms_smtp_reply_new (251, "2.1.5", "User not local; will forward to "
                                  "<moved@elsewhere.example>");
      return MS_SMTP_VERDICT_RELAY;
    }
  if (at == NULL || g_ascii_strcasecmp (at + 1, "example.com") == 0)
    {
      if (at == NULL || g_hash_table_contains (self->passwords, rcpt))
        return MS_SMTP_VERDICT_ACCEPT;
      *reply = ms_smtp_reply_new (550, "5.1.1", "<%s>: Recipient address rejected: "
                                  "User unknown", rcpt);
      return MS_SMTP_VERDICT_DENY;
    }
  if (g_ascii_strcasecmp (at + 1, "busy.example") == 0)
    {
      *reply = ms_smtp_reply_new (450, "4.2.1", "<%s>: Mailbox busy, try later", rcpt);
      return MS_SMTP_VERDICT_DENY;
    }
  if (info->user != NULL)
    return MS_SMTP_VERDICT_RELAY;
  *reply = ms_smtp_reply_new (554, "5.7.1", "<%s>: Relay access denied", rcpt);
  return MS_SMTP_VERDICT_DENY;
}

static MsSmtpReply *
tp_deliver (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info,
            const MsSmtpEnvelope *envelope, GBytes *message)
{
  TestPolicy *self = TEST_POLICY (policy);
  g_autofree char *rcpts = g_strjoinv (",", (char **) envelope->recipients);
  g_autofree char *relayed = g_strjoinv (",", (char **) envelope->relayed);

  g_ptr_array_add (self->messages, g_bytes_ref (message));
  g_ptr_array_add (self->senders, g_strdup (envelope->reverse_path));
  g_ptr_array_add (self->envelopes, g_strdup_printf ("%s|%s|%s%s", envelope->reverse_path,
                                                     rcpts, relayed,
                                                     envelope->eight_bit ? "|8bit" : ""));
  return self->deliver_reply != NULL ? ms_smtp_reply_copy (self->deliver_reply) : NULL;
}

static MsSmtpReply *
tp_vrfy (MsSmtpPolicy *policy, const MsSmtpSessionInfo *info, const char *arg)
{
  TestPolicy *self = TEST_POLICY (policy);

  if (strchr (arg, ' ') != NULL)
    return ms_smtp_reply_new (553, "5.1.3", "<%s>: Bad address syntax", arg);
  if (g_hash_table_contains (self->passwords, arg))
    return ms_smtp_reply_new (250, "2.1.5", "<%s>", arg);
  if (g_str_has_suffix (arg, "@example.com"))
    return ms_smtp_reply_new (550, "5.1.1", "<%s>: User unknown", arg);
  return NULL;
}

static void
test_policy_iface_init (MsSmtpPolicyInterface *iface)
{
  iface->authenticate = tp_authenticate;
  iface->get_password = tp_get_password;
  iface->check_sender = tp_check_sender;
  iface->check_recipient = tp_check_recipient;
  iface->deliver = tp_deliver;
  iface->vrfy = tp_vrfy;
}

static void
test_policy_finalize (GObject *object)
{
  TestPolicy *self = TEST_POLICY (object);

  g_hash_table_unref (self->passwords);
  g_ptr_array_unref (self->messages);
  g_ptr_array_unref (self->senders);
  g_ptr_array_unref (self->envelopes);
  ms_smtp_reply_free (self->deliver_reply);
  G_OBJECT_CLASS (test_policy_parent_class)->finalize (object);
}

static void
test_policy_class_init (TestPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_policy_finalize;
}

static void
test_policy_init (TestPolicy *self)
{
  self->passwords = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (self->passwords, g_strdup ("alice@example.com"), g_strdup ("wonderland"));
  g_hash_table_insert (self->passwords, g_strdup ("bob@example.com"), g_strdup ("builder"));
  self->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  self->senders = g_ptr_array_new_with_free_func (g_free);
  self->envelopes = g_ptr_array_new_with_free_func (g_free);
}

TestPolicy *
test_policy_new (void)
{
  return g_object_new (TEST_TYPE_POLICY, NULL);
}

/* ---- ServerRun ------------------------------------------------------------------------- */

gint64
test_clock (gpointer user_data)
{
  return TEST_CLOCK_US;
}

void
test_server_config (MsSmtpServerConfig *config)
{
  ms_smtp_server_config_init (config);
  config->hostname = "mx.example.com";
  config->clock = test_clock;
}

static void
collect (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (user_data, (const char *) data, len);
}

static void
on_tls (MsEngine *engine, gpointer user_data)
{
  ((ServerRun *) user_data)->tls_requests++;
}

static void
on_close (MsEngine *engine, gpointer user_data)
{
  ((ServerRun *) user_data)->close_requests++;
}

ServerRun *
server_run_new (const MsSmtpServerConfig *config,
                MsSmtpPolicy             *policy)
{
  ServerRun *run = g_new0 (ServerRun, 1);
  MsSmtpServerConfig defaults;

  if (config == NULL)
    {
      test_server_config (&defaults);
      config = &defaults;
    }
  run->server = ms_smtp_server_new (config, policy);
  run->trace = ms_trace_new ("test", "smtp");
  run->session = ms_trace_open_session (run->trace, MS_PROTOCOL_SMTP, "192.0.2.10:50000",
                                        "192.0.2.1:25");
  run->out = g_string_new (NULL);
  ms_engine_set_session (MS_ENGINE (run->server), run->session);
  ms_engine_set_endpoints (MS_ENGINE (run->server), "192.0.2.10", 50000, "192.0.2.1", 25);
  ms_engine_set_output_func (MS_ENGINE (run->server), collect, run->out, NULL);
  g_signal_connect (run->server, "tls-requested", G_CALLBACK (on_tls), run);
  g_signal_connect (run->server, "close-requested", G_CALLBACK (on_close), run);
  ms_engine_start (MS_ENGINE (run->server));
  return run;
}

static void
feed_piece (const guint8 *data, gsize len, gpointer user_data)
{
  ms_engine_feed (user_data, data, len);
}

void
server_run_feed (ServerRun  *run,
                 const char *input,
                 MsChunking  chunking,
                 guint32     seed)
{
  ms_test_feed_chunks ((const guint8 *) input, strlen (input), chunking, seed, feed_piece,
                       run->server);
}

void
server_run_free (ServerRun *run)
{
  g_signal_handlers_disconnect_by_data (run->server, run);
  g_object_unref (run->server);
  g_object_unref (run->trace);
  g_string_free (run->out, TRUE);
  g_free (run);
}

const char *
keep (char *text)
{
  static GPtrArray *kept;

  if (kept == NULL)
    kept = g_ptr_array_new ();
  g_ptr_array_add (kept, text);
  return text;
}

const char *
output_tail (ServerRun *run,
             gsize      from)
{
  return run->out->str + MIN (from, run->out->len);
}

char *
reply_codes (const char *output)
{
  g_auto(GStrv) lines = g_strsplit (output, "\r\n", -1);
  GString *codes = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (strlen (line) < 3 || (line[3] != ' ' && line[3] != '\0'))
        continue;
      if (codes->len > 0)
        g_string_append_c (codes, ' ');
      g_string_append_len (codes, line, 3);
    }
  return g_string_free (codes, FALSE);
}

/* ---- Wire --------------------------------------------------------------------------- */

static void
to_server (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Wire *) user_data)->to_server, data, len);
}

static void
to_client (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_byte_array_append (((Wire *) user_data)->to_client, data, len);
}

static void
server_tls (MsEngine *engine, gpointer user_data)
{
  ((Wire *) user_data)->server_tls = TRUE;
}

static void
client_tls (MsEngine *engine, gpointer user_data)
{
  ((Wire *) user_data)->client_tls = TRUE;
}

static void
server_close (MsEngine *engine, gpointer user_data)
{
  ((Wire *) user_data)->server_closed = TRUE;
}

static void
client_close (MsEngine *engine, gpointer user_data)
{
  ((Wire *) user_data)->client_closed = TRUE;
}

static void
client_finished (MsSmtpClient *client, const GError *error, gpointer user_data)
{
  ((Wire *) user_data)->finished++;
}

Wire *
wire_new (MsSmtpServer *server,
          MsSmtpClient *client,
          MsChunking    chunking,
          guint32       seed)
{
  Wire *wire = g_new0 (Wire, 1);

  wire->server = g_object_ref (server);
  wire->client = g_object_ref (client);
  wire->trace = ms_trace_new ("test", "wire");
  wire->server_session = ms_trace_open_session (wire->trace, MS_PROTOCOL_SMTP,
                                                "192.0.2.10:50000", "192.0.2.1:587");
  wire->client_session = ms_trace_open_session (wire->trace, MS_PROTOCOL_SMTP,
                                                "192.0.2.10:50000", "192.0.2.1:587");
  wire->to_server = g_byte_array_new ();
  wire->to_client = g_byte_array_new ();
  wire->chunking = chunking;
  wire->rand = g_rand_new_with_seed (seed);
  ms_engine_set_session (MS_ENGINE (server), wire->server_session);
  ms_engine_set_session (MS_ENGINE (client), wire->client_session);
  ms_engine_set_endpoints (MS_ENGINE (server), "192.0.2.10", 50000, "192.0.2.1", 587);
  ms_engine_set_endpoints (MS_ENGINE (client), "192.0.2.10", 50000, "192.0.2.1", 587);
  ms_engine_set_output_func (MS_ENGINE (server), to_client, wire, NULL);
  ms_engine_set_output_func (MS_ENGINE (client), to_server, wire, NULL);
  g_signal_connect (server, "tls-requested", G_CALLBACK (server_tls), wire);
  g_signal_connect (client, "tls-requested", G_CALLBACK (client_tls), wire);
  g_signal_connect (server, "close-requested", G_CALLBACK (server_close), wire);
  g_signal_connect (client, "close-requested", G_CALLBACK (client_close), wire);
  g_signal_connect (client, "finished", G_CALLBACK (client_finished), wire);
  return wire;
}

/* Moves one chunk from a buffer into an engine; TRUE when something moved. */
static gboolean
move (Wire *wire, GByteArray *buffer, MsEngine *engine)
{
  gsize n;

  if (buffer->len == 0)
    return FALSE;
  switch (wire->chunking)
    {
    case MS_CHUNKS_BYTE_BY_BYTE:
      n = 1;
      break;
    case MS_CHUNKS_RANDOM:
      n = (gsize) g_rand_int_range (wire->rand, 1, 18);
      break;
    case MS_CHUNKS_WHOLE:
    default:
      n = buffer->len;
      break;
    }
  n = MIN (n, buffer->len);
  {
    g_autofree guint8 *piece = g_memdup2 (buffer->data, n);

    g_byte_array_remove_range (buffer, 0, n);
    ms_engine_feed (engine, piece, n);
  }
  return TRUE;
}

void
wire_run (Wire *wire)
{
  ms_engine_start (MS_ENGINE (wire->server));
  ms_engine_start (MS_ENGINE (wire->client));
  for (guint rounds = 0; rounds < 10000000; rounds++)
    {
      gboolean moved = FALSE;

      moved |= move (wire, wire->to_client, MS_ENGINE (wire->client));
      moved |= move (wire, wire->to_server, MS_ENGINE (wire->server));
      /* A TLS "handshake" once both sides asked and all plaintext is through. */
      if (wire->server_tls && wire->client_tls && wire->to_client->len == 0
          && wire->to_server->len == 0)
        {
          wire->server_tls = wire->client_tls = FALSE;
          ms_engine_tls_established (MS_ENGINE (wire->server), MS_TLS_STARTTLS);
          ms_engine_tls_established (MS_ENGINE (wire->client), MS_TLS_STARTTLS);
          moved = TRUE;
        }
      if (!moved)
        {
          /* a close on one side is seen by the other once the bytes are through */
          if (wire->server_closed && !ms_engine_is_closed (MS_ENGINE (wire->client)))
            {
              ms_engine_peer_closed (MS_ENGINE (wire->client));
              continue;
            }
          if (wire->client_closed && !ms_engine_is_closed (MS_ENGINE (wire->server)))
            {
              ms_engine_peer_closed (MS_ENGINE (wire->server));
              continue;
            }
          break;
        }
    }
}

void
wire_free (Wire *wire)
{
  g_signal_handlers_disconnect_by_data (wire->server, wire);
  g_signal_handlers_disconnect_by_data (wire->client, wire);
  g_object_unref (wire->server);
  g_object_unref (wire->client);
  g_object_unref (wire->trace);
  g_byte_array_unref (wire->to_server);
  g_byte_array_unref (wire->to_client);
  g_rand_free (wire->rand);
  g_free (wire);
}
