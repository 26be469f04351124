"""Smoke test of the SMS failover load scenario (``load/locustfiles/sms_failover.py``): a short headless run
against ``notifications_lab`` (circuit cool-down 1 s) takes SNS down and back through the AWS simulator's
control API, keeps every SMS delivered, and reports the failover figures.

Run alone: ``pytest tests/e2e/test_sms_failover_load.py`` (about 15 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from load.common.thresholds import declared_in
from load.run import LOCUSTFILES, scenarios
from tests.auth import auth_issuer
from tests.support import REPO
from tests.support_notifications import NotificationsLab


def test_the_scenario_states_its_thresholds() -> None:
    assert "sms_failover" in scenarios()
    limits = declared_in(LOCUSTFILES / "sms_failover.py")
    assert limits.max_error_rate == 0.0 and limits.p95_ms > 0


@pytest.mark.e2e
@pytest.mark.slow
def test_sms_stay_delivered_while_sns_goes_down_and_comes_back(
    notifications_lab: NotificationsLab, tmp_path: Path
) -> None:
    notifications_lab.reset()
    command = [
        sys.executable, "-m", "load.run", "sms_failover", "--host", notifications_lab.url, "--users", "4",
        "--spawn-rate", "4", "--run-time", "8s", "--out", str(tmp_path),
    ]  # fmt: skip
    env = {
        **os.environ,
        **auth_issuer().load_env(),
        "LOAD_AWS_SIM_URL": notifications_lab.aws.url,
        "LOAD_P95_MS": "2000",
    }
    proc = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (report,) = tmp_path.iterdir()
    figures = json.loads((report / "sms_failover.json").read_text())
    assert figures["success_rate"] == 1.0 and figures["success_rate_during_outage"] == 1.0
    assert figures["by_route"]["failover"]["count"] >= 1  # SNS went down and Twilio took over
    assert figures["by_phase"]["sns back"].get("direct") or figures["by_phase"]["sns back"].get("probe")
    assert "failover_added_ms" in figures
    assert notifications_lab.aws_sim().get("faults")["data"] == []  # the outage was lifted
