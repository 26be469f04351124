"""Orders v2: create (validation by issue code), get, Prefer, PATCH. Bodies are checked against the spec."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from .spec import assert_valid
from .support import PayPalClient, order_body

BREAKDOWN_ORDER: dict[str, Any] = {
    "intent": "CAPTURE",
    "purchase_units": [
        {
            "reference_id": "ref-1",
            "custom_id": "ord_1",
            "invoice_id": "INV-1",
            "description": "Two widgets",
            "amount": {
                "currency_code": "USD",
                "value": "54.48",
                "breakdown": {
                    "item_total": {"currency_code": "USD", "value": "49.98"},
                    "tax_total": {"currency_code": "USD", "value": "1.00"},
                    "shipping": {"currency_code": "USD", "value": "5.00"},
                    "discount": {"currency_code": "USD", "value": "1.50"},
                },
            },
            "items": [
                {
                    "name": "Widget",
                    "quantity": "2",
                    "unit_amount": {"currency_code": "USD", "value": "24.99"},
                    "tax": {"currency_code": "USD", "value": "0.50"},
                    "category": "PHYSICAL_GOODS",
                }
            ],
            "shipping": {
                "name": {"full_name": "Jane Doe"},
                "address": {"address_line_1": "1 Main St", "country_code": "US"},
            },
        }
    ],
}


def test_create_answers_minimal_with_hateoas_links(pp: PayPalClient) -> None:
    order = pp.create(BREAKDOWN_ORDER)
    assert set(order) == {"id", "status", "links"} and order["status"] == "CREATED"
    assert re.fullmatch(r"[A-Z0-9]{17}", order["id"])
    rels = {link["rel"]: (link["method"], link["href"]) for link in order["links"]}
    assert rels["self"] == ("GET", f"{pp.base}/v2/checkout/orders/{order['id']}")
    assert rels["approve"] == ("GET", f"{pp.base}/checkoutnow?token={order['id']}")
    assert rels["update"] == ("PATCH", f"{pp.base}/v2/checkout/orders/{order['id']}")
    assert rels["capture"] == ("POST", f"{pp.base}/v2/checkout/orders/{order['id']}/capture")


def test_representation_and_get_show_the_whole_order(pp: PayPalClient) -> None:
    full = pp.create(BREAKDOWN_ORDER, headers={"Prefer": "return=representation"})
    assert full == pp.get(full["id"])
    unit = full["purchase_units"][0]
    assert full["intent"] == "CAPTURE" and unit["reference_id"] == "ref-1"
    assert unit["amount"]["breakdown"]["discount"] == {"currency_code": "USD", "value": "1.50"}
    assert unit["custom_id"] == "ord_1" and unit["invoice_id"] == "INV-1"
    assert (
        unit["items"][0]["unit_amount"]["value"] == "24.99"
        and unit["shipping"]["name"]["full_name"] == "Jane Doe"
    )
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{13}", unit["payee"]["merchant_id"])


def test_values_are_rendered_at_the_currency_precision(pp: PayPalClient) -> None:
    jpy = pp.create(order_body("1500", "JPY"), headers={"Prefer": "return=representation"})
    assert jpy["purchase_units"][0]["amount"] == {"currency_code": "JPY", "value": "1500"}
    usd = pp.create(order_body("7", "USD"), headers={"Prefer": "return=representation"})
    assert usd["purchase_units"][0]["amount"]["value"] == "7.00"
    assert pp.get(usd["id"])["purchase_units"][0]["reference_id"] == "default"


def _unit(order: dict[str, Any]) -> dict[str, Any]:
    unit: dict[str, Any] = order["purchase_units"][0]
    return unit


def _mutate(change: Any) -> dict[str, Any]:
    body = copy.deepcopy(BREAKDOWN_ORDER)
    change(body)
    return body


BAD_REQUESTS: list[tuple[str, Any, str, str]] = [
    ("no intent", lambda b: b.pop("intent"), "MISSING_REQUIRED_PARAMETER", "/intent"),
    ("bad intent", lambda b: b.update(intent="SALE"), "INVALID_PARAMETER_VALUE", "/intent"),
    ("no units", lambda b: b.pop("purchase_units"), "MISSING_REQUIRED_PARAMETER", "/purchase_units"),
    ("empty units", lambda b: b.update(purchase_units=[]), "INVALID_ARRAY_MIN_ITEMS", "/purchase_units"),
    ("no amount", lambda b: _unit(b).pop("amount"), "MISSING_REQUIRED_PARAMETER", "/purchase_units/0/amount"),
    (
        "bad value",
        lambda b: _unit(b)["amount"].update(value="1,00"),
        "INVALID_PARAMETER_SYNTAX",
        "/purchase_units/0/amount/value",
    ),
    (
        "number value",
        lambda b: _unit(b)["amount"].update(value=10),
        "INVALID_PARAMETER_SYNTAX",
        "/purchase_units/0/amount/value",
    ),
    (
        "long custom_id",
        lambda b: _unit(b).update(custom_id="x" * 128),
        "INVALID_STRING_LENGTH",
        "/purchase_units/0/custom_id",
    ),
    (
        "currency length",
        lambda b: _unit(b)["amount"].update(currency_code="US"),
        "INVALID_STRING_LENGTH",
        "/purchase_units/0/amount/currency_code",
    ),
    (
        "bad quantity",
        lambda b: _unit(b)["items"][0].update(quantity="0"),
        "INVALID_PARAMETER_SYNTAX",
        "/purchase_units/0/items/0/quantity",
    ),
]


@pytest.mark.parametrize(("case", "change", "issue", "field"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_schema_errors_are_400_invalid_request(
    pp: PayPalClient, case: str, change: Any, issue: str, field: str
) -> None:
    body = pp.create(_mutate(change), expect=400)
    assert body["name"] == "INVALID_REQUEST"
    assert {"issue": issue, "field": field} in [
        {"issue": d["issue"], "field": d.get("field")} for d in body["details"]
    ]


def test_malformed_json_and_non_json_bodies(pp: PayPalClient) -> None:
    resp = pp.call(
        "orders.create",
        "POST",
        "/v2/checkout/orders",
        400,
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert resp.json()["details"][0]["issue"] == "MALFORMED_REQUEST_JSON"
    resp = pp.session.post(
        pp.base + "/v2/checkout/orders", data=b"a=b", headers={"Content-Type": "text/plain"}, timeout=10
    )
    assert resp.status_code == 415 and resp.json()["name"] == "UNSUPPORTED_MEDIA_TYPE"
    assert_valid("o:error_415", resp.json())


def _two_units(b: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    b["purchase_units"].append(second)
    return b


BUSINESS_ERRORS: list[tuple[str, Any, str]] = [
    ("amount mismatch", lambda b: _unit(b)["amount"].update(value="54.47"), "AMOUNT_MISMATCH"),
    (
        "item total mismatch",
        lambda b: _unit(b)["items"][0]["unit_amount"].update(value="20.00"),
        "ITEM_TOTAL_MISMATCH",
    ),
    (
        "item total required",
        lambda b: _unit(b)["amount"]["breakdown"].pop("item_total"),
        "ITEM_TOTAL_REQUIRED",
    ),
    ("tax total mismatch", lambda b: _unit(b)["items"][0]["tax"].update(value="0.40"), "TAX_TOTAL_MISMATCH"),
    ("tax total required", lambda b: _unit(b)["amount"]["breakdown"].pop("tax_total"), "TAX_TOTAL_REQUIRED"),
    ("jpy decimals", lambda b: b.update(order_body("10.5", "JPY")), "DECIMAL_PRECISION"),
    ("three decimals", lambda b: b.update(order_body("10.005")), "DECIMAL_PRECISION"),
    ("zero", lambda b: b.update(order_body("0.00")), "CANNOT_BE_ZERO_OR_NEGATIVE"),
    ("negative", lambda b: b.update(order_body("-1.00")), "CANNOT_BE_ZERO_OR_NEGATIVE"),
    (
        "negative part",
        lambda b: _unit(b)["amount"]["breakdown"]["shipping"].update(value="-5.00"),
        "CANNOT_BE_NEGATIVE",
    ),
    ("too big", lambda b: b.update(order_body("1000000000000000.00")), "MAX_VALUE_EXCEEDED"),
    ("unknown currency", lambda b: b.update(order_body("10.00", "XYZ")), "INVALID_CURRENCY_CODE"),
    (
        "two currencies",
        lambda b: _unit(b)["amount"]["breakdown"]["shipping"].update(currency_code="EUR"),
        "MULTI_CURRENCY_ORDER",
    ),
    (
        "duplicate reference",
        lambda b: _two_units(
            b, {"reference_id": "ref-1", "amount": {"currency_code": "USD", "value": "1.00"}}
        ),
        "DUPLICATE_REFERENCE_ID",
    ),
    (
        "reference required",
        lambda b: _two_units(b, {"amount": {"currency_code": "USD", "value": "1.00"}}),
        "REFERENCE_ID_REQUIRED",
    ),
    (
        "authorize with two units",
        lambda b: (
            b.update(intent="AUTHORIZE"),
            _two_units(b, {"reference_id": "r2", "amount": {"currency_code": "USD", "value": "1.00"}}),
        ),
        "UNSUPPORTED_INTENT",
    ),
]


@pytest.mark.parametrize(("case", "change", "issue"), BUSINESS_ERRORS, ids=[c[0] for c in BUSINESS_ERRORS])
def test_business_errors_are_422(pp: PayPalClient, case: str, change: Any, issue: str) -> None:
    body = pp.create(_mutate(change), expect=422)
    assert body["name"] == "UNPROCESSABLE_ENTITY" and body["details"][0]["issue"] == issue
    assert body["links"][0]["href"].endswith(f"#error-{issue}")


def test_amount_mismatch_points_at_the_unit_by_reference(pp: PayPalClient) -> None:
    body = pp.create(_mutate(lambda b: _unit(b)["amount"].update(value="50.00")), expect=422)
    assert body["details"][0] == {
        "field": "/purchase_units/@reference_id=='ref-1'/amount/value",
        "value": "50.00",
        "location": "body",
        "issue": "AMOUNT_MISMATCH",
        "description": " ".join(
            [
                "Should equal item_total + tax_total + shipping + handling + insurance",
                "- shipping_discount - discount.",
            ]
        ),
    }


def test_unknown_order_is_404_invalid_resource_id(pp: PayPalClient) -> None:
    body = pp.call("orders.get", "GET", "/v2/checkout/orders/0NOSUCHORDER00000", 404).json()
    assert body["name"] == "RESOURCE_NOT_FOUND" and body["details"][0]["issue"] == "INVALID_RESOURCE_ID"


def _patch(pp: PayPalClient, order_id: str, ops: list[dict[str, Any]], expect: int) -> dict[str, Any] | None:
    resp = pp.call("orders.patch", "PATCH", f"/v2/checkout/orders/{order_id}", expect, json=ops)
    return None if expect == 204 else resp.json()


def test_patch_replaces_amount_and_ids(pp: PayPalClient) -> None:
    order = pp.create(order_body("10.00", reference_id="A"))
    path = "/purchase_units/@reference_id=='A'"
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": path + "/amount", "value": {"currency_code": "USD", "value": "12.50"}},
        {"op": "add", "path": path + "/custom_id", "value": "ord-9"},
        {"op": "add", "path": path + "/invoice_id", "value": "INV-9"},
        {"op": "replace", "path": "/intent", "value": "AUTHORIZE"},
    ]
    assert _patch(pp, order["id"], ops, 204) is None
    got = pp.get(order["id"])
    assert got["intent"] == "AUTHORIZE" and got["update_time"] >= got["create_time"]
    assert _unit(got)["amount"]["value"] == "12.50"
    assert (_unit(got)["custom_id"], _unit(got)["invoice_id"]) == ("ord-9", "INV-9")
    _patch(pp, order["id"], [{"op": "remove", "path": path + "/custom_id"}], 204)
    assert "custom_id" not in _unit(pp.get(order["id"]))


PATCH_ERRORS: list[tuple[str, list[dict[str, Any]], int, str]] = [
    (
        "add existing",
        [{"op": "add", "path": "/purchase_units/@reference_id=='A'/amount", "value": {}}],
        400,
        "INVALID_PATCH_OPERATION",
    ),
    (
        "replace absent",
        [{"op": "replace", "path": "/purchase_units/@reference_id=='A'/invoice_id", "value": "x"}],
        400,
        "INVALID_PATCH_OPERATION",
    ),
    ("move", [{"op": "move", "from": "/a", "path": "/b"}], 400, "INVALID_PARAMETER_VALUE"),
    ("no op", [{"path": "/intent", "value": "CAPTURE"}], 400, "MISSING_REQUIRED_PARAMETER"),
    (
        "not patchable",
        [{"op": "replace", "path": "/purchase_units/@reference_id=='A'/reference_id", "value": "B"}],
        422,
        "NOT_PATCHABLE",
    ),
    ("status", [{"op": "replace", "path": "/status", "value": "APPROVED"}], 422, "NOT_PATCHABLE"),
    (
        "bad pointer",
        [{"op": "replace", "path": "/purchase_units/0/amount", "value": {}}],
        422,
        "INVALID_JSON_POINTER_FORMAT",
    ),
    (
        "unknown ref",
        [{"op": "add", "path": "/purchase_units/@reference_id=='Z'/custom_id", "value": "x"}],
        422,
        "REFERENCE_ID_NOT_FOUND",
    ),
    ("no value", [{"op": "replace", "path": "/intent"}], 422, "PATCH_VALUE_REQUIRED"),
    ("no path", [{"op": "replace", "value": "x"}], 422, "PATCH_PATH_REQUIRED"),
    (
        "breakdown mismatch",
        [
            {
                "op": "replace",
                "path": "/purchase_units/@reference_id=='A'/amount",
                "value": {
                    "currency_code": "USD",
                    "value": "9.00",
                    "breakdown": {"item_total": {"currency_code": "USD", "value": "8.00"}},
                },
            }
        ],
        422,
        "AMOUNT_MISMATCH",
    ),
]


@pytest.mark.parametrize(("case", "ops", "status", "issue"), PATCH_ERRORS, ids=[c[0] for c in PATCH_ERRORS])
def test_patch_errors(
    pp: PayPalClient, case: str, ops: list[dict[str, Any]], status: int, issue: str
) -> None:
    order = pp.create(order_body("10.00", reference_id="A"))
    body = _patch(pp, order["id"], ops, status)
    assert body is not None and body["details"][0]["issue"] == issue
    assert _unit(pp.get(order["id"]))["amount"]["value"] == "10.00"  # nothing changed


def test_a_completed_order_cannot_be_patched(pp: PayPalClient) -> None:
    order = pp.create()
    pp.approve(order["id"])
    pp.capture(order["id"])
    ops = [{"op": "add", "path": "/purchase_units/@reference_id=='default'/custom_id", "value": "x"}]
    body = _patch(pp, order["id"], ops, 422)
    assert body is not None and body["details"][0]["issue"] == "ORDER_ALREADY_COMPLETED"


def test_a_huge_item_price_is_max_value_exceeded(pp: PayPalClient) -> None:
    """A 27-digit ``unit_amount.value`` is 422 ``MAX_VALUE_EXCEEDED`` like ``amount.value`` (not a 500)."""
    huge = "1" * 27
    body = order_body(
        huge,
        items=[{"name": "x", "quantity": "1", "unit_amount": {"currency_code": "USD", "value": huge}}],
    )
    body["purchase_units"][0]["amount"]["breakdown"] = {"item_total": {"currency_code": "USD", "value": huge}}
    error = pp.create(body, expect=422)
    assert error["details"][0]["issue"] == "MAX_VALUE_EXCEEDED"


@pytest.mark.parametrize("category", [{}, [], 7])
def test_a_non_string_item_category_is_400(pp: PayPalClient, category: Any) -> None:
    """``items[].category`` of the wrong JSON type is 400 ``INVALID_PARAMETER_SYNTAX`` (not a 500)."""
    body = order_body(
        "10.00",
        items=[
            {
                "name": "x",
                "quantity": "1",
                "category": category,
                "unit_amount": {"currency_code": "USD", "value": "10.00"},
            }
        ],
    )
    error = pp.create(body, expect=400)
    assert error["details"][0] == {
        **error["details"][0],
        "issue": "INVALID_PARAMETER_SYNTAX",
        "field": "/purchase_units/0/items/0/category",
    }


@pytest.mark.parametrize(
    ("where", "field", "issue"),
    [
        ({"payment_source": {"paypal": {"email_address": 0}}}, "/payment_source/paypal/email_address",
         "INVALID_PARAMETER_SYNTAX"),
        ({"payment_source": {"paypal": {"name": {"given_name": "x" * 141}}}},
         "/payment_source/paypal/name/given_name", "INVALID_STRING_LENGTH"),
        ({"payer": {"name": {"surname": 5}}}, "/payer/name/surname", "INVALID_PARAMETER_SYNTAX"),
        ({"payer": {"address": {"country_code": "usa"}}}, "/payer/address/country_code",
         "INVALID_STRING_LENGTH"),
        ({"application_context": {"shipping_preference": "BOGUS"}},
         "/application_context/shipping_preference", "INVALID_PARAMETER_VALUE"),
        ({"application_context": {"return_url": "not a url"}}, "/application_context/return_url",
         "INVALID_PARAMETER_SYNTAX"),
        ({"payment_source": {"paypal": {"experience_context": {"locale": "english"}}}},
         "/payment_source/paypal/experience_context/locale", "INVALID_PARAMETER_SYNTAX"),
    ],
)  # fmt: skip
def test_payer_wallet_and_context_are_checked_against_the_schema(
    pp: PayPalClient, where: dict[str, Any], field: str, issue: str
) -> None:
    """``payer``, ``payment_source.paypal`` and ``application_context`` follow PayPal's request schema: a bad
    value is 400 ``INVALID_REQUEST`` naming the field, and nothing is stored to be echoed back later."""
    error = pp.create({**order_body(), **where}, expect=400)
    assert error["name"] == "INVALID_REQUEST"
    assert any(d["field"] == field and d["issue"] == issue for d in error["details"]), error["details"]
