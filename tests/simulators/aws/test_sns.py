"""SNS on the AWS simulator: SMS publishes, and HTTP subscriptions signed and confirmed like AWS."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from simulators.testing import RunningSimulator, WebhookReceiver, poll

from .conftest import Clients, subscribe_confirmed, wait_for_type
from .sns_verify import canonical, verify, verify_with_certificate


def _host(sim: RunningSimulator) -> str:
    return sim.url.removeprefix("http://")


# -- SMS -------------------------------------------------------------------------------------------------
def test_sms_publish_keeps_the_message_attributes(sim: RunningSimulator, aws: Clients) -> None:
    resp = aws.sns.publish(
        PhoneNumber="+14155550100",
        Message="Your order shipped",
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "GENAIDEMO"},
        },
    )
    [sms] = sim.client.get("aws/sms")["data"]
    assert sms["message_id"] == resp["MessageId"]
    assert sms["phone_number"] == "+14155550100" and sms["message"] == "Your order shipped"
    assert sms["sms_type"] == "Transactional" and sms["sender_id"] == "GENAIDEMO"
    assert sms["status"] == "accepted" and sms["access_key"] == "AKIDLABTEST"


def test_an_invalid_phone_number_is_invalid_parameter(aws: Clients) -> None:
    with pytest.raises(ClientError) as err:
        aws.sns.publish(PhoneNumber="0123-not-e164", Message="x")
    assert err.value.response["Error"]["Code"] == "InvalidParameter"
    assert "E164" in err.value.response["Error"]["Message"]


def test_opting_a_number_out_through_the_control_api(sim: RunningSimulator, aws: Clients) -> None:
    number = "+14155550111"
    assert aws.sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False
    resp = requests.post(sim.control_url + "aws/sms/opt-out", json={"number": number}, timeout=5)
    assert resp.status_code == 201
    assert aws.sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is True
    assert number in aws.sns.list_phone_numbers_opted_out()["phoneNumbers"]
    aws.sns.publish(PhoneNumber=number, Message="dropped")  # SNS accepts it and does not deliver
    assert sim.client.get("aws/sms", phone_number=number)["data"][0]["status"] == "opted_out"
    aws.sns.opt_in_phone_number(phoneNumber=number)
    assert aws.sns.check_if_phone_number_is_opted_out(phoneNumber=number)["isOptedOut"] is False


# -- HTTP subscriptions ----------------------------------------------------------------------------------
def test_a_new_http_subscription_is_pending_until_confirmed(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    topic = aws.sns.create_topic(Name="orders")["TopicArn"]
    resp = aws.sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=receiver.url)
    assert resp["SubscriptionArn"] == "pending confirmation"
    confirmation = wait_for_type(receiver, "SubscriptionConfirmation")
    assert confirmation["TopicArn"] == topic and confirmation["Token"]
    assert confirmation["SignatureVersion"] == "1"
    assert verify(confirmation, allowed_host=_host(sim))
    [sub] = sim.client.get("aws/sns/subscriptions")["data"]
    assert sub["pending"] is True and sub["subscribe_url"] == confirmation["SubscribeURL"]
    attrs = aws.sns.get_subscription_attributes(SubscriptionArn=sub["subscription_arn"])["Attributes"]
    assert attrs["PendingConfirmation"] == "true"

    aws.sns.publish(TopicArn=topic, Message="before confirmation")  # not delivered: pending
    resp2 = requests.get(confirmation["SubscribeURL"], timeout=5)
    assert resp2.status_code == 200 and sub["subscription_arn"] in resp2.text
    attrs = aws.sns.get_subscription_attributes(SubscriptionArn=sub["subscription_arn"])["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert aws.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"

    aws.sns.publish(TopicArn=topic, Message="after confirmation")
    note = wait_for_type(receiver, "Notification")
    assert note["Message"] == "after confirmation"
    assert [m for m in receiver.received if b"before confirmation" in m.body] == []


@pytest.mark.parametrize("version", ["1", "2"])
def test_notifications_are_signed_with_the_topic_signature_version(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver, version: str
) -> None:
    topic = aws.sns.create_topic(Name=f"signed-v{version}")["TopicArn"]
    if version == "2":
        aws.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
    sub_arn = subscribe_confirmed(aws, receiver, topic)
    aws.sns.publish(
        TopicArn=topic,
        Message='{"order": 42}',
        Subject="Order update",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "shipped"}},
    )
    note = wait_for_type(receiver, "Notification")
    raw = next(r for r in receiver.received if r.headers.get("X-Amz-Sns-Message-Type") == "Notification")
    assert raw.headers["X-Amz-Sns-Subscription-Arn"] == sub_arn
    assert raw.headers["X-Amz-Sns-Topic-Arn"] == topic
    assert raw.headers["User-Agent"] == "Amazon Simple Notification Service Agent"
    assert raw.headers["Content-Type"].startswith("text/plain")
    assert note["SignatureVersion"] == version and note["Subject"] == "Order update"
    assert note["MessageAttributes"] == {"kind": {"Type": "String", "Value": "shipped"}}
    assert note["UnsubscribeURL"].startswith(sim.url + "/?Action=Unsubscribe")

    # verified independently: fetch the served certificate and check with `cryptography`
    pem = requests.get(note["SigningCertURL"], timeout=5).content
    assert verify_with_certificate(note, pem)
    assert verify(note, allowed_host=_host(sim))
    forged = {**note, "Message": '{"order": 43}'}
    assert not verify_with_certificate(forged, pem)
    wrong_version = {**note, "SignatureVersion": "2" if version == "1" else "1"}
    assert not verify_with_certificate(wrong_version, pem)
    assert not verify(note, allowed_host="sns.us-east-1.amazonaws.com")
    assert canonical(note).startswith(b"Message\n")


def test_confirm_subscription_api_checks_the_token(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    topic = aws.sns.create_topic(Name="tokens")["TopicArn"]
    aws.sns.subscribe(TopicArn=topic, Protocol="https", Endpoint=receiver.url.replace("http://", "https://"))
    with pytest.raises(ClientError) as err:
        aws.sns.confirm_subscription(TopicArn=topic, Token="not-the-token")
    assert err.value.response["Error"]["Code"] == "InvalidParameter"
    [sub] = sim.client.get("aws/sns/subscriptions")["data"]
    token = sub["subscribe_url"].rpartition("Token=")[2]
    arn = aws.sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    assert arn == sub["subscription_arn"]
    attrs = aws.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["PendingConfirmation"] == "false" and attrs["ConfirmationWasAuthenticated"] == "true"


def test_raw_message_delivery_posts_the_bare_message(aws: Clients, receiver: WebhookReceiver) -> None:
    topic = aws.sns.create_topic(Name="raw")["TopicArn"]
    arn = subscribe_confirmed(aws, receiver, topic)
    aws.sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    aws.sns.publish(TopicArn=topic, Message="just the text")
    found = poll(lambda: [r for r in receiver.received if r.body == b"just the text"])
    assert found[0].headers["X-Amz-Sns-Rawdelivery"] == "true"


def test_unsubscribing_sends_an_unsubscribe_confirmation(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    topic = aws.sns.create_topic(Name="leaving")["TopicArn"]
    subscribe_confirmed(aws, receiver, topic)
    aws.sns.publish(TopicArn=topic, Message="hello")
    note = wait_for_type(receiver, "Notification")
    assert requests.get(note["UnsubscribeURL"], timeout=5).status_code == 200
    goodbye = wait_for_type(receiver, "UnsubscribeConfirmation")
    assert goodbye["TopicArn"] == topic and verify(goodbye, allowed_host=_host(sim))
    assert aws.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []


def test_failed_deliveries_are_retried_on_the_sns_policy(
    sim: RunningSimulator, aws: Clients, receiver: WebhookReceiver
) -> None:
    topic = aws.sns.create_topic(Name="flaky")["TopicArn"]
    subscribe_confirmed(aws, receiver, topic)
    receiver.script.extend([500, 503])
    aws.sns.publish(TopicArn=topic, Message="eventually")
    poll(lambda: sim.deliveries(event_type="Notification"))
    requests.post(sim.control_url + "clock", json={"advance": 45, "wait": True}, timeout=10)
    [delivery] = poll(lambda: sim.deliveries(event_type="Notification", status="succeeded"))
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 200]
    bodies = [json.loads(r.body) for r in receiver.received if b'"Notification"' in r.body]
    assert len({b["MessageId"] for b in bodies}) == 1 and len(bodies) == 3
