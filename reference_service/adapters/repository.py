"""SQLAlchemy repositories: convert between ORM rows and domain aggregates.

The domain never sees a row. ``get`` and ``add`` register the aggregate with the repository so the
unit of work can write its changes and collect its events on commit (``seen``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.orm import IdempotencyRow, OrderItemRow, OrderRow
from reference_service.domain.orders import LineItem, Order, OrderStatus
from reference_service.ports import Page, StoredResponse


def _to_domain(row: OrderRow) -> Order:
    return Order(
        id=row.id,
        customer_ref=row.customer_ref,
        currency=row.currency,
        items=tuple(LineItem(i.sku, i.name, i.quantity, i.unit_amount) for i in row.items),
        status=OrderStatus(row.status),
        metadata=dict(row.metadata_ or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        cancellation_reason=row.cancellation_reason,
        status_reason=row.status_reason,
        version=row.version,
    )


class SqlAlchemyOrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, tuple[Order, OrderRow]] = {}

    def add(self, order: Order) -> None:
        row = OrderRow(
            id=order.id,
            customer_ref=order.customer_ref,
            currency=order.currency,
            total_amount=order.total.amount,
            status=order.status.value,
            status_reason=order.status_reason,
            cancellation_reason=order.cancellation_reason,
            metadata_=dict(order.metadata),
            created_at=order.created_at,
            updated_at=order.updated_at,
            items=[
                OrderItemRow(
                    position=n, sku=i.sku, name=i.name, quantity=i.quantity, unit_amount=i.unit_amount
                )
                for n, i in enumerate(order.items)
            ],
        )
        self.session.add(row)
        self.seen[order.id] = (order, row)

    def get(self, order_id: str) -> Order | None:
        if order_id in self.seen:
            return self.seen[order_id][0]
        row = self.session.get(OrderRow, order_id)
        if row is None:
            return None
        order = _to_domain(row)
        self.seen[order_id] = (order, row)
        return order

    def list(
        self,
        limit: int,
        starting_after: str | None = None,
        status: OrderStatus | None = None,
        customer_ref: str | None = None,
    ) -> Page:
        # ids are ULID-based, so id order is creation order and a keyset on id pages stably
        stmt = sa.select(OrderRow).order_by(OrderRow.id.desc()).limit(limit + 1)
        if starting_after is not None:
            stmt = stmt.where(OrderRow.id < starting_after)
        if status is not None:
            stmt = stmt.where(OrderRow.status == status.value)
        if customer_ref is not None:
            stmt = stmt.where(OrderRow.customer_ref == customer_ref)
        rows = list(self.session.scalars(stmt))
        return Page(items=[_to_domain(r) for r in rows[:limit]], has_more=len(rows) > limit)

    def flush_changes(self) -> None:
        """Copy each tracked aggregate's mutable fields onto its row (the row's version then bumps)."""
        for order, row in self.seen.values():
            if row.status != order.status.value:
                row.status = order.status.value
            row.status_reason = order.status_reason
            row.cancellation_reason = order.cancellation_reason
            if row.updated_at != order.updated_at:
                row.updated_at = order.updated_at
            if dict(row.metadata_ or {}) != order.metadata:
                row.metadata_ = dict(order.metadata)


class SqlAlchemyIdempotencyStore:
    """Idempotency records; a record older than ``ttl`` is forgotten, so its key can be used again."""

    def __init__(self, session: Session, now: datetime, ttl: timedelta) -> None:
        self.session = session
        self._now = now
        self._ttl = ttl

    def get(self, scope: str, key: str) -> StoredResponse | None:
        row = self.session.get(IdempotencyRow, (scope, key))
        if row is None:
            return None
        if row.created_at < self._now - self._ttl:
            self.session.delete(row)
            self.session.flush()
            return None
        return StoredResponse(row.request_fingerprint, row.status_code, dict(row.body))

    def put(self, scope: str, key: str, response: StoredResponse) -> None:
        self.session.add(
            IdempotencyRow(
                scope=scope,
                key=key,
                request_fingerprint=response.request_fingerprint,
                status_code=response.status_code,
                body=response.body,
                created_at=self._now,
            )
        )
