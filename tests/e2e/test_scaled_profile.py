"""``genai-demo up --profile scaled`` as a user starts it (two service workers on PostgreSQL, Redis, the
Kafka mock cluster with two consumers, every simulator), on its own PostgreSQL database and Redis db
number, then proves what scaling out must keep true:

* two workers serve requests: keep-alive connections are pinned to distinct worker pids, read from each
  worker's own prometheus-client file in ``<var-dir>/prometheus-multiproc``;
* ``/metrics`` adds up: whichever worker answers the scrape, it counts the requests of both;
* the rate limit is one count in Redis: a client alternating between the two workers gets exactly
  ``RATELIMIT_DEFAULT`` answers, then 429s (per-process counting would let both workers' budgets through);
* a circuit opened by SNS failures seen in one worker is open in the other, which skips SNS at once;
* both consumers hold partitions of the group (each handles some of the orders' events), a checkout
  reaches PAID, and every order's creation reserved its stock exactly once (redelivered or not);
* and, without a lab, that the supervisor restarts a dead consumer part alone.

Run alone: ``pytest tests/e2e/test_scaled_profile.py -p no:xdist`` (about 45 s on 2 idle cores; most of it
is the lab starting).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import sqlalchemy as sa
from prometheus_client.mmap_dict import MmapedDict

from simulators.kernel.client import SimClient
from simulators.lab.up import CONSUMER_METRICS_PORT
from tests.support import POSTGRES_URL, UpLab, free_offset, require, running_up, start_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REDIS = "redis://127.0.0.1:6379"
LIMIT = 30  # RATELIMIT_DEFAULT per minute, per client
ORDER_STATUS = sa.text("SELECT status FROM orders WHERE id = :id")
PUBLISHED_ORDER_EVENTS = sa.text(
    "SELECT count(*) FROM outbox WHERE aggregate_type = 'order' AND dispatched_at IS NOT NULL"
)


@dataclass
class ScaledLab(UpLab):
    """``genai-demo up --profile scaled`` on its own PostgreSQL database (``database_url``)."""

    database_url: str

    def consumer_metrics(self, n: int) -> str:
        """The Prometheus metrics of consumer ``n`` (0: ``consumer``, 1: ``consumer-2``)."""
        return requests.get(
            f"http://127.0.0.1:{CONSUMER_METRICS_PORT + self.offset + n}/metrics", timeout=5
        ).text


@contextlib.contextmanager
def own_database() -> Iterator[str]:
    """A PostgreSQL database created for this test (dropped after it), as a URL."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"scaled_e2e_{uuid.uuid4().hex[:10]}"
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:
            require("PostgreSQL", f"{POSTGRES_URL}: {type(exc).__name__}")
        try:
            yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        finally:  # also when the lab did not start
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def own_redis_db(prefix: str) -> Iterator[str]:
    """A Redis db number no one uses now (empty), as a URL; this test's keys (``prefix``) go after it."""
    try:
        redis.Redis.from_url(REDIS, socket_timeout=2).ping()
    except redis.RedisError as exc:
        require("Redis", f"{REDIS}: {type(exc).__name__}")
    numbers = list(range(1, 16))
    random.shuffle(numbers)
    number = next(n for n in numbers if redis.Redis.from_url(f"{REDIS}/{n}").dbsize() == 0)
    url = f"{REDIS}/{number}"
    try:
        yield url
    finally:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)


def start(tmp: Path, database_url: str, redis_url: str, prefix: str) -> ScaledLab | None:
    """``genai-demo up --profile scaled`` until its table is printed; None when a port was taken."""
    env = {
        **os.environ,
        "RATELIMIT_DEFAULT": f"{LIMIT}/minute",
        "RATELIMIT_KEY_PREFIX": prefix,
        "SMS_CIRCUIT_FAILURE_THRESHOLD": "2",
        "PROVIDER_RETRY_INITIAL_SECONDS": "0.02",
        "PROVIDER_RETRY_MAX_SECONDS": "0.1",
    }
    args = ("--profile", "scaled", "--database-url", database_url, "--redis-url", redis_url)
    # about 25 s on 2 idle cores; far more when they are shared
    up = start_up(tmp, free_offset(), *args, env=env, timeout=150)
    if up is None:
        return None
    return ScaledLab(**{f.name: getattr(up, f.name) for f in fields(up)}, database_url=database_url)


# -------------------------------------------------------------------------------- which worker served


def route_counts(lab: ScaledLab, route: str) -> dict[str, float]:
    """``http_requests_total{route}`` of each worker pid, from its own file (not the merged scrape)."""
    counts: dict[str, float] = {}
    for file in (lab.var / "prometheus-multiproc").glob("counter_*.db"):
        total = 0.0
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(file)):  # type: ignore[no-untyped-call]
            _metric, name, labels, _help = json.loads(key)
            if name == "http_requests_total" and labels.get("route") == route:
                total += value
        counts[file.stem.removeprefix("counter_")] = total
    return counts


def served_by(
    lab: ScaledLab, route: str, session: requests.Session, method: str, path: str, **kwargs: Any
) -> tuple[str, requests.Response]:
    """Make one request on ``session``; return the pid of the worker that served it, and the answer."""
    before = route_counts(lab, route)
    resp = session.request(method, lab.url + path, timeout=30, **kwargs)
    after = route_counts(lab, route)
    [pid] = [p for p, n in after.items() if n > before.get(p, 0.0)]
    return pid, resp


def pinned_sessions(lab: ScaledLab) -> dict[str, requests.Session]:
    """Two keep-alive sessions, each connection held by a different worker: pid -> session."""
    sessions: dict[str, requests.Session] = {}
    for _ in range(40):
        session = requests.Session()
        pid, resp = served_by(lab, "/health/live", session, "GET", "/health/live")
        assert resp.status_code == 200
        if pid in sessions:
            session.close()
        else:
            sessions[pid] = session
        if len(sessions) == 2:
            return sessions
    raise AssertionError(f"every new connection went to the same worker: {sessions}")


def merged_count(session: requests.Session, lab: ScaledLab, route: str) -> float:
    """``http_requests_total{route}`` summed over the scrape ``/metrics`` answers (merged by the worker)."""
    pattern = re.compile(r"^http_requests_total\{([^}]*)\} (\S+)$", re.M)
    text = session.get(lab.url + "/metrics", timeout=5).text
    return sum(float(v) for labels, v in pattern.findall(text) if f'route="{route}"' in labels)


# ------------------------------------------------------------------------------------------ the test


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[ScaledLab]:
    prefix = f"scaled-{uuid.uuid4().hex[:8]}"
    with (
        own_database() as database_url,
        own_redis_db(prefix) as redis_url,
        running_up(lambda n: start(tmp_path / f"try{n}", database_url, redis_url, prefix)) as started,
    ):
        yield started


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.kafka
@pytest.mark.timeout(240)  # the default 120 s is too tight for a whole lab when the machine is shared
def test_the_scaled_profile_shares_state_across_workers_and_consumers(lab: ScaledLab) -> None:
    text = lab.output.read_text()
    assert "  profile:  scaled" in text and "  service:  2 workers" in text
    assert "consumers consumer, consumer-2" in text and "redis:    redis://127.0.0.1:6379/" in text
    workers = pinned_sessions(lab)
    (pid_a, a), (pid_b, b) = workers.items()

    # /metrics adds up: 10 requests on each worker, then a scrape from each sees all 20
    before = merged_count(a, lab, "/health/live")
    per_pid = route_counts(lab, "/health/live")
    for session in (a, b):
        for _ in range(10):
            assert session.get(lab.url + "/health/live", timeout=5).status_code == 200
    assert merged_count(a, lab, "/health/live") == before + 20
    assert merged_count(b, lab, "/health/live") == before + 20
    after = route_counts(lab, "/health/live")
    assert {pid: after[pid] - per_pid[pid] for pid in (pid_a, pid_b)} == {pid_a: 10, pid_b: 10}

    checkout_and_consumers(lab, a)  # first: the consumers' group settles meanwhile
    # b sat idle meanwhile, and the server may have closed its connection: a new one can land on either
    # worker, so each phase below starts from a freshly pinned pair
    for session in (a, b):
        session.close()
    rate_limit_is_shared(lab, *pinned_sessions(lab).values())
    circuit_is_shared(lab, *pinned_sessions(lab).values())


def rate_limit_is_shared(lab: ScaledLab, a: requests.Session, b: requests.Session) -> None:
    """One client alternating between the two workers: LIMIT answers in all, then 429 from both."""
    auth = {"Authorization": f"Bearer {lab.token('cus_ratelimit', 'customer')}"}
    statuses: dict[str, list[int]] = {}
    for n in range(LIMIT + 10):
        session = (a, b)[n % 2]
        pid, resp = served_by(lab, "/api/v1/orders", session, "GET", "/api/v1/orders", headers=auth)
        statuses.setdefault(pid, []).append(resp.status_code)
    assert len(statuses) == 2, "each session stays on its worker"
    every = [code for codes in statuses.values() for code in codes]
    assert every.count(200) == LIMIT and every.count(429) == 10, statuses
    assert all(429 in codes for codes in statuses.values()), statuses


def circuit_is_shared(lab: ScaledLab, a: requests.Session, b: requests.Session) -> None:
    """SNS fails for SMS sent through worker A: its circuit opens; worker B sees it open and skips SNS."""
    admin = {"Authorization": f"Bearer {lab.token('ops-circuit', 'admin')}"}
    aws = SimClient(lab.sim("aws"))
    aws.fault({"operation": "Publish"}, {"type": "status", "status": 500})
    sms = lab.url + "/api/v1/notifications/sms"
    try:
        for n in range(2):
            sent = a.post(
                sms, json={"phone": f"+1415555{2000 + n:04d}", "message": "hi"}, headers=admin, timeout=30
            )
            assert sent.status_code == 201, sent.text
            assert sent.json()["tried"][:1] == ["sns"] and sent.json()["provider"] == "twilio", sent.json()
        providers = b.get(lab.url + "/api/v1/admin/sms/providers", headers=admin, timeout=10).json()["data"]
        sns = next(p for p in providers if p["name"] == "sns")
        assert sns["circuit"]["state"] == "open" and sns["circuit"]["shared"] is True, sns
        sent = b.post(sms, json={"phone": "+14155552099", "message": "hi"}, headers=admin, timeout=30)
        assert sent.status_code == 201 and sent.json()["tried"] == ["twilio"], sent.text
    finally:
        aws.clear_faults()
        aws.close()


def handled(lab: ScaledLab, n: int) -> float:
    pattern = r'^kafka_consumer_messages_total\{outcome="handled",topic="order-events"\} (\S+)$'
    return sum(float(v) for v in re.findall(pattern, lab.consumer_metrics(n), re.M))


def checkout_and_consumers(lab: ScaledLab, session: requests.Session) -> None:
    """Orders of a stocked SKU (their events spread over the partitions by order id) until both consumers
    have handled some, one paid with Stripe: PAID; and each order's ``order.created`` reserved its unit
    exactly once. Kafka delivers at least once: when the group rebalances while a consumer is working (the
    second consumer's join), a message whose offset commit failed is handled again by the partition's next
    owner, and the consumer inbox keeps that second handling without effect."""
    api = lab.url + "/api/v1"
    admin = {"Authorization": f"Bearer {lab.token('ops-stock', 'admin')}"}
    sku = f"SCALED{uuid.uuid4().hex[:8].upper()}"
    stocked = session.put(f"{api}/admin/inventory/{sku}", json={"on_hand": 100}, headers=admin, timeout=10)
    assert stocked.status_code == 200, stocked.text
    # the orders come from several customers in turn: waiting for the group can take more orders than one
    # client's RATELIMIT_DEFAULT allows in a minute
    customers = [f"cus_scaled_{n}" for n in range(6)]
    tokens = {c: {"Authorization": f"Bearer {lab.token(c, 'customer')}"} for c in customers}
    orders: list[str] = []

    def order() -> None:
        customer = customers[len(orders) % len(customers)]
        body = {"customer_ref": customer, "currency": "USD",
                "items": [{"sku": sku, "name": "lab", "quantity": 1, "unit_amount": 1250}]}  # fmt: skip
        created = session.post(api + "/orders", json=body, headers=tokens[customer], timeout=10)
        assert created.status_code == 201, created.text
        orders.append(created.json()["id"])

    for _ in range(12):
        order()
    # the group settles a few seconds after the lab is up (the second consumer's join rebalances it);
    # until both consumers have handled an event, keep ordering: each order's partition is chosen by its id
    deadline = time.monotonic() + 45
    while not all(handled(lab, n) for n in (0, 1)):
        assert time.monotonic() < deadline, [handled(lab, n) for n in (0, 1)]
        order()
        time.sleep(0.5)
    card = {"provider": "stripe", "payment_method": "pm_card_visa"}
    first = tokens[customers[0]]
    paid = session.post(f"{api}/orders/{orders[0]}/payments", json=card, headers=first, timeout=20)
    assert paid.status_code == 201, paid.text
    engine = sa.create_engine(lab.database_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                status = conn.execute(ORDER_STATUS, {"id": orders[0]}).scalar()
                published = conn.execute(PUBLISHED_ORDER_EVENTS).scalar() or 0
            reserved = session.get(f"{api}/admin/inventory/{sku}", headers=admin, timeout=10).json()[
                "reserved"
            ]
            counts = [handled(lab, 0), handled(lab, 1)]
            if status == "PAID" and reserved == len(orders) and all(counts) and sum(counts) >= published:
                break
            assert time.monotonic() < deadline, (status, reserved, published, counts)
            time.sleep(0.2)
    finally:
        engine.dispose()
    time.sleep(1)  # a redelivery still in flight would show now
    after = session.get(f"{api}/admin/inventory/{sku}", headers=admin, timeout=10).json()
    assert after["reserved"] == len(orders), f"each order reserved once: {after}"
    # both consumers hold partitions (each handled events); redeliveries after a rebalance are counted too
    assert all(c > 0 for c in counts) and sum(counts) >= published, (counts, published)


def test_the_supervisor_restarts_each_consumer_on_its_own(tmp_path: Path) -> None:
    """Two parts named as the scaled profile names its consumers (here: small HTTP servers): killing
    ``consumer-2`` restarts it alone; ``consumer`` keeps its process."""
    from reference_service.config import load_settings
    from simulators.lab.up import Lab as Supervisor
    from simulators.lab.up import Part, consumer_name
    from simulators.testing import free_port

    lines: list[str] = []
    lab = Supervisor(load_settings(env={}), var_dir=tmp_path, service_port=free_port(), providers={},
                     ready_timeout=30, echo=lines.append)  # fmt: skip
    for n in range(2):
        port = free_port()
        argv = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", str(tmp_path)]
        lab._spawn(Part(consumer_name(n), argv, port, "/", tmp_path / f"{consumer_name(n)}.log"))
    try:
        for part in lab.parts:
            lab._wait_healthy(part)
        first, second = lab.parts
        assert first.proc is not None and second.proc is not None
        pid_first, pid_second = first.proc.pid, second.proc.pid
        supervisor = threading.Thread(target=lab.wait)
        supervisor.start()
        os.killpg(pid_second, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while "consumer-2 restarted (" not in "\n".join(lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.1)
        lab.request_stop()
        supervisor.join(10)
        restarted = {p.name: p.proc.pid for p in lab.parts if p.proc is not None}
        assert restarted["consumer"] == pid_first and restarted["consumer-2"] != pid_second
        assert not [line for line in lines if line.startswith("consumer ") or "restarting consumer " in line]
    finally:
        lab.stop(grace=2)
