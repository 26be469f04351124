"""The PayPal simulator's own controls, under ``/_sim/paypal/`` (never faulted, never journaled).

* ``GET/POST /apps``, ``GET/DELETE /apps/{client_id}``: REST apps (each its own account). ``POST`` takes
  ``{"client_id"?, "client_secret"?}`` (generated when omitted) and answers 201 with the app.
* ``GET /orders/{id}``: an order as PayPal renders it, plus its app, buyer and ``payer_cancelled``.
* ``POST /orders/{id}/approve`` ``{"email_address"?, "given_name"?, "surname"?}``: the buyer approves (the
  email picks a buyer test profile, see :mod:`simulators.paypal.magic`); sends CHECKOUT.ORDER.APPROVED.
  Answers the order and the ``redirect`` PayPal would send the buyer to (``return_url?token=&PayerID=``).
* ``POST /orders/{id}/cancel``: the buyer cancels on PayPal's page. The order does not change (PayPal only
  redirects to ``cancel_url?token=``); ``payer_cancelled`` becomes true. 409 once approved.
* ``POST /captures/{id}/complete`` and ``/deny``: settle a PENDING capture (PAYMENT.CAPTURE.COMPLETED or
  PAYMENT.CAPTURE.DENIED). 409 unless PENDING.
* ``GET /cert``: the signing certificate (id, subject, PEM, ``cert_url``). ``GET /magic``: the magic values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.control_app import json_response, parse_body
from simulators.kernel.errors import Conflict, NotFound
from simulators.paypal import urls
from simulators.paypal.backend import StateConflict
from simulators.paypal.magic import magic_summary
from simulators.paypal.payments import resolve_pending

if TYPE_CHECKING:
    from simulators.paypal.provider import PayPalProvider


class AppSpec(BaseModel):
    """Body of ``POST /_sim/paypal/apps``."""

    model_config = ConfigDict(extra="forbid")
    client_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,128}$")
    client_secret: str | None = Field(default=None, min_length=1, max_length=256)


class ApproveSpec(BaseModel):
    """Body of ``POST /_sim/paypal/orders/{id}/approve`` (all optional)."""

    model_config = ConfigDict(extra="forbid")
    email_address: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)
    given_name: str | None = Field(default=None, min_length=1, max_length=140)
    surname: str | None = Field(default=None, min_length=1, max_length=140)


def build_control_blueprint(provider: PayPalProvider) -> Blueprint:
    """The ``/_sim/paypal`` routes bound to ``provider`` (paths from :data:`urls.CONTROL_ROUTES`)."""
    bp = Blueprint("paypal_control", __name__)
    rt = provider.runtime

    def find(order_id: str) -> Any:
        found = provider.find_order(order_id)
        if found is None:
            raise NotFound(f"no PayPal order {order_id!r}")
        return found

    def app_json(app: Any) -> dict[str, Any]:
        return {**app.to_json(), "live_tokens": provider.tokens.live(app.client_id, rt.clock.now())}

    def apps_list() -> Response:
        return json_response({"data": [app_json(a) for a in provider.apps.all()]})

    def apps_create() -> Response:
        spec = parse_body(AppSpec, allow_empty=True)
        client_id = spec.client_id or "app-" + rt.ids.base62(20)
        secret = spec.client_secret or rt.ids.base62(40)
        try:
            app = provider.apps.add(client_id, secret, rt.ids, rt.clock.now())
        except KeyError:
            raise Conflict(f"an app with client_id {client_id!r} exists") from None
        return json_response(app_json(app), 201)

    def apps_get(client_id: str) -> Response:
        app = provider.apps.get(client_id)
        if app is None:
            raise NotFound(f"no app {client_id!r}")
        return json_response(app_json(app))

    def apps_delete(client_id: str) -> Response:
        if provider.apps.remove(client_id) is None:
            raise NotFound(f"no app {client_id!r}")
        revoked = provider.tokens.revoke_app(client_id)
        return json_response({"client_id": client_id, "deleted": True, "tokens_revoked": revoked})

    def order_inspect(order_id: str) -> Response:
        backend, order = find(order_id)
        return json_response(
            {
                "account": backend.account,
                "order": order.to_json(),
                "buyer": order.buyer.email if order.buyer else None,
                "payer_cancelled": order.payer_cancelled,
                "return_url": order.return_url,
                "cancel_url": order.cancel_url,
            }
        )

    def order_approve(order_id: str) -> Response:
        spec = parse_body(ApproveSpec, allow_empty=True)
        backend, order = find(order_id)
        names = (
            (spec.given_name or "John", spec.surname or "Doe") if spec.given_name or spec.surname else None
        )
        try:
            order, events = backend.approve(order_id, spec.email_address, rt.clock.now(), names)
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        provider.emit(backend.account, events, order.base_url)
        redirect = None
        if order.return_url and order.buyer:
            redirect = urls.with_query(order.return_url, token=order.id, PayerID=order.buyer.payer_id)
        return json_response({"order": order.to_json(), "redirect": redirect})

    def order_cancel(order_id: str) -> Response:
        backend, _ = find(order_id)
        try:
            order = backend.cancel(order_id)
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        redirect = urls.with_query(order.cancel_url, token=order.id) if order.cancel_url else None
        return json_response({"order": order.to_json(), "payer_cancelled": True, "redirect": redirect})

    def settle(capture_id: str, complete: bool) -> Response:
        backend = provider.find_capture(capture_id)
        if backend is None:
            raise NotFound(f"no PayPal capture {capture_id!r}")
        try:
            capture, events = resolve_pending(backend, capture_id, complete, rt.clock.now())
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        provider.emit(backend.account, events, capture.base_url)
        return json_response({"capture": capture.to_json(standalone=True)})

    def capture_complete(capture_id: str) -> Response:
        return settle(capture_id, True)

    def capture_deny(capture_id: str) -> Response:
        return settle(capture_id, False)

    def cert_info() -> Response:
        info = provider.identity.describe()
        return json_response(
            {**info, "cert_url": urls.cert_href(provider.public_url, provider.identity.cert_id)}
        )

    def magic_info() -> Response:
        return json_response(magic_summary())

    views = {
        fn.__name__: fn
        for fn in (
            apps_list,
            apps_create,
            apps_get,
            apps_delete,
            order_inspect,
            order_approve,
            order_cancel,
            capture_complete,
            capture_deny,
            cert_info,
            magic_info,
        )
    }
    for route in urls.CONTROL_ROUTES:
        bp.add_url_rule(
            route.rule, endpoint=route.endpoint, view_func=views[route.endpoint], methods=list(route.methods)
        )
    return bp


def openapi_paths() -> dict[str, Any]:
    """OpenAPI 3.1 path items for the ``/_sim/paypal`` routes."""
    docs = {
        "apps_list": "List REST apps (each is an account) with their secrets and live token counts",
        "apps_create": "Register a REST app: {client_id?, client_secret?}",
        "apps_get": "One app",
        "apps_delete": "Remove an app and revoke its tokens",
        "order_inspect": "An order (any app) with its buyer and payer_cancelled flag",
        "order_approve": "The buyer approves the order: {email_address?, given_name?, surname?}",
        "order_cancel": "The buyer cancels on PayPal's page (the order is unchanged; payer_cancelled)",
        "capture_complete": "Settle a PENDING capture as COMPLETED (PAYMENT.CAPTURE.COMPLETED)",
        "capture_deny": "Settle a PENDING capture as DECLINED (PAYMENT.CAPTURE.DENIED)",
        "cert_info": "The webhook signing certificate (PEM, id, subject, cert_url)",
        "magic_info": "Currencies, fees, card rejection triggers, buyer profiles",
    }
    paths: dict[str, Any] = {}
    for route in urls.CONTROL_ROUTES:
        rule = route.rule
        params = [part[1:-1] for part in rule.split("/") if part.startswith("<")]
        path = urls.CONTROL_PREFIX + "".join(
            f"/{{{p[1:-1]}}}" if p.startswith("<") else f"/{p}" for p in rule.strip("/").split("/")
        )
        item = paths.setdefault(path, {})
        if params:
            item["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
            ]
        for method in route.methods:
            op: dict[str, Any] = {"summary": docs[route.endpoint], "operationId": f"paypal_{route.endpoint}"}
            op["responses"] = {"200": {"description": "OK"}, "404": {"description": "Not found"}}
            if method == "POST":
                op["responses"] = {
                    "200": {"description": "OK"},
                    "201": {"description": "Created"},
                    "404": {"description": "Not found"},
                    "409": {"description": "Conflict"},
                }
            item[method.lower()] = op
    return paths
