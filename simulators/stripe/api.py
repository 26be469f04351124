"""Stripe's request pipeline plugged into the kernel's HTTP layer: :class:`StripeApi`.

The kernel's :class:`~simulators.kernel.api.ProviderApi` routes (``API_ROUTES`` of ``urls.py``), renders
errors and catches crashes; this subclass adds, in Stripe's order: CORS preflight; authentication (401
before anything else, even for an unknown URL; a publishable key only on the Stripe.js operations; then
unknown URLs are Stripe's 404 ``Unrecognized request URL``, whatever the method); form parsing and
parameter validation (400s that are never saved under an idempotency key); the idempotency layer for
POSTs; the handler of :mod:`simulators.stripe.responses` under the account lock; JSON rendering.
Parameters come from the query string and the form body together, whatever the method, as Stripe reads
them ("one big bucket of parameters", inherited from Rack: stripe/stripe-mock#100; a ``GET`` with
``-d limit=1`` lists one object: stripe/stripe-node#230); the body's wins a name sent in both. Every
response carries ``Request-Id`` (kernel), ``Stripe-Version: 2023-10-16`` (objects render at that version
whatever ``Stripe-Version`` the client sent), and Stripe's CORS headers so browser clients can confirm
with a publishable key.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

from simulators.kernel.api import JSON, Handler, ProviderApi, Response
from simulators.kernel.errors import ProviderError
from simulators.kernel.routing import Route
from simulators.kernel.wsgi import SimRequest
from simulators.stripe.auth import ENVIRON_KEY, PUBLISHABLE_OPERATIONS, ApiKey, KeyRing
from simulators.stripe.exceptions import (
    StripeError,
    error_for_status,
    invalid_api_key,
    no_api_key,
    publishable_key_forbidden,
    unrecognized_url,
)
from simulators.stripe.models import Ctx, StripeBackend
from simulators.stripe.models_idempotency import IdempotencyLayer, Replay
from simulators.stripe.models_store import API_VERSION
from simulators.stripe.responses import Call, StripeResponses
from simulators.stripe.urls import API_ROUTES
from simulators.stripe.validation import expand_paths, merge_params, parse_body, parse_query, validate

if TYPE_CHECKING:
    from simulators.stripe.provider import StripeProvider

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


class StripeApi(ProviderApi):
    """The kernel API app with Stripe's pipeline (the kernel wraps it with faults and the journal)."""

    headers = COMMON_HEADERS
    head_as_get = False  # Stripe answers HEAD like any unknown method: Unrecognized request URL

    def __init__(
        self,
        provider: StripeProvider,
        backend: StripeBackend,
        responses: StripeResponses,
        idempotency: IdempotencyLayer,
        keys: KeyRing,
        stop_event: threading.Event,
    ) -> None:
        super().__init__(provider, API_ROUTES, responses)
        self.backend = backend
        self.idempotency = idempotency
        self.keys = keys
        self.stop_event = stop_event

    # -- before routing ----------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> Response:
        """CORS preflight, then the key (whatever the URL), then the route."""
        if request.method == "OPTIONS":
            return Response(b"", 200, None, PREFLIGHT_HEADERS)
        key = request.environ.get(ENVIRON_KEY)
        if not isinstance(key, ApiKey):
            key = self.keys.for_request(request)
        route = request.route
        if not key.raw:
            raise no_api_key()
        if key.account is None:
            raise invalid_api_key(key.raw)
        if key.publishable and (route is None or route.operation not in PUBLISHABLE_OPERATIONS):
            raise publishable_key_forbidden()
        return super().handle(request)

    def no_route(self, request: SimRequest) -> ProviderError:
        return unrecognized_url(request.method, request.path)

    def crash_error(self, request: SimRequest) -> ProviderError:
        return error_for_status(500)

    # -- around the handler ------------------------------------------------------------------------------
    def dispatch(self, route: Route, request: SimRequest) -> Response:
        """Parse and validate, then run the handler (through the idempotency layer for a keyed POST)."""
        key: ApiKey = request.environ[ENVIRON_KEY]
        rid = request.request_id
        body = self._form_body(request)
        params = merge_params(parse_query(request.query_string), parse_body(body))
        validate(params, route.params)
        if request.query_string and route.method == "POST":
            body = request.query_string.encode() + (b"&" + body if body else b"")  # idempotency compares both
        idem: str | None = request.environ.get("HTTP_IDEMPOTENCY_KEY") if route.method == "POST" else None
        ctx = Ctx(key.account, rid, idem, key.publishable, request.host_url)
        call = Call(ctx, self.backend.state(key.account), params, request.args, expand_paths(params))
        handler = self.handlers[route.operation]
        if idem is None:
            status, out, headers, _ = self._run(handler, call, route.method)
            return Response(out, status, JSON, headers)
        echo = (("Idempotency-Key", idem),)
        try:
            begun = self.idempotency.begin(call.state, idem, f"{route.method} {request.path}", body, rid)
        except StripeError as exc:
            rendered = exc.render(request)
            return Response(rendered.body, exc.status, JSON, (*rendered.headers.items(), *echo))
        if isinstance(begun, Replay):
            replay = [("Idempotent-Replayed", "true"), *echo]
            if begun.original_request:
                replay.append(("Original-Request", begun.original_request))
            return Response(begun.body, begun.status, JSON, replay)
        status, out, headers, save = self._run(handler, call, route.method)
        self.idempotency.finish(call.state, begun, status, out, save=save)
        return Response(out, status, JSON, (*headers, *echo))

    @staticmethod
    def _form_body(request: SimRequest) -> bytes:
        """The form body whatever the method (Stripe reads ``GET -d limit=1`` like ``?limit=1``). A GET or
        DELETE body that is not form-encoded is no parameters (``b""``: Rack parses only form bodies as
        parameters); a POST's is Stripe's 400."""
        ctype: str = request.environ.get("CONTENT_TYPE", "")
        if request.body and not ctype.startswith(FORM) and request.method != "POST":
            return b""
        if request.body and not ctype.startswith(FORM):
            raise StripeError(
                f"Invalid request: unsupported Content-Type {ctype or '(none)'}. If error persists and "
                "you need "
                "assistance, please contact support@stripe.com."
            )
        return request.body

    def _run(
        self, handler: Handler, call: Call, method: str
    ) -> tuple[int, bytes, tuple[tuple[str, str], ...], bool]:
        """Run the handler under the account lock. Returns status, body, extra headers, and whether an
        idempotent save applies (a 400 naming a parameter failed validation: Stripe does not save those)."""
        delay = self.backend.settings.request_delay_ms
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
