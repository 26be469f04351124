"""Notifications end to end in-process: the API, the SES and Twilio webhooks (signed for real), the
outbox relay's order confirmation, problem documents and metrics, with fake providers (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import contracts
from reference_service.adapters.sms_router import SmsServiceRouter
from reference_service.adapters.sns_messages import SnsMessageVerifier, sns_certificates
from reference_service.bootstrap import Container, bootstrap
from reference_service.bootstrap.notifications import NotificationsArea
from reference_service.config import Settings
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.app import create_app
from reference_service.service_layer.errors import ProviderError
from tests.fakes import FakeEmailSender, FakePaymentGateway, FakeSmsProvider
from tests.support_notifications import twilio_signature
from tests.support_sns import SnsSigner, ses_feedback

EMAIL = "/api/v1/notifications/email"
SMS = "/api/v1/notifications/sms"
RESET_VARS = {"customerName": "Ada", "resetLink": "https://shop.example/r/abc", "expiryTime": "in 30 minutes"}
TOKEN = "genai-demo-twilio-token"
STATUS_URL = "http://127.0.0.1:8000/api/v1/webhooks/twilio/status"


class FakeConfirmer:
    def __init__(self) -> None:
        self.urls: list[str] = []

    def confirm(self, url: str) -> str:
        self.urls.append(url)
        return "arn:aws:sns:us-east-1:123456789012:genai-demo-ses-feedback:sub"


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner()


@pytest.fixture
def lab(settings: Settings, fake_stripe: FakePaymentGateway, signer: SnsSigner) -> Iterator[Container]:
    container = bootstrap(settings, gateways={PaymentProvider.STRIPE: fake_stripe})
    comps = container.notifications
    comps.sender = FakeEmailSender()
    comps.router = SmsServiceRouter([FakeSmsProvider("sns"), FakeSmsProvider("twilio")], comps.metrics)
    store = sns_certificates(["127.0.0.1"], fetch=lambda _url: signer.pem)
    comps.verifier = SnsMessageVerifier(store, ["genai-demo-ses-feedback"])
    comps.confirmer = FakeConfirmer()  # type: ignore[assignment]
    yield container
    container.close()


@pytest.fixture
def comps(lab: Container) -> NotificationsArea:
    return lab.notifications


@pytest.fixture
def app(settings: Settings, lab: Container) -> Flask:
    return create_app(settings, lab, start_relay=False)


def providers(comps: NotificationsArea) -> tuple[FakeSmsProvider, FakeSmsProvider]:
    router = comps.router
    assert isinstance(router, SmsServiceRouter)
    sns, twilio = router.providers
    assert isinstance(sns, FakeSmsProvider) and isinstance(twilio, FakeSmsProvider)
    return sns, twilio


def sender(comps: NotificationsArea) -> FakeEmailSender:
    assert isinstance(comps.sender, FakeEmailSender)
    return comps.sender


def problem(resp: Any, slug: str, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.json
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.json
    contracts.validate("api/problem", body)
    assert body["type"] == f"/problems/{slug}"
    return body


def metric(client: FlaskClient, line_start: str) -> float:
    for line in client.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# -- email ---------------------------------------------------------------------------------------------


def test_send_email_answers_with_the_ses_message_id(client: FlaskClient, comps: NotificationsArea) -> None:
    request = {"type": "PASSWORD_RESET", "to": "ada@example.com", "variables": RESET_VARS}
    contracts.validate("api/notifications/send-email-request", request)
    resp = client.post(EMAIL, json=request)
    assert resp.status_code == 201, resp.json
    body = resp.json
    contracts.validate("api/notifications/notification", body)
    assert (
        body["message_id"] == "ses-msg-0001"
        and body["provider"] == "ses"
        and body["to"] == "a***@example.com"
    )
    assert resp.headers["Location"] == f"/api/v1/notifications/{body['id']}"
    [(to, email)] = sender(comps).sent
    assert to == "ada@example.com" and email.subject == "Password Reset Request"
    assert "https://shop.example/r/abc" in email.text and email.html.startswith("<!doctype html>")
    assert client.get(body_location := resp.headers["Location"]).json == body, body_location
    assert metric(client, 'email_send_total{outcome="sent",template="PASSWORD_RESET"}') == 1


def test_missing_variables_are_a_problem_naming_each_and_nothing_is_sent(
    client: FlaskClient, comps: NotificationsArea
) -> None:
    resp = client.post(EMAIL, json={"type": "PASSWORD_RESET", "to": "ada@example.com", "variables": {}})
    body = problem(resp, "email-variables-invalid", 422)
    assert body["missing"] == ["customerName", "resetLink", "expiryTime"]
    assert [e["field"] for e in body["errors"]] == [
        "variables.customerName",
        "variables.resetLink",
        "variables.expiryTime",
    ]
    assert sender(comps).sent == []
    unknown = problem(
        client.post(EMAIL, json={"type": "WELCOME", "to": "a@b.co"}), "unknown-email-template", 422
    )
    assert unknown["known"] == ["DELIVERY_UPDATE", "ORDER_CONFIRMATION", "PASSWORD_RESET"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "PASSWORD_RESET", "to": "not-an-address"}, "to"),
        ({"type": "password_reset", "to": "a@b.co"}, "type"),
        ({"type": "PASSWORD_RESET", "to": "a@b.co", "cc": "x@b.co"}, "cc"),
        ({"phone": "+14155550100"}, "message"),
    ],
)
def test_requests_are_validated_strictly(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    path = SMS if "phone" in body else EMAIL
    resp = problem(client.post(path, json=body), "validation-error", 422)
    assert field in {e["field"] for e in resp["errors"]}


def test_an_ses_outage_is_a_clean_503(client: FlaskClient, comps: NotificationsArea) -> None:
    sender(comps).will(ProviderError("ses", "EMAIL_PROVIDER_ERROR", "down", retryable=True, status=503))
    resp = client.post(
        EMAIL, json={"type": "PASSWORD_RESET", "to": "ada@example.com", "variables": RESET_VARS}
    )
    body = problem(resp, "provider-unavailable", 503)
    assert body["provider"] == "ses" and body["retryable"] is True and resp.headers["Retry-After"]


# -- SES feedback webhook ----------------------------------------------------------------------------------


def post_sns(client: FlaskClient, message: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/webhooks/ses",
        data=json.dumps(message),
        headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": message["Type"]},
    )


def test_a_hard_bounce_suppresses_the_address(
    client: FlaskClient, comps: NotificationsArea, signer: SnsSigner
) -> None:
    sent = client.post(
        EMAIL, json={"type": "PASSWORD_RESET", "to": "Bob@example.com", "variables": RESET_VARS}
    )
    message_id = sent.json["message_id"]
    message = signer.notification(ses_feedback("Bounce", message_id, ["Bob@example.com"]), version="2")
    resp = post_sns(client, message)
    assert resp.status_code == 200 and resp.json == {
        "received": True,
        "outcome": "applied",
        "kind": "Bounce",
        "suppressed": 1,
    }
    assert post_sns(client, message).json["outcome"] == "duplicate"
    notification = client.get(f"/api/v1/notifications/{sent.json['id']}").json
    assert notification["status"] == "BOUNCED" and notification["history"][-1]["source"] == "ses"
    again = client.post(
        EMAIL, json={"type": "PASSWORD_RESET", "to": "bob@EXAMPLE.com", "variables": RESET_VARS}
    )
    body = problem(again, "email-recipient-suppressed", 422)
    assert body["reason"] == "bounce" and len(sender(comps).sent) == 1
    assert client.get(f"/api/v1/notifications/{body['notification_id']}").json["status"] == "SUPPRESSED"
    assert metric(client, 'email_bounces_total{type="Permanent"}') == 1
    assert metric(client, 'email_suppressions_total{reason="bounce"}') == 1
    assert metric(client, "email_suppressed_addresses") == 1
    assert metric(client, 'email_send_total{outcome="suppressed",template="PASSWORD_RESET"}') == 1


def test_feedback_that_beats_the_send_is_asked_for_again_and_still_suppresses(
    client: FlaskClient, signer: SnsSigner
) -> None:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    early = signer.notification(ses_feedback("Complaint", "ses-msg-0001", ["eve@example.com"], sent_at=now))
    resp = post_sns(client, early)
    problem(resp, "webhook-not-ready", 503)
    assert resp.headers["Retry-After"] == "1"
    refused = client.post(
        EMAIL, json={"type": "PASSWORD_RESET", "to": "eve@example.com", "variables": RESET_VARS}
    )
    problem(refused, "email-recipient-suppressed", 422)  # the suppression was kept
    late = signer.notification(ses_feedback("Complaint", "ses-msg-0404", ["frank@example.com"]))
    assert post_sns(client, late).json["outcome"] == "applied"  # old and unknown: acknowledged


def test_a_forged_sns_message_is_rejected_and_changes_nothing(client: FlaskClient, signer: SnsSigner) -> None:
    forged = SnsSigner().notification(ses_feedback("Complaint", "m-1", ["carol@example.com"]))
    problem(post_sns(client, forged), "webhook-signature-invalid", 400)
    tampered = signer.notification(ses_feedback("Complaint", "m-1", ["carol@example.com"]))
    tampered["Message"] = tampered["Message"].replace("carol", "dave")
    problem(post_sns(client, tampered), "webhook-signature-invalid", 400)
    mismatched = signer.notification(ses_feedback("Complaint", "m-1", ["carol@example.com"]))
    resp = client.post(
        "/api/v1/webhooks/ses", data=json.dumps(mismatched), headers={"x-amz-sns-message-type": "x"}
    )
    problem(resp, "webhook-signature-invalid", 400)
    problem(client.post("/api/v1/webhooks/ses", data=b"{not json"), "malformed-request", 400)
    ok = client.post(
        EMAIL, json={"type": "PASSWORD_RESET", "to": "carol@example.com", "variables": RESET_VARS}
    )
    assert ok.status_code == 201  # not suppressed: nothing forged was applied


def test_a_subscription_confirmation_is_confirmed_through_its_url(
    client: FlaskClient, comps: NotificationsArea, signer: SnsSigner
) -> None:
    url = "http://127.0.0.1:12115/?Action=ConfirmSubscription&TopicArn=x&Token=abc"
    resp = post_sns(client, signer.confirmation(url))
    assert resp.status_code == 200 and resp.json["outcome"] == "confirmed"
    assert comps.confirmer.urls == [url]  # type: ignore[attr-defined]
    assert comps.feedback.state == "pending"  # the fake confirmer does not touch it
    evil = signer.confirmation("http://attacker.example/?Action=ConfirmSubscription&Token=abc")
    problem(post_sns(client, evil), "webhook-signature-invalid", 400)
    assert len(comps.confirmer.urls) == 1  # type: ignore[attr-defined]
    unsubscribed = post_sns(client, signer.confirmation(url, kind="UnsubscribeConfirmation"))
    assert unsubscribed.json["outcome"] == "unsubscribed" and comps.feedback.state == "unsubscribed"


# -- SMS -----------------------------------------------------------------------------------------------------


def test_send_sms_answers_with_provider_message_id_and_tried(
    client: FlaskClient, comps: NotificationsArea
) -> None:
    sns, _twilio = providers(comps)
    sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True, status=503))
    request = {"phone": "+14155550100", "message": "Your order has shipped"}
    contracts.validate("api/notifications/send-sms-request", request)
    resp = client.post(SMS, json=request)
    assert resp.status_code == 201, resp.json
    body = resp.json
    contracts.validate("api/notifications/notification", body)
    assert (body["provider"], body["message_id"], body["tried"]) == (
        "twilio",
        f"SM{1:032x}",
        ["sns", "twilio"],
    )
    assert body["region"] == "US" and body["to"] == "********0100"
    assert metric(client, 'sms_failover_total{from_provider="sns",to_provider="twilio"}') == 1


def test_sms_problems(client: FlaskClient, comps: NotificationsArea) -> None:
    sns, twilio = providers(comps)
    invalid = problem(
        client.post(SMS, json={"phone": "555-0100", "message": "x"}), "invalid-phone-number", 422
    )
    assert invalid["errors"][0]["field"] == "phone"
    from reference_service.service_layer.notification_errors import SmsRecipientRejected

    sns.will(SmsRecipientRejected("sns", "INVALID_NUMBER", "no", provider_code="InvalidParameter"))
    rejected = problem(
        client.post(SMS, json={"phone": "+14155550100", "message": "x"}), "sms-recipient-rejected", 422
    )
    assert rejected["tried"] == ["sns"] and rejected["code"] == "INVALID_NUMBER" and twilio.sent == []
    down = ProviderError("x", "SMS_PROVIDER_ERROR", "down", retryable=True, status=503, provider_code="503")
    sns.will(down)
    twilio.will(down)
    resp = client.post(SMS, json={"phone": "+14155550100", "message": "x"})
    failed = problem(resp, "all-sms-providers-failed", 503)
    assert failed["tried"] == ["sns", "twilio"] and resp.headers["Retry-After"]
    assert [f["provider"] for f in failed["failures"]] == ["sns", "twilio"]
    stored = client.get(f"/api/v1/notifications/{failed['notification_id']}").json
    assert stored["status"] == "FAILED" and stored["tried"] == ["sns", "twilio"]


def test_admin_lists_sms_providers_and_resets_circuits(client: FlaskClient, comps: NotificationsArea) -> None:
    sns, _ = providers(comps)
    for _ in range(3):
        sns.breaker.record_failure()
    listing = client.get("/api/v1/admin/sms/providers").json
    contracts.validate("api/notifications/sms-provider-list", listing)
    assert listing["data"][0]["circuit"]["state"] == "open"
    reset = client.post("/api/v1/admin/sms/providers/reset").json
    assert reset["data"][0]["circuit"]["state"] == "closed"


# -- Twilio status callbacks -------------------------------------------------------------------------------


def callback(
    client: FlaskClient, form: dict[str, str], signature: str | None = None, url: str = STATUS_URL
) -> Any:
    headers = {}
    if signature is None:
        signature = twilio_signature(TOKEN, url, form)
    if signature:
        headers["X-Twilio-Signature"] = signature
    return client.post("/api/v1/webhooks/twilio/status", data=form, headers=headers)


def status_form(sid: str, status: str, **extra: str) -> dict[str, str]:
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": "+15005550006",
        "To": "+14155550100",
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
        **extra,
    }
    contracts.validate("providers/twilio/webhooks/status-callback", form)
    return form


def test_status_callbacks_are_recorded_and_forged_ones_rejected(
    client: FlaskClient, comps: NotificationsArea
) -> None:
    sns, _ = providers(comps)
    sns.will(ProviderError("sns", "SMS_PROVIDER_ERROR", "down", retryable=True))
    sent = client.post(SMS, json={"phone": "+14155550100", "message": "hi"}).json
    sid = sent["message_id"]
    assert callback(client, status_form(sid, "sent")).json["outcome"] == "applied"
    forged = callback(client, status_form(sid, "delivered"), signature="bm9wZQ==")
    problem(forged, "webhook-forbidden", 403)
    problem(callback(client, status_form(sid, "delivered"), signature=""), "webhook-forbidden", 403)
    # signed for the Host the request came through, not for SERVICE_PUBLIC_URL: rejected
    other_host = "http://localhost/api/v1/webhooks/twilio/status"
    problem(callback(client, status_form(sid, "delivered"), url=other_host), "webhook-forbidden", 403)
    assert client.get(f"/api/v1/notifications/{sid and sent['id']}").json["status"] == "SENT"
    undelivered = status_form(
        sid, "undelivered", ErrorCode="30003", ErrorMessage="Unreachable destination handset"
    )
    resp = callback(client, undelivered)
    assert resp.json == {
        "received": True,
        "outcome": "applied",
        "notification_id": sent["id"],
        "status": "UNDELIVERED",
    }
    assert callback(client, undelivered).json["outcome"] == "duplicate"
    stored = client.get(f"/api/v1/notifications/{sent['id']}").json
    contracts.validate("api/notifications/notification", stored)
    assert stored["status"] == "UNDELIVERED" and stored["error_code"] == "30003"
    assert [h["provider_status"] for h in stored["history"]] == ["queued", "sent", "undelivered"]
    assert metric(client, 'sms_delivery_status_total{provider="twilio",status="undelivered"}') == 1
    assert (
        metric(client, 'webhook_events_total{event_type="unverified",outcome="rejected",provider="twilio"}')
        == 3
    )


# -- order confirmation from the relay ---------------------------------------------------------------------


def test_a_paid_order_is_confirmed_by_email_once(
    lab: Container, client: FlaskClient, comps: NotificationsArea
) -> None:
    order = client.post(
        "/api/v1/orders",
        json={
            "customer_ref": "cus_1",
            "currency": "USD",
            "items": [{"sku": "TSHIRT", "name": "T-shirt", "quantity": 2, "unit_amount": 1999}],
            "customer": {"name": "Ada <Lovelace>", "email": "ada@example.com"},
        },
    ).json
    paid = client.post(
        f"/api/v1/orders/{order['id']}/payments",
        json={"provider": "stripe", "payment_method": "pm_card_visa"},
    )
    assert paid.status_code == 201 and paid.json["status"] == "SUCCEEDED"
    lab.relay.drain()
    lab.relay.drain()
    [(to, email)] = sender(comps).sent
    assert to == "ada@example.com" and email.subject == f"Order Confirmation - Order #{order['id']}"
    assert "Ada &lt;Lovelace&gt;" in email.html and "39.98 USD" in email.text
    with lab.read_uow() as uow:
        notification = uow.notifications.get_by_dedupe_key(f"order-confirmation:{order['id']}")
        assert notification is not None and notification.status.value == "ACCEPTED"
    assert metric(client, 'email_send_total{outcome="sent",template="ORDER_CONFIRMATION"}') == 1
