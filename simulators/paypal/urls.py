"""Every path the PayPal simulator serves, and the HATEOAS link builders: the only module with paths.

``API_ROUTES`` are PayPal's own (the operation is the handler's name and the fault/journal ``operation``);
``CONTROL_ROUTES`` are mounted by the kernel under ``/_sim/paypal`` and described in ``/_sim/openapi.json``
from the same rows. Links are absolute to the simulator's base URL as seen by the caller
(``request.host_url``), so a client follows them back to the simulator as it would follow PayPal's.
"""

from __future__ import annotations

from urllib.parse import quote

from simulators.kernel.routing import Route
from simulators.paypal.validation import ApproveSpec, AppSpec

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
    Route("POST", TOKEN, "oauth_token"),
    Route("POST", ORDERS, "create_order"),
    Route("GET", ORDER, "get_order"),
    Route("PATCH", ORDER, "update_order"),
    Route("POST", ORDER + "/authorize", "authorize_order"),
    Route("POST", ORDER + "/capture", "capture_order"),
    Route("POST", ORDER + "/confirm-payment-source", "confirm_payment_source"),
    Route("POST", ORDER + "/track", "track_order"),
    Route("PATCH", ORDER + "/trackers/<tracker_id>", "update_tracker"),
    Route("GET", CAPTURES + "/<capture_id>", "get_capture"),
    Route("POST", CAPTURES + "/<capture_id>/refund", "refund_capture"),
    Route("GET", REFUNDS + "/<refund_id>", "get_refund"),
    Route("GET", AUTHORIZATIONS + "/<authorization_id>", "get_authorization"),
    Route("POST", AUTHORIZATIONS + "/<authorization_id>/capture", "capture_authorization"),
    Route("POST", AUTHORIZATIONS + "/<authorization_id>/void", "void_authorization"),
    Route("POST", WEBHOOKS, "create_webhook"),
    Route("GET", WEBHOOKS, "list_webhooks"),
    Route("GET", WEBHOOKS + "/<webhook_id>", "get_webhook"),
    Route("PATCH", WEBHOOKS + "/<webhook_id>", "update_webhook"),
    Route("DELETE", WEBHOOKS + "/<webhook_id>", "delete_webhook"),
    Route("GET", WEBHOOKS + "/<webhook_id>/event-types", "list_webhook_event_types"),
    Route("GET", "/v1/notifications/webhooks-event-types", "list_event_types"),
    Route("GET", EVENTS, "list_events"),
    Route("GET", EVENTS + "/<event_id>", "get_event"),
    Route("POST", EVENTS + "/<event_id>/resend", "resend_event"),
    Route("POST", "/v1/notifications/verify-webhook-signature", "verify_webhook_signature"),
    Route("POST", "/v1/notifications/simulate-event", "simulate_event"),
    Route("GET", CERTS + "/<cert_id>", "get_cert"),
    Route("GET", CHECKOUT, "checkout_now"),
)

CONTROL_PREFIX = "/_sim/paypal"
_FOUND = {200: "OK", 404: "Not found"}
_ACT = {200: "OK", 404: "Not found", 409: "The object's state does not allow it"}
CONTROL_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/apps",
        "apps_list",
        "List REST apps (each is an account) with their secrets and live token counts",
    ),
    Route(
        "POST",
        "/apps",
        "apps_create",
        "Register a REST app: {client_id?, client_secret?}",
        body=AppSpec,
        body_required=False,
        responses={201: "Created", 409: "The client_id is taken"},
    ),
    Route("GET", "/apps/<client_id>", "apps_get", "One app", responses=_FOUND),
    Route(
        "DELETE", "/apps/<client_id>", "apps_delete", "Remove an app and revoke its tokens", responses=_FOUND
    ),
    Route(
        "GET",
        "/orders/<order_id>",
        "order_inspect",
        "An order (any app) with its buyer and payer_cancelled flag",
        responses=_FOUND,
    ),
    Route(
        "POST",
        "/orders/<order_id>/approve",
        "order_approve",
        "The buyer approves the order: {email_address?, given_name?, surname?}",
        body=ApproveSpec,
        body_required=False,
        responses=_ACT,
    ),
    Route(
        "POST",
        "/orders/<order_id>/cancel",
        "order_cancel",
        "The buyer cancels on PayPal's page (the order is unchanged; payer_cancelled)",
        responses=_ACT,
    ),
    Route(
        "POST",
        "/captures/<capture_id>/complete",
        "capture_complete",
        "Settle a PENDING capture as COMPLETED (PAYMENT.CAPTURE.COMPLETED)",
        responses=_ACT,
    ),
    Route(
        "POST",
        "/captures/<capture_id>/deny",
        "capture_deny",
        "Settle a PENDING capture as DECLINED (PAYMENT.CAPTURE.DENIED)",
        responses=_ACT,
    ),
    Route("GET", "/cert", "cert_info", "The webhook signing certificate (PEM, id, subject, cert_url)"),
    Route("GET", "/magic", "magic_info", "Currencies, fees, card rejection triggers, buyer profiles"),
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


def tracker_href(base: str, order_id: str, tracker_id: str) -> str:
    """``{base}/v2/checkout/orders/{id}/trackers/{tracker_id}`` (the tracker's PATCH URL)."""
    return f"{order_href(base, order_id)}/trackers/{tracker_id}"


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
