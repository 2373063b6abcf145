#!/usr/bin/env python3
# dkimpy-check.py: our DKIM signer and verifier against dkimpy, a real implementation.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Keys are generated here with openssl. dkimpy verifies what dkim-tool signs (both
# canonicalizations, RSA and, when dkimpy can, Ed25519); dkim-tool verifies what dkimpy
# signs; a changed body or Subject must fail on both sides.
import base64
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import dkim
except ImportError:
    # python3 may be another interpreter than Debian's, where python3-dkim lives
    if os.path.exists('/usr/bin/python3') and os.path.realpath(sys.executable) != '/usr/bin/python3' \
            and not os.environ.get('MS_DKIM_REEXEC'):
        os.environ['MS_DKIM_REEXEC'] = '1'
        os.execv('/usr/bin/python3', ['/usr/bin/python3'] + sys.argv)
    print('SKIP: the Python dkim module (Debian package python3-dkim) is not installed')
    sys.exit(77)

if shutil.which('openssl') is None:
    print('SKIP: openssl is not installed')
    sys.exit(77)

TOOL = sys.argv[1]
DOMAIN = b'example.org'
MSG = (b'From: Alice <alice@example.org>\r\n'
       b'To: bob@example.net\r\n'
       b'Subject:  Lunch   on Friday \r\n'
       b'Date: Sat, 28 Nov 2026 09:00:00 +0000\r\n'
       b'Message-ID: <lunch.1@example.org>\r\n'
       b'MIME-Version: 1.0\r\n'
       b'Content-Type: text/plain; charset=us-ascii\r\n'
       b'\r\n'
       b'Hello Bob,  \r\n'
       b'\tshall we meet at noon?\r\n'
       b'\r\n'
       b'\r\n')

tmp = tempfile.mkdtemp()
checks = 0


def openssl(*args):
    subprocess.run(['openssl'] + list(args), check=True, capture_output=True)


def make_key(kind):
    pem = os.path.join(tmp, kind + '.pem')
    if kind == 'rsa':
        openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', pem)
    else:
        openssl('genpkey', '-algorithm', 'ED25519', '-out', pem)
    der = subprocess.run(['openssl', 'pkey', '-in', pem, '-pubout', '-outform', 'DER'],
                         check=True, capture_output=True).stdout
    if kind == 'rsa':
        p = base64.b64encode(der).decode()
        record = f'v=DKIM1; k=rsa; p={p}'
    else:
        p = base64.b64encode(der[-32:]).decode()  # the raw key ends the SPKI
        record = f'v=DKIM1; k=ed25519; p={p}'
    return pem, record


def ours_sign(pem, selector, canon, msg):
    r = subprocess.run([TOOL, 'sign', pem, DOMAIN.decode(), selector, canon], input=msg,
                       capture_output=True, check=True)
    return r.stdout


def ours_verify(selector, record, msg):
    r = subprocess.run([TOOL, 'verify', f'{selector}._domainkey.{DOMAIN.decode()}', record],
                       input=msg, capture_output=True)
    return r.returncode == 0, r.stdout.decode().strip()


def dnsfunc_for(selector, record):
    def dnsfunc(name, timeout=5):
        if name == f'{selector}._domainkey.{DOMAIN.decode()}.'.encode() or \
           name == f'{selector}._domainkey.{DOMAIN.decode()}'.encode():
            return record.encode()
        return None
    return dnsfunc


def expect(cond, what):
    global checks
    checks += 1
    if not cond:
        raise SystemExit('FAIL: ' + what)
    print('ok', checks, '-', what)


def tamper_body(msg):
    return msg.replace(b'at noon', b'at one')


def tamper_subject(msg):
    return msg.replace(b'Lunch   on Friday', b'[list] Lunch on Friday')


kinds = ['rsa']
ed_ok = True
try:
    import nacl  # noqa: F401  dkimpy needs PyNaCl for ed25519
except ImportError:
    ed_ok = False
    print('note: PyNaCl is missing, dkimpy cannot do ed25519; checking rsa-sha256 only')
kinds += ['ed25519'] if ed_ok else []

try:
    for kind in kinds:
        pem, record = make_key(kind)
        selector = 'sel-' + kind
        dns = dnsfunc_for(selector, record)
        for canon in ['simple/simple', 'relaxed/relaxed', 'relaxed/simple', 'simple/relaxed']:
            signed = ours_sign(pem, selector, canon, MSG)
            expect(dkim.verify(signed, dnsfunc=dns), f'dkimpy verifies our {kind} {canon} signature')
            expect(ours_verify(selector, record, signed)[0], f'we verify our {kind} {canon} signature')
            expect(not dkim.verify(tamper_body(signed), dnsfunc=dns),
                   f'dkimpy rejects our {kind} {canon} signature on a changed body')
            expect(not dkim.verify(tamper_subject(signed), dnsfunc=dns),
                   f'dkimpy rejects our {kind} {canon} signature on a changed Subject')

            if kind == 'rsa':
                with open(pem, 'rb') as f:
                    key = f.read()
            else:  # dkimpy takes the base64 32-octet seed, which ends the PKCS#8 DER
                der = subprocess.run(['openssl', 'pkey', '-in', pem, '-outform', 'DER'],
                                     check=True, capture_output=True).stdout
                key = base64.b64encode(der[-32:])
            hc, bc = canon.split('/')
            sig = dkim.sign(MSG, selector.encode(), DOMAIN, key,
                            canonicalize=(hc.encode(), bc.encode()),
                            include_headers=[b'from', b'to', b'subject', b'date', b'message-id'],
                            signature_algorithm=(b'rsa-sha256' if kind == 'rsa' else b'ed25519-sha256'))
            theirs = sig + MSG
            ok, why = ours_verify(selector, record, theirs)
            expect(ok, f'we verify dkimpy\'s {kind} {canon} signature ({why})')
            ok, why = ours_verify(selector, record, tamper_body(theirs))
            expect(not ok and 'body hash' in why, f'changed body of dkimpy\'s {kind} {canon} message: {why}')
            ok, why = ours_verify(selector, record, tamper_subject(theirs))
            expect(not ok and 'signature did not verify' in why,
                   f'changed Subject of dkimpy\'s {kind} {canon} message: {why}')
            # LF line endings, as a file on disk would have them
            ok, why = ours_verify(selector, record, theirs.replace(b'\r\n', b'\n'))
            expect(ok, f'we verify dkimpy\'s {kind} {canon} signature with LF line ends ({why})')
finally:
    shutil.rmtree(tmp)
print(f'{checks} checks passed')
