"""Control API: health, OpenAPI, reset, clock, routing errors, provider routes, account isolation."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate
from werkzeug.test import Client

from simulators.kernel import SimulatorApp

from .conftest import ALICE, BOB


def test_health(client: Client) -> None:
    resp = client.get("/_sim/health")
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["status"] == "UP" and data["provider"] == "widgets" and data["seed"] == 1
    assert data["config"]["time_scale"] == 1.0


def test_openapi_is_a_valid_31_document_covering_every_control_route(
    app: SimulatorApp, client: Client
) -> None:
    doc: dict[str, Any] = client.get("/_sim/openapi.json").get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    documented = {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = set()
    for rule in app.control_app.url_map.iter_rules():  # type: ignore[attr-defined]
        if rule.endpoint == "static":
            continue
        path = str(rule.rule).replace("<", "{").replace(">", "}")
        for method in rule.methods or ():
            if method not in {"HEAD", "OPTIONS"}:
                served.add((path, method))
    assert served <= documented, served - documented
    assert "/_sim/widgets/accounts/{account}/widgets/{widget_id}/ready" in doc["paths"]


def test_unknown_routes_and_methods_are_json_errors(client: Client) -> None:
    resp = client.get("/_sim/does-not-exist")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "not_found"
    resp = client.put("/_sim/faults")
    assert resp.status_code == 405 and resp.get_json()["error"]["code"] == "method_not_allowed"
    assert client.get("/_sim").status_code == 404


def test_clock_read_and_advance(client: Client) -> None:
    before = client.get("/_sim/clock").get_json()
    assert before["offset"] == 0
    after = client.post("/_sim/clock", json={"advance": 3600}).get_json()
    assert after["offset"] == 3600 and after["now"] >= before["now"] + 3600
    for bad in ({"advance": -5}, {}, {"advance": "soon"}, {"advance": 1, "x": 1}):
        assert client.post("/_sim/clock", json=bad).status_code == 400


def test_reset_forgets_state_reseeds_and_keeps_endpoints_unless_told(client: Client) -> None:
    first = client.post("/v1/widgets", json={"name": "w"}, headers=ALICE).get_json()["id"]
    client.post("/_sim/faults", json={"match": {"path": "/nowhere"}, "action": {"type": "reset"}})
    client.post("/_sim/webhooks/endpoints", json={"url": "http://127.0.0.1:9/hook", "account": "alice"})
    resp = client.post("/_sim/reset", json={"seed": 1})
    assert resp.get_json() == {"status": "reset", "seed": 1, "endpoints_kept": 1}
    assert client.get("/_sim/journal").get_json()["data"] == []
    assert client.get("/_sim/faults").get_json()["data"] == []
    assert client.get("/_sim/transitions").get_json()["data"] == []
    assert client.get("/v1/widgets", headers=ALICE).get_json()["data"] == []
    assert client.get(f"/v1/widgets/{first}", headers=ALICE).status_code == 404
    # the same seed replays the same ids
    client.post("/_sim/reset", json={"seed": 99})
    a = client.post("/v1/widgets", json={"name": "w"}, headers=ALICE).get_json()["id"]
    client.post("/_sim/reset", json={"seed": 99})
    b = client.post("/v1/widgets", json={"name": "w"}, headers=ALICE).get_json()["id"]
    assert a == b
    client.post("/_sim/reset", json={"keep_endpoints": False})
    assert client.get("/_sim/webhooks/endpoints").get_json()["data"] == []
    assert client.post("/_sim/reset").status_code == 200  # no body is fine
    assert client.post("/_sim/reset", json={"seed": "x"}).status_code == 400


def test_accounts_are_isolated(client: Client) -> None:
    wid = client.post("/v1/widgets", json={"name": "a"}, headers=ALICE).get_json()["id"]
    assert client.get(f"/v1/widgets/{wid}", headers=ALICE).status_code == 200
    assert client.get(f"/v1/widgets/{wid}", headers=BOB).status_code == 404
    assert client.get("/v1/widgets", headers=BOB).get_json()["data"] == []


def test_provider_control_route_and_transitions(client: Client) -> None:
    wid = client.post("/v1/widgets", json={"name": "a"}, headers=ALICE).get_json()["id"]
    pending = client.get("/_sim/transitions").get_json()["data"]
    assert [(p["name"], p["key"]) for p in pending] == [("widget.ready", wid)]
    resp = client.post(f"/_sim/widgets/accounts/alice/widgets/{wid}/ready")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ready"
    assert client.get(f"/v1/widgets/{wid}", headers=ALICE).get_json()["status"] == "ready"


def test_lifecycle_advances_on_the_simulated_clock(app: SimulatorApp, client: Client) -> None:
    wid = client.post("/v1/widgets", json={"name": "a"}, headers=ALICE).get_json()["id"]
    assert client.get(f"/v1/widgets/{wid}", headers=ALICE).get_json()["status"] == "pending"
    resp = client.post("/_sim/clock", json={"advance": 5, "wait": True}).get_json()
    assert resp["idle"] is True
    assert client.get(f"/v1/widgets/{wid}", headers=ALICE).get_json()["status"] == "ready"
