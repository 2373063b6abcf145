/* ms-imap-search.c: SEARCH (RFC 3501 §6.4.4)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The criteria become a small tree, then every message of the view is tested. Text keys
 * match case-insensitively as substrings of the decoded text: RFC 2047 words in headers,
 * transfer encodings and charsets (ISO-2022-JP included) in bodies, all as UTF-8.
 */
#define G_LOG_DOMAIN "ms-imap-search"

#include "config.h"

#include <gmime/gmime.h>
#include <string.h>

#include "ms-imap-private.h"

#define ARG(cmd, i) ((MsImapArg *) g_ptr_array_index ((cmd)->args, (i)))
#define MS_IMAP_MAX_SEARCH_DEPTH 32

typedef enum
{
  KEY_AND,        /* children; ALL is an empty AND */
  KEY_OR,
  KEY_NOT,
  KEY_FLAG_SET,   /* flag */
  KEY_FLAG_UNSET,
  KEY_RECENT,
  KEY_NEW,
  KEY_OLD,
  KEY_KEYWORD,
  KEY_UNKEYWORD,
  KEY_HEADER,     /* str = field, str2 = text */
  KEY_BODY,
  KEY_TEXT,
  KEY_BEFORE,     /* days */
  KEY_ON,
  KEY_SINCE,
  KEY_SENTBEFORE,
  KEY_SENTON,
  KEY_SENTSINCE,
  KEY_LARGER,
  KEY_SMALLER,
  KEY_SEQSET,
  KEY_UIDSET,
} KeyKind;

typedef struct _Key Key;

struct _Key
{
  KeyKind         kind;
  MsMessageFlags  flag;
  char           *str;
  char           *str2;
  gint64          num;
  GArray         *set;
  GPtrArray      *children;
};

static void
key_free (gpointer data)
{
  Key *key = data;

  if (key == NULL)
    return;
  g_free (key->str);
  g_free (key->str2);
  if (key->set != NULL)
    g_array_unref (key->set);
  if (key->children != NULL)
    g_ptr_array_unref (key->children);
  g_free (key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Key, key_free)

static Key *
new_key (KeyKind kind)
{
  Key *key = g_new0 (Key, 1);
  key->kind = kind;
  if (kind == KEY_AND || kind == KEY_OR || kind == KEY_NOT)
    key->children = g_ptr_array_new_with_free_func (key_free);
  return key;
}

gboolean
_ms_imap_parse_date (const char *text,
                     gint64     *days)
{
  static const char * const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  int day = 0;
  int year = 0;
  int month = 0;
  const char *p = text;
  char *end = NULL;

  /* date-text = date-day "-" date-month "-" date-year */
  day = (int) g_ascii_strtoll (p, &end, 10);
  if (end == p || end - p > 2 || *end != '-')
    return FALSE;
  p = end + 1;
  for (int i = 0; i < 12; i++)
    if (g_ascii_strncasecmp (p, months[i], 3) == 0)
      month = i + 1;
  if (month == 0 || p[3] != '-')
    return FALSE;
  p += 4;
  year = (int) g_ascii_strtoll (p, &end, 10);
  if (end - p != 4 || *end != '\0')
    return FALSE;
  if (!g_date_valid_dmy ((GDateDay) day, (GDateMonth) month, (GDateYear) year))
    return FALSE;
  {
    GDate date;
    g_date_clear (&date, 1);
    g_date_set_dmy (&date, (GDateDay) day, (GDateMonth) month, (GDateYear) year);
    *days = g_date_get_julian (&date);
  }
  return TRUE;
}

typedef struct
{
  GPtrArray   *args;
  guint        pos;
  const char  *error;
  guint        depth;
} KeyParser;

static const MsImapArg *
next_arg (KeyParser *kp)
{
  if (kp->pos >= kp->args->len)
    return NULL;
  return g_ptr_array_index (kp->args, kp->pos++);
}

static const char *
next_astring (KeyParser *kp)
{
  const MsImapArg *arg = next_arg (kp);

  if (arg == NULL || (arg->type != MS_IMAP_ARG_ATOM && !ms_imap_arg_is_string (arg)))
    {
      kp->error = "Missing or invalid search string";
      return NULL;
    }
  return arg->str;
}

static Key *parse_key (KeyParser *kp);

static Key *
parse_group (KeyParser *kp,
             GPtrArray *args)
{
  KeyParser inner = { args, 0, NULL, kp->depth + 1 };
  Key *and = new_key (KEY_AND);

  if (inner.depth > MS_IMAP_MAX_SEARCH_DEPTH)
    {
      kp->error = "Search criteria nested too deeply";
      key_free (and);
      return NULL;
    }
  if (args->len == 0)
    {
      kp->error = "Empty search group";
      key_free (and);
      return NULL;
    }
  while (inner.pos < args->len)
    {
      Key *k = parse_key (&inner);
      if (k == NULL)
        {
          kp->error = inner.error;
          key_free (and);
          return NULL;
        }
      g_ptr_array_add (and->children, k);
    }
  return and;
}

static Key *
parse_key (KeyParser *kp)
{
  static const struct { const char *name; KeyKind kind; MsMessageFlags flag; } simple[] = {
    { "ANSWERED", KEY_FLAG_SET, MS_FLAG_ANSWERED },
    { "DELETED", KEY_FLAG_SET, MS_FLAG_DELETED },
    { "DRAFT", KEY_FLAG_SET, MS_FLAG_DRAFT },
    { "FLAGGED", KEY_FLAG_SET, MS_FLAG_FLAGGED },
    { "SEEN", KEY_FLAG_SET, MS_FLAG_SEEN },
    { "UNANSWERED", KEY_FLAG_UNSET, MS_FLAG_ANSWERED },
    { "UNDELETED", KEY_FLAG_UNSET, MS_FLAG_DELETED },
    { "UNDRAFT", KEY_FLAG_UNSET, MS_FLAG_DRAFT },
    { "UNFLAGGED", KEY_FLAG_UNSET, MS_FLAG_FLAGGED },
    { "UNSEEN", KEY_FLAG_UNSET, MS_FLAG_SEEN },
    { "RECENT", KEY_RECENT, 0 },
    { "NEW", KEY_NEW, 0 },
    { "OLD", KEY_OLD, 0 },
  };
  static const struct { const char *name; const char *field; } headers[] = {
    { "FROM", "From" }, { "TO", "To" }, { "CC", "Cc" }, { "BCC", "Bcc" },
    { "SUBJECT", "Subject" },
  };
  static const struct { const char *name; KeyKind kind; } dates[] = {
    { "BEFORE", KEY_BEFORE }, { "ON", KEY_ON }, { "SINCE", KEY_SINCE },
    { "SENTBEFORE", KEY_SENTBEFORE }, { "SENTON", KEY_SENTON }, { "SENTSINCE", KEY_SENTSINCE },
  };
  const MsImapArg *arg = next_arg (kp);
  const char *word;
  Key *key;

  if (arg == NULL)
    {
      kp->error = "Missing search key";
      return NULL;
    }
  if (arg->type == MS_IMAP_ARG_LIST)
    return parse_group (kp, arg->list);
  if (arg->type != MS_IMAP_ARG_ATOM)
    {
      kp->error = "Invalid search key";
      return NULL;
    }
  word = arg->str;

  if (g_ascii_strcasecmp (word, "ALL") == 0)
    return new_key (KEY_AND);
  for (guint i = 0; i < G_N_ELEMENTS (simple); i++)
    if (g_ascii_strcasecmp (word, simple[i].name) == 0)
      {
        key = new_key (simple[i].kind);
        key->flag = simple[i].flag;
        return key;
      }
  for (guint i = 0; i < G_N_ELEMENTS (headers); i++)
    if (g_ascii_strcasecmp (word, headers[i].name) == 0)
      {
        const char *text = next_astring (kp);
        if (text == NULL)
          return NULL;
        key = new_key (KEY_HEADER);
        key->str = g_strdup (headers[i].field);
        key->str2 = g_strdup (text);
        return key;
      }
  for (guint i = 0; i < G_N_ELEMENTS (dates); i++)
    if (g_ascii_strcasecmp (word, dates[i].name) == 0)
      {
        const char *text = next_astring (kp);
        gint64 days;

        if (text == NULL)
          return NULL;
        if (!_ms_imap_parse_date (text, &days))
          {
            kp->error = "Invalid date (expected d-Mon-yyyy)";
            return NULL;
          }
        key = new_key (dates[i].kind);
        key->num = days;
        return key;
      }
  if (g_ascii_strcasecmp (word, "HEADER") == 0)
    {
      const char *field = next_astring (kp);
      const char *text = field != NULL ? next_astring (kp) : NULL;

      if (text == NULL)
        return NULL;
      key = new_key (KEY_HEADER);
      key->str = g_strdup (field);
      key->str2 = g_strdup (text);
      return key;
    }
  if (g_ascii_strcasecmp (word, "BODY") == 0 || g_ascii_strcasecmp (word, "TEXT") == 0)
    {
      const char *text = next_astring (kp);

      if (text == NULL)
        return NULL;
      key = new_key (g_ascii_strcasecmp (word, "BODY") == 0 ? KEY_BODY : KEY_TEXT);
      key->str2 = g_strdup (text);
      return key;
    }
  if (g_ascii_strcasecmp (word, "KEYWORD") == 0 || g_ascii_strcasecmp (word, "UNKEYWORD") == 0)
    {
      const MsImapArg *k = next_arg (kp);

      if (k == NULL || k->type != MS_IMAP_ARG_ATOM || !ms_imap_atom_is_valid (k->str))
        {
          kp->error = "Invalid keyword";
          return NULL;
        }
      key = new_key (g_ascii_strcasecmp (word, "KEYWORD") == 0 ? KEY_KEYWORD : KEY_UNKEYWORD);
      key->str = g_strdup (k->str);
      return key;
    }
  if (g_ascii_strcasecmp (word, "LARGER") == 0 || g_ascii_strcasecmp (word, "SMALLER") == 0)
    {
      const MsImapArg *n = next_arg (kp);
      char *end = NULL;

      if (n == NULL || n->type != MS_IMAP_ARG_ATOM || !g_ascii_isdigit (n->str[0]))
        {
          kp->error = "LARGER and SMALLER need a number";
          return NULL;
        }
      key = new_key (g_ascii_strcasecmp (word, "LARGER") == 0 ? KEY_LARGER : KEY_SMALLER);
      key->num = (gint64) g_ascii_strtoull (n->str, &end, 10);
      if (*end != '\0')
        {
          key_free (key);
          kp->error = "LARGER and SMALLER need a number";
          return NULL;
        }
      return key;
    }
  if (g_ascii_strcasecmp (word, "UID") == 0)
    {
      const MsImapArg *s = next_arg (kp);

      key = new_key (KEY_UIDSET);
      if (s == NULL || s->type != MS_IMAP_ARG_ATOM
          || (key->set = ms_imap_sequence_set_parse (s->str)) == NULL)
        {
          key_free (key);
          kp->error = "UID needs a sequence set";
          return NULL;
        }
      return key;
    }
  if (g_ascii_strcasecmp (word, "NOT") == 0)
    {
      Key *child;

      if (++kp->depth > MS_IMAP_MAX_SEARCH_DEPTH)
        {
          kp->error = "Search criteria nested too deeply";
          return NULL;
        }
      child = parse_key (kp);
      kp->depth--;
      if (child == NULL)
        return NULL;
      key = new_key (KEY_NOT);
      g_ptr_array_add (key->children, child);
      return key;
    }
  if (g_ascii_strcasecmp (word, "OR") == 0)
    {
      Key *a;
      Key *b;

      if (++kp->depth > MS_IMAP_MAX_SEARCH_DEPTH)
        {
          kp->error = "Search criteria nested too deeply";
          return NULL;
        }
      a = parse_key (kp);
      b = a != NULL ? parse_key (kp) : NULL;
      kp->depth--;
      if (b == NULL)
        {
          key_free (a);
          return NULL;
        }
      key = new_key (KEY_OR);
      g_ptr_array_add (key->children, a);
      g_ptr_array_add (key->children, b);
      return key;
    }
  key = new_key (KEY_SEQSET);
  key->set = ms_imap_sequence_set_parse (word);
  if (key->set == NULL)
    {
      key_free (key);
      kp->error = "Unknown search key";
      return NULL;
    }
  return key;
}

/* Returns the criteria as one AND key; *charset_ok FALSE for an unknown CHARSET. */
static Key *
parse_criteria (MsImapCommand *cmd,
                const char   **error,
                gboolean      *charset_ok)
{
  KeyParser kp = { cmd->args, 0, NULL, 0 };
  g_autoptr(Key) and = new_key (KEY_AND);

  *charset_ok = TRUE;
  if (cmd->args->len >= 1 && ms_imap_arg_is_atom (ARG (cmd, 0), "CHARSET"))
    {
      const MsImapArg *cs = cmd->args->len >= 2 ? ARG (cmd, 1) : NULL;

      if (cs == NULL || !ms_imap_arg_is_astring (cs))
        {
          *error = "CHARSET needs a name";
          return NULL;
        }
      if (g_ascii_strcasecmp (cs->str, "UTF-8") != 0
          && g_ascii_strcasecmp (cs->str, "US-ASCII") != 0)
        *charset_ok = FALSE;
      kp.pos = 2;
    }
  if (kp.pos >= cmd->args->len)
    {
      *error = "Missing search criteria";
      return NULL;
    }
  while (kp.pos < cmd->args->len)
    {
      Key *k = parse_key (&kp);
      if (k == NULL)
        {
          *error = kp.error != NULL ? kp.error : "Invalid search criteria";
          return NULL;
        }
      g_ptr_array_add (and->children, k);
    }
  return g_steal_pointer (&and);
}

gboolean
_ms_imap_check_search (MsImapServer  *self,
                       MsImapCommand *cmd)
{
  const char *error = NULL;
  gboolean charset_ok;
  g_autoptr(Key) key = parse_criteria (cmd, &error, &charset_ok);

  if (key == NULL)
    {
      _ms_imap_server_bad (self, cmd, "%s", error);
      return FALSE;
    }
  if (!charset_ok)
    {
      _ms_imap_server_complete (self, cmd, "NO", "[BADCHARSET (UTF-8 US-ASCII)] Unsupported "
                                "charset");
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------- */
/* Evaluation                                                                            */

typedef struct
{
  MsImapServer    *server;
  guint            seq;
  MsStoredMessage *message;
  const char      *data;
  gsize            size;
  MsImapPart      *root;
  char            *header_text;  /* decoded, case-folded */
  char            *body_text;    /* decoded, case-folded */
} Candidate;

static MsImapPart *
candidate_root (Candidate *c)
{
  if (c->root == NULL)
    c->root = _ms_imap_part_parse (c->data, c->size);
  return c->root;
}

static char *
fold (const char *text,
      gssize      len)
{
  g_autofree char *valid = g_utf8_make_valid (text, len);
  return g_utf8_casefold (valid, -1);
}

static gboolean
contains_folded (const char *haystack_folded,
                 const char *needle)
{
  g_autofree char *n = fold (needle, -1);
  return strstr (haystack_folded, n) != NULL;
}

static char *
decode_header_value (const char *raw)
{
  g_autofree char *decoded = g_mime_utils_header_decode_text (NULL, raw);
  return fold (decoded != NULL ? decoded : raw, -1);
}

static gboolean
match_header (Candidate  *c,
              const char *field,
              const char *text)
{
  MsImapPart *root = candidate_root (c);
  g_autofree char *raw = _ms_imap_header_get (c->data, root->hdr_start, root->hdr_end, field);
  g_autofree char *folded = NULL;

  if (raw == NULL)
    return FALSE;
  /* RFC 3501 §6.4.4 HEADER: an empty string matches every message with the field. */
  if (*text == '\0')
    return TRUE;
  folded = decode_header_value (raw);
  return contains_folded (folded, text);
}

/* The body bytes of a leaf part, transfer-decoded and converted to UTF-8. */
static void
append_decoded_part (GString    *out,
                     const char *data,
                     MsImapPart *part)
{
  g_autofree char *cte = _ms_imap_header_get (data, part->hdr_start, part->hdr_end,
                                              "Content-Transfer-Encoding");
  GMimeContentEncoding encoding = cte != NULL ? g_mime_content_encoding_from_string (cte)
                                              : GMIME_CONTENT_ENCODING_DEFAULT;
  const char *body = data + part->hdr_end;
  gsize len = part->body_end - part->hdr_end;
  g_autofree char *decoded = NULL;
  const char *charset = _ms_imap_part_get_param (part, "charset");
  g_autofree char *utf8 = NULL;

  if (encoding == GMIME_CONTENT_ENCODING_BASE64
      || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE
      || encoding == GMIME_CONTENT_ENCODING_UUENCODE)
    {
      GMimeEncoding state;
      gsize n;

      g_mime_encoding_init_decode (&state, encoding);
      decoded = g_malloc (g_mime_encoding_outlen (&state, len) + 16);
      n = g_mime_encoding_flush (&state, body, len, decoded);
      body = decoded;
      len = n;
    }
  if (charset != NULL && g_ascii_strcasecmp (charset, "utf-8") != 0
      && g_ascii_strcasecmp (charset, "us-ascii") != 0)
    utf8 = g_convert (body, (gssize) len, "UTF-8", g_mime_charset_iconv_name (charset),
                      NULL, NULL, NULL);
  if (utf8 != NULL)
    g_string_append (out, utf8);
  else
    g_string_append_len (out, body, (gssize) len);
  g_string_append_c (out, '\n');
}

static void
collect_body_text (GString    *out,
                   const char *data,
                   MsImapPart *part)
{
  if (part->children != NULL)
    {
      for (guint i = 0; i < part->children->len; i++)
        collect_body_text (out, data, g_ptr_array_index (part->children, i));
      return;
    }
  if (part->message != NULL)
    {
      /* A forwarded message's header is body text of the outer one. */
      g_autofree char *raw = g_strndup (data + part->message->hdr_start,
                                        part->message->hdr_end - part->message->hdr_start);
      g_autofree char *decoded = g_mime_utils_header_decode_text (NULL, raw);

      g_string_append (out, decoded != NULL ? decoded : raw);
      collect_body_text (out, data, part->message);
      return;
    }
  if (strcmp (part->type, "text") == 0)
    append_decoded_part (out, data, part);
}

static const char *
candidate_body (Candidate *c)
{
  if (c->body_text == NULL)
    {
      g_autoptr(GString) text = g_string_new (NULL);
      collect_body_text (text, c->data, candidate_root (c));
      c->body_text = fold (text->str, (gssize) text->len);
    }
  return c->body_text;
}

static const char *
candidate_header (Candidate *c)
{
  if (c->header_text == NULL)
    {
      MsImapPart *root = candidate_root (c);
      g_autofree char *raw = g_strndup (c->data + root->hdr_start, root->hdr_end - root->hdr_start);
      c->header_text = decode_header_value (raw);
    }
  return c->header_text;
}

static gint64
julian_of_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  GDate date;

  if (dt == NULL)
    return 0;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, (GDateDay) g_date_time_get_day_of_month (dt),
                  (GDateMonth) g_date_time_get_month (dt), (GDateYear) g_date_time_get_year (dt));
  return g_date_get_julian (&date);
}

/* The Date: header's calendar day in its own zone (RFC 3501 §6.4.4 SENT*); -1 if none. */
static gint64
sent_day (Candidate *c)
{
  MsImapPart *root = candidate_root (c);
  g_autofree char *value = _ms_imap_header_get (c->data, root->hdr_start, root->hdr_end, "Date");
  g_autoptr(GDateTime) dt = NULL;
  GDate date;

  if (value == NULL)
    return -1;
  dt = g_mime_utils_header_decode_date (value);
  if (dt == NULL)
    return -1;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, (GDateDay) g_date_time_get_day_of_month (dt),
                  (GDateMonth) g_date_time_get_month (dt), (GDateYear) g_date_time_get_year (dt));
  return g_date_get_julian (&date);
}

static gboolean
has_keyword (MsStoredMessage *m,
             const char      *word)
{
  for (guint i = 0; m->keywords != NULL && m->keywords[i] != NULL; i++)
    if (g_ascii_strcasecmp (m->keywords[i], word) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
matches (Key       *key,
         Candidate *c)
{
  MsStoredMessage *m = c->message;

  switch (key->kind)
    {
    case KEY_AND:
      for (guint i = 0; i < key->children->len; i++)
        if (!matches (g_ptr_array_index (key->children, i), c))
          return FALSE;
      return TRUE;
    case KEY_OR:
      return matches (g_ptr_array_index (key->children, 0), c)
             || matches (g_ptr_array_index (key->children, 1), c);
    case KEY_NOT:
      return !matches (g_ptr_array_index (key->children, 0), c);
    case KEY_FLAG_SET:
      return (m->flags & key->flag) != 0;
    case KEY_FLAG_UNSET:
      return (m->flags & key->flag) == 0;
    case KEY_RECENT:
      return _ms_imap_server_is_recent (c->server, m);
    case KEY_NEW:
      return _ms_imap_server_is_recent (c->server, m) && !(m->flags & MS_FLAG_SEEN);
    case KEY_OLD:
      return !_ms_imap_server_is_recent (c->server, m);
    case KEY_KEYWORD:
      return has_keyword (m, key->str);
    case KEY_UNKEYWORD:
      return !has_keyword (m, key->str);
    case KEY_HEADER:
      return match_header (c, key->str, key->str2);
    case KEY_BODY:
      return contains_folded (candidate_body (c), key->str2);
    case KEY_TEXT:
      return contains_folded (candidate_header (c), key->str2)
             || contains_folded (candidate_body (c), key->str2);
    case KEY_BEFORE:
      return julian_of_time (m->internal_date) < key->num;
    case KEY_ON:
      return julian_of_time (m->internal_date) == key->num;
    case KEY_SINCE:
      return julian_of_time (m->internal_date) >= key->num;
    case KEY_SENTBEFORE:
      {
        gint64 d = sent_day (c);
        return d >= 0 && d < key->num;
      }
    case KEY_SENTON:
      return sent_day (c) == key->num;
    case KEY_SENTSINCE:
      {
        gint64 d = sent_day (c);
        return d >= 0 && d >= key->num;
      }
    case KEY_LARGER:
      return (gint64) c->size > key->num;
    case KEY_SMALLER:
      return (gint64) c->size < key->num;
    case KEY_SEQSET:
      return ms_imap_sequence_set_contains (key->set, c->seq);
    case KEY_UIDSET:
      return ms_imap_sequence_set_contains (key->set, m->uid);
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* '*' means the last message / the largest UID of this session's view. */
static void
resolve_sets (Key     *key,
              guint32  last_seq,
              guint32  last_uid)
{
  if (key->kind == KEY_SEQSET)
    ms_imap_sequence_set_resolve (key->set, last_seq);
  else if (key->kind == KEY_UIDSET)
    ms_imap_sequence_set_resolve (key->set, last_uid);
  for (guint i = 0; key->children != NULL && i < key->children->len; i++)
    resolve_sets (g_ptr_array_index (key->children, i), last_seq, last_uid);
}

void
_ms_imap_proceed_search (MsImapServer  *self,
                         MsImapCommand *cmd)
{
  const char *error = NULL;
  gboolean charset_ok;
  g_autoptr(Key) key = parse_criteria (cmd, &error, &charset_ok);
  g_autoptr(GString) line = g_string_new ("SEARCH");
  guint n = self->view->len;

  resolve_sets (key, n, n > 0 ? g_array_index (self->view, guint32, n - 1) : 0);
  for (guint seq = 1; seq <= n; seq++)
    {
      MsStoredMessage *m = _ms_imap_server_message_at (self, seq);
      Candidate c = { self, seq, m, NULL, 0, NULL, NULL, NULL };

      if (m == NULL)
        continue;
      c.data = g_bytes_get_data (m->raw, &c.size);
      if (matches (key, &c))
        g_string_append_printf (line, " %u", cmd->uid ? m->uid : seq);
      _ms_imap_part_free (c.root);
      g_free (c.header_text);
      g_free (c.body_text);
    }
  _ms_imap_server_untagged (self, "%s", line->str);
  _ms_imap_server_complete (self, cmd, "OK", "SEARCH completed");
}
