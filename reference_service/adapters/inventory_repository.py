"""Inventory and consumer-inbox persistence (``ports.InventoryRepository``, ``ports.ConsumerInbox``).

Reservations are race-free without explicit locks: ``try_reserve`` is one conditional UPDATE
(``SET reserved = reserved + q WHERE sku = ? AND on_hand - reserved >= q``). On PostgreSQL the row lock
it takes makes a concurrent reservation of the same SKU wait and then re-check the condition on the
committed row (READ COMMITTED re-evaluates the WHERE on the new version); on SQLite writers are
serialised. Units of work reserve SKUs in sorted order, so two orders never deadlock.

Inspect with ``SELECT * FROM stock_levels`` and ``SELECT * FROM inventory_reservations``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.orm import ConsumerInboxRow, ReservationRow, StockLevelRow
from reference_service.domain.inventory import (
    Reservation,
    ReservationLine,
    ReservationStatus,
    StockLevel,
    check_on_hand,
)


def _level(row: StockLevelRow) -> StockLevel:
    return StockLevel(row.sku, row.on_hand, row.reserved, row.updated_at)


class SqlAlchemyInventoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, sku: str) -> StockLevel | None:
        row = self.session.get(StockLevelRow, sku, populate_existing=True)
        return _level(row) if row is not None else None

    def list(self, limit: int, starting_after: str | None = None) -> list[StockLevel]:
        query = sa.select(StockLevelRow).order_by(StockLevelRow.sku).limit(limit)
        if starting_after is not None:
            query = query.where(StockLevelRow.sku > starting_after)
        return [_level(r) for r in self.session.scalars(query)]

    def set_on_hand(self, sku: str, on_hand: int, now: datetime) -> StockLevel:
        check_on_hand(sku, on_hand, 0)
        updated = self.session.execute(
            sa.update(StockLevelRow)
            .where(StockLevelRow.sku == sku, StockLevelRow.reserved <= on_hand)
            .values(on_hand=on_hand, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            current = self.get(sku)
            if current is not None:
                check_on_hand(sku, on_hand, current.reserved)  # raises: below what is reserved
            self.session.add(StockLevelRow(sku=sku, on_hand=on_hand, reserved=0, updated_at=now))
            self.session.flush()
        level = self.get(sku)
        assert level is not None
        return level

    def try_reserve(self, sku: str, quantity: int, now: datetime) -> bool | None:
        updated = self.session.execute(
            sa.update(StockLevelRow)
            .where(StockLevelRow.sku == sku, StockLevelRow.on_hand - StockLevelRow.reserved >= quantity)
            .values(reserved=StockLevelRow.reserved + quantity, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if updated.rowcount:  # type: ignore[attr-defined]
            return True
        exists = self.session.scalar(sa.select(StockLevelRow.sku).where(StockLevelRow.sku == sku))
        return False if exists is not None else None

    def release(self, sku: str, quantity: int, now: datetime) -> None:
        self.session.execute(
            sa.update(StockLevelRow)
            .where(StockLevelRow.sku == sku)
            .values(reserved=StockLevelRow.reserved - quantity, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    def consume(self, sku: str, quantity: int, now: datetime) -> None:
        self.session.execute(
            sa.update(StockLevelRow)
            .where(StockLevelRow.sku == sku)
            .values(
                reserved=StockLevelRow.reserved - quantity,
                on_hand=StockLevelRow.on_hand - quantity,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def reservation(self, order_id: str) -> Reservation | None:
        rows = list(
            self.session.scalars(
                sa.select(ReservationRow)
                .where(ReservationRow.order_id == order_id)
                .order_by(ReservationRow.sku)
            )
        )
        if not rows:
            return None
        return Reservation(
            order_id=order_id,
            lines=tuple(ReservationLine(r.sku, r.quantity) for r in rows),
            created_at=min(r.created_at for r in rows),
            updated_at=max(r.updated_at for r in rows),
            status=ReservationStatus(rows[0].status),
            stored=True,
        )

    def save_reservation(self, reservation: Reservation) -> None:
        if not reservation.stored:
            for line in reservation.lines:
                self.session.add(
                    ReservationRow(
                        order_id=reservation.order_id,
                        sku=line.sku,
                        quantity=line.quantity,
                        status=reservation.status.value,
                        created_at=reservation.created_at,
                        updated_at=reservation.updated_at,
                    )
                )
            reservation.stored = True
            return
        self.session.execute(
            sa.update(ReservationRow)
            .where(ReservationRow.order_id == reservation.order_id)
            .values(status=reservation.status.value, updated_at=reservation.updated_at)
            .execution_options(synchronize_session=False)
        )


#: whether a consumer already handled an event: the key only, no ORM object for a row never changed
_CLAIMED = sa.select(ConsumerInboxRow.event_id).where(
    ConsumerInboxRow.consumer == sa.bindparam("consumer"),
    ConsumerInboxRow.event_id == sa.bindparam("event_id"),
)


class SqlAlchemyConsumerInbox:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def claim(self, consumer: str, event_id: str, event_type: str) -> bool:
        found = self.session.connection().execute(_CLAIMED, {"consumer": consumer, "event_id": event_id})
        if found.first() is not None:
            return False
        # a concurrent consumer claiming the same event fails on the primary key at commit: no double effect
        self.session.add(
            ConsumerInboxRow(
                consumer=consumer, event_id=event_id, event_type=event_type, processed_at=self.now
            )
        )
        return True
