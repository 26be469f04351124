"""Inventory end to end in one process (no broker: the consumer-side handlers run on the relay's bus):
admin stock endpoints, reserve on create, out of stock → REJECTED with no payment, release on cancel,
bad input → problem+json and no change; and the reservation race on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain.events import OrderCreated
from reference_service.domain.orders import LineItem, Order, OrderStatus
from reference_service.service_layer.handlers import inventory
from tests.fakes import FakePaymentGateway


def order(client: FlaskClient, *lines: tuple[str, int]) -> str:
    body = {
        "customer_ref": "cus_inv",
        "currency": "USD",
        "items": [{"sku": sku, "name": sku, "quantity": qty, "unit_amount": 100} for sku, qty in lines],
    }
    resp = client.post("/api/v1/orders", json=body)
    assert resp.status_code == 201, resp.json
    return str(resp.json["id"])


def test_stock_is_reserved_on_create_and_released_on_cancel(
    client: FlaskClient, container: Container
) -> None:
    put = client.put("/api/v1/admin/inventory/SKU-1", json={"on_hand": 5})
    assert put.status_code == 200 and put.json["available"] == 5
    order_id = order(client, ("SKU-1", 2), ("UNMANAGED", 1))
    container.relay.drain()
    level = client.get("/api/v1/admin/inventory/SKU-1").json
    assert (level["on_hand"], level["reserved"], level["available"]) == (5, 2, 3)
    held = client.get(f"/api/v1/admin/inventory/reservations/{order_id}").json
    assert held["status"] == "RESERVED" and held["lines"] == [{"sku": "SKU-1", "quantity": 2}]
    assert client.post(f"/api/v1/orders/{order_id}/cancel").status_code == 200
    container.relay.drain()
    assert client.get("/api/v1/admin/inventory/SKU-1").json["reserved"] == 0
    assert client.get(f"/api/v1/admin/inventory/reservations/{order_id}").json["status"] == "RELEASED"
    assert [s["sku"] for s in client.get("/api/v1/admin/inventory").json["data"]] == ["SKU-1"]


def test_out_of_stock_rejects_the_order_and_no_payment_can_start(
    client: FlaskClient, container: Container, fake_stripe: FakePaymentGateway
) -> None:
    client.put("/api/v1/admin/inventory/SKU-2", json={"on_hand": 1})
    order_id = order(client, ("SKU-2", 2))
    container.relay.drain()
    got = client.get(f"/api/v1/orders/{order_id}").json
    assert got["status"] == "REJECTED"
    pay = client.post(
        f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe", "payment_method": "pm_card_visa"}
    )
    assert pay.status_code == 409 and pay.headers["Content-Type"] == "application/problem+json"
    assert fake_stripe.calls == []
    events = client.get("/api/v1/admin/events", query_string={"type": "order.status_changed"}).json["data"]
    assert any(
        e["payload"]["status"] == "REJECTED" and e["payload"]["reason"] == "out_of_stock" for e in events
    )
    assert client.get("/api/v1/admin/inventory/SKU-2").json["reserved"] == 0


def test_bad_stock_input_is_a_problem_and_changes_nothing(
    client: FlaskClient, container: Container, client_as: Callable[..., FlaskClient]
) -> None:
    client.put("/api/v1/admin/inventory/SKU-3", json={"on_hand": 3})
    order(client, ("SKU-3", 2))
    container.relay.drain()
    below = client.put("/api/v1/admin/inventory/SKU-3", json={"on_hand": 1})
    assert below.status_code == 422 and below.json["type"] == "/problems/invalid-stock"
    negative = client.put("/api/v1/admin/inventory/SKU-3", json={"on_hand": -1})
    assert negative.status_code == 422 and negative.json["type"] == "/problems/validation-error"
    assert client.get("/api/v1/admin/inventory/SKU-3").json["on_hand"] == 3
    assert client.get("/api/v1/admin/inventory/NOPE").status_code == 404
    customer = client_as("customer", sub="cus_inv")
    assert customer.put("/api/v1/admin/inventory/SKU-3", json={"on_hand": 9}).status_code == 403
    assert customer.get("/api/v1/admin/inventory").status_code == 403


@pytest.mark.postgres
def test_concurrent_reservations_never_oversell_on_postgres(postgres_url: str) -> None:
    container = bootstrap(load_settings(database_url=postgres_url, outbox_relay_enabled=False))
    try:
        with container.uow() as uow:
            uow.inventory.set_on_hand("HOT", 5, container.clock.now())
            uow.inventory.set_on_hand("COLD", 100, container.clock.now())
            uow.commit()
        events: list[OrderCreated] = []
        with container.uow() as uow:
            for n in range(20):
                o = Order.create(
                    f"ord_race_{n}",
                    "cus",
                    "USD",
                    [LineItem("COLD", "c", 1, 100), LineItem("HOT", "h", 1, 100)],
                )
                created = o.events[0]
                assert isinstance(created, OrderCreated)
                events.append(created)
                uow.orders.add(o)
            uow.commit()
        results: list[str] = []
        start = threading.Barrier(len(events))

        def reserve(event: OrderCreated) -> None:
            start.wait()
            results.append(inventory.reserve_stock(event, uow_factory=container.uow, clock=container.clock))

        threads = [threading.Thread(target=reserve, args=(e,)) for e in events]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == ["rejected"] * 15 + ["reserved"] * 5
        with container.read_uow() as uow:
            hot, cold = uow.inventory.get("HOT"), uow.inventory.get("COLD")
            statuses = [uow.orders.get(e.order_id).status for e in events]  # type: ignore[union-attr]
        assert hot is not None and cold is not None
        assert (hot.reserved, cold.reserved) == (5, 5)  # the rejected orders released their COLD units
        assert statuses.count(OrderStatus.REJECTED) == 15
    finally:
        container.close()
