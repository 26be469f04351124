"""Every path of the Twilio simulator: the API routes, the control routes and the URIs in resources.

The operations of :data:`API_ROUTES` are Twilio's operationIds (twilio-oai ``twilio_api_v2010.json``), so
fault rules match them: ``{"match": {"operation": "CreateMessage"}, ...}``. :data:`CONTROL_ROUTES` are
mounted by the kernel under ``/_sim/twilio`` and described in ``/_sim/openapi.json`` from the same rows.
"""

from __future__ import annotations

from urllib.parse import urlencode

from simulators.kernel.routing import QueryParam, Route
from simulators.twilio.validation import AccountSpec, NumberSpec, OutcomeSpec, SettingsSpec

API_VERSION = "2010-04-01"
ACCOUNT_PREFIX = f"/{API_VERSION}/Accounts"

MESSAGES = f"{ACCOUNT_PREFIX}/<account_sid>/Messages.json"
MESSAGE = f"{ACCOUNT_PREFIX}/<account_sid>/Messages/<sid>.json"

API_ROUTES: tuple[Route, ...] = (
    Route("POST", MESSAGES, "CreateMessage"),
    Route("GET", MESSAGES, "ListMessage"),
    Route("GET", MESSAGE, "FetchMessage"),
    Route("POST", MESSAGE, "UpdateMessage"),
    Route("DELETE", MESSAGE, "DeleteMessage"),
)

CONTROL_PREFIX = "/_sim/twilio"
_FOUND = {200: "OK", 404: "Not found"}
CONTROL_ROUTES: tuple[Route, ...] = (
    Route("GET", "/accounts", "list_accounts", "Accounts the simulator accepts"),
    Route(
        "POST",
        "/accounts",
        "add_account",
        "Register an account (test: true = test credentials)",
        body=AccountSpec,
        body_required=False,
        responses={201: "Created"},
    ),
    Route("DELETE", "/accounts/<account_sid>", "remove_account", "Forget an account", responses=_FOUND),
    Route(
        "GET",
        "/messages",
        "list_all_messages",
        "Every message, newest first (account, to, status, limit)",
        query=(
            QueryParam("account", "Only this AccountSid"),
            QueryParam("to", "Only messages to this number"),
            QueryParam("status", "Only messages in this status"),
            QueryParam("limit", "Max messages (default 100)", {"type": "integer", "minimum": 1}),
        ),
    ),
    Route("GET", "/messages/<sid>", "get_any_message", "One message", responses=_FOUND),
    Route(
        "POST",
        "/messages/<sid>/outcome",
        "force_outcome",
        "Force how a message ends (now: run its lifecycle at once)",
        body=OutcomeSpec,
        responses={200: "OK", 400: "Invalid outcome", 404: "Not found", 409: "The message has ended"},
    ),
    Route("GET", "/numbers", "list_numbers", "Per-number delivery outcomes"),
    Route(
        "POST",
        "/numbers",
        "set_number",
        "Make every message to a number end with an outcome",
        body=NumberSpec,
        responses={201: "Created", 400: "Invalid outcome"},
    ),
    Route("DELETE", "/numbers/<number>", "remove_number", "Forget a number", responses=_FOUND),
    Route("GET", "/settings", "get_settings", "Lifecycle delays (simulated seconds)"),
    Route(
        "POST",
        "/settings",
        "update_settings",
        "Change lifecycle delays",
        body=SettingsSpec,
        responses={200: "OK", 400: "Invalid delays"},
    ),
)


def messages_uri(account_sid: str) -> str:
    """``/2010-04-01/Accounts/{AccountSid}/Messages.json``."""
    return f"{ACCOUNT_PREFIX}/{account_sid}/Messages.json"


def message_uri(account_sid: str, sid: str) -> str:
    """``/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` (the resource's ``uri``)."""
    return f"{ACCOUNT_PREFIX}/{account_sid}/Messages/{sid}.json"


def media_uri(account_sid: str, sid: str) -> str:
    """The ``subresource_uris.media`` of a message."""
    return f"{ACCOUNT_PREFIX}/{account_sid}/Messages/{sid}/Media.json"


def list_uri(account_sid: str, query: list[tuple[str, str]]) -> str:
    """A page URI with Twilio's query encoding (``+`` as ``%2B``, ``DateSent>`` as ``DateSent%3E``)."""
    return f"{messages_uri(account_sid)}?{urlencode(query)}"
