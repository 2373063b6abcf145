/* ms-playback-model.c: one trace, one cursor
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-gtk"

#include "config.h"

#include <string.h>

#include "ms-playback-model.h"

struct _MsPlaybackModel
{
  GObject   parent_instance;

  MsTrace  *trace;
  GArray   *steps;   /* of MsStep */
  guint8   *marks;   /* MsStepMark per step */
  gboolean *hidden;  /* per session: the mirror of another */
  GArray   *event_steps; /* step indices of the events, ascending */
  guint     n_hidden;
  guint     cursor;
  gboolean  playing;
  double    speed;
  gboolean  show_secrets;
  guint     timeout_id;
  MsPlaybackGate gate;
  gpointer  gate_data;
  gboolean  hide_future;
};

G_DEFINE_FINAL_TYPE (MsPlaybackModel, ms_playback_model, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_CURSOR,
  PROP_PLAYING,
  PROP_SPEED,
  PROP_SHOW_SECRETS,
  N_PROPS
};

enum
{
  TRACE_CHANGED,
  CURSOR_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static int
compare_steps (gconstpointer a,
               gconstpointer b)
{
  const MsStep *x = a, *y = b;

  if (x->t_us != y->t_us)
    return x->t_us < y->t_us ? -1 : 1;
  /* same instant: lines first (an event is the consequence of a line), then by order */
  if (x->kind != y->kind)
    return x->kind == MS_STEP_LINE ? -1 : 1;
  if (x->session_index != y->session_index)
    return x->session_index < y->session_index ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

MsStepMark
ms_step_mark_for_line (MsProtocol         protocol,
                       const MsTraceLine *line)
{
  if (line->dir != MS_DIR_SERVER)
    return MS_STEP_MARK_NONE;
  if (line->code >= 400 && line->code < 600)
    return MS_STEP_MARK_ERROR;
  if (line->status != NULL
      && (strcmp (line->status, "-ERR") == 0 || strcmp (line->status, "NO") == 0
          || strcmp (line->status, "BAD") == 0))
    return MS_STEP_MARK_ERROR;
  return MS_STEP_MARK_NONE;
}

MsStepMark
ms_step_mark_for_event (const MsTraceEvent *event)
{
  const char *result;

  if (g_strcmp0 (event->type, "blocked") == 0)
    return MS_STEP_MARK_BLOCKED;
  if (!json_object_has_member (event->fields, "result"))
    return MS_STEP_MARK_NONE;
  result = json_object_get_string_member_with_default (event->fields, "result", "");
  if (strcmp (result, "fail") == 0 || strcmp (result, "softfail") == 0
      || strcmp (result, "deny") == 0 || strcmp (result, "denied") == 0
      || strcmp (result, "reject") == 0 || strcmp (result, "refuse") == 0
      || strcmp (result, "failed") == 0 || strcmp (result, "error") == 0
      || strcmp (result, "rejected") == 0
      || strcmp (result, "permerror") == 0 || strcmp (result, "temperror") == 0)
    return MS_STEP_MARK_POLICY;
  return MS_STEP_MARK_NONE;
}

/* In a simulated network both ends record their own session of one connection: the
 * same lines twice. Show one: the one events or messages refer to (the server's). */
static gboolean
session_referenced (MsTrace *trace,
                    guint    id)
{
  for (guint i = 0; i < ms_trace_get_n_events (trace); i++)
    if (ms_trace_get_event (trace, i)->session == id)
      return TRUE;
  for (guint i = 0; i < ms_trace_get_n_messages (trace); i++)
    if (ms_trace_get_message (trace, i)->session == id)
      return TRUE;
  return FALSE;
}

static gboolean
sessions_mirror (MsTraceSession *a,
                 MsTraceSession *b)
{
  return a->protocol == b->protocol && g_strcmp0 (a->client, b->client) == 0
         && g_strcmp0 (a->server, b->server) == 0 && a->lines->len == b->lines->len
         && ABS (a->opened_us - b->opened_us) < MS_PLAYBACK_MIRROR_WINDOW_US;
}

gboolean
ms_playback_model_is_mirror (MsPlaybackModel *self,
                             guint            session_index)
{
  return self->hidden != NULL && session_index < self->n_hidden && self->hidden[session_index];
}

static void
find_mirrors (MsPlaybackModel *self)
{
  guint n = ms_trace_get_n_sessions (self->trace);

  g_clear_pointer (&self->hidden, g_free);
  self->hidden = g_new0 (gboolean, MAX (n, 1));
  self->n_hidden = n;
  for (guint i = 0; i < n; i++)
    {
      MsTraceSession *a = ms_trace_get_session (self->trace, i);

      if (self->hidden[i])
        continue;
      for (guint k = i + 1; k < n; k++)
        {
          MsTraceSession *b = ms_trace_get_session (self->trace, k);

          if (self->hidden[k] || !sessions_mirror (a, b))
            continue;
          if (session_referenced (self->trace, a->id) && !session_referenced (self->trace, b->id))
            self->hidden[k] = TRUE;
          else
            self->hidden[i] = TRUE;
          break;
        }
    }
}

static void
rebuild_steps (MsPlaybackModel *self)
{
  guint n_sessions, n_events;

  g_array_set_size (self->steps, 0);
  g_array_set_size (self->event_steps, 0);
  g_clear_pointer (&self->marks, g_free);
  if (self->trace == NULL)
    return;

  find_mirrors (self);
  n_sessions = ms_trace_get_n_sessions (self->trace);
  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (self->trace, s);

      if (self->hidden[s])
        continue;

      for (guint i = 0; i < session->lines->len; i++)
        {
          MsTraceLine *line = g_ptr_array_index (session->lines, i);
          MsStep step = { line->t_us, MS_STEP_LINE, s, i, session };

          g_array_append_val (self->steps, step);
        }
    }
  n_events = ms_trace_get_n_events (self->trace);
  for (guint e = 0; e < n_events; e++)
    {
      MsTraceEvent *event = ms_trace_get_event (self->trace, e);
      MsStep step = { event->t_us, MS_STEP_EVENT, G_MAXUINT, e, NULL };

      if (event->session != 0)
        step.session = ms_trace_find_session (self->trace, event->session);
      g_array_append_val (self->steps, step);
    }
  g_array_sort (self->steps, compare_steps);

  g_array_set_size (self->event_steps, 0);
  for (guint i = 0; i < self->steps->len; i++)
    if (g_array_index (self->steps, MsStep, i).kind == MS_STEP_EVENT)
      g_array_append_val (self->event_steps, i);

  self->marks = g_new0 (guint8, MAX (self->steps->len, 1));
  for (guint i = 0; i < self->steps->len; i++)
    {
      const MsStep *step = &g_array_index (self->steps, MsStep, i);

      if (step->kind == MS_STEP_LINE)
        self->marks[i] = ms_step_mark_for_line (step->session->protocol,
                                                ms_playback_model_get_step_line (self, step));
      else
        self->marks[i] = ms_step_mark_for_event (ms_playback_model_get_step_event (self, step));
    }
}

static void
ms_playback_model_finalize (GObject *object)
{
  MsPlaybackModel *self = MS_PLAYBACK_MODEL (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->trace);
  g_array_unref (self->steps);
  g_array_unref (self->event_steps);
  g_free (self->marks);
  g_free (self->hidden);
  G_OBJECT_CLASS (ms_playback_model_parent_class)->finalize (object);
}

static void
ms_playback_model_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MsPlaybackModel *self = MS_PLAYBACK_MODEL (object);

  switch (prop_id)
    {
    case PROP_CURSOR:
      g_value_set_uint (value, self->cursor);
      break;
    case PROP_PLAYING:
      g_value_set_boolean (value, self->playing);
      break;
    case PROP_SPEED:
      g_value_set_double (value, self->speed);
      break;
    case PROP_SHOW_SECRETS:
      g_value_set_boolean (value, self->show_secrets);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_playback_model_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MsPlaybackModel *self = MS_PLAYBACK_MODEL (object);

  switch (prop_id)
    {
    case PROP_CURSOR:
      ms_playback_model_set_cursor (self, g_value_get_uint (value));
      break;
    case PROP_PLAYING:
      ms_playback_model_set_playing (self, g_value_get_boolean (value));
      break;
    case PROP_SPEED:
      ms_playback_model_set_speed (self, g_value_get_double (value));
      break;
    case PROP_SHOW_SECRETS:
      ms_playback_model_set_show_secrets (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_playback_model_class_init (MsPlaybackModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ms_playback_model_finalize;
  object_class->get_property = ms_playback_model_get_property;
  object_class->set_property = ms_playback_model_set_property;

  properties[PROP_CURSOR] =
    g_param_spec_uint ("cursor", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PLAYING] =
    g_param_spec_boolean ("playing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPEED] =
    g_param_spec_double ("speed", NULL, NULL, MS_PLAYBACK_MIN_SPEED, MS_PLAYBACK_MAX_SPEED, 1.0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_SECRETS] =
    g_param_spec_boolean ("show-secrets", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TRACE_CHANGED] =
    g_signal_new ("trace-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CURSOR_CHANGED] =
    g_signal_new ("cursor-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
ms_playback_model_init (MsPlaybackModel *self)
{
  self->steps = g_array_new (FALSE, FALSE, sizeof (MsStep));
  self->event_steps = g_array_new (FALSE, FALSE, sizeof (guint));
  self->speed = 1.0;
}

MsPlaybackModel *
ms_playback_model_new (void)
{
  return g_object_new (MS_TYPE_PLAYBACK_MODEL, NULL);
}

void
ms_playback_model_set_trace (MsPlaybackModel *self,
                             MsTrace         *trace)
{
  g_return_if_fail (MS_IS_PLAYBACK_MODEL (self));

  ms_playback_model_set_playing (self, FALSE);
  g_set_object (&self->trace, trace);
  rebuild_steps (self);
  self->cursor = 0;
  g_signal_emit (self, signals[TRACE_CHANGED], 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR]);
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, self->cursor);
}

MsTrace *
ms_playback_model_get_trace (MsPlaybackModel *self)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), NULL);
  return self->trace;
}

guint
ms_playback_model_get_n_steps (MsPlaybackModel *self)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), 0);
  return self->steps->len;
}

const MsStep *
ms_playback_model_get_step (MsPlaybackModel *self,
                            guint            index)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), NULL);
  if (index >= self->steps->len)
    return NULL;
  return &g_array_index (self->steps, MsStep, index);
}

guint
ms_playback_model_get_cursor (MsPlaybackModel *self)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), 0);
  return self->cursor;
}

void
ms_playback_model_set_cursor (MsPlaybackModel *self,
                              guint            cursor)
{
  g_return_if_fail (MS_IS_PLAYBACK_MODEL (self));

  if (self->steps->len == 0)
    cursor = 0;
  else
    cursor = MIN (cursor, self->steps->len - 1);
  if (cursor == self->cursor)
    return;
  self->cursor = cursor;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR]);
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, cursor);
}

const MsStep *
ms_playback_model_get_current (MsPlaybackModel *self)
{
  return ms_playback_model_get_step (self, self->cursor);
}

MsTraceLine *
ms_playback_model_get_step_line (MsPlaybackModel *self,
                                 const MsStep    *step)
{
  if (step == NULL || step->kind != MS_STEP_LINE)
    return NULL;
  return g_ptr_array_index (step->session->lines, step->index);
}

MsTraceEvent *
ms_playback_model_get_step_event (MsPlaybackModel *self,
                                  const MsStep    *step)
{
  if (step == NULL || step->kind != MS_STEP_EVENT)
    return NULL;
  return ms_trace_get_event (self->trace, step->index);
}

/* The step of a line (binary search would need an index; traces are walked rarely). */
guint
ms_playback_model_find_line (MsPlaybackModel *self,
                             guint            session_index,
                             guint            line_index)
{
  for (guint i = 0; i < self->steps->len; i++)
    {
      const MsStep *step = &g_array_index (self->steps, MsStep, i);

      if (step->kind == MS_STEP_LINE && step->session_index == session_index
          && step->index == line_index)
        return i;
    }
  return G_MAXUINT;
}

/* The steps that are events, in order (the network view walks these, not every line). */
const guint *
ms_playback_model_get_event_steps (MsPlaybackModel *self,
                                   guint           *n)
{
  *n = self->event_steps->len;
  return (const guint *) (gpointer) self->event_steps->data;
}

MsStepMark
ms_playback_model_get_mark (MsPlaybackModel *self,
                            guint            index)
{
  if (index >= self->steps->len)
    return MS_STEP_MARK_NONE;
  return self->marks[index];
}

void
ms_playback_model_step (MsPlaybackModel *self,
                        int              delta)
{
  gint64 target = (gint64) self->cursor + delta;

  if (delta == 1 && self->gate != NULL && target < (gint64) self->steps->len
      && !self->gate (self, (guint) target, self->gate_data))
    {
      ms_playback_model_set_playing (self, FALSE);
      return;
    }
  ms_playback_model_set_cursor (self, (guint) CLAMP (target, 0, (gint64) G_MAXUINT));
}

static gboolean
on_tick (gpointer user_data)
{
  MsPlaybackModel *self = user_data;

  if (self->cursor + 1 >= self->steps->len)
    {
      self->timeout_id = 0;
      ms_playback_model_set_playing (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  ms_playback_model_step (self, 1);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (MsPlaybackModel *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->playing)
    self->timeout_id = g_timeout_add ((guint) (1000.0 / (MS_PLAYBACK_STEPS_PER_SECOND
                                                         * self->speed)),
                                      on_tick, self);
}

gboolean
ms_playback_model_get_playing (MsPlaybackModel *self)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), FALSE);
  return self->playing;
}

void
ms_playback_model_set_playing (MsPlaybackModel *self,
                               gboolean         playing)
{
  g_return_if_fail (MS_IS_PLAYBACK_MODEL (self));

  playing = !!playing;
  if (playing == self->playing)
    return;
  /* playing from the last step starts over */
  if (playing && self->steps->len > 0 && self->cursor + 1 >= self->steps->len)
    ms_playback_model_set_cursor (self, 0);
  self->playing = playing;
  restart_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PLAYING]);
}

double
ms_playback_model_get_speed (MsPlaybackModel *self)
{
  return self->speed;
}

void
ms_playback_model_set_speed (MsPlaybackModel *self,
                             double           speed)
{
  speed = CLAMP (speed, MS_PLAYBACK_MIN_SPEED, MS_PLAYBACK_MAX_SPEED);
  if (speed == self->speed)
    return;
  self->speed = speed;
  restart_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SPEED]);
}

gboolean
ms_playback_model_get_show_secrets (MsPlaybackModel *self)
{
  return self->show_secrets;
}

void
ms_playback_model_set_show_secrets (MsPlaybackModel *self,
                                    gboolean         show)
{
  show = !!show;
  if (show == self->show_secrets)
    return;
  self->show_secrets = show;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_SECRETS]);
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, self->cursor);
}

void
ms_playback_model_set_gate (MsPlaybackModel *self,
                            MsPlaybackGate   gate,
                            gpointer         user_data)
{
  g_return_if_fail (MS_IS_PLAYBACK_MODEL (self));
  self->gate = gate;
  self->gate_data = user_data;
}

void
ms_playback_model_set_hide_future (MsPlaybackModel *self,
                                   gboolean         hide)
{
  g_return_if_fail (MS_IS_PLAYBACK_MODEL (self));
  hide = !!hide;
  if (hide == self->hide_future)
    return;
  self->hide_future = hide;
  g_signal_emit (self, signals[CURSOR_CHANGED], 0, self->cursor);
}

gboolean
ms_playback_model_get_hide_future (MsPlaybackModel *self)
{
  g_return_val_if_fail (MS_IS_PLAYBACK_MODEL (self), FALSE);
  return self->hide_future;
}

gboolean
ms_playback_model_attach_view (MsPlaybackModel **slot,
                               MsPlaybackModel  *model,
                               gpointer          view,
                               GCallback         on_cursor_changed,
                               GCallback         on_trace_changed)
{
  if (*slot == model)
    return FALSE;
  if (*slot != NULL)
    g_signal_handlers_disconnect_by_data (*slot, view);
  g_set_object (slot, model);
  if (model == NULL)
    return TRUE;
  g_signal_connect (model, "cursor-changed", on_cursor_changed, view);
  if (on_trace_changed != NULL)
    g_signal_connect (model, "trace-changed", on_trace_changed, view);
  return TRUE;
}
