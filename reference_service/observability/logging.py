"""JSON logging and the access log.

``configure_logging`` sends every log record to stderr as one JSON object per line. The access log
(logger ``genai_demo.access``) writes one line per request with exactly these fields: ``request_id``,
``method``, ``route`` (the route template), ``status``, ``duration_ms`` and ``client``. It never logs
a body, a query string, a header value, a secret or PII (house rule 9). Tail it with
``genai-demo service 2>&1 | grep '"logger": "genai_demo.access"'``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

ACCESS_LOGGER = "genai_demo.access"
ACCESS_FIELDS = ("request_id", "method", "route", "status", "duration_ms", "client")
_RESERVED = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, plus any ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Route the root logger to stderr in JSON (idempotent: replaces earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # third-party chatter at INFO is noise in a lab; keep warnings
    for noisy in ("botocore", "urllib3", "werkzeug", "stripe", "twilio", "_granian", "granian"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def access_logger() -> logging.Logger:
    return logging.getLogger(ACCESS_LOGGER)
