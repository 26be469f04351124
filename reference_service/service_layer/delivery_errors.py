"""The deliveries area's errors; each maps to one problem+json type in ``entrypoints/errors.py``."""

from __future__ import annotations

from reference_service.ports import AddressIssue
from reference_service.service_layer.errors import ServiceError


class AddressInvalid(ServiceError):
    """The carrier could not verify the address; ``issues`` say why, per field (422 ``address-invalid``)."""

    def __init__(self, issues: tuple[AddressIssue, ...]) -> None:
        super().__init__("The carrier could not verify this address.")
        self.issues = issues


class ShippingQuoteInvalid(ServiceError):
    """The quote is unknown, expired, or for another order (422 ``shipping-quote-invalid``)."""

    def __init__(self, quote_id: str, reason: str) -> None:
        super().__init__(f"Quote {quote_id!r} cannot be bought: {reason}.")
        self.quote_id = quote_id


class DeliveryConflict(ServiceError):
    """The order already has a delivery (409 ``delivery-conflict``); ``delivery_id`` names it."""

    def __init__(self, message: str, delivery_id: str) -> None:
        super().__init__(message)
        self.delivery_id = delivery_id


class DeliveryNotCancellable(ServiceError):
    """The carrier refused to cancel: it has the parcel already (409 ``delivery-not-cancellable``)."""

    def __init__(self, delivery_id: str, reason: str) -> None:
        super().__init__(f"Delivery {delivery_id} can no longer be cancelled: {reason}.")
        self.delivery_id = delivery_id
        self.reason = reason


class ShippingAddressMissing(ServiceError):
    """The order has no shipping address to quote or ship to (422 ``shipping-address-missing``)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"Order {order_id} has no shipping address.")
        self.order_id = order_id


DELIVERY_ERRORS = (
    AddressInvalid,
    ShippingQuoteInvalid,
    DeliveryConflict,
    DeliveryNotCancellable,
    ShippingAddressMissing,
)
