"""System adapters for the ``Clock`` and ``IdGenerator`` ports."""

from __future__ import annotations

from datetime import UTC, datetime

from ulid import ULID


class SystemClock:
    """Wall-clock UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class UlidIdGenerator:
    """``<prefix>_<ULID>`` ids: unique, URL-safe and sortable by creation time (``ord_01JD…``)."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{ULID()}"
