"""One instrumented, retried call to a provider: shared by every provider adapter.

Each *attempt* (not each logical call) is counted in ``external_api_requests_total{provider,operation,
outcome}`` and timed in ``external_api_request_duration_seconds{provider,operation}``, so the seed's
success-rate alert sees a flapping provider even when retries hide it from the caller. ``outcome`` is
one of ``success``, ``declined``, ``client_error``, ``rate_limited``, ``server_error``,
``network_error`` (see ``observability/alerts/``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from reference_service.adapters.retry import RetryPolicy
from reference_service.observability.metrics import ServiceMetrics

logger = logging.getLogger(__name__)
T = TypeVar("T")

OUTCOMES = ("success", "declined", "client_error", "rate_limited", "server_error", "network_error")


@dataclass(frozen=True)
class ErrorPolicy:
    """How a provider's exceptions are classified: outcome label, retryability, and Retry-After."""

    classify: Callable[[BaseException], str]
    retryable: Callable[[BaseException], bool]
    retry_after: Callable[[BaseException], float | None]


class ProviderCall:
    def __init__(
        self, provider: str, metrics: ServiceMetrics, retry: RetryPolicy, errors: ErrorPolicy
    ) -> None:
        self.provider = provider
        self.metrics = metrics
        self.retry = retry
        self.errors = errors

    def __call__(self, operation: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        """Run ``fn`` (one HTTP call to the provider) with metrics on every attempt and the retry policy."""

        def attempt() -> T:
            started = time.perf_counter()
            try:
                result = fn()
            except Exception as exc:
                outcome = self.errors.classify(exc)
                self._record(operation, outcome, started)
                logger.warning("%s %s failed (%s): %s", self.provider, operation, outcome, type(exc).__name__)
                raise
            self._record(operation, "success", started)
            return result

        if not retry:
            return attempt()
        return self.retry.call(attempt, retryable=self.errors.retryable, retry_after=self.errors.retry_after)

    def _record(self, operation: str, outcome: str, started: float) -> None:
        self.metrics.external_requests.labels(self.provider, operation, outcome).inc()
        self.metrics.external_duration.labels(self.provider, operation).observe(time.perf_counter() - started)
