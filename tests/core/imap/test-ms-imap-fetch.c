/* test-ms-imap-fetch.c: FETCH items, sections, ENVELOPE and BODYSTRUCTURE
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "imap-test-util.h"

/* multipart/mixed: an ISO-2022-JP text part ("こんにちは") and a PDF attachment */
#define MIXED \
  "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>\r\n" \
  "To: alice@example.com, \"Bob B.\" <bob@example.com>\r\n" \
  "Cc: Team: carol@example.org, dave@example.net;\r\n" \
  "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\n" \
  "Date: Tue, 05 Mar 2024 19:00:00 +0900\r\n" \
  "Message-ID: <mp1@example.jp>\r\n" \
  "MIME-Version: 1.0\r\n" \
  "Content-Type: multipart/mixed;\r\n" \
  "\tboundary=\"XYZ\"\r\n" \
  "\r\n" \
  "This is a multi-part message in MIME format.\r\n" \
  "--XYZ\r\n" \
  "Content-Type: text/plain; charset=ISO-2022-JP\r\n" \
  "Content-Transfer-Encoding: 7bit\r\n" \
  "\r\n" \
  "\x1b$B$3$s$K$A$O\x1b(B\r\n" \
  "--XYZ\r\n" \
  "Content-Type: application/pdf; name=\"report.pdf\"\r\n" \
  "Content-Transfer-Encoding: base64\r\n" \
  "Content-Disposition: attachment; filename=\"report.pdf\"\r\n" \
  "\r\n" \
  "JVBERi0xLjQK\r\n" \
  "--XYZ--\r\n"

/* a plain message with no MIME headers at all */
#define PLAIN \
  "From: Bob <bob@example.com>\r\n" \
  "To: alice@example.com\r\n" \
  "Subject: lunch\r\n" \
  "X-Note: one\r\n" \
  "  folded\r\n" \
  "\r\n" \
  "Shall we have lunch?\r\n" \
  "At noon.\r\n"

/* a forwarded message: part 2 is message/rfc822 holding multipart/alternative */
#define FORWARD \
  "From: alice@example.com\r\n" \
  "Subject: Fwd: plan\r\n" \
  "Content-Type: multipart/mixed; boundary=outer\r\n" \
  "\r\n" \
  "--outer\r\n" \
  "\r\n" \
  "see below\r\n" \
  "--outer\r\n" \
  "Content-Type: message/rfc822\r\n" \
  "\r\n" \
  "From: carol@example.org\r\n" \
  "Subject: plan\r\n" \
  "Content-Type: multipart/alternative; boundary=inner\r\n" \
  "\r\n" \
  "--inner\r\n" \
  "Content-Type: text/plain\r\n" \
  "\r\n" \
  "plan A\r\n" \
  "--inner\r\n" \
  "Content-Type: text/html; charset=utf-8\r\n" \
  "\r\n" \
  "<p>plan A</p>\r\n" \
  "--inner--\r\n" \
  "--outer--\r\n"

static void
setup_messages (MsMailStore *store)
{
  imap_test_add (store, "alice@example.com", "INBOX", MIXED, 0);
  imap_test_add (store, "alice@example.com", "INBOX", PLAIN, MS_FLAG_SEEN);
  imap_test_add (store, "alice@example.com", "INBOX", FORWARD, 0);
}

#define LOGIN_SELECT L ("a LOGIN alice secret") L ("s EXAMINE INBOX")

/* The output after the EXAMINE's tagged OK. */
static char *
fetch (const char *commands)
{
  g_autofree char *input = g_strconcat (LOGIN_SELECT, commands, NULL);
  g_autofree char *out = imap_converse (setup_messages, input);
  const char *mark = strstr (out, "s OK [READ-ONLY] EXAMINE completed\r\n");

  cr_assert_not_null (mark, "%s", out);
  return g_strdup (mark + strlen ("s OK [READ-ONLY] EXAMINE completed\r\n"));
}

Test (imap_fetch, bodystructure_of_multipart_mixed_with_iso_2022_jp_and_attachment)
{
  g_autofree char *out = fetch (L ("f FETCH 1 BODYSTRUCTURE") L ("g FETCH 1 BODY"));

  cr_expect_str_eq (out,
    L ("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"ISO-2022-JP\") NIL NIL "
       "\"7bit\" 16 1 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL "
       "\"base64\" 12 NIL (\"attachment\" (\"filename\" \"report.pdf\")) NIL NIL) \"mixed\" "
       "(\"boundary\" \"XYZ\") NIL NIL NIL))")
    L ("f OK FETCH completed")
    L ("* 1 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"ISO-2022-JP\") NIL NIL \"7bit\" 16 1)"
       "(\"application\" \"pdf\" (\"name\" \"report.pdf\") NIL NIL \"base64\" 12) \"mixed\"))")
    L ("g OK FETCH completed"));
}

Test (imap_fetch, envelope_keeps_raw_header_text_and_groups)
{
  g_autofree char *out = fetch (L ("f FETCH 1 ENVELOPE") L ("g FETCH 2 ENVELOPE"));

  cr_expect_str_eq (out,
    L ("* 1 FETCH (ENVELOPE (\"Tue, 05 Mar 2024 19:00:00 +0900\" "
       "\"=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\" "
       "((\"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\" NIL \"yamada\" \"example.jp\")) "
       "((\"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\" NIL \"yamada\" \"example.jp\")) "
       "((\"=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\" NIL \"yamada\" \"example.jp\")) "
       "((NIL NIL \"alice\" \"example.com\")(\"Bob B.\" NIL \"bob\" \"example.com\")) "
       "((NIL NIL \"Team\" NIL)(NIL NIL \"carol\" \"example.org\")(NIL NIL \"dave\" \"example.net\")"
       "(NIL NIL NIL NIL)) NIL NIL \"<mp1@example.jp>\"))")
    L ("f OK FETCH completed")
    L ("* 2 FETCH (ENVELOPE (NIL \"lunch\" ((\"Bob\" NIL \"bob\" \"example.com\")) "
       "((\"Bob\" NIL \"bob\" \"example.com\")) ((\"Bob\" NIL \"bob\" \"example.com\")) "
       "((NIL NIL \"alice\" \"example.com\")) NIL NIL NIL NIL))")
    L ("g OK FETCH completed"));
}

Test (imap_fetch, simple_items_macros_and_uid_fetch)
{
  g_autofree char *out = fetch (L ("f FETCH 2 FAST") L ("g UID FETCH 2:* (RFC822.SIZE)")
                                L ("h FETCH 2 (UID FLAGS)") L ("i FETCH 2 FULL"));
  g_autofree char *expected = g_strdup_printf (
    L ("* 2 FETCH (FLAGS (\\Seen) INTERNALDATE \"05-Mar-2024 10:20:30 +0000\" RFC822.SIZE %zu)")
    L ("f OK FETCH completed")
    L ("* 2 FETCH (UID 2 RFC822.SIZE %zu)")
    L ("* 3 FETCH (UID 3 RFC822.SIZE %zu)")
    L ("g OK FETCH completed")
    L ("* 2 FETCH (UID 2 FLAGS (\\Seen))")
    L ("h OK FETCH completed")
    L ("* 2 FETCH (FLAGS (\\Seen) INTERNALDATE \"05-Mar-2024 10:20:30 +0000\" RFC822.SIZE %zu "
       "ENVELOPE (NIL \"lunch\" ((\"Bob\" NIL \"bob\" \"example.com\")) ((\"Bob\" NIL \"bob\" "
       "\"example.com\")) ((\"Bob\" NIL \"bob\" \"example.com\")) ((NIL NIL \"alice\" "
       "\"example.com\")) NIL NIL NIL NIL) BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL "
       "NIL \"7bit\" 32 2))")
    L ("i OK FETCH completed"),
    strlen (PLAIN), strlen (PLAIN), strlen (FORWARD), strlen (PLAIN));

  cr_expect_str_eq (out, expected);
}

Test (imap_fetch, header_text_and_field_sections)
{
  g_autofree char *out = fetch (L ("f FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject x-note)])")
                                L ("g FETCH 2 BODY.PEEK[HEADER.FIELDS.NOT (From To X-Note)]")
                                L ("h FETCH 2 BODY.PEEK[TEXT]")
                                L ("i FETCH 2 RFC822.HEADER")
                                L ("j FETCH 2 BODY.PEEK[1]"));

  cr_expect_str_eq (out,
    L ("* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT X-NOTE)] {41}")
    "Subject: lunch\r\nX-Note: one\r\n  folded\r\n\r\n" L (")")
    L ("f OK FETCH completed")
    L ("* 2 FETCH (BODY[HEADER.FIELDS.NOT (FROM TO X-NOTE)] {18}")
    "Subject: lunch\r\n\r\n" L (")")
    L ("g OK FETCH completed")
    L ("* 2 FETCH (BODY[TEXT] {32}")
    "Shall we have lunch?\r\nAt noon.\r\n" L (")")
    L ("h OK FETCH completed")
    L ("* 2 FETCH (RFC822.HEADER {93}")
    "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: lunch\r\n"
    "X-Note: one\r\n  folded\r\n\r\n" L (")")
    L ("i OK FETCH completed")
    L ("* 2 FETCH (BODY[1] {32}")
    "Shall we have lunch?\r\nAt noon.\r\n" L (")")
    L ("j OK FETCH completed"));
}

Test (imap_fetch, part_numbers_mime_headers_and_nested_messages)
{
  g_autofree char *out = fetch (L ("a FETCH 1 (BODY.PEEK[1] BODY.PEEK[2.MIME])")
                                L ("b FETCH 3 BODY.PEEK[1]")
                                L ("c FETCH 3 BODY.PEEK[2.HEADER]")
                                L ("d FETCH 3 BODY.PEEK[2.1]")
                                L ("e FETCH 3 BODY.PEEK[2.2.MIME]")
                                L ("f FETCH 3 BODY.PEEK[2.TEXT]<0.7>")
                                L ("g FETCH 3 (BODY.PEEK[9] BODY.PEEK[1.HEADER])")
                                L ("h FETCH 3 BODYSTRUCTURE"));

  cr_expect_str_eq (out,
    L ("* 1 FETCH (BODY[1] {16}") "\x1b$B$3$s$K$A$O\x1b(B BODY[2.MIME] {143}\r\n"
    "Content-Type: application/pdf; name=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n)\r\n"
    L ("a OK FETCH completed")
    L ("* 3 FETCH (BODY[1] {9}") "see below)\r\n"
    L ("b OK FETCH completed")
    L ("* 3 FETCH (BODY[2.HEADER] {95}")
    "From: carol@example.org\r\nSubject: plan\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n\r\n)\r\n"
    L ("c OK FETCH completed")
    L ("* 3 FETCH (BODY[2.1] {6}") "plan A)\r\n"
    L ("d OK FETCH completed")
    L ("* 3 FETCH (BODY[2.2.MIME] {42}") "Content-Type: text/html; charset=utf-8\r\n\r\n)\r\n"
    L ("e OK FETCH completed")
    L ("* 3 FETCH (BODY[2.TEXT]<0> {7}") "--inner)\r\n"
    L ("f OK FETCH completed")
    L ("* 3 FETCH (BODY[9] NIL BODY[1.HEADER] NIL)")
    L ("g OK FETCH completed")
    L ("* 3 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 1 "
       "NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 215 (NIL \"plan\" "
       "((NIL NIL \"carol\" \"example.org\")) ((NIL NIL \"carol\" \"example.org\")) "
       "((NIL NIL \"carol\" \"example.org\")) NIL NIL NIL NIL NIL) "
       "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 6 1 NIL NIL NIL NIL)"
       "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 13 1 NIL NIL NIL NIL) "
       "\"alternative\" (\"boundary\" \"inner\") NIL NIL NIL) 13 NIL NIL NIL NIL) \"mixed\" "
       "(\"boundary\" \"outer\") NIL NIL NIL))")
    L ("h OK FETCH completed"));
}

Test (imap_fetch, partial_fetch_clips_at_the_end)
{
  g_autofree char *out = fetch (L ("f FETCH 2 BODY.PEEK[TEXT]<6.3>")
                                L ("g FETCH 2 BODY.PEEK[TEXT]<25.100>")
                                L ("h FETCH 2 BODY.PEEK[TEXT]<500.10>")
                                L ("i FETCH 2 BODY.PEEK[TEXT]<1.0>")
                                L ("j FETCH 2 BODY.PEEK[TEXT]<x>"));

  cr_expect_str_eq (out,
    L ("* 2 FETCH (BODY[TEXT]<6> {3}") "we )\r\n"
    L ("f OK FETCH completed")
    L ("* 2 FETCH (BODY[TEXT]<25> {7}") "noon.\r\n)\r\n"
    L ("g OK FETCH completed")
    L ("* 2 FETCH (BODY[TEXT]<500> {0}") ")\r\n"
    L ("h OK FETCH completed")
    L ("i BAD Invalid section in FETCH item")
    L ("j BAD Invalid section in FETCH item"));
}

Test (imap_fetch, body_without_peek_sets_seen_and_reports_flags)
{
  g_autofree char *input = g_strdup (
    L ("a LOGIN alice secret") L ("s SELECT INBOX")
    L ("f FETCH 1 BODY[1]") L ("g FETCH 1 BODY[1]") L ("h FETCH 3 (FLAGS RFC822.TEXT)")
    L ("i FETCH 3 FLAGS"));
  g_autofree char *out = imap_converse (setup_messages, input);

  cr_expect (strstr (out, L ("* 1 FETCH (BODY[1] {16}") "\x1b$B$3$s$K$A$O\x1b(B FLAGS (\\Seen))\r\n"
                          L ("f OK FETCH completed")
                          L ("* 1 FETCH (BODY[1] {16}") "\x1b$B$3$s$K$A$O\x1b(B)\r\n"
                          L ("g OK FETCH completed")) != NULL, "%s", out);
  cr_expect (strstr (out, "* 3 FETCH (FLAGS (\\Seen) RFC822.TEXT {291}\r\n--outer\r\n")
             != NULL, "%s", out);
  cr_expect (g_str_has_suffix (out, L ("* 3 FETCH (FLAGS (\\Seen))")
                                    L ("i OK FETCH completed")), "%s", out);
}

Test (imap_fetch, bad_fetch_requests)
{
  g_autofree char *out = fetch (L ("a FETCH 1") L ("b FETCH 1 (FLAGS BOGUS)") L ("c FETCH 0 FLAGS")
                                L ("d FETCH 4 FLAGS") L ("e FETCH 1 BODY[HEADER.FIELDS ()]")
                                L ("f FETCH 1 BODY[MIME]") L ("g FETCH 1 ()") L ("h UID FETCH 99 FLAGS")
                                L ("i FETCH 1 ALL FLAGS")
                                L ("j FETCH 1 (" /* 65 items */
                                   "UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID "
                                   "UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID "
                                   "UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID "
                                   "UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID UID "
                                   "UID)"));

  cr_expect_str_eq (out,
    L ("a BAD FETCH needs items")
    L ("b BAD Invalid FETCH item")
    L ("c BAD Invalid sequence set")
    L ("d BAD Invalid sequence number (the mailbox has 3 messages)")
    L ("e BAD Invalid section in FETCH item")
    L ("f BAD Invalid section in FETCH item")
    L ("g BAD Invalid FETCH items")
    L ("h OK FETCH completed")
    L ("i BAD Too many arguments for FETCH")
    L ("j BAD Too many FETCH items"));
}
