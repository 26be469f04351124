"""notifications (email and SMS, PII encrypted), their delivery reports, and the email suppression list

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reference_service.adapters.orm import BigIntId, JSONType, UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("dedupe_key", sa.String(128), nullable=True),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("provider_message_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_status", sa.String(32), nullable=True),
        sa.Column("error_code", sa.String(32), nullable=True),
        sa.Column("tried", JSONType, nullable=False),
        sa.Column("retry_of", sa.String(40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
        sa.UniqueConstraint("provider", "provider_message_id", name="uq_notifications_provider_message"),
    )
    op.create_index("ix_notifications_order_id", "notifications", ["order_id"])
    op.create_index("ix_notifications_status", "notifications", ["status"])
    op.create_table(
        "notification_events",
        sa.Column("id", BigIntId, autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("provider_status", sa.String(32), nullable=False),
        sa.Column("error_code", sa.String(32), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name="fk_notification_events_notification_id_notifications",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_events"),
    )
    op.create_index("ix_notification_events_notification_id", "notification_events", ["notification_id"])
    op.create_table(
        "email_suppressions",
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(255), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name="pk_email_suppressions"),
    )


def downgrade() -> None:
    op.drop_table("email_suppressions")
    op.drop_table("notification_events")
    op.drop_table("notifications")
