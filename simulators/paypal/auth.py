"""Apps (client credentials) and OAuth 2.0 client-credentials tokens, on the simulated clock.

An *app* is a PayPal REST app: client id + secret, an ``app_id`` (``APP-`` + 17), and the merchant account
it acts for. Each app is its own account in the simulator (its own orders, webhooks, events, tokens); the
account label is the client id, never the secret. The default app comes from ``PAYPAL_CLIENT_ID`` /
``PAYPAL_CLIENT_SECRET`` in the simulator's env (``genai-demo up`` passes the service's), else the lab
defaults ``genai-demo-client`` / ``genai-demo-secret``; ``POST /_sim/paypal/apps`` adds more. Apps and
tokens survive ``POST /_sim/reset`` (like webhook endpoints: they are what the service was configured
with).

``POST /v1/oauth2/token`` answers ``{scope, access_token, token_type: "Bearer", app_id, expires_in: 32400,
nonce}`` (the reference's real capture; ``nonce`` starts with an ISO timestamp). A token dies 32400 s of
*simulated* time after issue: ``POST /_sim/clock {"advance": 32400}`` expires it. Each app keeps at most
:data:`MAX_TOKENS_PER_APP` live tokens (oldest dropped first), so a client that never caches stays flat.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from typing import Any

from simulators.kernel.backend import BoundedMap
from simulators.kernel.clock import iso_utc
from simulators.kernel.ids import IdGenerator
from simulators.paypal.magic import account_id

DEFAULT_CLIENT_ID = "genai-demo-client"
DEFAULT_CLIENT_SECRET = "genai-demo-secret"
TOKEN_TTL_S = 32400
MAX_TOKENS_PER_APP = 1000
# The scopes a sandbox REST app's token lists (abridged from a real token response).
SCOPE = " ".join(
    (
        "https://uri.paypal.com/services/invoicing",
        "https://uri.paypal.com/services/disputes/read-buyer",
        "https://uri.paypal.com/services/payments/realtimepayment",
        "https://uri.paypal.com/services/disputes/update-seller",
        "https://uri.paypal.com/services/payments/payment/authcapture",
        "openid",
        "https://uri.paypal.com/services/disputes/read-seller",
        "https://uri.paypal.com/services/payments/refund",
        "https://api-m.paypal.com/v1/payments/.*",
        "https://uri.paypal.com/services/subscriptions",
        "https://uri.paypal.com/services/applications/webhooks",
    )
)


@dataclass(frozen=True)
class App:
    """One REST app and the merchant account it acts for."""

    client_id: str
    client_secret: str
    app_id: str
    merchant_id: str
    merchant_email: str
    created: float

    def to_json(self) -> dict[str, Any]:
        """Control-API view (the secret is shown: the control API is how a test learns it)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "app_id": self.app_id,
            "merchant_id": self.merchant_id,
            "merchant_email": self.merchant_email,
            "created": self.created,
        }


@dataclass
class Token:
    """An issued access token."""

    value: str
    client_id: str
    issued_at: float
    expires_at: float


class AppRegistry:
    """Apps by client id (thread-safe)."""

    def __init__(self) -> None:
        self._apps: dict[str, App] = {}
        self._lock = threading.Lock()

    def add(self, client_id: str, client_secret: str, ids: IdGenerator, now: float) -> App:
        """Register an app; raises ``KeyError`` if the client id is taken."""
        merchant_id = account_id("merchant:" + client_id)
        app = App(
            client_id=client_id,
            client_secret=client_secret,
            app_id="APP-" + ids.upper_alnum(17),
            merchant_id=merchant_id,
            merchant_email=f"sb-{merchant_id.lower()}@business.example.com",
            created=now,
        )
        with self._lock:
            if client_id in self._apps:
                raise KeyError(client_id)
            self._apps[client_id] = app
        return app

    def get(self, client_id: str) -> App | None:
        """The app with ``client_id``."""
        return self._apps.get(client_id)

    def remove(self, client_id: str) -> App | None:
        """Unregister an app."""
        with self._lock:
            return self._apps.pop(client_id, None)

    def all(self) -> list[App]:
        """Every app, oldest first."""
        return list(self._apps.values())

    def authenticate(self, client_id: str, client_secret: str) -> App | None:
        """The app if the credentials match (constant-time secret comparison)."""
        app = self._apps.get(client_id)
        if app is None or not hmac.compare_digest(app.client_secret.encode(), client_secret.encode()):
            return None
        return app


class TokenStore:
    """Live tokens; lookups are a dict read (no lock), issue and eviction take the lock."""

    def __init__(self) -> None:
        self._by_value: dict[str, Token] = {}
        self._by_app: dict[str, BoundedMap[str, Token]] = {}
        self._lock = threading.Lock()

    def issue(self, app: App, ids: IdGenerator, now: float) -> Token:
        """A new token for ``app`` valid for :data:`TOKEN_TTL_S` simulated seconds."""
        token = Token("A21AA" + ids.base62(92), app.client_id, now, now + TOKEN_TTL_S)
        with self._lock:
            bucket = self._by_app.get(app.client_id)
            if bucket is None:
                bucket = BoundedMap(MAX_TOKENS_PER_APP, lambda value, _token: self._by_value.pop(value, None))
                self._by_app[app.client_id] = bucket
            bucket.add(token.value, token)
            self._by_value[token.value] = token
        return token

    def resolve(self, value: str, now: float) -> Token | None:
        """The live token ``value`` (``None`` if unknown or expired on the simulated clock)."""
        token = self._by_value.get(value)
        if token is None or now >= token.expires_at:
            return None
        return token

    def revoke_app(self, client_id: str) -> int:
        """Drop every token of an app; returns how many."""
        with self._lock:
            bucket = self._by_app.pop(client_id, None)
            if bucket is None:
                return 0
            for value in bucket:
                self._by_value.pop(value, None)
            return len(bucket)

    def live(self, client_id: str, now: float) -> int:
        """How many unexpired tokens an app holds."""
        bucket = self._by_app.get(client_id)
        return 0 if bucket is None else sum(1 for t in list(bucket.values()) if t.expires_at > now)


def token_response(token: Token, app: App, ids: IdGenerator) -> dict[str, Any]:
    """The body of a successful ``POST /v1/oauth2/token``."""
    issued = iso_utc(token.issued_at)
    return {
        "scope": SCOPE,
        "access_token": token.value,
        "token_type": "Bearer",
        "app_id": app.app_id,
        "expires_in": int(token.expires_at - token.issued_at),
        "nonce": issued + ids.base62(43),
    }
