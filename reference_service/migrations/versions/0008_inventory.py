"""Inventory (stock per SKU, reservations per order) and the Kafka consumer's inbox

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reference_service.adapters.orm import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), nullable=False),
        sa.Column("reserved", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="ck_stock_levels_reserved_within"),
        sa.PrimaryKeyConstraint("sku", name="pk_stock_levels"),
    )
    op.create_table(
        "inventory_reservations",
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "sku", name="pk_inventory_reservations"),
    )
    op.create_index("ix_inventory_reservations_status", "inventory_reservations", ["status"])
    op.create_table(
        "consumer_inbox",
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("processed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_consumer_inbox"),
    )
    op.create_index("ix_consumer_inbox_processed_at", "consumer_inbox", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_consumer_inbox_processed_at", table_name="consumer_inbox")
    op.drop_table("consumer_inbox")
    op.drop_index("ix_inventory_reservations_status", table_name="inventory_reservations")
    op.drop_table("inventory_reservations")
    op.drop_table("stock_levels")
