"""Steps about orders (``features/orders/``). Import them with ``from tests.bdd.order_steps import *`` in a
test module; later features (payments, notifications) import them the same way to get an order first.

Remembered values: ``customer_ref`` (unique per scenario), ``order_id`` and ``order`` (the last order
the service returned with 201 or 200). The order request is ``world.request_body``, so the common steps
``the request field "<path>" is set to <JSON>`` / ``... is removed`` edit it.

Vocabulary::

    Given a valid order request
    Given an order request in "<currency>" with the items:      (table: sku | name | quantity | unit_amount)
    Given an existing order
    Given the order has been cancelled
    When I submit the order request
    When I submit the order request with the Idempotency-Key "<key>"   (made unique per scenario)
    When I fetch the order
    When I list the customer's orders
    When I cancel the order
    When I cancel the order because "<reason>"
    Then the response is the order in status "<STATUS>"
    Then the order total is <minor units> <currency>
    Then the list holds only the order, in status "<STATUS>"
    Then no order exists for the customer
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, then, when

import contracts
from tests.bdd.common_steps import p
from tests.bdd.world import ApiWorld

ORDERS = "/api/v1/orders"


def _submit(world: ApiWorld, idempotency_key: str | None = None) -> None:
    assert world.request_body is not None, "no order request: start with 'Given a valid order request'"
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
    resp = world.send("POST", ORDERS, json=world.request_body, headers=headers)
    if resp.status_code == 201:
        _remember_order(world)


def _remember_order(world: ApiWorld) -> dict[str, Any]:
    order: dict[str, Any] = world.json("api/orders/order")
    world.saved["order_id"] = order["id"]
    world.saved["order"] = order
    return order


# ------------------------------------------------------------------------------------------- given


@given("a valid order request")
def valid_order_request(world: ApiWorld) -> None:
    body = contracts.example("api/orders/create-order-request")
    body["customer_ref"] = world.saved["customer_ref"] = f"cus_bdd_{world.nonce}"
    contracts.validate("api/orders/create-order-request", body)
    world.request_body = body


@given(p('an order request in "{currency:Q}" with the items:'))
def order_request_with_items(world: ApiWorld, currency: str, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    assert header == ["sku", "name", "quantity", "unit_amount"], header
    items = [{"sku": s, "name": n, "quantity": int(q), "unit_amount": int(a)} for s, n, q, a in rows]
    world.saved["customer_ref"] = f"cus_bdd_{world.nonce}"
    world.request_body = {"customer_ref": world.saved["customer_ref"], "currency": currency, "items": items}
    contracts.validate("api/orders/create-order-request", world.request_body)


@given("an existing order")
def existing_order(world: ApiWorld) -> None:
    valid_order_request(world)
    _submit(world)
    assert world.response.status_code == 201, world.response.text


@given("the order has been cancelled")
def order_cancelled(world: ApiWorld) -> None:
    resp = world.send("POST", ORDERS + "/{order_id}/cancel")
    assert resp.status_code == 200, resp.text
    assert _remember_order(world)["status"] == "CANCELLED"


# -------------------------------------------------------------------------------------------- when


@when("I submit the order request")
def submit(world: ApiWorld) -> None:
    _submit(world)


@when(p('I submit the order request with the Idempotency-Key "{key:Q}"'))
def submit_with_key(world: ApiWorld, key: str) -> None:
    _submit(world, f"{key}-{world.nonce}")


@when("I fetch the order")
def fetch_order(world: ApiWorld) -> None:
    world.send("GET", ORDERS + "/{order_id}")


@when("I list the customer's orders")
def list_customer_orders(world: ApiWorld) -> None:
    world.send("GET", ORDERS + "?customer_ref={customer_ref}")


@when("I cancel the order")
def cancel_order(world: ApiWorld) -> None:
    world.send("POST", ORDERS + "/{order_id}/cancel")


@when(p('I cancel the order because "{reason:Q}"'))
def cancel_order_because(world: ApiWorld, reason: str) -> None:
    world.send("POST", ORDERS + "/{order_id}/cancel", json={"reason": reason})


# -------------------------------------------------------------------------------------------- then


@then(p('the response is the order in status "{status:Q}"'))
def response_is_the_order(world: ApiWorld, status: str) -> None:
    order = world.json("api/orders/order")
    assert order["id"] == world.saved["order_id"]
    assert order["status"] == status, order
    assert order["customer_ref"] == world.saved["customer_ref"]
    first = world.saved["order"]
    assert (order["items"], order["currency"], order["created_at"]) == (
        first["items"],
        first["currency"],
        first["created_at"],
    ), "an order's content must not change"
    world.saved["order"] = order


@then(p("the order total is {amount:d} {currency:w}"))
def order_total(world: ApiWorld, amount: int, currency: str) -> None:
    order = world.json("api/orders/order")
    assert (order["total_amount"], order["currency"]) == (amount, currency), (order["total_amount"], currency)
    assert all(i["line_total"] == i["quantity"] * i["unit_amount"] for i in order["items"]), order["items"]
    assert sum(i["line_total"] for i in order["items"]) == amount


@then(p('the list holds only the order, in status "{status:Q}"'))
def list_holds_the_order(world: ApiWorld, status: str) -> None:
    page = world.json("api/orders/order-list")
    assert [(o["id"], o["status"]) for o in page["data"]] == [(world.saved["order_id"], status)], page
    assert page["has_more"] is False


@then("no order exists for the customer")
def no_order_for_customer(world: ApiWorld) -> None:
    resp = world.send("GET", ORDERS + "?customer_ref={customer_ref}")
    assert resp.status_code == 200
    assert world.json("api/orders/order-list")["data"] == []
