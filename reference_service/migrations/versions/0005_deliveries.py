"""deliveries, and orders.shipping_address (a Fernet token: PII at rest)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reference_service.adapters.orm import JSONType, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_address", sa.Text(), nullable=True))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("active_order_id", sa.String(40), nullable=True),
        sa.Column("quote_id", sa.String(128), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=True),
        sa.Column("service", sa.String(64), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("tracking_number", sa.String(64), nullable=True),
        sa.Column("label_url", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(64), nullable=True),
        sa.Column("est_delivery_at", UTCDateTime(), nullable=True),
        sa.Column("cancellation_reason", sa.String(255), nullable=True),
        sa.Column("history", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_deliveries_order_id_orders"),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("active_order_id", name="uq_deliveries_active_order_id"),
    )
    op.create_index("ix_deliveries_order_id", "deliveries", ["order_id"])
    op.create_index("ix_deliveries_status", "deliveries", ["status"])
    op.create_index("ix_deliveries_tracking_number", "deliveries", ["tracking_number"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_tracking_number", table_name="deliveries")
    op.drop_index("ix_deliveries_status", table_name="deliveries")
    op.drop_index("ix_deliveries_order_id", table_name="deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_address")
