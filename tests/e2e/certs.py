#!/usr/bin/python3
"""certs.py - the end-to-end world's test CA and server certificates.

CONTRACT: make_ca(dir) writes dir/ca.pem and dir/ca.key (EC P-256, 10 years)
once and returns their paths; make_cert(dir, name, kind, ips=(), ca=None)
writes dir/NAME-KIND.pem and dir/NAME-KIND.key and returns (cert, key):
  valid       signed by the test CA, subjectAltName DNS:name and the IPs
  selfsigned  signed by itself (verify fails against the test CA)
  expired     signed by the test CA, valid from -30 to -1 days
  wrongname   signed by the test CA for "wrong.NAME" only
Uses Debian's python3-cryptography; no network, no randomness other than key
generation. CLI: certs.py DIR NAME KIND [IP...] prints the two paths.
"""
import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

KINDS = ("valid", "selfsigned", "expired", "wrongname")


def _write_key(path, key):
    with open(path, "wb") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))


def _write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "relaymilter e2e"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_ca(directory):
    cert_path = os.path.join(directory, "ca.pem")
    key_path = os.path.join(directory, "ca.key")
    if os.path.exists(cert_path) and os.path.exists(key_path):
        return cert_path, key_path
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = _name("relaymilter e2e test CA")
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(key_path, key)
    _write_cert(cert_path, cert)
    return cert_path, key_path


def _load_ca(directory):
    cert_path, key_path = make_ca(directory)
    with open(cert_path, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return cert, key


def make_cert(directory, name, kind="valid", ips=()):
    if kind not in KINDS:
        raise ValueError("unknown certificate kind %r (one of %s)" % (kind, ", ".join(KINDS)))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cn = "wrong." + name if kind == "wrongname" else name
    sans = [x509.DNSName(cn)]
    if kind != "wrongname":
        sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if kind == "selfsigned":
        issuer_name, signer = _name(cn), key
    else:
        ca_cert, ca_key = _load_ca(directory)
        issuer_name, signer = ca_cert.subject, ca_key
    if kind == "expired":
        start, end = now - datetime.timedelta(days=30), now - datetime.timedelta(days=1)
    else:
        start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=825)
    b = (x509.CertificateBuilder()
         .subject_name(_name(cn)).issuer_name(issuer_name)
         .public_key(key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.SubjectAlternativeName(sans), critical=False)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                        critical=False))
    cert = b.sign(signer, hashes.SHA256())
    base = os.path.join(directory, "%s-%s" % (name, kind))
    _write_key(base + ".key", key)
    _write_cert(base + ".pem", cert)
    return base + ".pem", base + ".key"


def main(argv):
    if len(argv) < 4:
        sys.stderr.write("usage: certs.py DIR NAME KIND [IP...]\n")
        return 2
    cert, key = make_cert(argv[1], argv[2], argv[3], argv[4:])
    print(cert)
    print(key)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
