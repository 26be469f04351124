"""How a receiver verifies an SNS message, written from the AWS docs alone (no simulator code).

"Verifying the signatures of Amazon SNS messages" (docs.aws.amazon.com/sns/latest/dg/
sns-verify-signature-of-message.html):

1. Check ``SigningCertURL`` comes from a host you trust (AWS: ``sns.<region>.amazonaws.com`` over
   HTTPS; the lab: the simulator's host) and fetch the certificate.
2. Build the string to sign: ``Name\\nValue\\n`` for ``Message``, ``MessageId``, ``Subject`` (only if
   present), ``Timestamp``, ``TopicArn``, ``Type`` for a ``Notification``; ``Message``, ``MessageId``,
   ``SubscribeURL``, ``Timestamp``, ``Token``, ``TopicArn``, ``Type`` for a ``SubscriptionConfirmation``
   or ``UnsubscribeConfirmation``.
3. Verify the base64 ``Signature`` with the certificate's public key: PKCS#1 v1.5 with SHA1 when
   ``SignatureVersion`` is ``1``, SHA256 when it is ``2``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


def canonical(message: Mapping[str, Any]) -> bytes:
    """The string AWS signs for ``message``."""
    fields = NOTIFICATION if message["Type"] == "Notification" else CONFIRMATION
    return "".join(f"{k}\n{message[k]}\n" for k in fields if k in message).encode("utf-8")


def verify_with_certificate(message: Mapping[str, Any], pem: bytes) -> bool:
    """Whether ``message``'s signature verifies with the certificate in ``pem``."""
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(str(message.get("SignatureVersion")))
    if algorithm is None:
        return False
    key = x509.load_pem_x509_certificate(pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(base64.b64decode(message["Signature"]), canonical(message), padding.PKCS1v15(), algorithm)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(message: Mapping[str, Any], allowed_host: str) -> bool:
    """Fetch the signing certificate (only from ``allowed_host``) and verify ``message``."""
    cert_url = urlparse(str(message["SigningCertURL"]))
    if cert_url.netloc != allowed_host or not cert_url.path.endswith(".pem"):
        return False
    pem = requests.get(message["SigningCertURL"], timeout=5).content
    return verify_with_certificate(message, pem)
