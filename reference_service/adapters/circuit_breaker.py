"""A per-provider circuit breaker: closed → open after repeated failures → half-open after a cool-down.

- **closed**: every call goes through. ``failure_threshold`` *consecutive* failures open it (a success
  resets the count). Only the provider's own failures count (5xx, timeouts, throttling, auth); a
  recipient the provider rightly refuses is a success for the breaker.
- **open**: ``allow()`` is False for ``reset_seconds``, so the SMS router skips the provider at no cost
  (no timeout paid, no failover latency).
- **half-open**: after the cool-down one probe call is let through (concurrent callers still see the
  circuit open until it finishes). Success closes the circuit; failure opens it for another cool-down.

``SMS_CIRCUIT_FAILURE_THRESHOLD`` (default 5) and ``SMS_CIRCUIT_RESET_SECONDS`` (default 30) set the
parameters. This state is per process (each service worker decides from its own calls); with Redis
configured (``CIRCUIT_BREAKER_STORAGE_URI``) ``shared_circuit.RedisCircuitBreaker`` shares it. Watch it at
``GET /api/v1/admin/sms/providers`` and in ``sms_circuit_state{provider}`` (0 closed, 1 half-open,
2 open); ``reset()`` closes it by hand.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"
STATE_VALUES = {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        failure_threshold: int,
        reset_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, str], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or reset_seconds <= 0:
            raise ValueError("failure_threshold >= 1 and reset_seconds > 0")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False
        self.opened_count = 0

    @property
    def state(self) -> str:
        """The state now (an open circuit whose cool-down ended reads ``half_open``)."""
        with self._lock:
            return self._current()

    def _current(self) -> str:
        if self._state == OPEN and self._clock() - self._opened_at >= self.reset_seconds:
            return HALF_OPEN
        return self._state

    def _set(self, state: str) -> None:
        previous = self._state
        self._state = state
        if state != previous and self._on_change is not None:
            self._on_change(self.name, state)

    def allow(self) -> bool:
        """May a call go through now? In half-open this admits one probe and holds the others."""
        with self._lock:
            state = self._current()
            if state == CLOSED:
                return True
            if state == OPEN or self._probe_in_flight:
                return False
            self._set(HALF_OPEN)
            self._probe_in_flight = True
            return True

    def available(self) -> bool:
        """Like ``allow`` but admits nothing (for reports): would a call be let through?"""
        with self._lock:
            state = self._current()
            return state == CLOSED or (state == HALF_OPEN and not self._probe_in_flight)

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            self._set(CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            probing = self._probe_in_flight or self._current() == HALF_OPEN
            self._probe_in_flight = False
            self._failures += 1
            if probing or self._failures >= self.failure_threshold:
                if self._state != OPEN or probing:
                    self.opened_count += 1
                self._opened_at = self._clock()
                self._set(OPEN)

    def release(self) -> None:
        """A probe ended without a verdict (e.g. the recipient was refused): let the next one try."""
        with self._lock:
            self._probe_in_flight = False

    def reset(self) -> None:
        """Close the circuit by hand."""
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            self._set(CLOSED)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            state = self._current()
            left = max(0.0, self.reset_seconds - (self._clock() - self._opened_at)) if state == OPEN else 0.0
            return {
                "state": state,
                "consecutive_failures": self._failures,
                "failure_threshold": self.failure_threshold,
                "reset_seconds": self.reset_seconds,
                "open_for_seconds": round(left, 3),
                "times_opened": self.opened_count,
                "shared": False,
            }
