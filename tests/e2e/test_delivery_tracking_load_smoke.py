"""Smoke test of the ``delivery_tracking`` load scenario: a few seconds through ``python -m load.run``
against a test lab (Stripe and EasyPost simulators in-process, the service as a process), with a fault
mix on the carrier; it must pass with flows that really reached DELIVERED and no label bought twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auth import auth_issuer
from tests.support import REPO
from tests.support_lab import run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.logistics]


def test_the_delivery_scenario_tracks_parcels_to_delivered(tmp_path: Path) -> None:
    env = {
        "DELIVERY_NOTIFICATIONS": "false",
        "EMAIL_ORDER_CONFIRMATION": "false",
        "OUTBOX_POLL_SECONDS": "0.1",
    }
    with run_lab(tmp_path / "lab", ["stripe", "logistics"], env) as lab:
        command = [
            sys.executable, "-m", "load.run", "delivery_tracking", "--host", lab.url,
            "--users", "3", "--spawn-rate", "3", "--run-time", "6s", "--out", str(tmp_path),
        ]  # fmt: skip
        run_env = {
            **os.environ,
            **auth_issuer().load_env(),
            "LOGISTICS_SIM_URL": lab.sim("logistics").url,
            "LOGISTICS_STEP_S": "0.5",
            "LOGISTICS_FAULTS": "503=0.05",
        }
        proc = subprocess.run(command, cwd=REPO, env=run_env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        backend = lab.sim("logistics").provider.backend  # type: ignore[attr-defined]
        labels: dict[str, int] = {}
        for _account, book in backend.books.items():
            for shipment in list(book.shipments.values()):
                if shipment.postage_label is not None:
                    labels[shipment.reference] = labels.get(shipment.reference, 0) + 1
    [summary] = [s for s in tmp_path.rglob("summary.json") if s.parent.name.startswith("delivery_tracking")]
    figures = json.loads(summary.read_text())
    [flow] = [r for r in figures["requests"] if r["name"].startswith("CHECKOUT")]
    assert flow["requests"] > 0 and flow["failures"] == 0, figures
    assert labels and set(labels.values()) == {1}, labels
