"""Commands: requests to change the system. Each has exactly one handler, which may raise."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference_service.domain.orders import CustomerContact, ShippingAddress
from reference_service.domain.payments import ProviderPaymentEvent


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
    customer: CustomerContact | None = None
    shipping_address: ShippingAddress | None = None


@dataclass(frozen=True)
class CancelOrder(Command):
    order_id: str
    reason: str | None = None


@dataclass(frozen=True)
class StartPayment(Command):
    """Start (or resume) paying an order through ``provider``; ``payment_method`` confirms server-side."""

    order_id: str
    provider: str
    payment_method: str | None = None
    return_url: str | None = None
    cancel_url: str | None = None
    #: the customer whose orders alone the caller may pay (a customer's own token); ``None``: any order.
    #: Checked in the transaction that starts the attempt: another customer's order is "not found"
    owner: str | None = None


@dataclass(frozen=True)
class CapturePayment(Command):
    order_id: str
    payment_id: str
    #: PayPal sandbox negative testing, forwarded as ``PayPal-Mock-Response``
    mock_response: str | None = None


@dataclass(frozen=True)
class ApplyPaymentEvent(Command):
    """Apply a provider event once (deduplicated by provider event id)."""

    event: ProviderPaymentEvent


@dataclass(frozen=True)
class SetStock(Command):
    """Set the units on hand of a SKU (an operator's count); the SKU becomes managed inventory."""

    sku: str
    on_hand: int
