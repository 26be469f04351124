"""``POST /api/v1/webhooks/ses``: SES feedback (bounces, complaints, deliveries) delivered by SNS.

1. The body (SNS sends ``text/plain``) is an SNS message. Its signature is verified
   (``adapters/sns_messages.py``: SignatureVersion 1 and 2, certificate only from AWS's SNS hosts or
   ``SNS_CERT_HOSTS``, topic must be ``SES_FEEDBACK_TOPIC``). Anything forged, tampered or from another
   topic is a 400 ``webhook-signature-invalid`` and changes nothing.
2. ``SubscriptionConfirmation``: the service GETs the (verified, allowed) ``SubscribeURL``; a failure
   answers 503 so SNS sends it again. ``UnsubscribeConfirmation`` is acknowledged and logged; the service
   does not resubscribe on its own.
3. ``Notification``: the SES notification is applied through the bus (``ApplyEmailFeedback``):
   deduplicated by SNS ``MessageId``, a hard bounce or complaint suppresses the address, the email's
   notification moves to BOUNCED/COMPLAINED/DELIVERED; 200 only after that commit. Feedback about an
   email sent moments ago that the service has not finished recording yet gets a 503
   ``webhook-not-ready`` (its suppressions are kept): SNS retries 5xx answers (not 4xx), so it comes back.

The lab subscribes this endpoint to SES feedback (``genai-demo up``, ``simulators.lab.wiring``); the
service does not wire itself. Counted in ``webhook_events_total{provider="ses"}`` and the ``email_*``
series.
"""

from __future__ import annotations

import logging

import requests
from flask import Blueprint, Response, request

from reference_service.adapters.sns_messages import MalformedFeedback, MessageRejected, feedback
from reference_service.bootstrap import Container
from reference_service.domain.notification_commands import ApplyEmailFeedback
from reference_service.entrypoints.access import public
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.entrypoints.webhooks.receipts import FeedbackReceiptOut, ReceiptOut
from reference_service.json_types import parse_json
from reference_service.service_layer.errors import ProviderError

logger = logging.getLogger(__name__)
TYPE_HEADER = "x-amz-sns-message-type"


def build_blueprint(container: Container) -> Blueprint:
    """The SES feedback webhook."""
    bp = Blueprint("ses_webhooks", __name__, url_prefix="/api/v1/webhooks")
    area = container.notifications
    counter = container.metrics.webhook_events
    metrics = area.metrics

    @bp.post("/ses")
    @public("SNS messages signed by AWS; verified before anything is applied")
    def ses_webhook() -> Response:
        raw = request.get_data(cache=True)
        try:
            message = parse_json(raw)
        except ValueError as exc:
            counter.labels("ses", "unparsed", "rejected").inc()
            raise Problem(
                "malformed-request", f"Not an SNS message: {exc}.", [FieldError("body", str(exc), "invalid")]
            ) from None
        try:
            verified = area.verifier.verify(message)
            header = request.headers.get(TYPE_HEADER)
            if header is not None and header != verified.type:
                raise MessageRejected(f"{TYPE_HEADER} says {header!r} but the message is {verified.type!r}")
        except MessageRejected as exc:
            counter.labels("ses", "unverified", "rejected").inc()
            raise Problem(
                "webhook-signature-invalid",
                f"SNS message rejected: {exc}.",
                [FieldError("Signature", str(exc), "invalid")],
            ) from None
        if verified.type == "SubscriptionConfirmation":
            assert verified.subscribe_url is not None
            try:
                area.confirmer.confirm(verified.subscribe_url)
            except requests.RequestException as exc:
                counter.labels("ses", "SubscriptionConfirmation", "failed").inc()
                raise ProviderError(
                    "sns",
                    "CONFIRMATION_FAILED",
                    "The SNS subscription could not be confirmed; SNS will send the confirmation again",
                    retryable=True,
                    status=503,
                    provider_code=type(exc).__name__,
                ) from None
            counter.labels("ses", "SubscriptionConfirmation", "confirmed").inc()
            logger.info("ses feedback subscription to %s confirmed", verified.topic_arn)
            return render(ReceiptOut(outcome="confirmed"))
        if verified.type == "UnsubscribeConfirmation":
            area.feedback.update(state="unsubscribed")
            counter.labels("ses", "UnsubscribeConfirmation", "acknowledged").inc()
            logger.warning("ses feedback: unsubscribed from %s", verified.topic_arn)
            return render(ReceiptOut(outcome="unsubscribed"))
        try:
            report = feedback(verified)
        except MalformedFeedback:
            counter.labels("ses", "Notification", "ignored").inc()
            return render(ReceiptOut(outcome="ignored"))
        receipt = container.bus.handle(ApplyEmailFeedback(event_id=verified.message_id, feedback=report))
        outcome = receipt.outcome
        if outcome not in ("duplicate", "retry"):
            if report.kind == "Bounce":
                metrics.email_bounces.labels(report.bounce_type or "Undetermined").inc()
            elif report.kind == "Complaint":
                metrics.email_complaints.inc()
            elif report.kind == "Delivery":
                metrics.email_deliveries.inc()
        if receipt.suppressed:
            reason = "complaint" if report.kind == "Complaint" else "bounce"
            metrics.email_suppressions.labels(reason).inc(receipt.suppressed)
        label = report.kind if report.kind in ("Bounce", "Complaint", "Delivery") else "other"
        counter.labels("ses", label, outcome).inc()
        logger.info("ses %s %s: %s", report.kind, verified.message_id, outcome)
        if outcome == "retry":  # about an email still being recorded: SNS retries a 5xx (not a 4xx)
            raise Problem(
                "webhook-not-ready",
                "The email this feedback is about is still being recorded; deliver the message again.",
                headers={"Retry-After": "1"},
            )
        return render(FeedbackReceiptOut.from_feedback(receipt))

    return bp
