#!/usr/bin/env python3
# test_cli.py: `mailsim serve` as a command: its first lines, options, errors, --trace
#
# SPDX-License-Identifier: GPL-3.0-or-later

import imaplib
import json
import os
import poplib
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import livelab  # noqa: E402
from livelab import HOST, PORT_NAMES, make_message  # noqa: E402


def run_serve(*args, timeout=10):
    """Runs serve expecting it to stop by itself (bad input)."""
    return subprocess.run([livelab.mailsim_path(), "serve"] + list(args),
                          capture_output=True, timeout=timeout)


class FirstLines(unittest.TestCase):
    def test_one_listening_line_per_port_before_anything_else(self):
        lab = livelab.LiveLab(trace=False)
        try:
            self.assertEqual([l.split()[1] for l in lab.listening_lines], list(PORT_NAMES))
            ports = list(lab.ports.values())
            self.assertEqual(len(set(ports)), len(PORT_NAMES))
            for line in lab.listening_lines:
                self.assertRegex(line, r"^listening [a-z0-9]+ 127\.0\.0\.1:\d+$")
            self.assertIsNotNone(lab.first_other_line)
            self.assertFalse(lab.first_other_line.startswith("listening"))
            # each one really answers with its protocol's greeting
            for name, greeting in (("smtp", b"220 "), ("submission", b"220 "),
                                   ("pop3", b"+OK"), ("imap", b"* OK")):
                with socket.create_connection((HOST, lab.ports[name]), timeout=5) as s:
                    self.assertTrue(s.recv(512).startswith(greeting), name)
        finally:
            self.assertEqual(lab.stop(), 0)
            lab.cleanup()

    def test_off_and_negative_ports_are_disabled(self):
        lab = livelab.LiveLab(extra_args=["--smtp", "off", "--pop3s", "-1", "--imaps=-1"],
                              trace=False)
        try:
            self.assertEqual(sorted(lab.ports), sorted(["submission", "pop3", "imap", "smtps"]))
        finally:
            self.assertEqual(lab.stop(), 0)
            lab.cleanup()

    def test_the_demo_users_are_printed_and_work(self):
        with tempfile.TemporaryDirectory() as tmp:
            args = [livelab.mailsim_path(), "serve", "--state-dir", tmp]
            for name in PORT_NAMES:
                args += ["--" + name, "0" if name == "imap" else "off"]
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                first = proc.stdout.readline().decode()
                self.assertRegex(first, r"^listening imap 127\.0\.0\.1:\d+\n$")
                port = int(first.rsplit(":", 1)[1])
                hint = b""
                while b"carol@example.test" not in hint:
                    line = proc.stdout.readline()
                    self.assertTrue(line, hint)
                    hint += line
                for user, password in (("alice@example.test", "wonderland"),
                                       ("bob@example.test", "builder"),
                                       ("carol@example.test", "carol123")):
                    self.assertIn(password.encode(), hint)
                    m = imaplib.IMAP4(HOST, port)
                    self.assertEqual(m.login(user, password)[0], "OK")
                    m.logout()
                self.assertIn(b"SHA-256", hint)
            finally:
                proc.send_signal(signal.SIGINT)
                self.assertEqual(proc.wait(15), 0)
                proc.stdout.close()
                proc.stderr.close()


class BadInput(unittest.TestCase):
    def test_a_bad_users_line_is_named_by_file_and_line(self):
        with tempfile.NamedTemporaryFile("w", suffix=".users", delete=False) as f:
            f.write("# comment\nalice@example.test wonderland\nbob@example.test\n")
        try:
            r = run_serve("--users", f.name, "--smtp", "0")
            self.assertEqual(r.returncode, 2)
            self.assertIn(f"{f.name}:3:".encode(), r.stderr)
        finally:
            os.unlink(f.name)

    def test_a_pcapng_trace_is_not_supported_yet(self):
        r = run_serve("--trace", "out.pcapng", "--smtp", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"not supported yet", r.stderr)

    def test_a_bad_port_is_refused(self):
        r = run_serve("--smtp", "70000")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--smtp", r.stderr)

    def test_a_port_in_use_is_reported(self):
        with socket.socket() as s:
            s.bind((HOST, 0))
            s.listen()
            port = s.getsockname()[1]
            with tempfile.TemporaryDirectory() as tmp:
                r = run_serve("--state-dir", tmp, "--smtp", str(port), "--submission", "0",
                              "--pop3", "0", "--imap", "0", "--smtps", "0", "--pop3s", "0",
                              "--imaps", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"smtp", r.stderr)
        self.assertNotIn(b"listening", r.stdout)


class TraceFile(unittest.TestCase):
    def test_the_trace_is_one_valid_json_object_per_session_line(self):
        lab = livelab.LiveLab()
        try:
            with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
                s.starttls(context=lab.ssl_context())
                s.login("alice@example.test", "wonderland")
                s.sendmail("alice@example.test", ["bob@example.test"],
                           make_message("alice@example.test", "bob@example.test", "traced"))
            p = poplib.POP3_SSL(HOST, lab.ports["pop3s"], context=lab.ssl_context(), timeout=10)
            p.user("bob@example.test")
            p.pass_("builder")
            p.retr(1)
            p.quit()
            m = imaplib.IMAP4(HOST, lab.ports["imap"])
            m.login("bob@example.test", "builder")
            m.select("INBOX")
            m.uid("FETCH", "1:*", "(FLAGS)")
            # left open: shutdown must close and still write this session
            time.sleep(0.2)
        finally:
            status = lab.stop()
        try:
            self.assertEqual(status, 0, lab.stderr)
            with open(lab.trace_path, encoding="utf-8") as f:
                records = [json.loads(line) for line in f if line.strip()]
            sessions = [r for r in records if "lines" in r]
            self.assertEqual([s["protocol"] for s in sessions], ["smtp", "pop3", "imap"])
            self.assertEqual([s["tls"] for s in sessions], ["starttls", "implicit", "none"])
            for s in sessions:
                self.assertIn("closed", s)
                self.assertRegex(s["client"], r"^127\.0\.0\.1:\d+$")
            smtp_lines = sessions[0]["lines"]
            self.assertEqual(smtp_lines[0]["code"], 220)
            commands = [l.get("command") for l in smtp_lines if l["dir"] == "C"]
            for verb in ("EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"):
                self.assertIn(verb, commands)
            # the password never appears in the trace in the clear
            auth = [l for l in smtp_lines if l.get("command") == "AUTH" or l.get("kind") == "auth"]
            self.assertTrue(all(l.get("secret") for l in auth if l.get("kind") == "auth"))
            imap_lines = sessions[2]["lines"]
            self.assertTrue(any(l["text"].startswith("* BYE") for l in imap_lines), imap_lines[-3:])
            self.assertIn("UID FETCH", [l.get("command") for l in imap_lines])

            checker = livelab.mailsim_trace_checker()
            if checker is None:
                self.skipTest("../shared/tools/check-trace-json not found beside the source root")
            r = subprocess.run([sys.executable, checker, lab.trace_path], capture_output=True)
            self.assertEqual(r.returncode, 0, r.stdout.decode())
        finally:
            lab.cleanup()


class Maildir(unittest.TestCase):
    def test_mail_and_folders_survive_a_restart(self):
        with tempfile.TemporaryDirectory() as maildir:
            msg = make_message("alice@example.test", "bob@example.test", "kept on disk")
            lab = livelab.LiveLab(extra_args=["--maildir", maildir], trace=False)
            try:
                lab.deliver("alice@example.test", ["bob@example.test"], msg)
                m = imaplib.IMAP4(HOST, lab.ports["imap"])
                m.login("bob@example.test", "builder")
                self.assertEqual(m.create("Kept")[0], "OK")
                m.select("INBOX")
                m.store("1", "+FLAGS", "(\\Flagged)")
                uidvalidity = m.untagged_responses.get("UIDVALIDITY")
                m.logout()
            finally:
                self.assertEqual(lab.stop(), 0)
                lab.cleanup()
            self.assertTrue(os.path.isdir(os.path.join(maildir, "bob@example.test", "Maildir", "cur"))
                            or os.path.isdir(os.path.join(maildir, "bob@example.test", "Maildir", "new")))

            lab = livelab.LiveLab(extra_args=["--maildir", maildir], trace=False)
            try:
                m = imaplib.IMAP4(HOST, lab.ports["imap"])
                m.login("bob@example.test", "builder")
                names = b" ".join(m.list('""', "*")[1])
                self.assertIn(b"Kept", names)
                typ, data = m.select("INBOX")
                self.assertEqual(int(data[0]), 1)
                self.assertEqual(m.untagged_responses.get("UIDVALIDITY"), uidvalidity)
                fetched = m.fetch("1", "(FLAGS BODY.PEEK[])")[1]
                self.assertIn(b"\\Flagged", fetched[0][0])
                self.assertEqual(livelab.strip_trace_headers(fetched[0][1])[1], msg)
                m.logout()
            finally:
                self.assertEqual(lab.stop(), 0)
                lab.cleanup()

    def test_an_unusable_maildir_is_refused(self):
        with tempfile.NamedTemporaryFile() as f:
            r = run_serve("--maildir", f.name, "--smtp", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--maildir", r.stderr)


class Ipv6(unittest.TestCase):
    def test_an_ipv6_listen_address_is_bracketed(self):
        try:
            with socket.socket(socket.AF_INET6) as s:
                s.bind(("::1", 0))
        except OSError as e:
            self.skipTest(f"no IPv6 loopback here: {e}")
        lab = livelab.LiveLab(extra_args=["--listen", "::1"], trace=True)
        try:
            for line in lab.listening_lines:
                self.assertRegex(line, r"^listening [a-z0-9]+ \[::1\]:\d+$")
            with smtplib.SMTP("::1", lab.ports["smtp"], timeout=10) as s:
                self.assertEqual(s.ehlo("v6.example.test")[0], 250)
        finally:
            self.assertEqual(lab.stop(), 0)
        try:
            with open(lab.trace_path, encoding="utf-8") as f:
                session = json.loads(f.readline())
            self.assertRegex(session["client"], r"^\[::1\]:\d+$")
            self.assertRegex(session["server"], r"^\[::1\]:\d+$")
        finally:
            lab.cleanup()


class Transcript(unittest.TestCase):
    def test_a_long_tls_session_is_printed_whole_and_marked_as_tls(self):
        lab = livelab.LiveLab(extra_args=["--lang", "en"], trace=False)
        try:
            with smtplib.SMTP(HOST, lab.ports["smtp"], timeout=10) as s:
                s.starttls(context=lab.ssl_context())
                s.ehlo("client.example.test")
                for _ in range(400):   # 800 lines: past the formatter's window
                    s.docmd("NOOP")
        finally:
            self.assertEqual(lab.stop(), 0)
        try:
            lines = lab.transcript().splitlines()
            noops = [l for l in lines if "NOOP" in l and l.startswith("[1]")]
            self.assertEqual(len(noops), 400)
            self.assertTrue(all(l.startswith("[1]  ~> NOOP") for l in noops), noops[-1])
            self.assertTrue(any(l.startswith("[1]  -> STARTTLS") for l in lines))
            # the last reply is still paired with its command and explained
            last_ok = [l for l in lines if l.startswith("[1] <~  250 ")][-1]
            self.assertIn("#", last_ok)
        finally:
            lab.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
