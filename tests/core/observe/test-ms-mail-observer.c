/* test-ms-mail-observer.c: sessions rebuilt from synthetic TCP streams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each conversation is fed whole, byte by byte and in random splits: the transcript and
 * the extracted messages must not depend on how the bytes were segmented.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "ms-mail-observer.h"
#include "ms-test-chunks.h"

typedef struct
{
  MsDirection  dir;
  const char  *bytes;   /* NULL: a gap of `gap` bytes */
  gsize        gap;
  gsize        len;     /* of bytes with NULs (BIN); 0: strlen */
} Step;

#define BIN(dir, text) { dir, text, 0, sizeof (text) - 1 }

typedef struct
{
  MsMailObserver *observer;
  MsTcpConnInfo  *info;
  MsDirection     dir;
  gint64          t_us;
} Feed;

static void
feed_chunk (const guint8 *data,
            gsize         len,
            gpointer      user_data)
{
  Feed *feed = user_data;

  ms_mail_observer_data (feed->observer, feed->info, feed->dir, feed->t_us, data, len);
}

/* Runs steps through a new observer; returns the trace. */
static MsTrace *
run_steps (const Step *steps,
           guint       n_steps,
           guint16     server_port,
           MsChunking  chunking,
           guint32     seed,
           gboolean    show_secrets)
{
  MsTrace *trace = ms_trace_new ("pcap", "test.pcap");
  g_autoptr(MsMailObserver) observer = ms_mail_observer_new (trace);
  MsTcpConnInfo info = {
    .id = 1, .client_address = (char *) "192.0.2.10", .client_port = 40000,
    .server_address = (char *) "198.51.100.25", .server_port = server_port,
    .saw_handshake = TRUE, .first_us = G_GINT64_CONSTANT (1700000000000000),
  };
  Feed feed = { observer, &info, MS_DIR_CLIENT, info.first_us };

  ms_mail_observer_set_show_secrets (observer, show_secrets);
  ms_mail_observer_opened (observer, &info);
  for (guint i = 0; i < n_steps; i++)
    {
      feed.dir = steps[i].dir;
      feed.t_us += 1000;
      if (steps[i].bytes == NULL)
        ms_mail_observer_gap (observer, &info, steps[i].dir, feed.t_us, steps[i].gap);
      else
        ms_test_feed_chunks ((const guint8 *) steps[i].bytes,
                             steps[i].len ? steps[i].len : strlen (steps[i].bytes),
                             chunking, seed + i, feed_chunk, &feed);
    }
  ms_mail_observer_closed (observer, &info, feed.t_us + 1000);
  return trace;
}

static MsTraceSession *
only_session (MsTrace *trace)
{
  cr_assert_eq (ms_trace_get_n_sessions (trace), 1);
  return ms_trace_get_session (trace, 0);
}

/* Lines of a session as "D K text" strings, for exact comparison. */
static char *
transcript (MsTraceSession *session)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < session->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, i);
      static const char kinds[] = "CRADN";

      g_string_append_printf (out, "%c %c %s\n", line->dir, kinds[line->kind], line->text);
    }
  return g_string_free (out, FALSE);
}

static MsTraceLine *
find_line (MsTraceSession *session,
           const char     *text)
{
  for (guint i = 0; i < session->lines->len; i++)
    {
      MsTraceLine *line = g_ptr_array_index (session->lines, i);

      if (strcmp (line->text, text) == 0)
        return line;
    }
  return NULL;
}

#define EACH_CHUNKING(body)                                                      \
  for (MsChunking chunking = MS_CHUNKS_WHOLE; chunking <= MS_CHUNKS_RANDOM; chunking++) \
    for (guint32 seed = 1; seed <= (chunking == MS_CHUNKS_RANDOM ? 5u : 1u); seed++)   \
      { body }

/* ---------------------------------------------------------------------------------- */

static const char smtp_body[] =
  "From: a@example.org\r\n"
  "To: b@example.net\r\n"
  "Subject: =?UTF-8?B?5LyR5pqH?=\r\n"
  "\r\n"
  "..leading dot\r\n"
  "line two\r\n";

Test (observer, smtp_pipelined_commands_pair_with_their_replies_and_data_is_byte_exact)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx.example.net ESMTP\r\n" },
    { MS_DIR_CLIENT, "EHLO client.example.org\r\n" },
    { MS_DIR_SERVER, "250-mx.example.net\r\n250-PIPELINING\r\n250 8BITMIME\r\n" },
    /* RFC 2920: MAIL, RCPT, RCPT, DATA in one group */
    { MS_DIR_CLIENT, "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
                     "RCPT TO:<nobody@example.net>\r\nDATA\r\n" },
    { MS_DIR_SERVER, "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user\r\n"
                     "354 End data with <CR><LF>.<CR><LF>\r\n" },
    { MS_DIR_CLIENT, "From: a@example.org\r\nTo: b@example.net\r\n"
                     "Subject: =?UTF-8?B?5LyR5pqH?=\r\n\r\n...leading dot\r\nline two\r\n.\r\nQUIT\r\n" },
    { MS_DIR_SERVER, "250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 25, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    MsTraceMessage *m;
    gsize size;

    cr_assert_eq (s->protocol, MS_PROTOCOL_SMTP);
    cr_assert_str_eq (s->client, "192.0.2.10:40000");
    cr_assert_str_eq (s->server, "198.51.100.25:25");
    cr_assert_eq (s->tls, MS_TLS_NONE);
    cr_assert_eq (ms_trace_get_n_messages (trace), 1, "%s", ms_test_chunking_name (chunking));
    m = ms_trace_get_message (trace, 0);
    cr_assert_str_eq (m->mail_from, "a@example.org");
    /* the refused recipient is not in the envelope */
    cr_assert_eq (g_strv_length (m->rcpt_to), 1);
    cr_assert_str_eq (m->rcpt_to[0], "b@example.net");
    cr_assert_str_eq (m->subject, "休暇");
    const char *raw = g_bytes_get_data (m->raw, &size);
    cr_assert_eq (size, strlen (smtp_body));
    cr_assert (memcmp (raw, smtp_body, size) == 0);
    cr_assert_not_null (find_line (s, "(message: 6 lines, 99 bytes)"),
                        "%s", transcript (s));
    MsTraceLine *quit = find_line (s, "QUIT");
    cr_assert_not_null (quit);
    cr_assert_str_eq (quit->command, "QUIT");
    MsTraceLine *bye = find_line (s, "221 2.0.0 Bye");
    cr_assert_eq (bye->code, 221);
    cr_assert (s->closed_us >= 0);
  })
}

Test (observer, smtp_bdat_chunks_make_one_message)
{
  /* RFC 3030: chunk sizes count octets; no dot-stuffing */
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "EHLO c\r\n" },
    { MS_DIR_SERVER, "250-mx\r\n250 CHUNKING\r\n" },
    { MS_DIR_CLIENT, "MAIL FROM:<>\r\nRCPT TO:<x@example.net>\r\n" },
    { MS_DIR_SERVER, "250 Ok\r\n250 Ok\r\n" },
    { MS_DIR_CLIENT, "BDAT 22\r\nSubject: chunked\r\n\r\n.a" },
    { MS_DIR_SERVER, "250 2.0.0 22 octets received\r\n" },
    { MS_DIR_CLIENT, "BDAT 8 LAST\r\nb\r\n.\r\n\r\nQUIT\r\n" },
    { MS_DIR_SERVER, "250 2.0.0 Message accepted\r\n221 Bye\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 2525, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    gsize size;

    cr_assert_eq (ms_trace_get_n_messages (trace), 1, "%s", transcript (s));
    MsTraceMessage *m = ms_trace_get_message (trace, 0);
    const char *raw = g_bytes_get_data (m->raw, &size);
    cr_assert_eq (size, 30);
    cr_assert (memcmp (raw, "Subject: chunked\r\n\r\n.ab\r\n.\r\n\r\n", 30) == 0);
    cr_assert_str_eq (m->mail_from, "");
    cr_assert_str_eq (m->subject, "chunked");
    cr_assert_not_null (find_line (s, "(BDAT chunk: 22 bytes)"));
    cr_assert_not_null (find_line (s, "(BDAT chunk: 8 bytes)"));
    cr_assert_not_null (find_line (s, "QUIT"));
  })
}

Test (observer, smtp_starttls_makes_the_rest_opaque_and_counts_it)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "EHLO c\r\n" },
    { MS_DIR_SERVER, "250-mx\r\n250 STARTTLS\r\n" },
    { MS_DIR_CLIENT, "STARTTLS\r\n" },
    { MS_DIR_SERVER, "220 2.0.0 Ready to start TLS\r\n" },
    /* a handshake record of 5 bytes, then an application record of 3 */
    BIN (MS_DIR_CLIENT, "\x16\x03\x01\x00\x05" "ABCDE" "\x17\x03\x03\x00\x03" "xyz"),
    BIN (MS_DIR_SERVER, "\x16\x03\x03\x00\x02" "OK"),
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 587, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    g_autofree char *text = transcript (s);

    cr_assert_eq (s->tls, MS_TLS_STARTTLS);
    cr_assert_str_eq (text,
                      "S R 220 mx ESMTP\n"
                      "C C EHLO c\n"
                      "S R 250-mx\n"
                      "S R 250 STARTTLS\n"
                      "C C STARTTLS\n"
                      "S R 220 2.0.0 Ready to start TLS\n"
                      "C N (TLS: 3 records, 18 bytes client\u2192server, 7 server\u2192client)\n");
  })
}

Test (observer, smtp_refused_starttls_keeps_reading_lines)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "STARTTLS\r\n" },
    { MS_DIR_SERVER, "454 4.7.0 TLS not available\r\n" },
    { MS_DIR_CLIENT, "QUIT\r\n" },
    { MS_DIR_SERVER, "221 Bye\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 25, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);

    cr_assert_eq (s->tls, MS_TLS_NONE);
    cr_assert_not_null (find_line (s, "QUIT"));
    cr_assert_not_null (find_line (s, "221 Bye"));
  })
}

Test (observer, smtp_auth_plain_and_login_are_decoded_and_the_password_masked)
{
  /* "\0alice\0s3cret" and LOGIN "bob" / "hunter2" */
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n" },
    { MS_DIR_SERVER, "535 5.7.8 Authentication credentials invalid\r\n" },
    { MS_DIR_CLIENT, "AUTH LOGIN\r\n" },
    { MS_DIR_SERVER, "334 VXNlcm5hbWU6\r\n" },
    { MS_DIR_CLIENT, "Ym9i\r\n" },
    { MS_DIR_SERVER, "334 UGFzc3dvcmQ6\r\n" },
    { MS_DIR_CLIENT, "aHVudGVyMg==\r\n" },
    { MS_DIR_SERVER, "235 2.7.0 Authentication successful\r\n" },
    { MS_DIR_CLIENT, "QUIT\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 25, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);

    cr_assert_not_null (find_line (s, "(AUTH PLAIN decoded: user \"alice\", password \"********\")"),
                        "%s", transcript (s));
    cr_assert_not_null (find_line (s, "(challenge decoded: \"Username:\")"));
    cr_assert_not_null (find_line (s, "(AUTH LOGIN decoded: user \"bob\")"));
    cr_assert_not_null (find_line (s, "(AUTH LOGIN decoded: password \"********\")"));
    MsTraceLine *resp = find_line (s, "aHVudGVyMg==");
    cr_assert_eq (resp->kind, MS_LINE_AUTH);
    cr_assert (resp->secret);
    /* after 235 the client speaks commands again */
    cr_assert_eq (find_line (s, "QUIT")->kind, MS_LINE_COMMAND);
  })

  g_autoptr(MsTrace) shown = run_steps (steps, G_N_ELEMENTS (steps), 25, MS_CHUNKS_WHOLE, 1, TRUE);
  cr_assert_not_null (find_line (only_session (shown),
                                 "(AUTH LOGIN decoded: password \"hunter2\")"));
}

Test (observer, smtp_on_an_unusual_port_is_recognised_by_content)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "HELO c\r\n" },
    { MS_DIR_SERVER, "250 mx\r\n" },
  };
  g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 8025, MS_CHUNKS_WHOLE, 1, FALSE);

  cr_assert_eq (only_session (trace)->protocol, MS_PROTOCOL_SMTP);
}

Test (observer, a_connection_that_is_no_mail_protocol_makes_no_session)
{
  const Step steps[] = {
    { MS_DIR_CLIENT, "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
    { MS_DIR_SERVER, "HTTP/1.1 200 OK\r\n\r\n" },
  };
  g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 80, MS_CHUNKS_WHOLE, 1, FALSE);

  cr_assert_eq (ms_trace_get_n_sessions (trace), 0);
}

Test (observer, implicit_tls_is_recognised_from_the_client_hello)
{
  const Step steps[] = {
    BIN (MS_DIR_CLIENT, "\x16\x03\x01\x00\x02hi"),
    BIN (MS_DIR_SERVER, "\x16\x03\x03\x00\x01!" "\x17\x03\x03\x00\x01?"),
  };
  g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 993, MS_CHUNKS_BYTE_BY_BYTE, 1, FALSE);
  MsTraceSession *s = only_session (trace);
  g_autofree char *text = transcript (s);

  cr_assert_eq (s->protocol, MS_PROTOCOL_IMAP);
  cr_assert_eq (s->tls, MS_TLS_IMPLICIT);
  cr_assert_str_eq (text, "C N (TLS: 3 records, 7 bytes client\u2192server, 12 server\u2192client)\n");
}

/* ---------------------------------------------------------------------------------- */

Test (observer, pop3_multiline_depends_on_the_command)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "+OK POP3 ready <1.2@mx>\r\n" },
    { MS_DIR_CLIENT, "USER alice\r\nPASS s3cret\r\n" },
    { MS_DIR_SERVER, "+OK\r\n+OK 2 messages\r\n" },
    /* LIST with an argument is one line; without it, a listing */
    { MS_DIR_CLIENT, "LIST 1\r\nLIST\r\n" },
    { MS_DIR_SERVER, "+OK 1 120\r\n+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n" },
    { MS_DIR_CLIENT, "RETR 1\r\n" },
    { MS_DIR_SERVER, "+OK 120 octets\r\nSubject: hello\r\n\r\n..dot\r\n.\r\n" },
    { MS_DIR_CLIENT, "RETR 9\r\nQUIT\r\n" },
    { MS_DIR_SERVER, "-ERR no such message\r\n+OK bye\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 110, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    g_autofree char *text = transcript (s);
    gsize size;

    cr_assert_eq (s->protocol, MS_PROTOCOL_POP3);
    cr_assert_str_eq (text,
                      "S R +OK POP3 ready <1.2@mx>\n"
                      "C C USER alice\n"
                      "C C PASS s3cret\n"
                      "S R +OK\n"
                      "S R +OK 2 messages\n"
                      "C C LIST 1\n"
                      "C C LIST\n"
                      "S R +OK 1 120\n"
                      "S R +OK 2 messages\n"
                      "S R 1 120\n"
                      "S R 2 200\n"
                      "S D .\n"
                      "C C RETR 1\n"
                      "S R +OK 120 octets\n"
                      "S D (message: 3 lines, 25 bytes)\n"
                      "S D .\n"
                      "C C RETR 9\n"
                      "C C QUIT\n"
                      "S R -ERR no such message\n"
                      "S R +OK bye\n");
    cr_assert (find_line (s, "PASS s3cret")->secret);
    cr_assert_eq (ms_trace_get_n_messages (trace), 1);
    MsTraceMessage *m = ms_trace_get_message (trace, 0);
    const char *raw = g_bytes_get_data (m->raw, &size);
    cr_assert_eq (size, 24);
    cr_assert (memcmp (raw, "Subject: hello\r\n\r\n.dot\r\n", size) == 0);
    cr_assert_str_eq (m->subject, "hello");
  })
}

Test (observer, pop3_stls_and_a_port_995_session)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "+OK ready\r\n" },
    { MS_DIR_CLIENT, "STLS\r\n" },
    { MS_DIR_SERVER, "+OK Begin TLS\r\n" },
    BIN (MS_DIR_CLIENT, "\x16\x03\x01\x00\x00"),
  };
  g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 110, MS_CHUNKS_RANDOM, 3, FALSE);
  MsTraceSession *s = only_session (trace);

  cr_assert_eq (s->tls, MS_TLS_STARTTLS);
  cr_assert_not_null (find_line (s, "(TLS: 1 records, 5 bytes client\u2192server, 0 server\u2192client)"),
                      "%s", transcript (s));
}

/* ---------------------------------------------------------------------------------- */

static const char imap_msg[] = "Subject: IMAP test\r\n\r\nBody {5}\r\n";

Test (observer, imap_literals_both_ways_and_tagged_completions)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "* OK IMAP4rev1 ready\r\n" },
    { MS_DIR_CLIENT, "a1 LOGIN {5}\r\n" },
    { MS_DIR_SERVER, "+ go ahead\r\n" },
    { MS_DIR_CLIENT, "alice {6}\r\n" },
    { MS_DIR_SERVER, "+ go ahead\r\n" },
    { MS_DIR_CLIENT, "s3cret\r\n" },
    { MS_DIR_SERVER, "a1 OK LOGIN completed\r\n" },
    { MS_DIR_CLIENT, "a2 APPEND INBOX (\\Seen) {32+}\r\nSubject: IMAP test\r\n\r\nBody {5}\r\n\r\n" },
    { MS_DIR_SERVER, "a2 OK APPEND completed\r\n" },
    { MS_DIR_CLIENT, "a3 SELECT INBOX\r\na4 UID FETCH 1 (FLAGS BODY[])\r\n" },
    { MS_DIR_SERVER, "* 1 EXISTS\r\na3 OK [READ-WRITE] SELECT completed\r\n"
                     "* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {32}\r\nSubject: IMAP test\r\n\r\nBody {5}\r\n)\r\n"
                     "a4 OK FETCH completed\r\n" },
    { MS_DIR_CLIENT, "a5 LOGOUT\r\n" },
    { MS_DIR_SERVER, "* BYE\r\na5 OK\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 143, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    g_autofree char *text = transcript (s);

    cr_assert_eq (s->protocol, MS_PROTOCOL_IMAP);
    cr_assert_str_eq (text,
                      "S R * OK IMAP4rev1 ready\n"
                      "C C a1 LOGIN {5}\n"
                      "S R + go ahead\n"
                      "C D alice\n"
                      "C D  {6}\n"
                      "S R + go ahead\n"
                      "C A s3cret\n"
                      "S R a1 OK LOGIN completed\n"
                      "C C a2 APPEND INBOX (\\Seen) {32+}\n"
                      "C D (32 octets of literal data)\n"
                      "S R a2 OK APPEND completed\n"
                      "C C a3 SELECT INBOX\n"
                      "C C a4 UID FETCH 1 (FLAGS BODY[])\n"
                      "S R * 1 EXISTS\n"
                      "S R a3 OK [READ-WRITE] SELECT completed\n"
                      "S R * 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {32}\n"
                      "S D (32 octets of literal data)\n"
                      "S D )\n"
                      "S R a4 OK FETCH completed\n"
                      "C C a5 LOGOUT\n"
                      "S R * BYE\n"
                      "S R a5 OK\n");
    cr_assert (find_line (s, "s3cret")->secret);
    cr_assert_str_eq (find_line (s, "a4 UID FETCH 1 (FLAGS BODY[])")->command, "UID FETCH");
    cr_assert_str_eq (find_line (s, "a4 OK FETCH completed")->status, "OK");
    /* the APPEND and the FETCH both carried the message */
    cr_assert_eq (ms_trace_get_n_messages (trace), 2);
    for (guint i = 0; i < 2; i++)
      {
        gsize size;
        MsTraceMessage *m = ms_trace_get_message (trace, i);
        const char *raw = g_bytes_get_data (m->raw, &size);

        cr_assert_eq (size, strlen (imap_msg));
        cr_assert (memcmp (raw, imap_msg, size) == 0);
        cr_assert_str_eq (m->subject, "IMAP test");
      }
  })
}

Test (observer, imap_starttls_and_authenticate)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "* OK ready\r\n" },
    { MS_DIR_CLIENT, "t1 AUTHENTICATE PLAIN\r\n" },
    { MS_DIR_SERVER, "+ \r\n" },
    { MS_DIR_CLIENT, "AGFsaWNlAHMzY3JldA==\r\n" },
    { MS_DIR_SERVER, "t1 OK done\r\n" },
    { MS_DIR_CLIENT, "t2 STARTTLS\r\n" },
    { MS_DIR_SERVER, "t2 OK Begin TLS\r\n" },
    BIN (MS_DIR_CLIENT, "\x16\x03\x01\x00\x01" "x"),
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 143, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);

    cr_assert_eq (s->tls, MS_TLS_STARTTLS);
    cr_assert_eq (find_line (s, "AGFsaWNlAHMzY3JldA==")->kind, MS_LINE_AUTH);
    cr_assert_not_null (find_line (s, "(AUTH PLAIN decoded: user \"alice\", password \"********\")"));
    cr_assert_eq (find_line (s, "t2 STARTTLS")->kind, MS_LINE_COMMAND);
  })
}

/* ---------------------------------------------------------------------------------- */

Test (observer, a_gap_is_noted_and_reading_resumes_at_the_next_line)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "EHLO c\r\nMAIL FR" },
    { MS_DIR_CLIENT, NULL, 1460 },
    { MS_DIR_CLIENT, "tail of a lost line\r\nQUIT\r\n" },
    { MS_DIR_SERVER, "250 mx\r\n221 Bye\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 25, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);
    g_autofree char *text = transcript (s);

    cr_assert_str_eq (text,
                      "S R 220 mx ESMTP\n"
                      "C C EHLO c\n"
                      "C N [missing 1,460 bytes]\n"
                      "C C QUIT\n"
                      "S R 250 mx\n"
                      "S R 221 Bye\n");
  })
}

Test (observer, a_gap_inside_a_message_keeps_the_stream_in_step_but_extracts_nothing)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "* OK ready\r\n" },
    { MS_DIR_CLIENT, "a1 FETCH 1 BODY[]\r\n" },
    { MS_DIR_SERVER, "* 1 FETCH (BODY[] {20}\r\n0123" },
    { MS_DIR_SERVER, NULL, 10 },
    { MS_DIR_SERVER, "456789)\r\na1 OK done\r\n" },
  };

  EACH_CHUNKING ({
    g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 143, chunking, seed, FALSE);
    MsTraceSession *s = only_session (trace);

    cr_assert_eq (ms_trace_get_n_messages (trace), 0);
    cr_assert_not_null (find_line (s, "[missing 10 bytes]"));
    cr_assert_not_null (find_line (s, "(message incomplete, 10 bytes missing: not extracted)"),
                        "%s", transcript (s));
    cr_assert_str_eq (find_line (s, "a1 OK done")->status, "OK");
  })
}

Test (observer, lines_carry_capture_time_from_the_first_packet)
{
  const Step steps[] = {
    { MS_DIR_SERVER, "220 mx ESMTP\r\n" },
    { MS_DIR_CLIENT, "QUIT\r\n" },
  };
  g_autoptr(MsTrace) trace = run_steps (steps, G_N_ELEMENTS (steps), 25, MS_CHUNKS_WHOLE, 1, FALSE);
  MsTraceSession *s = only_session (trace);

  cr_assert_eq (s->opened_us, 0);
  cr_assert_eq (ms_trace_session_get_line (s, 0)->t_us, 1000);
  cr_assert_eq (ms_trace_session_get_line (s, 1)->t_us, 2000);
  cr_assert_eq (s->closed_us, 3000);
}

Test (observer, counts_are_grouped_by_three)
{
  g_autofree char *a = ms_observer_format_count (0);
  g_autofree char *b = ms_observer_format_count (1460);
  g_autofree char *c = ms_observer_format_count (1234567);

  cr_assert_str_eq (a, "0");
  cr_assert_str_eq (b, "1,460");
  cr_assert_str_eq (c, "1,234,567");
}

/* Subjects as Python's email.header and mail clients read them (the corpus has both). */
Test (observer, encoded_words_next_to_each_other_are_all_decoded)
{
  static const char *const cases[][2] = {
    /* B words with "=" padding, one after the other (GMime alone gives "C") */
    { "=?ISO-8859-1?B?Qw==?= =?ISO-8859-1?B?YW4=?=", "Can" },
    /* no space between the words, and an empty one (smtp-subject-encoded-empty.pcap) */
    { "=?ISO-8859-1?B?Qw==?==?ISO-8859-1?B?YW4=?==?ISO-8859-1?B?IHRoaXMgMTAgU2Vjb25kIFRyaWNrIEhlbA=="
      "?==?ISO-8859-1?B?\?==?ISO-8859-1?B?cCBQcmV2ZW50IFlPVVIgSGVhcnQgQQ==?==?ISO-8859-1?B?dHRhY2s/?=",
      "Can this 10 Second Trick Help Prevent YOUR Heart Attack?" },
    /* a character split over two words */
    { "=?UTF-8?B?5pel?= =?UTF-8?B?5pys?=", "\u65e5\u672c" },
    { "=?UTF-8?B?5pel5pys6Kqe?= =?utf-8?q?caf=C3=A9?= plain", "\u65e5\u672c\u8a9ecaf\u00e9 plain" },
    { "=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?=", "\u65e5\u672c\u8a9e" },
    { "a =?bad?X?y?= b", "a =?bad?X?y?= b" },
    { "Re: hello\r\n world", "Re: hello world" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *decoded = ms_trace_decode_header_text (cases[i][0]);

      cr_expect_str_eq (decoded, cases[i][1], "case %u", i);
    }
}
