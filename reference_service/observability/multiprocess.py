"""Prometheus metrics across several worker processes (prometheus-client's multiprocess mode).

``genai-demo service --workers N`` (N > 1) sets ``PROMETHEUS_MULTIPROC_DIR`` before the server forks its
workers. prometheus-client then keeps every counter, histogram and gauge value in a memory-mapped file
per process (``counter_<pid>.db``, ``histogram_<pid>.db``, ``gauge_live<mode>_<pid>.db``) in that
directory, and :func:`exposition` merges all the files at each scrape: whichever worker answers
``GET /metrics``, the counts are the sum over every worker.

Granian ends its workers with ``os._exit`` (no ``atexit``), and only restarts them when they crash, so the
live gauges of a crashed worker stay until the next start, which empties the directory
(:func:`prepare_directory`).

Series computed at scrape time from the database (the outbox, suppressions and open-deliveries gauges)
are not per process: they come from the answering worker's registry, once.

Inspect: ``ls $PROMETHEUS_MULTIPROC_DIR`` (one file per metric type and worker pid), and
``curl -s 127.0.0.1:8000/metrics``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The directory of multiprocess mode when it is on (``PROMETHEUS_MULTIPROC_DIR``), else None."""
    value = os.environ.get(ENV, "").strip()
    return Path(value) if value else None


def prepare_directory(path: Path) -> None:
    """Create ``path`` and remove the value files of an earlier run (their pids are gone), as
    prometheus-client asks before the first worker starts."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


class _ScrapeTimeOnly(Collector):
    """The families of ``registry`` that the multiprocess files do not hold (computed at scrape time)."""

    def __init__(self, registry: CollectorRegistry, merged: set[str]) -> None:
        self._registry = registry
        self._merged = merged

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            if family.name not in self._merged and family.samples:
                yield family


def exposition(registry: CollectorRegistry) -> bytes:
    """The Prometheus text exposition of the service: ``registry`` alone in a single process; in
    multiprocess mode the merge of every worker's files plus ``registry``'s scrape-time families."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(registry)
    merged = CollectorRegistry()
    collector = MultiProcessCollector(merged, path=str(directory))  # type: ignore[no-untyped-call]
    names = {family.name for family in collector.collect()}  # type: ignore[no-untyped-call]
    merged.register(_ScrapeTimeOnly(registry, names))
    return generate_latest(merged)
