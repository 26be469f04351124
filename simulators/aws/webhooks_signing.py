"""SNS message signatures, exactly as AWS computes them, with a key pair the simulator owns.

AWS signs every HTTP/S delivery ("Verifying the signatures of Amazon SNS messages",
docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):

* The string to sign is ``Name\\nValue\\n`` for each field, in this order, skipping absent ones:

  - ``Notification``: ``Message``, ``MessageId``, ``Subject`` (only if present), ``Timestamp``,
    ``TopicArn``, ``Type``;
  - ``SubscriptionConfirmation`` / ``UnsubscribeConfirmation``: ``Message``, ``MessageId``,
    ``SubscribeURL``, ``Timestamp``, ``Token``, ``TopicArn``, ``Type``.

* ``SignatureVersion`` ``1`` is SHA1withRSA, ``2`` is SHA256withRSA (PKCS#1 v1.5); ``Signature`` is the
  base64 of it, and ``SigningCertURL`` points at the X.509 certificate whose public key verifies it.

:class:`SnsSigningKey` holds an RSA-2048 key and a self-signed certificate (CN ``sns.amazonaws.com``),
made when the simulator starts and kept for its life (resets do not rotate it). The certificate is served
at ``{simulator}/SimpleNotificationService-<id>.pem``, the same path shape as AWS
(``https://sns.<region>.amazonaws.com/SimpleNotificationService-<id>.pem``).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNATURE_VERSIONS = {"1": hashes.SHA1, "2": hashes.SHA256}


def string_to_sign(message: Mapping[str, object]) -> str:
    """AWS's canonical string for a Notification or a (Un)SubscriptionConfirmation."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    out = []
    for name in fields:
        value = message.get(name)
        if value is None:
            continue
        out.append(f"{name}\n{value}\n")
    return "".join(out)


class SnsSigningKey:
    """The simulator's SNS signing key and certificate (see the module docstring)."""

    def __init__(self, cert_id: str, now: datetime) -> None:
        self.cert_id = cert_id
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        issuer = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "genai-demo SNS simulator"),
                x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
            ]
        )
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(self._key, hashes.SHA256())
        )
        self.pem = self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def file_name(self) -> str:
        """``SimpleNotificationService-<id>.pem``."""
        return f"SimpleNotificationService-{self.cert_id}.pem"

    def sign(self, message: Mapping[str, object], version: str) -> str:
        """Base64 signature of :func:`string_to_sign` with SHA1withRSA (``1``) or SHA256withRSA (``2``)."""
        algorithm = SIGNATURE_VERSIONS[version]()
        raw = self._key.sign(string_to_sign(message).encode("utf-8"), padding.PKCS1v15(), algorithm)
        return base64.b64encode(raw).decode("ascii")
