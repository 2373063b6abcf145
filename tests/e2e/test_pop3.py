#!/usr/bin/env python3
# test_pop3.py: Python's poplib against `mailsim serve`
#
# SPDX-License-Identifier: GPL-3.0-or-later

import hashlib
import os
import poplib
import re
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelab  # noqa: E402
from livelab import HOST, make_message, strip_trace_headers  # noqa: E402

lab = None


def setUpModule():
    global lab
    lab = livelab.LiveLab()


def tearDownModule():
    status = lab.stop()
    lab.cleanup()
    if status != 0:
        raise AssertionError(f"mailsim serve exited with {status}: {lab.stderr!r}")


def login(user, port_name="pop3"):
    p = poplib.POP3(HOST, lab.ports[port_name], timeout=10)
    p.user(user)
    p.pass_(lab.users[user])
    return p


def fill(user, n):
    """Delivers n messages to user; returns them as sent."""
    sent = []
    for i in range(n):
        msg = make_message("alice@example.test", user, f"pop3 test {i}")
        lab.deliver("alice@example.test", [user], msg)
        sent.append(msg)
    return sent


class Pop3(unittest.TestCase):
    def test_user_pass_stat_and_list(self):
        sent = fill("bob@example.test", 2)
        p = login("bob@example.test")
        try:
            count, size = p.stat()
            self.assertEqual(count, 2)
            resp, listing, _ = p.list()
            self.assertTrue(resp.startswith(b"+OK"))
            sizes = [int(line.split()[1]) for line in listing]
            self.assertEqual(len(sizes), 2)
            self.assertEqual(sum(sizes), size)
            # the delivered copy is the sent message plus the added trace headers
            for s, msg in zip(sizes, sent):
                self.assertGreater(s, len(msg))
        finally:
            p.quit()

    def test_a_wrong_password_is_refused(self):
        p = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        p.user("bob@example.test")
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("wrong")
        self.assertTrue(str(cm.exception).startswith("b'-ERR"), cm.exception)
        p.quit()

    def test_apop(self):
        fill("carol@example.test", 1)
        p = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        self.assertRegex(p.getwelcome(), rb"<[^>]+@[^>]+>")
        resp = p.apop("carol@example.test", "carol123")
        self.assertTrue(resp.startswith(b"+OK"), resp)
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_apop_with_a_wrong_secret_is_refused(self):
        p = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        with self.assertRaises(poplib.error_proto):
            p.apop("carol@example.test", "wrong")
        p.quit()

    def test_stls(self):
        fill("dave@example.test", 1)
        p = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
        self.assertIn("STLS", p.capa())
        p.stls(context=lab.ssl_context())
        self.assertNotIn("STLS", p.capa())
        p.user("dave@example.test")
        p.pass_("dave-pw")
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_pop3_ssl(self):
        fill("erin@example.test", 1)
        p = poplib.POP3_SSL(HOST, lab.ports["pop3s"], context=lab.ssl_context(), timeout=10)
        p.user("erin@example.test")
        p.pass_("erin-pw")
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_top_gives_the_headers_and_n_body_lines(self):
        body = ["line one", "line two", "line three"]
        msg = make_message("alice@example.test", "frank@example.test", "top", body_lines=body)
        lab.deliver("alice@example.test", ["frank@example.test"], msg)
        p = login("frank@example.test")
        try:
            _, lines, _ = p.top(1, 2)
            blank = lines.index(b"")
            self.assertIn(b"Subject: top", lines[:blank])
            self.assertEqual(lines[blank + 1:], [b"line one", b"line two"])
            _, lines0, _ = p.top(1, 0)
            self.assertEqual(lines0[-1], b"")
            self.assertEqual(lines0, lines[:blank + 1])
        finally:
            p.quit()

    def test_uidl_is_stable_and_unique(self):
        fill("grace@example.test", 3)
        p = login("grace@example.test")
        _, listing, _ = p.uidl()
        uids = [line.split()[1] for line in listing]
        self.assertEqual(len(set(uids)), 3)
        for uid in uids:
            self.assertRegex(uid, rb"^[\x21-\x7e]{1,70}$")  # RFC 1939 §7
        one = p.uidl(2)
        self.assertEqual(one.split()[2], uids[1])
        p.quit()
        p = login("grace@example.test")
        self.assertEqual([line.split()[1] for line in p.uidl()[1]], uids)
        p.quit()

    def test_dele_then_relogin_shows_it_gone(self):
        fill("heidi@example.test", 3)
        p = login("heidi@example.test")
        uids = [line.split()[1] for line in p.uidl()[1]]
        p.dele(2)
        with self.assertRaises(poplib.error_proto):
            p.retr(2)  # a deleted message may not be referred to (RFC 1939 §6)
        self.assertEqual(p.stat()[0], 2)
        p.quit()       # the UPDATE state removes it
        p = login("heidi@example.test")
        self.assertEqual(p.stat()[0], 2)
        self.assertEqual([line.split()[1] for line in p.uidl()[1]], [uids[0], uids[2]])
        p.quit()

    def test_rset_undeletes(self):
        fill("ivan@example.test", 2)
        p = login("ivan@example.test")
        p.dele(1)
        p.rset()
        p.quit()
        p = login("ivan@example.test")
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_a_dropped_connection_deletes_nothing(self):
        fill("judy@example.test", 1)
        p = login("judy@example.test")
        p.dele(1)
        # no QUIT: no UPDATE state (RFC 1939 §6); poplib's file object keeps the socket
        # open, so shut it down explicitly
        p.sock.shutdown(socket.SHUT_RDWR)
        p.sock.close()
        # until the server has seen the EOF the maildrop stays locked ([IN-USE])
        deadline = time.monotonic() + 5
        while True:
            try:
                p = login("judy@example.test")
                break
            except poplib.error_proto as e:
                if b"[IN-USE]" not in e.args[0] or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_retr_is_byte_identical_to_what_was_sent_with_dot_stuffing(self):
        body = [".starts with a dot", "..two dots", ".", "end"]
        msg = make_message("alice@example.test", "oscar@example.test", "dots", body_lines=body)
        lab.deliver("alice@example.test", ["oscar@example.test"], msg)
        p = login("oscar@example.test")
        _, lines, octets = p.retr(1)
        p.quit()
        raw = b"\r\n".join(lines) + b"\r\n"
        added, rest = strip_trace_headers(raw)
        self.assertEqual(rest, msg)
        names = [a.split(b":", 1)[0].lower() for a in added]
        self.assertEqual(names[0], b"return-path")
        self.assertIn(b"delivered-to", names)
        self.assertIn(b"received", names)
        self.assertEqual(added[0], b"Return-Path: <alice@example.test>")


if __name__ == "__main__":
    unittest.main(verbosity=2)
