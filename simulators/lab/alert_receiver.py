"""The lab's Alertmanager receiver: a small HTTP endpoint that records every notification.

Alertmanager's ``webhook_configs`` POST a JSON body (``version`` 4) with the group's ``status``
(``firing``/``resolved``) and ``alerts[]``, each with its own ``status``, ``labels``, ``annotations``,
``startsAt``, ``endsAt`` and ``fingerprint``. The receiver keeps one record per alert of each notification,
with the time it arrived, in memory and appended to a JSON-lines file (``--record``), so a run can be read
back after the lab stopped.

Routes:
- ``POST /alertmanager``: a notification (what Alertmanager calls);
- ``GET /notifications``: every record, oldest first (``?alertname=StripeServiceDown`` filters);
- ``DELETE /notifications``: forget them (the file keeps its history);
- ``GET /health``: liveness.

Run it alone with ``genai-demo alert-receiver --port 12195``; ``genai-demo up --observability`` starts it
and shows its URL in the table.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, request


class Notifications:
    """Thread-safe log of received alert notifications (and its JSON-lines copy)."""

    def __init__(self, record: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._record = record

    def add(self, body: dict[str, Any], received_at: float) -> int:
        """Record each alert of Alertmanager's webhook ``body``; the number of alerts recorded."""
        alerts = body.get("alerts")
        if not isinstance(alerts, list):
            raise ValueError("a webhook notification has an 'alerts' list")
        records = [
            {
                "received_at": received_at,
                "group_status": body.get("status"),
                "receiver": body.get("receiver"),
                "status": alert.get("status"),
                "labels": alert.get("labels", {}),
                "annotations": alert.get("annotations", {}),
                "starts_at": alert.get("startsAt"),
                "ends_at": alert.get("endsAt"),
                "fingerprint": alert.get("fingerprint"),
            }
            for alert in alerts
            if isinstance(alert, dict)
        ]
        with self._lock:
            self._records.extend(records)
            if self._record is not None:
                with self._record.open("a", encoding="utf-8") as fh:
                    fh.writelines(json.dumps(r, sort_keys=True) + "\n" for r in records)
        return len(records)

    def list(self, alertname: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                r for r in self._records if alertname is None or r["labels"].get("alertname") == alertname
            ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def create_receiver_app(notifications: Notifications) -> Flask:
    """The receiver's WSGI app over ``notifications``."""
    app = Flask("alert_receiver")

    def reply(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    @app.post("/alertmanager")
    def receive() -> Response:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return reply({"error": "expected Alertmanager's webhook JSON object"}, 400)
        try:
            count = notifications.add(body, time.time())
        except ValueError as exc:
            return reply({"error": str(exc)}, 400)
        return reply({"recorded": count})

    @app.get("/notifications")
    def listing() -> Response:
        return reply({"data": notifications.list(request.args.get("alertname"))})

    @app.delete("/notifications")
    def forget() -> Response:
        notifications.clear()
        return reply({"cleared": True})

    @app.get("/health")
    def health() -> Response:
        return reply({"status": "UP", "notifications": len(notifications.list())})

    return app


def serve(port: int, record: Path | None, host: str = "127.0.0.1") -> None:
    """Serve the receiver until SIGTERM/SIGINT (werkzeug's threaded server: a handful of requests)."""
    from werkzeug.serving import make_server

    server = make_server(host, port, create_receiver_app(Notifications(record)), threaded=True)
    server.serve_forever()
