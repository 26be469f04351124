"""Carrier traffic against the contracts, after real flows through the service (quote, buy, track to
delivered, cancel before pickup, reconcile): every request the service sent to the EasyPost simulator (its
journal), every webhook the carrier delivered to the service, and the service's own answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import contracts
from simulators.testing import poll
from tests.bdd.logistics_steps import CONTRACT_FOR
from tests.support_lab import LabHandle, run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.logistics]
SHIP_TO = {
    "name": "Ada",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}


def call(lab: LabHandle, method: str, path: str, body: Any = None, contract: str | None = None) -> Any:
    resp = lab.http.request(method, lab.url + path, json=body, timeout=10)
    assert resp.status_code < 300, resp.text
    if contract is not None:
        contracts.validate(contract, resp.json())
    return resp.json()


def shipped_order(lab: LabHandle) -> dict[str, Any]:
    order = call(
        lab,
        "POST",
        "/api/v1/orders",
        {
            "customer_ref": "cus_contract",
            "currency": "USD",
            "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 1234}],
            "shipping_address": SHIP_TO,
        },
        "api/orders/order",
    )
    call(
        lab,
        "POST",
        f"/api/v1/orders/{order['id']}/payments",
        {"provider": "stripe", "payment_method": "pm_card_visa"},
    )
    quotes = call(
        lab, "POST", f"/api/v1/orders/{order['id']}/shipping-quotes", None, "api/deliveries/quote-list"
    )
    delivery: dict[str, Any] = call(
        lab,
        "POST",
        f"/api/v1/orders/{order['id']}/deliveries",
        {"quote_id": quotes["data"][0]["quote_id"]},
        "api/deliveries/delivery",
    )
    return delivery


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    env = {
        "DELIVERY_NOTIFICATIONS": "false",
        "EMAIL_ORDER_CONFIRMATION": "false",
        "OUTBOX_POLL_SECONDS": "0.1",
    }
    with run_lab(tmp_path_factory.mktemp("logistics-contracts"), ["stripe", "logistics"], env) as lab:
        call(lab, "POST", "/api/v1/addresses/validate", SHIP_TO, "api/deliveries/address-validation")
        travelling = shipped_order(lab)
        cancelled = shipped_order(lab)
        call(
            lab,
            "POST",
            f"/api/v1/deliveries/{cancelled['id']}/cancel",
            {"reason": "contract"},
            "api/deliveries/delivery",
        )
        lab.sim("logistics").advance(20)
        poll(
            lambda: call(lab, "GET", f"/api/v1/deliveries/{travelling['id']}")["status"] == "DELIVERED",
            "delivered",
            timeout=15,
        )
        call(
            lab,
            "GET",
            f"/api/v1/orders/{travelling['order_id']}/deliveries",
            None,
            "api/deliveries/delivery-list",
        )
        yield lab


def test_every_request_the_service_sent_to_the_carrier_satisfies_its_contract(traffic: LabHandle) -> None:
    checked: dict[str, int] = {}
    for entry in traffic.sim("logistics").journal(method="POST", limit=1000):
        if entry["operation"] == "create_webhook":
            continue  # the lab's wiring (what `genai-demo up` does), not the service
        if entry["operation"] == "refund_shipment":
            assert entry["body"] in ("", "{}"), entry["body"]
        elif entry["operation"] in CONTRACT_FOR:
            contracts.validate(CONTRACT_FOR[entry["operation"]], json.loads(entry["body"]))
        else:
            pytest.fail(f"the service sent a request no contract covers: POST {entry['path']}")
        checked[entry["operation"]] = checked.get(entry["operation"], 0) + 1
    assert {"create_address", "create_shipment", "buy_shipment", "refund_shipment"} <= set(checked)


def test_every_webhook_the_carrier_delivered_satisfies_the_event_contract(traffic: LabHandle) -> None:
    deliveries = traffic.sim("logistics").deliveries()
    assert {d["event_type"] for d in deliveries} >= {
        "tracker.created",
        "shipment.purchased",
        "tracker.updated",
    }
    for delivery in deliveries:
        contracts.validate("providers/logistics/webhooks/event", json.loads(delivery["body"]))
        assert delivery["status"] == "succeeded" and delivery["attempts"][-1]["status_code"] == 200
