"""The simulator's issue table matches PayPal's official specs (the copies in ``specs/``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

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
