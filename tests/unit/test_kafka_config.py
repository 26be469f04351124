"""The seed's Kafka settings in librdkafka terms, idempotence, MSK IAM auth, and consumer lag parsing."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest

from reference_service.adapters.kafka_config import consumer_config, msk_oauth_callback, producer_config
from reference_service.adapters.kafka_consumer import ConsumerMetrics
from reference_service.config import load_settings


def test_producer_config_maps_the_seed_and_adds_idempotence() -> None:
    conf = producer_config(load_settings(msk_bootstrap_servers="b1:9092,b2:9092"))
    assert conf["bootstrap.servers"] == "b1:9092,b2:9092"
    assert (conf["acks"], conf["retries"], conf["batch.size"], conf["linger.ms"]) == ("all", 3, 16384, 5)
    assert conf["queue.buffering.max.kbytes"] == 32768  # buffer_memory 33554432 bytes
    assert conf["enable.idempotence"] is True
    assert conf["security.protocol"] == "PLAINTEXT" and "sasl.mechanism" not in conf


def test_consumer_config_is_the_seeds_group_with_manual_commits() -> None:
    conf = consumer_config(load_settings(msk_bootstrap_servers="b1:9092"))
    assert conf["group.id"] == "genai-demo-consumer-group"
    assert conf["auto.offset.reset"] == "earliest" and conf["enable.auto.commit"] is False


def test_msk_iam_is_sasl_oauthbearer_with_a_signed_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # moto-style test credentials
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    settings = load_settings(
        msk_bootstrap_servers="b-1.msk.example:9098", msk_security_protocol="SASL_SSL", msk_region="eu-west-1"
    )
    conf = producer_config(settings)
    assert conf["security.protocol"] == "SASL_SSL" and conf["sasl.mechanism"] == "OAUTHBEARER"
    token, expiry = conf["oauth_cb"]("")
    assert expiry > 1_000_000_000  # epoch seconds, not milliseconds
    url = urlparse(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    query = parse_qs(url.query)
    assert url.netloc == "kafka.eu-west-1.amazonaws.com"
    assert query["Action"] == ["kafka-cluster:Connect"]
    assert query["X-Amz-Credential"][0].startswith("testing/") and len(query["X-Amz-Signature"][0]) == 64
    assert callable(msk_oauth_callback("us-east-1"))


def test_consumer_lag_is_summed_per_topic_from_librdkafka_statistics() -> None:
    metrics = ConsumerMetrics()
    stats = {
        "topics": {
            "order-events": {
                "partitions": {
                    # the fields librdkafka 2.x writes (STATISTICS.md): "desired" and "fetch_state"
                    "0": {"desired": True, "fetch_state": "active", "consumer_lag": 5},
                    "1": {"desired": True, "fetch_state": "active", "consumer_lag": 2},
                    "2": {"desired": False, "fetch_state": "none", "consumer_lag": 99},
                    "3": {"desired": True, "fetch_state": "active", "consumer_lag": -1},
                    "-1": {"desired": False, "fetch_state": "none", "consumer_lag": 7},
                }
            }
        }
    }
    metrics.on_stats(json.dumps(stats))
    assert metrics.lag.labels("order-events")._value.get() == 7
