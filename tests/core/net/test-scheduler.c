/* test-scheduler.c: order, cancellation, limits and determinism of MsScheduler
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>

#include "ms-scheduler.h"

typedef struct
{
  GString *log;
  guint    destroyed;
} Log;

typedef struct
{
  Log  *log;
  char  tag[16];
} Item;

static void
append (MsScheduler *scheduler,
        gpointer     user_data)
{
  Item *item = user_data;

  g_string_append_printf (item->log->log, "%s@%" G_GUINT64_FORMAT " ", item->tag,
                          ms_scheduler_get_now (scheduler));
}

static void
item_free (gpointer data)
{
  Item *item = data;

  item->log->destroyed++;
  g_free (item);
}

static guint
add (MsScheduler *s,
     Log         *log,
     guint64      delay,
     const char  *tag)
{
  Item *item = g_new0 (Item, 1);

  item->log = log;
  g_strlcpy (item->tag, tag, sizeof item->tag);
  return ms_scheduler_schedule (s, delay, "test", append, item, item_free);
}

Test (scheduler, orders_by_time_then_fifo)
{
  g_autoptr(MsScheduler) s = ms_scheduler_new ();
  Log log = { g_string_new (NULL), 0 };
  guint64 next = 0;

  add (s, &log, 30, "c");
  add (s, &log, 10, "a1");
  add (s, &log, 20, "b");
  add (s, &log, 10, "a2");
  add (s, &log, 10, "a3");
  add (s, &log, 0, "z");
  cr_assert (ms_scheduler_peek_next_time (s, &next));
  cr_assert_eq (next, 0);
  cr_assert (ms_scheduler_run (s, NULL));
  cr_assert_str_eq (log.log->str, "z@0 a1@10 a2@10 a3@10 b@20 c@30 ");
  cr_assert_eq (log.destroyed, 6);
  cr_assert_eq (ms_scheduler_get_now (s), 30);
  cr_assert_not (ms_scheduler_step (s));
  cr_assert_not (ms_scheduler_peek_next_time (s, &next));
  g_string_free (log.log, TRUE);
}

Test (scheduler, cancel_removes_once_and_destroys)
{
  g_autoptr(MsScheduler) s = ms_scheduler_new ();
  Log log = { g_string_new (NULL), 0 };
  guint ids[8];

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      char tag[8];

      g_snprintf (tag, sizeof tag, "e%u", i);
      ids[i] = add (s, &log, 100 - i * 10, tag);
    }
  cr_assert (ms_scheduler_cancel (s, ids[3]));
  cr_assert_not (ms_scheduler_cancel (s, ids[3]));
  cr_assert (ms_scheduler_cancel (s, ids[7]));  /* the heap's root */
  cr_assert_not (ms_scheduler_cancel (s, 0));
  cr_assert_eq (log.destroyed, 2);
  cr_assert_eq (ms_scheduler_get_n_pending (s), 6);
  cr_assert (ms_scheduler_run (s, NULL));
  cr_assert_str_eq (log.log->str, "e6@40 e5@50 e4@60 e2@80 e1@90 e0@100 ");
  cr_assert_eq (log.destroyed, 8);
  g_string_free (log.log, TRUE);
}

Test (scheduler, run_until_stops_and_advances_the_clock)
{
  g_autoptr(MsScheduler) s = ms_scheduler_new ();
  Log log = { g_string_new (NULL), 0 };

  add (s, &log, 5, "a");
  add (s, &log, 15, "b");
  add (s, &log, 10, "c");
  cr_assert_eq (ms_scheduler_run_until (s, 10), 2);
  cr_assert_eq (ms_scheduler_get_now (s), 10);
  cr_assert_str_eq (log.log->str, "a@5 c@10 ");
  /* an event scheduled "in the past" runs now, never before the clock */
  {
    Item *late = g_new0 (Item, 1);

    late->log = &log;
    g_strlcpy (late->tag, "late", sizeof late->tag);
    cr_assert_neq (ms_scheduler_schedule_at (s, 3, "late", append, late, item_free), 0);
  }
  cr_assert_eq (ms_scheduler_run_until (s, 12), 1);
  cr_assert_str_eq (log.log->str, "a@5 c@10 late@10 ");
  cr_assert_eq (ms_scheduler_run_until (s, 100), 1);
  cr_assert_eq (ms_scheduler_get_now (s), 100);
  g_string_free (log.log, TRUE);
}

static void
forever (MsScheduler *scheduler,
         gpointer     user_data)
{
  ms_scheduler_schedule (scheduler, 1, "forever", forever, NULL, NULL);
}

Test (scheduler, safety_cap_is_reported)
{
  g_autoptr(MsScheduler) s = ms_scheduler_new ();
  g_autoptr(GError) error = NULL;

  ms_scheduler_set_max_events (s, 1000);
  ms_scheduler_schedule (s, 0, "forever", forever, NULL, NULL);
  cr_assert_not (ms_scheduler_run (s, &error));
  cr_assert (g_error_matches (error, MS_SCHEDULER_ERROR, MS_SCHEDULER_ERROR_EVENT_LIMIT));
  cr_assert (strstr (error->message, "forever") != NULL, "%s", error->message);
  cr_assert_eq (ms_scheduler_get_n_executed (s), 1000);
  cr_assert_eq (ms_scheduler_get_now (s), 999);
}

/* A chain of events that schedule more events with seeded random delays, several of
 * them at equal times: the trace of one run must equal the next. */
typedef struct
{
  GRand   *rand;
  GString *log;
  guint    budget;
  guint64  last_time;
  gboolean monotonic;
} Chaos;

static void
chaos_event (MsScheduler *scheduler,
             gpointer     user_data)
{
  Chaos *chaos = user_data;
  guint64 now = ms_scheduler_get_now (scheduler);

  if (now < chaos->last_time)
    chaos->monotonic = FALSE;
  chaos->last_time = now;
  g_string_append_printf (chaos->log, "%" G_GUINT64_FORMAT ":%u ", now,
                          ms_scheduler_get_n_pending (scheduler));
  for (guint i = 0; i < 2 && chaos->budget > 0; i++, chaos->budget--)
    {
      guint id = ms_scheduler_schedule (scheduler, g_rand_int_range (chaos->rand, 0, 4) * 7,
                                        "chaos", chaos_event, chaos, NULL);

      if (g_rand_int_range (chaos->rand, 0, 10) == 0)
        ms_scheduler_cancel (scheduler, id);
    }
}

static char *
chaos_run (guint32 seed)
{
  g_autoptr(MsScheduler) s = ms_scheduler_new ();
  Chaos chaos = { g_rand_new_with_seed (seed), g_string_new (NULL), 5000, 0, TRUE };

  ms_scheduler_schedule (s, 0, "chaos", chaos_event, &chaos, NULL);
  cr_assert (ms_scheduler_run (s, NULL));
  cr_assert (chaos.monotonic);
  cr_assert_gt (ms_scheduler_get_n_executed (s), 1000);
  g_rand_free (chaos.rand);
  return g_string_free (chaos.log, FALSE);
}

Test (scheduler, runs_are_deterministic)
{
  g_autofree char *a = chaos_run (42);
  g_autofree char *b = chaos_run (42);
  g_autofree char *c = chaos_run (43);

  cr_assert_str_eq (a, b);
  cr_assert_str_neq (a, c);
}
