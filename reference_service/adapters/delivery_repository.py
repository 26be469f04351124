"""The SQLAlchemy delivery repository: converts between ``DeliveryRow`` and the ``Delivery`` aggregate and
tracks what it loads, so the unit of work writes changes and collects events on commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.orm import DeliveryRow
from reference_service.domain.deliveries import OPEN, Delivery, DeliveryStatus, StatusChange

_FIELDS = (
    "carrier",
    "service",
    "amount",
    "currency",
    "tracking_number",
    "label_url",
    "provider_ref",
    "est_delivery_at",
    "cancellation_reason",
    "updated_at",
)


def _to_domain(row: DeliveryRow) -> Delivery:
    return Delivery(
        id=row.id,
        order_id=row.order_id,
        quote_id=row.quote_id,
        provider=row.provider,
        status=DeliveryStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        carrier=row.carrier,
        service=row.service,
        amount=row.amount,
        currency=row.currency,
        tracking_number=row.tracking_number,
        label_url=row.label_url,
        provider_ref=row.provider_ref,
        est_delivery_at=row.est_delivery_at,
        cancellation_reason=row.cancellation_reason,
        history=[
            StatusChange(
                h["status"],
                h.get("provider_status"),
                h["source"],
                h["applied"],
                datetime.fromisoformat(h["at"]),
            )
            for h in row.history or []
        ],
        version=row.version,
    )


class SqlAlchemyDeliveryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, tuple[Delivery, DeliveryRow]] = {}

    def _track(self, row: DeliveryRow) -> Delivery:
        if row.id in self.seen:
            return self.seen[row.id][0]
        delivery = _to_domain(row)
        self.seen[row.id] = (delivery, row)
        return delivery

    def add(self, delivery: Delivery) -> None:
        row = DeliveryRow(
            id=delivery.id,
            order_id=delivery.order_id,
            active_order_id=delivery.order_id if delivery.active else None,
            quote_id=delivery.quote_id,
            provider=delivery.provider,
            status=delivery.status.value,
            history=[h.to_dict() for h in delivery.history],
            created_at=delivery.created_at,
            **{name: getattr(delivery, name) for name in _FIELDS},
        )
        self.session.add(row)
        self.seen[delivery.id] = (delivery, row)

    def get(self, delivery_id: str) -> Delivery | None:
        if delivery_id in self.seen:
            return self.seen[delivery_id][0]
        row = self.session.get(DeliveryRow, delivery_id)
        return self._track(row) if row is not None else None

    def for_order(self, order_id: str) -> list[Delivery]:
        rows = self.session.scalars(
            sa.select(DeliveryRow)
            .where(DeliveryRow.order_id == order_id)
            .order_by(DeliveryRow.created_at, DeliveryRow.id)
        )
        return [self._track(r) for r in rows]

    def get_by_tracking_number(self, tracking_number: str) -> Delivery | None:
        row = self.session.scalars(
            sa.select(DeliveryRow)
            .where(DeliveryRow.tracking_number == tracking_number)
            .order_by(DeliveryRow.created_at.desc())
        ).first()
        return self._track(row) if row is not None else None

    def open(self, limit: int) -> list[Delivery]:
        rows = self.session.scalars(
            sa.select(DeliveryRow)
            .where(DeliveryRow.status.in_([s.value for s in OPEN]))
            .order_by(DeliveryRow.created_at)
            .limit(limit)
        )
        return [self._track(r) for r in rows]

    def flush_changes(self) -> None:
        for delivery, row in self.seen.values():
            if row.status != delivery.status.value:
                row.status = delivery.status.value
            active = delivery.order_id if delivery.active else None
            if row.active_order_id != active:
                row.active_order_id = active
            history = [h.to_dict() for h in delivery.history]
            if row.history != history:
                row.history = history
            for name in _FIELDS:
                value = getattr(delivery, name)
                if getattr(row, name) != value:
                    setattr(row, name, value)

    def aggregates(self) -> Sequence[Delivery]:
        return [d for d, _ in self.seen.values()]
