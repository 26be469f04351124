"""The kernel around PayPal: fault bodies are PayPal's, journal accounts, reset, control OpenAPI, registry."""

from __future__ import annotations

import pytest
import requests
from openapi_spec_validator import validate

from simulators.paypal.exceptions import describe
from simulators.registry import PROVIDERS, load_wire
from simulators.testing import RunningSimulator

from .spec import assert_valid, check_response
from .support import CLIENT_ID, PayPalClient, order_body


def test_status_faults_render_paypal_error_bodies(sim: RunningSimulator, pp: PayPalClient) -> None:
    sim.fault(action={"type": "status", "status": 500}, times=1, operation="create_order")
    resp = pp.session.post(pp.base + "/v2/checkout/orders", json=order_body(), timeout=10)
    check_response("orders.create", resp)
    body = resp.json()
    assert resp.status_code == 500 and body["name"] == "INTERNAL_SERVER_ERROR"
    assert body["debug_id"] == resp.headers["Paypal-Debug-Id"]
    assert_valid("o:error_500", body)
    sim.fault(action={"type": "status", "status": 503}, times=1, path="/v2/checkout/orders*")
    unavailable = pp.session.post(pp.base + "/v2/checkout/orders", json=order_body(), timeout=10)
    assert unavailable.status_code == 503 and unavailable.json()["name"] == "SERVICE_UNAVAILABLE"
    assert_valid("o:error_503", unavailable.json())
    sim.fault(action={"type": "rate_limit", "retry_after": 7}, times=1)
    limited = pp.session.post(pp.base + "/v2/checkout/orders", json=order_body(), timeout=10)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["name"] == "RATE_LIMIT_REACHED"
    sim.fault(action={"type": "status", "status": 503}, times=1, path="/v1/notifications/*")
    v1 = pp.session.get(pp.base + "/v1/notifications/webhooks", timeout=10)
    assert v1.status_code == 503
    assert_valid("w:error", v1.json())
    assert pp.create()["status"] == "CREATED"


def test_reset_after_processing_fault_keeps_the_state_change(sim: RunningSimulator, pp: PayPalClient) -> None:
    order = pp.create()
    pp.approve(order["id"])
    sim.fault(action={"type": "reset", "after_processing": True}, times=1, operation="capture_order")
    with pytest.raises(requests.ConnectionError):  # the capture happened, but its answer was lost
        pp.session.post(f"{pp.base}/v2/checkout/orders/{order['id']}/capture", timeout=10)
    assert pp.get(order["id"])["status"] == "COMPLETED"


def test_journal_names_the_app_and_operation(sim: RunningSimulator, pp: PayPalClient) -> None:
    pp.create()
    entry = sim.client.request("GET", "journal", params={"operation": "create_order"}).json()["data"][0]
    assert entry["account"] == CLIENT_ID and entry["status"] == 201
    token = str(pp.session.headers["Authorization"])[len("Bearer ") :]
    assert entry["request_id"] and token not in str(entry)


def test_unknown_routes_use_paypal_bodies(pp: PayPalClient) -> None:
    resp = pp.session.get(pp.base + "/v2/nothing-here", timeout=10)
    assert resp.status_code == 404 and resp.json()["name"] == "RESOURCE_NOT_FOUND"
    assert_valid("o:error_404", resp.json())
    method = pp.session.delete(pp.base + "/v2/checkout/orders", timeout=10)
    assert method.status_code == 405 and method.json()["name"] == "METHOD_NOT_SUPPORTED"


def test_reset_forgets_orders_but_keeps_apps_and_tokens(sim: RunningSimulator, pp: PayPalClient) -> None:
    order = pp.create()
    sim.client.request("POST", "reset")
    assert pp.call("orders.get", "GET", f"/v2/checkout/orders/{order['id']}", 404).status_code == 404


def test_control_openapi_is_valid_and_lists_paypal_routes(sim: RunningSimulator) -> None:
    doc = sim.client.request("GET", "openapi.json").json()
    validate(doc)
    assert "/_sim/paypal/orders/{order_id}/approve" in doc["paths"]
    assert "post" in doc["paths"]["/_sim/paypal/apps"]


def test_registered_in_the_registry() -> None:
    spec = PROVIDERS["paypal"]
    assert (spec.default_port, spec.plugin) == (12112, "simulators.paypal.provider:PayPalProvider")
    assert load_wire("paypal") is not None


def test_issue_descriptions_follow_the_operation() -> None:
    capture = describe("orders.capture", "ORDER_NOT_APPROVED")
    authorize = describe("orders.authorize", "ORDER_NOT_APPROVED")
    assert capture is not None and authorize is not None and capture != authorize
    assert describe("orders.create", "PAYER_CANNOT_PAY") != describe("orders.capture", "PAYER_CANNOT_PAY")
    assert describe("payments.captures.refund", "REFUND_AMOUNT_EXCEEDED") == (
        422,
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded.",
    )
