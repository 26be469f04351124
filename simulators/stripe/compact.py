"""How the Stripe simulator compresses the JSON it keeps for a while: each event's snapshot of its object
and each saved idempotent response (up to ``STRIPE_SIM_MAX_EVENTS`` and ``STRIPE_SIM_MAX_IDEMPOTENCY_KEYS``
of them per account).

zlib at level 1 with a preset dictionary: ``compact_samples.json`` holds a Charge, a confirm response and a
PaymentIntent as this simulator renders them, and their compact JSON is the dictionary. Most of a Stripe
object is the same keys and default values every time, so with the dictionary a PaymentIntent snapshot
(about 1.4 KB of JSON) keeps about 150 bytes instead of 680 (plain zlib). The dictionary is read once and
never changes while the process runs; nothing compressed here outlives the process.

Inspect: ``unpack(pack(b))`` is ``b``; ``len(pack(json.dumps(obj).encode()))`` shows what an object costs.
"""

from __future__ import annotations

import functools
import json
import zlib
from pathlib import Path

SAMPLES = Path(__file__).with_name("compact_samples.json")
LEVEL = 1  # about 10 us for a PaymentIntent


@functools.cache
def zdict() -> bytes:
    """The preset dictionary: the samples' compact JSON, the commonest shape (a PaymentIntent) last, where
    zlib's back-references are shortest."""
    return b"".join(json.dumps(sample).encode() for sample in json.loads(SAMPLES.read_text()))


def pack(data: bytes) -> bytes:
    """``data`` compressed with the preset dictionary."""
    compressor = zlib.compressobj(LEVEL, zdict=zdict())
    return compressor.compress(data) + compressor.flush()


def unpack(blob: bytes) -> bytes:
    """What :func:`pack` was given."""
    decompressor = zlib.decompressobj(zdict=zdict())
    return decompressor.decompress(blob) + decompressor.flush()
