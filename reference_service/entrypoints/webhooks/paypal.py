"""``POST /api/v1/webhooks/paypal``: PayPal's signed events.

Verified first (``adapters/paypal_webhooks.py``: self-verification against the certificate at
``PAYPAL-CERT-URL`` from allowed hosts, or the postback API). A forged, tampered, stale or replayed
delivery is a 400 ``webhook-signature-invalid`` and changes nothing. Then the event is applied through
the bus (deduplicated by event id, in one transaction with its effect) and only then acknowledged.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request

from reference_service.adapters.paypal_webhooks import MalformedEvent, SignatureRejected, translate
from reference_service.bootstrap import Container
from reference_service.domain import commands
from reference_service.entrypoints.access import public
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.entrypoints.webhooks.receipts import ReceiptOut
from reference_service.json_types import parse_json

logger = logging.getLogger(__name__)
HANDLED = (
    "CHECKOUT.ORDER.APPROVED",
    "PAYMENT.CAPTURE.COMPLETED",
    "PAYMENT.CAPTURE.DENIED",
    "PAYMENT.CAPTURE.DECLINED",
    "PAYMENT.CAPTURE.PENDING",
    "PAYMENT.CAPTURE.REFUNDED",
)


def build_blueprint(container: Container) -> Blueprint:
    bp = Blueprint("paypal_webhooks", __name__, url_prefix="/api/v1/webhooks")
    verifier = container.payments.paypal_verifier
    counter = container.metrics.webhook_events

    @bp.post("/paypal")
    @public("signed by PayPal (SHA256withRSA); verified before anything is applied")
    def paypal_webhook() -> Response:
        body = request.get_data(cache=True)
        try:
            event = parse_json(body)
            if not isinstance(event, dict):
                raise ValueError("the body is not a JSON object")
        except ValueError as exc:
            counter.labels("paypal", "unparsed", "rejected").inc()
            raise Problem(
                "malformed-request", f"Not a PayPal event: {exc}.", [FieldError("body", str(exc), "invalid")]
            ) from None
        try:
            transmission = verifier.verify(dict(request.headers), body, event)
        except SignatureRejected as exc:
            counter.labels("paypal", "unverified", "rejected").inc()
            raise Problem(
                "webhook-signature-invalid",
                f"PayPal signature rejected: {exc}.",
                [FieldError("PAYPAL-TRANSMISSION-SIG", str(exc), "invalid")],
            ) from None
        try:
            translated = translate(event)
        except MalformedEvent as exc:
            counter.labels("paypal", "unparsed", "rejected").inc()
            raise Problem("malformed-request", str(exc), [FieldError("body", str(exc), "invalid")]) from None
        receipt = container.bus.handle(commands.ApplyPaymentEvent(translated))
        verifier.processed(transmission)
        label = translated.event_type if translated.event_type in HANDLED else "other"
        counter.labels("paypal", label, receipt.outcome).inc()
        logger.info("paypal event %s (%s): %s", translated.event_id, translated.event_type, receipt.outcome)
        return render(ReceiptOut.from_domain(receipt))

    return bp
