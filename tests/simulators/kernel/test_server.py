"""ThreadedSimulator over real sockets: lifecycle, no leftover threads, connection resets and hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import requests

from simulators.kernel import SimulatorConfig, ThreadedSimulator

from .conftest import ALICE
from .example_provider import WidgetsProvider

Make = Callable[..., ThreadedSimulator]


def add_fault(sim: ThreadedSimulator, rule: dict[str, object]) -> str:
    resp = requests.post(sim.control_url + "faults", json=rule, timeout=5)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_start_serve_stop_leaves_no_threads() -> None:
    before = set(threading.enumerate())
    sim = ThreadedSimulator(WidgetsProvider(), config=SimulatorConfig(seed=1))
    with sim:
        assert sim.url.startswith("http://127.0.0.1:") and sim.control_url == sim.url + "/_sim/"
        session = requests.Session()  # keeps a keep-alive connection open across stop()
        assert session.get(sim.control_url + "health", timeout=5).json()["status"] == "UP"
        assert (
            session.post(sim.url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5).status_code
            == 201
        )
        requests.post(sim.control_url + "webhooks/endpoints", json={"url": "http://127.0.0.1:9/x"}, timeout=5)
        requests.post(sim.control_url + "webhooks/events", json={"event_type": "x"}, timeout=5)
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftover == []
    session.close()
    with pytest.raises(RuntimeError):
        _ = sim.url


def test_reset_fault_is_a_connection_error_for_requests(sim: ThreadedSimulator) -> None:
    rule = add_fault(sim, {"match": {"path": "/v1/widgets"}, "action": {"type": "reset"}, "times": 1})
    with pytest.raises(requests.ConnectionError):
        requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=5)
    assert requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=5).status_code == 200
    assert requests.get(sim.control_url + f"faults/{rule}", timeout=5).json()["fired"] == 1
    entry = requests.get(sim.control_url + "journal?status=reset", timeout=5).json()["data"][0]
    assert entry["fault_action"] == "reset" and entry["status"] is None


def test_reset_after_processing_changes_state_but_loses_the_response(sim: ThreadedSimulator) -> None:
    add_fault(
        sim, {"match": {"method": "POST"}, "action": {"type": "reset", "after_processing": True}, "times": 1}
    )
    with pytest.raises(requests.ConnectionError):
        requests.post(sim.url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5)
    assert len(requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=5).json()["data"]) == 1


def test_hang_holds_until_the_client_times_out_and_does_not_block_others(sim: ThreadedSimulator) -> None:
    add_fault(sim, {"match": {"path": "/v1/widgets/*"}, "action": {"type": "hang"}})
    start = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        requests.get(sim.url + "/v1/widgets/wgt_1", headers=ALICE, timeout=0.3)
    assert time.monotonic() - start >= 0.3
    assert requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=5).status_code == 200


def test_hang_is_bounded_by_hang_max_then_the_connection_drops(make_sim: Make) -> None:
    sim = make_sim(hang_max_s=0.2)
    add_fault(sim, {"action": {"type": "hang", "seconds": 60}})
    start = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=5)
    assert 0.2 <= time.monotonic() - start < 3


def test_stop_releases_hanging_requests_promptly() -> None:
    sim = ThreadedSimulator(WidgetsProvider(), config=SimulatorConfig(seed=1, hang_max_s=60)).start()
    add_fault(sim, {"action": {"type": "hang"}})
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(sim.url + "/v1/widgets", headers=ALICE, timeout=30)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while not requests.get(sim.control_url + "faults", timeout=5).json()["data"][0]["fired"]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    start = time.monotonic()
    sim.stop()
    caller.join(5)
    assert time.monotonic() - start < 3
    assert errors and isinstance(errors[0], requests.ConnectionError)
