"""The request journal: content, masking, filters, bounds, and what is never journaled."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

from simulators.kernel import SimulatorConfig, build_simulator_app

from .conftest import ALICE, BOB
from .example_provider import WidgetsProvider


def journal(client: Client, query: str = "") -> list[dict[str, Any]]:
    resp = client.get("/_sim/journal" + query)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    data: list[dict[str, Any]] = resp.get_json()["data"]
    return data


def test_entries_are_newest_first_with_request_and_response_details(client: Client) -> None:
    client.post(
        "/v1/widgets?expand=1",
        json={"name": "w"},
        headers={**ALICE, "Idempotency-Key": "order-1-attempt-1", "X-Api-Key": "secret-value"},
    )
    client.get("/v1/widgets", headers=ALICE)
    entries = journal(client)
    assert [e["method"] for e in entries] == ["GET", "POST"]
    post = entries[1]
    assert post["path"] == "/v1/widgets" and post["query"] == "expand=1"
    assert post["status"] == 201 and post["account"] == "alice"
    assert post["operation"] == "create_widget"
    assert post["body"] == '{"name": "w"}' and post["body_size"] == len(post["body"])
    assert post["headers"]["Authorization"] == "Bearer ****"
    assert post["headers"]["X-Api-Key"] == "****"
    assert post["headers"]["Idempotency-Key"] == "order-1-attempt-1"
    assert post["headers"]["Content-Type"] == "application/json"
    assert post["request_id"].startswith("req_") and post["duration_ms"] >= 0
    assert post["fault_ids"] == [] and post["time"] > 0
    assert "wk_alice" not in str(entries)


def test_filters_method_path_status_account_operation_fault_and_limit(client: Client) -> None:
    client.post("/v1/widgets", json={"name": "a"}, headers=ALICE)
    client.get("/v1/widgets/wgt_missing", headers=ALICE)
    client.get("/v1/widgets", headers=BOB)
    client.post(
        "/_sim/faults",
        json={"match": {"account": "bob"}, "action": {"type": "status", "status": 503}, "times": 1},
    )
    client.get("/v1/widgets", headers=BOB)
    assert [e["status"] for e in journal(client, "?method=post")] == [201]
    assert [e["path"] for e in journal(client, "?path=/v1/widgets/*")] == ["/v1/widgets/wgt_missing"]
    assert [e["status"] for e in journal(client, "?path=/v1/widgets")] == [503, 200, 201]
    assert [e["status"] for e in journal(client, "?status=4xx")] == [404]
    assert [e["status"] for e in journal(client, "?status=503")] == [503]
    assert {e["account"] for e in journal(client, "?account=bob")} == {"bob"}
    assert [e["operation"] for e in journal(client, "?operation=get_*")] == ["get_widget"]
    assert [e["status"] for e in journal(client, "?fault=true")] == [503]
    assert len(journal(client, "?fault=false")) == 3
    assert len(journal(client, "?limit=2")) == 2
    for bad in ("?limit=0", "?limit=x", "?status=abc", "?fault=maybe"):
        assert client.get("/_sim/journal" + bad).status_code == 400


def test_journal_is_bounded_and_bodies_are_truncated() -> None:
    app = build_simulator_app(
        WidgetsProvider(), SimulatorConfig(seed=1, journal_size=5, max_journal_body_bytes=8)
    )
    try:
        client = Client(app)
        for i in range(12):
            client.post("/v1/widgets", json={"name": f"widget-{i}"}, headers=ALICE)
        resp = client.get("/_sim/journal").get_json()
        assert resp["size"] == 5 and resp["capacity"] == 5
        entries = resp["data"]
        assert len(entries) == 5
        assert entries[0]["body"] == '{"name":' and entries[0]["body_truncated"] is True
        assert entries[0]["body_size"] > 8
        assert entries[0]["id"] == "jr_12" and entries[-1]["id"] == "jr_8"
    finally:
        app.close()


def test_control_requests_are_not_journaled_and_journal_can_be_cleared(client: Client) -> None:
    client.get("/_sim/health")
    client.get("/_sim/faults")
    assert journal(client) == []
    client.get("/v1/widgets", headers=ALICE)
    assert len(journal(client)) == 1
    assert client.delete("/_sim/journal").status_code == 200
    assert journal(client) == []


def test_unauthenticated_and_unknown_routes_are_journaled_with_provider_errors(client: Client) -> None:
    resp = client.get("/v1/widgets")
    assert resp.status_code == 401 and resp.get_json()["error"]["type"] == "authentication_error"
    resp = client.get("/v1/nothing-here", headers=ALICE)
    assert resp.status_code == 404 and resp.get_json()["error"]["status"] == 404
    entries = journal(client)
    assert [(e["status"], e["account"]) for e in entries] == [(404, "alice"), (401, None)]


def test_metrics_count_every_request_served_and_survive_a_journal_clear(client: Client) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    client.post("/v1/widgets", json={"name": "a"}, headers=ALICE)
    client.post(
        "/_sim/faults",
        json={
            "match": {"operation": "list_widgets"},
            "action": {"type": "status", "status": 503},
            "times": 1,
        },
    )
    client.get("/v1/widgets", headers=ALICE)  # faulted
    client.get("/v1/widgets", headers=ALICE)
    client.delete("/_sim/journal")
    resp = client.get("/_sim/metrics")
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    samples = {
        (s.labels["operation"], s.labels["status"], s.labels["fault"]): s.value
        for family in text_string_to_metric_families(resp.get_data(as_text=True))
        for s in family.samples
        if s.name == "sim_requests_total"
    }
    assert samples[("create_widget", "201", "")] == 1
    assert samples[("list_widgets", "200", "")] == 1
    # a faulted answer is counted with the fault's action (the journal names no operation for it)
    assert [(v, k[2]) for k, v in samples.items() if k[1] == "503"] == [(1, "status")], samples
    assert all(
        op not in {"metrics", "fault_create"} for op, _s, _f in samples
    )  # control calls are not counted
