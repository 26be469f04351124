"""The simulator's webhook signing identity: an RSA key pair and a self-signed X.509 certificate.

Generated once per simulator at start (never at import). The certificate's subject CN is
``messageverificationcerts.sandbox.paypal.com``, because PayPal's SDKs check that the CN ends with
``.paypal.com`` (``paypalrestsdk/notifications.py``). It is served as PEM, without auth, at
``PAYPAL-CERT-URL`` = ``{base}/v1/notifications/certs/{cert_id}``; inspect it at ``GET /_sim/paypal/cert``.
Signatures are SHA256withRSA (RSASSA-PKCS1-v1_5 over SHA-256), base64-encoded, as PayPal's.
"""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

CERT_CN = "messageverificationcerts.sandbox.paypal.com"
AUTH_ALGO = "SHA256withRSA"


class SigningIdentity:
    """Key pair + certificate; ``sign`` and ``verify`` are thread-safe (the key objects are immutable)."""

    def __init__(self, cert_id: str, now: dt.datetime, key_size: int = 2048) -> None:
        self.cert_id = cert_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "California"),
                x509.NameAttribute(NameOID.LOCALITY_NAME, "San Jose"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PayPal, Inc."),
                x509.NameAttribute(NameOID.COMMON_NAME, CERT_CN),
            ]
        )
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.pem: bytes = self.certificate.public_bytes(serialization.Encoding.PEM)

    def sign(self, message: bytes) -> str:
        """Base64 SHA256withRSA signature of ``message``."""
        raw = self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def verify(self, message: bytes, signature_b64: str) -> bool:
        """Whether ``signature_b64`` is this key's signature of ``message``."""
        try:
            raw = base64.b64decode(signature_b64, validate=True)
            self._key.public_key().verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        except (ValueError, InvalidSignature):
            return False
        return True

    def describe(self) -> dict[str, str]:
        """Subject, validity and PEM (``GET /_sim/paypal/cert``)."""
        return {
            "cert_id": self.cert_id,
            "subject": self.certificate.subject.rfc4514_string(),
            "not_valid_before": self.certificate.not_valid_before_utc.isoformat(),
            "not_valid_after": self.certificate.not_valid_after_utc.isoformat(),
            "auth_algo": AUTH_ALGO,
            "pem": self.pem.decode("ascii"),
        }
