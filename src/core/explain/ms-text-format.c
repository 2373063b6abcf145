/* ms-text-format.c: a trace as a swaks-like annotated transcript
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * " -> " client, "<-  " server, " ~> " / "<~  " once TLS protects the line (as swaks
 * prints them), " => " / "<=  " message content summaries, "--  " notes the engine made,
 * "!! " blocked traffic, "** " policy decisions and other events, "✔"/"✘" expectations.
 * Explanations sit in a column to the right, or under a long line after "↳". Widths are
 * display widths, so Japanese text lines up.
 */
#define G_LOG_DOMAIN "ms-text-format"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "ms-explain.h"
#include "ms-text-format.h"

#define ANSI_RESET   "\033[0m"
#define ANSI_BOLD    "\033[1m"
#define ANSI_DIM     "\033[2m"
#define ANSI_RED     "\033[31m"
#define ANSI_GREEN   "\033[32m"
#define ANSI_YELLOW  "\033[33m"
#define ANSI_MAGENTA "\033[35m"
#define ANSI_CYAN    "\033[36m"

#define EXPLAIN_GAP    2
#define WRAP_INDENT    "    ↳ "
#define COLUMN_MARK    "# "

/* SMTP end of DATA, as the reply pairing sees it */
#define END_OF_DATA "."
/* no command yet: the reply is the server's greeting */
#define GREETING ""

gboolean
ms_text_format_color_wanted (int fd)
{
  const char *no_color = g_getenv ("NO_COLOR");

  if (no_color != NULL && *no_color != '\0')
    return FALSE;
  if (g_strcmp0 (g_getenv ("TERM"), "dumb") == 0)
    return FALSE;
  return isatty (fd);
}

gsize
ms_text_format_display_width (const char *text)
{
  gsize width = 0;

  g_return_val_if_fail (text != NULL, 0);

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

/* Printable UTF-8: invalid bytes become U+FFFD, control characters "?". */
static char *
printable (const char *text,
           gssize      len)
{
  char *valid = g_utf8_make_valid (text, len);

  for (char *p = valid; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return valid;
}

/* How many leading words of a secret line stay visible (verb, mechanism, user name). */
static guint
visible_words (MsProtocol         protocol,
               const MsTraceLine *line)
{
  if (line->kind == MS_LINE_AUTH || line->command == NULL)
    return 0;
  if (protocol == MS_PROTOCOL_IMAP)
    return 3;  /* tag LOGIN user / tag AUTHENTICATE mechanism */
  if (strcmp (line->command, "AUTH") == 0 || strcmp (line->command, "APOP") == 0)
    return 2;  /* AUTH mechanism / APOP user */
  return 1;    /* PASS */
}

char *
ms_text_format_line_text (MsProtocol         protocol,
                          const MsTraceLine *line,
                          gboolean           show_secrets)
{
  const char *p;
  guint keep;

  g_return_val_if_fail (line != NULL, NULL);

  if (line->text == NULL)
    return g_strdup ("");
  if (!line->secret || show_secrets)
    return printable (line->text, -1);
  /* "*" cancels a SASL exchange and an empty response carries nothing. */
  if (line->kind == MS_LINE_AUTH && (line->text[0] == '\0' || strcmp (line->text, "*") == 0))
    return printable (line->text, -1);

  keep = visible_words (protocol, line);
  p = line->text;
  for (guint i = 0; i < keep; i++)
    {
      while (*p == ' ')
        p++;
      if (*p == '\0')
        return printable (line->text, -1);  /* nothing secret was sent */
      if (*p == '"')
        {
          /* an IMAP quoted user name */
          for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1] != '\0')
              p++;
          if (*p == '"')
            p++;
        }
      else
        while (*p && *p != ' ')
          p++;
    }
  while (*p == ' ')
    p++;
  if (*p == '\0')
    return printable (line->text, -1);
  {
    g_autofree char *head = printable (line->text, p - line->text);
    return g_strconcat (head, MS_TEXT_FORMAT_MASK, NULL);
  }
}

/* Pairing replies with the commands they answer, and where TLS starts, in one forward
 * pass over a session (RFC 2920 pipelining: SMTP replies come in command order). */
typedef struct
{
  MsTraceSession *session;
  GQueue          pending;        /* SMTP/POP3: verbs waiting for their reply */
  GPtrArray      *tagged;         /* IMAP: client lines waiting for their tagged reply */
  const char     *last_command;   /* the latest client verb */
  const char     *answered;       /* POP3: what the latest status line answered */
  gboolean        greeted;        /* a server status line was seen */
  gboolean        data_pending;   /* SMTP: a DATA summary already queued END_OF_DATA */
  guint           tls_from;       /* index of the first TLS-protected line */
  const char     *last_reply_text;
  guint           next;           /* index of the next line to step over */
} FormatState;

typedef struct
{
  const char    *previous;   /* the command this line answers */
  gboolean       protected;  /* sent inside TLS */
  gboolean       said_once;  /* the first part was dropped as a repeat */
  guint          n_parts;
  MsExplanation  parts[MS_EXPLAIN_MAX_PARTS];
} LineContext;

static void
format_state_init (FormatState    *st,
                   MsTraceSession *session)
{
  memset (st, 0, sizeof *st);
  st->session = session;
  g_queue_init (&st->pending);
  st->tagged = g_ptr_array_new ();
  st->tls_from = session->tls == MS_TLS_IMPLICIT ? 0 : G_MAXUINT;
}

static void
format_state_clear (FormatState *st)
{
  g_queue_clear (&st->pending);
  g_clear_pointer (&st->tagged, g_ptr_array_unref);
}

static gboolean
is_starttls (const char *verb)
{
  return verb != NULL && (strcmp (verb, "STARTTLS") == 0 || strcmp (verb, "STLS") == 0);
}

static gboolean
reply_is_positive (MsProtocol         protocol,
                   const MsTraceLine *line)
{
  if (protocol == MS_PROTOCOL_SMTP)
    return line->code >= 200 && line->code < 300;
  return g_strcmp0 (line->status, "+OK") == 0 || g_strcmp0 (line->status, "OK") == 0;
}

static void
step_client (FormatState *st,
             MsProtocol   protocol,
             MsTraceLine *line)
{
  const char *verb = line->command;

  /* The message ends with a "." line (RFC 5321 §4.1.1.4), which engines record after the
   * content summary, or not at all: either way one reply answers the end of data. */
  if (protocol == MS_PROTOCOL_SMTP && line->text != NULL && strcmp (line->text, ".") == 0)
    {
      if (!st->data_pending)
        g_queue_push_tail (&st->pending, (gpointer) END_OF_DATA);
      st->data_pending = FALSE;
      return;
    }
  if (protocol == MS_PROTOCOL_SMTP && line->kind == MS_LINE_DATA)
    {
      if (!st->data_pending)
        g_queue_push_tail (&st->pending, (gpointer) END_OF_DATA);
      st->data_pending = TRUE;
      return;
    }
  st->data_pending = FALSE;
  if (line->kind == MS_LINE_AUTH)
    verb = st->last_command;  /* a SASL step continues the AUTH command */
  else if (line->kind != MS_LINE_COMMAND)
    return;
  if (verb == NULL)
    return;
  st->last_command = verb;
  if (protocol == MS_PROTOCOL_IMAP)
    {
      if (line->tag != NULL)
        g_ptr_array_add (st->tagged, line);
    }
  else
    g_queue_push_tail (&st->pending, (gpointer) verb);
}

static const char *
step_server (FormatState *st,
             MsProtocol   protocol,
             MsTraceLine *line)
{
  const char *previous = NULL;

  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      previous = g_queue_peek_head (&st->pending);
      /* "250-..." continues, "250 ..." ends a reply (RFC 5321 §4.2.1) */
      if (line->code != 0 && line->text[3] != '-')
        g_queue_pop_head (&st->pending);
      break;
    case MS_PROTOCOL_POP3:
      if (line->status != NULL)
        {
          previous = g_queue_pop_head (&st->pending);
          /* RFC 1939 §4: the first status line, before any command, is the greeting */
          if (previous == NULL && !st->greeted && st->last_command == NULL)
            previous = GREETING;
          st->greeted = TRUE;
          st->answered = previous;
        }
      else
        previous = st->answered;
      break;
    case MS_PROTOCOL_IMAP:
      previous = st->last_command;
      if (line->tag != NULL)
        for (guint i = 0; i < st->tagged->len; i++)
          {
            MsTraceLine *cmd = g_ptr_array_index (st->tagged, i);
            if (strcmp (cmd->tag, line->tag) == 0)
              {
                previous = cmd->command;
                g_ptr_array_remove_index (st->tagged, i);
                break;
              }
          }
      break;
    case MS_PROTOCOL_UNKNOWN:
    case MS_PROTOCOL_DNS:
    case MS_PROTOCOL_HTTP:
    default:
      break;
    }
  return previous;
}

/* Context and explanation of the next line; advances the state past it. Without
 * @explain only the pairing and the TLS switch are followed (a fast skip). */
static void
format_state_step (FormatState *st,
                   LineContext *ctx,
                   gboolean     explain)
{
  MsProtocol protocol = st->session->protocol;
  MsTraceLine *line = g_ptr_array_index (st->session->lines, st->next);
  guint index = st->next++;
  gboolean is_reply = line->dir == MS_DIR_SERVER && line->kind == MS_LINE_REPLY;

  memset (ctx, 0, sizeof *ctx);
  /* implicit TLS may be recorded after the formatter started on the session */
  ctx->protected = index >= st->tls_from || st->session->tls == MS_TLS_IMPLICIT;

  if (line->dir == MS_DIR_CLIENT)
    step_client (st, protocol, line);
  else if (is_reply)
    ctx->previous = step_server (st, protocol, line);

  if (explain)
    {
      ctx->n_parts = ms_explain_line_parts (protocol, line, ctx->previous, ctx->parts);
      /* Lines of one multi-line reply, or a run of "* OK [...]" lines, share the meaning
       * of their code or status: say it once, and keep what differs (response codes). */
      if (is_reply && ctx->n_parts > 0 && ctx->parts[0].text == st->last_reply_text)
        {
          memmove (&ctx->parts[0], &ctx->parts[1], (ctx->n_parts - 1) * sizeof ctx->parts[0]);
          ctx->n_parts--;
          ctx->said_once = TRUE;
        }
      else
        st->last_reply_text = is_reply && ctx->n_parts > 0 ? ctx->parts[0].text : NULL;
    }
  else
    st->last_reply_text = NULL;

  /* RFC 3207 §4, RFC 2595 §4, RFC 9051 §6.2.1: TLS starts right after the go-ahead
   * (the session's tls mode may be recorded only once the handshake is done). */
  if (is_reply && st->tls_from == G_MAXUINT
      && is_starttls (ctx->previous) && reply_is_positive (protocol, line)
      && (protocol != MS_PROTOCOL_SMTP || line->text[3] != '-'))
    st->tls_from = index + 1;
}

static void
append_spaces (GString *out,
               gsize    n)
{
  for (gsize i = 0; i < n; i++)
    g_string_append_c (out, ' ');
}

/* @body (already coloured) takes @width columns; explanations follow. Ends with "\n". */
static void
append_with_explanations (GString                   *out,
                          const char                *body,
                          gsize                      width,
                          const MsExplanation       *parts,
                          guint                      n_parts,
                          gboolean                   first_key_on_line,
                          const MsTextFormatOptions *options)
{
  const char *dim = options->color ? ANSI_DIM : "";
  const char *reset = options->color ? ANSI_RESET : "";
  gboolean in_column = width + EXPLAIN_GAP <= MS_TEXT_FORMAT_EXPLAIN_COLUMN;

  g_string_append (out, body);
  if (!options->explain || n_parts == 0)
    {
      g_string_append_c (out, '\n');
      return;
    }
  for (guint i = 0; i < n_parts; i++)
    {
      if (in_column)
        {
          /* the first part's key (verb, code, status) is on the line already */
          if (i > 0)
            {
              g_string_append_c (out, '\n');
              width = 0;
            }
          append_spaces (out, MS_TEXT_FORMAT_EXPLAIN_COLUMN - width);
          if (i == 0 && first_key_on_line)
            g_string_append_printf (out, "%s" COLUMN_MARK "%s%s", dim, parts[i].text, reset);
          else
            g_string_append_printf (out, "%s" COLUMN_MARK "%s: %s%s", dim, parts[i].key,
                                    parts[i].text, reset);
        }
      else
        g_string_append_printf (out, "\n%s" WRAP_INDENT "%s: %s%s", dim, parts[i].key,
                                parts[i].text, reset);
    }
  g_string_append_c (out, '\n');
}

static const char *
reply_color (MsProtocol         protocol,
             const MsTraceLine *line)
{
  if (line->kind != MS_LINE_REPLY)
    return NULL;
  if (protocol == MS_PROTOCOL_SMTP)
    switch (line->code / 100)
      {
      case 2: return ANSI_GREEN;
      case 3: return ANSI_CYAN;
      case 4: return ANSI_YELLOW;
      case 5: return ANSI_RED;
      default: return NULL;
      }
  if (line->status != NULL)
    {
      if (strcmp (line->status, "+OK") == 0 || strcmp (line->status, "OK") == 0
          || strcmp (line->status, "PREAUTH") == 0)
        return ANSI_GREEN;
      if (strcmp (line->status, "NO") == 0 || strcmp (line->status, "BYE") == 0)
        return ANSI_YELLOW;
      return ANSI_RED;  /* -ERR, BAD */
    }
  if (protocol == MS_PROTOCOL_IMAP && line->text != NULL && line->text[0] == '+')
    return ANSI_CYAN;
  return NULL;
}

static const char *
line_prefix (const MsTraceLine *line,
             gboolean           protected)
{
  gboolean client = line->dir == MS_DIR_CLIENT;

  switch (line->kind)
    {
    case MS_LINE_DATA:
      return client ? " => " : "<=  ";
    case MS_LINE_NOTE:
      return "--  ";
    case MS_LINE_COMMAND:
    case MS_LINE_REPLY:
    case MS_LINE_AUTH:
    default:
      if (protected)
        return client ? " ~> " : "<~  ";
      return client ? " -> " : "<-  ";
    }
}

/* A server's SASL challenge ("334 VXNlcm5hbWU6", "+ PDE4OTYuNjk3QHBvc3Q+") decoded, when
 * it is printable text: it shows that base64 is an encoding anyone can undo. Only server
 * lines: the client's responses carry the credentials. */
static char *
decode_challenge (MsProtocol         protocol,
                  const MsTraceLine *line)
{
  const char *b64 = NULL;
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  if (line->dir != MS_DIR_SERVER || line->kind != MS_LINE_REPLY || line->text == NULL)
    return NULL;
  if (protocol == MS_PROTOCOL_SMTP && line->code == 334 && line->text[3] == ' ')
    b64 = line->text + 4;
  else if (protocol != MS_PROTOCOL_SMTP && line->text[0] == '+' && line->text[1] == ' '
           && line->status == NULL)
    b64 = line->text + 2;
  if (b64 == NULL || *b64 == '\0' || strlen (b64) % 4 != 0
      || strspn (b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
         != strlen (b64))
    return NULL;
  raw = g_base64_decode (b64, &len);
  if (len == 0 || !g_utf8_validate ((const char *) raw, (gssize) len, NULL))
    return NULL;
  for (gsize i = 0; i < len; i++)
    if (raw[i] < 0x20 || raw[i] == 0x7f)
      return NULL;
  return g_strndup ((const char *) raw, len);
}

static void
format_line_in_context (GString                   *out,
                        MsTraceSession            *session,
                        MsTraceLine               *line,
                        const LineContext         *ctx,
                        const MsTextFormatOptions *options)
{
  g_autofree char *text = ms_text_format_line_text (session->protocol, line,
                                                    options->show_secrets);
  g_autoptr(GString) body = g_string_new (NULL);
  const char *prefix = line_prefix (line, ctx->protected);
  const char *color = options->color ? reply_color (session->protocol, line) : NULL;
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  guint n_parts;
  g_autofree char *decoded = NULL;
  g_autofree char *hint = NULL;

  if (options->color && line->kind == MS_LINE_NOTE)
    color = ANSI_DIM;
  if (color != NULL)
    g_string_append (body, color);
  g_string_append (body, prefix);
  g_string_append (body, text);
  if (color != NULL)
    g_string_append (body, ANSI_RESET);
  if (options->explain && ctx->n_parts < MS_EXPLAIN_MAX_PARTS
      && (decoded = decode_challenge (session->protocol, line)) != NULL)
    {
      /* TRANSLATORS: what a base64 challenge of the server decodes to */
      hint = g_strdup_printf (_("decodes to “%s”"), decoded);
      memcpy (parts, ctx->parts, ctx->n_parts * sizeof parts[0]);
      parts[ctx->n_parts].key = "base64";
      parts[ctx->n_parts].text = hint;
      n_parts = ctx->n_parts + 1;
    }
  else
    {
      memcpy (parts, ctx->parts, ctx->n_parts * sizeof parts[0]);
      n_parts = ctx->n_parts;
    }
  append_with_explanations (out, body->str,
                            ms_text_format_display_width (prefix)
                            + ms_text_format_display_width (text),
                            parts, n_parts, !ctx->said_once, options);
}

/* Steps @st up to and including line @index, explaining only the last two lines (the
 * one before decides whether a repeated reply explanation is said again). */
static void
format_state_seek (FormatState *st,
                   guint        index,
                   LineContext *ctx)
{
  while (st->next <= index)
    format_state_step (st, ctx, st->next + 1 >= index);
}

/**
 * ms_text_format_line:
 * @out: where to append
 * @session: the session holding @line
 * @line: the line
 * @options: the options
 *
 * Appends one line (and its explanation). The reply is read in the context of the
 * session's earlier lines, which are scanned from the start; to print lines as they come,
 * an #MsTextFormatter remembers where it was, and ms_text_format_trace() walks a whole
 * trace once.
 */
void
ms_text_format_line (GString                   *out,
                     MsTraceSession            *session,
                     MsTraceLine               *line,
                     const MsTextFormatOptions *options)
{
  FormatState st;
  LineContext ctx;
  guint index;

  g_return_if_fail (out != NULL);
  g_return_if_fail (session != NULL);
  g_return_if_fail (line != NULL);
  g_return_if_fail (options != NULL);

  if (!g_ptr_array_find (session->lines, line, &index))
    {
      g_critical ("line is not in session %u", session->id);
      return;
    }
  format_state_init (&st, session);
  format_state_seek (&st, index, &ctx);
  format_line_in_context (out, session, line, &ctx, options);
  format_state_clear (&st);
}

struct _MsTextFormatter
{
  MsTextFormatOptions  options;
  GHashTable          *states;  /* MsTraceSession* -> FormatState* */
};

static void
format_state_free (gpointer data)
{
  format_state_clear (data);
  g_free (data);
}

/**
 * ms_text_formatter_new:
 * @options: the options, copied
 *
 * A formatter for lines that arrive one by one (the live lab): it keeps, per session,
 * the pairing of replies with commands, so each line costs the same however long the
 * session is. It holds session pointers without references: use it for one trace, and
 * call ms_text_formatter_forget_session() if a session could be freed before it.
 *
 * Returns: (transfer full): a new formatter
 */
MsTextFormatter *
ms_text_formatter_new (const MsTextFormatOptions *options)
{
  MsTextFormatter *self;

  g_return_val_if_fail (options != NULL, NULL);

  self = g_new0 (MsTextFormatter, 1);
  self->options = *options;
  self->states = g_hash_table_new_full (NULL, NULL, NULL, format_state_free);
  return self;
}

void
ms_text_formatter_free (MsTextFormatter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->states);
  g_free (self);
}

void
ms_text_formatter_forget_session (MsTextFormatter *self,
                                  MsTraceSession  *session)
{
  g_return_if_fail (self != NULL);
  g_hash_table_remove (self->states, session);
}

/**
 * ms_text_formatter_line:
 * @self: the formatter
 * @out: where to append
 * @session: the session holding @line
 * @line: the line; normally the one after the line formatted last in @session
 *
 * Appends the line as ms_text_format_line() does.
 */
void
ms_text_formatter_line (MsTextFormatter *self,
                        GString         *out,
                        MsTraceSession  *session,
                        MsTraceLine     *line)
{
  FormatState *st;
  LineContext ctx;
  guint index;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);
  g_return_if_fail (session != NULL);
  g_return_if_fail (line != NULL);

  /* the common case, the session's newest line, is found from the end */
  index = session->lines->len;
  while (index > 0 && g_ptr_array_index (session->lines, index - 1) != line)
    index--;
  if (index == 0)
    {
      g_critical ("line is not in session %u", session->id);
      return;
    }
  index--;

  st = g_hash_table_lookup (self->states, session);
  if (st != NULL && st->next > index)
    {
      g_hash_table_remove (self->states, session);  /* going back: start again */
      st = NULL;
    }
  if (st == NULL)
    {
      st = g_new0 (FormatState, 1);
      format_state_init (st, session);
      g_hash_table_insert (self->states, session, st);
    }
  format_state_seek (st, index, &ctx);
  format_line_in_context (out, session, line, &ctx, &self->options);
}

static const char *
port_of (const char *endpoint)
{
  const char *colon = endpoint != NULL ? strrchr (endpoint, ':') : NULL;

  return colon != NULL ? colon + 1 : NULL;
}

static char *
describe_end (const char *node,
              const char *endpoint)
{
  if (node != NULL && endpoint != NULL)
    return g_strdup_printf ("%s (%s)", node, endpoint);
  return g_strdup (node != NULL ? node : endpoint != NULL ? endpoint : "?");
}

/**
 * ms_text_format_session_header:
 * @out: where to append
 * @session: the session
 * @options: the options
 *
 * "=== session 3 · SMTP · 127.0.0.1:51234 → 127.0.0.1:2525 (STARTTLS)", and with
 * explanations what the server's port is for.
 */
void
ms_text_format_session_header (GString                   *out,
                               MsTraceSession            *session,
                               const MsTextFormatOptions *options)
{
  g_autofree char *client = NULL;
  g_autofree char *server = NULL;
  g_autofree char *protocol = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  MsExplanation part;
  const char *port;

  g_return_if_fail (out != NULL);
  g_return_if_fail (session != NULL);
  g_return_if_fail (options != NULL);

  client = describe_end (session->client_node, session->client);
  server = describe_end (session->server_node, session->server);
  protocol = g_ascii_strup (ms_protocol_to_string (session->protocol), -1);

  if (options->color)
    g_string_append (body, ANSI_BOLD);
  g_string_append (body, "=== ");
  /* TRANSLATORS: the header of one connection in a transcript */
  g_string_append_printf (body, _("session %u"), session->id);
  g_string_append_printf (body, " · %s · %s → %s", protocol, client, server);
  if (session->tls == MS_TLS_STARTTLS)
    g_string_append (body, " (STARTTLS)");
  else if (session->tls == MS_TLS_IMPLICIT)
    g_string_append_printf (body, " (%s)", _("implicit TLS"));
  if (options->color)
    g_string_append (body, ANSI_RESET);

  port = port_of (session->server);
  part.key = port;
  part.text = port != NULL ? ms_explain_port ((guint) g_ascii_strtoull (port, NULL, 10))
                           : NULL;
  /* a header is long: its explanation always goes under it */
  g_string_append (out, body->str);
  if (options->explain && part.text != NULL)
    g_string_append_printf (out, "\n%s" WRAP_INDENT "%s: %s%s",
                            options->color ? ANSI_DIM : "", part.key, part.text,
                            options->color ? ANSI_RESET : "");
  g_string_append_c (out, '\n');
}

static const char *
field (MsTraceEvent *event,
       const char   *name)
{
  JsonNode *node;

  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  node = json_object_get_member (event->fields, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Narration may come per language ("ja", "en") or as one "text". */
static const char *
narration_text (MsTraceEvent *event)
{
  const char * const *languages = g_get_language_names ();

  for (guint i = 0; languages[i] != NULL; i++)
    {
      const char *text = field (event, languages[i]);
      if (text != NULL)
        return text;
    }
  if (field (event, "text") != NULL)
    return field (event, "text");
  return field (event, "en");
}

static void
append_fields (GString      *s,
               MsTraceEvent *event,
               const char   *skip)
{
  g_autoptr(GList) members = NULL;
  gboolean first = TRUE;

  if (event->fields == NULL)
    return;
  members = json_object_get_members (event->fields);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (event->fields, name);
      g_autofree char *value = NULL;

      if (skip != NULL && strcmp (name, skip) == 0)
        continue;
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        value = g_strdup (json_node_get_string (node));
      else
        value = json_to_string (node, FALSE);
      g_string_append_printf (s, "%s%s=%s", first ? ": " : ", ", name, value);
      first = FALSE;
    }
}

/**
 * ms_text_format_event:
 * @out: where to append
 * @event: the event
 * @options: the options
 *
 * "!! blocked by router-isp: op25b", "** policy spf=fail at mx.b.example", narration, or
 * "** TYPE at NODE: key=value, ..." for other events.
 */
void
ms_text_format_event (GString                   *out,
                      MsTraceEvent              *event,
                      const MsTextFormatOptions *options)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *printed = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  const char *color = NULL;
  const char *reason = field (event, "reason");
  const char *check = field (event, "check");
  const char *result = field (event, "result");
  guint n_parts;

  g_return_if_fail (out != NULL);
  g_return_if_fail (event != NULL);
  g_return_if_fail (options != NULL);

  if (strcmp (event->type, "blocked") == 0)
    {
      color = ANSI_RED;
      g_string_append (text, "!! ");
      if (event->node != NULL && reason != NULL)
        /* TRANSLATORS: a router or firewall (first %s) dropped traffic; second %s: why */
        g_string_append_printf (text, _("blocked by %s: %s"), event->node, reason);
      else if (event->node != NULL)
        g_string_append_printf (text, _("blocked by %s"), event->node);
      else
        g_string_append_printf (text, _("blocked: %s"), reason != NULL ? reason : "?");
    }
  else if (strcmp (event->type, "policy") == 0 && check != NULL && result != NULL)
    {
      color = ANSI_MAGENTA;
      g_string_append (text, "** ");
      if (event->node != NULL)
        /* TRANSLATORS: "policy spf=fail at mx.b.example": a check, its result, the server */
        g_string_append_printf (text, _("policy %s=%s at %s"), check, result, event->node);
      else
        g_string_append_printf (text, _("policy %s=%s"), check, result);
      if (field (event, "address") != NULL)
        g_string_append_printf (text, ": %s", field (event, "address"));
      if (field (event, "reason") != NULL)
        g_string_append_printf (text, " (%s)", field (event, "reason"));
    }
  else if (strcmp (event->type, "narration") == 0 && narration_text (event) != NULL)
    {
      g_string_append (text, "»  ");
      g_string_append (text, narration_text (event));
    }
  else
    {
      color = ANSI_MAGENTA;
      g_string_append_printf (text, "** %s", event->type);
      if (event->node != NULL)
        g_string_append_printf (text, " @ %s", event->node);
      append_fields (text, event, NULL);
    }

  printed = printable (text->str, -1);
  if (options->color && color != NULL)
    g_string_append_printf (body, "%s%s%s", color, printed, ANSI_RESET);
  else
    g_string_append (body, printed);
  n_parts = ms_explain_event_parts (event, parts);
  append_with_explanations (out, body->str, ms_text_format_display_width (printed),
                            parts, n_parts, TRUE, options);
}

/**
 * ms_text_format_expectation:
 * @out: where to append
 * @text: what was expected
 * @ok: whether it held
 * @options: the options
 */
void
ms_text_format_expectation (GString                   *out,
                            const char                *text,
                            gboolean                   ok,
                            const MsTextFormatOptions *options)
{
  g_autofree char *printed = NULL;

  g_return_if_fail (out != NULL);
  g_return_if_fail (text != NULL);
  g_return_if_fail (options != NULL);

  printed = printable (text, -1);
  if (options->color)
    g_string_append (out, ok ? ANSI_GREEN : ANSI_RED);
  g_string_append_printf (out, "%s %s", ok ? "✔" : "✘", printed);
  if (options->color)
    g_string_append (out, ANSI_RESET);
  g_string_append_c (out, '\n');
}

static gboolean
session_known (MsTrace *trace,
               guint    id)
{
  return id != 0 && ms_trace_find_session (trace, id) != NULL;
}

/* Events that belong to no session, up to time @until (inclusive). */
static void
flush_global_events (GString                   *out,
                     MsTrace                   *trace,
                     guint                     *next_event,
                     gint64                     until,
                     const MsTextFormatOptions *options)
{
  guint n = ms_trace_get_n_events (trace);

  while (*next_event < n)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, *next_event);

      if (session_known (trace, event->session))
        {
          (*next_event)++;
          continue;
        }
      if (event->t_us > until)
        break;
      ms_text_format_event (out, event, options);
      (*next_event)++;
    }
}

/* The session's own events up to time @until (inclusive), in order. */
static void
flush_session_events (GString                   *out,
                      MsTrace                   *trace,
                      MsTraceSession            *session,
                      guint                     *next_event,
                      gint64                     until,
                      const MsTextFormatOptions *options)
{
  guint n = ms_trace_get_n_events (trace);

  while (*next_event < n)
    {
      MsTraceEvent *event = ms_trace_get_event (trace, *next_event);

      if (event->session != session->id)
        {
          (*next_event)++;
          continue;
        }
      if (event->t_us > until)
        break;
      ms_text_format_event (out, event, options);
      (*next_event)++;
    }
}

/* A student's note under its line, each of its lines marked; takes @note. */
static void
format_note (GString *out,
             char    *note)
{
  g_auto(GStrv) lines = NULL;

  if (note == NULL)
    return;
  lines = g_strsplit (note, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_string_append_printf (out, MS_TEXT_FORMAT_NOTE_PREFIX "%s\n", lines[i]);
  g_free (note);
}

/**
 * ms_text_format_session:
 *
 * One session of @trace as ms_text_format_trace shows it: the header, the lines in
 * context and the session's own events (a streaming reader calls it as each closes).
 */
void
ms_text_format_session (GString                   *out,
                        MsTrace                   *trace,
                        MsTraceSession            *session,
                        const MsTextFormatOptions *options)
{
  FormatState st;
  guint next_own = 0;

  ms_text_format_session_header (out, session, options);
  format_state_init (&st, session);
  while (st.next < session->lines->len)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, st.next);
      LineContext ctx;
      guint index = st.next;

      flush_session_events (out, trace, session, &next_own, line->t_us - 1, options);
      format_state_step (&st, &ctx, TRUE);
      format_line_in_context (out, session, line, &ctx, options);
      if (options->line_note != NULL)
        format_note (out, options->line_note (session, index, line, options->line_note_data));
    }
  format_state_clear (&st);
  flush_session_events (out, trace, session, &next_own, G_MAXINT64, options);
}

/**
 * ms_text_format_trace:
 * @out: where to append
 * @trace: the trace
 * @options: the options
 *
 * Every session in order, each with its own events where they happened; events of no
 * session between the sessions by time; the expectations at the end.
 */

void
ms_text_format_trace (GString                   *out,
                      MsTrace                   *trace,
                      const MsTextFormatOptions *options)
{
  guint next_global = 0;
  guint n_sessions;

  g_return_if_fail (out != NULL);
  g_return_if_fail (MS_IS_TRACE (trace));
  g_return_if_fail (options != NULL);

  n_sessions = ms_trace_get_n_sessions (trace);
  for (guint s = 0; s < n_sessions; s++)
    {
      MsTraceSession *session = ms_trace_get_session (trace, s);

      flush_global_events (out, trace, &next_global, session->opened_us, options);
      if (s > 0 || out->len > 0)
        g_string_append_c (out, '\n');
      ms_text_format_session (out, trace, session, options);
    }
  flush_global_events (out, trace, &next_global, G_MAXINT64, options);

  if (ms_trace_get_n_expectations (trace) > 0)
    {
      g_string_append_c (out, '\n');
      for (guint i = 0; i < ms_trace_get_n_expectations (trace); i++)
        {
          gboolean ok;
          const char *text = ms_trace_get_expectation (trace, i, &ok);

          ms_text_format_expectation (out, text, ok, options);
        }
    }
}
