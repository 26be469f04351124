"""The Flask application factory: ``create_app(settings)`` builds one complete service instance.

Besides the API blueprints it serves:
- ``GET /health`` (aggregated checks; 503 when DOWN) and ``GET /health/live`` (process only);
- ``GET /metrics`` (Prometheus text format);
- ``GET /openapi.json`` (generated from the registered operations) and ``GET /docs`` (Swagger UI, offline);
- ``GET /problems/<type>`` (what each problem+json type means).

Every response carries ``X-Request-Id`` (the caller's, when it is a sane token, otherwise a new one),
and every request writes one JSON access-log line.
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
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reference_service.bootstrap import Container, bootstrap
from reference_service.config import Settings
from reference_service.entrypoints.api import admin, deliveries, notifications, orders, payments
from reference_service.entrypoints.api.schemas import ProblemOut
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.entrypoints.errors import install_error_handlers
from reference_service.entrypoints.routes_doc import document_routes
from reference_service.entrypoints.webhooks import logistics as logistics_webhooks
from reference_service.entrypoints.webhooks import paypal as paypal_webhooks
from reference_service.entrypoints.webhooks import ses as ses_webhooks
from reference_service.entrypoints.webhooks import stripe as stripe_webhooks
from reference_service.entrypoints.webhooks import twilio as twilio_webhooks
from reference_service.observability.health import UP
from reference_service.observability.logging import access_logger

logger = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
API_VERSION = "1.0.0"


def create_app(
    settings: Settings, container: Container | None = None, *, start_relay: bool | None = None
) -> Flask:
    """Build the app. Pass ``container`` to reuse one built by ``bootstrap`` (tests pass fakes that way)."""
    container = container or bootstrap(settings)
    app = Flask("reference_service")
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
    app.register_blueprint(orders.build_blueprint(container, spec))
    app.register_blueprint(payments.build_blueprint(container, spec))
    app.register_blueprint(admin.build_blueprint(container, spec))
    app.register_blueprint(stripe_webhooks.build_blueprint(container))
    app.register_blueprint(paypal_webhooks.build_blueprint(container))
    app.register_blueprint(notifications.build_blueprint(container, spec))
    app.register_blueprint(twilio_webhooks.build_blueprint(container))
    app.register_blueprint(ses_webhooks.build_blueprint(container))
    app.register_blueprint(deliveries.build_blueprint(container, spec))
    app.register_blueprint(logistics_webhooks.build_blueprint(container))
    install_platform_routes(app, container, spec)
    document_routes(spec)

    serving = start_relay if start_relay is not None else settings.outbox_relay_enabled  # a real process
    if serving:
        container.relay.start()
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
    @app.get("/health")
    def health() -> Response:
        status, checks = container.health.run()
        body: dict[str, Any] = {"status": status, "checks": checks}
        return Response(json.dumps(body), status=200 if status == UP else 503, mimetype="application/json")

    @app.get("/health/live")
    def live() -> Response:
        return Response(json.dumps({"status": UP}), mimetype="application/json")

    @app.get("/metrics")
    def metrics() -> Response:
        return Response(generate_latest(container.metrics.registry), mimetype=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json")
    def openapi() -> Response:
        return Response(json.dumps(spec.openapi(ProblemOut)), mimetype="application/json")

    import swagger_ui_bundle

    swagger_dir = Path(swagger_ui_bundle.swagger_ui_path)

    @app.get("/docs")
    def docs() -> Response:
        return Response(_SWAGGER_PAGE, mimetype="text/html")

    @app.get("/docs/<path:filename>")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(swagger_dir, filename)


_SWAGGER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>genai-demo API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""
