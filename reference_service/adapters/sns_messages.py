"""Amazon SNS HTTP(S) messages: signature verification, subscription confirmation, and SES feedback.

**Verification** ("Verifying the signatures of Amazon SNS messages", SNS developer guide): the signed
string is ``Name\\nValue\\n`` for each field in this order, skipping absent ones —

- ``Notification``: Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type;
- ``SubscriptionConfirmation`` / ``UnsubscribeConfirmation``: Message, MessageId, SubscribeURL,
  Timestamp, Token, TopicArn, Type —

signed with RSA PKCS#1 v1.5 over SHA-1 (``SignatureVersion`` 1) or SHA-256 (``2``) by the key of the
certificate at ``SigningCertURL``. The certificate is fetched only from AWS's
``https://sns.<region>.amazonaws.com/…pem`` or a host in ``SNS_CERT_HOSTS`` (loopback hosts, the lab's
simulator, may use http), never following redirects; it must be valid now and issued to an
``amazonaws.com`` name; it is cached per URL. Anyone can subscribe our endpoint to *their own* topic and
AWS would sign those messages too, so the ``TopicArn`` must name ``SES_FEEDBACK_TOPIC`` as well.

**Confirmation**: a ``SubscriptionConfirmation`` is confirmed by GETting its ``SubscribeURL``, which must
pass the same host rule (no request to an arbitrary URL on a sender's say-so).

**SES feedback**: a Notification's ``Message`` is SES's notification JSON ("Amazon SES notification
contents"): ``notificationType`` Bounce/Complaint/Delivery with ``mail.messageId``; see ``feedback``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from reference_service.adapters.signing_certificates import HostPolicy, SigningCertificates, UrlRejected
from reference_service.domain.notifications import EmailFeedback

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
AWS_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,256})$")


class MessageRejected(Exception):
    """The message is forged, tampered, malformed or from a topic we do not listen to; ``str`` says why."""


def string_to_sign(message: Mapping[str, Any]) -> str:
    """SNS's canonical string for a Notification or a (Un)SubscriptionConfirmation."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


def sns_certificates(
    extra_hosts: Iterable[str], *, timeout: float = 5.0, fetch: Callable[[str], bytes] | None = None
) -> SigningCertificates:
    """SNS signing certificates: AWS's ``sns.<region>.amazonaws.com`` over https plus ``extra_hosts``."""
    policy = HostPolicy(extra_hosts, trusted=lambda host: bool(AWS_SNS_HOST.match(host)))
    return SigningCertificates(
        policy,
        common_name_suffixes=(".amazonaws.com", ".amazonaws.com.cn"),
        path_suffix=".pem",
        ttl=24 * 3600.0,
        timeout=timeout,
        fetch=fetch,
    )


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message."""

    type: str
    message_id: str
    topic_arn: str
    body: Mapping[str, Any]

    @property
    def subscribe_url(self) -> str | None:
        value = self.body.get("SubscribeURL")
        return str(value) if value else None


class SnsMessageVerifier:
    """Verifies SNS messages (see the module docstring) for the topics named in ``topic_names``."""

    def __init__(self, certificates: SigningCertificates, topic_names: Iterable[str]) -> None:
        self.certificates = certificates
        self.topic_names = frozenset(topic_names)

    def verify(self, message: Any) -> SnsMessage:
        if not isinstance(message, dict):
            raise MessageRejected("the body is not an SNS message (a JSON object)")
        kind = message.get("Type")
        if kind not in MESSAGE_TYPES:
            raise MessageRejected(f"unknown message Type {kind!r}")
        fields = NOTIFICATION_FIELDS if kind == "Notification" else CONFIRMATION_FIELDS
        missing = [f for f in fields if f != "Subject" and not isinstance(message.get(f), str)]
        missing += [f for f in ("Signature", "SigningCertURL") if not isinstance(message.get(f), str)]
        if missing:
            raise MessageRejected(f"missing field(s): {', '.join(missing)}")
        version = str(message.get("SignatureVersion", ""))
        if version not in HASHES:
            raise MessageRejected(f"unsupported SignatureVersion {version!r}")
        topic = TOPIC_ARN.match(str(message["TopicArn"]))
        if topic is None or topic.group(1) not in self.topic_names:
            raise MessageRejected("the message is not from the SES feedback topic")
        try:
            key = self.certificates.public_key(str(message["SigningCertURL"]), "SigningCertURL")
            if kind != "Notification":
                self.certificates.policy.check(str(message["SubscribeURL"]), "SubscribeURL")
        except UrlRejected as exc:
            raise MessageRejected(str(exc)) from None
        try:
            signature = base64.b64decode(str(message["Signature"]), validate=True)
            key.verify(
                signature, string_to_sign(message).encode("utf-8"), padding.PKCS1v15(), HASHES[version]()
            )
        except (InvalidSignature, binascii.Error, ValueError):
            raise MessageRejected("the signature does not match the message") from None
        return SnsMessage(str(kind), str(message["MessageId"]), str(message["TopicArn"]), message)


class MalformedFeedback(ValueError):
    """The Notification's Message is not SES notification JSON."""


def feedback(message: SnsMessage) -> EmailFeedback:
    """The SES notification carried by a verified Notification (Bounce, Complaint, Delivery...)."""
    try:
        body = json.loads(str(message.body["Message"]))
        kind = str(body.get("notificationType") or body.get("eventType") or "")
        mail = body["mail"]
        message_id = str(mail["messageId"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MalformedFeedback(f"not an SES notification: {type(exc).__name__}") from None
    sent_at = _timestamp(mail.get("timestamp"))
    if kind == "Bounce":
        bounce = body.get("bounce") or {}
        return EmailFeedback(
            kind,
            message_id,
            tuple(str(r.get("emailAddress", "")) for r in bounce.get("bouncedRecipients") or [] if r),
            bounce_type=bounce.get("bounceType"),
            bounce_sub_type=bounce.get("bounceSubType"),
            sent_at=sent_at,
        )
    if kind == "Complaint":
        complaint = body.get("complaint") or {}
        return EmailFeedback(
            kind,
            message_id,
            tuple(str(r.get("emailAddress", "")) for r in complaint.get("complainedRecipients") or [] if r),
            complaint_type=complaint.get("complaintFeedbackType") or "complaint",
            sent_at=sent_at,
        )
    if kind == "Delivery":
        delivery = body.get("delivery") or {}
        recipients = tuple(str(r) for r in delivery.get("recipients") or [])
        return EmailFeedback(kind, message_id, recipients, sent_at=sent_at)
    return EmailFeedback(kind or "Unknown", message_id, (), sent_at=sent_at)


def _timestamp(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
