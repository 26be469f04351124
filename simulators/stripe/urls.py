"""Every path the Stripe simulator serves (the only module that holds paths).

``API_ROUTES``: Stripe's own API (``/v1/...``), each with its operation name (the Flask endpoint, which the
journal shows and fault rules match as ``operation``) and the parameters it accepts. ``CONTROL_ROUTES``:
the simulator's extra controls, mounted under ``/_sim/stripe/`` (see ``docs/simulators/stripe.md``).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.stripe import params as P


@dataclass(frozen=True)
class Route:
    """One API route: ``rule`` (werkzeug syntax), ``method``, operation ``endpoint``, accepted ``params``."""

    rule: str
    method: str
    endpoint: str
    params: P.Params


API_ROUTES: tuple[Route, ...] = (
    # PaymentIntents
    Route("/v1/payment_intents", "POST", "create_payment_intent", P.CREATE_PAYMENT_INTENT),
    Route("/v1/payment_intents", "GET", "list_payment_intents", P.LIST_PAYMENT_INTENTS),
    Route("/v1/payment_intents/<intent>", "GET", "retrieve_payment_intent", P.RETRIEVE_PAYMENT_INTENT),
    Route("/v1/payment_intents/<intent>", "POST", "update_payment_intent", P.UPDATE_PAYMENT_INTENT),
    Route("/v1/payment_intents/<intent>/confirm", "POST", "confirm_payment_intent", P.CONFIRM_PAYMENT_INTENT),
    Route("/v1/payment_intents/<intent>/capture", "POST", "capture_payment_intent", P.CAPTURE_PAYMENT_INTENT),
    Route("/v1/payment_intents/<intent>/cancel", "POST", "cancel_payment_intent", P.CANCEL_PAYMENT_INTENT),
    # PaymentMethods
    Route("/v1/payment_methods", "POST", "create_payment_method", P.CREATE_PAYMENT_METHOD),
    Route("/v1/payment_methods/<payment_method>", "GET", "retrieve_payment_method", P.RETRIEVE),
    # Charges
    Route("/v1/charges", "GET", "list_charges", P.LIST_CHARGES),
    Route("/v1/charges/<charge>", "GET", "retrieve_charge", P.RETRIEVE),
    Route("/v1/charges/<charge>", "POST", "update_charge", P.UPDATE_CHARGE),
    # Refunds
    Route("/v1/refunds", "POST", "create_refund", P.CREATE_REFUND),
    Route("/v1/refunds", "GET", "list_refunds", P.LIST_REFUNDS),
    Route("/v1/refunds/<refund>", "GET", "retrieve_refund", P.RETRIEVE),
    Route("/v1/refunds/<refund>", "POST", "update_refund", P.UPDATE_REFUND),
    # Disputes
    Route("/v1/disputes", "GET", "list_disputes", P.LIST_DISPUTES),
    Route("/v1/disputes/<dispute>", "GET", "retrieve_dispute", P.RETRIEVE),
    Route("/v1/disputes/<dispute>", "POST", "update_dispute", P.UPDATE_DISPUTE),
    Route("/v1/disputes/<dispute>/close", "POST", "close_dispute", P.CLOSE_DISPUTE),
    # Events
    Route("/v1/events", "GET", "list_events", P.LIST_EVENTS),
    Route("/v1/events/<id>", "GET", "retrieve_event", P.RETRIEVE),
    # Webhook endpoints
    Route("/v1/webhook_endpoints", "POST", "create_webhook_endpoint", P.CREATE_WEBHOOK_ENDPOINT),
    Route("/v1/webhook_endpoints", "GET", "list_webhook_endpoints", P.LIST_WEBHOOK_ENDPOINTS),
    Route("/v1/webhook_endpoints/<webhook_endpoint>", "GET", "retrieve_webhook_endpoint", P.RETRIEVE),
    Route(
        "/v1/webhook_endpoints/<webhook_endpoint>",
        "POST",
        "update_webhook_endpoint",
        P.UPDATE_WEBHOOK_ENDPOINT,
    ),
    Route("/v1/webhook_endpoints/<webhook_endpoint>", "DELETE", "delete_webhook_endpoint", P.NONE),
)


@dataclass(frozen=True)
class ControlRoute:
    """One control route under ``/_sim/stripe`` (``rule`` relative to it)."""

    rule: str
    method: str
    endpoint: str
    summary: str


CONTROL_PREFIX = "/_sim/stripe"
CONTROL_ROUTES: tuple[ControlRoute, ...] = (
    ControlRoute("/accounts", "GET", "accounts", "Accounts holding state, with object counts"),
    ControlRoute("/config", "GET", "config_get", "The simulator's Stripe settings"),
    ControlRoute("/config", "POST", "config_set", "Change Stripe settings (caps, async cards, delays, v0)"),
    ControlRoute(
        "/payment_intents/<intent>/3ds",
        "POST",
        "three_d_secure",
        "Complete or fail 3D Secure for a PaymentIntent in requires_action",
    ),
    ControlRoute(
        "/payment_intents/<intent>/settle",
        "POST",
        "settle",
        "Settle a processing PaymentIntent: succeeded or failed (with a decline code)",
    ),
    ControlRoute(
        "/3ds/<intent>",
        "GET",
        "three_d_secure_page",
        "The 3D Secure page next_action points at; ?outcome=complete|fail acts and redirects",
    ),
    ControlRoute(
        "/3ds/<intent>",
        "POST",
        "three_d_secure_submit",
        "Form target of the 3D Secure page (outcome=complete|fail), then redirect to return_url",
    ),
    ControlRoute(
        "/charges/<charge>/dispute",
        "POST",
        "open_dispute",
        "Open a dispute on any succeeded charge (reason, amount, status)",
    ),
    ControlRoute("/disputes/<dispute>/close", "POST", "decide_dispute", "Close a dispute as won or lost"),
    ControlRoute("/idempotency", "GET", "idempotency", "Idempotency keys of an account (in flight or saved)"),
)


def control_path(route: ControlRoute) -> str:
    """The full OpenAPI path of a control route (``<x>`` -> ``{x}``)."""
    return CONTROL_PREFIX + route.rule.replace("<", "{").replace(">", "}")
