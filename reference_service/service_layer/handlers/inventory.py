"""Inventory use cases: the seed's ``OrderEventHandler`` (reserve on ``order.created``, release on
``order.cancelled``) plus consuming stock when the order ships, and the operator's stock count.

Each event handler runs in one unit of work with the consumer inbox: the inbox row (handler name,
event id) and the effect commit together, so a redelivered event (Kafka rebalance, a consumer killed
before it committed its offset, a relay retry) has exactly one effect. These handlers run in
``genai-demo consumer`` when Kafka is configured, and on the outbox relay's bus otherwise.

Out of stock: nothing is reserved and the order is REJECTED with reason ``out_of_stock`` (an
``order.status_changed`` event); a REJECTED order accepts no payment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from reference_service.domain import commands
from reference_service.domain.events import OrderCancelled, OrderCreated, OrderStatusChanged
from reference_service.domain.inventory import (
    OUT_OF_STOCK,
    Reservation,
    ReservationStatus,
    StockLevel,
    demand,
)
from reference_service.domain.orders import Order, OrderStatus
from reference_service.ports import Clock, UnitOfWork, UnitOfWorkFactory
from reference_service.service_layer.outcomes import Updated

logger = logging.getLogger(__name__)

RESERVE = "inventory.reserve"
RELEASE = "inventory.release"
CONSUME = "inventory.consume"


def set_stock(cmd: commands.SetStock, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> Updated[StockLevel]:
    """Create or update a SKU's units on hand; refused (``InvalidStock``) below what is reserved."""
    with uow_factory() as uow:
        level = uow.inventory.set_on_hand(cmd.sku, cmd.on_hand, clock.now())
        uow.commit()
    return Updated(level)


def reserve_stock(event: OrderCreated, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> str:
    """Reserve every managed SKU of the order, all or nothing; short → the order is rejected.

    Returns what it did (``reserved``, ``rejected``, ``duplicate``, ``missing``), for tests and logs."""
    now = clock.now()
    with uow_factory() as uow:
        if not uow.consumer_inbox.claim(RESERVE, event.event_id, event.name):
            return "duplicate"
        # the event carries the order's lines, which never change: the order itself (decrypted and
        # tracked) is loaded only to reject it, or for an event written without them
        status = uow.orders.status(event.order_id)
        if status is None or uow.inventory.reservation(event.order_id) is not None:
            uow.commit()
            return "missing" if status is None else "duplicate"
        if event.items:
            lines = [(str(item["sku"]), int(item["quantity"])) for item in event.items]
        else:
            lines = [(item.sku, item.quantity) for item in _order(uow, event.order_id).items]
        held = []
        short = []
        for line in demand(lines):
            outcome = uow.inventory.try_reserve(line.sku, line.quantity, now)
            if outcome is True:
                held.append(line)
            elif outcome is False:
                short.append(line.sku)
        if short:
            for line in held:
                uow.inventory.release(line.sku, line.quantity, now)
            order = _order(uow, event.order_id)
            if order.status not in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
                order.reject(OUT_OF_STOCK, now)
            logger.info("order %s rejected: out of stock for %d SKU(s)", order.id, len(short))
            uow.commit()
            return "rejected"
        if held:
            uow.inventory.save_reservation(Reservation(event.order_id, tuple(held), now, now))
        uow.commit()
    return "reserved"


def _order(uow: UnitOfWork, order_id: str) -> Order:
    order = uow.orders.get(order_id)
    if order is None:  # its status was read in this transaction, and orders are never deleted
        raise LookupError(f"order {order_id} vanished within a transaction")
    return order


def _settle(
    uow_factory: UnitOfWorkFactory,
    consumer: str,
    event: OrderCancelled | OrderStatusChanged,
    settle_line: Callable[[UnitOfWork, str, int, datetime], None],
    settle_reservation: Callable[[Reservation, datetime], None],
    now: datetime,
    done: str,
) -> str:
    """End an order's reservation once per event (the consumer inbox): each line through ``settle_line``,
    then the reservation through ``settle_reservation``; "nothing" when it held none or is already over."""
    with uow_factory() as uow:
        if not uow.consumer_inbox.claim(consumer, event.event_id, event.name):
            return "duplicate"
        reservation = uow.inventory.reservation(event.order_id)
        if reservation is None or reservation.status is not ReservationStatus.RESERVED:
            uow.commit()
            return "nothing"
        for line in reservation.lines:
            settle_line(uow, line.sku, line.quantity, now)
        settle_reservation(reservation, now)
        uow.inventory.save_reservation(reservation)
        uow.commit()
    return done


def release_stock(event: OrderCancelled, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> str:
    """A cancelled order gives its reserved units back (nothing when it held none or already shipped)."""
    return _settle(
        uow_factory,
        RELEASE,
        event,
        lambda uow, sku, quantity, now: uow.inventory.release(sku, quantity, now),
        Reservation.release,
        clock.now(),
        "released",
    )


def consume_stock(event: OrderStatusChanged, *, uow_factory: UnitOfWorkFactory, clock: Clock) -> str:
    """When the order ships, its reserved units leave the warehouse (``on_hand`` and ``reserved`` drop)."""
    if event.status != OrderStatus.SHIPPED.value:
        return "ignored"
    return _settle(
        uow_factory,
        CONSUME,
        event,
        lambda uow, sku, quantity, now: uow.inventory.consume(sku, quantity, now),
        Reservation.consume,
        clock.now(),
        "consumed",
    )
