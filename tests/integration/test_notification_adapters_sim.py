"""The notification adapters against the simulators in-process (the lab plugin's ``aws_sim`` and
``twilio_sim``): SES ``SendEmail`` and the service's SES feedback provisioning on moto, SNS SMS and the
simulator's real SNS signatures, Twilio through the official SDK with its magic numbers. Every request the
service sends is checked against its contract, taken from the simulator's journal."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import boto3
import pytest
import requests

import contracts
from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.adapters.email_templates import JinjaEmailTemplates
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.ses_email import SesEmailSender
from reference_service.adapters.ses_feedback import FeedbackState, SesFeedbackProvisioner
from reference_service.adapters.sns_messages import SnsMessageVerifier, feedback, sns_certificates
from reference_service.adapters.sns_sms import AwsSnsProvider
from reference_service.adapters.twilio_sms import TwilioProvider
from reference_service.config import Settings, load_settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import SmsRecipientRejected
from simulators.testing import RunningSimulator, WebhookReceiver

RESET = {"customerName": "Ada", "resetLink": "https://shop.example/r/abc", "expiryTime": "in 30 minutes"}
SENDER = "no-reply@genai-demo.example"


def settings_for(aws_url: str = "http://127.0.0.1:1", twilio_url: str = "http://127.0.0.1:1") -> Settings:
    return load_settings(
        aws_endpoint_url=aws_url,
        twilio_base_url=twilio_url,
        service_public_url="http://127.0.0.1:8000",
        provider_timeout_seconds=3,
        sms_provider_timeout_seconds=3,
    )


def form(entry: dict[str, Any]) -> dict[str, str]:
    assert not entry["body_truncated"], "raise max_journal_body_bytes"
    return dict(parse_qsl(entry["body"], keep_blank_values=True))


def counted(metrics: ServiceMetrics, provider: str, operation: str, outcome: str) -> float:
    labels = {"provider": provider, "operation": operation, "outcome": outcome}
    return metrics.registry.get_sample_value("external_api_requests_total", labels) or 0.0


# -- SES -----------------------------------------------------------------------------------------------------


def verify_sender(url: str) -> None:
    ses = boto3.client(
        "ses",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="x",
    )
    ses.verify_email_identity(EmailAddress=SENDER)


def test_send_email_reaches_ses_with_both_bodies(aws_sim: RunningSimulator) -> None:
    verify_sender(aws_sim.url)
    sender = SesEmailSender(settings_for(aws_sim.url), ServiceMetrics(), RetryPolicy(3, 0, 0))
    email = JinjaEmailTemplates().render("PASSWORD_RESET", RESET)
    message_id = sender.send("success@simulator.amazonses.com", email)
    sent = requests.get(aws_sim.control_url + "aws/sent-emails", timeout=5).json()["data"]
    [mail] = [m for m in sent if m["id"] == message_id]
    assert mail["source"] == SENDER and mail["recipients"] == ["success@simulator.amazonses.com"]
    assert (mail["subject"], mail["text"], mail["html"]) == (email.subject, email.text, email.html)
    [entry] = aws_sim.journal(operation="SendEmail")
    contracts.validate("providers/ses/requests/send-email", form(entry))
    assert "us-east-1" in sender.check_health()["region"]


def test_an_unverified_sender_is_a_clear_error(aws_sim: RunningSimulator) -> None:
    sender = SesEmailSender(settings_for(aws_sim.url), ServiceMetrics(), RetryPolicy(3, 0, 0))
    with pytest.raises(ProviderError) as caught:
        sender.send("a@example.com", JinjaEmailTemplates().render("PASSWORD_RESET", RESET))
    assert (caught.value.code, caught.value.retryable) == ("SENDER_NOT_VERIFIED", False)
    assert len(aws_sim.journal(operation="SendEmail")) == 1  # not retried


def test_throttling_is_retried_by_the_shared_policy_and_each_attempt_counted(
    aws_sim: RunningSimulator,
) -> None:
    verify_sender(aws_sim.url)
    metrics = ServiceMetrics()
    sender = SesEmailSender(settings_for(aws_sim.url), metrics, RetryPolicy(3, 0, 0))
    aws_sim.fault({"operation": "SendEmail"}, {"type": "rate_limit", "retry_after": 0}, times=2)
    assert sender.send("a@example.com", JinjaEmailTemplates().render("PASSWORD_RESET", RESET))
    assert [e["status"] for e in aws_sim.journal(operation="SendEmail")] == [200, 429, 429]
    assert counted(metrics, "ses", "send_email", "rate_limited") == 2
    assert counted(metrics, "ses", "send_email", "success") == 1
    aws_sim.fault({"operation": "SendEmail"}, {"type": "status", "status": 503})
    with pytest.raises(ProviderError) as caught:
        sender.send("a@example.com", JinjaEmailTemplates().render("PASSWORD_RESET", RESET))
    assert caught.value.retryable and caught.value.code == "EMAIL_PROVIDER_ERROR"


def test_provisioning_is_idempotent(aws_sim: RunningSimulator) -> None:
    with WebhookReceiver() as receiver:
        settings = settings_for(aws_sim.url)
        state = FeedbackState()
        provisioner = SesFeedbackProvisioner(settings, ServiceMetrics(), state)
        provisioner.endpoint = receiver.url
        first = provisioner.provision()
        assert first["state"] == "subscribed" and first["topic_arn"].endswith(":genai-demo-ses-feedback")
        assert provisioner.provision()["topic_arn"] == first["topic_arn"]
        # moto's GetIdentityNotificationAttributes leaves out the *Topic keys: read the calls instead
        calls = [form(e) for e in aws_sim.journal(operation="SetIdentityNotificationTopic")]
        assert sorted(c["NotificationType"] for c in calls) == sorted(["Bounce", "Complaint", "Delivery"] * 2)
        assert {(c["Identity"], c["SnsTopic"]) for c in calls} == {(SENDER, first["topic_arn"])}
        ses = boto3.client(
            "ses",
            endpoint_url=aws_sim.url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="x",
        )
        assert SENDER in ses.list_identities()["Identities"]
        confirmations = receiver.wait_for(2)  # a pending subscription gets its confirmation again
        assert all(json.loads(r.body)["Type"] == "SubscriptionConfirmation" for r in confirmations)


# -- SNS -----------------------------------------------------------------------------------------------------


def sns_provider(url: str, metrics: ServiceMetrics | None = None) -> AwsSnsProvider:
    return AwsSnsProvider(
        settings_for(url), metrics or ServiceMetrics(), RetryPolicy(1, 0, 0), CircuitBreaker("sns", 3, 30)
    )


def test_sms_through_sns_is_transactional(aws_sim: RunningSimulator) -> None:
    result = sns_provider(aws_sim.url).send("+14155550100", "Your order shipped")
    [sms] = requests.get(aws_sim.control_url + "aws/sms", timeout=5).json()["data"]
    assert sms["message_id"] == result.message_id and result.provider == "sns"
    assert (sms["phone_number"], sms["message"], sms["sms_type"]) == (
        "+14155550100",
        "Your order shipped",
        "Transactional",
    )
    [entry] = aws_sim.journal(operation="Publish")
    contracts.validate("providers/sns/requests/publish-sms", form(entry))


def test_sns_failures_count_against_the_circuit_and_invalid_parameter_is_permanent(
    aws_sim: RunningSimulator,
) -> None:
    provider = sns_provider(aws_sim.url)
    aws_sim.fault({"operation": "Publish"}, {"type": "status", "status": 503}, times=3)
    for _ in range(3):
        assert provider.is_available()
        with pytest.raises(ProviderError) as caught:
            provider.send("+14155550100", "x")
        assert caught.value.retryable and not isinstance(caught.value, SmsRecipientRejected)
    assert not provider.is_available()
    provider.breaker.reset()
    invalid = (
        '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
        "<Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: +14155550100 is "
        "not valid</Message></Error><RequestId>x</RequestId></ErrorResponse>"
    )
    aws_sim.fault(
        {"operation": "Publish"},
        {"type": "status", "status": 400, "body": invalid, "content_type": "text/xml"},
        times=1,
    )
    with pytest.raises(SmsRecipientRejected) as rejected:
        provider.send("+14155550100", "x")
    assert rejected.value.code == "INVALID_NUMBER" and provider.breaker.state == "closed"


@pytest.mark.parametrize("version", ["1", "2"])
def test_the_simulators_sns_signatures_verify(aws_sim: RunningSimulator, version: str) -> None:
    sns = boto3.client(
        "sns",
        endpoint_url=aws_sim.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="x",
    )
    topic = sns.create_topic(Name="genai-demo-ses-feedback", Attributes={"SignatureVersion": version})[
        "TopicArn"
    ]
    verifier = SnsMessageVerifier(sns_certificates(["127.0.0.1"]), ["genai-demo-ses-feedback"])
    with WebhookReceiver() as receiver:
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
        [confirmation] = receiver.wait_for(1)
        message = json.loads(confirmation.body)
        contracts.validate("providers/sns/webhooks/message", message)
        verified = verifier.verify(message)
        assert verified.type == "SubscriptionConfirmation" and message["SignatureVersion"] == version
        assert requests.get(str(verified.subscribe_url), timeout=5).status_code == 200
        ses_message = {
            "notificationType": "Delivery",
            "mail": {
                "messageId": "m-1",
                "source": SENDER,
                "destination": ["a@example.com"],
                "timestamp": "2026-11-27T10:00:00.000Z",
            },
            "delivery": {"recipients": ["a@example.com"], "timestamp": "2026-11-27T10:00:00.000Z"},
        }
        sns.publish(TopicArn=topic, Message=json.dumps(ses_message))
        notification = json.loads(receiver.wait_for(2)[1].body)
        contracts.validate("providers/sns/webhooks/message", notification)
        assert feedback(verifier.verify(notification)).message_id == "m-1"
        notification["Message"] = notification["Message"].replace("m-1", "m-2")
        with pytest.raises(Exception, match="signature"):
            verifier.verify(notification)


# -- Twilio --------------------------------------------------------------------------------------------------


def twilio_provider(url: str, metrics: ServiceMetrics | None = None) -> TwilioProvider:
    return TwilioProvider(
        settings_for(twilio_url=url),
        metrics or ServiceMetrics(),
        RetryPolicy(2, 0, 0),
        CircuitBreaker("twilio", 3, 30),
    )


def test_sms_through_twilio_with_the_official_sdk(twilio_sim: RunningSimulator) -> None:
    result = twilio_provider(twilio_sim.url).send("+14155550100", "Your order shipped")
    assert result.provider == "twilio" and result.status == "queued" and result.message_id.startswith("SM")
    [entry] = twilio_sim.journal(operation="*Message*")
    sent = form(entry)
    contracts.validate("providers/twilio/requests/create-message", sent)
    assert sent["StatusCallback"] == "http://127.0.0.1:8000/api/v1/webhooks/twilio/status"
    resp = requests.get(
        f"{twilio_sim.url}/2010-04-01/Accounts/AC00000000000000000000000000000000/Messages/{result.message_id}.json",
        auth=("AC00000000000000000000000000000000", "genai-demo-twilio-token"),
        timeout=5,
    )
    contracts.validate("providers/twilio/responses/message", resp.json())


@pytest.mark.parametrize(
    ("to", "code"),
    [
        ("+15005550001", "INVALID_NUMBER"),
        ("+15005550004", "RECIPIENT_OPTED_OUT"),
        ("+15005550009", "NOT_SMS_CAPABLE"),
    ],
)
def test_twilio_magic_numbers_are_permanent_refusals(
    twilio_sim: RunningSimulator, to: str, code: str
) -> None:
    provider = twilio_provider(twilio_sim.url)
    with pytest.raises(SmsRecipientRejected) as caught:
        provider.send(to, "x")
    assert caught.value.code == code and provider.breaker.state == "closed"
    assert len(twilio_sim.journal(operation="*Message*")) == 1  # never retried


def test_twilio_transient_errors_are_retried_then_fail_over(twilio_sim: RunningSimulator) -> None:
    metrics = ServiceMetrics()
    provider = twilio_provider(twilio_sim.url, metrics)
    twilio_sim.fault({"method": "POST"}, {"type": "rate_limit", "retry_after": 0}, times=1)
    assert provider.send("+14155550100", "x").message_id.startswith("SM")
    assert counted(metrics, "twilio", "create_message", "rate_limited") == 1
    twilio_sim.fault({"method": "POST"}, {"type": "status", "status": 500})
    with pytest.raises(ProviderError) as caught:
        provider.send("+14155550100", "x")
    assert caught.value.retryable and caught.value.code == "SMS_PROVIDER_ERROR"
    assert counted(metrics, "twilio", "create_message", "server_error") == 2  # both attempts
    requests.delete(twilio_sim.control_url + "faults", timeout=5).raise_for_status()
    with pytest.raises(ProviderError) as unroutable:
        twilio_provider(twilio_sim.url).send("+15005550002", "x")  # 21612: this provider cannot route it
    assert not isinstance(unroutable.value, SmsRecipientRejected)
    assert unroutable.value.provider_code == "21612" and not unroutable.value.retryable
