"""``genai-demo sim aws`` as a real process (granian worker): moto, the kernel and SNS signing together."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError

from tests.simulators.kernel.conftest import poll
from tests.simulators.kernel.receiver import Receiver

from .conftest import SENDER, make_clients, subscribe_confirmed, wait_for_type
from .sns_verify import verify

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command() -> list[str]:
    script = Path(sys.executable).with_name("genai-demo")
    if script.exists():
        return [str(script), "sim"]
    return [sys.executable, "-m", "simulators.cli"]


def _healthy(url: str) -> bool:
    try:
        return bool(requests.get(url + "/_sim/health", timeout=1).json()["provider"] == "aws")
    except (requests.RequestException, ValueError, KeyError):
        return False


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [*_command(), "aws", "--port", str(port), "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _healthy(base) or proc.poll() is not None, timeout=60, interval=0.2)
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"genai-demo sim aws exited: {out}")
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


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

    with Receiver() as receiver:
        topic = aws.sns.create_topic(Name="process")["TopicArn"]
        aws.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue="2")
        subscribe_confirmed(aws, receiver, topic)
        aws.sns.publish(TopicArn=topic, Message=json.dumps({"hello": "world"}))
        note = wait_for_type(receiver, "Notification", topic, timeout=10)
        assert note["SignatureVersion"] == "2" and verify(note, allowed_host=url.removeprefix("http://"))

    requests.post(url + "/_sim/reset", json={}, timeout=5).raise_for_status()
    assert aws.sns.list_topics()["Topics"] == []
    assert requests.get(url + "/_sim/aws/sent-emails", timeout=5).json()["data"] == []
