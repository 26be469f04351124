"""Route registration, strict request parsing and the OpenAPI 3.1 document, from pydantic models.

``ApiSpec.operation`` registers a Flask view and records its contract. The view receives the parsed
``body`` and ``query`` models and each declared header (``HeaderParam``) validated against the schema
the document shows; parsing errors become problem+json (415, 400, 413 or 422, each naming the field),
so a view never sees bad input. ``ApiSpec.openapi()`` renders every recorded operation, so
``GET /openapi.json`` always describes exactly the routes that exist, with the very models that parse
the requests.

Written here rather than taken from flask-openapi3/spectree because those render their own error
bodies; every error here must be this service's problem+json with field names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from flask import Blueprint, Flask, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema
from werkzeug.routing import BaseConverter

from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.json_types import json_number, parse_json

#: the two credentials every protected route takes (docs/security.md)
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An access token from the configured issuer (lab: `genai-demo token --role admin`).",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key (`gdk_...`) made with POST /api/v1/admin/api-keys.",
    },
}
SECURED: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKey": []}]
ACCESS_ERRORS = {
    401: "unauthorized: no credential, or an invalid, expired or revoked one (WWW-Authenticate says which)",
    403: "forbidden: none of the caller's roles grants the permission (x-required-permission)",
}
RATE_LIMITED = "rate-limited: over the client's limit; see Retry-After and RateLimit-*"
_RULE_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_RULE_CONVERTER = re.compile(r"<([a-z_]+):([a-zA-Z_][a-zA-Z0-9_]*)>")


class NotificationId(BaseConverter):
    """``<ntf:notification_id>``: only a notification's id (``ntf_...``), so ``/notifications/email``
    and ``/notifications/sms`` never also match the GET of a notification (nor does OPTIONS offer it)."""

    regex = r"ntf_[^/]+"


#: URL converters the service registers (``register_converters``), with the pattern each states in OpenAPI
CONVERTERS: dict[str, tuple[type[BaseConverter], str]] = {"ntf": (NotificationId, "^ntf_[^/]+$")}


def register_converters(app: Flask) -> None:
    """Make ``CONVERTERS`` usable in the app's rules (before any blueprint is registered)."""
    for name, (converter, _) in CONVERTERS.items():
        app.url_map.converters[name] = converter


@dataclass(frozen=True)
class HeaderParam:
    """A request header: documented with the JSON Schema of ``schema`` (an annotated ``str``) and, on an
    ``operation`` route, validated against it and handed to the view as keyword argument ``arg``; an
    invalid value is a 400 ``malformed-request`` whose detail is ``invalid``."""

    name: str
    description: str
    required: bool = False
    schema: Any = str
    arg: str | None = None
    invalid: str = ""

    @functools.cached_property
    def adapter(self) -> TypeAdapter[Any]:
        return TypeAdapter(self.schema)

    def json_schema(self) -> dict[str, Any]:
        return self.adapter.json_schema()

    def parse(self) -> str | None:
        """The header of the current request, validated (``None`` when it is absent)."""
        value = request.headers.get(self.name)
        if value is None:
            if self.required:
                raise Problem(
                    "malformed-request",
                    f"The {self.name} header is required.",
                    [FieldError(self.name, "required", "missing")],
                )
            return None
        try:
            parsed: str = self.adapter.validate_python(value)
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0]["msg"]
            raise Problem(
                "malformed-request",
                self.invalid or f"The {self.name} header is invalid: {message}.",
                [FieldError(self.name, message, "invalid")],
            ) from None
        return parsed


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    tags: list[str]
    body: type[BaseModel] | None
    body_required: bool
    query: type[BaseModel] | None
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    headers: Sequence[HeaderParam] = field(default_factory=tuple)
    response_headers: dict[int, dict[str, str]] = field(default_factory=dict)
    #: a body the route reads raw (a provider's signed webhook): (media type, description)
    raw_request: tuple[str, str] | tuple[str, str, dict[str, Any]] | None = None
    response_media: str = "application/json"
    #: turns a body's ``ValidationError`` into the error to raise instead of the generic 422
    invalid_body: BodyProblem | None = None
    #: problem+json answers that depend on state, not on the request's shape: status → when
    errors: dict[int, str] = field(default_factory=dict)

    @property
    def openapi_path(self) -> str:
        return _RULE_PARAM.sub(r"{\1}", self.path)

    @property
    def path_params(self) -> list[str]:
        return _RULE_PARAM.findall(self.path)

    def path_param_schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of one path parameter: a string, with its converter's pattern if it has one."""
        converters = {param: conv for conv, param in _RULE_CONVERTER.findall(self.path)}
        pattern = CONVERTERS.get(converters.get(name, ""), (None, None))[1]
        return {"type": "string", "pattern": pattern} if pattern else {"type": "string"}


def field_path(loc: Sequence[int | str]) -> str:
    """pydantic ``loc`` → ``items[0].quantity``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def discriminator_of(model: type[BaseModel]) -> str | None:
    """The tag field of a ``RootModel`` over a discriminated union (``provider``, ``type``), if it is one."""
    root = model.model_fields.get("root")
    tag = root.discriminator if root is not None else None
    return tag if isinstance(tag, str) else None


def validation_problem(
    exc: ValidationError, where: str, data: Any = None, discriminator: str | None = None
) -> Problem:
    """A 422 naming every field ``exc`` is about. For a discriminated union, the chosen member's tag is
    dropped from each location and an unknown or missing tag is reported on the tag field itself."""
    tag = data.get(discriminator) if discriminator and isinstance(data, dict) else None
    errors: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if discriminator and err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (discriminator,)
        elif tag is not None and loc and loc[0] == str(tag):
            loc = loc[1:]
        name = field_path(loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = f"unknown field {name!r}"
        elif err["type"] in ("missing", "union_tag_not_found"):
            message = f"{name!r} is required"
        errors.append(FieldError(name or where, message, err["type"]))
    names = ", ".join(sorted({e.field for e in errors}))
    return Problem("validation-error", f"Invalid {where}: {names}.", errors)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


BodyProblem = Callable[[ValidationError, dict[str, Any]], Exception]


def parse_json_body(model: type[BaseModel], required: bool, invalid: BodyProblem | None = None) -> BaseModel:
    """Parse and validate the request body as ``model``; raise ``Problem`` (or what ``invalid`` makes of
    the validation error) on any defect."""
    raw = request.get_data(cache=True)  # raises RequestEntityTooLarge over MAX_CONTENT_LENGTH
    if not raw.strip():
        if required:
            raise Problem(
                "validation-error",
                "A JSON request body is required.",
                [FieldError("body", "a JSON object is required", "missing")],
            )
        return model()
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Problem(
            "unsupported-media-type",
            f"Content-Type must be application/json, got {request.content_type or 'none'}.",
        )
    try:  # 2.0 and 1e2 are whole numbers, as JSON Schema's ``integer`` says
        data = parse_json(raw, parse_constant=_reject_constant, parse_float=json_number)
    except UnicodeDecodeError:
        raise Problem(
            "malformed-request", "The body is not UTF-8.", [FieldError("body", "not UTF-8", "encoding")]
        ) from None
    except ValueError as exc:
        raise Problem(
            "malformed-request",
            f"The body is not valid JSON: {exc}.",
            [FieldError("body", str(exc), "json_invalid")],
        ) from None
    if not isinstance(data, dict):
        raise Problem(
            "validation-error",
            "The body must be a JSON object.",
            [FieldError("body", f"expected an object, got {type(data).__name__}", "object_type")],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        if invalid is not None:
            raise invalid(exc, data) from None
        raise validation_problem(exc, "request body", data, discriminator_of(model)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    """Validate the query string as ``model``; repeated parameters and unknown ones are errors."""
    data: dict[str, str] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise Problem(
                "validation-error",
                f"Query parameter {key!r} is repeated.",
                [FieldError(key, "give this parameter once", "repeated")],
            )
        data[key] = values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc, "query string") from None


class ApiSpec:
    def __init__(self, title: str, version: str, description: str) -> None:
        self.title = title
        self.version = version
        self.description = description
        self.operations: list[Operation] = []
        self.extra_schemas: list[type[BaseModel]] = []

    def operation(
        self,
        blueprint: Blueprint,
        rule: str,
        method: str,
        *,
        operation_id: str,
        summary: str,
        tags: list[str],
        responses: dict[int, tuple[type[BaseModel] | None, str]],
        body: type[BaseModel] | None = None,
        body_required: bool = True,
        query: type[BaseModel] | None = None,
        headers: Sequence[HeaderParam] = (),
        response_headers: dict[int, dict[str, str]] | None = None,
        invalid_body: BodyProblem | None = None,
        errors: dict[int, str] | None = None,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register ``rule`` on ``blueprint`` and record it for the OpenAPI document. ``errors`` documents
        the problem+json answers a well-formed request may still get (a missing order, a conflict)."""
        prefix = blueprint.url_prefix or ""
        op = Operation(
            method.upper(),
            prefix + rule,
            operation_id,
            summary,
            tags,
            body,
            body_required,
            query,
            responses,
            headers,
            response_headers or {},
            invalid_body=invalid_body,
            errors=errors or {},
        )
        self.operations.append(op)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(fn)
            def view(**path_params: Any) -> Any:
                kwargs: dict[str, Any] = dict(path_params)
                for header in headers:
                    value = header.parse()
                    if header.arg is not None:
                        kwargs[header.arg] = value
                if query is not None:
                    kwargs["query"] = parse_query(query)
                if body is not None:
                    kwargs["body"] = parse_json_body(body, body_required, invalid_body)
                return fn(**kwargs)

            blueprint.add_url_rule(rule, endpoint=operation_id, view_func=view, methods=[op.method])
            return view

        return decorator

    def document(
        self,
        path: str,
        method: str,
        *,
        operation_id: str,
        summary: str,
        tags: list[str],
        responses: dict[int, tuple[type[BaseModel] | None, str]],
        raw_request: tuple[str, str] | tuple[str, str, dict[str, Any]] | None = None,
        headers: Sequence[HeaderParam] = (),
        response_media: str = "application/json",
    ) -> None:
        """Describe a route registered without ``operation``: one that must read its body raw (a provider's
        signed webhook, verified byte for byte) or answers something other than JSON (``/metrics``)."""
        self.operations.append(
            Operation(
                method.upper(),
                path,
                operation_id,
                summary,
                tags,
                None,
                False,
                None,
                responses,
                headers,
                {},
                raw_request,
                response_media,
            )
        )

    def openapi(
        self, problem_model: type[BaseModel], security: Callable[[str, str], str | bool | None] | None = None
    ) -> dict[str, Any]:
        """The OpenAPI 3.1 document for every registered operation. ``security(path, method)`` gives the
        permission a route needs (``None``: public; ``False``: it declares no policy and is refused to
        everyone); protected operations then name the two ``securitySchemes`` (Swagger UI's Authorize)."""
        models: set[type[BaseModel]] = {problem_model, *self.extra_schemas}
        for op in self.operations:
            if op.body is not None:
                models.add(op.body)
            models.update(m for m, _ in op.responses.values() if m is not None)
        keyed: list[tuple[type[BaseModel], Literal["validation"]]] = [
            (m, "validation") for m in sorted(models, key=lambda m: m.__name__)
        ]
        refs, top = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
        schemas: dict[str, Any] = dict(top.get("$defs", {}))

        def ref(model: type[BaseModel]) -> dict[str, Any]:
            return refs[(model, "validation")]

        paths: dict[str, Any] = {}
        for op in self.operations:
            params: list[dict[str, Any]] = [
                {"name": p, "in": "path", "required": True, "schema": op.path_param_schema(p)}
                for p in op.path_params
            ]
            for header in op.headers:
                params.append(
                    {
                        "name": header.name,
                        "in": "header",
                        "required": header.required,
                        "description": header.description,
                        "schema": header.json_schema(),
                    }
                )
            if op.query is not None:
                qschema = op.query.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(qschema.pop("$defs", {}))
                required = set(qschema.get("required", []))
                for name, prop in qschema.get("properties", {}).items():
                    params.append(
                        {
                            "name": name,
                            "in": "query",
                            "required": name in required,
                            "description": prop.get("description", ""),
                            "schema": prop,
                        }
                    )
            responses: dict[str, Any] = {}
            for status, (model, desc) in sorted(op.responses.items()):
                entry: dict[str, Any] = {"description": desc}
                if model is not None:
                    entry["content"] = {op.response_media: {"schema": ref(model)}}
                elif op.response_media != "application/json":
                    entry["content"] = {op.response_media: {"schema": {"type": "string"}}}
                if status in op.response_headers:
                    entry["headers"] = {
                        k: {"description": v, "schema": {"type": "string"}}
                        for k, v in op.response_headers[status].items()
                    }
                responses[str(status)] = entry
            problem = {"application/problem+json": {"schema": ref(problem_model)}}
            for status, when in sorted(op.errors.items()):
                responses[str(status)] = {"description": when, "content": problem}
            responses["default"] = {
                "description": "An error, as RFC 9457 problem+json (see /problems).",
                "content": {"application/problem+json": {"schema": ref(problem_model)}},
            }
            operation: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "tags": op.tags,
                "parameters": params,
                "responses": responses,
            }
            if security is not None:
                needed = security(op.path, op.method)
                operation["security"] = [] if needed is None or needed is False else SECURED
                if needed is False:
                    operation["x-required-permission"] = "none declared: refused to every caller"
                elif needed is not None:
                    operation["x-required-permission"] = str(needed)
                    for status, when in ACCESS_ERRORS.items():
                        responses.setdefault(str(status), {"description": when, "content": problem})
                responses.setdefault("429", {"description": RATE_LIMITED, "content": problem})
            if op.body is not None:
                operation["requestBody"] = {
                    "required": op.body_required,
                    "content": {"application/json": {"schema": ref(op.body)}},
                }
            elif op.raw_request is not None:
                media, description, *stated = op.raw_request
                default = {"type": "object"} if "json" in media else {"type": "string"}
                operation["requestBody"] = {
                    "required": True,
                    "description": description,
                    "content": {media: {"schema": stated[0] if stated else default}},
                }
            paths.setdefault(op.openapi_path, {})[op.method.lower()] = operation
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version, "description": self.description},
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
        }
