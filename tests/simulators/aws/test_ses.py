"""SES on the AWS simulator: sending, reading back, and mailbox-simulator feedback through SNS."""

from __future__ import annotations

import json
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from botocore.exceptions import ClientError

from simulators.testing import RunningSimulator, WebhookReceiver

from .conftest import SENDER, Clients, subscribe_confirmed, wait_for_type
from .sns_verify import verify


def _send(aws: Clients, to: str, subject: str = "Order Confirmation - Order #1001") -> str:
    resp = aws.ses.send_email(
        Source=SENDER,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject},
            "Body": {"Text": {"Data": "Hello Ada, thanks."}, "Html": {"Data": "<p>Hello <b>Ada</b></p>"}},
        },
    )
    message_id: str = resp["MessageId"]
    return message_id


def test_send_email_with_html_and_text_is_read_back(sim: RunningSimulator, aws: Clients) -> None:
    aws.ses.verify_email_identity(EmailAddress=SENDER)
    message_id = _send(aws, "ada@example.com")
    [mail] = sim.client.get("aws/sent-emails")["data"]
    assert mail["id"] == message_id and mail["source"] == SENDER
    assert mail["recipients"] == ["ada@example.com"]
    assert mail["subject"] == "Order Confirmation - Order #1001"
    assert mail["text"] == "Hello Ada, thanks." and mail["html"] == "<p>Hello <b>Ada</b></p>"
    assert sim.client.get("aws/sent-emails", to="nobody@example.com")["data"] == []


def test_an_unverified_sender_is_message_rejected(aws: Clients) -> None:
    with pytest.raises(ClientError) as err:
        _send(aws, "ada@example.com")
    assert err.value.response["Error"]["Code"] == "MessageRejected"


def test_send_raw_email_parts_are_read_back(sim: RunningSimulator, aws: Clients) -> None:
    aws.ses.verify_domain_identity(Domain="genai-demo.example")
    mime = MIMEMultipart("alternative")
    mime["Subject"], mime["From"], mime["To"] = "Password Reset Request", SENDER, "bob@example.com"
    mime.attach(MIMEText("reset: https://x/r", "plain"))
    mime.attach(MIMEText("<a href='https://x/r'>reset</a>", "html"))
    aws.ses.send_raw_email(RawMessage={"Data": mime.as_bytes()})
    [mail] = sim.client.get("aws/sent-emails")["data"]
    assert mail["subject"] == "Password Reset Request" and mail["kind"] == "RawMessage"
    assert mail["text"].strip() == "reset: https://x/r" and "href" in mail["html"]


def _feedback_topic(aws: Clients, receiver: WebhookReceiver, kind: str) -> str:
    topic: str = aws.sns.create_topic(Name=f"ses-{kind.lower()}")["TopicArn"]
    subscribe_confirmed(aws, receiver, topic)
    aws.ses.set_identity_notification_topic(
        Identity="genai-demo.example", NotificationType=kind, SnsTopic=topic
    )
    return topic


def test_a_bounce_reaches_the_https_subscriber_as_a_signed_notification(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    aws.ses.verify_domain_identity(Domain="genai-demo.example")
    topic = _feedback_topic(aws, receiver, "Bounce")
    message_id = _send(aws, "bounce@simulator.amazonses.com")
    note = wait_for_type(receiver, "Notification")
    assert note["TopicArn"] == topic and verify(note, allowed_host=sim.url.removeprefix("http://"))
    ses = json.loads(note["Message"])  # SES's notification is a JSON string inside the SNS message
    assert ses["notificationType"] == "Bounce"
    assert ses["bounce"]["bounceType"] == "Permanent" and ses["bounce"]["bounceSubType"] == "General"
    assert ses["bounce"]["bouncedRecipients"][0]["emailAddress"] == "bounce@simulator.amazonses.com"
    assert ses["bounce"]["bouncedRecipients"][0]["action"] == "failed"
    assert ses["mail"]["messageId"] == message_id and ses["mail"]["source"] == SENDER
    assert ses["mail"]["destination"] == ["bounce@simulator.amazonses.com"]
    assert ses["mail"]["commonHeaders"]["subject"] == "Order Confirmation - Order #1001"
    assert sim.client.get("aws/sent-emails")["data"][0]["feedback"] == ["Bounce"]


def test_a_complaint_is_published_with_the_complained_recipient(
    aws: Clients, receiver: WebhookReceiver
) -> None:
    aws.ses.verify_email_identity(EmailAddress=SENDER)
    aws.ses.verify_domain_identity(Domain="genai-demo.example")
    _feedback_topic(aws, receiver, "Complaint")
    _send(aws, "complaint+order42@simulator.amazonses.com")
    ses = json.loads(wait_for_type(receiver, "Notification")["Message"])
    assert ses["notificationType"] == "Complaint"
    assert ses["complaint"]["complainedRecipients"] == [
        {"emailAddress": "complaint+order42@simulator.amazonses.com"}
    ]
    assert ses["complaint"]["complaintFeedbackType"] == "abuse"


def test_success_only_notifies_a_delivery_topic(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    aws.ses.verify_domain_identity(Domain="genai-demo.example")
    _feedback_topic(aws, receiver, "Bounce")
    _send(aws, "success@simulator.amazonses.com")
    assert sim.client.get("aws/sent-emails")["data"][0]["feedback"] == []
    topic = _feedback_topic(aws, receiver, "Delivery")
    _send(aws, "success@simulator.amazonses.com")
    ses = json.loads(wait_for_type(receiver, "Notification", topic)["Message"])
    assert ses["notificationType"] == "Delivery"
    assert ses["delivery"]["recipients"] == ["success@simulator.amazonses.com"]
