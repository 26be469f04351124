"""Fixtures shared by the simulator tests: ``receiver`` is the lab plugin's ``webhook_receiver`` (answers 200
unless scripted; see ``simulators.testing.WebhookReceiver``). Twilio's tests override it with one that checks
signatures."""

from __future__ import annotations

import pytest

from simulators.testing import WebhookReceiver


@pytest.fixture
def receiver(webhook_receiver: WebhookReceiver) -> WebhookReceiver:
    return webhook_receiver
