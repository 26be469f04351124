"""Scheduled work on the simulated clock: lifecycle transitions and webhook retries.

A :class:`Timeline` runs callbacks when the simulated clock reaches their due time, on one background
thread started on first use. Advancing the clock (``POST /_sim/clock``) wakes it, so everything that has
become due runs at once, in due order. Providers schedule lifecycle steps with it (Twilio's
queued -> sending -> sent -> delivered) instead of sleeping::

    timeline.schedule_in(1.0, lambda: messages.set_status(sid, "sent"), name="sms.sent", key=sid)

``key`` groups items so a provider can cancel a whole lifecycle (:meth:`Timeline.cancel_key`). Pending
items are listed at ``GET /_sim/transitions``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.kernel.clock import SimClock

log = logging.getLogger(__name__)


@dataclass(order=True)
class ScheduledItem:
    """One scheduled callback; ``cancelled`` items are skipped when they fall due."""

    due: float
    seq: int
    fn: Callable[[], None] = field(compare=False)
    name: str = field(default="", compare=False)
    key: str | None = field(default=None, compare=False)
    cancelled: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        """JSON view for ``GET /_sim/transitions``."""
        return {"name": self.name, "key": self.key, "due": self.due}


class Timeline:
    """A min-heap of :class:`ScheduledItem` driven by the simulated clock on a daemon thread."""

    def __init__(self, clock: SimClock, thread_name: str = "sim-timeline") -> None:
        self._clock = clock
        self._heap: list[ScheduledItem] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._thread_name = thread_name
        self._stopping = False
        self._running = 0
        clock.subscribe(self.wake)

    def _ensure_thread(self) -> None:
        if self._thread is None and not self._stopping:
            self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
            self._thread.start()

    def schedule_at(
        self, when: float, fn: Callable[[], None], *, name: str = "", key: str | None = None
    ) -> ScheduledItem:
        """Run ``fn()`` when the simulated clock reaches ``when`` (epoch seconds)."""
        item = ScheduledItem(when, next(self._seq), fn, name, key)
        with self._cond:
            heapq.heappush(self._heap, item)
            self._ensure_thread()
            self._cond.notify_all()
        return item

    def schedule_in(
        self, delay: float, fn: Callable[[], None], *, name: str = "", key: str | None = None
    ) -> ScheduledItem:
        """Run ``fn()`` after ``delay`` simulated seconds."""
        return self.schedule_at(self._clock.now() + max(0.0, delay), fn, name=name, key=key)

    def cancel(self, item: ScheduledItem) -> None:
        """Skip ``item`` when it falls due."""
        with self._cond:
            item.cancelled = True

    def cancel_key(self, key: str) -> int:
        """Cancel every pending item with ``key``; returns how many."""
        count = 0
        with self._cond:
            for item in self._heap:
                if item.key == key and not item.cancelled:
                    item.cancelled = True
                    count += 1
        return count

    def pending(self) -> list[ScheduledItem]:
        """Pending (not cancelled) items, soonest first."""
        with self._cond:
            return sorted(i for i in self._heap if not i.cancelled)

    def clear(self) -> None:
        """Drop every pending item."""
        with self._cond:
            for item in self._heap:
                item.cancelled = True
            self._heap.clear()
            self._cond.notify_all()

    def wake(self) -> None:
        """Re-check due items now (called on clock advance)."""
        with self._cond:
            self._cond.notify_all()

    def is_idle(self) -> bool:
        """True when nothing is running and nothing pending is due yet."""
        now = self._clock.now()
        with self._cond:
            if self._running:
                return False
            return not any(i.due <= now and not i.cancelled for i in self._heap)

    def wait_idle(self, timeout: float) -> bool:
        """Block until :meth:`is_idle` (or ``timeout`` real seconds); returns whether it became idle."""
        deadline = time.monotonic() + timeout
        while not self.is_idle():
            if time.monotonic() >= deadline:
                return False
            with self._cond:
                self._cond.wait(0.01)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (pending items are dropped)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                while self._heap and self._heap[0].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._clock.wall_delay_until(self._heap[0].due)
                if delay > 0:
                    self._cond.wait(min(delay, 60.0))
                    continue
                item = heapq.heappop(self._heap)
                self._running += 1
            try:
                item.fn()
            except Exception:
                log.exception("scheduled item %r failed", item.name)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
