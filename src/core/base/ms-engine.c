/* ms-engine.c: framing, recording and TLS hand-over shared by all engines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-engine"

#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "ms-engine.h"

typedef struct
{
  MsEngineRole        role;
  MsEngineOutputFunc  output;
  gpointer            output_data;
  GDestroyNotify      output_destroy;
  MsTraceSession     *session;
  char               *client_address;
  char               *server_address;
  guint16             client_port;
  guint16             server_port;
  gsize               max_line;
  GByteArray         *inbuf;
  gsize               literal_remaining;  /* > 0: the next bytes belong to a literal */
  GByteArray         *literal;
  gboolean            discarding;         /* dropping an over-long line up to its LF */
  gsize               discarded;
  gboolean            tls_pending;
  gboolean            tls_active;
  gboolean            closed;
  gboolean            started;
  guint               feeding;
} MsEnginePrivate;

enum {
  PROP_0,
  PROP_ROLE,
  N_PROPS
};

enum {
  TLS_REQUESTED,
  CLOSE_REQUESTED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (MsEngine, ms_engine, G_TYPE_OBJECT)

static void
ms_engine_finalize (GObject *object)
{
  MsEngine *self = MS_ENGINE (object);
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  if (priv->output_destroy != NULL)
    priv->output_destroy (priv->output_data);
  g_free (priv->client_address);
  g_free (priv->server_address);
  g_byte_array_unref (priv->inbuf);
  g_clear_pointer (&priv->literal, g_byte_array_unref);

  G_OBJECT_CLASS (ms_engine_parent_class)->finalize (object);
}

static void
ms_engine_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  MsEngine *self = MS_ENGINE (object);
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ROLE:
      g_value_set_int (value, priv->role);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_engine_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  MsEngine *self = MS_ENGINE (object);
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ROLE:
      priv->role = g_value_get_int (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ms_engine_class_init (MsEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ms_engine_finalize;
  object_class->get_property = ms_engine_get_property;
  object_class->set_property = ms_engine_set_property;

  /* Which side the engine plays: it decides the direction of recorded lines. */
  properties[PROP_ROLE] =
    g_param_spec_int ("role", NULL, NULL,
                      MS_ENGINE_ROLE_SERVER, MS_ENGINE_ROLE_CLIENT, MS_ENGINE_ROLE_SERVER,
                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TLS_REQUESTED] =
    g_signal_new ("tls-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CLOSE_REQUESTED] =
    g_signal_new ("close-requested", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ms_engine_init (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  priv->max_line = MS_ENGINE_DEFAULT_MAX_LINE;
  priv->inbuf = g_byte_array_new ();
}

MsEngineRole
ms_engine_get_role (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_val_if_fail (MS_IS_ENGINE (self), MS_ENGINE_ROLE_SERVER);
  return priv->role;
}

void
ms_engine_set_output_func (MsEngine           *self,
                           MsEngineOutputFunc  func,
                           gpointer            user_data,
                           GDestroyNotify      destroy)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (priv->output_destroy != NULL)
    priv->output_destroy (priv->output_data);
  priv->output = func;
  priv->output_data = user_data;
  priv->output_destroy = destroy;
}

/* The session is owned by its trace; the engine only writes into it. */
void
ms_engine_set_session (MsEngine       *self,
                       MsTraceSession *session)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));
  priv->session = session;
}

MsTraceSession *
ms_engine_get_session (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_val_if_fail (MS_IS_ENGINE (self), NULL);
  return priv->session;
}

void
ms_engine_set_endpoints (MsEngine   *self,
                         const char *client_address,
                         guint16     client_port,
                         const char *server_address,
                         guint16     server_port)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  g_free (priv->client_address);
  g_free (priv->server_address);
  priv->client_address = g_strdup (client_address);
  priv->server_address = g_strdup (server_address);
  priv->client_port = client_port;
  priv->server_port = server_port;
}

const char *
ms_engine_get_client_address (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->client_address ? priv->client_address : "0.0.0.0";
}

guint16
ms_engine_get_client_port (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->client_port;
}

const char *
ms_engine_get_server_address (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->server_address ? priv->server_address : "0.0.0.0";
}

guint16
ms_engine_get_server_port (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->server_port;
}

void
ms_engine_set_max_line (MsEngine *self,
                        gsize     max_line)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));
  g_return_if_fail (max_line > 0);
  priv->max_line = max_line;
}

gsize
ms_engine_get_max_line (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->max_line;
}

void
ms_engine_start (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (priv->started)
    return;
  priv->started = TRUE;
  if (MS_ENGINE_GET_CLASS (self)->start != NULL)
    MS_ENGINE_GET_CLASS (self)->start (self);
}

static gboolean
input_blocked (MsEnginePrivate *priv)
{
  return priv->closed || priv->tls_pending;
}

/* Runs the framing loop over whatever is buffered. Stops as soon as the subclass asks
 * for TLS or a close: bytes that arrived behind a STARTTLS must not be acted on
 * (RFC 3207 §5, the command-injection lesson), so they are dropped. */
static void
process_input (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  MsEngineClass *klass = MS_ENGINE_GET_CLASS (self);
  gsize pos = 0;

  while (pos < priv->inbuf->len && !input_blocked (priv))
    {
      const guint8 *data = priv->inbuf->data + pos;
      gsize avail = priv->inbuf->len - pos;

      if (priv->literal_remaining > 0)
        {
          gsize take = MIN (avail, priv->literal_remaining);

          g_byte_array_append (priv->literal, data, take);
          priv->literal_remaining -= take;
          pos += take;
          if (priv->literal_remaining == 0)
            {
              g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (priv->literal);

              priv->literal = NULL;
              if (klass->handle_literal != NULL)
                klass->handle_literal (self, bytes);
            }
          continue;
        }

      {
        const guint8 *lf = memchr (data, '\n', avail);

        if (priv->discarding)
          {
            if (lf == NULL)
              {
                priv->discarded += avail;
                pos += avail;
                break;
              }
            priv->discarded += (gsize) (lf - data);
            pos += (gsize) (lf - data) + 1;
            priv->discarding = FALSE;
            if (klass->handle_overflow != NULL)
              klass->handle_overflow (self, priv->discarded);
            priv->discarded = 0;
            continue;
          }

        if (lf == NULL)
          {
            if (avail > priv->max_line + 1)
              {
                priv->discarding = TRUE;
                priv->discarded = avail;
                pos += avail;
              }
            break;
          }

        {
          gsize line_len = (gsize) (lf - data);
          gsize consumed = line_len + 1;

          if (line_len > 0 && data[line_len - 1] == '\r')
            line_len--;
          pos += consumed;
          if (line_len > priv->max_line)
            {
              if (klass->handle_overflow != NULL)
                klass->handle_overflow (self, line_len);
              continue;
            }
          if (klass->handle_line != NULL)
            {
              /* NUL-terminated copy: handlers may use string functions. */
              char stack[512];
              char *copy = line_len < sizeof stack ? stack : g_malloc (line_len + 1);

              memcpy (copy, data, line_len);
              copy[line_len] = '\0';
              klass->handle_line (self, copy, line_len);
              if (copy != stack)
                g_free (copy);
            }
        }
      }
    }

  if (input_blocked (priv))
    g_byte_array_set_size (priv->inbuf, 0);
  else if (pos > 0)
    g_byte_array_remove_range (priv->inbuf, 0, pos);
}

void
ms_engine_feed (MsEngine     *self,
                const guint8 *data,
                gsize         len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (input_blocked (priv) || len == 0)
    return;
  g_byte_array_append (priv->inbuf, data, len);
  if (priv->feeding > 0)
    return;  /* fed from inside a handler: the running loop picks it up */
  g_object_ref (self);
  priv->feeding++;
  process_input (self);
  priv->feeding--;
  g_object_unref (self);
}

void
ms_engine_tls_established (MsEngine  *self,
                           MsTlsMode  mode)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  priv->tls_pending = FALSE;
  priv->tls_active = TRUE;
  g_byte_array_set_size (priv->inbuf, 0);
  if (priv->session != NULL)
    ms_trace_session_set_tls (priv->session, mode);
  if (mode == MS_TLS_STARTTLS && MS_ENGINE_GET_CLASS (self)->tls_started != NULL)
    MS_ENGINE_GET_CLASS (self)->tls_started (self);
}

void
ms_engine_peer_closed (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (priv->closed)
    return;
  priv->closed = TRUE;
  if (MS_ENGINE_GET_CLASS (self)->peer_closed != NULL)
    MS_ENGINE_GET_CLASS (self)->peer_closed (self);
}

gboolean
ms_engine_is_closed (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->closed;
}

gboolean
ms_engine_is_tls_pending (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->tls_pending;
}

gboolean
ms_engine_is_tls_active (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  return priv->tls_active;
}

static MsDirection
output_direction (MsEnginePrivate *priv)
{
  return priv->role == MS_ENGINE_ROLE_SERVER ? MS_DIR_SERVER : MS_DIR_CLIENT;
}

static MsDirection
input_direction (MsEnginePrivate *priv)
{
  return priv->role == MS_ENGINE_ROLE_SERVER ? MS_DIR_CLIENT : MS_DIR_SERVER;
}

void
ms_engine_send_raw (MsEngine     *self,
                    const guint8 *data,
                    gsize         len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (priv->output != NULL && len > 0)
    priv->output (self, data, len, priv->output_data);
}

/* Every line an engine says goes through here: recorded once, then written with CRLF. */
void
ms_engine_send_text (MsEngine   *self,
                     MsLineKind  kind,
                     const char *text,
                     gssize      len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);
  char stack[1024];
  char *buf;

  g_return_if_fail (MS_IS_ENGINE (self));

  if (len < 0)
    len = strlen (text);
  if (priv->session != NULL)
    ms_trace_session_add_line (priv->session, output_direction (priv), kind, text, len);
  buf = (gsize) len + 2 <= sizeof stack ? stack : g_malloc (len + 2);
  memcpy (buf, text, len);
  buf[len] = '\r';
  buf[len + 1] = '\n';
  ms_engine_send_raw (self, (const guint8 *) buf, len + 2);
  if (buf != stack)
    g_free (buf);
}

void
ms_engine_send_line (MsEngine   *self,
                     MsLineKind  kind,
                     const char *format,
                     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  ms_engine_send_text (self, kind, text, -1);
}

MsTraceLine *
ms_engine_record_input (MsEngine   *self,
                        MsLineKind  kind,
                        const char *text,
                        gssize      len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_val_if_fail (MS_IS_ENGINE (self), NULL);

  if (priv->session == NULL)
    return NULL;
  return ms_trace_session_add_line (priv->session, input_direction (priv), kind, text, len);
}

MsTraceLine *
ms_engine_record_output (MsEngine   *self,
                         MsLineKind  kind,
                         const char *text,
                         gssize      len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_val_if_fail (MS_IS_ENGINE (self), NULL);

  if (priv->session == NULL)
    return NULL;
  return ms_trace_session_add_line (priv->session, output_direction (priv), kind, text, len);
}

void
ms_engine_expect_literal (MsEngine *self,
                          gsize     len)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (len == 0)
    {
      g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
      if (MS_ENGINE_GET_CLASS (self)->handle_literal != NULL)
        MS_ENGINE_GET_CLASS (self)->handle_literal (self, empty);
      return;
    }
  priv->literal_remaining = len;
  g_clear_pointer (&priv->literal, g_byte_array_unref);
  priv->literal = g_byte_array_sized_new (MIN (len, 1024 * 1024));
}

void
ms_engine_request_tls (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  priv->tls_pending = TRUE;
  g_signal_emit (self, signals[TLS_REQUESTED], 0);
}

void
ms_engine_request_close (MsEngine *self)
{
  MsEnginePrivate *priv = ms_engine_get_instance_private (self);

  g_return_if_fail (MS_IS_ENGINE (self));

  if (priv->closed)
    return;
  priv->closed = TRUE;
  g_signal_emit (self, signals[CLOSE_REQUESTED], 0);
}
