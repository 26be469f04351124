"""Reads the service's Kafka topics from the beginning, as an independent consumer, for the order timeline.

One background thread per console reads every topic the service produces to (``order-events``,
``payment-events``, ``notification-events``, ``delivery-events`` and their ``.DLQ``) from the beginning: it
looks for them every 2 s (the mock cluster creates a topic on its first message) and assigns itself each new
partition by hand, so it joins no consumer group and commits nothing (the service's consumer group is
untouched). It keeps the last :data:`KEEP` messages in memory. The timeline filters them by order id.
Inspect what it holds at the console's ``GET /api/kafka`` (counts per topic, the last error).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from reference_service.adapters.kafka_config import all_topics

logger = logging.getLogger(__name__)

#: messages kept (oldest dropped first)
KEEP = 20_000


@dataclass(frozen=True)
class KafkaMessage:
    """One record: where it is, when it was produced (epoch s), its key and decoded envelope."""

    topic: str
    partition: int
    offset: int
    timestamp: float
    key: str
    value: dict[str, Any]
    raw: str

    @property
    def event_type(self) -> str:
        return str(self.value.get("event_type") or "")


class KafkaTail:
    """The background reader (see the module docstring); :meth:`start` once, :meth:`messages` any time."""

    def __init__(self, bootstrap: str, *, keep: int = KEEP) -> None:
        self.bootstrap = bootstrap
        self._messages: deque[KafkaMessage] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.counts: dict[str, int] = {}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="console-kafka-tail", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def messages(self) -> list[KafkaMessage]:
        with self._lock:
            return list(self._messages)

    def _run(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                # required by librdkafka; partitions are assigned by hand below, so no group is joined and
                # nothing is committed
                "group.id": f"genai-demo-console-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "logger": logger,
            }
        )
        wanted = set(all_topics())
        assigned: set[tuple[str, int]] = set()
        next_look = 0.0
        try:
            while not self._stop.is_set():
                if time.monotonic() >= next_look:  # topics appear on first produce: look every 2 s
                    next_look = time.monotonic() + 2.0
                    try:
                        metadata = consumer.list_topics(timeout=2)
                    except KafkaException as exc:
                        self.last_error = str(exc)
                        metadata = None
                    if metadata is not None:
                        new = [
                            TopicPartition(name, pid, OFFSET_BEGINNING)
                            for name, topic in metadata.topics.items()
                            if name in wanted and topic.error is None
                            for pid in topic.partitions
                            if (name, pid) not in assigned
                        ]
                        if new:
                            consumer.incremental_assign(new)
                            assigned.update((tp.topic, tp.partition) for tp in new)
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                error = msg.error()
                if error is not None:
                    self.last_error = str(error)
                    continue
                self._add(msg)
        finally:
            consumer.close()

    def _add(self, msg: Any) -> None:
        raw_value = msg.value() or b""
        text = raw_value.decode("utf-8", errors="replace")
        try:
            value = json.loads(text)
        except ValueError:
            value = {}
        _kind, stamp = msg.timestamp()
        key = msg.key()
        record = KafkaMessage(
            topic=msg.topic(),
            partition=msg.partition(),
            offset=msg.offset(),
            timestamp=stamp / 1000 if stamp and stamp > 0 else 0.0,
            key=key.decode("utf-8", errors="replace") if key else "",
            value=value if isinstance(value, dict) else {"value": value},
            raw=text,
        )
        with self._lock:
            self._messages.append(record)
            self.counts[record.topic] = self.counts.get(record.topic, 0) + 1
