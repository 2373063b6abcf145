#!/usr/bin/env python3
"""Compare `mailsim analyze --format json` with tshark on every capture of the corpus.

Usage: compare-tshark.py MAILSIM CORPUS_DIR [CHECK_TRACE_JSON]

For each capture: SMTP commands and final reply codes, POP3 commands and status
indicators, IMAP commands and tagged statuses, and message subjects, compared as
multisets. Differences must be listed in KNOWN below, each with its reason (the same
list is explained in docs/analyzer.md); any other difference fails the test, and so
does a known difference that went away (the list must stay true). Exit 77 (skip) when
tshark or the corpus is missing.
"""
import collections
import email.header
import json
import re
import os
import shutil
import subprocess
import sys

# Justified differences: (file, field) -> reason key. Keep this small; docs/analyzer.md
# explains each reason.
REASONS = {
    "bdat": "tshark 4.0 takes the octets after a BDAT command (RFC 3030) as message data "
            "and never returns to commands, so it misses what follows and the subjects",
    "data-mode": "tshark enters DATA mode on the DATA command (or on client bytes before "
                 "the greeting) whatever the reply; a refused DATA (503/554) leaves it "
                 "reading commands as message text",
    "partial-fetch": "tshark shows the Subject of header-only FETCH responses "
                     "(BODY[HEADER.FIELDS ...]); those are not whole messages",
    "socks": "SMTP tunnelled through a SOCKS5 proxy: tshark follows the proxy, we do not",
    "segment-codes": "a multi-line reply split over segments: tshark gives its code once "
                     "per segment",
    "nested-subject": "tshark also lists the Subject of an attached message/rfc822 part",
    "pipelined": "a segment holding MAIL, RCPT, DATA and the body sent without waiting "
                 "(RFC 2920): tshark reads the whole segment as message data",
}
KNOWN = {}
for f in ("smtp-bdat-bad-tail-next-mail.pcap", "smtp-bdat-bad-tail-reply-queue.pcap",
          "smtp-bdat-last-next-mail.pcap", "smtp-bdat-multichunk-next-mail.pcap",
          "smtp-bdat-pipelined-next-mail.pcap", "smtp-bdat-pipeline-8bitmime.pcap"):
    KNOWN[(f, "smtp.command")] = "bdat"
    KNOWN[(f, "subject")] = "bdat"
for f in ("smtp-bdat-cmd-chunk-size-overflow.pcap", "smtp-bdat-cmd-chunk-size-overflow2.pcap",
          "smtp-bdat-cmd-invalid.pcapng"):
    KNOWN[(f, "smtp.command")] = "bdat"
for f in ("rfc3030-bdat-example1.pcap", "rfc3030-bdat-multipart.pcap"):
    KNOWN[(f, "subject")] = "bdat"
for f in ("firewall-133-smtp-out-of-order-commands__out-of-order.pcap",
          "smtp-ehlo-reset-after-rejected-data.pcap", "smtp-pipelined-rset-data-replies.pcap",
          "smtp-subject-utf8-q.pcap", "smtp-bug-1045-flowbits.pcap"):
    KNOWN[(f, "smtp.command")] = "data-mode"
for f in ("smtp-subject-windows.pcap", "smtp-subject-multi-nospace.pcap"):
    KNOWN[(f, "smtp.command")] = "data-mode"
    KNOWN[(f, "subject")] = "data-mode"
KNOWN[("smtp-subject-windows.pcap", "smtp.code")] = "data-mode"
KNOWN[("smtp-extract-url-schemes.pcap", "subject")] = "data-mode"
KNOWN[("smtp-extract-url-schemes.pcap", "smtp.code")] = "segment-codes"
KNOWN[("rfc3030-bdat-nonascii.pcap", "smtp.code")] = "segment-codes"
KNOWN[("rfc3030-bdat-nonascii.pcap", "subject")] = "nested-subject"
KNOWN[("smtp-pipelining.pcap", "smtp.command")] = "pipelined"
KNOWN[("imap.pcap", "subject")] = "partial-fetch"
KNOWN[("imap-detection.pcap", "subject")] = "partial-fetch"
KNOWN[("socks5-smtp-503.pcap", "smtp.command")] = "socks"
KNOWN[("socks5-smtp-503.pcap", "smtp.code")] = "socks"


def tshark_fields(path, display_filter, field):
    out = subprocess.run(
        ["tshark", "-r", path, "-Y", display_filter, "-T", "fields", "-E", "occurrence=a",
         "-E", "separator=/t", "-E", "aggregator=\x1f", "-e", field],
        capture_output=True, check=False).stdout.decode("utf-8", "replace")
    values = []
    for line in out.splitlines():
        for v in line.split("\x1f"):
            if v != "":
                values.append(v)
    return values


def norm_subject(text):
    """tshark shows the raw field: unfold it and decode RFC 2047 words, then compare
    with whitespace collapsed."""
    text = re.sub(r"\\r\\n|\r\n", "", text)
    try:
        text = str(email.header.make_header(email.header.decode_header(text)))
    except Exception:
        pass
    return " ".join(text.split())


# tshark sometimes takes a SASL response (base64) for a command and sometimes not;
# commands are compared on the protocols' verbs only.
SMTP_VERBS = {"HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN",
              "HELP", "NOOP", "QUIT", "STAR", "AUTH", "ETRN", "TURN", "ATRN", "XCLI", "XFOR"}
POP3_VERBS = {"USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "QUIT",
              "TOP", "UIDL", "CAPA", "STLS", "AUTH", "UTF8", "LANG"}


def verbs(values, allowed):
    return [v for v in values if v in allowed]


def ours(doc):
    got = collections.defaultdict(list)
    bdat_sessions = set()
    for s in doc["sessions"]:
        proto = s["protocol"]
        for ln in s["lines"]:
            kind = ln.get("kind")
            if ln["dir"] == "C" and "command" in ln and kind is None:
                if proto == "smtp":
                    # tshark's smtp.req.command is the first four characters of the line
                    got["smtp.command"].append(ln["command"][:4])
                elif proto == "pop3":
                    got["pop3.command"].append(ln["command"])
                elif proto == "imap":
                    got["imap.command"].append(ln["command"].split(" ")[-1])
            if ln["dir"] == "S" and "code" in ln:
                if proto == "smtp" and not (len(ln["text"]) > 3 and ln["text"][3] == "-"):
                    got["smtp.code"].append(str(ln["code"]))
                elif proto == "pop3":
                    got["pop3.status"].append(ln["code"])
                elif proto == "imap" and "tag" in ln and ln["tag"] != "*":
                    got["imap.status"].append(ln["code"])
    for m in doc["messages"]:
        if m.get("subject") is not None and m["session"] not in bdat_sessions:
            got["subject"].append(norm_subject(m["subject"]))
    got["smtp.command"] = verbs(got["smtp.command"], SMTP_VERBS)
    got["pop3.command"] = verbs(got["pop3.command"], POP3_VERBS)
    return got


def theirs(path):
    got = {}
    got["smtp.command"] = [c.upper()[:4] for c in tshark_fields(path, "smtp.req", "smtp.req.command")]
    got["smtp.code"] = tshark_fields(path, "smtp.response", "smtp.response.code")
    got["pop3.command"] = [c.upper() for c in tshark_fields(path, "pop.request", "pop.request.command")]
    got["pop3.status"] = tshark_fields(path, "pop.response", "pop.response.indicator")
    got["imap.command"] = [c.upper() for c in tshark_fields(path, "imap.request", "imap.request.command")]
    # tshark takes the base64 of a "+ challenge" as a status: only real statuses count
    got["imap.status"] = [s.upper() for s in tshark_fields(path, "imap.response", "imap.response.status")
                          if s.upper() in ("OK", "NO", "BAD", "PREAUTH", "BYE")]
    got["subject"] = [norm_subject(s) for s in tshark_fields(path, "imf", "imf.subject")]
    got["smtp.command"] = verbs(got["smtp.command"], SMTP_VERBS)
    got["pop3.command"] = verbs(got["pop3.command"], POP3_VERBS)
    return got


def main():
    mailsim, corpus = sys.argv[1], sys.argv[2]
    checker = sys.argv[3] if len(sys.argv) > 3 else None
    if shutil.which("tshark") is None or not os.path.isdir(corpus):
        print("tshark or the corpus is missing: skipped")
        return 77
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs)
    failures = 0
    seen_known = set()
    compared = 0
    for path in files:
        name = os.path.basename(path)
        run = subprocess.run([mailsim, "analyze", "--format", "json", path],
                             capture_output=True, check=False)
        if run.returncode != 0:
            print(f"FAIL {name}: mailsim exited {run.returncode}: {run.stderr.decode()[:300]}")
            failures += 1
            continue
        if checker and os.path.exists(checker):
            chk = subprocess.run([checker], input=run.stdout, capture_output=True, check=False)
            if chk.returncode != 0:
                print(f"FAIL {name}: check-trace-json: {chk.stdout.decode()[:500]}")
                failures += 1
        doc = json.loads(run.stdout)
        a = ours(doc)
        b = theirs(path)
        for field in b:
            ca, cb = collections.Counter(a.get(field, [])), collections.Counter(b[field])
            compared += sum(cb.values())
            if ca == cb:
                continue
            key = (name, field)
            if key in KNOWN:
                seen_known.add(key)
                continue
            print(f"FAIL {name} {field}: only mailsim {str(dict(ca - cb))[:300]}; "
                  f"only tshark {str(dict(cb - ca))[:300]}")
            failures += 1
    for key in KNOWN:
        if key not in seen_known and any(os.path.basename(p) == key[0] for p in files):
            print(f"FAIL known difference {key} no longer happens: remove it from KNOWN")
            failures += 1
    print(f"{len(files)} captures, {compared} tshark values compared, "
          f"{len(seen_known)} known differences, {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
