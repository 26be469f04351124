"""API keys and accounts: ``Authorization: Bearer <key>`` or Basic (``<key>:``), as Stripe takes them.

The key check is stripe-mock's (``server/server.go`` ``validateAuth``): the key splits on ``_`` into exactly
three parts, ``sk``/``rk``/``pk``, ``test``, and something non-empty. Secret (``sk_``), restricted (``rk_``)
and publishable (``pk_``) keys of one account share its state, so the account is derived from the part after
the prefix: ``sk_test_X`` and ``pk_test_X`` are the same account. The account label is not the key itself
(the journal shows it): it is ``acct_`` + 16 characters of a hash of ``X`` — compute it with
:func:`account_for_key` (for fault rules that match on ``account``) or read ``GET /_sim/stripe/accounts``.

A publishable key may only do what Stripe.js does (:data:`PUBLISHABLE_OPERATIONS`): create PaymentMethods, and
retrieve, confirm or verify the microdeposits of a PaymentIntent with its ``client_secret``; anything else is
Stripe's 401.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from simulators.kernel.wsgi import SimRequest

ENVIRON_KEY = "stripe.key"
PUBLISHABLE_OPERATIONS = frozenset(
    {"retrieve_payment_intent", "confirm_payment_intent", "verify_microdeposits", "create_payment_method"}
)
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A parsed ``Authorization`` header: ``kind`` is ``sk``/``rk``/``pk``; ``account`` is ``None`` when the
    key is missing (``raw`` empty) or malformed."""

    raw: str
    kind: str | None
    account: str | None

    @property
    def publishable(self) -> bool:
        return self.kind == "pk"


def account_for_key(key: str) -> str | None:
    """The account label of a well-formed test key (``None`` otherwise)."""
    parts = key.split("_")
    if len(parts) != 3 or parts[0] not in ("sk", "rk", "pk") or parts[1] != "test" or not parts[2]:
        return None
    digest = hashlib.sha256(b"stripe-sim-account:" + parts[2].encode()).digest()
    return "acct_" + "".join(_ALPHABET[b % 62] for b in digest[:16])


def _key_from(request: SimRequest) -> tuple[str, bool]:
    """``(key, usable_scheme)``: only Bearer and Basic (``<key>:``) carry keys, as in stripe-mock."""
    auth = request.authorization()
    if auth is None:
        return "", True
    scheme, creds = auth
    if scheme == "bearer":
        return creds, True
    if scheme == "basic":
        try:
            decoded = base64.b64decode(creds, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return creds or " ", False
        return decoded.partition(":")[0] or " ", True
    return creds or " ", False


class KeyRing:
    """Parses keys and remembers the (few) keys it has seen, so the hot path costs one dict lookup."""

    def __init__(self, max_cached: int = 10_000) -> None:
        self._cache: dict[str, ApiKey] = {}
        self._max = max_cached

    def parse(self, raw: str) -> ApiKey:
        key = self._cache.get(raw)
        if key is not None:
            return key
        account = account_for_key(raw) if raw else None
        key = ApiKey(raw, raw.partition("_")[0] if account else None, account)
        if len(self._cache) < self._max:
            self._cache[raw] = key
        return key

    def for_request(self, request: SimRequest) -> ApiKey:
        """Parse the request's key and stash it in the environ for the provider's views."""
        raw, usable = _key_from(request)
        key = self.parse(raw) if usable else ApiKey(raw, None, None)
        request.environ[ENVIRON_KEY] = key
        return key
