"""SMS failover scenario: steady SMS traffic while the AWS simulator's control API takes SNS down and
brings it back.

Each simulated user sends SMS (``POST /api/v1/notifications/sms``) to fresh valid US numbers with a short
think time. A controller greenlet (on the master, or the local runner) splits the run into three phases
by adding and removing a fault on the AWS simulator (``/_sim/faults``, match ``operation=Publish``,
``status 503``): **sns up** (first 25 % of the run), **sns down** (next 35 %) and **sns back** (the rest).
Requests are named by phase (``POST /api/v1/notifications/sms [sns down]``), so Locust's table gives the
latency of each phase, and each answer is classified by the providers it went through:

- ``direct``: ``tried == ["sns"]``;
- ``failover``: ``tried == ["sns", "twilio"]`` (SNS failed, Twilio took it: the failover's cost);
- ``circuit``: ``tried == ["twilio"]`` (SNS's circuit was open: skipped at no cost);
- ``probe``: the first SNS success after the outage (the half-open probe closing the circuit).

At the end it prints and writes (``sms_failover.json`` next to the CSV files) the delivery success rate
overall and during the outage, requests/s, and the added latency of failover: p50/p95 of ``failover``
(and of ``circuit``) minus those of ``direct`` in the *sns up* phase (the clean baseline: later phases
also carry Twilio's status callbacks, four per SMS, which the service writes).

Thresholds (enforced by the ``quitting`` listeners, like ``orders.py``):

- ``MAX_ERROR_RATE = 0.0``: every SMS is delivered while one provider is up (100 % success);
- ``P95_MS = 500``: p95 of all requests, failovers included;
- the run fails too if no SMS failed over (the outage did not happen) or none went through SNS again
  after it (the circuit never recovered: make the run longer than SMS_CIRCUIT_RESET_SECONDS + 40 %).

Run it against a lab (``genai-demo up``)::

    python -m load.run sms_failover --users 10 --run-time 60s
    LOAD_AWS_SIM_URL=http://127.0.0.1:12215 python -m load.run sms_failover --host http://127.0.0.1:8100

``LOAD_AWS_SIM_URL`` (default ``http://127.0.0.1:12115``) is the AWS simulator the controller faults;
``LOAD_THINK_TIME_S`` overrides the think time (``0.05-0.2``).
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import gevent
import phonenumbers
from locust import FastHttpUser, events, task
from locust.runners import MasterRunner, WorkerRunner

from load.common.auth import bearer
from load.common.thresholds import Thresholds, enforce
from simulators.kernel.client import SimClient

logger = logging.getLogger(__name__)

MAX_ERROR_RATE = 0.0
P95_MS = 500
THINK_TIME_S = (0.05, 0.2)
#: share of the run in each phase: sns up, sns down, sns back
PHASES = (("sns up", 0.25), ("sns down", 0.35), ("sns back", 0.40))
SMS = "/api/v1/notifications/sms"
FAULT = {"match": {"operation": "Publish"}, "action": {"type": "status", "status": 503}}

enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))


class Recorder:
    """Latencies (ms) by phase and route class, and failures by phase, for this process."""

    def __init__(self) -> None:
        self.phase = PHASES[0][0]
        self.latencies: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.failures: dict[str, int] = defaultdict(int)
        self.requests: dict[str, int] = defaultdict(int)
        self.started = time.monotonic()
        self.seen_failover = False

    def record(self, phase: str, route: str | None, ms: float) -> None:
        self.requests[phase] += 1
        if route is None:
            self.failures[phase] += 1
            return
        if route == "failover":
            self.seen_failover = True
        elif route == "direct" and self.seen_failover and not self.latencies[phase].get("probe"):
            route = "probe"  # the first SNS success after the outage: the half-open probe
        self.latencies[phase][route].append(ms)

    def to_json(self) -> dict[str, Any]:
        return {
            "latencies": {p: dict(r) for p, r in self.latencies.items()},
            "failures": dict(self.failures),
            "requests": dict(self.requests),
        }

    def merge(self, data: dict[str, Any]) -> None:
        for phase, routes in data.get("latencies", {}).items():
            for route, values in routes.items():
                self.latencies[phase][route].extend(values)
        for phase, n in data.get("failures", {}).items():
            self.failures[phase] += n
        for phase, n in data.get("requests", {}).items():
            self.requests[phase] += n


RECORDER = Recorder()


def classify(tried: list[str]) -> str:
    if tried == ["sns"]:
        return "direct"
    if tried == ["sns", "twilio"]:
        return "failover"
    if tried == ["twilio"]:
        return "circuit"
    return "+".join(tried) or "none"


def phone_numbers(rng: random.Random, count: int = 200) -> list[str]:
    """Valid US numbers (checked with libphonenumber, as the service does)."""
    numbers: list[str] = []
    while len(numbers) < count:
        candidate = f"+1415{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            numbers.append(candidate)
    return numbers


def think_time(override: str | None) -> tuple[float, float]:
    if not override:
        return THINK_TIME_S
    low, _, high = override.partition("-")
    return float(low), float(high or low)


class SmsSender(FastHttpUser):
    """A backend job sending transactional SMS at a steady pace."""

    host = "http://127.0.0.1:8000"

    def wait_time(self) -> float:
        return self.rng.uniform(*self.think)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.think = think_time(os.environ.get("LOAD_THINK_TIME_S"))
        self.numbers = phone_numbers(self.rng, 50)
        # a backend job is a machine client: the service role, its own subject per user
        self.auth = bearer(f"svc_sms_job_{self.rng.getrandbits(32):08x}", "service")

    @task
    def send_sms(self) -> None:
        phase = RECORDER.phase
        body = {
            "phone": self.rng.choice(self.numbers),
            "message": f"Your code is {self.rng.randint(0, 999999):06d}",
        }
        started = time.perf_counter()
        with self.client.post(
            SMS, json=body, headers=self.auth, name=f"{SMS} [{phase}]", catch_response=True
        ) as resp:
            ms = (time.perf_counter() - started) * 1000
            if resp.status_code != 201:
                resp.failure(f"expected 201, got {resp.status_code}: {str(resp.text)[:200]}")
                RECORDER.record(phase, None, ms)
                return
            try:
                answer = resp.json()
                provider, tried = answer["provider"], answer["tried"]
            except (ValueError, KeyError, TypeError):
                resp.failure("the answer is not a notification")
                RECORDER.record(phase, None, ms)
                return
            if provider not in ("sns", "twilio") or provider != tried[-1]:
                resp.failure(f"taken by {provider!r} after {tried!r}")
                RECORDER.record(phase, None, ms)
                return
            RECORDER.record(phase, classify(tried), ms)


# -- the outage controller ---------------------------------------------------------------------------------


def _set_phase(environment: Any, phase: str) -> None:
    RECORDER.phase = phase
    if isinstance(environment.runner, MasterRunner):
        environment.runner.send_message("sms_phase", phase)
    logger.info("phase: %s", phase)


def _controller(environment: Any, sim: SimClient, run_time: float) -> None:
    rule_id = None
    try:
        for phase, share in PHASES:
            if phase == "sns down":
                rule_id = sim.fault(FAULT["match"], FAULT["action"], description="sms_failover outage")["id"]
            elif rule_id is not None:
                sim.delete_fault(rule_id)
                rule_id = None
            _set_phase(environment, phase)
            gevent.sleep(run_time * share)
    finally:
        if rule_id is not None:
            sim.delete_fault(rule_id)


@events.init.add_listener
def _on_init(environment: Any, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):

        def on_phase(msg: Any, **_kw: Any) -> None:
            RECORDER.phase = msg.data

        environment.runner.register_message("sms_phase", on_phase)


@events.test_start.add_listener
def _on_start(environment: Any, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    run_time = float(getattr(options, "run_time", None) or 60)
    sim = SimClient(os.environ.get("LOAD_AWS_SIM_URL", "http://127.0.0.1:12115"))
    sim.clear_faults()
    RECORDER.started = time.monotonic()
    environment.sms_controller = gevent.spawn(_controller, environment, sim, run_time)


@events.report_to_master.add_listener
def _report(client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
    data["sms_failover"] = RECORDER.to_json()
    fresh = Recorder()
    fresh.phase = RECORDER.phase
    fresh.seen_failover = RECORDER.seen_failover
    RECORDER.latencies, RECORDER.failures, RECORDER.requests = fresh.latencies, fresh.failures, fresh.requests


@events.worker_report.add_listener
def _merge(client_id: str, data: dict[str, Any], **_kwargs: Any) -> None:
    RECORDER.merge(data.get("sms_failover", {}))


# -- the report --------------------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def summary(recorder: Recorder, elapsed: float) -> dict[str, Any]:
    """The scenario's figures (success rates, requests/s, the added latency of failover)."""
    routes: dict[str, list[float]] = defaultdict(list)
    for by_route in recorder.latencies.values():
        for route, values in by_route.items():
            routes[route].extend(values)
    total = sum(recorder.requests.values())
    failed = sum(recorder.failures.values())
    down = recorder.requests.get("sns down", 0)
    down_failed = recorder.failures.get("sns down", 0)
    figures: dict[str, Any] = {
        "requests": total,
        "failures": failed,
        "success_rate": (total - failed) / total if total else 0.0,
        "success_rate_during_outage": (down - down_failed) / down if down else 0.0,
        "requests_per_second": round(total / elapsed, 1) if elapsed else 0.0,
        "by_route": {
            route: {"count": len(v), "p50_ms": _pct(v, 0.5), "p95_ms": _pct(v, 0.95)}
            for route, v in routes.items()
        },
        "by_phase": {
            phase: {route: len(v) for route, v in by_route.items()}
            for phase, by_route in recorder.latencies.items()
        },
    }
    # the baseline is SNS taking SMS before the outage (later, Twilio's status callbacks load the service)
    baseline = recorder.latencies.get(PHASES[0][0], {}).get("direct") or routes.get("direct", [])
    figures["baseline_direct_ms"] = {"p50": _pct(baseline, 0.5), "p95": _pct(baseline, 0.95)}
    for route in ("failover", "circuit"):
        values = routes.get(route, [])
        if baseline and values:
            figures[f"{route}_added_ms"] = {
                "p50": round(statistics.median(values) - statistics.median(baseline), 1),
                "p95": round(_pct(values, 0.95) - _pct(baseline, 0.95), 1),
            }
    return figures


@events.quitting.add_listener
def _on_quit(environment: Any, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    figures = summary(RECORDER, time.monotonic() - RECORDER.started)
    text = json.dumps(figures, indent=2)
    print(f"sms_failover figures:\n{text}", flush=True)
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        Path(f"{Path(prefix).parent}/sms_failover.json").write_text(text + "\n", encoding="utf-8")
    problems = []
    if not figures["by_route"].get("failover"):
        problems.append("no SMS failed over: the SNS outage did not happen (is LOAD_AWS_SIM_URL right?)")
    back = RECORDER.latencies.get("sns back", {})
    if not (back.get("direct") or back.get("probe")):
        problems.append("no SMS went through SNS after the outage: the circuit did not recover in time")
    if figures["requests"] and figures["success_rate_during_outage"] < 1.0:
        problems.append(f"success rate during the outage {figures['success_rate_during_outage']:.2%} < 100%")
    for problem in problems:
        logger.error("sms_failover: %s", problem)
    if problems:
        environment.process_exit_code = 1
