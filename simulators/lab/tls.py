"""Local TLS for the lab: a private certificate authority and one server certificate, made with
``cryptography``, for ``genai-demo up --tls``.

:func:`make_certificates` writes, under a directory (``var/tls/`` by default):

* ``ca.pem``: the lab's CA certificate (give it to clients: ``REQUESTS_CA_BUNDLE``, ``AWS_CA_BUNDLE``,
  Stripe's ``ca_bundle_path``, ``curl --cacert``);
* ``server.pem`` and ``server-key.pem``: a certificate for ``localhost``, ``127.0.0.1`` and ``::1`` signed
  by that CA (ECDSA P-256, serverAuth), and its PKCS#8 key (readable by the owner only), which the service
  and every simulator serve with a minimum of TLS 1.3 (granian's ``ssl_protocol_min``).

The CA's private key is used once and never written: nothing else can be signed with it later. Existing
files younger than :data:`REUSE_DAYS` are reused, so a running client's trust survives a restart.
Inspect them with ``openssl x509 -in var/tls/server.pem -noout -text``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALID_DAYS = 30
REUSE_DAYS = 20
HOSTS = ("localhost",)
ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class LabCertificates:
    """Paths of the lab's CA bundle, server certificate and server key."""

    ca: Path
    cert: Path
    key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "genai-demo lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _fresh(paths: LabCertificates) -> bool:
    if not all(p.exists() for p in (paths.ca, paths.cert, paths.key)):
        return False
    cert = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    age = dt.datetime.now(dt.UTC) - cert.not_valid_before_utc
    return age < dt.timedelta(days=REUSE_DAYS)


def make_certificates(directory: Path) -> LabCertificates:
    """The lab's CA and server certificate under ``directory`` (made, or reused while fresh)."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = LabCertificates(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    if _fresh(paths):
        return paths
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("genai-demo lab CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in HOSTS]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(paths.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return paths


def client_env(ca: Path) -> dict[str, str]:
    """The variables that make the usual clients trust the lab's CA: requests (PayPal, Twilio, the
    identity wiring), botocore, and OpenSSL's default verify paths (the Stripe adapter reads
    ``STRIPE_CA_BUNDLE``)."""
    bundle = str(ca)
    return {
        "REQUESTS_CA_BUNDLE": bundle,
        "AWS_CA_BUNDLE": bundle,
        "SSL_CERT_FILE": bundle,
        "STRIPE_CA_BUNDLE": bundle,
    }
