"""The PayPal simulator as a kernel provider: ``genai-demo sim paypal`` (default port 12112).

It serves PayPal's REST API (OAuth, Orders v2, Payments v2 captures/refunds/authorizations, Webhooks v1)
from :mod:`simulators.paypal.responses` and :mod:`simulators.paypal.responses_notifications`, the buyer's
approval page (``GET /checkoutnow?token=...``), and its own controls under ``/_sim/paypal/``
(:mod:`simulators.paypal.control`), all at the paths of :mod:`simulators.paypal.urls`. See
``docs/simulators/paypal.md``.

Kernel hooks: the account of a request is the client id of its bearer token (``None`` when the token is
unknown or expired on the simulated clock); ``Paypal-Debug-Id`` (13 hex digits) is the request id on every
response and the ``debug_id`` of every error body, faults included; fault bodies are PayPal's (500
``INTERNAL_SERVER_ERROR``, 503 ``SERVICE_UNAVAILABLE``, 429 ``RATE_LIMIT_REACHED``...); webhooks are
signed by :class:`~simulators.paypal.webhooks.PayPalSigner` and retried on
:data:`~simulators.paypal.webhooks.RETRY_SCHEDULE`.

Environment: ``PAYPAL_CLIENT_ID`` / ``PAYPAL_CLIENT_SECRET`` (the default app), ``PAYPAL_SIM_MAX_ORDERS``
(orders kept per app, default 10000), ``PAYPAL_SIM_MAX_EVENTS`` (webhook events kept per app, default
10000), ``PAYPAL_SIM_PUBLIC_URL`` (base URL for webhook links and
``PAYPAL-CERT-URL`` before any request has shown the simulator's address; default
``http://127.0.0.1:12112``).
"""

from __future__ import annotations

import logging
from typing import Any

from simulators.kernel.backend import GcHousekeeper
from simulators.kernel.config import env_cap
from simulators.kernel.errors import ErrorResponse
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.wsgi import SimRequest
from simulators.paypal import urls
from simulators.paypal.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, AppRegistry, TokenStore
from simulators.paypal.control import PayPalControls
from simulators.paypal.exceptions import error_for_status
from simulators.paypal.models import DEFAULT_MAX_ORDERS, AccountBackend
from simulators.paypal.resources import Order
from simulators.paypal.responses import OrdersApi
from simulators.paypal.responses_notifications import NotificationsApi
from simulators.paypal.webhooks import MAX_EVENTS, RETRY_SCHEDULE, EventStore, PayPalSigner, PayPalWebhooks
from simulators.paypal.webhooks_signing import SigningIdentity

log = logging.getLogger(__name__)


class PayPalProvider(SimulatorProvider):
    """PayPal REST (sandbox) simulator."""

    name = "paypal"
    description = "PayPal REST: OAuth, Orders v2, Payments v2, Webhooks v1 (signed, retried)"
    default_port = 12112
    request_id_header = "Paypal-Debug-Id"
    retry_schedule = RETRY_SCHEDULE
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES

    def setup(self) -> None:
        """Apps from the env, the signing identity, per-account backends and event stores."""
        rt = self.runtime
        self.apps = AppRegistry()
        self.tokens = TokenStore()
        client_id = self.env.get("PAYPAL_CLIENT_ID") or DEFAULT_CLIENT_ID
        secret = self.env.get("PAYPAL_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET
        self.apps.add(client_id, secret, rt.ids, rt.clock.now())
        self.public_url = (
            self.env.get("PAYPAL_SIM_PUBLIC_URL") or f"http://127.0.0.1:{self.default_port}"
        ).rstrip("/")
        self.max_orders = int(self.env.get("PAYPAL_SIM_MAX_ORDERS") or DEFAULT_MAX_ORDERS)
        cert_id = f"CERT-{rt.ids.hex(8)}-{rt.ids.hex(8)}-{rt.ids.hex(8)}"
        self.identity = SigningIdentity(cert_id, rt.clock.datetime())
        self.housekeeper = GcHousekeeper()
        self.backends = rt.backends(self._new_backend)
        self.max_events = env_cap(self.env, "PAYPAL_SIM_MAX_EVENTS", MAX_EVENTS)
        self.events = rt.backends(lambda account: EventStore(self.max_events))
        self.webhooks = PayPalWebhooks(rt, self.events)
        log.info("PayPal simulator: default app %s, webhook certificate %s", client_id, cert_id)

    def _new_backend(self, account: str | None) -> AccountBackend:
        app = self.apps.get(account or "")
        payee = {"email_address": app.merchant_email, "merchant_id": app.merchant_id} if app else {}
        return AccountBackend(account, payee, self.runtime.ids, self.max_orders, self.housekeeper)

    # -- kernel hooks ------------------------------------------------------------------------------------
    def account_for(self, request: SimRequest) -> str | None:
        """The client id behind the bearer token, if it is live on the simulated clock."""
        token = request.bearer_token()
        if token is None:
            if (
                request.path == urls.TOKEN
            ):  # the token call belongs to the app asking (journal, fault matching)
                basic = request.basic_auth()
                return basic[0] if basic and self.apps.get(basic[0]) else None
            return None
        found = self.tokens.resolve(token, self.runtime.clock.now())
        return found.client_id if found else None

    def new_request_id(self) -> str:
        """A ``Paypal-Debug-Id`` (13 hex digits; error bodies carry it as ``debug_id``)."""
        return self.runtime.ids.hex(13)

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """PayPal's body for a bare status (faults, unknown routes), by the request's API family."""
        return error_for_status(status, request.path if request is not None else "").render(request)

    def signer(self) -> PayPalSigner:
        """SHA256withRSA over ``id|time|webhook_id|crc32`` with this simulator's certificate."""
        return PayPalSigner(self.identity, lambda: self.public_url, self.runtime.ids.stream("transmissions"))

    def new_endpoint_id(self) -> str:
        """Webhook ids look like PayPal's (``0EH40505U7160970P``): ``^[a-zA-Z0-9]+$`` as verify requires."""
        return self.runtime.ids.upper_alnum(17)

    def new_webhook_secret(self) -> str | None:
        """PayPal webhooks have no shared secret (they are verified with the certificate)."""
        return None

    def api_handlers(self) -> tuple[OrdersApi, NotificationsApi]:
        """The handlers of ``urls.API_ROUTES`` (:mod:`~simulators.paypal.responses`,
        :mod:`~simulators.paypal.responses_notifications`)."""
        return OrdersApi(self), NotificationsApi(self)

    def control_handlers(self) -> PayPalControls:
        """``/_sim/paypal/...``: apps, approve/cancel, settle pending captures, the certificate."""
        return PayPalControls(self)

    def health(self) -> dict[str, Any]:
        """Apps, certificate id and webhook retry policy (``GET /_sim/health``)."""
        return {
            "paypal": {
                "apps": [a.client_id for a in self.apps.all()],
                "cert_id": self.identity.cert_id,
                "webhook_attempts": len(RETRY_SCHEDULE) + 1,
                "webhook_retry_span_s": sum(RETRY_SCHEDULE),
                "max_orders_per_app": self.max_orders,
                "max_events_per_app": self.max_events,
            }
        }

    # -- shared by the handlers ------------------------------------------------------------------------
    def backend(self, account: str | None) -> AccountBackend:
        """The state of one app."""
        return self.backends[account]

    def find_order(self, order_id: str) -> tuple[AccountBackend, Order] | None:
        """``(backend, order)`` for an order id in any app (the buyer's page does not know the app)."""
        for _, backend in self.backends.items():
            order = backend.orders.get(order_id)
            if order is not None:
                return backend, order
        return None

    def find_capture(self, capture_id: str) -> AccountBackend | None:
        """The backend holding a capture, in any app."""
        for _, backend in self.backends.items():
            if capture_id in backend.captures:
                return backend
        return None

    def remember_base(self, base_url: str) -> None:
        """Track the address clients use, for deliveries created without a request (kernel test events)."""
        self.public_url = base_url
