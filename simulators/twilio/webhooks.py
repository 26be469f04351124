"""Twilio status callbacks: the form Twilio POSTs and its ``X-Twilio-Signature``.

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
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from urllib.parse import parse_qs

from simulators.kernel.webhooks import Delivery, WebhookTarget

SIGNATURE_HEADER = "X-Twilio-Signature"
USER_AGENT = "TwilioProxy/1.1"
CONTENT_TYPE = "application/x-www-form-urlencoded"


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
