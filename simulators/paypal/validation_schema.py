"""Request bodies checked against PayPal's own request schemas, as PayPal's API gateway checks them.

``request_schemas.json`` holds, unchanged, the component schemas of the official Orders v2 spec
(paypal/paypal-rest-api-specifications ``checkout_orders_v2.json``, Apache-2.0) reachable from
``order_request``, ``confirm_order_request``, ``order_tracker_request`` and ``patch_request``
(``tests/simulators/paypal/test_spec_sources.py`` checks it against the spec). :func:`schema_details` lists
every violation of one of them as a 400 ``INVALID_REQUEST`` detail with a JSON pointer ``field``, the way
PayPal reports schema errors: a wrong JSON type is ``INVALID_PARAMETER_SYNTAX`` (so is a string that breaks
its ``pattern`` or ``format``), a length outside ``minLength``/``maxLength`` is ``INVALID_STRING_LENGTH``, a
value outside an ``enum`` or a numeric range is ``INVALID_PARAMETER_VALUE``, a missing property is
``MISSING_REQUIRED_PARAMETER`` and an array of the wrong size ``INVALID_ARRAY_MIN_ITEMS``/``MAX_ITEMS``; an
issue the operation's own 400 list lacks (trackers PATCH has no ``INVALID_PARAMETER_SYNTAX``) is reported as
``INVALID_PARAMETER_VALUE``, which every list has.

The hand-written checks of :mod:`simulators.paypal.validation` run first (they know which fields the
simulator uses, and PayPal's exact issue for each); these add what the schema says about everything else
(``payer``, ``payment_source.paypal``, ``application_context``, shipping, ...), so nothing the simulator
stores and echoes back can break the spec's response schema.

Speed: a valid body (nearly every request) is answered by a compiled validator (``jsonschema_rs``, built
once per schema): about 4 µs against about 870 µs for ``jsonschema``'s interpreted walk, which had cut
``genai-demo bench paypal`` from ~2,400 to ~680 creates/s. Only a body it refuses is walked again by
``jsonschema`` (OpenAPI 3.0 semantics, with the best branch of each ``anyOf``) to name every violation, so
the answer is the same either way; ``tests/simulators/paypal/test_spec_sources.py`` checks that the compiled
validator never passes a body ``jsonschema`` refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30Validator

from simulators.paypal.exceptions import Detail, detail, listed

ISSUES = {
    "type": "INVALID_PARAMETER_SYNTAX",
    "pattern": "INVALID_PARAMETER_SYNTAX",
    "format": "INVALID_PARAMETER_SYNTAX",
    "minLength": "INVALID_STRING_LENGTH",
    "maxLength": "INVALID_STRING_LENGTH",
    "required": "MISSING_REQUIRED_PARAMETER",
    "minItems": "INVALID_ARRAY_MIN_ITEMS",
    "maxItems": "INVALID_ARRAY_MAX_ITEMS",
}
# RFC 3986 absolute URI: a scheme, a colon, then no whitespace (PayPal's ``url`` schemas are ``format: uri``).
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")


@cache
def _document() -> dict[str, Any]:
    raw = resources.files("simulators.paypal").joinpath("request_schemas.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


def _uri(value: object) -> bool:
    return not isinstance(value, str) or bool(_URI.match(value))


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("uri")(_uri)
    return checker


def _root(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}", "components": _document()["components"]}


@cache
def _validator(name: str) -> OAS30Validator:
    """The interpreted validator that names every violation (only run on a body that has some)."""
    return OAS30Validator(_root(name), format_checker=_format_checker())


@cache
def compiled(name: str) -> jsonschema_rs.Draft4Validator:
    """The compiled validator of request schema ``name``: the same rules (the spec's other formats are
    PayPal-internal names, ignored by both), answering only valid or not."""
    return jsonschema_rs.Draft4Validator(_root(name), formats={"uri": _uri}, validate_formats=True)


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path)


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The violation to report for ``error``: for ``anyOf``/``oneOf`` the best match among the branches."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        chosen = best_match(error.context)
        if chosen is not None:
            yield from _leaves(chosen)
            return
    yield error


def schema_details(operation: str, schema: str, body: Any) -> list[Detail]:
    """Every violation of the request schema ``schema`` (``order_request``...) by ``body``, in field order."""
    if compiled(schema).is_valid(body):
        return []
    out: dict[tuple[str, str], Detail] = {}
    for error in _validator(schema).iter_errors(body):
        for leaf in _leaves(error):
            field = _pointer(leaf.absolute_path)
            issue = ISSUES.get(str(leaf.validator), "INVALID_PARAMETER_VALUE")
            if not listed(operation, 400, issue):  # e.g. trackers.patch lists no INVALID_PARAMETER_SYNTAX
                issue = "INVALID_PARAMETER_VALUE"
            value: Any = leaf.instance
            if leaf.validator == "required" and isinstance(leaf.instance, dict):
                names = leaf.validator_value if isinstance(leaf.validator_value, list) else []
                missing = [k for k in names if k not in leaf.instance]
                field = field.rstrip("/") + "/" + (missing[0] if missing else "")
                value = None
            elif isinstance(value, (dict, list)):
                value = None  # PayPal names the field; it does not echo whole objects
            out.setdefault((field, issue), detail(operation, issue, field, value))
    return [out[key] for key in sorted(out)]


def outside(field: str, reported: list[str]) -> bool:
    """Whether ``field`` is neither one of ``reported`` nor inside or around one (no double reports)."""
    return not any(field == r or field.startswith(r + "/") or r.startswith(field + "/") for r in reported)
