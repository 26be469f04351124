"""Distributed Locust through ``python -m load.run --processes 2`` (``make load LOAD_PROCESSES=2``): a master
and two worker processes run the orders scenario for a few seconds against the live service; the master
waits for both workers, writes the merged reports, and load.run judges the merged statistics.

Run alone: ``pytest tests/e2e/test_load_distributed.py -p no:xdist`` (about 15 s).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from load.common.reports import figures_from_csv
from load.run import distributed_options
from tests.e2e.test_load_smoke import ORDER_REQUESTS, only_report, run_load
from tests.support import LiveProcess


@pytest.mark.e2e
@pytest.mark.slow
def test_a_master_and_two_workers_merge_their_statistics(live_service: LiveProcess, tmp_path: Path) -> None:
    # latency is not what this proves (the machine is shared): only the error rate is judged
    proc = run_load(live_service.url, tmp_path, "--processes", "2", "--p95-ms", "60000", run_time="6s")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "a master and 2 workers" in proc.stdout and proc.stdout.rstrip().endswith("PASS")
    report = only_report(tmp_path)
    log = (report / "locust.log").read_text()
    assert "2 workers connected" in log or "ready workers" in log, log[-2000:]

    rows = figures_from_csv(report / "stats_stats.csv")  # the master's merged figures
    total = rows[-1]
    assert total.name == "Aggregated" and total.requests > 10 and total.failures == 0
    assert {r.name for r in rows[:-1]} <= ORDER_REQUESTS
    assert "<html" in (report / "report.html").read_text().lower()
    summary = json.loads((report / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["passed"] is True
    assert summary["total"]["requests"] == total.requests


def test_distributed_options_bind_the_master_to_a_free_local_port() -> None:
    assert distributed_options(0) == []
    options = distributed_options(3)
    value = dict(zip(options[::2], options[1::2], strict=True))
    assert value["--processes"] == "3" and value["--master-bind-host"] == "127.0.0.1"
    assert value["--master-bind-port"] == value["--master-port"] != "5557"
