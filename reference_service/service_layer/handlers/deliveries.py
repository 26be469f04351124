"""Delivery use cases: validate an address, quote, buy the label, cancel, and apply carrier tracking updates.

No database transaction is open during a carrier call. Buying a label is three steps: (1) reserve the order's
delivery (``PENDING``; at most one active delivery per order, enforced by a unique key); (2) ask the carrier
for the label of the chosen quote; (3) record it (``LABEL_CREATED``). If step 2 fails in a retryable way the
delivery stays ``PENDING`` and the next request for the same order and quote *resumes* it, and the carrier
adapter returns a label already bought for that quote instead of buying another: one order never gets two
labels.

Tracking updates (webhooks, ``genai-demo reconcile logistics``) go through ``apply_tracking_update``:
deduplicated by the provider's event id in the webhook inbox, in the same transaction as their effect, and
only ever moving a delivery forward. The order mirrors it (SHIPPED, then DELIVERED).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from reference_service.domain.deliveries import Delivery, DeliveryStatus, Parcel, order_status_for
from reference_service.domain.delivery_commands import (
    ApplyTrackingUpdate,
    CancelDelivery,
    CreateDelivery,
    QuoteShipping,
    ValidateAddress,
)
from reference_service.domain.errors import IllegalTransition
from reference_service.domain.orders import Order, OrderStatus, ShippingAddress
from reference_service.ports import (
    AddressValidationResult,
    Clock,
    DeliveryRequest,
    IdGenerator,
    LogisticsProvider,
    ShippingQuote,
    ShippingRequest,
    UnitOfWorkFactory,
)
from reference_service.service_layer.delivery_errors import (
    AddressInvalid,
    DeliveryConflict,
    DeliveryNotCancellable,
    ShippingAddressMissing,
    ShippingQuoteInvalid,
)
from reference_service.service_layer.errors import ConcurrencyConflict, DuplicateWebhookEvent, NotFound
from reference_service.service_layer.outcomes import Created, Receipt, Updated

logger = logging.getLogger(__name__)
#: ounces per line-item unit when a quote names no parcel (the lab's catalogue has no weights)
DEFAULT_UNIT_WEIGHT_OZ = 8.0
MAX_PARCEL_OZ = 2400.0


@dataclass(frozen=True)
class TrackingReceipt(Receipt):
    """A tracking update was taken; the delivery it matched and its status after it (when matched)."""

    delivery_id: str | None = None
    status: str | None = None


def _retry_conflicts() -> Retrying:
    return Retrying(
        retry=retry_if_exception_type(ConcurrencyConflict), stop=stop_after_attempt(4), reraise=True
    )


def validate_address(cmd: ValidateAddress, *, provider: LogisticsProvider) -> AddressValidationResult:
    """The carrier's verdict; ``AddressInvalid`` (its reasons per field) when the address does not exist."""
    result = provider.validate_address(cmd.address)
    if not result.valid:
        raise AddressInvalid(result.issues)
    return result


def default_parcel(order: Order) -> Parcel:
    """A parcel for an order's items when the caller names none: ``DEFAULT_UNIT_WEIGHT_OZ`` per unit."""
    units = sum(item.quantity for item in order.items)
    return Parcel(min(MAX_PARCEL_OZ, DEFAULT_UNIT_WEIGHT_OZ * units), 12.0, 9.0, 4.0)


def quote_shipping(
    cmd: QuoteShipping,
    *,
    uow_factory: UnitOfWorkFactory,
    provider: LogisticsProvider,
    ship_from: Callable[[], ShippingAddress],
) -> list[ShippingQuote]:
    """Rates from the warehouse (``ship_from``) to the order's address, cheapest first."""
    with uow_factory() as uow:
        order = uow.orders.get(cmd.order_id)
        if order is None:
            raise NotFound("order", cmd.order_id)
        if order.shipping_address is None:
            raise ShippingAddressMissing(order.id)
        request = ShippingRequest(
            order.id, order.shipping_address, ship_from(), cmd.parcel or default_parcel(order)
        )
    return provider.calculate_shipping_cost(request)


def _reserve(cmd: CreateDelivery, uow_factory: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> Delivery:
    """The order's delivery to buy a label for: a new PENDING one, or the PENDING one of the same quote."""
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            order = uow.orders.get(cmd.order_id)
            if order is None:
                raise NotFound("order", cmd.order_id)
            active = [d for d in uow.deliveries.for_order(order.id) if d.active]
            if active:
                current = active[-1]
                if current.quote_id != cmd.quote_id:
                    raise DeliveryConflict(
                        f"order {order.id} already has delivery {current.id} ({current.status.value})",
                        current.id,
                    )
                return current
            if order.status != OrderStatus.PAID:
                raise IllegalTransition("order", order.id, order.status.value, OrderStatus.SHIPPED.value)
            if order.shipping_address is None:
                raise ShippingAddressMissing(order.id)
            delivery = Delivery.start(ids.new_id("dlv"), order.id, cmd.quote_id, "easypost", clock.now())
            uow.deliveries.add(delivery)
            uow.commit()
            return delivery
    raise AssertionError("unreachable")  # pragma: no cover


def _update(uow_factory: UnitOfWorkFactory, delivery_id: str, change: Callable[[Delivery], None]) -> Delivery:
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            delivery = uow.deliveries.get(delivery_id)
            if delivery is None:  # pragma: no cover - reserved first
                raise NotFound("delivery", delivery_id)
            change(delivery)
            uow.commit()
            return delivery
    raise AssertionError("unreachable")  # pragma: no cover


def create_delivery(
    cmd: CreateDelivery,
    *,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    ids: IdGenerator,
    provider: LogisticsProvider,
) -> Created[Delivery] | Updated[Delivery]:
    """Buy the label of a quote for a PAID order (``Created``), or answer the order's delivery for that quote
    again (``Updated``); see the module docstring for the three steps."""
    delivery = _reserve(cmd, uow_factory, clock, ids)
    if delivery.status != DeliveryStatus.PENDING:
        return Updated(delivery)
    try:
        label = provider.create_delivery_order(DeliveryRequest(delivery.id, cmd.order_id, cmd.quote_id))
    except ShippingQuoteInvalid as invalid:
        reason = str(invalid)[:255]
        _update(uow_factory, delivery.id, lambda d: d.cancel(reason, clock.now()))
        raise
    created = _update(
        uow_factory,
        delivery.id,
        lambda d: d.label_created(
            carrier=label.carrier,
            service=label.service,
            amount=label.amount,
            currency=label.currency,
            tracking_number=label.tracking_number,
            label_url=label.label_url,
            provider_ref=label.provider_ref,
            est_delivery_at=label.est_delivery_at,
            now=clock.now(),
        ),
    )
    logger.info("delivery %s of order %s: label bought from %s", created.id, cmd.order_id, label.carrier)
    return Created(created)


def cancel_delivery(
    cmd: CancelDelivery, *, uow_factory: UnitOfWorkFactory, clock: Clock, provider: LogisticsProvider
) -> Updated[Delivery]:
    """Cancel before pickup: the carrier refunds the label, then the delivery is CANCELLED. After pickup the
    machine (or the carrier, when the service has not heard of the pickup yet) refuses: 409."""
    with uow_factory() as uow:
        delivery = uow.deliveries.get(cmd.delivery_id)
        if delivery is None:
            raise NotFound("delivery", cmd.delivery_id)
        if not delivery.can_transition_to(DeliveryStatus.CANCELLED):
            raise IllegalTransition(
                "delivery", delivery.id, delivery.status.value, DeliveryStatus.CANCELLED.value
            )
        provider_ref = delivery.provider_ref
    if provider_ref is not None:
        try:
            provider.cancel_delivery(provider_ref, cmd.reason)
        except DeliveryNotCancellable as refused:
            raise DeliveryNotCancellable(cmd.delivery_id, refused.reason) from refused
    cancelled = _update(uow_factory, cmd.delivery_id, lambda d: d.cancel(cmd.reason, clock.now()))
    logger.info("delivery %s cancelled", cancelled.id)
    return Updated(cancelled)


def mirror_order(order: Order, status: DeliveryStatus, reason: str, clock: Clock) -> None:
    """Move the order to what the delivery implies (PAID -> SHIPPED -> DELIVERED), never backwards."""
    target = order_status_for(status)
    if target is None or order.status == target:
        return
    if target == OrderStatus.DELIVERED and order.can_transition_to(OrderStatus.SHIPPED):
        order.transition_to(OrderStatus.SHIPPED, reason, clock.now())
    if order.can_transition_to(target):
        order.transition_to(target, reason, clock.now())


def apply_tracking_update(
    cmd: ApplyTrackingUpdate, *, uow_factory: UnitOfWorkFactory, clock: Clock
) -> TrackingReceipt:
    """Apply one carrier update at most once: ``applied``, ``stale``, ``duplicate-state``, ``duplicate``
    (event seen), ``ignored`` (a status that says nothing) or ``unmatched`` (no delivery has that tracking
    number: not recorded, so a redelivery can still match)."""
    for attempt in _retry_conflicts():
        with attempt, uow_factory() as uow:
            if uow.webhook_inbox.seen(cmd.provider, cmd.event_id):
                return TrackingReceipt("duplicate")
            delivery = uow.deliveries.get_by_tracking_number(cmd.tracking_number)
            if delivery is None:
                return TrackingReceipt("unmatched")
            if cmd.status is None:
                outcome = "ignored"
            elif cmd.status == DeliveryStatus.CANCELLED and delivery.status == DeliveryStatus.CANCELLED:
                outcome = "duplicate-state"
            else:
                outcome = delivery.track(
                    cmd.status,
                    clock.now(),
                    source=cmd.source,
                    provider_status=cmd.provider_status,
                    est_delivery_at=cmd.est_delivery_at,
                )
            if outcome == "applied":
                order = uow.orders.get(delivery.order_id)
                if order is not None:
                    mirror_order(
                        order, delivery.status, f"delivery {delivery.id} {delivery.status.value}", clock
                    )
            uow.webhook_inbox.record(
                cmd.provider,
                cmd.event_id,
                f"{cmd.event_type}.{cmd.provider_status}"[:100],
                outcome,
                delivery.id,
            )
            try:
                uow.commit()
            except DuplicateWebhookEvent:
                return TrackingReceipt("duplicate")
            return TrackingReceipt(outcome, delivery.id, delivery.status.value)
    raise AssertionError("unreachable")  # pragma: no cover
