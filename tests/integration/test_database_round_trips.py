"""What the checkout path's cheaper database use keeps (``genai-demo bench checkout``, docs/performance.md).

* The audit entry on PostgreSQL is one autocommitted INSERT: committed when ``append`` returns (another
  connection reads it), and the table still refuses UPDATE.
* A pooled PostgreSQL connection is pinged only when it may be broken (``ping_when_idle``): one that sat
  idle, or whose server session died (its socket says so), is replaced without the caller noticing; a
  recently used healthy one is not pinged.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from reference_service.adapters.audit_log import AuditEntry, AuditLog
from reference_service.adapters.database import autocommit_engine, create_engines, migrate, ping_when_idle
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


def _kill_backend(url: str, pid: int) -> None:
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with killer.connect() as conn:
            assert conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        killer.dispose()
    time.sleep(0.2)  # the backend exits


@pytest.mark.parametrize(
    "idle_seconds",
    [
        pytest.param(0.0, id="idle"),  # every checkout counts as idle: pinged
        pytest.param(3600.0, id="recently-used"),  # never idle long enough: the socket tells
    ],
)
def test_a_pooled_connection_whose_session_died_is_replaced_unnoticed(
    postgres_url: str, idle_seconds: float
) -> None:
    engine = sa.create_engine(postgres_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=idle_seconds)
    try:
        with engine.connect() as conn:
            pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
        _kill_backend(postgres_url, int(pid or 0))
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT pg_backend_pid()")) != pid
    finally:
        engine.dispose()


def test_a_recently_used_healthy_connection_is_not_pinged(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = sa.create_engine(postgres_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, idle_seconds=3600.0)
    pings: list[object] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real_ping(c))
    try:
        for _ in range(5):
            with engine.connect() as conn:
                assert conn.scalar(sa.text("SELECT 1")) == 1
        assert len(pings) == 1  # the first checkout of the new connection only
    finally:
        engine.dispose()
