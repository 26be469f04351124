"""PaymentIntent actions through the official SDK: incremental authorization (requested online with
``request_incremental_authorization``, on ``requires_capture`` only, Visa/Mastercard, 10 attempts), and
``apply_customer_balance`` / ``verify_microdeposits`` refused with Stripe's state error because no intent of
the simulator awaits a bank transfer or microdeposits."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from simulators.stripe.models_intent_actions import NOT_REQUESTED

from .conftest import PK, Raw, error_of

INCREMENTAL = {"card": {"request_incremental_authorization": "if_available"}}


def _authorized(client: stripe.StripeClient, pm: str = "pm_card_visa", **extra: Any) -> stripe.PaymentIntent:
    params: dict[str, Any] = {
        "amount": 2000,
        "currency": "usd",
        "payment_method": pm,
        "payment_method_types": ["card"],
        "capture_method": "manual",
        "confirm": True,
        **extra,
    }
    return client.v1.payment_intents.create(params=params)  # type: ignore[arg-type]


def _types(raw: Raw) -> list[str]:
    return [e["type"] for e in reversed(raw.get("/v1/events", {"limit": 100}).json()["data"])]


def test_increment_an_authorization_then_capture_it(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _authorized(client, payment_method_options=INCREMENTAL)
    assert (
        pi.status == "requires_capture" and pi.payment_method_options.card.request_incremental_authorization
    )
    charge = client.v1.charges.retrieve(pi.latest_charge)
    assert charge.payment_method_details.card.incremental_authorization.status == "available"
    more = client.v1.payment_intents.increment_authorization(
        pi.id, params={"amount": 3500, "metadata": {"tip": "yes"}, "description": "with tip"}
    )
    assert more.status == "requires_capture" and more.amount == 3500 and more.amount_capturable == 3500
    assert more.metadata["tip"] == "yes" and more.description == "with tip"
    assert client.v1.charges.retrieve(pi.latest_charge).amount == 3500
    assert _types(raw)[-1] == "payment_intent.amount_capturable_updated"
    done = client.v1.payment_intents.capture(pi.id)
    assert done.status == "succeeded" and done.amount_received == 3500


def test_confirming_can_request_incremental_authorization(client: stripe.StripeClient) -> None:
    pi = client.v1.payment_intents.create(
        params={
            "amount": 1000,
            "currency": "usd",
            "payment_method_types": ["card"],
            "capture_method": "manual",
        }
    )
    confirmed = client.v1.payment_intents.confirm(
        pi.id,
        params={"payment_method": "pm_card_mastercard", "payment_method_options": INCREMENTAL},  # type: ignore[typeddict-item]
    )
    assert (
        client.v1.payment_intents.increment_authorization(confirmed.id, params={"amount": 1200}).amount
        == 1200
    )


def test_not_requested_is_stripes_400(client: stripe.StripeClient, raw: Raw) -> None:
    pi = _authorized(client)
    card = client.v1.charges.retrieve(pi.latest_charge).payment_method_details.card.to_dict()
    assert "incremental_authorization" not in card
    resp = raw.post(f"/v1/payment_intents/{pi.id}/increment_authorization", {"amount": "2500"})
    err = error_of(resp)
    assert resp.status_code == 400 and err["message"] == NOT_REQUESTED and "code" not in err
    assert err["type"] == "invalid_request_error" and err["payment_intent"]["id"] == pi.id
    assert client.v1.payment_intents.retrieve(pi.id).amount == 2000


@pytest.mark.parametrize(
    ("setup", "amount", "param", "code"),
    [
        ("amex", 3000, None, None),  # requested, but the network does not support it: unavailable
        ("automatic", 3000, None, "payment_intent_unexpected_state"),  # succeeded: nothing to increment
        ("visa", 2000, "amount", None),  # not more than authorized
        ("visa", 100_000_000, "amount", "amount_too_large"),
    ],
)
def test_increment_refusals(
    client: stripe.StripeClient, setup: str, amount: int, param: str | None, code: str | None
) -> None:
    if setup == "automatic":
        pi = client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
                "confirm": True,
                "payment_method_options": INCREMENTAL,  # type: ignore[typeddict-item]
            }
        )
    else:
        pi = _authorized(
            client, "pm_card_amex" if setup == "amex" else "pm_card_visa", payment_method_options=INCREMENTAL
        )
    if setup == "amex":
        status = client.v1.charges.retrieve(
            pi.latest_charge
        ).payment_method_details.card.incremental_authorization
        assert status.status == "unavailable"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.increment_authorization(pi.id, params={"amount": amount})
    assert exc.value.http_status == 400 and exc.value.param == param and exc.value.code == code
    assert client.v1.payment_intents.retrieve(pi.id).amount == 2000


def test_at_most_ten_increments(client: stripe.StripeClient) -> None:
    pi = _authorized(client, payment_method_options=INCREMENTAL)
    for i in range(10):
        client.v1.payment_intents.increment_authorization(pi.id, params={"amount": 2100 + i})
    with pytest.raises(stripe.InvalidRequestError, match="maximum of 10 incremental authorization attempts"):
        client.v1.payment_intents.increment_authorization(pi.id, params={"amount": 5000})
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.increment_authorization(pi.id, params={})  # type: ignore[typeddict-item]
    assert missing.value.code == "parameter_missing" and missing.value.param == "amount"


def test_apply_customer_balance_needs_a_customer_balance_intent(client: stripe.StripeClient) -> None:
    for pi in (
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"}),
        client.v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd", "payment_method_types": ["customer_balance"]}
        ),
        _authorized(client),
    ):
        with pytest.raises(stripe.InvalidRequestError) as exc:
            client.v1.payment_intents.apply_customer_balance(pi.id, params={"amount": 500, "currency": "usd"})
        assert exc.value.code == "payment_intent_unexpected_state" and exc.value.http_status == 400
        assert exc.value.error is not None and exc.value.error.payment_intent.id == pi.id
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.apply_customer_balance("pi_missing")
    assert missing.value.code == "resource_missing" and missing.value.http_status == 404


def test_verify_microdeposits_needs_an_intent_awaiting_them(client: stripe.StripeClient, raw: Raw) -> None:
    fresh = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.payment_intents.verify_microdeposits(fresh.id, params={"amounts": [32, 45]})
    assert exc.value.code == "payment_intent_unexpected_state"
    assert "status of requires_payment_method" in str(exc.value.user_message)
    action = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "payment_method": "pm_card_threeDSecureRequired",
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    assert action.status == "requires_action"
    with pytest.raises(stripe.InvalidRequestError, match="its next_action is use_stripe_sdk"):
        client.v1.payment_intents.verify_microdeposits(action.id, params={"descriptor_code": "SM11AA"})
    # Stripe.js verifies with the publishable key and the client secret
    browser = stripe.StripeClient(PK, base_addresses={"api": raw.url})
    with pytest.raises(stripe.InvalidRequestError) as secret:
        browser.v1.payment_intents.verify_microdeposits(fresh.id, params={"amounts": [32, 45]})
    assert secret.value.code == "parameter_missing" and secret.value.param == "client_secret"
    with pytest.raises(stripe.InvalidRequestError) as state:
        browser.v1.payment_intents.verify_microdeposits(
            fresh.id, params={"amounts": [32, 45], "client_secret": fresh.client_secret}
        )
    assert state.value.code == "payment_intent_unexpected_state"
    seen = state.value.error.payment_intent.to_dict()
    assert seen["id"] == fresh.id and "metadata" not in seen  # the publishable view
    bad = raw.post(f"/v1/payment_intents/{fresh.id}/verify_microdeposits", {"amounts[0]": "x"})
    assert error_of(bad)["code"] == "parameter_invalid_integer"
