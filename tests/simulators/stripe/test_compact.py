"""What the Stripe simulator keeps compressed (event snapshots, saved idempotent responses) comes back
byte for byte, and the preset dictionary still fits the objects it renders today: if their shape drifts away
from ``compact_samples.json``, memory per event grows and this test says so."""

from __future__ import annotations

import json

from simulators.stripe.compact import pack, unpack, zdict
from simulators.stripe.models_store import API_VERSION

from .conftest import Raw


def test_pack_and_unpack_round_trip() -> None:
    for data in (b"", b"{}", json.dumps({"id": "pi_x", "amount": 2000}).encode(), bytes(range(256)) * 40):
        assert unpack(pack(data)) == data


def test_the_dictionary_fits_what_the_simulator_renders_now(raw: Raw) -> None:
    """The objects as the simulator renders them (key order included; the SDK would sort the keys), at the
    API version it pins events to: a PaymentIntent, its Charge, and the event that carried the success."""
    headers = {"Stripe-Version": API_VERSION}
    body = {"amount": 1999, "currency": "usd", "payment_method": "pm_card_mastercard", "confirm": "true",
            "metadata[order_id]": "ord_compact", "payment_method_types[0]": "card"}  # fmt: skip
    intent = raw.post("/v1/payment_intents", body, headers=headers).json()
    assert intent["status"] == "succeeded", intent
    charge = raw.get(f"/v1/charges/{intent['latest_charge']}", headers=headers).json()
    event = raw.get("/v1/events", {"type": "payment_intent.succeeded"}, headers=headers).json()["data"][0]
    for obj in (intent, charge, event["data"]["object"]):
        data = json.dumps(obj).encode()  # compact, as the simulator keeps it
        packed = pack(data)
        assert unpack(packed) == data
        # plain zlib keeps about half of it; the dictionary's shared keys and defaults bring it under a fifth
        assert len(packed) < len(data) / 5, (obj["object"], len(data), len(packed))
    assert len(zdict()) <= 32 * 1024  # zlib uses at most a 32 KB window of the dictionary
