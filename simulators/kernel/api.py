"""The kernel's HTTP layer for provider APIs: :class:`ProviderApi` (plain WSGI) and :class:`Response`.

Per request: take the :class:`~simulators.kernel.wsgi.SimRequest` the kernel middleware built, match it
with the :class:`~simulators.kernel.routing.Router` over the provider's ``API_ROUTES`` (the operation goes
to ``environ["sim.operation"]`` for the journal), call :meth:`ProviderApi.handle` and render what comes
back. Handlers receive the request explicitly (``handler(request, **path_args)``) and return a
:class:`Response`. There is one error path:

* a :class:`~simulators.kernel.errors.ProviderError` raised anywhere renders the provider's exact body
  (:meth:`ProviderError.render`, with the request for bodies that carry its id);
* an unknown URL or method is :meth:`ProviderApi.no_route`: by default the provider's own 404/405 body
  (:meth:`SimulatorProvider.error_for`), unless a ``fallback`` WSGI app (moto) serves what no route does;
* a crash is logged and answered with :meth:`ProviderApi.crash_error` (the provider's 500 body).

A provider's pipeline plugs in by subclassing: :meth:`ProviderApi.handle` (what runs before and around
routing, e.g. Stripe's authentication before the 404), :meth:`ProviderApi.dispatch` (what runs around a
handler: form parsing, idempotency), ``headers`` (added to every response, errors included). It is plain
WSGI, not Flask: a framework's per-request machinery was a third of the cost of a create (see
``genai-demo bench stripe`` and ``genai-demo bench paypal``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from simulators.kernel.errors import ErrorResponse, ProviderError, RenderedError
from simulators.kernel.routing import Route, Router
from simulators.kernel.wsgi import Environ, SimRequest, StartResponse, WSGIApp

if TYPE_CHECKING:
    from simulators.kernel.provider import SimulatorProvider

log = logging.getLogger(__name__)

JSON = "application/json"
HTML = "text/html; charset=utf-8"
STATUS_LINES: dict[int, str] = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}
_NO_BODY = frozenset({204, 304})


def status_line(status: int) -> str:
    """``"404 Not Found"`` (``"599 Status"`` for a code without a phrase)."""
    return STATUS_LINES.get(status) or f"{status} Status"


class Response:
    """What a handler returns: body bytes, status, content type (``None``: no ``Content-Type``) and extra
    headers."""

    __slots__ = ("body", "status", "content_type", "headers")

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        content_type: str | None = JSON,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.body = body
        self.status = status
        self.content_type = content_type
        self.headers = headers

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Sequence[tuple[str, str]] = ()) -> Response:
        """``data`` as JSON (keys in the order given: providers' field order is kept)."""
        return cls(json.dumps(data).encode(), status, JSON, headers)

    @classmethod
    def empty(cls, status: int = 204, headers: Sequence[tuple[str, str]] = ()) -> Response:
        """No body (204 by default)."""
        return cls(b"", status, None, headers)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        """A redirect to ``location``."""
        return cls(b"", status, None, (("Location", location),))

    @classmethod
    def error(cls, rendered: ErrorResponse, status: int) -> Response:
        """A rendered provider error."""
        return cls(rendered.body, status, rendered.content_type, tuple(rendered.headers.items()))


Handler = Callable[..., Response]


class ProviderApi:
    """A provider's API as a WSGI app: ``routes`` served by the methods named after their operations of
    ``handlers`` (one object, or a tuple of objects searched in order; see the module docstring).
    ``fallback`` serves requests no route matches."""

    #: Added to every response, errors included, after ``Content-Type`` and ``Content-Length``.
    headers: ClassVar[tuple[tuple[str, str], ...]] = ()
    #: Serve ``HEAD`` with the ``GET`` route of the path (werkzeug's default).
    head_as_get: ClassVar[bool] = True

    def __init__(
        self,
        provider: SimulatorProvider,
        routes: Iterable[Route],
        handlers: object,
        fallback: WSGIApp | None = None,
    ) -> None:
        self.provider = provider
        self.routes = tuple(routes)
        self.router = Router(self.routes, head_as_get=self.head_as_get)
        self.fallback = fallback
        self.handlers: dict[str, Handler] = {}
        owners = handlers if isinstance(handlers, tuple) else (handlers,)
        missing = []
        for route in self.routes:
            view = next((getattr(o, route.operation) for o in owners if hasattr(o, route.operation)), None)
            if view is None:
                missing.append(route.operation)
            else:
                self.handlers[route.operation] = view
        if missing:
            raise RuntimeError(f"{provider.name}: no handler for operations {sorted(missing)}")

    def operation(self, request: SimRequest) -> str | None:
        """The operation of ``request`` (fault rules, journal), or ``None``."""
        found = self.router.match(request.method, request.path, request)
        return found[0].operation if found else None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = SimRequest.of(environ)
        found = self.router.match(request.method, request.path, request)
        if found is not None:
            request.route, request.args = found
            environ["sim.operation"] = found[0].operation
        elif self.fallback is not None:
            return self.fallback(environ, start_response)
        try:
            response = self.handle(request)
        except ProviderError as error:
            response = self.render(error, request)
        except Exception:
            log.exception("%s simulator crashed on %s %s", self.provider.name, request.method, request.path)
            response = self.render(self.crash_error(request), request)
        return self.send(response, request, start_response)

    # -- the pipeline (override to plug in) ------------------------------------------------------------
    def handle(self, request: SimRequest) -> Response:
        """Serve a routed request (``request.route`` is ``None`` when no route matched)."""
        if request.route is None:
            raise self.no_route(request)
        return self.dispatch(request.route, request)

    def dispatch(self, route: Route, request: SimRequest) -> Response:
        """Call the handler of ``route``."""
        return self.handlers[route.operation](request, **request.args)

    def no_route(self, request: SimRequest) -> ProviderError:
        """The error for an unknown URL (404) or method (405): the provider's own body."""
        status = self.router.status_for_miss(request.path, request)
        return RenderedError(self.provider.error_for(status, request), status)

    def crash_error(self, request: SimRequest) -> ProviderError:
        """The error answered when a handler crashed: the provider's own 500."""
        return RenderedError(self.provider.error_for(500, request), 500)

    # -- rendering -------------------------------------------------------------------------------------
    @staticmethod
    def render(error: ProviderError, request: SimRequest) -> Response:
        """``error`` as the provider's exact body."""
        return Response.error(error.render(request), error.status)

    def send(self, response: Response, request: SimRequest, start_response: StartResponse) -> list[bytes]:
        """Start the response and return its body (none for ``HEAD``, 204 and 304)."""
        body = response.body
        headers: list[tuple[str, str]] = []
        if response.content_type is not None:
            headers.append(("Content-Type", response.content_type))
        if response.status not in _NO_BODY:
            headers.append(("Content-Length", str(len(body))))
        else:
            body = b""
        headers.extend(self.headers)
        headers.extend(response.headers)
        start_response(status_line(response.status), headers)
        return [b""] if request.method == "HEAD" else [body]
