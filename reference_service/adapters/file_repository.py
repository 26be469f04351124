"""``FileRepository`` on the ``files`` table (SQLAlchemy). Each call is one short transaction, taken under
the SQLite write gate for writes, so a file row is never held open across a slow S3 call.

Inspect: ``sqlite3 var/genai-demo.db 'select id, key, status, size from files'``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.orm import FileRow
from reference_service.domain.files import FileCategoryName, FileStatus, StoredFile

_FIELDS = (
    "key",
    "category",
    "content_type",
    "status",
    "size",
    "sha256",
    "original_name",
    "owner_ref",
    "order_id",
    "max_bytes",
    "created_at",
    "stored_at",
)


def to_domain(row: FileRow) -> StoredFile:
    return StoredFile(
        id=row.id,
        key=row.key,
        category=FileCategoryName(row.category),
        content_type=row.content_type,
        status=FileStatus(row.status),
        created_at=row.created_at,
        size=row.size,
        sha256=row.sha256,
        original_name=row.original_name,
        owner_ref=row.owner_ref,
        order_id=row.order_id,
        stored_at=row.stored_at,
        max_bytes=row.max_bytes,
    )


def _values(file: StoredFile) -> dict[str, Any]:
    values = {name: getattr(file, name) for name in _FIELDS}
    values["category"] = file.category.value
    values["status"] = file.status.value
    return values


class SqlAlchemyFileRepository:
    def __init__(
        self,
        write_sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        write_gate: AbstractContextManager[Any] | None = None,
    ) -> None:
        self._write = write_sessions
        self._read = read_sessions
        self._gate = write_gate or nullcontext()

    def _one(self, stmt: sa.Select[Any]) -> StoredFile | None:
        with self._read() as session:
            row = session.scalars(stmt).first()
            return to_domain(row) if row is not None else None

    def _many(self, stmt: sa.Select[Any]) -> list[StoredFile]:
        with self._read() as session:
            return [to_domain(row) for row in session.scalars(stmt)]

    def add(self, file: StoredFile) -> None:
        with self._gate, self._write() as session, session.begin():
            session.add(FileRow(id=file.id, **_values(file)))

    def save(self, file: StoredFile) -> None:
        with self._gate, self._write() as session, session.begin():
            session.execute(sa.update(FileRow).where(FileRow.id == file.id).values(**_values(file)))

    def remove(self, file_id: str) -> None:
        with self._gate, self._write() as session, session.begin():
            session.execute(sa.delete(FileRow).where(FileRow.id == file_id))

    def get(self, file_id: str) -> StoredFile | None:
        return self._one(sa.select(FileRow).where(FileRow.id == file_id))

    def by_key(self, key: str) -> StoredFile | None:
        return self._one(sa.select(FileRow).where(FileRow.key == key))

    def find(self, order_id: str, category: str) -> StoredFile | None:
        return self._one(
            sa.select(FileRow)
            .where(FileRow.order_id == order_id, FileRow.category == category)
            .order_by(FileRow.created_at)
        )

    def for_order(self, order_id: str) -> list[StoredFile]:
        return self._many(
            sa.select(FileRow)
            .where(FileRow.order_id == order_id, FileRow.status == FileStatus.STORED.value)
            .order_by(FileRow.created_at, FileRow.id)
        )

    def owned_by(self, owner_ref: str) -> list[StoredFile]:
        return self._many(sa.select(FileRow).where(FileRow.owner_ref == owner_ref).order_by(FileRow.id))

    def pending_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        return self._many(
            sa.select(FileRow)
            .where(FileRow.status == FileStatus.PENDING.value, FileRow.created_at < cutoff)
            .order_by(FileRow.created_at)
            .limit(limit)
        )
