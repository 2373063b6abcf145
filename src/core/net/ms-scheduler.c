/* ms-scheduler.c: the discrete-event scheduler of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A binary min-heap of events held by value in a GArray: scheduling allocates nothing
 * once the array has grown. Cancelling searches the heap, which stays small (a few
 * timers and in-flight segments per open connection).
 */
#define G_LOG_DOMAIN "ms-scheduler"

#include "config.h"

#include "ms-scheduler.h"

typedef struct
{
  guint64          due_us;
  guint64          seq;
  guint            id;
  const char      *name;
  MsSchedulerFunc  func;
  gpointer         user_data;
  GDestroyNotify   destroy;
} Event;

struct _MsScheduler
{
  GObject  parent_instance;

  GArray  *heap;        /* of Event, a min-heap on (due_us, seq) */
  guint64  now_us;
  guint64  next_seq;
  guint    next_id;
  guint64  n_executed;
  guint64  max_events;
};

G_DEFINE_FINAL_TYPE (MsScheduler, ms_scheduler, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-scheduler-error-quark, ms_scheduler_error)

static inline gboolean
event_before (const Event *a,
              const Event *b)
{
  return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void
sift_up (GArray *heap,
         guint   i)
{
  Event *e = (Event *) (gpointer) heap->data;
  Event moving = e[i];

  while (i > 0)
    {
      guint parent = (i - 1) / 2;

      if (!event_before (&moving, &e[parent]))
        break;
      e[i] = e[parent];
      i = parent;
    }
  e[i] = moving;
}

static void
sift_down (GArray *heap,
           guint   i)
{
  Event *e = (Event *) (gpointer) heap->data;
  guint n = heap->len;
  Event moving = e[i];

  for (;;)
    {
      guint child = 2 * i + 1;

      if (child >= n)
        break;
      if (child + 1 < n && event_before (&e[child + 1], &e[child]))
        child++;
      if (!event_before (&e[child], &moving))
        break;
      e[i] = e[child];
      i = child;
    }
  e[i] = moving;
}

/* Removes the event at @i and returns it. */
static Event
heap_remove (GArray *heap,
             guint   i)
{
  Event *e = (Event *) (gpointer) heap->data;
  Event removed = e[i];
  guint last = heap->len - 1;

  if (i != last)
    {
      e[i] = e[last];
      g_array_set_size (heap, last);
      if (i > 0 && event_before (&e[i], &e[(i - 1) / 2]))
        sift_up (heap, i);
      else
        sift_down (heap, i);
    }
  else
    g_array_set_size (heap, last);
  return removed;
}

static void
ms_scheduler_finalize (GObject *object)
{
  MsScheduler *self = MS_SCHEDULER (object);

  /* Pending events never run, but their data is released, in order. */
  while (self->heap->len > 0)
    {
      Event event = heap_remove (self->heap, 0);

      if (event.destroy != NULL)
        event.destroy (event.user_data);
    }
  g_array_unref (self->heap);

  G_OBJECT_CLASS (ms_scheduler_parent_class)->finalize (object);
}

static void
ms_scheduler_class_init (MsSchedulerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_scheduler_finalize;
}

static void
ms_scheduler_init (MsScheduler *self)
{
  self->heap = g_array_sized_new (FALSE, FALSE, sizeof (Event), 64);
  self->next_id = 1;
  self->max_events = MS_SCHEDULER_DEFAULT_MAX_EVENTS;
}

/**
 * ms_scheduler_new:
 *
 * Returns: (transfer full): a scheduler at virtual time 0
 */
MsScheduler *
ms_scheduler_new (void)
{
  return g_object_new (MS_TYPE_SCHEDULER, NULL);
}

guint64
ms_scheduler_get_now (MsScheduler *self)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);
  return self->now_us;
}

/**
 * ms_scheduler_schedule_at:
 * @due_us: the virtual time to run at; a time in the past means "now"
 *
 * Returns: the event id (never 0), for ms_scheduler_cancel()
 */
guint
ms_scheduler_schedule_at (MsScheduler     *self,
                          guint64          due_us,
                          const char      *name,
                          MsSchedulerFunc  func,
                          gpointer         user_data,
                          GDestroyNotify   destroy)
{
  Event event;

  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  event.due_us = MAX (due_us, self->now_us);
  event.seq = self->next_seq++;
  event.id = self->next_id++;
  if (self->next_id == 0)
    self->next_id = 1;
  event.name = name;
  event.func = func;
  event.user_data = user_data;
  event.destroy = destroy;
  g_array_append_val (self->heap, event);
  sift_up (self->heap, self->heap->len - 1);
  return event.id;
}

guint
ms_scheduler_schedule (MsScheduler     *self,
                       guint64          delay_us,
                       const char      *name,
                       MsSchedulerFunc  func,
                       gpointer         user_data,
                       GDestroyNotify   destroy)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);
  g_return_val_if_fail (delay_us <= G_MAXUINT64 - self->now_us, 0);

  return ms_scheduler_schedule_at (self, self->now_us + delay_us, name, func, user_data,
                                   destroy);
}

gboolean
ms_scheduler_cancel (MsScheduler *self,
                     guint        id)
{
  Event *e;

  g_return_val_if_fail (MS_IS_SCHEDULER (self), FALSE);

  if (id == 0)
    return FALSE;
  e = (Event *) (gpointer) self->heap->data;
  for (guint i = 0; i < self->heap->len; i++)
    if (e[i].id == id)
      {
        Event removed = heap_remove (self->heap, i);

        if (removed.destroy != NULL)
          removed.destroy (removed.user_data);
        return TRUE;
      }
  return FALSE;
}

gboolean
ms_scheduler_step (MsScheduler *self)
{
  Event event;

  g_return_val_if_fail (MS_IS_SCHEDULER (self), FALSE);

  if (self->heap->len == 0)
    return FALSE;
  event = heap_remove (self->heap, 0);
  self->now_us = event.due_us;
  self->n_executed++;
  event.func (self, event.user_data);
  if (event.destroy != NULL)
    event.destroy (event.user_data);
  return TRUE;
}

guint
ms_scheduler_run_until (MsScheduler *self,
                        guint64      t_us)
{
  guint n = 0;

  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);

  while (self->heap->len > 0
         && ((Event *) (gpointer) self->heap->data)[0].due_us <= t_us)
    {
      ms_scheduler_step (self);
      n++;
    }
  if (t_us > self->now_us)
    self->now_us = t_us;
  return n;
}

gboolean
ms_scheduler_run (MsScheduler  *self,
                  GError      **error)
{
  guint64 n = 0;

  g_return_val_if_fail (MS_IS_SCHEDULER (self), FALSE);

  while (self->heap->len > 0)
    {
      if (n >= self->max_events)
        {
          g_set_error (error, MS_SCHEDULER_ERROR, MS_SCHEDULER_ERROR_EVENT_LIMIT,
                       "Stopped after %" G_GUINT64_FORMAT " events at virtual time "
                       "%" G_GUINT64_FORMAT " us; next event \"%s\" (is something looping?)",
                       n, self->now_us, ms_scheduler_peek_next_name (self));
          return FALSE;
        }
      ms_scheduler_step (self);
      n++;
    }
  return TRUE;
}

gboolean
ms_scheduler_peek_next_time (MsScheduler *self,
                             guint64     *t_us)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), FALSE);

  if (self->heap->len == 0)
    return FALSE;
  if (t_us != NULL)
    *t_us = ((Event *) (gpointer) self->heap->data)[0].due_us;
  return TRUE;
}

const char *
ms_scheduler_peek_next_name (MsScheduler *self)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), NULL);

  if (self->heap->len == 0)
    return NULL;
  return ((Event *) (gpointer) self->heap->data)[0].name;
}

guint
ms_scheduler_get_n_pending (MsScheduler *self)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);
  return self->heap->len;
}

guint64
ms_scheduler_get_n_executed (MsScheduler *self)
{
  g_return_val_if_fail (MS_IS_SCHEDULER (self), 0);
  return self->n_executed;
}

void
ms_scheduler_set_max_events (MsScheduler *self,
                             guint64      max_events)
{
  g_return_if_fail (MS_IS_SCHEDULER (self));
  self->max_events = max_events > 0 ? max_events : MS_SCHEDULER_DEFAULT_MAX_EVENTS;
}
