"""``genai-demo sim aws`` as a real process (granian worker): moto, the kernel and SNS signing together."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError

from simulators.testing import WebhookReceiver
from tests.support import run_simulator

from .conftest import SENDER, make_clients, subscribe_confirmed, wait_for_type
from .sns_verify import verify

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with run_simulator("aws", tmp_path_factory.mktemp("sim-aws"), "--seed", "1") as live:
        yield live.url


def test_ses_sns_and_faults_in_the_granian_process(url: str) -> None:
    requests.post(url + "/_sim/reset", json={}, timeout=5).raise_for_status()
    aws = make_clients(url)
    aws.ses.verify_email_identity(EmailAddress=SENDER)
    message_id = aws.ses.send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["ada@example.com"]},
        Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "t"}, "Html": {"Data": "<p>h</p>"}}},
    )["MessageId"]
    [mail] = requests.get(url + "/_sim/aws/sent-emails", timeout=5).json()["data"]
    assert mail["id"] == message_id and mail["text"] == "t" and mail["html"] == "<p>h</p>"

    rule = {"match": {"operation": "Publish"}, "action": {"type": "status", "status": 503}, "times": 1}
    requests.post(url + "/_sim/faults", json=rule, timeout=5).raise_for_status()
    with pytest.raises(ClientError) as err:
        aws.sns.publish(PhoneNumber="+14155550100", Message="x")
    assert err.value.response["Error"]["Code"] == "ServiceUnavailable"

    with WebhookReceiver() as receiver:
        topic = aws.sns.create_topic(Name="process")["TopicArn"]
        aws.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        subscribe_confirmed(aws, receiver, topic)
        aws.sns.publish(TopicArn=topic, Message=json.dumps({"hello": "world"}))
        note = wait_for_type(receiver, "Notification", topic, timeout=10)
        assert note["SignatureVersion"] == "2" and verify(note, allowed_host=url.removeprefix("http://"))

    requests.post(url + "/_sim/reset", json={}, timeout=5).raise_for_status()
    assert aws.sns.list_topics()["Topics"] == []
    assert requests.get(url + "/_sim/aws/sent-emails", timeout=5).json()["data"] == []
