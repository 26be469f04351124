"""Pure pieces, no sockets: the signer is the inverse of stripe-python's verifier, the retry schedule, test
cards, card redaction, form parsing and validation, key parsing, and parameter names against the spec."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import stripe

from simulators.stripe import validation_params as P
from simulators.stripe.auth import KeyRing, account_for_key
from simulators.stripe.exceptions import StripeError, masked_key
from simulators.stripe.magic import (
    MAGIC_PAYMENT_METHODS,
    TEST_CARDS,
    brand_of,
    luhn_ok,
    profile_for_magic,
    redact_card_fields,
)
from simulators.stripe.urls import API_ROUTES
from simulators.stripe.validation import Enum, Obj, Scalar, Spec, parse_body, validate
from simulators.stripe.webhooks import RETRY_SCHEDULE, sign

from .conftest import schemas

SECRET = "whsec_test_secret_0123456789"


def test_signature_is_the_inverse_of_construct_event() -> None:
    body = json.dumps(
        {"id": "evt_1", "object": "event", "type": "charge.refunded", "data": {"object": {}}}
    ).encode()
    now = int(time.time())
    header = sign(SECRET, now, body, v0=True)
    assert stripe.Webhook.construct_event(body, header, SECRET).id == "evt_1"
    assert stripe.WebhookSignature.verify_header(
        body.decode(), sign(SECRET, now, body), SECRET, tolerance=300
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body + b" ", header, SECRET)
    with pytest.raises(stripe.SignatureVerificationError):  # v0 alone never verifies
        stripe.Webhook.construct_event(body, f"t={now},{header.split(',')[2]}", SECRET)
    with pytest.raises(stripe.SignatureVerificationError, match="Timestamp outside the tolerance zone"):
        stripe.Webhook.construct_event(body, sign(SECRET, now - 301, body), SECRET)


def test_retry_schedule_is_exponential_over_three_days() -> None:
    doubling = zip(RETRY_SCHEDULE[:8], RETRY_SCHEDULE[1:9], strict=True)
    assert RETRY_SCHEDULE[0] == 300 and all(b == 2 * a for a, b in doubling)
    assert sum(RETRY_SCHEDULE) == 72 * 3600 and len(RETRY_SCHEDULE) == 10


def test_test_cards() -> None:
    assert all(luhn_ok(n) for n in TEST_CARDS) and not luhn_ok("4242424242424241")
    assert {MAGIC_PAYMENT_METHODS[k] for k in MAGIC_PAYMENT_METHODS} <= set(TEST_CARDS)
    assert all(brand_of(n) == p.brand for n, p in TEST_CARDS.items())
    profile = profile_for_magic("pm_card_visa_chargeDeclinedInsufficientFunds")
    assert profile is not None and profile.outcome.decline is not None
    assert profile.outcome.decline.decline_code == "insufficient_funds" and profile.last4 == "9995"
    assert profile_for_magic("pm_card_nope") is None


def test_card_fields_are_redacted() -> None:
    body = (
        b"type=card&card[number]=4242424242424242&card%5Bcvc%5D=123&"
        b"payment_method_data%5Bcard%5D%5Bnumber%5D=4000000000000002"
    )
    out = redact_card_fields(body)
    assert b"4242424242424242" not in out and b"123" not in out and b"4000000000000002" not in out
    assert b"************4242" in out and b"************0002" in out
    assert redact_card_fields(b"card[number]=424242") == b"card[number]=******"  # cut short: nothing shown


def test_forms_unflatten_and_validate() -> None:
    parsed = parse_body(
        b"amount=2000&currency=usd&payment_method_types[]=card&metadata[a]=1&expand[0]=x&"
        b"automatic_payment_methods[enabled]=true&shipping="
    )
    validate(parsed, P.CREATE_PAYMENT_INTENT)
    assert (
        parsed["amount"] == 2000 and parsed["payment_method_types"] == ["card"] and parsed["expand"] == ["x"]
    )
    assert parsed["automatic_payment_methods"] == {"enabled": True} and parsed["shipping"] is None
    with pytest.raises(StripeError) as exc:
        validate(parse_body(b"confirm=yes"), P.CREATE_PAYMENT_INTENT)
    assert exc.value.param == "confirm" and exc.value.message == "Invalid boolean: yes"
    with pytest.raises(StripeError) as exc:
        validate(parse_body(b"metadata=x"), P.CREATE_PAYMENT_INTENT)
    assert exc.value.message == "Invalid object"
    with pytest.raises(StripeError) as exc:
        validate(parse_body(b"capture_method=later"), P.CREATE_PAYMENT_INTENT)
    assert exc.value.message.startswith("Invalid capture_method: must be one of automatic")


def test_keys_and_accounts() -> None:
    assert account_for_key("sk_test_abc") == account_for_key("pk_test_abc") == account_for_key("rk_test_abc")
    assert account_for_key("sk_test_abc") != account_for_key("sk_test_abd")
    assert account_for_key("sk_live_abc") is None and account_for_key("sk_test_") is None
    assert str(account_for_key("sk_test_abc")).startswith("acct_")
    ring = KeyRing()
    assert ring.parse("pk_test_abc").publishable and not ring.parse("sk_test_abc").publishable
    assert masked_key("sk_test_abcdefgh1234") == "sk_test_********1234"


def test_parameter_names_are_the_specs() -> None:
    """Every top-level parameter this simulator accepts on a spec'd path is one the official spec lists."""
    spec = schemas().spec["paths"]
    checked = 0
    for route in API_ROUTES:
        path = route.rule.replace("<", "{").replace(">", "}")
        operation = spec.get(path, {}).get(route.method.lower())
        if operation is None:
            continue
        if route.method == "GET":
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        else:
            body = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
            names = set(body.get("properties", {}))
        assert set(route.params) <= names, (route.endpoint, set(route.params) - names)
        checked += 1
    assert checked >= 12


def _described(spec: Spec) -> Any:
    """A spec as plain data: what it accepts, comparable with :func:`_schema_described`."""
    if isinstance(spec, Scalar):
        return (spec.kind, spec.max_length, spec.nullable)
    if isinstance(spec, Enum):
        return ("enum", tuple(sorted(spec.values)), spec.nullable)
    if isinstance(spec, Obj):
        fields = {k: _described(v) for k, v in spec.fields.items()}
        return ("object", fields, tuple(sorted(spec.required)), spec.nullable)
    raise AssertionError(spec)


def _schema_described(node: dict[str, Any], nullable: bool = False) -> Any:
    """An OpenAPI form parameter schema as the same plain data (``anyOf [x, enum [""]]`` is nullable ``x``;
    an enum Stripe bypasses is a plain string)."""
    if "anyOf" in node:
        real = [n for n in node["anyOf"] if n.get("enum") != [""]]
        assert len(real) == 1, node
        return _schema_described(real[0], nullable=True)
    kind = node["type"]
    if kind == "object":
        fields = {k: _schema_described(v) for k, v in node.get("properties", {}).items()}
        return ("object", fields, tuple(sorted(node.get("required", ()))), nullable)
    if "enum" in node and not node.get("x-stripeBypassValidation"):
        return ("enum", tuple(sorted(node["enum"])), nullable)
    scalar = {"string": "str", "integer": "int", "boolean": "bool"}[kind]
    return (scalar, node.get("maxLength"), nullable)


def test_payment_method_data_sub_objects_are_the_specs() -> None:
    """Each payment method type's ``payment_method_data[<type>]`` accepts exactly what the official spec
    documents (names, types, enums, required fields), the same on create, update and confirm."""
    operations = schemas().spec["paths"]
    documented = [
        operations[path]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"][
            "properties"
        ]["payment_method_data"]
        for path in (
            "/v1/payment_intents",
            "/v1/payment_intents/{intent}",
            "/v1/payment_intents/{intent}/confirm",
        )
    ]
    assert documented[0] == documented[1] == documented[2]
    properties = documented[0]["properties"]
    assert set(P.PAYMENT_METHOD_TYPE_DATA) == set(properties) - {
        "billing_details",
        "metadata",
        "radar_options",
        "type",
    }
    for name, spec in P.PAYMENT_METHOD_TYPE_DATA.items():
        assert _described(spec) == _schema_described(properties[name]), name
    assert _described(P.PAYMENT_METHOD_DATA.fields["radar_options"]) == _schema_described(
        properties["radar_options"]
    )
    assert set(properties) <= set(P.PAYMENT_METHOD_DATA.fields) and P.PAYMENT_METHOD_DATA.required == (
        "type",
    )
