"""The SQLAlchemy unit of work: one transaction for aggregates, idempotency records and outbox rows.

On ``commit`` it copies tracked aggregates onto their rows, moves every event the aggregates recorded
into ``outbox`` rows, and commits once; then it wakes the outbox relay. An optimistic-lock conflict
becomes ``ConcurrencyConflict`` and a duplicate idempotency key ``IdempotencyRace``; either way
nothing is written. Leaving the ``with`` block without committing rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from reference_service.adapters.orm import IdempotencyRow, OutboxRow
from reference_service.adapters.repository import SqlAlchemyIdempotencyStore, SqlAlchemyOrderRepository
from reference_service.domain.events import Event
from reference_service.ports import Clock
from reference_service.service_layer.errors import ConcurrencyConflict
from reference_service.service_layer.handlers.orders import IdempotencyRace


class SqlAlchemyUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        on_events_committed: Callable[[], None] | None = None,
        idempotency_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._on_events_committed = on_events_committed
        self._idempotency_ttl = idempotency_ttl
        self._committed_events: list[Event] = []

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.orders = SqlAlchemyOrderRepository(self.session)
        self.idempotency = SqlAlchemyIdempotencyStore(self.session, self._clock.now(), self._idempotency_ttl)
        self._committed_events = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self.session.close()

    def _pending_events(self) -> list[Event]:
        events: list[Event] = []
        for order, _row in self.orders.seen.values():
            events.extend(order.events)
        return events

    def commit(self) -> None:
        self.orders.flush_changes()
        events = self._pending_events()
        now = self._clock.now()
        for ev in events:
            self.session.add(
                OutboxRow(
                    event_id=ev.event_id,
                    event_type=ev.name,
                    aggregate_type=ev.aggregate_type,
                    aggregate_id=ev.aggregate_id,
                    payload=ev.to_payload(),
                    occurred_at=ev.occurred_at,
                    created_at=now,
                    next_attempt_at=now,
                    attempts=0,
                    dead=False,
                    handled_by=[],
                )
            )
        try:
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise ConcurrencyConflict("the resource was changed by another request; retry") from exc
        except sa_exc.IntegrityError as exc:
            self.session.rollback()
            if IdempotencyRow.__tablename__ in str(exc.orig) or "idempotency" in str(exc).lower():
                raise IdempotencyRace(str(exc.orig)) from exc
            raise
        for order, _row in self.orders.seen.values():
            order.events.clear()
        self._committed_events.extend(events)
        if events and self._on_events_committed is not None:
            self._on_events_committed()

    def rollback(self) -> None:
        self.session.rollback()

    def collect_new_events(self) -> list[Event]:
        return list(self._committed_events)
