"""``genai-demo sim kafka``: the mock cluster in its own process, with a small HTTP control API.

- ``GET /_sim/health`` (and ``GET /_sim/kafka``): ``{"status": "ok", "bootstrap_servers": ...,
  "brokers": [{"id", "up", "rtt_ms"}], "faults": [...]}``;
- ``POST /_sim/kafka/brokers/<id>/down`` and ``.../up``: an outage and its end (same address, data kept);
- ``POST /_sim/kafka/brokers/<id>/rtt`` with ``{"ms": 800}``: every response of the broker is delayed;
- ``POST /_sim/faults`` with ``{"match": {"broker": 1}, "action": {"type": "latency", "ms": 800}}`` or
  ``{"action": {"type": "down"}}`` (no ``broker``: every broker), ``GET /_sim/faults``,
  ``GET``/``DELETE /_sim/faults/<id>``, ``DELETE /_sim/faults``: the same fault-rule resource the other
  simulators serve, for broker conditions. A rule holds while it exists; deleting it restores the
  brokers it touched (a broker stays down or slow while another rule, or the manual endpoints, say so).
  Broker conditions have no per-request ``times``/``probability``/``window``: those fields answer 400.

Errors have the control API's shape: ``{"error": {"code", "message"}}``.

It prints ``MSK_BOOTSTRAP_SERVERS=<host:port,...>`` on its first line of stdout so a parent can read it.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from simulators.kafka.cluster import MockCluster

logger = logging.getLogger(__name__)

_BROKER = re.compile(r"^/_sim/kafka/brokers/(\d+)/(down|up|rtt)$")
_FAULT = re.compile(r"^/_sim/faults/([A-Za-z0-9_]+)$")
_MAX_RTT_MS = 600_000


class ControlError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BrokerConditions:
    """What the control API asked of each broker: manual down/RTT plus fault rules; the cluster gets
    the combination (down if anything says down, the largest RTT asked for)."""

    def __init__(self, cluster: MockCluster) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._manual_down: set[int] = set()
        self._manual_rtt: dict[int, int] = {}
        self._rules: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    def _brokers(self, rule: dict[str, Any]) -> list[int]:
        broker = rule["match"].get("broker")
        return list(range(1, self.cluster.brokers + 1)) if broker is None else [int(broker)]

    def _apply(self, brokers: list[int]) -> None:
        for b in brokers:
            rules = [r for r in self._rules.values() if b in self._brokers(r)]
            down = b in self._manual_down or any(r["action"]["type"] == "down" for r in rules)
            rtt = max(
                [self._manual_rtt.get(b, 0)]
                + [int(r["action"]["ms"]) for r in rules if r["action"]["type"] == "latency"]
            )
            if rtt != self.cluster.rtt_ms.get(b, 0):
                self.cluster.set_rtt(b, rtt)
            if down and b not in self.cluster.down:
                self.cluster.set_down(b)
            elif not down and b in self.cluster.down:
                self.cluster.set_up(b)

    def _broker_id(self, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= self.cluster.brokers:
            raise ControlError(404, "unknown_broker", f"no broker {raw!r} (1..{self.cluster.brokers})")
        return raw

    def manual(self, broker: int, action: str, body: dict[str, Any]) -> None:
        broker = self._broker_id(broker)
        with self._lock:
            if action == "down":
                self._manual_down.add(broker)
            elif action == "up":
                self._manual_down.discard(broker)
            else:
                self._manual_rtt[broker] = _rtt(body.get("ms"))
            self._apply([broker])

    def add_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"match", "action", "description"})
        if unknown:
            raise ControlError(
                400,
                "invalid_fault",
                f"broker faults hold while the rule exists; {', '.join(unknown)} not supported",
            )
        match = body.get("match") or {}
        action = body.get("action")
        if not isinstance(match, dict) or set(match) - {"broker"}:
            raise ControlError(400, "invalid_fault", 'match may only name a "broker" (an id)')
        if "broker" in match:
            self._broker_id(match["broker"])
        if not isinstance(action, dict) or action.get("type") not in ("latency", "down"):
            raise ControlError(
                400, "invalid_fault", 'action must be {"type": "latency", "ms": n} or {"type": "down"}'
            )
        clean: dict[str, Any] = {"type": action["type"]}
        if action["type"] == "latency":
            clean["ms"] = _rtt(action.get("ms"))
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise ControlError(400, "invalid_fault", "description must be a string")
        with self._lock:
            rule_id = f"flt_{next(self._ids)}"
            rule: dict[str, Any] = {
                "id": rule_id,
                "match": dict(match),
                "action": clean,
                "active": True,
                "created": time.time(),
                **({"description": description} if description else {}),
            }
            self._rules[rule_id] = rule
            self._apply(self._brokers(rule))
            return dict(rule)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._rules.values()]

    def rule(self, rule_id: str) -> dict[str, Any]:
        with self._lock:
            if rule_id not in self._rules:
                raise ControlError(404, "fault_not_found", f"no fault rule {rule_id}")
            return dict(self._rules[rule_id])

    def delete_rule(self, rule_id: str | None) -> None:
        with self._lock:
            if rule_id is None:
                gone = list(self._rules.values())
                self._rules.clear()
            elif rule_id in self._rules:
                gone = [self._rules.pop(rule_id)]
            else:
                raise ControlError(404, "fault_not_found", f"no fault rule {rule_id}")
            self._apply(sorted({b for r in gone for b in self._brokers(r)}))


def _rtt(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= _MAX_RTT_MS:
        raise ControlError(
            400, "invalid_fault", f"ms must be a whole number of milliseconds, 0..{_MAX_RTT_MS}"
        )
    return raw


def make_handler(
    cluster: MockCluster, conditions: BrokerConditions | None = None
) -> type[BaseHTTPRequestHandler]:
    state = conditions or BrokerConditions(cluster)

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if not raw.strip():
                return {}
            try:
                body = json.loads(raw)
            except ValueError as exc:
                raise ControlError(400, "invalid_json", f"the body is not JSON: {exc}") from exc
            if not isinstance(body, dict):
                raise ControlError(400, "invalid_json", "the body must be a JSON object")
            return body

        def _handle(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            try:
                status, body = self._route(method, path)
            except ControlError as exc:
                status, body = exc.status, {"error": {"code": exc.code, "message": exc.message}}
            if status == 204:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(status, body)

        def _route(self, method: str, path: str) -> tuple[int, Any]:
            describe = {"status": "ok", **cluster.describe(), "faults": state.rules()}
            if method == "GET" and path in ("/_sim/health", "/_sim/kafka"):
                return 200, describe
            if path == "/_sim/faults":
                if method == "GET":
                    return 200, {"data": state.rules()}
                if method == "POST":
                    return 201, state.add_rule(self._body())
                if method == "DELETE":
                    state.delete_rule(None)
                    return 204, None
            if match := _FAULT.match(path):
                if method == "GET":
                    return 200, state.rule(match.group(1))
                if method == "DELETE":
                    state.delete_rule(match.group(1))
                    return 204, None
            if method == "POST" and (match := _BROKER.match(path)):
                state.manual(int(match.group(1)), match.group(2), self._body())
                return 200, {"status": "ok", **cluster.describe(), "faults": state.rules()}
            raise ControlError(404, "not_found", f"no control route {method} {path}")

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

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
