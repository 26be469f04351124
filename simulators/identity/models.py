"""The issuer's state and operations, without HTTP: users, clients and token issuance.

:class:`Directory` holds the users (password grant) and clients (client credentials, and the public
client users sign in through). :class:`Issuer` authenticates them and issues RFC 9068 access tokens: a JWT
with header ``typ: at+jwt`` and ``kid``, signed by the key ring's active key, carrying ``iss``, ``sub``,
``aud``, ``exp``, ``iat``, ``nbf``, ``jti``, ``client_id``, ``scope`` and ``roles``. Identities from
:mod:`simulators.identity.magic` are *configured* and survive ``/_sim/reset``; those added through the
control API do not. ``iat``/``nbf``/``exp`` are wall-clock times (a resource server checks them with its own
clock); key retirement runs on the simulator's clock. ``jti`` comes from the seeded id generator.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jwt

from simulators.identity import exceptions as exc
from simulators.identity.magic import DEMO_USERS, SERVICE_CLIENT_ID, SERVICE_CLIENT_SECRET, WEB_CLIENT_ID
from simulators.identity.models_keys import KeyRing
from simulators.kernel.clock import SimClock
from simulators.kernel.ids import IdGenerator

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_PASSWORD = "password"
GRANT_TYPES = (GRANT_CLIENT_CREDENTIALS, GRANT_PASSWORD)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


@dataclass
class User:
    """A resource owner: ``username``/``password`` for the password grant, ``sub`` and ``roles`` for
    the tokens it gets."""

    username: str
    password: str
    sub: str
    roles: tuple[str, ...]
    configured: bool = False

    def to_json(self) -> dict[str, Any]:
        """Control view (the password is not shown)."""
        return {
            "username": self.username,
            "sub": self.sub,
            "roles": list(self.roles),
            "configured": self.configured,
        }


@dataclass
class Client:
    """An OAuth client. ``secret`` ``None`` is a public client (no client authentication). ``roles`` are
    what its client-credentials tokens carry; ``audience`` is the ``aud`` of its tokens."""

    client_id: str
    secret: str | None
    grant_types: tuple[str, ...]
    roles: tuple[str, ...] = ()
    audience: str | None = None
    configured: bool = False

    def to_json(self) -> dict[str, Any]:
        """Control view (the secret is shown: tests register clients to learn it, as with Twilio)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.secret,
            "public": self.secret is None,
            "grant_types": list(self.grant_types),
            "roles": list(self.roles),
            "audience": self.audience,
            "configured": self.configured,
        }


@dataclass
class Directory:
    """Users by username and clients by id; thread-safe."""

    users: dict[str, User] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_user(self, user: User) -> User:
        with self.lock:
            self.users[user.username] = user
        return user

    def add_client(self, client: Client) -> Client:
        with self.lock:
            self.clients[client.client_id] = client
        return client

    def remove_user(self, username: str) -> User | None:
        with self.lock:
            return self.users.pop(username, None)

    def remove_client(self, client_id: str) -> Client | None:
        with self.lock:
            return self.clients.pop(client_id, None)

    def reset(self) -> None:
        """Keep only the configured identities."""
        with self.lock:
            self.users = {k: u for k, u in self.users.items() if u.configured}
            self.clients = {k: c for k, c in self.clients.items() if c.configured}


def demo_directory(audience: str) -> Directory:
    """The directory a simulator starts with: the demo users, the public web client and the service
    client (see :mod:`simulators.identity.magic`)."""
    directory = Directory()
    for demo in DEMO_USERS:
        directory.add_user(User(demo.username, demo.password, demo.sub, demo.roles, configured=True))
    directory.add_client(Client(WEB_CLIENT_ID, None, (GRANT_PASSWORD,), audience=audience, configured=True))
    directory.add_client(
        Client(
            SERVICE_CLIENT_ID,
            SERVICE_CLIENT_SECRET,
            (GRANT_CLIENT_CREDENTIALS,),
            roles=("service",),
            audience=audience,
            configured=True,
        )
    )
    return directory


@dataclass(frozen=True)
class IssuedToken:
    """What the token endpoint answers: the JWT, its lifetime and its scope."""

    access_token: str
    expires_in: int
    scope: str | None


class Issuer:
    """Authenticates clients and users and signs their access tokens."""

    def __init__(
        self, directory: Directory, keys: KeyRing, clock: SimClock, ids: IdGenerator, audience: str, ttl: int
    ) -> None:
        self.directory = directory
        self.keys = keys
        self.clock = clock
        self.ids = ids
        self.audience = audience
        self.ttl = ttl

    # -- authentication ---------------------------------------------------------------------------------
    def client(self, client_id: str | None, secret: str | None, *, basic: bool) -> Client:
        """The authenticated client, or :class:`~simulators.identity.exceptions.InvalidClient`. A public
        client must send no secret; a confidential one must send its own."""
        if not client_id:
            raise exc.InvalidClient("Client authentication failed: no client_id.", basic=basic)
        client = self.directory.clients.get(client_id)
        if client is None:
            raise exc.InvalidClient("Client authentication failed: unknown client.", basic=basic)
        if client.secret is None:
            if secret:
                raise exc.InvalidClient(
                    "Client authentication failed: a public client has no secret.", basic=basic
                )
            return client
        if not secret or not _same(client.secret, secret):
            raise exc.InvalidClient("Client authentication failed.", basic=basic)
        return client

    def user(self, username: str, password: str) -> User:
        """The user whose password this is, or ``invalid_grant`` (never saying which part was wrong)."""
        user = self.directory.users.get(username)
        if user is None or not _same(user.password, password):
            raise exc.InvalidGrant("Invalid resource owner credentials.")
        return user

    @staticmethod
    def allow(client: Client, grant_type: str) -> None:
        """Refuse a grant the client is not registered for."""
        if grant_type not in client.grant_types:
            raise exc.UnauthorizedClient(f"The client is not authorized to use the {grant_type} grant.")

    # -- issuance ---------------------------------------------------------------------------------------
    def issue(
        self,
        *,
        issuer: str,
        sub: str,
        roles: Iterable[str],
        client_id: str,
        audience: str | None = None,
        scope: str | None = None,
        ttl: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> IssuedToken:
        """Sign an access token for ``sub`` with the active key."""
        # real time, not the simulated clock: resource servers check iat/exp against their own clocks, so
        # advancing the simulator's clock (to retire rotated keys) must not mint tokens from the future
        now = int(self.clock.now() - self.clock.offset)
        lifetime = self.ttl if ttl is None else ttl
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": sub,
            "aud": audience or self.audience,
            "exp": now + lifetime,
            "iat": now,
            "nbf": now,
            "jti": self.ids.prefixed("at", 24),
            "client_id": client_id,
            "roles": list(roles),
        }
        if scope:
            claims["scope"] = scope
        claims.update(extra or {})
        key = self.keys.active
        token = jwt.encode(
            claims, key.private_key, algorithm=key.alg, headers={"kid": key.kid, "typ": "at+jwt"}
        )
        return IssuedToken(token, lifetime, scope)

    def reset(self) -> None:
        """Forget control-registered identities and rotated keys."""
        self.directory.reset()
        self.keys.reset()
