"""The provider plugin interface: subclass :class:`SimulatorProvider`.

A provider says what it simulates and how the kernel should treat its traffic. The kernel builds one
provider instance per simulator (``provider_cls(env=...)``), calls :meth:`SimulatorProvider.bind` with
the :class:`~simulators.kernel.app.SimulatorRuntime` (clock, ids, backends, webhooks, timeline), then
serves :meth:`SimulatorProvider.build_wsgi_app` behind the fault/journal middleware, with the ``/_sim/``
control API in front. Everything has a default except ``name``.

A provider declares its routes as two tables of :class:`~simulators.kernel.routing.Route` (its
``urls.py``): ``api_routes``, served by the kernel's :class:`~simulators.kernel.api.ProviderApi` with the
handlers of :meth:`api_handlers` (override :meth:`build_api` to plug a pipeline in), and
``control_routes``, mounted under ``/_sim/<name>/`` with the handlers of :meth:`control_handlers` and
described in ``/_sim/openapi.json`` from the same rows. A third-party plugin may instead hand over a
Flask blueprint (:meth:`blueprint`, :meth:`control_blueprint`) or any WSGI app (:meth:`build_wsgi_app`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Blueprint, Flask, Response, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map

from simulators.kernel.api import ProviderApi
from simulators.kernel.errors import ErrorResponse, ProviderError
from simulators.kernel.routing import Route, openapi_paths
from simulators.kernel.webhooks import Attempt, Delivery, Signer, UnsignedSigner
from simulators.kernel.wsgi import SimRequest, WSGIApp

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)


def render_error(
    error: ErrorResponse, status: int, extra_headers: Mapping[str, str] | None = None
) -> Response:
    """A Flask response for a rendered provider error."""
    resp = Response(error.body, status=status, content_type=error.content_type)
    for name, value in {**error.headers, **(extra_headers or {})}.items():
        resp.headers[name] = value
    return resp


class SimulatorProvider:
    """Base class of every provider simulator; override what differs from the defaults.

    Class attributes: ``name`` (also the ``/_sim/<name>/`` prefix of extra control routes),
    ``default_port``, ``request_id_header`` (the kernel adds it to every response, fault responses
    included; the id is in ``environ["sim.request_id"]``), ``retry_schedule`` (webhook retry delays in
    provider seconds, before attempt 2, 3, ...), ``webhook_content_type`` (for ``/_sim/webhooks/events``),
    ``masked_headers`` / ``unmasked_headers`` (journal masking on top of the kernel rules),
    ``api_routes`` / ``control_routes`` (the route tables of the provider's ``urls.py``).
    """

    name: ClassVar[str] = "provider"
    description: ClassVar[str] = ""
    default_port: ClassVar[int] = 0
    request_id_header: ClassVar[str | None] = None
    retry_schedule: ClassVar[Sequence[float]] = (60.0, 300.0, 1800.0)
    webhook_content_type: ClassVar[str] = "application/json"
    masked_headers: ClassVar[frozenset[str]] = frozenset()
    unmasked_headers: ClassVar[frozenset[str]] = frozenset()
    api_routes: ClassVar[tuple[Route, ...]] = ()
    control_routes: ClassVar[tuple[Route, ...]] = ()

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.env: dict[str, str] = dict(env or {})
        self._runtime: SimulatorRuntime | None = None
        self._url_map: Map | None = None
        self._api: ProviderApi | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------
    @property
    def runtime(self) -> SimulatorRuntime:
        """The kernel services (available after :meth:`bind`)."""
        if self._runtime is None:
            raise RuntimeError(f"provider {self.name!r} is not bound to a simulator yet")
        return self._runtime

    def bind(self, runtime: SimulatorRuntime) -> None:
        """Called once by the kernel before serving; stores the runtime and calls :meth:`setup`."""
        self._runtime = runtime
        self.setup()

    def setup(self) -> None:
        """Create models here (``self.runtime.backends(factory)``), never at import time."""

    def reset(self) -> None:
        """Forget provider state not held in ``runtime.backends`` (called by ``POST /_sim/reset``)."""

    def close(self) -> None:
        """Release resources when the simulator stops."""

    # -- HTTP --------------------------------------------------------------------------------------------
    def api_handlers(self) -> object:
        """The object whose methods serve ``api_routes`` (one per operation; default: the provider)."""
        return self

    def build_api(self) -> ProviderApi:
        """The kernel API app over ``api_routes`` (override to return a :class:`ProviderApi` subclass)."""
        return ProviderApi(self, self.api_routes, self.api_handlers())

    @property
    def api(self) -> ProviderApi:
        """The API app built by :meth:`build_wsgi_app` (for providers that declare ``api_routes``)."""
        if self._api is None:
            raise RuntimeError(f"provider {self.name!r} has no kernel API app")
        return self._api

    def blueprint(self) -> Blueprint | None:
        """A plugin's API as a Flask blueprint (paths from its ``urls.py``); ``None`` if not Flask."""
        return None

    def build_wsgi_app(self) -> WSGIApp:
        """The provider's WSGI app: :meth:`build_api` when ``api_routes`` are declared, else :meth:`blueprint`
        in a Flask app whose errors (``ProviderError``, 404/405, crashes) render as the provider's own
        error bodies."""
        if self.api_routes:
            self._api = self.build_api()
            return self._api
        bp = self.blueprint()
        if bp is None:
            # a provider must supply its API one way or the other: failing at start-up beats serving 404s
            raise NotImplementedError(
                f"provider {self.name!r} must declare api_routes or override blueprint() or build_wsgi_app()"
            )
        app = Flask(f"simulator-{self.name}")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.register_blueprint(bp)
        provider = self

        @app.before_request
        def _operation() -> None:
            endpoint = request.endpoint
            if endpoint:
                request.environ["sim.operation"] = endpoint.rpartition(".")[2]

        @app.errorhandler(ProviderError)
        def _provider_error(exc: ProviderError) -> Response:
            return render_error(exc.render(SimRequest.of(request.environ)), exc.status)

        @app.errorhandler(HTTPException)
        def _http_error(exc: HTTPException) -> Response:
            status = exc.code or 500
            return render_error(provider.error_for(status, SimRequest.of(request.environ)), status)

        @app.errorhandler(Exception)
        def _crash(exc: Exception) -> Response:
            log.exception("provider %s crashed on %s %s", provider.name, request.method, request.path)
            return render_error(provider.error_for(500, SimRequest.of(request.environ)), 500)

        self._url_map = app.url_map
        return app

    def account_for(self, request: SimRequest) -> str | None:
        """The account a request belongs to (API key, Basic user, client id...) or ``None``.
        Return a label that is not itself a secret: it is shown in the journal."""
        return None

    def operation_for(self, request: SimRequest) -> str | None:
        """The operation name of a request (``create_payment_intent``); used by fault rules that match
        on ``operation`` and by the journal. The default is the matching route's operation (``api_routes``)
        or, for a Flask plugin, the view's name."""
        if self._api is not None:
            return self._api.operation(request)
        if self._url_map is None:
            return None
        try:
            adapter = self._url_map.bind("simulator", path_info=request.path, url_scheme="http")
            endpoint, _ = adapter.match(request.path, method=request.method)
        except HTTPException:
            return None
        return str(endpoint).rpartition(".")[2]

    def error_response(self, status: int) -> ErrorResponse:
        """The provider's own error body for a bare ``status`` when nothing about the request matters."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return ErrorResponse.json({"error": {"status": status, "message": phrase}})

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """The provider's own error body for ``status`` on ``request``: what a ``status``/``rate_limit``
        fault, an unknown URL or method, and a crash answer. Override it when the body depends on the
        request (its path, protocol or id); the default is :meth:`error_response`."""
        return self.error_response(status)

    def new_request_id(self) -> str:
        """A fresh request id for ``request_id_header``."""
        return self.runtime.ids.prefixed("req", 14)

    # -- webhooks ----------------------------------------------------------------------------------------
    def signer(self) -> Signer:
        """The webhook signer (default: unsigned)."""
        return UnsignedSigner()

    def new_endpoint_id(self) -> str:
        """Id of an endpoint registered through ``/_sim/webhooks/endpoints``."""
        return self.runtime.ids.prefixed("we", 24)

    def new_webhook_secret(self) -> str | None:
        """Secret of a new endpoint (``None`` when the provider signs with something else)."""
        return "whsec_" + self.runtime.ids.base62(32)

    def on_delivery_attempt(self, delivery: Delivery, attempt: Attempt) -> None:
        """Called after every webhook attempt (from a worker thread): update ``pending_webhooks``,
        ``delivery_success``... Must be thread-safe."""

    # -- control API -------------------------------------------------------------------------------------
    def control_handlers(self) -> object:
        """The object whose methods serve ``control_routes`` (one per operation; default: the provider)."""
        return self

    def control_blueprint(self) -> Blueprint | None:
        """Extra control routes, mounted under ``/_sim/<name>/`` (never faulted or journaled). The default
        mounts ``control_routes`` with :meth:`control_handlers`."""
        if not self.control_routes:
            return None
        from simulators.kernel.control_app import mount_routes

        bp = Blueprint(f"{self.name}_control", __name__)
        mount_routes(bp, self.control_routes, self.control_handlers())
        return bp

    def control_openapi_paths(self) -> dict[str, Any]:
        """OpenAPI path items for :meth:`control_blueprint`, keyed by full path (``/_sim/<name>/...``);
        the default describes ``control_routes``, the rows that mount them."""
        return openapi_paths(f"/_sim/{self.name}", self.control_routes, self.name)

    def health(self) -> dict[str, Any]:
        """Extra fields for ``GET /_sim/health``."""
        return {}
