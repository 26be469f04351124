"""Wiring of the payments area: the provider gateways and their health checks, the PayPal webhook
verifier, the payment commands, and what the outbox relay runs for payments (refund or cancel on order
cancellation, refund of a late success, the ``CaptureOnApproval`` policy, the duration metric).

Tests replace the gateways by passing ``gateways=`` to ``bootstrap``; ``container.payments.gateways``
holds the ones in use.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reference_service.adapters.paypal_gateway import PayPalGateway
from reference_service.adapters.paypal_webhooks import PayPalWebhookVerifier, paypal_certificates
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.stripe_gateway import StripeGateway
from reference_service.bootstrap import Container, Platform, Wiring
from reference_service.config import Settings
from reference_service.domain import commands
from reference_service.domain.events import OrderCancelled
from reference_service.domain.payments import (
    PaymentFailed,
    PaymentProvider,
    PaymentStatusChanged,
    PaymentSucceeded,
)
from reference_service.observability.checks import provider_check
from reference_service.ports import PaymentGateway
from reference_service.service_layer.handlers import payments
from reference_service.service_layer.messagebus import Subscriber
from reference_service.service_layer.policies import CaptureOnApproval

Gateways = dict[PaymentProvider, PaymentGateway]


@dataclass
class PaymentsArea:
    gateways: Gateways
    #: verifies PayPal's webhooks (self-verification, or the postback API when configured)
    paypal_verifier: PayPalWebhookVerifier


def retry_policy(settings: Settings) -> RetryPolicy:
    """The provider retry policy (``PROVIDER_RETRY_*``)."""
    return RetryPolicy(
        settings.provider_retry_max_attempts,
        settings.provider_retry_initial_seconds,
        settings.provider_retry_max_seconds,
    )


def payment_gateways(container: Container) -> Gateways:
    """The gateways of ``container`` by provider (``genai-demo reconcile`` reads Stripe's)."""
    return container.payments.gateways


def _default_gateways(platform: Platform) -> Gateways:
    retry = retry_policy(platform.settings)
    return {
        PaymentProvider.STRIPE: StripeGateway(platform.settings, platform.metrics, retry),
        PaymentProvider.PAYPAL: PayPalGateway(platform.settings, platform.metrics, retry),
    }


def _paypal_verifier(settings: Settings, gateways: Gateways) -> PayPalWebhookVerifier:
    gateway = gateways.get(PaymentProvider.PAYPAL)
    postback = None
    if settings.paypal_webhook_verification == "postback" and isinstance(gateway, PayPalGateway):
        postback = gateway.verify_webhook_signature
    return PayPalWebhookVerifier(
        settings.paypal_webhook_id,
        paypal_certificates(settings.paypal_cert_hosts.split(","), timeout=settings.provider_timeout_seconds),
        settings.paypal_webhook_tolerance_seconds,
        postback=postback,
    )


def build(platform: Platform, gateways: Gateways | None = None) -> tuple[PaymentsArea, Wiring]:
    settings = platform.settings
    gateways = gateways if gateways is not None else _default_gateways(platform)
    area = PaymentsArea(gateways, _paypal_verifier(settings, gateways))
    for provider, gateway in gateways.items():
        platform.health.register(
            provider_check(
                provider.value, gateway.check_health, settings.provider_health_cache_seconds, critical=True
            )
        )

    def bind(use_case: Callable[..., Any], **extra: Any) -> Callable[..., Any]:
        return functools.partial(
            use_case, uow_factory=platform.uow, gateways=gateways, clock=platform.clock, **extra
        )

    capture = bind(payments.capture_payment)
    capture_on_approval = CaptureOnApproval(capture, enabled=settings.paypal_capture_on_approval)
    duration = Subscriber("metrics.payment_duration", platform.metrics.observe_payment_duration)
    wiring = Wiring(
        command_handlers={
            commands.StartPayment: bind(payments.start_payment, ids=platform.ids),
            commands.CapturePayment: capture,
            commands.ApplyPaymentEvent: bind(payments.apply_payment_event),
        },
        # the seed's handleOrderCancelled refunds: behind Kafka with the consumer (in-process without)
        consumed={
            OrderCancelled: [
                Subscriber("payments.settle_cancelled_order", bind(payments.settle_cancelled_order))
            ],
        },
        subscribers={
            PaymentSucceeded: [
                Subscriber("payments.refund_late_success", bind(payments.refund_late_success)),
                duration,
            ],
            PaymentFailed: [duration],
            PaymentStatusChanged: [Subscriber(capture_on_approval.name, capture_on_approval)],
        },
    )
    return area, wiring
