"""``genai-demo sim twilio`` as a real process: credentials from the environment, SDK, signed callbacks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from tests.simulators.kernel.conftest import poll

from .conftest import CallbackReceiver

ROOT = Path(__file__).resolve().parents[3]
SID = "AC" + "5" * 32
TOKEN = "process-token"
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        return bool(requests.get(url + "/_sim/health", timeout=1).json()["provider"] == "twilio")
    except (requests.RequestException, ValueError, KeyError):
        return False


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = _free_port()
    script = Path(sys.executable).with_name("genai-demo")
    command = [str(script), "sim"] if script.exists() else [sys.executable, "-m", "simulators.cli"]
    env = {**os.environ, "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [*command, "twilio", "--port", str(port), "--seed", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _healthy(base) or proc.poll() is not None, timeout=60, interval=0.2)
        if proc.poll() is not None:
            raise AssertionError(f"genai-demo sim twilio exited: {proc.stdout.read() if proc.stdout else ''}")
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def test_sdk_and_signed_callbacks_against_the_process(url: str) -> None:
    client = Client(SID, TOKEN)
    client.api.base_url = url
    with CallbackReceiver(TOKEN) as receiver:
        msg = client.messages.create(
            to="+15005553003", from_="+15005550006", body="hi", status_callback=receiver.url()
        )
        requests.post(url + "/_sim/clock", json={"advance": 10, "wait": True}, timeout=30).raise_for_status()
        last = receiver.wait_for(msg.sid, "undelivered")
        assert last.valid and last.form["ErrorCode"] == "30003"
    assert client.messages(msg.sid).fetch().status == "undelivered"
    lab_default = Client("AC00000000000000000000000000000000", "genai-demo-twilio-token")
    lab_default.api.base_url = url
    with pytest.raises(TwilioRestException) as err:
        lab_default.messages.create(to="+14155550100", from_="+15005550006", body="x")
    assert err.value.code == 20003
