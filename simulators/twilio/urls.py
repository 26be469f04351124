"""Every path of the Twilio simulator: the API routes, the control routes and the URIs in resources.

The endpoint names of :data:`API_ROUTES` are Twilio's operationIds (twilio-oai ``twilio_api_v2010.json``),
so fault rules match them: ``{"match": {"operation": "CreateMessage"}, ...}``. Control routes are mounted
under ``/_sim/twilio``.
"""

from __future__ import annotations

from urllib.parse import urlencode

API_VERSION = "2010-04-01"
ACCOUNT_PREFIX = f"/{API_VERSION}/Accounts"

MESSAGES = f"{ACCOUNT_PREFIX}/<account_sid>/Messages.json"
MESSAGE = f"{ACCOUNT_PREFIX}/<account_sid>/Messages/<sid>.json"

#: (rule, endpoint = operation name, methods)
API_ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (MESSAGES, "CreateMessage", ("POST",)),
    (MESSAGES, "ListMessage", ("GET",)),
    (MESSAGE, "FetchMessage", ("GET",)),
    (MESSAGE, "UpdateMessage", ("POST",)),
    (MESSAGE, "DeleteMessage", ("DELETE",)),
)

CONTROL_PREFIX = "/_sim/twilio"

#: (rule under CONTROL_PREFIX, endpoint, methods)
CONTROL_ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/accounts", "list_accounts", ("GET",)),
    ("/accounts", "add_account", ("POST",)),
    ("/accounts/<account_sid>", "remove_account", ("DELETE",)),
    ("/messages", "list_all_messages", ("GET",)),
    ("/messages/<sid>", "get_any_message", ("GET",)),
    ("/messages/<sid>/outcome", "force_outcome", ("POST",)),
    ("/numbers", "list_numbers", ("GET",)),
    ("/numbers", "set_number", ("POST",)),
    ("/numbers/<number>", "remove_number", ("DELETE",)),
    ("/settings", "get_settings", ("GET",)),
    ("/settings", "update_settings", ("POST",)),
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
