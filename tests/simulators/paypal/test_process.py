"""``genai-demo sim paypal`` as a real process under granian: the checkout and a verified webhook."""

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

from tests.simulators.kernel.conftest import poll
from tests.simulators.kernel.receiver import Receiver

from .support import PayPalClient, verified

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        return bool(requests.get(url + "/_sim/health", timeout=1).json()["status"] == "UP")
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def process() -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    script = Path(sys.executable).with_name("genai-demo")
    head = [str(script), "sim"] if script.exists() else [sys.executable, "-m", "simulators.cli"]
    env = {**os.environ, "PAYPAL_CLIENT_ID": "proc-client", "PAYPAL_CLIENT_SECRET": "proc-secret"}
    proc = subprocess.Popen(
        [*head, "paypal", "--port", str(port), "--seed", "3", "--time-scale", "3600"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: _healthy(url), timeout=30, interval=0.1)
        yield url, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_checkout_and_signed_webhook_from_the_process(process: tuple[str, subprocess.Popen[str]]) -> None:
    url, _ = process
    health = requests.get(url + "/_sim/health", timeout=5).json()
    assert health["provider"] == "paypal" and health["paypal"]["apps"] == ["proc-client"]
    pp = PayPalClient(url, "proc-client", "proc-secret")
    with Receiver() as rx:
        rx.script.append(500)  # the first attempt fails; the retry comes 60 s / 3600 later
        hook = pp.register_webhook(rx.url, ("PAYMENT.CAPTURE.COMPLETED",))
        order = pp.create()
        approve = next(link["href"] for link in order["links"] if link["rel"] == "approve")
        assert requests.get(approve, timeout=10).status_code == 200
        capture = pp.capture(order["id"]).json()["purchase_units"][0]["payments"]["captures"][0]
        got = rx.wait_for(2, timeout=15)
        event = verified(pp, got[1], hook)
        assert event["resource"]["id"] == capture["id"] and got[0].body == got[1].body
    fault = {"action": {"type": "status", "status": 503}, "times": 1}
    assert requests.post(url + "/_sim/faults", json=fault, timeout=5).status_code == 201
    down = pp.session.get(f"{url}/v2/checkout/orders/{order['id']}", timeout=5)
    assert down.status_code == 503 and down.json()["debug_id"] == down.headers["Paypal-Debug-Id"]


def test_sigterm_stops_the_process(process: tuple[str, subprocess.Popen[str]]) -> None:
    _, proc = process
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(20) is not None
