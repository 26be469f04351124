"""Payload factories for the service's API, randomised from a ``random.Random`` the caller owns.

Every body these return satisfies its contract (``tests/contracts/test_load_payloads.py`` checks that),
so a failure under load is the service's, not the generator's. Seed the RNG to replay a run::

    rng = random.Random(7)
    order_request(rng, "cus_load_1")   # -> {"customer_ref": "cus_load_1", "currency": "EUR", "items": [...]}
"""

from __future__ import annotations

import random
from typing import Any

#: a small catalogue: (sku, name, unit_amount in minor units)
CATALOGUE: tuple[tuple[str, str, int], ...] = (
    ("TSHIRT-S", "T-shirt, small", 1999),
    ("TSHIRT-M", "T-shirt, medium", 1999),
    ("HOODIE", "Hoodie", 4950),
    ("MUG", "Mug", 850),
    ("STICKERS", "Sticker pack", 300),
    ("CAP", "Cap", 1500),
    ("POSTER", "Poster A2", 1250),
    ("BOTTLE", "Water bottle", 2200),
)
#: currencies with two-decimal (USD, EUR, GBP) and zero-decimal (JPY) minor units
CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "JPY")
CANCEL_REASONS: tuple[str | None, ...] = ("changed my mind", "found it cheaper", "ordered twice", None)


def customer_ref(rng: random.Random, prefix: str = "cus_load") -> str:
    """A customer reference like ``cus_load_3f9a1c0b`` (the pattern ``^[A-Za-z0-9._:-]+$``)."""
    return f"{prefix}_{rng.getrandbits(32):08x}"


def idempotency_key(rng: random.Random, prefix: str = "load") -> str:
    """A fresh Idempotency-Key (printable ASCII, well under 255 characters)."""
    return f"{prefix}-{rng.getrandbits(64):016x}"


def order_request(
    rng: random.Random, customer: str, *, max_items: int = 4, currency: str | None = None
) -> dict[str, Any]:
    """A valid ``POST /api/v1/orders`` body: 1..``max_items`` distinct catalogue lines of quantity 1..3."""
    lines = rng.sample(CATALOGUE, k=rng.randint(1, min(max_items, len(CATALOGUE))))
    return {
        "customer_ref": customer,
        "currency": currency or rng.choice(CURRENCIES),
        "items": [
            {"sku": sku, "name": name, "quantity": rng.randint(1, 3), "unit_amount": amount}
            for sku, name, amount in lines
        ],
        "metadata": {"source": "locust"},
    }


def cancel_request(rng: random.Random) -> dict[str, Any]:
    """A valid ``POST /api/v1/orders/{id}/cancel`` body (the reason may be null)."""
    return {"reason": rng.choice(CANCEL_REASONS)}
