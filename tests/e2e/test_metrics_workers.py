"""Metrics with two service workers (prometheus-client multiprocess mode): every request is counted once,
whichever worker served it and whichever worker answers the scrape."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.support import run_service

pytestmark = [pytest.mark.e2e]

REQUESTS = 120
_LIVE = re.compile(r'^http_requests_total\{[^}]*route="/health/live"[^}]*\} (\S+)$', re.M)


def _live_count(exposition: str) -> float:
    return sum(float(v) for v in _LIVE.findall(exposition))


def _per_worker(directory: Path, tmp: Path) -> dict[str, float]:
    """``/health/live`` counts of each worker, read from its own counter file alone."""
    counts = {}
    for file in sorted(directory.glob("counter_*.db")):
        alone = tmp / f"alone-{file.stem}"
        alone.mkdir()
        shutil.copy(file, alone / file.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))  # type: ignore[no-untyped-call]
        counts[file.stem] = _live_count(generate_latest(registry).decode())
    return counts


def test_counts_add_up_across_two_workers(tmp_path: Path) -> None:
    directory = tmp_path / "multiproc"
    with run_service(tmp_path, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}, workers=2) as live:
        before = _live_count(requests.get(live.url + "/metrics", timeout=5).text)
        for _ in range(REQUESTS):  # a new connection each time, so the kernel spreads them over both workers
            with requests.Session() as fresh:
                assert fresh.get(live.url + "/health/live", timeout=5).status_code == 200
        scrapes = [_live_count(requests.get(live.url + "/metrics", timeout=5).text) for _ in range(6)]
        per_worker = _per_worker(directory, tmp_path)

    # wait_http's readiness probes hit /health/live too: they are in `before`
    assert scrapes == [before + REQUESTS] * len(scrapes), "every scrape, from either worker, sees the sum"
    served = {pid: n for pid, n in per_worker.items() if n > 0}
    assert len(served) == 2, f"both workers should have served requests: {per_worker}"
    assert sum(per_worker.values()) == before + REQUESTS
