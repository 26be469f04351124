"""The kernel benchmark runs and reports per-request overhead (a quick in-process smoke run)."""

from __future__ import annotations

from simulators.kernel.bench import bench_in_process


def test_in_process_benchmark_reports_overhead() -> None:
    result = bench_in_process(iterations=300, repeats=1)
    assert result["bare_us"] > 0 and result["kernel_us"] > result["bare_us"]
    assert result["overhead_us"] == result["kernel_us"] - result["bare_us"]
