"""PaymentIntents through the official SDK and raw HTTP: the status machine, every illegal call, manual and
partial capture, cancellation reasons, updates, the 2023-08-16 return_url rule, lists and pagination."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from simulators.stripe.models_intents import RETURN_URL_REQUIRED
from simulators.testing import RunningSimulator

from .conftest import Raw, error_of

CARD = {"payment_method_types": ["card"]}


def _types(raw: Raw) -> list[str]:
    return [e["type"] for e in reversed(raw.get("/v1/events", {"limit": 100}).json()["data"])]


def test_create_defaults_at_2023_10_16(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "USD", "metadata": {"order_id": "o1"}}
    )
    assert pi.status == "requires_payment_method" and pi.object == "payment_intent"
    assert pi.id.startswith("pi_") and pi.client_secret.startswith(pi.id + "_secret_")
    # 2023-08-16: without payment_method_types, automatic payment methods are on by default.
    assert pi.automatic_payment_methods is not None and pi.automatic_payment_methods.enabled is True
    assert pi.automatic_payment_methods.allow_redirects == "always"
    assert pi.currency == "usd" and pi.metadata["order_id"] == "o1" and pi.livemode is False
    assert pi.capture_method == "automatic" and pi.confirmation_method == "automatic"
    assert pi.amount_received == 0 and pi.latest_charge is None and pi.last_payment_error is None
    resp = raw.get(f"/v1/payment_intents/{pi.id}")
    assert resp.headers["Request-Id"].startswith("req_") and resp.headers["Stripe-Version"] == "2023-10-16"
    assert resp.json()["id"] == pi.id and resp.json()["client_secret"] == pi.client_secret


def test_happy_path_and_events(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 1500, "currency": "eur", "payment_method": "pm_card_visa", **CARD}
    )
    assert pi.status == "requires_confirmation" and pi.payment_method and pi.payment_method.startswith("pm_")
    done = client.v1.payment_intents.confirm(pi.id)
    assert done.status == "succeeded" and done.amount_received == 1500 and done.latest_charge
    charge = client.v1.charges.retrieve(done.latest_charge)
    assert charge.status == "succeeded" and charge.captured and charge.paid and charge.amount_captured == 1500
    assert charge.payment_intent == pi.id and charge.payment_method == pi.payment_method
    assert charge.payment_method_details.card.last4 == "4242"
    assert _types(raw) == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]
    expanded = client.v1.payment_intents.retrieve(
        pi.id, params={"expand": ["latest_charge", "payment_method"]}
    )
    assert expanded.latest_charge.object == "charge" and expanded.payment_method.card.brand == "visa"


def test_create_and_confirm_in_one_call(raw: Raw) -> None:
    resp = raw.post(
        "/v1/payment_intents",
        {
            "amount": "2000",
            "currency": "usd",
            "confirm": "true",
            "payment_method": "pm_card_mastercard",
            "payment_method_types[]": "card",
        },
    )
    body = resp.json()
    assert (
        resp.status_code == 200 and body["status"] == "succeeded" and body["payment_method"].startswith("pm_")
    )
    pm = raw.get(f"/v1/payment_methods/{body['payment_method']}").json()
    assert pm["card"]["brand"] == "mastercard" and pm["card"]["last4"] == "4444"


def test_return_url_rule_of_2023_08_16(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert exc.value.http_status == 400 and exc.value.user_message == RETURN_URL_REQUIRED
    assert client.v1.payment_intents.retrieve(pi.id).status == "requires_payment_method"  # nothing changed
    ok = client.v1.payment_intents.confirm(
        pi.id, params={"payment_method": "pm_card_visa", "return_url": "https://shop.example/return"}
    )
    assert ok.status == "succeeded"
    never = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        }
    )
    assert never.status == "succeeded"
    off = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_visa",
            "off_session": True,
        }
    )
    assert off.status == "succeeded"
    err = error_of(
        raw.post(
            "/v1/payment_intents",
            {
                "amount": 2000,
                "currency": "usd",
                "confirm": "true",
                "payment_method": "pm_card_visa",
                "return_url": "https://x.test/r",
                "error_on_requires_action": "true",
            },
        )
    )
    assert err["type"] == "invalid_request_error" and err["param"] == "error_on_requires_action"


@pytest.mark.parametrize(
    ("setup", "call", "message"),
    [
        ("succeeded", "confirm",
         "You cannot confirm this PaymentIntent because it has already succeeded after being previously "
         "confirmed."),
        ("canceled", "confirm",
         "You cannot confirm this PaymentIntent because it has a status of canceled. Only a "
         "PaymentIntent with one "
         "of the following statuses may be confirmed: requires_confirmation, requires_payment_method, "
         "requires_action."),
        ("requires_capture", "confirm",
         "You cannot confirm this PaymentIntent because it has a status of requires_capture. Only a "
         "PaymentIntent "
         "with one of the following statuses may be confirmed: requires_confirmation, "
         "requires_payment_method, "
         "requires_action."),
        ("requires_payment_method", "capture",
         "This PaymentIntent could not be captured because it has a status of requires_payment_method. "
         "Only a "
         "PaymentIntent with one of the following statuses may be captured: requires_capture."),
        ("succeeded", "capture",
         "This PaymentIntent could not be captured because it has a status of succeeded. Only a "
         "PaymentIntent "
         "with one of the following statuses may be captured: requires_capture."),
        ("succeeded", "cancel",
         "You cannot cancel this PaymentIntent because it has a status of succeeded. Only a "
         "PaymentIntent with "
         "one of the following statuses may be canceled: requires_payment_method, requires_capture, "
         "requires_confirmation, requires_action, processing."),
        ("canceled", "cancel",
         "You cannot cancel this PaymentIntent because it has a status of canceled. Only a PaymentIntent "
         "with one "
         "of the following statuses may be canceled: requires_payment_method, requires_capture, "
         "requires_confirmation, requires_action, processing."),
        ("requires_payment_method", "confirm",
         "You cannot confirm this PaymentIntent because it's missing a payment method. You can either "
         "update the "
         "PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a "
         "payment method."),
    ],
)  # fmt: skip
def test_illegal_calls_get_unexpected_state(raw: Raw, setup: str, call: str, message: str) -> None:
    params: dict[str, Any] = {"amount": "2000", "currency": "usd", "payment_method_types[0]": "card"}
    if setup in ("succeeded", "requires_capture"):
        params.update({"confirm": "true", "payment_method": "pm_card_visa"})
    if setup == "requires_capture":
        params["capture_method"] = "manual"
    pi = raw.post("/v1/payment_intents", params).json()
    if setup == "canceled":
        raw.post(f"/v1/payment_intents/{pi['id']}/cancel")
    assert raw.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == setup
    resp = raw.post(f"/v1/payment_intents/{pi['id']}/{call}")
    err = error_of(resp)
    assert resp.status_code == 400
    assert err["type"] == "invalid_request_error" and err["code"] == "payment_intent_unexpected_state"
    assert err["message"] == message
    assert err["doc_url"] == "https://stripe.com/docs/error-codes/payment-intent-unexpected-state"
    assert err["payment_intent"]["id"] == pi["id"] and err["payment_intent"]["status"] == setup
    assert raw.get(f"/v1/payment_intents/{pi['id']}").json()["status"] == setup  # unchanged


def test_update_money_fields_refused_after_success(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "confirm": True, "payment_method": "pm_card_visa", **CARD}
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.update(pi.id, params={"amount": 3000})
    assert exc.value.code == "payment_intent_unexpected_state"
    updated = client.v1.payment_intents.update(
        pi.id, params={"metadata": {"note": "gift"}, "description": "x"}
    )
    assert updated.metadata["note"] == "gift" and updated.description == "x" and updated.amount == 2000


def test_manual_capture_full_and_events(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "capture_method": "manual",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **CARD,
        }
    )
    assert pi.status == "requires_capture" and pi.amount_capturable == 5000 and pi.amount_received == 0
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.captured is False and charge.paid is True and charge.amount_captured == 0
    done = client.v1.payment_intents.capture(pi.id)
    assert done.status == "succeeded" and done.amount_received == 5000 and done.amount_capturable == 0
    assert client.v1.charges.retrieve(pi.latest_charge).captured is True
    assert _types(raw) == [
        "payment_intent.created",
        "charge.succeeded",
        "payment_intent.amount_capturable_updated",
        "charge.captured",
        "payment_intent.succeeded",
    ]


def test_partial_capture_releases_the_rest(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 5000,
            "currency": "usd",
            "capture_method": "manual",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **CARD,
        }
    )
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 6000})
    assert exc.value.param == "amount_to_capture"
    done = client.v1.payment_intents.capture(pi.id, params={"amount_to_capture": 3500})
    assert done.status == "succeeded" and done.amount_received == 3500
    charge = client.v1.charges.retrieve(pi.latest_charge, params={"expand": ["refunds"]})
    assert charge.amount_captured == 3500 and charge.amount_refunded == 1500 and charge.refunded is False
    assert [r.amount for r in charge.refunds.data] == [1500]


@pytest.mark.parametrize("reason", ["abandoned", "duplicate", "fraudulent", "requested_by_customer", None])
def test_cancel_with_reasons(client: stripe.StripeClient, raw: Raw, reason: str | None) -> None:
    pi = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", **CARD})
    params = {"cancellation_reason": reason} if reason else {}
    canceled = client.v1.payment_intents.cancel(pi.id, params=params)  # type: ignore[arg-type]
    assert canceled.status == "canceled" and canceled.cancellation_reason == reason
    assert canceled.canceled_at is not None and canceled.canceled_at >= pi.created
    assert _types(raw)[-1] == "payment_intent.canceled"


def test_cancel_reason_must_be_known_and_authorisations_are_released(
    client: stripe.StripeClient, raw: Raw
) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "capture_method": "manual",
            "confirm": True,
            "payment_method": "pm_card_visa",
            **CARD,
        }
    )
    err = error_of(raw.post(f"/v1/payment_intents/{pi.id}/cancel", {"cancellation_reason": "bored"}))
    assert err["param"] == "cancellation_reason" and "must be one of" in err["message"]
    canceled = client.v1.payment_intents.cancel(
        pi.id, params={"cancellation_reason": "requested_by_customer"}
    )
    assert canceled.status == "canceled" and canceled.amount_capturable == 0
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.refunded is True and charge.amount_refunded == 2000


def test_update_metadata_amount_and_payment_method(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", **CARD, "metadata": {"a": "1", "b": "2"}}
    )
    raw_resp = raw.post(
        f"/v1/payment_intents/{pi.id}", {"metadata[a]": "", "metadata[c]": "3", "amount": "2500"}
    )
    body = raw_resp.json()
    assert body["metadata"] == {"b": "2", "c": "3"} and body["amount"] == 2500
    cleared = raw.post(f"/v1/payment_intents/{pi.id}", {"metadata": ""}).json()
    assert cleared["metadata"] == {}
    with_pm = client.v1.payment_intents.update(pi.id, params={"payment_method": "pm_card_amex"})
    assert with_pm.status == "requires_confirmation"
    assert client.v1.payment_intents.confirm(pi.id).status == "succeeded"


def test_amount_bounds_and_currency(raw: Raw) -> None:
    err = error_of(raw.post("/v1/payment_intents", {"amount": "10", "currency": "usd"}))
    assert err["code"] == "amount_too_small" and err["message"] == "Amount must be at least $0.50 usd"
    err = error_of(raw.post("/v1/payment_intents", {"amount": "100000000", "currency": "usd"}))
    assert err["code"] == "amount_too_large"
    err = error_of(raw.post("/v1/payment_intents", {"amount": "2000", "currency": "xyz"}))
    assert err["param"] == "currency" and err["message"].startswith("Invalid currency: xyz.")


def test_list_and_pagination(client: stripe.StripeClient, raw: Raw) -> None:
    ids = [
        client.v1.payment_intents.create(params={"amount": 1000 + i, "currency": "usd", **CARD}).id
        for i in range(5)
    ]
    newest_first = list(reversed(ids))
    page = raw.get("/v1/payment_intents", {"limit": 2}).json()
    assert page["object"] == "list" and page["url"] == "/v1/payment_intents" and page["has_more"] is True
    assert [p["id"] for p in page["data"]] == newest_first[:2]
    nxt = raw.get("/v1/payment_intents", {"limit": 2, "starting_after": newest_first[1]}).json()
    assert [p["id"] for p in nxt["data"]] == newest_first[2:4] and nxt["has_more"] is True
    last = raw.get("/v1/payment_intents", {"limit": 2, "starting_after": newest_first[3]}).json()
    assert [p["id"] for p in last["data"]] == newest_first[4:] and last["has_more"] is False
    before = raw.get("/v1/payment_intents", {"limit": 2, "ending_before": newest_first[4]}).json()
    assert [p["id"] for p in before["data"]] == newest_first[2:4] and before["has_more"] is True
    assert [
        p.id for p in client.v1.payment_intents.list(params={"limit": 2}).auto_paging_iter()
    ] == newest_first
    created = raw.get(f"/v1/payment_intents/{ids[0]}").json()["created"]
    assert len(raw.get("/v1/payment_intents", {"created[gte]": created, "limit": 100}).json()["data"]) == 5
    assert raw.get("/v1/payment_intents", {"created[lt]": created}).json()["data"] == []
    err = error_of(raw.get("/v1/payment_intents", {"starting_after": "pi_nope"}))
    assert err["code"] == "resource_missing" and err["param"] == "starting_after"


def test_processing_then_settle(make_sim: Any) -> None:
    sim: RunningSimulator = make_sim()
    raw = Raw(sim.url)
    assert (
        raw.control("POST", "stripe/config", {"async_card_confirm": True}).json()["async_card_confirm"]
        is True
    )
    ok = raw.post(
        "/v1/payment_intents",
        {
            "amount": 2000,
            "currency": "usd",
            "confirm": "true",
            "payment_method": "pm_card_visa",
            "payment_method_types[]": "card",
        },
    ).json()
    assert ok["status"] == "processing" and ok["processing"] == {"card": {}, "type": "card"}
    assert raw.get(f"/v1/charges/{ok['latest_charge']}").json()["status"] == "pending"
    settled = raw.control(
        "POST", f"stripe/payment_intents/{ok['id']}/settle", {"outcome": "succeeded"}
    ).json()
    assert settled["status"] == "succeeded" and settled["amount_received"] == 2000
    bad = raw.post(
        "/v1/payment_intents",
        {
            "amount": 2000,
            "currency": "usd",
            "confirm": "true",
            "payment_method": "pm_card_visa",
            "payment_method_types[]": "card",
        },
    ).json()
    failed = raw.control(
        "POST",
        f"stripe/payment_intents/{bad['id']}/settle",
        {"outcome": "failed", "decline_code": "insufficient_funds"},
    ).json()
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["decline_code"] == "insufficient_funds"
    again = raw.control("POST", f"stripe/payment_intents/{bad['id']}/settle", {})
    assert again.status_code == 409
    types = _types(raw)
    assert "payment_intent.processing" in types and "charge.pending" in types
    assert types[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    schemas_ok = raw.control("GET", "stripe/config").json()
    assert schemas_ok["async_card_confirm"] is True
    raw.control("POST", "reset")
    assert raw.control("GET", "stripe/config").json()["async_card_confirm"] is False


def test_every_answer_is_the_current_state(raw: Raw) -> None:
    """Responses reuse the last event snapshot of their operation; they must equal what a GET shows."""
    pi = raw.post(
        "/v1/payment_intents",
        {"amount": "2000", "currency": "usd", "capture_method": "manual", "payment_method_types[]": "card"},
    ).json()
    steps = [
        ("", {"metadata[k]": "v"}),
        ("/confirm", {"payment_method": "pm_card_visa"}),
        ("/capture", {"amount_to_capture": "1500"}),
        ("", {"description": "after capture"}),
    ]
    for suffix, data in steps:
        answer = raw.post(f"/v1/payment_intents/{pi['id']}{suffix}", data).json()
        assert answer == raw.get(f"/v1/payment_intents/{pi['id']}").json(), suffix
    action = raw.post(
        "/v1/payment_intents",
        {
            "amount": "2000",
            "currency": "usd",
            "confirm": "true",
            "payment_method": "pm_card_authenticationRequired",
            "payment_method_types[]": "card",
        },
    ).json()
    raw.control("POST", f"stripe/payment_intents/{action['id']}/3ds", {"outcome": "complete"})
    updated = raw.post(f"/v1/payment_intents/{action['id']}", {"metadata[after]": "3ds"}).json()
    assert updated["status"] == "succeeded" and updated["metadata"] == {"after": "3ds"}
    canceled = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"}).json()
    answer = raw.post(f"/v1/payment_intents/{canceled['id']}/cancel").json()
    assert answer == raw.get(f"/v1/payment_intents/{canceled['id']}").json()


def test_search_uses_stripes_query_language(client: stripe.StripeClient) -> None:
    """``GET /v1/payment_intents/search`` is a search (not a retrieve of an intent called "search"):
    clauses on status, amount, currency and metadata, AND/OR, and ``search_result`` pages."""
    small = client.v1.payment_intents.create(
        params={"amount": 500, "currency": "usd", "metadata": {"o": "1"}}
    )
    big = client.v1.payment_intents.create(params={"amount": 5000, "currency": "eur", "metadata": {"o": "2"}})
    found = client.v1.payment_intents.search(params={"query": "amount>1000 AND currency:'eur'"})
    assert found.object == "search_result" and [pi.id for pi in found.data] == [big.id]
    either = client.v1.payment_intents.search(params={"query": "metadata['o']:'1' OR metadata['o']:'2'"})
    assert {pi.id for pi in either.data} == {small.id, big.id}
    page = client.v1.payment_intents.search(params={"query": "status:'requires_payment_method'", "limit": 1})
    assert page.has_more and page.next_page and [pi.id for pi in page.data] == [big.id]
    rest = client.v1.payment_intents.search(
        params={"query": "status:'requires_payment_method'", "limit": 1, "page": page.next_page}
    )
    assert [pi.id for pi in rest.data] == [small.id] and not rest.has_more and rest.next_page is None
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.payment_intents.search(params={"query": "amount>1 AND status:'x' OR currency:'usd'"})
    assert bad.value.param == "query"
