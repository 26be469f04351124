"""The orders API in-process (Flask test client, SQLite): behaviour, errors, headers and observability."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate as validate_openapi

from reference_service.bootstrap import Container
from reference_service.observability.health import DOWN, CallableHealthChecker, CheckResult
from tests.auth import auth_issuer

ORDER = {
    "customer_ref": "cus_42",
    "currency": "USD",
    "items": [{"sku": "TSHIRT", "name": "T-shirt", "quantity": 2, "unit_amount": 1999}],
}
PROBLEM = "application/problem+json"


def create(client: FlaskClient, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post("/api/v1/orders", json=body or ORDER, headers=headers)


def problem_fields(resp: Any) -> set[str]:
    assert resp.mimetype == PROBLEM, resp.data
    return {e["field"] for e in resp.json.get("errors", [])}


def test_create_get_list_cancel(client: FlaskClient) -> None:
    resp = create(client)
    assert resp.status_code == 201
    order = resp.json
    assert resp.headers["Location"] == f"/api/v1/orders/{order['id']}"
    assert order["status"] == "CREATED" and order["total_amount"] == 3998
    assert client.get(f"/api/v1/orders/{order['id']}").json == {**order, "files": []}  # GET adds its files
    listing = client.get("/api/v1/orders").json
    assert listing["object"] == "list" and [o["id"] for o in listing["data"]] == [order["id"]]
    cancelled = client.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "duplicate"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "CANCELLED"
    assert cancelled.json["cancellation_reason"] == "duplicate"


def test_pagination_walks_every_order_once(client: FlaskClient) -> None:
    ids = [create(client).json["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        page = client.get(
            "/api/v1/orders", query_string={"limit": 2, **({"starting_after": cursor} if cursor else {})}
        )
        seen += [o["id"] for o in page.json["data"]]
        cursor = page.json["next_cursor"]
        if not page.json["has_more"]:
            assert cursor is None
            break
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("currency"), "currency"),
        (lambda b: b.update(currency="usd"), "currency"),
        (lambda b: b.update(currency="XYZ"), "currency"),
        (lambda b: b.update(items=[]), "items"),
        (lambda b: b.update(nickname="bob"), "nickname"),
        (lambda b: b["items"][0].update(quantity="2"), "items[0].quantity"),
        (lambda b: b["items"][0].update(quantity=0), "items[0].quantity"),
        (lambda b: b["items"][0].update(unit_amount=19.99), "items[0].unit_amount"),
        (lambda b: b["items"][0].update(colour="red"), "items[0].colour"),
        (lambda b: b.update(customer_ref="jane@example.com"), "customer_ref"),
    ],
)
def test_validation_errors_name_the_field_and_change_nothing(
    client: FlaskClient, mutate: Any, field: str
) -> None:
    body = json.loads(json.dumps(ORDER))
    mutate(body)
    resp = create(client, body)
    assert resp.status_code == 422
    assert resp.json["type"] == "/problems/validation-error"
    assert field in problem_fields(resp)
    assert client.get("/api/v1/orders").json["data"] == []


def test_malformed_json_wrong_media_type_and_missing_body(client: FlaskClient) -> None:
    bad = client.post("/api/v1/orders", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.json["type"] == "/problems/malformed-request"
    nan = client.post("/api/v1/orders", data='{"x": NaN}', content_type="application/json")
    assert nan.status_code == 400
    form = client.post("/api/v1/orders", data="a=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json["type"] == "/problems/unsupported-media-type"
    empty = client.post("/api/v1/orders")
    assert empty.status_code == 422 and "body" in problem_fields(empty)
    array = client.post("/api/v1/orders", json=[1, 2])
    assert array.status_code == 422


def test_oversized_body_is_413(client: FlaskClient, container: Container) -> None:
    big = "x" * (container.settings.max_request_bytes + 1)
    resp = client.post("/api/v1/orders", data=big, content_type="application/json")
    assert resp.status_code == 413 and resp.json["type"] == "/problems/payload-too-large"
    # the body was left unread, so the connection ends: the client must not send its next request on it
    assert resp.headers["Connection"] == "close"


def test_unknown_route_and_wrong_method(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.mimetype == PROBLEM
    wrong = client.delete("/api/v1/orders")
    assert wrong.status_code == 405 and wrong.json["type"] == "/problems/method-not-allowed"
    assert set(wrong.headers["Allow"].split(", ")) >= {"GET", "POST"}
    assert client.get("/api/v1/orders/ord_nope").status_code == 404


def test_bad_query_parameters(client: FlaskClient) -> None:
    for qs, field in [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("status=LOST", "status"),
        ("page=2", "page"),
        ("limit=1&limit=2", "limit"),
    ]:
        resp = client.get(f"/api/v1/orders?{qs}")
        assert resp.status_code == 422, qs
        assert field in problem_fields(resp), qs


def test_cancel_twice_is_409_and_keeps_the_first_result(client: FlaskClient) -> None:
    order_id = create(client).json["id"]
    assert client.post(f"/api/v1/orders/{order_id}/cancel").status_code == 200
    again = client.post(f"/api/v1/orders/{order_id}/cancel")
    assert again.status_code == 409 and again.json["type"] == "/problems/invalid-state-transition"
    assert again.json["current_status"] == "CANCELLED"


def test_idempotent_create(client: FlaskClient) -> None:
    first = create(client, **{"Idempotency-Key": "abc-1"})
    replay = create(client, **{"Idempotency-Key": "abc-1"})
    assert replay.status_code == first.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert replay.json == first.json
    other = json.loads(json.dumps(ORDER))
    other["items"][0]["quantity"] = 3
    reused = create(client, other, **{"Idempotency-Key": "abc-1"})
    assert reused.status_code == 422 and reused.json["type"] == "/problems/idempotency-key-reused"
    assert "Idempotency-Key" in problem_fields(reused)
    bad_key = create(client, **{"Idempotency-Key": "x" * 256})
    assert bad_key.status_code == 400
    assert len(client.get("/api/v1/orders").json["data"]) == 1


def test_request_id_is_echoed_or_generated(client: FlaskClient) -> None:
    assert (
        client.get("/health/live", headers={"X-Request-Id": "trace-123"}).headers["X-Request-Id"]
        == "trace-123"
    )
    generated = client.get("/health/live", headers={"X-Request-Id": "bad id with spaces"}).headers[
        "X-Request-Id"
    ]
    assert len(generated) == 32
    problem = client.get("/api/v1/orders/ord_x", headers={"X-Request-Id": "r-1"}).json
    assert problem["request_id"] == "r-1"


def test_metrics_are_labelled_by_route_template(client: FlaskClient) -> None:
    order_id = create(client).json["id"]
    client.get(f"/api/v1/orders/{order_id}")
    client.get("/definitely/not/here")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/api/v1/orders/<order_id>",status="200"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert order_id not in text
    assert "http_request_duration_seconds_bucket" in text and "outbox_pending_events" in text


def test_access_log_has_one_line_per_request_and_no_body_or_pii(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="genai_demo.access")
    body = dict(ORDER, customer_ref="cus_secretive", metadata={"email": "jane@example.com"})
    token = auth_issuer().token("admin")
    create(client, body, Authorization=f"Bearer {token}")
    [record] = [r for r in caplog.records if r.name == "genai_demo.access"]
    fields = {
        k: getattr(record, k) for k in ("request_id", "method", "route", "status", "duration_ms", "client")
    }
    assert fields["route"] == "/api/v1/orders" and fields["status"] == 201 and fields["method"] == "POST"
    text = caplog.text + repr(vars(record))
    for secret in ("jane@example.com", "cus_secretive", token, token.split(".")[2], "TSHIRT"):
        assert secret not in text


def test_health_aggregates_checkers_and_503_when_down(client: FlaskClient, container: Container) -> None:
    ok = client.get("/health")
    assert ok.status_code == 200 and ok.json["checks"]["database"]["status"] == "UP"
    assert ok.json["checks"]["database"]["latency_ms"] >= 0
    container.health.register(
        CallableHealthChecker("stripe", lambda: CheckResult(DOWN, {"error": "refused"}))
    )
    down = client.get("/health")
    assert down.status_code == 503 and down.json["status"] == "DOWN"
    assert down.json["checks"]["stripe"]["details"] == {"error": "refused"}


def test_health_reports_a_raising_checker_as_down(client: FlaskClient, container: Container) -> None:
    def broken() -> CheckResult:
        raise ConnectionError("no route to host")

    container.health.register(CallableHealthChecker("ses", broken))
    report = client.get("/health").json
    assert report["status"] == "DOWN" and "no route to host" in report["checks"]["ses"]["details"]["error"]


def test_openapi_describes_every_route_and_is_valid(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    validate_openapi(doc)
    assert set(doc["paths"]) >= {
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/cancel",
    }
    assert set(doc["paths"]["/api/v1/orders"]) == {"get", "post"}
    create_op = doc["paths"]["/api/v1/orders"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create_op["parameters"])
    assert "application/problem+json" in create_op["responses"]["default"]["content"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.data
    assert client.get("/docs/swagger-ui-bundle.js").status_code == 200


def test_problem_types_are_dereferenceable(client: FlaskClient) -> None:
    problem = client.get("/api/v1/orders/ord_missing").json
    doc = client.get(problem["type"]).json
    assert doc["status"] == 404 and doc["type"] == problem["type"]
    assert client.get("/problems").status_code == 200


def test_admin_events_show_what_the_relay_published(client: FlaskClient, container: Container) -> None:
    order_id = create(client).json["id"]
    assert client.get("/api/v1/admin/events").json["data"] == []
    container.relay.drain()
    events = client.get("/api/v1/admin/events", query_string={"type": "order.created"}).json["data"]
    assert [(e["topic"], e["key"]) for e in events] == [("order-events", order_id)]


def test_customer_contact_is_encrypted_at_rest_masked_in_the_api_and_absent_from_events(
    client: FlaskClient, container: Container
) -> None:
    import sqlalchemy as sa

    from reference_service.adapters.orm import OrderRow

    body = dict(
        ORDER, customer={"name": "Jane Doe", "email": "jane.doe@example.com", "phone": "+14155550123"}
    )
    created = create(client, body)
    assert created.status_code == 201
    assert created.json["customer"] == {
        "name": "Jane Doe",
        "email": "j***@example.com",
        "phone": "********0123",
    }
    with container.read_sessions() as s:
        stored = s.scalars(sa.select(OrderRow.customer_contact)).one()
    assert stored is not None and "jane" not in stored and "example.com" not in stored
    with container.read_uow() as uow:
        order = uow.orders.get(created.json["id"])
    assert order is not None and order.customer is not None and order.customer.email == "jane.doe@example.com"
    container.relay.drain()
    events = json.dumps(client.get("/api/v1/admin/events").json)
    assert "jane" not in events and "0123" not in events
    bad = create(client, dict(ORDER, customer={"name": "X", "email": "not-an-email"}))
    assert bad.status_code == 422 and "customer.email" in problem_fields(bad)


def test_a_rotated_pii_key_still_reads_old_data() -> None:
    from cryptography.fernet import Fernet

    from reference_service.adapters.pii import FernetCipher

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = FernetCipher(old).encrypt("jane@example.com")
    rotated = FernetCipher(f"{new},{old}")
    assert rotated.decrypt(token) == "jane@example.com"
    assert FernetCipher(new).decrypt(rotated.encrypt("x")) == "x"


def test_every_route_the_app_serves_is_in_the_openapi_document(app: Any, client: FlaskClient) -> None:
    import re

    documented = {
        (path, method.upper())
        for path, ops in client.get("/openapi.json").json["paths"].items()
        for method in ops
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "docs_assets"):
            continue  # Flask's static files and Swagger UI's own assets
        path = re.sub(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>", r"{\1}", rule.rule)
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served - documented == set()
