"""The API keys the EasyPost simulator accepts and the account each maps to.

EasyPost authenticates with the API key as ``Authorization: Bearer <key>`` (what easypost-python 10 sends)
or as HTTP Basic with the key as the user and no password (``curl -u KEY:``). The simulator accepts any key
shaped like EasyPost's, ``EZTK…`` (test mode) or ``EZAK…`` (production mode), like stripe-mock accepts any
``sk_test_`` key, so each test can use its own account. A key is mapped to an account label that is not
itself a secret (``acct_`` + 12 hex of its SHA-256), which the journal shows. Anything else is 401
``APIKEY.REQUIRED``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from simulators.kernel.wsgi import SimRequest
from simulators.logistics import exceptions as exc

KEY_PATTERN = re.compile(r"^EZ[AT]K[A-Za-z0-9_]{1,120}$")


@dataclass(frozen=True)
class ApiKey:
    """An accepted key: its account label and mode (``test`` or ``production``)."""

    account: str
    mode: str


def key_of(request: SimRequest) -> str | None:
    """The API key of a request (Bearer, or the Basic user), if any."""
    token = request.bearer_token()
    if token:
        return token
    basic = request.basic_auth()
    return basic[0] if basic else None


def account_label(key: str) -> str:
    """The non-secret label of a key's account."""
    return "acct_" + hashlib.sha256(key.encode()).hexdigest()[:12]


def authenticate(request: SimRequest) -> ApiKey:
    """The request's account, or 401."""
    key = key_of(request)
    if not key or not KEY_PATTERN.match(key):
        raise exc.Unauthorized()
    return ApiKey(account_label(key), "production" if key.startswith("EZAK") else "test")
