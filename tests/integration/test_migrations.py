"""Alembic migrations: upgrade, downgrade, re-upgrade, and agreement with the ORM models."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reference_service.adapters.database import alembic_config, create_engines, migrate
from reference_service.adapters.orm import Base


def test_migrations_match_the_models_and_downgrade_cleanly(database_url: str) -> None:
    engines = create_engines(database_url)
    try:
        migrate(engines.write)
        with engines.write.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        cfg = alembic_config(database_url)
        with engines.write.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        tables = set(sa.inspect(engines.write).get_table_names()) - {"alembic_version"}
        assert tables == set()
        migrate(engines.write)
        migrate(engines.write)  # idempotent
        assert {"orders", "order_items", "outbox", "idempotency_keys"} <= set(
            sa.inspect(engines.write).get_table_names()
        )
    finally:
        engines.dispose()
