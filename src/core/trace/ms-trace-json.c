/* ms-trace-json.c: the trace as the JSON documented in docs/cli.md
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-trace"

#include "config.h"

#include "ms-trace.h"

/* Seconds with microsecond precision, rounded so that output is stable. */
static double
seconds (gint64 t_us)
{
  return (double) t_us / 1e6;
}

static void
set_text (JsonBuilder *b,
          const char  *name,
          const char  *text)
{
  json_builder_set_member_name (b, name);
  if (text == NULL)
    json_builder_add_null_value (b);
  else if (g_utf8_validate (text, -1, NULL))
    json_builder_add_string_value (b, text);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (text, -1);
      json_builder_add_string_value (b, valid);
    }
}

static const char *
line_kind_name (MsLineKind kind)
{
  switch (kind)
    {
    case MS_LINE_COMMAND: return "command";
    case MS_LINE_REPLY: return "reply";
    case MS_LINE_AUTH: return "auth";
    case MS_LINE_DATA: return "data";
    case MS_LINE_NOTE: return "note";
    default: return "unknown";
    }
}

static void
add_line (JsonBuilder *b,
          MsTraceLine *line)
{
  char dir[2] = { (char) line->dir, 0 };

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_double_value (b, seconds (line->t_us));
  json_builder_set_member_name (b, "dir");
  json_builder_add_string_value (b, dir);
  set_text (b, "text", line->text);
  if (line->command != NULL)
    set_text (b, "command", line->command);
  if (line->tag != NULL)
    set_text (b, "tag", line->tag);
  if (line->code != 0)
    {
      json_builder_set_member_name (b, "code");
      json_builder_add_int_value (b, line->code);
    }
  else if (line->status != NULL)
    set_text (b, "code", line->status);
  if (line->kind != MS_LINE_COMMAND && line->kind != MS_LINE_REPLY)
    set_text (b, "kind", line_kind_name (line->kind));
  if (line->secret)
    {
      json_builder_set_member_name (b, "secret");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (line->frame != 0)
    {
      json_builder_set_member_name (b, "frame");
      json_builder_add_int_value (b, (gint64) line->frame);
    }
  json_builder_end_object (b);
}

static void
build_session (JsonBuilder    *b,
               MsTraceSession *session)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, session->id);
  set_text (b, "protocol", ms_protocol_to_string (session->protocol));
  set_text (b, "client", session->client);
  set_text (b, "server", session->server);
  if (session->client_node != NULL)
    set_text (b, "client_node", session->client_node);
  if (session->server_node != NULL)
    set_text (b, "server_node", session->server_node);
  set_text (b, "tls", ms_tls_mode_to_string (session->tls));
  json_builder_set_member_name (b, "opened");
  json_builder_add_double_value (b, seconds (session->opened_us));
  if (session->closed_us >= 0)
    {
      json_builder_set_member_name (b, "closed");
      json_builder_add_double_value (b, seconds (session->closed_us));
    }
  json_builder_set_member_name (b, "lines");
  json_builder_begin_array (b);
  for (guint i = 0; i < session->lines->len; i++)
    add_line (b, g_ptr_array_index (session->lines, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
build_event (JsonBuilder  *b,
             MsTraceEvent *event)
{
  g_autoptr(GList) members = json_object_get_members (event->fields);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "t");
  json_builder_add_double_value (b, seconds (event->t_us));
  set_text (b, "type", event->type);
  if (event->node != NULL)
    set_text (b, "node", event->node);
  if (event->session != 0)
    {
      json_builder_set_member_name (b, "session");
      json_builder_add_int_value (b, event->session);
    }
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (event->fields, l->data);

      json_builder_set_member_name (b, l->data);
      json_builder_add_value (b, json_node_copy (value));
    }
  json_builder_end_object (b);
}

static void
build_message (JsonBuilder    *b,
               MsTraceMessage *message)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "session");
  json_builder_add_int_value (b, message->session);
  json_builder_set_member_name (b, "t");
  json_builder_add_double_value (b, seconds (message->t_us));
  if (message->node != NULL)
    set_text (b, "node", message->node);
  set_text (b, "mail_from", message->mail_from);
  json_builder_set_member_name (b, "rcpt_to");
  json_builder_begin_array (b);
  for (guint i = 0; message->rcpt_to[i] != NULL; i++)
    json_builder_add_string_value (b, message->rcpt_to[i]);
  json_builder_end_array (b);
  set_text (b, "subject", message->subject);
  set_text (b, "message_id", message->message_id);
  if (message->raw != NULL)
    {
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, g_bytes_get_size (message->raw));
    }
  json_builder_set_member_name (b, "headers");
  json_builder_begin_array (b);
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **pair = g_ptr_array_index (message->headers, i);

      json_builder_begin_array (b);
      for (guint k = 0; k < 2; k++)
        {
          if (g_utf8_validate (pair[k], -1, NULL))
            json_builder_add_string_value (b, pair[k]);
          else
            {
              g_autofree char *valid = g_utf8_make_valid (pair[k], -1);
              json_builder_add_string_value (b, valid);
            }
        }
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static JsonNode *
finish (JsonBuilder *b)
{
  return json_builder_get_root (b);
}

JsonNode *
ms_trace_session_to_json (MsTraceSession *session)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  build_session (b, session);
  return finish (b);
}

JsonNode *
ms_trace_event_to_json (MsTraceEvent *event)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  build_event (b, event);
  return finish (b);
}

JsonNode *
ms_trace_message_to_json (MsTraceMessage *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  build_message (b, message);
  return finish (b);
}

JsonNode *
ms_trace_to_json (MsTrace *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint n;

  g_return_val_if_fail (MS_IS_TRACE (self), NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_begin_object (b);
  set_text (b, "kind", ms_trace_get_source_kind (self));
  set_text (b, "name", ms_trace_get_source_name (self));
  json_builder_end_object (b);

  if (ms_trace_get_topology (self) != NULL)
    {
      JsonNode *topology = json_node_new (JSON_NODE_OBJECT);

      json_node_set_object (topology, ms_trace_get_topology (self));
      json_builder_set_member_name (b, "topology");
      json_builder_add_value (b, topology);
    }

  json_builder_set_member_name (b, "sessions");
  json_builder_begin_array (b);
  n = ms_trace_get_n_sessions (self);
  for (guint i = 0; i < n; i++)
    build_session (b, ms_trace_get_session (self, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "messages");
  json_builder_begin_array (b);
  n = ms_trace_get_n_messages (self);
  for (guint i = 0; i < n; i++)
    build_message (b, ms_trace_get_message (self, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "events");
  json_builder_begin_array (b);
  n = ms_trace_get_n_events (self);
  for (guint i = 0; i < n; i++)
    build_event (b, ms_trace_get_event (self, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "expectations");
  json_builder_begin_array (b);
  n = ms_trace_get_n_expectations (self);
  for (guint i = 0; i < n; i++)
    {
      gboolean ok;
      const char *text = ms_trace_get_expectation (self, i, &ok);

      json_builder_begin_object (b);
      set_text (b, "text", text);
      json_builder_set_member_name (b, "ok");
      json_builder_add_boolean_value (b, ok);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return finish (b);
}

char *
ms_trace_to_json_string (MsTrace  *self,
                         gboolean  pretty)
{
  g_autoptr(JsonNode) root = ms_trace_to_json (self);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_pretty (gen, pretty);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* ------------------------------------------------------------------------------------ */
/* The same objects through MsJsonWriter (streaming: `mailsim analyze`) */

void
ms_trace_line_write_json (MsJsonWriter *w,
                          MsTraceLine  *line)
{
  char dir[2] = { (char) line->dir, 0 };

  ms_json_writer_begin_object (w);
  ms_json_writer_key (w, "t");
  ms_json_writer_seconds (w, line->t_us);
  ms_json_writer_member_string (w, "dir", dir);
  ms_json_writer_member_string (w, "text", line->text);
  if (line->command != NULL)
    ms_json_writer_member_string (w, "command", line->command);
  if (line->tag != NULL)
    ms_json_writer_member_string (w, "tag", line->tag);
  if (line->code != 0)
    ms_json_writer_member_int (w, "code", line->code);
  else if (line->status != NULL)
    ms_json_writer_member_string (w, "code", line->status);
  if (line->kind != MS_LINE_COMMAND && line->kind != MS_LINE_REPLY)
    ms_json_writer_member_string (w, "kind", line_kind_name (line->kind));
  if (line->secret)
    {
      ms_json_writer_key (w, "secret");
      ms_json_writer_bool (w, TRUE);
    }
  if (line->frame != 0)
    ms_json_writer_member_int (w, "frame", (gint64) line->frame);
  ms_json_writer_end_object (w);
}

void
ms_trace_session_write_json (MsJsonWriter   *w,
                             MsTraceSession *session)
{
  ms_json_writer_begin_object (w);
  ms_json_writer_member_int (w, "id", session->id);
  ms_json_writer_member_string (w, "protocol", ms_protocol_to_string (session->protocol));
  ms_json_writer_member_string (w, "client", session->client);
  ms_json_writer_member_string (w, "server", session->server);
  if (session->client_node != NULL)
    ms_json_writer_member_string (w, "client_node", session->client_node);
  if (session->server_node != NULL)
    ms_json_writer_member_string (w, "server_node", session->server_node);
  ms_json_writer_member_string (w, "tls", ms_tls_mode_to_string (session->tls));
  ms_json_writer_key (w, "opened");
  ms_json_writer_seconds (w, session->opened_us);
  if (session->closed_us >= 0)
    {
      ms_json_writer_key (w, "closed");
      ms_json_writer_seconds (w, session->closed_us);
    }
  ms_json_writer_key (w, "lines");
  ms_json_writer_begin_array (w);
  for (guint i = 0; i < session->lines->len; i++)
    ms_trace_line_write_json (w, g_ptr_array_index (session->lines, i));
  ms_json_writer_end_array (w);
  ms_json_writer_end_object (w);
}

void
ms_trace_message_write_json_members (MsJsonWriter   *w,
                                     MsTraceMessage *message)
{
  ms_json_writer_member_int (w, "session", message->session);
  ms_json_writer_key (w, "t");
  ms_json_writer_seconds (w, message->t_us);
  if (message->node != NULL)
    ms_json_writer_member_string (w, "node", message->node);
  ms_json_writer_member_string (w, "mail_from", message->mail_from);
  ms_json_writer_key (w, "rcpt_to");
  ms_json_writer_begin_array (w);
  for (guint i = 0; message->rcpt_to[i] != NULL; i++)
    ms_json_writer_string (w, message->rcpt_to[i]);
  ms_json_writer_end_array (w);
  ms_json_writer_member_string (w, "subject", message->subject);
  ms_json_writer_member_string (w, "message_id", message->message_id);
  if (message->raw != NULL)
    ms_json_writer_member_int (w, "size", (gint64) g_bytes_get_size (message->raw));
  ms_json_writer_key (w, "headers");
  ms_json_writer_begin_array (w);
  for (guint i = 0; i < message->headers->len; i++)
    {
      char **pair = g_ptr_array_index (message->headers, i);

      ms_json_writer_begin_array (w);
      ms_json_writer_string (w, pair[0]);
      ms_json_writer_string (w, pair[1]);
      ms_json_writer_end_array (w);
    }
  ms_json_writer_end_array (w);
}

void
ms_trace_event_write_json (MsJsonWriter *w,
                           MsTraceEvent *event)
{
  g_autoptr(JsonNode) node = ms_trace_event_to_json (event);
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  ms_json_writer_raw (w, text);
}
