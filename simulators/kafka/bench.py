"""``genai-demo bench kafka``: the outbox relay's throughput and publish→handled latency on the mock cluster.

Method (printed with the figures):
1. **Relay throughput.** N ``order.created`` rows are written to the outbox of a fresh SQLite database in
   one transaction; then ``relay.drain()`` runs the service's real relay with the Kafka publisher (seed
   producer settings, ``acks=all``, idempotent) until the outbox is empty. Events/s = N / drain time: it
   includes claiming (lease UPDATE), producing, waiting for every delivery report and marking rows sent.
2. **Latency at a fixed rate.** Orders are created through the message bus (one transaction each:
   order + outbox row) at ``rate``/s for ``seconds`` in this process, whose relay thread (woken by each
   commit) publishes them; one ``genai-demo consumer`` process of a fresh group runs the real
   ``inventory.reserve`` handler (its own transaction + inbox row on the same SQLite file) and then
   commits the offset. Latency = the reservation's ``created_at`` (taken as the handler starts its
   transaction) minus the order's ``created_at``, both wall clock; p50/p99 over every order.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa

from reference_service.adapters.orm import OrderRow, OutboxRow, ReservationRow
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain import commands
from reference_service.domain.events import Event, OrderCreated
from reference_service.service_layer.messagebus import MessageBus
from simulators.kafka.cluster import MockCluster


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_relay(cluster: MockCluster, workdir: Path, events: int) -> dict[str, float]:
    settings = load_settings(
        database_url=f"sqlite:///{workdir / 'relay.db'}",
        outbox_relay_enabled=False,
        msk_bootstrap_servers=cluster.bootstrap_servers,
    )
    container = bootstrap(settings)
    try:
        now = datetime.now(UTC)
        with container.write_sessions() as session, session.begin():
            for n in range(events):
                event = OrderCreated(
                    order_id=f"ord_bench_{n}",
                    customer_ref="cus",
                    currency="USD",
                    total_amount=100,
                    occurred_at=now,
                )
                session.add(
                    OutboxRow(
                        event_id=event.event_id, event_type=event.name, aggregate_type=event.aggregate_type,
                        aggregate_id=event.aggregate_id, payload=event.to_payload(), occurred_at=now,
                        created_at=now, next_attempt_at=now, attempts=0, dead=False, handled_by=[],
                    )
                )  # fmt: skip
        # only the publisher: the in-process handlers would measure inventory, not the relay
        container.relay.bus = MessageBus(
            {}, {Event: [s for s in container.bus.subscribers_for(event) if s.name == "publisher"]}
        )
        started = time.perf_counter()
        container.relay.drain(max_batches=1_000_000)
        elapsed = time.perf_counter() - started
        stats = container.relay.store.stats()
        assert stats["pending"] == 0, stats
        return {"events": events, "seconds": elapsed, "events_per_second": events / elapsed}
    finally:
        container.close()


def bench_latency(
    cluster: MockCluster, workdir: Path, rate: float, seconds: float, database_url: str | None = None
) -> dict[str, float]:
    url = database_url or f"sqlite:///{workdir / 'latency.db'}"
    group = f"bench-{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        database_url=url,
        outbox_relay_enabled=False,
        outbox_poll_seconds=0.05,
        msk_bootstrap_servers=cluster.bootstrap_servers,
        kafka_consumer_group=group,
    )
    container = bootstrap(settings)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MSK_BOOTSTRAP_SERVERS": cluster.bootstrap_servers,
        "KAFKA_CONSUMER_GROUP": group,
        "OUTBOX_RELAY_ENABLED": "false",
        "LOG_LEVEL": "WARNING",
    }
    consumer = subprocess.Popen(
        [sys.executable, "-m", "reference_service.entrypoints.cli", "consumer"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    item = (commands.LineItemSpec("BENCH", "b", 1, 1),)
    try:
        container.bus.handle(commands.SetStock("BENCH", 10_000_000))
        container.relay.start()
        warm = container.bus.handle(commands.CreateOrder("cus", "USD", item)).value.id
        _wait_reserved(container, {warm}, 60)  # the consumer started and joined the group
        total = int(rate * seconds)
        interval = 1.0 / rate
        ids: list[str] = []
        start = time.perf_counter()
        for n in range(total):
            pause = start + n * interval - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            ids.append(container.bus.handle(commands.CreateOrder("cus", "USD", item)).value.id)
        offered = total / (time.perf_counter() - start)
        _wait_reserved(container, set(ids), 60)
        with container.read_uow() as uow:
            created = dict(
                uow.session.execute(
                    sa.select(OrderRow.id, OrderRow.created_at).where(OrderRow.id.in_(ids))
                ).all()
            )
            handled = dict(
                uow.session.execute(
                    sa.select(ReservationRow.order_id, ReservationRow.created_at).where(
                        ReservationRow.order_id.in_(ids)
                    )
                ).all()
            )
        latencies = [(handled[k] - created[k]).total_seconds() * 1000 for k in ids if k in handled]
        return {
            "orders": total,
            "handled": len(latencies),
            "offered_rate": offered,
            "p50_ms": statistics.median(latencies),
            "p99_ms": _percentile(latencies, 0.99),
            "max_ms": max(latencies),
        }
    finally:
        consumer.send_signal(signal.SIGTERM)
        try:
            consumer.wait(20)
        except subprocess.TimeoutExpired:
            consumer.kill()
        container.close()


def _wait_reserved(container: Container, ids: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with container.read_uow() as uow:
            done = uow.session.scalar(
                sa.select(sa.func.count(sa.distinct(ReservationRow.order_id))).where(
                    ReservationRow.order_id.in_(list(ids))
                )
            )
        if done == len(ids):
            return
        time.sleep(0.2)
    raise click.ClickException(f"the consumer handled {done} of {len(ids)} orders within {timeout:g}s")


def bench_kafka(
    events: int = 20_000, rate: float = 500.0, seconds: float = 10.0, database_url: str | None = None
) -> dict[str, Any]:
    click.echo(__doc__)
    cluster = MockCluster(1)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-kafka-") as tmp:
            relay = bench_relay(cluster, Path(tmp), events)
            click.echo(
                f"relay: {relay['events']} events in {relay['seconds']:.2f}s = "
                f"{relay['events_per_second']:.0f} events/s (batches of 500, SQLite, acks=all, idempotent)"
            )
            latency = bench_latency(cluster, Path(tmp), rate, seconds, database_url)
            backend = (database_url or "sqlite").split(":", 1)[0]
            click.echo(
                f"[{backend}] publish->handled at {latency['offered_rate']:.0f} orders/s for {seconds:g}s: "
                f"{latency['handled']}/{latency['orders']} handled, p50 {latency['p50_ms']:.1f} ms, "
                f"p99 {latency['p99_ms']:.1f} ms, max {latency['max_ms']:.1f} ms"
            )
    finally:
        cluster.close()
    return {"relay": relay, "latency": latency}
