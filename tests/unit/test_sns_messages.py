"""SNS message verification: SignatureVersion 1 and 2 over SNS's canonical strings, certificates only from
allowed hosts (cached), the topic check, forgeries and tampering, and reading SES feedback."""

from __future__ import annotations

import json
from typing import Any

import pytest

import contracts
from reference_service.adapters.sns_messages import (
    MalformedFeedback,
    MessageRejected,
    SnsMessageVerifier,
    feedback,
    sns_certificates,
    string_to_sign,
)
from tests.support_sns import CERT_URL, SnsSigner, ses_feedback


@pytest.fixture(scope="module")
def signer() -> SnsSigner:
    return SnsSigner()


class Fetcher:
    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem


def verifier(
    signer: SnsSigner, fetch: Fetcher | None = None, hosts: str = "127.0.0.1,localhost"
) -> SnsMessageVerifier:
    store = sns_certificates(hosts.split(","), fetch=fetch or Fetcher(signer.pem))
    return SnsMessageVerifier(store, ["genai-demo-ses-feedback"])


def test_the_canonical_strings_follow_the_sns_developer_guide() -> None:
    notification = {
        "Type": "Notification",
        "MessageId": "m",
        "TopicArn": "t",
        "Message": "hi",
        "Timestamp": "ts",
    }
    assert (
        string_to_sign(notification)
        == "Message\nhi\nMessageId\nm\nTimestamp\nts\nTopicArn\nt\nType\nNotification\n"
    )
    assert "Subject\ns\n" in string_to_sign({**notification, "Subject": "s"})
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m",
        "TopicArn": "t",
        "Message": "hi",
        "Timestamp": "ts",
        "SubscribeURL": "u",
        "Token": "k",
    }
    assert string_to_sign(confirmation) == (
        "Message\nhi\nMessageId\nm\nSubscribeURL\nu\nTimestamp\nts\nToken\nk\nTopicArn\nt\nType\nSubscriptionConfirmation\n"
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_genuine_notifications_verify_with_both_signature_versions(signer: SnsSigner, version: str) -> None:
    message = signer.notification(ses_feedback("Delivery", "ses-1", ["a@example.com"]), version=version)
    contracts.validate("providers/sns/webhooks/message", message)
    verified = verifier(signer).verify(message)
    assert verified.type == "Notification" and verified.message_id == message["MessageId"]


def test_a_subject_is_part_of_the_signature(signer: SnsSigner) -> None:
    message = signer.notification("x", Subject="Amazon SES Email Event Notification")
    verifier(signer).verify(message)
    with pytest.raises(MessageRejected, match="signature does not match"):
        verifier(signer).verify({**message, "Subject": "changed"})


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: m.update(Message=m["Message"].replace("ses-1", "ses-2")),
        lambda m: m.update(MessageId="00000000-0000-0000-0000-000000000000"),
        lambda m: m.update(Timestamp="2030-01-01T00:00:00.000Z"),
        lambda m: m.update(SignatureVersion="2"),
        lambda m: m.update(Signature="bm90IGEgc2lnbmF0dXJl"),
        lambda m: m.update(Signature="%%%"),
    ],
)
def test_a_tampered_message_is_rejected(signer: SnsSigner, tamper: Any) -> None:
    message = signer.notification(ses_feedback("Bounce", "ses-1", ["a@example.com"]))
    tamper(message)
    with pytest.raises(MessageRejected, match="signature"):
        verifier(signer).verify(message)


def test_a_message_signed_by_another_key_is_rejected(signer: SnsSigner) -> None:
    forger = SnsSigner()
    forged = forger.notification(ses_feedback("Complaint", "ses-1", ["a@example.com"]))
    with pytest.raises(MessageRejected, match="signature does not match"):
        verifier(signer).verify(forged)  # the service fetches AWS's certificate, not the forger's


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://evil.example/SimpleNotificationService-x.pem", "not allowed"),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", "not allowed"),
        ("http://sns.us-east-1.amazonaws.com/x.pem", "https"),
        ("https://sns.us-east-1.amazonaws.com/not-a-certificate", "not a .pem"),
        ("http://10.0.0.1/x.pem", "not allowed"),
    ],
)
def test_certificates_come_only_from_allowed_hosts(signer: SnsSigner, url: str, reason: str) -> None:
    fetch = Fetcher(signer.pem)
    message = SnsSigner(cert_url=url).notification("x")
    with pytest.raises(MessageRejected, match=reason):
        verifier(signer, fetch).verify(message)
    assert fetch.urls == []  # nothing was fetched


def test_the_lab_simulator_on_loopback_is_allowed_over_http(signer: SnsSigner) -> None:
    local = SnsSigner(cert_url="http://127.0.0.1:12115/SimpleNotificationService-lab.pem")
    verifier(local).verify(local.notification("x"))


def test_the_certificate_is_fetched_once_and_cached(signer: SnsSigner) -> None:
    fetch = Fetcher(signer.pem)
    v = verifier(signer, fetch)
    for _ in range(3):
        v.verify(signer.notification("x"))
    assert fetch.urls == [CERT_URL]


def test_a_certificate_not_issued_to_amazonaws_is_rejected() -> None:
    impostor = SnsSigner(common_name="sns.evil.example")
    with pytest.raises(MessageRejected, match="amazonaws.com"):
        verifier(impostor).verify(impostor.notification("x"))


def test_only_the_feedback_topic_is_accepted(signer: SnsSigner) -> None:
    other = signer.notification("x", topic_arn="arn:aws:sns:us-east-1:999999999999:someone-elses-topic")
    with pytest.raises(MessageRejected, match="not from the SES feedback topic"):
        verifier(signer).verify(other)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ([], "not an SNS message"),
        ({"Type": "Surprise"}, "unknown message Type"),
        ({"Type": "Notification", "MessageId": "m"}, "missing field"),
    ],
)
def test_malformed_messages_are_rejected(signer: SnsSigner, message: Any, reason: str) -> None:
    with pytest.raises(MessageRejected, match=reason):
        verifier(signer).verify(message)


def test_a_subscribe_url_must_be_on_an_allowed_host(signer: SnsSigner) -> None:
    good = signer.confirmation("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=k")
    assert verifier(signer).verify(good).subscribe_url == good["SubscribeURL"]
    bad = signer.confirmation("https://attacker.example/?Action=ConfirmSubscription&Token=k")
    with pytest.raises(MessageRejected, match="SubscribeURL host"):
        verifier(signer).verify(bad)


def test_ses_feedback_is_read_from_the_notification(signer: SnsSigner) -> None:
    v = verifier(signer)
    bounce = feedback(v.verify(signer.notification(ses_feedback("Bounce", "ses-1", ["A@example.com"]))))
    assert (bounce.kind, bounce.message_id, bounce.recipients) == ("Bounce", "ses-1", ("A@example.com",))
    assert bounce.bounce_type == "Permanent" and bounce.suppresses
    soft = ses_feedback("Bounce", "ses-2", ["b@example.com"], bounce_type="Transient")
    assert not feedback(v.verify(signer.notification(soft))).suppresses
    complaint = feedback(v.verify(signer.notification(ses_feedback("Complaint", "ses-3", ["c@example.com"]))))
    assert complaint.suppresses and complaint.complaint_type == "abuse"
    delivery = feedback(v.verify(signer.notification(ses_feedback("Delivery", "ses-4", ["d@example.com"]))))
    assert delivery.kind == "Delivery" and not delivery.suppresses
    for document in (ses_feedback("Bounce", "ses-1", ["a@example.com"]),):
        contracts.validate("providers/ses/webhooks/notification", document)
    with pytest.raises(MalformedFeedback):
        feedback(v.verify(signer.notification(json.dumps({"hello": "world"}))))
