"""``/api/v1/admin/inventory``: stock per SKU and reservations per order, for operators.

- ``GET /api/v1/admin/inventory`` lists stock (``inventory:read``);
- ``GET /api/v1/admin/inventory/<sku>`` one SKU (``inventory:read``);
- ``PUT /api/v1/admin/inventory/<sku>`` sets its units on hand (``inventory:manage``): the SKU becomes
  managed, and orders for it reserve stock on ``order.created``;
- ``GET /api/v1/admin/inventory/reservations/<order_id>`` what an order holds (``inventory:read``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.domain.commands import SetStock
from reference_service.domain.inventory import MAX_ON_HAND, Reservation, StockLevel
from reference_service.entrypoints.access import requires
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.service_layer.errors import NotFound

SKU_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"


class StockQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: Annotated[int, Field(ge=1, le=500)] = 100
    starting_after: Annotated[str | None, Field(pattern=SKU_PATTERN)] = None


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_hand: Annotated[int, Field(ge=0, le=MAX_ON_HAND, description="Units in the warehouse")]


class StockOut(BaseModel):
    object: Literal["stock_level"] = "stock_level"
    sku: str
    on_hand: int
    reserved: int
    available: int
    updated_at: datetime

    @classmethod
    def from_domain(cls, level: StockLevel) -> StockOut:
        return cls(
            sku=level.sku,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
            updated_at=level.updated_at,
        )


class StockListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[StockOut]


class ReservationLineOut(BaseModel):
    sku: str
    quantity: int


class ReservationOut(BaseModel):
    object: Literal["reservation"] = "reservation"
    order_id: str
    status: Literal["RESERVED", "RELEASED", "CONSUMED"]
    lines: list[ReservationLineOut]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, r: Reservation) -> ReservationOut:
        return cls(
            order_id=r.order_id,
            status=r.status.value,
            lines=[ReservationLineOut(sku=line.sku, quantity=line.quantity) for line in r.lines],
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("inventory", __name__, url_prefix="/api/v1/admin/inventory")
    tags = ["inventory"]

    @spec.operation(
        bp,
        "",
        "GET",
        operation_id="listStock",
        summary="Stock per SKU (managed SKUs only), by SKU",
        tags=tags,
        query=StockQuery,
        responses={200: (StockListOut, "One page of SKUs")},
    )
    @requires(Permission.INVENTORY_READ)
    def list_stock(query: StockQuery) -> Response:
        with container.read_uow() as uow:
            levels = uow.inventory.list(query.limit, query.starting_after)
        return render(StockListOut(data=[StockOut.from_domain(x) for x in levels]))

    @spec.operation(
        bp,
        "/<sku>",
        "GET",
        operation_id="getStock",
        summary="One SKU's stock",
        tags=tags,
        responses={200: (StockOut, "On hand, reserved and available")},
        errors={404: "not-found: the SKU is not managed"},
    )
    @requires(Permission.INVENTORY_READ)
    def get_stock(sku: str) -> Response:
        with container.read_uow() as uow:
            level = uow.inventory.get(sku)
        if level is None:
            raise NotFound("sku", sku)
        return render(StockOut.from_domain(level))

    @spec.operation(
        bp,
        "/<sku>",
        "PUT",
        operation_id="setStock",
        summary="Set a SKU's units on hand (an operator's count)",
        tags=tags,
        body=StockIn,
        responses={200: (StockOut, "The SKU's stock after the change")},
        errors={422: "invalid-stock: malformed SKU, or on_hand below the units reserved for open orders"},
    )
    @requires(Permission.INVENTORY_MANAGE)
    def set_stock(sku: str, body: StockIn) -> Response:
        outcome = container.bus.handle(SetStock(sku, body.on_hand))
        return render(StockOut.from_domain(outcome.value))

    @spec.operation(
        bp,
        "/reservations/<order_id>",
        "GET",
        operation_id="getReservation",
        summary="What an order holds (reserved on order.created, released on cancel, consumed on ship)",
        tags=tags,
        responses={200: (ReservationOut, "The order's reservation")},
        errors={404: "not-found: the order reserved nothing (yet, or only unmanaged SKUs)"},
    )
    @requires(Permission.INVENTORY_READ)
    def get_reservation(order_id: str) -> Response:
        with container.read_uow() as uow:
            reservation = uow.inventory.reservation(order_id)
        if reservation is None:
            raise NotFound("reservation", order_id)
        return render(ReservationOut.from_domain(reservation))

    return bp
