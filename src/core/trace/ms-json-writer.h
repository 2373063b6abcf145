/* ms-json-writer.h: JSON written as it goes, without building a tree
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `mailsim analyze` writes each session as it closes; a json-glib tree of the whole
 * capture would keep it all in memory and cost more than the analysis. The writer
 * appends to a GString that the caller flushes whenever it likes; it tracks commas and
 * indentation, escapes strings and replaces invalid UTF-8 (as set_text does for the tree).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MS_JSON_WRITER_MAX_DEPTH 32

typedef struct
{
  GString  *out;
  gboolean  pretty;
  guint     depth;
  gboolean  after_key;
  gboolean  has_items[MS_JSON_WRITER_MAX_DEPTH];
} MsJsonWriter;

void ms_json_writer_init         (MsJsonWriter *w,
                                  GString      *out,
                                  gboolean      pretty,
                                  guint         depth);
void ms_json_writer_begin_object (MsJsonWriter *w);
void ms_json_writer_end_object   (MsJsonWriter *w);
void ms_json_writer_begin_array  (MsJsonWriter *w);
void ms_json_writer_end_array    (MsJsonWriter *w);
void ms_json_writer_key          (MsJsonWriter *w,
                                  const char   *key);
/* NULL is written as null. */
void ms_json_writer_string       (MsJsonWriter *w,
                                  const char   *text);
void ms_json_writer_string_len   (MsJsonWriter *w,
                                  const char   *text,
                                  gsize         len);
void ms_json_writer_int          (MsJsonWriter *w,
                                  gint64        value);
void ms_json_writer_bool         (MsJsonWriter *w,
                                  gboolean      value);
void ms_json_writer_null         (MsJsonWriter *w);
/* Microseconds as seconds with six decimals ("12.000345"): exact and stable. */
void ms_json_writer_seconds      (MsJsonWriter *w,
                                  gint64        t_us);
/* A value already in JSON (e.g. a json-glib node generated elsewhere). */
void ms_json_writer_raw          (MsJsonWriter *w,
                                  const char   *json);
/* "key": "text" and the like, for brevity. */
void ms_json_writer_member_string (MsJsonWriter *w,
                                   const char   *key,
                                   const char   *text);
void ms_json_writer_member_int    (MsJsonWriter *w,
                                   const char   *key,
                                   gint64        value);

G_END_DECLS
