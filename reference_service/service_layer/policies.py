"""Policies: what the service does on its own when something happened ("when X, do Y").

Each policy is an event subscriber the outbox relay calls (at least once, so each is idempotent) with
its settings given when it is built, never read from the environment:

- ``CaptureOnApproval`` (``PAYPAL_CAPTURE_ON_APPROVAL``): capture a PayPal payment as soon as its buyer
  approves it (``CHECKOUT.ORDER.APPROVED`` moved it to AUTHORIZED), so the client need not call
  ``POST .../capture``.
- ``SendConfirmationWhenPaid`` (``EMAIL_ORDER_CONFIRMATION``): email the ORDER_CONFIRMATION when an
  order becomes PAID.
- ``NotifyDeliveryStatus`` (``DELIVERY_NOTIFICATIONS``): tell the customer about a delivery's new status, one
  instance per channel (email, SMS), so a retry of one never resends the other.

Inspect the routing with ``bootstrap(settings).bus.describe()``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from reference_service.domain.commands import CapturePayment
from reference_service.domain.deliveries import DeliveryStatusChanged
from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.orders import OrderStatus
from reference_service.domain.payments import PaymentProvider, PaymentStatus, PaymentStatusChanged
from reference_service.service_layer.errors import PaymentDeclined

logger = logging.getLogger(__name__)


class CaptureOnApproval:
    """Capture an approved payment of ``providers`` (PayPal) through ``capture`` (the CapturePayment use
    case). A declined capture is already recorded on the payment and its order, so it is not retried."""

    name = "payments.capture_on_approval"

    def __init__(
        self,
        capture: Callable[[CapturePayment], Any],
        *,
        enabled: bool,
        providers: Collection[PaymentProvider] = (PaymentProvider.PAYPAL,),
    ) -> None:
        self._capture = capture
        self.enabled = enabled
        self.providers = frozenset(p.value for p in providers)

    def __call__(self, event: PaymentStatusChanged) -> str:
        """Returns what it did: ``captured``, ``declined``, ``disabled`` or ``ignored``."""
        if not self.enabled:
            return "disabled"
        if event.provider not in self.providers or event.status != PaymentStatus.AUTHORIZED.value:
            return "ignored"
        try:
            self._capture(CapturePayment(order_id=event.order_id, payment_id=event.payment_id))
        except PaymentDeclined as declined:
            logger.info("capture on approval of %s declined: %s", event.payment_id, declined.code)
            return "declined"
        return "captured"


class SendConfirmationWhenPaid:
    """When an order becomes PAID, ``send`` its confirmation (``send_order_confirmation`` bound to its
    adapters); returns that use case's outcome, or ``disabled`` / ``ignored``."""

    name = "notifications.order_confirmation"

    def __init__(self, send: Callable[[str], str], *, enabled: bool) -> None:
        self._send = send
        self.enabled = enabled

    def __call__(self, event: OrderStatusChanged) -> str:
        if not self.enabled:
            return "disabled"
        if event.status != OrderStatus.PAID.value:
            return "ignored"
        return self._send(event.order_id)


class NotifyDeliveryStatus:
    """When a delivery changes status, ``send`` (``send_delivery_update`` bound to one channel) tells the
    customer; returns that use case's outcome, or ``disabled``."""

    def __init__(self, name: str, send: Callable[[DeliveryStatusChanged], str], *, enabled: bool) -> None:
        self.name = name
        self._send = send
        self.enabled = enabled

    def __call__(self, event: DeliveryStatusChanged) -> str:
        if not self.enabled:
            return "disabled"
        return self._send(event)
