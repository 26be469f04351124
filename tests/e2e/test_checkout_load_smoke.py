"""Smoke tests of the checkout load scenarios: ``stripe_checkout`` and ``paypal_checkout`` run for a few
seconds through ``python -m load.run`` against a test lab (the service as a process, the provider simulator
in-process) and must pass with completed checkouts, i.e. orders that really reached PAID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth import auth_issuer
from tests.support import REPO
from tests.support_lab import LabHandle, run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(tmp_path_factory.mktemp("checkout-load-lab"), ["stripe", "paypal"]) as running:
        yield running


@pytest.mark.parametrize(("scenario", "provider", "variable"), [
    ("stripe_checkout", "stripe", "STRIPE_SIM_URL"),
    ("paypal_checkout", "paypal", "PAYPAL_SIM_URL"),
])  # fmt: skip
def test_the_checkout_scenario_completes_checkouts(
    lab: LabHandle, tmp_path: Path, scenario: str, provider: str, variable: str
) -> None:
    command = [
        sys.executable,
        "-m",
        "load.run",
        scenario,
        "--host",
        lab.url,
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--run-time",
        "4s",
        "--out",
        str(tmp_path),
    ]
    env = {**os.environ, **auth_issuer().load_env(), variable: lab.sim(provider).url}
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [summary] = tmp_path.glob("*/summary.json")
    figures = json.loads(summary.read_text())
    flows = [r for r in figures["requests"] if r["name"].startswith("CHECKOUT")]
    assert flows and flows[0]["requests"] > 0 and flows[0]["failures"] == 0, figures
    # retries per provider call, from the service's own counters
    calls = {(c["provider"], c["operation"]): c for c in figures["provider_calls"]}
    assert any(p == provider and c["calls"] > 0 for (p, _op), c in calls.items()), calls
    for call in calls.values():
        assert call["calls"] == (
            call["first_try"]
            + call["retried_then_succeeded"]
            + call["retried_until_exhausted"]
            + call["failed_not_retried"]
        )
        assert call["attempts"] >= call["calls"]
    if provider == "stripe":  # forged webhooks (the first checkout of the run, then 1 %): all rejected
        forged = figures["forged_webhooks"]
        assert forged["sent"] >= 1
        assert forged["accepted_or_changed_state"] == 0
        assert forged["rejected_by_service"] == forged["sent"]
