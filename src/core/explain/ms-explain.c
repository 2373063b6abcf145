/* ms-explain.c: the explanation catalogue
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One row per command, reply code, status, response code and keyword, with a short text
 * for an exam candidate. The English text is the gettext msgid; po/ja.po translates it.
 * Lookups only pick rows; a line's explanation is the list of rows that apply to it,
 * e.g. "550 5.7.1 Relaying denied" is the 550 row, the X.7.1 row and, after RCPT,
 * the relay-denial row.
 */
#define G_LOG_DOMAIN "ms-explain"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ms-explain.h"
#include "ms-explain-event.h"

typedef struct
{
  MsProtocol  protocol;
  const char *key;
  const char *text;  /* msgid */
} MsExplainRow;

/* Keys of the context rows, looked up by the code below. */
#define CTX_STARTTLS_OK   "starttls-ok"
#define CTX_DATA_ACCEPTED "data-accepted"
#define CTX_RELAY_DENIED  "relay-denied"
#define CTX_IDLE_WAITING  "idle-waiting"
#define CTX_GREETING      "greeting"
#define CTX_LIST_ENTRY    "list-entry"
#define CTX_UIDL_ENTRY    "uidl-entry"
#define OTHER_DATA        "data"
#define OTHER_END_OF_DATA "."
#define OTHER_AUTH_LINE   "auth-response"
#define OTHER_AUTH_CANCEL "auth-cancel"
#define OTHER_CONTINUE    "+"

/* Longest key we parse out of a line (verbs, keywords, response codes). */
#define KEY_MAX 32

/* RFC 5321 §4.1.1, RFC 4954, RFC 3207; RFC 1939, 2449, 2595, 5034; RFC 9051, 3501. */
static const MsExplainRow commands[] = {
  /* SMTP, RFC 5321 §4.1.1 */
  { MS_PROTOCOL_SMTP, "HELO",
    N_("Greets the server and names the client's host: the plain SMTP opening, without "
       "extensions.") },
  { MS_PROTOCOL_SMTP, "EHLO",
    N_("Extended HELLO: greets the server and asks which ESMTP extensions it supports; the "
       "server lists them in a multi-line 250 reply.") },
  { MS_PROTOCOL_SMTP, "MAIL",
    N_("MAIL FROM starts a mail transaction and gives the envelope sender (reverse-path), "
       "where error reports go; it need not match the From: header.") },
  { MS_PROTOCOL_SMTP, "RCPT",
    N_("RCPT TO gives one envelope recipient; it is repeated for each recipient, and To, Cc "
       "and Bcc addresses all become RCPT TO.") },
  { MS_PROTOCOL_SMTP, "DATA",
    N_("Asks to send the message itself; after the 354 reply the client sends the header "
       "and body and ends them with a line holding only a period.") },
  { MS_PROTOCOL_SMTP, "QUIT",
    N_("Ends the session; the server answers 221 and closes the connection.") },
  { MS_PROTOCOL_SMTP, "RSET",
    N_("Aborts the current mail transaction (sender and recipients are forgotten) but keeps "
       "the connection open.") },
  { MS_PROTOCOL_SMTP, "VRFY",
    N_("Asks whether a user or mailbox exists; many servers answer 252 (cannot verify) so "
       "that spammers cannot collect addresses.") },
  { MS_PROTOCOL_SMTP, "EXPN",
    N_("Asks the server to expand a mailing list into its members; usually disabled to "
       "protect privacy.") },
  { MS_PROTOCOL_SMTP, "NOOP",
    N_("Does nothing but get a 250 reply; used to check that the server is responding.") },
  { MS_PROTOCOL_SMTP, "HELP",
    N_("Asks the server for help text, which comes back as a 214 reply.") },
  { MS_PROTOCOL_SMTP, "AUTH",
    N_("SMTP-AUTH (RFC 4954): the client logs in before sending, so the server may accept "
       "mail to other domains from it. PLAIN and LOGIN send the password only "
       "base64-encoded, readable by anyone watching unless TLS protects the session; "
       "CRAM-MD5 sends only a hash of a server challenge.") },
  { MS_PROTOCOL_SMTP, "STARTTLS",
    N_("Asks to switch this connection to TLS (RFC 3207); after the 220 reply the TLS "
       "handshake starts and the session begins again with EHLO, now encrypted.") },

  /* POP3, RFC 1939 §5-7, RFC 2449, RFC 2595, RFC 5034 */
  { MS_PROTOCOL_POP3, "USER",
    N_("Sends the user name, the first half of the USER/PASS login.") },
  { MS_PROTOCOL_POP3, "PASS",
    N_("Sends the password in clear text: anyone watching the connection can read it unless "
       "TLS (STLS, or POP3S on port 995) protects it.") },
  { MS_PROTOCOL_POP3, "APOP",
    N_("Logs in with the user name and an MD5 digest of the greeting's timestamp and the "
       "password, so the password itself is not sent; MD5-based APOP is no longer "
       "considered safe.") },
  { MS_PROTOCOL_POP3, "STAT",
    N_("Asks for the number of messages in the mailbox and their total size in octets.") },
  { MS_PROTOCOL_POP3, "LIST",
    N_("Lists each message's number and size in octets (or only one message's, with an "
       "argument).") },
  { MS_PROTOCOL_POP3, "RETR",
    N_("Retrieves the whole message with the given number; it follows as a multi-line "
       "response ended by a line holding only a period.") },
  { MS_PROTOCOL_POP3, "DELE",
    N_("Marks the message for deletion; it is really removed only when the session ends "
       "with QUIT.") },
  { MS_PROTOCOL_POP3, "RSET",
    N_("Unmarks every message marked for deletion in this session.") },
  { MS_PROTOCOL_POP3, "NOOP",
    N_("Does nothing; the server just answers +OK (keeps the connection alive).") },
  { MS_PROTOCOL_POP3, "QUIT",
    N_("Ends the session; after login the server first removes the messages marked with "
       "DELE (the UPDATE state).") },
  { MS_PROTOCOL_POP3, "TOP",
    N_("Retrieves a message's header and only the first n lines of its body (TOP msg n), "
       "e.g. to preview it.") },
  { MS_PROTOCOL_POP3, "UIDL",
    N_("Lists a unique id for each message that stays the same across sessions, so a client "
       "that leaves mail on the server knows which messages it already has.") },
  { MS_PROTOCOL_POP3, "CAPA",
    N_("Asks the server to list its capabilities (RFC 2449).") },
  { MS_PROTOCOL_POP3, "STLS",
    N_("Asks to switch this POP3 connection to TLS (RFC 2595); after +OK the TLS handshake "
       "starts, and the login that follows is protected.") },
  { MS_PROTOCOL_POP3, "AUTH",
    N_("Logs in with a SASL mechanism (RFC 5034). PLAIN and LOGIN send the password only "
       "base64-encoded, not encrypted; CRAM-MD5 sends only a hash of a server "
       "challenge.") },

  /* IMAP, RFC 9051 §6 (and RFC 3501) */
  { MS_PROTOCOL_IMAP, "CAPABILITY",
    N_("Asks which capabilities the server has (IMAP4rev1, STARTTLS, AUTH=PLAIN, IDLE …).") },
  { MS_PROTOCOL_IMAP, "NOOP",
    N_("Does nothing, but gives the server a chance to report news such as new messages "
       "(untagged EXISTS).") },
  { MS_PROTOCOL_IMAP, "LOGOUT",
    N_("Ends the session; the server sends an untagged BYE, then the tagged OK.") },
  { MS_PROTOCOL_IMAP, "STARTTLS",
    N_("Asks to switch this IMAP connection to TLS; after the tagged OK the TLS handshake "
       "starts.") },
  { MS_PROTOCOL_IMAP, "LOGIN",
    N_("Logs in with a user name and a password sent in clear text; only TLS (STARTTLS, or "
       "IMAPS on port 993) protects them.") },
  { MS_PROTOCOL_IMAP, "AUTHENTICATE",
    N_("Logs in with a SASL mechanism. PLAIN and LOGIN send the password only "
       "base64-encoded, not encrypted; CRAM-MD5 sends only a hash of a server "
       "challenge.") },
  { MS_PROTOCOL_IMAP, "SELECT",
    N_("Opens a mailbox (folder) for reading and changing; the server reports its number of "
       "messages, its flags and its UIDVALIDITY.") },
  { MS_PROTOCOL_IMAP, "EXAMINE",
    N_("Opens a mailbox read-only: like SELECT, but nothing changes (reading sets no \\Seen "
       "flag).") },
  { MS_PROTOCOL_IMAP, "CREATE",
    N_("Creates a new mailbox (folder) on the server.") },
  { MS_PROTOCOL_IMAP, "DELETE",
    N_("Deletes a mailbox (folder) on the server.") },
  { MS_PROTOCOL_IMAP, "RENAME",
    N_("Renames a mailbox (folder); renaming INBOX moves its messages into the new "
       "mailbox.") },
  { MS_PROTOCOL_IMAP, "SUBSCRIBE",
    N_("Adds a mailbox to the subscription list, the folders a client shows.") },
  { MS_PROTOCOL_IMAP, "UNSUBSCRIBE",
    N_("Removes a mailbox from the subscription list.") },
  { MS_PROTOCOL_IMAP, "LIST",
    /* xgettext:no-c-format */
    N_("Lists the mailboxes whose names match a pattern (* matches everything, % one level), "
       "with their attributes and hierarchy delimiter.") },
  { MS_PROTOCOL_IMAP, "LSUB",
    N_("Lists the subscribed mailboxes that match a pattern (dropped in IMAP4rev2).") },
  { MS_PROTOCOL_IMAP, "STATUS",
    N_("Asks for a mailbox's counters (MESSAGES, UNSEEN, UIDNEXT …) without selecting "
       "it.") },
  { MS_PROTOCOL_IMAP, "APPEND",
    N_("Uploads a message into a mailbox (e.g. a copy into Sent); the message follows as a "
       "literal {size}.") },
  { MS_PROTOCOL_IMAP, "CHECK",
    N_("Asks the server to checkpoint the selected mailbox; does nothing on most servers "
       "(dropped in IMAP4rev2).") },
  { MS_PROTOCOL_IMAP, "CLOSE",
    N_("Closes the selected mailbox and permanently removes its messages flagged \\Deleted, "
       "without sending EXPUNGE responses.") },
  { MS_PROTOCOL_IMAP, "UNSELECT",
    N_("Closes the selected mailbox without removing the messages flagged \\Deleted "
       "(RFC 3691).") },
  { MS_PROTOCOL_IMAP, "EXPUNGE",
    N_("Permanently removes the messages flagged \\Deleted from the selected mailbox; each "
       "removal is reported as an untagged EXPUNGE.") },
  { MS_PROTOCOL_IMAP, "SEARCH",
    N_("Searches the selected mailbox on the server (by sender, subject, flags, date …) and "
       "returns the numbers of the matching messages.") },
  { MS_PROTOCOL_IMAP, "FETCH",
    N_("Retrieves data of messages by sequence number: flags, size, header, the whole "
       "message or only some parts, so the client need not download everything.") },
  { MS_PROTOCOL_IMAP, "STORE",
    N_("Changes the flags of messages (+FLAGS adds, -FLAGS removes), e.g. \\Seen for read or "
       "\\Deleted for removal; the flags are kept on the server.") },
  { MS_PROTOCOL_IMAP, "COPY",
    N_("Copies messages into another mailbox.") },
  { MS_PROTOCOL_IMAP, "MOVE",
    N_("Moves messages into another mailbox (RFC 6851).") },
  { MS_PROTOCOL_IMAP, "UID FETCH",
    N_("FETCH addressed by UID instead of sequence number; a message's UID does not change "
       "when other messages are removed.") },
  { MS_PROTOCOL_IMAP, "UID STORE",
    N_("STORE addressed by UID instead of sequence number: changes the flags of the messages "
       "with these UIDs.") },
  { MS_PROTOCOL_IMAP, "UID COPY",
    N_("COPY addressed by UID instead of sequence number.") },
  { MS_PROTOCOL_IMAP, "UID SEARCH",
    N_("SEARCH that returns UIDs instead of sequence numbers.") },
  { MS_PROTOCOL_IMAP, "UID MOVE",
    N_("MOVE addressed by UID instead of sequence number.") },
  { MS_PROTOCOL_IMAP, "UID EXPUNGE",
    N_("Removes only those messages flagged \\Deleted that have the given UIDs (RFC 4315, "
       "UIDPLUS).") },
  { MS_PROTOCOL_IMAP, "IDLE",
    N_("Asks the server to report changes (new mail as untagged EXISTS) as they happen, "
       "until the client sends DONE (RFC 2177).") },
  { MS_PROTOCOL_IMAP, "DONE",
    N_("Ends IDLE; the server then completes the IDLE command with its tagged OK.") },
  { MS_PROTOCOL_IMAP, "NAMESPACE",
    N_("Asks for the prefixes and hierarchy delimiters of personal, other users' and shared "
       "mailboxes (RFC 2342).") },
  { MS_PROTOCOL_IMAP, "ENABLE",
    N_("Turns on an extension that changes how the server behaves, e.g. UTF8=ACCEPT or "
       "CONDSTORE (RFC 5161).") },
};

/* RFC 5321 §4.2.2-4.2.3; 235, 334, 454, 530, 534, 535, 538 from RFC 4954; 521 from
 * RFC 7504; 555 and 455 from RFC 5321 §4.1.1.11. */
static const MsExplainRow smtp_codes[] = {
  { MS_PROTOCOL_SMTP, "211", N_("System status, or a reply to HELP about the system.") },
  { MS_PROTOCOL_SMTP, "214", N_("Help message, meant for a human reader.") },
  { MS_PROTOCOL_SMTP, "220",
    N_("Service ready: the server's greeting when the connection opens.") },
  { MS_PROTOCOL_SMTP, "221",
    N_("Service closing transmission channel: the server's goodbye after QUIT.") },
  { MS_PROTOCOL_SMTP, "235",
    N_("Authentication succeeded: the session may now send mail as this user, including "
       "mail to other domains.") },
  { MS_PROTOCOL_SMTP, "250", N_("Requested action okay, completed.") },
  { MS_PROTOCOL_SMTP, "251",
    N_("User not local; the server will forward the mail to the address it gives.") },
  { MS_PROTOCOL_SMTP, "252",
    N_("Cannot verify the user, but the server will accept the message and try to deliver "
       "it.") },
  { MS_PROTOCOL_SMTP, "334",
    N_("The server waits for the next step of authentication; its text is base64 (for LOGIN, "
       "\"Username:\" or \"Password:\"), and the client answers with one base64 line.") },
  { MS_PROTOCOL_SMTP, "354",
    N_("Start mail input: send the message now and end it with a line holding only a "
       "period.") },
  { MS_PROTOCOL_SMTP, "421",
    N_("Service not available, closing the connection (e.g. shutting down or too many "
       "connections); try again later.") },
  { MS_PROTOCOL_SMTP, "450",
    N_("Mailbox unavailable for now (e.g. busy, or greylisting); a temporary failure, so the "
       "sender retries later.") },
  { MS_PROTOCOL_SMTP, "451",
    N_("Local error in processing: the action was aborted; a temporary failure, so the "
       "sender retries later.") },
  { MS_PROTOCOL_SMTP, "452",
    N_("Insufficient system storage, or too many recipients; temporary, retry later.") },
  { MS_PROTOCOL_SMTP, "454",
    N_("Temporary authentication failure, or TLS is not available right now; try again "
       "later.") },
  { MS_PROTOCOL_SMTP, "455",
    N_("The server cannot accommodate the parameters of MAIL FROM or RCPT TO for now.") },
  { MS_PROTOCOL_SMTP, "500",
    N_("Syntax error: the command was not recognized (or the line was too long).") },
  { MS_PROTOCOL_SMTP, "501", N_("Syntax error in the command's parameters or arguments.") },
  { MS_PROTOCOL_SMTP, "502", N_("Command not implemented by this server.") },
  { MS_PROTOCOL_SMTP, "503",
    N_("Bad sequence of commands: e.g. RCPT before MAIL, or DATA before any accepted "
       "recipient.") },
  { MS_PROTOCOL_SMTP, "504",
    N_("Command parameter not implemented (e.g. an unknown AUTH mechanism).") },
  { MS_PROTOCOL_SMTP, "521", N_("This host does not accept mail at all (RFC 7504).") },
  { MS_PROTOCOL_SMTP, "530",
    N_("Authentication required (or STARTTLS first) before this command is allowed; "
       "typical on the submission port 587.") },
  { MS_PROTOCOL_SMTP, "534",
    N_("The authentication mechanism is too weak for this server's policy.") },
  { MS_PROTOCOL_SMTP, "535",
    N_("Authentication credentials invalid: wrong user name or password.") },
  { MS_PROTOCOL_SMTP, "538",
    N_("This authentication mechanism requires encryption: use STARTTLS first.") },
  { MS_PROTOCOL_SMTP, "550",
    N_("Requested action not taken: mailbox unavailable (no such user) or refused by policy; "
       "a permanent failure.") },
  { MS_PROTOCOL_SMTP, "551",
    N_("User not local, and the server will not forward; the sender should try the address "
       "it gives.") },
  { MS_PROTOCOL_SMTP, "552",
    N_("Exceeded storage allocation: the message is too large or the mailbox is full.") },
  { MS_PROTOCOL_SMTP, "553",
    N_("Mailbox name not allowed, e.g. a syntax error in the address.") },
  { MS_PROTOCOL_SMTP, "554",
    N_("Transaction failed (as a greeting: no SMTP service here); often a policy refusal, "
       "such as relaying denied. Permanent.") },
  { MS_PROTOCOL_SMTP, "555",
    N_("Parameters of MAIL FROM or RCPT TO not recognized or not implemented.") },
};

/* RFC 5321 §4.2.1 */
static const MsExplainRow smtp_classes[] = {
  { MS_PROTOCOL_SMTP, "2xx", N_("Positive completion: the command succeeded.") },
  { MS_PROTOCOL_SMTP, "3xx",
    N_("Positive intermediate: go on, the server waits for more (the message after DATA, "
       "the next AUTH step).") },
  { MS_PROTOCOL_SMTP, "4xx",
    N_("Transient negative completion: it failed this time, but the same request may succeed "
       "later; the sender keeps the mail queued and retries.") },
  { MS_PROTOCOL_SMTP, "5xx",
    N_("Permanent negative completion: repeating the same request will not help; the mail "
       "comes back to the sender as an error report.") },
};

/* Enhanced status codes, RFC 3463 §3 (and RFC 4954, RFC 7372): key is subject.detail. */
static const MsExplainRow smtp_enhanced[] = {
  { MS_PROTOCOL_SMTP, "X.0.0", N_("Other or undefined status.") },
  { MS_PROTOCOL_SMTP, "X.1.0", N_("Other address status, about an envelope address.") },
  { MS_PROTOCOL_SMTP, "X.1.1",
    N_("Bad destination mailbox address: no such user at that domain.") },
  { MS_PROTOCOL_SMTP, "X.1.2",
    N_("Bad destination system address: the domain does not exist or takes no mail.") },
  { MS_PROTOCOL_SMTP, "X.1.3", N_("Bad destination mailbox address syntax.") },
  { MS_PROTOCOL_SMTP, "X.1.6", N_("Destination mailbox has moved; no forwarding address.") },
  { MS_PROTOCOL_SMTP, "X.1.7", N_("Bad sender's mailbox address syntax.") },
  { MS_PROTOCOL_SMTP, "X.1.8", N_("Bad sender's system address: the domain is unusable.") },
  { MS_PROTOCOL_SMTP, "X.2.0", N_("Other mailbox status.") },
  { MS_PROTOCOL_SMTP, "X.2.1", N_("Mailbox disabled, not accepting messages.") },
  { MS_PROTOCOL_SMTP, "X.2.2", N_("Mailbox full.") },
  { MS_PROTOCOL_SMTP, "X.2.3", N_("Message length exceeds the administrative limit.") },
  { MS_PROTOCOL_SMTP, "X.3.0", N_("Other mail system status.") },
  { MS_PROTOCOL_SMTP, "X.3.4", N_("Message too big for the system.") },
  { MS_PROTOCOL_SMTP, "X.4.0", N_("Other network or routing status.") },
  { MS_PROTOCOL_SMTP, "X.4.1", N_("No answer from the destination host.") },
  { MS_PROTOCOL_SMTP, "X.4.3", N_("Directory server failure, e.g. a DNS lookup failed.") },
  { MS_PROTOCOL_SMTP, "X.4.4", N_("Unable to route: no mail server found for the domain.") },
  { MS_PROTOCOL_SMTP, "X.4.7", N_("Delivery time expired: the message stayed queued too "
                                  "long.") },
  { MS_PROTOCOL_SMTP, "X.5.0", N_("Other protocol status.") },
  { MS_PROTOCOL_SMTP, "X.5.1", N_("Invalid command.") },
  { MS_PROTOCOL_SMTP, "X.5.2", N_("Syntax error.") },
  { MS_PROTOCOL_SMTP, "X.5.3", N_("Too many recipients.") },
  { MS_PROTOCOL_SMTP, "X.5.4", N_("Invalid command arguments.") },
  { MS_PROTOCOL_SMTP, "X.6.0", N_("Other media status, about the message content.") },
  { MS_PROTOCOL_SMTP, "X.7.0",
    N_("Other security or policy status (e.g. authentication or TLS required).") },
  { MS_PROTOCOL_SMTP, "X.7.1",
    N_("Delivery not authorized, message refused: the server's policy forbids it, e.g. "
       "relaying for an unauthenticated client.") },
  { MS_PROTOCOL_SMTP, "X.7.8", N_("Authentication credentials invalid.") },
  { MS_PROTOCOL_SMTP, "X.7.9", N_("Authentication mechanism is too weak.") },
  { MS_PROTOCOL_SMTP, "X.7.11",
    N_("Encryption required for the requested authentication mechanism.") },
  { MS_PROTOCOL_SMTP, "X.7.20", N_("No passing DKIM signature found.") },
  { MS_PROTOCOL_SMTP, "X.7.23",
    N_("SPF validation failed: the sending host is not allowed to send for the sender's "
       "domain.") },
};

/* EHLO keywords: RFC 2920, 1870, 6152, 2034, 4954, 3207, 3461, 6531, 3030. */
static const MsExplainRow ehlo_keywords[] = {
  { MS_PROTOCOL_SMTP, "PIPELINING",
    N_("The client may send several commands at once without waiting for each reply "
       "(RFC 2920).") },
  { MS_PROTOCOL_SMTP, "SIZE",
    N_("The largest message the server accepts, in octets; with MAIL FROM … SIZE= an "
       "oversized message is refused before it is sent (RFC 1870).") },
  { MS_PROTOCOL_SMTP, "8BITMIME",
    N_("The server takes 8-bit message bodies (BODY=8BITMIME) without 7-bit encoding "
       "(RFC 6152).") },
  { MS_PROTOCOL_SMTP, "ENHANCEDSTATUSCODES",
    N_("Replies carry an enhanced status code such as 5.7.1 after the three-digit code "
       "(RFC 2034, RFC 3463).") },
  { MS_PROTOCOL_SMTP, "AUTH",
    N_("SMTP-AUTH is offered, followed by its SASL mechanisms (PLAIN, LOGIN, CRAM-MD5 …) "
       "(RFC 4954).") },
  { MS_PROTOCOL_SMTP, "STARTTLS",
    N_("The connection can be switched to TLS with the STARTTLS command (RFC 3207).") },
  { MS_PROTOCOL_SMTP, "HELP", N_("The HELP command is available.") },
  { MS_PROTOCOL_SMTP, "DSN",
    N_("Delivery status notifications: the sender may ask for success or failure reports "
       "(NOTIFY=, RET=) (RFC 3461).") },
  { MS_PROTOCOL_SMTP, "SMTPUTF8",
    N_("Addresses and headers in UTF-8 (internationalized mail) are accepted (RFC 6531).") },
  { MS_PROTOCOL_SMTP, "CHUNKING",
    N_("The BDAT command is available: the message may be sent in counted chunks instead of "
       "with DATA (RFC 3030).") },
};

/* POP3 CAPA tags: RFC 2449 §6, RFC 2595 (STLS), RFC 3206 (AUTH-RESP-CODE). */
static const MsExplainRow pop3_capabilities[] = {
  { MS_PROTOCOL_POP3, "TOP", N_("The TOP command is available (header and first lines).") },
  { MS_PROTOCOL_POP3, "USER", N_("Login with USER and PASS is available.") },
  { MS_PROTOCOL_POP3, "SASL",
    N_("The AUTH command is available, with the SASL mechanisms listed after it.") },
  { MS_PROTOCOL_POP3, "RESP-CODES",
    N_("-ERR replies may carry a response code in brackets, such as [IN-USE].") },
  { MS_PROTOCOL_POP3, "AUTH-RESP-CODE",
    N_("A failed login says in brackets whether the credentials ([AUTH]) or the system "
       "([SYS/TEMP], [SYS/PERM]) was at fault.") },
  { MS_PROTOCOL_POP3, "LOGIN-DELAY", N_("The minimum number of seconds between logins.") },
  { MS_PROTOCOL_POP3, "PIPELINING",
    N_("The client may send several commands without waiting for each reply.") },
  { MS_PROTOCOL_POP3, "EXPIRE",
    N_("How many days the server keeps mail that was retrieved (NEVER: until DELE).") },
  { MS_PROTOCOL_POP3, "UIDL", N_("The UIDL command is available.") },
  { MS_PROTOCOL_POP3, "IMPLEMENTATION", N_("The name of the server software.") },
  { MS_PROTOCOL_POP3, "STLS",
    N_("The connection can be switched to TLS with the STLS command.") },
};

/* POP3 statuses (RFC 1939 §3) and IMAP statuses (RFC 9051 §7.1). IMAP keys: "OK" for
 * tagged, "* OK" for untagged. */
static const MsExplainRow statuses[] = {
  { MS_PROTOCOL_POP3, "+OK",
    N_("The command succeeded; the text after it is information for people.") },
  { MS_PROTOCOL_POP3, "-ERR",
    N_("The command failed (e.g. wrong password, no such message).") },
  { MS_PROTOCOL_IMAP, "OK", N_("The command with this tag completed successfully.") },
  { MS_PROTOCOL_IMAP, "NO",
    N_("The command with this tag failed (e.g. wrong password, no such mailbox); its syntax "
       "was fine.") },
  { MS_PROTOCOL_IMAP, "BAD",
    N_("The command with this tag was not understood: a syntax error, or not allowed in "
       "this state.") },
  { MS_PROTOCOL_IMAP, "* OK",
    N_("Information from the server that answers no command: the greeting, or a status "
       "in brackets.") },
  { MS_PROTOCOL_IMAP, "* NO", N_("A warning from the server that answers no command.") },
  { MS_PROTOCOL_IMAP, "* BAD",
    N_("A protocol error that belongs to no particular command.") },
  { MS_PROTOCOL_IMAP, "* BYE",
    N_("The server is closing the connection (after LOGOUT, or because it shuts down or "
       "timed out).") },
  { MS_PROTOCOL_IMAP, "* PREAUTH",
    N_("The greeting says the client is already authenticated, so no LOGIN is needed.") },
};

/* POP3 response codes (RFC 2449 §8, RFC 3206) and IMAP response codes (RFC 9051 §7.1,
 * RFC 5530, RFC 4315). */
static const MsExplainRow response_codes[] = {
  { MS_PROTOCOL_POP3, "IN-USE",
    N_("The mailbox is locked by another POP3 session; try again later.") },
  { MS_PROTOCOL_POP3, "LOGIN-DELAY",
    N_("The user logs in more often than the server allows.") },
  { MS_PROTOCOL_POP3, "AUTH",
    N_("The failure is about the credentials (wrong user name or password), not a server "
       "problem.") },
  { MS_PROTOCOL_POP3, "SYS/TEMP",
    N_("A temporary system problem, not the user's fault; logging in later may work.") },
  { MS_PROTOCOL_POP3, "SYS/PERM",
    N_("A lasting system problem; retrying will not help until an administrator fixes "
       "it.") },
  { MS_PROTOCOL_IMAP, "UIDVALIDITY",
    N_("Identifies this mailbox's UID numbering; when it changes, the client must forget "
       "the UIDs it remembered.") },
  { MS_PROTOCOL_IMAP, "UIDNEXT", N_("The UID the next message to arrive will get.") },
  { MS_PROTOCOL_IMAP, "PERMANENTFLAGS",
    N_("The flags the client can change permanently (\\* means it may also create new "
       "keywords).") },
  { MS_PROTOCOL_IMAP, "TRYCREATE",
    N_("The target mailbox does not exist; the client may CREATE it and try again.") },
  { MS_PROTOCOL_IMAP, "READ-WRITE", N_("The mailbox is open with write access.") },
  { MS_PROTOCOL_IMAP, "READ-ONLY",
    N_("The mailbox is open read-only (after EXAMINE, or without write rights).") },
  { MS_PROTOCOL_IMAP, "UNSEEN", N_("The sequence number of the first unread message.") },
  { MS_PROTOCOL_IMAP, "ALERT", N_("A message the client must show to the user.") },
  { MS_PROTOCOL_IMAP, "AUTHENTICATIONFAILED",
    N_("Authentication failed: wrong user name or password (RFC 5530).") },
  { MS_PROTOCOL_IMAP, "PRIVACYREQUIRED",
    N_("This needs an encrypted connection: use TLS first (RFC 5530).") },
  { MS_PROTOCOL_IMAP, "CAPABILITY",
    N_("The server lists its capabilities inside this reply, saving a CAPABILITY "
       "command.") },
  { MS_PROTOCOL_IMAP, "APPENDUID",
    N_("The UIDVALIDITY and the UID the appended message got (RFC 4315).") },
  { MS_PROTOCOL_IMAP, "COPYUID",
    N_("The UIDVALIDITY of the target mailbox and the UIDs of the source and the new "
       "copies (RFC 4315).") },
};

/* IMAP untagged data, RFC 9051 §7.2-7.5 */
static const MsExplainRow untagged[] = {
  { MS_PROTOCOL_IMAP, "EXISTS",
    N_("The number of messages now in the selected mailbox; new mail makes it grow.") },
  { MS_PROTOCOL_IMAP, "RECENT",
    N_("The number of messages with the \\Recent flag, new since the mailbox was last "
       "selected (IMAP4rev1).") },
  { MS_PROTOCOL_IMAP, "EXPUNGE",
    N_("The message with this sequence number was removed; the numbers above it move down "
       "by one.") },
  { MS_PROTOCOL_IMAP, "FETCH",
    N_("Data of one message (by sequence number): what the client asked for, or a change "
       "of its flags.") },
  { MS_PROTOCOL_IMAP, "FLAGS",
    N_("The flags used in this mailbox (\\Seen, \\Answered, \\Flagged, \\Deleted, "
       "\\Draft …).") },
  { MS_PROTOCOL_IMAP, "LIST",
    N_("One mailbox found by LIST: its attributes, hierarchy delimiter and name.") },
  { MS_PROTOCOL_IMAP, "LSUB", N_("One subscribed mailbox found by LSUB.") },
  { MS_PROTOCOL_IMAP, "SEARCH",
    N_("The numbers (or UIDs) of the messages that matched the search.") },
  { MS_PROTOCOL_IMAP, "STATUS", N_("The counters of a mailbox asked for with STATUS.") },
  { MS_PROTOCOL_IMAP, "CAPABILITY",
    N_("The server's capabilities: IMAP4rev1, STARTTLS, AUTH= mechanisms, LOGINDISABLED "
       "(no clear-text LOGIN before TLS), IDLE …") },
  { MS_PROTOCOL_IMAP, "NAMESPACE",
    N_("The namespaces (personal, other users, shared) with their prefixes and "
       "delimiters.") },
  { MS_PROTOCOL_IMAP, "ENABLED", N_("The extensions that ENABLE turned on.") },
};

/* A reply read together with the command it answers. */
static const MsExplainRow contexts[] = {
  { MS_PROTOCOL_SMTP, CTX_STARTTLS_OK,
    N_("The server agrees to TLS: the handshake follows, and everything after it, AUTH and "
       "the message included, is encrypted. STARTTLS upgrades a plain connection (25, "
       "587); SMTPS on 465 uses TLS from the first byte (implicit TLS).") },
  { MS_PROTOCOL_POP3, CTX_STARTTLS_OK,
    N_("The server agrees to TLS: the handshake follows, and the login after it is "
       "encrypted. STLS upgrades port 110; POP3S on 995 uses TLS from the first byte "
       "(implicit TLS).") },
  { MS_PROTOCOL_IMAP, CTX_STARTTLS_OK,
    N_("The server agrees to TLS: the handshake follows, and the login after it is "
       "encrypted. STARTTLS upgrades port 143; IMAPS on 993 uses TLS from the first byte "
       "(implicit TLS).") },
  { MS_PROTOCOL_SMTP, CTX_DATA_ACCEPTED,
    N_("The server accepted the message and is now responsible for it: it is delivered or "
       "queued for relaying.") },
  { MS_PROTOCOL_SMTP, CTX_RELAY_DENIED,
    N_("Relaying denied: the server takes mail for other domains only from authenticated "
       "users or its own network, so spammers cannot use it as an open relay.") },
  { MS_PROTOCOL_POP3, CTX_GREETING,
    N_("The server's greeting: it is ready for a login. A <…@…> timestamp in it means APOP "
       "can be used.") },
  { MS_PROTOCOL_POP3, CTX_LIST_ENTRY,
    N_("One message of the listing: its number and its size in octets.") },
  { MS_PROTOCOL_POP3, CTX_UIDL_ENTRY,
    N_("One message of the listing: its number and its unique id, which stays the same "
       "across sessions.") },
  { MS_PROTOCOL_IMAP, CTX_IDLE_WAITING,
    N_("The server is idling: it will push new mail and flag changes until DONE.") },
};

/* Message content, end of data, SASL lines, continuation. */
static const MsExplainRow others[] = {
  { MS_PROTOCOL_SMTP, OTHER_DATA,
    N_("The message itself: header lines, an empty line, then the body. A line holding only "
       "a period ends it; a line that starts with a period gets one more (dot-stuffing).") },
  { MS_PROTOCOL_SMTP, OTHER_END_OF_DATA,
    N_("A line holding only a period: the end of the message; the server now says whether "
       "it takes the message.") },
  { MS_PROTOCOL_SMTP, OTHER_AUTH_LINE,
    N_("A SASL response, base64-encoded: with PLAIN and LOGIN it is the user name or "
       "password, merely encoded, not encrypted; only TLS protects it.") },
  { MS_PROTOCOL_SMTP, OTHER_AUTH_CANCEL,
    N_("\"*\" cancels the authentication; the server answers with an error.") },
  { MS_PROTOCOL_POP3, OTHER_DATA,
    N_("The message as stored on the server (for RETR or TOP), sent as a multi-line "
       "response.") },
  { MS_PROTOCOL_POP3, OTHER_END_OF_DATA,
    N_("A line holding only a period ends the multi-line response.") },
  { MS_PROTOCOL_POP3, OTHER_AUTH_LINE,
    N_("A SASL response, base64-encoded: with PLAIN and LOGIN it is the user name or "
       "password, merely encoded, not encrypted; only TLS protects it.") },
  { MS_PROTOCOL_POP3, OTHER_AUTH_CANCEL,
    N_("\"*\" cancels the authentication; the server answers with an error.") },
  { MS_PROTOCOL_POP3, OTHER_CONTINUE,
    N_("The server waits for the next step of AUTH; the text after \"+\" is its base64 "
       "challenge (empty for PLAIN), and the client answers with one base64 line.") },
  { MS_PROTOCOL_IMAP, OTHER_DATA,
    N_("A literal: exactly the number of octets announced in {n} before it, e.g. a message "
       "in a FETCH response or an APPEND; it is counted, not ended by a special line.") },
  { MS_PROTOCOL_IMAP, OTHER_AUTH_LINE,
    N_("A SASL response, base64-encoded: with PLAIN and LOGIN it is the user name or "
       "password, merely encoded, not encrypted; only TLS protects it.") },
  { MS_PROTOCOL_IMAP, OTHER_AUTH_CANCEL,
    N_("\"*\" cancels the authentication; the server answers with an error.") },
  { MS_PROTOCOL_IMAP, OTHER_CONTINUE,
    N_("Continuation request: the server is ready for the rest of the command (a literal's "
       "octets, or the next authentication step).") },
};

/* Well-known ports: RFC 5321, RFC 6409 (587), RFC 8314 (465, 995, 993). */
static const MsExplainRow ports[] = {
  { MS_PROTOCOL_SMTP, "25",
    N_("Port 25 (SMTP): mail transfer between servers (MTA to MTA). ISPs often block "
       "outgoing port 25 from home connections (OP25B) against spam.") },
  { MS_PROTOCOL_SMTP, "587",
    N_("Port 587 (submission): where mail clients hand mail to their provider's server "
       "(MSA), normally with SMTP-AUTH and STARTTLS.") },
  { MS_PROTOCOL_SMTP, "465",
    N_("Port 465 (SMTPS): submission with implicit TLS; TLS starts at once, before any "
       "SMTP.") },
  { MS_PROTOCOL_POP3, "110",
    N_("Port 110 (POP3): mail retrieval; without STLS the password crosses the network in "
       "clear text.") },
  { MS_PROTOCOL_POP3, "995", N_("Port 995 (POP3S): POP3 with implicit TLS.") },
  { MS_PROTOCOL_IMAP, "143",
    N_("Port 143 (IMAP): mailbox access on the server; STARTTLS can upgrade it to TLS.") },
  { MS_PROTOCOL_IMAP, "993", N_("Port 993 (IMAPS): IMAP with implicit TLS.") },
};

/* Trace events, keyed "type:reason" or "check=result". */
static const MsExplainRow events[] = {
  { MS_PROTOCOL_SMTP, "blocked:op25b",
    N_("OP25B (Outbound Port 25 Blocking): the ISP's router drops connections from its "
       "dynamic address pool to port 25 outside; clients submit on port 587 with SMTP-AUTH "
       "instead.") },
  { MS_PROTOCOL_SMTP, "relay=deny",
    N_("Relaying denied: mail for a foreign domain from an unauthenticated client outside "
       "the server's network is refused, so the server is not an open relay.") },
  { MS_PROTOCOL_SMTP, "relay=allow",
    N_("Relaying allowed: the client is authenticated or inside the server's own "
       "network.") },
  { MS_PROTOCOL_SMTP, "spf=pass",
    N_("SPF pass: the sending IP address is listed in the sender domain's SPF record.") },
  { MS_PROTOCOL_SMTP, "spf=fail",
    N_("SPF fail: the sender domain's SPF record does not allow this IP address; a sign of "
       "a forged sender.") },
  { MS_PROTOCOL_SMTP, "spf=softfail",
    N_("SPF softfail: the IP address is probably not allowed (~all); the mail is usually "
       "accepted but marked.") },
  { MS_PROTOCOL_SMTP, "spf=neutral",
    N_("SPF neutral: the domain says nothing about this IP address (?all).") },
  { MS_PROTOCOL_SMTP, "spf=none", N_("SPF none: the sender domain publishes no SPF record.") },
  { MS_PROTOCOL_SMTP, "spf=temperror",
    N_("SPF temperror: a temporary DNS error; the check may succeed later.") },
  { MS_PROTOCOL_SMTP, "spf=permerror",
    N_("SPF permerror: the domain's SPF record is broken and cannot be evaluated.") },
  { MS_PROTOCOL_SMTP, "dkim=pass",
    N_("DKIM pass: the signature verifies with the public key published in DNS, so the "
       "signed parts are unchanged since the signing domain sent them.") },
  { MS_PROTOCOL_SMTP, "dkim=fail",
    N_("DKIM fail: the signature does not verify: the message was changed on the way or "
       "the key does not match.") },
  { MS_PROTOCOL_SMTP, "dkim=none", N_("DKIM none: the message carries no DKIM signature.") },
  { MS_PROTOCOL_SMTP, "dkim=neutral",
    N_("DKIM neutral: signed, but the signature cannot be processed (an unknown algorithm "
       "or version).") },
  { MS_PROTOCOL_SMTP, "dkim=temperror",
    N_("DKIM temperror: the public key could not be fetched from the DNS now; a later try "
       "may succeed.") },
  { MS_PROTOCOL_SMTP, "dkim=permerror",
    N_("DKIM permerror: no public key at selector._domainkey.domain, a broken key record, "
       "or a malformed DKIM-Signature.") },
  { MS_PROTOCOL_SMTP, "auth=pass",
    N_("SMTP-AUTH succeeded: user name and password match, so this session may submit mail, "
       "also to other domains.") },
  { MS_PROTOCOL_SMTP, "auth=fail",
    N_("SMTP-AUTH failed: wrong user name or password; the server answers 535.") },
  { MS_PROTOCOL_SMTP, "recipient=accept",
    N_("The recipient is a user of a local domain: the message will go into that "
       "mailbox.") },
  { MS_PROTOCOL_SMTP, "recipient=reject",
    N_("The domain is local but has no such user: the recipient is refused (550 5.1.1).") },
  { MS_PROTOCOL_SMTP, "delivered",
    N_("MDA: the message was stored in the recipient's mailbox, with a Return-Path header "
       "added; POP3 or IMAP can now fetch it.") },
  { MS_PROTOCOL_SMTP, "transport",
    N_("Transport table: mail for this domain goes to a fixed next hop instead of the MX, "
       "as a DMZ server forwards to the internal server, or an internal server sends all "
       "outbound mail through a smarthost.") },
  { MS_PROTOCOL_SMTP, "nat",
    N_("NAT (masquerade): the router replaced the private source address and port with its "
       "own global address and a port of its own; the server only ever sees the router's "
       "address, shared by every host behind it.") },
  { MS_PROTOCOL_SMTP, "relay-queued",
    N_("The message for another domain waits in the outbound queue; an MTA would now look "
       "up the MX record of that domain and relay it there.") },
};

static const char *
tr (const char *msgid)
{
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

static const MsExplainRow *
find_row (const MsExplainRow *rows,
          gsize               n_rows,
          MsProtocol          protocol,
          const char         *key)
{
  for (gsize i = 0; i < n_rows; i++)
    if (rows[i].protocol == protocol && g_ascii_strcasecmp (rows[i].key, key) == 0)
      return &rows[i];
  return NULL;
}

#define FIND(table, protocol, key) find_row (table, G_N_ELEMENTS (table), protocol, key)

static guint
add_part (MsExplanation      *parts,
          guint               n,
          const char         *key,
          const MsExplainRow *row)
{
  if (row == NULL || n >= MS_EXPLAIN_MAX_PARTS)
    return n;
  parts[n].key = g_intern_string (key);
  parts[n].text = tr (row->text);
  return n + 1;
}

/* The first space-separated word of @p, at most KEY_MAX bytes, into @out. */
static const char *
copy_word (const char *p,
           char        out[KEY_MAX + 1],
           const char *stops)
{
  gsize n = 0;

  while (p[n] != '\0' && p[n] != ' ' && strchr (stops, p[n]) == NULL && n < KEY_MAX)
    {
      out[n] = p[n];
      n++;
    }
  out[n] = '\0';
  return p + n;
}

/* An enhanced status code "C.SSS.DDD" at the start of @text, with C matching @klass. */
static gboolean
parse_enhanced (const char *text,
                int         klass,
                char        out[KEY_MAX + 1])
{
  const char *p = text;
  guint digits;

  if (klass < 2 || klass > 5 || p[0] != '0' + klass || p[1] != '.')
    return FALSE;
  p += 2;
  for (int field = 0; field < 2; field++)
    {
      for (digits = 0; g_ascii_isdigit (p[digits]); digits++)
        ;
      if (digits == 0 || digits > 3)
        return FALSE;
      p += digits;
      if (field == 0)
        {
          if (*p != '.')
            return FALSE;
          p++;
        }
    }
  if (*p != '\0' && *p != ' ')
    return FALSE;
  g_strlcpy (out, text, MIN ((gsize) (p - text) + 1, KEY_MAX + 1));
  return TRUE;
}

/* Public lookups */

/**
 * ms_explain_command:
 * @protocol: the protocol
 * @verb: a command verb, in any case ("MAIL", "uid fetch")
 *
 * Returns: (nullable): the translated explanation, or %NULL
 */
const char *
ms_explain_command (MsProtocol  protocol,
                    const char *verb)
{
  const MsExplainRow *row;

  if (verb == NULL)
    return NULL;
  row = FIND (commands, protocol, verb);
  return row != NULL ? tr (row->text) : NULL;
}

/**
 * ms_explain_ehlo_keyword:
 * @keyword: an EHLO keyword ("PIPELINING")
 *
 * Returns: (nullable): the translated explanation, or %NULL
 */
const char *
ms_explain_ehlo_keyword (const char *keyword)
{
  const MsExplainRow *row;

  if (keyword == NULL)
    return NULL;
  row = FIND (ehlo_keywords, MS_PROTOCOL_SMTP, keyword);
  return row != NULL ? tr (row->text) : NULL;
}

static const MsExplainRow *
enhanced_row (const char *code)
{
  const char *dot = code != NULL ? strchr (code, '.') : NULL;
  g_autofree char *key = NULL;

  if (dot == NULL)
    return NULL;
  key = g_strconcat ("X", dot, NULL);
  return FIND (smtp_enhanced, MS_PROTOCOL_SMTP, key);
}

/**
 * ms_explain_enhanced:
 * @code: an enhanced status code ("5.7.1")
 *
 * Returns: (nullable): the translated meaning of its subject and detail, or %NULL
 */
const char *
ms_explain_enhanced (const char *code)
{
  const MsExplainRow *row = enhanced_row (code);

  return row != NULL ? tr (row->text) : NULL;
}

/**
 * ms_explain_port:
 * @port: a TCP port
 *
 * Returns: (nullable): what the well-known mail port is for, or %NULL
 */
const char *
ms_explain_port (guint port)
{
  char key[16];

  g_snprintf (key, sizeof key, "%u", port);
  for (gsize i = 0; i < G_N_ELEMENTS (ports); i++)
    if (strcmp (ports[i].key, key) == 0)
      return tr (ports[i].text);
  return NULL;
}

static gboolean
mentions_relay (const char *text)
{
  g_autofree char *lower = text != NULL ? g_ascii_strdown (text, -1) : NULL;

  return lower != NULL && strstr (lower, "relay") != NULL;
}

/* SMTP: code (or context), enhanced status for failures, an EHLO keyword instead of the
 * code on the lines of an EHLO reply. RFC 5321 §4.2, RFC 3463. */
static guint
smtp_reply_parts (int            code,
                  const char    *text,
                  const char    *previous,
                  MsExplanation *parts)
{
  char code_key[8];
  char word[KEY_MAX + 1];
  char esc[KEY_MAX + 1];
  const char *rest = "";
  const MsExplainRow *row;
  gboolean has_esc = FALSE;
  guint n = 0;

  if (code < 100 || code > 599)
    return 0;
  g_snprintf (code_key, sizeof code_key, "%d", code);
  if (text != NULL && strlen (text) > 3)
    rest = text + 4;
  has_esc = parse_enhanced (rest, code / 100, esc);

  /* The lines of an EHLO reply after the first name extensions. */
  copy_word (rest, word, "=");
  if (code == 250 && (row = FIND (ehlo_keywords, MS_PROTOCOL_SMTP, word)) != NULL
      && (previous == NULL || g_ascii_strcasecmp (previous, "EHLO") == 0))
    return add_part (parts, n, word, row);

  if (previous != NULL && g_ascii_strcasecmp (previous, "STARTTLS") == 0 && code == 220)
    return add_part (parts, n, code_key, FIND (contexts, MS_PROTOCOL_SMTP, CTX_STARTTLS_OK));
  if (previous != NULL && strcmp (previous, OTHER_END_OF_DATA) == 0 && code == 250)
    return add_part (parts, n, code_key, FIND (contexts, MS_PROTOCOL_SMTP, CTX_DATA_ACCEPTED));

  row = FIND (smtp_codes, MS_PROTOCOL_SMTP, code_key);
  if (row == NULL)
    {
      char class_key[4] = { code_key[0], 'x', 'x', '\0' };
      row = FIND (smtp_classes, MS_PROTOCOL_SMTP, class_key);
      n = add_part (parts, n, code_key, row);
    }
  else
    n = add_part (parts, n, code_key, row);

  /* The enhanced code says why a failure happened; for successes it adds little. */
  if (has_esc && code >= 400)
    n = add_part (parts, n, esc, enhanced_row (esc));

  if (code >= 500 && previous != NULL && g_ascii_strcasecmp (previous, "RCPT") == 0
      && ((has_esc && g_str_has_suffix (esc, ".7.1"))
          || mentions_relay (text)))
    n = add_part (parts, n, "relay", FIND (contexts, MS_PROTOCOL_SMTP, CTX_RELAY_DENIED));
  return n;
}

/* "[CODE ...]" right after a status word: POP3 RFC 2449 §8, IMAP RFC 9051 §7.1. */
static guint
response_code_part (MsProtocol     protocol,
                    const char    *after_status,
                    MsExplanation *parts,
                    guint          n)
{
  char word[KEY_MAX + 1];

  while (*after_status == ' ')
    after_status++;
  if (*after_status != '[')
    return n;
  copy_word (after_status + 1, word, "]");
  return add_part (parts, n, word, FIND (response_codes, protocol, word));
}

static guint
pop3_reply_parts (const char    *status,
                  const char    *text,
                  const char    *previous,
                  MsExplanation *parts)
{
  guint n = 0;

  if (text != NULL && strcmp (text, ".") == 0)
    return add_part (parts, n, ".", FIND (others, MS_PROTOCOL_POP3, OTHER_END_OF_DATA));
  /* RFC 5034 §4: "+" and a base64 challenge during AUTH */
  if (status == NULL && text != NULL && text[0] == '+' && (text[1] == '\0' || text[1] == ' '))
    return add_part (parts, n, "+", FIND (others, MS_PROTOCOL_POP3, OTHER_CONTINUE));
  if (status == NULL && text != NULL && previous != NULL)
    {
      /* the lines of a multi-line answer, read after their command (RFC 1939 §5, 7) */
      char word[KEY_MAX + 1];

      if (g_ascii_strcasecmp (previous, "CAPA") == 0)
        {
          copy_word (text, word, "");
          return add_part (parts, n, word, FIND (pop3_capabilities, MS_PROTOCOL_POP3, word));
        }
      if (g_ascii_strcasecmp (previous, "LIST") == 0 && g_ascii_isdigit (text[0]))
        return add_part (parts, n, "LIST", FIND (contexts, MS_PROTOCOL_POP3, CTX_LIST_ENTRY));
      if (g_ascii_strcasecmp (previous, "UIDL") == 0 && g_ascii_isdigit (text[0]))
        return add_part (parts, n, "UIDL", FIND (contexts, MS_PROTOCOL_POP3, CTX_UIDL_ENTRY));
      return 0;
    }
  if (status == NULL)
    return 0;
  if (previous != NULL && *previous == '\0' && strcmp (status, "+OK") == 0)
    n = add_part (parts, n, status, FIND (contexts, MS_PROTOCOL_POP3, CTX_GREETING));
  else if (previous != NULL && g_ascii_strcasecmp (previous, "STLS") == 0
           && strcmp (status, "+OK") == 0)
    n = add_part (parts, n, status, FIND (contexts, MS_PROTOCOL_POP3, CTX_STARTTLS_OK));
  else
    n = add_part (parts, n, status, FIND (statuses, MS_PROTOCOL_POP3, status));
  if (text != NULL && g_str_has_prefix (text, status))
    n = response_code_part (MS_PROTOCOL_POP3, text + strlen (status), parts, n);
  return n;
}

static guint
imap_reply_parts (const char    *status,
                  const char    *text,
                  const char    *previous,
                  MsExplanation *parts)
{
  char word[KEY_MAX + 1];
  const char *p;
  guint n = 0;

  if (text == NULL)
    return 0;
  if (text[0] == '+' && (text[1] == '\0' || text[1] == ' '))
    {
      if (previous != NULL && g_ascii_strcasecmp (previous, "IDLE") == 0)
        return add_part (parts, n, "+", FIND (contexts, MS_PROTOCOL_IMAP, CTX_IDLE_WAITING));
      return add_part (parts, n, "+", FIND (others, MS_PROTOCOL_IMAP, OTHER_CONTINUE));
    }

  if (text[0] == '*' && text[1] == ' ')
    {
      /* RFC 9051 §7: "* n EXISTS", "* OK [..]", "* FLAGS (...)" */
      p = text + 2;
      if (g_ascii_isdigit (*p))
        {
          while (g_ascii_isdigit (*p))
            p++;
          while (*p == ' ')
            p++;
        }
      p = copy_word (p, word, "");
      {
        g_autofree char *key = g_strconcat ("* ", word, NULL);
        const MsExplainRow *row = FIND (statuses, MS_PROTOCOL_IMAP, key);

        if (row != NULL)
          {
            n = add_part (parts, n, row->key, row);
            return response_code_part (MS_PROTOCOL_IMAP, p, parts, n);
          }
      }
      return add_part (parts, n, word, FIND (untagged, MS_PROTOCOL_IMAP, word));
    }

  /* tagged: "tag OK [..] text" */
  if (status == NULL)
    return 0;
  p = strchr (text, ' ');
  if (p == NULL)
    return 0;
  while (*p == ' ')
    p++;
  p = copy_word (p, word, "");
  if (previous != NULL && g_ascii_strcasecmp (previous, "STARTTLS") == 0
      && strcmp (status, "OK") == 0)
    n = add_part (parts, n, status, FIND (contexts, MS_PROTOCOL_IMAP, CTX_STARTTLS_OK));
  else
    n = add_part (parts, n, status, FIND (statuses, MS_PROTOCOL_IMAP, status));
  return response_code_part (MS_PROTOCOL_IMAP, p, parts, n);
}

static guint
reply_parts (MsProtocol     protocol,
             int            code,
             const char    *status,
             const char    *text,
             const char    *previous,
             MsExplanation *parts)
{
  switch (protocol)
    {
    case MS_PROTOCOL_SMTP:
      return smtp_reply_parts (code, text, previous, parts);
    case MS_PROTOCOL_POP3:
      return pop3_reply_parts (status, text, previous, parts);
    case MS_PROTOCOL_IMAP:
      return imap_reply_parts (status, text, previous, parts);
    case MS_PROTOCOL_UNKNOWN:
    case MS_PROTOCOL_DNS:
    case MS_PROTOCOL_HTTP:
    default:
      return 0;
    }
}

/* One string for callers that want a single text: the first part, then "key: text" for
 * each further part. Interned: the set of combinations is bounded by the catalogue. */
static const char *
join_parts (const MsExplanation *parts,
            guint                n)
{
  g_autoptr(GString) s = NULL;

  if (n == 0)
    return NULL;
  if (n == 1)
    return parts[0].text;
  s = g_string_new (parts[0].text);
  for (guint i = 1; i < n; i++)
    g_string_append_printf (s, " %s: %s", parts[i].key, parts[i].text);
  return g_intern_string (s->str);
}

/**
 * ms_explain_reply:
 * @protocol: the protocol
 * @code: the SMTP reply code, or 0
 * @status: the POP3/IMAP status ("+OK", "NO"), or %NULL
 * @text: (nullable): the whole reply line, for enhanced status and response codes
 *
 * Returns: (nullable): the translated explanation, or %NULL
 */
const char *
ms_explain_reply (MsProtocol  protocol,
                  int         code,
                  const char *status,
                  const char *text)
{
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];
  g_autofree char *built = NULL;

  /* Without the line, rebuild enough of it for the parsers. */
  if (text == NULL && protocol == MS_PROTOCOL_SMTP)
    text = built = g_strdup_printf ("%d", code);
  else if (text == NULL && status != NULL && protocol == MS_PROTOCOL_IMAP)
    /* BYE and PREAUTH are always untagged; OK/NO/BAD alone read as a command's result. */
    text = built = g_strdup_printf ("%s %s",
                                    strcmp (status, "BYE") == 0 || strcmp (status, "PREAUTH") == 0
                                    ? "*" : "tag", status);
  else if (text == NULL && status != NULL)
    text = built = g_strdup (status);
  return join_parts (parts, reply_parts (protocol, code, status, text, NULL, parts));
}

/**
 * ms_explain_line_parts:
 * @protocol: the session's protocol
 * @line: a trace line
 * @previous_command: (nullable): the verb of the client command this line answers;
 *   "." for the end of SMTP DATA
 * @parts: (out caller-allocates): room for %MS_EXPLAIN_MAX_PARTS parts
 *
 * Returns: the number of parts filled
 */
guint
ms_explain_line_parts (MsProtocol         protocol,
                       const MsTraceLine *line,
                       const char        *previous_command,
                       MsExplanation     *parts)
{
  g_return_val_if_fail (line != NULL, 0);
  g_return_val_if_fail (parts != NULL, 0);

  switch (line->kind)
    {
    case MS_LINE_DATA:
      if (line->text != NULL && strcmp (line->text, ".") == 0)
        return add_part (parts, 0, ".", FIND (others, protocol, OTHER_END_OF_DATA));
      return add_part (parts, 0, "DATA", FIND (others, protocol, OTHER_DATA));
    case MS_LINE_AUTH:
      if (line->text != NULL && strcmp (line->text, "*") == 0)
        return add_part (parts, 0, "*", FIND (others, protocol, OTHER_AUTH_CANCEL));
      return add_part (parts, 0, "AUTH", FIND (others, protocol, OTHER_AUTH_LINE));
    case MS_LINE_COMMAND:
      if (protocol == MS_PROTOCOL_SMTP && line->text != NULL && strcmp (line->text, ".") == 0)
        return add_part (parts, 0, ".", FIND (others, protocol, OTHER_END_OF_DATA));
      if (line->command == NULL)
        return 0;
      return add_part (parts, 0, line->command, FIND (commands, protocol, line->command));
    case MS_LINE_REPLY:
      return reply_parts (protocol, line->code, line->status, line->text, previous_command,
                          parts);
    case MS_LINE_NOTE:
    default:
      return 0;
    }
}

/**
 * ms_explain_line:
 * @protocol: the session's protocol
 * @line: a trace line
 *
 * Returns: (nullable): the translated explanation of the line read on its own, or %NULL
 */
const char *
ms_explain_line (MsProtocol         protocol,
                 const MsTraceLine *line)
{
  MsExplanation parts[MS_EXPLAIN_MAX_PARTS];

  g_return_val_if_fail (line != NULL, NULL);
  return join_parts (parts, ms_explain_line_parts (protocol, line, NULL, parts));
}

static const char *
event_field (const MsTraceEvent *event,
             const char         *name)
{
  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  return json_object_get_string_member_with_default (event->fields, name, NULL);
}

/**
 * ms_explain_event_parts:
 * @event: a trace event
 * @parts: (out caller-allocates): room for %MS_EXPLAIN_MAX_PARTS parts
 *
 * Explains "blocked" events by their reason and "policy" events by check=result.
 *
 * Returns: the number of parts filled
 */
guint
ms_explain_event_parts (const MsTraceEvent *event,
                        MsExplanation      *parts)
{
  const char *reason;
  const char *check;
  const char *result;
  g_autofree char *decision = NULL;
  g_autofree char *why = NULL;
  const MsExplainRow *row;

  g_return_val_if_fail (event != NULL, 0);

  reason = event_field (event, "reason");
  check = event_field (event, "check");
  result = event_field (event, "result");
  /* the most precise key first: a decision, a kind of block, the event type */
  if (check != NULL && result != NULL)
    {
      decision = g_strconcat (check, "=", result, NULL);
      if ((row = FIND (events, MS_PROTOCOL_SMTP, decision)) != NULL)
        return add_part (parts, 0, decision, row);
    }
  if (reason != NULL)
    {
      why = g_strconcat (event->type, ":", reason, NULL);
      if ((row = FIND (events, MS_PROTOCOL_SMTP, why)) != NULL)
        return add_part (parts, 0, reason, row);
    }
  if (check != NULL && (row = FIND (events, MS_PROTOCOL_SMTP, check)) != NULL)
    return add_part (parts, 0, check, row);
  if ((row = FIND (events, MS_PROTOCOL_SMTP, event->type)) != NULL)
    return add_part (parts, 0, event->type, row);
  /* other decisions and mailbox changes: ms-explain-event.c; what a type of event is
   * in general (ms_explain_event_type) would only repeat itself in a transcript */
  {
    const char *key = NULL;
    const char *text = ms_explain_event_detail (event, &key);

    if (text == NULL || g_strcmp0 (key, event->type) == 0)
      return 0;
    parts[0].key = key;
    parts[0].text = text;
    return 1;
  }
}

/**
 * ms_explain_foreach:
 * @func: called for every row of the catalogue, with the untranslated msgid
 * @user_data: for @func
 */
void
ms_explain_foreach (MsExplainForeachFunc func,
                    gpointer             user_data)
{
  static const struct
  {
    const MsExplainRow *rows;
    gsize               n_rows;
    MsExplainKind       kind;
  } tables[] = {
    { commands, G_N_ELEMENTS (commands), MS_EXPLAIN_KIND_COMMAND },
    { smtp_codes, G_N_ELEMENTS (smtp_codes), MS_EXPLAIN_KIND_REPLY },
    { smtp_classes, G_N_ELEMENTS (smtp_classes), MS_EXPLAIN_KIND_REPLY_CLASS },
    { smtp_enhanced, G_N_ELEMENTS (smtp_enhanced), MS_EXPLAIN_KIND_ENHANCED },
    { ehlo_keywords, G_N_ELEMENTS (ehlo_keywords), MS_EXPLAIN_KIND_KEYWORD },
    { pop3_capabilities, G_N_ELEMENTS (pop3_capabilities), MS_EXPLAIN_KIND_KEYWORD },
    { statuses, G_N_ELEMENTS (statuses), MS_EXPLAIN_KIND_REPLY },
    { response_codes, G_N_ELEMENTS (response_codes), MS_EXPLAIN_KIND_RESPONSE_CODE },
    { untagged, G_N_ELEMENTS (untagged), MS_EXPLAIN_KIND_UNTAGGED },
    { contexts, G_N_ELEMENTS (contexts), MS_EXPLAIN_KIND_CONTEXT },
    { others, G_N_ELEMENTS (others), MS_EXPLAIN_KIND_OTHER },
    { ports, G_N_ELEMENTS (ports), MS_EXPLAIN_KIND_PORT },
    { events, G_N_ELEMENTS (events), MS_EXPLAIN_KIND_EVENT },
  };

  g_return_if_fail (func != NULL);

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (gsize i = 0; i < tables[t].n_rows; i++)
      func (tables[t].rows[i].protocol, tables[t].kind, tables[t].rows[i].key,
            tables[t].rows[i].text, user_data);
}
