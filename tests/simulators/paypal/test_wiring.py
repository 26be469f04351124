"""The ``wire`` hook ``genai-demo up`` calls: register the service's webhook through PayPal's API."""

from __future__ import annotations

import json

import pytest

from simulators.paypal.wiring import WiringError, wire
from simulators.testing import RunningSimulator, WebhookReceiver

from .support import PayPalClient, by_type, verified


def test_wire_registers_the_service_webhook_once(sim: RunningSimulator, receiver: WebhookReceiver) -> None:
    service = receiver.url.rsplit("/", 1)[0]
    env = {"PAYPAL_CLIENT_ID": "genai-demo-client", "PAYPAL_CLIENT_SECRET": "genai-demo-secret"}
    first = wire(sim.url, service, env)
    assert list(first) == ["PAYPAL_WEBHOOK_ID"]
    assert wire(sim.url, service + "/", {}) == first  # lab defaults; idempotent
    pp = PayPalClient(sim.url)
    hooks = pp.call("webhooks.list", "GET", "/v1/notifications/webhooks", 200).json()["webhooks"]
    assert [(h["id"], h["url"]) for h in hooks] == [
        (first["PAYPAL_WEBHOOK_ID"], service + "/api/v1/webhooks/paypal")
    ]
    assert {t["name"] for t in hooks[0]["event_types"]} >= {
        "CHECKOUT.ORDER.APPROVED",
        "PAYMENT.CAPTURE.COMPLETED",
        "PAYMENT.CAPTURE.DENIED",
    }
    pp.paid_capture()
    got = receiver.wait_for(2)
    assert {r.path for r in got} == {"/api/v1/webhooks/paypal"}
    events = {verified(pp, r, first["PAYPAL_WEBHOOK_ID"])["event_type"] for r in got}
    assert events == {"CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED"}
    assert json.loads(by_type(got)["PAYMENT.CAPTURE.COMPLETED"].body)["resource"]["status"] == "COMPLETED"


def test_wire_fails_clearly_with_bad_credentials(sim: RunningSimulator) -> None:
    with pytest.raises(WiringError, match="401"):
        wire(
            sim.url,
            "http://127.0.0.1:8000",
            {"PAYPAL_CLIENT_ID": "genai-demo-client", "PAYPAL_CLIENT_SECRET": "no"},
        )
