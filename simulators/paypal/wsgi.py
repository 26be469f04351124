"""PayPal's API as a plain WSGI app: routing, the current request, and one place that renders errors.

Per request: match the path against :data:`simulators.paypal.urls.API_ROUTES` (a werkzeug ``Map``; the
endpoint becomes ``environ["sim.operation"]`` for the journal), make the request current for the handlers
(:func:`current`), call the handler method of the same name, and render any
:class:`~simulators.kernel.errors.ProviderError` as PayPal's body. Unknown paths and methods get the
provider's 404/405 bodies; a crash is logged and answered with PayPal's 500.

Plain WSGI rather than Flask, as the Stripe simulator does: Flask's per-request machinery (contexts,
signals, proxies) cost ~45 µs of a ~160 µs create-order, a third of the time, and the API needs none of it.
The ``/_sim/paypal`` controls stay a Flask blueprint (the kernel's control app).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from simulators.kernel.errors import ErrorResponse, ProviderError
from simulators.kernel.wsgi import Environ, StartResponse
from simulators.paypal.urls import API_ROUTES

if TYPE_CHECKING:
    from simulators.paypal.provider import PayPalProvider

log = logging.getLogger(__name__)
_local = threading.local()


def current() -> Request:
    """The request this thread is serving (set by :class:`PayPalApi` around each handler)."""
    req: Request | None = getattr(_local, "request", None)
    if req is None:
        raise RuntimeError("no PayPal API request is being served on this thread")
    return req


def render(error: ErrorResponse, status: int) -> Response:
    """A response for a rendered provider error."""
    resp = Response(error.body, status=status, content_type=error.content_type)
    for name, value in error.headers.items():
        resp.headers[name] = value
    return resp


class PayPalApi:
    """The WSGI callable; ``handlers`` are objects whose methods are named after the routes' endpoints."""

    def __init__(self, provider: PayPalProvider, handlers: Iterable[object]) -> None:
        self.provider = provider
        self.map = Map([Rule(r.rule, endpoint=r.endpoint, methods=list(r.methods)) for r in API_ROUTES])
        found: dict[str, Callable[..., Response]] = {}
        for handler in handlers:
            for route in API_ROUTES:
                view = getattr(handler, route.endpoint, None)
                if view is not None:
                    found[route.endpoint] = view
        missing = {r.endpoint for r in API_ROUTES} - set(found)
        if missing:
            raise RuntimeError(f"no handler for PayPal routes {sorted(missing)}")
        self.views = found
        self.adapter = self.map.bind("paypal")  # matching reads only its arguments: safe to share

    def operation(self, method: str, path: str) -> str | None:
        """The endpoint (fault/journal operation) of ``method path``, or ``None``."""
        try:
            endpoint, _ = self.adapter.match(path, method=method)
        except HTTPException:
            return None
        return str(endpoint)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        req = Request(environ)
        _local.request = req
        try:
            resp = self._dispatch(environ)
        finally:
            _local.request = None
        return resp(environ, start_response)

    def _dispatch(self, environ: Environ) -> Response:
        try:
            endpoint, args = self.adapter.match(
                environ.get("PATH_INFO") or "/", method=environ["REQUEST_METHOD"]
            )
            environ["sim.operation"] = endpoint
            return self.views[str(endpoint)](**args)
        except ProviderError as exc:
            return render(exc.to_response(), exc.status)
        except HTTPException as exc:
            status = exc.code or 500
            return render(self.provider.error_response(status), status)
        except Exception:
            log.exception(
                "PayPal simulator crashed on %s %s", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")
            )
            return render(self.provider.error_response(500), 500)


def json_response(data: Any, status: int = 200) -> Response:
    """``data`` as ``application/json``."""
    return Response(json.dumps(data), status=status, content_type="application/json")
