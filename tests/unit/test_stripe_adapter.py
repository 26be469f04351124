"""The Stripe adapter's pure parts: the seed's error mapping, retryability, status and event translation."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from reference_service.adapters import stripe_gateway as sg
from reference_service.adapters.stripe_events import MalformedEvent, translate
from reference_service.domain.payments import PaymentEventKind, PaymentStatus
from reference_service.service_layer.errors import PaymentDeclined


def card_error(code: str, decline_code: str | None = None) -> stripe.CardError:
    body = {"error": {"type": "card_error", "code": code, "decline_code": decline_code, "message": "x"}}
    exc = stripe.CardError("x", None, code, http_status=402, json_body=body)
    exc.error = stripe.ErrorObject.construct_from(body["error"], "sk_test")  # type: ignore[attr-defined]
    return exc


@pytest.mark.parametrize(
    ("code", "decline", "expected", "message"),
    [
        (
            "card_declined",
            "generic_decline",
            "CARD_DECLINED",
            "Your card was declined, please try another payment method",
        ),
        (
            "card_declined",
            "insufficient_funds",
            "INSUFFICIENT_FUNDS",
            "Insufficient funds, please check your account",
        ),
        (
            "card_declined",
            "lost_card",
            "CARD_DECLINED",
            "Your card was declined, please try another payment method",
        ),
        ("expired_card", None, "EXPIRED_CARD", "Card has expired, please use a valid card"),
        ("incorrect_cvc", None, "PAYMENT_ERROR", "Payment processing issue, please contact customer service"),
        (
            "processing_error",
            None,
            "PAYMENT_ERROR",
            "Payment processing issue, please contact customer service",
        ),
    ],
)
def test_card_errors_map_as_the_seed_says(
    code: str, decline: str | None, expected: str, message: str
) -> None:
    error = sg.to_service_error(card_error(code, decline))
    assert isinstance(error, PaymentDeclined)
    assert (error.code, error.message, error.retryable, error.status) == (expected, message, False, 402)
    assert error.decline_code == decline


def api_error(status: int, headers: dict[str, str] | None = None) -> stripe.StripeError:
    cls: Any = stripe.RateLimitError if status == 429 else stripe.APIError
    return cls("boom", http_status=status, headers=headers or {})  # type: ignore[no-any-return]


def test_rate_limit_is_retryable_rate_limited_with_the_seed_message() -> None:
    error = sg.to_service_error(api_error(429))
    assert (error.code, error.retryable, error.message) == (
        "RATE_LIMITED",
        True,
        "Too many requests, please try again later",
    )


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (stripe.APIConnectionError("reset"), True),
        (api_error(500), True),
        (api_error(503), True),
        (api_error(409), True),
        (api_error(429), True),
        (api_error(400), False),
        (api_error(500, {"Stripe-Should-Retry": "false"}), False),
        (api_error(400, {"Stripe-Should-Retry": "true"}), True),
        (card_error("card_declined", "generic_decline"), False),
        (ValueError("not stripe"), False),
    ],
)
def test_only_connection_errors_409_429_and_5xx_are_retried(exc: BaseException, expected: bool) -> None:
    assert sg.retryable(exc) is expected


def test_retry_after_is_read_from_the_response() -> None:
    assert sg.retry_after(api_error(429, {"Retry-After": "2"})) == 2.0
    assert sg.retry_after(api_error(429)) is None


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (stripe.APIConnectionError("x"), "network_error"),
        (card_error("card_declined"), "declined"),
        (api_error(429), "rate_limited"),
        (api_error(502), "server_error"),
        (api_error(404), "client_error"),
    ],
)
def test_outcomes_for_metrics(exc: BaseException, outcome: str) -> None:
    assert sg.classify(exc) == outcome


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        ("succeeded", None, PaymentStatus.SUCCEEDED),
        ("requires_action", None, PaymentStatus.REQUIRES_ACTION),
        ("requires_payment_method", None, PaymentStatus.REQUIRES_ACTION),
        (
            "requires_payment_method",
            {"code": "card_declined", "decline_code": "generic_decline"},
            PaymentStatus.FAILED,
        ),
        ("processing", None, PaymentStatus.PROCESSING),
        ("requires_capture", None, PaymentStatus.AUTHORIZED),
        ("canceled", None, PaymentStatus.CANCELED),
    ],
)
def test_intent_statuses_map(status: str, error: dict[str, str] | None, expected: PaymentStatus) -> None:
    mapped = sg.map_intent(
        {
            "id": "pi_1",
            "status": status,
            "last_payment_error": error,
            "client_secret": "s",
            "amount_received": 0,
        }
    )
    assert mapped.status is expected


def event(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"id": "evt_1", "object": "event", "type": type_, "data": {"object": obj}}


def test_translate_payment_intent_events_by_metadata_and_id() -> None:
    ev = translate(
        event(
            "payment_intent.payment_failed",
            {
                "id": "pi_1",
                "object": "payment_intent",
                "metadata": {"payment_id": "pay_9"},
                "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds"},
            },
        )
    )
    assert (ev.kind, ev.provider_ref, ev.payment_id, ev.failure_code) == (
        PaymentEventKind.FAILED,
        "pi_1",
        "pay_9",
        "INSUFFICIENT_FUNDS",
    )


def test_translate_refund_and_dispute() -> None:
    refund = translate(
        event(
            "charge.refunded",
            {
                "id": "ch_1",
                "payment_intent": "pi_1",
                "amount_refunded": 500,
                "refunded": False,
                "metadata": {},
            },
        )
    )
    assert (refund.kind, refund.provider_ref, refund.amount_refunded, refund.refund_complete) == (
        PaymentEventKind.REFUNDED,
        "pi_1",
        500,
        False,
    )
    dispute = translate(
        event(
            "charge.dispute.created",
            {
                "id": "dp_1",
                "object": "dispute",
                "charge": "ch_1",
                "payment_intent": "pi_1",
                "reason": "fraudulent",
                "amount": 1999,
                "status": "needs_response",
            },
        )
    )
    assert (dispute.kind, dispute.dispute_id, dispute.dispute_reason, dispute.dispute_amount) == (
        PaymentEventKind.DISPUTED,
        "dp_1",
        "fraudulent",
        1999,
    )


def test_unknown_types_are_ignored_and_garbage_is_rejected() -> None:
    assert translate(event("customer.created", {"id": "cus_1"})).kind is PaymentEventKind.IGNORED
    with pytest.raises(MalformedEvent):
        translate({"id": "evt_1"})


def test_an_invalid_request_is_the_callers_422_with_stripes_reason_not_a_502() -> None:
    refused = sg.to_service_error(
        stripe.InvalidRequestError(
            "Amount must be no more than $999,999.99",
            "amount",
            code="amount_too_large",
            http_status=400,
            json_body={"error": {"message": "Amount must be no more than $999,999.99"}},
        )
    )
    assert (refused.code, refused.status, refused.retryable, refused.provider_code) == (
        "PAYMENT_REQUEST_REJECTED",
        422,
        False,
        "amount_too_large",
    )
    assert "999,999.99" in refused.message
    missing = sg.to_service_error(stripe.InvalidRequestError("No such payment_intent", "id", http_status=404))
    assert (missing.code, missing.status) == ("PAYMENT_ERROR", 502)  # an id the service holds: its fault
