"""The ``/_sim/`` control app: one Flask app per simulator, built from route tables.

:func:`build_control_app` mounts the kernel's routes (:data:`simulators.kernel.urls.CONTROL_ROUTES`, served
by :class:`~simulators.kernel.control.KernelControls`) under ``/_sim`` and the provider's
(``SimulatorProvider.control_routes``, served by its ``control_handlers()``) under ``/_sim/<provider>``,
both with :func:`mount_routes`, the one place a control route is mounted. ``/_sim/openapi.json`` is made
from the same tables. Every error, including unknown routes, is JSON:
``{"error": {"code": ..., "message": ..., "details": [...]}}``. Control requests are never faulted and
never journaled. The helpers here (:func:`json_response`, :func:`parse_body`, :func:`int_arg`,
:func:`bool_arg`) are what control handlers use.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Flask, Response, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from simulators.kernel.errors import BadRequest, ControlError, NotFound
from simulators.kernel.routing import Route

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response (no key sorting)."""
    return Response(json.dumps(data), status=status, content_type="application/json")


def _error(exc: ControlError) -> Response:
    return json_response(exc.to_json(), exc.status)


def parse_body(model: type[M], *, allow_empty: bool = False) -> M:
    raw = request.get_data(cache=False)
    if not raw.strip():
        if allow_empty:
            return model.model_validate({})
        raise BadRequest("a JSON object body is required")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(body)", "message": err["msg"]}
            for err in exc.errors(include_url=False)
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details)
        raise BadRequest(f"invalid {model.__name__}: {summary}", details) from None


def int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {name!r} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"query parameter {name!r} must be between {low} and {high}")
    return value


def bool_arg(name: str) -> bool | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"1", "true", "yes"}:
        return True
    if raw.lower() in {"0", "false", "no"}:
        return False
    raise BadRequest(f"query parameter {name!r} must be true or false")


def mount_routes(bp: Blueprint, routes: Iterable[Route], handlers: object) -> None:
    """Mount each route on ``bp`` with the method of ``handlers`` named after its operation. A route with a
    ``body`` model gets the validated body as the ``body`` argument (400 otherwise), so the model that
    ``/_sim/openapi.json`` documents is the one that checks the request."""
    for route in routes:
        handler = getattr(handlers, route.operation, None)
        if handler is None:
            raise RuntimeError(f"no control handler for {route.method} {route.rule} ({route.operation})")
        bp.add_url_rule(
            route.rule, endpoint=route.operation, view_func=_view(handler, route), methods=[route.method]
        )


def _view(handler: Callable[..., Response], route: Route) -> Callable[..., Response]:
    model, allow_empty = route.body, not route.body_required
    if model is None:
        return handler

    def view(**args: Any) -> Response:
        return handler(body=parse_body(model, allow_empty=allow_empty), **args)

    return view


def build_control_app(rt: SimulatorRuntime) -> Flask:
    """A Flask app serving the kernel's control routes (:data:`simulators.kernel.urls.CONTROL_ROUTES`)
    under ``/_sim`` and the provider's under ``/_sim/<provider>``."""
    from simulators.kernel import urls
    from simulators.kernel.control import KernelControls

    app = Flask(f"simulator-{rt.provider.name}-control")
    kernel = Blueprint("sim", __name__, url_prefix=urls.PREFIX)
    mount_routes(kernel, urls.CONTROL_ROUTES, KernelControls(rt))
    app.register_blueprint(kernel)
    extra = rt.provider.control_blueprint()
    if extra is not None:
        app.register_blueprint(extra, url_prefix=f"/_sim/{rt.provider.name}")

    @app.errorhandler(ControlError)
    def _control_error(exc: ControlError) -> Response:
        return _error(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status == 404:
            msg = f"no control route {request.method} {request.path}; see /_sim/openapi.json"
            return _error(NotFound(msg))
        if status == 405:
            err = ControlError(f"method {request.method} not allowed on {request.path}")
            err.status, err.code = 405, "method_not_allowed"
            return _error(err)
        err = ControlError(exc.description or exc.name)
        err.status, err.code = status, exc.name.lower().replace(" ", "_")
        return _error(err)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("control API crashed on %s %s", request.method, request.path)
        return _error(ControlError(f"internal error: {type(exc).__name__}"))

    return app
