/* test-ms-imap-server.c: IMAP conversations, each fed whole, byte by byte and split
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <criterion/criterion.h>
#include <string.h>

#include "imap-test-util.h"

#define MSG1 "From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: one\r\n\r\nfirst\r\n"
#define MSG2 "From: Carol <carol@example.org>\r\nTo: alice@example.com\r\nSubject: two\r\n\r\nsecond\r\n"
#define MSG3 "From: Dave <dave@example.net>\r\nTo: alice@example.com\r\nSubject: three\r\n\r\nthird\r\n"

static void
setup_three (MsMailStore *store)
{
  imap_test_add (store, "alice@example.com", "INBOX", MSG1, MS_FLAG_SEEN);
  imap_test_add (store, "alice@example.com", "INBOX", MSG2, MS_FLAG_RECENT);
  imap_test_add (store, "alice@example.com", "INBOX", MSG3, MS_FLAG_FLAGGED | MS_FLAG_RECENT);
}

static void
setup_five (MsMailStore *store)
{
  setup_three (store);
  imap_test_add (store, "alice@example.com", "INBOX", MSG1, 0);
  imap_test_add (store, "alice@example.com", "INBOX", MSG2, 0);
}

#define LOGIN L("a LOGIN alice secret")
#define CAPS_AUTHED "IMAP4rev1 LITERAL+ IDLE MOVE UIDPLUS UNSELECT NAMESPACE ID ENABLE CHILDREN"
#define LOGIN_OK_TAG(t) L(t " OK [CAPABILITY " CAPS_AUTHED "] Logged in")
#define LOGIN_OK LOGIN_OK_TAG ("a")
#define SELECT_THREE_OK \
  L("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)") \
  L("* 3 EXISTS") \
  L("* 2 RECENT") \
  L("* OK [UNSEEN 2] Message 2 is first unseen") \
  L("* OK [UIDVALIDITY 1] UIDs valid") \
  L("* OK [UIDNEXT 4] Predicted next UID") \
  L("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted") \
  L("s OK [READ-WRITE] SELECT completed")

Test (imap_server, greets_with_capabilities_and_hostname)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *h = imap_harness_new (store, NULL);
  g_autofree char *greeting = imap_harness_take (h);

  cr_expect_str_eq (greeting, L ("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR LITERAL+ "
                                 "IDLE MOVE UIDPLUS UNSELECT NAMESPACE ID ENABLE CHILDREN] "
                                 "mail.example.com IMAP4rev1 MailSim ready"));
  cr_expect_eq (ms_imap_server_get_state (h->server), MS_IMAP_SERVER_STATE_NOT_AUTHENTICATED);
  imap_harness_free (h);
}

Test (imap_server, capability_noop_and_logout)
{
  g_autofree char *out = imap_converse (NULL, L ("a1 capability") L ("a2 NOOP") L ("a3 LOGOUT")
                                              L ("a4 NOOP"));

  cr_expect_str_eq (out,
                    L ("* CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN SASL-IR LITERAL+ IDLE MOVE "
                       "UIDPLUS UNSELECT NAMESPACE ID ENABLE CHILDREN")
                    L ("a1 OK CAPABILITY completed")
                    L ("a2 OK NOOP completed")
                    L ("* BYE mail.example.com IMAP4rev1 server logging out")
                    L ("a3 OK LOGOUT completed"));
}

Test (imap_server, login_with_quoted_and_literal_credentials)
{
  g_autofree char *out = imap_converse (NULL,
                                        L ("a LOGIN \"alice@example.com\" {6}")
                                        "secret" L ("")
                                        L ("b LOGOUT"));

  cr_expect_str_eq (out, L ("+ Ready for literal data")
                         LOGIN_OK
                         L ("* BYE mail.example.com IMAP4rev1 server logging out")
                         L ("b OK LOGOUT completed"));
}

Test (imap_server, a_wrong_password_is_refused_with_authenticationfailed)
{
  g_autofree char *out = imap_converse (NULL, L ("a LOGIN alice wrong") L ("b LOGIN nobody x")
                                              L ("c SELECT INBOX"));

  cr_expect_str_eq (out, L ("a NO [AUTHENTICATIONFAILED] Authentication failed")
                         L ("b NO [AUTHENTICATIONFAILED] Authentication failed")
                         L ("c BAD Command not allowed in this state (not-authenticated)"));
}

Test (imap_server, authenticate_plain_with_continuation_initial_response_and_cancel)
{
  /* base64("\0alice\0secret") and base64("\0alice\0bad") */
  g_autofree char *out = imap_converse (NULL,
                                        L ("a AUTHENTICATE PLAIN")
                                        L ("*")
                                        L ("b AUTHENTICATE PLAIN")
                                        L ("AGFsaWNlAGJhZA==")
                                        L ("c AUTHENTICATE CRAM-MD5")
                                        L ("d AUTHENTICATE PLAIN !!!")
                                        L ("e AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==")
                                        L ("f LOGIN alice secret"));

  cr_expect_str_eq (out, L ("+ ")
                         L ("a BAD AUTHENTICATE cancelled")
                         L ("+ ")
                         L ("b NO [AUTHENTICATIONFAILED] Authentication failed")
                         L ("c NO Unsupported authentication mechanism")
                         L ("d BAD Invalid base64 data")
                         L ("e OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE MOVE UIDPLUS UNSELECT "
                            "NAMESPACE ID ENABLE CHILDREN] Logged in")
                         L ("f BAD Command not allowed in this state (authenticated)"));
}

Test (imap_server, logindisabled_until_starttls_then_state_is_reset)
{
  const MsImapServerConfig config = {
    .hostname = "mx.example.com", .tls_available = TRUE, .allow_plain_login_without_tls = FALSE
  };
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *h = imap_harness_new (store, &config);
  g_autofree char *greeting = imap_harness_take (h);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  cr_expect (strstr (greeting, "STARTTLS LOGINDISABLED ") != NULL, "%s", greeting);
  cr_expect (strstr (greeting, "AUTH=PLAIN") == NULL);
  imap_harness_feed (h, L ("a LOGIN alice secret") L ("b AUTHENTICATE PLAIN")
                        L ("c STARTTLS") L ("d NOOP"), MS_CHUNKS_WHOLE, 0);
  before = imap_harness_take (h);
  cr_expect_str_eq (before,
                    L ("a NO [PRIVACYREQUIRED] Plaintext login is disabled until STARTTLS")
                    L ("b NO [PRIVACYREQUIRED] Plaintext authentication is disabled until STARTTLS")
                    L ("c OK Begin TLS negotiation now"));
  cr_expect (h->tls_requested);
  /* "d NOOP" came behind STARTTLS in the same read: it must be dropped (RFC 3501 §6.2.1). */
  ms_engine_tls_established (MS_ENGINE (h->server), MS_TLS_STARTTLS);
  imap_harness_feed (h, L ("e CAPABILITY") L ("f STARTTLS") L ("g LOGIN alice secret"),
                     MS_CHUNKS_BYTE_BY_BYTE, 0);
  after = imap_harness_take (h);
  cr_expect_str_eq (after,
                    L ("* CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR LITERAL+ IDLE MOVE UIDPLUS "
                       "UNSELECT NAMESPACE ID ENABLE CHILDREN")
                    L ("e OK CAPABILITY completed")
                    L ("f BAD TLS is already active")
                    LOGIN_OK_TAG ("g"));
  imap_harness_free (h);
}

Test (imap_server, commands_outside_their_state_and_unknown_commands_get_bad)
{
  g_autofree char *out = imap_converse (NULL, L ("a FETCH 1 FLAGS") L ("b FROB") L ("c UID NOOP")
                                              LOGIN L ("d LOGIN alice secret") L ("e EXPUNGE")
                                              L ("f SELECT") L ("g SELECT a b")
                                              L ("h STATUS INBOX (FOO)"));

  cr_expect_str_eq (out, L ("a BAD Command not allowed in this state (not-authenticated)")
                         L ("b BAD Unknown command FROB")
                         L ("c BAD Unknown command UID NOOP")
                         LOGIN_OK
                         L ("d BAD Command not allowed in this state (authenticated)")
                         L ("e BAD Command not allowed in this state (authenticated)")
                         L ("f BAD Missing arguments for SELECT")
                         L ("g BAD Too many arguments for SELECT")
                         L ("h BAD Unknown STATUS item FOO"));
}

Test (imap_server, too_many_bad_commands_end_the_session)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *h = imap_harness_new (store, NULL);
  g_autofree char *out = NULL;

  for (int i = 0; i < MS_IMAP_MAX_BAD_COMMANDS + 2; i++)
    imap_harness_feed (h, L ("x BOGUS"), MS_CHUNKS_WHOLE, 0);
  out = imap_harness_take (h);
  cr_expect (g_str_has_suffix (out, L ("x BAD Unknown command BOGUS")
                                    L ("* BYE Too many invalid commands")), "%s", out);
  cr_expect (h->closed);
  cr_expect_eq (ms_imap_server_get_state (h->server), MS_IMAP_SERVER_STATE_LOGOUT);
  imap_harness_free (h);
}

Test (imap_server, select_reports_the_mailbox_and_examine_is_read_only)
{
  g_autofree char *out = imap_converse (setup_three, LOGIN L ("s SELECT INBOX")
                                                     L ("x EXAMINE inbox")
                                                     L ("y STORE 1 +FLAGS (\\Deleted)")
                                                     L ("z SELECT nosuch")
                                                     L ("w NOOP"));

  cr_expect_str_eq (out, LOGIN_OK SELECT_THREE_OK
                         L ("* OK [CLOSED] Previous mailbox closed")
                         L ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
                         L ("* 3 EXISTS")
                         L ("* 0 RECENT")
                         L ("* OK [UNSEEN 2] Message 2 is first unseen")
                         L ("* OK [UIDVALIDITY 1] UIDs valid")
                         L ("* OK [UIDNEXT 4] Predicted next UID")
                         L ("* OK [PERMANENTFLAGS ()] No permanent flags permitted")
                         L ("x OK [READ-ONLY] EXAMINE completed")
                         L ("y NO [READ-ONLY] Mailbox is read-only")
                         L ("* OK [CLOSED] Previous mailbox closed")
                         L ("z NO [NONEXISTENT] Mailbox does not exist")
                         L ("w OK NOOP completed"));
}

Test (imap_server, mailbox_management_list_lsub_and_status)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN
    L ("c1 CREATE Work/Projects/")
    L ("c2 CREATE Work")
    L ("c3 CREATE INBOX")
    L ("c4 CREATE \"My Stuff\"")
    L ("l1 LIST \"\" \"\"")
    L ("l2 LIST \"\" *")
    L ("l3 LIST \"\" %")
    L ("l4 LIST Work/ %")
    L ("r1 RENAME Work Job")
    L ("r2 RENAME nosuch other")
    L ("l5 LIST \"\" J*")
    L ("s1 SUBSCRIBE Job/Projects")
    L ("s2 SUBSCRIBE nosuch")
    L ("ls LSUB \"\" *")
    L ("u1 UNSUBSCRIBE Job/Projects")
    L ("u2 UNSUBSCRIBE Job/Projects")
    L ("d1 DELETE Job/Projects")
    L ("d2 DELETE INBOX")
    L ("d3 DELETE Job/Projects")
    L ("st STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")
    L ("s3 STATUS \"My Stuff\" (MESSAGES)")
    L ("s4 STATUS nosuch (MESSAGES)")
    L ("n NAMESPACE"));

  cr_expect_str_eq (out, LOGIN_OK
    L ("c1 OK CREATE completed")
    L ("c2 NO [ALREADYEXISTS] mailbox “Work” already exists")
    L ("c3 NO [ALREADYEXISTS] INBOX always exists")
    L ("c4 OK CREATE completed")
    L ("* LIST (\\Noselect) \"/\" \"\"")
    L ("l1 OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" INBOX")
    L ("* LIST (\\HasNoChildren) \"/\" \"My Stuff\"")
    L ("* LIST (\\HasChildren) \"/\" Work")
    L ("* LIST (\\HasNoChildren) \"/\" Work/Projects")
    L ("l2 OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" INBOX")
    L ("* LIST (\\HasNoChildren) \"/\" \"My Stuff\"")
    L ("* LIST (\\HasChildren) \"/\" Work")
    L ("l3 OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" Work/Projects")
    L ("l4 OK LIST completed")
    L ("r1 OK RENAME completed")
    L ("r2 NO [NONEXISTENT] no mailbox “nosuch”")
    L ("* LIST (\\HasChildren) \"/\" Job")
    L ("* LIST (\\HasNoChildren) \"/\" Job/Projects")
    L ("l5 OK LIST completed")
    L ("s1 OK SUBSCRIBE completed")
    L ("s2 NO [NONEXISTENT] Mailbox does not exist")
    L ("* LSUB () \"/\" INBOX")
    L ("* LSUB () \"/\" Job/Projects")
    L ("ls OK LSUB completed")
    L ("u1 OK UNSUBSCRIBE completed")
    L ("u2 NO [NONEXISTENT] Not subscribed")
    L ("d1 OK DELETE completed")
    L ("d2 NO [CANNOT] INBOX cannot be deleted")
    L ("d3 NO [NONEXISTENT] no mailbox “Job/Projects”")
    L ("* STATUS INBOX (MESSAGES 3 RECENT 2 UIDNEXT 4 UIDVALIDITY 1 UNSEEN 2)")
    L ("st OK STATUS completed")
    L ("* STATUS \"My Stuff\" (MESSAGES 0)")
    L ("s3 OK STATUS completed")
    L ("s4 NO [NONEXISTENT] Mailbox does not exist")
    L ("* NAMESPACE ((\"\" \"/\")) NIL NIL")
    L ("n OK NAMESPACE completed"));
}

Test (imap_server, append_waits_for_the_continuation_and_reports_appenduid)
{
  static const char message[] = "Subject: appended\r\n\r\nbody\r\n";
  g_autofree char *input = g_strdup_printf (
    LOGIN
    "p1 APPEND INBOX (\\Seen \\Flagged $Work) \"05-Mar-2024 10:20:30 +0900\" {%zu}\r\n%s\r\n"
    "p2 APPEND INBOX {%zu+}\r\n%s\r\n"
    "p3 APPEND Nosuch {4}\r\nabcd\r\n"
    "p4 APPEND INBOX (\\Bogus) {4}\r\nabcd\r\n"
    "p5 APPEND INBOX \"yesterday\" {4}\r\nabcd\r\n"
    "p6 APPEND INBOX\r\n"
    "s SELECT INBOX\r\n"
    "f FETCH 1:* (FLAGS RFC822.SIZE)\r\n"
    "g FETCH 1 INTERNALDATE\r\n",
    sizeof message - 1, message, sizeof message - 1, message);
  g_autofree char *out = imap_converse (NULL, input);

  cr_expect_str_eq (out, LOGIN_OK
    L ("+ Ready for literal data")
    L ("p1 OK [APPENDUID 1 1] APPEND completed")
    L ("p2 OK [APPENDUID 1 2] APPEND completed")
    L ("+ Ready for literal data")
    L ("p3 NO [TRYCREATE] Mailbox does not exist")
    L ("+ Ready for literal data")
    L ("p4 BAD Invalid system flag")
    L ("+ Ready for literal data")
    L ("p5 BAD Invalid date-time (expected \"dd-Mon-yyyy hh:mm:ss +zzzz\")")
    L ("p6 BAD APPEND needs a mailbox and a message")
    L ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)")
    L ("* 2 EXISTS")
    L ("* 2 RECENT")
    L ("* OK [UNSEEN 2] Message 2 is first unseen")
    L ("* OK [UIDVALIDITY 1] UIDs valid")
    L ("* OK [UIDNEXT 3] Predicted next UID")
    L ("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work \\*)] Flags permitted")
    L ("s OK [READ-WRITE] SELECT completed")
    L ("* 1 FETCH (FLAGS (\\Seen \\Flagged \\Recent $Work) RFC822.SIZE 27)")
    L ("* 2 FETCH (FLAGS (\\Recent) RFC822.SIZE 27)")
    L ("f OK FETCH completed")
    /* the date-time given to APPEND, at UTC */
    L ("* 1 FETCH (INTERNALDATE \"05-Mar-2024 01:20:30 +0000\")")
    L ("g OK FETCH completed"));
}

Test (imap_server, a_huge_literal_is_refused_without_continuation)
{
  const MsImapServerConfig config = {
    .hostname = "mail.example.com", .allow_plain_login_without_tls = TRUE, .max_literal = 100,
  };
  g_autofree char *out = imap_converse_config (NULL, &config,
                                               LOGIN L ("p APPEND INBOX {101}") L ("q NOOP"));
  g_autofree char *out2 = imap_converse_config (NULL, &config,
                                                LOGIN L ("p APPEND INBOX {5000000000+}")
                                                L ("q NOOP"));

  cr_expect_str_eq (out, LOGIN_OK
                         L ("p BAD Literal too large (maximum 100 octets)")
                         L ("q OK NOOP completed"));
  /* the bytes of a non-synchronizing literal are already coming: the session ends */
  cr_expect_str_eq (out2, LOGIN_OK
                          L ("p BAD Literal too large (maximum 100 octets)")
                          L ("* BYE Literal too large"));
}

Test (imap_server, store_flags_in_every_form)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN L ("s SELECT INBOX")
    L ("a1 STORE 1 +FLAGS (\\Answered $Label1)")
    L ("a2 STORE 1:2 -FLAGS \\Seen")
    L ("a3 STORE 2 FLAGS.SILENT (\\Draft)")
    L ("a4 UID STORE 3 FLAGS (\\Seen)")
    L ("a5 STORE 1 +FLAGS.SILENT ($Label1)")
    L ("a6 STORE 1 REPLACE (\\Seen)")
    L ("a7 STORE 9 +FLAGS (\\Seen)")
    L ("a8 STORE 1 +FLAGS (\\Recent)")
    L ("a9 FETCH 1:3 FLAGS"));

  cr_expect_str_eq (out, LOGIN_OK SELECT_THREE_OK
    L ("* 1 FETCH (FLAGS (\\Seen \\Answered $Label1))")
    L ("a1 OK STORE completed")
    L ("* 1 FETCH (FLAGS (\\Answered $Label1))")
    L ("* 2 FETCH (FLAGS (\\Recent))")
    L ("a2 OK STORE completed")
    L ("a3 OK STORE completed")
    L ("* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent))")
    L ("a4 OK STORE completed")
    L ("a5 OK STORE completed")
    L ("a6 BAD Invalid STORE item REPLACE (expected [+-]FLAGS[.SILENT])")
    L ("a7 BAD Invalid sequence number (the mailbox has 3 messages)")
    L ("* 1 FETCH (FLAGS (\\Answered $Label1))")
    L ("a8 OK STORE completed")
    L ("* 1 FETCH (FLAGS (\\Answered $Label1))")
    L ("* 2 FETCH (FLAGS (\\Draft \\Recent))")
    L ("* 3 FETCH (FLAGS (\\Seen \\Recent))")
    L ("a9 OK FETCH completed"));
}

Test (imap_server, expunge_reports_sequence_numbers_in_order)
{
  g_autofree char *out = imap_converse (setup_five,
    LOGIN L ("s SELECT INBOX")
    L ("d STORE 2:3,5 +FLAGS.SILENT (\\Deleted)")
    L ("e EXPUNGE")
    L ("f FETCH 1:* UID")
    L ("g UID STORE 4 +FLAGS.SILENT (\\Deleted)")
    L ("h UID EXPUNGE 1:3")
    L ("i UID EXPUNGE 4")
    L ("j UID FETCH 1:* UID"));

  cr_expect (strstr (out, L ("e OK EXPUNGE completed")) != NULL, "%s", out);
  cr_expect (strstr (out,
    L ("d OK STORE completed")
    L ("* 2 EXPUNGE")
    L ("* 2 EXPUNGE")
    L ("* 3 EXPUNGE")
    L ("e OK EXPUNGE completed")
    L ("* 1 FETCH (UID 1)")
    L ("* 2 FETCH (UID 4)")
    L ("f OK FETCH completed")
    L ("g OK STORE completed")
    L ("h OK EXPUNGE completed")
    L ("* 2 EXPUNGE")
    L ("i OK EXPUNGE completed")
    L ("* 1 FETCH (UID 1)")
    L ("j OK FETCH completed")) != NULL, "%s", out);
}

Test (imap_server, close_expunges_silently_and_unselect_does_not)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN L ("s SELECT INBOX")
    L ("d STORE 1 +FLAGS.SILENT (\\Deleted)")
    L ("u UNSELECT")
    L ("t STATUS INBOX (MESSAGES)")
    L ("e EXAMINE INBOX")
    L ("c CLOSE")
    L ("t STATUS INBOX (MESSAGES)")
    L ("s SELECT INBOX")
    L ("c CLOSE")
    L ("t STATUS INBOX (MESSAGES)")
    L ("x CLOSE"));

  cr_expect (strstr (out, L ("u OK UNSELECT completed")
                          L ("* STATUS INBOX (MESSAGES 3)")) != NULL, "%s", out);
  cr_expect (strstr (out, L ("e OK [READ-ONLY] EXAMINE completed")
                          L ("c OK CLOSE completed")
                          L ("* STATUS INBOX (MESSAGES 3)")) != NULL, "%s", out);
  cr_expect (strstr (out, L ("s OK [READ-WRITE] SELECT completed")
                          L ("c OK CLOSE completed")
                          L ("* STATUS INBOX (MESSAGES 2)")
                          L ("t OK STATUS completed")
                          L ("x BAD Command not allowed in this state (authenticated)")) != NULL,
             "%s", out);
  cr_expect (strstr (out, "EXPUNGE") == NULL, "%s", out);
}

Test (imap_server, copy_and_move_with_copyuid_and_trycreate)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN L ("c CREATE Archive") L ("s SELECT INBOX")
    L ("c1 COPY 1:2 Archive")
    L ("c2 COPY 1 Nosuch")
    L ("c3 UID COPY 3,7 Archive")
    L ("m1 MOVE 2 Archive")
    L ("m2 UID MOVE 3 Archive")
    L ("m3 UID MOVE 99 Archive")
    L ("t STATUS Archive (MESSAGES UIDNEXT)")
    L ("f FETCH 1:* UID"));

  cr_expect_str_eq (out, LOGIN_OK L ("c OK CREATE completed") SELECT_THREE_OK
    L ("c1 OK [COPYUID 3 1:2 1:2] COPY completed")
    L ("c2 NO [TRYCREATE] Mailbox does not exist")
    L ("c3 OK [COPYUID 3 3 3] COPY completed")
    L ("* OK [COPYUID 3 2 4] Moved")
    L ("* 2 EXPUNGE")
    L ("m1 OK MOVE completed")
    L ("* OK [COPYUID 3 3 5] Moved")
    L ("* 2 EXPUNGE")
    L ("m2 OK MOVE completed")
    L ("m3 OK MOVE completed")
    L ("* STATUS Archive (MESSAGES 5 UIDNEXT 6)")
    L ("t OK STATUS completed")
    L ("* 1 FETCH (UID 1)")
    L ("f OK FETCH completed"));
}

Test (imap_server, copying_into_the_selected_mailbox_announces_exists)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN L ("s SELECT INBOX") L ("c COPY 1 INBOX") L ("f FETCH 4 (UID FLAGS)"));

  cr_expect (g_str_has_suffix (out, L ("* 4 EXISTS")
                                    L ("* 3 RECENT")
                                    L ("c OK [COPYUID 1 1 4] COPY completed")
                                    L ("* 4 FETCH (UID 4 FLAGS (\\Seen \\Recent))")
                                    L ("f OK FETCH completed")), "%s", out);
}

/* Two sessions on one store: each sees the other's changes at its next command, and
 * EXPUNGE waits while a FETCH, STORE or SEARCH is answered (RFC 3501 §7.4.1). */
Test (imap_server, two_sessions_see_each_others_changes)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *a;
  ImapHarness *b;
  g_autofree char *out = NULL;

  setup_three (store);
  a = imap_harness_new (store, NULL);
  b = imap_harness_new (store, NULL);
  imap_harness_feed (a, LOGIN L ("s SELECT INBOX"), MS_CHUNKS_WHOLE, 0);
  imap_harness_feed (b, LOGIN L ("s SELECT INBOX"), MS_CHUNKS_WHOLE, 0);
  g_free (imap_harness_take (a));
  out = imap_harness_take (b);
  /* a claimed \Recent first */
  cr_expect (strstr (out, L ("* 0 RECENT")) != NULL, "%s", out);
  g_clear_pointer (&out, g_free);

  imap_harness_feed (b, L ("b1 STORE 2 +FLAGS (\\Deleted)") L ("b2 EXPUNGE"), MS_CHUNKS_RANDOM, 7);
  g_free (imap_harness_take (b));
  {
    g_autoptr(GBytes) raw = g_bytes_new_static (MSG1, strlen (MSG1));
    cr_assert_not_null (ms_mail_store_deliver (store, "alice", raw, NULL));
  }
  /* FETCH may not carry the EXPUNGE, but may carry EXISTS */
  imap_harness_feed (a, L ("a1 FETCH 2 FLAGS"), MS_CHUNKS_BYTE_BY_BYTE, 0);
  out = imap_harness_take (a);
  cr_expect_str_eq (out, L ("* 4 EXISTS") L ("* 3 RECENT")
                         L ("a1 NO [EXPUNGEISSUED] Some of the requested messages no longer exist"));
  g_clear_pointer (&out, g_free);
  imap_harness_feed (a, L ("a2 NOOP"), MS_CHUNKS_WHOLE, 0);
  out = imap_harness_take (a);
  cr_expect_str_eq (out, L ("* 2 EXPUNGE") L ("a2 OK NOOP completed"));
  g_clear_pointer (&out, g_free);

  /* b's flag change shows in a as an unsolicited FETCH */
  imap_harness_feed (b, L ("b3 STORE 1 -FLAGS.SILENT (\\Seen)"), MS_CHUNKS_WHOLE, 0);
  out = imap_harness_take (b);
  cr_expect_str_eq (out, L ("* 3 EXISTS") L ("b3 OK STORE completed"));
  g_clear_pointer (&out, g_free);
  imap_harness_feed (a, L ("a3 CHECK"), MS_CHUNKS_WHOLE, 0);
  out = imap_harness_take (a);
  cr_expect_str_eq (out, L ("* 1 FETCH (FLAGS ())") L ("a3 OK CHECK completed"));

  imap_harness_free (a);
  imap_harness_free (b);
}

Test (imap_server, idle_pushes_exists_and_expunge_until_done)
{
  for (guint c = 0; c < 3; c++)
    {
      g_autoptr(MsMailStore) store = imap_test_store_new ();
      ImapHarness *h;
      ImapHarness *other;
      g_autofree char *out = NULL;

      setup_three (store);
      h = imap_harness_new (store, NULL);
      imap_harness_feed (h, LOGIN L ("s SELECT INBOX") L ("i IDLE"), imap_all_chunkings[c], c);
      out = imap_harness_take (h);
      cr_expect (g_str_has_suffix (out, L ("+ idling")), "%s", out);
      g_clear_pointer (&out, g_free);

      {
        g_autoptr(GBytes) raw = g_bytes_new_static (MSG2, strlen (MSG2));
        cr_assert_not_null (ms_mail_store_deliver (store, "alice@example.com", raw, NULL));
      }
      out = imap_harness_take (h);
      cr_expect_str_eq (out, L ("* 4 EXISTS") L ("* 3 RECENT"));
      g_clear_pointer (&out, g_free);

      other = imap_harness_new (store, NULL);
      imap_harness_feed (other, LOGIN L ("s SELECT INBOX") L ("x STORE 1 +FLAGS (\\Deleted)")
                                L ("y EXPUNGE"), MS_CHUNKS_WHOLE, 0);
      imap_harness_free (other);
      out = imap_harness_take (h);
      cr_expect_str_eq (out, L ("* 1 FETCH (FLAGS (\\Seen \\Deleted))") L ("* 1 EXPUNGE"));
      g_clear_pointer (&out, g_free);

      imap_harness_feed (h, L ("DONE") L ("n NOOP"), imap_all_chunkings[c], c);
      out = imap_harness_take (h);
      cr_expect_str_eq (out, L ("i OK IDLE terminated") L ("n OK NOOP completed"));
      imap_harness_free (h);
    }
}

Test (imap_server, idle_ends_with_bad_on_anything_but_done)
{
  g_autofree char *out = imap_converse (NULL, LOGIN L ("i IDLE") L ("NOOP") L ("n NOOP"));

  cr_expect_str_eq (out, LOGIN_OK L ("+ idling") L ("i BAD Expected DONE") L ("n OK NOOP completed"));
}

Test (imap_server, an_overlong_line_gets_bad_and_the_session_goes_on)
{
  const MsImapServerConfig config = {
    .hostname = "mail.example.com", .allow_plain_login_without_tls = TRUE, .max_command = 200,
  };
  g_autofree char *long_line = g_strnfill (300, 'x');
  g_autofree char *input = g_strdup_printf ("a NOOP %s\r\nb NOOP\r\n", long_line);
  g_autofree char *out = imap_converse_config (NULL, &config, input);

  cr_expect_str_eq (out, L ("* BAD Command line too long") L ("b OK NOOP completed"));
}

Test (imap_server, id_and_enable)
{
  g_autofree char *out = imap_converse (NULL, L ("i ID (\"name\" \"test\")") L ("j ID NIL")
                                              L ("k ID foo") LOGIN L ("e ENABLE CONDSTORE"));

  cr_expect (strstr (out, L ("i OK ID completed")) != NULL, "%s", out);
  cr_expect (strstr (out, L ("j OK ID completed")) != NULL, "%s", out);
  cr_expect (strstr (out, L ("k BAD ID expects a list or NIL")) != NULL, "%s", out);
  cr_expect (g_str_has_suffix (out, L ("* ENABLED") L ("e OK ENABLE completed")), "%s", out);
}

Test (imap_server, the_trace_records_commands_literals_and_secrets)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *h = imap_harness_new (store, NULL);
  MsTraceSession *session = ms_engine_get_session (MS_ENGINE (h->server));
  MsTraceLine *line;

  imap_harness_feed (h, LOGIN L ("p APPEND INBOX {5}") "hello" L ("") L ("s SELECT INBOX")
                        L ("f FETCH 1 BODY[]"), MS_CHUNKS_WHOLE, 0);
  /* greeting, LOGIN, OK, APPEND, +, data, (continuation line), OK, ... */
  line = ms_trace_session_get_line (session, 1);
  cr_expect_str_eq (line->command, "LOGIN");
  cr_expect (line->secret);
  line = ms_trace_session_get_line (session, 3);
  cr_expect_str_eq (line->command, "APPEND");
  cr_expect_str_eq (line->tag, "p");
  line = ms_trace_session_get_line (session, 5);
  cr_expect_eq (line->kind, MS_LINE_DATA);
  cr_expect_str_eq (line->text, "(5 octets of literal data)");
  {
    guint n = ms_trace_session_get_n_lines (session);
    MsTraceLine *fetch = ms_trace_session_get_line (session, n - 3);
    MsTraceLine *data = ms_trace_session_get_line (session, n - 2);
    MsTraceLine *done = ms_trace_session_get_line (session, n - 1);

    cr_expect_str_eq (fetch->text, "* 1 FETCH (BODY[] {5} FLAGS (\\Seen \\Recent))");
    cr_expect_eq (data->kind, MS_LINE_DATA);
    cr_expect_str_eq (done->text, "f OK FETCH completed");
    cr_expect_str_eq (done->status, "OK");
  }
  imap_harness_free (h);
}

Test (imap_server, a_password_after_a_literal_is_still_marked_secret)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *h = imap_harness_new (store, NULL);
  MsTraceSession *session = ms_engine_get_session (MS_ENGINE (h->server));
  MsTraceLine *line;

  imap_harness_feed (h, L ("a LOGIN {5}") "alice" L (" \"secret\"") L ("b NOOP"),
                     MS_CHUNKS_BYTE_BY_BYTE, 0);
  cr_expect (strstr (h->out->str, LOGIN_OK) != NULL, "%s", h->out->str);
  /* greeting, LOGIN, "+", the literal's summary, the rest of the line, OK, NOOP */
  line = ms_trace_session_get_line (session, 4);
  cr_assert_str_eq (line->text, " \"secret\"");
  cr_expect (line->secret);
  line = ms_trace_session_get_line (session, 6);
  cr_assert_str_eq (line->text, "b NOOP");
  cr_expect (!line->secret);
  imap_harness_free (h);
}

/* Garbage in any state must not crash or wedge the engine. */
Test (imap_server, random_input_never_crashes)
{
  static const char *prefixes[] = {
    "", LOGIN, LOGIN L ("s SELECT INBOX"), LOGIN L ("s SELECT INBOX") L ("i IDLE"),
    L ("a AUTHENTICATE PLAIN"),
  };
  static const char alphabet[] = "aA1 ()[]{}<>\"\\*%+:.,\r\n\n\x01\xff" "FETCH BODY[ UID SEARCH";
  GRand *rand = g_rand_new_with_seed (7);

  for (guint round = 0; round < 400; round++)
    {
      g_autoptr(MsMailStore) store = imap_test_store_new ();
      ImapHarness *h;
      char buf[256];
      guint len = g_rand_int_range (rand, 1, sizeof buf);

      setup_three (store);
      h = imap_harness_new (store, NULL);
      imap_harness_feed (h, prefixes[round % G_N_ELEMENTS (prefixes)], MS_CHUNKS_WHOLE, 0);
      for (guint j = 0; j < len; j++)
        buf[j] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      ms_engine_feed (MS_ENGINE (h->server), (const guint8 *) buf, len);
      imap_harness_feed (h, L ("") L ("z NOOP"), MS_CHUNKS_WHOLE, 0);
      imap_harness_free (h);
    }
  g_rand_free (rand);
}

Test (imap_server, store_and_search_hold_back_expunge_but_uid_search_may_carry_it)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  ImapHarness *a;
  ImapHarness *b;
  g_autofree char *out = NULL;

  setup_three (store);
  a = imap_harness_new (store, NULL);
  b = imap_harness_new (store, NULL);
  imap_harness_feed (a, LOGIN L ("s SELECT INBOX"), MS_CHUNKS_WHOLE, 0);
  imap_harness_feed (b, LOGIN L ("s SELECT INBOX") L ("x STORE 1 +FLAGS (\\Deleted)")
                        L ("y EXPUNGE"), MS_CHUNKS_WHOLE, 0);
  g_free (imap_harness_take (a));
  imap_harness_feed (a, L ("a1 STORE 2 +FLAGS.SILENT (\\Answered)") L ("a2 SEARCH ANSWERED")
                        L ("a3 UID SEARCH ANSWERED") L ("a4 SEARCH ANSWERED"),
                     MS_CHUNKS_RANDOM, 3);
  out = imap_harness_take (a);
  /* the flags of a message that is gone are not worth reporting: its EXPUNGE will come */
  cr_expect_str_eq (out, L ("a1 OK STORE completed")
                         L ("* SEARCH 2")
                         L ("a2 OK SEARCH completed")
                         L ("* SEARCH 2")
                         L ("* 1 EXPUNGE")
                         L ("a3 OK SEARCH completed")
                         L ("* SEARCH 1")
                         L ("a4 OK SEARCH completed"));
  imap_harness_free (a);
  imap_harness_free (b);
}

Test (imap_server, list_with_a_reference_and_renaming_inbox)
{
  g_autofree char *out = imap_converse (setup_three,
    LOGIN L ("c CREATE a/b/c") L ("l1 LIST a/ *") L ("l2 LIST a %") L ("l3 LIST \"\" a/%/c")
    L ("d DELETE a/b") L ("l4 LIST \"\" a/%")
    L ("r RENAME INBOX Old") L ("t STATUS INBOX (MESSAGES)") L ("u STATUS Old (MESSAGES)"));

  cr_expect_str_eq (out, LOGIN_OK
    L ("c OK CREATE completed")
    L ("* LIST (\\HasChildren) \"/\" a/b")
    L ("* LIST (\\HasNoChildren) \"/\" a/b/c")
    L ("l1 OK LIST completed")
    /* the reference is prefixed as is: "a" + "%" matches "a" itself */
    L ("* LIST (\\HasChildren) \"/\" a")
    L ("l2 OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" a/b/c")
    L ("l3 OK LIST completed")
    L ("d OK DELETE completed")
    L ("* LIST (\\Noselect \\HasChildren) \"/\" a/b")
    L ("l4 OK LIST completed")
    L ("r OK RENAME completed")
    L ("* STATUS INBOX (MESSAGES 0)")
    L ("t OK STATUS completed")
    L ("* STATUS Old (MESSAGES 3)")
    L ("u OK STATUS completed"));
}

static void
record_state (MsImapServer *server, guint old_state, guint new_state, GString *log)
{
  g_string_append_printf (log, "%s>%s ", ms_imap_server_state_to_string (old_state),
                          ms_imap_server_state_to_string (new_state));
}

Test (imap_server, state_changes_are_signalled_and_config_init_sets_defaults)
{
  g_autoptr(MsMailStore) store = imap_test_store_new ();
  g_autoptr(GString) log = g_string_new (NULL);
  MsImapServerConfig config;
  ImapHarness *h;

  ms_imap_server_config_init (&config);
  cr_expect_str_eq (config.hostname, "localhost");
  cr_expect (!config.allow_plain_login_without_tls);
  cr_expect_eq (config.max_literal, MS_IMAP_DEFAULT_MAX_LITERAL);
  config.allow_plain_login_without_tls = TRUE;
  h = imap_harness_new (store, &config);
  g_signal_connect (h->server, "state-changed", G_CALLBACK (record_state), log);
  imap_harness_feed (h, LOGIN L ("s SELECT INBOX") L ("t SELECT nosuch") L ("u EXAMINE INBOX")
                        L ("c CLOSE") L ("l LOGOUT"), MS_CHUNKS_WHOLE, 0);
  cr_expect_str_eq (log->str, "not-authenticated>authenticated authenticated>selected "
                              "selected>authenticated authenticated>selected "
                              "selected>authenticated authenticated>logout ");
  cr_expect (strstr (h->out->str, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN") != NULL, "%s", h->out->str);
  cr_expect (strstr (h->out->str, "] localhost IMAP4rev1 MailSim ready") != NULL);
  cr_expect_str_eq (ms_imap_server_get_user (h->server), "alice@example.com");
  imap_harness_free (h);
}

/* Backtracking wildcard matchers take exponential time on this (found by fuzzing). */
Test (imap_server, list_patterns_match_in_polynomial_time, .timeout = 10)
{
  g_autofree char *out = imap_converse (NULL,
    LOGIN L ("c CREATE aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    L ("l LIST \"\" *a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
    L ("m LIST \"\" %a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%")
    L ("n LIST \"\" ****************************************************************%"));

  cr_expect_str_eq (out, LOGIN_OK L ("c OK CREATE completed") L ("l OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    L ("m OK LIST completed")
    L ("* LIST (\\HasNoChildren) \"/\" INBOX")
    L ("* LIST (\\HasNoChildren) \"/\" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
    L ("n OK LIST completed"));
}

static void
setup_japanese_folder (MsMailStore *store)
{
  cr_assert_not_null (ms_mail_store_create_mailbox (store, "alice@example.com", "仕事/報告", NULL));
}

Test (imap_server, mailbox_names_are_modified_utf7_on_the_wire_and_utf8_in_the_store)
{
  g_autofree char *out = imap_converse (setup_japanese_folder,
    LOGIN L ("c CREATE &U9dP4Xux-") L ("d CREATE \"Tom &- Jerry\"") L ("e CREATE &U9dP4Xux")
    L ("l LIST \"\" *") L ("s SELECT &TtVOiw-/&WDFUSg-") L ("t STATUS \"Tom &- Jerry\" (MESSAGES)"));

  cr_expect_str_eq (out, LOGIN_OK
    L ("c OK CREATE completed")
    L ("d OK CREATE completed")
    L ("e NO [CANNOT] Mailbox name is not valid modified UTF-7")
    L ("* LIST (\\HasNoChildren) \"/\" INBOX")
    L ("* LIST (\\HasNoChildren) \"/\" \"Tom &- Jerry\"")
    L ("* LIST (\\HasChildren) \"/\" &TtVOiw-")
    L ("* LIST (\\HasNoChildren) \"/\" &TtVOiw-/&WDFUSg-")
    L ("* LIST (\\HasNoChildren) \"/\" &U9dP4Xux-")
    L ("l OK LIST completed")
    L ("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
    L ("* 0 EXISTS")
    L ("* 0 RECENT")
    L ("* OK [UIDVALIDITY 4] UIDs valid")
    L ("* OK [UIDNEXT 1] Predicted next UID")
    L ("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted")
    L ("s OK [READ-WRITE] SELECT completed")
    L ("* STATUS \"Tom &- Jerry\" (MESSAGES 0)")
    L ("t OK STATUS completed"));
}
