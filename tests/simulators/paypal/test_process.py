"""``genai-demo sim paypal`` as a real process under granian: the checkout and a verified webhook."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
import requests

from simulators.testing import WebhookReceiver
from tests.support import run_simulator

from .support import PayPalClient, verified

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    env = {"PAYPAL_CLIENT_ID": "proc-client", "PAYPAL_CLIENT_SECRET": "proc-secret"}
    tmp = tmp_path_factory.mktemp("sim-paypal")
    with run_simulator("paypal", tmp, "--seed", "3", "--time-scale", "3600", env=env) as live:
        yield live.url, live.proc


def test_checkout_and_signed_webhook_from_the_process(process: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = process
    health = requests.get(url + "/_sim/health", timeout=5).json()
    assert health["provider"] == "paypal" and health["paypal"]["apps"] == ["proc-client"]
    pp = PayPalClient(url, "proc-client", "proc-secret")
    with WebhookReceiver() as rx:
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


def test_sigterm_stops_the_process(process: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, proc = process
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(20) is not None
