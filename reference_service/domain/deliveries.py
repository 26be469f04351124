"""The Delivery aggregate: a parcel sent for an order, and its status machine (pure: no I/O).

``TRANSITIONS`` is the single source of truth. A delivery starts ``PENDING`` while its label is being bought
(so a second request for the same order finds it and never buys a second label), becomes ``LABEL_CREATED``
with a tracking number, then follows the carrier: ``IN_TRANSIT -> OUT_FOR_DELIVERY -> DELIVERED``, or ends
``RETURNED`` / ``FAILED``. It can be ``CANCELLED`` only before the carrier picked it up. Updates may skip
statuses (a missed webhook) but never go back: :meth:`Delivery.track` reports a late or out-of-order update
as stale and changes nothing. Each change records ``DeliveryStatusChanged``.

The order mirrors the delivery (``order_status_for``): SHIPPED once the carrier has the parcel, DELIVERED
when it arrives.

Print the machine with
``python -c "from reference_service.domain.deliveries import TRANSITIONS as T; print(T)"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from reference_service.domain.errors import IllegalTransition
from reference_service.domain.events import Event
from reference_service.domain.orders import OrderStatus


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    LABEL_CREATED = "LABEL_CREATED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    RETURNED = "RETURNED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


S = DeliveryStatus
FINAL = frozenset({S.DELIVERED, S.RETURNED, S.FAILED, S.CANCELLED})
#: how far along a parcel is; an update to a lower rank is stale
RANK: dict[DeliveryStatus, int] = {
    S.PENDING: 0,
    S.LABEL_CREATED: 1,
    S.IN_TRANSIT: 2,
    S.OUT_FOR_DELIVERY: 3,
    S.DELIVERED: 4,
    S.RETURNED: 4,
    S.FAILED: 4,
    S.CANCELLED: 4,
}
TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    S.PENDING: frozenset({S.LABEL_CREATED, S.CANCELLED}),
    # a label not yet scanned can still be cancelled (its postage refunded)
    S.LABEL_CREATED: frozenset(
        {S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.RETURNED, S.FAILED, S.CANCELLED}
    ),
    S.IN_TRANSIT: frozenset({S.OUT_FOR_DELIVERY, S.DELIVERED, S.RETURNED, S.FAILED}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.RETURNED, S.FAILED}),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
#: the statuses a reconciliation still asks the carrier about
OPEN = frozenset({S.LABEL_CREATED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY})


def order_status_for(status: DeliveryStatus) -> OrderStatus | None:
    """The order status a delivery status implies (``None``: the order stays as it is)."""
    if status in (S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.RETURNED, S.FAILED):
        return OrderStatus.SHIPPED
    if status == S.DELIVERED:
        return OrderStatus.DELIVERED
    return None


@dataclass(frozen=True, slots=True)
class Parcel:
    """A parcel's weight in ounces and, optionally, its size in inches."""

    weight_oz: float
    length_in: float | None = None
    width_in: float | None = None
    height_in: float | None = None


@dataclass(frozen=True, kw_only=True)
class DeliveryCreated(Event):
    name: ClassVar[str] = "delivery.created"
    aggregate_type: ClassVar[str] = "delivery"
    aggregate_id_field: ClassVar[str] = "delivery_id"
    delivery_id: str
    order_id: str
    carrier: str
    service: str
    tracking_number: str
    amount: int
    currency: str


@dataclass(frozen=True, kw_only=True)
class DeliveryStatusChanged(Event):
    name: ClassVar[str] = "delivery.status_changed"
    aggregate_type: ClassVar[str] = "delivery"
    aggregate_id_field: ClassVar[str] = "delivery_id"
    delivery_id: str
    order_id: str
    previous_status: str
    status: str
    carrier: str | None = None
    tracking_number: str | None = None
    source: str = "api"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One entry of a delivery's history (``applied`` false: a stale update that changed nothing)."""

    status: str
    provider_status: str | None
    source: str
    applied: bool
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "provider_status": self.provider_status,
            "source": self.source,
            "applied": self.applied,
            "at": self.at.isoformat(),
        }


@dataclass(eq=False)
class Delivery:
    """A delivery of one order's parcel (see the module docstring); ``version`` is its optimistic lock."""

    id: str
    order_id: str
    quote_id: str
    provider: str
    status: DeliveryStatus
    created_at: datetime
    updated_at: datetime
    carrier: str | None = None
    service: str | None = None
    amount: int | None = None
    currency: str | None = None
    tracking_number: str | None = None
    label_url: str | None = None
    provider_ref: str | None = None
    est_delivery_at: datetime | None = None
    cancellation_reason: str | None = None
    history: list[StatusChange] = field(default_factory=list)
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def start(cls, delivery_id: str, order_id: str, quote_id: str, provider: str, now: datetime) -> Delivery:
        """A delivery whose label is about to be bought (``PENDING``)."""
        delivery = cls(delivery_id, order_id, quote_id, provider, S.PENDING, now, now)
        delivery.history.append(StatusChange(S.PENDING.value, None, "api", True, now))
        return delivery

    @property
    def active(self) -> bool:
        """Not cancelled: the order's one delivery."""
        return self.status != S.CANCELLED

    def can_transition_to(self, target: DeliveryStatus) -> bool:
        return target in TRANSITIONS[self.status]

    def _move(self, target: DeliveryStatus, now: datetime, source: str, provider_status: str | None) -> None:
        if not self.can_transition_to(target):
            raise IllegalTransition("delivery", self.id, self.status.value, target.value)
        previous = self.status
        self.status = target
        self.updated_at = now
        self.history.append(StatusChange(target.value, provider_status, source, True, now))
        self.events.append(
            DeliveryStatusChanged(
                delivery_id=self.id,
                order_id=self.order_id,
                previous_status=previous.value,
                status=target.value,
                carrier=self.carrier,
                tracking_number=self.tracking_number,
                source=source,
                occurred_at=now,
            )
        )

    def label_created(
        self,
        *,
        carrier: str,
        service: str,
        amount: int,
        currency: str,
        tracking_number: str,
        label_url: str | None,
        provider_ref: str,
        est_delivery_at: datetime | None,
        now: datetime,
    ) -> None:
        """The carrier sold the label: record it (``DeliveryCreated``) and move to ``LABEL_CREATED``."""
        self.carrier, self.service, self.amount, self.currency = carrier, service, amount, currency
        self.tracking_number, self.label_url, self.provider_ref = tracking_number, label_url, provider_ref
        self.est_delivery_at = est_delivery_at
        self._move(S.LABEL_CREATED, now, "api", None)
        self.events.append(
            DeliveryCreated(
                delivery_id=self.id,
                order_id=self.order_id,
                carrier=carrier,
                service=service,
                tracking_number=tracking_number,
                amount=amount,
                currency=currency,
                occurred_at=now,
            )
        )

    def track(
        self,
        target: DeliveryStatus,
        now: datetime,
        *,
        source: str,
        provider_status: str | None = None,
        est_delivery_at: datetime | None = None,
    ) -> str:
        """Apply a carrier update: ``applied``, ``duplicate-state`` (already there) or ``stale`` (behind, or
        a move the machine forbids); only ``applied`` changes anything (the history records the rest)."""
        if est_delivery_at is not None and self.status not in FINAL:
            self.est_delivery_at = est_delivery_at
        if target == self.status:
            return "duplicate-state"
        if RANK[target] < RANK[self.status] or not self.can_transition_to(target):
            self.history.append(StatusChange(target.value, provider_status, source, False, now))
            self.updated_at = now
            return "stale"
        self._move(target, now, source, provider_status)
        return "applied"

    def cancel(self, reason: str | None, now: datetime) -> None:
        """Cancel before pickup (``IllegalTransition`` once the carrier has the parcel)."""
        self._move(S.CANCELLED, now, "api", None)
        self.cancellation_reason = reason
