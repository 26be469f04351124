"""Test cards and PaymentMethods: every decline of the reference table (by ``pm_card_*`` id and by card
number),
3D Secure completed and failed (control API and the ``next_action`` page), dispute cards, PaymentMethod
creation,
card data kept out of state and journal, and Stripe.js-style confirmation with a publishable key."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import stripe

from simulators.testing import RunningSimulator

from .conftest import PK, Raw, error_of

# (test PaymentMethod, card number, code, decline_code, message, param)
DECLINES = [
    ("pm_card_visa_chargeDeclined", "4000000000000002", "card_declined", "generic_decline",
     "Your card was declined.", None),
    ("pm_card_chargeDeclined", "4000000000000002", "card_declined", "generic_decline",
     "Your card was declined.", None),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "4000000000009995", "card_declined",
    "insufficient_funds",
     "Your card has insufficient funds.", None),
    ("pm_card_visa_chargeDeclinedLostCard", "4000000000009987", "card_declined", "lost_card",
     "Your card was declined.", None),
    ("pm_card_visa_chargeDeclinedStolenCard", "4000000000009979", "card_declined", "stolen_card",
     "Your card was declined.", None),
    ("pm_card_chargeDeclinedExpiredCard", "4000000000000069", "expired_card", "expired_card",
     "Your card has expired.", "exp_month"),
    ("pm_card_chargeDeclinedIncorrectCvc", "4000000000000127", "incorrect_cvc", "incorrect_cvc",
     "Your card's security code is incorrect.", "cvc"),
    ("pm_card_chargeDeclinedProcessingError", "4000000000000119", "processing_error", "processing_error",
     "An error occurred while processing your card. Try again in a little bit.", None),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "4000000000006975", "card_declined",
     "card_velocity_exceeded",
     "Your card was declined for making repeated attempts too frequently or exceeding its amount limit.",
     None),
    ("pm_card_chargeCustomerFail", "4000000000000341", "card_declined", "generic_decline",
     "Your card was declined.", None),
]  # fmt: skip


def _doc(code: str) -> str:
    return "https://stripe.com/docs/error-codes/" + code.replace("_", "-")


def _assert_decline(
    resp: requests.Response, code: str, decline_code: str, message: str, param: str | None, last4: str
) -> dict[str, Any]:
    assert resp.status_code == 402
    err = error_of(resp)
    assert err["type"] == "card_error" and err["code"] == code and err["decline_code"] == decline_code
    assert err["message"] == message and err["doc_url"] == _doc(code) and err.get("param") == param
    assert err["request_log_url"].endswith(resp.headers["Request-Id"])
    pi = err["payment_intent"]
    assert pi["status"] == "requires_payment_method" and pi["payment_method"] is None
    assert pi["latest_charge"] == err["charge"] and pi["amount_received"] == 0
    lpe = pi["last_payment_error"]
    assert (lpe["code"], lpe["decline_code"], lpe["message"], lpe["type"]) == (
        code,
        decline_code,
        message,
        "card_error",
    )
    assert lpe["charge"] == err["charge"] and lpe["payment_method"]["card"]["last4"] == last4
    assert err["payment_method"]["card"]["last4"] == last4
    return err


@pytest.mark.parametrize(("pm", "number", "code", "decline_code", "message", "param"), DECLINES)
def test_declines_by_test_payment_method(
    raw: Raw, pm: str, number: str, code: str, decline_code: str, message: str, param: str | None
) -> None:
    resp = raw.post(
        "/v1/payment_intents",
        {
            "amount": "2000",
            "currency": "usd",
            "confirm": "true",
            "payment_method": pm,
            "payment_method_types[0]": "card",
        },
    )
    err = _assert_decline(resp, code, decline_code, message, param, number[-4:])
    charge = raw.get(f"/v1/charges/{err['charge']}").json()
    assert charge["status"] == "failed" and charge["failure_code"] == code and charge["paid"] is False
    assert charge["outcome"]["reason"] == decline_code
    events = raw.get("/v1/events", {"limit": 3}).json()["data"]
    assert [e["type"] for e in events[:2]] == ["payment_intent.payment_failed", "charge.failed"]
    assert events[0]["data"]["object"]["last_payment_error"]["decline_code"] == decline_code


@pytest.mark.parametrize(("pm", "number", "code", "decline_code", "message", "param"), DECLINES[1:])
def test_declines_by_card_number(
    client: stripe.StripeClient,
    pm: str,
    number: str,
    code: str,
    decline_code: str,
    message: str,
    param: str | None,
) -> None:
    pi = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.confirm(
            pi.id,
            params={
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
                }
            },
        )
    e = exc.value
    assert e.http_status == 402 and e.code == code and e.user_message == message
    assert e.error is not None and e.error.decline_code == decline_code and e.error.doc_url == _doc(code)
    assert e.error.payment_intent is not None and e.error.payment_intent.id == pi.id
    after = client.v1.payment_intents.retrieve(pi.id)
    assert after.status == "requires_payment_method" and after.last_payment_error.decline_code == decline_code
    # a new attempt with a good card succeeds
    ok = client.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_visa"})
    assert ok.status == "succeeded" and ok.last_payment_error is None


def test_3ds_complete_through_control(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
            "payment_method_types": ["card"],
        }
    )
    assert pi.status == "requires_action" and pi.latest_charge is None
    assert pi.next_action.type == "use_stripe_sdk"
    assert pi.next_action.use_stripe_sdk.stripe_js.startswith(raw.url + "/_sim/stripe/3ds/" + pi.id)
    done = raw.control("POST", f"stripe/payment_intents/{pi.id}/3ds", {"outcome": "complete"})
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    charge = client.v1.charges.retrieve(done.json()["latest_charge"])
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    events = [e["type"] for e in raw.get("/v1/events").json()["data"]]
    assert events[:3] == ["payment_intent.succeeded", "charge.succeeded", "payment_intent.requires_action"]
    succeeded = raw.get("/v1/events", {"type": "payment_intent.succeeded"}).json()["data"][0]
    assert succeeded["request"] == {"id": None, "idempotency_key": None}  # Stripe did it, not an API call


def test_3ds_fail_gives_authentication_failure(client: stripe.StripeClient, raw: Raw) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_threeDSecure2Required",
            "payment_method_types": ["card"],
        }
    )
    failed = raw.control("POST", f"stripe/payment_intents/{pi.id}/3ds", {"outcome": "fail"}).json()
    assert failed["status"] == "requires_payment_method" and failed["payment_method"] is None
    lpe = failed["last_payment_error"]
    assert lpe["code"] == "payment_intent_authentication_failure" and lpe["type"] == "invalid_request_error"
    assert lpe["message"].startswith("The provided PaymentMethod has failed authentication.")
    assert lpe["doc_url"] == _doc("payment_intent_authentication_failure")
    assert raw.get("/v1/events").json()["data"][0]["type"] == "payment_intent.payment_failed"
    assert (
        raw.control("POST", f"stripe/payment_intents/{pi.id}/3ds", {"outcome": "complete"}).status_code == 409
    )
    assert (
        client.v1.payment_intents.retrieve(pi.id).last_payment_error.code
        == "payment_intent_authentication_failure"
    )


def test_3ds_through_the_redirect_url(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
            "return_url": "https://shop.example/done?order=7",
        }
    )
    assert pi.next_action.type == "redirect_to_url"
    url = pi.next_action.redirect_to_url.url
    assert pi.next_action.redirect_to_url.return_url == "https://shop.example/done?order=7"
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and "Complete authentication" in page.text
    done = requests.get(url + "&outcome=complete", allow_redirects=False, timeout=5)
    assert done.status_code == 303
    location = urlparse(done.headers["Location"])
    query = parse_qs(location.query)
    assert location.netloc == "shop.example" and query["order"] == ["7"]
    assert query["payment_intent"] == [pi.id] and query["redirect_status"] == ["succeeded"]
    assert query["payment_intent_client_secret"] == [pi.client_secret]
    assert client.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    assert requests.get(url.split("?")[0] + "?client_secret=wrong", timeout=5).status_code == 400


def test_3ds_off_session_declines_with_authentication_required(raw: Raw) -> None:
    resp = raw.post(
        "/v1/payment_intents",
        {
            "amount": "2000",
            "currency": "usd",
            "confirm": "true",
            "off_session": "true",
            "payment_method": "pm_card_authenticationRequired",
        },
    )
    _assert_decline(
        resp,
        "authentication_required",
        "authentication_required",
        "Your card was declined. This transaction requires authentication.",
        None,
        "3184",
    )


@pytest.mark.parametrize(
    ("pm", "status", "reason"),
    [
        ("pm_card_createDispute", "needs_response", "fraudulent"),
        ("pm_card_createDisputeInquiry", "warning_needs_response", "fraudulent"),
        ("pm_card_createDisputeProductNotReceived", "needs_response", "product_not_received"),
    ],
)
def test_dispute_cards(client: stripe.StripeClient, raw: Raw, pm: str, status: str, reason: str) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 3000,
            "currency": "usd",
            "confirm": True,
            "payment_method": pm,
            "payment_method_types": ["card"],
        }
    )
    assert pi.status == "succeeded"
    created = raw.get("/v1/events", {"type": "charge.dispute.created"}).json()["data"]
    assert len(created) == 1
    dispute = created[0]["data"]["object"]
    assert dispute["id"].startswith("dp_") and dispute["charge"] == pi.latest_charge
    assert (dispute["status"], dispute["reason"], dispute["amount"]) == (status, reason, 3000)
    assert dispute["payment_intent"] == pi.id
    assert client.v1.disputes.retrieve(dispute["id"]).status == status
    assert client.v1.charges.retrieve(pi.latest_charge).disputed is True
    withdrawn = raw.get("/v1/events", {"type": "charge.dispute.funds_withdrawn"}).json()["data"]
    assert len(withdrawn) == (0 if status.startswith("warning_") else 1)


def test_payment_methods_from_card_numbers(
    client: stripe.StripeClient, raw: Raw, sim: RunningSimulator
) -> None:
    pm = client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "4242 4242 4242 4242", "exp_month": 8, "exp_year": 2042, "cvc": "314"},
            "billing_details": {"name": "Jenny Rosen"},
        }
    )
    assert (
        pm.id.startswith("pm_") and pm.type == "card" and pm.card.brand == "visa" and pm.card.last4 == "4242"
    )
    assert (pm.card.exp_month, pm.card.exp_year) == (8, 2042) and pm.billing_details.name == "Jenny Rosen"
    again = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 8, "exp_year": 2042}}
    )
    assert again.card.fingerprint == pm.card.fingerprint and again.id != pm.id
    assert client.v1.payment_methods.retrieve(pm.id).card.last4 == "4242"
    # the number and the CVC are kept nowhere: not in state, not in the journal
    state = sim.provider.backend.accounts.items()  # type: ignore[attr-defined]
    dump = repr([vars(s) for _, s in state]) + repr(
        [r.data for _, s in state for r in s.payment_methods.values()]
    )
    assert (
        "4242424242424242" not in dump
        and "4242 4242 4242 4242" not in dump
        and "314" not in dump.split("pm_")[0]
    )
    journal = requests.get(
        sim.control_url + "journal", params={"path": "/v1/payment_methods"}, timeout=5
    ).json()
    bodies = " ".join(e["body"] for e in journal["data"])
    assert "4242424242424242" not in bodies and "4242+4242" not in bodies and "314" not in bodies
    assert "%2A%2A%2A" in bodies or "***" in bodies
    magic = client.v1.payment_methods.retrieve("pm_card_amex")
    assert magic.id.startswith("pm_") and magic.id != "pm_card_amex" and magic.card.brand == "amex"
    assert magic.card.last4 == "0005"


@pytest.mark.parametrize(
    ("card", "status", "code", "param"),
    [
        (
            {"number": "4242424242424241", "exp_month": "1", "exp_year": "2040"},
            402,
            "incorrect_number",
            "card[number]",
        ),
        (
            {"number": "4242424242424242", "exp_month": "13", "exp_year": "2040"},
            402,
            "invalid_expiry_month",
            "card[exp_month]",
        ),
        (
            {"number": "4242424242424242", "exp_month": "1", "exp_year": "2001"},
            402,
            "invalid_expiry_year",
            "card[exp_year]",
        ),
        (
            {"number": "4242424242424242", "exp_month": "1", "exp_year": "2040", "cvc": "1"},
            402,
            "invalid_cvc",
            "card[cvc]",
        ),
        ({"exp_month": "1", "exp_year": "2040"}, 400, "parameter_missing", "card[number]"),
    ],
)
def test_payment_method_card_errors(
    raw: Raw, card: dict[str, str], status: int, code: str, param: str
) -> None:
    data = {"type": "card", **{f"card[{k}]": v for k, v in card.items()}}
    resp = raw.post("/v1/payment_methods", data)
    err = error_of(resp)
    assert resp.status_code == status and err["code"] == code and err["param"] == param
    assert err["type"] == ("card_error" if status == 402 else "invalid_request_error")


def test_unknown_payment_method_id(raw: Raw) -> None:
    resp = raw.post("/v1/payment_intents", {"amount": "2000", "currency": "usd", "payment_method": "pm_nope"})
    err = error_of(resp)
    assert resp.status_code == 400 and err["code"] == "resource_missing" and err["param"] == "payment_method"
    assert err["message"] == "No such PaymentMethod: 'pm_nope'"
    assert error_of(raw.get("/v1/payment_methods/pm_nope"))["code"] == "resource_missing"


def test_publishable_key_confirms_like_stripe_js(client: stripe.StripeClient, raw: Raw) -> None:
    # The service creates the intent with its secret key and hands client_secret + publishable key out.
    pi = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method_types": ["card"],
            "metadata": {"order_id": "o-42"},
        }
    )
    browser = stripe.StripeClient(PK, base_addresses={"api": raw.url})
    seen = browser.v1.payment_intents.retrieve(pi.id, params={"client_secret": pi.client_secret})
    assert seen.status == "requires_payment_method" and "metadata" not in seen
    with pytest.raises(stripe.InvalidRequestError) as missing:
        browser.v1.payment_intents.retrieve(pi.id)
    assert missing.value.param == "client_secret"
    with pytest.raises(stripe.InvalidRequestError) as wrong:
        browser.v1.payment_intents.confirm(
            pi.id, params={"client_secret": pi.id + "_secret_x", "payment_method": "pm_card_visa"}
        )
    assert wrong.value.code == "payment_intent_invalid_parameter" and wrong.value.http_status == 400
    pm = browser.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": "5555555555554444", "exp_month": 1, "exp_year": 2040, "cvc": "123"},
        }
    )
    done = browser.v1.payment_intents.confirm(
        pi.id, params={"client_secret": pi.client_secret, "payment_method": pm.id}
    )
    assert done.status == "succeeded" and "metadata" not in done
    assert client.v1.payment_intents.retrieve(pi.id).metadata["order_id"] == "o-42"
    declined = client.v1.payment_intents.create(
        params={"amount": 2000, "currency": "usd", "payment_method_types": ["card"]}
    )
    with pytest.raises(stripe.CardError) as card:
        browser.v1.payment_intents.confirm(
            declined.id,
            params={"client_secret": declined.client_secret, "payment_method": "pm_card_chargeDeclined"},
        )
    assert card.value.error is not None and card.value.error.payment_intent is not None
    assert "metadata" not in card.value.error.payment_intent


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("POST", "/v1/payment_intents", {"amount": "2000", "currency": "usd"}),
        ("GET", "/v1/payment_intents", None),
        ("GET", "/v1/events", None),
        ("POST", "/v1/refunds", {"charge": "ch_x"}),
        ("GET", "/v1/webhook_endpoints", None),
        ("GET", "/v1/nothing_here", None),
    ],
)
def test_publishable_key_cannot_do_secret_things(raw: Raw, method: str, path: str, data: Any) -> None:
    resp = raw.post(path, data, key=PK) if method == "POST" else raw.get(path, key=PK)
    err = error_of(resp)
    assert resp.status_code == 401 and err["type"] == "invalid_request_error"
    assert err["message"].startswith("This API call cannot be made with a publishable API key.")
