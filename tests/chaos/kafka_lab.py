"""The lab with Kafka on, for the chaos cases, and the count of every event at the end.

:func:`kafka_lab` starts the parts one by one, the way the other chaos cases do (``run_lab`` for the
Stripe simulator and the service), plus what ``genai-demo up`` adds for Kafka: ``genai-demo sim kafka``
(librdkafka's mock cluster, its own process, control API on a free port) and ``consumers`` processes of
``genai-demo consumer`` in one group. The service and the consumers share a private PostgreSQL schema
(``tests.support.postgres_schema_url``), so several writers never queue on one SQLite file. The storm's SKU
is stocked, so each ``order.created`` has a visible effect: one reservation, ``reserved`` + 1.

:func:`count_events` is the end-of-case count, by topic: rows the outbox marked published, messages in
Kafka (each topic read from the beginning to its high watermark, event ids from the ``event_id`` header),
and for the consumed topic the group's committed offsets, the inbox rows and the reservations. "lost" is
an event published but absent from Kafka, or an ``order.created`` in Kafka without exactly one effect;
"duplicated effects" is a reservation counted twice (``stock_levels.reserved`` above the reservations).
A message in Kafka twice (the relay is at least once: a killed relay's leased rows are produced again)
is reported as ``duplicated_in_kafka``; the inbox makes it harmless, and the count shows that it did.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from reference_service.adapters.kafka_config import TOPICS
from simulators.testing import free_port
from tests.chaos.storm import ORDER
from tests.support import (
    REPO,
    LiveProcess,
    genai_demo_argv,
    postgres_schema_url,
    run_simulator,
    stop_group,
    wait_http,
)
from tests.support_lab import LabHandle, run_lab

GROUP = "chaos-consumer-group"
CONSUMED_TOPIC = "order-events"  # the topic the consumer's handlers read (docs/kafka.md)
#: enough stock that no storm order is rejected: every order.created must reserve
STOCK = 1_000_000

#: Kafka settings that make an outage and a rebalance show within the CI-sized case's seconds
KAFKA_ENV = {
    "KAFKA_CONSUMER_GROUP": GROUP,
    "KAFKA_SESSION_TIMEOUT_SECONDS": "6",  # a SIGKILLed member leaves the group after 6 s
    "KAFKA_DELIVERY_TIMEOUT_SECONDS": "2",  # the relay learns of an outage after 2 s, not 10
    "KAFKA_RETRY_BACKOFF_SECONDS": "0.05",
    "OUTBOX_POLL_SECONDS": "0.2",
}


@dataclass
class ConsumerProcess:
    """One ``genai-demo consumer`` of the group; its Prometheus metrics on ``metrics_url``."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    metrics_url: str

    def handled(self) -> float:
        """``kafka_consumer_messages_total{outcome="handled"}`` of this process (0 if it does not answer)."""
        try:
            text = requests.get(self.metrics_url, timeout=3).text
        except requests.RequestException:
            return 0.0
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith("kafka_consumer_messages_total{") and 'outcome="handled"' in line
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send ``sig`` to the process group, wait; SIGKILL if it outlives ``timeout``."""
        return stop_group(self.proc, sig, timeout)


@dataclass
class KafkaLab:
    """The lab of a Kafka chaos case: ``lab`` (service + Stripe), the ``kafka`` control process, the
    ``bootstrap`` servers, the database ``db_url`` and the running ``consumers``."""

    lab: LabHandle
    kafka: LiveProcess
    bootstrap: str
    db_url: str
    tmp: Path
    consumers: dict[str, ConsumerProcess] = field(default_factory=dict)
    engine: sa.Engine | None = None
    #: wall seconds since the lab started, at each step the case marks (reported with its figures)
    seconds: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)

    def mark(self, step: str) -> None:
        self.seconds[step] = round(time.monotonic() - self.started, 1)

    @property
    def db(self) -> sa.Engine:
        if self.engine is None:
            self.engine = sa.create_engine(self.db_url, pool_pre_ping=True)
        return self.engine

    def start_consumers(self, *names: str) -> list[ConsumerProcess]:
        """Start (or restart) the consumers ``names`` side by side and wait until each serves its
        metrics (it has joined, or is joining, the group)."""
        started = []
        env = {**os.environ, **self.lab.env, "DATABASE_URL": self.db_url}
        for name in names:
            port = free_port()
            log = self.tmp / f"consumer-{name}-{port}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    genai_demo_argv("consumer", "--metrics-port", str(port)),
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=REPO,
                    start_new_session=True,
                )
            consumer = ConsumerProcess(name, proc, log, f"http://127.0.0.1:{port}/metrics")
            self.consumers[name] = consumer  # registered at once: stopped on exit even if never ready
            started.append(consumer)
        for consumer in started:
            wait_http(consumer.metrics_url, timeout=60, proc=consumer.proc, log=consumer.log)
        return started

    def stop(self) -> None:
        """SIGTERM the service and every consumer at once (each finishes what it does; a consumer commits
        and leaves the group), then wait for the consumers; ``run_lab`` waits for the service."""
        procs = [self.lab.service.proc, *(c.proc for c in self.consumers.values())]
        for proc in procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for consumer in self.consumers.values():
            consumer.stop()

    def brokers(self, action: str) -> dict[str, Any]:
        """Take every broker of the mock cluster ``down`` or bring them ``up``; the cluster's state."""
        described = requests.get(f"{self.kafka.url}/_sim/kafka", timeout=5).json()
        state: dict[str, Any] = described
        for broker in described["brokers"]:
            resp = requests.post(f"{self.kafka.url}/_sim/kafka/brokers/{broker['id']}/{action}", timeout=5)
            resp.raise_for_status()
            state = resp.json()
        assert all(b["up"] == (action == "up") for b in state["brokers"]), state
        return state

    def pending_outbox(self) -> int:
        with self.db.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM outbox WHERE dispatched_at IS NULL AND NOT dead")
                ).scalar_one()
            )


@contextlib.contextmanager
def kafka_lab(tmp: Path, consumers: int = 2) -> Iterator[KafkaLab]:
    """The mock cluster, Stripe, the service and ``consumers`` consumers on a private PostgreSQL schema;
    every process stopped (and the schema dropped) on exit."""
    started = time.monotonic()
    with postgres_schema_url() as db_url, run_simulator("kafka", tmp) as kafka:
        bootstrap = str(requests.get(f"{kafka.url}/_sim/kafka", timeout=5).json()["bootstrap_servers"])
        env = {**KAFKA_ENV, "DATABASE_URL": db_url, "MSK_BOOTSTRAP_SERVERS": bootstrap}
        with run_lab(tmp, ["stripe"], service_env=env) as lab:
            klab = KafkaLab(lab, kafka, bootstrap, db_url, tmp, started=started)
            klab.mark("service_up")
            try:
                sku = ORDER["items"][0]["sku"]  # type: ignore[index]
                stocked = lab.http.put(f"{lab.url}/api/v1/admin/inventory/{sku}", json={"on_hand": STOCK})
                assert stocked.status_code in (200, 201), stocked.text
                create_topics(bootstrap)
                klab.start_consumers(*(f"c{n + 1}" for n in range(consumers)))
                klab.mark("consumers_up")
                yield klab
            finally:
                klab.stop()
                if klab.engine is not None:
                    klab.engine.dispose()


def create_topics(bootstrap: str) -> None:
    """Create the service's topics before any consumer subscribes, as ``genai-demo kafka-topics`` does on
    MSK: the mock cluster refuses ``CreateTopics`` but creates a topic a producer asks metadata for."""
    producer = Producer({"bootstrap.servers": bootstrap})
    for topic in sorted(set(TOPICS.values())):
        found = producer.list_topics(topic, timeout=10).topics[topic]
        assert found.error is None and found.partitions, (topic, found.error)


def _topic_contents(bootstrap: str) -> tuple[dict[str, Counter[str]], dict[str, int]]:
    """Every message of every topic (DLQ included), read from the beginning to the high watermark, as
    event id -> copies per topic; and the high watermarks summed per topic."""
    reader = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "chaos-count", "enable.auto.commit": False}
    )
    copies: dict[str, Counter[str]] = {}
    marks: dict[str, int] = {}
    try:
        topics = [t for t in reader.list_topics(timeout=10).topics if not t.startswith("__")]
        for topic in topics:
            partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
            ends = {
                p: reader.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
            }
            marks[topic] = sum(ends.values())
            copies[topic] = Counter()
            todo = {p for p, end in ends.items() if end > 0}
            if not todo:
                continue
            reader.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in todo])
            deadline = time.monotonic() + 30
            while todo and time.monotonic() < deadline:
                msg = reader.poll(0.5)
                if msg is None or msg.error() is not None:
                    continue
                event_id = dict(msg.headers() or []).get("event_id") or b"?"
                copies[topic][event_id.decode() if isinstance(event_id, bytes) else event_id] += 1
                if (msg.offset() or 0) + 1 >= ends[msg.partition() or 0]:
                    todo.discard(msg.partition() or 0)
            assert not todo, f"{topic}: partitions {sorted(todo)} not read to their end in 30 s"
            reader.unassign()
    finally:
        reader.close()
    return copies, marks


def committed_lag(bootstrap: str, topic: str = CONSUMED_TOPIC) -> int:
    """High watermarks minus the group's committed offsets on ``topic``, summed (0: all consumed)."""
    probe = Consumer({"bootstrap.servers": bootstrap, "group.id": GROUP, "enable.auto.commit": False})
    try:
        meta = probe.list_topics(topic, timeout=10).topics.get(topic)
        if meta is None or meta.error is not None:
            return 0
        partitions = [TopicPartition(topic, p) for p in meta.partitions]
        committed = {tp.partition: tp.offset for tp in probe.committed(partitions, timeout=10)}
        lag = 0
        for tp in partitions:
            end = probe.get_watermark_offsets(tp, timeout=10)[1]
            lag += end - max(committed.get(tp.partition, 0), 0)
        return lag
    finally:
        probe.close()


def wait_consumed(klab: KafkaLab, timeout_s: float = 90.0) -> float:
    """Wait until the outbox is empty and the group has committed every message of the consumed topic;
    the seconds it took (``AssertionError`` on timeout)."""
    started = time.monotonic()
    while True:
        pending = klab.pending_outbox()
        lag = committed_lag(klab.bootstrap) if pending == 0 else -1
        if pending == 0 and lag == 0:
            return round(time.monotonic() - started, 2)
        assert time.monotonic() - started < timeout_s, f"not consumed in {timeout_s}s: {pending=} {lag=}"
        time.sleep(0.5)


def count_events(klab: KafkaLab, order_ids: list[str]) -> dict[str, Any]:
    """The end-of-case count (see the module docstring): per topic published / in Kafka / consumed, the
    lost and duplicated counts, and the effects of the consumed topic."""
    with klab.db.connect() as conn:
        outbox = conn.execute(
            sa.text(
                "SELECT event_id, event_type, aggregate_type, dispatched_at IS NOT NULL, dead FROM outbox"
            )
        ).all()
        inbox = conn.execute(sa.text("SELECT consumer, event_id FROM consumer_inbox")).all()
        reservations = conn.execute(
            sa.text("SELECT order_id, quantity FROM inventory_reservations WHERE status = 'RESERVED'")
        ).all()
        sku = ORDER["items"][0]["sku"]  # type: ignore[index]
        reserved = conn.execute(
            sa.text("SELECT reserved FROM stock_levels WHERE sku = :s"), {"s": sku}
        ).scalar_one()
    copies, marks = _topic_contents(klab.bootstrap)
    inbox_by_event = Counter(event_id for _consumer, event_id in inbox)
    by_topic: dict[str, dict[str, int]] = {}
    lost: list[str] = []
    for topic in sorted(set(TOPICS.values())):
        rows = [r for r in outbox if TOPICS.get(r[2]) == topic]
        published = {r[0] for r in rows if r[3]}
        in_kafka = copies.get(topic, Counter())
        missing = sorted(published - set(in_kafka))
        lost += missing
        figures = {
            "published": len(published),
            "pending": sum(1 for r in rows if not r[3] and not r[4]),
            "dead": sum(1 for r in rows if r[4]),
            "in_kafka": sum(in_kafka.values()),
            "high_watermark": marks.get(topic, 0),
            "distinct_in_kafka": len(in_kafka),
            "duplicated_in_kafka": sum(n - 1 for n in in_kafka.values() if n > 1),
            "lost": len(missing),
        }
        if topic == CONSUMED_TOPIC:
            figures["committed_lag"] = committed_lag(klab.bootstrap)
            figures["consumed_inbox_events"] = sum(1 for e in in_kafka if inbox_by_event[e] > 0)
        by_topic[topic] = figures
    created = {r[0] for r in outbox if r[1] == "order.created"}
    reserve_claims = Counter(e for consumer, e in inbox if consumer == "inventory.reserve")
    without_effect = sorted(e for e in created if reserve_claims[e] != 1)
    reserved_orders = {order_id for order_id, _q in reservations}
    return {
        "events_by_topic": by_topic,
        "dlq_messages": {t: sum(c.values()) for t, c in copies.items() if t.endswith(".DLQ")},
        "order_created_events": len(created),
        "inbox_rows": len(inbox),
        "reservations": len(reservations),
        "orders_without_reservation": len(set(order_ids) - reserved_orders),
        "lost": len(lost) + len(without_effect),
        "duplicated_effects": int(reserved) - sum(int(q) for _o, q in reservations),
    }
