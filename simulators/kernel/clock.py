"""The simulated clock: wall time plus an offset that only ever grows.

The clock runs at wall speed. ``advance(seconds)`` adds to the offset (``POST /_sim/clock``) and wakes
every subscriber (the transition timeline, and through it the webhook dispatcher), so work that has
become due fires at once. ``now()`` never goes backwards, even if the wall clock does. Providers use it
for token expiry, idempotency windows and lifecycle timers; read it at ``GET /_sim/clock``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class SimClock:
    """Thread-safe simulated clock (epoch seconds)."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._last = 0.0
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Current simulated time in epoch seconds; monotonic non-decreasing."""
        with self._lock:
            value = self._wall() + self._offset
            if value < self._last:
                value = self._last
            self._last = value
            return value

    @property
    def offset(self) -> float:
        """Seconds added to wall time by :meth:`advance` so far."""
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0), wake subscribers and return the new ``now``."""
        if seconds < 0:
            raise ValueError("the simulated clock never goes backwards")
        with self._lock:
            self._offset += seconds
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
        return self.now()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every :meth:`advance` (used to wake schedulers)."""
        with self._lock:
            self._listeners.append(listener)

    def wall_delay_until(self, when: float) -> float:
        """Real seconds to wait until simulated time ``when`` (0 if already due)."""
        return max(0.0, when - self.now())

    def datetime(self) -> datetime:
        """Current simulated time as an aware UTC datetime (for RFC 2822 / ISO 8601 renderings)."""
        return utc(self.now())

    def snapshot(self) -> dict[str, float]:
        """``{"now": epoch seconds, "offset": seconds}`` as served by ``GET /_sim/clock``."""
        return {"now": self.now(), "offset": self._offset}


def utc(epoch: float) -> datetime:
    """``epoch`` seconds as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC)


def iso_utc(epoch: float, *, millis: bool = False) -> str:
    """RFC 3339 UTC with a ``Z``: ``2016-02-18T20:01:35Z`` (``2016-02-18T20:01:35.655Z`` with ``millis``)."""
    moment = utc(epoch)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
