"""The simulator's issue table and request schemas match PayPal's official specs (the copies in
``specs/``), and the compiled request validator agrees with ``jsonschema``."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.paypal import validation_schema

from .spec import SPECS

ISSUES = Path(__file__).resolve().parents[3] / "simulators" / "paypal" / "issues.json"
TABLES = {
    "orders.create": {"400": "400", "422": "422"},
    "orders.patch": {"400": "orders.patch-400", "422": "orders.patch-422"},
    "orders.authorize": {
        "400": "orders.authorize-400",
        "403": "orders.authorize-403",
        "422": "orders.authorize-422",
    },
    "orders.capture": {"400": "orders.capture-400", "403": "orders.capture-403", "422": "orders.capture-422"},
    "orders.confirm": {"400": "orders.confirm-400", "422": "orders.confirm-422"},
    "orders.track.create": {
        "400": "orders.track.create-400",
        "403": "orders.track.create-403",
        "422": "orders.track.create-422",
    },
    "orders.trackers.patch": {
        "400": "orders.trackers.patch-400",
        "403": "orders.trackers.patch-403",
        "404": "orders.trackers.patch-404",
        "422": "orders.trackers.patch-422",
    },
    "orders": {"401": "401", "403": "403", "404": "404"},
}


def test_issue_table_is_the_specs() -> None:
    schemas = json.loads((SPECS / "checkout_orders_v2.json").read_text("utf-8"))["components"]["schemas"]
    table = json.loads(ISSUES.read_text("utf-8"))
    for op, statuses in TABLES.items():
        for status, name in statuses.items():
            expected = {
                item["title"]: item["properties"]["description"]["enum"][0]
                for item in schemas[name]["properties"]["details"]["items"]["anyOf"]
            }
            assert table[op][status] == expected, (op, status)


def test_request_schemas_are_the_specs() -> None:
    """``simulators/paypal/request_schemas.json`` is the spec's component schemas, unchanged, and holds every
    schema its roots reference (so request validation follows the official spec)."""
    schemas = json.loads((SPECS / "checkout_orders_v2.json").read_text("utf-8"))["components"]["schemas"]
    packaged = json.loads((ISSUES.with_name("request_schemas.json")).read_text("utf-8"))["components"][
        "schemas"
    ]
    assert all(packaged[name] == schemas[name] for name in packaged)
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(packaged)))
    assert refs <= set(packaged), sorted(refs - set(packaged))
    assert {"order_request", "confirm_order_request", "order_tracker_request", "patch_request"} <= set(
        packaged
    )


# -- the compiled fast path agrees with jsonschema -------------------------------------------------------
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_TRICKY_STRINGS = st.sampled_from(
    ["", "x", "US", "usd", "USD\n", "https://example.com/r", "not a uri", "a@b.c", "2024-13", "٣", "A" * 300]
)
_PLACES = (
    ("payer",),
    ("payer", "email_address"),
    ("payer", "name"),
    ("payer", "address", "country_code"),
    ("application_context",),
    ("application_context", "return_url"),
    ("application_context", "shipping_preference"),
    ("payment_source", "paypal"),
    ("payment_source", "paypal", "experience_context", "locale"),
    ("purchase_units", 0, "shipping"),
    ("purchase_units", 0, "shipping", "address", "postal_code"),
    ("purchase_units", 0, "items", 0, "url"),
    ("purchase_units", 0, "items", 0, "upc", "code"),
    ("purchase_units", 0, "payee", "email_address"),
)


def _plant(body: dict[str, Any], place: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for key, nxt in zip(place, place[1:], strict=False):
        if isinstance(key, int):
            node = node[key]
            continue
        if not isinstance(node.get(key), (dict, list)):
            node[key] = [{}] if isinstance(nxt, int) else {}
        node = node[key]
    node[place[-1]] = value
    return out


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    place=st.sampled_from(_PLACES),
    value=_JSON | _TRICKY_STRINGS,
)
def test_the_compiled_validator_never_passes_what_jsonschema_refuses(
    place: tuple[str | int, ...], value: Any
) -> None:
    base = {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "amount": {"currency_code": "USD", "value": "10.00"},
                "items": [
                    {"name": "w", "quantity": "1", "unit_amount": {"currency_code": "USD", "value": "1"}}
                ],
            }
        ],
    }
    body = _plant(base, place, value)
    if validation_schema.compiled("order_request").is_valid(body):
        assert list(validation_schema._validator("order_request").iter_errors(body)) == []
