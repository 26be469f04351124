"""Smoke tests of the load harness (``load/``): the orders scenario runs headless against the live service
through ``python -m load.run``, writes its reports and passes; a threshold breach (an impossible p95, or
a dead host) makes both Locust and ``load.run`` exit non-zero. Plus the helpers the scenarios share.

Run alone: ``pytest tests/e2e/test_load_smoke.py`` (about 15 s: three short Locust runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from load.common.reports import Figures, figures_from_csv
from load.common.thresholds import Thresholds, breaches, declared_in
from load.run import LOCUSTFILES, parse_duration, scenarios
from simulators.testing import free_port
from tests.auth import auth_issuer
from tests.support import REPO, LiveProcess

ORDER_REQUESTS = {
    "POST /api/v1/orders",
    "GET /api/v1/orders/{id}",
    "GET /api/v1/orders?customer_ref",
    "POST /api/v1/orders/{id}/cancel",
}


def run_load(host: str, out: Path, *extra: str, run_time: str = "3s") -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "load.run", "orders", "--host", host, "--users", "5", "--spawn-rate", "5",
        "--run-time", run_time, "--out", str(out), *extra,
    ]  # fmt: skip
    env = {**os.environ, **auth_issuer().load_env()}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=90, check=False)


def only_report(out: Path) -> Path:
    (report,) = out.iterdir()
    assert report.name.startswith("orders-")
    return report


def summary_of(report: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((report / "summary.json").read_text())
    return summary


@pytest.mark.e2e
@pytest.mark.slow
def test_the_orders_scenario_passes_and_writes_its_reports(live_service: LiveProcess, tmp_path: Path) -> None:
    proc = run_load(live_service.url, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = only_report(tmp_path)
    for name in (
        "report.html",
        "stats_stats.csv",
        "stats_stats_history.csv",
        "stats_failures.csv",
        "locust.log",
    ):
        assert (report / name).stat().st_size > 0, name
    assert "<html" in (report / "report.html").read_text().lower()

    rows = figures_from_csv(report / "stats_stats.csv")
    total = rows[-1]
    failures = (report / "stats_failures.csv").read_text()  # what failed, if anything did
    assert total.name == "Aggregated" and total.requests > 20 and total.failures == 0, failures
    assert {r.name for r in rows[:-1]} <= ORDER_REQUESTS and "POST /api/v1/orders" in {r.name for r in rows}
    assert total.requests == sum(r.requests for r in rows[:-1])

    summary = summary_of(report)
    assert summary["passed"] is True and summary["breaches"] == [] and summary["locust_exit_code"] == 0
    assert summary["thresholds"] == {"max_error_rate": 0.01, "p95_ms": 250.0}
    assert summary["total"]["requests"] == total.requests  # the CSV holds the final figures
    for text in ("req/s", "p50", "p95", "error rate 0.00%", "thresholds: error rate <= 1.00%, p95 <= 250 ms"):
        assert text in proc.stdout
    assert proc.stdout.rstrip().endswith("PASS")


@pytest.mark.e2e
@pytest.mark.slow
def test_an_impossible_p95_fails_the_run_in_locust_and_in_load_run(
    live_service: LiveProcess, tmp_path: Path
) -> None:
    proc = run_load(live_service.url, tmp_path, "--p95-ms", "0.01", run_time="2s")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL: p95" in proc.stdout and "> 0.01 ms" in proc.stdout
    report = only_report(tmp_path)
    summary = summary_of(report)
    assert summary["passed"] is False and summary["total"]["failures"] == 0
    assert summary["locust_exit_code"] == 1  # Locust's own quitting listener failed the run too
    assert "threshold breached: p95" in (report / "locust.log").read_text()


@pytest.mark.e2e
@pytest.mark.slow
def test_a_dead_host_fails_on_the_error_rate(tmp_path: Path) -> None:
    proc = run_load(f"http://127.0.0.1:{free_port()}", tmp_path, run_time="2s")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = summary_of(only_report(tmp_path))
    assert summary["total"]["error_rate"] == 1.0
    assert any(b.startswith("error rate 100.00%") for b in summary["breaches"]), summary["breaches"]


def test_an_unknown_scenario_is_refused_with_the_choices(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "load.run", "nope", "--out", str(tmp_path)]
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 2 and "choose from: delivery_tracking, files, orders" in proc.stderr
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------------- shared helpers


def test_every_scenario_states_its_thresholds() -> None:
    assert "orders" in scenarios()
    for name in scenarios():
        declared_in(LOCUSTFILES / f"{name}.py")  # raises when MAX_ERROR_RATE or P95_MS is missing
    assert declared_in(LOCUSTFILES / "orders.py") == Thresholds(max_error_rate=0.01, p95_ms=250)


def test_thresholds_take_environment_overrides() -> None:
    limits = Thresholds(max_error_rate=0.01, p95_ms=250)
    assert limits.with_env({"LOAD_P95_MS": "5", "LOAD_MAX_ERROR_RATE": "0.5"}) == Thresholds(0.5, 5)
    assert limits.with_env({}) == limits


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (Figures("Aggregated", 1000, 10, 50.0, 8, 250), []),
        (Figures("Aggregated", 1000, 11, 50.0, 8, 40), ["error rate 1.10% (11/1000) > 1.00%"]),
        (Figures("Aggregated", 1000, 0, 50.0, 8, 251), ["p95 251 ms > 250 ms"]),
        (
            Figures("Aggregated", 0, 0, 0.0, 0, 0),
            ["no requests were made (is the service at --host running?)"],
        ),
    ],
)
def test_breaches(figures: Figures, expected: list[str]) -> None:
    assert breaches(figures, Thresholds(max_error_rate=0.01, p95_ms=250)) == expected


@pytest.mark.parametrize(("text", "seconds"), [("20s", 20), ("1m30s", 90), ("2h", 7200), ("45", 45)])
def test_run_time_syntax(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds
