"""The notification contracts hold on real traffic: the service's API answers, the requests it sends
(read back from the AWS and Twilio simulators' journals) and the callbacks it receives (the simulators'
webhook deliveries), against ``contracts/schemas/{api/notifications,providers/ses,providers/sns,
providers/twilio}``. Uses ``notifications_lab`` (the service and both simulators as processes)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import pytest

import contracts
from tests.support_notifications import NotificationsLab

pytestmark = pytest.mark.e2e
TIMEOUT = 10


def post(lab: NotificationsLab, path: str, body: dict[str, Any], status: int) -> dict[str, Any]:
    resp = lab.http.post(lab.url + path, json=body, timeout=TIMEOUT)
    assert resp.status_code == status, resp.text
    document: dict[str, Any] = resp.json()
    contracts.validate("api/problem" if status >= 400 else "api/notifications/notification", document)
    return document


@pytest.fixture(scope="module")
def traffic(notifications_lab: NotificationsLab) -> dict[str, Any]:
    """One round of every kind of traffic: emails with feedback, SMS through both providers, errors."""
    lab = notifications_lab
    lab.reset()
    lab.wait_feedback_confirmed()
    tag = uuid.uuid4().hex[:8]
    variables = {"customerName": "Ada", "resetLink": "https://shop.example/r/1", "expiryTime": "soon"}
    emails = [
        post(
            lab,
            "/api/v1/notifications/email",
            {"type": "PASSWORD_RESET", "to": f"{box}+{tag}@simulator.amazonses.com", "variables": variables},
            201,
        )
        for box in ("success", "bounce", "complaint")
    ]
    sns = post(lab, "/api/v1/notifications/sms", {"phone": "+14155550123", "message": f"via sns {tag}"}, 201)
    lab.aws_sim().fault({"operation": "Publish"}, {"type": "status", "status": 503})
    twilio = post(
        lab, "/api/v1/notifications/sms", {"phone": "+15005553006", "message": f"via twilio {tag}"}, 201
    )
    problems = [
        post(
            lab,
            "/api/v1/notifications/email",
            {"type": "PASSWORD_RESET", "to": f"bounce+{tag}@x.example"},
            422,
        ),
        post(lab, "/api/v1/notifications/sms", {"phone": "0800", "message": "x"}, 422),
    ]
    lab.twilio_sim().advance(10)
    lab.reset()
    time.sleep(0.5)  # let the last callbacks and SNS deliveries land
    return {"emails": emails, "sns": sns, "twilio": twilio, "problems": problems}


def test_the_api_answers_keep_their_contracts(
    notifications_lab: NotificationsLab, traffic: dict[str, Any]
) -> None:
    for sent in [*traffic["emails"], traffic["sns"], traffic["twilio"]]:
        url = f"{notifications_lab.url}/api/v1/notifications/{sent['id']}"
        resp = notifications_lab.http.get(url, timeout=TIMEOUT)
        contracts.validate("api/notifications/notification", resp.json())
    listing = notifications_lab.http.get(
        notifications_lab.url + "/api/v1/admin/sms/providers", timeout=TIMEOUT
    ).json()
    contracts.validate("api/notifications/sms-provider-list", listing)
    assert {p["type"] for p in traffic["problems"]} == {
        "/problems/email-variables-invalid",
        "/problems/invalid-phone-number",
    }


def _forms(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    for entry in entries:
        assert not entry["body_truncated"], entry["operation"]
    return [dict(parse_qsl(e["body"], keep_blank_values=True)) for e in entries]


def test_the_requests_the_service_sends_keep_their_contracts(
    notifications_lab: NotificationsLab, traffic: dict[str, Any]
) -> None:
    aws, twilio = notifications_lab.aws_sim(), notifications_lab.twilio_sim()
    sends = _forms(aws.journal(operation="SendEmail", limit=1000))
    publishes = [f for f in _forms(aws.journal(operation="Publish", limit=1000)) if "PhoneNumber" in f]
    creates = _forms([e for e in twilio.journal(limit=1000) if e["path"].endswith("/Messages.json")])
    assert sends and publishes and creates
    for form in sends:
        contracts.validate("providers/ses/requests/send-email", form)
    for form in publishes:
        contracts.validate("providers/sns/requests/publish-sms", form)
    for form in creates:
        contracts.validate("providers/twilio/requests/create-message", form)
    message = twilio.get(f"twilio/messages/{traffic['twilio']['message_id']}")
    message.pop("sim")
    contracts.validate("providers/twilio/responses/message", message)


def test_the_callbacks_the_service_receives_keep_their_contracts(
    notifications_lab: NotificationsLab, traffic: dict[str, Any]
) -> None:
    sns = notifications_lab.aws_sim().get("webhooks/deliveries", limit=1000)["data"]
    kinds = set()
    for delivery in sns:
        message = json.loads(delivery["body"])
        contracts.validate("providers/sns/webhooks/message", message)
        if message["Type"] == "Notification":
            ses = json.loads(message["Message"])
            contracts.validate("providers/ses/webhooks/notification", ses)
            kinds.add(ses["notificationType"])
    assert {"Bounce", "Complaint", "Delivery"} <= kinds
    assert any(json.loads(d["body"])["Type"] == "SubscriptionConfirmation" for d in sns)
    callbacks = notifications_lab.twilio_sim().get("webhooks/deliveries", limit=1000)["data"]
    statuses = set()
    for delivery in callbacks:
        form = dict(parse_qsl(delivery["body"], keep_blank_values=True))
        contracts.validate("providers/twilio/webhooks/status-callback", form)
        assert delivery["status"] == "succeeded", delivery  # the service accepted every genuine callback
        statuses.add(form["MessageStatus"])
    assert {"queued", "sent", "undelivered"} <= statuses
