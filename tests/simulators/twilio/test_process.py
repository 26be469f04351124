"""``genai-demo sim twilio`` as a real process: credentials from the environment, SDK, signed callbacks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from simulators.kernel.client import SimClient
from tests.support import run_simulator

from .conftest import twilio_receiver, wait_for_status

SID = "AC" + "5" * 32
TOKEN = "process-token"
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    with run_simulator("twilio", tmp_path_factory.mktemp("sim-twilio"), "--seed", "1", env=env) as live:
        yield live.url


def test_sdk_and_signed_callbacks_against_the_process(url: str) -> None:
    client = Client(SID, TOKEN)
    client.api.base_url = url
    with twilio_receiver(TOKEN) as receiver:
        msg = client.messages.create(
            to="+15005553003", from_="+15005550006", body="hi", status_callback=receiver.url
        )
        with SimClient(url) as control:
            control.advance(10)
        last = wait_for_status(receiver, msg.sid, "undelivered")
        assert last.valid and last.form["ErrorCode"] == "30003"
    assert client.messages(msg.sid).fetch().status == "undelivered"
    lab_default = Client("AC00000000000000000000000000000000", "genai-demo-twilio-token")
    lab_default.api.base_url = url
    with pytest.raises(TwilioRestException) as err:
        lab_default.messages.create(to="+14155550100", from_="+15005550006", body="x")
    assert err.value.code == 20003
