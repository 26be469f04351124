"""The outbox relay: at-least-once delivery, per-subscriber progress, backoff and dead letters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reference_service.domain.events import Event, OrderCreated
from reference_service.service_layer.messagebus import MessageBus, Subscriber
from reference_service.service_layer.outbox import OutboxRelay
from tests.fakes import FakeOutboxStore, FixedClock


def created(order_id: str = "ord_1") -> OrderCreated:
    return OrderCreated(
        order_id=order_id,
        customer_ref="c",
        currency="USD",
        total_amount=1,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class Recorder:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.seen: list[str] = []

    def __call__(self, event: Event) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("boom")
        self.seen.append(event.event_id)


def relay_with(*subs: Subscriber, max_attempts: int = 3) -> tuple[OutboxRelay, FakeOutboxStore, FixedClock]:
    store, clock = FakeOutboxStore(), FixedClock()
    bus = MessageBus({}, {Event: list(subs)})
    return OutboxRelay(store, bus, clock, max_attempts=max_attempts, base_backoff=1.0), store, clock


def test_each_event_reaches_every_subscriber_in_commit_order() -> None:
    a, b = Recorder(), Recorder()
    relay, store, clock = relay_with(Subscriber("a", a), Subscriber("b", b))
    events = [created(f"ord_{n}") for n in range(3)]
    for ev in events:
        store.add(ev, clock.now())
    assert relay.drain() == 3
    assert a.seen == b.seen == [e.event_id for e in events]
    assert store.stats() == {"pending": 0, "dead": 0}
    assert relay.drain() == 0  # nothing dispatched twice


def test_a_failing_subscriber_is_retried_with_backoff_and_the_others_are_not_repeated() -> None:
    ok, flaky = Recorder(), Recorder(failures=1)
    relay, store, clock = relay_with(Subscriber("ok", ok), Subscriber("flaky", flaky))
    rid = store.add(created(), clock.now())
    relay.drain()
    assert ok.seen and not flaky.seen
    record = store.records[rid]
    assert record["attempts"] == 1 and "flaky: RuntimeError: boom" in str(record["last_error"])
    assert relay.drain() == 0  # not due yet: backoff 1 s
    clock.advance(1.0)
    relay.drain()
    assert len(ok.seen) == 1 and len(flaky.seen) == 1  # ok was not called again
    assert store.stats()["pending"] == 0


def test_exhausted_retries_dead_letter_the_record() -> None:
    relay, store, clock = relay_with(Subscriber("down", Recorder(failures=99)), max_attempts=3)
    rid = store.add(created(), clock.now())
    for _ in range(5):
        relay.drain()
        clock.advance(60)
    assert store.records[rid]["dead"] is True and store.records[rid]["attempts"] == 3
    assert store.stats() == {"pending": 0, "dead": 1}


def test_a_leased_record_is_not_claimed_twice_until_its_lease_expires() -> None:
    relay, store, clock = relay_with(Subscriber("a", Recorder()))
    store.add(created(), clock.now())
    assert len(store.claim("dead-relay", 10, clock.now(), 30)) == 1  # a relay that dies holding the lease
    assert relay.drain() == 0
    clock.advance(31)
    assert relay.drain() == 1  # the lease expired: the event is not lost


def test_an_undecodable_record_is_dead_lettered_not_retried_forever() -> None:
    relay, store, clock = relay_with(Subscriber("a", Recorder()))
    rid = store.add(created(), clock.now())
    store.records[rid]["event_type"] = "no.such.event"
    relay.drain()
    assert store.records[rid]["dead"] is True


def test_background_thread_dispatches_after_notify() -> None:
    rec = Recorder()
    relay, store, clock = relay_with(Subscriber("a", rec))
    relay.poll_interval = 30  # only notify can wake it in time
    relay.start()
    try:
        store.add(created(), clock.now())
        relay.notify()
        import time

        deadline = time.monotonic() + 5
        while not rec.seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(rec.seen) == 1
    finally:
        relay.stop()


def test_bus_routes_commands_and_reports_missing_handlers() -> None:
    from reference_service.domain.commands import CancelOrder, CreateOrder

    bus = MessageBus({CancelOrder: lambda cmd: f"cancelled {cmd.order_id}"}, {})
    assert bus.handle(CancelOrder("ord_1")) == "cancelled ord_1"
    with pytest.raises(LookupError, match="CreateOrder"):
        bus.handle(CreateOrder("c", "USD", ()))
    assert bus.describe()["CancelOrder"]
