"""Twilio status callbacks: the form Twilio POSTs, its ``X-Twilio-Signature``, the retry schedule and the
one place callbacks are sent from (:class:`StatusCallbacks`).

**Retries** (:data:`RETRY_SCHEDULE`): Twilio itself retries a callback once, and only on a connection
failure (its "connection overrides" default ``rc=1``, ``rp=ct``); the simulator retries any non-2xx answer
after 5, 30 and 120 simulated seconds, divided by ``time_scale``, so a receiver's failure handling can be
exercised.

The signature is the exact inverse of ``twilio.request_validator.RequestValidator`` (twilio-python 9.x):
take the full callback URL as given, append ``name + value`` for each parameter name in sorted order
(a repeated name contributes each distinct value, sorted), HMAC-SHA1 the UTF-8 string with the account's
AuthToken and base64 the digest. A receiver checks it with
``RequestValidator(auth_token).validate(url, request.form, request.headers["X-Twilio-Signature"])``.

The callback form for an outbound message (twilio.com/docs/messaging/guides/track-outbound-message-status)
carries ``MessageSid``, ``SmsSid``, ``AccountSid``, ``From``, ``To``, ``MessageStatus``, ``SmsStatus``,
``ApiVersion``, and ``MessagingServiceSid`` when one was used, ``ErrorCode``/``ErrorMessage`` on
``failed``/``undelivered``, and ``RawDlrDoneDate`` (``YYMMDDhhmm``, the carrier's receipt time) on
``delivered``/``undelivered``. Deliveries are listed at ``GET /_sim/webhooks/deliveries``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode

from simulators.kernel.webhooks import Delivery, WebhookTarget
from simulators.twilio.auth import Account
from simulators.twilio.models import API_VERSION, Message

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
USER_AGENT = "TwilioProxy/1.1"
CONTENT_TYPE = "application/x-www-form-urlencoded"
RETRY_SCHEDULE: tuple[float, ...] = (5.0, 30.0, 120.0)


def signature_base(url: str, params: Mapping[str, Sequence[str]]) -> str:
    """The string Twilio signs: the URL, then ``name + value`` per sorted name and sorted distinct value."""
    parts = [url]
    for name in sorted(set(params)):
        for value in sorted(set(params[name])):
            parts.append(name + value)
    return "".join(parts)


def compute_signature(auth_token: str, url: str, params: Mapping[str, Sequence[str]]) -> str:
    """Base64 HMAC-SHA1 of :func:`signature_base` keyed with ``auth_token``."""
    mac = hmac.new(auth_token.encode("utf-8"), signature_base(url, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def form_params(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group ``(name, value)`` pairs as the validator sees a form (``MultiDict.getall``)."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


class TwilioSigner:
    """Kernel :class:`~simulators.kernel.webhooks.Signer`: signs each attempt of a status callback with the
    AuthToken carried as the target's ``secret``."""

    def sign(
        self, target: WebhookTarget, body: bytes, timestamp: float, delivery: Delivery
    ) -> Mapping[str, str]:
        """``X-Twilio-Signature`` over the target URL and the form body."""
        params = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        return {SIGNATURE_HEADER: compute_signature(target.secret or "", target.url, params)}


def raw_dlr_done_date(when: datetime) -> str:
    """Twilio's ``RawDlrDoneDate``: the carrier's delivery receipt time as ``YYMMDDhhmm`` (UTC)."""
    return when.strftime("%y%m%d%H%M")


def callback_params(message: Message) -> list[tuple[str, str]]:
    """The StatusCallback form for the message's current status."""
    params = [
        ("SmsSid", message.sid),
        ("SmsStatus", message.status),
        ("MessageStatus", message.status),
        ("To", message.to),
        ("MessageSid", message.sid),
        ("AccountSid", message.account_sid),
        ("From", message.from_ or ""),
        ("ApiVersion", API_VERSION),
    ]
    if message.messaging_service_sid:
        params.append(("MessagingServiceSid", message.messaging_service_sid))
    if message.status in ("failed", "undelivered") and message.error_code is not None:
        params.append(("ErrorCode", str(message.error_code)))
        params.append(("ErrorMessage", message.error_message or ""))
    if message.status in ("delivered", "undelivered") and message.done_at is not None:
        params.append(("RawDlrDoneDate", raw_dlr_done_date(message.done_at)))
    return params


class StatusCallbacks:
    """Sends a message's StatusCallbacks through the kernel's dispatcher (signed by :class:`TwilioSigner`
    with the account's AuthToken, which travels as the target's ``secret``)."""

    def __init__(self, runtime: SimulatorRuntime) -> None:
        self.runtime = runtime

    def send(self, message: Message, account: Account) -> None:
        """POST the current status to the message's StatusCallback (if it has one)."""
        url = message.status_callback
        if not url:
            return
        status = message.status
        self.runtime.webhooks.send(
            WebhookTarget(url, secret=account.auth_token, account=account.sid),
            urlencode(callback_params(message)).encode(),
            event_id=f"{message.sid}.{status}",
            event_type=f"message.{status}",
            content_type=CONTENT_TYPE,
            headers={"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": self.runtime.ids.uuid4()},
            metadata={"message_sid": message.sid, "status": status},
        )
        log.debug("status callback queued for %s (%s)", message.sid, status)
