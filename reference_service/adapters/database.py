"""Engine construction and migrations for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout, and write transactions start with ``BEGIN IMMEDIATE``
so two writers queue on the lock instead of failing with "database is locked" when a read
transaction upgrades. Read-only units of work use a second engine with deferred ``BEGIN`` so reads
never queue behind writers. On PostgreSQL both roles share one pooled engine.

``migrate(url)`` runs Alembic to ``head``; ``genai-demo service`` calls it at start-up.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

#: a PostgreSQL connection idle in the pool this long is pinged before use (see :func:`ping_when_idle`)
PING_AFTER_IDLE_SECONDS = 1.0
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


@dataclass(frozen=True)
class Engines:
    """The write engine and the read engine (the same object on PostgreSQL), and the write gate.

    ``write_gate`` serialises this process's write transactions on SQLite, which has one writer at a time:
    threads queue on a lock that hands over at once, instead of SQLite's busy handler, which polls with
    sleeps of up to 100 ms and made the p95 of writes under load several times the median. Other processes
    on the same file still meet ``busy_timeout``. On PostgreSQL the gate is a no-op.
    """

    write: sa.Engine
    read: sa.Engine
    write_gate: AbstractContextManager[Any] = field(default_factory=contextlib.nullcontext)

    def dispose(self) -> None:
        self.write.dispose()
        if self.read is not self.write:
            self.read.dispose()


def _sqlite_engine(url: str, immediate: bool, connect_args: dict[str, Any]) -> sa.Engine:
    engine = sa.create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30, **connect_args},
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=False,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # take transaction control from pysqlite so BEGIN is ours (SQLAlchemy's documented recipe)
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_engines(database_url: str, **engine_kwargs: Any) -> Engines:
    """Build engines for ``database_url``. A file SQLite URL gets its parent folder created."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = engine_kwargs.pop("connect_args", {})
        return Engines(
            write=_sqlite_engine(database_url, True, connect_args),
            read=_sqlite_engine(database_url, False, connect_args),
            write_gate=threading.RLock(),
        )
    engine = sa.create_engine(database_url, pool_size=10, max_overflow=20, **engine_kwargs)
    ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return Engines(write=engine, read=engine)


def autocommit_engine(engine: sa.Engine) -> sa.Engine | None:
    """``engine`` in autocommit mode (the same pool) when it is PostgreSQL, for single-statement writes;
    ``None`` on SQLite, whose writers queue on the process's write gate and ``BEGIN IMMEDIATE``."""
    if engine.dialect.name != "postgresql":
        return None
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def write_statement(
    statement: sa.Executable,
    params: dict[str, Any] | None,
    *,
    sessions: sessionmaker[Session],
    gate: AbstractContextManager[Any],
    autocommit: sa.Engine | None,
) -> list[sa.Row[Any]]:
    """Run one write statement as its own transaction and return its rows (``RETURNING``), or ``[]``.

    With an ``autocommit`` engine (PostgreSQL, :func:`autocommit_engine`) it is sent alone: a single
    statement is its own atomic, durable transaction, so BEGIN and COMMIT would be two round trips for
    nothing. On SQLite it runs in a transaction behind the process's write ``gate``, like every other write,
    as Core on the session's connection (no ORM bookkeeping for rows it never loaded)."""
    if autocommit is not None:
        with autocommit.connect() as conn:
            result = conn.execute(statement, params)
            return list(result) if result.returns_rows else []
    with gate, sessions() as session, session.begin():
        result = session.connection().execute(statement, params)
        return list(result) if result.returns_rows else []


def ping_when_idle(engine: sa.Engine, idle_seconds: float) -> None:
    """Test a pooled connection with ``SELECT 1`` at checkout only when it may be broken, and replace it if
    that fails. SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip per transaction, a
    dozen per checkout. Here a connection is pinged when

    * it sat in the pool for ``idle_seconds`` or more (or was never checked in): firewalls and proxies drop
      idle connections without a word;
    * or its socket has something to read although no query is running: a server that terminates a
      session (restart, ``pg_terminate_backend``, failover) sends its FATAL message and closes the socket,
      which a zero-timeout ``poll`` sees without a round trip.

    A connection that passes both checks was in use a moment ago and has heard nothing since; if it is
    broken all the same (the server went away in the last instant), the statement that meets it fails as it
    would have failed a moment later mid-transaction: SQLAlchemy sees the disconnect and drops the pool's
    older connections, and the request fails with nothing written (a retryable 503).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is not None and time.monotonic() - since < idle_seconds and not _has_input(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # any failure: the pool discards this connection and opens another
            raise sa.exc.DisconnectionError(f"pooled connection failed its ping: {exc}") from exc


def _has_input(dbapi_conn: Any) -> bool:
    """Whether the connection's socket is readable (data or end of file) or cannot be checked."""
    try:
        poller = select.poll()
        poller.register(dbapi_conn.fileno(), select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() or no socket: ping to be sure
        return True


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` with Alembic (idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
