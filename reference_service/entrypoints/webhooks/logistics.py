"""``POST /api/v1/webhooks/logistics``: EasyPost's tracking events.

1. ``X-Hmac-Signature`` is checked with the official SDK's ``easypost.util.validate_webhook`` (HMAC-SHA256
   of the raw body keyed with the NFKD-normalised secret) against every configured secret
   (``LOGISTICS_WEBHOOK_SECRET``, comma-separated while rotating). A missing or wrong signature is a 400
   ``webhook-signature-invalid`` and nothing is applied.
2. ``tracker.created`` / ``tracker.updated`` become ``ApplyTrackingUpdate`` (``adapters/logistics_easypost``):
   deduplicated by the Event's ``id`` in the webhook inbox in the same transaction as the effect, and a
   delivery never moves backwards (an out-of-order update is ``stale``). Other events are acknowledged.
3. 200 only after that commit; any failure answers 5xx, so EasyPost retries.

``webhook_events_total{provider="easypost",event_type,outcome}`` counts what each delivery did.
"""

from __future__ import annotations

import logging

from easypost.errors.general.signature_verification_error import SignatureVerificationError
from easypost.util import validate_webhook
from flask import Blueprint, Response, request

from reference_service.adapters.logistics_easypost import PROVIDER, tracking_update
from reference_service.bootstrap import Container
from reference_service.entrypoints.access import public
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.entrypoints.webhooks.receipts import TrackingReceiptOut
from reference_service.json_types import parse_json

logger = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Hmac-Signature"
WEBHOOK_PATH = "/api/v1/webhooks/logistics"


def verify_easypost_signature(payload: bytes, header: str | None, secrets: list[str]) -> None:
    """Raise ``Problem`` unless ``header`` signs ``payload`` with one of ``secrets``."""
    if not secrets:
        # misconfiguration, not the sender's fault: a 500 so EasyPost keeps retrying until it is fixed
        raise Problem(
            "internal-error", "No EasyPost webhook secret is configured (LOGISTICS_WEBHOOK_SECRET)."
        )
    if not header:
        raise Problem(
            "webhook-signature-invalid",
            "The X-Hmac-Signature header is missing.",
            [FieldError(SIGNATURE_HEADER, "missing", "missing")],
        )
    for secret in secrets:
        try:
            validate_webhook(payload, {SIGNATURE_HEADER: header}, secret)
            return
        except SignatureVerificationError:
            continue
        except ValueError:  # signed correctly but not JSON: reported as malformed by the caller
            return
    raise Problem(
        "webhook-signature-invalid",
        "EasyPost signature rejected: it does not match any configured secret.",
        [FieldError(SIGNATURE_HEADER, "does not match", "invalid")],
    )


def build_blueprint(container: Container) -> Blueprint:
    bp = Blueprint("logistics_webhooks", __name__, url_prefix="/api/v1/webhooks")
    settings = container.settings
    counter = container.metrics.webhook_events

    @bp.post("/logistics")
    @public("signed by EasyPost (X-Hmac-Signature); verified before anything is applied")
    def logistics_webhook() -> Response:
        payload = request.get_data(cache=True)
        try:
            verify_easypost_signature(
                payload, request.headers.get(SIGNATURE_HEADER), settings.logistics_webhook_secrets
            )
        except Problem:
            counter.labels(PROVIDER, "unverified", "rejected").inc()
            raise
        try:
            event = parse_json(payload)
            if not isinstance(event, dict) or event.get("object") != "Event":
                raise ValueError("not an EasyPost Event")
        except ValueError as exc:
            counter.labels(PROVIDER, "unparsed", "rejected").inc()
            raise Problem(
                "malformed-request",
                f"Not an EasyPost event: {exc}.",
                [FieldError("body", str(exc), "invalid")],
            ) from None
        description = str(event.get("description") or "other")
        command = tracking_update(event)
        if command is None:
            counter.labels(PROVIDER, "other", "ignored").inc()
            logger.info("easypost event %s (%s): ignored", event.get("id"), description[:50])
            return render(TrackingReceiptOut(outcome="ignored"))
        receipt = container.bus.handle(command)
        counter.labels(PROVIDER, description, receipt.outcome).inc()
        logger.info(
            "easypost event %s (%s %s): %s",
            command.event_id,
            description,
            command.provider_status,
            receipt.outcome,
        )
        return render(TrackingReceiptOut.from_tracking(receipt))

    return bp
