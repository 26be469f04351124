"""The shared retry policy for calls to providers (the seed's ``retry_policy``).

At most ``max_attempts`` attempts; between them an exponential backoff with jitter, starting at
``initial_delay`` and capped at ``max_delay`` (seed: 3 attempts, 1 s → 30 s). A provider's
``Retry-After`` is honoured (never waits less than it says, still capped). Only what ``retryable``
accepts is retried; everything else (a card decline, a validation error) fails at once. Tests and the
lab shorten the delays through settings (``PROVIDER_RETRY_INITIAL_SECONDS``…).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    initial_delay: float = 1.0
    max_delay: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def backoff(self, attempt: int) -> float:
        """Delay after failed attempt number ``attempt`` (1-based): full-range jitter on 50-100 %."""
        base: float = min(self.max_delay, self.initial_delay * float(2 ** (attempt - 1)))
        return base * (0.5 + self.rng.random() / 2)

    def call(
        self,
        fn: Callable[[], T],
        *,
        retryable: Callable[[BaseException], bool],
        retry_after: Callable[[BaseException], float | None] = lambda _exc: None,
    ) -> T:
        """Run ``fn`` under the policy; the last error propagates unchanged."""

        def wait(state: RetryCallState) -> float:
            delay = self.backoff(state.attempt_number)
            exc = state.outcome.exception() if state.outcome is not None else None
            hinted = retry_after(exc) if exc is not None else None
            if hinted is not None:
                delay = max(delay, hinted)
            return min(delay, self.max_delay)

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=wait,
            retry=retry_if_exception(retryable),
            reraise=True,
            sleep=self.sleep,
        )
        return retrying(fn)
