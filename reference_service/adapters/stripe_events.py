"""Stripe events (webhooks or ``GET /v1/events``) as provider-neutral ``ProviderPaymentEvent``s.

Handled types (the seed's list plus what the service's flows produce): ``payment_intent.succeeded``,
``payment_intent.payment_failed``, ``payment_intent.requires_action``, ``payment_intent.processing``,
``payment_intent.amount_capturable_updated``, ``payment_intent.canceled``, ``charge.refunded`` and
``charge.dispute.created``. Any other type is acknowledged and ignored.

The payment is found by ``metadata.payment_id`` (the service sets it on every PaymentIntent), falling
back to the PaymentIntent id, so an event that arrives before the service recorded the PaymentIntent id
still lands on the right payment.
"""

from __future__ import annotations

from typing import Any

from reference_service.adapters.stripe_gateway import SEED_MESSAGES, seed_code
from reference_service.domain.payments import PaymentEventKind, ProviderPaymentEvent

HANDLED = {
    "payment_intent.succeeded": PaymentEventKind.SUCCEEDED,
    "payment_intent.payment_failed": PaymentEventKind.FAILED,
    "payment_intent.requires_action": PaymentEventKind.REQUIRES_ACTION,
    "payment_intent.processing": PaymentEventKind.PROCESSING,
    "payment_intent.amount_capturable_updated": PaymentEventKind.AUTHORIZED,
    "payment_intent.canceled": PaymentEventKind.CANCELED,
    "charge.refunded": PaymentEventKind.REFUNDED,
    "charge.dispute.created": PaymentEventKind.DISPUTED,
}


class MalformedEvent(ValueError):
    """The JSON is not a Stripe event (no id, type or data.object)."""


def _ref(value: Any) -> str | None:
    """An expandable field: an id string, or an object with an id."""
    if isinstance(value, dict):
        value = value.get("id")
    return str(value) if value else None


def translate(event: dict[str, Any]) -> ProviderPaymentEvent:
    try:
        event_id, event_type, obj = str(event["id"]), str(event["type"]), event["data"]["object"]
    except (KeyError, TypeError) as exc:
        raise MalformedEvent(f"not a Stripe event: missing {exc}") from None
    if not isinstance(obj, dict):
        raise MalformedEvent("not a Stripe event: data.object is not an object")
    kind = HANDLED.get(event_type, PaymentEventKind.IGNORED)
    metadata = obj.get("metadata") or {}
    base: dict[str, Any] = {
        "provider": "stripe",
        "event_id": event_id,
        "event_type": event_type,
        "kind": kind,
        "payment_id": metadata.get("payment_id"),
    }
    if kind == PaymentEventKind.IGNORED:
        return ProviderPaymentEvent(**base)
    if event_type.startswith("payment_intent."):
        base["provider_ref"] = _ref(obj.get("id"))
        error = obj.get("last_payment_error") or {}
        if kind == PaymentEventKind.FAILED:
            code = seed_code(error.get("code"), error.get("decline_code"))
            base.update(failure_code=code, failure_message=SEED_MESSAGES[code])
        return ProviderPaymentEvent(**base)
    if event_type == "charge.refunded":
        return ProviderPaymentEvent(
            **base,
            provider_ref=_ref(obj.get("payment_intent")),
            amount_refunded=int(obj.get("amount_refunded") or 0),
            refund_complete=bool(obj.get("refunded")),
        )
    # charge.dispute.created: data.object is a Dispute
    return ProviderPaymentEvent(
        **base,
        provider_ref=_ref(obj.get("payment_intent")),
        dispute_id=_ref(obj.get("id")),
        dispute_reason=obj.get("reason"),
        dispute_amount=int(obj.get("amount") or 0),
        dispute_status=obj.get("status"),
    )
