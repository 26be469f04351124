"""Deny by default: every route the service serves declares an access policy, and a route that does not is
refused to everyone. Walks Flask's URL map, so a new blueprint without policies fails here, naming each
route that lacks one (declare it with ``@requires(...)``/``@public(...)`` or ``protect_blueprint``)."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, Response

from reference_service.domain.access import Permission
from reference_service.entrypoints.access import POLICY_ATTR, policy_for, protect_blueprint, requires
from tests.auth import authorized_client

pytestmark = pytest.mark.security


def test_every_route_declares_an_access_policy(app: Flask) -> None:
    missing = sorted(
        f"{sorted((rule.methods or set()) - {'HEAD', 'OPTIONS'})} {rule.rule} (endpoint {rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if policy_for(app, rule.endpoint) is None
    )
    assert not missing, "routes without an access policy:\n  " + "\n  ".join(missing)


def test_public_routes_are_the_documented_few(app: Flask) -> None:
    public = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if (policy := policy_for(app, rule.endpoint)) is not None and policy.is_public
    )
    assert public == [
        "/api/v1/webhooks/logistics",
        "/api/v1/webhooks/paypal",
        "/api/v1/webhooks/ses",
        "/api/v1/webhooks/stripe",
        "/api/v1/webhooks/twilio/status",
        "/docs",
        "/docs/<path:filename>",
        "/health",
        "/health/live",
        "/metrics",
        "/openapi.json",
        "/problems",
        "/problems/<slug>",
    ]


def test_a_route_without_a_policy_is_refused_even_to_an_admin(app: Flask) -> None:
    bare = Blueprint("bare", __name__)

    @bare.get("/api/v1/bare")
    def undeclared() -> Response:
        return Response("should never be served")

    app.register_blueprint(bare)
    resp = authorized_client(app, "admin").get("/api/v1/bare")
    assert resp.status_code == 403 and resp.json["type"] == "/problems/forbidden"
    assert "declares no access policy" in resp.json["detail"]


def test_a_blueprint_default_covers_its_routes_and_a_route_policy_wins(app: Flask) -> None:
    stock = protect_blueprint(Blueprint("stock", __name__), Permission.INVENTORY_MANAGE)

    @stock.get("/api/v1/admin/stock")
    def stock_levels() -> Response:
        return Response("{}", mimetype="application/json")

    @stock.get("/api/v1/admin/stock/summary")
    @requires(Permission.INVENTORY_READ)
    def stock_summary() -> Response:
        return Response("{}", mimetype="application/json")

    app.register_blueprint(stock)
    assert getattr(stock, POLICY_ATTR).permission is Permission.INVENTORY_MANAGE
    support = authorized_client(app, "support")
    assert support.get("/api/v1/admin/stock").status_code == 403
    assert support.get("/api/v1/admin/stock/summary").status_code == 200
    assert authorized_client(app, "admin").get("/api/v1/admin/stock").status_code == 200
