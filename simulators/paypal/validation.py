"""What a request to the PayPal simulator may contain: order request validation (create, and the units a
PATCH produces), before anything is stored, and the JSON bodies of the ``/_sim/paypal`` controls.

Schema and syntax problems are collected and raised together as one 400 ``INVALID_REQUEST`` (field paths
by index: ``/purchase_units/0/amount/value``), as PayPal lists several details at once. Business rules
then raise the first 422 ``UNPROCESSABLE_ENTITY``, with PayPal's ``@reference_id`` pointers
(``/purchase_units/@reference_id=='default'/amount/value``). Descriptions are the spec's for the operation.

Amount rules (``amount_with_breakdown`` in the spec): ``value`` matches
``^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$`` (<= 32 characters); the currency is one PayPal supports
(``INVALID_CURRENCY_CODE``) with its precision (``DECIMAL_PRECISION``: JPY, HUF and TWD take none); the
total is > 0 (``CANNOT_BE_ZERO_OR_NEGATIVE``), parts >= 0 (``CANNOT_BE_NEGATIVE``), all <=
999999999999999.99 (``MAX_VALUE_EXCEEDED``); one currency per order (``MULTI_CURRENCY_ORDER``);
``item_total`` = sum(unit_amount x quantity) (``ITEM_TOTAL_MISMATCH``, ``ITEM_TOTAL_REQUIRED``), ``tax_total``
likewise; and ``amount = item_total + tax_total + shipping + handling + insurance - shipping_discount -
discount`` (``AMOUNT_MISMATCH``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulators.paypal.exceptions import InvalidRequest, detail, v2_error
from simulators.paypal.validation_checks import Amount, Checker, check_amount, money_json
from simulators.paypal.validation_schema import outside, schema_details

QUANTITY_RE = re.compile(r"^[1-9][0-9]{0,9}$")
EXPIRY_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
BREAKDOWN_ADD = ("item_total", "tax_total", "shipping", "handling", "insurance")
BREAKDOWN_SUB = ("shipping_discount", "discount")
UNIT_STRINGS = {"description": 127, "custom_id": 127, "invoice_id": 127, "soft_descriptor": 22}
ITEM_STRINGS = {"name": 127, "description": 127, "sku": 127}
ITEM_CATEGORIES = {"DIGITAL_GOODS", "PHYSICAL_GOODS", "DONATION"}
INTENTS = ("CAPTURE", "AUTHORIZE")


@dataclass
class UnitRequest:
    """One validated purchase unit: its amount (normalised JSON) and the caller's other fields."""

    reference_id: str | None
    amount: Amount
    breakdown: dict[str, Amount]
    items: list[dict[str, Any]]
    item_amounts: list[tuple[Amount, Amount | None, int]]
    fields: dict[str, Any] = field(default_factory=dict)
    payee: dict[str, Any] | None = None


@dataclass
class OrderRequest:
    """A validated ``order_request``."""

    intent: str
    units: list[UnitRequest]
    payer: dict[str, Any] | None = None
    card: dict[str, Any] | None = None
    wallet: dict[str, Any] | None = None
    return_url: str | None = None
    cancel_url: str | None = None


def amount_json(unit: UnitRequest) -> dict[str, Any]:
    """The unit's amount as PayPal echoes it (values at the currency's precision)."""
    return money_json(unit.amount, unit.breakdown)


def parse_unit_amount(c: Checker, value: Any, path: str) -> tuple[Amount | None, dict[str, Amount]]:
    """``amount_with_breakdown`` syntax."""
    amount = c.money(value, path)
    breakdown: dict[str, Amount] = {}
    if isinstance(value, dict):
        raw = c.obj(value, "breakdown", path + "/breakdown")
        for key in (*BREAKDOWN_ADD, *BREAKDOWN_SUB):
            if raw is not None and key in raw:
                part = c.money(raw[key], f"{path}/breakdown/{key}")
                if part is not None:
                    breakdown[key] = part
    return amount, breakdown


def parse_items(c: Checker, value: Any, path: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """``items[]``: the echoed items and ``(unit_amount, tax, quantity)`` per item."""
    if value is None:
        return [], []
    if not isinstance(value, list):
        c.add("INVALID_PARAMETER_SYNTAX", path, value)
        return [], []
    items: list[dict[str, Any]] = []
    amounts: list[Any] = []
    for i, raw in enumerate(value):
        ipath = f"{path}/{i}"
        if not isinstance(raw, dict):
            c.add("INVALID_PARAMETER_SYNTAX", ipath, raw)
            continue
        item: dict[str, Any] = {}
        if raw.get("name") is None:
            c.add("MISSING_REQUIRED_PARAMETER", ipath + "/name")
        for key, limit in ITEM_STRINGS.items():
            text = c.string(raw, key, f"{ipath}/{key}", limit, 1 if key == "name" else 0)
            if text is not None:
                item[key] = text
        unit_amount = c.money(raw.get("unit_amount"), ipath + "/unit_amount")
        tax = c.money(raw.get("tax"), ipath + "/tax", required=False)
        quantity = raw.get("quantity")
        if quantity is None:
            c.add("MISSING_REQUIRED_PARAMETER", ipath + "/quantity")
        elif not isinstance(quantity, str) or not QUANTITY_RE.match(quantity):
            c.add("INVALID_PARAMETER_SYNTAX", ipath + "/quantity", quantity)
            quantity = None
        category = raw.get("category")
        if category is not None and not isinstance(category, str):
            c.add("INVALID_PARAMETER_SYNTAX", ipath + "/category", category)
            category = None
        elif category is not None and category not in ITEM_CATEGORIES:
            c.add("INVALID_PARAMETER_VALUE", ipath + "/category", category)
        if unit_amount is not None and quantity is not None:
            item["unit_amount"] = money_json(unit_amount, {})
            if tax is not None:
                item["tax"] = money_json(tax, {})
            item["quantity"] = quantity
            if category is not None:
                item["category"] = category
            items.append(item)
            amounts.append((unit_amount, tax, int(quantity)))
    return items, amounts


def parse_unit(c: Checker, raw: Any, i: int) -> UnitRequest | None:
    """One ``purchase_unit_request`` (syntax)."""
    path = f"/purchase_units/{i}"
    if not isinstance(raw, dict):
        c.add("INVALID_PARAMETER_SYNTAX", path, raw)
        return None
    reference_id = c.string(raw, "reference_id", path + "/reference_id", 256)
    amount, breakdown = parse_unit_amount(c, raw.get("amount"), path + "/amount")
    items, item_amounts = parse_items(c, raw.get("items"), path + "/items")
    fields: dict[str, Any] = {}
    for key, limit in UNIT_STRINGS.items():
        text = c.string(raw, key, f"{path}/{key}", limit)
        if text is not None:
            fields[key] = text
    if items:
        fields["items"] = items
    shipping = c.obj(raw, "shipping", path + "/shipping")
    if shipping is not None:
        fields["shipping"] = {k: shipping[k] for k in ("type", "name", "address") if k in shipping}
    payee = c.obj(raw, "payee", path + "/payee")
    if amount is None:
        return None
    return UnitRequest(reference_id, amount, breakdown, items, item_amounts, fields, payee)


def check_unit(op: str, unit: UnitRequest, ref: str, currency: str) -> None:
    """Business checks of one purchase unit, with ``@reference_id`` pointers (422)."""
    base = f"/purchase_units/@reference_id=='{ref}'"

    def where(a: Amount) -> str:
        parts = a.field.split("/", 3)  # "", "purchase_units", "<i>", "amount/value"
        return f"{base}/{parts[3]}" if len(parts) == 4 else base

    every = [unit.amount, *unit.breakdown.values()] + [
        x for ua, tax, _ in unit.item_amounts for x in (ua, tax) if x
    ]
    for a in every:
        check_amount(op, a, where(a), total=a is unit.amount)
    for a in every:
        if a.currency != currency:
            raise v2_error(
                op, "MULTI_CURRENCY_ORDER", where(a).rsplit("/", 1)[0] + "/currency_code", a.currency
            )
    bd = unit.breakdown
    if unit.item_amounts:
        if "item_total" not in bd:
            raise v2_error(op, "ITEM_TOTAL_REQUIRED", base + "/amount/breakdown/item_total")
        if sum(ua.value * q for ua, _, q in unit.item_amounts) != bd["item_total"].value:
            raise v2_error(op, "ITEM_TOTAL_MISMATCH", base + "/amount/breakdown/item_total/value")
        if any(tax for _, tax, _ in unit.item_amounts):
            if "tax_total" not in bd:
                raise v2_error(op, "TAX_TOTAL_REQUIRED", base + "/amount/breakdown/tax_total")
            taxes = sum((tax.value * q for _, tax, q in unit.item_amounts if tax), Decimal(0))
            if taxes != bd["tax_total"].value:
                raise v2_error(op, "TAX_TOTAL_MISMATCH", base + "/amount/breakdown/tax_total/value")
    if bd:
        expected = sum((bd[k].value for k in BREAKDOWN_ADD if k in bd), Decimal(0)) - sum(
            (bd[k].value for k in BREAKDOWN_SUB if k in bd), Decimal(0)
        )
        if expected != unit.amount.value:
            raise v2_error(op, "AMOUNT_MISMATCH", base + "/amount/value", str(unit.amount.value))


def _card(c: Checker, raw: dict[str, Any]) -> dict[str, Any]:
    path = "/payment_source/card"
    number = raw.get("number")
    card: dict[str, Any] = {}
    name = c.string(raw, "name", path + "/name", 300, 2)
    if name is not None:
        card["name"] = name
    if number is None:
        c.add("MISSING_REQUIRED_PARAMETER", path + "/number")
    elif not isinstance(number, str) or not number.isdigit() or not 13 <= len(number) <= 19:
        c.add("INVALID_PARAMETER_VALUE", path + "/number")
    else:
        card["last_digits"] = number[-4:]
    expiry = raw.get("expiry")
    if expiry is None:
        c.add("MISSING_REQUIRED_PARAMETER", path + "/expiry")
    elif not isinstance(expiry, str) or not EXPIRY_RE.match(expiry):
        c.add("INVALID_PARAMETER_VALUE", path + "/expiry", expiry)
    else:
        card["expiry"] = expiry
    brand = {"4": "VISA", "5": "MASTERCARD", "2": "MASTERCARD", "6": "DISCOVER"}.get(str(number)[:1])
    if isinstance(number, str) and number[:2] in ("34", "37"):
        brand = "AMEX"
    elif isinstance(number, str) and number[:2] == "35":
        brand = "JCB"
    if brand:
        card["brand"] = brand
    card["type"] = "CREDIT"
    return card


def parse_order_request(body: Any, *, has_request_id: bool, op: str = "orders.create") -> OrderRequest:
    """Validate an ``order_request`` (400s together, then the first 422)."""
    c = Checker(op)
    if not isinstance(body, dict):
        raise InvalidRequest(detail(op, "INVALID_PARAMETER_SYNTAX", "/", body))
    intent = body.get("intent")
    if intent is None:
        c.add("MISSING_REQUIRED_PARAMETER", "/intent")
    elif intent not in INTENTS:
        c.add("INVALID_PARAMETER_VALUE", "/intent", intent)
    raw_units = body.get("purchase_units")
    units: list[UnitRequest] = []
    if raw_units is None:
        c.add("MISSING_REQUIRED_PARAMETER", "/purchase_units")
    elif not isinstance(raw_units, list):
        c.add("INVALID_PARAMETER_SYNTAX", "/purchase_units", raw_units)
    elif not raw_units:
        c.add("INVALID_ARRAY_MIN_ITEMS", "/purchase_units")
    elif len(raw_units) > 10:
        c.add("INVALID_ARRAY_MAX_ITEMS", "/purchase_units")
    else:
        units = [u for i, raw in enumerate(raw_units) if (u := parse_unit(c, raw, i)) is not None]
    req = OrderRequest(str(intent), units)
    payer = c.obj(body, "payer", "/payer")
    if payer is not None:
        email = c.string(payer, "email_address", "/payer/email_address", 254, 3)
        if email is not None and "@" not in email:
            c.add("INVALID_PARAMETER_VALUE", "/payer/email_address", email)
        req.payer = {k: payer[k] for k in ("email_address", "name", "address") if k in payer}
    source = c.obj(body, "payment_source", "/payment_source")
    for key in source or {}:
        if (
            key == "card"
            and isinstance(source, dict)
            and (card := c.obj(source, "card", "/payment_source/card"))
        ):
            req.card = _card(c, card)
            if not has_request_id:
                raise InvalidRequest(detail(op, "PAYPAL_REQUEST_ID_REQUIRED"))
        elif key == "paypal" and isinstance(source, dict):
            req.wallet = c.obj(source, "paypal", "/payment_source/paypal") or {}
        else:
            c.add("NOT_SUPPORTED", f"/payment_source/{key}")
    req.return_url, req.cancel_url = redirect_urls(c, body, req.wallet)
    add_schema_details(c, "order_request", body)
    c.done()
    check_units(op, req.intent, req.units)
    return req


def redirect_urls(
    c: Checker, body: dict[str, Any], wallet: dict[str, Any] | None
) -> tuple[str | None, str | None]:
    """``return_url`` and ``cancel_url`` of ``application_context`` or, winning, of
    ``payment_source.paypal.experience_context`` (create and confirm-payment-source take both)."""
    return_url = cancel_url = None
    context = c.obj(body, "application_context", "/application_context") or {}
    experience = c.obj(wallet or {}, "experience_context", "/payment_source/paypal/experience_context")
    for ctx, prefix in (
        (context, "/application_context"),
        (experience or {}, "/payment_source/paypal/experience_context"),
    ):
        return_url = c.string(ctx, "return_url", prefix + "/return_url", 4000) or return_url
        cancel_url = c.string(ctx, "cancel_url", prefix + "/cancel_url", 4000) or cancel_url
    return return_url, cancel_url


def add_schema_details(
    c: Checker, schema: str, body: Any, not_required: frozenset[str] = frozenset()
) -> None:
    """Add what the official request ``schema`` says about ``body`` beyond what ``c`` already reported (but
    for the missing fields of ``not_required``: where PayPal requires less than its schema)."""
    reported = [d.field for d in c.details if d.field]
    c.details += [
        d
        for d in schema_details(c.op, schema, body)
        if d.field
        and outside(d.field, reported)
        and not (d.issue == "MISSING_REQUIRED_PARAMETER" and d.field in not_required)
    ]


# -- confirm-payment-source -------------------------------------------------------------------------------
CONFIRM = "orders.confirm"
SOURCES = ("card", "paypal")


@dataclass
class ConfirmRequest:
    """A validated ``confirm_order_request``: the card or the PayPal wallet, and the redirect URLs."""

    card: dict[str, Any] | None
    wallet: dict[str, Any] | None
    return_url: str | None = None
    cancel_url: str | None = None


def parse_confirm_request(body: Any) -> ConfirmRequest:
    """Validate a ``confirm_order_request``: the 400s together, then the first 422 of
    ``NO_PAYMENT_SOURCE_PROVIDED``, ``ONLY_ONE_PAYMENT_SOURCE_ALLOWED``, ``PAYMENT_SOURCE_CANNOT_BE_USED``
    (a source the simulated merchant does not take: it takes card and PayPal only) and
    ``UNSUPPORTED_PROCESSING_INSTRUCTION`` (``ORDER_COMPLETE_ON_PAYMENT_APPROVAL``, which PayPal offers only
    for APMs such as iDEAL or BLIK: ``processing_instruction`` in the spec)."""
    c = Checker(CONFIRM)
    if not isinstance(body, dict):
        raise InvalidRequest(detail(CONFIRM, "INVALID_PARAMETER_SYNTAX", "/", body))
    source = body.get("payment_source")
    if source is None:
        c.add("MISSING_REQUIRED_PARAMETER", "/payment_source")
    source = c.obj(body, "payment_source", "/payment_source") or {}
    raw_card = c.obj(source, "card", "/payment_source/card")
    card = _card(c, raw_card) if raw_card is not None else None
    wallet = c.obj(source, "paypal", "/payment_source/paypal")
    req = ConfirmRequest(card, wallet)
    req.return_url, req.cancel_url = redirect_urls(c, body, wallet)
    add_schema_details(c, "confirm_order_request", body)
    c.done()
    if not source:
        raise v2_error(CONFIRM, "NO_PAYMENT_SOURCE_PROVIDED", "/payment_source")
    if len(source) > 1:
        raise v2_error(CONFIRM, "ONLY_ONE_PAYMENT_SOURCE_ALLOWED", "/payment_source")
    kind = next(iter(source))
    if kind not in SOURCES:
        raise v2_error(CONFIRM, "PAYMENT_SOURCE_CANNOT_BE_USED", f"/payment_source/{kind}")
    if body.get("processing_instruction") == "ORDER_COMPLETE_ON_PAYMENT_APPROVAL":
        instruction = body["processing_instruction"]
        raise v2_error(CONFIRM, "UNSUPPORTED_PROCESSING_INSTRUCTION", "/processing_instruction", instruction)
    if kind == "paypal" and req.wallet is None:
        req.wallet = {}
    return req


def check_units(op: str, intent: str, units: list[UnitRequest]) -> None:
    """Order-level business rules across units (422)."""
    if len(units) > 1:
        seen: set[str] = set()
        for i, unit in enumerate(units):
            if unit.reference_id is None:
                raise v2_error(op, "REFERENCE_ID_REQUIRED", f"/purchase_units/{i}/reference_id")
            if unit.reference_id in seen:
                raise v2_error(
                    op, "DUPLICATE_REFERENCE_ID", f"/purchase_units/{i}/reference_id", unit.reference_id
                )
            seen.add(unit.reference_id)
        if intent == "AUTHORIZE":
            raise v2_error(op, "UNSUPPORTED_INTENT", "/intent", intent)
    currency = units[0].amount.currency if units else "USD"
    for unit in units:
        check_unit(op, unit, unit.reference_id or "default", currency)


# -- control API bodies (``/_sim/paypal/...``; validated and documented from ``urls.CONTROL_ROUTES``) --------
class AppSpec(BaseModel):
    """Body of ``POST /_sim/paypal/apps``."""

    model_config = ConfigDict(extra="forbid")
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,128}$")
    client_secret: str | None = Field(default=None, min_length=1, max_length=256)


class ApproveSpec(BaseModel):
    """Body of ``POST /_sim/paypal/orders/{id}/approve`` (all optional)."""

    model_config = ConfigDict(extra="forbid")
    email_address: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    given_name: str | None = Field(default=None, min_length=1, max_length=140)
    surname: str | None = Field(default=None, min_length=1, max_length=140)
