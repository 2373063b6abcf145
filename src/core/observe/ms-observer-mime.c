/* ms-observer-mime.c: the MIME outline of an extracted message, read cheaply
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `analyze` lists each message's parts (number, type, filename, size) and Received
 * hops. Building a whole MsMessage (GMime) for that costs more than the rest of the
 * analysis, so well-formed messages are outlined here in one pass over the bytes:
 * CRLF lines, RFC 5322 header fields, RFC 2045 Content-Type and RFC 2183
 * Content-Disposition with plain parameters, RFC 2046 multipart bodies with their
 * delimiter lines. Anything else (message/... parts, encoded or continued parameters,
 * comments, bare LF, a missing close delimiter, odd boundary lines...) is handed to
 * MsMessage, so the result is always the one MsMessage gives; the observe tests
 * compare both on every message of the corpus.
 */
#define G_LOG_DOMAIN "ms-observe"

#include "config.h"

#include <string.h>

#include "ms-mail-observer.h"
#include "ms-message.h"

#define MAX_DEPTH 16

typedef struct
{
  GString   *content_type;   /* unfolded value, or NULL */
  GString   *disposition;
  GPtrArray *received;       /* raw values (top level only), or NULL */
  gsize      body_start;
} Fields;

static void
string_free (gpointer s)
{
  g_string_free (s, TRUE);
}

static void
fields_clear (Fields *f)
{
  if (f->content_type != NULL)
    g_string_free (f->content_type, TRUE);
  if (f->disposition != NULL)
    g_string_free (f->disposition, TRUE);
  f->content_type = f->disposition = NULL;
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
name_is (const guint8 *name,
         gsize         len,
         const char   *wanted)
{
  return strlen (wanted) == len && g_ascii_strncasecmp ((const char *) name, wanted, len) == 0;
}

/* The header block from @pos to its empty line; FALSE when it is not plainly formed. */
static gboolean
read_fields (const guint8 *data,
             gsize         pos,
             gsize         end,
             gboolean      top,
             Fields       *f)
{
  GString *current = NULL;   /* the interesting field being read, or NULL */
  GString *received = NULL;
  guint n_fields = 0;
  gsize start = pos;

  while (pos < end)
    {
      const guint8 *lf = memchr (data + pos, '\n', end - pos);
      gsize line_len;
      gsize name_len;

      if (lf == NULL || lf == data + pos || lf[-1] != '\r')
        return FALSE;
      line_len = (gsize) (lf - data) - 1 - pos;
      if ((gsize) (lf - data) + 1 - start > MS_MESSAGE_MAX_HEADER_BYTES
          || memchr (data + pos, '\0', line_len) != NULL)
        return FALSE;
      if (line_len == 0)
        {
          f->body_start = pos + 2;
          return TRUE;
        }
      if (data[pos] == ' ' || data[pos] == '\t')
        {
          if (n_fields == 0)
            return FALSE;
          if (current != NULL)
            {
              if (current == received)
                g_string_append (current, "\r\n");
              g_string_append_len (current, (const char *) data + pos, (gssize) line_len);
            }
          pos += line_len + 2;
          continue;
        }
      name_len = field_name_length (data + pos, line_len);
      if (name_len == 0 || name_len >= line_len || data[pos + name_len] != ':'
          || ++n_fields > MS_MESSAGE_MAX_HEADER_FIELDS)
        return FALSE;
      current = NULL;
      if (name_is (data + pos, name_len, "Content-Type"))
        {
          if (f->content_type != NULL)
            return FALSE;  /* which one wins is the full parser's business */
          current = f->content_type = g_string_new (NULL);
        }
      else if (name_is (data + pos, name_len, "Content-Disposition"))
        {
          if (f->disposition != NULL)
            return FALSE;
          current = f->disposition = g_string_new (NULL);
        }
      else if (top && name_is (data + pos, name_len, "Received"))
        {
          received = current = g_string_new (NULL);
          g_ptr_array_add (f->received, received);
        }
      if (current != NULL)
        g_string_append_len (current, (const char *) data + pos + name_len + 1,
                             (gssize) (line_len - name_len - 1));
      pos += line_len + 2;
    }
  return FALSE;  /* no empty line */
}

/* RFC 2045 §5.1 token characters. */
static gboolean
is_token_char (char c)
{
  return c > 32 && c < 127 && strchr ("()<>@,;:\\\"/[]?=", c) == NULL;
}

static const char *
skip_ws (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* "type/subtype; a=b; c="d"" or "attachment; filename=x": the first token(s), lower
 * case, and the values of @want1 / @want2 (NULL when absent). FALSE when the value is
 * anything but plain: comments, RFC 2231 or RFC 2047 encoding, quoted-pairs. */
static gboolean
parse_value (const char  *value,
             gboolean     with_subtype,
             char       **type,
             const char  *want1,
             char       **value1,
             const char  *want2,
             char       **value2)
{
  const char *p = skip_ws (value);
  const char *t = p;

  if (strchr (value, '(') != NULL || strstr (value, "=?") != NULL)
    return FALSE;
  while (is_token_char (*p))
    p++;
  if (p == t)
    return FALSE;
  if (with_subtype)
    {
      const char *s;

      if (*p != '/')
        return FALSE;
      s = ++p;
      while (is_token_char (*p))
        p++;
      if (p == s)
        return FALSE;
    }
  *type = g_ascii_strdown (t, p - t);
  p = skip_ws (p);
  while (*p == ';')
    {
      const char *n;
      gsize n_len;
      const char *v;
      gsize v_len;

      p = skip_ws (p + 1);
      if (*p == '\0')
        break;  /* a trailing ';' */
      n = p;
      while (is_token_char (*p) && *p != '*')
        p++;
      n_len = p - n;
      p = skip_ws (p);
      if (n_len == 0 || *p != '=')
        return FALSE;
      p = skip_ws (p + 1);
      if (*p == '"')
        {
          v = ++p;
          while (*p != '"' && *p != '\0' && *p != '\\' && *p != '\r' && *p != '\n')
            p++;
          if (*p != '"')
            return FALSE;
          v_len = p - v;
          p++;
        }
      else
        {
          v = p;
          while (is_token_char (*p))
            p++;
          v_len = p - v;
          if (v_len == 0)
            return FALSE;
        }
      for (gsize i = 0; i < v_len; i++)
        if ((guchar) v[i] >= 0x80)
          return FALSE;
      if (want1 != NULL && n_len == strlen (want1) && g_ascii_strncasecmp (n, want1, n_len) == 0)
        {
          if (*value1 != NULL)
            return FALSE;
          *value1 = g_strndup (v, v_len);
        }
      else if (want2 != NULL && n_len == strlen (want2)
               && g_ascii_strncasecmp (n, want2, n_len) == 0)
        {
          if (*value2 != NULL)
            return FALSE;
          *value2 = g_strndup (v, v_len);
        }
      p = skip_ws (p);
    }
  return *p == '\0';
}

typedef struct
{
  const guint8 *data;
  GPtrArray    *parts;
} Outline;

static MsMimePart *
new_part (const char *number,
          guint       depth,
          char       *content_type,
          gboolean    container,
          gsize       size)
{
  MsMimePart *part = g_new0 (MsMimePart, 1);

  part->part_number = g_strdup (number);
  part->depth = depth;
  part->content_type = content_type;
  part->is_container = container;
  part->size = size;
  return part;
}

static gboolean outline_body (Outline *o, Fields *f, gsize end, const char *number,
                              guint depth, gboolean top, gsize *shrink);

/* Is the line at @pos (up to its CRLF at @eol) "--boundary" (1), "--boundary--" (2),
 * something else (0), or a look-alike the full parser may judge otherwise (-1)? */
static int
delimiter_kind (const guint8 *line,
                gsize         len,
                const char   *boundary,
                gsize         b_len)
{
  if (len < 2 || line[0] != '-' || line[1] != '-')
    return 0;
  if (len < 2 + b_len || memcmp (line + 2, boundary, b_len) != 0)
    {
      /* a shorter line that begins like the delimiter is only text */
      return 0;
    }
  if (len == 2 + b_len)
    return 1;
  if (len == 4 + b_len && line[2 + b_len] == '-' && line[3 + b_len] == '-')
    return 2;
  return -1;
}

/* RFC 2046 §5.1.1: the parts between the delimiter lines of [start, end). */
static gboolean
outline_multipart (Outline    *o,
                   const char *boundary,
                   gsize       start,
                   gsize       end,
                   const char *number,
                   guint       depth,
                   gsize      *lf_lines)
{
  const guint8 *data = o->data;
  gsize b_len = strlen (boundary);
  gsize pos = start;
  gsize part_start = 0;
  gboolean in_part = FALSE;
  guint index = 0;

  if (depth >= MAX_DEPTH || b_len == 0)
    return FALSE;
  while (pos < end)
    {
      const guint8 *lf = memchr (data + pos, '\n', end - pos);
      gsize line_len;
      int kind;

      if (lf == NULL || lf == data + pos || lf[-1] != '\r')
        return FALSE;
      line_len = (gsize) (lf - data) - 1 - pos;
      kind = delimiter_kind (data + pos, line_len, boundary, b_len);
      if (kind < 0)
        return FALSE;
      if (kind > 0)
        {
          if (!in_part && index == 0)
            {
              /* likewise the preamble, but for the CRLF that belongs to the delimiter */
              for (gsize e = start; e + 2 < pos; e++)
                if (data[e] == '\r')
                  {
                    if (data[e + 1] != '\n')
                      return FALSE;
                    (*lf_lines)++;
                  }
            }
          if (in_part)
            {
              /* the CRLF before a delimiter belongs to it */
              g_autofree char *child = number[0] == '\0'
                                       ? g_strdup_printf ("%u", index + 1)
                                       : g_strdup_printf ("%s.%u", number, index + 1);
              Fields f = { 0 };
              gboolean ok;

              if (pos < part_start + 2)
                return FALSE;
              ok = read_fields (data, part_start, pos - 2, FALSE, &f)
                   && outline_body (o, &f, pos - 2, child, depth + 1, FALSE, lf_lines);
              fields_clear (&f);
              if (!ok)
                return FALSE;
              index++;
            }
          if (kind == 2)
            {
              /* MsMessage (GMime) gives the preamble and the epilogue back with LF
               * line ends: a container's size is one less per line of them */
              gsize e = pos + line_len + 2;

              for (; e < end; e++)
                if (data[e] == '\r')
                  {
                    if (e + 1 >= end || data[e + 1] != '\n')
                      return FALSE;
                    (*lf_lines)++;
                  }
              return index > 0;
            }
          in_part = TRUE;
          part_start = pos + line_len + 2;
        }
      pos += line_len + 2;
    }
  return FALSE;  /* no close delimiter */
}

/* The entity whose fields are @f and whose body runs from f->body_start to @end. */
static gboolean
outline_body (Outline    *o,
              Fields     *f,
              gsize       end,
              const char *number,
              guint       depth,
              gboolean    top,
              gsize      *shrink)
{
  g_autofree char *type = NULL;
  g_autofree char *boundary = NULL;
  g_autofree char *name = NULL;
  g_autofree char *disposition = NULL;
  g_autofree char *filename = NULL;
  g_autofree char *unused = NULL;
  gsize start = f->body_start;
  gsize size = end - start;

  if (start > end)
    return FALSE;
  if (f->content_type == NULL)
    type = g_strdup ("text/plain");  /* RFC 2045 §5.2 (not in a multipart/digest) */
  else if (!parse_value (f->content_type->str, TRUE, &type, "boundary", &boundary,
                         "name", &name))
    return FALSE;
  if (f->disposition != NULL
      && !parse_value (f->disposition->str, FALSE, &disposition, "filename", &filename,
                       NULL, NULL))
    return FALSE;
  if (g_str_has_prefix (type, "message/") || strcmp (type, "multipart/digest") == 0)
    return FALSE;
  if (g_str_has_prefix (type, "multipart/"))
    {
      MsMimePart *container;
      gsize lf_lines = 0;

      if (boundary == NULL)
        return FALSE;
      /* numbered as IMAP does: a top-level multipart is "", its children 1, 2... */
      container = new_part (number, depth, g_steal_pointer (&type), TRUE, size);
      g_ptr_array_add (o->parts, container);
      if (!outline_multipart (o, boundary, start, end, number, depth, &lf_lines))
        return FALSE;
      /* a container is written out again: what its parts lost, it loses too */
      container->size -= lf_lines;
      *shrink += lf_lines;
      return TRUE;
    }
  {
    MsMimePart *part = new_part (top ? "1" : number, depth, g_steal_pointer (&type), FALSE,
                                 size);

    part->filename = filename != NULL ? g_steal_pointer (&filename) : g_steal_pointer (&name);
    g_ptr_array_add (o->parts, part);
  }
  return TRUE;
}

static gboolean
bare_lf (const guint8 *data,
         gsize         len)
{
  const guint8 *p = data;
  const guint8 *end = data + len;

  while ((p = memchr (p, '\n', end - p)) != NULL)
    {
      if (p == data || p[-1] != '\r')
        return TRUE;
      p++;
    }
  return FALSE;
}

/* The fast outline, or FALSE for MsMessage to do it. */
gboolean
ms_observer_message_outline_fast (const guint8  *data,
         gsize          len,
         GPtrArray    **parts,
         GPtrArray    **hops)
{
  Fields f = { 0 };
  Outline o = { data, NULL };
  gsize shrink = 0;
  gboolean ok;

  if (len == 0 || bare_lf (data, len))
    return FALSE;
  f.received = g_ptr_array_new_with_free_func (string_free);
  o.parts = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_mime_part_free);
  ok = read_fields (data, 0, len, TRUE, &f) && outline_body (&o, &f, len, "", 0, TRUE, &shrink);
  if (ok)
    {
      *parts = g_steal_pointer (&o.parts);
      *hops = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_received_hop_free);
      for (guint i = 0; i < f.received->len; i++)
        g_ptr_array_add (*hops,
                         ms_received_hop_parse (((GString *) g_ptr_array_index (f.received,
                                                                                i))->str));
    }
  g_clear_pointer (&o.parts, g_ptr_array_unref);
  g_ptr_array_unref (f.received);
  fields_clear (&f);
  return ok;
}

gboolean
ms_observer_message_outline (GBytes     *raw,
                             gboolean    allow_fast,
                             GPtrArray **parts,
                             GPtrArray **hops)
{
  g_autoptr(MsMessage) message = NULL;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (raw != NULL, FALSE);

  *parts = *hops = NULL;
  data = g_bytes_get_data (raw, &len);
  if (allow_fast && ms_observer_message_outline_fast (data, len, parts, hops))
    return TRUE;
  message = ms_message_new_from_bytes (raw, NULL);
  if (message == NULL)
    return FALSE;
  *parts = ms_message_dup_parts (message);
  *hops = ms_message_dup_received_hops (message);
  return TRUE;
}
