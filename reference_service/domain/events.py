"""Domain events: facts an aggregate records when its state changes.

Events are written to the transactional outbox in the same database transaction as the change
(``adapters/unit_of_work.py``) and handed to subscribers by the relay (``service_layer/outbox.py``).
Each event class has a stable ``name`` used as the outbox ``event_type`` and, later, the Kafka
message type; ``to_payload`` / ``from_payload`` round-trip it through JSON. Inspect queued events
with ``SELECT event_type, payload FROM outbox WHERE dispatched_at IS NULL``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import uuid4


def _now() -> datetime:
    return datetime.now(UTC)


def _event_id() -> str:
    return str(uuid4())


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base event. ``event_id`` is unique per fact; subscribers deduplicate on it."""

    name: ClassVar[str] = "event"
    aggregate_type: ClassVar[str] = ""
    #: the field holding the id of the aggregate this event belongs to (the Kafka message key)
    aggregate_id_field: ClassVar[str] = ""
    event_id: str = field(default_factory=_event_id)
    occurred_at: datetime = field(default_factory=_now)

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_id_field))

    def to_payload(self) -> dict[str, Any]:
        """A JSON-ready dict of the event's fields (datetimes as ISO 8601 strings)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Event:
        """Rebuild an event from ``to_payload`` output; unknown keys are ignored (forward compatible)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in payload.items() if k in names}
        if "occurred_at" in kwargs and isinstance(kwargs["occurred_at"], str):
            kwargs["occurred_at"] = datetime.fromisoformat(kwargs["occurred_at"])
        if "items" in kwargs and isinstance(kwargs["items"], list):
            kwargs["items"] = tuple(kwargs["items"])
        return cls(**kwargs)


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    name: ClassVar[str] = "order.created"
    aggregate_type: ClassVar[str] = "order"
    aggregate_id_field: ClassVar[str] = "order_id"
    order_id: str
    customer_ref: str
    currency: str
    total_amount: int
    items: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(Event):
    name: ClassVar[str] = "order.status_changed"
    aggregate_type: ClassVar[str] = "order"
    aggregate_id_field: ClassVar[str] = "order_id"
    order_id: str
    previous_status: str
    status: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(Event):
    name: ClassVar[str] = "order.cancelled"
    aggregate_type: ClassVar[str] = "order"
    aggregate_id_field: ClassVar[str] = "order_id"
    order_id: str
    previous_status: str
    reason: str | None = None
    refund_required: bool = False


def event_class(name: str) -> type[Event]:
    """The event class whose ``name`` is ``name``, found among every subclass of ``Event``.

    Derived from the class tree on each call (no registry to keep in sync, no mutable module state).
    Raises ``KeyError`` for an unknown name.
    """
    pending: list[type[Event]] = list(Event.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.name == name:
            return cls
        pending.extend(cls.__subclasses__())
    raise KeyError(name)
