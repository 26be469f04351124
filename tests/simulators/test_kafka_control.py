"""The Kafka simulator's control API (``genai-demo sim kafka``): broker outages and slow brokers, by hand
and as fault rules of the same shape the other simulators serve, applied to librdkafka's mock cluster."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
import requests
from confluent_kafka import Producer

from simulators.kafka.cluster import MockCluster
from simulators.kafka.server import make_handler
from simulators.kernel.client import SimClient


@pytest.fixture(scope="module")
def kafka() -> Iterator[tuple[MockCluster, str]]:
    cluster = MockCluster(2)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(cluster))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield cluster, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    cluster.close()


@pytest.fixture(autouse=True)
def _clean(kafka: tuple[MockCluster, str]) -> Iterator[None]:
    yield
    _, url = kafka
    requests.delete(f"{url}/_sim/faults", timeout=5)
    for broker in (1, 2):
        requests.post(f"{url}/_sim/kafka/brokers/{broker}/up", timeout=5)
        requests.post(f"{url}/_sim/kafka/brokers/{broker}/rtt", json={"ms": 0}, timeout=5)


def _produce_seconds(cluster: MockCluster) -> float:
    producer = Producer({"bootstrap.servers": cluster.bootstrap_servers, "linger.ms": 0})
    producer.produce("rtt-probe", b"x", partition=0)
    producer.flush(10)  # metadata first, then the produce
    started = time.monotonic()
    producer.produce("rtt-probe", b"x", partition=0)
    assert producer.flush(10) == 0
    return time.monotonic() - started


def test_a_latency_rule_slows_the_broker_until_it_is_deleted(kafka: tuple[MockCluster, str]) -> None:
    cluster, url = kafka
    client = SimClient(url)
    rule = client.fault({}, {"type": "latency", "ms": 400}, description="slow brokers")
    assert (
        rule["id"].startswith("flt_")
        and rule["match"] == {}
        and rule["action"] == {"type": "latency", "ms": 400}
    )
    assert cluster.rtt_ms == {1: 400, 2: 400}
    assert _produce_seconds(cluster) >= 0.4  # the real protocol waits for the delayed response
    assert [r["id"] for r in client.faults()] == [rule["id"]]
    assert client.get_fault(rule["id"])["description"] == "slow brokers"
    health = requests.get(f"{url}/_sim/health", timeout=5).json()
    assert {b["rtt_ms"] for b in health["brokers"]} == {400} and health["faults"][0]["id"] == rule["id"]
    client.delete_fault(rule["id"])
    assert cluster.rtt_ms == {1: 0, 2: 0}
    assert _produce_seconds(cluster) < 0.4
    client.close()


def test_a_down_rule_takes_one_broker_out_and_manual_state_outlives_the_rule(
    kafka: tuple[MockCluster, str],
) -> None:
    cluster, url = kafka
    down = requests.post(
        f"{url}/_sim/faults", json={"match": {"broker": 2}, "action": {"type": "down"}}, timeout=5
    )
    assert down.status_code == 201
    assert cluster.down == {2}
    assert requests.post(f"{url}/_sim/kafka/brokers/1/down", timeout=5).status_code == 200
    assert cluster.down == {1, 2}
    assert requests.delete(f"{url}/_sim/faults/{down.json()['id']}", timeout=5).status_code == 204
    assert cluster.down == {1}  # the manual outage of broker 1 still holds
    brokers = requests.post(f"{url}/_sim/kafka/brokers/1/up", timeout=5).json()["brokers"]
    assert cluster.down == set() and all(b["up"] for b in brokers)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"action": {"type": "status", "status": 503}}, 400, "invalid_fault"),
        ({"action": {"type": "latency", "ms": -1}}, 400, "invalid_fault"),
        ({"action": {"type": "latency", "ms": "5"}}, 400, "invalid_fault"),
        ({"action": {"type": "down"}, "probability": 0.5}, 400, "invalid_fault"),
        ({"match": {"path": "/x"}, "action": {"type": "down"}}, 400, "invalid_fault"),
        ({"match": {"broker": 9}, "action": {"type": "down"}}, 404, "unknown_broker"),
    ],
)
def test_bad_fault_rules_are_refused_and_change_nothing(
    kafka: tuple[MockCluster, str], body: dict[str, object], status: int, code: str
) -> None:
    cluster, url = kafka
    answer = requests.post(f"{url}/_sim/faults", json=body, timeout=5)
    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code and answer.json()["error"]["message"]
    assert requests.get(f"{url}/_sim/faults", timeout=5).json() == {"data": []}
    assert cluster.down == set() and not any(cluster.rtt_ms.values())


def test_unknown_routes_rules_and_brokers_answer_404_and_bad_json_400(kafka: tuple[MockCluster, str]) -> None:
    _, url = kafka
    assert requests.get(f"{url}/_sim/nothing", timeout=5).json()["error"]["code"] == "not_found"
    assert requests.get(f"{url}/_sim/faults/flt_999", timeout=5).status_code == 404
    assert requests.post(f"{url}/_sim/kafka/brokers/7/down", timeout=5).status_code == 404
    bad = requests.post(f"{url}/_sim/faults", data=b"{nope", timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_json"
