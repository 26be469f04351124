"""SQLAlchemy repositories of the notifications area: notifications (with their delivery reports) and
the email suppression list.

A notification's ``recipient`` and ``body`` are encrypted with the PII cipher on the way in and out; a
suppressed address is stored encrypted too and found by the SHA-256 of its normalised form (lower-case,
trimmed), so no address is ever stored or indexed in clear. ``get``/``add`` track the aggregate, so the
unit of work writes its changes, its new history entries and its events on commit.

Inspect: ``SELECT id, channel, kind, status, provider, provider_message_id FROM notifications`` and
``SELECT reason, detail, created_at FROM email_suppressions``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reference_service.adapters.orm import EmailSuppressionRow, NotificationEventRow, NotificationRow
from reference_service.domain.notifications import Channel, Notification, NotificationStatus, StatusChange
from reference_service.ports import PiiCipher, Suppression

_FIELDS = ("status", "provider", "provider_message_id", "provider_status", "error_code", "updated_at")


def address_hash(address: str) -> str:
    """The suppression-list key of an address (SHA-256 of the trimmed, lower-cased address)."""
    normalised = address.strip().lower()
    return hashlib.sha256(f"genai-demo-suppression:{normalised}".encode()).hexdigest()


def _history(rows: Sequence[NotificationEventRow]) -> list[StatusChange]:
    return [
        StatusChange(
            NotificationStatus(r.status), r.provider_status, r.at, r.source, r.error_code, applied=r.applied
        )
        for r in rows
    ]


class SqlAlchemyNotificationRepository:
    def __init__(self, session: Session, cipher: PiiCipher) -> None:
        self.session = session
        self.cipher = cipher
        #: id -> (aggregate, row, how many history entries the row already holds)
        self.seen: dict[str, tuple[Notification, NotificationRow, int]] = {}

    def _to_domain(self, row: NotificationRow) -> Notification:
        return Notification(
            id=row.id,
            channel=Channel(row.channel),
            kind=row.kind,
            recipient=self.cipher.decrypt(row.recipient),
            body=self.cipher.decrypt(row.body) if row.body is not None else None,
            created_at=row.created_at,
            updated_at=row.updated_at,
            status=NotificationStatus(row.status),
            order_id=row.order_id,
            dedupe_key=row.dedupe_key,
            provider=row.provider,
            provider_message_id=row.provider_message_id,
            provider_status=row.provider_status,
            error_code=row.error_code,
            tried=tuple(row.tried or ()),
            retry_of=row.retry_of,
            history=_history(row.history),
            version=row.version,
        )

    def _track(self, row: NotificationRow) -> Notification:
        if row.id in self.seen:
            return self.seen[row.id][0]
        notification = self._to_domain(row)
        self.seen[row.id] = (notification, row, len(row.history))
        return notification

    def add(self, notification: Notification) -> None:
        n = notification
        row = NotificationRow(
            id=n.id,
            channel=n.channel.value,
            kind=n.kind,
            recipient=self.cipher.encrypt(n.recipient),
            body=self.cipher.encrypt(n.body) if n.body is not None else None,
            order_id=n.order_id,
            dedupe_key=n.dedupe_key,
            provider=n.provider,
            provider_message_id=n.provider_message_id,
            status=n.status.value,
            provider_status=n.provider_status,
            error_code=n.error_code,
            tried=list(n.tried),
            retry_of=n.retry_of,
            created_at=n.created_at,
            updated_at=n.updated_at,
            history=[],
        )
        self.session.add(row)
        self.seen[n.id] = (n, row, 0)

    def get(self, notification_id: str) -> Notification | None:
        if notification_id in self.seen:
            return self.seen[notification_id][0]
        row = self.session.get(NotificationRow, notification_id)
        return self._track(row) if row is not None else None

    def _one(self, stmt: sa.Select[NotificationRow]) -> Notification | None:
        row = self.session.scalars(stmt).first()
        return self._track(row) if row is not None else None

    def get_by_dedupe_key(self, key: str) -> Notification | None:
        for notification, _row, _n in self.seen.values():
            if notification.dedupe_key == key:
                return notification
        return self._one(sa.select(NotificationRow).where(NotificationRow.dedupe_key == key))

    def get_by_provider_ref(self, provider: str, message_id: str) -> Notification | None:
        for notification, _row, _n in self.seen.values():
            if notification.provider == provider and notification.provider_message_id == message_id:
                return notification
        return self._one(
            sa.select(NotificationRow).where(
                NotificationRow.provider == provider, NotificationRow.provider_message_id == message_id
            )
        )

    def aggregates(self) -> Sequence[Notification]:
        return [n for n, _row, _count in self.seen.values()]

    def flush_changes(self) -> None:
        """Copy changed fields onto each row and append the history entries recorded since loading."""
        for key, (n, row, stored) in list(self.seen.items()):
            for name in _FIELDS:
                value = getattr(n, name)
                value = value.value if isinstance(value, NotificationStatus) else value
                if getattr(row, name) != value:
                    setattr(row, name, value)
            if list(row.tried or []) != list(n.tried):
                row.tried = list(n.tried)
            for change in n.history[stored:]:
                row.history.append(
                    NotificationEventRow(
                        status=change.status.value,
                        provider_status=change.provider_status[:32],
                        error_code=change.error_code,
                        source=change.source,
                        applied=change.applied,
                        at=change.at,
                    )
                )
            self.seen[key] = (n, row, len(n.history))


class SqlAlchemySuppressionList:
    def __init__(self, session: Session, cipher: PiiCipher, now: datetime) -> None:
        self.session = session
        self.cipher = cipher
        self._now = now

    def get(self, address: str) -> Suppression | None:
        row = self.session.get(EmailSuppressionRow, address_hash(address))
        return Suppression(row.reason, row.detail, row.created_at) if row is not None else None

    def add(self, address: str, reason: str, detail: str | None) -> bool:
        key = address_hash(address)
        if self.session.get(EmailSuppressionRow, key) is not None:
            return False
        self.session.add(
            EmailSuppressionRow(
                address_hash=key,
                address=self.cipher.encrypt(address.strip().lower()),
                reason=reason,
                detail=(detail or "")[:255] or None,
                created_at=self._now,
            )
        )
        return True

    def remove(self, address: str) -> bool:
        row = self.session.get(EmailSuppressionRow, address_hash(address))
        if row is None:
            return False
        self.session.delete(row)
        return True


def count_suppressions(session: Session) -> int:
    """How many addresses are suppressed (for the ``email_suppressed_addresses`` gauge)."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(EmailSuppressionRow)) or 0)
