"""Bearer JWT validation as a standard OAuth 2.0 resource server (RFC 6750, RFC 9068, RFC 8725).

:class:`JwtVerifier` turns an access token into a :class:`~reference_service.domain.access.Principal` or
raises :class:`TokenRejected` (the reason is safe to show the caller). In order:

1. the header's ``alg`` must be in the allowlist (asymmetric only, so ``alg: none`` and an HS256 token
   signed with the public key, the RS/HS confusion, never reach a verifier) and there must be a ``kid``;
2. the key of that ``kid`` comes from the issuer's JWK Set, and its type must fit the algorithm (RSA
   for RS*/PS*, EC for ES* on the curve of that algorithm, OKP for EdDSA);
3. PyJWT verifies the signature and ``iss``, ``aud`` (unless only client ids are configured), ``exp``,
   ``nbf`` and ``iat`` with the configured leeway, and requires ``exp``, ``iat``, ``iss`` and ``sub``;
4. ``client_id`` (or ``azp``) must be an allowed client when ``AUTH_CLIENT_IDS`` is set.

A verified token's principal is remembered by the token's exact text (:class:`VerifiedTokens`) for up to
60 s and never past its ``exp``, so a client sending the same token again costs a dictionary lookup, not a
signature check (``genai-demo bench auth`` measures both).

Keys come from :class:`PinnedKeys` (``AUTH_JWKS``) or :class:`RemoteKeys`: PyJWT's ``PyJWKClient`` on
``AUTH_JWKS_URL`` (or the ``jwks_uri`` of the issuer's discovery document), which caches the set for
``AUTH_JWKS_CACHE_SECONDS``, refetches once on an unknown ``kid`` (at most once per cooldown, so forged
``kid`` values cannot hammer the issuer) and, when the endpoint is down, keeps serving the last keys it
fetched (``auth_jwks_stale_total`` counts those times). With no keys at all it raises
:class:`KeysUnavailable` (a 503, not the caller's fault).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any

import jwt
import requests
from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError, PyJWKError

from reference_service.domain.access import Principal, roles_from

logger = logging.getLogger(__name__)

#: key type each algorithm family needs (RFC 7518 §3.1)
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub"]


class TokenRejected(Exception):
    """The token is not acceptable; ``reason`` is a short phrase for ``error_description`` and
    ``code`` a stable label for metrics."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched and none were cached: no token can be checked now."""


class PinnedKeys:
    """A JWK Set given in the configuration (``AUTH_JWKS``): nothing is fetched."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self._keys = {k.key_id: k for k in PyJWKSet.from_dict(jwks).keys if k.key_id}

    def key(self, kid: str) -> PyJWK:
        try:
            return self._keys[kid]
        except KeyError:
            raise TokenRejected("unknown signing key", "unknown_kid") from None


class _LastGoodJWKClient(PyJWKClient):
    """``PyJWKClient`` that answers a failed fetch with the last JWK Set it fetched, if any."""

    def __init__(self, uri: str, on_stale: Callable[[], None], **options: Any) -> None:
        super().__init__(uri, **options)
        self._last_good: Any = None
        self._on_stale = on_stale

    def fetch_data(self) -> Any:
        try:
            data = super().fetch_data()
        except PyJWKClientConnectionError:
            if self._last_good is None:
                raise
            self._on_stale()
            return self._last_good
        self._last_good = data
        return data


class RemoteKeys:
    """The issuer's JWK Set over HTTP(S), cached (see the module docstring). ``jwks_url`` ``None``: read
    ``jwks_uri`` from ``<issuer>/.well-known/openid-configuration`` on first use."""

    def __init__(
        self,
        issuer: str,
        jwks_url: str | None,
        *,
        cache_seconds: float,
        cooldown_seconds: float,
        timeout: float,
        on_stale: Callable[[], None],
    ) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self._options: dict[str, Any] = {
            "lifespan": cache_seconds,
            "cooldown_duration": cooldown_seconds,
            "timeout": timeout,
        }
        self._on_stale = on_stale
        self._client: PyJWKClient | None = None
        self._lock = threading.Lock()

    def _discover(self) -> str:
        url = self.issuer + "/.well-known/openid-configuration"
        timeout = float(self._options["timeout"])
        try:
            resp = requests.get(url, timeout=timeout)
            resp.raise_for_status()
            jwks_uri = resp.json()["jwks_uri"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            raise KeysUnavailable(f"discovery at {url} failed: {type(exc).__name__}") from None
        if not isinstance(jwks_uri, str):
            raise KeysUnavailable(f"discovery at {url} has no jwks_uri")
        return jwks_uri

    def client(self) -> PyJWKClient:
        """The JWK client (built on first use: discovery needs the issuer to be up)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    url = self.jwks_url or self._discover()
                    self._client = _LastGoodJWKClient(url, self._on_stale, **self._options)
        return self._client

    def key(self, kid: str) -> PyJWK:
        try:
            return self.client().get_signing_key(kid)
        except PyJWKClientConnectionError as exc:
            raise KeysUnavailable(str(exc)) from None
        except PyJWKClientError:
            raise TokenRejected("unknown signing key", "unknown_kid") from None
        except PyJWKError as exc:
            raise KeysUnavailable(f"the JWK Set is unusable: {exc}") from None


KeySource = PinnedKeys | RemoteKeys

_REJECTIONS: tuple[tuple[type[Exception], str, str], ...] = (
    (jwt.ExpiredSignatureError, "token expired", "expired"),
    (jwt.ImmatureSignatureError, "token not valid yet", "not_yet_valid"),
    (jwt.InvalidAudienceError, "token is not meant for this API (aud)", "audience"),
    (jwt.InvalidIssuerError, "token from another issuer (iss)", "issuer"),
    (jwt.MissingRequiredClaimError, "token lacks a required claim", "missing_claim"),
    (jwt.InvalidSignatureError, "signature verification failed", "signature"),
)


class VerifiedTokens:
    """The principals of tokens already verified, by exact token text, for at most ``ttl`` seconds and
    never past the token's own ``exp`` (plus leeway); bounded to ``size`` entries (least recently used
    leave first). A token is immutable and its signature was checked, so the same bytes need not be
    checked again within that time; a key leaving the JWK Set is noticed after ``ttl`` at the latest."""

    def __init__(self, size: int = 10_000, ttl: float = 60.0) -> None:
        self._items: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._size = size
        self._ttl = ttl
        self._lock = threading.Lock()

    def get(self, token: str, now: float) -> Principal | None:
        with self._lock:
            item = self._items.get(token)
            if item is None:
                return None
            if item[0] <= now:
                del self._items[token]
                return None
            self._items.move_to_end(token)
            return item[1]

    def put(self, token: str, principal: Principal, expires: float, now: float) -> None:
        with self._lock:
            self._items[token] = (min(expires, now + self._ttl), principal)
            self._items.move_to_end(token)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class JwtVerifier:
    """Validates bearer JWTs against one issuer (see the module docstring)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str | None,
        client_ids: Collection[str],
        algorithms: Collection[str],
        leeway: float,
        roles_claim: str,
        keys: KeySource,
    ) -> None:
        self.issuer = issuer
        self.audience = audience or None
        self.client_ids = frozenset(client_ids)
        self.algorithms = frozenset(algorithms)
        self.leeway = leeway
        self.roles_claim = roles_claim
        self.keys = keys
        self.verified = VerifiedTokens()

    def verify(self, token: str) -> Principal:
        """The principal the token names, or :class:`TokenRejected` / :class:`KeysUnavailable`."""
        now = time.time()
        cached = self.verified.get(token, now)
        if cached is not None:
            return cached
        principal, expires = self._verify(token)
        self.verified.put(token, principal, expires + self.leeway, now)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise TokenRejected("malformed token", "malformed") from None
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise TokenRejected("signing algorithm not allowed", "algorithm")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("token has no key id (kid)", "malformed")
        key = self.keys.key(kid)
        # an EC key's curve fixes its algorithm (P-256 is ES256 only); RSA keys serve RS* and PS*
        if key.key_type != _KEY_TYPES.get(alg[:2]) or (key.key_type == "EC" and key.algorithm_name != alg):
            raise TokenRejected("signing algorithm does not match the key", "algorithm")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS, "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as exc:
            for kind, reason, code in _REJECTIONS:
                if isinstance(exc, kind):
                    raise TokenRejected(reason, code) from None
            raise TokenRejected("invalid token", "invalid") from None
        client_id = claims.get("client_id") or claims.get("azp")
        if self.client_ids and client_id not in self.client_ids:
            raise TokenRejected("token issued to a client this API does not accept", "client")
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub:
            raise TokenRejected("token has no subject", "missing_claim")
        raw_roles = claims.get(self.roles_claim) or []
        roles = roles_from(raw_roles if isinstance(raw_roles, list) else [raw_roles])
        principal = Principal("token", sub, roles, client_id if isinstance(client_id, str) else None)
        return principal, float(claims["exp"])
