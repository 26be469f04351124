"""Steps of ``features/security/``: who the scenario's caller is (a role, a customer, a defective token,
an API key), challenges, and the rate limit across two service workers sharing Redis.

Tokens come from the test issuer the live service trusts (``tests/auth.py``); a defective token is a good
one spoiled in exactly one way. The rate-limit scenario starts its own two service processes
(``two_workers``), both counting into one Redis key prefix of their own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests
from pytest_bdd import given, then, when

from tests.auth import AUDIENCE, KID, auth_issuer
from tests.bdd.common_steps import p
from tests.bdd.world import ApiWorld
from tests.conftest import NO_AWS_ENV
from tests.support import LiveProcess, require, run_service

REDIS_URL = "redis://127.0.0.1:6379"
LIMIT = 1000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _reseal(token: str, header: dict[str, object], key: bytes | None = None) -> str:
    """``token``'s claims under a new header: unsigned, or HMAC-SHA256 with ``key``."""
    payload = token.split(".")[1]
    head = _b64(json.dumps(header).encode())
    if key is None:
        return f"{head}.{payload}."
    signature = hmac.new(key, f"{head}.{payload}".encode(), hashlib.sha256).digest()
    return f"{head}.{payload}.{_b64(signature)}"


def defective_token(defect: str) -> str:
    issuer = auth_issuer()
    if defect == "expired":
        return issuer.token("admin", exp=int(time.time()) - 3600)
    if defect == "tampered":
        head, payload, signature = issuer.token("customer", "cus_x").split(".")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
        claims["roles"] = ["admin"]
        return f"{head}.{_b64(json.dumps(claims).encode())}.{signature}"
    if defect == "from another issuer":
        return issuer.token("admin", iss="https://evil.example")
    if defect == "for another API":
        return issuer.token("admin", aud="not-" + AUDIENCE)
    if defect == "unsigned (alg none)":
        return _reseal(issuer.token("admin"), {"alg": "none", "kid": KID, "typ": "JWT"})
    if defect == "signed with HS256":  # the RS/HS confusion: the published key used as an HMAC secret
        public = json.dumps(issuer.jwks).encode()
        return _reseal(issuer.token("admin"), {"alg": "HS256", "kid": KID, "typ": "JWT"}, public)
    raise AssertionError(f"unknown defect {defect!r}")


def sign_in(world: ApiWorld, headers: dict[str, str]) -> None:
    world.session.headers.pop("Authorization", None)
    world.session.headers.pop("X-API-Key", None)
    world.session.headers.update(headers)


@given(p('I am signed in as the customer "{sub:Q}"'))
def signed_in_customer(world: ApiWorld, sub: str) -> None:
    sign_in(world, auth_issuer().headers("customer", world.expand(sub)))


@given(p('I am signed in as "{role:Q}"'))
def signed_in_role(world: ApiWorld, role: str) -> None:
    sign_in(world, auth_issuer().headers(role, f"usr_bdd_{role}_{world.nonce}"))


@given("I send no credentials")
def no_credentials(world: ApiWorld) -> None:
    sign_in(world, {})


@given(p("I present a token that is {defect}"))
def present_defective_token(world: ApiWorld, defect: str) -> None:
    sign_in(world, {"Authorization": f"Bearer {defective_token(defect)}"})


@given(p('the customer "{sub:Q}" has an order'))
def customer_has_order(world: ApiWorld, sub: str) -> None:
    customer = world.expand(sub)
    body = {"customer_ref": customer, "currency": "EUR",
            "items": [{"sku": "BDD", "name": "bdd", "quantity": 1, "unit_amount": 100}]}  # fmt: skip
    with auth_issuer().session("customer", customer) as owner:
        resp = owner.post(world.base_url + "/api/v1/orders", json=body, timeout=10)
    assert resp.status_code == 201, resp.text
    world.saved["order_id"] = resp.json()["id"]


@given(p('I use a new API key with the role "{role:Q}"'))
def new_api_key(world: ApiWorld, role: str) -> None:
    with auth_issuer().session("admin") as admin:
        resp = admin.post(
            world.base_url + "/api/v1/admin/api-keys",
            json={"name": f"bdd {world.nonce}", "roles": [role]},
            timeout=10,
        )
    assert resp.status_code == 201, resp.text
    world.saved["api_key_id"] = resp.json()["id"]
    sign_in(world, {"X-API-Key": resp.json()["key"]})


@given("the API key has been revoked")
def api_key_revoked(world: ApiWorld) -> None:
    with auth_issuer().session("admin") as admin:
        resp = admin.delete(f"{world.base_url}/api/v1/admin/api-keys/{world.saved['api_key_id']}", timeout=10)
    assert resp.status_code == 200 and resp.json()["status"] == "revoked", resp.text


@then(p('the challenge has the error "{error:Q}"'))
def challenge_error(world: ApiWorld, error: str) -> None:
    challenge = world.response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith('Bearer realm="genai-demo"') and f'error="{error}"' in challenge, challenge


@then("the challenge is a bare Bearer challenge")
def bare_challenge(world: ApiWorld) -> None:
    assert world.response.headers.get("WWW-Authenticate") == 'Bearer realm="genai-demo"'


@then(p('the response has a "{name:Q}" header'))
def has_header(world: ApiWorld, name: str) -> None:
    assert world.response.headers.get(name), dict(world.response.headers)


# -- the rate limit across two workers ---------------------------------------------------------------
@dataclass
class Workers:
    """Two service processes counting into one Redis prefix, and the statuses one client got."""

    processes: list[LiveProcess]
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[Workers]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        require("Redis", f"{REDIS_URL}: {type(exc).__name__}")
    env = {
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": f"bdd-{uuid.uuid4().hex[:12]}",
        "RATELIMIT_DEFAULT": f"{LIMIT}/minute",
        **NO_AWS_ENV,
        "OUTBOX_RELAY_ENABLED": "false",
    }
    database = tmp_path / "shared.db"  # one database, as two workers of one service have
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        run_service(tmp_path / "a", env={**env, "DATABASE_URL": f"sqlite:///{database}"}) as first,
        run_service(tmp_path / "b", env={**env, "DATABASE_URL": f"sqlite:///{database}"}) as second,
    ):
        yield Workers([first, second])


@given("two service workers sharing Redis")
def workers_sharing_redis(world: ApiWorld, two_workers: Workers) -> None:
    world.saved["client"] = f"cus_bdd_rl_{world.nonce}"
    sign_in(world, auth_issuer().headers("customer", world.saved["client"]))


@when(p("one client sends {count:d} requests alternating between the workers"))
def send_alternating(world: ApiWorld, two_workers: Workers, count: int) -> None:
    started = time.monotonic()
    for n in range(count):
        worker = two_workers.processes[n % 2]
        two_workers.statuses.append(
            world.session.get(worker.url + "/api/v1/orders?limit=1", timeout=10).status_code
        )
    assert time.monotonic() - started < 55, "too slow to stay inside one minute"


@then("every one of them is served")
def all_served(two_workers: Workers) -> None:
    assert two_workers.statuses.count(200) == len(two_workers.statuses), {
        s: two_workers.statuses.count(s) for s in set(two_workers.statuses)
    }


@when("the client sends one more request to either worker")
def one_more(world: ApiWorld, two_workers: Workers) -> None:
    world.base_url = two_workers.processes[len(two_workers.statuses) % 2].url
    world.send("GET", "/api/v1/orders?limit=1")


@then("another client is still served")
def another_client_served(world: ApiWorld, two_workers: Workers) -> None:
    other = requests.get(
        two_workers.processes[0].url + "/api/v1/orders?limit=1",
        headers=auth_issuer().headers("customer", f"cus_bdd_other_{world.nonce}"),
        timeout=10,
    )
    assert other.status_code == 200, other.text
