"""Idempotency keys: replays (``Idempotent-Replayed``), errors saved or not, parameter and endpoint
mismatches,
concurrent use (409), expiry after 24 h of simulated time, and the SDK's retries reusing its key."""

from __future__ import annotations

import threading
from typing import Any

import requests
import stripe

from simulators.stripe.auth import account_for_key
from simulators.testing import RunningSimulator, poll

from .conftest import KEY, Raw, error_of

BODY = {"amount": "2000", "currency": "usd", "payment_method_types[0]": "card"}


def _count(raw: Raw) -> int:
    return len(raw.get("/v1/payment_intents", {"limit": 100}).json()["data"])


def test_replay_returns_the_first_response(raw: Raw) -> None:
    first = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "order-1-attempt-1"})
    again = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "order-1-attempt-1"})
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert "Idempotent-Replayed" not in first.headers and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Original-Request"] == first.headers["Request-Id"]
    assert again.headers["Idempotency-Key"] == "order-1-attempt-1"
    assert _count(raw) == 1 and len(raw.get("/v1/events").json()["data"]) == 1
    # parameter order does not matter
    reordered = raw.post(
        "/v1/payment_intents",
        dict(reversed(list(BODY.items()))),
        headers={"Idempotency-Key": "order-1-attempt-1"},
    )
    assert reordered.json()["id"] == first.json()["id"]


def test_failures_are_saved_but_validation_errors_are_not(raw: Raw) -> None:
    declined = {**BODY, "confirm": "true", "payment_method": "pm_card_chargeDeclined"}
    first = raw.post("/v1/payment_intents", declined, headers={"Idempotency-Key": "k-decline"})
    again = raw.post("/v1/payment_intents", declined, headers={"Idempotency-Key": "k-decline"})
    assert first.status_code == again.status_code == 402 and again.text == first.text
    assert again.headers["Idempotent-Replayed"] == "true" and _count(raw) == 1
    missing = raw.post("/v1/payment_intents", {"currency": "usd"}, headers={"Idempotency-Key": "k-fix"})
    assert missing.status_code == 400 and error_of(missing)["code"] == "parameter_missing"
    fixed = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-fix"})
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers


def test_same_key_other_parameters_or_endpoint(client: stripe.StripeClient, raw: Raw) -> None:
    raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-1"})
    resp = raw.post("/v1/payment_intents", {**BODY, "amount": "2001"}, headers={"Idempotency-Key": "k-1"})
    err = error_of(resp)
    assert resp.status_code == 400 and err["type"] == "idempotency_error"
    assert err["message"] == (
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with. Try using a key other than 'k-1' if you meant to execute a "
        "different request."
    )
    other = raw.post("/v1/refunds", {"charge": "ch_x"}, headers={"Idempotency-Key": "k-1"})
    assert other.status_code == 400 and error_of(other)["type"] == "idempotency_error"
    assert "same endpoint" in error_of(other)["message"]
    try:
        client.v1.payment_intents.create(
            params={"amount": 999, "currency": "usd"}, options={"idempotency_key": "k-1"}
        )
        raise AssertionError("expected an IdempotencyError")
    except stripe.IdempotencyError as exc:
        assert exc.http_status == 400
    # GET ignores keys
    got = raw.get("/v1/payment_intents", headers={"Idempotency-Key": "k-1"})
    assert got.status_code == 200 and "Idempotent-Replayed" not in got.headers


def test_concurrent_use_of_a_key_is_409(raw: Raw) -> None:
    assert raw.control("POST", "stripe/config", {"request_delay_ms": 800}).status_code == 200
    results: dict[str, requests.Response] = {}

    def first() -> None:
        results["first"] = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-race"})

    thread = threading.Thread(target=first)
    thread.start()
    account = account_for_key(KEY)

    def claimed() -> bool:
        data = raw.control("GET", f"stripe/idempotency?account={account}").json()["data"]
        return any(r["key"] == "k-race" and r["in_flight"] for r in data)

    poll(claimed)
    second = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-race"})
    thread.join(10)
    err = error_of(second)
    assert second.status_code == 409 and err["code"] == "idempotency_key_in_use"
    assert results["first"].status_code == 200
    raw.control("POST", "stripe/config", {"request_delay_ms": 0})
    replay = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-race"})
    assert (
        replay.headers["Idempotent-Replayed"] == "true"
        and replay.json()["id"] == results["first"].json()["id"]
    )


def test_keys_expire_after_24_hours_of_simulated_time(raw: Raw) -> None:
    first = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-day"}).json()
    raw.control("POST", "clock", {"advance": 86_000})
    assert (
        raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-day"}).json()["id"]
        == first["id"]
    )
    raw.control("POST", "clock", {"advance": 400})
    later = raw.post("/v1/payment_intents", BODY, headers={"Idempotency-Key": "k-day"})
    assert "Idempotent-Replayed" not in later.headers and later.json()["id"] != first["id"]
    assert _count(raw) == 2


def test_sdk_retry_after_a_lost_response_is_replayed(
    sim: RunningSimulator, raw: Raw, monkeypatch: Any
) -> None:
    monkeypatch.setattr(stripe._http_client.HTTPClient, "INITIAL_DELAY", 0.01)  # type: ignore[attr-defined]
    rule = raw.control(
        "POST",
        "faults",
        {
            "match": {"method": "POST", "path": "/v1/payment_intents"},
            "action": {"type": "reset", "after_processing": True},
            "times": 1,
        },
    )
    assert rule.status_code == 201
    client = stripe.StripeClient(KEY, base_addresses={"api": sim.url}, max_network_retries=2)
    pi = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    assert _count(raw) == 1 and raw.get("/v1/payment_intents").json()["data"][0]["id"] == pi.id
    journal = raw.control("GET", "journal?path=/v1/payment_intents&method=POST").json()["data"]
    keys = {e["headers"]["Idempotency-Key"] for e in journal}
    assert len(journal) == 2 and len(keys) == 1  # the SDK reused its key; the second answer was a replay
