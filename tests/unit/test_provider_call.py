"""``ProviderCall``: every attempt is counted by outcome, every logical call once by what the retry
policy made of it (first_try, retried, exhausted, failed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.observability.metrics import ServiceMetrics


class Transient(Exception):
    """A provider error the retry policy retries."""


class Declined(Exception):
    """A provider error the retry policy does not retry."""


def _call(metrics: ServiceMetrics) -> ProviderCall:
    errors = ErrorPolicy(
        classify=lambda exc: "server_error" if isinstance(exc, Transient) else "declined",
        retryable=lambda exc: isinstance(exc, Transient),
        retry_after=lambda _exc: None,
    )
    return ProviderCall("stripe", metrics, RetryPolicy(max_attempts=3, sleep=lambda _s: None), errors)


def _flaky(failures: int, error: Exception) -> Callable[[], str]:
    left = [failures]

    def fn() -> str:
        if left[0]:
            left[0] -= 1
            raise error
        return "ok"

    return fn


def _value(metrics: ServiceMetrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return found or 0.0


def test_calls_are_counted_by_what_the_retry_policy_made_of_them() -> None:
    metrics = ServiceMetrics()
    call = _call(metrics)
    assert call("create", _flaky(0, Transient())) == "ok"
    assert call("create", _flaky(2, Transient())) == "ok"
    with pytest.raises(Transient):
        call("create", _flaky(5, Transient()))
    with pytest.raises(Declined):
        call("create", _flaky(1, Declined()))

    def calls(result: str) -> float:
        return _value(
            metrics, "external_api_calls_total", provider="stripe", operation="create", result=result
        )

    assert (calls("first_try"), calls("retried"), calls("exhausted"), calls("failed")) == (1, 1, 1, 1)
    attempts = {
        outcome: _value(
            metrics, "external_api_requests_total", provider="stripe", operation="create", outcome=outcome
        )
        for outcome in ("success", "server_error", "declined")
    }
    # 1 + (2 failed, 1 ok) + 3 failed + 1 declined (never retried)
    assert attempts == {"success": 2, "server_error": 5, "declined": 1}
