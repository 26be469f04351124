"""Orders v2 confirm-payment-source and package tracking (``/track``, ``/trackers/{id}``), with the order
state rules and PayPal's issues; every body is checked against the official spec."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from .support import PayPalClient, order_body

ITEMS_ORDER = {
    "intent": "CAPTURE",
    "purchase_units": [
        {
            "amount": {
                "currency_code": "USD",
                "value": "20.00",
                "breakdown": {"item_total": {"currency_code": "USD", "value": "20.00"}},
            },
            "items": [
                {
                    "name": "Shirt",
                    "sku": "sku01",
                    "quantity": "1",
                    "unit_amount": {"currency_code": "USD", "value": "20.00"},
                }
            ],
        }
    ],
}
CARD = {"number": "4111111111111111", "expiry": "2035-12", "name": "Jane Doe"}


def confirm(pp: PayPalClient, order_id: str, body: Any, expect: int, **kw: Any) -> dict[str, Any]:
    resp = pp.call(
        "orders.confirm",
        "POST",
        f"/v2/checkout/orders/{order_id}/confirm-payment-source",
        expect,
        json=body,
        **kw,
    )
    data: dict[str, Any] = resp.json()
    return data


def track(pp: PayPalClient, order_id: str, body: Any, expect: int) -> dict[str, Any]:
    resp = pp.call("orders.track.create", "POST", f"/v2/checkout/orders/{order_id}/track", expect, json=body)
    data: dict[str, Any] = resp.json()
    return data


def patch(pp: PayPalClient, order_id: str, tracker_id: str, body: Any, expect: int) -> requests.Response:
    path = f"/v2/checkout/orders/{order_id}/trackers/{tracker_id}"
    return pp.call("orders.trackers.patch", "PATCH", path, expect, json=body)


def issue(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["details"][0]["issue"], body["details"][0].get("field")


def captured(pp: PayPalClient, body: dict[str, Any] | None = None) -> tuple[str, str]:
    order = pp.create(body or ITEMS_ORDER)
    pp.approve(order["id"])
    capture = pp.capture(order["id"]).json()["purchase_units"][0]["payments"]["captures"][0]
    return order["id"], capture["id"]


# -- confirm-payment-source ------------------------------------------------------------------------------
def test_confirming_the_paypal_wallet_asks_the_payer(pp: PayPalClient) -> None:
    order = pp.create(order_body())
    body = {
        "payment_source": {
            "paypal": {
                "email_address": "buyer@example.com",
                "experience_context": {
                    "return_url": "https://shop.example/ok",
                    "cancel_url": "https://shop.example/no",
                },
            }
        }
    }
    out = confirm(pp, order["id"], body, 200)
    assert out["status"] == "PAYER_ACTION_REQUIRED" and set(out) == {
        "id",
        "status",
        "payment_source",
        "links",
    }
    rels = {link["rel"]: link["href"] for link in out["links"]}
    assert rels["payer-action"] == f"{pp.base}/checkoutnow?token={order['id']}"
    assert out["payment_source"]["paypal"]["email_address"] == "buyer@example.com"
    approved = requests.get(rels["payer-action"], allow_redirects=False, timeout=10)
    assert approved.status_code == 302 and approved.headers["Location"].startswith("https://shop.example/ok?")
    assert pp.get(order["id"])["payer"]["email_address"] == "buyer@example.com"
    assert pp.capture(order["id"]).json()["status"] == "COMPLETED"


def test_confirming_a_card_approves_and_representation_shows_the_order(pp: PayPalClient) -> None:
    order = pp.create(order_body())
    out = confirm(
        pp, order["id"], {"payment_source": {"card": CARD}}, 200, headers={"Prefer": "return=representation"}
    )
    assert out["status"] == "APPROVED" and out["intent"] == "CAPTURE" and "purchase_units" in out
    assert out["payment_source"]["card"] == {
        "name": "Jane Doe",
        "last_digits": "1111",
        "expiry": "2035-12",
        "brand": "VISA",
        "type": "CREDIT",
    }
    again = confirm(pp, order["id"], {"payment_source": {"card": CARD}}, 422)
    assert issue(again) == ("PAYMENT_ALREADY_APPROVED", None)
    pp.capture(order["id"])
    done = confirm(pp, order["id"], {"payment_source": {"paypal": {}}}, 422)
    assert issue(done) == ("ORDER_ALREADY_CAPTURED", None)


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        ({}, 400, ("MISSING_REQUIRED_PARAMETER", "/payment_source")),
        ({"payment_source": {}}, 422, ("NO_PAYMENT_SOURCE_PROVIDED", "/payment_source")),
        ({"payment_source": {"card": CARD, "paypal": {}}}, 422,
         ("ONLY_ONE_PAYMENT_SOURCE_ALLOWED", "/payment_source")),
        ({"payment_source": {"venmo": {}}}, 422, ("PAYMENT_SOURCE_CANNOT_BE_USED", "/payment_source/venmo")),
        ({"payment_source": {"paypal": {}}, "processing_instruction": "ORDER_COMPLETE_ON_PAYMENT_APPROVAL"},
         422, ("UNSUPPORTED_PROCESSING_INSTRUCTION", "/processing_instruction")),
        ({"payment_source": {"card": {"number": "4111", "expiry": "2035-12"}}}, 400,
         ("INVALID_PARAMETER_VALUE", "/payment_source/card/number")),
        ({"payment_source": {"paypal": {"email_address": 0}}}, 400,
         ("INVALID_PARAMETER_SYNTAX", "/payment_source/paypal/email_address")),
        ({"payment_source": {"paypal": {}}, "application_context": {"return_url": "not a url"}}, 400,
         ("INVALID_PARAMETER_SYNTAX", "/application_context/return_url")),
    ],
)  # fmt: skip
def test_confirm_refusals(pp: PayPalClient, body: Any, status: int, expected: tuple[str, str]) -> None:
    order = pp.create(order_body())
    assert issue(confirm(pp, order["id"], body, status)) == expected
    assert pp.get(order["id"])["status"] == "CREATED"


def test_confirm_an_unknown_order_is_404(pp: PayPalClient) -> None:
    resp = pp.session.post(
        pp.base + "/v2/checkout/orders/NOSUCHORDER1/confirm-payment-source",
        json={"payment_source": {"paypal": {}}},
        timeout=10,
    )
    assert resp.status_code == 404 and issue(resp.json()) == ("INVALID_RESOURCE_ID", "order_id")


# -- tracking ---------------------------------------------------------------------------------------------
def test_track_a_captured_order_then_cancel_the_tracker(pp: PayPalClient, sim: Any) -> None:
    order_id, capture_id = captured(pp)
    body = {
        "capture_id": capture_id,
        "tracking_number": "443844607820",
        "carrier": "FEDEX",
        "notify_payer": False,
        "items": [{"name": "Shirt", "sku": "sku01", "quantity": "1"}],
    }
    out = track(pp, order_id, body, 201)
    assert out["id"] == order_id and out["status"] == "COMPLETED" and out["intent"] == "CAPTURE"
    tracker = out["purchase_units"][0]["shipping"]["trackers"][0]
    assert tracker["id"] == capture_id + "443844607820" and tracker["status"] == "SHIPPED"
    assert tracker["items"] == body["items"]
    assert pp.get(order_id)["purchase_units"][0]["shipping"]["trackers"] == [tracker]
    assert track(pp, order_id, body, 200)["purchase_units"][0]["shipping"]["trackers"] == [tracker]  # a retry
    patch(pp, order_id, tracker["id"], [{"op": "replace", "path": "/status", "value": "CANCELLED"}], 204)
    patch(pp, order_id, tracker["id"], [{"op": "replace", "path": "/notify_payer", "value": True}], 204)
    assert pp.get(order_id)["purchase_units"][0]["shipping"]["trackers"][0]["status"] == "CANCELLED"
    inspected = requests.get(f"{pp.control}paypal/orders/{order_id}", timeout=10).json()
    assert inspected["trackers"] == [
        {"id": tracker["id"], "capture_id": capture_id, "tracking_number": "443844607820", "carrier": "FEDEX",
         "notify_payer": True, "status": "CANCELLED"}
    ]  # fmt: skip


def test_a_tracker_without_a_tracking_number_gets_a_generated_id(pp: PayPalClient) -> None:
    order_id, capture_id = captured(pp, order_body())
    tracker = track(pp, order_id, {"capture_id": capture_id}, 201)["purchase_units"][0]["shipping"][
        "trackers"
    ][0]
    assert re.fullmatch(capture_id + r"[A-Z0-9]{12}", tracker["id"]) and "items" not in tracker
    patch(pp, order_id, tracker["id"], [{"op": "add", "path": "/notify_payer", "value": True}], 204)
    twice = patch(pp, order_id, tracker["id"], [{"op": "add", "path": "/notify_payer", "value": True}], 400)
    assert issue(twice.json()) == ("INVALID_PATCH_OPERATION", "/0/op")


def test_track_state_rules(pp: PayPalClient) -> None:
    created = pp.create(order_body())
    not_captured = track(pp, created["id"], {"capture_id": "0ABCDEF1234567890"}, 422)
    assert issue(not_captured) == ("CAPTURE_ID_NOT_FOUND", "/capture_id")
    order_id, capture_id = captured(pp, ITEMS_ORDER)
    other = track(pp, order_id, {"capture_id": "0ABCDEF1234567890"}, 422)
    assert issue(other) == ("CAPTURE_ID_NOT_FOUND", "/capture_id")
    sku = track(pp, order_id, {"capture_id": capture_id, "items": [{"sku": "nope"}]}, 422)
    assert issue(sku) == ("ITEM_SKU_MISMATCH", "/items/0/sku")
    pp.call("payments.refund", "POST", f"/v2/payments/captures/{capture_id}/refund", 201, json={})
    refunded = track(pp, order_id, {"capture_id": capture_id}, 422)
    assert issue(refunded) == ("CAPTURE_STATUS_NOT_VALID", "/capture_id")
    two_units = {
        "intent": "CAPTURE",
        "purchase_units": [
            {"reference_id": "a", "amount": {"currency_code": "USD", "value": "1.00"}},
            {"reference_id": "b", "amount": {"currency_code": "USD", "value": "2.00"}},
        ],
    }
    msp_id, msp_capture = captured(pp, two_units)
    assert issue(track(pp, msp_id, {"capture_id": msp_capture}, 422)) == ("MSP_NOT_SUPPORTED", None)


def test_a_declined_capture_cannot_be_tracked(pp: PayPalClient) -> None:
    order = pp.create({**order_body(), "payment_source": {"card": {**CARD, "name": "CCREJECT-REFUSED"}}},
                      headers={"PayPal-Request-Id": "declined-card-1"})  # fmt: skip
    capture = pp.capture(order["id"]).json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "DECLINED"
    assert issue(track(pp, order["id"], {"capture_id": capture["id"]}, 422)) == (
        "CAPTURE_STATUS_NOT_VALID",
        "/capture_id",
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, ("MISSING_REQUIRED_PARAMETER", "/capture_id")),
        ({"capture_id": "X", "tracking_number": "123"}, ("MISSING_REQUIRED_PARAMETER", "/carrier")),
        ({"capture_id": "X", "tracking_number": "123", "carrier": "OTHER"},
         ("MISSING_REQUIRED_PARAMETER", "/carrier_name_other")),
        ({"capture_id": "X", "carrier": "NOT_A_CARRIER"}, ("INVALID_PARAMETER_VALUE", "/carrier")),
        ({"capture_id": "bad id!"}, ("INVALID_PARAMETER_SYNTAX", "/capture_id")),
        ({"capture_id": "X", "items": [{"quantity": "0"}]},
         ("INVALID_PARAMETER_SYNTAX", "/items/0/quantity")),
        ({"capture_id": "X", "tracking_number": ""}, ("INVALID_STRING_LENGTH", "/tracking_number")),
    ],
)  # fmt: skip
def test_track_request_errors(pp: PayPalClient, body: Any, expected: tuple[str, str]) -> None:
    order_id, _ = captured(pp, order_body())
    assert expected in {(d["issue"], d.get("field")) for d in track(pp, order_id, body, 400)["details"]}


@pytest.mark.parametrize(
    ("ops", "status", "expected"),
    [
        ([{"op": "replace", "path": "/status", "value": "SHIPPED"}], 400,
         ("INVALID_PARAMETER_VALUE", "/0/value")),
        ([{"op": "add", "path": "/status", "value": "CANCELLED"}], 400, ("INVALID_PATCH_OPERATION", "/0/op")),
        ([{"op": "replace", "path": "/notify_payer", "value": True}], 400,
         ("INVALID_PATCH_OPERATION", "/0/op")),
        ([{"op": "remove", "path": "/items"}], 400, ("INVALID_PATCH_OPERATION", "/0/op")),
        ([{"op": "move", "path": "/items", "from": "/x"}], 400, ("INVALID_PARAMETER_VALUE", "/0/op")),
        ([{"op": "replace", "path": "/carrier", "value": "UPS"}], 400, ("FIELD_NOT_PATCHABLE", "/0/path")),
        ([{"op": "replace", "path": "/colour", "value": "red"}], 422, ("NOT_PATCHABLE", "/0/path")),
        ([{"op": "replace", "path": "status", "value": "CANCELLED"}], 422,
         ("INVALID_JSON_POINTER_FORMAT", "/0/path")),
        ([{"op": "replace", "value": "CANCELLED"}], 422, ("PATCH_PATH_REQUIRED", "/0/path")),
        ([{"op": "replace", "path": "/status"}], 422, ("PATCH_VALUE_REQUIRED", "/0/value")),
        ([{"op": "replace", "path": "/items", "value": [{"sku": "other"}]}], 422,
         ("ITEM_SKU_MISMATCH", "/0/value/0/sku")),
        ([{"op": "replace", "path": "/items", "value": [{"quantity": 1}]}], 400,
         ("INVALID_PARAMETER_VALUE", "/0/value/0/quantity")),
        ([{"path": "/status"}], 400, ("MISSING_REQUIRED_PARAMETER", "/0/op")),
        ({"op": "replace"}, 400, ("MALFORMED_REQUEST_JSON", None)),
    ],
)  # fmt: skip
def test_tracker_patch_errors(
    pp: PayPalClient, ops: Any, status: int, expected: tuple[str, str | None]
) -> None:
    order_id, capture_id = captured(pp)
    tracker = track(pp, order_id, {"capture_id": capture_id, "items": [{"sku": "sku01"}]}, 201)
    tracker_id = tracker["purchase_units"][0]["shipping"]["trackers"][0]["id"]
    assert issue(patch(pp, order_id, tracker_id, ops, status).json()) == expected
    after = pp.get(order_id)["purchase_units"][0]["shipping"]["trackers"][0]
    assert after["status"] == "SHIPPED" and after["items"] == [{"sku": "sku01"}]


def test_an_unknown_tracker_is_404(pp: PayPalClient) -> None:
    order_id, _ = captured(pp, order_body())
    body = [{"op": "replace", "path": "/status", "value": "CANCELLED"}]
    for oid in (order_id, "NOSUCHORDER1"):
        resp = patch(pp, oid, "NOSUCHTRACKER", body, 404)
        assert issue(resp.json()) == ("TRACKER_ID_NOT_FOUND", "tracker_id")
        assert resp.json()["details"][0]["location"] == "path"
