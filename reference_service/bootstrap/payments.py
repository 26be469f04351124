"""Wiring of the payments area: provider gateways, payment commands, and the reactions the outbox
relay runs (refund or cancel on order cancellation, refund of a late success, the duration metric).

``payment_gateways(container)`` returns the gateways by provider; tests replace them by passing
``gateways=`` to ``bootstrap``.
"""

from __future__ import annotations

import functools
import threading
import time
from typing import Any

from reference_service.adapters.retry import RetryPolicy
from reference_service.adapters.stripe_gateway import StripeGateway
from reference_service.bootstrap import AreaWiring, Container
from reference_service.domain import commands
from reference_service.domain.events import OrderCancelled
from reference_service.domain.payments import PaymentFailed, PaymentProvider, PaymentSucceeded
from reference_service.observability.health import DOWN, UP, CheckResult
from reference_service.ports import PaymentGateway
from reference_service.service_layer.handlers import payments
from reference_service.service_layer.messagebus import Subscriber

AREA = "payments"
Gateways = dict[PaymentProvider, PaymentGateway]


def retry_policy(container: Container) -> RetryPolicy:
    s = container.settings
    return RetryPolicy(
        s.provider_retry_max_attempts, s.provider_retry_initial_seconds, s.provider_retry_max_seconds
    )


def default_gateways(container: Container) -> Gateways:
    return {
        PaymentProvider.STRIPE: StripeGateway(container.settings, container.metrics, retry_policy(container))
    }


def payment_gateways(container: Container) -> Gateways:
    gateways = container.areas[AREA]
    assert isinstance(gateways, dict)
    return gateways


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
    for provider, gateway in gateways.items():
        container.health.register(
            CachedProviderCheck(provider.value, gateway, container.settings.provider_health_cache_seconds)
        )
    uow, clock = container.uow, container.clock
    duration = container.metrics.payment_duration

    def observe_duration(event: Any) -> None:
        outcome = "succeeded" if isinstance(event, PaymentSucceeded) else "failed"
        duration.labels(event.provider, outcome).observe(event.duration_seconds)

    return AreaWiring(
        command_handlers={
            commands.StartPayment: functools.partial(
                payments.start_payment, uow_factory=uow, gateways=gateways, clock=clock, ids=container.ids
            ),
            commands.CapturePayment: functools.partial(
                payments.capture_payment, uow_factory=uow, gateways=gateways, clock=clock
            ),
            commands.ApplyPaymentEvent: functools.partial(
                payments.apply_payment_event, uow_factory=uow, clock=clock
            ),
        },
        subscribers={
            OrderCancelled: [
                Subscriber(
                    "payments.settle_cancelled_order",
                    functools.partial(
                        payments.settle_cancelled_order, uow_factory=uow, gateways=gateways, clock=clock
                    ),
                )
            ],
            PaymentSucceeded: [
                Subscriber(
                    "payments.refund_late_success",
                    functools.partial(
                        payments.refund_late_success, uow_factory=uow, gateways=gateways, clock=clock
                    ),
                ),
                Subscriber("metrics.payment_duration", observe_duration),
            ],
            PaymentFailed: [Subscriber("metrics.payment_duration", observe_duration)],
        },
    )
