"""The outbox table as the relay sees it (``ports.OutboxStore``).

Claiming uses a lease (``lease_owner``/``lease_until``) set by a conditional UPDATE, which works the
same on SQLite and PostgreSQL and lets several relays (several gunicorn workers) share one table:
a record whose lease expired (its relay died) is claimed again, so nothing is lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.database import write_statement
from reference_service.adapters.orm import OutboxRow
from reference_service.ports import OutboxRecord

_NOW = sa.bindparam("now", type_=OutboxRow.__table__.c.next_attempt_at.type)
_DUE = sa.and_(
    OutboxRow.dispatched_at.is_(None),
    OutboxRow.dead.is_(False),
    OutboxRow.next_attempt_at <= _NOW,
    sa.or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < _NOW),
)
#: the claim, built once with bound parameters (now, limit, owner, lease_until): SQLAlchemy keys its
#: compiled form on this object once instead of walking a new statement on every pass of the relay
_CLAIM = (
    sa.update(OutboxRow)
    .where(
        OutboxRow.id.in_(
            sa.select(OutboxRow.id)
            .where(_DUE)
            .order_by(OutboxRow.id)
            .limit(sa.bindparam("limit", type_=sa.Integer))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        ),
        _DUE,
    )
    .values(lease_owner=sa.bindparam("owner"), lease_until=sa.bindparam("lease_until"))
    # plain columns, not ORM objects: the relay's hot path (identity map and events cost ~2x)
    .returning(
        OutboxRow.id, OutboxRow.event_type, OutboxRow.payload, OutboxRow.attempts, OutboxRow.handled_by
    )
)
_DISPATCHED = (
    sa.update(OutboxRow)
    .where(OutboxRow.id.in_(sa.bindparam("ids", expanding=True)))
    .values(dispatched_at=sa.bindparam("now"), lease_owner=None, lease_until=None)
)


class SqlAlchemyOutboxStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        read_sessions: sessionmaker[Session] | None = None,
        write_gate: AbstractContextManager[Any] | None = None,
        autocommit: sa.Engine | None = None,
    ) -> None:
        self._sessions = session_factory
        self._read_sessions = read_sessions or session_factory
        self._gate = write_gate or contextlib.nullcontext()
        #: PostgreSQL's engine in autocommit mode (``database.autocommit_engine``): single-statement writes
        self._autocommit = autocommit

    def claim(self, owner: str, limit: int, now: datetime, lease_seconds: float) -> list[OutboxRecord]:
        """Lease up to ``limit`` due records to ``owner`` and return them in commit (id) order.

        One statement, ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED) RETURNING``:
        on PostgreSQL it runs in autocommit (a single statement is its own transaction, so no BEGIN and
        COMMIT round trips) and a second relay skips the rows this one is leasing instead of waiting for
        them; SQLite ignores ``FOR UPDATE`` and runs it behind the write gate, atomic like any statement.
        The outer ``due`` condition is checked again, so a record leased meanwhile is never taken twice.
        Inspect the leases with ``SELECT id, lease_owner, lease_until FROM outbox WHERE dispatched_at IS
        NULL``.
        """
        lease_until = now + timedelta(seconds=lease_seconds)
        rows = self._write(_CLAIM, {"now": now, "limit": limit, "owner": owner, "lease_until": lease_until})
        return sorted(
            (
                OutboxRecord(r.id, r.event_type, dict(r.payload), r.attempts, frozenset(r.handled_by or ()))
                for r in rows
            ),
            key=lambda record: record.id,
        )

    def _write(self, statement: sa.Executable, params: dict[str, Any] | None = None) -> list[sa.Row[Any]]:
        return write_statement(
            statement, params, sessions=self._sessions, gate=self._gate, autocommit=self._autocommit
        )

    def mark_dispatched(self, record_id: int, now: datetime) -> None:
        self.mark_dispatched_many([record_id], now)

    def mark_dispatched_many(self, record_ids: Sequence[int], now: datetime) -> None:
        if not record_ids:
            return
        self._write(_DISPATCHED, {"ids": list(record_ids), "now": now})

    def mark_failed(
        self,
        record_id: int,
        error: str,
        next_attempt_at: datetime,
        dead: bool,
        now: datetime,
        handled_by: frozenset[str],
    ) -> None:
        self._write(
            sa.update(OutboxRow)
            .where(OutboxRow.id == record_id)
            .values(
                attempts=OutboxRow.attempts + 1,
                last_error=error,
                next_attempt_at=next_attempt_at,
                dead=dead,
                handled_by=sorted(handled_by),
                lease_owner=None,
                lease_until=None,
            )
        )

    def stats(self) -> dict[str, int]:
        with self._read_sessions() as session:
            pending = session.scalar(
                sa.select(sa.func.count()).where(OutboxRow.dispatched_at.is_(None), OutboxRow.dead.is_(False))
            )
            dead = session.scalar(sa.select(sa.func.count()).where(OutboxRow.dead.is_(True)))
        return {"pending": int(pending or 0), "dead": int(dead or 0)}
