"""Commands of the deliveries area (each has exactly one handler, which may raise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reference_service.domain.commands import Command
from reference_service.domain.deliveries import DeliveryStatus, Parcel
from reference_service.domain.orders import ShippingAddress


@dataclass(frozen=True)
class ValidateAddress(Command):
    """Ask the carrier whether ``address`` exists; ``AddressInvalid`` when it does not."""

    address: ShippingAddress


@dataclass(frozen=True)
class QuoteShipping(Command):
    """Rates for shipping ``order_id``'s parcel to its address (``parcel``: from its items when absent)."""

    order_id: str
    parcel: Parcel | None = None


@dataclass(frozen=True)
class CreateDelivery(Command):
    """Buy the label of ``quote_id`` for a PAID order (at most one active delivery per order)."""

    order_id: str
    quote_id: str


@dataclass(frozen=True)
class CancelDelivery(Command):
    """Cancel before pickup: the carrier refunds the label, or refuses (``DeliveryNotCancellable``)."""

    delivery_id: str
    reason: str | None = None


@dataclass(frozen=True)
class ApplyTrackingUpdate(Command):
    """Apply what the carrier says about a tracking number, once per ``event_id`` (webhook or reconcile)."""

    provider: str
    event_id: str
    event_type: str
    tracking_number: str
    provider_status: str
    status: DeliveryStatus | None
    source: str
    est_delivery_at: datetime | None = None
