"""The pure parts of ``genai-demo bench checkout`` (simulators/lab/bench_checkout.py): the open-loop
schedule, the percentiles and the target verdicts. The whole bench runs by hand (docs/performance.md)."""

from __future__ import annotations

import math
import threading
import time

from simulators.lab.bench_checkout import (
    Checkout,
    RunResult,
    cpu_times,
    format_targets,
    open_loop,
    p50_p95,
    steal_percent,
)


def test_open_loop_starts_each_checkout_on_its_schedule_whatever_the_others_do() -> None:
    started: dict[int, float] = {}
    lock = threading.Lock()

    def slow(n: int, record: Checkout) -> None:
        with lock:
            started[n] = time.perf_counter()
        time.sleep(0.2)  # far longer than the 20 ms between arrivals: a closed loop would fall behind

    begin = time.perf_counter()
    wall, records = open_loop(slow, rate=50.0, warmup=0.1, seconds=0.2)
    assert abs(wall - time.time()) < 5
    assert len(records) == 15 and sorted(started) == list(range(15))
    assert [r.measured for r in records] == [False] * 5 + [True] * 10
    late = [started[n] - begin - n / 50.0 for n in range(15)]
    assert max(late) < 0.15, late  # each began near i / rate, not after the previous one finished


def test_p50_p95_in_milliseconds_and_nan_without_data() -> None:
    p50, p95 = p50_p95([i / 1000 for i in range(1, 101)])
    assert round(p50, 1) == 50.5 and round(p95, 2) == 95.05
    assert all(math.isnan(v) for v in p50_p95([0.1]))


def test_each_target_is_printed_met_or_not() -> None:
    fast = RunResult(1, 10, 10, 50.0, (8.0, 9.0), (30.0, 40.0), (12.0, 15.0), (20.0, 45.0))
    slow = RunResult(2, 10, 10, 50.0, (11.0, 20.0), (30.0, 40.0), (25.0, 30.0), (20.0, 55.0))
    text = format_targets([fast, slow], 50.0)
    assert "workers 1: POST /orders p50 < 10 ms: met; start payment own p50 < 20 ms: met; " in text
    assert "confirm->PAID p95 < 50 ms: met" in text.splitlines()[1]
    assert text.splitlines()[2].count("NOT met") == 3


def test_steal_is_the_share_of_cpu_time_given_to_other_guests() -> None:
    before = [100, 0, 50, 800, 0, 0, 0, 50]
    after = [190, 0, 60, 880, 0, 0, 0, 70]  # 200 ticks in all, 20 of them stolen
    assert steal_percent(before, after) == 10.0
    assert math.isnan(steal_percent([], after))
    assert len(cpu_times()) in (0, 8)
