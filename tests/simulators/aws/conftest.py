"""Fixtures for the AWS simulator: one simulator per test (moto reset first), boto3 clients, a receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from simulators.aws.provider import AwsProvider
from simulators.kernel import SimulatorConfig, ThreadedSimulator
from tests.simulators.kernel.conftest import poll
from tests.simulators.kernel.receiver import Received, Receiver

from .sns_verify import verify_with_certificate

ACCESS_KEY = "AKIDLABTEST"
REGION = "us-east-1"
SENDER = "no-reply@genai-demo.example"


@dataclass
class Clients:
    """boto3 clients pointed at the simulator, one attempt per call. botocore's ``max_attempts`` counts
    *retries* (``{"max_attempts": 1}`` still retries once); ``total_max_attempts`` counts every attempt."""

    ses: Any
    sns: Any
    s3: Any


def make_clients(url: str, **config: Any) -> Clients:
    cfg = Config(retries={"total_max_attempts": 1, "mode": "standard"}, **config)
    kwargs: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": REGION,
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": "secret",
        "config": cfg,
    }
    return Clients(boto3.client("ses", **kwargs), boto3.client("sns", **kwargs), boto3.client("s3", **kwargs))


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    """The AWS simulator on a free port; moto's process-wide state is reset first."""
    with ThreadedSimulator(AwsProvider(), config=SimulatorConfig(seed=7, webhook_timeout_s=2.0)) as running:
        running.runtime.reset()
        yield running


@pytest.fixture
def aws(sim: ThreadedSimulator) -> Clients:
    return make_clients(sim.url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def messages(received: list[Received]) -> list[dict[str, Any]]:
    """The JSON bodies a receiver got."""
    return [json.loads(r.body) for r in received]


def wait_for_type(
    receiver: Receiver, message_type: str, topic_arn: str | None = None, timeout: float = 5.0
) -> dict[str, Any]:
    """The first message of ``message_type`` (``Notification``, ``SubscriptionConfirmation``...),
    of ``topic_arn`` if given."""

    def find() -> dict[str, Any] | None:
        for r in list(receiver.received):
            if r.headers.get("X-Amz-Sns-Message-Type") != message_type:
                continue
            body: dict[str, Any] = json.loads(r.body)
            if topic_arn is None or body.get("TopicArn") == topic_arn:
                return body
        return None

    found: dict[str, Any] = poll(find, timeout=timeout)
    return found


def subscribe_confirmed(aws: Clients, receiver: Receiver, topic_arn: str) -> str:
    """Subscribe the receiver over HTTP, check the confirmation's signature and confirm through the
    SubscribeURL; returns the subscription ARN."""
    aws.sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=receiver.url)
    confirmation = wait_for_type(receiver, "SubscriptionConfirmation", topic_arn)
    pem = requests.get(confirmation["SigningCertURL"], timeout=5).content
    assert verify_with_certificate(confirmation, pem)
    resp = requests.get(confirmation["SubscribeURL"], timeout=5)
    assert resp.status_code == 200, resp.text
    arn = resp.text.split("<SubscriptionArn>")[1].split("</SubscriptionArn>")[0]
    return arn


def control(sim: ThreadedSimulator, path: str, **params: str) -> Any:
    resp = requests.get(sim.control_url + path, params=params, timeout=5)
    resp.raise_for_status()
    return resp.json()
