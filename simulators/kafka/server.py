"""``genai-demo sim kafka``: the mock cluster in its own process, with a small HTTP control API.

- ``GET /_sim/health``: ``{"status": "ok", "bootstrap_servers": ..., "brokers": [...]}``;
- ``POST /_sim/kafka/brokers/<id>/down`` and ``.../up``: an outage and its end (same address, data kept);
- ``GET /_sim/kafka``: the same as health.

It prints ``MSK_BOOTSTRAP_SERVERS=<host:port,...>`` on its first line of stdout so a parent can read it.
"""

from __future__ import annotations

import json
import logging
import re
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simulators.kafka.cluster import MockCluster

logger = logging.getLogger(__name__)

_BROKER = re.compile(r"^/_sim/kafka/brokers/(\d+)/(down|up)$")


def make_handler(cluster: MockCluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path in ("/_sim/health", "/_sim/kafka"):
                self._send(200, {"status": "ok", **cluster.describe()})
            else:
                self._send(404, {"error": "not_found", "path": self.path})

        def do_POST(self) -> None:
            match = _BROKER.match(self.path)
            if match is None:
                self._send(404, {"error": "not_found", "path": self.path})
                return
            broker, action = int(match.group(1)), match.group(2)
            try:
                cluster.set_down(broker) if action == "down" else cluster.set_up(broker)
            except ValueError as exc:
                self._send(404, {"error": "unknown_broker", "message": str(exc)})
                return
            self._send(200, {"status": "ok", **cluster.describe()})

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("control: %s", format % args)

    return Handler


def serve(port: int, brokers: int = 1, host: str = "127.0.0.1") -> None:
    """Run the cluster and its control API until SIGTERM/SIGINT."""
    cluster = MockCluster(brokers)
    server = ThreadingHTTPServer((host, port), make_handler(cluster))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, name="kafka-control", daemon=True)
    thread.start()
    print(f"MSK_BOOTSTRAP_SERVERS={cluster.bootstrap_servers}", flush=True)
    print(f"control API on http://{host}:{server.server_address[1]}/_sim/health", flush=True)
    try:
        stop.wait()
    finally:
        server.shutdown()
        cluster.close()
