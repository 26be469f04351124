"""Steps about PayPal payments (``features/payments/paypal_checkout.feature``), against a lab with the PayPal
simulator in-process (``tests/support_lab.py``), so steps can also sign deliveries as the simulator does.

Remembered values: ``order_id``, ``payment_id``, ``provider_ref`` (the PayPal order id), ``approve_url``.

Vocabulary::

    Given the lab is running with the PayPal simulator
    Given PayPal's clock moves <n> hours forward
    When I pay the order with PayPal
    When the buyer approves the PayPal order / When the buyer "<email>" approves the PayPal order
    When I capture the PayPal payment / ... with the mock response "<ISSUE>"
    When a <forged|tampered|replayed> "<EVENT>" delivery for the payment arrives
    When PayPal redelivers "<EVENT>" for the payment
    Then PayPal delivered "<EVENT>" and the service acknowledged it
    Then the service answered the redelivery with "<outcome>"
    Then PayPal received <n> capture for the order
    Then PayPal refused an expired token and the service fetched a new one
    Then the service's requests to PayPal satisfy their contracts
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pytest_bdd import given, step, then, when

import contracts
from simulators.paypal import urls as paypal_urls
from simulators.paypal.webhooks import signed_message, transmission_time
from tests.bdd.common_steps import p, wait_until
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle


@given("the lab is running with the PayPal simulator")
def lab_running(lab: LabHandle) -> None:
    assert requests.get(lab.url + "/health/live", timeout=5).status_code == 200
    assert requests.get(lab.sim("paypal").control_url + "/health", timeout=5).status_code == 200


@given(p("PayPal's clock moves {hours:d} hours forward"))
def clock_forward(lab: LabHandle, hours: int) -> None:
    resp = lab.control("paypal", "POST", "clock", json={"advance": hours * 3600 + 60})
    assert resp.status_code == 200, resp.text


@step("I pay the order with PayPal")
def pay_with_paypal(world: ApiWorld) -> None:
    resp = world.send("POST", "/api/v1/orders/{order_id}/payments", json={"provider": "paypal"})
    body = resp.json()
    assert resp.status_code == 201, body
    contracts.validate("api/payments/started-payment", body)
    world.saved.update(
        payment_id=body["id"], provider_ref=body["provider_ref"], approve_url=body["approve_url"]
    )


def _approve(world: ApiWorld, buyer: str | None) -> None:
    url = world.saved["approve_url"] + (f"&buyer={buyer}" if buyer else "")
    resp = requests.get(url, allow_redirects=False, timeout=10)  # the buyer's browser, not the service
    assert resp.status_code in (200, 302), resp.text


@when("the buyer approves the PayPal order")
def buyer_approves(world: ApiWorld) -> None:
    _approve(world, None)


@when(p('the buyer "{email:Q}" approves the PayPal order'))
def buyer_approves_as(world: ApiWorld, email: str) -> None:
    _approve(world, email)


@when("I capture the PayPal payment")
def capture(world: ApiWorld) -> None:
    world.send("POST", "/api/v1/orders/{order_id}/payments/{payment_id}/capture")


@when(p('I capture the PayPal payment with the mock response "{issue:Q}"'))
def capture_with_mock(world: ApiWorld, issue: str) -> None:
    mock = json.dumps({"mock_application_codes": issue})
    world.send(
        "POST",
        "/api/v1/orders/{order_id}/payments/{payment_id}/capture",
        headers={"PayPal-Mock-Response": mock},
    )


# -- webhooks ------------------------------------------------------------------------------------------------


def _deliveries(lab: LabHandle, world: ApiWorld, event_type: str) -> list[dict[str, Any]]:
    """Deliveries of ``event_type`` that concern this scenario's payment (its id is the custom_id)."""
    data = lab.control(
        "paypal", "GET", "webhooks/deliveries", params={"event_type": event_type, "limit": 500}
    ).json()
    return [d for d in data["data"] if world.saved["payment_id"] in d.get("body", "")]


def _acknowledged(delivery: dict[str, Any]) -> list[str]:
    return [json.loads(a["response_body"])["outcome"] for a in delivery["attempts"] if a.get("ok")]


@then(p('PayPal delivered "{event_type:Q}" and the service acknowledged it'))
def delivered(lab: LabHandle, world: ApiWorld, event_type: str) -> None:
    outcomes = wait_until(
        lambda: [o for d in _deliveries(lab, world, event_type) for o in _acknowledged(d)],
        f"an acknowledged {event_type}",
    )
    assert set(outcomes) <= {"applied", "duplicate-state", "duplicate"}, outcomes


@when(p('PayPal redelivers "{event_type:Q}" for the payment'))
def redeliver(lab: LabHandle, world: ApiWorld, event_type: str) -> None:
    [delivery] = wait_until(
        lambda: [d for d in _deliveries(lab, world, event_type) if _acknowledged(d)],
        f"the first {event_type}",
    )
    resp = lab.control("paypal", "POST", f"webhooks/deliveries/{delivery['id']}/redeliver")
    assert resp.status_code == 202, resp.text
    world.saved["redelivered"] = delivery["id"]


@then(p('the service answered the redelivery with "{outcome:Q}"'))
def redelivery_outcome(lab: LabHandle, world: ApiWorld, outcome: str) -> None:
    def answers() -> list[str]:
        delivery = lab.control("paypal", "GET", f"webhooks/deliveries/{world.saved['redelivered']}").json()
        return _acknowledged(delivery) if len(_acknowledged(delivery)) >= 2 else []

    assert wait_until(answers, "the redelivery")[-1] == outcome


def _sign(
    lab: LabHandle,
    body: bytes,
    webhook_id: str,
    key: rsa.RSAPrivateKey | None = None,
    transmission: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Headers for ``body`` as the simulator signs them (or with ``key``, a forger's own key)."""
    provider = lab.sim("paypal").runtime.provider
    identity = provider.identity  # type: ignore[attr-defined]
    tid, ttime = transmission or (str(uuid.uuid4()), transmission_time(lab.sim("paypal").runtime.clock.now()))
    message = signed_message(tid, ttime, webhook_id, body)
    if key is None:
        signature = identity.sign(message)
    else:
        import base64

        signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": tid,
        "PAYPAL-TRANSMISSION-TIME": ttime,
        "PAYPAL-TRANSMISSION-SIG": signature,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        "PAYPAL-CERT-URL": paypal_urls.cert_href(lab.sim("paypal").url, identity.cert_id),
    }


@when(p('a {kind:w} "{event_type:Q}" delivery for the payment arrives'))
def crafted_delivery(lab: LabHandle, world: ApiWorld, kind: str, event_type: str) -> None:
    [completed] = wait_until(
        lambda: _deliveries(lab, world, "PAYMENT.CAPTURE.COMPLETED"), "the capture event"
    )
    event = json.loads(completed["body"])
    if kind != "replayed":  # a replay re-sends a genuine, already processed delivery as it was
        event.update(id=f"WH-{uuid.uuid4().hex[:17].upper()}", event_type=event_type)
    body = json.dumps(event).encode()
    webhook_id = lab.env["PAYPAL_WEBHOOK_ID"]
    if kind == "forged":  # signed with a key that is not PayPal's, pointing at PayPal's certificate
        headers = _sign(
            lab, body, webhook_id, key=rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
    elif kind == "tampered":
        headers = _sign(lab, body, webhook_id)
        body = body.replace(b'"COMPLETED"', b'"REFUNDED"')
    else:  # replayed: a genuine delivery of an already processed transmission, sent again
        assert kind == "replayed", kind
        headers = _sign(lab, body, webhook_id)
        first = world.send("POST", "/api/v1/webhooks/paypal", data=body, headers=headers)
        assert first.status_code == 200, first.text
    world.send("POST", "/api/v1/webhooks/paypal", data=body, headers=headers)


# -- the journal ---------------------------------------------------------------------------------------------


def _header(entry: dict[str, Any], name: str) -> str:
    """A journal entry's header, whatever case the server wrote its name in."""
    return next((str(v) for k, v in entry["headers"].items() if k.lower() == name.lower()), "")


@then(p("PayPal received {n:d} capture for the order"))
def captures_received(lab: LabHandle, world: ApiWorld, n: int) -> None:
    path = f"/v2/checkout/orders/{world.saved['provider_ref']}/capture"
    entries = lab.sim("paypal").journal(method="POST", path=path, limit=1000)
    assert len([e for e in entries if e["status"] in (200, 201)]) == n


@then("PayPal refused an expired token and the service fetched a new one")
def token_refreshed(lab: LabHandle, world: ApiWorld) -> None:
    path = f"/v2/checkout/orders/{world.saved['provider_ref']}/capture"
    statuses = [
        e["status"] for e in reversed(lab.sim("paypal").journal(method="POST", path=path, limit=1000))
    ]
    assert statuses[:2] == [401, 201], statuses
    assert lab.sim("paypal").journal(limit=1000, method="POST", path="/v1/oauth2/token", status=200)


@then("the service's requests to PayPal satisfy their contracts")
def paypal_requests_satisfy_contracts(lab: LabHandle, world: ApiWorld) -> None:
    [create] = [
        e
        for e in lab.sim("paypal").journal(limit=1000, method="POST", path="/v2/checkout/orders")
        if _header(e, "PayPal-Request-Id").startswith(f"genai-demo-{world.saved['order_id']}-")
    ]
    contracts.validate("providers/paypal/requests/create-order", json.loads(create["body"]))
    token = requests.post(
        lab.sim("paypal").url + "/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(lab.env["PAYPAL_CLIENT_ID"], lab.env["PAYPAL_CLIENT_SECRET"]),
        timeout=10,
    ).json()
    order = requests.get(
        f"{lab.sim('paypal').url}/v2/checkout/orders/{world.saved['provider_ref']}",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    ).json()
    contracts.validate("providers/paypal/responses/order", order)
