#!/usr/bin/env python3
# imaplib-check.py: Python's imaplib against MsImapServer on a real socket.
#
# SPDX-License-Identifier: GPL-3.0-or-later
import imaplib
import shutil
import subprocess
import sys

server = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
port = int(server.stdout.readline())


def ok(result, what):
    typ, data = result
    if typ != 'OK':
        raise SystemExit(f'{what}: {typ} {data}')
    return data


try:
    m = imaplib.IMAP4('127.0.0.1', port)
    assert 'IDLE' in m.capabilities and 'AUTH=PLAIN' in m.capabilities, m.capabilities
    ok(m.login('alice', 'secret'), 'LOGIN')
    data = ok(m.select('INBOX'), 'SELECT')
    assert data == [b'1'], data
    ok(m.create('Archive'), 'CREATE')
    data = ok(m.list(), 'LIST')
    assert b'(\\HasNoChildren) "/" Archive' in data, data
    msg = b'From: me@example.com\r\nSubject: appended\r\n\r\nBody text\r\n'
    data = ok(m.append('INBOX', '(\\Flagged)', imaplib.Time2Internaldate(1709634030), msg),
              'APPEND')
    assert data[0].startswith(b'[APPENDUID '), data
    ok(m.noop(), 'NOOP')
    data = ok(m.search(None, 'FLAGGED'), 'SEARCH')
    assert data == [b'2'], data
    data = ok(m.fetch('2', '(RFC822)'), 'FETCH')
    assert data[0][1] == msg, data
    data = ok(m.fetch('1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)] FLAGS)'), 'FETCH')
    assert data[0][1] == b'Subject: hello\r\n\r\n', data
    data = ok(m.fetch('1:*', '(UID ENVELOPE BODYSTRUCTURE INTERNALDATE RFC822.SIZE)'), 'FETCH')
    assert b'BODYSTRUCTURE ("text" "plain"' in data[0], data
    data = ok(m.uid('SEARCH', None, 'SUBJECT', 'appended'), 'UID SEARCH')
    assert data == [b'2'], data
    data = ok(m.store('1', '+FLAGS', '(\\Deleted)'), 'STORE')
    assert b'\\Deleted' in data[0], data
    ok(m.copy('2', 'Archive'), 'COPY')
    data = ok(m.status('Archive', '(MESSAGES UIDNEXT)'), 'STATUS')
    assert data == [b'Archive (MESSAGES 1 UIDNEXT 2)'], data
    data = ok(m.expunge(), 'EXPUNGE')
    assert data == [b'1'], data
    ok(m.uid('MOVE', '2', 'Archive'), 'UID MOVE')
    ok(m.close(), 'CLOSE')
    ok(m.rename('Archive', 'Old'), 'RENAME')
    ok(m.delete('Old'), 'DELETE')
    try:
        m.login('alice', 'again')
        raise SystemExit('LOGIN in the authenticated state was accepted')
    except imaplib.IMAP4.error:
        pass
    m.logout()

    # AUTHENTICATE PLAIN through the continuation
    m = imaplib.IMAP4('127.0.0.1', port)
    ok(m.authenticate('PLAIN', lambda _: b'\0alice\0secret'), 'AUTHENTICATE')
    data = ok(m.select('INBOX', readonly=True), 'EXAMINE')
    assert data == [b'0'], data
    m.logout()
    print('imaplib: all checks passed')

    # curl's IMAP client: list folders, then fetch a message by UID
    if shutil.which('curl'):
        base = f'imap://127.0.0.1:{port}'
        out = subprocess.run(['curl', '-sS', '-u', 'alice:secret', base + '/'],
                             capture_output=True, check=True).stdout
        assert b'* LIST (\\HasNoChildren) "/" INBOX' in out, out
        m = imaplib.IMAP4('127.0.0.1', port)
        ok(m.login('alice', 'secret'), 'LOGIN')
        ok(m.append('INBOX', None, None, b'Subject: via curl\r\n\r\nfetched by curl\r\n'), 'APPEND')
        m.logout()
        out = subprocess.run(['curl', '-sS', '-u', 'alice:secret', base + '/INBOX/;UID=3'],
                             capture_output=True, check=True).stdout
        assert out == b'Subject: via curl\r\n\r\nfetched by curl\r\n', out
        print('curl: all checks passed')
finally:
    server.stdin.close()
    server.wait(timeout=10)
