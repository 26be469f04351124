"""Start a lab with the observability stack and run alert scenarios in it, one after the other.

``python -m load.alerts`` is the command line; :func:`alert_lab` and :func:`run_all` are what the test
suite uses (with a time-compression factor).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from load.alerts.driver import LabUrls, ScenarioResult, Timing, run_scenario
from load.alerts.report import write_report
from load.alerts.scenarios import AlertScenario
from reference_service.config import load_settings
from simulators.lab.observability import ObservabilityOptions
from simulators.lab.up import Lab
from simulators.registry import PROVIDERS


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def alert_lab(
    var_dir: Path, factor: float, port_offset: int, echo: bool = False
) -> Iterator[tuple[Lab, LabUrls]]:
    """A lab (service, every simulator, Prometheus, Alertmanager, receiver) under ``var_dir``, its own
    SQLite database there, rules (and the SMS circuit's reset time) compressed by ``factor``; stopped
    when the block ends."""
    var_dir.mkdir(parents=True, exist_ok=True)
    env = {
        "DATABASE_URL": f"sqlite:///{(var_dir / 'service.db').resolve()}",
        # the service's own timer behind an alert scales with the rules: an open SMS circuit re-probes
        "SMS_CIRCUIT_RESET_SECONDS": f"{max(1.0, 30 / factor):g}",
        # a shopper here polls its orders far faster than a person: at the default 1,000 a minute per client
        # the service's own 429s broke the healthy baseline (the alerts are about the providers, and the rate
        # limit has a scenario of its own, load/locustfiles/rate_limit.py)
        "RATELIMIT_DEFAULT": "100000/minute",
    }
    with _environ(env):
        lab = Lab(
            load_settings(),
            var_dir=var_dir,
            service_port=8000 + port_offset,
            providers=PROVIDERS,
            port_offset=port_offset,
            echo=print if echo else (lambda _line: None),
            observability=ObservabilityOptions(factor),
        )
        try:
            lab.start()
            urls = LabUrls(
                service=lab.part_url("service"),
                prometheus=lab.part_url("prometheus"),
                receiver=lab.part_url("alert-receiver"),
                # every part whose control API takes fault rules: the providers and the Kafka cluster
                simulators={p.name: p.url for p in lab.parts if p.name in PROVIDERS or p.name == "kafka"},
            )
            yield lab, urls
        finally:
            lab.stop()


def run_dir(root: Path, name: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        path = root / (f"alerts-{name}-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
        if not path.exists():
            path.mkdir(parents=True)
            return path
    raise RuntimeError(f"cannot create a run directory under {root}")


def run_all(
    scenarios: Sequence[AlertScenario], urls: LabUrls, factor: float, interval_s: float, out_root: Path
) -> list[ScenarioResult]:
    """Run each scenario in turn; each writes ``<out_root>/alerts-<name>-<stamp>/report.html``."""
    timing = Timing.for_factor(factor, interval_s)
    results = []
    for scenario in scenarios:
        out = run_dir(out_root, scenario.name)
        result = run_scenario(scenario, urls, timing, out)
        (out / "summary.json").write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
        write_report(result, scenario, urls, out)
        results.append(result)
    return results


def summary_table(results: Sequence[ScenarioResult]) -> str:
    """One line per run: alert, time to pending/fire/notify/resolve, traffic, verdict."""

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}s"

    head = ("alert", "pending", "firing", "notified", "resolved", "requests", "errors", "sms")
    lines = ["  {:<26} {:>8} {:>8} {:>9} {:>9} {:>9} {:>7} {:>9}  verdict".format(*head)]
    for r in results:
        pending = None if r.pending_at is None else r.pending_at - r.fault_started_at
        notified = None if r.firing_notified_at is None else r.firing_notified_at - r.fault_started_at
        sms = "-" if r.sms_sent is None else f"{r.sms_delivered}/{r.sms_sent}"
        verdict = "PASS" if r.passed else "FAIL: " + "; ".join(r.failures)
        lines.append(
            f"  {r.alert:<26} {fmt(pending):>8} {fmt(r.time_to_fire_s):>8} {fmt(notified):>9} "
            f"{fmt(r.time_to_resolve_s):>9} {r.requests:>9} {r.errors:>7} {sms:>9}  {verdict}"
        )
    return "\n".join(lines)
