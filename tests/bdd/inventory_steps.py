"""Steps about stock and the Kafka consumer (``features/inventory/``).

``kafka_world`` (one per module) is the service's container on a private SQLite file, publishing to a
librdkafka mock cluster, with its relay running and one ``EventConsumer`` of the group on a thread; the
HTTP calls go through the Flask test client with an admin token. Each scenario gets its own SKU suffix,
so scenarios share the cluster, the consumer and the database without seeing each other's stock.

Vocabulary::

    Given the service publishes its events to Kafka and a consumer of the group is running
    Given the SKU "<sku>" has <n> units on hand
    Given the Kafka broker is down
    When a customer orders <n> "<sku>"
    When the order is cancelled
    When the order's "<event type>" message is delivered again
    When the Kafka broker comes back
    Then <n> "<sku>" are reserved for the order / Then <n> "<sku>" are reserved
    Then the order's reservation is "<STATUS>"
    Then the order becomes "<STATUS>" with reason "<reason>"
    Then no payment can start for the order
    Then the order's events wait in the outbox / Then the outbox is empty
    Then the consumer has handled the duplicate
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from confluent_kafka import Producer
from flask.testing import FlaskClient
from pytest_bdd import given, then, when

from reference_service.adapters.kafka_config import consumer_config, producer_config
from reference_service.adapters.kafka_consumer import EventConsumer
from reference_service.adapters.orm import OutboxRow
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.entrypoints.app import create_app
from simulators.kafka.cluster import MockCluster
from tests.auth import auth_issuer, authorized_client
from tests.bdd.common_steps import p


@dataclass
class KafkaWorld:
    cluster: MockCluster
    container: Container
    client: FlaskClient
    consumer: EventConsumer
    suffix: str = ""
    order_id: str | None = None
    remembered: dict[str, Any] = field(default_factory=dict)

    def sku(self, name: str) -> str:
        return f"{name}-{self.suffix}"


def eventually(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout:g}s: {what}")


@pytest.fixture(scope="module")
def kafka_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaWorld]:
    cluster = MockCluster(1)
    db = tmp_path_factory.mktemp("kafka-bdd") / "service.db"
    settings = load_settings(
        database_url=f"sqlite:///{Path(db)}",
        outbox_poll_seconds=0.1,
        msk_bootstrap_servers=cluster.bootstrap_servers,
        kafka_consumer_group=f"bdd-{uuid.uuid4().hex[:8]}",
        kafka_delivery_timeout_seconds=2.0,
        **auth_issuer().settings(),
    )
    container = bootstrap(settings)
    container.relay.outage_retry_seconds = 1.0
    app = create_app(settings, container, start_relay=True)
    consumer = EventConsumer(
        consumer_config(settings), producer_config(settings), container.consumer_bus, ["order-events"],
        attempts=2, backoff_seconds=0.01,
    )  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), name="bdd-consumer")
    thread.start()
    try:
        yield KafkaWorld(cluster, container, authorized_client(app, "admin"), consumer)
    finally:
        stop.set()
        thread.join(15)
        container.close()
        cluster.close()


@pytest.fixture
def kafka_world(kafka_lab: KafkaWorld) -> Iterator[KafkaWorld]:
    kafka_lab.suffix = uuid.uuid4().hex[:6]
    kafka_lab.order_id = None
    kafka_lab.remembered = {}
    yield kafka_lab
    for broker in list(kafka_lab.cluster.down):
        kafka_lab.cluster.set_up(broker)


def reserved(world: KafkaWorld, sku: str) -> int:
    body = world.client.get(f"/api/v1/admin/inventory/{world.sku(sku)}").json
    assert body is not None
    return int(body["reserved"])


def pending(world: KafkaWorld) -> int:
    return world.container.relay.store.stats()["pending"]


@given("the service publishes its events to Kafka and a consumer of the group is running")
def kafka_running(kafka_world: KafkaWorld) -> None:
    assert kafka_world.container.kafka_enabled
    assert kafka_world.container.publisher.name == "kafka"


@given(p('the SKU "{sku:Q}" has {units:d} units on hand'))
def stock(kafka_world: KafkaWorld, sku: str, units: int) -> None:
    resp = kafka_world.client.put(f"/api/v1/admin/inventory/{kafka_world.sku(sku)}", json={"on_hand": units})
    assert resp.status_code == 200, resp.json


@given("the Kafka broker is down")
def broker_down(kafka_world: KafkaWorld) -> None:
    kafka_world.cluster.set_down(1)


@when("the Kafka broker comes back")
def broker_up(kafka_world: KafkaWorld) -> None:
    kafka_world.cluster.set_up(1)


@when(p('a customer orders {quantity:d} "{sku:Q}"'))
def place_order(kafka_world: KafkaWorld, quantity: int, sku: str) -> None:
    item = {"sku": kafka_world.sku(sku), "name": sku, "quantity": quantity, "unit_amount": 500}
    resp = kafka_world.client.post(
        "/api/v1/orders", json={"customer_ref": "cus_bdd", "currency": "USD", "items": [item]}
    )
    assert resp.status_code == 201, resp.json
    kafka_world.order_id = resp.json["id"]


@when("the order is cancelled")
def cancel(kafka_world: KafkaWorld) -> None:
    assert kafka_world.client.post(f"/api/v1/orders/{kafka_world.order_id}/cancel").status_code == 200


@when(p('the order\'s "{event_type:Q}" message is delivered again'))
def redeliver(kafka_world: KafkaWorld, event_type: str) -> None:
    with kafka_world.container.read_uow() as uow:
        row = uow.session.scalars(
            sa.select(OutboxRow).where(
                OutboxRow.aggregate_id == kafka_world.order_id, OutboxRow.event_type == event_type
            )
        ).one()
        envelope = {
            "topic": "order-events",
            "key": row.aggregate_id,
            "event_type": row.event_type,
            "event_id": row.event_id,
            "payload": row.payload,
        }
    kafka_world.remembered["finished"] = kafka_world.consumer.finished
    producer = Producer({"bootstrap.servers": kafka_world.cluster.bootstrap_servers})
    producer.produce("order-events", key=envelope["key"].encode(), value=json.dumps(envelope).encode())
    assert producer.flush(10) == 0


@then("the consumer has handled the duplicate")
def duplicate_handled(kafka_world: KafkaWorld) -> None:
    before = kafka_world.remembered["finished"]
    eventually(lambda: kafka_world.consumer.finished > before, what="the consumer read the duplicate")


@then(p('{quantity:d} "{sku:Q}" are reserved for the order'))
@then(p('{quantity:d} "{sku:Q}" are reserved'))
def reserved_units(kafka_world: KafkaWorld, quantity: int, sku: str) -> None:
    eventually(lambda: reserved(kafka_world, sku) == quantity, what=f"{quantity} {sku} reserved")
    time.sleep(0.2)  # and it stays so (a late duplicate would show here)
    assert reserved(kafka_world, sku) == quantity


@then(p('the order\'s reservation is "{status:w}"'))
def reservation_status(kafka_world: KafkaWorld, status: str) -> None:
    body = kafka_world.client.get(f"/api/v1/admin/inventory/reservations/{kafka_world.order_id}").json
    assert body is not None and body["status"] == status


@then(p('the order becomes "{status:w}" with reason "{reason:Q}"'))
def order_status(kafka_world: KafkaWorld, status: str, reason: str) -> None:
    def check() -> bool:
        body = kafka_world.client.get(f"/api/v1/orders/{kafka_world.order_id}").json
        return body is not None and body["status"] == status and body.get("status_reason") == reason

    eventually(check, what=f"order {status} ({reason})")


@then("no payment can start for the order")
def no_payment(kafka_world: KafkaWorld) -> None:
    resp = kafka_world.client.post(
        f"/api/v1/orders/{kafka_world.order_id}/payments",
        json={"provider": "stripe", "payment_method": "pm_card_visa"},
    )
    assert resp.status_code == 409 and resp.json is not None
    assert resp.json["type"] in ("/problems/invalid-state-transition", "/problems/payment-conflict")


@then("the order's events wait in the outbox")
def events_wait(kafka_world: KafkaWorld) -> None:
    time.sleep(0.5)
    assert pending(kafka_world) >= 1 and kafka_world.container.relay.store.stats()["dead"] == 0


@then("the outbox is empty")
def outbox_empty(kafka_world: KafkaWorld) -> None:
    eventually(lambda: pending(kafka_world) == 0, what="the relay caught up")
