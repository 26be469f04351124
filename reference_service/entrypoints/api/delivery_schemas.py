"""Request and response models of the deliveries API (``entrypoints/api/deliveries.py``); like
``schemas.py`` they parse the requests, render the answers and generate ``/openapi.json``, and state every
rule a request must follow. A shipping address is personal data: answers show it masked (no street)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from reference_service.domain.deliveries import Delivery, DeliveryStatus, Parcel
from reference_service.entrypoints.api.schemas import ShippingAddressIn, StrictModel, Timestamp
from reference_service.json_types import Text
from reference_service.ports import AddressIssue, AddressValidationResult, ShippingQuote


class AddressIssueOut(BaseModel):
    field: str
    code: str
    message: str
    suggestion: str | None

    @classmethod
    def from_domain(cls, issue: AddressIssue) -> AddressIssueOut:
        return cls(field=issue.field, code=issue.code, message=issue.message, suggestion=issue.suggestion)


class AddressValidationOut(BaseModel):
    """A verified address as the carrier corrected it (ZIP+4, standard abbreviations), with any warnings."""

    object: Literal["address_validation"] = "address_validation"
    valid: Literal[True] = True
    address: ShippingAddressIn
    warnings: list[AddressIssueOut]

    @classmethod
    def from_domain(cls, result: AddressValidationResult) -> AddressValidationOut:
        a = result.address
        corrected = ShippingAddressIn.model_construct(
            name=a.name,
            company=a.company,
            street1=a.street1,
            street2=a.street2,
            city=a.city,
            state=a.state,
            zip=a.zip,
            country=a.country,
            phone=a.phone,
        )
        return cls(address=corrected, warnings=[AddressIssueOut.from_domain(i) for i in result.issues])


class ParcelIn(StrictModel):
    """A parcel: weight in ounces, size in inches (all three or none)."""

    weight_oz: Annotated[float, Field(gt=0, le=2400)]
    length_in: Annotated[float, Field(gt=0, le=108)] | None = None
    width_in: Annotated[float, Field(gt=0, le=108)] | None = None
    height_in: Annotated[float, Field(gt=0, le=108)] | None = None

    def to_domain(self) -> Parcel:
        dims = (self.length_in, self.width_in, self.height_in)
        if any(d is None for d in dims):
            return Parcel(self.weight_oz)
        return Parcel(self.weight_oz, self.length_in, self.width_in, self.height_in)


class QuoteRequest(StrictModel):
    """Optional body of ``POST /api/v1/orders/{id}/shipping-quotes`` (no parcel: one from the items)."""

    parcel: ParcelIn | None = None


class QuoteOut(BaseModel):
    quote_id: str
    carrier: str
    service: str
    amount: Annotated[int, Field(description="Minor units")]
    currency: str
    delivery_days: int | None

    @classmethod
    def from_domain(cls, quote: ShippingQuote) -> QuoteOut:
        return cls(
            quote_id=quote.quote_id,
            carrier=quote.carrier,
            service=quote.service,
            amount=quote.amount,
            currency=quote.currency,
            delivery_days=quote.delivery_days,
        )


class QuoteListOut(BaseModel):
    object: Literal["list"] = "list"
    order_id: str
    data: list[QuoteOut]


class CreateDeliveryRequest(StrictModel):
    """Body of ``POST /api/v1/orders/{id}/deliveries``: the quote to buy (from ``shipping-quotes``)."""

    quote_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_./:\-]+$")]


class CancelDeliveryRequest(StrictModel):
    """Body of ``POST /api/v1/deliveries/{id}/cancel``."""

    reason: Annotated[Text, StringConstraints(max_length=255)] | None = None


class StatusChangeOut(BaseModel):
    status: str
    provider_status: str | None
    source: str
    applied: bool
    at: Timestamp


class DeliveryOut(BaseModel):
    """A delivery as the API shows it."""

    id: str
    object: Literal["delivery"] = "delivery"
    order_id: str
    status: DeliveryStatus
    carrier: str | None
    service: str | None
    amount: int | None
    currency: str | None
    tracking_number: str | None
    label_url: str | None
    est_delivery_at: Timestamp | None
    cancellation_reason: str | None
    history: list[StatusChangeOut]
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def from_domain(cls, d: Delivery) -> DeliveryOut:
        return cls(
            id=d.id,
            order_id=d.order_id,
            status=d.status,
            carrier=d.carrier,
            service=d.service,
            amount=d.amount,
            currency=d.currency,
            tracking_number=d.tracking_number,
            label_url=d.label_url,
            est_delivery_at=d.est_delivery_at,
            cancellation_reason=d.cancellation_reason,
            history=[
                StatusChangeOut(
                    status=h.status,
                    provider_status=h.provider_status,
                    source=h.source,
                    applied=h.applied,
                    at=h.at,
                )
                for h in d.history
            ],
            created_at=d.created_at,
            updated_at=d.updated_at,
        )


class DeliveryListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[DeliveryOut]
