"""The simulator's issue table matches PayPal's official specs (the copies in ``specs/``)."""

from __future__ import annotations

import json
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
