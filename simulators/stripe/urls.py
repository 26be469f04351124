"""Every path the Stripe simulator serves (the only module that holds paths), as kernel route tables.

``API_ROUTES``: Stripe's own API (``/v1/...``), each with its operation name (the handler of
:mod:`simulators.stripe.responses`, the journal's ``operation`` and what fault rules match) and the
parameters it accepts. ``CONTROL_ROUTES``: the simulator's extra controls, mounted by the kernel under
``/_sim/stripe/`` and described in ``/_sim/openapi.json`` from the same rows (see
``docs/simulators/stripe.md``).
"""

from __future__ import annotations

from simulators.kernel.routing import QueryParam, Route
from simulators.stripe import validation_params as P
from simulators.stripe.settings import SettingsPatch
from simulators.stripe.validation import CloseSpec, DisputeSpec, SettleSpec, ThreeDSecureSpec

API_ROUTES: tuple[Route, ...] = (
    # PaymentIntents
    Route("POST", "/v1/payment_intents", "create_payment_intent", params=P.CREATE_PAYMENT_INTENT),
    Route("GET", "/v1/payment_intents", "list_payment_intents", params=P.LIST_PAYMENT_INTENTS),
    Route("GET", "/v1/payment_intents/search", "search_payment_intents", params=P.SEARCH_PAYMENT_INTENTS),
    Route("GET", "/v1/payment_intents/<intent>", "retrieve_payment_intent", params=P.RETRIEVE_PAYMENT_INTENT),
    Route("POST", "/v1/payment_intents/<intent>", "update_payment_intent", params=P.UPDATE_PAYMENT_INTENT),
    Route(
        "POST",
        "/v1/payment_intents/<intent>/confirm",
        "confirm_payment_intent",
        params=P.CONFIRM_PAYMENT_INTENT,
    ),
    Route(
        "POST",
        "/v1/payment_intents/<intent>/capture",
        "capture_payment_intent",
        params=P.CAPTURE_PAYMENT_INTENT,
    ),
    Route(
        "POST", "/v1/payment_intents/<intent>/cancel", "cancel_payment_intent", params=P.CANCEL_PAYMENT_INTENT
    ),
    Route(
        "POST",
        "/v1/payment_intents/<intent>/increment_authorization",
        "increment_authorization",
        params=P.INCREMENT_AUTHORIZATION,
    ),
    Route(
        "POST",
        "/v1/payment_intents/<intent>/apply_customer_balance",
        "apply_customer_balance",
        params=P.APPLY_CUSTOMER_BALANCE,
    ),
    Route(
        "POST",
        "/v1/payment_intents/<intent>/verify_microdeposits",
        "verify_microdeposits",
        params=P.VERIFY_MICRODEPOSITS,
    ),
    # PaymentMethods
    Route("POST", "/v1/payment_methods", "create_payment_method", params=P.CREATE_PAYMENT_METHOD),
    Route("GET", "/v1/payment_methods/<payment_method>", "retrieve_payment_method", params=P.RETRIEVE),
    # Charges
    Route("GET", "/v1/charges", "list_charges", params=P.LIST_CHARGES),
    Route("GET", "/v1/charges/<charge>", "retrieve_charge", params=P.RETRIEVE),
    Route("POST", "/v1/charges/<charge>", "update_charge", params=P.UPDATE_CHARGE),
    # Refunds
    Route("POST", "/v1/refunds", "create_refund", params=P.CREATE_REFUND),
    Route("GET", "/v1/refunds", "list_refunds", params=P.LIST_REFUNDS),
    Route("GET", "/v1/refunds/<refund>", "retrieve_refund", params=P.RETRIEVE),
    Route("POST", "/v1/refunds/<refund>", "update_refund", params=P.UPDATE_REFUND),
    # Disputes
    Route("GET", "/v1/disputes", "list_disputes", params=P.LIST_DISPUTES),
    Route("GET", "/v1/disputes/<dispute>", "retrieve_dispute", params=P.RETRIEVE),
    Route("POST", "/v1/disputes/<dispute>", "update_dispute", params=P.UPDATE_DISPUTE),
    Route("POST", "/v1/disputes/<dispute>/close", "close_dispute", params=P.CLOSE_DISPUTE),
    # Events
    Route("GET", "/v1/events", "list_events", params=P.LIST_EVENTS),
    Route("GET", "/v1/events/<id>", "retrieve_event", params=P.RETRIEVE),
    # Webhook endpoints
    Route("POST", "/v1/webhook_endpoints", "create_webhook_endpoint", params=P.CREATE_WEBHOOK_ENDPOINT),
    Route("GET", "/v1/webhook_endpoints", "list_webhook_endpoints", params=P.LIST_WEBHOOK_ENDPOINTS),
    Route("GET", "/v1/webhook_endpoints/<webhook_endpoint>", "retrieve_webhook_endpoint", params=P.RETRIEVE),
    Route(
        "POST",
        "/v1/webhook_endpoints/<webhook_endpoint>",
        "update_webhook_endpoint",
        params=P.UPDATE_WEBHOOK_ENDPOINT,
    ),
    Route("DELETE", "/v1/webhook_endpoints/<webhook_endpoint>", "delete_webhook_endpoint", params=P.NONE),
)

CONTROL_PREFIX = "/_sim/stripe"
_FOUND = {200: "OK", 404: "No such object", 409: "The object is not in a state that allows it"}
_SECRET = QueryParam("client_secret", "The PaymentIntent's client_secret", required=True)
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("GET", "/accounts", "accounts", "Accounts holding state, with object counts"),
    Route("GET", "/config", "config_get", "The simulator's Stripe settings"),
    Route(
        "POST",
        "/config",
        "config_set",
        "Change Stripe settings (caps, async cards, delays, v0)",
        body=SettingsPatch,
        responses={200: "OK", 400: "Invalid settings"},
    ),
    Route(
        "POST",
        "/payment_intents/<intent>/3ds",
        "three_d_secure",
        "Complete or fail 3D Secure for a PaymentIntent in requires_action",
        body=ThreeDSecureSpec,
        body_required=False,
        responses=_FOUND,
    ),
    Route(
        "POST",
        "/payment_intents/<intent>/settle",
        "settle",
        "Settle a processing PaymentIntent: succeeded or failed (with a decline code)",
        body=SettleSpec,
        body_required=False,
        responses=_FOUND,
    ),
    Route(
        "GET",
        "/3ds/<intent>",
        "three_d_secure_page",
        "The 3D Secure page next_action points at; ?outcome=complete|fail acts and redirects",
        query=(_SECRET, QueryParam("outcome", "complete or fail: act at once and redirect")),
        responses={**_FOUND, 303: "Redirect to the return_url"},
    ),
    Route(
        "POST",
        "/3ds/<intent>",
        "three_d_secure_submit",
        "Form target of the 3D Secure page (outcome=complete|fail), then redirect to return_url",
        responses={**_FOUND, 303: "Redirect to the return_url"},
    ),
    Route(
        "POST",
        "/charges/<charge>/dispute",
        "open_dispute",
        "Open a dispute on any succeeded charge (reason, amount, status)",
        body=DisputeSpec,
        body_required=False,
        responses={**_FOUND, 201: "The dispute"},
    ),
    Route(
        "POST",
        "/disputes/<dispute>/close",
        "decide_dispute",
        "Close a dispute as won or lost",
        body=CloseSpec,
        body_required=False,
        responses=_FOUND,
    ),
    Route(
        "GET",
        "/idempotency",
        "idempotency",
        "Idempotency keys of an account (in flight or saved)",
        query=(QueryParam("account", "The account label (acct_...)", required=True),),
    ),
)


def control_path(route: Route) -> str:
    """The full OpenAPI path of a control route (``<x>`` -> ``{x}``)."""
    return route.openapi_path(CONTROL_PREFIX)
