/* ms-mailbox-replay.c: mailboxes rebuilt from a trace's events
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-explain"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ms-mailbox-replay.h"

struct _MsMailboxReplay
{
  MsTrace *trace;
  GArray  *events;   /* guint indices of delivered/mailbox events, ascending */
  GPtrArray *users;  /* of char*: address, then node, pairs; in order of appearance */
};

static const char *
field (MsTraceEvent *event,
       const char   *name)
{
  JsonNode *node;

  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  node = json_object_get_member (event->fields, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static const char *
event_user (MsTraceEvent *event)
{
  if (strcmp (event->type, "delivered") == 0)
    return field (event, "recipient");
  if (strcmp (event->type, "mailbox") == 0)
    return field (event, "user");
  return NULL;
}

MsMailboxReplay *
ms_mailbox_replay_new (MsTrace *trace)
{
  MsMailboxReplay *self = g_new0 (MsMailboxReplay, 1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (MS_IS_TRACE (trace), NULL);

  self->trace = g_object_ref (trace);
  self->events = g_array_new (FALSE, FALSE, sizeof (guint));
  self->users = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, i);
      const char *user = event_user (event);
      g_autofree char *key = NULL;

      if (user == NULL)
        continue;
      g_array_append_val (self->events, i);
      key = g_ascii_strdown (user, -1);
      if (!g_hash_table_contains (seen, key))
        {
          g_hash_table_add (seen, g_steal_pointer (&key));
          g_ptr_array_add (self->users, g_strdup (user));
          g_ptr_array_add (self->users, g_strdup (event->node));
        }
    }
  return self;
}

void
ms_mailbox_replay_add_user (MsMailboxReplay *self,
                            const char      *address,
                            const char      *node)
{
  g_return_if_fail (self != NULL && address != NULL);

  for (guint i = 0; i + 1 < self->users->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (self->users, i), address) == 0)
      return;
  g_ptr_array_add (self->users, g_strdup (address));
  g_ptr_array_add (self->users, g_strdup (node));
}

void
ms_mailbox_replay_free (MsMailboxReplay *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->trace);
  g_array_unref (self->events);
  g_ptr_array_unref (self->users);
  g_free (self);
}

gboolean
ms_mailbox_replay_has_data (MsMailboxReplay *self)
{
  return self->events->len > 0 || self->users->len > 0;
}

gboolean
ms_replay_flags_have (const char *flags,
                      const char *flag)
{
  g_auto(GStrv) words = NULL;

  if (flags == NULL)
    return FALSE;
  words = g_strsplit (flags, " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (g_ascii_strcasecmp (words[i], flag) == 0)
      return TRUE;
  return FALSE;
}

static void
message_free (MsReplayMessage *m)
{
  g_free (m->subject);
  g_free (m->from);
  g_free (m->flags);
  g_free (m);
}

static void
folder_free (MsReplayFolder *f)
{
  g_free (f->name);
  g_ptr_array_unref (f->messages);
  g_free (f);
}

static void
user_free (MsReplayUser *u)
{
  g_free (u->address);
  g_free (u->node);
  g_ptr_array_unref (u->folders);
  g_free (u);
}

static gboolean
is_inbox (const char *name)
{
  return g_ascii_strcasecmp (name, "INBOX") == 0;
}

static int
compare_folders (gconstpointer a,
                 gconstpointer b)
{
  const MsReplayFolder *x = *(MsReplayFolder **) a, *y = *(MsReplayFolder **) b;

  if (is_inbox (x->name) != is_inbox (y->name))
    return is_inbox (x->name) ? -1 : 1;
  return strcmp (x->name, y->name);
}

static MsReplayFolder *
find_folder (MsReplayUser *user,
             const char   *name,
             gboolean      create)
{
  MsReplayFolder *f;

  if (name == NULL)
    name = "INBOX";
  for (guint i = 0; i < user->folders->len; i++)
    {
      f = g_ptr_array_index (user->folders, i);
      if (is_inbox (name) ? is_inbox (f->name) : strcmp (f->name, name) == 0)
        return f;
    }
  if (!create)
    return NULL;
  f = g_new0 (MsReplayFolder, 1);
  f->name = g_strdup (is_inbox (name) ? "INBOX" : name);
  f->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) message_free);
  f->changed_at = G_MAXUINT;
  g_ptr_array_add (user->folders, f);
  g_ptr_array_sort (user->folders, compare_folders);
  return f;
}

static int
find_uid (MsReplayFolder *f,
          guint32         uid)
{
  for (guint i = 0; i < f->messages->len; i++)
    if (((MsReplayMessage *) g_ptr_array_index (f->messages, i))->uid == uid)
      return (int) i;
  return -1;
}

static guint32
parse_uid (const char *text)
{
  guint64 v = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &v, NULL))
    return 0;
  return (guint32) v;
}

static void
add_message (MsReplayFolder *f,
             MsTraceEvent   *event,
             guint           index)
{
  MsReplayMessage *m = g_new0 (MsReplayMessage, 1);
  guint at = f->messages->len;

  m->uid = parse_uid (field (event, "uid"));
  m->subject = g_strdup (field (event, "subject"));
  m->from = g_strdup (field (event, "from"));
  m->flags = g_strdup (field (event, "flags") ? field (event, "flags") : "");
  m->added_at = m->changed_at = index;
  while (at > 0 && m->uid != 0
         && ((MsReplayMessage *) g_ptr_array_index (f->messages, at - 1))->uid > m->uid)
    at--;
  g_ptr_array_insert (f->messages, at, m);
  f->changed_at = index;
}

static void
apply (MsReplayUser *user,
       MsTraceEvent *event,
       guint         index)
{
  const char *action = field (event, "action");
  const char *folder = field (event, "folder");
  MsReplayFolder *f;
  int at;

  if (strcmp (event->type, "delivered") == 0)
    {
      add_message (find_folder (user, field (event, "mailbox"), TRUE), event, index);
      return;
    }
  if (action == NULL)
    return;
  if (strcmp (action, "added") == 0)
    add_message (find_folder (user, folder, TRUE), event, index);
  else if (strcmp (action, "flags") == 0 || strcmp (action, "expunged") == 0)
    {
      f = find_folder (user, folder, FALSE);
      if (f == NULL || (at = find_uid (f, parse_uid (field (event, "uid")))) < 0)
        return;
      f->changed_at = index;
      if (strcmp (action, "expunged") == 0)
        g_ptr_array_remove_index (f->messages, at);
      else
        {
          MsReplayMessage *m = g_ptr_array_index (f->messages, at);

          g_free (m->flags);
          m->flags = g_strdup (field (event, "flags") ? field (event, "flags") : "");
          m->changed_at = index;
        }
    }
  else if (strcmp (action, "created") == 0)
    find_folder (user, folder, TRUE)->changed_at = index;
  else if (strcmp (action, "deleted") == 0 && (f = find_folder (user, folder, FALSE)) != NULL)
    g_ptr_array_remove (user->folders, f);
  else if (strcmp (action, "renamed") == 0
           && (f = find_folder (user, field (event, "old_folder"), FALSE)) != NULL
           && folder != NULL)
    {
      g_free (f->name);
      f->name = g_strdup (folder);
      f->changed_at = index;
      g_ptr_array_sort (user->folders, compare_folders);
    }
}

/**
 * ms_mailbox_replay_state:
 * @self: the replay
 * @n_events: how many of the trace's events have happened
 *
 * Returns: (transfer full): of MsReplayUser*
 */
GPtrArray *
ms_mailbox_replay_state (MsMailboxReplay *self,
                         guint            n_events)
{
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) user_free);

  for (guint i = 0; i + 1 < self->users->len; i += 2)
    {
      MsReplayUser *u = g_new0 (MsReplayUser, 1);

      u->address = g_strdup (g_ptr_array_index (self->users, i));
      u->node = g_strdup (g_ptr_array_index (self->users, i + 1));
      u->folders = g_ptr_array_new_with_free_func ((GDestroyNotify) folder_free);
      /* every user has an INBOX from the start */
      find_folder (u, "INBOX", TRUE);
      g_ptr_array_add (users, u);
    }
  for (guint k = 0; k < self->events->len; k++)
    {
      guint index = g_array_index (self->events, guint, k);
      MsTraceEvent *event;
      const char *address;

      if (index >= n_events)
        break;
      event = ms_trace_get_event (self->trace, index);
      address = event_user (event);
      for (guint i = 0; i < users->len; i++)
        {
          MsReplayUser *u = g_ptr_array_index (users, i);

          if (g_ascii_strcasecmp (u->address, address) == 0)
            {
              apply (u, event, index);
              break;
            }
        }
    }
  return users;
}
