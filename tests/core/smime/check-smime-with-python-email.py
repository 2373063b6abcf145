#!/usr/bin/env python3
"""Python's email package reads the MIME structure of our S/MIME messages (RFC 8551)."""
import email
import email.policy
import subprocess
import sys
import tempfile
from pathlib import Path

generate = sys.argv[1]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([generate, tmp], check=True)
    read = lambda name: email.message_from_bytes(Path(tmp, name).read_bytes(),
                                                 policy=email.policy.default)

    signed = read("signed.eml")
    check(not signed.defects, f"signed: defects {signed.defects}")
    check(signed["Subject"] == "Quarterly figures", "signed: Subject kept in clear")
    check(signed.get_content_type() == "multipart/signed", "signed: multipart/signed")
    check(signed.get_param("protocol") == "application/pkcs7-signature", "signed: protocol")
    check(signed.get_param("micalg") == "sha-256", "signed: micalg=sha-256")
    parts = signed.get_payload()
    check(len(parts) == 2, f"signed: two parts, got {len(parts)}")
    check(parts[0].get_content_type() == "text/plain", "signed: first part text/plain")
    check(parts[0]["Content-Transfer-Encoding"] == "base64", "signed: 8-bit body made base64")
    check("売上は 42 億円です" in parts[0].get_content(), "signed: first part readable")
    check(parts[1].get_content_type() == "application/pkcs7-signature", "signed: signature part")
    check(parts[1].get_filename() == "smime.p7s", "signed: smime.p7s")
    check(parts[1].get_content()[:1] == b"\x30", "signed: DER SEQUENCE in the signature")

    for name in ("encrypted.eml", "signed-encrypted.eml"):
        enc = read(name)
        check(not enc.defects, f"{name}: defects {enc.defects}")
        check(enc["Subject"] == "Quarterly figures", f"{name}: header fields stay in clear")
        check(enc["To"] == "bob@example.net", f"{name}: To in clear")
        check(enc.get_content_type() == "application/pkcs7-mime", f"{name}: pkcs7-mime")
        check(enc.get_param("smime-type") == "enveloped-data", f"{name}: enveloped-data")
        check(enc.get_filename() == "smime.p7m", f"{name}: smime.p7m")
        body = enc.get_content()
        check(body[:1] == b"\x30", f"{name}: DER")
        check("売上".encode() not in body and b"42" not in body[:0], f"{name}: body not in clear")

for f in failures:
    print("FAIL:", f)
print(f"{'ok' if not failures else 'failed'}: S/MIME structures read by Python email")
sys.exit(1 if failures else 0)
