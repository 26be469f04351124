"""Webhook data model: endpoints, deliveries, attempts, the :class:`Signer` protocol, chaos settings.

The :class:`EndpointRegistry` holds each account's endpoints. ``/_sim/webhooks/endpoints`` and a
provider's native API (``POST /v1/webhook_endpoints``, PayPal's ``/v1/notifications/webhooks``) both
write to it. A :class:`Delivery` is one event body sent to one target URL; it keeps every
:class:`Attempt`. The dispatcher that moves deliveries lives in :mod:`simulators.kernel.dispatcher`.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulators.kernel.journal import HeaderMasker

DeliveryStatus = Literal["pending", "succeeded", "failed", "cancelled"]


@dataclass
class WebhookEndpoint:
    """A registered receiver of an account's events. ``events`` holds globs (``*`` = all)."""

    id: str
    account: str | None
    url: str
    secret: str | None
    events: tuple[str, ...] = ("*",)
    enabled: bool = True
    created: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def accepts(self, event_type: str) -> bool:
        """Whether this endpoint subscribes to ``event_type``."""
        return self.enabled and any(fnmatch.fnmatchcase(event_type, p) for p in self.events)

    def to_json(self, *, include_secret: bool = True) -> dict[str, Any]:
        """JSON view (the secret is shown: the control API is how a test learns it)."""
        data: dict[str, Any] = {
            "id": self.id,
            "account": self.account,
            "url": self.url,
            "events": list(self.events),
            "enabled": self.enabled,
            "created": self.created,
            "metadata": self.metadata,
        }
        if include_secret:
            data["secret"] = self.secret
        return data


@dataclass(frozen=True)
class WebhookTarget:
    """Where and with what secret a delivery is sent."""

    url: str
    secret: str | None = None
    endpoint_id: str | None = None
    account: str | None = None


@dataclass
class Attempt:
    """One HTTP attempt of a delivery (simulated start time, result and real latency)."""

    number: int
    time: float
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    manual: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None

    @property
    def ok(self) -> bool:
        """2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def to_json(self, masker: HeaderMasker) -> dict[str, Any]:
        """JSON view (signature headers masked like the journal)."""
        return {
            "number": self.number,
            "time": self.time,
            "status_code": self.status_code,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "error": self.error,
            "manual": self.manual,
            "ok": self.ok,
            "request_headers": masker.mask(self.headers.items()),
            "response_body": self.response_body,
        }


@dataclass
class Delivery:
    """One event body to one target, with its attempts and retry state."""

    id: str
    target: WebhookTarget
    event_id: str
    event_type: str
    body: bytes
    content_type: str
    created: float
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    status: DeliveryStatus = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    auto_attempts: int = 0
    duplicate_of: str | None = None
    held: bool = False
    completed_at: float | None = None

    @property
    def account(self) -> str | None:
        """Account the delivery belongs to."""
        return self.target.account

    def to_json(self, masker: HeaderMasker) -> dict[str, Any]:
        """JSON view served by ``/_sim/webhooks/deliveries``."""
        try:
            body = self.body.decode("utf-8")
        except UnicodeDecodeError:
            body = self.body.hex()
        return {
            "id": self.id,
            "account": self.account,
            "endpoint_id": self.target.endpoint_id,
            "url": self.target.url,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "content_type": self.content_type,
            "body": body,
            "status": self.status,
            "attempt_count": len(self.attempts),
            "attempts": [a.to_json(masker) for a in self.attempts],
            "next_attempt_at": self.next_attempt_at,
            "created": self.created,
            "completed_at": self.completed_at,
            "duplicate_of": self.duplicate_of,
            "held": self.held,
            "metadata": self.metadata,
        }


class Signer(Protocol):
    """A provider's webhook signer: headers to add for one attempt.

    Called once per attempt with the attempt's simulated ``timestamp`` (Stripe signs
    ``"{t}.{body}"`` anew for each retry). It must be the exact inverse of the provider's verifier.
    """

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """Headers (signature, user agent, ...) for this attempt."""
        ...


class UnsignedSigner:
    """Adds no headers (providers without signatures)."""

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """No signature headers."""
        return {}


class ChaosSettings(BaseModel):
    """Body of ``POST /_sim/webhooks/chaos``.

    ``duplicate``: probability that a new delivery is sent twice (the twin has ``duplicate_of``).
    ``reorder``: probability (``true`` = 1) that a new delivery is held back until the next delivery to
    the same URL has been attempted, so the receiver sees the later event first (with 1, events arrive
    as pairs swapped: B A D C ...). A held delivery is released after ``hold_s`` simulated seconds at
    the latest (or on clock advance, or redelivery), so nothing is ever lost.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    duplicate: float = Field(default=0.0, ge=0, le=1)
    reorder: float = Field(default=0.0, ge=0, le=1)
    seed: int | None = None
    hold_s: float = Field(default=5.0, gt=0, le=86_400)

    @field_validator("reorder", "duplicate", mode="before")
    @classmethod
    def _bool_is_probability(cls, value: Any) -> Any:
        return float(value) if isinstance(value, bool) else value

    @property
    def active(self) -> bool:
        """Whether any chaos is on."""
        return self.duplicate > 0 or self.reorder > 0


class EndpointSpec(BaseModel):
    """Body of ``POST /_sim/webhooks/endpoints``."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, pattern=r"^https?://")
    account: str | None = None
    events: list[str] = Field(default_factory=lambda: ["*"], min_length=1)
    secret: str | None = Field(default=None, max_length=500)
    metadata: dict[str, Any] = Field(default_factory=dict)


class EndpointRegistry:
    """Thread-safe endpoints by id, filtered by account.

    Copy-on-write: writers replace an immutable snapshot under the lock; readers (``for_event`` runs on
    every published event) use the current snapshot without locking and never see a dict mid-change.
    """

    def __init__(self) -> None:
        self._items: dict[str, WebhookEndpoint] = {}
        self._snapshot: tuple[WebhookEndpoint, ...] = ()
        self._lock = threading.Lock()

    def _publish(self) -> None:
        self._snapshot = tuple(self._items.values())

    def add(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """Register (or replace by id) an endpoint."""
        with self._lock:
            self._items[endpoint.id] = endpoint
            self._publish()
        return endpoint

    def get(
        self, endpoint_id: str, account: str | None = None, *, any_account: bool = True
    ) -> WebhookEndpoint | None:
        """One endpoint; with ``any_account=False`` only if it belongs to ``account``."""
        ep = self._items.get(endpoint_id)
        if ep is None or (not any_account and ep.account != account):
            return None
        return ep

    def remove(self, endpoint_id: str) -> WebhookEndpoint | None:
        """Unregister; returns the removed endpoint."""
        with self._lock:
            removed = self._items.pop(endpoint_id, None)
            self._publish()
            return removed

    def find(self, account: str | None = None, *, any_account: bool = False) -> list[WebhookEndpoint]:
        """Endpoints of ``account`` (or all with ``any_account``), oldest first."""
        items = list(self._snapshot)
        return items if any_account else [e for e in items if e.account == account]

    def for_event(self, account: str | None, event_type: str) -> Sequence[WebhookEndpoint]:
        """Enabled endpoints of ``account`` that subscribe to ``event_type``."""
        return [e for e in self._snapshot if e.account == account and e.accepts(event_type)]

    def clear(self) -> None:
        """Forget every endpoint."""
        with self._lock:
            self._items.clear()
            self._publish()

    def __len__(self) -> int:
        return len(self._snapshot)
