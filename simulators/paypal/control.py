"""The PayPal simulator's control handlers, mounted by the kernel under ``/_sim/paypal/`` from
``urls.CONTROL_ROUTES`` (never faulted, never journaled; bodies are the models of ``validation.py``).

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

from flask import Response

from simulators.kernel.control_app import json_response
from simulators.kernel.errors import Conflict, NotFound
from simulators.paypal import urls
from simulators.paypal.auth import App
from simulators.paypal.magic import magic_summary
from simulators.paypal.models import AccountBackend, StateConflict
from simulators.paypal.models_payments import resolve_pending
from simulators.paypal.resources import Order
from simulators.paypal.validation import ApproveSpec, AppSpec

if TYPE_CHECKING:
    from simulators.paypal.provider import PayPalProvider


class PayPalControls:
    """One method per route of ``urls.CONTROL_ROUTES``, bound to a provider."""

    def __init__(self, provider: PayPalProvider) -> None:
        self.provider = provider
        self.runtime = provider.runtime

    def _find(self, order_id: str) -> tuple[AccountBackend, Order]:
        found = self.provider.find_order(order_id)
        if found is None:
            raise NotFound(f"no PayPal order {order_id!r}")
        return found

    def _app_json(self, app: App) -> dict[str, Any]:
        return {
            **app.to_json(),
            "live_tokens": self.provider.tokens.live(app.client_id, self.runtime.clock.now()),
        }

    def apps_list(self) -> Response:
        return json_response({"data": [self._app_json(a) for a in self.provider.apps.all()]})

    def apps_create(self, body: AppSpec) -> Response:
        rt = self.runtime
        client_id = body.client_id or "app-" + rt.ids.base62(20)
        secret = body.client_secret or rt.ids.base62(40)
        try:
            app = self.provider.apps.add(client_id, secret, rt.ids, rt.clock.now())
        except KeyError:
            raise Conflict(f"an app with client_id {client_id!r} exists") from None
        return json_response(self._app_json(app), 201)

    def apps_get(self, client_id: str) -> Response:
        app = self.provider.apps.get(client_id)
        if app is None:
            raise NotFound(f"no app {client_id!r}")
        return json_response(self._app_json(app))

    def apps_delete(self, client_id: str) -> Response:
        if self.provider.apps.remove(client_id) is None:
            raise NotFound(f"no app {client_id!r}")
        revoked = self.provider.tokens.revoke_app(client_id)
        return json_response({"client_id": client_id, "deleted": True, "tokens_revoked": revoked})

    def order_inspect(self, order_id: str) -> Response:
        backend, order = self._find(order_id)
        return json_response(
            {
                "account": backend.account,
                "order": order.to_json(),
                "buyer": order.buyer.email if order.buyer else None,
                "payer_cancelled": order.payer_cancelled,
                "return_url": order.return_url,
                "cancel_url": order.cancel_url,
                "trackers": [t.details() for unit in order.units for t in unit.trackers],
            }
        )

    def order_approve(self, order_id: str, body: ApproveSpec) -> Response:
        backend, order = self._find(order_id)
        names = (
            (body.given_name or "John", body.surname or "Doe") if body.given_name or body.surname else None
        )
        try:
            order, events = backend.approve(order_id, body.email_address, self.runtime.clock.now(), names)
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        self.provider.webhooks.emit(backend.account, events, order.base_url)
        redirect = None
        if order.return_url and order.buyer:
            redirect = urls.with_query(order.return_url, token=order.id, PayerID=order.buyer.payer_id)
        return json_response({"order": order.to_json(), "redirect": redirect})

    def order_cancel(self, order_id: str) -> Response:
        backend, _ = self._find(order_id)
        try:
            order = backend.cancel(order_id)
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        redirect = urls.with_query(order.cancel_url, token=order.id) if order.cancel_url else None
        return json_response({"order": order.to_json(), "payer_cancelled": True, "redirect": redirect})

    def _settle(self, capture_id: str, complete: bool) -> Response:
        backend = self.provider.find_capture(capture_id)
        if backend is None:
            raise NotFound(f"no PayPal capture {capture_id!r}")
        try:
            capture, events = resolve_pending(backend, capture_id, complete, self.runtime.clock.now())
        except StateConflict as exc:
            raise Conflict(str(exc)) from None
        self.provider.webhooks.emit(backend.account, events, capture.base_url)
        return json_response({"capture": capture.to_json(standalone=True)})

    def capture_complete(self, capture_id: str) -> Response:
        return self._settle(capture_id, True)

    def capture_deny(self, capture_id: str) -> Response:
        return self._settle(capture_id, False)

    def cert_info(self) -> Response:
        identity = self.provider.identity
        return json_response(
            {**identity.describe(), "cert_url": urls.cert_href(self.provider.public_url, identity.cert_id)}
        )

    def magic_info(self) -> Response:
        return json_response(magic_summary())
