"""What a request to the Stripe simulator may contain: Stripe's bracket-nested form bodies and queries,
validated against a parameter spec, and the JSON bodies of the ``/_sim/stripe`` controls.

:func:`parse_pairs` unflattens ``metadata[k]=v``, ``arr[0]=x`` / ``arr[]=x`` and ``expand[]=a`` (the kernel's
unflattener). :func:`validate` walks the result with an operation's spec (see
:mod:`simulators.stripe.validation_params`): unknown names are ``parameter_unknown`` (Stripe rejects them,
naming the full bracketed path such as ``payment_method_data[card][foo]``), integers and booleans are
coerced from their string form, enums are checked, and an empty string unsets a nullable field
(``description=``) but is refused elsewhere (``parameter_invalid_empty``), as Stripe does. Validation never
touches state (house rule 5). The control bodies (:class:`ThreeDSecureSpec`...) are the models the kernel
validates and documents for the routes of ``urls.CONTROL_ROUTES``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulators.kernel.responses import FormError, unflatten_form
from simulators.stripe.exceptions import (
    InvalidRequestError,
    empty_string,
    invalid_boolean,
    invalid_enum,
    invalid_integer,
    parameter_missing,
    parameter_unknown,
)
from simulators.stripe.resources_money import DISPUTE_REASONS


@dataclass(frozen=True)
class Scalar:
    """A leaf parameter: ``int``, ``bool``, ``str`` or ``any``; ``nullable``: ``""`` unsets it."""

    kind: str
    nullable: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class Enum:
    """A string parameter taking one of ``values``."""

    values: tuple[str, ...]
    nullable: bool = False


@dataclass(frozen=True)
class ListOf:
    """An array (``a[0]=`` or ``a[]=``) of ``item``."""

    item: Spec


@dataclass(frozen=True)
class MapOf:
    """A free-form string map such as ``metadata`` (``""`` clears it)."""

    max_keys: int = 50


@dataclass(frozen=True)
class Obj:
    """A nested object with known ``fields``; ``nullable``: ``""`` unsets it (``shipping=``); a name of
    ``required`` missing is ``parameter_missing`` naming its full path."""

    fields: Mapping[str, Spec]
    nullable: bool = False
    required: tuple[str, ...] = ()


Spec = Scalar | Enum | ListOf | MapOf | Obj

INT = Scalar("int")
BOOL = Scalar("bool")
# Stripe's strings are at most 5000 characters (``maxLength: 5000`` on nearly every string of its spec)
STR = Scalar("str", max_length=5000)
NSTR = Scalar("str", nullable=True, max_length=5000)
ANY = Scalar("any")
METADATA = MapOf()
EXPAND = ListOf(STR)


def enum(*values: str, nullable: bool = False) -> Enum:
    return Enum(tuple(values), nullable)


def obj(**fields: Spec) -> Obj:
    """An object parameter with these ``fields``."""
    return Obj(fields)


def nullable_obj(**fields: Spec) -> Obj:
    """An object parameter that ``""`` unsets (``shipping=``)."""
    return Obj(fields, nullable=True)


def needs(required: str, **fields: Spec) -> Obj:
    """An object parameter whose ``required`` names (space-separated) must all be given."""
    return Obj(fields, required=tuple(required.split()))


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Unflatten bracket-encoded pairs; a malformed name is Stripe's 400."""
    try:
        return unflatten_form(pairs)
    except FormError as exc:
        raise InvalidRequestError(f"Invalid request: {exc}") from None


def parse_body(body: bytes) -> dict[str, Any]:
    """The form body of a POST as nested params (``{}`` when empty)."""
    if not body:
        return {}
    return parse_pairs(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def parse_query(query_string: str) -> dict[str, Any]:
    """The query string of a GET/DELETE as nested params."""
    if not query_string:
        return {}
    return parse_pairs(parse_qsl(query_string, keep_blank_values=True))


def merge_params(query: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a request sent both ways: Rack's ``GET.merge(POST)``, a shallow merge in which a
    top-level name in the body replaces the same name in the query string."""
    return {**query, **body} if query else body


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def validate(params: dict[str, Any], spec: Mapping[str, Spec], prefix: str = "") -> dict[str, Any]:
    """Check and coerce ``params`` against ``spec`` in place; returns it. Raises Stripe's 400s."""
    for key in list(params):
        field = spec.get(key)
        name = _name(prefix, key)
        if field is None:
            raise parameter_unknown(name)
        params[key] = _coerce(params[key], field, name)
    return params


def _coerce(value: Any, field: Spec, name: str) -> Any:
    if isinstance(field, Scalar):
        return _scalar(value, field, name)
    if isinstance(field, Enum):
        if value == "" and field.nullable:
            return None
        if value == "":
            raise empty_string(name)
        if not isinstance(value, str) or value not in field.values:
            raise invalid_enum(name, value, field.values)
        return value
    if isinstance(field, MapOf):
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise InvalidRequestError("Invalid object", param=name)
        if len(value) > field.max_keys:
            raise InvalidRequestError(f"Invalid {name}: must have at most {field.max_keys} keys", param=name)
        for k, v in value.items():
            if not isinstance(v, str):
                raise InvalidRequestError("Invalid string", param=_name(name, k))
            if len(k) > 40:
                raise InvalidRequestError(
                    f"Invalid {name}: keys must be at most 40 characters", param=_name(name, k)
                )
            if len(v) > 500:
                raise InvalidRequestError(
                    f"Invalid {name}: values must be at most 500 characters", param=_name(name, k)
                )
        return value
    if isinstance(field, ListOf):
        if isinstance(value, dict) and not value:
            return []
        if not isinstance(value, list):
            raise InvalidRequestError("Invalid array", param=name)
        return [_coerce(item, field.item, f"{name}[{i}]") for i, item in enumerate(value)]
    # Obj
    if value == "" and field.nullable:
        return None
    if not isinstance(value, dict):
        raise InvalidRequestError("Invalid object", param=name)
    validate(value, field.fields, name)
    for key in field.required:
        if key not in value:
            raise parameter_missing(_name(name, key))
    return value


def _scalar(value: Any, field: Scalar, name: str) -> Any:
    if field.kind == "any":
        return value
    if not isinstance(value, str):
        raise InvalidRequestError(f"Invalid {field.kind if field.kind != 'str' else 'string'}", param=name)
    if field.kind == "str":
        if value == "" and field.nullable:
            return None
        if field.max_length is not None and len(value) > field.max_length:
            raise InvalidRequestError(
                f"Invalid {name}: must be at most {field.max_length} characters", param=name
            )
        return value
    if value == "":
        raise empty_string(name)
    if field.kind == "int":
        try:
            return int(value)
        except ValueError:
            raise invalid_integer(name, value) from None
    if field.kind == "bool":
        if value == "true":
            return True
        if value == "false":
            return False
        raise invalid_boolean(name, value)
    raise AssertionError(f"unknown scalar kind {field.kind!r}")


def expand_paths(params: Mapping[str, Any]) -> list[str]:
    """The ``expand`` list of a validated request (``[]`` when absent)."""
    value = params.get("expand")
    return [str(v) for v in value] if isinstance(value, list) else []


# -- control API bodies (``/_sim/stripe/...``; validated and documented from ``urls.CONTROL_ROUTES``) --------
class ThreeDSecureSpec(BaseModel):
    """Body of ``POST /_sim/stripe/payment_intents/{id}/3ds``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["complete", "fail"] = "complete"


class SettleSpec(BaseModel):
    """Body of ``POST /_sim/stripe/payment_intents/{id}/settle``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["succeeded", "failed"] = "succeeded"
    decline_code: str = "generic_decline"


class DisputeSpec(BaseModel):
    """Body of ``POST /_sim/stripe/charges/{id}/dispute`` (an inquiry: ``status=warning_needs_response``)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="fraudulent", json_schema_extra={"enum": list(DISPUTE_REASONS)})
    amount: int | None = Field(default=None, ge=1)
    status: Literal["needs_response", "warning_needs_response"] = "needs_response"

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in DISPUTE_REASONS:
            raise ValueError(f"must be one of {', '.join(DISPUTE_REASONS)}")
        return value


class CloseSpec(BaseModel):
    """Body of ``POST /_sim/stripe/disputes/{id}/close``."""

    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost"] = "won"
