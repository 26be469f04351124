"""Request and response models of the public API (they generate ``/openapi.json``).

Requests are strict: unknown fields are rejected (``extra="forbid"``) and JSON types are not coerced
("5" is not a quantity). Money is integer minor units plus an ISO 4217 code checked against the real
currency list. The JSON Schemas in ``contracts/schemas/api/`` describe the same payloads
independently; ``tests/contracts`` checks that live responses satisfy them.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from reference_service.domain.orders import MAX_ITEMS, MAX_QUANTITY, MAX_UNIT_AMOUNT, OrderStatus


@cache
def iso_currencies() -> frozenset[str]:
    import iso4217

    return frozenset(c.code for c in iso4217.Currency)


def _iso_currency(value: str) -> str:
    if value not in iso_currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")
    return value


Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"),
    AfterValidator(_iso_currency),
    Field(description="ISO 4217 code, upper case", examples=["USD"]),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LineItemIn(StrictModel):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]
    name: Annotated[Text, StringConstraints(max_length=200)]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    unit_amount: Annotated[
        int, Field(ge=0, le=MAX_UNIT_AMOUNT, description="Price of one unit in minor units")
    ]


MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[str, StringConstraints(max_length=500)]


class CustomerIn(StrictModel):
    """Who to notify about the order. Personal data: stored encrypted, shown masked, never logged."""

    name: Annotated[Text, StringConstraints(max_length=200)]
    email: Annotated[
        str,
        StringConstraints(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
        Field(description="Where the order confirmation goes"),
    ]
    phone: Annotated[
        str | None, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$"), Field(description="E.164, for SMS")
    ] = None


class CustomerOut(BaseModel):
    """The contact, masked: ``j***@example.com``, ``********4567``."""

    name: str
    email: str
    phone: str | None


class CreateOrderRequest(StrictModel):
    """Body of ``POST /api/v1/orders``."""

    customer_ref: Annotated[
        str,
        StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$"),
        Field(description="Your opaque customer reference (not an email or a name)"),
    ]
    currency: Currency
    items: Annotated[list[LineItemIn], Field(min_length=1, max_length=MAX_ITEMS)]
    metadata: Annotated[dict[MetadataKey, MetadataValue], Field(max_length=20)] = Field(default_factory=dict)
    customer: CustomerIn | None = None


class CancelOrderRequest(StrictModel):
    """Optional body of ``POST /api/v1/orders/{id}/cancel``."""

    reason: Annotated[str, StringConstraints(max_length=255)] | None = None


class ListOrdersQuery(BaseModel):
    """Query string of ``GET /api/v1/orders`` (strings from the URL are converted)."""

    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=100, description="Page size (1-100)")] = 20
    starting_after: Annotated[
        str | None, Field(max_length=40, description="The last id of the previous page (`next_cursor`)")
    ] = None
    status: OrderStatus | None = None
    customer_ref: Annotated[str | None, Field(max_length=128)] = None


class LineItemOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_amount: int
    line_total: int


class OrderOut(BaseModel):
    id: str
    object: Literal["order"]
    customer_ref: str
    status: OrderStatus
    currency: str
    total_amount: int
    items: list[LineItemOut]
    metadata: dict[str, str]
    cancellation_reason: str | None
    customer: CustomerOut | None
    created_at: str
    updated_at: str


class OrderListOut(BaseModel):
    object: Literal["list"]
    data: list[OrderOut]
    has_more: bool
    next_cursor: str | None


class FieldErrorOut(BaseModel):
    field: str
    pointer: str
    message: str
    code: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details, as every error response."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[FieldErrorOut] | None = None
