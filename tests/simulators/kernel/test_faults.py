"""Fault rules: every action, every trigger mode, fired counts, validation, and the control API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from werkzeug.test import Client

from simulators.kernel import SimulatorApp

from .conftest import ALICE, BOB


def add_fault(client: Client, rule: dict[str, Any]) -> dict[str, Any]:
    resp = client.post("/_sim/faults", json=rule)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    data: dict[str, Any] = resp.get_json()
    assert data["fired"] == 0 and data["id"].startswith("flt_")
    return data


def fired(client: Client, rule_id: str) -> int:
    count: int = client.get(f"/_sim/faults/{rule_id}").get_json()["fired"]
    return count


def test_status_fault_without_body_uses_the_providers_error_body_for_next_n_calls(client: Client) -> None:
    rule = add_fault(
        client,
        {
            "match": {"method": "GET", "path": "/v1/widgets*"},
            "action": {"type": "status", "status": 503},
            "times": 2,
        },
    )
    statuses = [client.get("/v1/widgets", headers=ALICE).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    resp = client.get("/v1/widgets", headers=ALICE)
    assert resp.status_code == 200
    assert fired(client, rule["id"]) == 2
    listed = client.get("/_sim/faults").get_json()["data"]
    assert listed[0]["remaining"] == 0 and listed[0]["active"] is False


def test_status_fault_body_is_the_provider_shape(client: Client) -> None:
    add_fault(client, {"action": {"type": "status", "status": 500}})
    resp = client.get("/v1/widgets", headers=ALICE)
    assert resp.status_code == 500
    assert resp.get_json() == {"error": {"type": "api_error", "message": "status 500", "status": 500}}
    assert resp.headers["Request-Id"].startswith("req_")


def test_status_fault_with_body_headers_and_content_type(client: Client) -> None:
    add_fault(
        client,
        {"action": {"type": "status", "status": 402, "body": {"custom": True}, "headers": {"X-Why": "test"}}},
    )
    resp = client.post("/v1/widgets", json={"name": "w"}, headers=ALICE)
    assert resp.status_code == 402 and resp.get_json() == {"custom": True}
    assert resp.headers["X-Why"] == "test"
    client.delete("/_sim/faults")
    add_fault(
        client,
        {
            "action": {
                "type": "status",
                "status": 502,
                "body": "<html>bad gateway</html>",
                "content_type": "text/html",
            }
        },
    )
    resp = client.get("/v1/widgets", headers=ALICE)
    assert resp.status_code == 502 and resp.headers["Content-Type"] == "text/html"
    assert resp.get_data() == b"<html>bad gateway</html>"


def test_rate_limit_fault_has_retry_after_and_provider_429_body(client: Client) -> None:
    add_fault(client, {"action": {"type": "rate_limit", "retry_after": 7}, "times": 1})
    resp = client.get("/v1/widgets", headers=ALICE)
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert resp.get_json()["error"]["type"] == "rate_limit_error"
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200


def test_latency_fault_delays_then_passes_through(client: Client) -> None:
    add_fault(client, {"match": {"path": "/v1/widgets"}, "action": {"type": "latency", "ms": 150}})
    start = time.perf_counter()
    resp = client.get("/v1/widgets", headers=ALICE)
    assert time.perf_counter() - start >= 0.15
    assert resp.status_code == 200


def test_latency_combines_with_a_terminal_rule(client: Client) -> None:
    slow = add_fault(client, {"action": {"type": "latency", "ms": 50}})
    fail = add_fault(client, {"action": {"type": "status", "status": 503}, "times": 1})
    start = time.perf_counter()
    assert client.get("/v1/widgets", headers=ALICE).status_code == 503
    assert time.perf_counter() - start >= 0.05
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200
    assert fired(client, slow["id"]) == 2 and fired(client, fail["id"]) == 1
    entry = client.get("/_sim/journal?limit=2").get_json()["data"][1]
    assert entry["fault_ids"] == [slow["id"], fail["id"]] and entry["fault_action"] == "status"


def test_malformed_fault_keeps_the_status_and_breaks_the_body(client: Client) -> None:
    add_fault(client, {"match": {"method": "POST"}, "action": {"type": "malformed"}, "times": 1})
    resp = client.post("/v1/widgets", json={"name": "w"}, headers=ALICE)
    assert resp.status_code == 201
    body = resp.get_data()
    assert int(resp.headers["Content-Length"]) == len(body) > 0
    with pytest.raises(ValueError):
        json.loads(body)
    # the request was processed: the widget exists
    assert len(client.get("/v1/widgets", headers=ALICE).get_json()["data"]) == 1


def test_probability_with_seed_is_reproducible(app: SimulatorApp, client: Client) -> None:
    def run() -> list[int]:
        client.delete("/_sim/faults")
        rule = add_fault(client, {"action": {"type": "status", "status": 500}, "probability": 0.3, "seed": 7})
        pattern = [client.get("/v1/widgets", headers=ALICE).status_code for _ in range(40)]
        assert fired(client, rule["id"]) == pattern.count(500)
        return pattern

    first, second = run(), run()
    assert first == second
    assert 0 < first.count(500) < 40


def test_probability_without_seed_follows_the_simulator_seed(client: Client) -> None:
    rule = add_fault(client, {"action": {"type": "status", "status": 500}, "probability": 0.5})
    assert isinstance(rule["effective_seed"], int)


def test_window_fires_only_between_start_and_end_on_the_simulated_clock(client: Client) -> None:
    rule = add_fault(
        client, {"action": {"type": "status", "status": 503}, "window": {"start_in": 60, "duration": 120}}
    )
    assert rule["window"]["ends_at"] - rule["window"]["starts_at"] == 120
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200
    client.post("/_sim/clock", json={"advance": 61})
    assert client.get("/v1/widgets", headers=ALICE).status_code == 503
    client.post("/_sim/clock", json={"advance": 120})
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200
    assert fired(client, rule["id"]) == 1


def test_rule_without_trigger_always_fires(client: Client) -> None:
    rule = add_fault(client, {"action": {"type": "status", "status": 500}})
    assert {client.get("/v1/widgets", headers=ALICE).status_code for _ in range(5)} == {500}
    assert fired(client, rule["id"]) == 5


def test_match_by_operation_account_method_and_path_glob(client: Client) -> None:
    by_op = add_fault(
        client, {"match": {"operation": "create_widget"}, "action": {"type": "status", "status": 500}}
    )
    by_account = add_fault(client, {"match": {"account": "bob"}, "action": {"type": "status", "status": 503}})
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200
    assert client.post("/v1/widgets", json={"name": "w"}, headers=ALICE).status_code == 500
    assert client.get("/v1/widgets", headers=BOB).status_code == 503
    assert fired(client, by_op["id"]) == 1 and fired(client, by_account["id"]) == 1
    client.delete("/_sim/faults")
    glob = add_fault(
        client,
        {
            "match": {"method": "get", "path": "/v1/widgets/wgt_*"},
            "action": {"type": "status", "status": 500},
        },
    )
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200
    assert client.get("/v1/widgets/wgt_x", headers=ALICE).status_code == 500
    assert fired(client, glob["id"]) == 1


def test_control_api_is_never_faulted(client: Client) -> None:
    add_fault(client, {"action": {"type": "status", "status": 500}})
    assert client.get("/_sim/health").status_code == 200
    assert client.get("/_sim/faults").status_code == 200


def test_delete_one_and_all(client: Client) -> None:
    a = add_fault(client, {"action": {"type": "status", "status": 500}})
    add_fault(client, {"action": {"type": "status", "status": 501}})
    assert client.delete(f"/_sim/faults/{a['id']}").get_json() == {"id": a["id"], "deleted": True}
    assert client.delete(f"/_sim/faults/{a['id']}").status_code == 404
    assert client.get(f"/_sim/faults/{a['id']}").status_code == 404
    assert client.get("/v1/widgets", headers=ALICE).status_code == 501
    assert client.delete("/_sim/faults").get_json() == {"deleted": 1}
    assert client.get("/_sim/faults").get_json() == {"data": []}
    assert client.get("/v1/widgets", headers=ALICE).status_code == 200


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"action": {"type": "explode"}}, "action"),
        ({"match": {"path": "/x"}}, "action"),
        ({"action": {"type": "status"}}, "action.status.status"),
        ({"action": {"type": "status", "status": 999}}, "action.status.status"),
        ({"action": {"type": "latency", "ms": -1}}, "action.latency.ms"),
        ({"action": {"type": "reset"}, "times": 0}, "times"),
        ({"action": {"type": "reset"}, "probability": 1.5}, "probability"),
        ({"action": {"type": "reset"}, "seed": 3}, "(body)"),
        ({"action": {"type": "reset"}, "window": {"start_in": 0}}, "window.duration"),
        ({"action": {"type": "reset"}, "bogus": 1}, "bogus"),
        ({"action": {"type": "reset"}, "match": {"verb": "GET"}}, "match.verb"),
    ],
)
def test_invalid_rules_are_a_400_naming_the_field(client: Client, rule: dict[str, Any], field: str) -> None:
    resp = client.post("/_sim/faults", json=rule)
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert field in [d["field"] for d in error["details"]], error


def test_non_json_fault_body_is_a_400(client: Client) -> None:
    resp = client.post("/_sim/faults", data=b"{nope", content_type="application/json")
    assert resp.status_code == 400 and "not valid JSON" in resp.get_json()["error"]["message"]
    resp = client.post("/_sim/faults", json=[1, 2])
    assert resp.status_code == 400 and "JSON object" in resp.get_json()["error"]["message"]
