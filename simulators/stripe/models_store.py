"""Per-account state of the Stripe simulator: bounded object maps, events and idempotency records.

One :class:`AccountState` per account (``runtime.backends``, emptied by ``POST /_sim/reset``). Objects are
kept as the Stripe JSON they render to (API 2023-10-16 shape), wrapped in small records that hold what the
simulator needs besides: a card's :class:`~simulators.stripe.magic.CardProfile` (never its number), a 3DS
return URL. Every map is a kernel :class:`~simulators.kernel.backend.BoundedMap`: past its cap
(``STRIPE_SIM_MAX_OBJECTS``, ``STRIPE_SIM_MAX_EVENTS``, ``STRIPE_SIM_MAX_IDEMPOTENCY_KEYS``) the oldest
entries are evicted, so memory
stays flat under load; an evicted object answers ``resource_missing`` like any unknown id. All access goes
through ``AccountState.lock``. Inspect counts at ``GET /_sim/stripe/accounts``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from simulators.kernel.backend import BoundedMap
from simulators.stripe.compact import pack, unpack
from simulators.stripe.magic import CardProfile

API_VERSION = "2023-10-16"


@dataclass
class Limits:
    """Caps per account (shared by every map of every account; changed at ``/_sim/stripe/config``)."""

    max_objects: int = 10_000
    max_events: int = 10_000
    max_idempotency_keys: int = 10_000


@dataclass(slots=True)
class IntentRecord:
    """A PaymentIntent: its Stripe JSON plus the attached card's profile and the 3DS redirect data."""

    data: dict[str, Any]
    card: CardProfile | None = None
    payment_method: dict[str, Any] | None = None
    return_url: str | None = None
    sim_url: str = ""
    charge_ids: list[str] = field(default_factory=list)
    fresh_json: str | None = None  # snapshot of the last payment_intent.* event of the current operation
    increments: int = 0  # incremental authorization attempts (Stripe allows 10 per PaymentIntent)


@dataclass(slots=True)
class PaymentMethodRecord:
    """A PaymentMethod: its Stripe JSON and the card profile that decides what charging it does."""

    data: dict[str, Any]
    card: CardProfile


@dataclass(slots=True)
class ChargeRecord:
    """A Charge: its Stripe JSON, the card profile, and its refunds (newest last)."""

    data: dict[str, Any]
    card: CardProfile
    refund_ids: list[str] = field(default_factory=list)
    dispute_id: str | None = None


@dataclass(slots=True)
class Event:
    """An Event. ``object_json`` is the snapshot of ``data.object`` taken when it happened, kept compressed
    (``object_zlib``, :mod:`simulators.stripe.compact`): an account keeps up to ``max_events`` of them, and a
    PaymentIntent's JSON of ~1.4 KB keeps about 150 bytes."""

    id: str
    type: str
    created: int
    object_zlib: bytes
    previous_attributes: dict[str, Any] | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    pending_webhooks: int = 0
    #: endpoints that acknowledged it (a tuple: one or none, where an empty set costs 216 bytes per event)
    delivered_to: tuple[str, ...] = ()

    @classmethod
    def snapshot(cls, obj: Any) -> bytes:
        """``obj`` as the compressed JSON an event keeps (about 10 us for a PaymentIntent)."""
        return pack(json.dumps(obj).encode())

    @property
    def object_json(self) -> str:
        """The snapshot of ``data.object``, as JSON text."""
        return unpack(self.object_zlib).decode()

    def to_dict(self) -> dict[str, Any]:
        """The Stripe ``event`` object (field order as Stripe sends webhooks)."""
        data: dict[str, Any] = {"object": json.loads(self.object_json)}
        if self.previous_attributes is not None:
            data["previous_attributes"] = self.previous_attributes
        return {
            "id": self.id,
            "object": "event",
            "api_version": API_VERSION,
            "created": self.created,
            "data": data,
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": self.type,
        }

    def payload(self) -> bytes:
        """The webhook body: the event pretty-printed with two spaces, as Stripe delivers it."""
        return json.dumps(self.to_dict(), indent=2).encode()


@dataclass(slots=True)
class IdempotencyRecord:
    """The first request made with an ``Idempotency-Key`` and, once done, its saved response."""

    key: str
    endpoint: str
    fingerprint: str
    created: float
    request_id: str | None
    in_flight: bool = True
    status: int = 0
    #: the saved response body, compressed (``IdempotencyLayer`` packs and unpacks it: ``stripe.compact``)
    body_zlib: bytes = b""

    def to_json(self) -> dict[str, Any]:
        """The control view (``GET /_sim/stripe/idempotency``)."""
        return {
            "key": self.key,
            "endpoint": self.endpoint,
            "created": self.created,
            "original_request": self.request_id,
            "in_flight": self.in_flight,
            "status": self.status or None,
        }


class AccountState:
    """Everything one account owns, guarded by one re-entrant ``lock``."""

    def __init__(self, account: str | None, limits: Limits) -> None:
        self.account = account
        self.lock = threading.RLock()

        def objects_cap() -> int:  # read at every insert: /_sim/stripe/config may change it
            return limits.max_objects

        self.intents: BoundedMap[str, IntentRecord] = BoundedMap(objects_cap)
        self.charges: BoundedMap[str, ChargeRecord] = BoundedMap(objects_cap)
        self.payment_methods: BoundedMap[str, PaymentMethodRecord] = BoundedMap(objects_cap)
        self.refunds: BoundedMap[str, dict[str, Any]] = BoundedMap(objects_cap)
        self.disputes: BoundedMap[str, dict[str, Any]] = BoundedMap(objects_cap)
        self.events: BoundedMap[str, Event] = BoundedMap(lambda: limits.max_events)
        self.idempotency: BoundedMap[str, IdempotencyRecord] = BoundedMap(lambda: limits.max_idempotency_keys)

    def counts(self) -> dict[str, int]:
        """Object counts (and evictions) for the control API."""
        with self.lock:
            maps: dict[str, BoundedMap[str, Any]] = {
                "payment_intents": self.intents,
                "charges": self.charges,
                "payment_methods": self.payment_methods,
                "refunds": self.refunds,
                "disputes": self.disputes,
                "events": self.events,
                "idempotency_keys": self.idempotency,
            }
            out = {name: len(m) for name, m in maps.items()}
            out["evicted"] = sum(m.evicted for m in maps.values())
            return out
