/* test-ms-imap-search.c: SEARCH keys and their combinations
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "imap-test-util.h"

/* 1: Japanese (ISO-2022-JP subject, sender name and body), 5 Mar 2024, flagged */
#define JA \
  "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n" \
  "To: alice@example.com\r\n" \
  "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n" \
  "Date: Tue, 05 Mar 2024 19:00:00 +0900\r\n" \
  "Content-Type: text/plain; charset=ISO-2022-JP\r\n" \
  "\r\n" \
  "\x1b$B$3$s$K$A$O\x1b(B\r\n"
/* 2: quoted-printable UTF-8, seen and answered, 1 Feb 2024 */
#define QP \
  "From: Bob <bob@example.com>\r\n" \
  "To: alice@example.com\r\n" \
  "Cc: carol@example.org\r\n" \
  "Subject: Coffee\r\n" \
  "Date: Thu, 01 Feb 2024 08:00:00 -0500\r\n" \
  "X-Priority: 1 (Highest)\r\n" \
  "Content-Type: text/plain; charset=utf-8\r\n" \
  "Content-Transfer-Encoding: quoted-printable\r\n" \
  "\r\n" \
  "Caf=C3=A9 au lait?\r\n"
/* 3: base64 body, deleted, 10 Apr 2024 */
#define B64 \
  "From: Carol <carol@example.org>\r\n" \
  "To: bob@example.com\r\n" \
  "Bcc: alice@example.com\r\n" \
  "Subject: plans\r\n" \
  "Content-Type: text/plain; charset=us-ascii\r\n" \
  "Content-Transfer-Encoding: base64\r\n" \
  "\r\n" \
  "U2VjcmV0IHBsYW4=\r\n"
/* 4: multipart with a forwarded message, recent, keyword $Work, 6 Mar 2024 */
#define FWD \
  "From: dave@example.net\r\n" \
  "To: alice@example.com\r\n" \
  "Subject: Fwd: report\r\n" \
  "Content-Type: multipart/mixed; boundary=b\r\n" \
  "\r\n" \
  "--b\r\n" \
  "\r\n" \
  "FYI, see attached.\r\n" \
  "--b\r\n" \
  "Content-Type: message/rfc822\r\n" \
  "\r\n" \
  "From: erin@example.com\r\n" \
  "Subject: quarterly report\r\n" \
  "\r\n" \
  "Numbers are up.\r\n" \
  "--b--\r\n"

static void
add_at (MsMailStore *store, const char *raw, MsMessageFlags flags, const char *const *keywords,
        gint64 date)
{
  MsMailbox *inbox = ms_mail_store_get_mailbox (store, "alice@example.com", "INBOX");
  g_autoptr(GBytes) bytes = g_bytes_new (raw, strlen (raw));

  ms_mailbox_append (inbox, bytes, flags, keywords, date);
}

static void
setup_search (MsMailStore *store)
{
  static const char *const work[] = { "$Work", NULL };

  add_at (store, JA, MS_FLAG_FLAGGED, NULL, 1709634030);                   /* 2024-03-05 */
  add_at (store, QP, MS_FLAG_SEEN | MS_FLAG_ANSWERED, NULL, 1706774400);   /* 2024-02-01 */
  add_at (store, B64, MS_FLAG_DELETED | MS_FLAG_SEEN, NULL, 1712750400);   /* 2024-04-10 */
  add_at (store, FWD, MS_FLAG_RECENT, work, 1709720000);                   /* 2024-03-06 */
}

typedef struct
{
  const char *criteria;
  const char *result;   /* the untagged SEARCH line, or the tagged reply when it starts with "t " */
} SearchRow;

static const SearchRow rows[] = {
  { "ALL", "* SEARCH 1 2 3 4" },
  /* flags */
  { "SEEN", "* SEARCH 2 3" },
  { "UNSEEN", "* SEARCH 1 4" },
  { "FLAGGED", "* SEARCH 1" },
  { "UNFLAGGED", "* SEARCH 2 3 4" },
  { "DELETED", "* SEARCH 3" },
  { "UNDELETED", "* SEARCH 1 2 4" },
  { "ANSWERED", "* SEARCH 2" },
  { "UNANSWERED", "* SEARCH 1 3 4" },
  { "DRAFT", "* SEARCH" },
  { "RECENT", "* SEARCH 4" },
  { "NEW", "* SEARCH 4" },
  { "OLD", "* SEARCH 1 2 3" },
  { "KEYWORD $Work", "* SEARCH 4" },
  { "UNKEYWORD $work", "* SEARCH 1 2 3" },
  /* headers, decoded and case-insensitive */
  { "FROM bob", "* SEARCH 2" },
  { "FROM EXAMPLE.ORG", "* SEARCH 3" },
  { "TO bob", "* SEARCH 3" },
  { "CC carol", "* SEARCH 2" },
  { "BCC alice", "* SEARCH 3" },
  { "SUBJECT \"FWD: REP\"", "* SEARCH 4" },
  { "CHARSET UTF-8 SUBJECT {15+}\r\nこんにちは", "* SEARCH 1" },
  { "CHARSET UTF-8 FROM {6+}\r\n山田", "* SEARCH 1" },
  { "HEADER X-Priority highest", "* SEARCH 2" },
  { "HEADER Date \"\"", "* SEARCH 1 2" },
  /* bodies: transfer encodings and charsets */
  { "BODY lunch", "* SEARCH" },
  { "BODY {5+}\r\ncafé", "* SEARCH 2" },
  { "BODY SECRET", "* SEARCH 3" },
  { "CHARSET UTF-8 BODY {15+}\r\nこんにちは", "* SEARCH 1" },
  { "BODY \"numbers are\"", "* SEARCH 4" },
  { "TEXT erin", "* SEARCH 4" },
  { "TEXT coffee", "* SEARCH 2" },
  { "BODY coffee", "* SEARCH" },
  /* dates: internal date and Date: header */
  { "SINCE 5-Mar-2024", "* SEARCH 1 3 4" },
  { "BEFORE 5-Mar-2024", "* SEARCH 2" },
  { "ON 05-Mar-2024", "* SEARCH 1" },
  { "SENTSINCE 5-Mar-2024", "* SEARCH 1" },
  { "SENTBEFORE 2-Feb-2024", "* SEARCH 2" },
  { "SENTON 1-Feb-2024", "* SEARCH 2" },
  /* sizes */
  { "LARGER 244", "* SEARCH 2 4" },
  { "SMALLER 244", "* SEARCH 3" },
  /* sets and logic */
  { "2:3", "* SEARCH 2 3" },
  { "3:*", "* SEARCH 3 4" },
  { "UID 1,4", "* SEARCH 1 4" },
  { "NOT 1", "* SEARCH 2 3 4" },
  { "OR FROM bob FROM carol", "* SEARCH 2 3" },
  { "OR OR 1 2 3", "* SEARCH 1 2 3" },
  { "(SEEN DELETED)", "* SEARCH 3" },
  { "NOT (OR 1 2)", "* SEARCH 3 4" },
  { "SEEN NOT DELETED", "* SEARCH 2" },
  { "UNDELETED (OR FLAGGED KEYWORD $Work) SINCE 1-Mar-2024", "* SEARCH 1 4" },
  { "CHARSET us-ascii ALL", "* SEARCH 1 2 3 4" },
  /* refusals */
  { "CHARSET ISO-8859-1 ALL", "t NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset" },
  { "FOO", "t BAD Unknown search key" },
  { "NOT", "t BAD Missing search key" },
  { "OR 1", "t BAD Missing search key" },
  { "SINCE yesterday", "t BAD Invalid date (expected d-Mon-yyyy)" },
  { "SINCE 31-Feb-2024", "t BAD Invalid date (expected d-Mon-yyyy)" },
  { "LARGER many", "t BAD LARGER and SMALLER need a number" },
  { "()", "t BAD Empty search group" },
  { "UID x", "t BAD UID needs a sequence set" },
  { "CHARSET", "t BAD CHARSET needs a name" },
};

Test (imap_search, every_key_and_combination)
{
  GString *input = g_string_new (L ("a LOGIN alice secret") L ("s SELECT INBOX"));
  g_autofree char *out = NULL;
  const char *p;

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_string_append_printf (input, "t SEARCH %s\r\n", rows[i].criteria);
  out = imap_converse (setup_search, input->str);
  g_string_free (input, TRUE);

  p = strstr (out, "s OK [READ-WRITE] SELECT completed\r\n");
  cr_assert_not_null (p, "%s", out);
  p += strlen ("s OK [READ-WRITE] SELECT completed\r\n");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const char *eol = strstr (p, "\r\n");
      g_autofree char *line = NULL;

      cr_assert_not_null (eol, "no reply for %s", rows[i].criteria);
      line = g_strndup (p, eol - p);
      cr_expect_str_eq (line, rows[i].result, "SEARCH %s", rows[i].criteria);
      p = eol + 2;
      if (!g_str_has_prefix (rows[i].result, "t "))
        {
          eol = strstr (p, "\r\n");
          cr_assert_not_null (eol);
          g_free (line);
          line = g_strndup (p, eol - p);
          cr_expect_str_eq (line, "t OK SEARCH completed", "SEARCH %s", rows[i].criteria);
          p = eol + 2;
        }
    }
  cr_expect_str_eq (p, "");
}

Test (imap_search, uid_search_answers_with_uids_after_an_expunge)
{
  g_autofree char *out = imap_converse (setup_search,
    L ("a LOGIN alice secret") L ("s SELECT INBOX") L ("e EXPUNGE")
    L ("u UID SEARCH ALL") L ("v SEARCH ALL") L ("w UID SEARCH UID 2:*") L ("x SEARCH 9"));

  cr_expect (g_str_has_suffix (out, L ("* 3 EXPUNGE")
                                    L ("e OK EXPUNGE completed")
                                    L ("* SEARCH 1 2 4")
                                    L ("u OK SEARCH completed")
                                    L ("* SEARCH 1 2 3")
                                    L ("v OK SEARCH completed")
                                    L ("* SEARCH 2 4")
                                    L ("w OK SEARCH completed")
                                    L ("* SEARCH")
                                    L ("x OK SEARCH completed")), "%s", out);
}
