"""The two producers of files: the invoice of a paid order and the carrier's label of a new delivery.

Each is an event subscriber the outbox relay runs (never inside the request), at least once: each is
idempotent (an order has at most one stored invoice and one stored label; a second run answers
``exists``), and an error (S3 down, the label host down) propagates so the relay retries the event with
backoff. A ``PENDING`` leftover of an interrupted earlier run is discarded and redone. They are kept here,
apart from ``policies.py``, so a Kafka consumer can run them instead of the in-process relay.

Inspect: ``GET /api/v1/orders/{id}`` lists them under ``files``; ``container.bus.describe()`` shows the
routing (``files.invoice_on_paid``, ``files.label_on_delivery``).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

from reference_service.domain.deliveries import Delivery, DeliveryStatus, DeliveryStatusChanged
from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.files import FileCategoryName, FileStatus
from reference_service.domain.orders import Order, OrderStatus
from reference_service.ports_files import InvoiceRenderer, LabelSource
from reference_service.service_layer.handlers.files import FileDeps, _discard, upload_file

logger = logging.getLogger(__name__)


def _already(deps: FileDeps, order_id: str, category: FileCategoryName) -> bool:
    """Whether the order has this file stored; a PENDING leftover is discarded (redone by the caller)."""
    existing = deps.files.find(order_id, category.value)
    if existing is None:
        return False
    if existing.status is FileStatus.STORED:
        return True
    _discard(deps, existing)
    return False


class StoreInvoiceWhenPaid:
    """When an order becomes PAID, render its invoice (``renderer``) and store it under ``invoices``,
    owned by the order's customer."""

    name = "files.invoice_on_paid"

    def __init__(
        self,
        deps: Callable[[], FileDeps],
        load_order: Callable[[str], Order | None],
        renderer: Callable[[], InvoiceRenderer],
        *,
        enabled: bool = True,
    ) -> None:
        self._deps, self._load, self._renderer, self.enabled = deps, load_order, renderer, enabled

    def __call__(self, event: OrderStatusChanged) -> str:
        """Returns ``stored``, ``exists``, ``ignored``, ``missing`` or ``disabled``."""
        if not self.enabled:
            return "disabled"
        if event.status != OrderStatus.PAID.value:
            return "ignored"
        deps = self._deps()
        if _already(deps, event.order_id, FileCategoryName.INVOICES):
            return "exists"
        order = self._load(event.order_id)
        if order is None:
            return "missing"
        issued_at = deps.clock.now()
        pdf = self._renderer().render(order, invoice_number=f"INV-{order.id}", issued_at=issued_at)
        upload_file(
            deps,
            io.BytesIO(pdf),
            category=FileCategoryName.INVOICES.value,
            filename=f"invoice-{order.id}.pdf",
            owner_ref=order.customer_ref,
            order_id=order.id,
        )
        logger.info("invoice of order %s stored", order.id)
        return "stored"


class StoreLabelWhenCreated:
    """When a delivery's label was bought (``LABEL_CREATED``), download it from the carrier's
    ``label_url`` (``source``) and store it under ``shipping_labels``, owned by the order's customer."""

    name = "files.label_on_delivery"

    def __init__(
        self,
        deps: Callable[[], FileDeps],
        load_delivery: Callable[[str], tuple[Delivery, Order] | None],
        source: Callable[[], LabelSource],
        *,
        enabled: bool = True,
    ) -> None:
        self._deps, self._load, self._source, self.enabled = deps, load_delivery, source, enabled

    def __call__(self, event: DeliveryStatusChanged) -> str:
        """Returns ``stored``, ``exists``, ``ignored``, ``no_label`` or ``disabled``."""
        if not self.enabled:
            return "disabled"
        if event.status != DeliveryStatus.LABEL_CREATED.value:
            return "ignored"
        deps = self._deps()
        if _already(deps, event.order_id, FileCategoryName.SHIPPING_LABELS):
            return "exists"
        found = self._load(event.delivery_id)
        label_url = found[0].label_url if found is not None else None
        if found is None or not label_url:
            return "no_label"
        delivery, order = found
        category = deps.category(FileCategoryName.SHIPPING_LABELS.value)
        with self._source().fetch(label_url, category.max_bytes) as label:
            upload_file(
                deps,
                label,
                category=category.name.value,
                filename=f"label-{delivery.id}",
                owner_ref=order.customer_ref,
                order_id=order.id,
            )
        logger.info("label of delivery %s stored", delivery.id)
        return "stored"
