"""SQLAlchemy repositories: convert between ORM rows and domain aggregates.

The domain never sees a row. ``get`` and ``add`` register the aggregate with the repository so the
unit of work can write its changes and collect its events on commit (``seen``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.orm import (
    DisputeRow,
    IdempotencyRow,
    OrderItemRow,
    OrderRow,
    PaymentRow,
    WebhookEventRow,
)
from reference_service.domain.orders import CustomerContact, LineItem, Order, OrderStatus, ShippingAddress
from reference_service.domain.payments import Payment, PaymentProvider, PaymentStatus
from reference_service.ports import DisputeRecord, Page, PiiCipher, StoredResponse

#: an order's status alone (``status``), built once
_ORDER_STATUS = sa.select(OrderRow.status).where(OrderRow.id == sa.bindparam("order_id"))
#: whether the webhook inbox holds an event: its key only, no ORM object built for a row never changed
_WEBHOOK_SEEN = sa.select(WebhookEventRow.event_id).where(
    WebhookEventRow.provider == sa.bindparam("provider"), WebhookEventRow.event_id == sa.bindparam("event_id")
)


def _contact(token: str | None, cipher: PiiCipher) -> CustomerContact | None:
    if token is None:
        return None
    data = json.loads(cipher.decrypt(token))
    return CustomerContact(data["name"], data["email"], data.get("phone"))


def _seal(contact: CustomerContact | None, cipher: PiiCipher) -> str | None:
    if contact is None:
        return None
    return cipher.encrypt(json.dumps({"name": contact.name, "email": contact.email, "phone": contact.phone}))


def _address(token: str | None, cipher: PiiCipher) -> ShippingAddress | None:
    return ShippingAddress.from_dict(json.loads(cipher.decrypt(token))) if token is not None else None


def _seal_address(address: ShippingAddress | None, cipher: PiiCipher) -> str | None:
    return cipher.encrypt(json.dumps(address.to_dict())) if address is not None else None


def _to_domain(row: OrderRow, cipher: PiiCipher) -> Order:
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
        customer=_contact(row.customer_contact, cipher),
        shipping_address=_address(row.shipping_address, cipher),
    )


class SqlAlchemyOrderRepository:
    """Orders; the customer's contact and shipping address are encrypted with ``cipher`` on the way in and
    out (PII at rest)."""

    def __init__(self, session: Session, cipher: PiiCipher) -> None:
        self.session = session
        self.cipher = cipher
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
            customer_contact=_seal(order.customer, self.cipher),
            shipping_address=_seal_address(order.shipping_address, self.cipher),
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

    def status(self, order_id: str) -> OrderStatus | None:
        if order_id in self.seen:
            return self.seen[order_id][0].status
        value = self.session.connection().execute(_ORDER_STATUS, {"order_id": order_id}).scalar()
        return OrderStatus(value) if value is not None else None

    def get(self, order_id: str) -> Order | None:
        if order_id in self.seen:
            return self.seen[order_id][0]
        row = self.session.get(OrderRow, order_id)
        if row is None:
            return None
        order = _to_domain(row, self.cipher)
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
        rows = list(self.session.scalars(stmt).unique())  # items are joined in
        return Page(items=[_to_domain(r, self.cipher) for r in rows[:limit]], has_more=len(rows) > limit)

    def aggregates(self) -> Sequence[Order]:
        return [o for o, _ in self.seen.values()]

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


def _payment_to_domain(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        order_id=row.order_id,
        provider=PaymentProvider(row.provider),
        attempt=row.attempt,
        amount=row.amount,
        currency=row.currency,
        status=PaymentStatus(row.status),
        provider_ref=row.provider_ref,
        failure_code=row.failure_code,
        failure_message=row.failure_message,
        amount_refunded=row.amount_refunded,
        dispute_id=row.dispute_id,
        dispute_reason=row.dispute_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        version=row.version,
    )


_PAYMENT_FIELDS = (
    "status",
    "provider_ref",
    "failure_code",
    "failure_message",
    "amount_refunded",
    "dispute_id",
    "dispute_reason",
    "updated_at",
    "completed_at",
)


class SqlAlchemyPaymentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.seen: dict[str, tuple[Payment, PaymentRow]] = {}

    def _track(self, row: PaymentRow) -> Payment:
        if row.id in self.seen:
            return self.seen[row.id][0]
        payment = _payment_to_domain(row)
        self.seen[row.id] = (payment, row)
        return payment

    def add(self, payment: Payment) -> None:
        row = PaymentRow(
            id=payment.id,
            order_id=payment.order_id,
            provider=payment.provider.value,
            attempt=payment.attempt,
            amount=payment.amount,
            currency=payment.currency,
            status=payment.status.value,
            provider_ref=payment.provider_ref,
            failure_code=payment.failure_code,
            failure_message=payment.failure_message,
            amount_refunded=payment.amount_refunded,
            dispute_id=payment.dispute_id,
            dispute_reason=payment.dispute_reason,
            created_at=payment.created_at,
            updated_at=payment.updated_at,
            completed_at=payment.completed_at,
        )
        self.session.add(row)
        self.seen[payment.id] = (payment, row)

    def get(self, payment_id: str) -> Payment | None:
        if payment_id in self.seen:
            return self.seen[payment_id][0]
        row = self.session.get(PaymentRow, payment_id)
        return self._track(row) if row is not None else None

    def get_by_provider_ref(self, provider: PaymentProvider, provider_ref: str) -> Payment | None:
        for payment, _row in self.seen.values():
            if payment.provider == provider and payment.provider_ref == provider_ref:
                return payment
        row = self.session.scalars(
            sa.select(PaymentRow).where(
                PaymentRow.provider == provider.value, PaymentRow.provider_ref == provider_ref
            )
        ).first()
        return self._track(row) if row is not None else None

    def for_order(self, order_id: str) -> list[Payment]:
        rows = self.session.scalars(
            sa.select(PaymentRow).where(PaymentRow.order_id == order_id).order_by(PaymentRow.attempt)
        )
        return [self._track(r) for r in rows]

    def record_dispute(self, dispute: DisputeRecord) -> bool:
        if self.session.get(DisputeRow, dispute.id) is not None:
            return False
        self.session.add(DisputeRow(**dataclasses.asdict(dispute)))
        return True

    def flush_changes(self) -> None:
        for payment, row in self.seen.values():
            for name in _PAYMENT_FIELDS:
                value = getattr(payment, name)
                value = value.value if isinstance(value, PaymentStatus) else value
                if getattr(row, name) != value:
                    setattr(row, name, value)

    def aggregates(self) -> list[Payment]:
        return [p for p, _ in self.seen.values()]


class SqlAlchemyWebhookInbox:
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self._now = now

    def seen(self, provider: str, event_id: str) -> bool:
        found = self.session.connection().execute(_WEBHOOK_SEEN, {"provider": provider, "event_id": event_id})
        return found.first() is not None

    def record(self, provider: str, event_id: str, event_type: str, outcome: str, detail: str | None) -> None:
        self.session.add(
            WebhookEventRow(
                provider=provider,
                event_id=event_id,
                event_type=event_type[:100],
                outcome=outcome,
                detail=(detail or "")[:255] or None,
                received_at=self._now,
            )
        )
