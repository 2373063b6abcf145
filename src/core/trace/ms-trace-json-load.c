/* ms-trace-json-load.c: a trace read back from the JSON of ms-trace-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two shapes (docs/cli.md): one object with "sessions", "messages", "events" and
 * "expectations" (`run`/`analyze --format json`), or one object a line, each a session or
 * an event (`serve --trace`, `capture --format json`).
 */
#define G_LOG_DOMAIN "ms-trace"

#include "config.h"

#include <math.h>
#include <string.h>

#include "ms-trace.h"

G_DEFINE_QUARK (ms-trace-json-error-quark, ms_trace_json_error)

/* The loader sets "now" to each item's own time while it adds the item. */
typedef struct
{
  MsTrace *trace;
  gint64   now;
} Loader;

static gint64
loader_clock (gpointer user_data)
{
  return ((Loader *) user_data)->now;
}

static gint64
member_time (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE)
    return 0;
  return (gint64) llround (json_node_get_double (node) * 1e6);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* The member if it is an array (or object), else NULL: never a critical on odd input. */
static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
member_true (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

static MsLineKind
line_kind (JsonObject *line,
           MsDirection dir)
{
  const char *kind = member_string (line, "kind");

  if (kind == NULL)
    return dir == MS_DIR_CLIENT ? MS_LINE_COMMAND : MS_LINE_REPLY;
  if (strcmp (kind, "auth") == 0)
    return MS_LINE_AUTH;
  if (strcmp (kind, "data") == 0)
    return MS_LINE_DATA;
  if (strcmp (kind, "note") == 0)
    return MS_LINE_NOTE;
  if (strcmp (kind, "command") == 0)
    return MS_LINE_COMMAND;
  return MS_LINE_REPLY;
}

static MsTlsMode
tls_mode (const char *name)
{
  if (g_strcmp0 (name, "starttls") == 0)
    return MS_TLS_STARTTLS;
  if (g_strcmp0 (name, "implicit") == 0)
    return MS_TLS_IMPLICIT;
  return MS_TLS_NONE;
}

static gboolean
load_session (Loader      *loader,
              JsonObject  *object,
              GError     **error)
{
  MsTraceSession *session;
  JsonArray *lines;
  JsonNode *closed;

  loader->now = member_time (object, "opened");
  session = ms_trace_open_session (loader->trace,
                                   ms_protocol_from_string (member_string (object, "protocol")),
                                   member_string (object, "client"),
                                   member_string (object, "server"));
  if (json_object_get_member (object, "id") != NULL
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "id")))
    session->id = (guint) json_node_get_int (json_object_get_member (object, "id"));
  ms_trace_session_set_nodes (session, member_string (object, "client_node"),
                              member_string (object, "server_node"));

  lines = member_array (object, "lines");
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonNode *node = json_array_get_element (lines, i);
      JsonObject *line;
      const char *dir, *text;
      MsTraceLine *added;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "session %u: line %u is not an object", session->id, i + 1);
          return FALSE;
        }
      line = json_node_get_object (node);
      dir = member_string (line, "dir");
      text = member_string (line, "text");
      if (dir == NULL || (dir[0] != 'C' && dir[0] != 'S') || text == NULL)
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "session %u: line %u needs \"dir\" (C or S) and \"text\"",
                       session->id, i + 1);
          return FALSE;
        }
      loader->now = member_time (line, "t");
      added = ms_trace_session_add_line (session, (MsDirection) dir[0],
                                         line_kind (line, (MsDirection) dir[0]), text, -1);
      if (member_true (line, "secret"))
        added->secret = TRUE;
      if (json_object_has_member (line, "frame")
          && json_node_get_value_type (json_object_get_member (line, "frame")) == G_TYPE_INT64
          && json_object_get_int_member (line, "frame") > 0)
        added->frame = (guint64) json_object_get_int_member (line, "frame");
    }
  /* after the lines: a STARTTLS session is plain text up to the switch */
  ms_trace_session_set_tls (session, tls_mode (member_string (object, "tls")));
  closed = json_object_get_member (object, "closed");
  if (closed != NULL && JSON_NODE_TYPE (closed) == JSON_NODE_VALUE)
    session->closed_us = member_time (object, "closed");
  return TRUE;
}

static void
load_event (Loader     *loader,
            JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);
  JsonNode *session = json_object_get_member (object, "session");
  MsTraceEvent *event;

  loader->now = member_time (object, "t");
  event = ms_trace_add_event (loader->trace, member_string (object, "type"),
                              member_string (object, "node"),
                              session != NULL && JSON_NODE_TYPE (session) == JSON_NODE_VALUE
                              ? (guint) json_node_get_int (session) : 0,
                              NULL, NULL);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (strcmp (name, "t") == 0 || strcmp (name, "type") == 0
          || strcmp (name, "node") == 0 || strcmp (name, "session") == 0)
        continue;
      json_object_set_member (event->fields, name,
                              json_node_copy (json_object_get_member (object, name)));
    }
}

static void
load_message (Loader     *loader,
              JsonObject *object)
{
  JsonArray *rcpts = member_array (object, "rcpt_to");
  JsonArray *headers = member_array (object, "headers");
  g_autoptr(GPtrArray) rcpt = g_ptr_array_new ();
  JsonNode *session = json_object_get_member (object, "session");
  MsTraceMessage *message;

  for (guint i = 0; rcpts != NULL && i < json_array_get_length (rcpts); i++)
    {
      JsonNode *node = json_array_get_element (rcpts, i);
      const char *r = JSON_NODE_HOLDS_VALUE (node)
                      && json_node_get_value_type (node) == G_TYPE_STRING
                      ? json_node_get_string (node) : NULL;

      if (r != NULL)
        g_ptr_array_add (rcpt, (gpointer) r);
    }
  g_ptr_array_add (rcpt, NULL);

  loader->now = member_time (object, "t");
  message = ms_trace_add_message (loader->trace,
                                  session != NULL && JSON_NODE_TYPE (session) == JSON_NODE_VALUE
                                  ? (guint) json_node_get_int (session) : 0,
                                  member_string (object, "node"),
                                  member_string (object, "mail_from"),
                                  (const char * const *) rcpt->pdata, NULL);
  message->subject = g_strdup (member_string (object, "subject"));
  message->message_id = g_strdup (member_string (object, "message_id"));
  for (guint i = 0; headers != NULL && i < json_array_get_length (headers); i++)
    {
      JsonNode *node = json_array_get_element (headers, i);
      JsonArray *pair;
      char **header;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        continue;
      pair = json_node_get_array (node);
      if (json_array_get_length (pair) != 2)
        continue;
      header = g_new0 (char *, 3);
      for (guint k = 0; k < 2; k++)
        {
          JsonNode *part = json_array_get_element (pair, k);

          if (JSON_NODE_HOLDS_VALUE (part) && json_node_get_value_type (part) == G_TYPE_STRING)
            header[k] = g_strdup (json_node_get_string (part));
        }
      if (header[0] == NULL || header[1] == NULL)
        {
          g_strfreev (header);
          continue;
        }
      g_ptr_array_add (message->headers, header);
    }
}

static gboolean
load_document (Loader      *loader,
               JsonObject  *root,
               GError     **error)
{
  const char *names[] = { "sessions", "messages", "events", "expectations" };
  JsonNode *topology = json_object_get_member (root, "topology");

  if (topology != NULL && JSON_NODE_HOLDS_OBJECT (topology))
    ms_trace_set_topology (loader->trace, json_node_get_object (topology));

  for (guint k = 0; k < G_N_ELEMENTS (names); k++)
    {
      JsonArray *array;

      if (!json_object_has_member (root, names[k]))
        continue;
      array = member_array (root, names[k]);
      if (array == NULL)
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "\"%s\" is not an array", names[k]);
          return FALSE;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          JsonObject *object;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                           "%s[%u] is not an object", names[k], i);
              return FALSE;
            }
          object = json_node_get_object (node);
          if (k == 0 && !load_session (loader, object, error))
            return FALSE;
          else if (k == 1)
            load_message (loader, object);
          else if (k == 2)
            {
              if (member_string (object, "type") == NULL)
                {
                  g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                               "events[%u] has no \"type\"", i);
                  return FALSE;
                }
              load_event (loader, object);
            }
          else if (k == 3)
            ms_trace_add_expectation (loader->trace, member_string (object, "text"),
                                      member_true (object, "ok"));
        }
    }
  return TRUE;
}

/* One object a line: a session (has "lines") or an event (has "type"). */
static gboolean
load_lines (Loader      *loader,
            const char  *data,
            gsize        len,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  g_autofree char *copy = g_strndup (data, len);
  guint n = 0;

  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local = NULL;
      JsonObject *object;

      if (*g_strstrip (lines[i]) == '\0')
        continue;
      if (!json_parser_load_from_data (parser, lines[i], -1, &local))
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "line %u: %s", i + 1, local->message);
          return FALSE;
        }
      if (json_parser_get_root (parser) == NULL
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "line %u: not a JSON object", i + 1);
          return FALSE;
        }
      object = json_node_get_object (json_parser_get_root (parser));
      if (json_object_has_member (object, "lines"))
        {
          if (!load_session (loader, object, error))
            return FALSE;
        }
      else if (member_string (object, "type") != NULL)
        load_event (loader, object);
      else
        {
          g_set_error (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                       "line %u: neither a session nor an event", i + 1);
          return FALSE;
        }
      n++;
    }
  if (n == 0)
    {
      g_set_error_literal (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                           "no trace in this document");
      return FALSE;
    }
  return TRUE;
}

MsTrace *
ms_trace_new_from_json (const char  *data,
                        gssize       len,
                        GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MsTrace) trace = NULL;
  Loader loader = { NULL, 0 };
  gboolean ok;

  g_return_val_if_fail (data != NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (data);
  if (json_parser_load_from_data (parser, data, len, NULL)
      && json_parser_get_root (parser) != NULL
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
      && !json_object_has_member (json_node_get_object (json_parser_get_root (parser)),
                                  "lines")
      && !json_object_has_member (json_node_get_object (json_parser_get_root (parser)),
                                  "type"))
    {
      JsonObject *root = json_node_get_object (json_parser_get_root (parser));
      JsonObject *source = member_object (root, "source");

      if (!json_object_has_member (root, "sessions") && !json_object_has_member (root, "events"))
        {
          g_set_error_literal (error, MS_TRACE_JSON_ERROR, MS_TRACE_JSON_ERROR_INVALID,
                               "not a MailSim trace: no \"sessions\" and no \"events\"");
          return NULL;
        }
      trace = ms_trace_new (source ? member_string (source, "kind") : "json",
                            source ? member_string (source, "name") : NULL);
      loader.trace = trace;
      ms_trace_set_clock (trace, loader_clock, &loader);
      ok = load_document (&loader, root, error);
    }
  else
    {
      trace = ms_trace_new ("json", NULL);
      loader.trace = trace;
      ms_trace_set_clock (trace, loader_clock, &loader);
      ok = load_lines (&loader, data, (gsize) len, error);
    }
  ms_trace_set_clock (trace, NULL, NULL);
  if (!ok)
    return NULL;
  return g_steal_pointer (&trace);
}

MsTrace *
ms_trace_new_from_json_file (const char  *path,
                             GError     **error)
{
  g_autofree char *data = NULL;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  return ms_trace_new_from_json (data, (gssize) len, error);
}
