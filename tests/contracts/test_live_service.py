"""The running service keeps its contracts: real HTTP responses (orders, order lists, problem documents)
and the domain events it publishes validate against ``contracts/schemas``.

Uses the session fixture ``live_service`` (the service as a real process on a free port). Run alone:
``pytest tests/contracts/test_live_service.py``. A failure prints every violation with its JSON path.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

import contracts
from tests.auth import auth_issuer
from tests.support import LiveProcess

pytestmark = pytest.mark.e2e

PROBLEM_JSON = "application/problem+json"
TIMEOUT = 10
#: every call here is an admin's (the service trusts the test issuer of tests/auth.py)
HTTP = auth_issuer().session("admin")


@pytest.fixture
def api(live_service: LiveProcess) -> str:
    return live_service.url + "/api/v1"


@pytest.fixture
def customer() -> str:
    """A customer reference of this test only, so list queries see only its orders."""
    return f"cus_ct_{uuid.uuid4().hex[:12]}"


def order_request(customer_ref: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = contracts.example("api/orders/create-order-request")
    body["customer_ref"] = customer_ref
    body.update(overrides)
    return body


def create(api: str, customer_ref: str, **overrides: Any) -> dict[str, Any]:
    resp = HTTP.post(f"{api}/orders", json=order_request(customer_ref, **overrides), timeout=TIMEOUT)
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def json_of(resp: requests.Response, contract: str, status: int) -> Any:
    """Assert status and JSON content type, validate the body against ``contract``, return it."""
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith("application/json")
    body = resp.json()
    contracts.validate(contract, body)
    return body


# ----------------------------------------------------------------------------------------- orders


def test_create_returns_an_order(api: str, customer: str) -> None:
    resp = HTTP.post(f"{api}/orders", json=order_request(customer), timeout=TIMEOUT)
    order = json_of(resp, "api/orders/order", 201)
    assert resp.headers["Location"] == f"/api/v1/orders/{order['id']}"
    assert order["status"] == "CREATED" and order["customer_ref"] == customer
    assert order["total_amount"] == sum(i["line_total"] for i in order["items"])
    assert all(i["line_total"] == i["quantity"] * i["unit_amount"] for i in order["items"])


def test_get_returns_the_same_order(api: str, customer: str) -> None:
    created = create(api, customer)
    fetched = json_of(HTTP.get(f"{api}/orders/{created['id']}", timeout=TIMEOUT), "api/orders/order", 200)
    assert fetched.pop("files") == []  # GET adds the order's stored files (invoice, label): none yet
    assert fetched == created


def test_list_pages_validate_and_chain_by_cursor(api: str, customer: str) -> None:
    ids = [create(api, customer)["id"] for _ in range(3)]
    params: dict[str, str | int] = {"customer_ref": customer, "limit": 2}

    def page() -> Any:
        return json_of(
            HTTP.get(f"{api}/orders", params=params, timeout=TIMEOUT), "api/orders/order-list", 200
        )

    first = page()
    assert first["has_more"] is True and first["next_cursor"] == first["data"][-1]["id"]
    params["starting_after"] = first["next_cursor"]
    second = page()
    assert second["has_more"] is False and second["next_cursor"] is None
    assert [o["id"] for o in first["data"] + second["data"]] == ids[::-1]  # newest first


@pytest.mark.parametrize("body", [{"reason": "changed my mind"}, None], ids=["with-reason", "no-body"])
def test_cancel_returns_the_cancelled_order(api: str, customer: str, body: dict[str, str] | None) -> None:
    order = create(api, customer)
    contracts.validate("api/orders/cancel-order-request", body or {})
    resp = HTTP.post(f"{api}/orders/{order['id']}/cancel", json=body, timeout=TIMEOUT)
    cancelled = json_of(resp, "api/orders/order", 200)
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["cancellation_reason"] == (body or {}).get("reason")


# --------------------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class ProblemCase:
    """A request that must fail: ``send(api, an_order_id)`` and the problem it must produce."""

    send: Callable[[str, str], requests.Response]
    status: int
    slug: str
    field: str | None = None  # a field that ``errors[].field`` must name


def _post(api: str, body: Any, headers: dict[str, str] | None = None) -> requests.Response:
    return HTTP.post(f"{api}/orders", json=body, headers=headers, timeout=TIMEOUT)


def _post_raw(data: bytes | str, content_type: str) -> Callable[[str, str], requests.Response]:
    def send(api: str, _order_id: str) -> requests.Response:
        return HTTP.post(f"{api}/orders", data=data, headers={"Content-Type": content_type}, timeout=TIMEOUT)

    return send


def _get(path: str) -> Callable[[str, str], requests.Response]:
    return lambda api, _order_id: HTTP.get(api + path, timeout=TIMEOUT)


def _cancel_twice(api: str, order_id: str) -> requests.Response:
    assert HTTP.post(f"{api}/orders/{order_id}/cancel", timeout=TIMEOUT).status_code == 200
    return HTTP.post(f"{api}/orders/{order_id}/cancel", timeout=TIMEOUT)


def _reuse_key(api: str, _order_id: str) -> requests.Response:
    key = {"Idempotency-Key": f"ct-{uuid.uuid4().hex}"}
    assert _post(api, order_request("cus_a"), key).status_code == 201
    return _post(api, order_request("cus_b"), key)


_WRONG_TYPE = [{"sku": "A", "name": "a", "quantity": "2", "unit_amount": 1}]
_ONE_MIB = b'{"pad": "' + b"x" * (1024 * 1024) + b'"}'

PROBLEMS = {
    "validation-error": ProblemCase(
        lambda api, _o: _post(api, {"currency": "USD", "items": []}), 422, "validation-error", "customer_ref"
    ),
    "wrong-type": ProblemCase(
        lambda api, _o: _post(api, order_request("cus_1", items=_WRONG_TYPE)),
        422,
        "validation-error",
        "items[0].quantity",
    ),
    "bad-query": ProblemCase(_get("/orders?limit=0"), 422, "validation-error", "limit"),
    "malformed-json": ProblemCase(
        _post_raw('{"customer_ref": ', "application/json"), 400, "malformed-request", "body"
    ),
    "bad-idempotency-key": ProblemCase(
        lambda api, _o: _post(api, order_request("cus_1"), {"Idempotency-Key": "has spaces"}),
        400,
        "malformed-request",
        "Idempotency-Key",
    ),
    "unknown-order": ProblemCase(_get("/orders/ord_00000000000000000000000000"), 404, "not-found"),
    "unknown-route": ProblemCase(_get("/orderz"), 404, "not-found"),
    "method-not-allowed": ProblemCase(
        lambda api, _o: HTTP.delete(f"{api}/orders", timeout=TIMEOUT), 405, "method-not-allowed"
    ),
    "cancel-twice": ProblemCase(_cancel_twice, 409, "invalid-state-transition"),
    "oversized-body": ProblemCase(_post_raw(_ONE_MIB, "application/json"), 413, "payload-too-large"),
    "unsupported-media-type": ProblemCase(
        _post_raw("customer_ref=cus_1", "application/x-www-form-urlencoded"), 415, "unsupported-media-type"
    ),
    "idempotency-key-reused": ProblemCase(_reuse_key, 422, "idempotency-key-reused", "Idempotency-Key"),
}


@pytest.mark.parametrize("case", PROBLEMS)
def test_errors_are_problem_documents(api: str, customer: str, case: str) -> None:
    expected = PROBLEMS[case]
    resp = expected.send(api, create(api, customer)["id"])
    assert resp.status_code == expected.status, resp.text
    assert resp.headers["Content-Type"].startswith(PROBLEM_JSON)
    problem = resp.json()
    contracts.validate("api/problem", problem)
    assert problem["type"] == f"/problems/{expected.slug}"
    assert problem["status"] == expected.status
    assert problem["request_id"] == resp.headers["X-Request-Id"]
    if expected.field is not None:
        assert expected.field in {e["field"] for e in problem["errors"]}, problem
    if case == "method-not-allowed":
        assert {"GET", "POST"} <= {m.strip() for m in resp.headers["Allow"].split(",")}
    if case == "oversized-body":  # the unread body ends the connection, and the client is told so
        assert resp.headers["Connection"] == "close"
    if case == "cancel-twice":
        assert (problem["current_status"], problem["requested_status"]) == ("CANCELLED", "CANCELLED")


def test_every_problem_type_the_service_documents_is_in_the_contract(live_service: LiveProcess) -> None:
    documented = HTTP.get(f"{live_service.url}/problems", timeout=TIMEOUT).json()
    enum = set(contracts.schema("api/problem")["properties"]["type"]["enum"])
    assert {p["type"] for p in documented} == enum


# ----------------------------------------------------------------------------------------- events


def published_for(
    live: LiveProcess, order_id: str, expected: int, timeout: float = 15.0
) -> list[dict[str, Any]]:
    """The admin view's events for ``order_id`` (oldest first), once ``expected`` of them are there.

    The outbox relay publishes asynchronously (every ``OUTBOX_POLL_SECONDS``), so this polls.
    """
    deadline = time.monotonic() + timeout
    while True:
        resp = HTTP.get(f"{live.url}/api/v1/admin/events", params={"limit": 1000}, timeout=TIMEOUT)
        listing = json_of(resp, "api/admin/published-event-list", 200)
        mine = [e for e in listing["data"] if e["key"] == order_id]
        if len(mine) >= expected or time.monotonic() > deadline:
            return mine[::-1]
        time.sleep(0.1)


def test_published_events_validate_against_the_event_contracts(
    live_service: LiveProcess, api: str, customer: str
) -> None:
    order = create(api, customer)
    assert (
        HTTP.post(f"{api}/orders/{order['id']}/cancel", json={"reason": "test"}, timeout=TIMEOUT).status_code
        == 200
    )
    events = published_for(live_service, order["id"], expected=3)
    assert [e["event_type"] for e in events] == ["order.created", "order.status_changed", "order.cancelled"]
    for event in events:
        contracts.validate("events/envelope", event)
        contracts.validate(f"events/{event['event_type']}", event["payload"])
        assert event["event_id"] == event["payload"]["event_id"]
        assert event["key"] == event["payload"]["order_id"] == order["id"]
    created, changed, cancelled = (e["payload"] for e in events)
    assert created["total_amount"] == order["total_amount"] and created["items"] == order["items"]
    assert (changed["previous_status"], changed["status"]) == ("CREATED", "CANCELLED")
    assert changed["reason"] == cancelled["reason"] == "test"
    assert cancelled["refund_required"] is False


def test_every_published_event_type_has_a_contract(
    live_service: LiveProcess, api: str, customer: str
) -> None:
    assert published_for(live_service, create(api, customer)["id"], expected=1), "order.created not published"
    resp = HTTP.get(f"{live_service.url}/api/v1/admin/events", params={"limit": 1000}, timeout=TIMEOUT)
    seen = {e["event_type"] for e in resp.json()["data"]}
    assert {f"events/{t}" for t in seen} <= set(contracts.names("events/"))
