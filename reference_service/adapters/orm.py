"""The database schema (SQLAlchemy 2.x declarative). Alembic migrations are the source of truth for
the live schema; ``tests/integration/test_migrations.py`` checks that these models and the
migrations agree, so edit both together.

Inspect a running lab's database with ``sqlite3 var/genai-demo.db '.schema'``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores no offset, so add it back)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a UTC-aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigIntId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class OrderRow(Base):
    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    customer_ref: Mapped[str] = mapped_column(sa.String(128), index=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_amount: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    status_reason: Mapped[str | None] = mapped_column(sa.String(255))
    cancellation_reason: Mapped[str | None] = mapped_column(sa.String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    #: the customer's contact (name, email, phone) as a Fernet token: PII is never stored in clear
    customer_contact: Mapped[str | None] = mapped_column(sa.Text)
    #: where the order ships (a ``ShippingAddress`` as a Fernet token)
    shipping_address: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    items: Mapped[list[OrderItemRow]] = relationship(
        back_populates="order",
        cascade="all, delete-orphan",
        order_by="OrderItemRow.position",
        lazy="joined",
    )

    __mapper_args__ = {"version_id_col": version}


class OrderItemRow(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    sku: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(sa.Integer)
    unit_amount: Mapped[int] = mapped_column(sa.BigInteger)

    order: Mapped[OrderRow] = relationship(back_populates="items")


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_due", "dispatched_at", "dead", "next_attempt_at"),)

    # integer autoincrement on both backends (SQLite only autoincrements INTEGER PRIMARY KEY); it
    # orders the relay's work in commit order
    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    event_type: Mapped[str] = mapped_column(sa.String(100))
    aggregate_type: Mapped[str] = mapped_column(sa.String(50))
    aggregate_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    dead: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    handled_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "attempt", name="uq_payments_order_attempt"),
        sa.UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(16))
    attempt: Mapped[int] = mapped_column(sa.Integer)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64))
    failure_code: Mapped[str | None] = mapped_column(sa.String(64))
    failure_message: Mapped[str | None] = mapped_column(sa.String(255))
    amount_refunded: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    dispute_id: Mapped[str | None] = mapped_column(sa.String(64))
    dispute_reason: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class WebhookEventRow(Base):
    """The webhook inbox: one row per provider event id, written in the same transaction as its effect."""

    __tablename__ = "webhook_events"

    provider: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(100))
    outcome: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str | None] = mapped_column(sa.String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class DisputeRow(Base):
    __tablename__ = "disputes"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # the provider's dispute id
    provider: Mapped[str] = mapped_column(sa.String(16))
    payment_id: Mapped[str] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    order_id: Mapped[str] = mapped_column(sa.String(40), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reason: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRow(Base):
    """An email or SMS; ``recipient`` and ``body`` are Fernet tokens (PII is never stored in clear)."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_message_id", name="uq_notifications_provider_message"),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(8))
    kind: Mapped[str] = mapped_column(sa.String(40))
    recipient: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str | None] = mapped_column(sa.Text)
    order_id: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    #: e.g. ``order-confirmation:<order id>``: at most one notification per key (relay retries are safe)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    provider: Mapped[str | None] = mapped_column(sa.String(16))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    provider_status: Mapped[str | None] = mapped_column(sa.String(32))
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    tried: Mapped[list[str]] = mapped_column(JSONType, default=list)
    retry_of: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    history: Mapped[list[NotificationEventRow]] = relationship(
        back_populates="notification",
        cascade="all, delete-orphan",
        order_by="NotificationEventRow.id",
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": version}


class NotificationEventRow(Base):
    """One delivery report about a notification (``applied`` false: stale, it changed nothing)."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    notification_id: Mapped[str] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16))
    provider_status: Mapped[str] = mapped_column(sa.String(32))
    error_code: Mapped[str | None] = mapped_column(sa.String(32))
    source: Mapped[str] = mapped_column(sa.String(16))
    applied: Mapped[bool] = mapped_column(sa.Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    notification: Mapped[NotificationRow] = relationship(back_populates="history")


class EmailSuppressionRow(Base):
    """An address never to email again, keyed by the SHA-256 of the normalised address (stored encrypted)."""

    __tablename__ = "email_suppressions"

    address_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    address: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryRow(Base):
    """A delivery of an order. ``active_order_id`` is the order id while the delivery is not cancelled (NULL
    after): its unique key allows one active delivery per order, so two requests never buy two labels."""

    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    active_order_id: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    quote_id: Mapped[str] = mapped_column(sa.String(128))
    provider: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(24), index=True)
    carrier: Mapped[str | None] = mapped_column(sa.String(32))
    service: Mapped[str | None] = mapped_column(sa.String(64))
    amount: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    label_url: Mapped[str | None] = mapped_column(sa.Text)
    provider_ref: Mapped[str | None] = mapped_column(sa.String(64))
    est_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(sa.String(255))
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(sa.Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of the whole key is kept; ``prefix`` (``gdk_`` + 12 characters) is
    public and finds the row. Revoked and expired keys stay for the audit trail."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    prefix: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    roles: Mapped[list[str]] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str | None] = mapped_column(sa.String(40))


class AuditEventRow(Base):
    """One audited call: who (actor kind and id, roles, OAuth client), what (method, route, action,
    target), the result, the request id and the time. Append-only: a trigger refuses UPDATE on both
    backends; rows leave only through the retention purge. No PII in clear: the caller's IP is an HMAC."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_actor", "actor_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(200))
    roles: Mapped[list[str]] = mapped_column(JSONType)
    client_id: Mapped[str | None] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(8))
    route: Mapped[str] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    target_id: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(16))
    request_id: Mapped[str] = mapped_column(sa.String(128))
    client_ip_hash: Mapped[str | None] = mapped_column(sa.String(64))


class FileRow(Base):
    """One object in the file bucket (``domain/files.py``): its key, category, sniffed type, size, SHA-256,
    owner and order. ``PENDING`` while its upload is in progress; ``reconcile files`` clears abandoned ones.
    ``original_name`` may hold PII (a customer's file name): erasure blanks it."""

    __tablename__ = "files"
    __table_args__ = (sa.Index("ix_files_order_category", "order_id", "category"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    category: Mapped[str] = mapped_column(sa.String(32))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    original_name: Mapped[str | None] = mapped_column(sa.String(200))
    owner_ref: Mapped[str | None] = mapped_column(sa.String(128), index=True)
    order_id: Mapped[str | None] = mapped_column(sa.String(40))
    max_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    stored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RetentionLeaseRow(Base):
    """Who runs the retention of a data class now, until when: one instance at a time per class."""

    __tablename__ = "retention_leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StockLevelRow(Base):
    """Stock of one SKU: ``on_hand`` units, ``reserved`` of them held for open orders. The CHECK is the
    last line against overselling; the repository's conditional UPDATEs never reach it."""

    __tablename__ = "stock_levels"
    __table_args__ = (sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within"),)

    sku: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    on_hand: Mapped[int] = mapped_column(sa.BigInteger)
    reserved: Mapped[int] = mapped_column(sa.BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReservationRow(Base):
    """One SKU line of an order's reservation (RESERVED, RELEASED or CONSUMED)."""

    __tablename__ = "inventory_reservations"

    order_id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsumerInboxRow(Base):
    """The consumer inbox: one row per (handler, event id) applied, written with the handler's effect."""

    __tablename__ = "consumer_inbox"

    consumer: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(sa.String(100))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
