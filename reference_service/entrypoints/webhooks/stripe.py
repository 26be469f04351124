"""``POST /api/v1/webhooks/stripe``: Stripe's signed events.

1. Verify ``Stripe-Signature`` with stripe-python's ``WebhookSignature.verify_header`` (``v1`` only, the
   300 s tolerance, several ``v1`` values accepted during a rotation) against every configured secret
   (``STRIPE_WEBHOOK_SECRET``, comma-separated while rotating). A missing, malformed, tampered, stale or
   wrong-scheme signature is a 400 ``webhook-signature-invalid`` and nothing is applied.
2. Translate the event (``adapters/stripe_events.py``) and apply it through the bus: deduplicated by
   event id in the webhook inbox, in the same transaction as its effect.
3. Answer 200 only after that commit. An unknown event type is acknowledged and ignored. Any other
   failure answers 5xx, so Stripe retries.

``webhook_events_total{provider="stripe",event_type,outcome}`` counts what each delivery did.
"""

from __future__ import annotations

import logging

import stripe
from flask import Blueprint, Response, request

from reference_service.adapters.stripe_events import HANDLED, MalformedEvent, translate
from reference_service.bootstrap import Container
from reference_service.domain import commands
from reference_service.entrypoints.access import public
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.entrypoints.webhooks.receipts import ReceiptOut
from reference_service.json_types import parse_json

logger = logging.getLogger(__name__)


def verify_stripe_signature(payload: bytes, header: str | None, secrets: list[str], tolerance: int) -> None:
    """Raise ``Problem`` unless ``header`` validly signs ``payload`` with one of ``secrets``."""
    if not secrets:
        # misconfiguration, not the sender's fault: a 500 so Stripe keeps retrying until it is fixed
        raise Problem("internal-error", "No Stripe webhook secret is configured (STRIPE_WEBHOOK_SECRET).")
    if not header:
        raise Problem(
            "webhook-signature-invalid",
            "The Stripe-Signature header is missing.",
            [FieldError("Stripe-Signature", "missing", "missing")],
        )
    last: stripe.SignatureVerificationError | None = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload.decode("utf-8"), header, secret, tolerance)
            return
        except stripe.SignatureVerificationError as exc:
            last = exc
        except UnicodeDecodeError:
            break
    reason = str(last.user_message if last is not None and last.user_message else last or "body is not UTF-8")
    raise Problem(
        "webhook-signature-invalid",
        f"Stripe signature rejected: {reason}.",
        [FieldError("Stripe-Signature", reason, "invalid")],
    )


def build_blueprint(container: Container) -> Blueprint:
    bp = Blueprint("stripe_webhooks", __name__, url_prefix="/api/v1/webhooks")
    settings = container.settings
    counter = container.metrics.webhook_events

    @bp.post("/stripe")
    @public("signed by Stripe (Stripe-Signature); verified before anything is applied")
    def stripe_webhook() -> Response:
        payload = request.get_data(cache=True)
        try:
            verify_stripe_signature(
                payload,
                request.headers.get("Stripe-Signature"),
                settings.stripe_webhook_secrets,
                settings.stripe_webhook_tolerance_seconds,
            )
        except Problem:
            counter.labels("stripe", "unverified", "rejected").inc()
            raise
        try:
            event = translate(parse_json(payload))
        except (ValueError, MalformedEvent) as exc:
            counter.labels("stripe", "unparsed", "rejected").inc()
            raise Problem(
                "malformed-request", f"Not a Stripe event: {exc}.", [FieldError("body", str(exc), "invalid")]
            ) from None
        receipt = container.bus.handle(commands.ApplyPaymentEvent(event))
        label = event.event_type if event.event_type in HANDLED else "other"
        counter.labels("stripe", label, receipt.outcome).inc()
        logger.info("stripe event %s (%s): %s", event.event_id, event.event_type, receipt.outcome)
        return render(ReceiptOut.from_domain(receipt))

    return bp
