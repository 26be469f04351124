"""Deliveries against fakes: the status machine (never backwards, cancel only before pickup), the order
mirrored, one label per order even when asked twice or after an outage, and tracking updates applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reference_service.domain.deliveries import Delivery, DeliveryStatus, DeliveryStatusChanged
from reference_service.domain.delivery_commands import ApplyTrackingUpdate, CancelDelivery, CreateDelivery
from reference_service.domain.errors import IllegalTransition
from reference_service.domain.orders import LineItem, Order, OrderStatus, ShippingAddress
from reference_service.service_layer.delivery_errors import (
    DeliveryConflict,
    DeliveryNotCancellable,
    ShippingAddressMissing,
    ShippingQuoteInvalid,
)
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.handlers import deliveries
from reference_service.service_layer.outcomes import Created, Updated
from tests.fakes import FakeDatabase, FakeLogisticsProvider, FixedClock, SequentialIds

S = DeliveryStatus
ADDRESS = ShippingAddress("Ada", "179 N Harbor Dr", "Redondo Beach", "CA", "90277")


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def carrier() -> FakeLogisticsProvider:
    return FakeLogisticsProvider()


def paid_order(db: FakeDatabase, address: ShippingAddress | None = ADDRESS, order_id: str = "ord_1") -> str:
    order = Order.create(order_id, "cus", "USD", [LineItem("MUG", "Mug", 2, 850)], shipping_address=address)
    order.status = OrderStatus.PAID
    order.events = []
    db.orders[order.id] = order
    return order.id


def create(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider, order_id: str, quote: int = 0
):  # type: ignore[no-untyped-def]
    cmd = CreateDelivery(order_id, f"fq_{order_id}_{quote}")
    return deliveries.create_delivery(cmd, uow_factory=db, clock=clock, ids=SequentialIds(), provider=carrier)


def track(db: FakeDatabase, clock: FixedClock, tracking: str, status: S, event_id: str) -> str:
    cmd = ApplyTrackingUpdate(
        "fake-carrier", event_id, "tracker.updated", tracking, status.value.lower(), status, "webhook"
    )
    return deliveries.apply_tracking_update(cmd, uow_factory=db, clock=clock).outcome


def test_the_machine_never_moves_backwards() -> None:
    d = Delivery.start("dlv_1", "ord_1", "q", "fake", FixedClock().now())
    now = FixedClock().now()
    d.label_created(
        carrier="USPS",
        service="Ground",
        amount=575,
        currency="USD",
        tracking_number="T1",
        label_url=None,
        provider_ref="shp_1",
        est_delivery_at=None,
        now=now,
    )
    assert d.track(S.OUT_FOR_DELIVERY, now, source="webhook") == "applied"
    assert d.track(S.IN_TRANSIT, now, source="webhook") == "stale"  # an out-of-order webhook
    assert d.track(S.OUT_FOR_DELIVERY, now, source="webhook") == "duplicate-state"
    assert d.status == S.OUT_FOR_DELIVERY and [h.applied for h in d.history][-1] is False
    with pytest.raises(IllegalTransition):
        d.cancel("too late", now)
    assert d.track(S.DELIVERED, now, source="webhook") == "applied"
    assert [e.status for e in d.events if isinstance(e, DeliveryStatusChanged)] == [
        "LABEL_CREATED",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
    ]


def test_a_label_is_bought_once_per_order(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    first = create(db, clock, carrier, order_id)
    again = create(db, clock, carrier, order_id)
    assert isinstance(first, Created) and isinstance(again, Updated)
    assert first.value.id == again.value.id and first.value.status == S.LABEL_CREATED
    assert [c[0] for c in carrier.calls] == ["create_delivery_order"]
    with pytest.raises(DeliveryConflict):
        create(db, clock, carrier, order_id, quote=1)


def test_an_outage_leaves_the_delivery_pending_and_the_retry_resumes_it(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    carrier.will(
        "create_delivery_order", ProviderError("fake", "LOGISTICS_UNAVAILABLE", "down", retryable=True)
    )
    with pytest.raises(ProviderError):
        create(db, clock, carrier, order_id)
    [pending] = db.deliveries.values()
    assert pending.status == S.PENDING
    resumed = create(db, clock, carrier, order_id)
    assert isinstance(resumed, Created) and resumed.value.id == pending.id and len(carrier.labels) == 1


def test_only_a_paid_order_with_an_address_ships(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    db.orders[order_id].status = OrderStatus.CREATED
    with pytest.raises(IllegalTransition):
        create(db, clock, carrier, order_id)
    with pytest.raises(ShippingAddressMissing):
        create(db, clock, carrier, paid_order(db, None, "ord_2"))


def test_an_invalid_quote_cancels_the_reservation(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    cmd = CreateDelivery(order_id, "fq_ord_other_0")
    with pytest.raises(ShippingQuoteInvalid):
        deliveries.create_delivery(cmd, uow_factory=db, clock=clock, ids=SequentialIds(), provider=carrier)
    [cancelled] = db.deliveries.values()
    assert cancelled.status == S.CANCELLED and not cancelled.active
    assert isinstance(create(db, clock, carrier, order_id), Created)  # the order can ship again


def test_tracking_updates_apply_once_and_mirror_the_order(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    tracking = create(db, clock, carrier, order_id).value.tracking_number
    assert track(db, clock, tracking, S.IN_TRANSIT, "evt_1") == "applied"
    assert db.orders[order_id].status == OrderStatus.SHIPPED
    assert track(db, clock, tracking, S.IN_TRANSIT, "evt_1") == "duplicate"  # the same event again
    clock.advance(60)
    assert track(db, clock, tracking, S.DELIVERED, "evt_3") == "applied"
    assert track(db, clock, tracking, S.OUT_FOR_DELIVERY, "evt_2") == "stale"  # arrived late
    assert db.orders[order_id].status == OrderStatus.DELIVERED
    assert track(db, clock, "UNKNOWN", S.DELIVERED, "evt_4") == "unmatched"


def test_delivered_straight_from_paid_passes_through_shipped(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    tracking = create(db, clock, carrier, order_id).value.tracking_number
    track(db, clock, tracking, S.DELIVERED, "evt_missed_the_rest")
    statuses = [e.status for e in db.outbox if type(e).__name__ == "OrderStatusChanged"]
    assert statuses == ["SHIPPED", "DELIVERED"]


def test_cancel_before_pickup_refunds_after_pickup_is_refused(
    db: FakeDatabase, clock: FixedClock, carrier: FakeLogisticsProvider
) -> None:
    order_id = paid_order(db)
    delivery = create(db, clock, carrier, order_id).value
    cancelled = deliveries.cancel_delivery(
        CancelDelivery(delivery.id, "changed my mind"), uow_factory=db, clock=clock, provider=carrier
    )
    assert cancelled.value.status == S.CANCELLED and cancelled.value.cancellation_reason == "changed my mind"
    other = create(db, clock, carrier, order_id, quote=1).value
    carrier.statuses[other.tracking_number or ""] = S.IN_TRANSIT  # picked up; the service has not heard yet
    with pytest.raises(DeliveryNotCancellable) as refused:
        deliveries.cancel_delivery(CancelDelivery(other.id), uow_factory=db, clock=clock, provider=carrier)
    assert refused.value.delivery_id == other.id and db.deliveries[other.id].status == S.LABEL_CREATED
    clock.advance(timedelta(minutes=1).total_seconds())
