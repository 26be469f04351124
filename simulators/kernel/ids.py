"""Seedable id generation in the formats providers use.

One :class:`IdGenerator` per simulator; ``POST /_sim/reset {"seed": N}`` reseeds it, so a test that
seeds gets the same ids every run. Formats: prefixed base62 (Stripe ``pi_3Nxyz...``), uppercase
alphanumerics (PayPal ``5O190127TN364715T``), prefix + hex (Twilio ``SM`` + 32 hex), uuid4-shaped strings,
and independent named RNG streams (:meth:`IdGenerator.stream`) for faults and chaos so that using the
control API does not shift a provider's id sequence.
"""

from __future__ import annotations

import hashlib
import os
import random
import string
import threading
import uuid

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
UPPER_ALNUM = string.digits + string.ascii_uppercase
HEX = "0123456789abcdef"


def _table(alphabet: str) -> bytes:
    return bytes(ord(alphabet[i % len(alphabet)]) for i in range(256))


_BASE62_TABLE = _table(BASE62)
_UPPER_ALNUM_TABLE = _table(UPPER_ALNUM)
_HEX_TABLE = _table(HEX)


def fresh_seed() -> int:
    """A random 63-bit seed from the OS (used when a config gives no seed)."""
    return int.from_bytes(os.urandom(8), "big") >> 1


def derive_seed(seed: int, name: str) -> int:
    """Stable child seed for stream ``name`` of ``seed`` (independent of Python's hash randomisation)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


class IdGenerator:
    """Thread-safe, seedable id factory. ``seed`` is ``None`` for a fresh random seed."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._seed = seed if seed is not None else fresh_seed()
        self._rng = random.Random(self._seed)
        self._counters: dict[str, int] = {}

    @property
    def seed(self) -> int:
        """The seed in force (after :meth:`reseed`)."""
        return self._seed

    def reseed(self, seed: int | None) -> int:
        """Restart every sequence from ``seed`` (a fresh random one when ``None``); returns the seed."""
        with self._lock:
            self._seed = seed if seed is not None else fresh_seed()
            self._rng = random.Random(self._seed)
            self._counters.clear()
            return self._seed

    def stream(self, name: str) -> random.Random:
        """A new RNG seeded from this generator's seed and ``name``; independent of the id sequence."""
        return random.Random(derive_seed(self._seed, name))

    def _chars(self, table: bytes, length: int) -> str:
        # One random byte per character mapped through a 256-entry table (byte % len(alphabet)): about
        # ten times faster than random.choices; the slight bias does not matter for ids.
        with self._lock:
            raw = self._rng.randbytes(length)
        return raw.translate(table).decode("ascii")

    def base62(self, length: int = 24) -> str:
        """``length`` random characters from ``0-9A-Za-z``."""
        return self._chars(_BASE62_TABLE, length)

    def prefixed(self, prefix: str, length: int = 24, sep: str = "_") -> str:
        """Stripe-style id: ``prefix + sep + base62(length)``, e.g. ``pi_3Nxyz...``."""
        return f"{prefix}{sep}{self.base62(length)}"

    def upper_alnum(self, length: int = 17) -> str:
        """Uppercase alphanumerics, e.g. a PayPal order id ``5O190127TN364715T``."""
        return self._chars(_UPPER_ALNUM_TABLE, length)

    def hex(self, length: int = 32) -> str:
        """Lowercase hex digits."""
        return self._chars(_HEX_TABLE, length)

    def sid(self, prefix: str = "SM", length: int = 32) -> str:
        """Twilio-style SID: ``prefix`` + ``length`` hex digits (``SM`` + 32 hex)."""
        return prefix + self.hex(length)

    def uuid4(self) -> str:
        """A uuid4-shaped string drawn from the seeded RNG (version and variant bits set)."""
        with self._lock:
            value = self._rng.getrandbits(128)
        return str(uuid.UUID(int=value, version=4))

    def random(self) -> float:
        """A float in [0, 1) from the id RNG (for provider decisions that must follow the seed)."""
        with self._lock:
            return self._rng.random()

    def counter(self, name: str) -> int:
        """Next value (from 1) of the named counter; counters restart on :meth:`reseed`."""
        with self._lock:
            value = self._counters.get(name, 0) + 1
            self._counters[name] = value
            return value
