"""The shared retry policy: attempts, backoff bounds, Retry-After, and what is never retried."""

from __future__ import annotations

import random

import pytest

from reference_service.adapters.retry import RetryPolicy


class Flaky:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def policy(sleeps: list[float], **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, rng=random.Random(1), **kw)  # type: ignore[arg-type]


def test_retries_up_to_three_attempts_then_raises_the_last_error() -> None:
    sleeps: list[float] = []
    fn = Flaky([ConnectionError("1"), ConnectionError("2"), ConnectionError("3"), ConnectionError("4")])
    with pytest.raises(ConnectionError, match="3"):
        policy(sleeps).call(fn, retryable=lambda e: True)
    assert fn.calls == 3 and len(sleeps) == 2


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    p = policy([], initial_delay=1.0, max_delay=30.0)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 30.0), (10, 30.0)]:
        assert base * 0.5 <= p.backoff(attempt) <= base


def test_non_retryable_errors_fail_at_once() -> None:
    sleeps: list[float] = []
    fn = Flaky([ValueError("declined")])
    with pytest.raises(ValueError):
        policy(sleeps).call(fn, retryable=lambda e: not isinstance(e, ValueError))
    assert fn.calls == 1 and sleeps == []


def test_retry_after_is_honoured_but_capped() -> None:
    sleeps: list[float] = []
    fn = Flaky([ConnectionError(), ConnectionError()])
    assert (
        policy(sleeps, initial_delay=0.01, max_delay=5.0).call(
            fn, retryable=lambda e: True, retry_after=lambda e: 9.0
        )
        == "ok"
    )
    assert sleeps == [5.0, 5.0]
