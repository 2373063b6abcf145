#!/usr/bin/env python3
# check-with-python-email.py: compares MsMessage with Python's email package
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: check-with-python-email.py MS_MESSAGE_DUMP MS_MESSAGE_GENERATE DATA_DIR [CORPUS_DIR]
#
# Messages: the shared DKIM corpus (when it is beside the tree), tests/core/message/data,
# and what ms-message-generate composes. For each, the decoded subject, the From/To/Cc
# mailboxes and the MIME tree (content types and filenames, depth first) must be the same
# in our dump and in email.message_from_bytes(..., policy=email.policy.default).
import email
import email.errors
import email.policy
import json
import os
import subprocess
import sys
import tempfile


def corpus_dirs(data_dir, extra):
    dirs = [data_dir]
    if extra:
        dirs.append(extra)
    else:
        root = os.environ.get("MS_SOURCE_ROOT", "")
        for cand in (os.path.join(root, "..", "shared", "corpus", "dkim"),
                     os.path.join(root, "..", "..", "shared", "corpus", "dkim"),
                     "/work/shared/corpus/dkim"):
            if root and os.path.isdir(cand) or cand.startswith("/work") and os.path.isdir(cand):
                dirs.append(os.path.realpath(cand))
                break
    return dirs


def message_files(dirs):
    out = []
    for d in dirs:
        for base, _, names in os.walk(d):
            out += [os.path.join(base, n) for n in names if n.endswith((".eml", ".msg"))]
    return sorted(set(out))


def python_view(path):
    with open(path, "rb") as f:
        msg = email.message_from_bytes(f.read(), policy=email.policy.default)

    def utf8(text):
        # Raw 8-bit header bytes come back as surrogate escapes; we read them as UTF-8
        # (RFC 6532), so compare with that reading.
        if text is None:
            return None
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")

    def addresses(name):
        h = msg[name]
        if h is None:
            return None
        if any(isinstance(d, email.errors.InvalidHeaderDefect) for d in h.defects) and \
                any(not a.domain for a in h.addresses):
            # An addr-spec without a domain: Python keeps a fragment, GMime drops the
            # mailbox. Both call it broken; there is nothing to compare.
            return "ill-formed"
        return [[utf8(a.display_name) or None, a.addr_spec] for a in h.addresses]

    subject = msg["subject"]
    return {
        "subject": None if subject is None else utf8(str(subject)),
        "from": addresses("from"),
        "to": addresses("to"),
        "cc": addresses("cc"),
        "parts": [[p.get_content_type(), p.get_filename()] for p in msg.walk()],
        "texts": [text_of(p) for p in msg.walk()],
    }


def text_of(part):
    # The decoded text of a text/* leaf, line ends made alike.
    if part.is_multipart() or part.get_content_maintype() != "text" or \
            part.get_content_type() == "message/rfc822":
        return None
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "us-ascii"
    if charset.lower() in ("us-ascii", "ascii"):
        charset = "utf-8"
    try:
        text = payload.decode(charset, "replace")
    except LookupError:
        return None
    return text.replace("\r\n", "\n")


def main():
    dump, generate, data_dir = sys.argv[1:4]
    extra = sys.argv[4] if len(sys.argv) > 4 else None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([generate, tmp], check=True)
        files = message_files(corpus_dirs(data_dir, extra) + [tmp])
        generated = [f for f in files if f.startswith(tmp)]
        if len(generated) < 5:
            print("the generator wrote only %d messages" % len(generated))
            return 1
        ours = json.loads(subprocess.run([dump] + files, check=True,
                                         capture_output=True).stdout)
        failures = 0
        texts_compared = [0]
        for mine in ours:
            path = mine["file"]
            theirs = python_view(path)
            if "error" in mine:
                print("FAIL %s: we refused it: %s" % (path, mine["error"]))
                failures += 1
                continue
            for key in ("subject", "from", "to", "cc"):
                if theirs[key] == "ill-formed":
                    print("note %s %s: ill-formed, ours %r" % (path, key, mine[key]))
                    continue
                if mine[key] != theirs[key]:
                    print("FAIL %s %s:\n  ours:   %r\n  python: %r" % (path, key, mine[key], theirs[key]))
                    failures += 1
            our_parts = [[p[0], p[1]] for p in mine["parts"]]
            our_texts = [None if p[3] is None else p[3].replace("\r\n", "\n") for p in mine["parts"]]
            if len(our_texts) == len(theirs["texts"]):
                for i, (a, b) in enumerate(zip(our_texts, theirs["texts"])):
                    if b is not None and a != b:
                        print("FAIL %s text of part %d:\n  ours:   %r\n  python: %r" % (path, i, a, b))
                        failures += 1
                    elif b is not None:
                        texts_compared[0] += 1
            if our_parts != theirs["parts"]:
                print("FAIL %s parts:\n  ours:   %r\n  python: %r" % (path, our_parts, theirs["parts"]))
                failures += 1
        print("%d messages (%d generated), %d texts compared, %d differences"
              % (len(ours), len(generated), texts_compared[0], failures))
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
