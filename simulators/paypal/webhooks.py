"""PayPal webhook events: envelopes, the event store, emission, the SHA256withRSA signer and the retry
schedule.

**Emission** (:class:`PayPalWebhooks`): every webhook the simulator sends goes through it: the
:class:`~simulators.paypal.resources.DomainEvent` s the models return (:meth:`PayPalWebhooks.emit`), resends
and ``simulate-event`` samples. Each event is stored (exact bytes) and handed to the kernel's dispatcher.

**Envelope** (``event`` in ``notifications_webhooks_v1.json``): ``{id: "WH-<17>-<17>", event_version: "1.0",
create_time, resource_type, resource_version: "2.0", event_type, summary, resource, links: [self, resend]}``.

**Headers** on every attempt (developer.paypal.com/api/rest/webhooks/rest): ``PAYPAL-TRANSMISSION-ID`` (a
UUID, new per attempt), ``PAYPAL-TRANSMISSION-TIME`` (RFC 3339, the attempt's simulated time),
``PAYPAL-TRANSMISSION-SIG`` (base64), ``PAYPAL-CERT-URL`` (``{base}/v1/notifications/certs/{cert_id}``)
and ``PAYPAL-AUTH-ALGO: SHA256withRSA``. The signature is RSASSA-PKCS1-v1_5/SHA-256 over
``transmission_id|transmission_time|webhook_id|crc32`` where ``crc32`` is
``str(binascii.crc32(raw_body) & 0xffffffff)`` (PayPal's Python SDK, ``paypalrestsdk/notifications.py``)
and ``webhook_id`` is the receiving webhook's id.

**Retries**: PayPal "will retry each delivery up to 25 times over 3 days" (webhooks/rest). PayPal does
not publish the spacing; :data:`RETRY_SCHEDULE` is the simulator's: 24 retries after the first attempt,
quick at first (1, 2, 5, 10, 20, 30 min, then 1 h three times) and then every 16288 s (about 4.5 h), so the
25th attempt is due exactly 72 h after the event. The kernel dispatcher runs them on the simulated clock
divided by ``time_scale``; watch them at ``GET /_sim/webhooks/deliveries``.

Every event is kept per account (bounded, :data:`MAX_EVENTS`) with the exact bytes sent, so
``GET /v1/notifications/webhooks-events/{id}`` and the verify-webhook-signature postback work on it.
"""

from __future__ import annotations

import binascii
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulators.kernel.backend import AccountBackends, BoundedMap
from simulators.kernel.clock import iso_utc
from simulators.kernel.ids import IdGenerator
from simulators.kernel.webhooks import Delivery, WebhookEndpoint, WebhookTarget
from simulators.paypal import urls
from simulators.paypal.resources import DomainEvent
from simulators.paypal.webhooks_signing import AUTH_ALGO, SigningIdentity

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

RETRY_SCHEDULE: tuple[float, ...] = (60, 120, 300, 600, 1200, 1800, 3600, 3600, 3600) + (16288,) * 15
MAX_EVENTS = 10_000
MAX_WEBHOOKS_PER_APP = 10  # PayPal: "You can subscribe up to ten webhook URLs per app"
USER_AGENT = "PayPal/AUHD-214.0-58179137"
WEBHOOK_ID_PLACEHOLDER = "WEBHOOK_ID"

# Event names the registration API accepts (the checkout and payments ones), with PayPal's descriptions.
EVENT_TYPES: dict[str, str] = {
    "CHECKOUT.ORDER.APPROVED": "An order has been approved by buyer.",
    "CHECKOUT.ORDER.COMPLETED": "Checkout Order Completed",
    "CHECKOUT.ORDER.SAVED": "Checkout Order Saved",
    "CHECKOUT.ORDER.VOIDED": "Checkout Order Voided",
    "CHECKOUT.PAYMENT-APPROVAL.REVERSED": "A problem occurred after the buyer approved the order.",
    "PAYMENT.AUTHORIZATION.CREATED": "A payment authorization is created, approved, executed, or a future "
    "payment authorization is created.",
    "PAYMENT.AUTHORIZATION.VOIDED": "A payment authorization is voided.",
    "PAYMENT.CAPTURE.COMPLETED": "A payment capture completes.",
    "PAYMENT.CAPTURE.DECLINED": "A payment capture is declined.",
    "PAYMENT.CAPTURE.DENIED": "A payment capture is denied.",
    "PAYMENT.CAPTURE.PENDING": "The state of a payment capture changes to pending.",
    "PAYMENT.CAPTURE.REFUNDED": "A merchant refunds a payment capture.",
    "PAYMENT.CAPTURE.REVERSED": "PayPal reverses a payment capture.",
}


def event_time(ts: float) -> str:
    """``create_time`` of an event: RFC 3339 with milliseconds (``2024-05-01T10:00:00.000Z``)."""
    return iso_utc(ts, millis=True)


def transmission_time(ts: float) -> str:
    """``PAYPAL-TRANSMISSION-TIME``: RFC 3339 seconds (``2016-02-18T20:01:35Z``)."""
    return iso_utc(ts)


def crc32_decimal(body: bytes) -> str:
    """The body's CRC-32 as PayPal signs it: unsigned, decimal."""
    return str(binascii.crc32(body) & 0xFFFFFFFF)


def signed_message(transmission_id: str, time: str, webhook_id: str, body: bytes) -> bytes:
    """``transmission_id|transmission_time|webhook_id|crc32``."""
    return f"{transmission_id}|{time}|{webhook_id}|{crc32_decimal(body)}".encode()


def new_event_id(ids: IdGenerator) -> str:
    """``WH-`` + 17 + ``-`` + 17 upper alphanumerics (``WH-9SF72135F3734730K-6BG22753NT138435R``)."""
    return f"WH-{ids.upper_alnum(17)}-{ids.upper_alnum(17)}"


def envelope(
    event_id: str, now: float, base_url: str, event: DomainEvent, resource_version: str = "2.0"
) -> dict[str, Any]:
    """The JSON PayPal posts for ``event``."""
    href = urls.event_href(base_url, event_id)
    return {
        "id": event_id,
        "event_version": "1.0",
        "create_time": event_time(now),
        "resource_type": event.resource_type,
        "resource_version": resource_version,
        "event_type": event.event_type,
        "summary": event.summary,
        "resource": event.resource,
        "links": [urls.link(href, "self"), urls.link(href + "/resend", "resend", "POST")],
    }


@dataclass(frozen=True)
class StoredEvent:
    """An event as sent: its JSON, the exact body bytes, and what it is about."""

    id: str
    event_type: str
    body: bytes
    event: dict[str, Any]
    created: float
    resource_id: str
    simulated: bool = False


class EventStore:
    """One account's events, oldest evicted beyond :data:`MAX_EVENTS` (thread-safe)."""

    def __init__(self, capacity: int = MAX_EVENTS) -> None:
        self._items: BoundedMap[str, StoredEvent] = BoundedMap(capacity)
        self._lock = threading.Lock()

    def add(self, event: StoredEvent) -> None:
        """Keep an event."""
        with self._lock:
            self._items.add(event.id, event)

    def get(self, event_id: str) -> StoredEvent | None:
        """One event by id."""
        return self._items.get(event_id)

    def query(
        self,
        *,
        event_type: str | None = None,
        resource_id: str | None = None,
        start: float | None = None,
        end: float | None = None,
        limit: int = 10,
    ) -> list[StoredEvent]:
        """Newest first, filtered as ``GET /v1/notifications/webhooks-events``."""
        with self._lock:
            items = list(self._items.values())
        out: list[StoredEvent] = []
        for ev in reversed(items):
            if event_type and ev.event_type != event_type:
                continue
            if resource_id and ev.resource_id != resource_id:
                continue
            if (start is not None and ev.created < start) or (end is not None and ev.created > end):
                continue
            out.append(ev)
            if len(out) >= limit:
                break
        return out

    def __len__(self) -> int:
        return len(self._items)


class PayPalWebhooks:
    """Sends every PayPal webhook: stores the event with its exact bytes, then hands it to the dispatcher."""

    def __init__(self, runtime: SimulatorRuntime, events: AccountBackends[EventStore]) -> None:
        self.runtime = runtime
        self.events = events

    def _store(self, account: str | None, event: DomainEvent, base_url: str, simulated: bool) -> StoredEvent:
        now = self.runtime.clock.now()
        event_id = new_event_id(self.runtime.ids)
        doc = envelope(event_id, now, base_url, event)
        stored = StoredEvent(
            event_id, event.event_type, json.dumps(doc).encode(), doc, now, event.resource_id, simulated
        )
        self.events[account].add(stored)
        return stored

    def emit(self, account: str | None, events: list[DomainEvent], base_url: str) -> list[StoredEvent]:
        """Store each event and send it to the app's webhooks that subscribe to its type."""
        out: list[StoredEvent] = []
        for event in events:
            stored = self._store(account, event, base_url, False)
            self.runtime.webhooks.publish(
                account, event.event_type, stored.body, event_id=stored.id, metadata={"base_url": base_url}
            )
            out.append(stored)
        return out

    def resend(
        self, account: str, stored: StoredEvent, endpoints: Iterable[WebhookEndpoint], base_url: str
    ) -> None:
        """Send a stored event again (same id and bytes) to ``endpoints``."""
        for ep in endpoints:
            self.runtime.webhooks.send(
                WebhookTarget(ep.url, None, ep.id, account),
                stored.body,
                event_id=stored.id,
                event_type=stored.event_type,
                metadata={"base_url": base_url},
            )

    def simulate(
        self, account: str, url: str, webhook_id: str, event: DomainEvent, base_url: str
    ) -> StoredEvent:
        """Store a sample event and send it to ``url``, signed for ``webhook_id`` (``simulate-event``)."""
        stored = self._store(account, event, base_url, True)
        self.runtime.webhooks.send(
            WebhookTarget(url, None, webhook_id, account),
            stored.body,
            event_id=stored.id,
            event_type=stored.event_type,
            metadata={"base_url": base_url},
        )
        return stored


class PayPalSigner:
    """The kernel :class:`~simulators.kernel.webhooks.Signer` for PayPal: the five ``PAYPAL-*`` headers."""

    def __init__(self, identity: SigningIdentity, base_url: Callable[[], str], rng: random.Random) -> None:
        self.identity = identity
        self._base_url = base_url
        self._rng = rng
        self._lock = threading.Lock()

    def _transmission_id(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=1))

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """Headers for one attempt, signed for the receiving webhook's id."""
        transmission_id = self._transmission_id()
        time = transmission_time(timestamp)
        webhook_id = target.endpoint_id or WEBHOOK_ID_PLACEHOLDER
        base = str(delivery.metadata.get("base_url") or self._base_url())
        signature = self.identity.sign(signed_message(transmission_id, time, webhook_id, body))
        return {
            "User-Agent": USER_AGENT,
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": time,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-CERT-URL": urls.cert_href(base, self.identity.cert_id),
            "PAYPAL-AUTH-ALGO": AUTH_ALGO,
        }
