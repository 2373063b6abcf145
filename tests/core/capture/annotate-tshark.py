#!/usr/bin/env python3
"""`mailsim annotate` end to end, checked with tshark, and `mailsim capture --write`.

Usage: annotate-tshark.py MAILSIM CORPUS_DIR

1. Three notes on a copy of a corpus capture (two lines, one frame), exported; tshark
   lists exactly those three comments on the right frames (`-Y frame.comment`).
2. The export reopened: `annotate --list` shows the notes read from its packet comments,
   `analyze` shows them under their lines and as "note" in JSON.
3. `capture --interface lo --write` while an SMTP exchange runs on lo: the file holds the
   frames (tshark reads them, analyze finds the session). Skipped with a reason when
   capturing on lo is not permitted.
Exit 77 (skip) when tshark or the corpus is missing.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

CAPTURE = "suricata-verify/smtp-pipelining.pcap"


def run(*args, check=True):
    p = subprocess.run(args, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"FAIL: {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def tshark_comments(path):
    out = run("tshark", "-r", path, "-Y", "frame.comment", "-T", "fields",
              "-e", "frame.number", "-e", "frame.comment").stdout
    return [line for line in out.splitlines() if line]


def annotate_and_export(mailsim, corpus, tmp):
    src = os.path.join(corpus, CAPTURE)
    cap = os.path.join(tmp, "lesson.pcap")
    shutil.copy(src, cap)
    run(mailsim, "annotate", cap, "--session", "1", "--line", "2", "--note",
        "EHLO: the client asks for the extensions")
    run(mailsim, "annotate", cap, "--frame", "1", "--note", "the SYN opens the connection")
    run(mailsim, "annotate", cap, "--session", "1", "--line", "14", "--note",
        "one RCPT TO per recipient")
    # errors: no such line / frame, and no action
    for bad in (["--session", "1", "--line", "999", "--note", "x"],
                ["--session", "9", "--line", "1", "--note", "x"],
                ["--frame", "99", "--note", "x"], []):
        p = run(mailsim, "annotate", cap, *bad, check=False)
        if p.returncode != 2:
            sys.exit(f"FAIL: annotate {bad} exited {p.returncode}, not 2")
    # a note set then removed leaves nothing
    run(mailsim, "annotate", cap, "--frame", "3", "--note", "temporary")
    run(mailsim, "annotate", cap, "--frame", "3", "--note", "")

    sidecar = json.load(open(cap + ".mailsim-notes.json"))
    if len(sidecar["notes"]) != 3 or sidecar["capture"]["name"] != "lesson.pcap":
        sys.exit(f"FAIL: sidecar {sidecar}")

    out = os.path.join(tmp, "lesson-notes.pcapng")
    run(mailsim, "annotate", cap, "--export", out)
    got = tshark_comments(out)
    want = ["1\tthe SYN opens the connection",
            "7\t[session 1, line 2] EHLO: the client asks for the extensions",
            "11\t[session 1, line 14] one RCPT TO per recipient"]
    if got != want:
        sys.exit("FAIL: tshark comments\n got: %r\nwant: %r" % (got, want))
    print("tshark -r OUT -Y frame.comment:")
    for line in got:
        print("   ", line)
    # every frame is there
    n_in = len(run("tshark", "-r", cap).stdout.splitlines())
    n_out = len(run("tshark", "-r", out).stdout.splitlines())
    if n_in != n_out:
        sys.exit(f"FAIL: {n_in} frames in, {n_out} out")

    # reopened: the comments are the notes
    listing = run(mailsim, "annotate", out, "--list").stdout
    for text in ("the SYN opens the connection", "EHLO: the client asks",
                 "one RCPT TO per recipient", "session 1, line 14"):
        if text not in listing:
            sys.exit(f"FAIL: {text!r} not in --list of the export:\n{listing}")
    text = run(mailsim, "analyze", out, "--no-explain").stdout
    lines = text.splitlines()
    i = lines.index(" -> EHLO ehlo.fr")
    if "\u270e EHLO: the client asks for the extensions" not in lines[i + 1]:
        sys.exit(f"FAIL: the note is not under its line:\n{text}")
    doc = json.loads(run(mailsim, "analyze", cap, "--format", "json").stdout)
    s = doc["sessions"][0]["lines"]
    if s[1].get("note") != "EHLO: the client asks for the extensions" or s[1].get("frame") != 7:
        sys.exit(f"FAIL: JSON line {s[1]}")
    if s[13].get("note") != "one RCPT TO per recipient":
        sys.exit(f"FAIL: JSON line {s[13]}")


def smtp_on_lo(port):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        f = c.makefile("rwb")
        f.write(b"220 lo.test ESMTP\r\n")
        f.flush()
        for line in f:
            if line.strip().upper().startswith(b"QUIT"):
                f.write(b"221 bye\r\n")
                f.flush()
                break
            f.write(b"250 ok\r\n")
            f.flush()
        c.close()
        srv.close()

    t = threading.Thread(target=serve)
    t.start()
    import smtplib
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    s.helo("client.test")
    s.noop()
    s.quit()
    t.join()


def capture_write(mailsim, tmp):
    port = 20000 + os.getpid() % 20000
    out = os.path.join(tmp, "live.pcapng")
    p = subprocess.Popen([mailsim, "capture", "--interface", "lo", "--filter",
                          f"tcp port {port}", "--write", out],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    if p.poll() is not None:
        err = p.stderr.read()
        print(f"SKIP capture --write: cannot capture on lo here: {err.strip()}")
        return
    smtp_on_lo(port)
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    stdout, stderr = p.communicate(timeout=20)
    if p.returncode != 0:
        sys.exit(f"FAIL: capture exited {p.returncode}: {stderr}")
    if "HELO client.test".lower() not in stdout.lower() or "Saved" not in stdout:
        sys.exit(f"FAIL: capture output:\n{stdout}")
    frames = run("tshark", "-r", out).stdout.splitlines()
    if len(frames) < 8:
        sys.exit(f"FAIL: only {len(frames)} frames written")
    doc = json.loads(run(mailsim, "analyze", out, "--format", "json").stdout)
    cmds = [l.get("command") for l in doc["sessions"][0]["lines"] if l.get("command")]
    if cmds != ["HELO", "NOOP", "QUIT"]:
        sys.exit(f"FAIL: commands in the written capture: {cmds}")
    print(f"capture --write on lo: {len(frames)} frames, commands {cmds}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    mailsim, corpus = sys.argv[1], sys.argv[2]
    if shutil.which("tshark") is None:
        print("SKIP: no tshark")
        return 77
    # a git worktree (wt/NAME) has the shared corpus one level further up
    root = os.environ.get("MS_SOURCE_ROOT", ".")
    for candidate in (corpus, os.path.join(root, "..", "..", "shared", "corpus", "pcap")):
        if os.path.exists(os.path.join(candidate, CAPTURE)):
            corpus = candidate
            break
    else:
        print("SKIP: no corpus")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        annotate_and_export(mailsim, corpus, tmp)
        capture_write(mailsim, tmp)
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
