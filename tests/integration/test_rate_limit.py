"""The rate limit (``entrypoints/ratelimit.py``) in-process: per client (token subject, API key, else IP),
429 problem+json with ``Retry-After`` and ``RateLimit-*``, the webhooks' own budget, failed
authentications counted too, one count shared through Redis, and the storage-error policy (open: served
and counted; closed: 503)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

import contracts
from reference_service.bootstrap import bootstrap
from reference_service.config import load_settings
from reference_service.entrypoints.app import create_app
from tests.auth import auth_issuer, authorized_client
from tests.support import require

pytestmark = pytest.mark.security
ORDERS = "/api/v1/orders"
REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``service(**settings)``: an app on its own SQLite file (several may share one rate-limit store)."""
    containers: list[Any] = []

    def make(**overrides: Any) -> Flask:
        settings = load_settings(
            database_url=f"sqlite:///{tmp_path / f'svc{len(containers)}.db'}",
            outbox_relay_enabled=False,
            **{**auth_issuer().settings(), **overrides},
        )
        container = bootstrap(settings)
        containers.append(container)
        return create_app(settings, container, start_relay=False)

    yield make
    for container in containers:
        container.close()


@pytest.fixture
def redis_prefix() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        require("Redis", f"{REDIS_URL}: {type(exc).__name__}")
    return f"test-{uuid.uuid4().hex[:12]}"


def test_the_request_over_the_limit_gets_a_429_problem(service: Callable[..., Flask]) -> None:
    app = service(ratelimit_default="5/minute", ratelimit_headers_always=True)
    ada = authorized_client(app, "customer", "cus_ada")
    remaining = []
    for _ in range(5):
        resp = ada.get(ORDERS)
        assert resp.status_code == 200 and resp.headers["RateLimit-Limit"] == "5"
        assert "Retry-After" not in resp.headers
        remaining.append(int(resp.headers["RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    over = ada.post(ORDERS, json={})  # every route counts against the same per-client limit
    assert over.status_code == 429 and over.mimetype == "application/problem+json"
    body = over.json
    contracts.validate("api/problem", body)
    assert body["type"] == "/problems/rate-limited" and body["limit"] == "5 per 1 minute"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.headers["RateLimit-Remaining"] == "0" and 0 <= int(over.headers["RateLimit-Reset"]) <= 60
    assert authorized_client(app, "customer", "cus_grace").get(ORDERS).status_code == 200  # another client
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'ratelimit_rejections_total{limit="default"} 1.0' in metrics


def test_ratelimit_headers_are_on_429s_only_by_default(service: Callable[..., Flask]) -> None:
    client = authorized_client(service(ratelimit_default="1/minute"), "customer", "cus_ada")
    assert "RateLimit-Limit" not in client.get(ORDERS).headers
    over = client.get(ORDERS)
    assert over.status_code == 429 and over.headers["RateLimit-Limit"] == "1" and over.headers["Retry-After"]


def test_failed_authentications_count_against_the_ip(service: Callable[..., Flask]) -> None:
    client = service(ratelimit_default="3/minute").test_client()
    answers = [client.get(ORDERS, headers={"X-API-Key": f"gdk_guess{n:08d}_x"}).status_code for n in range(4)]
    assert answers == [401, 401, 401, 429]


def test_webhooks_have_their_own_budget(service: Callable[..., Flask]) -> None:
    app = service(
        ratelimit_default="2/minute", ratelimit_webhooks="3/minute", stripe_webhook_secret="whsec_x"
    )
    provider = app.test_client()
    stripe = [provider.post("/api/v1/webhooks/stripe", data=b"{}").status_code for _ in range(3)]
    assert stripe == [400, 400, 400]  # unsigned, but served: within the webhooks' budget
    assert (
        provider.post("/api/v1/webhooks/twilio/status", data={}).status_code == 429
    )  # shared by all webhooks
    assert provider.get("/problems").status_code == 200  # the IP's default budget is untouched
    assert authorized_client(app, "admin").get(ORDERS).status_code == 200


@pytest.mark.redis
def test_instances_sharing_redis_share_one_count(service: Callable[..., Flask], redis_prefix: str) -> None:
    shared = {
        "ratelimit_storage_uri": REDIS_URL,
        "ratelimit_key_prefix": redis_prefix,
        "ratelimit_default": "4/minute",
    }
    first, second = service(**shared), service(**shared)
    token = auth_issuer().token("customer", "cus_shared")
    headers = {"Authorization": f"Bearer {token}"}
    answers = [app.test_client().get(ORDERS, headers=headers).status_code for app in (first, second) * 3]
    assert answers == [200, 200, 200, 200, 429, 429]


@pytest.mark.parametrize(("policy", "status"), [("open", 200), ("closed", 503)])
def test_the_storage_error_policy_decides_when_redis_is_down(
    service: Callable[..., Flask], policy: str, status: int
) -> None:
    app = service(ratelimit_storage_uri="redis://127.0.0.1:1", ratelimit_on_storage_error=policy)
    resp = authorized_client(app, "admin").get(ORDERS)
    assert resp.status_code == status, resp.get_data(as_text=True)
    if status == 503:
        assert resp.json["type"] == "/problems/rate-limit-unavailable" and resp.headers["Retry-After"] == "5"
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert f'ratelimit_storage_errors_total{{policy="{policy}"}}' in metrics
