"""Every path the AWS simulator serves itself (moto serves the rest), its control routes, and the URLs SNS
messages carry: the only module with paths.

``API_ROUTES`` (served by the kernel before moto; anything they do not match goes to moto):

* ``GET /SimpleNotificationService-<id>.pem``: the SNS signing certificate (AWS's path shape).
* ``GET /?Action=ConfirmSubscription&TopicArn=...&Token=...``: an SNS ``SubscribeURL`` (unsigned).
* ``GET /?Action=Unsubscribe&SubscriptionArn=...``: an SNS ``UnsubscribeURL`` (unsigned).

``POST /moto-api/reset`` is moto's own reset; the simulator also forgets what it keeps beside moto.
``CONTROL_ROUTES`` are mounted by the kernel under ``/_sim/aws`` and described in ``/_sim/openapi.json``
from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from simulators.aws.validation import OptOutSpec
from simulators.kernel.routing import QueryParam, Route

if TYPE_CHECKING:
    from simulators.kernel.wsgi import SimRequest

MOTO_RESET = "/moto-api/reset"
LIMIT = QueryParam("limit", "Max entries (newest kept; default 1000)", {"type": "integer", "minimum": 1})


def url_action(action: str) -> Callable[[SimRequest], bool]:
    """Whether a request is the unsigned ``GET /?Action=<action>`` of an SNS URL (signed ones are moto's)."""

    def matches(request: SimRequest) -> bool:
        return (
            request.method == "GET"
            and request.header("Authorization") is None
            and request.query_value("Action") == action
        )

    return matches


API_ROUTES: tuple[Route, ...] = (
    Route("GET", "/SimpleNotificationService-<key_id>.pem", "GetSigningCertificate", "The SNS certificate"),
    Route("GET", "/", "ConfirmSubscription", "An SNS SubscribeURL", when=url_action("ConfirmSubscription")),
    Route("GET", "/", "Unsubscribe", "An SNS UnsubscribeURL", when=url_action("Unsubscribe")),
)

CONTROL_PREFIX = "/_sim/aws"
CONTROL_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/sent-emails",
        "sent_emails",
        "SES messages with text/html bodies and feedback (source, to, limit)",
        query=(QueryParam("source", "Sender contains"), QueryParam("to", "A recipient contains"), LIMIT),
    ),
    Route(
        "GET",
        "/sms",
        "sms_messages",
        "SNS SMS publishes with message attributes (phone_number, limit)",
        query=(QueryParam("phone_number", "Only this number"), LIMIT),
    ),
    Route(
        "POST",
        "/sms/opt-out",
        "opt_out",
        "Opt a phone number out",
        body=OptOutSpec,
        responses={201: "Opted out", 400: "Invalid number"},
    ),
    Route("GET", "/sms/opt-outs", "opted_out", "Numbers opted out through the control API"),
    Route(
        "DELETE",
        "/sms/opt-out/<number>",
        "opt_in",
        "Opt a number back in",
        responses={200: "OK", 404: "Not opted out here"},
    ),
    Route(
        "GET", "/sns/subscriptions", "subscriptions", "HTTP/S subscriptions, pending state and SubscribeURL"
    ),
    Route("GET", "/sns/certificate", "certificate", "The SNS signing certificate (PEM)"),
)


def certificate_url(base: str, file_name: str) -> str:
    """``SigningCertURL``: ``{base}/SimpleNotificationService-<id>.pem``."""
    return f"{base}/{file_name}"


def subscribe_url(base: str, topic_arn: str, token: str) -> str:
    """``SubscribeURL``: ``{base}/?Action=ConfirmSubscription&TopicArn=...&Token=...``."""
    return f"{base}/?Action=ConfirmSubscription&TopicArn={quote(topic_arn, safe='')}&Token={token}"


def unsubscribe_url(base: str, subscription_arn: str) -> str:
    """``UnsubscribeURL``: ``{base}/?Action=Unsubscribe&SubscriptionArn=...``."""
    return f"{base}/?Action=Unsubscribe&SubscriptionArn={quote(subscription_arn, safe='')}"
