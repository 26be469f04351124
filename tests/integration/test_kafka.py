"""The service and the consumer on librdkafka's mock cluster (the real Kafka protocol over TCP).

One mock cluster serves the whole module (``kafka_cluster``); each test uses its own consumer group
and SQLite file, and only looks at its own keys, so earlier tests' messages on the shared topics do
no harm. Covered: publish → consume → effect with every message validated against its contract as
read back from the broker; a poison message goes to ``<topic>.DLQ`` with the error in its headers;
a broker outage holds the outbox and loses nothing, keeping per-key order; two consumers of the group
split the partitions and every event has exactly one effect; a consumer killed with SIGKILL mid-batch
and restarted leaves exactly one effect per event (two processes writing one SQLite file).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

import contracts
from reference_service.adapters.kafka_config import consumer_config, producer_config
from reference_service.adapters.kafka_consumer import ConsumerMetrics, EventConsumer
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import Settings, load_settings
from reference_service.domain import commands
from simulators.kafka.cluster import MockCluster
from tests.support import require


@pytest.fixture(scope="module")
def kafka_cluster() -> Iterator[MockCluster]:
    cluster = MockCluster(1)
    yield cluster
    cluster.close()


@pytest.fixture
def kafka_settings(kafka_cluster: MockCluster, tmp_path: Path) -> Settings:
    return load_settings(
        database_url=f"sqlite:///{tmp_path / 'kafka.db'}",
        outbox_relay_enabled=False,
        msk_bootstrap_servers=kafka_cluster.bootstrap_servers,
        kafka_consumer_group=f"test-{uuid.uuid4().hex[:8]}",
        kafka_delivery_timeout_seconds=2.0,
        kafka_retry_backoff_seconds=0.01,
        kafka_session_timeout_seconds=6.0,
    )


@pytest.fixture
def kafka_container(kafka_settings: Settings) -> Iterator[Container]:
    container = bootstrap(kafka_settings)
    yield container
    container.close()


def place_orders(container: Container, sku: str, count: int, on_hand: int) -> list[str]:
    container.bus.handle(commands.SetStock(sku, on_hand))
    ids = []
    for n in range(count):
        item = commands.LineItemSpec(sku, "thing", 1, 100)
        created = container.bus.handle(commands.CreateOrder(f"cus_{n}", "USD", (item,)))
        ids.append(created.value.id)
    return ids


def consume_until(
    settings: Settings, container: Container, done: Callable[[EventConsumer], bool], timeout: float = 20.0
) -> EventConsumer:
    worker = EventConsumer(
        consumer_config(settings),
        producer_config(settings),
        container.consumer_bus,
        ["order-events"],
        attempts=2,
        backoff_seconds=0.01,
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while not done(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(15)
    assert done(worker), "the consumer did not finish in time"
    return worker


def reserved(container: Container, sku: str) -> int:
    with container.read_uow() as uow:
        level = uow.inventory.get(sku)
    return level.reserved if level else -1


def read_topic(
    bootstrap: str, topic: str, keys: set[str], expect: int, timeout: float = 15.0
) -> list[object]:
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
    reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])  # no group join
    found = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < expect and time.monotonic() < deadline:
            msg = reader.poll(0.5)
            if msg is None or msg.error() is not None:
                continue
            if (msg.key() or b"").decode() in keys:
                found.append(msg)
    finally:
        reader.close()
    return found


def test_published_events_are_consumed_once_and_match_their_contracts(
    kafka_settings: Settings, kafka_container: Container, kafka_cluster: MockCluster
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    order_ids = place_orders(kafka_container, sku, 3, on_hand=10)
    assert kafka_container.relay.drain() == 3
    assert kafka_container.relay.store.stats() == {"pending": 0, "dead": 0}
    consume_until(kafka_settings, kafka_container, lambda _w: reserved(kafka_container, sku) == 3)
    messages = read_topic(kafka_cluster.bootstrap_servers, "order-events", set(order_ids), 3)
    assert len(messages) == 3
    for msg in messages:
        envelope = json.loads(msg.value())  # type: ignore[attr-defined]
        contracts.validate("events/envelope", envelope)
        assert envelope["key"] == msg.key().decode()  # type: ignore[attr-defined]
        assert dict(msg.headers())["event_type"] == b"order.created"  # type: ignore[attr-defined]


def test_a_poison_message_goes_to_the_dead_letter_topic_and_does_not_block(
    kafka_settings: Settings, kafka_container: Container, kafka_cluster: MockCluster
) -> None:
    poison_key = f"poison-{uuid.uuid4().hex[:6]}"
    producer = Producer({"bootstrap.servers": kafka_cluster.bootstrap_servers})
    producer.produce("order-events", key=poison_key.encode(), value=b"{not json")
    producer.flush(10)
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    place_orders(kafka_container, sku, 1, on_hand=5)
    kafka_container.relay.drain()
    worker = consume_until(
        kafka_settings,
        kafka_container,
        lambda w: (
            reserved(kafka_container, sku) == 1 and w.metrics.dlq.labels("order-events")._value.get() >= 1
        ),
    )
    [parked] = read_topic(kafka_cluster.bootstrap_servers, "order-events.DLQ", {poison_key}, 1)
    headers = dict(parked.headers())  # type: ignore[attr-defined]
    assert headers["dlq.subscriber"] == b"decode" and b"JSONDecodeError" in headers["dlq.error"]
    assert headers["dlq.original.topic"] == b"order-events"
    assert worker.metrics.dlq.labels("order-events")._value.get() >= 1


def test_a_broker_outage_holds_the_outbox_and_loses_nothing(
    kafka_settings: Settings, kafka_container: Container, kafka_cluster: MockCluster
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    kafka_cluster.set_down(1)
    try:
        [order_id] = place_orders(kafka_container, sku, 1, on_hand=5)
        kafka_container.bus.handle(commands.CancelOrder(order_id, "changed mind"))
        kafka_container.relay.drain()
        assert kafka_container.relay.broker_down
        assert kafka_container.relay.store.stats() == {"pending": 3, "dead": 0}
    finally:
        kafka_cluster.set_up(1)
    deadline = time.monotonic() + 20
    while kafka_container.relay.store.stats()["pending"] and time.monotonic() < deadline:
        time.sleep(0.3)
        kafka_container.relay.drain()
    assert kafka_container.relay.store.stats() == {"pending": 0, "dead": 0}
    messages = read_topic(kafka_cluster.bootstrap_servers, "order-events", {order_id}, 3)
    types = [json.loads(m.value())["event_type"] for m in messages]  # type: ignore[attr-defined]
    assert types == ["order.created", "order.status_changed", "order.cancelled"]  # per-key order kept
    assert len({m.partition() for m in messages}) == 1  # type: ignore[attr-defined]
    with kafka_container.read_uow() as uow:
        rows = uow.session.execute(  # type: ignore[attr-defined]
            sa.text("SELECT count(*) FROM outbox WHERE dispatched_at IS NOT NULL")
        ).scalar()
    assert rows == 3


def test_two_consumers_split_the_partitions_with_one_effect_per_event(
    kafka_settings: Settings, kafka_container: Container
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    place_orders(kafka_container, sku, 24, on_hand=100)
    kafka_container.relay.drain()
    workers = [
        EventConsumer(
            consumer_config(kafka_settings), producer_config(kafka_settings), kafka_container.consumer_bus,
            ["order-events"], attempts=2, backoff_seconds=0.01,
        )
        for _ in range(2)
    ]  # fmt: skip
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,)) for w in workers]
    for t in threads:
        t.start()
        time.sleep(0.2)
    deadline = time.monotonic() + 30
    while reserved(kafka_container, sku) < 24 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # let any redelivery after the rebalance arrive: the inbox must absorb it
    stop.set()
    for t in threads:
        t.join(15)
    assert reserved(kafka_container, sku) == 24
    with kafka_container.read_uow() as uow:
        reservations = uow.session.execute(  # type: ignore[attr-defined]
            sa.text("SELECT count(*) FROM inventory_reservations WHERE sku = :s"),
            {"s": sku},
        ).scalar()
    assert reservations == 24


def test_a_consumer_killed_mid_batch_and_restarted_leaves_one_effect_per_event(
    kafka_settings: Settings, kafka_container: Container, tmp_path: Path
) -> None:
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    place_orders(kafka_container, sku, 60, on_hand=1000)
    kafka_container.relay.drain()
    env = {
        **os.environ,
        "DATABASE_URL": kafka_settings.database_url,
        "MSK_BOOTSTRAP_SERVERS": kafka_settings.msk_bootstrap_servers or "",
        "KAFKA_CONSUMER_GROUP": kafka_settings.kafka_consumer_group,
        "OUTBOX_POLL_SECONDS": "0.2",
        "KAFKA_SESSION_TIMEOUT_SECONDS": "6",
    }
    argv = [sys.executable, "-m", "reference_service.entrypoints.cli", "consumer"]
    log = (tmp_path / "consumer.log").open("ab")
    first = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while reserved(kafka_container, sku) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)  # mid-batch: some handled, offsets of some not committed
        first.wait(10)
        assert reserved(kafka_container, sku) >= 5
        second = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 40
            while reserved(kafka_container, sku) < 60 and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0  # graceful: finished, committed, left the group
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
    assert reserved(kafka_container, sku) == 60, (tmp_path / "consumer.log").read_text()[-2000:]
    with kafka_container.read_uow() as uow:
        rows = uow.session.execute(  # type: ignore[attr-defined]
            sa.text("SELECT count(*) FROM inventory_reservations WHERE sku = :s"), {"s": sku}
        ).scalar()
    assert rows == 60  # one reservation per order: the redelivered ones were skipped by the inbox


def test_kcat_reads_our_topics_as_an_independent_client(
    kafka_container: Container, kafka_cluster: MockCluster
) -> None:
    kcat = shutil.which("kcat")
    if kcat is None:
        require("kcat", "install Debian's kcat package (make test does this as root)")
    sku = f"SKU-{uuid.uuid4().hex[:6]}"
    [order_id] = place_orders(kafka_container, sku, 1, on_hand=1)
    kafka_container.relay.drain()
    out = subprocess.run(
        [str(kcat), "-b", kafka_cluster.bootstrap_servers, "-C", "-t", "order-events", "-o", "beginning",
         "-e", "-q", "-f", "%k\\t%s\\n"],
        capture_output=True, text=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    ours = [line.split("\t", 1) for line in out.splitlines() if line.startswith(order_id + "\t")]
    assert len(ours) == 1
    envelope = json.loads(ours[0][1])
    contracts.validate("events/envelope", envelope)
    assert envelope["event_type"] == "order.created" and envelope["payload"]["order_id"] == order_id


def test_the_topic_admin_step_tolerates_the_mock_cluster(
    kafka_settings: Settings, kafka_container: Container
) -> None:
    from reference_service.adapters.kafka_topics import ensure_topics

    place_orders(kafka_container, f"SKU-{uuid.uuid4().hex[:6]}", 1, on_hand=1)
    kafka_container.relay.drain()  # order-events exists now (auto-created on first produce)
    outcome = ensure_topics(kafka_settings, timeout=1.0)
    assert outcome["order-events"] == "exists"
    assert set(outcome) == {
        "order-events", "payment-events", "notification-events", "delivery-events",
        "order-events.DLQ", "payment-events.DLQ", "notification-events.DLQ", "delivery-events.DLQ",
    }  # fmt: skip
    assert all(state in ("exists", "auto") for state in outcome.values()), outcome


def test_consumer_lag_comes_from_real_librdkafka_statistics(kafka_cluster: MockCluster) -> None:
    """The gauge behind KafkaConsumerLagHigh reads the fields librdkafka really writes: 30 messages on
    one partition, 10 of them committed, so the consumer holding it is 20 behind. (A partition with no
    committed offset at all reports its lag as unknown, -1, which counts as 0.)"""
    topic = f"lag-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": kafka_cluster.bootstrap_servers})
    for _ in range(30):
        producer.produce(topic, key=b"same-key", value=b"{}", partition=0)
    assert producer.flush(10) == 0
    metrics = ConsumerMetrics()
    consumer = Consumer(
        {
            "bootstrap.servers": kafka_cluster.bootstrap_servers,
            "group.id": f"lag-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "statistics.interval.ms": 200,
            "stats_cb": metrics.on_stats,
        }
    )
    consumer.subscribe([topic])
    committed = 0
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None and committed < 10:
                consumer.commit(message=msg, asynchronous=False)
                committed += 1
            if committed == 10 and metrics.lag.labels(topic)._value.get() == 20:
                break
    finally:
        consumer.close()
    assert committed == 10
    assert metrics.lag.labels(topic)._value.get() == 20
