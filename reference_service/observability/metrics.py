"""Prometheus metrics for the service, on a registry owned by the app (never the global one, so
several apps can live in one test process).

Series (scrape ``GET /metrics``):
- ``http_requests_total{method,route,status}`` and ``http_request_duration_seconds{method,route}``:
  every request, labelled by Flask route template (``/api/v1/orders/<order_id>``), never the raw path,
  so label cardinality stays bounded. Unmatched paths are labelled ``<unmatched>``.
- ``outbox_pending_events`` / ``outbox_dead_events``: read from the outbox at scrape time (the backlog).
- ``outbox_dispatch_errors_total{subscriber,reason}``: failed relay attempts; ``subscriber="publisher",
  reason="unavailable"`` counts Kafka publishes that found the broker unreachable.
- ``external_api_requests_total{provider,operation,outcome}`` and
  ``external_api_request_duration_seconds{provider,operation}``: every call to a provider (adapters).
- ``external_api_calls_total{provider,operation,result}``: each logical call once, by what the retry
  policy made of it (``first_try``, ``retried``, ``exhausted``, ``failed``).
- ``payment_processing_duration_seconds{provider,outcome}``: creation to final state of each payment.
- ``webhook_events_total{provider,event_type,outcome}``: what each received webhook did.
- ``auth_rejections_total{reason}``, ``auth_jwks_stale_total``, ``ratelimit_rejections_total{limit}`` and
  ``ratelimit_storage_errors_total{policy}``: authentication, authorization and rate limiting.

``observed(on_result, on_error)`` is the decorator that counts what a message handler did without the
handler knowing about metrics; the composition root applies it when it wires the handlers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reference_service.domain.payments import PaymentFailed, PaymentSucceeded

Message = TypeVar("Message")
Result = TypeVar("Result")
Handler = Callable[[Message], Result]


def observed(
    on_result: Callable[[Message, Result], None],
    on_error: Callable[[Message, BaseException], None] | None = None,
) -> Callable[[Handler[Message, Result]], Handler[Message, Result]]:
    """Decorate a command or event handler: ``on_result(message, result)`` after it returns,
    ``on_error(message, error)`` when it raises (the error still propagates)."""

    def decorate(handler: Handler[Message, Result]) -> Handler[Message, Result]:
        @functools.wraps(handler)
        def wrapper(message: Message) -> Result:
            try:
                result = handler(message)
            except Exception as error:
                if on_error is not None:
                    on_error(message, error)
                raise
            on_result(message, result)
            return result

        return wrapper

    return decorate


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


class _OutboxCollector(Collector):
    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Metric]:
        try:
            stats = self._stats()
        except Exception:  # a scrape must not fail because the database is down; /health reports that
            return
        yield GaugeMetricFamily(
            "outbox_pending_events",
            "Outbox events not yet handed to every subscriber",
            value=stats.get("pending", 0),
        )
        yield GaugeMetricFamily(
            "outbox_dead_events", "Outbox events that exhausted their retries", value=stats.get("dead", 0)
        )


class ServiceMetrics:
    """Every metric the service exports, registered on ``self.registry``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.external_requests = Counter(
            "external_api_requests_total",
            "Calls to external providers",
            ["provider", "operation", "outcome"],
            registry=self.registry,
        )
        self.external_calls = Counter(
            "external_api_calls_total",
            "Logical calls to providers under the retry policy: first_try, retried, exhausted or failed",
            ["provider", "operation", "result"],
            registry=self.registry,
        )
        self.external_duration = Histogram(
            "external_api_request_duration_seconds",
            "Latency of calls to external providers",
            ["provider", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.payment_duration = Histogram(
            "payment_processing_duration_seconds",
            "Time from a payment's creation to its final state (succeeded or failed)",
            ["provider", "outcome"],
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
            registry=self.registry,
        )
        self.webhook_events = Counter(
            "webhook_events_total",
            "Provider webhooks received, by outcome (applied, duplicate, stale, ignored, rejected, …)",
            ["provider", "event_type", "outcome"],
            registry=self.registry,
        )

        self.outbox_errors = Counter(
            "outbox_dispatch_errors_total",
            "Failed outbox dispatch attempts by subscriber (publisher = Kafka publish) and reason",
            ["subscriber", "reason"],
            registry=self.registry,
        )

        # security (docs/security.md): why callers were refused, and the rate limiter's storage
        self.auth_rejections = Counter(
            "auth_rejections_total",
            "Requests refused by authentication or authorization (401, 403), by reason",
            ["reason"],
            registry=self.registry,
        )
        self.jwks_stale = Counter(
            "auth_jwks_stale_total",
            "JWK Set fetches that failed and were answered from the last keys fetched",
            registry=self.registry,
        )
        self.ratelimit_rejections = Counter(
            "ratelimit_rejections_total",
            "Requests answered 429 by the rate limiter, by limit (default, webhooks)",
            ["limit"],
            registry=self.registry,
        )
        self.ratelimit_storage_errors = Counter(
            "ratelimit_storage_errors_total",
            "Rate-limit checks that failed because the storage (Redis) did not answer, by policy taken",
            ["policy"],
            registry=self.registry,
        )

    def count_outbox_error(self, subscriber: str, reason: str) -> None:
        """The relay's hook: one failed attempt of ``subscriber`` (``unavailable`` = broker unreachable)."""
        self.outbox_errors.labels(subscriber, reason).inc()

    def observe_payment_duration(self, event: PaymentSucceeded | PaymentFailed) -> None:
        """Subscriber of ``PaymentSucceeded``/``PaymentFailed``: creation to final state of a payment."""
        outcome = "succeeded" if isinstance(event, PaymentSucceeded) else "failed"
        self.payment_duration.labels(event.provider, outcome).observe(event.duration_seconds)

    def watch_outbox(self, stats: Callable[[], dict[str, int]]) -> None:
        """Export outbox gauges computed by ``stats`` at each scrape."""
        self.registry.register(_OutboxCollector(stats))
