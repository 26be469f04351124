"""Health checks: registered checkers, each reporting status, latency and details.

``GET /health`` runs every checker (each bounded by a timeout) and answers 200 when all critical
checkers are UP, 503 otherwise::

    {"status": "UP", "checks": {"database": {"status": "UP", "latency_ms": 0.8, "details": {...}}}}

A non-critical checker (e.g. the outbox backlog) shows its status but never turns the service DOWN.
Providers register their own checkers as their integrations arrive; a check that calls a provider is
wrapped in ``CachedHealthChecker`` (``PROVIDER_HEALTH_CACHE_SECONDS``), because ``/health`` is polled
often and must not turn into load on the provider.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlalchemy as sa

UP = "UP"
DOWN = "DOWN"


@dataclass(frozen=True)
class CheckResult:
    status: str
    details: dict[str, Any] = field(default_factory=dict)


class HealthChecker(Protocol):
    name: str
    critical: bool

    def check(self) -> CheckResult: ...


class DatabaseHealthChecker:
    """Runs ``SELECT 1`` on the write engine and reports the backend name."""

    critical = True

    def __init__(self, engine: sa.Engine, name: str = "database") -> None:
        self.engine = engine
        self.name = name

    def check(self) -> CheckResult:
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return CheckResult(UP, {"backend": self.engine.dialect.name})


def error_details(exc: BaseException) -> dict[str, Any]:
    """What a failed check reports: the error's class and message, bounded."""
    return {"error": f"{type(exc).__name__}: {exc}"[:300]}


class CallableHealthChecker:
    """Adapts a function returning ``CheckResult`` (handy for small checks such as the outbox)."""

    def __init__(self, name: str, fn: Callable[[], CheckResult], critical: bool = True) -> None:
        self.name = name
        self._fn = fn
        self.critical = critical

    def check(self) -> CheckResult:
        return self._fn()


class CachedHealthChecker:
    """Reuses ``checker``'s result (UP, DOWN, or the error it raised, as DOWN) for ``ttl_seconds``."""

    def __init__(
        self, checker: HealthChecker, ttl_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = checker.name
        self.critical = checker.critical
        self._checker = checker
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: tuple[float, CheckResult] | None = None

    def check(self) -> CheckResult:
        with self._lock:
            if self._cached is not None and self._clock() - self._cached[0] < self._ttl:
                return self._cached[1]
        try:
            result = self._checker.check()
        except Exception as exc:
            result = CheckResult(DOWN, error_details(exc))
        with self._lock:
            self._cached = (self._clock(), result)
        return result


class HealthRegistry:
    def __init__(self, timeout_seconds: float = 2.0) -> None:
        self.timeout = timeout_seconds
        self._checkers: list[HealthChecker] = []

    def register(self, checker: HealthChecker) -> None:
        self._checkers.append(checker)

    def names(self) -> list[str]:
        return [c.name for c in self._checkers]

    def run(self) -> tuple[str, dict[str, Any]]:
        """Run every checker concurrently; return the overall status and the per-check report."""
        report: dict[str, Any] = {}
        overall = UP
        if not self._checkers:
            return overall, report
        with ThreadPoolExecutor(max_workers=len(self._checkers), thread_name_prefix="health") as pool:
            started = {c.name: time.perf_counter() for c in self._checkers}
            futures = {c.name: (c, pool.submit(c.check)) for c in self._checkers}
            for name, (checker, fut) in futures.items():
                try:
                    result = fut.result(timeout=self.timeout)
                except FutureTimeout:
                    result = CheckResult(DOWN, {"error": f"timed out after {self.timeout:g}s"})
                except Exception as exc:
                    result = CheckResult(DOWN, error_details(exc))
                latency_ms = round((time.perf_counter() - started[name]) * 1000, 2)
                report[name] = {
                    "status": result.status,
                    "latency_ms": latency_ms,
                    "details": result.details,
                    "critical": checker.critical,
                }
                if result.status != UP and checker.critical:
                    overall = DOWN
        return overall, report
