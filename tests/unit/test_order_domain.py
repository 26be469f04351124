"""The Order aggregate: invariants, totals, events and the complete status machine."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from reference_service.domain.errors import IllegalTransition, InvalidOrder, UnchargeableAmount
from reference_service.domain.events import OrderCancelled, OrderCreated, OrderStatusChanged, event_class
from reference_service.domain.money import Money
from reference_service.domain.orders import TRANSITIONS, LineItem, Order, OrderStatus
from reference_service.entrypoints.api.schemas import OrderOut

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def make_order(status: OrderStatus = OrderStatus.CREATED) -> Order:
    order = Order.create(
        "ord_1", "cus_1", "USD", [LineItem("A", "Apple", 3, 150), LineItem("B", "Pear", 1, 99)], now=NOW
    )
    order.status = status
    order.events.clear()
    return order


def test_create_computes_total_in_minor_units_and_records_created_event() -> None:
    order = Order.create(
        "ord_1", "cus_1", "USD", [LineItem("A", "Apple", 3, 150), LineItem("B", "Pear", 1, 99)], now=NOW
    )
    assert order.status is OrderStatus.CREATED
    assert order.total == Money(549, "USD")
    [event] = order.events
    assert isinstance(event, OrderCreated)
    assert (event.order_id, event.total_amount, event.currency) == ("ord_1", 549, "USD")
    assert [i["line_total"] for i in event.items] == [450, 99]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"items": []}, "items"),
        ({"customer_ref": "  "}, "customer_ref"),
        ({"currency": "usd"}, "currency"),
        ({"items": [LineItem("A", "a", 1, 1)] * 101}, "items"),
    ],
)
def test_create_rejects_broken_invariants(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "order_id": "ord_1",
        "customer_ref": "cus",
        "currency": "USD",
        "items": [LineItem("A", "a", 1, 1)],
        **kwargs,
    }
    with pytest.raises(InvalidOrder) as err:
        Order.create(**args)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize(
    ("quantity", "unit_amount", "field"),
    [(0, 1, "quantity"), (10_001, 1, "quantity"), (1, -1, "unit_amount"), (1, 100_000_001, "unit_amount")],
)
def test_line_item_bounds(quantity: int, unit_amount: int, field: str) -> None:
    with pytest.raises(InvalidOrder) as err:
        LineItem("A", "a", quantity, unit_amount)
    assert err.value.field == field


def test_money_refuses_mixed_currencies_and_floats() -> None:
    with pytest.raises(InvalidOrder):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(InvalidOrder):
        Money(1.5, "USD")  # type: ignore[arg-type]
    assert Money(2, "JPY").times(3) == Money(6, "JPY")


ALL_PAIRS = list(itertools.product(OrderStatus, OrderStatus))


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_transition_follows_the_table(current: OrderStatus, target: OrderStatus) -> None:
    order = make_order(current)
    if target in TRANSITIONS[current]:
        order.transition_to(target, "because", NOW)
        assert order.status is target
        [event] = order.events
        assert isinstance(event, OrderStatusChanged)
        assert (event.previous_status, event.status, event.reason) == (current.value, target.value, "because")
    else:
        with pytest.raises(IllegalTransition) as err:
            order.transition_to(target)
        assert (err.value.current, err.value.target) == (current.value, target.value)
        assert order.status is current and order.events == []


def test_every_status_is_in_the_table_and_terminal_paths_exist() -> None:
    assert set(TRANSITIONS) == set(OrderStatus)
    # a paid order can never go back to waiting for payment
    assert OrderStatus.PENDING_PAYMENT not in TRANSITIONS[OrderStatus.PAID]
    assert OrderStatus.PAYMENT_FAILED not in TRANSITIONS[OrderStatus.PAID]


@pytest.mark.parametrize(
    "status", [OrderStatus.CREATED, OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED]
)
def test_cancel_unpaid_order_needs_no_refund(status: OrderStatus) -> None:
    order = make_order(status)
    order.cancel("changed my mind", NOW)
    assert order.status is OrderStatus.CANCELLED
    assert order.cancellation_reason == "changed my mind"
    changed, cancelled = order.events
    assert isinstance(changed, OrderStatusChanged) and isinstance(cancelled, OrderCancelled)
    assert cancelled.refund_required is False


def test_cancel_paid_order_requires_refund() -> None:
    order = make_order(OrderStatus.PAID)
    order.cancel(None, NOW)
    cancelled = order.events[-1]
    assert isinstance(cancelled, OrderCancelled) and cancelled.refund_required is True


def test_cancel_twice_is_illegal() -> None:
    order = make_order()
    order.cancel()
    with pytest.raises(IllegalTransition):
        order.cancel()


def test_events_round_trip_through_json_payloads() -> None:
    order = Order.create("ord_9", "cus", "EUR", [LineItem("A", "a", 2, 500)], now=NOW)
    order.cancel("x", NOW)
    for event in order.events:
        rebuilt = event_class(event.name).from_payload(event.to_payload())
        assert rebuilt == event
        assert rebuilt.aggregate_id == "ord_9"
    with pytest.raises(KeyError):
        event_class("no.such.event")


def test_the_order_out_model_is_the_public_representation() -> None:
    d = OrderOut.from_domain(make_order()).model_dump(mode="json")
    assert d["total_amount"] == 549 and d["currency"] == "USD" and d["object"] == "order"
    assert d["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("currency", "items", "chargeable"),
    [
        ("USD", [LineItem("A", "a", 1, 49)], False),  # below Stripe's $0.50
        ("USD", [LineItem("A", "a", 1, 50)], True),
        ("GBP", [LineItem("A", "a", 1, 30)], True),  # GBP's minimum is 30 pence
        ("USD", [LineItem("A", "a", 8_189, 42_644)], False),  # ~3.5 million USD: no provider charges it
        ("USD", [LineItem("A", "a", 1, 99_999_999)], True),  # Stripe's largest amount, exactly
        ("USD", [LineItem("A", "a", 1, 99_999_999), LineItem("B", "b", 1, 1)], False),
        ("ISK", [LineItem("A", "a", 1, 1)], True),  # no documented minimum: one minor unit is enough
    ],
)
def test_an_order_total_must_be_chargeable(currency: str, items: list[LineItem], chargeable: bool) -> None:
    if chargeable:
        assert Order.create("ord_1", "cus", currency, items).total.amount == sum(i.line_total for i in items)
        return
    with pytest.raises(UnchargeableAmount) as err:
        Order.create("ord_1", "cus", currency, items)
    assert err.value.field == "items"
