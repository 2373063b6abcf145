#!/usr/bin/env python3
# test_smtp.py: Python's smtplib against `mailsim serve`
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import poplib
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelab  # noqa: E402
from livelab import HOST, make_message  # noqa: E402

lab = None


def setUpModule():
    global lab
    lab = livelab.LiveLab()


def tearDownModule():
    status = lab.stop()
    lab.cleanup()
    if status != 0:
        raise AssertionError(f"mailsim serve exited with {status}: {lab.stderr!r}")


def count_messages(user):
    p = poplib.POP3(HOST, lab.ports["pop3"], timeout=10)
    try:
        p.user(user)
        p.pass_(lab.users[user])
        return p.stat()[0]
    finally:
        p.quit()


class PlainSmtp(unittest.TestCase):
    def test_ehlo_names_the_server_and_offers_starttls(self):
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            code, banner = s.ehlo("client.example.test")
            self.assertEqual(code, 250)
            self.assertTrue(banner.decode().startswith(livelab.DOMAIN), banner)
            self.assertTrue(s.has_extn("starttls"))
            self.assertTrue(s.has_extn("8bitmime") or s.has_extn("size"))

    def test_greeting_is_220_with_the_domain(self):
        s = smtplib.SMTP(timeout=10)
        code, text = s.connect(HOST, lab.ports["smtp"])
        self.assertEqual(code, 220)
        self.assertIn(livelab.DOMAIN, text.decode())
        s.quit()

    def test_mail_to_a_local_user_is_delivered(self):
        before = count_messages("dave@example.test")
        refused = lab.deliver("alice@example.test", ["dave@example.test"],
                              make_message("alice@example.test", "dave@example.test", "plain"))
        self.assertEqual(refused, {})
        self.assertEqual(count_messages("dave@example.test"), before + 1)

    def test_two_recipients_two_mailboxes(self):
        before = (count_messages("grace@example.test"), count_messages("heidi@example.test"))
        refused = lab.deliver("alice@example.test", ["grace@example.test", "heidi@example.test"],
                              make_message("alice@example.test", "grace@example.test", "two"))
        self.assertEqual(refused, {})
        self.assertEqual((count_messages("grace@example.test"), count_messages("heidi@example.test")),
                         (before[0] + 1, before[1] + 1))

    def test_an_unknown_local_user_is_refused_with_550(self):
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example.test")
            self.assertEqual(s.mail("alice@example.test")[0], 250)
            code, text = s.rcpt("nobody@example.test")
            self.assertEqual(code, 550, text)
            self.assertIn(b"5.1.1", text)

    def test_relaying_for_a_stranger_is_denied_with_554(self):
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example.test")
            self.assertEqual(s.mail("someone@elsewhere.example")[0], 250)
            code, text = s.rcpt("victim@elsewhere.example")
            self.assertEqual(code, 554, text)
            self.assertIn(b"5.7.1", text)

    def test_data_before_rcpt_is_a_bad_sequence(self):
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example.test")
            code, _ = s.docmd("DATA")
            self.assertEqual(code, 503)

    def test_several_transactions_on_one_connection(self):
        before = count_messages("ivan@example.test")
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            for i in range(3):
                s.sendmail("alice@example.test", ["ivan@example.test"],
                           make_message("alice@example.test", "ivan@example.test", f"batch {i}"))
        self.assertEqual(count_messages("ivan@example.test"), before + 3)


class Tls(unittest.TestCase):
    def test_starttls_then_auth_then_send(self):
        before = count_messages("erin@example.test")
        with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
            s.ehlo("client.example.test")
            code, _ = s.starttls(context=lab.ssl_context())
            self.assertEqual(code, 220)
            s.ehlo("client.example.test")
            self.assertFalse(s.has_extn("starttls"), "STARTTLS is not offered twice")
            self.assertTrue(s.has_extn("auth"))
            s.login("bob@example.test", "builder")
            s.sendmail("bob@example.test", ["erin@example.test"],
                       make_message("bob@example.test", "erin@example.test", "over starttls"))
        self.assertEqual(count_messages("erin@example.test"), before + 1)

    def test_smtps_is_tls_from_the_first_byte(self):
        before = count_messages("frank@example.test")
        with smtplib.SMTP_SSL(HOST, lab.ports["smtps"], context=lab.ssl_context(), timeout=10) as s:
            s.ehlo("client.example.test")
            self.assertFalse(s.has_extn("starttls"))
            s.login("carol@example.test", "carol123")
            s.sendmail("carol@example.test", ["frank@example.test"],
                       make_message("carol@example.test", "frank@example.test", "over smtps"))
        self.assertEqual(count_messages("frank@example.test"), before + 1)

    def test_the_certificate_names_localhost_and_the_loopback_address(self):
        # verification with check_hostname on: the IP SAN must match 127.0.0.1
        with smtplib.SMTP_SSL(HOST, lab.ports["smtps"], context=lab.ssl_context(), timeout=10) as s:
            cert = s.sock.getpeercert()
        sans = {v for _, v in cert["subjectAltName"]}
        self.assertTrue({"localhost", livelab.DOMAIN, "127.0.0.1"} <= sans, sans)


class Submission(unittest.TestCase):
    def connect(self):
        s = smtplib.SMTP(HOST, lab.ports["submission"], timeout=10)
        s.ehlo("client.example.test")
        s.starttls(context=lab.ssl_context())
        s.ehlo("client.example.test")
        return s

    def test_mail_without_auth_is_refused_with_530(self):
        with smtplib.SMTP(HOST, lab.ports["submission"], timeout=10) as s:
            s.ehlo("client.example.test")
            code, text = s.mail("alice@example.test")
            self.assertEqual(code, 530, text)

    def authenticate_with(self, mechanism, user, password):
        with self.connect() as s:
            self.assertIn(mechanism, s.esmtp_features["auth"].upper().split())
            s.user, s.password = user, password
            authobject = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login,
                          "CRAM-MD5": s.auth_cram_md5}[mechanism]
            code, text = s.auth(mechanism, authobject, initial_response_ok=(mechanism == "PLAIN"))
            self.assertEqual(code, 235, text)
            self.assertEqual(s.mail(user)[0], 250)
            self.assertEqual(s.rcpt("judy@example.test")[0], 250)
            s.rset()

    def test_auth_plain(self):
        self.authenticate_with("PLAIN", "alice@example.test", "wonderland")

    def test_auth_login(self):
        self.authenticate_with("LOGIN", "bob@example.test", "builder")

    def test_auth_cram_md5(self):
        self.authenticate_with("CRAM-MD5", "carol@example.test", "carol123")

    def test_a_wrong_password_is_535(self):
        with self.connect() as s:
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.login("alice@example.test", "not-her-password")
            self.assertEqual(cm.exception.smtp_code, 535)

    def test_an_authenticated_user_may_relay(self):
        with self.connect() as s:
            s.login("alice@example.test", "wonderland")
            self.assertEqual(s.mail("alice@example.test")[0], 250)
            code, text = s.rcpt("friend@elsewhere.example")
            self.assertIn(code, (250, 251), text)
            s.rset()

    def test_plain_auth_is_not_offered_in_the_clear_on_submission(self):
        with smtplib.SMTP(HOST, lab.ports["submission"], timeout=10) as s:
            s.ehlo("client.example.test")
            mechanisms = s.esmtp_features.get("auth", "").upper().split()
            self.assertNotIn("PLAIN", mechanisms)
            self.assertNotIn("LOGIN", mechanisms)


if __name__ == "__main__":
    unittest.main(verbosity=2)
