"""Validation of Stripe objects against the official OpenAPI 3.0 schemas (copies in ``specs/``, see README).

``openapi_schema_validator.OAS30Validator`` resolves the spec's ``#/components/schemas`` through a
``referencing`` registry. It does not apply OpenAPI 3.0's ``nullable: true`` when the schema also has
``anyOf`` (Stripe's expandable fields) or ``enum``, so every nullable schema is rewritten first as
``anyOf: [<schema>, {enum: [null]}]`` (same meaning, plain JSON Schema). Objects are matched to a schema by
their ``object`` field; lists, events (``data.object``) and error bodies are checked recursively.
``webhook_endpoint`` is not in the spec subset, so it is checked against the 2023-10-16 fixture's shape.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_DIR = Path(__file__).with_name("specs")
SPEC = SPEC_DIR / "openapi-2023-08-16-payment-intents-subset.json"
FIXTURES = SPEC_DIR / "fixtures-2023-10-16.json"
_URI = "urn:stripe-openapi"


def _denullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_denullable(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _denullable(v) for k, v in node.items()}
    if out.pop("nullable", False):
        return {"anyOf": [out, {"enum": [None]}]}
    return out


class StripeSchemas:
    """Validators for the spec's component schemas."""

    def __init__(self, spec_path: Path = SPEC, fixtures_path: Path = FIXTURES) -> None:
        self.spec = json.loads(spec_path.read_text())
        self.fixtures = json.loads(fixtures_path.read_text())["resources"]
        converted = _denullable(self.spec)
        resource = Resource.from_contents(converted, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(_URI, resource)
        self._validators: dict[str, OAS30Validator] = {}

    @cached_property
    def schema_names(self) -> frozenset[str]:
        return frozenset(self.spec["components"]["schemas"])

    def validator(self, name: str) -> OAS30Validator:
        if name not in self._validators:
            self._validators[name] = OAS30Validator(
                {"$ref": f"{_URI}#/components/schemas/{name}"}, registry=self.registry
            )
        return self._validators[name]

    def errors(self, name: str, obj: Any) -> list[str]:
        """Violations of schema ``name`` by ``obj`` (``path: message``)."""
        return [
            f"{name}:{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in self.validator(name).iter_errors(obj)
        ]

    def check(self, obj: Any) -> list[str]:
        """Violations of any Stripe object, list, event or error body (recursively)."""
        if not isinstance(obj, dict):
            return [f"not an object: {obj!r:.100}"]
        if "error" in obj and "object" not in obj:
            return self.errors("error", obj)
        kind = obj.get("object")
        if kind in ("list", "search_result"):
            errs = (
                []
                if isinstance(obj.get("data"), list) and isinstance(obj.get("has_more"), bool)
                else [f"{kind}: data/has_more"]
            )
            if kind == "search_result" and not isinstance(obj.get("next_page"), (str, type(None))):
                errs.append(f"search_result: next_page {obj.get('next_page')!r}")
            if not str(obj.get("url", "")).startswith("/v1/"):
                errs.append(f"list: url {obj.get('url')!r}")
            for item in obj.get("data", []):
                errs.extend(self.check(item))
            return errs
        if obj.get("deleted") is True:
            return [] if set(obj) == {"id", "object", "deleted"} else [f"deleted object: {sorted(obj)}"]
        if kind == "webhook_endpoint":
            expected = set(self.fixtures["webhook_endpoint"])
            missing = expected - set(obj)
            extra = set(obj) - expected - {"secret"}
            return (
                [f"webhook_endpoint: missing {sorted(missing)} extra {sorted(extra)}"]
                if missing or extra
                else []
            )
        if kind not in self.schema_names:
            return [f"no schema for object {kind!r}"]
        errs = self.errors(str(kind), obj)
        if kind == "event":
            errs.extend(self.check(obj["data"]["object"]))
        return errs
