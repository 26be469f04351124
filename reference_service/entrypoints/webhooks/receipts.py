"""The bodies webhook receivers answer with (200 after the event is applied, or acknowledged as a
duplicate, stale, unmatched or ignored one); documented in ``/openapi.json`` by ``routes_doc``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer

from reference_service.service_layer.handlers.deliveries import TrackingReceipt
from reference_service.service_layer.outcomes import FeedbackReceipt, Receipt, SmsStatusReceipt


class ReceiptOut(BaseModel):
    received: Literal[True] = True
    outcome: str

    @classmethod
    def from_domain(cls, receipt: Receipt) -> ReceiptOut:
        return cls(outcome=receipt.outcome)


class FeedbackReceiptOut(ReceiptOut):
    """SES feedback: its kind (Bounce, Complaint, Delivery) and how many addresses it suppressed."""

    kind: str
    suppressed: int

    @classmethod
    def from_feedback(cls, receipt: FeedbackReceipt) -> FeedbackReceiptOut:
        return cls(outcome=receipt.outcome, kind=receipt.kind, suppressed=receipt.suppressed)


class SmsStatusReceiptOut(ReceiptOut):
    """A delivery report; ``notification_id`` and ``status`` only when it matched a notification."""

    notification_id: str | None = None
    status: str | None = None

    @classmethod
    def from_status(cls, receipt: SmsStatusReceipt) -> SmsStatusReceiptOut:
        return cls(outcome=receipt.outcome, notification_id=receipt.notification_id, status=receipt.status)

    @model_serializer(mode="wrap")
    def _matched_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.notification_id is None:
            data.pop("notification_id", None)
            data.pop("status", None)
        return data


class TrackingReceiptOut(ReceiptOut):
    """A carrier tracking event; ``delivery_id`` and ``status`` only when it matched a delivery."""

    delivery_id: str | None = None
    status: str | None = None

    @classmethod
    def from_tracking(cls, receipt: TrackingReceipt) -> TrackingReceiptOut:
        return cls(outcome=receipt.outcome, delivery_id=receipt.delivery_id, status=receipt.status)

    @model_serializer(mode="wrap")
    def _matched_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.delivery_id is None:
            data.pop("delivery_id", None)
            data.pop("status", None)
        return data
