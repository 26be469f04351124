"""Inputs with a fixed outcome: EasyPost's test tracking codes, and the simulator's magic addresses and
shipment references (documented in ``docs/simulators/logistics.md``).

**Test tracking codes** (EasyPost's test mode, docs "Trackers"; the cassette ``test_tracker_create.yaml``
confirms ``EZ1000000001`` = ``pre_transit``). ``POST /v2/trackers`` with one of them creates a tracker
that stands at that status, with the tracking history that leads to it:

================  ====================
code              status
================  ====================
``EZ1000000001``  ``pre_transit``
``EZ2000000002``  ``in_transit``
``EZ3000000003``  ``out_for_delivery``
``EZ4000000004``  ``delivered``
``EZ5000000005``  ``return_to_sender``
``EZ6000000006``  ``failure``
``EZ7000000007``  ``unknown``
================  ====================

**Magic addresses** (the simulator's; real EasyPost verifies against USPS data). Verification fails with
``E.ADDRESS.NOT_FOUND`` when ``street1`` starts with ``0`` (``"000 unknown street"``, EasyPost's own test
input) or the ZIP code is ``00000``/``00001``; a ``street1`` without a house number adds
``E.HOUSE_NUMBER.MISSING``. A ``street1`` containing ``Suite Missing`` verifies with the warning
``E.SECONDARY_INFORMATION.MISSING``. Every other US address verifies *with corrections*: upper-cased, the
street suffix abbreviated the USPS way (``Street`` -> ``ST``), and the ZIP code extended to ZIP+4.

**Shipment outcomes** (the simulator's): a shipment whose ``reference`` is ``sim:return_to_sender`` or
``sim:failure`` has a label whose tracker ends that way instead of ``delivered``. One tracker's ending can
also be set with ``POST /_sim/logistics/trackers/{id}/outcome``.
"""

from __future__ import annotations

import re
from typing import Literal

TrackerStatus = Literal[
    "unknown",
    "pre_transit",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "available_for_pickup",
    "return_to_sender",
    "failure",
    "cancelled",
    "error",
]
Outcome = Literal["delivered", "return_to_sender", "failure"]
OUTCOMES: tuple[Outcome, ...] = ("delivered", "return_to_sender", "failure")

TEST_TRACKING_CODES: dict[str, TrackerStatus] = {
    "EZ1000000001": "pre_transit",
    "EZ2000000002": "in_transit",
    "EZ3000000003": "out_for_delivery",
    "EZ4000000004": "delivered",
    "EZ5000000005": "return_to_sender",
    "EZ6000000006": "failure",
    "EZ7000000007": "unknown",
}

#: ``reference`` of a shipment -> how its label's tracker ends
REFERENCE_OUTCOMES: dict[str, Outcome] = {
    "sim:return_to_sender": "return_to_sender",
    "sim:failure": "failure",
}

#: the statuses a bought label's tracker walks through, and how each final one is reached
LIFECYCLE: tuple[TrackerStatus, ...] = ("pre_transit", "in_transit", "out_for_delivery", "delivered")
FINAL_STATUSES = frozenset({"delivered", "return_to_sender", "failure", "cancelled", "error"})
#: a label is "used" once the carrier scanned it: from then on it cannot be refunded
USED_STATUSES = frozenset(
    {"in_transit", "out_for_delivery", "delivered", "available_for_pickup", "return_to_sender", "failure"}
)

#: the tracking message EasyPost shows for each status (``tracking_details[].message``)
STATUS_MESSAGES: dict[str, str] = {
    "pre_transit": "Shipping label created",
    "in_transit": "Arrived at USPS Regional Origin Facility",
    "out_for_delivery": "Out for Delivery",
    "delivered": "Delivered, In/At Mailbox",
    "return_to_sender": "Return to Sender Processed",
    "failure": "Delivery Attempted - No Access to Delivery Location",
    "unknown": "Tracking information is not yet available",
    "cancelled": "Label cancelled: postage refunded",
}
STATUS_DETAILS: dict[str, str] = {
    "pre_transit": "label_created",
    "in_transit": "arrived_at_facility",
    "out_for_delivery": "out_for_delivery",
    "delivered": "arrived_at_destination",
    "return_to_sender": "return",
    "failure": "address_not_found",
    "unknown": "unknown",
    "cancelled": "unknown",
}

NOT_FOUND_ZIPS = frozenset({"00000", "00001"})
SECONDARY_MISSING = "suite missing"
HOUSE_NUMBER = re.compile(r"^\s*\d")
#: USPS Publication 28 street suffix abbreviations (the common ones)
SUFFIXES = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "BOULEVARD": "BLVD",
    "DRIVE": "DR",
    "ROAD": "RD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "SQUARE": "SQ",
    "HIGHWAY": "HWY",
    "PARKWAY": "PKWY",
    "TERRACE": "TER",
}


def address_problems(street1: str | None, zip_code: str | None) -> list[dict[str, object]]:
    """The verification errors of an address (empty: it verifies), as EasyPost lists them."""
    street = (street1 or "").strip()
    errors: list[dict[str, object]] = []
    not_found = not street or street.startswith("0") or (zip_code or "").strip()[:5] in NOT_FOUND_ZIPS
    if not HOUSE_NUMBER.match(street):
        not_found = True
    if not_found:
        errors.append({"code": "E.ADDRESS.NOT_FOUND", "field": "address", "message": "Address not found"})
    if street and not HOUSE_NUMBER.match(street):
        errors.append(
            {"code": "E.HOUSE_NUMBER.MISSING", "field": "street1", "message": "House number is missing"}
        )
    for error in errors:
        error["suggestion"] = None
    return errors


def address_warnings(street1: str | None) -> list[dict[str, object]]:
    """Warnings of an address that verifies (``E.SECONDARY_INFORMATION.MISSING``)."""
    if SECONDARY_MISSING in (street1 or "").lower():
        return [
            {
                "code": "E.SECONDARY_INFORMATION.MISSING",
                "field": "street2",
                "message": "Missing secondary information(Apt/Suite#)",
                "suggestion": None,
            }
        ]
    return []


def standardize_street(street: str) -> str:
    """``179 n harbor drive`` -> ``179 N HARBOR DR`` (upper case, USPS suffix abbreviation)."""
    words = street.upper().split()
    if words and words[-1].rstrip(".") in SUFFIXES:
        words[-1] = SUFFIXES[words[-1].rstrip(".")]
    return " ".join(words)


def zip_plus_four(zip_code: str, street: str) -> str:
    """A stable ZIP+4 for a verified address (``94107`` + a +4 derived from the street)."""
    five = zip_code.strip()[:5]
    checksum = sum((i + 1) * ord(c) for i, c in enumerate(street.upper())) % 10_000
    return f"{five}-{checksum:04d}"
