/* ms-annotations.c: a student's notes on a capture (transcript lines and frames)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sidecar (docs/capture.md, "Annotations"):
 *   { "format": "mailsim-notes", "version": 1,
 *     "capture": { "name": "x.pcapng", "size": 1234 },
 *     "notes": [ { "kind": "line", "session": 1, "line": 3, "frame": 9,
 *                  "line_text": "MAIL FROM:<a@b>", "note": "...", "time": "ISO 8601" },
 *                { "kind": "frame", "frame": 12, "note": "...", "time": "...",
 *                  "origin": "capture" } ],
 *     "dismissed": [ { "frame": 12, "comment": "..." } ] }
 * "dismissed" lists packet comments of the capture the student removed or edited, so a
 * reopen does not bring them back.
 */
#define G_LOG_DOMAIN "ms-annotations"

#include "config.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ms-annotations.h"
#include "ms-pcapng-comments.h"
#include "ms-pcapng-writer.h"
#include "ms-text-format.h"

#define SIDECAR_FORMAT "mailsim-notes"
/* Sidecars larger than this are not notes a student typed */
#define MAX_SIDECAR_BYTES (64 * 1024 * 1024)
/* .corrupt-1 ... .corrupt-N tried before giving up */
#define MAX_CORRUPT_NAMES 1000

typedef struct
{
  MsAnnotation pub;
  GStrv        capture_comments;  /* the packet comments it came from, or NULL */
  gint64       key;               /* in its index: session << 32 | line, or the frame */
} Note;

struct _MsAnnotations
{
  GObject       parent_instance;
  char         *capture_path;
  char         *sidecar_path;
  GPtrArray    *notes;       /* Note*, sorted */
  GHashTable   *line_index;  /* &Note.key → Note* */
  GHashTable   *frame_index; /* &Note.key → Note* */
  GHashTable   *dismissed;   /* "FRAME\nCOMMENT" → NULL */
  gboolean      loaded;      /* load was called (the sidecar is ours to replace) */
  gboolean      corrupt;     /* the sidecar on disk could not be read */
  gboolean      dirty;
  gboolean      capture_changed; /* the sidecar names another capture name or size */
  gboolean      autosave;
  GMainContext *context;
  GSource      *timer;
};

enum { CHANGED, SAVE_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_QUARK (ms-annotations-error-quark, ms_annotations_error)
G_DEFINE_FINAL_TYPE (MsAnnotations, ms_annotations, G_TYPE_OBJECT)

static void
note_free (gpointer data)
{
  Note *n = data;

  g_free (n->pub.line_text);
  g_free (n->pub.note);
  g_strfreev (n->capture_comments);
  g_free (n);
}

static int
note_compare (gconstpointer a,
              gconstpointer b)
{
  const MsAnnotation *x = &(*(Note * const *) a)->pub;
  const MsAnnotation *y = &(*(Note * const *) b)->pub;

  if (x->frame != y->frame)
    return x->frame < y->frame ? -1 : 1;
  if (x->kind != y->kind)
    return x->kind == MS_ANNOTATION_FRAME ? -1 : 1;
  if (x->session != y->session)
    return x->session < y->session ? -1 : 1;
  if (x->line != y->line)
    return x->line < y->line ? -1 : 1;
  return 0;
}

static char *
dismissed_key (guint64     frame,
               const char *comment)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT "\n%s", frame, comment);
}

static GHashTable *
index_of (MsAnnotations *self,
          Note          *n)
{
  return n->pub.kind == MS_ANNOTATION_LINE ? self->line_index : self->frame_index;
}

static gint64
line_key (guint session,
          guint line)
{
  return (gint64) (((guint64) session << 32) | line);
}

static void
index_add (MsAnnotations *self,
           Note          *n)
{
  n->key = n->pub.kind == MS_ANNOTATION_LINE ? line_key (n->pub.session, n->pub.line)
                                             : (gint64) n->pub.frame;
  g_hash_table_replace (index_of (self, n), &n->key, n);
}

static void
index_remove (MsAnnotations *self,
              Note          *n)
{
  g_hash_table_remove (index_of (self, n), &n->key);
}

static void
reindex (MsAnnotations *self)
{
  g_hash_table_remove_all (self->line_index);
  g_hash_table_remove_all (self->frame_index);
  for (guint i = 0; i < self->notes->len; i++)
    index_add (self, g_ptr_array_index (self->notes, i));
}

static void
stop_timer (MsAnnotations *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static gboolean
autosave_cb (gpointer user_data)
{
  MsAnnotations *self = user_data;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->timer, g_source_unref);
  if (self->dirty && !ms_annotations_save (self, &error))
    g_signal_emit (self, signals[SAVE_FAILED], 0, error);
  return G_SOURCE_REMOVE;
}

/* Marks a change: saved at most MS_ANNOTATIONS_AUTOSAVE_MS later, however many follow,
 * so a steady stream of edits cannot postpone the save for ever. */
static void
changed (MsAnnotations *self)
{
  g_ptr_array_sort (self->notes, note_compare);
  self->dirty = TRUE;
  if (self->autosave && self->timer == NULL)
    {
      self->timer = g_timeout_source_new (MS_ANNOTATIONS_AUTOSAVE_MS);
      g_source_set_callback (self->timer, autosave_cb, self, NULL);
      g_source_set_name (self->timer, "MsAnnotations autosave");
      g_source_attach (self->timer, self->context);
    }
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
ms_annotations_dispose (GObject *object)
{
  MsAnnotations *self = MS_ANNOTATIONS (object);

  /* what the timer would have saved is not lost with the object */
  if (self->timer != NULL)
    {
      g_autoptr(GError) error = NULL;

      stop_timer (self);
      if (self->dirty && !ms_annotations_save (self, &error))
        g_warning ("cannot save the notes: %s", error->message);
    }
  G_OBJECT_CLASS (ms_annotations_parent_class)->dispose (object);
}

static void
ms_annotations_finalize (GObject *object)
{
  MsAnnotations *self = MS_ANNOTATIONS (object);

  g_free (self->capture_path);
  g_free (self->sidecar_path);
  g_ptr_array_unref (self->notes);
  g_hash_table_unref (self->dismissed);
  g_hash_table_unref (self->line_index);
  g_hash_table_unref (self->frame_index);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (ms_annotations_parent_class)->finalize (object);
}

static void
ms_annotations_class_init (MsAnnotationsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ms_annotations_dispose;
  object_class->finalize = ms_annotations_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SAVE_FAILED] = g_signal_new ("save-failed", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
ms_annotations_init (MsAnnotations *self)
{
  self->notes = g_ptr_array_new_with_free_func (note_free);
  self->dismissed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->line_index = g_hash_table_new (g_int64_hash, g_int64_equal);
  self->frame_index = g_hash_table_new (g_int64_hash, g_int64_equal);
}

MsAnnotations *
ms_annotations_new_for_capture (const char *capture_path)
{
  MsAnnotations *self;

  g_return_val_if_fail (capture_path != NULL, NULL);

  self = g_object_new (MS_TYPE_ANNOTATIONS, NULL);
  self->capture_path = g_strdup (capture_path);
  self->sidecar_path = g_strconcat (capture_path, MS_ANNOTATIONS_SIDECAR_SUFFIX, NULL);
  return self;
}

const char *
ms_annotations_get_capture_path (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  return self->capture_path;
}

const char *
ms_annotations_get_sidecar_path (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  return self->sidecar_path;
}

gboolean
ms_annotations_get_capture_changed (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);
  return self->capture_changed;
}

gboolean
ms_annotations_get_dirty (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);
  return self->dirty;
}

/* Lookup */

static Note *
find_line_note (MsAnnotations *self,
                guint          session,
                guint          line)
{
  gint64 key = line_key (session, line);

  return g_hash_table_lookup (self->line_index, &key);
}

static Note *
find_frame_note (MsAnnotations *self,
                 guint64        frame)
{
  gint64 key = (gint64) frame;

  return g_hash_table_lookup (self->frame_index, &key);
}

/* A note from the capture that the student edits or removes is not merged again. */
static void
dismiss (MsAnnotations *self,
         Note          *n)
{
  for (guint i = 0; n->capture_comments != NULL && n->capture_comments[i] != NULL; i++)
    g_hash_table_add (self->dismissed, dismissed_key (n->pub.frame, n->capture_comments[i]));
  g_clear_pointer (&n->capture_comments, g_strfreev);
  n->pub.from_capture = FALSE;
}

/* Sets, edits or removes (note NULL or "") the note @n (NULL: none yet, made from
 * @key); returns whether anything changed. */
static gboolean
update_note (MsAnnotations   *self,
             Note            *n,
             const Note      *key,
             const char      *note)
{
  if (note == NULL || note[0] == '\0')
    {
      if (n == NULL)
        return FALSE;
      dismiss (self, n);
      index_remove (self, n);
      g_ptr_array_remove (self->notes, n);
      return TRUE;
    }
  if (n == NULL)
    {
      n = g_new0 (Note, 1);
      n->pub = key->pub;
      n->pub.line_text = g_strdup (key->pub.line_text);
      g_ptr_array_add (self->notes, n);
      index_add (self, n);
    }
  else if (strcmp (n->pub.note, note) == 0
           && (key->pub.frame == 0 || n->pub.frame == key->pub.frame)
           && (key->pub.line_text == NULL
               || g_strcmp0 (n->pub.line_text, key->pub.line_text) == 0))
    return FALSE;
  else
    {
      if (strcmp (n->pub.note, note) != 0)
        dismiss (self, n);
      /* frame 0 or no text: the caller does not know them, the note keeps its own */
      if (key->pub.frame != 0)
        n->pub.frame = key->pub.frame;
      if (key->pub.line_text != NULL)
        {
          g_free (n->pub.line_text);
          n->pub.line_text = g_strdup (key->pub.line_text);
        }
    }
  g_free (n->pub.note);
  n->pub.note = g_utf8_make_valid (note, -1);
  n->pub.time_us = g_get_real_time ();
  return TRUE;
}

void
ms_annotations_set_line_note (MsAnnotations *self,
                              guint          session,
                              guint          line,
                              guint64        frame,
                              const char    *line_text,
                              const char    *note)
{
  Note key = { { MS_ANNOTATION_LINE, session, line, frame, NULL, NULL, 0, FALSE }, NULL };
  g_autofree char *text = line_text != NULL ? g_utf8_make_valid (line_text, -1) : NULL;

  g_return_if_fail (MS_IS_ANNOTATIONS (self));
  key.pub.line_text = text;
  if (update_note (self, find_line_note (self, session, line), &key, note))
    changed (self);
}

const char *
ms_annotations_get_line_note (MsAnnotations *self,
                              guint          session,
                              guint          line)
{
  Note *n;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  n = find_line_note (self, session, line);
  return n != NULL ? n->pub.note : NULL;
}

void
ms_annotations_set_frame_note (MsAnnotations *self,
                               guint64        frame,
                               const char    *note)
{
  Note key = { { MS_ANNOTATION_FRAME, 0, 0, frame, NULL, NULL, 0, FALSE }, NULL };

  g_return_if_fail (MS_IS_ANNOTATIONS (self));
  g_return_if_fail (frame > 0);
  if (update_note (self, find_frame_note (self, frame), &key, note))
    changed (self);
}

const char *
ms_annotations_get_frame_note (MsAnnotations *self,
                               guint64        frame)
{
  Note *n;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  n = find_frame_note (self, frame);
  return n != NULL ? n->pub.note : NULL;
}

guint
ms_annotations_get_n_notes (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), 0);
  return self->notes->len;
}

const MsAnnotation *
ms_annotations_get_note (MsAnnotations *self,
                         guint          index)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  g_return_val_if_fail (index < self->notes->len, NULL);
  return &((Note *) g_ptr_array_index (self->notes, index))->pub;
}

/* Sidecar: writing */

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup ("");
}

static char *
sidecar_to_json (MsAnnotations *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *name = g_path_get_basename (self->capture_path);
  GStatBuf st;
  GHashTableIter iter;
  gpointer key;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, SIDECAR_FORMAT);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, MS_ANNOTATIONS_FORMAT_VERSION);
  json_builder_set_member_name (b, "capture");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  if (g_stat (self->capture_path, &st) == 0)
    {
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, (gint64) st.st_size);
    }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "notes");
  json_builder_begin_array (b);
  for (guint i = 0; i < self->notes->len; i++)
    {
      const MsAnnotation *a = &((Note *) g_ptr_array_index (self->notes, i))->pub;
      g_autofree char *time = format_time (a->time_us);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, a->kind == MS_ANNOTATION_LINE ? "line" : "frame");
      if (a->kind == MS_ANNOTATION_LINE)
        {
          json_builder_set_member_name (b, "session");
          json_builder_add_int_value (b, a->session);
          json_builder_set_member_name (b, "line");
          json_builder_add_int_value (b, a->line);
        }
      if (a->frame != 0)
        {
          json_builder_set_member_name (b, "frame");
          json_builder_add_int_value (b, (gint64) a->frame);
        }
      if (a->line_text != NULL)
        {
          json_builder_set_member_name (b, "line_text");
          json_builder_add_string_value (b, a->line_text);
        }
      json_builder_set_member_name (b, "note");
      json_builder_add_string_value (b, a->note);
      json_builder_set_member_name (b, "time");
      json_builder_add_string_value (b, time);
      if (a->from_capture)
        {
          Note *n = (Note *) a;

          json_builder_set_member_name (b, "origin");
          json_builder_add_string_value (b, "capture");
          json_builder_set_member_name (b, "capture_comments");
          json_builder_begin_array (b);
          for (guint k = 0; n->capture_comments != NULL && n->capture_comments[k] != NULL; k++)
            json_builder_add_string_value (b, n->capture_comments[k]);
          json_builder_end_array (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "dismissed");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, self->dismissed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *nl = strchr (key, '\n');

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "frame");
      json_builder_add_int_value (b, g_ascii_strtoll (key, NULL, 10));
      json_builder_set_member_name (b, "comment");
      json_builder_add_string_value (b, nl + 1);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}

char *
ms_annotations_to_data (MsAnnotations *self)
{
  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), NULL);
  return sidecar_to_json (self);
}

/* A sidecar we could not read is kept under a new name, never overwritten. */
static gboolean
set_corrupt_aside (MsAnnotations  *self,
                   GError        **error)
{
  for (guint i = 1; i <= MAX_CORRUPT_NAMES; i++)
    {
      g_autofree char *aside = g_strdup_printf ("%s.corrupt-%u", self->sidecar_path, i);

      if (g_file_test (aside, G_FILE_TEST_EXISTS))
        continue;
      if (g_rename (self->sidecar_path, aside) != 0)
        {
          int saved = errno;

          if (saved == ENOENT)
            break;  /* gone meanwhile: nothing to keep */
          g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                       "cannot move the unreadable notes %s aside: %s",
                       self->sidecar_path, g_strerror (saved));
          return FALSE;
        }
      g_message ("unreadable notes kept as %s", aside);
      break;
    }
  self->corrupt = FALSE;
  return TRUE;
}

gboolean
ms_annotations_save (MsAnnotations  *self,
                     GError        **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);

  if (self->corrupt && g_file_test (self->sidecar_path, G_FILE_TEST_EXISTS)
      && !set_corrupt_aside (self, error))
    return FALSE;
  if (!self->loaded && g_file_test (self->sidecar_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "%s exists and was not loaded: not replacing it", self->sidecar_path);
      return FALSE;
    }
  data = sidecar_to_json (self);
  /* temporary file in the same directory, fsync, rename over (and fsync the data
   * before the rename: a crash leaves the old file or the new, never a mix) */
  if (!g_file_set_contents_full (self->sidecar_path, data, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &local))
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "cannot save the notes: %s", local->message);
      return FALSE;
    }
  self->loaded = TRUE;
  self->dirty = FALSE;
  return TRUE;
}

void
ms_annotations_set_autosave (MsAnnotations *self,
                             gboolean       on)
{
  g_return_if_fail (MS_IS_ANNOTATIONS (self));

  on = !!on;
  if (on == self->autosave)
    return;
  self->autosave = on;
  if (on)
    {
      g_clear_pointer (&self->context, g_main_context_unref);
      self->context = g_main_context_ref_thread_default ();
      return;
    }
  if (self->timer != NULL)
    {
      g_autoptr(GError) error = NULL;

      stop_timer (self);
      if (self->dirty && !ms_annotations_save (self, &error))
        g_signal_emit (self, signals[SAVE_FAILED], 0, error);
    }
}

/* Sidecar: reading */

static gboolean
corrupt (GError    **error,
         const char *path,
         const char *why)
{
  g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_CORRUPT,
               "the notes file %s is damaged (%s); it is kept as it is, and moved aside "
               "as %s.corrupt-N before notes are saved again", path, why, path);
  return FALSE;
}

static gboolean
member_uint (JsonObject *o,
             const char *name,
             guint64     max,
             guint64    *out)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || (guint64) v > max)
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static const char *
member_str (JsonObject *o,
            const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) dt = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return dt != NULL ? g_date_time_to_unix (dt) * G_USEC_PER_SEC : 0;
}

/* Parses a sidecar document into notes; nothing is changed on error. */
static gboolean
parse_sidecar (MsAnnotations  *self,
               const char     *data,
               gsize           len,
               GError        **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (note_free);
  g_autoptr(GHashTable) dismissed = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, NULL);
  g_autoptr(GError) local = NULL;
  JsonObject *root;
  JsonArray *array;
  guint64 version;

  if (!g_utf8_validate (data, len, NULL))
    return corrupt (error, self->sidecar_path, "not UTF-8 text");
  if (!json_parser_load_from_data (parser, data, len, &local))
    return corrupt (error, self->sidecar_path, local->message);
  if (json_parser_get_root (parser) == NULL
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return corrupt (error, self->sidecar_path, "not a JSON object");
  root = json_node_get_object (json_parser_get_root (parser));
  if (g_strcmp0 (member_str (root, "format"), SIDECAR_FORMAT) != 0)
    return corrupt (error, self->sidecar_path, "not a MailSim notes file");
  if (!member_uint (root, "version", G_MAXUINT32, &version) || version == 0)
    return corrupt (error, self->sidecar_path, "no version");
  if (version > MS_ANNOTATIONS_FORMAT_VERSION)
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_VERSION,
                   "the notes file %s was written by a newer MailSim (format %"
                   G_GUINT64_FORMAT "; this one reads %d)", self->sidecar_path, version,
                   MS_ANNOTATIONS_FORMAT_VERSION);
      return FALSE;
    }
  if (json_object_has_member (root, "capture")
      && JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "capture")))
    {
      JsonObject *capture = json_object_get_object_member (root, "capture");
      g_autofree char *name = g_path_get_basename (self->capture_path);
      guint64 size;
      GStatBuf st;

      if (g_strcmp0 (member_str (capture, "name"), name) != 0
          || (member_uint (capture, "size", G_MAXINT64, &size) && g_stat (self->capture_path, &st) == 0
              && (guint64) st.st_size != size))
        self->capture_changed = TRUE;
    }
  if (!json_object_has_member (root, "notes")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "notes")))
    return corrupt (error, self->sidecar_path, "no \"notes\" list");
  array = json_object_get_array_member (root, "notes");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *o;
      const char *kind, *text;
      guint64 session = 0, line = 0, frame = 0;
      Note *n;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return corrupt (error, self->sidecar_path, "a note is not an object");
      o = json_node_get_object (node);
      kind = member_str (o, "kind");
      text = member_str (o, "note");
      if (text == NULL || text[0] == '\0')
        return corrupt (error, self->sidecar_path, "a note without text");
      if (json_object_has_member (o, "frame") && !member_uint (o, "frame", G_MAXUINT64 >> 1,
                                                               &frame))
        return corrupt (error, self->sidecar_path, "a bad frame number");
      n = g_new0 (Note, 1);
      g_ptr_array_add (notes, n);
      if (g_strcmp0 (kind, "line") == 0)
        {
          if (!member_uint (o, "session", G_MAXUINT, &session)
              || !member_uint (o, "line", G_MAXUINT, &line))
            return corrupt (error, self->sidecar_path, "a line note without session or line");
          n->pub.kind = MS_ANNOTATION_LINE;
        }
      else if (g_strcmp0 (kind, "frame") == 0)
        {
          if (frame == 0)
            return corrupt (error, self->sidecar_path, "a frame note without a frame");
          n->pub.kind = MS_ANNOTATION_FRAME;
        }
      else
        return corrupt (error, self->sidecar_path, "a note of unknown kind");
      n->pub.session = (guint) session;
      n->pub.line = (guint) line;
      n->pub.frame = frame;
      n->pub.line_text = g_strdup (member_str (o, "line_text"));
      n->pub.note = g_strdup (text);
      n->pub.time_us = parse_time (member_str (o, "time"));
      if (g_strcmp0 (member_str (o, "origin"), "capture") == 0
          && json_object_has_member (o, "capture_comments")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "capture_comments")))
        {
          JsonArray *comments = json_object_get_array_member (o, "capture_comments");
          GPtrArray *list = g_ptr_array_new ();

          for (guint k = 0; k < json_array_get_length (comments); k++)
            {
              JsonNode *c = json_array_get_element (comments, k);

              if (JSON_NODE_HOLDS_VALUE (c) && json_node_get_value_type (c) == G_TYPE_STRING)
                g_ptr_array_add (list, g_strdup (json_node_get_string (c)));
            }
          g_ptr_array_add (list, NULL);
          n->capture_comments = (GStrv) g_ptr_array_free (list, FALSE);
          n->pub.from_capture = TRUE;
        }
    }
  if (json_object_has_member (root, "dismissed")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "dismissed")))
    {
      array = json_object_get_array_member (root, "dismissed");
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *node = json_array_get_element (array, i);
          guint64 frame;
          const char *comment;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            continue;
          comment = member_str (json_node_get_object (node), "comment");
          if (comment != NULL
              && member_uint (json_node_get_object (node), "frame", G_MAXUINT64 >> 1, &frame))
            g_hash_table_add (dismissed, dismissed_key (frame, comment));
        }
    }

  g_ptr_array_set_size (self->notes, 0);
  g_ptr_array_extend_and_steal (self->notes, g_steal_pointer (&notes));
  g_hash_table_unref (self->dismissed);
  self->dismissed = g_steal_pointer (&dismissed);
  /* one note per key: the later one of a hand-edited duplicate wins */
  reindex (self);
  for (guint i = self->notes->len; i > 0; i--)
    {
      Note *n = g_ptr_array_index (self->notes, i - 1);

      if (g_hash_table_lookup (index_of (self, n), &n->key) != n)
        g_ptr_array_remove_index (self->notes, i - 1);
    }
  g_ptr_array_sort (self->notes, note_compare);
  return TRUE;
}

/* "[session S, line L] note", as the export writes line notes (L counted from 1) */
static gboolean
parse_line_comment (const char  *comment,
                    guint       *session,
                    guint       *line,
                    const char **note)
{
  const char *p = comment;
  char *end;
  guint64 s, l;

  if (!g_str_has_prefix (p, "[session "))
    return FALSE;
  p += strlen ("[session ");
  if (!g_ascii_isdigit (*p))
    return FALSE;
  s = g_ascii_strtoull (p, &end, 10);
  if (s > G_MAXUINT || !g_str_has_prefix (end, ", line "))
    return FALSE;
  p = end + strlen (", line ");
  if (!g_ascii_isdigit (*p))
    return FALSE;
  l = g_ascii_strtoull (p, &end, 10);
  if (l == 0 || l > G_MAXUINT || !g_str_has_prefix (end, "] ") || end[2] == '\0')
    return FALSE;
  *session = (guint) s;
  *line = (guint) (l - 1);
  *note = end + 2;
  return TRUE;
}

static void
append_capture_comment (Note       *n,
                        const char *comment)
{
  guint len = n->capture_comments != NULL ? g_strv_length (n->capture_comments) : 0;

  n->capture_comments = g_renew (char *, n->capture_comments, len + 2);
  n->capture_comments[len] = g_strdup (comment);
  n->capture_comments[len + 1] = NULL;
}

static void
merge_comment (guint64     frame,
               const char *comment,
               gpointer    user_data)
{
  MsAnnotations *self = user_data;
  g_autofree char *key = dismissed_key (frame, comment);
  const char *text;
  guint session, line;
  Note *n;

  if (g_hash_table_contains (self->dismissed, key))
    return;
  if (parse_line_comment (comment, &session, &line, &text))
    {
      n = find_line_note (self, session, line);
      if (n != NULL)
        return;  /* the sidecar's own note wins (it may have been edited since) */
      n = g_new0 (Note, 1);
      n->pub.kind = MS_ANNOTATION_LINE;
      n->pub.session = session;
      n->pub.line = line;
    }
  else
    {
      text = comment;
      n = find_frame_note (self, frame);
      if (n != NULL)
        {
          g_autofree char *joined = NULL;

          if (strstr (n->pub.note, comment) != NULL)
            return;
          /* several comments on one frame (Wireshark allows it): one note */
          joined = g_strconcat (n->pub.note, "\n", comment, NULL);
          g_free (n->pub.note);
          n->pub.note = g_steal_pointer (&joined);
          if (n->pub.from_capture)
            append_capture_comment (n, comment);
          return;
        }
      n = g_new0 (Note, 1);
      n->pub.kind = MS_ANNOTATION_FRAME;
    }
  n->pub.frame = frame;
  n->pub.note = g_strdup (text);
  n->pub.from_capture = TRUE;
  append_capture_comment (n, comment);
  g_ptr_array_add (self->notes, n);
  index_add (self, n);
}

static void
load_begin (MsAnnotations *self)
{
  stop_timer (self);
  g_ptr_array_set_size (self->notes, 0);
  reindex (self);
  g_hash_table_remove_all (self->dismissed);
  self->corrupt = FALSE;
  self->loaded = TRUE;
  self->dirty = FALSE;
  self->capture_changed = FALSE;
}

static gboolean
load_done (MsAnnotations *self)
{
  g_ptr_array_sort (self->notes, note_compare);
  if (self->notes->len > 0)
    g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

gboolean
ms_annotations_load (MsAnnotations  *self,
                     GError        **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;
  GStatBuf st;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);

  load_begin (self);
  if (g_stat (self->sidecar_path, &st) != 0)
    {
      if (errno != ENOENT)
        {
          int saved = errno;

          g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                       "cannot read the notes %s: %s", self->sidecar_path, g_strerror (saved));
          self->loaded = FALSE;
          return FALSE;
        }
    }
  else if (st.st_size > MAX_SIDECAR_BYTES)
    {
      self->corrupt = TRUE;
      return corrupt (error, self->sidecar_path, "far too large");
    }
  else
    {
      if (!g_file_get_contents (self->sidecar_path, &data, &len, &local))
        {
          g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                       "cannot read the notes: %s", local->message);
          self->loaded = FALSE;
          return FALSE;
        }
      if (!parse_sidecar (self, data, len, error))
        {
          self->corrupt = TRUE;
          return FALSE;
        }
    }

  /* packet comments already in a pcapng capture: a damaged capture is the analyzer's
   * to report, the comments before the damage are kept */
  if (!ms_pcapng_read_file_comments (self->capture_path, merge_comment, self, &local))
    g_debug ("packet comments of %s: %s", self->capture_path, local->message);
  return load_done (self);
}

gboolean
ms_annotations_load_from_data (MsAnnotations  *self,
                               const char     *sidecar,
                               gsize           sidecar_len,
                               const guint8   *capture,
                               gsize           capture_len,
                               GError        **error)
{
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);

  load_begin (self);
  if (sidecar != NULL && !parse_sidecar (self, sidecar, sidecar_len, error))
    {
      self->corrupt = TRUE;
      return FALSE;
    }
  if (capture != NULL && ms_pcapng_is_pcapng (capture, capture_len)
      && !ms_pcapng_read_comments (capture, capture_len, merge_comment, self, &local))
    g_debug ("packet comments: %s", local->message);
  return load_done (self);
}

/* Anchoring */

char *
ms_annotations_line_text (MsProtocol         protocol,
                          const MsTraceLine *line)
{
  g_return_val_if_fail (line != NULL, NULL);
  /* the transcript's text: valid UTF-8, control characters replaced, secrets masked */
  return ms_text_format_line_text (protocol, line, FALSE);
}

static gboolean
line_matches (MsProtocol   protocol,
              MsTraceLine *line,
              const char  *text)
{
  g_autofree char *mine = ms_annotations_line_text (protocol, line);

  return strcmp (mine, text) == 0;
}

static gboolean
key_free (MsAnnotations *self,
          Note          *moving,
          guint          session,
          guint          line)
{
  Note *other = find_line_note (self, session, line);

  return other == NULL || other == moving;
}

/* Anchors one line note on @session (the note's own session, or NULL if the trace has
 * none by that id); @trace, if not NULL, is searched for the frame fallback. Returns
 * whether the note moved; *touched when its frame or text was filled in. */
static gboolean
anchor_note (MsAnnotations  *self,
             Note           *n,
             MsTraceSession *session,
             MsTrace        *trace,
             gboolean       *touched)
{
  MsTraceLine *line = NULL;
  MsTraceSession *target;
  guint best = G_MAXUINT, best_session = 0;
  guint64 best_distance = G_MAXUINT64;

  if (session != NULL && n->pub.line < session->lines->len)
    line = g_ptr_array_index (session->lines, n->pub.line);

  if (n->pub.line_text == NULL)
    {
      /* from a packet comment: the text is taken if the frame agrees */
      if (line != NULL && (n->pub.frame == 0 || line->frame == n->pub.frame))
        {
          n->pub.line_text = ms_annotations_line_text (session->protocol, line);
          n->pub.frame = line->frame;
          *touched = TRUE;
        }
      return FALSE;
    }
  if (line != NULL && line_matches (session->protocol, line, n->pub.line_text))
    {
      if (line->frame != n->pub.frame)
        {
          n->pub.frame = line->frame;
          *touched = TRUE;
        }
      return FALSE;
    }
  /* the same text in the same session, nearest the old place */
  for (guint k = 0; session != NULL && k < session->lines->len; k++)
    {
      MsTraceLine *l = g_ptr_array_index (session->lines, k);
      guint64 d = k > n->pub.line ? k - n->pub.line : n->pub.line - k;

      if (d < best_distance && line_matches (session->protocol, l, n->pub.line_text)
          && key_free (self, n, session->id, k))
        {
          best = k;
          best_session = session->id;
          best_distance = d;
        }
    }
  /* else the line completed by the same frame, in any session */
  for (guint s = 0; trace != NULL && best == G_MAXUINT && n->pub.frame != 0
       && s < ms_trace_get_n_sessions (trace); s++)
    {
      MsTraceSession *other = ms_trace_get_session (trace, s);

      for (guint k = 0; best == G_MAXUINT && k < other->lines->len; k++)
        {
          MsTraceLine *l = g_ptr_array_index (other->lines, k);

          if (l->frame == n->pub.frame && line_matches (other->protocol, l, n->pub.line_text)
              && key_free (self, n, other->id, k))
            {
              best = k;
              best_session = other->id;
            }
        }
    }
  if (best == G_MAXUINT)
    return FALSE;
  target = best_session == (session != NULL ? session->id : 0) && session != NULL
           ? session : ms_trace_find_session (trace, best_session);
  index_remove (self, n);
  n->pub.session = best_session;
  n->pub.line = best;
  index_add (self, n);
  n->pub.frame = ((MsTraceLine *) g_ptr_array_index (target->lines, best))->frame;
  return TRUE;
}

guint
ms_annotations_anchor (MsAnnotations *self,
                       MsTrace       *trace)
{
  guint moved = 0;
  gboolean touched = FALSE;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), 0);
  g_return_val_if_fail (MS_IS_TRACE (trace), 0);

  for (guint i = 0; i < self->notes->len; i++)
    {
      Note *n = g_ptr_array_index (self->notes, i);

      if (n->pub.kind == MS_ANNOTATION_LINE
          && anchor_note (self, n, ms_trace_find_session (trace, n->pub.session), trace,
                          &touched))
        moved++;
    }
  if (moved > 0 || touched)
    changed (self);
  return moved;
}

guint
ms_annotations_anchor_session (MsAnnotations  *self,
                               MsTraceSession *session)
{
  guint moved = 0;
  gboolean touched = FALSE;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), 0);
  g_return_val_if_fail (session != NULL, 0);

  for (guint i = 0; i < self->notes->len; i++)
    {
      Note *n = g_ptr_array_index (self->notes, i);

      if (n->pub.kind == MS_ANNOTATION_LINE && n->pub.session == session->id
          && anchor_note (self, n, session, NULL, &touched))
        moved++;
    }
  if (moved > 0 || touched)
    changed (self);
  return moved;
}

/* Export */

static void
add_comment (GHashTable *by_frame,
             guint64     frame,
             char       *comment)
{
  GPtrArray *list = g_hash_table_lookup (by_frame, &frame);

  if (list == NULL)
    {
      guint64 *key = g_new (guint64, 1);

      *key = frame;
      list = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (by_frame, key, list);
    }
  g_ptr_array_add (list, comment);
}

static gboolean
same_file (const char *a,
           const char *b)
{
  GStatBuf sa, sb;

  return g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0
         && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

gboolean
ms_annotations_export_pcapng (MsAnnotations  *self,
                              const char     *out_path,
                              GError        **error)
{
  g_autoptr(GHashTable) by_frame = NULL;
  g_autoptr(MsPcapngWriter) writer = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) stream = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *part = NULL;
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *pcap;
  int link_type;
  guint64 frame = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (MS_IS_ANNOTATIONS (self), FALSE);
  g_return_val_if_fail (out_path != NULL, FALSE);

  if (same_file (self->capture_path, out_path))
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "the export would replace the capture itself: choose another file");
      return FALSE;
    }
  by_frame = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                    (GDestroyNotify) g_ptr_array_unref);
  /* sorted: a frame's own note first, then its lines in order */
  for (guint i = 0; i < self->notes->len; i++)
    {
      const MsAnnotation *a = &((Note *) g_ptr_array_index (self->notes, i))->pub;

      if (a->frame == 0)
        continue;  /* a line no frame completed (cannot happen in a capture trace) */
      add_comment (by_frame, a->frame,
                   a->kind == MS_ANNOTATION_FRAME
                   ? g_strdup (a->note)
                   : g_strdup_printf ("[session %u, line %u] %s", a->session, a->line + 1,
                                      a->note));
    }

  pcap = pcap_open_offline_with_tstamp_precision (self->capture_path,
                                                  PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (pcap == NULL)
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_CAPTURE,
                   "cannot read %s: %s", self->capture_path, errbuf);
      return FALSE;
    }
  link_type = pcap_datalink (pcap);
  /* written beside as OUT.part and renamed over OUT when complete: a failed or killed
   * export never leaves a half file under the name asked for */
  part = g_strconcat (out_path, ".part", NULL);
  file = g_file_new_for_path (part);
  stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, NULL, &local);
  if (stream != NULL)
    writer = ms_pcapng_writer_new_for_frames (G_OUTPUT_STREAM (stream), "MailSim", &local);
  if (writer == NULL)
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "cannot write %s: %s", out_path, local->message);
      pcap_close (pcap);
      g_clear_object (&stream);
      g_unlink (part);
      return FALSE;
    }
  while (ok)
    {
      struct pcap_pkthdr *h;
      const u_char *bytes;
      int rc = pcap_next_ex (pcap, &h, &bytes);
      GPtrArray *comments;
      gint64 t_ns;

      if (rc == PCAP_ERROR_BREAK)
        break;
      if (rc != 1)
        {
          g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_CAPTURE,
                       "cannot read %s after %" G_GUINT64_FORMAT " frames: %s",
                       self->capture_path, frame, pcap_geterr (pcap));
          ok = FALSE;
          break;
        }
      frame++;
      comments = g_hash_table_lookup (by_frame, &frame);
      if (comments != NULL)
        g_ptr_array_add (comments, NULL);
      /* with nanosecond precision tv_usec holds nanoseconds */
      t_ns = (gint64) h->ts.tv_sec * 1000000000 + (gint64) h->ts.tv_usec;
      ok = ms_pcapng_writer_write_frame (writer, link_type, t_ns, bytes, h->caplen, h->len,
                                         comments != NULL
                                         ? (const char * const *) comments->pdata : NULL,
                                         &local);
      if (!ok)
        g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                     "cannot write %s: %s", out_path, local->message);
    }
  pcap_close (pcap);
  if (ok && !ms_pcapng_writer_close (writer, &local))
    {
      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "cannot write %s: %s", out_path, local->message);
      ok = FALSE;
    }
  if (ok && g_rename (part, out_path) != 0)
    {
      int saved = errno;

      g_set_error (error, MS_ANNOTATIONS_ERROR, MS_ANNOTATIONS_ERROR_IO,
                   "cannot write %s: %s", out_path, g_strerror (saved));
      ok = FALSE;
    }
  if (!ok)
    {
      /* whatever was at out_path stays */
      ms_pcapng_writer_close (writer, NULL);
      g_unlink (part);
    }
  return ok;
}
