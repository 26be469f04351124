"""The Flask application factory: ``create_app(settings)`` builds one complete service instance.

Besides the API blueprints it serves:
- ``GET /health`` (aggregated checks; 503 when DOWN) and ``GET /health/live`` (process only);
- ``GET /metrics`` (Prometheus text format);
- ``GET /openapi.json`` (generated from the registered operations) and ``GET /docs`` (Swagger UI, offline);
- ``GET /problems/<type>`` (what each problem+json type means).

Every response carries ``X-Request-Id`` (the caller's, when it is a sane token, otherwise a new one),
and every request writes one JSON access-log line. Security (``docs/security.md``), in request order: who
the caller is (``entrypoints/access.py``), the per-client rate limit (``entrypoints/ratelimit.py``), then
the route's declared permission; after the view, the audit trail (``entrypoints/audit.py``) and the
security headers (``entrypoints/security_headers.py``).
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request, send_from_directory
from flask_limiter import RateLimitExceeded
from prometheus_client import CONTENT_TYPE_LATEST

from reference_service.bootstrap import Container, bootstrap
from reference_service.config import Settings
from reference_service.domain.access import Permission
from reference_service.entrypoints.access import install_access_control, policy_for, public, requires
from reference_service.entrypoints.api import (
    admin,
    deliveries,
    inventory,
    notifications,
    orders,
    payments,
    privacy,
)
from reference_service.entrypoints.api import files as files_api
from reference_service.entrypoints.api import security as security_api
from reference_service.entrypoints.api.schemas import ProblemOut
from reference_service.entrypoints.api.spec import ApiSpec, register_converters
from reference_service.entrypoints.audit import install_audit
from reference_service.entrypoints.errors import install_error_handlers, render_problem
from reference_service.entrypoints.ratelimit import install_rate_limit, rate_limited
from reference_service.entrypoints.routes_doc import document_routes
from reference_service.entrypoints.security_headers import docs_csp, install_security_headers
from reference_service.entrypoints.webhooks import logistics as logistics_webhooks
from reference_service.entrypoints.webhooks import paypal as paypal_webhooks
from reference_service.entrypoints.webhooks import ses as ses_webhooks
from reference_service.entrypoints.webhooks import stripe as stripe_webhooks
from reference_service.entrypoints.webhooks import twilio as twilio_webhooks
from reference_service.observability.health import UP
from reference_service.observability.logging import access_logger
from reference_service.observability.multiprocess import exposition

logger = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
API_VERSION = "1.0.0"


def create_app(
    settings: Settings, container: Container | None = None, *, start_relay: bool | None = None
) -> Flask:
    """Build the app. Pass ``container`` to reuse one built by ``bootstrap`` (tests pass fakes that way)."""
    container = container or bootstrap(settings)
    app = Flask("reference_service", static_folder=None)  # no /static route: nothing to serve there
    register_converters(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["container"] = container
    spec = ApiSpec(
        "genai-demo reference service",
        API_VERSION,
        "The reference e-commerce service of the integration lab. Errors are RFC 9457 problem+json.",
    )
    app.extensions["openapi"] = spec

    install_request_hooks(app, container)
    install_error_handlers(app)
    webhooks = [
        stripe_webhooks.build_blueprint(container),
        paypal_webhooks.build_blueprint(container),
        twilio_webhooks.build_blueprint(container),
        ses_webhooks.build_blueprint(container),
        logistics_webhooks.build_blueprint(container),
    ]
    # who is calling, then count the call against them, then refuse what they may not do
    access = install_access_control(app, container.security, container.metrics)
    limiter = install_rate_limit(app, settings, container.metrics, webhooks)
    app.before_request(access.authorize)
    app.register_error_handler(
        RateLimitExceeded, lambda exc: render_problem(rate_limited(exc, container.metrics))
    )
    app.register_blueprint(orders.build_blueprint(container, spec))
    app.register_blueprint(payments.build_blueprint(container, spec))
    app.register_blueprint(admin.build_blueprint(container, spec))
    app.register_blueprint(security_api.build_blueprint(container, spec))
    app.register_blueprint(notifications.build_blueprint(container, spec))
    app.register_blueprint(deliveries.build_blueprint(container, spec))
    app.register_blueprint(files_api.build_blueprint(container, spec))
    app.register_blueprint(privacy.build_blueprint(container, spec))
    app.register_blueprint(inventory.build_blueprint(container, spec))
    for blueprint in webhooks:
        app.register_blueprint(blueprint)
    install_platform_routes(app, container, spec)
    document_routes(spec)
    install_audit(app, container.security.audit, container.clock)
    install_security_headers(app, settings, docs_csp(_SWAGGER_SCRIPT))
    app.extensions["rate_limiter"] = limiter
    app.extensions["access_control"] = access

    serving = start_relay if start_relay is not None else settings.outbox_relay_enabled  # a real process
    if serving:
        container.relay.start()
        container.files.start()
        container.retention.start()
    return app


def install_request_hooks(app: Flask, container: Container) -> None:
    metrics = container.metrics
    access = access_logger()

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.after_request
    def _finish(response: Response) -> Response:
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        metrics.http_requests.labels(request.method, route, str(response.status_code)).inc()
        metrics.http_duration.labels(request.method, route).observe(elapsed)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        access.info(
            "%s %s %s",
            request.method,
            route,
            response.status_code,
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 3),
                "client": request.remote_addr,
            },
        )
        return response


def install_platform_routes(app: Flask, container: Container, spec: ApiSpec) -> None:
    settings = container.settings
    health_policy = (
        public("HEALTH_PUBLIC: open in the lab")
        if settings.health_is_public
        else requires(Permission.PLATFORM_READ)
    )
    metrics_policy = (
        public("METRICS_PUBLIC: open in the lab")
        if settings.metrics_are_public
        else requires(Permission.PLATFORM_READ)
    )

    @app.get("/health")
    @health_policy
    def health() -> Response:
        status, checks = container.health.run()
        body: dict[str, Any] = {"status": status, "checks": checks}
        return Response(json.dumps(body), status=200 if status == UP else 503, mimetype="application/json")

    @app.get("/health/live")
    @public("liveness probe: says only that the process answers")
    def live() -> Response:
        return Response(json.dumps({"status": UP}), mimetype="application/json")

    @app.get("/metrics")
    @metrics_policy
    def metrics() -> Response:
        return Response(exposition(container.metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json")
    @public("the API's published description")
    def openapi() -> Response:
        document = spec.openapi(ProblemOut, security=lambda path, method: _policy_of(app, path, method))
        return Response(json.dumps(document), mimetype="application/json")

    import swagger_ui_bundle

    swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/docs")
    @public("the API's published description")
    def docs() -> Response:
        return Response(_SWAGGER_PAGE, mimetype="text/html")

    @app.get("/docs/<path:filename>")
    @public("Swagger UI's static files")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(swagger_dir, filename)


def _policy_of(app: Flask, path: str, method: str) -> Permission | None | bool:
    """For the OpenAPI document: the permission a route needs, ``None`` when it is public, ``False``
    when it declares no policy (refused to everyone)."""
    for rule in app.url_map.iter_rules():
        if rule.rule == path and method in (rule.methods or ()):
            policy = policy_for(app, rule.endpoint)
            return False if policy is None else policy.permission
    return False


_SWAGGER_SCRIPT = (
    """SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", persistAuthorization: true});"""
)
_SWAGGER_PAGE = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>genai-demo API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>{_SWAGGER_SCRIPT}</script>
</body></html>"""
