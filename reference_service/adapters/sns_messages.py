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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from reference_service.domain.notifications import EmailFeedback

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
MESSAGE_TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")
HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
AWS_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_-]{1,256})$")


class MessageRejected(Exception):
    """The message is forged, tampered, malformed or from a topic we do not listen to; ``str`` says why."""


def string_to_sign(message: Mapping[str, Any]) -> str:
    """SNS's canonical string for a Notification or a (Un)SubscriptionConfirmation."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    return "".join(f"{name}\n{message[name]}\n" for name in fields if message.get(name) is not None)


class HostPolicy:
    """Which URLs the service will fetch for SNS: AWS's SNS hosts over https, plus configured hosts."""

    def __init__(self, extra_hosts: Iterable[str]) -> None:
        self.extra = frozenset(h.strip().lower() for h in extra_hosts if h.strip())

    def check(self, url: str, what: str) -> None:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        aws = bool(AWS_SNS_HOST.match(host))
        if not (aws or host in self.extra):
            raise MessageRejected(f"{what} host {host or url!r} is not allowed")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and host in LOOPBACK and not aws):
            raise MessageRejected(f"{what} must use https")


class CertificateStore:
    """Fetches SNS signing certificates from allowed URLs only, checks them, caches them per URL."""

    def __init__(
        self,
        policy: HostPolicy,
        *,
        ttl: float = 24 * 3600.0,
        timeout: float = 5.0,
        max_entries: int = 32,
        fetch: Callable[[str], bytes] | None = None,
    ) -> None:
        self.policy = policy
        self.ttl = ttl
        self.max_entries = max_entries
        self._timeout = timeout
        self._fetch = fetch or self._http_get
        self._cache: OrderedDict[str, tuple[float, rsa.RSAPublicKey]] = OrderedDict()
        self._lock = threading.Lock()
        self.fetches = 0

    def _http_get(self, url: str) -> bytes:
        resp = requests.get(url, timeout=self._timeout, allow_redirects=False)
        resp.raise_for_status()
        return resp.content

    def public_key(self, url: str) -> rsa.RSAPublicKey:
        self.policy.check(url, "SigningCertURL")
        if not urlparse(url).path.endswith(".pem"):
            raise MessageRejected("SigningCertURL is not a .pem certificate")
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            self.fetches += 1
            cert = x509.load_pem_x509_certificate(self._fetch(url))
        except (requests.RequestException, ValueError) as exc:
            raise MessageRejected(f"cannot load the signing certificate: {type(exc).__name__}") from None
        now = datetime.now(UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise MessageRejected("the signing certificate is not valid now")
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = str(names[0].value) if names else ""
        if not (common_name.endswith(".amazonaws.com") or common_name.endswith(".amazonaws.com.cn")):
            raise MessageRejected("the signing certificate is not issued to an amazonaws.com name")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise MessageRejected("the signing certificate does not hold an RSA key")
        with self._lock:
            self._cache[url] = (time.monotonic(), key)
            self._cache.move_to_end(url)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return key


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

    def __init__(self, certificates: CertificateStore, topic_names: Iterable[str]) -> None:
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
        key = self.certificates.public_key(str(message["SigningCertURL"]))
        try:
            signature = base64.b64decode(str(message["Signature"]), validate=True)
            key.verify(
                signature, string_to_sign(message).encode("utf-8"), padding.PKCS1v15(), HASHES[version]()
            )
        except (InvalidSignature, binascii.Error, ValueError):
            raise MessageRejected("the signature does not match the message") from None
        if kind != "Notification":
            self.certificates.policy.check(str(message["SubscribeURL"]), "SubscribeURL")
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
