"""Webhooks v1: registration, signed deliveries (self-verified and by postback), events, resend, simulate,
retries on PayPal's 25-attempts-over-3-days schedule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from simulators.paypal.webhooks import RETRY_SCHEDULE
from simulators.testing import RunningSimulator, WebhookReceiver, poll

from .spec import assert_event_valid
from .support import PayPalClient, by_type, header, postback, self_verify, verified

CAPTURE_EVENTS = ("CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED")


def test_register_list_get_patch_delete(pp: PayPalClient) -> None:
    created = pp.call(
        "webhooks.webhook",
        "POST",
        "/v1/notifications/webhooks",
        201,
        json={
            "url": "https://shop.example/hooks/paypal",
            "event_types": [{"name": "PAYMENT.CAPTURE.COMPLETED"}],
        },
    ).json()
    hook_id = created["id"]
    assert created["event_types"] == [
        {
            "name": "PAYMENT.CAPTURE.COMPLETED",
            "description": "A payment capture completes.",
            "status": "ENABLED",
        }
    ]
    assert {link["rel"] for link in created["links"]} == {"self", "update", "delete"}
    listed = pp.call("webhooks.list", "GET", "/v1/notifications/webhooks", 200).json()
    assert [w["id"] for w in listed["webhooks"]] == [hook_id]
    assert pp.call("webhooks.webhook", "GET", f"/v1/notifications/webhooks/{hook_id}", 200).json() == created
    ops = [
        {"op": "replace", "path": "/url", "value": "https://shop.example/v2"},
        {"op": "replace", "path": "/event_types", "value": [{"name": "*"}]},
    ]
    patched = pp.call(
        "webhooks.webhook", "PATCH", f"/v1/notifications/webhooks/{hook_id}", 200, json=ops
    ).json()
    assert patched["url"] == "https://shop.example/v2" and patched["event_types"][0]["name"] == "*"
    types = pp.call(
        "webhooks.event_types", "GET", f"/v1/notifications/webhooks/{hook_id}/event-types", 200
    ).json()
    assert types["event_types"][0]["name"] == "*"
    assert pp.call("webhooks.event_types", "GET", "/v1/notifications/webhooks-event-types", 200).json()[
        "event_types"
    ]
    assert pp.call("webhooks.webhook", "DELETE", f"/v1/notifications/webhooks/{hook_id}", 204).content == b""
    gone = pp.call("webhooks.webhook", "GET", f"/v1/notifications/webhooks/{hook_id}", 404).json()
    assert gone["name"] == "INVALID_RESOURCE_ID"


def test_registration_errors(pp: PayPalClient) -> None:
    def create(body: Any) -> dict[str, Any]:
        data: dict[str, Any] = pp.call(
            "webhooks.webhook", "POST", "/v1/notifications/webhooks", 400, json=body
        ).json()
        return data

    assert create({"event_types": [{"name": "*"}]})["details"][0]["field"] == "url"
    assert (
        create({"url": "ftp://x", "event_types": [{"name": "*"}]})["details"][0]["issue"]
        == "Not a valid webhook URL"
    )
    assert (
        create({"url": "https://a.example", "event_types": [{"name": "NOPE.EVENT"}]})["name"]
        == "VALIDATION_ERROR"
    )
    assert create({"url": "https://a.example", "event_types": []})["name"] == "VALIDATION_ERROR"
    pp.register_webhook("https://a.example/1")
    assert (
        create({"url": "https://a.example/1", "event_types": [{"name": "*"}]})["name"]
        == "WEBHOOK_URL_ALREADY_EXISTS"
    )
    for i in range(2, 11):
        pp.register_webhook(f"https://a.example/{i}")
    assert (
        create({"url": "https://a.example/11", "event_types": [{"name": "*"}]})["name"]
        == "WEBHOOK_NUMBER_LIMIT_EXCEEDED"
    )
    malformed = pp.call(
        "webhooks.webhook",
        "POST",
        "/v1/notifications/webhooks",
        400,
        data=b"{",
        headers={"Content-Type": "application/json"},
    )
    assert malformed.json()["name"] == "MALFORMED_REQUEST"


def _checkout(pp: PayPalClient, **payer: str) -> tuple[str, dict[str, Any]]:
    order = pp.create()
    pp.approve(order["id"], **payer)
    return order["id"], pp.capture(order["id"]).json()


def test_checkout_events_are_delivered_signed_and_verifiable(
    pp: PayPalClient, receiver: WebhookReceiver
) -> None:
    hook = pp.register_webhook(receiver.url, CAPTURE_EVENTS)
    order_id, captured = _checkout(pp)
    got = by_type(receiver.wait_for(2))
    approved = verified(pp, got["CHECKOUT.ORDER.APPROVED"], hook)
    completed = verified(pp, got["PAYMENT.CAPTURE.COMPLETED"], hook)
    assert (
        approved["event_type"] == "CHECKOUT.ORDER.APPROVED" and approved["resource_type"] == "checkout-order"
    )
    assert approved["resource"]["id"] == order_id and approved["resource"]["status"] == "APPROVED"
    assert {link["rel"] for link in approved["resource"]["links"]} == {"self", "update", "capture"}
    assert completed["event_type"] == "PAYMENT.CAPTURE.COMPLETED" and completed["resource_type"] == "capture"
    capture = completed["resource"]
    assert capture["id"] == captured["purchase_units"][0]["payments"]["captures"][0]["id"]
    assert capture["supplementary_data"]["related_ids"]["order_id"] == order_id
    assert completed["summary"] == "Payment completed for $ 10.00 USD"
    assert (completed["event_version"], completed["resource_version"]) == ("1.0", "2.0")
    assert completed["id"].startswith("WH-") and completed["links"][1]["rel"] == "resend"
    ids = {header(r, "PAYPAL-TRANSMISSION-ID") for r in receiver.received}
    assert len(ids) == 2


def test_postback_says_failure_when_anything_is_off(
    sim: RunningSimulator, pp: PayPalClient, receiver: WebhookReceiver
) -> None:
    hook = pp.register_webhook(receiver.url, CAPTURE_EVENTS)
    other = pp.register_webhook(receiver.url + "/other", ("CHECKOUT.ORDER.SAVED",))
    _checkout(pp)
    delivery = by_type(receiver.wait_for(2))["PAYMENT.CAPTURE.COMPLETED"]
    event = json.loads(delivery.body)
    assert postback(pp, delivery, hook) == "SUCCESS"
    tampered = {
        **event,
        "resource": {**event["resource"], "amount": {"currency_code": "USD", "value": "0.01"}},
    }
    assert postback(pp, delivery, hook, tampered) == "FAILURE"
    assert postback(pp, delivery, other) == "FAILURE"
    assert postback(pp, delivery, "NOSUCHWEBHOOK") == "FAILURE"
    base = {
        "auth_algo": "SHA256withRSA",
        "cert_url": header(delivery, "PAYPAL-CERT-URL"),
        "transmission_id": header(delivery, "PAYPAL-TRANSMISSION-ID"),
        "transmission_sig": header(delivery, "PAYPAL-TRANSMISSION-SIG"),
        "transmission_time": header(delivery, "PAYPAL-TRANSMISSION-TIME"),
        "webhook_id": hook,
        "webhook_event": event,
    }
    path = "/v1/notifications/verify-webhook-signature"
    for change in (
        {"auth_algo": "SHA1withRSA"},
        {"cert_url": pp.base + "/v1/notifications/certs/CERT-x"},
        {"transmission_time": "2020-01-01T00:00:00Z"},
        {"transmission_sig": base["transmission_sig"][::-1]},
    ):
        status = pp.call("webhooks.verify", "POST", path, 200, json={**base, **change}).json()[
            "verification_status"
        ]
        assert status == "FAILURE", change
    for missing in (
        "auth_algo",
        "cert_url",
        "transmission_id",
        "transmission_sig",
        "transmission_time",
        "webhook_id",
        "webhook_event",
    ):
        body = {k: v for k, v in base.items() if k != missing}
        error = pp.call("webhooks.verify", "POST", path, 400, json=body).json()
        assert error["name"] == "VALIDATION_ERROR" and error["details"][0]["field"] == missing
    bad_time = pp.call(
        "webhooks.verify", "POST", path, 400, json={**base, "transmission_time": "yesterday"}
    ).json()
    assert bad_time["details"][0]["field"] == "transmission_time"


def test_certificate_is_served_without_auth(sim: RunningSimulator) -> None:
    info = sim.client.request("GET", "paypal/cert").json()
    assert "CN=messageverificationcerts.sandbox.paypal.com" in info["subject"]
    pem = requests.get(f"{sim.url}/v1/notifications/certs/{info['cert_id']}", timeout=10)
    assert pem.status_code == 200 and pem.text == info["pem"]
    assert requests.get(f"{sim.url}/v1/notifications/certs/CERT-nope", timeout=10).status_code == 404


def test_events_list_get_and_resend(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    hook = pp.register_webhook(receiver.url, CAPTURE_EVENTS)
    order_id, _ = _checkout(pp)
    receiver.wait_for(2)
    listed = pp.call("webhooks.events", "GET", "/v1/notifications/webhooks-events", 200).json()
    assert [e["event_type"] for e in listed["events"]] == [
        "PAYMENT.CAPTURE.COMPLETED",
        "CHECKOUT.ORDER.APPROVED",
    ]
    assert listed["count"] == 2
    only = pp.call(
        "webhooks.events",
        "GET",
        "/v1/notifications/webhooks-events",
        200,
        params={"event_type": "CHECKOUT.ORDER.APPROVED"},
    )
    assert [e["resource"]["id"] for e in only.json()["events"]] == [order_id]
    by_txn = pp.call(
        "webhooks.events",
        "GET",
        "/v1/notifications/webhooks-events",
        200,
        params={"transaction_id": order_id},
    )
    assert by_txn.json()["count"] == 1
    event = listed["events"][0]
    self_link = next(link["href"] for link in event["links"] if link["rel"] == "self")
    assert pp.call("webhooks.event", "GET", self_link[len(pp.base) :], 200).json() == event
    resent = pp.call(
        "webhooks.event", "POST", self_link[len(pp.base) :] + "/resend", 202, json={"webhook_ids": [hook]}
    ).json()
    assert resent["id"] == event["id"]
    again = receiver.wait_for(3)[2]
    assert json.loads(again.body) == event and verified(pp, again, hook)["id"] == event["id"]
    assert (
        pp.call("webhooks.event", "GET", "/v1/notifications/webhooks-events/WH-NOPE", 404).json()["name"]
        == "INVALID_RESOURCE_ID"
    )


def test_unsubscribed_events_are_not_sent(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    pp.register_webhook(receiver.url, ("PAYMENT.CAPTURE.COMPLETED",))
    _checkout(pp)
    got = receiver.wait_for(1)
    assert [json.loads(r.body)["event_type"] for r in got] == ["PAYMENT.CAPTURE.COMPLETED"]


@pytest.mark.parametrize(
    "event_type",
    [
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.DENIED",
        "PAYMENT.CAPTURE.PENDING",
        "PAYMENT.CAPTURE.REFUNDED",
        "PAYMENT.AUTHORIZATION.CREATED",
    ],
)
def test_simulate_event_to_a_webhook(pp: PayPalClient, receiver: WebhookReceiver, event_type: str) -> None:
    hook = pp.register_webhook(receiver.url)
    body = {"webhook_id": hook, "event_type": event_type, "resource_version": "2.0"}
    sent = pp.call("webhooks.event", "POST", "/v1/notifications/simulate-event", 202, json=body).json()
    delivered = verified(pp, receiver.wait_for(1)[0], hook)
    assert delivered == sent and sent["event_type"] == event_type


def test_simulate_event_to_a_url_and_errors(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    body = {"url": receiver.url, "event_type": "PAYMENT.CAPTURE.COMPLETED"}
    pp.call("webhooks.event", "POST", "/v1/notifications/simulate-event", 202, json=body)
    self_verify(receiver.wait_for(1)[0], "WEBHOOK_ID")
    path = "/v1/notifications/simulate-event"
    assert (
        pp.call("webhooks.event", "POST", path, 400, json={"url": receiver.url}).json()["details"][0]["field"]
        == "event_type"
    )
    assert (
        pp.call(
            "webhooks.event", "POST", path, 400, json={"event_type": "PAYMENT.CAPTURE.COMPLETED"}
        ).status_code
        == 400
    )
    missing = pp.call(
        "webhooks.event",
        "POST",
        path,
        404,
        json={"webhook_id": "NOPE", "event_type": "PAYMENT.CAPTURE.COMPLETED"},
    )
    assert missing.json()["name"] == "INVALID_RESOURCE_ID"
    unknown = pp.call(
        "webhooks.event", "POST", path, 400, json={"url": receiver.url, "event_type": "NOT.A.TYPE"}
    )
    assert unknown.json()["name"] == "VALIDATION_ERROR"


def test_retry_schedule_is_25_attempts_over_3_days() -> None:
    assert len(RETRY_SCHEDULE) + 1 == 25
    assert sum(RETRY_SCHEDULE) == 3 * 86400
    assert list(RETRY_SCHEDULE) == sorted(RETRY_SCHEDULE)


def test_a_failing_receiver_is_retried_until_it_answers(make_sim: Callable[..., RunningSimulator]) -> None:
    sim = make_sim(time_scale=1.0, webhook_timeout_s=2.0)
    pp = PayPalClient(sim.url)
    with WebhookReceiver(default=500) as rx:
        hook = pp.register_webhook(rx.url, ("CHECKOUT.ORDER.APPROVED",))
        order = pp.create()
        pp.approve(order["id"])
        rx.wait_for(1)
        sim.client.request("POST", "clock", json={"advance": sum(RETRY_SCHEDULE[:5]), "wait": True})
        got = rx.wait_for(6)
        assert (
            len({r.body for r in got}) == 1 and len({header(r, "PAYPAL-TRANSMISSION-ID") for r in got}) == 6
        )
        rx.default = 200
        sim.client.request("POST", "clock", json={"advance": RETRY_SCHEDULE[5], "wait": True})
        last = rx.wait_for(7)[-1]
        assert last.status == 200 and verified(pp, last, hook)["resource"]["id"] == order["id"]
        dlv = poll(lambda: sim.client.request("GET", "webhooks/deliveries").json()["data"][0], timeout=5)
        assert dlv["status"] == "succeeded" and dlv["attempt_count"] == 7


def test_an_unreachable_receiver_gets_all_25_attempts(make_sim: Callable[..., RunningSimulator]) -> None:
    sim = make_sim(time_scale=86400.0, webhook_timeout_s=1.0)
    pp = PayPalClient(sim.url)
    with WebhookReceiver(default=503) as rx:
        pp.register_webhook(rx.url, ("CHECKOUT.ORDER.APPROVED",))
        pp.approve(pp.create()["id"])
        sim.client.request("POST", "clock", json={"advance": 10, "wait": True})

        def finished() -> dict[str, Any] | None:
            data: dict[str, Any] = sim.client.request("GET", "webhooks/deliveries").json()["data"][0]
            return data if data["status"] == "failed" else None

        dlv = poll(finished, timeout=15)
        assert dlv["attempt_count"] == 25 and len(rx.received) == 25 and dlv["next_attempt_at"] is None


def test_webhook_resources_validate(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    pp.register_webhook(receiver.url)
    capture = pp.paid_capture()
    pp.call("payments.refund", "POST", f"/v2/payments/captures/{capture['id']}/refund", 201)
    events = {t: json.loads(r.body) for t, r in by_type(receiver.wait_for(3)).items()}
    assert set(events) == {"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"}
    refunded = events["PAYMENT.CAPTURE.REFUNDED"]
    assert refunded["resource_type"] == "refund"
    assert refunded["summary"] == "A $ 10.00 USD capture payment was refunded"
    for event in events.values():
        assert_event_valid(event)


def test_authorization_events(pp: PayPalClient, receiver: WebhookReceiver) -> None:
    names = ("PAYMENT.AUTHORIZATION.CREATED", "PAYMENT.AUTHORIZATION.VOIDED", "PAYMENT.CAPTURE.COMPLETED")
    hook = pp.register_webhook(receiver.url, names)
    body = {"intent": "AUTHORIZE", "purchase_units": [{"amount": {"currency_code": "EUR", "value": "40.00"}}]}
    order = pp.create(body)
    pp.approve(order["id"])
    path = f"/v2/checkout/orders/{order['id']}/authorize"
    first = pp.call("orders.authorize", "POST", path, 201, headers={"PayPal-Request-Id": "auth-1"}).json()
    assert (
        pp.call("orders.authorize", "POST", path, 200, headers={"PayPal-Request-Id": "auth-1"}).json()
        == first
    )
    auth_id = first["purchase_units"][0]["payments"]["authorizations"][0]["id"]
    apath = f"/v2/payments/authorizations/{auth_id}"
    pp.call(
        "payments.capture",
        "POST",
        apath + "/capture",
        201,
        json={"amount": {"currency_code": "EUR", "value": "15.00"}},
    )
    pp.call(
        "payments.authorization", "POST", apath + "/void", 200, headers={"Prefer": "return=representation"}
    )
    events = {t: verified(pp, r, hook) for t, r in by_type(receiver.wait_for(3)).items()}
    assert set(events) == set(names)
    created = events["PAYMENT.AUTHORIZATION.CREATED"]
    assert created["summary"] == "A successful payment authorization was created for € 40.00 EUR"
    related = events["PAYMENT.CAPTURE.COMPLETED"]["resource"]["supplementary_data"]["related_ids"]
    assert related["authorization_id"] == auth_id
