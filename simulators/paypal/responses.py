"""PayPal's REST API handlers: parse the request, call the backend, render (no state here).

Routes come from :data:`simulators.paypal.urls.API_ROUTES`; each route's operation is a method of
:class:`OrdersApi` or :class:`~simulators.paypal.responses_notifications.NotificationsApi`, called by the
kernel's :class:`~simulators.kernel.api.ProviderApi` with the request (and the path arguments) explicitly.

Headers, as PayPal's spec defines them (``checkout_orders_v2.json`` parameters):

* ``Authorization: Bearer <token>``. None, or another scheme: 401 ``AUTHENTICATION_FAILURE``. Unknown or
  expired (simulated clock): 401 ``invalid_token``.
* ``PayPal-Request-Id`` (<= 108 characters) on create, capture, authorize, refund and authorization capture:
  a replay within 6 simulated hours answers **200** with the resource's latest state.
* ``Prefer: return=minimal`` (default) or ``return=representation``. Minimal: create answers ``{id, status,
  links}``; capture/authorize answer PayPal's payments view (``payment_source``, ``purchase_units[]`` with
  ``reference_id``/``shipping``/``payments``, ``payer``, ``links``); refunds and captures ``{id, status,
  links}``.
* ``PayPal-Mock-Response``: negative testing (:func:`simulators.paypal.magic.mock_error`), checked after
  authentication and before anything else, changing nothing.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from simulators.kernel.api import HTML, Response
from simulators.kernel.wsgi import SimRequest
from simulators.paypal import models_payments, models_tracking, urls
from simulators.paypal.auth import token_response
from simulators.paypal.exceptions import (
    AuthenticationFailure,
    InvalidRequest,
    NotificationsAuthFailure,
    UnsupportedMediaType,
    detail,
    invalid_client,
    invalid_token,
    unsupported_grant_type,
)
from simulators.paypal.magic import mock_error
from simulators.paypal.models_patch import apply_patch, parse_patch
from simulators.paypal.validation import parse_confirm_request, parse_order_request
from simulators.paypal.validation_checks import parse_json
from simulators.paypal.validation_tracking import parse_track_request, parse_tracker_patch

if TYPE_CHECKING:
    from simulators.paypal.models import AccountBackend
    from simulators.paypal.provider import PayPalProvider
    from simulators.paypal.resources import Order


class PayPalHandlers:
    """Helpers shared by the API handlers; each takes the request it serves."""

    def __init__(self, provider: PayPalProvider) -> None:
        self.provider = provider

    @property
    def now(self) -> float:
        """Simulated time."""
        return self.provider.runtime.clock.now()

    def base_url(self, request: SimRequest) -> str:
        """The simulator's base URL as the caller reached it (for HATEOAS links): scheme and ``Host``."""
        base = request.host_url
        if base != self.provider.public_url:
            self.provider.remember_base(base)
        return base

    def account(self, request: SimRequest, v1: bool = False) -> str:
        """The app of the bearer token, or PayPal's 401."""
        account = request.account
        if account is not None:
            return account
        auth = request.header("Authorization") or ""
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise NotificationsAuthFailure() if v1 else AuthenticationFailure()
        raise invalid_token()

    def mock(self, request: SimRequest, operation: str, order_id: str | None = None) -> None:
        """Apply ``PayPal-Mock-Response`` (raise the forced error); a forced ``INSTRUMENT_DECLINED`` on an
        order carries the ``redirect`` link back to the approval page, as the sandbox's does."""
        error = mock_error(request.header("PayPal-Mock-Response"), operation)
        if error is None:
            return
        if order_id is not None and error.issue == "INSTRUMENT_DECLINED":
            error.links.append(urls.link(urls.approve_href(self.base_url(request), order_id), "redirect"))
        raise error

    def body(self, request: SimRequest, operation: str, *, allow_empty: bool = False) -> Any:
        """The JSON body (415 for a non-JSON media type, 400 for malformed JSON)."""
        raw = request.body
        ctype = (request.header("Content-Type") or "").partition(";")[0].strip().lower()
        if ctype and not ctype.endswith("json") and raw.strip():
            raise UnsupportedMediaType()
        return parse_json(raw, operation, allow_empty=allow_empty)

    def request_id(self, request: SimRequest, operation: str) -> str | None:
        """``PayPal-Request-Id`` if sent (1..108 characters)."""
        value = request.header("PayPal-Request-Id")
        if not value:
            return None
        if len(value) > 108:
            raise InvalidRequest(detail(operation, "INVALID_STRING_LENGTH", "PayPal-Request-Id", value, None))
        return str(value)

    @staticmethod
    def representation(request: SimRequest) -> bool:
        """``Prefer: return=representation``."""
        return "return=representation" in (request.header("Prefer") or "").replace(" ", "")


def minimal(resource: dict[str, Any]) -> dict[str, Any]:
    """``{id, status, links}`` of a resource."""
    return {"id": resource["id"], "status": resource["status"], "links": resource["links"]}


class OrdersApi(PayPalHandlers):
    """OAuth, Orders v2, Payments v2 and the buyer's approval page."""

    # -- OAuth -----------------------------------------------------------------------------------------
    def oauth_token(self, request: SimRequest) -> Response:
        """``POST /v1/oauth2/token`` (Basic client credentials, ``grant_type=client_credentials``)."""
        credentials = request.basic_auth()
        app = self.provider.apps.authenticate(*credentials) if credentials is not None else None
        if app is None:
            raise invalid_client()
        grant = request.form_value("grant_type")
        if grant != "client_credentials":
            raise unsupported_grant_type(grant)
        ids = self.provider.runtime.ids
        token = self.provider.tokens.issue(app, ids, self.now)
        return Response.json(token_response(token, app, ids))

    # -- orders ----------------------------------------------------------------------------------------
    def _order_view(self, request: SimRequest, order: Order, status: int, view_when_minimal: str) -> Response:
        view = "full" if self.representation(request) else view_when_minimal
        return Response.json(order.to_json(view=view), status)

    def create_order(self, request: SimRequest) -> Response:
        """``POST /v2/checkout/orders``: 201 (200 on a ``PayPal-Request-Id`` replay)."""
        op = "orders.create"
        account = self.account(request)
        self.mock(request, op)
        rid = self.request_id(request, op)
        backend = self.provider.backend(account)
        base = self.base_url(request)
        if rid is None:
            req = parse_order_request(self.body(request, op), has_request_id=False)
            return self._order_view(request, backend.create_order(req, base, self.now), 201, "minimal")
        with backend.lock:
            replay = backend.recall("create", rid, self.now)
            if replay is not None and replay in backend.orders:
                return self._order_view(request, backend.orders[replay], 200, "minimal")
            req = parse_order_request(self.body(request, op), has_request_id=True)
            order = backend.create_order(req, base, self.now)
            backend.remember("create", rid, order.id, self.now)
        return self._order_view(request, order, 201, "minimal")

    def get_order(self, request: SimRequest, order_id: str) -> Response:
        """``GET /v2/checkout/orders/{id}``."""
        account = self.account(request)
        self.mock(request, "orders.get")
        return Response.json(self.provider.backend(account).order(order_id).to_json())

    def update_order(self, request: SimRequest, order_id: str) -> Response:
        """``PATCH /v2/checkout/orders/{id}``: 204."""
        op = "orders.patch"
        account = self.account(request)
        self.mock(request, op)
        ops = parse_patch(self.body(request, op))
        backend = self.provider.backend(account)
        with backend.lock:
            apply_patch(backend.order(order_id, op), ops, self.now)
        return Response.empty()

    def _complete(self, request: SimRequest, order_id: str, op: str, key: str) -> Response:
        account = self.account(request)
        self.mock(request, op, order_id)
        rid = self.request_id(request, op)
        body = self.body(request, op, allow_empty=True)
        if body is not None and not isinstance(body, dict):
            raise InvalidRequest(detail(op, "INVALID_PARAMETER_SYNTAX", "/", body))
        backend = self.provider.backend(account)
        with backend.lock:
            replay = backend.recall(key, rid, self.now) if rid else None
            if replay is not None and replay in backend.orders:
                return self._order_view(request, backend.orders[replay], 200, "payments")
            run = backend.capture_order if key == "capture" else backend.authorize_order
            order, events = run(order_id, self.now)
            if rid:
                backend.remember(key, rid, order.id, self.now)
        self.provider.webhooks.emit(account, events, order.base_url)
        return self._order_view(request, order, 201, "payments")

    def confirm_payment_source(self, request: SimRequest, order_id: str) -> Response:
        """``POST /v2/checkout/orders/{id}/confirm-payment-source``: 200 with the order."""
        op = "orders.confirm"
        account = self.account(request)
        self.mock(request, op, order_id)
        req = parse_confirm_request(self.body(request, op))
        order = self.provider.backend(account).confirm_order(order_id, req, self.now)
        return self._order_view(request, order, 200, "source")

    def track_order(self, request: SimRequest, order_id: str) -> Response:
        """``POST /v2/checkout/orders/{id}/track``: 201 with the order (200 for a duplicate tracker)."""
        op = "orders.track.create"
        account = self.account(request)
        self.mock(request, op, order_id)
        req = parse_track_request(self.body(request, op))
        order, created = models_tracking.track(self.provider.backend(account), order_id, req, self.now)
        return Response.json(order.to_json(), 201 if created else 200)

    def update_tracker(self, request: SimRequest, order_id: str, tracker_id: str) -> Response:
        """``PATCH /v2/checkout/orders/{id}/trackers/{tracker_id}``: 204."""
        op = "orders.trackers.patch"
        account = self.account(request)
        self.mock(request, op, order_id)
        ops = parse_tracker_patch(self.body(request, op))
        models_tracking.patch_tracker(self.provider.backend(account), order_id, tracker_id, ops, self.now)
        return Response.empty()

    def capture_order(self, request: SimRequest, order_id: str) -> Response:
        """``POST /v2/checkout/orders/{id}/capture``."""
        return self._complete(request, order_id, "orders.capture", "capture")

    def authorize_order(self, request: SimRequest, order_id: str) -> Response:
        """``POST /v2/checkout/orders/{id}/authorize``."""
        return self._complete(request, order_id, "orders.authorize", "authorize")

    # -- payments --------------------------------------------------------------------------------------
    def _payment(self, request: SimRequest, resource: dict[str, Any], status: int) -> Response:
        return Response.json(resource if self.representation(request) else minimal(resource), status)

    def get_capture(self, request: SimRequest, capture_id: str) -> Response:
        """``GET /v2/payments/captures/{id}``."""
        account = self.account(request)
        self.mock(request, "payments.captures.get")
        return Response.json(self.provider.backend(account).capture(capture_id).to_json(standalone=True))

    def _replayable(
        self, request: SimRequest, op: str, key: str, backend: AccountBackend, lookup: Any, run: Any
    ) -> Response:
        rid = self.request_id(request, op)
        body = self.body(request, op, allow_empty=True)
        with backend.lock:
            replay = backend.recall(key, rid, self.now) if rid else None
            if replay is not None and lookup(replay) is not None:
                return self._payment(request, lookup(replay), 200)
            resource, events = run(body)
            if rid:
                backend.remember(key, rid, resource.id, self.now)
        self.provider.webhooks.emit(backend.account, events, resource.base_url)
        return self._payment(
            request, resource.to_json(standalone=True) if key == "auth_capture" else resource.to_json(), 201
        )

    def refund_capture(self, request: SimRequest, capture_id: str) -> Response:
        """``POST /v2/payments/captures/{id}/refund``: full without ``amount``, else partial."""
        op = "payments.captures.refund"
        backend = self.provider.backend(self.account(request))
        self.mock(request, op)

        def lookup(refund_id: str) -> dict[str, Any] | None:
            found = backend.refunds.get(refund_id)
            return found.to_json() if found else None

        return self._replayable(
            request,
            op,
            "refund",
            backend,
            lookup,
            lambda body: models_payments.refund_capture(backend, capture_id, body, self.now),
        )

    def get_refund(self, request: SimRequest, refund_id: str) -> Response:
        """``GET /v2/payments/refunds/{id}``."""
        account = self.account(request)
        self.mock(request, "payments.refunds.get")
        return Response.json(self.provider.backend(account).refund(refund_id).to_json())

    def get_authorization(self, request: SimRequest, authorization_id: str) -> Response:
        """``GET /v2/payments/authorizations/{id}``."""
        account = self.account(request)
        self.mock(request, "payments.authorizations.get")
        auth = self.provider.backend(account).authorization(authorization_id)
        return Response.json(auth.to_json(standalone=True))

    def capture_authorization(self, request: SimRequest, authorization_id: str) -> Response:
        """``POST /v2/payments/authorizations/{id}/capture``."""
        op = "payments.authorizations.capture"
        backend = self.provider.backend(self.account(request))
        self.mock(request, op)

        def lookup(capture_id: str) -> dict[str, Any] | None:
            found = backend.captures.get(capture_id)
            return found.to_json(standalone=True) if found else None

        return self._replayable(
            request,
            op,
            "auth_capture",
            backend,
            lookup,
            lambda body: models_payments.capture_authorization(backend, authorization_id, body, self.now),
        )

    def void_authorization(self, request: SimRequest, authorization_id: str) -> Response:
        """``POST /v2/payments/authorizations/{id}/void``: 204 (200 with the authorization if asked)."""
        op = "payments.authorizations.void"
        account = self.account(request)
        self.mock(request, op)
        backend = self.provider.backend(account)
        auth, events = models_payments.void_authorization(backend, authorization_id, self.now)
        self.provider.webhooks.emit(account, events, auth.base_url)
        if self.representation(request):
            return Response.json(auth.to_json(standalone=True))
        return Response.empty()

    # -- the buyer -------------------------------------------------------------------------------------
    def checkout_now(self, request: SimRequest) -> Response:
        """``GET /checkoutnow?token={order_id}``: the buyer approves, then goes to ``return_url``.

        The simulator's stand-in for PayPal's hosted page: following the ``approve`` (or ``payer-action``)
        link approves at once with the order's buyer (``&buyer=<email>`` picks another test profile) and
        redirects (302) to ``return_url?token={id}&PayerID={payer_id}`` as PayPal does, or shows a small page.
        """
        token = request.query_value("token", "") or ""
        found = self.provider.find_order(token)
        if found is None:
            return _page("Order not found", f"There is no PayPal order {html.escape(token)}.", 404)
        backend, order = found
        if order.status in ("COMPLETED", "VOIDED"):
            return _page("Order already processed", f"Order {order.id} is {order.status}.", 200)
        order, events = backend.approve(order.id, request.query_value("buyer") or None, self.now)
        self.provider.webhooks.emit(backend.account, events, order.base_url)
        assert order.buyer is not None
        if order.return_url:
            target = urls.with_query(order.return_url, token=order.id, PayerID=order.buyer.payer_id)
            return Response.redirect(target)
        text = f"{html.escape(order.buyer.email)} approved order {order.id}. You can close this window."
        return _page("Payment approved", text, 200)


def _page(title: str, text: str, status: int) -> Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>PayPal Checkout (simulator) - "
        f"{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1><p>{text}</p></body></html>"
    )
    return Response(body.encode(), status, HTML)
