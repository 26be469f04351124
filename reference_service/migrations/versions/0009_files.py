"""Files stored on S3 (metadata rows) and the retention leases

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reference_service.adapters.orm import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("original_name", sa.String(200), nullable=True),
        sa.Column("owner_ref", sa.String(128), nullable=True),
        sa.Column("order_id", sa.String(40), nullable=True),
        sa.Column("max_bytes", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("key", name=op.f("uq_files_key")),
    )
    op.create_index(op.f("ix_files_status"), "files", ["status"])
    op.create_index(op.f("ix_files_owner_ref"), "files", ["owner_ref"])
    op.create_index(op.f("ix_files_created_at"), "files", ["created_at"])
    op.create_index("ix_files_order_category", "files", ["order_id", "category"])
    op.create_table(
        "retention_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(64), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_retention_leases")),
    )


def downgrade() -> None:
    op.drop_table("retention_leases")
    op.drop_index("ix_files_order_category", table_name="files")
    op.drop_table("files")
