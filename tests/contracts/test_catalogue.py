"""The contract catalogue itself: every schema compiles and resolves, every example is valid, every schema
has an example, house rule 7 (money is integer minor units plus an ISO currency) holds in every schema,
and the loader reports violations, broken files and unknown names usefully.

Run alone: ``pytest tests/contracts/test_catalogue.py`` (no network, no processes).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import contracts

ORDER_CONTRACTS = {
    "api/orders/create-order-request",
    "api/orders/cancel-order-request",
    "api/orders/order",
    "api/orders/order-list",
    "api/problem",
    "events/order.created",
    "events/order.status_changed",
    "events/order.cancelled",
}


def test_the_catalogue_holds_the_orders_api_and_its_events() -> None:
    assert ORDER_CONTRACTS <= set(contracts.names())


@pytest.mark.parametrize("name", contracts.names())
def test_schema_is_valid_draft_2020_12_and_every_ref_resolves(name: str) -> None:
    document = contracts.schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == contracts.schema_id(name)
    type(contracts.validator(name)).check_schema(document)  # the Draft 2020-12 metaschema
    contracts.check(name)  # compiles, resolves every $ref, validates the example


@pytest.mark.parametrize("name", contracts.names())
def test_example_satisfies_its_schema(name: str) -> None:
    contracts.validate(name, contracts.example(name))


def test_every_schema_has_an_example_and_every_example_a_schema() -> None:
    assert set(contracts.names()) - set(contracts.example_names()) == set(), "schemas without an example"
    assert set(contracts.example_names()) - set(contracts.names()) == set(), "examples without a schema"


def test_the_currency_contract_is_the_iso_4217_list_the_service_accepts() -> None:
    from reference_service.entrypoints.api.schemas import CreateOrderRequest, iso_currencies

    assert contracts.schema("common/currency")["enum"] == list(iso_currencies())
    service = CreateOrderRequest.model_json_schema()["properties"]["currency"]
    assert service["enum"] == list(iso_currencies()) and service["pattern"] == "^[A-Z]{3}$"


def test_the_event_envelope_dispatches_every_event_schema() -> None:
    envelope = contracts.schema("events/envelope")
    dispatched = {branch["if"]["properties"]["event_type"]["const"] for branch in envelope["allOf"]}
    event_schemas = {n.removeprefix("events/") for n in contracts.names("events/")} - {"envelope"}
    assert dispatched == event_schemas


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, str, Any]]:
    """(location, property name, property schema) for every ``properties`` entry, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    yield f"{where}/properties/{prop}", prop, sub
            yield from _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _properties(item, f"{where}/{i}")


@pytest.mark.parametrize("name", contracts.names())
def test_money_is_integer_minor_units_and_currency_is_iso(name: str) -> None:
    """House rule 7, checked on every schema, including those added later.

    A provider's contract describes the provider's own wire format (Stripe's lower-case currency, a
    form-encoded amount arriving as a string of digits), so there money must still be minor units, but
    may be a digits-only string, and the currency may be written the provider's way.
    """
    provider = name.startswith("providers/")
    for where, prop, sub in _properties(contracts.schema(name)):
        # a nullable money field (a delivery's price before its label is bought): the non-null branch counts
        branches = [b for b in sub.get("anyOf", []) if b != {"type": "null"}]
        if len(branches) == 1 and len(sub["anyOf"]) == 2:
            sub = branches[0]
        if prop == "currency" and not provider:
            ref = sub.get("$ref", "")
            assert ref.endswith("common/currency.json"), f"{name}{where} is not an ISO currency"
        if prop == "amount" or prop.endswith(("_amount", "_total")):
            ref = sub.get("$ref", "")
            digits = provider and sub.get("type") == "string" and sub.get("pattern") == "^[1-9][0-9]*$"
            # PayPal's Money: {currency_code, value: "25.00"}, a decimal string with the currency's exponent
            paypal_money = (
                provider
                and sub.get("type") == "object"
                and {"currency_code", "value"} <= set(sub.get("properties", {}))
            )
            ok = (
                ref.endswith("common/minor-units.json")
                or sub.get("type") == "integer"
                or digits
                or paypal_money
            )
            assert ok or "create-order.json#" in ref, f"{name}{where} is money but not integer minor units"


@pytest.mark.parametrize(
    ("name", "mutate", "path", "keyword"),
    [
        ("api/orders/order", lambda o: o.update(total_amount=49.99), "$.total_amount", "type"),
        ("api/orders/order", lambda o: o.update(currency="usd"), "$.currency", "pattern"),
        ("api/orders/order", lambda o: o.update(status="LOST"), "$.status", "enum"),
        ("api/orders/order", lambda o: o.update(created_at="yesterday"), "$.created_at", "format"),
        ("api/orders/order", lambda o: o["items"][1].update(quantity="2"), "$.items[1].quantity", "type"),
        ("api/orders/create-order-request", lambda o: o.update(coupon="FREE"), "$", "additionalProperties"),
        ("api/orders/create-order-request", lambda o: o.update(items=[]), "$.items", "minItems"),
        ("api/orders/order-list", lambda o: o.update(next_cursor=None), "$.next_cursor", "type"),
        ("api/problem", lambda o: o.update(status=400), "$.status", "const"),
        ("api/problem", lambda o: o["errors"][0].pop("field"), "$.errors[0]", "required"),
        ("events/order.cancelled", lambda o: o.update(refund_required="no"), "$.refund_required", "type"),
        ("events/envelope", lambda o: o["payload"].pop("order_id"), "$.payload", "required"),
    ],
)
def test_a_broken_instance_is_rejected_naming_the_path_and_the_keyword(
    name: str, mutate: Any, path: str, keyword: str
) -> None:
    instance = contracts.example(name)
    mutate(instance)
    assert not contracts.is_valid(name, instance)
    with pytest.raises(contracts.ContractViolation) as caught:
        contracts.validate(name, instance)
    found = {(v.path, v.keyword) for v in caught.value.violations}
    assert (path, keyword) in found, str(caught.value)
    assert caught.value.name == name
    assert path in str(caught.value) and name in str(caught.value)


def test_a_violation_lists_every_error_not_just_the_first() -> None:
    order = contracts.example("api/orders/order")
    order.update(status="LOST", currency="dollars", surprise=True)
    del order["customer_ref"]
    with pytest.raises(contracts.ContractViolation) as caught:
        contracts.validate("api/orders/order", order)
    message = str(caught.value)
    assert "(5 errors)" in message  # the currency breaks both the code's shape and the ISO 4217 list
    assert "'customer_ref' is a required property" in message
    assert "'surprise' was unexpected" in message
    assert "$.status: 'LOST' is not one of" in message
    assert "$.currency: 'dollars' does not match" in message
    assert "$.currency: 'dollars' is not one of" in message
    assert [v.path for v in caught.value.violations] == sorted(v.path for v in caught.value.violations)


def test_a_one_of_violation_says_which_branch_came_closest() -> None:
    page = contracts.example("api/orders/order-list")
    page["next_cursor"] = "not-an-order-id"
    (violation,) = contracts.violations("api/orders/order-list", page)
    assert violation.keyword == "oneOf"
    assert "closest: 'not-an-order-id' does not match '^ord_" in violation.message


def test_an_unknown_name_suggests_the_close_ones() -> None:
    with pytest.raises(contracts.UnknownContract, match=r"did you mean api/orders/order\b"):
        contracts.validate("api/orders/ordr", {})
    with pytest.raises(LookupError):
        contracts.example("api/nothing-like-this")


def test_schema_and_example_hand_out_copies_and_validators_are_cached() -> None:
    contracts.example("api/orders/order")["status"] = "LOST"
    contracts.schema("api/orders/order")["properties"].clear()
    assert contracts.is_valid("api/orders/order", contracts.example("api/orders/order"))
    assert contracts.validator("api/orders/order") is contracts.validator("api/orders/order")


# ------------------------------------------------------------------------------ a tree of our own


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the loader at an empty schemas/examples tree under ``tmp_path``; restore it afterwards."""
    monkeypatch.setattr(contracts, "_root", lambda kind: tmp_path / kind)
    contracts.reload()
    yield tmp_path
    monkeypatch.undo()
    contracts.reload()


def _write(root: Path, kind: str, name: str, document: Any) -> None:
    path = root / kind / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def test_a_provider_schema_dropped_into_the_tree_is_a_contract_without_loader_changes(tree: Path) -> None:
    base = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    _write(tree, "schemas", "common/currency", {**base, "type": "string", "pattern": "^[A-Z]{3}$"})
    _write(
        tree,
        "schemas",
        "providers/stripe/webhooks/payment_intent.succeeded",
        {
            **base,
            "$id": contracts.schema_id("providers/stripe/webhooks/payment_intent.succeeded"),
            "type": "object",
            "required": ["currency"],
            "properties": {"currency": {"$ref": "../../../common/currency.json"}},
        },
    )
    name = "providers/stripe/webhooks/payment_intent.succeeded"
    assert contracts.names("providers/") == (name,)
    contracts.validate(name, {"currency": "EUR"})
    with pytest.raises(contracts.ContractViolation, match=r"\$\.currency: 'eur' does not match"):
        contracts.validate(name, {"currency": "eur"})


def test_a_mislabelled_id_is_reported(tree: Path) -> None:
    _write(tree, "schemas", "api/x", {"$id": "https://elsewhere.example/x.json", "type": "object"})
    with pytest.raises(contracts.BrokenContract, match=r"schemas/api/x.json declares \$id"):
        contracts.names()


def test_an_invalid_schema_is_reported(tree: Path) -> None:
    _write(tree, "schemas", "api/x", {"type": "objekt"})
    with pytest.raises(contracts.BrokenContract, match="not a valid Draft202012Validator schema"):
        contracts.validator("api/x")


def test_a_dangling_ref_is_reported(tree: Path) -> None:
    _write(tree, "schemas", "api/x", {"properties": {"a": {"$ref": "missing.json"}}})
    with pytest.raises(contracts.BrokenContract, match=r"\$ref 'missing.json' does not resolve"):
        contracts.check("api/x")


def test_an_example_that_breaks_its_schema_is_reported(tree: Path) -> None:
    _write(tree, "schemas", "api/x", {"type": "integer"})
    _write(tree, "examples", "api/x", "seven")
    with pytest.raises(contracts.BrokenContract, match=r"examples/api/x.json breaks its schema"):
        contracts.check("api/x")


def test_unreadable_json_is_reported(tree: Path) -> None:
    (tree / "schemas").mkdir()
    (tree / "schemas" / "bad.json").write_text("{not json")
    with pytest.raises(contracts.BrokenContract, match="schemas/bad.json is not readable JSON"):
        contracts.names()


# ------------------------------------------------------------------------------- python -m contracts


def test_the_command_line_checks_lists_and_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from contracts.__main__ import main

    assert main(["check"]) == 0
    assert f"{len(contracts.names())} contracts OK" in capsys.readouterr().out
    assert main(["list", "events/"]) == 0
    assert capsys.readouterr().out.split() == list(contracts.names("events/"))
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(contracts.example("api/orders/order")))
    bad.write_text(json.dumps({**contracts.example("api/orders/order"), "status": "LOST"}))
    assert main(["validate", "api/orders/order", str(good)]) == 0
    assert main(["validate", "api/orders/order", str(bad)]) == 1
    assert "$.status: 'LOST' is not one of" in capsys.readouterr().err
    assert main(["show", "api/orders/ordr"]) == 1
    assert "did you mean api/orders/order" in capsys.readouterr().err
