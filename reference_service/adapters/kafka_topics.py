"""The admin step that creates the service's topics (``genai-demo kafka-topics``).

Each topic of ``kafka_config.TOPICS`` and its ``<topic>.DLQ`` is created with ``KAFKA_TOPIC_PARTITIONS``
partitions and ``KAFKA_REPLICATION_FACTOR`` replicas; a topic that exists is left as it is. librdkafka's
mock cluster (the lab) answers no ``CreateTopics`` (it times out waiting for a controller) and creates
topics with 4 partitions on first produce, so a timeout there is reported as ``auto`` and is not an error.
"""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from reference_service.adapters.kafka_config import admin_config, all_topics
from reference_service.config import Settings

logger = logging.getLogger(__name__)


def ensure_topics(settings: Settings, timeout: float = 10.0) -> dict[str, str]:
    """Create the missing topics; returns ``{topic: created | exists | auto | error: ...}``."""
    admin = AdminClient(admin_config(settings))
    existing = set(admin.list_topics(timeout=timeout).topics)
    wanted = [t for t in all_topics() if t not in existing]
    result = {t: "exists" for t in all_topics() if t in existing}
    if not wanted:
        return result
    futures = admin.create_topics(
        [NewTopic(t, settings.kafka_topic_partitions, settings.kafka_replication_factor) for t in wanted],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    for topic, future in futures.items():
        try:
            future.result(timeout + 5)
            result[topic] = "created"
        except KafkaException as exc:
            err: KafkaError = exc.args[0]
            if err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                result[topic] = "exists"
            elif err.code() in (
                KafkaError._TIMED_OUT,
                KafkaError.REQUEST_TIMED_OUT,
                KafkaError.NOT_CONTROLLER,
            ):
                # the mock cluster has no controller: topics appear on first produce (4 partitions)
                result[topic] = "auto"
            else:
                result[topic] = f"error: {err.name()}"
    return result
