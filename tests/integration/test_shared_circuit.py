"""Circuit breakers shared through Redis: what one worker learns about a provider, every worker knows.

Each ``RedisCircuitBreaker`` here stands for one service process; two on the same key behave as two
workers. The shared clock is driven by the test (in production it is Redis's ``TIME``)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from reference_service.adapters.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from reference_service.adapters.shared_circuit import RedisCircuitBreaker
from reference_service.bootstrap import bootstrap
from reference_service.config import Settings
from tests.support import require

REDIS_URL = "redis://127.0.0.1:6379"
RESET = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    r = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    try:
        r.ping()
    except redis.RedisError as exc:
        require("Redis", f"{REDIS_URL}: {type(exc).__name__}")
    yield r
    r.close()


@pytest.fixture
def workers(client: redis.Redis) -> Iterator[tuple[Clock, Callable[[], RedisCircuitBreaker]]]:
    """``(clock, new_worker)``: each call makes another process's view of one shared SNS circuit."""
    clock, namespace = Clock(), f"test-{uuid.uuid4().hex[:12]}"

    def new_worker() -> RedisCircuitBreaker:
        return RedisCircuitBreaker(client, namespace, "sns", 3, RESET, shared_clock=clock)

    yield clock, new_worker
    client.delete(f"{namespace}:circuit:sns")


pytestmark = pytest.mark.redis


def test_failures_seen_by_one_worker_open_the_circuit_for_all(
    workers: tuple[Clock, Callable[[], RedisCircuitBreaker]],
) -> None:
    _, new_worker = workers
    a, b = new_worker(), new_worker()
    a.record_failure()
    b.record_failure()  # consecutive failures add up across workers
    assert a.state == CLOSED and b.allow()
    a.record_failure()
    assert b.state == OPEN and not b.allow() and not b.available()
    assert b.snapshot() == {
        "state": OPEN,
        "consecutive_failures": 3,
        "failure_threshold": 3,
        "reset_seconds": RESET,
        "open_for_seconds": RESET,
        "times_opened": 1,
        "shared": True,
    }


def test_after_the_cool_down_exactly_one_worker_probes(
    workers: tuple[Clock, Callable[[], RedisCircuitBreaker]],
) -> None:
    clock, new_worker = workers
    views = [new_worker() for _ in range(4)]
    for _ in range(3):
        views[0].record_failure()
    clock.now += RESET - 0.001
    assert not any(v.allow() for v in views)  # still open a millisecond before the end
    clock.now += 0.001
    assert views[1].state == HALF_OPEN
    admitted: list[bool] = []
    threads = [
        threading.Thread(target=lambda v=v: admitted.extend(v.allow() for _ in range(5))) for v in views
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert admitted.count(True) == 1  # one probe among 20 concurrent calls from 4 workers


def test_a_failed_probe_reopens_and_a_successful_one_closes_for_everyone(
    workers: tuple[Clock, Callable[[], RedisCircuitBreaker]],
) -> None:
    clock, new_worker = workers
    a, b = new_worker(), new_worker()
    for _ in range(3):
        a.record_failure()
    clock.now += RESET
    assert b.allow()
    b.record_failure()  # the probe failed: open for another cool-down
    assert a.state == OPEN and a.snapshot()["times_opened"] == 2
    clock.now += RESET
    assert a.allow()
    a.record_success()
    assert b.state == CLOSED and b.allow() and b.snapshot()["consecutive_failures"] == 0


def test_a_probe_whose_worker_died_is_not_waited_for_forever(
    workers: tuple[Clock, Callable[[], RedisCircuitBreaker]],
) -> None:
    clock, new_worker = workers
    a, b = new_worker(), new_worker()
    for _ in range(3):
        a.record_failure()
    clock.now += RESET
    assert a.allow()  # a takes the probe, then its process is killed: no verdict ever comes
    assert not b.allow()
    clock.now += RESET  # the probe's lease has ended
    assert b.allow()


def test_state_changes_reach_each_workers_gauge(
    workers: tuple[Clock, Callable[[], RedisCircuitBreaker]], client: redis.Redis
) -> None:
    _, new_worker = workers
    seen: list[str] = []
    a = new_worker()
    b = RedisCircuitBreaker(
        client,
        a.key.split(":circuit:")[0],
        "sns",
        3,
        RESET,
        shared_clock=workers[0],
        on_change=lambda _name, state: seen.append(state),
    )
    for _ in range(3):
        a.record_failure()
    assert not b.allow() and seen == [OPEN]  # b learnt of a's transition at its next call
    b.reset()
    assert a.state == CLOSED and seen == [OPEN, CLOSED]


def test_without_redis_each_process_keeps_its_own_state_and_nothing_fails(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = redis.Redis.from_url("redis://127.0.0.1:1", socket_timeout=0.2, socket_connect_timeout=0.2)
    breaker = RedisCircuitBreaker(down, "test", "sns", 2, RESET)
    assert breaker.allow()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == OPEN and not breaker.allow()
    assert breaker.snapshot()["shared"] is False
    assert sum("using this process's own circuit state" in r.getMessage() for r in caplog.records) == 1


def test_the_service_shares_circuits_when_redis_is_configured(settings: Settings) -> None:
    assert settings.circuit_breaker_redis_url is None  # memory:// rate limits: per process
    on_redis = settings.model_copy(update={"ratelimit_storage_uri": REDIS_URL})
    assert on_redis.circuit_breaker_redis_url == REDIS_URL
    forced_local = on_redis.model_copy(update={"circuit_breaker_storage_uri": "memory://"})
    assert forced_local.circuit_breaker_redis_url is None
    container = bootstrap(on_redis)
    try:
        breakers = container.notifications.breakers
        assert breakers and all(isinstance(b, RedisCircuitBreaker) for b in breakers.values())
    finally:
        container.close()
    local = bootstrap(settings)
    try:
        assert all(type(b) is CircuitBreaker for b in local.notifications.breakers.values())
    finally:
        local.close()
