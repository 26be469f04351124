"""The Kafka consumer loop of ``genai-demo consumer``: the seed's ``OrderEventHandler`` as a process.

For each message, in partition order:
1. decode the envelope (``contracts/schemas/events/envelope.json``) into the domain event; a message
   that cannot be decoded is poison and goes to ``<topic>.DLQ`` at once;
2. run each subscriber of the consumer bus; a subscriber commits its own transaction, with the inbox
   row (subscriber, event id) inside it, so a redelivered message has no second effect;
3. a subscriber that keeps failing is retried ``attempts`` times with exponential backoff, then the
   message goes to ``<topic>.DLQ`` with the error in its headers (``dlq.error``, ``dlq.subscriber``,
   ``dlq.original.topic/partition/offset``, ``dlq.attempts``): a poison message never blocks its
   partition;
4. only then is the offset committed (synchronously). A crash before that re-reads the message.

``stop`` (SIGTERM in the process) is checked between messages: the current one finishes, its offset is
committed, and the consumer leaves the group cleanly (``close``), so its partitions move at once.
Several consumers in the group split the partitions: that is how it scales out.

Metrics (``kafka_consumer_lag{topic}`` from librdkafka statistics, ``kafka_consumer_messages_total``
and ``kafka_dlq_messages_total``) are on ``ConsumerMetrics.registry``; the process serves them.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer
from prometheus_client import CollectorRegistry, Counter, Gauge

from reference_service.adapters.kafka_config import dlq_topic
from reference_service.domain.events import Event, event_class
from reference_service.service_layer.messagebus import MessageBus

logger = logging.getLogger(__name__)


class PoisonMessage(ValueError):
    """The message is not an event this service can read (bad JSON, unknown type, bad payload)."""


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.lag = Gauge(
            "kafka_consumer_lag",
            "Messages behind the partition end, summed per topic (librdkafka statistics)",
            ["topic"],
            registry=self.registry,
        )
        self.messages = Counter(
            "kafka_consumer_messages_total",
            "Messages the consumer finished, by outcome (handled, dead_lettered)",
            ["topic", "outcome"],
            registry=self.registry,
        )
        self.dlq = Counter(
            "kafka_dlq_messages_total", "Messages sent to <topic>.DLQ", ["topic"], registry=self.registry
        )

    def on_stats(self, stats_json: str) -> None:
        """librdkafka's ``stats_cb``: sum ``consumer_lag`` over the partitions of each topic this consumer
        holds. librdkafka marks them ``"desired": true`` (the group assigned them) with a ``fetch_state``
        other than ``"none"``; ``-1`` is the internal unassigned-messages partition, and a lag of ``-1``
        means not known yet (no committed offset or high watermark), counted as 0."""
        try:
            stats = json.loads(stats_json)
        except ValueError:
            return
        for topic, data in (stats.get("topics") or {}).items():
            lags = [
                p.get("consumer_lag", -1)
                for pid, p in (data.get("partitions") or {}).items()
                if pid != "-1" and p.get("desired") and p.get("fetch_state", "none") != "none"
            ]
            self.lag.labels(topic).set(sum(x for x in lags if x >= 0))


def decode(msg: Message) -> Event:
    """The domain event in ``msg``'s envelope, or ``PoisonMessage``."""
    try:
        envelope = json.loads(msg.value() or b"")
        cls = event_class(str(envelope["event_type"]))
        event = cls.from_payload(dict(envelope["payload"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise PoisonMessage(f"{type(exc).__name__}: {exc}") from exc
    if envelope.get("event_id") != event.event_id:
        raise PoisonMessage("envelope event_id does not match the payload's")
    return event


class EventConsumer:
    def __init__(
        self,
        consumer_config: dict[str, Any],
        producer_config: dict[str, Any],
        bus: MessageBus,
        topics: list[str],
        *,
        attempts: int = 3,
        backoff_seconds: float = 0.2,
        metrics: ConsumerMetrics | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.metrics = metrics or ConsumerMetrics()
        conf = dict(consumer_config)
        if "statistics.interval.ms" in conf and "stats_cb" not in conf:
            conf["stats_cb"] = self.metrics.on_stats
        self._consumer = Consumer(conf)
        self._dlq = Producer(producer_config)
        self.bus = bus
        self.topics = topics
        self.attempts = attempts
        self.backoff = backoff_seconds
        self._sleep = sleep
        #: how many messages this consumer finished (handled or dead-lettered) and committed
        self.finished = 0

    def run(self, stop: threading.Event, poll_timeout: float = 0.5) -> None:
        """Consume until ``stop`` is set, then commit what is finished and leave the group."""
        self._consumer.subscribe(self.topics)
        logger.info("consumer subscribed to %s", ",".join(self.topics))
        try:
            while not stop.is_set():
                msg = self._consumer.poll(poll_timeout)
                if msg is None:
                    continue
                err = msg.error()
                if err is not None:
                    if err.code() != KafkaError._PARTITION_EOF:
                        logger.warning("consumer error: %s", err)
                    continue
                self.process(msg)
                self._commit(msg)
        finally:
            self._consumer.close()
            self._dlq.flush(10)
            logger.info("consumer closed after %d messages", self.finished)

    def _commit(self, msg: Message) -> None:
        try:
            self._consumer.commit(message=msg, asynchronous=False)
        except KafkaException as exc:  # e.g. a rebalance took the partition: the next owner redelivers
            logger.warning("offset commit failed (%s); the message may be redelivered (inbox dedupes)", exc)
        self.finished += 1

    def process(self, msg: Message) -> None:
        topic = msg.topic() or ""
        try:
            event = decode(msg)
        except PoisonMessage as exc:
            self._dead_letter(msg, "decode", exc, 1)
            return
        for sub in self.bus.subscribers_for(event):
            error: Exception | None = None
            for attempt in range(1, self.attempts + 1):
                try:
                    sub.handler(event)
                except Exception as exc:
                    error = exc
                    logger.warning(
                        "handler %s failed on %s %s (attempt %d/%d): %s",
                        sub.name,
                        event.name,
                        event.event_id,
                        attempt,
                        self.attempts,
                        exc,
                    )
                    if attempt < self.attempts:
                        self._sleep(self.backoff * 2 ** (attempt - 1))
                else:
                    error = None
                    break
            if error is not None:
                self._dead_letter(msg, sub.name, error, self.attempts)
                return
        self.metrics.messages.labels(topic, "handled").inc()

    def _dead_letter(self, msg: Message, subscriber: str, error: Exception, attempts: int) -> None:
        topic = msg.topic() or ""
        original = msg.headers() or []
        headers: list[tuple[str, str | bytes | None]] = (
            list(original.items()) if isinstance(original, dict) else list(original)
        )
        headers += [
            ("dlq.error", f"{type(error).__name__}: {error}"[:1000].encode()),
            ("dlq.subscriber", subscriber.encode()),
            ("dlq.original.topic", topic.encode()),
            ("dlq.original.partition", str(msg.partition()).encode()),
            ("dlq.original.offset", str(msg.offset()).encode()),
            ("dlq.attempts", str(attempts).encode()),
        ]
        delivered: list[KafkaError | None] = []
        self._dlq.produce(
            dlq_topic(topic),
            key=msg.key(),
            value=msg.value(),
            headers=headers,
            on_delivery=lambda err, _m: delivered.append(err),
        )
        self._dlq.flush(30)
        if not delivered or delivered[0] is not None:
            # never commit past a message we could not park: raise, the process restarts and re-reads it
            raise KafkaException(delivered[0] if delivered else KafkaError(KafkaError._MSG_TIMED_OUT))
        logger.error("message %s[%d]@%d dead-lettered: %s", topic, msg.partition(), msg.offset(), subscriber)
        self.metrics.dlq.labels(topic).inc()
        self.metrics.messages.labels(topic, "dead_lettered").inc()
