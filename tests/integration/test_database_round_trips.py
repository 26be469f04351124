"""What the checkout path's cheaper database use keeps (``genai-demo bench checkout``, docs/performance.md).

* The audit entry on PostgreSQL is one autocommitted INSERT: committed when ``append`` returns (another
  connection reads it), and the table still refuses UPDATE.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from reference_service.adapters.audit_log import AuditEntry, AuditLog, autocommit_engine
from reference_service.adapters.database import create_engines, migrate
from reference_service.adapters.orm import AuditEventRow

pytestmark = pytest.mark.postgres


def _entry(request_id: str) -> AuditEntry:
    now = datetime.now(UTC)
    return AuditEntry(occurred_at=now, actor_kind="token", actor_id="cus_rt", method="POST", status=201,
                      route="/api/v1/orders", action="createOrder", request_id=request_id)  # fmt: skip


def test_audit_entry_is_one_autocommitted_insert_on_postgres(postgres_url: str) -> None:
    engines = create_engines(postgres_url)
    try:
        migrate(engines.write)
        autocommit = autocommit_engine(engines.write)
        assert autocommit is not None
        assert autocommit_engine(sa.create_engine("sqlite://")) is None
        statements: list[str] = []
        sa.event.listen(engines.write, "before_cursor_execute", lambda *a: statements.append(a[2]))
        sessions = sessionmaker(engines.write)
        log = AuditLog(sessions, sessions, b"k" * 32, autocommit=autocommit)
        log.append(_entry("req-rt-1"))
        assert len(statements) == 1 and statements[0].startswith("INSERT INTO audit_events")
        other = sa.create_engine(postgres_url)  # another pool: sees only what is committed
        try:
            with other.connect() as conn:
                count = conn.scalar(sa.select(sa.func.count()).where(AuditEventRow.request_id == "req-rt-1"))
                assert count == 1
                with pytest.raises(sa.exc.DBAPIError):  # still append-only
                    conn.execute(sa.update(AuditEventRow).values(status=500))
        finally:
            other.dispose()
        entries, _ = log.query(actor_id="cus_rt")
        assert [e.request_id for e in entries] == ["req-rt-1"]
    finally:
        engines.dispose()
