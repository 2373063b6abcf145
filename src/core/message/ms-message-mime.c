/* ms-message-mime.c: the MIME tree as IMAP numbers it, part contents, Received parsing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-message"

#include "config.h"

#include <string.h>

#include "ms-message-private.h"

G_DEFINE_BOXED_TYPE (MsMimePart, ms_mime_part, ms_mime_part_copy, ms_mime_part_free)
G_DEFINE_BOXED_TYPE (MsReceivedHop, ms_received_hop, ms_received_hop_copy,
                     ms_received_hop_free)

MsMimePart *
ms_mime_part_copy (const MsMimePart *self)
{
  MsMimePart *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (MsMimePart, 1);
  *copy = *self;
  copy->part_number = g_strdup (self->part_number);
  copy->content_type = g_strdup (self->content_type);
  copy->charset = g_strdup (self->charset);
  copy->transfer_encoding = g_strdup (self->transfer_encoding);
  copy->disposition = g_strdup (self->disposition);
  copy->filename = g_strdup (self->filename);
  copy->type_params = g_strdupv (self->type_params);
  copy->disposition_params = g_strdupv (self->disposition_params);
  copy->content_id = g_strdup (self->content_id);
  copy->description = g_strdup (self->description);
  copy->md5 = g_strdup (self->md5);
  copy->language = g_strdup (self->language);
  copy->location = g_strdup (self->location);
  return copy;
}

void
ms_mime_part_free (MsMimePart *self)
{
  if (self == NULL)
    return;
  g_free (self->part_number);
  g_free (self->content_type);
  g_free (self->charset);
  g_free (self->transfer_encoding);
  g_free (self->disposition);
  g_free (self->filename);
  g_strfreev (self->type_params);
  g_strfreev (self->disposition_params);
  g_free (self->content_id);
  g_free (self->description);
  g_free (self->md5);
  g_free (self->language);
  g_free (self->location);
  g_free (self);
}

static char *
lower_trimmed (const char *s)
{
  g_autofree char *copy = NULL;

  if (s == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (s));
  return g_ascii_strdown (copy, -1);
}

static GMimeFormatOptions *
crlf_options (void)
{
  GMimeFormatOptions *options = g_mime_format_options_new ();

  g_mime_format_options_set_newline_format (options, GMIME_NEWLINE_FORMAT_DOS);
  return options;
}

static GBytes *
object_content_bytes (GMimeObject *object)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
  GByteArray *array;

  if (GMIME_IS_PART (object))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (object));

      /* The data wrapper undoes the transfer encoding. */
      if (content != NULL)
        g_mime_data_wrapper_write_to_stream (content, stream);
    }
  else
    {
      GMimeFormatOptions *options = crlf_options ();

      g_mime_object_write_content_to_stream (object, options, stream);
      g_mime_format_options_free (options);
    }
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (stream));
  return g_bytes_new (array->data, array->len);
}

/* The body as transferred: a leaf's content stream is a window on what we parsed. */
static GBytes *
object_raw_bytes (GMimeObject *object)
{
  g_autoptr(GMimeStream) out = g_mime_stream_mem_new ();
  GByteArray *array;

  if (GMIME_IS_PART (object))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (object));
      GMimeStream *stream = content ? g_mime_data_wrapper_get_stream (content) : NULL;

      if (stream != NULL)
        {
          g_mime_stream_reset (stream);
          g_mime_stream_write_to_stream (stream, out);
          g_mime_stream_reset (stream);
        }
    }
  else
    {
      GMimeFormatOptions *options = crlf_options ();

      g_mime_object_write_content_to_stream (object, options, out);
      g_mime_format_options_free (options);
    }
  array = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (out));
  return g_bytes_new (array->data, array->len);
}

static char **
param_pairs (GMimeParamList *list)
{
  GPtrArray *pairs;
  int n;

  if (list == NULL || (n = g_mime_param_list_length (list)) == 0)
    return NULL;
  pairs = g_ptr_array_new ();
  for (int i = 0; i < n; i++)
    {
      GMimeParam *param = g_mime_param_list_get_parameter_at (list, i);

      g_ptr_array_add (pairs, g_strdup (g_mime_param_get_name (param)));
      g_ptr_array_add (pairs, g_strdup (g_mime_param_get_value (param)
                                        ? g_mime_param_get_value (param) : ""));
    }
  g_ptr_array_add (pairs, NULL);
  return (char **) g_ptr_array_free (pairs, FALSE);
}

static char *
header_value (GMimeObject *object,
              const char  *name)
{
  const char *value = g_mime_object_get_header (object, name);

  return value ? g_strstrip (g_strdup (value)) : NULL;
}

static gsize
object_encoded_size (GMimeObject *object)
{
  if (GMIME_IS_PART (object))
    {
      GMimeDataWrapper *content = g_mime_part_get_content (GMIME_PART (object));
      GMimeStream *stream = content ? g_mime_data_wrapper_get_stream (content) : NULL;
      gint64 len = stream ? g_mime_stream_length (stream) : 0;

      return len > 0 ? (gsize) len : 0;
    }
  else
    {
      g_autoptr(GMimeStream) stream = g_mime_stream_mem_new ();
      GMimeFormatOptions *options = crlf_options ();
      gint64 written = g_mime_object_write_content_to_stream (object, options, stream);

      g_mime_format_options_free (options);
      return written > 0 ? (gsize) written : 0;
    }
}

static MsMimePart *
describe (GMimeObject *object,
          const char  *number,
          guint        depth)
{
  MsMimePart *part = g_new0 (MsMimePart, 1);
  GMimeContentType *type = g_mime_object_get_content_type (object);

  part->part_number = g_strdup (number);
  part->depth = depth;
  part->is_container = GMIME_IS_MULTIPART (object) || GMIME_IS_MESSAGE_PART (object);
  if (type != NULL)
    {
      g_autofree char *mime_type = g_mime_content_type_get_mime_type (type);
      part->content_type = g_ascii_strdown (mime_type, -1);
    }
  else
    part->content_type = g_strdup ("text/plain");
  part->charset = g_strdup (g_mime_object_get_content_type_parameter (object, "charset"));
  part->transfer_encoding =
    lower_trimmed (g_mime_object_get_header (object, "Content-Transfer-Encoding"));
  part->disposition = lower_trimmed (g_mime_object_get_disposition (object));
  if (GMIME_IS_PART (object))
    part->filename = g_strdup (g_mime_part_get_filename (GMIME_PART (object)));
  part->size = object_encoded_size (object);
  part->type_params = type ? param_pairs (g_mime_content_type_get_parameters (type)) : NULL;
  if (g_mime_object_get_content_disposition (object) != NULL)
    part->disposition_params = param_pairs (g_mime_content_disposition_get_parameters (
                                              g_mime_object_get_content_disposition (object)));
  part->content_id = header_value (object, "Content-ID");
  part->description = header_value (object, "Content-Description");
  part->md5 = header_value (object, "Content-MD5");
  part->language = header_value (object, "Content-Language");
  part->location = header_value (object, "Content-Location");
  {
    g_autoptr(GBytes) raw = object_raw_bytes (object);
    gsize len;
    const char *data = g_bytes_get_data (raw, &len);

    for (gsize i = 0; i < len; i++)
      if (data[i] == '\n')
        part->lines++;
    /* RFC 3501 counts a last line without its line end too. */
    if (len > 0 && data[len - 1] != '\n')
      part->lines++;
  }
  return part;
}

typedef gboolean (*VisitFunc) (GMimeObject *object,
                               const char  *number,
                               guint        depth,
                               gpointer     data);

static char *
child_number (const char *parent,
              int         index)
{
  if (parent == NULL || *parent == '\0')
    return g_strdup_printf ("%d", index + 1);
  return g_strdup_printf ("%s.%d", parent, index + 1);
}

/* The body of a message (top level or encapsulated) numbered per RFC 3501 §6.4.5:
 * a multipart's children are N.1, N.2...; a single part is N.1 (or "1" at the top). */
static gboolean walk_object (GMimeObject *object, const char *number, guint depth,
                             VisitFunc visit, gpointer data);

static gboolean
walk_message_body (GMimeObject *body,
                   const char  *number,
                   guint        depth,
                   VisitFunc    visit,
                   gpointer     data)
{
  if (body == NULL)
    return TRUE;
  if (GMIME_IS_MULTIPART (body))
    return walk_object (body, number, depth, visit, data);
  {
    g_autofree char *inner = child_number (number, 0);
    return walk_object (body, inner, depth, visit, data);
  }
}

static gboolean
walk_object (GMimeObject *object,
             const char  *number,
             guint        depth,
             VisitFunc    visit,
             gpointer     data)
{
  if (!visit (object, number, depth, data))
    return FALSE;
  if (GMIME_IS_MULTIPART (object))
    {
      int n = g_mime_multipart_get_count (GMIME_MULTIPART (object));

      for (int i = 0; i < n; i++)
        {
          g_autofree char *child = child_number (number, i);

          if (!walk_object (g_mime_multipart_get_part (GMIME_MULTIPART (object), i),
                            child, depth + 1, visit, data))
            return FALSE;
        }
    }
  else if (GMIME_IS_MESSAGE_PART (object))
    {
      GMimeMessage *inner = g_mime_message_part_get_message (GMIME_MESSAGE_PART (object));

      if (inner != NULL)
        return walk_message_body (g_mime_message_get_mime_part (inner), number, depth + 1,
                                  visit, data);
    }
  return TRUE;
}

static gboolean
collect_part (GMimeObject *object,
              const char  *number,
              guint        depth,
              gpointer     data)
{
  g_ptr_array_add (data, describe (object, number, depth));
  return TRUE;
}

/**
 * ms_message_dup_parts:
 *
 * Every part depth first, containers included (a multipart inside a message/rfc822 shares
 * the number of that message part).
 *
 * Returns: (transfer full) (element-type MsMimePart)
 */
GPtrArray *
ms_message_dup_parts (MsMessage *self)
{
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_mime_part_free);
  GMimeMessage *mime;

  g_return_val_if_fail (MS_IS_MESSAGE (self), parts);

  mime = _ms_message_get_mime (self);
  walk_message_body (g_mime_message_get_mime_part (mime), "", 0, collect_part, parts);
  return parts;
}

typedef struct
{
  const char  *wanted;
  GMimeObject *found;
} FindPart;

static gboolean
find_part (GMimeObject *object,
           const char  *number,
           guint        depth,
           gpointer     data)
{
  FindPart *find = data;

  if (strcmp (number, find->wanted) == 0)
    {
      find->found = object;
      return FALSE;
    }
  return TRUE;
}

static GMimeObject *
lookup_part (MsMessage   *self,
             const char  *part_number,
             GError     **error)
{
  FindPart find = { part_number, NULL };
  GMimeMessage *mime = _ms_message_get_mime (self);

  walk_message_body (g_mime_message_get_mime_part (mime), "", 0, find_part, &find);
  if (find.found == NULL)
    g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_FAILED,
                 "the message has no part “%s”", part_number);
  return find.found;
}

/* The part's body with its transfer encoding undone (base64/quoted-printable decoded). */
GBytes *
ms_message_dup_part_content (MsMessage   *self,
                             const char  *part_number,
                             GError     **error)
{
  GMimeObject *object;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (part_number != NULL, NULL);

  object = lookup_part (self, part_number, error);
  return object ? object_content_bytes (object) : NULL;
}

GBytes *
ms_message_dup_part_raw (MsMessage   *self,
                         const char  *part_number,
                         GError     **error)
{
  GMimeObject *object;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (part_number != NULL, NULL);

  object = lookup_part (self, part_number, error);
  return object ? object_raw_bytes (object) : NULL;
}

GBytes *
ms_message_dup_part_mime_header (MsMessage   *self,
                                 const char  *part_number,
                                 GError     **error)
{
  GMimeObject *object;
  GMimeFormatOptions *options;
  g_autofree char *headers = NULL;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (part_number != NULL, NULL);

  object = lookup_part (self, part_number, error);
  if (object == NULL)
    return NULL;
  /* GMime keeps each field's raw value, so this is the block as it came. */
  options = crlf_options ();
  headers = g_mime_object_get_headers (object, options);
  g_mime_format_options_free (options);
  return g_bytes_new_take (g_strconcat (headers ? headers : "", "\r\n", NULL),
                           strlen (headers ? headers : "") + 2);
}

/* The part's text in UTF-8, converted from its charset (RFC 2046 §4.1.2; US-ASCII when
 * none is given). Undecodable bytes show as U+FFFD. */
char *
ms_message_dup_part_text (MsMessage   *self,
                          const char  *part_number,
                          GError     **error)
{
  GMimeObject *object;
  g_autoptr(GBytes) content = NULL;
  const char *charset;
  gsize len;
  const char *data;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (part_number != NULL, NULL);

  object = lookup_part (self, part_number, error);
  if (object == NULL)
    return NULL;
  content = object_content_bytes (object);
  data = g_bytes_get_data (content, &len);
  charset = g_mime_object_get_content_type_parameter (object, "charset");
  if (charset == NULL || g_ascii_strcasecmp (charset, "us-ascii") == 0)
    charset = "UTF-8";
  return _ms_convert_lossy (data, len, charset);
}

/* ---- Received (RFC 5321 §4.4 Time-stamp-line) ---- */

MsReceivedHop *
ms_received_hop_copy (const MsReceivedHop *self)
{
  MsReceivedHop *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (MsReceivedHop, 1);
  copy->from = g_strdup (self->from);
  copy->from_comment = g_strdup (self->from_comment);
  copy->by = g_strdup (self->by);
  copy->by_comment = g_strdup (self->by_comment);
  copy->via = g_strdup (self->via);
  copy->with = g_strdup (self->with);
  copy->id = g_strdup (self->id);
  copy->for_address = g_strdup (self->for_address);
  copy->date = self->date ? g_date_time_ref (self->date) : NULL;
  copy->raw = g_strdup (self->raw);
  return copy;
}

void
ms_received_hop_free (MsReceivedHop *self)
{
  if (self == NULL)
    return;
  g_free (self->from);
  g_free (self->from_comment);
  g_free (self->by);
  g_free (self->by_comment);
  g_free (self->via);
  g_free (self->with);
  g_free (self->id);
  g_free (self->for_address);
  g_clear_pointer (&self->date, g_date_time_unref);
  g_free (self->raw);
  g_free (self);
}

/* Reads a (possibly nested) comment starting at '('; returns its inside and moves *p. */
static char *
take_comment (const char **p)
{
  const char *s = *p + 1;
  int level = 1;
  GString *out = g_string_new (NULL);

  for (; *s != '\0'; s++)
    {
      if (*s == '\\' && s[1] != '\0')
        {
          g_string_append_c (out, *++s);
          continue;
        }
      if (*s == '(')
        level++;
      else if (*s == ')' && --level == 0)
        {
          s++;
          break;
        }
      g_string_append_c (out, *s);
    }
  *p = s;
  return g_string_free (out, FALSE);
}

static char **
hop_slot (MsReceivedHop *hop,
          const char    *key)
{
  if (g_ascii_strcasecmp (key, "from") == 0)
    return &hop->from;
  if (g_ascii_strcasecmp (key, "by") == 0)
    return &hop->by;
  if (g_ascii_strcasecmp (key, "via") == 0)
    return &hop->via;
  if (g_ascii_strcasecmp (key, "with") == 0)
    return &hop->with;
  if (g_ascii_strcasecmp (key, "id") == 0)
    return &hop->id;
  if (g_ascii_strcasecmp (key, "for") == 0)
    return &hop->for_address;
  return NULL;
}

static void
append_comment (char       **slot,
                const char  *comment)
{
  if (*slot == NULL)
    *slot = g_strdup (comment);
  else
    {
      char *joined = g_strconcat (*slot, " ", comment, NULL);

      g_free (*slot);
      *slot = joined;
    }
}

MsReceivedHop *
ms_received_hop_parse (const char *raw_value)
{
  MsReceivedHop *hop;
  const char *p;
  const char *semicolon = NULL;
  int level = 0;
  char **pending = NULL;      /* the slot waiting for its value */
  const char *last_key = NULL;

  g_return_val_if_fail (raw_value != NULL, NULL);

  _ms_message_init_gmime ();
  hop = g_new0 (MsReceivedHop, 1);
  hop->raw = ms_header_unfold (raw_value);

  /* The date follows the last ';' outside comments. */
  for (p = hop->raw; *p != '\0'; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '(')
        level++;
      else if (*p == ')' && level > 0)
        level--;
      else if (*p == ';' && level == 0)
        semicolon = p;
    }
  if (semicolon != NULL)
    {
      g_autofree char *date = g_strstrip (g_strdup (semicolon + 1));

      hop->date = *date ? g_mime_utils_header_decode_date (date) : NULL;
    }

  p = hop->raw;
  while (*p != '\0' && (semicolon == NULL || p < semicolon))
    {
      if (g_ascii_isspace (*p))
        {
          p++;
          continue;
        }
      if (*p == '(')
        {
          g_autofree char *comment = take_comment (&p);

          if (last_key != NULL && g_ascii_strcasecmp (last_key, "from") == 0)
            append_comment (&hop->from_comment, comment);
          else if (last_key != NULL && g_ascii_strcasecmp (last_key, "by") == 0)
            append_comment (&hop->by_comment, comment);
          continue;
        }
      {
        const char *start = p;
        g_autofree char *word = NULL;
        char **slot;

        while (*p != '\0' && !g_ascii_isspace (*p) && *p != '(' && p != semicolon)
          p++;
        word = g_strndup (start, p - start);
        if (pending != NULL)
          {
            gsize len = strlen (word);

            if (pending == &hop->for_address && len >= 2 && word[0] == '<'
                && word[len - 1] == '>')
              *pending = g_strndup (word + 1, len - 2);
            else
              *pending = g_steal_pointer (&word);
            pending = NULL;
            continue;
          }
        slot = hop_slot (hop, word);
        if (slot != NULL && *slot == NULL)
          {
            static const char *const keys[] = { "from", "by", "via", "with", "id", "for" };

            pending = slot;
            for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
              if (g_ascii_strcasecmp (keys[i], word) == 0)
                last_key = keys[i];
          }
      }
    }
  return hop;
}

GPtrArray *
ms_message_dup_received_hops (MsMessage *self)
{
  GPtrArray *hops = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_received_hop_free);
  g_autoptr(GPtrArray) fields = NULL;

  g_return_val_if_fail (MS_IS_MESSAGE (self), hops);

  fields = ms_message_dup_header_list (self);
  for (guint i = 0; i < fields->len; i++)
    {
      MsHeader *field = g_ptr_array_index (fields, i);

      if (g_ascii_strcasecmp (field->name, "Received") == 0)
        g_ptr_array_add (hops, ms_received_hop_parse (field->raw_value));
    }
  return hops;
}
