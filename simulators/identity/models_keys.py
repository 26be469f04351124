"""The issuer's signing keys: :class:`KeyRing` (generation, rotation with a grace period, the JWKS).

One key signs at a time (the *active* key). Rotating makes a new key active and gives the previous one a
``retires_at`` time on the simulator's clock: until then it stays in the JWKS, so tokens it signed keep
verifying at resource servers that refetch the JWKS, and after it leaves (``POST /_sim/advance`` moves the
clock). Keys are RS256 (RSA 2048) or ES256 (P-256), made with ``cryptography``; the ``kid`` is the key's
RFC 7638 JWK thumbprint, so the same id always names the same key material. Inspect the ring with
``GET /_sim/identity/keys`` (public parts only).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from simulators.kernel.clock import SimClock, iso_utc

Alg = Literal["RS256", "ES256"]
SIGNING_ALGS: tuple[Alg, ...] = ("RS256", "ES256")
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
#: the members RFC 7638 §3.2 hashes, per key type
_THUMBPRINT_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


def public_jwk(key: PrivateKey, alg: Alg) -> dict[str, Any]:
    """The public JWK of ``key`` (``kty`` and its members; no ``kid`` yet)."""
    if isinstance(key, rsa.RSAPrivateKey):
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return jwk


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint (SHA-256, base64url without padding) of a public JWK."""
    members = {name: jwk[name] for name in _THUMBPRINT_MEMBERS[jwk["kty"]]}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate(alg: Alg) -> PrivateKey:
    """A new private key for ``alg``."""
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class SigningKey:
    """One key of the ring: its id, algorithm, private key, when it was made and when it leaves the JWKS."""

    kid: str
    alg: Alg
    private_key: PrivateKey
    created_at: float
    retires_at: float | None = None
    initial: bool = False

    def jwk(self) -> dict[str, Any]:
        """The public JWK as a JWKS lists it (``kid``, ``use: sig``, ``alg``)."""
        jwk = public_jwk(self.private_key, self.alg)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg}

    def to_json(self, now: float, active: bool) -> dict[str, Any]:
        """The control view (no private part)."""
        return {
            "kid": self.kid,
            "alg": self.alg,
            "active": active,
            "published": self.retires_at is None or self.retires_at > now,
            "created_at": iso_utc(self.created_at),
            "retires_at": iso_utc(self.retires_at) if self.retires_at is not None else None,
        }


def make_key(alg: Alg, now: float, *, initial: bool = False) -> SigningKey:
    """A new :class:`SigningKey` whose ``kid`` is its thumbprint."""
    private = generate(alg)
    return SigningKey(thumbprint(public_jwk(private, alg)), alg, private, now, initial=initial)


class KeyRing:
    """The signing keys, newest last; thread-safe. ``active`` signs; retired keys stay published until
    their ``retires_at``."""

    def __init__(self, clock: SimClock, alg: Alg) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = [make_key(alg, clock.now(), initial=True)]

    @property
    def active(self) -> SigningKey:
        """The key that signs new tokens."""
        return self._keys[-1]

    def rotate(self, alg: Alg | None, grace_seconds: float) -> SigningKey:
        """Make a new active key (``alg`` or the current one's); the previous active key leaves the JWKS
        ``grace_seconds`` later (0: at once). Returns the new key."""
        now = self._clock.now()
        with self._lock:
            previous = self._keys[-1]
            key = make_key(alg or previous.alg, now)
            previous.retires_at = now + grace_seconds
            self._keys.append(key)
        return key

    def published(self) -> list[SigningKey]:
        """The keys in the JWKS: the active one and those still in their grace period (newest first)."""
        now = self._clock.now()
        keys = list(self._keys)
        return [k for k in reversed(keys) if k is keys[-1] or k.retires_at is None or k.retires_at > now]

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document (RFC 7517 §5)."""
        return {"keys": [key.jwk() for key in self.published()]}

    def to_json(self) -> list[dict[str, Any]]:
        """Every key, newest first, with its state (control API)."""
        now = self._clock.now()
        active = self.active
        return [key.to_json(now, key is active) for key in reversed(list(self._keys))]

    def reset(self) -> None:
        """Back to the key the simulator started with (keys from rotations are dropped)."""
        with self._lock:
            initial = self._keys[0]
            initial.retires_at = None
            self._keys = [initial]
