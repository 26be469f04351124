"""The Order aggregate and its explicit status machine.

``TRANSITIONS`` is the single source of truth for which status may follow which; every status change
goes through ``Order.transition_to`` (or a verb built on it), which raises ``IllegalTransition`` for
anything else and records an ``OrderStatusChanged`` event. Webhook handlers use ``can_transition_to``
to drop late or out-of-order provider events without moving an order backwards.

Print the machine with
``python -c "from reference_service.domain.orders import TRANSITIONS as T; print(T)"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from reference_service.domain.errors import IllegalTransition, InvalidOrder
from reference_service.domain.events import Event, OrderCancelled, OrderCreated, OrderStatusChanged
from reference_service.domain.money import Money, check_chargeable

MAX_ITEMS = 100
MAX_QUANTITY = 10_000
MAX_UNIT_AMOUNT = 100_000_000  # 1,000,000.00 in a two-decimal currency


class OrderStatus(StrEnum):
    CREATED = "CREATED"
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    DISPUTED = "DISPUTED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    #: the service could not accept it (``status_reason``: ``out_of_stock``); no payment may start
    REJECTED = "REJECTED"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    # a payment attempt starts; the order can be abandoned before paying
    # (or inventory rejects it: out of stock)
    OrderStatus.CREATED: frozenset(
        {OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.REJECTED}
    ),
    # the provider decides; a succeeded payment may also arrive while the client still waits
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED, OrderStatus.REJECTED}
    ),
    # the customer may retry with another method, or give up
    OrderStatus.PAYMENT_FAILED: frozenset(
        {OrderStatus.PENDING_PAYMENT, OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.REJECTED}
    ),
    # a paid order ships, is refunded, disputed, or cancelled (which triggers a refund)
    OrderStatus.PAID: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.REFUNDED, OrderStatus.DISPUTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.DISPUTED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.REFUNDED, OrderStatus.DISPUTED}),
    # a dispute ends in a refund (lost) or stays as it is (won: the order keeps DISPUTED history)
    OrderStatus.DISPUTED: frozenset({OrderStatus.REFUNDED}),
    # a cancelled paid order becomes REFUNDED when the provider confirms the refund
    OrderStatus.CANCELLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.REFUNDED: frozenset({OrderStatus.DISPUTED}),
    # final: a payment that still succeeds afterwards is refunded (payments.refund_late_success)
    OrderStatus.REJECTED: frozenset(),
}

#: statuses from which ``cancel`` is allowed without a refund
CANCELLABLE_UNPAID = frozenset({OrderStatus.CREATED, OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED})


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LineItem:
    """One line of an order: a SKU, a quantity and a unit price in minor units."""

    sku: str
    name: str
    quantity: int
    unit_amount: int

    def __post_init__(self) -> None:
        if not self.sku.strip():
            raise InvalidOrder("sku must not be blank", "sku")
        if not self.name.strip():
            raise InvalidOrder("name must not be blank", "name")
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidOrder(f"quantity must be between 1 and {MAX_QUANTITY}", "quantity")
        if not 0 <= self.unit_amount <= MAX_UNIT_AMOUNT:
            raise InvalidOrder(f"unit_amount must be between 0 and {MAX_UNIT_AMOUNT}", "unit_amount")

    @property
    def line_total(self) -> int:
        return self.quantity * self.unit_amount

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "quantity": self.quantity,
            "unit_amount": self.unit_amount,
            "line_total": self.line_total,
        }


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """Who to notify about an order. PII: stored encrypted, never put in events or logs."""

    name: str
    email: str
    phone: str | None = None

    def masked(self) -> CustomerContact:
        """The contact as it may be shown: enough to recognise, not enough to harvest
        (``j***@example.com``, ``********4567``)."""
        local, _, domain = self.email.partition("@")
        phone = f"{'*' * max(0, len(self.phone) - 4)}{self.phone[-4:]}" if self.phone else None
        return CustomerContact(self.name, f"{local[:1]}***@{domain}", phone)


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    """Where a parcel goes. PII: stored encrypted, never in events or logs."""

    name: str
    street1: str
    city: str
    state: str
    zip: str
    country: str = "US"
    street2: str | None = None
    company: str | None = None
    phone: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "company": self.company,
            "street1": self.street1,
            "street2": self.street2,
            "city": self.city,
            "state": self.state,
            "zip": self.zip,
            "country": self.country,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShippingAddress:
        return cls(
            name=data["name"],
            street1=data["street1"],
            city=data["city"],
            state=data["state"],
            zip=data["zip"],
            country=data.get("country") or "US",
            street2=data.get("street2"),
            company=data.get("company"),
            phone=data.get("phone"),
        )


@dataclass(eq=False)
class Order:
    """An order: who buys, what, for how much, and where it is in its lifecycle.

    Aggregates record events in ``events``; the unit of work moves them to the outbox on commit.
    ``version`` is the optimistic-locking counter the repository checks on save.
    """

    id: str
    customer_ref: str
    currency: str
    items: tuple[LineItem, ...]
    status: OrderStatus = OrderStatus.CREATED
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    cancellation_reason: str | None = None
    customer: CustomerContact | None = None
    status_reason: str | None = None
    shipping_address: ShippingAddress | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def create(
        cls,
        order_id: str,
        customer_ref: str,
        currency: str,
        items: list[LineItem],
        metadata: dict[str, str] | None = None,
        now: datetime | None = None,
        customer: CustomerContact | None = None,
        shipping_address: ShippingAddress | None = None,
    ) -> Order:
        """Validate and build a new order in CREATED, recording ``OrderCreated``."""
        if not customer_ref.strip():
            raise InvalidOrder("customer_ref must not be blank", "customer_ref")
        if not items:
            raise InvalidOrder("an order needs at least one line item", "items")
        if len(items) > MAX_ITEMS:
            raise InvalidOrder(f"an order holds at most {MAX_ITEMS} line items", "items")
        Money.zero(currency)  # validates the code's shape
        moment = now or _now()
        order = cls(
            id=order_id,
            customer_ref=customer_ref,
            currency=currency,
            items=tuple(items),
            metadata=dict(metadata or {}),
            created_at=moment,
            updated_at=moment,
            customer=customer,
            shipping_address=shipping_address,
        )
        check_chargeable(order.total)
        order.events.append(
            OrderCreated(
                order_id=order.id,
                customer_ref=customer_ref,
                currency=currency,
                total_amount=order.total.amount,
                items=tuple(item.to_dict() for item in order.items),
                occurred_at=moment,
            )
        )
        return order

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            total = total + Money(item.line_total, self.currency)
        return total

    def can_transition_to(self, target: OrderStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def transition_to(
        self, target: OrderStatus, reason: str | None = None, now: datetime | None = None
    ) -> None:
        """Move to ``target`` or raise ``IllegalTransition``; records ``OrderStatusChanged``."""
        if not self.can_transition_to(target):
            raise IllegalTransition("order", self.id, self.status.value, target.value)
        previous = self.status
        self.status = target
        self.status_reason = reason
        self.updated_at = now or _now()
        self.events.append(
            OrderStatusChanged(
                order_id=self.id,
                previous_status=previous.value,
                status=target.value,
                reason=reason,
                occurred_at=self.updated_at,
            )
        )

    def reject(self, reason: str, now: datetime | None = None) -> None:
        """The service cannot fulfil the order (e.g. ``out_of_stock``): REJECTED before it is paid; a
        paid order is cancelled instead, which refunds it."""
        if self.can_transition_to(OrderStatus.REJECTED):
            self.transition_to(OrderStatus.REJECTED, reason, now)
        else:
            self.cancel(reason, now)

    def cancel(self, reason: str | None = None, now: datetime | None = None) -> None:
        """Cancel the order. A paid order is cancelled with ``refund_required`` set on the event."""
        previous = self.status
        self.transition_to(OrderStatus.CANCELLED, reason, now)
        self.cancellation_reason = reason
        self.events.append(
            OrderCancelled(
                order_id=self.id,
                previous_status=previous.value,
                reason=reason,
                refund_required=previous not in CANCELLABLE_UNPAID,
                occurred_at=self.updated_at,
            )
        )
