"""The example provider as a real ``genai-demo sim module:Class`` process under granian."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from simulators.testing import WebhookReceiver, poll
from tests.support import LiveProcess, run_simulator

from .conftest import ALICE

PLUGIN = "tests.simulators.kernel.example_provider:WidgetsProvider"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProcess]:
    """The example provider as a process (``genai-demo sim module:Class``), under granian."""
    with run_simulator(
        PLUGIN, tmp_path_factory.mktemp("sim-widgets"), "--seed", "1", "--time-scale", "1000"
    ) as live:
        yield live


def _healthy(url: str) -> bool:
    try:
        return bool(requests.get(url + "/_sim/health", timeout=1).json()["status"] == "UP")
    except requests.RequestException:
        return False


def test_serves_the_provider_and_the_control_api(process: LiveProcess) -> None:
    url = process.url
    health = requests.get(url + "/_sim/health", timeout=5).json()
    assert health["provider"] == "widgets" and health["seed"] == 1 and health["config"]["time_scale"] == 1000
    assert requests.post(url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5).status_code == 201
    assert requests.get(url + "/_sim/journal?method=POST", timeout=5).json()["data"][0]["status"] == 201


def test_every_fault_action_under_granian(process: LiveProcess) -> None:
    url = process.url
    ctl = url + "/_sim/faults"
    requests.post(ctl, json={"action": {"type": "status", "status": 503}, "times": 1}, timeout=5)
    assert requests.get(url + "/v1/widgets", headers=ALICE, timeout=5).status_code == 503
    requests.post(ctl, json={"action": {"type": "rate_limit", "retry_after": 3}, "times": 1}, timeout=5)
    resp = requests.get(url + "/v1/widgets", headers=ALICE, timeout=5)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "3"
    requests.post(ctl, json={"action": {"type": "reset"}, "times": 1}, timeout=5)
    session = requests.Session()
    with pytest.raises(requests.ConnectionError):
        session.get(url + "/v1/widgets", headers=ALICE, timeout=5)
    assert session.get(url + "/v1/widgets", headers=ALICE, timeout=5).status_code == 200
    requests.post(ctl, json={"action": {"type": "malformed"}, "times": 1}, timeout=5)
    resp = requests.get(url + "/v1/widgets", headers=ALICE, timeout=5)
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        json.loads(resp.content)
    requests.post(ctl, json={"action": {"type": "hang"}, "times": 1}, timeout=5)
    with pytest.raises(requests.ReadTimeout):
        requests.get(url + "/v1/widgets", headers=ALICE, timeout=0.3)
    requests.post(ctl, json={"action": {"type": "latency", "ms": 200}, "times": 1}, timeout=5)
    start = time.monotonic()
    assert requests.get(url + "/v1/widgets", headers=ALICE, timeout=5).status_code == 200
    assert time.monotonic() - start >= 0.2
    fired = [r["fired"] for r in requests.get(ctl, timeout=5).json()["data"]]
    assert fired == [1, 1, 1, 1, 1, 1]


def test_signed_webhooks_with_retries_from_the_process(process: LiveProcess) -> None:
    url = process.url
    with WebhookReceiver() as rx:
        rx.script.extend([500, 500])
        requests.post(url + "/_sim/webhooks/endpoints", json={"url": rx.url, "account": "bob"}, timeout=5)
        requests.post(
            url + "/v1/widgets", json={"name": "w"}, headers={"Authorization": "Bearer wk_bob"}, timeout=5
        )
        got = rx.wait_for(3, timeout=10)
        assert len({r.body for r in got}) == 1 and "X-Widget-Signature" in got[0].headers


def test_sigterm_stops_promptly_even_with_a_hanging_request(
    process: LiveProcess,
) -> None:
    url, proc = process.url, process.proc
    requests.post(url + "/_sim/faults", json={"action": {"type": "hang"}}, timeout=5)
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(url + "/v1/widgets", headers=ALICE, timeout=60)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    poll(lambda: requests.get(url + "/_sim/faults", timeout=5).json()["data"][-1]["fired"] >= 1)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    caller.join(10)
    assert time.monotonic() - start < 4
    assert errors and isinstance(errors[0], requests.ConnectionError)
    output = process.output()
    assert f"widgets simulator: {url}" in output and f"{url}/_sim/" in output
