"""The per-provider circuit breaker: opens after N consecutive failures, half-opens after the cool-down
with a single probe, closes on a successful probe and reopens on a failed one."""

from __future__ import annotations

from reference_service.adapters.circuit_breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, changes: list[tuple[str, str]] | None = None) -> CircuitBreaker:
    def on_change(name: str, state: str) -> None:
        if changes is not None:
            changes.append((name, state))

    return CircuitBreaker("sns", 3, 30.0, clock=clock, on_change=on_change)


def test_it_opens_after_the_threshold_of_consecutive_failures() -> None:
    clock, changes = Clock(), []  # type: ignore[var-annotated]
    b = breaker(clock, changes)
    for _ in range(2):
        assert b.allow()
        b.record_failure()
    assert b.state == CLOSED
    b.record_success()  # a success resets the count
    for _ in range(2):
        b.record_failure()
    assert b.state == CLOSED and b.allow()
    b.record_failure()
    assert b.state == OPEN and not b.allow() and not b.available()
    assert changes == [("sns", OPEN)]
    assert b.snapshot()["open_for_seconds"] == 30.0 and b.snapshot()["times_opened"] == 1


def test_after_the_cool_down_one_probe_goes_through_and_a_success_closes_it() -> None:
    clock = Clock()
    b = breaker(clock)
    for _ in range(3):
        b.record_failure()
    clock.now += 29.9
    assert not b.allow()
    clock.now += 0.1
    assert b.state == HALF_OPEN and b.available()
    assert b.allow()  # the probe
    assert not b.allow() and not b.available()  # others wait for its verdict
    b.record_success()
    assert b.state == CLOSED and b.allow()


def test_a_failed_probe_reopens_it_for_another_cool_down() -> None:
    clock = Clock()
    b = breaker(clock)
    for _ in range(3):
        b.record_failure()
    clock.now += 30
    assert b.allow()
    b.record_failure()
    assert b.state == OPEN and not b.allow()
    assert b.snapshot()["times_opened"] == 2
    clock.now += 30
    assert b.allow()


def test_a_probe_without_a_verdict_releases_the_slot_and_reset_closes_it() -> None:
    clock = Clock()
    b = breaker(clock)
    for _ in range(3):
        b.record_failure()
    clock.now += 30
    assert b.allow()
    b.release()
    assert b.allow()
    b.reset()
    assert b.state == CLOSED and b.snapshot()["consecutive_failures"] == 0
