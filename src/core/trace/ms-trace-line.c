/* ms-trace-line.c: parse the verb, tag, reply code or status out of a protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The same classification serves the engines (which know a line's kind) and the pcap
 * observers, so a command looks the same in every trace whatever produced it.
 */
#define G_LOG_DOMAIN "ms-trace"

#include "config.h"

#include <string.h>

#include "ms-trace.h"

#define VERB_MAX 32

static char *
upper_word (const char *text,
            const char **rest)
{
  const char *p = text;
  gsize n = 0;

  while (p[n] != '\0' && p[n] != ' ' && p[n] != '\t' && n < VERB_MAX)
    n++;
  if (rest != NULL)
    {
      const char *r = p + n;
      while (*r == ' ' || *r == '\t')
        r++;
      *rest = r;
    }
  if (n == 0)
    return NULL;
  return g_ascii_strup (p, n);
}

/* A verb is letters (and digits after the first) only; anything else is not a command. */
static gboolean
looks_like_verb (const char *verb)
{
  if (verb == NULL || !g_ascii_isalpha (verb[0]))
    return FALSE;
  for (const char *p = verb; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static void
classify_smtp (MsTraceLine *line)
{
  const char *t = line->text;

  if (line->dir == MS_DIR_CLIENT && line->kind == MS_LINE_COMMAND)
    {
      g_autofree char *verb = upper_word (t, NULL);
      char *colon;

      /* "MAIL FROM:<a>" and "RCPT TO:<b>" are named by their first word. */
      if (verb != NULL && (colon = strchr (verb, ':')) != NULL)
        *colon = '\0';
      if (looks_like_verb (verb))
        line->command = g_steal_pointer (&verb);
      if (line->command != NULL && strcmp (line->command, "AUTH") == 0)
        {
          const char *rest;
          g_autofree char *mech = upper_word (t, &rest);
          g_autofree char *mech2 = upper_word (rest, &rest);
          /* An initial response after the mechanism carries the credentials. */
          line->secret = mech2 != NULL && *rest != '\0';
        }
    }
  else if (line->dir == MS_DIR_SERVER && line->kind == MS_LINE_REPLY)
    {
      if (g_ascii_isdigit (t[0]) && g_ascii_isdigit (t[1]) && g_ascii_isdigit (t[2])
          && (t[3] == '\0' || t[3] == ' ' || t[3] == '-'))
        line->code = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
    }
}

static void
classify_pop3 (MsTraceLine *line)
{
  const char *t = line->text;

  if (line->dir == MS_DIR_CLIENT && line->kind == MS_LINE_COMMAND)
    {
      g_autofree char *verb = upper_word (t, NULL);

      if (looks_like_verb (verb))
        line->command = g_steal_pointer (&verb);
      if (line->command != NULL
          && (strcmp (line->command, "PASS") == 0 || strcmp (line->command, "APOP") == 0))
        line->secret = TRUE;
      /* RFC 5034: "AUTH PLAIN <initial response>" carries the credentials. */
      if (line->command != NULL && strcmp (line->command, "AUTH") == 0)
        {
          const char *rest = t + strcspn (t, " \t");
          g_autofree char *mech = NULL;

          rest += strspn (rest, " \t");
          mech = upper_word (rest, &rest);
          line->secret = mech != NULL && *rest != '\0';
        }
    }
  else if (line->dir == MS_DIR_SERVER && line->kind == MS_LINE_REPLY)
    {
      if (g_str_has_prefix (t, "+OK"))
        line->status = "+OK";
      else if (g_str_has_prefix (t, "-ERR"))
        line->status = "-ERR";
    }
}

static const char *
imap_status (const char *word)
{
  static const char * const statuses[] = { "OK", "NO", "BAD", "PREAUTH", "BYE" };

  for (guint i = 0; word != NULL && i < G_N_ELEMENTS (statuses); i++)
    if (strcmp (word, statuses[i]) == 0)
      return statuses[i];
  return NULL;
}

static void
classify_imap (MsTraceLine *line)
{
  const char *t = line->text;

  if (line->dir == MS_DIR_CLIENT && line->kind == MS_LINE_COMMAND)
    {
      const char *rest;
      g_autofree char *first = upper_word (t, &rest);
      g_autofree char *verb = NULL;

      if (first == NULL)
        return;
      verb = upper_word (rest, &rest);
      if (verb == NULL)
        {
          /* an untagged continuation such as IDLE's DONE */
          if (looks_like_verb (first))
            line->command = g_steal_pointer (&first);
          return;
        }
      line->tag = g_strndup (t, strcspn (t, " \t"));
      if (!looks_like_verb (verb))
        return;
      if (strcmp (verb, "UID") == 0)
        {
          g_autofree char *sub = upper_word (rest, NULL);
          if (looks_like_verb (sub))
            line->command = g_strconcat ("UID ", sub, NULL);
          else
            line->command = g_steal_pointer (&verb);
        }
      else
        line->command = g_steal_pointer (&verb);
      if (strcmp (line->command, "LOGIN") == 0)
        line->secret = TRUE;
      else if (strcmp (line->command, "AUTHENTICATE") == 0)
        {
          g_autofree char *mech = upper_word (rest, &rest);
          line->secret = mech != NULL && *rest != '\0';
        }
    }
  else if (line->dir == MS_DIR_SERVER && line->kind == MS_LINE_REPLY)
    {
      const char *rest;
      g_autofree char *first = upper_word (t, &rest);
      g_autofree char *second = upper_word (rest, NULL);

      if (first == NULL || strcmp (first, "+") == 0)
        return;
      if (strcmp (first, "*") == 0)
        line->status = imap_status (second);
      else
        {
          line->status = imap_status (second);
          if (line->status != NULL)
            line->tag = g_strndup (t, strcspn (t, " \t"));
        }
    }
}

void
ms_trace_line_classify (MsTraceLine *line,
                        MsProtocol   protocol)
{
  g_return_if_fail (line != NULL);

  g_clear_pointer (&line->command, g_free);
  g_clear_pointer (&line->tag, g_free);
  line->code = 0;
  line->status = NULL;
  line->secret = line->kind == MS_LINE_AUTH;

  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      classify_smtp (line);
      break;
    case MS_PROTOCOL_POP3:
      classify_pop3 (line);
      break;
    case MS_PROTOCOL_IMAP:
      classify_imap (line);
      break;
    case MS_PROTOCOL_UNKNOWN:
    case MS_PROTOCOL_DNS:
    case MS_PROTOCOL_HTTP:
    default:
      break;
    }
  if (line->kind == MS_LINE_AUTH)
    line->secret = TRUE;
}
