"""The pieces around the simulator: ``genai-demo trigger stripe``, the ``wire`` hook of ``genai-demo up``, the
registry entry, the control API (documented in ``/_sim/openapi.json``), health, and bounded memory."""

from __future__ import annotations

import pytest
import requests
import stripe
from click.testing import CliRunner

from simulators.cli import trigger
from simulators.registry import PROVIDERS, load_provider, load_wire
from simulators.stripe.provider import StripeProvider
from simulators.stripe.trigger import EVENTS
from simulators.stripe.urls import CONTROL_ROUTES, control_path
from simulators.stripe.wiring import ENABLED_EVENTS
from simulators.testing import RunningSimulator, WebhookReceiver

from .conftest import KEY, Raw, error_of, schemas


@pytest.mark.parametrize("event", EVENTS)
def test_trigger_makes_the_simulator_emit_the_event(sim: RunningSimulator, raw: Raw, event: str) -> None:
    result = CliRunner().invoke(trigger, ["stripe", event, "--api-base", sim.url, "--api-key", KEY])
    assert result.exit_code == 0, result.output
    assert "Setting up fixture for: payment_intent" in result.output
    assert "Running fixture for: payment_intent" in result.output
    assert result.output.rstrip().endswith("Trigger succeeded! Check dashboard for event details.")
    types = [e["type"] for e in raw.get("/v1/events", {"limit": 100}).json()["data"]]
    assert event in types
    if event == "payment_intent.succeeded":
        pi = raw.get("/v1/payment_intents").json()["data"][0]
        assert pi["description"] == "(created by Stripe CLI)" and pi["shipping"]["name"] == "Jenny Rosen"


def test_trigger_reports_failures(sim: RunningSimulator) -> None:
    result = CliRunner().invoke(
        trigger, ["stripe", "charge.refunded", "--api-base", sim.url, "--api-key", "sk_live_nope"]
    )
    assert result.exit_code != 0 and "Trigger failed" in result.output


def test_wire_registers_the_service_endpoint(
    sim: RunningSimulator, raw: Raw, receiver: WebhookReceiver
) -> None:
    wire = load_wire("stripe")
    assert wire is not None
    service_url = receiver.url.removesuffix("/hook")
    env = {"STRIPE_SECRET_KEY": KEY}
    first = wire(sim.url, service_url, env)
    out = wire(sim.url, service_url, env)  # re-wiring replaces, never duplicates
    assert set(out) == {"STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_ENDPOINT_ID"} and out != first
    endpoints = raw.get("/v1/webhook_endpoints").json()["data"]
    assert [e["id"] for e in endpoints] == [out["STRIPE_WEBHOOK_ENDPOINT_ID"]]
    assert endpoints[0]["url"] == service_url + "/api/v1/webhooks/stripe"
    assert (
        set(endpoints[0]["enabled_events"])
        == set(ENABLED_EVENTS)
        >= {
            "payment_intent.succeeded",
            "payment_intent.payment_failed",
            "payment_intent.requires_action",
            "payment_intent.canceled",
            "charge.refunded",
            "charge.dispute.created",
        }
    )
    raw.post(
        "/v1/payment_intents",
        {
            "amount": "2000",
            "currency": "usd",
            "confirm": "true",
            "payment_method": "pm_card_visa",
            "payment_method_types[]": "card",
        },
    )
    got = receiver.wait_for(1)[0]
    assert got.path == "/api/v1/webhooks/stripe"
    event = stripe.Webhook.construct_event(
        got.body, got.headers["Stripe-Signature"], out["STRIPE_WEBHOOK_SECRET"]
    )
    assert event.type == "payment_intent.succeeded"


def test_registry_and_process_plumbing() -> None:
    spec = PROVIDERS["stripe"]
    assert spec.default_port == 12111 and spec.wire == "simulators.stripe.wiring:wire"
    provider = load_provider("stripe", env={"STRIPE_SIM_MAX_OBJECTS": "50"})
    assert isinstance(provider, StripeProvider) and provider.default_port == 12111


def test_control_api_is_documented(sim: RunningSimulator) -> None:
    doc = requests.get(sim.control_url + "openapi.json", timeout=5).json()
    for route in CONTROL_ROUTES:
        assert route.method.lower() in doc["paths"][control_path(route)], route
    health = requests.get(sim.control_url + "health", timeout=5).json()
    assert health["provider"] == "stripe" and health["stripe"]["api_version"] == "2023-10-16"
    assert (
        requests.post(sim.control_url + "stripe/payment_intents/pi_nope/3ds", json={}, timeout=5).status_code
        == 404
    )
    bad = requests.post(sim.control_url + "stripe/config", json={"max_objects": 1}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"


def test_memory_stays_bounded(make_sim: object) -> None:
    sim: RunningSimulator = make_sim(env={"STRIPE_SIM_MAX_OBJECTS": "20", "STRIPE_SIM_MAX_EVENTS": "30"})  # type: ignore[operator]
    raw = Raw(sim.url)
    ids = [
        raw.post(
            "/v1/payment_intents", {"amount": "2000", "currency": "usd"}, headers={"Idempotency-Key": f"k{i}"}
        ).json()["id"]
        for i in range(50)
    ]
    counts = raw.control("GET", "stripe/accounts").json()["data"][0]["counts"]
    assert counts["payment_intents"] == 20 and counts["events"] == 30 and counts["evicted"] == 30 + 20
    gone = raw.get(f"/v1/payment_intents/{ids[0]}")
    assert gone.status_code == 404 and error_of(gone)["code"] == "resource_missing"
    assert raw.get(f"/v1/payment_intents/{ids[-1]}").status_code == 200
    assert len(raw.get("/v1/payment_intents", {"limit": 100}).json()["data"]) == 20


def test_validating_provider_catches_violations() -> None:
    bad = {"id": "pi_x", "object": "payment_intent", "amount": "2000"}
    problems = schemas().check(bad)
    assert any("amount" in p for p in problems) and any("required" in p for p in problems)
    assert schemas().check({"error": {"type": "card_error", "message": "x"}}) == []
    assert schemas().check({"error": {"type": "nope"}}) != []
