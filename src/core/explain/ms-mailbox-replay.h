/* ms-mailbox-replay.h: each user's mailboxes as they stand after any event of a trace
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Rebuilt from the trace alone: "delivered" events (with uid, subject, from) and the
 * store's "mailbox" events (added, flags, expunged, created, deleted, renamed). The
 * relevant events are indexed once; a state is a replay of that short list up to an
 * event index, so going back is as quick as going forward.
 */
#pragma once

#include <glib.h>

#include "ms-trace.h"

G_BEGIN_DECLS

typedef struct
{
  guint32  uid;        /* 0 when the trace did not say */
  char    *subject;
  char    *from;
  char    *flags;      /* "\\Seen \\Deleted", "" for none */
  guint    added_at;   /* index of the event that brought it */
  guint    changed_at; /* index of the last event that changed it */
} MsReplayMessage;

typedef struct
{
  char      *name;
  GPtrArray *messages;  /* of MsReplayMessage*, by uid */
  guint      changed_at; /* event index of the folder's last change, G_MAXUINT: never */
} MsReplayFolder;

typedef struct
{
  char      *address;
  char      *node;      /* the node that holds the mailbox, or NULL */
  GPtrArray *folders;   /* of MsReplayFolder*, INBOX first, then by name */
} MsReplayUser;

typedef struct _MsMailboxReplay MsMailboxReplay;

MsMailboxReplay *ms_mailbox_replay_new        (MsTrace         *trace);
void             ms_mailbox_replay_free       (MsMailboxReplay *self);
/* A user the trace may never mention (a scenario's user without mail), listed from the
 * start with an empty INBOX at @node. */
void             ms_mailbox_replay_add_user   (MsMailboxReplay *self,
                                               const char      *address,
                                               const char      *node);
/* Whether the trace records any mailbox at all (a capture does not). */
gboolean         ms_mailbox_replay_has_data   (MsMailboxReplay *self);
/* The users (every one the trace mentions, even before their first message) and their
 * folders after the events with index < @n_events; free with g_ptr_array_unref. */
GPtrArray       *ms_mailbox_replay_state      (MsMailboxReplay *self,
                                               guint            n_events);
/* Whether @flags (as in MsReplayMessage) holds @flag ("\\Seen"). */
gboolean         ms_replay_flags_have         (const char      *flags,
                                               const char      *flag);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MsMailboxReplay, ms_mailbox_replay_free)

G_END_DECLS
