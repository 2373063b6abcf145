/* ms-mailbox-recorder.c: mailbox changes as trace events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ms-mailbox-recorder.h"

#include <string.h>

#include "ms-agents-private.h"
#include "ms-message.h"

#define RECORDER_KEY "ms-mailbox-recorder"

typedef struct
{
  MsNetwork   *network;    /* keeps the node alive */
  MsNode      *node;
  GHashTable  *owners;     /* MsMailbox* → user address (owned) */
  GHashTable  *flags;      /* "mailbox-pointer/uid" → last recorded visible flags */
  GArray      *sessions;   /* guint session ids of POP3/IMAP servers on the store */
  gboolean     delivering;
} Recorder;

static void
recorder_free (gpointer data)
{
  Recorder *r = data;

  g_hash_table_unref (r->owners);
  g_hash_table_unref (r->flags);
  g_array_unref (r->sessions);
  g_clear_object (&r->network);
  g_free (r);
}

char *
_ms_mailbox_flags_to_string (MsMessageFlags      flags,
                             const char * const *keywords)
{
  static const struct { MsMessageFlags flag; const char *name; } names[] = {
    { MS_FLAG_SEEN, "\\Seen" }, { MS_FLAG_ANSWERED, "\\Answered" },
    { MS_FLAG_FLAGGED, "\\Flagged" }, { MS_FLAG_DELETED, "\\Deleted" },
    { MS_FLAG_DRAFT, "\\Draft" },
  };
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      g_string_append_printf (s, "%s%s", s->len ? " " : "", names[i].name);
  for (guint i = 0; keywords != NULL && keywords[i] != NULL; i++)
    g_string_append_printf (s, "%s%s", s->len ? " " : "", keywords[i]);
  return g_string_free (s, FALSE);
}

void
_ms_mailbox_describe_message (GBytes  *raw,
                              char   **subject,
                              char   **from)
{
  g_autoptr(MsMessage) message = raw != NULL ? ms_message_new_from_bytes (raw, NULL) : NULL;

  *subject = message != NULL ? ms_message_dup_header_decoded (message, "Subject") : NULL;
  *from = message != NULL ? ms_message_dup_header_decoded (message, "From") : NULL;
}

/* The server session whose last line is the latest: the command that made the change
 * (engines record a command before they act on it). */
static guint
acting_session (Recorder *r,
                MsTrace  *trace)
{
  guint best = 0;
  gint64 best_t = G_MININT64;

  for (guint i = 0; i < r->sessions->len; i++)
    {
      guint id = g_array_index (r->sessions, guint, i);
      MsTraceSession *s = ms_trace_find_session (trace, id);
      MsTraceLine *last;

      if (s == NULL || s->closed_us >= 0 || s->lines->len == 0)
        continue;
      last = g_ptr_array_index (s->lines, s->lines->len - 1);
      if (last->t_us >= best_t)
        {
          best_t = last->t_us;
          best = id;
        }
    }
  return best;
}

static char *
flag_key (MsMailbox *mailbox,
          guint32    uid)
{
  return g_strdup_printf ("%p/%u", (void *) mailbox, uid);
}

static guint
visible_flags (MsStoredMessage *message)
{
  return message->flags & ~MS_FLAG_RECENT;
}

static void
on_message_added (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  Recorder        *r)
{
  MsTrace *trace = _ms_agent_trace (r->node);
  const char *user = g_hash_table_lookup (r->owners, mailbox);
  g_autofree char *uid = NULL;
  g_autofree char *flags = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *from = NULL;

  g_hash_table_insert (r->flags, flag_key (mailbox, message->uid),
                       GUINT_TO_POINTER (visible_flags (message)));
  if (trace == NULL || user == NULL || r->delivering)
    return;
  uid = g_strdup_printf ("%u", message->uid);
  flags = _ms_mailbox_flags_to_string (message->flags, (const char * const *) message->keywords);
  _ms_mailbox_describe_message (message->raw, &subject, &from);
  ms_trace_add_event (trace, "mailbox", ms_node_get_name (r->node), acting_session (r, trace),
                      "action", "added", "user", user, "folder", ms_mailbox_get_name (mailbox),
                      "uid", uid, "flags", flags, "subject", subject ? subject : "",
                      "from", from ? from : "", NULL);
}

static void
on_flags_changed (MsMailbox       *mailbox,
                  MsStoredMessage *message,
                  Recorder        *r)
{
  MsTrace *trace = _ms_agent_trace (r->node);
  const char *user = g_hash_table_lookup (r->owners, mailbox);
  g_autofree char *key = flag_key (mailbox, message->uid);
  gpointer old = NULL;
  g_autofree char *uid = NULL;
  g_autofree char *flags = NULL;

  /* \Recent alone, or a STORE that changes nothing, is not a change to show */
  if (g_hash_table_lookup_extended (r->flags, key, NULL, &old)
      && GPOINTER_TO_UINT (old) == visible_flags (message) && message->keywords == NULL)
    return;
  g_hash_table_insert (r->flags, g_steal_pointer (&key),
                       GUINT_TO_POINTER (visible_flags (message)));
  if (trace == NULL || user == NULL)
    return;
  uid = g_strdup_printf ("%u", message->uid);
  flags = _ms_mailbox_flags_to_string (message->flags, (const char * const *) message->keywords);
  ms_trace_add_event (trace, "mailbox", ms_node_get_name (r->node), acting_session (r, trace),
                      "action", "flags", "user", user, "folder", ms_mailbox_get_name (mailbox),
                      "uid", uid, "flags", flags, NULL);
}

static void
on_message_expunged (MsMailbox *mailbox,
                     guint      uid,
                     Recorder  *r)
{
  MsTrace *trace = _ms_agent_trace (r->node);
  const char *user = g_hash_table_lookup (r->owners, mailbox);
  g_autofree char *key = flag_key (mailbox, uid);
  g_autofree char *text = NULL;

  g_hash_table_remove (r->flags, key);
  if (trace == NULL || user == NULL)
    return;
  text = g_strdup_printf ("%u", uid);
  ms_trace_add_event (trace, "mailbox", ms_node_get_name (r->node), acting_session (r, trace),
                      "action", "expunged", "user", user, "folder", ms_mailbox_get_name (mailbox),
                      "uid", text, NULL);
}

static void
watch_mailbox (Recorder   *r,
               const char *user,
               MsMailbox  *mailbox)
{
  if (g_hash_table_contains (r->owners, mailbox))
    return;
  g_hash_table_insert (r->owners, mailbox, g_strdup (user));
  for (guint i = 0; i < ms_mailbox_get_n_messages (mailbox); i++)
    {
      MsStoredMessage *m = ms_mailbox_get_message (mailbox, i);

      g_hash_table_insert (r->flags, flag_key (mailbox, m->uid),
                           GUINT_TO_POINTER (visible_flags (m)));
    }
  g_signal_connect (mailbox, "message-added", G_CALLBACK (on_message_added), r);
  g_signal_connect (mailbox, "flags-changed", G_CALLBACK (on_flags_changed), r);
  g_signal_connect (mailbox, "message-expunged", G_CALLBACK (on_message_expunged), r);
}

static void
folder_event (Recorder   *r,
              const char *action,
              const char *user,
              const char *folder,
              const char *old_folder)
{
  MsTrace *trace = _ms_agent_trace (r->node);

  if (trace == NULL)
    return;
  ms_trace_add_event (trace, "mailbox", ms_node_get_name (r->node), acting_session (r, trace),
                      "action", action, "user", user, "folder", folder,
                      old_folder != NULL ? "old_folder" : NULL, old_folder, NULL);
}

static void
on_mailbox_created (MsMailStore *store,
                    const char  *user,
                    MsMailbox   *mailbox,
                    Recorder    *r)
{
  watch_mailbox (r, user, mailbox);
  /* every user has an INBOX from the start: not news */
  if (g_ascii_strcasecmp (ms_mailbox_get_name (mailbox), "INBOX") != 0)
    folder_event (r, "created", user, ms_mailbox_get_name (mailbox), NULL);
}

static void
on_mailbox_deleted (MsMailStore *store,
                    const char  *user,
                    const char  *name,
                    Recorder    *r)
{
  folder_event (r, "deleted", user, name, NULL);
}

static void
on_mailbox_renamed (MsMailStore *store,
                    const char  *user,
                    const char  *old_name,
                    MsMailbox   *mailbox,
                    Recorder    *r)
{
  folder_event (r, "renamed", user, ms_mailbox_get_name (mailbox), old_name);
}

void
_ms_mailbox_recorder_attach (MsNode      *node,
                             MsMailStore *store)
{
  Recorder *r;
  g_auto(GStrv) users = NULL;

  g_return_if_fail (node != NULL);
  g_return_if_fail (MS_IS_MAIL_STORE (store));

  if (g_object_get_data (G_OBJECT (store), RECORDER_KEY) != NULL)
    return;
  r = g_new0 (Recorder, 1);
  r->network = g_object_ref (ms_node_get_network (node));
  r->node = node;
  r->owners = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  r->flags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->sessions = g_array_new (FALSE, FALSE, sizeof (guint));
  g_object_set_data_full (G_OBJECT (store), RECORDER_KEY, r, recorder_free);

  users = ms_mail_store_dup_users (store);
  for (guint i = 0; users != NULL && users[i] != NULL; i++)
    {
      g_autoptr(GPtrArray) boxes = ms_mail_store_list_mailboxes (store, users[i]);

      for (guint k = 0; boxes != NULL && k < boxes->len; k++)
        watch_mailbox (r, users[i], g_ptr_array_index (boxes, k));
    }
  g_signal_connect (store, "mailbox-created", G_CALLBACK (on_mailbox_created), r);
  g_signal_connect (store, "mailbox-deleted", G_CALLBACK (on_mailbox_deleted), r);
  g_signal_connect (store, "mailbox-renamed", G_CALLBACK (on_mailbox_renamed), r);
}

void
_ms_mailbox_recorder_add_engine (MsMailStore *store,
                                 MsEngine    *engine)
{
  Recorder *r = g_object_get_data (G_OBJECT (store), RECORDER_KEY);
  MsTraceSession *session = ms_engine_get_session (engine);

  if (r != NULL && session != NULL)
    g_array_append_val (r->sessions, session->id);
}

void
_ms_mailbox_recorder_set_delivering (MsMailStore *store,
                                     gboolean     delivering)
{
  Recorder *r = g_object_get_data (G_OBJECT (store), RECORDER_KEY);

  if (r != NULL)
    r->delivering = delivering;
}
