"""The audit trail: who did what, with which result, in the append-only ``audit_events`` table.

Every mutating call and every admin read is recorded by the HTTP layer (``entrypoints/audit.py``) as an
:class:`AuditEntry`: the actor (``token`` with its subject, ``api_key`` with the key id, ``webhook`` for a
provider, ``anonymous``), its roles and OAuth client, the method, route template, action (the
operationId) and target (the path's ids), the status and outcome, the request id and the time. No PII is
kept in clear: the caller's IP address is an HMAC-SHA256 under a key derived from
``PII_ENCRYPTION_KEY`` (equal IPs still match), and bodies are never recorded.

On PostgreSQL an entry is a single autocommitted ``INSERT`` (one round trip; see :meth:`AuditLog.append`).
The table refuses UPDATE (a trigger, on SQLite and PostgreSQL); :meth:`AuditLog.purge` deletes what is
older than ``AUDIT_RETENTION_DAYS``, the only way rows leave. Query with ``GET /api/v1/admin/audit``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.database import write_statement
from reference_service.adapters.orm import AuditEventRow


def outcome_of(status: int) -> str:
    """``succeeded`` (<400), ``denied`` (401, 403), ``rejected`` (other 4xx) or ``failed`` (5xx)."""
    if status < 400:
        return "succeeded"
    if status in (401, 403):
        return "denied"
    return "rejected" if status < 500 else "failed"


@dataclass(frozen=True)
class AuditEntry:
    """One audited call (see the module docstring)."""

    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    method: str
    route: str
    action: str
    status: int
    request_id: str
    roles: tuple[str, ...] = ()
    client_id: str | None = None
    target_id: str | None = None
    client_ip_hash: str | None = None
    id: int | None = None
    outcome: str = field(default="")

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", outcome_of(self.status))


#: one statement object for every append, its values passed as parameters: SQLAlchemy keys its compiled
#: form on the object once, where ``insert().values(...)`` built per call walked every value to key it
_INSERT = sa.insert(AuditEventRow)


class AuditLog:
    """Appends to, reads and purges ``audit_events``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        ip_key: bytes,
        write_gate: AbstractContextManager[Any] | None = None,
        autocommit: sa.Engine | None = None,
    ) -> None:
        self._sessions = sessions
        self._read = read_sessions
        self._ip_key = ip_key
        self._gate = write_gate or contextlib.nullcontext()
        self._autocommit = autocommit

    @staticmethod
    def ip_key_from(pii_key: str) -> bytes:
        """The HMAC key for IP addresses, derived from the first PII key (never the key itself)."""
        return hashlib.sha256(b"genai-demo audit ip\0" + pii_key.split(",")[0].strip().encode()).digest()

    def hash_ip(self, ip: str | None) -> str | None:
        return hmac.new(self._ip_key, ip.encode(), hashlib.sha256).hexdigest() if ip else None

    def append(self, entry: AuditEntry) -> None:
        """Write ``entry``; it is committed when this returns (an error propagates: nothing was written).

        With an ``autocommit`` engine (PostgreSQL, see :func:`autocommit_engine`) the row is one ``INSERT``
        in autocommit mode: a single statement is its own transaction, atomic and durable when the server
        answers, so the BEGIN and COMMIT round trips of an explicit transaction buy nothing here. On SQLite
        it is a transaction behind the process's write gate, like every other write.
        """
        values = {
            "occurred_at": entry.occurred_at,
            "actor_kind": entry.actor_kind,
            "actor_id": entry.actor_id,
            "roles": list(entry.roles),
            "client_id": entry.client_id,
            "method": entry.method,
            "route": entry.route[:200],
            "action": entry.action[:100],
            "target_id": entry.target_id[:200] if entry.target_id else None,
            "status": entry.status,
            "outcome": entry.outcome,
            "request_id": entry.request_id,
            "client_ip_hash": entry.client_ip_hash,
        }
        write_statement(
            _INSERT, values, sessions=self._sessions, gate=self._gate, autocommit=self._autocommit
        )

    def query(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        actor_id: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
    ) -> tuple[list[AuditEntry], bool]:
        """Entries newest first, filtered; returns one page and whether there are more."""
        query = sa.select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit + 1)
        if before_id is not None:
            query = query.where(AuditEventRow.id < before_id)
        if actor_id is not None:
            query = query.where(AuditEventRow.actor_id == actor_id)
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if outcome is not None:
            query = query.where(AuditEventRow.outcome == outcome)
        if since is not None:
            query = query.where(AuditEventRow.occurred_at >= since)
        with self._read() as session:
            rows = list(session.scalars(query))
        entries = [
            AuditEntry(
                occurred_at=r.occurred_at,
                actor_kind=r.actor_kind,
                actor_id=r.actor_id,
                method=r.method,
                route=r.route,
                action=r.action,
                status=r.status,
                request_id=r.request_id,
                roles=tuple(r.roles),
                client_id=r.client_id,
                target_id=r.target_id,
                client_ip_hash=r.client_ip_hash,
                id=r.id,
                outcome=r.outcome,
            )
            for r in rows[:limit]
        ]
        return entries, len(rows) > limit

    def purge(self, before: datetime) -> int:
        """Delete entries older than ``before`` (retention); returns how many."""
        with self._gate, self._sessions() as session, session.begin():
            result = session.execute(sa.delete(AuditEventRow).where(AuditEventRow.occurred_at < before))
            return int(getattr(result, "rowcount", 0) or 0)
