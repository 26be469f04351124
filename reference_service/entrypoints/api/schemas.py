"""Request and response models of the orders API; they generate ``/openapi.json`` AND do the work.

Requests are parsed by these models (``ApiSpec.operation``) and responses are rendered by them
(``OrderOut.from_domain(order)``, then ``model_dump(mode="json")``), so the document a client reads is
the one the service runs. A rule a request must follow is stated in the schema (``enum``, ``pattern``,
``maxLength``...), never only in code: a client generating requests from ``/openapi.json`` is never
refused for something the schema allows (``tests/integration/test_openapi_properties.py`` checks it).

Requests are strict: unknown fields are rejected (``extra="forbid"``) and JSON types are not coerced
("5" is not a quantity; ``2.0`` is 2, as JSON Schema's ``integer`` says). Money is integer minor units
plus an ISO 4217 code, an ``enum`` of the ISO list. ``contracts/schemas/api/`` describes the same
payloads independently; ``tests/contracts`` checks that live responses satisfy them.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)

from reference_service.domain.orders import (
    MAX_ITEMS,
    MAX_QUANTITY,
    MAX_UNIT_AMOUNT,
    CustomerContact,
    LineItem,
    Order,
    OrderStatus,
    ShippingAddress,
)
from reference_service.json_types import WHITESPACE, Stored, Text


@cache
def iso_currencies() -> tuple[str, ...]:
    """The ISO 4217 alphabetic codes, sorted (the ``enum`` of ``Currency``)."""
    import iso4217

    return tuple(sorted({c.code for c in iso4217.Currency}))


def _iso_currency(value: str) -> str:
    if value not in iso_currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")
    return value


def _currency_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = list(iso_currencies())


Currency = Annotated[
    str,
    StringConstraints(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"),
    AfterValidator(_iso_currency),
    Field(
        description="ISO 4217 alphabetic code, upper case", examples=["USD"], json_schema_extra=_currency_enum
    ),
]


def _utc(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


#: a UTC instant, written RFC 3339 with ``Z``
Timestamp = Annotated[
    datetime,
    PlainSerializer(_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
#: an address: one ``@``, a dot in the domain, no whitespace of any regex engine
EMAIL = rf"^[^@{WHITESPACE}\x00]+@[^@{WHITESPACE}\x00]+\.[^@{WHITESPACE}\x00]+$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LineItemIn(StrictModel):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]
    name: Annotated[Text, StringConstraints(max_length=200)]
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
    unit_amount: Annotated[
        int, Field(ge=0, le=MAX_UNIT_AMOUNT, description="Price of one unit in minor units")
    ]


MetadataKey = Annotated[Stored, StringConstraints(min_length=1, max_length=40)]
MetadataValue = Annotated[Stored, StringConstraints(max_length=500)]


class CustomerIn(StrictModel):
    """Who to notify about the order. Personal data: stored encrypted, shown masked, never logged."""

    name: Annotated[Text, StringConstraints(max_length=200)]
    email: Annotated[
        str,
        StringConstraints(min_length=3, max_length=254, pattern=EMAIL),
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

    @classmethod
    def from_domain(cls, contact: CustomerContact) -> CustomerOut:
        masked = contact.masked()
        return cls(name=masked.name, email=masked.email, phone=masked.phone)


Line = Annotated[Text, StringConstraints(max_length=100)]
#: ISO 3166-1 alpha-2; the lab's carrier ships within the US
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2")]


class ShippingAddressIn(StrictModel):
    """Where the parcel goes (personal data: stored encrypted, shown masked, never logged)."""

    name: Line
    company: Line | None = None
    street1: Line
    street2: Line | None = None
    city: Line
    state: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}$"), Field(description="State code")]
    zip: Annotated[
        str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$"), Field(description="ZIP or ZIP+4")
    ]
    country: Country = "US"
    phone: Annotated[str | None, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")] = None

    def to_domain(self) -> ShippingAddress:
        return ShippingAddress(
            name=self.name,
            street1=self.street1,
            city=self.city,
            state=self.state.upper(),
            zip=self.zip,
            country=self.country,
            street2=self.street2,
            company=self.company,
            phone=self.phone,
        )


class ShippingAddressOut(BaseModel):
    """The address, masked: who and which town, never the street."""

    name: str
    city: str
    state: str
    zip: str
    country: str

    @classmethod
    def from_domain(cls, address: ShippingAddress) -> ShippingAddressOut:
        return cls(
            name=address.name,
            city=address.city,
            state=address.state,
            zip=address.zip,
            country=address.country,
        )


class CreateOrderRequest(StrictModel):
    """Body of ``POST /api/v1/orders``."""

    customer_ref: Annotated[
        str,
        StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$"),
        Field(description="Your opaque customer reference (not an email or a name)"),
    ]
    currency: Currency
    items: Annotated[list[LineItemIn], Field(min_length=1, max_length=MAX_ITEMS)]
    # pydantic states the key's NUL rule as patternProperties; additionalProperties: false makes a key that
    # does not match it invalid in the document too, as it is for the service
    metadata: Annotated[
        dict[MetadataKey, MetadataValue],
        Field(max_length=20, json_schema_extra={"additionalProperties": False}),
    ] = Field(default_factory=dict)
    customer: CustomerIn | None = None
    shipping_address: ShippingAddressIn | None = None


class CancelOrderRequest(StrictModel):
    """Optional body of ``POST /api/v1/orders/{id}/cancel``."""

    reason: Annotated[Stored, StringConstraints(max_length=255)] | None = None


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

    @classmethod
    def from_domain(cls, item: LineItem) -> LineItemOut:
        return cls(
            sku=item.sku,
            name=item.name,
            quantity=item.quantity,
            unit_amount=item.unit_amount,
            line_total=item.line_total,
        )


class OrderOut(BaseModel):
    """An order as the API shows it (201 of a create, 200 of get and cancel, each entry of a list)."""

    id: str
    object: Literal["order"] = "order"
    customer_ref: str
    status: OrderStatus
    currency: str
    total_amount: int
    items: list[LineItemOut]
    metadata: dict[str, str]
    cancellation_reason: str | None
    #: why the order reached its status, e.g. ``out_of_stock`` for REJECTED
    status_reason: str | None
    customer: CustomerOut | None
    shipping_address: ShippingAddressOut | None
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def from_domain(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            customer_ref=order.customer_ref,
            status=order.status,
            currency=order.currency,
            total_amount=order.total.amount,
            items=[LineItemOut.from_domain(item) for item in order.items],
            metadata=dict(order.metadata),
            cancellation_reason=order.cancellation_reason,
            status_reason=order.status_reason,
            customer=CustomerOut.from_domain(order.customer) if order.customer else None,
            shipping_address=ShippingAddressOut.from_domain(order.shipping_address)
            if order.shipping_address
            else None,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


class OrderListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[OrderOut]
    has_more: bool
    next_cursor: str | None


class FieldErrorOut(BaseModel):
    field: str
    pointer: str
    message: str
    code: str


class ProblemOut(BaseModel):
    """RFC 9457 problem details, as every error response; a type's extension members (``code``,
    ``payment_id``, ``tried``...) follow the standard ones, and ``errors`` is there only when fields are
    named."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    errors: list[FieldErrorOut] | None = None

    @model_serializer(mode="wrap")
    def _errors_when_named(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.errors is None:
            data.pop("errors", None)
        return data
