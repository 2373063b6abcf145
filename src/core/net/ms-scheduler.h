/* ms-scheduler.h: the discrete-event scheduler of the virtual network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A virtual clock in microseconds and a queue of events ordered by (due time, insertion
 * sequence): events due at the same time run in the order they were scheduled, so a run
 * is a pure function of its inputs. There is no wall clock anywhere.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define MS_SCHEDULER_ERROR (ms_scheduler_error_quark ())

typedef enum
{
  MS_SCHEDULER_ERROR_FAILED,
  MS_SCHEDULER_ERROR_EVENT_LIMIT,  /* run() stopped after the safety cap of events */
} MsSchedulerError;

/* The default safety cap of run(): a scenario that loops stops here. */
#define MS_SCHEDULER_DEFAULT_MAX_EVENTS 100000000u

#define MS_TYPE_SCHEDULER (ms_scheduler_get_type ())
G_DECLARE_FINAL_TYPE (MsScheduler, ms_scheduler, MS, SCHEDULER, GObject)

typedef void (*MsSchedulerFunc) (MsScheduler *scheduler,
                                 gpointer     user_data);

GQuark       ms_scheduler_error_quark      (void);

MsScheduler *ms_scheduler_new              (void);
guint64      ms_scheduler_get_now          (MsScheduler     *self);
/* @name must be a static string (it is kept, not copied). Returns an id, never 0. */
guint        ms_scheduler_schedule         (MsScheduler     *self,
                                            guint64          delay_us,
                                            const char      *name,
                                            MsSchedulerFunc  func,
                                            gpointer         user_data,
                                            GDestroyNotify   destroy);
guint        ms_scheduler_schedule_at      (MsScheduler     *self,
                                            guint64          due_us,
                                            const char      *name,
                                            MsSchedulerFunc  func,
                                            gpointer         user_data,
                                            GDestroyNotify   destroy);
/* FALSE when no such event is pending (already run or cancelled). */
gboolean     ms_scheduler_cancel           (MsScheduler     *self,
                                            guint            id);
/* Runs the next event; FALSE when the queue is empty. */
gboolean     ms_scheduler_step             (MsScheduler     *self);
/* Runs every event due at or before @t_us, then sets the clock to @t_us. */
guint        ms_scheduler_run_until        (MsScheduler     *self,
                                            guint64          t_us);
/* Runs until the queue is empty; FALSE with MS_SCHEDULER_ERROR_EVENT_LIMIT at the cap. */
gboolean     ms_scheduler_run              (MsScheduler     *self,
                                            GError         **error);
gboolean     ms_scheduler_peek_next_time   (MsScheduler     *self,
                                            guint64         *t_us);
const char  *ms_scheduler_peek_next_name   (MsScheduler     *self);
guint        ms_scheduler_get_n_pending    (MsScheduler     *self);
guint64      ms_scheduler_get_n_executed   (MsScheduler     *self);
void         ms_scheduler_set_max_events   (MsScheduler     *self,
                                            guint64          max_events);

G_END_DECLS
