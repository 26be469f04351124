"""What a request to the Twilio simulator may contain: validation of ``POST …/Messages.json``, in Twilio's
order, raising Twilio's errors (nothing is stored), and the JSON bodies of the ``/_sim/twilio`` controls.

Required: ``To`` (21604), ``From`` or ``MessagingServiceSid`` (21603), ``Body``, ``MediaUrl`` or
``ContentSid`` (21602); ``Body`` at most 1,600 characters (21617). ``To`` must be E.164 or a channel
address (21211); ``From`` E.164, a short code, an alphanumeric sender ID or a channel address (21212).
Then the magic numbers of :mod:`simulators.twilio.magic` (twilio.com/docs/iam/test-credentials).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.errors import BadRequest
from simulators.twilio import exceptions as exc
from simulators.twilio.auth import Account
from simulators.twilio.magic import (
    DEFAULT_OUTCOME_FOR_CODE,
    MAGIC_FROM_ERRORS,
    MAGIC_TO_ERRORS,
    VALID_TEST_FROM,
    DeliveryPlan,
    plan_for,
)

MAX_BODY_CHARS = 1600
MAX_MEDIA = 10

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
SHORT_CODE = re.compile(r"^\d{3,8}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
CHANNEL_ADDRESS = re.compile(r"^(whatsapp|messenger|rcs):(.+)$")
MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
HTTP_URL = re.compile(r"^https?://[^\s/?#_]+(:\d+)?([/?#]\S*)?$")


def first(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The first value of a form parameter (``None`` when absent)."""
    values = params.get(name)
    return values[0] if values else None


def is_valid_to(value: str) -> bool:
    """E.164, or a channel address such as ``whatsapp:+15552229999``."""
    match = CHANNEL_ADDRESS.match(value)
    return bool(E164.match(match.group(2) if match else value))


def is_valid_from(value: str) -> bool:
    """E.164, a short code, an alphanumeric sender ID (1-11 chars, one letter) or a channel address."""
    match = CHANNEL_ADDRESS.match(value)
    if match:
        return bool(E164.match(match.group(2)))
    return bool(E164.match(value) or SHORT_CODE.match(value) or ALPHANUMERIC_SENDER.match(value))


# The optional parameters of CreateMessage and their types (twilio-oai ``CreateMessageRequest``).
BOOLEANS = ("ProvideFeedback", "ForceDelivery", "SmartEncoded", "ShortenUrls", "SendAsMms")
ENUMS: Mapping[str, tuple[str, ...]] = {
    "ContentRetention": ("retain", "discard"),
    "AddressRetention": ("retain", "obfuscate"),
    "TrafficType": ("free",),
    "ScheduleType": ("fixed",),
    "RiskCheck": ("enable", "disable"),
}
APPLICATION_SID = re.compile(r"^AP[0-9a-fA-F]{32}$")
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
MAX_VALIDITY_PERIOD = 36000  # seconds (twilio.com/docs/api/errors/21624)
MAX_PAGE_SIZE = 1000


def _is_number(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def validate_optional(params: Mapping[str, Sequence[str]]) -> None:
    """The optional parameters' types and values. An empty value counts as absent, as Twilio treats it."""
    for name in BOOLEANS:
        value = first(params, name)
        if value and value.lower() not in ("true", "false"):
            raise exc.invalid_parameter(name, value)
    for name, allowed in ENUMS.items():
        value = first(params, name)
        if value and value not in allowed:
            raise exc.invalid_parameter(name, value)
    attempt = first(params, "Attempt")
    if attempt and not INTEGER.match(attempt):
        raise exc.invalid_parameter("Attempt", attempt)
    max_price = first(params, "MaxPrice")
    if max_price and not _is_number(max_price):
        raise exc.invalid_parameter("MaxPrice", max_price)
    send_at = first(params, "SendAt")
    if send_at and not _is_datetime(send_at):
        raise exc.invalid_parameter("SendAt", send_at)
    validity = first(params, "ValidityPeriod")
    if validity and not (INTEGER.match(validity) and 1 <= int(validity) <= MAX_VALIDITY_PERIOD):
        raise exc.invalid_validity_period(validity)
    application = first(params, "ApplicationSid")
    if application and not APPLICATION_SID.match(application):
        raise exc.invalid_application_sid(application)
    content = first(params, "ContentSid")
    if content and not CONTENT_SID.match(content):
        raise exc.invalid_content_sid(content)


def list_paging(page: str | None, page_size: str | None) -> tuple[int, int]:
    """``Page`` (>= 0, default 0) and ``PageSize`` (1..1000, default 50) of a list request, else 400/20001."""
    if page and not (INTEGER.match(page) and int(page) >= 0):
        raise exc.invalid_parameter("Page", page)
    if page_size and not (INTEGER.match(page_size) and 1 <= int(page_size) <= MAX_PAGE_SIZE):
        raise exc.invalid_parameter("PageSize", page_size)
    return int(page or 0), int(page_size or 50)


def validate_create(account: Account, params: Mapping[str, Sequence[str]]) -> None:
    """Raise Twilio's error for an invalid create request (nothing is stored)."""
    to = first(params, "To")
    from_ = first(params, "From")
    service = first(params, "MessagingServiceSid")
    body = first(params, "Body")
    media = [u for u in params.get("MediaUrl", []) if u]
    content_sid = first(params, "ContentSid")
    callback = first(params, "StatusCallback")
    if not to:
        raise exc.missing_to()
    if not from_ and not service:
        raise exc.missing_from()
    if not body and not media and not content_sid:
        raise exc.missing_body()
    if body is not None and len(body) > MAX_BODY_CHARS:
        raise exc.body_too_long()
    if service and not MESSAGING_SERVICE_SID.match(service):
        raise exc.invalid_messaging_service(service)
    if len(media) > MAX_MEDIA:
        raise exc.too_many_media()
    for url in media:
        if not HTTP_URL.match(url):
            raise exc.invalid_media_url(url)
    if callback and not HTTP_URL.match(callback):
        raise exc.invalid_status_callback(callback)
    validate_optional(params)
    if not is_valid_to(to):
        raise exc.invalid_to(to)
    if from_:
        if not is_valid_from(from_):
            raise exc.invalid_from(from_)
        code = MAGIC_FROM_ERRORS.get(from_)
        if code == 21212:
            raise exc.invalid_from(from_)
        if code == 21606:
            raise exc.from_not_owned(from_)
        if code == 21611:
            raise exc.from_queue_full()
        # Test credentials accept only the magic From numbers ("All others: 21606").
        if account.test and from_ != VALID_TEST_FROM:
            raise exc.from_not_owned(from_)
    code = MAGIC_TO_ERRORS.get(to)
    if code == 21211:
        raise exc.invalid_to(to)
    if code == 21612:
        raise exc.cannot_route(to, from_)
    if code == 21408:
        raise exc.region_not_enabled(to)
    if code == 21610:
        raise exc.unsubscribed()
    if code == 21614:
        raise exc.not_mobile()


# -- control API bodies (``/_sim/twilio/...``; validated and documented from ``urls.CONTROL_ROUTES``) --------
OutcomeName = Literal["delivered", "undelivered", "failed"]


class AccountSpec(BaseModel):
    """Body of ``POST /_sim/twilio/accounts``."""

    model_config = ConfigDict(extra="forbid")
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: str | None = Field(default=None, min_length=1, max_length=200)
    test: bool = False
    friendly_name: str = Field(default="", max_length=64)


class OutcomeSpec(BaseModel):
    """How a message (or every message to a number) ends."""

    model_config = ConfigDict(extra="forbid")
    outcome: OutcomeName | None = None
    error_code: int | None = Field(default=None, ge=30000, le=39999)
    now: bool = False

    def plan(self) -> DeliveryPlan:
        """The delivery plan; an error code alone implies its usual status."""
        outcome = self.outcome
        if outcome is None:
            if self.error_code is None:
                raise BadRequest("give 'outcome', 'error_code' or both")
            outcome = DEFAULT_OUTCOME_FOR_CODE.get(self.error_code, "undelivered")
        if outcome == "delivered" and self.error_code is not None:
            raise BadRequest("a delivered message has no error_code")
        return plan_for(outcome, self.error_code)


class NumberSpec(OutcomeSpec):
    """Body of ``POST /_sim/twilio/numbers``."""

    number: str = Field(pattern=r"^(whatsapp:)?\+[1-9]\d{1,14}$")


class SettingsSpec(BaseModel):
    """Body of ``POST /_sim/twilio/settings`` (only the given delays change)."""

    model_config = ConfigDict(extra="forbid")
    delays: dict[str, float] = Field(default_factory=dict)
