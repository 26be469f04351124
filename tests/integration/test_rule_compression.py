"""Time-compressed rule copies (``simulators.lab.rules``): valid under promtool, the canonical files left
byte-identical, and every alert the load scenarios trip is inactive, pending and firing at the same
points of the same series shape at both time scales (promtool's own evaluator, ``ALERTS`` series)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from simulators.lab.rules import (
    CANONICAL_DIR,
    compress_duration,
    compress_expr,
    compressed_text,
    duration_ms,
    write_rule_files,
)
from tests.integration.test_alert_rules import promtool

FACTOR = 20
#: canonical scrape/evaluation interval of a shape (one sample per interval)
INTERVAL_S = 15


def test_durations_and_windows_are_divided() -> None:
    assert duration_ms("1h30m") == 5_400_000
    assert compress_duration("2m", 20) == "6s"
    assert compress_duration("30s", 20) == "1s500ms"
    assert compress_duration("1h", 4) == "15m"
    expr = 'sum(rate(x{path=~"/v1/[a-z]+"}[5m])) / sum(rate(y[1h:30s])) and z offset 5m'
    # windows and subquery steps shrink; label regexes and offsets do not
    assert (
        compress_expr(expr, 10)
        == 'sum(rate(x{path=~"/v1/[a-z]+"}[30s])) / sum(rate(y[6m:3s])) and z offset 5m'
    )


def test_compressed_copies_pass_promtool_and_canonical_files_stay_identical(tmp_path: Path) -> None:
    canonical = sorted(CANONICAL_DIR.glob("*.yml"))
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in canonical}
    same = write_rule_files(tmp_path / "x1", 1)
    compressed = write_rule_files(tmp_path / f"x{FACTOR}", FACTOR)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in canonical}
    assert before == after
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in same} == before
    out = subprocess.run(
        [promtool(), "check", "rules", *map(str, compressed)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    for path in compressed:  # every `for` really got shorter
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "for" in rule:
                    original = _canonical_rule(path.name, rule.get("alert"))
                    assert duration_ms(rule["for"]) * FACTOR == duration_ms(original["for"])


def _canonical_rule(file: str, alert: str | None) -> dict[str, str]:
    for group in yaml.safe_load((CANONICAL_DIR / file).read_text())["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                return dict(rule)
    raise KeyError(alert)


Increment = Callable[[int], float]


@dataclass(frozen=True)
class Shape:
    """A series shape: per-sample increments of counters (or gauge values) over ``samples`` samples, and
    the alert's expected state at some sample indices."""

    alert: str
    rule_file: str
    series: dict[str, Increment]
    samples: int
    expect: tuple[tuple[int, str], ...]  # (sample index, "inactive" | "pending" | "firing")
    gauge: bool = False


def _fault(start: int, end: int, bad: float, good: float) -> Increment:
    return lambda i: bad if start < i <= end else good


_STRIPE = (
    'external_api_requests_total{{provider="stripe",operation="create_payment_intent",outcome="{outcome}"}}'
)

SHAPES = [
    # 15 % of Stripe calls fail from sample 20 to 45, then none (checks keep a few samples from each edge:
    # promtool offsets each group's evaluations, so a state change can move by one group interval)
    Shape(
        "StripeServiceDown",
        "external-services.yml",
        {
            _STRIPE.format(outcome="success"): lambda i: 85,
            _STRIPE.format(outcome="server_error"): _fault(20, 45, 15, 0),
        },
        62,
        ((19, "inactive"), (25, "pending"), (38, "firing"), (45, "firing"), (61, "inactive")),
    ),
    # payments take 20 s instead of 1 s from sample 20 to 60
    Shape(
        "PaymentProcessingDelayed",
        "external-services.yml",
        {
            'payment_processing_duration_seconds_bucket{provider="stripe",outcome="succeeded",le="5"}': (
                _fault(20, 60, 0, 10)
            ),
            'payment_processing_duration_seconds_bucket{provider="stripe",outcome="succeeded",le="10"}': (
                _fault(20, 60, 0, 10)
            ),
            'payment_processing_duration_seconds_bucket{provider="stripe",outcome="succeeded",le="30"}': (
                lambda i: 10
            ),
            'payment_processing_duration_seconds_bucket{provider="stripe",outcome="succeeded",le="+Inf"}': (
                lambda i: 10
            ),
        },
        100,
        ((19, "inactive"), (30, "pending"), (55, "firing"), (60, "firing"), (99, "inactive")),
    ),
    # 30 % of carrier calls fail from sample 20 to 45
    Shape(
        "LogisticsCarrierDown",
        "logistics.yml",
        {
            'external_api_requests_total{provider="easypost",operation="buy",outcome="success"}': (
                _fault(20, 45, 70, 100)
            ),
            'external_api_requests_total{provider="easypost",operation="buy",outcome="server_error"}': (
                _fault(20, 45, 30, 0)
            ),
        },
        62,
        ((19, "inactive"), (25, "pending"), (38, "firing"), (45, "firing"), (61, "inactive")),
    ),
    # SNS's circuit opens at sample 20 and closes at 40 (a gauge: no window, only `for`)
    Shape(
        "SmsProviderCircuitOpen",
        "notifications.yml",
        {'sms_circuit_state{provider="sns"}': _fault(20, 40, 2, 0)},
        50,
        ((19, "inactive"), (22, "pending"), (30, "firing"), (40, "firing"), (45, "inactive")),
        gauge=True,
    ),
]


def _values(shape: Shape, increment: Increment) -> str:
    if shape.gauge:
        return " ".join(f"{increment(i):g}" for i in range(shape.samples))
    total, values = 0.0, []
    for i in range(shape.samples):
        total += increment(i) if i else 0
        values.append(f"{total:g}")
    return " ".join(values)


def _promtool_test(shape: Shape, rule_file: Path, factor: float) -> dict[str, object]:
    interval_ms = round(INTERVAL_S * 1000 / factor)
    checks = []
    for index, state in shape.expect:
        at = f"{index * interval_ms}ms"
        for candidate in ("pending", "firing"):
            checks.append(
                {
                    "expr": f'count(ALERTS{{alertname="{shape.alert}",alertstate="{candidate}"}})',
                    "eval_time": at,
                    "exp_samples": [{"labels": "{}", "value": 1}] if candidate == state else [],
                }
            )
    return {
        "rule_files": [str(rule_file)],
        "evaluation_interval": f"{interval_ms}ms",
        "tests": [
            {
                "interval": f"{interval_ms}ms",
                "input_series": [
                    {"series": name, "values": _values(shape, inc)} for name, inc in shape.series.items()
                ],
                "promql_expr_test": checks,
            }
        ],
    }


def _run(test: dict[str, object], where: Path) -> subprocess.CompletedProcess[str]:
    file = where / "shape.test.yml"
    file.write_text(yaml.safe_dump(test, sort_keys=False), encoding="utf-8")
    return subprocess.run(
        [promtool(), "test", "rules", str(file)], capture_output=True, text=True, timeout=60, cwd=where
    )


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.alert)
def test_a_compressed_rule_fires_on_the_same_series_shape(shape: Shape, tmp_path: Path) -> None:
    canonical = CANONICAL_DIR / shape.rule_file
    compressed = tmp_path / f"compressed-{shape.rule_file}"
    compressed.write_text(compressed_text(canonical, FACTOR), encoding="utf-8")
    at_scale = _run(_promtool_test(shape, canonical, 1), tmp_path)
    assert at_scale.returncode == 0, "canonical:\n" + at_scale.stdout + at_scale.stderr
    sped_up = _run(_promtool_test(shape, compressed, FACTOR), tmp_path)
    assert sped_up.returncode == 0, f"compressed x{FACTOR}:\n" + sped_up.stdout + sped_up.stderr


def test_the_shape_test_catches_a_rule_that_does_not_fire(tmp_path: Path) -> None:
    """The shape check is not vacuous: with the threshold turned off, the same test fails."""
    broken = tmp_path / "broken.yml"
    text = (
        (CANONICAL_DIR / "external-services.yml")
        .read_text()
        .replace("stripe_api_success_rate < 0.95", "stripe_api_success_rate < 0")
    )
    broken.write_text(text, encoding="utf-8")
    result = _run(_promtool_test(SHAPES[0], broken, 1), tmp_path)
    assert result.returncode != 0
    assert "StripeServiceDown" in result.stdout + result.stderr
