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

from reference_service.adapters.orm import OutboxRow
from reference_service.ports import OutboxRecord


class SqlAlchemyOutboxStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        read_sessions: sessionmaker[Session] | None = None,
        write_gate: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._sessions = session_factory
        self._read_sessions = read_sessions or session_factory
        self._gate = write_gate or contextlib.nullcontext()

    def claim(self, owner: str, limit: int, now: datetime, lease_seconds: float) -> list[OutboxRecord]:
        due = sa.and_(
            OutboxRow.dispatched_at.is_(None),
            OutboxRow.dead.is_(False),
            OutboxRow.next_attempt_at <= now,
            sa.or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now),
        )
        with self._gate, self._sessions() as session, session.begin():
            ids = list(
                session.scalars(sa.select(OutboxRow.id).where(due).order_by(OutboxRow.id).limit(limit))
            )
            if not ids:
                return []
            session.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.id.in_(ids), due)
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds))
            )
            # plain columns, not ORM objects: the relay's hot path (identity map and events cost ~2x)
            columns = (OutboxRow.id, OutboxRow.event_type, OutboxRow.payload, OutboxRow.attempts)
            rows = session.execute(
                sa.select(*columns, OutboxRow.handled_by)
                .where(OutboxRow.id.in_(ids), OutboxRow.lease_owner == owner)
                .order_by(OutboxRow.id)
            ).all()
            return [
                OutboxRecord(r.id, r.event_type, dict(r.payload), r.attempts, frozenset(r.handled_by or ()))
                for r in rows
            ]

    def mark_dispatched(self, record_id: int, now: datetime) -> None:
        with self._gate, self._sessions() as session, session.begin():
            session.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.id == record_id)
                .values(dispatched_at=now, lease_owner=None, lease_until=None)
            )

    def mark_dispatched_many(self, record_ids: Sequence[int], now: datetime) -> None:
        if not record_ids:
            return
        with self._gate, self._sessions() as session, session.begin():
            session.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.id.in_(list(record_ids)))
                .values(dispatched_at=now, lease_owner=None, lease_until=None)
            )

    def mark_failed(
        self,
        record_id: int,
        error: str,
        next_attempt_at: datetime,
        dead: bool,
        now: datetime,
        handled_by: frozenset[str],
    ) -> None:
        with self._gate, self._sessions() as session, session.begin():
            session.execute(
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
