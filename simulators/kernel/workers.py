"""A small bounded pool of daemon worker threads, started lazily, that can report when it is idle.

The webhook dispatcher runs every delivery attempt on it. Threads are created only when work arrives
(up to ``size``), so a simulator that never sends webhooks starts none.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[], None]


class WorkerPool:
    """Runs submitted jobs on at most ``size`` daemon threads named ``<name>-<n>``."""

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._name = name
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._closed = False

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False (and dropped) once the pool is closed."""
        if self._closed:
            return False
        with self._cond:
            self._busy += 1
            if len(self._threads) < self._size and self._busy > len(self._threads):
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads) + 1}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        self._queue.put(job)
        return True

    @property
    def busy(self) -> int:
        """Jobs queued or running."""
        return self._busy

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for :attr:`busy` to reach 0 (or be notified of progress)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout: float) -> None:
        """Stop accepting jobs, let each thread finish its current job, join them."""
        self._closed = True
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                log.exception("%s job crashed", self._name)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()
