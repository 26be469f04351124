"""One route type and one router for every simulator: :class:`Route`, :class:`Router`, OpenAPI paths.

A provider's ``urls.py`` declares two tables of :class:`Route` (the only place with paths):

* ``API_ROUTES``, the provider's own API, served by :class:`~simulators.kernel.api.ProviderApi` through
  :class:`Router`. ``operation`` is the name fault rules match (``match.operation``) and the journal shows,
  and the name of the handler method that serves the route. ``params`` is free for the provider (Stripe
  keeps the parameters an operation accepts there).
* ``CONTROL_ROUTES``, mounted by the kernel under ``/_sim/<provider>/`` on the control app *and* described
  from the same rows in ``/_sim/openapi.json`` (:func:`openapi_paths`): ``summary``, ``body`` (the pydantic
  model the kernel validates the JSON body with, and documents), ``query`` and ``responses``.

Rules use werkzeug's placeholder syntax (``/v1/payment_intents/<intent>``); a placeholder matches one
non-empty path segment (or part of one: ``/SimpleNotificationService-<key>.pem``). :class:`Router` keeps a
dict of static paths and one compiled regex per dynamic rule, so the common case is one dict lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from simulators.kernel.wsgi import NO_ARGS

if TYPE_CHECKING:
    from simulators.kernel.wsgi import SimRequest

_PLACEHOLDER = re.compile(r"<(\w+)>")
SCHEMA_REF = "#/components/schemas/{model}"


@dataclass(frozen=True, slots=True)
class Reply:
    """One documented response: a description and, optionally, its JSON schema."""

    description: str
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class QueryParam:
    """One documented query parameter."""

    name: str
    description: str = ""
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """One route: ``method``, ``rule``, ``operation`` (handler, fault and journal name) and its description.

    ``when`` narrows a route to some requests on its path (a guard that sees the whole request); a request
    it refuses is routed as if the route did not exist. ``body_required`` is false when an empty body is
    accepted (the model's defaults apply).
    """

    method: str
    rule: str
    operation: str
    summary: str = ""
    params: Any = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: tuple[QueryParam, ...] = ()
    responses: Mapping[int, str | Reply] = field(default_factory=lambda: {200: "OK"})
    when: Callable[[SimRequest], bool] | None = None

    @property
    def endpoint(self) -> str:
        """The endpoint name the route is mounted under (the operation)."""
        return self.operation

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the rule's placeholders, in order."""
        return tuple(_PLACEHOLDER.findall(self.rule))

    def openapi_path(self, prefix: str = "") -> str:
        """The OpenAPI path of this route under ``prefix`` (``<x>`` -> ``{x}``)."""
        return prefix + _PLACEHOLDER.sub(r"{\1}", self.rule)


def _pattern(rule: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for m in _PLACEHOLDER.finditer(rule):
        parts.append(re.escape(rule[last : m.start()]))
        parts.append(f"(?P<{m.group(1)}>[^/]+)")
        last = m.end()
    parts.append(re.escape(rule[last:]))
    return re.compile("^" + "".join(parts) + "$")


Match = tuple[Route, Mapping[str, str]]


class Router:
    """``(method, path) -> (route, path arguments)``: a dict for static rules, regexes for the rest.

    With ``head_as_get`` (werkzeug's default) a ``HEAD`` request is served by the ``GET`` route of its
    path when there is no ``HEAD`` route. :meth:`status_for_miss` tells a 404 (no route on the path) from a
    405 (the path exists for other methods).
    """

    def __init__(self, routes: Iterable[Route], *, head_as_get: bool = True) -> None:
        self.head_as_get = head_as_get
        self._static: dict[tuple[str, str], tuple[Route, ...]] = {}
        self._dynamic: dict[str, list[tuple[re.Pattern[str], Route]]] = {}
        for route in routes:
            if "<" not in route.rule:
                key = (route.method, route.rule)
                self._static[key] = (*self._static.get(key, ()), route)
            else:
                self._dynamic.setdefault(route.method, []).append((_pattern(route.rule), route))

    def _find(self, method: str, path: str, request: SimRequest | None) -> Match | None:
        for route in self._static.get((method, path), ()):
            if route.when is None or (request is not None and route.when(request)):
                return route, NO_ARGS
        for regex, route in self._dynamic.get(method, ()):
            m = regex.match(path)
            if m is not None and (route.when is None or (request is not None and route.when(request))):
                return route, m.groupdict()
        return None

    def match(self, method: str, path: str, request: SimRequest | None = None) -> Match | None:
        """The route serving ``method path`` and its path arguments, or ``None``."""
        found = self._find(method, path, request)
        if found is None and method == "HEAD" and self.head_as_get:
            found = self._find("GET", path, request)
        return found

    def status_for_miss(self, path: str, request: SimRequest | None = None) -> int:
        """404 when no route has ``path``, 405 when only other methods do."""
        methods = {m for m, _ in self._static} | set(self._dynamic)
        return 405 if any(self._find(m, path, request) for m in methods) else 404


# -- OpenAPI ---------------------------------------------------------------------------------------------
def ref(name: str) -> dict[str, str]:
    """A JSON schema reference to ``components.schemas[name]``."""
    return {"$ref": SCHEMA_REF.format(model=name)}


def list_of(name: str) -> dict[str, Any]:
    """The schema of ``{"data": [<name>, ...]}``."""
    return {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": ref(name)}},
    }


def _reply(reply: str | Reply) -> dict[str, Any]:
    if isinstance(reply, str):
        return {"description": reply}
    out: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None:
        out["content"] = {"application/json": {"schema": dict(reply.schema)}}
    return out


def openapi_operation(route: Route, tag: str) -> dict[str, Any]:
    """The OpenAPI operation object of ``route`` (``operationId`` is ``<tag>_<operation>``)."""
    op: dict[str, Any] = {"summary": route.summary, "operationId": f"{tag}_{route.operation}", "tags": [tag]}
    if route.query:
        op["parameters"] = [
            {"name": q.name, "in": "query", "required": q.required, "description": q.description,
             "schema": dict(q.schema)}
            for q in route.query
        ]  # fmt: skip
    if route.body is not None:
        op["requestBody"] = {
            "required": route.body_required,
            "content": {"application/json": {"schema": ref(route.body.__name__)}},
        }
    replies = dict(route.responses)
    if route.body is not None:
        replies.setdefault(400, "Invalid request body")  # the kernel validates it with route.body
    op["responses"] = {str(status): _reply(reply) for status, reply in sorted(replies.items())}
    return op


def openapi_paths(prefix: str, routes: Iterable[Route], tag: str) -> dict[str, Any]:
    """OpenAPI path items for ``routes`` mounted under ``prefix`` (path parameters from the rules)."""
    paths: dict[str, Any] = {}
    for route in routes:
        item = paths.setdefault(route.openapi_path(prefix), {})
        if route.path_params:
            item["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in route.path_params
            ]
        item[route.method.lower()] = openapi_operation(route, tag)
    return paths


def body_models(routes: Iterable[Route]) -> list[type[BaseModel]]:
    """The distinct request-body models of ``routes`` (for ``components.schemas``)."""
    return list(dict.fromkeys(route.body for route in routes if route.body is not None))
