#!/usr/bin/env python3
# test_curl.py: curl's smtp://, pop3://, imap:// (and their TLS forms) against `mailsim serve`
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelab  # noqa: E402
from livelab import HOST, make_message, strip_trace_headers  # noqa: E402

lab = None
CURL = shutil.which("curl")


def setUpModule():
    global lab
    if CURL is None:
        raise unittest.SkipTest("curl is not installed")
    lab = livelab.LiveLab()


def tearDownModule():
    if lab is None:
        return
    status = lab.stop()
    lab.cleanup()
    if status != 0:
        raise AssertionError(f"mailsim serve exited with {status}: {lab.stderr!r}")


def curl(*args, data=None):
    """Runs curl; returns stdout (bytes). --cacert so TLS is verified for real."""
    cmd = [CURL, "-sS", "--max-time", "15", "--cacert", lab.cert] + list(args)
    r = subprocess.run(cmd, input=data, capture_output=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.decode()}")
    return r.stdout


def send(url, sender, rcpt, msg, *extra):
    curl(url, "--mail-from", sender, "--mail-rcpt", rcpt, "-T", "-", *extra, data=msg)


class Curl(unittest.TestCase):
    def test_smtp_then_pop3_retrieval(self):
        msg = make_message("alice@example.test", "bob@example.test", "curl smtp")
        send(f"smtp://{HOST}:{lab.ports['smtp']}", "alice@example.test", "bob@example.test", msg)
        listing = curl("-u", "bob@example.test:builder", f"pop3://{HOST}:{lab.ports['pop3']}/")
        self.assertRegex(listing, rb"^1 \d+\r\n")
        raw = curl("-u", "bob@example.test:builder", f"pop3://{HOST}:{lab.ports['pop3']}/1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)

    def test_submission_with_starttls_and_auth(self):
        msg = make_message("alice@example.test", "carol@example.test", "curl submission")
        send(f"smtp://{HOST}:{lab.ports['submission']}", "alice@example.test",
             "carol@example.test", msg, "--ssl-reqd", "-u", "alice@example.test:wonderland")
        raw = curl("--ssl-reqd", "-u", "carol@example.test:carol123",
                   f"pop3://{HOST}:{lab.ports['pop3']}/1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)

    def test_smtps_and_pop3s(self):
        msg = make_message("alice@example.test", "dave@example.test", "curl smtps")
        send(f"smtps://{HOST}:{lab.ports['smtps']}", "alice@example.test", "dave@example.test",
             msg, "-u", "alice@example.test:wonderland")
        raw = curl("-u", "dave@example.test:dave-pw", f"pop3s://{HOST}:{lab.ports['pop3s']}/1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)

    def test_smtps_with_k_and_no_ca(self):
        # what the hint and docs show: -k skips verification of the self-signed certificate
        msg = make_message("alice@example.test", "erin@example.test", "curl -k")
        r = subprocess.run([CURL, "-sS", "-k", "--max-time", "15",
                            f"smtps://{HOST}:{lab.ports['smtps']}", "-u", "alice@example.test:wonderland",
                            "--mail-from", "alice@example.test", "--mail-rcpt", "erin@example.test",
                            "-T", "-"], input=msg, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_imap_list_fetch_and_tls_forms(self):
        msg = make_message("alice@example.test", "frank@example.test", "curl imap")
        send(f"smtp://{HOST}:{lab.ports['smtp']}", "alice@example.test", "frank@example.test", msg)
        user = ["-u", "frank@example.test:frank-pw"]
        listing = curl(*user, f"imap://{HOST}:{lab.ports['imap']}/")
        self.assertIn(b"INBOX", listing)
        raw = curl(*user, f"imap://{HOST}:{lab.ports['imap']}/INBOX;UID=1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)
        raw = curl(*user, "--ssl-reqd", f"imap://{HOST}:{lab.ports['imap']}/INBOX;UID=1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)
        raw = curl(*user, f"imaps://{HOST}:{lab.ports['imaps']}/INBOX;UID=1")
        self.assertEqual(strip_trace_headers(raw)[1], msg)
        # a custom command: SEARCH
        found = curl(*user, f"imap://{HOST}:{lab.ports['imap']}/INBOX", "-X", "SEARCH SUBJECT curl")
        self.assertIn(b"* SEARCH 1", found)

    def test_smtp_relay_denied_makes_curl_fail(self):
        msg = make_message("someone@elsewhere.example", "victim@elsewhere.example", "relay")
        r = subprocess.run([CURL, "-sS", "--max-time", "15", f"smtp://{HOST}:{lab.ports['smtp']}",
                            "--mail-from", "someone@elsewhere.example",
                            "--mail-rcpt", "victim@elsewhere.example", "-T", "-"],
                           input=msg, capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"554", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
