"""Payments end to end in-process: the API, a fake Stripe gateway, signed webhooks, the outbox relay."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from reference_service.bootstrap import Container
from reference_service.domain.payments import PaymentStatus
from reference_service.ports import ProviderPayment, RefundResult
from reference_service.service_layer.errors import PaymentDeclined, ProviderError
from tests.conftest import STRIPE_TEST_WEBHOOK_SECRET as SECRET
from tests.fakes import FakePaymentGateway
from tests.support_stripe import intent, sign, stripe_event

ORDER = {
    "customer_ref": "cus_1",
    "currency": "USD",
    "items": [{"sku": "TSHIRT", "name": "T-shirt", "quantity": 2, "unit_amount": 1999}],
}


def new_order(client: FlaskClient) -> str:
    order_id: str = client.post("/api/v1/orders", json=ORDER).json["id"]
    return order_id


def pay(client: FlaskClient, order_id: str, **body: Any) -> Any:
    return client.post(f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe", **body})


def order_status(client: FlaskClient, order_id: str) -> str:
    status: str = client.get(f"/api/v1/orders/{order_id}").json["status"]
    return status


def webhook(client: FlaskClient, payload: bytes, signature: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    sig = sign(payload, SECRET) if signature is None else signature
    if sig:
        headers["Stripe-Signature"] = sig
    return client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)


def test_client_side_payment_returns_what_stripe_js_needs(
    client: FlaskClient, fake_stripe: FakePaymentGateway
) -> None:
    order_id = new_order(client)
    resp = pay(client, order_id)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "REQUIRES_ACTION" and body["client_secret"] and body["attempt"] == 1
    assert body["publishable_key"].startswith("pk_test_")
    assert order_status(client, order_id) == "PENDING_PAYMENT"
    [(op, request)] = fake_stripe.calls
    assert op == "create_payment" and request.idempotency_key == f"genai-demo-{order_id}-attempt-1"  # type: ignore[attr-defined]
    assert request.amount == 3998 and request.payment_id == body["id"]  # type: ignore[attr-defined]


def test_server_side_success_marks_the_order_paid(client: FlaskClient) -> None:
    order_id = new_order(client)
    body = pay(client, order_id, payment_method="pm_card_visa").json
    assert body["status"] == "SUCCEEDED" and order_status(client, order_id) == "PAID"
    again = pay(client, order_id, payment_method="pm_card_visa")
    assert again.status_code == 409 and again.json["type"] == "/problems/payment-conflict"


def test_a_decline_fails_the_attempt_and_a_new_attempt_gets_a_new_key(
    client: FlaskClient, fake_stripe: FakePaymentGateway
) -> None:
    fake_stripe.will(
        "create_payment",
        PaymentDeclined(
            "stripe",
            "INSUFFICIENT_FUNDS",
            "Insufficient funds, please check your account",
            provider_code="card_declined",
            decline_code="insufficient_funds",
        ),
    )
    order_id = new_order(client)
    declined = pay(client, order_id, payment_method="pm_card_visa_chargeDeclinedInsufficientFunds")
    assert declined.status_code == 402
    assert (
        declined.json["type"] == "/problems/payment-declined"
        and declined.json["code"] == "INSUFFICIENT_FUNDS"
    )
    assert declined.json["detail"] == "Insufficient funds, please check your account"
    assert order_status(client, order_id) == "PAYMENT_FAILED"
    first = client.get(f"/api/v1/orders/{order_id}/payments").json["data"][0]
    assert first["status"] == "FAILED" and first["failure_code"] == "INSUFFICIENT_FUNDS"
    retry = pay(client, order_id, payment_method="pm_card_visa")
    assert (
        retry.status_code == 201 and retry.json["attempt"] == 2 and order_status(client, order_id) == "PAID"
    )
    keys = [c[1].idempotency_key for c in fake_stripe.calls]  # type: ignore[attr-defined]
    assert keys == [f"genai-demo-{order_id}-attempt-1", f"genai-demo-{order_id}-attempt-2"]


def test_an_outage_leaves_the_attempt_resumable_with_the_same_key(
    client: FlaskClient, fake_stripe: FakePaymentGateway
) -> None:
    fake_stripe.will(
        "create_payment",
        ProviderError(
            "stripe",
            "PAYMENT_ERROR",
            "Payment processing issue, please contact customer service",
            retryable=True,
            status=503,
        ),
    )
    order_id = new_order(client)
    down = pay(client, order_id, payment_method="pm_card_visa")
    assert down.status_code == 503 and down.json["type"] == "/problems/provider-unavailable"
    assert down.headers["Retry-After"] and down.json["retryable"] is True
    [payment] = client.get(f"/api/v1/orders/{order_id}/payments").json["data"]
    assert payment["status"] == "CREATED" and order_status(client, order_id) == "PENDING_PAYMENT"
    resumed = pay(client, order_id, payment_method="pm_card_visa")
    assert resumed.status_code == 201 and resumed.json["id"] == payment["id"] and resumed.json["attempt"] == 1
    keys = {c[1].idempotency_key for c in fake_stripe.calls}  # type: ignore[attr-defined]
    assert keys == {f"genai-demo-{order_id}-attempt-1"}


def test_a_payment_in_progress_blocks_another(client: FlaskClient) -> None:
    order_id = new_order(client)
    first = pay(client, order_id).json
    second = pay(client, order_id)
    assert second.status_code == 409 and second.json["payment_id"] == first["id"]


def test_validation_of_the_payment_request(client: FlaskClient) -> None:
    order_id = new_order(client)
    for body, field in [
        ({"provider": "bitcoin"}, "provider"),
        ({"provider": "stripe", "payment_method": "4242"}, "payment_method"),
        ({"provider": "stripe", "tip": 1}, "tip"),
        ({"provider": "paypal"}, "provider"),
    ]:
        resp = client.post(f"/api/v1/orders/{order_id}/payments", json=body)
        assert resp.status_code == 422, body
        assert field in {e["field"] for e in resp.json["errors"]}
    assert pay(client, "ord_missing").status_code == 404
    assert order_status(client, order_id) == "CREATED"


# -- webhooks -----------------------------------------------------------------------------------------------


@pytest.fixture
def pending(client: FlaskClient) -> tuple[str, str]:
    order_id = new_order(client)
    payment = pay(client, order_id).json
    return order_id, payment["id"]


def test_succeeded_webhook_pays_the_order_once(client: FlaskClient, pending: tuple[str, str]) -> None:
    order_id, payment_id = pending
    payload = stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id))
    first = webhook(client, payload)
    assert first.status_code == 200 and first.json["outcome"] == "applied"
    assert order_status(client, order_id) == "PAID"
    again = webhook(client, payload)
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"


@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing header
        "t=123",  # no v1
        f"t={int(time.time())},v0=deadbeef",  # wrong scheme only
        "garbage",
    ],
    ids=["missing", "no-v1", "v0-only", "garbage"],
)
def test_bad_signatures_are_rejected_and_change_nothing(
    client: FlaskClient, pending: tuple[str, str], signature: str
) -> None:
    order_id, payment_id = pending
    payload = stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id))
    resp = webhook(client, payload, signature)
    assert resp.status_code == 400 and resp.json["type"] == "/problems/webhook-signature-invalid"
    assert order_status(client, order_id) == "PENDING_PAYMENT"


def test_tampered_stale_and_wrong_secret_signatures_are_rejected(
    client: FlaskClient, pending: tuple[str, str]
) -> None:
    order_id, payment_id = pending
    payload = stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id))
    tampered = payload.replace(b'"amount": 3998', b'"amount": 1')
    assert webhook(client, tampered, sign(payload, SECRET)).status_code == 400
    stale = sign(payload, SECRET, int(time.time()) - 301)
    assert "tolerance" in webhook(client, payload, stale).json["detail"]
    assert webhook(client, payload, sign(payload, "whsec_someone_else")).status_code == 400
    assert order_status(client, order_id) == "PENDING_PAYMENT"


def test_several_v1_signatures_during_a_rotation(client: FlaskClient, pending: tuple[str, str]) -> None:
    order_id, payment_id = pending
    payload = stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id))
    t = int(time.time())
    old = sign(payload, "whsec_old_secret", t).split(",")[1]
    header = f"{sign(payload, SECRET, t)},{old},v0=ignored"
    assert webhook(client, payload, header).json["outcome"] == "applied"


def test_service_side_secret_rotation_accepts_both_secrets(container: Container, client: FlaskClient) -> None:
    object.__setattr__(
        container.settings,
        "stripe_webhook_secret",
        type(container.settings.stripe_webhook_secret)(f"whsec_new_one,{SECRET}"),
    )
    payload = stripe_event("customer.created", {"id": "cus_1"}, "evt_rot")
    assert webhook(client, payload, sign(payload, SECRET)).status_code == 200
    assert webhook(client, payload, sign(payload, "whsec_new_one")).json["outcome"] == "duplicate"


def test_late_failure_after_success_never_moves_back(client: FlaskClient, pending: tuple[str, str]) -> None:
    order_id, payment_id = pending
    ok = stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id), "evt_ok")
    failed = stripe_event(
        "payment_intent.payment_failed",
        intent(
            "pi_fake1",
            "requires_payment_method",
            payment_id,
            last_payment_error={"code": "card_declined", "decline_code": "generic_decline"},
        ),
        "evt_failed",
    )
    assert webhook(client, ok).json["outcome"] == "applied"
    assert webhook(client, failed).json["outcome"] == "stale"
    assert order_status(client, order_id) == "PAID"


def test_failure_webhook_records_the_reason_code(client: FlaskClient, pending: tuple[str, str]) -> None:
    order_id, payment_id = pending
    failed = stripe_event(
        "payment_intent.payment_failed",
        intent(
            "pi_fake1", "requires_payment_method", payment_id, last_payment_error={"code": "expired_card"}
        ),
    )
    assert webhook(client, failed).json["outcome"] == "applied"
    order = client.get(f"/api/v1/orders/{order_id}").json
    assert order["status"] == "PAYMENT_FAILED"
    payment = client.get(f"/api/v1/orders/{order_id}/payments/{payment_id}").json
    assert payment["failure_code"] == "EXPIRED_CARD"


def test_unknown_and_unmatched_events_are_acknowledged(client: FlaskClient) -> None:
    assert (
        webhook(client, stripe_event("customer.created", {"id": "cus_1"}, "evt_a")).json["outcome"]
        == "ignored"
    )
    stranger = stripe_event("payment_intent.succeeded", intent("pi_other", "succeeded", None), "evt_b")
    assert webhook(client, stranger).json["outcome"] == "unmatched"
    assert webhook(client, b"[]", None).status_code == 400


def test_dispute_is_recorded_and_the_order_disputed(
    client: FlaskClient, container: Container, pending: tuple[str, str]
) -> None:
    order_id, payment_id = pending
    webhook(
        client, stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id), "evt_1")
    )
    dispute = {
        "id": "dp_1",
        "object": "dispute",
        "charge": "ch_1",
        "payment_intent": "pi_fake1",
        "reason": "fraudulent",
        "amount": 3998,
        "status": "needs_response",
        "currency": "usd",
    }
    assert (
        webhook(client, stripe_event("charge.dispute.created", dispute, "evt_2")).json["outcome"] == "applied"
    )
    assert order_status(client, order_id) == "DISPUTED"
    payment = client.get(f"/api/v1/orders/{order_id}/payments/{payment_id}").json
    assert payment["status"] == "DISPUTED" and payment["dispute_id"] == "dp_1"
    import sqlalchemy as sa

    from reference_service.adapters.orm import DisputeRow

    with container.read_sessions() as s:
        row = s.scalars(sa.select(DisputeRow)).one()
    assert (row.id, row.reason, row.amount, row.order_id) == ("dp_1", "fraudulent", 3998, order_id)


def test_cancelling_a_paid_order_refunds_it_through_the_provider(
    client: FlaskClient, container: Container, fake_stripe: FakePaymentGateway
) -> None:
    fake_stripe.will("create_payment", ProviderPayment("pi_paid", PaymentStatus.SUCCEEDED))
    fake_stripe.will("refund_payment", RefundResult("re_1", 3998, False, "pending"))
    order_id = new_order(client)
    payment_id = pay(client, order_id, payment_method="pm_card_visa").json["id"]
    assert (
        client.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "changed mind"}).status_code == 200
    )
    container.relay.drain()
    assert ("refund_payment", ("pi_paid", None, f"refund-{payment_id}")) in fake_stripe.calls
    payment = client.get(f"/api/v1/orders/{order_id}/payments/{payment_id}").json
    assert payment["status"] == "REFUND_PENDING" and order_status(client, order_id) == "CANCELLED"
    refunded = {
        "id": "ch_1",
        "object": "charge",
        "payment_intent": "pi_paid",
        "amount_refunded": 3998,
        "refunded": True,
        "metadata": {},
    }
    assert webhook(client, stripe_event("charge.refunded", refunded, "evt_r")).json["outcome"] == "applied"
    assert order_status(client, order_id) == "REFUNDED"
    assert client.get(f"/api/v1/orders/{order_id}/payments/{payment_id}").json["status"] == "REFUNDED"


def test_cancelling_while_3ds_is_pending_cancels_the_intent(
    client: FlaskClient, container: Container, fake_stripe: FakePaymentGateway
) -> None:
    order_id = new_order(client)
    payment_id = pay(client, order_id).json["id"]
    client.post(f"/api/v1/orders/{order_id}/cancel")
    container.relay.drain()
    assert ("cancel_payment", ("pi_fake1", f"cancel-{payment_id}")) in fake_stripe.calls
    assert client.get(f"/api/v1/orders/{order_id}/payments/{payment_id}").json["status"] == "CANCELED"


def test_metrics_and_health_cover_payments(
    client: FlaskClient, container: Container, fake_stripe: FakePaymentGateway
) -> None:
    order_id = new_order(client)
    pay(client, order_id, payment_method="pm_card_visa")
    webhook(client, stripe_event("customer.created", {"id": "c"}, "evt_m"))
    container.relay.drain()
    text = client.get("/metrics").get_data(as_text=True)
    assert 'payment_processing_duration_seconds_count{outcome="succeeded",provider="stripe"} 1.0' in text
    assert 'webhook_events_total{event_type="other",outcome="ignored",provider="stripe"} 1.0' in text
    assert client.get("/health").json["checks"]["stripe"]["status"] == "UP"
    fake_stripe.healthy = False
    down = client.get("/health")
    assert down.status_code == 503 and "unreachable" in down.json["checks"]["stripe"]["details"]["error"]


class UndeliveredSource:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.asked: list[str] = []

    def undelivered_events(self, types: list[str], limit: int = 100) -> list[dict[str, Any]]:
        self.asked = types
        return self.events[:limit]


def test_reconcile_applies_missed_events_once(
    client: FlaskClient, container: Container, pending: tuple[str, str]
) -> None:
    import json

    from reference_service.entrypoints.reconcile import reconcile_stripe

    order_id, payment_id = pending
    missed = json.loads(
        stripe_event("payment_intent.succeeded", intent("pi_fake1", "succeeded", payment_id), "evt_m1")
    )
    source = UndeliveredSource([missed, json.loads(stripe_event("customer.created", {"id": "c"}, "evt_m2"))])
    lines: list[str] = []
    assert reconcile_stripe(container, source, echo=lines.append) == {"applied": 1, "ignored": 1}
    assert "payment_intent.succeeded" in source.asked and "charge.dispute.created" in source.asked
    assert order_status(client, order_id) == "PAID"
    assert reconcile_stripe(container, source, echo=lines.append) == {"duplicate": 2}
    assert any("evt_m1" in line for line in lines)


def test_an_event_that_beats_the_recorded_intent_id_is_resolved_through_the_provider(
    client: FlaskClient, container: Container, fake_stripe: FakePaymentGateway
) -> None:
    """charge.dispute.created can arrive before the service stored the PaymentIntent id (the dispute
    carries no payment metadata): the service reads the intent's metadata from Stripe instead of
    acknowledging the event as unmatched and losing it."""
    from reference_service.adapters.unit_of_work import SqlAlchemyUnitOfWork

    order_id = new_order(client)
    payment_id = pay(client, order_id, payment_method="pm_card_visa").json["id"]
    with container.uow() as uow:  # as if the event won the race against step 3 of start_payment
        assert isinstance(uow, SqlAlchemyUnitOfWork)
        payment = uow.payments.get(payment_id)
        assert payment is not None
        payment.provider_ref = None
        uow.commit()
    fake_stripe.will(
        "retrieve_payment", ProviderPayment("pi_early", PaymentStatus.SUCCEEDED, payment_id=payment_id)
    )
    dispute = {
        "id": "dp_early",
        "object": "dispute",
        "charge": "ch_1",
        "payment_intent": "pi_early",
        "reason": "fraudulent",
        "amount": 3998,
        "status": "needs_response",
    }
    assert (
        webhook(client, stripe_event("charge.dispute.created", dispute, "evt_early")).json["outcome"]
        == "applied"
    )
    assert order_status(client, order_id) == "DISPUTED"
    assert ("retrieve_payment", "pi_early") in fake_stripe.calls
