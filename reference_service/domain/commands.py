"""Commands: requests to change the system. Each has exactly one handler, which may raise."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    """Base class for commands."""


@dataclass(frozen=True)
class LineItemSpec:
    sku: str
    name: str
    quantity: int
    unit_amount: int


@dataclass(frozen=True)
class CreateOrder(Command):
    """Create an order. ``idempotency_key`` + ``request_fingerprint`` make a retry replay the first result."""

    customer_ref: str
    currency: str
    items: tuple[LineItemSpec, ...]
    metadata: dict[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None
    request_fingerprint: str | None = None


@dataclass(frozen=True)
class CancelOrder(Command):
    order_id: str
    reason: str | None = None
