"""The service's own infrastructure fails mid-storm: Redis (rate limit and circuit breakers) is killed,
and PostgreSQL drops every connection of the service, again and again. Requests never get a 500;
what is refused is a retryable 503; every order ends PAID and no row is half-written."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from simulators.testing import free_port
from tests.auth import auth_issuer
from tests.chaos.storm import CHECKOUTS, checkout_storm, drain, report_storm, settle, tally
from tests.support import POSTGRES_URL, postgres_schema_url
from tests.support_lab import run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos]


@contextlib.contextmanager
def private_redis(tmp: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test's own (the machine's shared one must not be killed)."""
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_timeout=0.5).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)
    try:
        yield url, proc
    finally:
        proc.kill()
        proc.wait(5)


def metric(lab_url: str, name: str) -> float:
    text = auth_issuer().session("admin").get(f"{lab_url}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{"))


def test_redis_killed_mid_storm(tmp_path: Path) -> None:
    with private_redis(tmp_path) as (url, proc):
        env = {"RATELIMIT_STORAGE_URI": url, "RATELIMIT_KEY_PREFIX": f"chaos-{uuid.uuid4().hex[:8]}"}
        with run_lab(tmp_path, ["stripe"], service_env=env) as lab:

            def kill_redis(created: int) -> None:
                if created == CHECKOUTS // 3:
                    proc.send_signal(signal.SIGKILL)

            storm = checkout_storm(lab.url, on_progress=kill_redis)
            stripe = lab.sim("stripe")
            statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
            webhooks = tally(drain(stripe))
            storage_errors = metric(lab.url, "ratelimit_storage_errors_total")
            report_storm(
                "redis-killed",
                CHECKOUTS,
                statuses,
                storm,
                webhooks,
                rate_limit_storage_errors=storage_errors,
            )
            assert proc.poll() is not None  # Redis really was gone for the second half
            assert statuses == {"PAID": CHECKOUTS}, statuses
            assert set(storm.answers) <= {"201", "409"}, storm.answers  # "open" policy: served, no 500
            assert storage_errors > 0  # and the outage was counted (alert RateLimitStorageDown)
            assert webhooks["deliveries"] == webhooks.get("succeeded") == CHECKOUTS, webhooks


@pytest.mark.postgres
def test_postgresql_drops_the_services_connections_mid_storm(tmp_path: Path) -> None:
    name = f"chaos-{uuid.uuid4().hex[:10]}"
    with postgres_schema_url() as url:
        env = {"DATABASE_URL": f"{url}&application_name={name}"}
        with run_lab(tmp_path, ["stripe"], service_env=env) as lab:
            admin = sa.create_engine(POSTGRES_URL)
            stop, sweeps = threading.Event(), []

            def sweep() -> None:  # terminate every connection of the service, every 0.5 s
                while not stop.wait(0.5):
                    with admin.connect() as conn:
                        killed = conn.execute(
                            sa.text(
                                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE application_name = :n"
                            ),
                            {"n": name},
                        ).scalar_one()
                    sweeps.append(int(killed))

            sweeper = threading.Thread(target=sweep, daemon=True)
            sweeper.start()
            try:
                storm = checkout_storm(lab.url)
            finally:
                stop.set()
                sweeper.join(10)
            stripe = lab.sim("stripe")
            statuses = settle(lab.url, storm.order_ids, lambda seconds: stripe.advance(seconds))
            webhooks = tally(drain(stripe))
            schema = url.rsplit("search_path%3D", 1)[1]
            with admin.connect() as conn:
                payments = conn.execute(sa.text(f'SELECT order_id, status FROM "{schema}".payments')).all()
            admin.dispose()
            report_storm(
                "postgres-connections-dropped",
                CHECKOUTS,
                statuses,
                storm,
                webhooks,
                connections_terminated=sum(sweeps),
            )
            assert sum(sweeps) > 0, "no connection was ever terminated: the case tested nothing"
            assert statuses == {"PAID": CHECKOUTS}, statuses
            assert "500" not in storm.answers, storm.answers
            # no half-written checkout: one payment per order, each succeeded
            succeeded = [order for order, status in payments if status == "SUCCEEDED"]
            assert sorted(succeeded) == sorted(storm.order_ids), payments
            assert webhooks["deliveries"] == webhooks.get("succeeded") == CHECKOUTS, webhooks
