# livelab.py: start `mailsim serve` for an end-to-end test and talk to it
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Every port is 0 (free ports), users come from a temporary --users file, the
# certificate from a temporary --state-dir. The `listening PROTOCOL ADDR:PORT` lines
# that serve prints first tell us where everything is.

import os
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

HOST = "127.0.0.1"
DOMAIN = "mail.example.test"
PORT_NAMES = ("smtp", "submission", "pop3", "imap", "smtps", "pop3s", "imaps")

# One mailbox per test where a test counts messages, so tests never see each other's mail.
USERS = {
    "alice@example.test": "wonderland",
    "bob@example.test": "builder",
    "carol@example.test": "carol123",
    "dave@example.test": "dave-pw",
    "erin@example.test": "erin-pw",
    "frank@example.test": "frank-pw",
    "grace@example.test": "grace-pw",
    "heidi@example.test": "heidi-pw",
    "ivan@example.test": "ivan-pw",
    "judy@example.test": "judy-pw",
    "mallory@example.test": "mallory-pw",
    "oscar@example.test": "oscar-pw",
    "peggy@example.test": "peggy-pw",
    "trent@example.test": "trent-pw",
    "victor@example.test": "victor-pw",
    "walter@example.test": "walter-pw",
    "zoe@second.example": "zoe-pw",
}

LISTENING = re.compile(r"^listening (\S+) (\S+):(\d+)$")
TRACE_HEADERS = (b"return-path", b"delivered-to", b"received")


def mailsim_path():
    path = os.environ.get("MAILSIM")
    if not path:
        raise unittest.SkipTest("MAILSIM is not set (run through meson test)")
    return path


def source_root():
    return os.environ.get("MS_SOURCE_ROOT",
                          os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


class LiveLab:
    """One `mailsim serve` process."""

    def __init__(self, extra_args=(), users=None, trace=True):
        self.tmp = tempfile.mkdtemp(prefix="mailsim-e2e-")
        self.users = dict(USERS if users is None else users)
        self.users_file = os.path.join(self.tmp, "users")
        with open(self.users_file, "w", encoding="utf-8") as f:
            f.write("# e2e users\n")
            for address, password in self.users.items():
                f.write(f"{address} {password}\n")
        self.state_dir = os.path.join(self.tmp, "state")
        self.trace_path = os.path.join(self.tmp, "trace.json") if trace else None
        args = [mailsim_path(), "serve", "--listen", HOST, "--domain", DOMAIN,
                "--users", self.users_file, "--state-dir", self.state_dir]
        for name in PORT_NAMES:
            args += ["--" + name, "0"]
        if self.trace_path:
            args += ["--trace", self.trace_path]
        args += list(extra_args)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.ports = {}
        self.listening_lines = []
        self.first_other_line = None
        self.output = []
        self.stderr = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read().decode(errors="replace")
                raise RuntimeError(f"mailsim serve exited early: {err}")
            text = line.decode().rstrip("\n")
            m = LISTENING.match(text)
            if not m:
                self.first_other_line = text
                break
            self.listening_lines.append(text)
            self.ports[m.group(1)] = int(m.group(3))
        # keep draining stdout so the server never blocks on a full pipe
        self._drain = threading.Thread(target=self._read_rest, daemon=True)
        self._drain.start()
        self.cert = os.path.join(self.state_dir, "tls-cert.pem")

    def _read_rest(self):
        for line in self.proc.stdout:
            self.output.append(line.decode(errors="replace"))

    def transcript(self):
        return "".join(self.output)

    def ssl_context(self):
        """A context that verifies the server against its own generated certificate."""
        ctx = ssl.create_default_context(cafile=self.cert)
        return ctx

    def stop(self):
        """SIGTERM, as a user's Ctrl+C; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain.join(5)
        self.stderr = self.proc.stderr.read()
        self.proc.stderr.close()
        self.proc.stdout.close()
        return self.proc.returncode

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- helpers shared by the tests --

    def deliver(self, sender, recipients, message):
        """Sends MESSAGE (bytes, CRLF) over plain SMTP; returns smtplib's refused dict."""
        with smtplib.SMTP(HOST, self.ports["smtp"], timeout=10) as s:
            return s.sendmail(sender, recipients, message)


def strip_trace_headers(raw):
    """Splits the delivered message into the header lines the servers added on top
    (Return-Path, Delivered-To, Received, with their folded continuations) and the rest."""
    added = []
    pos = 0
    while pos < len(raw):
        end = raw.find(b"\r\n", pos)
        if end < 0:
            break
        line = raw[pos:end]
        if line[:1] in (b" ", b"\t") and added:
            added[-1] += b"\r\n" + line
        else:
            name = line.split(b":", 1)[0].strip().lower()
            if name not in TRACE_HEADERS:
                break
            added.append(line)
        pos = end + 2
    return added, raw[pos:]


def make_message(sender, recipient, subject, body_lines=None, extra_headers=()):
    """A CRLF message as a client would submit it."""
    lines = [f"From: <{sender}>", f"To: <{recipient}>", f"Subject: {subject}",
             f"Message-ID: <{abs(hash((sender, recipient, subject, time.time())))}@e2e.example.test>",
             "Date: Thu, 01 Jan 2026 09:00:00 +0900", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=us-ascii"]
    lines += list(extra_headers)
    lines.append("")
    lines += body_lines if body_lines is not None else ["Hello,", "", "this is " + subject + ".", "-- ", "e2e"]
    return ("\r\n".join(lines) + "\r\n").encode()


def mailsim_trace_checker():
    """shared/tools/check-trace-json beside the source root, or None."""
    path = os.path.join(source_root(), "..", "shared", "tools", "check-trace-json")
    return os.path.normpath(path) if os.path.exists(path) else None
