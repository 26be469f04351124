"""Data retention: one table of data classes, and the runner that cleans each at its age.

``RETENTION_CLASSES`` has one entry per data class: the table (ORM model), the column its age is measured
from, the action (``delete`` the row, or ``anonymise`` its PII columns), the setting that holds its
retention and which rows it covers. Files add one entry per category with a retention
(``files_<category>``): their objects are deleted from the bucket, then their rows (S3's own lifecycle
rules, set at start, expire the objects too). To add a class (a Kafka consumer inbox, stock
reservations), add an entry: the runner, the metrics, the dry run and the docs table take it from here.

:class:`RetentionRunner.run` works per class in batches of ``RETENTION_BATCH_SIZE`` rows, each its own
transaction, so an interrupted run resumes where it stopped and a second run finds nothing more (it is
idempotent: an anonymised row no longer matches). Several instances are safe: each class is taken under
a lease (``retention_leases``, renewed per batch; another instance skips a class while its lease runs)
and, on PostgreSQL, every batch is selected ``FOR UPDATE SKIP LOCKED``. A run counts rows per class into
``retention_rows_total{data_class,action}``, sets ``retention_last_run_timestamp_seconds`` and writes one
audit entry (action ``retention.run``, actor ``system:retention``) with the counts.

Inspect: ``genai-demo retention run --dry-run`` prints what a run would touch; ``GET /api/v1/admin/audit?
action=retention.run`` lists past runs.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.audit_log import AuditEntry, AuditLog
from reference_service.adapters.orm import (
    AuditEventRow,
    Base,
    ConsumerInboxRow,
    FileRow,
    IdempotencyRow,
    NotificationEventRow,
    NotificationRow,
    OrderRow,
    OutboxRow,
    ReservationRow,
    RetentionLeaseRow,
    WebhookEventRow,
)
from reference_service.config import Settings
from reference_service.domain.files import FileCategory, FileCategoryName, FileStatus
from reference_service.domain.inventory import ReservationStatus
from reference_service.domain.orders import OrderStatus
from reference_service.ports import Clock
from reference_service.ports_files import FileStorage

logger = logging.getLogger(__name__)

Action = Literal["delete", "anonymise"]
#: an order is closed once it can only change through a return or dispute
CLOSED_ORDERS = (OrderStatus.DELIVERED.value, OrderStatus.CANCELLED.value, OrderStatus.REFUNDED.value)
LEASE_SECONDS = 300


@dataclass(frozen=True)
class RetentionClass:
    """One data class: rows of ``model`` whose ``age_column`` is older than the retention named by
    ``setting`` (days; ``unit`` hours for idempotency keys) get ``action``. ``where`` narrows the rows
    (only closed orders, only published outbox rows); ``anonymise`` gives the PII columns' new values;
    ``children`` are rows deleted first (table, foreign key column); ``default`` documents the setting's
    default."""

    name: str
    model: type[Base]
    age_column: str
    action: Action
    setting: str
    default: str
    description: str
    where: Callable[[], list[sa.ColumnElement[bool]]] = field(default=lambda: [])
    anonymise: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[tuple[type[Base], str], ...] = ()
    unit: Literal["days", "hours"] = "days"
    #: files: the category whose objects go with the rows
    category: FileCategoryName | None = None

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


RETENTION_CLASSES: tuple[RetentionClass, ...] = (
    RetentionClass(
        "order_pii",
        OrderRow,
        "updated_at",
        "anonymise",
        "retention_order_pii_days",
        "365 days after the order closed",
        "An order's contact and shipping address (the order, its lines and amounts stay).",
        where=lambda: [
            OrderRow.status.in_(CLOSED_ORDERS),
            sa.or_(OrderRow.customer_contact.is_not(None), OrderRow.shipping_address.is_not(None)),
        ],
        anonymise={"customer_contact": None, "shipping_address": None},
    ),
    RetentionClass(
        "notifications",
        NotificationRow,
        "created_at",
        "delete",
        "retention_notifications_days",
        "180 days",
        "Emails and SMS sent, their encrypted recipients and bodies, and their delivery reports.",
        children=((NotificationEventRow, "notification_id"),),
    ),
    RetentionClass(
        "webhook_inbox",
        WebhookEventRow,
        "received_at",
        "delete",
        "retention_webhook_inbox_days",
        "30 days (must exceed Stripe's and PayPal's 3-day retry window)",
        "Provider webhook ids kept to drop duplicates.",
    ),
    RetentionClass(
        "idempotency_keys",
        IdempotencyRow,
        "created_at",
        "delete",
        "idempotency_ttl_hours",
        "24 hours",
        "Stored answers of requests sent with an Idempotency-Key.",
        unit="hours",
    ),
    RetentionClass(
        "outbox_sent",
        OutboxRow,
        "dispatched_at",
        "delete",
        "retention_outbox_sent_days",
        "7 days",
        "Domain events already published (pending and dead ones are kept).",
        where=lambda: [OutboxRow.dispatched_at.is_not(None)],
    ),
    RetentionClass(
        "consumer_inbox",
        ConsumerInboxRow,
        "processed_at",
        "delete",
        "retention_consumer_inbox_days",
        "14 days (must exceed the topics' retention, Kafka's default 7 days)",
        "Event ids the Kafka consumer applied, kept to drop redeliveries (a group re-reading a topic).",
    ),
    RetentionClass(
        "inventory_reservations",
        ReservationRow,
        "updated_at",
        "delete",
        "retention_reservations_days",
        "90 days after the reservation was released or consumed",
        "Stock reservations of orders that are over (the stock levels themselves stay).",
        where=lambda: [
            ReservationRow.status.in_((ReservationStatus.RELEASED.value, ReservationStatus.CONSUMED.value))
        ],
    ),
    RetentionClass(
        "audit_trail",
        AuditEventRow,
        "occurred_at",
        "delete",
        "audit_retention_days",
        "400 days",
        "Who called what, when (no PII in clear).",
    ),
)


def file_classes(categories: Mapping[FileCategoryName, FileCategory]) -> tuple[RetentionClass, ...]:
    """One class per file category with a retention (``RETENTION_FILES_DAYS``)."""
    out = []
    for cat in categories.values():
        name = cat.name

        def rows(name: FileCategoryName = name) -> list[sa.ColumnElement[bool]]:
            return [FileRow.category == name.value, FileRow.status == FileStatus.STORED.value]

        out.append(
            RetentionClass(
                f"files_{name.value}",
                FileRow,
                "stored_at",
                "delete",
                f"retention_files_days[{name.value}]",
                f"{cat.retention_days} days" if cat.retention_days else "kept",
                f"Stored {name.value.replace('_', ' ')}: the object (also S3 lifecycle) and its row.",
                where=rows,
                category=name,
            )
        )
    return tuple(out)


@dataclass
class ClassReport:
    name: str
    action: str
    #: rows changed (or, in a dry run, that would be)
    rows: int = 0
    #: ``done``, ``kept`` (no retention), ``busy`` (another instance holds the lease)
    state: str = "done"
    cutoff: datetime | None = None


@dataclass
class RetentionReport:
    run_id: str
    dry_run: bool
    started_at: datetime
    classes: list[ClassReport] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {c.name: c.rows for c in self.classes}

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "classes": [
                {
                    "name": c.name,
                    "action": c.action,
                    "rows": c.rows,
                    "state": c.state,
                    "cutoff": c.cutoff.isoformat() if c.cutoff else None,
                }
                for c in self.classes
            ],
        }


class RetentionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.rows = Counter(
            "retention_rows",
            "Rows deleted or anonymised by data retention, per data class",
            ["data_class", "action"],
            registry=registry,
        )
        self.last_run = Gauge(
            "retention_last_run_timestamp_seconds", "When the last retention run finished", registry=registry
        )
        self.failures = Counter(
            "retention_failures",
            "Retention runs of a data class that failed",
            ["data_class"],
            registry=registry,
        )


class RetentionRunner:
    def __init__(
        self,
        settings: Settings,
        write_sessions: sessionmaker[Session],
        read_sessions: sessionmaker[Session],
        write_gate: Any,
        clock: Clock,
        storage: Callable[[], FileStorage],
        categories: Mapping[FileCategoryName, FileCategory],
        audit: AuditLog,
        metrics: RetentionMetrics,
    ) -> None:
        self._settings = settings
        self._write = write_sessions
        self._read = read_sessions
        self._gate = write_gate
        self._clock = clock
        self._storage = storage
        self._audit = audit
        self.metrics = metrics
        self.classes = RETENTION_CLASSES + file_classes(categories)
        self.holder = uuid.uuid4().hex[:16]

    # --- the policy of each class ----------------------------------------------------------------
    def retention(self, cls: RetentionClass) -> timedelta | None:
        """How long ``cls`` is kept (``None``: forever)."""
        if cls.category is not None:
            days = self._settings.retention_files_days.get(cls.category.value)
            return timedelta(days=days) if days else None
        value = float(getattr(self._settings, cls.setting))
        if value <= 0:
            return None
        return timedelta(hours=value) if cls.unit == "hours" else timedelta(days=value)

    def _matching(self, cls: RetentionClass, cutoff: datetime) -> list[sa.ColumnElement[bool]]:
        age = getattr(cls.model, cls.age_column)
        return [age < cutoff, *cls.where()]

    # --- running ---------------------------------------------------------------------------------
    def run(self, *, dry_run: bool = False, only: str | None = None) -> RetentionReport:
        """Clean every class (or ``only`` one); see the module docstring."""
        started = self._clock.now()
        report = RetentionReport(uuid.uuid4().hex, dry_run, started)
        for cls in self.classes:
            if only is not None and cls.name != only:
                continue
            item = ClassReport(cls.name, cls.action)
            report.classes.append(item)
            keep = self.retention(cls)
            if keep is None:
                item.state = "kept"
                continue
            item.cutoff = started - keep
            try:
                if dry_run:
                    item.rows = self._count(cls, item.cutoff)
                else:
                    item.rows, item.state = self._clean(cls, item.cutoff)
            except Exception:
                self.metrics.failures.labels(cls.name).inc()
                logger.exception("retention of %s failed", cls.name)
                item.state = "failed"
        if not dry_run:
            self.metrics.last_run.set(time.time())
        self._audit_run(report)
        return report

    def _count(self, cls: RetentionClass, cutoff: datetime) -> int:
        with self._read() as session:
            stmt = sa.select(sa.func.count()).select_from(cls.model).where(*self._matching(cls, cutoff))
            return int(session.scalar(stmt) or 0)

    def _clean(self, cls: RetentionClass, cutoff: datetime) -> tuple[int, str]:
        if not self.lease(cls.name):
            return 0, "busy"
        total = 0
        try:
            while True:
                done = self._batch(cls, cutoff)
                total += done
                if done:
                    self.metrics.rows.labels(cls.name, cls.action).inc(done)
                if done < self._settings.retention_batch_size:
                    break
                self.lease(cls.name)  # renew while working
        finally:
            self.release(cls.name)
        return total, "done"

    def _batch(self, cls: RetentionClass, cutoff: datetime) -> int:
        """One transaction: pick a batch (SKIP LOCKED on PostgreSQL), then delete or anonymise it."""
        pk = list(sa.inspect(cls.model).primary_key)
        with self._gate, self._write() as session, session.begin():
            pick = (
                sa.select(*pk)
                .where(*self._matching(cls, cutoff))
                .order_by(*pk)
                .limit(self._settings.retention_batch_size)
            )
            if session.get_bind().dialect.name == "postgresql":
                pick = pick.with_for_update(skip_locked=True)
            keys = [tuple(row) for row in session.execute(pick)]
            if not keys:
                return 0
            chosen = pk[0].in_([k[0] for k in keys]) if len(pk) == 1 else sa.tuple_(*pk).in_(keys)
            if cls.action == "anonymise":
                session.execute(sa.update(cls.model).where(chosen).values(**cls.anonymise))
                return len(keys)
            if cls.category is not None:
                self._delete_objects(session, chosen)
            for child, column in cls.children:
                fk = getattr(child, column)
                session.execute(sa.delete(child).where(fk.in_([k[0] for k in keys])))
            session.execute(sa.delete(cls.model).where(chosen))
            return len(keys)

    def _delete_objects(self, session: Session, chosen: sa.ColumnElement[bool]) -> None:
        """The objects of a batch of file rows go first (a row never names a missing object for long:
        a failing S3 aborts the batch, rows and all, and the next run retries)."""
        storage = self._storage()
        for key in session.scalars(sa.select(FileRow.key).where(chosen)):
            storage.delete(key)

    # --- the lease -------------------------------------------------------------------------------
    def lease(self, name: str) -> bool:
        now = self._clock.now()
        until = now + timedelta(seconds=LEASE_SECONDS)
        lease_name = f"retention:{name}"
        try:
            return self._take(lease_name, now, until)
        except sa_exc.IntegrityError:  # another instance inserted the lease first
            return False

    def _take(self, lease_name: str, now: datetime, until: datetime) -> bool:
        with self._gate, self._write() as session, session.begin():
            taken = session.execute(
                sa.update(RetentionLeaseRow)
                .where(
                    RetentionLeaseRow.name == lease_name,
                    sa.or_(
                        RetentionLeaseRow.lease_until.is_(None),
                        RetentionLeaseRow.lease_until < now,
                        RetentionLeaseRow.holder == self.holder,
                    ),
                )
                .values(holder=self.holder, lease_until=until)
            )
            if int(getattr(taken, "rowcount", 0) or 0) == 1:
                return True
            exists = session.get(RetentionLeaseRow, lease_name)
            if exists is not None:
                return False
            session.add(RetentionLeaseRow(name=lease_name, holder=self.holder, lease_until=until))
        return True

    def release(self, name: str) -> None:
        try:
            with self._gate, self._write() as session, session.begin():
                session.execute(
                    sa.update(RetentionLeaseRow)
                    .where(
                        RetentionLeaseRow.name == f"retention:{name}", RetentionLeaseRow.holder == self.holder
                    )
                    .values(holder=None, lease_until=None)
                )
        except sa_exc.SQLAlchemyError:
            logger.warning("could not release the retention lease of %s (it expires on its own)", name)

    def _audit_run(self, report: RetentionReport) -> None:
        summary = ",".join(f"{c.name}={c.rows}" for c in report.classes if c.rows or c.state != "kept")
        self._audit.append(
            AuditEntry(
                occurred_at=self._clock.now(),
                actor_kind="system",
                actor_id="retention",
                method="RUN",
                route="retention",
                action="retention.dry_run" if report.dry_run else "retention.run",
                status=200 if all(c.state != "failed" for c in report.classes) else 500,
                request_id=report.run_id,
                target_id=summary[:200] or None,
            )
        )
