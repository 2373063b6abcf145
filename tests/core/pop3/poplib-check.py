#!/usr/bin/env python3
# poplib-check.py: Python's poplib (and curl, when present) against MsPop3Server on a
# real socket.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import poplib
import shutil
import subprocess
import sys

server = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
port = int(server.stdout.readline())

FIRST = b'From: Bob <bob@example.com>\r\nTo: alice@example.com\r\nSubject: hello\r\n\r\nHi Alice!\r\n'
SECOND = (b'From: Carol <carol@example.com>\r\nTo: alice@example.com\r\nSubject: dots\r\n\r\n'
          b'.leading dot\r\n..two dots\r\n.\r\nend\r\n')


def lines(message):
    return message.split(b'\r\n')[:-1]


try:
    # APOP, the listings, RETR of a byte-stuffed message, TOP, then DELE + RSET.
    p = poplib.POP3('127.0.0.1', port)
    assert p.getwelcome().startswith(b'+OK pop.example.com POP3 server ready <'), p.getwelcome()
    caps = p.capa()
    for cap in ('TOP', 'USER', 'UIDL', 'RESP-CODES', 'PIPELINING', 'SASL'):
        assert cap in caps, caps
    assert caps['SASL'] == ['PLAIN'] and 'STLS' not in caps, caps
    p.apop('alice', 'secret')
    assert p.stat() == (2, len(FIRST) + len(SECOND)), p.stat()
    resp, listing, _ = p.list()
    assert listing == [b'1 %d' % len(FIRST), b'2 %d' % len(SECOND)], listing
    resp, uids, _ = p.uidl()
    assert [u.split()[0] for u in uids] == [b'1', b'2'], uids
    resp, got, octets = p.retr(2)
    assert got == lines(SECOND), got
    resp, top, _ = p.top(1, 0)
    assert top == lines(FIRST)[:4], top
    p.dele(1)
    try:
        p.retr(1)
        raise SystemExit('RETR of a deleted message was accepted')
    except poplib.error_proto as e:
        assert str(e) == "b'-ERR message 1 already deleted'", e
    p.rset()
    assert p.stat()[0] == 2
    p.quit()

    # A wrong password, then USER/PASS; DELE + QUIT removes the message.
    p = poplib.POP3('127.0.0.1', port)
    p.user('alice')
    try:
        p.pass_('wrong')
        raise SystemExit('a wrong password was accepted')
    except poplib.error_proto as e:
        assert b'[AUTH]' in e.args[0], e
    p.user('alice')
    p.pass_('secret')
    p.dele(1)
    assert p.quit() == b'+OK pop.example.com POP3 server signing off (1 message left)'
    print('poplib: all checks passed')

    if shutil.which('curl'):
        base = f'pop3://127.0.0.1:{port}'
        out = subprocess.run(['curl', '-sS', '-u', 'alice:secret', base + '/'],
                             capture_output=True, check=True).stdout
        assert out == b'1 %d\r\n' % len(SECOND), out
        out = subprocess.run(['curl', '-sS', '-u', 'alice:secret', base + '/1'],
                             capture_output=True, check=True).stdout
        assert out == SECOND, out
        # SASL PLAIN through the "+ " challenge
        out = subprocess.run(['curl', '-sS', '--login-options', 'AUTH=PLAIN', '-u',
                              'alice:secret', base + '/1'],
                             capture_output=True, check=True).stdout
        assert out == SECOND, out
        print('curl: all checks passed')
finally:
    server.stdin.close()
    server.wait(timeout=10)
