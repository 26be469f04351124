"""``PATCH /v2/checkout/orders/{id}``: RFC 6902 operations on an order, the subset PayPal accepts.

Paths (``patch_request`` examples in the spec): ``/intent`` (replace) and
``/purchase_units/@reference_id=='<ref>'/<field>`` with ``<field>`` one of :data:`PATCHABLE`. Ops are
``add`` (the field must be absent), ``replace`` (present) and ``remove`` (present, not ``amount``);
otherwise 400 ``INVALID_PATCH_OPERATION`` as the spec describes. ``move``/``copy``/``test`` are a 400
``INVALID_PARAMETER_VALUE``; a path PayPal does not patch is a 422 ``NOT_PATCHABLE``; a malformed pointer
422 ``INVALID_JSON_POINTER_FORMAT``; an unknown reference 422 ``REFERENCE_ID_NOT_FOUND``; a completed
order 422 ``ORDER_ALREADY_COMPLETED``. The patched units are re-validated with the create rules (amount
checks, ``AMOUNT_MISMATCH``...) before anything changes; the answer is 204.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from simulators.paypal.exceptions import InvalidRequest, detail, v2_error
from simulators.paypal.resources import Money, Order
from simulators.paypal.validation import INTENTS, amount_json, check_unit, parse_unit
from simulators.paypal.validation_checks import Checker, patch_pointer

OP = "orders.patch"
PATCHABLE = frozenset(
    {
        "amount",
        "custom_id",
        "invoice_id",
        "description",
        "soft_descriptor",
        "items",
        "shipping/name",
        "shipping/address",
        "shipping/type",
    }
)
UNIT_PATH = re.compile(r"^/purchase_units/@reference_id=='([^']+)'/([a-z_]+(?:/[a-z_]+)?)$")


@dataclass(frozen=True)
class PatchOp:
    """One validated operation."""

    op: str
    path: str
    reference_id: str | None
    target: str
    value: Any


def parse_patch(body: Any) -> list[PatchOp]:
    """Validate a ``patch_request`` (syntax 400s together, then the first 422)."""
    if not isinstance(body, list) or not body:
        raise InvalidRequest(detail(OP, "MALFORMED_REQUEST_JSON"))
    c = Checker(OP)
    for i, raw in enumerate(body):
        if not isinstance(raw, dict):
            c.add("INVALID_PARAMETER_SYNTAX", f"/{i}", raw)
        elif raw.get("op") is None:
            c.add("MISSING_REQUIRED_PARAMETER", f"/{i}/op")
        elif raw["op"] not in ("add", "replace", "remove"):
            c.add("INVALID_PARAMETER_VALUE", f"/{i}/op", raw["op"])
    c.done()
    ops: list[PatchOp] = []
    for i, raw in enumerate(body):
        path = patch_pointer(OP, i, raw)
        if path == "/intent":
            ops.append(PatchOp(raw["op"], path, None, "intent", raw.get("value")))
            continue
        match = UNIT_PATH.match(path)
        if match is None:
            issue = (
                "NOT_PATCHABLE" if not path.startswith("/purchase_units") else "INVALID_JSON_POINTER_FORMAT"
            )
            raise v2_error(OP, issue, path)
        if match.group(2) not in PATCHABLE:
            raise v2_error(OP, "NOT_PATCHABLE", path)
        ops.append(PatchOp(raw["op"], path, match.group(1), match.group(2), raw.get("value")))
    return ops


def _unit_doc(order: Order, reference_id: str) -> dict[str, Any]:
    unit = order.unit(reference_id)
    assert unit is not None
    return {"reference_id": unit.reference_id, "amount": unit.amount_json, **copy.deepcopy(unit.fields)}


def apply_patch(order: Order, ops: list[PatchOp], now: float) -> None:
    """Apply ``ops`` to ``order`` all-or-nothing (caller holds the account lock)."""
    if order.status in ("COMPLETED", "VOIDED"):
        raise v2_error(OP, "ORDER_ALREADY_COMPLETED")
    intent = order.intent
    docs: dict[str, dict[str, Any]] = {}
    for op in ops:
        if op.target == "intent":
            if op.op != "replace":
                raise InvalidRequest(detail(OP, "INVALID_PATCH_OPERATION", op.path))
            if op.value not in INTENTS:
                raise InvalidRequest(detail(OP, "INVALID_PARAMETER_VALUE", op.path, op.value))
            intent = str(op.value)
            continue
        assert op.reference_id is not None
        if order.unit(op.reference_id) is None:
            raise v2_error(OP, "REFERENCE_ID_NOT_FOUND", op.path, op.reference_id)
        doc = docs.setdefault(op.reference_id, _unit_doc(order, op.reference_id))
        *parents, leaf = op.target.split("/")
        node = doc
        for part in parents:
            node = node.setdefault(part, {}) if op.op != "remove" else node.get(part, {})
        present = leaf in node
        if (
            (op.op == "add" and present)
            or (op.op != "add" and not present)
            or (op.op == "remove" and leaf == "amount")
        ):
            raise InvalidRequest(detail(OP, "INVALID_PATCH_OPERATION", op.path))
        if op.op == "remove":
            del node[leaf]
        else:
            node[leaf] = op.value
    c = Checker(OP)
    parsed = {ref: parse_unit(c, doc, i) for i, (ref, doc) in enumerate(docs.items())}
    c.done()
    units = {ref: u for ref, u in parsed.items() if u is not None}
    if len(order.units) > 1 and intent == "AUTHORIZE":
        raise v2_error(OP, "UNSUPPORTED_INTENT", "/intent", intent)
    first = order.units[0]
    currency = (
        units[first.reference_id].amount.currency if first.reference_id in units else first.amount.currency
    )
    for ref, unit_request in units.items():
        check_unit(OP, unit_request, ref, currency)
    for unit in order.units:
        patched = units.get(unit.reference_id)
        if patched is None:
            continue
        unit.amount = Money(patched.amount.currency, patched.amount.value)
        unit.amount_json = amount_json(patched)
        unit.fields = dict(patched.fields)
    order.intent = intent
    order.update_time = now
