"""Steps about payments (``features/payments/``), against a lab (``tests/support_lab.py``): the service as a
real process wired to the provider simulators. The ``lab`` fixture comes from the test module.

Remembered values: ``order_id``, ``payment_id``, ``provider_ref`` (``pi_…``), ``client_secret``,
``publishable_key``, ``webhook`` (the last crafted webhook: body and headers).

Vocabulary::

    Given the lab is running with the Stripe simulator
    Given a new order of <minor units> "<currency>"
    Given the order has a Stripe payment waiting for the customer
    When I pay the order with Stripe                              (client-side confirmation follows)
    When I pay the order with Stripe using "<pm_…>"               (server-side confirmation)
    When the customer confirms the payment on Stripe with "<pm_…>" (as Stripe.js: publishable key)
    When the customer completes 3-D Secure / fails 3-D Secure
    When a "<event type>" webhook for the payment arrives with a <kind> signature   (valid, tampered, stale,
                                                                                      missing or foreign)
    When the same webhook arrives again
    When I cancel the order (order_steps) / When Stripe recovers
    When Stripe opens a "<reason>" dispute on the payment's charge
    Given Stripe duplicates every webhook delivery
    Given Stripe rate-limits the next <n> "<METHOD>" request to "<path>"
    Given Stripe answers <status> to every "<METHOD>" request to "<path>"
    Then the order is "<STATUS>" / the order becomes "<STATUS>" (waits for webhooks and the relay)
    Then the payment becomes "<STATUS>"
    Then Stripe delivered "<event type>" for the payment and the service applied it
    Then Stripe delivered "<event type>" for the payment at least twice
    Then the service applied "<event type>" for the payment exactly once
    Then Stripe received <n> "<METHOD>" requests to "<path>" with one Idempotency-Key
    Then Stripe receives a refund request for the payment
    Then the service's requests to Stripe satisfy their contracts
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import requests
import stripe
from pytest_bdd import given, then, when

import contracts
from simulators.kernel.responses import unflatten_form
from tests.bdd.common_steps import p, wait_until
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle
from tests.support_stripe import sign, stripe_event


def stripe_client(lab: LabHandle) -> stripe.StripeClient:
    return stripe.StripeClient(
        lab.env["STRIPE_SECRET_KEY"],
        base_addresses={"api": lab.sim("stripe").url},
        stripe_version="2023-10-16",
    )


def _order(world: ApiWorld) -> dict[str, Any]:
    resp = world.session.get(world.base_url + world.expand("/api/v1/orders/{order_id}"), timeout=10)
    body: dict[str, Any] = resp.json()
    return body


def _payment(world: ApiWorld) -> dict[str, Any]:
    resp = world.session.get(
        world.base_url + world.expand("/api/v1/orders/{order_id}/payments/{payment_id}"), timeout=10
    )
    body: dict[str, Any] = resp.json()
    return body


@given("the lab is running with the Stripe simulator")
def lab_running(lab: LabHandle, world: ApiWorld) -> None:
    assert requests.get(lab.url + "/health/live", timeout=5).status_code == 200
    assert requests.get(lab.sim("stripe").control_url + "/health", timeout=5).status_code == 200


@given(p('a new order of {amount:d} "{currency:Q}"'))
def new_order(world: ApiWorld, amount: int, currency: str) -> None:
    resp = world.send(
        "POST",
        "/api/v1/orders",
        json={
            "customer_ref": f"cus_{world.nonce}",
            "currency": currency,
            "items": [{"sku": "SKU-1", "name": "Lab item", "quantity": 1, "unit_amount": amount}],
        },
    )
    assert resp.status_code == 201, resp.text
    world.saved["order_id"] = resp.json()["id"]


def _pay(world: ApiWorld, payment_method: str | None) -> None:
    body: dict[str, Any] = {"provider": "stripe"}
    if payment_method:
        body["payment_method"] = payment_method
    resp = world.send("POST", "/api/v1/orders/{order_id}/payments", json=body)
    data = resp.json()
    if resp.status_code == 201:
        contracts.validate("api/payments/started-payment", data)
        world.saved.update(
            payment_id=data["id"],
            provider_ref=data["provider_ref"],
            client_secret=data.get("client_secret"),
            publishable_key=data.get("publishable_key"),
        )
    elif data.get("payment_id"):
        world.saved["payment_id"] = data["payment_id"]


@when("I pay the order with Stripe")
def pay_client_side(world: ApiWorld) -> None:
    _pay(world, None)


@when(p('I pay the order with Stripe using "{payment_method:Q}"'))
def pay_server_side(world: ApiWorld, payment_method: str) -> None:
    _pay(world, payment_method)


@given("the order has a Stripe payment waiting for the customer")
def payment_waiting(world: ApiWorld) -> None:
    _pay(world, None)
    assert world.response.status_code == 201, world.response.text


@when(p('the customer confirms the payment on Stripe with "{payment_method:Q}"'))
def customer_confirms(lab: LabHandle, world: ApiWorld, payment_method: str) -> None:
    """What Stripe.js does: confirm with the publishable key and the client secret, never the secret key."""
    resp = requests.post(
        f"{lab.sim('stripe').url}/v1/payment_intents/{world.saved['provider_ref']}/confirm",
        data={"client_secret": world.saved["client_secret"], "payment_method": payment_method},
        headers={"Authorization": f"Bearer {world.saved['publishable_key']}"},
        timeout=10,
    )
    assert resp.status_code in (200, 402), resp.text


@when("the customer completes 3-D Secure")
def complete_3ds(lab: LabHandle, world: ApiWorld) -> None:
    resp = lab.control(
        "stripe",
        "POST",
        f"stripe/payment_intents/{world.saved['provider_ref']}/3ds",
        json={"outcome": "complete"},
    )
    assert resp.status_code == 200, resp.text


@when("the customer fails 3-D Secure")
def fail_3ds(lab: LabHandle, world: ApiWorld) -> None:
    resp = lab.control(
        "stripe",
        "POST",
        f"stripe/payment_intents/{world.saved['provider_ref']}/3ds",
        json={"outcome": "fail"},
    )
    assert resp.status_code == 200, resp.text


@then(p('the order is "{status:Q}"'))
def order_is(world: ApiWorld, status: str) -> None:
    assert _order(world)["status"] == status


@then(p('the order becomes "{status:Q}"'))
def order_becomes(world: ApiWorld, status: str) -> None:
    wait_until(lambda: _order(world)["status"] == status, f"order -> {status}")


@then(p('the payment becomes "{status:Q}"'))
def payment_becomes(world: ApiWorld, status: str) -> None:
    wait_until(lambda: _payment(world)["status"] == status, f"payment -> {status}")


# -- webhooks ------------------------------------------------------------------------------------------------


def _events_for_payment(lab: LabHandle, world: ApiWorld, event_type: str) -> list[str]:
    ref = world.saved["provider_ref"]
    events = stripe_client(lab).v1.events.list(params={"type": event_type, "limit": 100})
    return [e.id for e in events.data if e.data.object["id"] == ref]


def _outcomes(lab: LabHandle, world: ApiWorld, event_type: str) -> list[str]:
    """The service's answer to every attempt of every delivery of ``event_type`` for this payment."""
    outcomes = []
    for event_id in _events_for_payment(lab, world, event_type):
        for delivery in lab.sim("stripe").deliveries(event_id=event_id, limit=100):
            for attempt in delivery["attempts"]:
                if attempt.get("ok"):
                    outcomes.append(json.loads(attempt["response_body"])["outcome"])
    return outcomes


@then(p('Stripe delivered "{event_type:Q}" for the payment and the service applied it'))
def delivered_and_applied(lab: LabHandle, world: ApiWorld, event_type: str) -> None:
    outcomes = wait_until(lambda: _outcomes(lab, world, event_type), f"delivery of {event_type}")
    assert outcomes[0] in ("applied", "duplicate-state"), outcomes


@then(p('Stripe delivered "{event_type:Q}" for the payment at least twice'))
def delivered_twice(lab: LabHandle, world: ApiWorld, event_type: str) -> None:
    wait_until(lambda: len(_outcomes(lab, world, event_type)) >= 2, f"two deliveries of {event_type}")


@then(p('the service applied "{event_type:Q}" for the payment exactly once'))
def applied_once(lab: LabHandle, world: ApiWorld, event_type: str) -> None:
    outcomes = _outcomes(lab, world, event_type)
    assert outcomes.count("duplicate") >= 1, outcomes
    assert len([o for o in outcomes if o != "duplicate"]) == 1, outcomes


def _crafted_event(lab: LabHandle, world: ApiWorld, event_type: str) -> bytes:
    intent = stripe_client(lab).v1.payment_intents.retrieve(world.saved["provider_ref"]).to_dict()
    if event_type == "payment_intent.succeeded":
        intent.update(status="succeeded", amount_received=intent["amount"])
    elif event_type == "payment_intent.payment_failed":
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            },
        )
    world.saved.setdefault("crafted", 0)
    world.saved["crafted"] += 1
    return stripe_event(event_type, intent, f"evt_{world.nonce}{world.saved['crafted']}")


@when(p('a "{event_type:Q}" webhook for the payment arrives with a {kind:w} signature'))
def webhook_arrives(lab: LabHandle, world: ApiWorld, event_type: str, kind: str) -> None:
    body = _crafted_event(lab, world, event_type)
    secret = lab.env["STRIPE_WEBHOOK_SECRET"]
    headers = {"Content-Type": "application/json"}
    if kind == "valid":
        headers["Stripe-Signature"] = sign(body, secret)
    elif kind == "tampered":
        headers["Stripe-Signature"] = sign(body, secret)
        body = body.replace(b'"livemode": false', b'"livemode": true')
    elif kind == "stale":
        headers["Stripe-Signature"] = sign(body, secret, int(time.time()) - 301)
    elif kind == "foreign":
        headers["Stripe-Signature"] = sign(body, "whsec_not_the_lab_secret")
    else:
        assert kind == "missing", kind
    world.saved["webhook"] = (body, headers)
    world.send("POST", "/api/v1/webhooks/stripe", data=body, headers=headers)


@when("the same webhook arrives again")
def same_webhook_again(world: ApiWorld) -> None:
    body, headers = world.saved["webhook"]
    world.send("POST", "/api/v1/webhooks/stripe", data=body, headers=headers)


@given("Stripe duplicates every webhook delivery")
def duplicate_deliveries(lab: LabHandle) -> None:
    assert (
        lab.control("stripe", "POST", "webhooks/chaos", json={"duplicate": 1.0, "seed": 1}).status_code == 200
    )


# -- faults and the journal ----------------------------------------------------------------------------------


@given(p('Stripe rate-limits the next {n:d} "{method:Method}" request to "{path:Q}"'))
def rate_limit(lab: LabHandle, n: int, method: str, path: str) -> None:
    lab.sim("stripe").fault(
        method=method, path=path, action={"type": "rate_limit", "retry_after": 0}, times=n
    )


@given(p('Stripe answers {status:d} to every "{method:Method}" request to "{path:Q}"'))
def always_fail(lab: LabHandle, status: int, method: str, path: str) -> None:
    lab.sim("stripe").fault(method=method, path=path, status=status)


@when("Stripe recovers")
def stripe_recovers(lab: LabHandle) -> None:
    assert lab.control("stripe", "DELETE", "faults").status_code in (200, 204)


@then(p('Stripe received {n:d} "{method:Method}" requests to "{path:Q}" with one Idempotency-Key'))
def received_with_one_key(lab: LabHandle, world: ApiWorld, n: int, method: str, path: str) -> None:
    prefix = f"genai-demo-{world.saved['order_id']}-attempt-"
    mine = [
        e
        for e in lab.sim("stripe").journal(method=method, path=path, limit=1000)
        if e["headers"].get("Idempotency-Key", "").startswith(prefix)
    ]
    keys = {e["headers"]["Idempotency-Key"] for e in mine}
    assert len(mine) == n, [(e["status"], e["headers"].get("Idempotency-Key")) for e in mine]
    assert len(keys) == 1, keys


@then("Stripe receives a refund request for the payment")
def refund_requested(lab: LabHandle, world: ApiWorld) -> None:
    ref = world.saved["provider_ref"]

    def refunds() -> list[dict[str, Any]]:
        return [
            e
            for e in lab.sim("stripe").journal(method="POST", path="/v1/refunds", limit=1000)
            if dict(parse_qsl(e["body"])).get("payment_intent") == ref and e["status"] == 200
        ]

    [entry] = wait_until(refunds, "a refund request")
    contracts.validate(
        "providers/stripe/requests/create-refund",
        unflatten_form(parse_qsl(entry["body"], keep_blank_values=True)),
    )
    assert entry["headers"]["Idempotency-Key"] == f"refund-{world.saved['payment_id']}"


@when(p('Stripe opens a "{reason:Q}" dispute on the payment\'s charge'))
def open_dispute(lab: LabHandle, world: ApiWorld, reason: str) -> None:
    intent = stripe_client(lab).v1.payment_intents.retrieve(world.saved["provider_ref"])
    resp = lab.control(
        "stripe", "POST", f"stripe/charges/{intent.latest_charge}/dispute", json={"reason": reason}
    )
    assert resp.status_code in (200, 201), resp.text


@then("the service's requests to Stripe satisfy their contracts")
def requests_satisfy_contracts(lab: LabHandle, world: ApiWorld) -> None:
    prefix = f"genai-demo-{world.saved['order_id']}-"
    creates = [
        e
        for e in lab.sim("stripe").journal(method="POST", path="/v1/payment_intents", limit=1000)
        if e["headers"].get("Idempotency-Key", "").startswith(prefix)
    ]
    assert creates
    for entry in creates:
        contracts.validate(
            "providers/stripe/requests/create-payment-intent",
            unflatten_form(parse_qsl(entry["body"], keep_blank_values=True)),
        )
    intent = stripe_client(lab).v1.payment_intents.retrieve(world.saved["provider_ref"]).to_dict()
    contracts.validate("providers/stripe/responses/payment-intent", intent)
