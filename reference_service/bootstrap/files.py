"""Wiring of the files area: the S3 store, the file rows, the invoice renderer and the label source,
the categories (``domain/files.py`` adjusted by ``FILES_MAX_BYTES`` and ``RETENTION_FILES_DAYS``), the two
producers the relay runs (``service_layer/file_producers.py``), and the bucket's provisioning.

``container.files`` is the typed ``FilesArea``; handlers read its adapters at call time, so a test swaps
one by assigning it (``container.files.storage = FakeFileStorage()``).

**Provisioning.** When the service process starts serving (``create_app`` with the relay), it creates the
bucket if missing and sets one S3 lifecycle expiration per category with a retention (``S3_PROVISION_ON_
START``; by default only against a simulated AWS), then reads the rules back: ``/health`` shows
``files`` DOWN (non-critical) while the bucket's rules differ from the settings.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from reference_service.adapters.file_repository import SqlAlchemyFileRepository
from reference_service.adapters.invoice_pdf import FpdfInvoiceRenderer
from reference_service.adapters.label_source import HttpLabelSource
from reference_service.adapters.s3_store import S3FileStorage
from reference_service.bootstrap import Platform, Wiring
from reference_service.bootstrap.payments import retry_policy
from reference_service.config import Settings
from reference_service.domain.deliveries import Delivery, DeliveryStatusChanged
from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.files import CATEGORIES, FileCategory, FileCategoryName
from reference_service.domain.orders import Order
from reference_service.observability.health import CachedHealthChecker, CallableHealthChecker, CheckResult
from reference_service.ports_files import (
    FileRepository,
    FileStorage,
    InvoiceRenderer,
    LabelSource,
    LifecycleRule,
)
from reference_service.service_layer.file_producers import StoreInvoiceWhenPaid, StoreLabelWhenCreated
from reference_service.service_layer.handlers.files import FileDeps
from reference_service.service_layer.messagebus import Subscriber

logger = logging.getLogger(__name__)


def categories(settings: Settings) -> dict[FileCategoryName, FileCategory]:
    """The categories with the settings' sizes and retentions (0 or null: kept until deleted)."""
    out = {}
    for name, cat in CATEGORIES.items():
        days: int | None = cat.retention_days
        if name.value in settings.retention_files_days:
            days = settings.retention_files_days[name.value] or None
        out[name] = cat.with_limits(max_bytes=settings.files_max_bytes.get(name.value), retention_days=days)
    return out


def lifecycle_rules(cats: dict[FileCategoryName, FileCategory]) -> list[LifecycleRule]:
    """One expiration rule per category with a retention."""
    return [
        LifecycleRule(cat.path + "/", cat.retention_days, id=f"expire-{cat.name.value}")
        for cat in cats.values()
        if cat.retention_days
    ]


@dataclass
class Provisioning:
    """What the start-up provisioning found: ``pending``, ``ok``, ``mismatch`` or ``failed``."""

    state: str = "pending"
    detail: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class FilesArea:
    storage: FileStorage
    files: FileRepository
    renderer: InvoiceRenderer
    labels: LabelSource
    categories: dict[FileCategoryName, FileCategory]
    platform: Platform
    provisioning: Provisioning = field(default_factory=Provisioning)

    def deps(self) -> FileDeps:
        settings = self.platform.settings
        return FileDeps(
            self.storage,
            self.files,
            self.categories,
            self.platform.clock,
            self.platform.ids,
            url_expiry_seconds=settings.files_url_expiry_seconds,
            orphan_grace=timedelta(seconds=settings.files_orphan_grace_seconds),
        )

    def provision(self) -> str:
        """Create the bucket and set its lifecycle rules, then check them (see the module docstring)."""
        wanted = lifecycle_rules(self.categories)
        with self.provisioning.lock:
            try:
                self.storage.ensure_bucket(wanted)
            except Exception as exc:
                logger.warning("file bucket provisioning failed: %s", type(exc).__name__)
                self.provisioning.state, self.provisioning.detail = "failed", type(exc).__name__
                return self.provisioning.state
        return self.check_lifecycle()

    def check_lifecycle(self) -> str:
        """Compare the bucket's expiration rules with the settings'; records and returns the state."""
        wanted = {(r.prefix, r.days) for r in lifecycle_rules(self.categories)}
        try:
            found = {(r.prefix, r.days) for r in self.storage.lifecycle()}
        except Exception as exc:
            self.provisioning.state, self.provisioning.detail = "failed", type(exc).__name__
            return "failed"
        missing = sorted(f"{p}:{d}d" for p, d in wanted - found)
        self.provisioning.state = "ok" if not missing else "mismatch"
        self.provisioning.detail = ", ".join(missing)
        return self.provisioning.state

    def start(self) -> threading.Thread | None:
        """Provision in the background when ``S3_PROVISION_ON_START`` says so (a serving process)."""
        if not self.platform.settings.provision_s3:
            self.provisioning.state = "disabled"
            return None
        thread = threading.Thread(target=self.provision, name="files-provision", daemon=True)
        thread.start()
        return thread


def build(platform: Platform) -> tuple[FilesArea, Wiring]:
    settings = platform.settings
    cats = categories(settings)
    area = FilesArea(
        storage=S3FileStorage(settings, platform.metrics, retry_policy(settings)),
        files=SqlAlchemyFileRepository(
            platform.write_sessions, platform.read_sessions, platform.engines.write_gate
        ),
        renderer=FpdfInvoiceRenderer(),
        labels=HttpLabelSource(platform.metrics, retry_policy(settings), settings.provider_timeout_seconds),
        categories=cats,
        platform=platform,
    )

    def lifecycle_health() -> CheckResult:
        state = area.provisioning.state
        if state in ("pending", "disabled"):
            return CheckResult("UP", {"lifecycle": state})
        if state == "ok" or area.check_lifecycle() == "ok":
            return CheckResult("UP", {"lifecycle": "ok", "bucket": settings.s3_bucket})
        return CheckResult("DOWN", {"lifecycle": area.provisioning.state, "detail": area.provisioning.detail})

    platform.health.register(
        CachedHealthChecker(
            CallableHealthChecker("files", lifecycle_health, critical=False),
            settings.provider_health_cache_seconds,
        )
    )

    def load_order(order_id: str) -> Order | None:
        with platform.read_uow() as uow:
            return uow.orders.get(order_id)

    def load_delivery(delivery_id: str) -> tuple[Delivery, Order] | None:
        with platform.read_uow() as uow:
            delivery = uow.deliveries.get(delivery_id)
            order = uow.orders.get(delivery.order_id) if delivery is not None else None
        return (delivery, order) if delivery is not None and order is not None else None

    def renderer() -> InvoiceRenderer:
        return area.renderer

    def labels() -> LabelSource:
        return area.labels

    invoice = StoreInvoiceWhenPaid(area.deps, load_order, renderer, enabled=settings.files_invoice_on_paid)
    label = StoreLabelWhenCreated(area.deps, load_delivery, labels, enabled=settings.files_label_on_delivery)
    wiring = Wiring(
        subscribers={
            OrderStatusChanged: [Subscriber(invoice.name, invoice)],
            DeliveryStatusChanged: [Subscriber(label.name, label)],
        }
    )
    return area, wiring


def describe(area: FilesArea) -> dict[str, Any]:
    return {"bucket": area.platform.settings.s3_bucket, "provisioning": area.provisioning.state}
