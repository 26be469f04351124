"""The load generators send what the contracts allow: a failure under load is then the service's."""

from __future__ import annotations

import random

import pytest

import contracts
from load.common import payloads


@pytest.mark.parametrize("seed", range(25))
def test_order_requests_satisfy_the_create_contract(seed: int) -> None:
    rng = random.Random(seed)
    body = payloads.order_request(rng, payloads.customer_ref(rng))
    contracts.validate("api/orders/create-order-request", body)
    assert len({item["sku"] for item in body["items"]}) == len(body["items"])


@pytest.mark.parametrize("seed", range(10))
def test_cancel_requests_and_keys_satisfy_their_contracts(seed: int) -> None:
    rng = random.Random(seed)
    contracts.validate("api/orders/cancel-order-request", payloads.cancel_request(rng))
    key = payloads.idempotency_key(rng)
    assert 1 <= len(key) <= 255 and key.isascii() and key.isprintable() and " " not in key


def test_the_same_seed_gives_the_same_payloads() -> None:
    first, second = random.Random(7), random.Random(7)
    assert payloads.order_request(first, "cus_1") == payloads.order_request(second, "cus_1")
