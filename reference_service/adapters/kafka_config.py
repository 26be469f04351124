"""librdkafka configuration for the producer, the consumer and the admin client, from ``Settings``.

The seed's Java settings map one to one (see docs/kafka.md): ``acks=all``, ``retries=3``,
``batch.size=16384``, ``linger.ms=5``, and ``buffer_memory=33554432`` bytes becomes
``queue.buffering.max.kbytes=32768``. We add ``enable.idempotence=true`` so a retried produce never
writes a duplicate or reorders a partition (librdkafka then caps in-flight requests itself).

MSK IAM (the seed's ``AWS_MSK_IAM``) is SASL/OAUTHBEARER from librdkafka: ``oauth_cb`` returns a token
signed with botocore's credential chain by ``aws-msk-iam-sasl-signer-python``. librdkafka's own
``sasl.oauthbearer.method=oidc`` is a different thing and is not used.

Print what a setting resolves to with
``python -c "from reference_service.config import Settings; from reference_service.adapters.kafka_config
import producer_config; print(producer_config(Settings(msk_bootstrap_servers='x:9092')))"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from reference_service.config import Settings

logger = logging.getLogger(__name__)

#: topic per aggregate type (the seed's ``kafka_configuration.topics``, plus deliveries)
TOPICS: dict[str, str] = {
    "order": "order-events",
    "payment": "payment-events",
    "notification": "notification-events",
    "delivery": "delivery-events",
}
DLQ_SUFFIX = ".DLQ"


def dlq_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


def all_topics() -> list[str]:
    """Every topic the service produces to, with its dead-letter topic."""
    base = sorted(TOPICS.values())
    return base + [dlq_topic(t) for t in base]


def msk_oauth_callback(region: str) -> Callable[[str], tuple[str, float]]:
    """An ``oauth_cb`` for librdkafka: ``(token, expiry in epoch seconds)`` signed for MSK IAM in ``region``.

    ``MSKAuthTokenProvider.generate_auth_token`` signs a ``kafka-cluster:Connect`` presigned URL with the
    default botocore credential chain and returns ``(token, expiry_ms)``; librdkafka wants seconds.
    """
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def callback(_oauthbearer_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000.0

    return callback


def _common(settings: Settings) -> dict[str, Any]:
    if not settings.msk_bootstrap_servers:
        raise ValueError("MSK_BOOTSTRAP_SERVERS is not set")
    conf: dict[str, Any] = {
        "bootstrap.servers": settings.msk_bootstrap_servers,
        "security.protocol": settings.msk_security_protocol,
        "client.id": "genai-demo",
        # librdkafka's own log lines go through Python logging (never stderr), at warning and above
        "logger": logging.getLogger("librdkafka"),
        "log_level": 4,
    }
    if settings.msk_security_protocol == "SASL_SSL":
        # AWS_MSK_IAM in librdkafka terms
        conf["sasl.mechanism"] = "OAUTHBEARER"
        conf["oauth_cb"] = msk_oauth_callback(settings.msk_region or settings.aws_region)
    return conf


def producer_config(settings: Settings) -> dict[str, Any]:
    """The seed's producer settings in librdkafka terms, plus idempotence."""
    return {
        **_common(settings),
        "acks": "all",
        "retries": 3,
        "batch.size": 16384,
        "linger.ms": 5,
        "queue.buffering.max.kbytes": 32768,
        "enable.idempotence": True,
        "message.timeout.ms": int(settings.kafka_delivery_timeout_seconds * 1000),
    }


def consumer_config(
    settings: Settings, *, stats_cb: Callable[[str], None] | None = None, **overrides: Any
) -> dict[str, Any]:
    """The seed's consumer settings: the group, ``earliest``, manual commits (after the handler commits)."""
    conf: dict[str, Any] = {
        **_common(settings),
        "group.id": settings.kafka_consumer_group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        # the handler's own retries live in the consumer loop; a slow retry must not cost the assignment
        "max.poll.interval.ms": 300_000,
        "session.timeout.ms": int(settings.kafka_session_timeout_seconds * 1000),
        "heartbeat.interval.ms": min(1_000, int(settings.kafka_session_timeout_seconds * 250)),
    }
    if stats_cb is not None:
        conf["statistics.interval.ms"] = 5_000
        conf["stats_cb"] = stats_cb
    conf.update(overrides)
    return conf


def admin_config(settings: Settings) -> dict[str, Any]:
    return _common(settings)
