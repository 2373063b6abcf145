/* ms-imap-mime.c: MIME structure of a stored message with byte offsets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * FETCH BODY[1.2] and BODYSTRUCTURE need the exact bytes and sizes of each part as they
 * are stored (RFC 3501 §6.4.5), so this walker keeps offsets into the raw message rather
 * than decoding it (RFC 2045 / RFC 2046 framing).
 */
#define G_LOG_DOMAIN "ms-imap-mime"

#include "config.h"

#include <string.h>

#include "ms-imap-private.h"

#define MS_IMAP_MAX_MIME_DEPTH 20
#define MS_IMAP_MAX_MIME_PARTS 2000

void
_ms_imap_part_free (MsImapPart *part)
{
  if (part == NULL)
    return;
  g_free (part->type);
  g_free (part->subtype);
  if (part->params != NULL)
    g_ptr_array_unref (part->params);
  if (part->children != NULL)
    g_ptr_array_unref (part->children);
  _ms_imap_part_free (part->message);
  g_free (part);
}

/* Where the header of an entity starting at start ends: after its blank line. */
static gsize
find_header_end (const char *data,
                 gsize       start,
                 gsize       end)
{
  gsize pos = start;

  while (pos < end)
    {
      const char *lf = memchr (data + pos, '\n', end - pos);
      gsize line_len;

      if (lf == NULL)
        return end;
      line_len = (gsize) (lf - (data + pos));
      if (line_len == 0 || (line_len == 1 && data[pos] == '\r'))
        return (gsize) (lf - data) + 1;
      pos = (gsize) (lf - data) + 1;
    }
  return end;
}

char *
_ms_imap_header_get (const char *data,
                     gsize       start,
                     gsize       end,
                     const char *name)
{
  gsize name_len = strlen (name);
  gsize pos = start;

  while (pos < end)
    {
      const char *lf = memchr (data + pos, '\n', end - pos);
      gsize line_end = lf != NULL ? (gsize) (lf - data) : end;

      if (line_end - pos > name_len && g_ascii_strncasecmp (data + pos, name, name_len) == 0)
        {
          gsize p = pos + name_len;

          while (p < line_end && (data[p] == ' ' || data[p] == '\t'))
            p++;
          if (p < line_end && data[p] == ':')
            {
              GString *value = g_string_new (NULL);

              p++;
              /* Unfold: continuation lines start with white space (RFC 5322 §2.2.3). */
              for (;;)
                {
                  gsize e = line_end;

                  if (e > p && data[e - 1] == '\r')
                    e--;
                  g_string_append_len (value, data + p, e - p);
                  if (line_end >= end || line_end + 1 >= end
                      || (data[line_end + 1] != ' ' && data[line_end + 1] != '\t'))
                    break;
                  p = line_end + 1;
                  lf = memchr (data + p, '\n', end - p);
                  line_end = lf != NULL ? (gsize) (lf - data) : end;
                }
              return g_strstrip (g_string_free (value, FALSE));
            }
        }
      if (lf == NULL)
        break;
      pos = line_end + 1;
    }
  return NULL;
}

const char *
_ms_imap_part_get_param (MsImapPart *part,
                         const char *name)
{
  for (guint i = 0; part->params != NULL && i + 1 < part->params->len; i += 2)
    if (g_ascii_strcasecmp (g_ptr_array_index (part->params, i), name) == 0)
      return g_ptr_array_index (part->params, i + 1);
  return NULL;
}

static void
skip_cfws (const char **p)
{
  for (;;)
    {
      while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')
        (*p)++;
      if (**p != '(')
        return;
      /* a comment, possibly nested */
      {
        int depth = 0;
        do
          {
            if (**p == '\\' && (*p)[1] != '\0')
              (*p)++;
            else if (**p == '(')
              depth++;
            else if (**p == ')')
              depth--;
            (*p)++;
          }
        while (**p != '\0' && depth > 0);
      }
    }
}

/* RFC 2045 §5.1 token */
static char *
read_token (const char **p)
{
  const char *start = *p;

  while (**p != '\0' && (guchar) **p > 0x20 && (guchar) **p < 0x7f
         && strchr ("()<>@,;:\\\"/[]?=", **p) == NULL)
    (*p)++;
  return *p > start ? g_strndup (start, *p - start) : NULL;
}

static char *
read_value (const char **p)
{
  if (**p == '"')
    {
      GString *v = g_string_new (NULL);

      (*p)++;
      while (**p != '\0' && **p != '"')
        {
          if (**p == '\\' && (*p)[1] != '\0')
            (*p)++;
          g_string_append_c (v, **p);
          (*p)++;
        }
      if (**p == '"')
        (*p)++;
      return g_string_free (v, FALSE);
    }
  return read_token (p);
}

/* "; name=value" pairs after a content-type or disposition value, kept as written. */
GPtrArray *
_ms_imap_parse_params (const char *p)
{
  GPtrArray *params = g_ptr_array_new_with_free_func (g_free);

  for (;;)
    {
      char *name;
      char *value;

      skip_cfws (&p);
      if (*p != ';')
        break;
      p++;
      skip_cfws (&p);
      name = read_token (&p);
      if (name == NULL)
        continue;
      skip_cfws (&p);
      if (*p != '=')
        {
          g_free (name);
          break;
        }
      p++;
      skip_cfws (&p);
      value = read_value (&p);
      if (value == NULL)
        {
          g_free (name);
          break;
        }
      g_ptr_array_add (params, name);
      g_ptr_array_add (params, value);
    }
  return params;
}

/* Content-Type: type "/" subtype *(";" parameter); invalid means text/plain (§5.2). */
static void
parse_content_type (MsImapPart *part,
                    const char *value,
                    gboolean    in_digest)
{
  const char *p = value;
  g_autofree char *type = NULL;
  g_autofree char *subtype = NULL;

  if (p != NULL)
    {
      skip_cfws (&p);
      type = read_token (&p);
      skip_cfws (&p);
      if (type != NULL && *p == '/')
        {
          p++;
          skip_cfws (&p);
          subtype = read_token (&p);
        }
    }
  if (type == NULL || subtype == NULL)
    {
      part->type = g_strdup (in_digest ? "message" : "text");
      part->subtype = g_strdup (in_digest ? "rfc822" : "plain");
      part->params = g_ptr_array_new_with_free_func (g_free);
      if (!in_digest)
        {
          g_ptr_array_add (part->params, g_strdup ("charset"));
          g_ptr_array_add (part->params, g_strdup ("us-ascii"));
        }
      return;
    }
  part->type = g_ascii_strdown (type, -1);
  part->subtype = g_ascii_strdown (subtype, -1);
  part->params = _ms_imap_parse_params (p);
}

/* A delimiter line: "--" boundary, then "--" for the close one, then padding. */
static gboolean
is_delimiter (const char *data,
              gsize       pos,
              gsize       end,
              const char *boundary,
              gsize       blen,
              gboolean   *close,
              gsize      *line_end)
{
  gsize p = pos + 2 + blen;

  if (end - pos < 2 + blen || data[pos] != '-' || data[pos + 1] != '-'
      || memcmp (data + pos + 2, boundary, blen) != 0)
    return FALSE;
  *close = FALSE;
  if (end - p >= 2 && data[p] == '-' && data[p + 1] == '-')
    {
      *close = TRUE;
      p += 2;
    }
  while (p < end && (data[p] == ' ' || data[p] == '\t'))
    p++;
  if (p < end && data[p] == '\r')
    p++;
  if (p < end && data[p] != '\n')
    return FALSE;
  *line_end = p < end ? p + 1 : end;
  return TRUE;
}

static MsImapPart *parse_entity (const char *data,
                                 gsize       start,
                                 gsize       end,
                                 gboolean    in_digest,
                                 guint       depth,
                                 guint      *n_parts);

static void
parse_multipart (MsImapPart *part,
                 const char *data,
                 guint       depth,
                 guint      *n_parts)
{
  const char *boundary = _ms_imap_part_get_param (part, "boundary");
  gboolean digest = strcmp (part->subtype, "digest") == 0;
  gsize blen = boundary != NULL ? strlen (boundary) : 0;
  gsize pos = part->hdr_end;
  gsize end = part->body_end;
  gsize part_start = G_MAXSIZE;

  part->children = g_ptr_array_new_with_free_func ((GDestroyNotify) _ms_imap_part_free);
  while (blen > 0 && pos < end)
    {
      const char *lf = memchr (data + pos, '\n', end - pos);
      gboolean close = FALSE;
      gsize line_end = 0;

      if (is_delimiter (data, pos, end, boundary, blen, &close, &line_end))
        {
          if (part_start != G_MAXSIZE)
            {
              /* The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1). */
              gsize part_end = pos;

              if (part_end > part_start && data[part_end - 1] == '\n')
                part_end--;
              if (part_end > part_start && data[part_end - 1] == '\r')
                part_end--;
              if (*n_parts < MS_IMAP_MAX_MIME_PARTS)
                g_ptr_array_add (part->children,
                                 parse_entity (data, part_start, part_end, digest, depth + 1,
                                               n_parts));
            }
          if (close)
            {
              part_start = G_MAXSIZE;
              break;
            }
          part_start = line_end;
          pos = line_end;
          continue;
        }
      if (lf == NULL)
        break;
      pos = (gsize) (lf - data) + 1;
    }
  if (part_start != G_MAXSIZE && *n_parts < MS_IMAP_MAX_MIME_PARTS)
    g_ptr_array_add (part->children,
                     parse_entity (data, MIN (part_start, end), end, digest, depth + 1, n_parts));
  if (part->children->len == 0)
    {
      /* BODYSTRUCTURE needs at least one body: an empty text part stands in. */
      g_ptr_array_add (part->children, parse_entity (data, end, end, FALSE, depth + 1, n_parts));
    }
}

static MsImapPart *
parse_entity (const char *data,
              gsize       start,
              gsize       end,
              gboolean    in_digest,
              guint       depth,
              guint      *n_parts)
{
  MsImapPart *part = g_new0 (MsImapPart, 1);
  g_autofree char *content_type = NULL;

  (*n_parts)++;
  part->hdr_start = start;
  part->hdr_end = find_header_end (data, start, end);
  part->body_end = end;
  content_type = _ms_imap_header_get (data, part->hdr_start, part->hdr_end, "Content-Type");
  parse_content_type (part, content_type, in_digest);

  if (depth >= MS_IMAP_MAX_MIME_DEPTH)
    {
      /* Too deep to be honest mail: show the rest as opaque data. */
      g_free (part->type);
      g_free (part->subtype);
      part->type = g_strdup ("application");
      part->subtype = g_strdup ("octet-stream");
      return part;
    }
  if (strcmp (part->type, "multipart") == 0)
    parse_multipart (part, data, depth, n_parts);
  else if (strcmp (part->type, "message") == 0 && strcmp (part->subtype, "rfc822") == 0)
    part->message = parse_entity (data, part->hdr_end, end, FALSE, depth + 1, n_parts);
  return part;
}

MsImapPart *
_ms_imap_part_parse (const char *data,
                     gsize       len)
{
  guint n_parts = 0;
  return parse_entity (data, 0, len, FALSE, 0, &n_parts);
}
