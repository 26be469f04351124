"""Rate-limit scenario: one client, as fast as it can, until the service's per-client limit answers 429.

Every user is the same customer (one token subject, so one rate-limit bucket), with no think time, on
``GET /api/v1/orders?limit=1``. A 429 is the answer under test, so it counts as a success; what is judged is
*where* the 429s begin. When the run ends, the scenario prints and writes (``rate_limit.json`` beside the
CSVs) the measured threshold, the number of 200s the client got, and the number of 200s already counted
when the first 429 arrived; it fails the run (exit 1) unless the 200s equal ``LOAD_RATE_LIMIT`` (default
1000, the service's ``RATELIMIT_DEFAULT``) and no 429 came before the limit was reached (allowing for the
requests the users had in flight). The run ends by itself after 20 429s; keep ``--run-time`` under a minute
(the window is a minute) as the cap for a machine too slow to reach the limit.

    python -m load.run rate_limit --users 4 --run-time 15s --host http://127.0.0.1:8000

Single-process Locust only (the figures are kept in this process).
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, events, task
from locust.runners import WorkerRunner

from load.common.auth import bearer
from load.common.thresholds import Thresholds, enforce

MAX_ERROR_RATE = 0.0
P95_MS = 1000
PATH = "/api/v1/orders?limit=1"
#: the run ends by itself once this many 429s came (a slow machine needs longer to reach the limit)
STOP_AFTER_429S = 20
logger = logging.getLogger(__name__)

enforce(
    events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS)
)  # first: the verdict below may fail it


class Tally:
    """Successes, rejections and how many successes there were when the first 429 came."""

    def __init__(self) -> None:
        self.client = f"cus_rate_limit_{random.getrandbits(40):010x}"
        self.ok = 0
        self.limited = 0
        self.ok_at_first_429: int | None = None
        self.other: dict[int, int] = {}
        self.started = time.monotonic()


TALLY = Tally()


class SameClient(FastHttpUser):
    """One of several connections of the same client (the same token subject)."""

    host = "http://127.0.0.1:8000"

    def on_start(self) -> None:
        self.auth = bearer(TALLY.client, "customer")

    @task
    def list_orders(self) -> None:
        with self.client.get(
            PATH, headers=self.auth, name="GET /api/v1/orders (one client)", catch_response=True
        ) as resp:
            if resp.status_code == 200:
                TALLY.ok += 1
            elif resp.status_code == 429:
                TALLY.limited += 1
                if TALLY.ok_at_first_429 is None:
                    TALLY.ok_at_first_429 = TALLY.ok
                resp.success()  # the answer under test
                if TALLY.limited >= STOP_AFTER_429S and self.environment.runner is not None:
                    self.environment.runner.quit()  # the threshold is found: no need to wait for --run-time
            else:
                TALLY.other[resp.status_code] = TALLY.other.get(resp.status_code, 0) + 1
                resp.failure(f"unexpected {resp.status_code}: {str(resp.text)[:200]}")


@events.quitting.add_listener
def _verdict(environment: Any, **_kwargs: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    limit = int(os.environ.get("LOAD_RATE_LIMIT", "1000"))
    in_flight = max(1, environment.runner.user_count if environment.runner else 1)
    figures = {
        "limit": limit,
        "measured_threshold": TALLY.ok,
        "ok_when_first_429": TALLY.ok_at_first_429,
        "rejected_429": TALLY.limited,
        "other_statuses": TALLY.other,
        "seconds": round(time.monotonic() - TALLY.started, 1),
    }
    text = json.dumps(figures, indent=2)
    print(f"rate_limit figures:\n{text}", flush=True)
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        Path(f"{Path(prefix).parent}/rate_limit.json").write_text(text + "\n", encoding="utf-8")
    problems = []
    if TALLY.ok != limit:
        problems.append(f"the client got {TALLY.ok} answers before the limit, not {limit}")
    if TALLY.ok_at_first_429 is None:
        problems.append("no 429 at all: the run did not reach the limit")
    elif TALLY.ok_at_first_429 < limit - in_flight:
        problems.append(f"a 429 came after only {TALLY.ok_at_first_429} answers (limit {limit})")
    for problem in problems:
        logger.error("rate_limit: %s", problem)
    if problems:
        environment.process_exit_code = 1
