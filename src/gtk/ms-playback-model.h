/* ms-playback-model.h: one trace, one cursor, shared by every view of the window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The trace's lines and events are flattened into one time-ordered list of steps; the
 * cursor is an index into it. Stepping back is moving the cursor, nothing is replayed.
 */
#pragma once

#include <glib-object.h>

#include "ms-trace.h"

G_BEGIN_DECLS

typedef enum
{
  MS_STEP_LINE,
  MS_STEP_EVENT,
} MsStepKind;

typedef struct
{
  gint64           t_us;
  MsStepKind       kind;
  guint            session_index;  /* for lines: the session's index in the trace */
  guint            index;          /* line index in its session, or event index */
  MsTraceSession  *session;        /* for lines; for events with a session id, or NULL */
} MsStep;

/* Errors and blocks marked on the timeline. */
typedef enum
{
  MS_STEP_MARK_NONE,
  MS_STEP_MARK_ERROR,    /* 4xx/5xx, -ERR, NO/BAD */
  MS_STEP_MARK_BLOCKED,  /* a "blocked" event */
  MS_STEP_MARK_POLICY,   /* a policy event with a failing result */
} MsStepMark;

/* Two sessions of one connection (client and server side) open this close together. */
#define MS_PLAYBACK_MIRROR_WINDOW_US (G_USEC_PER_SEC)

#define MS_PLAYBACK_MIN_SPEED 0.25
#define MS_PLAYBACK_MAX_SPEED 8.0
/* Steps per second at speed 1. */
#define MS_PLAYBACK_STEPS_PER_SECOND 1.5

#define MS_TYPE_PLAYBACK_MODEL (ms_playback_model_get_type ())
G_DECLARE_FINAL_TYPE (MsPlaybackModel, ms_playback_model, MS, PLAYBACK_MODEL, GObject)

MsPlaybackModel *ms_playback_model_new            (void);
void             ms_playback_model_set_trace      (MsPlaybackModel *self,
                                                   MsTrace         *trace);
MsTrace         *ms_playback_model_get_trace      (MsPlaybackModel *self);
guint            ms_playback_model_get_n_steps    (MsPlaybackModel *self);
const MsStep    *ms_playback_model_get_step       (MsPlaybackModel *self,
                                                   guint            index);
guint            ms_playback_model_get_cursor     (MsPlaybackModel *self);
void             ms_playback_model_set_cursor     (MsPlaybackModel *self,
                                                   guint            cursor);
const MsStep    *ms_playback_model_get_current    (MsPlaybackModel *self);
MsTraceLine     *ms_playback_model_get_step_line  (MsPlaybackModel *self,
                                                   const MsStep    *step);
MsTraceEvent    *ms_playback_model_get_step_event (MsPlaybackModel *self,
                                                   const MsStep    *step);
guint            ms_playback_model_find_line      (MsPlaybackModel *self,
                                                   guint            session_index,
                                                   guint            line_index);
const guint     *ms_playback_model_get_event_steps (MsPlaybackModel *self,
                                                    guint           *n);
gboolean         ms_playback_model_is_mirror      (MsPlaybackModel *self,
                                                   guint            session_index);
MsStepMark       ms_playback_model_get_mark       (MsPlaybackModel *self,
                                                   guint            index);
void             ms_playback_model_step           (MsPlaybackModel *self,
                                                   int              delta);
gboolean         ms_playback_model_get_playing    (MsPlaybackModel *self);
void             ms_playback_model_set_playing    (MsPlaybackModel *self,
                                                   gboolean         playing);
double           ms_playback_model_get_speed      (MsPlaybackModel *self);
void             ms_playback_model_set_speed      (MsPlaybackModel *self,
                                                   double           speed);
gboolean         ms_playback_model_get_show_secrets (MsPlaybackModel *self);
void             ms_playback_model_set_show_secrets (MsPlaybackModel *self,
                                                     gboolean         show);

/* A gate may hold the cursor before it steps forward onto @target (one step, by
 * ms_playback_model_step or playing): return FALSE to hold it there; playing stops.
 * set_cursor is never held. "Predict the next reply" asks first, then moves on. */
typedef gboolean (*MsPlaybackGate) (MsPlaybackModel *model,
                                    guint            target,
                                    gpointer         user_data);
void             ms_playback_model_set_gate       (MsPlaybackModel *self,
                                                   MsPlaybackGate   gate,
                                                   gpointer         user_data);

/* While predicting, views hide what comes after the cursor (lines not sent yet);
 * changing it re-emits "cursor-changed". */
void             ms_playback_model_set_hide_future (MsPlaybackModel *self,
                                                    gboolean         hide);
gboolean         ms_playback_model_get_hide_future (MsPlaybackModel *self);

MsStepMark       ms_step_mark_for_line            (MsProtocol       protocol,
                                                   const MsTraceLine *line);
MsStepMark       ms_step_mark_for_event           (const MsTraceEvent *event);

/* Every view follows one model: disconnects @view from the model in *@slot, keeps a
 * reference to @model there and connects its "cursor-changed" and (when not NULL)
 * "trace-changed" signals to @view. FALSE when *@slot already holds @model. */
gboolean         ms_playback_model_attach_view    (MsPlaybackModel **slot,
                                                   MsPlaybackModel  *model,
                                                   gpointer          view,
                                                   GCallback         on_cursor_changed,
                                                   GCallback         on_trace_changed);

G_END_DECLS
