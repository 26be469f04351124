"""API keys for machine clients and automation (``X-API-Key: gdk_…``), stored as hashes.

A key reads ``gdk_<12 public characters>_<43 secret characters>``. The first 16 characters are its public
*prefix*: stored in clear, shown in listings and logs, and used to find the row, as Stripe's ``sk_live_…``
and GitHub's ``ghp_…`` work. The whole key is shown once, when it is created or rotated; the database
keeps only its SHA-256. A fast hash is the right one here (unlike a password hash): the secret part has 256
bits of entropy, so there is nothing to brute-force, and a slow hash would cost every request.

:class:`ApiKeyStore` creates, lists, rotates (a new secret under a new id; the old key is revoked and
names its successor), revokes and verifies keys. Verifying compares hashes in constant time, refuses
revoked and expired keys, and refreshes ``last_used_at`` at most once a minute per key. A verified key is
trusted for :data:`VERIFIED_FOR_SECONDS` without reading its row again; revoking or rotating it through
this process forgets it at once. Inspect with
``GET /api/v1/admin/api-keys`` or ``genai-demo api-key list``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import string
import threading
import time
from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.orm import ApiKeyRow
from reference_service.domain.access import Principal, Role, roles_from
from reference_service.ports import Clock, IdGenerator

KEY_PREFIX = "gdk_"
_PUBLIC_CHARS = 12
PREFIX_LENGTH = len(KEY_PREFIX) + _PUBLIC_CHARS
_ALPHABET = string.ascii_letters + string.digits
LAST_USED_EVERY = timedelta(minutes=1)
#: how long a verified key is trusted without reading its row again (revoking or rotating through this
#: process takes effect at once; through another process within this time)
VERIFIED_FOR_SECONDS = 5.0
#: roles a key may carry: a customer is a person with a token, never a key
KEY_ROLES = frozenset({Role.SERVICE, Role.SUPPORT, Role.ADMIN})


def digest(key: str) -> str:
    """The stored form of a key: SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A fresh ``(key, prefix)``."""
    public = "".join(secrets.choice(_ALPHABET) for _ in range(_PUBLIC_CHARS))
    prefix = KEY_PREFIX + public
    return f"{prefix}_{secrets.token_urlsafe(32)}", prefix


def prefix_of(key: str) -> str | None:
    """The public prefix of a well-formed key, else ``None``."""
    if len(key) < PREFIX_LENGTH + 2 or not key.startswith(KEY_PREFIX) or key[PREFIX_LENGTH] != "_":
        return None
    prefix = key[:PREFIX_LENGTH]
    return prefix if all(c in _ALPHABET for c in prefix[len(KEY_PREFIX) :]) else None


@dataclass(frozen=True)
class ApiKey:
    """What is known about a key (never its secret)."""

    id: str
    prefix: str
    name: str
    roles: tuple[str, ...]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    replaced_by: str | None

    def status(self, now: datetime) -> str:
        """``active``, ``revoked`` or ``expired``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            row.id,
            row.prefix,
            row.name,
            tuple(row.roles),
            row.created_by,
            row.created_at,
            row.expires_at,
            row.last_used_at,
            row.revoked_at,
            row.replaced_by,
        )


class KeyRejected(Exception):
    """The presented key is unknown, revoked or expired (``reason`` says which, for the log)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ApiKeyStore:
    """The ``api_keys`` table (see the module docstring)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        clock: Clock,
        ids: IdGenerator,
        write_gate: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._sessions = sessions
        self._read = read_sessions
        self._clock = clock
        self._ids = ids
        self._gate = write_gate or contextlib.nullcontext()
        self._verified: dict[str, tuple[float, datetime | None, Principal]] = {}
        self._lock = threading.Lock()

    def _forget(self, key_id: str) -> None:
        with self._lock:
            for digest_, (_, _, principal) in list(self._verified.items()):
                if principal.id == key_id:
                    del self._verified[digest_]

    def create(
        self, name: str, roles: Collection[str], created_by: str, expires_at: datetime | None = None
    ) -> tuple[ApiKey, str]:
        """A new key; returns it and its secret (shown once)."""
        key, prefix = new_key()
        row = ApiKeyRow(
            id=self._ids.new_id("key"),
            prefix=prefix,
            secret_hash=digest(key),
            name=name,
            roles=sorted(set(roles)),
            created_by=created_by,
            created_at=self._clock.now(),
            expires_at=expires_at,
        )
        with self._gate, self._sessions() as session, session.begin():
            session.add(row)
        return ApiKey.of(row), key

    def list(self, include_revoked: bool = False) -> list[ApiKey]:
        """Every key, newest first (revoked ones only when asked)."""
        query = sa.select(ApiKeyRow).order_by(ApiKeyRow.created_at.desc(), ApiKeyRow.id.desc())
        if not include_revoked:
            query = query.where(ApiKeyRow.revoked_at.is_(None))
        with self._read() as session:
            return [ApiKey.of(row) for row in session.scalars(query)]

    def get(self, key_id: str) -> ApiKey | None:
        with self._read() as session:
            row = session.get(ApiKeyRow, key_id)
            return ApiKey.of(row) if row is not None else None

    def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke a key (idempotent); ``None`` when there is no such key."""
        self._forget(key_id)
        with self._gate, self._sessions() as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = self._clock.now()
            return ApiKey.of(row)

    def rotate(self, key_id: str, rotated_by: str) -> tuple[ApiKey, str] | None:
        """A new key with the same name, roles and expiry; the old one is revoked and names it. ``None``
        when there is no such active key."""
        self._forget(key_id)
        new_secret, prefix = new_key()
        now = self._clock.now()
        with self._gate, self._sessions() as session, session.begin():
            old = session.get(ApiKeyRow, key_id)
            if old is None or old.revoked_at is not None:
                return None
            row = ApiKeyRow(
                id=self._ids.new_id("key"),
                prefix=prefix,
                secret_hash=digest(new_secret),
                name=old.name,
                roles=list(old.roles),
                created_by=rotated_by,
                created_at=now,
                expires_at=old.expires_at,
            )
            session.add(row)
            old.revoked_at = now
            old.replaced_by = row.id
            return ApiKey.of(row), new_secret

    def verify(self, presented: str) -> Principal:
        """The principal of a valid key, or :class:`KeyRejected` (a key verified in the last
        :data:`VERIFIED_FOR_SECONDS` is not read again)."""
        presented_digest = digest(presented)
        with self._lock:
            cached = self._verified.get(presented_digest)
        if cached is not None:
            until, expires_at, principal = cached
            if time.monotonic() < until and (expires_at is None or self._clock.now() < expires_at):
                return principal
        principal, key_expiry = self._verify(presented)
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[presented_digest] = (
                time.monotonic() + VERIFIED_FOR_SECONDS,
                key_expiry,
                principal,
            )
        return principal

    def _verify(self, presented: str) -> tuple[Principal, datetime | None]:
        prefix = prefix_of(presented)
        if prefix is None:
            raise KeyRejected("malformed")
        with self._read() as session:
            row = session.scalars(sa.select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)).first()
            key = ApiKey.of(row) if row is not None else None
            stored = row.secret_hash if row is not None else digest("")
        if not hmac.compare_digest(stored, digest(presented)) or key is None:
            raise KeyRejected("unknown")
        now = self._clock.now()
        status = key.status(now)
        if status != "active":
            raise KeyRejected(status)
        if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
            self._touch(key.id, now)
        return Principal("api_key", key.id, roles_from(key.roles) & KEY_ROLES), key.expires_at

    def _touch(self, key_id: str, now: datetime) -> None:
        with self._gate, self._sessions() as session, session.begin():
            session.execute(sa.update(ApiKeyRow).where(ApiKeyRow.id == key_id).values(last_used_at=now))
