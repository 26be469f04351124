"""The relay with a batching publisher: a record is sent only on its delivery report, a broker outage
never dead-letters a record (and the loop backs off), and other subscribers' errors still count."""

from __future__ import annotations

from reference_service.domain.events import Event
from reference_service.service_layer.handlers.events import PUBLISHER
from reference_service.service_layer.messagebus import MessageBus, Subscriber
from reference_service.service_layer.outbox import OutboxRelay
from tests.fakes import FakeOutboxStore, FixedClock
from tests.unit.test_outbox_relay import created


class Delivery:
    def __init__(self, error: Exception | None) -> None:
        self.error = error
        self.waited = False

    def wait(self, timeout: float) -> None:
        self.waited = True
        if self.error is not None:
            raise self.error


class ReportingPublisher:
    """Returns a pending delivery whose report is ``next_error`` (None: acknowledged)."""

    def __init__(self) -> None:
        self.next_error: Exception | None = None
        self.deliveries: list[Delivery] = []

    def __call__(self, event: Event) -> Delivery:
        delivery = Delivery(self.next_error)
        self.deliveries.append(delivery)
        return delivery


def relay_with(*subs: Subscriber) -> tuple[OutboxRelay, FakeOutboxStore, FixedClock]:
    store, clock = FakeOutboxStore(), FixedClock()
    relay = OutboxRelay(store, MessageBus({}, {Event: list(subs)}), clock, max_attempts=2, base_backoff=1.0)
    return relay, store, clock


def test_a_record_is_marked_sent_only_when_its_delivery_report_arrives() -> None:
    publisher = ReportingPublisher()
    relay, store, clock = relay_with(Subscriber(PUBLISHER, publisher))
    ids = [store.add(created(f"ord_{n}"), clock.now()) for n in range(3)]
    assert relay.drain() == 3
    assert all(d.waited for d in publisher.deliveries)
    assert all(store.records[i]["dispatched_at"] for i in ids) and not relay.broker_down


def test_a_broker_outage_keeps_records_never_dead_and_the_relay_backs_off() -> None:
    publisher = ReportingPublisher()
    publisher.next_error = ConnectionError("broker down")
    relay, store, clock = relay_with(Subscriber(PUBLISHER, publisher))
    rid = store.add(created(), clock.now())
    for _ in range(5):  # well past max_attempts=2
        relay.drain()
        assert relay.broker_down
        clock.advance(relay.outage_retry_seconds)
    record = store.records[rid]
    assert record["dead"] is False and record["dispatched_at"] is None and record["attempts"] == 5
    publisher.next_error = None
    relay.drain()
    assert store.records[rid]["dispatched_at"] and not relay.broker_down


def test_a_rejected_publish_and_other_subscribers_connection_errors_still_dead_letter() -> None:
    publisher = ReportingPublisher()
    publisher.next_error = RuntimeError("message too large")

    def mailer(event: Event) -> None:
        raise ConnectionError("smtp refused")

    relay, store, clock = relay_with(Subscriber(PUBLISHER, publisher), Subscriber("mailer", mailer))
    rid = store.add(created(), clock.now())
    relay.drain()
    clock.advance(10)
    relay.drain()
    assert store.records[rid]["dead"] is True and not relay.broker_down
