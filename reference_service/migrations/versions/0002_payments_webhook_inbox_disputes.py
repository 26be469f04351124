"""payments, the webhook inbox (deduplication by provider event id) and disputes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reference_service.adapters.orm import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("provider_ref", sa.String(64), nullable=True),
        sa.Column("failure_code", sa.String(64), nullable=True),
        sa.Column("failure_message", sa.String(255), nullable=True),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("dispute_id", sa.String(64), nullable=True),
        sa.Column("dispute_reason", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_payments_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("order_id", "attempt", name="uq_payments_order_attempt"),
        sa.UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"])
    op.create_index("ix_payments_status", "payments", ["status"])
    op.create_table(
        "webhook_events",
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(255), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name="pk_webhook_events"),
    )
    op.create_index("ix_webhook_events_received_at", "webhook_events", ["received_at"])
    op.create_table(
        "disputes",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name="fk_disputes_payment_id_payments"),
        sa.PrimaryKeyConstraint("id", name="pk_disputes"),
    )
    op.create_index("ix_disputes_payment_id", "disputes", ["payment_id"])
    op.create_index("ix_disputes_order_id", "disputes", ["order_id"])


def downgrade() -> None:
    op.drop_table("disputes")
    op.drop_table("webhook_events")
    op.drop_table("payments")
