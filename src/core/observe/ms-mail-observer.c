/* ms-mail-observer.c: SMTP, POP3 and IMAP sessions rebuilt from captured TCP streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each direction of a connection is a small state machine: lines, counted bytes (BDAT
 * chunks, IMAP literals), a dot-terminated body (DATA, RETR/TOP), held bytes (after a
 * STARTTLS request, until the reply says whether TLS starts) and TLS records. Commands
 * wait in a queue until their reply arrives, so pipelined commands (RFC 2920, RFC 2449)
 * and IMAP tags are paired with their completions.
 */
#define G_LOG_DOMAIN "ms-observe"

#include "config.h"

#include <string.h>

#include "ms-mail-observer.h"
#include "ms-message.h"

typedef enum
{
  MODE_LINE,
  MODE_BODY,      /* dot-terminated lines: SMTP DATA, POP3 multi-line responses */
  MODE_COUNTED,   /* a BDAT chunk or an IMAP literal */
  MODE_HOLD,      /* STARTTLS/STLS sent, waiting for the reply */
  MODE_TLS,       /* encrypted: only records and bytes are counted */
} DirMode;

typedef enum
{
  COUNTED_BDAT,
  COUNTED_LITERAL,
} CountedKind;

typedef struct
{
  GByteArray *buf;
  gsize       pos;
  GString    *line;            /* the line being handled, NUL-terminated */
  DirMode     mode;
  CountedKind counted_kind;
  gsize       remaining;
  gsize       counted_len;
  gboolean    resync;          /* skip up to the next LF (after a gap or an over-long line) */
  gboolean    midline;         /* the body's current line was cut (over-long) */
  /* a message or literal being collected */
  GByteArray *body;
  gboolean    body_wanted;     /* extract as a message when complete */
  gboolean    body_secret;     /* an IMAP LOGIN password literal */
  gboolean    body_show;       /* an IMAP LOGIN user name literal: shown as text */
  guint       body_lines;
  gsize       body_size;
  gsize       body_missing;
  gboolean    body_too_large;
  gboolean    continuation;    /* the next line continues an IMAP command/response */
  /* TLS */
  guint64     tls_bytes;
  guint       tls_records;
  guint8      tls_hdr[5];
  guint       tls_hdr_len;
  gsize       tls_left;
} DirState;

typedef struct
{
  char     *tag;    /* IMAP */
  char     *verb;   /* upper case */
  char     *arg;    /* the rest of the line */
  gboolean  intermediate;  /* SMTP DATA got its 354 */
  guint     n_literals;    /* IMAP literals sent with the command so far */
} PendingCmd;

typedef struct
{
  MsMailObserver *self;
  char           *client;
  char           *server;
  guint16         server_port;
  gint64          first_us;
  gboolean        classified;
  gboolean        ignored;
  MsProtocol      protocol;
  gboolean        implicit_tls;
  MsTraceSession *session;
  DirState        c;
  DirState        s;
  GQueue          pending;      /* of PendingCmd* */
  /* SMTP envelope */
  char           *mail_from;
  GPtrArray      *rcpt_to;
  /* SASL */
  gboolean        auth_active;  /* client lines are SASL responses */
  char           *auth_mech;
  guint           auth_step;
  gboolean        bdat_last;
  PendingCmd     *body_cmd;     /* POP3 multi-line: the command answered */
  gboolean        tls_noted;
} Conn;

struct _MsMailObserver
{
  GObject     parent_instance;

  MsTrace    *trace;
  gboolean    show_secrets;
  gboolean    forget_closed;
  gsize       body_hint;   /* the last message's size, the next one's first guess */
  gboolean    have_base;
  gint64      base_us;
  gint64      now_us;
  GHashTable *conns;   /* MsTcpConnInfo* -> Conn*, owned */
};

G_DEFINE_FINAL_TYPE (MsMailObserver, ms_mail_observer, G_TYPE_OBJECT)

static void process_dir (Conn *conn, MsDirection dir);
static char *envelope_path (const char *arg);
static void smtp_bdat_end (Conn *conn);
static void counted_end (Conn *conn, MsDirection dir);

char *
ms_observer_format_count (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static void
pending_cmd_free (PendingCmd *cmd)
{
  g_free (cmd->tag);
  g_free (cmd->verb);
  g_free (cmd->arg);
  g_free (cmd);
}

static void
dir_state_clear (DirState *d)
{
  g_clear_pointer (&d->buf, g_byte_array_unref);
  g_clear_pointer (&d->body, g_byte_array_unref);
  if (d->line != NULL)
    g_string_free (g_steal_pointer (&d->line), TRUE);
}

static void
conn_free (Conn *conn)
{
  dir_state_clear (&conn->c);
  dir_state_clear (&conn->s);
  g_queue_clear_full (&conn->pending, (GDestroyNotify) pending_cmd_free);
  g_clear_pointer (&conn->body_cmd, pending_cmd_free);
  g_free (conn->client);
  g_free (conn->server);
  g_free (conn->mail_from);
  g_free (conn->auth_mech);
  g_clear_pointer (&conn->rcpt_to, g_ptr_array_unref);
  g_free (conn);
}

static gint64
capture_clock (gpointer user_data)
{
  MsMailObserver *self = user_data;

  if (!self->have_base)
    return 0;
  return MAX (0, self->now_us - self->base_us);
}

static void
advance_clock (MsMailObserver *self,
               gint64          t_us)
{
  if (!self->have_base)
    {
      self->have_base = TRUE;
      self->base_us = t_us;
    }
  /* lines of a session never go back in time, even if the capture does */
  if (t_us > self->now_us)
    self->now_us = t_us;
}

static void
ms_mail_observer_finalize (GObject *object)
{
  MsMailObserver *self = MS_MAIL_OBSERVER (object);

  g_hash_table_destroy (self->conns);
  if (self->trace != NULL)
    ms_trace_set_clock (self->trace, NULL, NULL);
  g_clear_object (&self->trace);
  G_OBJECT_CLASS (ms_mail_observer_parent_class)->finalize (object);
}

static void
ms_mail_observer_class_init (MsMailObserverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ms_mail_observer_finalize;
}

static void
ms_mail_observer_init (MsMailObserver *self)
{
  self->conns = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) conn_free);
  self->body_hint = 16 * 1024;
}

MsMailObserver *
ms_mail_observer_new (MsTrace *trace)
{
  MsMailObserver *self;

  g_return_val_if_fail (MS_IS_TRACE (trace), NULL);

  self = g_object_new (MS_TYPE_MAIL_OBSERVER, NULL);
  self->trace = g_object_ref (trace);
  ms_trace_set_clock (trace, capture_clock, self);
  return self;
}

MsTrace *
ms_mail_observer_get_trace (MsMailObserver *self)
{
  g_return_val_if_fail (MS_IS_MAIL_OBSERVER (self), NULL);
  return self->trace;
}

void
ms_mail_observer_set_show_secrets (MsMailObserver *self,
                                   gboolean        show)
{
  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));
  self->show_secrets = show;
}

void
ms_mail_observer_set_forget_closed (MsMailObserver *self,
                                    gboolean        forget)
{
  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));
  self->forget_closed = forget;
}

/* ------------------------------------------------------------------------------------ */
/* Recording */

static MsTraceLine *
record (Conn        *conn,
        MsDirection  dir,
        MsLineKind   kind,
        const char  *text,
        gssize       len)
{
  return ms_trace_session_add_line (conn->session, dir, kind, text, len);
}

static void G_GNUC_PRINTF (3, 4)
note (Conn        *conn,
      MsDirection  dir,
      const char  *format,
      ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  record (conn, dir, MS_LINE_NOTE, text, -1);
}

static DirState *
dir_state (Conn        *conn,
           MsDirection  dir)
{
  return dir == MS_DIR_CLIENT ? &conn->c : &conn->s;
}

/* Printable text of decoded SASL data: controls shown as "\0", "\x01". */
static char *
printable_sasl (const guint8 *data,
                gsize         len)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (data[i] == 0)
        g_string_append (out, "\\0");
      else if (data[i] < 0x20 || data[i] == 0x7f)
        g_string_append_printf (out, "\\x%02x", data[i]);
      else
        g_string_append_c (out, (char) data[i]);
    }
  if (!g_utf8_validate (out->str, out->len, NULL))
    {
      char *valid = g_utf8_make_valid (out->str, out->len);
      g_string_free (out, TRUE);
      return valid;
    }
  return g_string_free (out, FALSE);
}

static guint8 *
decode_base64 (const char *text,
               gsize      *len)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));

  *len = 0;
  if (*copy == '\0' || strcmp (copy, "=") == 0)
    return NULL;
  for (const char *p = copy; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return NULL;
  return g_base64_decode (copy, len);
}

static const char *
mask (Conn       *conn,
      const char *secret)
{
  return conn->self->show_secrets ? secret : "********";
}

/* RFC 4616 PLAIN: [authzid] NUL authcid NUL passwd */
static void
note_plain (Conn         *conn,
            const guint8 *data,
            gsize         len)
{
  const guint8 *nul1 = memchr (data, 0, len);
  const guint8 *nul2;
  g_autofree char *user = NULL;
  g_autofree char *pass = NULL;

  if (nul1 == NULL)
    return;
  nul2 = memchr (nul1 + 1, 0, len - (gsize) (nul1 + 1 - data));
  if (nul2 == NULL)
    return;
  user = printable_sasl (nul1 + 1, (gsize) (nul2 - nul1 - 1));
  pass = printable_sasl (nul2 + 1, len - (gsize) (nul2 + 1 - data));
  note (conn, MS_DIR_CLIENT, "(AUTH PLAIN decoded: user \"%s\", password \"%s\")",
        user, mask (conn, pass));
}

/* A client SASL response (RFC 4954 §4, RFC 5034, RFC 3501 §6.2.2): decoded in a note. */
static void
note_sasl_response (Conn       *conn,
                    const char *text)
{
  gsize len;
  g_autofree guint8 *data = decode_base64 (text, &len);
  g_autofree char *shown = NULL;

  if (data == NULL || conn->auth_mech == NULL)
    return;
  conn->auth_step++;
  if (strcmp (conn->auth_mech, "PLAIN") == 0)
    note_plain (conn, data, len);
  else if (strcmp (conn->auth_mech, "LOGIN") == 0)
    {
      shown = printable_sasl (data, len);
      if (conn->auth_step == 1)
        note (conn, MS_DIR_CLIENT, "(AUTH LOGIN decoded: user \"%s\")", shown);
      else
        note (conn, MS_DIR_CLIENT, "(AUTH LOGIN decoded: password \"%s\")",
              mask (conn, shown));
    }
  else if (strcmp (conn->auth_mech, "CRAM-MD5") == 0)
    {
      /* RFC 2195: "user hexdigest"; the digest is no password */
      shown = printable_sasl (data, len);
      note (conn, MS_DIR_CLIENT, "(CRAM-MD5 decoded: user and digest \"%s\")", shown);
    }
}

static void
note_challenge (Conn       *conn,
                const char *text)
{
  gsize len;
  g_autofree guint8 *data = decode_base64 (text, &len);
  g_autofree char *shown = NULL;

  if (data == NULL)
    return;
  shown = printable_sasl (data, len);
  note (conn, MS_DIR_SERVER, "(challenge decoded: \"%s\")", shown);
}

/* ------------------------------------------------------------------------------------ */
/* Messages */

static void
body_begin (Conn     *conn,
            DirState *d,
            gboolean  wanted)
{
  gsize hint = conn->self->body_hint;

  g_clear_pointer (&d->body, g_byte_array_unref);
  /* sized like the last message: few reallocations */
  d->body = g_byte_array_sized_new ((guint) MIN (hint + hint / 2, 1024 * 1024));
  d->body_wanted = wanted;
  d->body_secret = FALSE;
  d->body_show = FALSE;
  d->body_lines = 0;
  d->body_size = 0;
  d->body_missing = 0;
  d->body_too_large = FALSE;
  d->midline = FALSE;
}

static void
body_append (DirState     *d,
             const guint8 *data,
             gsize         len)
{
  d->body_size += len;
  if (d->body == NULL)
    return;
  if (d->body->len + len > MS_OBSERVER_MAX_MESSAGE)
    {
      d->body_too_large = TRUE;
      return;
    }
  g_byte_array_append (d->body, data, (guint) len);
}

/* Hands a complete message to the trace (or says why it is not extracted). */
static void
extract_message (Conn        *conn,
                 MsDirection  dir,
                 DirState    *d,
                 gboolean     with_envelope)
{
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GPtrArray) rcpt = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *missing = NULL;
  g_autofree char *mail_from = NULL;
  MsTraceMessage *message;

  if (d->body == NULL || !d->body_wanted)
    goto out;
  if (d->body_missing > 0 || d->body_too_large)
    {
      missing = ms_observer_format_count (d->body_missing);
      if (d->body_too_large)
        note (conn, dir, "(message larger than %u MiB: not extracted)",
              (guint) (MS_OBSERVER_MAX_MESSAGE / (1024 * 1024)));
      else
        note (conn, dir, "(message incomplete, %s bytes missing: not extracted)", missing);
      goto out;
    }
  if (with_envelope)
    {
      mail_from = g_strdup (conn->mail_from);
      if (conn->rcpt_to != NULL)
        for (guint i = 0; i < conn->rcpt_to->len; i++)
          g_ptr_array_add (rcpt, g_strdup (g_ptr_array_index (conn->rcpt_to, i)));
      /* a client that did not wait for the replies (pipelining through DATA): the
       * envelope commands still unanswered are counted as they were sent */
      for (GList *l = conn->pending.head; l != NULL; l = l->next)
        {
          PendingCmd *cmd = l->data;

          if (strcmp (cmd->verb, "MAIL") == 0)
            {
              g_free (mail_from);
              mail_from = envelope_path (cmd->arg);
              g_ptr_array_set_size (rcpt, 0);
            }
          else if (strcmp (cmd->verb, "RCPT") == 0)
            g_ptr_array_add (rcpt, envelope_path (cmd->arg));
        }
    }
  g_ptr_array_add (rcpt, NULL);
  conn->self->body_hint = MAX (d->body->len, 1024);
  raw = g_byte_array_free_to_bytes (g_steal_pointer (&d->body));
  message = ms_trace_add_message (conn->self->trace, conn->session->id, NULL,
                                  mail_from ? mail_from : "",
                                  (const char * const *) rcpt->pdata, raw);
  /* streaming: "message-added" has let the reader write it out; the headers stay */
  if (conn->self->forget_closed)
    g_clear_pointer (&message->raw, g_bytes_unref);
out:
  g_clear_pointer (&d->body, g_byte_array_unref);
}

/* ------------------------------------------------------------------------------------ */
/* TLS */

static void
count_tls (DirState     *d,
           const guint8 *data,
           gsize         len)
{
  d->tls_bytes += len;
  while (len > 0)
    {
      if (d->tls_left > 0)
        {
          gsize n = MIN (len, d->tls_left);
          d->tls_left -= n;
          data += n;
          len -= n;
          continue;
        }
      d->tls_hdr[d->tls_hdr_len++] = *data++;
      len--;
      if (d->tls_hdr_len == 5)
        {
          /* RFC 8446 §5.1: type, legacy version, 16-bit length */
          d->tls_records++;
          d->tls_left = ((gsize) d->tls_hdr[3] << 8) | d->tls_hdr[4];
          d->tls_hdr_len = 0;
        }
    }
}

static void
start_tls (Conn *conn)
{
  conn->c.mode = MODE_TLS;
  conn->s.mode = MODE_TLS;
  conn->auth_active = FALSE;
  g_queue_clear_full (&conn->pending, (GDestroyNotify) pending_cmd_free);
  if (conn->session != NULL && conn->session->tls == MS_TLS_NONE)
    ms_trace_session_set_tls (conn->session, MS_TLS_STARTTLS);
}

static void
note_tls (Conn *conn)
{
  g_autofree char *cs = NULL;
  g_autofree char *sc = NULL;

  if (conn->tls_noted || conn->c.mode != MODE_TLS)
    return;
  conn->tls_noted = TRUE;
  cs = ms_observer_format_count (conn->c.tls_bytes);
  sc = ms_observer_format_count (conn->s.tls_bytes);
  note (conn, MS_DIR_CLIENT,
        "(TLS: %u records, %s bytes client\u2192server, %s server\u2192client)",
        conn->c.tls_records + conn->s.tls_records, cs, sc);
}

/* ------------------------------------------------------------------------------------ */
/* Commands */

static PendingCmd *
parse_command (const char *line,
               gboolean    tagged)
{
  PendingCmd *cmd = g_new0 (PendingCmd, 1);
  const char *p = line;
  const char *sp;

  if (tagged)
    {
      sp = strchr (p, ' ');
      cmd->tag = sp ? g_strndup (p, (gsize) (sp - p)) : g_strdup (p);
      p = sp ? sp + 1 : p + strlen (p);
    }
  sp = strchr (p, ' ');
  cmd->verb = g_ascii_strup (p, sp ? sp - p : -1);
  cmd->arg = g_strdup (sp ? sp + 1 : "");
  if (tagged && strcmp (cmd->verb, "UID") == 0 && sp != NULL)
    {
      const char *q = sp + 1;
      const char *sp2 = strchr (q, ' ');
      g_autofree char *sub = g_ascii_strup (q, sp2 ? sp2 - q : -1);

      g_free (cmd->verb);
      cmd->verb = g_strconcat ("UID ", sub, NULL);
      g_free (cmd->arg);
      cmd->arg = g_strdup (sp2 ? sp2 + 1 : "");
    }
  return cmd;
}

/* The reverse-path or forward-path of MAIL FROM:<x> / RCPT TO:<x> (RFC 5321 §4.1.2). */
static char *
envelope_path (const char *arg)
{
  const char *colon = strchr (arg, ':');
  const char *lt;
  const char *gt;

  if (colon == NULL)
    return g_strdup ("");
  lt = strchr (colon, '<');
  if (lt == NULL)
    {
      const char *start = colon + 1;
      const char *end;

      while (*start == ' ')
        start++;
      end = strchr (start, ' ');
      return end ? g_strndup (start, (gsize) (end - start)) : g_strdup (start);
    }
  gt = strchr (lt, '>');
  return gt ? g_strndup (lt + 1, (gsize) (gt - lt - 1)) : g_strdup (lt + 1);
}

static void
reset_envelope (Conn *conn)
{
  g_clear_pointer (&conn->mail_from, g_free);
  if (conn->rcpt_to != NULL)
    g_ptr_array_set_size (conn->rcpt_to, 0);
}

/* "{123}" or "{123+}" at the end of an IMAP line (RFC 3501 §4.3, RFC 7888). */
static gboolean
trailing_literal (const char *line,
                  gsize       len,
                  gsize      *size)
{
  gsize i;
  guint64 n = 0;
  guint64 mult = 1;

  if (len < 3 || line[len - 1] != '}')
    return FALSE;
  i = len - 2;
  if (line[i] == '+')
    {
      if (i == 0)
        return FALSE;
      i--;
    }
  if (!g_ascii_isdigit (line[i]))
    return FALSE;
  while (i > 0 && g_ascii_isdigit (line[i]))
    {
      if (mult > G_GUINT64_CONSTANT (1000000000000))
        return FALSE;
      n += (guint64) (line[i] - '0') * mult;
      mult *= 10;
      i--;
    }
  if (line[i] != '{')
    return FALSE;
  if (n > G_MAXSIZE / 2)
    return FALSE;
  *size = (gsize) n;
  return TRUE;
}

static void
enter_counted (DirState    *d,
               CountedKind  kind,
               gsize        size)
{
  d->mode = MODE_COUNTED;
  d->counted_kind = kind;
  d->remaining = size;
  d->counted_len = size;
}

/* ------------------------------------------------------------------------------------ */
/* SMTP (RFC 5321) */

static void
smtp_client_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  PendingCmd *cmd;
  g_auto(GStrv) words = NULL;

  if (conn->auth_active)
    {
      record (conn, MS_DIR_CLIENT, MS_LINE_AUTH, line, (gssize) len);
      note_sasl_response (conn, line);
      return;
    }
  record (conn, MS_DIR_CLIENT, MS_LINE_COMMAND, line, (gssize) len);
  cmd = parse_command (line, FALSE);
  g_queue_push_tail (&conn->pending, cmd);

  if (strcmp (cmd->verb, "DATA") == 0)
    {
      /* RFC 5321 §4.1.1.4: the body follows the 354 (or is refused: see the reply) */
      conn->c.mode = MODE_BODY;
      body_begin (conn, &conn->c, TRUE);
    }
  else if (strcmp (cmd->verb, "BDAT") == 0)
    {
      /* RFC 3030 §2: BDAT size [LAST], then exactly size octets */
      guint64 size;

      words = g_strsplit (cmd->arg, " ", 3);
      if (words[0] != NULL && g_ascii_string_to_unsigned (words[0], 10, 0,
                                                          MS_OBSERVER_MAX_MESSAGE * 16,
                                                          &size, NULL))
        {
          conn->bdat_last = words[1] != NULL && g_ascii_strcasecmp (words[1], "LAST") == 0;
          if (conn->c.body == NULL)
            body_begin (conn, &conn->c, TRUE);
          enter_counted (&conn->c, COUNTED_BDAT, (gsize) size);
          if (size == 0)
            smtp_bdat_end (conn);  /* "BDAT 0 LAST" ends the message with no octets */
        }
    }
  else if (strcmp (cmd->verb, "STARTTLS") == 0)
    conn->c.mode = MODE_HOLD;  /* RFC 3207 §4: TLS starts after a 220 */
  else if (strcmp (cmd->verb, "AUTH") == 0)
    {
      /* RFC 4954 §4: AUTH mechanism [initial-response] */
      words = g_strsplit (cmd->arg, " ", 2);
      g_free (conn->auth_mech);
      conn->auth_mech = g_ascii_strup (words[0] ? words[0] : "", -1);
      conn->auth_step = 0;
      if (words[0] != NULL && words[1] != NULL)
        {
          if (strcmp (conn->auth_mech, "LOGIN") == 0)
            conn->auth_step = 0;  /* the initial response is the user name */
          note_sasl_response (conn, words[1]);
        }
    }
}

static void
smtp_body_end (Conn *conn)
{
  DirState *d = &conn->c;
  char summary[96];

  g_snprintf (summary, sizeof summary, "(message: %u lines, %" G_GSIZE_FORMAT " bytes)",
              d->body_lines, d->body_size);
  record (conn, MS_DIR_CLIENT, MS_LINE_DATA, summary, -1);
  record (conn, MS_DIR_CLIENT, MS_LINE_DATA, ".", 1);
  extract_message (conn, MS_DIR_CLIENT, d, TRUE);
  d->mode = MODE_LINE;
}

static void
smtp_bdat_end (Conn *conn)
{
  DirState *d = &conn->c;
  char summary[96];

  g_snprintf (summary, sizeof summary, "(BDAT chunk: %" G_GSIZE_FORMAT " bytes)",
              d->counted_len);
  record (conn, MS_DIR_CLIENT, MS_LINE_DATA, summary, -1);
  d->mode = MODE_LINE;
  if (conn->bdat_last)
    {
      extract_message (conn, MS_DIR_CLIENT, d, TRUE);
      conn->bdat_last = FALSE;
    }
}

static void
smtp_server_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  PendingCmd *cmd;
  int code = 0;
  gboolean final;

  record (conn, MS_DIR_SERVER, MS_LINE_REPLY, line, (gssize) len);
  if (len < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1])
      || !g_ascii_isdigit (line[2]))
    return;
  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  final = len == 3 || line[3] != '-';  /* RFC 5321 §4.2.1: "250-" continues */
  if (!final)
    return;

  cmd = g_queue_peek_head (&conn->pending);
  if (code == 334)
    {
      /* RFC 4954 §4: a challenge; the client answers with a SASL response line */
      conn->auth_active = TRUE;
      note_challenge (conn, len > 4 ? line + 4 : "");
      return;
    }
  if (cmd == NULL)
    return;  /* the greeting, or a reply to nothing we saw */

  if (strcmp (cmd->verb, "DATA") == 0 && code == 354 && !cmd->intermediate)
    {
      cmd->intermediate = TRUE;  /* the final reply comes after the body */
      return;
    }
  cmd = g_queue_pop_head (&conn->pending);

  if (strcmp (cmd->verb, "MAIL") == 0 && code / 100 == 2)
    {
      g_free (conn->mail_from);
      conn->mail_from = envelope_path (cmd->arg);
      if (conn->rcpt_to != NULL)
        g_ptr_array_set_size (conn->rcpt_to, 0);
    }
  else if (strcmp (cmd->verb, "RCPT") == 0 && code / 100 == 2)
    {
      if (conn->rcpt_to == NULL)
        conn->rcpt_to = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (conn->rcpt_to, envelope_path (cmd->arg));
    }
  else if ((strcmp (cmd->verb, "RSET") == 0 || strcmp (cmd->verb, "EHLO") == 0
            || strcmp (cmd->verb, "HELO") == 0) && code / 100 == 2)
    reset_envelope (conn);
  else if (strcmp (cmd->verb, "DATA") == 0)
    {
      /* refused DATA: the client sends no body (unless it already started) */
      if (!cmd->intermediate && conn->c.mode == MODE_BODY && conn->c.body_size == 0
          && conn->c.body_lines == 0)
        {
          conn->c.mode = MODE_LINE;
          g_clear_pointer (&conn->c.body, g_byte_array_unref);
        }
      if (cmd->intermediate && code / 100 == 2)
        reset_envelope (conn);  /* RFC 5321 §4.1.1.4: the transaction is over */
    }
  else if (strcmp (cmd->verb, "BDAT") == 0 && code / 100 == 2 && !conn->bdat_last
           && conn->c.body == NULL)
    reset_envelope (conn);
  else if (strcmp (cmd->verb, "AUTH") == 0)
    conn->auth_active = FALSE;
  else if (strcmp (cmd->verb, "STARTTLS") == 0)
    {
      if (code == 220)
        {
          pending_cmd_free (cmd);
          start_tls (conn);
          process_dir (conn, MS_DIR_CLIENT);
          return;
        }
      if (conn->c.mode == MODE_HOLD)
        {
          conn->c.mode = MODE_LINE;
          pending_cmd_free (cmd);
          process_dir (conn, MS_DIR_CLIENT);
          return;
        }
    }
  pending_cmd_free (cmd);
}

/* ------------------------------------------------------------------------------------ */
/* POP3 (RFC 1939) */

static gboolean
pop3_multiline (PendingCmd *cmd)
{
  /* RFC 1939 §5, RFC 2449 §5 (CAPA), RFC 5034 (AUTH without argument lists mechanisms) */
  if (strcmp (cmd->verb, "RETR") == 0 || strcmp (cmd->verb, "TOP") == 0
      || strcmp (cmd->verb, "CAPA") == 0)
    return TRUE;
  if (strcmp (cmd->verb, "LIST") == 0 || strcmp (cmd->verb, "UIDL") == 0
      || strcmp (cmd->verb, "AUTH") == 0)
    return cmd->arg[0] == '\0';
  return FALSE;
}

static gboolean
pop3_message_cmd (PendingCmd *cmd)
{
  return cmd != NULL && (strcmp (cmd->verb, "RETR") == 0 || strcmp (cmd->verb, "TOP") == 0);
}

static void
pop3_client_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  PendingCmd *cmd;
  g_auto(GStrv) words = NULL;

  if (conn->auth_active)
    {
      record (conn, MS_DIR_CLIENT, MS_LINE_AUTH, line, (gssize) len);
      note_sasl_response (conn, line);
      return;
    }
  record (conn, MS_DIR_CLIENT, MS_LINE_COMMAND, line, (gssize) len);
  cmd = parse_command (line, FALSE);
  g_queue_push_tail (&conn->pending, cmd);
  if (strcmp (cmd->verb, "STLS") == 0)
    conn->c.mode = MODE_HOLD;  /* RFC 2595 §4 */
  else if (strcmp (cmd->verb, "AUTH") == 0 && cmd->arg[0] != '\0')
    {
      words = g_strsplit (cmd->arg, " ", 2);
      g_free (conn->auth_mech);
      conn->auth_mech = g_ascii_strup (words[0], -1);
      conn->auth_step = 0;
      if (words[1] != NULL)
        note_sasl_response (conn, words[1]);
    }
}

static void
pop3_server_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  PendingCmd *cmd;
  gboolean ok;

  record (conn, MS_DIR_SERVER, MS_LINE_REPLY, line, (gssize) len);
  if (line[0] == '+' && (len == 1 || line[1] == ' '))
    {
      /* RFC 5034 §4: a SASL continuation */
      conn->auth_active = TRUE;
      note_challenge (conn, len > 2 ? line + 2 : "");
      return;
    }
  ok = g_str_has_prefix (line, "+OK");
  if (!ok && !g_str_has_prefix (line, "-ERR"))
    return;
  cmd = g_queue_pop_head (&conn->pending);
  if (cmd == NULL)
    return;  /* the greeting */
  if (strcmp (cmd->verb, "AUTH") == 0)
    conn->auth_active = FALSE;
  if (ok && pop3_multiline (cmd))
    {
      conn->s.mode = MODE_BODY;
      body_begin (conn, &conn->s, pop3_message_cmd (cmd));
      conn->body_cmd = cmd;
      return;
    }
  if (strcmp (cmd->verb, "STLS") == 0)
    {
      pending_cmd_free (cmd);
      if (ok)
        start_tls (conn);
      else if (conn->c.mode == MODE_HOLD)
        conn->c.mode = MODE_LINE;
      process_dir (conn, MS_DIR_CLIENT);
      return;
    }
  pending_cmd_free (cmd);
}

static void
pop3_body_end (Conn *conn)
{
  DirState *d = &conn->s;
  PendingCmd *cmd = conn->body_cmd;

  if (pop3_message_cmd (cmd))
    {
      g_autofree char *summary =
        g_strdup_printf ("(message: %u lines, %" G_GSIZE_FORMAT " bytes)",
                         d->body_lines, d->body_size);
      record (conn, MS_DIR_SERVER, MS_LINE_DATA, summary, -1);
      extract_message (conn, MS_DIR_SERVER, d, FALSE);
    }
  record (conn, MS_DIR_SERVER, MS_LINE_DATA, ".", 1);
  g_clear_pointer (&d->body, g_byte_array_unref);
  g_clear_pointer (&conn->body_cmd, pending_cmd_free);
  d->mode = MODE_LINE;
}

/* ------------------------------------------------------------------------------------ */
/* IMAP (RFC 3501 / RFC 9051) */

static PendingCmd *
imap_take_tag (Conn       *conn,
               const char *tag)
{
  for (GList *l = conn->pending.head; l != NULL; l = l->next)
    {
      PendingCmd *cmd = l->data;

      if (cmd->tag != NULL && strcmp (cmd->tag, tag) == 0)
        {
          g_queue_delete_link (&conn->pending, l);
          return cmd;
        }
    }
  return NULL;
}

static PendingCmd *
imap_last_cmd (Conn *conn)
{
  return g_queue_peek_tail (&conn->pending);
}

static void
imap_client_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  DirState *d = &conn->c;
  PendingCmd *cmd = NULL;
  gsize size;
  gboolean literal;

  if (conn->auth_active && !d->continuation)
    {
      record (conn, MS_DIR_CLIENT, MS_LINE_AUTH, line, (gssize) len);
      note_sasl_response (conn, line);
      return;
    }
  literal = trailing_literal (line, len, &size);
  if (d->continuation)
    {
      /* the rest of a command after a literal */
      if (len > 0)
        record (conn, MS_DIR_CLIENT, MS_LINE_DATA, line, (gssize) len);
      cmd = imap_last_cmd (conn);
    }
  else
    {
      record (conn, MS_DIR_CLIENT, MS_LINE_COMMAND, line, (gssize) len);
      if (strcmp (line, "DONE") == 0 || len == 0)
        return;  /* RFC 2177: the end of IDLE */
      cmd = parse_command (line, TRUE);
      g_queue_push_tail (&conn->pending, cmd);
      if (strcmp (cmd->verb, "STARTTLS") == 0)
        conn->c.mode = MODE_HOLD;
      else if (strcmp (cmd->verb, "AUTHENTICATE") == 0)
        {
          g_auto(GStrv) words = g_strsplit (cmd->arg, " ", 2);

          g_free (conn->auth_mech);
          conn->auth_mech = g_ascii_strup (words[0] ? words[0] : "", -1);
          conn->auth_step = 0;
          if (words[0] != NULL && words[1] != NULL)
            note_sasl_response (conn, words[1]);  /* RFC 4959 SASL-IR */
        }
    }
  d->continuation = FALSE;
  if (literal)
    {
      gboolean append = cmd != NULL && (strcmp (cmd->verb, "APPEND") == 0);

      enter_counted (d, COUNTED_LITERAL, size);
      body_begin (conn, d, append);
      if (cmd != NULL && strcmp (cmd->verb, "LOGIN") == 0)
        {
          /* RFC 3501 §6.2.3: LOGIN userid password */
          d->body_show = cmd->n_literals == 0;
          d->body_secret = cmd->n_literals > 0;
        }
      if (cmd != NULL)
        cmd->n_literals++;
      if (size == 0)
        counted_end (conn, MS_DIR_CLIENT);
    }
}

/* Whether the literal announced at the end of a FETCH response is a whole message. */
static gboolean
imap_message_literal (const char *line,
                      gsize       len)
{
  const char *brace = g_strrstr_len (line, (gssize) len, "{");
  g_autofree char *before = NULL;

  if (brace == NULL)
    return FALSE;
  before = g_ascii_strup (line, brace - line);
  g_strchomp (before);
  /* RFC 3501 §7.4.2: BODY[] and RFC822 are the whole message */
  return g_str_has_suffix (before, "BODY[]") || g_str_has_suffix (before, "RFC822")
         || g_str_has_suffix (before, "BINARY[]") || g_str_has_suffix (before, "BODY[]<0>");
}

static void
imap_server_line (Conn       *conn,
                  const char *line,
                  gsize       len)
{
  DirState *d = &conn->s;
  gsize size;
  gboolean literal = trailing_literal (line, len, &size);
  gboolean continuation = d->continuation;

  d->continuation = FALSE;
  if (continuation)
    {
      if (len > 0)
        record (conn, MS_DIR_SERVER, MS_LINE_DATA, line, (gssize) len);
    }
  else
    {
      record (conn, MS_DIR_SERVER, MS_LINE_REPLY, line, (gssize) len);
      if (line[0] == '+')
        {
          PendingCmd *cmd = imap_last_cmd (conn);

          /* RFC 3501 §7.5: continuation; for AUTHENTICATE a challenge */
          if (cmd != NULL && strcmp (cmd->verb, "AUTHENTICATE") == 0)
            {
              conn->auth_active = TRUE;
              note_challenge (conn, len > 2 ? line + 2 : "");
            }
        }
      else if (line[0] != '*')
        {
          const char *sp = memchr (line, ' ', len);
          g_autofree char *tag = g_strndup (line, sp ? (gsize) (sp - line) : len);
          PendingCmd *cmd = imap_take_tag (conn, tag);
          gboolean ok = sp != NULL && g_ascii_strncasecmp (sp + 1, "OK", 2) == 0;

          if (cmd != NULL)
            {
              gboolean tls = strcmp (cmd->verb, "STARTTLS") == 0;

              if (strcmp (cmd->verb, "AUTHENTICATE") == 0)
                conn->auth_active = FALSE;
              pending_cmd_free (cmd);
              if (tls)
                {
                  if (ok)
                    start_tls (conn);
                  else if (conn->c.mode == MODE_HOLD)
                    conn->c.mode = MODE_LINE;
                  process_dir (conn, MS_DIR_CLIENT);
                  return;
                }
            }
        }
    }
  if (literal)
    {
      enter_counted (d, COUNTED_LITERAL, size);
      body_begin (conn, d, imap_message_literal (line, len));
      if (size == 0)
        counted_end (conn, MS_DIR_SERVER);
    }
}

static void
counted_end (Conn        *conn,
             MsDirection  dir)
{
  DirState *d = dir_state (conn, dir);

  if (d->counted_kind == COUNTED_BDAT)
    {
      smtp_bdat_end (conn);
      return;
    }
  if (d->body_secret && d->body != NULL)
    {
      /* an IMAP LOGIN argument sent as a literal: shown like the quoted form */
      MsTraceLine *line = record (conn, dir, MS_LINE_AUTH, (const char *) d->body->data,
                                  d->body->len);
      line->secret = TRUE;
    }
  else if (d->body_show && d->body != NULL)
    record (conn, dir, MS_LINE_DATA, (const char *) d->body->data, d->body->len);
  else
    {
      g_autofree char *summary =
        g_strdup_printf ("(%" G_GSIZE_FORMAT " octets of literal data)", d->counted_len);
      record (conn, dir, MS_LINE_DATA, summary, -1);
      extract_message (conn, dir, d, FALSE);
    }
  g_clear_pointer (&d->body, g_byte_array_unref);
  d->mode = MODE_LINE;
  d->continuation = TRUE;
}

/* ------------------------------------------------------------------------------------ */
/* Lines */

static void
handle_line (Conn        *conn,
             MsDirection  dir,
             const char  *line,
             gsize        len)
{
  switch (conn->protocol)
    {
    case MS_PROTOCOL_SMTP:
      if (dir == MS_DIR_CLIENT)
        smtp_client_line (conn, line, len);
      else
        smtp_server_line (conn, line, len);
      break;
    case MS_PROTOCOL_POP3:
      if (dir == MS_DIR_CLIENT)
        pop3_client_line (conn, line, len);
      else
        pop3_server_line (conn, line, len);
      break;
    case MS_PROTOCOL_IMAP:
      if (dir == MS_DIR_CLIENT)
        imap_client_line (conn, line, len);
      else
        imap_server_line (conn, line, len);
      break;
    default:
      record (conn, dir, dir == MS_DIR_CLIENT ? MS_LINE_COMMAND : MS_LINE_REPLY, line,
              (gssize) len);
      break;
    }
}

/* One line of a dot-terminated body (RFC 5321 §4.5.2, RFC 1939 §3). */
static void
body_line (Conn         *conn,
           MsDirection   dir,
           const guint8 *line,
           gsize         len,
           gboolean      complete)
{
  DirState *d = dir_state (conn, dir);
  gsize wire = len;

  if (!d->midline && complete)
    {
      gsize text_len = len;

      if (text_len > 0 && line[text_len - 1] == '\n')
        text_len--;
      if (text_len > 0 && line[text_len - 1] == '\r')
        text_len--;
      if (text_len == 1 && line[0] == '.')
        {
          if (conn->protocol == MS_PROTOCOL_SMTP)
            smtp_body_end (conn);
          else
            pop3_body_end (conn);
          return;
        }
    }
  if (conn->protocol == MS_PROTOCOL_POP3 && !d->body_wanted)
    {
      /* a listing (CAPA, LIST, UIDL): its lines are shown */
      gsize text_len = len;

      while (text_len > 0 && (line[text_len - 1] == '\n' || line[text_len - 1] == '\r'))
        text_len--;
      if (complete || text_len > 0)
        record (conn, dir, MS_LINE_REPLY, (const char *) line, (gssize) text_len);
      d->midline = !complete;
      return;
    }
  if (!d->midline && len > 0 && line[0] == '.')
    {
      line++;  /* dot-stuffing removed */
      len--;
    }
  body_append (d, line, len);
  d->body_size = d->body_size - len + wire;  /* body_size counts wire bytes */
  if (complete)
    d->body_lines++;
  d->midline = !complete;
}

/* Complete lines at @data up to the next line that starts with "." (or up to the last
 * line end): their length (0 when there is none) and their number in @lines. */
static gsize
body_run (const guint8 *data,
          gsize         avail,
          guint        *lines)
{
  const guint8 *end = data + avail;
  const guint8 *p = data;
  const guint8 *last = NULL;
  const guint8 *lf;

  *lines = 0;
  while ((lf = memchr (p, '\n', (gsize) (end - p))) != NULL)
    {
      (*lines)++;
      last = lf;
      p = lf + 1;
      if (p < end && *p == '.')
        break;
    }
  return last != NULL ? (gsize) (last - data) + 1 : 0;
}

/* Reads what it can of @bytes (the direction's buffer or, when that is empty, a
 * segment straight from the reassembler); returns how much, the rest waits for more. */
static gsize
process_bytes (Conn         *conn,
               MsDirection   dir,
               const guint8 *bytes,
               gsize         len)
{
  DirState *d = dir_state (conn, dir);
  gsize pos = 0;

  while (pos < len)
    {
      const guint8 *data = bytes + pos;
      gsize avail = len - pos;
      const guint8 *lf;
      gsize n;

      switch (d->mode)
        {
        case MODE_TLS:
          count_tls (d, data, avail);
          pos += avail;
          continue;
        case MODE_HOLD:
          return pos;
        case MODE_COUNTED:
          n = MIN (avail, d->remaining);
          if (d->body != NULL)
            body_append (d, data, n);
          pos += n;
          d->remaining -= n;
          if (d->remaining == 0)
            counted_end (conn, dir);
          continue;
        case MODE_LINE:
        case MODE_BODY:
        default:
          break;
        }

      if (d->mode == MODE_BODY && !d->resync && !d->midline && data[0] != '.'
          && (conn->protocol != MS_PROTOCOL_POP3 || d->body_wanted))
        {
          /* message text: only a line that starts with "." needs a look (the end, or
           * dot-stuffing); the complete lines before it are taken in one piece */
          guint lines;
          gsize run = body_run (data, avail, &lines);

          if (run > 0)
            {
              body_append (d, data, run);
              d->body_lines += lines;
              pos += run;
              continue;
            }
        }

      lf = memchr (data, '\n', MIN (avail, (gsize) MS_OBSERVER_MAX_LINE));
      if (d->resync)
        {
          if (lf == NULL)
            {
              pos += MIN (avail, (gsize) MS_OBSERVER_MAX_LINE);
              continue;
            }
          pos += (gsize) (lf - data) + 1;
          d->resync = FALSE;
          continue;
        }
      if (lf == NULL)
        {
          if (avail < MS_OBSERVER_MAX_LINE)
            return pos;
          /* an over-long line: the body keeps it, a command line is cut */
          if (d->mode == MODE_BODY)
            {
              body_line (conn, dir, data, MS_OBSERVER_MAX_LINE, FALSE);
              pos += MS_OBSERVER_MAX_LINE;
              continue;
            }
          n = MS_OBSERVER_MAX_LINE;
          pos += n;
          d->resync = TRUE;
          note (conn, dir, "(line longer than %u bytes: cut)", (guint) MS_OBSERVER_MAX_LINE);
        }
      else
        {
          n = (gsize) (lf - data) + 1;
          pos += n;
        }

      if (d->mode == MODE_BODY)
        body_line (conn, dir, data, n, lf != NULL);
      else
        {
          gsize text_len = n;
          const guint8 *nul;

          if (text_len > 0 && data[text_len - 1] == '\n')
            text_len--;
          if (text_len > 0 && data[text_len - 1] == '\r')
            text_len--;
          /* an embedded NUL ends the text: the line is recorded up to it */
          nul = memchr (data, '\0', text_len);
          if (nul != NULL)
            text_len = (gsize) (nul - data);
          /* a NUL-terminated copy in the direction's own scratch (no allocation) */
          g_string_truncate (d->line, 0);
          g_string_append_len (d->line, (const char *) data, (gssize) text_len);
          handle_line (conn, dir, d->line->str, text_len);
        }
    }
  return pos;
}

static void
process_dir (Conn        *conn,
             MsDirection  dir)
{
  DirState *d = dir_state (conn, dir);

  if (d->buf == NULL || d->pos >= d->buf->len)
    return;
  d->pos += process_bytes (conn, dir, d->buf->data + d->pos, d->buf->len - d->pos);
  if (d->pos > 0)
    {
      g_byte_array_remove_range (d->buf, 0, (guint) d->pos);
      d->pos = 0;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Classification */

static MsProtocol
protocol_by_port (guint16 port)
{
  switch (port)
    {
    case 25: case 465: case 587: case 2525:
      return MS_PROTOCOL_SMTP;
    case 110: case 995:
      return MS_PROTOCOL_POP3;
    case 143: case 993:
      return MS_PROTOCOL_IMAP;
    default:
      return MS_PROTOCOL_UNKNOWN;
    }
}

static gboolean
has_line (DirState *d)
{
  return d->buf != NULL && d->buf->len > 0 && memchr (d->buf->data, '\n', d->buf->len) != NULL;
}

static gboolean
starts_with (DirState   *d,
             const char *prefix,
             gboolean    ignore_case)
{
  gsize n = strlen (prefix);

  if (d->buf == NULL || d->buf->len < n)
    return FALSE;
  return ignore_case ? g_ascii_strncasecmp ((const char *) d->buf->data, prefix, n) == 0
                     : memcmp (d->buf->data, prefix, n) == 0;
}

static gboolean
is_tls_record (DirState *d)
{
  /* RFC 8446 §5.1: handshake (22), major version 3 */
  return d->buf != NULL && d->buf->len >= 2 && d->buf->data[0] == 0x16
         && d->buf->data[1] == 0x03;
}

static MsProtocol
classify_server (DirState *d)
{
  if (!has_line (d))
    return MS_PROTOCOL_UNKNOWN;
  if (starts_with (d, "+OK", FALSE) || starts_with (d, "-ERR", FALSE))
    return MS_PROTOCOL_POP3;
  if (starts_with (d, "* OK", TRUE) || starts_with (d, "* PREAUTH", TRUE)
      || starts_with (d, "* BYE", TRUE))
    return MS_PROTOCOL_IMAP;
  if (d->buf->len >= 4 && g_ascii_isdigit (d->buf->data[0]) && g_ascii_isdigit (d->buf->data[1])
      && g_ascii_isdigit (d->buf->data[2]) && (d->buf->data[3] == ' ' || d->buf->data[3] == '-'
                                               || d->buf->data[3] == '\r'))
    return MS_PROTOCOL_SMTP;
  return MS_PROTOCOL_UNKNOWN;
}

static MsProtocol
classify_client (DirState *d)
{
  static const char * const smtp_verbs[] = { "EHLO ", "HELO ", "LHLO ", "MAIL FROM:" };
  static const char * const pop3_verbs[] = { "APOP ", "USER ", "CAPA\r", "STLS\r" };
  const char *sp;
  g_autofree char *verb = NULL;

  if (!has_line (d))
    return MS_PROTOCOL_UNKNOWN;
  for (guint i = 0; i < G_N_ELEMENTS (smtp_verbs); i++)
    if (starts_with (d, smtp_verbs[i], TRUE))
      return MS_PROTOCOL_SMTP;
  for (guint i = 0; i < G_N_ELEMENTS (pop3_verbs); i++)
    if (starts_with (d, pop3_verbs[i], TRUE))
      return MS_PROTOCOL_POP3;
  /* IMAP: "tag VERB" with a verb only IMAP has */
  sp = memchr (d->buf->data, ' ', MIN (d->buf->len, 64));
  if (sp != NULL)
    {
      const char *v = sp + 1;
      gsize left = d->buf->len - (gsize) (v - (const char *) d->buf->data);
      gsize vlen = 0;

      while (vlen < left && vlen < 16 && g_ascii_isalpha (v[vlen]))
        vlen++;
      verb = g_ascii_strup (v, (gssize) vlen);
      if (strcmp (verb, "CAPABILITY") == 0 || strcmp (verb, "LOGIN") == 0
          || strcmp (verb, "AUTHENTICATE") == 0 || strcmp (verb, "SELECT") == 0
          || strcmp (verb, "EXAMINE") == 0 || strcmp (verb, "STARTTLS") == 0
          || strcmp (verb, "ID") == 0 || strcmp (verb, "LOGOUT") == 0)
        return MS_PROTOCOL_IMAP;
    }
  return MS_PROTOCOL_UNKNOWN;
}

static void
open_session (Conn       *conn,
              MsProtocol  protocol,
              gboolean    implicit_tls)
{
  MsMailObserver *self = conn->self;
  gint64 now = self->now_us;

  conn->classified = TRUE;
  conn->protocol = protocol;
  /* the session opened with its first packet */
  if (conn->first_us > 0 && conn->first_us < now && conn->first_us >= self->base_us)
    self->now_us = conn->first_us;
  conn->session = ms_trace_open_session (self->trace, protocol, conn->client, conn->server);
  self->now_us = now;
  if (implicit_tls)
    {
      ms_trace_session_set_tls (conn->session, MS_TLS_IMPLICIT);
      conn->c.mode = MODE_TLS;
      conn->s.mode = MODE_TLS;
    }
  /* the greeting first: the server speaks first in all three protocols */
  process_dir (conn, MS_DIR_SERVER);
  process_dir (conn, MS_DIR_CLIENT);
}

static void
try_classify (Conn     *conn,
              gboolean  closing)
{
  MsProtocol by_port = protocol_by_port (conn->server_port);
  MsProtocol p;
  gsize total;

  if (is_tls_record (&conn->c) || is_tls_record (&conn->s))
    {
      if (by_port != MS_PROTOCOL_UNKNOWN)
        open_session (conn, by_port, TRUE);
      else
        conn->ignored = TRUE;
      return;
    }
  total = (conn->c.buf ? conn->c.buf->len : 0) + (conn->s.buf ? conn->s.buf->len : 0);
  if (total == 0)
    {
      /* no payload at all (a port scan, a refused connection): no session */
      if (closing)
        conn->ignored = TRUE;
      return;
    }
  p = classify_server (&conn->s);
  if (p == MS_PROTOCOL_UNKNOWN)
    p = classify_client (&conn->c);
  if (p == MS_PROTOCOL_UNKNOWN && by_port != MS_PROTOCOL_UNKNOWN
      && (closing || has_line (&conn->c) || has_line (&conn->s)))
    p = by_port;
  if (p != MS_PROTOCOL_UNKNOWN)
    {
      open_session (conn, p, FALSE);
      return;
    }
  if (total > MS_OBSERVER_MAX_UNKNOWN || closing)
    {
      /* junk before the greeting on a mail port: read it as that protocol */
      if (by_port != MS_PROTOCOL_UNKNOWN)
        open_session (conn, by_port, FALSE);
      else
        conn->ignored = TRUE;
    }
}

/* ------------------------------------------------------------------------------------ */
/* Callbacks */

static Conn *
lookup (MsMailObserver *self,
        MsTcpConnInfo  *info)
{
  Conn *conn = g_hash_table_lookup (self->conns, info);

  if (conn == NULL)
    {
      ms_mail_observer_opened (self, info);
      conn = g_hash_table_lookup (self->conns, info);
    }
  return conn;
}

void
ms_mail_observer_opened (MsMailObserver *self,
                         MsTcpConnInfo  *info)
{
  Conn *conn;

  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  if (g_hash_table_contains (self->conns, info))
    return;
  if (info->first_us > 0)
    advance_clock (self, info->first_us);
  conn = g_new0 (Conn, 1);
  conn->self = self;
  conn->client = ms_format_endpoint (info->client_address, info->client_port);
  conn->server = ms_format_endpoint (info->server_address, info->server_port);
  conn->server_port = info->server_port;
  conn->first_us = info->first_us;
  conn->c.buf = g_byte_array_new ();
  conn->s.buf = g_byte_array_new ();
  conn->c.line = g_string_sized_new (256);
  conn->s.line = g_string_sized_new (256);
  g_queue_init (&conn->pending);
  g_hash_table_insert (self->conns, info, conn);
}

void
ms_mail_observer_data (MsMailObserver *self,
                       MsTcpConnInfo  *info,
                       MsDirection     dir,
                       gint64          t_us,
                       const guint8   *bytes,
                       gsize           len)
{
  Conn *conn;
  DirState *d;

  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  conn = lookup (self, info);
  if (conn->ignored || len == 0)
    return;
  advance_clock (self, t_us);
  d = dir_state (conn, dir);
  if (d->mode == MODE_TLS && d->pos == d->buf->len)
    {
      count_tls (d, bytes, len);  /* no copy for the encrypted bulk */
      return;
    }
  if (conn->classified && d->pos == d->buf->len)
    {
      /* nothing waiting: read the segment where it is, keep only an unfinished line */
      gsize used = process_bytes (conn, dir, bytes, len);

      if (used < len)
        g_byte_array_append (d->buf, bytes + used, (guint) (len - used));
      return;
    }
  g_byte_array_append (d->buf, bytes, (guint) len);
  if (!conn->classified)
    {
      try_classify (conn, FALSE);
      if (conn->ignored)
        {
          g_byte_array_set_size (conn->c.buf, 0);
          g_byte_array_set_size (conn->s.buf, 0);
        }
      return;
    }
  process_dir (conn, dir);
}

void
ms_mail_observer_gap (MsMailObserver *self,
                      MsTcpConnInfo  *info,
                      MsDirection     dir,
                      gint64          t_us,
                      gsize           missing)
{
  Conn *conn;
  DirState *d;
  g_autofree char *count = NULL;

  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  conn = lookup (self, info);
  if (conn->ignored || missing == 0)
    return;
  advance_clock (self, t_us);
  d = dir_state (conn, dir);
  if (!conn->classified)
    {
      /* before the protocol is known: what came before the gap is of no use */
      g_byte_array_set_size (d->buf, 0);
      d->pos = 0;
      d->resync = TRUE;
      return;
    }
  process_dir (conn, dir);
  count = ms_observer_format_count (missing);
  note (conn, dir, "[missing %s bytes]", count);
  switch (d->mode)
    {
    case MODE_TLS:
      d->tls_bytes += missing;
      d->tls_left = 0;  /* record boundaries are lost */
      d->tls_hdr_len = 0;
      return;
    case MODE_COUNTED:
      {
        gsize n = MIN (missing, d->remaining);

        d->body_missing += n;
        d->remaining -= n;
        if (d->remaining == 0)
          {
            counted_end (conn, dir);
            if (missing > n)
              d->resync = TRUE;
          }
        return;
      }
    case MODE_BODY:
      d->body_missing += missing;
      break;
    case MODE_HOLD:
    case MODE_LINE:
    default:
      break;
    }
  /* the partial line before the gap is dropped; reading resumes at the next line */
  g_byte_array_set_size (d->buf, 0);
  d->pos = 0;
  d->resync = TRUE;
  d->midline = FALSE;
}

static void
close_conn (MsMailObserver *self,
            Conn           *conn)
{
  if (!conn->classified && !conn->ignored)
    try_classify (conn, TRUE);
  if (conn->session == NULL)
    return;
  for (int i = 0; i < 2; i++)
    {
      MsDirection dir = i == 0 ? MS_DIR_SERVER : MS_DIR_CLIENT;
      DirState *d = dir_state (conn, dir);

      if (d->mode == MODE_HOLD)
        d->mode = MODE_LINE;
      process_dir (conn, dir);
      if (d->buf->len > 0 && (d->mode == MODE_LINE || d->mode == MODE_BODY) && !d->resync)
        {
          /* the last line had no CRLF */
          g_byte_array_append (d->buf, (const guint8 *) "\n", 1);
          process_dir (conn, dir);
          note (conn, dir, "(the last line ended without CRLF)");
        }
      if (d->mode == MODE_BODY || d->mode == MODE_COUNTED)
        {
          if (d->body != NULL && d->body_wanted)
            note (conn, dir, "(connection closed during a message: not extracted)");
          g_clear_pointer (&d->body, g_byte_array_unref);
        }
    }
  note_tls (conn);
  ms_trace_close_session (self->trace, conn->session);
  /* "session-closed" has let a streaming reader write it out */
  if (self->forget_closed)
    ms_trace_forget_session (self->trace, conn->session);
  conn->session = NULL;
}

void
ms_mail_observer_closed (MsMailObserver *self,
                         MsTcpConnInfo  *info,
                         gint64          t_us)
{
  Conn *conn;

  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  conn = g_hash_table_lookup (self->conns, info);
  if (conn == NULL)
    return;
  advance_clock (self, t_us);
  close_conn (self, conn);
  g_hash_table_remove (self->conns, info);
}

static gint
compare_conns (gconstpointer a,
               gconstpointer b)
{
  const Conn *x = *(Conn * const *) a;
  const Conn *y = *(Conn * const *) b;
  gint64 ix = x->session != NULL ? x->session->id : G_MAXUINT;
  gint64 iy = y->session != NULL ? y->session->id : G_MAXUINT;

  if (ix != iy)
    return ix < iy ? -1 : 1;
  return x->first_us < y->first_us ? -1 : x->first_us > y->first_us;
}

void
ms_mail_observer_finish (MsMailObserver *self,
                         gint64          t_us)
{
  GHashTableIter iter;
  gpointer value;
  g_autoptr(GPtrArray) conns = NULL;

  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  if (t_us > 0)
    advance_clock (self, t_us);
  /* in session order, so that a streaming reader's output does not depend on hashing */
  conns = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (conns, value);
  g_ptr_array_sort (conns, compare_conns);
  for (guint i = 0; i < conns->len; i++)
    close_conn (self, g_ptr_array_index (conns, i));
  g_hash_table_remove_all (self->conns);
}

static void
cb_opened (MsTcpConnInfo *info,
           gpointer       user_data)
{
  ms_mail_observer_opened (user_data, info);
}

static void
cb_data (MsTcpConnInfo *info,
         MsDirection    dir,
         gint64         t_us,
         const guint8  *bytes,
         gsize          len,
         guint64        first_frame_number,
         gpointer       user_data)
{
  ms_mail_observer_data (user_data, info, dir, t_us, bytes, len);
}

static void
cb_gap (MsTcpConnInfo *info,
        MsDirection    dir,
        gint64         t_us,
        gsize          missing_bytes,
        gpointer       user_data)
{
  ms_mail_observer_gap (user_data, info, dir, t_us, missing_bytes);
}

static void
cb_closed (MsTcpConnInfo    *info,
           gint64            t_us,
           MsTcpCloseReason  reason,
           gpointer          user_data)
{
  ms_mail_observer_closed (user_data, info, t_us);
}

void
ms_mail_observer_get_callbacks (MsMailObserver       *self,
                                MsTcpStreamCallbacks *callbacks)
{
  g_return_if_fail (MS_IS_MAIL_OBSERVER (self));

  callbacks->opened = cb_opened;
  callbacks->data = cb_data;
  callbacks->gap = cb_gap;
  callbacks->closed = cb_closed;
  callbacks->user_data = self;
}

/* ------------------------------------------------------------------------------------ */
/* Message details for JSON */

void
ms_observer_add_message_details (JsonObject *object,
                                 GBytes     *raw)
{
  g_autoptr(MsMessage) message = NULL;
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;
  JsonArray *array;

  if (raw == NULL)
    return;
  message = ms_message_new_from_bytes (raw, NULL);
  if (message == NULL)
    return;

  array = json_array_new ();
  parts = ms_message_dup_parts (message);
  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      MsMimePart *part = g_ptr_array_index (parts, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "part", part->part_number);
      json_object_set_string_member (o, "content_type", part->content_type);
      if (part->filename != NULL && g_utf8_validate (part->filename, -1, NULL))
        json_object_set_string_member (o, "filename", part->filename);
      else
        json_object_set_null_member (o, "filename");
      json_object_set_int_member (o, "size", (gint64) part->size);
      json_array_add_object_element (array, o);
    }
  json_object_set_array_member (object, "parts", array);

  array = json_array_new ();
  hops = ms_message_dup_received_hops (message);
  for (guint i = 0; hops != NULL && i < hops->len; i++)
    {
      MsReceivedHop *hop = g_ptr_array_index (hops, i);
      JsonObject *o = json_object_new ();
      const char *fields[][2] = {
        { "from", hop->from }, { "by", hop->by }, { "with", hop->with },
      };

      for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
        {
          if (fields[k][1] != NULL && g_utf8_validate (fields[k][1], -1, NULL))
            json_object_set_string_member (o, fields[k][0], fields[k][1]);
          else
            json_object_set_null_member (o, fields[k][0]);
        }
      if (hop->date != NULL)
        {
          g_autofree char *date = g_date_time_format_iso8601 (hop->date);
          json_object_set_string_member (o, "date", date);
        }
      else
        json_object_set_null_member (o, "date");
      json_array_add_object_element (array, o);
    }
  json_object_set_array_member (object, "hops", array);
}

static void
write_parts_and_hops (MsJsonWriter *w,
                      GPtrArray    *parts,
                      GPtrArray    *hops)
{
  ms_json_writer_key (w, "parts");
  ms_json_writer_begin_array (w);
  for (guint i = 0; parts != NULL && i < parts->len; i++)
    {
      MsMimePart *part = g_ptr_array_index (parts, i);

      ms_json_writer_begin_object (w);
      ms_json_writer_member_string (w, "part", part->part_number);
      ms_json_writer_member_string (w, "content_type", part->content_type);
      ms_json_writer_member_string (w, "filename",
                                    part->filename != NULL
                                    && g_utf8_validate (part->filename, -1, NULL)
                                    ? part->filename : NULL);
      ms_json_writer_member_int (w, "size", (gint64) part->size);
      ms_json_writer_end_object (w);
    }
  ms_json_writer_end_array (w);

  ms_json_writer_key (w, "hops");
  ms_json_writer_begin_array (w);
  for (guint i = 0; hops != NULL && i < hops->len; i++)
    {
      MsReceivedHop *hop = g_ptr_array_index (hops, i);
      const char *fields[][2] = {
        { "from", hop->from }, { "by", hop->by }, { "with", hop->with },
      };

      ms_json_writer_begin_object (w);
      for (guint k = 0; k < G_N_ELEMENTS (fields); k++)
        ms_json_writer_member_string (w, fields[k][0],
                                      fields[k][1] != NULL
                                      && g_utf8_validate (fields[k][1], -1, NULL)
                                      ? fields[k][1] : NULL);
      if (hop->date != NULL)
        {
          g_autofree char *date = g_date_time_format_iso8601 (hop->date);

          ms_json_writer_member_string (w, "date", date);
        }
      else
        ms_json_writer_member_string (w, "date", NULL);
      ms_json_writer_end_object (w);
    }
  ms_json_writer_end_array (w);
}

void
ms_observer_write_message_details (MsJsonWriter *w,
                                   GBytes       *raw)
{
  g_autoptr(GPtrArray) parts = NULL;
  g_autoptr(GPtrArray) hops = NULL;

  if (raw != NULL && ms_observer_message_outline (raw, TRUE, &parts, &hops))
    write_parts_and_hops (w, parts, hops);
}
