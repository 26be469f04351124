"""Stripe traffic against the contracts: every request the service sent (taken from the Stripe simulator's
journal) and every event Stripe delivered to it, after real flows: success, decline, 3DS, refund, dispute."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qsl

import pytest
import stripe

import contracts
from reference_service.adapters.stripe_events import HANDLED
from simulators.kernel.responses import unflatten_form
from simulators.testing import poll
from tests.support_lab import LabHandle, run_lab

pytestmark = pytest.mark.e2e
CONTRACT_FOR = {
    "/v1/payment_intents": "providers/stripe/requests/create-payment-intent",
    "/v1/refunds": "providers/stripe/requests/create-refund",
}


def order(lab: LabHandle) -> str:
    resp = lab.http.post(
        lab.url + "/api/v1/orders",
        timeout=10,
        json={
            "customer_ref": "cus_contract",
            "currency": "USD",
            "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 1234}],
        },
    )
    order_id: str = resp.json()["id"]
    return order_id


def status(lab: LabHandle, order_id: str) -> str:
    value: str = lab.http.get(f"{lab.url}/api/v1/orders/{order_id}", timeout=10).json()["status"]
    return value


def wait_for(lab: LabHandle, order_id: str, wanted: str) -> None:
    poll(lambda: status(lab, order_id) == wanted, f"{order_id} reaching {wanted}", timeout=30, interval=0.05)


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(tmp_path_factory.mktemp("stripe-contracts"), ["stripe"]) as lab:
        pay = f"{lab.url}/api/v1/orders/{{}}/payments"
        paid = order(lab)
        assert (
            lab.http.post(
                pay.format(paid), json={"provider": "stripe", "payment_method": "pm_card_visa"}, timeout=10
            ).status_code
            == 201
        )
        wait_for(lab, paid, "PAID")
        lab.http.post(f"{lab.url}/api/v1/orders/{paid}/cancel", timeout=10)
        wait_for(lab, paid, "REFUNDED")
        declined = order(lab)
        assert (
            lab.http.post(
                pay.format(declined),
                json={"provider": "stripe", "payment_method": "pm_card_chargeDeclined"},
                timeout=10,
            ).status_code
            == 402
        )
        disputed = order(lab)
        lab.http.post(
            pay.format(disputed),
            json={"provider": "stripe", "payment_method": "pm_card_createDispute"},
            timeout=10,
        )
        wait_for(lab, disputed, "DISPUTED")
        pending = order(lab)
        lab.http.post(pay.format(pending), json={"provider": "stripe"}, timeout=10)
        lab.http.post(f"{lab.url}/api/v1/orders/{pending}/cancel", timeout=10)  # cancels the intent
        time.sleep(0.5)
        yield lab


def test_every_request_the_service_sent_to_stripe_satisfies_its_contract(traffic: LabHandle) -> None:
    entries = traffic.control("stripe", "GET", "journal", params={"method": "POST", "limit": 1000}).json()[
        "data"
    ]
    checked = 0
    for entry in entries:
        if not entry["headers"].get("User-Agent", "").startswith("Stripe/v1 PythonBindings"):
            continue  # the test's own calls
        if entry["path"].startswith("/v1/webhook_endpoints"):
            continue  # the lab's wiring (what `genai-demo up` does), not the service
        path = entry["path"]
        body = unflatten_form(parse_qsl(entry["body"], keep_blank_values=True))
        if path in CONTRACT_FOR:
            contracts.validate(CONTRACT_FOR[path], body)
        elif path.endswith("/cancel"):
            contracts.validate("providers/stripe/requests/cancel-payment-intent", body)
        else:
            pytest.fail(f"the service sent a request no contract covers: POST {path}")
        checked += 1
    assert checked >= 5


def test_every_event_stripe_delivered_satisfies_the_webhook_contract(traffic: LabHandle) -> None:
    client = stripe.StripeClient(
        traffic.env["STRIPE_SECRET_KEY"],
        base_addresses={"api": traffic.sim("stripe").url},
        stripe_version="2023-10-16",
    )
    events = [e.to_dict() for e in client.v1.events.list(params={"limit": 100}).auto_paging_iter()]
    handled = [e for e in events if e["type"] in HANDLED]
    assert {e["type"] for e in handled} >= {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "charge.refunded",
        "charge.dispute.created",
        "payment_intent.canceled",
    }
    for event in handled:
        contracts.validate("providers/stripe/webhooks/event", event)
