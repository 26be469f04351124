"""Stripe webhook helpers for tests: an independent implementation of Stripe's signing scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


def sign(payload: bytes, secret: str, timestamp: int | None = None, scheme: str = "v1") -> str:
    """``t=…,v1=…`` as Stripe sends it: HMAC-SHA256 keyed by the whole secret over ``{t}.{body}``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},{scheme}={mac}"


def stripe_event(event_type: str, obj: dict[str, Any], event_id: str = "evt_test_1") -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2023-10-16",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()


def intent(pi_id: str, status: str, payment_id: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": pi_id,
        "object": "payment_intent",
        "status": status,
        "amount": 3998,
        "currency": "usd",
        "metadata": {"payment_id": payment_id} if payment_id else {},
        "last_payment_error": None,
        **extra,
    }
