"""Wiring of the payments area: provider gateways, payment commands, webhook verification, and the
reactions the outbox relay runs (refund or cancel on order cancellation, refund of a late success,
capture on approval when configured, the duration metric).

``payment_gateways(container)`` returns the gateways by provider; tests replace them by passing
``gateways=`` to ``bootstrap``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

from reference_service.adapters.paypal_gateway import PayPalGateway
from reference_service.adapters.paypal_webhooks import PayPalWebhookVerifier, paypal_certificates
from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.stripe_gateway import StripeGateway
from reference_service.bootstrap import AreaWiring, Container
from reference_service.domain import commands
from reference_service.domain.events import Event, OrderCancelled
from reference_service.domain.payments import (
    PaymentFailed,
    PaymentProvider,
    PaymentStatus,
    PaymentStatusChanged,
    PaymentSucceeded,
)
from reference_service.observability.health import DOWN, UP, CheckResult
from reference_service.ports import PaymentGateway
from reference_service.service_layer.errors import PaymentDeclined
from reference_service.service_layer.handlers import payments
from reference_service.service_layer.messagebus import Subscriber

AREA = "payments"
VERIFIER = "paypal_verifier"
Gateways = dict[PaymentProvider, PaymentGateway]


def retry_policy(container: Container) -> RetryPolicy:
    s = container.settings
    return RetryPolicy(
        s.provider_retry_max_attempts, s.provider_retry_initial_seconds, s.provider_retry_max_seconds
    )


def default_gateways(container: Container) -> Gateways:
    retry = retry_policy(container)
    return {
        PaymentProvider.STRIPE: StripeGateway(container.settings, container.metrics, retry),
        PaymentProvider.PAYPAL: PayPalGateway(container.settings, container.metrics, retry),
    }


def payment_gateways(container: Container) -> Gateways:
    gateways = container.areas[AREA]
    assert isinstance(gateways, dict)
    return gateways


def paypal_verifier(container: Container) -> PayPalWebhookVerifier:
    """The PayPal webhook verifier (self-verification, or the postback API when configured)."""
    verifier = container.areas[VERIFIER]
    assert isinstance(verifier, PayPalWebhookVerifier)
    return verifier


def _build_verifier(container: Container, gateways: Gateways) -> PayPalWebhookVerifier:
    s = container.settings
    gateway = gateways.get(PaymentProvider.PAYPAL)
    postback = None
    if s.paypal_webhook_verification == "postback" and isinstance(gateway, PayPalGateway):
        postback = gateway.verify_webhook_signature
    return PayPalWebhookVerifier(
        s.paypal_webhook_id,
        paypal_certificates(s.paypal_cert_hosts.split(","), timeout=s.provider_timeout_seconds),
        s.paypal_webhook_tolerance_seconds,
        postback=postback,
    )


class CachedProviderCheck:
    """A provider health check whose result is reused for ``ttl`` seconds (``/health`` is polled often)."""

    critical = True

    def __init__(self, name: str, gateway: PaymentGateway, ttl: float) -> None:
        self.name = name
        self._gateway = gateway
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, CheckResult] | None = None

    def check(self) -> CheckResult:
        with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self._ttl:
                return self._cached[1]
        try:
            result = CheckResult(UP, self._gateway.check_health())
        except Exception as exc:
            result = CheckResult(DOWN, {"error": f"{type(exc).__name__}: {exc}"[:300]})
        with self._lock:
            self._cached = (time.monotonic(), result)
        return result


def wire(container: Container, gateways: Gateways | None = None) -> AreaWiring:
    gateways = gateways if gateways is not None else default_gateways(container)
    container.areas[AREA] = gateways
    container.areas[VERIFIER] = _build_verifier(container, gateways)
    for provider, gateway in gateways.items():
        ttl = container.settings.provider_health_cache_seconds
        container.health.register(CachedProviderCheck(provider.value, gateway, ttl))
    uow, clock = container.uow, container.clock
    duration = container.metrics.payment_duration

    def bind(fn: Callable[..., Any], **extra: Any) -> Callable[..., Any]:
        return functools.partial(fn, uow_factory=uow, gateways=gateways, clock=clock, **extra)

    def observe_duration(event: Any) -> None:
        outcome = "succeeded" if isinstance(event, PaymentSucceeded) else "failed"
        duration.labels(event.provider, outcome).observe(event.duration_seconds)

    def capture_on_approval(event: PaymentStatusChanged) -> None:
        """PAYPAL_CAPTURE_ON_APPROVAL: capture as soon as the buyer approves (CHECKOUT.ORDER.APPROVED)."""
        if event.provider != PaymentProvider.PAYPAL.value or event.status != PaymentStatus.AUTHORIZED.value:
            return
        try:
            container.bus.handle(
                commands.CapturePayment(order_id=event.order_id, payment_id=event.payment_id)
            )
        except PaymentDeclined:
            pass  # the decline is recorded on the payment and the order; retrying would not change it

    subscribers: dict[type[Event], list[Subscriber]] = {
        OrderCancelled: [
            Subscriber(
                "payments.settle_cancelled_order",
                bind(payments.settle_cancelled_order),
            )
        ],
        PaymentSucceeded: [
            Subscriber(
                "payments.refund_late_success",
                bind(payments.refund_late_success),
            ),
            Subscriber("metrics.payment_duration", observe_duration),
        ],
        PaymentFailed: [Subscriber("metrics.payment_duration", observe_duration)],
    }
    if container.settings.paypal_capture_on_approval:
        subscribers[PaymentStatusChanged] = [Subscriber("payments.capture_on_approval", capture_on_approval)]
    return AreaWiring(
        command_handlers={
            commands.StartPayment: bind(payments.start_payment, ids=container.ids),
            commands.CapturePayment: bind(payments.capture_payment),
            commands.ApplyPaymentEvent: bind(payments.apply_payment_event),
        },
        subscribers=subscribers,
    )
