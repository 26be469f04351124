"""The Stripe API as a plain WSGI app: the request pipeline around every handler of
:mod:`simulators.stripe.responses`.

Per request, in Stripe's order: CORS preflight; authentication (401 before anything else, even for an
unknown URL; a publishable key only on the Stripe.js operations); routing (unknown URLs are Stripe's 404
``Unrecognized request URL``); form parsing and parameter validation (400s that are never saved under an
idempotency key); the idempotency layer for POSTs; the handler under the account lock; JSON rendering.
Every response carries ``Request-Id`` (kernel), ``Stripe-Version: 2023-10-16`` (objects render at that
version whatever ``Stripe-Version`` the client sent), and Stripe's CORS headers so browser clients can
confirm with a publishable key.

It is plain WSGI rather than Flask because the whole pipeline is Stripe-specific anyway and the framework's
per-request machinery was half of the cost of a create (``genai-demo bench stripe``). Routes come from
:data:`simulators.stripe.urls.API_ROUTES` through :class:`Router`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from simulators.kernel.wsgi import Environ, SimRequest, StartResponse
from simulators.stripe.auth import ENVIRON_KEY, PUBLISHABLE_OPERATIONS, ApiKey, KeyRing
from simulators.stripe.exceptions import (
    StripeError,
    error_for_status,
    invalid_api_key,
    no_api_key,
    publishable_key_forbidden,
    unrecognized_url,
)
from simulators.stripe.forms import expand_paths, parse_body, parse_query, validate
from simulators.stripe.idempotency import IdempotencyLayer, Replay
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.responses import Call, Handler, StripeResponses
from simulators.stripe.store import API_VERSION
from simulators.stripe.urls import API_ROUTES, Route

log = logging.getLogger(__name__)

COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("Stripe-Version", API_VERSION),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Credentials", "true"),
    ("Access-Control-Allow-Methods", "GET, HEAD, PUT, PATCH, POST, DELETE"),
    (
        "Access-Control-Expose-Headers",
        "Request-Id, Stripe-Manage-Version, Stripe-Should-Retry, "
        "X-Stripe-External-Auth-Required, X-Stripe-Privileged-Session-Required",
    ),
    ("Access-Control-Max-Age", "300"),
    ("Cache-Control", "no-cache, no-store"),
)
PREFLIGHT_HEADERS = (
    (
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, Idempotency-Key, Stripe-Account, "
        "Stripe-Version, User-Agent, X-Stripe-Client-User-Agent",
    ),
)
FORM = "application/x-www-form-urlencoded"
_STATUS_LINES: dict[int, str] = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


class Router:
    """Method + path -> (route, path arguments): a dict for static paths, regexes for the rest."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._static: dict[tuple[str, str], Route] = {}
        self._dynamic: list[tuple[str, re.Pattern[str], Route]] = []
        for route in routes:
            if "<" not in route.rule:
                self._static[(route.method, route.rule)] = route
            else:
                pattern = re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", route.rule)
                self._dynamic.append((route.method, re.compile(f"^{pattern}$"), route))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        route = self._static.get((method, path))
        if route is not None:
            return route, {}
        for route_method, regex, route in self._dynamic:
            if route_method == method:
                m = regex.match(path)
                if m is not None:
                    return route, m.groupdict()
        return None


def _respond(
    start_response: StartResponse, status: int, body: bytes, extra: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        *COMMON_HEADERS,
        *extra,
    ]
    start_response(_STATUS_LINES.get(status, f"{status} Status"), headers)
    return [body]


class StripeApi:
    """The WSGI app serving :data:`API_ROUTES` (the kernel wraps it with faults and the journal)."""

    def __init__(
        self,
        backend: StripeBackend,
        responses: StripeResponses,
        idempotency: IdempotencyLayer,
        keys: KeyRing,
        stop_event: threading.Event,
    ) -> None:
        self.b = backend
        self.idempotency = idempotency
        self.keys = keys
        self.stop_event = stop_event
        self.router = Router(API_ROUTES)
        self.handlers: dict[str, Handler] = {r.endpoint: responses.handler(r.endpoint) for r in API_ROUTES}

    def operation(self, method: str, path: str) -> str | None:
        """The operation name of a request (``create_payment_intent``), for faults and the journal."""
        found = self.router.match(method, path)
        return found[0].endpoint if found else None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method: str = environ.get("REQUEST_METHOD", "GET")
        path: str = environ.get("PATH_INFO", "") or "/"
        rid: str | None = environ.get("sim.request_id")
        if method == "OPTIONS":
            start_response("200 OK", [("Content-Length", "0"), *COMMON_HEADERS, *PREFLIGHT_HEADERS])
            return [b""]
        key = environ.get(ENVIRON_KEY)
        if not isinstance(key, ApiKey):
            key = self.keys.for_request(SimRequest(environ, b""))
        found = self.router.match(method, path)
        if found is not None:
            environ["sim.operation"] = found[0].endpoint
        error: StripeError | None = None
        if not key.raw:
            error = no_api_key()
        elif key.account is None:
            error = invalid_api_key(key.raw)
        elif key.publishable and (found is None or found[0].endpoint not in PUBLISHABLE_OPERATIONS):
            error = publishable_key_forbidden()
        elif found is None:
            error = unrecognized_url(method, path)
        if error is not None:
            return self._error(start_response, error, rid)
        assert found is not None
        route, args = found
        try:
            return self._serve(environ, start_response, route, args, key, rid)
        except Exception:
            log.exception("stripe simulator crashed on %s %s", method, path)
            return self._error(start_response, error_for_status(500), rid)

    @staticmethod
    def _error(start_response: StartResponse, exc: StripeError, rid: str | None) -> list[bytes]:
        exc.request_id = rid
        return _respond(start_response, exc.status, exc.body(), exc.headers.items())

    def _serve(
        self,
        environ: Environ,
        start_response: StartResponse,
        route: Route,
        args: dict[str, str],
        key: ApiKey,
        rid: str | None,
    ) -> list[bytes]:
        body = b""
        try:
            if route.method == "POST":
                body = self._body(environ)
                params = parse_body(body)
            else:
                params = parse_query(environ.get("QUERY_STRING", ""))
            validate(params, route.params)
        except StripeError as exc:
            return self._error(start_response, exc, rid)
        idem: str | None = environ.get("HTTP_IDEMPOTENCY_KEY") if route.method == "POST" else None
        host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
        ctx = Ctx(
            key.account, rid, idem, key.publishable, f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
        )
        call = Call(ctx, self.b.state(key.account), params, args, expand_paths(params))
        handler = self.handlers[route.endpoint]
        if idem is None:
            status, out, headers, _ = self._run(handler, call, route.method)
            return _respond(start_response, status, out, headers)
        echo = (("Idempotency-Key", idem),)
        try:
            begun = self.idempotency.begin(
                call.state, idem, f"{route.method} {environ.get('PATH_INFO')}", body, rid
            )
        except StripeError as exc:
            exc.request_id = rid
            return _respond(start_response, exc.status, exc.body(), (*exc.headers.items(), *echo))
        if isinstance(begun, Replay):
            replay = [("Idempotent-Replayed", "true"), *echo]
            if begun.original_request:
                replay.append(("Original-Request", begun.original_request))
            return _respond(start_response, begun.status, begun.body, replay)
        status, out, headers, save = self._run(handler, call, route.method)
        self.idempotency.finish(call.state, begun, status, out, save=save)
        return _respond(start_response, status, out, (*headers, *echo))

    @staticmethod
    def _body(environ: Environ) -> bytes:
        stream = environ.get("wsgi.input")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body: bytes = stream.read(length) if stream is not None and length > 0 else b""
        ctype: str = environ.get("CONTENT_TYPE", "")
        if body and not ctype.startswith(FORM):
            raise StripeError(
                f"Invalid request: unsupported Content-Type {ctype or '(none)'}. If error persists and "
                "you need "
                "assistance, please contact support@stripe.com."
            )
        return body

    def _run(
        self, handler: Handler, call: Call, method: str
    ) -> tuple[int, bytes, tuple[tuple[str, str], ...], bool]:
        """Run the handler under the account lock. Returns status, body, extra headers, and whether an
        idempotent save applies (a 400 naming a parameter failed validation: Stripe does not save those)."""
        delay = self.b.settings.request_delay_ms
        if delay and method == "POST":
            self.stop_event.wait(delay / 1000.0)  # the card network's time, inside the idempotency window
        try:
            with call.state.lock:
                result: Any = handler(call)
                out = result.encode() if isinstance(result, str) else json.dumps(result).encode()
            return 200, out, (), True
        except StripeError as exc:
            exc.request_id = call.ctx.request_id
            return (
                exc.status,
                exc.body(),
                tuple(exc.headers.items()),
                not (exc.status == 400 and exc.param is not None),
            )
        except Exception:
            log.exception("stripe simulator handler %s crashed", call.ctx.request_id)
            err = error_for_status(500)
            err.request_id = call.ctx.request_id
            return 500, err.body(), tuple(err.headers.items()), True


WSGI = Callable[[Environ, StartResponse], Iterable[bytes]]
