"""Fixtures for the Twilio simulator: the simulator (the lab plugin's ``twilio_sim``), the official SDK
pointed at it, and a status-callback receiver that validates ``X-Twilio-Signature`` the way an application
does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.wrappers import Request

from simulators.testing import Received, RunningSimulator, WebhookReceiver

ACCOUNT = "AC00000000000000000000000000000000"
TOKEN = "genai-demo-twilio-token"
FROM = "+15005550006"


def twilio_receiver(token: str = TOKEN) -> WebhookReceiver:
    """A receiver that checks each callback with ``RequestValidator(token)`` over the full request URL and
    form (403 when it does not verify, like a real application); ``Received.valid`` records the verdict."""
    validator = RequestValidator(token)

    def verify(req: Request) -> bool:
        signature = req.headers.get("X-Twilio-Signature")
        return bool(signature) and validator.validate(req.url, req.form, signature or "")

    return WebhookReceiver(verify=verify, path="/twilio/status")


def statuses(receiver: WebhookReceiver, sid: str) -> list[str]:
    """The ``MessageStatus`` of every callback about message ``sid``, in arrival order."""
    return [c.form["MessageStatus"] for c in receiver.received if c.form.get("MessageSid") == sid]


def wait_for_status(receiver: WebhookReceiver, sid: str, status: str, timeout: float = 5.0) -> Received:
    """The callback reporting ``status`` for message ``sid`` (waits for it)."""
    return receiver.wait_until(
        lambda c: c.form.get("MessageSid") == sid and c.form.get("MessageStatus") == status,
        timeout,
        what=f"{status!r} callback for {sid}",
    )


@pytest.fixture
def sim(twilio_sim: RunningSimulator) -> RunningSimulator:
    """The Twilio simulator (one per session, reset before each test)."""
    return twilio_sim


@pytest.fixture
def client(sim: RunningSimulator) -> Client:
    """The official SDK; only the base URL changes."""
    twilio = Client(ACCOUNT, TOKEN)
    twilio.api.base_url = sim.url
    return twilio


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with twilio_receiver() as r:
        yield r


def api(sim: RunningSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A raw request to the Messages API with the lab account's Basic auth."""
    kwargs.setdefault("auth", (ACCOUNT, TOKEN))
    return requests.request(method, f"{sim.url}/2010-04-01/Accounts/{ACCOUNT}{path}", timeout=5, **kwargs)
