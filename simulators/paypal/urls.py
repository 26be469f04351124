"""Every path the PayPal simulator serves, and the HATEOAS link builders: the only module with paths.

``API_ROUTES`` are PayPal's own (the endpoint name is the fault/journal ``operation``); ``CONTROL_ROUTES``
are mounted under ``/_sim/paypal``. Links are absolute to the simulator's base URL as seen by the caller
(``request.host_url``), so a client follows them back to the simulator as it would follow PayPal's.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import quote


class Route(NamedTuple):
    """One routing rule: the endpoint (handler method) name, the rule and its methods."""

    endpoint: str
    rule: str
    methods: tuple[str, ...]


TOKEN = "/v1/oauth2/token"
ORDERS = "/v2/checkout/orders"
ORDER = ORDERS + "/<order_id>"
CAPTURES = "/v2/payments/captures"
REFUNDS = "/v2/payments/refunds"
AUTHORIZATIONS = "/v2/payments/authorizations"
WEBHOOKS = "/v1/notifications/webhooks"
EVENTS = "/v1/notifications/webhooks-events"
CERTS = "/v1/notifications/certs"
CHECKOUT = "/checkoutnow"

API_ROUTES: tuple[Route, ...] = (
    Route("oauth_token", TOKEN, ("POST",)),
    Route("create_order", ORDERS, ("POST",)),
    Route("get_order", ORDER, ("GET",)),
    Route("update_order", ORDER, ("PATCH",)),
    Route("authorize_order", ORDER + "/authorize", ("POST",)),
    Route("capture_order", ORDER + "/capture", ("POST",)),
    Route("get_capture", CAPTURES + "/<capture_id>", ("GET",)),
    Route("refund_capture", CAPTURES + "/<capture_id>/refund", ("POST",)),
    Route("get_refund", REFUNDS + "/<refund_id>", ("GET",)),
    Route("get_authorization", AUTHORIZATIONS + "/<authorization_id>", ("GET",)),
    Route("capture_authorization", AUTHORIZATIONS + "/<authorization_id>/capture", ("POST",)),
    Route("void_authorization", AUTHORIZATIONS + "/<authorization_id>/void", ("POST",)),
    Route("create_webhook", WEBHOOKS, ("POST",)),
    Route("list_webhooks", WEBHOOKS, ("GET",)),
    Route("get_webhook", WEBHOOKS + "/<webhook_id>", ("GET",)),
    Route("update_webhook", WEBHOOKS + "/<webhook_id>", ("PATCH",)),
    Route("delete_webhook", WEBHOOKS + "/<webhook_id>", ("DELETE",)),
    Route("list_webhook_event_types", WEBHOOKS + "/<webhook_id>/event-types", ("GET",)),
    Route("list_event_types", "/v1/notifications/webhooks-event-types", ("GET",)),
    Route("list_events", EVENTS, ("GET",)),
    Route("get_event", EVENTS + "/<event_id>", ("GET",)),
    Route("resend_event", EVENTS + "/<event_id>/resend", ("POST",)),
    Route("verify_webhook_signature", "/v1/notifications/verify-webhook-signature", ("POST",)),
    Route("simulate_event", "/v1/notifications/simulate-event", ("POST",)),
    Route("get_cert", CERTS + "/<cert_id>", ("GET",)),
    Route("checkout_now", CHECKOUT, ("GET",)),
)

# Relative to /_sim/paypal.
CONTROL_PREFIX = "/_sim/paypal"
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("apps_list", "/apps", ("GET",)),
    Route("apps_create", "/apps", ("POST",)),
    Route("apps_get", "/apps/<client_id>", ("GET",)),
    Route("apps_delete", "/apps/<client_id>", ("DELETE",)),
    Route("order_inspect", "/orders/<order_id>", ("GET",)),
    Route("order_approve", "/orders/<order_id>/approve", ("POST",)),
    Route("order_cancel", "/orders/<order_id>/cancel", ("POST",)),
    Route("capture_complete", "/captures/<capture_id>/complete", ("POST",)),
    Route("capture_deny", "/captures/<capture_id>/deny", ("POST",)),
    Route("cert_info", "/cert", ("GET",)),
    Route("magic_info", "/magic", ("GET",)),
)


def link(href: str, rel: str, method: str = "GET") -> dict[str, str]:
    """One HATEOAS link as PayPal writes it."""
    return {"href": href, "rel": rel, "method": method}


def order_href(base: str, order_id: str) -> str:
    """``{base}/v2/checkout/orders/{id}``."""
    return f"{base}{ORDERS}/{order_id}"


def approve_href(base: str, order_id: str) -> str:
    """The buyer's approval page (PayPal: ``https://www.sandbox.paypal.com/checkoutnow?token={id}``)."""
    return f"{base}{CHECKOUT}?token={order_id}"


def capture_href(base: str, capture_id: str) -> str:
    """``{base}/v2/payments/captures/{id}``."""
    return f"{base}{CAPTURES}/{capture_id}"


def refund_href(base: str, refund_id: str) -> str:
    """``{base}/v2/payments/refunds/{id}``."""
    return f"{base}{REFUNDS}/{refund_id}"


def authorization_href(base: str, authorization_id: str) -> str:
    """``{base}/v2/payments/authorizations/{id}``."""
    return f"{base}{AUTHORIZATIONS}/{authorization_id}"


def webhook_href(base: str, webhook_id: str) -> str:
    """``{base}/v1/notifications/webhooks/{id}``."""
    return f"{base}{WEBHOOKS}/{webhook_id}"


def event_href(base: str, event_id: str) -> str:
    """``{base}/v1/notifications/webhooks-events/{id}``."""
    return f"{base}{EVENTS}/{event_id}"


def cert_href(base: str, cert_id: str) -> str:
    """``{base}/v1/notifications/certs/{cert_id}`` (PAYPAL-CERT-URL)."""
    return f"{base}{CERTS}/{cert_id}"


def cert_id_of(url: str) -> str | None:
    """The certificate id a PAYPAL-CERT-URL names (any host), or ``None`` if it is not a cert URL."""
    marker = CERTS + "/"
    _, found, tail = url.partition(marker)
    return tail.split("?")[0] or None if found else None


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` appended to its query string (PayPal's return/cancel redirects)."""
    sep = "&" if "?" in url else "?"
    return url + sep + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
