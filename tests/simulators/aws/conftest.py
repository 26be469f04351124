"""Fixtures for the AWS simulator: the simulator (reset before each test, moto included) and boto3 clients."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from simulators.testing import Received, RunningSimulator, WebhookReceiver, poll

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
def sim(aws_sim: RunningSimulator) -> RunningSimulator:
    """The AWS simulator (the lab plugin's: one per session, moto and the kernel reset before each test)."""
    return aws_sim


@pytest.fixture
def aws(sim: RunningSimulator) -> Clients:
    return make_clients(sim.url)


def messages(received: list[Received]) -> list[dict[str, Any]]:
    """The JSON bodies a receiver got."""
    return [json.loads(r.body) for r in received]


def wait_for_type(
    receiver: WebhookReceiver, message_type: str, topic_arn: str | None = None, timeout: float = 5.0
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


def subscribe_confirmed(aws: Clients, receiver: WebhookReceiver, topic_arn: str) -> str:
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
