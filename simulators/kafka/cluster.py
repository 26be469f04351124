"""librdkafka's mock Kafka cluster, created through librdkafka's C API (``rd_kafka_mock_*``).

``confluent_kafka`` starts a mock cluster from ``test.mock.num.brokers`` but exposes no handle to it; the
C API that the same bundled librdkafka exports does (``rd_kafka_mock_cluster_new``,
``rd_kafka_mock_cluster_bootstraps``, ``rd_kafka_mock_broker_set_down``/``_up``), so the lab can take a
broker down and bring it back on the same address, as an outage looks to clients. Hand-written with
ctypes because no maintained Python binding exposes these calls.

Facts (checked): the cluster speaks the Kafka protocol on 127.0.0.1, auto-creates topics with 4
partitions on first produce, keeps everything in memory (gone when the process ends), and refuses
``CreateTopics`` ("Failed while waiting for controller").
"""

from __future__ import annotations

import ctypes
import glob
import os
from typing import Any

import confluent_kafka

_PRODUCER = 0


def _library() -> ctypes.CDLL:
    """The librdkafka that confluent_kafka's wheel bundles (or the system one for a source build)."""
    here = os.path.dirname(confluent_kafka.__file__)
    found = sorted(glob.glob(os.path.join(here, os.pardir, "confluent_kafka.libs", "librdkafka*.so*")))
    lib = ctypes.CDLL(found[0] if found else "librdkafka.so.1")
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        ctypes.c_size_t,
    ]
    lib.rd_kafka_new.restype = ctypes.c_void_p
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.rd_kafka_mock_cluster_new.restype = ctypes.c_void_p
    lib.rd_kafka_mock_cluster_new.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.rd_kafka_mock_cluster_bootstraps.restype = ctypes.c_char_p
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_mock_broker_set_down.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_up.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    lib.rd_kafka_mock_broker_set_rtt.argtypes = [ctypes.c_void_p, ctypes.c_int32, ctypes.c_int]
    lib.rd_kafka_mock_cluster_destroy.argtypes = [ctypes.c_void_p]
    lib.rd_kafka_destroy.argtypes = [ctypes.c_void_p]
    return lib


class MockCluster:
    """``brokers`` mock brokers (ids 1..n); ``bootstrap_servers`` is what clients connect to."""

    def __init__(self, brokers: int = 1) -> None:
        self._lib = _library()
        errstr = ctypes.create_string_buffer(512)
        conf = self._lib.rd_kafka_conf_new()
        self._lib.rd_kafka_conf_set(conf, b"log_level", b"3", errstr, 512)
        self._rk = self._lib.rd_kafka_new(_PRODUCER, conf, errstr, 512)
        if not self._rk:
            raise RuntimeError(f"rd_kafka_new: {errstr.value.decode()}")
        self._cluster = self._lib.rd_kafka_mock_cluster_new(self._rk, brokers)
        if not self._cluster:
            self._lib.rd_kafka_destroy(self._rk)
            raise RuntimeError("rd_kafka_mock_cluster_new failed")
        self.brokers = brokers
        self.bootstrap_servers: str = self._lib.rd_kafka_mock_cluster_bootstraps(self._cluster).decode()
        self.down: set[int] = set()
        #: added round-trip time per broker (ms), 0 when none
        self.rtt_ms: dict[int, int] = {}

    def set_down(self, broker_id: int) -> None:
        """Disconnect the broker and refuse new connections (an outage; data stays)."""
        self._check(broker_id)
        self._lib.rd_kafka_mock_broker_set_down(self._cluster, broker_id)
        self.down.add(broker_id)

    def set_up(self, broker_id: int) -> None:
        self._check(broker_id)
        self._lib.rd_kafka_mock_broker_set_up(self._cluster, broker_id)
        self.down.discard(broker_id)

    def set_rtt(self, broker_id: int, rtt_ms: int) -> None:
        """Delay every response of the broker by ``rtt_ms`` (0 removes the delay): a slow network or an
        overloaded broker. Produce batches absorb it; a consumer that commits after each message slows to
        about one message per round trip, so its lag grows."""
        self._check(broker_id)
        if rtt_ms < 0:
            raise ValueError("rtt_ms must not be negative")
        self._lib.rd_kafka_mock_broker_set_rtt(self._cluster, broker_id, rtt_ms)
        self.rtt_ms[broker_id] = rtt_ms

    def _check(self, broker_id: int) -> None:
        if not 1 <= broker_id <= self.brokers:
            raise ValueError(f"no broker {broker_id} (1..{self.brokers})")

    def describe(self) -> dict[str, Any]:
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "brokers": [
                {"id": b, "up": b not in self.down, "rtt_ms": self.rtt_ms.get(b, 0)}
                for b in range(1, self.brokers + 1)
            ],
        }

    def close(self) -> None:
        if self._cluster:
            self._lib.rd_kafka_mock_cluster_destroy(self._cluster)
            self._cluster = None
        if self._rk:
            self._lib.rd_kafka_destroy(self._rk)
            self._rk = None
