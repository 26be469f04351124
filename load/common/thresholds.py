"""Pass/fail thresholds of a load run.

A locustfile states its thresholds as module constants and installs the check::

    MAX_ERROR_RATE = 0.01   # at most 1 % of requests may fail
    P95_MS = 250            # the 95th percentile of all requests, in milliseconds
    enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))

``enforce`` adds a ``quitting`` listener that sets ``environment.process_exit_code``: 1 on a breach,
0 otherwise (so a few failed requests within the error budget do not fail the run, unlike Locust's
default). Plain ``locust -f load/locustfiles/<scenario>.py`` therefore fails on a breach too.
``python -m load.run`` reads the same constants from the file without importing Locust (``declared_in``),
reads the final figures from the CSV and applies the same ``breaches`` check.

Both sides honour the environment overrides ``LOAD_MAX_ERROR_RATE`` (a fraction, ``0.01``) and
``LOAD_P95_MS``, e.g. to prove that a breach fails a run: ``LOAD_P95_MS=0.01 python -m load.run``.
"""

from __future__ import annotations

import ast
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from load.common.reports import Figures, figures_from_stats, write_final_csv

logger = logging.getLogger(__name__)

ENV_MAX_ERROR_RATE = "LOAD_MAX_ERROR_RATE"
ENV_P95_MS = "LOAD_P95_MS"


@dataclass(frozen=True)
class Thresholds:
    """At most ``max_error_rate`` (a fraction) of requests may fail; p95 of all requests <= ``p95_ms``."""

    max_error_rate: float
    p95_ms: float

    def with_env(self, env: Mapping[str, str] | None = None) -> Thresholds:
        """These thresholds with ``LOAD_MAX_ERROR_RATE`` / ``LOAD_P95_MS`` from ``env`` (default
        ``os.environ``, read at call time) applied."""
        env = os.environ if env is None else env
        out = self
        if env.get(ENV_MAX_ERROR_RATE):
            out = replace(out, max_error_rate=float(env[ENV_MAX_ERROR_RATE]))
        if env.get(ENV_P95_MS):
            out = replace(out, p95_ms=float(env[ENV_P95_MS]))
        return out

    def describe(self) -> str:
        return f"error rate <= {self.max_error_rate:.2%}, p95 <= {self.p95_ms:g} ms"


def breaches(total: Figures, limits: Thresholds) -> list[str]:
    """Why ``total`` fails ``limits`` (empty when it passes). A run without requests always fails."""
    if total.requests == 0:
        return ["no requests were made (is the service at --host running?)"]
    found: list[str] = []
    if total.error_rate > limits.max_error_rate:
        counts = f"{total.failures}/{total.requests}"
        found.append(f"error rate {total.error_rate:.2%} ({counts}) > {limits.max_error_rate:.2%}")
    if total.p95_ms > limits.p95_ms:
        found.append(f"p95 {total.p95_ms:g} ms > {limits.p95_ms:g} ms")
    return found


def enforce(events: Any, limits: Thresholds) -> None:
    """Install a ``quitting`` listener on Locust's ``events`` that checks ``limits`` (with env overrides,
    read when the run ends) against the run's totals and sets the process exit code. It first rewrites
    Locust's ``--csv`` files with the final figures (``reports.write_final_csv``)."""

    def _check(environment: Any, **_kwargs: Any) -> None:
        from locust.runners import WorkerRunner

        if isinstance(environment.runner, WorkerRunner):
            return  # the master judges the aggregated figures of a distributed run
        write_final_csv(environment)
        effective = limits.with_env()
        total = figures_from_stats(environment.stats.total)
        found = breaches(total, effective)
        for reason in found:
            logger.error("threshold breached: %s", reason)
        if not found:
            logger.info(
                "thresholds met (%s): error rate %.2f%%, p95 %g ms",
                effective.describe(),
                total.error_rate * 100,
                total.p95_ms,
            )
        environment.process_exit_code = 1 if found else 0

    events.quitting.add_listener(_check)


def declared_in(locustfile: Path) -> Thresholds:
    """The ``MAX_ERROR_RATE`` and ``P95_MS`` constants a locustfile states, read without importing it."""
    values: dict[str, float] = {}
    for node in ast.parse(locustfile.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("MAX_ERROR_RATE", "P95_MS"):
            values[target.id] = float(ast.literal_eval(value))
    missing = {"MAX_ERROR_RATE", "P95_MS"} - values.keys()
    if missing:
        raise ValueError(f"{locustfile} does not state {', '.join(sorted(missing))} as module constants")
    return Thresholds(max_error_rate=values["MAX_ERROR_RATE"], p95_ms=values["P95_MS"])
