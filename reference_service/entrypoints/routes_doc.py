"""OpenAPI entries for the routes that are not registered through ``ApiSpec.operation``: the providers'
webhooks (their bodies must be read raw, to verify signatures byte for byte) and the platform routes
(health, metrics, problem types). ``tests/integration/test_api_orders.py`` checks that every route the
app serves is in ``/openapi.json``."""

from __future__ import annotations

from pydantic import BaseModel

from reference_service.entrypoints.api.spec import ApiSpec, HeaderParam
from reference_service.entrypoints.webhooks.receipts import (
    FeedbackReceiptOut,
    ReceiptOut,
    SmsStatusReceiptOut,
    TrackingReceiptOut,
)

#: (path, operationId, summary, media type, headers, 200 body, the status of a delivery that fails
#: verification: a signature the schema cannot state, since it depends on a secret)
WEBHOOKS: list[tuple[str, str, str, str, list[HeaderParam], type[BaseModel], int]] = [
    (
        "/api/v1/webhooks/stripe",
        "stripeWebhook",
        "Stripe's signed events (Stripe-Signature, v1 HMAC, 300 s)",
        "application/json",
        [HeaderParam("Stripe-Signature", "t=<unix>,v1=<hex HMAC-SHA256>", required=True)],
        ReceiptOut,
        400,
    ),
    (
        "/api/v1/webhooks/paypal",
        "paypalWebhook",
        "PayPal's signed events (SHA256withRSA over id|time|webhook|crc32)",
        "application/json",
        [
            HeaderParam(name, "PayPal's transmission header", required=True)
            for name in (
                "PAYPAL-TRANSMISSION-ID",
                "PAYPAL-TRANSMISSION-TIME",
                "PAYPAL-TRANSMISSION-SIG",
                "PAYPAL-CERT-URL",
                "PAYPAL-AUTH-ALGO",
            )
        ],
        ReceiptOut,
        400,
    ),
    (
        "/api/v1/webhooks/ses",
        "sesFeedbackWebhook",
        "SES bounce/complaint feedback delivered by SNS (signed)",
        "text/plain",
        [HeaderParam("x-amz-sns-message-type", "Notification or SubscriptionConfirmation")],
        FeedbackReceiptOut,
        400,
    ),
    (
        "/api/v1/webhooks/twilio/status",
        "twilioStatusCallback",
        "Twilio's delivery status callbacks",
        "application/x-www-form-urlencoded",
        [HeaderParam("X-Twilio-Signature", "HMAC-SHA1 of URL + params", required=True)],
        SmsStatusReceiptOut,
        403,
    ),
    (
        "/api/v1/webhooks/logistics",
        "logisticsWebhook",
        "EasyPost's tracking events (X-Hmac-Signature, HMAC-SHA256)",
        "application/json",
        [HeaderParam("X-Hmac-Signature", "hmac-sha256-hex=<hex HMAC-SHA256 of the body>", required=True)],
        TrackingReceiptOut,
        400,
    ),
]
UNVERIFIED = {
    400: "Not the provider's signed message (webhook-signature-invalid, or malformed-request when the "
    "body is not even the provider's format); nothing was applied",
    403: "The X-Twilio-Signature does not verify (webhook-forbidden); nothing was applied",
}


def document_routes(spec: ApiSpec) -> None:
    for path, operation_id, summary, media, headers, receipt, unverified in WEBHOOKS:
        spec.document(
            path,
            "POST",
            operation_id=operation_id,
            summary=summary,
            tags=["webhooks"],
            headers=headers,
            raw_request=(media, "The provider's payload, exactly as it was signed"),
            responses={
                200: (receipt, "Applied, or acknowledged as a duplicate, stale or ignored event"),
                unverified: (None, UNVERIFIED[unverified]),
            },
        )
    platform = ["platform"]
    spec.document(
        "/health",
        "GET",
        operation_id="health",
        summary="Aggregated health checks (503 when DOWN)",
        tags=platform,
        responses={200: (None, "UP, with each check's status, latency and details"), 503: (None, "DOWN")},
    )
    spec.document(
        "/health/live",
        "GET",
        operation_id="liveness",
        summary="The process answers",
        tags=platform,
        responses={200: (None, "UP")},
    )
    spec.document(
        "/metrics",
        "GET",
        operation_id="metrics",
        summary="Prometheus metrics",
        tags=platform,
        responses={200: (None, "Prometheus text format")},
        response_media="text/plain",
    )
    spec.document(
        "/problems",
        "GET",
        operation_id="problemTypes",
        summary="Every problem+json type",
        tags=platform,
        responses={200: (None, "The types with their status and meaning")},
    )
    spec.document(
        "/problems/<slug>",
        "GET",
        operation_id="problemType",
        summary="What one problem type means",
        tags=platform,
        responses={200: (None, "The type")},
    )
    spec.document(
        "/openapi.json",
        "GET",
        operation_id="openapi",
        summary="This document",
        tags=platform,
        responses={200: (None, "OpenAPI 3.1")},
    )
    spec.document(
        "/docs",
        "GET",
        operation_id="docs",
        summary="Swagger UI",
        tags=platform,
        responses={200: (None, "HTML")},
        response_media="text/html",
    )
