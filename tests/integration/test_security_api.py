"""Authentication and authorization as a caller meets them, in-process: 401/403 problem+json with RFC
6750 challenges, customers limited to their own orders (another's answers 404: OWASP API1, BOLA), roles
per route, API keys (hashed, shown once, rotated, revoked, expired), the audit trail, security headers and
the OpenAPI security schemes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

import contracts
from reference_service.adapters.orm import ApiKeyRow, AuditEventRow
from reference_service.bootstrap import Container
from tests.auth import auth_issuer

pytestmark = pytest.mark.security
ORDERS = "/api/v1/orders"


def order_body(customer_ref: str) -> dict[str, Any]:
    return {"customer_ref": customer_ref, "currency": "EUR",
            "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 500}]}  # fmt: skip


def problem(resp: Any, status: int, slug: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    body: dict[str, Any] = resp.json
    contracts.validate("api/problem", body)
    assert body["type"] == f"/problems/{slug}"
    return body


# -- 401 / 403 -----------------------------------------------------------------------------------------------
def test_no_credential_is_a_401_with_a_bare_bearer_challenge(client_as: Callable[..., FlaskClient]) -> None:
    resp = client_as(None, anonymous=True).get(ORDERS)
    problem(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="genai-demo"'


@pytest.mark.parametrize(
    ("token", "description"),
    [
        (lambda: auth_issuer().token("admin", exp=1), "token expired"),
        (lambda: auth_issuer().token("admin", iss="https://evil.example"), "token from another issuer (iss)"),
        (lambda: auth_issuer().token("admin")[:-4] + "AAAA", "signature verification failed"),
    ],
    ids=["expired", "wrong-issuer", "tampered"],
)
def test_a_bad_token_is_a_401_invalid_token(app: Flask, token: Callable[[], str], description: str) -> None:
    resp = app.test_client().get(ORDERS, headers={"Authorization": f"Bearer {token()}"})
    body = problem(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"] == (
        f'Bearer realm="genai-demo", error="invalid_token", error_description="{description}"'
    )
    assert description in body["detail"]


def test_malformed_authorization_is_a_400_invalid_request(app: Flask) -> None:
    client = app.test_client()
    resp = client.get(ORDERS, headers={"Authorization": "Bearer "})
    problem(resp, 400, "malformed-request")
    assert 'error="invalid_request"' in resp.headers["WWW-Authenticate"]
    both = client.get(ORDERS, headers={"Authorization": "Bearer x", "X-API-Key": "gdk_x"})
    problem(both, 400, "malformed-request")
    basic = client.get(ORDERS, headers={"Authorization": "Basic dXNlcjpwdw=="})
    problem(basic, 401, "unauthorized")


def test_a_role_without_the_permission_is_a_403_insufficient_scope(
    client_as: Callable[..., FlaskClient],
) -> None:
    resp = client_as("customer", "cus_1").get("/api/v1/admin/events")
    body = problem(resp, 403, "forbidden")
    assert body["permission"] == "events:read"
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="genai-demo", error="insufficient_scope"'
    assert client_as(None, "nobody").get(ORDERS).status_code == 403  # no roles: nothing granted
    assert client_as("support").post(ORDERS, json=order_body("cus_1")).status_code == 403
    assert client_as("support").get(ORDERS).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", True), ("support", False), ("service", False), ("customer", False)],
)
def test_admin_routes_need_admin(client_as: Callable[..., FlaskClient], role: str, allowed: bool) -> None:
    client = client_as(role)
    answers = [
        client.get("/api/v1/admin/api-keys").status_code,
        client.get("/api/v1/admin/audit").status_code,
        client.post("/api/v1/admin/sms/providers/reset").status_code,
    ]
    assert answers == ([200, 200, 200] if allowed else [403, 403, 403])


# -- customers and their own orders (BOLA) -------------------------------------------------------------------
def test_a_customer_sees_and_cancels_only_their_own_orders(client_as: Callable[..., FlaskClient]) -> None:
    ada, grace = client_as("customer", "cus_ada"), client_as("customer", "cus_grace")
    mine = ada.post(ORDERS, json=order_body("cus_ada")).json["id"]
    theirs = grace.post(ORDERS, json=order_body("cus_grace")).json["id"]
    assert ada.get(f"{ORDERS}/{mine}").status_code == 200
    for resp in (
        ada.get(f"{ORDERS}/{theirs}"),
        ada.post(f"{ORDERS}/{theirs}/cancel"),
        ada.get(f"{ORDERS}/{theirs}/payments"),
        ada.post(f"{ORDERS}/{theirs}/payments", json={"provider": "stripe"}),
    ):
        body = problem(resp, 404, "not-found")  # as if it did not exist: no existence leak
        assert body == {**body, "detail": body["detail"]} and "cus_grace" not in str(body)
    missing = problem(ada.get(f"{ORDERS}/ord_does_not_exist"), 404, "not-found")
    other = problem(ada.get(f"{ORDERS}/{theirs}"), 404, "not-found")
    assert {
        k: v for k, v in missing.items() if k not in ("detail", "instance", "request_id", "resource_id")
    } == {k: v for k, v in other.items() if k not in ("detail", "instance", "request_id", "resource_id")}
    listed = ada.get(ORDERS).json["data"]
    assert [o["id"] for o in listed] == [mine]
    assert ada.get(ORDERS, query_string={"customer_ref": "cus_grace"}).json["data"] == []
    assert ada.post(f"{ORDERS}/{mine}/cancel").status_code == 200
    assert grace.get(f"{ORDERS}/{theirs}").status_code == 200


def test_a_customer_orders_only_for_themselves(client_as: Callable[..., FlaskClient]) -> None:
    resp = client_as("customer", "cus_ada").post(ORDERS, json=order_body("cus_grace"))
    body = problem(resp, 403, "forbidden")
    assert body["errors"][0]["field"] == "customer_ref"


def test_service_and_admin_act_for_any_customer(client_as: Callable[..., FlaskClient]) -> None:
    created = client_as("service").post(ORDERS, json=order_body("cus_zed"))
    assert created.status_code == 201
    assert client_as("admin").get(f"{ORDERS}/{created.json['id']}").status_code == 200
    assert client_as("support").get(f"{ORDERS}/{created.json['id']}").status_code == 200
    assert client_as("support").post(f"{ORDERS}/{created.json['id']}/cancel").status_code == 403


# -- API keys ------------------------------------------------------------------------------------------------
def test_an_api_key_is_shown_once_stored_hashed_and_works(
    client: FlaskClient, app: Flask, container: Container
) -> None:
    created = client.post("/api/v1/admin/api-keys", json={"name": "export job", "roles": ["support"]})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    key = created.json["key"]
    assert key.startswith(created.json["prefix"] + "_") and created.json["status"] == "active"
    with container.read_sessions() as session:
        row = session.get(ApiKeyRow, created.json["id"])
        assert row is not None and key not in (row.secret_hash, row.prefix) and len(row.secret_hash) == 64
    listed = client.get("/api/v1/admin/api-keys").json["data"]
    assert all("key" not in k for k in listed) and key not in str(listed)
    with_key = app.test_client()
    assert with_key.get(ORDERS, headers={"X-API-Key": key}).status_code == 200
    assert with_key.post(ORDERS, headers={"X-API-Key": key}, json=order_body("c")).status_code == 403
    fetched = client.get(f"/api/v1/admin/api-keys/{created.json['id']}").json
    assert fetched["last_used_at"] is not None


def test_rotated_revoked_expired_and_unknown_keys_are_refused(
    client: FlaskClient, app: Flask, container: Container
) -> None:
    caller = app.test_client()

    def status(key: str) -> int:
        return int(caller.get(ORDERS, headers={"X-API-Key": key}).status_code)

    first = client.post("/api/v1/admin/api-keys", json={"name": "job", "roles": ["service"]}).json
    rotated = client.post(f"/api/v1/admin/api-keys/{first['id']}/rotate").json
    assert rotated["id"] != first["id"] and rotated["name"] == "job"
    assert status(first["key"]) == 401 and status(rotated["key"]) == 200
    revoked = client.delete(f"/api/v1/admin/api-keys/{rotated['id']}").json
    assert revoked["status"] == "revoked"
    resp = caller.get(ORDERS, headers={"X-API-Key": rotated["key"]})
    assert problem(resp, 401, "unauthorized")["detail"] == "The API key is revoked."
    old = client.get(f"/api/v1/admin/api-keys/{first['id']}").json
    assert old["status"] == "revoked" and old["replaced_by"] == rotated["id"]
    short = client.post(
        "/api/v1/admin/api-keys", json={"name": "j", "roles": ["service"], "expires_in_days": 1}
    ).json
    with container.write_sessions() as session, session.begin():
        session.execute(
            sa.update(ApiKeyRow)
            .where(ApiKeyRow.id == short["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert problem(caller.get(ORDERS, headers={"X-API-Key": short["key"]}), 401, "unauthorized")[
        "detail"
    ] == ("The API key has expired.")
    assert status(short["key"][:-1] + ("A" if short["key"][-1] != "A" else "B")) == 401
    assert status("gdk_nonsense") == 401
    listing = client.get("/api/v1/admin/api-keys", query_string={"include_revoked": "true"}).json["data"]
    assert {k["status"] for k in listing} == {"revoked", "expired"}


def test_a_key_cannot_carry_the_customer_role(client: FlaskClient) -> None:
    resp = client.post("/api/v1/admin/api-keys", json={"name": "x", "roles": ["customer"]})
    problem(resp, 422, "validation-error")


# -- audit trail ---------------------------------------------------------------------------------------------
def test_mutations_and_admin_reads_are_audited_without_pii(
    client_as: Callable[..., FlaskClient], container: Container
) -> None:
    ada = client_as("customer", "cus_ada")
    order_id = ada.post(
        ORDERS, json=order_body("cus_ada") | {"customer": {"name": "Ada L", "email": "ada@example.com"}}
    ).json["id"]
    ada.get(f"{ORDERS}/{order_id}")  # a plain read: not audited
    ada.post(f"{ORDERS}/{order_id}/cancel")
    client_as("customer", "cus_eve").post(f"{ORDERS}/{order_id}/cancel")  # someone else's: 404, audited
    ada.get("/api/v1/admin/events")  # refused admin read: audited as denied
    admin = client_as("admin")
    trail = admin.get("/api/v1/admin/audit").json["data"]
    summary = [
        (e["actor_id"], e["action"], e["status"], e["outcome"], e["target_id"]) for e in reversed(trail)
    ]
    assert summary == [
        ("cus_ada", "createOrder", 201, "succeeded", None),
        ("cus_ada", "cancelOrder", 200, "succeeded", order_id),
        ("cus_eve", "cancelOrder", 404, "rejected", order_id),
        ("cus_ada", "listPublishedEvents", 403, "denied", None),
    ]
    assert trail[0]["actor_kind"] == "token" and trail[0]["roles"] == ["customer"]
    assert len(trail[0]["client_ip_hash"]) == 64 and "127.0.0.1" not in str(trail)
    assert "ada@example.com" not in str(trail) and "Ada L" not in str(trail)
    assert admin.get("/api/v1/admin/audit", query_string={"actor_id": "cus_eve"}).json["data"][0][
        "action"
    ] == ("cancelOrder")
    assert admin.get("/api/v1/admin/audit").json["data"][0]["action"] == "listAuditEntries"  # audited too


def test_the_audit_trail_refuses_updates(client: FlaskClient, container: Container) -> None:
    client.post(ORDERS, json=order_body("cus_1"))
    with container.write_sessions() as session, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with session.begin():
            session.execute(sa.update(AuditEventRow).values(status=200))
    assert container.security.audit.purge(datetime.now(UTC) + timedelta(seconds=1)) >= 1


# -- headers and the document --------------------------------------------------------------------------------
def test_security_headers_and_hsts_on_https_only(client: FlaskClient) -> None:
    plain = client.get(ORDERS)
    assert plain.headers["X-Content-Type-Options"] == "nosniff" and plain.headers["X-Frame-Options"] == "DENY"
    assert plain.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert plain.headers["Cache-Control"] == "no-store" and plain.headers["Referrer-Policy"] == "no-referrer"
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get(ORDERS, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    docs = client.get("/docs")
    assert "script-src 'self' 'sha256-" in docs.headers["Content-Security-Policy"]


def test_the_openapi_document_offers_authorize(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "apiKey"}
    get_order = doc["paths"]["/api/v1/orders/{order_id}"]["get"]
    assert get_order["security"] == [{"bearerAuth": []}, {"apiKey": []}]
    assert get_order["x-required-permission"] == "orders:read"
    assert {"401", "403", "429"} <= set(get_order["responses"])
    assert doc["paths"]["/api/v1/webhooks/stripe"]["post"]["security"] == []
    assert "persistAuthorization" in client.get("/docs").get_data(as_text=True)
