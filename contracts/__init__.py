"""JSON Schema contracts for every payload that crosses a process boundary (house rule 7).

Layout (shipped as package data)::

    contracts/schemas/<name>.json    a JSON Schema whose ``$id`` is ``ID_BASE + "<name>.json"`` (Draft 2020-12
                                     unless its ``$schema`` names another dialect)
    contracts/examples/<name>.json   one valid instance of that schema

A contract's *name* is its path under ``schemas/`` without ``.json``: ``api/orders/order``,
``api/problem``, ``events/order.created``; later ``providers/stripe/webhooks/payment_intent.succeeded``.
The loader has no list of names: a file dropped under ``schemas/`` is a contract, and a ``$ref`` between
schemas is an ordinary relative URI (``"../../common/currency.json"``, ``"order.json#/$defs/x"``) resolved
through one ``referencing.Registry`` that holds every schema.

Inspect from a shell::

    python -m contracts list [PREFIX]           # every name (or those under PREFIX)
    python -m contracts show api/orders/order   # the schema
    python -m contracts example api/problem     # its example
    python -m contracts validate api/orders/order body.json   # or '-' for stdin; exit 1 on a violation
    python -m contracts check                   # every schema compiles and resolves, every example is valid

From Python::

    import contracts
    contracts.names("events/")                          # ('events/envelope', 'events/order.cancelled', ...)
    contracts.validate("api/orders/order", body)        # raises ContractViolation listing every error
    contracts.violations("api/orders/order", body)      # the same errors as a list, no exception
    contracts.example("api/orders/order")               # a fresh copy of the example

Only caches are module state (``functools.cache``); ``schema`` and ``example`` return copies, so callers
cannot change what later validations see.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, ValidationError, best_match
from jsonschema.protocols import Validator as JsonSchemaValidator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

__all__ = [
    "ID_BASE",
    "BrokenContract",
    "ContractError",
    "ContractViolation",
    "UnknownContract",
    "Validator",
    "Violation",
    "check",
    "example",
    "example_names",
    "is_valid",
    "names",
    "registry",
    "reload",
    "schema",
    "schema_id",
    "validate",
    "validator",
    "violations",
]

#: base URI of every schema's ``$id``; ``.example`` is reserved (RFC 2606), so nothing is ever fetched
ID_BASE: Final = "https://contracts.genai-demo.example/schemas/"
_SUFFIX: Final = ".json"
_MAX_MESSAGE: Final = 300


Validator = JsonSchemaValidator
"""What ``validator(name)`` returns: a compiled ``jsonschema`` validator (``Draft202012Validator``)."""


class ContractError(Exception):
    """Base class of every error this package raises."""


class UnknownContract(ContractError, LookupError):
    """No schema (or no example) has this name; the message suggests close names."""

    def __init__(self, name: str, kind: str = "schema") -> None:
        known = names() if kind == "schema" else example_names()
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `python -m contracts list`"
        super().__init__(f"no {kind} named {name!r}{hint}")
        self.name = name


class BrokenContract(ContractError):
    """A schema or example file is unreadable, mislabelled, not a valid schema, or has a dangling ``$ref``."""


@dataclass(frozen=True)
class Violation:
    """One reason an instance breaks a contract.

    ``path`` is a JSON path into the instance (``$.items[0].quantity``; ``$`` is the whole document),
    ``keyword`` the failing JSON Schema keyword (``required``, ``enum``...) and ``schema_path`` where in
    the schema it sits (``properties/items/items/properties/quantity/minimum``).
    """

    path: str
    message: str
    keyword: str
    schema_path: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.keyword} at {self.schema_path or '/'}]"


class ContractViolation(ContractError, ValueError):
    """An instance does not satisfy a contract. ``violations`` holds every error, ordered by path."""

    def __init__(self, name: str, found: list[Violation]) -> None:
        self.name = name
        self.violations = tuple(found)
        lines = "\n".join(f"  {v}" for v in self.violations)
        count = len(self.violations)
        super().__init__(f"instance breaks contract {name!r} ({count} error{'s' * (count != 1)}):\n{lines}")


# --------------------------------------------------------------------------------------------- files


def _root(kind: str) -> Traversable:
    return files(__name__).joinpath(kind)


def _walk(node: Traversable, prefix: str = "") -> Iterator[tuple[str, Traversable]]:
    """Every ``*.json`` file under ``node`` as (name without suffix, file), depth first."""
    if not node.is_dir():
        return
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif child.name.endswith(_SUFFIX):
            yield f"{prefix}{child.name[: -len(_SUFFIX)]}", child


def _read_json(kind: str, name: str, node: Traversable) -> Any:
    try:
        return json.loads(node.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BrokenContract(f"{kind}/{name}{_SUFFIX} is not readable JSON: {exc}") from exc


@cache
def _schemas() -> Mapping[str, dict[str, Any]]:
    """Every schema by name, parsed once. Internal and read-only: ``schema()`` hands out copies."""
    out: dict[str, dict[str, Any]] = {}
    for name, node in _walk(_root("schemas")):
        contents = _read_json("schemas", name, node)
        if not isinstance(contents, dict):
            raise BrokenContract(f"schemas/{name}{_SUFFIX} must hold a JSON object")
        expected = schema_id(name)
        declared = contents.get("$id", expected)
        if declared != expected:
            raise BrokenContract(
                f"schemas/{name}{_SUFFIX} declares $id {declared!r}; its path says {expected!r}"
            )
        out[name] = contents
    return out


@cache
def _examples() -> Mapping[str, Any]:
    return {name: _read_json("examples", name, node) for name, node in _walk(_root("examples"))}


# ------------------------------------------------------------------------------------------- lookup


def names(prefix: str = "") -> tuple[str, ...]:
    """Every contract name, sorted; only those starting with ``prefix`` when given (``"events/"``)."""
    return tuple(n for n in sorted(_schemas()) if n.startswith(prefix))


def example_names() -> tuple[str, ...]:
    """Every name that has an example file under ``examples/``, sorted."""
    return tuple(sorted(_examples()))


def schema_id(name: str) -> str:
    """The ``$id`` (and registry key) of contract ``name``: ``ID_BASE + name + ".json"``."""
    return f"{ID_BASE}{name}{_SUFFIX}"


def schema(name: str) -> dict[str, Any]:
    """A copy of the schema ``name`` (``$id`` filled in when the file leaves it out)."""
    try:
        contents = _schemas()[name]
    except KeyError:
        raise UnknownContract(name) from None
    return {"$id": schema_id(name), **copy.deepcopy(contents)}


def example(name: str) -> Any:
    """A copy of the example instance for contract ``name`` (raise ``UnknownContract`` if it has none)."""
    try:
        return copy.deepcopy(_examples()[name])
    except KeyError:
        raise UnknownContract(name, "example") from None


@cache
def registry() -> Registry[Any]:
    """One ``referencing.Registry`` holding every schema under its ``$id``, crawled once.

    ``registry().resolver(schema_id("api/orders/order")).lookup("order-status.json")`` shows what a
    ``$ref`` resolves to.
    """
    resources = [
        (schema_id(name), Resource.from_contents(schema(name), default_specification=DRAFT202012))
        for name in _schemas()
    ]
    return Registry().with_resources(resources).crawl()


@cache
def validator(name: str) -> Validator:
    """The compiled validator of ``name`` (one per name, built on first use).

    The dialect is the schema's ``$schema`` (Draft 2020-12 when absent, and for every schema written
    here), so a vendored provider schema in another draft still validates by its own rules. Formats are
    asserted (``date-time``, ``uuid``...), and ``$ref`` resolves through ``registry()``.
    ``validator(name).iter_errors(instance)`` yields raw ``jsonschema`` errors for debugging.
    """
    contents = schema(name)
    cls = validator_for(contents, default=Draft202012Validator)
    try:
        cls.check_schema(contents)
    except SchemaError as exc:
        raise BrokenContract(
            f"schemas/{name}{_SUFFIX} is not a valid {cls.__name__} schema: {exc.message}"
        ) from exc
    compiled: Validator = cls(contents, registry=registry(), format_checker=cls.FORMAT_CHECKER)
    return compiled


# --------------------------------------------------------------------------------------- validation


def _short(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def _to_violation(error: ValidationError) -> Violation:
    message = error.message
    if error.context:  # oneOf/anyOf: say which branch came closest, preferring one whose type matched
        typed = [e for e in error.context if e.validator != "type"]
        closest = best_match(typed or error.context)
        if closest is not None:
            message = f"{message} (closest: {closest.message})"
    return Violation(
        path=error.json_path,
        message=_short(message),
        keyword=str(error.validator),
        schema_path="/".join(str(p) for p in error.relative_schema_path),
    )


def violations(name: str, instance: Any) -> list[Violation]:
    """Every way ``instance`` breaks contract ``name``, ordered by path; empty when it is valid."""
    found = [_to_violation(e) for e in validator(name).iter_errors(instance)]
    return sorted(found, key=lambda v: (v.path, v.schema_path, v.message))


def is_valid(name: str, instance: Any) -> bool:
    """True when ``instance`` satisfies contract ``name``."""
    return bool(validator(name).is_valid(instance))


def validate(name: str, instance: Any) -> None:
    """Raise ``ContractViolation`` (listing every error with its JSON path) unless ``instance`` is valid."""
    found = violations(name, instance)
    if found:
        raise ContractViolation(name, found)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for key, value in node.items():
            if key not in ("const", "enum", "examples", "default"):
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def check(name: str) -> None:
    """Raise ``BrokenContract`` unless ``name`` is a valid schema whose every ``$ref`` resolves and whose
    example (when there is one) satisfies it. ``python -m contracts check`` runs this over every name."""
    compiled = validator(name)
    resolver = registry().resolver(base_uri=schema_id(name))
    for ref in _refs(compiled.schema):
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            raise BrokenContract(f"schemas/{name}{_SUFFIX}: $ref {ref!r} does not resolve ({exc})") from exc
    if name in _examples():
        found = violations(name, example(name))
        if found:
            raise BrokenContract(
                f"examples/{name}{_SUFFIX} breaks its schema:\n" + "\n".join(map(str, found))
            )


def reload() -> None:
    """Forget every cache (files, registry, validators), e.g. after editing a schema in a running REPL."""
    for cached in (_schemas, _examples, registry, validator):
        cached.cache_clear()
