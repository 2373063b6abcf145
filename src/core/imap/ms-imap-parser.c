/* ms-imap-parser.c: collecting and tokenizing IMAP commands
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "ms-imap-parser"

#include "config.h"

#include <string.h>

#include "ms-imap-parser.h"

struct _MsImapParser
{
  GByteArray *buf;          /* lines joined with CRLF, literal bytes inline */
  gsize       text_len;     /* bytes of command text so far (literals not counted) */
  gsize       literal_len;  /* bytes of literals so far */
  gsize       max_command;
  gsize       max_literal;
};

MsImapParser *
ms_imap_parser_new (gsize max_command,
                    gsize max_literal)
{
  MsImapParser *self = g_new0 (MsImapParser, 1);

  self->buf = g_byte_array_new ();
  self->max_command = max_command;
  self->max_literal = max_literal;
  return self;
}

void
ms_imap_parser_free (MsImapParser *self)
{
  if (self == NULL)
    return;
  g_byte_array_unref (self->buf);
  g_free (self);
}

void
ms_imap_parser_reset (MsImapParser *self)
{
  g_byte_array_set_size (self->buf, 0);
  self->text_len = 0;
  self->literal_len = 0;
}

gboolean
ms_imap_parser_is_empty (MsImapParser *self)
{
  return self->buf->len == 0;
}

/* A line ends in a literal announcement when, outside any quoted string, its last
 * characters are "{digits}" or "{digits+}" (RFC 3501 §4.3, RFC 7888 LITERAL+). */
static gboolean
line_literal (const char *line,
              gsize       len,
              guint64    *size,
              gboolean   *sync)
{
  gboolean in_quote = FALSE;
  gsize open = G_MAXSIZE;
  gsize end;
  guint64 n = 0;
  gsize i;

  for (i = 0; i < len; i++)
    {
      char c = line[i];

      if (in_quote)
        {
          if (c == '\\' && i + 1 < len)
            i++;
          else if (c == '"')
            in_quote = FALSE;
        }
      else if (c == '"')
        in_quote = TRUE;
      else if (c == '{')
        open = i;
    }
  if (in_quote || len == 0 || line[len - 1] != '}' || open == G_MAXSIZE)
    return FALSE;
  end = len - 1;
  *sync = TRUE;
  if (end > open + 1 && line[end - 1] == '+')
    {
      *sync = FALSE;
      end--;
    }
  if (end == open + 1 || end - open - 1 > 19)
    return FALSE;
  for (i = open + 1; i < end; i++)
    {
      if (!g_ascii_isdigit (line[i]))
        return FALSE;
      n = n * 10 + (guint64) (line[i] - '0');
    }
  *size = n;
  return TRUE;
}

MsImapPushResult
ms_imap_parser_push_line (MsImapParser *self,
                          const char   *line,
                          gsize         len,
                          guint64      *literal_size,
                          gboolean     *synchronizing)
{
  guint64 size = 0;
  gboolean sync = TRUE;

  g_return_val_if_fail (self != NULL, MS_IMAP_PUSH_TOO_LONG);

  self->text_len += len + 2;
  if (self->text_len > self->max_command)
    return MS_IMAP_PUSH_TOO_LONG;
  g_byte_array_append (self->buf, (const guint8 *) line, len);
  if (!line_literal (line, len, &size, &sync))
    return MS_IMAP_PUSH_COMPLETE;
  g_byte_array_append (self->buf, (const guint8 *) "\r\n", 2);
  if (literal_size != NULL)
    *literal_size = size;
  if (synchronizing != NULL)
    *synchronizing = sync;
  /* The cap holds for all the literals of one command together. */
  if (size > self->max_literal - MIN (self->literal_len, self->max_literal))
    return MS_IMAP_PUSH_TOO_LARGE;
  self->literal_len += (gsize) size;
  return MS_IMAP_PUSH_NEED_LITERAL;
}

void
ms_imap_parser_push_literal (MsImapParser *self,
                             const guint8 *data,
                             gsize         len)
{
  g_return_if_fail (self != NULL);
  g_byte_array_append (self->buf, data, len);
}

/* ------------------------------------------------------------------------------------- */
/* Tokenizer over one complete command                                                   */

typedef struct
{
  const guint8 *p;
  gsize         len;
  gsize         pos;
  const char   *error;
  int           depth;
  guint         n_args;
} Scanner;

void
ms_imap_arg_free (MsImapArg *arg)
{
  if (arg == NULL)
    return;
  g_free (arg->str);
  if (arg->list != NULL)
    g_ptr_array_unref (arg->list);
  g_free (arg);
}

void
ms_imap_command_free (MsImapCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->tag);
  g_free (command->name);
  if (command->args != NULL)
    g_ptr_array_unref (command->args);
  g_free (command);
}

static gboolean
at_end (Scanner *s)
{
  return s->pos >= s->len;
}

static int
peek (Scanner *s)
{
  return at_end (s) ? -1 : s->p[s->pos];
}

/* RFC 3501 §9: ATOM-CHAR is any CHAR except atom-specials
 * ( "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials ). We
 * let list-wildcards, "\" (flags) and "]" through here and check stricter where needed. */
static gboolean
is_atom_char (int c)
{
  return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '"';
}

gboolean
ms_imap_atom_is_valid (const char *atom)
{
  if (atom == NULL || *atom == '\0')
    return FALSE;
  for (const char *p = atom; *p != '\0'; p++)
    if (!is_atom_char ((guchar) *p) || *p == '%' || *p == '*' || *p == '\\' || *p == ']')
      return FALSE;
  return TRUE;
}

static MsImapArg *parse_value (Scanner *s);

static MsImapArg *
new_arg (MsImapArgType type)
{
  MsImapArg *arg = g_new0 (MsImapArg, 1);
  arg->type = type;
  return arg;
}

static MsImapArg *
parse_atom (Scanner *s)
{
  gsize start = s->pos;
  MsImapArg *arg;

  while (!at_end (s))
    {
      int c = peek (s);

      if (c == '[')
        {
          /* A section such as BODY[HEADER.FIELDS (From To)] may hold spaces and parens. */
          int depth = 0;

          while (!at_end (s))
            {
              c = peek (s);
              if (c == '\r' || c == '\n' || c == '{' || c == '"' || c == 0)
                {
                  s->error = "Invalid characters in section";
                  return NULL;
                }
              s->pos++;
              if (c == '[')
                depth++;
              else if (c == ']' && --depth == 0)
                break;
            }
          if (depth != 0)
            {
              s->error = "Missing ']'";
              return NULL;
            }
          continue;
        }
      if (!is_atom_char (c))
        break;
      s->pos++;
    }
  if (s->pos == start)
    {
      s->error = at_end (s) ? "Missing argument" : "Unexpected character";
      return NULL;
    }
  arg = new_arg (MS_IMAP_ARG_ATOM);
  arg->len = s->pos - start;
  arg->str = g_strndup ((const char *) s->p + start, arg->len);
  return arg;
}

static MsImapArg *
parse_quoted (Scanner *s)
{
  GString *value = g_string_new (NULL);
  MsImapArg *arg;

  s->pos++;  /* opening quote */
  for (;;)
    {
      int c = peek (s);

      if (c < 0 || c == '\r' || c == '\n' || c == 0)
        {
          s->error = "Unterminated quoted string";
          g_string_free (value, TRUE);
          return NULL;
        }
      s->pos++;
      if (c == '"')
        break;
      if (c == '\\')
        {
          c = peek (s);
          /* RFC 3501 §9: only quoted-specials may be escaped. */
          if (c != '"' && c != '\\')
            {
              s->error = "Invalid escape in quoted string";
              g_string_free (value, TRUE);
              return NULL;
            }
          s->pos++;
        }
      g_string_append_c (value, (char) c);
    }
  arg = new_arg (MS_IMAP_ARG_QUOTED);
  arg->len = value->len;
  arg->str = g_string_free (value, FALSE);
  return arg;
}

static MsImapArg *
parse_literal (Scanner *s)
{
  guint64 n = 0;
  guint digits = 0;
  MsImapArg *arg;

  s->pos++;  /* '{' */
  while (g_ascii_isdigit (peek (s)) && digits < 20)
    {
      n = n * 10 + (guint64) (peek (s) - '0');
      s->pos++;
      digits++;
    }
  if (digits == 0)
    {
      s->error = "Invalid literal size";
      return NULL;
    }
  if (peek (s) == '+')
    s->pos++;
  if (peek (s) != '}' || s->len - s->pos < 3
      || s->p[s->pos + 1] != '\r' || s->p[s->pos + 2] != '\n')
    {
      s->error = "Invalid literal";
      return NULL;
    }
  s->pos += 3;
  if (n > s->len - s->pos)
    {
      s->error = "Literal shorter than announced";
      return NULL;
    }
  arg = new_arg (MS_IMAP_ARG_LITERAL);
  arg->len = (gsize) n;
  arg->str = g_malloc (arg->len + 1);
  memcpy (arg->str, s->p + s->pos, arg->len);
  arg->str[arg->len] = '\0';
  s->pos += arg->len;
  return arg;
}

/* Arguments separated by single spaces until end (or ')' in a list). */
static GPtrArray *
parse_sequence (Scanner *s,
                gboolean in_list)
{
  GPtrArray *args = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_imap_arg_free);

  if (in_list && peek (s) == ')')
    return args;
  for (;;)
    {
      MsImapArg *arg = parse_value (s);

      if (arg == NULL)
        {
          g_ptr_array_unref (args);
          return NULL;
        }
      g_ptr_array_add (args, arg);
      if (++s->n_args > MS_IMAP_MAX_ARGS)
        {
          s->error = "Too many arguments";
          g_ptr_array_unref (args);
          return NULL;
        }
      if (at_end (s) || (in_list && peek (s) == ')'))
        return args;
      if (peek (s) != ' ')
        {
          s->error = in_list ? "Expected space or ')' in list"
                     : peek (s) == ')' ? "Unexpected ')'" : "Expected space";
          g_ptr_array_unref (args);
          return NULL;
        }
      s->pos++;
    }
}

static MsImapArg *
parse_value (Scanner *s)
{
  int c = peek (s);

  switch (c)
    {
    case -1:
      s->error = "Missing argument";
      return NULL;
    case '"':
      return parse_quoted (s);
    case '{':
      return parse_literal (s);
    case '(':
      {
        MsImapArg *arg;
        GPtrArray *list;

        if (++s->depth > MS_IMAP_MAX_LIST_DEPTH)
          {
            s->error = "Lists nested too deeply";
            return NULL;
          }
        s->pos++;
        list = parse_sequence (s, TRUE);
        if (list == NULL)
          return NULL;
        if (peek (s) != ')')
          {
            s->error = "Missing ')'";
            g_ptr_array_unref (list);
            return NULL;
          }
        s->pos++;
        s->depth--;
        arg = new_arg (MS_IMAP_ARG_LIST);
        arg->list = list;
        return arg;
      }
    case ')':
      s->error = "Unexpected ')'";
      return NULL;
    case ' ':
      s->error = "Unexpected extra space";
      return NULL;
    default:
      return parse_atom (s);
    }
}

/* RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">. */
static char *
scan_tag (Scanner *s)
{
  gsize start = s->pos;

  while (!at_end (s))
    {
      int c = peek (s);
      if (!is_atom_char (c) || c == '+' || c == '%' || c == '*' || c == '\\' || c == '[')
        break;
      s->pos++;
    }
  if (s->pos == start)
    return NULL;
  return g_strndup ((const char *) s->p + start, s->pos - start);
}

static char *
scan_word (Scanner *s)
{
  gsize start = s->pos;

  while (!at_end (s) && g_ascii_isalnum (peek (s)))
    s->pos++;
  if (s->pos == start)
    return NULL;
  return g_ascii_strup ((const char *) s->p + start, s->pos - start);
}

MsImapCommand *
ms_imap_parse_command (const guint8 *data,
                       gsize         len,
                       char        **tag,
                       char        **error_text)
{
  Scanner s = { data, len, 0, NULL, 0, 0 };
  g_autoptr(MsImapCommand) command = g_new0 (MsImapCommand, 1);
  g_autofree char *name = NULL;

  if (tag != NULL)
    *tag = NULL;
  if (error_text != NULL)
    *error_text = NULL;

  command->tag = scan_tag (&s);
  if (command->tag == NULL || (!at_end (&s) && peek (&s) != ' '))
    {
      if (error_text != NULL)
        *error_text = g_strdup (len == 0 ? "Empty command line" : "Invalid tag");
      return NULL;
    }
  if (tag != NULL)
    *tag = g_strdup (command->tag);
  if (at_end (&s) || s.pos + 1 >= len)
    {
      if (error_text != NULL)
        *error_text = g_strdup ("Missing command");
      return NULL;
    }
  s.pos++;
  name = scan_word (&s);
  if (name == NULL || (!at_end (&s) && peek (&s) != ' '))
    {
      if (error_text != NULL)
        *error_text = g_strdup ("Invalid command name");
      return NULL;
    }
  if (strcmp (name, "UID") == 0)
    {
      g_autofree char *sub = NULL;

      if (!at_end (&s))
        {
          s.pos++;
          sub = scan_word (&s);
        }
      if (sub == NULL || (!at_end (&s) && peek (&s) != ' '))
        {
          if (error_text != NULL)
            *error_text = g_strdup ("Missing or invalid UID command");
          return NULL;
        }
      command->uid = TRUE;
      command->name = g_strconcat ("UID ", sub, NULL);
    }
  else
    command->name = g_steal_pointer (&name);

  if (at_end (&s))
    command->args = g_ptr_array_new_with_free_func ((GDestroyNotify) ms_imap_arg_free);
  else
    {
      s.pos++;
      command->args = parse_sequence (&s, FALSE);
      if (command->args == NULL || !at_end (&s))
        {
          if (error_text != NULL)
            *error_text = g_strdup (s.error != NULL ? s.error : "Unexpected characters");
          return NULL;
        }
    }
  return g_steal_pointer (&command);
}

char *
ms_imap_parser_peek_tag (MsImapParser *self)
{
  Scanner s = { self->buf->data, self->buf->len, 0, NULL, 0, 0 };
  char *tag = scan_tag (&s);

  if (tag != NULL && !at_end (&s) && peek (&s) != ' ')
    g_clear_pointer (&tag, g_free);
  return tag;
}

MsImapCommand *
ms_imap_parser_take (MsImapParser *self,
                     char        **tag,
                     char        **error_text)
{
  MsImapCommand *command;

  g_return_val_if_fail (self != NULL, NULL);

  command = ms_imap_parse_command (self->buf->data, self->buf->len, tag, error_text);
  ms_imap_parser_reset (self);
  return command;
}

gboolean
ms_imap_arg_is_string (const MsImapArg *arg)
{
  return arg != NULL && (arg->type == MS_IMAP_ARG_QUOTED || arg->type == MS_IMAP_ARG_LITERAL);
}

gboolean
ms_imap_arg_is_astring (const MsImapArg *arg)
{
  if (arg == NULL)
    return FALSE;
  if (ms_imap_arg_is_string (arg))
    return TRUE;
  /* ASTRING-CHAR = ATOM-CHAR / resp-specials: "]" is allowed, wildcards are not. */
  if (arg->type != MS_IMAP_ARG_ATOM)
    return FALSE;
  for (const char *p = arg->str; *p != '\0'; p++)
    if (*p == '%' || *p == '*' || *p == '\\' || *p == '[')
      return FALSE;
  return TRUE;
}

gboolean
ms_imap_arg_is_atom (const MsImapArg *arg,
                     const char      *word)
{
  return arg != NULL && arg->type == MS_IMAP_ARG_ATOM && g_ascii_strcasecmp (arg->str, word) == 0;
}

/* ------------------------------------------------------------------------------------- */
/* Sequence sets                                                                         */

static gboolean
parse_seq_number (const char **p,
                  guint32     *out)
{
  guint64 n = 0;
  const char *s = *p;

  if (*s == '*')
    {
      *out = G_MAXUINT32;
      *p = s + 1;
      return TRUE;
    }
  /* nz-number: no leading zero, 1..4294967295 */
  if (*s < '1' || *s > '9')
    return FALSE;
  while (g_ascii_isdigit (*s))
    {
      n = n * 10 + (guint64) (*s - '0');
      if (n >= G_MAXUINT32)
        return FALSE;
      s++;
    }
  *out = (guint32) n;
  *p = s;
  return TRUE;
}

GArray *
ms_imap_sequence_set_parse (const char *text)
{
  GArray *set;
  const char *p = text;

  if (text == NULL || *text == '\0')
    return NULL;
  set = g_array_new (FALSE, FALSE, sizeof (MsImapRange));
  for (;;)
    {
      MsImapRange range;

      if (!parse_seq_number (&p, &range.lo))
        break;
      range.hi = range.lo;
      if (*p == ':')
        {
          p++;
          if (!parse_seq_number (&p, &range.hi))
            break;
        }
      g_array_append_val (set, range);
      if (*p == '\0')
        return set;
      if (*p != ',')
        break;
      p++;
    }
  g_array_unref (set);
  return NULL;
}

void
ms_imap_sequence_set_resolve (GArray  *set,
                              guint32  star)
{
  for (guint i = 0; i < set->len; i++)
    {
      MsImapRange *r = &g_array_index (set, MsImapRange, i);

      if (r->lo == G_MAXUINT32)
        r->lo = star;
      if (r->hi == G_MAXUINT32)
        r->hi = star;
      /* RFC 3501 §9: "2:4" and "4:2" are the same set. */
      if (r->lo > r->hi)
        {
          guint32 t = r->lo;
          r->lo = r->hi;
          r->hi = t;
        }
    }
}

gboolean
ms_imap_sequence_set_contains (GArray  *set,
                               guint32  n)
{
  for (guint i = 0; i < set->len; i++)
    {
      MsImapRange *r = &g_array_index (set, MsImapRange, i);
      if (n >= r->lo && n <= r->hi)
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------------------------- */
/* Output quoting                                                                        */

void
ms_imap_append_string (GString    *out,
                       const char *s,
                       gsize       len)
{
  gboolean quotable = len < 1024;

  for (gsize i = 0; quotable && i < len; i++)
    {
      guchar c = (guchar) s[i];
      if (c == '\r' || c == '\n' || c == 0 || c >= 0x80)
        quotable = FALSE;
    }
  if (!quotable)
    {
      g_string_append_printf (out, "{%" G_GSIZE_FORMAT "}\r\n", len);
      g_string_append_len (out, s, len);
      return;
    }
  g_string_append_c (out, '"');
  for (gsize i = 0; i < len; i++)
    {
      if (s[i] == '"' || s[i] == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, s[i]);
    }
  g_string_append_c (out, '"');
}

void
ms_imap_append_nstring (GString    *out,
                        const char *s)
{
  if (s == NULL)
    g_string_append (out, "NIL");
  else
    ms_imap_append_string (out, s, strlen (s));
}

/* ------------------------------------------------------------------------------------- */
/* Modified UTF-7 mailbox names (RFC 3501 §5.1.3)                                         */

static const char mutf7_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
mutf7_value (char c)
{
  const char *p = c != '\0' ? strchr (mutf7_alphabet, c) : NULL;
  return p != NULL ? (int) (p - mutf7_alphabet) : -1;
}

char *
ms_imap_mutf7_decode (const char *name)
{
  GString *out = g_string_new (NULL);
  const char *p = name;

  if (!g_utf8_validate (name, -1, NULL))
    goto invalid;
  while (*p != '\0')
    {
      guint32 bits = 0;
      int n_bits = 0;
      gunichar high = 0;
      gboolean any = FALSE;

      if ((guchar) *p >= 0x80)
        {
          /* Raw UTF-8 is not IMAP4rev1, but it is unambiguous: take it as it is. */
          const char *next = g_utf8_next_char (p);
          g_string_append_len (out, p, next - p);
          p = next;
          continue;
        }
      if (*p < 0x20 || *p == 0x7f)
        goto invalid;
      if (*p != '&')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      p++;
      if (*p == '-')
        {
          g_string_append_c (out, '&');
          p++;
          continue;
        }
      /* base64 of UTF-16BE up to '-' */
      for (; *p != '-'; p++)
        {
          int v = mutf7_value (*p);

          if (v < 0)
            goto invalid;
          bits = (bits << 6) | (guint32) v;
          n_bits += 6;
          if (n_bits >= 16)
            {
              gunichar unit = (bits >> (n_bits - 16)) & 0xffff;

              n_bits -= 16;
              bits &= (1u << n_bits) - 1;
              any = TRUE;
              if (high != 0)
                {
                  if (unit < 0xdc00 || unit > 0xdfff)
                    goto invalid;
                  g_string_append_unichar (out, 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00));
                  high = 0;
                }
              else if (unit >= 0xd800 && unit <= 0xdbff)
                high = unit;
              else if ((unit >= 0xdc00 && unit <= 0xdfff) || (unit >= 0x20 && unit <= 0x7e))
                goto invalid;  /* lone low surrogate; printable ASCII must not be encoded */
              else
                g_string_append_unichar (out, unit);
            }
        }
      p++;
      /* leftover bits must be zero padding of less than a code unit */
      if (!any || high != 0 || n_bits >= 6 || bits != 0)
        goto invalid;
    }
  return g_string_free (out, FALSE);

invalid:
  g_string_free (out, TRUE);
  return NULL;
}

char *
ms_imap_mutf7_encode (const char *name)
{
  GString *out = g_string_new (NULL);
  const char *p = name;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          p++;  /* not UTF-8: dropped (store names are validated UTF-8) */
          continue;
        }
      if (c >= 0x20 && c <= 0x7e)
        {
          g_string_append (out, c == '&' ? "&-" : (char[]) { (char) c, 0 });
          p = g_utf8_next_char (p);
          continue;
        }
      /* a run of characters outside printable ASCII, as base64 of UTF-16BE */
      {
        guint32 bits = 0;
        int n_bits = 0;

        g_string_append_c (out, '&');
        while (*p != '\0')
          {
            gunichar u = g_utf8_get_char_validated (p, -1);
            gunichar units[2];
            int n_units = 1;

            if (u == (gunichar) -1 || u == (gunichar) -2 || (u >= 0x20 && u <= 0x7e))
              break;
            if (u >= 0x10000)
              {
                units[0] = 0xd800 + ((u - 0x10000) >> 10);
                units[1] = 0xdc00 + ((u - 0x10000) & 0x3ff);
                n_units = 2;
              }
            else
              units[0] = u;
            for (int i = 0; i < n_units; i++)
              {
                bits = (bits << 16) | units[i];
                n_bits += 16;
                while (n_bits >= 6)
                  {
                    n_bits -= 6;
                    g_string_append_c (out, mutf7_alphabet[(bits >> n_bits) & 0x3f]);
                  }
                bits &= (1u << n_bits) - 1;
              }
            p = g_utf8_next_char (p);
          }
        if (n_bits > 0)
          g_string_append_c (out, mutf7_alphabet[(bits << (6 - n_bits)) & 0x3f]);
        g_string_append_c (out, '-');
      }
    }
  return g_string_free (out, FALSE);
}
