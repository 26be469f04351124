"""The Kafka/MSK ``EventPublisher``: each domain event becomes one message on its topic.

- key: the aggregate id (UTF-8), so one order's events stay ordered on one partition;
- value: the event envelope as JSON (``contracts/schemas/events/envelope.json``: topic, key,
  event_type, event_id, payload);
- headers: ``event_type`` and ``event_id``, so a consumer can route or deduplicate without parsing.

``publish`` only enqueues (librdkafka batches with ``linger.ms=5``) and returns a ``KafkaDelivery``;
the outbox relay waits on it, and marks the record sent only when the delivery report says the broker
acknowledged it (``acks=all``). A report that says the broker could not be reached raises
``BrokerUnavailable`` (a ``ConnectionError``), so the relay keeps the record and backs off.

Inspect the topics with ``kcat -b $MSK_BOOTSTRAP_SERVERS -C -t order-events -o beginning -e``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from reference_service.ports import PublishedEvent

logger = logging.getLogger(__name__)

#: delivery-report errors that mean "the broker is not reachable now", not "this message is bad"
_OUTAGE_CODES = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError._TIMED_OUT,
        KafkaError._QUEUE_FULL,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
    }
)


class BrokerUnavailable(ConnectionError):
    """The broker could not be reached (or did not acknowledge in time); retry later."""


class PublishRejected(RuntimeError):
    """The broker refused the message for a reason retrying the same bytes may not fix."""


def envelope(event: PublishedEvent) -> dict[str, Any]:
    return {
        "topic": event.topic,
        "key": event.key,
        "event_type": event.event_type,
        "event_id": event.event_id,
        "payload": event.payload,
    }


def _error(err: KafkaError) -> Exception:
    if err.code() in _OUTAGE_CODES or err.retriable():
        return BrokerUnavailable(f"kafka: {err.name()}: {err.str()}")
    return PublishRejected(f"kafka: {err.name()}: {err.str()}")


class KafkaDelivery:
    """The delivery report of one produced message (``ports.PendingDelivery``)."""

    def __init__(self, producer: Producer) -> None:
        self._producer = producer
        self._done = threading.Event()
        self.error: Exception | None = None
        self.partition: int | None = None
        self.offset: int | None = None

    def on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self.error = _error(err)
        else:
            self.partition, self.offset = msg.partition(), msg.offset()
        self._done.set()

    def wait(self, timeout: float) -> None:
        if not self._done.is_set():
            # flush serves every pending delivery callback, so the batch's other waits return at once
            self._producer.flush(timeout)
        if not self._done.is_set():
            raise BrokerUnavailable(f"no delivery report within {timeout:.1f}s")
        if self.error is not None:
            raise self.error


class KafkaEventPublisher:
    name = "kafka"

    def __init__(self, config: dict[str, Any]) -> None:
        self._producer = Producer(config)

    def publish(self, event: PublishedEvent) -> KafkaDelivery:
        delivery = KafkaDelivery(self._producer)
        value = json.dumps(envelope(event), separators=(",", ":")).encode()
        headers: list[tuple[str, str | bytes | None]] = [
            ("event_type", event.event_type.encode()),
            ("event_id", event.event_id.encode()),
        ]
        try:
            self._producer.produce(
                event.topic,
                key=event.key.encode(),
                value=value,
                headers=headers,
                on_delivery=delivery.on_delivery,
            )
        except BufferError as exc:  # the local queue is full: the broker is not keeping up or is down
            self._producer.poll(0.1)
            raise BrokerUnavailable(f"producer queue full: {exc}") from exc
        except KafkaException as exc:
            raise _error(exc.args[0]) from exc
        self._producer.poll(0)
        return delivery

    def flush(self, timeout: float = 10.0) -> int:
        """Wait for every queued message; returns how many are still queued."""
        return int(self._producer.flush(timeout))

    def check_health(self, timeout: float = 1.5) -> dict[str, Any]:
        """Broker metadata, as the ``/health`` Kafka checker shows it."""
        try:
            meta = self._producer.list_topics(timeout=timeout)
        except KafkaException as exc:
            raise BrokerUnavailable(f"kafka metadata: {exc}") from exc
        return {"brokers": len(meta.brokers), "topics": len(meta.topics)}

    def close(self, timeout: float = 5.0) -> None:
        left = self._producer.flush(timeout)
        if left:
            logger.warning(
                "kafka producer closed with %d messages undelivered (they stay in the outbox)", left
            )
