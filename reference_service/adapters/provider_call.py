"""One instrumented, retried call to a provider: shared by every provider adapter.

Each *attempt* (not each logical call) is counted in ``external_api_requests_total{provider,operation,
outcome}`` and timed in ``external_api_request_duration_seconds{provider,operation}``, so the seed's
success-rate alert sees a flapping provider even when retries hide it from the caller. ``outcome`` is
one of ``success``, ``declined``, ``client_error``, ``rate_limited``, ``server_error``,
``network_error`` (see ``observability/alerts/``).

Each *logical call* run under the retry policy is counted once in
``external_api_calls_total{provider,operation,result}``: ``first_try`` (succeeded at once), ``retried``
(succeeded after one or more retries), ``exhausted`` (retryable failures until the policy gave up) or
``failed`` (a failure that is not retried, such as a decline). Retries per call = attempts / calls.
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

        attempts = 0

        def attempt() -> T:
            nonlocal attempts
            attempts += 1
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
        calls = self.metrics.external_calls
        try:
            result = self.retry.call(
                attempt, retryable=self.errors.retryable, retry_after=self.errors.retry_after
            )
        except Exception as exc:
            exhausted = self.errors.retryable(exc) and attempts >= self.retry.max_attempts
            calls.labels(self.provider, operation, "exhausted" if exhausted else "failed").inc()
            raise
        calls.labels(self.provider, operation, "first_try" if attempts == 1 else "retried").inc()
        return result

    def _record(self, operation: str, outcome: str, started: float) -> None:
        self.metrics.external_requests.labels(self.provider, operation, outcome).inc()
        self.metrics.external_duration.labels(self.provider, operation).observe(time.perf_counter() - started)
