"""PayPal webhook verification and translation.

**Self-verification** (the default, as PayPal's own SDK does it): the signed string is
``transmission_id|transmission_time|webhook_id|crc32(raw body)`` (unsigned decimal), verified with RSA
PKCS#1 v1.5 / SHA-256 against the certificate at ``PAYPAL-CERT-URL``. The certificate is fetched only
from ``PAYPAL_CERT_HOSTS``, must be within its validity period and have a subject CN ending in
``.paypal.com`` (the SDK's check), and is cached per URL. **Postback** (``PAYPAL_WEBHOOK_VERIFICATION=
postback``) asks ``POST /v1/notifications/verify-webhook-signature`` instead.

Replays: a transmission older than ``PAYPAL_WEBHOOK_TOLERANCE_SECONDS`` is rejected, and so is a
transmission id that was already processed. The id is remembered only after processing succeeded, so
PayPal's retry of a delivery that failed on our side still goes through.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from reference_service.adapters.paypal_gateway import DECLINES
from reference_service.adapters.signing_certificates import HostPolicy, SigningCertificates, UrlRejected
from reference_service.domain.payments import PaymentEventKind, ProviderPaymentEvent

HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
)


class SignatureRejected(Exception):
    """The delivery is forged, tampered, stale, replayed or unverifiable; ``str()`` says which."""


def signed_string(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> bytes:
    """The exact string PayPal signs: ``id|time|webhook_id|crc32`` with an unsigned decimal CRC."""
    crc = zlib.crc32(body) & 0xFFFFFFFF
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{crc}".encode()


def paypal_certificates(
    hosts: Iterable[str], *, timeout: float = 5.0, fetch: Callable[[str], bytes] | None = None
) -> SigningCertificates:
    """PayPal signing certificates: only from ``hosts`` (``PAYPAL_CERT_HOSTS``), CN ``*.paypal.com``."""
    return SigningCertificates(
        HostPolicy(hosts), common_name_suffixes=(".paypal.com",), timeout=timeout, fetch=fetch
    )


class PayPalWebhookVerifier:
    def __init__(
        self,
        webhook_id: str | None,
        certificates: SigningCertificates,
        tolerance_seconds: int,
        postback: Callable[[dict[str, Any]], bool] | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.webhook_id = webhook_id
        self.certificates = certificates
        self.tolerance = tolerance_seconds
        self.postback = postback
        self._now = now
        self._processed: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes, event: dict[str, Any]) -> str:
        """Raise ``SignatureRejected`` unless the delivery is genuine and fresh; return its id."""
        if not self.webhook_id:
            raise SignatureRejected("PAYPAL_WEBHOOK_ID is not configured")
        lowered = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
        values = {name: lowered.get(name.lower()) for name in HEADERS}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise SignatureRejected(f"missing header(s): {', '.join(missing)}")
        tid = str(values["PAYPAL-TRANSMISSION-ID"])
        ttime = str(values["PAYPAL-TRANSMISSION-TIME"])
        if values["PAYPAL-AUTH-ALGO"] != "SHA256withRSA":
            raise SignatureRejected(f"unsupported PAYPAL-AUTH-ALGO {values['PAYPAL-AUTH-ALGO']!r}")
        try:
            sent = datetime.fromisoformat(ttime.replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise SignatureRejected("PAYPAL-TRANSMISSION-TIME is not an RFC 3339 time") from None
        if sent < self._now() - self.tolerance:
            raise SignatureRejected(f"transmission is older than {self.tolerance}s (replayed or stale)")
        with self._lock:
            if tid in self._processed:
                raise SignatureRejected("this transmission was already processed (replayed)")
        if self.postback is not None:
            ok = self.postback(
                {
                    "auth_algo": values["PAYPAL-AUTH-ALGO"],
                    "cert_url": values["PAYPAL-CERT-URL"],
                    "transmission_id": tid,
                    "transmission_sig": values["PAYPAL-TRANSMISSION-SIG"],
                    "transmission_time": ttime,
                    "webhook_id": self.webhook_id,
                    "webhook_event": event,
                }
            )
            if not ok:
                raise SignatureRejected("PayPal's verify-webhook-signature answered FAILURE")
            return tid
        try:
            key = self.certificates.public_key(str(values["PAYPAL-CERT-URL"]), "PAYPAL-CERT-URL")
        except UrlRejected as exc:
            raise SignatureRejected(str(exc)) from None
        try:
            signature = base64.b64decode(str(values["PAYPAL-TRANSMISSION-SIG"]), validate=True)
            key.verify(
                signature,
                signed_string(tid, ttime, self.webhook_id, body),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, binascii.Error, ValueError):
            raise SignatureRejected("the signature does not match the body") from None
        return tid

    def processed(self, transmission_id: str) -> None:
        """Remember a transmission whose event was applied (bounded, expires with the tolerance)."""
        now = self._now()
        with self._lock:
            self._processed[transmission_id] = now
            while self._processed:
                oldest, at = next(iter(self._processed.items()))
                if at >= now - self.tolerance and len(self._processed) <= 100_000:
                    break
                self._processed.pop(oldest)


# -- translation ---------------------------------------------------------------------------------------


class MalformedEvent(ValueError):
    """Not a PayPal webhook event (no id, event_type or resource)."""


def _minor(amount: dict[str, Any] | None) -> int:
    if not amount:
        return 0
    import iso4217

    exponent = iso4217.Currency(amount["currency_code"]).exponent or 0
    return int(Decimal(str(amount["value"])).scaleb(exponent))


def translate(event: dict[str, Any]) -> ProviderPaymentEvent:
    try:
        event_id, event_type, resource = str(event["id"]), str(event["event_type"]), event["resource"]
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"not a PayPal event: missing {exc}") from None
    if not isinstance(resource, dict):
        raise MalformedEvent("not a PayPal event: resource is not an object")
    base: dict[str, Any] = {"provider": "paypal", "event_id": event_id, "event_type": event_type}
    if event_type == "CHECKOUT.ORDER.APPROVED":
        units = resource.get("purchase_units") or [{}]
        return ProviderPaymentEvent(
            **base,
            kind=PaymentEventKind.AUTHORIZED,
            provider_ref=resource.get("id"),
            payment_id=units[0].get("custom_id"),
        )
    order_id = ((resource.get("supplementary_data") or {}).get("related_ids") or {}).get("order_id")
    common = {**base, "provider_ref": order_id, "payment_id": resource.get("custom_id")}
    if event_type == "PAYMENT.CAPTURE.COMPLETED":
        return ProviderPaymentEvent(**common, kind=PaymentEventKind.SUCCEEDED)
    if event_type in ("PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"):
        code, message = DECLINES["INSTRUMENT_DECLINED"]
        return ProviderPaymentEvent(
            **common, kind=PaymentEventKind.FAILED, failure_code=code, failure_message=message
        )
    if event_type == "PAYMENT.CAPTURE.PENDING":
        return ProviderPaymentEvent(**common, kind=PaymentEventKind.PROCESSING)
    if event_type == "PAYMENT.CAPTURE.REFUNDED":
        return ProviderPaymentEvent(
            **common, kind=PaymentEventKind.REFUNDED, amount_refunded=_minor(resource.get("amount"))
        )
    return ProviderPaymentEvent(**base, kind=PaymentEventKind.IGNORED)
