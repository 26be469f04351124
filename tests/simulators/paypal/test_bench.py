"""The create-order benchmark runs end to end (a one-second smoke run, not the measurement)."""

from __future__ import annotations

import pytest

from simulators.paypal.bench import bench_paypal

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_bench_runs_against_the_real_process(capsys: pytest.CaptureFixture[str]) -> None:
    result = bench_paypal(seconds=1.0, connections=4, clients=1)
    assert result["requests"] > 0 and result["errors_in_journal"] == 0
    out = capsys.readouterr().out
    assert "req/s" in out and "genai-demo sim paypal" in out
