"""The EasyPost simulator's stored objects (no HTTP, no behaviour): addresses, rates, shipments, trackers,
events, one :class:`Book` of them per account (each kind bounded), the lifecycle delays and EasyPost's
pagination of a listing."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.backend import BoundedMap
from simulators.logistics import magic

MAX_OBJECTS = 10_000  # per kind and account; the oldest are forgotten beyond this (bounded memory)


class LifecycleDelays(BaseModel):
    """Simulated seconds before each tracker step of a bought label, and before a refund completes
    (``POST /_sim/logistics/settings``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    in_transit: float = Field(default=5.0, ge=0, le=864_000)
    out_for_delivery: float = Field(default=5.0, ge=0, le=864_000)
    final: float = Field(default=5.0, ge=0, le=864_000)
    refund: float = Field(default=5.0, ge=0, le=864_000)


@dataclass
class Address:
    id: str
    mode: str
    created_at: datetime
    fields: dict[str, Any]
    verifications: dict[str, Any] = field(default_factory=dict)


@dataclass
class Rate:
    id: str
    mode: str
    created_at: datetime
    carrier: str
    service: str
    rate: str
    retail_rate: str
    list_rate: str
    delivery_days: int
    shipment_id: str
    rendered: dict[str, Any] | None = None


@dataclass
class Tracker:
    id: str
    mode: str
    created_at: datetime
    updated_at: datetime
    tracking_code: str
    carrier: str
    status: str
    est_delivery_date: datetime | None
    shipment_id: str | None
    weight: float | None
    details: list[dict[str, Any]] = field(default_factory=list)
    outcome: magic.Outcome = "delivered"
    step_due: float = 0.0
    origin: tuple[str | None, str | None, str | None] = (None, None, None)
    destination: tuple[str | None, str | None, str | None] = (None, None, None)

    @property
    def final(self) -> bool:
        return self.status in magic.FINAL_STATUSES


@dataclass
class Shipment:
    id: str
    mode: str
    created_at: datetime
    updated_at: datetime
    reference: str | None
    options: dict[str, Any]
    to_address: Address
    from_address: Address
    parcel: dict[str, Any]
    usps_zone: int
    rates: list[Rate] = field(default_factory=list)
    selected_rate: Rate | None = None
    postage_label: dict[str, Any] | None = None
    tracking_code: str | None = None
    tracker_id: str | None = None
    refund_status: str | None = None
    status: str = "unknown"
    fees: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Event:
    id: str
    mode: str
    created_at: datetime
    description: str
    result: dict[str, Any]
    previous_attributes: dict[str, Any]


class Book:
    """One account's objects (each kind bounded by ``max_objects``, default :data:`MAX_OBJECTS`,
    ``LOGISTICS_SIM_MAX_OBJECTS``; newest last) behind a re-entrant lock."""

    def __init__(self, max_objects: int = MAX_OBJECTS) -> None:
        self.lock = threading.RLock()
        self.addresses: BoundedMap[str, Address] = BoundedMap(max_objects)
        self.shipments: BoundedMap[str, Shipment] = BoundedMap(max_objects)
        self.trackers: BoundedMap[str, Tracker] = BoundedMap(max_objects, self._forget_code)
        self.events: BoundedMap[str, Event] = BoundedMap(max_objects)
        self.tracker_by_code: dict[tuple[str, str], str] = {}

    def _forget_code(self, _key: str, tracker: Tracker) -> None:
        self.tracker_by_code.pop((tracker.tracking_code, tracker.carrier), None)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    has_more: bool


def page(items: list[Any], size: int, before_id: str | None, after_id: str | None) -> Page:
    """EasyPost's pagination: newest first; ``before_id`` = older than that id, ``after_id`` = newer."""
    newest_first = list(reversed(items))
    ids = [o.id for o in newest_first]
    if before_id is not None and before_id in ids:
        newest_first = newest_first[ids.index(before_id) + 1 :]
    elif after_id is not None and after_id in ids:
        newest_first = newest_first[: ids.index(after_id)]
    return Page(newest_first[:size], len(newest_first) > size)
