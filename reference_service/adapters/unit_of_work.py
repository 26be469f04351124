"""The SQLAlchemy unit of work: one transaction for aggregates, idempotency records and outbox rows.

On ``commit`` it copies tracked aggregates onto their rows, moves every event the aggregates recorded
into ``outbox`` rows, and commits once; then it wakes the outbox relay. An optimistic-lock conflict
becomes ``ConcurrencyConflict`` and a duplicate idempotency key ``IdempotencyRace``; either way
nothing is written. Leaving the ``with`` block without committing rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from types import TracebackType
from typing import Any, Protocol, Self

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from reference_service.adapters.delivery_repository import SqlAlchemyDeliveryRepository
from reference_service.adapters.inventory_repository import (
    SqlAlchemyConsumerInbox,
    SqlAlchemyInventoryRepository,
)
from reference_service.adapters.notification_repository import (
    SqlAlchemyNotificationRepository,
    SqlAlchemySuppressionList,
)
from reference_service.adapters.orm import IdempotencyRow, OutboxRow, WebhookEventRow
from reference_service.adapters.repository import (
    SqlAlchemyIdempotencyStore,
    SqlAlchemyOrderRepository,
    SqlAlchemyPaymentRepository,
    SqlAlchemyWebhookInbox,
)
from reference_service.domain.events import Event
from reference_service.ports import Clock, PiiCipher
from reference_service.service_layer.errors import (
    ConcurrencyConflict,
    DuplicateWebhookEvent,
    IdempotencyRace,
)


class _Aggregate(Protocol):
    events: list[Event]


class TrackingRepository(Protocol):
    def flush_changes(self) -> None: ...

    def aggregates(self) -> Sequence[_Aggregate]: ...


_OUTBOX_INSERT = sa.insert(OutboxRow)


class SqlAlchemyUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        cipher: PiiCipher,
        *,
        on_events_committed: Callable[[], None] | None = None,
        idempotency_ttl: timedelta = timedelta(hours=24),
        write_gate: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._gate = write_gate
        self._clock = clock
        self._cipher = cipher
        self._on_events_committed = on_events_committed
        self._idempotency_ttl = idempotency_ttl

    def __enter__(self) -> Self:
        if self._gate is not None:
            self._gate.__enter__()
        try:
            self.session = self._session_factory()
        except BaseException:
            if self._gate is not None:
                self._gate.__exit__(None, None, None)
            raise
        self.orders = SqlAlchemyOrderRepository(self.session, self._cipher)
        now = self._clock.now()
        self.idempotency = SqlAlchemyIdempotencyStore(self.session, now, self._idempotency_ttl)
        self.payments = SqlAlchemyPaymentRepository(self.session)
        self.webhook_inbox = SqlAlchemyWebhookInbox(self.session, now)
        self.notifications = SqlAlchemyNotificationRepository(self.session, self._cipher)
        self.suppressions = SqlAlchemySuppressionList(self.session, self._cipher, now)
        self.deliveries = SqlAlchemyDeliveryRepository(self.session)
        self.inventory = SqlAlchemyInventoryRepository(self.session)
        self.consumer_inbox = SqlAlchemyConsumerInbox(self.session, now)
        #: repositories whose aggregates record events and are written back on commit
        self._tracking: list[TrackingRepository] = [
            self.orders,
            self.payments,
            self.notifications,
            self.deliveries,
        ]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
            self.session.close()
        finally:
            if self._gate is not None:
                self._gate.__exit__(None, None, None)

    def _pending_events(self) -> list[Event]:
        return [
            event for repo in self._tracking for aggregate in repo.aggregates() for event in aggregate.events
        ]

    def commit(self) -> None:
        for repo in self._tracking:
            repo.flush_changes()
        events = self._pending_events()
        now = self._clock.now()
        outbox = [
            {
                "event_id": event.event_id,
                "event_type": event.name,
                "aggregate_type": event.aggregate_type,
                "aggregate_id": event.aggregate_id,
                "payload": event.to_payload(),
                "occurred_at": event.occurred_at,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "dead": False,
                "handled_by": [],
            }
            for event in events
        ]
        try:
            if outbox:
                # Core, one multi-row INSERT in this transaction: the rows are never read back through the
                # session, so ORM objects (identity map, flush bookkeeping) would be work for nothing
                self.session.connection().execute(_OUTBOX_INSERT, outbox)
            self.session.commit()
        except StaleDataError as exc:
            self.session.rollback()
            raise ConcurrencyConflict("the resource was changed by another request; retry") from exc
        except sa_exc.IntegrityError as exc:
            self.session.rollback()
            message = str(exc.orig)
            if IdempotencyRow.__tablename__ in message or "pk_idempotency_keys" in message:
                raise IdempotencyRace(message) from exc
            if WebhookEventRow.__tablename__ in message or "pk_webhook_events" in message:
                raise DuplicateWebhookEvent(message) from exc
            if "uq_payments_order_attempt" in message or "payments.order_id, payments.attempt" in message:
                raise ConcurrencyConflict(
                    "another payment attempt for this order started at the same time"
                ) from exc
            if "uq_notifications_dedupe_key" in message or "notifications.dedupe_key" in message:
                raise ConcurrencyConflict("this notification was recorded by another worker first") from exc
            if "pk_consumer_inbox" in message or "consumer_inbox.consumer" in message:
                raise ConcurrencyConflict("another consumer applied this event at the same time") from exc
            if "uq_deliveries_active_order_id" in message or "deliveries.active_order_id" in message:
                raise ConcurrencyConflict("another delivery for this order started at the same time") from exc
            raise
        for repo in self._tracking:
            for aggregate in repo.aggregates():
                aggregate.events.clear()
        if events and self._on_events_committed is not None:
            self._on_events_committed()

    def rollback(self) -> None:
        self.session.rollback()
