"""Inventory: stock per SKU and one reservation per order (pure domain, no I/O).

- ``StockLevel``: ``on_hand`` units in the warehouse, ``reserved`` of them held for orders not yet
  shipped; ``available = on_hand - reserved``. Only SKUs an operator has stocked
  (``PUT /api/v1/admin/inventory/<sku>``) are managed; an order line for an unmanaged SKU reserves nothing.
- ``Reservation``: what an order holds, RESERVED on ``order.created``, then RELEASED on
  ``order.cancelled`` or CONSUMED when the order ships (the units leave ``on_hand``).
- When any managed SKU of an order is short, nothing is reserved and the order is rejected with reason
  ``out_of_stock`` (``OUT_OF_STOCK``).

Inspect with ``GET /api/v1/admin/inventory`` and ``GET /api/v1/admin/inventory/reservations/<order_id>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reference_service.domain.errors import DomainError, IllegalTransition

OUT_OF_STOCK = "out_of_stock"
MAX_ON_HAND = 1_000_000_000


class InvalidStock(DomainError):
    """A stock change that breaks an invariant (negative, or below what is reserved)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    on_hand: int
    reserved: int
    updated_at: datetime

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def check_on_hand(sku: str, on_hand: int, reserved: int) -> None:
    """Raise ``InvalidStock`` unless ``on_hand`` may be set for ``sku`` while ``reserved`` are held."""
    if not sku.strip() or len(sku) > 64:
        raise InvalidStock("sku must be 1 to 64 characters", "sku")
    if not 0 <= on_hand <= MAX_ON_HAND:
        raise InvalidStock(f"on_hand must be between 0 and {MAX_ON_HAND}", "on_hand")
    if on_hand < reserved:
        raise InvalidStock(
            f"on_hand {on_hand} is below the {reserved} units reserved for open orders", "on_hand"
        )


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    RELEASED = "RELEASED"
    CONSUMED = "CONSUMED"


@dataclass(frozen=True, slots=True)
class ReservationLine:
    sku: str
    quantity: int


@dataclass(eq=False)
class Reservation:
    order_id: str
    lines: tuple[ReservationLine, ...]
    created_at: datetime
    updated_at: datetime
    status: ReservationStatus = ReservationStatus.RESERVED
    #: whether the rows it holds have been written (the repository inserts new ones, updates the rest)
    stored: bool = field(default=False, repr=False)

    def _move(self, target: ReservationStatus, now: datetime) -> None:
        if self.status != ReservationStatus.RESERVED:
            raise IllegalTransition("reservation", self.order_id, self.status.value, target.value)
        self.status = target
        self.updated_at = now

    def release(self, now: datetime) -> None:
        """The order was cancelled: the units go back to ``available``."""
        self._move(ReservationStatus.RELEASED, now)

    def consume(self, now: datetime) -> None:
        """The order shipped: the units leave ``on_hand``."""
        self._move(ReservationStatus.CONSUMED, now)


def demand(items: Iterable[tuple[str, int]]) -> list[ReservationLine]:
    """Quantities per SKU of ``(sku, quantity)`` lines, SKUs sorted (a fixed lock order: no deadlocks)."""
    totals: dict[str, int] = {}
    for sku, quantity in items:
        totals[sku] = totals.get(sku, 0) + quantity
    return [ReservationLine(sku, qty) for sku, qty in sorted(totals.items())]
