"""``POST /api/v1/webhooks/twilio/status``: Twilio's SMS status callbacks.

1. ``X-Twilio-Signature`` is checked with the official ``twilio.request_validator.RequestValidator``
   (HMAC-SHA1 of the URL plus the sorted form parameters, keyed with ``TWILIO_AUTH_TOKEN``). The URL
   Twilio signs is the ``StatusCallback`` the service gave it, ``SERVICE_PUBLIC_URL`` + this path, not
   whatever ``Host`` the request arrived with (a proxy or load balancer changes that). A missing or
   wrong signature, or another account's callback, is a 403 ``webhook-forbidden`` and changes nothing.
2. The report (``MessageSid``, ``MessageStatus``, ``ErrorCode``) is applied through the bus
   (``ApplySmsStatus``): deduplicated by ``MessageSid:MessageStatus``, recorded in the notification's
   history, and the status only ever moves forward (queued → sent → delivered, or undelivered/failed
   with the 300xx code). An SMS that ends undelivered/failed may be resent through another provider
   (``SMS_RETRY_UNDELIVERED_ON_OTHER_PROVIDER``). 200 only after commit.

Counted in ``webhook_events_total{provider="twilio"}`` and ``sms_delivery_status_total``.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from twilio.request_validator import RequestValidator

from reference_service.adapters.twilio_sms import STATUS_CALLBACK_PATH
from reference_service.bootstrap import Container
from reference_service.domain.notification_commands import ApplySmsStatus
from reference_service.entrypoints.access import public
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.entrypoints.webhooks.receipts import SmsStatusReceiptOut
from reference_service.service_layer.handlers.notifications import SMS_STATUSES

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Twilio-Signature"


def build_blueprint(container: Container) -> Blueprint:
    bp = Blueprint("twilio_webhooks", __name__, url_prefix="/api/v1/webhooks")
    settings = container.settings
    validator = RequestValidator(settings.twilio_auth_token.get_secret_value())
    counter = container.metrics.webhook_events
    metrics = container.notifications.metrics

    def forbidden(reason: str) -> Problem:
        counter.labels("twilio", "unverified", "rejected").inc()
        return Problem(
            "webhook-forbidden",
            f"Twilio signature rejected: {reason}.",
            [FieldError(SIGNATURE_HEADER, reason, "invalid")],
        )

    @bp.post("/twilio/status")
    @public("signed by Twilio (X-Twilio-Signature); verified before anything is applied")
    def twilio_status() -> Response:
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            raise forbidden("the header is missing")
        query = request.query_string.decode("latin-1")
        url = settings.service_public_url + STATUS_CALLBACK_PATH + (f"?{query}" if query else "")
        if not validator.validate(url, request.form, signature):
            raise forbidden("it does not match SERVICE_PUBLIC_URL and the form")
        form = request.form
        if form.get("AccountSid") != settings.twilio_account_sid:
            raise forbidden("the callback is for another account")
        sid, status = form.get("MessageSid", ""), form.get("MessageStatus", "")
        missing = [name for name, value in (("MessageSid", sid), ("MessageStatus", status)) if not value]
        if missing:
            counter.labels("twilio", "unparsed", "rejected").inc()
            raise Problem(
                "malformed-request",
                f"Not a Twilio status callback: missing {', '.join(missing)}.",
                [FieldError(name, "required", "missing") for name in missing],
            )
        error_code = form.get("ErrorCode") or None
        receipt = container.bus.handle(
            ApplySmsStatus(
                provider="twilio",
                event_id=f"{sid}:{status}",
                message_id=sid,
                provider_status=status,
                error_code=error_code,
            )
        )
        outcome = receipt.outcome
        label = status if status in SMS_STATUSES else "other"
        if outcome not in ("duplicate", "unmatched"):
            metrics.sms_delivery_status.labels("twilio", label).inc()
        counter.labels("twilio", label, outcome).inc()
        logger.info("twilio status %s for %s: %s", status, sid, outcome)
        return render(SmsStatusReceiptOut.from_status(receipt))

    return bp
