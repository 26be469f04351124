"""The ``/_sim/`` control API, identical on every simulator (described at ``/_sim/openapi.json``).

Routes: health, openapi.json, reset, journal, faults, clock, webhooks (endpoints, deliveries,
redelivery, test events, chaos) and transitions, plus the provider's own routes under
``/_sim/<provider>/``. Every error, including unknown routes, is JSON:
``{"error": {"code": ..., "message": ..., "details": [...]}}``. Control requests are never faulted
and never journaled.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, Flask, Response, request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from simulators.kernel.errors import BadRequest, ControlError, NotFound
from simulators.kernel.faults import FaultRuleSpec
from simulators.kernel.journal import header_pairs, status_matcher

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


class ResetSpec(BaseModel):
    """Body of ``POST /_sim/reset`` (optional)."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = None
    keep_endpoints: bool = True


class ClockSpec(BaseModel):
    """Body of ``POST /_sim/clock``: ``advance`` seconds; ``wait`` until due work has run."""

    model_config = ConfigDict(extra="forbid")
    advance: float = Field(ge=0, le=10 * 365 * 86_400)
    wait: bool = False


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


def build_control_blueprint(rt: SimulatorRuntime) -> Blueprint:
    """The kernel's control routes bound to ``rt``."""
    bp = Blueprint("sim", __name__, url_prefix="/_sim")
    provider = rt.provider

    @bp.get("/health")
    def health() -> Response:
        data = {
            "status": "UP",
            "provider": provider.name,
            "seed": rt.ids.seed,
            "clock": rt.clock.snapshot(),
            "config": rt.config.model_dump(mode="json"),
            **provider.health(),
        }
        return json_response(data)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        from simulators.kernel.openapi import control_openapi

        return json_response(control_openapi(provider))

    @bp.post("/reset")
    def reset() -> Response:
        spec = parse_body(ResetSpec, allow_empty=True)
        seed = rt.reset(spec.seed, keep_endpoints=spec.keep_endpoints)
        return json_response({"status": "reset", "seed": seed, "endpoints_kept": len(rt.endpoints)})

    # -- journal ---------------------------------------------------------------------------------------
    @bp.get("/journal")
    def journal() -> Response:
        limit = int_arg("limit", 100, 1, rt.journal.capacity)
        status = request.args.get("status") or None
        if status:
            try:
                status_matcher(status)
            except ValueError:
                raise BadRequest("query parameter 'status' must be like 503, 5xx or reset") from None

        def resolve(entry: Any) -> str | None:
            from simulators.kernel.wsgi import SimRequest

            req = SimRequest.build(
                entry.method, entry.path, entry.query, header_pairs(entry.headers), entry.body
            )
            try:
                return provider.operation_for(req)
            except Exception:
                return None

        data = rt.journal.query(
            method=request.args.get("method") or None,
            path=request.args.get("path") or None,
            status=status,
            account=request.args.get("account") or None,
            operation=request.args.get("operation") or None,
            fault=bool_arg("fault"),
            limit=limit,
            resolve_operation=resolve,
        )
        return json_response({"data": data, "size": len(rt.journal), "capacity": rt.journal.capacity})

    @bp.delete("/journal")
    def journal_clear() -> Response:
        rt.journal.clear()
        return json_response({"cleared": True})

    # -- faults ----------------------------------------------------------------------------------------
    @bp.post("/faults")
    def fault_create() -> Response:
        rule = rt.faults.add(parse_body(FaultRuleSpec))
        return json_response(rule.to_json(rt.clock.now()), 201)

    @bp.get("/faults")
    def fault_list() -> Response:
        now = rt.clock.now()
        return json_response({"data": [r.to_json(now) for r in rt.faults.rules()]})

    @bp.get("/faults/<rule_id>")
    def fault_get(rule_id: str) -> Response:
        rule = rt.faults.get(rule_id)
        if rule is None:
            raise NotFound(f"no fault rule {rule_id!r}")
        return json_response(rule.to_json(rt.clock.now()))

    @bp.delete("/faults/<rule_id>")
    def fault_delete(rule_id: str) -> Response:
        if not rt.faults.delete(rule_id):
            raise NotFound(f"no fault rule {rule_id!r}")
        return json_response({"id": rule_id, "deleted": True})

    @bp.delete("/faults")
    def fault_clear() -> Response:
        return json_response({"deleted": rt.faults.clear()})

    # -- clock -----------------------------------------------------------------------------------------
    @bp.get("/clock")
    def clock_get() -> Response:
        return json_response(rt.clock.snapshot())

    @bp.post("/clock")
    def clock_advance() -> Response:
        spec = parse_body(ClockSpec)
        rt.clock.advance(spec.advance)
        data: dict[str, Any] = {**rt.clock.snapshot(), "advanced": spec.advance}
        if spec.wait:
            idle = rt.timeline.wait_idle(rt.config.clock_wait_max_s) and rt.webhooks.wait_idle(
                rt.config.clock_wait_max_s
            )
            data["idle"] = idle
        return json_response(data)

    @bp.get("/transitions")
    def transitions() -> Response:
        return json_response({"data": [i.to_json() for i in rt.timeline.pending()]})

    from simulators.kernel.control_webhooks import register_webhook_routes

    register_webhook_routes(bp, rt)
    return bp


def build_control_app(rt: SimulatorRuntime) -> Flask:
    """A Flask app serving the control blueprint and the provider's control blueprint."""
    app = Flask(f"simulator-{rt.provider.name}-control")
    app.register_blueprint(build_control_blueprint(rt))
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
