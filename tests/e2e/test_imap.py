#!/usr/bin/env python3
# test_imap.py: Python's imaplib against `mailsim serve`
#
# SPDX-License-Identifier: GPL-3.0-or-later

import imaplib
import os
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelab  # noqa: E402
from livelab import HOST, make_message, strip_trace_headers  # noqa: E402

lab = None

MULTIPART = (
    b"From: <alice@example.test>\r\n"
    b"To: <peggy@example.test>\r\n"
    b"Subject: with an attachment\r\n"
    b"Message-ID: <multi@e2e.example.test>\r\n"
    b"Date: Thu, 01 Jan 2026 09:00:00 +0900\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"xyz\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--xyz\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"See the attachment.\r\n"
    b"--xyz\r\n"
    b"Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    b"Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"AAECAwQFBgcICQ==\r\n"
    b"--xyz--\r\n"
)


def setUpModule():
    global lab
    lab = livelab.LiveLab()


def tearDownModule():
    status = lab.stop()
    lab.cleanup()
    if status != 0:
        raise AssertionError(f"mailsim serve exited with {status}: {lab.stderr!r}")


def login(user, port_name="imap"):
    if port_name == "imaps":
        m = imaplib.IMAP4_SSL(HOST, lab.ports["imaps"], ssl_context=lab.ssl_context())
    else:
        m = imaplib.IMAP4(HOST, lab.ports[port_name])
    m.sock.settimeout(10)
    typ, _ = m.login(user, lab.users[user])
    assert typ == "OK"
    return m


def ok(result):
    typ, data = result
    if typ != "OK":
        raise AssertionError(f"{typ} {data!r}")
    return data


def mailbox_names(m):
    names = []
    for item in ok(m.list('""', "*")):
        # (\HasNoChildren) "/" "INBOX"
        match = re.match(rb'\((.*?)\) (NIL|"[^"]*") (.+)$', item)
        name = match.group(3)
        if name.startswith(b'"'):
            name = name[1:-1]
        names.append(name.decode())
    return names


class Folders(unittest.TestCase):
    def test_list_create_rename_delete(self):
        m = login("bob@example.test")
        try:
            self.assertIn("INBOX", mailbox_names(m))
            ok(m.create("Work"))
            self.assertIn("Work", mailbox_names(m))
            ok(m.rename("Work", "Projects"))
            names = mailbox_names(m)
            self.assertIn("Projects", names)
            self.assertNotIn("Work", names)
            ok(m.delete("Projects"))
            self.assertNotIn("Projects", mailbox_names(m))
            typ, _ = m.delete("Projects")
            self.assertEqual(typ, "NO")
            typ, _ = m.create("INBOX")
            self.assertEqual(typ, "NO")
        finally:
            m.logout()

    def test_a_wrong_password_is_refused(self):
        m = imaplib.IMAP4(HOST, lab.ports["imap"])
        with self.assertRaises(imaplib.IMAP4.error):
            m.login("bob@example.test", "wrong")
        m.logout()

    def test_capability_offers_starttls_before_tls(self):
        m = imaplib.IMAP4(HOST, lab.ports["imap"])
        self.assertIn("STARTTLS", m.capabilities)
        self.assertIn("IMAP4REV1", [c.upper() for c in m.capabilities])
        ok(m.starttls(ssl_context=lab.ssl_context()))
        self.assertNotIn("STARTTLS", m.capabilities)
        ok(m.login("bob@example.test", "builder"))
        m.logout()

    def test_imaps(self):
        m = login("bob@example.test", "imaps")
        self.assertIn("INBOX", mailbox_names(m))
        m.logout()


class Messages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sent = []
        for subject in ("alpha report", "beta notes", "gamma report"):
            msg = make_message("alice@example.test", "carol@example.test", subject)
            lab.deliver("alice@example.test", ["carol@example.test"], msg)
            cls.sent.append(msg)
        lab.deliver("alice@example.test", ["peggy@example.test"], MULTIPART)

    def setUp(self):
        self.m = login("carol@example.test")

    def tearDown(self):
        try:
            self.m.logout()
        except Exception:
            pass

    def test_select_reports_exists_and_uidvalidity(self):
        data = ok(self.m.select("INBOX"))
        self.assertGreaterEqual(int(data[0]), 3)
        self.assertIsNotNone(self.m.untagged_responses.get("UIDVALIDITY"))

    def test_search(self):
        ok(self.m.select("INBOX", readonly=True))
        self.assertEqual(ok(self.m.search(None, "SUBJECT", '"report"'))[0].split(), [b"1", b"3"])
        self.assertEqual(ok(self.m.search(None, "FROM", "alice"))[0].split(), [b"1", b"2", b"3"])
        self.assertEqual(ok(self.m.search(None, "SUBJECT", "nothing-like-this"))[0], b"")
        uids = ok(self.m.uid("SEARCH", None, "ALL"))[0].split()
        self.assertEqual(len(uids), 3)
        self.assertEqual(uids, sorted(uids, key=int))

    def test_fetch_envelope(self):
        ok(self.m.select("INBOX", readonly=True))
        data = ok(self.m.fetch("2", "(ENVELOPE)"))
        envelope = data[0]
        self.assertIn(b'"beta notes"', envelope)
        # address structures: (name adl mailbox host)
        self.assertIn(b'(NIL NIL "alice" "example.test")', envelope)
        self.assertIn(b'(NIL NIL "carol" "example.test")', envelope)

    def test_fetch_bodystructure_of_a_multipart(self):
        m = login("peggy@example.test")
        try:
            ok(m.select("INBOX", readonly=True))
            data = ok(m.fetch("1", "(BODYSTRUCTURE)"))[0]
            text = data.decode()
            self.assertRegex(text.upper(), r'\("TEXT" "PLAIN" \("CHARSET" "US-ASCII"\)')
            self.assertIn('"APPLICATION" "OCTET-STREAM"', text.upper())
            self.assertIn('"BASE64"', text.upper())
            self.assertIn('"MIXED"', text.upper())
            # the parts, as numbered by BODYSTRUCTURE
            part1 = ok(m.fetch("1", "(BODY.PEEK[1])"))[0][1]
            self.assertEqual(part1, b"See the attachment.")
            part2_mime = ok(m.fetch("1", "(BODY.PEEK[2.MIME])"))[0][1]
            self.assertIn(b"Content-Disposition: attachment", part2_mime)
        finally:
            m.logout()

    def test_partial_fetch(self):
        ok(self.m.select("INBOX", readonly=True))
        whole = ok(self.m.fetch("1", "(BODY.PEEK[])"))[0][1]
        data = ok(self.m.fetch("1", "(BODY.PEEK[]<0.10>)"))
        self.assertIn(b"BODY[]<0>", data[0][0])
        self.assertEqual(data[0][1], whole[:10])
        data = ok(self.m.fetch("1", "(BODY.PEEK[]<20.15>)"))
        self.assertEqual(data[0][1], whole[20:35])
        fields = ok(self.m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1]
        self.assertEqual(fields, b"Subject: alpha report\r\n\r\n")

    def test_fetch_body_is_byte_identical_to_what_was_sent(self):
        ok(self.m.select("INBOX", readonly=True))
        for i, sent in enumerate(self.sent, start=1):
            raw = ok(self.m.fetch(str(i), "(BODY.PEEK[])"))[0][1]
            added, rest = strip_trace_headers(raw)
            self.assertEqual(rest, sent)
            self.assertEqual(added[0], b"Return-Path: <alice@example.test>")
            size = ok(self.m.fetch(str(i), "(RFC822.SIZE)"))[0]
            self.assertIn(b"RFC822.SIZE %d" % len(raw), size)

    def test_peek_does_not_set_seen_but_body_does(self):
        m = login("mallory@example.test")
        try:
            lab.deliver("alice@example.test", ["mallory@example.test"],
                        make_message("alice@example.test", "mallory@example.test", "seen?"))
            ok(m.select("INBOX"))
            ok(m.fetch("1", "(BODY.PEEK[])"))
            self.assertNotIn(b"\\Seen", ok(m.fetch("1", "(FLAGS)"))[0])
            ok(m.fetch("1", "(BODY[])"))
            self.assertIn(b"\\Seen", ok(m.fetch("1", "(FLAGS)"))[0])
        finally:
            m.logout()


class Changes(unittest.TestCase):
    def test_store_copy_expunge(self):
        for i in range(3):
            lab.deliver("alice@example.test", ["trent@example.test"],
                        make_message("alice@example.test", "trent@example.test", f"change {i}"))
        m = login("trent@example.test")
        try:
            ok(m.select("INBOX"))
            flags = ok(m.store("1", "+FLAGS", "(\\Flagged)"))[0]
            self.assertIn(b"\\Flagged", flags)
            self.assertIn(b"\\Flagged", ok(m.fetch("1", "(FLAGS)"))[0])
            ok(m.store("1", "-FLAGS", "(\\Flagged)"))
            self.assertNotIn(b"\\Flagged", ok(m.fetch("1", "(FLAGS)"))[0])

            ok(m.create("Archive"))
            ok(m.copy("1:2", "Archive"))
            typ, data = m.status("Archive", "(MESSAGES)")
            self.assertEqual(typ, "OK")
            self.assertIn(b"MESSAGES 2", data[0])

            ok(m.store("2", "+FLAGS", "(\\Deleted)"))
            typ, data = m.expunge()
            self.assertEqual(typ, "OK")
            self.assertEqual(data, [b"2"])
            self.assertEqual(int(ok(m.select("INBOX"))[0]), 2)
            subjects = [ok(m.fetch(str(i), "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])"))[0][1]
                        for i in (1, 2)]
            self.assertEqual(subjects, [b"Subject: change 0\r\n\r\n", b"Subject: change 2\r\n\r\n"])
        finally:
            m.logout()

    def test_append_with_a_literal_is_stored_byte_for_byte(self):
        msg = make_message("victor@example.test", "victor@example.test", "appended draft",
                           body_lines=["with\ttabs and a long line " + "x" * 200, "", "."])
        m = login("victor@example.test")
        try:
            typ, data = m.append("INBOX", "(\\Seen \\Draft)", None, msg)
            self.assertEqual(typ, "OK", data)
            self.assertIn(b"APPENDUID", data[0])
            n = int(ok(m.select("INBOX"))[0])
            fetched = ok(m.fetch(str(n), "(FLAGS BODY.PEEK[])"))
            self.assertEqual(fetched[0][1], msg)
            self.assertIn(b"\\Draft", fetched[0][0])
        finally:
            m.logout()

    def test_idle_sees_a_new_message(self):
        m = login("walter@example.test")
        try:
            exists = int(ok(m.select("INBOX"))[0])
            tag = m._new_tag()
            m.send(tag + b" IDLE\r\n")
            cont = m.readline()
            self.assertTrue(cont.startswith(b"+"), cont)

            def deliver_later():
                time.sleep(0.3)
                lab.deliver("alice@example.test", ["walter@example.test"],
                            make_message("alice@example.test", "walter@example.test", "while idle"))

            t = threading.Thread(target=deliver_later)
            t.start()
            got = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                line = m.readline()
                got.append(line)
                if re.match(rb"\* %d EXISTS" % (exists + 1), line):
                    break
            t.join()
            self.assertTrue(any(re.match(rb"\* %d EXISTS" % (exists + 1), l) for l in got), got)
            m.send(b"DONE\r\n")
            while True:
                line = m.readline()
                if line.startswith(tag):
                    self.assertIn(b" OK", line)
                    break
        finally:
            m.logout()


if __name__ == "__main__":
    unittest.main(verbosity=2)
