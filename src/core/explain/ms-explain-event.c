/* ms-explain-event.c: trace events in words
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Four tables: what each event type is, the summary template of a type (or of a
 * type:check / type:result / type:action variant), the names of fields, and the fixed
 * texts agents put into fields. Templates name fields as {field}; a missing field
 * shows as "—". The English text is the msgid; po/ja.po translates it.
 */
#define G_LOG_DOMAIN "ms-explain"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ms-explain-event.h"

typedef struct
{
  const char *key;
  const char *text;  /* msgid */
} Row;

/* RFC 5321 §3.6, §4.5.4, §6; RFC 7208; RFC 6409; RFC 1939 §6; RFC 9051 §6.4.3 */
static const Row types[] = {
  { "narration",
    N_("Narration: what the people in the story do next. The lines that follow are what "
       "their programs send.") },
  { "dns",
    N_("A DNS lookup: a mail program or server asks for an MX record (which host takes mail "
       "for a domain), an A/AAAA record (its address) or a TXT record (SPF).") },
  { "compose",
    N_("The user's mail program (MUA) prepares the message: the header From/To/Cc/Subject "
       "is the letter, the envelope (MAIL FROM, RCPT TO) is what the servers read.") },
  { "blocked",
    N_("A router or firewall dropped the packet: it never reaches the server, so the "
       "client gets no answer and gives up after its retries.") },
  { "connect-failed",
    N_("The TCP connection could not be made: refused (nobody listens on the port) or "
       "timed out (the packets were dropped on the way).") },
  { "submitted",
    N_("What sending meant for the user: the mail program reports whether the server "
       "took the message.") },
  { "policy",
    N_("A server's decision: authentication, relaying, recipient, SPF, header fixes. The "
       "reply code on the wire follows from it.") },
  { "queued",
    N_("The MTA accepted the message into its queue and answered 250: from now on it is "
       "responsible for delivering it or reporting failure (RFC 5321 §6.1).") },
  { "relayed",
    N_("The MTA passed the message on to the next MTA (found by the MX record or the "
       "transport table), which accepted it with 250.") },
  { "delivered",
    N_("MDA: the message was stored in the recipient's mailbox, with a Return-Path header "
       "added; POP3 or IMAP can now fetch it.") },
  { "bounced",
    N_("Delivery failed for good (a 5xx reply or too many retries): the MTA sends a "
       "delivery status notification back to the envelope sender.") },
  { "deferred",
    N_("A temporary failure (4xx): the message stays in the queue and the MTA tries again "
       "later; the sender is not told yet.") },
  { "fetched",
    N_("The mail program (MUA) fetched the user's mail from the server with POP3 or IMAP "
       "(through the MRA).") },
  { "switch",
    N_("A scenario switch changed: the rest of the story runs with the new setting.") },
  { "note", N_("A note from the simulator about this step.") },
  { "mojibake",
    N_("Mojibake: a program that decodes the header with the wrong character set shows "
       "garbled text; MIME encoded-words (RFC 2047) name the charset to avoid this.") },
  { "tls",
    N_("TLS starts on this connection: from here on the commands and the password are "
       "encrypted.") },
  { "connection-aborted",
    N_("The connection ended abnormally: a segment was lost and the stream could not "
       "continue.") },
  { "nat",
    N_("NAT (masquerade): the router replaced the private source address and port with its "
       "own global address and a port of its own; the server only ever sees the router's "
       "address, shared by every host behind it.") },
  { "relay-queued",
    N_("The message for another domain waits in the outbound queue; an MTA would now look "
       "up the MX record of that domain and relay it there.") },
  { "http",
    N_("Webmail: the browser talks HTTPS (HTTP inside TLS, port 443) to the webmail "
       "server; the webmail server itself speaks SMTP and IMAP to the mail servers for "
       "the user.") },
  { "mailbox",
    N_("The mailbox on the server changed: a message arrived, a flag (\\Seen, \\Deleted) "
       "was set or cleared, a message was removed, or a folder was made.") },
  { "smime",
    N_("S/MIME (RFC 8551): the receiving mail program decrypts with the recipient's private "
       "key and verifies the signature with the sender's public key, from a certificate "
       "signed by a CA it trusts. It protects the content end to end; the header is not "
       "encrypted.") },
};

/* Decisions and changes, more precise than the type; checked before the type. */
static const Row details[] = {
  { "auth=ok",
    N_("Login succeeded: user name and password (or digest) match. On SMTP this lets the "
       "client submit mail, also to other domains.") },
  { "auth=failed",
    N_("Login failed: wrong user name or password; SMTP answers 535, POP3 -ERR, IMAP "
       "NO.") },
  { "relay=allowed",
    N_("Relaying allowed: the client is authenticated or inside the server's own "
       "network, so mail to other domains is accepted.") },
  { "relay=denied",
    N_("Relaying denied: mail for a foreign domain from an unauthenticated client outside "
       "the server's network is refused, so the server is not an open relay.") },
  { "message-id=added",
    N_("The MSA added a Message-ID header the mail program left out (RFC 6409 §8.3).") },
  { "date=added",
    N_("The MSA added a Date header the mail program left out (RFC 6409 §8.2).") },
  { "bcc=removed",
    N_("The Bcc header is removed before the message travels on: Bcc recipients stay on "
       "the envelope only, so the others cannot see them.") },
  { "mx",
    N_("MX lookup: the MTA asks DNS which host receives mail for the recipient's domain, "
       "then the A record of that host.") },
  { "spf-action=marked",
    N_("The receiving MTA records the SPF result in Received-SPF and "
       "Authentication-Results headers and lets the message through.") },
  { "spf-action=rejected",
    N_("The receiving MTA rejects the message because SPF failed (550 5.7.1).") },
  { "dkim=pass",
    N_("DKIM pass: the receiving MTA fetched the public key (TXT record "
       "selector._domainkey.domain) and the signature verifies: the body (bh=) and the "
       "headers listed in h= are as the signing domain (d=) sent them.") },
  { "dkim=fail",
    N_("DKIM fail: the signature does not verify. \"body hash did not verify\": the body "
       "changed after signing (a list footer); \"signature did not verify\": a signed "
       "header such as Subject changed.") },
  { "dkim=none",
    N_("DKIM none: the message carries no DKIM-Signature, so there is nothing to verify.") },
  { "dkim=neutral",
    N_("DKIM neutral: the message is signed, but the signature cannot be processed (an "
       "algorithm or version this verifier does not know).") },
  { "dkim=temperror",
    N_("DKIM temperror: the public key could not be fetched now (the DNS did not answer); "
       "a later try may succeed.") },
  { "dkim=permerror",
    N_("DKIM permerror: no key is published for the selector, the key record is broken, or "
       "the signature itself is malformed.") },
  { "dkim-sign=signed",
    N_("The sending domain's server signs the message with its private key and puts a "
       "DKIM-Signature header on top: d= the domain, s= the selector, h= the signed headers, "
       "bh= the hash of the body, b= the signature. Receivers verify it with the public key "
       "in the DNS.") },
  { "dkim-sign=skipped",
    N_("No DKIM signature: the From domain is not one this server signs for.") },
  { "dkim-action=marked",
    N_("The receiving MTA writes the DKIM result into Authentication-Results (dkim=pass "
       "header.d=... header.s=...) next to SPF's and lets the message through.") },
  { "dkim-action=rejected",
    N_("The receiving MTA rejects the message because its DKIM signature failed (550 "
       "5.7.20).") },
  { "list-rewrite=rewritten",
    N_("A mailing list rewrites what it passes on: a tag in the Subject, a footer under the "
       "body. The original DKIM signature no longer matches the content.") },
  { "tempfail=deferred",
    N_("The server refuses for now with 451 (greylisting): a real MTA retries later and "
       "then gets through; a spam engine often does not.") },
  { "pop-before-smtp=opened",
    N_("POP before SMTP: a successful POP3 login opens relaying for the client's address "
       "for a while, an older alternative to SMTP-AUTH.") },
  { "pop-before-smtp=closed",
    N_("POP before SMTP: the relay window for this address is over.") },
  { "bounce=discarded",
    N_("The failed message was itself a bounce (MAIL FROM:<>): no bounce is sent for it, "
       "so error reports cannot loop.") },
  { "transport",
    N_("Transport table: mail for this domain goes to a fixed next hop instead of the MX, "
       "as a DMZ server forwards to the internal server, or an internal server sends all "
       "outbound mail through a smarthost.") },
  { "connection-limit",
    N_("The server limits how many connections one client may open at once.") },
  { "mailbox:added",
    N_("A message was added to the folder with the next UID: delivered, or put there by "
       "IMAP APPEND, COPY or MOVE.") },
  { "mailbox:flags",
    N_("The message's flags changed: reading sets \\Seen (POP3 RETR, IMAP FETCH BODY[]), "
       "POP3 DELE and IMAP STORE +FLAGS (\\Deleted) mark it for removal.") },
  { "mailbox:expunged",
    N_("The message is gone from the server: POP3 removes messages marked by DELE only at "
       "QUIT (the UPDATE state); IMAP at EXPUNGE, CLOSE or MOVE.") },
  { "mailbox:created", N_("A new folder was made (IMAP CREATE).") },
  { "mailbox:deleted", N_("A folder was deleted (IMAP DELETE).") },
  { "mailbox:renamed", N_("A folder was renamed (IMAP RENAME).") },
  { "smime:valid",
    N_("The signature is valid: the digest of the content matches the one signed with the "
       "sender's private key, and the sender's certificate chains to a trusted CA. The "
       "message really comes from the signer and was not altered.") },
  { "smime:decrypted",
    N_("Decrypted: the recipient's private key recovered the content key that the sender "
       "encrypted with the recipient's public key. No signature: the sender is not "
       "proven.") },
  { "smime:tampered",
    N_("The signature does not match the content: the message was altered after it was "
       "signed (on the way, or by an attacker).") },
  { "smime:untrusted",
    N_("The signature matches, but the signer's certificate was not issued by a CA the "
       "receiver trusts: anyone can make a certificate that says “alice”.") },
  { "smime:not-recipient",
    N_("Cannot decrypt: the content key was encrypted only for the recipients' public keys, "
       "and this device's private key is not among them. Only the header can be read.") },
};

/* Summary templates, keyed "type:check", "type:action", "type:result", "type:direction"
 * or "type"; {field} is replaced by the field's text. */
static const Row summaries[] = {
  { "dns:query", N_("{node} asks the DNS server {server}: {qtype} record of {name}?") },
  { "dns:answer", N_("DNS answer to {node}: {name} {qtype} → {answers} ({status})") },
  { "dns", N_("{node}: DNS {qtype} {query} → {answer} ({rcode})") },
  { "compose",
    N_("{node}: the mail program prepares a message from {from} to {recipients} and "
       "sends it to {server}") },
  { "blocked", N_("{node} dropped a {protocol} packet from {src} to {dst} (rule {rule})") },
  { "connect-failed", N_("{node} could not connect: {error}") },
  { "submitted:accepted", N_("{node}: the server accepted the message: {reply}") },
  { "submitted:failed", N_("{node}: sending failed: {reason}") },
  { "submitted", N_("{node}: sending ended: {result}") },
  { "queued", N_("{node} queued the message as {queue_id} for {recipients}") },
  { "relayed", N_("{node} relayed the message for {recipient} to {relay} ({address})") },
  { "delivered", N_("{node} stored the message in {recipient}'s {mailbox}") },
  { "bounced", N_("{node} gives up on {recipient} ({status}) and reports it to the sender") },
  { "deferred", N_("{node} will retry {recipient} in {retry_in_s} s ({status})") },
  { "fetched", N_("{node}: {user} fetched {messages} message(s) with {protocol}") },
  { "switch", N_("Switch {name} set to {value}") },
  { "note", N_("{node}: {text}") },
  { "mojibake",
    N_("{node} decodes the {header} as {assumed_charset} and shows “{shown}” instead of "
       "“{correct}”") },
  { "tls", N_("{node}: TLS starts ({mode})") },
  { "connection-aborted", N_("{node}: connection aborted: {reason}") },
  { "nat", N_("{node} translates {inside} to {outside} (to {server})") },
  { "relay-queued", N_("{node} holds the message for {recipients} in its outbound queue") },
  { "policy:auth", N_("{node} checks the login of {user}: {result}") },
  { "policy:relay", N_("{node}: relaying for {recipient}: {result}") },
  { "policy:recipient", N_("{node}: recipient {recipient}: {result}") },
  { "policy:spf", N_("{node}: SPF check of {domain} for {client_ip}: {result}") },
  { "policy:spf-action", N_("{node} acts on the SPF result: {result}") },
  { "policy:dkim", N_("{node}: DKIM check of d={domain} s={selector}: {result}") },
  { "policy:dkim-sign", N_("{node}: DKIM signature for {domain}: {result}") },
  { "policy:dkim-action", N_("{node} acts on the DKIM result: {result}") },
  { "policy:list-rewrite", N_("{node}: the [{tag}] list rewrites the message") },
  { "policy:message-id", N_("{node}: Message-ID {result}: {value}") },
  { "policy:date", N_("{node}: Date header {result}") },
  { "policy:bcc", N_("{node}: Bcc header {result}") },
  { "policy:mx", N_("{node}: the MX of {domain} is {result}") },
  { "policy:tempfail", N_("{node}: {recipient} refused for now: {result}") },
  { "policy:pop-before-smtp", N_("{node}: POP before SMTP for {address}: {result}") },
  { "policy:transport", N_("{node}: mail for {domain} goes to {result}") },
  { "policy:bounce", N_("{node}: bounce of {queue_id}: {result}") },
  { "policy", N_("{node}: check {check}: {result}") },
  { "http:request", N_("{browser} → {node} over HTTPS: {method} {path}") },
  { "http:response", N_("{node} → {browser} over HTTPS: {status} for {method} {path}") },
  { "mailbox:added", N_("New in {user}'s {folder}: UID {uid}, “{subject}” from {from}") },
  { "mailbox:flags", N_("{user}'s {folder}, UID {uid}: flags now {flags}") },
  { "mailbox:expunged", N_("UID {uid} removed from {user}'s {folder}") },
  { "mailbox:created", N_("{user} has a new folder {folder}") },
  { "mailbox:deleted", N_("{user}'s folder {folder} was deleted") },
  { "mailbox:renamed", N_("{user}'s folder {old_folder} is now {folder}") },
  { "smime:valid", N_("{node}: S/MIME signature by {signer} is valid (“{subject}”)") },
  { "smime:decrypted", N_("{node}: decrypted “{subject}” with the key of {key}") },
  { "smime:tampered", N_("{node}: “{subject}” was altered after {signer} signed it") },
  { "smime:untrusted", N_("{node}: the certificate of {signer} is not from a trusted CA") },
  { "smime:not-recipient",
    N_("{node} cannot decrypt “{subject}”: the key of {key} is not a recipient's") },
  { "smime", N_("{node}: S/MIME check: {result}") },
};

/* Short titles for the pane header. */
static const Row titles[] = {
  { "narration", N_("Narration") },
  { "dns:query", N_("DNS query") },
  { "dns:answer", N_("DNS answer") },
  { "compose", N_("Composing a message") },
  { "blocked", N_("Packet dropped") },
  { "connect-failed", N_("Connection failed") },
  { "submitted", N_("Sending result") },
  { "policy", N_("Server decision") },
  { "queued", N_("Queued") },
  { "relayed", N_("Relayed to the next MTA") },
  { "delivered", N_("Delivered to a mailbox") },
  { "bounced", N_("Bounced") },
  { "deferred", N_("Deferred, will retry") },
  { "fetched", N_("Mail fetched") },
  { "switch", N_("Switch changed") },
  { "note", N_("Note") },
  { "mojibake", N_("Mojibake") },
  { "tls", N_("TLS") },
  { "connection-aborted", N_("Connection aborted") },
  { "nat", N_("NAT") },
  { "relay-queued", N_("Held in the queue") },
  { "mailbox", N_("Mailbox changed") },
  { "http:request", N_("HTTPS request") },
  { "http:response", N_("HTTPS response") },
  { "smime", N_("S/MIME check") },
};

static const Row labels[] = {
  { "node", N_("Where") },
  { "from", N_("From") },
  { "recipients", N_("Recipients") },
  { "recipient", N_("Recipient") },
  { "server", N_("Server") },
  { "reason", N_("Why") },
  { "result", N_("Result") },
  { "check", N_("Check") },
  { "user", N_("User") },
  { "mechanism", N_("Mechanism") },
  { "value", N_("Value") },
  { "queue_id", N_("Queue ID") },
  { "name", N_("Name") },
  { "qtype", N_("Record type") },
  { "answers", N_("Answers") },
  { "status", N_("Status") },
  { "direction", N_("Direction") },
  { "error", N_("Error") },
  { "reply", N_("Reply") },
  { "relay", N_("Next MTA") },
  { "address", N_("Address") },
  { "domain", N_("Domain") },
  { "client_ip", N_("Client IP") },
  { "identity", N_("Identity checked") },
  { "spf", N_("SPF result") },
  { "dkim", N_("DKIM result") },
  { "selector", N_("Selector") },
  { "algorithm", N_("Algorithm") },
  { "headers", N_("Signed headers") },
  { "tag", N_("List tag") },
  { "src", N_("Source") },
  { "dst", N_("Destination") },
  { "rule", N_("Rule") },
  { "protocol", N_("Protocol") },
  { "flags", N_("Flags") },
  { "mailbox", N_("Mailbox") },
  { "folder", N_("Folder") },
  { "old_folder", N_("Old folder") },
  { "uid", N_("UID") },
  { "subject", N_("Subject") },
  { "messages", N_("Messages") },
  { "step", N_("Step") },
  { "action", N_("Action") },
  { "mode", N_("Mode") },
  { "note", N_("Note") },
  { "text", N_("Text") },
  { "header", N_("Header") },
  { "raw", N_("Raw") },
  { "shown", N_("Shown") },
  { "correct", N_("Correct") },
  { "assumed_charset", N_("Assumed charset") },
  { "id", N_("Query ID") },
  { "retry_in_s", N_("Retry in (s)") },
  { "attempt", N_("Attempt") },
  { "inside", N_("Inside") },
  { "outside", N_("Outside") },
  { "client_node", N_("Client") },
  { "query", N_("Query") },
  { "rcode", N_("Response code") },
  { "answer", N_("Answer") },
  { "browser", N_("Browser") },
  { "method", N_("HTTP method") },
  { "path", N_("Path") },
  { "host", N_("Host") },
  { "port", N_("Port") },
  { "tls", N_("Encryption") },
  { "summary", N_("Summary") },
  { "signer", N_("Signer") },
  { "key", N_("Private key used") },
  { "encrypted", N_("Encrypted") },
  { "decrypted", N_("Decrypted") },
  { "signed", N_("Signed") },
  { "content_type", N_("Content-Type") },
};

/* RFC 8551 §3: the S/MIME media types a learner sees in the headers view. */
static const Row content_types[] = {
  { "multipart/signed",
    N_("multipart/signed (RFC 1847, RFC 8551 §3.5.3): a signed message in two parts, the "
       "content in clear and the signature; protocol names the signature's type and "
       "micalg the digest (sha-256). A program without S/MIME still shows the text.") },
  { "application/pkcs7-signature",
    N_("application/pkcs7-signature (smime.p7s): the detached CMS signature, made with the "
       "sender's private key over the first part; it carries the sender's certificate.") },
  { "application/pkcs7-mime",
    N_("application/pkcs7-mime (smime.p7m): a CMS object in base64. smime-type="
       "enveloped-data is an encrypted message: only a recipient's private key opens it; "
       "signed-data is a signed message that only an S/MIME program can read.") },
};

/* Fixed texts the agents, the network and the runner write into fields. */
static const char *const fixed_values[] = {
  N_("To and Cc become RCPT TO"),
  N_("the signature matches the content and the certificate chains to the trusted CA"),
  N_("decrypted with the recipient's private key"),
  N_("S/MIME: signed with the sender's private key, then encrypted with the recipients' "
     "public keys"),
  N_("S/MIME: signed with the sender's private key"),
  N_("S/MIME: encrypted with the recipients' public keys"),
  N_("To, Cc and Bcc become RCPT TO; the Bcc field is removed"),
  N_("password matches"),
  N_("digest matches"),
  N_("wrong digest"),
  N_("wrong user or password"),
  N_("authenticated submission"),
  N_("authenticated user"),
  N_("client in own networks"),
  N_("not a local domain, client neither authenticated nor in own networks"),
  N_("local domain"),
  N_("unknown user"),
  N_("accepted into the queue"),
  N_("submitted: handed from the MSA to the MTA"),
  N_("a delivery status notification to the Return-Path"),
  N_("MX lookup"),
  N_("the next MTA accepted the message"),
  N_("stored with Return-Path and Delivered-To"),
  N_("missing: the MSA adds it (RFC 6409 8.3)"),
  N_("missing: the MSA adds it (RFC 6409 8.2)"),
  N_("a Bcc field must not be passed on (RFC 5322 3.6.3)"),
  N_("Received-SPF and Authentication-Results added"),
  N_("SPF fail and the policy rejects"),
  N_("dkim= added to Authentication-Results"),
  N_("DKIM fail and the policy rejects"),
  N_("signature verified"),
  N_("signature verified (the key is in test mode, t=y)"),
  N_("body hash did not verify"),
  N_("signature did not verify (a signed header was changed)"),
  N_("the message has no DKIM-Signature"),
  N_("the message has no From field"),
  N_("signature expired (x=)"),
  N_("key revoked (empty p=)"),
  N_("the From domain is not one this server signs for"),
  N_("the list tags the Subject and adds a footer to the body"),
  N_("relay domain: forwarded by the transport table"),
  N_("transport table: this domain goes to a fixed next hop, not the MX"),
  N_("smarthost: all non-local mail goes to one next hop"),
  N_("greylisting: the first attempt is refused"),
  N_("a POP3 login from this address opens relaying"),
  N_("the relay window is over"),
  N_("the message was itself a bounce (MAIL FROM:<>)"),
  N_("held in the outbound queue: the lab has no Internet"),
  N_("a segment was dropped and never retransmitted"),
  N_("mail forwarding loop"),
  N_("simulated TLS handshake"),
  N_("no address found for the recipient's domain"),
  N_("Connection refused"),
  N_("no user or password in the form"),
  N_("no recipient"),
  N_("no Basic credentials"),
  N_("malformed Basic credentials"),
  N_("not an HTTP/1.x request line"),
  N_("the send form is posted"),
  N_("the inbox is read with GET"),
  N_("no such page"),
  N_("request too large"),
  /* results */
  N_("ok"),
  N_("allowed"),
  N_("denied"),
  N_("accepted"),
  N_("rejected"),
  N_("added"),
  N_("removed"),
  N_("marked"),
  N_("deferred"),
  N_("failed"),
  N_("opened"),
  N_("closed"),
  N_("discarded"),
  N_("signed"),
  N_("skipped"),
  N_("rewritten"),
  N_("refused"),
  N_("query"),
  N_("answer"),
  N_("request"),
  N_("response"),
  /* mailbox actions */
  N_("created"),
  N_("deleted"),
  N_("renamed"),
  N_("expunged"),
};

static const char *
tr (const char *msgid)
{
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

static const Row *
find (const Row  *rows,
      gsize       n,
      const char *key)
{
  if (key == NULL)
    return NULL;
  for (gsize i = 0; i < n; i++)
    if (strcmp (rows[i].key, key) == 0)
      return &rows[i];
  return NULL;
}

#define FIND(table, key) find (table, G_N_ELEMENTS (table), key)

static const char *
string_field (const MsTraceEvent *event,
              const char         *name)
{
  JsonNode *node;

  if (event->fields == NULL || !json_object_has_member (event->fields, name))
    return NULL;
  node = json_object_get_member (event->fields, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/**
 * ms_explain_event_type:
 * @type: an event type ("blocked", "dns" ...)
 *
 * Returns: (nullable): the translated explanation, or %NULL for an unknown type
 */
const char *
ms_explain_event_type (const char *type)
{
  const Row *row = FIND (types, type);

  return row != NULL ? tr (row->text) : NULL;
}

/**
 * ms_explain_event_detail:
 * @event: a trace event
 * @key: (out) (optional): the key of the row used
 *
 * Returns: (nullable): the most precise translated explanation of @event
 */
const char *
ms_explain_event_detail (const MsTraceEvent  *event,
                         const char         **key)
{
  const char *check, *result, *action;
  const Row *row = NULL;
  g_autofree char *decision = NULL;

  g_return_val_if_fail (event != NULL, NULL);

  check = string_field (event, "check");
  result = string_field (event, "result");
  action = string_field (event, "action");
  if (check != NULL && result != NULL)
    {
      decision = g_strconcat (check, "=", result, NULL);
      row = FIND (details, decision);
    }
  if (row == NULL && check != NULL)
    row = FIND (details, check);
  if (row == NULL && action != NULL && event->type != NULL)
    {
      g_free (decision);
      decision = g_strconcat (event->type, ":", action, NULL);
      row = FIND (details, decision);
    }
  if (row == NULL && result != NULL && event->type != NULL)
    {
      g_free (decision);
      decision = g_strconcat (event->type, ":", result, NULL);
      row = FIND (details, decision);
    }
  if (row == NULL)
    row = FIND (types, event->type);
  if (key != NULL)
    *key = row != NULL ? row->key : NULL;
  return row != NULL ? tr (row->text) : NULL;
}

/**
 * ms_explain_event_value:
 * @value: a field value
 *
 * Returns: the translation of a fixed agent text, or @value itself
 */
const char *
ms_explain_event_value (const char *value)
{
  if (value == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (fixed_values); i++)
    if (strcmp (fixed_values[i], value) == 0)
      return tr (fixed_values[i]);
  return value;
}

/**
 * ms_explain_content_type:
 * @type: a media type ("multipart/signed", "application/pkcs7-mime" ...), any case;
 *   parameters after ';' are ignored, the old x-pkcs7 names are accepted
 *
 * Returns: (nullable): what an S/MIME media type means, translated, or %NULL
 */
const char *
ms_explain_content_type (const char *type)
{
  g_autofree char *lower = NULL;
  char *semi;
  const Row *row;

  if (type == NULL)
    return NULL;
  lower = g_ascii_strdown (type, -1);
  if ((semi = strchr (lower, ';')) != NULL)
    *semi = '\0';
  g_strstrip (lower);
  if (g_str_has_prefix (lower, "application/x-pkcs7-"))
    memmove (lower + strlen ("application/"), lower + strlen ("application/x-"),
             strlen (lower + strlen ("application/x-")) + 1);
  row = FIND (content_types, lower);
  return row != NULL ? tr (row->text) : NULL;
}

/**
 * ms_explain_event_field_label:
 * @key: a field name
 *
 * Returns: its translated label, or @key when we have none
 */
const char *
ms_explain_event_field_label (const char *key)
{
  const Row *row = FIND (labels, key);

  return row != NULL ? tr (row->text) : key;
}

gboolean
ms_explain_event_field_is_internal (const char *key)
{
  /* narration texts are shown whole; a quiz has its own pane */
  static const char *const internal[] = { "ja", "en", "quiz", NULL };

  return key == NULL || g_strv_contains (internal, key);
}

/**
 * ms_explain_event_field_text:
 * @event: a trace event
 * @key: a field name ("node" is the event's node)
 *
 * Returns: (nullable) (transfer full): the field as text, or %NULL
 */
char *
ms_explain_event_field_text (const MsTraceEvent *event,
                             const char         *key)
{
  JsonNode *node;

  g_return_val_if_fail (event != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (strcmp (key, "node") == 0)
    return g_strdup (event->node);
  if (event->fields == NULL || !json_object_has_member (event->fields, key))
    return NULL;
  node = json_object_get_member (event->fields, key);
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (ms_explain_event_value (json_node_get_string (node)));
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      GString *s = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);
          g_autofree char *text = NULL;

          if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
            text = g_strdup (json_node_get_string (item));
          else
            text = json_to_string (item, FALSE);
          g_string_append_printf (s, "%s%s", i ? ", " : "", text);
        }
      return g_string_free (s, FALSE);
    }
  if (JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_to_string (node, FALSE);
}

/* The row for @event in a table keyed "type:variant" or "type". */
static const Row *
variant_row (const Row          *rows,
             gsize               n,
             const MsTraceEvent *event)
{
  static const char *const variants[] = { "check", "action", "direction", "result" };

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      const char *value = string_field (event, variants[i]);
      g_autofree char *key = NULL;
      const Row *row;

      if (value == NULL)
        continue;
      key = g_strconcat (event->type, ":", value, NULL);
      if ((row = find (rows, n, key)) != NULL)
        return row;
    }
  return find (rows, n, event->type);
}

/* Fills {field} placeholders of a translated template. */
static char *
expand (const char         *template,
        const MsTraceEvent *event)
{
  GString *out = g_string_new (NULL);
  const char *p = template;

  while (*p != '\0')
    {
      const char *close;

      if (*p == '{' && (close = strchr (p, '}')) != NULL && close - p < 32)
        {
          g_autofree char *key = g_strndup (p + 1, close - p - 1);
          g_autofree char *text = ms_explain_event_field_text (event, key);

          g_string_append (out, text != NULL && *text != '\0' ? text : "—");
          p = close + 1;
          continue;
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

const char *
ms_explain_event_narration (const MsTraceEvent *event)
{
  const char * const *languages = g_get_language_names ();

  g_return_val_if_fail (event != NULL, NULL);
  if (g_strcmp0 (event->type, "narration") != 0)
    return NULL;
  for (guint i = 0; languages[i] != NULL; i++)
    {
      const char *text;

      if (strcmp (languages[i], "C") == 0)
        break;
      if ((text = string_field (event, languages[i])) != NULL)
        return text;
    }
  if (string_field (event, "text") != NULL)
    return string_field (event, "text");
  if (string_field (event, "en") != NULL)
    return string_field (event, "en");
  return string_field (event, "ja");
}

/**
 * ms_explain_event_summary:
 * @event: a trace event
 *
 * Returns: (transfer full): one translated sentence about @event
 */
char *
ms_explain_event_summary (const MsTraceEvent *event)
{
  const Row *row;
  const char *narration;

  g_return_val_if_fail (event != NULL, NULL);

  if ((narration = ms_explain_event_narration (event)) != NULL)
    return g_strdup (narration);
  row = variant_row (summaries, G_N_ELEMENTS (summaries), event);
  if (row != NULL)
    return expand (tr (row->text), event);
  if (event->node != NULL)
    /* TRANSLATORS: an event we have no sentence for: "retry at mail.example" */
    return g_strdup_printf (_("%s at %s"), event->type, event->node);
  return g_strdup (event->type);
}

/**
 * ms_explain_event_title:
 * @event: a trace event
 *
 * Returns: (transfer full): a short translated title
 */
char *
ms_explain_event_title (const MsTraceEvent *event)
{
  const Row *row;
  const char *check;

  g_return_val_if_fail (event != NULL, NULL);

  check = string_field (event, "check");
  if (g_strcmp0 (event->type, "policy") == 0 && check != NULL)
    /* TRANSLATORS: a server's decision and what it checked: "Server decision: relay" */
    return g_strdup_printf (_("Server decision: %s"), check);
  row = variant_row (titles, G_N_ELEMENTS (titles), event);
  return g_strdup (row != NULL ? tr (row->text) : event->type);
}

/**
 * ms_explain_event_foreach:
 * @func: called with each untranslated msgid
 * @user_data: for @func
 */
void
ms_explain_event_foreach (MsExplainForeachFunc func,
                          gpointer             user_data)
{
  const struct { const Row *rows; gsize n; } tables[] = {
    { types, G_N_ELEMENTS (types) }, { details, G_N_ELEMENTS (details) },
    { summaries, G_N_ELEMENTS (summaries) }, { titles, G_N_ELEMENTS (titles) },
    { labels, G_N_ELEMENTS (labels) }, { content_types, G_N_ELEMENTS (content_types) },
  };

  g_return_if_fail (func != NULL);
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (gsize i = 0; i < tables[t].n; i++)
      func (MS_PROTOCOL_UNKNOWN, MS_EXPLAIN_KIND_EVENT, tables[t].rows[i].key,
            tables[t].rows[i].text, user_data);
  for (gsize i = 0; i < G_N_ELEMENTS (fixed_values); i++)
    func (MS_PROTOCOL_UNKNOWN, MS_EXPLAIN_KIND_EVENT, fixed_values[i], fixed_values[i],
          user_data);
}
