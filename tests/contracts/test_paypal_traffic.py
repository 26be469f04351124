"""PayPal traffic against the contracts: every request the service sent (the PayPal simulator's journal)
and every webhook PayPal delivered to it, after approve+capture, a declined capture and a refund."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
import requests

import contracts
from reference_service.entrypoints.webhooks.paypal import HANDLED
from simulators.testing import poll
from tests.support_lab import LabHandle, run_lab

pytestmark = pytest.mark.e2e


def wait_status(lab: LabHandle, url: str, wanted: str, what: str) -> None:
    """Until the resource at ``url`` has ``status`` ``wanted`` (webhooks are asynchronous)."""
    poll(lambda: lab.http.get(url, timeout=10).json()["status"] == wanted, what, timeout=30, interval=0.05)


def checkout(lab: LabHandle, buyer: str | None = None) -> str:
    order = lab.http.post(
        lab.url + "/api/v1/orders",
        timeout=10,
        json={
            "customer_ref": "cus_contract",
            "currency": "JPY",
            "items": [{"sku": "A", "name": "a", "quantity": 3, "unit_amount": 500}],
        },
    ).json()
    payment = lab.http.post(
        f"{lab.url}/api/v1/orders/{order['id']}/payments", json={"provider": "paypal"}, timeout=10
    ).json()
    requests.get(
        payment["approve_url"] + (f"&buyer={buyer}" if buyer else ""), allow_redirects=False, timeout=10
    )
    url = f"{lab.url}/api/v1/orders/{order['id']}/payments/{payment['id']}"
    wait_status(lab, url, "AUTHORIZED", "the approval webhook")
    lab.http.post(url + "/capture", timeout=10)
    order_id: str = order["id"]
    return order_id


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(tmp_path_factory.mktemp("paypal-contracts"), ["paypal"]) as lab:
        paid = checkout(lab)
        checkout(lab, "buyer-declined@example.com")
        lab.http.post(f"{lab.url}/api/v1/orders/{paid}/cancel", timeout=10)  # refunds through PayPal
        wait_status(lab, f"{lab.url}/api/v1/orders/{paid}", "REFUNDED", "the refund")
        yield lab


def header(entry: dict[str, object], name: str) -> str:
    headers = entry["headers"]
    assert isinstance(headers, dict)
    return next((str(v) for k, v in headers.items() if k.lower() == name.lower()), "")


def test_every_request_the_service_sent_to_paypal_satisfies_its_contract(traffic: LabHandle) -> None:
    entries = traffic.control("paypal", "GET", "journal", params={"limit": 1000}).json()["data"]
    seen: set[str] = set()
    for entry in entries:
        if not header(entry, "User-Agent").startswith("python-requests") or entry["method"] == "GET":
            continue
        path = entry["path"]
        if path == "/v1/oauth2/token":
            assert dict(parse_qsl(entry["body"])) == {"grant_type": "client_credentials"}
            assert header(entry, "Authorization").startswith("Basic ")
            name = "oauth"
        elif path == "/v2/checkout/orders":
            contracts.validate("providers/paypal/requests/create-order", json.loads(entry["body"]))
            name = "create"
        elif path.endswith("/capture"):
            contracts.validate("providers/paypal/requests/capture-order", json.loads(entry["body"]))
            assert header(entry, "PayPal-Request-Id").startswith("capture-pay_")
            name = "capture"
        elif path.endswith("/refund"):
            contracts.validate("providers/paypal/requests/refund-capture", json.loads(entry["body"]))
            assert header(entry, "PayPal-Request-Id").startswith("refund-pay_")
            name = "refund"
        elif path.startswith("/v1/notifications/webhooks"):
            continue  # the lab's wiring (what genai-demo up does), not the service
        else:
            pytest.fail(f"the service sent a request no contract covers: {entry['method']} {path}")
        seen.add(name)
    assert seen == {"oauth", "create", "capture", "refund"}


def test_every_webhook_paypal_delivered_satisfies_the_contract(traffic: LabHandle) -> None:
    deliveries = traffic.control("paypal", "GET", "webhooks/deliveries", params={"limit": 500}).json()["data"]
    types = set()
    for delivery in deliveries:
        event = json.loads(delivery["body"])
        if event["event_type"] in HANDLED:
            contracts.validate("providers/paypal/webhooks/event", event)
            types.add(event["event_type"])
    assert {
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.REFUNDED",
    } <= types
