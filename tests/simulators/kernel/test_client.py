"""``SimClient`` (the control-API client of tests, load scenarios and users) against a real simulator, and
``simulators.running`` with the helpers of ``simulators.testing``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from flask import Blueprint, jsonify

import simulators
from simulators.kernel.client import SimClient, SimClientError
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.server import ThreadedSimulator
from simulators.testing import WebhookReceiver, eventually, poll

from .example_provider import READY_AFTER_S, WidgetsProvider

ALICE = {"Authorization": "Bearer wk_alice"}


@pytest.fixture
def simulator() -> Iterator[str]:
    """A simulator with one route (``GET /v1/things``) on the kernel, for the ``/_sim/`` client."""

    class Things(SimulatorProvider):
        name = "things"

        def blueprint(self) -> Blueprint:
            bp = Blueprint("things", __name__)
            bp.add_url_rule("/v1/things", "list_things", lambda: jsonify({"data": []}))
            return bp

    with ThreadedSimulator(Things(), config=SimulatorConfig(seed=1)) as sim:
        yield sim.url


def test_sim_control_drives_a_simulator(simulator: str) -> None:
    with SimClient(simulator) as sim:
        assert sim.health()["provider"] == "things"
        rule = sim.fault({"method": "GET", "path": "/v1/things*"}, {"type": "status", "status": 503}, times=2)
        statuses = [requests.get(f"{simulator}/v1/things", timeout=5).status_code for _ in range(3)]
        assert statuses == [503, 503, 200]
        assert sim.get_fault(rule["id"])["fired"] == 2 and len(sim.faults()) == 1
        assert [e["status"] for e in sim.journal(path="/v1/things")] == [200, 503, 503]  # newest first
        assert sim.advance(10)["offset"] == 10
        sim.clear_faults()
        sim.clear_journal()
        assert sim.faults() == [] and sim.journal() == []
        assert sim.reset(seed=3)["seed"] == 3
        with pytest.raises(SimClientError, match="404") as caught:
            sim.get_fault("flt_missing")
        assert caught.value.status == 404


def test_fault_shorthands_and_errors(simulator: str) -> None:
    with SimClient(simulator + "/_sim/") as sim:  # a control URL works as the base too
        assert sim.base_url == simulator and sim.control_url == simulator + "/_sim/"
        rule = sim.fault(method="GET", path="/v1/things", status=502, times=1, description="one 502")
        assert (rule["match"]["method"], rule["match"]["path"], rule["action"]["status"]) == (
            "GET",
            "/v1/things",
            502,
        )
        assert requests.get(f"{simulator}/v1/things", timeout=5).status_code == 502
        assert sim.journal(fault=True)[0]["fault_ids"] == [rule["id"]]
        assert sim.journal(fault=False) == []
        with pytest.raises(ValueError, match="either an action or a status"):
            sim.fault(path="/v1/things")
        with pytest.raises(SimClientError) as bad:
            sim.fault(action={"type": "teleport"})
        assert bad.value.status == 400 and bad.value.code
        sim.delete_fault(rule["id"])
        assert sim.faults() == []
        assert sim.request("GET", "nowhere").status_code == 404
        assert sim.openapi()["openapi"].startswith("3.1")


def test_webhooks_clock_and_provider_controls_through_the_client() -> None:
    with (
        simulators.running(WidgetsProvider(), seed=1, webhook_timeout_s=1.0) as sim,
        WebhookReceiver() as hooks,
    ):
        endpoint = sim.client.add_endpoint(hooks.url, account="alice", events=["widget.*"])
        assert endpoint["secret"].startswith("whsec_")
        assert [e["id"] for e in sim.client.endpoints(account="alice")] == [endpoint["id"]]
        assert sim.client.get_endpoint(endpoint["id"])["url"] == hooks.url
        widget = requests.post(sim.url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5).json()
        [created] = hooks.wait_for(1)
        assert created.json()["type"] == "widget.created" and created.headers["x-widget-signature"]
        assert [t["name"] for t in sim.client.transitions()] == ["widget.ready"]
        sim.advance(READY_AFTER_S)  # the scheduled transition runs and its event is delivered
        assert (
            hooks.wait_until(lambda r: r.json()["type"] == "widget.ready").json()["data"]["id"]
            == widget["id"]
        )
        delivery = poll(lambda: sim.deliveries(event_type="widget.ready", status="succeeded"))[0]
        assert sim.client.get_delivery(delivery["id"])["event_type"] == "widget.ready"
        sim.client.redeliver(delivery["id"])
        eventually(lambda: _assert_attempts(sim.client, delivery["id"], 2))
        sim.client.publish_event("widget.custom", {"hello": "world"}, account="alice")
        assert hooks.wait_for(4)[-1].json() == {"hello": "world"}
        assert sim.client.set_chaos(duplicate=1.0, seed=1)["duplicate"] == 1.0
        sim.client.clear_chaos()
        assert sim.client.chaos()["duplicate"] == 0
        assert sim.client.webhooks()["endpoints"] == 1
        other = requests.post(sim.url + "/v1/widgets", json={"name": "x"}, headers=ALICE, timeout=5).json()
        ready = sim.client.post(f"widgets/accounts/alice/widgets/{other['id']}/ready")
        assert ready["status"] == "ready"
        sim.client.delete_endpoint(endpoint["id"])
        assert sim.reset()["endpoints_kept"] == 0 and sim.journal() == []


def _assert_attempts(client: SimClient, delivery_id: str, count: int) -> None:
    assert len(client.get_delivery(delivery_id)["attempts"]) == count


def test_advance_raises_when_the_simulator_does_not_settle() -> None:
    with simulators.running(WidgetsProvider(), seed=1, clock_wait_max_s=0.2, webhook_timeout_s=2.0) as sim:
        with WebhookReceiver() as slow:
            slow.delay = 1.0
            sim.client.add_endpoint(slow.url, account="alice")
            requests.post(sim.url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5)
            with pytest.raises(TimeoutError, match="still busy"):
                sim.advance(1)


def test_the_receiver_verifies_and_answers_scripted_statuses() -> None:
    with WebhookReceiver(verify=lambda req: req.headers.get("X-Sig") == "ok") as hooks:
        hooks.script.extend([500])
        first = requests.post(hooks.url_for("/a", "x=1"), data={"k": "v"}, headers={"X-Sig": "ok"}, timeout=5)
        forged = requests.post(hooks.url, data=b"{}", headers={"X-Sig": "no"}, timeout=5)
        ok = requests.post(hooks.url, json={"n": 1}, headers={"X-Sig": "ok"}, timeout=5)
        assert (first.status_code, forged.status_code, ok.status_code) == (500, 403, 200)
        a, b, c = hooks.received
        assert (a.path, a.url.endswith("/a?x=1"), a.form, a.valid) == ("/a", True, {"k": "v"}, True)
        assert (b.valid, b.status, c.json(), json.loads(c.body)) == (False, 403, {"n": 1}, {"n": 1})
    with WebhookReceiver() as idle, pytest.raises(AssertionError, match="expected 1"):
        idle.wait_for(1, timeout=0.05)
