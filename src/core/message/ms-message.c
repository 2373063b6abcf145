/* ms-message.c: parsing, serialising and editing the header block; composing messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-message"

#include "config.h"

#include <string.h>

#include "ms-message-private.h"

/* RFC 5322 §2.1.1: a line is at most 998 characters without its CRLF. */
#define MS_MESSAGE_MAX_LINE 998
/* RFC 2045 §6.8: base64 lines of at most 76 characters. */
#define BASE64_LINE 76

typedef struct
{
  char *name;
  char *raw_value;
  char *value;       /* unfolded and trimmed, filled on first use */
} Field;

struct _MsMessage
{
  GObject       parent_instance;
  GPtrArray    *fields;         /* Field*, in wire order */
  gboolean      has_separator;
  GBytes       *body;
  GMimeMessage *mime;           /* lazily parsed view; NULL when stale */
};

G_DEFINE_FINAL_TYPE (MsMessage, ms_message, G_TYPE_OBJECT)
G_DEFINE_QUARK (ms-message-error-quark, ms_message_error)
G_DEFINE_BOXED_TYPE (MsHeader, ms_header, ms_header_copy, ms_header_free)

G_LOCK_DEFINE_STATIC (id_generator);
static MsMessageIdGenerator id_generator;
static gpointer id_generator_data;

void
_ms_message_init_gmime (void)
{
  static gsize initialised = 0;

  if (g_once_init_enter (&initialised))
    {
      g_mime_init ();
      g_once_init_leave (&initialised, 1);
    }
}

MsHeader *
ms_header_new (const char *name,
               const char *raw_value)
{
  MsHeader *self = g_new0 (MsHeader, 1);

  self->name = g_strdup (name);
  self->raw_value = g_strdup (raw_value);
  return self;
}

MsHeader *
ms_header_copy (const MsHeader *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return ms_header_new (self->name, self->raw_value);
}

void
ms_header_free (MsHeader *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->raw_value);
  g_free (self);
}

static void
field_free (gpointer data)
{
  Field *field = data;

  g_free (field->name);
  g_free (field->raw_value);
  g_free (field->value);
  g_free (field);
}

static Field *
field_new_take (char *name,
                char *raw_value)
{
  Field *field = g_new0 (Field, 1);

  field->name = name;
  field->raw_value = raw_value;
  return field;
}

static const char *
field_value (Field *field)
{
  if (field->value == NULL)
    field->value = ms_header_unfold (field->raw_value);
  return field->value;
}

static void
ms_message_finalize (GObject *object)
{
  MsMessage *self = MS_MESSAGE (object);

  g_ptr_array_unref (self->fields);
  g_clear_pointer (&self->body, g_bytes_unref);
  g_clear_object (&self->mime);

  G_OBJECT_CLASS (ms_message_parent_class)->finalize (object);
}

static void
ms_message_class_init (MsMessageClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_message_finalize;
}

static void
ms_message_init (MsMessage *self)
{
  self->fields = g_ptr_array_new_with_free_func (field_free);
}

/* Bare LF becomes CRLF; CRLF and lone CR stay as they are. */
static GBytes *
normalize_crlf (const guint8 *data,
                gsize         len)
{
  GByteArray *out;
  gsize extra = 0;

  for (gsize i = 0; i < len; i++)
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
      extra++;
  if (extra == 0)
    return g_bytes_new (data, len);

  out = g_byte_array_sized_new (len + extra);
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
        g_byte_array_append (out, (const guint8 *) "\r", 1);
      g_byte_array_append (out, data + i, 1);
    }
  return g_byte_array_free_to_bytes (out);
}

/* RFC 5322 §3.6.8 field-name: printable ASCII except colon. */
static gsize
field_name_length (const guint8 *line,
                   gsize         len)
{
  gsize n = 0;

  while (n < len && line[n] >= 33 && line[n] <= 126 && line[n] != ':')
    n++;
  return n;
}

static gboolean
valid_field_name (const char *name)
{
  gsize len = strlen (name);

  return len > 0 && field_name_length ((const guint8 *) name, len) == len;
}

MsMessage *
ms_message_new_from_bytes (GBytes  *raw,
                           GError **error)
{
  g_autoptr(MsMessage) self = NULL;
  g_autoptr(GBytes) norm = NULL;
  const guint8 *data;
  gsize len;
  gsize pos = 0;
  gsize body_start;
  Field *current = NULL;
  g_autoptr(GString) value = g_string_new (NULL);   /* the current field's raw value */

  g_return_val_if_fail (raw != NULL, NULL);

  self = g_object_new (MS_TYPE_MESSAGE, NULL);
  norm = normalize_crlf (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw));
  data = g_bytes_get_data (norm, &len);
  body_start = 0;

  while (pos < len)
    {
      const guint8 *eol = memchr (data + pos, '\n', len - pos);
      gsize line_end = eol ? (gsize) (eol - data) - 1 : len;   /* index of CR or len */
      gsize next = eol ? (gsize) (eol - data) + 1 : len;
      gsize line_len;
      gsize name_len;

      if (eol != NULL && (line_end < pos || data[line_end] != '\r'))
        line_end = (gsize) (eol - data);   /* cannot happen after normalising; be safe */
      line_len = line_end - pos;

      if (line_len == 0 && eol != NULL)
        {
          /* RFC 5322 §2.1: the empty line ends the header section. */
          self->has_separator = TRUE;
          body_start = next;
          current = NULL;
          break;
        }
      if (next > MS_MESSAGE_MAX_HEADER_BYTES)
        {
          g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_TOO_LONG,
                       "header section longer than %d bytes", MS_MESSAGE_MAX_HEADER_BYTES);
          return NULL;
        }
      if (memchr (data + pos, '\0', line_len) != NULL)
        {
          g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_SYNTAX,
                       "NUL byte in header field at offset %" G_GSIZE_FORMAT,
                       (gsize) ((const guint8 *) memchr (data + pos, '\0', line_len) - data));
          return NULL;
        }

      if (data[pos] == ' ' || data[pos] == '\t')
        {
          if (current == NULL)
            {
              body_start = pos;   /* continuation without a field: not a header block */
              break;
            }
          /* RFC 5322 §2.2.3: folded continuation, kept as it came. */
          g_string_append (value, "\r\n");
          g_string_append_len (value, (const char *) data + pos, line_len);
          pos = next;
          body_start = pos;
          continue;
        }

      name_len = field_name_length (data + pos, line_len);
      if (name_len == 0 || name_len >= line_len || data[pos + name_len] != ':')
        {
          /* Not a field: the body starts here without a separator (as Python's feedparser
           * decides, with a MissingHeaderBodySeparatorDefect). */
          body_start = pos;
          current = NULL;
          break;
        }
      if (self->fields->len >= MS_MESSAGE_MAX_HEADER_FIELDS)
        {
          g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_TOO_LONG,
                       "more than %d header fields", MS_MESSAGE_MAX_HEADER_FIELDS);
          return NULL;
        }
      if (current != NULL)
        current->raw_value = g_strndup (value->str, value->len);
      g_string_truncate (value, 0);
      g_string_append_len (value, (const char *) data + pos + name_len + 1,
                           line_len - name_len - 1);
      current = field_new_take (g_strndup ((const char *) data + pos, name_len), NULL);
      g_ptr_array_add (self->fields, current);
      pos = next;
      body_start = pos;
    }

  if (self->fields->len > 0)
    {
      Field *last = g_ptr_array_index (self->fields, self->fields->len - 1);

      if (last->raw_value == NULL)
        last->raw_value = g_strndup (value->str, value->len);
    }
  self->body = g_bytes_new_from_bytes (norm, body_start, len - body_start);
  return g_steal_pointer (&self);
}

static void
append_headers (MsMessage  *self,
                GByteArray *out)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      g_byte_array_append (out, (const guint8 *) field->name, strlen (field->name));
      g_byte_array_append (out, (const guint8 *) ":", 1);
      g_byte_array_append (out, (const guint8 *) field->raw_value, strlen (field->raw_value));
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
    }
}

GBytes *
ms_message_to_bytes (MsMessage *self)
{
  GByteArray *out;
  gsize body_len;
  const guint8 *body;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);

  body = g_bytes_get_data (self->body, &body_len);
  out = g_byte_array_sized_new (body_len + 1024);
  append_headers (self, out);
  if (self->has_separator)
    g_byte_array_append (out, (const guint8 *) "\r\n", 2);
  g_byte_array_append (out, body, body_len);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ms_message_get_body (MsMessage *self)
{
  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  return self->body;
}

gboolean
ms_message_has_header_separator (MsMessage *self)
{
  g_return_val_if_fail (MS_IS_MESSAGE (self), FALSE);
  return self->has_separator;
}

GMimeMessage *
_ms_message_get_mime (MsMessage *self)
{
  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);

  if (self->mime == NULL)
    {
      GByteArray *bytes;
      gsize body_len;
      const guint8 *body = g_bytes_get_data (self->body, &body_len);
      g_autoptr(GMimeStream) stream = NULL;
      g_autoptr(GMimeParser) parser = NULL;

      _ms_message_init_gmime ();
      /* GMime always sees a separator, so a message without one still has a body. */
      bytes = g_byte_array_new ();
      append_headers (self, bytes);
      g_byte_array_append (bytes, (const guint8 *) "\r\n", 2);
      g_byte_array_append (bytes, body, body_len);
      stream = g_mime_stream_mem_new_with_byte_array (bytes);   /* takes the array */
      parser = g_mime_parser_new_with_stream (stream);
      g_mime_parser_set_format (parser, GMIME_FORMAT_MESSAGE);
      self->mime = g_mime_parser_construct_message (parser, NULL);
      if (self->mime == NULL)
        self->mime = g_mime_message_new (FALSE);
    }
  return self->mime;
}

static void
headers_changed (MsMessage *self)
{
  g_clear_object (&self->mime);
}

static Field *
find_field (MsMessage  *self,
            const char *name)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_ascii_strcasecmp (field->name, name) == 0)
        return field;
    }
  return NULL;
}

/**
 * ms_message_get_header:
 *
 * Returns: (nullable): the first field of that name, unfolded and trimmed but not decoded
 *   (encoded words stay as they are: the "raw view").
 */
const char *
ms_message_get_header (MsMessage  *self,
                       const char *name)
{
  Field *field;

  g_return_val_if_fail (MS_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  field = find_field (self, name);
  return field ? field_value (field) : NULL;
}

/* The decoded view: encoded words become UTF-8. */
char *
ms_message_dup_header_decoded (MsMessage  *self,
                               const char *name)
{
  const char *value = ms_message_get_header (self, name);

  return value ? ms_rfc2047_decode (value) : NULL;
}

char *
ms_message_decode_header_naively (MsMessage  *self,
                                  const char *name,
                                  const char *assumed_charset)
{
  const char *value = ms_message_get_header (self, name);

  return value ? ms_rfc2047_decode_naively (value, assumed_charset) : NULL;
}

guint
ms_message_count_header (MsMessage  *self,
                         const char *name)
{
  guint n = 0;

  g_return_val_if_fail (MS_IS_MESSAGE (self), 0);

  for (guint i = 0; i < self->fields->len; i++)
    if (g_ascii_strcasecmp (((Field *) g_ptr_array_index (self->fields, i))->name, name) == 0)
      n++;
  return n;
}

GPtrArray *
ms_message_dup_header_list (MsMessage *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_header_free);

  g_return_val_if_fail (MS_IS_MESSAGE (self), list);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);
      g_ptr_array_add (list, ms_header_new (field->name, field->raw_value));
    }
  return list;
}

/* A value may carry folding CRLFs, but each must be followed by white space: anything
 * else would smuggle in a new field (header injection). */
static gboolean
valid_field_value (const char *value)
{
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\r' && (p[1] != '\n' || (p[2] != ' ' && p[2] != '\t')))
        return FALSE;
      if (*p == '\n' && (p == value || p[-1] != '\r'))
        return FALSE;
    }
  return TRUE;
}

static Field *
make_field (const char *name,
            const char *value)
{
  return field_new_take (g_strdup (name), ms_header_fold (name, value));
}

/* Trace fields go on top (RFC 5321 §4.4). The value is folded at spaces if it is long. */
void
ms_message_prepend_header (MsMessage  *self,
                           const char *name,
                           const char *value)
{
  g_return_if_fail (MS_IS_MESSAGE (self));
  g_return_if_fail (name != NULL && valid_field_name (name));
  g_return_if_fail (value != NULL && valid_field_value (value));

  g_ptr_array_insert (self->fields, 0, make_field (name, value));
  headers_changed (self);
}

void
ms_message_append_header (MsMessage  *self,
                          const char *name,
                          const char *value)
{
  g_return_if_fail (MS_IS_MESSAGE (self));
  g_return_if_fail (name != NULL && valid_field_name (name));
  g_return_if_fail (value != NULL && valid_field_value (value));

  g_ptr_array_add (self->fields, make_field (name, value));
  headers_changed (self);
}

guint
ms_message_remove_header (MsMessage  *self,
                          const char *name)
{
  guint removed = 0;

  g_return_val_if_fail (MS_IS_MESSAGE (self), 0);
  g_return_val_if_fail (name != NULL, 0);

  for (guint i = self->fields->len; i > 0; i--)
    {
      Field *field = g_ptr_array_index (self->fields, i - 1);

      if (g_ascii_strcasecmp (field->name, name) == 0)
        {
          g_ptr_array_remove_index (self->fields, i - 1);
          removed++;
        }
    }
  if (removed > 0)
    headers_changed (self);
  return removed;
}

/* RFC 5321 §4.4: the final delivery records the envelope's reverse-path on top; a
 * Return-Path already present (from an earlier delivery) is replaced. */
void
ms_message_add_return_path (MsMessage  *self,
                            const char *reverse_path)
{
  g_autofree char *value = NULL;

  g_return_if_fail (MS_IS_MESSAGE (self));

  if (reverse_path == NULL)
    reverse_path = "";
  if (reverse_path[0] == '<')
    value = g_strdup (reverse_path);
  else
    value = g_strdup_printf ("<%s>", reverse_path);
  g_return_if_fail (valid_field_value (value) && strchr (value, '\n') == NULL);

  ms_message_remove_header (self, "Return-Path");
  ms_message_prepend_header (self, "Return-Path", value);
}

void
ms_message_set_id_generator (MsMessageIdGenerator generator,
                             gpointer             user_data)
{
  G_LOCK (id_generator);
  id_generator = generator;
  id_generator_data = user_data;
  G_UNLOCK (id_generator);
}

/* RFC 5322 §3.6.4; a submission server adds a missing one (RFC 6409 §8.3). */
gboolean
ms_message_ensure_message_id (MsMessage  *self,
                              const char *domain)
{
  g_autofree char *id = NULL;
  g_autofree char *value = NULL;
  MsMessageIdGenerator generator;
  gpointer data;

  g_return_val_if_fail (MS_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (domain != NULL && *domain != '\0', FALSE);

  if (find_field (self, "Message-ID") != NULL)
    return FALSE;

  G_LOCK (id_generator);
  generator = id_generator;
  data = id_generator_data;
  G_UNLOCK (id_generator);

  if (generator != NULL)
    id = generator (domain, data);
  if (id == NULL)
    id = g_strdup_printf ("%" G_GINT64_FORMAT ".%08x%08x@%s", g_get_real_time (),
                          g_random_int (), g_random_int (), domain);
  value = g_strdup_printf ("<%s>", id);
  ms_message_append_header (self, "Message-ID", value);
  return TRUE;
}

/* RFC 5322 §3.6.1 requires Date; a submission server adds a missing one (RFC 6409 §8.2). */
gboolean
ms_message_ensure_date (MsMessage *self,
                        GDateTime *now)
{
  g_autofree char *value = NULL;

  g_return_val_if_fail (MS_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (now != NULL, FALSE);

  if (find_field (self, "Date") != NULL)
    return FALSE;
  value = ms_header_format_date (now);
  ms_message_append_header (self, "Date", value);
  return TRUE;
}

char *
ms_message_dup_subject (MsMessage *self)
{
  return ms_message_dup_header_decoded (self, "Subject");
}

GPtrArray *
ms_message_dup_addresses (MsMessage  *self,
                          const char *name)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_address_free);

  g_return_val_if_fail (MS_IS_MESSAGE (self), all);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_ascii_strcasecmp (field->name, name) == 0)
        {
          g_autoptr(GPtrArray) some = ms_address_list_parse (field->raw_value);

          g_ptr_array_set_free_func (some, NULL);
          g_ptr_array_extend_and_steal (all, g_steal_pointer (&some));
        }
    }
  return all;
}

/* ---- Composing (what a mail client does) ---- */

static void
add_field (GString    *out,
           const char *name,
           const char *value)
{
  g_autofree char *folded = ms_header_fold (name, value);

  g_string_append_printf (out, "%s:%s\r\n", name, folded);
}

static gboolean
add_address_field (GString              *out,
                   const char           *name,
                   GPtrArray            *list,
                   const MsMessageSpec  *spec,
                   GError              **error)
{
  g_autofree char *value = NULL;

  if (list == NULL || list->len == 0)
    return TRUE;
  value = ms_address_list_format (list, spec->header_charset, spec->header_encoding, error);
  if (value == NULL)
    return FALSE;
  add_field (out, name, value);
  return TRUE;
}

/* LF or CRLF in, LF out, for the encoders. */
static char *
to_lf (const char *data,
       gsize       len,
       gsize      *out_len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
      g_string_append_c (out, data[i]);
  *out_len = out->len;
  return g_string_free (out, FALSE);
}

static void
append_lf_as_crlf (GString    *out,
                   const char *data,
                   gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == '\n')
        g_string_append_c (out, '\r');
      g_string_append_c (out, data[i]);
    }
}

static void
append_base64 (GString      *out,
               const guint8 *data,
               gsize         len)
{
  g_autofree char *b64 = g_base64_encode (data, len);
  gsize n = strlen (b64);

  for (gsize i = 0; i < n; i += BASE64_LINE)
    {
      g_string_append_len (out, b64 + i, MIN (BASE64_LINE, n - i));
      g_string_append (out, "\r\n");
    }
}

/* Quoted-printable by GMime's encoder (RFC 2045 §6.7), LF in, CRLF out. */
static void
append_quoted_printable (GString    *out,
                         const char *lf_text,
                         gsize       len)
{
  GMimeEncoding state;
  g_autofree char *buf = NULL;
  gsize n;

  _ms_message_init_gmime ();
  g_mime_encoding_init_encode (&state, GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  buf = g_malloc (g_mime_encoding_outlen (&state, len) + 16);
  n = g_mime_encoding_flush (&state, lf_text, len, buf);
  append_lf_as_crlf (out, buf, n);
}

static gboolean
lines_fit (const char *lf_text,
           gsize       len,
           gboolean    seven_bit)
{
  gsize col = 0;

  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) lf_text[i];

      if (c == '\0' || (seven_bit && c >= 0x80) || c == '\r')
        return FALSE;
      if (c == '\n')
        col = 0;
      else if (++col > MS_MESSAGE_MAX_LINE)
        return FALSE;
    }
  return TRUE;
}

static const char *
encoding_name (MsTransferEncoding encoding)
{
  switch (encoding)
    {
    case MS_TRANSFER_ENCODING_8BIT:
      return "8bit";
    case MS_TRANSFER_ENCODING_QUOTED_PRINTABLE:
      return "quoted-printable";
    case MS_TRANSFER_ENCODING_BASE64:
      return "base64";
    case MS_TRANSFER_ENCODING_DEFAULT:
    case MS_TRANSFER_ENCODING_7BIT:
    default:
      return "7bit";
    }
}

/* Appends Content-Type/-Transfer-Encoding fields, the blank line and the encoded text. */
static gboolean
append_text_part (GString              *out,
                  const MsMessageSpec  *spec,
                  GError              **error)
{
  const char *charset = spec->text_charset ? spec->text_charset : "UTF-8";
  const char *text = spec->text ? spec->text : "";
  g_autofree char *converted = NULL;
  g_autofree char *lf = NULL;
  gsize converted_len;
  gsize lf_len;
  MsTransferEncoding encoding = spec->text_encoding;
  g_autofree char *content_type = NULL;

  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_SYNTAX,
                   "body text is not valid UTF-8");
      return FALSE;
    }
  if (g_ascii_strcasecmp (charset, "UTF-8") == 0)
    {
      converted = g_strdup (text);
      converted_len = strlen (text);
    }
  else
    {
      g_autoptr(GError) local = NULL;

      converted = g_convert (text, -1, charset, "UTF-8", NULL, &converted_len, &local);
      if (converted == NULL)
        {
          g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_FAILED,
                       "body text cannot be written in %s: %s", charset, local->message);
          return FALSE;
        }
    }
  lf = to_lf (converted, converted_len, &lf_len);
  if (lf_len > 0 && lf[lf_len - 1] != '\n')
    {
      char *grown = g_realloc (g_steal_pointer (&lf), lf_len + 2);

      grown[lf_len++] = '\n';
      grown[lf_len] = '\0';
      lf = grown;
    }

  if (encoding == MS_TRANSFER_ENCODING_DEFAULT)
    encoding = lines_fit (lf, lf_len, TRUE) ? MS_TRANSFER_ENCODING_7BIT
                                            : MS_TRANSFER_ENCODING_BASE64;
  if ((encoding == MS_TRANSFER_ENCODING_7BIT || encoding == MS_TRANSFER_ENCODING_8BIT)
      && !lines_fit (lf, lf_len, encoding == MS_TRANSFER_ENCODING_7BIT))
    {
      /* RFC 2045 §2.7-2.8: 7bit is ASCII only, and neither allows lines over 998. */
      g_set_error (error, MS_MESSAGE_ERROR, MS_MESSAGE_ERROR_FAILED,
                   "the %s body cannot be sent as %s (8-bit bytes or lines over %d); "
                   "choose quoted-printable or base64",
                   charset, encoding_name (encoding), MS_MESSAGE_MAX_LINE);
      return FALSE;
    }

  content_type = g_strdup_printf ("text/plain; charset=%s", charset);
  add_field (out, "Content-Type", content_type);
  add_field (out, "Content-Transfer-Encoding", encoding_name (encoding));
  g_string_append (out, "\r\n");
  switch (encoding)
    {
    case MS_TRANSFER_ENCODING_QUOTED_PRINTABLE:
      append_quoted_printable (out, lf, lf_len);
      break;
    case MS_TRANSFER_ENCODING_BASE64:
      {
        /* Text is encoded in its canonical form, CRLF line ends (RFC 2046 §4.1.1). */
        g_autoptr(GString) crlf = g_string_new (NULL);

        append_lf_as_crlf (crlf, lf, lf_len);
        append_base64 (out, (const guint8 *) crlf->str, crlf->len);
      }
      break;
    case MS_TRANSFER_ENCODING_DEFAULT:
    case MS_TRANSFER_ENCODING_7BIT:
    case MS_TRANSFER_ENCODING_8BIT:
    default:
      append_lf_as_crlf (out, lf, lf_len);
      break;
    }
  return TRUE;
}

static gboolean
append_attachment (GString                 *out,
                   const MsAttachmentSpec  *att,
                   const MsMessageSpec     *spec,
                   GError                 **error)
{
  const char *type = att->content_type ? att->content_type : "application/octet-stream";
  const char *filename = att->filename ? att->filename : "attachment";
  g_autofree char *encoded_name = NULL;
  g_autofree char *type_value = NULL;
  g_autofree char *param = NULL;
  gsize len = 0;
  const guint8 *data = att->data ? g_bytes_get_data (att->data, &len) : NULL;

  /* name= with encoded words is what older clients read (RFC 2047 does not allow it in
   * parameters, but everyone does it); filename*= is the standard form (RFC 2231). */
  /* ' name="' comes before the first word and '";' after the last one. */
  encoded_name = _ms_rfc2047_encode_phrase_limited (filename, spec->header_charset,
                                                    spec->header_encoding,
                                                    MS_HEADER_FOLD_WIDTH - 10, error);
  if (encoded_name == NULL)
    return FALSE;
  param = ms_rfc2231_encode_param ("filename", filename, spec->header_charset, error);
  if (param == NULL)
    return FALSE;
  type_value = g_strdup_printf ("%s; name=\"%s\"", type, encoded_name);
  add_field (out, "Content-Type", type_value);
  g_string_append (out, "Content-Disposition: attachment");
  g_string_append (out, param);
  g_string_append (out, "\r\n");
  add_field (out, "Content-Transfer-Encoding", "base64");
  g_string_append (out, "\r\n");
  append_base64 (out, data ? data : (const guint8 *) "", len);
  return TRUE;
}

/* Deterministic, so the simulator's runs repeat byte for byte. */
static char *
make_boundary (const MsMessageSpec *spec,
               guint                salt)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  char hex[25];

  g_checksum_update (sum, (const guchar *) &salt, sizeof salt);
  if (spec->subject)
    g_checksum_update (sum, (const guchar *) spec->subject, -1);
  if (spec->text)
    g_checksum_update (sum, (const guchar *) spec->text, -1);
  for (guint i = 0; i < spec->n_attachments; i++)
    if (spec->attachments[i].filename)
      g_checksum_update (sum, (const guchar *) spec->attachments[i].filename, -1);
  g_strlcpy (hex, g_checksum_get_string (sum), sizeof hex);
  return g_strdup_printf ("=_MailSim_%s", hex);
}

MsMessage *
ms_message_new (const MsMessageSpec  *spec,
                GError              **error)
{
  g_autoptr(GString) out = NULL;
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (spec != NULL, NULL);

  out = g_string_new (NULL);
  if (!add_address_field (out, "From", spec->from, spec, error)
      || !add_address_field (out, "To", spec->to, spec, error)
      || !add_address_field (out, "Cc", spec->cc, spec, error)
      || !add_address_field (out, "Bcc", spec->bcc, spec, error))
    return NULL;
  if (spec->subject != NULL)
    {
      g_autofree char *subject = ms_rfc2047_encode (spec->subject, spec->header_charset,
                                                    spec->header_encoding, error);
      if (subject == NULL)
        return NULL;
      add_field (out, "Subject", subject);
    }
  if (spec->date != NULL)
    {
      g_autofree char *date = ms_header_format_date (spec->date);
      add_field (out, "Date", date);
    }
  if (spec->message_id != NULL)
    {
      g_autofree char *id = spec->message_id[0] == '<'
                            ? g_strdup (spec->message_id)
                            : g_strdup_printf ("<%s>", spec->message_id);
      add_field (out, "Message-ID", id);
    }
  add_field (out, "MIME-Version", "1.0");

  if (spec->n_attachments == 0)
    {
      if (!append_text_part (out, spec, error))
        return NULL;
    }
  else
    {
      g_autoptr(GString) parts = g_string_new (NULL);
      g_autofree char *boundary = NULL;
      g_autofree char *type = NULL;
      guint salt = 0;

      {
        g_autoptr(GString) text = g_string_new (NULL);

        if (!append_text_part (text, spec, error))
          return NULL;
        do
          {
            g_free (boundary);
            boundary = make_boundary (spec, salt++);
          }
        while (strstr (text->str, boundary) != NULL);
        g_string_append_printf (parts, "--%s\r\n%s", boundary, text->str);
      }
      for (guint i = 0; i < spec->n_attachments; i++)
        {
          g_string_append_printf (parts, "\r\n--%s\r\n", boundary);
          if (!append_attachment (parts, &spec->attachments[i], spec, error))
            return NULL;
        }
      g_string_append_printf (parts, "\r\n--%s--\r\n", boundary);

      type = g_strdup_printf ("multipart/mixed; boundary=\"%s\"", boundary);
      add_field (out, "Content-Type", type);
      g_string_append (out, "\r\nThis is a multi-part message in MIME format.\r\n\r\n");
      g_string_append_len (out, parts->str, parts->len);
    }

  bytes = g_string_free_to_bytes (g_steal_pointer (&out));
  return ms_message_new_from_bytes (bytes, error);
}
