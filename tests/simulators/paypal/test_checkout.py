"""The checkout lifecycle: approval (link, control, cancel), capture, refunds, authorize, idempotency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from simulators.testing import RunningSimulator

from .spec import assert_valid
from .support import PayPalClient, order_body, with_context


def _link(resource: dict[str, Any], rel: str) -> str:
    return next(str(link["href"]) for link in resource["links"] if link["rel"] == rel)


def _captures(order: dict[str, Any]) -> list[dict[str, Any]]:
    captures: list[dict[str, Any]] = order["purchase_units"][0]["payments"]["captures"]
    return captures


def test_approve_link_shows_a_page_or_redirects_to_return_url(pp: PayPalClient) -> None:
    plain = pp.create()
    page = requests.get(_link(plain, "approve"), timeout=10)
    assert (
        page.status_code == 200
        and "approved" in page.text
        and page.headers["Content-Type"].startswith("text/html")
    )
    assert pp.get(plain["id"])["status"] == "APPROVED"
    order = pp.create(
        with_context(
            order_body(), return_url="https://shop.example/return?x=1", cancel_url="https://c.example"
        )
    )
    resp = requests.get(_link(order, "approve"), allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    query = parse_qs(target.query)
    approved = pp.get(order["id"])
    assert (target.netloc, target.path) == ("shop.example", "/return")
    assert query == {"x": ["1"], "token": [order["id"]], "PayerID": [approved["payer"]["payer_id"]]}
    assert approved["status"] == "APPROVED"
    assert {link["rel"] for link in approved["links"]} == {"self", "update", "capture"}
    assert approved["payment_source"]["paypal"]["account_status"] == "VERIFIED"
    assert requests.get(f"{pp.base}/checkoutnow?token=NOPE", timeout=10).status_code == 404


def test_control_approve_with_a_chosen_buyer(sim: RunningSimulator, pp: PayPalClient) -> None:
    order = pp.create(with_context(order_body(), return_url="https://shop.example/r"))
    result = pp.approve(order["id"], email_address="alice@example.com", given_name="Alice", surname="Liddell")
    assert result["redirect"].startswith("https://shop.example/r?token=" + order["id"])
    assert_valid("o:order", result["order"])
    got = pp.get(order["id"])
    assert (
        got["payer"]["email_address"] == "alice@example.com" and got["payer"]["name"]["given_name"] == "Alice"
    )
    assert pp.approve(order["id"])["order"]["status"] == "APPROVED"  # idempotent
    assert sim.client.request("POST", "paypal/orders/NOPE/approve").status_code == 404


def test_buyer_cancel_leaves_the_order_unapproved(sim: RunningSimulator, pp: PayPalClient) -> None:
    order = pp.create(with_context(order_body(), cancel_url="https://shop.example/cancel"))
    resp = sim.client.request("POST", f"paypal/orders/{order['id']}/cancel")
    assert resp.status_code == 200
    assert resp.json()["redirect"] == f"https://shop.example/cancel?token={order['id']}"
    assert pp.get(order["id"])["status"] == "CREATED"
    assert sim.client.request("GET", f"paypal/orders/{order['id']}").json()["payer_cancelled"] is True
    body = pp.capture(order["id"], 422).json()
    assert body["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    pp.approve(order["id"])
    assert sim.client.request("POST", f"paypal/orders/{order['id']}/cancel").status_code == 409


def test_capture_before_approval_then_capture_then_again(pp: PayPalClient) -> None:
    order = pp.create(order_body("100.00", invoice_id="INV-100", custom_id="ord-100"))
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    pp.approve(order["id"])
    done = pp.capture(order["id"]).json()
    assert done["status"] == "COMPLETED" and set(done) == {
        "id",
        "status",
        "payment_source",
        "purchase_units",
        "payer",
        "links",
    }
    capture = _captures(done)[0]
    assert capture["status"] == "COMPLETED" and capture["final_capture"] is True
    assert capture["amount"] == {"currency_code": "USD", "value": "100.00"}
    assert capture["seller_protection"]["status"] == "ELIGIBLE"
    breakdown = capture["seller_receivable_breakdown"]
    assert breakdown["paypal_fee"]["value"] == "3.98"  # 3.49 % + 0.49 USD
    assert Decimal(breakdown["net_amount"]["value"]) + Decimal("3.98") == Decimal("100.00")
    assert (capture["invoice_id"], capture["custom_id"]) == ("INV-100", "ord-100")
    assert {link["rel"] for link in capture["links"]} == {"self", "refund", "up"}
    again = pp.capture(order["id"], 422).json()
    assert again["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"
    standalone = pp.call("payments.capture", "GET", f"/v2/payments/captures/{capture['id']}", 200).json()
    assert standalone["supplementary_data"]["related_ids"]["order_id"] == order["id"]
    assert (
        requests.get(_link(capture, "up"), headers=pp.session.headers, timeout=10).json()["status"]
        == "COMPLETED"
    )


def test_capture_representation_is_the_full_order(pp: PayPalClient) -> None:
    order = pp.create()
    pp.approve(order["id"])
    full = pp.capture(order["id"], headers={"Prefer": "return=representation"}).json()
    assert full["intent"] == "CAPTURE" and full == pp.get(order["id"])


def test_paypal_request_id_replays_for_six_simulated_hours(sim: RunningSimulator, pp: PayPalClient) -> None:
    first = pp.create(expect=201, headers={"PayPal-Request-Id": "order-1-attempt-1"})
    replay = pp.create(order_body("99.00"), expect=200, headers={"PayPal-Request-Id": "order-1-attempt-1"})
    assert replay == first
    pp.approve(first["id"])
    captured = pp.capture(first["id"], headers={"PayPal-Request-Id": "cap-1"}).json()
    assert pp.capture(first["id"], 200, headers={"PayPal-Request-Id": "cap-1"}).json() == captured
    sim.client.request("POST", "clock", json={"advance": 6 * 3600})
    fresh = PayPalClient(sim.url)
    later = fresh.create(expect=201, headers={"PayPal-Request-Id": "order-1-attempt-1"})
    assert later["id"] != first["id"]
    assert fresh.capture(first["id"], 422, headers={"PayPal-Request-Id": "cap-1"}).json()["details"][0][
        "issue"
    ] == ("ORDER_ALREADY_CAPTURED")


def test_errors_are_not_remembered_by_request_id(pp: PayPalClient) -> None:
    order = pp.create()
    assert pp.capture(order["id"], 422, headers={"PayPal-Request-Id": "cap-x"}).status_code == 422
    pp.approve(order["id"])
    assert (
        pp.capture(order["id"], 201, headers={"PayPal-Request-Id": "cap-x"}).json()["status"] == "COMPLETED"
    )


def test_duplicate_invoice_id_is_refused_on_capture(pp: PayPalClient) -> None:
    pp.paid_capture(order_body(invoice_id="INV-DUP"))
    order = pp.create(order_body(invoice_id="INV-DUP"))
    pp.approve(order["id"])
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "DUPLICATE_INVOICE_ID"
    assert pp.get(order["id"])["status"] == "APPROVED"


def _refund(
    pp: PayPalClient, capture_id: str, expect: int, body: Any = None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    path = f"/v2/payments/captures/{capture_id}/refund"
    data: dict[str, Any] = pp.call("payments.refund", "POST", path, expect, json=body, headers=headers).json()
    return data


def test_partial_then_full_refund(pp: PayPalClient) -> None:
    capture = pp.paid_capture(order_body("30.00"))
    partial = _refund(
        pp,
        capture["id"],
        201,
        {"amount": {"currency_code": "USD", "value": "10.00"}, "note_to_payer": "sorry"},
    )
    assert set(partial) == {"id", "status", "links"} and partial["status"] == "COMPLETED"
    assert (
        pp.call("payments.capture", "GET", f"/v2/payments/captures/{capture['id']}", 200).json()["status"]
        == "PARTIALLY_REFUNDED"
    )
    too_much = _refund(pp, capture["id"], 422, {"amount": {"currency_code": "USD", "value": "20.01"}})
    assert too_much["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    rest = _refund(pp, capture["id"], 201, None, headers={"Prefer": "return=representation"})
    assert (
        rest["amount"]["value"] == "20.00"
        and rest["seller_payable_breakdown"]["gross_amount"]["value"] == "20.00"
    )
    assert _link(rest, "up").endswith(f"/v2/payments/captures/{capture['id']}")
    assert _refund(pp, capture["id"], 422)["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"
    got = pp.call("payments.refund", "GET", f"/v2/payments/refunds/{partial['id']}", 200).json()
    assert got["note_to_payer"] == "sorry" and got["amount"]["value"] == "10.00"
    order_id = pp.call("payments.capture", "GET", f"/v2/payments/captures/{capture['id']}", 200).json()[
        "supplementary_data"
    ]["related_ids"]["order_id"]
    unit = pp.get(order_id)["purchase_units"][0]
    assert unit["payments"]["captures"][0]["status"] == "REFUNDED" and len(unit["payments"]["refunds"]) == 2


def test_refund_replay_and_errors(pp: PayPalClient) -> None:
    capture = pp.paid_capture()
    first = _refund(
        pp,
        capture["id"],
        201,
        {"amount": {"currency_code": "USD", "value": "1.00"}},
        headers={"PayPal-Request-Id": "r-1"},
    )
    assert (
        _refund(
            pp,
            capture["id"],
            200,
            {"amount": {"currency_code": "USD", "value": "1.00"}},
            headers={"PayPal-Request-Id": "r-1"},
        )
        == first
    )
    wrong = _refund(pp, capture["id"], 422, {"amount": {"currency_code": "EUR", "value": "1.00"}})
    assert wrong["details"][0]["issue"] == "REFUND_CAPTURE_CURRENCY_MISMATCH"
    assert (
        _refund(pp, capture["id"], 400, {"amount": {"currency_code": "USD"}})["details"][0]["issue"]
        == "MISSING_REQUIRED_PARAMETER"
    )
    missing = pp.call("payments.refund", "POST", "/v2/payments/captures/NOPE/refund", 404).json()
    assert missing["details"][0]["issue"] == "INVALID_RESOURCE_ID"


def test_authorize_then_capture_and_void(pp: PayPalClient) -> None:
    body = order_body("50.00")
    body["intent"] = "AUTHORIZE"
    order = pp.create(body)
    assert {link["rel"] for link in order["links"]} == {"self", "approve", "update", "authorize"}
    assert pp.capture(order["id"], 422).json()["details"][0]["issue"] == "ACTION_DOES_NOT_MATCH_INTENT"
    path = f"/v2/checkout/orders/{order['id']}/authorize"
    assert (
        pp.call("orders.authorize", "POST", path, 422).json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"
    )
    pp.approve(order["id"])
    done = pp.call("orders.authorize", "POST", path, 201).json()
    auth = done["purchase_units"][0]["payments"]["authorizations"][0]
    assert done["status"] == "COMPLETED" and auth["status"] == "CREATED" and "expiration_time" in auth
    assert (
        pp.call("orders.authorize", "POST", path, 422).json()["details"][0]["issue"]
        == "ORDER_ALREADY_AUTHORIZED"
    )
    apath = f"/v2/payments/authorizations/{auth['id']}"
    first = pp.call(
        "payments.capture",
        "POST",
        apath + "/capture",
        201,
        json={"amount": {"currency_code": "USD", "value": "20.00"}},
    ).json()
    assert first["status"] == "COMPLETED"
    assert pp.call("payments.authorization", "GET", apath, 200).json()["status"] == "PARTIALLY_CAPTURED"
    over = pp.call(
        "payments.capture",
        "POST",
        apath + "/capture",
        422,
        json={"amount": {"currency_code": "USD", "value": "30.01"}},
    )
    assert over.json()["details"][0]["issue"] == "MAX_CAPTURE_AMOUNT_EXCEEDED"
    assert pp.call("payments.authorization", "POST", apath + "/void", 204).content == b""
    voided = pp.call("payments.authorization", "GET", apath, 200).json()
    assert voided["status"] == "VOIDED" and {link["rel"] for link in voided["links"]} == {"self", "up"}
    again = pp.call("payments.capture", "POST", apath + "/capture", 422).json()
    assert again["details"][0]["issue"] == "AUTHORIZATION_VOIDED"
    captures = pp.get(order["id"])["purchase_units"][0]["payments"]["captures"]
    assert [c["amount"]["value"] for c in captures] == ["20.00"]


def test_wrong_intent_for_authorize(pp: PayPalClient) -> None:
    order = pp.create()
    pp.approve(order["id"])
    path = f"/v2/checkout/orders/{order['id']}/authorize"
    assert (
        pp.call("orders.authorize", "POST", path, 422).json()["details"][0]["issue"]
        == "ACTION_DOES_NOT_MATCH_INTENT"
    )


def test_payment_source_paypal_returns_payer_action(pp: PayPalClient) -> None:
    body = order_body()
    body["payment_source"] = {
        "paypal": {
            "email_address": "bob@example.com",
            "experience_context": {"return_url": "https://shop.example/ok"},
        }
    }
    order = pp.create(body)
    assert order["status"] == "PAYER_ACTION_REQUIRED"
    assert [link["rel"] for link in order["links"]] == ["self", "payer-action"]
    resp = requests.get(_link(order, "payer-action"), allow_redirects=False, timeout=10)
    assert resp.status_code == 302 and resp.headers["Location"].startswith("https://shop.example/ok?token=")
    assert pp.get(order["id"])["payer"]["email_address"] == "bob@example.com"


def test_card_orders_need_a_request_id_and_are_approved_at_once(pp: PayPalClient) -> None:
    body = order_body()
    body["payment_source"] = {"card": {"name": "Jane Doe", "number": "4012888888881881", "expiry": "2030-12"}}
    needs = pp.create(body, expect=400)
    assert needs["details"][0]["issue"] == "PAYPAL_REQUEST_ID_REQUIRED"
    order = pp.create(body, headers={"PayPal-Request-Id": "card-1"})
    assert order["status"] == "APPROVED"
    captured = pp.capture(order["id"]).json()
    assert captured["payment_source"]["card"] == {
        "name": "Jane Doe",
        "last_digits": "1881",
        "expiry": "2030-12",
        "brand": "VISA",
        "type": "CREDIT",
    }
    capture = _captures(captured)[0]
    assert capture["status"] == "COMPLETED" and capture["processor_response"]["response_code"] == "0000"
    assert capture["seller_protection"] == {"status": "NOT_ELIGIBLE"}
