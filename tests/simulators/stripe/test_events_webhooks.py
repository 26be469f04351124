"""Events and webhooks: ``/v1/webhook_endpoints``, signed deliveries verified with
``stripe.Webhook.construct_event``,
Stripe's delivery headers, retries on the simulated clock with ``pending_webhooks`` and ``delivery_success``,
and ``GET /v1/events`` filters and pagination."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import requests
import stripe

from simulators.stripe.auth import account_for_key
from simulators.stripe.webhooks import RETRY_SCHEDULE
from simulators.testing import Received, RunningSimulator, WebhookReceiver, poll

from .conftest import KEY, Raw, error_of, schemas

SIGNATURE = re.compile(r"^t=(\d+),v1=([0-9a-f]{64})(,v0=[0-9a-f]{64})?$")


def _endpoint(client: stripe.StripeClient, url: str, events: list[str] | None = None) -> Any:
    return client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": events or ["*"]})


def _pay(client: stripe.StripeClient, pm: str = "pm_card_visa") -> Any:
    return client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": pm,
            "payment_method_types": ["card"],
        }
    )


def _verified(received: Received, secret: str) -> stripe.Event:
    header = received.headers["Stripe-Signature"]
    assert SIGNATURE.match(header), header
    event = stripe.Webhook.construct_event(received.body, header, secret)
    assert schemas().check(json.loads(received.body)) == []
    return event


def test_webhook_endpoint_crud(client: stripe.StripeClient, raw: Raw, sim: RunningSimulator) -> None:
    created = client.v1.webhook_endpoints.create(
        params={
            "url": "https://service.example/api/v1/webhooks/stripe",
            "enabled_events": ["payment_intent.succeeded"],
            "description": "orders",
            "metadata": {"team": "payments"},
            "api_version": "2023-10-16",
        }
    )
    assert (
        created.id.startswith("we_") and created.secret.startswith("whsec_") and created.status == "enabled"
    )
    assert created.enabled_events == ["payment_intent.succeeded"] and created.api_version == "2023-10-16"
    assert created.metadata["team"] == "payments" and created.description == "orders"
    fetched = raw.get(f"/v1/webhook_endpoints/{created.id}").json()
    assert "secret" not in fetched and fetched["url"] == created.url
    updated = client.v1.webhook_endpoints.update(
        created.id, params={"disabled": True, "enabled_events": ["charge.refunded"]}
    )
    assert updated.status == "disabled" and updated.enabled_events == ["charge.refunded"]
    listed = client.v1.webhook_endpoints.list()
    assert [e.id for e in listed.data] == [created.id] and listed.url == "/v1/webhook_endpoints"
    kernel = requests.get(sim.control_url + "webhooks/endpoints", timeout=5).json()["data"]
    assert kernel[0]["id"] == created.id and kernel[0]["account"] == account_for_key(KEY)
    raw.control("POST", "reset")
    assert client.v1.webhook_endpoints.retrieve(created.id).id == created.id  # endpoints survive a reset
    deleted = client.v1.webhook_endpoints.delete(created.id)
    assert deleted.deleted is True and deleted.id == created.id
    assert raw.get(f"/v1/webhook_endpoints/{created.id}").status_code == 404
    err = error_of(
        raw.post("/v1/webhook_endpoints", {"url": "https://x.example", "enabled_events[]": "nope.event"})
    )
    assert err["param"] == "enabled_events[0]"
    assert (
        error_of(raw.post("/v1/webhook_endpoints", {"enabled_events[]": "*"}))["code"] == "parameter_missing"
    )


def test_deliveries_are_signed_like_stripe(
    client: stripe.StripeClient, receiver: WebhookReceiver, raw: Raw
) -> None:
    endpoint = _endpoint(client, receiver.url)
    pi = _pay(client)
    got = receiver.wait_for(3)
    events = [_verified(r, endpoint.secret) for r in got]
    assert sorted(e.type for e in events) == [
        "charge.succeeded",
        "payment_intent.created",
        "payment_intent.succeeded",
    ]
    first = got[0]
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    assert first.headers["User-Agent"] == "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
    assert ",v0=" in first.headers["Stripe-Signature"] and " " not in first.headers["Stripe-Signature"]
    succeeded = next(e for e in events if e.type == "payment_intent.succeeded")
    assert succeeded.data.object.id == pi.id and succeeded.data.object.status == "succeeded"
    assert succeeded.pending_webhooks == 1 and succeeded.api_version == "2023-10-16"
    stored = raw.get(f"/v1/events/{succeeded.id}").json()
    body = json.loads(next(r.body for r in got if succeeded.id.encode() in r.body))
    assert stored["data"] == body["data"] and stored["request"]["id"] is not None
    poll(lambda: raw.get(f"/v1/events/{succeeded.id}").json()["pending_webhooks"] == 0)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(first.body, first.headers["Stripe-Signature"], "whsec_wrong")
    raw.control("POST", "stripe/config", {"v0_signature": False})
    client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    last = receiver.wait_for(4)[-1]
    assert ",v0=" not in last.headers["Stripe-Signature"] and _verified(last, endpoint.secret)


def test_enabled_events_filter(client: stripe.StripeClient, receiver: WebhookReceiver) -> None:
    endpoint = _endpoint(client, receiver.url, ["payment_intent.payment_failed", "charge.refunded"])
    with pytest.raises(stripe.CardError):
        _pay(client, "pm_card_chargeDeclined")
    ok = _pay(client)
    client.v1.refunds.create(params={"payment_intent": ok.id})
    got = receiver.wait_for(2)
    assert [_verified(r, endpoint.secret).type for r in got] == [
        "payment_intent.payment_failed",
        "charge.refunded",
    ]


def test_retries_with_fresh_signatures_and_pending_webhooks(
    client: stripe.StripeClient, receiver: WebhookReceiver, raw: Raw
) -> None:
    receiver.default = 500
    endpoint = _endpoint(client, receiver.url, ["payment_intent.succeeded"])
    pi = _pay(client)
    first = receiver.wait_for(1)[0]
    event = _verified(first, endpoint.secret)
    assert event.data.object.id == pi.id

    def pending() -> int:
        value: int = raw.get(f"/v1/events/{event.id}").json()["pending_webhooks"]
        return value

    poll(
        lambda: raw.control("GET", f"webhooks/deliveries?event_id={event.id}").json()["data"][0][
            "attempt_count"
        ]
    )
    assert pending() == 1
    failed = raw.get("/v1/events", {"delivery_success": "false"}).json()["data"]
    assert [e["id"] for e in failed] == [event.id]
    raw.control("POST", "clock", {"advance": RETRY_SCHEDULE[0], "wait": True})
    second = receiver.wait_for(2)[1]
    t1 = int(SIGNATURE.match(first.headers["Stripe-Signature"]).group(1))  # type: ignore[union-attr]
    t2 = int(SIGNATURE.match(second.headers["Stripe-Signature"]).group(1))  # type: ignore[union-attr]
    assert t2 >= t1 + RETRY_SCHEDULE[0] and second.body == first.body
    _verified(
        second, endpoint.secret
    )  # re-signed for the new timestamp (stripe's default tolerance is 300 s)
    assert pending() == 1
    receiver.default = 200
    raw.control("POST", "clock", {"advance": RETRY_SCHEDULE[1], "wait": True})
    third = receiver.wait_for(3)[2]
    _verified(third, endpoint.secret)
    poll(lambda: pending() == 0)
    assert raw.get("/v1/events", {"delivery_success": "false"}).json()["data"] == []
    delivered = raw.get("/v1/events", {"delivery_success": "true", "type": "payment_intent.succeeded"}).json()
    assert [e["id"] for e in delivered["data"]] == [event.id]
    schedule = raw.control("GET", "webhooks").json()["retry_schedule"]
    assert schedule == list(RETRY_SCHEDULE) and sum(schedule) == 3 * 86_400


def test_event_filters_and_pagination(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]},
        options={"idempotency_key": "evt-test-1"},
    )
    client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    client.v1.refunds.create(params={"payment_intent": pi.id})
    all_types = [e["type"] for e in raw.get("/v1/events", {"limit": 100}).json()["data"]]
    assert all_types == [
        "charge.refunded",
        "refund.created",
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]
    created_event = raw.get("/v1/events", {"type": "payment_intent.created"}).json()["data"][0]
    assert created_event["request"]["idempotency_key"] == "evt-test-1"
    assert [e["type"] for e in raw.get("/v1/events", {"type": "charge.*"}).json()["data"]] == [
        "charge.refunded",
        "charge.succeeded",
    ]
    both = raw.get(
        "/v1/events", [("types[]", "refund.created"), ("types[]", "payment_intent.created")]
    ).json()
    assert [e["type"] for e in both["data"]] == ["refund.created", "payment_intent.created"]
    indexed = raw.get("/v1/events", [("types[0]", "refund.created")]).json()
    assert [e["type"] for e in indexed["data"]] == ["refund.created"]
    err = error_of(raw.get("/v1/events", {"type": "charge.refunded", "types[]": "refund.created"}))
    assert err["type"] == "invalid_request_error"
    created = created_event["created"]
    assert len(raw.get("/v1/events", {"created[gte]": created}).json()["data"]) == 5
    assert raw.get("/v1/events", {"created[gt]": created + 10_000}).json()["data"] == []
    page1 = raw.get("/v1/events", {"limit": 2}).json()
    assert page1["has_more"] is True and page1["url"] == "/v1/events"
    page2 = raw.get("/v1/events", {"limit": 2, "starting_after": page1["data"][-1]["id"]}).json()
    page3 = raw.get("/v1/events", {"limit": 2, "starting_after": page2["data"][-1]["id"]}).json()
    assert page3["has_more"] is False
    assert [e["type"] for e in page1["data"] + page2["data"] + page3["data"]] == all_types
    back = raw.get("/v1/events", {"limit": 2, "ending_before": page3["data"][0]["id"]}).json()
    assert back["data"] == page2["data"]
    assert [e.type for e in client.v1.events.list(params={"limit": 2}).auto_paging_iter()] == all_types
    assert client.v1.events.retrieve(created_event["id"]).type == "payment_intent.created"
