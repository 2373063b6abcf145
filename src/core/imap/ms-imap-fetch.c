/* ms-imap-fetch.c: FETCH (RFC 3501 §6.4.5, §7.4.2): items, ENVELOPE, BODYSTRUCTURE
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-imap-fetch"

#include "config.h"

#include <string.h>

#include "ms-imap-private.h"

#define ARG(cmd, i) ((MsImapArg *) g_ptr_array_index ((cmd)->args, (i)))
/* Each item may copy the whole message into the response: keep one FETCH bounded. */
#define MS_IMAP_MAX_FETCH_ITEMS 64

typedef enum
{
  ITEM_FLAGS,
  ITEM_INTERNALDATE,
  ITEM_RFC822_SIZE,
  ITEM_ENVELOPE,
  ITEM_BODYSTRUCTURE,
  ITEM_BODY,           /* BODY without a section: the non-extensible BODYSTRUCTURE */
  ITEM_UID,
  ITEM_SECTION,        /* BODY[...] / BODY.PEEK[...] and the RFC822 forms */
} ItemKind;

typedef enum
{
  SPEC_ALL,            /* [] or [1.2]: the whole entity / the part's body */
  SPEC_HEADER,
  SPEC_HEADER_FIELDS,
  SPEC_HEADER_FIELDS_NOT,
  SPEC_TEXT,
  SPEC_MIME,
} SpecKind;

typedef struct
{
  ItemKind   kind;
  gboolean   peek;
  char      *name;      /* the item name in the response, e.g. BODY[HEADER]<0> */
  GArray    *path;      /* guint part numbers */
  SpecKind   spec;
  GStrv      fields;
  gboolean   partial;
  guint64    partial_start;
  guint64    partial_len;
} FetchItem;

static void
fetch_item_free (gpointer data)
{
  FetchItem *item = data;

  g_free (item->name);
  if (item->path != NULL)
    g_array_unref (item->path);
  g_strfreev (item->fields);
  g_free (item);
}

static FetchItem *
new_item (ItemKind    kind,
          const char *name)
{
  FetchItem *item = g_new0 (FetchItem, 1);
  item->kind = kind;
  item->name = g_strdup (name);
  return item;
}

/* "HEADER.FIELDS (From To)" -> field names; NULL on syntax error. */
static GStrv
parse_field_list (const char *p)
{
  GPtrArray *fields;
  const char *end;

  while (*p == ' ')
    p++;
  if (*p != '(')
    return NULL;
  end = strchr (p, ')');
  if (end == NULL || end[1] != '\0')
    return NULL;
  fields = g_ptr_array_new ();
  p++;
  while (p < end)
    {
      const char *start;

      while (p < end && *p == ' ')
        p++;
      if (p >= end)
        break;
      start = p;
      while (p < end && *p != ' ')
        p++;
      {
        g_autofree char *word = g_strndup (start, p - start);
        gsize len = strlen (word);

        /* header-fld-name = astring; a quoted name loses its quotes */
        if (len >= 2 && word[0] == '"' && word[len - 1] == '"')
          g_ptr_array_add (fields, g_strndup (word + 1, len - 2));
        else if (len > 0)
          g_ptr_array_add (fields, g_steal_pointer (&word));
      }
    }
  if (fields->len == 0)
    {
      g_ptr_array_free (fields, TRUE);
      return NULL;
    }
  g_ptr_array_add (fields, NULL);
  return (GStrv) g_ptr_array_free (fields, FALSE);
}

/* section = "[" [section-spec] "]"; partial = "<" number "." nz-number ">" */
static FetchItem *
parse_section_item (const char  *text,
                    const char **error)
{
  gboolean peek = g_ascii_strncasecmp (text, "BODY.PEEK[", 10) == 0;
  const char *open = strchr (text, '[');
  const char *close = strrchr (text, ']');
  g_autofree char *section = NULL;
  g_autofree char *upper = NULL;
  FetchItem *item;
  const char *p;

  if (open == NULL || close == NULL || close < open
      || (g_ascii_strncasecmp (text, "BODY[", 5) != 0 && !peek))
    {
      *error = "Invalid FETCH item";
      return NULL;
    }
  section = g_strndup (open + 1, close - open - 1);
  upper = g_ascii_strup (section, -1);
  item = new_item (ITEM_SECTION, NULL);
  item->peek = peek;
  item->path = g_array_new (FALSE, FALSE, sizeof (guint));

  p = upper;
  while (g_ascii_isdigit (*p))
    {
      guint64 n = g_ascii_strtoull (p, (char **) &p, 10);
      guint v = (guint) MIN (n, G_MAXUINT);

      if (n == 0)
        goto bad;
      g_array_append_val (item->path, v);
      if (*p == '.')
        p++;
      else if (*p != '\0')
        goto bad;
    }
  if (*p == '\0')
    item->spec = SPEC_ALL;
  else if (strcmp (p, "HEADER") == 0)
    item->spec = SPEC_HEADER;
  else if (strcmp (p, "TEXT") == 0)
    item->spec = SPEC_TEXT;
  else if (strcmp (p, "MIME") == 0 && item->path->len > 0)
    item->spec = SPEC_MIME;
  else if (g_str_has_prefix (p, "HEADER.FIELDS.NOT ") || g_str_has_prefix (p, "HEADER.FIELDS.NOT("))
    {
      item->spec = SPEC_HEADER_FIELDS_NOT;
      item->fields = parse_field_list (p + 17);
      if (item->fields == NULL)
        goto bad;
    }
  else if (g_str_has_prefix (p, "HEADER.FIELDS ") || g_str_has_prefix (p, "HEADER.FIELDS("))
    {
      item->spec = SPEC_HEADER_FIELDS;
      item->fields = parse_field_list (p + 13);
      if (item->fields == NULL)
        goto bad;
    }
  else
    goto bad;
  if (upper[0] != '\0' && upper[strlen (upper) - 1] == '.')
    goto bad;

  /* partial */
  if (close[1] == '<')
    {
      const char *q = close + 2;
      char *endp = NULL;

      if (!g_ascii_isdigit (*q))
        goto bad;
      item->partial_start = g_ascii_strtoull (q, &endp, 10);
      if (*endp != '.' || !g_ascii_isdigit (endp[1]))
        goto bad;
      item->partial_len = g_ascii_strtoull (endp + 1, &endp, 10);
      if (endp[0] != '>' || endp[1] != '\0' || item->partial_len == 0)
        goto bad;
      item->partial = TRUE;
    }
  else if (close[1] != '\0')
    goto bad;

  if (item->partial)
    item->name = g_strdup_printf ("BODY[%s]<%" G_GUINT64_FORMAT ">", upper, item->partial_start);
  else
    item->name = g_strdup_printf ("BODY[%s]", upper);
  return item;

bad:
  *error = "Invalid section in FETCH item";
  fetch_item_free (item);
  return NULL;
}

static gboolean
add_item (GPtrArray   *items,
          const char  *text,
          const char **error)
{
  static const struct { const char *name; ItemKind kind; } simple[] = {
    { "FLAGS", ITEM_FLAGS },
    { "INTERNALDATE", ITEM_INTERNALDATE },
    { "RFC822.SIZE", ITEM_RFC822_SIZE },
    { "ENVELOPE", ITEM_ENVELOPE },
    { "BODYSTRUCTURE", ITEM_BODYSTRUCTURE },
    { "BODY", ITEM_BODY },
    { "UID", ITEM_UID },
  };
  FetchItem *item;

  for (guint i = 0; i < G_N_ELEMENTS (simple); i++)
    if (g_ascii_strcasecmp (text, simple[i].name) == 0)
      {
        g_ptr_array_add (items, new_item (simple[i].kind, simple[i].name));
        return TRUE;
      }
  /* RFC 3501 §6.4.5: RFC822 = BODY[], RFC822.HEADER = BODY.PEEK[HEADER],
   * RFC822.TEXT = BODY[TEXT], each answered under its own name. */
  if (g_ascii_strcasecmp (text, "RFC822") == 0 || g_ascii_strcasecmp (text, "RFC822.HEADER") == 0
      || g_ascii_strcasecmp (text, "RFC822.TEXT") == 0)
    {
      item = new_item (ITEM_SECTION, NULL);
      item->name = g_ascii_strup (text, -1);
      item->path = g_array_new (FALSE, FALSE, sizeof (guint));
      item->spec = text[6] == '\0' ? SPEC_ALL : (text[7] == 'H' || text[7] == 'h')
                                                ? SPEC_HEADER : SPEC_TEXT;
      item->peek = item->spec == SPEC_HEADER;
      g_ptr_array_add (items, item);
      return TRUE;
    }
  item = parse_section_item (text, error);
  if (item == NULL)
    return FALSE;
  g_ptr_array_add (items, item);
  return TRUE;
}

static GPtrArray *
parse_items (MsImapCommand *cmd,
             const char   **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (fetch_item_free);
  MsImapArg *arg;

  if (cmd->args->len != 2)
    {
      *error = cmd->args->len < 2 ? "FETCH needs items" : "Too many arguments for FETCH";
      return NULL;
    }
  arg = ARG (cmd, 1);
  if (arg->type == MS_IMAP_ARG_ATOM)
    {
      /* The macros (RFC 3501 §6.4.5) only stand alone. */
      if (g_ascii_strcasecmp (arg->str, "ALL") == 0 || g_ascii_strcasecmp (arg->str, "FAST") == 0
          || g_ascii_strcasecmp (arg->str, "FULL") == 0)
        {
          add_item (items, "FLAGS", error);
          add_item (items, "INTERNALDATE", error);
          add_item (items, "RFC822.SIZE", error);
          if (g_ascii_strcasecmp (arg->str, "FAST") != 0)
            add_item (items, "ENVELOPE", error);
          if (g_ascii_strcasecmp (arg->str, "FULL") == 0)
            add_item (items, "BODY", error);
        }
      else if (!add_item (items, arg->str, error))
        return NULL;
    }
  else if (arg->type == MS_IMAP_ARG_LIST && arg->list->len > MS_IMAP_MAX_FETCH_ITEMS)
    {
      *error = "Too many FETCH items";
      return NULL;
    }
  else if (arg->type == MS_IMAP_ARG_LIST && arg->list->len > 0)
    {
      for (guint i = 0; i < arg->list->len; i++)
        {
          MsImapArg *a = g_ptr_array_index (arg->list, i);
          if (a->type != MS_IMAP_ARG_ATOM || !add_item (items, a->str, error))
            {
              if (*error == NULL)
                *error = "Invalid FETCH item";
              return NULL;
            }
        }
    }
  else
    {
      *error = "Invalid FETCH items";
      return NULL;
    }
  if (cmd->uid)
    {
      gboolean has_uid = FALSE;
      for (guint i = 0; i < items->len; i++)
        has_uid |= ((FetchItem *) g_ptr_array_index (items, i))->kind == ITEM_UID;
      /* RFC 3501 §6.4.8: UID FETCH always reports the UID, first here. */
      if (!has_uid)
        g_ptr_array_insert (items, 0, new_item (ITEM_UID, "UID"));
    }
  return g_steal_pointer (&items);
}

gboolean
_ms_imap_check_fetch (MsImapServer  *self,
                      MsImapCommand *cmd)
{
  const char *error = NULL;
  g_autoptr(GPtrArray) items = parse_items (cmd, &error);

  if (items == NULL)
    {
      _ms_imap_server_bad (self, cmd, "%s", error != NULL ? error : "Invalid FETCH items");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------- */
/* ENVELOPE and BODYSTRUCTURE                                                            */

/* RFC 3501 §7.4.2 address structure: (name adl mailbox host) */
static void
append_address (GString    *out,
                const char *name,
                const char *spec)
{
  const char *at = strrchr (spec, '@');

  g_string_append_c (out, '(');
  if (name != NULL && *name != '\0')
    ms_imap_append_string (out, name, strlen (name));
  else
    g_string_append (out, "NIL");
  g_string_append (out, " NIL ");
  if (at != NULL)
    {
      ms_imap_append_string (out, spec, at - spec);
      g_string_append_c (out, ' ');
      ms_imap_append_string (out, at + 1, strlen (at + 1));
    }
  else
    {
      ms_imap_append_string (out, spec, strlen (spec));
      g_string_append (out, " \"MISSING_DOMAIN\"");
    }
  g_string_append_c (out, ')');
}

static void
skip_comment (const char **p)
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

static void
read_quoted (const char **p,
             GString     *into)
{
  (*p)++;
  while (**p != '\0' && **p != '"')
    {
      if (**p == '\\' && (*p)[1] != '\0')
        (*p)++;
      g_string_append_c (into, **p);
      (*p)++;
    }
  if (**p == '"')
    (*p)++;
}

/* An RFC 5322 address-list, keeping display names as written (encoded words and all,
 * as other IMAP servers do): the client decodes them. Returns the number of items. */
static guint
append_address_items (GString    *out,
                      const char *value)
{
  const char *p = value;
  gboolean in_group = FALSE;
  guint n = 0;

  while (*p != '\0')
    {
      g_autoptr(GString) phrase = g_string_new (NULL);
      g_autoptr(GString) spec = g_string_new (NULL);
      gboolean last_was_word = FALSE;

      for (;;)
        {
          char c;

          while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            {
              p++;
              last_was_word = FALSE;
            }
          c = *p;
          if (c == '\0' || c == ',' || (c == ';' && in_group))
            {
              if (spec->len > 0)
                {
                  append_address (out, NULL, spec->str);
                  n++;
                }
              if (c == ';')
                {
                  g_string_append (out, "(NIL NIL NIL NIL)");
                  in_group = FALSE;
                }
              if (c != '\0')
                p++;
              break;
            }
          if (c == '(')
            {
              skip_comment (&p);
              continue;
            }
          if (c == ':' && !in_group)
            {
              /* group start: (NIL NIL name NIL) */
              g_string_append (out, "(NIL NIL ");
              ms_imap_append_string (out, phrase->str, phrase->len);
              g_string_append (out, " NIL)");
              in_group = TRUE;
              p++;
              break;
            }
          if (c == '<')
            {
              const char *close = strchr (p, '>');
              g_autofree char *addr = NULL;
              const char *colon;
              const char *a;

              addr = close != NULL ? g_strndup (p + 1, close - p - 1) : g_strdup (p + 1);
              p = close != NULL ? close + 1 : p + strlen (p);
              /* drop an obsolete source route "@a,@b:" */
              colon = addr[0] == '@' ? strchr (addr, ':') : NULL;
              a = colon != NULL ? colon + 1 : addr;
              g_strstrip ((char *) a);
              append_address (out, phrase->str, a);
              n++;
              /* skip to the end of this address */
              while (*p != '\0' && *p != ',' && !(*p == ';' && in_group))
                {
                  if (*p == '(')
                    skip_comment (&p);
                  else
                    p++;
                }
              if (*p == ';')
                {
                  g_string_append (out, "(NIL NIL NIL NIL)");
                  in_group = FALSE;
                }
              if (*p != '\0')
                p++;
              break;
            }
          if (phrase->len > 0 && !last_was_word)
            g_string_append_c (phrase, ' ');
          if (c == '"')
            {
              gsize before = phrase->len;
              read_quoted (&p, phrase);
              g_string_append_len (spec, phrase->str + before, phrase->len - before);
            }
          else
            {
              const char *start = p;
              while (*p != '\0' && strchr (" \t\r\n()<>,;:\"", *p) == NULL)
                p++;
              if (p == start)
                p++;  /* a stray special: skip it */
              g_string_append_len (phrase, start, p - start);
              g_string_append_len (spec, start, p - start);
            }
          last_was_word = TRUE;
        }
    }
  if (in_group)
    g_string_append (out, "(NIL NIL NIL NIL)");
  return n;
}

static void
append_address_list (GString    *out,
                     const char *value)
{
  g_autoptr(GString) items = g_string_new (NULL);

  if (value == NULL || append_address_items (items, value) == 0)
    {
      /* a group with no members still shows as a group */
      if (value != NULL && items->len > 0)
        g_string_append_printf (out, "(%s)", items->str);
      else
        g_string_append (out, "NIL");
      return;
    }
  g_string_append_printf (out, "(%s)", items->str);
}

void
_ms_imap_append_envelope (GString    *out,
                          const char *data,
                          MsImapPart *root)
{
  static const char * const fields[] = { "Date", "Subject", "From", "Sender", "Reply-To",
                                         "To", "Cc", "Bcc", "In-Reply-To", "Message-ID" };
  char *values[G_N_ELEMENTS (fields)];

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    values[i] = _ms_imap_header_get (data, root->hdr_start, root->hdr_end, fields[i]);

  g_string_append_c (out, '(');
  ms_imap_append_nstring (out, values[0]);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, values[1]);
  for (guint i = 2; i <= 7; i++)
    {
      const char *v = values[i];

      /* Sender and Reply-To default to From (RFC 3501 §7.4.2). */
      if ((i == 3 || i == 4) && (v == NULL || *v == '\0'))
        v = values[2];
      g_string_append_c (out, ' ');
      append_address_list (out, v);
    }
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, values[8]);
  g_string_append_c (out, ' ');
  ms_imap_append_nstring (out, values[9]);
  g_string_append_c (out, ')');
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    g_free (values[i]);
}

static void
append_params (GString   *out,
               GPtrArray *params)
{
  if (params == NULL || params->len < 2)
    {
      g_string_append (out, "NIL");
      return;
    }
  g_string_append_c (out, '(');
  for (guint i = 0; i < params->len; i++)
    {
      const char *s = g_ptr_array_index (params, i);
      if (i > 0)
        g_string_append_c (out, ' ');
      ms_imap_append_string (out, s, strlen (s));
    }
  g_string_append_c (out, ')');
}

static void
append_disposition (GString    *out,
                    const char *data,
                    MsImapPart *part)
{
  g_autofree char *value = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                "Content-Disposition");
  gsize n;
  g_autofree char *type = NULL;
  g_autoptr(GPtrArray) params = NULL;

  if (value == NULL || *value == '\0')
    {
      g_string_append (out, "NIL");
      return;
    }
  n = strcspn (value, "; \t");
  type = g_strndup (value, n);
  params = _ms_imap_parse_params (value + n);
  g_string_append_c (out, '(');
  ms_imap_append_string (out, type, strlen (type));
  g_string_append_c (out, ' ');
  append_params (out, params);
  g_string_append_c (out, ')');
}

static void
append_language (GString    *out,
                 const char *data,
                 MsImapPart *part)
{
  g_autofree char *value = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                "Content-Language");
  g_auto(GStrv) tags = NULL;
  guint n = 0;

  if (value == NULL || *value == '\0')
    {
      g_string_append (out, "NIL");
      return;
    }
  tags = g_strsplit_set (value, ", \t", -1);
  for (guint i = 0; tags[i] != NULL; i++)
    if (*tags[i] != '\0')
      n++;
  if (n == 1)
    {
      for (guint i = 0; tags[i] != NULL; i++)
        if (*tags[i] != '\0')
          ms_imap_append_string (out, tags[i], strlen (tags[i]));
      return;
    }
  g_string_append_c (out, '(');
  n = 0;
  for (guint i = 0; tags[i] != NULL; i++)
    if (*tags[i] != '\0')
      {
        if (n++ > 0)
          g_string_append_c (out, ' ');
        ms_imap_append_string (out, tags[i], strlen (tags[i]));
      }
  g_string_append_c (out, ')');
}

static guint
count_lines (const char *data,
             gsize       start,
             gsize       end)
{
  guint lines = 0;

  for (gsize i = start; i < end; i++)
    if (data[i] == '\n')
      lines++;
  if (end > start && data[end - 1] != '\n')
    lines++;
  return lines;
}

void
_ms_imap_append_bodystructure (GString    *out,
                               const char *data,
                               MsImapPart *part,
                               gboolean    extended)
{
  g_string_append_c (out, '(');
  if (part->children != NULL)
    {
      /* body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart] */
      for (guint i = 0; i < part->children->len; i++)
        _ms_imap_append_bodystructure (out, data, g_ptr_array_index (part->children, i), extended);
      g_string_append_c (out, ' ');
      ms_imap_append_string (out, part->subtype, strlen (part->subtype));
      if (extended)
        {
          g_autofree char *location = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                           "Content-Location");
          g_string_append_c (out, ' ');
          append_params (out, part->params);
          g_string_append_c (out, ' ');
          append_disposition (out, data, part);
          g_string_append_c (out, ' ');
          append_language (out, data, part);
          g_string_append_c (out, ' ');
          ms_imap_append_nstring (out, location);
        }
      g_string_append_c (out, ')');
      return;
    }

  {
    g_autofree char *id = _ms_imap_header_get (data, part->hdr_start, part->hdr_end, "Content-ID");
    g_autofree char *desc = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                 "Content-Description");
    g_autofree char *enc = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                "Content-Transfer-Encoding");
    gboolean text = strcmp (part->type, "text") == 0;

    ms_imap_append_string (out, part->type, strlen (part->type));
    g_string_append_c (out, ' ');
    ms_imap_append_string (out, part->subtype, strlen (part->subtype));
    g_string_append_c (out, ' ');
    if (text && _ms_imap_part_get_param (part, "charset") == NULL)
      {
        /* RFC 2045 §5.2: text without a charset is US-ASCII. */
        g_autoptr(GPtrArray) params = g_ptr_array_new ();
        g_ptr_array_add (params, (gpointer) "charset");
        g_ptr_array_add (params, (gpointer) "us-ascii");
        for (guint i = 0; part->params != NULL && i < part->params->len; i++)
          g_ptr_array_add (params, g_ptr_array_index (part->params, i));
        append_params (out, params);
      }
    else
      append_params (out, part->params);
    g_string_append_c (out, ' ');
    ms_imap_append_nstring (out, id);
    g_string_append_c (out, ' ');
    ms_imap_append_nstring (out, desc);
    g_string_append_c (out, ' ');
    ms_imap_append_nstring (out, enc != NULL && *enc != '\0' ? enc : "7bit");
    g_string_append_printf (out, " %" G_GSIZE_FORMAT, part->body_end - part->hdr_end);
    if (part->message != NULL)
      {
        g_string_append_c (out, ' ');
        _ms_imap_append_envelope (out, data, part->message);
        g_string_append_c (out, ' ');
        _ms_imap_append_bodystructure (out, data, part->message, extended);
        g_string_append_printf (out, " %u", count_lines (data, part->hdr_end, part->body_end));
      }
    else if (text)
      g_string_append_printf (out, " %u", count_lines (data, part->hdr_end, part->body_end));
    if (extended)
      {
        g_autofree char *md5 = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                    "Content-MD5");
        g_autofree char *location = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                                         "Content-Location");
        g_string_append_c (out, ' ');
        ms_imap_append_nstring (out, md5);
        g_string_append_c (out, ' ');
        append_disposition (out, data, part);
        g_string_append_c (out, ' ');
        append_language (out, data, part);
        g_string_append_c (out, ' ');
        ms_imap_append_nstring (out, location);
      }
    g_string_append_c (out, ')');
  }
}

/* ------------------------------------------------------------------------------------- */
/* Sections                                                                              */

/* RFC 3501 §6.4.5 part numbering: a message/rfc822 part's numbers go on inside the
 * encapsulated message; a non-multipart entity has only part 1, itself. */
static MsImapPart *
find_part (MsImapPart *root,
           GArray     *path)
{
  MsImapPart *cur = root;

  for (guint i = 0; i < path->len; i++)
    {
      guint n = g_array_index (path, guint, i);

      if (i > 0 && cur->message != NULL)
        cur = cur->message;
      if (cur->children != NULL)
        {
          if (n > cur->children->len)
            return NULL;
          cur = g_ptr_array_index (cur->children, n - 1);
        }
      else if (n != 1)
        return NULL;
    }
  return cur;
}

static gboolean
field_listed (GStrv       fields,
              const char *name,
              gsize       len)
{
  for (guint i = 0; fields[i] != NULL; i++)
    if (strlen (fields[i]) == len && g_ascii_strncasecmp (fields[i], name, len) == 0)
      return TRUE;
  return FALSE;
}

/* The header fields (with their folding) named or not named, then the blank line. */
static GString *
filter_header (const char *data,
               gsize       start,
               gsize       end,
               GStrv       fields,
               gboolean    keep_listed)
{
  GString *out = g_string_new (NULL);
  gsize pos = start;

  while (pos < end)
    {
      gsize field_end = pos;
      gsize name_len;
      const char *colon;

      /* A field runs to the first line end not followed by white space. */
      for (;;)
        {
          const char *lf = memchr (data + field_end, '\n', end - field_end);
          field_end = lf != NULL ? (gsize) (lf - data) + 1 : end;
          if (field_end >= end || (data[field_end] != ' ' && data[field_end] != '\t'))
            break;
        }
      if (data[pos] == '\r' || data[pos] == '\n')
        break;  /* the blank line */
      colon = memchr (data + pos, ':', field_end - pos);
      if (colon != NULL)
        {
          name_len = (gsize) (colon - (data + pos));
          while (name_len > 0
                 && (data[pos + name_len - 1] == ' ' || data[pos + name_len - 1] == '\t'))
            name_len--;
          if (field_listed (fields, data + pos, name_len) == keep_listed)
            {
              g_string_append_len (out, data + pos, field_end - pos);
              if (out->str[out->len - 1] != '\n')
                g_string_append (out, "\r\n");
            }
        }
      pos = field_end;
    }
  g_string_append (out, "\r\n");
  return out;
}

/* The bytes of a section, or NULL when the part does not exist (answered NIL). */
static GBytes *
section_bytes (GBytes     *raw,
               MsImapPart *root,
               FetchItem  *item)
{
  const char *data = g_bytes_get_data (raw, NULL);
  MsImapPart *part = find_part (root, item->path);
  MsImapPart *msg;
  gsize start;
  gsize end;

  if (part == NULL)
    return NULL;
  if (item->spec == SPEC_ALL)
    {
      if (item->path->len == 0)
        return g_bytes_ref (raw);
      return g_bytes_new_from_bytes (raw, part->hdr_end, part->body_end - part->hdr_end);
    }
  if (item->spec == SPEC_MIME)
    return g_bytes_new_from_bytes (raw, part->hdr_start, part->hdr_end - part->hdr_start);

  /* HEADER / HEADER.FIELDS / TEXT are about a message: the top or a message/rfc822. */
  msg = item->path->len == 0 ? root : part->message;
  if (msg == NULL)
    return NULL;
  start = msg->hdr_start;
  end = msg->hdr_end;
  switch (item->spec)
    {
    case SPEC_HEADER:
      return g_bytes_new_from_bytes (raw, start, end - start);
    case SPEC_TEXT:
      return g_bytes_new_from_bytes (raw, msg->hdr_end, msg->body_end - msg->hdr_end);
    case SPEC_HEADER_FIELDS:
    case SPEC_HEADER_FIELDS_NOT:
      {
        GString *h = filter_header (data, start, end, item->fields,
                                    item->spec == SPEC_HEADER_FIELDS);
        return g_string_free_to_bytes (h);
      }
    case SPEC_ALL:
    case SPEC_MIME:
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

static void
append_literal (GString *wire,
                GString *trace,
                GBytes  *bytes,
                gsize   *literal_bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  g_string_append_printf (wire, "{%" G_GSIZE_FORMAT "}\r\n", len);
  g_string_append_len (wire, data, len);
  g_string_append_printf (trace, "{%" G_GSIZE_FORMAT "}", len);
  *literal_bytes += len;
}

static char *
format_internal_date (gint64 t)
{
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  if (dt == NULL)
    return g_strdup ("01-Jan-1970 00:00:00 +0000");
  return g_strdup_printf ("%02d-%s-%04d %02d:%02d:%02d +0000",
                          g_date_time_get_day_of_month (dt),
                          months[g_date_time_get_month (dt) - 1],
                          g_date_time_get_year (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

static void
fetch_one (MsImapServer    *self,
           guint            seq,
           MsStoredMessage *m,
           GPtrArray       *items)
{
  g_autoptr(GString) wire = g_string_new (NULL);
  g_autoptr(GString) trace = NULL;
  g_autoptr(MsImapPart) root = NULL;
  gsize size;
  const char *data = g_bytes_get_data (m->raw, &size);
  gsize literal_bytes = 0;
  gboolean sets_seen = FALSE;
  gboolean has_flags = FALSE;
  gboolean add_flags = FALSE;

  for (guint i = 0; i < items->len; i++)
    {
      FetchItem *item = g_ptr_array_index (items, i);
      if (item->kind == ITEM_SECTION && !item->peek)
        sets_seen = TRUE;
      if (item->kind == ITEM_FLAGS)
        has_flags = TRUE;
    }
  /* RFC 3501 §6.4.5: BODY[...] without .PEEK sets \Seen; the change is reported. */
  if (sets_seen && !self->read_only && !(m->flags & MS_FLAG_SEEN))
    {
      self->own_change++;
      ms_mailbox_set_flags (self->selected, m, m->flags | MS_FLAG_SEEN, NULL);
      self->own_change--;
      add_flags = !has_flags;
    }

  g_string_append_printf (wire, "* %u FETCH (", seq);
  trace = g_string_new (wire->str);
  for (guint i = 0; i < items->len; i++)
    {
      FetchItem *item = g_ptr_array_index (items, i);
      GString *piece = g_string_new (NULL);
      gboolean piece_done = FALSE;

      if (i > 0)
        {
          g_string_append_c (wire, ' ');
          g_string_append_c (trace, ' ');
        }
      g_string_append (piece, item->name);
      g_string_append_c (piece, ' ');
      switch (item->kind)
        {
        case ITEM_FLAGS:
          _ms_imap_append_flags (self, piece, m);
          break;
        case ITEM_INTERNALDATE:
          {
            g_autofree char *date = format_internal_date (m->internal_date);
            g_string_append_printf (piece, "\"%s\"", date);
          }
          break;
        case ITEM_RFC822_SIZE:
          g_string_append_printf (piece, "%" G_GSIZE_FORMAT, size);
          break;
        case ITEM_UID:
          g_string_append_printf (piece, "%u", m->uid);
          break;
        case ITEM_ENVELOPE:
        case ITEM_BODYSTRUCTURE:
        case ITEM_BODY:
          if (root == NULL)
            root = _ms_imap_part_parse (data, size);
          if (item->kind == ITEM_ENVELOPE)
            _ms_imap_append_envelope (piece, data, root);
          else
            _ms_imap_append_bodystructure (piece, data, root, item->kind == ITEM_BODYSTRUCTURE);
          break;
        case ITEM_SECTION:
          {
            g_autoptr(GBytes) bytes = NULL;

            if (root == NULL)
              root = _ms_imap_part_parse (data, size);
            bytes = section_bytes (m->raw, root, item);
            g_string_append (wire, piece->str);
            g_string_append (trace, piece->str);
            piece_done = TRUE;
            if (bytes == NULL)
              {
                g_string_append (wire, "NIL");
                g_string_append (trace, "NIL");
                break;
              }
            if (item->partial)
              {
                gsize blen = g_bytes_get_size (bytes);
                gsize from = (gsize) MIN (item->partial_start, (guint64) blen);
                gsize count = (gsize) MIN (item->partial_len, (guint64) (blen - from));
                g_autoptr(GBytes) slice = g_bytes_new_from_bytes (bytes, from, count);

                append_literal (wire, trace, slice, &literal_bytes);
              }
            else
              append_literal (wire, trace, bytes, &literal_bytes);
          }
          break;
        default:
          g_assert_not_reached ();
        }
      if (!piece_done)
        {
          g_string_append (wire, piece->str);
          g_string_append (trace, piece->str);
        }
      g_string_free (piece, TRUE);
    }
  if (add_flags)
    {
      g_autoptr(GString) flags = g_string_new (" FLAGS ");
      _ms_imap_append_flags (self, flags, m);
      g_string_append (wire, flags->str);
      g_string_append (trace, flags->str);
    }
  g_string_append_c (wire, ')');
  g_string_append_c (trace, ')');
  _ms_imap_server_send_data (self, wire, trace, literal_bytes);
}

void
_ms_imap_proceed_fetch (MsImapServer  *self,
                        MsImapCommand *cmd)
{
  const char *error = NULL;
  g_autoptr(GPtrArray) items = parse_items (cmd, &error);
  g_autoptr(GArray) seqs = _ms_imap_server_resolve_set (self, ARG (cmd, 0)->str, cmd->uid);
  gboolean gone = FALSE;

  if (seqs == NULL)
    {
      _ms_imap_server_bad (self, cmd, "Invalid sequence number (the mailbox has %u messages)",
                           self->view->len);
      return;
    }
  for (guint i = 0; i < seqs->len; i++)
    {
      guint seq = g_array_index (seqs, guint, i);
      MsStoredMessage *m = _ms_imap_server_message_at (self, seq);

      if (m == NULL)
        {
          /* Expunged by another session and not yet reported (RFC 2180 §4.1.2). */
          gone = TRUE;
          continue;
        }
      ms_stored_message_ref (m);
      fetch_one (self, seq, m, items);
      ms_stored_message_unref (m);
    }
  if (gone)
    _ms_imap_server_complete (self, cmd, "NO",
                              "[EXPUNGEISSUED] Some of the requested messages no longer exist");
  else
    _ms_imap_server_complete (self, cmd, "OK", "FETCH completed");
}
