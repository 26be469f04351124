"""Signed SNS messages for tests: a throw-away RSA key and certificate, and ``SnsSigner`` that builds
Notification / SubscriptionConfirmation bodies exactly as AWS signs them (``SignatureVersion`` 1 or 2), so
the service's verifier can be tested without AWS or the simulator."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from reference_service.adapters.sns_messages import string_to_sign

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:genai-demo-ses-feedback"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"


class SnsSigner:
    """A key pair and certificate (CN ``sns.amazonaws.com`` by default) and the messages it signs."""

    def __init__(self, common_name: str = "sns.amazonaws.com", cert_url: str = CERT_URL) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.pem = cert.public_bytes(serialization.Encoding.PEM)
        self.cert_url = cert_url

    def sign(self, message: dict[str, Any], version: str = "1") -> dict[str, Any]:
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
        raw = self.key.sign(string_to_sign(message).encode(), padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "Signature": base64.b64encode(raw).decode(),
            "SigningCertURL": self.cert_url,
        }

    def notification(
        self, message: dict[str, Any] | str, version: str = "1", topic_arn: str = TOPIC_ARN, **extra: Any
    ) -> dict[str, Any]:
        body = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic_arn,
            "Message": message if isinstance(message, str) else json.dumps(message),
            "Timestamp": "2026-11-27T10:00:00.000Z",
            **extra,
        }
        signed = self.sign(body, version)
        signed["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
        return signed

    def confirmation(
        self, subscribe_url: str, kind: str = "SubscriptionConfirmation", version: str = "1"
    ) -> dict[str, Any]:
        body = {
            "Type": kind,
            "MessageId": str(uuid.uuid4()),
            "Token": "2336412f37fb687f5d51e6e2425f004a",
            "TopicArn": TOPIC_ARN,
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2026-11-27T10:00:00.000Z",
        }
        return self.sign(body, version)


def ses_feedback(
    kind: str,
    message_id: str,
    recipients: list[str],
    sent_at: str = "2020-01-01T00:00:00.000Z",
    **detail: Any,
) -> dict[str, Any]:
    """An SES notification (the Message of the Notification) about ``message_id``, sent at ``sent_at``
    (default: long ago, so feedback about an unknown message is acknowledged, not asked for again)."""
    mail = {
        "timestamp": sent_at,
        "messageId": message_id,
        "source": "no-reply@genai-demo.example",
        "destination": recipients,
    }
    body: dict[str, Any] = {"notificationType": kind, "mail": mail}
    if kind == "Bounce":
        body["bounce"] = {
            "feedbackId": "fb-1",
            "bounceType": detail.get("bounce_type", "Permanent"),
            "bounceSubType": detail.get("bounce_sub_type", "General"),
            "bouncedRecipients": [{"emailAddress": r} for r in recipients],
            "timestamp": "2026-11-27T10:00:01.000Z",
        }
    elif kind == "Complaint":
        body["complaint"] = {
            "feedbackId": "fb-2",
            "complainedRecipients": [{"emailAddress": r} for r in recipients],
            "complaintFeedbackType": "abuse",
            "timestamp": "2026-11-27T10:00:01.000Z",
        }
    elif kind == "Delivery":
        body["delivery"] = {"recipients": recipients, "timestamp": "2026-11-27T10:00:01.000Z"}
    return body
