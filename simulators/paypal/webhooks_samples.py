"""Sample events for ``POST /v1/notifications/simulate-event``, built from real resources so they have
exactly the shapes of the simulator's own events (and validate against the same schemas)."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from simulators.paypal.magic import DEFAULT_BUYER_EMAIL, account_id, summary_amount
from simulators.paypal.resources import (
    Authorization,
    Buyer,
    Capture,
    DomainEvent,
    Money,
    Order,
    PurchaseUnit,
    Refund,
)

if TYPE_CHECKING:
    from simulators.paypal.provider import PayPalProvider

SAMPLE_TYPES = (
    "CHECKOUT.ORDER.APPROVED",
    "CHECKOUT.ORDER.COMPLETED",
    "PAYMENT.AUTHORIZATION.CREATED",
    "PAYMENT.AUTHORIZATION.VOIDED",
    "PAYMENT.CAPTURE.COMPLETED",
    "PAYMENT.CAPTURE.DECLINED",
    "PAYMENT.CAPTURE.DENIED",
    "PAYMENT.CAPTURE.PENDING",
    "PAYMENT.CAPTURE.REFUNDED",
)


def sample_event(event_type: str, provider: PayPalProvider, base: str) -> DomainEvent:
    """A sample event of ``event_type`` built from real resources (so it has their exact shape)."""
    rt = provider.runtime
    ids, now = rt.ids, rt.clock.now()
    app = provider.apps.all()[0]
    payee = {"email_address": app.merchant_email, "merchant_id": app.merchant_id}
    amount = Money("USD", Decimal("10.00"))
    text = summary_amount(amount.value, amount.currency)
    order_id = ids.upper_alnum(17)
    if event_type.startswith("CHECKOUT.ORDER."):
        unit = PurchaseUnit("default", amount, amount.to_json(), payee)
        status = "APPROVED" if event_type.endswith("APPROVED") else "COMPLETED"
        order = Order(order_id, "CAPTURE", status, [unit], now, now, base)
        order.buyer = Buyer(DEFAULT_BUYER_EMAIL, account_id(DEFAULT_BUYER_EMAIL), "John", "Doe")
        summary = (
            "An order has been approved by buyer" if status == "APPROVED" else "Checkout Order Completed"
        )
        return DomainEvent(event_type, "checkout-order", order.to_json(), summary, order_id)
    if event_type.startswith("PAYMENT.AUTHORIZATION."):
        status = "CREATED" if event_type.endswith("CREATED") else "VOIDED"
        auth = Authorization(ids.upper_alnum(17), order_id, status, amount, now, now, base, payee)
        summary = f"A payment authorization was {status.lower()}"
        return DomainEvent(event_type, "authorization", auth.to_json(standalone=True), summary, auth.id)
    capture_id = ids.upper_alnum(17)
    if event_type == "PAYMENT.CAPTURE.REFUNDED":
        refund = Refund(ids.upper_alnum(17), capture_id, amount, now, base)
        return DomainEvent(
            event_type, "refund", refund.to_json(), f"A {text} capture payment was refunded", refund.id
        )
    status = {"COMPLETED": "COMPLETED", "PENDING": "PENDING"}.get(event_type.rsplit(".", 1)[1], "DECLINED")
    capture = Capture(capture_id, order_id, status, amount, True, now, now, base, payee)
    capture.status_reason = "PENDING_REVIEW" if status == "PENDING" else None
    verb = {"COMPLETED": "completed", "PENDING": "pending"}.get(status, "denied")
    return DomainEvent(
        event_type, "capture", capture.to_json(standalone=True), f"Payment {verb} for {text}", capture_id
    )
