"""Deterministic rates: what each carrier service charges for a parcel between two ZIP codes (no HTTP).

A rate is ``(base + per_lb * billable_lb) * (1 + 0.12 * (zone - 1))``, rounded to the cent, where
``billable_lb`` is the parcel's weight in whole pounds (EasyPost weights are ounces), or its dimensional
weight for UPS and FedEx (``L*W*H / 139`` inches, their published divisor) when that is larger, and
``zone`` (1-8) grows with the distance between the first three digits of the two ZIP codes, like USPS
zones. ``retail_rate`` is 15 % above, ``list_rate`` 5 % above. The same inputs always give the same
prices, so a test can assert them; the table below is the simulator's, not a carrier's price list.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Service:
    """One carrier service: its prices and how many days it takes."""

    carrier: str
    service: str
    base: Decimal
    per_lb: Decimal
    days: int | None  # None: depends on the zone (ground services)
    dimensional: bool


def _svc(carrier: str, service: str, base: str, per_lb: str, days: int | None) -> Service:
    return Service(carrier, service, Decimal(base), Decimal(per_lb), days, carrier != "USPS")


SERVICES: tuple[Service, ...] = (
    _svc("USPS", "GroundAdvantage", "5.20", "0.55", None),
    _svc("USPS", "Priority", "7.90", "0.95", 2),
    _svc("USPS", "Express", "28.75", "2.10", 1),
    _svc("UPS", "Ground", "9.10", "0.80", None),
    _svc("UPS", "2ndDayAir", "18.40", "1.60", 2),
    _svc("UPS", "NextDayAir", "34.10", "3.20", 1),
    _svc("FedEx", "FEDEX_GROUND", "9.35", "0.78", None),
    _svc("FedEx", "FEDEX_2_DAY", "19.10", "1.55", 2),
    _svc("FedEx", "STANDARD_OVERNIGHT", "36.40", "3.05", 1),
)
#: the lab's carrier accounts (``carrier_account_id`` of each rate)
CARRIER_ACCOUNTS = {
    "USPS": "ca_usps0000000000000000000000000001",
    "UPS": "ca_ups00000000000000000000000000002",
    "FedEx": "ca_fedex000000000000000000000000003",
}
DIMENSIONAL_DIVISOR = Decimal(139)
CENT = Decimal("0.01")


def zone(from_zip: str | None, to_zip: str | None) -> int:
    """USPS-like zone 1-8 from the first three digits of each ZIP code (1 when either is unknown)."""
    a, b = (from_zip or "")[:3], (to_zip or "")[:3]
    if not (a.isdigit() and b.isdigit()):
        return 1
    return min(8, 1 + abs(int(a) - int(b)) // 100)


def billable_pounds(service: Service, weight_oz: float, dims: tuple[float, float, float] | None) -> int:
    """Whole pounds charged: actual weight, or dimensional weight when the carrier uses it and it is more."""
    pounds = max(1, math.ceil(weight_oz / 16))
    if service.dimensional and dims is not None:
        length, width, height = dims
        dim = math.ceil(Decimal(str(length * width * height)) / DIMENSIONAL_DIVISOR)
        pounds = max(pounds, int(dim))
    return pounds


def price(service: Service, weight_oz: float, dims: tuple[float, float, float] | None, zone_: int) -> Decimal:
    """The rate of ``service`` in USD."""
    pounds = billable_pounds(service, weight_oz, dims)
    raw = (service.base + service.per_lb * pounds) * (1 + Decimal("0.12") * (zone_ - 1))
    return raw.quantize(CENT, ROUND_HALF_UP)


def delivery_days(service: Service, zone_: int) -> int:
    """Transit days: fixed for express services, ``1 + zone // 2`` (at most 5) for ground."""
    return service.days if service.days is not None else min(5, 1 + zone_ // 2)


def money(value: Decimal) -> str:
    """EasyPost's decimal-string money (``"5.93"``)."""
    return str(value.quantize(CENT, ROUND_HALF_UP))


def markup(value: Decimal, percent: int) -> Decimal:
    """``value`` plus ``percent`` %, to the cent."""
    return (value * (100 + percent) / 100).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Quote:
    """One service's price for a parcel, as EasyPost shows it (decimal strings)."""

    service: Service
    rate: str
    retail_rate: str
    list_rate: str
    delivery_days: int


@functools.lru_cache(maxsize=4096)
def quotes(weight_oz: float, dims: tuple[float, float, float] | None, zone_: int) -> tuple[Quote, ...]:
    """Every service's quote (memoised: the same parcel and zone always cost the same)."""
    out = []
    for service in SERVICES:
        amount = price(service, weight_oz, dims, zone_)
        out.append(
            Quote(
                service,
                money(amount),
                money(markup(amount, 15)),
                money(markup(amount, 5)),
                delivery_days(service, zone_),
            )
        )
    return tuple(out)
