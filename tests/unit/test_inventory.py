"""Inventory use cases on fakes: reserve all-or-nothing, reject out of stock, release, consume on ship,
and one effect per event id (the consumer inbox)."""

from __future__ import annotations

import pytest

from reference_service.domain import commands
from reference_service.domain.errors import IllegalTransition
from reference_service.domain.events import OrderCancelled, OrderCreated, OrderStatusChanged
from reference_service.domain.inventory import InvalidStock, ReservationStatus
from reference_service.domain.orders import LineItem, Order, OrderStatus
from reference_service.service_layer.handlers import inventory
from tests.fakes import FakeDatabase, FixedClock


def stocked(db: FakeDatabase, clock: FixedClock, **on_hand: int) -> None:
    for sku, qty in on_hand.items():
        inventory.set_stock(commands.SetStock(sku, qty), uow_factory=db, clock=clock)


def place(db: FakeDatabase, *lines: tuple[str, int]) -> tuple[Order, OrderCreated]:
    order = Order.create(
        f"ord_{len(db.orders)}", "cus_1", "USD", [LineItem(sku, sku, qty, 100) for sku, qty in lines]
    )
    created = order.events[0]
    assert isinstance(created, OrderCreated)
    order.events.clear()
    db.orders[order.id] = order
    return order, created


def test_reserve_holds_every_managed_sku_and_ignores_unmanaged_ones() -> None:
    db, clock = FakeDatabase(), FixedClock()
    stocked(db, clock, A=5, B=2)
    order, created = place(db, ("A", 2), ("B", 1), ("A", 1), ("GIFTCARD", 1))
    assert inventory.reserve_stock(created, uow_factory=db, clock=clock) == "reserved"
    assert (db.stock["A"].reserved, db.stock["A"].available, db.stock["B"].reserved) == (3, 2, 1)
    reservation = db.reservations[order.id]
    assert [(line.sku, line.quantity) for line in reservation.lines] == [("A", 3), ("B", 1)]
    assert db.orders[order.id].status is OrderStatus.CREATED


def test_the_same_event_twice_reserves_once() -> None:
    db, clock = FakeDatabase(), FixedClock()
    stocked(db, clock, A=5)
    _, created = place(db, ("A", 2))
    assert inventory.reserve_stock(created, uow_factory=db, clock=clock) == "reserved"
    assert inventory.reserve_stock(created, uow_factory=db, clock=clock) == "duplicate"
    assert db.stock["A"].reserved == 2


def test_short_stock_reserves_nothing_and_rejects_the_order_out_of_stock() -> None:
    db, clock = FakeDatabase(), FixedClock()
    stocked(db, clock, A=5, B=1)
    order, created = place(db, ("A", 2), ("B", 2))
    assert inventory.reserve_stock(created, uow_factory=db, clock=clock) == "rejected"
    assert db.stock["A"].reserved == 0 and db.stock["B"].reserved == 0
    rejected = db.orders[order.id]
    assert rejected.status is OrderStatus.REJECTED and rejected.status_reason == "out_of_stock"
    changed = [e for e in db.outbox if isinstance(e, OrderStatusChanged)]
    assert [(e.status, e.reason) for e in changed] == [("REJECTED", "out_of_stock")]
    with pytest.raises(IllegalTransition):  # no payment can start: PENDING_PAYMENT is not reachable
        rejected.transition_to(OrderStatus.PENDING_PAYMENT)


def test_cancel_releases_and_ship_consumes_each_once() -> None:
    db, clock = FakeDatabase(), FixedClock()
    stocked(db, clock, A=5)
    first, created = place(db, ("A", 2))
    inventory.reserve_stock(created, uow_factory=db, clock=clock)
    cancelled = OrderCancelled(order_id=first.id, previous_status="CREATED")
    assert inventory.release_stock(cancelled, uow_factory=db, clock=clock) == "released"
    assert inventory.release_stock(cancelled, uow_factory=db, clock=clock) == "duplicate"
    assert db.stock["A"].reserved == 0 and db.reservations[first.id].status is ReservationStatus.RELEASED

    second, created = place(db, ("A", 3))
    inventory.reserve_stock(created, uow_factory=db, clock=clock)
    shipped = OrderStatusChanged(order_id=second.id, previous_status="PAID", status="SHIPPED")
    assert inventory.consume_stock(shipped, uow_factory=db, clock=clock) == "consumed"
    assert inventory.consume_stock(shipped, uow_factory=db, clock=clock) == "duplicate"
    assert (db.stock["A"].on_hand, db.stock["A"].reserved) == (2, 0)
    paid = OrderStatusChanged(order_id=second.id, previous_status="CREATED", status="PAID")
    assert inventory.consume_stock(paid, uow_factory=db, clock=clock) == "ignored"


def test_stock_cannot_drop_below_what_is_reserved() -> None:
    db, clock = FakeDatabase(), FixedClock()
    stocked(db, clock, A=5)
    _, created = place(db, ("A", 4))
    inventory.reserve_stock(created, uow_factory=db, clock=clock)
    with pytest.raises(InvalidStock):
        stocked(db, clock, A=3)
    with pytest.raises(InvalidStock):
        stocked(db, clock, B=-1)
    assert db.stock["A"].on_hand == 5
