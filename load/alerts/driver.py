"""Run one alert scenario against a lab with the observability stack (``genai-demo up --observability``):

0. **quiet**: it waits (at most 30 s + twice the window) until no alert is pending or firing, so what an
   earlier scenario left behind is not judged as this run's;
1. **baseline**: Locust traffic with no fault, long enough for the alert's window to fill with healthy
   traffic (window, at most a minute, + 2 evaluation intervals);
2. **fault window**: the scenario's fault rules are added on the simulators (``POST /_sim/faults``); the
   window ends two evaluation intervals after Prometheus reports the alert firing (or at a deadline);
3. **recovery**: the rules are removed; the run ends when the receiver got the alert's "resolved"
   notification (or at a deadline), then Locust is stopped (it writes its HTML and CSV).

The verdict is read from Prometheus (``ALERTS`` over the run, ``query_range``) and the receiver:

- the alert was inactive during the baseline (no pending, no firing, no notification);
- it became pending once the fault had filled enough of its window (at most onset + window + the
  recording group's interval + 2 evaluation intervals after the fault began), then firing at most
  ``for`` + one evaluation interval (+ the sampling step) after it became pending;
- no alert other than it (and the scenario's ``also_allowed``) fired during the run;
- a "firing" notification reached the receiver, and a "resolved" one after the fault was lifted.

Times are wall-clock epoch seconds (Prometheus and this process share the machine's clock).
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from load.alerts.observe import Interval, Observer
from load.alerts.scenarios import AlertScenario
from simulators.kernel.client import SimClient
from simulators.lab.rules import duration_ms

REPO = Path(__file__).resolve().parents[2]
#: the traffic (a locustfile, kept out of load/locustfiles/: it has no thresholds, the alerts are the verdict)
LOCUSTFILE = REPO / "load" / "alerts" / "traffic.py"


@dataclass(frozen=True)
class LabUrls:
    """Where the parts of the lab are."""

    service: str
    prometheus: str
    receiver: str
    simulators: dict[str, str]

    def locust_env(self) -> dict[str, str]:
        env = {"ALERT_STRIPE_URL": self.simulators.get("stripe", "")}
        if "identity" in self.simulators:
            env["LOAD_ISSUER_URL"] = self.simulators["identity"]
        return env


@dataclass(frozen=True)
class Timing:
    """The time scale of a run: ``factor`` (1 = canonical rules) and the evaluation interval."""

    factor: float
    interval_s: float
    recording_interval_s: float

    @classmethod
    def for_factor(cls, factor: float, interval_s: float) -> Timing:
        return cls(factor, interval_s, max(interval_s, duration_ms("30s") / 1000 / factor))


@dataclass
class ScenarioResult:
    """What one run measured and concluded (``passed`` and ``failures`` are the verdict)."""

    scenario: str
    alert: str
    factor: float
    out_dir: str
    started_at: float = 0.0
    fault_started_at: float = 0.0
    fault_ended_at: float = 0.0
    ended_at: float = 0.0
    pending_at: float | None = None
    firing_at: float | None = None
    firing_notified_at: float | None = None
    last_firing_at: float | None = None
    resolved_notified_at: float | None = None
    for_s: float = 0.0
    window_s: float = 0.0
    interval_s: float = 0.0
    requests: int = 0
    errors: int = 0
    sms_sent: int | None = None
    sms_delivered: int | None = None
    faults_fired: dict[str, int] = field(default_factory=dict)
    other_alerts: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    intervals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def time_to_fire_s(self) -> float | None:
        return None if self.firing_at is None else self.firing_at - self.fault_started_at

    @property
    def time_to_resolve_s(self) -> float | None:
        return None if self.resolved_notified_at is None else self.resolved_notified_at - self.fault_ended_at

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            passed=self.passed, time_to_fire_s=self.time_to_fire_s, time_to_resolve_s=self.time_to_resolve_s
        )
        return data


#: runs Locust with SIGINT restored to KeyboardInterrupt: a process that starts with SIGINT ignored (a
#: pytest-xdist worker's children do) passes that on, and Locust would then run to its --run-time
_LOCUST_WITH_SIGINT = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'locust'; runpy.run_module('locust', run_name='__main__', alter_sys=True)"
)


def _locust(urls: LabUrls, scenario: AlertScenario, out: Path, run_time_s: float) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-c", _LOCUST_WITH_SIGINT,
        "-f", str(LOCUSTFILE), "--headless", "--host", urls.service,
        "--users", str(scenario.users), "--spawn-rate", str(scenario.users),
        "--run-time", f"{int(run_time_s)}s", "--csv", str(out / "stats"), "--html", str(out / "locust.html"),
        "--logfile", str(out / "locust.log"), "--only-summary", "--stop-timeout", "5", scenario.user_class,
    ]  # fmt: skip
    log = (out / "locust.out").open("wb")
    return subprocess.Popen(
        command, cwd=REPO, env={**os.environ, **urls.locust_env()}, stdout=log, stderr=subprocess.STDOUT
    )


class _Clock:
    """Polls Prometheus every evaluation interval while waiting (and remembers the last states)."""

    def __init__(self, observer: Observer, interval_s: float) -> None:
        self.observer = observer
        self.interval_s = interval_s
        self.states: dict[str, str] = {}

    def wait(self, seconds: float) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            with contextlib.suppress(Exception):
                self.states = self.observer.alert_states()
            time.sleep(min(self.interval_s, max(0.0, deadline - time.time())))

    def wait_until(self, predicate: Any, timeout: float) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with contextlib.suppress(Exception):
                self.states = self.observer.alert_states()
                if predicate():
                    return True
            time.sleep(self.interval_s / 2)
        return False


def run_scenario(scenario: AlertScenario, urls: LabUrls, timing: Timing, out: Path) -> ScenarioResult:
    """Run ``scenario`` (baseline, fault, recovery) and judge it; writes Locust's reports into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    factor, interval = timing.factor, timing.interval_s
    for_s, window_s = scenario.for_s(factor), scenario.window_s(factor)
    result = ScenarioResult(
        scenario.name, scenario.alert, factor, str(out), for_s=for_s, window_s=window_s, interval_s=interval
    )
    observer = Observer(urls.prometheus, urls.receiver)
    clock = _Clock(observer, interval)
    detect_s = scenario.onset_s + window_s + timing.recording_interval_s + 2 * interval
    group_interval_s = max(0.5, 30 / factor)
    fire_deadline = detect_s + for_s + 4 * interval + 60 / factor
    resolve_deadline = scenario.onset_s + 2 * window_s + group_interval_s + 4 * interval + 60 / factor
    resolve_deadline += scenario.drain_ratio * (scenario.onset_s + for_s)
    # long enough for the window to hold only healthy traffic (capped at a minute at full scale)
    baseline_s = min(window_s, 60.0) + 2 * interval + 2
    budget = baseline_s + fire_deadline + resolve_deadline + 60
    # start from a quiet lab: what an earlier scenario left behind (an outbox backlog still draining, an
    # alert still resolving) would otherwise count as this run's; after the timeout the run goes ahead,
    # and an alert still active is judged as one that fired for another reason
    clock.wait_until(lambda: not clock.states, 30 + 2 * window_s)
    observer.clear_notifications()
    result.started_at = time.time()
    locust = _locust(urls, scenario, out, budget)
    sims = {name: SimClient(urls.simulators[name]) for name in {f.simulator for f in scenario.faults}}
    rule_ids: list[tuple[str, str, str]] = []
    try:
        _wait_for_traffic(observer, locust, out)
        clock.wait(baseline_s)
        result.fault_started_at = time.time()
        for n, fault in enumerate(scenario.faults):
            created = sims[fault.simulator].fault(
                fault.match,
                fault.action,
                probability=fault.probability,
                seed=(11 + n) if fault.probability is not None else None,
                description=f"alert scenario {scenario.name}",
            )
            rule_ids.append(
                (fault.simulator, str(created["id"]), f"{fault.simulator}: {fault.action} on {fault.match}")
            )
        fired = clock.wait_until(lambda: clock.states.get(scenario.alert) == "firing", fire_deadline)
        if fired:
            clock.wait(2 * interval)
        result.fault_ended_at = time.time()
        for simulator, rule_id, label in rule_ids:
            with contextlib.suppress(Exception):
                result.faults_fired[label] = int(sims[simulator].get_fault(rule_id)["fired"])
            sims[simulator].delete_fault(rule_id)
        rule_ids.clear()

        def resolved() -> bool:
            return any(
                n["status"] == "resolved" and n["received_at"] >= result.fault_ended_at
                for n in observer.notifications(scenario.alert)
            )

        if fired:
            clock.wait_until(resolved, resolve_deadline)
        else:
            clock.wait(2 * interval)  # it never fired: nothing to resolve
        clock.wait(interval)
    finally:
        for simulator, rule_id, _label in rule_ids:
            with contextlib.suppress(Exception):
                sims[simulator].delete_fault(rule_id)
        for sim in sims.values():
            sim.close()
        if (
            locust.poll() is None
        ):  # SIGINT: Locust writes its HTML report, then its CSVs (SIGTERM skips the HTML)
            locust.send_signal(signal.SIGINT)
        try:
            locust.wait(60)
        except subprocess.TimeoutExpired:
            locust.kill()
            locust.wait(5)
    result.ended_at = time.time()
    _judge(result, scenario, observer, timing, detect_s)
    _traffic(result, scenario, out)
    observer.close()
    return result


def _wait_for_traffic(
    observer: Observer, locust: subprocess.Popen[bytes], out: Path, timeout: float = 60
) -> None:
    """Until Prometheus has scraped API traffic from the service (Locust mints tokens, then ramps up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if locust.poll() is not None:
            raise RuntimeError(
                f"Locust exited {locust.returncode} before sending traffic; see {out / 'locust.log'}"
            )
        with contextlib.suppress(Exception):
            if observer.range('sum(http_requests_total{route=~"/api/.*"})', time.time() - 1, time.time(), 1):
                return
        time.sleep(0.5)
    raise RuntimeError(f"no API traffic reached Prometheus within {timeout:g}s; see {out / 'locust.log'}")


def _judge(
    result: ScenarioResult, scenario: AlertScenario, observer: Observer, timing: Timing, detect_s: float
) -> None:
    step = max(0.25, timing.interval_s / 4)
    intervals = observer.intervals(result.started_at - 1, result.ended_at, step)
    result.intervals = [asdict(i) for i in intervals]
    mine = [i for i in intervals if i.alert == scenario.alert]
    pending = [i for i in mine if i.state == "pending"]
    firing = [i for i in mine if i.state == "firing"]
    failures = result.failures
    early = [i for i in mine if i.first < result.fault_started_at]
    if early:
        at = early[0].first - result.started_at
        failures.append(f"{scenario.alert} was {early[0].state} during the baseline (at {at:.1f}s)")
    if pending:
        result.pending_at = min(i.first for i in pending)
    if firing:
        result.firing_at = min(i.first for i in firing)
        result.last_firing_at = max(i.last for i in firing)
    if result.pending_at is None and result.firing_at is None:
        failures.append(f"{scenario.alert} never became pending or firing during the fault window")
    elif result.firing_at is None:
        failures.append(f"{scenario.alert} became pending but never firing")
    else:
        lag = None if result.pending_at is None else result.pending_at - result.fault_started_at
        if lag is not None and lag > detect_s + step:
            failures.append(
                f"{scenario.alert} became pending {lag:.1f}s after the fault "
                f"(bound: window + recording interval + 2 evaluations = {detect_s:.1f}s)"
            )
        bound = result.for_s + timing.interval_s + step
        pending_at = result.pending_at if result.pending_at is not None else result.fault_started_at
        if result.firing_at - pending_at > bound + 0.001:
            failures.append(
                f"{scenario.alert} fired {result.firing_at - pending_at:.1f}s after becoming pending "
                f"(bound: for + one evaluation = {bound:.1f}s)"
            )
        if result.pending_at is not None and result.firing_at < result.pending_at:
            failures.append(f"{scenario.alert} fired without being pending first")
    notes = observer.notifications()
    mine_notes = [n for n in notes if n["labels"].get("alertname") == scenario.alert]
    firing_notes = [n["received_at"] for n in mine_notes if n["status"] == "firing"]
    resolved_notes = [
        n["received_at"]
        for n in mine_notes
        if n["status"] == "resolved" and n["received_at"] >= result.fault_ended_at
    ]
    if firing_notes:
        result.firing_notified_at = min(firing_notes)
        if result.firing_notified_at < result.fault_started_at:
            failures.append(f"the receiver got {scenario.alert} firing during the baseline")
    elif result.firing_at is not None:
        failures.append(f"Prometheus fired {scenario.alert} but the receiver got no firing notification")
    if resolved_notes:
        result.resolved_notified_at = min(resolved_notes)
    elif result.firing_at is not None:
        failures.append(
            f"{scenario.alert} was not resolved (no resolved notification) after the fault was lifted"
        )
    allowed = {scenario.alert, *scenario.also_allowed}
    others = sorted(
        {i.alert for i in intervals if i.state == "firing" and i.alert not in allowed}
        | {n["labels"].get("alertname", "?") for n in notes if n["labels"].get("alertname") not in allowed}
    )
    result.other_alerts = others
    if others:
        failures.append(f"other alerts fired during the run: {', '.join(others)}")


def _traffic(result: ScenarioResult, scenario: AlertScenario, out: Path) -> None:
    stats = out / "stats_stats.csv"
    if not stats.exists():
        result.failures.append(f"Locust wrote no statistics (see {out / 'locust.log'})")
        return
    with stats.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["Name"] == "Aggregated":
            result.requests = int(row["Request Count"])
            result.errors = int(row["Failure Count"])
        if row["Name"] == "/api/v1/notifications/sms":
            result.sms_sent = int(row["Request Count"])
            result.sms_delivered = result.sms_sent - int(row["Failure Count"])
    if result.requests == 0:
        result.failures.append("Locust sent no request")
    if scenario.all_sms_delivered:
        if not result.sms_sent:
            result.failures.append("no SMS was sent")
        elif result.sms_delivered != result.sms_sent:
            result.failures.append(f"only {result.sms_delivered} of {result.sms_sent} SMS were delivered")


def interval_rows(result: ScenarioResult) -> list[Interval]:
    return [Interval(**i) for i in result.intervals]
