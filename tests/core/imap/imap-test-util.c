/* imap-test-util.c: driving MsImapServer in tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "imap-test-util.h"

const MsImapServerConfig imap_test_config = {
  .hostname = "mail.example.com",
  .tls_available = TRUE,
  .allow_plain_login_without_tls = TRUE,
};

const MsChunking imap_all_chunkings[3] = { MS_CHUNKS_WHOLE, MS_CHUNKS_BYTE_BY_BYTE, MS_CHUNKS_RANDOM };

MsMailStore *
imap_test_store_new (void)
{
  MsMailStore *store = ms_mail_store_new ();

  cr_assert (ms_mail_store_add_user (store, "alice@example.com", "secret", NULL));
  cr_assert (ms_mail_store_add_user (store, "bob@example.com", "hunter2", NULL));
  return store;
}

MsStoredMessage *
imap_test_add (MsMailStore    *store,
               const char     *user,
               const char     *folder,
               const char     *raw,
               MsMessageFlags  flags)
{
  MsMailbox *mailbox = ms_mail_store_get_mailbox (store, user, folder);
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));

  if (mailbox == NULL)
    mailbox = ms_mail_store_create_mailbox (store, user, folder, NULL);
  cr_assert_not_null (mailbox);
  /* 2024-03-05 10:20:30 UTC */
  return ms_mailbox_append (mailbox, bytes, flags, NULL, 1709634030);
}

static void
collect (MsEngine *engine, const guint8 *data, gsize len, gpointer user_data)
{
  g_string_append_len (((ImapHarness *) user_data)->out, (const char *) data, len);
}

static void
on_close (MsEngine *engine, ImapHarness *h)
{
  h->closed = TRUE;
}

static void
on_tls (MsEngine *engine, ImapHarness *h)
{
  h->tls_requested = TRUE;
}

ImapHarness *
imap_harness_new (MsMailStore              *store,
                  const MsImapServerConfig *config)
{
  ImapHarness *h = g_new0 (ImapHarness, 1);

  h->store = g_object_ref (store);
  h->server = ms_imap_server_new (config != NULL ? config : &imap_test_config, store);
  h->out = g_string_new (NULL);
  h->trace = ms_trace_new ("test", "imap");
  ms_engine_set_session (MS_ENGINE (h->server),
                         ms_trace_open_session (h->trace, MS_PROTOCOL_IMAP, "192.0.2.1:50000",
                                                "192.0.2.2:143"));
  ms_engine_set_output_func (MS_ENGINE (h->server), collect, h, NULL);
  g_signal_connect (h->server, "close-requested", G_CALLBACK (on_close), h);
  g_signal_connect (h->server, "tls-requested", G_CALLBACK (on_tls), h);
  ms_engine_start (MS_ENGINE (h->server));
  return h;
}

void
imap_harness_free (ImapHarness *h)
{
  g_object_unref (h->server);
  g_object_unref (h->store);
  g_object_unref (h->trace);
  g_string_free (h->out, TRUE);
  g_free (h);
}

static void
feed_piece (const guint8 *data, gsize len, gpointer user_data)
{
  ms_engine_feed (MS_ENGINE (((ImapHarness *) user_data)->server), data, len);
}

void
imap_harness_feed (ImapHarness *h,
                   const char  *text,
                   MsChunking   chunking,
                   guint32      seed)
{
  ms_test_feed_chunks ((const guint8 *) text, strlen (text), chunking, seed, feed_piece, h);
}

char *
imap_harness_take (ImapHarness *h)
{
  char *s = g_strdup (h->out->str);
  g_string_truncate (h->out, 0);
  return s;
}

char *
imap_converse_config (ImapSetupFunc             setup,
                      const MsImapServerConfig *config,
                      const char               *input)
{
  char *first = NULL;

  for (guint c = 0; c < 3; c++)
    for (guint32 seed = 1; seed <= (imap_all_chunkings[c] == MS_CHUNKS_RANDOM ? 3u : 1u); seed++)
      {
        g_autoptr(MsMailStore) store = imap_test_store_new ();
        ImapHarness *h;
        g_autofree char *out = NULL;

        if (setup != NULL)
          setup (store);
        h = imap_harness_new (store, config);
        g_free (imap_harness_take (h));
        imap_harness_feed (h, input, imap_all_chunkings[c], seed);
        out = imap_harness_take (h);
        imap_harness_free (h);
        if (first == NULL)
          first = g_steal_pointer (&out);
        else
          cr_assert_str_eq (out, first, "%s (seed %u) differs from whole input",
                            ms_test_chunking_name (imap_all_chunkings[c]), seed);
      }
  return first;
}

char *
imap_converse (ImapSetupFunc  setup,
               const char    *input)
{
  return imap_converse_config (setup, NULL, input);
}
