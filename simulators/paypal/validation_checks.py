"""Syntax and money checks shared by Orders and Payments validation (house rule 5: validate first).

:class:`Checker` collects 400 details (one ``INVALID_REQUEST`` lists several, as PayPal's do);
:func:`check_amount` raises the first 422 for one money value. ``value`` must match the spec's
``^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$`` (<= 32 characters); currencies and their precision are PayPal's
(:data:`simulators.paypal.magic.CURRENCY_DECIMALS`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simulators.paypal.exceptions import Detail, InvalidRequest, detail, v2_error
from simulators.paypal.magic import CURRENCY_DECIMALS, MAX_VALUE, fmt

VALUE_RE = re.compile(r"^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$")


@dataclass(slots=True)
class Amount:
    """A parsed money value: currency, decimal value and the digits after the point as written."""

    currency: str
    value: Decimal
    decimals: int
    field: str


class Checker:
    """Collects 400 details for ``operation``; :meth:`done` raises them as one ``INVALID_REQUEST``."""

    def __init__(self, operation: str) -> None:
        self.op = operation
        self.details: list[Detail] = []

    def add(self, issue: str, path: str, value: Any = None) -> None:
        """Record one problem at JSON pointer ``path``."""
        self.details.append(detail(self.op, issue, path, value))

    def string(self, obj: dict[str, Any], key: str, path: str, max_len: int, min_len: int = 1) -> str | None:
        """An optional string field with PayPal's length limits."""
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.add("INVALID_PARAMETER_SYNTAX", path, value)
            return None
        if not min_len <= len(value) <= max_len:
            self.add("INVALID_STRING_LENGTH", path, value)
            return None
        return value

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        """An optional JSON object field."""
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add("INVALID_PARAMETER_SYNTAX", path, value)
            return None
        return value

    def money(self, value: Any, path: str, required: bool = True) -> Amount | None:
        """A ``money`` object (syntax only; business checks are :func:`check_amount`)."""
        if value is None:
            if required:
                self.add("MISSING_REQUIRED_PARAMETER", path)
            return None
        if not isinstance(value, dict):
            self.add("INVALID_PARAMETER_SYNTAX", path, value)
            return None
        currency, raw = value.get("currency_code"), value.get("value")
        ok = True
        if currency is None:
            self.add("MISSING_REQUIRED_PARAMETER", path + "/currency_code")
            ok = False
        elif not isinstance(currency, str):
            self.add("INVALID_PARAMETER_SYNTAX", path + "/currency_code", currency)
            ok = False
        elif len(currency) != 3:
            self.add("INVALID_STRING_LENGTH", path + "/currency_code", currency)
            ok = False
        if raw is None:
            self.add("MISSING_REQUIRED_PARAMETER", path + "/value")
            return None
        if not isinstance(raw, str) or len(raw) > 32 or not VALUE_RE.match(raw):
            self.add("INVALID_PARAMETER_SYNTAX", path + "/value", raw)
            return None
        if not ok or not isinstance(currency, str):
            return None
        decimals = len(raw.partition(".")[2])
        return Amount(currency, Decimal(raw), decimals, path + "/value")

    def done(self) -> None:
        """Raise the collected details, if any."""
        if self.details:
            raise InvalidRequest(*self.details)


def parse_json(raw: bytes, operation: str, *, allow_empty: bool = False) -> Any:
    """The request body as JSON; 400 ``MALFORMED_REQUEST_JSON`` if it is not."""
    if not raw.strip():
        if allow_empty:
            return None
        raise InvalidRequest(detail(operation, "MALFORMED_REQUEST_JSON"))
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(detail(operation, "MALFORMED_REQUEST_JSON")) from None


def patch_pointer(operation: str, i: int, raw: dict[str, Any]) -> str:
    """The ``path`` of JSON Patch operation ``i`` (its ``op`` already checked), or the 422 of the order and
    tracker PATCHes: ``PATCH_PATH_REQUIRED``, ``PATCH_VALUE_REQUIRED`` (an op other than ``remove`` without
    ``value``), ``INVALID_JSON_POINTER_FORMAT``."""
    path = raw.get("path")
    if not path:
        raise v2_error(operation, "PATCH_PATH_REQUIRED", f"/{i}/path")
    if raw["op"] != "remove" and "value" not in raw:
        raise v2_error(operation, "PATCH_VALUE_REQUIRED", f"/{i}/value")
    if not isinstance(path, str) or not path.startswith("/"):
        raise v2_error(operation, "INVALID_JSON_POINTER_FORMAT", f"/{i}/path", path)
    return path


def money_json(amount: Amount, breakdown: dict[str, Amount]) -> dict[str, Any]:
    """``amount_with_breakdown`` JSON at each currency's precision."""
    out: dict[str, Any] = {"currency_code": amount.currency, "value": fmt(amount.value, amount.currency)}
    if breakdown:
        out["breakdown"] = {
            k: {"currency_code": v.currency, "value": fmt(v.value, v.currency)} for k, v in breakdown.items()
        }
    return out


def check_amount(op: str, a: Amount, field_: str, *, total: bool) -> None:
    """Business checks of one money value (422)."""
    if a.currency not in CURRENCY_DECIMALS:
        raise v2_error(op, "INVALID_CURRENCY_CODE", field_.rsplit("/", 1)[0] + "/currency_code", a.currency)
    if a.decimals > CURRENCY_DECIMALS[a.currency]:
        raise v2_error(op, "DECIMAL_PRECISION", field_, str(a.value))
    if total and a.value <= 0:
        raise v2_error(op, "CANNOT_BE_ZERO_OR_NEGATIVE", field_, str(a.value))
    if not total and a.value < 0:
        raise v2_error(op, "CANNOT_BE_NEGATIVE", field_, str(a.value))
    if a.value > MAX_VALUE:
        raise v2_error(op, "MAX_VALUE_EXCEEDED", field_, str(a.value))
