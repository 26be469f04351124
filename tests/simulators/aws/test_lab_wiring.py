"""``genai-demo up``'s SES feedback wiring (``simulators.lab.wiring.wire_ses_feedback``) against the AWS
simulator, with a webhook receiver standing in for the service."""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qsl

import pytest
import requests

from simulators.lab.wiring import SES_WEBHOOK_PATH, WiringError, wire_ses_feedback
from simulators.registry import load_wire
from simulators.testing import RunningSimulator, WebhookReceiver

ENV = {"SES_SENDER": "shop@example.com", "SES_FEEDBACK_TOPIC": "shop-feedback"}


def _confirm_when_asked(receiver: WebhookReceiver) -> threading.Thread:
    """Do what the service does: GET the SubscribeURL of the SubscriptionConfirmation it receives."""

    def confirm() -> None:
        message = receiver.wait_until(lambda r: r.json().get("Type") == "SubscriptionConfirmation").json()
        requests.get(message["SubscribeURL"], timeout=5).raise_for_status()

    thread = threading.Thread(target=confirm)
    thread.start()
    return thread


def test_up_runs_it_for_aws_once_the_service_is_healthy() -> None:
    assert load_wire("aws", after_service=True) is wire_ses_feedback
    assert load_wire("stripe", after_service=True) is None


def test_it_wires_feedback_waits_for_the_confirmation_and_is_idempotent(
    aws_sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    service_url = receiver.url.removesuffix(receiver.path)
    confirming = _confirm_when_asked(receiver)
    first = wire_ses_feedback(aws_sim.url, service_url, ENV)
    confirming.join(5)
    assert first["SES_FEEDBACK_TOPIC_ARN"].endswith(":shop-feedback")
    assert first["SES_FEEDBACK_SUBSCRIPTION_ARN"].startswith(first["SES_FEEDBACK_TOPIC_ARN"] + ":")
    assert [r.path for r in receiver.received] == [SES_WEBHOOK_PATH]
    assert wire_ses_feedback(aws_sim.url, service_url, ENV) == first  # confirmed already: nothing new
    assert len(aws_sim.journal(operation="Subscribe")) == 1
    calls = [dict(parse_qsl(e["body"])) for e in aws_sim.journal(operation="SetIdentityNotificationTopic")]
    assert sorted(c["NotificationType"] for c in calls) == sorted(["Bounce", "Complaint", "Delivery"] * 2)
    assert {c["Identity"] for c in calls} == {"shop@example.com"}


def test_a_service_that_never_confirms_is_a_wiring_error(
    aws_sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    with pytest.raises(WiringError, match="did not confirm"):
        wire_ses_feedback(aws_sim.url, receiver.url.removesuffix(receiver.path), ENV, timeout=0.5)
    [confirmation] = receiver.wait_for(1)
    assert json.loads(confirmation.body)["Type"] == "SubscriptionConfirmation"
